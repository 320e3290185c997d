//! One replica's log of one partition: offsets, segments, the leader-epoch cache, retention and
//! compaction. This is Kafka's `UnifiedLog` + `LogSegment` + `LeaderEpochFileCache`, reduced to
//! what changes what a viewer can see.
//!
//! Invariants (asserted): offsets strictly increase; without compaction they are contiguous from
//! `log_start_offset` to `log_end_offset`; the epoch cache's start offsets increase with the epoch;
//! the log's count of entries per record-store chunk matches its entries.
//!
//! The entries live in shared chunks (`entries.rs`), so a clone of a log costs its last chunk.

mod entries;

pub use entries::{ENTRIES_PER_CHUNK, Entries};

use crate::reclaim::ChunkRefs;
use crate::record::{RecordData, RecordId, RecordStore};
use crate::time::Micros;

/// One record as a replica holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub offset: u64,
    pub id: RecordId,
    /// The leader epoch in which the record was first appended (the batch's partitionLeaderEpoch).
    pub epoch: u32,
}

/// A segment: a range of the log that is rolled, retained and deleted as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub base_offset: u64,
    pub bytes: u64,
    /// The largest record timestamp in the segment (time retention looks at this).
    pub max_timestamp_us: Micros,
    /// The timestamp of the first record appended (segment.ms rolling looks at this).
    pub first_timestamp_us: Option<Micros>,
}

/// When a new segment is rolled (segment.ms, segment.bytes).
#[derive(Debug, Clone, Copy)]
pub struct RollPolicy {
    pub segment_ms: Micros,
    pub segment_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct PartitionLog {
    entries: Entries,
    /// How many of the entries point into each chunk of the record store (what keeps it alive).
    refs: ChunkRefs,
    segments: Vec<Segment>,
    log_start_offset: u64,
    log_end_offset: u64,
    /// Kafka's leader-epoch-checkpoint: (epoch, first offset written in that epoch).
    epochs: Vec<(u32, u64)>,
    /// Offset up to which the cleaner has compacted (Kafka's cleaner checkpoint).
    cleaner_checkpoint: u64,
    /// Tombstones the cleaner has seen once, with the time after which a later cleaning removes them.
    tombstone_horizons: Vec<(u64, Micros)>,
    /// The largest record ever appended, in bytes (never lowered: truncation, retention and
    /// compaction leave it an upper bound). Lets a fetch that cannot reach its byte limit skip
    /// reading every record's size from the store (`fits_within`).
    max_record_bytes: u32,
}

impl Default for PartitionLog {
    fn default() -> Self {
        PartitionLog {
            entries: Entries::default(),
            refs: ChunkRefs::default(),
            segments: vec![Segment {
                base_offset: 0,
                bytes: 0,
                max_timestamp_us: 0,
                first_timestamp_us: None,
            }],
            log_start_offset: 0,
            log_end_offset: 0,
            epochs: Vec::new(),
            cleaner_checkpoint: 0,
            tombstone_horizons: Vec::new(),
            max_record_bytes: 0,
        }
    }
}

impl PartitionLog {
    pub fn log_start_offset(&self) -> u64 {
        self.log_start_offset
    }

    pub fn log_end_offset(&self) -> u64 {
        self.log_end_offset
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, in offset order.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Entry> + Clone + '_ {
        self.entries.iter()
    }

    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    pub fn size_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.bytes).sum()
    }

    /// The epoch of the last record (what a follower sends as `lastFetchedEpoch`).
    pub fn latest_epoch(&self) -> Option<u32> {
        self.epochs.last().map(|(e, _)| *e)
    }

    pub fn entry_at(&self, offset: u64) -> Option<&Entry> {
        self.entries.get(offset)
    }

    /// Entries from `offset` (inclusive), at most `max` of them.
    pub fn read(&self, offset: u64, max: usize) -> impl Iterator<Item = &Entry> + Clone + '_ {
        self.entries.range(offset, u64::MAX).take(max)
    }

    /// Entries in `[from, to)`, one slice per chunk (for the hot loops of fetches).
    pub fn range_slices(&self, from: u64, to: u64) -> impl Iterator<Item = &[Entry]> + '_ {
        self.entries.range_slices(from, to)
    }

    /// Entries in `[from, to)`.
    pub fn range(
        &self,
        from: u64,
        to: u64,
    ) -> impl DoubleEndedIterator<Item = &Entry> + Clone + '_ {
        self.entries.range(from, to)
    }

    /// What a fetch of `[from, to)` returns under a byte limit (`replica.fetch.max.bytes`, a
    /// consumer's `fetch.max.bytes`), one slice per chunk: every entry if they fit, else as many
    /// as fit. With `min_one` (Kafka's `minOneMessage`, KIP-74) at least one, as Kafka returns
    /// the first batch even when it is too big; a Fetch request's later partitions, once an
    /// earlier one returned records, go without it.
    pub fn fetch_slices(
        &self,
        from: u64,
        to: u64,
        max_bytes: u64,
        min_one: bool,
        store: &RecordStore,
    ) -> Vec<&[Entry]> {
        if self.fits_within(from, to, max_bytes) {
            // They all fit: taken without reading each record's size from the store.
            return self.range_slices(from, to).collect();
        }
        let mut slices = Vec::new();
        let (mut bytes, mut taken) = (0u64, 0usize);
        for chunk in self.range_slices(from, to) {
            let mut end = 0;
            for e in chunk {
                let size = u64::from(store.get(e.id).size_bytes);
                if (!min_one || taken + end > 0) && bytes + size > max_bytes {
                    break;
                }
                bytes += size;
                end += 1;
            }
            slices.push(&chunk[..end]);
            taken += end;
            if end < chunk.len() {
                break;
            }
        }
        slices
    }

    /// Whether every record in `[from, to)` together holds at most `max_bytes`, known without
    /// reading their sizes: there are at most `to - from` of them (offsets strictly increase),
    /// none larger than the largest ever appended. When it says no, the caller adds up sizes.
    pub fn fits_within(&self, from: u64, to: u64, max_bytes: u64) -> bool {
        to.saturating_sub(from)
            .checked_mul(u64::from(self.max_record_bytes))
            .is_some_and(|bound| bound <= max_bytes)
    }

    /// How many chunks of entries are sealed (see `share_sealed_from`).
    pub fn sealed_chunks(&self) -> usize {
        self.entries.sealed_count()
    }

    /// Shares `other`'s sealed chunks of entries identical to this log's from chunk `from` on
    /// (`Entries::share_sealed_from`): a follower and its leader hold one copy of what they
    /// both hold, without changing what either reads.
    pub fn share_sealed_from(&mut self, from: usize, other: &PartitionLog) -> usize {
        self.entries.share_sealed_from(from, &other.entries)
    }

    /// Every chunk of entries (shared with clones), for the memory measure.
    pub(crate) fn for_each_chunk(&self, f: &mut dyn FnMut(usize, usize)) {
        self.entries.for_each_chunk(f);
    }

    /// Heap bytes of the log's own bookkeeping beyond its segments' list and shared chunks.
    pub(crate) fn bookkeeping_bytes(&self) -> usize {
        self.entries.unshared_bytes()
            + self.refs.heap_bytes()
            + self.epochs.capacity() * size_of::<(u32, u64)>()
            + self.tombstone_horizons.capacity() * size_of::<(u64, Micros)>()
    }

    /// The record-store chunks this log's entries point into (each once, in order).
    pub(crate) fn store_chunks(&self) -> impl Iterator<Item = u32> + '_ {
        self.refs.chunks()
    }

    /// Appends one record at the log end offset. Leaders pass their current epoch; followers pass the
    /// epoch stored with the record on the leader.
    pub fn append(
        &mut self,
        id: RecordId,
        epoch: u32,
        store: &RecordStore,
        roll: RollPolicy,
    ) -> u64 {
        let offset = self.log_end_offset;
        self.append_entry(Entry { offset, id, epoch }, store.get(id), roll);
        offset
    }

    /// Appends records, each at its own offset and leader epoch (a leader's batch at the log end
    /// offset, or what a follower copied from its leader, which may skip offsets the leader
    /// compacted away), and hands each entry with its record to `each`: the caller's producer
    /// state reads the same record the segment's accounting just read, once per record.
    pub fn append_entries<'s>(
        &mut self,
        entries: impl IntoIterator<Item = Entry>,
        store: &'s RecordStore,
        roll: RollPolicy,
        mut each: impl FnMut(&Entry, &'s RecordData),
    ) {
        for e in entries {
            let data = store.get(e.id);
            self.append_entry(e, data, roll);
            each(&e, data);
        }
    }

    #[inline]
    fn append_entry(&mut self, e: Entry, data: &RecordData, roll: RollPolicy) {
        let Entry { offset, id, epoch } = e;
        assert!(
            offset >= self.log_end_offset,
            "offsets must increase: {offset} < {}",
            self.log_end_offset
        );
        if self.epochs.last().is_none_or(|(e, _)| *e < epoch) {
            self.epochs.push((epoch, offset));
        }
        self.max_record_bytes = self.max_record_bytes.max(data.size_bytes);
        self.maybe_roll(offset, data.size_bytes as u64, data.timestamp_us, roll);
        let seg = self
            .segments
            .last_mut()
            .expect("a log always has an active segment");
        seg.bytes += data.size_bytes as u64;
        seg.max_timestamp_us = seg.max_timestamp_us.max(data.timestamp_us);
        seg.first_timestamp_us.get_or_insert(data.timestamp_us);
        self.entries.push(Entry { offset, id, epoch });
        self.refs.add(id);
        self.log_end_offset = offset + 1;
    }

    /// Kafka rolls a new segment when the active one would exceed segment.bytes, or when its first
    /// record is older than segment.ms, comparing record timestamps (`LogSegment.shouldRoll`).
    fn maybe_roll(&mut self, offset: u64, incoming: u64, timestamp_us: Micros, roll: RollPolicy) {
        let active = self.segments.last().expect("active segment");
        let too_big = active.bytes > 0 && active.bytes + incoming > roll.segment_bytes;
        let too_old = active
            .first_timestamp_us
            .is_some_and(|t| timestamp_us.saturating_sub(t) > roll.segment_ms);
        if too_big || too_old {
            self.segments.push(Segment {
                base_offset: offset,
                bytes: 0,
                max_timestamp_us: 0,
                first_timestamp_us: None,
            });
        }
    }

    /// The leader-epoch cache: (epoch, first offset written in that epoch), epochs increasing
    /// (`offset_for_leader_epoch` reads it as Kafka's `LeaderEpochFileCache`).
    pub fn epoch_entries(&self) -> &[(u32, u64)] {
        &self.epochs
    }

    /// Kafka's `LeaderEpochFileCache.endOffsetFor`: the largest epoch <= `epoch` that this log knows
    /// and the offset where the next epoch starts (or the log end offset for the latest epoch).
    /// `None` when the log knows no epoch <= `epoch`.
    pub fn end_offset_for_epoch(&self, epoch: u32) -> Option<(u32, u64)> {
        let i = self.epochs.partition_point(|(e, _)| *e <= epoch);
        if i == 0 {
            return None;
        }
        let (found, _) = self.epochs[i - 1];
        let end = self
            .epochs
            .get(i)
            .map_or(self.log_end_offset, |(_, start)| *start);
        Some((found, end))
    }

    /// Removes every record at or above `offset` (a follower aligning with its leader).
    pub fn truncate_to(&mut self, offset: u64, store: &RecordStore) {
        if offset >= self.log_end_offset {
            return;
        }
        let offset = offset.max(self.log_start_offset);
        let refs = &mut self.refs;
        self.entries.truncate_from(offset, |e| refs.remove(e.id));
        self.log_end_offset = offset;
        self.epochs.retain(|(_, start)| *start < offset);
        self.cleaner_checkpoint = self.cleaner_checkpoint.min(offset);
        self.tombstone_horizons.retain(|(o, _)| *o < offset);
        while self.segments.len() > 1
            && self
                .segments
                .last()
                .is_some_and(|s| s.base_offset >= offset)
        {
            self.segments.pop();
        }
        self.resize_segments(store);
    }

    /// Throws the whole log away and restarts it at `offset` (a follower whose fetch offset fell
    /// below the leader's log start offset).
    pub fn reset_to(&mut self, offset: u64) {
        *self = PartitionLog {
            log_start_offset: offset,
            log_end_offset: offset,
            ..Default::default()
        };
        self.segments[0].base_offset = offset;
        self.cleaner_checkpoint = offset;
    }

    /// Sizes and timestamps of segments need the record store; callers that changed the log through
    /// truncation or compaction call this to keep retention exact.
    pub fn resize_segments(&mut self, store: &RecordStore) {
        let mut entries = self.entries.iter().peekable();
        let n = self.segments.len();
        for s in 0..n {
            let end = self
                .segments
                .get(s + 1)
                .map_or(u64::MAX, |next| next.base_offset);
            let (mut bytes, mut max_ts, mut first) = (0, 0, None);
            while let Some(e) = entries.next_if(|e| e.offset < end) {
                let d = store.get(e.id);
                bytes += d.size_bytes as u64;
                max_ts = max_ts.max(d.timestamp_us);
                first.get_or_insert(d.timestamp_us);
            }
            let seg = &mut self.segments[s];
            seg.bytes = bytes;
            seg.max_timestamp_us = max_ts;
            seg.first_timestamp_us = first;
        }
    }

    /// Deletes whole segments (never the active one) that retention no longer keeps, as Kafka's
    /// `UnifiedLog.deleteOldSegments`: by time (the segment's largest timestamp older than
    /// retention.ms), by size (while the log minus the oldest segment still exceeds retention.bytes),
    /// and anything wholly below the high watermark only. Returns the deleted segments' base offsets.
    pub fn apply_retention(
        &mut self,
        now: Micros,
        retention_us: Option<Micros>,
        retention_bytes: Option<u64>,
        high_watermark: u64,
    ) -> Vec<u64> {
        let mut deleted = Vec::new();
        let mut size = self.size_bytes();
        // Kafka may delete the active segment too when it is wholly expired and fully replicated:
        // it rolls a new empty one first (UnifiedLog.deleteSegments).
        let active = *self.segments.last().expect("active segment");
        let active_expired = active.bytes > 0
            && retention_us.is_some_and(|r| now.saturating_sub(active.max_timestamp_us) > r);
        if active_expired
            && high_watermark == self.log_end_offset
            && self.segments.iter().all(|s| {
                s.bytes == 0
                    || retention_us.is_some_and(|r| now.saturating_sub(s.max_timestamp_us) > r)
            })
        {
            self.segments.push(Segment {
                base_offset: self.log_end_offset,
                bytes: 0,
                max_timestamp_us: 0,
                first_timestamp_us: None,
            });
        }
        while self.segments.len() > 1 {
            let seg = self.segments[0];
            let next_base = self.segments[1].base_offset;
            // Kafka only deletes segments whose records are all below the high watermark.
            if next_base > high_watermark {
                break;
            }
            let expired = retention_us
                .is_some_and(|r| seg.bytes > 0 && now.saturating_sub(seg.max_timestamp_us) > r);
            let oversize = retention_bytes.is_some_and(|r| size.saturating_sub(seg.bytes) >= r);
            if !(expired || oversize) {
                break;
            }
            size -= seg.bytes;
            self.segments.remove(0);
            let refs = &mut self.refs;
            self.entries.remove_below(next_base, |e| refs.remove(e.id));
            self.log_start_offset = next_base;
            self.cleaner_checkpoint = self.cleaner_checkpoint.max(next_base);
            self.tombstone_horizons.retain(|(o, _)| *o >= next_base);
            deleted.push(seg.base_offset);
        }
        // Epochs wholly below the new log start are forgotten, but the latest one before it stays.
        while self.epochs.len() > 1 && self.epochs[1].1 <= self.log_start_offset {
            self.epochs.remove(0);
        }
        deleted
    }

    /// Raises the log start offset (a follower following the leader's log start).
    pub fn advance_log_start(&mut self, offset: u64) {
        if offset <= self.log_start_offset {
            return;
        }
        let offset = offset.min(self.log_end_offset);
        let refs = &mut self.refs;
        self.entries.remove_below(offset, |e| refs.remove(e.id));
        self.log_start_offset = offset;
        while self.segments.len() > 1 && self.segments[1].base_offset <= offset {
            self.segments.remove(0);
        }
        self.segments[0].base_offset = self.segments[0].base_offset.max(offset);
    }

    /// Kafka's log cleaner for `cleanup.policy=compact`: in the cleanable part of the log (from the
    /// start up to the active segment and the high watermark), keep only the latest record of each
    /// key; offsets never change. A tombstone (null value) survives one cleaning and is removed by a
    /// later one once `delete.retention.ms` has passed since it was first cleaned (KIP-534's
    /// delete horizon). Runs only when the dirty ratio exceeds `min.cleanable.dirty.ratio`.
    /// Returns how many records were removed.
    pub fn compact(
        &mut self,
        store: &RecordStore,
        now: Micros,
        high_watermark: u64,
        delete_retention_us: Micros,
        min_dirty_ratio: f64,
    ) -> usize {
        let active_base = self.segments.last().expect("active segment").base_offset;
        // Kafka cleans whole segments only: the first uncleanable offset (the active segment's base,
        // or the high watermark if lower) is rounded down to the base of the segment holding it
        // (LogCleanerManager.cleanableOffsets + calculateCleanableBytes).
        let limit = active_base.min(high_watermark);
        let first_uncleanable = self
            .segments
            .iter()
            .rev()
            .find(|s| s.base_offset <= limit)
            .map_or(limit, |s| s.base_offset);
        if first_uncleanable <= self.log_start_offset {
            return 0;
        }
        let cleanable = self.range(self.log_start_offset, first_uncleanable);
        let total: u64 = cleanable
            .clone()
            .map(|e| store.get(e.id).size_bytes as u64)
            .sum();
        let dirty: u64 = cleanable
            .clone()
            .filter(|e| e.offset >= self.cleaner_checkpoint)
            .map(|e| store.get(e.id).size_bytes as u64)
            .sum();
        // Kafka cleans a log only when its dirty ratio is strictly above min.cleanable.dirty.ratio
        // (`cleanableRatio > minCleanableRatio` in LogCleanerManager.grabFilthiestCompactedLog).
        if total == 0 || (dirty as f64) / (total as f64) <= min_dirty_ratio {
            return 0;
        }
        // The offset map: each key's latest offset in the cleanable range.
        let mut latest: std::collections::BTreeMap<crate::record::Sym, u64> =
            std::collections::BTreeMap::new();
        for e in cleanable {
            if let Some(k) = store.get(e.id).key {
                latest.insert(k, e.offset);
            }
        }
        let before = self.entries.len();
        let mut horizons = std::mem::take(&mut self.tombstone_horizons);
        let refs = &mut self.refs;
        let keep = |e: &Entry| {
            let d = store.get(e.id);
            let Some(k) = d.key else { return false };
            if latest.get(&k) != Some(&e.offset) {
                return false;
            }
            if store.is_null_value(e.id) {
                match horizons.iter().find(|(o, _)| *o == e.offset) {
                    Some((_, horizon)) if now >= *horizon => return false,
                    Some(_) => {}
                    None => horizons.push((e.offset, now + delete_retention_us)),
                }
            }
            true
        };
        self.entries
            .retain_below(first_uncleanable, keep, |e| refs.remove(e.id));
        horizons.retain(|(o, _)| self.entries.get(*o).is_some());
        self.tombstone_horizons = horizons;
        self.cleaner_checkpoint = first_uncleanable;
        self.resize_segments(store);
        before - self.entries.len()
    }

    /// Checks the invariants; called from tests and debug assertions.
    pub fn check_invariants(&self, compacted: bool) {
        assert!(self.log_start_offset <= self.log_end_offset);
        for (a, b) in self.entries.iter().zip(self.entries.iter().skip(1)) {
            assert!(a.offset < b.offset, "offsets increase");
            if !compacted {
                assert_eq!(a.offset + 1, b.offset, "offsets are contiguous");
            }
        }
        self.entries.check_invariants();
        let mut counted = ChunkRefs::default();
        for e in self.entries.iter() {
            counted.add(e.id);
        }
        assert_eq!(
            counted, self.refs,
            "the store-chunk counts match the entries"
        );
        if let Some(last) = self.entries.last() {
            assert!(last.offset < self.log_end_offset);
        }
        if let Some(first) = self.entries.first() {
            assert!(first.offset >= self.log_start_offset);
            if !compacted {
                assert_eq!(first.offset, self.log_start_offset);
            }
        }
        for w in self.epochs.windows(2) {
            assert!(
                w[0].0 < w[1].0 && w[0].1 <= w[1].1,
                "epoch cache is monotonic"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{RecordData, ValueRef};

    const ROLL: RollPolicy = RollPolicy {
        segment_ms: 10_000_000,
        segment_bytes: 1 << 30,
    };

    fn record(
        store: &mut RecordStore,
        key: Option<&str>,
        value: Option<&str>,
        ts: Micros,
    ) -> RecordId {
        let key = key.map(|k| store.intern(k));
        let value = value.map_or(ValueRef::Null, |v| ValueRef::Text(store.intern(v)));
        store.push(RecordData {
            timestamp_us: ts,
            key,
            value,
            producer: 0,
            producer_seq: 0,
            batch_seq: 0,
            size_bytes: 20,
        })
    }

    fn log_with(store: &mut RecordStore, epochs: &[(u32, usize)], ts_step: Micros) -> PartitionLog {
        let mut log = PartitionLog::default();
        let mut ts = 0;
        for &(epoch, n) in epochs {
            for _ in 0..n {
                let id = record(store, Some("k"), Some("v"), ts);
                log.append(id, epoch, store, ROLL);
                ts += ts_step;
            }
        }
        log
    }

    /// The byte limit of every fetch (followers, consumers, real clients): whole chunks when
    /// all fit, else records up to the limit across chunks, and the first record even when too
    /// big only with `min_one` (KIP-74).
    #[test]
    fn fetch_slices_stop_at_the_byte_limit_and_take_one_record_only_with_min_one() {
        let mut store = RecordStore::default();
        let log = log_with(&mut store, &[(1, 2000)], 1); // 20 bytes each, two chunks
        fn offsets(slices: Vec<&[Entry]>) -> Vec<u64> {
            slices
                .iter()
                .flat_map(|s| s.iter().map(|e| e.offset))
                .collect()
        }
        assert_eq!(
            offsets(log.fetch_slices(0, 2000, 40_000, true, &store)),
            (0..2000).collect::<Vec<_>>()
        );
        // 1,000 bytes from offset 1,000: 50 records, across the chunk boundary at 1,024.
        let across = log.fetch_slices(1000, 2000, 1000, false, &store);
        assert_eq!(across.len(), 2);
        assert_eq!(offsets(across), (1000..1050).collect::<Vec<_>>());
        // A limit below one record's 20 bytes.
        assert_eq!(offsets(log.fetch_slices(0, 10, 10, true, &store)), vec![0]);
        assert_eq!(
            offsets(log.fetch_slices(0, 10, 10, false, &store)),
            Vec::<u64>::new()
        );
        assert_eq!(
            offsets(log.fetch_slices(5, 5, 0, true, &store)),
            Vec::<u64>::new()
        );
    }

    #[test]
    fn epoch_end_offsets_follow_kafkas_leader_epoch_cache() {
        let mut store = RecordStore::default();
        let log = log_with(&mut store, &[(1, 5), (3, 4)], 1);
        assert_eq!(log.end_offset_for_epoch(1), Some((1, 5)));
        // Epoch 2 was never written here: the largest epoch <= 2 is 1, which ends at 5.
        assert_eq!(log.end_offset_for_epoch(2), Some((1, 5)));
        assert_eq!(log.end_offset_for_epoch(3), Some((3, 9)));
        assert_eq!(log.end_offset_for_epoch(0), None);
        log.check_invariants(false);
    }

    #[test]
    fn truncation_forgets_later_epochs_and_keeps_offsets_contiguous() {
        let mut store = RecordStore::default();
        let mut log = log_with(&mut store, &[(1, 5), (2, 5)], 1);
        log.truncate_to(4, &store);
        assert_eq!(log.log_end_offset(), 4);
        assert_eq!(log.latest_epoch(), Some(1));
        let id = record(&mut store, None, Some("x"), 100);
        assert_eq!(log.append(id, 3, &store, ROLL), 4);
        log.check_invariants(false);
    }

    #[test]
    fn time_retention_deletes_whole_expired_segments_below_the_high_watermark() {
        let mut store = RecordStore::default();
        // 30 records, one per second, segments roll every 10 s.
        let log0 = log_with(&mut store, &[(1, 30)], 1_000_000);
        let mut log = log0.clone();
        assert!(log.segments().len() >= 3);
        // At 35 s with retention 15 s, the segments whose newest record is older than 20 s go.
        let deleted = log.apply_retention(35_000_000, Some(15_000_000), None, 30);
        assert!(!deleted.is_empty());
        assert!(log.log_start_offset() > 0);
        assert_eq!(log.log_start_offset(), log.segments()[0].base_offset);
        assert_eq!(log.log_end_offset(), 30);
        // Nothing at or above the high watermark is deleted.
        let mut capped = log0.clone();
        capped.apply_retention(35_000_000, Some(15_000_000), None, 0);
        assert_eq!(capped.log_start_offset(), 0);
        log.check_invariants(false);
    }

    #[test]
    fn compaction_keeps_the_latest_value_per_key_and_offsets() {
        let mut store = RecordStore::default();
        let mut log = PartitionLog::default();
        let roll = RollPolicy {
            segment_ms: 1_000_000,
            segment_bytes: 1 << 30,
        };
        let writes = [
            ("rick", Some("silver")),
            ("allison", Some("bronze")),
            ("rick", Some("platinum")),
            ("hugh", Some("gold")),
            ("hugh", None),
        ];
        for (i, (k, v)) in writes.iter().enumerate() {
            let ts = i as Micros * 2_000_000;
            let id = record(&mut store, Some(k), *v, ts);
            log.append(id, 1, &store, roll);
        }
        // One more record rolls the active segment past everything above.
        let id = record(&mut store, Some("zed"), Some("z"), 20_000_000);
        log.append(id, 1, &store, roll);
        let removed = log.compact(&store, 20_000_000, 6, 1_000_000, 0.5);
        assert_eq!(removed, 2, "rick's silver and hugh's gold are superseded");
        let offsets: Vec<u64> = log.entries().map(|e| e.offset).collect();
        assert_eq!(offsets, vec![1, 2, 4, 5]);
        assert_eq!(log.log_end_offset(), 6);
        // The tombstone survives the first cleaning and goes once delete.retention.ms has passed.
        let id = record(&mut store, Some("zed"), Some("z2"), 30_000_000);
        log.append(id, 1, &store, roll);
        log.compact(&store, 30_000_000, 7, 1_000_000, 0.0);
        assert!(log.entries().all(|e| store.key_text(e.id) != Some("hugh")));
        log.check_invariants(true);
    }

    #[test]
    fn compaction_waits_for_a_dirty_ratio_strictly_above_the_minimum() {
        let mut store = RecordStore::default();
        let mut log = PartitionLog::default();
        let roll = RollPolicy {
            segment_ms: 1_000_000,
            segment_bytes: 1 << 30,
        };
        // Every record 2 s apart: each one rolls a segment of its own (20 bytes each).
        let put = |log: &mut PartitionLog, store: &mut RecordStore, k: &str, ts: Micros| {
            let id = record(store, Some(k), Some("v"), ts);
            log.append(id, 1, store, roll);
        };
        put(&mut log, &mut store, "k1", 0);
        put(&mut log, &mut store, "k1", 2_000_000);
        put(&mut log, &mut store, "k2", 4_000_000);
        assert_eq!(log.compact(&store, 4_000_000, 3, 1_000_000, 0.5), 1);
        // Clean: offset 1 (20 bytes). Dirty and cleanable: offset 2 (20 bytes). Ratio 0.5 exactly.
        put(&mut log, &mut store, "k1", 6_000_000);
        assert_eq!(log.compact(&store, 6_000_000, 4, 1_000_000, 0.5), 0);
        // Offsets 2 and 3 dirty (40 of 60 bytes): now it cleans; offset 3 supersedes offset 1.
        put(&mut log, &mut store, "k3", 8_000_000);
        assert_eq!(log.compact(&store, 8_000_000, 5, 1_000_000, 0.5), 1);
        let offsets: Vec<u64> = log.entries().map(|e| e.offset).collect();
        assert_eq!(offsets, vec![2, 3, 4]);
        log.check_invariants(true);
    }

    #[test]
    fn compaction_stops_at_the_segment_holding_the_high_watermark() {
        let mut store = RecordStore::default();
        let mut log = PartitionLog::default();
        let roll = RollPolicy {
            segment_ms: 1_000_000,
            segment_bytes: 1 << 30,
        };
        // Segments: [0, 1] [2, 3] [4], all key k1 but the last.
        for (k, ts) in [
            ("k1", 0),
            ("k1", 500_000),
            ("k1", 2_000_000),
            ("k1", 2_500_000),
            ("k2", 4_000_000),
        ] {
            let id = record(&mut store, Some(k), Some("v"), ts);
            log.append(id, 1, &store, roll);
        }
        assert_eq!(log.segments().len(), 3);
        // The high watermark (3) is inside segment [2, 3]: only segment [0, 1] is cleanable.
        assert_eq!(log.compact(&store, 5_000_000, 3, 1_000_000, 0.5), 1);
        let offsets: Vec<u64> = log.entries().map(|e| e.offset).collect();
        assert_eq!(offsets, vec![1, 2, 3, 4]);
        log.check_invariants(true);
    }
}
