//! The cluster's commands: `brokers`, `topic create|delete`, `broker kill|stop|restart`,
//! `network` and `elect-leaders`.

use super::context::Context;
use super::cursor::{Cursor, Val};
use super::values::{choice, duration, interval, limit, setting, u32_of, uint};
use super::{Result, subcommand};
use crate::command::{CleanupPolicy, ClusterSpec, Command, TopicSpec};
use crate::limits::{self, MAX_NAME_CHARS};

const BROKERS_OPTIONS: &[&str] = &[
    "latency",
    "replica-lag",
    "session-timeout",
    "retention-check",
];

/// `brokers N [latency=DURATION] [replica-lag=DURATION] [session-timeout=DURATION] [retention-check=DURATION]`
pub(super) fn brokers(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    if ctx.brokers.is_some() || ctx.recovered.brokers {
        return Err(head
            .err("the brokers are already declared")
            .hint("'brokers' may appear once"));
    }
    if !ctx.topics.is_empty() || !ctx.recovered.topics.is_empty() {
        return Err(head.err("'brokers' must come before any topic"));
    }
    let count_val = cur.word("the number of brokers")?;
    let brokers = u32_of(count_val, "a number of brokers")?;
    if brokers == 0 {
        return Err(count_val.err("a cluster needs at least one broker"));
    }
    limit(count_val, limits::check_brokers(brokers))?;
    let opts = cur.options(BROKERS_OPTIONS)?;
    Ok(Command::Brokers(ClusterSpec {
        brokers,
        latency: opts.map("latency", |v| {
            let d = duration(v)?;
            limit(v, limits::check_latency(d)).map(|()| d)
        })?,
        replica_lag: opts.map("replica-lag", |v| interval(v, "replica-lag"))?,
        broker_session_timeout: opts.map("session-timeout", |v| interval(v, "session-timeout"))?,
        retention_check: opts.map("retention-check", |v| interval(v, "retention-check"))?,
    }))
}

const TOPIC_OPTIONS: &[&str] = &[
    "partitions",
    "replication",
    "min-insync",
    "unclean-election",
    "retention",
    "cleanup",
    "retention-bytes",
    "segment",
    "segment-bytes",
];

const TOPIC_EXAMPLE: &str = "topic create orders partitions=3 replication=2";

/// `topic create T partitions=N replication=R [min-insync=M] [unclean-election=true|false]
/// [retention=DURATION] [cleanup=delete|compact] [retention-bytes=N] [segment=DURATION] [segment-bytes=N]`
pub(super) fn topic(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    if subcommand(cur, head, &["create", "delete"])? == "delete" {
        return topic_delete(cur, ctx);
    }
    let brokers = ctx.require_brokers(head)?;
    let name = cur.word("the topic's name")?;
    check_topic_name(name)?;
    if ctx.topics.contains_key(name.text) || ctx.recovered.topics.contains(name.text) {
        return Err(name.err(format!("topic '{}' already exists", name.text)));
    }
    let opts = cur.options(TOPIC_OPTIONS)?;
    let partitions_val = opts.required("partitions", cur, TOPIC_EXAMPLE)?;
    let replication_val = opts.required("replication", cur, TOPIC_EXAMPLE)?;
    let partitions = u32_of(partitions_val, "a number of partitions")?;
    if partitions == 0 {
        return Err(partitions_val.err("a topic needs at least one partition"));
    }
    let replication = u32_of(replication_val, "a replication factor")?;
    check_replication(replication, replication_val, brokers)?;
    let min_insync = opts.map("min-insync", |v| min_insync(v, replication))?;
    let (have, have_replicas) = ctx.topic_totals();
    limits::check_topic_size(have, have_replicas, partitions, replication).map_err(|message| {
        partitions_val.err(message).hint(format!(
            "the cluster has {have} partitions and {have_replicas} partition replicas so far"
        ))
    })?;
    if ctx.partition_slots.saturating_add(u64::from(partitions))
        > u64::from(limits::MAX_PARTITION_SLOTS)
    {
        return Err(partitions_val
            .err(format!(
                "the cluster has made {} partitions (deleted topics' included), and makes at \
                 most {}",
                ctx.partition_slots,
                limits::MAX_PARTITION_SLOTS
            ))
            .hint("a deleted topic's partitions still count: create fewer topics"));
    }
    Ok(Command::TopicCreate(TopicSpec {
        name: name.text.to_string(),
        partitions,
        replication,
        min_insync,
        unclean_election: opts.map("unclean-election", |v| {
            choice(v, &[("true", true), ("false", false)])
        })?,
        retention: opts.map("retention", |v| setting(v, "retention"))?,
        retention_bytes: opts.map("retention-bytes", |v| uint(v, "a number of bytes"))?,
        segment: opts.map("segment", |v| setting(v, "segment"))?,
        segment_bytes: opts.map("segment-bytes", |v| uint(v, "a number of bytes"))?,
        cleanup: opts.map("cleanup", |v| {
            choice(
                v,
                &[
                    ("delete", CleanupPolicy::Delete),
                    ("compact", CleanupPolicy::Compact),
                ],
            )
        })?,
    }))
}

/// `topic delete T` (`kafka-topics.sh --delete`, `Admin.deleteTopics`): see
/// `crate::topic_delete`. Kafka's internal topics and a topic a Streams application of the file
/// reads or writes are refused here; a topic a Connect connector uses is refused when the line
/// runs (what a connector writes depends on its systems' tables).
fn topic_delete(cur: &mut Cursor, ctx: &Context) -> Result<Command> {
    let name = cur.word("the topic's name")?;
    if crate::topic_delete::INTERNAL_TOPICS.contains(&name.text) {
        return Err(name
            .err(format!("'{}' is one of Kafka's internal topics", name.text))
            .hint("the playground does not delete internal topics"));
    }
    ctx.topic(name)?;
    if let Some((app, _)) = ctx
        .apps
        .iter()
        .find(|(_, info)| info.topics.contains(name.text))
    {
        return Err(name
            .err(format!(
                "topic '{}' is used by the Streams application '{app}'",
                name.text
            ))
            .hint("the playground does not model a Streams application losing a topic"));
    }
    cur.finish()?;
    Ok(Command::TopicDelete {
        name: name.text.to_string(),
    })
}

/// Kafka's rule: at most 249 characters among ASCII letters, digits, `.`, `_` and `-`.
pub(super) fn check_topic_name(v: Val) -> Result<()> {
    if let Some((i, c)) = v
        .text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(v
            .slice(i, "")
            .err(format!("'{c}' is not allowed in a topic name"))
            .hint("topic names use letters, digits, '.', '_' and '-'"));
    }
    if v.text == "." || v.text == ".." {
        return Err(v.err(format!("'{}' is not a valid topic name", v.text)));
    }
    if v.text.len() > MAX_NAME_CHARS {
        return Err(v.err(format!(
            "a topic name has at most {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(())
}

/// `1 <= replication <= brokers` (the broker count is unknown after a failed `brokers` line).
fn check_replication(replication: u32, v: Val, brokers: Option<u32>) -> Result<()> {
    if replication == 0 {
        return Err(v.err("the replication factor must be at least 1"));
    }
    match brokers {
        Some(n) if replication > n => Err(v
            .err(format!(
                "replication factor {replication} is larger than the number of brokers ({n})"
            ))
            .hint(format!(
                "use replication={n} or fewer, or declare more brokers"
            ))),
        _ => Ok(()),
    }
}

/// `1 <= min-insync <= replication`
fn min_insync(v: Val, replication: u32) -> Result<u32> {
    let m = u32_of(v, "a number of replicas")?;
    if m == 0 {
        return Err(v.err("min-insync must be at least 1"));
    }
    if m > replication {
        return Err(v
            .err(format!(
                "min-insync {m} is larger than the replication factor {replication}"
            ))
            .hint("acks=all writes could never succeed"));
    }
    Ok(m)
}

/// `broker kill N` / `broker stop N` (controlled shutdown) / `broker restart N`
pub(super) fn broker(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    let sub = subcommand(cur, head, &["kill", "stop", "restart"])?;
    let broker = ctx.broker_id(cur.word("a broker id")?)?;
    cur.finish()?;
    Ok(match sub {
        "kill" => Command::BrokerKill { broker },
        "stop" => Command::BrokerStop { broker },
        _ => Command::BrokerRestart { broker },
    })
}

/// `network partition A,B / C,D` (the `/` is a word of its own) / `network isolate N` /
/// `network heal`
pub(super) fn network(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    match subcommand(cur, head, &["partition", "isolate", "heal"])? {
        "heal" => {
            cur.finish()?;
            return Ok(Command::NetworkHeal);
        }
        "isolate" => {
            let broker = ctx.broker_id(cur.word("a broker id")?)?;
            cur.finish()?;
            return Ok(Command::NetworkIsolate { broker });
        }
        _ => {}
    }
    let spaced = "put spaces around '/', e.g. network partition 1,2 / 3";
    let a = cur.word("the brokers of one side, e.g. 1,2")?;
    if let Some(i) = a.text.find('/') {
        return Err(a.slice(i, "/").err("'/' must stand alone").hint(spaced));
    }
    let side_a = ctx.broker_list(a, &[])?;
    let slash = cur.word("'/' between the two sides")?;
    if slash.text != "/" {
        return Err(slash
            .err(format!(
                "expected '/' between the two sides, found '{}'",
                slash.text
            ))
            .hint(spaced));
    }
    let b = cur.word("the brokers of the other side")?;
    let side_b = ctx.broker_list(b, &side_a)?;
    cur.finish()?;
    Ok(Command::NetworkPartition { side_a, side_b })
}

/// `elect-leaders` / `elect-leaders T/P`: preferred leader election.
pub(super) fn elect_leaders(cur: &mut Cursor, ctx: &Context) -> Result<Command> {
    let partition = match cur.peek() {
        None => None,
        Some(_) => Some(ctx.partition(cur.word("a partition TOPIC/N")?)?),
    };
    cur.finish()?;
    Ok(Command::ElectPreferred { partition })
}
