//! The parsed form of a scenario file (see docs/scenario-language.md, contract v1). Every step keeps the
//! position of its first character so that runtime failures can name `FILE:LINE`.

use crate::command::{Command, TopicPartition};
use crate::time::Micros;

/// A 1-based position in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// A whole parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// The file name used in messages (`FILE:LINE:COL`).
    pub file: String,
    pub title: Option<String>,
    pub seed: Option<u64>,
    pub steps: Vec<Step>,
}

/// One line that does something.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub pos: Pos,
    /// `at TIME COMMAND`: wait until TIME after the start first.
    pub at: Option<Micros>,
    pub action: Action,
}

/// How long `wait until` plays before it gives up, unless it says `timeout=`: a minute covers
/// every timeout the playground's defaults set in motion (a fenced broker after 9 s, a consumer's
/// 45 s session) and still fails a lesson quickly when its condition never comes.
pub const WAIT_UNTIL_TIMEOUT: Micros = crate::time::secs(60);

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A change to the cluster.
    Cluster(Command),
    /// `wait DURATION`
    Wait(Micros),
    /// `pause`: the browser stops until Next; the headless runner ignores it.
    Pause,
    /// `say "TEXT"`, and the code lines (`| …`) under it, if any: the narration is the first
    /// line, each further line one line of code (`parser::listing`).
    Say(String),
    /// `focus TARGET…`: what the screen must show from now on; `focus all` is the empty list
    /// (the whole cluster). Nothing changes in the cluster: the headless runner ignores it.
    Focus(Vec<FocusTarget>),
    /// `expect METRIC ARGS OP VALUE`
    Expect(Expectation),
    /// `wait until METRIC ARGS OP VALUE [timeout=D]`: play until the expectation holds (then go
    /// on at that very instant), or fail the run with its message once `timeout` has passed.
    WaitUntil {
        expectation: Expectation,
        timeout: Micros,
    },
}

/// One thing a `focus` line puts on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FocusTarget {
    /// `broker N`
    Broker(u32),
    /// `topic T` (or a bare `T`)
    Topic(String),
    /// `T/P`: the partition's log.
    Partition(TopicPartition),
    /// `replicas T/P`: the partition's replicas view (every replica's log, stacked).
    Replicas(TopicPartition),
    /// `records T`: the topic's newest records, key and value, listed under its log (what its
    /// cells only show on hover): for a lesson whose words are about what records hold.
    Records(String),
    /// `producer P` (or a bare `P`)
    Producer(String),
    /// `group G` (or a bare `G`)
    Group(String),
    /// `consumer C` (or a bare `C`)
    Consumer(String),
    /// `metrics`: the metrics panel.
    Metrics,
    /// `clients`: every real Kafka client's card (producers and groups of programs connected to
    /// the listeners), whichever connect while the focus holds: a lesson cannot name them.
    Clients,
    /// `app APP`: a Streams application (its topology and instances).
    App(String),
    /// `store APP/STORE`: one state store of an application.
    Store { app: String, store: String },
    /// `task APP/TASK`: one task (`0_1`: sub-topology 0, partition 1) of an application.
    Task { app: String, task: String },
    /// `worker W`: a Kafka Connect worker (its box and what runs on it).
    Worker(String),
    /// `connector C`: a Kafka Connect connector's card.
    Connector(String),
    /// `task NAME-ID`: one task of a Kafka Connect connector (Kafka's `ConnectorTaskId`).
    ConnectTask { connector: String, id: u32 },
    /// `system S`: an external system (a database table or a file) that connectors copy.
    System(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// What an `expect` line measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Metric {
    Leader(TopicPartition),
    Replicas(TopicPartition),
    Isr(TopicPartition),
    Partition {
        topic: String,
        key: String,
    },
    Hw(TopicPartition),
    Leo(TopicPartition),
    Broker(u32),
    /// Extension: `fenced N`, `yes` while the controller fences broker N (its session expired,
    /// or it is shutting down or restarting), else `no`.
    Fenced(u32),
    /// Extension: `zombie-leaders T/P`, the brokers that still believe they lead the partition
    /// while the controller cannot hear them or has elected another leader.
    ZombieLeaders(TopicPartition),
    Acked(String),
    /// Extension: records that failed to the application (delivery timeout or fatal error).
    Rejected(String),
    Lost(Option<String>),
    /// Extension: the leader epoch of a partition.
    LeaderEpoch(TopicPartition),
    /// Extension: the log start offset of the leader.
    LogStart(TopicPartition),
    /// Extension: how many records the leader's log holds (differs from leo - log-start after compaction).
    Records(TopicPartition),
    /// Extension: the value of the latest record with this key in the leader's log (`none` if absent or a tombstone).
    Value {
        tp: TopicPartition,
        key: String,
    },
    /// `members G`: the member ids the coordinator lists.
    Members(String),
    /// `state G`: `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable` or `Dead`.
    State(String),
    /// `generation G`
    Generation(String),
    /// `assigned G M`: the partitions M holds.
    Assigned {
        group: String,
        member: String,
    },
    /// `assigned-count G M`
    AssignedCount {
        group: String,
        member: String,
    },
    /// `owner G T/P`: the member that holds T/P, or `none`.
    Owner {
        group: String,
        tp: TopicPartition,
    },
    /// `committed G T/P`
    Committed {
        group: String,
        tp: TopicPartition,
    },
    /// `lag G` / `lag G T/P`
    Lag {
        group: String,
        tp: Option<TopicPartition>,
    },
    /// Extension: `consumed G` / `consumed G T/P`: records the group's applications processed
    /// (a record processed twice counts twice).
    Consumed {
        group: String,
        tp: Option<TopicPartition>,
    },
    /// Extension: `duplicates G`: records some member of the group processed again (after a
    /// rebalance or a crash, from the last committed offset): the cost of at-least-once.
    Duplicates(String),
    /// Extension: `coordinator G`: the broker hosting the group's coordinator, or `none`.
    Coordinator(String),
    /// Extension: `metric NAME [TAG=VALUE]`: one of Kafka's metrics in the newest per-second
    /// sample (`crate::metrics`), e.g. `metric UnderReplicatedPartitions broker=2`.
    Kafka {
        name: crate::metrics::Name,
        scope: crate::metrics::Scope,
    },
    /// Streams: `store APP/STORE key=K`: the value a state store holds for K (`none` if absent).
    StreamsStore {
        app: String,
        store: String,
        key: String,
    },
    /// Streams: `tasks APP INSTANCE`: the active tasks the instance runs (`0_1`, …), as a set.
    StreamsTasks {
        app: String,
        instance: String,
    },
    /// Streams: `task-owner APP TASK`: the instance running the task actively, or `none`.
    TaskOwner {
        app: String,
        task: String,
    },
    /// Streams: `processed APP`: records the application's tasks processed from their topics.
    Processed(String),
    /// Streams: `reprocessed APP`: records processed again after a crash or a rebalance (from
    /// the last committed offset): at-least-once made visible.
    Reprocessed(String),
    /// Streams: `counted-twice APP`: what the re-processing counted twice: store updates
    /// applied to a restored value that already included them, and records repeated in a
    /// repartition topic (see `streams::provenance`).
    CountedTwice(String),
    /// Streams: `dropped-late APP`: records a windowed aggregation dropped because their window
    /// had closed (Kafka's `dropped-records` for expired windows).
    DroppedLate(String),
    /// Streams: `restored APP/STORE`: records replayed from the store's changelog topic into
    /// its local state after a task moved.
    Restored {
        app: String,
        store: String,
    },
    /// Streams: `streams-state APP INSTANCE`: `KafkaStreams.State` (CREATED, REBALANCING,
    /// RUNNING, PENDING_SHUTDOWN, NOT_RUNNING, PENDING_ERROR, ERROR).
    StreamsState {
        app: String,
        instance: String,
    },
    /// Kafka Connect: connectors, tasks, systems, offsets (`ConnectMetric`).
    Connect(ConnectMetric),
}

/// What an `expect` line asks about Kafka Connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectMetric {
    /// `connector-state NAME`: `AbstractStatus.State` (RUNNING, PAUSED, …) or `none`.
    ConnectorState(String),
    /// `task-state NAME-ID`.
    TaskState { connector: String, task: u32 },
    /// `task-worker NAME-ID`: the worker running the task, or `none`.
    TaskWorker { connector: String, task: u32 },
    /// `task-count NAME`: the tasks the connector made (`tasks.max` is a ceiling).
    TaskCount(String),
    /// `rows SYSTEM` / `lines SYSTEM`: what a table or file holds.
    Size(String),
    /// `row SYSTEM key=K`: the row's JSON, or `none`.
    Row { system: String, key: String },
    /// `offset-flushes NAME`: source offset flushes written, or sink offset commits sent.
    OffsetFlushes(String),
    /// `flushed-offset NAME SYSTEM`: the source offset last flushed for that system, or `none`.
    FlushedOffset { connector: String, system: String },
    /// `produced NAME`: records the source tasks handed to their producers.
    Produced(String),
    /// `connector-duplicates NAME`: records a source produced again after a restart.
    Duplicates(String),
    /// `written NAME`: records the sink tasks wrote to their system.
    Written(String),
    /// `status-state NAME` / `status-state NAME-ID`: the `state` of the newest record of
    /// `status-connector-NAME` / `status-task-NAME-ID` in `connect-status`, or `none`.
    StatusState {
        connector: String,
        task: Option<u32>,
    },
    /// `status-worker NAME[-ID]`: that record's `worker_id`, or `none`.
    StatusWorker {
        connector: String,
        task: Option<u32>,
    },
    /// `connector-filtered NAME`: records its transforms dropped (`Filter`).
    Filtered(String),
    /// `connector-skipped NAME`: records skipped after a transform failed
    /// (`errors.tolerance=all`).
    Skipped(String),
    /// `connector-retries NAME`: `put` calls that threw `RetriableException`.
    Retries(String),
}

/// The right-hand side of an `expect` line, already checked against the metric's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `none`: the empty list or no value.
    None,
    Int(i64),
    /// A list of integers (`1,2,3`); a single integer is also accepted where a list is expected.
    Ints(Vec<i64>),
    /// A word such as `up`, `down` or a record value.
    Word(String),
    /// A list of names (`members`): compared as a set.
    Names(Vec<String>),
    /// A list of partitions (`assigned`): compared as a set.
    Partitions(Vec<TopicPartition>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub metric: Metric,
    pub op: Op,
    pub value: Value,
    /// The source text of the line, for messages.
    pub text: String,
}
