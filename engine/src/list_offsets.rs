//! ListOffsets (API key 2): the broker's side of Kafka's `Partition.fetchOffsetForTimestamp` and
//! `UnifiedLog.fetchOffsetByTimestamp`, answered from a broker's replicas at the instant the
//! request arrives (a read: nothing in the cluster changes).
//!
//! - `-2` (EARLIEST): the log start offset, no timestamp, the epoch of the record there;
//! - `-1` (LATEST): the last offset a reader may fetch (the high watermark for a consumer, the
//!   log end offset for a follower or a debugging replica), no timestamp, the current leader
//!   epoch;
//! - `-3` (MAX_TIMESTAMP, v7): the first record with the log's largest timestamp;
//! - any other value: the first record whose timestamp is at least that many ms (a record's
//!   timestamp as fetches return it: a real client's CreateTime, a simulated record's time
//!   through the driver's [`TimeAnchor`]), or none (offset −1).
//!
//! As Kafka: the client's epoch is checked first, then leadership (except for the debugging
//! replica id −2), and a consumer whose answer would lie at or past the last fetchable offset
//! gets none (−1), or OFFSET_NOT_AVAILABLE while a new leader's high watermark is still below
//! its epoch's start offset.

use crate::client::external_fetch::{FetchError, RecordTime, TimeAnchor};
use crate::cluster::Cluster;
use crate::log::Entry;

/// Kafka's special target timestamps (`ListOffsetsRequest`).
pub const LATEST_TIMESTAMP: i64 = -1;
pub const EARLIEST_TIMESTAMP: i64 = -2;
pub const MAX_TIMESTAMP: i64 = -3;

/// Who asks (`ListOffsetsRequest.replicaId`): a consumer (−1), a debugging tool (−2, any
/// replica may answer) or a follower (a broker id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetsReader {
    /// A client; `read_committed` is its isolation level (the same offsets here: no
    /// transactions, so the last stable offset is the high watermark).
    Consumer {
        read_committed: bool,
    },
    Debugging,
    Follower,
}

/// One partition of a ListOffsets request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetsQuery {
    pub topic: String,
    pub partition: i32,
    /// −1: not known to the client (before v4).
    pub current_leader_epoch: i32,
    pub timestamp: i64,
}

/// The answer for one partition: −1 for an unknown timestamp, offset or epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedOffset {
    pub timestamp: i64,
    pub offset: i64,
    pub leader_epoch: i32,
}

const NONE: ListedOffset = ListedOffset {
    timestamp: -1,
    offset: -1,
    leader_epoch: -1,
};

impl Cluster {
    /// The answers of `broker` to a ListOffsets request now; `None` when the broker is down
    /// (it answers nothing).
    pub fn list_offsets(
        &self,
        broker: u32,
        reader: OffsetsReader,
        queries: &[OffsetsQuery],
        anchor: TimeAnchor,
    ) -> Option<Vec<Result<ListedOffset, FetchError>>> {
        if !self.broker_up(broker)? {
            return None;
        }
        Some(
            queries
                .iter()
                .map(|q| self.list_offset(broker, reader, q, anchor))
                .collect(),
        )
    }

    fn list_offset(
        &self,
        broker: u32,
        reader: OffsetsReader,
        q: &OffsetsQuery,
        anchor: TimeAnchor,
    ) -> Result<ListedOffset, FetchError> {
        let r =
            match self.client_leader_replica(broker, &q.topic, q.partition, q.current_leader_epoch)
            {
                Ok((_, r)) => r,
                // The debugging replica id reads any replica the broker hosts.
                Err(FetchError::NotLeaderOrFollower) if reader == OffsetsReader::Debugging => self
                    .hosted_replica(broker, &q.topic, q.partition)
                    .ok_or(FetchError::NotLeaderOrFollower)?,
                Err(e) => return Err(e),
            };
        let log = &r.log;
        let consumer = matches!(reader, OffsetsReader::Consumer { .. });
        let last_fetchable = if consumer {
            r.high_watermark
        } else {
            log.log_end_offset()
        };
        // `maybeOffsetsError`: a consumer asking a leader whose high watermark has not yet
        // reached the start of its epoch (just elected) cannot be given a safe answer.
        let not_available = consumer && r.epoch_start_offset > r.high_watermark;
        let epoch_at = |offset: u64| -> i32 {
            log.entry_at(offset)
                .map(|e| e.epoch)
                .or_else(|| (offset >= log.log_end_offset()).then(|| log.latest_epoch())?)
                .map_or(-1, |e| e as i32)
        };
        let stamp = |e: &Entry| anchor.wall_ms(self.record_time(e));
        let found = match q.timestamp {
            LATEST_TIMESTAMP => {
                if not_available {
                    return Err(FetchError::OffsetNotAvailable);
                }
                return Ok(ListedOffset {
                    timestamp: -1,
                    offset: last_fetchable as i64,
                    leader_epoch: r.leader_epoch as i32,
                });
            }
            EARLIEST_TIMESTAMP => {
                let start = log.log_start_offset();
                return Ok(ListedOffset {
                    timestamp: -1,
                    offset: start as i64,
                    leader_epoch: epoch_at(start),
                });
            }
            MAX_TIMESTAMP => {
                let mut best: Option<(i64, &Entry)> = None;
                for e in log.entries() {
                    let t = stamp(e);
                    if best.is_none_or(|(b, _)| t > b) {
                        best = Some((t, e));
                    }
                }
                best
            }
            target => log
                .entries()
                .map(|e| (stamp(e), e))
                .find(|(t, _)| *t >= target),
        };
        match found {
            Some((timestamp, e)) if e.offset < last_fetchable => Ok(ListedOffset {
                timestamp,
                offset: e.offset as i64,
                leader_epoch: e.epoch as i32,
            }),
            _ if not_available => Err(FetchError::OffsetNotAvailable),
            _ => Ok(NONE),
        }
    }

    /// A replica `broker` hosts, leader or follower.
    fn hosted_replica(
        &self,
        broker: u32,
        topic: &str,
        partition: i32,
    ) -> Option<&crate::broker::Replica> {
        let tp = crate::command::TopicPartition {
            topic: topic.to_string(),
            partition: u32::try_from(partition).ok()?,
        };
        self.broker(broker).replicas.get(&self.slot_of(&tp)?)
    }

    /// When a log entry's record was made, as fetches report it.
    pub(crate) fn record_time(&self, e: &Entry) -> RecordTime {
        match self.store.payload(e.id) {
            Some(p) => RecordTime::CreateTimeMs(p.create_time_ms),
            None => RecordTime::Simulated(self.store.get(e.id).timestamp_us),
        }
    }
}
