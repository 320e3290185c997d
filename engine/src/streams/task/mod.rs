//! One stream task (Kafka's `StreamTask`): the nodes of one sub-topology for one partition,
//! its stores, and the records it emits. Pure and deterministic: the caller hands it records
//! one at a time and gets back effects (records to produce, changelog writes, errors, peeks);
//! fetching, producing, committing offsets and restoring belong to the stream thread.
//!
//! This file holds the task itself (creation, processing, commit, restore, close, queries) and
//! `run`, which hands a record to its node's operator. The operators, by Kafka processor family:
//!
//! - `state`: the stores as the task sees them, through the record cache (`StoreState`, `get`,
//!   `put`, `apply_flushed`)
//! - `stateless`: `KStream` filter, map, selectKey, mapValues, flatMapValues, peek, branch
//! - `table`: the `KTable` operators (source, filter, mapValues, toStream, groupBy)
//! - `aggregate`: stream, table and windowed aggregations, and suppress
//! - `joins`: stream–stream, stream–table and table–table joins
//!
//! Evaluation errors skip the record and count it, as
//! `processing.exception.handler=LogAndContinueProcessingExceptionHandler` (KIP-1033) does.

mod aggregate;
mod joins;
mod memory;
mod state;
mod stateless;
mod table;

use std::collections::BTreeMap;
use std::sync::Arc;

use super::cache::{DirtyEntry, ThreadCache};
use super::dsl::WindowSpec;
use super::expr::{Env, EvalError, Expr};
use super::join::StreamStreamJoin;
use super::provenance::{Included, Position};
use super::store::KeyValueStore;
use super::topology::{NodeId, NodeKind, Op, TaskId, Topology};
use super::value::Val;
use super::window::suppress::WindowedSerde;
use super::window::{self, Suppressor, Window, WindowedAggregator, WindowedKey};
use super::windowed::{
    self, cache_key as windowed_cache_key, split_cache_key as split_windowed_cache_key,
};
use super::words::Words;
use crate::time::{MICROS_PER_MS, Micros};
use aggregate::upstream_window;
use state::StoreState;

/// A record read from one of the task's source topics.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub topic: &'a str,
    pub partition: u32,
    pub offset: u64,
    pub timestamp: Micros,
    pub key: Val,
    pub value: Val,
    /// The old value of a table update read from a grouped table's repartition topic (Kafka's
    /// `ChangedSerializer` writes both); `None` for every other record.
    pub old_value: Option<Val>,
    /// The stream thread's clock (simulated time): a left or outer stream–stream join emits
    /// its unmatched records on it (`context.currentSystemTimeMs()`).
    pub now: Micros,
}

/// What processing did, for the stream thread to carry out and the event log to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A sink node's record (an output topic or a repartition topic): the producer picks the
    /// partition from the key, as `RecordCollector.send` does with the default partitioner.
    Produce {
        node: NodeId,
        topic: Arc<str>,
        key: Val,
        value: Val,
        /// Set for a grouped table's repartition records (the old value travels with the new).
        old_value: Option<Val>,
        timestamp: Micros,
        /// The window of a windowed key (`Windowed<K>`, from a windowed aggregation).
        window: Option<Window>,
        /// The offset of the input record whose processing sent it; `None` for a record a
        /// commit's cache flush forwarded (the simulation's provenance, see `Position`).
        input: Option<u64>,
    },
    /// A store write, logged to the store's changelog on the task's partition.
    Changelog {
        store: Arc<str>,
        topic: Arc<str>,
        partition: u32,
        key: Val,
        value: Val,
        timestamp: Micros,
        /// A window store's entries are keyed by key and window.
        window: Option<Window>,
        /// How far into the task's inputs the written value includes every record.
        written_at: Position,
    },
    /// A record skipped: an expression failed, or a key or value an operator cannot take.
    Skipped {
        node: NodeId,
        topic: String,
        partition: u32,
        offset: u64,
        reason: String,
        /// A windowed aggregation's "Skipping record for expired window": the record's window
        /// had closed (its end plus the grace is not after stream time).
        late: bool,
    },
    /// `peek`: what the record (or the peek's expression) showed.
    Peek { node: NodeId, key: Val, value: Val },
}

/// One of a task's source topics (an index into its sources), from [`StreamTask::source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceId(usize);

/// The task cannot run this topology.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TaskError(pub String);

/// A record between processors: a stream record has no `old`; a table update is
/// `Change{new, old}` (`Null` meaning none). (`Default`: what a record lent on is left as when
/// its taker moved it out, see `StreamTask::forward_in_place`.)
#[derive(Debug, Clone, Default)]
struct Rec {
    key: Val,
    value: Val,
    old: Option<Val>,
    timestamp: Micros,
    /// The window of a windowed table's key (`Windowed<K>`): the key stays the record's key.
    window: Option<Window>,
}

/// The variables of a record's expressions.
fn env<'a>(key: &'a Val, value: &'a Val) -> Env<'a> {
    Env {
        key: Some(key),
        value: Some(value),
        ..Env::default()
    }
}

/// Kafka's milliseconds back to simulated microseconds.
fn from_millis(ms: window::Millis) -> Micros {
    Micros::try_from(ms).unwrap_or(0) * MICROS_PER_MS
}

/// Where the record being processed came from, for `Skipped` effects and cache sizes.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    topic: &'a str,
    partition: u32,
    offset: u64,
    /// The index of its source topic in the task's sources; `NO_SOURCE` in a commit's flush.
    source: usize,
}

/// `Ctx::source` of a commit's flush: no record is being processed.
const NO_SOURCE: usize = usize::MAX;

/// What stays the same while one record (or one flush) walks the topology, as Kafka's
/// processor context does for a processor: the topology, where the record came from, the
/// thread's record cache and words, and the effects produced so far.
struct Pass<'a> {
    topology: &'a Topology,
    ctx: Ctx<'a>,
    cache: &'a mut ThreadCache,
    words: Option<&'a Words>,
    out: &'a mut Vec<Effect>,
}

#[derive(Debug, Clone)]
pub struct StreamTask {
    pub id: TaskId,
    topology: Arc<Topology>,
    /// Source node of each topic this task reads.
    sources: Vec<(String, NodeId)>,
    stores: Vec<StoreState>,
    /// Index in `stores` by name, and of each node's store by node id.
    store_index: BTreeMap<String, usize>,
    node_store: Vec<Option<usize>>,
    /// The topic of each sink node of this task, by node id.
    sink_topics: Vec<Option<Arc<str>>>,
    /// The window stores' processors (their own segmented stores) and suppression buffers,
    /// from the `window` module.
    windowed: BTreeMap<NodeId, WindowedAggregator>,
    suppressors: BTreeMap<NodeId, Suppressor>,
    /// Each stream–stream join's shared state, by its JOINTHIS node, and the JOINTHIS node of
    /// each JOINOTHER node.
    stream_joins: BTreeMap<NodeId, StreamStreamJoin>,
    join_partner: BTreeMap<NodeId, NodeId>,
    /// The clock of the record being processed.
    now: Micros,
    /// Stream time: the largest timestamp processed.
    pub stream_time: Option<Micros>,
    /// Records read from the source topics.
    pub processed: u64,
    /// Records skipped (Kafka's `dropped-records` sensor).
    pub dropped: u64,
    flushed: Vec<DirtyEntry>,
    /// How far into its inputs its stores include every record (`provenance`).
    included: Included,
}

impl StreamTask {
    /// The task `id` of `topology`, its stores cached in its stream thread's `cache` (Kafka
    /// gives a task its thread's cache when it is created); refuses sub-topologies with
    /// operations it cannot run.
    pub fn new(
        topology: Arc<Topology>,
        id: TaskId,
        cache: &mut ThreadCache,
    ) -> Result<StreamTask, TaskError> {
        let sub = topology
            .subtopologies
            .iter()
            .find(|s| s.id == id.subtopology)
            .ok_or_else(|| TaskError(format!("no sub-topology {}", id.subtopology)))?;
        let mut sources = Vec::new();
        let mut stores = Vec::new();
        let mut store_index = BTreeMap::new();
        let mut node_store = vec![None; topology.nodes.len()];
        let mut sink_topics = vec![None; topology.nodes.len()];
        let mut windowed = BTreeMap::new();
        let mut suppressors = BTreeMap::new();
        let mut stream_joins = BTreeMap::new();
        let mut join_partner = BTreeMap::new();
        for &n in &sub.nodes {
            let node = &topology.nodes[n];
            match &node.op {
                Op::WindowedAggregate { window, .. } => {
                    windowed.insert(n, WindowedAggregator::new(window));
                }
                Op::Suppress { grace, .. } => {
                    let serde = match upstream_window(&topology, n) {
                        Some(WindowSpec::Session { .. }) => WindowedSerde::Session,
                        _ => WindowedSerde::Time,
                    };
                    suppressors.insert(n, Suppressor::new(window::millis(*grace), serde));
                }
                Op::StreamStreamJoin {
                    this_side: true,
                    kind,
                    window,
                    ..
                } => {
                    stream_joins.insert(n, StreamStreamJoin::new(*kind, *window));
                }
                Op::StreamStreamJoin {
                    this_side: false, ..
                } => {
                    // The merge's other predecessor is this join's JOINTHIS node.
                    let merge = node.successors[0];
                    let this = topology.nodes[merge].predecessors[0];
                    join_partner.insert(n, this);
                }
                Op::StreamGlobalTableJoin { .. } => {
                    return Err(TaskError(format!(
                        "{}: global table joins do not run in this version's tasks yet",
                        node.name
                    )));
                }
                _ => {}
            }
            match &node.kind {
                NodeKind::Source { topics } => {
                    sources.extend(topics.iter().map(|t| (t.clone(), n)))
                }
                NodeKind::Sink { topic } => sink_topics[n] = Some(Arc::from(topic.as_str())),
                NodeKind::Processor => {}
            }
            let send_old_values = match &node.op {
                Op::TableSource {
                    send_old_values, ..
                } => *send_old_values,
                // An aggregation sends old values when the table operation after it asks
                // (`KStreamAggregate.enableSendingOldValues`): a groupBy, or a filter or
                // mapValues the builder asked on a groupBy's behalf.
                Op::StreamAggregate { .. } | Op::TableAggregate { .. } => node
                    .successors
                    .iter()
                    .any(|&s| match &topology.nodes[s].op {
                        Op::TableSelect { .. } => true,
                        Op::TableFilter {
                            send_old_values, ..
                        }
                        | Op::TableMapValues {
                            send_old_values, ..
                        } => *send_old_values,
                        _ => false,
                    }),
                _ => false,
            };
            for s in &node.stores {
                let spec = topology.store(s).expect("a node's store is declared");
                if let Some(&i) = store_index.get(s) {
                    node_store[n].get_or_insert(i);
                    continue;
                }
                stores.push(StoreState {
                    name: Arc::from(s.as_str()),
                    kv: KeyValueStore::default(),
                    changelog: spec.changelog.as_deref().map(Arc::from),
                    cache: cache.named(&ThreadCache::namespace(&id.to_string(), s)),
                    windowed: matches!(spec.kind, super::topology::StoreKind::Windowed { .. }),
                    owner: n,
                    send_old_values,
                });
                store_index.insert(s.clone(), stores.len() - 1);
                node_store[n].get_or_insert(stores.len() - 1);
            }
        }
        let included = Included::new(sources.len(), stores.len());
        Ok(StreamTask {
            id,
            topology,
            sources,
            stores,
            store_index,
            node_store,
            sink_topics,
            windowed,
            suppressors,
            stream_joins,
            join_partner,
            now: 0,
            stream_time: None,
            processed: 0,
            dropped: 0,
            flushed: Vec::new(),
            included,
        })
    }

    /// The topics this task reads.
    pub fn source_topics(&self) -> impl Iterator<Item = &str> {
        self.sources.iter().map(|(t, _)| t.as_str())
    }

    /// A store's committed contents (what the changelog holds after a flush).
    pub fn store(&self, name: &str) -> Option<&KeyValueStore> {
        self.store_index.get(name).map(|&i| &self.stores[i].kv)
    }

    /// Store `name`'s entries in the thread's record cache not yet flushed to it (`Null` for a
    /// pending delete), in write order: see [`ThreadCache::dirty`].
    pub fn pending<'c>(
        &self,
        cache: &'c ThreadCache,
        name: &str,
    ) -> impl Iterator<Item = (&'c Val, &'c Val, Micros)> + use<'c> {
        let id = self.store_index.get(name).map(|&i| self.stores[i].cache);
        id.into_iter().flat_map(move |id| cache.dirty(id))
    }

    /// The windowed aggregation that writes window store `name`: its observed stream time and
    /// its rule decide which of the store's windows are closed.
    pub fn window_aggregator(&self, name: &str) -> Option<&WindowedAggregator> {
        let s = &self.stores[*self.store_index.get(name)?];
        self.windowed.get(&s.owner)
    }

    /// The suppression buffer of processor `n` (`KTABLE-SUPPRESS`), whose store is its buffer
    /// (`InMemoryTimeOrderedKeyValueChangeBuffer`), not a key-value store.
    pub fn suppressor(&self, n: NodeId) -> Option<&Suppressor> {
        self.suppressors.get(&n)
    }

    /// A store's value for `key` as an interactive query reads it (`store(…).get(key)` →
    /// `MeteredKeyValueStore` → `CachingKeyValueStore.get`): the thread's record cache first,
    /// where a processor's latest write waits for the next flush, then the store. A cached
    /// delete reads as absent. `None` also when the task has no such store.
    pub fn query(&self, cache: &ThreadCache, store: &str, key: &Val) -> Option<(Val, Micros)> {
        let s = &self.stores[*self.store_index.get(store)?];
        match cache.peek(s.cache, key) {
            Some((v, t)) => (!v.is_null()).then_some((v, t)),
            None => s.kv.get(key).cloned(),
        }
    }

    /// Processes one record from a source topic, appending what it caused to `out`.
    pub fn process(&mut self, cache: &mut ThreadCache, input: Input<'_>, out: &mut Vec<Effect>) {
        if let Some(source) = self.source(input.topic) {
            self.process_with(cache, None, source, input, out);
        }
    }

    /// The source of `topic` among the task's, if it reads it: found once for a run of one
    /// partition's records (`RecordQueue`: Kafka keeps a queue, and its source node, per
    /// partition), instead of comparing the topic's name for every record.
    pub fn source(&self, topic: &str) -> Option<SourceId> {
        self.sources
            .iter()
            .position(|(t, _)| t == topic)
            .map(SourceId)
    }

    /// [`StreamTask::process`] of a record of `source` (its topic's, from
    /// [`StreamTask::source`]), with its thread's words, which `split` takes its words from.
    pub fn process_from(
        &mut self,
        cache: &mut ThreadCache,
        words: &Words,
        source: SourceId,
        input: Input<'_>,
        out: &mut Vec<Effect>,
    ) {
        self.process_with(cache, Some(words), source, input, out);
    }

    fn process_with(
        &mut self,
        cache: &mut ThreadCache,
        words: Option<&Words>,
        SourceId(si): SourceId,
        input: Input<'_>,
        out: &mut Vec<Effect>,
    ) {
        debug_assert_eq!(
            self.sources[si].0, input.topic,
            "a record of its source's topic"
        );
        let source = self.sources[si].1;
        self.processed += 1;
        self.included.advance(si, input.offset);
        self.now = input.now;
        self.stream_time = Some(
            self.stream_time
                .map_or(input.timestamp, |t| t.max(input.timestamp)),
        );
        let ctx = Ctx {
            topic: input.topic,
            partition: input.partition,
            offset: input.offset,
            source: si,
        };
        let rec = Rec {
            key: input.key,
            value: input.value,
            old: input.old_value,
            timestamp: input.timestamp,
            window: None,
        };
        let topology = Arc::clone(&self.topology);
        let mut p = Pass {
            topology: &topology,
            ctx,
            cache,
            words,
            out,
        };
        self.forward(&mut p, source, rec);
    }

    /// `StreamTask.commit` → `flush`: empties this task's named caches downstream and into the
    /// stores and changelogs.
    pub fn commit(&mut self, cache: &mut ThreadCache, out: &mut Vec<Effect>) {
        let topology = Arc::clone(&self.topology);
        let ctx = Ctx {
            topic: "",
            partition: self.id.partition,
            offset: 0,
            source: NO_SOURCE,
        };
        let mut p = Pass {
            topology: &topology,
            ctx,
            cache,
            words: None,
            out,
        };
        for si in 0..self.stores.len() {
            let mut flushed = std::mem::take(&mut self.flushed);
            p.cache.flush(self.stores[si].cache, &mut flushed);
            self.apply_flushed(&mut p, si, &mut flushed);
            self.flushed = flushed;
        }
        self.log_suppressions(p.out);
    }

    /// Restores one changelog record into a store (no cache, no changelog, no forwarding), as
    /// the restore consumer does; `Null` deletes. A window store's changelog key carries the
    /// window (`[key@start/end]`, see `windowed`); its entry goes back into the store and into
    /// the windowed processor's segmented store, which its next records read
    /// (`RocksDBWindowStore`/`RocksDBSessionStore` restore into the store the processor fetches
    /// from). A key already in the store's form (`[key, start, end]`, from the state directory)
    /// is taken as is.
    pub fn restore(&mut self, store: &str, key: Val, value: Val, timestamp: Micros) -> bool {
        self.restore_logged(store, key, value, timestamp, None)
    }

    /// `restore` of a record logged at `written_at` (see `provenance`): the restored value
    /// includes every record up to it.
    pub fn restore_logged(
        &mut self,
        store: &str,
        key: Val,
        value: Val,
        timestamp: Micros,
        written_at: Option<Position>,
    ) -> bool {
        let Some(&i) = self.store_index.get(store) else {
            return false;
        };
        if self.is_suppression(i) {
            self.restore_suppression(i, &key, value, timestamp);
            return true;
        }
        if !self.stores[i].windowed {
            self.included.restored(i, &key, written_at);
            self.stores[i].kv.put(key, value, timestamp);
            return true;
        }
        let parsed = match &key {
            Val::Text(t) => windowed::parse_key_text(t),
            other => match split_windowed_cache_key(other) {
                (k, Some(w)) => Some((k, w)),
                (_, None) => None,
            },
        };
        let Some((k, w)) = parsed else {
            return false; // not a windowed key: nothing this store can hold
        };
        let wk = WindowedKey { key: k, window: w };
        if let Some(aggregator) = self.windowed.get_mut(&self.stores[i].owner) {
            let live = (!value.is_null()).then(|| value.clone());
            let ts = window::millis(timestamp);
            aggregator.restore(&wk.key, w, live.map(|v| (v, ts)));
        }
        let key = windowed_cache_key(&wk);
        self.included.restored(i, &key, written_at);
        self.stores[i].kv.put(key, value, timestamp);
        true
    }

    /// Restores a store kept by an earlier task (the state directory, a standby) whose
    /// provenance was `kept`: each entry includes what that task's did.
    pub fn restore_kept(&mut self, store: &str, kv: &KeyValueStore, kept: &Included) {
        let Some(&i) = self.store_index.get(store) else {
            return;
        };
        for (k, v, ts) in kv.iter() {
            self.restore_logged(store, k.clone(), v.clone(), ts, kept.kept(i, k));
        }
    }

    /// How far into its inputs the task's stores include every record.
    pub fn included(&self) -> &Included {
        &self.included
    }

    /// Store updates applied twice since the last call (see `provenance`).
    pub fn take_reapplied(&mut self) -> u64 {
        self.included.take_reapplied()
    }

    /// Closes the task (`StreamTask.closeClean`): a last flush, then its named caches leave
    /// the thread's cache.
    pub fn close(mut self, cache: &mut ThreadCache, out: &mut Vec<Effect>) {
        self.commit(cache, out);
        for s in &self.stores {
            cache.close(s.cache);
        }
    }

    /// Closes the task without a flush (`StreamTask.closeDirty`, after a crash or a lost
    /// membership): what its caches held is dropped with them.
    pub fn close_dirty(self, cache: &mut ThreadCache) {
        for s in &self.stores {
            cache.close(s.cache);
        }
    }

    /// `ProcessorContext.forward` of a record the operator made: see `forward_in_place`.
    #[inline(always)]
    fn forward(&mut self, p: &mut Pass<'_>, from: NodeId, mut rec: Rec) {
        self.forward_in_place(p, from, &mut rec);
    }

    /// `ProcessorContext.forward`: the record to each successor of `from`. Inlined into every
    /// operator: most nodes have one successor, which then gets the record straight from the
    /// operator, without a call of its own in between. The record is lent, not moved: an
    /// operator that changes a field (selectKey's key) changes it where it is, and the
    /// successor takes what it keeps, instead of each hop copying the whole record. A record
    /// lent to `forward_in_place` is spent: its lender never reads it again.
    #[inline(always)]
    fn forward_in_place(&mut self, p: &mut Pass<'_>, from: NodeId, rec: &mut Rec) {
        let topology = p.topology;
        let succ = &topology.nodes[from].successors;
        if let [only] = succ.as_slice() {
            self.run(p, *only, rec);
        } else {
            self.forward_each(p, succ, rec);
        }
    }

    /// `forward` to no successor or to several (each gets its copy).
    #[inline(never)]
    fn forward_each(&mut self, p: &mut Pass<'_>, succ: &[NodeId], rec: &Rec) {
        for &s in succ {
            self.run(p, s, &mut rec.clone());
        }
    }

    fn skip(&mut self, p: &mut Pass<'_>, node: NodeId, reason: String) {
        self.skip_as(p, node, reason, false);
    }

    /// Every skip is one count of the task's `dropped-records` sensor (`TaskMetrics`); `late`
    /// marks the window processors' expired-window path.
    fn skip_as(&mut self, p: &mut Pass<'_>, node: NodeId, reason: String, late: bool) {
        self.dropped += 1;
        p.out.push(Effect::Skipped {
            node,
            topic: p.ctx.topic.to_string(),
            partition: p.ctx.partition,
            offset: p.ctx.offset,
            reason,
            late,
        });
    }

    /// Evaluates `e` for a record, or skips the record.
    fn eval(&mut self, p: &mut Pass<'_>, e: &Expr, env: Env<'_>, node: NodeId) -> Option<Val> {
        let env = Env {
            words: p.words,
            ..env
        };
        match e.eval(&env) {
            Ok(v) => Some(v),
            Err(EvalError(msg)) => {
                self.skip(p, node, msg);
                None
            }
        }
    }

    /// Hands a (lent) record to node `n`'s operator. The operators of a word count's path
    /// take it in place; the others take it over (`take`), as they always had it.
    fn run(&mut self, p: &mut Pass<'_>, n: NodeId, rec: &mut Rec) {
        let topology = p.topology;
        let node = &topology.nodes[n];
        let take = std::mem::take::<Rec>;
        match &node.op {
            Op::Source | Op::PassThrough => self.forward_in_place(p, n, rec),
            Op::Sink => {
                let Some(topic) = &self.sink_topics[n] else {
                    return;
                };
                p.out.push(Effect::Produce {
                    node: n,
                    topic: Arc::clone(topic),
                    key: std::mem::take(&mut rec.key),
                    value: std::mem::take(&mut rec.value),
                    old_value: rec.old.take(),
                    timestamp: rec.timestamp,
                    window: rec.window,
                    input: (p.ctx.source != NO_SOURCE).then_some(p.ctx.offset),
                });
            }
            Op::Filter { predicate, not } => self.filter(p, n, predicate, *not, rec),
            Op::Map { key, value } => self.map(p, n, key, value, rec),
            Op::SelectKey(key) => self.select_key(p, n, key, rec),
            Op::MapValues(mapper) => self.map_values(p, n, mapper, rec),
            Op::FlatMapValues(mapper) => self.flat_map_values(p, n, mapper, rec),
            Op::Peek(shown) => self.peek(p, n, shown.as_ref(), rec),
            Op::Branch {
                predicates,
                children,
                default,
            } => self.branch(p, n, predicates, children, *default, rec),
            Op::StreamAggregate { agg, .. } => self.stream_aggregate(p, n, agg, rec),
            Op::TableSource { materialized, .. } => {
                self.table_source(p, n, *materialized, take(rec))
            }
            Op::GlobalTableSource { .. } => self.global_table_source(n, take(rec)),
            Op::TableFilter {
                predicate,
                not,
                send_old_values,
            } => self.table_filter(p, n, predicate, *not, *send_old_values, take(rec)),
            Op::TableMapValues {
                mapper,
                send_old_values,
            } => self.table_map_values(p, n, mapper, *send_old_values, take(rec)),
            Op::TableToStream => self.table_to_stream(p, n, rec),
            Op::TableSelect { key, value } => {
                self.table_select(p, n, key, value.as_ref(), take(rec))
            }
            Op::TableAggregate { agg, .. } => {
                if let Some(store) = self.node_store[n] {
                    self.table_aggregate(p, n, store, agg, take(rec))
                }
            }
            Op::WindowedAggregate { agg, .. } => self.windowed_aggregate(p, n, agg, take(rec)),
            Op::Suppress { .. } => self.suppress(p, n, take(rec)),
            // The join processors below put each record into its window store
            // (`StreamStreamJoin` keeps both), so the windowed node only passes it on.
            Op::JoinWindow { .. } => self.forward_in_place(p, n, rec),
            Op::StreamStreamJoin {
                this_side, joiner, ..
            } => self.stream_stream_join(p, n, *this_side, joiner, take(rec)),
            Op::StreamTableJoin { kind, joiner, .. } => {
                self.stream_table_join(p, n, *kind, joiner, take(rec))
            }
            Op::TableTableJoin {
                this_side,
                kind,
                joiner,
                ..
            } => self.table_table_join(p, n, *this_side, *kind, joiner, take(rec)),
            // Refused by `new`.
            Op::StreamGlobalTableJoin { .. } => {}
        }
    }
}
