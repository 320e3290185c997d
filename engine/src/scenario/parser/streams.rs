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

use super::Result;
use super::cluster_commands::check_topic_name;
use super::context::{Context, short_list};
use super::cursor::{Cursor, Options, Val};
use super::streams_line::{Line, exprs, no_exprs, scope, unknown_operation};
use super::streams_types::{Built, Source};
use super::values::{interval, limit, setting, u32_of, uint};
use crate::limits;
use crate::scenario::ast::Pos;
use crate::scenario::diagnostic::{LineError, did_you_mean};
use crate::scenario::lexer::{Token, TokenKind, tokenize};
use crate::streams::dsl::{App, AppConfig, Chain, Kind, Operation, Start};
use crate::streams::expr::Var;

const APP_OPTIONS: &[&str] = &[
    "instances",
    "threads",
    "commit-interval",
    "cache",
    "standbys",
    "repartition-purge-interval",
];

const STARTS: &[&str] = &["stream", "table", "globalTable", "from"];

/// Every operation word, for `did you mean`.
pub(super) const OPERATIONS: &[&str] = &[
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

pub(super) const KEY_VALUE: &[Var] = &[Var::Key, Var::Value];
pub(super) const REDUCER: &[Var] = &[Var::Agg, Var::Value];
pub(super) const AGGREGATOR: &[Var] = &[Var::Key, Var::Value, Var::Agg];
pub(super) const JOINER: &[Var] = &[Var::Key, Var::Left, Var::Right];

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

/// `streams app NAME [instances=N] [threads=N] [commit-interval=D] [cache=SIZE] [standbys=N]
/// [repartition-purge-interval=D]`
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
    if let Some(v) = opts.get("repartition-purge-interval") {
        // `repartition.purge.interval.ms` is atLeast(0): it is looked at after each commit,
        // it arms no timer of its own.
        config.repartition_purge_interval = setting(v, "repartition-purge-interval")?;
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
pub(super) struct Block<'c> {
    pub ctx: &'c Context,
    pub chains: Vec<Chain>,
    /// What `as` and the branches of `split` named, for `from`, `merge` and `join`.
    pub names: BTreeMap<String, Built>,
    /// Stores named with `store=`.
    pub stores: BTreeSet<String>,
    /// The topics read by `stream`, `table` and `globalTable`, with the line that reads them.
    pub sources: BTreeMap<String, u32>,
    /// The chain being built, and what it has built so far (`None` once it has ended).
    pub open: Option<(Chain, Option<Built>)>,
    /// The line of the last error when it is not the line being read (a `split` without
    /// branches is found when the next chain starts).
    pub error_line: Option<u32>,
}

impl Block<'_> {
    fn line(&mut self, n: u32, text: &str) -> Result<()> {
        if opens_block(text) {
            return Err(
                LineError::new(1, "a 'streams app' block cannot contain another")
                    .hint("close the block above with a line 'end' first"),
            );
        }
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
    pub(super) fn named(&self, name: Val) -> Result<Built> {
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
    pub(super) fn new_name(&self, name: Val) -> Result<()> {
        check_topic_name(name).map_err(|e| {
            e.hint("names use letters, digits, '.', '_' and '-' (Kafka's rule for Named)")
        })?;
        if self.names.contains_key(name.text) {
            return Err(name.err(format!("'{}' is already a name in this app", name.text)));
        }
        Ok(())
    }

    /// `store=S`: a new state store name.
    pub(super) fn store(&mut self, opts: &Options) -> Result<Option<String>> {
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
            let mut exprs = exprs(
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
}
