//! The stateless record operators of a `KStream` (Kafka Streams' "stateless transformations"):
//! `KStreamFilter`, `KStreamMap` (also `selectKey`), `KStreamMapValues`,
//! `KStreamFlatMapValues`, `KStreamPeek` and `KStreamBranch`. Each evaluates its expressions
//! on the record and forwards what they give; none touches a store.

use crate::streams::cache::ThreadCache;
use crate::streams::expr::{EvalError, Expr};
use crate::streams::topology::{NodeId, Topology};
use crate::streams::value::Val;

use super::{Ctx, Effect, Rec, StreamTask, env};

impl StreamTask {
    /// `KStreamFilter` (`not` for filterNot).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn filter(
        &mut self,
        topology: &Topology,
        n: NodeId,
        predicate: &Expr,
        not: bool,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let Some(v) = self.eval(predicate, env(&rec.key, &rec.value), n, ctx, out) else {
            return;
        };
        if v.is_true() != not {
            self.forward(topology, n, rec, ctx, cache, out);
        }
    }

    /// `KStreamMap`
    #[allow(clippy::too_many_arguments)]
    pub(super) fn map(
        &mut self,
        topology: &Topology,
        n: NodeId,
        key: &Expr,
        value: &Expr,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let e = env(&rec.key, &rec.value);
        let Some(k) = self.eval(key, e, n, ctx, out) else {
            return;
        };
        let Some(v) = self.eval(value, e, n, ctx, out) else {
            return;
        };
        let rec = Rec {
            key: k,
            value: v,
            ..rec
        };
        self.forward(topology, n, rec, ctx, cache, out);
    }

    /// `KStreamMap` with `(k, v) -> KeyValue(mapper(k, v), v)` (selectKey, groupBy).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn select_key(
        &mut self,
        topology: &Topology,
        n: NodeId,
        key: &Expr,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let Some(k) = self.eval(key, env(&rec.key, &rec.value), n, ctx, out) else {
            return;
        };
        self.forward(topology, n, Rec { key: k, ..rec }, ctx, cache, out);
    }

    /// `KStreamMapValues`
    #[allow(clippy::too_many_arguments)]
    pub(super) fn map_values(
        &mut self,
        topology: &Topology,
        n: NodeId,
        mapper: &Expr,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let Some(v) = self.eval(mapper, env(&rec.key, &rec.value), n, ctx, out) else {
            return;
        };
        self.forward(topology, n, Rec { value: v, ..rec }, ctx, cache, out);
    }

    /// `KStreamFlatMapValues`: one record per item of the list the mapper gives.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn flat_map_values(
        &mut self,
        topology: &Topology,
        n: NodeId,
        mapper: &Expr,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let Some(v) = self.eval(mapper, env(&rec.key, &rec.value), n, ctx, out) else {
            return;
        };
        let Val::List(items) = v else {
            let reason = format!("flatMapValues needs a list, got {}", v.type_name());
            self.skip(n, ctx, reason, out);
            return;
        };
        for item in items.iter() {
            let r = Rec {
                key: rec.key.clone(),
                value: item.clone(),
                old: None,
                timestamp: rec.timestamp,
                window: rec.window,
            };
            self.forward(topology, n, r, ctx, cache, out);
        }
    }

    /// `KStreamPeek`: shows the record (or its expression's value) and forwards it unchanged.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn peek(
        &mut self,
        topology: &Topology,
        n: NodeId,
        shown: Option<&Expr>,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let value = match shown {
            Some(e) => match e.eval(&env(&rec.key, &rec.value)) {
                Ok(v) => v,
                // A peek never changes the stream: a failing expression shows the error.
                Err(EvalError(msg)) => Val::text(&format!("error: {msg}")),
            },
            None => rec.value.clone(),
        };
        out.push(Effect::Peek {
            node: n,
            key: rec.key.clone(),
            value,
        });
        self.forward(topology, n, rec, ctx, cache, out);
    }

    /// `KStreamBranch`: a record goes to the first child whose predicate holds, else to the
    /// default child if there is one.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn branch(
        &mut self,
        topology: &Topology,
        n: NodeId,
        predicates: &[Expr],
        children: &[NodeId],
        default: Option<NodeId>,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        for (i, p) in predicates.iter().enumerate() {
            let Some(v) = self.eval(p, env(&rec.key, &rec.value), n, ctx, out) else {
                return;
            };
            if v.is_true() {
                self.run(topology, children[i], rec, ctx, cache, out);
                return;
            }
        }
        if let Some(d) = default {
            self.run(topology, d, rec, ctx, cache, out);
        }
    }
}
