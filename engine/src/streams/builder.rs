//! The scenario's DSL calls → the processor topology Kafka's `StreamsBuilder` would build for
//! the same calls, with `topology.optimization=none` (Kafka's default):
//!
//! - node names from Kafka's prefixes and one index counter shared by processors and stores,
//!   consumed in call order exactly where `InternalStreamsBuilder.newProcessorName` /
//!   `newStoreName` are called (`KStreamImpl`, `KTableImpl`, `KGroupedStreamImpl`,
//!   `KGroupedTableImpl`, `BranchedKStreamImpl`, `StreamsBuilder.table`, `count()`'s burnt index);
//! - a repartition topic where a key-changing operation (selectKey, map, groupBy) precedes an
//!   aggregation (`repartitionRequired`, `GroupedStreamAggregateBuilder`), named after the store
//!   (`<store>-repartition`), with `KStreamImpl.createRepartitionedSource`'s sink, filter and
//!   source nodes; a table's `groupBy` always repartitions (`KGroupedTableImpl.doAggregate`);
//! - a changelog topic for every store (`<app>-<store>-changelog`);
//! - node groups (sub-topologies) as `InternalTopologyBuilder.makeNodeGroups` numbers them: in
//!   the order nodes were written, a node joining the group of its predecessors and of every
//!   processor sharing one of its stores.

use std::collections::BTreeMap;

use super::dsl::{App, Chain, JoinKind, JoinWindow, Kind, Operation, Start, WindowSpec};
use super::expr::Expr;
use super::topology::*;
use crate::time::Micros;

/// Why an application cannot be built (the parser checks types first, so these are the
/// operations this builder does not build yet, or a name no chain defined).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub String);

type Result<T> = std::result::Result<T, BuildError>;

/// Kafka's `windowstore.changelog.additional.retention.ms` default: one day.
const ADDITIONAL_CHANGELOG_RETENTION: Micros = crate::time::secs(24 * 3600);

/// What a chain has built so far: Kafka's `KStreamImpl` / `KTableImpl` / `KGroupedStreamImpl`.
#[derive(Debug, Clone)]
struct Handle {
    kind: Kind,
    /// The node the next operation hangs from.
    node: NodeId,
    /// `KStreamImpl.repartitionRequired`: a key-changing operation happened since the last
    /// repartition.
    repartition_required: bool,
    /// `AbstractStream.subTopologySourceNodes`: for co-partitioning.
    sources: Vec<NodeId>,
    /// After `windowedBy`.
    window: Option<WindowSpec>,
}

/// Builds `app`'s topology.
pub fn build(app: &App) -> Result<Topology> {
    let mut b = Builder {
        app: app.name.clone(),
        index: 0,
        nodes: Vec::new(),
        stores: Vec::new(),
        internal_topics: Vec::new(),
        global_nodes: Vec::new(),
        copartition: Vec::new(),
        named: BTreeMap::new(),
    };
    for chain in &app.chains {
        b.chain(chain)?;
    }
    Ok(b.finish())
}

struct Builder {
    app: String,
    /// `InternalStreamsBuilder.index`: one counter for processors and stores.
    index: u32,
    nodes: Vec<Node>,
    stores: Vec<StoreSpec>,
    internal_topics: Vec<InternalTopic>,
    /// (source, processor, store, topic) of each global table.
    global_nodes: Vec<(NodeId, NodeId, String, String)>,
    /// Source nodes that must be co-partitioned (`InternalTopologyBuilder.copartitionSources`).
    copartition: Vec<Vec<NodeId>>,
    named: BTreeMap<String, Handle>,
}

impl Builder {
    /// `InternalStreamsBuilder.newProcessorName`
    fn name(&mut self, prefix: &str) -> String {
        let n = format!("{prefix}{:010}", self.index);
        self.index += 1;
        n
    }

    /// `InternalStreamsBuilder.newStoreName`: `prefix + "STATE-STORE-" + index`
    fn store_name(&mut self, prefix: &str) -> String {
        self.name(&format!("{prefix}STATE-STORE-"))
    }

    /// `InternalTopologyBuilder.decorateTopic`
    fn decorate(&self, raw: &str) -> String {
        format!("{}-{raw}", self.app)
    }

    fn add(&mut self, name: String, kind: NodeKind, op: Op, parents: &[NodeId]) -> NodeId {
        let id = self.nodes.len();
        self.nodes.push(Node {
            name,
            kind,
            predecessors: parents.to_vec(),
            successors: Vec::new(),
            stores: Vec::new(),
            op,
        });
        for &p in parents {
            self.nodes[p].successors.push(id);
        }
        id
    }

    fn processor(&mut self, name: String, op: Op, parent: NodeId) -> NodeId {
        self.add(name, NodeKind::Processor, op, &[parent])
    }

    fn source(&mut self, name: String, topics: Vec<String>) -> NodeId {
        self.add(name, NodeKind::Source { topics }, Op::Source, &[])
    }

    /// A store and its changelog (`InternalTopologyBuilder.addStateStore` + the changelog
    /// topic `ProcessorStateManager` registers: `<app>-<store>-changelog`).
    fn add_store(&mut self, name: &str, kind: StoreKind, processor: NodeId) {
        if !self.stores.iter().any(|s| s.name == name) {
            let raw = format!("{name}-changelog");
            let full = self.decorate(&raw);
            let topic_kind = match kind {
                StoreKind::KeyValue => InternalTopicKind::Changelog,
                StoreKind::Windowed { retention, join } => InternalTopicKind::WindowedChangelog {
                    retention: retention + ADDITIONAL_CHANGELOG_RETENTION,
                    compact: !join,
                },
            };
            self.internal_topics.push(InternalTopic {
                name: full.clone(),
                raw,
                kind: topic_kind,
            });
            self.stores.push(StoreSpec {
                name: name.to_string(),
                kind,
                changelog: Some(full),
            });
        }
        self.nodes[processor].stores.push(name.to_string());
    }

    fn stream_handle(
        &self,
        node: NodeId,
        repartition_required: bool,
        sources: Vec<NodeId>,
    ) -> Handle {
        Handle {
            kind: Kind::KStream,
            node,
            repartition_required,
            sources,
            window: None,
        }
    }

    fn chain(&mut self, chain: &Chain) -> Result<()> {
        let mut h = match &chain.start {
            Start::Stream(topics) => {
                // `InternalStreamsBuilder.stream`
                let name = self.name("KSTREAM-SOURCE-");
                let node = self.source(name, topics.clone());
                self.stream_handle(node, false, vec![node])
            }
            Start::Table { topic, store } => {
                // `StreamsBuilder.table`: the store name is generated (index burnt) before the
                // source and the KTABLE-SOURCE processor; the store is materialized only when
                // named or when something downstream needs it (`KTableSource.materialize`).
                let store_name = match store {
                    Some(s) => s.clone(),
                    None => self.store_name(&format!("{topic}-")),
                };
                let source_name = self.name("KSTREAM-SOURCE-");
                let table_name = self.name("KTABLE-SOURCE-");
                let src = self.source(source_name, vec![topic.clone()]);
                let op = Op::TableSource {
                    store: store_name.clone(),
                    materialized: store.is_some(),
                    send_old_values: false,
                };
                let node = self.processor(table_name, op, src);
                if store.is_some() {
                    // A named store is materialized from the start (`Materialized.as(name)`),
                    // logged to `<app>-<store>-changelog` (no source-topic reuse without
                    // `topology.optimization=all`).
                    self.add_store(&store_name, StoreKind::KeyValue, node);
                }
                Handle {
                    kind: Kind::KTable,
                    node,
                    repartition_required: false,
                    sources: vec![src],
                    window: None,
                }
            }
            Start::GlobalTable { topic, store } => {
                // `InternalStreamsBuilder.globalTable`: always materialized, logging disabled
                // (the topic is the changelog).
                let store_name = match store {
                    Some(s) => s.clone(),
                    None => self.store_name(&format!("{topic}-")),
                };
                let source_name = self.name("KSTREAM-SOURCE-");
                let table_name = self.name("KTABLE-SOURCE-");
                let src = self.source(source_name, vec![topic.clone()]);
                let node = self.processor(
                    table_name,
                    Op::GlobalTableSource {
                        store: store_name.clone(),
                    },
                    src,
                );
                self.stores.push(StoreSpec {
                    name: store_name.clone(),
                    kind: StoreKind::KeyValue,
                    changelog: None,
                });
                self.nodes[node].stores.push(store_name.clone());
                self.global_nodes
                    .push((src, node, store_name, topic.clone()));
                Handle {
                    kind: Kind::GlobalKTable,
                    node,
                    repartition_required: false,
                    sources: vec![src],
                    window: None,
                }
            }
            Start::From(name) => self
                .named
                .get(name)
                .cloned()
                .ok_or_else(|| BuildError(format!("nothing is named '{name}'")))?,
        };
        for (_, op) in &chain.ops {
            h = self.op(h, op)?;
        }
        Ok(())
    }

    fn op(&mut self, h: Handle, op: &Operation) -> Result<Handle> {
        let table = matches!(h.kind, Kind::KTable | Kind::WindowedKTable);
        Ok(match op {
            Operation::Filter(p) | Operation::FilterNot(p) => {
                let not = matches!(op, Operation::FilterNot(_));
                if table {
                    // `KTableImpl.doFilter` (no Materialized: no store, one index)
                    let name = self.name("KTABLE-FILTER-");
                    let op = Op::TableFilter {
                        predicate: p.clone(),
                        not,
                        send_old_values: false,
                    };
                    Handle {
                        node: self.processor(name, op, h.node),
                        ..h
                    }
                } else {
                    let name = self.name("KSTREAM-FILTER-");
                    let op = Op::Filter {
                        predicate: p.clone(),
                        not,
                    };
                    Handle {
                        node: self.processor(name, op, h.node),
                        ..h
                    }
                }
            }
            Operation::MapValues(e) => {
                if table {
                    let name = self.name("KTABLE-MAPVALUES-");
                    let op = Op::TableMapValues {
                        mapper: e.clone(),
                        send_old_values: false,
                    };
                    Handle {
                        node: self.processor(name, op, h.node),
                        ..h
                    }
                } else {
                    let name = self.name("KSTREAM-MAPVALUES-");
                    Handle {
                        node: self.processor(name, Op::MapValues(e.clone()), h.node),
                        ..h
                    }
                }
            }
            Operation::Map { key, value } => {
                let name = self.name("KSTREAM-MAP-");
                let op = Op::Map {
                    key: key.clone(),
                    value: value.clone(),
                };
                Handle {
                    node: self.processor(name, op, h.node),
                    repartition_required: true,
                    ..h
                }
            }
            Operation::FlatMapValues(e) => {
                let name = self.name("KSTREAM-FLATMAPVALUES-");
                Handle {
                    node: self.processor(name, Op::FlatMapValues(e.clone()), h.node),
                    ..h
                }
            }
            Operation::SelectKey(e) => {
                let name = self.name("KSTREAM-KEY-SELECT-");
                Handle {
                    node: self.processor(name, Op::SelectKey(e.clone()), h.node),
                    repartition_required: true,
                    ..h
                }
            }
            Operation::Peek(e) => {
                let name = self.name("KSTREAM-PEEK-");
                Handle {
                    node: self.processor(name, Op::Peek(e.clone()), h.node),
                    ..h
                }
            }
            Operation::Split { branches, default } => {
                // `BranchedKStreamImpl`: the splitter, then per branch a PassThrough child named
                // splitter + branch name (`Branched.as`), each burning one index.
                let splitter = self.name("KSTREAM-BRANCH-");
                let split = self.processor(
                    splitter.clone(),
                    Op::Branch {
                        predicates: branches.iter().map(|(_, p)| p.clone()).collect(),
                        children: Vec::new(),
                        default: None,
                    },
                    h.node,
                );
                let mut children = Vec::new();
                let all = branches
                    .iter()
                    .map(|(n, _)| (n, false))
                    .chain(default.iter().map(|n| (n, true)));
                let mut default_child = None;
                for (branch, is_default) in all {
                    let child_name = format!("{splitter}{branch}");
                    self.index += 1;
                    let child = self.processor(child_name, Op::PassThrough, split);
                    if is_default {
                        default_child = Some(child);
                    } else {
                        children.push(child);
                    }
                    let bh = Handle {
                        node: child,
                        ..h.clone()
                    };
                    self.named.insert(branch.clone(), bh);
                }
                if let Op::Branch {
                    children: c,
                    default: d,
                    ..
                } = &mut self.nodes[split].op
                {
                    *c = children;
                    *d = default_child;
                }
                Handle {
                    kind: Kind::BranchedKStream,
                    node: split,
                    ..h
                }
            }
            Operation::Merge(other) => {
                let o = self
                    .named
                    .get(other)
                    .cloned()
                    .ok_or_else(|| BuildError(format!("nothing is named '{other}'")))?;
                let name = self.name("KSTREAM-MERGE-");
                let node = self.add(
                    name,
                    NodeKind::Processor,
                    Op::PassThrough,
                    &[h.node, o.node],
                );
                let mut sources = h.sources.clone();
                sources.extend(o.sources.iter().copied());
                Handle {
                    node,
                    repartition_required: h.repartition_required || o.repartition_required,
                    sources,
                    ..h
                }
            }
            Operation::GroupByKey => Handle {
                kind: Kind::KGroupedStream,
                ..h
            },
            Operation::GroupBy { key, value } => {
                if table {
                    // `KTableImpl.groupBy`: KTABLE-SELECT, and the parent must send old values
                    // (which materializes a source table).
                    let name = self.name("KTABLE-SELECT-");
                    self.enable_sending_old_values(h.node);
                    let op = Op::TableSelect {
                        key: key.clone(),
                        value: value.clone(),
                    };
                    Handle {
                        kind: Kind::KGroupedTable,
                        node: self.processor(name, op, h.node),
                        ..h
                    }
                } else {
                    // `KStreamImpl.groupBy`: a KSTREAM-KEY-SELECT node, repartition required.
                    let name = self.name("KSTREAM-KEY-SELECT-");
                    Handle {
                        kind: Kind::KGroupedStream,
                        node: self.processor(name, Op::SelectKey(key.clone()), h.node),
                        repartition_required: true,
                        ..h
                    }
                }
            }
            Operation::WindowedBy(w) => Handle {
                kind: match w {
                    WindowSpec::Session { .. } => Kind::SessionWindowedKStream,
                    _ => Kind::TimeWindowedKStream,
                },
                window: Some(*w),
                ..h
            },
            Operation::Count { store } => self.aggregate(h, store, Aggregation::Count)?,
            Operation::Reduce {
                adder,
                subtractor,
                store,
            } => {
                let agg = Aggregation::Reduce {
                    adder: adder.clone(),
                    subtractor: subtractor.clone(),
                };
                self.aggregate(h, store, agg)?
            }
            Operation::Aggregate {
                init,
                adder,
                subtractor,
                store,
            } => {
                let agg = Aggregation::Aggregate {
                    init: init.clone(),
                    adder: adder.clone(),
                    subtractor: subtractor.clone(),
                };
                self.aggregate(h, store, agg)?
            }
            Operation::SuppressUntilWindowCloses => {
                // `KTableImpl.suppress`: the processor's name, then its buffer store's; the
                // buffer is logged (`InMemoryTimeOrderedKeyValueChangeBuffer`).
                let grace = match h.window {
                    Some(w) => window_grace(w),
                    None => return Err(BuildError("suppress needs a windowed table".into())),
                };
                let name = self.name("KTABLE-SUPPRESS-");
                let store = self.store_name("KTABLE-SUPPRESS-");
                let op = Op::Suppress {
                    store: store.clone(),
                    grace,
                };
                let node = self.processor(name, op, h.node);
                self.add_store(&store, StoreKind::KeyValue, node);
                Handle { node, ..h }
            }
            Operation::ToStream => {
                let name = self.name("KTABLE-TOSTREAM-");
                Handle {
                    kind: Kind::KStream,
                    node: self.processor(name, Op::TableToStream, h.node),
                    repartition_required: false,
                    ..h
                }
            }
            Operation::ToTable { store } => self.stream_to_table(h, store),
            Operation::To(topic) => {
                let name = self.name("KSTREAM-SINK-");
                let kind = NodeKind::Sink {
                    topic: topic.clone(),
                };
                self.add(name, kind, Op::Sink, &[h.node]);
                h
            }
            Operation::Join {
                other,
                kind,
                window,
                key,
                joiner,
            } => {
                let o = self
                    .named
                    .get(other)
                    .cloned()
                    .ok_or_else(|| BuildError(format!("nothing is named '{other}'")))?;
                self.join(h, o, *kind, *window, key.as_ref(), joiner)?
            }
            Operation::As(name) => {
                self.named.insert(name.clone(), h.clone());
                h
            }
        })
    }

    /// `KStreamImpl.createRepartitionedSource`: three indices are always burnt (sink, filter,
    /// source); a generated prefix (`KSTREAM…-0000000007`) uses them as names, a user-given one
    /// names the nodes `<topic>-sink`, `-filter`, `-source`. Returns the new source node.
    fn repartition(&mut self, prefix: &str, parent: NodeId) -> NodeId {
        let raw = format!("{prefix}-repartition");
        let gen_sink = self.name("KSTREAM-SINK-");
        let gen_filter = self.name("KSTREAM-FILTER-");
        let gen_source = self.name("KSTREAM-SOURCE-");
        let generated = is_generated_name(prefix);
        let (sink, filter, source) = if generated {
            (gen_sink, gen_filter, gen_source)
        } else {
            (
                format!("{raw}-sink"),
                format!("{raw}-filter"),
                format!("{raw}-source"),
            )
        };
        let full = self.add_repartition_topic(&raw);
        // `OptimizableRepartitionNode.writeToTopology`: filter, sink, source.
        let f = self.processor(filter, Op::PassThrough, parent);
        self.add(
            sink,
            NodeKind::Sink {
                topic: full.clone(),
            },
            Op::Sink,
            &[f],
        );
        self.source(source, vec![full])
    }

    fn add_repartition_topic(&mut self, raw: &str) -> String {
        let full = self.decorate(raw);
        self.internal_topics.push(InternalTopic {
            name: full.clone(),
            raw: raw.to_string(),
            kind: InternalTopicKind::Repartition,
        });
        full
    }

    /// count / reduce / aggregate on a grouped stream, windowed stream or grouped table.
    fn aggregate(&mut self, h: Handle, store: &Option<String>, agg: Aggregation) -> Result<Handle> {
        match h.kind {
            Kind::KGroupedTable => {
                // `KGroupedTableImpl`: store prefix KTABLE-AGGREGATE- (also for reduce), then
                // sink and source names, then the function's name; the topic is
                // `<store>-repartition` and has no filter node.
                let store_name = match store {
                    Some(s) => s.clone(),
                    None => self.store_name("KTABLE-AGGREGATE-"),
                };
                let sink = self.name("KSTREAM-SINK-");
                let source = self.name("KSTREAM-SOURCE-");
                let func = self.name(if matches!(agg, Aggregation::Reduce { .. }) {
                    "KTABLE-REDUCE-"
                } else {
                    "KTABLE-AGGREGATE-"
                });
                let raw = format!("{store_name}-repartition");
                let full = self.add_repartition_topic(&raw);
                self.add(
                    sink,
                    NodeKind::Sink {
                        topic: full.clone(),
                    },
                    Op::Sink,
                    &[h.node],
                );
                let src = self.source(source, vec![full]);
                let op = Op::TableAggregate {
                    store: store_name.clone(),
                    agg,
                };
                let node = self.processor(func, op, src);
                self.add_store(&store_name, StoreKind::KeyValue, node);
                Ok(Handle {
                    kind: Kind::KTable,
                    node,
                    repartition_required: false,
                    sources: vec![src],
                    window: None,
                })
            }
            Kind::KGroupedStream | Kind::TimeWindowedKStream | Kind::SessionWindowedKStream => {
                // `KGroupedStreamImpl` (and `TimeWindowedKStreamImpl`,
                // `SlidingWindowedKStreamImpl`, `SessionWindowedKStreamImpl`, which name alike): `count()` names its store with an index; reduce and
                // aggregate too (prefix KSTREAM-REDUCE- / KSTREAM-AGGREGATE-); a named store
                // burns nothing. Then the processor's name, then the repartition's three.
                let prefix = if matches!(agg, Aggregation::Reduce { .. }) {
                    "KSTREAM-REDUCE-"
                } else {
                    "KSTREAM-AGGREGATE-"
                };
                let store_name = match store {
                    Some(s) => s.clone(),
                    None => self.store_name(prefix),
                };
                let func = self.name(prefix);
                let (parent, sources) = if h.repartition_required {
                    let src = self.repartition(&store_name, h.node);
                    (src, vec![src])
                } else {
                    (h.node, h.sources.clone())
                };
                let (op, store_kind, kind) = match h.window {
                    None => (
                        Op::StreamAggregate {
                            store: store_name.clone(),
                            agg,
                        },
                        StoreKind::KeyValue,
                        Kind::KTable,
                    ),
                    Some(window) => (
                        Op::WindowedAggregate {
                            store: store_name.clone(),
                            window,
                            agg,
                        },
                        StoreKind::Windowed {
                            retention: window_retention(window),
                            join: false,
                        },
                        Kind::WindowedKTable,
                    ),
                };
                let node = self.processor(func, op, parent);
                self.add_store(&store_name, store_kind, node);
                Ok(Handle {
                    kind,
                    node,
                    repartition_required: false,
                    sources,
                    window: h.window,
                })
            }
            other => Err(BuildError(format!("cannot aggregate a {other:?}"))),
        }
    }

    /// The DSL's joins, by the kinds of the two sides.
    fn join(
        &mut self,
        h: Handle,
        o: Handle,
        kind: JoinKind,
        window: Option<JoinWindow>,
        key: Option<&Expr>,
        joiner: &Expr,
    ) -> Result<Handle> {
        match (h.kind, o.kind, window) {
            (Kind::KStream, Kind::KStream, Some(w)) => {
                Ok(self.stream_stream_join(h, o, kind, w, joiner))
            }
            (Kind::KStream, Kind::KTable, None) => Ok(self.stream_table_join(h, o, kind, joiner)),
            (Kind::KStream, Kind::GlobalKTable, None) => {
                let key =
                    key.ok_or_else(|| BuildError("a global table join needs a key".into()))?;
                // `KStreamImpl.globalTableJoin`: one processor, no co-partitioning, the global
                // store read without being connected.
                let name = self.name(if kind == JoinKind::Left {
                    "KSTREAM-LEFTJOIN-"
                } else {
                    "KSTREAM-JOIN-"
                });
                let Op::GlobalTableSource { store } = &self.nodes[o.node].op else {
                    return Err(BuildError("not a global table".into()));
                };
                let op = Op::StreamGlobalTableJoin {
                    kind,
                    global_store: store.clone(),
                    key: key.clone(),
                    joiner: joiner.clone(),
                };
                let node = self.processor(name, op, h.node);
                Ok(Handle { node, ..h })
            }
            (Kind::KTable, Kind::KTable, None) => Ok(self.table_table_join(h, o, kind, joiner)),
            (a, b, _) => Err(BuildError(format!(
                "cannot join a {a:?} with a {b:?} this way"
            ))),
        }
    }

    /// `KStreamImpl.repartitionForJoin`: a repartition topic named after the stream's node.
    fn repartition_for_join(&mut self, h: Handle) -> Handle {
        let prefix = self.nodes[h.node].name.clone();
        let src = self.repartition(&prefix, h.node);
        Handle {
            node: src,
            repartition_required: false,
            sources: vec![src],
            ..h
        }
    }

    fn copartition(&mut self, a: &Handle, b: &Handle) {
        let mut group = a.sources.clone();
        group.extend(b.sources.iter().copied());
        self.copartition.push(group);
    }

    /// `KStreamImplJoin.join`: a windowed node per side writing its join window store, a join
    /// processor per side reading the other side's store, a merge. Left and outer joins add
    /// the shared store of records waiting for a partner (`OuterStreamJoinStoreFactory`).
    fn stream_stream_join(
        &mut self,
        h: Handle,
        o: Handle,
        kind: JoinKind,
        window: JoinWindow,
        joiner: &Expr,
    ) -> Handle {
        let h = if h.repartition_required {
            self.repartition_for_join(h)
        } else {
            h
        };
        let o = if o.repartition_required {
            self.repartition_for_join(o)
        } else {
            o
        };
        self.copartition(&h, &o);
        let left_outer = kind != JoinKind::Inner;
        let right_outer = kind == JoinKind::Outer;
        let this_windowed = self.name("KSTREAM-WINDOWED-");
        let other_windowed = self.name("KSTREAM-WINDOWED-");
        let this_prefix = if right_outer {
            "KSTREAM-OUTERTHIS-"
        } else {
            "KSTREAM-JOINTHIS-"
        };
        let join_this = self.name(this_prefix);
        let join_other = self.name(if left_outer {
            "KSTREAM-OUTEROTHER-"
        } else {
            "KSTREAM-JOINOTHER-"
        });
        let merge = self.name("KSTREAM-MERGE-");
        let this_store = format!("{join_this}-store");
        let other_store = format!("{join_other}-store");
        let shared = left_outer.then(|| {
            format!(
                "KSTREAM-OUTERSHARED-{}-store",
                &join_this[this_prefix.len()..]
            )
        });
        // JoinWindows: [t - before, t + after], retained size + grace.
        let join_store = StoreKind::Windowed {
            retention: 2 * window.difference + window.grace,
            join: true,
        };
        let tw = self.processor(
            this_windowed,
            Op::JoinWindow {
                store: this_store.clone(),
            },
            h.node,
        );
        let ow = self.processor(
            other_windowed,
            Op::JoinWindow {
                store: other_store.clone(),
            },
            o.node,
        );
        let side = |this_side: bool, other_store: &str| Op::StreamStreamJoin {
            this_side,
            kind,
            window,
            other_store: other_store.to_string(),
            shared_store: shared.clone(),
            joiner: joiner.clone(),
        };
        let jt = self.processor(join_this, side(true, &other_store), tw);
        let jo = self.processor(join_other, side(false, &this_store), ow);
        let m = self.add(merge, NodeKind::Processor, Op::PassThrough, &[jt, jo]);
        // `StreamStreamJoinNode.writeToTopology`: this store with the this-windowed node and
        // the other join processor, and the other way round.
        self.add_store(&this_store, join_store, tw);
        self.nodes[jo].stores.push(this_store);
        self.add_store(&other_store, join_store, ow);
        self.nodes[jt].stores.push(other_store);
        if let Some(shared) = &shared {
            self.add_store(shared, StoreKind::KeyValue, jt);
            self.nodes[jo].stores.push(shared.clone());
        }
        let mut sources = h.sources.clone();
        sources.extend(o.sources.iter().copied());
        Handle {
            kind: Kind::KStream,
            node: m,
            repartition_required: false,
            sources,
            window: None,
        }
    }

    /// `KStreamImpl.doStreamTableJoin`: one processor connected to the table's store.
    fn stream_table_join(&mut self, h: Handle, o: Handle, kind: JoinKind, joiner: &Expr) -> Handle {
        let h = if h.repartition_required {
            self.repartition_for_join(h)
        } else {
            h
        };
        self.copartition(&h, &o);
        let name = self.name(if kind == JoinKind::Left {
            "KSTREAM-LEFTJOIN-"
        } else {
            "KSTREAM-JOIN-"
        });
        let table_store = self.value_getter_store(o.node);
        let op = Op::StreamTableJoin {
            kind,
            table_store: table_store.clone(),
            joiner: joiner.clone(),
        };
        let node = self.processor(name, op, h.node);
        self.nodes[node].stores.push(table_store);
        let mut sources = h.sources.clone();
        sources.extend(o.sources.iter().copied());
        Handle {
            node,
            repartition_required: false,
            sources,
            ..h
        }
    }

    /// `KTableImpl.doJoin`: the merge's name first, then a join processor per side, each
    /// connected to the other side's store.
    fn table_table_join(&mut self, h: Handle, o: Handle, kind: JoinKind, joiner: &Expr) -> Handle {
        self.copartition(&h, &o);
        let merge = self.name("KTABLE-MERGE-");
        let join_this = self.name("KTABLE-JOINTHIS-");
        let join_other = self.name("KTABLE-JOINOTHER-");
        self.enable_sending_old_values(h.node);
        self.enable_sending_old_values(o.node);
        let this_store = self.value_getter_store(h.node);
        let other_store = self.value_getter_store(o.node);
        let side = |this_side: bool, other_store: &str| Op::TableTableJoin {
            this_side,
            kind,
            other_store: other_store.to_string(),
            joiner: joiner.clone(),
        };
        let jt = self.processor(join_this, side(true, &other_store), h.node);
        let jo = self.processor(join_other, side(false, &this_store), o.node);
        let m = self.add(merge, NodeKind::Processor, Op::PassThrough, &[jt, jo]);
        self.nodes[jt].stores.push(other_store);
        self.nodes[jo].stores.push(this_store);
        let mut sources = h.sources.clone();
        sources.extend(o.sources.iter().copied());
        Handle {
            kind: Kind::KTable,
            node: m,
            repartition_required: false,
            sources,
            window: None,
        }
    }

    /// `KTableImpl.valueGetterSupplier().storeNames()`: the store a table's values are read
    /// from — up through unmaterialized filters and mapValues to a source table, which gets
    /// materialized (`KTableSource.materialize`), or to an aggregation's store.
    fn value_getter_store(&mut self, node: NodeId) -> String {
        let mut at = node;
        loop {
            match &mut self.nodes[at].op {
                Op::TableFilter { .. } | Op::TableMapValues { .. } => {
                    at = self.nodes[at].predecessors[0];
                }
                Op::TableSource {
                    store,
                    materialized,
                    ..
                } => {
                    let store = store.clone();
                    if !*materialized {
                        *materialized = true;
                        self.add_store(&store, StoreKind::KeyValue, at);
                    }
                    return store;
                }
                _ => return self.nodes[at].stores.first().cloned().unwrap_or_default(),
            }
        }
    }

    /// `KStreamImpl.toTable`: KSTREAM-TOTABLE, its store (prefix KSTREAM-TOTABLE-) generated
    /// after the name; a repartition first if the key changed (named after the node).
    fn stream_to_table(&mut self, h: Handle, store: &Option<String>) -> Handle {
        let name = self.name("KSTREAM-TOTABLE-");
        let store_name = match store {
            Some(s) => s.clone(),
            None => self.store_name("KSTREAM-TOTABLE-"),
        };
        let (parent, sources) = if h.repartition_required {
            let src = self.repartition(&name, h.node);
            (src, vec![src])
        } else {
            (h.node, h.sources.clone())
        };
        // `StreamToTableNode` always adds the store (KTableSource materialized when queryable;
        // Kafka's toTable store is added to the topology either way).
        let op = Op::TableSource {
            store: store_name.clone(),
            materialized: true,
            send_old_values: false,
        };
        let node = self.processor(name, op, parent);
        self.add_store(&store_name, StoreKind::KeyValue, node);
        Handle {
            kind: Kind::KTable,
            node,
            repartition_required: false,
            sources,
            window: None,
        }
    }

    /// `KTableImpl.enableSendingOldValues(forceMaterialization = true)`: up the chain of table
    /// processors to the source, which gets materialized.
    fn enable_sending_old_values(&mut self, node: NodeId) {
        let mut at = Some(node);
        while let Some(n) = at {
            at = None;
            let parent = self.nodes[n].predecessors.first().copied();
            let mut materialize = None;
            match &mut self.nodes[n].op {
                Op::TableFilter {
                    send_old_values, ..
                }
                | Op::TableMapValues {
                    send_old_values, ..
                } => {
                    *send_old_values = true;
                    at = parent;
                }
                Op::TableSource {
                    store,
                    materialized,
                    send_old_values,
                } => {
                    *send_old_values = true;
                    if !*materialized {
                        *materialized = true;
                        materialize = Some(store.clone());
                    }
                }
                // Aggregations always keep their old value in the store; they send it when
                // asked (`KStreamAggregate.enableSendingOldValues`).
                _ => {}
            }
            if let Some(store) = materialize {
                self.add_store(&store, StoreKind::KeyValue, n);
            }
        }
    }

    fn finish(self) -> Topology {
        let Builder {
            app,
            nodes,
            stores,
            internal_topics,
            global_nodes,
            copartition,
            ..
        } = self;
        // Union-find over nodes: predecessors, and processors sharing a store
        // (`InternalTopologyBuilder.nodeGrouper`).
        let mut parent: Vec<usize> = (0..nodes.len()).collect();
        fn root(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let mut store_owner: BTreeMap<&str, usize> = BTreeMap::new();
        for (id, node) in nodes.iter().enumerate() {
            for &pred in &node.predecessors {
                let (a, b) = (root(&mut parent, id), root(&mut parent, pred));
                parent[a] = b;
            }
            for s in &node.stores {
                if let Some(&other) = store_owner.get(s.as_str()) {
                    let (a, b) = (root(&mut parent, id), root(&mut parent, other));
                    parent[a] = b;
                } else {
                    store_owner.insert(s, id);
                }
            }
        }
        // `makeNodeGroups`: group ids in the order their first node was written.
        let mut group_of_root: BTreeMap<usize, u32> = BTreeMap::new();
        let mut groups: Vec<Vec<NodeId>> = Vec::new();
        for id in 0..nodes.len() {
            let r = root(&mut parent, id);
            let g = *group_of_root.entry(r).or_insert_with(|| {
                groups.push(Vec::new());
                (groups.len() - 1) as u32
            });
            groups[g as usize].push(id);
        }
        let mut subtopologies = Vec::new();
        let mut global_stores = Vec::new();
        for (gid, members) in groups.into_iter().enumerate() {
            let gid = gid as u32;
            if let Some((src, proc_, store, topic)) =
                global_nodes.iter().find(|(s, ..)| members.contains(s))
            {
                global_stores.push(GlobalStore {
                    id: gid,
                    source: *src,
                    processor: *proc_,
                    store: store.clone(),
                    topic: topic.clone(),
                });
                continue;
            }
            let mut source_topics = Vec::new();
            let mut sink_topics = Vec::new();
            let mut sub_stores: Vec<String> = Vec::new();
            for &n in &members {
                match &nodes[n].kind {
                    NodeKind::Source { topics } => source_topics.extend(topics.iter().cloned()),
                    NodeKind::Sink { topic } => sink_topics.push(topic.clone()),
                    NodeKind::Processor => {}
                }
                for s in &nodes[n].stores {
                    if !sub_stores.contains(s) {
                        sub_stores.push(s.clone());
                    }
                }
            }
            source_topics.sort();
            source_topics.dedup();
            sink_topics.sort();
            sink_topics.dedup();
            subtopologies.push(Subtopology {
                id: gid,
                nodes: members,
                source_topics,
                sink_topics,
                stores: sub_stores,
            });
        }
        // `InternalTopologyBuilder.copartitionGroups`: the groups' source topics, groups that
        // share a topic merged.
        let mut copartition_groups: Vec<Vec<String>> = Vec::new();
        for group in &copartition {
            let mut topics: Vec<String> = group
                .iter()
                .flat_map(|&s| match &nodes[s].kind {
                    NodeKind::Source { topics } => topics.clone(),
                    _ => Vec::new(),
                })
                .collect();
            let (overlapping, rest): (Vec<_>, Vec<_>) = copartition_groups
                .into_iter()
                .partition(|g| g.iter().any(|t| topics.contains(t)));
            copartition_groups = rest;
            topics.extend(overlapping.into_iter().flatten());
            topics.sort();
            topics.dedup();
            copartition_groups.push(topics);
        }
        Topology {
            app,
            nodes,
            stores,
            internal_topics,
            subtopologies,
            global_stores,
            copartition_groups,
        }
    }
}

/// The store retention Kafka's window store materializers default to: window size + grace
/// (`TimeWindows`), twice the time difference + grace (`SlidingWindows`), gap + grace
/// (`SessionWindows`).
fn window_retention(w: WindowSpec) -> Micros {
    match w {
        WindowSpec::Tumbling { size, grace } | WindowSpec::Hopping { size, grace, .. } => {
            size + grace
        }
        WindowSpec::Sliding { difference, grace } => 2 * difference + grace,
        WindowSpec::Session { gap, grace } => gap + grace,
    }
}

fn window_grace(w: WindowSpec) -> Micros {
    match w {
        WindowSpec::Tumbling { grace, .. }
        | WindowSpec::Hopping { grace, .. }
        | WindowSpec::Sliding { grace, .. }
        | WindowSpec::Session { grace, .. } => grace,
    }
}

/// `repartitionTopicNamePrefix.matches("KSTREAM.*-[0-9]{10}")`
fn is_generated_name(prefix: &str) -> bool {
    let bytes = prefix.as_bytes();
    prefix.starts_with("KSTREAM")
        && bytes.len() >= 18
        && bytes[bytes.len() - 11] == b'-'
        && bytes[bytes.len() - 10..].iter().all(u8::is_ascii_digit)
}
