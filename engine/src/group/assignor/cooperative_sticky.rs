//! Port of `org.apache.kafka.clients.consumer.CooperativeStickyAssignor.assignPartitions`:
//! the sticky assignment (`AbstractStickyAssignor`, see `sticky.rs`) followed by
//! `adjustAssignment`, which withholds every partition that is changing owner. Under the
//! cooperative protocol a partition may only be handed to its new owner after the previous owner
//! has revoked it, so the new owner gets it in the follow-up rebalance that the revocation
//! triggers.
//!
//! The partitions transferring ownership are the ones the constrained path recorded, or, after
//! the general path (which records none), `computePartitionsTransferringOwnership`: assigned to a
//! member that did not report owning them *and* reported as owned (raw `ownedPartitions`, no
//! generation filtering) by a member that is not assigned them.
//!
//! Member data: `Subscription.ownedPartitions()` and `Subscription.generationId()`
//! (ConsumerProtocolSubscription v2+), which are our `owned_partitions` and `generation`.

use std::collections::{BTreeMap, BTreeSet};

use super::{AssignError, Assignment, GroupInput, remove_first, sticky};
use crate::command::TopicPartition;

pub(crate) fn assign(input: &GroupInput<'_>) -> Result<Assignment, AssignError> {
    let details = sticky::run(input)?;
    let mut assignments = details.assignment;
    let partitions_transferring_ownership = match details.partitions_transferring_ownership {
        Some(recorded) => recorded,
        None => compute_partitions_transferring_ownership(input, &assignments),
    };
    adjust_assignment(&mut assignments, &partitions_transferring_ownership);
    Ok(assignments)
}

/// `adjustAssignment`: remove the partitions that must first be revoked.
fn adjust_assignment(
    assignments: &mut Assignment,
    partitions_transferring_ownership: &BTreeMap<TopicPartition, String>,
) {
    for (partition, consumer) in partitions_transferring_ownership {
        if let Some(list) = assignments.get_mut(consumer) {
            remove_first(list, partition);
        }
    }
}

/// `computePartitionsTransferringOwnership`.
fn compute_partitions_transferring_ownership(
    input: &GroupInput<'_>,
    assignments: &Assignment,
) -> BTreeMap<TopicPartition, String> {
    let mut all_added_partitions: BTreeMap<TopicPartition, String> = BTreeMap::new();
    let mut all_revoked_partitions: BTreeSet<TopicPartition> = BTreeSet::new();

    for (consumer, assigned_partitions) in assignments {
        let owned_partitions: &[TopicPartition] = input
            .subscription(consumer)
            .map_or(&[], |s| s.owned_partitions.as_slice());

        let owned_set: BTreeSet<&TopicPartition> = owned_partitions.iter().collect();
        for tp in assigned_partitions {
            if !owned_set.contains(tp) {
                all_added_partitions.insert(tp.clone(), consumer.clone());
            }
        }

        let assigned_set: BTreeSet<&TopicPartition> = assigned_partitions.iter().collect();
        for tp in owned_partitions {
            if !assigned_set.contains(tp) {
                all_revoked_partitions.insert(tp.clone());
            }
        }
    }

    all_added_partitions.retain(|tp, _| all_revoked_partitions.contains(tp));
    all_added_partitions
}
