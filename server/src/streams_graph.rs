//! What `Topology.describe()` leaves out and a teacher needs on the Streams page's graph: the
//! expressions each processor runs, printed back from the tree (`Display for Expr`) as the
//! scenario wrote them (`wire::StreamsExpressions`). The topology never changes once built, so
//! the room prints them once per application (`ExpressionCache`), not every frame.

use std::collections::BTreeMap;
use std::sync::Arc;

use engine::cluster::Cluster;
use engine::streams::expr::Expr;
use engine::streams::topology::{Aggregation, Op, Topology};

use crate::wire;

/// Each application's expressions, printed when its topology first appears. Keyed by the
/// topology itself (an `Arc`): a rewind or a new scenario that declares an app of the same name
/// with another topology prints again.
#[derive(Debug, Default)]
pub struct ExpressionCache {
    apps: Vec<(Arc<Topology>, wire::StreamsExpressions)>,
}

impl ExpressionCache {
    /// The expressions of every application the cluster runs now, in its order.
    pub fn of(&mut self, cluster: &Cluster) -> Vec<wire::StreamsExpressions> {
        let apps: Vec<_> = cluster
            .streams_app_names()
            .into_iter()
            .filter_map(|name| {
                cluster
                    .streams_app(&name)
                    .map(|a| (name, a.topology.clone()))
            })
            .collect();
        self.apps
            .retain(|(t, _)| apps.iter().any(|(_, now)| Arc::ptr_eq(t, now)));
        apps.into_iter()
            .map(|(name, topology)| {
                if let Some((_, e)) = self.apps.iter().find(|(t, _)| Arc::ptr_eq(t, &topology)) {
                    return e.clone();
                }
                let e = wire::StreamsExpressions {
                    app: name,
                    nodes: expressions(&topology),
                };
                self.apps.push((topology, e.clone()));
                e
            })
            .collect()
    }
}

/// Node name → the expressions it runs, for the nodes that run any.
pub fn expressions(t: &Topology) -> BTreeMap<String, Vec<String>> {
    t.nodes
        .iter()
        .map(|n| (n.name.clone(), of_op(&n.op)))
        .filter(|(_, e)| !e.is_empty())
        .collect()
}

/// The expressions one processor runs, with a word in front when it runs more than one
/// (`key: …`, `adder: …`).
fn of_op(op: &Op) -> Vec<String> {
    let not = |not: bool, e: &Expr| {
        if not {
            format!("not: {e}")
        } else {
            e.to_string()
        }
    };
    match op {
        Op::Filter { predicate, not: n }
        | Op::TableFilter {
            predicate, not: n, ..
        } => vec![not(*n, predicate)],
        Op::Map { key, value } => vec![format!("key: {key}"), format!("value: {value}")],
        Op::SelectKey(e) | Op::MapValues(e) | Op::FlatMapValues(e) => vec![e.to_string()],
        Op::TableMapValues { mapper, .. } => vec![mapper.to_string()],
        Op::Peek(Some(e)) => vec![e.to_string()],
        Op::Branch { predicates, .. } => predicates.iter().map(|p| p.to_string()).collect(),
        Op::TableSelect { key, value } => {
            let mut v = vec![format!("key: {key}")];
            if let Some(value) = value {
                v.push(format!("value: {value}"));
            }
            v
        }
        Op::StreamAggregate { agg, .. }
        | Op::TableAggregate { agg, .. }
        | Op::WindowedAggregate { agg, .. } => aggregation(agg),
        Op::StreamStreamJoin { joiner, .. }
        | Op::StreamTableJoin { joiner, .. }
        | Op::TableTableJoin { joiner, .. } => {
            vec![format!("joiner: {joiner}")]
        }
        Op::StreamGlobalTableJoin { key, joiner, .. } => {
            vec![format!("key: {key}"), format!("joiner: {joiner}")]
        }
        _ => Vec::new(),
    }
}

fn aggregation(agg: &Aggregation) -> Vec<String> {
    match agg {
        Aggregation::Count => vec!["count".to_string()],
        Aggregation::Reduce { adder, subtractor } => {
            let mut v = vec![format!("adder: {adder}")];
            if let Some(s) = subtractor {
                v.push(format!("subtractor: {s}"));
            }
            v
        }
        Aggregation::Aggregate {
            init,
            adder,
            subtractor,
        } => {
            let mut v = vec![format!("init: {init}"), format!("adder: {adder}")];
            if let Some(s) = subtractor {
                v.push(format!("subtractor: {s}"));
            }
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use engine::command::Command;
    use engine::scenario::ast::Action;

    /// The word-count topology of the docs, parsed from the scenario language and built.
    fn word_count() -> engine::streams::topology::Topology {
        let text = "brokers 1\ntopic create text-lines partitions=2 replication=1\ntopic create word-counts partitions=2 replication=1\n\
                    streams app word-count instances=2\n  stream text-lines\n  flatMapValues: split(lower(value))\n  \
                    groupBy: value\n  count store=counts\n  toStream\n  to word-counts\nend\n";
        let scenario = engine::scenario::parse("t.scenario", text).expect("parses");
        let app = scenario
            .steps
            .iter()
            .find_map(|s| match &s.action {
                Action::Cluster(Command::StreamsApp(app)) => Some((**app).clone()),
                _ => None,
            })
            .expect("an app");
        engine::streams::builder::build(&app).expect("builds")
    }

    #[test]
    fn word_count_expressions_as_written() {
        let t = word_count();
        let e = super::expressions(&t);
        let flat = t
            .nodes
            .iter()
            .find(|n| n.name.contains("FLATMAPVALUES"))
            .expect("flatMapValues node");
        assert_eq!(e[&flat.name], vec!["split(lower(value))".to_string()]);
        let count = t
            .nodes
            .iter()
            .find(|n| n.name.contains("AGGREGATE"))
            .expect("count node");
        assert_eq!(e[&count.name], vec!["count".to_string()]);
        // Sources and sinks run no expression.
        assert!(
            t.nodes
                .iter()
                .filter(|n| n.name.contains("SOURCE"))
                .all(|n| !e.contains_key(&n.name))
        );
    }
}
