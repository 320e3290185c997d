//! Joining the group, as Kafka's `ConsumerCoordinator` does: `onJoinPrepare` (commit, then
//! revoke: everything under the eager protocol, only unsubscribed topics under the cooperative
//! one, KIP-429), JoinGroup with the subscription, the leader's assignment, SyncGroup, and
//! `onJoinComplete` (revoke what was lost, rejoin if anything was). A member the coordinator
//! no longer knows loses its partitions.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::cluster::Cluster;
use crate::command::TopicPartition;
use crate::event::Event;
use crate::group::assignor::{self, AssignError, AssignorKind, Subscription};
use crate::group::consumer_protocol::{self, WireSubscription};
use crate::group::coordinator::{GroupError, GroupRequest, JoinResponse};

use super::{CommitReason, JoinPhase, OwnedPartition, Pending};

impl Cluster {
    /// `onJoinPrepare`: commit first (auto-commit on), then revoke (all of them if eager).
    pub(super) fn join_prepare(&mut self, id: u32) {
        let c = &self.consumers[id as usize];
        // maybeAutoCommitOffsetsSync: only with enable.auto.commit.
        if c.config.enable_auto_commit
            && c.generation >= 0
            && !c.positions().is_empty()
            && c.phase == JoinPhase::Stable
        {
            self.consumers[id as usize].phase = JoinPhase::Committing;
            self.send_commit(id, CommitReason::JoinPrepare);
            return;
        }
        self.send_join(id);
    }

    pub(super) fn send_join(&mut self, id: u32) {
        let c = &self.consumers[id as usize];
        let assignor = c.config.partition_assignment_strategy;
        let revoked: Vec<TopicPartition> = if assignor.supports_cooperative() {
            // Cooperative: only partitions of topics no longer subscribed.
            c.owned
                .keys()
                .filter(|tp| !c.topics.contains(&tp.topic))
                .cloned()
                .collect()
        } else {
            c.owned.keys().cloned().collect()
        };
        let reason = if assignor.supports_cooperative() {
            "unsubscribed"
        } else {
            "eager rebalance: revoke everything before joining"
        };
        self.revoke(id, revoked, reason);
        let c = &mut self.consumers[id as usize];
        c.phase = JoinPhase::Joining;
        c.rejoin_needed = false;
        // ConsumerCoordinator.metadata(): one protocol per configured assignor, each the
        // subscription with what the member owns now (nothing, after an eager revocation) and
        // the assignor's user data (the eager sticky assignor's last assignment; a Streams
        // thread's SubscriptionInfo: its process and the state it holds).
        let user_data = if let Some(thread) = c.streams {
            Some(self.streams_subscription_info(thread).encode())
        } else {
            (assignor == AssignorKind::Sticky).then(|| {
                consumer_protocol::encode_sticky_user_data(&c.last_assignment, c.generation)
            })
        };
        let c = &self.consumers[id as usize];
        let subscription = consumer_protocol::encode_subscription(&WireSubscription {
            topics: c.topics.clone(),
            user_data,
            owned_partitions: c.owned.keys().cloned().collect(),
            generation: c.generation,
        });
        let body = GroupRequest::JoinGroup {
            member: c.member_id.clone(),
            protocol_type: consumer_protocol::PROTOCOL_TYPE.to_string(),
            protocols: vec![(assignor.name().to_string(), subscription)],
            session_timeout_us: c.config.session_timeout_us,
            rebalance_timeout_us: c.config.max_poll_interval_us,
        };
        let (consumer, group) = self.client_names(id);
        self.emit(Event::ConsumerJoining { consumer, group });
        self.send_group_request(id, Pending::Join, body);
    }

    pub(super) fn on_join_response(&mut self, id: u32, result: Result<JoinResponse, GroupError>) {
        let join = match result {
            Ok(join) => join,
            Err(e) => {
                self.on_group_error(id, e);
                self.consumers[id as usize].phase = JoinPhase::Unjoined;
                return;
            }
        };
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        c.joining_generation = join.generation;
        c.phase = JoinPhase::Syncing;
        c.last_heartbeat_sent_us = now;
        c.last_heartbeat_ok_us = now;
        if join.leader != c.member_id {
            c.group_subscription.clear();
            c.assignment_snapshot = None;
            return self.send_sync(id, &join);
        }
        // The leader watches every topic of the group; topics its metadata does not cover yet
        // are fetched before it assigns (`updateGroupSubscription` → `ensureFreshMetadata`).
        let mut group_topics: Vec<String> = Vec::new();
        let subscriptions = join
            .members
            .iter()
            .filter_map(|(_, bytes)| consumer_protocol::decode_subscription(bytes));
        for s in subscriptions {
            for t in &s.topics {
                if !c.topics.contains(t) && !group_topics.contains(t) {
                    group_topics.push(t.clone());
                }
            }
        }
        let unknown = group_topics
            .iter()
            .any(|t| c.metadata.partition_count(t).is_none());
        c.group_subscription = group_topics;
        if unknown {
            c.metadata.update_requested = true;
            c.awaiting_metadata = Some(join);
            if !c.metadata.in_flight {
                self.refresh_consumer_metadata(id, false);
            }
            return;
        }
        self.send_sync(id, &join);
    }

    /// SyncGroup; the leader's carries the assignment it computed.
    pub(super) fn send_sync(&mut self, id: u32, join: &JoinResponse) {
        let member = self.consumers[id as usize].member_id.clone();
        let assignments = (join.leader == member).then(|| {
            if let Some(thread) = self.consumers[id as usize].streams {
                // The `stream` protocol: StreamsPartitionAssignor, with its AssignmentInfo as
                // each member's user data.
                return self.streams_lead_assignment(thread, join);
            }
            self.lead_assignment(id, join)
                .iter()
                .map(|(m, parts)| (m.clone(), consumer_protocol::encode_assignment(parts)))
                .collect()
        });
        let body = GroupRequest::SyncGroup {
            member,
            generation: join.generation,
            assignments,
        };
        self.send_group_request(id, Pending::Sync, body);
    }

    /// The leader runs the assignor (`onLeaderElected` → `performAssignment`) on the partition
    /// counts its metadata knows; a topic it does not know is skipped, as
    /// `AbstractPartitionAssignor.assign` skips a topic without metadata.
    fn lead_assignment(&mut self, id: u32, join: &JoinResponse) -> assignor::Assignment {
        // `lookupAssignor(protocol)`: the coordinator picked one of the protocols we offered.
        let kind = join.protocol.parse::<AssignorKind>();
        let subscriptions: BTreeMap<String, Subscription> = join
            .members
            .iter()
            .map(|(m, bytes)| {
                let wire = consumer_protocol::decode_subscription(bytes).unwrap_or_else(|| {
                    panic!("{m}'s JoinGroup metadata is a consumer subscription")
                });
                let input = match kind {
                    Ok(kind) => consumer_protocol::assignor_input(kind, &wire),
                    Err(_) => Subscription::new(wire.topics),
                };
                (m.clone(), input)
            })
            .collect();
        let metadata = &self.consumers[id as usize].metadata;
        let mut partitions: BTreeMap<String, u32> = BTreeMap::new();
        let mut snapshot: BTreeMap<String, Option<u32>> = BTreeMap::new();
        for s in subscriptions.values() {
            for t in &s.topics {
                let count = metadata.partition_count(t);
                snapshot.insert(t.clone(), count);
                if let Some(n) = count {
                    partitions.insert(t.clone(), n);
                }
            }
        }
        self.consumers[id as usize].assignment_snapshot = Some(snapshot);
        let result: Result<assignor::Assignment, AssignError> =
            kind.and_then(|kind| assignor::assign(kind, &partitions, &subscriptions));
        match result {
            Ok(a) => {
                // The assignors' promise: no partition goes to two members.
                let mut owner: BTreeMap<&TopicPartition, &str> = BTreeMap::new();
                for (m, parts) in &a {
                    for tp in parts {
                        assert!(
                            owner.insert(tp, m).is_none(),
                            "the {} assignor gives {tp} to two members",
                            join.protocol
                        );
                    }
                }
                a
            }
            Err(e) => {
                let (consumer, group) = self.client_names(id);
                self.emit(Event::AssignorFailed {
                    consumer,
                    group,
                    error: e.to_string(),
                });
                subscriptions
                    .keys()
                    .map(|m| (m.clone(), Vec::new()))
                    .collect()
            }
        }
    }

    pub(super) fn on_sync_response(&mut self, id: u32, result: Result<Bytes, GroupError>) {
        let (assignment, user_data) = match result {
            Ok(bytes) => (
                consumer_protocol::decode_assignment(&bytes),
                consumer_protocol::decode_assignment_user_data(&bytes),
            ),
            Err(e) => {
                self.on_group_error(id, e);
                self.consumers[id as usize].phase = JoinPhase::Unjoined;
                return;
            }
        };
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        if c.phase != JoinPhase::Syncing {
            return;
        }
        c.generation = c.joining_generation;
        c.phase = JoinPhase::Stable;
        c.last_assignment = assignment.clone();
        // onJoinComplete resets the auto-commit timer.
        c.next_auto_commit_us = now + c.config.auto_commit_interval_us;
        let revoked: Vec<TopicPartition> = c
            .owned
            .keys()
            .filter(|tp| !assignment.contains(tp))
            .cloned()
            .collect();
        let mut added = Vec::new();
        c.unresolved.clear();
        for tp in &assignment {
            if c.owned.contains_key(tp) {
                continue;
            }
            let Some(slot) = c.metadata.partition(tp).map(|p| p.slot) else {
                // Not in the metadata (yet): Kafka's consumer owns it and fetches it once its
                // metadata names a leader; the playground's fetches need its slot, so the
                // partition is taken when a refreshed Metadata response knows it.
                c.unresolved.push(tp.clone());
                continue;
            };
            added.push(tp.clone());
            c.owned.insert(tp.clone(), OwnedPartition::new(slot));
        }
        let refresh = !c.unresolved.is_empty();
        let generation = c.generation;
        let (consumer, group) = self.client_names(id);
        let cooperative_revocation = !revoked.is_empty();
        self.revoke(
            id,
            revoked,
            "cooperative rebalance: handed over to another member",
        );
        if cooperative_revocation {
            // Revoked something: rejoin so the partitions can be given to their new owner.
            self.consumers[id as usize].rejoin_needed = true;
        }
        self.assert_single_owner(id);
        if let Some(thread) = self.consumers[id as usize].streams {
            // `onAssignment`: the AssignmentInfo's standby tasks, then the active ones.
            self.streams_standbys_assigned(thread, user_data.as_ref());
            self.streams_partitions_assigned(thread);
        }
        if refresh {
            self.refresh_consumer_metadata(id, false);
        }
        self.emit(Event::PartitionsAssigned {
            consumer,
            group,
            generation,
            assigned: assignment,
            added,
        });
    }

    /// Partitions leave the consumer: buffered and in-process records of them are dropped.
    pub(super) fn revoke(&mut self, id: u32, partitions: Vec<TopicPartition>, reason: &str) {
        if partitions.is_empty() {
            return;
        }
        if let Some(thread) = self.consumers[id as usize].streams {
            self.streams_partitions_revoked(thread, &partitions);
        }
        let c = &mut self.consumers[id as usize];
        for tp in &partitions {
            c.paused.remove(tp);
            c.owned.remove(tp);
        }
        let metadata = &c.metadata;
        c.in_process.retain(|(slot, ..)| {
            metadata
                .topic_partition(*slot)
                .is_none_or(|tp| !partitions.contains(tp))
        });
        let (consumer, group) = self.client_names(id);
        self.emit(Event::PartitionsRevoked {
            consumer,
            group,
            partitions,
            reason: reason.to_string(),
        });
    }

    /// `resetGenerationOnResponseError`: the member was removed; its partitions are lost (not
    /// committed) and it joins again as a new member.
    pub(super) fn lose_membership(&mut self, id: u32, why: &str) {
        let c = &mut self.consumers[id as usize];
        c.generation = -1;
        c.phase = JoinPhase::Unjoined;
        c.unresolved.clear();
        let lost: Vec<TopicPartition> = c.owned.keys().cloned().collect();
        if let Some(thread) = c.streams {
            // onPartitionsLost: the tasks close without a commit.
            self.streams_partitions_lost(thread);
        }
        self.revoke(id, lost, why);
    }

    /// The protocol's promise, checked the moment a member takes its partitions: no other member
    /// of the group holds one of them in the same generation.
    pub(super) fn assert_single_owner(&self, id: u32) {
        let me = &self.consumers[id as usize];
        for other in &self.consumers {
            if other.name == me.name || other.group != me.group || other.generation != me.generation
            {
                continue;
            }
            if let Some(tp) = me.owned.keys().find(|tp| other.owned.contains_key(*tp)) {
                panic!(
                    "{tp} owned by both {} and {} in generation {}",
                    me.name, other.name, me.generation
                );
            }
        }
    }

    /// Kafka's `ConsumerCoordinator.rejoinNeededOrPending`: the leader's metadata no longer
    /// matches the snapshot it assigned from ("cached metadata has changed"), so it rejoins at
    /// its next poll and the group is assigned again (a deleted topic's partitions leave it).
    pub(super) fn rejoin_if_metadata_changed(&mut self, id: u32) {
        let c = &mut self.consumers[id as usize];
        let Some(snapshot) = &c.assignment_snapshot else {
            return;
        };
        if c.phase != JoinPhase::Stable || c.rejoin_needed {
            return;
        }
        let changed = snapshot
            .iter()
            .any(|(t, n)| c.metadata.partition_count(t) != *n);
        if changed {
            c.assignment_snapshot = None;
            c.rejoin_needed = true;
        }
    }
}
