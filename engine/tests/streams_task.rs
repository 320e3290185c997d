//! One stream task, record by record: the record cache's effect on what is forwarded and
//! logged, a table's re-grouping (subtract from the old group, add to the new), skipped
//! records, restoration.

use std::sync::Arc;

use engine::scenario::ast::Pos;
use engine::streams::builder::build;
use engine::streams::cache::ThreadCache;
use engine::streams::dsl::{App, AppConfig, Chain, Operation, Start};
use engine::streams::expr::{BinOp, Expr, Var};
use engine::streams::task::{Effect, Input, StreamTask};
use engine::streams::topology::{TaskId, Topology};
use engine::streams::value::Val;

fn app(chains: Vec<(Start, Vec<Operation>)>) -> Arc<Topology> {
    let app = App {
        pos: Pos::default(),
        name: "app".to_string(),
        config: AppConfig::default(),
        chains: chains
            .into_iter()
            .map(|(start, ops)| Chain {
                pos: Pos::default(),
                start,
                ops: ops.into_iter().map(|o| (Pos::default(), o)).collect(),
            })
            .collect(),
    };
    Arc::new(build(&app).unwrap())
}

fn add(a: Expr, b: Expr) -> Expr {
    Expr::Binary(BinOp::Add, Box::new(a), Box::new(b))
}

fn input(topic: &str, offset: u64, key: Val, value: Val) -> Input<'_> {
    Input {
        topic,
        partition: 0,
        offset,
        timestamp: offset * 1000,
        key,
        value,
        old_value: None,
        now: 0,
    }
}

fn produced(effects: &[Effect], topic: &str) -> Vec<(Val, Val)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Produce {
                topic: t,
                key,
                value,
                ..
            } if &**t == topic => Some((key.clone(), value.clone())),
            _ => None,
        })
        .collect()
}

fn changelog_writes(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Changelog { .. }))
        .count()
}

fn sum_by_key() -> Arc<Topology> {
    app(vec![(
        Start::Stream(vec!["input".into()]),
        vec![
            Operation::GroupByKey,
            Operation::Reduce {
                adder: add(Expr::Var(Var::Agg), Expr::Var(Var::Value)),
                subtractor: None,
                store: Some("sums".into()),
            },
            Operation::ToStream,
            Operation::To("output".into()),
        ],
    )])
}

/// Kafka's "Record caches in the DSL" example
/// (https://kafka.apache.org/documentation/streams/developer-guide/memory-mgmt.html):
/// `<A,1>, <D,5>, <A,20>, <A,300>` summed by key. Without a cache every update of A goes
/// downstream (1, 21, 321); with one, nothing leaves before the commit and then a single 321.
#[test]
fn record_cache_compacts_updates_until_the_commit() {
    let topology = sum_by_key();
    let id = TaskId {
        subtopology: 0,
        partition: 0,
    };
    let records = [("A", 1), ("D", 5), ("A", 20), ("A", 300)];
    let a = Val::text("A");

    let mut no_cache = ThreadCache::new(0);
    let mut without = StreamTask::new(topology.clone(), id, &mut no_cache).unwrap();
    let mut out = Vec::new();
    for (i, (k, v)) in records.iter().enumerate() {
        without.process(
            &mut no_cache,
            input("input", i as u64, Val::text(k), Val::Int(*v)),
            &mut out,
        );
    }
    let for_a: Vec<Val> = produced(&out, "output")
        .into_iter()
        .filter(|(k, _)| *k == a)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(for_a, [Val::Int(1), Val::Int(21), Val::Int(321)]);
    assert_eq!(changelog_writes(&out), 4);

    let mut cache = ThreadCache::new(10 * 1024 * 1024);
    let mut with = StreamTask::new(topology, id, &mut cache).unwrap();
    let mut out = Vec::new();
    for (i, (k, v)) in records.iter().enumerate() {
        with.process(
            &mut cache,
            input("input", i as u64, Val::text(k), Val::Int(*v)),
            &mut out,
        );
    }
    assert!(
        out.is_empty(),
        "nothing leaves the cache before a commit: {out:?}"
    );
    with.commit(&mut cache, &mut out);
    let for_a: Vec<Val> = produced(&out, "output")
        .into_iter()
        .filter(|(k, _)| *k == a)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(for_a, [Val::Int(321)]);
    assert_eq!(changelog_writes(&out), 2);
    assert_eq!(
        with.store("sums").unwrap().get(&a).map(|(v, _)| v.clone()),
        Some(Val::Int(321))
    );
}

/// A full cache evicts its least recently used entry; a dirty eviction flushes the whole named
/// cache (`NamedCache.evict` → `flush`), so updates leave before the commit.
#[test]
fn a_small_cache_flushes_on_eviction() {
    let topology = sum_by_key();
    let id = TaskId {
        subtopology: 0,
        partition: 0,
    };
    // Room for about two entries.
    let mut cache = ThreadCache::new(150);
    let mut task = StreamTask::new(topology, id, &mut cache).unwrap();
    let mut out = Vec::new();
    for (i, k) in ["a", "b", "c", "d"].iter().enumerate() {
        task.process(
            &mut cache,
            input("input", i as u64, Val::text(k), Val::Int(1)),
            &mut out,
        );
    }
    assert!(cache.evictions > 0);
    assert!(cache.size_bytes() <= cache.max_bytes());
    assert!(!produced(&out, "output").is_empty());
}

/// `KGroupedTable.aggregate` with adder and subtractor: a user moving from one region to
/// another leaves the old region's count and joins the new one's (`KTableRepartitionMap` sends
/// the old pair and the new pair through the repartition topic).
#[test]
fn table_regrouping_subtracts_from_the_old_group() {
    let topology = app(vec![(
        Start::Table {
            topic: "users".into(),
            store: None,
        },
        vec![
            Operation::GroupBy {
                key: Expr::Var(Var::Value),
                value: None,
            },
            Operation::Count {
                store: Some("per-region".into()),
            },
            Operation::ToStream,
            Operation::To("region-counts".into()),
        ],
    )]);
    let mut cache = ThreadCache::new(0);
    let mut upstream = StreamTask::new(
        topology.clone(),
        TaskId {
            subtopology: 0,
            partition: 0,
        },
        &mut cache,
    )
    .unwrap();
    let mut downstream = StreamTask::new(
        topology.clone(),
        TaskId {
            subtopology: 1,
            partition: 0,
        },
        &mut cache,
    )
    .unwrap();
    let mut out = Vec::new();
    upstream.process(
        &mut cache,
        input("users", 0, Val::text("alice"), Val::text("europe")),
        &mut out,
    );
    upstream.process(
        &mut cache,
        input("users", 1, Val::text("bob"), Val::text("europe")),
        &mut out,
    );
    upstream.process(
        &mut cache,
        input("users", 2, Val::text("alice"), Val::text("asia")),
        &mut out,
    );
    let repartition = "app-per-region-repartition";
    let mut results = Vec::new();
    for (i, e) in out.iter().enumerate() {
        if let Effect::Produce {
            topic,
            key,
            value,
            old_value,
            timestamp,
            ..
        } = e
            && &**topic == repartition
        {
            let rec = Input {
                topic: repartition,
                partition: 0,
                offset: i as u64,
                timestamp: *timestamp,
                key: key.clone(),
                value: value.clone(),
                old_value: old_value.clone(),
                now: 0,
            };
            downstream.process(&mut cache, rec, &mut results);
        }
    }
    let counts = produced(&results, "region-counts");
    assert_eq!(
        counts,
        [
            (Val::text("europe"), Val::Int(1)),
            (Val::text("europe"), Val::Int(2)),
            (Val::text("europe"), Val::Int(1)),
            (Val::text("asia"), Val::Int(1)),
        ]
    );
}

/// A failing expression skips the record and counts it (LogAndContinue, KIP-1033); the next
/// record goes through.
#[test]
fn evaluation_errors_skip_and_count() {
    let topology = app(vec![(
        Start::Stream(vec!["in".into()]),
        vec![
            Operation::MapValues(Expr::Binary(
                BinOp::Mul,
                Box::new(Expr::Var(Var::Value)),
                Box::new(Expr::Lit(Val::Int(2))),
            )),
            Operation::To("out".into()),
        ],
    )]);
    let mut cache = ThreadCache::new(0);
    let mut task = StreamTask::new(
        topology,
        TaskId {
            subtopology: 0,
            partition: 0,
        },
        &mut cache,
    )
    .unwrap();
    let mut out = Vec::new();
    task.process(
        &mut cache,
        input("in", 0, Val::Null, Val::text("x")),
        &mut out,
    );
    task.process(&mut cache, input("in", 1, Val::Null, Val::Int(4)), &mut out);
    assert_eq!(task.processed, 2);
    assert_eq!(task.dropped, 1);
    assert!(matches!(&out[0], Effect::Skipped { offset: 0, .. }));
    assert_eq!(produced(&out, "out"), [(Val::Null, Val::Int(8))]);
}

/// Restoring from the changelog rebuilds the store: the next update continues from it.
#[test]
fn restored_store_continues_the_aggregate() {
    let topology = sum_by_key();
    let id = TaskId {
        subtopology: 0,
        partition: 0,
    };
    let mut cache = ThreadCache::new(0);
    let mut task = StreamTask::new(topology, id, &mut cache).unwrap();
    assert!(task.restore("sums", Val::text("A"), Val::Int(40), 0));
    let mut out = Vec::new();
    task.process(
        &mut cache,
        input("input", 5, Val::text("A"), Val::Int(2)),
        &mut out,
    );
    assert_eq!(produced(&out, "output"), [(Val::text("A"), Val::Int(42))]);
    assert_eq!(task.stream_time, Some(5000));
}

/// "Window Final Results" in the DSL guide
/// (https://kafka.apache.org/documentation/streams/developer-guide/dsl-api.html#window-final-results):
/// hourly windows with 10 minutes of grace, suppressed until the window closes: the 09:00–10:00
/// window's count leaves once, when stream time reaches 10:10, with its window on the key.
#[test]
fn suppressed_window_emits_its_final_count_when_grace_has_passed() {
    use engine::streams::dsl::WindowSpec;
    use engine::time::secs;
    let topology = app(vec![(
        Start::Stream(vec!["clicks".into()]),
        vec![
            Operation::GroupByKey,
            Operation::WindowedBy(WindowSpec::Tumbling {
                size: secs(3600),
                grace: secs(600),
            }),
            Operation::Count { store: None },
            Operation::SuppressUntilWindowCloses,
            Operation::ToStream,
            Operation::To("final-counts".into()),
        ],
    )]);
    let mut cache = ThreadCache::new(0);
    let id = TaskId {
        subtopology: 0,
        partition: 0,
    };
    let mut task = StreamTask::new(topology, id, &mut cache).unwrap();
    let at = |h: u64, m: u64| secs(h * 3600 + m * 60);
    let mut out = Vec::new();
    let records = [
        ("A", at(9, 0)),
        ("A", at(9, 30)),
        ("B", at(10, 5)),
        ("B", at(10, 10)),
    ];
    let mut emitted_at = Vec::new();
    for (i, (key, ts)) in records.into_iter().enumerate() {
        let before = out.len();
        let rec = Input {
            topic: "clicks",
            partition: 0,
            offset: i as u64,
            timestamp: ts,
            key: Val::text(key),
            value: Val::text("click"),
            old_value: None,
            now: 0,
        };
        task.process(&mut cache, rec, &mut out);
        if !produced(&out[before..], "final-counts").is_empty() {
            emitted_at.push(i);
        }
    }
    // Only the record at 10:10 closes the 09:00 window.
    assert_eq!(emitted_at, [3]);
    let finals: Vec<_> = out
        .iter()
        .filter_map(|e| match e {
            Effect::Produce {
                key, value, window, ..
            } => Some((key.clone(), value.clone(), *window)),
            _ => None,
        })
        .collect();
    let hour = 3_600_000;
    assert_eq!(
        finals,
        [(
            Val::text("A"),
            Val::Int(2),
            Some(engine::streams::window::Window::new(9 * hour, 10 * hour))
        )]
    );
    // Every count update was logged to the window store's changelog.
    assert_eq!(changelog_writes(&out), 4);
}

/// A stream–table join in one task: the table's updates fill its store (nothing is emitted),
/// a stream record looks the table up as it is then; an inner join drops a miss.
#[test]
fn stream_table_join_looks_up_the_table_as_it_is_now() {
    use engine::streams::dsl::JoinKind;
    let topology = app(vec![
        (
            Start::Table {
                topic: "users".into(),
                store: None,
            },
            vec![Operation::As("users".into())],
        ),
        (
            Start::Stream(vec!["clicks".into()]),
            vec![
                Operation::Join {
                    other: "users".into(),
                    kind: JoinKind::Inner,
                    window: None,
                    key: None,
                    joiner: add(Expr::Var(Var::Left), Expr::Var(Var::Right)),
                },
                Operation::To("enriched".into()),
            ],
        ),
    ]);
    let mut cache = ThreadCache::new(0);
    let id = TaskId {
        subtopology: 0,
        partition: 0,
    };
    let mut task = StreamTask::new(topology, id, &mut cache).unwrap();
    let mut out = Vec::new();
    let alice = Val::text("alice");
    task.process(
        &mut cache,
        input("clicks", 0, alice.clone(), Val::text("c1@")),
        &mut out,
    );
    task.process(
        &mut cache,
        input("users", 1, alice.clone(), Val::text("paris")),
        &mut out,
    );
    task.process(
        &mut cache,
        input("clicks", 2, alice.clone(), Val::text("c2@")),
        &mut out,
    );
    task.process(
        &mut cache,
        input("users", 3, alice.clone(), Val::text("rome")),
        &mut out,
    );
    task.process(
        &mut cache,
        input("clicks", 4, alice.clone(), Val::text("c3@")),
        &mut out,
    );
    assert_eq!(
        produced(&out, "enriched"),
        [
            (alice.clone(), Val::text("c2@paris")),
            (alice, Val::text("c3@rome"))
        ]
    );
}
