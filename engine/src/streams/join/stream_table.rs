//! KStream–KTable and KStream–GlobalKTable joins: Kafka's `KStreamKTableJoinProcessor`, which
//! `KStreamKTableJoin` (the lookup key is the record's key) and `KStreamGlobalKTableJoin` (a
//! `KeyValueMapper` picks the lookup key from the record) both run.
//!
//! Only the stream side triggers: a stream record looks the table up as it is at that moment; a
//! table update changes the table and emits nothing. An inner join emits only on a match; a left
//! join emits on a miss too, with a null right value. A stream record with a null value, or whose
//! lookup key is null, is dropped ("Skipping record due to null join key or value", one count of
//! `dropped-records`), except that a left join keeps a null-key record with a value (KIP-962,
//! Kafka 3.7). The table's timestamp plays no part (non-versioned tables, no join grace).

use super::super::dsl::JoinKind;
use crate::streams::value::Val;

/// What one stream record produced.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamTableResult {
    /// The joiner's result, forwarded with the stream record's key and timestamp.
    Joined(Val),
    /// Inner join, no table value for the key: nothing is forwarded.
    NoMatch,
    /// Dropped (null value or null lookup key): one count of `dropped-records`.
    Dropped,
}

/// `KStreamKTableJoinProcessor.process` for one stream record. `lookup_key` is what the table is
/// looked up by: the record's key for a KTable, the key mapper's result for a GlobalKTable.
/// `lookup` reads the table (a missing key and a deleted one are both `None`).
pub fn stream_table_join<E>(
    kind: JoinKind,
    key: &Val,
    value: &Val,
    lookup_key: &Val,
    lookup: impl FnOnce(&Val) -> Option<Val>,
    joiner: impl FnOnce(&Val, &Val, &Val) -> Result<Val, E>,
) -> Result<StreamTableResult, E> {
    assert!(
        kind != JoinKind::Outer,
        "a KStream has no outer join with a table"
    );
    let left_join = kind == JoinKind::Left;
    // maybeDropRecord
    let keep_null_key = left_join && key.is_null() && !value.is_null();
    if !keep_null_key && (lookup_key.is_null() || value.is_null()) {
        return Ok(StreamTableResult::Dropped);
    }
    // doJoin
    let table_value = if lookup_key.is_null() {
        None
    } else {
        lookup(lookup_key).filter(|v| !v.is_null())
    };
    match table_value {
        Some(right) => joiner(key, value, &right).map(StreamTableResult::Joined),
        None if left_join => joiner(key, value, &Val::Null).map(StreamTableResult::Joined),
        None => Ok(StreamTableResult::NoMatch),
    }
}
