//! Word count in the pure stream tasks, no cluster: text lines through task 0_0
//! (flatMapValues, groupBy → the repartition topic), its repartition records through task 1_0
//! (count into the cached store, toStream, the output topic), a commit every 10,000 lines.
//! Both tasks take their words from one thread's `Words`, as the stream thread hands them.
//! Prints input lines per wall second.
//!
//! `cargo run --release -p engine --example streams_bench [LINES]`

use std::sync::Arc;
use std::time::Instant;

use engine::scenario::ast::Pos;
use engine::streams::builder::build;
use engine::streams::cache::ThreadCache;
use engine::streams::dsl::{App, AppConfig, Chain, Operation, Start};
use engine::streams::expr::{Expr, Func, Var};
use engine::streams::task::{Effect, Input, StreamTask};
use engine::streams::topology::TaskId;
use engine::streams::value::Val;
use engine::streams::words::Words;

fn main() {
    let lines: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let value = || Expr::Var(Var::Value);
    let app = App {
        pos: Pos::default(),
        name: "word-count".into(),
        config: AppConfig::default(),
        chains: vec![Chain {
            pos: Pos::default(),
            start: Start::Stream(vec!["text-lines".into()]),
            ops: [
                Operation::FlatMapValues(Expr::Call(
                    Func::Split,
                    vec![Expr::Call(Func::Lower, vec![value()])],
                )),
                Operation::GroupBy {
                    key: value(),
                    value: None,
                },
                Operation::Count {
                    store: Some("counts".into()),
                },
                Operation::ToStream,
                Operation::To("word-counts".into()),
            ]
            .into_iter()
            .map(|o| (Pos::default(), o))
            .collect(),
        }],
    };
    let topology = Arc::new(build(&app).expect("word count builds"));
    let mut cache = ThreadCache::new(10 * 1024 * 1024);
    let thread_words = Words::default();
    let task = |sub, cache: &mut ThreadCache| {
        let id = TaskId {
            subtopology: sub,
            partition: 0,
        };
        StreamTask::new(topology.clone(), id, cache).expect("word count runs")
    };
    let mut split = task(0, &mut cache);
    let mut count = task(1, &mut cache);
    let repartition = "word-count-counts-repartition";
    // As the stream thread does, each task's source is found once, not per record.
    let lines_source = split
        .source("text-lines")
        .expect("task 0_0 reads the lines");
    let words_source = count.source(repartition).expect("task 1_0 reads the words");
    // 1,000 distinct lines of 6 words from a 500-word vocabulary, as a class's producer makes.
    let texts: Vec<Val> = (0..1000u64)
        .map(|i| {
            let words: Vec<String> = (0..6)
                .map(|j| format!("Word{}", (i * 7 + j * 131) % 500))
                .collect();
            Val::text(&words.join(" "))
        })
        .collect();
    let mut mid = Vec::with_capacity(64);
    let mut out = Vec::with_capacity(64);
    let (mut words, mut outputs) = (0u64, 0u64);
    let start = Instant::now();
    for i in 0..lines {
        let rec = Input {
            topic: "text-lines",
            partition: 0,
            offset: i,
            timestamp: i,
            key: Val::Null,
            value: texts[(i % 1000) as usize].clone(),
            old_value: None,
            now: 0,
        };
        split.process_from(&mut cache, &thread_words, lines_source, rec, &mut mid);
        for (j, e) in mid.drain(..).enumerate() {
            if let Effect::Produce {
                key,
                value,
                timestamp,
                ..
            } = e
            {
                words += 1;
                let rec = Input {
                    topic: repartition,
                    partition: 0,
                    offset: words + j as u64,
                    timestamp,
                    key,
                    value,
                    old_value: None,
                    now: 0,
                };
                count.process_from(&mut cache, &thread_words, words_source, rec, &mut out);
            }
        }
        if i % 10_000 == 9_999 {
            split.commit(&mut cache, &mut out);
            count.commit(&mut cache, &mut out);
        }
        outputs += out.len() as u64;
        out.clear();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{lines} lines, {words} words, {outputs} output and changelog records in {secs:.3} s: \
         {:.0} lines/s ({:.0} words/s)",
        lines as f64 / secs,
        words as f64 / secs
    );
}
