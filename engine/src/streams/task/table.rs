//! The `KTable` operators: `KTableSource` (also `KStream.toTable`, and a global table's
//! state-update processor), `KTableFilter`, `KTableMapValues`, `KTableImpl.toStream` and
//! `KTableRepartitionMap` (a table's `groupBy`). A table update travels as
//! `Change{new, old}`; the old value is computed only when a later operator asks for it
//! (`send_old_values`).

use crate::streams::expr::Expr;
use crate::streams::topology::NodeId;
use crate::streams::value::Val;

use super::{Pass, Rec, StreamTask, env};

impl StreamTask {
    /// `KTableSource`: stores the latest value per key if materialized (forwarded when the
    /// cache flushes), else forwards `Change{new, null}`.
    pub(super) fn table_source(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        materialized: bool,
        rec: Rec,
    ) {
        if rec.key.is_null() {
            let reason = "null key: skipped by the table".to_string();
            self.skip(p, n, reason);
            return;
        }
        if let (true, Some(store)) = (materialized, self.node_store[n]) {
            self.put(p, store, rec.key, rec.value, rec.timestamp);
        } else {
            let r = Rec {
                old: Some(Val::Null),
                ..rec
            };
            self.forward(p, n, r);
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
    pub(super) fn table_filter(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        predicate: &Expr,
        not: bool,
        send_old_values: bool,
        rec: Rec,
    ) {
        // KTableFilter.computeValue: a filtered-out value becomes null (a delete).
        let keep = |task: &mut Self, p: &mut Pass<'_>, v: &Val| -> Option<Val> {
            if v.is_null() {
                return Some(Val::Null);
            }
            let r = task.eval(p, predicate, env(&rec.key, v), n)?;
            Some(if r.is_true() != not {
                v.clone()
            } else {
                Val::Null
            })
        };
        let Some(new) = keep(self, p, &rec.value) else {
            return;
        };
        let old = match (&rec.old, send_old_values) {
            (Some(o), true) => match keep(self, p, o) {
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
        self.forward(p, n, r);
    }

    /// `KTableMapValues`
    pub(super) fn table_map_values(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        mapper: &Expr,
        send_old_values: bool,
        rec: Rec,
    ) {
        let map = |task: &mut Self, p: &mut Pass<'_>, v: &Val| -> Option<Val> {
            if v.is_null() {
                return Some(Val::Null);
            }
            task.eval(p, mapper, env(&rec.key, v), n)
        };
        let Some(new) = map(self, p, &rec.value) else {
            return;
        };
        let old = match (&rec.old, send_old_values) {
            (Some(o), true) => match map(self, p, o) {
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
        self.forward(p, n, r);
    }

    /// `KTableImpl.toStream`: `Change.newValue` as a stream record.
    pub(super) fn table_to_stream(&mut self, p: &mut Pass<'_>, n: NodeId, rec: &mut Rec) {
        rec.old = None;
        self.forward_in_place(p, n, rec);
    }

    /// `KTableRepartitionMap`: a table's `groupBy`.
    pub(super) fn table_select(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        key: &Expr,
        value: Option<&Expr>,
        rec: Rec,
    ) {
        // KTableRepartitionMap: the old pair (to subtract) and the new pair (to add);
        // one record when both select the same key.
        let old = rec.old.clone().unwrap_or(Val::Null);
        let select = |task: &mut Self, p: &mut Pass<'_>, v: &Val| -> Option<Option<(Val, Val)>> {
            if v.is_null() {
                return Some(None);
            }
            let e = env(&rec.key, v);
            let k = task.eval(p, key, e, n)?;
            let val = match value {
                Some(x) => task.eval(p, x, e, n)?,
                None => v.clone(),
            };
            Some((!k.is_null() && !val.is_null()).then_some((k, val)))
        };
        let Some(new_pair) = select(self, p, &rec.value) else {
            return;
        };
        let Some(old_pair) = select(self, p, &old) else {
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
                self.forward(p, n, r);
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
                    self.forward(p, n, r);
                }
                if let Some((nk, nv)) = new_pair {
                    let r = Rec {
                        key: nk,
                        value: nv,
                        old: Some(Val::Null),
                        timestamp: ts,
                        window: rec.window,
                    };
                    self.forward(p, n, r);
                }
            }
        }
    }
}
