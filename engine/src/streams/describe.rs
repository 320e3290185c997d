//! `Topology.describe()`: the text Kafka prints for a topology, character for character
//! (`InternalTopologyBuilder.TopologyDescription.toString` and its `Source`, `Processor`,
//! `Sink`, `SubtopologyDescription` and `GlobalStore`), so a teacher can set it beside what a
//! Java application prints.
//!
//! Kafka prints topic and store names from `HashSet`s and nodes from `TreeSet`s ordered by the
//! size of the sub-graph below each node (largest first), then by name; both orders are
//! reproduced here. Internal topics print without the application id, as `describe()` runs
//! before the id is known.

use std::fmt::Write;

use super::topology::{NodeId, NodeKind, Topology};

impl Topology {
    /// What `topology.describe().toString()` prints.
    pub fn describe(&self) -> String {
        let mut out = String::from("Topologies:\n ");
        let sizes = self.subgraph_sizes();
        // Sub-topologies and global stores interleave by id (TopologyDescription.toString).
        let mut parts: Vec<(u32, String)> = Vec::new();
        for sub in &self.subtopologies {
            let mut s = format!("Sub-topology: {}\n", sub.id);
            for n in self.ordered(&sub.nodes, &sizes) {
                s.push_str("    ");
                s.push_str(&self.describe_node(n, &sizes));
                s.push('\n');
            }
            s.push('\n');
            parts.push((sub.id, s));
        }
        for g in &self.global_stores {
            let source = &self.nodes[g.source];
            let processor = &self.nodes[g.processor];
            let s = format!(
                "Sub-topology: {} for global store (will not generate tasks)\n    \
                 Source: {} (topics: [{}])\n      --> {}\n    \
                 Processor: {} (stores: [{}])\n      --> none\n      <-- {}\n",
                g.id, source.name, g.topic, processor.name, processor.name, g.store, source.name
            );
            parts.push((g.id, s));
        }
        parts.sort_by_key(|(id, _)| *id);
        for (_, s) in parts {
            out.push_str("  ");
            out.push_str(&s);
        }
        out
    }

    fn describe_node(&self, id: NodeId, sizes: &[usize]) -> String {
        let node = &self.nodes[id];
        let names = |ids: &[NodeId]| -> String {
            if ids.is_empty() {
                return "none".to_string();
            }
            self.ordered(ids, sizes)
                .iter()
                .map(|&i| self.nodes[i].name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut s = String::new();
        match &node.kind {
            NodeKind::Source { topics } => {
                let raw: Vec<&str> = topics.iter().map(|t| self.raw_topic(t)).collect();
                let _ = write!(
                    s,
                    "Source: {} (topics: [{}])\n      --> {}",
                    node.name,
                    java_hash_set_order(&raw).join(", "),
                    names(&node.successors)
                );
            }
            NodeKind::Processor => {
                let stores: Vec<&str> = node.stores.iter().map(String::as_str).collect();
                let _ = write!(
                    s,
                    "Processor: {} (stores: [{}])\n      --> {}\n      <-- {}",
                    node.name,
                    java_hash_set_order(&stores).join(", "),
                    names(&node.successors),
                    names(&node.predecessors)
                );
            }
            NodeKind::Sink { topic } => {
                let _ = write!(
                    s,
                    "Sink: {} (topic: {})\n      <-- {}",
                    node.name,
                    self.raw_topic(topic),
                    names(&node.predecessors)
                );
            }
        }
        s
    }

    /// The name the topology itself uses for a topic (internal topics without the prefix).
    pub fn raw_topic<'a>(&'a self, topic: &'a str) -> &'a str {
        self.internal_topics
            .iter()
            .find(|t| t.name == topic)
            .map_or(topic, |t| t.raw.as_str())
    }

    /// `AbstractNode.size` after `describeSubtopology`'s `updateSize`: 1 + the sizes of the
    /// successors (a node reachable twice counts twice, as Kafka adds sizes along each edge).
    fn subgraph_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.nodes.len()];
        // Successors are always written after their predecessors: fill from the end.
        for id in (0..self.nodes.len()).rev() {
            sizes[id] = 1 + self.nodes[id]
                .successors
                .iter()
                .map(|&s| sizes[s])
                .sum::<usize>();
        }
        sizes
    }

    /// Kafka's `NodeComparator`: larger sub-graph first, then by name.
    fn ordered(&self, ids: &[NodeId], sizes: &[usize]) -> Vec<NodeId> {
        let mut v = ids.to_vec();
        v.sort_by(|&a, &b| {
            sizes[b]
                .cmp(&sizes[a])
                .then_with(|| self.nodes[a].name.cmp(&self.nodes[b].name))
        });
        v
    }
}

/// Java's `String.hashCode`: over UTF-16 code units.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The order in which `new HashSet<>(items)` iterates: by bucket (`HashMap.hash` spreads the
/// hash, the table has the smallest power-of-two capacity ≥ max(16, n / 0.75 + 1)), then in
/// insertion order within a bucket.
pub fn java_hash_set_order<'a>(items: &[&'a str]) -> Vec<&'a str> {
    let wanted = ((items.len() as f32 / 0.75) as usize + 1).max(16);
    let capacity = wanted.next_power_of_two();
    let mut unique: Vec<&str> = Vec::new();
    for &i in items {
        if !unique.contains(&i) {
            unique.push(i);
        }
    }
    let bucket = |s: &str| {
        let h = java_string_hash(s) as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut keyed: Vec<(usize, usize, &str)> = unique
        .iter()
        .enumerate()
        .map(|(i, s)| (bucket(s), i, *s))
        .collect();
    keyed.sort();
    keyed.into_iter().map(|(_, _, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_string_hash_matches_java() {
        // "hello".hashCode() == 99162322 and "".hashCode() == 0 in Java.
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash(""), 0);
        // Overflow wraps as Java's int does: "Hello World".hashCode() == -862545276.
        assert_eq!(java_string_hash("Hello World"), -862_545_276);
    }
}
