//! The room's limits (`engine/src/limits.rs`) enforced by the engine itself: commands built by
//! hand, without the parser, are refused by `Cluster::apply` with a message that names the limit,
//! and a refused command leaves the cluster exactly as it was. The headless runner refuses a step
//! of time over its budget instead of running for hours.

use engine::command::{
    ClusterSpec, Command, ConsumerSpec, GroupSpec, KeySpec, ProducerSpec, Rate, TopicSpec,
};
use engine::limits;
use engine::scenario::{Action, Pos, Script, Step};
use engine::time::{Micros, secs};
use engine::{Cluster, CommandError};

fn topic(name: &str, partitions: u32, replication: u32) -> Command {
    Command::TopicCreate(TopicSpec {
        name: name.into(),
        partitions,
        replication,
        min_insync: None,
        unclean_election: None,
        retention: None,
        retention_bytes: None,
        segment: None,
        segment_bytes: None,
        cleanup: None,
    })
}

fn producer(name: &str, rate: Option<Rate>, keys: Option<KeySpec>) -> Command {
    Command::ProducerAdd(ProducerSpec {
        name: name.into(),
        topic: "orders".into(),
        rate,
        keys,
        acks: None,
        partitioner: None,
        linger: None,
        ..ProducerSpec::default()
    })
}

fn group(name: &str) -> GroupSpec {
    GroupSpec {
        name: name.into(),
        topics: vec!["orders".into()],
        consumers: Some(1),
        assignor: None,
        offset_reset: None,
        session_timeout: None,
        heartbeat_interval: None,
        max_poll_interval: None,
        auto_commit_interval: None,
        rate: None,
    }
}

/// 3 brokers, `orders` with 3 partitions at replication 3, a producer `p` at 5/s and a group `g`,
/// one simulated second in.
fn cluster() -> Cluster {
    let mut c = Cluster::new(7);
    let setup = [
        Command::Brokers(ClusterSpec {
            brokers: 3,
            ..ClusterSpec::default()
        }),
        topic("orders", 3, 3),
        producer("p", Some(Rate::per_second(5)), None),
        Command::GroupAdd(group("g")),
    ];
    for command in setup {
        c.apply(command).expect("setup");
    }
    c.advance_to(secs(1));
    c.drain_events();
    c
}

/// Applies `command`, which must be refused with a message containing `names` and change nothing.
fn refused(c: &mut Cluster, command: Command, names: &str) {
    c.drain_events();
    let before = serde_json::to_string(&c.snapshot()).expect("snapshots serialise");
    let now = c.now();
    let err = c
        .apply(command.clone())
        .expect_err(&format!("{command:?} was accepted"));
    assert!(
        err.to_string().contains(names),
        "{command:?}: '{err}' does not name '{names}'"
    );
    assert_eq!(
        serde_json::to_string(&c.snapshot()).expect("snapshots serialise"),
        before,
        "{command:?} was refused but changed the cluster"
    );
    assert_eq!(c.now(), now);
    assert!(
        c.drain_events().is_empty(),
        "{command:?} was refused but emitted events"
    );
    c.check_invariants();
}

#[test]
fn a_flood_is_refused_by_the_engine() {
    let mut c = cluster();
    let flood = Rate::per_second(1_000_000_000);
    refused(
        &mut c,
        producer("flood", Some(flood), None),
        "above the room's limit of 5,000 records/s",
    );
    refused(
        &mut c,
        Command::ProducerRate {
            name: "p".into(),
            rate: flood,
        },
        "above the room's limit of 5,000 records/s",
    );
    // `n * 3600` saturates instead of wrapping to a slow rate.
    assert_eq!(Rate::per_second(u64::MAX).per_hour, u64::MAX);
    assert_eq!(Rate::checked_per_second(u64::MAX / 3600 + 1), None);
    refused(
        &mut c,
        producer("wrap", Some(Rate::per_second(u64::MAX / 3600 + 2)), None),
        "above the room's limit",
    );
    c.apply(producer("a", Some(Rate::per_second(5000)), None))
        .expect("a producer at the limit");
    refused(
        &mut c,
        producer("b", Some(Rate::per_second(5000)), None),
        "the sum of producer rates would be 10,005/s, above the limit of 10,000/s",
    );
    c.apply(Command::ProducerPause {
        name: "a".into(),
        paused: true,
    })
    .expect("pause");
    refused(
        &mut c,
        producer("b", Some(Rate::per_second(5000)), None),
        "the sum of producer rates would be 10,005/s",
    );
    c.apply(Command::ProducerStop { name: "a".into() })
        .expect("stop");
    c.apply(producer("b", Some(Rate::per_second(5000)), None))
        .expect("a stopped producer's rate is free again");
    assert_eq!(c.producer_rate_total(), 5005 * 3600);
    refused(
        &mut c,
        Command::ProducerRate {
            name: "a".into(),
            rate: Rate::per_second(4996),
        },
        "the sum of producer rates would be 10,001/s",
    );
    refused(
        &mut c,
        Command::ConsumerRate {
            name: "g-1".into(),
            rate: Rate::per_second(10_001),
        },
        "above the room's limit of 10,000 records/s for one consumer",
    );
}

#[test]
fn a_key_range_of_2_pow_64_keys_is_refused_not_divided_by() {
    let mut c = cluster();
    let keys = KeySpec::Range {
        prefix: "k-".into(),
        first: 0,
        last: u64::MAX,
    };
    refused(
        &mut c,
        producer("k", Some(Rate::per_second(1)), Some(keys)),
        "the key range has 18,446,744,073,709,551,616 keys, above the limit of 100,000",
    );
    let upside_down = KeySpec::Range {
        prefix: "k-".into(),
        first: 9,
        last: 1,
    };
    refused(
        &mut c,
        producer("k", Some(Rate::per_second(1)), Some(upside_down)),
        "upwards",
    );
    let top = KeySpec::Range {
        prefix: "k-".into(),
        first: u64::MAX - 9,
        last: u64::MAX,
    };
    c.apply(producer("k", Some(Rate::per_second(1000)), Some(top)))
        .expect("ten keys at the top of the range");
    c.advance_to(secs(3));
    c.check_invariants();
}

#[test]
fn cluster_size_is_refused_without_overflow() {
    let mut empty = Cluster::new(1);
    let too_many = Command::Brokers(ClusterSpec {
        brokers: 13,
        ..ClusterSpec::default()
    });
    assert_eq!(
        empty.apply(too_many),
        Err(CommandError::Limit(
            "13 brokers is above the room's limit of 12 brokers".into()
        ))
    );
    // Settings are all checked before any is set: a bad replica-lag after a good latency
    // leaves the latency alone.
    let spin = Command::Brokers(ClusterSpec {
        brokers: 3,
        latency: Some(secs(2)),
        replica_lag: Some(1),
        ..ClusterSpec::default()
    });
    assert!(
        matches!(empty.apply(spin), Err(CommandError::Limit(m)) if m.contains("below the limit of 100ms"))
    );
    assert_eq!(empty.config().latency_us, 1_000);
    assert_eq!(empty.broker_count(), 0);

    let mut big = Cluster::new(1);
    big.apply(Command::Brokers(ClusterSpec {
        brokers: 12,
        ..ClusterSpec::default()
    }))
    .expect("12 brokers");
    refused(&mut big, topic("t", 1024, 12), "12,288 partition replicas");
    refused(
        &mut big,
        topic("t", u32::MAX, 1),
        "4,294,967,295 partitions",
    );
    big.apply(topic("t", 1000, 1)).expect("1,000 partitions");
    // `len + u32::MAX` used to wrap below the limit.
    refused(
        &mut big,
        topic("u", u32::MAX, 1),
        "partitions, above the limit of 1,024",
    );
    refused(&mut big, topic("u", 25, 1), "1,025 partitions");

    let mut wide = Cluster::new(1);
    wide.apply(Command::Brokers(ClusterSpec {
        brokers: 12,
        ..ClusterSpec::default()
    }))
    .expect("12 brokers");
    wide.apply(topic("t", 100, 12)).expect("1,200 replicas");
    refused(&mut wide, topic("u", 29, 12), "1,548 partition replicas");
    wide.apply(topic("u", 28, 12)).expect("1,536 replicas");
}

#[test]
fn settings_are_refused_outside_their_bounds() {
    let mut c = cluster();
    let mut spin = group("spin");
    spin.heartbeat_interval = Some(1);
    refused(
        &mut c,
        Command::GroupAdd(spin),
        "heartbeat 1us is below the limit of 100ms",
    );
    let mut late = group("late");
    late.auto_commit_interval = Some(u64::MAX);
    refused(&mut c, Command::GroupAdd(late), "above the limit of 8760h");
    let mut crowd = group("crowd");
    crowd.consumers = Some(u32::MAX);
    refused(
        &mut c,
        Command::GroupAdd(crowd),
        "above the limit of 64 for one group add",
    );
    let mut fast = group("fast");
    fast.rate = Some(Rate::per_minute(u64::MAX));
    refused(&mut c, Command::GroupAdd(fast), "for one consumer");
    refused(
        &mut c,
        Command::ConsumerAdd(ConsumerSpec {
            name: "c".into(),
            group: "g".into(),
            topics: None,
            rate: Some(Rate::per_second(u64::MAX)),
        }),
        "for one consumer",
    );
    refused(
        &mut c,
        Command::Produce {
            topic: "orders".into(),
            key: None,
            value: Some("v".repeat(limits::MAX_RECORD_BYTES + 1)),
            acks: None,
            timestamp: None,
        },
        "max.request.size",
    );
    let mut linger = ProducerSpec {
        name: "l".into(),
        topic: "orders".into(),
        rate: None,
        keys: None,
        acks: None,
        partitioner: None,
        linger: Some(u64::MAX),
        ..ProducerSpec::default()
    };
    refused(&mut c, Command::ProducerAdd(linger.clone()), "linger");
    linger.name = "n".repeat(limits::MAX_NAME_CHARS + 1);
    linger.linger = None;
    refused(
        &mut c,
        Command::ProducerAdd(linger),
        "at most 249 characters",
    );
}

fn step(line: u32, at: Option<Micros>, action: Action) -> Step {
    Step {
        pos: Pos { line, col: 1 },
        at,
        action,
    }
}

#[test]
fn the_runner_refuses_a_step_over_its_budget() {
    let setup = |rate: u64| {
        vec![
            step(
                1,
                None,
                Action::Cluster(Command::Brokers(ClusterSpec {
                    brokers: 3,
                    ..ClusterSpec::default()
                })),
            ),
            step(2, None, Action::Cluster(topic("orders", 1, 1))),
            step(
                3,
                None,
                Action::Cluster(producer("p", Some(Rate::per_second(rate)), None)),
            ),
        ]
    };
    let run = |steps: Vec<Step>| {
        let script = Script {
            file: "hand.scenario".into(),
            title: None,
            seed: None,
            steps,
        };
        engine::runner::run(&script, |_| {}).0
    };

    let mut steps = setup(5000);
    steps.push(step(4, None, Action::Wait(secs(401))));
    steps.push(step(5, None, Action::Say("never".into())));
    let report = run(steps);
    assert_eq!(report.failures, 1);
    assert!(
        report.lines[0].starts_with(
            "hand.scenario:4: wait 401s is too much simulated work for one step: about 2,005,000 units"
        ),
        "{:?}",
        report.lines
    );
    assert!(report.lines.iter().all(|l| !l.contains("never")));
    assert_eq!(report.end_us, 0, "nothing was played");

    let mut steps = setup(1);
    steps.push(step(4, Some(secs(100_000)), Action::Say("late".into())));
    let report = run(steps);
    assert_eq!(report.failures, 1);
    assert!(
        report.lines[0].contains("the jump to 100000s (100000s from 0s) is above the limit of 24h"),
        "{:?}",
        report.lines
    );

    let mut steps = setup(1);
    steps.push(step(4, None, Action::Wait(u64::MAX)));
    assert_eq!(run(steps).failures, 1);
}
