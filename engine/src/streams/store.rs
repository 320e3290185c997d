//! A task's key-value state store: Kafka's timestamped key-value store (`ValueAndTimestamp`),
//! ordered by key as RocksDB and the in-memory store iterate. The caching and change-logging
//! layers Kafka wraps around it live in `cache.rs` and `task/state.rs`.

use std::collections::BTreeMap;

use super::value::Val;
use crate::time::Micros;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyValueStore {
    entries: BTreeMap<Val, (Val, Micros)>,
}

impl KeyValueStore {
    pub fn get(&self, key: &Val) -> Option<&(Val, Micros)> {
        self.entries.get(key)
    }

    /// Writes a value; `Null` deletes the key (a tombstone), as `put(key, null)` does.
    pub fn put(&mut self, key: Val, value: Val, timestamp: Micros) {
        if value.is_null() {
            self.entries.remove(&key);
        } else {
            self.entries.insert(key, (value, timestamp));
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
}
