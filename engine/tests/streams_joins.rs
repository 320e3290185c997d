//! Join semantics against Kafka Streams: the three "Semantics of … joins" tables of the "Kafka
//! Streams DSL" developer guide (docs/streams/developer-guide/dsl-api.html, section "Joining"),
//! each encoded row by row, and cases from Kafka's own tests of `KStreamKStreamJoin`
//! (`KStreamKStreamLeftJoinTest`, apache/kafka trunk, Oct. 2024).
//!
//! In every table all records have the same key and are processed in timestamp order; a cell
//! `[A, a]` is what the `ValueJoiner` receives, `null` in the result column a tombstone.

use std::collections::BTreeMap;
use std::convert::Infallible;

use engine::streams::dsl::{JoinKind, JoinWindow};
use engine::streams::join::{
    Change, JoinOutput, Side, StreamStreamJoin, StreamTableResult, TableJoinResult,
    stream_table_join, table_table_join,
};
use engine::streams::value::Val;
use engine::streams::window::Millis;
use proptest::prelude::*;

/// The joiner of the guide's tables: `[left, right]`.
fn pair(_: &Val, left: &Val, right: &Val) -> Result<Val, Infallible> {
    Ok(Val::text(&format!("[{left}, {right}]")))
}

fn v(s: &str) -> Val {
    Val::text(s)
}

/// A table input: a letter, or `None` for the guide's `null`.
type Input = Option<&'static str>;

/// One row: timestamp, left input, right input (at most one of them is given per row).
type Row = (Millis, Option<Input>, Option<Input>);

/// The guide's inputs, the same for all three tables: (timestamp, left, right).
const ROWS: &[Row] = &[
    (1, Some(None), None),
    (2, None, Some(None)),
    (3, Some(Some("A")), None),
    (4, None, Some(Some("a"))),
    (5, Some(Some("B")), None),
    (6, None, Some(Some("b"))),
    (7, Some(None), None),
    (8, None, Some(None)),
    (9, Some(Some("C")), None),
    (10, None, Some(Some("c"))),
    (11, None, Some(None)),
    (12, Some(None), None),
    (13, None, Some(None)),
    (14, None, Some(Some("d"))),
    (15, Some(Some("D")), None),
];

fn input(row: &Row) -> (Side, Val) {
    match row {
        (_, Some(left), None) => (Side::Left, left.map_or(Val::Null, v)),
        (_, None, Some(right)) => (Side::Right, right.map_or(Val::Null, v)),
        _ => unreachable!("one side per row"),
    }
}

#[test]
fn stream_table_joins_follow_the_developer_guides_table() {
    // "Semantics of stream-table joins": only the stream side triggers; a null stream value is
    // dropped; the table's tombstones delete.
    let expected: &[(Millis, &str, &str)] = &[
        // (timestamp, INNER JOIN, LEFT JOIN)
        (3, "", "[A, null]"),
        (5, "[B, a]", "[B, a]"),
        (9, "", "[C, null]"),
        (15, "[D, d]", "[D, d]"),
    ];
    for (kind, column) in [(JoinKind::Inner, 1), (JoinKind::Left, 2)] {
        let mut table: BTreeMap<Val, Val> = BTreeMap::new();
        let key = v("k");
        let mut got = Vec::new();
        for row in ROWS {
            let (side, value) = input(row);
            match side {
                Side::Right => {
                    if value.is_null() {
                        table.remove(&key);
                    } else {
                        table.insert(key.clone(), value);
                    }
                }
                Side::Left => {
                    let result = stream_table_join(
                        kind,
                        &key,
                        &value,
                        &key,
                        |k| table.get(k).cloned(),
                        pair,
                    )
                    .expect("joiner");
                    match result {
                        StreamTableResult::Joined(out) => got.push((row.0, out.to_string())),
                        StreamTableResult::NoMatch => assert_eq!(kind, JoinKind::Inner),
                        StreamTableResult::Dropped => {
                            assert!(value.is_null(), "row {}: only null values drop", row.0)
                        }
                    }
                }
            }
        }
        let want: Vec<(Millis, String)> = expected
            .iter()
            .map(|e| (e.0, if column == 1 { e.1 } else { e.2 }.to_string()))
            .filter(|(_, s)| !s.is_empty())
            .collect();
        assert_eq!(got, want, "{kind:?}");
    }
}

#[test]
fn table_table_joins_follow_the_developer_guides_table() {
    // "Semantics of table-table equi-joins": both sides trigger. Each update is a Change of the
    // table's new and old value (KTableSource forwards even a tombstone for a missing key).
    let expected: &[(Millis, &str, &str, &str)] = &[
        // (timestamp, INNER JOIN, LEFT JOIN, OUTER JOIN); "null" is a forwarded tombstone.
        (3, "", "[A, null]", "[A, null]"),
        (4, "[A, a]", "[A, a]", "[A, a]"),
        (5, "[B, a]", "[B, a]", "[B, a]"),
        (6, "[B, b]", "[B, b]", "[B, b]"),
        (7, "null", "null", "[null, b]"),
        (8, "", "", "null"),
        (9, "", "[C, null]", "[C, null]"),
        (10, "[C, c]", "[C, c]", "[C, c]"),
        (11, "null", "[C, null]", "[C, null]"),
        (12, "", "null", "null"),
        (14, "", "", "[null, d]"),
        (15, "[D, d]", "[D, d]", "[D, d]"),
    ];
    for (kind, column) in [
        (JoinKind::Inner, 1),
        (JoinKind::Left, 2),
        (JoinKind::Outer, 3),
    ] {
        let mut tables: [Option<(Val, Millis)>; 2] = [None, None];
        let key = v("k");
        let mut got = Vec::new();
        for row in ROWS {
            let (side, value) = input(row);
            let (this, other) = match side {
                Side::Left => (0, 1),
                Side::Right => (1, 0),
            };
            let update = Change {
                new: (!value.is_null()).then(|| value.clone()),
                old: tables[this].as_ref().map(|(v, _)| v.clone()),
            };
            tables[this] = update.new.clone().map(|v| (v, row.0));
            let result = table_table_join(
                kind,
                side,
                &key,
                &update,
                row.0,
                tables[other].clone(),
                false,
                pair,
            )
            .expect("joiner");
            match result {
                TableJoinResult::Forward { change, timestamp } => {
                    assert!(timestamp >= row.0);
                    got.push((
                        row.0,
                        change.new.map_or("null".to_string(), |n| n.to_string()),
                    ));
                }
                TableJoinResult::Nothing => {}
                TableJoinResult::Dropped => panic!("no null keys here"),
            }
        }
        let want: Vec<(Millis, String)> = expected
            .iter()
            .map(|e| (e.0, [e.1, e.2, e.3][column - 1].to_string()))
            .filter(|(_, s)| !s.is_empty())
            .collect();
        assert_eq!(got, want, "{kind:?}");
    }
}

/// The joiner of Kafka's tests (`MockValueJoiner.TOSTRING_JOINER`): `left+right`.
fn plus(_: &Val, left: &Val, right: &Val) -> Result<Val, Infallible> {
    Ok(Val::text(&format!("{left}+{right}")))
}

fn outputs(outs: &[JoinOutput]) -> Vec<(String, String, Millis)> {
    outs.iter()
        .map(|o| (o.key.to_string(), o.value.to_string(), o.timestamp))
        .collect()
}

/// Feeds `(side, value, timestamp)` records with one key to a join, with the wall clock at the
/// record's timestamp (a live application: records are processed about when they are stamped),
/// and returns the outputs of each record.
fn feed(join: &mut StreamStreamJoin, records: &[(Side, Input, Millis)]) -> Vec<Vec<String>> {
    records
        .iter()
        .map(|&(side, value, ts)| {
            let value = value.map_or(Val::Null, v);
            let out = join.process(side, &v("k"), &value, ts, ts, pair);
            assert!(out.error.is_none());
            out.outputs.iter().map(|o| o.value.to_string()).collect()
        })
        .collect()
}

/// What a row's record made the join emit: its timestamp (s) and the joiner's arguments.
type Emitted = (Millis, &'static [&'static str]);

#[test]
fn stream_stream_joins_follow_the_developer_guides_table() {
    // "Semantics of stream-stream joins": a join window of 15 s with a grace period of 5 s.
    // Timestamps are seconds; rows 1–15 then E at 40, F at 60, f at 80, G at 100.
    const S: Millis = 1000;
    let mut records: Vec<(Side, Input, Millis)> = ROWS
        .iter()
        .map(|row| {
            let (side, _) = input(row);
            let value = row.1.or(row.2).expect("one side");
            (side, value, row.0 * S)
        })
        .collect();
    records.extend([
        (Side::Left, Some("E"), 40 * S),
        (Side::Left, Some("F"), 60 * S),
        (Side::Right, Some("f"), 80 * S),
        (Side::Left, Some("G"), 100 * S),
    ]);
    let joined: &[Emitted] = &[
        (4, &["[A, a]"]),
        (5, &["[B, a]"]),
        (6, &["[A, b]", "[B, b]"]),
        (9, &["[C, a]", "[C, b]"]),
        (10, &["[A, c]", "[B, c]", "[C, c]"]),
        (14, &["[A, d]", "[B, d]", "[C, d]"]),
        (15, &["[D, a]", "[D, b]", "[D, c]", "[D, d]"]),
    ];
    // The guide emits [E, null] at 60, [F, null] at 80 and [null, f] at 100: each as stream time
    // reaches the record's timestamp + 15 s + 5 s. KStreamKStreamJoin keeps the window open while
    // `timestamp + after + grace >= streamTime` (emitNonJoinedOuterRecords,
    // isOuterJoinWindowOpen), so each comes out one row later, with the first record past it:
    // [E, null] at 80, [F, null] at 100, and [null, f] waits for a record after 100.
    let unjoined: &[(JoinKind, &[Emitted])] = &[
        (JoinKind::Inner, &[]),
        (
            JoinKind::Left,
            &[(80, &["[E, null]"]), (100, &["[F, null]"])],
        ),
        (
            JoinKind::Outer,
            &[(80, &["[E, null]"]), (100, &["[F, null]"])],
        ),
    ];
    for (kind, late) in unjoined {
        let mut join = StreamStreamJoin::with_bounds(*kind, 15 * S, 15 * S, 5 * S);
        let got = feed(&mut join, &records);
        let mut want: BTreeMap<Millis, Vec<String>> = BTreeMap::new();
        for (ts, values) in joined.iter().chain(late.iter()) {
            want.entry(ts * S)
                .or_default()
                .extend(values.iter().map(|s| s.to_string()));
        }
        let got: BTreeMap<Millis, Vec<String>> = records
            .iter()
            .zip(got)
            .filter(|(_, out)| !out.is_empty())
            .map(|(r, out)| (r.2, out))
            .collect();
        assert_eq!(got, want, "{kind:?}");
        if *kind == JoinKind::Outer {
            // f is still waiting, and comes out with the next record past 100 + 15 + 5.
            let waiting = join.waiting();
            assert_eq!(waiting.len(), 2, "f and G: {waiting:?}");
            let out = join.process(Side::Left, &v("k"), &v("H"), 121 * S, 121 * S, pair);
            assert_eq!(out.outputs[0].value, v("[null, f]"));
        }
    }
}

#[test]
fn a_join_window_includes_both_ends() {
    // Records join when |Δt| <= difference: [t - before, t + after] is inclusive.
    let mut join = StreamStreamJoin::with_bounds(JoinKind::Inner, 10, 10, 0);
    let k = v("k");
    join.process(Side::Left, &k, &v("A"), 100, 0, plus);
    let at_edge = join.process(Side::Right, &k, &v("a"), 110, 0, plus);
    assert_eq!(
        outputs(&at_edge.outputs),
        vec![("k".into(), "A+a".into(), 110)]
    );
    let outside = join.process(Side::Right, &k, &v("b"), 111, 0, plus);
    assert!(outside.outputs.is_empty());
    let before = join.process(Side::Left, &k, &v("B"), 100, 0, plus);
    assert_eq!(
        outputs(&before.outputs),
        vec![("k".into(), "B+a".into(), 110)],
        "the result carries the larger timestamp"
    );
}

#[test]
fn join_window_stores_keep_records_for_before_plus_after_plus_grace() {
    // StreamJoinedStoreFactory: retention = window size (before + after) + grace; a store
    // returns records newer than its newest record minus the retention.
    let window = JoinWindow {
        difference: engine::time::ms(10),
        grace: engine::time::ms(5),
    };
    let mut join = StreamStreamJoin::new(JoinKind::Inner, window);
    assert_eq!(join.store_retention(), 25);
    let k = v("k");
    join.process(Side::Left, &k, &v("A"), 0, 0, plus);
    join.process(Side::Left, &k, &v("B"), 24, 0, plus);
    assert_eq!(
        join.window_store(Side::Left).len(),
        2,
        "0 > 24 - 25: A is kept"
    );
    join.process(Side::Left, &k, &v("C"), 25, 0, plus);
    let left: Vec<Millis> = join.window_store(Side::Left).iter().map(|r| r.1).collect();
    assert_eq!(left, vec![24, 25], "0 > 25 - 25 no more");
    assert_eq!(join.stream_time(), 25);
    // A late right record at 5 would join A by its window (|5 - 0| <= 10), but A is gone.
    let late = join.process(Side::Right, &k, &v("a"), 5, 0, plus);
    assert!(late.outputs.is_empty());
}

#[test]
fn an_asymmetric_window_swaps_its_bounds_for_the_right_side() {
    // `JoinWindows.ofTimeDifferenceWithNoGrace(100).before(0)`: a right record joins left
    // records in [right - after, right + before] (KStreamKStreamJoinRightSide swaps them).
    let mut join = StreamStreamJoin::with_bounds(JoinKind::Inner, 0, 100, 0);
    let k = v("k");
    join.process(Side::Left, &k, &v("A"), 100, 0, plus);
    assert!(
        join.process(Side::Right, &k, &v("a"), 99, 0, plus)
            .outputs
            .is_empty()
    );
    let b = join.process(Side::Right, &k, &v("b"), 200, 0, plus);
    assert_eq!(outputs(&b.outputs), vec![("k".into(), "A+b".into(), 200)]);
    assert!(
        join.process(Side::Right, &k, &v("c"), 201, 0, plus)
            .outputs
            .is_empty()
    );
}

#[test]
fn left_join_duplicates_are_emitted_as_in_kafkas_test() {
    // KStreamKStreamLeftJoinTest.testLeftJoinDuplicates: window 100 ms, grace 10 ms, and the
    // TopologyTestDriver's emit interval of 0.
    let mut join =
        StreamStreamJoin::with_bounds(JoinKind::Left, 100, 100, 10).with_emit_interval(0);
    let int = Val::Int;
    let mut run = |side, key: i64, value: &str, ts| {
        outputs(
            &join
                .process(side, &int(key), &v(value), ts, 0, plus)
                .outputs,
        )
    };
    assert!(run(Side::Left, 0, "A0", 0).is_empty());
    assert!(run(Side::Left, 0, "A0-0", 0).is_empty());
    // Kafka's test checks the output after the dummy at 500 "bumps stream time"; the results
    // come out already with a0 at 111, past A0's window end plus grace (110).
    let mut closed = run(Side::Right, 1, "a0", 111);
    closed.extend(run(Side::Right, 2, "dummy", 500));
    assert_eq!(
        closed,
        vec![
            ("0".into(), "A0+null".into(), 0),
            ("0".into(), "A0-0+null".into(), 0)
        ]
    );
    assert!(run(Side::Left, 2, "A2", 1000).is_empty());
    assert!(run(Side::Left, 2, "A2-0", 1000).is_empty());
    assert_eq!(
        run(Side::Right, 2, "a2", 1001),
        vec![
            ("2".into(), "A2+a2".into(), 1001),
            ("2".into(), "A2-0+a2".into(), 1001)
        ]
    );
    assert!(run(Side::Right, 3, "a3", 315).is_empty());
}

#[test]
fn unjoined_records_wait_until_stream_time_passes_window_end_plus_grace() {
    // KStreamKStreamLeftJoinTest.testGracePeriod: window 100 ms, grace 10 ms. Right records at
    // 101 are after A0's window: no join, and no [A0, null] yet (the window has not closed).
    // Emit interval 0, as in the TopologyTestDriver.
    let mut join =
        StreamStreamJoin::with_bounds(JoinKind::Left, 100, 100, 10).with_emit_interval(0);
    let int = Val::Int;
    for key in 0..2 {
        assert!(
            join.process(Side::Left, &int(key), &v("A"), 0, 0, plus)
                .outputs
                .is_empty()
        );
    }
    for key in 0..4 {
        let out = join.process(Side::Right, &int(key), &v("a"), 101, 0, plus);
        assert!(out.outputs.is_empty());
    }
    // Stream time 110 is A's window end plus grace: still open.
    assert!(
        join.process(Side::Right, &int(9), &v("x"), 110, 0, plus)
            .outputs
            .is_empty()
    );
    let out = join.process(Side::Right, &int(0), &v("dummy"), 111, 0, plus);
    assert_eq!(
        outputs(&out.outputs),
        vec![
            ("0".into(), "A+null".into(), 0),
            ("1".into(), "A+null".into(), 0)
        ]
    );
}

#[test]
fn a_late_left_record_whose_window_ended_is_emitted_at_once() {
    // `timeTo < streamTime`: the record cannot wait in the outer store; grace is not counted.
    let mut join = StreamStreamJoin::with_bounds(JoinKind::Left, 10, 10, 50);
    let k = v("k");
    join.process(Side::Right, &k, &v("x"), 100, 0, plus);
    let out = join.process(Side::Left, &k, &v("A"), 50, 0, plus);
    assert_eq!(
        outputs(&out.outputs),
        vec![("k".into(), "A+null".into(), 50)]
    );
    assert!(join.waiting().is_empty());
}

#[test]
fn the_outer_store_is_scanned_at_most_once_a_second_of_wall_clock() {
    // EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX = 1000 ms of processing time.
    let mut join = StreamStreamJoin::with_bounds(JoinKind::Left, 10, 10, 0);
    let mut run = |key: &str, value: &str, ts, now| {
        outputs(
            &join
                .process(Side::Left, &v(key), &v(value), ts, now, plus)
                .outputs,
        )
    };
    // The first record's check scans the empty store (`Long.MAX_VALUE + after + grace`
    // overflows) and so takes the slot until wall clock 6000.
    assert!(run("a", "A", 0, 5_000).is_empty());
    // Stream time 11 closes A's window, but the next scan may only run from 6000.
    assert!(run("b", "B", 11, 5_500).is_empty());
    assert_eq!(
        run("c", "C", 12, 6_000),
        vec![("a".into(), "A+null".into(), 0)]
    );
    // B's and C's windows close at stream time 21 and 22; the slot is taken until 7000.
    assert!(run("d", "D", 30, 6_999).is_empty());
    assert_eq!(
        run("e", "E", 31, 7_000),
        vec![
            ("b".into(), "B+null".into(), 11),
            ("c".into(), "C+null".into(), 12)
        ]
    );
}

#[test]
fn null_keys_and_values_in_joins_are_dropped_or_passed_as_kafka_does() {
    let k = v("k");
    // Stream–table: a null value is dropped; a null key too, except in a left join (KIP-962).
    let lookup = |_: &Val| Some(v("t"));
    let dropped = stream_table_join(JoinKind::Inner, &k, &Val::Null, &k, lookup, pair);
    assert_eq!(dropped, Ok(StreamTableResult::Dropped));
    let null_key = stream_table_join(
        JoinKind::Inner,
        &Val::Null,
        &v("x"),
        &Val::Null,
        lookup,
        pair,
    );
    assert_eq!(null_key, Ok(StreamTableResult::Dropped));
    let left_null_key = stream_table_join(
        JoinKind::Left,
        &Val::Null,
        &v("x"),
        &Val::Null,
        lookup,
        pair,
    );
    assert_eq!(left_null_key, Ok(StreamTableResult::Joined(v("[x, null]"))));
    // Stream–GlobalKTable: the mapper's key is looked up; a null mapped key drops the record.
    let global = stream_table_join(
        JoinKind::Inner,
        &k,
        &v("x"),
        &v("id-7"),
        |id| (id == &v("id-7")).then(|| v("seven")),
        pair,
    );
    assert_eq!(global, Ok(StreamTableResult::Joined(v("[x, seven]"))));
    // Stream–stream: null key or value dropped; an outer side forwards a null key at once.
    let mut inner = StreamStreamJoin::with_bounds(JoinKind::Inner, 10, 10, 0);
    assert!(
        inner
            .process(Side::Left, &Val::Null, &v("x"), 0, 0, pair)
            .dropped
    );
    assert!(
        inner
            .process(Side::Left, &k, &Val::Null, 0, 0, pair)
            .dropped
    );
    let mut left = StreamStreamJoin::with_bounds(JoinKind::Left, 10, 10, 0);
    let out = left.process(Side::Left, &Val::Null, &v("x"), 0, 0, pair);
    assert_eq!(
        outputs(&out.outputs),
        vec![("null".into(), "[x, null]".into(), 0)]
    );
    assert!(
        left.process(Side::Right, &Val::Null, &v("y"), 0, 0, pair)
            .dropped
    );
    // Table–table: a null key is dropped.
    let update = Change {
        new: Some(v("x")),
        old: None,
    };
    let t = table_table_join(
        JoinKind::Outer,
        Side::Left,
        &Val::Null,
        &update,
        0,
        None,
        false,
        pair,
    );
    assert_eq!(t, Ok(TableJoinResult::Dropped));
}

#[test]
fn table_table_old_values_are_joined_only_when_sent() {
    // KTableKTableInnerJoin: `if (sendOldValues && oldValue != null) oldValue = joiner(old, right)`;
    // the result's timestamp is the larger of both sides'.
    let update = Change {
        new: Some(v("B")),
        old: Some(v("A")),
    };
    let other = Some((v("a"), 40));
    let with_old = table_table_join(
        JoinKind::Inner,
        Side::Left,
        &v("k"),
        &update,
        30,
        other.clone(),
        true,
        pair,
    );
    assert_eq!(
        with_old,
        Ok(TableJoinResult::Forward {
            change: Change {
                new: Some(v("[B, a]")),
                old: Some(v("[A, a]"))
            },
            timestamp: 40
        })
    );
    let without = table_table_join(
        JoinKind::Inner,
        Side::Left,
        &v("k"),
        &update,
        50,
        other,
        false,
        pair,
    );
    assert_eq!(
        without,
        Ok(TableJoinResult::Forward {
            change: Change {
                new: Some(v("[B, a]")),
                old: None
            },
            timestamp: 50
        })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// An inner join, records in any order within the grace period: every left–right pair of
    /// the key no more than the window apart is emitted exactly once (by whichever arrives
    /// second), with the larger timestamp.
    #[test]
    fn an_inner_join_emits_each_pair_within_the_window_once(
        d in 0i64..20,
        records in prop::collection::vec((any::<bool>(), 0i64..100), 1..30),
    ) {
        let mut join = StreamStreamJoin::with_bounds(JoinKind::Inner, d, d, 1000);
        let mut got = Vec::new();
        for (i, &(left, t)) in records.iter().enumerate() {
            let side = if left { Side::Left } else { Side::Right };
            let out = join.process(side, &v("k"), &Val::Int(i as i64), t, 0, |_, l: &Val, r: &Val| {
                Ok::<_, Infallible>(Val::text(&format!("{l}-{r}")))
            });
            got.extend(out.outputs.into_iter().map(|o| (o.value.to_string(), o.timestamp)));
        }
        let mut want = Vec::new();
        for (i, &(li, lt)) in records.iter().enumerate() {
            for (j, &(rj, rt)) in records.iter().enumerate() {
                if li && !rj && (lt - rt).abs() <= d {
                    want.push((format!("{i}-{j}"), lt.max(rt)));
                }
            }
        }
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }
}
