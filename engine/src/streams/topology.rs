//! A built processor topology: what Kafka's `InternalTopologyBuilder` holds after
//! `StreamsBuilder.build()`: processor nodes in the order they were written, state stores,
//! internal topics, sub-topologies (node groups) and co-partition groups. `builder.rs` makes it
//! from the scenario's DSL calls, `describe.rs` prints it as `Topology.describe()` does, and
//! `task/` runs one sub-topology's nodes for one partition.

use super::dsl::{JoinKind, JoinWindow, WindowSpec};
use super::expr::Expr;
use crate::time::Micros;

/// Index of a node in `Topology::nodes`.
pub type NodeId = usize;

#[derive(Debug, Clone, PartialEq)]
pub struct Topology {
    /// `application.id`: prefixes internal topics (`<app>-<name>-repartition`).
    pub app: String,
    /// In the order Kafka's builder writes them (`InternalTopologyBuilder.nodeFactories`).
    pub nodes: Vec<Node>,
    pub stores: Vec<StoreSpec>,
    /// Repartition and changelog topics, full names, in the order they were declared.
    pub internal_topics: Vec<InternalTopic>,
    /// Numbered as `InternalTopologyBuilder.makeNodeGroups` numbers node groups (global
    /// stores' groups take numbers too but appear in `global_stores`).
    pub subtopologies: Vec<Subtopology>,
    pub global_stores: Vec<GlobalStore>,
    /// Source topics (full names) that must have the same number of partitions (join sides),
    /// as `InternalTopologyBuilder.copartitionGroups`.
    pub copartition_groups: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub name: String,
    pub kind: NodeKind,
    pub predecessors: Vec<NodeId>,
    pub successors: Vec<NodeId>,
    /// State stores connected to this processor.
    pub stores: Vec<String>,
    pub op: Op,
}

/// The three kinds of node `TopologyDescription` knows.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// Reads these topics (full names).
    Source {
        topics: Vec<String>,
    },
    Processor,
    /// Writes this topic (full name).
    Sink {
        topic: String,
    },
}

/// What a processor does, with the Kafka processor class it reproduces.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `SourceNode`: forwards what it reads.
    Source,
    /// `SinkNode`: produces to its topic.
    Sink,
    /// `PassThrough`: merge nodes, branch children, the filter in front of a repartition sink.
    PassThrough,
    /// `KStreamFilter` (`not` for filterNot).
    Filter { predicate: Expr, not: bool },
    /// `KStreamMap`
    Map { key: Expr, value: Expr },
    /// `KStreamMap` with `(k, v) -> KeyValue(mapper(k, v), v)` (selectKey, groupBy).
    SelectKey(Expr),
    /// `KStreamMapValues`
    MapValues(Expr),
    /// `KStreamFlatMapValues`
    FlatMapValues(Expr),
    /// `KStreamPeek`
    Peek(Option<Expr>),
    /// `KStreamBranch`: a record goes to the first child whose predicate holds, else to the
    /// default child if there is one (children are node ids, in branch order).
    Branch {
        predicates: Vec<Expr>,
        children: Vec<NodeId>,
        default: Option<NodeId>,
    },
    /// `KStreamAggregate` / `KStreamReduce` over a key-value store.
    StreamAggregate { store: String, agg: Aggregation },
    /// `KTableSource` (also `KStream.toTable`): stores the latest value per key if
    /// materialized, forwards `Change{new, old}`.
    TableSource {
        store: String,
        materialized: bool,
        send_old_values: bool,
    },
    /// `KTableFilter` (`not` for filterNot): a filtered-out update is forwarded as a delete.
    TableFilter {
        predicate: Expr,
        not: bool,
        send_old_values: bool,
    },
    /// `KTableMapValues`
    TableMapValues { mapper: Expr, send_old_values: bool },
    /// `KTableImpl.toStream`: `Change.newValue` as a stream record.
    TableToStream,
    /// `KTableRepartitionMap`: a table's `groupBy`, sending the old pair and the new pair.
    TableSelect { key: Expr, value: Option<Expr> },
    /// `KTableAggregate` / `KTableReduce` (adder and subtractor).
    TableAggregate { store: String, agg: Aggregation },
    /// `KTableSource` of a global table's state-update processor.
    GlobalTableSource { store: String },
    /// `KStreamWindowAggregate` / `KStreamSlidingWindowAggregate` /
    /// `KStreamSessionWindowAggregate` over a window or session store.
    WindowedAggregate {
        store: String,
        window: WindowSpec,
        agg: Aggregation,
    },
    /// `KTableSuppressProcessor` with `untilWindowCloses`: buffers updates in `store` until
    /// stream time passes window end + grace.
    Suppress { store: String, grace: Micros },
    /// `KStreamJoinWindow`: puts one side's records into its join window store.
    JoinWindow { store: String },
    /// `KStreamKStreamJoinLeftSide` / `RightSide`: looks up the other side's window store;
    /// `shared` is the outer-join store of records still waiting for a partner.
    StreamStreamJoin {
        this_side: bool,
        kind: JoinKind,
        window: JoinWindow,
        other_store: String,
        shared_store: Option<String>,
        joiner: Expr,
    },
    /// `KStreamKTableJoin`: looks up the table's store (`table_store`) by the record's key.
    StreamTableJoin {
        kind: JoinKind,
        table_store: String,
        joiner: Expr,
    },
    /// `KStreamGlobalKTableJoin`: looks up the global store by the key `key` selects.
    StreamGlobalTableJoin {
        kind: JoinKind,
        global_store: String,
        key: Expr,
        joiner: Expr,
    },
    /// `KTableKTableInnerJoin` / `LeftJoin` / `RightJoin` / `OuterJoin`: one side's update
    /// looks up the other side's store.
    TableTableJoin {
        this_side: bool,
        kind: JoinKind,
        other_store: String,
        joiner: Expr,
    },
}

/// The aggregation of `count`, `reduce` and `aggregate`.
#[derive(Debug, Clone, PartialEq)]
pub enum Aggregation {
    Count,
    Reduce {
        adder: Expr,
        subtractor: Option<Expr>,
    },
    Aggregate {
        init: Expr,
        adder: Expr,
        subtractor: Option<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoreSpec {
    pub name: String,
    pub kind: StoreKind,
    /// The changelog topic's full name (`<app>-<store>-changelog`); `None` for global stores,
    /// whose source topic is their changelog (Kafka disables logging for them).
    pub changelog: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StoreKind {
    KeyValue,
    /// A window or session store, kept `retention`; a join window store keeps duplicates
    /// (`retainDuplicates`) and its changelog only deletes (`StreamJoinedStoreFactory`).
    Windowed {
        retention: Micros,
        join: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalTopic {
    /// Full name, prefixed with the application id.
    pub name: String,
    /// The name the topology uses and `describe()` prints (without the prefix).
    pub raw: String,
    pub kind: InternalTopicKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalTopicKind {
    /// `RepartitionTopicConfig`: `cleanup.policy=delete`, infinite retention (Kafka purges
    /// consumed records with DeleteRecords).
    Repartition,
    /// `UnwindowedUnversionedChangelogTopicConfig`: `cleanup.policy=compact`.
    Changelog,
    /// `WindowedChangelogTopicConfig`: `cleanup.policy=compact,delete` (`delete` for a join
    /// window store), `retention.ms` = store retention +
    /// `windowstore.changelog.additional.retention.ms` (one day).
    WindowedChangelog { retention: Micros, compact: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subtopology {
    pub id: u32,
    /// Its nodes, in write order.
    pub nodes: Vec<NodeId>,
    /// Topics its source nodes read (full names, sorted).
    pub source_topics: Vec<String>,
    /// Topics its sinks write (full names, sorted).
    pub sink_topics: Vec<String>,
    /// Stores its processors use, in first-use order.
    pub stores: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GlobalStore {
    /// The number `makeNodeGroups` gave its node group.
    pub id: u32,
    pub source: NodeId,
    pub processor: NodeId,
    pub store: String,
    pub topic: String,
}

/// A task: sub-topology `subtopology` on partition `partition`, named `0_1` as Kafka's TaskId.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId {
    pub subtopology: u32,
    pub partition: u32,
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.subtopology, self.partition)
    }
}

impl Topology {
    pub fn node(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name)
    }

    pub fn store(&self, name: &str) -> Option<&StoreSpec> {
        self.stores.iter().find(|s| s.name == name)
    }

    pub fn is_internal(&self, topic: &str) -> bool {
        self.internal_topics.iter().any(|t| t.name == topic)
    }

    /// The sub-topology that reads `topic` (full name), if any.
    pub fn subtopology_of_topic(&self, topic: &str) -> Option<&Subtopology> {
        self.subtopologies
            .iter()
            .find(|s| s.source_topics.iter().any(|t| t == topic))
    }

    /// The number of partitions of every source topic, and so of every sub-topology's tasks:
    /// user topics have the counts given (`partitions_of`); a repartition topic takes the
    /// largest count among the source topics of the sub-topologies that write to it, as
    /// Kafka's `RepartitionTopics.setRepartitionSourceTopicPartitionCount` does (repeated
    /// until nothing changes, since one repartition topic may feed another).
    pub fn partition_counts(
        &self,
        partitions_of: impl Fn(&str) -> Option<u32>,
    ) -> std::collections::BTreeMap<String, u32> {
        let mut counts = std::collections::BTreeMap::new();
        for sub in &self.subtopologies {
            for t in &sub.source_topics {
                if !self.is_internal(t)
                    && let Some(n) = partitions_of(t)
                {
                    counts.insert(t.clone(), n);
                }
            }
        }
        for g in &self.global_stores {
            if let Some(n) = partitions_of(&g.topic) {
                counts.insert(g.topic.clone(), n);
            }
        }
        loop {
            let mut changed = false;
            for topic in self.internal_topics.iter() {
                if topic.kind != InternalTopicKind::Repartition {
                    continue;
                }
                let upstream = self
                    .subtopologies
                    .iter()
                    .filter(|s| s.sink_topics.contains(&topic.name))
                    .flat_map(|s| s.source_topics.iter())
                    .filter_map(|t| counts.get(t).copied())
                    .max();
                if let Some(n) = upstream
                    && counts.get(&topic.name) != Some(&n)
                {
                    counts.insert(topic.name.clone(), n);
                    changed = true;
                }
            }
            if !changed {
                return counts;
            }
        }
    }

    /// Every task of the application: for each sub-topology, one per partition of its widest
    /// source topic (Kafka's `PartitionGrouper`: max partitions over the node group's topics).
    pub fn tasks(&self, partitions_of: impl Fn(&str) -> Option<u32>) -> Vec<TaskId> {
        let counts = self.partition_counts(partitions_of);
        let mut tasks = Vec::new();
        for sub in &self.subtopologies {
            let n = sub
                .source_topics
                .iter()
                .filter_map(|t| counts.get(t).copied())
                .max()
                .unwrap_or(0);
            tasks.extend((0..n).map(|partition| TaskId {
                subtopology: sub.id,
                partition,
            }));
        }
        tasks
    }
}
