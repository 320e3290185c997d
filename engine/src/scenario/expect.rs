//! Evaluates `expect` lines against the cluster: one evaluator for the runner, the console and
//! the tests. Lists compare as sets, except `replicas`, which is ordered; `none` is the empty list
//! or no value.

use std::fmt;

use super::ast::{Expectation, Metric, Op, Value};
use crate::cluster::Cluster;
use crate::command::TopicPartition;

/// What a metric measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actual {
    None,
    Int(i64),
    /// Compared as a set.
    Set(Vec<i64>),
    /// Compared in order.
    List(Vec<i64>),
    Word(String),
    /// Member names, compared as a set.
    Names(Vec<String>),
    /// Partitions, compared as a set.
    Partitions(Vec<TopicPartition>),
}

/// `a,b,c` (sorted), or `none` for an empty set.
fn set_text<T: Ord + ToString>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".to_string();
    }
    let mut sorted: Vec<&T> = items.iter().collect();
    sorted.sort_unstable();
    let texts: Vec<String> = sorted.iter().map(|t| t.to_string()).collect();
    texts.join(",")
}

/// Sorted and without duplicates, to compare as sets.
fn as_set<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    let mut v = items.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

impl fmt::Display for Actual {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, v: &[i64]| {
            if v.is_empty() {
                return write!(f, "none");
            }
            let s: Vec<String> = v.iter().map(i64::to_string).collect();
            write!(f, "{}", s.join(","))
        };
        match self {
            Actual::None => write!(f, "none"),
            Actual::Int(n) => write!(f, "{n}"),
            Actual::Set(v) => {
                let mut v = v.clone();
                v.sort_unstable();
                list(f, &v)
            }
            Actual::List(v) => list(f, v),
            Actual::Word(w) => write!(f, "{w}"),
            Actual::Names(v) => write!(f, "{}", set_text(v)),
            Actual::Partitions(v) => write!(f, "{}", set_text(v)),
        }
    }
}

/// Measures a metric. `Err` when the metric names something that does not exist.
pub fn measure(cluster: &Cluster, metric: &Metric) -> Result<Actual, String> {
    let unknown_tp = |tp: &TopicPartition| format!("unknown partition {tp}");
    let opt = |v: Option<u64>| v.map_or(Actual::None, |n| Actual::Int(n as i64));
    let unknown_group = |g: &str| format!("unknown group '{g}'");
    let unknown_app = |a: &str| format!("unknown streams app '{a}'");
    let unknown_store = |a: &str, s: &str| format!("unknown store '{s}' of streams app '{a}'");
    // A deleted topic's partitions are asked about as gone: no leader, nothing committed.
    let deleted = |tp: &TopicPartition| cluster.topic_was_deleted(&tp.topic);
    // Checks that a group and a partition exist before asking about both.
    let group_and_tp = |g: &str, tp: Option<&TopicPartition>| -> Result<(), String> {
        cluster.group_state(g).ok_or_else(|| unknown_group(g))?;
        if let Some(tp) = tp.filter(|tp| !deleted(tp)) {
            cluster.leader(tp).ok_or_else(|| unknown_tp(tp))?;
        }
        Ok(())
    };
    Ok(match metric {
        Metric::Leader(tp) if deleted(tp) => Actual::None,
        Metric::Leader(tp) => cluster
            .leader(tp)
            .ok_or_else(|| unknown_tp(tp))?
            .map_or(Actual::None, |b| Actual::Int(b as i64)),
        Metric::Replicas(tp) => Actual::List(
            cluster
                .replicas(tp)
                .ok_or_else(|| unknown_tp(tp))?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        Metric::Isr(tp) => Actual::Set(
            cluster
                .isr(tp)
                .ok_or_else(|| unknown_tp(tp))?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        Metric::Partition { topic, key } => Actual::Int(
            cluster
                .partition_for_key(topic, key)
                .ok_or_else(|| format!("unknown topic '{topic}'"))? as i64,
        ),
        Metric::Hw(tp) => {
            cluster.leader(tp).ok_or_else(|| unknown_tp(tp))?;
            opt(cluster.high_watermark(tp))
        }
        Metric::Leo(tp) => {
            cluster.leader(tp).ok_or_else(|| unknown_tp(tp))?;
            opt(cluster.log_end_offset(tp))
        }
        Metric::LogStart(tp) => {
            cluster.leader(tp).ok_or_else(|| unknown_tp(tp))?;
            opt(cluster.log_start_offset(tp))
        }
        Metric::Records(tp) => {
            cluster.leader(tp).ok_or_else(|| unknown_tp(tp))?;
            opt(cluster.record_count(tp))
        }
        Metric::LeaderEpoch(tp) => {
            Actual::Int(cluster.leader_epoch(tp).ok_or_else(|| unknown_tp(tp))? as i64)
        }
        Metric::Broker(b) => match cluster.broker_up(*b) {
            Some(true) => Actual::Word("up".into()),
            Some(false) => Actual::Word("down".into()),
            None => return Err(format!("unknown broker {b}")),
        },
        Metric::Fenced(b) => match cluster.broker_fenced(*b) {
            Some(true) => Actual::Word("yes".into()),
            Some(false) => Actual::Word("no".into()),
            None => return Err(format!("unknown broker {b}")),
        },
        Metric::ZombieLeaders(tp) => Actual::Set(
            cluster
                .zombie_leaders_of(tp)
                .ok_or_else(|| unknown_tp(tp))?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        Metric::Acked(t) => Actual::Int(
            cluster
                .acked(t)
                .ok_or_else(|| format!("unknown topic '{t}'"))? as i64,
        ),
        Metric::Rejected(t) => Actual::Int(
            cluster
                .rejected(t)
                .ok_or_else(|| format!("unknown topic '{t}'"))? as i64,
        ),
        Metric::Lost(t) => Actual::Int(
            cluster
                .lost(t.as_deref())
                .ok_or_else(|| format!("unknown topic '{}'", t.as_deref().unwrap_or("")))?,
        ),
        Metric::Value { tp, key } => match cluster
            .latest_value(tp, key)
            .ok_or_else(|| unknown_tp(tp))?
        {
            Some(v) => Actual::Word(v),
            None => Actual::None,
        },
        Metric::Members(g) => {
            Actual::Names(cluster.group_members(g).ok_or_else(|| unknown_group(g))?)
        }
        Metric::State(g) => Actual::Word(
            cluster
                .group_state(g)
                .ok_or_else(|| unknown_group(g))?
                .name()
                .to_string(),
        ),
        Metric::Generation(g) => Actual::Int(i64::from(
            cluster
                .group_generation(g)
                .ok_or_else(|| unknown_group(g))?,
        )),
        Metric::Assigned { group, member } => Actual::Partitions(
            cluster
                .group_assigned(group, member)
                .ok_or_else(|| unknown_group(group))?,
        ),
        Metric::AssignedCount { group, member } => Actual::Int(
            cluster
                .group_assigned(group, member)
                .ok_or_else(|| unknown_group(group))?
                .len() as i64,
        ),
        Metric::Owner { group, tp } => {
            group_and_tp(group, Some(tp))?;
            cluster
                .group_owner(group, tp)
                .flatten()
                .map_or(Actual::None, Actual::Word)
        }
        Metric::Committed { group, tp } => {
            group_and_tp(group, Some(tp))?;
            opt(cluster.group_committed(group, tp).flatten())
        }
        Metric::Lag { group, tp: None } => Actual::Int(
            cluster
                .group_lag(group)
                .ok_or_else(|| unknown_group(group))? as i64,
        ),
        Metric::Lag {
            group,
            tp: Some(tp),
        } => {
            group_and_tp(group, Some(tp))?;
            opt(cluster.group_partition_lag(group, tp).flatten())
        }
        Metric::Consumed { group, tp } => {
            group_and_tp(group, tp.as_ref())?;
            Actual::Int(
                cluster
                    .group_consumed(group, tp.as_ref())
                    .ok_or_else(|| unknown_group(group))? as i64,
            )
        }
        Metric::Duplicates(g) => Actual::Int(
            cluster
                .group_duplicates(g)
                .ok_or_else(|| unknown_group(g))? as i64,
        ),
        Metric::Coordinator(g) => cluster
            .group_coordinator(g)
            .ok_or_else(|| unknown_group(g))?
            .map_or(Actual::None, |b| Actual::Int(i64::from(b))),
        Metric::Kafka { name, scope } => match kafka_metric(cluster, *name, scope)? {
            None => Actual::None,
            Some(v) if v.fract() == 0.0 => Actual::Int(v as i64),
            // A rate or an average that is not whole: shown, compared as a number by `check`.
            Some(v) => Actual::Word(format!("{v:.3}")),
        },
        Metric::StreamsStore { app, store, key } => {
            match cluster.streams_store_query(app, store, key)? {
                Some(v) => Actual::Word(v),
                None => Actual::None,
            }
        }
        Metric::StreamsTasks { app, instance } => {
            cluster
                .streams_state(app, instance)
                .ok_or_else(|| format!("unknown streams instance '{instance}' of '{app}'"))?;
            let tasks: Vec<String> = cluster
                .streams_tasks(app)
                .ok_or_else(|| unknown_app(app))?
                .into_iter()
                .filter(|t| &t.instance == instance)
                .map(|t| t.id)
                .collect();
            if tasks.is_empty() {
                Actual::None
            } else {
                Actual::Names(tasks)
            }
        }
        Metric::TaskOwner { app, task } => cluster
            .streams_task_owner(app, task)
            .ok_or_else(|| unknown_app(app))?
            .map_or(Actual::None, Actual::Word),
        Metric::Processed(app) => {
            let a = cluster.streams_app(app).ok_or_else(|| unknown_app(app))?;
            Actual::Int(a.counters.processed as i64)
        }
        Metric::Reprocessed(app) => {
            let a = cluster.streams_app(app).ok_or_else(|| unknown_app(app))?;
            Actual::Int(a.counters.reprocessed as i64)
        }
        Metric::CountedTwice(app) => {
            let a = cluster.streams_app(app).ok_or_else(|| unknown_app(app))?;
            Actual::Int(a.counters.counted_twice as i64)
        }
        Metric::DroppedLate(app) => {
            let a = cluster.streams_app(app).ok_or_else(|| unknown_app(app))?;
            Actual::Int(a.counters.dropped_late as i64)
        }
        Metric::Restored { app, store } => Actual::Int(
            cluster
                .streams_restored(app, store)
                .ok_or_else(|| unknown_store(app, store))? as i64,
        ),
        Metric::Connect(m) => crate::connect::expect::measure(cluster, m)?,
        Metric::StreamsState { app, instance } => Actual::Word(
            cluster
                .streams_state(app, instance)
                .ok_or_else(|| format!("unknown streams instance '{instance}' of '{app}'"))?
                .name()
                .to_string(),
        ),
    })
}

/// A Kafka metric in the newest per-second sample; `None` inside when it has no value in that
/// scope (a stopped client, a second without responses).
fn kafka_metric(
    cluster: &Cluster,
    name: crate::metrics::Name,
    scope: &crate::metrics::Scope,
) -> Result<Option<f64>, String> {
    let sample = cluster.metrics().latest().ok_or_else(|| {
        "no metrics yet: the first sample is taken at 1s of simulated time".to_string()
    })?;
    Ok(sample.get(name, scope))
}

/// `expect metric …`: Kafka's metrics are real numbers (rates, averages in ms), compared as such
/// with the whole number on the right; `none` when the metric has no value.
fn check_kafka(cluster: &Cluster, e: &Expectation, text: &str) -> Result<(), String> {
    let Metric::Kafka { name, scope } = &e.metric else {
        unreachable!("only called for `metric`")
    };
    let actual =
        kafka_metric(cluster, *name, scope).map_err(|m| format!("expected {text}: {m}"))?;
    let ok = match (actual, &e.value) {
        (Some(a), Value::Int(b)) => {
            let b = *b as f64;
            match e.op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                Op::Lt => a < b,
                Op::Le => a <= b,
                Op::Gt => a > b,
                Op::Ge => a >= b,
            }
        }
        // `none` only equals `none`; no ordering involves it.
        (a, Value::None | Value::Int(_)) => match e.op {
            Op::Eq => a.is_none() && e.value == Value::None,
            Op::Ne => a.is_none() != (e.value == Value::None),
            _ => false,
        },
        // The parser gives a metric only a number or `none`.
        (_, _) => false,
    };
    if ok {
        Ok(())
    } else {
        let got = measure(cluster, &e.metric).map_err(|m| format!("expected {text}: {m}"))?;
        Err(format!("expected {text}, got {got}"))
    }
}

fn expected_as(actual: &Actual, value: &Value) -> Actual {
    match (actual, value) {
        (Actual::Set(_), Value::None) => Actual::Set(vec![]),
        (Actual::List(_), Value::None) => Actual::List(vec![]),
        (Actual::Names(_), Value::None) => Actual::Names(vec![]),
        (Actual::Partitions(_), Value::None) => Actual::Partitions(vec![]),
        (_, Value::None) => Actual::None,
        (Actual::Set(_), Value::Int(n)) => Actual::Set(vec![*n]),
        (Actual::Set(_), Value::Ints(v)) => Actual::Set(v.clone()),
        (Actual::List(_), Value::Int(n)) => Actual::List(vec![*n]),
        (_, Value::Ints(v)) => Actual::List(v.clone()),
        (_, Value::Int(n)) => Actual::Int(*n),
        (_, Value::Word(w)) => Actual::Word(w.clone()),
        (_, Value::Names(v)) => Actual::Names(v.clone()),
        (_, Value::Partitions(v)) => Actual::Partitions(v.clone()),
    }
}

/// Checks an expectation. `Err` carries the message after `FILE:LINE: `.
pub fn check(cluster: &Cluster, e: &Expectation) -> Result<(), String> {
    // `expected leader t/0 == 2, got 1`, not `expected expect leader …`.
    let text = e
        .text
        .strip_prefix("expect")
        .map_or(e.text.as_str(), str::trim_start);
    if matches!(e.metric, Metric::Kafka { .. }) {
        return check_kafka(cluster, e, text);
    }
    let actual = measure(cluster, &e.metric).map_err(|m| format!("expected {text}: {m}"))?;
    let expected = expected_as(&actual, &e.value);
    let ok = match (&actual, &expected, e.op) {
        (Actual::Set(a), Actual::Set(b), Op::Eq | Op::Ne) => {
            let (mut a, mut b) = (a.clone(), b.clone());
            a.sort_unstable();
            a.dedup();
            b.sort_unstable();
            b.dedup();
            (a == b) == (e.op == Op::Eq)
        }
        (Actual::Names(a), Actual::Names(b), Op::Eq | Op::Ne) => {
            (as_set(a) == as_set(b)) == (e.op == Op::Eq)
        }
        (Actual::Partitions(a), Actual::Partitions(b), Op::Eq | Op::Ne) => {
            (as_set(a) == as_set(b)) == (e.op == Op::Eq)
        }
        (Actual::Int(a), Actual::Int(b), op) => match op {
            Op::Eq => a == b,
            Op::Ne => a != b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Gt => a > b,
            Op::Ge => a >= b,
        },
        (a, b, Op::Eq) => a == b,
        (a, b, Op::Ne) => a != b,
        (_, _, op) => {
            return Err(format!(
                "expected {}: cannot compare {actual} with {} using {}",
                text,
                expected,
                op.as_str()
            ));
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {text}, got {actual}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }

    #[test]
    fn sets_print_sorted_and_none_when_empty() {
        let names = Actual::Names(vec!["g-2".into(), "g-1".into()]);
        assert_eq!(names.to_string(), "g-1,g-2");
        assert_eq!(Actual::Names(vec![]).to_string(), "none");
        let parts = Actual::Partitions(vec![tp("orders", 1), tp("a", 0), tp("orders", 0)]);
        assert_eq!(parts.to_string(), "a/0,orders/0,orders/1");
        assert_eq!(Actual::Partitions(vec![]).to_string(), "none");
    }

    #[test]
    fn none_is_the_empty_set() {
        let names = Actual::Names(vec!["g-1".into()]);
        assert_eq!(expected_as(&names, &Value::None), Actual::Names(vec![]));
        let parts = Actual::Partitions(vec![]);
        assert_eq!(
            expected_as(&parts, &Value::Partitions(vec![tp("t", 0)])),
            Actual::Partitions(vec![tp("t", 0)])
        );
        assert_eq!(as_set(&["b", "a", "b"]), ["a", "b"]);
    }
}
