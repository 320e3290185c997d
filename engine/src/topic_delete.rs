//! `topic delete NAME`: deleting a topic, as Kafka's `Admin.deleteTopics` does in a KRaft cluster.
//!
//! The controller writes a `RemoveTopicRecord` (`ReplicationControlManager.deleteTopic`); every
//! broker replays it (`ReplicaManager.applyDelta` → `stopPartitions` with `deleteLocalLog`): the
//! replicas leave the partition map, their fetchers stop, the logs are deleted, and the delayed
//! operations of those partitions complete (`completeDelayedOperationsWhenNotPartitionLeader`):
//! a waiting acks=all produce is answered UNKNOWN_TOPIC_OR_PARTITION (`getPartitionOrError` finds
//! no partition and no topic in the metadata), a parked fetch is read again and fails the same way.
//! The group coordinator drops every group's committed offsets of the topic
//! (`GroupCoordinator.onPartitionsDeleted`). Clients learn it from Metadata: the topic is gone
//! (UNKNOWN_TOPIC_OR_PARTITION); a consumer group's leader sees its metadata snapshot change and
//! rejoins, so the group is assigned without the topic (`ConsumerCoordinator.rejoinNeededOrPending`).
//!
//! The partitions' slots are retired, not reused: a slot keeps its index (everything that names
//! slots, from replicas to buffered batches, stays valid) with no replicas, no log and no leader,
//! and its topic moves to `Cluster::deleted_topics` with its counts. A later `topic create` of
//! the same name makes new slots: in Kafka a re-created topic is a new topic (a new topic id)
//! whose offsets start at 0.
//!
//! Simulated producers of the deleted topic: their Metadata answers no longer name the topic, so
//! their batches find no leader and fail after `delivery.timeout.ms` (counted as rejected, on
//! the deleted topic); the producer is bound to the topic it was added for, and a topic created
//! again under the name is a new topic it does not write to (`producer add` one for it). This is
//! Kafka's producer when the brokers do not create topics on Metadata requests
//! (`auto.create.topics.enable=false`, the usual production setting). With Kafka's default
//! (`true`) a producer's next Metadata request would create the topic again with the broker
//! defaults (`num.partitions`, `default.replication.factor`); the listener does that for real
//! clients (`server/src/room/kafka.rs`), the simulated producers do not.
//!
//! Refused, nothing changed: Kafka's internal topics (`Topic.isInternal`: `__consumer_offsets`,
//! `__transaction_state`, `__share_group_state`; a KRaft controller would delete them, the
//! playground models `__consumer_offsets` inside the group coordinator and has no topic to
//! delete), and a topic a Kafka Streams application or a Connect connector or worker uses: the
//! simulation does not model Streams or Connect losing a topic under them (a Streams app's
//! `MissingSourceTopicException`, a sink task's missing partitions, a worker's internal topics).

use crate::cluster::{Cluster, CommandError};
use crate::event::{ErrorCode, Event};

/// Kafka's `Topic.isInternal`.
pub const INTERNAL_TOPICS: [&str; 3] = [
    "__consumer_offsets",
    "__transaction_state",
    "__share_group_state",
];

impl Cluster {
    /// Whether a topic of this name was deleted and not created again.
    pub fn topic_was_deleted(&self, name: &str) -> bool {
        !self.topics.contains_key(name) && self.deleted_topics.iter().any(|t| t.name == name)
    }

    /// Why `topic delete NAME` would be refused now, if it would.
    pub fn topic_delete_refusal(&self, name: &str) -> Option<CommandError> {
        if INTERNAL_TOPICS.contains(&name) {
            return Some(CommandError::Invalid(format!(
                "'{name}' is one of Kafka's internal topics; the playground does not delete it \
                 ({} is kept by the group coordinator, not as a topic of the cluster)",
                INTERNAL_TOPICS[0]
            )));
        }
        if !self.topics.contains_key(name) {
            return Some(CommandError::UnknownTopic(name.to_string()));
        }
        if let Some(app) = self.streams.iter().find(|a| {
            let t = &a.topology;
            t.subtopologies.iter().any(|s| {
                s.source_topics
                    .iter()
                    .chain(&s.sink_topics)
                    .any(|x| x == name)
            }) || t.is_internal(name)
                || t.global_stores.iter().any(|g| g.topic == name)
        }) {
            return Some(CommandError::Invalid(format!(
                "topic '{name}' is used by the Kafka Streams application '{}'; the playground \
                 does not model a Streams application losing a topic",
                app.name
            )));
        }
        if let Some(user) = self.connect_user_of(name) {
            return Some(CommandError::Invalid(format!(
                "topic '{name}' is used by {user}; the playground does not model Kafka Connect \
                 losing a topic"
            )));
        }
        None
    }

    /// The Connect connector or cluster that reads or writes `name`, in words.
    fn connect_user_of(&self, name: &str) -> Option<String> {
        for c in self.connect.connectors.iter().filter(|c| !c.deleted) {
            let cfg = &c.config;
            let writes = cfg.systems.iter().any(|s| cfg.source_topic(s) == name);
            if cfg.topic == name || writes || cfg.topics.iter().any(|t| t == name) {
                return Some(format!("the Connect connector '{}'", c.name));
            }
        }
        self.connect
            .clusters
            .iter()
            .find(|c| c.producers.contains_key(name))
            .map(|c| format!("the Connect cluster '{}' (an internal topic)", c.group_id))
    }

    pub(crate) fn cmd_topic_delete(&mut self, name: &str) -> Result<(), CommandError> {
        if let Some(refused) = self.topic_delete_refusal(name) {
            return Err(refused);
        }
        let topic = self.topics.remove(name).expect("checked above");
        let index = self.deleted_topics.len() as u32;
        let partitions = topic.slots.len() as u32;
        let slots = topic.slots.clone();
        self.deleted_topics.push(topic);
        // Every slot is retired before any waiting request is answered: answering one reads
        // the other partitions of its request, which must all be gone already.
        let mut hosts = Vec::new();
        for &slot in &slots {
            hosts.extend(self.retire_slot(slot, index).into_iter().map(|b| (b, slot)));
        }
        for (broker, slot) in hosts {
            self.stop_replica(broker, slot);
        }
        // GroupCoordinator.onPartitionsDeleted: the offsets of the deleted partitions leave
        // every group (tombstones in `__consumer_offsets`). The playground's own count of what
        // each group processed goes with them: a re-created topic starts from nothing.
        for g in &mut self.groups {
            g.committed.retain(|tp, _| tp.topic != name);
            g.consumed.retain(|tp, _| tp.topic != name);
        }
        self.external_groups.forget_topic(name);
        self.request_reclaim();
        self.emit(Event::TopicDeleted {
            topic: name.to_string(),
            partitions,
        });
        Ok(())
    }

    /// The slot is retired and every broker's replica of it removed with its log (up or down:
    /// a broker that restarts later finds no log for it, as Kafka deletes a stray log at
    /// startup). Returns the brokers that hosted it.
    fn retire_slot(&mut self, slot: u32, deleted_topic: u32) -> Vec<u32> {
        let meta = &mut self.partitions[slot as usize];
        meta.retired = Some(deleted_topic);
        meta.leader = None;
        meta.view_broker = None;
        meta.isr.clear();
        meta.replicas.clear();
        (1..=self.brokers.len() as u32)
            .filter(|&b| self.broker_mut(b).replicas.remove(&slot).is_some())
            .collect()
    }

    /// What a broker does as it stops a deleted replica: its waiting requests for it complete.
    fn stop_replica(&mut self, broker: u32, slot: u32) {
        self.fail_delayed_produces(broker, slot, ErrorCode::UnknownTopicOrPartition);
        // Parked fetches that include the partition are read again: the replica is gone, so
        // the follower's and the consumer's parts fail and they refresh their metadata; a real
        // client's fails with UNKNOWN_TOPIC_OR_PARTITION.
        self.wake_parked_fetches(broker, slot);
        self.wake_consumer_fetches(broker, slot);
        self.wake_external_fetches(broker, slot);
    }
}
