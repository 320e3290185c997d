//! Property tests for Kafka Connect: a JDBC source (`mode=incrementing`) copying one or two
//! tables into topics and a sink (a JDBC table with `insert.mode=upsert`, or a file) copying the
//! topics out, under random schedules of workers added, crashed, stopped cleanly and restarted
//! and brokers killed and restarted. Distributed workers share the `connect-cluster` group with a
//! short `scheduled.rebalance.max.delay.ms`; the standalone variant has one worker (a crash stops
//! everything until it is back). After every simulated second:
//!
//! * the cluster's invariants hold (`Cluster::check_invariants`);
//! * a task runs on at most one worker, a live one, and a distributed worker runs exactly what
//!   its last assignment lists (no task is in two live workers' assignments: the cooperative
//!   protocol revokes before it reassigns).
//!
//! Once the faults are over (the broker back, the tables' rates stopped, a live worker) and
//! Connect has settled:
//!
//! * every connector and every task is RUNNING on exactly one live worker;
//! * the status topic (`connect-status`, read back as `status-state`/`status-worker` read it)
//!   says RUNNING on that worker for each of them (distributed);
//! * every source row is in the topic at least once and nothing else is; the topic's extra
//!   copies are at most the engine's `connector-duplicates`, and none without a crash;
//! * every source row is in the sink: the sink table holds exactly the source rows, or the file
//!   holds every row's JSON at least as often as the topic does, nothing else, and its extra
//!   lines over the topic's records are exactly the sink group's `duplicates` (records a sink
//!   task consumed again after its partition moved without a commit).
//!
//! `PROPTEST_CASES` sets the number of cases per variant (default 700 distributed and 300
//! standalone: 1,000 in all). A failure prints the seed and the run as a scenario file that
//! `playground run` replays.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use engine::Cluster;
use engine::command::{Command, Rate, TopicPartition};
use engine::connect::ConnectCommand;
use engine::connect::internal_topics::status_key;
use engine::group::GroupState;
use engine::scenario::ast::Action;
use engine::time::{Micros, format_duration, ms, secs};
use playground_tests::{assert_property, catch_failure, check_replay, proptest_config_with_cases};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Faults happen within the first `FAULT_WINDOW_MS` of simulated time.
const FAULT_WINDOW_MS: u64 = 20_000;
/// The driver checks the invariants after every slice.
const SLICE: Micros = secs(1);
/// The longest Connect may take to settle after the faults: a crashed worker's sink consumer
/// leaves its group `connect-NAME` only at its 45 s `session.timeout.ms`; a crashed distributed
/// worker's work waits for its 10 s session and `scheduled.rebalance.max.delay.ms`.
const SETTLE_LIMIT: Micros = secs(180);
/// Seconds of no change (topics' high watermarks, the sink's size) that count as caught up:
/// longer than the source's `poll.interval.ms`.
const QUIET_S: u32 = 3;
/// Most distributed workers alive at once.
const MAX_LIVE: usize = 4;
const SOURCE: &str = "jdbc";
const SINK: &str = "export";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Distributed,
    Standalone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SinkKind {
    /// `JdbcSink` into table `copy` (upsert by the record key: duplicates collapse).
    Table,
    /// `FileStreamSink` into file `copy.txt` (append: duplicates are extra lines).
    File,
}

#[derive(Debug, Clone)]
enum Fault {
    /// `worker add` of a new distributed worker (skipped when `MAX_LIVE` run; standalone: none).
    Add,
    /// `worker stop` of the `n % live`-th live worker.
    Stop(u32),
    /// `worker crash` of the `n % live`-th live worker.
    Crash(u32),
    /// `worker restart` of the `n % down`-th stopped or crashed worker.
    Restart(u32),
    /// `broker kill` of broker `1 + n % 3`, when no broker is down (every partition keeps an
    /// in-sync replica to elect cleanly).
    Kill(u32),
    /// `broker restart` of the down broker.
    BrokerRestart,
}

#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    mode: Mode,
    /// Workers at the start (standalone: 1).
    workers: u32,
    /// `scheduled.rebalance.max.delay.ms`.
    max_delay_ms: u32,
    /// Source tables `t1..tN` (a table sink copies one: the rows' keys would collide).
    tables: u32,
    source_tasks: u32,
    partitions: u32,
    sink: SinkKind,
    sink_tasks: u32,
    rate_per_s: u64,
    poll_ms: u64,
    faults: Vec<(u64, Fault)>,
}

fn fault(mode: Mode) -> BoxedStrategy<Fault> {
    match mode {
        Mode::Distributed => prop_oneof![
            3 => Just(Fault::Add),
            2 => any::<u32>().prop_map(Fault::Stop),
            3 => any::<u32>().prop_map(Fault::Crash),
            2 => any::<u32>().prop_map(Fault::Restart),
            2 => any::<u32>().prop_map(Fault::Kill),
            2 => Just(Fault::BrokerRestart),
        ]
        .boxed(),
        Mode::Standalone => prop_oneof![
            1 => any::<u32>().prop_map(Fault::Stop),
            2 => any::<u32>().prop_map(Fault::Crash),
            3 => any::<u32>().prop_map(Fault::Restart),
            2 => any::<u32>().prop_map(Fault::Kill),
            2 => Just(Fault::BrokerRestart),
        ]
        .boxed(),
    }
}

fn case(mode: Mode) -> impl Strategy<Value = Case> {
    let workers = match mode {
        Mode::Distributed => 2u32..=4,
        Mode::Standalone => 1u32..=1,
    };
    (
        any::<u64>(),
        workers,
        prop_oneof![Just(2_000u32), Just(5_000), Just(15_000)],
        (1u32..=2, 1u32..=2, 1u32..=3),
        prop_oneof![Just(SinkKind::Table), Just(SinkKind::File)],
        1u32..=3,
        (1u64..=10, 200u64..=1_000),
        prop::collection::vec((0..FAULT_WINDOW_MS, fault(mode)), 0..=6),
    )
        .prop_map(
            move |(
                seed,
                workers,
                max_delay_ms,
                (tables, source_tasks, partitions),
                sink,
                sink_tasks,
                (rate_per_s, poll_ms),
                mut faults,
            )| {
                faults.sort_by_key(|(at, _)| *at);
                Case {
                    seed,
                    mode,
                    workers,
                    max_delay_ms,
                    tables: if sink == SinkKind::Table { 1 } else { tables },
                    source_tasks,
                    partitions,
                    sink,
                    sink_tasks,
                    rate_per_s,
                    poll_ms,
                    faults,
                }
            },
        )
}

fn tables(case: &Case) -> Vec<String> {
    (1..=case.tables).map(|i| format!("t{i}")).collect()
}

fn topic(table: &str) -> String {
    format!("db-{table}")
}

/// The sink system's name.
fn sink_system(case: &Case) -> &'static str {
    match case.sink {
        SinkKind::Table => "copy",
        SinkKind::File => "copy.txt",
    }
}

/// The scenario that sets a case up: brokers, topics, systems, workers and both connectors.
fn setup(case: &Case) -> String {
    let tables = tables(case);
    let mut lines = vec![format!("seed {}", case.seed), "brokers 3".to_string()];
    for t in &tables {
        lines.push(format!(
            "topic create {} partitions={} replication=3",
            topic(t),
            case.partitions
        ));
        lines.push(format!("system table {t} rate={}/s", case.rate_per_s));
    }
    lines.push(match case.sink {
        SinkKind::Table => "system table copy".to_string(),
        SinkKind::File => "system file copy.txt".to_string(),
    });
    for w in 1..=case.workers {
        lines.push(match case.mode {
            Mode::Distributed => format!(
                "worker add w{w} mode=distributed scheduled.rebalance.max.delay.ms={}",
                case.max_delay_ms
            ),
            Mode::Standalone => format!("worker add w{w}"),
        });
    }
    lines.push(format!(
        "connector create {SOURCE} worker=w1 connector.class=JdbcSource tasks.max={} table.whitelist={} topic.prefix=db- poll.interval.ms={}",
        case.source_tasks,
        tables.join(","),
        case.poll_ms
    ));
    let topics: Vec<String> = tables.iter().map(|t| topic(t)).collect();
    lines.push(match case.sink {
        SinkKind::Table => format!(
            "connector create {SINK} worker=w1 connector.class=JdbcSink tasks.max={} topics={} table.name.format=copy",
            case.sink_tasks,
            topics.join(",")
        ),
        SinkKind::File => format!(
            "connector create {SINK} worker=w1 connector.class=FileStreamSink tasks.max={} topics={} file=copy.txt",
            case.sink_tasks,
            topics.join(",")
        ),
    });
    lines.join("\n")
}

#[derive(Default)]
struct Stats {
    cases: AtomicUsize,
    crashed_cases: AtomicUsize,
    faults: AtomicUsize,
    rows: AtomicU64,
    source_duplicates: AtomicU64,
    sink_duplicates: AtomicU64,
    simulated_s: AtomicU64,
}

struct Driver<'a> {
    cluster: Cluster,
    script: &'a mut Vec<String>,
    case: &'a Case,
    /// Worker names and whether each runs.
    workers: Vec<(String, bool)>,
    crashed: bool,
}

impl Driver<'_> {
    fn live(&self) -> Vec<String> {
        self.workers
            .iter()
            .filter(|(_, up)| *up)
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn down(&self) -> Vec<String> {
        self.workers
            .iter()
            .filter(|(_, up)| !*up)
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn set_up(&mut self, name: &str, up: bool) {
        if let Some(w) = self.workers.iter_mut().find(|(n, _)| n == name) {
            w.1 = up;
        }
    }

    fn apply(&mut self, command: Command, text: String) -> Result<(), TestCaseError> {
        let at = format_duration(self.cluster.now());
        self.cluster
            .apply(command)
            .map_err(|e| TestCaseError::fail(format!("{text} refused at {at}: {e}")))?;
        self.script.push(format!("at {at} {text}"));
        self.cluster.drain_events();
        self.check_slice()
    }

    fn connect(&mut self, command: ConnectCommand, text: String) -> Result<(), TestCaseError> {
        self.apply(Command::Connect(command), text)
    }

    fn advance_to(&mut self, until: Micros) -> Result<(), TestCaseError> {
        while self.cluster.now() < until {
            let next = (self.cluster.now() + SLICE).min(until);
            self.cluster.advance_to(next);
            self.cluster.drain_events();
            self.check_slice()?;
        }
        Ok(())
    }

    /// The invariants of every instant: the cluster's own, and Connect's placement (a task on
    /// at most one worker, a live one that was assigned it; assignments disjoint).
    fn check_slice(&self) -> Result<(), TestCaseError> {
        let c = &self.cluster;
        c.check_invariants();
        let connect = c.connect();
        let mut owners: BTreeMap<(String, i32), String> = BTreeMap::new();
        for w in connect.workers.iter().filter(|w| w.alive) {
            let Some(a) = w.distributed.as_ref().and_then(|m| m.assignment.as_ref()) else {
                continue;
            };
            for t in &a.tasks {
                if let Some(other) = owners.insert((t.connector.clone(), t.task), w.name.clone()) {
                    return Err(TestCaseError::fail(format!(
                        "task {}-{} assigned to both {other} and {} at {}",
                        t.connector,
                        t.task,
                        w.name,
                        format_duration(c.now())
                    )));
                }
            }
        }
        for conn in connect.connectors.iter().filter(|c| !c.deleted) {
            for t in &conn.tasks {
                let Some(w) = t.worker else { continue };
                let worker = &connect.workers[w as usize];
                prop_assert!(
                    worker.alive,
                    "{}-{} runs on {}, which is down",
                    conn.name,
                    t.id,
                    worker.name
                );
                if worker.distributed.is_some() {
                    prop_assert_eq!(
                        owners.get(&(conn.name.clone(), t.id as i32)),
                        Some(&worker.name),
                        "{}-{} runs on {} at {}: not what its assignment says",
                        conn.name,
                        t.id,
                        worker.name,
                        format_duration(c.now())
                    );
                }
            }
        }
        Ok(())
    }

    fn down_broker(&self) -> Option<u32> {
        (1..=3).find(|&b| self.cluster.broker_up(b) == Some(false))
    }

    fn add_worker(&mut self) -> Result<(), TestCaseError> {
        let name = format!("w{}", self.workers.len() + 1);
        self.workers.push((name.clone(), true));
        let delay = self.case.max_delay_ms;
        self.connect(
            ConnectCommand::WorkerAddDistributed {
                name: name.clone(),
                group: None,
                max_delay_ms: Some(delay),
            },
            format!("worker add {name} mode=distributed scheduled.rebalance.max.delay.ms={delay}"),
        )
    }

    fn end_worker(&mut self, n: u32, crash: bool) -> Result<(), TestCaseError> {
        let live = self.live();
        if live.is_empty() {
            return Ok(());
        }
        let name = live[n as usize % live.len()].clone();
        self.set_up(&name, false);
        if crash {
            self.crashed = true;
            self.connect(
                ConnectCommand::WorkerCrash { name: name.clone() },
                format!("worker crash {name}"),
            )
        } else {
            self.connect(
                ConnectCommand::WorkerStop { name: name.clone() },
                format!("worker stop {name}"),
            )
        }
    }

    fn restart_worker(&mut self, n: u32) -> Result<(), TestCaseError> {
        let down = self.down();
        if down.is_empty() || self.live().len() >= MAX_LIVE {
            return Ok(());
        }
        let name = down[n as usize % down.len()].clone();
        self.set_up(&name, true);
        self.connect(
            ConnectCommand::WorkerRestart { name: name.clone() },
            format!("worker restart {name}"),
        )
    }

    fn fault(&mut self, fault: &Fault) -> Result<(), TestCaseError> {
        match fault {
            Fault::Add if self.live().len() < MAX_LIVE => self.add_worker(),
            Fault::Add => Ok(()),
            Fault::Stop(n) => self.end_worker(*n, false),
            Fault::Crash(n) => self.end_worker(*n, true),
            Fault::Restart(n) => self.restart_worker(*n),
            Fault::Kill(n) if self.down_broker().is_none() => {
                let b = 1 + n % 3;
                self.apply(
                    Command::BrokerKill { broker: b },
                    format!("broker kill {b}"),
                )
            }
            Fault::Kill(_) => Ok(()),
            Fault::BrokerRestart => match self.down_broker() {
                Some(b) => self.apply(
                    Command::BrokerRestart { broker: b },
                    format!("broker restart {b}"),
                ),
                None => Ok(()),
            },
        }
    }

    fn topic_partitions(&self) -> Vec<TopicPartition> {
        tables(self.case)
            .iter()
            .flat_map(|t| {
                (0..self.case.partitions).map(move |partition| TopicPartition {
                    topic: topic(t),
                    partition,
                })
            })
            .collect()
    }

    /// What changes while data still moves: the topics' high watermarks and the sink's size.
    fn progress(&self) -> (Vec<Option<u64>>, usize) {
        let c = &self.cluster;
        let hws = self
            .topic_partitions()
            .iter()
            .map(|tp| c.high_watermark(tp))
            .collect();
        let sink = c
            .connect()
            .system(sink_system(self.case))
            .map_or(0, |s| s.len());
        (hws, sink)
    }

    /// Why Connect is not settled (empty when it is): every connector and task RUNNING on a
    /// live worker, the Connect group and the sink's group stable with exactly their live
    /// members, and every acknowledged topic record consumed by the sink.
    fn unsettled(&self) -> Vec<String> {
        let c = &self.cluster;
        let connect = c.connect();
        let mut why = Vec::new();
        for name in [SOURCE, SINK] {
            let conn = connect.connector(name).expect("created at setup");
            let runner = connector_worker(conn).map(|w| &connect.workers[w as usize]);
            if conn.state.name() != "RUNNING" || runner.is_none_or(|w| !w.alive) {
                why.push(format!(
                    "{name}: {} on {:?}",
                    conn.state.name(),
                    runner.map(|w| &w.name)
                ));
            }
            for t in &conn.tasks {
                let worker = t.worker.map(|w| &connect.workers[w as usize]);
                if t.state.name() != "RUNNING" || worker.is_none_or(|w| !w.alive) {
                    why.push(format!(
                        "{name}-{}: {} on {:?}",
                        t.id,
                        t.state.name(),
                        worker.map(|w| &w.name)
                    ));
                }
            }
        }
        if self.case.mode == Mode::Distributed {
            let live = self.live();
            let members = c.group_members("connect-cluster").unwrap_or_default();
            let state = c.group_state("connect-cluster");
            if state != Some(GroupState::Stable) || members.len() != live.len() {
                why.push(format!(
                    "connect-cluster: {state:?} with {members:?}, live {live:?}"
                ));
            }
            for w in connect.workers.iter().filter(|w| w.alive) {
                let m = w.distributed.as_ref().expect("distributed");
                if m.scheduled_rebalance_us.is_some() {
                    why.push(format!("{}: a scheduled rebalance pending", w.name));
                }
            }
        }
        let group = format!("connect-{SINK}");
        let members = c.group_members(&group).unwrap_or_default();
        let state = c.group_state(&group);
        let tasks = connect.task_count(SINK).unwrap_or(0);
        if state != Some(GroupState::Stable) || members.len() != tasks {
            why.push(format!("{group}: {state:?} with {members:?}"));
        }
        let unconsumed = c.group_unconsumed_acked(&group).unwrap_or(0);
        if unconsumed > 0 {
            why.push(format!("{group}: {unconsumed} records not consumed yet"));
        }
        why
    }
}

/// The worker running a connector instance: the one the leader assigned it to (distributed),
/// else the standalone worker it was created on.
fn connector_worker(conn: &engine::connect::connector::Connector) -> Option<u32> {
    match conn.cluster {
        Some(_) => conn.runner,
        None => Some(conn.worker),
    }
}

/// Every record below the high watermark of `topic`'s partitions: its value.
fn topic_values(c: &Cluster, topic: &str) -> Vec<String> {
    let mut out = Vec::new();
    for partition in 0..c.topic_partitions(topic).unwrap_or(0) {
        let tp = TopicPartition {
            topic: topic.to_string(),
            partition,
        };
        let hw = c.high_watermark(&tp).unwrap_or(0);
        let log = c.leader_log(&tp).expect("a leader after the recovery");
        for e in log.entries().filter(|e| e.offset < hw) {
            out.push(c.value_text(e.id).unwrap_or_default());
        }
    }
    out
}

fn count<'a>(values: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, u64> {
    let mut n = BTreeMap::new();
    for v in values {
        *n.entry(v).or_default() += 1;
    }
    n
}

/// The data properties after settling; returns (source duplicates in the topics, sink
/// duplicates over the topics).
fn check_data(d: &Driver) -> Result<(u64, u64), TestCaseError> {
    let c = &d.cluster;
    let connect = c.connect();
    let counters = connect.counters(SOURCE).expect("source").clone();
    prop_assert_eq!(c.lost(None), Some(0), "acks=all lost records");
    let mut source_rows: BTreeMap<String, String> = BTreeMap::new();
    let mut topic_all: Vec<String> = Vec::new();
    let mut topic_dups = 0u64;
    for t in tables(d.case) {
        let table = connect.system(&t).expect("table");
        let rows: BTreeMap<&str, &str> = table
            .rows()
            .map(|r| (r.value.as_str(), r.key.as_str()))
            .collect();
        let values = topic_values(c, &topic(&t));
        let in_topic = count(values.iter().map(String::as_str));
        for value in rows.keys() {
            prop_assert!(
                in_topic.contains_key(value),
                "row {} of {} is not in {} ({} rows, {} records)",
                value,
                t,
                topic(&t),
                rows.len(),
                values.len()
            );
        }
        for value in in_topic.keys() {
            prop_assert!(
                rows.contains_key(value),
                "{} holds {}, which is no row of {}",
                topic(&t),
                value,
                t
            );
        }
        topic_dups += values.len() as u64 - rows.len() as u64;
        for r in table.rows() {
            source_rows.insert(r.value.clone(), r.key.clone());
        }
        topic_all.extend(values);
    }
    // A record a crashed worker's producer still held unsent was never in the topic, but
    // reading it again counts as produced again: the engine's count is an upper bound.
    prop_assert!(
        topic_dups <= counters.duplicates,
        "{} extra copies in the topics, more than the {} connector-duplicates",
        topic_dups,
        counters.duplicates
    );
    if !d.crashed {
        prop_assert_eq!(
            counters.duplicates,
            0,
            "connector-duplicates without a crash"
        );
    }
    let sink = connect.system(sink_system(d.case)).expect("sink");
    let written = connect.counters(SINK).expect("sink connector").written;
    let sink_dups = match d.case.sink {
        SinkKind::Table => {
            // Upserts by the record key (the source row's id): exactly the source rows.
            let got: BTreeMap<String, String> = sink
                .rows()
                .map(|r| (r.value.clone(), r.key.clone()))
                .collect();
            prop_assert_eq!(&got, &source_rows, "the sink table vs the source rows");
            written - topic_all.len() as u64
        }
        SinkKind::File => {
            let in_file = count(sink.lines());
            let in_topic = count(topic_all.iter().map(String::as_str));
            for (value, n) in &in_topic {
                let got = in_file.get(value).copied().unwrap_or(0);
                prop_assert!(
                    got >= *n,
                    "{} is {} times in the topics but {} times in the file",
                    value,
                    n,
                    got
                );
            }
            for value in in_file.keys() {
                prop_assert!(
                    in_topic.contains_key(value),
                    "the file holds {}, which is in no topic",
                    value
                );
            }
            prop_assert_eq!(sink.len() as u64, written, "lines vs the sink's written");
            sink.len() as u64 - topic_all.len() as u64
        }
    };
    let group = format!("connect-{SINK}");
    prop_assert_eq!(
        Some(sink_dups),
        c.group_duplicates(&group),
        "records the sink wrote more than once vs the group's duplicates"
    );
    Ok((topic_dups, sink_dups))
}

/// The placement and status properties after settling.
fn check_placement(d: &Driver) -> Result<(), TestCaseError> {
    let c = &d.cluster;
    let connect = c.connect();
    for name in [SOURCE, SINK] {
        let conn = connect.connector(name).expect("created");
        let mut entries: Vec<(Option<u32>, String, Option<u32>)> =
            vec![(None, conn.state.name().to_string(), connector_worker(conn))];
        for t in &conn.tasks {
            entries.push((Some(t.id), t.state.name().to_string(), t.worker));
        }
        for (task, state, worker) in entries {
            let label = match task {
                Some(t) => format!("{name}-{t}"),
                None => name.to_string(),
            };
            prop_assert_eq!(state.as_str(), "RUNNING", "{}'s state", label);
            let w = worker.map(|w| &connect.workers[w as usize]);
            prop_assert!(
                w.is_some_and(|w| w.alive),
                "{} runs on {:?}",
                label,
                w.map(|w| &w.name)
            );
            let w = w.expect("checked");
            if d.case.mode == Mode::Distributed {
                let a = w
                    .distributed
                    .as_ref()
                    .and_then(|m| m.assignment.as_ref())
                    .expect("a running worker has an assignment");
                let listed = match task {
                    Some(t) => a
                        .tasks
                        .iter()
                        .any(|x| x.connector == name && x.task == t as i32),
                    None => a.connectors.iter().any(|x| x == name),
                };
                prop_assert!(
                    listed,
                    "{} runs on {}, whose assignment lacks it",
                    label,
                    w.name
                );
                let status = c.status_record(&status_key(name, task));
                prop_assert_eq!(
                    status,
                    Some(("RUNNING".to_string(), w.name.clone())),
                    "{}'s record in connect-status",
                    label
                );
            }
        }
    }
    Ok(())
}

fn run_case(
    case: &Case,
    script: &mut Vec<String>,
    stats: &Stats,
) -> Result<Cluster, TestCaseError> {
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
    let workers = (1..=case.workers)
        .map(|w| (format!("w{w}"), true))
        .collect();
    let mut d = Driver {
        cluster,
        script,
        case,
        workers,
        crashed: false,
    };
    for (at_ms, fault) in &case.faults {
        d.advance_to(ms(*at_ms))?;
        d.fault(fault)?;
        stats.faults.fetch_add(1, Relaxed);
    }
    d.advance_to(ms(FAULT_WINDOW_MS))?;

    // Recovery: the broker back, the tables' rates stopped, a live worker.
    if let Some(b) = d.down_broker() {
        d.apply(
            Command::BrokerRestart { broker: b },
            format!("broker restart {b}"),
        )?;
    }
    for t in tables(case) {
        d.connect(
            ConnectCommand::SystemRate {
                name: t.clone(),
                rate: Rate { per_hour: 0 },
            },
            format!("system rate {t} 0/s"),
        )?;
    }
    if d.live().is_empty() {
        d.restart_worker(0)?;
    }
    let recovery = d.cluster.now();
    let mut quiet = 0;
    let mut last = d.progress();
    while quiet < QUIET_S {
        let why = d.unsettled();
        prop_assert!(
            d.cluster.now() < recovery + SETTLE_LIMIT,
            "not settled {} after the recovery:\n{}",
            format_duration(SETTLE_LIMIT),
            why.join("\n")
        );
        let next = d.cluster.now() + SLICE;
        d.advance_to(next)?;
        let now = d.progress();
        quiet = if why.is_empty() && d.unsettled().is_empty() && now == last {
            quiet + 1
        } else {
            0
        };
        last = now;
    }
    d.script.push(format!(
        "wait {}",
        format_duration(d.cluster.now() - recovery)
    ));

    check_placement(&d)?;
    let (source_dups, sink_dups) = check_data(&d)?;

    let c = &d.cluster;
    let connect = c.connect();
    let rows: u64 = tables(case)
        .iter()
        .map(|t| connect.system(t).map_or(0, |s| s.len() as u64))
        .sum();
    let counters = connect.counters(SOURCE).expect("source").clone();
    d.script.push(format!(
        "expect connector-duplicates {SOURCE} == {}",
        counters.duplicates
    ));
    d.script
        .push(format!("expect produced {SOURCE} == {}", counters.produced));
    let sink = connect.system(sink_system(case)).expect("sink");
    d.script.push(match case.sink {
        SinkKind::Table => format!("expect rows copy == {}", sink.len()),
        SinkKind::File => format!("expect lines copy.txt == {}", sink.len()),
    });
    for name in [SOURCE, SINK] {
        for t in 0..connect.task_count(name).unwrap_or(0) as u32 {
            d.script
                .push(format!("expect task-state {name}-{t} == RUNNING"));
            if let Some(w) = connect.task_worker(name, t) {
                d.script
                    .push(format!("expect task-worker {name}-{t} == {w}"));
                if case.mode == Mode::Distributed {
                    d.script
                        .push(format!("expect status-worker {name}-{t} == {w}"));
                }
            }
        }
    }
    stats.cases.fetch_add(1, Relaxed);
    if d.crashed {
        stats.crashed_cases.fetch_add(1, Relaxed);
    }
    stats.rows.fetch_add(rows, Relaxed);
    stats.source_duplicates.fetch_add(source_dups, Relaxed);
    stats.sink_duplicates.fetch_add(sink_dups, Relaxed);
    stats.simulated_s.fetch_add(c.now() / secs(1), Relaxed);
    Ok(d.cluster)
}

fn run_mode(mode: Mode, default_cases: u32) {
    let name = format!("connect_{mode:?}_settles_with_every_row_copied");
    let stats = Stats::default();
    let started = Instant::now();
    let mut runner = TestRunner::new(proptest_config_with_cases(default_cases));
    let result = runner.run(&case(mode), |case| {
        catch_failure(case.seed, |script| run_case(&case, script, &stats)).map(drop)
    });
    let elapsed = started.elapsed().as_secs_f64();
    let cases = stats.cases.load(Relaxed);
    println!(
        "{name}: {cases} cases passed in {elapsed:.1} s ({:.0} cases/s; {} with a crash, {} faults, {} simulated s); {} source rows copied, {} extra copies in the topics, {} extra writes to the sinks",
        cases as f64 / elapsed.max(1e-9),
        stats.crashed_cases.load(Relaxed),
        stats.faults.load(Relaxed),
        stats.simulated_s.load(Relaxed),
        stats.rows.load(Relaxed),
        stats.source_duplicates.load(Relaxed),
        stats.sink_duplicates.load(Relaxed),
    );
    assert_property(&name, result);
}

#[test]
fn distributed_connect_settles_with_every_row_copied() {
    run_mode(Mode::Distributed, 700);
}

#[test]
fn standalone_connect_settles_with_every_row_copied() {
    run_mode(Mode::Standalone, 300);
}

/// The scenario a failure prints replays the same run, its `expect` lines holding.
#[test]
fn connect_failure_scenarios_replay_the_same_run() {
    for mode in [Mode::Distributed, Mode::Standalone] {
        let mut runner = TestRunner::new(Config {
            cases: 4,
            ..proptest_config_with_cases(4)
        });
        let result = runner.run(&case(mode), |case| {
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
