//! Structural sharing, so that a checkpoint costs what changed since the previous one.
//!
//! Everything that grows with the records (the record store, its acked/lost bits, the groups'
//! consumed bits, every replica log's entries) lives in fixed-size chunks behind `Arc`s. Cloning
//! the cluster clones pointers; a writer copies a chunk only while a clone still shares it (copy on
//! write), so the server's time-travel checkpoints share every chunk that did not change between
//! them. Record ids are allocated in increasing order, so chunk `k` of the store holds records
//! `k * RECORDS_PER_CHUNK ..`, and a chunk nothing refers to any more can be dropped as a whole
//! (see `reclaim.rs`).

use std::sync::Arc;

use crate::record::{RECORDS_PER_CHUNK, RecordId};

/// `Arc::make_mut` for a chunk that is appended to: a shared chunk is copied into a fresh vector of
/// `capacity` (so that appending to the copy does not reallocate), a unique one is returned as is.
pub(crate) fn make_mut_chunk<T: Clone>(chunk: &mut Arc<Vec<T>>, capacity: usize) -> &mut Vec<T> {
    if Arc::get_mut(chunk).is_none() {
        let mut copy = Vec::with_capacity(capacity.max(chunk.len()));
        copy.extend_from_slice(chunk);
        *chunk = Arc::new(copy);
    }
    Arc::get_mut(chunk).expect("a chunk is unique after copying it")
}

/// Heap bytes of a chunk of `T`s, counting its capacity and the `Arc`'s two counters.
pub(crate) fn chunk_bytes<T>(chunk: &Arc<Vec<T>>) -> usize {
    chunk.capacity() * size_of::<T>() + 2 * size_of::<usize>()
}

/// A chunk's identity for de-duplicating shared bytes: the address of its allocation.
pub(crate) fn chunk_id<T: ?Sized>(chunk: &Arc<T>) -> usize {
    Arc::as_ptr(chunk).cast::<u8>() as usize
}

/// 64-bit words per chunk of bits (one bit per record id).
pub(crate) const WORDS_PER_CHUNK: usize = RECORDS_PER_CHUNK as usize / 64;

/// One chunk of bits.
pub(crate) type Words = [u64; WORDS_PER_CHUNK];

/// Heap bytes of a chunk of bits.
pub(crate) const WORDS_BYTES: usize = size_of::<Words>() + 2 * size_of::<usize>();

/// Reads a bit of one chunk.
#[inline]
pub(crate) fn get_bit(words: &Words, id: RecordId) -> bool {
    let i = id.0 as usize % RECORDS_PER_CHUNK as usize;
    words[i / 64] & (1 << (i % 64)) != 0
}

/// Sets or clears a bit of one chunk, copying it first if a clone shares it.
pub(crate) fn set_bit(words: &mut Arc<Words>, id: RecordId, on: bool) {
    set_word_bit(Arc::make_mut(words), id, on);
}

/// Sets or clears a bit of a chunk this cluster owns alone.
#[inline]
pub(crate) fn set_word_bit(words: &mut Words, id: RecordId, on: bool) {
    let i = id.0 as usize % RECORDS_PER_CHUNK as usize;
    let w = &mut words[i / 64];
    if on {
        *w |= 1 << (i % 64);
    } else {
        *w &= !(1 << (i % 64));
    }
}

/// One bit per record id, in chunks that clones share. A chunk that was never written reads as all
/// zeros; a chunk of records the store freed is dropped here too (`free`), and nothing asks about
/// those records again.
#[derive(Debug, Clone, Default)]
pub struct ChunkedBits {
    /// The chunk index of `chunks[0]`: chunks below it were freed.
    first: u32,
    chunks: Vec<Option<Arc<Words>>>,
}

impl ChunkedBits {
    pub fn get(&self, id: RecordId) -> bool {
        let Some(i) = id.chunk().checked_sub(self.first) else {
            return false;
        };
        self.chunks
            .get(i as usize)
            .and_then(Option::as_ref)
            .is_some_and(|w| get_bit(w, id))
    }

    pub fn set(&mut self, id: RecordId, on: bool) {
        if !on && self.chunks.len() <= self.index(id) {
            return;
        }
        set_bit(self.chunk_mut(id), id, on);
    }

    /// Sets a record's bit and says whether it was set already: one lookup of its chunk, and a
    /// copy of a shared chunk only when the bit changes.
    pub fn test_and_set(&mut self, id: RecordId) -> bool {
        let words = self.chunk_mut(id);
        if get_bit(words, id) {
            return true;
        }
        set_bit(words, id, true);
        false
    }

    /// The chunk holding `id`'s bit, made (all zeros) if it was never written.
    fn chunk_mut(&mut self, id: RecordId) -> &mut Arc<Words> {
        let i = self.index(id);
        if self.chunks.len() <= i {
            self.chunks.resize(i + 1, None);
        }
        self.chunks[i].get_or_insert_with(|| Arc::new([0; WORDS_PER_CHUNK]))
    }

    /// The index in `chunks` of `id`'s chunk; panics for a freed one.
    fn index(&self, id: RecordId) -> usize {
        id.chunk()
            .checked_sub(self.first)
            .unwrap_or_else(|| panic!("record {} was freed: nothing may refer to it", id.0))
            as usize
    }

    /// Drops the bits of a chunk of records the store freed.
    pub fn free(&mut self, chunk: u32) {
        if let Some(slot) = chunk
            .checked_sub(self.first)
            .and_then(|i| self.chunks.get_mut(i as usize))
        {
            *slot = None;
        }
        let gone = self.chunks.iter().take_while(|c| c.is_none()).count();
        if gone > 0 {
            self.chunks.drain(..gone);
            self.first += gone as u32;
        }
    }

    /// Every chunk's identity and heap bytes (for the memory measure).
    pub fn for_each_chunk(&self, f: &mut dyn FnMut(usize, usize)) {
        for words in self.chunks.iter().flatten() {
            f(chunk_id(words), WORDS_BYTES);
        }
    }

    /// Bytes of the chunk table itself (not shared between clones).
    pub fn table_bytes(&self) -> usize {
        self.chunks.capacity() * size_of::<Option<Arc<Words>>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_shares_bits_until_one_side_writes() {
        let mut a = ChunkedBits::default();
        a.set(RecordId(3), true);
        a.set(RecordId(RECORDS_PER_CHUNK + 1), true);
        let b = a.clone();
        a.set(RecordId(4), true);
        assert!(a.get(RecordId(4)) && !b.get(RecordId(4)));
        assert!(a.get(RecordId(3)) && b.get(RecordId(3)));
        let (mut ids_a, mut ids_b) = (Vec::new(), Vec::new());
        a.for_each_chunk(&mut |id, _| ids_a.push(id));
        b.for_each_chunk(&mut |id, _| ids_b.push(id));
        assert_ne!(ids_a[0], ids_b[0], "the written chunk was copied");
        assert_eq!(ids_a[1], ids_b[1], "the other one is still shared");
    }

    #[test]
    fn freeing_drops_a_chunk_and_reads_zero() {
        let mut bits = ChunkedBits::default();
        bits.set(RecordId(1), true);
        bits.set(RecordId(RECORDS_PER_CHUNK), true);
        bits.free(0);
        assert!(!bits.get(RecordId(1)));
        assert!(bits.get(RecordId(RECORDS_PER_CHUNK)));
        assert_eq!(bits.first, 1);
    }
}
