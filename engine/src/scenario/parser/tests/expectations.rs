//! Tests of `expect` lines: the group metrics and Kafka's metrics with their tags.

use super::{group_error, last, tp};
use crate::scenario::ast::{Action, Metric, Op, Value};

#[test]
fn group_metrics() {
    let setup = "group add g topics=orders,payments consumers=2\n";
    let expect = |line: &str| match last(&format!("{setup}expect {line}")) {
        Action::Expect(e) => (e.metric, e.op, e.value),
        other => panic!("{line}: {other:?}"),
    };
    let g = || "g".to_string();
    let names = |v: &[&str]| Value::Names(v.iter().map(|n| n.to_string()).collect());
    let cases = [
        (
            "members g == g-2,g-1",
            (Metric::Members(g()), Op::Eq, names(&["g-2", "g-1"])),
        ),
        (
            "members g == none",
            (Metric::Members(g()), Op::Eq, Value::None),
        ),
        (
            "state g != PreparingRebalance",
            (
                Metric::State(g()),
                Op::Ne,
                Value::Word("PreparingRebalance".into()),
            ),
        ),
        (
            "generation g >= 2",
            (Metric::Generation(g()), Op::Ge, Value::Int(2)),
        ),
        (
            "assigned g g-1 == orders/0,payments/1",
            (
                Metric::Assigned {
                    group: g(),
                    member: "g-1".into(),
                },
                Op::Eq,
                Value::Partitions(vec![tp("orders", 0), tp("payments", 1)]),
            ),
        ),
        (
            "assigned g g-2 == none",
            (
                Metric::Assigned {
                    group: g(),
                    member: "g-2".into(),
                },
                Op::Eq,
                Value::None,
            ),
        ),
        (
            "assigned-count g g-2 < 3",
            (
                Metric::AssignedCount {
                    group: g(),
                    member: "g-2".into(),
                },
                Op::Lt,
                Value::Int(3),
            ),
        ),
        (
            "owner g orders/2 == g-1",
            (
                Metric::Owner {
                    group: g(),
                    tp: tp("orders", 2),
                },
                Op::Eq,
                Value::Word("g-1".into()),
            ),
        ),
        (
            "owner g orders/2 == none",
            (
                Metric::Owner {
                    group: g(),
                    tp: tp("orders", 2),
                },
                Op::Eq,
                Value::None,
            ),
        ),
        (
            "committed g orders/1 == none",
            (
                Metric::Committed {
                    group: g(),
                    tp: tp("orders", 1),
                },
                Op::Eq,
                Value::None,
            ),
        ),
        (
            "committed g orders/1 > 5",
            (
                Metric::Committed {
                    group: g(),
                    tp: tp("orders", 1),
                },
                Op::Gt,
                Value::Int(5),
            ),
        ),
        (
            "lag g == 0",
            (
                Metric::Lag {
                    group: g(),
                    tp: None,
                },
                Op::Eq,
                Value::Int(0),
            ),
        ),
        (
            "lag g payments/0 <= none",
            (
                Metric::Lag {
                    group: g(),
                    tp: Some(tp("payments", 0)),
                },
                Op::Le,
                Value::None,
            ),
        ),
        (
            "consumed g > 10",
            (
                Metric::Consumed {
                    group: g(),
                    tp: None,
                },
                Op::Gt,
                Value::Int(10),
            ),
        ),
        (
            "duplicates g == 0",
            (Metric::Duplicates(g()), Op::Eq, Value::Int(0)),
        ),
        (
            "consumed g orders/0 == 4",
            (
                Metric::Consumed {
                    group: g(),
                    tp: Some(tp("orders", 0)),
                },
                Op::Eq,
                Value::Int(4),
            ),
        ),
        (
            "coordinator g == 2",
            (Metric::Coordinator(g()), Op::Eq, Value::Int(2)),
        ),
        (
            "coordinator g == none",
            (Metric::Coordinator(g()), Op::Eq, Value::None),
        ),
    ];
    for (line, want) in cases {
        assert_eq!(expect(line), want, "{line}");
    }
}

#[test]
fn kafka_metrics_with_their_tags() {
    use crate::metrics::{Name, Scope};
    let g = "group add billing topics=orders consumers=2\nproducer add shop topic=orders\n";
    let metric = |line: &str| match last(&format!("{g}{line}")) {
        Action::Expect(e) => (e.metric, e.op, e.value),
        other => panic!("{line}: {other:?}"),
    };
    let kafka = |name, scope| Metric::Kafka { name, scope };
    assert_eq!(
        metric("expect metric UnderReplicatedPartitions == 2"),
        (
            kafka(Name::UnderReplicatedPartitions, Scope::Cluster),
            Op::Eq,
            Value::Int(2)
        )
    );
    assert_eq!(
        metric("expect metric UnderReplicatedPartitions broker=2 <= 1").0,
        kafka(Name::UnderReplicatedPartitions, Scope::Broker(2))
    );
    assert_eq!(
        metric("expect metric record-send-rate producer=shop >= 90").0,
        kafka(Name::RecordSendRate, Scope::Producer("shop".into()))
    );
    assert_eq!(
        metric("expect metric records-lag-max group=billing == none"),
        (
            kafka(Name::RecordsLagMax, Scope::Group("billing".into())),
            Op::Eq,
            Value::None
        )
    );
    assert_eq!(
        metric("expect metric MessagesInPerSec topic=orders > 0").0,
        kafka(Name::MessagesInPerSec, Scope::Topic("orders".into()))
    );
    let cases: &[(&str, &str)] = &[
        (
            "expect metric UnderReplicatedPartition == 0",
            "g.scenario:6:15: unknown Kafka metric 'UnderReplicatedPartition' (did you mean 'UnderReplicatedPartitions'?)",
        ),
        (
            "expect metric OfflinePartitionsCount broker=1 == 0",
            "g.scenario:6:38: 'OfflinePartitionsCount' has no scope 'broker=' (its scopes: no tag (the whole cluster))",
        ),
        (
            "expect metric UnderReplicatedPartitions broker=4 == 0",
            "g.scenario:6:48: there is no broker 4 (the cluster has brokers 1..3)",
        ),
        (
            "expect metric record-send-rate producer=shp == 0",
            "g.scenario:6:41: unknown producer 'shp' (did you mean 'shop'?)",
        ),
        (
            "expect metric rebalance-total == 1",
            "g.scenario:6:36: 'rebalance-total' is a per-consumer metric: add consumer=NAME",
        ),
    ];
    for (line, want) in cases {
        assert_eq!(group_error(&format!("{g}{line}")), *want, "{line}");
    }
}
