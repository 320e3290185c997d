//! A Streams application as a scenario declares it: its configuration and its topology, as the
//! list of DSL calls a Java program would make on a `StreamsBuilder`, in order.
//!
//! ```text
//! streams app word-count instances=2
//!   stream text-lines
//!   flatMapValues: split(lower(value))
//!   groupBy: value
//!   count store=counts
//!   toStream
//!   to word-counts
//! end
//! ```
//!
//! Each line inside the block is one call on the current stream or table (`Chain`); a line that
//! starts from a topic (`stream`, `table`, `globalTable`) or from a name (`from NAME`) begins a
//! new chain. `as NAME` names what the chain has built so far, so that a later chain can start
//! from it, `merge` it or `join` it; `split` with its `branch NAME: PREDICATE` lines names each
//! branch. The parser (`scenario/parser/streams.rs`) checks the DSL's types (you cannot `count`
//! a KStream before grouping it, `suppress` needs a windowed KTable) and co-partitioning; the
//! builder (`streams/builder.rs`) turns the calls into Kafka's processor topology with Kafka's
//! node names, sub-topologies and internal topics.

use super::expr::Expr;
use crate::scenario::ast::Pos;
use crate::time::Micros;

/// `streams app NAME [options] … end`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub pos: Pos,
    /// `application.id`: the consumer group's id and the prefix of every internal topic.
    pub name: String,
    pub config: AppConfig,
    pub chains: Vec<Chain>,
}

/// The application's configuration, with Kafka Streams' defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    /// Instances started with the app, named `NAME-1` … `NAME-N` (`instances=`, default 1).
    pub instances: u32,
    /// `num.stream.threads` (`threads=`, default 1).
    pub threads: u32,
    /// `commit.interval.ms` (`commit-interval=`, default 30 s under at_least_once).
    pub commit_interval: Micros,
    /// `statestore.cache.max.bytes` (`cache=`, default 10 MiB; `cache=0` turns caching off).
    pub cache_bytes: u64,
    /// `num.standby.replicas` (`standbys=`, default 0).
    pub standbys: u32,
    /// `repartition.purge.interval.ms` (`repartition-purge-interval=`, default 30 s, as
    /// `commit.interval.ms`): how often a thread deletes the repartition records its tasks
    /// consumed and committed.
    pub repartition_purge_interval: Micros,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            instances: 1,
            threads: 1,
            commit_interval: crate::time::secs(30),
            cache_bytes: 10 * 1024 * 1024,
            standbys: 0,
            repartition_purge_interval: crate::time::secs(30),
        }
    }
}

/// One chain of calls: a start, then operations, each with the position of its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub pos: Pos,
    pub start: Start,
    pub ops: Vec<(Pos, Operation)>,
}

/// Where a chain begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// `stream T[,T2…]`: `builder.stream(topics)`
    Stream(Vec<String>),
    /// `table T [store=S]`: `builder.table(topic, Materialized.as(S))`
    Table {
        topic: String,
        store: Option<String>,
    },
    /// `globalTable T [store=S]`
    GlobalTable {
        topic: String,
        store: Option<String>,
    },
    /// `from NAME`: continue from a stream or table named with `as` or a `branch`.
    From(String),
}

/// The DSL's types: what an operation applies to and what it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    KStream,
    KTable,
    GlobalKTable,
    KGroupedStream,
    KGroupedTable,
    TimeWindowedKStream,
    SessionWindowedKStream,
    /// A KTable whose keys are windows (the result of a windowed aggregation).
    WindowedKTable,
    /// After `split`: only `branch` and `defaultBranch` may follow.
    BranchedKStream,
}

/// A window for `windowedBy` (aggregations). Kafka's windows are aligned to the epoch; a record
/// belongs to `[start, start + size)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSpec {
    /// `windowedBy tumbling SIZE [grace=D]`: `TimeWindows.ofSizeAndGrace(size, grace)`
    Tumbling { size: Micros, grace: Micros },
    /// `windowedBy hopping SIZE advance=D [grace=D]`: `TimeWindows…advanceBy(advance)`
    Hopping {
        size: Micros,
        advance: Micros,
        grace: Micros,
    },
    /// `windowedBy sliding DIFF [grace=D]`: `SlidingWindows.ofTimeDifferenceAndGrace`
    Sliding { difference: Micros, grace: Micros },
    /// `windowedBy session GAP [grace=D]`: `SessionWindows.ofInactivityGapAndGrace`
    Session { gap: Micros, grace: Micros },
}

/// A stream–stream join's window: `JoinWindows.ofTimeDifferenceAndGrace(window, grace)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinWindow {
    pub difference: Micros,
    pub grace: Micros,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Outer,
}

/// One DSL call. Expressions read `key` and `value` unless noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `filter: PRED` (KStream, KTable)
    Filter(Expr),
    /// `filterNot: PRED`
    FilterNot(Expr),
    /// `map: KEY, VALUE`
    Map { key: Expr, value: Expr },
    /// `mapValues: VALUE` (KStream, KTable)
    MapValues(Expr),
    /// `flatMapValues: LIST`: one record per item.
    FlatMapValues(Expr),
    /// `selectKey: KEY`
    SelectKey(Expr),
    /// `peek` / `peek: EXPR`: the record (or EXPR) shown in the event log, unchanged downstream.
    Peek(Option<Expr>),
    /// `split` then `branch NAME: PRED` lines and an optional `defaultBranch NAME`: each branch
    /// becomes a named KStream (a record goes to the first branch whose predicate holds).
    Split {
        branches: Vec<(String, Expr)>,
        default: Option<String>,
    },
    /// `merge NAME`: this stream and a named one.
    Merge(String),
    /// `groupByKey`
    GroupByKey,
    /// `groupBy: KEY` (KStream) or `groupBy: KEY, VALUE` (KTable: a new key and value).
    GroupBy { key: Expr, value: Option<Expr> },
    /// `windowedBy …`
    WindowedBy(WindowSpec),
    /// `count [store=S]`
    Count { store: Option<String> },
    /// `reduce: ADDER [, SUBTRACTOR] [store=S]` (`agg` and `value`; the subtractor only after a
    /// KTable's `groupBy`, as `KGroupedTable.reduce(adder, subtractor)`).
    Reduce {
        adder: Expr,
        subtractor: Option<Expr>,
        store: Option<String>,
    },
    /// `aggregate: INIT, ADDER [, SUBTRACTOR] [store=S]`
    Aggregate {
        init: Expr,
        adder: Expr,
        subtractor: Option<Expr>,
        store: Option<String>,
    },
    /// `suppress untilWindowCloses`: `Suppressed.untilWindowCloses(unbounded())`
    SuppressUntilWindowCloses,
    /// `toStream`
    ToStream,
    /// `toTable [store=S]`
    ToTable { store: Option<String> },
    /// `to TOPIC`
    To(String),
    /// `join|leftJoin|outerJoin NAME [window=D grace=D]: JOINER` (`left`, `right`); against a
    /// GlobalKTable `join NAME: KEY, JOINER` where KEY picks the table's key from the stream's
    /// record.
    Join {
        other: String,
        kind: JoinKind,
        window: Option<JoinWindow>,
        key: Option<Expr>,
        joiner: Expr,
    },
    /// `as NAME`: names what the chain built so far.
    As(String),
}
