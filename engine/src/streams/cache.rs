//! Kafka Streams' record cache: one `ThreadCache` per stream thread, holding a `NamedCache` per
//! task and store (namespace `<taskId>-<store>`), bounded by `statestore.cache.max.bytes`
//! divided among the threads.
//!
//! Reproduced from `ThreadCache` and `NamedCache`:
//! - a put makes the entry dirty and most recently used; a dirty key moves to the end of the
//!   dirty order (`dirtyKeys.remove; dirtyKeys.add`);
//! - when the thread's cache is over its budget, the cache just written to evicts its least
//!   recently used entry (`ThreadCache.maybeEvict`, repeatedly); evicting a dirty entry flushes
//!   *every* dirty entry of that named cache, in dirty order (`NamedCache.evict` → `flush`);
//! - a commit flushes each named cache (`NamedCache.flush`);
//! - an entry's size is `LRUNode.size()`: key bytes, three references (24), the dirty flag, the
//!   value bytes and the record context (timestamp, offset, topic, partition).
//!
//! The caller (the task) forwards the flushed entries downstream and writes them to its store
//! (and so to the changelog), as `CachingKeyValueStore`'s flush listener does.

use std::collections::BTreeMap;

use super::value::Val;
use crate::time::Micros;

/// A dirty entry handed back by a flush, in dirty order.
#[derive(Debug, Clone, PartialEq)]
pub struct DirtyEntry {
    pub key: Val,
    /// `Null` for a delete.
    pub value: Val,
    pub timestamp: Micros,
}

#[derive(Debug, Clone)]
struct Entry {
    value: Val,
    timestamp: Micros,
    dirty: bool,
    /// Position in the LRU order (larger is more recent).
    lru: u64,
    /// Position in the dirty order, when dirty.
    dirty_at: u64,
    size: u64,
}

#[derive(Debug, Clone, Default)]
struct NamedCache {
    entries: BTreeMap<Val, Entry>,
    lru: BTreeMap<u64, Val>,
    dirty: BTreeMap<u64, Val>,
    size: u64,
}

/// The cache of one stream thread.
#[derive(Debug, Clone)]
pub struct ThreadCache {
    max_bytes: u64,
    size: u64,
    seq: u64,
    caches: BTreeMap<String, NamedCache>,
    /// Kafka's cache metrics: hits, misses, evictions, flushes.
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub flushes: u64,
}

/// What a value weighs in the cache: its serialized length (the playground writes text as is
/// and everything else as JSON), computed without serializing the common cases.
pub fn serialized_len(v: &Val) -> u64 {
    match v {
        Val::Null => 0,
        Val::Text(s) => s.len() as u64,
        Val::Int(i) => {
            let mut n = i.unsigned_abs();
            let mut digits = 1;
            while n >= 10 {
                n /= 10;
                digits += 1;
            }
            digits + u64::from(*i < 0)
        }
        Val::Bool(b) => 4 + u64::from(!b),
        other => other.to_string().len() as u64,
    }
}

impl ThreadCache {
    pub fn new(max_bytes: u64) -> ThreadCache {
        ThreadCache {
            max_bytes,
            size: 0,
            seq: 0,
            caches: BTreeMap::new(),
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

    /// The cached value and its timestamp (`Some(Null, _)` is a cached delete); a hit becomes
    /// the most recently used entry.
    pub fn get(&mut self, namespace: &str, key: &Val) -> Option<(Val, Micros)> {
        self.seq += 1;
        let seq = self.seq;
        let Some(cache) = self.caches.get_mut(namespace) else {
            self.misses += 1;
            return None;
        };
        match cache.entries.get_mut(key) {
            Some(e) => {
                self.hits += 1;
                let k = cache.lru.remove(&e.lru).unwrap_or_else(|| key.clone());
                e.lru = seq;
                cache.lru.insert(seq, k);
                Some((e.value.clone(), e.timestamp))
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// `ThreadCache.put`: writes an entry (dirty for a processor's write, clean for a value
    /// read from the store), then evicts while over budget. Entries flushed by an eviction are
    /// appended to `flushed` as `(namespace, entry)`.
    #[allow(clippy::too_many_arguments)]
    pub fn put(
        &mut self,
        namespace: &str,
        key: &Val,
        value: Val,
        timestamp: Micros,
        dirty: bool,
        topic_len: usize,
        flushed: &mut Vec<DirtyEntry>,
    ) {
        self.seq += 1;
        let seq = self.seq;
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
        let cache = match self.caches.get_mut(namespace) {
            Some(c) => c,
            None => self.caches.entry(namespace.to_string()).or_default(),
        };
        match cache.entries.get_mut(key) {
            Some(e) => {
                cache.size -= e.size;
                self.size -= e.size;
                let k = cache.lru.remove(&e.lru).unwrap_or_else(|| key.clone());
                cache.lru.insert(seq, k);
                if dirty {
                    let k = if e.dirty {
                        cache.dirty.remove(&e.dirty_at)
                    } else {
                        None
                    };
                    cache.dirty.insert(seq, k.unwrap_or_else(|| key.clone()));
                    e.dirty_at = seq;
                    e.dirty = true;
                }
                e.value = value;
                e.timestamp = timestamp;
                e.lru = seq;
                e.size = size;
            }
            None => {
                cache.lru.insert(seq, key.clone());
                if dirty {
                    cache.dirty.insert(seq, key.clone());
                }
                cache.entries.insert(
                    key.clone(),
                    Entry {
                        value,
                        timestamp,
                        dirty,
                        lru: seq,
                        dirty_at: seq,
                        size,
                    },
                );
            }
        }
        cache.size += size;
        self.size += size;
        // ThreadCache.maybeEvict: only the cache just written to gives way.
        while self.size > self.max_bytes {
            let Some(cache) = self.caches.get_mut(namespace) else {
                return;
            };
            let Some((_, eldest)) = cache.lru.pop_first() else {
                return;
            };
            let e = cache
                .entries
                .remove(&eldest)
                .expect("an LRU key has an entry");
            cache.size -= e.size;
            self.size -= e.size;
            self.evictions += 1;
            if e.dirty {
                cache.dirty.remove(&e.dirty_at);
                flushed.push(DirtyEntry {
                    key: eldest,
                    value: e.value,
                    timestamp: e.timestamp,
                });
                self.flush(namespace, flushed);
            }
        }
    }

    /// `NamedCache.flush`: every dirty entry, in the order the keys were last written; they
    /// become clean, and cached deletes leave the cache.
    pub fn flush(&mut self, namespace: &str, flushed: &mut Vec<DirtyEntry>) {
        let Some(cache) = self.caches.get_mut(namespace) else {
            return;
        };
        self.flushes += 1;
        let dirty = std::mem::take(&mut cache.dirty);
        for (_, key) in dirty {
            let Some(e) = cache.entries.get_mut(&key) else {
                continue;
            };
            e.dirty = false;
            let entry = DirtyEntry {
                key,
                value: e.value.clone(),
                timestamp: e.timestamp,
            };
            if entry.value.is_null() {
                let e = cache.entries.remove(&entry.key).expect("present");
                cache.lru.remove(&e.lru);
                cache.size -= e.size;
                self.size -= e.size;
            }
            flushed.push(entry);
        }
    }
}
