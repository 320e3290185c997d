//! Consumers fetching from partition leaders (the leader's side of a consumer Fetch).
//!
//! A consumer reads only up to the high watermark: records above it are not yet committed by the
//! ISR and could still vanish in a failover. A Fetch with nothing to return waits at the leader
//! (`fetch.max.wait.ms`, 500 ms) until the high watermark moves, so records reach consumers as
//! soon as they are committed rather than at the next poll. `ListOffsets` for a reset
//! (`auto.offset.reset`) is folded into the fetch: the leader resolves `Earliest`/`Latest`.

use crate::cluster::{Cluster, Timer};
use crate::net::Message;
use crate::record::RecordId;

/// Where a consumer wants to read one partition from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchPosition {
    Offset(u64),
    /// `auto.offset.reset=earliest`: the log start offset.
    Earliest,
    /// `auto.offset.reset=latest`: the high watermark.
    Latest,
}

/// What a consumer's Fetch request asks of the leader (Kafka's FetchRequest `max_wait_ms` and
/// each partition's `partition_max_bytes`), so that the leader needs nothing from the client.
#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    /// `fetch.max.wait.ms`: how long the leader may hold a fetch with nothing to return.
    pub max_wait_us: crate::time::Micros,
    /// `max.partition.fetch.bytes`.
    pub partition_max_bytes: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct ConsumerFetchPart {
    pub slot: u32,
    pub position: FetchPosition,
}

#[derive(Debug, Clone)]
pub enum ConsumerFetchResult {
    /// Records from `fetch_offset` (the resolved position) up to the high watermark.
    Records {
        fetch_offset: u64,
        records: Vec<(u64, RecordId)>,
        high_watermark: u64,
    },
    NotLeader,
    /// The offset is outside the log (deleted by retention, or gone after a truncation).
    OffsetOutOfRange,
}

/// A consumer fetch waiting at the leader for the high watermark to move.
#[derive(Debug, Clone)]
pub struct ParkedConsumerFetch {
    pub consumer: u32,
    pub request: u64,
    pub parts: Vec<ConsumerFetchPart>,
    pub limits: FetchLimits,
}

impl Cluster {
    pub(crate) fn handle_consumer_fetch(
        &mut self,
        consumer: u32,
        broker: u32,
        request: u64,
        parts: Vec<ConsumerFetchPart>,
        limits: FetchLimits,
        may_wait: bool,
    ) {
        let max_bytes = limits.partition_max_bytes;
        let results: Vec<(u32, ConsumerFetchResult)> = parts
            .iter()
            .map(|p| (p.slot, self.read_for_consumer(broker, *p, max_bytes)))
            .collect();
        let nothing = results.iter().all(|(_, r)| {
            matches!(r, ConsumerFetchResult::Records { records, .. } if records.is_empty())
        });
        if may_wait && nothing {
            // Park it with the positions resolved, so a reset is not resolved twice.
            let parts = results
                .iter()
                .map(|(slot, r)| ConsumerFetchPart {
                    slot: *slot,
                    position: match r {
                        ConsumerFetchResult::Records { fetch_offset, .. } => {
                            FetchPosition::Offset(*fetch_offset)
                        }
                        _ => unreachable!("only empty record results park"),
                    },
                })
                .collect();
            self.broker_mut(broker)
                .consumer_fetches
                .push(ParkedConsumerFetch {
                    consumer,
                    request,
                    parts,
                    limits,
                });
            let at = self.now + limits.max_wait_us;
            self.schedule(at, Timer::ConsumerFetchExpired { broker, request });
            return;
        }
        // A reset resolved while parked is answered with its resolved offset: fine either way.
        self.send(Message::ConsumerFetchResponse {
            consumer,
            broker,
            request,
            parts: Some(results),
        });
    }

    fn read_for_consumer(
        &self,
        broker: u32,
        part: ConsumerFetchPart,
        max_bytes: u64,
    ) -> ConsumerFetchResult {
        let Some(r) = self.broker(broker).replicas.get(&part.slot) else {
            return ConsumerFetchResult::NotLeader;
        };
        if !r.is_leader(broker) {
            return ConsumerFetchResult::NotLeader;
        }
        let hw = r.high_watermark;
        let start = r.log.log_start_offset();
        let offset = match part.position {
            FetchPosition::Earliest => start,
            FetchPosition::Latest => hw,
            FetchPosition::Offset(o) => o,
        };
        if offset < start || offset > r.log.log_end_offset() {
            return ConsumerFetchResult::OffsetOutOfRange;
        }
        let slices = r.log.fetch_slices(offset, hw, max_bytes, true, &self.store);
        let mut records = Vec::with_capacity(slices.iter().map(|s| s.len()).sum());
        for s in slices {
            records.extend(s.iter().map(|e| (e.offset, e.id)));
        }
        ConsumerFetchResult::Records {
            fetch_offset: offset,
            records,
            high_watermark: hw,
        }
    }

    pub(crate) fn consumer_fetch_expired(&mut self, broker: u32, request: u64) {
        let b = self.broker_mut(broker);
        let Some(i) = b.consumer_fetches.iter().position(|p| p.request == request) else {
            return;
        };
        let parked = b.consumer_fetches.remove(i);
        self.handle_consumer_fetch(
            parked.consumer,
            broker,
            request,
            parked.parts,
            parked.limits,
            false,
        );
    }

    /// The high watermark of `slot` moved on `leader`: answer the consumer fetches waiting for it.
    pub(crate) fn wake_consumer_fetches(&mut self, leader: u32, slot: u32) {
        let b = self.broker_mut(leader);
        if b.consumer_fetches.is_empty() {
            return;
        }
        let (woken, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut b.consumer_fetches)
            .into_iter()
            .partition(|p| p.parts.iter().any(|x| x.slot == slot));
        b.consumer_fetches = kept;
        for p in woken {
            self.handle_consumer_fetch(p.consumer, leader, p.request, p.parts, p.limits, false);
        }
    }
}
