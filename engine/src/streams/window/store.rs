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
    /// What the entries' keys and values hold on the heap, kept as they change (see
    /// `heap_bytes`).
    heap: usize,
}

/// What a stored value holds on the heap, for a store's [`SegmentedStore::heap_bytes`].
pub trait HeapBytes {
    fn heap_bytes(&self) -> usize;
}

impl HeapBytes for Val {
    fn heap_bytes(&self) -> usize {
        Val::heap_bytes(self)
    }
}

impl<V: Clone + HeapBytes> SegmentedStore<V> {
    pub fn new(retention: Millis) -> Self {
        SegmentedStore {
            retention,
            observed: NO_TIMESTAMP,
            entries: BTreeMap::new(),
            by_time: BTreeSet::new(),
            heap: 0,
        }
    }

    /// An estimate of the bytes the store holds: each entry in both maps, and what its key
    /// (one text for both) and value hold. Kept as entries come and go: a room measures every
    /// checkpoint's copy of every store, too often to walk them.
    pub fn heap_bytes(&self) -> usize {
        const OVERHEAD: usize = 2 * crate::memory::MAP_ENTRY_OVERHEAD;
        let entry = size_of::<((Val, Millis, i64), V)>() + size_of::<(Millis, Val, i64)>();
        self.entries.len() * (entry + OVERHEAD) + self.heap
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
                let added = v.heap_bytes();
                match self.entries.insert((key.clone(), time, tiebreak), v) {
                    Some(old) => self.heap = self.heap - old.heap_bytes() + added,
                    None => {
                        self.heap += key.heap_bytes() + added;
                        self.by_time.insert((time, key.clone(), tiebreak));
                    }
                }
            }
            _ => {
                if let Some(old) = self.entries.remove(&(key.clone(), time, tiebreak)) {
                    self.heap -= key.heap_bytes() + old.heap_bytes();
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
            let key_bytes = key.heap_bytes();
            let gone = self.entries.remove(&(key, time, tiebreak));
            let gone = gone.expect("by_time lists only stored entries");
            self.heap -= key_bytes + gone.heap_bytes();
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

    impl HeapBytes for i32 {
        fn heap_bytes(&self) -> usize {
            0
        }
    }

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

    /// The running heap figure is what walking the entries gives, through overwrites,
    /// deletes and expiry.
    #[test]
    fn the_heap_figure_follows_puts_deletes_and_expiry() {
        let walked = |s: &SegmentedStore<Val>| -> usize {
            s.all()
                .map(|(k, _, _, v)| k.heap_bytes() + v.heap_bytes())
                .sum()
        };
        let mut store = SegmentedStore::new(10);
        let (a, b) = (Val::text("alice"), Val::text("bob"));
        store.put(&a, 1, 0, Some(Val::text("one")));
        store.put(&b, 2, 0, Some(Val::Int(2)));
        store.put(&a, 1, 0, Some(Val::text("a longer value")));
        assert_eq!(store.heap, walked(&store));
        store.put(&b, 2, 0, None);
        assert_eq!(store.heap, walked(&store));
        // observed 20: live from 11, alice's entry at 1 expires
        store.put(&b, 20, 0, Some(Val::Int(3)));
        assert_eq!(store.all().count(), 1);
        assert_eq!(store.heap, walked(&store));
        store.put(&b, 20, 0, None);
        assert_eq!((store.heap, store.heap_bytes()), (0, 0));
    }
}
