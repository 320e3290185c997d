//! A sink task as `WorkerSinkTask` runs it: one of the engine's consumers
//! (`connector-consumer-NAME-ID`) in the connector's group `connect-NAME`, with the worker's
//! consumer settings (`enable.auto.commit=false`, `auto.offset.reset=earliest`); each record
//! `poll()` returns is written to the system by `SinkTask.put` at the system's write rate; the
//! consumer's offsets are committed every `offset.flush.interval.ms`. The connector's single
//! message transforms run on each record before `put` (`WorkerSinkTask.convertAndTransformRecord`).
//!
//! A failed write: a JDBC sink whose table is unavailable gets a `SQLException`, which
//! `JdbcSinkTask.put` turns into a `RetriableException` while it has retries left (`max.retries`,
//! 10; it asks for `context.timeout(retry.backoff.ms)`, 3000): `WorkerSinkTask` keeps the batch,
//! pauses the consumer's partitions (it stays in the group) and delivers the batch again after
//! the timeout; a `put` that succeeds resets the retries and resumes the partitions. With no
//! retries left the `SQLException` becomes a `ConnectException`, which kills the task (FAILED:
//! what it wrote is committed, it leaves the group, and nobody restarts it). Any other failure
//! (a file sink's, a record without the key `pk.mode=record_key` needs, a transform's) is not
//! retriable and kills the task at once.

use crate::cluster::{Cluster, CommandError};
use crate::command::{OffsetReset, TopicPartition};
use crate::config::ConsumerConfig;
use crate::connect::connector::{ConnectorClass, Stop, Work};
use crate::connect::transform::{ConnectRecord, Outcome};
use crate::connect::{OFFSET_FLUSH_INTERVAL_US, TaskRef};
use crate::event::Event;
use crate::group::consumer::ClientState;
use crate::group::coordinator::Group;
use crate::group::offsets_topic;
use crate::record::RecordId;
use crate::time::Micros;

/// Records a sink task holds, with where each came from.
type Batch = Vec<(TopicPartition, u64, RecordId)>;

#[derive(Debug, Clone)]
pub(crate) struct SinkTask {
    /// Its consumer (`Cluster::consumers`).
    pub(crate) consumer: u32,
    /// The offsets of its last commit (`lastCommittedOffsets`).
    committed: Vec<(TopicPartition, u64)>,
    /// A write failed: the exception, the task fails at its next tick.
    failing: Option<String>,
    /// A `put` that threw `RetriableException`: the records to deliver again (`messageBatch`)
    /// and when (`context.timeout`). Records the consumer's last poll still hands over join it.
    retry: Option<(Batch, Micros)>,
    /// `JdbcSinkTask.remainingRetries`: back to `max.retries` after a `put` that succeeds.
    remaining_retries: u32,
    next_commit_us: Micros,
    /// The tick the task waits for (timers for other instants are stale).
    tick_at: Option<Micros>,
}

/// The worker's sink consumer settings (`Worker.baseConsumerConfigs`). It leaves
/// `partition.assignment.strategy` at the consumer's default, `[range, cooperative-sticky]`:
/// every member votes for `range`, so group `connect-NAME` rebalances eagerly with the range
/// assignor (its card says `eager · range`, as `kafka-consumer-groups --describe --state` would).
fn sink_consumer_config() -> ConsumerConfig {
    ConsumerConfig {
        enable_auto_commit: false,
        auto_offset_reset: OffsetReset::Earliest,
        ..ConsumerConfig::default()
    }
}

impl Cluster {
    /// The group `connect-NAME` a sink connector's tasks consume in (`SinkUtils.consumerGroupId`).
    pub(crate) fn sink_group(
        &mut self,
        name: &str,
        topics: &[String],
    ) -> Result<u32, CommandError> {
        let group = format!("connect-{name}");
        if self.group_index(&group).is_some() {
            return Err(CommandError::Invalid(format!(
                "group '{group}' already exists: a sink connector's tasks consume in connect-NAME"
            )));
        }
        self.groups.push(Group::new(
            group.clone(),
            topics.to_vec(),
            sink_consumer_config(),
            None,
            offsets_topic::replicas_for(&group, self.brokers.len() as u32),
        ));
        let g = (self.groups.len() - 1) as u32;
        self.refresh_coordinators(false);
        self.emit(Event::GroupCreated {
            group,
            topics: topics.to_vec(),
            assignor: "range".to_string(),
            coordinator: self.groups[g as usize].coordinator,
        });
        Ok(g)
    }

    /// `Worker.startTask` for a sink: its consumer starts (a new process of the same client id
    /// when the task ran before) and subscribes to the connector's topics.
    pub(crate) fn start_sink_task(&mut self, r: TaskRef) {
        let conn = &self.connect.connectors[r.connector as usize];
        let name = format!("connector-consumer-{}-{}", conn.name, r.task);
        let g = conn.group.expect("a sink connector has its group");
        let topics = conn.config.topics.clone();
        let sys = self
            .connect
            .system_index(&conn.config.systems[0])
            .expect("validated at create");
        let rate = self.connect.systems[sys as usize].write_rate;
        let paused = self.connect_task(r).state == crate::connect::State::Paused;
        let consumer = match self.consumer_index(&name) {
            // Still closing only when the graceful timeout gave up on it (`task.cancel()`):
            // Kafka's new task makes a new KafkaConsumer while the old one's close goes on in
            // the background. Here a client id is one process: the new one replaces it, and the
            // old member, which never sends its LeaveGroup, leaves at its session timeout.
            Some(id) if self.consumers[id as usize].state == ClientState::Closing => {
                self.replace_consumer_process(id);
                Ok(id)
            }
            Some(id) => self.cmd_consumer_restart(&name).map(|()| id),
            None => self.start_consumer(name, g, topics, rate),
        };
        let consumer = match consumer {
            Ok(id) => id,
            Err(e) => return self.fail_task(r, format!("ConnectException: {e}")),
        };
        let c = &mut self.consumers[consumer as usize];
        c.connect = Some(r);
        c.pause_all = paused;
        let at = self.now + OFFSET_FLUSH_INTERVAL_US;
        let remaining_retries = self.connect.connectors[r.connector as usize]
            .config
            .max_retries;
        self.connect_task_mut(r).work = Work::Sink(SinkTask {
            consumer,
            committed: Vec::new(),
            failing: None,
            retry: None,
            remaining_retries,
            next_commit_us: at,
            tick_at: None,
        });
        self.schedule_sink_tick(r, at);
    }

    /// Wakes the task at `at` unless it already waits for an earlier instant.
    fn schedule_sink_tick(&mut self, r: TaskRef, at: Micros) {
        let now = self.now;
        let Some(s) = self.sink_mut(r) else { return };
        if s.tick_at.is_some_and(|t| t >= now && t <= at) {
            return;
        }
        s.tick_at = Some(at);
        self.schedule_connect_tick(r, at);
    }

    /// When the running sink task next commits its consumer's offsets (`WorkerSinkTask`'s
    /// `nextCommit`, every `offset.flush.interval.ms`).
    pub(crate) fn sink_next_commit_us(&self, r: TaskRef) -> Option<Micros> {
        self.sink(r).map(|s| s.next_commit_us)
    }

    fn sink(&self, r: TaskRef) -> Option<&SinkTask> {
        match &self.connect_task(r).work {
            Work::Sink(s) => Some(s),
            _ => None,
        }
    }

    fn sink_mut(&mut self, r: TaskRef) -> Option<&mut SinkTask> {
        match &mut self.connect_task_mut(r).work {
            Work::Sink(s) => Some(s),
            _ => None,
        }
    }

    /// The records of one processing step of the task's consumer. While a batch waits to be
    /// delivered again they join it (they belong to the same `poll()`); else they are `put`.
    pub(crate) fn connect_sink_records(
        &mut self,
        r: TaskRef,
        records: &[(TopicPartition, u64, RecordId)],
    ) {
        let Some(s) = self.sink_mut(r) else { return };
        if let Some((batch, _)) = &mut s.retry {
            batch.extend_from_slice(records);
            return;
        }
        self.sink_put(r, records);
    }

    /// Each record through the transforms, then `SinkTask.put`, in order. A record a `Filter`
    /// dropped (or `errors.tolerance=all` skipped) is consumed and not written. On the first
    /// failure the rest of the batch is not written (see the module's doc for what follows).
    fn sink_put(&mut self, r: TaskRef, records: &[(TopicPartition, u64, RecordId)]) {
        let Some(s) = self.sink(r) else { return };
        let consumer = s.consumer;
        let conn = &self.connect.connectors[r.connector as usize];
        let chain = conn.config.transforms.clone();
        let jdbc = conn.config.class == ConnectorClass::JdbcSink;
        let i = self
            .connect
            .system_index(&conn.config.systems[0])
            .expect("validated") as usize;
        let (mut written, mut filtered, mut skipped) = (0u64, 0u64, 0u64);
        let mut failure: Option<(usize, String, bool)> = None;
        for (n, (tp, offset, rid)) in records.iter().enumerate() {
            let key = self.store.key_text(*rid).map(str::to_string);
            let record = ConnectRecord {
                topic: tp.topic.clone(),
                partition: Some(tp.partition),
                offset: Some(*offset),
                timestamp_ms: Some(self.store.get(*rid).timestamp_us / 1000),
                key,
                value: self.value_text(*rid),
            };
            let record = match chain.apply(record) {
                Outcome::Record(record) => record,
                Outcome::Dropped => {
                    filtered += 1;
                    continue;
                }
                Outcome::Skipped => {
                    skipped += 1;
                    continue;
                }
                Outcome::Failed(trace) => {
                    failure = Some((n, trace, false));
                    break;
                }
            };
            let system = &mut self.connect.systems[i];
            // An unavailable database answers with a `SQLException` (retriable in
            // `JdbcSinkTask.put`); the other write errors are not.
            let unavailable = system.unavailable;
            if let Err(e) = system.write(record.key.as_deref(), record.value.as_deref()) {
                let retriable = jdbc && unavailable;
                let trace = if retriable {
                    format!("java.sql.SQLException: {}", e.0)
                } else {
                    format!("org.apache.kafka.connect.errors.ConnectException: {}", e.0)
                };
                failure = Some((n, trace, retriable));
                break;
            }
            written += 1;
        }
        let counters = &mut self.connect.connectors[r.connector as usize].counters;
        counters.written += written;
        counters.filtered += filtered;
        counters.skipped += skipped;
        self.connect.task_counts.entry(r).or_default().records += written;
        let now = self.now;
        let backoff = self.connect.connectors[r.connector as usize]
            .config
            .retry_backoff_us;
        let max_retries = self.connect.connectors[r.connector as usize]
            .config
            .max_retries;
        let paused = self.connect_task(r).state == crate::connect::State::Paused;
        let s = self.sink_mut(r).expect("a sink");
        match failure {
            None => {
                s.remaining_retries = max_retries;
                self.connect_task_mut(r).retries = 0;
                // `pausedForRedelivery` ends: the partitions resume (unless the task is paused).
                self.consumers[consumer as usize].pause_all = paused;
            }
            Some((n, _, true)) if s.remaining_retries > 0 => {
                s.remaining_retries -= 1;
                s.retry = Some((records[n..].to_vec(), now + backoff));
                let retries = max_retries - s.remaining_retries;
                self.consumers[consumer as usize].pause_all = true;
                self.connect.connectors[r.connector as usize]
                    .counters
                    .retries += 1;
                self.connect_task_mut(r).retries = retries;
                self.schedule_sink_tick(r, now + backoff);
            }
            Some((n, trace, retriable)) => {
                let trace = if retriable {
                    // Retries exhausted: `throw new ConnectException(sqlException)`, which
                    // `WorkerSinkTask.deliverMessages` does not retry.
                    format!(
                        "org.apache.kafka.connect.errors.ConnectException: Exiting WorkerSinkTask due to unrecoverable exception.\nCaused by: org.apache.kafka.connect.errors.ConnectException: {trace}"
                    )
                } else {
                    trace
                };
                let rewind = first_unwritten(&records[n..]);
                self.consumer_rewind(consumer, &rewind);
                self.consumers[consumer as usize].stalled = true;
                self.sink_mut(r).expect("a sink").failing = Some(trace);
                self.schedule_sink_tick(r, now);
            }
        }
    }

    /// The sink task's loop: fail if a write failed; else commit every
    /// `offset.flush.interval.ms` when the positions moved ("Skipping offset commit, no change
    /// since last commit" otherwise).
    pub(crate) fn sink_tick(&mut self, r: TaskRef) {
        let now = self.now;
        let Some(s) = self.sink_mut(r) else { return };
        if s.tick_at != Some(now) {
            return;
        }
        s.tick_at = None;
        if let Some(trace) = s.failing.clone() {
            return self.fail_task(r, trace);
        }
        if let Some((batch, _)) = s.retry.take_if(|(_, at)| *at <= now) {
            // `deliverMessages` again after the consumer's poll timed out.
            self.sink_put(r, &batch);
            if self.sink(r).is_some_and(|s| s.failing.is_some()) {
                return;
            }
        }
        let s = self.sink(r).expect("a sink");
        if now >= s.next_commit_us {
            let consumer = s.consumer;
            let mut positions = self.consumer_positions(consumer);
            // `currentOffsets` only move after `put` returns: a batch waiting to be delivered
            // again is not committed.
            if let Some((batch, _)) = &s.retry {
                for (tp, o) in first_unwritten(batch) {
                    if let Some(p) = positions.iter_mut().find(|(t, _)| *t == tp) {
                        p.1 = o;
                    }
                }
            }
            if !positions.is_empty()
                && positions != s.committed
                && self.consumer_commit_offsets(consumer, positions.clone())
            {
                self.sink_mut(r).expect("a sink").committed = positions;
                self.connect.connectors[r.connector as usize]
                    .counters
                    .offset_flushes += 1;
            }
            self.sink_mut(r).expect("a sink").next_commit_us = now + OFFSET_FLUSH_INTERVAL_US;
        }
        let s = self.sink(r).expect("a sink");
        let next = match &s.retry {
            Some((_, at)) => s.next_commit_us.min(*at),
            None => s.next_commit_us,
        };
        self.schedule_sink_tick(r, next);
    }

    /// The consumer of sink task `r`'s last run, if it is still closing (committing, then
    /// LeaveGroup): the run has not stopped yet (`WorkerSinkTask.close` is on the task's thread).
    pub(crate) fn closing_sink_consumer(&self, r: TaskRef) -> Option<u32> {
        let conn = &self.connect.connectors[r.connector as usize];
        if conn.config.class.is_source() {
            return None;
        }
        let id = self.consumer_index(&format!("connector-consumer-{}-{}", conn.name, r.task))?;
        (self.consumers[id as usize].state == ClientState::Closing).then_some(id)
    }

    /// Consumer `id` finished closing: a task restart waiting for it goes on
    /// (`WorkerTask.awaitStop` returns once the task's thread is done).
    pub(crate) fn connect_consumer_closed(&mut self, id: u32) {
        let mut waiting = Vec::new();
        for (c, conn) in self.connect.connectors.iter().enumerate() {
            for t in &conn.tasks {
                if matches!(t.work, Work::AwaitingStop { consumer, .. } if consumer == id) {
                    waiting.push(TaskRef {
                        connector: c as u32,
                        task: t.id,
                    });
                }
            }
        }
        for r in waiting {
            self.task_stopped(r);
        }
    }

    /// The task ends: cleanly or failed, its consumer commits and leaves the group
    /// (`closeAllPartitions`, `consumer.close()`); by a crash it just vanishes.
    pub(crate) fn stop_sink_task(&mut self, s: SinkTask, how: Stop) {
        if let Some((batch, _)) = &s.retry {
            // The batch waiting to be delivered again was not written: not committed either.
            self.consumer_rewind(s.consumer, &first_unwritten(batch));
        }
        let name = self.consumers[s.consumer as usize].name.clone();
        // The consumer may have stopped already (nothing to do then).
        let _ = match how {
            Stop::Clean | Stop::Failed => self.cmd_consumer_stop(&name),
            Stop::Crashed => self.cmd_consumer_crash(&name),
        };
        self.consumers[s.consumer as usize].connect = None;
    }

    /// `WorkerSinkTask` pausing: `consumer.pause(assignment())`, kept on every new assignment;
    /// the consumer stays in its group.
    pub(crate) fn sink_paused(&mut self, r: TaskRef, paused: bool) {
        if let Some(s) = self.sink(r) {
            let c = s.consumer as usize;
            // Paused for redelivery, the partitions stay paused until the batch is written.
            self.consumers[c].pause_all = paused || s.retry.is_some();
        }
    }

    /// `transitionTo` for any task.
    pub(crate) fn connect_task_paused(&mut self, r: TaskRef, paused: bool) {
        self.source_paused(r, paused);
        self.sink_paused(r, paused);
    }
}

/// Per partition, the first offset among `records` (offsets increase within a partition).
fn first_unwritten(records: &[(TopicPartition, u64, RecordId)]) -> Vec<(TopicPartition, u64)> {
    let mut out: Vec<(TopicPartition, u64)> = Vec::new();
    for (tp, offset, _) in records {
        let offset = *offset;
        if !out.iter().any(|(t, _)| t == tp) {
            out.push((tp.clone(), offset));
        }
    }
    out
}
