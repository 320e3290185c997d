//! Connectors: their classes and configs, the task configs they generate (`tasks.max` is a
//! ceiling), their states, and the REST API's actions on them (`StandaloneHerder`):
//! create (`POST /connectors`), pause, resume, stop (KIP-875), restart, delete.

use std::collections::BTreeMap;

use crate::cluster::{Cluster, CommandError};
use crate::connect::sink_task::SinkTask;
use crate::connect::source_task::SourceTask;
use crate::connect::system::SystemKind;
use crate::connect::transform::{self, Chain};
use crate::connect::{MAX_CONNECTORS, MAX_TASKS, TaskRef};
use crate::limits;

/// `AbstractStatus.State`, for connectors and tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    /// A connector stopped with `PUT /connectors/NAME/stop` (KIP-875): it has no tasks.
    Stopped,
    Failed,
    Restarting,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Unassigned => "UNASSIGNED",
            State::Running => "RUNNING",
            State::Paused => "PAUSED",
            State::Stopped => "STOPPED",
            State::Failed => "FAILED",
            State::Restarting => "RESTARTING",
        }
    }
}

/// Every state's name, for the parser.
pub const STATES: &[&str] = &[
    "UNASSIGNED",
    "RUNNING",
    "PAUSED",
    "STOPPED",
    "FAILED",
    "RESTARTING",
];

/// `TargetState`: what the user asked the connector to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

/// The connector classes the playground has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ConnectorClass {
    /// `io.confluent.connect.jdbc.JdbcSourceConnector` in `mode=incrementing`.
    JdbcSource,
    /// `io.confluent.connect.jdbc.JdbcSinkConnector` with `insert.mode=upsert`,
    /// `pk.mode=record_key`, `delete.enabled=true`.
    JdbcSink,
    /// `org.apache.kafka.connect.file.FileStreamSourceConnector`.
    FileStreamSource,
    /// `org.apache.kafka.connect.file.FileStreamSinkConnector`.
    FileStreamSink,
}

/// Class names as Connect accepts them: the full name, the simple name, or the simple name
/// without `Connector` (`Plugins.connectorClass`'s aliases).
const CLASSES: &[(ConnectorClass, &str)] = &[
    (
        ConnectorClass::JdbcSource,
        "io.confluent.connect.jdbc.JdbcSourceConnector",
    ),
    (
        ConnectorClass::JdbcSink,
        "io.confluent.connect.jdbc.JdbcSinkConnector",
    ),
    (
        ConnectorClass::FileStreamSource,
        "org.apache.kafka.connect.file.FileStreamSourceConnector",
    ),
    (
        ConnectorClass::FileStreamSink,
        "org.apache.kafka.connect.file.FileStreamSinkConnector",
    ),
];

impl ConnectorClass {
    pub fn parse(name: &str) -> Option<ConnectorClass> {
        CLASSES.iter().find_map(|&(c, full)| {
            let simple = full.rsplit('.').next().expect("a class name");
            let alias = simple.strip_suffix("Connector").expect("ends in Connector");
            [full, simple, alias].contains(&name).then_some(c)
        })
    }

    /// The full class name (`connector.class` as the status API reports it).
    pub fn full_name(self) -> &'static str {
        CLASSES.iter().find(|(c, _)| *c == self).expect("listed").1
    }

    pub fn is_source(self) -> bool {
        matches!(
            self,
            ConnectorClass::JdbcSource | ConnectorClass::FileStreamSource
        )
    }

    /// The kind of system it reads or writes.
    pub fn system_kind(self) -> SystemKind {
        match self {
            ConnectorClass::JdbcSource | ConnectorClass::JdbcSink => SystemKind::Table,
            ConnectorClass::FileStreamSource | ConnectorClass::FileStreamSink => SystemKind::File,
        }
    }

    /// The config naming its system(s), as the real connector names it.
    pub fn system_config(self) -> &'static str {
        match self {
            ConnectorClass::JdbcSource => "table.whitelist",
            ConnectorClass::JdbcSink => "table.name.format",
            ConnectorClass::FileStreamSource | ConnectorClass::FileStreamSink => "file",
        }
    }
}

/// Every config name a connector takes, for the parser's `did you mean`.
pub const CONFIG_NAMES: &[&str] = &[
    "connector.class",
    "tasks.max",
    "topic",
    "topic.prefix",
    "topics",
    "table.whitelist",
    "table.name.format",
    "file",
    "poll.interval.ms",
    "batch.max.rows",
    "max.retries",
    "retry.backoff.ms",
    "transforms",
    "predicates",
    "errors.tolerance",
];

/// A connector's config, validated (`ConnectorConfig` plus the class's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorConfig {
    pub class: ConnectorClass,
    /// `tasks.max`: a ceiling; the connector may make fewer tasks.
    pub tasks_max: u32,
    /// The systems read (a JDBC source's tables) or the one written / read (a file, a sink's
    /// table).
    pub systems: Vec<String>,
    /// A source's topic: `topic` (FileStream), or `topic.prefix` + table (JDBC).
    pub topic: String,
    /// A sink's topics (`topics`).
    pub topics: Vec<String>,
    /// JDBC `poll.interval.ms` (5000); FileStreamSourceTask waits 1 s when the file has no new
    /// line.
    pub poll_interval_us: crate::time::Micros,
    /// JDBC `batch.max.rows` (100); FileStream `batch.size` (2000).
    pub batch_max: u32,
    /// The single message transforms (`transforms`, `predicates`, `errors.tolerance`).
    pub transforms: Chain,
    /// JDBC sink `max.retries` (10): how many times a failed write is retried
    /// (`RetriableException`) before the task fails.
    pub max_retries: u32,
    /// JDBC sink `retry.backoff.ms` (3000): the wait before a retry (`context.timeout`).
    pub retry_backoff_us: crate::time::Micros,
    /// The config as written, in order, for display.
    pub raw: Vec<(String, String)>,
}

impl ConnectorConfig {
    /// Validates a config as `POST /connectors` would (`ConnectorConfig.validate`): unknown
    /// names and missing required ones are errors, naming the config.
    pub fn parse(raw: &[(String, String)]) -> Result<ConnectorConfig, String> {
        let mut map = BTreeMap::new();
        for (k, v) in raw {
            if !CONFIG_NAMES.contains(&k.as_str()) && !transform::is_transform_config(k) {
                return Err(format!("unknown connector config '{k}'"));
            }
            if map.insert(k.as_str(), v.as_str()).is_some() {
                return Err(format!("'{k}' is given twice"));
            }
        }
        let class_name = map.get("connector.class").ok_or(
            "Missing required configuration \"connector.class\" which has no default value",
        )?;
        let class = ConnectorClass::parse(class_name).ok_or_else(|| {
            format!("Failed to find any class that implements Connector and which name matches {class_name}")
        })?;
        let tasks_max = match map.get("tasks.max") {
            None => 1,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_TASKS).contains(n))
                .ok_or_else(|| format!("tasks.max is a number from 1 to {MAX_TASKS}"))?,
        };
        let system_key = class.system_config();
        let systems: Vec<String> = map
            .get(system_key)
            .map(|v| v.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        if systems.is_empty() || systems.iter().any(String::is_empty) {
            return Err(format!(
                "Missing required configuration \"{system_key}\" (the {} to use)",
                class.system_kind().name()
            ));
        }
        if systems.len() > 1 && class != ConnectorClass::JdbcSource {
            return Err(format!(
                "{system_key} names one {}",
                class.system_kind().name()
            ));
        }
        let mut allowed: Vec<&str> = vec!["connector.class", "tasks.max", system_key];
        let (topic, topics) = match class {
            ConnectorClass::JdbcSource => {
                allowed.extend(["topic.prefix", "poll.interval.ms", "batch.max.rows"]);
                (map.get("topic.prefix").unwrap_or(&"").to_string(), vec![])
            }
            ConnectorClass::FileStreamSource => {
                allowed.push("topic");
                let topic = map
                    .get("topic")
                    .ok_or("Missing required configuration \"topic\" which has no default value")?;
                (topic.to_string(), vec![])
            }
            ConnectorClass::JdbcSink | ConnectorClass::FileStreamSink => {
                allowed.push("topics");
                if class == ConnectorClass::JdbcSink {
                    allowed.extend(["max.retries", "retry.backoff.ms"]);
                }
                let topics = map.get("topics").ok_or(
                    "Must configure one of topics or topics.regex (SinkConnectorConfig.validate)",
                )?;
                (
                    String::new(),
                    topics.split(',').map(str::to_string).collect(),
                )
            }
        };
        if let Some(k) = map
            .keys()
            .find(|k| !allowed.contains(k) && !transform::is_transform_config(k))
        {
            return Err(format!("{} does not take '{k}'", class.full_name()));
        }
        let number_from = |name: &str, default: u64, min: u64, max: u64| -> Result<u64, String> {
            match map.get(name) {
                None => Ok(default),
                Some(v) => v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| format!("{name} is a number from {min} to {max}")),
            }
        };
        let number = |name: &str, default: u64, max: u64| number_from(name, default, 1, max);
        let (poll_default, batch_default) = match class {
            ConnectorClass::JdbcSource => (5000, 100),
            _ => (1000, 2000),
        };
        Ok(ConnectorConfig {
            class,
            tasks_max,
            systems,
            topic,
            topics,
            poll_interval_us: number("poll.interval.ms", poll_default, 3_600_000)? * 1000,
            batch_max: number("batch.max.rows", batch_default, 10_000)? as u32,
            transforms: transform::parse(&map)?,
            max_retries: number_from("max.retries", 10, 0, 1000)? as u32,
            retry_backoff_us: number_from("retry.backoff.ms", 3000, 0, 3_600_000)? * 1000,
            raw: raw.to_vec(),
        })
    }

    /// The topic a source writes a system's records to.
    pub fn source_topic(&self, system: &str) -> String {
        match self.class {
            // JdbcSourceTask: `topic.prefix` + table name.
            ConnectorClass::JdbcSource => format!("{}{system}", self.topic),
            _ => self.topic.clone(),
        }
    }

    /// `Connector.taskConfigs(tasks.max)`: each task's systems. A JDBC source spreads its tables
    /// over `min(tasks.max, tables)` tasks with `ConnectorUtils.groupPartitions` (contiguous
    /// groups, the first ones one larger); a file source makes one task whatever `tasks.max`
    /// says; sinks make `tasks.max` tasks that share the topics' partitions through their group.
    pub fn task_systems(&self) -> Vec<Vec<String>> {
        match self.class {
            ConnectorClass::JdbcSource => {
                let groups = (self.tasks_max as usize).min(self.systems.len());
                let per = self.systems.len() / groups;
                let extra = self.systems.len() % groups;
                let mut out = Vec::new();
                let mut at = 0;
                for g in 0..groups {
                    let n = per + usize::from(g < extra);
                    out.push(self.systems[at..at + n].to_vec());
                    at += n;
                }
                out
            }
            ConnectorClass::FileStreamSource => vec![self.systems.clone()],
            ConnectorClass::JdbcSink | ConnectorClass::FileStreamSink => {
                vec![self.systems.clone(); self.tasks_max as usize]
            }
        }
    }
}

/// What a connector's tasks did, over their lives.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Records its source tasks handed to their producers (duplicates included).
    pub produced: u64,
    /// Records produced again: read again after a restart from the last flushed offset.
    pub duplicates: u64,
    /// Records its sink tasks wrote to their system.
    pub written: u64,
    /// Offset flushes written (source) or commits sent (sink).
    pub offset_flushes: u64,
    /// Records a transform chain dropped (`Filter`).
    pub filtered: u64,
    /// Records skipped after a transform failed, with `errors.tolerance=all`.
    pub skipped: u64,
    /// `put` calls that threw `RetriableException` (a sink task retrying its batch).
    pub retries: u64,
}

/// One task (`ConnectorTaskId` `NAME-ID`).
#[derive(Debug, Clone)]
pub struct Task {
    pub id: u32,
    pub state: State,
    /// The exception a FAILED task died with (the status API's `trace`).
    pub trace: Option<String>,
    /// The worker it is assigned to: the one running it, or holding it FAILED until a restart
    /// (a failed task is not unassigned).
    pub worker: Option<u32>,
    /// Its systems (`taskConfigs`).
    pub systems: Vec<String>,
    /// A JDBC sink task's retries in a row (`max.retries` − `JdbcSinkTask.remainingRetries`):
    /// `put` calls that threw `RetriableException` since the last one that wrote. Back to 0 when
    /// a `put` succeeds or the task starts again (a new `JdbcSinkTask`); a task that ran out
    /// of retries keeps its count while it is FAILED.
    pub retries: u32,
    /// Bumped whenever it starts or stops: older timers are stale.
    pub(crate) incarnation: u32,
    pub(crate) work: Work,
}

#[derive(Debug, Clone)]
pub(crate) enum Work {
    /// Not running: no clients.
    Idle,
    Source(Box<SourceTask>),
    Sink(SinkTask),
    /// Restarted while its previous run was still stopping (a sink's consumer closing: the
    /// commit and LeaveGroup of `consumer.close()`): `Worker.stopAndAwaitTask` waits for that
    /// consumer to stop, at most `task.shutdown.graceful.timeout.ms`, then starts the task on
    /// `worker` (see [`Cluster::task_stopped`]).
    AwaitingStop {
        worker: u32,
        consumer: u32,
    },
}

/// How a task ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Stopped by the worker: a source writes its offsets (`WorkerSourceTask`'s final
    /// `commitOffsets`), a sink commits its consumer's and leaves the group.
    Clean,
    /// It threw: a source skips the final offset commit (`finalOffsetCommit(failed)`), a sink
    /// commits what it had written and leaves the group (`closeAllPartitions`, `consumer.close`).
    Failed,
    /// Its worker died: nothing written or committed, unsent records gone, the sink consumer's
    /// membership left to expire.
    Crashed,
}

/// A connector.
#[derive(Debug, Clone)]
pub struct Connector {
    pub name: String,
    pub config: ConnectorConfig,
    /// The worker it was created on (standalone: its only worker; distributed: the worker
    /// whose REST API took the request).
    pub worker: u32,
    /// Its distributed cluster (`Connect::clusters`), `None` for a standalone worker's.
    pub cluster: Option<u32>,
    /// The worker running the connector instance (distributed: as the leader assigned it).
    pub runner: Option<u32>,
    pub target: TargetState,
    pub state: State,
    pub trace: Option<String>,
    pub tasks: Vec<Task>,
    pub deleted: bool,
    pub counters: Counters,
    /// The sink connector's group `connect-NAME` (`Cluster::groups`).
    pub group: Option<u32>,
    /// Per source partition (Kafka's partition map as JSON), the furthest offset a source task
    /// of this connector ever produced: a record at or below it is a duplicate.
    pub(crate) produced_upto: BTreeMap<String, u64>,
}

impl Cluster {
    pub(crate) fn connector(&self, name: &str) -> Result<u32, CommandError> {
        self.connect
            .connector_index(name)
            .ok_or_else(|| CommandError::Invalid(format!("unknown connector '{name}'")))
    }

    /// `connector create NAME worker=W CONFIG…`: `POST /connectors` on worker W's REST API. The
    /// config is validated (its systems and topics must exist); the connector starts on W if W
    /// is up, else when it comes back.
    pub fn cmd_connector_create(
        &mut self,
        name: String,
        worker: &str,
        raw: Vec<(String, String)>,
    ) -> Result<(), CommandError> {
        CommandError::limit(limits::check_name("connector", &name))?;
        if self.connect.connector_index(&name).is_some() {
            return Err(CommandError::Invalid(format!(
                "Connector {name} already exists"
            )));
        }
        if self.connect.connectors.len() >= MAX_CONNECTORS {
            return Err(CommandError::Limit(format!(
                "at most {MAX_CONNECTORS} connectors in a cluster"
            )));
        }
        let w = self
            .connect
            .worker_index(worker)
            .ok_or_else(|| CommandError::Invalid(format!("unknown worker '{worker}'")))?;
        let config = ConnectorConfig::parse(&raw).map_err(CommandError::Invalid)?;
        for s in &config.systems {
            let i = self
                .connect
                .system_index(s)
                .ok_or_else(|| CommandError::Invalid(format!("unknown system '{s}'")))?;
            let kind = self.connect.systems[i as usize].kind;
            if kind != config.class.system_kind() {
                return Err(CommandError::Invalid(format!(
                    "'{s}' is a {}; {} reads and writes a {}",
                    kind.name(),
                    config.class.full_name(),
                    config.class.system_kind().name()
                )));
            }
        }
        let topics: Vec<String> = if config.class.is_source() {
            config
                .systems
                .iter()
                .map(|s| config.source_topic(s))
                .collect()
        } else {
            config.topics.clone()
        };
        for t in &topics {
            if !self.topics.contains_key(t) {
                return Err(CommandError::UnknownTopic(t.clone()));
            }
        }
        let cluster = self.connect.workers[w as usize]
            .distributed
            .as_ref()
            .map(|m| m.cluster);
        if cluster.is_some() && !self.connect.workers[w as usize].alive {
            return Err(CommandError::Invalid(format!(
                "worker '{worker}' is down: its REST API does not answer"
            )));
        }
        let group = if config.class.is_source() {
            None
        } else {
            Some(self.sink_group(&name, &config.topics)?)
        };
        self.connect.connectors.push(Connector {
            name,
            config,
            worker: w,
            target: TargetState::Started,
            state: State::Unassigned,
            trace: None,
            tasks: Vec::new(),
            deleted: false,
            counters: Counters::default(),
            group,
            produced_upto: BTreeMap::new(),
            cluster,
            runner: None,
        });
        let c = (self.connect.connectors.len() - 1) as u32;
        if let Some(cluster) = cluster {
            // `DistributedHerder.putConnectorConfig`: the leader writes the config; its task
            // configs follow, and the workers rebalance to run them. (Here the task configs
            // are written at once: the connector's `taskConfigs` needs nothing from its run.)
            self.build_tasks(c);
            self.put_connector_configs(c);
            self.request_cluster_rejoin(cluster);
        } else if self.connect.workers[w as usize].alive {
            self.start_connector(c);
        }
        Ok(())
    }

    /// The connector and its tasks start on its worker (`Worker.startConnector`, then
    /// `startTask` for each of its task configs).
    pub(crate) fn start_connector(&mut self, c: u32) {
        let conn = &mut self.connect.connectors[c as usize];
        conn.trace = None;
        match conn.target {
            TargetState::Stopped => {
                conn.state = State::Stopped;
                return;
            }
            TargetState::Paused => conn.state = State::Paused,
            TargetState::Started => conn.state = State::Running,
        }
        let worker = conn.worker;
        self.build_tasks(c);
        for t in 0..self.connect.connectors[c as usize].tasks.len() as u32 {
            self.start_task(
                TaskRef {
                    connector: c,
                    task: t,
                },
                worker,
            );
        }
    }

    /// The connector's tasks from its task configs, none of them running yet.
    pub(crate) fn build_tasks(&mut self, c: u32) {
        let conn = &mut self.connect.connectors[c as usize];
        let configs = conn.config.task_systems();
        let old: Vec<u32> = conn.tasks.iter().map(|t| t.incarnation).collect();
        conn.tasks = configs
            .into_iter()
            .enumerate()
            .map(|(id, systems)| Task {
                id: id as u32,
                state: State::Unassigned,
                trace: None,
                worker: None,
                systems,
                retries: 0,
                incarnation: old.get(id).copied().unwrap_or(0),
                work: Work::Idle,
            })
            .collect();
    }

    /// Starts one task on a worker, in the connector's target state.
    pub(crate) fn start_task(&mut self, r: TaskRef, worker: u32) {
        let conn = &self.connect.connectors[r.connector as usize];
        let paused = conn.target == TargetState::Paused;
        let source = conn.config.class.is_source();
        let task = &mut self.connect.connectors[r.connector as usize].tasks[r.task as usize];
        task.incarnation += 1;
        task.worker = Some(worker);
        task.trace = None;
        task.retries = 0;
        task.state = if paused {
            State::Paused
        } else {
            State::Running
        };
        if source {
            self.start_source_task(r);
        } else {
            self.start_sink_task(r);
        }
    }

    /// Stops a task (see [`Stop`]).
    pub(crate) fn stop_task(&mut self, r: TaskRef, how: Stop) {
        let task = &mut self.connect.connectors[r.connector as usize].tasks[r.task as usize];
        task.incarnation += 1;
        task.worker = None;
        match std::mem::replace(&mut task.work, Work::Idle) {
            // A restart waiting for the previous run is called off: nothing runs yet.
            Work::Idle | Work::AwaitingStop { .. } => {}
            Work::Source(s) => self.stop_source_task(r, *s, how),
            Work::Sink(s) => self.stop_sink_task(s, how),
        }
    }

    /// Stops every task of a connector and marks them.
    pub(crate) fn stop_connector_tasks(&mut self, c: u32, how: Stop, state: State) {
        for t in 0..self.connect.connectors[c as usize].tasks.len() as u32 {
            let r = TaskRef {
                connector: c,
                task: t,
            };
            self.stop_task(r, how);
            self.connect_task_mut(r).state = state;
        }
    }

    pub(crate) fn connect_task(&self, r: TaskRef) -> &Task {
        &self.connect.connectors[r.connector as usize].tasks[r.task as usize]
    }

    pub(crate) fn connect_task_mut(&mut self, r: TaskRef) -> &mut Task {
        &mut self.connect.connectors[r.connector as usize].tasks[r.task as usize]
    }

    /// A task failed with an exception: FAILED with its trace; Connect does not restart it
    /// (`WorkerTask.doRun` → `onFailure`; only `POST …/restart` brings it back).
    ///
    /// The task stays on its worker: `Worker.tasks` keeps the dead `WorkerTask` and the herder's
    /// assignment still lists it, so the status API reports `FAILED` with that `worker_id`, and
    /// that worker is the one a `POST …/tasks/ID/restart` asks to start it again.
    pub(crate) fn fail_task(&mut self, r: TaskRef, trace: String) {
        let worker = self.connect_task(r).worker;
        self.stop_task(r, Stop::Failed);
        let task = self.connect_task_mut(r);
        task.state = State::Failed;
        task.trace = Some(trace);
        task.worker = worker;
        // `AbstractHerder.onFailure`: the worker writes FAILED to the status topic.
        if let Some(w) = worker {
            self.put_status(r.connector, Some(r.task), w);
        }
    }

    /// A connector whose worker is up (standalone: the REST API answers only while it runs;
    /// distributed: any live worker of its cluster answers, forwarding to the leader).
    fn live_connector(&self, name: &str) -> Result<u32, CommandError> {
        let c = self.connector(name)?;
        if let Some(cluster) = self.connect.connectors[c as usize].cluster {
            let up =
                self.connect.workers.iter().any(|w| {
                    w.alive && w.distributed.as_ref().is_some_and(|m| m.cluster == cluster)
                });
            if !up {
                return Err(CommandError::Invalid(format!(
                    "no worker of connector '{name}''s cluster is up: no REST API answers"
                )));
            }
            return Ok(c);
        }
        let w = self.connect.connectors[c as usize].worker;
        if !self.connect.workers[w as usize].alive {
            return Err(CommandError::Invalid(format!(
                "worker '{}' is down: its REST API does not answer",
                self.connect.workers[w as usize].name
            )));
        }
        Ok(c)
    }

    /// `connector pause NAME` (`PUT /connectors/NAME/pause`): tasks stop polling (a sink's
    /// consumer pauses its partitions and keeps its membership).
    pub fn cmd_connector_pause(&mut self, name: &str) -> Result<(), CommandError> {
        let c = self.live_connector(name)?;
        self.set_target(c, TargetState::Paused);
        Ok(())
    }

    /// `connector resume NAME` (`PUT /connectors/NAME/resume`).
    pub fn cmd_connector_resume(&mut self, name: &str) -> Result<(), CommandError> {
        let c = self.live_connector(name)?;
        self.set_target(c, TargetState::Started);
        Ok(())
    }

    /// `connector stop NAME` (`PUT /connectors/NAME/stop`, KIP-875): its tasks are shut down
    /// and it keeps no task configs; `resume` starts it again with new tasks.
    pub fn cmd_connector_stop(&mut self, name: &str) -> Result<(), CommandError> {
        let c = self.live_connector(name)?;
        self.set_target(c, TargetState::Stopped);
        Ok(())
    }

    fn set_target(&mut self, c: u32, target: TargetState) {
        let conn = &mut self.connect.connectors[c as usize];
        let was = conn.target;
        conn.target = target;
        let cluster = conn.cluster;
        if was != target {
            // `KafkaConfigBackingStore.putTargetState`.
            self.put_target_state(c);
        }
        match (was, target) {
            (a, b) if a == b => {}
            (_, TargetState::Stopped) => {
                self.stop_connector_tasks(c, Stop::Clean, State::Unassigned);
                let conn = &mut self.connect.connectors[c as usize];
                conn.tasks.clear();
                conn.state = State::Stopped;
                if let Some(cluster) = cluster {
                    // KIP-875: a stopped connector's task configs are emptied.
                    self.put_connector_configs(c);
                    self.request_cluster_rejoin(cluster);
                }
            }
            (TargetState::Stopped, _) if cluster.is_some() => {
                let conn = &mut self.connect.connectors[c as usize];
                conn.state = if conn.runner.is_some() {
                    State::Running
                } else {
                    State::Unassigned
                };
                self.build_tasks(c);
                self.put_connector_configs(c);
                self.request_cluster_rejoin(cluster.expect("distributed"));
            }
            (TargetState::Stopped, _) => self.start_connector(c),
            (_, t) => {
                let paused = t == TargetState::Paused;
                let conn = &mut self.connect.connectors[c as usize];
                if conn.state != State::Failed {
                    conn.state = if paused {
                        State::Paused
                    } else {
                        State::Running
                    };
                }
                for task in &mut conn.tasks {
                    // `WorkerTask.transitionTo`: a failed task stays failed.
                    if matches!(task.state, State::Running | State::Paused) {
                        task.state = if paused {
                            State::Paused
                        } else {
                            State::Running
                        };
                    }
                }
                for t in 0..conn.tasks.len() as u32 {
                    self.connect_task_paused(
                        TaskRef {
                            connector: c,
                            task: t,
                        },
                        paused,
                    );
                }
            }
        }
    }

    /// `connector restart NAME [include-tasks] [only-failed]` (`POST
    /// /connectors/NAME/restart?includeTasks=&onlyFailed=`, KIP-745): the connector (and, with
    /// `include-tasks`, its tasks, only the failed ones with `only-failed`) are RESTARTING until
    /// the worker starts them again.
    ///
    /// `StandaloneHerder.restartConnectorAndTasks` does it all in one synchronous call under the
    /// herder's lock: stop and mark RESTARTING (`onRestart`), then start again; the 202 response
    /// lists the plan's RESTARTING states, and the status store holds RESTARTING only until the
    /// new task thread reports RUNNING (`WorkerTask.doStart` → `onStartup`), which takes no
    /// protocol round trip. The engine has no thread scheduling time, so the RESTARTING state is
    /// passed through at one instant: a status asked after the command reads RUNNING, as a
    /// `GET /connectors/NAME/status` right after the 202 does in a standalone worker.
    pub fn cmd_connector_restart(
        &mut self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), CommandError> {
        let c = self.live_connector(name)?;
        let conn = &self.connect.connectors[c as usize];
        let tasks: Vec<u32> = if include_tasks {
            conn.tasks
                .iter()
                .filter(|t| !only_failed || t.state == State::Failed)
                .map(|t| t.id)
                .collect()
        } else {
            Vec::new()
        };
        if !only_failed || conn.state == State::Failed {
            let conn = &mut self.connect.connectors[c as usize];
            // RESTARTING and started again at this instant (see above).
            conn.state = match conn.target {
                TargetState::Started => State::Running,
                TargetState::Paused => State::Paused,
                TargetState::Stopped => State::Stopped,
            };
            conn.trace = None;
        }
        for t in tasks {
            self.restart_task(TaskRef {
                connector: c,
                task: t,
            });
        }
        Ok(())
    }

    /// `task restart NAME-ID` (`POST /connectors/NAME/tasks/ID/restart`).
    pub fn cmd_task_restart(&mut self, name: &str, id: u32) -> Result<(), CommandError> {
        let c = self.live_connector(name)?;
        if id as usize >= self.connect.connectors[c as usize].tasks.len() {
            return Err(CommandError::Invalid(format!(
                "Task not found: {name}-{id}"
            )));
        }
        self.restart_task(TaskRef {
            connector: c,
            task: id,
        });
        Ok(())
    }

    /// `Worker.stopAndAwaitTask` then `startTask`: the task is RESTARTING (the status the
    /// herder writes first), then runs again from its committed offsets. A sink task whose
    /// consumer is still closing (it failed an instant ago, or the stop just asked it to close)
    /// starts only once that consumer stopped, or after `task.shutdown.graceful.timeout.ms`
    /// (`Worker.awaitStopTask`: `task.awaitStop(timeout)`, else `task.cancel()`).
    fn restart_task(&mut self, r: TaskRef) {
        let conn = &self.connect.connectors[r.connector as usize];
        let worker = match conn.cluster {
            // Distributed: the worker the task is assigned to restarts it (an unassigned task
            // has nobody to restart it).
            Some(_) => match conn.tasks[r.task as usize].worker {
                Some(w) => w,
                None => return,
            },
            None => conn.worker,
        };
        self.stop_task(r, Stop::Clean);
        self.connect_task_mut(r).state = State::Restarting;
        match self.closing_sink_consumer(r) {
            Some(consumer) => {
                let task = self.connect_task_mut(r);
                task.worker = Some(worker);
                task.work = Work::AwaitingStop { worker, consumer };
                let until = self.now + crate::connect::TASK_SHUTDOWN_GRACEFUL_TIMEOUT_US;
                self.schedule_connect_tick(r, until);
            }
            None => self.start_task(r, worker),
        }
    }

    /// A task waiting to restart ([`Work::AwaitingStop`]) starts: its previous run stopped
    /// (`awaitStop` returned true), or the graceful timeout ended the wait (`task.cancel()`:
    /// the worker goes on without it).
    pub(crate) fn task_stopped(&mut self, r: TaskRef) {
        let task = self.connect_task_mut(r);
        let Work::AwaitingStop { worker, .. } = task.work else {
            return;
        };
        task.work = Work::Idle;
        self.start_task(r, worker);
    }

    /// `connector delete NAME` (`DELETE /connectors/NAME`): its tasks stop (offsets flushed and
    /// committed on the way) and it is gone; its offsets stay in the offsets store.
    pub fn cmd_connector_delete(&mut self, name: &str) -> Result<(), CommandError> {
        let c = self.live_connector(name)?;
        self.stop_connector_tasks(c, Stop::Clean, State::Unassigned);
        let conn = &mut self.connect.connectors[c as usize];
        conn.tasks.clear();
        conn.deleted = true;
        if let Some(cluster) = conn.cluster {
            conn.runner = None;
            self.remove_connector_config(c);
            self.request_cluster_rejoin(cluster);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<ConnectorConfig, String> {
        let raw: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ConnectorConfig::parse(&raw)
    }

    #[test]
    fn tasks_max_is_a_ceiling() {
        let jdbc = cfg(&[
            ("connector.class", "JdbcSource"),
            ("tasks.max", "4"),
            ("table.whitelist", "a,b,c"),
            ("topic.prefix", "db-"),
        ])
        .unwrap();
        assert_eq!(jdbc.task_systems().len(), 3);
        assert_eq!(jdbc.source_topic("a"), "db-a");
        let two = cfg(&[
            (
                "connector.class",
                "io.confluent.connect.jdbc.JdbcSourceConnector",
            ),
            ("tasks.max", "2"),
            ("table.whitelist", "a,b,c"),
        ])
        .unwrap();
        assert_eq!(
            two.task_systems(),
            vec![
                vec!["a".to_string(), "b".to_string()],
                vec!["c".to_string()]
            ]
        );
        let file = cfg(&[
            ("connector.class", "FileStreamSourceConnector"),
            ("tasks.max", "5"),
            ("file", "in"),
            ("topic", "t"),
        ])
        .unwrap();
        assert_eq!(file.task_systems().len(), 1);
        let sink = cfg(&[
            ("connector.class", "FileStreamSink"),
            ("tasks.max", "3"),
            ("file", "out"),
            ("topics", "t"),
        ])
        .unwrap();
        assert_eq!(sink.task_systems().len(), 3);
    }

    #[test]
    fn bad_configs_name_the_config() {
        assert!(
            cfg(&[("tasks.max", "1")])
                .unwrap_err()
                .contains("connector.class")
        );
        assert!(
            cfg(&[("connector.class", "FileStreamSink"), ("file", "f")])
                .unwrap_err()
                .contains("topics")
        );
        assert!(
            cfg(&[
                ("connector.class", "FileStreamSink"),
                ("file", "f"),
                ("topics", "t"),
                ("topic", "t")
            ])
            .unwrap_err()
            .contains("'topic'")
        );
        assert!(
            cfg(&[("connector.class", "Nope")])
                .unwrap_err()
                .contains("Nope")
        );
    }
}
