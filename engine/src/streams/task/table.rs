//! The `KTable` operators: `KTableSource` (also `KStream.toTable`, and a global table's
//! state-update processor), `KTableFilter`, `KTableMapValues`, `KTableImpl.toStream` and
//! `KTableRepartitionMap` (a table's `groupBy`). A table update travels as
//! `Change{new, old}`; the old value is computed only when a later operator asks for it
//! (`send_old_values`).

use crate::streams::cache::ThreadCache;
use crate::streams::expr::Expr;
use crate::streams::topology::{NodeId, Topology};
use crate::streams::value::Val;

use super::{Ctx, Effect, Rec, StreamTask, env};

impl StreamTask {
    /// `KTableSource`: stores the latest value per key if materialized (forwarded when the
    /// cache flushes), else forwards `Change{new, null}`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn table_source(
        &mut self,
        topology: &Topology,
        n: NodeId,
        materialized: bool,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        if rec.key.is_null() {
            let reason = "null key: skipped by the table".to_string();
            self.skip(n, ctx, reason, out);
            return;
        }
        if let (true, Some(store)) = (materialized, self.node_store[n]) {
            self.put(
                topology,
                store,
                rec.key,
                rec.value,
                rec.timestamp,
                ctx,
                cache,
                out,
            );
        } else {
            let r = Rec {
                old: Some(Val::Null),
                ..rec
            };
            self.forward(topology, n, r, ctx, cache, out);
        }
    }

    /// `KTableSource` of a global table's state-update processor.
    pub(super) fn global_table_source(&mut self, n: NodeId, rec: Rec) {
        // The global thread's update processor: straight into the store.
        if let Some(i) = self.node_store[n] {
            self.stores[i].kv.put(rec.key, rec.value, rec.timestamp);
        }
    }

    /// `KTableFilter` (`not` for filterNot): a filtered-out update is forwarded as a delete.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn table_filter(
        &mut self,
        topology: &Topology,
        n: NodeId,
        predicate: &Expr,
        not: bool,
        send_old_values: bool,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        // KTableFilter.computeValue: a filtered-out value becomes null (a delete).
        let mut keep = |task: &mut Self, v: &Val| -> Option<Val> {
            if v.is_null() {
                return Some(Val::Null);
            }
            let r = task.eval(predicate, env(&rec.key, v), n, ctx, out)?;
            Some(if r.is_true() != not {
                v.clone()
            } else {
                Val::Null
            })
        };
        let Some(new) = keep(self, &rec.value) else {
            return;
        };
        let old = match (&rec.old, send_old_values) {
            (Some(o), true) => match keep(self, o) {
                Some(v) => v,
                None => return,
            },
            _ => Val::Null,
        };
        if send_old_values && new.is_null() && old.is_null() {
            return;
        }
        let r = Rec {
            key: rec.key,
            value: new,
            old: Some(old),
            timestamp: rec.timestamp,
            window: rec.window,
        };
        self.forward(topology, n, r, ctx, cache, out);
    }

    /// `KTableMapValues`
    #[allow(clippy::too_many_arguments)]
    pub(super) fn table_map_values(
        &mut self,
        topology: &Topology,
        n: NodeId,
        mapper: &Expr,
        send_old_values: bool,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let map = |task: &mut Self, v: &Val, out: &mut Vec<Effect>| -> Option<Val> {
            if v.is_null() {
                return Some(Val::Null);
            }
            task.eval(mapper, env(&rec.key, v), n, ctx, out)
        };
        let Some(new) = map(self, &rec.value, out) else {
            return;
        };
        let old = match (&rec.old, send_old_values) {
            (Some(o), true) => match map(self, o, out) {
                Some(v) => v,
                None => return,
            },
            _ => Val::Null,
        };
        let r = Rec {
            key: rec.key,
            value: new,
            old: Some(old),
            timestamp: rec.timestamp,
            window: rec.window,
        };
        self.forward(topology, n, r, ctx, cache, out);
    }

    /// `KTableImpl.toStream`: `Change.newValue` as a stream record.
    pub(super) fn table_to_stream(
        &mut self,
        topology: &Topology,
        n: NodeId,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let r = Rec { old: None, ..rec };
        self.forward(topology, n, r, ctx, cache, out);
    }

    /// `KTableRepartitionMap`: a table's `groupBy`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn table_select(
        &mut self,
        topology: &Topology,
        n: NodeId,
        key: &Expr,
        value: Option<&Expr>,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        // KTableRepartitionMap: the old pair (to subtract) and the new pair (to add);
        // one record when both select the same key.
        let old = rec.old.clone().unwrap_or(Val::Null);
        let mut select = |task: &mut Self, v: &Val| -> Option<Option<(Val, Val)>> {
            if v.is_null() {
                return Some(None);
            }
            let e = env(&rec.key, v);
            let k = task.eval(key, e, n, ctx, out)?;
            let val = match value {
                Some(x) => task.eval(x, e, n, ctx, out)?,
                None => v.clone(),
            };
            Some((!k.is_null() && !val.is_null()).then_some((k, val)))
        };
        let Some(new_pair) = select(self, &rec.value) else {
            return;
        };
        let Some(old_pair) = select(self, &old) else {
            return;
        };
        let ts = rec.timestamp;
        match (old_pair, new_pair) {
            (Some((ok, ov)), Some((nk, nv))) if ok == nk => {
                let r = Rec {
                    key: nk,
                    value: nv,
                    old: Some(ov),
                    timestamp: ts,
                    window: rec.window,
                };
                self.forward(topology, n, r, ctx, cache, out);
            }
            (old_pair, new_pair) => {
                if let Some((ok, ov)) = old_pair {
                    let r = Rec {
                        key: ok,
                        value: Val::Null,
                        old: Some(ov),
                        timestamp: ts,
                        window: rec.window,
                    };
                    self.forward(topology, n, r, ctx, cache, out);
                }
                if let Some((nk, nv)) = new_pair {
                    let r = Rec {
                        key: nk,
                        value: nv,
                        old: Some(Val::Null),
                        timestamp: ts,
                        window: rec.window,
                    };
                    self.forward(topology, n, r, ctx, cache, out);
                }
            }
        }
    }
}
