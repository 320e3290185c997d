//! The group leader's side of a Streams rebalance (`StreamsPartitionAssignor.assign`, run by the
//! leader thread's consumer): first the internal topics (`InternalTopicManager.makeReady`:
//! repartition topics with the partition count the topology computes, compacted changelogs
//! with one partition per task), then the tasks with their changelog end offsets (the leader's
//! ListOffsets), then the ported assignor (`streams::assignor`) on the members' subscriptions.
//! Each thread's subscription user data (`SubscriptionInfo`) is what its instance knows: its
//! process id and, per task whose state it holds, the sum of the changelog offsets it reached.

use std::collections::BTreeMap;

use crate::cluster::Cluster;
use crate::command::{CleanupPolicy, TopicPartition, TopicSpec};
use crate::event::Event;
use crate::group::consumer_protocol;
use crate::group::coordinator::JoinResponse;
use crate::streams::assignor::{
    self, AssignmentConfigs, LATEST_OFFSET, SubscriptionInfo, TaskSpec, sum_of_changelog_offsets,
};
use crate::streams::topology::{InternalTopicKind, TaskId};

use super::{TaskState, ThreadRef};

/// `replication.factor` = -1 (the broker's `default.replication.factor`); the playground's
/// brokers default to 3, or fewer when the cluster is smaller.
pub(crate) const INTERNAL_REPLICATION: u32 = 3;

fn assignor_task(id: TaskId) -> assignor::TaskId {
    assignor::TaskId::new(id.subtopology, id.partition)
}

impl Cluster {
    /// The Streams user data of a thread's JoinGroup subscription (`TaskManager.getTaskOffsetSums`):
    /// per task with changelogged state, its changelog positions summed: `LATEST_OFFSET` for a
    /// running active task, where restoring got to for a restoring one, the checkpoint for a task
    /// closed into the state directory. Stateless tasks are skipped, as Kafka skips them.
    pub(crate) fn streams_subscription_info(&self, r: ThreadRef) -> SubscriptionInfo {
        let inst = &self.streams[r.app as usize].instances[r.instance as usize];
        let mut sums: BTreeMap<assignor::TaskId, i64> = BTreeMap::new();
        for (id, kept) in &inst.state_dir {
            let positions: Vec<i64> = kept.checkpoint.values().map(|&o| o as i64).collect();
            if !positions.is_empty() {
                sums.insert(assignor_task(*id), sum_of_changelog_offsets(&positions));
            }
        }
        for (id, t) in &inst.threads[r.thread as usize].tasks {
            let positions: Vec<i64> = t
                .restores
                .iter()
                .map(|rs| match t.state {
                    TaskState::Running => LATEST_OFFSET,
                    TaskState::Restoring => rs.position as i64,
                })
                .collect();
            if !positions.is_empty() {
                sums.insert(assignor_task(*id), sum_of_changelog_offsets(&positions));
            }
        }
        // A standby's state counts as far as it has read its changelogs.
        for (id, standby) in &inst.threads[r.thread as usize].standbys {
            let positions: Vec<i64> = standby
                .changelogs
                .iter()
                .map(|c| c.position as i64)
                .collect();
            if !positions.is_empty() {
                sums.insert(assignor_task(*id), sum_of_changelog_offsets(&positions));
            }
        }
        SubscriptionInfo {
            process_id: inst.name.clone(),
            task_offset_sums: sums,
        }
    }

    /// `StreamsPartitionAssignor.assign`, called on the leader thread's consumer with the
    /// JoinGroup answer's members: each member's SyncGroup bytes, its partitions with its
    /// `AssignmentInfo` (the standby tasks) as user data.
    pub(crate) fn streams_lead_assignment(
        &mut self,
        r: ThreadRef,
        join: &JoinResponse,
    ) -> Vec<(String, bytes::Bytes)> {
        let empty = || -> Vec<(String, bytes::Bytes)> {
            join.members
                .iter()
                .map(|(m, _)| (m.clone(), consumer_protocol::encode_assignment(&[])))
                .collect()
        };
        if let Err(error) = self.make_internal_topics_ready(r.app) {
            let consumer = self.streams_thread(r).consumer;
            let c = &self.consumers[consumer as usize];
            let event = Event::AssignorFailed {
                consumer: c.name.clone(),
                group: self.streams[r.app as usize].name.clone(),
                error,
            };
            self.emit(event);
            return empty();
        }
        let tasks = self.task_specs(r.app);
        let subscriptions: BTreeMap<String, assignor::Subscription> = join
            .members
            .iter()
            .map(|(member, bytes)| {
                // The consumer protocol's subscription, with the SubscriptionInfo as user data.
                let wire = consumer_protocol::decode_subscription(bytes).unwrap_or_else(|| {
                    panic!("{member}'s JoinGroup metadata is a consumer subscription")
                });
                let info = wire
                    .user_data
                    .as_deref()
                    .and_then(SubscriptionInfo::decode)
                    .unwrap_or_default();
                (
                    member.clone(),
                    assignor::Subscription {
                        owned_partitions: wire.owned_partitions,
                        info,
                    },
                )
            })
            .collect();
        let configs = AssignmentConfigs {
            num_standby_replicas: self.streams[r.app as usize].config.standbys,
            ..AssignmentConfigs::default()
        };
        let leader = self.streams[r.app as usize].instances[r.instance as usize]
            .name
            .clone();
        let result = assignor::assign(&subscriptions, &tasks, &configs, &leader, self.now / 1000);
        let app = &mut self.streams[r.app as usize];
        app.last_assignment = Some(result.clients.clone());
        result
            .members
            .into_iter()
            .map(|(m, a)| {
                let user_data = a.info.encode_standbys();
                let bytes = consumer_protocol::encode_assignment_with_user_data(
                    &a.partitions,
                    Some(user_data),
                );
                (m, bytes)
            })
            .collect()
    }

    /// Creates the application's missing internal topics (`InternalTopicManager.makeReady`).
    /// Fails, creating nothing, when a source topic is missing (Kafka's
    /// `MissingSourceTopicException`, which shuts the application down).
    fn make_internal_topics_ready(&mut self, a: u32) -> Result<(), String> {
        let topology = std::sync::Arc::clone(&self.streams[a as usize].topology);
        let counts = topology.partition_counts(|t| self.topics.get(t).map(|x| x.config.partitions));
        for sub in &topology.subtopologies {
            for t in &sub.source_topics {
                if !topology.is_internal(t) && !self.topics.contains_key(t) {
                    return Err(format!("source topic {t} is missing"));
                }
            }
        }
        let brokers = self.brokers.len() as u32;
        for topic in &topology.internal_topics {
            if self.topics.contains_key(&topic.name) {
                continue;
            }
            let partitions = match topic.kind {
                InternalTopicKind::Repartition => counts.get(&topic.name).copied(),
                // One partition per task of the sub-topology that writes the store.
                InternalTopicKind::Changelog | InternalTopicKind::WindowedChangelog { .. } => {
                    topology
                        .subtopologies
                        .iter()
                        .find(|s| {
                            s.stores.iter().any(|st| {
                                topology.store(st).and_then(|x| x.changelog.as_deref())
                                    == Some(topic.name.as_str())
                            })
                        })
                        .and_then(|s| s.source_topics.iter().filter_map(|t| counts.get(t)).max())
                        .copied()
                }
            };
            let Some(partitions) = partitions else {
                return Err(format!(
                    "cannot tell how many partitions {} needs",
                    topic.name
                ));
            };
            let (cleanup, retention) = match topic.kind {
                InternalTopicKind::Repartition => (None, None),
                InternalTopicKind::Changelog => (Some(CleanupPolicy::Compact), None),
                // compact,delete: the playground's topics have one policy; compaction plus the
                // retention deletes old windows as `delete` would.
                InternalTopicKind::WindowedChangelog { retention, compact } => (
                    Some(if compact {
                        CleanupPolicy::Compact
                    } else {
                        CleanupPolicy::Delete
                    }),
                    Some(retention),
                ),
            };
            self.cmd_topic_create(TopicSpec {
                name: topic.name.clone(),
                partitions,
                replication: INTERNAL_REPLICATION.min(brokers),
                min_insync: None,
                unclean_election: None,
                retention,
                retention_bytes: None,
                segment: None,
                segment_bytes: None,
                cleanup,
            })
            .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Every task with its input partitions and, for a stateful one, its changelogs' end
    /// offsets (the leader's ListOffsets; here read from the partitions' high watermarks).
    fn task_specs(&self, a: u32) -> Vec<TaskSpec> {
        let topology = &self.streams[a as usize].topology;
        let partitions_of = |t: &str| self.topics.get(t).map(|x| x.config.partitions);
        topology
            .tasks(partitions_of)
            .into_iter()
            .map(|id| {
                let sub = topology
                    .subtopologies
                    .iter()
                    .find(|s| s.id == id.subtopology)
                    .expect("a task's sub-topology");
                let partitions = sub
                    .source_topics
                    .iter()
                    .filter(|t| partitions_of(t).is_some_and(|n| id.partition < n))
                    .map(|t| TopicPartition {
                        topic: t.clone(),
                        partition: id.partition,
                    })
                    .collect();
                let ends: Vec<i64> = sub
                    .stores
                    .iter()
                    .filter_map(|s| topology.store(s).and_then(|x| x.changelog.clone()))
                    .map(|topic| {
                        let tp = TopicPartition {
                            topic,
                            partition: id.partition,
                        };
                        self.high_watermark(&tp).unwrap_or(0) as i64
                    })
                    .collect();
                TaskSpec {
                    id: assignor_task(id),
                    partitions,
                    changelog_end_offsets: (!ends.is_empty()).then_some(ends),
                }
            })
            .collect()
    }
}
