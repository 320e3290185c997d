//! Property tests for consumer groups: random schedules of consumers joining, leaving, crashing
//! and brokers dying (the group's coordinator among them), against the group protocol's promises.
//!
//! * No partition ever has two owners in one generation (asserted by the engine the moment a member
//!   takes its partitions, and checked after every simulated second).
//! * Once the faults are over (brokers restarted, producers stopped, a live consumer present) and
//!   the group settles: it is Stable, its lag is 0 on every partition, and every acknowledged
//!   record still in the log was processed by some member at least once.
//!
//! Producers use acks=all with min.insync.replicas=2 and clean elections only, so no acknowledged
//! record is lost and "consumed at least once" covers every acknowledged record.
//! `PROPTEST_CASES` sets the number of cases (default 1000). A failure prints the seed and the run
//! as a scenario file that `playground run` replays.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use engine::Cluster;
use engine::command::{
    ClusterSpec, Command, ConsumerSpec, GroupSpec, KeySpec, OffsetReset, ProducerSpec, Rate,
    TopicPartition, TopicSpec,
};
use engine::group::GroupState;
use engine::group::assignor::AssignorKind;
use engine::time::{Micros, format_duration, ms, secs};
use playground_tests::{assert_property, catch_failure, check_replay, proptest_config};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const FAULT_WINDOW_MS: u64 = 60_000;
/// Long enough for a crashed member's session (45 s) to expire, the rebalances that follow
/// (two rounds under the cooperative protocol), a resumed member's rejoin, the backlog at the
/// slowest processing rate, and an auto-commit (5 s) after them.
const SETTLE: Micros = secs(120);
const SLICE: Micros = secs(1);
/// A generous bound on timers per simulated second for these small clusters (a few thousand is
/// normal; a client re-arming a timer at "now" in a loop would fire millions).
const MAX_TIMERS_PER_SECOND: u64 = 50_000;

#[derive(Debug, Clone)]
enum Fault {
    /// `consumer add` of a new consumer.
    Join,
    /// `consumer stop` of the `n % running`-th running consumer.
    Leave(u32),
    /// `consumer crash` of the `n % running`-th running consumer.
    Crash(u32),
    /// `consumer stall` of the `n % running`-th running consumer (it leaves the group when its
    /// `max.poll.interval.ms` of 20 s runs out; the recovery resumes it).
    Stall(u32),
    /// `broker kill` of broker `1 + n % brokers`; when `coordinator` is set, of the group's
    /// coordinator instead.
    Kill { n: u32, coordinator: bool },
    /// `broker restart` of the `n % down`-th down broker.
    Restart(u32),
    /// `consumer restart` of the `n % ended`-th stopped or crashed consumer (a new member id
    /// joins while a crashed predecessor may still be listed).
    Revive(u32),
}

#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    brokers: u32,
    partitions: u32,
    consumers: u32,
    assignor: AssignorKind,
    rate_per_s: u64,
    keyed: bool,
    /// Each consumer application's processing rate (records/s); `None`: as fast as they come.
    processing_per_s: Option<u64>,
    faults: Vec<(u64, Fault)>,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => Just(Fault::Join),
        2 => any::<u32>().prop_map(Fault::Leave),
        2 => any::<u32>().prop_map(Fault::Crash),
        1 => any::<u32>().prop_map(Fault::Stall),
        2 => (any::<u32>(), any::<bool>()).prop_map(|(n, coordinator)| Fault::Kill { n, coordinator }),
        2 => any::<u32>().prop_map(Fault::Restart),
        1 => any::<u32>().prop_map(Fault::Revive),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        3u32..=4,
        1u32..=6,
        1u32..=4,
        prop::sample::select(AssignorKind::ALL.to_vec()),
        5u64..=40,
        any::<bool>(),
        prop_oneof![Just(None), (100u64..=400).prop_map(Some)],
        prop::collection::vec((0..FAULT_WINDOW_MS, fault()), 0..=8),
    )
        .prop_map(
            |(
                seed,
                brokers,
                partitions,
                consumers,
                assignor,
                rate_per_s,
                keyed,
                processing_per_s,
                mut faults,
            )| {
                faults.sort_by_key(|(at, _)| *at);
                Case {
                    seed,
                    brokers,
                    partitions,
                    consumers,
                    assignor,
                    rate_per_s,
                    keyed,
                    processing_per_s,
                    faults,
                }
            },
        )
}

#[derive(Default)]
struct Stats {
    cases: AtomicUsize,
    faults: AtomicUsize,
    generations: AtomicUsize,
    consumed: AtomicUsize,
}

struct Driver<'a> {
    cluster: Cluster,
    script: &'a mut Vec<String>,
    brokers: u32,
    /// (name, running); stalled ones are in `stalled` too.
    consumers: Vec<(String, bool)>,
    stalled: Vec<String>,
    added: u32,
}

impl Driver<'_> {
    fn running(&self) -> Vec<String> {
        self.consumers
            .iter()
            .filter(|(_, up)| *up)
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn apply(&mut self, command: Command, text: String) -> Result<(), TestCaseError> {
        let at = format_duration(self.cluster.now());
        self.cluster
            .apply(command.clone())
            .map_err(|e| TestCaseError::fail(format!("{text} refused at {at}: {e}")))?;
        self.script.push(format!("at {at} {text}"));
        self.cluster.drain_events();
        self.cluster.check_invariants();
        Ok(())
    }

    fn advance_to(&mut self, until: Micros) {
        while self.cluster.now() < until {
            let next = (self.cluster.now() + SLICE).min(until);
            self.cluster.advance_to(next);
            self.cluster.drain_events();
            self.cluster.check_invariants();
        }
    }

    fn add_consumer(&mut self) -> Result<(), TestCaseError> {
        self.added += 1;
        let name = format!("c-{}", self.added);
        self.consumers.push((name.clone(), true));
        let spec = ConsumerSpec {
            name: name.clone(),
            group: "g".into(),
            topics: None,
            rate: None,
        };
        self.apply(
            Command::ConsumerAdd(spec),
            format!("consumer add {name} group=g"),
        )
    }

    /// Stalls a running, polling consumer; skipped when there is none.
    fn stall_consumer(&mut self, n: u32) -> Result<(), TestCaseError> {
        let polling: Vec<String> = self
            .running()
            .into_iter()
            .filter(|c| !self.stalled.contains(c))
            .collect();
        if polling.is_empty() {
            return Ok(());
        }
        let name = polling[n as usize % polling.len()].clone();
        self.stalled.push(name.clone());
        self.apply(
            Command::ConsumerStall { name: name.clone() },
            format!("consumer stall {name}"),
        )
    }

    /// Starts a stopped or crashed consumer again; skipped when none has ended.
    fn revive_consumer(&mut self, n: u32) -> Result<(), TestCaseError> {
        let ended: Vec<String> = self
            .consumers
            .iter()
            .filter(|(_, up)| !*up)
            .map(|(n, _)| n.clone())
            .collect();
        if ended.is_empty() {
            return Ok(());
        }
        let name = ended[n as usize % ended.len()].clone();
        if let Some(c) = self.consumers.iter_mut().find(|(x, _)| *x == name) {
            c.1 = true;
        }
        self.apply(
            Command::ConsumerRestart { name: name.clone() },
            format!("consumer restart {name}"),
        )
    }

    /// Stops or crashes a running consumer; skipped (not an error) when none runs.
    fn end_consumer(&mut self, n: u32, crash: bool) -> Result<(), TestCaseError> {
        let running = self.running();
        if running.is_empty() {
            return Ok(());
        }
        let name = running[n as usize % running.len()].clone();
        if let Some(c) = self.consumers.iter_mut().find(|(x, _)| *x == name) {
            c.1 = false;
        }
        self.stalled.retain(|x| *x != name);
        let (command, verb) = if crash {
            (Command::ConsumerCrash { name: name.clone() }, "crash")
        } else {
            (Command::ConsumerStop { name: name.clone() }, "stop")
        };
        self.apply(command, format!("consumer {verb} {name}"))
    }

    fn fault(&mut self, fault: &Fault) -> Result<(), TestCaseError> {
        let down: Vec<u32> = (1..=self.brokers)
            .filter(|&b| self.cluster.broker_up(b) == Some(false))
            .collect();
        match fault {
            Fault::Join => self.add_consumer(),
            Fault::Leave(n) => self.end_consumer(*n, false),
            Fault::Crash(n) => self.end_consumer(*n, true),
            Fault::Stall(n) => self.stall_consumer(*n),
            Fault::Kill { n, coordinator } => {
                let target = if *coordinator {
                    self.cluster.group_coordinator("g").flatten()
                } else {
                    Some(1 + n % self.brokers)
                };
                // Keep a majority of brokers up so that acks=all with min-insync=2 can proceed.
                match target {
                    Some(b) if self.cluster.broker_up(b) == Some(true) && down.is_empty() => self
                        .apply(
                            Command::BrokerKill { broker: b },
                            format!("broker kill {b}"),
                        ),
                    _ => Ok(()),
                }
            }
            Fault::Restart(n) if !down.is_empty() => {
                let b = down[*n as usize % down.len()];
                self.apply(
                    Command::BrokerRestart { broker: b },
                    format!("broker restart {b}"),
                )
            }
            Fault::Restart(_) => Ok(()),
            Fault::Revive(n) => self.revive_consumer(*n),
        }
    }
}

fn run_case(
    case: &Case,
    script: &mut Vec<String>,
    stats: &Stats,
) -> Result<Cluster, TestCaseError> {
    let keys = if case.keyed { "k-1..k-100" } else { "none" };
    script.extend([
        format!("seed {}", case.seed),
        format!("brokers {}", case.brokers),
        format!(
            "topic create t partitions={} replication=3 min-insync=2",
            case.partitions
        ),
        format!(
            "group add g topics=t consumers={} assignor={} offset-reset=earliest max-poll-interval=20s{}",
            case.consumers,
            case.assignor,
            case.processing_per_s
                .map(|r| format!(" rate={r}/s"))
                .unwrap_or_default()
        ),
        format!(
            "producer add p topic=t rate={}/s keys={keys} acks=all",
            case.rate_per_s
        ),
    ]);
    let mut cluster = Cluster::new(case.seed);
    let setup = [
        Command::Brokers(ClusterSpec {
            brokers: case.brokers,
            ..ClusterSpec::default()
        }),
        Command::TopicCreate(TopicSpec {
            name: "t".into(),
            partitions: case.partitions,
            replication: 3,
            min_insync: Some(2),
            unclean_election: None,
            retention: None,
            retention_bytes: None,
            segment: None,
            segment_bytes: None,
            cleanup: None,
        }),
        Command::GroupAdd(GroupSpec {
            name: "g".into(),
            topics: vec!["t".into()],
            consumers: Some(case.consumers),
            assignor: Some(case.assignor),
            offset_reset: Some(OffsetReset::Earliest),
            session_timeout: None,
            heartbeat_interval: None,
            max_poll_interval: Some(secs(20)),
            auto_commit_interval: None,
            rate: case.processing_per_s.map(Rate::per_second),
        }),
        Command::ProducerAdd(ProducerSpec {
            name: "p".into(),
            topic: "t".into(),
            rate: Some(Rate::per_second(case.rate_per_s)),
            keys: Some(if case.keyed {
                KeySpec::Range {
                    prefix: "k-".into(),
                    first: 1,
                    last: 100,
                }
            } else {
                KeySpec::None
            }),
            acks: None,
            partitioner: None,
            linger: None,
            ..ProducerSpec::default()
        }),
    ];
    for command in setup {
        cluster
            .apply(command.clone())
            .unwrap_or_else(|e| panic!("setup {command:?}: {e}"));
    }
    let consumers = (1..=case.consumers)
        .map(|i| (format!("g-{i}"), true))
        .collect();
    let mut d = Driver {
        cluster,
        script,
        brokers: case.brokers,
        consumers,
        stalled: Vec::new(),
        added: 0,
    };
    for (at_ms, fault) in &case.faults {
        d.advance_to(ms(*at_ms));
        d.fault(fault)?;
        stats.faults.fetch_add(1, Relaxed);
    }
    d.advance_to(ms(FAULT_WINDOW_MS));

    // Recovery: every broker back, producers stopped, at least one live consumer.
    for b in 1..=case.brokers {
        if d.cluster.broker_up(b) == Some(false) {
            d.apply(
                Command::BrokerRestart { broker: b },
                format!("broker restart {b}"),
            )?;
        }
    }
    d.apply(
        Command::ProducerStop { name: "p".into() },
        "producer stop p".into(),
    )?;
    for name in std::mem::take(&mut d.stalled) {
        d.apply(
            Command::ConsumerResume { name: name.clone() },
            format!("consumer resume {name}"),
        )?;
    }
    if d.running().is_empty() {
        d.add_consumer()?;
    }
    let end = d.cluster.now() + SETTLE;
    d.script.push(format!("wait {}", format_duration(SETTLE)));
    d.advance_to(end);

    let c = &d.cluster;
    d.script.extend([
        "expect state g == Stable".to_string(),
        "expect lag g == 0".to_string(),
    ]);
    prop_assert_eq!(c.group_state("g"), Some(GroupState::Stable), "settled");
    let mut members = c.group_members("g").expect("group");
    let mut running: Vec<String> = d
        .running()
        .iter()
        .map(|n| c.consumer_member_id(n).expect("consumer").to_string())
        .collect();
    members.sort();
    running.sort();
    prop_assert_eq!(members, running, "members after settling");
    for p in 0..case.partitions {
        let tp = TopicPartition {
            topic: "t".into(),
            partition: p,
        };
        let hw = c.high_watermark(&tp).expect("hw");
        let committed = c.group_committed("g", &tp).expect("group");
        prop_assert_eq!(committed, Some(hw), "{} committed offset vs hw", tp);
        prop_assert!(
            c.group_owner("g", &tp).expect("group").is_some(),
            "{} has an owner",
            tp
        );
    }
    prop_assert_eq!(c.group_lag("g"), Some(0));
    // No client spins: a busy loop (a timer re-armed at `now`) would fire millions of timers.
    let per_second = c.timers_fired() / (c.now() / secs(1)).max(1);
    prop_assert!(
        per_second < MAX_TIMERS_PER_SECOND,
        "{} timers per simulated second",
        per_second
    );
    prop_assert_eq!(c.lost(None), Some(0), "acks=all lost records");
    prop_assert_eq!(
        c.group_unconsumed_acked("g"),
        Some(0),
        "acknowledged records never consumed"
    );
    stats.cases.fetch_add(1, Relaxed);
    stats.generations.fetch_add(
        c.group_generation("g").unwrap_or(0).max(0) as usize,
        Relaxed,
    );
    stats
        .consumed
        .fetch_add(c.group_consumed("g", None).unwrap_or(0) as usize, Relaxed);
    Ok(d.cluster)
}

fn property(case: &Case, stats: &Stats) -> Result<(), TestCaseError> {
    catch_failure(case.seed, |script| run_case(case, script, stats)).map(drop)
}

#[test]
fn groups_settle_with_no_lag_and_nothing_missed() {
    let stats = Stats::default();
    let started = Instant::now();
    let mut runner = TestRunner::new(proptest_config());
    let result = runner.run(&case(), |case| property(&case, &stats));
    println!(
        "groups_settle_with_no_lag_and_nothing_missed: {} cases passed in {:.1} s; {} faults; {} generations; {} records consumed",
        stats.cases.load(Relaxed),
        started.elapsed().as_secs_f64(),
        stats.faults.load(Relaxed),
        stats.generations.load(Relaxed),
        stats.consumed.load(Relaxed),
    );
    assert_property("groups_settle_with_no_lag_and_nothing_missed", result);
}

/// The scenario a failure prints replays the same run: parsed and run by the headless runner, it
/// ends in the same state as the driver's.
#[test]
fn group_failure_scenarios_replay_the_same_run() {
    let mut runner = TestRunner::new(Config {
        cases: 8,
        ..proptest_config()
    });
    let result = runner.run(&case(), |case| {
        let stats = Stats::default();
        let mut script = Vec::new();
        let cluster = run_case(&case, &mut script, &stats)?;
        check_replay(&script, &cluster)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
