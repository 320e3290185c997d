//! Session windows: Kafka's `SessionWindows` and `KStreamSessionWindowAggregate`.
//!
//! A session is `[first record, last record]` of a key, both inclusive; a record within the
//! inactivity gap of one or more sessions merges them all into one. Downstream sees each
//! merged-away session removed first (a tombstone for its windowed key, with its old aggregate),
//! then the merged session with the new aggregate, as `KStreamSessionWindowAggregateProcessor`
//! forwards them: even a record inside an existing session removes and re-puts that session.

use super::store::SegmentedStore;
use super::{Aggregation, Millis, NO_TIMESTAMP, Outcome, Skip, Update, Window, WindowedKey};
use crate::streams::value::Val;

/// `SessionWindows.ofInactivityGapAndGrace(gap, grace)`, in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionWindows {
    pub gap: Millis,
    pub grace: Millis,
}

impl SessionWindows {
    pub fn new(gap: Millis, grace: Millis) -> SessionWindows {
        assert!(gap > 0, "gap must be larger than zero");
        assert!(grace >= 0, "grace must not be negative");
        SessionWindows { gap, grace }
    }
}

/// `KStreamSessionWindowAggregate`'s processor with its session store. The store is keyed by
/// `(key, end, start)` like Kafka's session key schema, so one key's sessions come back ordered
/// by end, then start, and its segment time (for retention) is the session's end.
#[derive(Debug, Clone)]
pub struct SessionWindowAggregator {
    windows: SessionWindows,
    observed_stream_time: Millis,
    store: SegmentedStore<Val>,
}

impl SessionWindowAggregator {
    /// An estimate of the bytes its window store holds (the room's measure, `memory.rs`).
    pub fn heap_bytes(&self) -> usize {
        self.store.heap_bytes()
    }

    pub fn new(windows: SessionWindows, retention: Millis) -> SessionWindowAggregator {
        SessionWindowAggregator {
            windows,
            observed_stream_time: NO_TIMESTAMP,
            store: SegmentedStore::new(retention),
        }
    }

    pub fn observed_stream_time(&self) -> Millis {
        self.observed_stream_time
    }

    /// Whether session `window` has closed: it ends before `streamTime - grace - gap`, so no
    /// record can extend it any more.
    pub fn closed(&self, window: Window) -> bool {
        window.end < self.observed_stream_time - self.windows.grace - self.windows.gap
    }

    /// `findSessions(key, earliestSessionEndTime, latestSessionStartTime)`: sessions that end at
    /// or after the first and start at or before the second.
    fn find_sessions(
        &self,
        key: &Val,
        earliest_end: Millis,
        latest_start: Millis,
    ) -> Vec<(Window, Val)> {
        self.store
            .fetch(key, earliest_end, Millis::MAX)
            .into_iter()
            .filter(|(_, start, _)| *start <= latest_start)
            .map(|(end, start, agg)| (Window::new(start, end), agg))
            .collect()
    }

    /// `KStreamSessionWindowAggregateProcessor.process`: a null key is dropped; the record's
    /// session `[t, t]` merges with every session of the key within the gap (the aggregate starts
    /// from the initializer and merges each found session's in, `Merger.apply(key, agg, next)`);
    /// if the merged session ends before `streamTime - grace - gap` it has closed and the record
    /// is dropped; else the merged-away sessions are removed (each forwarded as a tombstone), the
    /// record is aggregated in and the merged session put and forwarded. Records forwarded carry
    /// the session's end as their timestamp.
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
        let new_session = Window::new(timestamp, timestamp);
        let mut merged_window = new_session;
        let mut aggregate = match agg.init() {
            Ok(init) => init,
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        };
        let merged = self.find_sessions(
            key,
            timestamp - self.windows.gap,
            timestamp + self.windows.gap,
        );
        for (window, session_agg) in &merged {
            aggregate = match agg.merge(key, &aggregate, session_agg) {
                Ok(a) => a,
                Err(e) => {
                    out.error = Some(e);
                    return out;
                }
            };
            merged_window = Window::new(
                merged_window.start.min(window.start),
                merged_window.end.max(window.end),
            );
        }
        if self.closed(merged_window) {
            out.skipped.push(Skip::ExpiredWindow(merged_window));
            return out;
        }
        if merged_window != new_session {
            for (window, session_agg) in merged {
                self.store.put(key, window.end, window.start, None);
                out.updates.push(Update {
                    key: WindowedKey {
                        key: key.clone(),
                        window,
                    },
                    new: None,
                    old: super::present(&session_agg),
                    timestamp: window.end,
                });
            }
        }
        let aggregate = match agg.add(key, value, &aggregate) {
            Ok(a) => a,
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        };
        self.store.put(
            key,
            merged_window.end,
            merged_window.start,
            (!aggregate.is_null()).then(|| aggregate.clone()),
        );
        out.updates.push(Update {
            key: WindowedKey {
                key: key.clone(),
                window: merged_window,
            },
            new: super::present(&aggregate),
            old: None,
            timestamp: merged_window.end,
        });
        out
    }

    /// A key's live sessions, by end then start.
    pub fn sessions(&self, key: &Val) -> Vec<(Window, Val)> {
        self.find_sessions(key, Millis::MIN, Millis::MAX)
    }

    /// Every live session as `(windowed key, aggregate, end)`.
    pub fn windows(&self) -> Vec<(WindowedKey, Val, Millis)> {
        self.store
            .all()
            .map(|(key, end, start, agg)| {
                (
                    WindowedKey {
                        key: key.clone(),
                        window: Window::new(start, end),
                    },
                    agg.clone(),
                    end,
                )
            })
            .collect()
    }

    /// Restoring the store from its changelog.
    pub fn restore(&mut self, key: &Val, window: Window, value: Option<Val>) {
        self.store.put(key, window.end, window.start, value);
    }
}
