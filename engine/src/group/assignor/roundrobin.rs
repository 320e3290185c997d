//! Port of `org.apache.kafka.clients.consumer.RoundRobinAssignor`.
//!
//! All partitions of all subscribed topics, topics in `TreeSet` (Java String) order and partitions
//! in numeric order, dealt one by one to the members in `MemberInfo` order (static members by
//! `group.instance.id` first, then member ids), cycling with a `CircularIterator` that skips
//! members not subscribed to the partition's topic. No Java hash order is involved.

use std::collections::BTreeSet;

use super::java::JavaString;
use super::{Assignment, GroupInput, member_info_cmp, tp};

pub(crate) fn assign(input: &GroupInput<'_>) -> Assignment {
    let mut assignment: Assignment = input
        .members
        .iter()
        .map(|(m, _)| (m.to_string(), Vec::new()))
        .collect();

    // CircularIterator<MemberInfo> assigner = new CircularIterator<>(Utils.sorted(memberInfoList));
    let mut sorted: Vec<(&str, Option<&str>)> = input
        .members
        .iter()
        .map(|(m, s)| (*m, s.group_instance_id.as_deref()))
        .collect();
    sorted.sort_by(|a, b| member_info_cmp(*a, *b));
    if sorted.is_empty() {
        return assignment;
    }

    // allPartitionsSorted: SortedSet<String> topics = new TreeSet<>() of every subscribed topic.
    let topics: BTreeSet<JavaString> = input
        .members
        .iter()
        .flat_map(|(_, s)| s.topics.iter().map(|t| JavaString(t.clone())))
        .collect();

    let mut cursor = 0usize;
    for JavaString(topic) in topics {
        let Some(&count) = input.partition_counts.get(&topic) else {
            continue;
        };
        for partition in 0..count {
            // while (!subscriptions.get(assigner.peek().memberId).topics().contains(topic))
            //     assigner.next();
            // Terminates: `topic` came from some member's subscription.
            while !input
                .subscription(sorted[cursor].0)
                .is_some_and(|s| s.topics.contains(&topic))
            {
                cursor = (cursor + 1) % sorted.len();
            }
            let member = sorted[cursor].0;
            cursor = (cursor + 1) % sorted.len();
            if let Some(list) = assignment.get_mut(member) {
                list.push(tp(&topic, partition));
            }
        }
    }
    assignment
}
