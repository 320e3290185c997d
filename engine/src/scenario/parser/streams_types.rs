//! The Kafka Streams DSL's types and its co-partitioning rule, as a `streams app` block is read
//! line by line (`streams.rs`): what each chain has built so far (a KStream, a KGroupedStream, …),
//! which topics it reads, and whether a key-changing operation means Kafka would repartition it.

use std::collections::BTreeMap;

use crate::streams::dsl::Kind;

/// A topic a stream or table reads, as co-partitioning sees it (Kafka's source nodes of the
/// sub-topology, `AbstractStream.subTopologySourceNodes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Source {
    /// `None`: a repartition topic the application creates (`APP-…-repartition`).
    pub topic: Option<String>,
    /// `None` when its `topic create` line failed: nothing is checked against it.
    pub partitions: Option<u32>,
}

/// What a chain has built so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Built {
    pub kind: Kind,
    pub sources: Vec<Source>,
    /// A key-changing operation (`map`, `selectKey`) came since the records were last
    /// partitioned by their key: Kafka's `KStreamImpl.repartitionRequired`. A later
    /// `groupByKey`, `toTable` or join first writes the records to a repartition topic.
    pub repartition: bool,
}

impl Built {
    pub fn new(kind: Kind, sources: Vec<Source>) -> Built {
        Built {
            kind,
            sources,
            repartition: false,
        }
    }

    /// The same records as another kind.
    pub fn to(&self, kind: Kind) -> Built {
        Built {
            kind,
            ..self.clone()
        }
    }

    /// After a key change: Kafka's `keyChangingOperation(true)` on map, selectKey, groupBy.
    pub fn rekeyed(&self) -> Built {
        Built {
            repartition: true,
            ..self.clone()
        }
    }

    /// Read back from a repartition topic if a key changed since the last one (Kafka's
    /// `repartitionForJoin`, and the repartition an aggregation after a key change inserts).
    pub fn repartitioned_if_needed(&self) -> Built {
        if self.repartition {
            self.through_repartition_topic()
        } else {
            self.clone()
        }
    }

    /// Read back from a repartition topic. Its number of partitions is the largest of the topics
    /// its sub-topology reads (`RepartitionTopics.computePartitionCount`: "use the maximum of
    /// all its source topic partitions"), unless co-partitioning sets it (`copartition`).
    pub fn through_repartition_topic(&self) -> Built {
        let partitions = self.sources.iter().filter_map(|s| s.partitions).max();
        Built {
            kind: self.kind,
            sources: vec![Source {
                topic: None,
                partitions,
            }],
            repartition: false,
        }
    }
}

/// The topics of both sides of a join, checked as Kafka's `CopartitionedTopicsEnforcer.enforce`
/// does when the group's leader assigns tasks: the topics the application does not create must
/// all have the same number of partitions, else `TopologyException: Topics not co-partitioned:
/// [{a=3, b=2}]`; the repartition topics among them take that number (or, when every topic is
/// a repartition topic, the largest of theirs). The joined stream reads all of them.
pub(super) fn copartition(left: &[Source], right: &[Source]) -> Result<Vec<Source>, String> {
    let all: Vec<&Source> = left.iter().chain(right).collect();
    // A TreeMap in Kafka's message: topics in name order.
    let external: BTreeMap<&str, Option<u32>> = all
        .iter()
        .filter_map(|s| s.topic.as_deref().map(|t| (t, s.partitions)))
        .collect();
    let known: Vec<u32> = external.values().filter_map(|p| *p).collect();
    let count = if external.is_empty() {
        all.iter().filter_map(|s| s.partitions).max()
    } else {
        if known.iter().any(|&n| n != known[0]) {
            let topics: Vec<String> = external
                .iter()
                .filter_map(|(t, p)| p.map(|p| format!("{t}={p}")))
                .collect();
            return Err(format!(
                "Topics not co-partitioned: [{{{}}}]",
                topics.join(", ")
            ));
        }
        known.first().copied()
    };
    let mut joined: Vec<Source> = Vec::new();
    for s in all {
        let s = match s.topic {
            Some(_) => s.clone(),
            None => Source {
                topic: None,
                partitions: count,
            },
        };
        if !joined.contains(&s) {
            joined.push(s);
        }
    }
    Ok(joined)
}

/// The DSL type with its article, for messages ("the chain has a KGroupedStream here").
pub(super) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::KStream => "a KStream",
        Kind::KTable => "a KTable",
        Kind::GlobalKTable => "a GlobalKTable",
        Kind::KGroupedStream => "a KGroupedStream",
        Kind::KGroupedTable => "a KGroupedTable",
        Kind::TimeWindowedKStream => "a TimeWindowedKStream",
        Kind::SessionWindowedKStream => "a SessionWindowedKStream",
        Kind::WindowedKTable => "a windowed KTable",
        Kind::BranchedKStream => "a BranchedKStream",
    }
}

/// What to write to get from `kind` to what an operation needs, for hints.
pub(super) fn how_to_group(kind: Kind) -> &'static str {
    match kind {
        Kind::KStream => "group it first: 'groupByKey' or 'groupBy: KEY'",
        Kind::KTable => "group it first: 'groupBy: KEY, VALUE'",
        Kind::WindowedKTable | Kind::KGroupedStream | Kind::KGroupedTable => {
            "write 'toStream' to continue from the table's updates"
        }
        _ => "start a chain with 'stream TOPIC' or 'table TOPIC'",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(name: &str, partitions: u32) -> Source {
        Source {
            topic: Some(name.to_string()),
            partitions: Some(partitions),
        }
    }

    fn repartition(partitions: u32) -> Source {
        Source {
            topic: None,
            partitions: Some(partitions),
        }
    }

    #[test]
    fn source_topics_must_have_the_same_number_of_partitions() {
        assert_eq!(
            copartition(&[topic("orders", 3)], &[topic("customers", 2)]),
            Err("Topics not co-partitioned: [{customers=2, orders=3}]".to_string())
        );
        assert_eq!(
            copartition(&[topic("orders", 3)], &[topic("customers", 3)]),
            Ok(vec![topic("orders", 3), topic("customers", 3)])
        );
    }

    #[test]
    fn a_repartition_topic_takes_the_source_topics_count() {
        let left = Built::new(Kind::KStream, vec![topic("orders", 6)])
            .rekeyed()
            .repartitioned_if_needed();
        assert_eq!(left.sources, vec![repartition(6)]);
        assert_eq!(
            copartition(&left.sources, &[topic("customers", 2)]),
            Ok(vec![repartition(2), topic("customers", 2)])
        );
        // Only repartition topics: the largest count.
        assert_eq!(
            copartition(&[repartition(6)], &[repartition(2)]),
            Ok(vec![repartition(6)])
        );
    }
}
