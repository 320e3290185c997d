//! A sink task as `WorkerSinkTask` runs it: one of the engine's consumers
//! (`connector-consumer-NAME-ID`) in the connector's group `connect-NAME`, with the worker's
//! consumer settings (`enable.auto.commit=false`, `auto.offset.reset=earliest`); each record
//! `poll()` returns is written to the system by `SinkTask.put` at the system's write rate; the
//! consumer's offsets are committed every `offset.flush.interval.ms`. A write that fails fails
//! the task: what it wrote is committed, it leaves the group, and nobody restarts it.

use crate::cluster::{Cluster, CommandError};
use crate::command::{OffsetReset, TopicPartition};
use crate::config::ConsumerConfig;
use crate::connect::connector::{Stop, Work};
use crate::connect::{OFFSET_FLUSH_INTERVAL_US, TaskRef};
use crate::event::Event;
use crate::group::coordinator::Group;
use crate::group::offsets_topic;
use crate::record::RecordId;

#[derive(Debug, Clone)]
pub(crate) struct SinkTask {
    /// Its consumer (`Cluster::consumers`).
    pub(crate) consumer: u32,
    /// The offsets of its last commit (`lastCommittedOffsets`).
    committed: Vec<(TopicPartition, u64)>,
    /// A write failed: the exception, the task fails at its next tick.
    failing: Option<String>,
}

/// The worker's sink consumer settings (`Worker.baseConsumerConfigs`).
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
        self.connect_task_mut(r).work = Work::Sink(SinkTask {
            consumer,
            committed: Vec::new(),
            failing: None,
        });
        let at = self.now + OFFSET_FLUSH_INTERVAL_US;
        self.schedule_connect_tick(r, at);
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

    /// `SinkTask.put`: the records of one processing step, written in order. The first write
    /// that fails stops the task's consumer where it is: positions go back to the first record
    /// not written (Kafka's `currentOffsets` only move after `put` returns), and the task fails
    /// at once, after this step.
    pub(crate) fn connect_sink_records(
        &mut self,
        r: TaskRef,
        records: &[(TopicPartition, u64, RecordId)],
    ) {
        let Some(s) = self.sink(r) else { return };
        let consumer = s.consumer;
        let sys_name = self.connect.connectors[r.connector as usize].config.systems[0].clone();
        let i = self.connect.system_index(&sys_name).expect("validated") as usize;
        let mut written = 0u64;
        for (n, &(_, _, rid)) in records.iter().enumerate() {
            let key = self.store.key_text(rid).map(str::to_string);
            let value = self.value_text(rid);
            if let Err(e) = self.connect.systems[i].write(key.as_deref(), value.as_deref()) {
                let rewind = first_unwritten(&records[n..]);
                self.consumer_rewind(consumer, &rewind);
                self.consumers[consumer as usize].stalled = true;
                self.sink_mut(r).expect("a sink").failing = Some(format!(
                    "org.apache.kafka.connect.errors.ConnectException: {}",
                    e.0
                ));
                let now = self.now;
                self.schedule_connect_tick(r, now);
                break;
            }
            written += 1;
        }
        self.connect.connectors[r.connector as usize]
            .counters
            .written += written;
        *self.connect.task_records.entry(r).or_default() += written;
    }

    /// The sink task's loop: fail if a write failed; else commit every
    /// `offset.flush.interval.ms` when the positions moved ("Skipping offset commit, no change
    /// since last commit" otherwise).
    pub(crate) fn sink_tick(&mut self, r: TaskRef) {
        let Some(s) = self.sink(r) else { return };
        if let Some(trace) = s.failing.clone() {
            return self.fail_task(r, trace);
        }
        let consumer = s.consumer;
        let positions = self.consumer_positions(consumer);
        if !positions.is_empty()
            && positions != s.committed
            && self.consumer_commit_offsets(consumer, positions.clone())
        {
            self.sink_mut(r).expect("a sink").committed = positions;
            self.connect.connectors[r.connector as usize]
                .counters
                .offset_flushes += 1;
        }
        let at = self.now + OFFSET_FLUSH_INTERVAL_US;
        self.schedule_connect_tick(r, at);
    }

    /// The task ends: cleanly or failed, its consumer commits and leaves the group
    /// (`closeAllPartitions`, `consumer.close()`); by a crash it just vanishes.
    pub(crate) fn stop_sink_task(&mut self, s: SinkTask, how: Stop) {
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
            self.consumers[c].pause_all = paused;
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
