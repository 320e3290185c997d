//! Standby tasks (`num.standby.replicas`, Kafka's `StandbyTask`): the leader's assignor places
//! each stateful task's standbys on other instances (`assignor/standby.rs`) and sends them in
//! the assignment's user data (`AssignmentInfo.standbyTasks`). A standby keeps a copy of the
//! task's stores by reading their changelogs with the thread's restore consumer
//! (`StoreChangelogReader` in its `STANDBY_UPDATING` state, once no active task of the thread is
//! restoring), without processing any input. Its changelog positions go into the thread's
//! subscription (`TaskManager.getTaskOffsetSums`), so the assignor sees the instance as caught up
//! on the task; when the active task then moves here (its instance crashed or left), the standby
//! becomes the active task (`TaskManager` recycles it, `StandbyTask` → `StreamTask`) and restores
//! only the changelog's tail from where the standby had read to.
//!
//! The restore consumer is modelled as in `restore.rs`: one fetch of up to `max.poll.records`
//! per round trip to the partition's leader, read up to its high watermark; when caught up it
//! waits for new changelog records as a long-polling fetch would, for up to `fetch.max.wait.ms`.

use bytes::Bytes;

use crate::cluster::Cluster;
use crate::command::TopicPartition;
use crate::streams::assignor::AssignmentInfo;
use crate::streams::task::StreamTask;
use crate::streams::topology::TaskId;
use crate::time::Micros;

use super::{Checkpointed, TaskState, ThreadRef};

/// The restore consumer's `fetch.max.wait.ms` (the consumer default, 500 ms): how long a fetch
/// from a caught-up changelog waits for new records.
const STANDBY_FETCH_WAIT_US: Micros = crate::time::ms(500);

/// A standby task on a thread: the task's stores, kept up to date from their changelogs.
#[derive(Debug, Clone)]
pub struct StandbyTask {
    pub task: Box<StreamTask>,
    /// One per changelogged store: the next changelog offset to read.
    pub changelogs: Vec<StandbyChangelog>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StandbyChangelog {
    pub store: String,
    pub changelog: TopicPartition,
    pub position: u64,
}

impl StandbyTask {
    /// What a clean close leaves in the state directory: the stores and the changelog offsets
    /// they hold everything before (the checkpoint).
    fn into_checkpointed(self) -> (Box<StreamTask>, Checkpointed) {
        // As an active task's clean close (`thread.rs`): persistent stores only.
        let stores: std::collections::BTreeMap<_, _> = self
            .changelogs
            .iter()
            .filter(|c| self.task.persistent(&c.store))
            .filter_map(|c| {
                self.task
                    .store(&c.store)
                    .map(|kv| (c.store.clone(), kv.clone()))
            })
            .collect();
        let checkpoint = self
            .changelogs
            .iter()
            .filter(|c| stores.contains_key(&c.store))
            .map(|c| (c.changelog.clone(), c.position))
            .collect();
        let included = self.task.included().clone();
        (
            self.task,
            Checkpointed {
                stores,
                checkpoint,
                included,
            },
        )
    }
}

impl Cluster {
    /// `onAssignment` → `TaskManager.handleAssignment`, standby side: the standby tasks of the
    /// assignment's user data. Standbys no longer assigned are closed cleanly into the state
    /// directory (one that became this thread's active task is left for
    /// `streams_partitions_assigned` to recycle); new ones open from the state directory if the
    /// instance kept the task's stores, else empty, and start reading the changelogs.
    pub(crate) fn streams_standbys_assigned(&mut self, r: ThreadRef, user_data: Option<&Bytes>) {
        let wanted: Vec<TaskId> = user_data
            .and_then(|b| AssignmentInfo::decode_standbys(b))
            .unwrap_or_default()
            .into_iter()
            .map(|t| TaskId {
                subtopology: t.subtopology,
                partition: t.partition,
            })
            .collect();
        let topology = std::sync::Arc::clone(&self.streams[r.app as usize].topology);
        let consumer = self.streams_thread(r).consumer;
        let active: Vec<TaskId> = self.consumers[consumer as usize]
            .owned
            .keys()
            .filter_map(|tp| {
                topology.subtopology_of_topic(&tp.topic).map(|s| TaskId {
                    subtopology: s.id,
                    partition: tp.partition,
                })
            })
            .collect();
        let gone: Vec<TaskId> = self
            .streams_thread(r)
            .standbys
            .keys()
            .filter(|id| !wanted.contains(id) && !active.contains(id))
            .copied()
            .collect();
        for id in gone {
            self.close_standby(r, id, false);
        }
        for id in wanted {
            if self.streams_thread(r).standbys.contains_key(&id) {
                continue;
            }
            let kept = self.streams[r.app as usize].instances[r.instance as usize]
                .state_dir
                .remove(&id);
            let Some((task, checkpoint)) = self.open_task(r, &topology, id, kept) else {
                continue; // checked when the app was declared
            };
            let changelogs = self
                .restores_for(&topology, id, &checkpoint)
                .into_iter()
                .map(|rs| StandbyChangelog {
                    store: rs.store,
                    changelog: rs.changelog,
                    position: rs.start,
                })
                .collect();
            self.streams_thread_mut(r).standbys.insert(
                id,
                StandbyTask {
                    task: Box::new(task),
                    changelogs,
                },
            );
        }
        self.schedule_streams_tick(r);
    }

    /// The instance's standby of task `id`, on whichever of its threads, closed for the active
    /// task to open from: its stores and how far it read (`TaskManager` recycles a standby on
    /// the same thread, and a standby on another thread leaves its checkpoint in the shared
    /// state directory; either way the active task starts from there).
    pub(super) fn take_standby(&mut self, r: ThreadRef, id: TaskId) -> Option<Checkpointed> {
        let threads = self.streams[r.app as usize].instances[r.instance as usize]
            .threads
            .len() as u32;
        (0..threads).find_map(|thread| {
            let t = ThreadRef { thread, ..r };
            let standby = self.streams_thread_mut(t).standbys.remove(&id)?;
            let (task, kept) = standby.into_checkpointed();
            task.close_dirty(&mut self.streams_thread_mut(t).cache);
            Some(kept)
        })
    }

    /// Closes a standby: cleanly into the state directory (its checkpoint), or lost with a
    /// crashed process.
    fn close_standby(&mut self, r: ThreadRef, id: TaskId, crashed: bool) {
        let Some(standby) = self.streams_thread_mut(r).standbys.remove(&id) else {
            return;
        };
        let (task, kept) = standby.into_checkpointed();
        task.close_dirty(&mut self.streams_thread_mut(r).cache);
        if !crashed {
            self.streams[r.app as usize].instances[r.instance as usize]
                .state_dir
                .insert(id, kept);
        }
    }

    /// The thread ends: its standbys close with it.
    pub(super) fn close_standbys(&mut self, r: ThreadRef, crashed: bool) {
        let ids: Vec<TaskId> = self.streams_thread(r).standbys.keys().copied().collect();
        for id in ids {
            self.close_standby(r, id, crashed);
        }
    }

    /// One restore-consumer fetch for every standby of the thread, once none of its active
    /// tasks is restoring (active restoration comes first in `StoreChangelogReader.restore`).
    /// Records read are counted per store (Kafka's standby `update-total`).
    pub(super) fn standby_step(&mut self, r: ThreadRef) {
        let thread = self.streams_thread(r);
        if thread
            .tasks
            .values()
            .any(|t| t.state == TaskState::Restoring)
        {
            return;
        }
        let ids: Vec<TaskId> = thread.standbys.keys().copied().collect();
        for id in ids {
            let n = self.streams_thread(r).standbys[&id].changelogs.len();
            for k in 0..n {
                let c = self.streams_thread(r).standbys[&id].changelogs[k].clone();
                let Some((records, next)) =
                    self.changelog_batch(r.app, id, &c.changelog, c.position, u64::MAX)
                else {
                    continue; // no leader now: the next fetch retries
                };
                let count = records.len() as u64;
                let standby = self
                    .streams_thread_mut(r)
                    .standbys
                    .get_mut(&id)
                    .expect("present");
                for (key, value, ts, written_at) in records {
                    standby
                        .task
                        .restore_logged(&c.store, key, value, ts, written_at);
                }
                standby.changelogs[k].position = next;
                if count > 0 {
                    *self.streams[r.app as usize]
                        .counters
                        .standby_updated
                        .entry(c.store)
                        .or_default() += count;
                }
            }
        }
    }

    /// When the thread's restore consumer next returns standby records: after a round trip if
    /// a changelog has records the standby has not read, else when a long-polling fetch would
    /// give up waiting.
    pub(super) fn next_standby_at(&self, r: ThreadRef) -> Option<Micros> {
        let thread = self.streams_thread(r);
        if thread.standbys.is_empty() {
            return None;
        }
        let behind = thread.standbys.values().any(|s| {
            s.changelogs
                .iter()
                .any(|c| c.position < self.high_watermark(&c.changelog).unwrap_or(0))
        });
        Some(if behind {
            self.now + 2 * self.config.latency_us.max(1)
        } else {
            self.now + STANDBY_FETCH_WAIT_US
        })
    }
}
