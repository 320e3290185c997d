//! The parser's tests of whole lines: consumer groups and consumers, `topic delete`, error
//! positions and hints, and how a file recovers from a failed line.

use super::{ConsumerInfo, Context, GroupInfo, parse, parse_line};
use crate::command::{Command, ConsumerSpec, GroupSpec, OffsetReset, Rate, TopicPartition};
use crate::group::assignor::AssignorKind;
use crate::scenario::ast::Action;

const GROUP_SETUP: &str = "brokers 3\ntopic create orders partitions=3 replication=2\ntopic create payments partitions=2 replication=1\n";

/// The steps of `GROUP_SETUP` + `body`, after the setup's two topics.
fn group_steps(body: &str) -> Vec<Action> {
    match parse("g.scenario", &format!("{GROUP_SETUP}{body}")) {
        Ok(script) => script.steps.into_iter().skip(3).map(|s| s.action).collect(),
        Err(e) => panic!("{body:?}: {e:?}"),
    }
}

/// The action of the last line of `body`.
fn last(body: &str) -> Action {
    group_steps(body).pop().unwrap_or(Action::Pause)
}

/// The errors of `GROUP_SETUP` + `body` (the body starts on line 4).
fn group_errors(body: &str) -> Vec<String> {
    match parse("g.scenario", &format!("{GROUP_SETUP}{body}")) {
        Ok(_) => panic!("{body:?} parsed but should not"),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

fn group_error(body: &str) -> String {
    let mut all = group_errors(body);
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn tp(topic: &str, partition: u32) -> TopicPartition {
    TopicPartition {
        topic: topic.into(),
        partition,
    }
}

fn spec(name: &str, topics: &[&str]) -> GroupSpec {
    GroupSpec {
        name: name.into(),
        topics: topics.iter().map(|t| t.to_string()).collect(),
        consumers: None,
        assignor: None,
        offset_reset: None,
        session_timeout: None,
        heartbeat_interval: None,
        max_poll_interval: None,
        auto_commit_interval: None,
        rate: None,
    }
}

#[test]
fn group_add_forms() {
    assert_eq!(
        last("group add g topics=orders"),
        Action::Cluster(Command::GroupAdd(spec("g", &["orders"])))
    );
    assert_eq!(
        last(
            "group add g topics=orders,payments consumers=3 assignor=cooperative-sticky \
             offset-reset=earliest session-timeout=10s heartbeat=1s max-poll-interval=1m \
             auto-commit=500ms rate=5/s"
        ),
        Action::Cluster(Command::GroupAdd(GroupSpec {
            consumers: Some(3),
            assignor: Some(AssignorKind::CooperativeSticky),
            offset_reset: Some(OffsetReset::Earliest),
            session_timeout: Some(10_000_000),
            heartbeat_interval: Some(1_000_000),
            max_poll_interval: Some(60_000_000),
            auto_commit_interval: Some(500_000),
            rate: Some(Rate::per_second(5)),
            ..spec("g", &["orders", "payments"])
        }))
    );
    for (word, kind) in [
        ("range", AssignorKind::Range),
        ("roundrobin", AssignorKind::RoundRobin),
        ("sticky", AssignorKind::Sticky),
    ] {
        let Action::Cluster(Command::GroupAdd(g)) =
            last(&format!("group add g topics=orders assignor={word}"))
        else {
            panic!("{word}");
        };
        assert_eq!(g.assignor, Some(kind));
    }
    let Action::Cluster(Command::GroupAdd(g)) =
        last("group add g topics=orders consumers=0 offset-reset=latest")
    else {
        panic!("consumers=0");
    };
    assert_eq!(
        (g.consumers, g.offset_reset),
        (Some(0), Some(OffsetReset::Latest))
    );
}

#[test]
fn group_delete() {
    let steps = group_steps("group add g topics=orders\ngroup delete g");
    assert_eq!(
        steps[1],
        Action::Cluster(Command::GroupDelete { name: "g".into() })
    );
    let e = group_error("group add g topics=orders\ngroup delete h");
    assert!(e.contains("unknown group 'h'"), "{e}");
    // A sink connector's group outlives the connector; it can be deleted like any group.
    let step = last(
        "system file out.txt\nworker add w1\n\
         connector create out worker=w1 connector.class=FileStreamSink topics=orders file=out.txt\n\
         connector delete out\ngroup delete connect-out",
    );
    assert_eq!(
        step,
        Action::Cluster(Command::GroupDelete {
            name: "connect-out".into()
        })
    );
}

#[test]
fn consumer_commands() {
    let steps = group_steps(
        "group add g topics=orders consumers=2\n\
         consumer add c1 group=g\n\
         consumer add c2 group=g topics=orders,payments rate=300/m\n\
         consumer stall g-1\n\
         consumer resume g-1\n\
         consumer rate g-2 10/s\n\
         consumer stop c1\n\
         at 5s consumer crash g-2",
    );
    let name = |n: &str| n.to_string();
    assert_eq!(
        steps[1..],
        [
            Action::Cluster(Command::ConsumerAdd(ConsumerSpec {
                name: name("c1"),
                group: name("g"),
                topics: None,
                rate: None,
            })),
            Action::Cluster(Command::ConsumerAdd(ConsumerSpec {
                name: name("c2"),
                group: name("g"),
                topics: Some(vec![name("orders"), name("payments")]),
                rate: Some(Rate::per_minute(300)),
            })),
            Action::Cluster(Command::ConsumerStall { name: name("g-1") }),
            Action::Cluster(Command::ConsumerResume { name: name("g-1") }),
            Action::Cluster(Command::ConsumerRate {
                name: name("g-2"),
                rate: Rate::per_second(10),
            }),
            Action::Cluster(Command::ConsumerStop { name: name("c1") }),
            Action::Cluster(Command::ConsumerCrash { name: name("g-2") }),
        ]
    );
}

#[test]
fn topic_delete_removes_the_topic_until_it_is_created_again() {
    let steps = group_steps(
        "topic delete orders\ntopic create orders partitions=1 replication=1\nproducer add p topic=orders",
    );
    assert_eq!(
        steps[0],
        Action::Cluster(Command::TopicDelete {
            name: "orders".into()
        })
    );
    assert_eq!(steps.len(), 3);
    let e = group_error("topic delete orders\nproducer add p topic=orders");
    assert_eq!(
        e,
        "g.scenario:5:22: topic 'orders' was deleted (an earlier 'topic delete' removed it; \
         'topic create' makes it again)"
    );
    let e = group_error("topic delete orders\ngroup add g topics=payments,orders");
    assert!(e.starts_with("g.scenario:5:"), "{e}");
    assert!(e.contains("topic 'orders' was deleted"), "{e}");
    let e = group_error("topic delete ordrs");
    assert_eq!(
        e,
        "g.scenario:4:14: unknown topic 'ordrs' (did you mean 'orders'?)"
    );
    let e = group_error("topic delete __consumer_offsets");
    assert!(
        e.starts_with("g.scenario:4:14: '__consumer_offsets' is one of Kafka's internal topics"),
        "{e}"
    );
    let e = group_error("topic delete orders payments");
    assert!(e.starts_with("g.scenario:4:21:"), "{e}");
    let e =
        group_error("streams app wc\n  stream orders\n  to payments\nend\ntopic delete payments");
    assert!(e.contains("used by the Streams application 'wc'"), "{e}");
}

#[test]
fn group_errors_point_at_the_word_with_a_hint() {
    let g = "group add billing topics=orders consumers=2\n";
    let cases: &[(&str, &str)] = &[
        (
            "group add g topics=ordrs",
            "g.scenario:4:20: unknown topic 'ordrs' (did you mean 'orders'?)",
        ),
        (
            "group add g consumers=2",
            "g.scenario:4:25: missing option topics= (e.g. group add g topics=orders consumers=2)",
        ),
        (
            "group add g topics=orders assignor=roundrobbin",
            "g.scenario:4:36: unknown assignor 'roundrobbin' (did you mean 'roundrobin'?)",
        ),
        (
            "group add g topics=orders offset-reset=earliset",
            "g.scenario:4:40: unexpected value 'earliset' (did you mean 'earliest'?)",
        ),
        (
            "group add g topics=orders heartbeat=10s session-timeout=10s",
            "g.scenario:4:37: the heartbeat interval 10s is not shorter than the session timeout 10s (Kafka requires heartbeat.interval.ms lower than session.timeout.ms, typically a third of it)",
        ),
        (
            "group add g topics=orders heartbeat=1m",
            "g.scenario:4:37: the heartbeat interval 1m is not shorter than the default session timeout 45s (Kafka requires heartbeat.interval.ms lower than session.timeout.ms, typically a third of it)",
        ),
        (
            "group add g topics=orders session-timeout=5s",
            "g.scenario:4:43: the session timeout 5s is too short (the broker accepts 6s to 30m: group.min.session.timeout.ms to group.max.session.timeout.ms)",
        ),
        (
            "group add g topics=orders session-timeout=31m",
            "g.scenario:4:43: the session timeout 31m is too long (the broker accepts 6s to 30m: group.min.session.timeout.ms to group.max.session.timeout.ms)",
        ),
        (
            "group add g topics=orders auto-commit=0s",
            "g.scenario:4:39: auto-commit must be longer than 0",
        ),
        (
            "group add g topics=orders rate=0/s",
            "g.scenario:4:32: a processing rate must be above zero (to stop processing, use 'consumer stall NAME')",
        ),
        (
            "group add g topics=orders,orders",
            "g.scenario:4:27: topic 'orders' is listed twice",
        ),
        (
            "group add g topics=orders consumers=257",
            "g.scenario:4:37: at most 256 consumers in a cluster (0 already started, stopped and crashed ones included)",
        ),
        (
            "consumer add c1 group=bilings",
            "g.scenario:5:23: unknown group 'bilings' (did you mean 'billing'?)",
        ),
        (
            "consumer add billing-1 group=billing",
            "g.scenario:5:14: consumer 'billing-1' already exists (consumer names are never reused, even after stop or crash)",
        ),
        (
            "consumer add a,b group=billing",
            "g.scenario:5:15: ',' is not allowed in a consumer name (lists of members are comma-separated)",
        ),
        (
            "consumer add c1",
            "g.scenario:5:17: missing option group= (e.g. consumer add c1 group=g)",
        ),
        (
            "consumer add billing-3 group=billing\ngroup add billing topics=orders",
            "g.scenario:6:11: group 'billing' already exists",
        ),
        (
            "consumer add x-2 group=billing\ngroup add x topics=orders consumers=3",
            "g.scenario:6:11: consumer 'x-2' already exists (the consumers of group 'x' are named x-1, x-2, …; choose another group name)",
        ),
        (
            "consumer stop billing-9",
            "g.scenario:5:15: unknown consumer 'billing-9' (did you mean 'billing-1'?)",
        ),
        (
            "consumer crash billing-1\nconsumer stop billing-1",
            "g.scenario:6:15: consumer 'billing-1' has already stopped or crashed (consumer names are never reused: add a new one with 'consumer add')",
        ),
        (
            "consumer stall billing-1\nconsumer stall billing-1",
            "g.scenario:6:16: consumer 'billing-1' is already stalled (resume it with 'consumer resume billing-1')",
        ),
        (
            "consumer resume billing-1",
            "g.scenario:5:17: consumer 'billing-1' is not stalled (stall it first with 'consumer stall billing-1')",
        ),
        (
            "consumer rate billing-1 0/s",
            "g.scenario:5:25: a processing rate must be above zero (to stop processing, use 'consumer stall NAME')",
        ),
        (
            "consumer join billing-1",
            "g.scenario:5:10: unknown command 'consumer join' ('consumer' is followed by add, stop, crash, stall, resume, rate, restart)",
        ),
        (
            "expect members biling == none",
            "g.scenario:5:16: unknown group 'biling' (did you mean 'billing'?)",
        ),
        (
            "expect state billing == stable",
            "g.scenario:5:25: unknown group state 'stable' (did you mean 'Stable'?)",
        ),
        (
            "expect state billing == Running",
            "g.scenario:5:25: unknown group state 'Running' (the states are Empty, PreparingRebalance, CompletingRebalance, Stable, Dead)",
        ),
        (
            "expect state billing < Stable",
            "g.scenario:5:22: 'state' can only be compared with == or !=",
        ),
        (
            "expect assigned billing billing-3 == none",
            "g.scenario:5:25: unknown consumer 'billing-3' in group 'billing' (did you mean 'billing-1'?)",
        ),
        (
            "expect assigned-count billing c9 == 0",
            "g.scenario:5:31: unknown consumer 'c9' in group 'billing' (the consumers of 'billing' are billing-1, billing-2)",
        ),
        (
            "expect assigned billing billing-1 == orders/3",
            "g.scenario:5:45: topic 'orders' has no partition 3 (its partitions are orders/0 … orders/2)",
        ),
        (
            "expect members billing == billing-1,bling-2",
            "g.scenario:5:37: unknown consumer 'bling-2' in group 'billing' (did you mean 'billing-2'?)",
        ),
        (
            "expect owner billing orders/0 == c1",
            "g.scenario:5:34: unknown consumer 'c1' in group 'billing' (the consumers of 'billing' are billing-1, billing-2)",
        ),
        (
            "expect lag billing orders == 0",
            "g.scenario:5:20: expected a partition TOPIC/N, found 'orders' (e.g. orders/0)",
        ),
        (
            "expect committed billing orders/0 == x",
            "g.scenario:5:38: expected a number or none for 'committed', found 'x'",
        ),
        (
            "expect membrs billing == none",
            "g.scenario:5:8: unknown metric 'membrs' (did you mean 'members'?)",
        ),
    ];
    for (body, want) in cases {
        let body = if body.starts_with("group add") {
            body.to_string()
        } else {
            format!("{g}{body}")
        };
        assert_eq!(group_error(&body), *want, "{body}");
    }
    // A Streams application's group (its application.id) can be read, not joined by a plain consumer.
    let app = "streams app split\n  stream orders\n  to orders\nend\n";
    assert!(parse("g.scenario", &format!("{GROUP_SETUP}{app}expect lag split == 0\nexpect state split == Stable\nfocus group split")).is_ok());
    assert_eq!(
        group_error(&format!("{app}consumer add c9 group=split")),
        "g.scenario:8:23: unknown group 'split' (add it first with 'group add G topics=T')"
    );
    assert_eq!(
        group_error("expect members g == none"),
        "g.scenario:4:16: unknown group 'g' (add it first with 'group add G topics=T')"
    );
    assert_eq!(
        group_error("consumer stop c1"),
        "g.scenario:4:15: unknown consumer 'c1' (start one first with 'group add G topics=T' or 'consumer add NAME group=G')"
    );
    assert_eq!(
        group_error("group add g topics=orders consumers=0\nexpect assigned g g-1 == none"),
        "g.scenario:5:19: unknown consumer 'g-1' in group 'g' (group 'g' has no consumers)"
    );
    assert_eq!(
        group_error(
            "group add g topics=orders\ngroup add h topics=orders\nexpect owner g orders/0 == h-1"
        ),
        "g.scenario:6:28: consumer 'h-1' belongs to group 'h', not 'g' (did you mean 'g-1'?)"
    );
}

#[test]
fn failed_group_lines_do_not_cascade() {
    let errors = group_errors(
        "group add g topics=orders consumers=2 assignor=rnge\n\
         consumer stop g-2\n\
         expect members g == g-1,g-2\n\
         expect assigned g g-1 == orders/0\n\
         consumer add c1 group=g rate=fast\n\
         consumer stall c1\n\
         group add h topics=orders consumers=many\n\
         consumer crash h-7\n\
         consumer stop g-3",
    );
    assert_eq!(
        errors,
        [
            "g.scenario:4:48: unknown assignor 'rnge' (did you mean 'range'?)",
            "g.scenario:8:30: expected a rate such as 5/s or 300/m, found 'fast'",
            "g.scenario:10:37: expected a number of consumers, found 'many'",
            "g.scenario:12:15: unknown consumer 'g-3' (did you mean 'g-1'?)",
        ]
    );
}

#[test]
fn console_group_lines_update_the_context() {
    let mut ctx = Context::default();
    for line in [
        "brokers 3",
        "topic create orders partitions=3 replication=2",
    ] {
        assert!(parse_line(line, &mut ctx).is_ok(), "{line}");
    }
    let before = ctx.clone();
    let err = parse_line("group add g topics=orders assignor=stiky", &mut ctx)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("console:1:36: unknown assignor 'stiky' (did you mean 'sticky'?)")
    );
    assert_eq!(ctx, before, "a failed line leaves the context untouched");

    assert!(parse_line("group add g topics=orders consumers=2", &mut ctx).is_ok());
    assert_eq!(
        ctx.groups.get("g"),
        Some(&GroupInfo {
            topics: vec!["orders".into()]
        })
    );
    assert_eq!(
        ctx.consumers.keys().collect::<Vec<_>>(),
        ["g-1", "g-2"],
        "consumers are named G-1 … G-N"
    );
    let err = parse_line("consumer add g-1 group=g", &mut ctx)
        .err()
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "console:1:14: consumer 'g-1' already exists (consumer names are never reused, even after stop or crash)"
        )
    );
    assert!(parse_line("consumer add c1 group=g", &mut ctx).is_ok());
    assert!(parse_line("consumer stall c1", &mut ctx).is_ok());
    assert!(ctx.consumers["c1"].stalled);
    assert!(parse_line("consumer resume c1", &mut ctx).is_ok());
    assert!(!ctx.consumers["c1"].stalled);
    assert!(parse_line("consumer crash g-1", &mut ctx).is_ok());
    assert_eq!(
        ctx.consumers.get("g-1"),
        Some(&ConsumerInfo {
            group: "g".into(),
            stopped: true,
            stalled: false
        })
    );
    assert!(parse_line("consumer stop g-1", &mut ctx).is_err());
    assert!(parse_line("consumer add g-1 group=g", &mut ctx).is_err());
    // A stopped member can still be named in expectations.
    assert!(parse_line("expect assigned g g-1 == none", &mut ctx).is_ok());
    assert!(parse_line("expect members g == g-2,c1", &mut ctx).is_ok());
}

mod expectations;
