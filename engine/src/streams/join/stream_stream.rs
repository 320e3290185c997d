//! Windowed KStream–KStream joins: Kafka's `KStreamKStreamJoin` (its left- and right-side
//! processors), `KStreamJoinWindow` (each side's window store) and the shared outer-join store of
//! KIP-633's spurious-result fix (`JoinWindows.ofTimeDifferenceAndGrace`, since Kafka 3.0).
//!
//! Two records join when their keys are equal and the right one's timestamp is within
//! `[left - before, left + after]` (`before = after = difference` for the DSL's windows). Each
//! side keeps its records in a window store for `before + after + grace`; a record joins with
//! every record of the other store in its range, emitted with the larger timestamp.
//!
//! Left and outer joins do not emit `[A, null]` when A first finds nothing: A waits in the outer
//! store, and is emitted with a null partner only once its window has closed (stream time past
//! `A + after + grace` for a left record, `+ before` for a right one), unless a partner arrives
//! first. The check runs when a record arrives at (or beyond) the stream time, at most once per
//! `emit interval` of wall-clock time (1 s), so results come out when later records move stream
//! time: a join with no later input keeps them waiting. The "Kafka Streams DSL" developer guide's
//! table of stream–stream join semantics shows this behaviour (tests/streams_joins.rs).

use std::collections::BTreeMap;

use super::super::dsl::{JoinKind, JoinWindow};
use super::Side;
use crate::streams::value::Val;
use crate::streams::window::store::SegmentedStore;
use crate::streams::window::{Millis, NO_TIMESTAMP, millis};

/// `EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX` (internal, default 1000 ms): the
/// outer store is scanned at most once per this much processing (wall-clock) time. Kafka's
/// `TopologyTestDriver` sets it to 0.
pub const OUTER_JOIN_EMIT_INTERVAL_MS: Millis = 1000;

/// A joined record: the key, the joiner's value, and the record's timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinOutput {
    pub key: Val,
    pub value: Val,
    pub timestamp: Millis,
}

/// What one input record did, outputs in Kafka's order.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamStreamOutcome<E> {
    pub outputs: Vec<JoinOutput>,
    /// A null key or null value ("Skipping record due to null key or value"): one count of
    /// `dropped-records`.
    pub dropped: bool,
    /// The joiner failed: processing stopped there, the outputs before it stand.
    pub error: Option<E>,
}

/// The outer store's key, `TimestampedKeyAndJoinSide` as its serializer orders it: timestamp,
/// then the side as a byte (right 0 before left 1), then the key's bytes.
type OuterKey = (Millis, u8, Vec<u8>);

/// The outer store's entry: the key and every unmatched value at that timestamp, in arrival order
/// (a `ListValueStore`).
type OuterEntry = (Val, Vec<Val>);

fn side_byte(side: Side) -> u8 {
    match side {
        Side::Left => 1,
        Side::Right => 0,
    }
}

/// One KStream–KStream join in one task: both processors, both window stores, the outer store and
/// the time tracker they share (`TimeTracker`).
#[derive(Debug, Clone)]
pub struct StreamStreamJoin {
    kind: JoinKind,
    before: Millis,
    after: Millis,
    grace: Millis,
    left_store: SegmentedStore<Val>,
    right_store: SegmentedStore<Val>,
    /// The window stores keep duplicates (`retainDuplicates`): a sequence number tells them apart.
    seqnum: i64,
    /// Present for left and outer joins.
    outer_store: Option<BTreeMap<OuterKey, OuterEntry>>,
    stream_time: Millis,
    /// The smallest timestamp put into the outer store since its last scan (`minTime`).
    min_time: Millis,
    /// Wall-clock time before which the outer store is not scanned again (`nextTimeToEmit`).
    next_time_to_emit: Millis,
    emit_interval: Millis,
}

impl StreamStreamJoin {
    /// An estimate of the bytes its two window stores hold (the room's measure, `memory.rs`).
    pub fn heap_bytes(&self) -> usize {
        self.left_store.heap_bytes() + self.right_store.heap_bytes()
    }

    /// `JoinWindows.ofTimeDifferenceAndGrace(difference, grace)` (`before = after = difference`).
    pub fn new(kind: JoinKind, window: JoinWindow) -> StreamStreamJoin {
        let difference = millis(window.difference);
        StreamStreamJoin::with_bounds(kind, difference, difference, millis(window.grace))
    }

    /// `JoinWindows…before(before).after(after)`.
    pub fn with_bounds(
        kind: JoinKind,
        before: Millis,
        after: Millis,
        grace: Millis,
    ) -> StreamStreamJoin {
        assert!(before + after >= 0, "window interval must not be negative");
        assert!(grace >= 0, "grace must not be negative");
        let retention = before + after + grace;
        StreamStreamJoin {
            kind,
            before,
            after,
            grace,
            left_store: SegmentedStore::new(retention),
            right_store: SegmentedStore::new(retention),
            seqnum: 0,
            outer_store: (kind != JoinKind::Inner).then(BTreeMap::new),
            stream_time: NO_TIMESTAMP,
            min_time: Millis::MAX,
            next_time_to_emit: 0,
            emit_interval: OUTER_JOIN_EMIT_INTERVAL_MS,
        }
    }

    /// The emit interval of the outer store's scans (`OUTER_JOIN_EMIT_INTERVAL_MS` by default).
    pub fn with_emit_interval(mut self, interval: Millis) -> StreamStreamJoin {
        self.emit_interval = interval;
        self
    }

    /// The window stores' retention, `size + grace` (`StreamJoinedStoreFactory`); their
    /// changelogs are `cleanup.policy=delete` (duplicates must not be compacted away).
    pub fn store_retention(&self) -> Millis {
        self.left_store.retention()
    }

    pub fn stream_time(&self) -> Millis {
        self.stream_time
    }

    /// Does this side emit unmatched records (the processor's `outer` flag)?
    fn outer(&self, side: Side) -> bool {
        match side {
            Side::Left => self.kind != JoinKind::Inner,
            Side::Right => self.kind == JoinKind::Outer,
        }
    }

    /// `joinBeforeMs`/`joinAfterMs` of a side's processor: the right side's are swapped.
    fn bounds(&self, side: Side) -> (Millis, Millis) {
        match side {
            Side::Left => (self.before, self.after),
            Side::Right => (self.after, self.before),
        }
    }

    /// One record arriving on `side`, at wall-clock time `now_ms` (for the emit interval).
    /// `KStreamJoinWindow` forwards it to the side's join processor, then puts it into the
    /// side's window store.
    #[allow(clippy::too_many_arguments)]
    pub fn process<E>(
        &mut self,
        side: Side,
        key: &Val,
        value: &Val,
        timestamp: Millis,
        now_ms: Millis,
        mut joiner: impl FnMut(&Val, &Val, &Val) -> Result<Val, E>,
    ) -> StreamStreamOutcome<E> {
        let mut out = StreamStreamOutcome {
            outputs: Vec::new(),
            dropped: false,
            error: None,
        };
        if let Err(e) = self.join(side, key, value, timestamp, now_ms, &mut joiner, &mut out) {
            // The exception left `forward` before the window store's put.
            out.error = Some(e);
            return out;
        }
        // KStreamJoinWindowProcessor: after the join, the record goes into its side's store
        // (null keys never do; a null value is not kept by a store with duplicates).
        if !key.is_null() && !value.is_null() {
            self.seqnum += 1;
            let store = match side {
                Side::Left => &mut self.left_store,
                Side::Right => &mut self.right_store,
            };
            store.put(key, timestamp, self.seqnum, Some(value.clone()));
        }
        out
    }

    /// `KStreamKStreamJoinProcessor.process`.
    #[allow(clippy::too_many_arguments)]
    fn join<E>(
        &mut self,
        side: Side,
        key: &Val,
        value: &Val,
        timestamp: Millis,
        now_ms: Millis,
        joiner: &mut impl FnMut(&Val, &Val, &Val) -> Result<Val, E>,
        out: &mut StreamStreamOutcome<E>,
    ) -> Result<(), E> {
        self.stream_time = self.stream_time.max(timestamp);
        let outer = self.outer(side);
        let call = |joiner: &mut dyn FnMut(&Val, &Val, &Val) -> Result<Val, E>,
                    this: &Val,
                    that: &Val| match side {
            Side::Left => joiner(key, this, that),
            Side::Right => joiner(key, that, this),
        };
        // KIP-962: an outer side forwards a null-key record at once, unjoined.
        if outer && key.is_null() && !value.is_null() {
            let joined = call(joiner, value, &Val::Null)?;
            out.outputs.push(JoinOutput {
                key: Val::Null,
                value: joined,
                timestamp,
            });
            return Ok(());
        }
        if key.is_null() || value.is_null() {
            out.dropped = true;
            return Ok(());
        }
        if timestamp == self.stream_time {
            self.emit_non_joined(side, now_ms, joiner, out)?;
        }
        let (join_before, join_after) = self.bounds(side);
        let time_from = (timestamp - join_before).max(0);
        let time_to = (timestamp + join_after).max(0);
        let other_side = match side {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        };
        let others = match other_side {
            Side::Left => self.left_store.fetch(key, time_from, time_to),
            Side::Right => self.right_store.fetch(key, time_from, time_to),
        };
        let need_outer_join = outer && others.is_empty();
        let key_bytes = key_bytes(key);
        for (other_timestamp, _, other_value) in others {
            // emitInnerJoin: the partner leaves the outer store (`putIfAbsent(otherKey, null)`
            // deletes the whole list at that key).
            if let Some(store) = &mut self.outer_store {
                store.remove(&(other_timestamp, side_byte(other_side), key_bytes.clone()));
            }
            let joined = call(joiner, value, &other_value)?;
            out.outputs.push(JoinOutput {
                key: key.clone(),
                value: joined,
                timestamp: timestamp.max(other_timestamp),
            });
        }
        if need_outer_join {
            match &mut self.outer_store {
                // Wait in the outer store for a partner or the window's close.
                Some(_) if time_to >= self.stream_time => {
                    self.min_time = self.min_time.min(timestamp);
                    let store = self.outer_store.as_mut().expect("matched Some");
                    store
                        .entry((timestamp, side_byte(side), key_bytes))
                        .or_insert_with(|| (key.clone(), Vec::new()))
                        .1
                        .push(value.clone());
                }
                // The record's window already ended (grace not counted): out at once.
                _ => {
                    let joined = call(joiner, value, &Val::Null)?;
                    out.outputs.push(JoinOutput {
                        key: key.clone(),
                        value: joined,
                        timestamp,
                    });
                }
            }
        }
        Ok(())
    }

    /// `emitNonJoinedOuterRecords`: scan the outer store in (timestamp, side, key) order and emit
    /// every record whose window has closed with a null partner, until both sides reach a record
    /// whose window is still open.
    fn emit_non_joined<E>(
        &mut self,
        side: Side,
        now_ms: Millis,
        joiner: &mut impl FnMut(&Val, &Val, &Val) -> Result<Val, E>,
        out: &mut StreamStreamOutcome<E>,
    ) -> Result<(), E> {
        let Some(store) = &self.outer_store else {
            return Ok(());
        };
        let (_, join_after) = self.bounds(side);
        // Java's long arithmetic: with the store scanned empty, minTime is Long.MAX_VALUE and
        // this sum wraps negative, so the early return does not happen.
        if self
            .min_time
            .wrapping_add(join_after)
            .wrapping_add(self.grace)
            >= self.stream_time
        {
            return Ok(());
        }
        if now_ms < self.next_time_to_emit {
            return Ok(());
        }
        self.next_time_to_emit = now_ms + self.emit_interval;
        self.min_time = Millis::MAX;
        let mut left_open = false;
        let mut right_open = false;
        let mut emitted = Vec::new();
        let mut result = Ok(());
        'scan: for (outer_key, (key, values)) in store {
            let (timestamp, side_byte, _) = outer_key;
            self.min_time = *timestamp;
            if left_open && right_open {
                break;
            }
            let is_left = *side_byte == 1;
            // A left record waits `after`, a right one `before` (its window looks forward).
            let look_back = if is_left { self.after } else { self.before };
            if self.min_time + look_back + self.grace >= self.stream_time {
                if is_left {
                    left_open = true;
                } else {
                    right_open = true;
                }
                continue;
            }
            for value in values {
                let joined = if is_left {
                    joiner(key, value, &Val::Null)
                } else {
                    joiner(key, &Val::Null, value)
                };
                match joined {
                    Ok(joined) => out.outputs.push(JoinOutput {
                        key: key.clone(),
                        value: joined,
                        timestamp: *timestamp,
                    }),
                    Err(e) => {
                        // Kafka deletes each emitted entry when it reaches the next one: the
                        // one emitted last before the exception stays.
                        emitted.pop();
                        result = Err(e);
                        break 'scan;
                    }
                }
            }
            emitted.push(outer_key.clone());
        }
        let store = self.outer_store.as_mut().expect("checked above");
        for k in emitted {
            store.remove(&k);
        }
        result
    }

    /// The outer store: records waiting for a partner or for their window to close, as
    /// `(side, key, value, timestamp)`, in the order they would be emitted.
    pub fn waiting(&self) -> Vec<(Side, Val, Val, Millis)> {
        let Some(store) = &self.outer_store else {
            return Vec::new();
        };
        store
            .iter()
            .flat_map(|((timestamp, side, _), (key, values))| {
                let side = if *side == 1 { Side::Left } else { Side::Right };
                values
                    .iter()
                    .map(move |v| (side, key.clone(), v.clone(), *timestamp))
            })
            .collect()
    }

    /// A side's window store: `(key, timestamp, value)` of every record a later record of the
    /// other side can still join.
    pub fn window_store(&self, side: Side) -> Vec<(Val, Millis, Val)> {
        let store = match side {
            Side::Left => &self.left_store,
            Side::Right => &self.right_store,
        };
        store
            .all()
            .map(|(k, t, _, v)| (k.clone(), t, v.clone()))
            .collect()
    }
}

/// The key's bytes as the playground's serde writes them, which orders the outer store.
fn key_bytes(key: &Val) -> Vec<u8> {
    key.to_record().unwrap_or_default().into_bytes()
}
