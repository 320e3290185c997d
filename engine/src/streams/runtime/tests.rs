//! The runtime end to end on Kafka's WordCountDemo, before the scenario parser can declare
//! apps: counts in the store and the output topic against a direct count of the input, commits,
//! then a crash: the task moves, its store is restored from the changelog, the records after
//! the last commit are processed again.

use std::collections::BTreeMap;

use crate::cluster::Cluster;
use crate::command::{ClusterSpec, Command, TopicPartition, TopicSpec};
use crate::scenario::ast::Pos;
use crate::streams::dsl::{App, AppConfig, Chain, Operation, Start};
use crate::streams::expr::{Expr, Func, Var};
use crate::time::secs;

const LINES: [&str; 3] = [
    "the quick brown fox",
    "jumps over the lazy dog",
    "the dog sleeps",
];

fn word_count() -> App {
    let pos = Pos { line: 1, col: 1 };
    let split = Expr::Call(
        Func::Split,
        vec![Expr::Call(Func::Lower, vec![Expr::Var(Var::Value)])],
    );
    App {
        pos,
        name: "word-count".into(),
        config: AppConfig {
            instances: 2,
            commit_interval: secs(1),
            ..AppConfig::default()
        },
        chains: vec![Chain {
            pos,
            start: Start::Stream(vec!["text-lines".into()]),
            ops: vec![
                (pos, Operation::FlatMapValues(split)),
                (
                    pos,
                    Operation::GroupBy {
                        key: Expr::Var(Var::Value),
                        value: None,
                    },
                ),
                (
                    pos,
                    Operation::Count {
                        store: Some("counts".into()),
                    },
                ),
                (pos, Operation::ToStream),
                (pos, Operation::To("word-counts".into())),
            ],
        }],
    }
}

fn topic(name: &str) -> Command {
    Command::TopicCreate(TopicSpec {
        name: name.into(),
        partitions: 2,
        replication: 3,
        min_insync: None,
        unclean_election: None,
        retention: None,
        retention_bytes: None,
        segment: None,
        segment_bytes: None,
        cleanup: None,
    })
}

fn produce(c: &mut Cluster, n: usize, expected: &mut BTreeMap<String, i64>) {
    for i in 0..n {
        let line = LINES[i % LINES.len()];
        for w in line.split_whitespace() {
            *expected.entry(w.to_string()).or_default() += 1;
        }
        c.apply(Command::Produce {
            topic: "text-lines".into(),
            key: None,
            value: Some(line.into()),
            acks: None,
            timestamp: None,
        })
        .unwrap();
        let t = c.now() + crate::time::ms(7);
        c.advance_to(t);
    }
}

/// The newest value per key in the output topic (what a compacted read would give).
fn output_counts(c: &Cluster) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for p in 0..2 {
        let tp = TopicPartition {
            topic: "word-counts".into(),
            partition: p,
        };
        let log = c.leader_log(&tp).unwrap();
        let hw = c.high_watermark(&tp).unwrap();
        for e in log.entries().filter(|e| e.offset < hw) {
            out.insert(
                c.key_text(e.id).unwrap().to_string(),
                c.value_text(e.id).unwrap(),
            );
        }
    }
    out
}

fn check_counts(c: &Cluster, expected: &BTreeMap<String, i64>) {
    for (w, n) in expected {
        assert_eq!(
            c.streams_store_get("word-count", "counts", w),
            Some(Some(n.to_string())),
            "store count of {w}"
        );
    }
    let out = output_counts(c);
    for (w, n) in expected {
        assert_eq!(out.get(w), Some(&n.to_string()), "output count of {w}");
    }
}

#[test]
fn word_count_counts_commits_and_restores_after_a_crash() {
    let mut c = Cluster::new(7);
    c.apply(Command::Brokers(ClusterSpec {
        brokers: 3,
        ..ClusterSpec::default()
    }))
    .unwrap();
    c.apply(topic("text-lines")).unwrap();
    c.apply(topic("word-counts")).unwrap();
    c.cmd_streams_app(word_count()).unwrap();
    let mut expected = BTreeMap::new();
    produce(&mut c, 200, &mut expected);
    c.advance_to(c.now() + secs(10));
    let app = c.streams_app("word-count").unwrap();
    let words = |e: &BTreeMap<String, i64>| e.values().sum::<i64>() as u64;
    // Each line once from text-lines, each word once from the repartition topic.
    assert_eq!(app.counters.processed, 200 + words(&expected));
    assert_eq!(app.counters.reprocessed, 0);
    assert!(app.counters.commits > 0);
    assert!(c.has_topic("word-count-counts-changelog"));
    assert!(
        c.topic_names()
            .iter()
            .any(|t| t.starts_with("word-count-") && t.ends_with("-repartition"))
    );
    check_counts(&c, &expected);
    let tasks = c.streams_tasks("word-count").unwrap();
    assert_eq!(tasks.len(), 4, "{tasks:?}");
    let owners: Vec<_> = tasks.iter().map(|t| t.instance.clone()).collect();
    assert!(owners.contains(&"word-count-1".to_string()));
    assert!(owners.contains(&"word-count-2".to_string()));

    // Process more, then crash an instance between two commits.
    produce(&mut c, 90, &mut expected);
    c.cmd_streams_crash("word-count-1").unwrap();
    produce(&mut c, 30, &mut expected);
    c.advance_to(c.now() + secs(70));
    let tasks = c.streams_tasks("word-count").unwrap();
    assert!(
        tasks.iter().all(|t| t.instance == "word-count-2"),
        "{tasks:?}"
    );
    let app = c.streams_app("word-count").unwrap();
    assert!(app.counters.restored["counts"] > 0);
    assert!(app.counters.reprocessed > 0);
    // At-least-once: the lines processed again after the last commit sent their words to the
    // repartition topic a second time, as new records; those are the only excess. The counting
    // task's own re-processing is exact: its store was restored to the last commit.
    let duplicates = app.counters.processed - app.counters.reprocessed - (320 + words(&expected));
    assert!(duplicates > 0);
    let mut counted = 0;
    for (w, n) in &expected {
        let got: i64 = c
            .streams_store_get("word-count", "counts", w)
            .unwrap()
            .unwrap()
            .parse()
            .unwrap();
        assert!(got >= *n, "{w}: {got} < {n}");
        counted += got;
    }
    assert_eq!(counted as u64 - words(&expected), duplicates);
    let out = output_counts(&c);
    for w in expected.keys() {
        assert_eq!(
            out.get(w),
            c.streams_store_get("word-count", "counts", w)
                .unwrap()
                .as_ref()
        );
    }
    assert_eq!(
        c.streams_state("word-count", "word-count-2"),
        Some(super::InstanceState::Running)
    );
}
