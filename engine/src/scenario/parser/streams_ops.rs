//! The operations of a `streams app` block's chains (`filter`, `groupBy`, `count`, `join`, …),
//! each checked against what the chain has built so far: the DSL's types, stores, names and the
//! co-partitioning of joins (`streams_types.rs`), with Kafka's rules for windows.

use super::Result;
use super::cursor::{Cursor, Val};
use super::streams::{AGGREGATOR, Block, JOINER, KEY_VALUE, REDUCER};
use super::streams_line::{
    Line, exprs, merge_options, no_exprs, scope, tail_options, unknown_operation,
};
use super::streams_types::{Built, copartition, how_to_group, kind_name};
use super::values::{duration, limit};
use crate::limits;
use crate::scenario::diagnostic::{LineError, did_you_mean};
use crate::scenario::lexer::col_len;
use crate::streams::dsl::{JoinKind, JoinWindow, Kind, Operation, WindowSpec};
use crate::streams::expr::Expr;
use crate::time::Micros;

impl Block<'_> {
    /// Checks that the chain has one of `kinds` for operation `op`.
    fn need(&self, op: Val, built: &Built, kinds: &[Kind], needs: &str) -> Result<()> {
        if kinds.contains(&built.kind) {
            return Ok(());
        }
        let err = op.err(format!(
            "'{}' applies to {needs}, but the chain has {} here",
            op.text,
            kind_name(built.kind)
        ));
        Err(match (op.text, built.kind) {
            ("count" | "reduce" | "aggregate" | "windowedBy", Kind::KStream | Kind::KTable) => {
                err.hint(how_to_group(built.kind))
            }
            ("to", Kind::KTable | Kind::WindowedKTable) => {
                err.hint("a table's updates go to a topic as a stream: write 'toStream' first")
            }
            ("suppress", Kind::KTable) => err.hint(
                "only a windowed count or aggregation has windows that close: add 'windowedBy' before it",
            ),
            (_, Kind::KGroupedStream | Kind::KGroupedTable) => err.hint(
                "a grouped stream or table only aggregates: count, reduce or aggregate",
            ),
            _ => err,
        })
    }

    /// One operation on `built`; the new state (`None`: the chain ends).
    pub(super) fn operation(
        &mut self,
        cur: &mut Cursor,
        line: &Line,
        op: Val,
        built: &Built,
    ) -> Result<(Operation, Option<Built>)> {
        use Kind::*;
        if built.kind == GlobalKTable && op.text != "as" {
            return Err(op
                .err(format!("'{}' cannot follow a globalTable", op.text))
                .hint("a GlobalKTable is only joined: name it with 'as NAME' and write 'join NAME: KEY, JOINER' in a stream's chain"));
        }
        let stream_or_table = "a KStream or a KTable";
        let kv = |what| [scope(KEY_VALUE, what)];
        let one = |what: &'static str, example: &str| -> Result<Expr> {
            exprs(line, op, &kv(what), 1, example).map(|mut e| e.0.remove(0))
        };
        let same = Some(built.clone());
        let result = match op.text {
            "filter" | "filterNot" => {
                self.need(op, built, &[KStream, KTable], stream_or_table)?;
                let p = one("a filter", "filter: value.price > 10")?;
                cur.finish()?;
                let operation = if op.text == "filter" {
                    Operation::Filter(p)
                } else {
                    Operation::FilterNot(p)
                };
                (operation, same)
            }
            "mapValues" => {
                self.need(op, built, &[KStream, KTable], stream_or_table)?;
                let e = one("mapValues", "mapValues: upper(value)")?;
                cur.finish()?;
                (Operation::MapValues(e), same)
            }
            "flatMapValues" => {
                self.need(op, built, &[KStream], "a KStream")?;
                let e = one("flatMapValues", "flatMapValues: split(value)")?;
                cur.finish()?;
                (Operation::FlatMapValues(e), same)
            }
            "selectKey" => {
                self.need(op, built, &[KStream], "a KStream")?;
                let e = one("selectKey", "selectKey: value.customer")?;
                cur.finish()?;
                (Operation::SelectKey(e), Some(built.rekeyed()))
            }
            "map" => {
                self.need(op, built, &[KStream], "a KStream")?;
                let scopes = [scope(KEY_VALUE, "map"), scope(KEY_VALUE, "map")];
                let (mut e, _) = exprs(line, op, &scopes, 2, "map: value.customer, value.total")?;
                cur.finish()?;
                let value = e.remove(1);
                let key = e.remove(0);
                (Operation::Map { key, value }, Some(built.rekeyed()))
            }
            "peek" => {
                self.need(op, built, &[KStream], "a KStream")?;
                let (mut e, _) = exprs(line, op, &kv("peek"), 0, "peek: value.id")?;
                cur.finish()?;
                (Operation::Peek(e.pop()), same)
            }
            "split" => {
                self.need(op, built, &[KStream], "a KStream")?;
                no_exprs(line, op)?;
                cur.finish()?;
                let split = Operation::Split {
                    branches: Vec::new(),
                    default: None,
                };
                (split, Some(built.to(BranchedKStream)))
            }
            "merge" => {
                self.need(op, built, &[KStream], "a KStream")?;
                no_exprs(line, op)?;
                let name = cur.word("the name of the stream to merge")?;
                cur.finish()?;
                let other = self.named(name)?;
                if other.kind != KStream {
                    return Err(name.err(format!(
                        "'{}' is {}: merge takes a KStream",
                        name.text,
                        kind_name(other.kind)
                    )));
                }
                let mut sources = built.sources.clone();
                sources.extend(other.sources.iter().cloned());
                let merged = Built {
                    kind: KStream,
                    sources,
                    repartition: built.repartition || other.repartition,
                };
                (Operation::Merge(name.text.to_string()), Some(merged))
            }
            "groupByKey" => {
                self.need(op, built, &[KStream], "a KStream")?;
                no_exprs(line, op)?;
                cur.finish()?;
                let grouped = built.repartitioned_if_needed().to(KGroupedStream);
                (Operation::GroupByKey, Some(grouped))
            }
            "groupBy" => {
                self.need(op, built, &[KStream, KTable], stream_or_table)?;
                // KStream.groupBy(KeyValueMapper) picks a key; KTable.groupBy picks a key and
                // a value (KeyValue).
                let mut e = if built.kind == KStream {
                    exprs(line, op, &kv("groupBy"), 1, "groupBy: value.region")?.0
                } else {
                    let scopes = [scope(KEY_VALUE, "groupBy"), scope(KEY_VALUE, "groupBy")];
                    exprs(line, op, &scopes, 1, "groupBy: value.region, value.amount")?.0
                };
                cur.finish()?;
                let value = (e.len() == 2).then(|| e.remove(1));
                let key = e.remove(0);
                // KStream.groupBy is selectKey + groupByKey; KTable.groupBy always repartitions.
                let kind = if built.kind == KStream {
                    KGroupedStream
                } else {
                    KGroupedTable
                };
                let grouped = built.through_repartition_topic().to(kind);
                (Operation::GroupBy { key, value }, Some(grouped))
            }
            "windowedBy" => {
                self.need(op, built, &[KGroupedStream], "a KGroupedStream")?;
                no_exprs(line, op)?;
                let spec = window(cur)?;
                let kind = match spec {
                    WindowSpec::Session { .. } => SessionWindowedKStream,
                    _ => TimeWindowedKStream,
                };
                (Operation::WindowedBy(spec), Some(built.to(kind)))
            }
            "count" | "reduce" | "aggregate" => return self.aggregation(cur, line, op, built),
            "suppress" => {
                no_exprs(line, op)?;
                let how = cur.word("'untilWindowCloses'")?;
                if how.text != "untilWindowCloses" {
                    return Err(how
                        .err(format!("unknown suppression '{}'", how.text))
                        .hint("the playground has 'suppress untilWindowCloses' (Suppressed.untilWindowCloses)"));
                }
                cur.finish()?;
                self.need(op, built, &[WindowedKTable], "a windowed KTable")?;
                (Operation::SuppressUntilWindowCloses, same)
            }
            "toStream" => {
                self.need(op, built, &[KTable, WindowedKTable], "a KTable")?;
                no_exprs(line, op)?;
                cur.finish()?;
                (Operation::ToStream, Some(built.to(KStream)))
            }
            "toTable" => {
                self.need(op, built, &[KStream], "a KStream")?;
                no_exprs(line, op)?;
                let opts = cur.options(&["store"])?;
                let store = self.store(&opts)?;
                // KStreamImpl.toTable repartitions first after a key change.
                let table = built.repartitioned_if_needed().to(KTable);
                (Operation::ToTable { store }, Some(table))
            }
            "to" => {
                self.need(op, built, &[KStream], "a KStream")?;
                no_exprs(line, op)?;
                let topic = cur.word("the topic to write to")?;
                self.ctx.topic(topic)?;
                cur.finish()?;
                (Operation::To(topic.text.to_string()), None)
            }
            "join" | "leftJoin" | "outerJoin" => return self.join(cur, line, op, built),
            "as" => {
                no_exprs(line, op)?;
                let name = cur.word("a name for what the chain built")?;
                cur.finish()?;
                if matches!(built.kind, KGroupedStream | KGroupedTable)
                    || matches!(built.kind, TimeWindowedKStream | SessionWindowedKStream)
                {
                    return Err(name
                        .err(format!(
                            "{} cannot be named: only streams and tables can",
                            kind_name(built.kind)
                        ))
                        .hint("aggregate it first (count, reduce, aggregate)"));
                }
                self.new_name(name)?;
                self.names.insert(name.text.to_string(), built.clone());
                (Operation::As(name.text.to_string()), same)
            }
            _ => return Err(unknown_operation(op)),
        };
        Ok(result)
    }

    /// `count [store=S]`, `reduce: ADDER [, SUBTRACTOR]`, `aggregate: INIT, ADDER [, SUBTRACTOR]`
    fn aggregation(
        &mut self,
        cur: &mut Cursor,
        line: &Line,
        op: Val,
        built: &Built,
    ) -> Result<(Operation, Option<Built>)> {
        use Kind::*;
        let kinds = [
            KGroupedStream,
            KGroupedTable,
            TimeWindowedKStream,
            SessionWindowedKStream,
        ];
        self.need(
            op,
            built,
            &kinds,
            "a grouped stream or table (KGroupedStream, KGroupedTable) or a windowed stream",
        )?;
        let table = built.kind == KGroupedTable;
        let (exprs, tail) = match op.text {
            "count" => {
                no_exprs(line, op)?;
                (Vec::new(), Vec::new())
            }
            "reduce" => {
                // KGroupedTable.reduce(adder, subtractor): a table's old value is taken back.
                let scopes = [
                    scope(REDUCER, "reduce's adder"),
                    scope(REDUCER, "reduce's subtractor"),
                ];
                let (n, example) = if table {
                    (2, "reduce: agg + value, agg - value")
                } else {
                    (1, "reduce: agg + value")
                };
                exprs(line, op, &scopes[..n], n, example)?
            }
            _ => {
                if built.kind == SessionWindowedKStream {
                    return Err(op
                        .err("'aggregate' over session windows needs a session merger, which the playground does not have")
                        .hint("use count or reduce over session windows"));
                }
                let scopes = [
                    scope(&[], "aggregate's initializer"),
                    scope(AGGREGATOR, "aggregate's adder"),
                    scope(AGGREGATOR, "aggregate's subtractor"),
                ];
                let (n, example) = if table {
                    (3, "aggregate: 0, agg + value.amount, agg - value.amount")
                } else {
                    (2, "aggregate: 0, agg + value.amount")
                };
                exprs(line, op, &scopes[..n], n, example)?
            }
        };
        let head = cur.options(&["store"])?;
        let tail_opts = tail_options(&tail, &["store"])?;
        let opts = merge_options(head, tail_opts)?;
        let store = self.store(&opts)?;
        let mut exprs = exprs.into_iter();
        let operation = match op.text {
            "count" => Operation::Count { store },
            "reduce" => Operation::Reduce {
                adder: exprs.next().expect("an adder"),
                subtractor: exprs.next(),
                store,
            },
            _ => Operation::Aggregate {
                init: exprs.next().expect("an initializer"),
                adder: exprs.next().expect("an adder"),
                subtractor: exprs.next(),
                store,
            },
        };
        let kind = match built.kind {
            TimeWindowedKStream | SessionWindowedKStream => WindowedKTable,
            _ => KTable,
        };
        Ok((operation, Some(built.to(kind))))
    }

    /// `join|leftJoin|outerJoin NAME [window=D] [grace=D]: [KEY,] JOINER`
    fn join(
        &mut self,
        cur: &mut Cursor,
        line: &Line,
        op: Val,
        built: &Built,
    ) -> Result<(Operation, Option<Built>)> {
        use Kind::*;
        self.need(op, built, &[KStream, KTable], "a KStream or a KTable")?;
        let name = cur.word("the name of the stream or table to join")?;
        let opts = cur.options(&["window", "grace"])?;
        let other = self.named(name)?;
        let kind = match op.text {
            "join" => JoinKind::Inner,
            "leftJoin" => JoinKind::Left,
            _ => JoinKind::Outer,
        };
        let window_val = opts.get("window");
        let grace_val = opts.get("grace");
        let stream_stream = built.kind == KStream && other.kind == KStream;
        if !stream_stream && let Some(v) = window_val.or(grace_val) {
            return Err(v
                .err("only a join of two KStreams has a window")
                .hint("a join with a table matches each record with the table's current value"));
        }
        let valid = matches!(
            (built.kind, other.kind),
            (KStream, KStream | KTable | GlobalKTable) | (KTable, KTable)
        );
        if !valid {
            return Err(name
                .err(format!(
                    "{} cannot be joined with '{}', which is {}",
                    kind_name(built.kind),
                    name.text,
                    kind_name(other.kind)
                ))
                .hint("joins: KStream with KStream, KTable or GlobalKTable; KTable with KTable"));
        }
        if kind == JoinKind::Outer
            && matches!(other.kind, KTable | GlobalKTable)
            && built.kind == KStream
        {
            return Err(op
                .err(format!(
                    "a KStream has no outerJoin with {}",
                    kind_name(other.kind)
                ))
                .hint("use join or leftJoin"));
        }
        let window = if stream_stream {
            let Some(v) = window_val else {
                return Err(LineError::new(
                    name.col.saturating_add(col_len(name.text)).saturating_add(1),
                    "a join of two KStreams needs window=D",
                )
                .hint("records join when their timestamps are at most D apart (JoinWindows): e.g. window=5m"));
            };
            let difference = duration(v)?;
            limit(v, limits::check_setting("window", difference))?;
            let grace = grace_of(grace_val)?;
            Some(JoinWindow { difference, grace })
        } else {
            None
        };
        let joiner = scope(JOINER, "a joiner");
        let (mut exprs, _) = if other.kind == GlobalKTable {
            let scopes = [scope(KEY_VALUE, "the global table's key selector"), joiner];
            let example = "join customers: value.customer, {order: left, customer: right}";
            exprs(line, op, &scopes, 2, example)?
        } else {
            exprs(
                line,
                op,
                &[joiner],
                1,
                "join customers: {order: left, customer: right}",
            )?
        };
        cur.finish()?;
        let joiner = exprs.pop().expect("a joiner");
        let key = exprs.pop();
        let result = match other.kind {
            GlobalKTable => built.clone(),
            _ => {
                // Both sides are repartitioned first where a key changed (KStreamImpl.doJoin,
                // KStreamImpl.join(KTable)); then their topics must be co-partitioned.
                let left = built.repartitioned_if_needed();
                let right = other.repartitioned_if_needed();
                let sources = copartition(&left.sources, &right.sources).map_err(|message| {
                    op.err(format!("these sides cannot be joined: Kafka refuses it with \"{message}\""))
                        .hint("a join reads partition N of both sides in one task: give the topics the same number of partitions, or change the key (selectKey) on one side so that Kafka repartitions it")
                })?;
                Built {
                    kind: built.kind,
                    sources,
                    repartition: false,
                }
            }
        };
        Ok((
            Operation::Join {
                other: name.text.to_string(),
                kind,
                window,
                key,
                joiner,
            },
            Some(result),
        ))
    }
}

/// `grace=D` (default 0: Kafka's `…WithNoGrace`).
fn grace_of(v: Option<Val>) -> Result<Micros> {
    match v {
        None => Ok(0),
        Some(v) => {
            let d = duration(v)?;
            limit(v, limits::check_setting("grace", d)).map(|()| d)
        }
    }
}

/// `tumbling SIZE [grace=D]`, `hopping SIZE advance=D [grace=D]`, `sliding DIFF [grace=D]`,
/// `session GAP [grace=D]`, with Kafka's checks on each.
fn window(cur: &mut Cursor) -> Result<WindowSpec> {
    const TYPES: &[&str] = &["tumbling", "hopping", "sliding", "session"];
    let kind = cur.word("a window: tumbling, hopping, sliding or session")?;
    if !TYPES.contains(&kind.text) {
        return Err(kind.err(format!("unknown window '{}'", kind.text)).hint(
            did_you_mean(kind.text, TYPES.iter().copied()).unwrap_or_else(|| {
                "windows are tumbling SIZE, hopping SIZE advance=D, sliding DIFF, session GAP"
                    .into()
            }),
        ));
    }
    let size_val = cur.word("the window's size, e.g. 1m")?;
    let size = duration(size_val)?;
    limit(size_val, limits::check_setting("window", size))?;
    let allowed: &[&str] = if kind.text == "hopping" {
        &["advance", "grace"]
    } else {
        &["grace"]
    };
    let opts = cur.options(allowed)?;
    let grace = grace_of(opts.get("grace"))?;
    // TimeWindows and SessionWindows refuse a zero size or gap; SlidingWindows accept 0.
    if size == 0 && kind.text != "sliding" {
        return Err(size_val.err(format!("a {} window needs a size above 0", kind.text)));
    }
    Ok(match kind.text {
        "tumbling" => WindowSpec::Tumbling { size, grace },
        "hopping" => {
            let Some(v) = opts.get("advance") else {
                return Err(cur.missing("advance=D").hint(
                    "a hopping window moves by 'advance': e.g. windowedBy hopping 5m advance=1m",
                ));
            };
            let advance = duration(v)?;
            // TimeWindows.advanceBy: "advanceMs must lie within interval (0, sizeMs]"
            if advance == 0 || advance > size {
                return Err(v
                    .err("advance must be above 0 and at most the window's size")
                    .hint("with advance equal to the size, the window is tumbling"));
            }
            WindowSpec::Hopping {
                size,
                advance,
                grace,
            }
        }
        "sliding" => WindowSpec::Sliding {
            difference: size,
            grace,
        },
        _ => WindowSpec::Session { gap: size, grace },
    })
}
