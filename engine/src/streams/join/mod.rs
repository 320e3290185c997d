//! Joins as Kafka Streams computes them: which input triggers a result, what the `ValueJoiner`
//! receives, what is dropped, and when a left or outer join's unmatched record comes out.
//!
//! - `stream_table`: KStream–KTable and KStream–GlobalKTable (`KStreamKTableJoinProcessor`)
//! - `table_table`: KTable–KTable (`KTableKTableInnerJoin`, `…LeftJoin`, `…RightJoin`,
//!   `…OuterJoin`)
//! - `stream_stream`: windowed KStream–KStream (`KStreamKStreamJoin`, `KStreamJoinWindow`)
//!
//! Joiners are called as `joiner(key, left, right)` with `Val::Null` for a missing side, whichever
//! side's record triggered the call (Kafka reverses the joiner for the right side's processor, so
//! the user's joiner always sees the left value first). Timestamps are Kafka's milliseconds
//! (`window::Millis`).

pub mod stream_stream;
pub mod stream_table;
pub mod table_table;

pub use stream_stream::{JoinOutput, StreamStreamJoin, StreamStreamOutcome};
pub use stream_table::{StreamTableResult, stream_table_join};
pub use table_table::{Change, TableJoinResult, table_table_join};

/// Which input of a join a record arrived on: the stream or table `join` was called on (left),
/// or the one passed to it (right).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Left,
    Right,
}
