//! The parser of the scenario language (docs/scenario-language.md, contract v1).
//!
//! [`parse`] checks a whole file and reports every error, in line order; [`parse_line`] parses one
//! console line against a [`Context`] that the console keeps between lines. Both share one
//! validator, so a line means the same thing in a file and in the console:
//!
//! ```text
//! brokers 3
//! topic create orders partitions=3 replication=2
//! producer add p1 topic=orders rate=5/s keys=user-1..user-50
//! group add billing topics=orders consumers=2 assignor=cooperative-sticky
//! at 5s broker kill 1
//! expect leader orders/0 != 1
//! expect members billing == billing-1,billing-2
//! ```
//!
//! Validation is static: it knows what earlier lines declared (brokers, topics and their shape,
//! producers and their rates, consumer groups and their consumers) and how far `wait` and `at`
//! have moved simulated time, never the cluster's state. It enforces the room's limits
//! (`crate::limits`) with the same messages as `Cluster::apply`, pointing at the word.
//!
//! Each command has one function below with its wire form in its doc comment.

use std::collections::{BTreeMap, BTreeSet};

use super::ast::{Action, Expectation, Metric, Op, Pos, Script, Step, Value, WAIT_UNTIL_TIMEOUT};
use super::diagnostic::{Diagnostic, LineError, did_you_mean};
use super::lexer::{Token, TokenKind, col_len, tokenize};
use crate::command::{
    Acks, CleanupPolicy, ClusterSpec, Command, ConsumerSpec, GroupSpec, KeySpec, OffsetReset,
    PartitionerKind, ProducerSpec, Rate, TopicPartition, TopicSpec,
};
use crate::config::{ConsumerConfig, ProducerConfigError};
use crate::group::assignor::AssignorKind;
use crate::limits::{self, MAX_CONSUMERS, MAX_NAME_CHARS};
use crate::time::{Micros, format_duration};

mod connect;
pub mod expr;
mod expr_text;
mod focus;
mod kafka_client;
pub mod listing;
mod streams;
mod streams_commands;
mod streams_line;
mod streams_ops;
mod streams_types;

pub use connect::ConnectInfo;
pub use streams_commands::{AppInfo, InstanceInfo, STREAMS_STATES};

type Result<T, E = LineError> = std::result::Result<T, E>;

/// The file name used in diagnostics of [`parse_line`].
pub const CONSOLE: &str = "console";

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/// Parses and validates a whole scenario file. Every error is reported, in line order; a line
/// with an error is skipped but what it declared (a topic name, a producer) is still known, so
/// one mistake does not cascade into errors on every later line.
pub fn parse(file: &str, src: &str) -> Result<Script, Vec<Diagnostic>> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut ctx = Context::default();
    let mut script = Script {
        file: file.to_string(),
        title: None,
        seed: None,
        steps: Vec::new(),
    };
    let mut errors = Vec::new();
    let lines: Vec<(u32, &str)> = src
        .lines()
        .enumerate()
        .map(|(i, text)| {
            (
                u32::try_from(i).map_or(u32::MAX, |i| i.saturating_add(1)),
                text,
            )
        })
        .collect();
    let mut rest = lines.as_slice();
    // The `say` step a `|` code line would extend: the step of the line just above, when that
    // was a `say` or one of its code lines. `Err(())` after a line with an error, so that a
    // failed `say`'s code lines add no errors of their own.
    let mut listing: Result<Option<usize>, ()> = Ok(None);
    while let Some((&(line, text), after)) = rest.split_first() {
        rest = after;
        if let Some(code) = listing::code_line(text) {
            let col = u32::try_from(text.len() - text.trim_start().len() + 1).unwrap_or(1);
            let said = match listing {
                Ok(Some(i)) => match &mut script.steps[i].action {
                    Action::Say(said) => Some(said),
                    _ => None,
                },
                Ok(None) => None,
                Err(()) => continue,
            };
            let added = match (code, said) {
                (Err(e), _) => Err(e),
                (Ok(_), None) => Err(listing::orphan(col)),
                (Ok(code), Some(said)) => listing::extend(said, &code, col),
            };
            if let Err(e) = added {
                errors.push(e.at(file, line));
                listing = Err(());
            }
            continue;
        }
        listing = Ok(None);
        if streams::opens_block(text) {
            // `streams app … end`: the lines up to `end` are the block's.
            let end = after.iter().position(|(_, t)| streams::closes_block(t));
            let body = &after[..end.unwrap_or(after.len())];
            rest = &after[end.map_or(after.len(), |e| e + 1)..];
            if let Err((at, e)) =
                streams_block((line, text), body, end.is_some(), &mut ctx, &mut script)
            {
                errors.push(e.at(file, at));
                ctx.recover_app(text);
            }
            continue;
        }
        let before = script.steps.len();
        if let Err(e) = file_line(text, line, &mut ctx, &mut script) {
            errors.push(e.at(file, line));
            ctx.recover(text);
            listing = Err(());
        } else if script.steps.len() > before
            && matches!(script.steps[before].action, Action::Say(_))
        {
            listing = Ok(Some(before));
        }
    }
    if errors.is_empty() {
        Ok(script)
    } else {
        Err(errors)
    }
}

/// Parses one console line (file name `console`, line 1). `Ok(None)` for a blank line or a
/// comment. On success what the line declares is recorded in `ctx`; on error `ctx` is untouched.
/// `title` and `seed` belong to files and are refused here.
pub fn parse_line(src: &str, ctx: &mut Context) -> Result<Option<Step>, Diagnostic> {
    console_line(src, ctx, false)
}

/// [`parse_line`] for a line the room itself journaled and now replays (after a rewind, or a
/// saved room coming back): `kafka-client` lines, which a person may not type, are accepted.
pub fn parse_journal_line(src: &str, ctx: &mut Context) -> Result<Option<Step>, Diagnostic> {
    console_line(src, ctx, true)
}

fn console_line(
    src: &str,
    ctx: &mut Context,
    real_clients: bool,
) -> Result<Option<Step>, Diagnostic> {
    // A `streams app` block pasted whole; any other input is one line (a line break in it is
    // refused like every control character).
    let first = src
        .lines()
        .find(|l| tokenize(l).is_ok_and(|t| !t.is_empty()));
    if src.lines().nth(1).is_some() && first.is_some_and(streams::opens_block) {
        return console_block(src, ctx);
    }
    match parse_one(src, ctx).map_err(|e| e.at(CONSOLE, 1))? {
        Parsed::Blank => Ok(None),
        Parsed::Title { col, .. } => Err(file_only(col, "title")),
        Parsed::Seed { col, .. } => Err(file_only(col, "seed")),
        Parsed::Step { col, at, action } => {
            if !real_clients
                && let Action::Cluster(command) = &action
                && crate::client::journal::is_client_command(command)
            {
                return Err(LineError::new(
                    col,
                    "'kafka-client' lines replay real Kafka clients' requests from an exported \
                     session; they cannot be typed in the console",
                )
                .hint("connect a Kafka client to the room's brokers (docs/kafka-clients.md)")
                .at(CONSOLE, 1));
            }
            let step = Step {
                pos: Pos { line: 1, col },
                at,
                action,
            };
            ctx.apply(&step);
            Ok(Some(step))
        }
    }
}

/// A `streams app` block of a file: a step that declares the application.
fn streams_block(
    header: (u32, &str),
    body: &[(u32, &str)],
    closed: bool,
    ctx: &mut Context,
    script: &mut Script,
) -> std::result::Result<(), (u32, LineError)> {
    let col = tokenize(header.1)
        .ok()
        .and_then(|t| t.first().map(|t| t.col))
        .unwrap_or(1);
    if !closed {
        return Err((header.0, streams_commands::unclosed(col)));
    }
    let app = streams::app(header, body, ctx)?;
    let step = Step {
        pos: app.pos,
        at: None,
        action: Action::Cluster(Command::StreamsApp(Box::new(app))),
    };
    ctx.apply(&step);
    script.steps.push(step);
    Ok(())
}

/// A `streams app` block sent as one console input of several lines (line numbers count
/// within it). Anything after its `end` is refused: a console input is one command.
fn console_block(src: &str, ctx: &mut Context) -> Result<Option<Step>, Diagnostic> {
    let lines: Vec<(u32, &str)> = src
        .lines()
        .enumerate()
        .map(|(i, text)| {
            (
                u32::try_from(i).map_or(u32::MAX, |i| i.saturating_add(1)),
                text,
            )
        })
        .skip_while(|(_, t)| tokenize(t).is_ok_and(|t| t.is_empty()))
        .collect();
    let Some((&header, after)) = lines.split_first() else {
        return Ok(None);
    };
    let end = after.iter().position(|(_, t)| streams::closes_block(t));
    let body = &after[..end.unwrap_or(after.len())];
    if let Some(&(n, text)) = end.and_then(|e| {
        after[e + 1..]
            .iter()
            .find(|(_, t)| !tokenize(t).is_ok_and(|t| t.is_empty()))
    }) {
        let _ = text;
        return Err(LineError::new(
            1,
            "nothing may follow the block's 'end' in one console input",
        )
        .at(CONSOLE, n));
    }
    let mut script = Script {
        file: CONSOLE.to_string(),
        title: None,
        seed: None,
        steps: Vec::new(),
    };
    let mut scratch = ctx.clone();
    streams_block(header, body, end.is_some(), &mut scratch, &mut script)
        .map_err(|(line, e)| e.at(CONSOLE, line))?;
    *ctx = scratch;
    Ok(script.steps.pop())
}

fn file_only(col: u32, word: &str) -> Diagnostic {
    LineError::new(col, format!("'{word}' can only be set in a scenario file")).at(CONSOLE, 1)
}

/// One line of a file: steps go to the script, `title` and `seed` to its header.
fn file_line(text: &str, line: u32, ctx: &mut Context, script: &mut Script) -> Result<()> {
    match parse_one(text, ctx)? {
        Parsed::Blank => {}
        Parsed::Title { col, text } => {
            if script.title.is_some() {
                return Err(
                    LineError::new(col, "the title is already set").hint("'title' may appear once")
                );
            }
            script.title = Some(text);
        }
        Parsed::Seed { col, seed } => {
            if script.seed.is_some() {
                return Err(
                    LineError::new(col, "the seed is already set").hint("'seed' may appear once")
                );
            }
            script.seed = Some(seed);
        }
        Parsed::Step { col, at, action } => {
            let step = Step {
                pos: Pos { line, col },
                at,
                action,
            };
            ctx.apply(&step);
            script.steps.push(step);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Context: the static symbol table
// ---------------------------------------------------------------------------------------------

/// What the lines parsed so far have declared: the console keeps one between lines, [`parse`]
/// one per file. The fields are public so that a console can be started from an existing room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// `brokers N`, once declared.
    pub brokers: Option<u32>,
    /// Topics created so far (deleted ones removed).
    pub topics: BTreeMap<String, TopicInfo>,
    /// Topics deleted by `topic delete` and not created again, with the shape they had: a
    /// command naming one is told so; `expect` and `wait until` may still ask about one (the
    /// answers say it is gone: no leader, no committed offsets).
    pub deleted_topics: BTreeMap<String, TopicInfo>,
    /// Partitions created so far, deleted topics' included (`limits::MAX_PARTITION_SLOTS`).
    pub partition_slots: u64,
    /// Producers added so far (stopped ones included: a name is never reused).
    pub producers: BTreeMap<String, ProducerInfo>,
    /// Consumer groups added so far.
    pub groups: BTreeMap<String, GroupInfo>,
    /// Consumers started so far, by `group add` or `consumer add` (stopped and crashed ones
    /// included: a name is never reused).
    pub consumers: BTreeMap<String, ConsumerInfo>,
    /// Streams applications declared so far (`streams app … end`).
    pub apps: BTreeMap<String, AppInfo>,
    /// Streams instances started so far, by `streams app` (`APP-1` … `APP-N`) or `streams add`
    /// (stopped and crashed ones included: a name is never reused).
    pub instances: BTreeMap<String, InstanceInfo>,
    /// Kafka Connect's systems, workers and connectors declared so far.
    pub connect: ConnectInfo,
    /// Simulated time reached statically: only `wait` and `at` move it; setup takes no time.
    pub time: Micros,
    /// Names declared by lines that failed to parse (files only), to avoid cascading errors.
    recovered: Recovered,
}

/// The shape of a created topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicInfo {
    pub partitions: u32,
    pub replication: u32,
}

/// A producer added by `producer add`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerInfo {
    pub topic: String,
    pub stopped: bool,
    /// Its steady rate (`rate=`, then `producer rate`), `None` without one: the sum over the
    /// producers not stopped is held to [`limits::MAX_TOTAL_PRODUCER_RATE_PER_S`].
    pub rate: Option<Rate>,
}

/// A consumer group added by `group add`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// The group's subscription (what `consumer add` subscribes to by default).
    pub topics: Vec<String>,
}

/// A consumer started by `group add` (`G-1` … `G-N`) or `consumer add`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerInfo {
    pub group: String,
    /// Stopped or crashed: it takes no more commands.
    pub stopped: bool,
    /// Stalled by `consumer stall` and not resumed since.
    pub stalled: bool,
}

impl ConsumerInfo {
    fn new(group: &str) -> Self {
        ConsumerInfo {
            group: group.to_string(),
            stopped: false,
            stalled: false,
        }
    }
}

/// Declarations of lines with errors: known to exist, shape unknown; checks against them pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Recovered {
    brokers: bool,
    topics: BTreeSet<String>,
    producers: BTreeSet<String>,
    groups: BTreeSet<String>,
    consumers: BTreeSet<String>,
    /// Groups of failed `group add` lines whose number of consumers is unknown: every `G-N`
    /// counts as one of their consumers.
    numbered: BTreeSet<String>,
    /// Streams applications of failed blocks: every `APP-N` counts as one of their instances.
    apps: BTreeSet<String>,
}

impl Context {
    /// Records what a step declares and how far it moves static time. [`parse`] and
    /// [`parse_line`] call this for every step they return.
    pub fn apply(&mut self, step: &Step) {
        if let Some(at) = step.at {
            self.time = self.time.max(at);
        }
        match &step.action {
            Action::Wait(d) => self.time = self.time.saturating_add(*d),
            Action::Cluster(command) => self.apply_command(command),
            // How long a `wait until` lasts is known only when it runs: static time stays where
            // it was (a lower bound), so an `at` after it is never refused for being late.
            Action::Pause
            | Action::Say(_)
            | Action::Focus(_)
            | Action::Expect(_)
            | Action::WaitUntil { .. } => {}
        }
    }

    /// Records what a cluster command declares (brokers, a topic, a producer, a group, a
    /// consumer, a stop, a stall).
    pub fn apply_command(&mut self, command: &Command) {
        match command {
            Command::Brokers(spec) => self.brokers = Some(spec.brokers),
            Command::TopicCreate(spec) => {
                let info = TopicInfo {
                    partitions: spec.partitions,
                    replication: spec.replication,
                };
                self.topics.insert(spec.name.clone(), info);
                self.deleted_topics.remove(&spec.name);
                self.partition_slots = self
                    .partition_slots
                    .saturating_add(u64::from(spec.partitions));
            }
            Command::TopicDelete { name } => {
                if let Some(info) = self.topics.remove(name) {
                    self.deleted_topics.insert(name.clone(), info);
                }
            }
            Command::ProducerAdd(spec) => {
                let info = ProducerInfo {
                    topic: spec.topic.clone(),
                    stopped: false,
                    rate: spec.rate,
                };
                self.producers.insert(spec.name.clone(), info);
            }
            Command::ProducerStop { name } => {
                if let Some(p) = self.producers.get_mut(name) {
                    p.stopped = true;
                }
            }
            Command::ProducerRate { name, rate } => {
                if let Some(p) = self.producers.get_mut(name) {
                    p.rate = Some(*rate);
                }
            }
            Command::GroupAdd(spec) => {
                let info = GroupInfo {
                    topics: spec.topics.clone(),
                };
                self.groups.insert(spec.name.clone(), info);
                for i in 1..=spec.consumers.unwrap_or(1) {
                    self.consumers
                        .insert(format!("{}-{i}", spec.name), ConsumerInfo::new(&spec.name));
                }
            }
            Command::ConsumerAdd(spec) => {
                self.consumers
                    .insert(spec.name.clone(), ConsumerInfo::new(&spec.group));
            }
            Command::ConsumerStop { name } | Command::ConsumerCrash { name } => {
                if let Some(c) = self.consumers.get_mut(name) {
                    c.stopped = true;
                }
            }
            Command::ConsumerRestart { name } => {
                if let Some(c) = self.consumers.get_mut(name) {
                    c.stopped = false;
                    c.stalled = false;
                }
            }
            Command::ConsumerStall { name } | Command::ConsumerResume { name } => {
                let stall = matches!(command, Command::ConsumerStall { .. });
                if let Some(c) = self.consumers.get_mut(name) {
                    c.stalled = stall;
                }
            }
            Command::StreamsApp(app) => self.declare_app(app),
            Command::StreamsAdd {
                instance,
                app,
                threads,
            } => {
                let threads = threads
                    .or(self.apps.get(app).map(|a| a.threads))
                    .unwrap_or(1);
                let info = InstanceInfo {
                    app: app.clone(),
                    threads,
                    stopped: false,
                };
                self.instances.insert(instance.clone(), info);
            }
            Command::StreamsStop { instance } | Command::StreamsCrash { instance } => {
                if let Some(i) = self.instances.get_mut(instance) {
                    i.stopped = true;
                }
            }
            Command::Connect(c) => {
                if let crate::connect::ConnectCommand::WorkerAddDistributed { .. } = c {
                    // The first distributed worker creates Connect's internal topics.
                    use crate::connect::internal_topics as it;
                    let replication = self.brokers.unwrap_or(1).min(3);
                    for (name, partitions) in [
                        (it::CONFIG_TOPIC, 1),
                        (it::OFFSET_TOPIC, it::OFFSET_PARTITIONS),
                        (it::STATUS_TOPIC, it::STATUS_PARTITIONS),
                    ] {
                        self.topics.entry(name.to_string()).or_insert(TopicInfo {
                            partitions,
                            replication,
                        });
                    }
                }
                self.connect.apply(c)
            }
            // A group a real client brought may be named by later lines (`expect committed`,
            // `group delete`), as the live room lets the console name it (`room/kafka_group.rs`).
            Command::ExternalGroup(request) if !request.group.is_empty() => {
                self.groups
                    .entry(request.group.clone())
                    .or_insert_with(|| GroupInfo { topics: Vec::new() });
            }
            _ => {}
        }
    }

    /// After a `streams app` block failed: its name is known to exist.
    fn recover_app(&mut self, header: &str) {
        if let Some(name) = streams::declared_name(header)
            && !self.apps.contains_key(&name)
        {
            self.recovered.apps.insert(name);
        }
    }

    /// After a line failed: remember, as best we can, what it meant to declare.
    fn recover(&mut self, line: &str) {
        let Ok(tokens) = tokenize(line) else { return };
        let words: Vec<&str> = tokens.iter().map(|t| t.raw.as_str()).collect();
        let mut rest = words.as_slice();
        if let ["at", time, tail @ ..] = rest {
            if let Ok(t) = duration(Val::plain(time)) {
                self.time = self.time.max(t);
            }
            rest = tail;
        }
        match rest {
            ["brokers", ..] => self.recovered.brokers = true,
            ["topic", "create", name, ..] if !self.topics.contains_key(*name) => {
                self.recovered.topics.insert(name.to_string());
            }
            ["producer", "add", name, ..] if !self.producers.contains_key(*name) => {
                self.recovered.producers.insert(name.to_string());
            }
            ["group", "add", name, options @ ..] if !self.groups.contains_key(*name) => {
                self.recovered.groups.insert(name.to_string());
                let count = match options.iter().find_map(|o| o.strip_prefix("consumers=")) {
                    None => Some(1),
                    Some(n) => n.parse::<usize>().ok().filter(|n| *n <= MAX_CONSUMERS),
                };
                match count {
                    Some(n) => {
                        let names = (1..=n).map(|i| format!("{name}-{i}"));
                        let new = names.filter(|c| !self.consumers.contains_key(c));
                        self.recovered.consumers.extend(new.collect::<Vec<_>>());
                    }
                    None => {
                        self.recovered.numbered.insert(name.to_string());
                    }
                }
            }
            ["consumer", "add", name, ..] if !self.consumers.contains_key(*name) => {
                self.recovered.consumers.insert(name.to_string());
            }
            _ => {}
        }
    }

    /// The sum of the steady rates of the producers not stopped (paused ones included: they
    /// resume at their rate), in records per hour, leaving out `except`. Producers of failed
    /// lines count for nothing.
    fn producer_rate_total(&self, except: Option<&str>) -> u128 {
        self.producers
            .iter()
            .filter(|(name, p)| !p.stopped && except != Some(name.as_str()))
            .filter_map(|(_, p)| p.rate)
            .map(|r| u128::from(r.per_hour))
            .sum()
    }

    /// What the cluster declared so far costs per simulated second (see [`limits::Load`]).
    fn load(&self) -> limits::Load {
        limits::Load {
            producer_rate_per_hour: self.producer_rate_total(None),
            follower_replicas: self.topics.values().fold(0, |n, t| {
                n.saturating_add(
                    u64::from(t.partitions) * u64::from(t.replication.saturating_sub(1)),
                )
            }),
            // Each running stream thread polls with its own consumer.
            consumers: self.consumers.values().filter(|c| !c.stopped).count() as u64
                + self.running_stream_threads(),
        }
    }

    /// The partitions and partition replicas of the topics created so far.
    fn topic_totals(&self) -> (u64, u64) {
        self.topics.values().fold((0, 0), |(p, r), t| {
            let partitions = u64::from(t.partitions);
            (
                p.saturating_add(partitions),
                r.saturating_add(partitions * u64::from(t.replication)),
            )
        })
    }

    /// The number of brokers, `None` when their declaration failed; an error if never declared.
    fn require_brokers(&self, at: Val) -> Result<Option<u32>> {
        match self.brokers {
            Some(n) => Ok(Some(n)),
            None if self.recovered.brokers => Ok(None),
            None => Err(at
                .err("no brokers yet")
                .hint("declare the cluster first, e.g. 'brokers 3'")),
        }
    }

    /// A broker id: `1..=N`.
    fn broker_id(&self, v: Val) -> Result<u32> {
        let id = u32_of(v, "a broker id")?;
        if id == 0 {
            return Err(v
                .err("there is no broker 0")
                .hint("brokers are numbered from 1"));
        }
        match self.require_brokers(v)? {
            Some(n) if id > n => Err(v
                .err(format!("there is no broker {id}"))
                .hint(broker_range(n))),
            _ => Ok(id),
        }
    }

    /// A comma-separated list of distinct broker ids, none of them in `other`.
    fn broker_list(&self, v: Val, other: &[u32]) -> Result<Vec<u32>> {
        let other: BTreeSet<u32> = other.iter().copied().collect();
        let mut seen = BTreeSet::new();
        let mut ids = Vec::new();
        for item in v.items() {
            let id = self.broker_id(item)?;
            if !seen.insert(id) {
                return Err(item.err(format!("broker {id} is listed twice")));
            }
            if other.contains(&id) {
                return Err(item.err(format!("broker {id} is on both sides")));
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// A topic named in a command. `None` when its `topic create` line failed (already reported).
    fn topic(&self, v: Val) -> Result<Option<TopicInfo>> {
        if let Some(info) = self.topics.get(v.text) {
            return Ok(Some(*info));
        }
        if self.recovered.topics.contains(v.text) {
            return Ok(None);
        }
        let err = v.err(format!("unknown topic '{}'", v.text));
        if self.deleted_topics.contains_key(v.text) {
            return Err(v
                .err(format!("topic '{}' was deleted", v.text))
                .hint("an earlier 'topic delete' removed it; 'topic create' makes it again"));
        }
        let names = self.topics.keys().map(String::as_str);
        Err(match did_you_mean(v.text, names) {
            Some(hint) => err.hint(hint),
            None if self.topics.is_empty() => err.hint("create it first with 'topic create'"),
            None => err,
        })
    }

    /// A topic an expectation asks about: one that exists, or one deleted.
    fn topic_to_ask(&self, v: Val) -> Result<Option<TopicInfo>> {
        match self.deleted_topics.get(v.text) {
            Some(info) => Ok(Some(*info)),
            None => self.topic(v),
        }
    }

    /// `TOPIC/N`, with N a partition of the topic.
    fn partition(&self, v: Val) -> Result<TopicPartition> {
        self.partition_of(v, false)
    }

    /// `TOPIC/N` in an expectation: a deleted topic's partitions may be asked about.
    fn partition_to_ask(&self, v: Val) -> Result<TopicPartition> {
        self.partition_of(v, true)
    }

    fn partition_of(&self, v: Val, deleted_ok: bool) -> Result<TopicPartition> {
        let Some((topic, index)) = v.text.rsplit_once('/') else {
            return Err(v
                .err(format!("expected a partition TOPIC/N, found '{}'", v.text))
                .hint(format!("e.g. {}/0", v.text)));
        };
        let topic_val = v.slice(0, topic);
        let index_val = v.slice(topic.len() + 1, index);
        if topic.is_empty() {
            return Err(v
                .err("missing topic before '/'")
                .hint("write a partition as TOPIC/N, e.g. orders/0"));
        }
        let info = if deleted_ok {
            self.topic_to_ask(topic_val)?
        } else {
            self.topic(topic_val)?
        };
        let partition = u32_of(index_val, "a partition number")?;
        if let Some(info) = info.filter(|i| partition >= i.partitions) {
            let last = info.partitions.saturating_sub(1);
            return Err(index_val
                .err(format!("topic '{topic}' has no partition {partition}"))
                .hint(format!("its partitions are {topic}/0 … {topic}/{last}")));
        }
        Ok(TopicPartition {
            topic: topic.to_string(),
            partition,
        })
    }

    /// A producer named in `producer stop|rate`: added and not stopped.
    fn running_producer(&self, v: Val) -> Result<()> {
        match self.producers.get(v.text) {
            Some(p) if p.stopped => Err(v.err(format!("producer '{}' is already stopped", v.text))),
            Some(_) => Ok(()),
            None if self.recovered.producers.contains(v.text) => Ok(()),
            None => {
                let err = v.err(format!("unknown producer '{}'", v.text));
                let names = self.producers.keys().map(String::as_str);
                Err(match did_you_mean(v.text, names) {
                    Some(hint) => err.hint(hint),
                    None if self.producers.is_empty() => {
                        err.hint("add it first with 'producer add NAME topic=T'")
                    }
                    None => err,
                })
            }
        }
    }

    /// A comma-separated list of distinct topics (`topics=orders,payments`).
    fn topic_list(&self, v: Val) -> Result<Vec<String>> {
        let mut topics: Vec<String> = Vec::new();
        for item in v.items() {
            if item.text.is_empty() {
                return Err(item
                    .err("missing topic in the list")
                    .hint("lists are comma-separated, without spaces: topics=orders,payments"));
            }
            self.topic(item)?;
            if topics.iter().any(|t| t == item.text) {
                return Err(item.err(format!("topic '{}' is listed twice", item.text)));
            }
            topics.push(item.text.to_string());
        }
        Ok(topics)
    }

    /// A group named in a command or metric. `None` when its `group add` line failed.
    fn group(&self, v: Val) -> Result<Option<&GroupInfo>> {
        if let Some(info) = self.groups.get(v.text) {
            return Ok(Some(info));
        }
        if self.recovered.groups.contains(v.text) {
            return Ok(None);
        }
        let err = v.err(format!("unknown group '{}'", v.text));
        let names = self.groups.keys().map(String::as_str);
        Err(match did_you_mean(v.text, names) {
            Some(hint) => err.hint(hint),
            None if self.groups.is_empty() => err.hint("add it first with 'group add G topics=T'"),
            None => err,
        })
    }

    /// A group a metric or `focus` reads: a declared group, a Streams application's own group
    /// (Kafka Streams uses `application.id` as the group id, so `kafka-consumer-groups.sh`
    /// describes it like any other) or a group Connect made (a distributed cluster's `group.id`,
    /// a sink connector's `connect-NAME`). `consumer add` still needs a declared one: a plain
    /// consumer does not join those groups. `group delete` takes any of them, as
    /// `kafka-consumer-groups --delete` does (a deleted sink connector leaves its group behind).
    fn group_to_read(&self, v: Val) -> Result<()> {
        if self.apps.contains_key(v.text) || self.connect.groups.contains(v.text) {
            return Ok(());
        }
        self.group(v).map(|_| ())
    }

    /// Whether a consumer of this name was started, or meant to be by a line that failed.
    fn consumer_exists(&self, name: &str) -> bool {
        self.consumers.contains_key(name) || self.recovered_consumer(name)
    }

    /// A consumer declared by a line that failed (its state is unknown).
    fn recovered_consumer(&self, name: &str) -> bool {
        if self.recovered.consumers.contains(name) {
            return true;
        }
        name.rsplit_once('-').is_some_and(|(group, n)| {
            self.recovered.numbered.contains(group)
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
        })
    }

    /// A consumer named in `consumer stop|crash|stall|resume|rate`: started and neither stopped
    /// nor crashed. `None` when its declaration failed.
    fn running_consumer(&self, v: Val) -> Result<Option<&ConsumerInfo>> {
        match self.consumers.get(v.text) {
            Some(c) if c.stopped => Err(v
                .err(format!(
                    "consumer '{}' has already stopped or crashed",
                    v.text
                ))
                .hint("consumer names are never reused: add a new one with 'consumer add'")),
            Some(c) => Ok(Some(c)),
            None if self.recovered_consumer(v.text) => Ok(None),
            None => {
                let err = v.err(format!("unknown consumer '{}'", v.text));
                let names = self.consumers.keys().chain(&self.recovered.consumers);
                Err(match did_you_mean(v.text, names.map(String::as_str)) {
                    Some(hint) => err.hint(hint),
                    None if self.consumers.is_empty() && self.recovered.consumers.is_empty() => err.hint(
                        "start one first with 'group add G topics=T' or 'consumer add NAME group=G'",
                    ),
                    None => err,
                })
            }
        }
    }

    /// The consumer of a `consumer restart` line: it must have crashed or stopped.
    fn stopped_consumer(&self, v: Val) -> Result<()> {
        match self.consumers.get(v.text) {
            Some(c) if c.stopped => Ok(()),
            Some(_) => Err(v
                .err(format!("consumer '{}' is running", v.text))
                .hint(format!(
                    "only a crashed or stopped consumer can be restarted: 'consumer crash {}' first",
                    v.text
                ))),
            None if self.recovered_consumer(v.text) => Ok(()),
            None => self.running_consumer(v).map(|_| ()),
        }
    }

    /// A member named in an `expect` line: a consumer of `group` (stopped ones included).
    fn member(&self, group: &str, v: Val) -> Result<()> {
        if !self.groups.contains_key(group) {
            return Ok(()); // its `group add` line failed: its members are unknown
        }
        // A restarted consumer's member id is `NAME~N` (see `consumer restart`).
        let name = match v.text.rsplit_once('~') {
            Some((base, n))
                if n.parse::<u32>().is_ok_and(|n| n >= 2) && self.consumers.contains_key(base) =>
            {
                base
            }
            _ => v.text,
        };
        let err = match self.consumers.get(name) {
            Some(c) if c.group == group => return Ok(()),
            Some(c) => v.err(format!(
                "consumer '{}' belongs to group '{}', not '{group}'",
                v.text, c.group
            )),
            None if self.recovered_consumer(v.text) => return Ok(()),
            None => v.err(format!("unknown consumer '{}' in group '{group}'", v.text)),
        };
        let members: Vec<&str> = self
            .consumers
            .iter()
            .filter(|(_, c)| c.group == group)
            .map(|(name, _)| name.as_str())
            .collect();
        Err(match did_you_mean(v.text, members.iter().copied()) {
            Some(hint) => err.hint(hint),
            None if members.is_empty() => err.hint(format!("group '{group}' has no consumers")),
            None => err.hint(format!(
                "the consumers of '{group}' are {}",
                short_list(&members)
            )),
        })
    }
}

/// `a, b, c`, or the first few names and `…`.
fn short_list(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut text = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        text.push_str(", …");
    }
    text
}

fn broker_range(n: u32) -> String {
    if n == 1 {
        "the cluster has only broker 1".to_string()
    } else {
        format!("the cluster has brokers 1..{n}")
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens as values, and a cursor over a line
// ---------------------------------------------------------------------------------------------

/// A word or option value with the column where it starts.
#[derive(Debug, Clone, Copy)]
struct Val<'a> {
    text: &'a str,
    col: u32,
    quoted: bool,
}

impl<'a> Val<'a> {
    /// A value with no position (used only where errors are discarded).
    fn plain(text: &'a str) -> Self {
        Val {
            text,
            col: 1,
            quoted: false,
        }
    }

    /// A token as free text: a quoted string's content, otherwise the token as written.
    fn text_of(token: &'a Token) -> Self {
        match &token.kind {
            TokenKind::Quoted(text) => Val {
                text,
                col: token.col,
                quoted: true,
            },
            _ => Val {
                text: &token.raw,
                col: token.col,
                quoted: false,
            },
        }
    }

    fn err(&self, message: impl Into<String>) -> LineError {
        LineError::new(self.col, message)
    }

    /// The part `text` of this value that starts `byte_offset` bytes in, with its own column.
    fn slice(&self, byte_offset: usize, text: &'a str) -> Val<'a> {
        let before = self.text.get(..byte_offset).unwrap_or("");
        let col = self
            .col
            .saturating_add(u32::from(self.quoted))
            .saturating_add(col_len(before));
        Val {
            text,
            col,
            quoted: false,
        }
    }

    /// The comma-separated items of a list (`1,2,3`), each with its column.
    fn items(self) -> impl Iterator<Item = Val<'a>> {
        let mut col = self.col.saturating_add(u32::from(self.quoted));
        self.text.split(',').map(move |text| {
            let item = Val {
                text,
                col,
                quoted: false,
            };
            col = col.saturating_add(col_len(text)).saturating_add(1);
            item
        })
    }
}

/// Reads the tokens of one line from left to right.
struct Cursor<'a> {
    line: &'a str,
    tokens: &'a [Token],
    next: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.next)
    }

    fn bump(&mut self) -> Option<&'a Token> {
        let token = self.tokens.get(self.next)?;
        self.next += 1;
        Some(token)
    }

    /// Where something missing would be written: one space after the last token.
    fn end_col(&self) -> u32 {
        self.tokens
            .last()
            .map_or(1, |t| t.end_col().saturating_add(1))
    }

    fn missing(&self, what: &str) -> LineError {
        LineError::new(self.end_col(), format!("missing {what}"))
    }

    /// A bare word.
    fn word(&mut self, what: &str) -> Result<Val<'a>> {
        let Some(token) = self.bump() else {
            return Err(self.missing(what));
        };
        match &token.kind {
            TokenKind::Word => Ok(Val {
                text: &token.raw,
                col: token.col,
                quoted: false,
            }),
            TokenKind::Quoted(_) => Err(LineError::new(
                token.col,
                format!("expected {what}, found a quoted string"),
            )),
            TokenKind::Opt { .. } => Err(LineError::new(
                token.col,
                format!("expected {what}, found '{}'", token.raw),
            )),
        }
    }

    /// Free text: a quoted string or a single bare word, and nothing after it.
    fn text(&mut self, what: &str, command: &str) -> Result<Val<'a>> {
        let Some(token) = self.bump() else {
            return Err(self
                .missing(what)
                .hint(format!("e.g. {command} \"Leader election\"")));
        };
        let v = Val::text_of(token);
        if let Some(extra) = self.peek() {
            return Err(
                LineError::new(extra.col, format!("unexpected '{}'", extra.raw))
                    .hint(format!("put the whole text in quotes: {command} \"…\"")),
            );
        }
        Ok(v)
    }

    /// The line must end here.
    fn finish(&self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(token) => Err(LineError::new(
                token.col,
                format!("unexpected '{}'", token.raw),
            )),
        }
    }

    /// The rest of the line: options `name=value`, each at most once, all from `allowed`.
    fn options(&mut self, allowed: &[&'static str]) -> Result<Options<'a>> {
        let items = self.options_by(|name, col| {
            allowed
                .iter()
                .find(|a| **a == name)
                .copied()
                .ok_or_else(|| {
                    let fallback = format!("options here: {}", allowed.join(", "));
                    LineError::new(col, format!("unknown option '{name}'"))
                        .hint(did_you_mean(name, allowed.iter().copied()).unwrap_or(fallback))
                })
        })?;
        Ok(Options { items })
    }

    /// The rest of the line as options `name=value`, each at most once, in order; `known`
    /// gives an option's name as the caller keeps it, or the error for one it does not take.
    fn options_by<N: AsRef<str>>(
        &mut self,
        known: impl Fn(&str, u32) -> Result<N>,
    ) -> Result<Vec<(N, Val<'a>)>> {
        let mut items: Vec<(N, Val<'a>)> = Vec::new();
        while let Some(token) = self.bump() {
            let TokenKind::Opt {
                name,
                value,
                value_col,
                quoted,
            } = &token.kind
            else {
                return Err(
                    LineError::new(token.col, format!("unexpected '{}'", token.raw))
                        .hint("options are written name=value"),
                );
            };
            let known = known(name, token.col)?;
            let name = known.as_ref();
            if items.iter().any(|(n, _)| n.as_ref() == name) {
                return Err(LineError::new(
                    token.col,
                    format!("option '{name}' given twice"),
                ));
            }
            if value.is_empty() && !quoted {
                return Err(
                    LineError::new(token.col, format!("option '{name}' has no value"))
                        .hint(format!("write {name}=VALUE")),
                );
            }
            items.push((
                known,
                Val {
                    text: value,
                    col: *value_col,
                    quoted: *quoted,
                },
            ));
        }
        Ok(items)
    }

    /// The source text from column `col` to the end of the last token read so far.
    fn source_read(&self, col: u32) -> String {
        let end = self
            .next
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(col, Token::end_col);
        let skip = col.saturating_sub(1) as usize;
        let take = end.saturating_sub(col) as usize;
        self.line.chars().skip(skip).take(take).collect()
    }
}

/// The options of one command, in the order written.
#[derive(Debug, Default)]
struct Options<'a> {
    items: Vec<(&'static str, Val<'a>)>,
}

impl<'a> Options<'a> {
    fn get(&self, name: &str) -> Option<Val<'a>> {
        self.items.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// Parses an optional option with `f`.
    fn map<T>(&self, name: &str, f: impl FnOnce(Val<'a>) -> Result<T>) -> Result<Option<T>> {
        self.get(name).map(f).transpose()
    }

    /// A required option; its absence is reported where it could be written.
    fn required(&self, name: &str, cur: &Cursor, example: &str) -> Result<Val<'a>> {
        self.get(name).ok_or_else(|| {
            LineError::new(cur.end_col(), format!("missing option {name}="))
                .hint(format!("e.g. {example}"))
        })
    }

    fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| v.text.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// One line
// ---------------------------------------------------------------------------------------------

/// What one line turned out to be.
enum Parsed {
    Blank,
    Title {
        col: u32,
        text: String,
    },
    Seed {
        col: u32,
        seed: u64,
    },
    Step {
        col: u32,
        at: Option<Micros>,
        action: Action,
    },
}

/// Every command word, for `did you mean`.
const COMMANDS: &[&str] = &[
    "title",
    "seed",
    "brokers",
    "topic",
    "producer",
    "produce",
    "group",
    "consumer",
    "broker",
    "network",
    "elect-leaders",
    "wait",
    "at",
    "pause",
    "say",
    "focus",
    "expect",
    "streams",
    "system",
    "worker",
    "connector",
    "task",
    "kafka-client",
];

fn parse_one(line: &str, ctx: &Context) -> Result<Parsed> {
    // A `kafka-client` line's JSON is not the lexer's (`kafka_client::lexed_part`).
    let tokens = tokenize(kafka_client::lexed_part(line))?;
    let mut cur = Cursor {
        line,
        tokens: &tokens,
        next: 0,
    };
    if cur.peek().is_none() {
        return Ok(Parsed::Blank);
    }
    let head = cur.word("a command")?;
    match head.text {
        "title" => Ok(Parsed::Title {
            col: head.col,
            text: cur.text("the title", "title")?.text.to_string(),
        }),
        "seed" => seed(&mut cur, head),
        "at" => at(&mut cur, ctx, head),
        _ => Ok(Parsed::Step {
            col: head.col,
            at: None,
            action: action(&mut cur, ctx, head, ctx.time)?,
        }),
    }
}

/// `seed N`
fn seed(cur: &mut Cursor, head: Val) -> Result<Parsed> {
    let seed = uint(cur.word("the seed, a number")?, "a number")?;
    cur.finish()?;
    Ok(Parsed::Seed {
        col: head.col,
        seed,
    })
}

/// `at TIME COMMAND`: TIME counts from the start and may not be earlier than the time already
/// reached by the lines before.
fn at(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Parsed> {
    let time_val = cur.word("a time, e.g. 5s")?;
    let time = duration(time_val)?;
    if time < ctx.time {
        return Err(time_val
            .err(format!("time {} is in the past", format_duration(time)))
            .hint(format!(
                "the scenario is already at {} here",
                format_duration(ctx.time)
            )));
    }
    check_step(
        ctx,
        time_val,
        time - ctx.time,
        &limits::at_step(time, ctx.time),
    )?;
    let command = cur.word("a command after the time")?;
    if matches!(command.text, "at" | "title" | "seed") {
        return Err(command.err(format!("'{}' cannot be scheduled with 'at'", command.text)));
    }
    let action = action(cur, ctx, command, time)?;
    Ok(Parsed::Step {
        col: head.col,
        at: Some(time),
        action,
    })
}

/// A command that becomes a step. `now` is the static time at which it runs.
fn action(cur: &mut Cursor, ctx: &Context, head: Val, now: Micros) -> Result<Action> {
    let cluster = Action::Cluster;
    match head.text {
        "brokers" => brokers(cur, ctx, head).map(cluster),
        "topic" => topic(cur, ctx, head).map(cluster),
        "producer" => producer(cur, ctx, head).map(cluster),
        "produce" => produce(cur, ctx).map(cluster),
        "group" => group(cur, ctx, head).map(cluster),
        "consumer" => consumer(cur, ctx, head).map(cluster),
        "broker" => broker(cur, ctx, head).map(cluster),
        "network" => network(cur, ctx, head).map(cluster),
        "elect-leaders" => elect_leaders(cur, ctx).map(cluster),
        "wait" => wait(cur, ctx, now),
        "pause" => cur.finish().map(|()| Action::Pause),
        "say" => Ok(Action::Say(
            cur.text("the text to say", "say")?.text.to_string(),
        )),
        "focus" => focus::focus(cur, ctx),
        "expect" => expect(cur, ctx, head).map(Action::Expect),
        "streams" => streams_commands::streams(cur, ctx, head).map(cluster),
        "system" => connect::system(cur, ctx, head).map(cluster),
        "worker" => connect::worker(cur, ctx, head).map(cluster),
        "connector" => connect::connector(cur, ctx, head).map(cluster),
        "task" => connect::task(cur, ctx, head).map(cluster),
        "kafka-client" => kafka_client::kafka_client(cur, ctx, head).map(cluster),
        "end" => Err(head
            .err("'end' closes a 'streams app' block, but no block is open here")
            .hint("a block starts with 'streams app NAME'")),
        word => Err(head
            .err(format!("unknown command '{word}'"))
            .maybe_hint(did_you_mean(word, COMMANDS.iter().copied()))),
    }
}

/// The second word of a two-word command (`topic create`, `broker kill`, …).
fn subcommand(cur: &mut Cursor, head: Val, subs: &[&'static str]) -> Result<&'static str> {
    let expected = format!("'{}' is followed by {}", head.text, subs.join(", "));
    let Some(token) = cur.bump() else {
        return Err(cur
            .missing(&format!("what to do after '{}'", head.text))
            .hint(expected));
    };
    let bare = token.kind == TokenKind::Word;
    if let Some(&sub) = subs.iter().find(|s| bare && **s == token.raw) {
        return Ok(sub);
    }
    let err = LineError::new(
        token.col,
        format!("unknown command '{} {}'", head.text, token.raw),
    );
    Err(err.hint(did_you_mean(&token.raw, subs.iter().copied()).unwrap_or(expected)))
}

// ---------------------------------------------------------------------------------------------
// Setup and actions
// ---------------------------------------------------------------------------------------------

const BROKERS_OPTIONS: &[&str] = &[
    "latency",
    "replica-lag",
    "session-timeout",
    "retention-check",
];

/// `brokers N [latency=DURATION] [replica-lag=DURATION] [session-timeout=DURATION] [retention-check=DURATION]`
fn brokers(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
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
fn topic(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
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
fn check_topic_name(v: Val) -> Result<()> {
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
fn producer(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
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
fn produce(cur: &mut Cursor, ctx: &Context) -> Result<Command> {
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
fn group(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
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
fn consumer(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
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

/// Group and consumer names are member ids in comma-separated lists: no `,` in them; and like
/// every name, at most [`MAX_NAME_CHARS`] characters.
fn check_name(v: Val, what: &str) -> Result<()> {
    match v.text.find(',') {
        Some(i) => Err(v
            .slice(i, ",")
            .err(format!("',' is not allowed in a {what} name"))
            .hint("lists of members are comma-separated")),
        None => limit(v, limits::check_name(what, v.text)),
    }
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

/// A duration longer than zero for option `option`, an interval within the room's limits.
fn positive(v: Val, option: &str) -> Result<Micros> {
    let d = duration(v)?;
    if d == 0 {
        return Err(v.err(format!("{option} must be longer than 0")));
    }
    limit(v, limits::check_interval(option, d)).map(|()| d)
}

/// A setting that re-arms a timer every interval (`replica-lag`, `retention-check`, …).
fn interval(v: Val, option: &str) -> Result<Micros> {
    let d = duration(v)?;
    limit(v, limits::check_interval(option, d)).map(|()| d)
}

/// Any other duration setting (`retention`, `segment`, `linger`): at most a year.
fn setting(v: Val, option: &str) -> Result<Micros> {
    let d = duration(v)?;
    limit(v, limits::check_setting(option, d)).map(|()| d)
}

/// A limit check's message as an error at `v`.
fn limit(v: Val, check: std::result::Result<(), String>) -> Result<()> {
    check.map_err(|message| v.err(message))
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

/// `broker kill N` / `broker stop N` (controlled shutdown) / `broker restart N`
fn broker(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
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
fn network(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
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
fn elect_leaders(cur: &mut Cursor, ctx: &Context) -> Result<Command> {
    let partition = match cur.peek() {
        None => None,
        Some(_) => Some(ctx.partition(cur.word("a partition TOPIC/N")?)?),
    };
    cur.finish()?;
    Ok(Command::ElectPreferred { partition })
}

/// `wait DURATION` or `wait until EXPECTATION [timeout=D]`
fn wait(cur: &mut Cursor, ctx: &Context, now: Micros) -> Result<Action> {
    let v = cur.word("a duration (e.g. 2s) or 'until'")?;
    if v.text == "until" {
        return wait_until(cur, ctx, now, v);
    }
    let d = duration(v)?;
    if now.checked_add(d).is_none() {
        return Err(v.err("this wait goes past the end of simulated time"));
    }
    check_step(ctx, v, d, &limits::wait_step(d))?;
    cur.finish()?;
    Ok(Action::Wait(d))
}

/// `wait until METRIC ARGS OP VALUE [timeout=D]`: any `expect` form without the word `expect`.
/// Its timeout is one step of simulated time, held to the same limits as `wait D`.
fn wait_until(cur: &mut Cursor, ctx: &Context, now: Micros, until: Val) -> Result<Action> {
    if cur.peek().is_none() {
        return Err(cur
            .missing("what to wait for")
            .hint("e.g. wait until isr orders/0 == 1,2,3"));
    }
    let start = cur.peek().map_or(until.col, |t| t.col);
    let expectation = expectation(cur, ctx, start)?;
    let options = cur.options(&["timeout"])?;
    let (timeout, at) = match options.get("timeout") {
        Some(v) => match duration(v)? {
            0 => return Err(v.err("timeout must be longer than 0")),
            d => (d, v),
        },
        None => (WAIT_UNTIL_TIMEOUT, until),
    };
    if now.checked_add(timeout).is_none() {
        return Err(at.err("this wait goes past the end of simulated time"));
    }
    let load = ctx.load();
    limits::check_step(&limits::wait_until_step(timeout), timeout, &load).map_err(|message| {
        at.err(message).hint(format!(
            "give it timeout={} or less here",
            limits::duration_text(load.longest_step())
        ))
    })?;
    Ok(Action::WaitUntil {
        expectation,
        timeout,
    })
}

/// One step of simulated time (a `wait`, or the jump of an `at`), within the room's limits on
/// its length and on the work it asks for (records, replication, consumers: `limits::Load`).
fn check_step(ctx: &Context, v: Val, d: Micros, what: &str) -> Result<()> {
    let load = ctx.load();
    limits::check_step(what, d, &load).map_err(|message| {
        v.err(message).hint(format!(
            "split it into steps of at most {} here",
            limits::duration_text(load.longest_step())
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Expectations
// ---------------------------------------------------------------------------------------------

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
fn expect(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Expectation> {
    let expectation = expectation(cur, ctx, head.col)?;
    cur.finish()?;
    Ok(expectation)
}

/// `METRIC ARGS OP VALUE`, after `expect` or `wait until`; its text starts at column `from`.
fn expectation(cur: &mut Cursor, ctx: &Context, from: u32) -> Result<Expectation> {
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
fn key_arg(cur: &mut Cursor) -> Result<String> {
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

// ---------------------------------------------------------------------------------------------
// Values: numbers, durations, rates, keys, choices
// ---------------------------------------------------------------------------------------------

/// An unsigned decimal number (digits only).
fn uint(v: Val, what: &str) -> Result<u64> {
    if v.text.is_empty() || !v.text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(v.err(format!("expected {what}, found '{}'", v.text)));
    }
    v.text
        .parse::<u64>()
        .map_err(|_| v.err(format!("number {} is too large", v.text)))
}

fn u32_of(v: Val, what: &str) -> Result<u32> {
    let n = uint(v, what)?;
    u32::try_from(n).map_err(|_| v.err(format!("number {n} is too large (at most {})", u32::MAX)))
}

/// A signed decimal number: `None` if it is not one, `Some(Err)` if it overflows.
fn int(v: Val) -> Option<Result<i64>> {
    let digits = v.text.strip_prefix('-').unwrap_or(v.text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        v.text
            .parse::<i64>()
            .map_err(|_| v.err(format!("number {} is too large", v.text))),
    )
}

/// Units of a duration, in microseconds.
const UNITS: &[(&str, u128)] = &[
    ("us", 1),
    ("ms", 1_000),
    ("s", 1_000_000),
    ("m", 60_000_000),
    ("h", 3_600_000_000),
];

/// A duration: `250ms`, `2s`, `1.5s`, `3m` (also `us` and `h`), exact to the microsecond.
fn duration(v: Val) -> Result<Micros> {
    let text = v.text;
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || {
        v.err(format!(
            "expected a duration such as 250ms, 2s or 1.5s, found '{text}'"
        ))
    };
    let (int_part, frac) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() || frac.contains('.') || number.ends_with('.') {
        return Err(bad());
    }
    if unit.is_empty() {
        return Err(v
            .err(format!("the duration {text} needs a unit"))
            .hint(format!("e.g. {text}s or {text}ms")));
    }
    let Some(&(_, scale)) = UNITS.iter().find(|(u, _)| *u == unit) else {
        let units = UNITS.iter().map(|(u, _)| *u);
        return Err(v
            .slice(split, unit)
            .err(format!("unknown unit '{unit}' in duration '{text}'"))
            .hint(
                did_you_mean(unit, units).unwrap_or_else(|| "units: us, ms, s, m, h".to_string()),
            ));
    };
    let too_long = || v.err(format!("the duration {text} is too long"));
    let frac = frac.trim_end_matches('0');
    if int_part.len() > 30 {
        return Err(too_long());
    }
    if frac.len() > 20 {
        return Err(v.err(format!("the duration {text} is finer than a microsecond")));
    }
    let whole: u128 = int_part.parse().map_err(|_| bad())?;
    let frac_value: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    let denominator = 10u128.pow(u32::try_from(frac.len()).map_err(|_| bad())?);
    let frac_micros = frac_value * scale;
    let sub_micro = frac_micros % denominator;
    if sub_micro != 0 {
        return Err(v.err(format!("the duration {text} is finer than a microsecond")));
    }
    let total = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_micros / denominator));
    total
        .and_then(|t| Micros::try_from(t).ok())
        .ok_or_else(too_long)
}

/// A rate: `5/s`, `300/m` (also `/h`).
fn rate(v: Val) -> Result<Rate> {
    let Some((count, unit)) = v.text.split_once('/') else {
        return Err(v.err(format!(
            "expected a rate such as 5/s or 300/m, found '{}'",
            v.text
        )));
    };
    let n = uint(v.slice(0, count), "a number of records")?;
    let too_fast = || v.err(format!("the rate {} is too large", v.text));
    match unit {
        "s" => Rate::checked_per_second(n).ok_or_else(too_fast),
        "m" => Rate::checked_per_minute(n).ok_or_else(too_fast),
        "h" => Ok(Rate { per_hour: n }),
        _ => Err(v
            .slice(count.len() + 1, unit)
            .err(format!("unknown rate unit '/{unit}'"))
            .hint("rates are per second (5/s), per minute (300/m) or per hour (10/h)")),
    }
}

/// `keys=user-1..user-50` or `keys=none`.
fn key_spec(v: Val) -> Result<KeySpec> {
    if v.text == "none" {
        return Ok(KeySpec::None);
    }
    let Some((first, last)) = v.text.split_once("..") else {
        return Err(v
            .err(format!(
                "expected a key range such as user-1..user-50, or none, found '{}'",
                v.text
            ))
            .hint(format!("for a single key, write key={}", v.text)));
    };
    let last_val = v.slice(first.len() + 2, last);
    let (prefix, first_n) = numbered_key(v.slice(0, first))?;
    let (last_prefix, last_n) = numbered_key(last_val)?;
    if prefix != last_prefix {
        return Err(last_val.err(format!(
            "both ends of a key range need the same prefix ('{prefix}' and '{last_prefix}')"
        )));
    }
    if first_n > last_n {
        return Err(v
            .err(format!("the key range {} is empty", v.text))
            .hint("write the smaller end first"));
    }
    limits::key_range_len(first_n, last_n).map_err(|message| {
        v.err(message).hint(format!(
            "e.g. keys={prefix}1..{prefix}{}",
            limits::MAX_KEY_RANGE
        ))
    })?;
    limit(v, limits::check_record_bytes(prefix.len() + 20, 0))?;
    Ok(KeySpec::Range {
        prefix: prefix.to_string(),
        first: first_n,
        last: last_n,
    })
}

/// `user-17` → (`user-`, 17).
fn numbered_key<'a>(v: Val<'a>) -> Result<(&'a str, u64)> {
    let prefix = v.text.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &v.text[prefix.len()..];
    let digits_val = v.slice(prefix.len(), digits);
    if digits.is_empty() {
        return Err(v.err(format!("the key '{}' does not end with a number", v.text)));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(digits_val.err(format!(
            "'{digits}': numbers in key ranges have no leading zeros"
        )));
    }
    let n = digits
        .parse::<u64>()
        .map_err(|_| digits_val.err(format!("number {digits} is too large")))?;
    Ok((prefix, n))
}

/// `acks=0|1|all` (`-1` is Kafka's spelling of all).
fn acks(v: Val) -> Result<Acks> {
    choice(
        v,
        &[
            ("0", Acks::Zero),
            ("1", Acks::One),
            ("all", Acks::All),
            ("-1", Acks::All),
        ],
    )
}

/// One of a fixed set of words.
fn choice<T: Copy>(v: Val, table: &[(&'static str, T)]) -> Result<T> {
    if let Some((_, t)) = table.iter().find(|(word, _)| *word == v.text) {
        return Ok(*t);
    }
    let words: Vec<&str> = table.iter().map(|(w, _)| *w).collect();
    let fallback = format!("expected one of: {}", words.join(", "));
    Err(v
        .err(format!("unexpected value '{}'", v.text))
        .hint(did_you_mean(v.text, words.iter().copied()).unwrap_or(fallback)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Result<Micros> {
        duration(Val::plain(text))
    }

    #[test]
    fn durations() {
        assert_eq!(d("250ms"), Ok(250_000));
        assert_eq!(d("2s"), Ok(2_000_000));
        assert_eq!(d("1.5s"), Ok(1_500_000));
        assert_eq!(d("1.50s"), Ok(1_500_000));
        assert_eq!(d("3m"), Ok(180_000_000));
        assert_eq!(d("7us"), Ok(7));
        assert_eq!(d("1h"), Ok(3_600_000_000));
        assert_eq!(d("0.000001s"), Ok(1));
        for bad in [
            "",
            "s",
            "5",
            "1.5us",
            ".5s",
            "5.s",
            "1..5s",
            "5sec",
            "-1s",
            "99999999999999999999999h",
        ] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(rate(Val::plain("5/s")), Ok(Rate::per_second(5)));
        assert_eq!(rate(Val::plain("300/m")), Ok(Rate::per_minute(300)));
        assert!(rate(Val::plain("18446744073709551615/s")).is_err());
        assert!(rate(Val::plain("5/d")).is_err());
        assert!(rate(Val::plain("5")).is_err());
    }

    #[test]
    fn key_ranges() {
        let range = |s| key_spec(Val::plain(s));
        assert_eq!(
            range("user-1..user-50"),
            Ok(KeySpec::Range {
                prefix: "user-".into(),
                first: 1,
                last: 50
            })
        );
        assert_eq!(
            range("1..3"),
            Ok(KeySpec::Range {
                prefix: String::new(),
                first: 1,
                last: 3
            })
        );
        assert_eq!(range("none"), Ok(KeySpec::None));
        for bad in [
            "user-1..u-5",
            "user-5..user-1",
            "a..b",
            "user-1",
            "k-01..k-10",
            "k-1..k-99999999999999999999",
        ] {
            assert!(range(bad).is_err(), "{bad}");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Consumer groups
    // -----------------------------------------------------------------------------------------

    const GROUP_SETUP: &str = "brokers 3\ntopic create orders partitions=3 replication=2\ntopic create payments partitions=2 replication=1\n";

    /// The steps of `GROUP_SETUP` + `body`, after the setup's two topics.
    fn group_steps(body: &str) -> Vec<Action> {
        match parse("g.scenario", &format!("{GROUP_SETUP}{body}")) {
            Ok(script) => script.steps.into_iter().skip(3).map(|s| s.action).collect(),
            Err(e) => panic!("{body:?}: {e:?}"),
        }
    }

    /// The action of the last line of `body`.
    fn last(body: &str) -> Action {
        group_steps(body).pop().unwrap_or(Action::Pause)
    }

    /// The errors of `GROUP_SETUP` + `body` (the body starts on line 4).
    fn group_errors(body: &str) -> Vec<String> {
        match parse("g.scenario", &format!("{GROUP_SETUP}{body}")) {
            Ok(_) => panic!("{body:?} parsed but should not"),
            Err(e) => e.iter().map(ToString::to_string).collect(),
        }
    }

    fn group_error(body: &str) -> String {
        let mut all = group_errors(body);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    fn tp(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }

    fn spec(name: &str, topics: &[&str]) -> GroupSpec {
        GroupSpec {
            name: name.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            consumers: None,
            assignor: None,
            offset_reset: None,
            session_timeout: None,
            heartbeat_interval: None,
            max_poll_interval: None,
            auto_commit_interval: None,
            rate: None,
        }
    }

    #[test]
    fn group_add_forms() {
        assert_eq!(
            last("group add g topics=orders"),
            Action::Cluster(Command::GroupAdd(spec("g", &["orders"])))
        );
        assert_eq!(
            last(
                "group add g topics=orders,payments consumers=3 assignor=cooperative-sticky \
                 offset-reset=earliest session-timeout=10s heartbeat=1s max-poll-interval=1m \
                 auto-commit=500ms rate=5/s"
            ),
            Action::Cluster(Command::GroupAdd(GroupSpec {
                consumers: Some(3),
                assignor: Some(AssignorKind::CooperativeSticky),
                offset_reset: Some(OffsetReset::Earliest),
                session_timeout: Some(10_000_000),
                heartbeat_interval: Some(1_000_000),
                max_poll_interval: Some(60_000_000),
                auto_commit_interval: Some(500_000),
                rate: Some(Rate::per_second(5)),
                ..spec("g", &["orders", "payments"])
            }))
        );
        for (word, kind) in [
            ("range", AssignorKind::Range),
            ("roundrobin", AssignorKind::RoundRobin),
            ("sticky", AssignorKind::Sticky),
        ] {
            let Action::Cluster(Command::GroupAdd(g)) =
                last(&format!("group add g topics=orders assignor={word}"))
            else {
                panic!("{word}");
            };
            assert_eq!(g.assignor, Some(kind));
        }
        let Action::Cluster(Command::GroupAdd(g)) =
            last("group add g topics=orders consumers=0 offset-reset=latest")
        else {
            panic!("consumers=0");
        };
        assert_eq!(
            (g.consumers, g.offset_reset),
            (Some(0), Some(OffsetReset::Latest))
        );
    }

    #[test]
    fn group_delete() {
        let steps = group_steps("group add g topics=orders\ngroup delete g");
        assert_eq!(
            steps[1],
            Action::Cluster(Command::GroupDelete { name: "g".into() })
        );
        let e = group_error("group add g topics=orders\ngroup delete h");
        assert!(e.contains("unknown group 'h'"), "{e}");
        // A sink connector's group outlives the connector; it can be deleted like any group.
        let step = last(
            "system file out.txt\nworker add w1\n\
             connector create out worker=w1 connector.class=FileStreamSink topics=orders file=out.txt\n\
             connector delete out\ngroup delete connect-out",
        );
        assert_eq!(
            step,
            Action::Cluster(Command::GroupDelete {
                name: "connect-out".into()
            })
        );
    }

    #[test]
    fn consumer_commands() {
        let steps = group_steps(
            "group add g topics=orders consumers=2\n\
             consumer add c1 group=g\n\
             consumer add c2 group=g topics=orders,payments rate=300/m\n\
             consumer stall g-1\n\
             consumer resume g-1\n\
             consumer rate g-2 10/s\n\
             consumer stop c1\n\
             at 5s consumer crash g-2",
        );
        let name = |n: &str| n.to_string();
        assert_eq!(
            steps[1..],
            [
                Action::Cluster(Command::ConsumerAdd(ConsumerSpec {
                    name: name("c1"),
                    group: name("g"),
                    topics: None,
                    rate: None,
                })),
                Action::Cluster(Command::ConsumerAdd(ConsumerSpec {
                    name: name("c2"),
                    group: name("g"),
                    topics: Some(vec![name("orders"), name("payments")]),
                    rate: Some(Rate::per_minute(300)),
                })),
                Action::Cluster(Command::ConsumerStall { name: name("g-1") }),
                Action::Cluster(Command::ConsumerResume { name: name("g-1") }),
                Action::Cluster(Command::ConsumerRate {
                    name: name("g-2"),
                    rate: Rate::per_second(10),
                }),
                Action::Cluster(Command::ConsumerStop { name: name("c1") }),
                Action::Cluster(Command::ConsumerCrash { name: name("g-2") }),
            ]
        );
    }

    #[test]
    fn group_metrics() {
        let setup = "group add g topics=orders,payments consumers=2\n";
        let expect = |line: &str| match last(&format!("{setup}expect {line}")) {
            Action::Expect(e) => (e.metric, e.op, e.value),
            other => panic!("{line}: {other:?}"),
        };
        let g = || "g".to_string();
        let names = |v: &[&str]| Value::Names(v.iter().map(|n| n.to_string()).collect());
        let cases = [
            (
                "members g == g-2,g-1",
                (Metric::Members(g()), Op::Eq, names(&["g-2", "g-1"])),
            ),
            (
                "members g == none",
                (Metric::Members(g()), Op::Eq, Value::None),
            ),
            (
                "state g != PreparingRebalance",
                (
                    Metric::State(g()),
                    Op::Ne,
                    Value::Word("PreparingRebalance".into()),
                ),
            ),
            (
                "generation g >= 2",
                (Metric::Generation(g()), Op::Ge, Value::Int(2)),
            ),
            (
                "assigned g g-1 == orders/0,payments/1",
                (
                    Metric::Assigned {
                        group: g(),
                        member: "g-1".into(),
                    },
                    Op::Eq,
                    Value::Partitions(vec![tp("orders", 0), tp("payments", 1)]),
                ),
            ),
            (
                "assigned g g-2 == none",
                (
                    Metric::Assigned {
                        group: g(),
                        member: "g-2".into(),
                    },
                    Op::Eq,
                    Value::None,
                ),
            ),
            (
                "assigned-count g g-2 < 3",
                (
                    Metric::AssignedCount {
                        group: g(),
                        member: "g-2".into(),
                    },
                    Op::Lt,
                    Value::Int(3),
                ),
            ),
            (
                "owner g orders/2 == g-1",
                (
                    Metric::Owner {
                        group: g(),
                        tp: tp("orders", 2),
                    },
                    Op::Eq,
                    Value::Word("g-1".into()),
                ),
            ),
            (
                "owner g orders/2 == none",
                (
                    Metric::Owner {
                        group: g(),
                        tp: tp("orders", 2),
                    },
                    Op::Eq,
                    Value::None,
                ),
            ),
            (
                "committed g orders/1 == none",
                (
                    Metric::Committed {
                        group: g(),
                        tp: tp("orders", 1),
                    },
                    Op::Eq,
                    Value::None,
                ),
            ),
            (
                "committed g orders/1 > 5",
                (
                    Metric::Committed {
                        group: g(),
                        tp: tp("orders", 1),
                    },
                    Op::Gt,
                    Value::Int(5),
                ),
            ),
            (
                "lag g == 0",
                (
                    Metric::Lag {
                        group: g(),
                        tp: None,
                    },
                    Op::Eq,
                    Value::Int(0),
                ),
            ),
            (
                "lag g payments/0 <= none",
                (
                    Metric::Lag {
                        group: g(),
                        tp: Some(tp("payments", 0)),
                    },
                    Op::Le,
                    Value::None,
                ),
            ),
            (
                "consumed g > 10",
                (
                    Metric::Consumed {
                        group: g(),
                        tp: None,
                    },
                    Op::Gt,
                    Value::Int(10),
                ),
            ),
            (
                "duplicates g == 0",
                (Metric::Duplicates(g()), Op::Eq, Value::Int(0)),
            ),
            (
                "consumed g orders/0 == 4",
                (
                    Metric::Consumed {
                        group: g(),
                        tp: Some(tp("orders", 0)),
                    },
                    Op::Eq,
                    Value::Int(4),
                ),
            ),
            (
                "coordinator g == 2",
                (Metric::Coordinator(g()), Op::Eq, Value::Int(2)),
            ),
            (
                "coordinator g == none",
                (Metric::Coordinator(g()), Op::Eq, Value::None),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(expect(line), want, "{line}");
        }
    }

    #[test]
    fn topic_delete_removes_the_topic_until_it_is_created_again() {
        let steps = group_steps(
            "topic delete orders\ntopic create orders partitions=1 replication=1\nproducer add p topic=orders",
        );
        assert_eq!(
            steps[0],
            Action::Cluster(Command::TopicDelete {
                name: "orders".into()
            })
        );
        assert_eq!(steps.len(), 3);
        let e = group_error("topic delete orders\nproducer add p topic=orders");
        assert_eq!(
            e,
            "g.scenario:5:22: topic 'orders' was deleted (an earlier 'topic delete' removed it; \
             'topic create' makes it again)"
        );
        let e = group_error("topic delete orders\ngroup add g topics=payments,orders");
        assert!(e.starts_with("g.scenario:5:"), "{e}");
        assert!(e.contains("topic 'orders' was deleted"), "{e}");
        let e = group_error("topic delete ordrs");
        assert_eq!(
            e,
            "g.scenario:4:14: unknown topic 'ordrs' (did you mean 'orders'?)"
        );
        let e = group_error("topic delete __consumer_offsets");
        assert!(
            e.starts_with(
                "g.scenario:4:14: '__consumer_offsets' is one of Kafka's internal topics"
            ),
            "{e}"
        );
        let e = group_error("topic delete orders payments");
        assert!(e.starts_with("g.scenario:4:21:"), "{e}");
        let e = group_error(
            "streams app wc\n  stream orders\n  to payments\nend\ntopic delete payments",
        );
        assert!(e.contains("used by the Streams application 'wc'"), "{e}");
    }

    #[test]
    fn group_errors_point_at_the_word_with_a_hint() {
        let g = "group add billing topics=orders consumers=2\n";
        let cases: &[(&str, &str)] = &[
            (
                "group add g topics=ordrs",
                "g.scenario:4:20: unknown topic 'ordrs' (did you mean 'orders'?)",
            ),
            (
                "group add g consumers=2",
                "g.scenario:4:25: missing option topics= (e.g. group add g topics=orders consumers=2)",
            ),
            (
                "group add g topics=orders assignor=roundrobbin",
                "g.scenario:4:36: unknown assignor 'roundrobbin' (did you mean 'roundrobin'?)",
            ),
            (
                "group add g topics=orders offset-reset=earliset",
                "g.scenario:4:40: unexpected value 'earliset' (did you mean 'earliest'?)",
            ),
            (
                "group add g topics=orders heartbeat=10s session-timeout=10s",
                "g.scenario:4:37: the heartbeat interval 10s is not shorter than the session timeout 10s (Kafka requires heartbeat.interval.ms lower than session.timeout.ms, typically a third of it)",
            ),
            (
                "group add g topics=orders heartbeat=1m",
                "g.scenario:4:37: the heartbeat interval 1m is not shorter than the default session timeout 45s (Kafka requires heartbeat.interval.ms lower than session.timeout.ms, typically a third of it)",
            ),
            (
                "group add g topics=orders session-timeout=5s",
                "g.scenario:4:43: the session timeout 5s is too short (the broker accepts 6s to 30m: group.min.session.timeout.ms to group.max.session.timeout.ms)",
            ),
            (
                "group add g topics=orders session-timeout=31m",
                "g.scenario:4:43: the session timeout 31m is too long (the broker accepts 6s to 30m: group.min.session.timeout.ms to group.max.session.timeout.ms)",
            ),
            (
                "group add g topics=orders auto-commit=0s",
                "g.scenario:4:39: auto-commit must be longer than 0",
            ),
            (
                "group add g topics=orders rate=0/s",
                "g.scenario:4:32: a processing rate must be above zero (to stop processing, use 'consumer stall NAME')",
            ),
            (
                "group add g topics=orders,orders",
                "g.scenario:4:27: topic 'orders' is listed twice",
            ),
            (
                "group add g topics=orders consumers=257",
                "g.scenario:4:37: at most 256 consumers in a cluster (0 already started, stopped and crashed ones included)",
            ),
            (
                "consumer add c1 group=bilings",
                "g.scenario:5:23: unknown group 'bilings' (did you mean 'billing'?)",
            ),
            (
                "consumer add billing-1 group=billing",
                "g.scenario:5:14: consumer 'billing-1' already exists (consumer names are never reused, even after stop or crash)",
            ),
            (
                "consumer add a,b group=billing",
                "g.scenario:5:15: ',' is not allowed in a consumer name (lists of members are comma-separated)",
            ),
            (
                "consumer add c1",
                "g.scenario:5:17: missing option group= (e.g. consumer add c1 group=g)",
            ),
            (
                "consumer add billing-3 group=billing\ngroup add billing topics=orders",
                "g.scenario:6:11: group 'billing' already exists",
            ),
            (
                "consumer add x-2 group=billing\ngroup add x topics=orders consumers=3",
                "g.scenario:6:11: consumer 'x-2' already exists (the consumers of group 'x' are named x-1, x-2, …; choose another group name)",
            ),
            (
                "consumer stop billing-9",
                "g.scenario:5:15: unknown consumer 'billing-9' (did you mean 'billing-1'?)",
            ),
            (
                "consumer crash billing-1\nconsumer stop billing-1",
                "g.scenario:6:15: consumer 'billing-1' has already stopped or crashed (consumer names are never reused: add a new one with 'consumer add')",
            ),
            (
                "consumer stall billing-1\nconsumer stall billing-1",
                "g.scenario:6:16: consumer 'billing-1' is already stalled (resume it with 'consumer resume billing-1')",
            ),
            (
                "consumer resume billing-1",
                "g.scenario:5:17: consumer 'billing-1' is not stalled (stall it first with 'consumer stall billing-1')",
            ),
            (
                "consumer rate billing-1 0/s",
                "g.scenario:5:25: a processing rate must be above zero (to stop processing, use 'consumer stall NAME')",
            ),
            (
                "consumer join billing-1",
                "g.scenario:5:10: unknown command 'consumer join' ('consumer' is followed by add, stop, crash, stall, resume, rate, restart)",
            ),
            (
                "expect members biling == none",
                "g.scenario:5:16: unknown group 'biling' (did you mean 'billing'?)",
            ),
            (
                "expect state billing == stable",
                "g.scenario:5:25: unknown group state 'stable' (did you mean 'Stable'?)",
            ),
            (
                "expect state billing == Running",
                "g.scenario:5:25: unknown group state 'Running' (the states are Empty, PreparingRebalance, CompletingRebalance, Stable, Dead)",
            ),
            (
                "expect state billing < Stable",
                "g.scenario:5:22: 'state' can only be compared with == or !=",
            ),
            (
                "expect assigned billing billing-3 == none",
                "g.scenario:5:25: unknown consumer 'billing-3' in group 'billing' (did you mean 'billing-1'?)",
            ),
            (
                "expect assigned-count billing c9 == 0",
                "g.scenario:5:31: unknown consumer 'c9' in group 'billing' (the consumers of 'billing' are billing-1, billing-2)",
            ),
            (
                "expect assigned billing billing-1 == orders/3",
                "g.scenario:5:45: topic 'orders' has no partition 3 (its partitions are orders/0 … orders/2)",
            ),
            (
                "expect members billing == billing-1,bling-2",
                "g.scenario:5:37: unknown consumer 'bling-2' in group 'billing' (did you mean 'billing-2'?)",
            ),
            (
                "expect owner billing orders/0 == c1",
                "g.scenario:5:34: unknown consumer 'c1' in group 'billing' (the consumers of 'billing' are billing-1, billing-2)",
            ),
            (
                "expect lag billing orders == 0",
                "g.scenario:5:20: expected a partition TOPIC/N, found 'orders' (e.g. orders/0)",
            ),
            (
                "expect committed billing orders/0 == x",
                "g.scenario:5:38: expected a number or none for 'committed', found 'x'",
            ),
            (
                "expect membrs billing == none",
                "g.scenario:5:8: unknown metric 'membrs' (did you mean 'members'?)",
            ),
        ];
        for (body, want) in cases {
            let body = if body.starts_with("group add") {
                body.to_string()
            } else {
                format!("{g}{body}")
            };
            assert_eq!(group_error(&body), *want, "{body}");
        }
        // A Streams application's group (its application.id) can be read, not joined by a plain consumer.
        let app = "streams app split\n  stream orders\n  to orders\nend\n";
        assert!(parse("g.scenario", &format!("{GROUP_SETUP}{app}expect lag split == 0\nexpect state split == Stable\nfocus group split")).is_ok());
        assert_eq!(
            group_error(&format!("{app}consumer add c9 group=split")),
            "g.scenario:8:23: unknown group 'split' (add it first with 'group add G topics=T')"
        );
        assert_eq!(
            group_error("expect members g == none"),
            "g.scenario:4:16: unknown group 'g' (add it first with 'group add G topics=T')"
        );
        assert_eq!(
            group_error("consumer stop c1"),
            "g.scenario:4:15: unknown consumer 'c1' (start one first with 'group add G topics=T' or 'consumer add NAME group=G')"
        );
        assert_eq!(
            group_error("group add g topics=orders consumers=0\nexpect assigned g g-1 == none"),
            "g.scenario:5:19: unknown consumer 'g-1' in group 'g' (group 'g' has no consumers)"
        );
        assert_eq!(
            group_error(
                "group add g topics=orders\ngroup add h topics=orders\nexpect owner g orders/0 == h-1"
            ),
            "g.scenario:6:28: consumer 'h-1' belongs to group 'h', not 'g' (did you mean 'g-1'?)"
        );
    }

    #[test]
    fn failed_group_lines_do_not_cascade() {
        let errors = group_errors(
            "group add g topics=orders consumers=2 assignor=rnge\n\
             consumer stop g-2\n\
             expect members g == g-1,g-2\n\
             expect assigned g g-1 == orders/0\n\
             consumer add c1 group=g rate=fast\n\
             consumer stall c1\n\
             group add h topics=orders consumers=many\n\
             consumer crash h-7\n\
             consumer stop g-3",
        );
        assert_eq!(
            errors,
            [
                "g.scenario:4:48: unknown assignor 'rnge' (did you mean 'range'?)",
                "g.scenario:8:30: expected a rate such as 5/s or 300/m, found 'fast'",
                "g.scenario:10:37: expected a number of consumers, found 'many'",
                "g.scenario:12:15: unknown consumer 'g-3' (did you mean 'g-1'?)",
            ]
        );
    }

    #[test]
    fn console_group_lines_update_the_context() {
        let mut ctx = Context::default();
        for line in [
            "brokers 3",
            "topic create orders partitions=3 replication=2",
        ] {
            assert!(parse_line(line, &mut ctx).is_ok(), "{line}");
        }
        let before = ctx.clone();
        let err = parse_line("group add g topics=orders assignor=stiky", &mut ctx)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("console:1:36: unknown assignor 'stiky' (did you mean 'sticky'?)")
        );
        assert_eq!(ctx, before, "a failed line leaves the context untouched");

        assert!(parse_line("group add g topics=orders consumers=2", &mut ctx).is_ok());
        assert_eq!(
            ctx.groups.get("g"),
            Some(&GroupInfo {
                topics: vec!["orders".into()]
            })
        );
        assert_eq!(
            ctx.consumers.keys().collect::<Vec<_>>(),
            ["g-1", "g-2"],
            "consumers are named G-1 … G-N"
        );
        let err = parse_line("consumer add g-1 group=g", &mut ctx)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "console:1:14: consumer 'g-1' already exists (consumer names are never reused, even after stop or crash)"
            )
        );
        assert!(parse_line("consumer add c1 group=g", &mut ctx).is_ok());
        assert!(parse_line("consumer stall c1", &mut ctx).is_ok());
        assert!(ctx.consumers["c1"].stalled);
        assert!(parse_line("consumer resume c1", &mut ctx).is_ok());
        assert!(!ctx.consumers["c1"].stalled);
        assert!(parse_line("consumer crash g-1", &mut ctx).is_ok());
        assert_eq!(
            ctx.consumers.get("g-1"),
            Some(&ConsumerInfo {
                group: "g".into(),
                stopped: true,
                stalled: false
            })
        );
        assert!(parse_line("consumer stop g-1", &mut ctx).is_err());
        assert!(parse_line("consumer add g-1 group=g", &mut ctx).is_err());
        // A stopped member can still be named in expectations.
        assert!(parse_line("expect assigned g g-1 == none", &mut ctx).is_ok());
        assert!(parse_line("expect members g == g-2,c1", &mut ctx).is_ok());
    }
    #[test]
    fn kafka_metrics_with_their_tags() {
        use crate::metrics::{Name, Scope};
        let g = "group add billing topics=orders consumers=2\nproducer add shop topic=orders\n";
        let metric = |line: &str| match last(&format!("{g}{line}")) {
            Action::Expect(e) => (e.metric, e.op, e.value),
            other => panic!("{line}: {other:?}"),
        };
        let kafka = |name, scope| Metric::Kafka { name, scope };
        assert_eq!(
            metric("expect metric UnderReplicatedPartitions == 2"),
            (
                kafka(Name::UnderReplicatedPartitions, Scope::Cluster),
                Op::Eq,
                Value::Int(2)
            )
        );
        assert_eq!(
            metric("expect metric UnderReplicatedPartitions broker=2 <= 1").0,
            kafka(Name::UnderReplicatedPartitions, Scope::Broker(2))
        );
        assert_eq!(
            metric("expect metric record-send-rate producer=shop >= 90").0,
            kafka(Name::RecordSendRate, Scope::Producer("shop".into()))
        );
        assert_eq!(
            metric("expect metric records-lag-max group=billing == none"),
            (
                kafka(Name::RecordsLagMax, Scope::Group("billing".into())),
                Op::Eq,
                Value::None
            )
        );
        assert_eq!(
            metric("expect metric MessagesInPerSec topic=orders > 0").0,
            kafka(Name::MessagesInPerSec, Scope::Topic("orders".into()))
        );
        let cases: &[(&str, &str)] = &[
            (
                "expect metric UnderReplicatedPartition == 0",
                "g.scenario:6:15: unknown Kafka metric 'UnderReplicatedPartition' (did you mean 'UnderReplicatedPartitions'?)",
            ),
            (
                "expect metric OfflinePartitionsCount broker=1 == 0",
                "g.scenario:6:38: 'OfflinePartitionsCount' has no scope 'broker=' (its scopes: no tag (the whole cluster))",
            ),
            (
                "expect metric UnderReplicatedPartitions broker=4 == 0",
                "g.scenario:6:48: there is no broker 4 (the cluster has brokers 1..3)",
            ),
            (
                "expect metric record-send-rate producer=shp == 0",
                "g.scenario:6:41: unknown producer 'shp' (did you mean 'shop'?)",
            ),
            (
                "expect metric rebalance-total == 1",
                "g.scenario:6:36: 'rebalance-total' is a per-consumer metric: add consumer=NAME",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(group_error(&format!("{g}{line}")), *want, "{line}");
        }
    }
}
