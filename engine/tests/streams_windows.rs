//! Windowed aggregation, grace, retention and `suppress(untilWindowCloses)` against Kafka
//! Streams' rules: the classes `TimeWindows`, `KStreamWindowAggregate`,
//! `KStreamSlidingWindowAggregate`, `KStreamSessionWindowAggregate` and `KTableSuppressProcessor`
//! (apache/kafka trunk, Oct. 2024), and the examples of the "Kafka Streams DSL" developer guide
//! (docs/streams/developer-guide/dsl-api.html, "Windowing"), named where a test pins one.

use std::collections::BTreeMap;
use std::convert::Infallible;

use engine::streams::dsl::WindowSpec;
use engine::streams::value::Val;
use engine::streams::window::suppress::WindowedSerde;
use engine::streams::window::{
    Aggregation, Millis, SessionWindowAggregator, SessionWindows, Skip, SlidingWindowAggregator,
    SlidingWindows, Suppressor, TimeWindowAggregator, TimeWindows, Update, Window,
    WindowedAggregator, changelog_retention, store_retention,
};
use engine::time::{ms, secs};
use proptest::prelude::*;

/// `count()`: initializer 0, aggregator +1, merger sum (`KGroupedStream.count`,
/// `SessionWindowedKStream.count`).
struct Count;

impl Aggregation for Count {
    type Error = Infallible;
    fn init(&mut self) -> Result<Val, Infallible> {
        Ok(Val::Int(0))
    }
    fn add(&mut self, _: &Val, _: &Val, agg: &Val) -> Result<Val, Infallible> {
        Ok(Val::Int(int(agg) + 1))
    }
    fn merge(&mut self, _: &Val, one: &Val, two: &Val) -> Result<Val, Infallible> {
        Ok(Val::Int(int(one) + int(two)))
    }
}

/// `reduce((a, b) -> a + "," + b)`: a null initial aggregate that takes the first value as is.
struct Concat;

impl Aggregation for Concat {
    type Error = Infallible;
    fn init(&mut self) -> Result<Val, Infallible> {
        Ok(Val::Null)
    }
    fn add(&mut self, _: &Val, value: &Val, agg: &Val) -> Result<Val, Infallible> {
        Ok(if agg.is_null() {
            value.clone()
        } else {
            Val::text(&format!("{agg},{value}"))
        })
    }
    fn merge(&mut self, key: &Val, one: &Val, two: &Val) -> Result<Val, Infallible> {
        // mergerForAggregator: aggregator.apply(key, aggTwo, aggOne)
        self.add(key, two, one)
    }
}

fn int(v: &Val) -> i64 {
    match v {
        Val::Int(i) => *i,
        other => panic!("a count: {other:?}"),
    }
}

fn k(s: &str) -> Val {
    Val::text(s)
}

/// An update as `(key, [start, end], new, old)`, for compact expectations.
fn brief(u: &Update) -> (String, Millis, Millis, Option<i64>, Option<i64>) {
    (
        u.key.key.to_string(),
        u.key.window.start,
        u.key.window.end,
        u.new.as_ref().map(int),
        u.old.as_ref().map(int),
    )
}

const MINUTE: Millis = 60_000;

#[test]
fn hopping_windows_are_aligned_to_the_epoch_as_the_developer_guide_shows() {
    // dsl-api.html, "Hopping time windows": size 5000 ms, advance 3000 ms give
    // [0;5000), [3000;8000), … — not [1000;6000) or anything aligned to the records.
    let hopping = TimeWindows::hopping(5000, 3000, 0);
    assert_eq!(hopping.windows_for(1000), vec![Window::new(0, 5000)]);
    assert_eq!(
        hopping.windows_for(4000),
        vec![Window::new(0, 5000), Window::new(3000, 8000)]
    );
    assert_eq!(
        hopping.windows_for(6000),
        vec![Window::new(3000, 8000), Window::new(6000, 11000)]
    );
    // "Tumbling time windows": size 5000 ms gives [0;5000), [5000;10000), …
    let tumbling = TimeWindows::tumbling(5000, 0);
    assert_eq!(tumbling.windows_for(4999), vec![Window::new(0, 5000)]);
    assert_eq!(tumbling.windows_for(1452), vec![Window::new(0, 5000)]);
}

#[test]
fn a_record_at_exactly_a_window_end_belongs_to_the_next_window_only() {
    // Lower bound inclusive, upper exclusive.
    let tumbling = TimeWindows::tumbling(5000, 0);
    assert_eq!(tumbling.windows_for(5000), vec![Window::new(5000, 10000)]);
    assert_eq!(tumbling.windows_for(0), vec![Window::new(0, 5000)]);
    let hopping = TimeWindows::hopping(5000, 3000, 0);
    // 8000 is the end of [3000;8000) and inside [6000;11000) only.
    assert_eq!(hopping.windows_for(8000), vec![Window::new(6000, 11000)]);
    let mut agg = TimeWindowAggregator::new(tumbling, 5000);
    let out = agg.process(&k("a"), &k("x"), 5000, &mut Count);
    assert_eq!(
        out.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![("a".into(), 5000, 10000, Some(1), Some(0))]
    );
}

#[test]
fn a_new_window_forwards_the_initializer_as_its_old_value_and_the_largest_timestamp() {
    // KStreamWindowAggregate: `oldAgg = initializer.apply()` before `Change(newAgg, oldAgg)`;
    // the window's timestamp is the largest of its records'.
    let mut agg = TimeWindowAggregator::new(TimeWindows::tumbling(1000, 0), 1000);
    let first = agg.process(&k("a"), &k("x"), 700, &mut Count);
    assert_eq!(first.updates[0].old, Some(Val::Int(0)));
    assert_eq!(first.updates[0].timestamp, 700);
    let second = agg.process(&k("a"), &k("y"), 300, &mut Count);
    assert_eq!(
        brief(&second.updates[0]),
        ("a".into(), 0, 1000, Some(2), Some(1))
    );
    assert_eq!(second.updates[0].timestamp, 700, "max(300, 700)");
    assert_eq!(agg.fetch(&k("a"), 0), Some((Val::Int(2), 700)));
}

#[test]
fn a_record_is_late_once_stream_time_reaches_window_end_plus_grace() {
    // KStreamWindowAggregate: a window is updated while `windowEnd > streamTime - grace`;
    // at `streamTime == windowEnd + grace` it has closed and the record counts as dropped.
    let mut agg = TimeWindowAggregator::new(TimeWindows::tumbling(10, 5), 15);
    agg.process(&k("a"), &k("x"), 14, &mut Count); // stream time 14: [0,10) closes at 15
    let in_grace = agg.process(&k("a"), &k("x"), 3, &mut Count);
    assert!(in_grace.skipped.is_empty());
    assert_eq!(
        brief(&in_grace.updates[0]),
        ("a".into(), 0, 10, Some(1), Some(0))
    );
    agg.process(&k("b"), &k("x"), 15, &mut Count); // stream time 15
    let late = agg.process(&k("a"), &k("x"), 9, &mut Count);
    assert!(late.updates.is_empty());
    assert_eq!(late.skipped, vec![Skip::ExpiredWindow(Window::new(0, 10))]);
    assert_eq!(agg.fetch(&k("a"), 0), Some((Val::Int(1), 3)));
}

#[test]
fn a_hopping_record_counts_one_drop_per_closed_window_and_updates_the_open_ones() {
    // KStreamWindowAggregate logs (and counts) "Skipping record for expired window" per window.
    let mut agg = TimeWindowAggregator::new(TimeWindows::hopping(10, 2, 0), 10);
    agg.process(&k("a"), &k("x"), 14, &mut Count); // closes every window ending at or before 14
    let out = agg.process(&k("a"), &k("x"), 9, &mut Count);
    // windows of 9: [0,10) [2,12) [4,14) [6,16) [8,18)
    assert_eq!(
        out.skipped,
        vec![
            Skip::ExpiredWindow(Window::new(0, 10)),
            Skip::ExpiredWindow(Window::new(2, 12)),
            Skip::ExpiredWindow(Window::new(4, 14)),
        ]
    );
    assert_eq!(
        out.updates.iter().map(|u| u.key.window).collect::<Vec<_>>(),
        vec![Window::new(6, 16), Window::new(8, 18)]
    );
}

#[test]
fn null_keys_are_dropped_and_stream_time_is_the_processors_own() {
    let mut agg = TimeWindowAggregator::new(TimeWindows::tumbling(10, 0), 10);
    let out = agg.process(&Val::Null, &k("x"), 100, &mut Count);
    assert_eq!(out.skipped, vec![Skip::NullKey]);
    // A dropped null-key record does not move the processor's stream time.
    assert_eq!(agg.observed_stream_time(), -1);
    assert!(
        agg.process(&k("a"), &k("x"), 5, &mut Count)
            .skipped
            .is_empty()
    );
}

#[test]
fn time_and_session_windows_aggregate_null_values() {
    // KStreamWindowAggregate and KStreamSessionWindowAggregate only skip null keys (the
    // javadoc's "records with null key or value are ignored" is not what the processors do,
    // unlike the non-windowed KStreamAggregate and the sliding windows): `count` counts them.
    let mut time = TimeWindowAggregator::new(TimeWindows::tumbling(10, 0), 10);
    let out = time.process(&k("a"), &Val::Null, 1, &mut Count);
    assert_eq!(
        brief(&out.updates[0]),
        ("a".into(), 0, 10, Some(1), Some(0))
    );
    let mut session = SessionWindowAggregator::new(SessionWindows::new(10, 0), 10);
    let out = session.process(&k("a"), &Val::Null, 1, &mut Count);
    assert_eq!(brief(&out.updates[0]), ("a".into(), 1, 1, Some(1), None));
}

/// A count that fails on the value "bad", as an expression error would.
struct Picky;

impl Aggregation for Picky {
    type Error = String;
    fn init(&mut self) -> Result<Val, String> {
        Ok(Val::Int(0))
    }
    fn add(&mut self, _: &Val, value: &Val, agg: &Val) -> Result<Val, String> {
        if *value == k("bad") && int(agg) >= 1 {
            return Err("cannot count".into());
        }
        Ok(Val::Int(int(agg) + 1))
    }
    fn merge(&mut self, _: &Val, one: &Val, two: &Val) -> Result<Val, String> {
        Ok(Val::Int(int(one) + int(two)))
    }
}

#[test]
fn an_aggregation_error_stops_the_record_where_it_happened() {
    // The exception leaves `process` after the windows before it were updated and forwarded
    // (LogAndContinueProcessingExceptionHandler then goes on with the next record).
    let mut agg = TimeWindowAggregator::new(TimeWindows::hopping(10, 5, 0), 10);
    agg.process(&k("a"), &k("ok"), 7, &mut Picky); // [0,10) and [5,15) hold 1
    let out = agg.process(&k("a"), &k("bad"), 12, &mut Picky); // [5,15) fails; [10,20) new
    assert_eq!(out.error.as_deref(), Some("cannot count"));
    assert!(out.updates.is_empty());
    assert_eq!(agg.fetch(&k("a"), 5), Some((Val::Int(1), 7)));
    assert_eq!(agg.fetch(&k("a"), 10), None, "never reached");
}

#[test]
fn restored_aggregates_continue_where_the_changelog_left_them() {
    // After a restore from the changelog the store holds the aggregates (the processor's own
    // stream time starts over, as a new processor instance's does).
    let mut time = TimeWindowAggregator::new(TimeWindows::tumbling(10, 0), 10);
    time.restore(&k("a"), 0, Some((Val::Int(5), 3)));
    let out = time.process(&k("a"), &k("x"), 4, &mut Count);
    assert_eq!(
        brief(&out.updates[0]),
        ("a".into(), 0, 10, Some(6), Some(5))
    );
    assert_eq!(out.updates[0].timestamp, 4);
    let mut session = SessionWindowAggregator::new(SessionWindows::new(5, 0), 5);
    session.restore(&k("a"), Window::new(0, 2), Some(Val::Int(2)));
    let out = session.process(&k("a"), &k("x"), 4, &mut Count);
    assert_eq!(
        out.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![
            ("a".into(), 0, 2, None, Some(2)),
            ("a".into(), 0, 4, Some(3), None)
        ]
    );
    let mut sliding = SlidingWindowAggregator::new(SlidingWindows::new(10, 0), 20);
    sliding.restore(&k("a"), 10, Some((Val::Int(1), 20)));
    let out = sliding.process(&k("a"), &k("x"), 25, &mut Count);
    // [15,25] is new and holds the restored record at 20; [21,31] is the right window of 20.
    assert_eq!(
        out.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![
            ("a".into(), 21, 31, Some(1), Some(0)),
            ("a".into(), 15, 25, Some(2), Some(1)),
        ]
    );
}

#[test]
fn retention_is_size_plus_grace_and_the_changelog_adds_a_day() {
    // WindowStoreMaterializer, SlidingWindowStoreMaterializer, SessionStoreMaterializer and
    // WindowedChangelogTopicConfig (windowstore.changelog.additional.retention.ms = 1 day).
    let tumbling = WindowSpec::Tumbling {
        size: secs(300),
        grace: secs(60),
    };
    assert_eq!(store_retention(&tumbling), 360_000);
    assert_eq!(changelog_retention(360_000), 360_000 + 86_400_000);
    let sliding = WindowSpec::Sliding {
        difference: secs(10),
        grace: secs(30),
    };
    assert_eq!(store_retention(&sliding), 2 * 10_000 + 30_000);
    let session = WindowSpec::Session {
        gap: secs(300),
        grace: 0,
    };
    assert_eq!(store_retention(&session), 300_000);
    let hopping = WindowSpec::Hopping {
        size: ms(5000),
        advance: ms(1000),
        grace: 0,
    };
    assert_eq!(store_retention(&hopping), 5000);
    // suppress(untilWindowCloses) waits for the windows' grace.
    assert_eq!(engine::streams::window::grace(&tumbling), 60_000);
}

#[test]
fn a_window_store_forgets_windows_behind_its_retention() {
    // Hopping windows of 10 advancing by 2, no grace: retention 10 from the newest window start.
    let mut agg = WindowedAggregator::new(&WindowSpec::Hopping {
        size: ms(10),
        advance: ms(2),
        grace: 0,
    });
    agg.process(&k("a"), &k("x"), 1, &mut Count); // windows [0,10)
    agg.process(&k("a"), &k("x"), 40, &mut Count); // newest start 40: live from 31
    let starts: Vec<Millis> = agg.windows().iter().map(|w| w.0.window.start).collect();
    assert_eq!(starts, vec![32, 34, 36, 38, 40]);
}

#[test]
fn session_windows_merge_as_the_developer_guide_shows() {
    // dsl-api.html, "Session Windows": gap 5 minutes. Green at 0 and 6, blue at 2 make three
    // sessions; then green at 4 merges green's two sessions into [0,6] with three records, blue
    // at 5 extends blue's to [2,5] with two, and blue at 11 starts a new session [11,11].
    // The narrative holds with a grace period over one minute: at stream time 6 the green [0,0]
    // session (end 0) must still be within the store's retention, gap + grace (see the next
    // test for the guide's own `ofInactivityGapWithNoGrace`).
    let grace = 2 * MINUTE;
    let mut agg = SessionWindowAggregator::new(SessionWindows::new(5 * MINUTE, grace), 7 * MINUTE);
    let (green, blue) = (k("green"), k("blue"));
    for (key, minute) in [(&green, 0), (&blue, 2), (&green, 6)] {
        agg.process(key, &k("click"), minute * MINUTE, &mut Count);
    }
    assert_eq!(agg.sessions(&green).len(), 2);
    let merge = agg.process(&green, &k("click"), 4 * MINUTE, &mut Count);
    // The merged-away sessions go first (tombstones in end order), then the merged session.
    assert_eq!(
        merge.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![
            ("green".into(), 0, 0, None, Some(1)),
            ("green".into(), 6 * MINUTE, 6 * MINUTE, None, Some(1)),
            ("green".into(), 0, 6 * MINUTE, Some(3), None),
        ]
    );
    // Forwarded records carry the session's end as timestamp.
    assert_eq!(merge.updates[2].timestamp, 6 * MINUTE);
    let extend = agg.process(&blue, &k("click"), 5 * MINUTE, &mut Count);
    assert_eq!(
        extend.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![
            ("blue".into(), 2 * MINUTE, 2 * MINUTE, None, Some(1)),
            ("blue".into(), 2 * MINUTE, 5 * MINUTE, Some(2), None),
        ]
    );
    let new = agg.process(&blue, &k("click"), 11 * MINUTE, &mut Count);
    assert_eq!(
        new.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![("blue".into(), 11 * MINUTE, 11 * MINUTE, Some(1), None)]
    );
}

#[test]
fn without_grace_the_guides_session_example_finds_the_first_session_closed() {
    // The same records with `SessionWindows.ofInactivityGapWithNoGrace(5 minutes)`, as the
    // guide's code has it. At stream time 6 green's [0,0] session has closed (0 + 5 < 6) and the
    // store (retention 5 minutes) no longer returns it, so green at 4 only merges with [6,6].
    let mut agg = SessionWindowAggregator::new(SessionWindows::new(5 * MINUTE, 0), 5 * MINUTE);
    let (green, blue) = (k("green"), k("blue"));
    for (key, minute) in [(&green, 0), (&blue, 2), (&green, 6)] {
        agg.process(key, &k("click"), minute * MINUTE, &mut Count);
    }
    let merge = agg.process(&green, &k("click"), 4 * MINUTE, &mut Count);
    assert_eq!(
        merge.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![
            ("green".into(), 6 * MINUTE, 6 * MINUTE, None, Some(1)),
            ("green".into(), 4 * MINUTE, 6 * MINUTE, Some(2), None),
        ]
    );
    // Blue's [2,2] ends after minute 1: still found, and extended as in the guide.
    let extend = agg.process(&blue, &k("click"), 5 * MINUTE, &mut Count);
    assert_eq!(
        brief(&extend.updates[1]),
        ("blue".into(), 2 * MINUTE, 5 * MINUTE, Some(2), None)
    );
}

#[test]
fn a_record_inside_a_session_removes_and_puts_the_same_session() {
    // mergedWindow [0,10] differs from the record's own [5,5], so the old session is removed
    // (a tombstone) before the new aggregate is forwarded under the same windowed key.
    let mut agg = SessionWindowAggregator::new(SessionWindows::new(3, 0), 3);
    agg.process(&k("a"), &k("p"), 0, &mut Concat);
    agg.process(&k("a"), &k("q"), 3, &mut Concat);
    let out = agg.process(&k("a"), &k("r"), 2, &mut Concat);
    let shown: Vec<_> = out
        .updates
        .iter()
        .map(|u| (u.key.window, u.new.clone(), u.old.clone()))
        .collect();
    assert_eq!(
        shown,
        vec![
            (Window::new(0, 3), None, Some(k("p,q"))),
            (Window::new(0, 3), Some(k("p,q,r")), None),
        ]
    );
}

#[test]
fn a_session_closes_at_its_end_plus_gap_plus_grace() {
    // KStreamSessionWindowAggregate: dropped when `mergedWindow.end() < streamTime - grace - gap`.
    // Gap 5, grace 2, retention 7; stream time 20 makes the close time 13.
    let mut agg = SessionWindowAggregator::new(SessionWindows::new(5, 2), 7);
    agg.process(&k("b"), &k("x"), 20, &mut Count);
    let live = agg.process(&k("a"), &k("x"), 14, &mut Count);
    assert!(live.skipped.is_empty());
    let late = agg.process(&k("a"), &k("x"), 7, &mut Count);
    assert_eq!(late.skipped, vec![Skip::ExpiredWindow(Window::new(7, 7))]);
    // A late record that merges into a live session is not late.
    let merged = agg.process(&k("a"), &k("x"), 10, &mut Count);
    assert!(merged.skipped.is_empty());
    assert_eq!(
        agg.sessions(&k("a")),
        vec![(Window::new(10, 14), Val::Int(2))]
    );
    // On the edge: a session ending exactly at the close time is accepted and forwarded, but the
    // store (retention gap + grace) only returns sessions ending after `observed - retention`,
    // so it is already out of reach of later merges.
    let edge = agg.process(&k("c"), &k("x"), 13, &mut Count);
    assert!(edge.skipped.is_empty());
    assert_eq!(edge.updates.len(), 1);
    assert!(agg.sessions(&k("c")).is_empty());
}

/// The windows Kafka's sliding-window aggregation has for one key's records, computed from the
/// definition rather than the algorithm: each record's left window `[t - d, t]` (`[0, d]` for a
/// record before `d`) and, when a later record lies within `d` after it, its right window
/// `[t + 1, t + 1 + d]`; each holds the count of records in it and their largest timestamp.
fn sliding_by_definition(times: &[Millis], d: Millis) -> BTreeMap<Millis, (i64, Millis)> {
    let mut starts = Vec::new();
    for &t in times {
        starts.push((t - d).max(0));
        if times.iter().any(|&u| u > t && u <= t + 1 + d) {
            starts.push(t + 1);
        }
    }
    starts
        .into_iter()
        .map(|s| {
            let inside: Vec<Millis> = times
                .iter()
                .copied()
                .filter(|&u| u >= s && u <= s + d)
                .collect();
            (
                s,
                (inside.len() as i64, *inside.iter().max().unwrap_or(&-1)),
            )
        })
        .collect()
}

#[test]
fn sliding_windows_create_a_left_and_a_right_window_per_record() {
    // KStreamSlidingWindowAggregate with a time difference of 10: a record at 20 makes its left
    // window [10,20]; one at 25 makes [15,25] (holding both) and the first one's right window
    // [21,31] (holding the second only).
    let mut agg = SlidingWindowAggregator::new(SlidingWindows::new(10, 100), 120);
    let first = agg.process(&k("a"), &k("x"), 20, &mut Count);
    assert_eq!(
        first.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![("a".into(), 10, 20, Some(1), Some(0))]
    );
    let second = agg.process(&k("a"), &k("x"), 25, &mut Count);
    assert_eq!(
        second.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![
            ("a".into(), 21, 31, Some(1), Some(0)),
            ("a".into(), 15, 25, Some(2), Some(1)),
        ]
    );
    // An out-of-order record at 22 lands in [15,25] and [21,31], gets a left window [12,22] with
    // the record at 20, and a right window [23,33] with the record at 25.
    let third = agg.process(&k("a"), &k("x"), 22, &mut Count);
    assert_eq!(
        third.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![
            ("a".into(), 21, 31, Some(2), Some(1)),
            ("a".into(), 15, 25, Some(3), Some(2)),
            ("a".into(), 12, 22, Some(2), Some(1)),
            ("a".into(), 23, 33, Some(1), None),
        ]
    );
    let got: BTreeMap<Millis, (i64, Millis)> = agg
        .windows()
        .into_iter()
        .map(|(w, v, ts)| (w.window.start, (int(&v), ts)))
        .collect();
    assert_eq!(got, sliding_by_definition(&[20, 25, 22], 10));
}

#[test]
fn sliding_windows_drop_a_record_whose_windows_closed() {
    // Difference 10, grace 5; stream time 40 makes the close time 35. A record is dropped
    // outright when even `[t, t + d]` has closed (`t + d < closeTime`, the end inclusive): 24.
    let mut agg = SlidingWindowAggregator::new(SlidingWindows::new(10, 5), 25);
    agg.process(&k("a"), &k("x"), 40, &mut Count);
    let late = agg.process(&k("a"), &k("x"), 24, &mut Count);
    assert_eq!(late.skipped, vec![Skip::ExpiredWindow(Window::new(24, 34))]);
    // 25 passes that check, but its left window [15,25] has closed: `updateWindowAndForward`
    // counts it as an expired window and nothing is aggregated.
    let left_closed = agg.process(&k("a"), &k("x"), 25, &mut Count);
    assert_eq!(
        left_closed.skipped,
        vec![Skip::ExpiredWindow(Window::new(15, 25))]
    );
    assert!(left_closed.updates.is_empty());
    // 31 lands in the open window [30,40] and gets a right window [32,42] holding the record at
    // 40; its own left window [21,31] has closed.
    let partly = agg.process(&k("a"), &k("x"), 31, &mut Count);
    assert_eq!(
        partly.updates.iter().map(brief).collect::<Vec<_>>(),
        vec![
            ("a".into(), 30, 40, Some(2), Some(1)),
            ("a".into(), 32, 42, Some(1), None),
        ]
    );
    assert_eq!(
        partly.skipped,
        vec![Skip::ExpiredWindow(Window::new(21, 31))]
    );
    // A null value is dropped before anything else (sliding windows only).
    let null = agg.process(&k("a"), &Val::Null, 41, &mut Count);
    assert_eq!(null.skipped, vec![Skip::NullValue]);
}

#[test]
fn suppress_emits_the_final_count_once_the_window_closes_as_the_developer_guide_shows() {
    // dsl-api.html, "Window Final Results": hourly windows with 10 minutes of grace; the 09:00 to
    // 10:00 window of user U accepts records until 10:10 and then emits exactly once, its count.
    let hour = 60 * MINUTE;
    let (nine, ten) = (9 * hour, 10 * hour);
    let mut agg = TimeWindowAggregator::new(TimeWindows::tumbling(hour, 10 * MINUTE), 70 * MINUTE);
    let mut suppress = Suppressor::new(10 * MINUTE, WindowedSerde::Time);
    let mut feed = |key: &str, at: Millis| {
        let out = agg.process(&k(key), &k("event"), at, &mut Count);
        out.updates
            .into_iter()
            .flat_map(|u| suppress.process(u.key, u.new, u.old, u.timestamp))
            .collect::<Vec<_>>()
    };
    assert!(feed("U", nine + 5 * MINUTE).is_empty());
    assert!(feed("U", nine + 30 * MINUTE).is_empty());
    assert!(
        feed("V", ten + 9 * MINUTE).is_empty(),
        "stream time 10:09: still open"
    );
    assert!(
        feed("U", nine + 59 * MINUTE).is_empty(),
        "in grace: accepted, not emitted"
    );
    let closed = feed("V", ten + 10 * MINUTE);
    assert_eq!(closed.len(), 1, "stream time 10:10: closed");
    assert_eq!(closed[0].key.key, k("U"));
    assert_eq!(closed[0].key.window, Window::new(nine, ten));
    assert_eq!(closed[0].new, Val::Int(3));
    assert_eq!(closed[0].timestamp, nine + 59 * MINUTE);
    // A record for the closed window afterwards is dropped upstream: nothing more for U@09:00.
    assert!(feed("U", nine + 1).is_empty());
}

#[test]
fn suppress_orders_by_window_end_then_key_and_drops_tombstones() {
    let mut suppress = Suppressor::new(1, WindowedSerde::Session);
    let key = |key: &str, start, end| engine::streams::window::WindowedKey {
        key: k(key),
        window: Window::new(start, end),
    };
    assert!(
        suppress
            .process(key("b", 0, 5), Some(Val::Int(1)), None, 5)
            .is_empty()
    );
    // A session merged away: its tombstone replaces its buffered value and is never forwarded.
    assert!(
        suppress
            .process(key("c", 1, 5), Some(Val::Int(1)), None, 5)
            .is_empty()
    );
    assert!(
        suppress
            .process(key("c", 1, 5), None, Some(Val::Int(1)), 5)
            .is_empty()
    );
    assert!(
        suppress
            .process(key("a", 2, 5), Some(Val::Int(7)), None, 5)
            .is_empty()
    );
    let waiting: Vec<_> = suppress
        .buffered()
        .map(|(key, new)| (key.key.to_string(), new.cloned()))
        .collect();
    assert_eq!(
        waiting,
        vec![
            ("a".to_string(), Some(Val::Int(7))),
            ("b".to_string(), Some(Val::Int(1))),
            ("c".to_string(), None),
        ]
    );
    // Stream time 6 minus grace 1 reaches the end (5) of a, b and c's tombstone, not z's (8). Entries that
    // close together come out in key order; the tombstone is evicted silently.
    let out = suppress.process(key("z", 6, 8), Some(Val::Int(1)), None, 6);
    let keys: Vec<_> = out.iter().map(|e| e.key.key.to_string()).collect();
    assert_eq!(keys, vec!["a", "b"]);
    assert_eq!(suppress.len(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Tumbling counts over random in-order timestamps (so nothing is late) equal the counts
    /// computed directly: one window `[⌊t/size⌋·size, +size)` per record.
    #[test]
    fn tumbling_counts_equal_direct_counts(
        size in 1i64..50,
        mut records in prop::collection::vec((0u8..4, 0i64..400), 1..80),
    ) {
        records.sort_by_key(|r| r.1);
        let mut agg = TimeWindowAggregator::new(TimeWindows::tumbling(size, 0), i64::MAX / 4);
        let mut direct: BTreeMap<(String, Millis), i64> = BTreeMap::new();
        for (key, t) in &records {
            let key = format!("k{key}");
            let out = agg.process(&k(&key), &k("v"), *t, &mut Count);
            prop_assert!(out.skipped.is_empty());
            *direct.entry((key, t / size * size)).or_default() += 1;
        }
        let got: BTreeMap<(String, Millis), i64> = agg
            .windows()
            .into_iter()
            .map(|(w, v, _)| ((w.key.to_string(), w.window.start), int(&v)))
            .collect();
        prop_assert_eq!(got, direct);
    }

    /// Hopping windows, in-order records: each record counts once in each of the
    /// `size / advance` epoch-aligned windows that contain it.
    #[test]
    fn hopping_counts_equal_direct_counts(
        advance in 1i64..10,
        hops in 1i64..5,
        mut times in prop::collection::vec(0i64..300, 1..60),
    ) {
        times.sort();
        let size = advance * hops;
        let mut agg = TimeWindowAggregator::new(TimeWindows::hopping(size, advance, 0), size);
        let mut direct: BTreeMap<Millis, i64> = BTreeMap::new();
        for &t in &times {
            prop_assert!(agg.process(&k("a"), &k("v"), t, &mut Count).skipped.is_empty());
            let mut start = 0;
            while start <= t {
                if t < start + size {
                    *direct.entry(start).or_default() += 1;
                }
                start += advance;
            }
        }
        // The store keeps the windows within its retention (size) of the newest start.
        let newest = *direct.keys().last().expect("a record");
        direct.retain(|start, _| *start > newest - size);
        let got: BTreeMap<Millis, i64> = agg
            .windows()
            .into_iter()
            .map(|(w, v, _)| (w.window.start, int(&v)))
            .collect();
        prop_assert_eq!(got, direct);
    }

    /// Session windows, records in any order within the grace period: the sessions are the
    /// clusters of timestamps no more than `gap` apart, whatever the order of arrival.
    #[test]
    fn sessions_are_the_clusters_within_the_gap(
        gap in 1i64..20,
        times in prop::collection::vec(0i64..200, 1..30),
    ) {
        let mut agg = SessionWindowAggregator::new(SessionWindows::new(gap, 1000), gap + 1000);
        for &t in &times {
            prop_assert!(agg.process(&k("a"), &k("v"), t, &mut Count).skipped.is_empty());
        }
        let mut sorted = times.clone();
        sorted.sort();
        let mut clusters: Vec<(Window, i64)> = Vec::new();
        for t in sorted {
            match clusters.last_mut() {
                Some((w, n)) if t - w.end <= gap => {
                    w.end = t;
                    *n += 1;
                }
                _ => clusters.push((Window::new(t, t), 1)),
            }
        }
        let got: Vec<(Window, i64)> = agg
            .sessions(&k("a"))
            .into_iter()
            .map(|(w, v)| (w, int(&v)))
            .collect();
        prop_assert_eq!(got, clusters);
    }

    /// Sliding windows, records in any order within the grace period: the windows and counts
    /// the processor keeps equal those of the definition.
    #[test]
    fn sliding_windows_equal_their_definition(
        d in 1i64..20,
        times in prop::collection::vec(0i64..120, 1..25),
    ) {
        let mut agg = SlidingWindowAggregator::new(SlidingWindows::new(d, 1000), 2 * d + 1000);
        for &t in &times {
            let out = agg.process(&k("a"), &k("v"), t, &mut Count);
            prop_assert!(out.skipped.is_empty());
        }
        let got: BTreeMap<Millis, (i64, Millis)> = agg
            .windows()
            .into_iter()
            .map(|(w, v, ts)| (w.window.start, (int(&v), ts)))
            .collect();
        prop_assert_eq!(got, sliding_by_definition(&times, d));
    }
}

#[test]
fn suppress_logs_changed_keys_at_flush_and_a_restored_buffer_emits_the_same_final_result() {
    // InMemoryTimeOrderedKeyValueChangeBuffer: `flush` logs each key buffered or evicted since
    // the last flush (a tombstone for one evicted), `restoreBatch` puts logged entries back.
    let key = |key: &str, start, end| engine::streams::window::WindowedKey {
        key: k(key),
        window: Window::new(start, end),
    };
    let mut live = Suppressor::new(5, WindowedSerde::Time);
    assert!(
        live.process(key("a", 0, 10), Some(Val::Int(1)), None, 1)
            .is_empty()
    );
    assert!(
        live.process(key("a", 0, 10), Some(Val::Int(2)), None, 2)
            .is_empty()
    );
    assert!(
        live.process(key("b", 0, 10), Some(Val::Int(1)), None, 3)
            .is_empty()
    );
    let first = live.flush_log();
    assert_eq!(
        first,
        vec![
            (key("a", 0, 10), Some((Val::Int(2), 2))),
            (key("b", 0, 10), Some((Val::Int(1), 3))),
        ],
        "one record per key, its latest update"
    );
    assert!(live.flush_log().is_empty(), "nothing changed since");

    // The buffer as a new owner restores it from the changelog: no stream time yet, so
    // nothing is emitted until a record comes; then the same final results as the live one.
    let mut restored = Suppressor::new(5, WindowedSerde::Time);
    for (k, entry) in first.clone() {
        restored.restore(k, entry);
    }
    assert_eq!(restored.len(), 2);
    let next = |s: &mut Suppressor| s.process(key("a", 10, 20), Some(Val::Int(1)), None, 15);
    let from_live = next(&mut live);
    let from_restored = next(&mut restored);
    assert_eq!(
        from_live.len(),
        2,
        "stream time 15 - grace 5 closes [0, 10)"
    );
    assert_eq!(
        from_live
            .iter()
            .map(|e| (&e.key, &e.new))
            .collect::<Vec<_>>(),
        from_restored
            .iter()
            .map(|e| (&e.key, &e.new))
            .collect::<Vec<_>>()
    );
    // The evicted keys are logged as tombstones, the new window as a value.
    assert_eq!(
        live.flush_log(),
        vec![
            (key("a", 0, 10), None),
            (key("a", 10, 20), Some((Val::Int(1), 15))),
            (key("b", 0, 10), None),
        ]
    );
    // A tombstone restored removes the entry.
    restored.restore(key("a", 10, 20), None);
    assert!(restored.is_empty());
}
