//! The parser's [`Context`]: what the lines parsed so far have declared (brokers, topics,
//! producers, groups, consumers, Streams and Connect names) and how far static time has moved,
//! with the lookups every command's validation asks of it.

use std::collections::{BTreeMap, BTreeSet};

use super::connect::ConnectInfo;
use super::cursor::Val;
use super::streams_commands::{AppInfo, InstanceInfo};
use super::values::{duration, u32_of};
use super::{Result, streams};
use crate::command::{Command, Rate, TopicPartition};
use crate::limits::{self, MAX_CONSUMERS};
use crate::scenario::ast::{Action, Step};
use crate::scenario::diagnostic::did_you_mean;
use crate::scenario::lexer::tokenize;
use crate::time::Micros;

/// What the lines parsed so far have declared: the console keeps one between lines,
/// [`parse`](super::parse) one per file. The fields are public so that a console can be started
/// from an existing room.
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
    pub(super) recovered: Recovered,
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
pub(super) struct Recovered {
    pub(super) brokers: bool,
    pub(super) topics: BTreeSet<String>,
    pub(super) producers: BTreeSet<String>,
    pub(super) groups: BTreeSet<String>,
    pub(super) consumers: BTreeSet<String>,
    /// Groups of failed `group add` lines whose number of consumers is unknown: every `G-N`
    /// counts as one of their consumers.
    numbered: BTreeSet<String>,
    /// Streams applications of failed blocks: every `APP-N` counts as one of their instances.
    pub(super) apps: BTreeSet<String>,
}

impl Context {
    /// Records what a step declares and how far it moves static time. [`parse`](super::parse) and
    /// [`parse_line`](super::parse_line) call this for every step they return.
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
    pub(super) fn recover_app(&mut self, header: &str) {
        if let Some(name) = streams::declared_name(header)
            && !self.apps.contains_key(&name)
        {
            self.recovered.apps.insert(name);
        }
    }

    /// After a line failed: remember, as best we can, what it meant to declare.
    pub(super) fn recover(&mut self, line: &str) {
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
    pub(super) fn producer_rate_total(&self, except: Option<&str>) -> u128 {
        self.producers
            .iter()
            .filter(|(name, p)| !p.stopped && except != Some(name.as_str()))
            .filter_map(|(_, p)| p.rate)
            .map(|r| u128::from(r.per_hour))
            .sum()
    }

    /// What the cluster declared so far costs per simulated second (see [`limits::Load`]).
    pub(super) fn load(&self) -> limits::Load {
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
    pub(super) fn topic_totals(&self) -> (u64, u64) {
        self.topics.values().fold((0, 0), |(p, r), t| {
            let partitions = u64::from(t.partitions);
            (
                p.saturating_add(partitions),
                r.saturating_add(partitions * u64::from(t.replication)),
            )
        })
    }

    /// The number of brokers, `None` when their declaration failed; an error if never declared.
    pub(super) fn require_brokers(&self, at: Val) -> Result<Option<u32>> {
        match self.brokers {
            Some(n) => Ok(Some(n)),
            None if self.recovered.brokers => Ok(None),
            None => Err(at
                .err("no brokers yet")
                .hint("declare the cluster first, e.g. 'brokers 3'")),
        }
    }

    /// A broker id: `1..=N`.
    pub(super) fn broker_id(&self, v: Val) -> Result<u32> {
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
    pub(super) fn broker_list(&self, v: Val, other: &[u32]) -> Result<Vec<u32>> {
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
    pub(super) fn topic(&self, v: Val) -> Result<Option<TopicInfo>> {
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
    pub(super) fn topic_to_ask(&self, v: Val) -> Result<Option<TopicInfo>> {
        match self.deleted_topics.get(v.text) {
            Some(info) => Ok(Some(*info)),
            None => self.topic(v),
        }
    }

    /// `TOPIC/N`, with N a partition of the topic.
    pub(super) fn partition(&self, v: Val) -> Result<TopicPartition> {
        self.partition_of(v, false)
    }

    /// `TOPIC/N` in an expectation: a deleted topic's partitions may be asked about.
    pub(super) fn partition_to_ask(&self, v: Val) -> Result<TopicPartition> {
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
    pub(super) fn running_producer(&self, v: Val) -> Result<()> {
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
    pub(super) fn topic_list(&self, v: Val) -> Result<Vec<String>> {
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
    pub(super) fn group(&self, v: Val) -> Result<Option<&GroupInfo>> {
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
    pub(super) fn group_to_read(&self, v: Val) -> Result<()> {
        if self.apps.contains_key(v.text) || self.connect.groups.contains(v.text) {
            return Ok(());
        }
        self.group(v).map(|_| ())
    }

    /// Whether a consumer of this name was started, or meant to be by a line that failed.
    pub(super) fn consumer_exists(&self, name: &str) -> bool {
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
    pub(super) fn running_consumer(&self, v: Val) -> Result<Option<&ConsumerInfo>> {
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
    pub(super) fn stopped_consumer(&self, v: Val) -> Result<()> {
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
    pub(super) fn member(&self, group: &str, v: Val) -> Result<()> {
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
pub(super) fn short_list(names: &[&str]) -> String {
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
