//! A task's key-value state store: Kafka's timestamped key-value store (`ValueAndTimestamp`),
//! ordered by key as RocksDB and the in-memory store iterate. The caching and change-logging
//! layers Kafka wraps around it live in `cache.rs` and `task/state.rs`.

use std::collections::BTreeMap;

use super::value::Val;
use crate::time::Micros;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyValueStore {
    entries: BTreeMap<Val, (Val, Micros)>,
    /// What the entries' keys and values hold on the heap (`Val::heap_bytes`), kept as they
    /// change: a room measures every checkpoint's copy of every store, too often to walk them.
    heap: usize,
}

impl KeyValueStore {
    pub fn get(&self, key: &Val) -> Option<&(Val, Micros)> {
        self.entries.get(key)
    }

    /// Writes a value; `Null` deletes the key (a tombstone), as `put(key, null)` does.
    pub fn put(&mut self, key: Val, value: Val, timestamp: Micros) {
        if value.is_null() {
            if let Some((k, (v, _))) = self.entries.remove_entry(&key) {
                self.heap -= k.heap_bytes() + v.heap_bytes();
            }
            return;
        }
        let added = value.heap_bytes();
        let key_bytes = key.heap_bytes();
        match self.entries.insert(key, (value, timestamp)) {
            // The map keeps its first key; only the value changed.
            Some((old, _)) => self.heap = self.heap - old.heap_bytes() + added,
            None => self.heap += key_bytes + added,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry in key order (what an interactive query's `all()` returns).
    pub fn iter(&self) -> impl Iterator<Item = (&Val, &Val, Micros)> {
        self.entries.iter().map(|(k, (v, t))| (k, v, *t))
    }

    /// An estimate of the bytes the store holds: each entry's place in the map and what its key
    /// and value hold.
    pub fn heap_bytes(&self) -> usize {
        const ENTRY: usize = size_of::<(Val, (Val, Micros))>() + crate::memory::MAP_ENTRY_OVERHEAD;
        self.entries.len() * ENTRY + self.heap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The running figure is what walking the entries gives, through inserts, overwrites
    /// (the map keeps its first key) and deletes.
    #[test]
    fn the_heap_figure_follows_puts_and_deletes() {
        let mut store = KeyValueStore::default();
        let walked = |s: &KeyValueStore| -> usize {
            s.iter()
                .map(|(k, v, _)| k.heap_bytes() + v.heap_bytes())
                .sum()
        };
        store.put(Val::text("alice"), Val::text("gold"), 1);
        store.put(Val::text("bob"), Val::Int(3), 2);
        store.put(Val::text("alice"), Val::text("platinum member"), 3);
        assert_eq!(store.heap, walked(&store));
        store.put(Val::text("bob"), Val::Null, 4);
        store.put(Val::text("carol"), Val::Null, 5);
        assert_eq!(store.heap, walked(&store));
        assert_eq!(store.len(), 1);
        store.put(Val::text("alice"), Val::Null, 6);
        assert_eq!((store.heap, store.heap_bytes()), (0, 0));
    }
}
