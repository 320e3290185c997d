//! How many bytes a cluster holds, so that a room can keep a promise about memory.
//!
//! Most of the bytes are shared chunks (`shared.rs`): the record store's records and bits, the
//! groups' consumed bits, every replica log's entries. A clone (a time-travel checkpoint) shares
//! them with the cluster it was cloned from, so counting a room's cluster and its checkpoints means
//! counting each chunk once, by identity: `for_each_shared_chunk` lists them, `unshared_bytes`
//! estimates the rest (timers, client buffers, metadata, chunk tables), which every clone has its
//! own copy of. Figures are estimates of heap use (capacities times element sizes, a fixed cost
//! for map nodes), close enough to budget by.

use std::collections::{BTreeMap, BTreeSet};

use crate::broker::{Broker, Replica};
use crate::cluster::{Cluster, PartitionMeta, Topic};
use crate::log::PartitionLog;
use crate::producer::{Batch, Producer};
use crate::record::RecordId;

/// A rough cost per entry of a `BTreeMap` beyond its key and value (node slack and pointers).
pub(crate) const MAP_ENTRY_OVERHEAD: usize = 16;

impl Cluster {
    /// Every chunk this cluster holds that a clone may share: `f(identity, bytes)`, where the
    /// identity is the chunk's address (equal identities are the same bytes).
    pub fn for_each_shared_chunk(&self, mut f: impl FnMut(usize, usize)) {
        self.store.for_each_chunk(&mut f);
        for b in &self.brokers {
            for r in b.replicas.values() {
                r.log.for_each_chunk(&mut f);
            }
        }
        for g in &self.groups {
            g.for_each_chunk(&mut f);
        }
        self.metrics.for_each_sample(&mut f);
    }

    /// An estimate of the bytes this cluster holds outside shared chunks (no clone shares them).
    pub fn unshared_bytes(&self) -> usize {
        let events = self.pending_events() * (size_of::<crate::event::TimedEvent>() + 32);
        let brokers: usize = self.brokers.iter().map(broker_bytes).sum();
        let partitions: usize = self.partitions.iter().map(partition_bytes).sum();
        let topics: usize = self.topics.values().map(topic_bytes).sum();
        let producers: usize = self.producers.iter().map(producer_bytes).sum();
        let consumers: usize = self.consumers.iter().map(|c| c.heap_bytes()).sum();
        let groups: usize = self.groups.iter().map(|g| g.unshared_bytes()).sum();
        // Streams applications and Connect are copied whole by a clone: their stores, caches
        // and systems' rows are each clone's own.
        let streams: usize = self.streams.iter().map(|a| a.heap_bytes()).sum();
        size_of::<Cluster>()
            + self.timer_bytes()
            + events
            + self.store.unshared_bytes()
            + brokers
            + partitions
            + topics
            + producers
            + consumers
            + groups
            + streams
            + self.connect.heap_bytes()
    }

    /// What each Streams application holds (its share of `unshared_bytes`), by name.
    pub fn streams_memory(&self) -> Vec<(String, usize)> {
        self.streams
            .iter()
            .map(|a| (a.name.clone(), a.heap_bytes()))
            .collect()
    }

    /// What each external system of Connect holds (its rows or lines), by name.
    pub fn connect_system_memory(&self) -> Vec<(String, usize)> {
        self.connect
            .systems
            .iter()
            .map(|s| (s.name.clone(), s.heap_bytes()))
            .collect()
    }

    /// An estimate of the bytes this cluster holds: its unshared bytes and each shared chunk once.
    pub fn memory(&self) -> usize {
        total_memory([self])
    }
}

/// The bytes several clusters hold together (a room's live cluster and its checkpoints): each one's
/// unshared bytes, plus every shared chunk once however many of them share it.
pub fn total_memory<'a>(clusters: impl IntoIterator<Item = &'a Cluster>) -> usize {
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for c in clusters {
        total += c.unshared_bytes();
        c.for_each_shared_chunk(|id, bytes| {
            if seen.insert(id) {
                total += bytes;
            }
        });
    }
    total
}

/// The bytes several clusters hold together, kept exact while clusters leave the set: each shared
/// chunk is counted once with the number of clusters holding it, so removing a cluster frees its
/// unshared bytes and the chunks only it held. A room measures itself once with this and then
/// knows what each dropped checkpoint gives back, without measuring again.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Chunk identity → (bytes, how many clusters of the set hold it).
    chunks: BTreeMap<usize, (usize, u32)>,
    total: usize,
}

impl Ledger {
    /// Counts `cluster` in (its unshared bytes, and each chunk not already counted).
    pub fn add(&mut self, cluster: &Cluster) {
        self.total += cluster.unshared_bytes();
        cluster.for_each_shared_chunk(|id, bytes| {
            let entry = self.chunks.entry(id).or_insert((bytes, 0));
            if entry.1 == 0 {
                self.total += bytes;
            }
            entry.1 += 1;
        });
    }

    /// Counts `cluster` out (it was added before and has not changed since); returns the bytes
    /// that leave with it.
    pub fn remove(&mut self, cluster: &Cluster) -> usize {
        let mut freed = cluster.unshared_bytes();
        cluster.for_each_shared_chunk(|id, _| {
            let Some(entry) = self.chunks.get_mut(&id) else {
                return;
            };
            entry.1 -= 1;
            if entry.1 == 0 {
                freed += entry.0;
                self.chunks.remove(&id);
            }
        });
        self.total -= freed.min(self.total);
        freed
    }

    /// The bytes the clusters counted in hold together.
    pub fn total(&self) -> usize {
        self.total
    }
}

fn broker_bytes(b: &Broker) -> usize {
    let replicas: usize = b.replicas.values().map(replica_bytes).sum();
    size_of::<Broker>()
        + replicas
        + b.fetchers.len() * (size_of::<crate::broker::Fetcher>() + MAP_ENTRY_OVERHEAD)
        + b.parked_fetches.capacity() * size_of::<crate::broker::ParkedFetch>()
        + b.purgatory.capacity() * size_of::<crate::broker::DelayedProduce>()
        + b.consumer_fetches.capacity() * size_of::<crate::group::fetch::ParkedConsumerFetch>()
}

fn replica_bytes(r: &Replica) -> usize {
    size_of::<(u32, Replica)>()
        + MAP_ENTRY_OVERHEAD
        + log_bytes(&r.log)
        + r.isr.capacity() * size_of::<u32>()
        + r.followers.len() * (size_of::<crate::broker::FollowerState>() + MAP_ENTRY_OVERHEAD)
        + r.producers.len() * (size_of::<crate::broker::ProducerEntry>() + MAP_ENTRY_OVERHEAD)
}

fn log_bytes(log: &PartitionLog) -> usize {
    size_of_val(log.segments()) + log.bookkeeping_bytes()
}

fn partition_bytes(p: &PartitionMeta) -> usize {
    size_of::<PartitionMeta>()
        + p.tp.topic.capacity()
        + (p.replicas.capacity() + p.isr.capacity()) * size_of::<u32>()
}

fn topic_bytes(t: &Topic) -> usize {
    size_of::<(String, Topic)>()
        + MAP_ENTRY_OVERHEAD
        + 2 * t.name.capacity()
        + t.slots.capacity() * size_of::<u32>()
}

fn producer_bytes(p: &Producer) -> usize {
    let batch = |b: &Batch| size_of::<Batch>() + b.records.capacity() * size_of::<RecordId>();
    let queued: usize = p
        .queues
        .iter()
        .map(|q| q.capacity() * size_of::<Batch>() + q.iter().map(batch).sum::<usize>())
        .sum();
    let in_flight: usize = p
        .in_flight
        .values()
        .map(|f| MAP_ENTRY_OVERHEAD + f.batches.iter().map(batch).sum::<usize>())
        .sum();
    size_of::<Producer>() + queued + in_flight + p.slots.capacity() * 16 + p.metadata.heap_bytes()
}
