//! The engine's snapshot in wire form, and what changed between two of them.
//!
//! A frame carries only the entities that differ from the previous frame, so a quiet cluster
//! costs a few bytes and a busy one costs its partitions, never its records.

use engine::Snapshot;
use engine::snapshot::{ConsumerView, GroupView, PartitionView, ProducerView};

use crate::wire::{self, State};

/// Cuts user text to `max` characters (not bytes, so a multi-byte key is never split).
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn per_second(per_hour: Option<u64>) -> Option<f64> {
    per_hour.map(|h| h as f64 / 3600.0)
}

/// The whole observable state, in wire form.
pub fn from_snapshot(s: &Snapshot) -> State {
    let mut coordinators: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    for g in &s.groups {
        if let Some(b) = g.coordinator {
            coordinators.entry(b).or_default().push(g.name.clone());
        }
    }
    State {
        brokers: s
            .brokers
            .iter()
            .map(|b| wire::Broker {
                id: b.id,
                alive: b.alive,
                fenced: b.fenced,
                coordinator_of: coordinators.remove(&b.id).unwrap_or_default(),
            })
            .collect(),
        topics: s
            .topics
            .iter()
            .map(|t| wire::Topic {
                name: t.name.clone(),
                partitions: t.partitions.len() as u32,
                replication: t.replication,
                min_insync: t.min_insync,
                unclean_election: t.unclean_election,
                compact: t.compact,
                retention_ms: t.retention_us.map(|us| us / 1000),
                acked: t.acked,
                rejected: t.rejected,
                lost: t.lost,
            })
            .collect(),
        partitions: s
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| partition(&t.name, p)))
            .collect(),
        producers: s.producers.iter().map(producer).collect(),
        groups: s.groups.iter().map(group).collect(),
        consumers: s.consumers.iter().map(consumer).collect(),
        network: s.network_partition.clone(),
    }
}

fn partition(topic: &str, p: &PartitionView) -> wire::Partition {
    let recent = &p.tail[p.tail.len().saturating_sub(wire::RECENT_KEYS)..];
    wire::Partition {
        topic: topic.to_string(),
        partition: p.partition,
        replicas: p.replicas.clone(),
        isr: p.isr.clone(),
        leader: p.leader,
        leader_epoch: p.leader_epoch,
        high_watermark: p.high_watermark,
        log_end_offset: p.log_end_offset,
        log_start_offset: p.log_start_offset,
        replica_leo: p.replica_states.iter().map(|r| r.log_end_offset).collect(),
        recent: recent
            .iter()
            .map(|r| {
                let key = r.key.as_deref().map(|k| clip(k, wire::MAX_TEXT_CHARS));
                (r.offset, key)
            })
            .collect(),
    }
}

fn producer(p: &ProducerView) -> wire::Producer {
    wire::Producer {
        name: p.name.clone(),
        topic: p.topic.clone(),
        acks: match p.acks {
            engine::command::Acks::Zero => "0",
            engine::command::Acks::One => "1",
            engine::command::Acks::All => "all",
        }
        .to_string(),
        running: p.running,
        rate_per_s: per_second(p.per_hour),
        buffered: p.buffered,
        in_flight: p.in_flight,
    }
}

fn group(g: &GroupView) -> wire::Group {
    wire::Group {
        name: g.name.clone(),
        topics: g.topics.clone(),
        assignor: g.assignor.clone(),
        protocol: g.protocol.clone(),
        coordinator: g.coordinator,
        state: g.state.name().to_string(),
        generation: g.generation,
        leader: g.leader.clone(),
        members: g
            .members
            .iter()
            .map(|m| wire::Member {
                member: m.member.clone(),
                assignment: m.assignment.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        offsets: g
            .offsets
            .iter()
            .map(|o| wire::GroupOffset {
                topic: o.topic.clone(),
                partition: o.partition,
                committed: o.committed,
                lag: o.lag,
            })
            .collect(),
        lag: g.lag,
        consumed: g.consumed,
    }
}

fn consumer(c: &ConsumerView) -> wire::Consumer {
    use engine::group::consumer::{ClientState, JoinPhase};
    wire::Consumer {
        name: c.name.clone(),
        group: c.group.clone(),
        state: match c.state {
            ClientState::Running => "running",
            ClientState::Closing => "closing",
            ClientState::Stopped => "stopped",
            ClientState::Crashed => "crashed",
        }
        .to_string(),
        phase: match c.phase {
            JoinPhase::Unjoined => "unjoined",
            JoinPhase::Committing => "committing",
            JoinPhase::Joining => "joining",
            JoinPhase::Syncing => "syncing",
            JoinPhase::Stable => "stable",
        }
        .to_string(),
        stalled: c.stalled,
        generation: c.generation,
        rate_per_s: per_second(c.per_hour),
        owned: c
            .owned
            .iter()
            .map(|o| (format!("{}/{}", o.topic, o.partition), o.position))
            .collect(),
        consumed: c.consumed,
    }
}

/// The entities of `now` that differ from `before` (new ones included). Entities are never
/// removed by the engine, so lists only grow and keep their order.
pub fn changes(before: &State, now: &State) -> State {
    fn changed<T: PartialEq + Clone, K: PartialEq>(
        before: &[T],
        now: &[T],
        key: impl Fn(&T) -> K,
    ) -> Vec<T> {
        now.iter()
            .enumerate()
            .filter(|(i, item)| match before.get(*i) {
                Some(old) if key(old) == key(item) => old != *item,
                _ => !before.iter().any(|old| old == *item),
            })
            .map(|(_, item)| item.clone())
            .collect()
    }
    State {
        brokers: changed(&before.brokers, &now.brokers, |b| b.id),
        topics: changed(&before.topics, &now.topics, |t| t.name.clone()),
        partitions: changed(&before.partitions, &now.partitions, |p| {
            (p.topic.clone(), p.partition)
        }),
        producers: changed(&before.producers, &now.producers, |p| p.name.clone()),
        groups: changed(&before.groups, &now.groups, |g| g.name.clone()),
        consumers: changed(&before.consumers, &now.consumers, |c| c.name.clone()),
        network: now.network.clone(),
    }
}

impl State {
    pub fn is_empty(&self) -> bool {
        self.brokers.is_empty()
            && self.topics.is_empty()
            && self.partitions.is_empty()
            && self.producers.is_empty()
            && self.groups.is_empty()
            && self.consumers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("héllo", 10), "héllo");
        assert_eq!(clip("ééééé", 2), "éé…");
    }

    #[test]
    fn changes_keep_only_what_differs() {
        let mut cluster = engine::Cluster::new(1);
        cluster
            .apply(engine::Command::Brokers(engine::command::ClusterSpec {
                brokers: 3,
                ..Default::default()
            }))
            .unwrap();
        let before = from_snapshot(&cluster.snapshot());
        assert!(changes(&before, &before).is_empty());
        cluster
            .apply(engine::Command::BrokerKill { broker: 2 })
            .unwrap();
        let now = from_snapshot(&cluster.snapshot());
        let diff = changes(&before, &now);
        assert_eq!(diff.brokers.len(), 1);
        assert_eq!(diff.brokers[0].id, 2);
        assert!(!diff.brokers[0].alive);
    }
}
