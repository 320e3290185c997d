//! The stateless record operators of a `KStream` (Kafka Streams' "stateless transformations"):
//! `KStreamFilter`, `KStreamMap` (also `selectKey`), `KStreamMapValues`,
//! `KStreamFlatMapValues`, `KStreamPeek` and `KStreamBranch`. Each evaluates its expressions
//! on the record and forwards what they give; none touches a store.

use crate::streams::expr::{EvalError, Expr};
use crate::streams::topology::NodeId;
use crate::streams::value::Val;

use super::{Effect, Pass, Rec, StreamTask, env};

impl StreamTask {
    /// `KStreamFilter` (`not` for filterNot).
    pub(super) fn filter(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        predicate: &Expr,
        not: bool,
        rec: &mut Rec,
    ) {
        let Some(v) = self.eval(p, predicate, env(&rec.key, &rec.value), n) else {
            return;
        };
        if v.is_true() != not {
            self.forward_in_place(p, n, rec);
        }
    }

    /// `KStreamMap`
    pub(super) fn map(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        key: &Expr,
        value: &Expr,
        rec: &mut Rec,
    ) {
        let e = env(&rec.key, &rec.value);
        let Some(k) = self.eval(p, key, e, n) else {
            return;
        };
        let Some(v) = self.eval(p, value, e, n) else {
            return;
        };
        rec.key = k;
        rec.value = v;
        self.forward_in_place(p, n, rec);
    }

    /// `KStreamMap` with `(k, v) -> KeyValue(mapper(k, v), v)` (selectKey, groupBy).
    pub(super) fn select_key(&mut self, p: &mut Pass<'_>, n: NodeId, key: &Expr, rec: &mut Rec) {
        let Some(k) = self.eval(p, key, env(&rec.key, &rec.value), n) else {
            return;
        };
        rec.key = k;
        self.forward_in_place(p, n, rec);
    }

    /// `KStreamMapValues`
    pub(super) fn map_values(&mut self, p: &mut Pass<'_>, n: NodeId, mapper: &Expr, rec: &mut Rec) {
        let Some(v) = self.eval(p, mapper, env(&rec.key, &rec.value), n) else {
            return;
        };
        rec.value = v;
        self.forward_in_place(p, n, rec);
    }

    /// `KStreamFlatMapValues`: one record per item of the list the mapper gives.
    pub(super) fn flat_map_values(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        mapper: &Expr,
        rec: &Rec,
    ) {
        let Some(v) = self.eval(p, mapper, env(&rec.key, &rec.value), n) else {
            return;
        };
        let Val::List(mut items) = v else {
            let reason = format!("flatMapValues needs a list, got {}", v.type_name());
            self.skip(p, n, reason);
            return;
        };
        // The mapper's own new list (split's words) gives its items away instead of sharing
        // them: no reference count is raised now and dropped with the list.
        match std::sync::Arc::get_mut(&mut items) {
            Some(owned) => {
                for item in owned.iter_mut() {
                    self.forward_item(p, n, rec, std::mem::take(item));
                }
            }
            None => {
                for item in items.iter() {
                    self.forward_item(p, n, rec, item.clone());
                }
            }
        }
    }

    /// One of flatMapValues' records: `value` with the input record's key and timestamp.
    fn forward_item(&mut self, p: &mut Pass<'_>, n: NodeId, rec: &Rec, value: Val) {
        let r = Rec {
            key: rec.key.clone(),
            value,
            old: None,
            timestamp: rec.timestamp,
            window: rec.window,
        };
        self.forward(p, n, r);
    }

    /// `KStreamPeek`: shows the record (or its expression's value) and forwards it unchanged.
    pub(super) fn peek(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        shown: Option<&Expr>,
        rec: &mut Rec,
    ) {
        let value = match shown {
            Some(e) => match e.eval(&env(&rec.key, &rec.value)) {
                Ok(v) => v,
                // A peek never changes the stream: a failing expression shows the error.
                Err(EvalError(msg)) => Val::text(&format!("error: {msg}")),
            },
            None => rec.value.clone(),
        };
        p.out.push(Effect::Peek {
            node: n,
            key: rec.key.clone(),
            value,
        });
        self.forward_in_place(p, n, rec);
    }

    /// `KStreamBranch`: a record goes to the first child whose predicate holds, else to the
    /// default child if there is one.
    pub(super) fn branch(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        predicates: &[Expr],
        children: &[NodeId],
        default: Option<NodeId>,
        rec: &mut Rec,
    ) {
        for (i, pred) in predicates.iter().enumerate() {
            let Some(v) = self.eval(p, pred, env(&rec.key, &rec.value), n) else {
                return;
            };
            if v.is_true() {
                self.run(p, children[i], rec);
                return;
            }
        }
        if let Some(d) = default {
            self.run(p, d, rec);
        }
    }
}
