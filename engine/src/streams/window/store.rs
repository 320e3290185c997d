//! The segmented store under Kafka's window and session stores, as far as what it returns.
//!
//! Kafka's RocksDB window store (`AbstractRocksDBSegmentedBytesStore`) tracks its own
//! `observedStreamTime`: the largest "segment timestamp" ever put (a window's start; a session's
//! end; a joined record's timestamp). Reads only see entries whose segment timestamp is at least
//! `observedStreamTime - retentionPeriod + 1` (`getActualFrom`, and the same bound in `get`), and
//! whole segments behind it are dropped. So an entry is visible exactly while
//! `segment_time > observed - retention`; this store forgets an entry the moment it stops being
//! visible, which is what every read of Kafka's sees, without modelling segment files.

use std::collections::{BTreeMap, BTreeSet};

use super::{Millis, NO_TIMESTAMP};
use crate::streams::value::Val;

/// Entries keyed by `(key, segment time, tiebreak)`: the tiebreak is a session's start (sessions
/// of one key sort by end, then start, as Kafka's session key schema `[key][end][start]`), or a
/// sequence number for a join store that keeps duplicates (`retainDuplicates`), else 0.
#[derive(Debug, Clone)]
pub struct SegmentedStore<V> {
    retention: Millis,
    observed: Millis,
    entries: BTreeMap<(Val, Millis, i64), V>,
    /// The same keys by time, so expiry is a range removal.
    by_time: BTreeSet<(Millis, Val, i64)>,
}

impl<V: Clone> SegmentedStore<V> {
    pub fn new(retention: Millis) -> Self {
        SegmentedStore {
            retention,
            observed: NO_TIMESTAMP,
            entries: BTreeMap::new(),
            by_time: BTreeSet::new(),
        }
    }

    pub fn retention(&self) -> Millis {
        self.retention
    }

    /// The store's `observedStreamTime`.
    pub fn observed(&self) -> Millis {
        self.observed
    }

    /// The oldest segment time a read still returns (`observedStreamTime - retentionPeriod + 1`).
    pub fn live_from(&self) -> Millis {
        self.observed
            .saturating_sub(self.retention)
            .saturating_add(1)
    }

    /// `put(key, value, time)`; `None` removes (Kafka's `put(key, null)`). A put advances the
    /// store's observed stream time even when it lands behind the retention and is not kept.
    pub fn put(&mut self, key: &Val, time: Millis, tiebreak: i64, value: Option<V>) {
        self.observed = self.observed.max(time);
        match value {
            Some(v) if time >= self.live_from() => {
                self.entries.insert((key.clone(), time, tiebreak), v);
                self.by_time.insert((time, key.clone(), tiebreak));
            }
            _ => {
                if self
                    .entries
                    .remove(&(key.clone(), time, tiebreak))
                    .is_some()
                {
                    self.by_time.remove(&(time, key.clone(), tiebreak));
                }
            }
        }
        self.expire();
    }

    fn expire(&mut self) {
        let live_from = self.live_from();
        while let Some(first) = self.by_time.first() {
            if first.0 >= live_from {
                break;
            }
            let (time, key, tiebreak) = self.by_time.pop_first().expect("first exists");
            self.entries.remove(&(key, time, tiebreak));
        }
    }

    pub fn get(&self, key: &Val, time: Millis, tiebreak: i64) -> Option<&V> {
        self.entries.get(&(key.clone(), time, tiebreak))
    }

    /// One key's entries with `from <= time <= to`, in (time, tiebreak) order.
    pub fn fetch(&self, key: &Val, from: Millis, to: Millis) -> Vec<(Millis, i64, V)> {
        let from = from.max(self.live_from());
        if from > to {
            return Vec::new();
        }
        self.entries
            .range((key.clone(), from, i64::MIN)..=(key.clone(), to, i64::MAX))
            .map(|((_, t, b), v)| (*t, *b, v.clone()))
            .collect()
    }

    /// Every live entry, by key, time and tiebreak.
    pub fn all(&self) -> impl Iterator<Item = (&Val, Millis, i64, &V)> {
        self.entries.iter().map(|((k, t, b), v)| (k, *t, *b, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_visible_while_its_time_is_after_observed_minus_retention() {
        let mut store = SegmentedStore::new(10);
        let k = Val::text("k");
        store.put(&k, 5, 0, Some(1));
        store.put(&k, 14, 0, Some(2));
        // observed 14, retention 10: live from 5
        assert_eq!(store.fetch(&k, 0, 20).len(), 2);
        store.put(&k, 15, 0, Some(3));
        // live from 6: the entry at 5 is gone
        assert_eq!(
            store
                .fetch(&k, 0, 20)
                .iter()
                .map(|e| e.0)
                .collect::<Vec<_>>(),
            vec![14, 15]
        );
        assert!(store.get(&k, 5, 0).is_none());
        // a put behind the retention moves nothing and is not kept
        store.put(&k, 3, 0, Some(9));
        assert!(store.get(&k, 3, 0).is_none());
        assert_eq!(store.observed(), 15);
    }
}
