//! OffsetForLeaderEpoch (API key 23) at a broker now: for each partition, the end offset of the
//! leader epoch a client asks about, from the leader's leader-epoch cache. Since KIP-320 a
//! consumer asks it after a leader change to learn whether the log it was reading was
//! truncated (its position past the end offset of its last fetched epoch means it was).
//!
//! As Kafka's `ReplicaManager.lastOffsetForLeaderEpoch` → `Partition.lastOffsetForLeaderEpoch`
//! (with `fetchOnlyFromLeader = true` for every caller, consumers and followers alike) →
//! `UnifiedLog.endOffsetForEpoch` → `LeaderEpochFileCache.endOffsetFor`:
//! - a partition the cluster lacks: UNKNOWN_TOPIC_OR_PARTITION; one this broker does not host:
//!   NOT_LEADER_OR_FOLLOWER;
//! - the client's `current_leader_epoch` (−1: not given) below the replica's: FENCED_LEADER_EPOCH,
//!   above it: UNKNOWN_LEADER_EPOCH; then a replica that is not the leader:
//!   NOT_LEADER_OR_FOLLOWER;
//! - the answer itself is a read of the epoch cache (a pure function, [`end_offset_for`]).
//!
//! The engine's logs record the epoch of each appended record; Kafka's cache also gets an
//! entry when a replica becomes leader (`Partition.makeLeader` →
//! `maybeAssignEpochStartOffset(leaderEpoch, logEndOffset)`), before anything is written in the
//! new epoch. That entry is added here from the replica's own `leader_epoch` and
//! `epoch_start_offset`, so a new leader that has not been written to answers as Kafka's does.

use crate::client::external_fetch::FetchError;
use crate::cluster::Cluster;

/// Kafka's `UNDEFINED_EPOCH` and `UNDEFINED_EPOCH_OFFSET`.
pub const UNDEFINED_EPOCH: i32 = -1;
pub const UNDEFINED_EPOCH_OFFSET: i64 = -1;

/// One partition of an OffsetForLeaderEpoch request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochQuery {
    pub topic: String,
    pub partition: i32,
    /// −1 (`NO_PARTITION_LEADER_EPOCH`): not checked.
    pub current_leader_epoch: i32,
    /// The epoch whose end offset is asked for.
    pub leader_epoch: i32,
}

/// The answer for one partition: the largest epoch at or below the one asked that the leader
/// knows and the offset where it ended, or −1 and −1 when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEndOffset {
    pub leader_epoch: i32,
    pub end_offset: i64,
}

const UNDEFINED: EpochEndOffset = EpochEndOffset {
    leader_epoch: UNDEFINED_EPOCH,
    end_offset: UNDEFINED_EPOCH_OFFSET,
};

/// `LeaderEpochFileCache.endOffsetFor(requestedEpoch, logEndOffset)` over a cache of
/// `(epoch, start offset)` in increasing order, after `truncateFromStart(log_start)`: the
/// entries wholly before the log start are gone, and the one the log start falls in starts
/// there.
///
/// - the undefined epoch (−1): undefined;
/// - the latest epoch: it has not ended, its end is the log end offset;
/// - no epoch above the one asked: undefined;
/// - no epoch at or below it (older than anything the log still has): the asked epoch and the
///   start of the first epoch above it ("this may be inaccurate", Kafka says, "but the data has
///   already been removed from the log");
/// - otherwise the largest epoch at or below it, ending where the next one starts.
pub fn end_offset_for(
    epochs: &[(u32, u64)],
    log_start: u64,
    log_end: u64,
    requested: i32,
) -> EpochEndOffset {
    if requested == UNDEFINED_EPOCH {
        return UNDEFINED;
    }
    let first = epochs
        .iter()
        .rposition(|&(_, start)| start <= log_start)
        .unwrap_or(0);
    let epochs = epochs.get(first..).unwrap_or_default();
    let start_of = |i: usize| -> u64 {
        let start = epochs[i].1;
        if i == 0 { start.max(log_start) } else { start }
    };
    let requested64 = i64::from(requested);
    if epochs
        .last()
        .is_some_and(|&(e, _)| i64::from(e) == requested64)
    {
        return EpochEndOffset {
            leader_epoch: requested,
            end_offset: log_end as i64,
        };
    }
    let Some(higher) = epochs.iter().position(|&(e, _)| i64::from(e) > requested64) else {
        return UNDEFINED;
    };
    let end_offset = start_of(higher) as i64;
    match higher.checked_sub(1) {
        None => EpochEndOffset {
            leader_epoch: requested,
            end_offset,
        },
        Some(floor) => EpochEndOffset {
            leader_epoch: epochs[floor].0 as i32,
            end_offset,
        },
    }
}

impl Cluster {
    /// The answers of `broker` to an OffsetForLeaderEpoch request now; `None` when the broker
    /// is down (it answers nothing).
    pub fn offset_for_leader_epoch(
        &self,
        broker: u32,
        queries: &[EpochQuery],
    ) -> Option<Vec<Result<EpochEndOffset, FetchError>>> {
        if !self.broker_up(broker)? {
            return None;
        }
        Some(
            queries
                .iter()
                .map(|q| {
                    let (_, r) = self.client_leader_replica(
                        broker,
                        &q.topic,
                        q.partition,
                        q.current_leader_epoch,
                    )?;
                    let log = &r.log;
                    let mut epochs = log.epoch_entries().to_vec();
                    // `makeLeader`'s entry for the leader's own epoch (see the module's text).
                    if epochs.last().is_none_or(|&(e, _)| e < r.leader_epoch) {
                        epochs.push((r.leader_epoch, r.epoch_start_offset));
                    }
                    Ok(end_offset_for(
                        &epochs,
                        log.log_start_offset(),
                        log.log_end_offset(),
                        q.leader_epoch,
                    ))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(leader_epoch: i32, end_offset: i64) -> EpochEndOffset {
        EpochEndOffset {
            leader_epoch,
            end_offset,
        }
    }

    // The cases of Kafka's `LeaderEpochFileCacheTest` (shouldReturnLogEndOffsetIfLatestEpoch
    // Requested, shouldReturnNextAvailableEpochIfThereIsNoExactEpochForTheOneRequested,
    // shouldReturnUnsupportedIfNoEpochRecorded…), on a cache (0,0) (2,5) (4,9), log end 12.
    const CACHE: &[(u32, u64)] = &[(0, 0), (2, 5), (4, 9)];

    #[test]
    fn the_latest_epoch_ends_at_the_log_end() {
        assert_eq!(end_offset_for(CACHE, 0, 12, 4), at(4, 12));
    }

    #[test]
    fn an_epoch_ends_where_the_next_one_starts() {
        assert_eq!(end_offset_for(CACHE, 0, 12, 0), at(0, 5));
        assert_eq!(end_offset_for(CACHE, 0, 12, 2), at(2, 9));
    }

    #[test]
    fn an_epoch_never_written_answers_for_the_largest_below_it() {
        assert_eq!(end_offset_for(CACHE, 0, 12, 1), at(0, 5));
        assert_eq!(end_offset_for(CACHE, 0, 12, 3), at(2, 9));
    }

    #[test]
    fn undefined_above_the_latest_and_for_the_undefined_epoch() {
        assert_eq!(end_offset_for(CACHE, 0, 12, 5), UNDEFINED);
        assert_eq!(end_offset_for(CACHE, 0, 12, -1), UNDEFINED);
        assert_eq!(end_offset_for(&[], 0, 0, 0), UNDEFINED);
    }

    #[test]
    fn an_epoch_older_than_the_log_gets_the_first_start_at_or_after_the_log_start() {
        // The cache starts at epoch 2: epoch 1 is older than anything the cache holds.
        let cache = &[(2, 5), (4, 9)];
        assert_eq!(end_offset_for(cache, 5, 12, 1), at(1, 5));
        // Retention moved the log start to 7 inside epoch 2: `truncateFromStart` made epoch 2
        // start at 7, epoch 0 is gone, and epoch 1 (never written) gets the new start.
        assert_eq!(end_offset_for(CACHE, 7, 12, 1), at(1, 7));
        assert_eq!(end_offset_for(CACHE, 7, 12, 0), at(0, 7));
        assert_eq!(end_offset_for(CACHE, 7, 12, 2), at(2, 9));
        // A log start past the last epoch's start: only the last epoch is left.
        assert_eq!(end_offset_for(CACHE, 10, 12, 2), at(2, 10));
        assert_eq!(end_offset_for(CACHE, 10, 12, 4), at(4, 12));
    }
}
