//! Sliding windows: Kafka's `SlidingWindows` and `KStreamSlidingWindowAggregate`.
//!
//! A sliding window is `[start, start + timeDifference]`, both bounds inclusive, aligned to the
//! records rather than the epoch: each record creates its own *left* window
//! `[t - difference, t]` and, when a later record of the key falls within `difference` after it,
//! its *right* window `[t + 1, t + 1 + difference]`. So every distinct set of records close
//! enough together has exactly one window. Records before `difference` (whose left window
//! would start before 0) share the window `[0, difference]` (`processEarly`).
//!
//! This is the path Kafka takes with a store that iterates backwards (`processReverse`, the
//! RocksDB and in-memory stores since 2.7): windows are visited from the latest start back.

use super::store::SegmentedStore;
use super::time::Stored;
use super::{Aggregation, Millis, NO_TIMESTAMP, Outcome, Skip, Update, Window, WindowedKey};
use crate::streams::value::Val;

/// `SlidingWindows.ofTimeDifferenceAndGrace(difference, grace)`, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlidingWindows {
    pub difference: Millis,
    pub grace: Millis,
}

impl SlidingWindows {
    pub fn new(difference: Millis, grace: Millis) -> SlidingWindows {
        assert!(difference >= 0, "time difference must not be negative");
        assert!(grace >= 0, "grace must not be negative");
        SlidingWindows { difference, grace }
    }
}

/// `ValueAndTimestamp.make(value, ts)`: none when the value is null (a `reduce`'s initializer).
fn make(value: Val, timestamp: Millis) -> Option<Stored> {
    (!value.is_null()).then_some(Stored { value, timestamp })
}

/// `KStreamSlidingWindowAggregate`'s processor with its window store (keyed by window start).
#[derive(Debug, Clone)]
pub struct SlidingWindowAggregator {
    windows: SlidingWindows,
    observed_stream_time: Millis,
    store: SegmentedStore<Stored>,
}

/// One record's pass, so the helpers share the outcome.
struct Pass<'a, A: Aggregation> {
    key: &'a Val,
    value: &'a Val,
    timestamp: Millis,
    agg: &'a mut A,
    out: Outcome<A::Error>,
}

impl SlidingWindowAggregator {
    /// An estimate of the bytes its window store holds (the room's measure, `memory.rs`).
    pub fn heap_bytes(&self) -> usize {
        self.store.heap_bytes()
    }

    pub fn new(windows: SlidingWindows, retention: Millis) -> SlidingWindowAggregator {
        SlidingWindowAggregator {
            windows,
            observed_stream_time: NO_TIMESTAMP,
            store: SegmentedStore::new(retention),
        }
    }

    pub fn observed_stream_time(&self) -> Millis {
        self.observed_stream_time
    }

    /// Whether `window` has closed: its (inclusive) end is before `streamTime - grace`, the
    /// test `process` applies to every window a record touches.
    pub fn closed(&self, window: Window) -> bool {
        window.end < self.observed_stream_time - self.windows.grace
    }

    /// `KStreamSlidingWindowAggregateProcessor.process`: a record with a null key or value is
    /// dropped; one whose own left window has closed (`t + difference < streamTime - grace`,
    /// the end being inclusive) is dropped as expired.
    pub fn process<A: Aggregation>(
        &mut self,
        key: &Val,
        value: &Val,
        timestamp: Millis,
        agg: &mut A,
    ) -> Outcome<A::Error> {
        let mut out = Outcome::default();
        if key.is_null() || value.is_null() {
            out.skipped.push(if key.is_null() {
                Skip::NullKey
            } else {
                Skip::NullValue
            });
            return out;
        }
        self.observed_stream_time = self.observed_stream_time.max(timestamp);
        let own = Window::new(timestamp, timestamp + self.windows.difference);
        if self.closed(own) {
            out.skipped.push(Skip::ExpiredWindow(own));
            return out;
        }
        let mut pass = Pass {
            key,
            value,
            timestamp,
            agg,
            out,
        };
        // Each step returns Err once the aggregation failed: processing stops there.
        let _stopped = if timestamp < self.windows.difference {
            self.process_early(&mut pass)
        } else {
            self.process_reverse(&mut pass)
        };
        pass.out
    }

    /// `processReverse`: the key's windows with start in `[t - 2·difference, t + 1]`, latest
    /// first. A window starting at `t + 1` is the record's right window, already there; one that
    /// ends after `t` contains the record (the first such is the right window's aggregate); one
    /// that ends at `t` is the record's own left window; the first that ends before `t` holds the
    /// records of the left window, and ends the scan.
    fn process_reverse<A: Aggregation>(&mut self, pass: &mut Pass<'_, A>) -> Result<(), ()> {
        let t = pass.timestamp;
        let d = self.windows.difference;
        let found = self.store.fetch(pass.key, (t - 2 * d).max(0), t + 1);
        let mut starts = Vec::new();
        let mut left_agg: Option<Stored> = None;
        let mut right_agg: Option<Stored> = None;
        let mut left_created = false;
        let mut right_created = false;
        let mut previous: Option<Millis> = None;
        for (start, _, stored) in found.into_iter().rev() {
            starts.push(start);
            let end = start + d;
            if start == t + 1 {
                right_created = true;
            } else if end > t {
                if right_agg.is_none() {
                    right_agg = Some(stored.clone());
                }
                self.update_window_and_forward(pass, Window::new(start, end), Some(stored))?;
            } else if end == t {
                left_created = true;
                self.update_window_and_forward(
                    pass,
                    Window::new(start, end),
                    Some(stored.clone()),
                )?;
                if stored.timestamp < t {
                    previous = Some(stored.timestamp);
                } else {
                    // A record at the same timestamp made every window already.
                    return Ok(());
                }
            } else {
                left_agg = Some(stored.clone());
                previous = Some(stored.timestamp);
                break;
            }
        }
        self.create_windows(
            pass,
            &starts,
            right_agg,
            left_agg,
            left_created,
            right_created,
            previous,
        )
    }

    /// `processEarly`: `0 <= t < difference`. The window `[0, difference]` holds every early
    /// record; right windows are made or updated as for any record.
    fn process_early<A: Aggregation>(&mut self, pass: &mut Pass<'_, A>) -> Result<(), ()> {
        let t = pass.timestamp;
        let d = self.windows.difference;
        let mut combined: Option<(Millis, Stored)> = None;
        let mut right_agg: Option<Stored> = None;
        let mut right_created = false;
        let mut starts = Vec::new();
        let mut previous = None;
        for (start, _, stored) in self.store.fetch(pass.key, 0, t + 1) {
            starts.push(start);
            if start == 0 {
                if stored.timestamp < t {
                    previous = Some(stored.timestamp);
                }
                combined = Some((start, stored));
            } else if start <= t {
                right_agg = Some(stored.clone());
                self.update_window_and_forward(pass, Window::new(start, start + d), Some(stored))?;
            } else if start == t + 1 {
                right_created = true;
            }
        }
        if right_agg.is_none()
            && let Some((_, stored)) = &combined
            && stored.timestamp > t
        {
            right_agg = Some(stored.clone());
        }
        if !right_created && let Some(right) = right_agg.filter(|r| r.timestamp > t) {
            self.create_current_record_right_window(pass, right);
        }
        if let Some(previous) = previous
            && !starts.contains(&(previous + 1))
        {
            self.create_previous_record_right_window(pass, previous + 1)?;
        }
        match combined {
            None => {
                let init = self.init(pass)?;
                self.update_window_and_forward(pass, Window::new(0, d), make(init, t))
            }
            Some((start, stored)) => {
                self.update_window_and_forward(pass, Window::new(start, start + d), Some(stored))
            }
        }
    }

    /// `createWindows`: the previous record's right window if this record falls in it and it is
    /// missing, this record's left window if missing (holding the records within `difference`
    /// before it), and its right window if later records exist within `difference` after it.
    #[allow(clippy::too_many_arguments)]
    fn create_windows<A: Aggregation>(
        &mut self,
        pass: &mut Pass<'_, A>,
        starts: &[Millis],
        right_agg: Option<Stored>,
        left_agg: Option<Stored>,
        left_created: bool,
        right_created: bool,
        previous: Option<Millis>,
    ) -> Result<(), ()> {
        let t = pass.timestamp;
        let d = self.windows.difference;
        if let Some(previous) = previous {
            let start = previous + 1;
            if !starts.contains(&start) && start + d >= t {
                self.create_previous_record_right_window(pass, start)?;
            }
        }
        if !left_created {
            let left_not_empty = previous.is_some_and(|p| t - d <= p);
            let stored = match (left_not_empty, left_agg) {
                (true, Some(left)) => make(left.value, t),
                _ => {
                    let init = self.init(pass)?;
                    make(init, t)
                }
            };
            self.update_window_and_forward(pass, Window::new(t - d, t), stored)?;
        }
        if !right_created && let Some(right) = right_agg.filter(|r| r.timestamp > t) {
            self.create_current_record_right_window(pass, right);
        }
        Ok(())
    }

    /// `createCurrentRecordRightWindow`: `[t + 1, t + 1 + difference]` with the later records'
    /// aggregate, put and forwarded as is (old value null), without a close-time check.
    fn create_current_record_right_window<A: Aggregation>(
        &mut self,
        pass: &mut Pass<'_, A>,
        right: Stored,
    ) {
        let window = Window::new(
            pass.timestamp + 1,
            pass.timestamp + 1 + self.windows.difference,
        );
        self.store
            .put(pass.key, window.start, 0, Some(right.clone()));
        pass.out.updates.push(Update {
            key: WindowedKey {
                key: pass.key.clone(),
                window,
            },
            new: super::present(&right.value),
            old: None,
            timestamp: right.timestamp,
        });
    }

    /// `createPreviousRecordRightWindow`: a new window from the initializer, then this record.
    fn create_previous_record_right_window<A: Aggregation>(
        &mut self,
        pass: &mut Pass<'_, A>,
        start: Millis,
    ) -> Result<(), ()> {
        let init = self.init(pass)?;
        let window = Window::new(start, start + self.windows.difference);
        self.update_window_and_forward(pass, window, make(init, pass.timestamp))
    }

    /// `updateWindowAndForward`: aggregate the record into a window that has not closed
    /// (`end >= streamTime - grace`), else count an expired window.
    fn update_window_and_forward<A: Aggregation>(
        &mut self,
        pass: &mut Pass<'_, A>,
        window: Window,
        current: Option<Stored>,
    ) -> Result<(), ()> {
        if self.closed(window) {
            pass.out.skipped.push(Skip::ExpiredWindow(window));
            return Ok(());
        }
        let old = current.as_ref().map_or(Val::Null, |s| s.value.clone());
        let new = match pass.agg.add(pass.key, pass.value, &old) {
            Ok(new) => new,
            Err(e) => {
                pass.out.error = Some(e);
                return Err(());
            }
        };
        let timestamp = match &current {
            Some(s) if !old.is_null() => pass.timestamp.max(s.timestamp),
            _ => pass.timestamp,
        };
        self.store
            .put(pass.key, window.start, 0, make(new.clone(), timestamp));
        pass.out.updates.push(Update {
            key: WindowedKey {
                key: pass.key.clone(),
                window,
            },
            new: super::present(&new),
            old: super::present(&old),
            timestamp,
        });
        Ok(())
    }

    fn init<A: Aggregation>(&self, pass: &mut Pass<'_, A>) -> Result<Val, ()> {
        pass.agg.init().map_err(|e| {
            pass.out.error = Some(e);
        })
    }

    pub fn windows(&self) -> Vec<(WindowedKey, Val, Millis)> {
        self.store.windows(self.windows.difference)
    }

    /// Restoring the store from its changelog.
    pub fn restore(&mut self, key: &Val, start: Millis, value: Option<(Val, Millis)>) {
        self.store.restore(key, start, value);
    }
}
