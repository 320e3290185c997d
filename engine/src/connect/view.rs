//! Connect in the snapshot (`Snapshot::connect`): what the page draws. Systems with their size
//! and newest entries (a fixed number, so a viewer's cost does not grow with a table), workers,
//! connectors and their tasks. A task names the worker running it (`Task::worker`), and that is
//! the only place placement is said: workers do not list their tasks, so when tasks move between
//! workers (distributed mode's assignor) the view follows with no second copy to keep in step.
//! A task also carries what the Connect lessons cite: its records, a source's offsets (read,
//! flushed) and what it produced twice, a JDBC sink's retries, and when it next flushes its
//! offsets; a system's write capacity; the worker leading a Connect cluster.

use serde::Serialize;

use crate::cluster::Cluster;
use crate::connect::internal_topics::status_key;
use crate::connect::protocol::ConnectProtocolCompatibility;
use crate::connect::storage::{offset_key, source_partition};
use crate::connect::{OFFSET_FLUSH_INTERVAL_US, State, SystemKind, TargetState, TaskRef};

/// Newest rows or lines each system carries.
pub const SYSTEM_NEWEST: usize = 6;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ConnectView {
    pub systems: Vec<SystemView>,
    pub workers: Vec<WorkerView>,
    /// One per name: the live connector, else the last deleted one (`deleted`), so a viewer
    /// patched by name learns of a delete.
    pub connectors: Vec<ConnectorView>,
    /// Every task of the connectors above, in connector then id order.
    pub tasks: Vec<TaskView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SystemView {
    pub name: String,
    pub kind: SystemKind,
    /// Rows (a table) or lines (a file) it holds.
    pub size: u64,
    /// The newest [`SYSTEM_NEWEST`] entries, newest first: a table's rows by id (its JSON), a
    /// file's last lines.
    pub newest: Vec<String>,
    /// Entries its own rate adds (`system … rate=N/s`), per hour.
    pub per_hour: Option<u64>,
    /// The most entries a sink can write to it (`system … write-rate=N/s`), per hour: its
    /// capacity, what makes a sink fall behind.
    pub write_per_hour: Option<u64>,
    pub unavailable: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WorkerView {
    pub name: String,
    pub alive: bool,
    /// Down by a crash rather than a clean stop (`Worker::crashed`).
    pub crashed: bool,
    /// How many times the process was started.
    pub incarnation: u32,
    /// `standalone` (`connect-standalone`) or `distributed` (`connect-distributed`).
    pub mode: &'static str,
    /// A distributed worker's Connect cluster, its `group.id` (`None`: standalone).
    pub group: Option<String>,
    /// A distributed worker that leads its Connect cluster's group now (the JoinGroup leader,
    /// which runs the assignor, `WorkerCoordinator.performAssignment`).
    pub leader: bool,
    /// `offset.flush.interval.ms`: how often its source tasks flush their offsets and its sink
    /// tasks commit their consumers' offsets (`SourceTaskOffsetCommitter`,
    /// `WorkerSinkTask.commitOffsets`).
    pub offset_flush_interval_ms: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConnectorView {
    pub name: String,
    /// `connector.class`, the full name.
    pub class: &'static str,
    pub source: bool,
    pub state: State,
    pub target: TargetState,
    /// The worker it was created on (its REST API got the `POST /connectors`).
    pub worker: String,
    /// The systems it reads (a source) or writes (a sink).
    pub systems: Vec<String>,
    /// The topics it writes (a source, one per system) or reads (a sink's `topics`).
    pub topics: Vec<String>,
    /// How many tasks it has now (`tasks.max` is a ceiling).
    pub tasks: u32,
    pub trace: Option<String>,
    pub deleted: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TaskView {
    pub connector: String,
    pub id: u32,
    pub state: State,
    /// The worker running it: the one source of placement.
    pub worker: Option<String>,
    /// While no worker runs it: the worker that wrote the status topic's newest record for it
    /// (`KafkaStatusBackingStore` keeps a task's status as its last writer left it, so a task of
    /// a crashed distributed worker still reads RUNNING, written by that worker, until another
    /// worker starts it). `None` while a worker runs it, or when no status record exists (a
    /// standalone worker keeps statuses in memory only).
    pub status_by: Option<String>,
    pub systems: Vec<String>,
    pub trace: Option<String>,
    /// Records this task (its id, across restarts) handed to its producer (a source) or wrote
    /// to its system (a sink).
    pub records: u64,
    /// Records this source task produced a second time (across restarts): read again from the
    /// last flushed offset after a crash (at-least-once).
    pub duplicates: u64,
    /// A source task's offsets, one per system it reads (empty for a sink).
    pub offsets: Vec<SourceOffsetView>,
    /// A JDBC sink task's retries in a row (`Task::retries`), and its `max.retries`.
    pub retries: u32,
    pub max_retries: u32,
    /// When the running task next flushes its source offsets (a source) or commits its
    /// consumer's offsets (a sink), in µs of simulated time; `None` while it does not run.
    pub next_flush_us: Option<u64>,
}

/// One source partition of a source task: how far it has read, and what is saved.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceOffsetView {
    pub system: String,
    /// `table`: the offset is a row id (JDBC `{"incrementing":ID}`); `file`: a byte position
    /// (FileStream `{"position":N}`).
    pub kind: SystemKind,
    /// The offset of the last record the running task handed to its producer (in the worker's
    /// memory); `None` while the task does not run.
    pub read: Option<u64>,
    /// The offset last flushed to the offsets store (the standalone worker's file, a distributed
    /// cluster's `connect-offsets`), where a restarted task resumes; `None` before any flush.
    pub flushed: Option<u64>,
    /// The first and last offset the running task produced a second time since it started
    /// (what a restart from the flushed offset sent again); `None` if it sent nothing twice.
    pub resent: Option<(u64, u64)>,
}

impl Cluster {
    /// The Connect protocol of group `g` when it is a distributed Connect cluster's: the one the
    /// coordinator selected for the current generation (every member offers it:
    /// `JoinGroup`'s `protocol_name`), else the one the workers offer first (`connect.protocol`,
    /// `sessioned`). `None` for a consumer group.
    pub(crate) fn connect_group_protocol(&self, g: u32) -> Option<ConnectProtocolCompatibility> {
        self.connect.clusters.iter().find(|c| c.group == g)?;
        let selected = self.groups[g as usize].protocol.as_deref();
        Some(
            selected
                .and_then(ConnectProtocolCompatibility::from_protocol)
                .unwrap_or(ConnectProtocolCompatibility::Sessioned),
        )
    }

    pub(crate) fn connect_view(&self) -> ConnectView {
        let c = &self.connect;
        let systems = c
            .systems
            .iter()
            .map(|s| SystemView {
                name: s.name.clone(),
                kind: s.kind,
                size: s.len() as u64,
                newest: s.newest(SYSTEM_NEWEST),
                per_hour: s.rate.map(|r| r.per_hour),
                write_per_hour: s.write_rate.map(|r| r.per_hour),
                unavailable: s.unavailable,
            })
            .collect();
        let workers = c
            .workers
            .iter()
            .map(|w| WorkerView {
                name: w.name.clone(),
                alive: w.alive,
                crashed: w.crashed,
                incarnation: w.incarnation,
                mode: if w.distributed.is_some() {
                    "distributed"
                } else {
                    "standalone"
                },
                group: w
                    .distributed
                    .as_ref()
                    .map(|m| c.clusters[m.cluster as usize].group_id.clone()),
                leader: w.alive
                    && w.distributed.as_ref().is_some_and(|m| {
                        let g = c.clusters[m.cluster as usize].group;
                        self.groups[g as usize].leader.as_deref() == Some(m.member_id.as_str())
                    }),
                offset_flush_interval_ms: OFFSET_FLUSH_INTERVAL_US / 1000,
            })
            .collect();
        // The live connector of each name, else its last deleted incarnation.
        let mut shown: Vec<usize> = Vec::new();
        for (i, conn) in c.connectors.iter().enumerate() {
            match shown
                .iter()
                .position(|&j| c.connectors[j].name == conn.name)
            {
                Some(at) if c.connectors[shown[at]].deleted => shown[at] = i,
                Some(_) => {}
                None => shown.push(i),
            }
        }
        let mut connectors = Vec::new();
        let mut tasks = Vec::new();
        for i in shown {
            let conn = &c.connectors[i];
            let cfg = &conn.config;
            connectors.push(ConnectorView {
                name: conn.name.clone(),
                class: cfg.class.full_name(),
                source: cfg.class.is_source(),
                state: conn.state,
                target: conn.target,
                worker: c.workers[conn.worker as usize].name.clone(),
                systems: cfg.systems.clone(),
                topics: if cfg.class.is_source() {
                    cfg.systems.iter().map(|s| cfg.source_topic(s)).collect()
                } else {
                    cfg.topics.clone()
                },
                tasks: conn.tasks.len() as u32,
                trace: conn.trace.clone(),
                deleted: conn.deleted,
            });
            if conn.deleted {
                continue;
            }
            for t in &conn.tasks {
                let r = TaskRef {
                    connector: i as u32,
                    task: t.id,
                };
                let counts = c.task_counts.get(&r).copied().unwrap_or_default();
                tasks.push(TaskView {
                    connector: conn.name.clone(),
                    id: t.id,
                    state: t.state,
                    worker: t.worker.map(|w| c.workers[w as usize].name.clone()),
                    // Read only for a task no worker runs (rare), not on every view.
                    status_by: if t.worker.is_none() && conn.cluster.is_some() {
                        self.status_record(&status_key(&conn.name, Some(t.id)))
                            .map(|(_, worker)| worker)
                    } else {
                        None
                    },
                    systems: t.systems.clone(),
                    trace: t.trace.clone(),
                    records: counts.records,
                    duplicates: counts.duplicates,
                    offsets: if cfg.class.is_source() {
                        self.source_offsets_view(r)
                    } else {
                        Vec::new()
                    },
                    retries: t.retries,
                    max_retries: cfg.max_retries,
                    next_flush_us: if cfg.class.is_source() {
                        self.source_next_flush_us(r)
                    } else {
                        self.sink_next_commit_us(r)
                    },
                });
            }
        }
        ConnectView {
            systems,
            workers,
            connectors,
            tasks,
        }
    }

    /// A source task's read and flushed offset for each of its systems.
    fn source_offsets_view(&self, r: TaskRef) -> Vec<SourceOffsetView> {
        let c = &self.connect;
        let conn = &c.connectors[r.connector as usize];
        let store = self.offsets_store(r);
        let positions = self.source_positions(r);
        conn.tasks[r.task as usize]
            .systems
            .iter()
            .filter_map(|name| {
                let i = c.system_index(name)?;
                let kind = c.systems[i as usize].kind;
                Some(SourceOffsetView {
                    system: name.clone(),
                    kind,
                    read: positions.and_then(|p| p.get(&i).copied()),
                    resent: self.source_resent(r, i),
                    flushed: store.offset(&offset_key(&conn.name, &source_partition(kind, name))),
                })
            })
            .collect()
    }
}
