//! KTable–KTable equi-joins: both sides trigger. An update on one side (a `Change` of new and old
//! value, a tombstone's new value being null) looks up the other table's current value and
//! forwards the joined change. Kafka runs a different processor per join type and side:
//!
//! | join  | left side's update        | right side's update        |
//! |-------|---------------------------|----------------------------|
//! | inner | `KTableKTableInnerJoin`   | `KTableKTableInnerJoin`    |
//! | left  | `KTableKTableLeftJoin`    | `KTableKTableRightJoin`    |
//! | outer | `KTableKTableOuterJoin`   | `KTableKTableOuterJoin`    |
//!
//! The result's timestamp is the larger of the update's and the other side's value's timestamp.
//! The old value is only joined when the downstream needs it (`sendOldValues`); otherwise it is
//! null, as `KTableKTableJoinMerger` forwards it. Versioned tables (KIP-914's out-of-order drop)
//! are not modelled: the playground's tables are not versioned.

use super::super::dsl::JoinKind;
use super::Side;
use crate::streams::value::Val;
use crate::streams::window::Millis;

/// `Change<V>`: a table update (`None` is null: a tombstone's new value, a first insert's old).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Change {
    pub new: Option<Val>,
    pub old: Option<Val>,
}

/// `ValueAndTimestamp.UNKNOWN`-like timestamp the left join uses for a missing right value.
const UNKNOWN: Millis = -1;

#[derive(Debug, Clone, PartialEq)]
pub enum TableJoinResult {
    /// Forward this change of the joined table, at this timestamp.
    Forward { change: Change, timestamp: Millis },
    /// Nothing to forward (the other side has no value, or nothing changed).
    Nothing,
    /// A null key: "Skipping record due to null key", one count of `dropped-records`.
    Dropped,
}

/// One update arriving on `side` of a table–table join of `kind`. `other` is the other table's
/// current value and its timestamp (`valueGetter.get(key)`), `None` if it has none.
#[allow(clippy::too_many_arguments)]
pub fn table_table_join<E>(
    kind: JoinKind,
    side: Side,
    key: &Val,
    update: &Change,
    timestamp: Millis,
    other: Option<(Val, Millis)>,
    send_old_values: bool,
    mut joiner: impl FnMut(&Val, &Val, &Val) -> Result<Val, E>,
) -> Result<TableJoinResult, E> {
    if key.is_null() {
        return Ok(TableJoinResult::Dropped);
    }
    let other = other.filter(|(v, _)| !v.is_null());
    // The user's joiner takes (left, right); the right side's processor has it reversed.
    let mut join = |this: Option<&Val>, that: Option<&Val>| {
        let (this, that) = (this.unwrap_or(&Val::Null), that.unwrap_or(&Val::Null));
        match side {
            Side::Left => joiner(key, this, that),
            Side::Right => joiner(key, that, this),
        }
    };
    let other_value = other.as_ref().map(|(v, _)| v);
    let (new, old, result_timestamp) = match (kind, side) {
        // KTableKTableInnerJoin (both sides) and KTableKTableRightJoin (a left join's right
        // side): nothing without the other side's value. The inner join forwards a tombstone
        // for a null new value; the right join calls the joiner on it (`[left, null]`), since
        // the left value survives.
        (JoinKind::Inner, _) | (JoinKind::Left, Side::Right) => {
            let Some((_, other_ts)) = &other else {
                return Ok(TableJoinResult::Nothing);
            };
            let always = kind == JoinKind::Left;
            let new = match &update.new {
                Some(n) => Some(join(Some(n), other_value)?),
                None if always => Some(join(None, other_value)?),
                None => None,
            };
            let old = match &update.old {
                Some(o) if send_old_values => Some(join(Some(o), other_value)?),
                None if send_old_values && always => Some(join(None, other_value)?),
                _ => None,
            };
            (new, old, timestamp.max(*other_ts))
        }
        // KTableKTableLeftJoin: the left side's update always joins, with a null right value
        // when the right table has none (unless the update is null on both counts).
        (JoinKind::Left, Side::Left) => {
            if other.is_none() && update.new.is_none() && update.old.is_none() {
                return Ok(TableJoinResult::Nothing);
            }
            let other_ts = other.as_ref().map_or(UNKNOWN, |(_, ts)| *ts);
            let new = match &update.new {
                Some(n) => Some(join(Some(n), other_value)?),
                None => None,
            };
            let old = match &update.old {
                Some(o) if send_old_values => Some(join(Some(o), other_value)?),
                _ => None,
            };
            (new, old, timestamp.max(other_ts))
        }
        // KTableKTableOuterJoin: a value on either side joins.
        (JoinKind::Outer, _) => {
            if other.is_none() && update.new.is_none() && update.old.is_none() {
                return Ok(TableJoinResult::Nothing);
            }
            let result_timestamp = other
                .as_ref()
                .map_or(timestamp, |(_, ts)| timestamp.max(*ts));
            let new = if other.is_some() || update.new.is_some() {
                Some(join(update.new.as_ref(), other_value)?)
            } else {
                None
            };
            let old = if send_old_values && (other.is_some() || update.old.is_some()) {
                Some(join(update.old.as_ref(), other_value)?)
            } else {
                None
            };
            (new, old, result_timestamp)
        }
    };
    Ok(TableJoinResult::Forward {
        change: Change {
            new: new.filter(|v| !v.is_null()),
            old: old.filter(|v| !v.is_null()),
        },
        timestamp: result_timestamp,
    })
}
