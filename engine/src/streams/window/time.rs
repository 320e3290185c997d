//! Tumbling and hopping windows: Kafka's `TimeWindows` and `KStreamWindowAggregate`.
//!
//! Windows are aligned to the epoch: with size 5000 and advance 3000 a record belongs to
//! `[0;5000)`, `[3000;8000)`, … (the "Kafka Streams DSL" developer guide, "Hopping time
//! windows"). The lower bound is inclusive and the upper exclusive, so a record at exactly a
//! window's end belongs to the next window only.

use super::store::SegmentedStore;
use super::{Aggregation, Millis, NO_TIMESTAMP, Outcome, Skip, Update, Window, WindowedKey};
use crate::streams::value::Val;

/// `TimeWindows`: size, advance (equal to the size for tumbling windows) and grace, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindows {
    pub size: Millis,
    pub advance: Millis,
    pub grace: Millis,
}

impl TimeWindows {
    /// `TimeWindows.ofSizeAndGrace(size, grace)`
    pub fn tumbling(size: Millis, grace: Millis) -> TimeWindows {
        TimeWindows::hopping(size, size, grace)
    }

    /// `TimeWindows.ofSizeAndGrace(size, grace).advanceBy(advance)`. Kafka refuses a size of 0
    /// and an advance of 0 or larger than the size; the scenario parser does too.
    pub fn hopping(size: Millis, advance: Millis, grace: Millis) -> TimeWindows {
        assert!(size > 0, "window size must be larger than zero");
        assert!(
            advance > 0 && advance <= size,
            "advance must be more than zero and at most the size"
        );
        assert!(grace >= 0, "grace must not be negative");
        TimeWindows {
            size,
            advance,
            grace,
        }
    }

    /// `TimeWindows.windowsFor(timestamp)`: every window that contains the timestamp, oldest
    /// first. `windowStart = (max(0, timestamp - size + advance) / advance) * advance`, then
    /// every `advance` while `windowStart <= timestamp`.
    pub fn windows_for(&self, timestamp: Millis) -> Vec<Window> {
        let mut start =
            ((timestamp - self.size + self.advance).max(0) / self.advance) * self.advance;
        let mut windows = Vec::new();
        while start <= timestamp {
            windows.push(Window::new(start, start + self.size));
            start += self.advance;
        }
        windows
    }
}

/// The stored aggregate of one window with its timestamp (`ValueAndTimestamp`): the largest
/// timestamp of the records in it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    pub value: Val,
    pub timestamp: Millis,
}

impl super::store::HeapBytes for Stored {
    fn heap_bytes(&self) -> usize {
        self.value.heap_bytes()
    }
}

/// What the time-window and sliding-window processors share: their stores hold one aggregate per
/// window start, and a window's end is its start plus a fixed length (the size, or the sliding
/// windows' time difference).
impl SegmentedStore<Stored> {
    /// Every live window with its aggregate and timestamp.
    pub(crate) fn windows(&self, length: Millis) -> Vec<(WindowedKey, Val, Millis)> {
        self.all()
            .map(|(key, start, _, s)| {
                (
                    WindowedKey {
                        key: key.clone(),
                        window: Window::new(start, start + length),
                    },
                    s.value.clone(),
                    s.timestamp,
                )
            })
            .collect()
    }

    /// Restoring one window from its changelog: an aggregate as the changelog holds it.
    pub(crate) fn restore(&mut self, key: &Val, start: Millis, value: Option<(Val, Millis)>) {
        self.put(
            key,
            start,
            0,
            value.map(|(value, timestamp)| Stored { value, timestamp }),
        );
    }
}

/// `KStreamWindowAggregate`'s processor with its `TimestampedWindowStore`.
#[derive(Debug, Clone)]
pub struct TimeWindowAggregator {
    windows: TimeWindows,
    /// `observedStreamTime`: this processor's own, the largest timestamp that reached it. Not
    /// restored after a task moves: a new processor starts from `NO_TIMESTAMP`.
    observed_stream_time: Millis,
    /// Keyed by window start (the store's segment time).
    store: SegmentedStore<Stored>,
}

impl TimeWindowAggregator {
    /// An estimate of the bytes its window store holds (the room's measure, `memory.rs`).
    pub fn heap_bytes(&self) -> usize {
        self.store.heap_bytes()
    }

    pub fn new(windows: TimeWindows, retention: Millis) -> TimeWindowAggregator {
        TimeWindowAggregator {
            windows,
            observed_stream_time: NO_TIMESTAMP,
            store: SegmentedStore::new(retention),
        }
    }

    pub fn observed_stream_time(&self) -> Millis {
        self.observed_stream_time
    }

    /// Whether `window` has closed: its end is not after `streamTime - grace`, so a record for
    /// it would be dropped as expired.
    pub fn closed(&self, window: Window) -> bool {
        window.end <= self.observed_stream_time - self.windows.grace
    }

    /// `KStreamWindowAggregateProcessor.process`: a record with a null key is dropped; stream
    /// time advances; each window of the record whose end is after `streamTime - grace` gets the
    /// record aggregated in (a new window starts from the initializer) and forwards
    /// `Change(new, old)`; a window whose `end <= streamTime - grace` has closed and counts one
    /// dropped record ("Skipping record for expired window").
    pub fn process<A: Aggregation>(
        &mut self,
        key: &Val,
        value: &Val,
        timestamp: Millis,
        agg: &mut A,
    ) -> Outcome<A::Error> {
        let mut out = Outcome::default();
        if key.is_null() {
            out.skipped.push(Skip::NullKey);
            return out;
        }
        self.observed_stream_time = self.observed_stream_time.max(timestamp);
        for window in self.windows.windows_for(timestamp) {
            if self.closed(window) {
                out.skipped.push(Skip::ExpiredWindow(window));
                continue;
            }
            let existing = self
                .store
                .get(key, window.start, 0)
                .filter(|s| !s.value.is_null())
                .cloned();
            let (old, new_timestamp) = match existing {
                Some(stored) => (stored.value, timestamp.max(stored.timestamp)),
                None => match agg.init() {
                    Ok(init) => (init, timestamp),
                    Err(e) => {
                        out.error = Some(e);
                        return out;
                    }
                },
            };
            let new = match agg.add(key, value, &old) {
                Ok(new) => new,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            };
            self.store.put(
                key,
                window.start,
                0,
                (!new.is_null()).then(|| Stored {
                    value: new.clone(),
                    timestamp: new_timestamp,
                }),
            );
            out.updates.push(Update {
                key: WindowedKey {
                    key: key.clone(),
                    window,
                },
                new: super::present(&new),
                old: super::present(&old),
                timestamp: new_timestamp,
            });
        }
        out
    }

    /// `windowStore.fetch(key, windowStart)`: a live window's aggregate and timestamp.
    pub fn fetch(&self, key: &Val, start: Millis) -> Option<(Val, Millis)> {
        self.store
            .get(key, start, 0)
            .map(|s| (s.value.clone(), s.timestamp))
    }

    pub fn windows(&self) -> Vec<(WindowedKey, Val, Millis)> {
        self.store.windows(self.windows.size)
    }

    /// Restoring the store from its changelog: an aggregate as the changelog holds it.
    pub fn restore(&mut self, key: &Val, start: Millis, value: Option<(Val, Millis)>) {
        self.store.restore(key, start, value);
    }
}
