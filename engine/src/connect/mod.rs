//! Kafka Connect inside the cluster: external systems, workers, connectors and their tasks, built
//! like the Streams runtime on the engine's own clients. A source task writes through one of
//! the engine's producers (`connector-producer-NAME-ID`), a sink task reads through one of its
//! consumers (`connector-consumer-NAME-ID`, group `connect-NAME`).
//!
//! - `command.rs`: the Connect commands, the systems' commands and rate timer
//! - `system.rs`: the simulated database tables and files, with their rates and `unavailable`
//! - `connector.rs`: connector classes and configs (`ConnectorConfig`), `taskConfigs` with
//!   `tasks.max` as a ceiling, states, and the REST-like commands (create, pause, resume,
//!   restart, stop, delete)
//! - `worker.rs`: workers (`connect-standalone`): add, crash, restart; starting and stopping
//!   the tasks a worker runs
//! - `source_task.rs`: `WorkerSourceTask`: poll, produce, flush offsets every
//!   `offset.flush.interval.ms`
//! - `sink_task.rs`: `WorkerSinkTask`: records from the consumer written to the system, offsets
//!   committed every `offset.flush.interval.ms`, a failed write fails the task
//! - `transform.rs`: single message transforms and predicates (`transforms=…`,
//!   `TransformationChain`), applied before a source's producer and a sink's `put`
//! - `storage.rs`: the standalone worker's offsets file (`FileOffsetBackingStore`), keyed as
//!   Kafka keys `connect-offsets`
//! - `query.rs`: what `expect` and the page ask; `expect.rs`: `expect`'s Connect metrics
//! - `view.rs`: Connect in the snapshot, for the page
//! - `protocol.rs`: the `connect` group protocol's bytes (worker metadata, assignments)
//! - `assignor/`: the group leader's `IncrementalCooperativeAssignor` (distributed mode)
//! - `distributed.rs`: distributed workers (`DistributedHerder`, `WorkerCoordinator`): members of
//!   their Connect group, the leader's assignment, revocations and the scheduled rebalance
//! - `internal_topics.rs`: a distributed cluster's `connect-configs`, `connect-offsets` and
//!   `connect-status` topics and what is written to them

pub mod assignor;
pub mod command;
pub mod connector;
pub mod distributed;
pub mod expect;
pub mod internal_topics;
pub mod protocol;
mod query;
mod sink_task;
mod source_task;
pub mod storage;
pub mod system;
pub mod transform;
pub mod view;
pub mod worker;

pub use command::ConnectCommand;
pub use connector::{ConnectorClass, ConnectorConfig, State, TargetState};
pub use system::{System, SystemKind};
pub use worker::Worker;

use crate::time::{Micros, secs};

/// `offset.flush.interval.ms` = 60000 (WorkerConfig): how often source offsets are flushed and
/// sink offsets committed.
pub const OFFSET_FLUSH_INTERVAL_US: Micros = secs(60);
/// `offset.flush.timeout.ms` = 5000: how long a flush waits for the producer before it gives up
/// (the offsets are then not written this round).
pub const OFFSET_FLUSH_TIMEOUT_US: Micros = secs(5);
/// `task.shutdown.graceful.timeout.ms` = 5000 (WorkerConfig): how long `Worker.stopAndAwaitTask`
/// waits for a stopped task to finish (a sink's consumer committing and leaving its group) before
/// it gives up on it (`task.cancel()`) and goes on.
pub const TASK_SHUTDOWN_GRACEFUL_TIMEOUT_US: Micros = secs(5);
/// Most workers in a cluster.
pub const MAX_WORKERS: usize = 32;
/// Most connectors in a cluster.
pub const MAX_CONNECTORS: usize = 64;
/// Most external systems in a cluster.
pub const MAX_SYSTEMS: usize = 64;
/// Most tasks one connector may ask for (`tasks.max`).
pub const MAX_TASKS: u32 = 32;

/// Everything Connect in one cluster.
#[derive(Debug, Clone, Default)]
pub struct Connect {
    pub systems: Vec<System>,
    pub workers: Vec<Worker>,
    pub connectors: Vec<connector::Connector>,
    /// Per task (connector index, task id), what it moved across its restarts: what the page
    /// draws on the task's chip.
    pub task_counts: std::collections::BTreeMap<TaskRef, TaskCounts>,
    /// Distributed clusters, one per `group.id`.
    pub clusters: Vec<ConnectCluster>,
}

/// A distributed Connect cluster: the workers sharing a `group.id` and its internal topics.
#[derive(Debug, Clone)]
pub struct ConnectCluster {
    /// `group.id` (`connect-cluster` by default).
    pub group_id: String,
    /// The group in the coordinator (`Cluster::groups`).
    pub group: u32,
    /// Records written to `connect-configs`: the config offset workers report when they join.
    pub config_offset: i64,
    /// `connect-offsets` as the workers read it (`KafkaOffsetBackingStore`'s map).
    pub offsets: storage::OffsetsFile,
    /// The last status value written per key (the status store's cache: unchanged statuses
    /// are not written again).
    pub statuses: std::collections::BTreeMap<String, String>,
    /// One engine producer per internal topic.
    pub(crate) producers: std::collections::BTreeMap<String, u32>,
}

/// What one task moved, over its restarts (its connector's [`connector::Counters`] sum them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskCounts {
    /// Records it handed to its producer (a source, duplicates included) or wrote to its system
    /// (a sink).
    pub records: u64,
    /// Records a source task produced again: read again from the last flushed offset after a
    /// restart (at-least-once).
    pub duplicates: u64,
}

/// A task of a connector, by index (`NAME-ID` in Kafka's `ConnectorTaskId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaskRef {
    pub connector: u32,
    pub task: u32,
}

impl Connect {
    pub fn system_index(&self, name: &str) -> Option<u32> {
        self.systems
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as u32)
    }

    pub fn worker_index(&self, name: &str) -> Option<u32> {
        self.workers
            .iter()
            .position(|w| w.name == name)
            .map(|i| i as u32)
    }

    pub fn cluster_index(&self, group_id: &str) -> Option<u32> {
        self.clusters
            .iter()
            .position(|c| c.group_id == group_id)
            .map(|i| i as u32)
    }

    /// A connector that exists (not deleted).
    pub fn connector_index(&self, name: &str) -> Option<u32> {
        self.connectors
            .iter()
            .position(|c| c.name == name && !c.deleted)
            .map(|i| i as u32)
    }
}

impl Connect {
    /// An estimate of the bytes Connect holds (the room's measure, `crate::memory`): the
    /// external systems' rows and lines, which grow; workers, connectors and clusters at their
    /// size (their configs and offsets are a few short texts each).
    pub(crate) fn heap_bytes(&self) -> usize {
        let systems: usize = self.systems.iter().map(System::heap_bytes).sum();
        systems
            + self.workers.capacity() * size_of::<Worker>()
            + self.connectors.capacity() * size_of::<connector::Connector>()
            + self.clusters.capacity() * size_of::<ConnectCluster>()
            + self.task_counts.len()
                * (size_of::<(TaskRef, TaskCounts)>() + crate::memory::MAP_ENTRY_OVERHEAD)
    }
}
