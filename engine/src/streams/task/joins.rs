//! The join processors, over the `join` module: windowed KStream–KStream joins
//! (`KStreamKStreamJoinLeftSide` / `RightSide`, after each side's `KStreamJoinWindow`),
//! KStream–KTable joins (`KStreamKTableJoin`) and KTable–KTable joins
//! (`KTableKTableInnerJoin` / `LeftJoin` / `RightJoin` / `OuterJoin`). KStream–GlobalKTable
//! joins (`KStreamGlobalKTableJoin`) are refused by `StreamTask::new`.

use crate::streams::dsl::JoinKind;
use crate::streams::expr::{Env, EvalError, Expr};
use crate::streams::join::{self, Side, StreamTableResult, TableJoinResult};
use crate::streams::topology::{NodeId, Op};
use crate::streams::value::Val;
use crate::streams::window;

use super::{Pass, Rec, StreamTask, from_millis};

/// A joiner's variables: `key`, `left` (the value of the side `join` was called on) and
/// `right`.
fn join_env<'a>(key: &'a Val, left: &'a Val, right: &'a Val) -> Env<'a> {
    Env {
        key: Some(key),
        left: Some(left),
        right: Some(right),
        ..Env::default()
    }
}

impl StreamTask {
    /// `KStreamKStreamJoinLeftSide` / `RightSide`: the record joins the other side's window
    /// store; both sides share one `StreamStreamJoin`, kept by the JOINTHIS node.
    pub(super) fn stream_stream_join(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        this_side: bool,
        joiner: &Expr,
        rec: Rec,
    ) {
        let (side, owner) = if this_side {
            (Side::Left, n)
        } else {
            (Side::Right, self.join_partner[&n])
        };
        let Some(state) = self.stream_joins.get_mut(&owner) else {
            return;
        };
        let outcome = state.process(
            side,
            &rec.key,
            &rec.value,
            window::millis(rec.timestamp),
            window::millis(self.now),
            |k, l, r| joiner.eval(&join_env(k, l, r)),
        );
        if outcome.dropped {
            self.skip(p, n, "null key or value: skipped by the join".into());
        }
        for o in outcome.outputs {
            let r = Rec {
                key: o.key,
                value: o.value,
                old: None,
                timestamp: from_millis(o.timestamp),
                window: None,
            };
            self.forward(p, n, r);
        }
        if let Some(EvalError(msg)) = outcome.error {
            self.skip(p, n, msg);
        }
    }

    /// `KStreamKTableJoin`: looks up the table's store by the record's key.
    pub(super) fn stream_table_join(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        kind: JoinKind,
        joiner: &Expr,
        rec: Rec,
    ) {
        let Some(store) = self.node_store[n] else {
            return;
        };
        let table = self.get(p, store, &rec.key).map(|(v, _)| v);
        let result = join::stream_table_join(
            kind,
            &rec.key,
            &rec.value,
            &rec.key,
            |_| table,
            |k, l, r| joiner.eval(&join_env(k, l, r)),
        );
        match result {
            Ok(StreamTableResult::Joined(v)) => {
                let r = Rec { value: v, ..rec };
                self.forward(p, n, r);
            }
            Ok(StreamTableResult::NoMatch) => {}
            Ok(StreamTableResult::Dropped) => {
                let reason = "null key or value: skipped by the join".into();
                self.skip(p, n, reason);
            }
            Err(EvalError(msg)) => self.skip(p, n, msg),
        }
    }

    /// `KTableKTableInnerJoin` / `LeftJoin` / `RightJoin` / `OuterJoin`: one side's update
    /// looks up the other side's store.
    pub(super) fn table_table_join(
        &mut self,
        p: &mut Pass<'_>,
        n: NodeId,
        this_side: bool,
        kind: JoinKind,
        joiner: &Expr,
        rec: Rec,
    ) {
        let Some(store) = self.node_store[n] else {
            return;
        };
        let other = self
            .get(p, store, &rec.key)
            .map(|(v, t)| (v, window::millis(t)));
        let side = if this_side { Side::Left } else { Side::Right };
        let update = join::Change {
            new: (!rec.value.is_null()).then(|| rec.value.clone()),
            old: rec.old.clone().filter(|o| !o.is_null()),
        };
        // The join sends old values when a table groupBy follows its merge.
        let merge = p.topology.nodes[n].successors[0];
        let send_old_values = p.topology.nodes[merge]
            .successors
            .iter()
            .any(|&s| matches!(p.topology.nodes[s].op, Op::TableSelect { .. }));
        let result = join::table_table_join(
            kind,
            side,
            &rec.key,
            &update,
            window::millis(rec.timestamp),
            other,
            send_old_values,
            |k, l, r| joiner.eval(&join_env(k, l, r)),
        );
        match result {
            Ok(TableJoinResult::Forward { change, timestamp }) => {
                let r = Rec {
                    key: rec.key,
                    value: change.new.unwrap_or(Val::Null),
                    old: Some(change.old.unwrap_or(Val::Null)),
                    timestamp: from_millis(timestamp),
                    window: rec.window,
                };
                self.forward(p, n, r);
            }
            Ok(TableJoinResult::Nothing) => {}
            Ok(TableJoinResult::Dropped) => {
                self.skip(p, n, "null key: skipped by the join".into());
            }
            Err(EvalError(msg)) => self.skip(p, n, msg),
        }
    }
}
