//! The one-line Streams commands and what `expect`, `wait until` and `focus` may ask about a
//! Streams application, checked against what earlier lines declared.
//!
//! ```text
//! streams add word-count-3 app=word-count threads=2   # one more instance
//! streams stop word-count-1                            # KafkaStreams.close()
//! streams crash word-count-2                           # the process vanishes
//! expect store word-count/counts key=kafka == 3
//! expect tasks word-count word-count-1 == 0_0,1_0
//! expect task-owner word-count 1_0 == word-count-2
//! expect streams-state word-count word-count-1 == RUNNING
//! focus app word-count    focus store word-count/counts    focus task word-count/1_0
//! ```

use std::collections::BTreeSet;

use super::Result;
use super::context::{Context, TopicInfo, short_list};
use super::cursor::{Cursor, Val};
use super::values::{check_name, u32_of};
use crate::command::Command;
use crate::limits;
use crate::scenario::diagnostic::{LineError, did_you_mean};
use crate::streams::dsl::{App, Operation, Start};
use crate::streams::topology::InternalTopicKind;

/// A Streams application declared by `streams app`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppInfo {
    /// `num.stream.threads` of its instances, unless `streams add` says otherwise.
    pub threads: u32,
    /// The stores named with `store=`, which `expect store` and `focus store` may name.
    pub stores: BTreeSet<String>,
    /// Every topic its topology reads or writes, internal ones included: `topic delete`
    /// refuses them.
    pub topics: BTreeSet<String>,
}

/// An instance of a Streams application (`APP-1` … or `streams add`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceInfo {
    pub app: String,
    pub threads: u32,
    /// Stopped or crashed: it takes no more commands (names are never reused).
    pub stopped: bool,
}

/// Kafka Streams' `KafkaStreams.State`, as `streams-state` compares it.
pub const STREAMS_STATES: &[&str] = &[
    "CREATED",
    "REBALANCING",
    "RUNNING",
    "PENDING_SHUTDOWN",
    "NOT_RUNNING",
    "PENDING_ERROR",
    "ERROR",
];

impl AppInfo {
    pub fn of(app: &App) -> AppInfo {
        let mut stores = BTreeSet::new();
        for chain in &app.chains {
            if let Start::Table { store: Some(s), .. } | Start::GlobalTable { store: Some(s), .. } =
                &chain.start
            {
                stores.insert(s.clone());
            }
            for (_, op) in &chain.ops {
                if let Operation::Count { store: Some(s) }
                | Operation::Reduce { store: Some(s), .. }
                | Operation::Aggregate { store: Some(s), .. }
                | Operation::ToTable { store: Some(s) } = op
                {
                    stores.insert(s.clone());
                }
            }
        }
        // The topics its topology names (a block that parsed builds; one that does not was
        // reported already and names none).
        let mut topics = BTreeSet::new();
        if let Ok(t) = crate::streams::builder::build(app) {
            for sub in &t.subtopologies {
                topics.extend(sub.source_topics.iter().chain(&sub.sink_topics).cloned());
            }
            topics.extend(t.internal_topics.iter().map(|i| i.name.clone()));
            topics.extend(t.global_stores.iter().map(|g| g.topic.clone()));
        }
        AppInfo {
            threads: app.config.threads,
            stores,
            topics,
        }
    }
}

impl Context {
    /// Records a declared application and its first instances.
    pub(super) fn declare_app(&mut self, app: &App) {
        self.apps.insert(app.name.clone(), AppInfo::of(app));
        self.declare_repartition_topics(app);
        for i in 1..=app.config.instances {
            self.instances.insert(
                format!("{}-{i}", app.name),
                InstanceInfo {
                    app: app.name.clone(),
                    threads: app.config.threads,
                    stopped: false,
                },
            );
        }
    }

    /// The app's repartition topics (`<app>-<name>-repartition`), which its group leader
    /// creates at the first rebalance with the partition count the topology computes, may be
    /// named like any topic (`expect log-start word-count-counts-repartition/0 > 0`).
    fn declare_repartition_topics(&mut self, app: &App) {
        let Ok(topology) = crate::streams::builder::build(app) else {
            return; // checked when the block was parsed
        };
        let counts = topology.partition_counts(|t| self.topics.get(t).map(|i| i.partitions));
        let replication = crate::streams::runtime::INTERNAL_REPLICATION.min(
            self.brokers
                .unwrap_or(crate::streams::runtime::INTERNAL_REPLICATION),
        );
        for topic in &topology.internal_topics {
            if topic.kind == InternalTopicKind::Repartition
                && let Some(&partitions) = counts.get(&topic.name)
            {
                self.topics.entry(topic.name.clone()).or_insert(TopicInfo {
                    partitions,
                    replication,
                });
            }
        }
    }

    /// An application of this name was declared, or meant to be by a block that failed.
    pub(super) fn app_exists(&self, name: &str) -> bool {
        self.apps.contains_key(name) || self.recovered.apps.contains(name)
    }

    /// Consumer clients started so far, stopped ones included: consumers, and one per stream
    /// thread of every Streams instance (each thread has its own consumer in the group).
    pub(super) fn consumer_clients(&self) -> usize {
        let threads: usize = self.instances.values().map(|i| i.threads as usize).sum();
        self.consumers.len() + self.recovered.consumers.len() + threads
    }

    /// Stream threads running now (each is a consumer polling, for the room's load).
    pub(super) fn running_stream_threads(&self) -> u64 {
        self.instances
            .values()
            .filter(|i| !i.stopped)
            .map(|i| u64::from(i.threads))
            .sum()
    }

    /// An application named in a command or metric. `None` when its block failed.
    pub(super) fn app(&self, v: Val) -> Result<Option<&AppInfo>> {
        if let Some(info) = self.apps.get(v.text) {
            return Ok(Some(info));
        }
        if self.recovered.apps.contains(v.text) {
            return Ok(None);
        }
        let err = v.err(format!("unknown streams app '{}'", v.text));
        let names = self.apps.keys().map(String::as_str);
        Err(match did_you_mean(v.text, names) {
            Some(hint) => err.hint(hint),
            None if self.apps.is_empty() => {
                err.hint("declare it first with a 'streams app NAME … end' block")
            }
            None => err,
        })
    }

    fn instance_of_failed_app(&self, name: &str) -> bool {
        name.rsplit_once('-').is_some_and(|(app, n)| {
            self.recovered.apps.contains(app)
                && !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
        })
    }

    /// An instance named in a metric: one of `app`'s, stopped ones included.
    pub(super) fn instance_of(&self, app: &str, v: Val) -> Result<()> {
        match self.instances.get(v.text) {
            Some(i) if i.app == app => return Ok(()),
            Some(i) => {
                return Err(v.err(format!(
                    "instance '{}' belongs to app '{}', not '{app}'",
                    v.text, i.app
                )));
            }
            None if self.instance_of_failed_app(v.text) || !self.apps.contains_key(app) => {
                return Ok(());
            }
            None => {}
        }
        let names: Vec<&str> = self
            .instances
            .iter()
            .filter(|(_, i)| i.app == app)
            .map(|(n, _)| n.as_str())
            .collect();
        let err = v.err(format!("unknown instance '{}' of app '{app}'", v.text));
        Err(match did_you_mean(v.text, names.iter().copied()) {
            Some(hint) => err.hint(hint),
            None => err.hint(format!("its instances are {}", short_list(&names))),
        })
    }

    /// An instance named in `streams stop|crash`: started and still running.
    fn running_instance(&self, v: Val) -> Result<()> {
        match self.instances.get(v.text) {
            Some(i) if i.stopped => Err(v
                .err(format!(
                    "instance '{}' has already stopped or crashed",
                    v.text
                ))
                .hint("instance names are never reused: start a new one with 'streams add'")),
            Some(_) => Ok(()),
            None if self.instance_of_failed_app(v.text) => Ok(()),
            None => {
                let err = v.err(format!("unknown streams instance '{}'", v.text));
                let names = self.instances.keys().map(String::as_str);
                Err(match did_you_mean(v.text, names) {
                    Some(hint) => err.hint(hint),
                    None => err.hint(
                        "an app's instances are named APP-1, APP-2, …; 'streams add' starts more",
                    ),
                })
            }
        }
    }

    /// `APP/STORE`: a store named with `store=` in the app's topology.
    pub(super) fn app_store(&self, v: Val) -> Result<(String, String)> {
        let Some((app, store)) = v.text.split_once('/') else {
            return Err(v
                .err(format!("expected APP/STORE, found '{}'", v.text))
                .hint("e.g. word-count/counts"));
        };
        let store_val = v.slice(app.len() + 1, store);
        if let Some(info) = self.app(v.slice(0, app))?
            && !info.stores.contains(store)
        {
            let names: Vec<&str> = info.stores.iter().map(String::as_str).collect();
            let err = store_val.err(format!("app '{app}' has no store named '{store}'"));
            return Err(match did_you_mean(store, names.iter().copied()) {
                Some(hint) => err.hint(hint),
                None if names.is_empty() => err.hint(
                    "name a store in the topology with store=NAME (count store=counts), then ask about it",
                ),
                None => err.hint(format!("its stores are {}", short_list(&names))),
            });
        }
        Ok((app.to_string(), store.to_string()))
    }

    /// `APP/TASK`, as `focus task` writes it.
    pub(super) fn app_task(&self, v: Val) -> Result<(String, String)> {
        let Some((app, task)) = v.text.split_once('/') else {
            return Err(v
                .err(format!("expected APP/TASK, found '{}'", v.text))
                .hint("e.g. word-count/0_1"));
        };
        self.app(v.slice(0, app))?;
        let task = task_id(v.slice(app.len() + 1, task))?;
        Ok((app.to_string(), task))
    }
}

/// A task id as Kafka writes it: `SUBTOPOLOGY_PARTITION`, e.g. `0_1`.
pub(super) fn task_id(v: Val) -> Result<String> {
    let ok = v.text.split_once('_').is_some_and(|(a, b)| {
        [a, b]
            .iter()
            .all(|n| !n.is_empty() && n.len() <= 9 && n.bytes().all(|c| c.is_ascii_digit()))
    });
    if !ok {
        return Err(v
            .err(format!(
                "expected a task id such as 0_1, found '{}'",
                v.text
            ))
            .hint("a task is SUBTOPOLOGY_PARTITION: task 1_2 runs sub-topology 1 on partition 2"));
    }
    Ok(v.text.to_string())
}

/// `streams add INSTANCE app=APP [threads=N]` / `streams stop INSTANCE` / `streams crash INSTANCE`
pub(super) fn streams(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    let sub = super::subcommand(cur, head, &["add", "stop", "crash", "app"])?;
    match sub {
        "app" => Err(head
            .err("a 'streams app' block spans several lines, up to 'end'")
            .hint("write it in a scenario file or the editor (the console takes one line at a time; 'at' cannot schedule a block)")),
        "add" => {
            let name = cur.word("the new instance's name")?;
            check_name(name, "instance")?;
            if ctx.instances.contains_key(name.text) || ctx.instance_of_failed_app(name.text) {
                return Err(name
                    .err(format!("instance '{}' already exists", name.text))
                    .hint("instance names are never reused, even after stop or crash"));
            }
            let opts = cur.options(&["app", "threads"])?;
            let app_val = opts.required("app", cur, "streams add word-count-3 app=word-count")?;
            let info = ctx.app(app_val)?;
            let threads = opts
                .map("threads", |v| {
                    let n = u32_of(v, "a number of stream threads")?;
                    super::values::limit(
                        v,
                        limits::check_streams_instances("threads", n, limits::MAX_STREAMS_THREADS),
                    )
                    .map(|()| n)
                })?;
            let more = threads.or(info.map(|i| i.threads)).unwrap_or(1);
            super::values::limit(
                name,
                limits::check_consumers(ctx.consumer_clients(), more as usize),
            )?;
            Ok(Command::StreamsAdd {
                instance: name.text.to_string(),
                app: app_val.text.to_string(),
                threads,
            })
        }
        _ => {
            let name = cur.word("the instance's name")?;
            ctx.running_instance(name)?;
            cur.finish()?;
            let instance = name.text.to_string();
            Ok(if sub == "stop" {
                Command::StreamsStop { instance }
            } else {
                Command::StreamsCrash { instance }
            })
        }
    }
}

/// A state of `streams-state`.
pub(super) fn streams_state(v: Val) -> Result<String> {
    if STREAMS_STATES.contains(&v.text) {
        return Ok(v.text.to_string());
    }
    let fallback = format!("the states are {}", STREAMS_STATES.join(", "));
    Err(v
        .err(format!("unknown streams state '{}'", v.text))
        .hint(did_you_mean(v.text, STREAMS_STATES.iter().copied()).unwrap_or(fallback)))
}

/// For messages of the block collector in `parse`.
pub(super) fn unclosed(col: u32) -> LineError {
    LineError::new(col, "this 'streams app' block has no 'end'")
        .hint("close the block with a line 'end' after its last operation")
}
