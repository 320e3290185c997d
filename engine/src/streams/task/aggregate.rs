//! Aggregations: `KStreamAggregate` / `KStreamReduce` (count, reduce, aggregate of a grouped
//! stream), `KTableAggregate` / `KTableReduce` (of a grouped table: subtract the old value, add
//! the new), `KStreamWindowAggregate` / `KStreamSlidingWindowAggregate` /
//! `KStreamSessionWindowAggregate` over the `window` module, and `KTableSuppressProcessor`
//! (`suppress(untilWindowCloses)`) after a windowed aggregation. Every update is a store write
//! through the record cache (`state`).

use std::sync::Arc;

use crate::streams::dsl::WindowSpec;
use crate::streams::expr::{Env, EvalError, Expr};
use crate::streams::topology::{Aggregation, NodeId, Op, Topology};
use crate::streams::value::Val;
use crate::streams::window::{self, WindowedKey};
use crate::streams::windowed::{self, cache_key as windowed_cache_key};
use crate::time::Micros;

use super::{Effect, Pass, Rec, StreamTask, from_millis};

/// The window of the aggregation a suppress follows.
pub(super) fn upstream_window(topology: &Topology, n: NodeId) -> Option<WindowSpec> {
    let mut at = n;
    loop {
        match &topology.nodes[at].op {
            Op::WindowedAggregate { window, .. } => return Some(*window),
            _ => at = *topology.nodes[at].predecessors.first()?,
        }
    }
}

/// The DSL's count / reduce / aggregate as the `window` module's `Aggregation`.
struct Functions<'a> {
    agg: &'a Aggregation,
}

impl window::Aggregation for Functions<'_> {
    type Error = EvalError;

    fn init(&mut self) -> Result<Val, EvalError> {
        match self.agg {
            Aggregation::Count => Ok(Val::Int(0)),
            // `aggregatorForReducer`: a reduce starts from null and takes the first value.
            Aggregation::Reduce { .. } => Ok(Val::Null),
            Aggregation::Aggregate { init, .. } => init.eval(&Env::default()),
        }
    }

    fn add(&mut self, key: &Val, value: &Val, agg: &Val) -> Result<Val, EvalError> {
        let env = Env {
            key: Some(key),
            value: Some(value),
            agg: Some(agg),
            ..Env::default()
        };
        match self.agg {
            Aggregation::Count => match agg {
                Val::Int(c) => Ok(Val::Int(c + 1)),
                _ => Ok(Val::Int(1)),
            },
            Aggregation::Reduce { .. } if agg.is_null() => Ok(value.clone()),
            Aggregation::Reduce { adder, .. } | Aggregation::Aggregate { adder, .. } => {
                adder.eval(&env)
            }
        }
    }

    /// Session windows merge two sessions' aggregates: counts add, a reduce applies its
    /// adder to the two (as Kafka's `reduce` on sessions does); the DSL has no merger for
    /// `aggregate`, so merging those is an error.
    fn merge(&mut self, key: &Val, one: &Val, two: &Val) -> Result<Val, EvalError> {
        match self.agg {
            Aggregation::Count => match (one, two) {
                (Val::Int(a), Val::Int(b)) => Ok(Val::Int(a + b)),
                _ => Ok(Val::Int(0)),
            },
            Aggregation::Reduce { .. } => self.add(key, two, one),
            Aggregation::Aggregate { .. } => Err(EvalError(
                "merging two sessions needs a merger, which aggregate does not have".into(),
            )),
        }
    }
}

impl StreamTask {
    /// `KStreamAggregate` / `KStreamReduce` over a key-value store: null keys and values are
    /// skipped.
    pub(super) fn stream_aggregate(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        agg: &Aggregation,
        rec: &mut Rec,
    ) {
        let Some(store) = self.node_store[n] else {
            return;
        };
        if rec.key.is_null() || rec.value.is_null() {
            let reason = "null key or value: skipped by the aggregation".to_string();
            self.skip(p, n, reason);
            return;
        }
        let old = self.get(p, store, &rec.key);
        let (old_agg, old_ts) = match &old {
            Some((v, t)) => (Some(v), Some(*t)),
            None => (None, None),
        };
        let new_agg = match agg {
            Aggregation::Count => match old_agg {
                Some(Val::Int(c)) => Val::Int(c + 1),
                _ => Val::Int(1),
            },
            Aggregation::Reduce { adder, .. } => match old_agg {
                None => rec.value.clone(),
                Some(a) => {
                    let e = Env {
                        key: Some(&rec.key),
                        value: Some(&rec.value),
                        agg: Some(a),
                        ..Env::default()
                    };
                    let Some(v) = self.eval(p, adder, e, n) else {
                        return;
                    };
                    v
                }
            },
            Aggregation::Aggregate { init, adder, .. } => {
                let initial;
                let a = match old_agg {
                    Some(a) => a,
                    None => {
                        let Some(v) = self.eval(p, init, Env::default(), n) else {
                            return;
                        };
                        initial = v;
                        &initial
                    }
                };
                let e = Env {
                    key: Some(&rec.key),
                    value: Some(&rec.value),
                    agg: Some(a),
                    ..Env::default()
                };
                let Some(v) = self.eval(p, adder, e, n) else {
                    return;
                };
                v
            }
        };
        let ts = old_ts.map_or(rec.timestamp, |t| t.max(rec.timestamp));
        self.included
            .update(store, &rec.key, p.ctx.source, p.ctx.offset);
        self.put(p, store, std::mem::take(&mut rec.key), new_agg, ts);
    }

    /// `KTableSuppressProcessor` with `untilWindowCloses`: buffers updates until stream time
    /// passes window end + grace.
    pub(super) fn suppress(&mut self, p: &mut Pass<'_>, n: NodeId, rec: Rec) {
        let Some(window) = rec.window else {
            self.skip(p, n, "suppress needs a windowed key".into());
            return;
        };
        let Some(suppressor) = self.suppressors.get_mut(&n) else {
            return;
        };
        let key = WindowedKey {
            key: rec.key,
            window,
        };
        let new = (!rec.value.is_null()).then_some(rec.value);
        let old = rec.old.filter(|o| !o.is_null());
        let emitted = suppressor.process(key, new, old, window::millis(rec.timestamp));
        for e in emitted {
            let r = Rec {
                key: e.key.key,
                value: e.new,
                old: Some(e.old.unwrap_or(Val::Null)),
                timestamp: from_millis(e.timestamp),
                window: Some(e.key.window),
            };
            self.forward(p, n, r);
        }
    }

    /// The suppression buffers' `flush()` at a commit, after the stores' (whose cache flushes
    /// may have just updated a buffer): each buffer store logs its keys changed since the last
    /// flush to its changelog (`InMemoryTimeOrderedKeyValueChangeBuffer.flush`). Kafka sends
    /// these records without a timestamp, so the producer stamps its clock: here the task's.
    pub(super) fn log_suppressions(&mut self, out: &mut Vec<Effect>) {
        for i in 0..self.stores.len() {
            let owner = self.stores[i].owner;
            let (Some(suppressor), Some(topic)) = (
                self.suppressors.get_mut(&owner),
                self.stores[i].changelog.as_ref(),
            ) else {
                continue;
            };
            for (key, entry) in suppressor.flush_log() {
                let value = entry.map_or(Val::Null, |(new, _)| new);
                out.push(Effect::Changelog {
                    store: Arc::clone(&self.stores[i].name),
                    topic: Arc::clone(topic),
                    partition: self.id.partition,
                    written_at: self.included.written_at(i, &key.key),
                    key: key.key,
                    value,
                    timestamp: self.now,
                    window: Some(key.window),
                });
            }
        }
    }

    /// Whether store `i` is a suppression's buffer (its owner is the suppress processor).
    pub(super) fn is_suppression(&self, i: usize) -> bool {
        self.suppressors.contains_key(&self.stores[i].owner)
    }

    /// A changelog record of suppression buffer store `i` (`restoreBatch`): the entry goes
    /// back into the buffer, or a tombstone takes it out.
    pub(super) fn restore_suppression(
        &mut self,
        i: usize,
        key: &Val,
        value: Val,
        timestamp: Micros,
    ) {
        let Some(suppressor) = self.suppressors.get_mut(&self.stores[i].owner) else {
            return;
        };
        let Val::Text(text) = key else {
            return; // not a windowed key: nothing the buffer can hold
        };
        if let Some((key, window)) = windowed::parse_key_text(text) {
            let entry = (!value.is_null()).then(|| (value, window::millis(timestamp)));
            suppressor.restore(WindowedKey { key, window }, entry);
        }
    }

    /// Whether store `name` is kept in the state directory with a checkpoint when its task
    /// closes cleanly. Kafka checkpoints only persistent stores
    /// (`ProcessorStateManager.checkpoint`); a suppression buffer lives in memory, so a task
    /// opened again restores it from the start of its changelog.
    pub fn persistent(&self, name: &str) -> bool {
        self.store_index
            .get(name)
            .is_some_and(|&i| !self.is_suppression(i))
    }

    /// `KStreamWindowAggregate` and its sliding and session siblings (the `window` module):
    /// each update goes through the record cache, keyed by key and window, like a plain
    /// aggregation's.
    pub(super) fn windowed_aggregate(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        agg: &Aggregation,
        rec: Rec,
    ) {
        let Some(store) = self.node_store[n] else {
            return;
        };
        let Some(aggregator) = self.windowed.get_mut(&n) else {
            return;
        };
        let mut functions = Functions { agg };
        let outcome = aggregator.process(
            &rec.key,
            &rec.value,
            window::millis(rec.timestamp),
            &mut functions,
        );
        for skip in &outcome.skipped {
            let (reason, late) = match skip {
                window::Skip::NullKey => (
                    "null key: skipped by the windowed aggregation".into(),
                    false,
                ),
                window::Skip::NullValue => (
                    "null value: skipped by the windowed aggregation".into(),
                    false,
                ),
                // `AbstractKStreamTimeWindowAggregateProcessor.logSkippedRecordForExpiredWindow`
                // (and the session processor's twin): logged, then `droppedRecordsSensor.record()`.
                window::Skip::ExpiredWindow(w) => (
                    format!(
                        "Skipping record for expired window [{},{}): stream time minus grace had passed its end",
                        w.start, w.end
                    ),
                    true,
                ),
            };
            self.skip_as(p, n, reason, late);
        }
        for u in outcome.updates {
            let key = windowed_cache_key(&u.key);
            let value = u.new.unwrap_or(Val::Null);
            self.included
                .update(store, &key, p.ctx.source, p.ctx.offset);
            self.put(p, store, key, value, from_millis(u.timestamp));
        }
        if let Some(EvalError(msg)) = outcome.error {
            self.skip(p, n, msg);
        }
    }

    /// KTableAggregate / KTableReduce: subtract the old value, then add the new one.
    pub(super) fn table_aggregate(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        store: usize,
        agg: &Aggregation,
        rec: Rec,
    ) {
        if rec.key.is_null() {
            self.skip(p, n, "null key: skipped by the aggregation".into());
            return;
        }
        let old_value = rec.old.clone().unwrap_or(Val::Null);
        let stored = self.get(p, store, &rec.key);
        let mut ts = rec.timestamp;
        let old_agg = stored.as_ref().map(|(v, _)| v.clone());
        let apply = |task: &mut Self, p: &mut Pass<'_>, e: &Expr, a: &Val, v: &Val| {
            let env = Env {
                key: Some(&rec.key),
                value: Some(v),
                agg: Some(a),
                ..Env::default()
            };
            task.eval(p, e, env, n)
        };
        let intermediate = match (&old_agg, old_value.is_null()) {
            (Some(a), false) => {
                if let Some((_, t)) = &stored {
                    ts = ts.max(*t);
                }
                let sub = match agg {
                    Aggregation::Count => match a {
                        Val::Int(c) => Some(Val::Int(c - 1)),
                        _ => Some(Val::Int(0)),
                    },
                    Aggregation::Reduce { subtractor, .. }
                    | Aggregation::Aggregate { subtractor, .. } => match subtractor {
                        Some(s) => apply(self, p, s, a, &old_value),
                        None => Some(a.clone()),
                    },
                };
                let Some(v) = sub else { return };
                Some(v)
            }
            _ => old_agg.clone(),
        };
        let new_agg = if rec.value.is_null() {
            intermediate
        } else {
            if let Some((_, t)) = &stored {
                ts = ts.max(*t);
            }
            let added = match (agg, intermediate) {
                (Aggregation::Count, Some(Val::Int(c))) => Some(Val::Int(c + 1)),
                (Aggregation::Count, _) => Some(Val::Int(1)),
                (Aggregation::Reduce { .. }, None) => Some(rec.value.clone()),
                (Aggregation::Reduce { adder, .. }, Some(a)) => {
                    apply(self, p, adder, &a, &rec.value)
                }
                (Aggregation::Aggregate { init, adder, .. }, a) => {
                    let a = match a {
                        Some(a) => a,
                        None => match self.eval(p, init, Env::default(), n) {
                            Some(v) => v,
                            None => return,
                        },
                    };
                    apply(self, p, adder, &a, &rec.value)
                }
            };
            let Some(v) = added else { return };
            Some(v)
        };
        let value = new_agg.unwrap_or(Val::Null);
        self.included
            .update(store, &rec.key, p.ctx.source, p.ctx.offset);
        self.put(p, store, rec.key, value, ts);
    }
}
