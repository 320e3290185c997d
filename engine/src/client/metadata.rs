//! What a client knows of the cluster: the last Metadata response it got, as Kafka's client-side
//! `Metadata` / `MetadataCache` keep it. Producers and consumers route every request by this cache
//! (the leader of each partition), never by the controller's state; the cache is refreshed when a
//! response says the client's view is wrong (NOT_LEADER_OR_FOLLOWER, a broken connection, a
//! partition without a leader: Kafka's `Metadata.requestUpdate`) and, with nothing wrong, every
//! `metadata.max.age.ms` (Kafka's `Metadata.timeToNextUpdate`).

use std::collections::BTreeMap;

use crate::command::TopicPartition;
use crate::event::ErrorCode;
use crate::time::Micros;

/// One partition in a Metadata response (`MetadataResponsePartition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionMetadata {
    /// The partition's identity on the simulated wire, as a topic id and partition index are on
    /// Kafka's (Fetch v13+ names topics by id): requests carry it instead of the names.
    pub slot: u32,
    /// `leader_id` (`None`: -1, LEADER_NOT_AVAILABLE for the client).
    pub leader: Option<u32>,
    pub leader_epoch: u32,
}

/// One topic in a Metadata response (`MetadataResponseTopic`): its partitions by index, or the
/// topic-level error code (UNKNOWN_TOPIC_OR_PARTITION for a name the cluster does not have).
pub type TopicMetadata = Result<Vec<PartitionMetadata>, ErrorCode>;

/// A broker's answer to a Metadata request for some topics (Kafka's `MetadataResponse`), built
/// by the answering broker at the instant it answers (see `crate::metadata`).
#[derive(Debug, Clone, Default)]
pub struct MetadataResponse {
    pub topics: Vec<(String, TopicMetadata)>,
}

/// A client's metadata cache and its refresh state.
#[derive(Debug, Clone, Default)]
pub struct ClientMetadata {
    topics: BTreeMap<String, TopicMetadata>,
    /// Each cached partition by its wire identity (responses name partitions by slot).
    by_slot: BTreeMap<u32, TopicPartition>,
    /// When the last response arrived (`None`: never): `metadata.max.age.ms` runs from here.
    pub updated_us: Option<Micros>,
    /// An update was asked for (Kafka's `Metadata.requestUpdate`): sent at the next chance.
    pub update_requested: bool,
    /// A Metadata request is in flight.
    pub in_flight: bool,
    /// The request in flight went because the cache was older than `metadata.max.age.ms`, not
    /// because the client asked: an answer that changes nothing gives the client nothing to do.
    pub periodic: bool,
    /// When the `metadata.max.age.ms` timer is due (one per client; it rearms itself).
    pub age_timer_at: Option<Micros>,
}

impl ClientMetadata {
    /// A cache that knows nothing yet and wants its first update.
    pub fn empty() -> Self {
        ClientMetadata {
            update_requested: true,
            ..ClientMetadata::default()
        }
    }

    /// Takes a response in: every topic it names replaces what the cache had for it (Kafka's
    /// `Metadata.update` keeps a newer leader epoch over an older one; the playground's answers
    /// come from the controller's current view, so an answer is never older than the cache).
    /// Returns whether anything changed (a leader, an epoch, a partition count, an error).
    pub fn update(&mut self, response: MetadataResponse, now: Micros) -> bool {
        let mut changed = false;
        for (name, topic) in response.topics {
            if self.topics.get(&name) != Some(&topic) {
                changed = true;
                for (i, p) in topic.iter().flatten().enumerate() {
                    self.by_slot.insert(
                        p.slot,
                        TopicPartition {
                            topic: name.clone(),
                            partition: i as u32,
                        },
                    );
                }
                self.topics.insert(name, topic);
            }
        }
        self.updated_us = Some(now);
        self.in_flight = false;
        self.periodic = false;
        changed
    }

    /// The partitions of `topic` by index, if the last answer listed it.
    pub fn partitions(&self, topic: &str) -> Option<&[PartitionMetadata]> {
        match self.topics.get(topic) {
            Some(Ok(parts)) => Some(parts),
            _ => None,
        }
    }

    /// The cached partition `tp`, if known.
    pub fn partition(&self, tp: &TopicPartition) -> Option<&PartitionMetadata> {
        self.partitions(&tp.topic)?.get(tp.partition as usize)
    }

    /// The partition a response or a buffered record names by its slot.
    pub fn topic_partition(&self, slot: u32) -> Option<&TopicPartition> {
        self.by_slot.get(&slot)
    }

    /// The leader the cache names for `tp` (`None`: unknown or no leader).
    pub fn leader(&self, tp: &TopicPartition) -> Option<u32> {
        self.partition(tp)?.leader
    }

    /// How many partitions `topic` has, as far as the cache knows.
    pub fn partition_count(&self, topic: &str) -> Option<u32> {
        self.partitions(topic).map(|p| p.len() as u32)
    }

    /// Whether a Metadata request the client asked for should go now (none in flight).
    pub fn due(&self) -> bool {
        self.update_requested && !self.in_flight
    }

    /// Marks a request sent (`periodic`: for `metadata.max.age.ms`, not asked for).
    pub fn sent(&mut self, periodic: bool) {
        self.in_flight = true;
        self.periodic = periodic;
        self.update_requested = false;
    }

    /// An estimate of the heap bytes the cache holds.
    pub fn heap_bytes(&self) -> usize {
        self.topics
            .iter()
            .map(|(name, t)| {
                name.capacity()
                    + 48
                    + t.as_ref()
                        .map_or(0, |p| p.capacity() * size_of::<PartitionMetadata>())
            })
            .sum::<usize>()
            + self.by_slot.len() * (size_of::<(u32, TopicPartition)>() + 32)
    }
}
