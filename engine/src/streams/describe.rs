//! `Topology.describe()`: the text Kafka prints for a topology, character for character
//! (`InternalTopologyBuilder.TopologyDescription.toString` and its `Source`, `Processor`,
//! `Sink`, `SubtopologyDescription` and `GlobalStore`), so a teacher can set it beside what a
//! Java application prints.
//!
//! Kafka prints topic and store names from `HashSet`s and nodes from `TreeSet`s ordered by the
//! size of the sub-graph below each node (largest first), then by name; both orders are
//! reproduced here. Internal topics print without the application id, as `describe()` runs
//! before the id is known.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::topology::{NodeId, NodeKind, Topology};

/// The predecessor and successor lists of every node in the order Kafka prints them.
struct Links {
    predecessors: Vec<Vec<NodeId>>,
    successors: Vec<Vec<NodeId>>,
}

impl Topology {
    /// What `topology.describe().toString()` prints.
    pub fn describe(&self) -> String {
        let mut out = String::from("Topologies:\n ");
        let sizes = self.subgraph_sizes();
        let links = self.links();
        // Sub-topologies and global stores interleave by id (TopologyDescription.toString).
        let mut parts: Vec<(u32, String)> = Vec::new();
        for sub in &self.subtopologies {
            let mut s = format!("Sub-topology: {}\n", sub.id);
            for n in self.ordered(&sub.nodes, &sizes) {
                s.push_str("    ");
                s.push_str(&self.describe_node(n, &links));
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

    fn describe_node(&self, id: NodeId, links: &Links) -> String {
        let node = &self.nodes[id];
        let names = |ids: &[NodeId]| -> String {
            if ids.is_empty() {
                return "none".to_string();
            }
            ids.iter()
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
                    names(&links.successors[id])
                );
            }
            NodeKind::Processor => {
                let stores: Vec<&str> = node.stores.iter().map(String::as_str).collect();
                let _ = write!(
                    s,
                    "Processor: {} (stores: [{}])\n      --> {}\n      <-- {}",
                    node.name,
                    java_hash_set_order(&stores).join(", "),
                    names(&links.successors[id]),
                    names(&links.predecessors[id])
                );
            }
            NodeKind::Sink { topic } => {
                let _ = write!(
                    s,
                    "Sink: {} (topic: {})\n      <-- {}",
                    node.name,
                    self.raw_topic(topic),
                    names(&links.predecessors[id])
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

    /// `describeSubtopology`: nodes are linked in the iteration order of a `HashMap` keyed by
    /// name, each link inserted into `TreeSet`s compared by the sizes *at that moment* (which
    /// later links change), so Kafka's printed order of predecessors and successors is that
    /// of those insertions: replayed here (as unbalanced search trees, exact for the sets of up
    /// to three nodes topologies have).
    fn links(&self) -> Links {
        let mut links = Links {
            predecessors: vec![Vec::new(); self.nodes.len()],
            successors: vec![Vec::new(); self.nodes.len()],
        };
        for sub in &self.subtopologies {
            let capacity = java_table_capacity(sub.nodes.len());
            let mut order: Vec<(usize, usize, NodeId)> = sub
                .nodes
                .iter()
                .enumerate()
                .map(|(i, &n)| (java_bucket(&self.nodes[n].name, capacity), i, n))
                .collect();
            order.sort();
            let mut size: BTreeMap<NodeId, usize> = sub.nodes.iter().map(|&n| (n, 1)).collect();
            let mut preds: BTreeMap<NodeId, Vec<NodeId>> = BTreeMap::new();
            let mut pred_trees: BTreeMap<NodeId, Tree> = BTreeMap::new();
            let mut succ_trees: BTreeMap<NodeId, Tree> = BTreeMap::new();
            for &(_, _, n) in &order {
                for &p in &self.nodes[n].predecessors {
                    let cmp = |a: NodeId, b: NodeId, size: &BTreeMap<NodeId, usize>| {
                        size[&b]
                            .cmp(&size[&a])
                            .then_with(|| self.nodes[a].name.cmp(&self.nodes[b].name))
                    };
                    pred_trees
                        .entry(n)
                        .or_default()
                        .insert(p, |a, b| cmp(a, b, &size));
                    succ_trees
                        .entry(p)
                        .or_default()
                        .insert(n, |a, b| cmp(a, b, &size));
                    preds.entry(n).or_default().push(p);
                    // updateSize(predecessor, node.size): up every linked predecessor.
                    let delta = size[&n];
                    let mut stack = vec![p];
                    while let Some(x) = stack.pop() {
                        *size.get_mut(&x).expect("in the sub-topology") += delta;
                        stack.extend(preds.get(&x).into_iter().flatten().copied());
                    }
                }
            }
            for (n, t) in pred_trees {
                links.predecessors[n] = t.in_order();
            }
            for (n, t) in succ_trees {
                links.successors[n] = t.in_order();
            }
        }
        links
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

/// A binary search tree replaying `TreeSet.add` with a comparator that may change between
/// insertions.
#[derive(Default)]
struct Tree {
    /// (node, left, right) by index.
    items: Vec<(NodeId, Option<usize>, Option<usize>)>,
}

impl Tree {
    fn insert(&mut self, n: NodeId, cmp: impl Fn(NodeId, NodeId) -> std::cmp::Ordering) {
        let new = self.items.len();
        if self.items.iter().any(|(x, ..)| *x == n) {
            return;
        }
        self.items.push((n, None, None));
        if new == 0 {
            return;
        }
        let mut at = 0;
        loop {
            let (x, left, right) = self.items[at];
            let next = if cmp(n, x).is_lt() { left } else { right };
            match next {
                Some(c) => at = c,
                None => {
                    if cmp(n, x).is_lt() {
                        self.items[at].1 = Some(new);
                    } else {
                        self.items[at].2 = Some(new);
                    }
                    return;
                }
            }
        }
    }

    fn in_order(&self) -> Vec<NodeId> {
        fn walk(t: &Tree, i: Option<usize>, out: &mut Vec<NodeId>) {
            if let Some(i) = i {
                let (n, l, r) = t.items[i];
                walk(t, l, out);
                out.push(n);
                walk(t, r, out);
            }
        }
        let mut out = Vec::new();
        walk(self, (!self.items.is_empty()).then_some(0), &mut out);
        out
    }
}

/// The table size of a `HashMap`/`HashSet` that had `n` entries added one by one.
fn java_table_capacity(n: usize) -> usize {
    let mut capacity = 16;
    while n > capacity * 3 / 4 {
        capacity *= 2;
    }
    capacity
}

/// The bucket `HashMap` puts a string in (`hash ^ hash >>> 16`, masked).
fn java_bucket(s: &str, capacity: usize) -> usize {
    let h = java_string_hash(s) as u32;
    ((h ^ (h >> 16)) as usize) & (capacity - 1)
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
    let bucket = |s: &str| java_bucket(s, capacity);
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
