//! The Kafka Connect lines: systems, workers, connectors, and what `expect` may ask of them,
//! checked against what earlier lines declared.
//!
//! ```text
//! system table users rate=2/s                 # a database table filling by itself
//! system file out.txt write-rate=50/s         # a file a sink appends to
//! system insert users "{\"name\":\"ann\"}" count=3
//! system unavailable out.txt                  # writes fail; `system available` heals it
//! worker add w1                               # a standalone worker
//! worker add w2 mode=distributed              # a distributed worker of group connect-cluster
//! worker add w3 mode=distributed group=etl scheduled.rebalance.max.delay.ms=30000
//! worker stop w2                              # a clean shutdown (LeaveGroup)
//! connector create jdbc worker=w1 connector.class=JdbcSource tasks.max=2 table.whitelist=users topic.prefix=db-
//! connector pause jdbc     connector resume jdbc     connector restart jdbc include-tasks only-failed
//! task restart sink-0
//! worker crash w1          worker restart w1
//! expect task-state sink-0 == FAILED     expect task-worker jdbc-0 == w1
//! expect rows users == 10                expect connector-duplicates jdbc == 4
//! expect status-state jdbc-0 == RUNNING   expect status-worker jdbc-0 == w2   # connect-status
//! ```

use std::collections::{BTreeMap, BTreeSet};

use super::Result;
use super::context::Context;
use super::cursor::{Cursor, Val};
use super::values::{check_name, rate, u32_of};
use crate::command::Command;
use crate::connect::connector::{CONFIG_NAMES, ConnectorConfig, STATES};
use crate::connect::distributed::DEFAULT_GROUP_ID;
use crate::connect::{ConnectCommand, SystemKind, transform};
use crate::scenario::ast::{ConnectMetric, Metric};
use crate::scenario::diagnostic::{LineError, did_you_mean};

/// What the file declared of Connect so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectInfo {
    pub systems: BTreeMap<String, SystemKind>,
    pub workers: BTreeSet<String>,
    /// Connectors (deleted ones removed), with `tasks.max`.
    pub connectors: BTreeMap<String, u32>,
    /// The consumer groups Connect makes: each distributed cluster's `group.id` and each sink
    /// connector's `connect-NAME` (`SinkUtils.consumerGroupId`). A deleted connector's group
    /// stays, as Kafka's does (the coordinator keeps its committed offsets).
    pub groups: BTreeSet<String>,
}

/// The metrics this file adds to `expect`.
pub(super) const METRICS: &[&str] = &[
    "connector-state",
    "task-state",
    "task-worker",
    "task-count",
    "rows",
    "lines",
    "row",
    "offset-flushes",
    "flushed-offset",
    "produced",
    "connector-duplicates",
    "written",
    "status-state",
    "status-worker",
    "connector-filtered",
    "connector-skipped",
    "connector-retries",
];

impl ConnectInfo {
    pub(super) fn apply(&mut self, c: &ConnectCommand) {
        match c {
            ConnectCommand::SystemCreate { name, kind, .. } => {
                self.systems.insert(name.clone(), *kind);
            }
            ConnectCommand::WorkerAdd { name } => {
                self.workers.insert(name.clone());
            }
            ConnectCommand::WorkerAddDistributed { name, group, .. } => {
                self.workers.insert(name.clone());
                let group = group.as_deref().unwrap_or(DEFAULT_GROUP_ID);
                self.groups.insert(group.to_string());
            }
            ConnectCommand::ConnectorCreate { name, config, .. } => {
                let parsed = ConnectorConfig::parse(config);
                if parsed.as_ref().is_ok_and(|c| !c.class.is_source()) {
                    self.groups.insert(format!("connect-{name}"));
                }
                let max = parsed.map_or(1, |c| c.tasks_max);
                self.connectors.insert(name.clone(), max);
            }
            ConnectCommand::ConnectorDelete { name } => {
                self.connectors.remove(name);
            }
            _ => {}
        }
    }

    pub(super) fn system(&self, v: Val) -> Result<SystemKind> {
        self.systems.get(v.text).copied().ok_or_else(|| {
            unknown(
                v,
                "system",
                self.systems.keys(),
                "declare it with 'system table NAME' or 'system file NAME'",
            )
        })
    }

    pub(super) fn worker(&self, v: Val) -> Result<()> {
        if self.workers.contains(v.text) {
            return Ok(());
        }
        Err(unknown(
            v,
            "worker",
            self.workers.iter(),
            "start one with 'worker add NAME'",
        ))
    }

    pub(super) fn connector(&self, v: Val) -> Result<u32> {
        self.connectors.get(v.text).copied().ok_or_else(|| {
            unknown(
                v,
                "connector",
                self.connectors.keys(),
                "create one with 'connector create NAME worker=W connector.class=…'",
            )
        })
    }

    /// `NAME-ID`: a task of a declared connector (Kafka's `ConnectorTaskId` as the REST API
    /// writes it); the id below the connector's `tasks.max`.
    pub(super) fn task(&self, v: Val) -> Result<(String, u32)> {
        let parsed = v.text.rsplit_once('-').and_then(|(name, id)| {
            let id: u32 = id
                .parse()
                .ok()
                .filter(|_| id.bytes().all(|b| b.is_ascii_digit()))?;
            Some((name, id))
        });
        let Some((name, id)) = parsed else {
            return Err(v
                .err(format!("expected a task NAME-ID, found '{}'", v.text))
                .hint("a connector's tasks are NAME-0, NAME-1, …"));
        };
        let max = self.connector(v.slice(0, name))?;
        if id >= max {
            return Err(v.err(format!(
                "connector '{name}' has tasks.max={max}: its tasks are {name}-0 to {name}-{}",
                max - 1
            )));
        }
        Ok((name.to_string(), id))
    }
}

fn unknown<'a>(
    v: Val,
    what: &str,
    names: impl Iterator<Item = &'a String> + Clone,
    how: &str,
) -> LineError {
    let err = v.err(format!("unknown {what} '{}'", v.text));
    match did_you_mean(v.text, names.clone().map(String::as_str)) {
        Some(hint) => err.hint(hint),
        None => err.hint(how.to_string()),
    }
}

/// `system table|file NAME [rate=R] [write-rate=R]`, `system insert NAME TEXT [count=N]`,
/// `system unavailable|available NAME`, `system rate NAME R`.
pub(super) fn system(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    let sub = super::subcommand(
        cur,
        head,
        &[
            "table",
            "file",
            "insert",
            "unavailable",
            "available",
            "rate",
        ],
    )?;
    let info = &ctx.connect;
    let c = match sub {
        "table" | "file" => {
            let name = cur.word("the system's name")?;
            check_name(name, "system")?;
            if info.systems.contains_key(name.text) {
                return Err(name.err(format!("system '{}' already exists", name.text)));
            }
            let opts = cur.options(&["rate", "write-rate"])?;
            ConnectCommand::SystemCreate {
                name: name.text.to_string(),
                kind: if sub == "table" {
                    SystemKind::Table
                } else {
                    SystemKind::File
                },
                rate: opts.map("rate", rate)?,
                write_rate: opts.map("write-rate", rate)?,
            }
        }
        "insert" => {
            let name = cur.word("the system's name")?;
            info.system(name)?;
            let Some(token) = cur.bump() else {
                return Err(cur
                    .missing("the row or line")
                    .hint("e.g. system insert users \"{\\\"name\\\":\\\"ann\\\"}\""));
            };
            let text = Val::text_of(token);
            let opts = cur.options(&["count"])?;
            let count = opts
                .map("count", |v| u32_of(v, "a number of rows or lines"))?
                .unwrap_or(1);
            if count == 0 || count as usize > crate::connect::system::MAX_SYSTEM_ENTRIES {
                return Err(LineError::new(
                    cur.end_col(),
                    format!(
                        "count is 1 to {}",
                        crate::connect::system::MAX_SYSTEM_ENTRIES
                    ),
                ));
            }
            ConnectCommand::SystemInsert {
                name: name.text.to_string(),
                text: text.text.to_string(),
                count,
            }
        }
        "rate" => {
            let name = cur.word("the system's name")?;
            info.system(name)?;
            let r = rate(cur.word("a rate such as 5/s")?)?;
            cur.finish()?;
            ConnectCommand::SystemRate {
                name: name.text.to_string(),
                rate: r,
            }
        }
        _ => {
            let name = cur.word("the system's name")?;
            info.system(name)?;
            cur.finish()?;
            ConnectCommand::SystemAvailable {
                name: name.text.to_string(),
                available: sub == "available",
            }
        }
    };
    Ok(Command::Connect(c))
}

/// `worker add NAME [mode=standalone|distributed] [group=G]
/// [scheduled.rebalance.max.delay.ms=N]`, `worker stop|crash|restart NAME`.
pub(super) fn worker(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    let sub = super::subcommand(cur, head, &["add", "stop", "crash", "restart"])?;
    let name = cur.word("the worker's name")?;
    let n = name.text.to_string();
    if sub != "add" {
        cur.finish()?;
    }
    Ok(Command::Connect(match sub {
        "add" => {
            check_name(name, "worker")?;
            if ctx.connect.workers.contains(name.text) {
                return Err(name.err(format!("worker '{}' already exists", name.text)));
            }
            let opts = cur.options(&["mode", "group", "scheduled.rebalance.max.delay.ms"])?;
            let distributed = match opts.get("mode") {
                None => false,
                Some(v) if v.text == "standalone" => false,
                Some(v) if v.text == "distributed" => true,
                Some(v) => {
                    return Err(v
                        .err(format!("unknown worker mode '{}'", v.text))
                        .hint("mode=standalone (connect-standalone) or mode=distributed"));
                }
            };
            if !distributed && let Some((k, v)) = opts.items.iter().find(|(k, _)| *k != "mode") {
                return Err(v
                    .err(format!("'{k}' is a distributed worker's setting"))
                    .hint(format!("worker add {n} mode=distributed {k}=…")));
            }
            if !distributed {
                ConnectCommand::WorkerAdd { name: n }
            } else {
                let group = opts.get("group");
                if let Some(g) = group {
                    check_name(g, "group")?;
                }
                let max_delay_ms = opts.map("scheduled.rebalance.max.delay.ms", |v| {
                    let ms = u32_of(v, "scheduled.rebalance.max.delay.ms")?;
                    if ms > crate::connect::distributed::MAX_DELAY_MS {
                        return Err(v.err(format!(
                            "scheduled.rebalance.max.delay.ms is at most {}",
                            crate::connect::distributed::MAX_DELAY_MS
                        )));
                    }
                    Ok(ms)
                })?;
                ConnectCommand::WorkerAddDistributed {
                    name: n,
                    group: group.map(|g| g.text.to_string()),
                    max_delay_ms,
                }
            }
        }
        "stop" => {
            ctx.connect.worker(name)?;
            ConnectCommand::WorkerStop { name: n }
        }
        "crash" => {
            ctx.connect.worker(name)?;
            ConnectCommand::WorkerCrash { name: n }
        }
        _ => {
            ctx.connect.worker(name)?;
            ConnectCommand::WorkerRestart { name: n }
        }
    }))
}

/// `connector create NAME worker=W CONFIG=VALUE…`, `connector pause|resume|stop|delete NAME`,
/// `connector restart NAME [include-tasks] [only-failed]`.
pub(super) fn connector(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    let sub = super::subcommand(
        cur,
        head,
        &["create", "pause", "resume", "stop", "restart", "delete"],
    )?;
    let info = &ctx.connect;
    let name = cur.word("the connector's name")?;
    let n = name.text.to_string();
    let c = match sub {
        "create" => {
            check_name(name, "connector")?;
            if info.connectors.contains_key(name.text) {
                return Err(name.err(format!("Connector {} already exists", name.text)));
            }
            let opts = create_options(cur)?;
            let worker = opts.get("worker").ok_or_else(|| {
                LineError::new(cur.end_col(), "missing option worker=").hint(
                    "e.g. connector create jdbc worker=w1 connector.class=JdbcSource table.whitelist=users",
                )
            })?;
            info.worker(worker)?;
            let config: Vec<(String, String)> = opts
                .items
                .iter()
                .filter(|(k, _)| k != "worker")
                .map(|(k, v)| (k.clone(), v.text.to_string()))
                .collect();
            let parsed = ConnectorConfig::parse(&config).map_err(|e| {
                // Point at the config the message names (the longest such name: `topic` is in
                // `topic.prefix`), else at the connector's name.
                let at = opts
                    .items
                    .iter()
                    .filter(|(k, _)| e.contains(k.as_str()))
                    .max_by_key(|(k, _)| k.len())
                    .map_or(name, |(_, v)| *v);
                at.err(e)
            })?;
            for s in &parsed.systems {
                let kind = info.systems.get(s).copied().ok_or_else(|| {
                    let v = opts.get(parsed.class.system_config()).unwrap_or(name);
                    v.err(format!("unknown system '{s}'"))
                        .hint("declare it with 'system table NAME' or 'system file NAME'")
                })?;
                if kind != parsed.class.system_kind() {
                    let v = opts.get(parsed.class.system_config()).unwrap_or(name);
                    return Err(v.err(format!(
                        "'{s}' is a {}; {} works on a {}",
                        kind.name(),
                        parsed.class.full_name(),
                        parsed.class.system_kind().name()
                    )));
                }
            }
            let topics: Vec<String> = if parsed.class.is_source() {
                parsed
                    .systems
                    .iter()
                    .map(|s| parsed.source_topic(s))
                    .collect()
            } else {
                parsed.topics.clone()
            };
            let topics_at = ["topics", "topic.prefix", "topic"]
                .iter()
                .find_map(|k| opts.get(k))
                .unwrap_or(name);
            for t in &topics {
                if !ctx.topics.contains_key(t) {
                    return Err(topics_at
                        .err(format!("unknown topic '{t}'"))
                        .hint("create it first with 'topic create'"));
                }
            }
            ConnectCommand::ConnectorCreate {
                name: n,
                worker: worker.text.to_string(),
                config,
            }
        }
        "restart" => {
            info.connector(name)?;
            let mut include_tasks = false;
            let mut only_failed = false;
            while let Some(flag) = cur.peek() {
                let v = cur.word("include-tasks or only-failed")?;
                match v.text {
                    "include-tasks" if !include_tasks => include_tasks = true,
                    "only-failed" if !only_failed => only_failed = true,
                    _ => {
                        return Err(LineError::new(flag.col, format!("unexpected '{}'", v.text))
                            .hint("connector restart NAME [include-tasks] [only-failed]"));
                    }
                }
            }
            ConnectCommand::ConnectorRestart {
                name: n,
                include_tasks,
                only_failed,
            }
        }
        _ => {
            info.connector(name)?;
            cur.finish()?;
            match sub {
                "pause" => ConnectCommand::ConnectorPause { name: n },
                "resume" => ConnectCommand::ConnectorResume { name: n },
                "stop" => ConnectCommand::ConnectorStop { name: n },
                _ => ConnectCommand::ConnectorDelete { name: n },
            }
        }
    };
    Ok(Command::Connect(c))
}

/// `connector create`'s options, in order: `worker=` and the connector's configs, whose names
/// may be a transform's or a predicate's (`transforms.ALIAS.KEY`), so not a fixed list.
struct CreateOptions<'a> {
    items: Vec<(String, Val<'a>)>,
}

impl<'a> CreateOptions<'a> {
    fn get(&self, name: &str) -> Option<Val<'a>> {
        self.items.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

fn create_options<'a>(cur: &mut Cursor<'a>) -> Result<CreateOptions<'a>> {
    let items = cur.options_by(|name, col| {
        if name == "worker" || CONFIG_NAMES.contains(&name) || transform::is_transform_config(name)
        {
            return Ok(name.to_string());
        }
        let fallback = format!("options here: worker, {}", CONFIG_NAMES.join(", "));
        Err(
            LineError::new(col, format!("unknown option '{name}'")).hint(
                did_you_mean(name, CONFIG_NAMES.iter().copied().chain(["worker"]))
                    .unwrap_or(fallback),
            ),
        )
    })?;
    Ok(CreateOptions { items })
}

/// `task restart NAME-ID`.
pub(super) fn task(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    super::subcommand(cur, head, &["restart"])?;
    let (connector, task) = ctx.connect.task(cur.word("a task NAME-ID")?)?;
    cur.finish()?;
    Ok(Command::Connect(ConnectCommand::TaskRestart {
        connector,
        task,
    }))
}

/// A Connect metric and whether it compares as a state (`Some(true)`), a word or `none`
/// (`Some(false)`), or a number (`None`).
pub(super) fn metric(cur: &mut Cursor, ctx: &Context, name: Val) -> Result<(Metric, MetricKind)> {
    let info = &ctx.connect;
    let connector = |cur: &mut Cursor| -> Result<String> {
        let v = cur.word("a connector")?;
        info.connector(v)?;
        Ok(v.text.to_string())
    };
    let system = |cur: &mut Cursor| -> Result<(String, SystemKind)> {
        let v = cur.word("a system")?;
        Ok((v.text.to_string(), info.system(v)?))
    };
    use ConnectMetric as M;
    let (m, kind) = match name.text {
        "connector-state" => (M::ConnectorState(connector(cur)?), MetricKind::State),
        "task-state" | "task-worker" => {
            let (connector, task) = info.task(cur.word("a task NAME-ID")?)?;
            if name.text == "task-state" {
                (M::TaskState { connector, task }, MetricKind::State)
            } else {
                (M::TaskWorker { connector, task }, MetricKind::Word)
            }
        }
        "task-count" => (M::TaskCount(connector(cur)?), MetricKind::Count),
        "rows" | "lines" => {
            let v = cur.word("a system")?;
            let kind = info.system(v)?;
            let want = if name.text == "rows" {
                SystemKind::Table
            } else {
                SystemKind::File
            };
            if kind != want {
                return Err(v.err(format!(
                    "'{}' is a {}: ask '{}'",
                    v.text,
                    kind.name(),
                    if kind == SystemKind::Table {
                        "rows"
                    } else {
                        "lines"
                    }
                )));
            }
            (M::Size(v.text.to_string()), MetricKind::Count)
        }
        "row" => {
            let (system, _) = system(cur)?;
            let key = super::expectation::key_arg(cur)?;
            (M::Row { system, key }, MetricKind::Word)
        }
        "offset-flushes" => (M::OffsetFlushes(connector(cur)?), MetricKind::Count),
        "flushed-offset" => {
            let connector = connector(cur)?;
            let (system, _) = system(cur)?;
            (
                M::FlushedOffset { connector, system },
                MetricKind::CountOrNone,
            )
        }
        "status-state" | "status-worker" => {
            // A connector's name, or a task's NAME-ID.
            let v = cur.word("a connector or a task NAME-ID")?;
            let (connector, task) = if info.connectors.contains_key(v.text) {
                (v.text.to_string(), None)
            } else {
                let (c, t) = info.task(v)?;
                (c, Some(t))
            };
            if name.text == "status-state" {
                (M::StatusState { connector, task }, MetricKind::State)
            } else {
                (M::StatusWorker { connector, task }, MetricKind::Word)
            }
        }
        "produced" => (M::Produced(connector(cur)?), MetricKind::Count),
        "connector-duplicates" => (M::Duplicates(connector(cur)?), MetricKind::Count),
        "connector-filtered" => (M::Filtered(connector(cur)?), MetricKind::Count),
        "connector-skipped" => (M::Skipped(connector(cur)?), MetricKind::Count),
        "connector-retries" => (M::Retries(connector(cur)?), MetricKind::Count),
        _ => (M::Written(connector(cur)?), MetricKind::Count),
    };
    Ok((Metric::Connect(m), kind))
}

/// How a Connect metric's value is written.
pub(super) enum MetricKind {
    /// `AbstractStatus.State`.
    State,
    /// A word or `none`.
    Word,
    Count,
    CountOrNone,
}

/// A state as `connector-state` and `task-state` compare it.
pub(super) fn state(v: Val) -> Result<String> {
    if STATES.contains(&v.text) {
        return Ok(v.text.to_string());
    }
    let fallback = format!("the states are {}", STATES.join(", "));
    Err(v
        .err(format!("unknown connector or task state '{}'", v.text))
        .hint(did_you_mean(v.text, STATES.iter().copied()).unwrap_or(fallback)))
}

#[cfg(test)]
mod tests {
    use crate::scenario::parser::parse;

    const SETUP: &str = "brokers 1\ntopic create db-users partitions=1 replication=1\nsystem table users\nworker add w1\n";

    /// The one error of a `connector create` line with these configs after a valid JDBC source's.
    fn error(configs: &str) -> String {
        let src = format!(
            "{SETUP}connector create c worker=w1 connector.class=JdbcSource table.whitelist=users topic.prefix=db- {configs}"
        );
        match parse("c.scenario", &src) {
            Ok(_) => panic!("{configs:?} parsed but should not"),
            Err(e) => {
                assert_eq!(e.len(), 1, "{e:?}");
                e[0].to_string()
            }
        }
    }

    /// Column of `needle`'s value in the create line (1-based), for the expected FILE:LINE:COL.
    fn col(configs: &str, needle: &str) -> usize {
        let line = format!(
            "connector create c worker=w1 connector.class=JdbcSource table.whitelist=users topic.prefix=db- {configs}"
        );
        line.find(needle).expect("in the line") + needle.len() + 1
    }

    #[test]
    fn transform_configs_are_accepted() {
        let src = format!(
            "{SETUP}connector create c worker=w1 connector.class=JdbcSource table.whitelist=users topic.prefix=db- transforms=a transforms.a.type=InsertField$Value transforms.a.static.field=f transforms.a.static.value=v\nexpect connector-filtered c == 0\nexpect connector-retries c == 0\nexpect connector-skipped c == 0"
        );
        assert!(parse("c.scenario", &src).is_ok());
    }

    #[test]
    fn bad_transform_configs_point_at_the_config() {
        let c = "transforms=a transforms.a.type=Nope";
        assert_eq!(
            error(c),
            format!(
                "c.scenario:5:{}: Invalid value Nope for configuration transforms.a.type: Class Nope could not be found.",
                col(c, "transforms.a.type=")
            )
        );
        let c = "transforms=a,a";
        assert_eq!(
            error(c),
            format!(
                "c.scenario:5:{}: Invalid value a,a for configuration transforms: Duplicate alias provided.",
                col(c, "transforms=")
            )
        );
        let c = "transforms=a transforms.a.type=Filter transforms.a.predicate=p";
        assert_eq!(
            error(c),
            format!(
                "c.scenario:5:{}: Invalid value p for configuration transforms.a.predicate: no predicate 'p' in predicates",
                col(c, "transforms.a.predicate=")
            )
        );
        let c = "transforms=a transforms.a.type=MaskField$Value transforms.a.fields=x transforms.a.colour=red";
        assert!(error(c).starts_with(&format!(
            "c.scenario:5:{}: MaskField$Value does not take 'transforms.a.colour'",
            col(c, "transforms.a.colour=")
        )));
        let c = "predicates=p predicates.p.type=TopicNameMatches predicates.p.pattern=(";
        assert!(error(c).starts_with(&format!(
            "c.scenario:5:{}: Invalid value ( for configuration predicates.p.pattern",
            col(c, "predicates.p.pattern=")
        )));
        // A name that is no config at all is refused by the line's own option check.
        let c = "transfroms=a";
        assert!(error(c).starts_with(&format!(
            "c.scenario:5:{}: unknown option 'transfroms' (did you mean 'transforms'?)",
            col(c, "transfroms=") - "transfroms=".len()
        )));
    }
}
