//! Restoring a task's stores before it runs (Kafka's `StoreChangelogReader` with the thread's
//! restore consumer): each changelogged store is read from the task's checkpoint (0 for an
//! instance that never had the task, the offset it reached for one that kept its state
//! directory) to the changelog partition's end offset, as it was when restoring began. Meanwhile
//! the task's input partitions are paused on the main consumer (`mainConsumer.pause`), so
//! nothing is processed against a half-restored store.
//!
//! The restore consumer is modelled as one fetch of up to `max.poll.records` (1,000) changelog
//! records per round trip to the partition's leader, read up to its high watermark; it does not
//! go through the network model's messages (a simplification: a cut between the instance and
//! the leader does not delay restoring).

use std::collections::BTreeMap;

use crate::cluster::Cluster;
use crate::command::TopicPartition;
use crate::event::Event;
use crate::streams::provenance::Position;
use crate::streams::task::StreamTask;
use crate::streams::topology::{TaskId, Topology};
use crate::streams::value::Val;
use crate::time::Micros;

use super::{Checkpointed, Restore, STREAMS_MAX_POLL_RECORDS, TaskState, ThreadRef};

/// A changelog record as a store takes it back: key, value (`Null` deletes), timestamp; and
/// the position its value was logged at, when a re-processing can still reach it (provenance).
pub(super) type ChangelogRecord = (Val, Val, Micros, Option<Position>);

impl Cluster {
    /// Opens task `id` on thread `r` with the stores `kept` for it (the state directory of a
    /// clean close, or a standby's copy) as they were left: the task, and the changelog offsets
    /// those stores hold everything before (its checkpoint; empty without them). `None` if the
    /// task cannot be built, which the app's declaration already ruled out.
    pub(super) fn open_task(
        &mut self,
        r: ThreadRef,
        topology: &std::sync::Arc<Topology>,
        id: TaskId,
        kept: Option<Checkpointed>,
    ) -> Option<(StreamTask, BTreeMap<TopicPartition, u64>)> {
        let thread = self.streams_thread_mut(r);
        let mut task =
            StreamTask::new(std::sync::Arc::clone(topology), id, &mut thread.cache).ok()?;
        let Some(Checkpointed {
            stores,
            checkpoint,
            included,
        }) = kept
        else {
            return Some((task, BTreeMap::new()));
        };
        for (name, kv) in stores {
            task.restore_kept(&name, &kv, &included);
        }
        Some((task, checkpoint))
    }

    /// The restores a task needs: its sub-topology's changelogged stores, from the checkpoint.
    pub(super) fn restores_for(
        &self,
        topology: &Topology,
        id: TaskId,
        checkpoint: &BTreeMap<TopicPartition, u64>,
    ) -> Vec<Restore> {
        let Some(sub) = topology
            .subtopologies
            .iter()
            .find(|s| s.id == id.subtopology)
        else {
            return Vec::new();
        };
        let mut restores = Vec::new();
        for store in &sub.stores {
            let Some(changelog) = topology.store(store).and_then(|s| s.changelog.clone()) else {
                continue;
            };
            let tp = TopicPartition {
                topic: changelog,
                partition: id.partition,
            };
            let end = self.high_watermark(&tp).unwrap_or(0);
            let start = checkpoint.get(&tp).copied().unwrap_or(0).min(end);
            restores.push(Restore {
                store: store.clone(),
                changelog: tp,
                start,
                position: start,
                end,
            });
        }
        restores
    }

    /// One restore round trip's worth for every restoring task of the thread; a task whose
    /// stores have all reached their end offsets starts running.
    pub(super) fn restore_step(&mut self, r: super::ThreadRef) {
        let ids: Vec<TaskId> = self
            .streams_thread(r)
            .tasks
            .iter()
            .filter(|(_, t)| t.state == TaskState::Restoring)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.restore_task(r, id);
        }
    }

    fn restore_task(&mut self, r: ThreadRef, id: TaskId) {
        let n = self.streams_thread(r).tasks[&id].restores.len();
        for k in 0..n {
            let rs = self.streams_thread(r).tasks[&id].restores[k].clone();
            if rs.position >= rs.end {
                continue;
            }
            let Some((records, next)) =
                self.changelog_batch(r.app, id, &rs.changelog, rs.position, rs.end)
            else {
                continue; // no leader now: the restore consumer retries
            };
            let count = records.len() as u64;
            let active = self
                .streams_thread_mut(r)
                .tasks
                .get_mut(&id)
                .expect("restoring task");
            for (key, value, ts, written_at) in records {
                active
                    .task
                    .restore_logged(&rs.store, key, value, ts, written_at);
            }
            active.restores[k].position = next;
            *self.streams[r.app as usize]
                .counters
                .restored
                .entry(rs.store.clone())
                .or_default() += count;
        }
        let active = &self.streams_thread(r).tasks[&id];
        if active.restores.iter().all(|rs| rs.position >= rs.end) {
            let partitions = active.partitions.clone();
            let restored: u64 = active.restores.iter().map(|rs| rs.end - rs.start).sum();
            self.streams_thread_mut(r)
                .tasks
                .get_mut(&id)
                .expect("present")
                .state = TaskState::Running;
            let consumer = self.streams_thread(r).consumer;
            self.pause_partitions(consumer, &partitions, false);
            let app = self.streams[r.app as usize].name.clone();
            let thread = self.streams_thread(r).name.clone();
            self.emit(Event::StreamsTaskRunning {
                app,
                thread,
                task: id.to_string(),
                restored,
            });
            self.consumer_poll(consumer);
        }
    }

    /// One restore-consumer fetch from a changelog partition of `task`'s: up to
    /// `max.poll.records` records from `position` up to `end` (and the high watermark), as
    /// `(key, value, timestamp, written_at)`, and the offset to read next. `None` while the
    /// partition has no leader. A restoring task and a standby apply them alike.
    pub(super) fn changelog_batch(
        &self,
        app: u32,
        task: TaskId,
        changelog: &TopicPartition,
        position: u64,
        end: u64,
    ) -> Option<(Vec<ChangelogRecord>, u64)> {
        let log = self.leader_log(changelog)?;
        let hw = self.high_watermark(changelog).unwrap_or(0);
        let to = end.min(hw);
        let from = position.max(log.log_start_offset());
        let mut batch = Vec::new();
        'read: for chunk in log.range_slices(from, to) {
            for e in chunk {
                if batch.len() >= STREAMS_MAX_POLL_RECORDS as usize {
                    break 'read;
                }
                batch.push((e.offset, e.id));
            }
        }
        let next = batch.last().map_or(to.max(from), |(o, _)| o + 1);
        let records = batch
            .iter()
            .map(|&(_, rid)| {
                (
                    Val::from_record(self.key_text(rid)),
                    Val::from_record(self.value_text(rid).as_deref()),
                    self.record_timestamp(rid),
                    self.changelog_written_at(app, task, rid),
                )
            })
            .collect();
        Some((records, next))
    }

    /// When the next restore round trip ends, if a task is restoring.
    pub(super) fn next_restore_at(&self, r: ThreadRef) -> Option<Micros> {
        let restoring = self
            .streams_thread(r)
            .tasks
            .values()
            .any(|t| t.state == TaskState::Restoring);
        restoring.then(|| self.now + 2 * self.config.latency_us.max(1))
    }
}
