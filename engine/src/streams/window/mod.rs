//! Windowed aggregation as Kafka Streams does it: which windows a record falls in, when a window
//! closes (grace), what the window store keeps (retention), and what goes downstream.
//!
//! - `time`: tumbling and hopping windows (`TimeWindows`, `KStreamWindowAggregate`)
//! - `sliding`: sliding windows (`SlidingWindows`, `KStreamSlidingWindowAggregate`)
//! - `session`: session windows (`SessionWindows`, `KStreamSessionWindowAggregate`)
//! - `suppress`: `suppress(untilWindowCloses(unbounded()))` (`KTableSuppressProcessor`)
//! - `store`: the segmented window store's retention, which decides what a fetch still sees
//!
//! Everything here counts in Kafka's unit, milliseconds (`Millis`, an `i64` like Java's `long`, so
//! that `observedStreamTime - grace` may go negative exactly where Kafka's does). A record's
//! timestamp is its `timestamp_us` in whole milliseconds ([`millis`]), as a Kafka producer stamps
//! `CreateTime`; window sizes from the scenario (`WindowSpec`, in `Micros`) convert the same way.
//!
//! The processors own their state (the window store's contents and their observed stream time)
//! and return, for each input record, the list of [`Update`]s Kafka's processor would put into its
//! store and forward downstream, in Kafka's order. The task in front of them decides what the
//! record cache makes of those updates (with caching on, Kafka forwards on flush instead).

pub mod session;
pub mod sliding;
pub mod store;
pub mod suppress;
pub mod time;

use super::dsl::WindowSpec;
use super::value::Val;
use crate::time::{MICROS_PER_MS, Micros};

pub use session::{SessionWindowAggregator, SessionWindows};
pub use sliding::{SlidingWindowAggregator, SlidingWindows};
pub use suppress::Suppressor;
pub use time::{TimeWindowAggregator, TimeWindows};

/// Kafka's timestamps and durations: milliseconds, signed.
pub type Millis = i64;

/// `ConsumerRecord.NO_TIMESTAMP`: a processor's stream time before its first record.
pub const NO_TIMESTAMP: Millis = -1;

/// `windowstore.changelog.additional.retention.ms` (default one day): added to a window store's
/// retention for its changelog topic's `retention.ms`, "to allow for clock drift"
/// (`WindowedChangelogTopicConfig`).
pub const WINDOW_STORE_CHANGELOG_ADDITIONAL_RETENTION_MS: Millis = 24 * 60 * 60 * 1000;

/// A simulated instant or duration as Kafka's milliseconds (whole milliseconds, rounded down).
pub fn millis(us: Micros) -> Millis {
    (us / MICROS_PER_MS) as Millis
}

/// A window's bounds. Time windows are `[start, end)`; sliding and session windows are
/// `[start, end]` (both bounds inclusive), as Kafka's `TimeWindow` and `SessionWindow` are read
/// by their processors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    pub start: Millis,
    pub end: Millis,
}

impl Window {
    pub fn new(start: Millis, end: Millis) -> Window {
        Window { start, end }
    }
}

/// `Windowed<K>`: a record key and the window it is aggregated in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WindowedKey {
    pub key: Val,
    pub window: Window,
}

/// One `Change<VAgg>` a windowed aggregation forwards: the window's new aggregate (`None` when the
/// window's entry is removed, as a session merged into a larger one) and the old one as Kafka's
/// processor passes it when `sendOldValues` is on (for a new time window that is the
/// initializer's value, not null: `KStreamWindowAggregate` substitutes it before aggregating).
/// `timestamp` is the forwarded record's timestamp: the window's largest record timestamp for
/// time and sliding windows, the session's end for session windows.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub key: WindowedKey,
    pub new: Option<Val>,
    pub old: Option<Val>,
    pub timestamp: Millis,
}

/// Why a record (or one of its windows) was not aggregated. Each is one count of the task's
/// `dropped-records` metric (`droppedRecordsSensor.record()`): Kafka counts once per expired
/// window, so a hopping-window record can count more than once.
#[derive(Debug, Clone, PartialEq)]
pub enum Skip {
    /// "Skipping record due to null key" (sliding windows: "null key or value").
    NullKey,
    NullValue,
    /// "Skipping record for expired window": the window had closed (its end plus grace is not
    /// after the processor's stream time).
    ExpiredWindow(Window),
}

/// What processing one record did.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<E> {
    /// In the order Kafka forwards them.
    pub updates: Vec<Update>,
    pub skipped: Vec<Skip>,
    /// The aggregation failed (an expression error): processing stopped there. The updates
    /// before it stand, as Kafka had already forwarded them when the exception left `process`.
    pub error: Option<E>,
}

impl<E> Default for Outcome<E> {
    fn default() -> Self {
        Outcome {
            updates: Vec::new(),
            skipped: Vec::new(),
            error: None,
        }
    }
}

/// The user's functions of a windowed aggregation: `Initializer`, `Aggregator` and, for session
/// windows, `Merger`. `Val::Null` is Java's `null` (a `reduce` starts from a null aggregate and
/// takes the first value as is, `aggregatorForReducer`).
pub trait Aggregation {
    type Error;
    /// `Initializer.apply()`
    fn init(&mut self) -> Result<Val, Self::Error>;
    /// `Aggregator.apply(key, value, aggregate)`
    fn add(&mut self, key: &Val, value: &Val, agg: &Val) -> Result<Val, Self::Error>;
    /// `Merger.apply(key, aggOne, aggTwo)`: two sessions' aggregates into one.
    fn merge(&mut self, key: &Val, one: &Val, two: &Val) -> Result<Val, Self::Error>;
}

/// A value as Kafka's `Change` carries it: `null` is absent.
pub(crate) fn present(v: &Val) -> Option<Val> {
    (!v.is_null()).then(|| v.clone())
}

/// The retention of a windowed aggregation's store when `Materialized.withRetention` is not given:
/// size + grace for time windows (`WindowStoreMaterializer`), 2 × time difference + grace for
/// sliding windows (they must reach a previous record's windows, `SlidingWindowStoreMaterializer`),
/// gap + grace for sessions (`SessionStoreMaterializer`).
pub fn store_retention(spec: &WindowSpec) -> Millis {
    match *spec {
        WindowSpec::Tumbling { size, grace } => millis(size) + millis(grace),
        WindowSpec::Hopping { size, grace, .. } => millis(size) + millis(grace),
        WindowSpec::Sliding { difference, grace } => 2 * millis(difference) + millis(grace),
        WindowSpec::Session { gap, grace } => millis(gap) + millis(grace),
    }
}

/// `retention.ms` of a window or session store's changelog topic (`cleanup.policy=compact,delete`;
/// a stream–stream join's stores use `delete` only): the store's retention plus
/// `windowstore.changelog.additional.retention.ms`.
pub fn changelog_retention(store_retention: Millis) -> Millis {
    store_retention.saturating_add(WINDOW_STORE_CHANGELOG_ADDITIONAL_RETENTION_MS)
}

/// The grace period of a windowed KTable, which `suppress(untilWindowCloses)` waits for.
pub fn grace(spec: &WindowSpec) -> Millis {
    match *spec {
        WindowSpec::Tumbling { grace, .. }
        | WindowSpec::Hopping { grace, .. }
        | WindowSpec::Sliding { grace, .. }
        | WindowSpec::Session { grace, .. } => millis(grace),
    }
}

/// A windowed aggregation's processor, whichever its windows.
#[derive(Debug, Clone)]
pub enum WindowedAggregator {
    Time(TimeWindowAggregator),
    Sliding(SlidingWindowAggregator),
    Session(SessionWindowAggregator),
}

impl WindowedAggregator {
    pub fn new(spec: &WindowSpec) -> WindowedAggregator {
        let retention = store_retention(spec);
        match *spec {
            WindowSpec::Tumbling { size, grace } => {
                WindowedAggregator::Time(TimeWindowAggregator::new(
                    TimeWindows::tumbling(millis(size), millis(grace)),
                    retention,
                ))
            }
            WindowSpec::Hopping {
                size,
                advance,
                grace,
            } => WindowedAggregator::Time(TimeWindowAggregator::new(
                TimeWindows::hopping(millis(size), millis(advance), millis(grace)),
                retention,
            )),
            WindowSpec::Sliding { difference, grace } => {
                WindowedAggregator::Sliding(SlidingWindowAggregator::new(
                    SlidingWindows::new(millis(difference), millis(grace)),
                    retention,
                ))
            }
            WindowSpec::Session { gap, grace } => {
                WindowedAggregator::Session(SessionWindowAggregator::new(
                    SessionWindows::new(millis(gap), millis(grace)),
                    retention,
                ))
            }
        }
    }

    /// Processes one record that reached the aggregation.
    pub fn process<A: Aggregation>(
        &mut self,
        key: &Val,
        value: &Val,
        timestamp: Millis,
        agg: &mut A,
    ) -> Outcome<A::Error> {
        match self {
            WindowedAggregator::Time(p) => p.process(key, value, timestamp, agg),
            WindowedAggregator::Sliding(p) => p.process(key, value, timestamp, agg),
            WindowedAggregator::Session(p) => p.process(key, value, timestamp, agg),
        }
    }

    /// Restores one window of the processor's store from a changelog record (`None`: a
    /// tombstone), as the restore consumer writes the store the processor reads.
    pub fn restore(&mut self, key: &Val, window: Window, value: Option<(Val, Millis)>) {
        match self {
            WindowedAggregator::Time(p) => p.restore(key, window.start, value),
            WindowedAggregator::Sliding(p) => p.restore(key, window.start, value),
            WindowedAggregator::Session(p) => p.restore(key, window, value.map(|(v, _)| v)),
        }
    }

    /// The processor's `observedStreamTime`: the largest timestamp it has seen.
    pub fn observed_stream_time(&self) -> Millis {
        match self {
            WindowedAggregator::Time(p) => p.observed_stream_time(),
            WindowedAggregator::Sliding(p) => p.observed_stream_time(),
            WindowedAggregator::Session(p) => p.observed_stream_time(),
        }
    }

    /// Whether `window` of this processor's store has closed, by the processor's own rule and
    /// observed stream time (what the page marks as closed).
    pub fn closed(&self, window: Window) -> bool {
        match self {
            WindowedAggregator::Time(p) => p.closed(window),
            WindowedAggregator::Sliding(p) => p.closed(window),
            WindowedAggregator::Session(p) => p.closed(window),
        }
    }

    /// An estimate of the bytes its window store holds (the room's measure, `memory.rs`).
    pub fn heap_bytes(&self) -> usize {
        match self {
            WindowedAggregator::Time(p) => p.heap_bytes(),
            WindowedAggregator::Sliding(p) => p.heap_bytes(),
            WindowedAggregator::Session(p) => p.heap_bytes(),
        }
    }

    /// The store's live windows as `(windowed key, aggregate, timestamp)`, by key then window.
    pub fn windows(&self) -> Vec<(WindowedKey, Val, Millis)> {
        match self {
            WindowedAggregator::Time(p) => p.windows(),
            WindowedAggregator::Sliding(p) => p.windows(),
            WindowedAggregator::Session(p) => p.windows(),
        }
    }
}
