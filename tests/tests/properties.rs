//! Property tests: random fault schedules against the cluster's invariants.
//!
//! * `acks=all` with `min.insync.replicas=2`, replication 3 and no unclean election never loses an
//!   acknowledged record, whatever brokers crash, stop, restart, get partitioned or isolated.
//! * With `unclean.leader.election.enable=true` and `acks=1` records may be lost, but the
//!   invariants hold and the count of lost records never goes negative.
//!
//! Both also check that a refused command leaves the cluster exactly as it was, and that once the
//! faults are over (network healed, every broker restarted, producers stopped) the cluster heals
//! completely: every partition has a leader, a full ISR, and every replica holds the leader's log.
//!
//! `PROPTEST_CASES` sets the number of cases (default 1000 per property), `PROPTEST_RNG_SEED`
//! fixes the generator. A failure prints the minimal failing `Case` and the same run as a
//! scenario file that `playground run` replays exactly.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use engine::command::{
    Acks, ClusterSpec, Command, KeySpec, ProducerSpec, Rate, TopicPartition, TopicSpec,
};
use engine::time::{Micros, format_duration, ms, secs};
use engine::{Cluster, CommandError, Snapshot};
use playground_tests::{assert_property, catch_failure, check_replay, proptest_config};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Faults happen within the first `FAULT_WINDOW_MS` of simulated time.
const FAULT_WINDOW_MS: u64 = 60_000;
/// After the faults: heal, restart, stop producers, then this much simulated time to settle.
const RECOVERY: Micros = secs(180);
/// The driver checks invariants after every slice of this much simulated time.
const SLICE: Micros = secs(1);
/// Records per second per producer: mostly 10-50/s, one producer in ten 100-300/s. Every case
/// simulates four minutes, and the cost of a case grows with the number of records; this mix
/// keeps 1000 cases per property within about a minute on two cores.
fn rate_per_s() -> impl Strategy<Value = u64> {
    prop_oneof![9 => 10u64..=50, 1 => 100u64..=300]
}

/// One fault, with broker choices still abstract: they are resolved against the cluster's state
/// when the fault happens (see `resolve`).
#[derive(Debug, Clone)]
enum Fault {
    /// Crash broker `1 + n % brokers` (refused if it is already down).
    Kill(u32),
    /// Controlled shutdown of broker `1 + n % brokers` (refused if it is already down).
    Stop(u32),
    /// Restart the `n % down`-th down broker; with none down, broker `1 + n % brokers` (refused).
    Restart(u32),
    /// Cut the brokers whose bit is set in `mask` from the others (made a proper, non-empty
    /// subset); `drop` bits leave some brokers out of both sides.
    Partition {
        mask: u32,
        drop: u32,
    },
    /// `network isolate N`: cut from the controller and the clients too.
    Isolate(u32),
    Heal,
}

#[derive(Debug, Clone)]
struct ProducerCase {
    rate_per_s: u64,
    /// Keys `k-1..k-N`, or none.
    keys: Option<u64>,
}

#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    brokers: u32,
    /// One-way network latency in ms (`None`: the engine's default).
    latency_ms: Option<u64>,
    partitions: u32,
    producers: Vec<ProducerCase>,
    /// (milliseconds after the start, fault), sorted by time.
    faults: Vec<(u64, Fault)>,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => any::<u32>().prop_map(Fault::Kill),
        2 => any::<u32>().prop_map(Fault::Stop),
        3 => any::<u32>().prop_map(Fault::Restart),
        2 => (any::<u32>(), any::<u32>()).prop_map(|(mask, drop)| Fault::Partition { mask, drop }),
        1 => any::<u32>().prop_map(Fault::Isolate),
        1 => Just(Fault::Heal),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let producer = (
        rate_per_s(),
        prop_oneof![Just(None), (1u64..=200).prop_map(Some)],
    )
        .prop_map(|(rate_per_s, keys)| ProducerCase { rate_per_s, keys });
    (
        any::<u64>(),
        3u32..=5,
        prop_oneof![2 => Just(None), 1 => Just(Some(5)), 1 => Just(Some(20))],
        1u32..=6,
        prop::collection::vec(producer, 1..=2),
        prop::collection::vec((0..FAULT_WINDOW_MS, fault()), 0..=8),
    )
        .prop_map(
            |(seed, brokers, latency_ms, partitions, producers, mut faults)| {
                faults.sort_by_key(|(at, _)| *at);
                Case {
                    seed,
                    brokers,
                    latency_ms,
                    partitions,
                    producers,
                    faults,
                }
            },
        )
}

/// What one property expects of the cluster.
#[derive(Debug, Clone, Copy)]
struct Mode {
    acks: Acks,
    unclean_election: bool,
    /// Whether no acknowledged record may ever be lost.
    lossless: bool,
}

const LOSSLESS: Mode = Mode {
    acks: Acks::All,
    unclean_election: false,
    lossless: true,
};
const UNCLEAN: Mode = Mode {
    acks: Acks::One,
    unclean_election: true,
    lossless: false,
};

/// The concrete command a fault becomes in the cluster's current state.
fn resolve(cluster: &Cluster, brokers: u32, fault: &Fault) -> Command {
    let pick = |n: u32| 1 + n % brokers;
    match fault {
        Fault::Kill(n) => Command::BrokerKill { broker: pick(*n) },
        Fault::Stop(n) => Command::BrokerStop { broker: pick(*n) },
        Fault::Restart(n) => {
            let down: Vec<u32> = (1..=brokers)
                .filter(|&b| cluster.broker_up(b) == Some(false))
                .collect();
            let broker = if down.is_empty() {
                pick(*n)
            } else {
                down[*n as usize % down.len()]
            };
            Command::BrokerRestart { broker }
        }
        Fault::Partition { mask, drop } => {
            let full = (1u32 << brokers) - 1;
            let mut a = mask & full;
            if a == 0 || a == full {
                a = 1 << (mask % brokers);
            }
            let b = full & !a;
            // Leave some brokers out of both sides, keeping side b non-empty.
            let b = b & !(drop & b & !(1 << b.trailing_zeros()));
            let side = |m: u32| (1..=brokers).filter(|i| m & (1 << (i - 1)) != 0).collect();
            Command::NetworkPartition {
                side_a: side(a),
                side_b: side(b),
            }
        }
        Fault::Isolate(n) => Command::NetworkIsolate { broker: pick(*n) },
        Fault::Heal => Command::NetworkHeal,
    }
}

/// A fault or recovery command as a scenario line.
fn line(command: &Command) -> String {
    let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    match command {
        Command::BrokerKill { broker } => format!("broker kill {broker}"),
        Command::BrokerStop { broker } => format!("broker stop {broker}"),
        Command::BrokerRestart { broker } => format!("broker restart {broker}"),
        Command::NetworkPartition { side_a, side_b } => {
            format!("network partition {} / {}", list(side_a), list(side_b))
        }
        Command::NetworkIsolate { broker } => format!("network isolate {broker}"),
        Command::NetworkHeal => "network heal".into(),
        Command::ProducerStop { name } => format!("producer stop {name}"),
        other => format!("# {other:?}"),
    }
}

/// Counts over all cases of one property, printed at the end.
#[derive(Default)]
struct Stats {
    cases: AtomicUsize,
    applied: AtomicUsize,
    refused: AtomicUsize,
    acked: AtomicUsize,
    cases_with_loss: AtomicUsize,
    max_lost: AtomicI64,
}

/// Drives one case, writing what it does to `script` as a replayable scenario file.
struct Driver<'a> {
    cluster: Cluster,
    mode: Mode,
    script: &'a mut Vec<String>,
    stats: &'a Stats,
    max_lost: i64,
}

impl<'a> Driver<'a> {
    fn new(case: &Case, mode: Mode, script: &'a mut Vec<String>, stats: &'a Stats) -> Self {
        let acks = match mode.acks {
            Acks::All => "all",
            Acks::One => "1",
            Acks::Zero => "0",
        };
        let latency = case
            .latency_ms
            .map(|l| format!(" latency={l}ms"))
            .unwrap_or_default();
        script.push(format!("seed {}", case.seed));
        script.push(format!("brokers {}{latency}", case.brokers));
        script.push(format!(
            "topic create t partitions={} replication=3 min-insync=2 unclean-election={}",
            case.partitions, mode.unclean_election
        ));
        let mut setup = vec![
            Command::Brokers(ClusterSpec {
                brokers: case.brokers,
                latency: case.latency_ms.map(ms),
                ..ClusterSpec::default()
            }),
            Command::TopicCreate(TopicSpec {
                name: "t".into(),
                partitions: case.partitions,
                replication: 3,
                min_insync: Some(2),
                unclean_election: Some(mode.unclean_election),
                retention: None,
                retention_bytes: None,
                segment: None,
                segment_bytes: None,
                cleanup: None,
            }),
        ];
        for (i, p) in case.producers.iter().enumerate() {
            let (keys, key_text) = match p.keys {
                Some(n) => (
                    KeySpec::Range {
                        prefix: "k-".into(),
                        first: 1,
                        last: n,
                    },
                    format!("k-1..k-{n}"),
                ),
                None => (KeySpec::None, "none".into()),
            };
            script.push(format!(
                "producer add p{i} topic=t rate={}/s keys={key_text} acks={acks}",
                p.rate_per_s
            ));
            setup.push(Command::ProducerAdd(ProducerSpec {
                name: format!("p{i}"),
                topic: "t".into(),
                rate: Some(Rate::per_second(p.rate_per_s)),
                keys: Some(keys),
                acks: Some(mode.acks),
                partitioner: None,
                linger: None,
                ..ProducerSpec::default()
            }));
        }
        let mut cluster = Cluster::new(case.seed);
        for command in setup {
            cluster
                .apply(command.clone())
                .unwrap_or_else(|e| panic!("setup {command:?}: {e}"));
        }
        cluster.drain_events();
        cluster.check_invariants();
        Driver {
            cluster,
            mode,
            script,
            stats,
            max_lost: 0,
        }
    }

    /// Applies a command now. A refused command must leave the cluster exactly as it was.
    fn apply(&mut self, command: Command) -> Result<(), TestCaseError> {
        let at = format_duration(self.cluster.now());
        self.cluster.drain_events();
        let before: Snapshot = self.cluster.snapshot();
        match self.cluster.apply(command.clone()) {
            Ok(()) => {
                self.stats.applied.fetch_add(1, Relaxed);
                self.script.push(format!("at {at} {}", line(&command)));
            }
            Err(e) => {
                self.stats.refused.fetch_add(1, Relaxed);
                self.script
                    .push(format!("# at {at} {} -> refused: {e}", line(&command)));
                prop_assert_eq!(
                    &before,
                    &self.cluster.snapshot(),
                    "{:?} was refused ({}) but changed the cluster",
                    command,
                    e
                );
                let events = self.cluster.drain_events();
                prop_assert!(
                    events.is_empty(),
                    "{:?} was refused ({}) but emitted {:?}",
                    command,
                    e,
                    events
                );
                check_refusal_reason(&self.cluster, &command, &e)?;
            }
        }
        self.cluster.drain_events();
        self.check()
    }

    /// Advances to `until` in slices, checking after each.
    fn advance_to(&mut self, until: Micros) -> Result<(), TestCaseError> {
        while self.cluster.now() < until {
            let next = (self.cluster.now() + SLICE).min(until);
            self.cluster.advance_to(next);
            self.cluster.drain_events();
            self.check()?;
        }
        Ok(())
    }

    /// The checks made after every command and every slice.
    fn check(&mut self) -> Result<(), TestCaseError> {
        self.cluster.check_invariants();
        let now = format_duration(self.cluster.now());
        let lost = self.cluster.lost(None).expect("lost over all topics");
        let lost_t = self.cluster.lost(Some("t")).expect("lost of topic t");
        prop_assert_eq!(lost, lost_t, "lost != lost t with one topic");
        prop_assert!(lost >= 0, "lost went negative: {} at {}", lost, now);
        self.max_lost = self.max_lost.max(lost);
        if self.mode.lossless {
            prop_assert_eq!(
                lost,
                0,
                "acks=all, min-insync=2, clean elections only: acknowledged records lost at {}",
                now
            );
        }
        Ok(())
    }
}

/// The engine refused a fault: the reason must be the one the cluster's state implies.
fn check_refusal_reason(
    cluster: &Cluster,
    command: &Command,
    error: &CommandError,
) -> Result<(), TestCaseError> {
    let expected = match command {
        Command::BrokerKill { broker } | Command::BrokerStop { broker } => {
            prop_assert_eq!(
                cluster.broker_up(*broker),
                Some(false),
                "{:?} refused: {}",
                command,
                error
            );
            CommandError::BrokerAlreadyDown(*broker)
        }
        Command::BrokerRestart { broker } => {
            prop_assert_eq!(
                cluster.broker_up(*broker),
                Some(true),
                "{:?} refused: {}",
                command,
                error
            );
            CommandError::BrokerAlreadyUp(*broker)
        }
        Command::NetworkIsolate { broker } => CommandError::BrokerAlreadyIsolated(*broker),
        other => return Err(TestCaseError::fail(format!("{other:?} refused: {error}"))),
    };
    prop_assert_eq!(error, &expected);
    Ok(())
}

/// Runs one case to the end; returns the final cluster.
fn run_case(
    case: &Case,
    mode: Mode,
    script: &mut Vec<String>,
    stats: &Stats,
) -> Result<Cluster, TestCaseError> {
    let mut d = Driver::new(case, mode, script, stats);
    for (at_ms, fault) in &case.faults {
        d.advance_to(ms(*at_ms))?;
        let command = resolve(&d.cluster, case.brokers, fault);
        d.apply(command)?;
    }
    d.advance_to(ms(FAULT_WINDOW_MS))?;

    // Recovery: heal, restart every down broker, stop the producers, let the cluster settle.
    d.apply(Command::NetworkHeal)?;
    for b in 1..=case.brokers {
        if d.cluster.broker_up(b) == Some(false) {
            d.apply(Command::BrokerRestart { broker: b })?;
        }
    }
    for i in 0..case.producers.len() {
        d.apply(Command::ProducerStop {
            name: format!("p{i}"),
        })?;
    }
    let end = d.cluster.now() + RECOVERY;
    d.script.push(format!("wait {}", format_duration(RECOVERY)));
    d.advance_to(end)?;
    if mode.lossless {
        d.script.push("expect lost == 0".into());
        prop_assert_eq!(
            d.cluster.lost(None),
            Some(0),
            "acknowledged records lost at the end"
        );
    }

    // Liveness: with every broker up and the network whole, every partition has a leader, every
    // replica is back in the ISR, and every replica holds exactly the leader's log.
    for p in 0..case.partitions {
        let tp = TopicPartition {
            topic: "t".into(),
            partition: p,
        };
        let leader = d.cluster.leader(&tp).flatten();
        prop_assert!(leader.is_some(), "{} has no leader after recovery", tp);
        let mut isr = d.cluster.isr(&tp).expect("isr");
        let mut replicas = d.cluster.replicas(&tp).expect("replicas");
        isr.sort_unstable();
        replicas.sort_unstable();
        prop_assert_eq!(&isr, &replicas, "{} ISR not whole after recovery", tp);
        let leo = d.cluster.log_end_offset(&tp).expect("leo");
        let hw = d.cluster.high_watermark(&tp).expect("hw");
        prop_assert_eq!(
            hw,
            leo,
            "{} leader's high watermark != log end offset after recovery",
            tp
        );
        for &b in &replicas {
            let offsets = d.cluster.replica_offsets(&tp, b).expect("replica offsets");
            prop_assert_eq!(
                offsets,
                (leo, hw),
                "{} on broker {}: (log end offset, high watermark) differs from the leader's",
                tp,
                b
            );
        }
    }

    stats.cases.fetch_add(1, Relaxed);
    stats
        .acked
        .fetch_add(d.cluster.acked("t").unwrap_or(0) as usize, Relaxed);
    if d.max_lost > 0 {
        stats.cases_with_loss.fetch_add(1, Relaxed);
    }
    stats.max_lost.fetch_max(d.max_lost, Relaxed);
    Ok(d.cluster)
}

/// One case of a property: a failure (or a panic in the engine) carries the run as a scenario.
fn property(case: &Case, mode: Mode, stats: &Stats) -> Result<(), TestCaseError> {
    catch_failure(case.seed, |script| run_case(case, mode, script, stats)).map(drop)
}

fn check_property(name: &str, mode: Mode) {
    let stats = Stats::default();
    let started = Instant::now();
    let mut runner = TestRunner::new(proptest_config());
    let result = runner.run(&case(), |case| property(&case, mode, &stats));
    println!(
        "{name}: {} cases passed in {:.1} s; faults applied {}, refused {}; acked {}; cases with loss {}, most lost {}",
        stats.cases.load(Relaxed),
        started.elapsed().as_secs_f64(),
        stats.applied.load(Relaxed),
        stats.refused.load(Relaxed),
        stats.acked.load(Relaxed),
        stats.cases_with_loss.load(Relaxed),
        stats.max_lost.load(Relaxed),
    );
    assert_property(name, result);
}

/// acks=all, replication 3, min.insync.replicas=2, unclean election off: no acknowledged record is
/// ever lost, and the cluster heals completely.
#[test]
fn acks_all_min_insync_2_loses_nothing() {
    check_property("acks_all_min_insync_2_loses_nothing", LOSSLESS);
}

/// Unclean election and acks=1: records may be lost, but the invariants hold, the lost count never
/// goes negative, and the cluster heals completely.
#[test]
fn unclean_election_keeps_invariants() {
    check_property("unclean_election_keeps_invariants", UNCLEAN);
}

/// The scenario a failure prints replays the same run: parsed and run by the headless runner, it
/// ends in the same state as the driver's.
#[test]
fn failure_scenarios_replay_the_same_run() {
    let mut runner = TestRunner::new(Config {
        cases: 8,
        ..proptest_config()
    });
    let result = runner.run(&(case(), any::<bool>()), |(case, lossless)| {
        let mode = if lossless { LOSSLESS } else { UNCLEAN };
        let stats = Stats::default();
        let mut script = Vec::new();
        let cluster = run_case(&case, mode, &mut script, &stats)?;
        check_replay(&script, &cluster)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
