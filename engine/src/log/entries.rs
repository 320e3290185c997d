//! A replica log's entries in chunks that clones share (see `shared.rs`). Full chunks are sealed
//! behind `Arc`s: a clone of the log copies their pointers and only the open chunk it appends to
//! (at most 16 KB), and truncation, retention and compaction copy or replace only the sealed chunks
//! they touch.
//!
//! Sealed chunks are never empty and hold consecutive entries in offset order; the open chunk
//! follows them. Finding an offset is a binary search over the sealed chunks' last offsets (kept
//! in one contiguous vector), then one inside a chunk; fetches mostly ask for the open chunk,
//! which is looked at first.

use std::sync::Arc;

use super::Entry;
use crate::shared::{chunk_bytes, chunk_id, make_mut_chunk};

/// Entries per chunk: 16 KB, the most a clone copies of one replica's log.
pub const ENTRIES_PER_CHUNK: usize = 1024;

#[derive(Debug, Clone, Default)]
pub struct Entries {
    /// Sealed chunks, shared with clones, copied on write.
    sealed: Vec<Arc<Vec<Entry>>>,
    /// The offset of each sealed chunk's last entry.
    sealed_last: Vec<u64>,
    /// The open chunk, appended to: this log's own (a clone copies it).
    open: Vec<Entry>,
    len: usize,
    /// An empty whole-chunk buffer for the next open chunk: a follower's sealed chunk that
    /// `share_sealed_from` replaced by the leader's, reused rather than freed, so a follower
    /// appending at the leader's pace allocates no fresh memory for its entries.
    spare: Spare,
}

/// A buffer a clone does not copy (a clone starts without one).
#[derive(Debug, Default)]
struct Spare(Option<Vec<Entry>>);

impl Clone for Spare {
    fn clone(&self) -> Self {
        Spare(None)
    }
}

/// A place in the entries: chunk `sealed.len()` is the open chunk. `index < len` of a sealed
/// chunk; `index <= open.len()` in the open one (its length is the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Pos {
    chunk: usize,
    index: usize,
}

impl Entries {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn chunk(&self, i: usize) -> &[Entry] {
        match self.sealed.get(i) {
            Some(c) => c,
            None => &self.open,
        }
    }

    pub fn first(&self) -> Option<&Entry> {
        self.sealed.first().map_or(self.open.first(), |c| c.first())
    }

    pub fn last(&self) -> Option<&Entry> {
        self.open
            .last()
            .or_else(|| self.sealed.last().and_then(|c| c.last()))
    }

    #[inline]
    pub fn push(&mut self, entry: Entry) {
        debug_assert!(self.last().is_none_or(|l| l.offset < entry.offset));
        if self.open.len() >= ENTRIES_PER_CHUNK {
            self.seal();
        }
        if self.open.len() == self.open.capacity() {
            // A fresh or cloned open chunk: grow it to a whole chunk once, not by doubling.
            self.open.reserve_exact(ENTRIES_PER_CHUNK - self.open.len());
        }
        self.open.push(entry);
        self.len += 1;
    }

    fn seal(&mut self) {
        let next = self.spare.0.take().unwrap_or_default();
        let full = std::mem::replace(&mut self.open, next);
        self.sealed_last
            .push(full.last().expect("a full chunk").offset);
        self.sealed.push(Arc::new(full));
    }

    /// The first entry with an offset >= `offset`.
    fn position(&self, offset: u64) -> Pos {
        let chunk = if self.sealed_last.last().is_none_or(|&l| l < offset) {
            self.sealed.len()
        } else {
            self.sealed_last.partition_point(|&l| l < offset)
        };
        let index = self.chunk(chunk).partition_point(|e| e.offset < offset);
        Pos { chunk, index }
    }

    fn start(&self) -> Pos {
        Pos { chunk: 0, index: 0 }
    }

    fn end(&self) -> Pos {
        Pos {
            chunk: self.sealed.len(),
            index: self.open.len(),
        }
    }

    /// The entries from `a` to `b`, as slices.
    fn slices(&self, a: Pos, b: Pos) -> impl DoubleEndedIterator<Item = &[Entry]> + Clone + '_ {
        let b = b.max(a);
        (a.chunk..=b.chunk).map(move |i| {
            let c = self.chunk(i);
            let lo = if i == a.chunk { a.index } else { 0 };
            let hi = if i == b.chunk { b.index } else { c.len() };
            &c[lo..hi]
        })
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Entry> + Clone + '_ {
        self.slices(self.start(), self.end()).flatten()
    }

    /// Entries with offsets in `[from, to)`.
    pub fn range(
        &self,
        from: u64,
        to: u64,
    ) -> impl DoubleEndedIterator<Item = &Entry> + Clone + '_ {
        self.range_slices(from, to).flatten()
    }

    /// Entries with offsets in `[from, to)`, a slice per chunk (for the hot loops of fetches).
    pub fn range_slices(
        &self,
        from: u64,
        to: u64,
    ) -> impl DoubleEndedIterator<Item = &[Entry]> + Clone + '_ {
        let a = self.position(from);
        let b = if to == u64::MAX {
            self.end()
        } else {
            self.position(to)
        };
        self.slices(a, b)
    }

    pub fn get(&self, offset: u64) -> Option<&Entry> {
        let p = self.position(offset);
        self.chunk(p.chunk)
            .get(p.index)
            .filter(|e| e.offset == offset)
    }

    /// Removes every entry at or above `offset`, telling `removed` about each.
    pub fn truncate_from(&mut self, offset: u64, removed: impl FnMut(&Entry)) {
        let p = self.position(offset);
        self.len -= self.count(p, self.end(), removed);
        if p.chunk < self.sealed.len() {
            // The chunk holding `offset` becomes the open one, cut there.
            self.sealed.truncate(p.chunk + 1);
            self.sealed_last.truncate(p.chunk);
            let cut = self.sealed.pop().expect("the chunk holding the offset");
            self.open = Vec::with_capacity(ENTRIES_PER_CHUNK);
            self.open.extend_from_slice(&cut[..p.index]);
        } else {
            self.open.truncate(p.index);
        }
    }

    /// Removes every entry below `offset`, telling `removed` about each.
    pub fn remove_below(&mut self, offset: u64, removed: impl FnMut(&Entry)) {
        let p = self.position(offset);
        self.len -= self.count(self.start(), p, removed);
        if p.chunk < self.sealed.len() {
            self.sealed.drain(..p.chunk);
            self.sealed_last.drain(..p.chunk);
            if p.index > 0 {
                make_mut_chunk(&mut self.sealed[0], 0).drain(..p.index);
            }
        } else {
            self.sealed.clear();
            self.sealed_last.clear();
            self.open.drain(..p.index);
        }
    }

    /// Keeps the entries below `limit` for which `keep` says so (and every entry from `limit` on),
    /// telling `removed` about the others. Sealed chunks that lose nothing stay shared; the
    /// survivors of the others are packed into new chunks.
    pub fn retain_below(
        &mut self,
        limit: u64,
        mut keep: impl FnMut(&Entry) -> bool,
        mut removed: impl FnMut(&Entry),
    ) {
        let mut out: Vec<Arc<Vec<Entry>>> = Vec::with_capacity(self.sealed.len());
        let mut packing: Vec<Entry> = Vec::new();
        let flush = |out: &mut Vec<Arc<Vec<Entry>>>, packing: &mut Vec<Entry>| {
            for part in packing.chunks(ENTRIES_PER_CHUNK) {
                out.push(Arc::new(part.to_vec()));
            }
            packing.clear();
        };
        let mut survive = |e: &Entry| e.offset >= limit || keep(e);
        for chunk in std::mem::take(&mut self.sealed) {
            if chunk.first().is_some_and(|e| e.offset >= limit) {
                flush(&mut out, &mut packing);
                out.push(chunk);
                continue;
            }
            let before = packing.len();
            let mut changed = false;
            for e in chunk.iter() {
                if survive(e) {
                    packing.push(*e);
                } else {
                    removed(e);
                    changed = true;
                }
            }
            if !changed {
                // Nothing removed: keep sharing this chunk with clones.
                packing.truncate(before);
                flush(&mut out, &mut packing);
                out.push(chunk);
            }
        }
        for e in std::mem::take(&mut self.open) {
            if survive(&e) {
                packing.push(e);
            } else {
                removed(&e);
            }
        }
        // The survivors after the last untouched chunk: whole chunks are sealed, the rest is open.
        let whole = packing.len() - packing.len() % ENTRIES_PER_CHUNK;
        let rest = packing.split_off(whole);
        flush(&mut out, &mut packing);
        self.open = Vec::with_capacity(ENTRIES_PER_CHUNK);
        self.open.extend_from_slice(&rest);
        self.sealed_last = out
            .iter()
            .map(|c| c.last().expect("sealed chunks are never empty").offset)
            .collect();
        self.len = out.iter().map(|c| c.len()).sum::<usize>() + self.open.len();
        self.sealed = out;
    }

    pub fn clear(&mut self) {
        *self = Entries::default();
    }

    /// Tells `f` about the entries from `a` to `b` and returns how many there are.
    fn count(&self, a: Pos, b: Pos, mut f: impl FnMut(&Entry)) -> usize {
        let mut n = 0;
        for s in self.slices(a, b) {
            n += s.len();
            s.iter().for_each(&mut f);
        }
        n
    }

    /// How many chunks are sealed (see `share_sealed_from`).
    pub fn sealed_count(&self) -> usize {
        self.sealed.len()
    }

    /// Makes this log's sealed chunks from index `from` on the same allocation as `other`'s
    /// sealed chunk with identical entries, where there is one. A follower copies the leader's
    /// entries one by one into a log of its own (as each Kafka replica writes its own segment
    /// files); once a chunk is sealed it never changes in place (truncation, retention and
    /// compaction copy or replace it), so three replicas holding the same 1,024 entries can hold
    /// one chunk, as clones already do. What any replica reads stays the same; only memory
    /// shrinks. Returns how many chunks were shared.
    pub fn share_sealed_from(&mut self, from: usize, other: &Entries) -> usize {
        let mut shared = 0;
        for i in from..self.sealed.len() {
            let Ok(j) = other.sealed_last.binary_search(&self.sealed_last[i]) else {
                continue;
            };
            let (mine, theirs) = (&self.sealed[i], &other.sealed[j]);
            if !Arc::ptr_eq(mine, theirs) && mine[..] == theirs[..] {
                let own = std::mem::replace(&mut self.sealed[i], Arc::clone(theirs));
                // Unless a clone (a time-travel checkpoint) shares it, it becomes the spare.
                if let (None, Ok(mut buffer)) = (&self.spare.0, Arc::try_unwrap(own)) {
                    buffer.clear();
                    self.spare.0 = Some(buffer);
                }
                shared += 1;
            }
        }
        shared
    }

    /// Every sealed chunk's identity and heap bytes (for the memory measure).
    pub fn for_each_chunk(&self, f: &mut dyn FnMut(usize, usize)) {
        for c in &self.sealed {
            f(chunk_id(c), chunk_bytes(c));
        }
    }

    /// Bytes this log holds alone: the chunk tables and the open chunk.
    pub fn unshared_bytes(&self) -> usize {
        self.sealed.capacity() * size_of::<Arc<Vec<Entry>>>()
            + self.sealed_last.capacity() * size_of::<u64>()
            + self.open.capacity() * size_of::<Entry>()
            + self
                .spare
                .0
                .as_ref()
                .map_or(0, |b| b.capacity() * size_of::<Entry>())
    }

    /// Sealed chunks are never empty, their last offsets are indexed, `len` counts every entry.
    pub fn check_invariants(&self) {
        assert!(self.sealed.iter().all(|c| !c.is_empty()), "no empty chunk");
        assert!(
            self.sealed
                .iter()
                .map(|c| c.last().map(|e| e.offset))
                .eq(self.sealed_last.iter().map(|&l| Some(l))),
            "the last offsets index the sealed chunks"
        );
        assert_eq!(
            self.len,
            self.sealed.iter().map(|c| c.len()).sum::<usize>() + self.open.len(),
            "the entry count matches the chunks"
        );
        assert!(
            self.spare.0.as_ref().is_none_or(|b| b.is_empty()),
            "a spare buffer holds no entries"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RecordId;

    fn entries(offsets: impl IntoIterator<Item = u64>) -> Entries {
        let mut e = Entries::default();
        for offset in offsets {
            e.push(Entry {
                offset,
                id: RecordId(offset as u32),
                epoch: 0,
            });
        }
        e
    }

    fn offsets<'a>(it: impl Iterator<Item = &'a Entry>) -> Vec<u64> {
        it.map(|e| e.offset).collect()
    }

    #[test]
    fn ranges_cross_chunks() {
        let n = 3 * ENTRIES_PER_CHUNK as u64 + 5;
        let e = entries(0..n);
        assert_eq!(e.len(), n as usize);
        let from = ENTRIES_PER_CHUNK as u64 - 2;
        let to = 2 * ENTRIES_PER_CHUNK as u64 + 3;
        assert_eq!(offsets(e.range(from, to)), (from..to).collect::<Vec<_>>());
        assert_eq!(offsets(e.range(to, from)), Vec::<u64>::new());
        assert_eq!(offsets(e.range(n - 2, u64::MAX)), vec![n - 2, n - 1]);
        assert_eq!(offsets(e.range(0, 2).rev()), vec![1, 0]);
        assert_eq!(e.get(from).map(|x| x.offset), Some(from));
        assert!(e.get(n).is_none());
    }

    #[test]
    fn a_follower_shares_only_identical_sealed_chunks() {
        let n = 3 * ENTRIES_PER_CHUNK as u64 + 5;
        let leader = entries(0..n);
        let mut follower = entries(0..n);
        // A third log whose second chunk differs in one record's epoch: that chunk stays its own.
        let mut diverged = Entries::default();
        for offset in 0..n {
            let epoch = u32::from(offset == ENTRIES_PER_CHUNK as u64 + 7);
            diverged.push(Entry {
                offset,
                id: RecordId(offset as u32),
                epoch,
            });
        }
        assert_eq!(follower.share_sealed_from(0, &leader), 3);
        assert!(
            follower.spare.0.as_ref().is_some_and(|b| b.is_empty()),
            "a replaced chunk's buffer is kept for the next open chunk"
        );
        assert_eq!(diverged.share_sealed_from(0, &leader), 2);
        assert_eq!(follower.share_sealed_from(0, &leader), 0, "already shared");
        let ids = |e: &Entries| {
            let mut v = Vec::new();
            e.for_each_chunk(&mut |id, _| v.push(id));
            v
        };
        assert_eq!(ids(&follower), ids(&leader));
        assert_eq!(ids(&diverged)[0], ids(&leader)[0]);
        assert_ne!(ids(&diverged)[1], ids(&leader)[1]);
        assert_eq!(offsets(follower.iter()), (0..n).collect::<Vec<_>>());
        follower.check_invariants();
        diverged.check_invariants();
        // Truncating the follower copies the shared chunk it cuts; the leader keeps all of it.
        follower.truncate_from(ENTRIES_PER_CHUNK as u64 + 3, |_| {});
        assert_eq!(leader.len(), n as usize);
        assert_eq!(follower.len(), ENTRIES_PER_CHUNK + 3);
    }

    #[test]
    fn truncation_and_removal_copy_only_what_they_touch() {
        let n = 3 * ENTRIES_PER_CHUNK as u64;
        let mut e = entries(0..n);
        let checkpoint = e.clone();
        let mut gone = 0;
        e.truncate_from(n - 10, |_| gone += 1);
        e.remove_below(ENTRIES_PER_CHUNK as u64 + 3, |_| gone += 1);
        assert_eq!(gone, 10 + ENTRIES_PER_CHUNK + 3);
        assert_eq!(
            e.first().map(|x| x.offset),
            Some(ENTRIES_PER_CHUNK as u64 + 3)
        );
        assert_eq!(e.last().map(|x| x.offset), Some(n - 11));
        assert_eq!(checkpoint.len(), n as usize, "the clone is untouched");
        e.check_invariants();
        checkpoint.check_invariants();
        let mut ids = Vec::new();
        checkpoint.for_each_chunk(&mut |id, _| ids.push(id));
        let mut now = Vec::new();
        e.for_each_chunk(&mut |id, _| now.push(id));
        // Chunk 0 was dropped, chunk 1 lost its head (copied), chunk 2 was cut and is now open.
        assert_eq!(now.len(), 1);
        assert!(
            !ids.contains(&now[0]),
            "the chunk that lost its head was copied"
        );
    }

    #[test]
    fn retaining_keeps_untouched_chunks_shared() {
        let n = 3 * ENTRIES_PER_CHUNK as u64;
        let mut e = entries(0..n);
        let checkpoint = e.clone();
        let mut removed = 0;
        // Remove the odd offsets of the first chunk only.
        e.retain_below(
            ENTRIES_PER_CHUNK as u64,
            |x| x.offset % 2 == 0,
            |_| removed += 1,
        );
        assert_eq!(removed, ENTRIES_PER_CHUNK / 2);
        assert_eq!(e.len(), n as usize - ENTRIES_PER_CHUNK / 2);
        let mut before = Vec::new();
        checkpoint.for_each_chunk(&mut |id, _| before.push(id));
        let mut after = Vec::new();
        e.for_each_chunk(&mut |id, _| after.push(id));
        assert_ne!(before[0], after[0]);
        assert_eq!(before[1], after[1]);
        assert_eq!(after.len(), 3, "whole chunks of survivors are sealed");
        e.check_invariants();
        assert_eq!(offsets(e.range(0, 5)), vec![0, 2, 4]);
    }
}
