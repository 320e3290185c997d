//! Property tests for Kafka Streams applications running in the cluster: random schedules of
//! instances added, stopped and crashed and brokers killed and restarted, under Kafka's word
//! count (`flatMapValues` → `groupBy` → `count`, with a repartition topic) and a windowed count
//! (`groupByKey` → `windowedBy tumbling` with grace → `count`). Once the faults are over and the
//! application has settled:
//!
//! * every input record was processed: the group's committed offset is the high watermark of
//!   every source and repartition partition, and `processed - reprocessed` (each offset counted
//!   once) is exactly the number of records in those partitions;
//! * every count is at least the count computed here directly from the input topic's records
//!   (at-least-once loses nothing), and the output topic's newest record per key is the store's;
//! * a run without a crash re-processes nothing and every count equals the direct count (a stop
//!   while a broker is down or the instance rebalances may miss its last commit, and counts as a
//!   crash: see `Driver::end_instance`);
//! * with crashes, the excess of the counts is exactly the engine's `counted-twice`: the
//!   re-processing's store updates applied to a value that already included them, and its
//!   records repeated in the repartition topic (see [`check_excess`] for why it is not simply
//!   `reprocessed`).
//!
//! `PROPTEST_CASES` sets the number of cases per workload (default 500, so 1,000 in all). A
//! failure prints the seed and the run as a scenario file that `playground run` replays.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use engine::Cluster;
use engine::command::{Command, TopicPartition};
use engine::group::GroupState;
use engine::scenario::ast::Action;
use engine::streams::runtime::InstanceState;
use engine::time::{Micros, format_duration, ms, secs};
use playground_tests::{assert_property, catch_failure, check_replay, proptest_config_with_cases};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Faults happen within the first `FAULT_WINDOW_MS` of simulated time.
const FAULT_WINDOW_MS: u64 = 20_000;
/// The driver checks the cluster's invariants after every slice.
const SLICE: Micros = secs(1);
/// The longest the application may take to settle after the faults: a crashed or stopped
/// instance's members leave the group only when their 45 s session times out (Streams sends no
/// LeaveGroup), then a rebalance, restores and a commit.
const SETTLE_LIMIT: Micros = secs(150);
/// Each application commits every second, so that a case needs little simulated time.
const COMMIT_INTERVAL: &str = "1s";
/// Most instances alive at once.
const MAX_RUNNING: usize = 4;

/// The tumbling window and its grace, in seconds. A window store keeps a window for size +
/// grace (Kafka's default retention, `TimeWindowedKStreamImpl`); past it the window is gone
/// from the store, and a record processed again after a task moved would start it afresh. The
/// grace outlasts the whole run, so every window is kept and comparable to its direct count.
const WINDOW_S: u64 = 5;
const GRACE_S: u64 = 120;

/// The lines the word count's producer writes, in turn (`cycle`).
const LINES: [&str; 4] = [
    "the quick brown fox",
    "jumps over the lazy dog",
    "the dog sleeps",
    "a fox",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    WordCount,
    Windowed,
}

impl Workload {
    fn app(self) -> &'static str {
        match self {
            Workload::WordCount => "wc",
            Workload::Windowed => "clicks",
        }
    }

    fn input(self) -> &'static str {
        match self {
            Workload::WordCount => "lines",
            Workload::Windowed => "views",
        }
    }

    fn output(self) -> &'static str {
        match self {
            Workload::WordCount => "word-counts",
            Workload::Windowed => "views-per-window",
        }
    }

    fn store(self) -> &'static str {
        match self {
            Workload::WordCount => "counts",
            Workload::Windowed => "per-window",
        }
    }
}

#[derive(Debug, Clone)]
enum Fault {
    /// `streams add` of a new instance (skipped when `MAX_RUNNING` run).
    Add,
    /// `streams stop` of the `n % running`-th running instance.
    Stop(u32),
    /// `streams crash` of the `n % running`-th running instance.
    Crash(u32),
    /// `broker kill` of broker `1 + n % 3`, when no broker is down (so that every partition
    /// keeps an in-sync replica to elect cleanly).
    Kill(u32),
    /// `broker restart` of the down broker.
    Restart,
}

#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    workload: Workload,
    partitions: u32,
    instances: u32,
    threads: u32,
    /// `cache=0`: every store update goes to the changelog and downstream at once.
    no_cache: bool,
    rate_per_s: u64,
    faults: Vec<(u64, Fault)>,
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => Just(Fault::Add),
        2 => any::<u32>().prop_map(Fault::Stop),
        2 => any::<u32>().prop_map(Fault::Crash),
        2 => any::<u32>().prop_map(Fault::Kill),
        2 => Just(Fault::Restart),
    ]
}

fn case(workload: Workload) -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        1u32..=3,
        1u32..=3,
        prop_oneof![3 => Just(1u32), 1 => Just(2u32)],
        prop::bool::weighted(0.25),
        5u64..=30,
        prop::collection::vec((0..FAULT_WINDOW_MS, fault()), 0..=5),
    )
        .prop_map(
            move |(seed, partitions, instances, threads, no_cache, rate_per_s, mut faults)| {
                faults.sort_by_key(|(at, _)| *at);
                Case {
                    seed,
                    workload,
                    partitions,
                    instances,
                    threads,
                    no_cache,
                    rate_per_s,
                    faults,
                }
            },
        )
}

/// The scenario that sets a case up: brokers, topics, the producer and the application.
fn setup(case: &Case) -> String {
    let w = case.workload;
    let (producer, topology) = match w {
        Workload::WordCount => (
            format!(
                "producer add typist topic=lines rate={}/s keys=none value=\"cycle({})\"",
                case.rate_per_s,
                LINES.map(|l| format!("'{l}'")).join(", ")
            ),
            "  stream lines\n  flatMapValues: split(lower(value))\n  groupBy: value\n  count store=counts\n  toStream\n  to word-counts"
                .to_string(),
        ),
        Workload::Windowed => (
            format!(
                "producer add site topic=views rate={}/s keys=page-1..page-4",
                case.rate_per_s
            ),
            format!(
                "  stream views\n  groupByKey\n  windowedBy tumbling {WINDOW_S}s grace={GRACE_S}s\n  count store=per-window\n  toStream\n  to views-per-window"
            ),
        ),
    };
    [
        format!("seed {}", case.seed),
        "brokers 3".to_string(),
        format!(
            "topic create {} partitions={} replication=3",
            w.input(),
            case.partitions
        ),
        format!(
            "topic create {} partitions={} replication=3",
            w.output(),
            case.partitions
        ),
        producer,
        format!(
            "streams app {} instances={} threads={} commit-interval={COMMIT_INTERVAL}{}",
            w.app(),
            case.instances,
            case.threads,
            if case.no_cache { " cache=0" } else { "" }
        ),
        topology,
        "end".to_string(),
    ]
    .join("\n")
}

#[derive(Default)]
struct Stats {
    cases: AtomicUsize,
    crashed_cases: AtomicUsize,
    faults: AtomicUsize,
    processed: AtomicU64,
    reprocessed: AtomicU64,
    excess: AtomicU64,
    /// Cases where the re-processing counted something twice (see `check_excess`).
    counted_twice_cases: AtomicUsize,
    simulated_s: AtomicU64,
}

struct Driver<'a> {
    cluster: Cluster,
    script: &'a mut Vec<String>,
    app: &'static str,
    /// Instance names and whether each runs.
    instances: Vec<(String, bool)>,
    crashed: bool,
}

impl Driver<'_> {
    fn running(&self) -> Vec<String> {
        self.instances
            .iter()
            .filter(|(_, up)| *up)
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn apply(&mut self, command: Command, text: String) -> Result<(), TestCaseError> {
        let at = format_duration(self.cluster.now());
        self.cluster
            .apply(command)
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

    fn add_instance(&mut self) -> Result<(), TestCaseError> {
        let name = format!("{}-{}", self.app, self.instances.len() + 1);
        self.instances.push((name.clone(), true));
        self.apply(
            Command::StreamsAdd {
                instance: name.clone(),
                app: self.app.to_string(),
                threads: None,
            },
            format!("streams add {name} app={}", self.app),
        )
    }

    fn end_instance(&mut self, n: u32, crash: bool) -> Result<(), TestCaseError> {
        let running = self.running();
        if running.is_empty() {
            return Ok(());
        }
        let name = running[n as usize % running.len()].clone();
        if let Some(i) = self.instances.iter_mut().find(|(x, _)| *x == name) {
            i.1 = false;
        }
        let (command, verb) = if crash {
            self.crashed = true;
            (
                Command::StreamsCrash {
                    instance: name.clone(),
                },
                "crash",
            )
        } else {
            // A clean close commits what it processed: it flushes the producer, then commits
            // the offsets. Kafka's `close()` blocks until both succeed (the records acknowledged
            // once a new leader is elected, `commitSync` retried until it finds the group's new
            // coordinator); the playground's stop is instantaneous, so with a broker down its
            // last commit can be missing (ARCHITECTURE.md, simplifications). During a rebalance
            // Kafka's consumer refuses the commit too (`generationIfStable()`). Either way the
            // next owner re-processes, as after a crash: such a stop counts as one.
            if self.down_broker().is_some()
                || self.cluster.streams_state(self.app, &name) != Some(InstanceState::Running)
            {
                self.crashed = true;
            }
            (
                Command::StreamsStop {
                    instance: name.clone(),
                },
                "stop",
            )
        };
        self.apply(command, format!("streams {verb} {name}"))
    }

    fn down_broker(&self) -> Option<u32> {
        (1..=3).find(|&b| self.cluster.broker_up(b) == Some(false))
    }

    fn fault(&mut self, fault: &Fault) -> Result<(), TestCaseError> {
        match fault {
            Fault::Add if self.running().len() < MAX_RUNNING => self.add_instance(),
            Fault::Add => Ok(()),
            Fault::Stop(n) => self.end_instance(*n, false),
            Fault::Crash(n) => self.end_instance(*n, true),
            Fault::Kill(n) if self.down_broker().is_none() => {
                let b = 1 + n % 3;
                self.apply(
                    Command::BrokerKill { broker: b },
                    format!("broker kill {b}"),
                )
            }
            Fault::Kill(_) => Ok(()),
            Fault::Restart => match self.down_broker() {
                Some(b) => self.apply(
                    Command::BrokerRestart { broker: b },
                    format!("broker restart {b}"),
                ),
                None => Ok(()),
            },
        }
    }

    /// The source and repartition partitions the application's group consumes.
    fn consumed_partitions(&self) -> Vec<TopicPartition> {
        let app = self.cluster.streams_app(self.app).expect("app");
        let mut topics: Vec<String> = app
            .topology
            .subtopologies
            .iter()
            .flat_map(|s| s.source_topics.iter().cloned())
            .collect();
        topics.sort();
        topics.dedup();
        topics
            .into_iter()
            .flat_map(|topic| {
                let n = self.cluster.topic_partitions(&topic).unwrap_or(0);
                (0..n).map(move |partition| TopicPartition {
                    topic: topic.clone(),
                    partition,
                })
            })
            .collect()
    }

    /// What keeps the application from being settled, for a failure's message.
    fn unsettled(&self) -> String {
        let c = &self.cluster;
        let mut why = Vec::new();
        for i in self.running() {
            why.push(format!("{i}: {:?}", c.streams_state(self.app, &i)));
        }
        why.push(format!("members {:?}", c.group_members(self.app)));
        why.push(format!("group {:?}", c.group_state(self.app)));
        for tp in self.consumed_partitions() {
            why.push(format!(
                "{tp}: committed {:?} of {:?}",
                c.group_committed(self.app, &tp).flatten(),
                c.high_watermark(&tp)
            ));
        }
        why.push(format!("tasks {:?}", c.streams_tasks(self.app)));
        why.join("\n")
    }

    /// Settled: every running instance RUNNING with its tasks restored, the group has only the
    /// running instances' threads, and every consumed partition is committed up to its end.
    fn settled(&self) -> bool {
        let c = &self.cluster;
        if c.group_state(self.app) != Some(GroupState::Stable) {
            return false;
        }
        let running = self.running();
        if running
            .iter()
            .any(|i| c.streams_state(self.app, i) != Some(InstanceState::Running))
        {
            return false;
        }
        let threads: usize = running
            .iter()
            .map(|i| {
                c.streams_app(self.app).expect("app").instances[c
                    .streams_app(self.app)
                    .expect("app")
                    .instances
                    .iter()
                    .position(|x| x.name == *i)
                    .expect("instance")]
                .threads
                .len()
            })
            .sum();
        if c.group_members(self.app).map_or(0, |m| m.len()) != threads {
            return false;
        }
        // A partition nothing was written to has nothing to commit.
        self.consumed_partitions().iter().all(|tp| {
            c.group_committed(self.app, tp).flatten().unwrap_or(0)
                == c.high_watermark(tp).unwrap_or(0)
        })
    }
}

/// Every record below the high watermark of every partition of `topic`: (key, value,
/// timestamp).
fn records(c: &Cluster, topic: &str) -> Vec<(Option<String>, Option<String>, Micros)> {
    let mut out = Vec::new();
    for partition in 0..c.topic_partitions(topic).unwrap_or(0) {
        let tp = TopicPartition {
            topic: topic.to_string(),
            partition,
        };
        let hw = c.high_watermark(&tp).unwrap_or(0);
        let log = c.leader_log(&tp).expect("a leader after the heal");
        for e in log.entries().filter(|e| e.offset < hw) {
            out.push((
                c.key_text(e.id).map(str::to_string),
                c.value_text(e.id),
                c.record_timestamp(e.id),
            ));
        }
    }
    out
}

/// The counts computed directly from the input topic's records, keyed as the store keys them:
/// the word for the word count; `[page-N@start/end]` (`Windowed.toString()`: the key and its
/// window, in ms) for the windowed count.
fn direct_counts(c: &Cluster, w: Workload) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for (key, value, ts) in records(c, w.input()) {
        match w {
            Workload::WordCount => {
                for word in value.unwrap_or_default().split_whitespace() {
                    *counts.entry(word.to_lowercase()).or_default() += 1;
                }
            }
            Workload::Windowed => {
                let window_ms = WINDOW_S * 1000;
                let start = ts / 1000 / window_ms * window_ms;
                let key = format!(
                    "[{}@{start}/{}]",
                    key.unwrap_or_default(),
                    start + window_ms
                );
                *counts.entry(key).or_default() += 1;
            }
        }
    }
    counts
}

/// With crashes, the counts' excess over the direct counts is exactly what the engine counted
/// as counted twice (`AppCounters::counted_twice`, `expect counted-twice APP`).
///
/// A crashed task's records since its last commit are processed again by the next owner, but
/// `reprocessed` is not the excess: a re-processed record counts twice only if what its first
/// processing wrote had already reached a topic. For the word count's first sub-topology
/// (split, re-key) that is its words in the repartition topic, which a second copy repeats as
/// new records at new offsets that the counting task counts again; for a counting task, a store
/// update already in the changelog (or state directory) the next owner restored. A re-processed
/// record whose first results were still in the record cache or the producer's buffer when the
/// process died is applied once. The engine follows each record's provenance to count exactly
/// those (`engine/src/streams/provenance.rs`); here the excess is computed from the stores and
/// the input topic alone. As a cross-check from the logs, the duplicates in the repartition
/// topic (its records minus the words in the input) are at most the excess.
///
/// Returns the excess.
fn check_excess(
    c: &Cluster,
    w: Workload,
    direct: &BTreeMap<String, u64>,
    counted: &BTreeMap<String, u64>,
    consumed: u64,
) -> Result<u64, TestCaseError> {
    let app = c.streams_app(w.app()).expect("app");
    let excess: u64 = direct.iter().map(|(k, n)| counted[k] - n).sum();
    if w == Workload::WordCount {
        let words: u64 = direct.values().sum();
        let repartitioned = consumed - records(c, w.input()).len() as u64;
        prop_assert!(
            repartitioned >= words,
            "the repartition topic has {} records for {} words: some were lost",
            repartitioned,
            words
        );
        prop_assert!(
            repartitioned - words <= excess,
            "{} duplicates in the repartition topic, more than the excess {}",
            repartitioned - words,
            excess
        );
    }
    prop_assert_eq!(
        excess,
        app.counters.counted_twice,
        "the counts' excess over the direct counts vs the engine's counted-twice ({} re-processed)",
        app.counters.reprocessed
    );
    Ok(excess)
}

fn run_case(
    case: &Case,
    script: &mut Vec<String>,
    stats: &Stats,
) -> Result<Cluster, TestCaseError> {
    let w = case.workload;
    let text = setup(case);
    script.extend(text.lines().map(str::to_string));
    let parsed = engine::scenario::parse("setup.scenario", &text)
        .map_err(|d| TestCaseError::fail(format!("{d:?}\n{text}")))?;
    let mut cluster = Cluster::new(case.seed);
    for step in parsed.steps {
        if let Action::Cluster(command) = step.action {
            cluster
                .apply(command.clone())
                .unwrap_or_else(|e| panic!("setup {command:?}: {e}"));
        }
    }
    let instances = (1..=case.instances)
        .map(|i| (format!("{}-{i}", w.app()), true))
        .collect();
    let mut d = Driver {
        cluster,
        script,
        app: w.app(),
        instances,
        crashed: false,
    };
    for (at_ms, fault) in &case.faults {
        d.advance_to(ms(*at_ms));
        d.fault(fault)?;
        stats.faults.fetch_add(1, Relaxed);
    }
    d.advance_to(ms(FAULT_WINDOW_MS));

    // Recovery: the broker back, the producer stopped, at least one running instance.
    if let Some(b) = d.down_broker() {
        d.apply(
            Command::BrokerRestart { broker: b },
            format!("broker restart {b}"),
        )?;
    }
    let producer = match w {
        Workload::WordCount => "typist",
        Workload::Windowed => "site",
    };
    d.apply(
        Command::ProducerStop {
            name: producer.into(),
        },
        format!("producer stop {producer}"),
    )?;
    if d.running().is_empty() {
        d.add_instance()?;
    }
    let recovery = d.cluster.now();
    while !d.settled() {
        prop_assert!(
            d.cluster.now() < recovery + SETTLE_LIMIT,
            "not settled {} after the recovery:\n{}",
            format_duration(SETTLE_LIMIT),
            d.unsettled()
        );
        let next = d.cluster.now() + SLICE;
        d.advance_to(next);
    }
    // Settled for good: a cooperative rebalance's follow-up round (a member rejoins after
    // revoking) comes within a few commit intervals.
    let mut quiet = 0;
    while quiet < 3 {
        prop_assert!(
            d.cluster.now() < recovery + SETTLE_LIMIT,
            "not settled {} after the recovery:\n{}",
            format_duration(SETTLE_LIMIT),
            d.unsettled()
        );
        let next = d.cluster.now() + SLICE;
        d.advance_to(next);
        quiet = if d.settled() { quiet + 1 } else { 0 };
    }
    d.script.push(format!(
        "wait {}",
        format_duration(d.cluster.now() - recovery)
    ));

    let c = &d.cluster;
    let app = c.streams_app(w.app()).expect("app");
    let counters = app.counters.clone();
    // Every record in every consumed partition was processed, each offset counted once as new.
    let consumed: u64 = d
        .consumed_partitions()
        .iter()
        .map(|tp| c.high_watermark(tp).unwrap_or(0))
        .sum();
    prop_assert_eq!(
        counters.processed - counters.reprocessed,
        consumed,
        "records processed once vs records in the source and repartition partitions"
    );
    prop_assert_eq!(counters.dropped, 0, "records dropped");
    prop_assert_eq!(c.lost(None), Some(0), "acks=all lost records");

    // Counts, as `expect store APP/STORE key=K` reads them.
    let direct = direct_counts(c, w);
    let mut counted = BTreeMap::new();
    for (key, n) in &direct {
        let got = c
            .streams_store_get(w.app(), w.store(), key)
            .expect("the store exists")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        prop_assert!(
            got >= *n,
            "{}: the store counts {} < {} direct (a record's count was lost)",
            key,
            got,
            n
        );
        counted.insert(key.clone(), got);
    }
    // The output topic's newest record per key is the store's count.
    if w == Workload::WordCount {
        let mut newest = BTreeMap::new();
        for (key, value, _) in records(c, w.output()) {
            newest.insert(key.unwrap_or_default(), value.unwrap_or_default());
        }
        for (key, n) in &counted {
            prop_assert_eq!(
                newest.get(key),
                Some(&n.to_string()),
                "{}'s newest count in {}",
                key,
                w.output()
            );
        }
    }
    if !d.crashed {
        prop_assert_eq!(counters.reprocessed, 0, "re-processed without a crash");
        prop_assert_eq!(counters.counted_twice, 0, "counted twice without a crash");
        prop_assert_eq!(&counted, &direct, "counts without a crash");
    }
    let excess = check_excess(c, w, &direct, &counted, consumed)?;

    d.script.push(format!(
        "expect processed {} == {}",
        w.app(),
        counters.processed
    ));
    d.script.push(format!(
        "expect reprocessed {} == {}",
        w.app(),
        counters.reprocessed
    ));
    d.script.push(format!(
        "expect counted-twice {} == {}",
        w.app(),
        counters.counted_twice
    ));
    if w == Workload::WordCount {
        for (key, n) in &counted {
            d.script.push(format!(
                "expect store {}/{} key={key} == {n}",
                w.app(),
                w.store()
            ));
        }
    }
    stats.cases.fetch_add(1, Relaxed);
    if d.crashed {
        stats.crashed_cases.fetch_add(1, Relaxed);
    }
    if excess > 0 {
        stats.counted_twice_cases.fetch_add(1, Relaxed);
    }
    stats.processed.fetch_add(counters.processed, Relaxed);
    stats.reprocessed.fetch_add(counters.reprocessed, Relaxed);
    stats.excess.fetch_add(excess, Relaxed);
    stats.simulated_s.fetch_add(c.now() / secs(1), Relaxed);
    Ok(d.cluster)
}

fn run_workload(workload: Workload) {
    let name = format!("streams_{workload:?}_settles_with_every_record_counted");
    let stats = Stats::default();
    let started = Instant::now();
    let mut runner = TestRunner::new(proptest_config_with_cases(500));
    let result = runner.run(&case(workload), |case| {
        catch_failure(case.seed, |script| run_case(&case, script, &stats)).map(drop)
    });
    println!(
        "{name}: {} cases passed in {:.1} s ({} with a crash, {} faults, {} simulated s); {} records processed, {} re-processed; counts {} above the direct counts, all counted twice by the engine; {} cases counted something twice",
        stats.cases.load(Relaxed),
        started.elapsed().as_secs_f64(),
        stats.crashed_cases.load(Relaxed),
        stats.faults.load(Relaxed),
        stats.simulated_s.load(Relaxed),
        stats.processed.load(Relaxed),
        stats.reprocessed.load(Relaxed),
        stats.excess.load(Relaxed),
        stats.counted_twice_cases.load(Relaxed),
    );
    assert_property(&name, result);
}

#[test]
fn word_count_settles_with_every_record_counted() {
    run_workload(Workload::WordCount);
}

#[test]
fn windowed_count_settles_with_every_record_counted() {
    run_workload(Workload::Windowed);
}

/// The scenario a failure prints replays the same run, its `expect` lines (the engine's
/// `processed`, `reprocessed` and store counts) holding.
#[test]
fn streams_failure_scenarios_replay_the_same_run() {
    for workload in [Workload::WordCount, Workload::Windowed] {
        let mut runner = TestRunner::new(Config {
            cases: 4,
            ..proptest_config_with_cases(4)
        });
        let result = runner.run(&case(workload), |case| {
            let stats = Stats::default();
            let mut script = Vec::new();
            let cluster = run_case(&case, &mut script, &stats)?;
            check_replay(&script, &cluster)
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }
}
