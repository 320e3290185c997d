//! Port of `org.apache.kafka.clients.consumer.internals.AbstractStickyAssignor` (the 3.5+
//! implementation with `ConstrainedAssignmentBuilder` and `GeneralAssignmentBuilder`) and of
//! `org.apache.kafka.clients.consumer.StickyAssignor`, which is exactly the abstract algorithm
//! with member data taken from the user data (our [`Subscription::owned_partitions`] and
//! [`Subscription::generation`]).
//!
//! Structure, as in Java:
//! 1. `allSubscriptionsEqual` collects each member's valid owned partitions (still-existing
//!    topics; a partition claimed by two members of the *same* generation is taken from both and
//!    remembered in `partitionsWithMultiplePreviousOwners`; claimed in *different* generations it
//!    goes to the higher generation) and decides whether all members subscribe to the same topics.
//! 2. Equal subscriptions: the constrained path (quotas `floor/ceil(partitions / members)`, keep
//!    owned partitions up to quota, round-robin the rest to the sorted unfilled members), which also
//!    records `partitionsTransferringOwnership`.
//! 3. Otherwise the general path: keep valid owned partitions, give each unassigned partition to
//!    the least-loaded eligible member, then the balance loop (`performReassignments`) with its
//!    `PartitionMovements` bookkeeping, reverting if balance did not improve.
//!
//! Rack-aware branches are omitted (no racks in this simulation: they are all the no-rack case).
//!
//! Java-order notes (see `java.rs`):
//! - the member loop of `allSubscriptionsEqual` and `prepopulateCurrentAssignments`, and of the
//!   constrained `assignOwnedPartitions` (it decides which members may keep `maxQuota` partitions),
//!   runs in the subscription `HashMap`'s order, which we reproduce;
//! - `getTheActualPartitionToBeMoved` picks `iterator().next()` of a `HashSet<TopicPartition>`,
//!   which we reproduce;
//! - every other `HashMap`/`HashSet` Kafka iterates here is either sorted afterwards or iterated for
//!   an order-insensitive purpose (removals, sums, lookups), so plain `BTreeMap`s stand in.
//!
//! Knowing deviation: Kafka keeps `maxGeneration` in the assignor *instance* and never resets it,
//! so a leader remembers the highest generation it ever saw across rebalances. A pure function
//! cannot; we start from `DEFAULT_GENERATION` on every call, which differs only if the leader
//! previously saw a generation higher than any current member reports.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::java::{
    JavaHashMap, JavaString, java_str_cmp, tp_cmp_partition_then_topic, tp_cmp_topic_then_partition,
};
use super::{AssignError, Assignment, GroupInput, Subscription, remove_first, tp};
use crate::command::TopicPartition;

/// `AbstractStickyAssignor.DEFAULT_GENERATION`.
pub const DEFAULT_GENERATION: i32 = -1;

/// The sticky assignment together with the assignor state Kafka's own tests inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickyDetails {
    /// What `StickyAssignor.assign` returns (before the cooperative adjustment).
    pub assignment: Assignment,
    /// `AbstractStickyAssignor.partitionsTransferringOwnership`: partitions given to a new owner
    /// although another member (or several, in the same generation) claimed them. `Some` when the
    /// constrained path ran (all subscriptions equal), `None` after the general path (Kafka sets
    /// the field to `null` and the cooperative assignor recomputes it).
    pub partitions_transferring_ownership: Option<BTreeMap<TopicPartition, String>>,
    /// `AbstractStickyAssignor.maxGeneration()` after the call.
    pub max_generation: i32,
}

/// The `sticky` assignment of a group, with [`StickyDetails`]. Same inputs as
/// [`super::assign`].
pub fn assign_with_details(
    partitions_per_topic: &BTreeMap<String, u32>,
    subscriptions: &BTreeMap<String, Subscription>,
) -> Result<StickyDetails, AssignError> {
    let members: Vec<(&str, &Subscription)> = subscriptions
        .iter()
        .map(|(id, s)| (id.as_str(), s))
        .collect();
    run(&GroupInput::new(partitions_per_topic, &members))
}

pub(crate) fn assign(input: &GroupInput<'_>) -> Result<Assignment, AssignError> {
    run(input).map(|d| d.assignment)
}

/// `AbstractStickyAssignor.assignPartitions`.
pub(crate) fn run(input: &GroupInput<'_>) -> Result<StickyDetails, AssignError> {
    if input.members.is_empty() {
        // Unreachable in Kafka (the leader is a member); Java would divide by zero.
        return Ok(StickyDetails {
            assignment: Assignment::new(),
            partitions_transferring_ownership: Some(BTreeMap::new()),
            max_generation: DEFAULT_GENERATION,
        });
    }
    let mut owned = OwnedPartitions::default();
    let equal = all_subscriptions_equal(input, &mut owned);
    if equal {
        let (assignment, transferring) =
            ConstrainedAssignmentBuilder::new(input, &owned).build()?;
        Ok(StickyDetails {
            assignment,
            partitions_transferring_ownership: Some(transferring),
            max_generation: owned.max_generation,
        })
    } else {
        let assignment = GeneralAssignmentBuilder::new(input, &owned).build()?;
        Ok(StickyDetails {
            assignment,
            partitions_transferring_ownership: None,
            max_generation: owned.max_generation,
        })
    }
}

/// What `allSubscriptionsEqual` fills in.
#[derive(Default)]
struct OwnedPartitions {
    /// `consumerToOwnedPartitions`: every member -> its valid previously owned partitions.
    consumer_to_owned: BTreeMap<String, Vec<TopicPartition>>,
    /// `partitionsWithMultiplePreviousOwners`.
    multiple_previous_owners: BTreeSet<TopicPartition>,
    /// `maxGeneration`.
    max_generation: i32,
}

/// `memberData(subscription)`: for `StickyAssignor` the user data's partitions and generation, for
/// `CooperativeStickyAssignor` the subscription's owned partitions and generation; both are our
/// `owned_partitions`/`generation`.
fn member_data(sub: &Subscription) -> (&[TopicPartition], Option<i32>) {
    (&sub.owned_partitions, sub.generation)
}

/// `allSubscriptionsEqual(allTopics, subscriptions, consumerToOwnedPartitions,
/// partitionsWithMultiplePreviousOwners)`.
///
/// Faithful quirk: the reference topic set is the first *non-empty* subscription met, so a member
/// with an empty subscription met before it does not make the subscriptions unequal (Kafka then
/// hands it a share of the partitions in the constrained path).
fn all_subscriptions_equal(input: &GroupInput<'_>, out: &mut OwnedPartitions) -> bool {
    let mut is_all_subscriptions_equal = true;
    let mut subscribed_topics: BTreeSet<&str> = BTreeSet::new();
    let mut all_previous_partitions_to_owner: BTreeMap<TopicPartition, &str> = BTreeMap::new();
    out.max_generation = DEFAULT_GENERATION;

    for &(consumer, subscription) in &input.members {
        if subscribed_topics.is_empty() {
            subscribed_topics.extend(subscription.topics.iter().map(String::as_str));
        } else if is_all_subscriptions_equal
            && !(subscription.topics.len() == subscribed_topics.len()
                && subscription
                    .topics
                    .iter()
                    .all(|t| subscribed_topics.contains(t.as_str())))
        {
            is_all_subscriptions_equal = false;
        }

        let (partitions, generation) = member_data(subscription);
        let member_generation = generation.unwrap_or(DEFAULT_GENERATION);
        out.max_generation = out.max_generation.max(member_generation);

        out.consumer_to_owned
            .insert(consumer.to_string(), Vec::new());

        for tp in partitions {
            if !input.partition_counts.contains_key(&tp.topic) {
                continue;
            }
            match all_previous_partitions_to_owner.get(tp).copied() {
                None => {
                    // this partition is not owned by other consumer in the same generation
                    push_owned(out, consumer, tp);
                    all_previous_partitions_to_owner.insert(tp.clone(), consumer);
                }
                Some(other_consumer) => {
                    // Kafka reads the other member's Subscription.generationId() here.
                    let other_member_generation = input
                        .subscription(other_consumer)
                        .and_then(|s| s.generation)
                        .unwrap_or(DEFAULT_GENERATION);
                    if member_generation == other_member_generation {
                        // two members of the same generation own the same partition: revoke it
                        out.multiple_previous_owners.insert(tp.clone());
                        remove_owned(out, other_consumer, tp);
                        all_previous_partitions_to_owner.insert(tp.clone(), consumer);
                    } else if member_generation > other_member_generation {
                        // move the partition to the member with the newer generation
                        push_owned(out, consumer, tp);
                        remove_owned(out, other_consumer, tp);
                        all_previous_partitions_to_owner.insert(tp.clone(), consumer);
                    }
                    // else: let the other member continue to own the partition
                }
            }
        }
    }
    is_all_subscriptions_equal
}

fn push_owned(out: &mut OwnedPartitions, consumer: &str, tp: &TopicPartition) {
    if let Some(list) = out.consumer_to_owned.get_mut(consumer) {
        list.push(tp.clone());
    }
}

fn remove_owned(out: &mut OwnedPartitions, consumer: &str, tp: &TopicPartition) {
    if let Some(list) = out.consumer_to_owned.get_mut(consumer) {
        remove_first(list, tp);
    }
}

/// All partitions of `topics` (already in the wanted topic order), partitions ascending:
/// `AbstractAssignmentBuilder.getAllTopicPartitions`.
fn all_topic_partitions<'t>(
    topics: impl IntoIterator<Item = &'t String>,
    counts: &BTreeMap<String, u32>,
) -> Vec<TopicPartition> {
    let mut all = Vec::new();
    for topic in topics {
        for p in 0..counts.get(topic).copied().unwrap_or(0) {
            all.push(tp(topic, p));
        }
    }
    all
}

// ------------------------------------------------------------------------------------------------
// Constrained path
// ------------------------------------------------------------------------------------------------

/// `ConstrainedAssignmentBuilder`.
struct ConstrainedAssignmentBuilder<'i, 'a> {
    input: &'i GroupInput<'a>,
    current_assignment: &'i BTreeMap<String, Vec<TopicPartition>>,
    partitions_with_multiple_previous_owners: &'i BTreeSet<TopicPartition>,
    all_revoked_partitions: BTreeSet<TopicPartition>,
    unfilled_members_with_under_min_quota_partitions: Vec<String>,
    unfilled_members_with_exactly_min_quota_partitions: VecDeque<String>,
    min_quota: usize,
    max_quota: usize,
    expected_num_members_with_over_min_quota_partitions: usize,
    current_num_members_with_over_min_quota_partitions: usize,
    assignment: BTreeMap<String, Vec<TopicPartition>>,
    assigned_partitions: Vec<TopicPartition>,
    partitions_transferring_ownership: BTreeMap<TopicPartition, String>,
}

impl<'i, 'a> ConstrainedAssignmentBuilder<'i, 'a> {
    fn new(input: &'i GroupInput<'a>, owned: &'i OwnedPartitions) -> Self {
        let total: usize = input
            .partitions_per_topic
            .iter()
            .map(|(_, n)| *n as usize)
            .sum();
        let n = owned.consumer_to_owned.len();
        ConstrainedAssignmentBuilder {
            input,
            current_assignment: &owned.consumer_to_owned,
            partitions_with_multiple_previous_owners: &owned.multiple_previous_owners,
            all_revoked_partitions: BTreeSet::new(),
            unfilled_members_with_under_min_quota_partitions: Vec::new(),
            unfilled_members_with_exactly_min_quota_partitions: VecDeque::new(),
            min_quota: total / n,
            max_quota: total.div_ceil(n),
            expected_num_members_with_over_min_quota_partitions: total % n,
            current_num_members_with_over_min_quota_partitions: 0,
            assignment: owned
                .consumer_to_owned
                .keys()
                .map(|c| (c.clone(), Vec::new()))
                .collect(),
            assigned_partitions: Vec::new(),
            partitions_transferring_ownership: BTreeMap::new(),
        }
    }

    fn build(mut self) -> Result<(Assignment, BTreeMap<TopicPartition, String>), AssignError> {
        self.assign_owned_partitions();
        let unassigned = self.unassigned_partitions();

        self.unfilled_members_with_under_min_quota_partitions
            .sort_by(|a, b| java_str_cmp(a, b));
        self.unfilled_members_with_exactly_min_quota_partitions
            .make_contiguous()
            .sort_by(|a, b| java_str_cmp(a, b));
        // rackInfo.sortPartitionsByRackConsumers and assignRackAwareRoundRobin: no-ops without racks.
        self.assign_round_robin(&unassigned)?;
        self.verify_unfilled_members()?;
        Ok((self.assignment, self.partitions_transferring_ownership))
    }

    /// Reassign previously owned partitions, up to the expected number of partitions per consumer.
    /// Iterates `currentAssignment`, a `HashMap` filled in subscription-map order, hence in the
    /// subscription map's Java order.
    fn assign_owned_partitions(&mut self) {
        for &(consumer, _) in &self.input.members {
            let mut owned_partitions = self.current_assignment[consumer].clone();
            // .filter(!racksMismatch) is always true; Stream.sorted is stable.
            owned_partitions.sort_by(tp_cmp_partition_then_topic);
            for doubly_claimed in self.partitions_with_multiple_previous_owners {
                remove_first(&mut owned_partitions, doubly_claimed);
            }
            let consumer_assignment = self.assignment.get_mut(consumer).expect("every member");

            if owned_partitions.len() < self.min_quota {
                // keep all the owned partitions, and put this member into the unfilled member list
                consumer_assignment.extend(owned_partitions.iter().cloned());
                self.assigned_partitions.extend(owned_partitions);
                self.unfilled_members_with_under_min_quota_partitions
                    .push(consumer.to_string());
            } else if owned_partitions.len() >= self.max_quota
                && self.current_num_members_with_over_min_quota_partitions
                    < self.expected_num_members_with_over_min_quota_partitions
            {
                // keep maxQuota of the owned partitions and revoke the rest
                self.current_num_members_with_over_min_quota_partitions += 1;
                if self.current_num_members_with_over_min_quota_partitions
                    == self.expected_num_members_with_over_min_quota_partitions
                {
                    self.unfilled_members_with_exactly_min_quota_partitions
                        .clear();
                }
                let kept = &owned_partitions[..self.max_quota];
                consumer_assignment.extend(kept.iter().cloned());
                self.assigned_partitions.extend(kept.iter().cloned());
                self.all_revoked_partitions
                    .extend(owned_partitions[self.max_quota..].iter().cloned());
            } else {
                // keep minQuota of the owned partitions and revoke the rest
                let kept = &owned_partitions[..self.min_quota];
                consumer_assignment.extend(kept.iter().cloned());
                self.assigned_partitions.extend(kept.iter().cloned());
                self.all_revoked_partitions
                    .extend(owned_partitions[self.min_quota..].iter().cloned());
                // potential maxQuota candidate while we are still under the expected number of
                // members with more than minQuota partitions
                if self.current_num_members_with_over_min_quota_partitions
                    < self.expected_num_members_with_over_min_quota_partitions
                {
                    self.unfilled_members_with_exactly_min_quota_partitions
                        .push_back(consumer.to_string());
                }
            }
        }
    }

    /// `getUnassignedPartitions(assignedPartitions)`: all partitions, topics sorted, minus the
    /// assigned ones, by the same two-pointer walk as Kafka (which assumes every assigned
    /// partition exists; an owned partition number beyond the topic's current count derails it
    /// in Kafka too).
    fn unassigned_partitions(&mut self) -> Vec<TopicPartition> {
        let mut sorted_all_topics: Vec<&String> = self
            .input
            .partitions_per_topic
            .iter()
            .map(|(t, _)| t)
            .collect();
        sorted_all_topics.sort_by(|a, b| java_str_cmp(a, b));

        if self.assigned_partitions.is_empty() {
            return all_topic_partitions(sorted_all_topics, &self.input.partition_counts);
        }
        self.assigned_partitions
            .sort_by(tp_cmp_topic_then_partition);

        let mut unassigned = Vec::new();
        let mut should_add_directly = false;
        let mut iter = self.assigned_partitions.iter();
        let mut next_assigned = iter.next().expect("non-empty");
        for topic in sorted_all_topics {
            let count = self.input.partition_counts[topic];
            for i in 0..count {
                if should_add_directly
                    || !(next_assigned.topic == *topic && next_assigned.partition == i)
                {
                    unassigned.push(tp(topic, i));
                } else if let Some(next) = iter.next() {
                    next_assigned = next;
                } else {
                    should_add_directly = true;
                }
            }
        }
        unassigned
    }

    /// `assignRoundRobin`: round-robin filling of the remaining members up to the expected
    /// numbers of maxQuota, otherwise to minQuota.
    fn assign_round_robin(&mut self, unassigned: &[TopicPartition]) -> Result<(), AssignError> {
        // A java.util.Iterator over unfilledMembersWithUnderMinQuotaPartitions.
        let mut cursor = 0usize;
        let mut last_returned: Option<usize> = None;

        for unassigned_partition in unassigned {
            let consumer: String;
            if cursor < self.unfilled_members_with_under_min_quota_partitions.len() {
                consumer = self.unfilled_members_with_under_min_quota_partitions[cursor].clone();
                last_returned = Some(cursor);
                cursor += 1;
            } else if self
                .unfilled_members_with_under_min_quota_partitions
                .is_empty()
                && self
                    .unfilled_members_with_exactly_min_quota_partitions
                    .is_empty()
            {
                return Err(AssignError::IllegalState(
                    "No more unfilled consumers to be assigned.".to_string(),
                ));
            } else if self
                .unfilled_members_with_under_min_quota_partitions
                .is_empty()
            {
                consumer = self
                    .unfilled_members_with_exactly_min_quota_partitions
                    .pop_front()
                    .expect("checked non-empty");
            } else {
                // unfilledConsumerIter = unfilledMembersWithUnderMinQuotaPartitions.iterator();
                consumer = self.unfilled_members_with_under_min_quota_partitions[0].clone();
                last_returned = Some(0);
                cursor = 1;
            }

            let current_assigned_count = self.assign_new_partition(unassigned_partition, &consumer);

            if current_assigned_count == self.min_quota {
                // unfilledConsumerIter.remove()
                match last_returned.take() {
                    Some(i) => {
                        self.unfilled_members_with_under_min_quota_partitions
                            .remove(i);
                        cursor = i;
                    }
                    None => {
                        return Err(AssignError::IllegalState(
                            "Iterator.remove() without a current element".to_string(),
                        ));
                    }
                }
                self.unfilled_members_with_exactly_min_quota_partitions
                    .push_back(consumer);
            } else if current_assigned_count == self.max_quota {
                self.current_num_members_with_over_min_quota_partitions += 1;
                // (Kafka logs an error if partitions remain once the expected number of members
                // reached maxQuota, and carries on.)
            }
        }
        Ok(())
    }

    fn assign_new_partition(&mut self, partition: &TopicPartition, consumer: &str) -> usize {
        let consumer_assignment = self.assignment.get_mut(consumer).expect("every member");
        consumer_assignment.push(partition.clone());
        // Newly assigned to this consumer, or claimed by multiple previous owners and
        // invalidated from all of them.
        if self.all_revoked_partitions.contains(partition)
            || self
                .partitions_with_multiple_previous_owners
                .contains(partition)
        {
            self.partitions_transferring_ownership
                .insert(partition.clone(), consumer.to_string());
        }
        consumer_assignment.len()
    }

    fn verify_unfilled_members(&self) -> Result<(), AssignError> {
        if self
            .unfilled_members_with_under_min_quota_partitions
            .is_empty()
        {
            return Ok(());
        }
        if self.current_num_members_with_over_min_quota_partitions
            != self.expected_num_members_with_over_min_quota_partitions
        {
            return Err(AssignError::IllegalState(
                "We haven't reached the expected number of members with more than the minQuota \
                 partitions, but no more partitions to be assigned"
                    .to_string(),
            ));
        }
        for unfilled_member in &self.unfilled_members_with_under_min_quota_partitions {
            if self.assignment[unfilled_member].len() != self.min_quota {
                return Err(AssignError::IllegalState(format!(
                    "Consumer: [{unfilled_member}] doesn't reach minQuota partitions, and no more \
                     partitions to be assigned"
                )));
            }
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------------
// General path
// ------------------------------------------------------------------------------------------------

/// `ConsumerGenerationPair`.
#[derive(Debug, Clone)]
struct ConsumerGenerationPair {
    consumer: String,
    generation: i32,
}

/// `GeneralAssignmentBuilder`.
struct GeneralAssignmentBuilder<'i, 'a> {
    input: &'i GroupInput<'a>,
    max_generation: i32,
    total_partitions_count: usize,
    /// `topic2AllPotentialConsumers` (keys: the topics of `partitionsPerTopic`).
    topic2_all_potential_consumers: BTreeMap<String, Vec<String>>,
    /// `consumer2AllPotentialTopics`.
    consumer2_all_potential_topics: BTreeMap<String, Vec<String>>,
    /// `currentAssignment` (starts as `consumerToOwnedPartitions`). Only ever iterated for
    /// order-insensitive purposes, so a BTreeMap stands in for Kafka's HashMap.
    current_assignment: BTreeMap<String, Vec<TopicPartition>>,
    /// `currentPartitionConsumer`.
    current_partition_consumer: BTreeMap<TopicPartition, String>,
    sorted_all_partitions: Vec<TopicPartition>,
    /// `sortedCurrentSubscriptions`: a TreeSet ordered by (assignment size, member id). Java only
    /// mutates a member's assignment while it is out of the set, so keys stay exact.
    sorted_current_subscriptions: BTreeSet<(usize, JavaString)>,
    revocation_required: bool,
    partition_movements: PartitionMovements,
}

impl<'i, 'a> GeneralAssignmentBuilder<'i, 'a> {
    fn new(input: &'i GroupInput<'a>, owned: &OwnedPartitions) -> Self {
        let total_partitions_count = input
            .partitions_per_topic
            .iter()
            .map(|(_, n)| *n as usize)
            .sum();
        let mut topic2_all_potential_consumers: BTreeMap<String, Vec<String>> = input
            .partitions_per_topic
            .iter()
            .map(|(t, _)| (t.clone(), Vec::new()))
            .collect();
        let mut consumer2_all_potential_topics = BTreeMap::new();
        let mut current_assignment = owned.consumer_to_owned.clone();
        for &(consumer_id, subscription) in &input.members {
            let mut subscribed_topics = Vec::new();
            for topic in &subscription.topics {
                if let Some(consumers) = topic2_all_potential_consumers.get_mut(topic) {
                    subscribed_topics.push(topic.clone());
                    consumers.push(consumer_id.to_string());
                }
            }
            consumer2_all_potential_topics.insert(consumer_id.to_string(), subscribed_topics);
            current_assignment
                .entry(consumer_id.to_string())
                .or_default();
        }

        let mut current_partition_consumer = BTreeMap::new();
        for (consumer, partitions) in &current_assignment {
            for partition in partitions {
                current_partition_consumer.insert(partition.clone(), consumer.clone());
            }
        }

        // sortedAllTopics: by number of potential consumers, then name (TopicComparator).
        let mut sorted_all_topics: Vec<&String> = topic2_all_potential_consumers.keys().collect();
        sorted_all_topics.sort_by(|a, b| {
            topic2_all_potential_consumers[*a]
                .len()
                .cmp(&topic2_all_potential_consumers[*b].len())
                .then_with(|| java_str_cmp(a, b))
        });
        let sorted_all_partitions =
            all_topic_partitions(sorted_all_topics, &input.partition_counts);

        GeneralAssignmentBuilder {
            input,
            max_generation: owned.max_generation,
            total_partitions_count,
            topic2_all_potential_consumers,
            consumer2_all_potential_topics,
            current_assignment,
            current_partition_consumer,
            sorted_all_partitions,
            sorted_current_subscriptions: BTreeSet::new(),
            revocation_required: false,
            partition_movements: PartitionMovements::default(),
        }
    }

    fn build(mut self) -> Result<Assignment, AssignError> {
        let mut prev_assignment = BTreeMap::new();
        self.prepopulate_current_assignments(&mut prev_assignment);

        let assigned_partitions = self.assign_owned_partitions();
        let unassigned_partitions = self.unassigned_partitions(assigned_partitions);

        let consumers: Vec<String> = self.current_assignment.keys().cloned().collect();
        for consumer in &consumers {
            self.add_sorted(consumer);
        }

        self.balance(&prev_assignment, unassigned_partitions)?;
        Ok(self.current_assignment)
    }

    fn sorted_key(&self, consumer: &str) -> (usize, JavaString) {
        let size = self.current_assignment.get(consumer).map_or(0, Vec::len);
        (size, JavaString(consumer.to_string()))
    }

    fn add_sorted(&mut self, consumer: &str) {
        let key = self.sorted_key(consumer);
        self.sorted_current_subscriptions.insert(key);
    }

    fn remove_sorted(&mut self, consumer: &str) {
        let key = self.sorted_key(consumer);
        self.sorted_current_subscriptions.remove(&key);
    }

    fn assignment_size(&self, consumer: &str) -> Result<usize, AssignError> {
        self.current_assignment
            .get(consumer)
            .map(Vec::len)
            .ok_or_else(|| npe(&format!("currentAssignment.get({consumer})")))
    }

    /// `assignOwnedPartitions`: drop owned partitions of topics a member no longer subscribes to;
    /// return the partitions kept.
    fn assign_owned_partitions(&mut self) -> Vec<TopicPartition> {
        let mut assigned_partitions = Vec::new();
        for &(consumer, subscription) in &self.input.members {
            let Some(partitions) = self.current_assignment.get_mut(consumer) else {
                continue;
            };
            let mut kept = Vec::with_capacity(partitions.len());
            for partition in partitions.drain(..) {
                if !self
                    .topic2_all_potential_consumers
                    .contains_key(&partition.topic)
                {
                    // the topic no longer exists
                    self.current_partition_consumer.remove(&partition);
                } else if !subscription.topics.contains(&partition.topic) {
                    // no longer subscribed to its topic (currentPartitionConsumer is left as is)
                    self.revocation_required = true;
                } else {
                    assigned_partitions.push(partition.clone());
                    kept.push(partition);
                }
            }
            *partitions = kept;
        }
        assigned_partitions
    }

    /// `getUnassignedPartitions`: `sortedAllPartitions` minus the assigned ones (two-pointer walk
    /// over the assigned partitions sorted with `PartitionComparator`).
    fn unassigned_partitions(
        &self,
        mut sorted_assigned_partitions: Vec<TopicPartition>,
    ) -> Vec<TopicPartition> {
        if sorted_assigned_partitions.is_empty() {
            return self.sorted_all_partitions.clone();
        }
        let consumers = &self.topic2_all_potential_consumers;
        sorted_assigned_partitions.sort_by(|a, b| {
            consumers[&a.topic]
                .len()
                .cmp(&consumers[&b.topic].len())
                .then_with(|| tp_cmp_topic_then_partition(a, b))
        });
        let mut unassigned = Vec::new();
        let mut should_add_directly = false;
        let mut iter = sorted_assigned_partitions.iter();
        let mut next_assigned = iter.next().expect("non-empty");
        for topic_partition in &self.sorted_all_partitions {
            if should_add_directly || next_assigned != topic_partition {
                unassigned.push(topic_partition.clone());
            } else if let Some(next) = iter.next() {
                next_assigned = next;
            } else {
                should_add_directly = true;
            }
        }
        unassigned
    }

    /// `prepopulateCurrentAssignments`: the assignment of the partitions in the generations below
    /// the highest one (a higher generation overrides a lower one; on a tie the first member in
    /// the subscription map's Java order wins).
    fn prepopulate_current_assignments(
        &self,
        prev_assignment: &mut BTreeMap<TopicPartition, ConsumerGenerationPair>,
    ) {
        for &(consumer, subscription) in &self.input.members {
            let (partitions, generation) = member_data(subscription);
            match generation {
                Some(generation) if generation < self.max_generation => {
                    update_prev_assignment(prev_assignment, partitions, consumer, generation);
                }
                None if self.max_generation > DEFAULT_GENERATION => {
                    update_prev_assignment(
                        prev_assignment,
                        partitions,
                        consumer,
                        DEFAULT_GENERATION,
                    );
                }
                _ => {}
            }
        }
    }

    /// `getMaxAssignmentSize`.
    fn max_assignment_size(&self, all_subscribed_topics: &[String]) -> usize {
        if all_subscribed_topics.len() == self.input.partitions_per_topic.len() {
            self.total_partitions_count
        } else {
            all_subscribed_topics
                .iter()
                .map(|t| self.input.partition_counts.get(t).copied().unwrap_or(0) as usize)
                .sum()
        }
    }

    /// `isBalanced`.
    fn is_balanced(&self) -> Result<bool, AssignError> {
        let (Some(first), Some(last)) = (
            self.sorted_current_subscriptions.first(),
            self.sorted_current_subscriptions.last(),
        ) else {
            return Err(AssignError::IllegalState(
                "sortedCurrentSubscriptions is empty (NoSuchElementException)".to_string(),
            ));
        };
        let min = self.assignment_size(&first.1.0)?;
        let max = self.assignment_size(&last.1.0)?;
        if min + 1 >= max {
            return Ok(true);
        }

        // a mapping from partitions to the consumer assigned to them
        let mut all_partitions: BTreeMap<&TopicPartition, &str> = BTreeMap::new();
        for (consumer, partitions) in &self.current_assignment {
            for partition in partitions {
                all_partitions.insert(partition, consumer);
            }
        }

        // for each consumer that does not have all the topic partitions it can get, make sure
        // none of the partitions it could but did not get can be moved to it
        for (_, JavaString(consumer)) in &self.sorted_current_subscriptions {
            let consumer_partitions = &self.current_assignment[consumer];
            let consumer_partition_count = consumer_partitions.len();
            let all_subscribed_topics = &self.consumer2_all_potential_topics[consumer];
            if consumer_partition_count == self.max_assignment_size(all_subscribed_topics) {
                continue;
            }
            for topic in all_subscribed_topics {
                let partition_count = self.input.partition_counts[topic];
                for i in 0..partition_count {
                    let topic_partition = tp(topic, i);
                    if !consumer_partitions.contains(&topic_partition) {
                        let other_consumer = all_partitions
                            .get(&topic_partition)
                            .ok_or_else(|| npe(&format!("allPartitions.get({topic_partition})")))?;
                        let other_count = self.assignment_size(other_consumer)?;
                        if consumer_partition_count + 1 < other_count {
                            return Ok(false);
                        }
                    }
                }
            }
        }
        Ok(true)
    }

    /// `maybeAssignPartition` without rack matching: give the partition to the least loaded member
    /// (by size, then id) subscribed to its topic.
    fn maybe_assign_partition(&mut self, partition: &TopicPartition) -> bool {
        let chosen = self
            .sorted_current_subscriptions
            .iter()
            .map(|(_, JavaString(c))| c)
            .find(|c| self.consumer2_all_potential_topics[*c].contains(&partition.topic))
            .cloned();
        let Some(consumer) = chosen else {
            return false;
        };
        self.remove_sorted(&consumer);
        self.current_assignment
            .get_mut(&consumer)
            .expect("member")
            .push(partition.clone());
        self.current_partition_consumer
            .insert(partition.clone(), consumer.clone());
        self.add_sorted(&consumer);
        true
    }

    fn can_topic_participate_in_reassignment(&self, topic: &str) -> bool {
        // if a topic has two or more potential consumers it is subject to reassignment.
        self.topic2_all_potential_consumers
            .get(topic)
            .is_some_and(|c| c.len() >= 2)
    }

    fn can_consumer_participate_in_reassignment(&self, consumer: &str) -> bool {
        let current_partitions = &self.current_assignment[consumer];
        let max_assignment_size =
            self.max_assignment_size(&self.consumer2_all_potential_topics[consumer]);
        // (Kafka logs an error if currentAssignmentSize > maxAssignmentSize.)
        if current_partitions.len() < max_assignment_size {
            return true;
        }
        current_partitions
            .iter()
            .any(|p| self.can_topic_participate_in_reassignment(&p.topic))
    }

    /// `balance`.
    fn balance(
        &mut self,
        prev_assignment: &BTreeMap<TopicPartition, ConsumerGenerationPair>,
        mut unassigned_partitions: Vec<TopicPartition>,
    ) -> Result<(), AssignError> {
        let last = self
            .sorted_current_subscriptions
            .last()
            .map(|(_, JavaString(c))| c.clone())
            .ok_or_else(|| npe("sortedCurrentSubscriptions.last()"))?;
        let initializing = self.current_assignment[&last].is_empty();

        // maybeAssign(unassignedPartitions, null, false): the rack-matching pass is skipped.
        for partition in &unassigned_partitions {
            // skip if there is no potential consumer for the topic
            if self.topic2_all_potential_consumers[&partition.topic].is_empty() {
                continue;
            }
            self.maybe_assign_partition(partition);
        }

        // narrow down the reassignment scope to only those partitions that can be reassigned
        let fixed_topics: BTreeSet<String> = self
            .topic2_all_potential_consumers
            .keys()
            .filter(|t| !self.can_topic_participate_in_reassignment(t))
            .cloned()
            .collect();
        self.sorted_all_partitions
            .retain(|p| !fixed_topics.contains(&p.topic));
        unassigned_partitions.retain(|p| !fixed_topics.contains(&p.topic));

        // narrow down the reassignment scope to only those consumers subject to reassignment
        let mut fixed_assignments: Vec<(String, Vec<TopicPartition>)> = Vec::new();
        let consumers: Vec<String> = self
            .consumer2_all_potential_topics
            .keys()
            .cloned()
            .collect();
        for consumer in consumers {
            if !self.can_consumer_participate_in_reassignment(&consumer) {
                self.remove_sorted(&consumer);
                let partitions = self
                    .current_assignment
                    .remove(&consumer)
                    .unwrap_or_default();
                fixed_assignments.push((consumer, partitions));
            }
        }

        // a copy of the current assignment to revert to if balance does not improve
        let pre_balance_assignment = self.current_assignment.clone();
        let pre_balance_partition_consumers = self.current_partition_consumer.clone();

        // if we don't already need to revoke something due to subscription changes, first try to
        // balance by only moving newly added partitions
        if !self.revocation_required {
            self.perform_reassignments(&unassigned_partitions, prev_assignment)?;
        }
        let reassignable = self.sorted_all_partitions.clone();
        let reassignment_performed = self.perform_reassignments(&reassignable, prev_assignment)?;

        // if we are not preserving existing assignments and we have made changes to the current
        // assignment make sure we are getting a more balanced assignment; otherwise, revert
        if !initializing
            && reassignment_performed
            && balance_score(&self.current_assignment) >= balance_score(&pre_balance_assignment)
        {
            self.current_assignment = pre_balance_assignment;
            self.current_partition_consumer = pre_balance_partition_consumers;
        }

        // add the fixed assignments (those that could not change) back
        for (consumer, partitions) in fixed_assignments {
            self.current_assignment.insert(consumer.clone(), partitions);
            self.add_sorted(&consumer);
        }
        Ok(())
    }

    /// `performReassignments`.
    fn perform_reassignments(
        &mut self,
        reassignable_partitions: &[TopicPartition],
        prev_assignment: &BTreeMap<TopicPartition, ConsumerGenerationPair>,
    ) -> Result<bool, AssignError> {
        let mut reassignment_performed = false;
        loop {
            let mut modified = false;
            // reassign all reassignable partitions until the full list is processed or a balance
            // is achieved
            for partition in reassignable_partitions {
                if self.is_balanced()? {
                    break;
                }
                // (Kafka logs an error if the topic has fewer than two potential consumers.)
                let consumer = self
                    .current_partition_consumer
                    .get(partition)
                    .cloned()
                    .ok_or_else(|| npe(&format!("currentPartitionConsumer.get({partition})")))?;

                if let Some(prev) = prev_assignment.get(partition)
                    && self.assignment_size(&consumer)? > self.assignment_size(&prev.consumer)? + 1
                {
                    self.reassign_partition_to(partition, &prev.consumer)?;
                    reassignment_performed = true;
                    modified = true;
                    continue;
                }

                // check if a better-suited consumer exists for the partition; if so, reassign it
                // (the rack-matching variant of this loop is skipped: no racks)
                let consumer_size = self.assignment_size(&consumer)?;
                let others = self.topic2_all_potential_consumers[&partition.topic].clone();
                for other_consumer in &others {
                    if consumer_size > self.assignment_size(other_consumer)? + 1 {
                        self.reassign_partition(partition)?;
                        reassignment_performed = true;
                        modified = true;
                        break;
                    }
                }
            }
            if !modified {
                return Ok(reassignment_performed);
            }
        }
    }

    /// `reassignPartition(partition)`: to the least loaded member subscribed to its topic.
    fn reassign_partition(&mut self, partition: &TopicPartition) -> Result<(), AssignError> {
        let new_consumer = self
            .sorted_current_subscriptions
            .iter()
            .map(|(_, JavaString(c))| c)
            .find(|c| self.consumer2_all_potential_topics[*c].contains(&partition.topic))
            .cloned()
            .ok_or_else(|| npe("reassignPartition: newConsumer"))?;
        self.reassign_partition_to(partition, &new_consumer)
    }

    /// `reassignPartition(partition, newConsumer)`.
    fn reassign_partition_to(
        &mut self,
        partition: &TopicPartition,
        new_consumer: &str,
    ) -> Result<(), AssignError> {
        let consumer = self
            .current_partition_consumer
            .get(partition)
            .cloned()
            .ok_or_else(|| npe(&format!("currentPartitionConsumer.get({partition})")))?;
        // find the correct partition movement considering the stickiness requirement
        let partition_to_be_moved = self.partition_movements.the_actual_partition_to_be_moved(
            partition,
            &consumer,
            new_consumer,
        );
        self.process_partition_movement(&partition_to_be_moved, new_consumer)
    }

    /// `processPartitionMovement`.
    fn process_partition_movement(
        &mut self,
        partition: &TopicPartition,
        new_consumer: &str,
    ) -> Result<(), AssignError> {
        let old_consumer = self
            .current_partition_consumer
            .get(partition)
            .cloned()
            .ok_or_else(|| npe(&format!("currentPartitionConsumer.get({partition})")))?;
        if !self.current_assignment.contains_key(&old_consumer)
            || !self.current_assignment.contains_key(new_consumer)
        {
            return Err(npe(
                "processPartitionMovement: currentAssignment.get(consumer)",
            ));
        }

        self.remove_sorted(&old_consumer);
        self.remove_sorted(new_consumer);

        self.partition_movements
            .move_partition(partition, &old_consumer, new_consumer);

        if let Some(list) = self.current_assignment.get_mut(&old_consumer) {
            remove_first(list, partition);
        }
        if let Some(list) = self.current_assignment.get_mut(new_consumer) {
            list.push(partition.clone());
        }
        self.current_partition_consumer
            .insert(partition.clone(), new_consumer.to_string());
        self.add_sorted(new_consumer);
        self.add_sorted(&old_consumer);
        Ok(())
    }
}

/// `updatePrevAssignment`: only keep the latest previous assignment of each partition.
fn update_prev_assignment(
    prev_assignment: &mut BTreeMap<TopicPartition, ConsumerGenerationPair>,
    partitions: &[TopicPartition],
    consumer: &str,
    generation: i32,
) {
    for partition in partitions {
        let replace = prev_assignment
            .get(partition)
            .is_none_or(|existing| generation > existing.generation);
        if replace {
            prev_assignment.insert(
                partition.clone(),
                ConsumerGenerationPair {
                    consumer: consumer.to_string(),
                    generation,
                },
            );
        }
    }
}

/// `getBalanceScore`: the sum, over all pairs of members, of the difference of their sizes.
fn balance_score(assignment: &BTreeMap<String, Vec<TopicPartition>>) -> usize {
    let sizes: Vec<usize> = assignment.values().map(Vec::len).collect();
    let mut score = 0;
    for (i, a) in sizes.iter().enumerate() {
        for b in &sizes[i + 1..] {
            score += a.abs_diff(*b);
        }
    }
    score
}

/// Where Java would throw a `NullPointerException` (inputs Kafka's invariants exclude).
fn npe(what: &str) -> AssignError {
    AssignError::IllegalState(format!("NullPointerException in sticky assignor: {what}"))
}

// ------------------------------------------------------------------------------------------------
// PartitionMovements
// ------------------------------------------------------------------------------------------------

/// `(srcMemberId, dstMemberId)`.
type ConsumerPair = (String, String);

/// `PartitionMovements`: the partitions moved during this rebalance, per topic and member pair,
/// so that a later movement can undo an earlier one instead of creating a cycle.
#[derive(Default)]
struct PartitionMovements {
    partition_movements_by_topic:
        BTreeMap<String, BTreeMap<ConsumerPair, JavaHashMap<TopicPartition, ()>>>,
    partition_movements: BTreeMap<TopicPartition, ConsumerPair>,
}

impl PartitionMovements {
    fn remove_movement_record_of_partition(&mut self, partition: &TopicPartition) -> ConsumerPair {
        let pair = self
            .partition_movements
            .remove(partition)
            .expect("a recorded movement");
        if let Some(for_topic) = self.partition_movements_by_topic.get_mut(&partition.topic) {
            if let Some(set) = for_topic.get_mut(&pair) {
                set.remove(partition);
                if set.is_empty() {
                    for_topic.remove(&pair);
                }
            }
            if for_topic.is_empty() {
                self.partition_movements_by_topic.remove(&partition.topic);
            }
        }
        pair
    }

    fn add_partition_movement_record(&mut self, partition: &TopicPartition, pair: ConsumerPair) {
        self.partition_movements
            .insert(partition.clone(), pair.clone());
        self.partition_movements_by_topic
            .entry(partition.topic.clone())
            .or_default()
            .entry(pair)
            .or_default()
            .insert(partition.clone(), ());
    }

    fn move_partition(
        &mut self,
        partition: &TopicPartition,
        old_consumer: &str,
        new_consumer: &str,
    ) {
        if self.partition_movements.contains_key(partition) {
            // this partition has previously moved
            let existing_pair = self.remove_movement_record_of_partition(partition);
            debug_assert_eq!(existing_pair.1, old_consumer);
            if existing_pair.0 != new_consumer {
                // the partition is not moving back to its previous consumer
                self.add_partition_movement_record(
                    partition,
                    (existing_pair.0, new_consumer.to_string()),
                );
            }
        } else {
            self.add_partition_movement_record(
                partition,
                (old_consumer.to_string(), new_consumer.to_string()),
            );
        }
    }

    /// `getTheActualPartitionToBeMoved`: if some partition of the same topic already moved from
    /// `new_consumer` to (the original owner of) `partition`, move that one back instead. Takes
    /// `iterator().next()` of Kafka's `HashSet<TopicPartition>`, reproduced.
    fn the_actual_partition_to_be_moved(
        &self,
        partition: &TopicPartition,
        old_consumer: &str,
        new_consumer: &str,
    ) -> TopicPartition {
        let Some(for_topic) = self.partition_movements_by_topic.get(&partition.topic) else {
            return partition.clone();
        };
        let old_consumer = match self.partition_movements.get(partition) {
            // this partition has previously moved
            Some((src, _dst)) => src.as_str(),
            None => old_consumer,
        };
        let reverse_pair = (new_consumer.to_string(), old_consumer.to_string());
        match for_topic
            .get(&reverse_pair)
            .and_then(JavaHashMap::first_java_order)
        {
            Some(p) => p.clone(),
            None => partition.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tps(list: &[(&str, u32)]) -> Vec<TopicPartition> {
        list.iter().map(|(t, p)| tp(t, *p)).collect()
    }

    #[test]
    fn balance_score_sums_pairwise_differences() {
        let mut a = BTreeMap::new();
        a.insert("a".to_string(), tps(&[("t", 0), ("t", 1), ("t", 2)]));
        a.insert("b".to_string(), tps(&[("t", 3)]));
        a.insert("c".to_string(), Vec::new());
        assert_eq!(balance_score(&a), 2 + 3 + 1);
    }

    #[test]
    fn partition_movements_undo_reverse_moves() {
        let mut m = PartitionMovements::default();
        let p0 = tp("t", 0);
        let p1 = tp("t", 1);
        m.move_partition(&p0, "a", "b");
        // moving p1 from b to a: the earlier a->b move of p0 is reversed instead
        assert_eq!(m.the_actual_partition_to_be_moved(&p1, "b", "a"), p0);
        m.move_partition(&p0, "b", "a");
        assert!(m.partition_movements.is_empty());
        assert!(m.partition_movements_by_topic.is_empty());
        // a partition that moved a->b then b->c is recorded as a->c
        m.move_partition(&p0, "a", "b");
        m.move_partition(&p0, "b", "c");
        assert_eq!(
            m.partition_movements.get(&p0),
            Some(&("a".to_string(), "c".to_string()))
        );
    }
}
