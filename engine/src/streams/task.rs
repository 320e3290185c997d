//! One stream task (Kafka's `StreamTask`): the nodes of one sub-topology for one partition,
//! its stores, and the records it emits. Pure and deterministic: the caller hands it records
//! one at a time and gets back effects (records to produce, changelog writes, errors, peeks);
//! fetching, producing, committing offsets and restoring belong to the stream thread.
//!
//! Stores are wrapped as Kafka wraps them (`MeteredKeyValueStore` → `CachingKeyValueStore` →
//! `ChangeLoggingKeyValueBytesStore` → the store): a processor's write goes to the thread's
//! record cache; only a flush (on commit, or when an eviction finds a dirty entry) writes the
//! store, appends to the changelog and forwards the update downstream, through
//! `TimestampedCacheFlushListener`. A cache of 0 bytes therefore forwards every update.
//!
//! Evaluation errors skip the record and count it, as
//! `processing.exception.handler=LogAndContinueProcessingExceptionHandler` (KIP-1033) does.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::cache::{CacheId, DirtyEntry, ThreadCache};
use super::dsl::WindowSpec;
use super::expr::{Env, EvalError, Expr};
use super::join::{self, Side, StreamStreamJoin, StreamTableResult, TableJoinResult};
use super::provenance::{Included, Position};
use super::store::KeyValueStore;
use super::topology::{Aggregation, NodeId, NodeKind, Op, TaskId, Topology};
use super::value::Val;
use super::window::suppress::WindowedSerde;
use super::window::{self, Suppressor, Window, WindowedAggregator, WindowedKey};
use super::windowed::{
    self, cache_key as windowed_cache_key, split_cache_key as split_windowed_cache_key,
};
use crate::time::{MICROS_PER_MS, Micros};

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

/// The task cannot run this topology.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TaskError(pub String);

/// A record between processors: a stream record has no `old`; a table update is
/// `Change{new, old}` (`Null` meaning none).
#[derive(Debug, Clone)]
struct Rec {
    key: Val,
    value: Val,
    old: Option<Val>,
    timestamp: Micros,
    /// The window of a windowed table's key (`Windowed<K>`): the key stays the record's key.
    window: Option<Window>,
}

#[derive(Debug, Clone)]
struct StoreState {
    name: Arc<str>,
    kv: KeyValueStore,
    changelog: Option<Arc<str>>,
    cache: CacheId,
    /// A window store: cache keys are `[key, start, end]`.
    windowed: bool,
    /// The processor writing the store: a flushed entry is forwarded to its successors.
    owner: NodeId,
    send_old_values: bool,
}

/// The variables of a record's expressions.
fn env<'a>(key: &'a Val, value: &'a Val) -> Env<'a> {
    Env {
        key: Some(key),
        value: Some(value),
        ..Env::default()
    }
}

/// A joiner's variables: `key`, `left` (the value of the side `join` was called on) and
/// `right`.
fn join_env<'a>(key: &'a Val, left: &'a Val, right: &'a Val) -> Env<'a> {
    Env {
        key: Some(key),
        left: Some(left),
        right: Some(right),
        ..Env::default()
    }
}

/// Kafka's milliseconds back to simulated microseconds.
fn from_millis(ms: window::Millis) -> Micros {
    Micros::try_from(ms).unwrap_or(0) * MICROS_PER_MS
}

/// The window of the aggregation a suppress follows.
fn upstream_window(topology: &Topology, n: NodeId) -> Option<WindowSpec> {
    let mut at = n;
    loop {
        match &topology.nodes[at].op {
            Op::WindowedAggregate { window, .. } => return Some(*window),
            _ => at = *topology.nodes[at].predecessors.first()?,
        }
    }
}

/// The DSL's count / reduce / aggregate as the `window` module's `Aggregation`.
struct Functions<'a> {
    agg: &'a Aggregation,
}

impl window::Aggregation for Functions<'_> {
    type Error = EvalError;

    fn init(&mut self) -> Result<Val, EvalError> {
        match self.agg {
            Aggregation::Count => Ok(Val::Int(0)),
            // `aggregatorForReducer`: a reduce starts from null and takes the first value.
            Aggregation::Reduce { .. } => Ok(Val::Null),
            Aggregation::Aggregate { init, .. } => init.eval(&Env::default()),
        }
    }

    fn add(&mut self, key: &Val, value: &Val, agg: &Val) -> Result<Val, EvalError> {
        let env = Env {
            key: Some(key),
            value: Some(value),
            agg: Some(agg),
            ..Env::default()
        };
        match self.agg {
            Aggregation::Count => match agg {
                Val::Int(c) => Ok(Val::Int(c + 1)),
                _ => Ok(Val::Int(1)),
            },
            Aggregation::Reduce { .. } if agg.is_null() => Ok(value.clone()),
            Aggregation::Reduce { adder, .. } | Aggregation::Aggregate { adder, .. } => {
                adder.eval(&env)
            }
        }
    }

    /// Session windows merge two sessions' aggregates: counts add, a reduce applies its
    /// adder to the two (as Kafka's `reduce` on sessions does); the DSL has no merger for
    /// `aggregate`, so merging those is an error.
    fn merge(&mut self, key: &Val, one: &Val, two: &Val) -> Result<Val, EvalError> {
        match self.agg {
            Aggregation::Count => match (one, two) {
                (Val::Int(a), Val::Int(b)) => Ok(Val::Int(a + b)),
                _ => Ok(Val::Int(0)),
            },
            Aggregation::Reduce { .. } => self.add(key, two, one),
            Aggregation::Aggregate { .. } => Err(EvalError(
                "merging two sessions needs a merger, which aggregate does not have".into(),
            )),
        }
    }
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
        let Some(si) = self.sources.iter().position(|(t, _)| t == input.topic) else {
            return;
        };
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
        self.forward(&topology, source, rec, ctx, cache, out);
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
        for si in 0..self.stores.len() {
            let mut flushed = std::mem::take(&mut self.flushed);
            cache.flush(self.stores[si].cache, &mut flushed);
            self.apply_flushed(&topology, si, &mut flushed, ctx, cache, out);
            self.flushed = flushed;
        }
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

    fn forward(
        &mut self,
        topology: &Topology,
        from: NodeId,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let succ = &topology.nodes[from].successors;
        if let [only] = succ.as_slice() {
            self.run(topology, *only, rec, ctx, cache, out);
            return;
        }
        for &s in succ {
            self.run(topology, s, rec.clone(), ctx, cache, out);
        }
    }

    fn skip(&mut self, node: NodeId, ctx: Ctx<'_>, reason: String, out: &mut Vec<Effect>) {
        self.skip_as(node, ctx, reason, false, out);
    }

    /// Every skip is one count of the task's `dropped-records` sensor (`TaskMetrics`); `late`
    /// marks the window processors' expired-window path.
    fn skip_as(
        &mut self,
        node: NodeId,
        ctx: Ctx<'_>,
        reason: String,
        late: bool,
        out: &mut Vec<Effect>,
    ) {
        self.dropped += 1;
        out.push(Effect::Skipped {
            node,
            topic: ctx.topic.to_string(),
            partition: ctx.partition,
            offset: ctx.offset,
            reason,
            late,
        });
    }

    /// Evaluates `e` for a record, or skips the record.
    fn eval(
        &mut self,
        e: &Expr,
        env: Env<'_>,
        node: NodeId,
        ctx: Ctx<'_>,
        out: &mut Vec<Effect>,
    ) -> Option<Val> {
        match e.eval(&env) {
            Ok(v) => Some(v),
            Err(EvalError(msg)) => {
                self.skip(node, ctx, msg, out);
                None
            }
        }
    }

    fn run(
        &mut self,
        topology: &Topology,
        n: NodeId,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let node = &topology.nodes[n];
        match &node.op {
            Op::Source | Op::PassThrough => self.forward(topology, n, rec, ctx, cache, out),
            Op::Sink => {
                let Some(topic) = &self.sink_topics[n] else {
                    return;
                };
                out.push(Effect::Produce {
                    node: n,
                    topic: Arc::clone(topic),
                    key: rec.key,
                    value: rec.value,
                    old_value: rec.old,
                    timestamp: rec.timestamp,
                    window: rec.window,
                    input: (ctx.source != NO_SOURCE).then_some(ctx.offset),
                });
            }
            Op::Filter { predicate, not } => {
                let Some(v) = self.eval(predicate, env(&rec.key, &rec.value), n, ctx, out) else {
                    return;
                };
                if v.is_true() != *not {
                    self.forward(topology, n, rec, ctx, cache, out);
                }
            }
            Op::Map { key, value } => {
                let e = env(&rec.key, &rec.value);
                let Some(k) = self.eval(key, e, n, ctx, out) else {
                    return;
                };
                let Some(v) = self.eval(value, e, n, ctx, out) else {
                    return;
                };
                let rec = Rec {
                    key: k,
                    value: v,
                    ..rec
                };
                self.forward(topology, n, rec, ctx, cache, out);
            }
            Op::SelectKey(key) => {
                let Some(k) = self.eval(key, env(&rec.key, &rec.value), n, ctx, out) else {
                    return;
                };
                self.forward(topology, n, Rec { key: k, ..rec }, ctx, cache, out);
            }
            Op::MapValues(mapper) => {
                let Some(v) = self.eval(mapper, env(&rec.key, &rec.value), n, ctx, out) else {
                    return;
                };
                self.forward(topology, n, Rec { value: v, ..rec }, ctx, cache, out);
            }
            Op::FlatMapValues(mapper) => {
                let Some(v) = self.eval(mapper, env(&rec.key, &rec.value), n, ctx, out) else {
                    return;
                };
                let Val::List(items) = v else {
                    let reason = format!("flatMapValues needs a list, got {}", v.type_name());
                    self.skip(n, ctx, reason, out);
                    return;
                };
                for item in items.iter() {
                    let r = Rec {
                        key: rec.key.clone(),
                        value: item.clone(),
                        old: None,
                        timestamp: rec.timestamp,
                        window: rec.window,
                    };
                    self.forward(topology, n, r, ctx, cache, out);
                }
            }
            Op::Peek(shown) => {
                let value = match shown {
                    Some(e) => match e.eval(&env(&rec.key, &rec.value)) {
                        Ok(v) => v,
                        // A peek never changes the stream: a failing expression shows the error.
                        Err(EvalError(msg)) => Val::text(&format!("error: {msg}")),
                    },
                    None => rec.value.clone(),
                };
                out.push(Effect::Peek {
                    node: n,
                    key: rec.key.clone(),
                    value,
                });
                self.forward(topology, n, rec, ctx, cache, out);
            }
            Op::Branch {
                predicates,
                children,
                default,
            } => {
                for (i, p) in predicates.iter().enumerate() {
                    let Some(v) = self.eval(p, env(&rec.key, &rec.value), n, ctx, out) else {
                        return;
                    };
                    if v.is_true() {
                        self.run(topology, children[i], rec, ctx, cache, out);
                        return;
                    }
                }
                if let Some(d) = default {
                    self.run(topology, *d, rec, ctx, cache, out);
                }
            }
            Op::StreamAggregate { agg, .. } => {
                let Some(store) = self.node_store[n] else {
                    return;
                };
                // KStreamAggregate / KStreamReduce: null keys and values are skipped.
                if rec.key.is_null() || rec.value.is_null() {
                    let reason = "null key or value: skipped by the aggregation".to_string();
                    self.skip(n, ctx, reason, out);
                    return;
                }
                let old = self.get(topology, store, &rec.key, ctx, cache, out);
                let (old_agg, old_ts) = match &old {
                    Some((v, t)) => (Some(v), Some(*t)),
                    None => (None, None),
                };
                let new_agg = match agg {
                    Aggregation::Count => match old_agg {
                        Some(Val::Int(c)) => Val::Int(c + 1),
                        _ => Val::Int(1),
                    },
                    Aggregation::Reduce { adder, .. } => match old_agg {
                        None => rec.value.clone(),
                        Some(a) => {
                            let e = Env {
                                key: Some(&rec.key),
                                value: Some(&rec.value),
                                agg: Some(a),
                                ..Env::default()
                            };
                            let Some(v) = self.eval(adder, e, n, ctx, out) else {
                                return;
                            };
                            v
                        }
                    },
                    Aggregation::Aggregate { init, adder, .. } => {
                        let initial;
                        let a = match old_agg {
                            Some(a) => a,
                            None => {
                                let Some(v) = self.eval(init, Env::default(), n, ctx, out) else {
                                    return;
                                };
                                initial = v;
                                &initial
                            }
                        };
                        let e = Env {
                            key: Some(&rec.key),
                            value: Some(&rec.value),
                            agg: Some(a),
                            ..Env::default()
                        };
                        let Some(v) = self.eval(adder, e, n, ctx, out) else {
                            return;
                        };
                        v
                    }
                };
                let ts = old_ts.map_or(rec.timestamp, |t| t.max(rec.timestamp));
                self.included
                    .update(store, &rec.key, ctx.source, ctx.offset);
                self.put(topology, store, rec.key, new_agg, ts, ctx, cache, out);
            }
            Op::TableSource { materialized, .. } => {
                if rec.key.is_null() {
                    let reason = "null key: skipped by the table".to_string();
                    self.skip(n, ctx, reason, out);
                    return;
                }
                if let (true, Some(store)) = (*materialized, self.node_store[n]) {
                    self.put(
                        topology,
                        store,
                        rec.key,
                        rec.value,
                        rec.timestamp,
                        ctx,
                        cache,
                        out,
                    );
                } else {
                    let r = Rec {
                        old: Some(Val::Null),
                        ..rec
                    };
                    self.forward(topology, n, r, ctx, cache, out);
                }
            }
            Op::GlobalTableSource { .. } => {
                // The global thread's update processor: straight into the store.
                if let Some(i) = self.node_store[n] {
                    self.stores[i].kv.put(rec.key, rec.value, rec.timestamp);
                }
            }
            Op::TableFilter {
                predicate,
                not,
                send_old_values,
            } => {
                // KTableFilter.computeValue: a filtered-out value becomes null (a delete).
                let mut keep = |task: &mut Self, v: &Val| -> Option<Val> {
                    if v.is_null() {
                        return Some(Val::Null);
                    }
                    let r = task.eval(predicate, env(&rec.key, v), n, ctx, out)?;
                    Some(if r.is_true() != *not {
                        v.clone()
                    } else {
                        Val::Null
                    })
                };
                let Some(new) = keep(self, &rec.value) else {
                    return;
                };
                let old = match (&rec.old, send_old_values) {
                    (Some(o), true) => match keep(self, o) {
                        Some(v) => v,
                        None => return,
                    },
                    _ => Val::Null,
                };
                if *send_old_values && new.is_null() && old.is_null() {
                    return;
                }
                let r = Rec {
                    key: rec.key,
                    value: new,
                    old: Some(old),
                    timestamp: rec.timestamp,
                    window: rec.window,
                };
                self.forward(topology, n, r, ctx, cache, out);
            }
            Op::TableMapValues {
                mapper,
                send_old_values,
            } => {
                let map = |task: &mut Self, v: &Val, out: &mut Vec<Effect>| -> Option<Val> {
                    if v.is_null() {
                        return Some(Val::Null);
                    }
                    task.eval(mapper, env(&rec.key, v), n, ctx, out)
                };
                let Some(new) = map(self, &rec.value, out) else {
                    return;
                };
                let old = match (&rec.old, send_old_values) {
                    (Some(o), true) => match map(self, o, out) {
                        Some(v) => v,
                        None => return,
                    },
                    _ => Val::Null,
                };
                let r = Rec {
                    key: rec.key,
                    value: new,
                    old: Some(old),
                    timestamp: rec.timestamp,
                    window: rec.window,
                };
                self.forward(topology, n, r, ctx, cache, out);
            }
            Op::TableToStream => {
                let r = Rec { old: None, ..rec };
                self.forward(topology, n, r, ctx, cache, out);
            }
            Op::TableSelect { key, value } => {
                // KTableRepartitionMap: the old pair (to subtract) and the new pair (to add);
                // one record when both select the same key.
                let old = rec.old.clone().unwrap_or(Val::Null);
                let mut select = |task: &mut Self, v: &Val| -> Option<Option<(Val, Val)>> {
                    if v.is_null() {
                        return Some(None);
                    }
                    let e = env(&rec.key, v);
                    let k = task.eval(key, e, n, ctx, out)?;
                    let val = match value {
                        Some(x) => task.eval(x, e, n, ctx, out)?,
                        None => v.clone(),
                    };
                    Some((!k.is_null() && !val.is_null()).then_some((k, val)))
                };
                let Some(new_pair) = select(self, &rec.value) else {
                    return;
                };
                let Some(old_pair) = select(self, &old) else {
                    return;
                };
                let ts = rec.timestamp;
                match (old_pair, new_pair) {
                    (Some((ok, ov)), Some((nk, nv))) if ok == nk => {
                        let r = Rec {
                            key: nk,
                            value: nv,
                            old: Some(ov),
                            timestamp: ts,
                            window: rec.window,
                        };
                        self.forward(topology, n, r, ctx, cache, out);
                    }
                    (old_pair, new_pair) => {
                        if let Some((ok, ov)) = old_pair {
                            let r = Rec {
                                key: ok,
                                value: Val::Null,
                                old: Some(ov),
                                timestamp: ts,
                                window: rec.window,
                            };
                            self.forward(topology, n, r, ctx, cache, out);
                        }
                        if let Some((nk, nv)) = new_pair {
                            let r = Rec {
                                key: nk,
                                value: nv,
                                old: Some(Val::Null),
                                timestamp: ts,
                                window: rec.window,
                            };
                            self.forward(topology, n, r, ctx, cache, out);
                        }
                    }
                }
            }
            Op::TableAggregate { agg, .. } => {
                if let Some(store) = self.node_store[n] {
                    self.table_aggregate(topology, n, store, agg, rec, ctx, cache, out)
                }
            }
            Op::WindowedAggregate { agg, .. } => {
                self.windowed_aggregate(topology, n, agg, rec, ctx, cache, out)
            }
            Op::Suppress { .. } => {
                let Some(window) = rec.window else {
                    self.skip(n, ctx, "suppress needs a windowed key".into(), out);
                    return;
                };
                let Some(suppressor) = self.suppressors.get_mut(&n) else {
                    return;
                };
                let key = WindowedKey {
                    key: rec.key,
                    window,
                };
                let new = (!rec.value.is_null()).then_some(rec.value);
                let old = rec.old.filter(|o| !o.is_null());
                let emitted = suppressor.process(key, new, old, window::millis(rec.timestamp));
                for e in emitted {
                    let r = Rec {
                        key: e.key.key,
                        value: e.new,
                        old: Some(e.old.unwrap_or(Val::Null)),
                        timestamp: from_millis(e.timestamp),
                        window: Some(e.key.window),
                    };
                    self.forward(topology, n, r, ctx, cache, out);
                }
            }
            // The join processors below put each record into its window store
            // (`StreamStreamJoin` keeps both), so the windowed node only passes it on.
            Op::JoinWindow { .. } => self.forward(topology, n, rec, ctx, cache, out),
            Op::StreamStreamJoin {
                this_side, joiner, ..
            } => {
                let (side, owner) = if *this_side {
                    (Side::Left, n)
                } else {
                    (Side::Right, self.join_partner[&n])
                };
                let Some(state) = self.stream_joins.get_mut(&owner) else {
                    return;
                };
                let outcome = state.process(
                    side,
                    &rec.key,
                    &rec.value,
                    window::millis(rec.timestamp),
                    window::millis(self.now),
                    |k, l, r| joiner.eval(&join_env(k, l, r)),
                );
                if outcome.dropped {
                    self.skip(n, ctx, "null key or value: skipped by the join".into(), out);
                }
                for o in outcome.outputs {
                    let r = Rec {
                        key: o.key,
                        value: o.value,
                        old: None,
                        timestamp: from_millis(o.timestamp),
                        window: None,
                    };
                    self.forward(topology, n, r, ctx, cache, out);
                }
                if let Some(EvalError(msg)) = outcome.error {
                    self.skip(n, ctx, msg, out);
                }
            }
            Op::StreamTableJoin { kind, joiner, .. } => {
                let Some(store) = self.node_store[n] else {
                    return;
                };
                let table = self
                    .get(topology, store, &rec.key, ctx, cache, out)
                    .map(|(v, _)| v);
                let result = join::stream_table_join(
                    *kind,
                    &rec.key,
                    &rec.value,
                    &rec.key,
                    |_| table,
                    |k, l, r| joiner.eval(&join_env(k, l, r)),
                );
                match result {
                    Ok(StreamTableResult::Joined(v)) => {
                        let r = Rec { value: v, ..rec };
                        self.forward(topology, n, r, ctx, cache, out);
                    }
                    Ok(StreamTableResult::NoMatch) => {}
                    Ok(StreamTableResult::Dropped) => {
                        let reason = "null key or value: skipped by the join".into();
                        self.skip(n, ctx, reason, out);
                    }
                    Err(EvalError(msg)) => self.skip(n, ctx, msg, out),
                }
            }
            Op::TableTableJoin {
                this_side,
                kind,
                joiner,
                ..
            } => {
                let Some(store) = self.node_store[n] else {
                    return;
                };
                let other = self
                    .get(topology, store, &rec.key, ctx, cache, out)
                    .map(|(v, t)| (v, window::millis(t)));
                let side = if *this_side { Side::Left } else { Side::Right };
                let update = join::Change {
                    new: (!rec.value.is_null()).then(|| rec.value.clone()),
                    old: rec.old.clone().filter(|o| !o.is_null()),
                };
                // The join sends old values when a table groupBy follows its merge.
                let merge = topology.nodes[n].successors[0];
                let send_old_values = topology.nodes[merge]
                    .successors
                    .iter()
                    .any(|&s| matches!(topology.nodes[s].op, Op::TableSelect { .. }));
                let result = join::table_table_join(
                    *kind,
                    side,
                    &rec.key,
                    &update,
                    window::millis(rec.timestamp),
                    other,
                    send_old_values,
                    |k, l, r| joiner.eval(&join_env(k, l, r)),
                );
                match result {
                    Ok(TableJoinResult::Forward { change, timestamp }) => {
                        let r = Rec {
                            key: rec.key,
                            value: change.new.unwrap_or(Val::Null),
                            old: Some(change.old.unwrap_or(Val::Null)),
                            timestamp: from_millis(timestamp),
                            window: rec.window,
                        };
                        self.forward(topology, n, r, ctx, cache, out);
                    }
                    Ok(TableJoinResult::Nothing) => {}
                    Ok(TableJoinResult::Dropped) => {
                        self.skip(n, ctx, "null key: skipped by the join".into(), out);
                    }
                    Err(EvalError(msg)) => self.skip(n, ctx, msg, out),
                }
            }
            // Refused by `new`.
            Op::StreamGlobalTableJoin { .. } => {}
        }
    }

    /// `KStreamWindowAggregate` and its sliding and session siblings (the `window` module):
    /// each update goes through the record cache, keyed by key and window, like a plain
    /// aggregation's.
    #[allow(clippy::too_many_arguments)]
    fn windowed_aggregate(
        &mut self,
        topology: &Topology,
        n: NodeId,
        agg: &Aggregation,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let Some(store) = self.node_store[n] else {
            return;
        };
        let Some(aggregator) = self.windowed.get_mut(&n) else {
            return;
        };
        let mut functions = Functions { agg };
        let outcome = aggregator.process(
            &rec.key,
            &rec.value,
            window::millis(rec.timestamp),
            &mut functions,
        );
        for skip in &outcome.skipped {
            let (reason, late) = match skip {
                window::Skip::NullKey => (
                    "null key: skipped by the windowed aggregation".into(),
                    false,
                ),
                window::Skip::NullValue => (
                    "null value: skipped by the windowed aggregation".into(),
                    false,
                ),
                // `AbstractKStreamTimeWindowAggregateProcessor.logSkippedRecordForExpiredWindow`
                // (and the session processor's twin): logged, then `droppedRecordsSensor.record()`.
                window::Skip::ExpiredWindow(w) => (
                    format!(
                        "Skipping record for expired window [{},{}): stream time minus grace had passed its end",
                        w.start, w.end
                    ),
                    true,
                ),
            };
            self.skip_as(n, ctx, reason, late, out);
        }
        for u in outcome.updates {
            let key = windowed_cache_key(&u.key);
            let value = u.new.unwrap_or(Val::Null);
            self.included.update(store, &key, ctx.source, ctx.offset);
            self.put(
                topology,
                store,
                key,
                value,
                from_millis(u.timestamp),
                ctx,
                cache,
                out,
            );
        }
        if let Some(EvalError(msg)) = outcome.error {
            self.skip(n, ctx, msg, out);
        }
    }

    /// KTableAggregate / KTableReduce: subtract the old value, then add the new one.
    #[allow(clippy::too_many_arguments)]
    fn table_aggregate(
        &mut self,
        topology: &Topology,
        n: NodeId,
        store: usize,
        agg: &Aggregation,
        rec: Rec,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        if rec.key.is_null() {
            self.skip(n, ctx, "null key: skipped by the aggregation".into(), out);
            return;
        }
        let old_value = rec.old.clone().unwrap_or(Val::Null);
        let stored = self.get(topology, store, &rec.key, ctx, cache, out);
        let mut ts = rec.timestamp;
        let old_agg = stored.as_ref().map(|(v, _)| v.clone());
        let apply = |task: &mut Self, e: &Expr, a: &Val, v: &Val, out: &mut Vec<Effect>| {
            let env = Env {
                key: Some(&rec.key),
                value: Some(v),
                agg: Some(a),
                ..Env::default()
            };
            task.eval(e, env, n, ctx, out)
        };
        let intermediate = match (&old_agg, old_value.is_null()) {
            (Some(a), false) => {
                if let Some((_, t)) = &stored {
                    ts = ts.max(*t);
                }
                let sub = match agg {
                    Aggregation::Count => match a {
                        Val::Int(c) => Some(Val::Int(c - 1)),
                        _ => Some(Val::Int(0)),
                    },
                    Aggregation::Reduce { subtractor, .. }
                    | Aggregation::Aggregate { subtractor, .. } => match subtractor {
                        Some(s) => apply(self, s, a, &old_value, out),
                        None => Some(a.clone()),
                    },
                };
                let Some(v) = sub else { return };
                Some(v)
            }
            _ => old_agg.clone(),
        };
        let new_agg = if rec.value.is_null() {
            intermediate
        } else {
            if let Some((_, t)) = &stored {
                ts = ts.max(*t);
            }
            let added = match (agg, intermediate) {
                (Aggregation::Count, Some(Val::Int(c))) => Some(Val::Int(c + 1)),
                (Aggregation::Count, _) => Some(Val::Int(1)),
                (Aggregation::Reduce { .. }, None) => Some(rec.value.clone()),
                (Aggregation::Reduce { adder, .. }, Some(a)) => {
                    apply(self, adder, &a, &rec.value, out)
                }
                (Aggregation::Aggregate { init, adder, .. }, a) => {
                    let a = match a {
                        Some(a) => a,
                        None => match self.eval(init, Env::default(), n, ctx, out) {
                            Some(v) => v,
                            None => return,
                        },
                    };
                    apply(self, adder, &a, &rec.value, out)
                }
            };
            let Some(v) = added else { return };
            Some(v)
        };
        let value = new_agg.unwrap_or(Val::Null);
        self.included
            .update(store, &rec.key, ctx.source, ctx.offset);
        self.put(topology, store, rec.key, value, ts, ctx, cache, out);
    }

    /// A read through the cache (`CachingKeyValueStore.get`): a miss reads the store and
    /// caches the value clean (whose eviction may flush dirty entries).
    fn get(
        &mut self,
        topology: &Topology,
        store: usize,
        key: &Val,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) -> Option<(Val, Micros)> {
        let s = &self.stores[store];
        if let Some((v, t)) = cache.get(s.cache, key) {
            return (!v.is_null()).then_some((v, t));
        }
        let (v, t) = s.kv.get(key)?.clone();
        let mut flushed = std::mem::take(&mut self.flushed);
        cache.put(
            s.cache,
            key,
            v.clone(),
            t,
            false,
            ctx.topic.len(),
            &mut flushed,
        );
        self.apply_flushed(topology, store, &mut flushed, ctx, cache, out);
        self.flushed = flushed;
        Some((v, t))
    }

    /// A processor's write: into the cache, whose evictions may flush.
    #[allow(clippy::too_many_arguments)]
    fn put(
        &mut self,
        topology: &Topology,
        store: usize,
        key: Val,
        value: Val,
        timestamp: Micros,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        let s = &self.stores[store];
        let mut flushed = std::mem::take(&mut self.flushed);
        cache.put(
            s.cache,
            &key,
            value,
            timestamp,
            true,
            ctx.topic.len(),
            &mut flushed,
        );
        self.apply_flushed(topology, store, &mut flushed, ctx, cache, out);
        self.flushed = flushed;
    }

    /// `CachingKeyValueStore.putAndMaybeForward`: for each flushed entry, read the old value
    /// from the store, write the store (and the changelog), forward `Change{new, old}`.
    fn apply_flushed(
        &mut self,
        topology: &Topology,
        store: usize,
        flushed: &mut Vec<DirtyEntry>,
        ctx: Ctx<'_>,
        cache: &mut ThreadCache,
        out: &mut Vec<Effect>,
    ) {
        if flushed.is_empty() {
            return;
        }
        let entries: Vec<DirtyEntry> = std::mem::take(flushed);
        for e in entries {
            let s = &mut self.stores[store];
            let old = s.kv.get(&e.key).map(|(v, _)| v.clone());
            // Nothing in the store and a delete: nothing to write or forward.
            if e.value.is_null() && old.is_none() {
                continue;
            }
            let (key, window) = if s.windowed {
                split_windowed_cache_key(&e.key)
            } else {
                (e.key.clone(), None)
            };
            if let Some(topic) = &s.changelog {
                out.push(Effect::Changelog {
                    store: Arc::clone(&s.name),
                    topic: Arc::clone(topic),
                    partition: self.id.partition,
                    key: key.clone(),
                    value: e.value.clone(),
                    timestamp: e.timestamp,
                    window,
                    written_at: self.included.written_at(store, &e.key),
                });
            }
            s.kv.put(e.key.clone(), e.value.clone(), e.timestamp);
            let old = if s.send_old_values {
                old.unwrap_or(Val::Null)
            } else {
                Val::Null
            };
            let owner = s.owner;
            let rec = Rec {
                key,
                value: e.value,
                old: Some(old),
                timestamp: e.timestamp,
                window,
            };
            self.forward(topology, owner, rec, ctx, cache, out);
        }
    }
}
