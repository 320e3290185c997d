//! The Streams part of the snapshot (`snapshot::StreamsAppView`): what the page draws.

use std::collections::{BTreeMap, HashMap};

use crate::cluster::Cluster;
use crate::fxhash::FxBuild;
use crate::snapshot::{
    InternalTopicView, NodeView, SNAPSHOT_STORE_ENTRIES, StoreEntryView, StoreView,
    StreamThreadView, StreamsAppView, StreamsInstanceView, StreamsTaskView, SubtopologyView,
};
use crate::streams::cache::ThreadCache;
use crate::streams::task::StreamTask;
use crate::streams::topology::{InternalTopicKind, NodeKind, Op, StoreKind};
use crate::streams::value::Val;
use crate::streams::window::WindowedAggregator;
use crate::streams::windowed;
use crate::time::Micros;

impl Cluster {
    pub(crate) fn streams_views(&self) -> Vec<StreamsAppView> {
        self.streams
            .iter()
            .map(|app| {
                let t = &app.topology;
                let subtopology_of = |n: usize| {
                    t.subtopologies
                        .iter()
                        .find(|s| s.nodes.contains(&n))
                        .map(|s| s.id)
                };
                let nodes = t
                    .nodes
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let (kind, topics) = match &n.kind {
                            NodeKind::Source { topics } => ("source", topics.clone()),
                            NodeKind::Processor => ("processor", Vec::new()),
                            NodeKind::Sink { topic } => ("sink", vec![topic.clone()]),
                        };
                        NodeView {
                            name: n.name.clone(),
                            kind,
                            topics,
                            stores: n.stores.clone(),
                            successors: n
                                .successors
                                .iter()
                                .map(|&s| t.nodes[s].name.clone())
                                .collect(),
                            subtopology: subtopology_of(i),
                        }
                    })
                    .collect();
                let subtopologies = t
                    .subtopologies
                    .iter()
                    .map(|s| SubtopologyView {
                        id: s.id,
                        nodes: s.nodes.iter().map(|&n| t.nodes[n].name.clone()).collect(),
                        source_topics: s.source_topics.clone(),
                        sink_topics: s.sink_topics.clone(),
                        stores: s.stores.clone(),
                    })
                    .collect();
                let suppression = |store: &str| {
                    t.nodes.iter().any(|n| {
                        matches!(n.op, Op::Suppress { .. }) && n.stores.iter().any(|s| s == store)
                    })
                };
                let stores = t
                    .stores
                    .iter()
                    .map(|spec| {
                        let mut entries = Vec::new();
                        let mut stream_time_us = BTreeMap::new();
                        for inst in &app.instances {
                            for th in &inst.threads {
                                for (id, task) in &th.tasks {
                                    let aggregator = task.task.window_aggregator(&spec.name);
                                    if let Some(a) = aggregator {
                                        let observed = a.observed_stream_time();
                                        stream_time_us.insert(
                                            id.to_string(),
                                            u64::try_from(observed)
                                                .ok()
                                                .map(|ms| ms.saturating_mul(1000)),
                                        );
                                    }
                                    // A suppression's store is its buffer: the windows
                                    // waiting to close, each with its latest count.
                                    let suppressor =
                                        t.nodes.iter().enumerate().find_map(|(n, node)| {
                                            node.stores
                                                .contains(&spec.name)
                                                .then(|| task.task.suppressor(n))
                                                .flatten()
                                        });
                                    if let Some(buffer) = suppressor {
                                        entries.extend(buffer.buffered_with_time().map(
                                            |(k, v, ms)| {
                                                StoreEntryView {
                                                    task: id.to_string(),
                                                    key: Some(crate::streams::windowed::key_text(
                                                        &k.key, k.window,
                                                    )),
                                                    value: v.and_then(|v| v.to_record()),
                                                    timestamp_us: u64::try_from(ms)
                                                        .unwrap_or(0)
                                                        .saturating_mul(1000),
                                                    // Waiting in the buffer: not closed yet.
                                                    closed: None,
                                                    // The buffer has no record cache.
                                                    cached: false,
                                                }
                                            },
                                        ));
                                    } else {
                                        entries.extend(store_entries(
                                            &task.task,
                                            &th.cache,
                                            &spec.name,
                                            aggregator,
                                            &id.to_string(),
                                        ));
                                    }
                                }
                            }
                        }
                        let size = entries.len() as u64;
                        entries.sort_by(|a, b| {
                            b.timestamp_us
                                .cmp(&a.timestamp_us)
                                .then_with(|| a.key.cmp(&b.key))
                        });
                        entries.truncate(SNAPSHOT_STORE_ENTRIES);
                        StoreView {
                            name: spec.name.clone(),
                            // A suppression buffer is keyed by windows, as a window store.
                            kind: match spec.kind {
                                StoreKind::KeyValue if !suppression(&spec.name) => "key-value",
                                _ => "window",
                            },
                            changelog: spec.changelog.clone(),
                            size,
                            newest: entries,
                            stream_time_us,
                        }
                    })
                    .collect();
                let internal_topics = t
                    .internal_topics
                    .iter()
                    .map(|it| InternalTopicView {
                        name: it.name.clone(),
                        kind: match it.kind {
                            InternalTopicKind::Repartition => "repartition",
                            _ => "changelog",
                        },
                        created: self.topics.contains_key(&it.name),
                    })
                    .collect();
                let instances = app
                    .instances
                    .iter()
                    .map(|inst| StreamsInstanceView {
                        name: inst.name.clone(),
                        state: self
                            .streams_state(&app.name, &inst.name)
                            .map_or("NOT_RUNNING", |s| s.name()),
                        crashed: inst.crashed,
                        threads: inst
                            .threads
                            .iter()
                            .map(|th| StreamThreadView {
                                name: th.name.clone(),
                                consumer: self.consumers[th.consumer as usize].name.clone(),
                                active: th.tasks.keys().map(|id| id.to_string()).collect(),
                                cache_bytes: th.cache.size_bytes(),
                                cache_max_bytes: th.cache.max_bytes(),
                            })
                            .collect(),
                    })
                    .collect();
                let mut tasks = Vec::new();
                for inst in &app.instances {
                    for th in &inst.threads {
                        for (id, task) in &th.tasks {
                            tasks.push((
                                *id,
                                StreamsTaskView {
                                    id: id.to_string(),
                                    instance: inst.name.clone(),
                                    thread: th.name.clone(),
                                    state: task.state,
                                    restored: task
                                        .restores
                                        .iter()
                                        .map(|r| r.position - r.start)
                                        .sum(),
                                    to_restore: task.restores.iter().map(|r| r.end - r.start).sum(),
                                    processed: task.task.processed,
                                    stream_time_us: task.task.stream_time,
                                },
                            ));
                        }
                    }
                }
                tasks.sort_by_key(|(id, _)| *id);
                StreamsAppView {
                    name: app.name.clone(),
                    group: self.groups[app.group as usize].name.clone(),
                    commit_interval_us: app.config.commit_interval,
                    description: app.description.clone(),
                    subtopologies,
                    nodes,
                    stores,
                    internal_topics,
                    instances,
                    tasks: tasks.into_iter().map(|(_, v)| v).collect(),
                    counters: app.counters.clone(),
                }
            })
            .collect()
    }
}

/// A task's key-value or window store as Kafka's interactive queries read it through the caching
/// layer (`CachingKeyValueStore`, `CachingWindowStore`): an entry the record cache holds dirty
/// shows its cached value, marked `cached` (the next commit, or an eviction, writes it to the
/// store, its changelog and downstream); a pending delete hides its entry. Without this the page
/// drew the flushed store alone and lagged the application's own count (and `expect store`) by
/// up to a commit interval. `aggregator`: the windowed aggregation writing the store, if any
/// (it says which windows are closed).
fn store_entries(
    task: &StreamTask,
    cache: &ThreadCache,
    store: &str,
    aggregator: Option<&WindowedAggregator>,
    task_id: &str,
) -> Vec<StoreEntryView> {
    let Some(kv) = task.store(store) else {
        return Vec::new();
    };
    let entry = |k: &Val, v: &Val, ts: Micros, cached: bool| StoreEntryView {
        task: task_id.to_string(),
        // A window store's entries show their window: `[key@start/end]`.
        key: windowed::store_key_text(k),
        value: v.to_record(),
        timestamp_us: ts,
        closed: aggregator.and_then(|a| windowed::split_cache_key(k).1.map(|w| a.closed(w))),
        cached,
    };
    let pending: HashMap<&Val, (&Val, Micros), FxBuild> = task
        .pending(cache, store)
        .map(|(k, v, ts)| (k, (v, ts)))
        .collect();
    // The store's entries in its order, each as the cache has it; then the keys only the
    // cache holds, in write order (both orders are deterministic).
    let mut entries: Vec<StoreEntryView> = kv
        .iter()
        .filter_map(|(k, v, ts)| match pending.get(k) {
            None => Some(entry(k, v, ts, false)),
            Some((v, _)) if v.is_null() => None,
            Some(&(v, ts)) => Some(entry(k, v, ts, true)),
        })
        .collect();
    entries.extend(
        task.pending(cache, store)
            .filter(|(k, v, _)| !v.is_null() && kv.get(k).is_none())
            .map(|(k, v, ts)| entry(k, v, ts, true)),
    );
    entries
}
