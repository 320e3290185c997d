//! Kafka Streams applications running inside the cluster, as `KafkaStreams` → `StreamThread` →
//! `TaskManager` run them: each instance has stream threads; each thread is one of the engine's
//! consumers (group `application.id`, Kafka Streams' consumer overrides) whose records go
//! through the thread's tasks (`streams::task::StreamTask`), and one producer per topic it
//! writes (sinks, repartition topics, changelogs).
//!
//! - `mod.rs` (this file): the registry (`Cluster::streams`), `streams app`, `streams add`,
//!   `streams stop`, `streams crash`
//! - `assign.rs`: the group leader's side: internal topics (`InternalTopicManager`), the
//!   subscriptions' user data, `StreamsPartitionAssignor`
//! - `thread.rs`: a thread's tasks: created and closed on (re)assignment, records processed,
//!   effects produced, commits every `commit.interval.ms`
//! - `restore.rs`: restoring a task's stores from their changelogs before it runs
//! - `standby.rs`: standby tasks (`num.standby.replicas`): stores kept from their changelogs,
//!   recycled into the active task when it moves here
//! - `query.rs`: what `expect` and the page ask (stores, tasks, owners, counters, states)
//! - `provenance.rs`: what the records threads write came from (the simulation's view), for
//!   counting the re-processing that counted twice
//!
//! Names: instance `APP-N`; thread `APP-N-StreamThread-M`; its consumer
//! `APP-N-StreamThread-M-consumer` (Kafka's client id is `APP-<processUUID>-StreamThread-M-consumer`:
//! the process UUID is the instance's name here, see `assignor/mod.rs`) and its producer
//! `APP-N-StreamThread-M-producer`.

mod assign;
mod memory;

pub(crate) use assign::INTERNAL_REPLICATION;
mod provenance;
mod query;
mod restore;
mod standby;
mod thread;
mod view;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cluster::{Cluster, CommandError};
use crate::command::{OffsetReset, TopicPartition};
use crate::config::ConsumerConfig;
use crate::event::Event;
use crate::group::assignor::AssignorKind;
use crate::group::coordinator::Group;
use crate::group::offsets_topic;
use crate::limits;
use crate::streams::cache::ThreadCache;
use crate::streams::dsl::{App, AppConfig};
use crate::streams::task::StreamTask;
use crate::streams::topology::{TaskId, Topology};
use crate::streams::words::Words;
use crate::time::Micros;

pub use query::{InstanceState, TaskView};
pub use standby::{StandbyChangelog, StandbyTask};

/// Kafka Streams' `max.poll.records` override for its main consumer (StreamsConfig
/// `CONSUMER_DEFAULT_OVERRIDES`).
pub const STREAMS_MAX_POLL_RECORDS: u32 = 1000;

/// Most instances one application may have (each is at least one consumer and producer).
pub const MAX_INSTANCES_PER_APP: u32 = 32;
/// Most stream threads one instance may have.
pub const MAX_THREADS_PER_INSTANCE: u32 = 8;

/// A thread of an instance of an application, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ThreadRef {
    pub app: u32,
    pub instance: u32,
    pub thread: u32,
}

/// One application (`application.id`), its topology and its instances.
#[derive(Debug, Clone)]
pub struct StreamsApp {
    pub name: String,
    pub config: AppConfig,
    pub topology: Arc<Topology>,
    /// `Topology.describe()`, printed once.
    pub description: String,
    /// The consumer group `application.id`.
    pub group: u32,
    pub instances: Vec<Instance>,
    pub counters: AppCounters,
    /// Per input partition, one past the highest offset any of the app's tasks processed: a
    /// record below it is being processed again (at-least-once after a crash or a move).
    processed_upto: BTreeMap<TopicPartition, u64>,
    /// What the records its threads wrote came from (`provenance.rs`).
    provenance: provenance::AppProvenance,
    /// The leader's last decision per instance (actives, standbys, warm-ups, lags), for display.
    pub last_assignment: Option<BTreeMap<String, crate::streams::assignor::ClientAssignment>>,
}

/// What the application did, over all its instances.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AppCounters {
    /// Records its tasks read from their source topics (re-processed ones included).
    pub processed: u64,
    /// Records processed again: below an offset some task of the app had already processed.
    pub reprocessed: u64,
    /// What the re-processing counted twice (`streams::provenance`, `runtime/provenance.rs`):
    /// store updates applied to a value that already included their record (restored from a
    /// changelog, or kept in the state directory), and records sent again to a repartition
    /// topic whose first copy the log already held (each one more record downstream). A
    /// re-processed record whose first results were lost with the cache or the producer's
    /// unsent batches counts nothing: it is applied once.
    pub counted_twice: u64,
    /// Records skipped by the processing exception handler (Kafka's `dropped-records`).
    pub dropped: u64,
    /// Of `dropped`, those a windowed aggregation dropped because their window had closed
    /// (stream time − grace at or past the window's end): the window processors'
    /// "Skipping record for expired window", one count per expired window as Kafka's
    /// `dropped-records` sensor counts them.
    pub dropped_late: u64,
    /// Changelog records replayed into stores, per store.
    pub restored: BTreeMap<String, u64>,
    /// Changelog records standby tasks read into their copies of a store, per store (Kafka's
    /// standby `update-total`); not counted in `restored`.
    pub standby_updated: BTreeMap<String, u64>,
    /// Offset commits the threads sent.
    pub commits: u64,
}

/// A `KafkaStreams` instance.
#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    pub state: InstanceState,
    /// The process crashed (`streams crash`): NOT_RUNNING without a `close()`; nothing was
    /// committed or flushed on the way out.
    pub crashed: bool,
    pub threads: Vec<StreamThread>,
    /// The state directory: stores of tasks this instance ran and closed cleanly, with the
    /// changelog offsets they reached (their checkpoint), reused if a task comes back.
    state_dir: BTreeMap<TaskId, Checkpointed>,
}

#[derive(Debug, Clone)]
struct Checkpointed {
    /// The task's key-value stores as it closed them.
    stores: BTreeMap<String, crate::streams::store::KeyValueStore>,
    /// Changelog partition → offset the store holds everything before.
    checkpoint: BTreeMap<TopicPartition, u64>,
    /// How far into the task's inputs the stores include every record (`streams::provenance`).
    included: crate::streams::provenance::Included,
}

/// A `StreamThread`.
#[derive(Debug, Clone)]
pub struct StreamThread {
    pub name: String,
    /// Its main consumer (`Cluster::consumers`).
    pub consumer: u32,
    /// Its producer, one engine producer per topic written (`Cluster::producers`).
    producers: BTreeMap<String, u32>,
    pub cache: ThreadCache,
    /// The words its tasks' `split` made, each kept once (`streams::words`).
    words: Words,
    pub tasks: BTreeMap<TaskId, ActiveTask>,
    /// Its standby tasks (`standby.rs`).
    pub standbys: BTreeMap<TaskId, StandbyTask>,
    pub alive: bool,
    /// When the last commit was taken (`StreamThread.lastCommitMs`).
    last_commit_us: Micros,
    /// A commit waiting for the producer to be flushed: the offsets to commit then.
    commit_waiting: Option<Vec<(TopicPartition, u64)>>,
    /// The offsets of the thread's OffsetCommit in flight. `commitSync` sends them again if
    /// its coordinator moved or died before answering (`thread.rs`).
    commit_sent: Option<Vec<(TopicPartition, u64)>>,
    /// A task processed records since the last commit (`commitNeeded`).
    commit_needed: bool,
    tick_at: Option<Micros>,
    /// When the thread last purged its repartition topics (`StreamThread.lastPurgeMs`, 0 at
    /// start in Kafka, so the first commit purges).
    last_purge_us: Option<Micros>,
    /// The commit being taken is one of `commit.interval.ms` due to purge.
    purge_planned: bool,
    /// The commit in flight purges when it succeeds: when it began, and the repartition
    /// partitions' committed offsets (`thread.rs`, `maybePurgeCommittedRecords`).
    purge_after_commit: Option<(Micros, Vec<(TopicPartition, u64)>)>,
    /// Scratch space for the effects of the records being processed (`thread.rs`): empty
    /// between calls, its capacity kept so that a batch's thousands of effects are not
    /// reallocated, copied and page-faulted in again for every batch (a tenth of a word
    /// count's time).
    effects: Vec<crate::streams::task::Effect>,
}

/// `Task.State` of an active task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TaskState {
    Restoring,
    Running,
}

/// An active task on a thread.
#[derive(Debug, Clone)]
pub struct ActiveTask {
    pub task: Box<StreamTask>,
    pub state: TaskState,
    /// Its input partitions.
    pub partitions: Vec<TopicPartition>,
    /// One per changelogged store: where restoring stands.
    pub restores: Vec<Restore>,
}

/// Restoring one store from its changelog partition.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Restore {
    pub store: String,
    pub changelog: TopicPartition,
    /// The checkpoint it started from.
    pub start: u64,
    /// The next changelog offset to read.
    pub position: u64,
    /// The changelog's end offset when restoring began (`endOffsets`).
    pub end: u64,
}

impl Cluster {
    pub(crate) fn streams_app_index(&self, name: &str) -> Option<u32> {
        self.streams
            .iter()
            .position(|a| a.name == name)
            .map(|i| i as u32)
    }

    /// `streams app NAME … end`: builds the topology, creates the group `application.id` and
    /// starts the instances. Internal topics are created by the group's leader at its first
    /// assignment, as Kafka's `InternalTopicManager` does.
    pub fn cmd_streams_app(&mut self, app: App) -> Result<(), CommandError> {
        if self.brokers.is_empty() {
            return Err(CommandError::NoBrokers);
        }
        if self.streams_app_index(&app.name).is_some() {
            return Err(CommandError::Invalid(format!(
                "streams app '{}' already exists",
                app.name
            )));
        }
        if self.group_index(&app.name).is_some() {
            return Err(CommandError::Invalid(format!(
                "group '{}' already exists: a Streams application's group is its application.id",
                app.name
            )));
        }
        CommandError::limit(limits::check_name("streams app", &app.name))?;
        check_counts(app.config.instances, app.config.threads)?;
        let topology = crate::streams::builder::build(&app)
            .map_err(|e| CommandError::Invalid(e.to_string()))?;
        // Every sub-topology must be runnable, and its user topics must exist (Kafka's
        // MissingSourceTopicException stops the application at its first rebalance).
        for sub in &topology.subtopologies {
            StreamTask::new(
                Arc::new(topology.clone()),
                TaskId {
                    subtopology: sub.id,
                    partition: 0,
                },
                &mut ThreadCache::new(0),
            )
            .map_err(|e| CommandError::Invalid(e.0))?;
            for t in &sub.source_topics {
                if !topology.is_internal(t) && !self.topics.contains_key(t) {
                    return Err(CommandError::UnknownTopic(t.clone()));
                }
            }
        }
        let names: Vec<String> = (1..=app.config.instances)
            .map(|i| format!("{}-{i}", app.name))
            .collect();
        let consumers: usize = names.len() * app.config.threads as usize;
        CommandError::limit(limits::check_consumers(self.consumers.len(), consumers))?;
        let description = topology.describe();
        let subscribed: Vec<String> = topology
            .subtopologies
            .iter()
            .flat_map(|s| s.source_topics.iter().cloned())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let group = Group::new(
            app.name.clone(),
            subscribed.clone(),
            streams_consumer_config(),
            None,
            offsets_topic::replicas_for(&app.name, self.brokers.len() as u32),
        );
        self.groups.push(group);
        let g = (self.groups.len() - 1) as u32;
        self.refresh_coordinators(false);
        self.emit(Event::GroupCreated {
            group: app.name.clone(),
            topics: subscribed,
            assignor: "stream".to_string(),
            coordinator: self.groups[g as usize].coordinator,
        });
        let a = self.streams.len() as u32;
        let provenance = provenance::AppProvenance::new(&topology);
        self.streams.push(StreamsApp {
            name: app.name.clone(),
            config: app.config.clone(),
            topology: Arc::new(topology),
            description,
            group: g,
            instances: Vec::new(),
            counters: AppCounters::default(),
            processed_upto: BTreeMap::new(),
            provenance,
            last_assignment: None,
        });
        self.emit(Event::StreamsAppDeclared {
            app: app.name.clone(),
        });
        for name in names {
            self.start_instance(a, name, app.config.threads)?;
        }
        Ok(())
    }

    /// `streams add INSTANCE app=APP [threads=N]`.
    pub fn cmd_streams_add(
        &mut self,
        instance: String,
        app: &str,
        threads: Option<u32>,
    ) -> Result<(), CommandError> {
        let a = self
            .streams_app_index(app)
            .ok_or_else(|| CommandError::Invalid(format!("unknown streams app '{app}'")))?;
        CommandError::limit(limits::check_name("streams instance", &instance))?;
        if self.streams_instance(&instance).is_some() {
            return Err(CommandError::Invalid(format!(
                "streams instance '{instance}' already exists"
            )));
        }
        let threads = threads.unwrap_or(self.streams[a as usize].config.threads);
        let count = self.streams[a as usize].instances.len() as u32 + 1;
        check_counts(count, threads)?;
        CommandError::limit(limits::check_consumers(
            self.consumers.len(),
            threads as usize,
        ))?;
        self.start_instance(a, instance, threads)
    }

    /// `KafkaStreams.start()`: the instance's threads start; each consumer finds the
    /// coordinator and joins.
    fn start_instance(&mut self, a: u32, name: String, threads: u32) -> Result<(), CommandError> {
        let g = self.streams[a as usize].group;
        let topics = self.groups[g as usize].topics.clone();
        let thread_names: Vec<String> = (1..=threads)
            .map(|t| format!("{name}-StreamThread-{t}"))
            .collect();
        if let Some(n) = thread_names
            .iter()
            .find(|t| self.consumer_index(&format!("{t}-consumer")).is_some())
        {
            return Err(CommandError::Invalid(format!(
                "consumer '{n}-consumer' already exists"
            )));
        }
        let i = self.streams[a as usize].instances.len() as u32;
        self.streams[a as usize].instances.push(Instance {
            name: name.clone(),
            state: InstanceState::Running,
            crashed: false,
            threads: Vec::new(),
            state_dir: BTreeMap::new(),
        });
        let app_name = self.streams[a as usize].name.clone();
        self.emit(Event::StreamsInstanceStarted {
            app: app_name,
            instance: name.clone(),
            threads,
        });
        let cache_per_thread = self.streams[a as usize].config.cache_bytes / u64::from(threads);
        for (t, thread_name) in thread_names.into_iter().enumerate() {
            let r = ThreadRef {
                app: a,
                instance: i,
                thread: t as u32,
            };
            let now = self.now;
            self.streams[a as usize].instances[i as usize]
                .threads
                .push(StreamThread {
                    name: thread_name.clone(),
                    consumer: u32::MAX,
                    producers: BTreeMap::new(),
                    cache: ThreadCache::new(cache_per_thread),
                    words: Words::default(),
                    tasks: BTreeMap::new(),
                    standbys: BTreeMap::new(),
                    alive: true,
                    last_commit_us: now,
                    commit_waiting: None,
                    commit_sent: None,
                    commit_needed: false,
                    tick_at: None,
                    effects: Vec::new(),
                    last_purge_us: None,
                    purge_planned: false,
                    purge_after_commit: None,
                });
            let consumer =
                self.start_stream_consumer(format!("{thread_name}-consumer"), g, topics.clone(), r);
            self.streams_thread_mut(r).consumer = consumer;
            self.consumer_poll(consumer);
        }
        Ok(())
    }

    pub(crate) fn streams_instance(&self, name: &str) -> Option<(u32, u32)> {
        self.streams.iter().enumerate().find_map(|(a, app)| {
            app.instances
                .iter()
                .position(|i| i.name == name)
                .map(|i| (a as u32, i as u32))
        })
    }

    fn running_instance(&self, name: &str) -> Result<(u32, u32), CommandError> {
        let (a, i) = self
            .streams_instance(name)
            .ok_or_else(|| CommandError::Invalid(format!("unknown streams instance '{name}'")))?;
        match self.streams[a as usize].instances[i as usize].state {
            InstanceState::NotRunning | InstanceState::PendingShutdown => Err(
                CommandError::Invalid(format!("streams instance '{name}' is not running")),
            ),
            _ => Ok((a, i)),
        }
    }

    pub(crate) fn streams_thread(&self, r: ThreadRef) -> &StreamThread {
        &self.streams[r.app as usize].instances[r.instance as usize].threads[r.thread as usize]
    }

    pub(crate) fn streams_thread_mut(&mut self, r: ThreadRef) -> &mut StreamThread {
        &mut self.streams[r.app as usize].instances[r.instance as usize].threads[r.thread as usize]
    }

    fn thread_refs(&self, a: u32, i: u32) -> Vec<ThreadRef> {
        (0..self.streams[a as usize].instances[i as usize].threads.len() as u32)
            .map(|thread| ThreadRef {
                app: a,
                instance: i,
                thread,
            })
            .collect()
    }

    /// `streams stop INSTANCE`: `KafkaStreams.close()`: each thread commits its tasks (caches
    /// flushed, the producer flushed, offsets committed), closes them and its clients. Streams'
    /// main consumer sets `internal.leave.group.on.close=false`: no LeaveGroup is sent, so the
    /// group notices the instance is gone only when its members' sessions time out.
    pub fn cmd_streams_stop(&mut self, instance: &str) -> Result<(), CommandError> {
        let (a, i) = self.running_instance(instance)?;
        self.streams[a as usize].instances[i as usize].state = InstanceState::PendingShutdown;
        for r in self.thread_refs(a, i) {
            self.flush_thread_tasks(r);
            let consumer = self.streams_thread(r).consumer;
            let name = self.consumers[consumer as usize].name.clone();
            // commit + close (no LeaveGroup, see `streams_consumer_config`).
            self.cmd_consumer_stop(&name)?;
            self.close_thread(r, false);
        }
        self.streams[a as usize].instances[i as usize].state = InstanceState::NotRunning;
        let app = self.streams[a as usize].name.clone();
        self.emit(Event::StreamsInstanceStopped {
            app,
            instance: instance.to_string(),
            crashed: false,
        });
        Ok(())
    }

    /// `streams crash INSTANCE`: the process vanishes: what its tasks processed since their last
    /// commit is not committed, its caches and unsent records are gone; the group notices
    /// after the session timeout and the tasks' new owners restore and re-process.
    pub fn cmd_streams_crash(&mut self, instance: &str) -> Result<(), CommandError> {
        let (a, i) = self.running_instance(instance)?;
        for r in self.thread_refs(a, i) {
            let consumer = self.streams_thread(r).consumer;
            let name = self.consumers[consumer as usize].name.clone();
            self.cmd_consumer_crash(&name)?;
            self.close_thread(r, true);
        }
        let inst = &mut self.streams[a as usize].instances[i as usize];
        inst.state = InstanceState::NotRunning;
        inst.crashed = true;
        inst.state_dir.clear();
        let app = self.streams[a as usize].name.clone();
        self.emit(Event::StreamsInstanceStopped {
            app,
            instance: instance.to_string(),
            crashed: true,
        });
        Ok(())
    }
}

/// Kafka Streams' main consumer: the consumer defaults with StreamsConfig's overrides
/// (`enable.auto.commit=false`: the thread commits; `max.poll.records=1000`;
/// `internal.leave.group.on.close=false`); `auto.offset.reset=earliest` is the group's.
fn streams_consumer_config() -> ConsumerConfig {
    ConsumerConfig {
        max_poll_records: STREAMS_MAX_POLL_RECORDS,
        // The carrier of the `stream` protocol: cooperative, owned partitions in the
        // subscription; the leader runs StreamsPartitionAssignor (assign.rs) instead.
        partition_assignment_strategy: AssignorKind::CooperativeSticky,
        // StreamsConfig's consumer override: a new application reads its inputs from the start.
        auto_offset_reset: OffsetReset::Earliest,
        enable_auto_commit: false,
        leave_group_on_close: false,
        ..ConsumerConfig::default()
    }
}

fn check_counts(instances: u32, threads: u32) -> Result<(), CommandError> {
    if instances == 0 || instances > MAX_INSTANCES_PER_APP {
        return Err(CommandError::Limit(format!(
            "a streams app has 1 to {MAX_INSTANCES_PER_APP} instances"
        )));
    }
    if threads == 0 || threads > MAX_THREADS_PER_INSTANCE {
        return Err(CommandError::Limit(format!(
            "a streams instance has 1 to {MAX_THREADS_PER_INSTANCE} threads"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
