//! Read-only questions about consumer groups, as `expect` lines and the UI ask them.
//!
//! Ownership (`assigned`, `owner`) is what the members hold right now, as their clients see it:
//! during an eager rebalance nobody holds anything; during a cooperative one members keep what
//! they keep. A crashed consumer still holds its partitions until the coordinator removes it
//! (after the session timeout), because nobody else may take them before.

use std::collections::BTreeMap;

use crate::cluster::Cluster;
use crate::command::TopicPartition;
use crate::event::Event;
use crate::group::consumer::ClientState;
use crate::group::consumer_protocol;
use crate::group::coordinator::{Group, GroupState, Member};

/// A member's assignment as `kafka-consumer-groups.sh --describe` shows it: the coordinator's
/// opaque bytes decoded as the consumer protocol's, for a group of protocol type `consumer`
/// (nothing for another protocol type, or before any assignment).
pub(crate) fn described_assignment(group: &Group, m: &Member) -> Vec<TopicPartition> {
    if group.protocol_type.as_deref() == Some(consumer_protocol::PROTOCOL_TYPE) {
        consumer_protocol::decode_assignment(&m.assignment)
    } else {
        Vec::new()
    }
}

/// The topics a group reads, as `kafka-consumer-groups.sh --describe` finds them: a simulated
/// group's subscription; for a group of real clients, whose subscription the coordinator holds
/// only as opaque bytes, the topics in its members' consumer-protocol metadata (for the selected
/// protocol, else their first) and in its committed offsets.
pub(crate) fn described_topics(group: &Group) -> Vec<String> {
    if !group.topics.is_empty() {
        return group.topics.clone();
    }
    let mut topics: Vec<String> = group.committed.keys().map(|tp| tp.topic.clone()).collect();
    if group.protocol_type.as_deref() == Some(consumer_protocol::PROTOCOL_TYPE) {
        for m in group.members.values() {
            let chosen = m
                .protocols
                .iter()
                .find(|(name, _)| group.protocol.as_ref() == Some(name))
                .or(m.protocols.first());
            if let Some(s) =
                chosen.and_then(|(_, bytes)| consumer_protocol::decode_subscription(bytes))
            {
                topics.extend(s.topics);
            }
        }
    }
    topics.sort();
    topics.dedup();
    topics
}

impl Cluster {
    pub fn group_names(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.name.clone()).collect()
    }

    pub fn has_group(&self, group: &str) -> bool {
        self.group_index(group).is_some()
    }

    fn group(&self, group: &str) -> Option<&crate::group::Group> {
        self.group_index(group).map(|g| &self.groups[g as usize])
    }

    /// The member ids the coordinator lists, in id order.
    pub fn group_members(&self, group: &str) -> Option<Vec<String>> {
        self.group(group)
            .map(|g| g.members.keys().cloned().collect())
    }

    pub fn group_state(&self, group: &str) -> Option<GroupState> {
        self.group(group).map(|g| g.state)
    }

    pub fn group_generation(&self, group: &str) -> Option<i32> {
        self.group(group).map(|g| g.generation)
    }

    /// The broker coordinating the group (`None` inside: no coordinator available).
    pub fn group_coordinator(&self, group: &str) -> Option<Option<u32>> {
        self.group(group).map(|g| g.coordinator)
    }

    /// The partitions member `member` of `group` holds now (empty if it holds none or is unknown).
    pub fn group_assigned(&self, group: &str, member: &str) -> Option<Vec<TopicPartition>> {
        let gi = self.group_index(group)?;
        let Some(c) = self
            .consumers
            .iter()
            .find(|c| c.group == gi && c.name == member)
        else {
            return Some(Vec::new());
        };
        Some(if self.still_holds(c) {
            c.owned.keys().cloned().collect()
        } else {
            Vec::new()
        })
    }

    /// Whether a consumer's partitions are still its own: a running (or closing) client holds
    /// what it owns; a crashed one only until the coordinator removes it from the group (its
    /// session timed out, or a rebalance went on without it); a stopped one nothing.
    pub(crate) fn still_holds(&self, c: &crate::group::consumer::Consumer) -> bool {
        match c.state {
            ClientState::Running | ClientState::Closing => true,
            ClientState::Crashed => self.groups[c.group as usize]
                .members
                .contains_key(&c.member_id),
            ClientState::Stopped => false,
        }
    }

    /// The member that holds `tp` in `group`, if any.
    pub fn group_owner(&self, group: &str, tp: &TopicPartition) -> Option<Option<String>> {
        let gi = self.group_index(group)?;
        let owner = self
            .consumers
            .iter()
            .filter(|c| c.group == gi && c.owned.contains_key(tp))
            .find(|c| {
                self.group_assigned(group, &c.name)
                    .is_some_and(|a| a.contains(tp))
            })
            .map(|c| c.name.clone());
        Some(owner)
    }

    /// The group's committed offset for `tp` (the next offset it will read).
    pub fn group_committed(&self, group: &str, tp: &TopicPartition) -> Option<Option<u64>> {
        self.group(group).map(|g| g.committed.get(tp).copied())
    }

    /// Lag of one partition: high watermark minus committed offset; `None` inside when the group
    /// has committed nothing for it (Kafka's tools show "-").
    pub fn group_partition_lag(&self, group: &str, tp: &TopicPartition) -> Option<Option<u64>> {
        let g = self.group(group)?;
        Some(
            g.committed
                .get(tp)
                .zip(self.high_watermark(tp))
                .map(|(c, hw)| hw.saturating_sub(*c)),
        )
    }

    /// Lag of the whole group: the sum over every partition it has a committed offset for.
    pub fn group_lag(&self, group: &str) -> Option<u64> {
        let g = self.group(group)?;
        Some(
            g.committed
                .iter()
                .filter_map(|(tp, c)| self.high_watermark(tp).map(|hw| hw.saturating_sub(*c)))
                .sum(),
        )
    }

    /// Records the group's applications processed, for one partition or all (duplicates count).
    pub fn group_consumed(&self, group: &str, tp: Option<&TopicPartition>) -> Option<u64> {
        let g = self.group(group)?;
        Some(match tp {
            Some(tp) => g.consumed.get(tp).copied().unwrap_or(0),
            None => g.consumed.values().sum(),
        })
    }

    /// The member id consumer `name` joins with: its name, or `NAME~N` once restarted.
    pub fn consumer_member_id(&self, name: &str) -> Option<&str> {
        self.consumers
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.member_id.as_str())
    }

    /// Records some member of the group processed again (at-least-once's duplicates).
    pub fn group_duplicates(&self, group: &str) -> Option<u64> {
        self.group(group).map(|g| g.duplicates)
    }

    /// Acknowledged records of the group's topics, still in their leader's log, that no member of
    /// the group has processed (the "nothing acknowledged was missed" check of the tests).
    pub fn group_unconsumed_acked(&self, group: &str) -> Option<u64> {
        let g = self.group(group)?;
        let mut missing = 0;
        for t in &g.topics {
            let Some(topic) = self.topics.get(t) else {
                continue;
            };
            for &slot in &topic.slots {
                let Some(b) = self.partitions[slot as usize].view_broker else {
                    continue;
                };
                let r = &self.broker(b).replicas[&slot];
                missing += r
                    .log
                    .entries()
                    .filter(|e| self.store.is_acked(e.id) && !g.has_consumed(e.id))
                    .count() as u64;
            }
        }
        Some(missing)
    }

    /// Every consumer's name (stopped and crashed ones included).
    pub fn consumer_names(&self) -> Vec<String> {
        self.consumers.iter().map(|c| c.name.clone()).collect()
    }
}

impl Cluster {
    /// What the UI and the event log show when the leader's assignment reaches the coordinator:
    /// every member's partitions, decoded as a describing tool decodes them.
    pub(crate) fn emit_group_assignment(&mut self, g: u32) {
        let group = &self.groups[g as usize];
        let event = Event::GroupAssignment {
            group: group.name.clone(),
            generation: group.generation,
            assignment: group
                .members
                .values()
                .map(|m| (m.id.clone(), described_assignment(group, m)))
                .collect(),
        };
        self.emit(event);
    }
}

impl Cluster {
    /// The group invariants ARCHITECTURE.md names: a stable group's assignment gives each partition to
    /// at most one member, and no two consumers of a group hold one partition in one generation.
    pub(crate) fn check_group_invariants(&self) {
        for (gi, group) in self.groups.iter().enumerate() {
            // A real client's leader assigns; the engine does not vouch for its assignment.
            if group.state == GroupState::Stable && !self.group_has_external_member(gi) {
                let mut seen = std::collections::BTreeSet::new();
                for m in group.members.values() {
                    for tp in described_assignment(group, m) {
                        assert!(
                            seen.insert(tp.clone()),
                            "{tp} assigned twice in stable group {}",
                            group.name
                        );
                    }
                }
            }
            if let Some(l) = &group.leader {
                assert!(
                    group.members.contains_key(l),
                    "the leader of {} is a member",
                    group.name
                );
            }
            let mut owners: BTreeMap<(i32, &TopicPartition), &str> = BTreeMap::new();
            for c in self.consumers.iter().filter(|c| c.group == gi as u32) {
                for tp in c.owned.keys() {
                    if let Some(other) = owners.insert((c.generation, tp), &c.name) {
                        panic!(
                            "{tp} owned by both {other} and {} in generation {} of {}",
                            c.name, c.generation, group.name
                        );
                    }
                }
            }
        }
    }
}
