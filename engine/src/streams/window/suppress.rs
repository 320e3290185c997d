//! `suppress(Suppressed.untilWindowCloses(unbounded()))`: Kafka's `KTableSuppressProcessor` with
//! the final-results definition (`FinalResultsSuppressionBuilder`).
//!
//! Every update of a windowed KTable goes into a buffer, one entry per windowed key (a later
//! update replaces the earlier one in place), ordered by the window's end. After each update the
//! processor emits, oldest first, every entry whose window end is at or before
//! `streamTime - grace`: the window has closed, so its value is final. Tombstones are evicted but
//! not forwarded (final results are "safe to drop tombstones"). An unbounded buffer never emits
//! early. Example in the "Kafka Streams DSL" developer guide, "Window Final Results": with hourly
//! windows and 10 minutes of grace, the 09:00–10:00 window emits once, when stream time reaches
//! 10:10.

use std::collections::BTreeMap;

use super::{Millis, NO_TIMESTAMP, WindowedKey};
use crate::streams::value::Val;

/// How a windowed key is serialised, which orders buffer entries that close at the same time:
/// `TimeWindowedSerializer` writes `[key][start]` (time and sliding windows),
/// `SessionWindowedSerializer` writes `[key][end][start]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowedSerde {
    Time,
    Session,
}

/// One record the suppression forwards: `Change(new, old)` of the last update buffered for the
/// windowed key, with that update's timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Emitted {
    pub key: WindowedKey,
    pub new: Val,
    pub old: Option<Val>,
    pub timestamp: Millis,
}

#[derive(Debug, Clone)]
struct Buffered {
    key: WindowedKey,
    new: Option<Val>,
    old: Option<Val>,
    timestamp: Millis,
}

/// The suppression buffer (`InMemoryTimeOrderedKeyValueChangeBuffer`) and its stream time.
#[derive(Debug, Clone)]
pub struct Suppressor {
    /// `suppressDurationMillis`: the upstream windows' grace period.
    grace: Millis,
    serde: WindowedSerde,
    observed_stream_time: Millis,
    /// `(buffer time = window end, serialised key)` → entry.
    sorted: BTreeMap<(Millis, Vec<u8>), Buffered>,
    /// serialised key → its buffer time.
    index: BTreeMap<Vec<u8>, Millis>,
    /// Keys buffered or evicted since the last flush (`dirtyKeys`): what the next flush logs
    /// to the buffer's changelog.
    dirty: BTreeMap<Vec<u8>, WindowedKey>,
}

/// One changelog record of the buffer: a buffered entry's latest update (`None` for a key no
/// longer buffered: a tombstone).
pub type Logged = (WindowedKey, Option<(Val, Millis)>);

impl Suppressor {
    pub fn new(grace: Millis, serde: WindowedSerde) -> Suppressor {
        Suppressor {
            grace,
            serde,
            observed_stream_time: NO_TIMESTAMP,
            sorted: BTreeMap::new(),
            index: BTreeMap::new(),
            dirty: BTreeMap::new(),
        }
    }

    /// An estimate of the bytes the buffer holds (the room's measure, `memory.rs`): each
    /// entry in both maps, its serialised key twice, its key and values. Walked: a buffer holds
    /// only the windows not yet closed.
    pub fn heap_bytes(&self) -> usize {
        const OVERHEAD: usize = crate::memory::MAP_ENTRY_OVERHEAD;
        let entry = size_of::<((Millis, Vec<u8>), Buffered)>() + size_of::<(Vec<u8>, Millis)>();
        let held: usize = self
            .sorted
            .iter()
            .map(|((_, bytes), b)| {
                let vals = [b.new.as_ref(), b.old.as_ref()];
                2 * bytes.capacity()
                    + b.key.key.heap_bytes()
                    + vals
                        .into_iter()
                        .flatten()
                        .map(Val::heap_bytes)
                        .sum::<usize>()
            })
            .sum();
        let dirty: usize = self
            .dirty
            .iter()
            .map(|(bytes, key)| {
                size_of::<(Vec<u8>, WindowedKey)>()
                    + OVERHEAD
                    + bytes.capacity()
                    + key.key.heap_bytes()
            })
            .sum();
        self.sorted.len() * (entry + 2 * OVERHEAD) + held + dirty
    }

    fn serialise(&self, key: &WindowedKey) -> Vec<u8> {
        let mut bytes = key.key.to_record().unwrap_or_default().into_bytes();
        if self.serde == WindowedSerde::Session {
            bytes.extend_from_slice(&key.window.end.to_be_bytes());
        }
        bytes.extend_from_slice(&key.window.start.to_be_bytes());
        bytes
    }

    /// `process(record)`: stream time advances to the update's timestamp, the update is buffered
    /// under its window's end (`WindowEndTimeDefinition`), then every entry whose window end is
    /// at or before `streamTime - grace` is evicted in (end, key) order.
    pub fn process(
        &mut self,
        key: WindowedKey,
        new: Option<Val>,
        old: Option<Val>,
        timestamp: Millis,
    ) -> Vec<Emitted> {
        self.observed_stream_time = self.observed_stream_time.max(timestamp);
        let bytes = self.serialise(&key);
        // Non-resetting: an entry already buffered keeps its place (its buffer time).
        let time = *self.index.entry(bytes.clone()).or_insert(key.window.end);
        self.dirty.insert(bytes.clone(), key.clone());
        self.sorted.insert(
            (time, bytes),
            Buffered {
                key,
                new,
                old,
                timestamp,
            },
        );
        self.evict()
    }

    fn evict(&mut self) -> Vec<Emitted> {
        let expiry = self.observed_stream_time - self.grace;
        let mut emitted = Vec::new();
        while let Some(entry) = self.sorted.first_entry() {
            if entry.key().0 > expiry {
                break;
            }
            let ((_, bytes), buffered) = entry.remove_entry();
            self.index.remove(&bytes);
            self.dirty.insert(bytes, buffered.key.clone());
            if let Some(new) = buffered.new {
                emitted.push(Emitted {
                    key: buffered.key,
                    new,
                    old: buffered.old,
                    timestamp: buffered.timestamp,
                });
            }
        }
        emitted
    }

    /// `flush()` with logging enabled (Kafka's default for a suppression buffer): for each key
    /// buffered or evicted since the last flush, its entry's latest update, or a tombstone if it
    /// has left the buffer; in key order (Kafka walks a `HashSet`, in no set order). The
    /// changelog value is the update's new value: Kafka's also carries the old value, the
    /// record's context and the buffer time, so a restored entry here forwards no old value. An
    /// entry buffered for a deleted window (no new value) is logged as a tombstone: evicted, it
    /// would forward nothing either.
    pub fn flush_log(&mut self) -> Vec<Logged> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .into_iter()
            .map(|(bytes, key)| {
                let entry = self.index.get(&bytes).and_then(|&time| {
                    let b = &self.sorted[&(time, bytes)];
                    b.new.clone().map(|new| (new, b.timestamp))
                });
                (key, entry)
            })
            .collect()
    }

    /// `restoreBatch`: a changelog record puts its entry back under its window's end, or a
    /// tombstone removes it. Stream time is not restored (`KTableSuppressProcessor` starts
    /// with none): nothing is evicted until the task processes a record again.
    pub fn restore(&mut self, key: WindowedKey, entry: Option<(Val, Millis)>) {
        let bytes = self.serialise(&key);
        if let Some(time) = self.index.remove(&bytes) {
            self.sorted.remove(&(time, bytes.clone()));
        }
        let Some((new, timestamp)) = entry else {
            return;
        };
        self.index.insert(bytes.clone(), key.window.end);
        self.sorted.insert(
            (key.window.end, bytes),
            Buffered {
                key,
                new: Some(new),
                old: None,
                timestamp,
            },
        );
    }

    /// What the buffer holds, oldest first: windows waiting to close.
    pub fn buffered(&self) -> impl Iterator<Item = (&WindowedKey, Option<&Val>)> {
        self.sorted.values().map(|b| (&b.key, b.new.as_ref()))
    }

    /// The buffer's entries with the timestamp of each one's last update, oldest window first:
    /// what the page draws as the suppression store's contents.
    pub fn buffered_with_time(&self) -> impl Iterator<Item = (&WindowedKey, Option<&Val>, Millis)> {
        self.sorted
            .values()
            .map(|b| (&b.key, b.new.as_ref(), b.timestamp))
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    pub fn observed_stream_time(&self) -> Millis {
        self.observed_stream_time
    }
}
