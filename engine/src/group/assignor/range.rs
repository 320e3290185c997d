//! Port of `org.apache.kafka.clients.consumer.RangeAssignor` (the 3.5+ implementation built on
//! `TopicAssignmentState`), without its rack-aware pass.
//!
//! Per topic: the partitions in numeric order, the subscribed members sorted by
//! `MemberInfo.compareTo` (static members by `group.instance.id` first, then member ids as Java
//! Strings); `n / members` partitions each, the first `n % members` members one more.
//!
//! Java-order note: topics are processed in the iteration order of Kafka's `partitionsPerTopic`
//! `HashMap`, which only decides the *order* of a member's list (each topic is independent); we
//! reproduce it (see `GroupInput`).

use std::collections::BTreeMap;

use super::{Assignment, GroupInput, member_info_cmp, tp};
use crate::command::TopicPartition;

pub(crate) fn assign(input: &GroupInput<'_>) -> Assignment {
    // consumersPerTopic: topic -> [MemberInfo], in subscription-map order.
    let mut consumers_per_topic: BTreeMap<&str, Vec<(&str, Option<&str>)>> = BTreeMap::new();
    for &(member, sub) in &input.members {
        for topic in &sub.topics {
            consumers_per_topic
                .entry(topic.as_str())
                .or_default()
                .push((member, sub.group_instance_id.as_deref()));
        }
    }

    let mut assignment: Assignment = input
        .members
        .iter()
        .map(|(m, _)| (m.to_string(), Vec::new()))
        .collect();

    // topicAssignmentStates, in partitionsPerTopic order; then assignRanges(t, (c, tp) -> true).
    for (topic, count) in &input.partitions_per_topic {
        let mut members = consumers_per_topic
            .get(topic.as_str())
            .cloned()
            .unwrap_or_default();
        // Collections.sort(members) -- a stable sort.
        members.sort_by(|a, b| member_info_cmp(*a, *b));
        // Collectors.toMap(..., (a, b) -> a, LinkedHashMap::new): first occurrence wins.
        let mut consumers: Vec<&str> = Vec::new();
        for (m, _) in members {
            if !consumers.contains(&m) {
                consumers.push(m);
            }
        }
        let mut state = TopicAssignmentState::new(topic, *count, &consumers);
        for consumer in &consumers {
            if state.unassigned.is_empty() {
                break;
            }
            let take = state.max_assignable(consumer);
            let assignable: Vec<TopicPartition> =
                state.unassigned.iter().take(take).cloned().collect();
            if assignable.is_empty() {
                continue;
            }
            if let Some(list) = assignment.get_mut(*consumer) {
                list.extend(assignable.iter().cloned());
            }
            state.on_assigned(consumer, &assignable);
        }
    }
    assignment
}

struct TopicAssignmentState {
    unassigned: Vec<TopicPartition>,
    num_assigned: BTreeMap<String, usize>,
    num_partitions_per_consumer: usize,
    remaining_consumers_with_extra_partition: usize,
}

impl TopicAssignmentState {
    fn new(topic: &str, count: u32, consumers: &[&str]) -> Self {
        let n = count as usize;
        let (per, extra) = if consumers.is_empty() {
            (0, 0)
        } else {
            (n / consumers.len(), n % consumers.len())
        };
        TopicAssignmentState {
            unassigned: (0..count).map(|p| tp(topic, p)).collect(),
            num_assigned: consumers.iter().map(|c| (c.to_string(), 0)).collect(),
            num_partitions_per_consumer: per,
            remaining_consumers_with_extra_partition: extra,
        }
    }

    fn max_assignable(&self, consumer: &str) -> usize {
        let max = self.num_partitions_per_consumer
            + usize::from(self.remaining_consumers_with_extra_partition > 0);
        max.saturating_sub(self.num_assigned[consumer])
    }

    fn on_assigned(&mut self, consumer: &str, partitions: &[TopicPartition]) {
        let n = self.num_assigned.entry(consumer.to_string()).or_default();
        *n += partitions.len();
        if *n > self.num_partitions_per_consumer {
            // Java decrements an int; it is only ever compared with `> 0`.
            self.remaining_consumers_with_extra_partition = self
                .remaining_consumers_with_extra_partition
                .saturating_sub(1);
        }
        self.unassigned.retain(|p| !partitions.contains(p));
    }
}
