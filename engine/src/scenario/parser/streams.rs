//! `streams app NAME [options] … end`: a Kafka Streams application, its `StreamsConfig` and its
//! topology, one DSL call per line (the calls are `streams/dsl.rs`).
//!
//! ```text
//! streams app word-count instances=2 commit-interval=1s
//!   stream text-lines
//!   flatMapValues: split(lower(value))
//!   groupBy: value
//!   count store=counts
//!   toStream
//!   to word-counts
//! end
//! ```
//!
//! A line is `OP WORDS… [: EXPR[, EXPR…]]`: words and options before the first `:` (outside
//! quotes), expressions after it (`expr.rs`), options may also follow the expressions
//! (`reduce: agg + value store=totals`). Each line is checked as it is read: the DSL's types
//! (`streams_types.rs`: `count` needs a grouped stream, `suppress` a windowed table), names
//! (`as`, `branch`, `from`, `merge`, `join`), stores, topics, and co-partitioning of joins. Every
//! error names the line and the column of the word or character at fault.

use std::collections::{BTreeMap, BTreeSet};

use super::expr::{Parser as ExprParser, Scope};
use super::streams_types::{Built, Source, copartition, how_to_group, kind_name};
use super::{
    Context, Cursor, Options, Result, Val, check_topic_name, did_you_mean, duration, interval,
    limit, short_list, u32_of, uint,
};
use crate::limits;
use crate::scenario::ast::Pos;
use crate::scenario::diagnostic::LineError;
use crate::scenario::lexer::{Token, TokenKind, col_len, tokenize};
use crate::streams::dsl::{
    App, AppConfig, Chain, JoinKind, JoinWindow, Kind, Operation, Start, WindowSpec,
};
use crate::streams::expr::{Expr, Var};
use crate::time::Micros;

const APP_OPTIONS: &[&str] = &[
    "instances",
    "threads",
    "commit-interval",
    "cache",
    "standbys",
];

const STARTS: &[&str] = &["stream", "table", "globalTable", "from"];

/// Every operation word, for `did you mean`.
const OPERATIONS: &[&str] = &[
    "stream",
    "table",
    "globalTable",
    "from",
    "filter",
    "filterNot",
    "map",
    "mapValues",
    "flatMapValues",
    "selectKey",
    "peek",
    "split",
    "branch",
    "defaultBranch",
    "merge",
    "groupByKey",
    "groupBy",
    "windowedBy",
    "count",
    "reduce",
    "aggregate",
    "suppress",
    "toStream",
    "toTable",
    "to",
    "join",
    "leftJoin",
    "outerJoin",
    "as",
];

const KEY_VALUE: &[Var] = &[Var::Key, Var::Value];
const REDUCER: &[Var] = &[Var::Agg, Var::Value];
const AGGREGATOR: &[Var] = &[Var::Key, Var::Value, Var::Agg];
const JOINER: &[Var] = &[Var::Key, Var::Left, Var::Right];

/// Whether a line opens a block: `streams app …` (or `at T streams app …`, refused).
pub(super) fn opens_block(line: &str) -> bool {
    let word = |t: &Token, w: &str| t.kind == TokenKind::Word && t.raw == w;
    match tokenize(line).as_deref() {
        Ok([a, b, ..]) if word(a, "streams") && word(b, "app") => true,
        Ok([at, _, a, b, ..]) => word(at, "at") && word(a, "streams") && word(b, "app"),
        _ => false,
    }
}

/// Whether a line closes a block: `end` alone (a comment may follow).
pub(super) fn closes_block(line: &str) -> bool {
    matches!(tokenize(line).as_deref(), Ok([t]) if t.kind == TokenKind::Word && t.raw == "end")
}

/// The application's name on a header line that failed, to know it exists.
pub(super) fn declared_name(line: &str) -> Option<String> {
    let tokens = tokenize(line).ok()?;
    let skip = if tokens.first()?.raw == "at" { 2 } else { 0 };
    tokens.get(skip + 2).map(|t| t.raw.clone())
}

/// A whole block: the header line and the body's lines with their numbers (without `end`).
/// The error of the first line at fault, with its line number.
pub(super) fn app(
    header: (u32, &str),
    body: &[(u32, &str)],
    ctx: &Context,
) -> std::result::Result<App, (u32, LineError)> {
    let (line, text) = header;
    let tokens = tokenize(text).map_err(|e| (line, e))?;
    if tokens[0].raw == "at" {
        return Err((
            line,
            LineError::new(
                tokens[0].col,
                "a 'streams app' block cannot be scheduled with 'at'",
            )
            .hint("put the block after a 'wait': it starts where it stands"),
        ));
    }
    let mut cur = Cursor {
        line: text,
        tokens: &tokens,
        next: 2,
    };
    let (name, config) = app_header(&mut cur, ctx).map_err(|e| (line, e))?;
    let limit_line = body
        .get(limits::MAX_STREAMS_LINES)
        .map(|(n, _)| *n)
        .unwrap_or(0);
    if limit_line > 0 {
        return Err((
            limit_line,
            LineError::new(
                1,
                format!(
                    "a streams app has at most {} lines",
                    limits::MAX_STREAMS_LINES
                ),
            ),
        ));
    }
    let mut block = Block {
        ctx,
        chains: Vec::new(),
        names: BTreeMap::new(),
        stores: BTreeSet::new(),
        sources: BTreeMap::new(),
        open: None,
        error_line: None,
    };
    for &(n, text) in body {
        block
            .line(n, text)
            .map_err(|e| (block.error_line.unwrap_or(n), e))?;
    }
    let last = body.last().map_or(line, |(n, _)| *n);
    block
        .close_chain()
        .map_err(|e| (block.error_line.unwrap_or(last), e))?;
    if block.chains.is_empty() {
        // What `new KafkaStreams(topology, …)` throws for an empty topology.
        return Err((
            line,
            LineError::new(
                tokens[0].col,
                "the application has no topology: Kafka refuses it (\"Topology has no stream threads and no global threads, must subscribe to at least one source topic or global table.\")",
            )
            .hint("add lines such as 'stream orders' and 'to big-orders' before 'end'"),
        ));
    }
    Ok(App {
        pos: Pos {
            line,
            col: tokens[0].col,
        },
        name,
        config,
        chains: block.chains,
    })
}

/// `streams app NAME [instances=N] [threads=N] [commit-interval=D] [cache=SIZE] [standbys=N]`
fn app_header(cur: &mut Cursor, ctx: &Context) -> Result<(String, AppConfig)> {
    let name = cur.word("the application's name (its application.id)")?;
    // The application.id prefixes the names of its internal topics: a topic name's rules.
    check_topic_name(name)?;
    if ctx.app_exists(name.text) {
        return Err(name.err(format!("application '{}' already exists", name.text)));
    }
    if ctx.groups.contains_key(name.text) {
        return Err(name
            .err(format!("group '{}' already exists", name.text))
            .hint("an application's id is its consumer group's id: choose another name"));
    }
    let opts = cur.options(APP_OPTIONS)?;
    let mut config = AppConfig::default();
    if let Some(v) = opts.get("instances") {
        config.instances = u32_of(v, "a number of instances")?;
        limit(
            v,
            limits::check_streams_instances(
                "instances",
                config.instances,
                limits::MAX_STREAMS_INSTANCES,
            ),
        )?;
    }
    if let Some(v) = opts.get("threads") {
        config.threads = u32_of(v, "a number of stream threads")?;
        limit(
            v,
            limits::check_streams_instances("threads", config.threads, limits::MAX_STREAMS_THREADS),
        )?;
    }
    if let Some(v) = opts.get("commit-interval") {
        config.commit_interval = interval(v, "commit-interval")?;
    }
    if let Some(v) = opts.get("cache") {
        config.cache_bytes = bytes(v)?;
        limit(v, limits::check_streams_cache(config.cache_bytes))?;
    }
    if let Some(v) = opts.get("standbys") {
        config.standbys = u32_of(v, "a number of standby replicas")?;
        if config.standbys > limits::MAX_STREAMS_STANDBYS {
            return Err(v.err(format!(
                "standbys must be at most {}",
                limits::MAX_STREAMS_STANDBYS
            )));
        }
    }
    let members = config.instances.saturating_mul(config.threads);
    let at = opts.get("instances").unwrap_or(name);
    limit(
        at,
        limits::check_consumers(ctx.consumer_clients(), members as usize),
    )
    .map_err(|e| e.hint("each stream thread is a consumer of the application's group"))?;
    Ok((name.text.to_string(), config))
}

/// `cache=SIZE`: bytes, or with a unit `KB`, `MB` (1000s) or `KiB`, `MiB` (1024s).
fn bytes(v: Val) -> Result<u64> {
    const UNITS: &[(&str, u64)] = &[
        ("KiB", 1 << 10),
        ("MiB", 1 << 20),
        ("KB", 1_000),
        ("MB", 1_000_000),
        ("B", 1),
    ];
    let digits = v.text.trim_end_matches(|c: char| !c.is_ascii_digit());
    let unit = &v.text[digits.len()..];
    let scale = match unit {
        "" => 1,
        _ => match UNITS.iter().find(|(u, _)| *u == unit) {
            Some((_, s)) => *s,
            None => {
                return Err(v
                    .slice(digits.len(), unit)
                    .err(format!("unknown size unit '{unit}'"))
                    .hint("sizes are bytes, or KB, MB, KiB, MiB: e.g. cache=10MiB, cache=0"));
            }
        },
    };
    let n = uint(v.slice(0, digits), "a size in bytes, e.g. 10MiB")?;
    n.checked_mul(scale)
        .ok_or_else(|| v.err(format!("the size {} is too large", v.text)))
}

/// The state of a block being read.
struct Block<'c> {
    ctx: &'c Context,
    chains: Vec<Chain>,
    /// What `as` and the branches of `split` named, for `from`, `merge` and `join`.
    names: BTreeMap<String, Built>,
    /// Stores named with `store=`.
    stores: BTreeSet<String>,
    /// The topics read by `stream`, `table` and `globalTable`, with the line that reads them.
    sources: BTreeMap<String, u32>,
    /// The chain being built, and what it has built so far (`None` once it has ended).
    open: Option<(Chain, Option<Built>)>,
    /// The line of the last error when it is not the line being read (a `split` without
    /// branches is found when the next chain starts).
    error_line: Option<u32>,
}

/// One body line, split at its first `:` outside quotes.
struct Line<'a> {
    n: u32,
    text: &'a str,
    /// The column of the `:`, and the expressions' text after it.
    exprs: Option<(u32, &'a str)>,
}

impl Line<'_> {
    fn split(n: u32, text: &str) -> Line<'_> {
        let mut quote: Option<char> = None;
        for (i, c) in text.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, ':') => {
                    let col = col_len(&text[..i]).saturating_add(1);
                    return Line {
                        n,
                        text: &text[..i],
                        exprs: Some((col, &text[i + 1..])),
                    };
                }
                _ => {}
            }
        }
        Line {
            n,
            text,
            exprs: None,
        }
    }
}

impl Block<'_> {
    fn line(&mut self, n: u32, text: &str) -> Result<()> {
        let line = Line::split(n, text);
        let tokens = tokenize(line.text)?;
        if tokens.is_empty() {
            return match line.exprs {
                None => Ok(()),
                Some((col, _)) => Err(LineError::new(col, "missing an operation before ':'")
                    .hint("e.g. filter: value.price > 10")),
            };
        }
        let mut cur = Cursor {
            line: line.text,
            tokens: &tokens,
            next: 0,
        };
        let op = cur.word("an operation")?;
        let pos = Pos {
            line: n,
            col: op.col,
        };
        // The lines that only make sense right after `split`.
        let in_split = matches!(&self.open, Some((_, Some(b))) if b.kind == Kind::BranchedKStream);
        if matches!(op.text, "branch" | "defaultBranch") {
            if !in_split {
                return Err(op
                    .err(format!("'{}' must follow 'split'", op.text))
                    .hint("write 'split', then one 'branch NAME: PREDICATE' line per branch"));
            }
            return self.branch(&mut cur, &line, op);
        }
        if STARTS.contains(&op.text) {
            self.close_chain()?;
            let (start, built) = self.start(&mut cur, &line, op)?;
            self.open = Some((
                Chain {
                    pos,
                    start,
                    ops: Vec::new(),
                },
                Some(built),
            ));
            return Ok(());
        }
        if in_split {
            // Any other line ends the split: its branches are named streams now.
            self.split_has_branches()?;
            if let Some((_, state)) = &mut self.open {
                *state = None;
            }
        }
        let built = match &self.open {
            Some((_, Some(built))) => built.clone(),
            Some((chain, None)) => {
                let why = match chain.ops.last() {
                    Some((_, Operation::To(_))) => "'to' ends a chain",
                    _ => "the branches of 'split' end a chain",
                };
                return Err(op
                    .err(format!("nothing can follow here: {why}"))
                    .hint("start a new chain with 'stream TOPIC', 'table TOPIC' or 'from NAME'"));
            }
            None if OPERATIONS.contains(&op.text) => {
                return Err(op
                    .err(format!("'{}' needs a stream or a table first", op.text))
                    .hint("start a chain with 'stream TOPIC', 'table TOPIC' or 'from NAME'"));
            }
            None => return Err(unknown_operation(op)),
        };
        let (operation, next) = self.operation(&mut cur, &line, op, &built)?;
        if let Some((chain, state)) = &mut self.open {
            chain.ops.push((pos, operation));
            *state = next;
        }
        Ok(())
    }

    /// Ends the open chain; `split` must have had a branch.
    fn close_chain(&mut self) -> Result<()> {
        self.split_has_branches()?;
        if let Some((chain, _)) = self.open.take() {
            self.chains.push(chain);
        }
        Ok(())
    }

    /// A `split` that ends the open chain has at least one branch (the error is on its line).
    fn split_has_branches(&mut self) -> Result<()> {
        if let Some((chain, _)) = &self.open
            && let Some((pos, Operation::Split { branches, default })) = chain.ops.last()
            && branches.is_empty()
            && default.is_none()
        {
            self.error_line = Some(pos.line);
            return Err(LineError::new(pos.col, "'split' has no branch")
                .hint("write one 'branch NAME: PREDICATE' line per branch after 'split'"));
        }
        Ok(())
    }

    /// `stream T[,T2…]`, `table T [store=S]`, `globalTable T [store=S]`, `from NAME`
    fn start(&mut self, cur: &mut Cursor, line: &Line, op: Val) -> Result<(Start, Built)> {
        no_exprs(line, op)?;
        if op.text == "from" {
            let name = cur.word("the name of a stream or table defined with 'as' or 'branch'")?;
            cur.finish()?;
            let built = self.named(name)?;
            return Ok((Start::From(name.text.to_string()), built));
        }
        let what = if op.text == "stream" {
            "a topic (or several: orders,returns)"
        } else {
            "a topic"
        };
        let topics_val = cur.word(what)?;
        let mut topics = Vec::new();
        let mut sources = Vec::new();
        let items: Vec<Val> = if op.text == "stream" {
            topics_val.items().collect()
        } else {
            vec![topics_val]
        };
        for t in items {
            if t.text.is_empty() {
                return Err(t
                    .err("missing topic in the list")
                    .hint("lists are comma-separated, without spaces: stream orders,returns"));
            }
            let info = self.ctx.topic(t)?;
            if let Some(first) = self.sources.get(t.text) {
                // InternalTopologyBuilder.validateTopicNotAlreadyRegistered
                return Err(t
                    .err(format!("topic '{}' is already read on line {first}", t.text))
                    .hint(format!(
                        "Kafka refuses a second source (\"Topic {} has already been registered by another source.\"): name the first with 'as NAME' and continue with 'from NAME'",
                        t.text
                    )));
            }
            self.sources.insert(t.text.to_string(), line.n);
            topics.push(t.text.to_string());
            sources.push(Source {
                topic: Some(t.text.to_string()),
                partitions: info.map(|i| i.partitions),
            });
        }
        let store = if op.text == "stream" {
            cur.finish()?;
            None
        } else {
            let opts = cur.options(&["store"])?;
            self.store(&opts)?
        };
        let mut topic = topics;
        Ok(match op.text {
            "stream" => (Start::Stream(topic), Built::new(Kind::KStream, sources)),
            "table" => (
                Start::Table {
                    topic: topic.remove(0),
                    store,
                },
                Built::new(Kind::KTable, sources),
            ),
            _ => (
                Start::GlobalTable {
                    topic: topic.remove(0),
                    store,
                },
                // A global table is read whole by every instance: no co-partitioning.
                Built::new(Kind::GlobalKTable, Vec::new()),
            ),
        })
    }

    /// A name defined earlier with `as` or a branch.
    fn named(&self, name: Val) -> Result<Built> {
        if let Some(built) = self.names.get(name.text) {
            return Ok(built.clone());
        }
        let err = name.err(format!("nothing is named '{}' yet", name.text));
        let names: Vec<&str> = self.names.keys().map(String::as_str).collect();
        Err(match did_you_mean(name.text, names.iter().copied()) {
            Some(hint) => err.hint(hint),
            None if names.is_empty() => {
                err.hint("name a stream or table first: end its chain with 'as NAME'")
            }
            None => err.hint(format!("the names so far: {}", short_list(&names))),
        })
    }

    /// A new name (`as`, `branch`): letters, digits, `.`, `_` and `-`, unique in the app.
    fn new_name(&self, name: Val) -> Result<()> {
        check_topic_name(name).map_err(|e| {
            e.hint("names use letters, digits, '.', '_' and '-' (Kafka's rule for Named)")
        })?;
        if self.names.contains_key(name.text) {
            return Err(name.err(format!("'{}' is already a name in this app", name.text)));
        }
        Ok(())
    }

    /// `store=S`: a new state store name.
    fn store(&mut self, opts: &Options) -> Result<Option<String>> {
        let Some(v) = opts.get("store") else {
            return Ok(None);
        };
        check_topic_name(v).map_err(|e| {
            e.hint("a store's name is part of its changelog topic's name: letters, digits, '.', '_' and '-'")
        })?;
        if !self.stores.insert(v.text.to_string()) {
            // Kafka: TopologyException "StateStore S is already added."
            return Err(v.err(format!("store '{}' is already defined in this app", v.text)));
        }
        Ok(Some(v.text.to_string()))
    }

    /// `branch NAME: PREDICATE` / `defaultBranch NAME`, after `split`.
    fn branch(&mut self, cur: &mut Cursor, line: &Line, op: Val) -> Result<()> {
        let name = cur.word("the branch's name")?;
        cur.finish()?;
        let Some((chain, Some(built))) = &self.open else {
            return Ok(());
        };
        let Some((_, Operation::Split { default, .. })) = chain.ops.last() else {
            return Ok(());
        };
        if default.is_some() {
            return Err(op
                .err(format!("'{}' after 'defaultBranch'", op.text))
                .hint("'defaultBranch' takes the records no branch took: it comes last"));
        }
        self.new_name(name)?;
        let predicate = if op.text == "branch" {
            let mut exprs = self.exprs(
                line,
                op,
                &[scope(KEY_VALUE, "a branch")],
                1,
                "branch mobile: value.device == 'mobile'",
            )?;
            Some(exprs.0.remove(0))
        } else {
            no_exprs(line, op)?;
            None
        };
        let stream = built.to(Kind::KStream);
        self.names.insert(name.text.to_string(), stream);
        if let Some((chain, _)) = &mut self.open
            && let Some((_, Operation::Split { branches, default })) = chain.ops.last_mut()
        {
            match predicate {
                Some(p) => branches.push((name.text.to_string(), p)),
                None => *default = Some(name.text.to_string()),
            }
        }
        Ok(())
    }

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
    fn operation(
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
        let one = |this: &Self, what: &'static str, example: &str| -> Result<Expr> {
            this.exprs(line, op, &kv(what), 1, example)
                .map(|mut e| e.0.remove(0))
        };
        let same = Some(built.clone());
        let result = match op.text {
            "filter" | "filterNot" => {
                self.need(op, built, &[KStream, KTable], stream_or_table)?;
                let p = one(self, "a filter", "filter: value.price > 10")?;
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
                let e = one(self, "mapValues", "mapValues: upper(value)")?;
                cur.finish()?;
                (Operation::MapValues(e), same)
            }
            "flatMapValues" => {
                self.need(op, built, &[KStream], "a KStream")?;
                let e = one(self, "flatMapValues", "flatMapValues: split(value)")?;
                cur.finish()?;
                (Operation::FlatMapValues(e), same)
            }
            "selectKey" => {
                self.need(op, built, &[KStream], "a KStream")?;
                let e = one(self, "selectKey", "selectKey: value.customer")?;
                cur.finish()?;
                (Operation::SelectKey(e), Some(built.rekeyed()))
            }
            "map" => {
                self.need(op, built, &[KStream], "a KStream")?;
                let scopes = [scope(KEY_VALUE, "map"), scope(KEY_VALUE, "map")];
                let (mut e, _) =
                    self.exprs(line, op, &scopes, 2, "map: value.customer, value.total")?;
                cur.finish()?;
                let value = e.remove(1);
                let key = e.remove(0);
                (Operation::Map { key, value }, Some(built.rekeyed()))
            }
            "peek" => {
                self.need(op, built, &[KStream], "a KStream")?;
                let (mut e, _) = self.exprs(line, op, &kv("peek"), 0, "peek: value.id")?;
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
                    self.exprs(line, op, &kv("groupBy"), 1, "groupBy: value.region")?
                        .0
                } else {
                    let scopes = [scope(KEY_VALUE, "groupBy"), scope(KEY_VALUE, "groupBy")];
                    self.exprs(line, op, &scopes, 1, "groupBy: value.region, value.amount")?
                        .0
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
                self.exprs(line, op, &scopes[..n], n, example)?
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
                self.exprs(line, op, &scopes[..n], n, example)?
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
            self.exprs(line, op, &scopes, 2, example)?
        } else {
            self.exprs(
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

    /// The expressions after the `:`, each in its scope: at least `required`, at most one per
    /// scope. Returns them and the tokens of options written after them.
    fn exprs(
        &self,
        line: &Line,
        op: Val,
        scopes: &[Scope],
        required: usize,
        example: &str,
    ) -> Result<(Vec<Expr>, Vec<Token>)> {
        let Some((colon, text)) = line.exprs else {
            if required == 0 {
                return Ok((Vec::new(), Vec::new()));
            }
            let col = col_len(line.text.trim_end()).saturating_add(1);
            return Err(LineError::new(
                col,
                format!("'{}' needs an expression after ':'", op.text),
            )
            .hint(format!("e.g. {example}")));
        };
        if scopes.is_empty() {
            return no_exprs(line, op).map(|()| (Vec::new(), Vec::new()));
        }
        let start = colon.saturating_add(1);
        let mut p = ExprParser::new(text, start)?;
        let mut exprs = Vec::new();
        {
            loop {
                exprs.push(p.expr(scopes[exprs.len()])?);
                let comma = p.col();
                if !p.comma() {
                    break;
                }
                if exprs.len() == scopes.len() {
                    let most = match scopes.len() {
                        1 => "one expression".to_string(),
                        n => format!("{n} expressions"),
                    };
                    return Err(
                        LineError::new(comma, format!("'{}' takes {most} here", op.text))
                            .hint(format!("e.g. {example}")),
                    );
                }
            }
        }
        let tail = match p.at_option() {
            Some(col) => {
                let skip = col.saturating_sub(start) as usize;
                let rest: String = text.chars().skip(skip).collect();
                let mut tokens = tokenize(&rest).map_err(|e| shift(e, col))?;
                for t in &mut tokens {
                    t.col = t.col.saturating_add(col - 1);
                    if let TokenKind::Opt { value_col, .. } = &mut t.kind {
                        *value_col = value_col.saturating_add(col - 1);
                    }
                }
                tokens
            }
            None => {
                p.finish()?;
                Vec::new()
            }
        };
        if exprs.len() < required {
            let what = if required - exprs.len() == 1 && required > 1 {
                "another expression".to_string()
            } else {
                format!("{required} expressions")
            };
            return Err(
                LineError::new(p.col(), format!("'{}' needs {what}", op.text))
                    .hint(format!("e.g. {example}")),
            );
        }
        Ok((exprs, tail))
    }
}

fn scope(vars: &'static [Var], what: &'static str) -> Scope {
    Scope { vars, what }
}

fn shift(mut e: LineError, col: u32) -> LineError {
    e.col = e.col.saturating_add(col - 1);
    e
}

/// An operation without expressions: a `:` is an error.
fn no_exprs(line: &Line, op: Val) -> Result<()> {
    match line.exprs {
        None => Ok(()),
        Some((col, _)) => Err(LineError::new(
            col,
            format!("'{}' takes no expression", op.text),
        )),
    }
}

fn unknown_operation(op: Val) -> LineError {
    op.err(format!("unknown operation '{}'", op.text)).hint(
        did_you_mean(op.text, OPERATIONS.iter().copied())
            .unwrap_or_else(|| "see 'Streams applications' in docs/scenario-language.md".into()),
    )
}

/// The options written after the expressions.
fn tail_options<'a>(tokens: &'a [Token], allowed: &[&'static str]) -> Result<Options<'a>> {
    let mut cur = Cursor {
        line: "",
        tokens,
        next: 0,
    };
    cur.options(allowed)
}

/// Options before the `:` and after the expressions, each at most once.
fn merge_options<'a>(head: Options<'a>, tail: Options<'a>) -> Result<Options<'a>> {
    let mut all = head;
    for (name, v) in tail.items {
        if all.get(name).is_some() {
            return Err(v.err(format!("option '{name}' given twice")));
        }
        all.items.push((name, v));
    }
    Ok(all)
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
