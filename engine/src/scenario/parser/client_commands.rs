//! The clients' commands: `producer`, `produce`, `group` and `consumer`, with the checks of
//! their options (rates, session timeouts, assignors, the room's consumer limit).

use super::context::Context;
use super::cursor::{Cursor, Options, Val};
use super::values::{
    acks, check_name, choice, duration, key_spec, limit, positive, rate, setting, u32_of, uint,
};
use super::{Result, expr, subcommand};
use crate::command::{
    Acks, Command, ConsumerSpec, GroupSpec, KeySpec, OffsetReset, PartitionerKind, ProducerSpec,
    Rate,
};
use crate::config::{ConsumerConfig, ProducerConfigError};
use crate::group::assignor::AssignorKind;
use crate::limits::{self, MAX_CONSUMERS};
use crate::scenario::diagnostic::{LineError, did_you_mean};
use crate::time::{Micros, format_duration};

const PRODUCER_OPTIONS: &[&str] = &[
    "topic",
    "rate",
    "keys",
    "key",
    "acks",
    "partitioner",
    "linger",
    "delivery-timeout",
    "request-timeout",
    "retries",
    "enable-idempotence",
    "value",
];

/// `producer add NAME topic=T [rate=R] [keys=A..B|keys=none|key=K] [acks=0|1|all]
/// [partitioner=default|round-robin] [linger=DURATION] [delivery-timeout=D] [request-timeout=D]
/// [retries=N] [enable-idempotence=true|false]` / `producer stop NAME` / `producer rate NAME R`
/// / `producer pause NAME` / `producer resume NAME` (extension)
pub(super) fn producer(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    match subcommand(cur, head, &["add", "stop", "rate", "pause", "resume"])? {
        "add" => producer_add(cur, ctx),
        sub @ ("pause" | "resume") => {
            let name = cur.word("the producer's name")?;
            ctx.running_producer(name)?;
            cur.finish()?;
            Ok(Command::ProducerPause {
                name: name.text.to_string(),
                paused: sub == "pause",
            })
        }
        "stop" => {
            let name = cur.word("the producer's name")?;
            ctx.running_producer(name)?;
            cur.finish()?;
            Ok(Command::ProducerStop {
                name: name.text.to_string(),
            })
        }
        _ => {
            let name = cur.word("the producer's name")?;
            ctx.running_producer(name)?;
            let rate = producer_rate(ctx, cur.word("a rate, e.g. 5/s")?, Some(name.text))?;
            cur.finish()?;
            Ok(Command::ProducerRate {
                name: name.text.to_string(),
                rate,
            })
        }
    }
}

fn producer_add(cur: &mut Cursor, ctx: &Context) -> Result<Command> {
    let name = cur.word("the producer's name")?;
    if ctx.producers.contains_key(name.text) || ctx.recovered.producers.contains(name.text) {
        return Err(name.err(format!("producer '{}' already exists", name.text)));
    }
    if name.text == "console" {
        // The engine refuses it too: events name the one-off `produce` lines' producer so.
        return Err(name
            .err("producer 'console' already exists")
            .hint("'console' is the producer of one-off 'produce' lines; choose another name"));
    }
    limit(name, limits::check_name("producer", name.text))?;
    let opts = cur.options(PRODUCER_OPTIONS)?;
    let topic = opts.required("topic", cur, "producer add p1 topic=orders rate=5/s")?;
    ctx.topic(topic)?;
    let keys = match (opts.get("keys"), opts.get("key")) {
        (Some(_), Some(key)) => return Err(key.err("give either keys= or key=, not both")),
        (Some(keys), None) => Some(key_spec(keys)?),
        (None, Some(key)) => {
            limit(key, limits::check_record_bytes(key.text.len(), 0))?;
            Some(KeySpec::Fixed(key.text.to_string()))
        }
        (None, None) => None,
    };
    let spec = ProducerSpec {
        name: name.text.to_string(),
        topic: topic.text.to_string(),
        rate: opts.map("rate", |v| producer_rate(ctx, v, None))?,
        keys,
        acks: opts.map("acks", acks)?,
        partitioner: opts.map("partitioner", |v| {
            choice(
                v,
                &[
                    ("default", PartitionerKind::Default),
                    ("round-robin", PartitionerKind::RoundRobin),
                ],
            )
        })?,
        linger: opts.map("linger", |v| setting(v, "linger"))?,
        delivery_timeout: opts.map("delivery-timeout", |v| {
            positive_setting(v, "delivery-timeout")
        })?,
        request_timeout: opts.map("request-timeout", |v| {
            positive_setting(v, "request-timeout")
        })?,
        retries: opts.map("retries", retries)?,
        enable_idempotence: opts.map("enable-idempotence", |v| {
            choice(v, &[("true", true), ("false", false)])
        })?,
        value: None,
    };
    let spec = ProducerSpec {
        value: opts.map("value", |v| value_template(v, spec.keys.as_ref()))?,
        ..spec
    };
    check_producer_config(&spec, &opts, cur)?;
    Ok(Command::ProducerAdd(spec))
}

/// How many of a template's first records the parser evaluates: a template that fails for one
/// of them (a type error, a division by zero) is refused here rather than giving records no
/// value later.
const TEMPLATE_TRIALS: u64 = 1_000;

/// `value="EXPR"`: an expression of `seq` and `key` (see `parser/expr.rs`), tried on the
/// producer's first records with the keys it will send.
fn value_template(v: Val, keys: Option<&KeySpec>) -> Result<crate::streams::expr::Expr> {
    use crate::streams::expr::{Env, Var};
    use crate::streams::value::Val as Value;
    let scope = expr::Scope {
        vars: &[Var::Seq, Var::Key],
        what: "a value template",
    };
    let col = v.col.saturating_add(u32::from(v.quoted));
    let template = expr::parse(v.text, col, scope)?;
    for seq in 0..TEMPLATE_TRIALS {
        // The key the producer sends with record `seq` (`Cluster::next_key`).
        let key = match keys {
            None | Some(KeySpec::None) => None,
            Some(KeySpec::Fixed(k)) => Some(k.clone()),
            Some(KeySpec::Range {
                prefix,
                first,
                last,
            }) => {
                let n = limits::key_range_len(*first, *last).unwrap_or(1);
                Some(format!("{prefix}{}", first + seq % n))
            }
        };
        let key_val = Value::from_record(key.as_deref());
        let env = Env {
            key: Some(&key_val),
            seq,
            ..Env::default()
        };
        let shown = key
            .as_deref()
            .map_or("no key".to_string(), |k| format!("key {k}"));
        let value = template.eval(&env).map_err(|e| {
            v.err(format!(
                "the value template fails for seq={seq} ({shown}): {e}"
            ))
            .hint("a template is evaluated for every record: seq counts from 0, key is the record's key")
        })?;
        let bytes = value.to_record().map_or(0, |t| t.len());
        limit(
            v,
            limits::check_record_bytes(key.map_or(0, |k| k.len()), bytes),
        )?;
    }
    Ok(template)
}

/// `retries=N`: Kafka's `retries` is an int, 0 to 2147483647.
fn retries(v: Val) -> Result<u32> {
    match uint(v, "a number of retries")? {
        n if n <= i32::MAX as u64 => Ok(n as u32),
        _ => Err(v
            .err(format!(
                "retries {} is above Kafka's maximum of 2147483647",
                v.text
            ))
            .hint("leave retries out to retry until delivery-timeout")),
    }
}

/// A producer timeout: longer than 0, at most a year.
fn positive_setting(v: Val, option: &str) -> Result<Micros> {
    match setting(v, option)? {
        0 => Err(v.err(format!("{option} must be longer than 0"))),
        d => Ok(d),
    }
}

/// The settings Kafka refuses together (`config::producer_config`), reported at the option
/// that breaks the rule, with Kafka's own words as the hint.
fn check_producer_config(spec: &ProducerSpec, opts: &Options, cur: &Cursor) -> Result<()> {
    let acks_all = spec.acks.is_none_or(|a| a == Acks::All);
    let Err(e) = crate::config::producer_config(
        acks_all,
        spec.linger,
        spec.delivery_timeout,
        spec.request_timeout,
        spec.retries,
        spec.enable_idempotence,
    ) else {
        return Ok(());
    };
    // The option that breaks the rule is always written (the rules bind explicit settings).
    let col = |name: &str| opts.get(name).map_or(cur.end_col(), |v| v.col);
    let (err, fix) = match e {
        ProducerConfigError::DeliveryTimeoutTooShort { floor_us } => {
            let floor = format_duration(floor_us);
            let err = LineError::new(
                col("delivery-timeout"),
                format!("delivery-timeout must be at least linger + request-timeout ({floor})"),
            );
            (err, format!("write delivery-timeout={floor} or more"))
        }
        ProducerConfigError::IdempotenceNeedsAcksAll => (
            LineError::new(
                col("enable-idempotence"),
                "enable-idempotence=true needs acks=all",
            ),
            "write acks=all, or enable-idempotence=false".to_string(),
        ),
        ProducerConfigError::IdempotenceNeedsRetries => (
            LineError::new(
                col("enable-idempotence"),
                "enable-idempotence=true needs retries above 0",
            ),
            "leave retries out, or write enable-idempotence=false".to_string(),
        ),
    };
    let kafka = format!("{fix}; Kafka refuses it: \"{}\"", e.kafka_message());
    Err(err.hint(kafka))
}

/// `produce T [key=K] [value=V] [acks=0|1|all] [timestamp=D]`
pub(super) fn produce(cur: &mut Cursor, ctx: &Context) -> Result<Command> {
    let topic = cur.word("a topic")?;
    ctx.topic(topic)?;
    let opts = cur.options(&["key", "value", "acks", "timestamp"])?;
    let bytes = |name| opts.get(name).map_or(0, |v| v.text.len());
    if let Some(v) = opts.get("value").or(opts.get("key")) {
        limit(v, limits::check_record_bytes(bytes("key"), bytes("value")))?;
    }
    Ok(Command::Produce {
        topic: topic.text.to_string(),
        key: opts.text("key"),
        value: opts.text("value"),
        acks: opts.map("acks", acks)?,
        timestamp: opts.map("timestamp", |v| setting(v, "timestamp"))?,
    })
}

const GROUP_OPTIONS: &[&str] = &[
    "topics",
    "consumers",
    "assignor",
    "offset-reset",
    "session-timeout",
    "heartbeat",
    "max-poll-interval",
    "auto-commit",
    "rate",
];

const GROUP_EXAMPLE: &str = "group add g topics=orders consumers=2";

/// The broker's `group.min.session.timeout.ms` (6 s): a JoinGroup with a shorter session timeout
/// is refused with INVALID_SESSION_TIMEOUT.
const MIN_SESSION_TIMEOUT: Micros = 6_000_000;

/// The broker's `group.max.session.timeout.ms` (30 min).
const MAX_SESSION_TIMEOUT: Micros = 1_800_000_000;

/// `group add G topics=T1[,T2] [consumers=N] [assignor=range|roundrobin|sticky|cooperative-sticky]
/// [offset-reset=earliest|latest] [session-timeout=DURATION] [heartbeat=DURATION]
/// [max-poll-interval=DURATION] [auto-commit=DURATION] [rate=R]`
///
/// Its consumers are named `G-1` … `G-N` (`consumers=0`: none yet; default 1); `rate` is how fast
/// each consumer's application processes records.
pub(super) fn group(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    if subcommand(cur, head, &["add", "delete"])? == "delete" {
        return group_delete(cur, ctx);
    }
    let name = cur.word("the group's name")?;
    check_name(name, "group")?;
    if ctx.groups.contains_key(name.text) || ctx.recovered.groups.contains(name.text) {
        return Err(name.err(format!("group '{}' already exists", name.text)));
    }
    let opts = cur.options(GROUP_OPTIONS)?;
    let topics = ctx.topic_list(opts.required("topics", cur, GROUP_EXAMPLE)?)?;
    let consumers_val = opts.get("consumers");
    let consumers = consumers_val
        .map(|v| u32_of(v, "a number of consumers"))
        .transpose()?;
    let count = consumers.unwrap_or(1);
    check_consumer_room(ctx, consumers_val.unwrap_or(name), count)?;
    if let Some(v) = consumers_val {
        limit(v, limits::check_consumers_per_add(count))?;
    }
    if let Some(taken) = (1..=count)
        .map(|i| format!("{}-{i}", name.text))
        .find(|c| ctx.consumer_exists(c))
    {
        return Err(name
            .err(format!("consumer '{taken}' already exists"))
            .hint(format!(
                "the consumers of group '{}' are named {}-1, {}-2, …; choose another group name",
                name.text, name.text, name.text
            )));
    }
    let assignor = opts.map("assignor", assignor)?;
    let offset_reset = opts.map("offset-reset", |v| {
        choice(
            v,
            &[
                ("earliest", OffsetReset::Earliest),
                ("latest", OffsetReset::Latest),
            ],
        )
    })?;
    let session_timeout = opts.map("session-timeout", session_timeout)?;
    let heartbeat_interval = opts.map("heartbeat", |v| positive(v, "heartbeat"))?;
    let max_poll_interval = opts.map("max-poll-interval", |v| positive(v, "max-poll-interval"))?;
    let auto_commit_interval = opts.map("auto-commit", |v| positive(v, "auto-commit"))?;
    if let (Some(heartbeat), Some(v)) = (heartbeat_interval, opts.get("heartbeat")) {
        let (session, default) = match session_timeout {
            Some(s) => (s, ""),
            None => (ConsumerConfig::default().session_timeout_us, "default "),
        };
        if heartbeat >= session {
            return Err(v
                .err(format!(
                    "the heartbeat interval {} is not shorter than the {default}session timeout {}",
                    format_duration(heartbeat),
                    format_duration(session)
                ))
                .hint("Kafka requires heartbeat.interval.ms lower than session.timeout.ms, typically a third of it"));
        }
    }
    Ok(Command::GroupAdd(GroupSpec {
        name: name.text.to_string(),
        topics,
        consumers,
        assignor,
        offset_reset,
        session_timeout,
        heartbeat_interval,
        max_poll_interval,
        auto_commit_interval,
        rate: opts.map("rate", processing_rate)?,
    }))
}

const CONSUMER_OPTIONS: &[&str] = &["group", "topics", "rate"];

/// `consumer add NAME group=G [topics=T1,T2] [rate=R]` / `consumer stop NAME` (LeaveGroup) /
/// `group delete G`: Kafka's DeleteGroups. Only an Empty group can be deleted (GROUP_NOT_EMPTY
/// otherwise, checked when it runs); it becomes Dead and its committed offsets are gone.
fn group_delete(cur: &mut Cursor, ctx: &Context) -> Result<Command> {
    let name = cur.word("the group's name")?;
    ctx.group_to_read(name)?;
    cur.finish()?;
    Ok(Command::GroupDelete {
        name: name.text.to_string(),
    })
}

/// `consumer crash NAME` / `consumer stall NAME` / `consumer resume NAME` / `consumer rate NAME R`
/// / `consumer restart NAME`
pub(super) fn consumer(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    let sub = subcommand(
        cur,
        head,
        &["add", "stop", "crash", "stall", "resume", "rate", "restart"],
    )?;
    if sub == "add" {
        return consumer_add(cur, ctx);
    }
    if sub == "restart" {
        let name = cur.word("the consumer's name")?;
        ctx.stopped_consumer(name)?;
        cur.finish()?;
        return Ok(Command::ConsumerRestart {
            name: name.text.to_string(),
        });
    }
    let name_val = cur.word("the consumer's name")?;
    let info = ctx.running_consumer(name_val)?;
    let name = name_val.text.to_string();
    match (sub, info) {
        ("stall", Some(c)) if c.stalled => {
            return Err(name_val
                .err(format!("consumer '{name}' is already stalled"))
                .hint(format!("resume it with 'consumer resume {name}'")));
        }
        ("resume", Some(c)) if !c.stalled => {
            return Err(name_val
                .err(format!("consumer '{name}' is not stalled"))
                .hint(format!("stall it first with 'consumer stall {name}'")));
        }
        _ => {}
    }
    let command = match sub {
        "stop" => Command::ConsumerStop { name },
        "crash" => Command::ConsumerCrash { name },
        "stall" => Command::ConsumerStall { name },
        "resume" => Command::ConsumerResume { name },
        _ => Command::ConsumerRate {
            name,
            rate: processing_rate(cur.word("a rate, e.g. 5/s")?)?,
        },
    };
    cur.finish()?;
    Ok(command)
}

fn consumer_add(cur: &mut Cursor, ctx: &Context) -> Result<Command> {
    let name = cur.word("the consumer's name")?;
    check_name(name, "consumer")?;
    if name.text == "none" {
        return Err(name
            .err("'none' cannot name a consumer")
            .hint("in expect lines, none means no member"));
    }
    if ctx.consumer_exists(name.text) {
        return Err(name
            .err(format!("consumer '{}' already exists", name.text))
            .hint("consumer names are never reused, even after stop or crash"));
    }
    let opts = cur.options(CONSUMER_OPTIONS)?;
    let group = opts.required("group", cur, "consumer add c1 group=g")?;
    ctx.group(group)?;
    check_consumer_room(ctx, name, 1)?;
    Ok(Command::ConsumerAdd(ConsumerSpec {
        name: name.text.to_string(),
        group: group.text.to_string(),
        topics: opts.map("topics", |v| ctx.topic_list(v))?,
        rate: opts.map("rate", processing_rate)?,
    }))
}

/// The cluster runs at most `MAX_CONSUMERS` consumers, stopped ones included.
fn check_consumer_room(ctx: &Context, v: Val, more: u32) -> Result<()> {
    let have = ctx.consumer_clients();
    if have.saturating_add(more as usize) > MAX_CONSUMERS {
        return Err(v
            .err(format!("at most {MAX_CONSUMERS} consumers in a cluster"))
            .hint(format!(
                "{have} already started, stopped and crashed ones included"
            )));
    }
    Ok(())
}

/// `assignor=range|roundrobin|sticky|cooperative-sticky` (Kafka's class names are accepted too).
fn assignor(v: Val) -> Result<AssignorKind> {
    v.text.parse::<AssignorKind>().map_err(|_| {
        let names = AssignorKind::ALL.map(|a| a.name());
        let fallback = format!("expected one of: {}", names.join(", "));
        v.err(format!("unknown assignor '{}'", v.text))
            .hint(did_you_mean(v.text, names).unwrap_or(fallback))
    })
}

/// A producer's rate (`rate=` of `producer add`, or `producer rate NAME R` for `name`), within
/// the limit for one producer and, with the other producers', within the cluster's.
fn producer_rate(ctx: &Context, v: Val, name: Option<&str>) -> Result<Rate> {
    let r = rate(v)?;
    limit(v, limits::check_producer_rate(r))?;
    let total = ctx.producer_rate_total(name) + u128::from(r.per_hour);
    limits::check_total_producer_rate(total).map_err(|message| {
        v.err(message).hint(format!(
            "the other producers send {} together; stop or slow one first",
            limits::rate_text(ctx.producer_rate_total(name))
        ))
    })?;
    Ok(r)
}

/// `session-timeout=DURATION`, within the broker's bounds.
fn session_timeout(v: Val) -> Result<Micros> {
    let d = duration(v)?;
    let bounds = format!(
        "the broker accepts {} to {}: group.min.session.timeout.ms to group.max.session.timeout.ms",
        format_duration(MIN_SESSION_TIMEOUT),
        format_duration(MAX_SESSION_TIMEOUT)
    );
    if d < MIN_SESSION_TIMEOUT {
        return Err(v
            .err(format!("the session timeout {} is too short", v.text))
            .hint(bounds));
    }
    if d > MAX_SESSION_TIMEOUT {
        return Err(v
            .err(format!("the session timeout {} is too long", v.text))
            .hint(bounds));
    }
    Ok(d)
}

/// How fast an application processes records: a rate above zero.
fn processing_rate(v: Val) -> Result<Rate> {
    let r = rate(v)?;
    if r.per_hour == 0 {
        return Err(v
            .err("a processing rate must be above zero")
            .hint("to stop processing, use 'consumer stall NAME'"));
    }
    limit(v, limits::check_consumer_rate(r))?;
    Ok(r)
}
