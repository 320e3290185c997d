//! The topology builder against the text Kafka's own tests and docs print for the same DSL
//! calls (`Topology.describe()`), and the internal topics, sub-topologies and tasks it derives.

use engine::scenario::ast::Pos;
use engine::streams::builder::build;
use engine::streams::dsl::{App, AppConfig, Chain, Operation, Start};
use engine::streams::expr::{Expr, Var};
use engine::streams::topology::{InternalTopicKind, TaskId};
use engine::streams::value::Val;

fn app(name: &str, chains: Vec<(Start, Vec<Operation>)>) -> App {
    App {
        pos: Pos::default(),
        name: name.to_string(),
        config: AppConfig::default(),
        chains: chains
            .into_iter()
            .map(|(start, ops)| Chain {
                pos: Pos::default(),
                start,
                ops: ops.into_iter().map(|o| (Pos::default(), o)).collect(),
            })
            .collect(),
    }
}

fn value() -> Expr {
    Expr::Var(Var::Value)
}

/// `TopologyTest.tableAnonymousCountShouldPreserveTopologyStructure`: `builder.table("input-topic")
/// .groupBy((key, value) -> null).count()` (the source table's store takes index 0 and is
/// materialized because groupBy needs old values).
#[test]
fn table_group_by_count_matches_kafkas_topology_test() {
    let a = app(
        "test",
        vec![(
            Start::Table {
                topic: "input-topic".into(),
                store: None,
            },
            vec![
                Operation::GroupBy {
                    key: Expr::Lit(Val::Null),
                    value: None,
                },
                Operation::Count { store: None },
            ],
        )],
    );
    let t = build(&a).unwrap();
    assert_eq!(
        t.describe(),
        "Topologies:\n\
         \x20  Sub-topology: 0\n\
         \x20   Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic])\n\
         \x20     --> KTABLE-SOURCE-0000000002\n\
         \x20   Processor: KTABLE-SOURCE-0000000002 (stores: [input-topic-STATE-STORE-0000000000])\n\
         \x20     --> KTABLE-SELECT-0000000003\n\
         \x20     <-- KSTREAM-SOURCE-0000000001\n\
         \x20   Processor: KTABLE-SELECT-0000000003 (stores: [])\n\
         \x20     --> KSTREAM-SINK-0000000005\n\
         \x20     <-- KTABLE-SOURCE-0000000002\n\
         \x20   Sink: KSTREAM-SINK-0000000005 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition)\n\
         \x20     <-- KTABLE-SELECT-0000000003\n\
         \n\
         \x20 Sub-topology: 1\n\
         \x20   Source: KSTREAM-SOURCE-0000000006 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition])\n\
         \x20     --> KTABLE-AGGREGATE-0000000007\n\
         \x20   Processor: KTABLE-AGGREGATE-0000000007 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000004])\n\
         \x20     --> none\n\
         \x20     <-- KSTREAM-SOURCE-0000000006\n\
         \n"
    );
    // Both stores log to compacted changelogs; the repartition topic carries the app id.
    let names: Vec<(&str, InternalTopicKind)> = t
        .internal_topics
        .iter()
        .map(|i| (i.name.as_str(), i.kind))
        .collect();
    assert!(names.contains(&(
        "test-KTABLE-AGGREGATE-STATE-STORE-0000000004-repartition",
        InternalTopicKind::Repartition
    )));
    assert!(names.contains(&(
        "test-input-topic-STATE-STORE-0000000000-changelog",
        InternalTopicKind::Changelog
    )));
}

/// The docs' "Naming Operators in a Streams DSL application" page
/// (https://kafka.apache.org/documentation/streams/developer-guide/dsl-topology-naming.html):
/// a filter before `groupByKey().count(Materialized.as("Purchase_count_store"))` — a named store
/// burns no index, and without a key change there is no repartition.
#[test]
fn named_store_keeps_its_name_as_in_kafkas_naming_docs() {
    let a = app(
        "purchases",
        vec![(
            Start::Stream(vec!["input".into()]),
            vec![
                Operation::Filter(Expr::Lit(Val::Bool(true))),
                Operation::GroupByKey,
                Operation::Count {
                    store: Some("Purchase_count_store".into()),
                },
                Operation::ToStream,
                Operation::To("output".into()),
            ],
        )],
    );
    let t = build(&a).unwrap();
    assert_eq!(
        t.describe(),
        "Topologies:\n\
         \x20  Sub-topology: 0\n\
         \x20   Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n\
         \x20     --> KSTREAM-FILTER-0000000001\n\
         \x20   Processor: KSTREAM-FILTER-0000000001 (stores: [])\n\
         \x20     --> KSTREAM-AGGREGATE-0000000002\n\
         \x20     <-- KSTREAM-SOURCE-0000000000\n\
         \x20   Processor: KSTREAM-AGGREGATE-0000000002 (stores: [Purchase_count_store])\n\
         \x20     --> KTABLE-TOSTREAM-0000000003\n\
         \x20     <-- KSTREAM-FILTER-0000000001\n\
         \x20   Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n\
         \x20     --> KSTREAM-SINK-0000000004\n\
         \x20     <-- KSTREAM-AGGREGATE-0000000002\n\
         \x20   Sink: KSTREAM-SINK-0000000004 (topic: output)\n\
         \x20     <-- KTABLE-TOSTREAM-0000000003\n\
         \n"
    );
    assert_eq!(t.subtopologies.len(), 1);
    assert_eq!(
        t.store("Purchase_count_store")
            .unwrap()
            .changelog
            .as_deref(),
        Some("purchases-Purchase_count_store-changelog")
    );
}

fn word_count(store: Option<&str>) -> App {
    app(
        "word-count",
        vec![(
            Start::Stream(vec!["text-lines".into()]),
            vec![
                Operation::FlatMapValues(value()),
                Operation::GroupBy {
                    key: value(),
                    value: None,
                },
                Operation::Count {
                    store: store.map(str::to_string),
                },
                Operation::ToStream,
                Operation::To("word-counts".into()),
            ],
        )],
    )
}

/// Kafka's WordCountDemo (`count()` without a store name): the store takes index 3, the
/// aggregate 4, the repartition's sink, filter and source 5, 6 and 7 (the docs' naming page
/// shows the same numbering for `selectKey().groupByKey().count()`).
#[test]
fn word_count_demo_splits_at_the_repartition_topic() {
    let t = build(&word_count(None)).unwrap();
    let text = t.describe();
    assert!(text.contains(
        "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n\
         \x20     --> KSTREAM-FILTER-0000000006\n\
         \x20     <-- KSTREAM-FLATMAPVALUES-0000000001\n"
    ));
    assert!(text.contains(
        "    Sink: KSTREAM-SINK-0000000005 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition)\n"
    ));
    assert!(text.contains(
        "  Sub-topology: 1\n\
         \x20   Source: KSTREAM-SOURCE-0000000007 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition])\n\
         \x20     --> KSTREAM-AGGREGATE-0000000004\n"
    ));
    assert!(text.contains("    Sink: KSTREAM-SINK-0000000009 (topic: word-counts)\n"));
}

/// A named store names the repartition topic and its nodes (`<store>-repartition-sink` …),
/// the changelog, and the tasks follow the input's partitions.
#[test]
fn named_word_count_topics_and_tasks() {
    let t = build(&word_count(Some("counts"))).unwrap();
    let text = t.describe();
    assert!(text.contains("    Sink: counts-repartition-sink (topic: counts-repartition)\n"));
    assert!(text.contains(
        "    Source: counts-repartition-source (topics: [counts-repartition])\n\
         \x20     --> KSTREAM-AGGREGATE-0000000003\n"
    ));
    let topics: Vec<&str> = t.internal_topics.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        topics,
        [
            "word-count-counts-repartition",
            "word-count-counts-changelog"
        ]
    );
    assert_eq!(t.subtopologies.len(), 2);
    assert_eq!(t.subtopologies[0].source_topics, ["text-lines"]);
    assert_eq!(
        t.subtopologies[1].source_topics,
        ["word-count-counts-repartition"]
    );
    assert_eq!(t.subtopologies[1].stores, ["counts"]);
    // text-lines has 3 partitions: the repartition topic takes 3 too, 6 tasks in all.
    let tasks = t.tasks(|topic| (topic == "text-lines").then_some(3));
    let names: Vec<String> = tasks.iter().map(TaskId::to_string).collect();
    assert_eq!(names, ["0_0", "0_1", "0_2", "1_0", "1_1", "1_2"]);
}

/// `split` with named branches (`Branched.as`) and `merge`: one index for the splitter, one
/// per branch, children named splitter + branch name; the merge joins both branches.
#[test]
fn split_and_merge_name_nodes_as_branched_kstream_does() {
    let a = app(
        "shop",
        vec![
            (
                Start::Stream(vec!["orders".into()]),
                vec![Operation::Split {
                    branches: vec![("big".into(), Expr::Lit(Val::Bool(true)))],
                    default: Some("rest".into()),
                }],
            ),
            (
                Start::From("big".into()),
                vec![Operation::Merge("rest".into()), Operation::To("all".into())],
            ),
        ],
    );
    let t = build(&a).unwrap();
    let names: Vec<&str> = t.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "KSTREAM-SOURCE-0000000000",
            "KSTREAM-BRANCH-0000000001",
            "KSTREAM-BRANCH-0000000001big",
            "KSTREAM-BRANCH-0000000001rest",
            "KSTREAM-MERGE-0000000004",
            "KSTREAM-SINK-0000000005",
        ]
    );
    assert!(t.describe().contains(
        "    Processor: KSTREAM-BRANCH-0000000001 (stores: [])\n\
         \x20     --> KSTREAM-BRANCH-0000000001big, KSTREAM-BRANCH-0000000001rest\n"
    ));
}

/// `TopologyTest.streamStreamJoinTopologyWithDefaultStoresNames`: a windowed node per side,
/// JOINTHIS/JOINOTHER each reading the other's store, the merge; the merge's predecessors print
/// in the order Kafka's size-ordered sets end up in (JOINTHIS first).
#[test]
fn stream_stream_join_matches_kafkas_topology_test() {
    use engine::streams::dsl::{JoinKind, JoinWindow};
    let a = app(
        "joins",
        vec![
            (
                Start::Stream(vec!["input-topic1".into()]),
                vec![Operation::As("one".into())],
            ),
            (
                Start::Stream(vec!["input-topic2".into()]),
                vec![Operation::As("two".into())],
            ),
            (
                Start::From("one".into()),
                vec![Operation::Join {
                    other: "two".into(),
                    kind: JoinKind::Inner,
                    window: Some(JoinWindow {
                        difference: engine::time::ms(100),
                        grace: 0,
                    }),
                    key: None,
                    joiner: value(),
                }],
            ),
        ],
    );
    let t = build(&a).unwrap();
    assert_eq!(
        t.describe(),
        "Topologies:\n\
         \x20  Sub-topology: 0\n\
         \x20   Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic1])\n\
         \x20     --> KSTREAM-WINDOWED-0000000002\n\
         \x20   Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic2])\n\
         \x20     --> KSTREAM-WINDOWED-0000000003\n\
         \x20   Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n\
         \x20     --> KSTREAM-JOINTHIS-0000000004\n\
         \x20     <-- KSTREAM-SOURCE-0000000000\n\
         \x20   Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n\
         \x20     --> KSTREAM-JOINOTHER-0000000005\n\
         \x20     <-- KSTREAM-SOURCE-0000000001\n\
         \x20   Processor: KSTREAM-JOINOTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n\
         \x20     --> KSTREAM-MERGE-0000000006\n\
         \x20     <-- KSTREAM-WINDOWED-0000000003\n\
         \x20   Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n\
         \x20     --> KSTREAM-MERGE-0000000006\n\
         \x20     <-- KSTREAM-WINDOWED-0000000002\n\
         \x20   Processor: KSTREAM-MERGE-0000000006 (stores: [])\n\
         \x20     --> none\n\
         \x20     <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-JOINOTHER-0000000005\n\
         \n"
    );
    assert_eq!(
        t.copartition_groups,
        [vec!["input-topic1".to_string(), "input-topic2".to_string()]]
    );
    let changelogs: Vec<&str> = t.internal_topics.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        changelogs,
        [
            "joins-KSTREAM-JOINTHIS-0000000004-store-changelog",
            "joins-KSTREAM-JOINOTHER-0000000005-store-changelog"
        ]
    );
}

/// `StreamsBuilderTest.shouldAllowJoinUnmaterializedFilteredKTable`: joining a filtered table
/// materializes the source table's store (the filter reads through it) and connects the join
/// to that store only; the table's and the stream's topics are co-partitioned.
#[test]
fn stream_table_join_reads_the_source_tables_store() {
    use engine::streams::dsl::JoinKind;
    let a = app(
        "enrich",
        vec![
            (
                Start::Table {
                    topic: "table-topic".into(),
                    store: None,
                },
                vec![
                    Operation::Filter(Expr::Lit(Val::Bool(true))),
                    Operation::As("users".into()),
                ],
            ),
            (
                Start::Stream(vec!["stream-topic".into()]),
                vec![Operation::Join {
                    other: "users".into(),
                    kind: JoinKind::Inner,
                    window: None,
                    key: None,
                    joiner: value(),
                }],
            ),
        ],
    );
    let t = build(&a).unwrap();
    assert_eq!(t.stores.len(), 1);
    let join = &t.nodes[t.node("KSTREAM-JOIN-0000000005").unwrap()];
    assert_eq!(join.stores, [t.stores[0].name.clone()]);
    let filter = &t.nodes[t.node("KTABLE-FILTER-0000000003").unwrap()];
    assert!(filter.stores.is_empty());
    assert_eq!(t.subtopologies.len(), 1);
    assert_eq!(
        t.copartition_groups,
        [vec!["stream-topic".to_string(), "table-topic".to_string()]]
    );
}
