//! The grammar of `expect` (and of `wait until`): a metric with its arguments, an operator and
//! a value of the metric's kind. Evaluating expectations is `scenario::expect`'s job.

use super::context::Context;
use super::cursor::{Cursor, Val};
use super::values::int;
use super::{Result, connect, streams_commands};
use crate::command::TopicPartition;
use crate::scenario::ast::{Expectation, Metric, Op, Value};
use crate::scenario::diagnostic::{LineError, did_you_mean};
use crate::scenario::lexer::{Token, TokenKind};

/// What kind of value a metric is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A broker id or `none` (`leader`).
    Broker,
    /// A list of broker ids or `none` (`replicas`, `isr`).
    Brokers,
    /// A number (`acked`, `lost`, `partition`, …).
    Count,
    /// A number, or `none` when the partition has no leader (`hw`, `leo`, …).
    CountOrNone,
    /// `up` or `down` (`broker`).
    UpDown,
    /// `yes` or `no` (`fenced`).
    YesNo,
    /// A record value or `none` (`value`).
    Text,
    /// A set of member names or `none` (`members`).
    Names,
    /// A set of partitions or `none` (`assigned`).
    Partitions,
    /// A member name or `none` (`owner`).
    Member,
    /// A group state (`state`).
    GroupState,
    /// A set of task ids or `none` (`tasks`).
    Tasks,
    /// An instance of the metric's application or `none` (`task-owner`).
    Instance,
    /// A `KafkaStreams.State` (`streams-state`).
    StreamsState,
    /// A Connect connector or task state (`connector-state`, `task-state`).
    ConnectState,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Broker => "a broker id or none",
            Kind::Brokers => "a list of broker ids (e.g. 1,2,3) or none",
            Kind::Count => "a number",
            Kind::CountOrNone => "a number or none",
            Kind::UpDown => "up or down",
            Kind::YesNo => "yes or no",
            Kind::Text => "a value or none",
            Kind::Names => "a list of member names (e.g. g-1,g-2) or none",
            Kind::Partitions => "a list of partitions (e.g. orders/0,orders/1) or none",
            Kind::Member => "a member name or none",
            Kind::GroupState => {
                "a group state (Empty, PreparingRebalance, CompletingRebalance, Stable or Dead)"
            }
            Kind::Tasks => "a list of task ids (e.g. 0_0,1_0) or none",
            Kind::Instance => "an instance of the app or none",
            Kind::StreamsState => "a streams state (CREATED, REBALANCING, RUNNING, …)",
            Kind::ConnectState => {
                "a state (UNASSIGNED, RUNNING, PAUSED, STOPPED, FAILED, RESTARTING)"
            }
        }
    }

    /// Words and sets of names have no order: only `==` and `!=` apply.
    fn words_only(self) -> bool {
        matches!(
            self,
            Kind::UpDown
                | Kind::YesNo
                | Kind::Text
                | Kind::Names
                | Kind::Partitions
                | Kind::Member
                | Kind::GroupState
                | Kind::Tasks
                | Kind::Instance
                | Kind::StreamsState
                | Kind::ConnectState
        )
    }
}

/// The states of a consumer group, as Kafka names them (`ClassicGroupState`).
const GROUP_STATES: &[&str] = &[
    "Empty",
    "PreparingRebalance",
    "CompletingRebalance",
    "Stable",
    "Dead",
];

const METRICS: &[&str] = &[
    "leader",
    "replicas",
    "isr",
    "partition",
    "hw",
    "leo",
    "broker",
    "fenced",
    "zombie-leaders",
    "acked",
    "rejected",
    "lost",
    "leader-epoch",
    "log-start",
    "records",
    "value",
    "members",
    "state",
    "generation",
    "assigned",
    "assigned-count",
    "owner",
    "committed",
    "lag",
    "consumed",
    "duplicates",
    "coordinator",
    "metric",
    "store",
    "tasks",
    "task-owner",
    "processed",
    "reprocessed",
    "counted-twice",
    "dropped-late",
    "restored",
    "streams-state",
];

const OPS: &[(&str, Op)] = &[
    ("==", Op::Eq),
    ("!=", Op::Ne),
    ("<", Op::Lt),
    ("<=", Op::Le),
    (">", Op::Gt),
    (">=", Op::Ge),
];

/// `expect METRIC ARGS OP VALUE`
pub(super) fn expect(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Expectation> {
    let expectation = expectation(cur, ctx, head.col)?;
    cur.finish()?;
    Ok(expectation)
}

/// `METRIC ARGS OP VALUE`, after `expect` or `wait until`; its text starts at column `from`.
pub(super) fn expectation(cur: &mut Cursor, ctx: &Context, from: u32) -> Result<Expectation> {
    let name = cur.word("a metric")?;
    let (metric, kind) = metric(cur, ctx, name)?;
    let (op, op_col) = op(cur)?;
    if kind.words_only() && !matches!(op, Op::Eq | Op::Ne) {
        let err = LineError::new(
            op_col,
            format!("'{}' can only be compared with == or !=", name.text),
        );
        return Err(err);
    }
    let value = value(cur, ctx, kind, &metric, name.text)?;
    Ok(Expectation {
        metric,
        op,
        value,
        text: cur.source_read(from),
    })
}

/// `leader T/P`, `replicas T/P`, `partition T key=K`, `broker N`, `lost [T]`, `members G`,
/// `assigned G M`, `owner G T/P`, `lag G [T/P]`, …
fn metric(cur: &mut Cursor, ctx: &Context, name: Val) -> Result<(Metric, Kind)> {
    let partition = |cur: &mut Cursor| ctx.partition_to_ask(cur.word("a partition TOPIC/N")?);
    let topic = |cur: &mut Cursor| -> Result<String> {
        let t = cur.word("a topic")?;
        ctx.topic_to_ask(t)?;
        Ok(t.text.to_string())
    };
    let group = |cur: &mut Cursor| -> Result<String> {
        let g = cur.word("a group")?;
        ctx.group_to_read(g)?;
        Ok(g.text.to_string())
    };
    let member = |cur: &mut Cursor, group: &str| -> Result<String> {
        let m = cur.word("a member of the group")?;
        ctx.member(group, m)?;
        Ok(m.text.to_string())
    };
    // `lag G` / `lag G T/P`: a partition unless the comparison comes next.
    let maybe_partition = |cur: &mut Cursor| -> Result<Option<TopicPartition>> {
        match cur.peek() {
            Some(t) if !is_op(&t.raw) => Ok(Some(partition(cur)?)),
            _ => Ok(None),
        }
    };
    Ok(match name.text {
        "leader" => (Metric::Leader(partition(cur)?), Kind::Broker),
        "replicas" => (Metric::Replicas(partition(cur)?), Kind::Brokers),
        "isr" => (Metric::Isr(partition(cur)?), Kind::Brokers),
        "hw" => (Metric::Hw(partition(cur)?), Kind::CountOrNone),
        "leo" => (Metric::Leo(partition(cur)?), Kind::CountOrNone),
        "leader-epoch" => (Metric::LeaderEpoch(partition(cur)?), Kind::CountOrNone),
        "log-start" => (Metric::LogStart(partition(cur)?), Kind::CountOrNone),
        "records" => (Metric::Records(partition(cur)?), Kind::CountOrNone),
        "partition" => {
            let topic = topic(cur)?;
            (
                Metric::Partition {
                    topic,
                    key: key_arg(cur)?,
                },
                Kind::Count,
            )
        }
        "value" => {
            let tp = partition(cur)?;
            (
                Metric::Value {
                    tp,
                    key: key_arg(cur)?,
                },
                Kind::Text,
            )
        }
        "broker" => (
            Metric::Broker(ctx.broker_id(cur.word("a broker id")?)?),
            Kind::UpDown,
        ),
        "fenced" => (
            Metric::Fenced(ctx.broker_id(cur.word("a broker id")?)?),
            Kind::YesNo,
        ),
        "zombie-leaders" => (Metric::ZombieLeaders(partition(cur)?), Kind::Brokers),
        "acked" => (Metric::Acked(topic(cur)?), Kind::Count),
        "rejected" => (Metric::Rejected(topic(cur)?), Kind::Count),
        "lost" => {
            let whole_cluster = cur.peek().is_none_or(|t| is_op(&t.raw));
            (
                Metric::Lost(if whole_cluster {
                    None
                } else {
                    Some(topic(cur)?)
                }),
                Kind::Count,
            )
        }
        "members" => (Metric::Members(group(cur)?), Kind::Names),
        "state" => (Metric::State(group(cur)?), Kind::GroupState),
        "generation" => (Metric::Generation(group(cur)?), Kind::Count),
        "assigned" | "assigned-count" => {
            let group = group(cur)?;
            let member = member(cur, &group)?;
            if name.text == "assigned" {
                (Metric::Assigned { group, member }, Kind::Partitions)
            } else {
                (Metric::AssignedCount { group, member }, Kind::Count)
            }
        }
        "owner" => {
            let group = group(cur)?;
            let tp = partition(cur)?;
            (Metric::Owner { group, tp }, Kind::Member)
        }
        "committed" => {
            let group = group(cur)?;
            let tp = partition(cur)?;
            (Metric::Committed { group, tp }, Kind::CountOrNone)
        }
        "lag" => {
            let group = group(cur)?;
            let tp = maybe_partition(cur)?;
            let kind = if tp.is_some() {
                Kind::CountOrNone
            } else {
                Kind::Count
            };
            (Metric::Lag { group, tp }, kind)
        }
        "consumed" => {
            let group = group(cur)?;
            let tp = maybe_partition(cur)?;
            (Metric::Consumed { group, tp }, Kind::Count)
        }
        "duplicates" => (Metric::Duplicates(group(cur)?), Kind::Count),
        "coordinator" => (Metric::Coordinator(group(cur)?), Kind::Broker),
        "metric" => (kafka_metric(cur, ctx)?, Kind::CountOrNone),
        "store" | "tasks" | "task-owner" | "processed" | "reprocessed" | "counted-twice"
        | "dropped-late" | "restored" | "streams-state" => streams_metric(cur, ctx, name)?,
        w if connect::METRICS.contains(&w) => {
            let (m, kind) = connect::metric(cur, ctx, name)?;
            let kind = match kind {
                connect::MetricKind::State => Kind::ConnectState,
                connect::MetricKind::Word => Kind::Text,
                connect::MetricKind::Count => Kind::Count,
                connect::MetricKind::CountOrNone => Kind::CountOrNone,
            };
            (m, kind)
        }
        word => {
            return Err(name
                .err(format!("unknown metric '{word}'"))
                .maybe_hint(did_you_mean(
                    word,
                    METRICS.iter().chain(connect::METRICS).copied(),
                )));
        }
    })
}

/// `metric NAME [TAG=VALUE]`: one of Kafka's metrics (`crate::metrics::DEFINITIONS`), for the
/// whole cluster or the one broker, topic, producer, consumer or group its tag names.
fn kafka_metric(cur: &mut Cursor, ctx: &Context) -> Result<Metric> {
    use crate::metrics::{DEFINITIONS, Name, Scope, ScopeKind};
    let v = cur.word("a Kafka metric name, e.g. UnderReplicatedPartitions")?;
    let Some(name) = Name::from_text(v.text) else {
        let texts = DEFINITIONS.iter().map(|d| d.text);
        let fallback = "see the table of metrics in docs/scenario-language.md".to_string();
        return Err(v
            .err(format!("unknown Kafka metric '{}'", v.text))
            .hint(did_you_mean(v.text, texts).unwrap_or(fallback)));
    };
    let def = name.definition();
    let allowed: Vec<String> = def
        .scopes
        .iter()
        .map(|k| match k {
            ScopeKind::Cluster => "no tag (the whole cluster)".to_string(),
            k => format!("{}=…", k.tag()),
        })
        .collect();
    let tag = match cur.peek() {
        Some(Token {
            kind:
                TokenKind::Opt {
                    name: tag,
                    value,
                    value_col,
                    ..
                },
            col,
            ..
        }) => Some((tag.as_str(), value.as_str(), *col, *value_col)),
        _ => None,
    };
    let Some((tag, value, col, value_col)) = tag else {
        if def.scopes[0] != ScopeKind::Cluster {
            let first = def.scopes[0].tag();
            return Err(LineError::new(
                cur.end_col(),
                format!("'{}' is a per-{first} metric: add {first}=NAME", def.text),
            ));
        }
        return Ok(Metric::Kafka {
            name,
            scope: Scope::Cluster,
        });
    };
    cur.bump();
    let kind = ScopeKind::from_tag(tag).filter(|k| def.scopes.contains(k));
    let Some(kind) = kind else {
        return Err(
            LineError::new(col, format!("'{}' has no scope '{tag}='", def.text))
                .hint(format!("its scopes: {}", allowed.join(", "))),
        );
    };
    let arg = Val {
        text: value,
        col: value_col,
        quoted: false,
    };
    let known = |names: &mut dyn Iterator<Item = &String>, what: &str| -> Result<()> {
        let names: Vec<&str> = names.map(String::as_str).collect();
        if names.contains(&value) {
            return Ok(());
        }
        let err = arg.err(format!("unknown {what} '{value}'"));
        Err(err.maybe_hint(did_you_mean(value, names.iter().copied())))
    };
    let scope = match kind {
        ScopeKind::Cluster => Scope::Cluster,
        ScopeKind::Broker => Scope::Broker(ctx.broker_id(arg)?),
        ScopeKind::Topic => {
            ctx.topic(arg)?;
            Scope::Topic(value.to_string())
        }
        ScopeKind::Producer => {
            // One-off `produce` lines send as the client `console`.
            let console = "console".to_string();
            let mut names = ctx
                .producers
                .keys()
                .chain(&ctx.recovered.producers)
                .chain(std::iter::once(&console));
            known(&mut names, "producer")?;
            Scope::Producer(value.to_string())
        }
        ScopeKind::Consumer => {
            let mut names = ctx.consumers.keys().chain(&ctx.recovered.consumers);
            known(&mut names, "consumer")?;
            Scope::Consumer(value.to_string())
        }
        ScopeKind::Group => {
            ctx.group_to_read(arg)?;
            Scope::Group(value.to_string())
        }
    };
    Ok(Metric::Kafka { name, scope })
}

/// The Streams metrics: `store APP/STORE key=K`, `tasks APP INSTANCE`, `task-owner APP TASK`,
/// `processed|reprocessed|counted-twice|dropped-late APP`, `restored APP/STORE`,
/// `streams-state APP INSTANCE`.
fn streams_metric(cur: &mut Cursor, ctx: &Context, name: Val) -> Result<(Metric, Kind)> {
    let app = |cur: &mut Cursor| -> Result<String> {
        let a = cur.word("a streams app")?;
        ctx.app(a)?;
        Ok(a.text.to_string())
    };
    let instance = |cur: &mut Cursor, app: &str| -> Result<String> {
        let i = cur.word("an instance of the app")?;
        ctx.instance_of(app, i)?;
        Ok(i.text.to_string())
    };
    Ok(match name.text {
        "store" => {
            let (app, store) = ctx.app_store(cur.word("a store APP/STORE")?)?;
            let key = key_arg(cur)?;
            (Metric::StreamsStore { app, store, key }, Kind::Text)
        }
        "restored" => {
            let (app, store) = ctx.app_store(cur.word("a store APP/STORE")?)?;
            (Metric::Restored { app, store }, Kind::Count)
        }
        "tasks" => {
            let app = app(cur)?;
            let instance = instance(cur, &app)?;
            (Metric::StreamsTasks { app, instance }, Kind::Tasks)
        }
        "streams-state" => {
            let app = app(cur)?;
            let instance = instance(cur, &app)?;
            (Metric::StreamsState { app, instance }, Kind::StreamsState)
        }
        "task-owner" => {
            let app = app(cur)?;
            let task = streams_commands::task_id(cur.word("a task id, e.g. 0_1")?)?;
            (Metric::TaskOwner { app, task }, Kind::Instance)
        }
        "processed" => (Metric::Processed(app(cur)?), Kind::Count),
        "reprocessed" => (Metric::Reprocessed(app(cur)?), Kind::Count),
        "counted-twice" => (Metric::CountedTwice(app(cur)?), Kind::Count),
        _ => (Metric::DroppedLate(app(cur)?), Kind::Count),
    })
}

/// `key=K` as an argument of a metric.
pub(super) fn key_arg(cur: &mut Cursor) -> Result<String> {
    match cur.bump() {
        Some(Token {
            kind: TokenKind::Opt { name, value, .. },
            ..
        }) if name == "key" => Ok(value.clone()),
        Some(token) => Err(LineError::new(
            token.col,
            format!("expected key=K, found '{}'", token.raw),
        )),
        None => Err(cur.missing("key=K")),
    }
}

fn is_op(word: &str) -> bool {
    word == "=" || OPS.iter().any(|(w, _)| *w == word)
}

/// `== != < <= > >=`
fn op(cur: &mut Cursor) -> Result<(Op, u32)> {
    let all = "one of == != < <= > >=";
    let Some(token) = cur.bump() else {
        return Err(cur.missing(&format!("a comparison, {all}")));
    };
    if let Some((_, op)) = OPS.iter().find(|(w, _)| *w == token.raw) {
        return Ok((*op, token.col));
    }
    let err = LineError::new(
        token.col,
        format!("expected a comparison, found '{}'", token.raw),
    );
    Err(if token.raw == "=" {
        err.hint("did you mean '=='?")
    } else {
        err.hint(all)
    })
}

/// The group a metric is about, if any.
fn group_of(metric: &Metric) -> Option<&str> {
    match metric {
        Metric::Members(g)
        | Metric::State(g)
        | Metric::Generation(g)
        | Metric::Coordinator(g)
        | Metric::Duplicates(g) => Some(g),
        Metric::Assigned { group, .. }
        | Metric::AssignedCount { group, .. }
        | Metric::Owner { group, .. }
        | Metric::Committed { group, .. }
        | Metric::Lag { group, .. }
        | Metric::Consumed { group, .. } => Some(group),
        _ => None,
    }
}

/// The value after the comparison, checked against the metric's kind (partitions must exist,
/// members must be consumers of the metric's group).
fn value(
    cur: &mut Cursor,
    ctx: &Context,
    kind: Kind,
    metric: &Metric,
    name: &str,
) -> Result<Value> {
    let group = group_of(metric).unwrap_or_default();
    let Some(token) = cur.bump() else {
        return Err(cur.missing(&format!("the value: {}", kind.describe())));
    };
    let v = Val::text_of(token);
    let wrong = || {
        v.err(format!(
            "expected {} for '{name}', found '{}'",
            kind.describe(),
            v.text
        ))
    };
    let none = v.text == "none" && !v.quoted;
    Ok(match kind {
        Kind::Broker | Kind::CountOrNone if none => Value::None,
        Kind::Broker | Kind::CountOrNone | Kind::Count => Value::Int(int(v).ok_or_else(wrong)??),
        Kind::Brokers if none => Value::None,
        Kind::Brokers => {
            let ints: Option<Result<Vec<i64>>> = v.items().map(int).collect();
            Value::Ints(ints.ok_or_else(wrong)??)
        }
        Kind::UpDown if matches!(v.text, "up" | "down") => Value::Word(v.text.to_string()),
        Kind::UpDown => return Err(wrong()),
        Kind::YesNo if matches!(v.text, "yes" | "no") => Value::Word(v.text.to_string()),
        Kind::YesNo => return Err(wrong()),
        Kind::Text if none => Value::None,
        Kind::Text => Value::Word(v.text.to_string()),
        Kind::Names | Kind::Partitions | Kind::Member if none => Value::None,
        Kind::Names => {
            let mut names: Vec<String> = Vec::new();
            for item in v.items() {
                if item.text.is_empty() {
                    return Err(wrong());
                }
                ctx.member(group, item)?;
                if names.iter().any(|n| n == item.text) {
                    return Err(item.err(format!("'{}' is listed twice", item.text)));
                }
                names.push(item.text.to_string());
            }
            Value::Names(names)
        }
        Kind::Partitions => {
            let mut partitions: Vec<TopicPartition> = Vec::new();
            for item in v.items() {
                let tp = ctx.partition(item)?;
                if partitions.contains(&tp) {
                    return Err(item.err(format!("'{tp}' is listed twice")));
                }
                partitions.push(tp);
            }
            Value::Partitions(partitions)
        }
        Kind::Member => {
            ctx.member(group, v)?;
            Value::Word(v.text.to_string())
        }
        Kind::Tasks if none => Value::None,
        Kind::Tasks => {
            let mut tasks: Vec<String> = Vec::new();
            for item in v.items() {
                let task = streams_commands::task_id(item)?;
                if tasks.contains(&task) {
                    return Err(item.err(format!("'{task}' is listed twice")));
                }
                tasks.push(task);
            }
            Value::Names(tasks)
        }
        Kind::Instance if none => Value::None,
        Kind::Instance => {
            if let Metric::TaskOwner { app, .. } = metric {
                ctx.instance_of(app, v)?;
            }
            Value::Word(v.text.to_string())
        }
        Kind::StreamsState => Value::Word(streams_commands::streams_state(v)?),
        Kind::ConnectState => Value::Word(connect::state(v)?),
        Kind::GroupState if GROUP_STATES.contains(&v.text) => Value::Word(v.text.to_string()),
        Kind::GroupState => {
            let fallback = format!("the states are {}", GROUP_STATES.join(", "));
            return Err(v
                .err(format!("unknown group state '{}'", v.text))
                .hint(did_you_mean(v.text, GROUP_STATES.iter().copied()).unwrap_or(fallback)));
        }
    })
}
