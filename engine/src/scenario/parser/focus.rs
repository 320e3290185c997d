//! `focus TARGET…` and `focus all`: what the screen must show from now on.
//!
//! ```text
//! focus orders/0 billing          # a partition and whatever 'billing' names (here a group)
//! focus replicas orders/0         # the partition's replicas view
//! focus records orders            # the topic's newest records, key and value
//! focus broker 1 broker 2 orders/0
//! focus metrics                   # the metrics panel
//! focus clients orders            # real Kafka clients' cards, and a topic
//! focus all                       # the whole cluster again
//! focus worker w1 connector jdbc task jdbc-0 system orders   # Kafka Connect
//! ```
//!
//! A bare name is looked up among the topics, groups, producers and consumers declared so far;
//! a name that is two of those is refused with a hint to say which (`focus group billing`).
//! Nothing changes in the cluster, so the checks are the whole meaning of the line headless.

use super::Result;
use super::context::{Context, short_list};
use super::cursor::{Cursor, Val};
use crate::limits::MAX_FOCUS_TARGETS;
use crate::scenario::ast::{Action, FocusTarget};
use crate::scenario::diagnostic::did_you_mean;

/// The words that start an explicit target.
const KINDS: &[&str] = &[
    "topic",
    "group",
    "producer",
    "consumer",
    "broker",
    "replicas",
    "records",
    "metrics",
    "clients",
    "all",
    "app",
    "store",
    "task",
    "worker",
    "connector",
    "system",
];

const EXAMPLE: &str = "e.g. focus orders/0 billing, focus broker 1, focus all";

/// `focus TARGET…` | `focus all`
pub(super) fn focus(cur: &mut Cursor, ctx: &Context) -> Result<Action> {
    if cur.peek().is_none() {
        return Err(cur.missing("what to focus on").hint(EXAMPLE));
    }
    let mut targets: Vec<FocusTarget> = Vec::new();
    while cur.peek().is_some() {
        let word = cur.word("a focus target")?;
        if word.text == "all" {
            if !targets.is_empty() || cur.peek().is_some() {
                return Err(word
                    .err("'all' cannot be combined with other targets")
                    .hint("'focus all' alone returns to the whole cluster"));
            }
            return Ok(Action::Focus(Vec::new()));
        }
        let target = target(cur, ctx, word)?;
        if targets.contains(&target) {
            return Err(word.err(format!("{} is listed twice", describe(&target))));
        }
        if targets.len() == MAX_FOCUS_TARGETS {
            return Err(word
                .err(format!("at most {MAX_FOCUS_TARGETS} targets in one focus"))
                .hint("a screen shows only so much: focus a whole topic or group instead"));
        }
        targets.push(target);
    }
    Ok(Action::Focus(targets))
}

/// One target, starting at `word`.
fn target(cur: &mut Cursor, ctx: &Context, word: Val) -> Result<FocusTarget> {
    Ok(match word.text {
        "metrics" => FocusTarget::Metrics,
        "clients" => FocusTarget::Clients,
        "broker" => FocusTarget::Broker(ctx.broker_id(cur.word("a broker id")?)?),
        "topic" => {
            let name = cur.word("a topic's name")?;
            ctx.topic(name)?;
            FocusTarget::Topic(name.text.to_string())
        }
        "group" => {
            let name = cur.word("a group's name")?;
            ctx.group_to_read(name)?;
            FocusTarget::Group(name.text.to_string())
        }
        "producer" => {
            let name = cur.word("a producer's name")?;
            known(
                name,
                "producer",
                ctx.producer_names(),
                "producer add NAME topic=T",
            )?;
            FocusTarget::Producer(name.text.to_string())
        }
        "consumer" => {
            let name = cur.word("a consumer's name")?;
            known(
                name,
                "consumer",
                ctx.consumer_names(),
                "group add G topics=T",
            )?;
            FocusTarget::Consumer(name.text.to_string())
        }
        "replicas" => FocusTarget::Replicas(ctx.partition(cur.word("a partition TOPIC/N")?)?),
        "records" => {
            let name = cur.word("a topic's name")?;
            ctx.topic(name)?;
            FocusTarget::Records(name.text.to_string())
        }
        "app" => {
            let name = cur.word("a streams app's name")?;
            ctx.app(name)?;
            FocusTarget::App(name.text.to_string())
        }
        "store" => {
            let (app, store) = ctx.app_store(cur.word("a store APP/STORE")?)?;
            FocusTarget::Store { app, store }
        }
        "task" => {
            // A Streams task is APP/ID (`word-count/0_1`), a Connect task NAME-ID (`jdbc-0`).
            let task = cur.word("a task APP/TASK (Streams) or NAME-ID (Connect)")?;
            if task.text.contains('/') {
                let (app, task) = ctx.app_task(task)?;
                FocusTarget::Task { app, task }
            } else {
                let (connector, id) = ctx.connect.task(task)?;
                FocusTarget::ConnectTask { connector, id }
            }
        }
        "worker" => {
            let name = cur.word("a worker's name")?;
            ctx.connect.worker(name)?;
            FocusTarget::Worker(name.text.to_string())
        }
        "connector" => {
            let name = cur.word("a connector's name")?;
            ctx.connect.connector(name)?;
            FocusTarget::Connector(name.text.to_string())
        }
        "system" => {
            let name = cur.word("a system's name")?;
            ctx.connect.system(name)?;
            FocusTarget::System(name.text.to_string())
        }
        text if text.contains('/') => FocusTarget::Partition(ctx.partition(word)?),
        _ => bare(ctx, word)?,
    })
}

/// A bare name: the one topic, group, producer or consumer it names.
fn bare(ctx: &Context, word: Val) -> Result<FocusTarget> {
    let name = word.text;
    let mut found: Vec<(&str, FocusTarget)> = Vec::new();
    if ctx.topics.contains_key(name) || ctx.recovered.topics.contains(name) {
        found.push(("topic", FocusTarget::Topic(name.to_string())));
    }
    if ctx.groups.contains_key(name) || ctx.recovered.groups.contains(name) {
        found.push(("group", FocusTarget::Group(name.to_string())));
    }
    if ctx.producer_names().any(|p| p == name) {
        found.push(("producer", FocusTarget::Producer(name.to_string())));
    }
    if ctx.consumer_exists(name) {
        found.push(("consumer", FocusTarget::Consumer(name.to_string())));
    }
    match found.len() {
        1 => Ok(found.remove(0).1),
        0 => {
            let err = word.err(format!(
                "unknown focus target '{name}': no topic, group, producer or consumer has this name"
            ));
            let names = ctx
                .topics
                .keys()
                .chain(ctx.groups.keys())
                .map(String::as_str)
                .chain(ctx.producer_names())
                .chain(ctx.consumer_names())
                .chain(KINDS.iter().copied());
            let hint = match did_you_mean(name, names) {
                Some(hint) => hint,
                None if name.bytes().all(|b| b.is_ascii_digit()) => {
                    format!("a broker is written 'broker {name}'")
                }
                None => EXAMPLE.to_string(),
            };
            Err(err.hint(hint))
        }
        _ => {
            let kinds: Vec<&str> = found.iter().map(|(kind, _)| *kind).collect();
            let forms: Vec<String> = kinds
                .iter()
                .map(|kind| format!("'focus {kind} {name}'"))
                .collect();
            Err(word
                .err(format!(
                    "'{name}' is ambiguous: it names a {}",
                    kinds.join(" and a ")
                ))
                .hint(format!("say which: {}", forms.join(" or "))))
        }
    }
}

/// `name` must be one of `names` (declared so far, stopped ones included: they stay drawn).
fn known<'a>(
    name: Val,
    what: &str,
    mut names: impl Iterator<Item = &'a str> + Clone,
    add: &str,
) -> Result<()> {
    if names.clone().any(|n| n == name.text) {
        return Ok(());
    }
    let err = name.err(format!("unknown {what} '{}'", name.text));
    let all: Vec<&str> = names.clone().collect();
    Err(match did_you_mean(name.text, names.by_ref()) {
        Some(hint) => err.hint(hint),
        None if all.is_empty() => err.hint(format!("add one first with '{add}'")),
        None => err.hint(format!("the {what}s are {}", short_list(&all))),
    })
}

/// A target as a `focus` line writes it, for messages.
fn describe(target: &FocusTarget) -> String {
    match target {
        FocusTarget::Broker(id) => format!("broker {id}"),
        FocusTarget::Topic(t) => format!("topic '{t}'"),
        FocusTarget::Partition(tp) => format!("{}/{}", tp.topic, tp.partition),
        FocusTarget::Replicas(tp) => format!("replicas {}/{}", tp.topic, tp.partition),
        FocusTarget::Records(t) => format!("records '{t}'"),
        FocusTarget::Producer(p) => format!("producer '{p}'"),
        FocusTarget::Group(g) => format!("group '{g}'"),
        FocusTarget::Consumer(c) => format!("consumer '{c}'"),
        FocusTarget::Metrics => "metrics".to_string(),
        FocusTarget::Clients => "clients".to_string(),
        FocusTarget::App(a) => format!("app '{a}'"),
        FocusTarget::Store { app, store } => format!("store {app}/{store}"),
        FocusTarget::Task { app, task } => format!("task {app}/{task}"),
        FocusTarget::Worker(w) => format!("worker '{w}'"),
        FocusTarget::Connector(c) => format!("connector '{c}'"),
        FocusTarget::ConnectTask { connector, id } => format!("task {connector}-{id}"),
        FocusTarget::System(s) => format!("system '{s}'"),
    }
}

impl Context {
    /// Producers declared so far, stopped ones and those of failed lines included.
    fn producer_names(&self) -> impl Iterator<Item = &str> + Clone {
        self.producers
            .keys()
            .chain(&self.recovered.producers)
            .map(String::as_str)
    }

    /// Consumers declared so far, stopped ones and those of failed lines included.
    fn consumer_names(&self) -> impl Iterator<Item = &str> + Clone {
        self.consumers
            .keys()
            .chain(&self.recovered.consumers)
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use crate::command::TopicPartition;
    use crate::scenario::ast::{Action, FocusTarget};

    const SETUP: &str = "brokers 3\n\
        topic create orders partitions=2 replication=3\n\
        topic create billing partitions=1 replication=1\n\
        producer add shop topic=orders rate=5/s\n\
        group add billing topics=orders consumers=2\n\
        group add audit topics=orders\n";

    fn focus(line: &str) -> Vec<FocusTarget> {
        let script = parse("f.scenario", &format!("{SETUP}{line}\n"))
            .unwrap_or_else(|e| panic!("{line:?}: {e:?}"));
        match script.steps.last().map(|s| &s.action) {
            Some(Action::Focus(targets)) => targets.clone(),
            other => panic!("{line:?} is not a focus: {other:?}"),
        }
    }

    /// The one error of `line` (on line 7, after the setup).
    fn error(line: &str) -> String {
        match parse("f.scenario", &format!("{SETUP}{line}\n")) {
            Ok(_) => panic!("{line:?} parsed but should not"),
            Err(mut e) => {
                assert_eq!(e.len(), 1, "{e:?}");
                e.remove(0).to_string()
            }
        }
    }

    fn tp(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }

    #[test]
    fn targets() {
        assert_eq!(
            focus("focus orders/1 shop billing-2"),
            vec![
                FocusTarget::Partition(tp("orders", 1)),
                FocusTarget::Producer("shop".into()),
                FocusTarget::Consumer("billing-2".into()),
            ]
        );
        assert_eq!(
            focus("focus replicas orders/0 metrics broker 1 broker 2"),
            vec![
                FocusTarget::Replicas(tp("orders", 0)),
                FocusTarget::Metrics,
                FocusTarget::Broker(1),
                FocusTarget::Broker(2),
            ]
        );
        assert_eq!(
            focus("focus topic billing group billing audit orders"),
            vec![
                FocusTarget::Topic("billing".into()),
                FocusTarget::Group("billing".into()),
                FocusTarget::Group("audit".into()),
                FocusTarget::Topic("orders".into()),
            ]
        );
        assert_eq!(
            focus("focus records orders topic orders"),
            vec![
                FocusTarget::Records("orders".into()),
                FocusTarget::Topic("orders".into()),
            ]
        );
        assert_eq!(focus("focus all"), vec![]);
        assert_eq!(focus("at 5s focus all"), vec![]);
    }

    #[test]
    fn stopped_clients_stay_focusable() {
        assert_eq!(
            focus("consumer crash billing-1\nproducer stop shop\nfocus billing-1 producer shop"),
            vec![
                FocusTarget::Consumer("billing-1".into()),
                FocusTarget::Producer("shop".into()),
            ]
        );
    }

    #[test]
    fn errors_point_at_the_word() {
        for (line, want) in [
            (
                "focus",
                "f.scenario:7:7: missing what to focus on (e.g. focus orders/0 billing, focus broker 1, focus all)",
            ),
            (
                "focus billing",
                "f.scenario:7:7: 'billing' is ambiguous: it names a topic and a group (say which: 'focus topic billing' or 'focus group billing')",
            ),
            (
                "focus ordrs",
                "f.scenario:7:7: unknown focus target 'ordrs': no topic, group, producer or consumer has this name (did you mean 'orders'?)",
            ),
            (
                "focus 2",
                "f.scenario:7:7: unknown focus target '2': no topic, group, producer or consumer has this name (a broker is written 'broker 2')",
            ),
            (
                "focus orders/2",
                "f.scenario:7:14: topic 'orders' has no partition 2 (its partitions are orders/0 … orders/1)",
            ),
            (
                "focus broker 4",
                "f.scenario:7:14: there is no broker 4 (the cluster has brokers 1..3)",
            ),
            ("focus broker", "f.scenario:7:14: missing a broker id"),
            (
                "focus replicas orders",
                "f.scenario:7:16: expected a partition TOPIC/N, found 'orders' (e.g. orders/0)",
            ),
            (
                "focus records ordrs",
                "f.scenario:7:15: unknown topic 'ordrs' (did you mean 'orders'?)",
            ),
            (
                "focus group audt",
                "f.scenario:7:13: unknown group 'audt' (did you mean 'audit'?)",
            ),
            (
                "focus consumer billing-9",
                "f.scenario:7:16: unknown consumer 'billing-9' (did you mean 'billing-1'?)",
            ),
            (
                "focus producer nobody",
                "f.scenario:7:16: unknown producer 'nobody' (the producers are shop)",
            ),
            (
                "focus orders/0 all",
                "f.scenario:7:16: 'all' cannot be combined with other targets ('focus all' alone returns to the whole cluster)",
            ),
            (
                "focus orders/0 orders/0",
                "f.scenario:7:16: orders/0 is listed twice",
            ),
            (
                "focus topic=orders",
                "f.scenario:7:7: expected a focus target, found 'topic=orders'",
            ),
        ] {
            assert_eq!(error(line), want, "{line}");
        }
    }

    #[test]
    fn connect_targets() {
        let connect = "topic create db-users partitions=1 replication=3\n\
            system table users rate=1/s\n\
            worker add w1\n\
            connector create jdbc worker=w1 connector.class=JdbcSource tasks.max=2 table.whitelist=users topic.prefix=db-\n";
        assert_eq!(
            focus(&format!(
                "{connect}focus worker w1 connector jdbc task jdbc-1 system users"
            )),
            vec![
                FocusTarget::Worker("w1".into()),
                FocusTarget::Connector("jdbc".into()),
                FocusTarget::ConnectTask {
                    connector: "jdbc".into(),
                    id: 1
                },
                FocusTarget::System("users".into()),
            ]
        );
        for (line, want) in [
            (
                "focus worker w2",
                "unknown worker 'w2' (did you mean 'w1'?)",
            ),
            (
                "focus connector jbdc",
                "unknown connector 'jbdc' (did you mean 'jdbc'?)",
            ),
            (
                "focus task jdbc-2",
                "connector 'jdbc' has tasks.max=2: its tasks are jdbc-0 to jdbc-1",
            ),
            (
                "focus system user",
                "unknown system 'user' (did you mean 'users'?)",
            ),
        ] {
            let err = error(&format!("{connect}{line}"));
            assert!(err.ends_with(want), "{line}: {err}");
        }
    }

    #[test]
    fn at_most_sixteen_targets() {
        let seventeen = "broker 1 broker 2 broker 3 orders/0 orders/1 replicas orders/0 \
            replicas orders/1 topic orders topic billing group billing audit shop billing-1 \
            billing-2 audit-1 metrics billing/0";
        assert!(error(&format!("focus {seventeen}")).contains("at most 16 targets"));
    }

    #[test]
    fn the_console_knows_what_earlier_lines_declared() {
        let mut ctx = super::super::Context::default();
        for line in SETUP.lines() {
            super::super::parse_line(line, &mut ctx).expect("setup");
        }
        let step = super::super::parse_line("focus audit-1", &mut ctx).expect("focus");
        assert_eq!(
            step.map(|s| s.action),
            Some(Action::Focus(vec![FocusTarget::Consumer("audit-1".into())]))
        );
        let err = super::super::parse_line("focus nobody", &mut ctx).expect_err("unknown");
        assert_eq!(
            (err.file.as_str(), err.pos.line, err.pos.col),
            ("console", 1, 7)
        );
    }
}
