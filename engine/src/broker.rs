//! A broker: the replicas it hosts (each with its log and high watermark), its view of the
//! controller's metadata, the follower fetchers it runs, and the requests it holds (parked
//! fetches and acks=all produces waiting in purgatory). A killed broker keeps its logs: that is its
//! disk, which it finds again on restart.

use std::collections::BTreeMap;

use crate::log::PartitionLog;
use crate::net::FetchPart;
use crate::time::Micros;

#[derive(Debug, Clone)]
pub struct Broker {
    pub id: u32,
    pub alive: bool,
    /// Bumped at every restart, so timers from a previous life are ignored.
    pub incarnation: u32,
    /// The controller's view: a fenced broker leads nothing and is in no ISR it could join.
    pub fenced: bool,
    /// When the current incarnation registered (heartbeats run from here).
    pub registered_at_us: Micros,
    pub replicas: BTreeMap<u32, Replica>,
    /// Follower fetchers, by the leader broker they fetch from.
    pub fetchers: BTreeMap<u32, Fetcher>,
    /// Follower fetches with nothing to return yet (replica.fetch.wait.max.ms).
    pub parked_fetches: Vec<ParkedFetch>,
    /// acks=all produce requests waiting for the high watermark.
    pub purgatory: Vec<DelayedProduce>,
    /// Consumer fetches waiting for the high watermark to move (fetch.max.wait.ms).
    pub consumer_fetches: Vec<crate::group::fetch::ParkedConsumerFetch>,
}

impl Broker {
    pub fn new(id: u32, now: Micros) -> Self {
        Broker {
            id,
            alive: true,
            incarnation: 0,
            fenced: false,
            registered_at_us: now,
            replicas: BTreeMap::new(),
            fetchers: BTreeMap::new(),
            parked_fetches: Vec::new(),
            purgatory: Vec::new(),
            consumer_fetches: Vec::new(),
        }
    }
}

/// What a leader knows of one follower (Kafka's `Replica` state on the leader).
#[derive(Debug, Clone, Copy, Default)]
pub struct FollowerState {
    /// The follower's log end offset as of its last fetch; `None` until it fetches from this leader.
    pub log_end_offset: Option<u64>,
    pub last_caught_up_us: Micros,
    pub last_fetch_leader_leo: u64,
    pub last_fetch_us: Micros,
}

/// The last batch a producer appended to this log (Kafka's ProducerStateEntry, reduced to what
/// deduplicating a retried batch needs).
#[derive(Debug, Clone, Copy)]
pub struct ProducerEntry {
    pub last_seq: u32,
    pub base_offset: u64,
    pub last_offset: u64,
}

/// One partition's replica on this broker.
#[derive(Debug, Clone, Default)]
pub struct Replica {
    pub log: PartitionLog,
    pub high_watermark: u64,
    /// This broker's view of the partition's metadata.
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub partition_epoch: u32,
    pub isr: Vec<u32>,
    /// An AlterPartition sent to the controller and not yet answered.
    pub pending_isr: Option<Vec<u32>>,
    /// The offset at which the current leader epoch started (ISR expansion needs followers past it).
    pub epoch_start_offset: u64,
    /// Followers' state, when this broker leads.
    pub followers: BTreeMap<u32, FollowerState>,
    pub producers: BTreeMap<u32, ProducerEntry>,
    /// Kafka's producer state for batches with a producer id (real clients' idempotent
    /// producers), by producer id (`producer_state`).
    pub producer_states: crate::producer_state::ProducerStates,
}

impl Replica {
    pub fn is_leader(&self, me: u32) -> bool {
        self.leader == Some(me)
    }

    /// The ISR used for the high watermark: the committed ISR plus members whose addition is pending
    /// (Kafka's "maximal ISR").
    pub fn maximal_isr(&self) -> Vec<u32> {
        let mut isr = self.isr.clone();
        if let Some(pending) = &self.pending_isr {
            for b in pending {
                if !isr.contains(b) {
                    isr.push(*b);
                }
            }
        }
        isr
    }

    /// Rebuilds producer state after the log was truncated, from the records that remain.
    pub fn rebuild_producers(&mut self, store: &crate::record::RecordStore) {
        let end = self.log.log_end_offset();
        let stamps = self
            .log
            .entries()
            .rev()
            .take(100_000)
            .filter_map(|e| Some((e.offset, store.payload(e.id)?.producer.as_ref()?)));
        self.producer_states.truncate(end, stamps);
        let stale: Vec<u32> = self
            .producers
            .iter()
            .filter(|(_, e)| e.last_offset >= end)
            .map(|(p, _)| *p)
            .collect();
        for p in stale {
            self.producers.remove(&p);
            let mut found: Option<ProducerEntry> = None;
            for e in self.log.entries().rev().take(100_000) {
                let d = store.get(e.id);
                if d.producer != p {
                    continue;
                }
                match &mut found {
                    None => {
                        found = Some(ProducerEntry {
                            last_seq: d.batch_seq,
                            base_offset: e.offset,
                            last_offset: e.offset,
                        })
                    }
                    Some(f) if f.last_seq == d.batch_seq => f.base_offset = e.offset,
                    Some(_) => break,
                }
            }
            if let Some(f) = found {
                self.producers.insert(p, f);
            }
        }
    }
}

/// A follower's fetcher for one leader broker (Kafka's ReplicaFetcherThread, one per source broker).
#[derive(Debug, Clone, Copy, Default)]
pub struct Fetcher {
    pub in_flight: Option<u64>,
    /// When the fetch in flight times out (`replica.socket.timeout.ms` after it was sent).
    pub timeout_at_us: Micros,
    pub backing_off: bool,
}

#[derive(Debug, Clone)]
pub struct ParkedFetch {
    pub follower: u32,
    pub request: u64,
    pub parts: Vec<FetchPart>,
}

/// An acks=all produce request held until the high watermark covers its batches.
#[derive(Debug, Clone)]
pub struct DelayedProduce {
    pub producer: u32,
    pub request: u64,
    pub results: Vec<Result<Option<u64>, crate::event::ErrorCode>>,
    /// (index into results, slot, offset the high watermark must pass)
    pub waiting: Vec<(usize, u32, u64)>,
}
