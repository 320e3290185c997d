//! Producer ids and the partition leader's producer state for batches that carry one (real
//! clients' idempotent producers, Kafka's `RecordBatch.producerId`).
//!
//! Reproduces, from Apache Kafka:
//! - `ProducerIdManager` / the controller's `ProducerIdControlManager`: ids handed out in
//!   blocks of `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE` (1000) from 0, a broker using its block
//!   in order and asking the controller for the next block when it runs out;
//! - `ProducerStateEntry`: per producer id, its epoch and the metadata of its last
//!   `NUM_BATCHES_TO_RETAIN` (5) batches (first/last sequence, first/last offset);
//! - `ProducerStateEntry.findDuplicateBatch`: a batch of the same epoch whose exact sequence
//!   range is retained is a duplicate, answered with the original offsets;
//! - `ProducerAppendInfo.checkProducerEpoch` / `checkSequence`: an older epoch is
//!   INVALID_PRODUCER_EPOCH; a new epoch must start at sequence 0; the same epoch must continue
//!   at `lastSeq + 1` (wrapping after `Integer.MAX_VALUE`); a producer the partition has no
//!   state for (`NO_PRODUCER_EPOCH`) is accepted at any sequence (KIP-360, since Kafka 2.5:
//!   the broker no longer answers UNKNOWN_PRODUCER_ID to Produce).
//!
//! The state lives on every replica and is rebuilt from the records' stamps (`Payload::producer`)
//! as they are appended, on the leader and on followers alike, as Kafka's followers rebuild it
//! from the replicated batches' headers (`UnifiedLog.appendAsFollower` → `updateProducers`):
//! so a new leader deduplicates the client's retries of batches the old leader had appended.

use std::collections::{BTreeMap, VecDeque};

use crate::event::ErrorCode;

/// Kafka's `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`: the batches per producer id a
/// partition remembers, as many as an idempotent producer may have in flight
/// (`max.in.flight.requests.per.connection` ≤ 5).
pub const NUM_BATCHES_TO_RETAIN: usize = 5;

/// Kafka's `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`: the ids the controller gives a broker at
/// once.
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;

/// What a record of an idempotent batch says about its producer: the batch header's producer
/// id, epoch and base sequence, and this record's own sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerStamp {
    pub producer_id: i64,
    pub epoch: i16,
    pub base_sequence: i32,
    /// `base_sequence` plus the record's offset delta, wrapping after `i32::MAX`.
    pub sequence: i32,
}

/// Kafka's `DefaultRecordBatch.incrementSequence`: sequences wrap to 0 after `i32::MAX`.
pub fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    if sequence > i32::MAX - increment {
        increment - (i32::MAX - sequence) - 1
    } else {
        sequence + increment
    }
}

/// Kafka's `ProducerAppendInfo.inSequence`.
fn in_sequence(last: i32, next: i32) -> bool {
    i64::from(next) == i64::from(last) + 1 || (next == 0 && last == i32::MAX)
}

/// Kafka's `BatchMetadata`: one appended batch of a producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMetadata {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: u64,
    pub last_offset: u64,
}

/// Kafka's `ProducerStateEntry`, without the transactional fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerStateEntry {
    pub epoch: i16,
    /// Oldest first, at most [`NUM_BATCHES_TO_RETAIN`].
    pub batches: VecDeque<BatchMetadata>,
}

/// A batch of an idempotent producer as it reaches the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncomingBatch {
    pub producer_id: i64,
    pub epoch: i16,
    pub first_seq: i32,
    pub last_seq: i32,
}

/// The leader's verdict on an incoming batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceCheck {
    /// Append it.
    Append,
    /// Already appended (`findDuplicateBatch`): answer with these offsets, append nothing.
    Duplicate(BatchMetadata),
}

/// One replica's producer state: producer id → entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerStates {
    entries: BTreeMap<i64, ProducerStateEntry>,
}

impl ProducerStates {
    pub fn entry(&self, producer_id: i64) -> Option<&ProducerStateEntry> {
        self.entries.get(&producer_id)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// What the leader does with `batch` (`UnifiedLog.analyzeAndValidateProducerState` for a
    /// client's append): a duplicate first, then the epoch, then the sequence.
    pub fn check(&self, batch: &IncomingBatch) -> Result<SequenceCheck, ErrorCode> {
        let Some(entry) = self.entries.get(&batch.producer_id) else {
            // No state (`NO_PRODUCER_EPOCH`): any sequence is accepted.
            return Ok(SequenceCheck::Append);
        };
        if batch.epoch == entry.epoch
            && let Some(d) = entry
                .batches
                .iter()
                .find(|b| b.first_seq == batch.first_seq && b.last_seq == batch.last_seq)
        {
            return Ok(SequenceCheck::Duplicate(*d));
        }
        if batch.epoch < entry.epoch {
            return Err(ErrorCode::InvalidProducerEpoch);
        }
        if batch.epoch != entry.epoch {
            // A new epoch (KIP-360's bump) starts its sequences again at 0.
            return if batch.first_seq == 0 {
                Ok(SequenceCheck::Append)
            } else {
                Err(ErrorCode::OutOfOrderSequenceNumber)
            };
        }
        match entry.batches.back() {
            Some(last) if !in_sequence(last.last_seq, batch.first_seq) => {
                Err(ErrorCode::OutOfOrderSequenceNumber)
            }
            _ => Ok(SequenceCheck::Append),
        }
    }

    /// A record with `stamp` was appended at `offset` (leader or follower): the first record of
    /// a batch adds its `BatchMetadata`, the others extend it (the engine's logs keep records,
    /// not batches; the stamp's base sequence marks where a batch starts).
    pub fn note(&mut self, offset: u64, stamp: &ProducerStamp) {
        let entry = self
            .entries
            .entry(stamp.producer_id)
            .or_insert_with(|| ProducerStateEntry {
                epoch: stamp.epoch,
                batches: VecDeque::new(),
            });
        // `ProducerStateEntry.maybeUpdateProducerEpoch`: a new epoch forgets the old batches.
        if entry.epoch != stamp.epoch {
            entry.epoch = stamp.epoch;
            entry.batches.clear();
        }
        match entry.batches.back_mut() {
            Some(last)
                if stamp.sequence != stamp.base_sequence
                    && last.first_seq == stamp.base_sequence
                    && last.last_offset + 1 == offset =>
            {
                last.last_seq = stamp.sequence;
                last.last_offset = offset;
            }
            _ => {
                if entry.batches.len() == NUM_BATCHES_TO_RETAIN {
                    entry.batches.pop_front();
                }
                entry.batches.push_back(BatchMetadata {
                    first_seq: stamp.base_sequence,
                    last_seq: stamp.sequence,
                    first_offset: offset,
                    last_offset: offset,
                });
            }
        }
    }

    /// The log was truncated to `end`: the state is rebuilt from the records that remain
    /// (Kafka's `UnifiedLog.truncateTo` → `rebuildProducerState` from the last snapshot). Only
    /// producers whose state reached past `end` change; `stamps` gives the remaining log's
    /// stamped records from the end backwards (offset, stamp).
    pub fn truncate<'a>(
        &mut self,
        end: u64,
        stamps: impl Iterator<Item = (u64, &'a ProducerStamp)>,
    ) {
        let stale: Vec<i64> = self
            .entries
            .iter()
            .filter(|(_, e)| e.batches.back().is_some_and(|b| b.last_offset >= end))
            .map(|(&p, _)| p)
            .collect();
        if stale.is_empty() {
            return;
        }
        for p in &stale {
            self.entries.remove(p);
        }
        // Newest first: collect each stale producer's records, then replay them oldest first.
        let mut found: BTreeMap<i64, Vec<(u64, ProducerStamp)>> = BTreeMap::new();
        for (offset, stamp) in stamps {
            if offset >= end || !stale.contains(&stamp.producer_id) {
                continue;
            }
            let records = found.entry(stamp.producer_id).or_default();
            // Enough records for the retained batches: stop counting a producer once it has
            // more than NUM_BATCHES_TO_RETAIN batch starts.
            let starts = records
                .iter()
                .filter(|(_, s)| s.sequence == s.base_sequence)
                .count();
            if starts > NUM_BATCHES_TO_RETAIN {
                continue;
            }
            records.push((offset, *stamp));
        }
        for (_, records) in found {
            for (offset, stamp) in records.iter().rev() {
                self.note(*offset, stamp);
            }
        }
    }
}

/// The cluster's producer ids: the controller's next block and each broker's current block
/// (`RPCProducerIdManager`, without its prefetch: the next block is taken when one runs out).
#[derive(Debug, Clone, Default)]
pub struct ProducerIdManager {
    /// The first id of the next block the controller hands out.
    next_block: i64,
    /// Broker → (its next id, the end of its block, exclusive).
    blocks: BTreeMap<u32, (i64, i64)>,
}

impl ProducerIdManager {
    /// A new producer id from `broker`'s block (`ProducerIdManager.generateProducerId`).
    pub fn generate(&mut self, broker: u32) -> i64 {
        let next_block = &mut self.next_block;
        let block = self.blocks.entry(broker).or_insert((0, 0));
        if block.0 >= block.1 {
            *block = (*next_block, *next_block + PRODUCER_ID_BLOCK_SIZE);
            *next_block += PRODUCER_ID_BLOCK_SIZE;
        }
        let id = block.0;
        block.0 += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(pid: i64, epoch: i16, base: i32, delta: i32) -> ProducerStamp {
        ProducerStamp {
            producer_id: pid,
            epoch,
            base_sequence: base,
            sequence: increment_sequence(base, delta),
        }
    }

    /// Appends a batch of `n` records at `offset`.
    fn append(s: &mut ProducerStates, pid: i64, epoch: i16, base: i32, n: i32, offset: u64) {
        for d in 0..n {
            s.note(offset + d as u64, &stamp(pid, epoch, base, d));
        }
    }

    fn incoming(pid: i64, epoch: i16, first: i32, n: i32) -> IncomingBatch {
        IncomingBatch {
            producer_id: pid,
            epoch,
            first_seq: first,
            last_seq: increment_sequence(first, n - 1),
        }
    }

    #[test]
    fn sequences_follow_kafkas_rules() {
        let mut s = ProducerStates::default();
        // Unknown producer: any sequence (KIP-360).
        assert_eq!(s.check(&incoming(7, 0, 42, 3)), Ok(SequenceCheck::Append));
        append(&mut s, 7, 0, 0, 3, 10); // seq 0-2 at 10-12
        append(&mut s, 7, 0, 3, 2, 20); // seq 3-4 at 20-21
        assert_eq!(s.check(&incoming(7, 0, 5, 1)), Ok(SequenceCheck::Append));
        assert_eq!(
            s.check(&incoming(7, 0, 0, 3)),
            Ok(SequenceCheck::Duplicate(BatchMetadata {
                first_seq: 0,
                last_seq: 2,
                first_offset: 10,
                last_offset: 12
            }))
        );
        // Same start, other range: not a duplicate, and out of order.
        assert_eq!(
            s.check(&incoming(7, 0, 0, 2)),
            Err(ErrorCode::OutOfOrderSequenceNumber)
        );
        assert_eq!(
            s.check(&incoming(7, 0, 6, 1)),
            Err(ErrorCode::OutOfOrderSequenceNumber)
        );
        // A new epoch starts at 0; an older epoch is fenced.
        assert_eq!(s.check(&incoming(7, 1, 0, 1)), Ok(SequenceCheck::Append));
        assert_eq!(
            s.check(&incoming(7, 1, 5, 1)),
            Err(ErrorCode::OutOfOrderSequenceNumber)
        );
        append(&mut s, 7, 1, 0, 1, 30);
        assert_eq!(s.entry(7).unwrap().batches.len(), 1);
        assert_eq!(
            s.check(&incoming(7, 0, 5, 1)),
            Err(ErrorCode::InvalidProducerEpoch)
        );
    }

    #[test]
    fn five_batches_are_retained_and_sequences_wrap() {
        let mut s = ProducerStates::default();
        for i in 0..7 {
            append(&mut s, 1, 0, i * 2, 2, (i * 2) as u64);
        }
        let e = s.entry(1).unwrap();
        assert_eq!(e.batches.len(), NUM_BATCHES_TO_RETAIN);
        assert_eq!(e.batches[0].first_seq, 4);
        // The oldest batches are forgotten: a retry of one is out of order, as in Kafka.
        assert_eq!(
            s.check(&incoming(1, 0, 0, 2)),
            Err(ErrorCode::OutOfOrderSequenceNumber)
        );
        let mut w = ProducerStates::default();
        append(&mut w, 2, 0, i32::MAX - 1, 2, 0);
        assert_eq!(w.check(&incoming(2, 0, 0, 1)), Ok(SequenceCheck::Append));
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
    }

    #[test]
    fn truncation_rebuilds_from_the_remaining_records() {
        let mut s = ProducerStates::default();
        let mut log = Vec::new();
        for i in 0..4 {
            for d in 0..2 {
                let st = stamp(3, 0, i * 2, d);
                s.note((i * 2 + d) as u64, &st);
                log.push(((i * 2 + d) as u64, st));
            }
        }
        s.truncate(4, log.iter().rev().map(|(o, st)| (*o, st)));
        let e = s.entry(3).unwrap();
        assert_eq!(e.batches.back().unwrap().last_offset, 3);
        assert_eq!(s.check(&incoming(3, 0, 4, 2)), Ok(SequenceCheck::Append));
        assert_eq!(
            s.check(&incoming(3, 0, 2, 2)),
            Ok(SequenceCheck::Duplicate(BatchMetadata {
                first_seq: 2,
                last_seq: 3,
                first_offset: 2,
                last_offset: 3
            }))
        );
    }

    #[test]
    fn ids_come_in_blocks_per_broker() {
        let mut m = ProducerIdManager::default();
        assert_eq!(m.generate(2), 0);
        assert_eq!(m.generate(2), 1);
        assert_eq!(m.generate(1), 1000);
        assert_eq!(m.generate(2), 2);
    }
}
