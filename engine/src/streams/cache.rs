//! Kafka Streams' record cache: one `ThreadCache` per stream thread, holding a `NamedCache` per
//! task and store (namespace `<taskId>-<store>`), bounded by `statestore.cache.max.bytes`
//! divided among the threads.
//!
//! Reproduced from `ThreadCache` and `NamedCache`:
//! - a put makes the entry dirty and most recently used; a dirty key moves to the end of the
//!   dirty order (`dirtyKeys.remove; dirtyKeys.add`); a read hit makes it most recently used;
//! - when the thread's cache is over its budget, the cache just written to evicts its least
//!   recently used entry (`ThreadCache.maybeEvict`, repeatedly); evicting a dirty entry flushes
//!   *every* dirty entry of that named cache, the evicted one first (`NamedCache.evict` →
//!   `flush`);
//! - a commit flushes each named cache (`NamedCache.flush`); flushed deletes leave the cache;
//! - an entry's size is `LRUNode.size()`: key bytes, three references (24), the dirty flag, the
//!   value bytes (with the store's 8-byte timestamp) and the record context (timestamp, offset,
//!   topic, partition).
//!
//! As in Kafka, the LRU and dirty orders are linked lists (here over a slab), so a hit or a
//! put costs one hash lookup, and most cost none: a text key is usually the very `Arc` a slot
//! holds (see `NamedCache::hints`). The caller (the task) forwards the flushed entries
//! downstream and writes them to its store and changelog, as `CachingKeyValueStore`'s flush
//! listener does.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::value::Val;
use crate::fxhash::FxBuild;
use crate::time::Micros;

/// A dirty entry handed back by a flush, in dirty order.
#[derive(Debug, Clone, PartialEq)]
pub struct DirtyEntry {
    pub key: Val,
    /// `Null` for a delete.
    pub value: Val,
    pub timestamp: Micros,
}

/// A named cache of a `ThreadCache`, from `ThreadCache::named`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheId(usize);

const NIL: usize = usize::MAX;

/// Entries of a named cache's address hints (`NamedCache::hints`): a word count's keys are a
/// few hundred words, often fewer; 4 KB per named cache.
const HINTS: usize = 1024;

/// No slot hinted.
const NO_HINT: u32 = u32::MAX;

/// A text key's entry in the address hints: its `Arc`'s address, Fibonacci-hashed (the
/// allocator aligns addresses, so their low bits alone would crowd a few entries).
fn hint_of(text: &Arc<str>) -> usize {
    let address = Arc::as_ptr(text).cast::<u8>() as usize as u64;
    (address.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - HINTS.trailing_zeros())) as usize
}

/// Slot `i` as a hint; a slot beyond `u32` (never in practice) is not hinted.
fn hint_slot(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NO_HINT)
}

#[derive(Debug, Clone)]
struct Slot {
    key: Val,
    value: Val,
    timestamp: Micros,
    dirty: bool,
    size: u64,
    /// Toward the most recently used / the least recently used.
    newer: usize,
    older: usize,
    /// Dirty order: written before / after.
    dirty_prev: usize,
    dirty_next: usize,
}

#[derive(Debug, Clone)]
struct NamedCache {
    /// Looked up only, never iterated (the lists are), so a hash map keeps runs deterministic.
    index: HashMap<Val, usize, FxBuild>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    /// Most and least recently used.
    newest: usize,
    eldest: usize,
    /// First and last dirty key, in write order.
    dirty_first: usize,
    dirty_last: usize,
    size: u64,
    /// The slot last read or written: an aggregation reads its key and writes it back at once
    /// (`get` then `put`), and the write finds the slot here without hashing the key again.
    /// Only a hint: it counts only while the slot is live (a live slot has a size) and holds
    /// the same key, which then is the index's slot for that key.
    recent: usize,
    /// The slot of recently found text keys, by the address of the key's `Arc` (`hint_of`).
    /// A word's key is the same `Arc` record after record (the thread's `Words`, the record
    /// store's interned text, which a slot keeps from the first time), so a key found here
    /// costs a comparison of addresses instead of hashing and comparing its bytes. Only a
    /// hint: it counts when the slot holds that very `Arc`. That `Arc` is then alive, so its
    /// address was not reused by another text, and the slot is the index's for the key (a
    /// slot keeps the key it was made with; a freed slot holds `Null`).
    hints: Vec<u32>,
}

impl NamedCache {
    fn new() -> NamedCache {
        NamedCache {
            index: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            newest: NIL,
            eldest: NIL,
            dirty_first: NIL,
            dirty_last: NIL,
            size: 0,
            recent: NIL,
            hints: vec![NO_HINT; HINTS],
        }
    }

    /// The slot of `key`: by the address hints when the key is a text a slot holds, else by
    /// the index (and a text found there is hinted for next time).
    fn find(&mut self, key: &Val) -> Option<usize> {
        let Val::Text(text) = key else {
            return self.index.get(key).copied();
        };
        let hint = hint_of(text);
        let i = self.hints[hint] as usize;
        if let Some(Slot {
            key: Val::Text(held),
            ..
        }) = self.slots.get(i)
            && Arc::ptr_eq(held, text)
        {
            debug_assert_eq!(self.index.get(key), Some(&i), "a hinted slot is the key's");
            return Some(i);
        }
        let found = self.index.get(key).copied();
        if let Some(i) = found {
            self.hints[hint] = hint_slot(i);
        }
        found
    }

    /// A new slot `i` for `key`: hinted, as its next read is likely soon.
    fn hint_new(&mut self, key: &Val, i: usize) {
        if let Val::Text(text) = key {
            self.hints[hint_of(text)] = hint_slot(i);
        }
    }

    fn unlink_lru(&mut self, i: usize) {
        let (newer, older) = (self.slots[i].newer, self.slots[i].older);
        match newer {
            NIL => self.newest = older,
            n => self.slots[n].older = older,
        }
        match older {
            NIL => self.eldest = newer,
            o => self.slots[o].newer = newer,
        }
    }

    fn push_newest(&mut self, i: usize) {
        self.slots[i].newer = NIL;
        self.slots[i].older = self.newest;
        match self.newest {
            NIL => self.eldest = i,
            n => self.slots[n].newer = i,
        }
        self.newest = i;
    }

    fn unlink_dirty(&mut self, i: usize) {
        let (prev, next) = (self.slots[i].dirty_prev, self.slots[i].dirty_next);
        match prev {
            NIL => self.dirty_first = next,
            p => self.slots[p].dirty_next = next,
        }
        match next {
            NIL => self.dirty_last = prev,
            n => self.slots[n].dirty_prev = prev,
        }
        self.slots[i].dirty = false;
    }

    fn push_dirty(&mut self, i: usize) {
        self.slots[i].dirty = true;
        self.slots[i].dirty_next = NIL;
        self.slots[i].dirty_prev = self.dirty_last;
        match self.dirty_last {
            NIL => self.dirty_first = i,
            l => self.slots[l].dirty_next = i,
        }
        self.dirty_last = i;
    }

    /// Makes a live entry the most recently used. Already the newest (a key read and then
    /// written back at once), unlinking and pushing it again would leave every link as it is.
    fn touch(&mut self, i: usize) {
        if self.newest != i {
            self.unlink_lru(i);
            self.push_newest(i);
        }
    }

    /// Removes an entry entirely; returns it.
    fn remove(&mut self, i: usize) -> Slot {
        self.unlink_lru(i);
        if self.slots[i].dirty {
            self.unlink_dirty(i);
        }
        let slot = std::mem::replace(
            &mut self.slots[i],
            Slot {
                key: Val::Null,
                value: Val::Null,
                timestamp: 0,
                dirty: false,
                size: 0,
                newer: NIL,
                older: NIL,
                dirty_prev: NIL,
                dirty_next: NIL,
            },
        );
        self.index.remove(&slot.key);
        self.free.push(i);
        self.size -= slot.size;
        slot
    }

    /// `NamedCache.flush`: dirty entries in write order; they become clean, deletes leave.
    fn flush(&mut self, flushed: &mut Vec<DirtyEntry>) -> u64 {
        let mut freed = 0;
        let mut at = self.dirty_first;
        while at != NIL {
            let next = self.slots[at].dirty_next;
            let s = &self.slots[at];
            flushed.push(DirtyEntry {
                key: s.key.clone(),
                value: s.value.clone(),
                timestamp: s.timestamp,
            });
            self.slots[at].dirty = false;
            if self.slots[at].value.is_null() {
                self.unlink_lru(at);
                let key = std::mem::take(&mut self.slots[at].key);
                self.index.remove(&key);
                self.free.push(at);
                let size = std::mem::take(&mut self.slots[at].size);
                self.size -= size;
                freed += size;
            }
            at = next;
        }
        self.dirty_first = NIL;
        self.dirty_last = NIL;
        freed
    }
}

/// The cache of one stream thread.
#[derive(Debug, Clone)]
pub struct ThreadCache {
    max_bytes: u64,
    size: u64,
    caches: Vec<Option<NamedCache>>,
    names: BTreeMap<String, usize>,
    /// Kafka's cache metrics: hits, misses, evictions, flushes.
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub flushes: u64,
}

/// What a value weighs in the cache: its serialized length (the playground writes text as is
/// and everything else as JSON), computed without serializing the common cases.
///
/// Inlined: every put weighs its key and its value (a word and a count), and the common cases
/// are a few instructions; the rest is written out, away from them.
#[inline]
pub fn serialized_len(v: &Val) -> u64 {
    match v {
        Val::Null => 0,
        Val::Text(s) => s.len() as u64,
        Val::Int(i) => decimal_digits(i.unsigned_abs()) + u64::from(*i < 0),
        Val::Bool(b) => 4 + u64::from(!b),
        other => written_len(other),
    }
}

/// The length of a float, list or object as JSON.
#[cold]
#[inline(never)]
fn written_len(v: &Val) -> u64 {
    v.to_string().len() as u64
}

/// The decimal digits of `n` (1 for 0). Every put weighs its value and a count is an
/// integer: the bit length gives the digits or one less (1233/4096 ≈ log10 2), and one
/// comparison with a power of ten settles which, where `ilog10` is a chain of comparisons.
fn decimal_digits(n: u64) -> u64 {
    const POWERS_OF_TEN: [u64; 20] = {
        let mut powers = [1u64; 20];
        let mut i = 1;
        while i < powers.len() {
            powers[i] = powers[i - 1] * 10;
            i += 1;
        }
        powers
    };
    // `| 1` counts 0 as one digit and changes no other count (10^k - 1 is odd).
    let n = n | 1;
    let guess = ((64 - n.leading_zeros()) * 1233) >> 12;
    u64::from(guess) + u64::from(n >= POWERS_OF_TEN[guess as usize])
}

impl ThreadCache {
    pub fn new(max_bytes: u64) -> ThreadCache {
        ThreadCache {
            max_bytes,
            size: 0,
            caches: Vec::new(),
            names: BTreeMap::new(),
            hits: 0,
            misses: 0,
            evictions: 0,
            flushes: 0,
        }
    }

    /// Bytes in use over every named cache.
    pub fn size_bytes(&self) -> u64 {
        self.size
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// `ThreadCache.nameSpaceFromTaskIdAndStore`
    pub fn namespace(task: &str, store: &str) -> String {
        format!("{task}-{store}")
    }

    /// The named cache for `namespace`, created if needed (`getOrCreateCache`).
    pub fn named(&mut self, namespace: &str) -> CacheId {
        if let Some(&i) = self.names.get(namespace) {
            if self.caches[i].is_none() {
                self.caches[i] = Some(NamedCache::new());
            }
            return CacheId(i);
        }
        self.caches.push(Some(NamedCache::new()));
        let i = self.caches.len() - 1;
        self.names.insert(namespace.to_string(), i);
        CacheId(i)
    }

    /// `ThreadCache.close(namespace)`: a closed task's entries leave, unflushed.
    pub fn close(&mut self, id: CacheId) {
        if let Some(c) = self.caches[id.0].take() {
            self.size -= c.size;
        }
    }

    /// Entries in a named cache.
    pub fn len(&self, id: CacheId) -> usize {
        self.caches[id.0].as_ref().map_or(0, |c| c.index.len())
    }

    /// The cached value and its timestamp (`Some(Null, _)` is a cached delete); a hit becomes
    /// the most recently used entry.
    pub fn get(&mut self, id: CacheId, key: &Val) -> Option<(Val, Micros)> {
        let Some(cache) = self.caches[id.0].as_mut() else {
            self.misses += 1;
            return None;
        };
        match cache.find(key) {
            Some(i) => {
                self.hits += 1;
                cache.recent = i;
                cache.touch(i);
                let s = &cache.slots[i];
                Some((s.value.clone(), s.timestamp))
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// The cached value without touching the LRU order or the hit counters: an `expect` reads
    /// what Kafka's `CachingKeyValueStore.get` would return, but must change nothing (Kafka's
    /// interactive query also refreshes the entry's LRU position; the playground's question
    /// leaves the simulation as it was).
    pub fn peek(&self, id: CacheId, key: &Val) -> Option<(Val, Micros)> {
        let cache = self.caches[id.0].as_ref()?;
        let s = &cache.slots[*cache.index.get(key)?];
        Some((s.value.clone(), s.timestamp))
    }

    /// The dirty entries of one named cache in write order, without touching anything: what
    /// the next commit (or an eviction) will write to the store, its changelog and downstream.
    /// Values are `Null` for a delete. For the page, which draws a store as Kafka's interactive
    /// queries read it (`CachingKeyValueStore`: the cache first, then the store).
    pub fn dirty(&self, id: CacheId) -> impl Iterator<Item = (&Val, &Val, Micros)> {
        let cache = self.caches[id.0].as_ref();
        let mut at = cache.map_or(NIL, |c| c.dirty_first);
        std::iter::from_fn(move || {
            let c = cache?;
            (at != NIL).then(|| {
                let s = &c.slots[at];
                at = s.dirty_next;
                (&s.key, &s.value, s.timestamp)
            })
        })
    }

    /// `ThreadCache.put`: writes an entry (dirty for a processor's write, clean for a value
    /// read from the store), then evicts while over budget. Entries flushed by an eviction are
    /// appended to `flushed`.
    #[allow(clippy::too_many_arguments)]
    pub fn put(
        &mut self,
        id: CacheId,
        key: &Val,
        value: Val,
        timestamp: Micros,
        dirty: bool,
        topic_len: usize,
        flushed: &mut Vec<DirtyEntry>,
    ) {
        let Some(cache) = self.caches[id.0].as_mut() else {
            return;
        };
        // LRUNode.size(): key + 3 refs + LRUCacheEntry (dirty flag + value + record context:
        // timestamp, offset, topic chars, partition); the store's value carries its timestamp.
        let size = serialized_len(key)
            + 24
            + 1
            + (8 + serialized_len(&value))
            + 8
            + 8
            + topic_len as u64
            + 4;
        let found = match cache.slots.get(cache.recent) {
            Some(s) if s.size > 0 && s.key == *key => Some(cache.recent),
            _ => cache.find(key),
        };
        debug_assert_eq!(
            found,
            cache.index.get(key).copied(),
            "the recent slot is the key's"
        );
        let i = match found {
            Some(i) => {
                let s = &mut cache.slots[i];
                cache.size -= s.size;
                self.size -= s.size;
                s.value = value;
                s.timestamp = timestamp;
                s.size = size;
                cache.touch(i);
                // `dirtyKeys.remove; dirtyKeys.add`: the key moves to the end of the dirty
                // order, where a key written again at once already is.
                if dirty && cache.dirty_last != i {
                    if cache.slots[i].dirty {
                        cache.unlink_dirty(i);
                    }
                    cache.push_dirty(i);
                }
                i
            }
            None => {
                let slot = Slot {
                    key: key.clone(),
                    value,
                    timestamp,
                    dirty: false,
                    size,
                    newer: NIL,
                    older: NIL,
                    dirty_prev: NIL,
                    dirty_next: NIL,
                };
                let i = match cache.free.pop() {
                    Some(i) => {
                        cache.slots[i] = slot;
                        i
                    }
                    None => {
                        cache.slots.push(slot);
                        cache.slots.len() - 1
                    }
                };
                cache.index.insert(key.clone(), i);
                cache.hint_new(key, i);
                cache.push_newest(i);
                if dirty {
                    cache.push_dirty(i);
                }
                i
            }
        };
        cache.recent = i;
        cache.size += size;
        self.size += size;
        // ThreadCache.maybeEvict: only the cache just written to gives way.
        while self.size > self.max_bytes {
            let Some(cache) = self.caches[id.0].as_mut() else {
                return;
            };
            if cache.eldest == NIL {
                return;
            }
            let was_dirty = cache.slots[cache.eldest].dirty;
            let evicted = cache.remove(cache.eldest);
            self.size -= evicted.size;
            self.evictions += 1;
            if was_dirty {
                flushed.push(DirtyEntry {
                    key: evicted.key,
                    value: evicted.value,
                    timestamp: evicted.timestamp,
                });
                self.flush(id, flushed);
            }
        }
    }

    /// `NamedCache.flush`: every dirty entry, in the order the keys were last written.
    pub fn flush(&mut self, id: CacheId, flushed: &mut Vec<DirtyEntry>) {
        if let Some(cache) = self.caches[id.0].as_mut() {
            self.flushes += 1;
            let freed = cache.flush(flushed);
            self.size -= freed;
        }
    }
}

impl ThreadCache {
    /// An estimate of the bytes the cache holds (the room's measure, `memory.rs`): its slots
    /// and hash indexes, and what the entries weigh as Kafka weighs them (their serialized
    /// keys and values), which `max_bytes` bounds.
    pub fn heap_bytes(&self) -> usize {
        let named = |c: &NamedCache| {
            c.index.capacity() * (size_of::<(Val, usize)>() + 1)
                + c.hints.capacity() * size_of::<u32>()
                + c.slots.capacity() * size_of::<Slot>()
                + c.free.capacity() * size_of::<usize>()
        };
        let caches: usize = self.caches.iter().flatten().map(named).sum();
        self.caches.capacity() * size_of::<Option<NamedCache>>()
            + caches
            + usize::try_from(self.size).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_integer_weighs_its_written_digits() {
        let mut samples = vec![0, 1, 9, 10, 11, 99, 100, 101, i64::MAX, i64::MIN, -1, -10];
        for k in 1..19 {
            let p = 10i64.pow(k);
            samples.extend([p - 1, p, p + 1, -p, -(p - 1)]);
        }
        for i in samples {
            assert_eq!(
                serialized_len(&Val::Int(i)),
                i.to_string().len() as u64,
                "{i}"
            );
        }
    }

    #[test]
    fn eviction_takes_the_least_recently_used_and_flushes_every_dirty_entry() {
        let mut cache = ThreadCache::new(1000);
        let id = cache.named("0_0-counts");
        let mut flushed = Vec::new();
        for k in ["a", "b", "c"] {
            cache.put(id, &Val::text(k), Val::Int(1), 0, true, 0, &mut flushed);
        }
        // "a" read: "b" is now the eldest.
        assert!(cache.get(id, &Val::text("a")).is_some());
        let per_entry = cache.size_bytes() / 3;
        let mut small = cache.clone();
        small.max_bytes = per_entry * 3;
        small.put(id, &Val::text("d"), Val::Int(1), 0, true, 0, &mut flushed);
        // "b" evicted dirty: it comes first, then the rest in write order (a, c, d).
        let keys: Vec<String> = flushed.iter().map(|e| e.key.to_string()).collect();
        assert_eq!(keys, ["b", "a", "c", "d"]);
        assert_eq!(small.len(id), 3);
        assert!(small.get(id, &Val::text("b")).is_none());
        // A second flush finds nothing dirty.
        flushed.clear();
        small.flush(id, &mut flushed);
        assert!(flushed.is_empty());
    }
}
