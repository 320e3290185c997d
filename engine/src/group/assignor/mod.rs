//! Kafka's four classic consumer partition assignors (`partition.assignment.strategy`), ported
//! from the Java client as pure functions:
//!
//! | [`AssignorKind`]    | Kafka class                                   | name                   |
//! |---------------------|-----------------------------------------------|------------------------|
//! | `Range`             | `o.a.k.clients.consumer.RangeAssignor`        | `range`                |
//! | `RoundRobin`        | `o.a.k.clients.consumer.RoundRobinAssignor`   | `roundrobin`           |
//! | `Sticky`            | `o.a.k.clients.consumer.StickyAssignor`       | `sticky`               |
//! | `CooperativeSticky` | `o.a.k.clients.consumer.CooperativeStickyAssignor` | `cooperative-sticky` |
//!
//! The ports follow the current Java sources (Kafka 3.5+/4.x: `AbstractPartitionAssignor`,
//! `RangeAssignor` with its `TopicAssignmentState`, `RoundRobinAssignor`, and
//! `AbstractStickyAssignor` with its `ConstrainedAssignmentBuilder`/`GeneralAssignmentBuilder`),
//! statement by statement, including their quirks. The result of each member is the `List` the
//! Java assignor returns, in the same order.
//!
//! **Racks are omitted.** This simulation has no consumer or broker racks, so every rack-aware
//! branch of the Java code (`RackInfo`, `assignWithRackMatching`, `assignRackAwareRoundRobin`,
//! `racksMismatch`, ...) is the no-rack case: Kafka only enables rack-aware assignment when
//! consumers report a `client.rack`.
//!
//! **Java collection order.** Where Kafka's result depends on the iteration order of a
//! `java.util.HashMap`/`HashSet` we reproduce that order exactly (see the private `java` module): the member
//! iteration order of the group-subscription map decides, in the sticky assignors, which member
//! keeps `maxQuota` partitions and how generation ties are broken; the topic order of
//! `partitionsPerTopic` decides the order of partitions in a range assignment; the first element of
//! a `HashSet<TopicPartition>` decides which partition the sticky general path moves. Kafka builds
//! the subscription map (`ConsumerCoordinator.onLeaderElected`) by `put`-ting the members in the
//! order of the JoinGroup response; [`assign`] inserts them in `BTreeMap` (member-id) order, and
//! [`assign_ordered`] lets a caller that models the JoinGroup order pass it. The two orders only
//! matter for members whose ids land in the same hash bucket.

pub mod cooperative_sticky;
pub(crate) mod java;
pub mod range;
pub mod roundrobin;
pub mod sticky;

use std::collections::BTreeMap;

use crate::command::TopicPartition;

use java::JavaHashMap;

/// One member's `ConsumerPartitionAssignor.Subscription`, as the group leader sees it.
///
/// `owned_partitions` and `generation` are what `AbstractStickyAssignor.memberData()` returns:
/// - for `cooperative-sticky`, `Subscription.ownedPartitions()` and `Subscription.generationId()`
///   (ConsumerProtocolSubscription v2+);
/// - for `sticky` (eager: `ownedPartitions` is always empty on the wire), the previous assignment
///   and generation the member serialised into its user data.
///
/// Kafka also reads `Subscription.generationId()` directly when two members claim the same
/// partition (`allSubscriptionsEqual`); we use the same `generation` for both, which is what a
/// current Java consumer sends (its user-data generation and its protocol generation are both the
/// generation of its last successful SyncGroup). `None` is Kafka's `Optional.empty()` (a member
/// with no generation; any negative generation on the wire is read as empty).
///
/// `range` and `roundrobin` read only `topics` and `group_instance_id` (static membership:
/// members with a `group.instance.id` sort before dynamic ones, by instance id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscription {
    /// Subscribed topics, in the order the member sent them.
    pub topics: Vec<String>,
    /// Previously owned partitions, in the order the member sent them.
    pub owned_partitions: Vec<TopicPartition>,
    /// Generation of the owned partitions.
    pub generation: Option<i32>,
    /// `group.instance.id` of a static member.
    pub group_instance_id: Option<String>,
}

impl Subscription {
    /// A member subscribed to `topics`, owning nothing, with no generation.
    pub fn new<I, S>(topics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Subscription {
            topics: topics.into_iter().map(Into::into).collect(),
            ..Subscription::default()
        }
    }

    /// The same subscription, reporting `owned` partitions from `generation`.
    pub fn owning(mut self, owned: Vec<TopicPartition>, generation: i32) -> Self {
        self.owned_partitions = owned;
        self.generation = (generation >= 0).then_some(generation);
        self
    }

    /// The same subscription, from a static member.
    pub fn with_group_instance_id(mut self, id: impl Into<String>) -> Self {
        self.group_instance_id = Some(id.into());
        self
    }
}

/// Member id -> the partitions assigned to it, in the order Kafka's assignor lists them. Every
/// subscribed member has an entry (possibly empty).
pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// Kafka's assignors throw `IllegalStateException` on inputs their invariants exclude (and the
/// general sticky path can hit a `NullPointerException` on some inconsistent inputs). A leader
/// whose assignor throws fails the rebalance; we return the error instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignError {
    /// The Java assignor would throw; the message is Kafka's where it has one.
    #[error("assignor failed: {0}")]
    IllegalState(String),
    /// `partition.assignment.strategy` names no assignor we know.
    #[error("unknown assignor {0:?}")]
    UnknownAssignor(String),
}

/// The four built-in assignors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssignorKind {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
}

impl AssignorKind {
    pub const ALL: [AssignorKind; 4] = [
        AssignorKind::Range,
        AssignorKind::RoundRobin,
        AssignorKind::Sticky,
        AssignorKind::CooperativeSticky,
    ];

    /// `ConsumerPartitionAssignor.name()`, the protocol name sent in JoinGroup.
    pub fn name(&self) -> &'static str {
        match self {
            AssignorKind::Range => "range",
            AssignorKind::RoundRobin => "roundrobin",
            AssignorKind::Sticky => "sticky",
            AssignorKind::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Whether `supportedProtocols()` includes `COOPERATIVE` (only `cooperative-sticky`; the
    /// others support `EAGER` only).
    pub fn supports_cooperative(&self) -> bool {
        matches!(self, AssignorKind::CooperativeSticky)
    }
}

impl std::fmt::Display for AssignorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for AssignorKind {
    type Err = AssignError;

    /// Accepts the protocol names; the Java class names (simple or fully qualified) are accepted
    /// too, as `partition.assignment.strategy` takes class names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let simple = s.rsplit('.').next().unwrap_or(s);
        match (s, simple) {
            ("range", _) | (_, "RangeAssignor") => Ok(AssignorKind::Range),
            ("roundrobin", _) | (_, "RoundRobinAssignor") => Ok(AssignorKind::RoundRobin),
            ("sticky", _) | (_, "StickyAssignor") => Ok(AssignorKind::Sticky),
            ("cooperative-sticky", _) | (_, "CooperativeStickyAssignor") => {
                Ok(AssignorKind::CooperativeSticky)
            }
            _ => Err(AssignError::UnknownAssignor(s.to_string())),
        }
    }
}

/// Runs assignor `kind` for a group whose members are `subscriptions` (member id ->
/// subscription), given the partition count of each topic in the cluster metadata.
///
/// Like `AbstractPartitionAssignor.assign(Cluster, GroupSubscription)`, only topics some member
/// subscribes to and whose metadata has at least one partition are assigned.
pub fn assign(
    kind: AssignorKind,
    partitions_per_topic: &BTreeMap<String, u32>,
    subscriptions: &BTreeMap<String, Subscription>,
) -> Result<Assignment, AssignError> {
    let members: Vec<(&str, &Subscription)> = subscriptions
        .iter()
        .map(|(id, s)| (id.as_str(), s))
        .collect();
    run(kind, partitions_per_topic, &members)
}

/// [`assign`], with the members in the order the leader received them in the JoinGroup
/// response (the order Kafka `put`s them into its `HashMap`). A repeated member id replaces the
/// earlier subscription, as `HashMap.put` would.
pub fn assign_ordered(
    kind: AssignorKind,
    partitions_per_topic: &BTreeMap<String, u32>,
    members: &[(String, Subscription)],
) -> Result<Assignment, AssignError> {
    let members: Vec<(&str, &Subscription)> =
        members.iter().map(|(id, s)| (id.as_str(), s)).collect();
    run(kind, partitions_per_topic, &members)
}

fn run(
    kind: AssignorKind,
    cluster: &BTreeMap<String, u32>,
    members: &[(&str, &Subscription)],
) -> Result<Assignment, AssignError> {
    let input = GroupInput::new(cluster, members);
    match kind {
        AssignorKind::Range => Ok(range::assign(&input)),
        AssignorKind::RoundRobin => Ok(roundrobin::assign(&input)),
        AssignorKind::Sticky => sticky::assign(&input),
        AssignorKind::CooperativeSticky => cooperative_sticky::assign(&input),
    }
}

/// What `AbstractPartitionAssignor.assign(Cluster, GroupSubscription)` hands to the concrete
/// assignor, with Java's iteration orders made explicit.
pub(crate) struct GroupInput<'a> {
    /// The subscription map (`HashMap<String, Subscription>`) in Java iteration order.
    pub(crate) members: Vec<(&'a str, &'a Subscription)>,
    /// `partitionsPerTopic` (`HashMap<String, List<PartitionInfo>>`) in Java iteration order:
    /// subscribed topics with at least one partition in the metadata.
    pub(crate) partitions_per_topic: Vec<(String, u32)>,
    /// The same, for lookups.
    pub(crate) partition_counts: BTreeMap<String, u32>,
    /// `subscriptions.get(memberId)`.
    by_member: BTreeMap<&'a str, &'a Subscription>,
}

impl<'a> GroupInput<'a> {
    pub(crate) fn new(
        cluster: &BTreeMap<String, u32>,
        members: &[(&'a str, &'a Subscription)],
    ) -> Self {
        // Map<String, Subscription> subscriptions = new HashMap<>(); put(memberId, subscription)
        let mut subscription_map: JavaHashMap<String, &'a Subscription> = JavaHashMap::new();
        let mut ids: BTreeMap<String, &'a str> = BTreeMap::new();
        for &(id, sub) in members {
            subscription_map.insert(id.to_string(), sub);
            ids.insert(id.to_string(), id);
        }
        let members: Vec<(&'a str, &'a Subscription)> = subscription_map
            .iter_java_order()
            .into_iter()
            .map(|(id, sub)| (ids[id.as_str()], *sub))
            .collect();

        // Set<String> allSubscribedTopics = new HashSet<>(); addAll(subscription.topics())
        let mut all_subscribed: JavaHashMap<String, ()> = JavaHashMap::new();
        for (_, sub) in &members {
            for topic in &sub.topics {
                all_subscribed.insert(topic.clone(), ());
            }
        }
        // partitionsPerTopic.put(topic, partitions) for topics with non-empty metadata
        let mut per_topic: JavaHashMap<String, u32> = JavaHashMap::new();
        for topic in all_subscribed.keys_java_order() {
            if let Some(&count) = cluster.get(topic)
                && count > 0
            {
                per_topic.insert(topic.clone(), count);
            }
        }
        let partitions_per_topic: Vec<(String, u32)> = per_topic
            .iter_java_order()
            .into_iter()
            .map(|(t, n)| (t.clone(), *n))
            .collect();
        let partition_counts = partitions_per_topic.iter().cloned().collect();
        let by_member = members.iter().copied().collect();
        GroupInput {
            members,
            partitions_per_topic,
            partition_counts,
            by_member,
        }
    }

    pub(crate) fn subscription(&self, member: &str) -> Option<&'a Subscription> {
        self.by_member.get(member).copied()
    }
}

/// `new TopicPartition(topic, partition)`.
pub(crate) fn tp(topic: &str, partition: u32) -> TopicPartition {
    TopicPartition {
        topic: topic.to_string(),
        partition,
    }
}

/// `List.remove(Object)`: removes the first occurrence, if any.
pub(crate) fn remove_first(list: &mut Vec<TopicPartition>, tp: &TopicPartition) -> bool {
    match list.iter().position(|x| x == tp) {
        Some(i) => {
            list.remove(i);
            true
        }
        None => false,
    }
}

/// `AbstractPartitionAssignor.MemberInfo.compareTo`: static members (with a group instance id)
/// first, ordered by instance id; then dynamic members by member id.
pub(crate) fn member_info_cmp(
    a: (&str, Option<&str>),
    b: (&str, Option<&str>),
) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.1, b.1) {
        (Some(x), Some(y)) => java::java_str_cmp(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => java::java_str_cmp(a.0, b.0),
    }
}
