//! Kafka's consumer partition assignors: the worked examples of their Javadoc, cases ported from
//! Kafka's own unit tests (`RangeAssignorTest`, `RoundRobinAssignorTest`,
//! `AbstractStickyAssignorTest`, `StickyAssignorTest`, `CooperativeStickyAssignorTest`) with their
//! exact expected assignments, and property tests over random groups.

use std::collections::{BTreeMap, BTreeSet};

use engine::command::TopicPartition;
use engine::group::assignor::{
    AssignError, Assignment, AssignorKind, Subscription, assign, assign_ordered, sticky,
};
use proptest::prelude::*;

// ------------------------------------------------------------------------------------------------
// helpers
// ------------------------------------------------------------------------------------------------

fn tp(topic: &str, partition: u32) -> TopicPartition {
    TopicPartition {
        topic: topic.to_string(),
        partition,
    }
}

/// `"t0p1"`-style or `"topic1-0"`-style names are noisy; partitions are written `("t0", 1)`.
fn tps(list: &[(&str, u32)]) -> Vec<TopicPartition> {
    list.iter().map(|(t, p)| tp(t, *p)).collect()
}

fn cluster(topics: &[(&str, u32)]) -> BTreeMap<String, u32> {
    topics.iter().map(|(t, n)| (t.to_string(), *n)).collect()
}

fn sub(topics: &[&str]) -> Subscription {
    Subscription::new(topics.iter().copied())
}

/// Kafka tests' `buildSubscriptionV2Above(topics, partitions, generation)`.
fn owning(topics: &[&str], owned: &[(&str, u32)], generation: i32) -> Subscription {
    sub(topics).owning(tps(owned), generation)
}

fn group(members: Vec<(&str, Subscription)>) -> BTreeMap<String, Subscription> {
    members
        .into_iter()
        .map(|(m, s)| (m.to_string(), s))
        .collect()
}

fn run(
    kind: AssignorKind,
    cluster: &BTreeMap<String, u32>,
    subs: &BTreeMap<String, Subscription>,
) -> Assignment {
    assign(kind, cluster, subs).expect("assignment")
}

fn as_set(list: &[TopicPartition]) -> BTreeSet<TopicPartition> {
    list.iter().cloned().collect()
}

fn sizes(a: &Assignment) -> Vec<usize> {
    a.values().map(Vec::len).collect()
}

fn is_fully_balanced(a: &Assignment) -> bool {
    let s = sizes(a);
    match (s.iter().min(), s.iter().max()) {
        (Some(min), Some(max)) => max - min <= 1,
        _ => true,
    }
}

/// Every member's subscription, after a rebalance: it now owns what it was assigned, in
/// `generation`.
fn resubscribe(
    subs: &BTreeMap<String, Subscription>,
    a: &Assignment,
    generation: i32,
) -> BTreeMap<String, Subscription> {
    subs.iter()
        .map(|(m, s)| {
            let owned = a.get(m).cloned().unwrap_or_default();
            (m.clone(), s.clone().owning(owned, generation))
        })
        .collect()
}

/// Port of `AbstractStickyAssignorTest.verifyValidityAndBalance`: each member is subscribed to
/// the topics of its partitions, no partition is assigned twice, and two members whose sizes
/// differ by more than one share no topic among their assigned partitions.
fn verify_validity_and_balance(subs: &BTreeMap<String, Subscription>, a: &Assignment) {
    assert_eq!(
        subs.keys().collect::<Vec<_>>(),
        a.keys().collect::<Vec<_>>(),
        "every member has an entry"
    );
    let consumers: Vec<&String> = a.keys().collect();
    for (i, consumer) in consumers.iter().enumerate() {
        let partitions = &a[*consumer];
        for p in partitions {
            assert!(
                subs[*consumer].topics.contains(&p.topic),
                "{p} assigned to {consumer}, which is not subscribed to it: {a:?}"
            );
        }
        for other in &consumers[i + 1..] {
            let other_partitions = &a[*other];
            let common: BTreeSet<_> = as_set(partitions)
                .intersection(&as_set(other_partitions))
                .cloned()
                .collect();
            assert!(common.is_empty(), "{consumer} and {other} share {common:?}");
            if partitions.len().abs_diff(other_partitions.len()) <= 1 {
                continue;
            }
            let topics: BTreeSet<&String> = partitions.iter().map(|p| &p.topic).collect();
            let other_topics: BTreeSet<&String> =
                other_partitions.iter().map(|p| &p.topic).collect();
            assert!(
                topics.is_disjoint(&other_topics),
                "partitions could move between {consumer} and {other} for balance: {a:?}"
            );
        }
    }
}

/// Port of `CooperativeStickyAssignorTest.verifyValidityAndBalance`: no partition may be added
/// to a member in the same rebalance in which another member revokes it; while partitions are
/// being revoked, run the follow-up rebalance (at most 4), then check the final assignment.
/// Returns the final assignment and subscriptions.
fn verify_cooperative(
    cluster: &BTreeMap<String, u32>,
    mut subs: BTreeMap<String, Subscription>,
    mut a: Assignment,
    generation: i32,
) -> (Assignment, BTreeMap<String, Subscription>) {
    let mut rebalances = 0;
    while verify_cooperative_validity(&subs, &a) {
        subs = resubscribe(&subs, &a, generation);
        a = run(AssignorKind::CooperativeSticky, cluster, &subs);
        rebalances += 1;
        assert!(rebalances <= 4, "too many follow-up rebalances");
    }
    verify_validity_and_balance(&subs, &a);
    (a, subs)
}

/// Returns true if partitions are being revoked (a follow-up rebalance would be triggered).
fn verify_cooperative_validity(subs: &BTreeMap<String, Subscription>, a: &Assignment) -> bool {
    let mut added = BTreeSet::new();
    let mut revoked = BTreeSet::new();
    for (m, assigned) in a {
        let owned = as_set(&subs[m].owned_partitions);
        let assigned = as_set(assigned);
        revoked.extend(owned.difference(&assigned).cloned());
        added.extend(assigned.difference(&owned).cloned());
    }
    let both: BTreeSet<_> = added.intersection(&revoked).collect();
    assert!(
        both.is_empty(),
        "assigned to a new owner in the same rebalance they are revoked: {both:?}"
    );
    !revoked.is_empty()
}

fn transferring(list: &[((&str, u32), &str)]) -> Option<BTreeMap<TopicPartition, String>> {
    Some(
        list.iter()
            .map(|((t, p), c)| (tp(t, *p), c.to_string()))
            .collect(),
    )
}

const STICKIES: [AssignorKind; 2] = [AssignorKind::Sticky, AssignorKind::CooperativeSticky];

// ------------------------------------------------------------------------------------------------
// AssignorKind
// ------------------------------------------------------------------------------------------------

#[test]
fn assignor_names_and_protocols() {
    for kind in AssignorKind::ALL {
        assert_eq!(kind.name().parse::<AssignorKind>(), Ok(kind));
        assert_eq!(kind.to_string(), kind.name());
    }
    assert_eq!(
        "org.apache.kafka.clients.consumer.CooperativeStickyAssignor".parse(),
        Ok(AssignorKind::CooperativeSticky)
    );
    assert_eq!("RangeAssignor".parse(), Ok(AssignorKind::Range));
    assert!(matches!(
        "fair".parse::<AssignorKind>(),
        Err(AssignError::UnknownAssignor(_))
    ));
    let cooperative: Vec<_> = AssignorKind::ALL
        .into_iter()
        .filter(AssignorKind::supports_cooperative)
        .collect();
    assert_eq!(cooperative, vec![AssignorKind::CooperativeSticky]);
}

// ------------------------------------------------------------------------------------------------
// Javadoc examples
// ------------------------------------------------------------------------------------------------

/// RangeAssignor: C0, C1; t0, t1 with 3 partitions each.
#[test]
fn javadoc_range_example() {
    let c = cluster(&[("t0", 3), ("t1", 3)]);
    let subs = group(vec![("C0", sub(&["t0", "t1"])), ("C1", sub(&["t0", "t1"]))]);
    let a = run(AssignorKind::Range, &c, &subs);
    assert_eq!(a["C0"], tps(&[("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)]));
    assert_eq!(a["C1"], tps(&[("t0", 2), ("t1", 2)]));
}

/// RangeAssignor, static membership: after a rolling bounce C0 -> C3 and C1 -> C2 the assignment is
/// shuffled; with group.instance.ids I0, I1 it stays put.
#[test]
fn javadoc_range_static_membership_example() {
    let c = cluster(&[("t0", 3), ("t1", 3)]);
    let both = ["t0", "t1"];
    let bounced = group(vec![("C3", sub(&both)), ("C2", sub(&both))]);
    let a = run(AssignorKind::Range, &c, &bounced);
    assert_eq!(a["C3"], tps(&[("t0", 2), ("t1", 2)]));
    assert_eq!(a["C2"], tps(&[("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)]));

    for (m0, m1) in [("C0", "C1"), ("C3", "C2")] {
        let subs = group(vec![
            (m0, sub(&both).with_group_instance_id("I0")),
            (m1, sub(&both).with_group_instance_id("I1")),
        ]);
        let a = run(AssignorKind::Range, &c, &subs);
        assert_eq!(a[m0], tps(&[("t0", 0), ("t0", 1), ("t1", 0), ("t1", 1)]));
        assert_eq!(a[m1], tps(&[("t0", 2), ("t1", 2)]));
    }
}

/// RoundRobinAssignor: C0, C1; t0, t1 with 3 partitions each.
#[test]
fn javadoc_roundrobin_example() {
    let c = cluster(&[("t0", 3), ("t1", 3)]);
    let subs = group(vec![("C0", sub(&["t0", "t1"])), ("C1", sub(&["t0", "t1"]))]);
    let a = run(AssignorKind::RoundRobin, &c, &subs);
    assert_eq!(a["C0"], tps(&[("t0", 0), ("t0", 2), ("t1", 1)]));
    assert_eq!(a["C1"], tps(&[("t0", 1), ("t1", 0), ("t1", 2)]));
}

/// RoundRobinAssignor with different subscriptions: C0 -> t0; C1 -> t0, t1; C2 -> t0, t1, t2;
/// t0, t1, t2 with 1, 2, 3 partitions.
#[test]
fn javadoc_roundrobin_different_subscriptions_example() {
    let c = cluster(&[("t0", 1), ("t1", 2), ("t2", 3)]);
    let subs = group(vec![
        ("C0", sub(&["t0"])),
        ("C1", sub(&["t0", "t1"])),
        ("C2", sub(&["t0", "t1", "t2"])),
    ]);
    let a = run(AssignorKind::RoundRobin, &c, &subs);
    assert_eq!(a["C0"], tps(&[("t0", 0)]));
    assert_eq!(a["C1"], tps(&[("t1", 0)]));
    assert_eq!(a["C2"], tps(&[("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)]));
}

/// RoundRobinAssignor, static membership: C0, C1, C2 -> after a bounce C5 (was C0), C3 (was C1),
/// C4 (was C2) the assignment is shuffled; with instance ids I0, I1, I2 it is stable.
#[test]
fn javadoc_roundrobin_static_membership_example() {
    let c = cluster(&[("t0", 3), ("t1", 3)]);
    let both = ["t0", "t1"];
    let subs = group(vec![
        ("C0", sub(&both)),
        ("C1", sub(&both)),
        ("C2", sub(&both)),
    ]);
    let a = run(AssignorKind::RoundRobin, &c, &subs);
    assert_eq!(a["C0"], tps(&[("t0", 0), ("t1", 0)]));
    assert_eq!(a["C1"], tps(&[("t0", 1), ("t1", 1)]));
    assert_eq!(a["C2"], tps(&[("t0", 2), ("t1", 2)]));

    let bounced = group(vec![
        ("C5", sub(&both)),
        ("C3", sub(&both)),
        ("C4", sub(&both)),
    ]);
    let a = run(AssignorKind::RoundRobin, &c, &bounced);
    assert_eq!(a["C3"], tps(&[("t0", 0), ("t1", 0)])); // was C1: [t0p1, t1p1]
    assert_eq!(a["C4"], tps(&[("t0", 1), ("t1", 1)])); // was C2: [t0p2, t1p2]
    assert_eq!(a["C5"], tps(&[("t0", 2), ("t1", 2)])); // was C0: [t0p0, t1p0]

    for ids in [["C0", "C1", "C2"], ["C5", "C3", "C4"]] {
        let subs = group(vec![
            (ids[0], sub(&both).with_group_instance_id("I0")),
            (ids[1], sub(&both).with_group_instance_id("I1")),
            (ids[2], sub(&both).with_group_instance_id("I2")),
        ]);
        let a = run(AssignorKind::RoundRobin, &c, &subs);
        assert_eq!(a[ids[0]], tps(&[("t0", 0), ("t1", 0)]));
        assert_eq!(a[ids[1]], tps(&[("t0", 1), ("t1", 1)]));
        assert_eq!(a[ids[2]], tps(&[("t0", 2), ("t1", 2)]));
    }
}

/// StickyAssignor example 1: C0, C1, C2 subscribed to t0..t3 with 2 partitions each; then C1 is
/// removed.
///
/// The Javadoc's initial assignment is reproduced exactly, as is the round robin result after the
/// removal. For the sticky result after the removal the Javadoc gives
/// `C0 [t0p0, t1p1, t3p0, t2p0]`, `C2 [t1p0, t2p1, t0p1, t3p1]`: the output of the original
/// (KIP-54) sticky algorithm the example was written for. Current Kafka sends identical
/// subscriptions through the constrained algorithm (`ConstrainedAssignmentBuilder`), which keeps
/// the Javadoc's promise (all previous assignments preserved, balanced) but deals C1's orphans
/// round-robin in topic/partition order to the sorted unfilled members: C0 gets t0p1, C2 gets t2p0
/// and t3p1. We check the promise and the exact current result (which the Java code produces
/// too).
#[test]
fn javadoc_sticky_example_1() {
    let c = cluster(&[("t0", 2), ("t1", 2), ("t2", 2), ("t3", 2)]);
    let all = ["t0", "t1", "t2", "t3"];
    let subs = group(vec![
        ("C0", sub(&all)),
        ("C1", sub(&all)),
        ("C2", sub(&all)),
    ]);

    for kind in [
        AssignorKind::RoundRobin,
        AssignorKind::Sticky,
        AssignorKind::CooperativeSticky,
    ] {
        let a = run(kind, &c, &subs);
        assert_eq!(a["C0"], tps(&[("t0", 0), ("t1", 1), ("t3", 0)]), "{kind}");
        assert_eq!(a["C1"], tps(&[("t0", 1), ("t2", 0), ("t3", 1)]), "{kind}");
        assert_eq!(a["C2"], tps(&[("t1", 0), ("t2", 1)]), "{kind}");
    }

    // C1 is removed.
    let first = run(AssignorKind::Sticky, &c, &subs);
    let mut after = resubscribe(&subs, &first, 1);
    after.remove("C1");

    let rr = run(AssignorKind::RoundRobin, &c, &after);
    assert_eq!(rr["C0"], tps(&[("t0", 0), ("t1", 0), ("t2", 0), ("t3", 0)]));
    assert_eq!(rr["C2"], tps(&[("t0", 1), ("t1", 1), ("t2", 1), ("t3", 1)]));

    let sticky = run(AssignorKind::Sticky, &c, &after);
    for m in ["C0", "C2"] {
        assert!(
            as_set(&sticky[m]).is_superset(&as_set(&first[m])),
            "{m} kept all"
        );
        assert_eq!(sticky[m].len(), 4);
    }
    assert_eq!(
        sticky["C0"],
        tps(&[("t0", 0), ("t3", 0), ("t1", 1), ("t0", 1)])
    );
    assert_eq!(
        sticky["C2"],
        tps(&[("t1", 0), ("t2", 1), ("t2", 0), ("t3", 1)])
    );

    // The cooperative assignor gives the same: C1 is gone, so nothing is being revoked.
    let cooperative = run(AssignorKind::CooperativeSticky, &c, &after);
    assert_eq!(cooperative, sticky);
}

/// StickyAssignor example 2: C0 -> t0; C1 -> t0, t1; C2 -> t0, t1, t2 (1, 2, 3 partitions); then
/// C0 is removed.
#[test]
fn javadoc_sticky_example_2() {
    let c = cluster(&[("t0", 1), ("t1", 2), ("t2", 3)]);
    let subs = group(vec![
        ("C0", sub(&["t0"])),
        ("C1", sub(&["t0", "t1"])),
        ("C2", sub(&["t0", "t1", "t2"])),
    ]);

    let rr = run(AssignorKind::RoundRobin, &c, &subs);
    assert_eq!(rr["C0"], tps(&[("t0", 0)]));
    assert_eq!(rr["C1"], tps(&[("t1", 0)]));
    assert_eq!(rr["C2"], tps(&[("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)]));

    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        assert_eq!(a["C0"], tps(&[("t0", 0)]), "{kind}");
        assert_eq!(a["C1"], tps(&[("t1", 0), ("t1", 1)]), "{kind}");
        assert_eq!(a["C2"], tps(&[("t2", 0), ("t2", 1), ("t2", 2)]), "{kind}");
    }

    // C0 is removed. Round robin (preserves 3 partition assignments):
    let mut rr_after = resubscribe(&subs, &rr, 1);
    rr_after.remove("C0");
    let rr2 = run(AssignorKind::RoundRobin, &c, &rr_after);
    assert_eq!(rr2["C1"], tps(&[("t0", 0), ("t1", 1)]));
    assert_eq!(
        rr2["C2"],
        tps(&[("t1", 0), ("t2", 0), ("t2", 1), ("t2", 2)])
    );

    // Sticky (preserves 5 partition assignments):
    let first = run(AssignorKind::Sticky, &c, &subs);
    let mut after = resubscribe(&subs, &first, 1);
    after.remove("C0");
    for kind in STICKIES {
        let a = run(kind, &c, &after);
        assert_eq!(a["C1"], tps(&[("t1", 0), ("t1", 1), ("t0", 0)]), "{kind}");
        assert_eq!(a["C2"], tps(&[("t2", 0), ("t2", 1), ("t2", 2)]), "{kind}");
    }
}

/// CooperativeStickyAssignor's Javadoc has no worked example; its contract (sticky, but a
/// partition changing owner is withheld until the follow-up rebalance) on the example-1 group
/// when a fourth member joins.
#[test]
fn cooperative_sticky_withholds_transferring_partitions() {
    let c = cluster(&[("t0", 2), ("t1", 2), ("t2", 2), ("t3", 2)]);
    let all = ["t0", "t1", "t2", "t3"];
    let subs = group(vec![
        ("C0", sub(&all)),
        ("C1", sub(&all)),
        ("C2", sub(&all)),
    ]);
    let first = run(AssignorKind::CooperativeSticky, &c, &subs);
    let mut joined = resubscribe(&subs, &first, 1);
    joined.insert("C3".to_string(), sub(&all));

    // Eager sticky: C0 and C1 each give up their third partition to C3 at once.
    let eager = run(AssignorKind::Sticky, &c, &joined);
    assert_eq!(eager["C3"].len(), 2);
    // Cooperative: C3 gets nothing in the first round; C0 and C1 revoke.
    let round1 = run(AssignorKind::CooperativeSticky, &c, &joined);
    assert!(round1["C3"].is_empty());
    assert_eq!(round1["C0"].len(), 2);
    assert_eq!(round1["C1"].len(), 2);
    assert_eq!(round1["C2"].len(), 2);
    // Follow-up rebalance: C3 gets the revoked partitions, which are exactly eager's.
    let (round2, _) = verify_cooperative(&c, joined, round1, 2);
    assert_eq!(as_set(&round2["C3"]), as_set(&eager["C3"]));
    assert!(sizes(&round2).iter().all(|&n| n == 2));
}

// ------------------------------------------------------------------------------------------------
// RangeAssignorTest
// ------------------------------------------------------------------------------------------------

#[test]
fn range_one_consumer_no_topic_and_nonexistent_topic() {
    for topics in [&[][..], &["topic1"][..]] {
        let a = run(
            AssignorKind::Range,
            &cluster(&[]),
            &group(vec![("consumer1", sub(topics))]),
        );
        assert_eq!(a.keys().collect::<Vec<_>>(), vec!["consumer1"]);
        assert!(a["consumer1"].is_empty());
    }
}

#[test]
fn range_one_consumer_one_topic_and_only_subscribed_topics() {
    let a = run(
        AssignorKind::Range,
        &cluster(&[("topic1", 3), ("other", 3)]),
        &group(vec![("consumer1", sub(&["topic1"]))]),
    );
    assert_eq!(
        a["consumer1"],
        tps(&[("topic1", 0), ("topic1", 1), ("topic1", 2)])
    );
}

#[test]
fn range_one_consumer_multiple_topics() {
    let a = run(
        AssignorKind::Range,
        &cluster(&[("topic1", 1), ("topic2", 2)]),
        &group(vec![("consumer1", sub(&["topic1", "topic2"]))]),
    );
    assert_eq!(
        a["consumer1"],
        tps(&[("topic1", 0), ("topic2", 0), ("topic2", 1)])
    );
}

#[test]
fn range_two_consumers_one_topic() {
    let two = group(vec![
        ("consumer1", sub(&["topic1"])),
        ("consumer2", sub(&["topic1"])),
    ]);
    let a = run(AssignorKind::Range, &cluster(&[("topic1", 1)]), &two);
    assert_eq!(a["consumer1"], tps(&[("topic1", 0)]));
    assert!(a["consumer2"].is_empty());
    let a = run(AssignorKind::Range, &cluster(&[("topic1", 2)]), &two);
    assert_eq!(a["consumer1"], tps(&[("topic1", 0)]));
    assert_eq!(a["consumer2"], tps(&[("topic1", 1)]));
}

#[test]
fn range_multiple_consumers_mixed_topics() {
    let a = run(
        AssignorKind::Range,
        &cluster(&[("topic1", 3), ("topic2", 2)]),
        &group(vec![
            ("consumer1", sub(&["topic1"])),
            ("consumer2", sub(&["topic1", "topic2"])),
            ("consumer3", sub(&["topic1"])),
        ]),
    );
    assert_eq!(a["consumer1"], tps(&[("topic1", 0)]));
    assert_eq!(
        a["consumer2"],
        tps(&[("topic1", 1), ("topic2", 0), ("topic2", 1)])
    );
    assert_eq!(a["consumer3"], tps(&[("topic1", 2)]));
}

#[test]
fn range_static_consumers() {
    let c = cluster(&[("topic1", 3), ("topic2", 3)]);
    let both = ["topic1", "topic2"];
    // testTwoStaticConsumersTwoTopicsSixPartitions: the comparison is on instance ids.
    let a = run(
        AssignorKind::Range,
        &c,
        &group(vec![
            ("consumer-b", sub(&both).with_group_instance_id("instance1")),
            ("consumer-a", sub(&both).with_group_instance_id("instance2")),
        ]),
    );
    let low = tps(&[("topic1", 0), ("topic1", 1), ("topic2", 0), ("topic2", 1)]);
    let high = tps(&[("topic1", 2), ("topic2", 2)]);
    assert_eq!(a["consumer-b"], low);
    assert_eq!(a["consumer-a"], high);
    // testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions: static sorts first.
    let a = run(
        AssignorKind::Range,
        &c,
        &group(vec![
            ("consumer-b", sub(&both).with_group_instance_id("instance1")),
            ("consumer-a", sub(&both)),
        ]),
    );
    assert_eq!(a["consumer-b"], low);
    assert_eq!(a["consumer-a"], high);
}

#[test]
fn range_static_member_assignment_persistent() {
    let c = cluster(&[("topic1", 5), ("topic2", 4)]);
    let both = ["topic1", "topic2"];
    let mut subs = group(vec![
        ("consumer1", sub(&both).with_group_instance_id("instance1")),
        ("consumer2", sub(&both).with_group_instance_id("instance2")),
        ("consumer3", sub(&both).with_group_instance_id("instance3")),
        ("consumer4", sub(&both)),
    ]);
    let mut expected: Assignment = [
        (
            "consumer1",
            tps(&[("topic1", 0), ("topic1", 1), ("topic2", 0)]),
        ),
        ("consumer2", tps(&[("topic1", 2), ("topic2", 1)])),
        ("consumer3", tps(&[("topic1", 3), ("topic2", 2)])),
        ("consumer4", tps(&[("topic1", 4), ("topic2", 3)])),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p))
    .collect();
    assert_eq!(run(AssignorKind::Range, &c, &subs), expected);

    // Replace dynamic member 4 with a new dynamic member 5.
    subs.remove("consumer4");
    subs.insert("consumer5".to_string(), sub(&both));
    let p = expected.remove("consumer4").unwrap();
    expected.insert("consumer5".to_string(), p);
    assert_eq!(run(AssignorKind::Range, &c, &subs), expected);
}

#[test]
fn range_static_member_assignment_persistent_after_member_id_changes() {
    let c = cluster(&[("topic1", 5), ("topic2", 5)]);
    let both = ["topic1", "topic2"];
    let by_instance = |subs: &BTreeMap<String, Subscription>, a: &Assignment| {
        subs.iter()
            .map(|(m, s)| (s.group_instance_id.clone().unwrap(), a[m].clone()))
            .collect::<BTreeMap<_, _>>()
    };
    let subs = group(vec![
        ("consumer1", sub(&both).with_group_instance_id("instance1")),
        ("consumer2", sub(&both).with_group_instance_id("instance2")),
        ("consumer3", sub(&both).with_group_instance_id("instance3")),
    ]);
    let first = by_instance(&subs, &run(AssignorKind::Range, &c, &subs));
    let expected: BTreeMap<String, Vec<TopicPartition>> = [
        (
            "instance1",
            tps(&[("topic1", 0), ("topic1", 1), ("topic2", 0), ("topic2", 1)]),
        ),
        (
            "instance2",
            tps(&[("topic1", 2), ("topic1", 3), ("topic2", 2), ("topic2", 3)]),
        ),
        ("instance3", tps(&[("topic1", 4), ("topic2", 4)])),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p))
    .collect();
    assert_eq!(first, expected);

    let renamed = group(vec![
        ("consumer1", sub(&both).with_group_instance_id("instance1")),
        ("consumer5", sub(&both).with_group_instance_id("instance2")),
        ("consumer4", sub(&both).with_group_instance_id("instance3")),
    ]);
    assert_eq!(
        by_instance(&renamed, &run(AssignorKind::Range, &c, &renamed)),
        expected
    );
}

/// The non-rack-aware expectations of `testRackAwareAssignmentWith{Uniform,NonEqual}Subscription`,
/// `...WithUniformPartitions`, `...WithUniformPartitionsNonEqualSubscription`,
/// `testCoPartitionedAssignmentWithSameSubscription` (compared as sets, as Kafka does).
#[test]
fn range_non_rack_aware_expectations_of_rack_tests() {
    let check = |topics: &[(&str, u32)], consumer_topics: &[&[&str]], expected: &[&str]| {
        let c = cluster(topics);
        let subs: BTreeMap<String, Subscription> = consumer_topics
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("consumer{i}"), sub(t)))
            .collect();
        let a = run(AssignorKind::Range, &c, &subs);
        for (i, want) in expected.iter().enumerate() {
            let mut got: Vec<String> = a[&format!("consumer{i}")]
                .iter()
                .map(|p| format!("{}-{}", p.topic, p.partition))
                .collect();
            got.sort();
            assert_eq!(got.join(", "), *want, "consumer{i}");
        }
    };
    let all3: &[&str] = &["t1", "t2", "t3"];
    let t13: &[&str] = &["t1", "t3"];
    check(
        &[("t1", 6), ("t2", 7), ("t3", 2)],
        &[all3, all3, all3],
        &[
            "t1-0, t1-1, t2-0, t2-1, t2-2, t3-0",
            "t1-2, t1-3, t2-3, t2-4, t3-1",
            "t1-4, t1-5, t2-5, t2-6",
        ],
    );
    check(
        &[("t1", 6), ("t2", 7), ("t3", 2)],
        &[all3, all3, t13],
        &[
            "t1-0, t1-1, t2-0, t2-1, t2-2, t2-3, t3-0",
            "t1-2, t1-3, t2-4, t2-5, t2-6, t3-1",
            "t1-4, t1-5",
        ],
    );
    check(
        &[("t1", 5), ("t2", 5), ("t3", 5)],
        &[all3, all3, all3],
        &[
            "t1-0, t1-1, t2-0, t2-1, t3-0, t3-1",
            "t1-2, t1-3, t2-2, t2-3, t3-2, t3-3",
            "t1-4, t2-4, t3-4",
        ],
    );
    check(
        &[("t1", 5), ("t2", 5), ("t3", 5)],
        &[all3, all3, t13],
        &[
            "t1-0, t1-1, t2-0, t2-1, t2-2, t3-0, t3-1",
            "t1-2, t1-3, t2-3, t2-4, t3-2, t3-3",
            "t1-4, t3-4",
        ],
    );
    let nine: &[&str] = &["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"];
    check(
        &[
            ("t1", 6),
            ("t2", 6),
            ("t3", 2),
            ("t4", 2),
            ("t5", 4),
            ("t6", 4),
        ],
        &[nine, nine, nine],
        &[
            "t1-0, t1-1, t2-0, t2-1, t3-0, t4-0, t5-0, t5-1, t6-0, t6-1",
            "t1-2, t1-3, t2-2, t2-3, t3-1, t4-1, t5-2, t6-2",
            "t1-4, t1-5, t2-4, t2-5, t5-3, t6-3",
        ],
    );
}

/// Member ids order as Java Strings: "g-10" < "g-2".
#[test]
fn range_orders_member_ids_as_strings() {
    let c = cluster(&[("t", 3)]);
    let subs = group(vec![
        ("g-1", sub(&["t"])),
        ("g-2", sub(&["t"])),
        ("g-10", sub(&["t"])),
    ]);
    let a = run(AssignorKind::Range, &c, &subs);
    assert_eq!(a["g-1"], tps(&[("t", 0)]));
    assert_eq!(a["g-10"], tps(&[("t", 1)]));
    assert_eq!(a["g-2"], tps(&[("t", 2)]));
    let a = run(AssignorKind::RoundRobin, &cluster(&[("t", 4)]), &subs);
    assert_eq!(a["g-1"], tps(&[("t", 0), ("t", 3)]));
    assert_eq!(a["g-10"], tps(&[("t", 1)]));
    assert_eq!(a["g-2"], tps(&[("t", 2)]));
    // The sticky assignors deal to the unfilled members sorted the same way.
    for kind in STICKIES {
        let a = run(kind, &cluster(&[("t", 4)]), &subs);
        assert_eq!(a["g-1"], tps(&[("t", 0), ("t", 3)]), "{kind}");
        assert_eq!(a["g-10"], tps(&[("t", 1)]), "{kind}");
        assert_eq!(a["g-2"], tps(&[("t", 2)]), "{kind}");
    }
}

/// The order of a member's range partitions follows the Java HashMap order of the topics, not
/// their names.
#[test]
fn range_lists_topics_in_java_hash_map_order() {
    // String.hashCode(): "zz" = 3904 -> bucket 0, "b" = 98 -> bucket 2, "c" = 99 -> bucket 3.
    let c = cluster(&[("b", 1), ("c", 1), ("zz", 1)]);
    let subs = group(vec![("m", sub(&["b", "c", "zz"]))]);
    let a = run(AssignorKind::Range, &c, &subs);
    assert_eq!(a["m"], tps(&[("zz", 0), ("b", 0), ("c", 0)]));
    // Round robin sorts topics by name.
    let a = run(AssignorKind::RoundRobin, &c, &subs);
    assert_eq!(a["m"], tps(&[("b", 0), ("c", 0), ("zz", 0)]));
    // "a1" = 3056 shares bucket 0 with "zz": the order the topics were first met decides.
    let c = cluster(&[("a1", 1), ("zz", 1)]);
    let a = run(
        AssignorKind::Range,
        &c,
        &group(vec![("m", sub(&["zz", "a1"]))]),
    );
    assert_eq!(a["m"], tps(&[("zz", 0), ("a1", 0)]));
    let a = run(
        AssignorKind::Range,
        &c,
        &group(vec![("m", sub(&["a1", "zz"]))]),
    );
    assert_eq!(a["m"], tps(&[("a1", 0), ("zz", 0)]));
}

// ------------------------------------------------------------------------------------------------
// RoundRobinAssignorTest
// ------------------------------------------------------------------------------------------------

#[test]
fn roundrobin_basic_cases() {
    let rr = AssignorKind::RoundRobin;
    for topics in [&[][..], &["topic"][..]] {
        let a = run(rr, &cluster(&[]), &group(vec![("consumer", sub(topics))]));
        assert_eq!(a.keys().collect::<Vec<_>>(), vec!["consumer"]);
        assert!(a["consumer"].is_empty());
    }
    let a = run(
        rr,
        &cluster(&[("topic", 3), ("other", 3)]),
        &group(vec![("consumer", sub(&["topic"]))]),
    );
    assert_eq!(
        a["consumer"],
        tps(&[("topic", 0), ("topic", 1), ("topic", 2)])
    );
    let a = run(
        rr,
        &cluster(&[("topic1", 1), ("topic2", 2)]),
        &group(vec![("consumer", sub(&["topic1", "topic2"]))]),
    );
    assert_eq!(
        a["consumer"],
        tps(&[("topic1", 0), ("topic2", 0), ("topic2", 1)])
    );

    let two = group(vec![
        ("consumer1", sub(&["topic"])),
        ("consumer2", sub(&["topic"])),
    ]);
    let a = run(rr, &cluster(&[("topic", 1)]), &two);
    assert_eq!(a["consumer1"], tps(&[("topic", 0)]));
    assert!(a["consumer2"].is_empty());
    let a = run(rr, &cluster(&[("topic", 2)]), &two);
    assert_eq!(a["consumer1"], tps(&[("topic", 0)]));
    assert_eq!(a["consumer2"], tps(&[("topic", 1)]));

    let a = run(
        rr,
        &cluster(&[("topic1", 3), ("topic2", 2)]),
        &group(vec![
            ("consumer1", sub(&["topic1"])),
            ("consumer2", sub(&["topic1", "topic2"])),
            ("consumer3", sub(&["topic1"])),
        ]),
    );
    assert_eq!(a["consumer1"], tps(&[("topic1", 0)]));
    assert_eq!(
        a["consumer2"],
        tps(&[("topic1", 1), ("topic2", 0), ("topic2", 1)])
    );
    assert_eq!(a["consumer3"], tps(&[("topic1", 2)]));
}

#[test]
fn roundrobin_static_consumers() {
    let c = cluster(&[("topic1", 3), ("topic2", 3)]);
    let both = ["topic1", "topic2"];
    let first = tps(&[("topic1", 0), ("topic1", 2), ("topic2", 1)]);
    let second = tps(&[("topic1", 1), ("topic2", 0), ("topic2", 2)]);
    for dynamic_second in [false, true] {
        let b = sub(&both);
        let a = run(
            AssignorKind::RoundRobin,
            &c,
            &group(vec![
                ("consumer-b", sub(&both).with_group_instance_id("instance1")),
                (
                    "consumer-a",
                    if dynamic_second {
                        b
                    } else {
                        b.with_group_instance_id("instance2")
                    },
                ),
            ]),
        );
        assert_eq!(a["consumer-b"], first);
        assert_eq!(a["consumer-a"], second);
    }
}

#[test]
fn roundrobin_static_member_assignment_persistent() {
    let c = cluster(&[("topic1", 3), ("topic2", 3)]);
    let both = ["topic1", "topic2"];
    let mut subs = group(vec![
        ("consumer1", sub(&both).with_group_instance_id("instance1")),
        ("consumer2", sub(&both).with_group_instance_id("instance2")),
        ("consumer3", sub(&both).with_group_instance_id("instance3")),
        ("consumer4", sub(&both)),
    ]);
    let mut expected: Assignment = [
        ("consumer1", tps(&[("topic1", 0), ("topic2", 1)])),
        ("consumer2", tps(&[("topic1", 1), ("topic2", 2)])),
        ("consumer3", tps(&[("topic1", 2)])),
        ("consumer4", tps(&[("topic2", 0)])),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p))
    .collect();
    assert_eq!(run(AssignorKind::RoundRobin, &c, &subs), expected);
    subs.remove("consumer4");
    subs.insert("consumer5".to_string(), sub(&both));
    let p = expected.remove("consumer4").unwrap();
    expected.insert("consumer5".to_string(), p);
    assert_eq!(run(AssignorKind::RoundRobin, &c, &subs), expected);
}

#[test]
fn roundrobin_static_member_assignment_persistent_after_member_id_changes() {
    let c = cluster(&[("topic1", 5), ("topic2", 5)]);
    let both = ["topic1", "topic2"];
    let expected: BTreeMap<String, Vec<TopicPartition>> = [
        (
            "instance1",
            tps(&[("topic1", 0), ("topic1", 3), ("topic2", 1), ("topic2", 4)]),
        ),
        (
            "instance2",
            tps(&[("topic1", 1), ("topic1", 4), ("topic2", 2)]),
        ),
        (
            "instance3",
            tps(&[("topic1", 2), ("topic2", 0), ("topic2", 3)]),
        ),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p))
    .collect();
    for ids in [
        ["consumer1", "consumer2", "consumer3"],
        ["consumer1", "consumer5", "consumer4"],
    ] {
        let subs = group(vec![
            (ids[0], sub(&both).with_group_instance_id("instance1")),
            (ids[1], sub(&both).with_group_instance_id("instance2")),
            (ids[2], sub(&both).with_group_instance_id("instance3")),
        ]);
        let a = run(AssignorKind::RoundRobin, &c, &subs);
        let by_instance: BTreeMap<String, Vec<TopicPartition>> = subs
            .iter()
            .map(|(m, s)| (s.group_instance_id.clone().unwrap(), a[m].clone()))
            .collect();
        assert_eq!(by_instance, expected);
    }
}

// ------------------------------------------------------------------------------------------------
// AbstractStickyAssignorTest (run for both sticky assignors, as Kafka does)
// ------------------------------------------------------------------------------------------------

#[test]
fn sticky_one_consumer_edge_cases() {
    for kind in STICKIES {
        // testOneConsumerNoTopic / testOneConsumerNonexistentTopic
        for topics in [&[][..], &["topic"][..]] {
            let subs = group(vec![("consumer", sub(topics))]);
            let d = sticky::assign_with_details(&cluster(&[("topic", 0)]), &subs).unwrap();
            assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
            let a = run(kind, &cluster(&[("topic", 0)]), &subs);
            assert!(a["consumer"].is_empty(), "{kind}");
        }
        // testOneConsumerOneTopic
        let a = run(
            kind,
            &cluster(&[("topic", 3)]),
            &group(vec![("consumer", sub(&["topic"]))]),
        );
        assert_eq!(
            a["consumer"],
            tps(&[("topic", 0), ("topic", 1), ("topic", 2)]),
            "{kind}"
        );
        // testOnlyAssignsPartitionsFromSubscribedTopics
        let subs = group(vec![(
            "consumer",
            owning(
                &["topic"],
                &[("topic", 0), ("topic", 1), ("other", 0), ("other", 1)],
                1,
            ),
        )]);
        let a = run(kind, &cluster(&[("topic", 2)]), &subs);
        assert_eq!(a["consumer"], tps(&[("topic", 0), ("topic", 1)]), "{kind}");
        // testOneConsumerMultipleTopics
        let a = run(
            kind,
            &cluster(&[("topic1", 1), ("topic2", 2)]),
            &group(vec![("consumer", sub(&["topic1", "topic2"]))]),
        );
        assert_eq!(
            a["consumer"],
            tps(&[("topic1", 0), ("topic2", 0), ("topic2", 1)]),
            "{kind}"
        );
    }
}

#[test]
fn sticky_two_consumers() {
    for kind in STICKIES {
        let two = group(vec![
            ("consumer1", sub(&["topic"])),
            ("consumer2", sub(&["topic"])),
        ]);
        // testTwoConsumersOneTopicOnePartition
        let a = run(kind, &cluster(&[("topic", 1)]), &two);
        verify_validity_and_balance(&two, &a);
        assert!(is_fully_balanced(&a));
        // testTwoConsumersOneTopicTwoPartitions
        let a = run(kind, &cluster(&[("topic", 2)]), &two);
        assert_eq!(a["consumer1"], tps(&[("topic", 0)]));
        assert_eq!(a["consumer2"], tps(&[("topic", 1)]));
        // testTwoConsumersTwoTopicsSixPartitions
        let both = ["topic1", "topic2"];
        let subs = group(vec![("consumer1", sub(&both)), ("consumer2", sub(&both))]);
        let a = run(kind, &cluster(&[("topic1", 3), ("topic2", 3)]), &subs);
        assert_eq!(
            a["consumer1"],
            tps(&[("topic1", 0), ("topic1", 2), ("topic2", 1)])
        );
        assert_eq!(
            a["consumer2"],
            tps(&[("topic1", 1), ("topic2", 0), ("topic2", 2)])
        );
    }
}

#[test]
fn sticky_multiple_consumers_mixed_topic_subscriptions() {
    let c = cluster(&[("topic1", 3), ("topic2", 2)]);
    let subs = group(vec![
        ("consumer1", sub(&["topic1"])),
        ("consumer2", sub(&["topic1", "topic2"])),
        ("consumer3", sub(&["topic1"])),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(d.partitions_transferring_ownership, None, "general path");
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        assert_eq!(a["consumer1"], tps(&[("topic1", 0), ("topic1", 2)]));
        assert_eq!(a["consumer2"], tps(&[("topic2", 0), ("topic2", 1)]));
        assert_eq!(a["consumer3"], tps(&[("topic1", 1)]));
        verify_validity_and_balance(&subs, &a);
    }
}

/// testConsumerOwningMinQuotaExpectedMaxQuota
#[test]
fn sticky_consumer_owning_min_quota_expected_max_quota() {
    let c = cluster(&[("topic1", 2), ("topic2", 3)]);
    let both = ["topic1", "topic2"];
    let subs = group(vec![
        (
            "consumer1",
            owning(&both, &[("topic1", 0), ("topic2", 1)], 1),
        ),
        (
            "consumer2",
            owning(&both, &[("topic1", 1), ("topic2", 2)], 1),
        ),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        assert_eq!(
            a["consumer1"],
            tps(&[("topic1", 0), ("topic2", 1), ("topic2", 0)])
        );
        assert_eq!(a["consumer2"], tps(&[("topic1", 1), ("topic2", 2)]));
    }
}

/// testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers: which of consumer1/consumer2 keeps
/// maxQuota depends on Java's HashMap iteration order ("consumer2" comes first).
#[test]
fn sticky_max_quota_consumer_more_than_num_expected_max_capacity_members() {
    let c = cluster(&[("topic1", 2), ("topic2", 2)]);
    let both = ["topic1", "topic2"];
    let subs = group(vec![
        (
            "consumer1",
            owning(&both, &[("topic1", 0), ("topic2", 0)], 1),
        ),
        (
            "consumer2",
            owning(&both, &[("topic1", 1), ("topic2", 1)], 1),
        ),
        ("consumer3", owning(&both, &[], 1)),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(
        d.partitions_transferring_ownership,
        transferring(&[(("topic2", 0), "consumer3")])
    );
    assert_eq!(d.assignment["consumer1"], tps(&[("topic1", 0)]));
    assert_eq!(
        d.assignment["consumer2"],
        tps(&[("topic1", 1), ("topic2", 1)])
    );
    assert_eq!(d.assignment["consumer3"], tps(&[("topic2", 0)]));
    verify_validity_and_balance(&subs, &d.assignment);

    let a = run(AssignorKind::CooperativeSticky, &c, &subs);
    assert!(a["consumer3"].is_empty(), "topic2-0 withheld");
    let (a, _) = verify_cooperative(&c, subs, a, 1);
    assert_eq!(a["consumer3"], tps(&[("topic2", 0)]));
}

/// testAllConsumersAreUnderMinQuota
#[test]
fn sticky_all_consumers_are_under_min_quota() {
    let c = cluster(&[("topic1", 2), ("topic2", 3)]);
    let both = ["topic1", "topic2"];
    let subs = group(vec![
        ("consumer1", owning(&both, &[("topic1", 0)], 1)),
        ("consumer2", owning(&both, &[("topic1", 1)], 1)),
        ("consumer3", owning(&both, &[], 1)),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        assert_eq!(a["consumer1"], tps(&[("topic1", 0), ("topic2", 1)]));
        assert_eq!(a["consumer2"], tps(&[("topic1", 1), ("topic2", 2)]));
        assert_eq!(a["consumer3"], tps(&[("topic2", 0)]));
    }
}

/// testAddRemoveConsumerOneTopic
#[test]
fn sticky_add_remove_consumer_one_topic() {
    let c = cluster(&[("topic", 3)]);
    let subs = group(vec![("consumer1", sub(&["topic"]))]);
    let a = run(AssignorKind::Sticky, &c, &subs);
    assert_eq!(
        a["consumer1"],
        tps(&[("topic", 0), ("topic", 1), ("topic", 2)])
    );

    let subs = group(vec![
        (
            "consumer1",
            owning(&["topic"], &[("topic", 0), ("topic", 1), ("topic", 2)], 1),
        ),
        ("consumer2", owning(&["topic"], &[], 1)),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(
        d.partitions_transferring_ownership,
        transferring(&[(("topic", 2), "consumer2")])
    );
    assert_eq!(
        d.assignment["consumer1"],
        tps(&[("topic", 0), ("topic", 1)])
    );
    assert_eq!(d.assignment["consumer2"], tps(&[("topic", 2)]));

    let coop = run(AssignorKind::CooperativeSticky, &c, &subs);
    assert_eq!(coop["consumer1"], tps(&[("topic", 0), ("topic", 1)]));
    assert!(coop["consumer2"].is_empty());
    let (coop, _) = verify_cooperative(&c, subs, coop, 1);
    assert_eq!(coop, d.assignment);

    let subs = group(vec![("consumer2", owning(&["topic"], &[("topic", 2)], 1))]);
    for kind in STICKIES {
        let d = sticky::assign_with_details(&c, &subs).unwrap();
        assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
        let a = run(kind, &c, &subs);
        assert_eq!(
            as_set(&a["consumer2"]),
            as_set(&tps(&[("topic", 0), ("topic", 1), ("topic", 2)]))
        );
    }
}

/// testAddRemoveTwoConsumersTwoTopics, including the exact partitionsTransferringOwnership.
#[test]
fn sticky_add_remove_two_consumers_two_topics() {
    let c = cluster(&[("topic1", 3), ("topic2", 4)]);
    let all = ["topic1", "topic2"];
    let subs = group(vec![("consumer1", sub(&all)), ("consumer2", sub(&all))]);
    let a = run(AssignorKind::Sticky, &c, &subs);
    assert_eq!(
        a["consumer1"],
        tps(&[("topic1", 0), ("topic1", 2), ("topic2", 1), ("topic2", 3)])
    );
    assert_eq!(
        a["consumer2"],
        tps(&[("topic1", 1), ("topic2", 0), ("topic2", 2)])
    );

    // add 2 consumers
    let subs = group(vec![
        (
            "consumer1",
            owning(
                &all,
                &[("topic1", 0), ("topic1", 2), ("topic2", 1), ("topic2", 3)],
                1,
            ),
        ),
        (
            "consumer2",
            owning(&all, &[("topic1", 1), ("topic2", 0), ("topic2", 2)], 1),
        ),
        ("consumer3", owning(&all, &[], 1)),
        ("consumer4", owning(&all, &[], 1)),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(
        d.partitions_transferring_ownership,
        transferring(&[
            (("topic1", 2), "consumer3"),
            (("topic2", 3), "consumer3"),
            (("topic2", 2), "consumer4"),
        ])
    );
    let a = d.assignment;
    assert_eq!(a["consumer1"], tps(&[("topic1", 0), ("topic2", 1)]));
    assert_eq!(a["consumer2"], tps(&[("topic2", 0), ("topic1", 1)]));
    assert_eq!(a["consumer3"], tps(&[("topic1", 2), ("topic2", 3)]));
    assert_eq!(a["consumer4"], tps(&[("topic2", 2)]));
    assert!(is_fully_balanced(&a));

    let coop = run(AssignorKind::CooperativeSticky, &c, &subs);
    assert!(coop["consumer3"].is_empty() && coop["consumer4"].is_empty());
    let (coop, _) = verify_cooperative(&c, subs, coop, 1);
    assert_eq!(coop, a);

    // remove 2 consumers
    let subs = group(vec![
        (
            "consumer3",
            owning(&all, &[("topic1", 2), ("topic2", 3)], 1),
        ),
        ("consumer4", owning(&all, &[("topic2", 2)], 1)),
    ]);
    for kind in STICKIES {
        let d = sticky::assign_with_details(&c, &subs).unwrap();
        assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
        let a = run(kind, &c, &subs);
        assert_eq!(
            a["consumer3"],
            tps(&[("topic1", 2), ("topic2", 3), ("topic1", 0), ("topic2", 1)]),
            "{kind}"
        );
        assert_eq!(
            a["consumer4"],
            tps(&[("topic2", 2), ("topic1", 1), ("topic2", 0)]),
            "{kind}"
        );
    }
}

/// testTopicBalanceAfterReassignment: the constrained path keeps owned partitions in
/// (partition, topic) order, so each topic stays balanced across members.
#[test]
fn sticky_topic_balance_after_reassignment() {
    let c = cluster(&[("topic1", 12), ("topic2", 12)]);
    let all = ["topic1", "topic2"];
    let per_topic = |a: &Assignment, n: usize| {
        for (m, partitions) in a {
            for t in all {
                assert_eq!(
                    partitions.iter().filter(|p| p.topic == t).count(),
                    n,
                    "{m} {t}: {a:?}"
                );
            }
        }
    };
    for kind in STICKIES {
        let subs = group(vec![("consumer1", sub(&all))]);
        let (a, subs) = rebalance(kind, &c, subs);
        per_topic(&a, 12);

        let mut subs = resubscribe(&subs, &a, 1);
        subs.insert("consumer2".to_string(), owning(&all, &[], 1));
        let (a, subs) = rebalance(kind, &c, subs);
        per_topic(&a, 6);

        let mut subs = resubscribe(&subs, &a, 1);
        subs.insert("consumer3".to_string(), owning(&all, &[], 1));
        subs.insert("consumer4".to_string(), owning(&all, &[], 1));
        let (a, subs) = rebalance(kind, &c, subs);
        per_topic(&a, 3);

        let mut subs = resubscribe(&subs, &a, 1);
        subs.remove("consumer1");
        subs.remove("consumer2");
        let d = sticky::assign_with_details(&c, &subs).unwrap();
        assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
        let a = run(kind, &c, &subs);
        assert_eq!(a, d.assignment);
        per_topic(&a, 6);
    }
}

/// One rebalance, including the cooperative follow-up rebalances; checks validity and balance.
fn rebalance(
    kind: AssignorKind,
    c: &BTreeMap<String, u32>,
    subs: BTreeMap<String, Subscription>,
) -> (Assignment, BTreeMap<String, Subscription>) {
    let a = run(kind, c, &subs);
    if kind == AssignorKind::CooperativeSticky {
        verify_cooperative(c, subs, a, 1)
    } else {
        verify_validity_and_balance(&subs, &a);
        (a, subs)
    }
}

/// A small deterministic generator for the randomised Kafka tests.
struct XorShift(u64);

impl XorShift {
    fn next_below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// testLargeAssignmentWithMultipleConsumersLeavingAndRandomSubscription (scaled down, with a fixed
/// seed): random subscriptions, with repeated topics in a subscription as in Kafka's test.
#[test]
fn sticky_multiple_consumers_leaving_and_random_subscription() {
    for seed in 1..=5u64 {
        let mut rand = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (topic_count, consumer_count) = (40, 100);
        let c: BTreeMap<String, u32> = (0..topic_count)
            .map(|i| (padded("t", i, topic_count), rand.next_below(10) as u32 + 1))
            .collect();
        let mut subs = BTreeMap::new();
        for i in 0..consumer_count {
            let n = rand.next_below(20);
            let topics: Vec<String> = (0..n)
                .map(|_| padded("t", rand.next_below(topic_count), topic_count))
                .collect();
            subs.insert(padded("c", i, consumer_count), Subscription::new(topics));
        }
        for kind in STICKIES {
            let a = run(kind, &c, &subs);
            verify_validity_and_balance(&subs, &a);
            let mut next = resubscribe(&subs, &a, 1);
            for _ in 0..25 {
                let victim = padded("c", rand.next_below(consumer_count), consumer_count);
                next.remove(&victim);
            }
            let a2 = run(kind, &c, &next);
            if kind == AssignorKind::CooperativeSticky {
                verify_cooperative(&c, next, a2, 1);
            } else {
                verify_validity_and_balance(&next, &a2);
            }
        }
    }
}

/// testPoorRoundRobinAssignmentScenario
#[test]
fn sticky_poor_round_robin_assignment_scenario() {
    let c = cluster(&[
        ("topic1", 2),
        ("topic2", 1),
        ("topic3", 2),
        ("topic4", 1),
        ("topic5", 2),
    ]);
    let five = ["topic1", "topic2", "topic3", "topic4", "topic5"];
    let odd = ["topic1", "topic3", "topic5"];
    let subs = group(vec![
        ("consumer1", sub(&five)),
        ("consumer2", sub(&odd)),
        ("consumer3", sub(&odd)),
        ("consumer4", sub(&five)),
    ]);
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        verify_validity_and_balance(&subs, &a);
        assert!(is_fully_balanced(&a), "{kind}: {a:?}");
    }
    // The round robin assignor leaves consumer3 empty, as the Kafka test's comment shows.
    let rr = run(AssignorKind::RoundRobin, &c, &subs);
    assert_eq!(
        rr["consumer1"],
        tps(&[("topic1", 0), ("topic3", 0), ("topic5", 0)])
    );
    assert_eq!(
        rr["consumer2"],
        tps(&[("topic1", 1), ("topic3", 1), ("topic5", 1)])
    );
    assert!(rr["consumer3"].is_empty());
    assert_eq!(rr["consumer4"], tps(&[("topic2", 0), ("topic4", 0)]));
}

/// testAddRemoveTopicTwoConsumers
#[test]
fn sticky_add_remove_topic_two_consumers() {
    for kind in STICKIES {
        let mut c = cluster(&[("topic", 3)]);
        let subs = group(vec![
            ("consumer1", sub(&["topic"])),
            ("consumer2", sub(&["topic"])),
        ]);
        let a1 = run(kind, &c, &subs);
        assert!(is_fully_balanced(&a1));
        verify_validity_and_balance(&subs, &a1);

        c.insert("topic2".to_string(), 3);
        let subs = group(vec![
            (
                "consumer1",
                sub(&["topic", "topic2"]).owning(a1["consumer1"].clone(), 1),
            ),
            (
                "consumer2",
                sub(&["topic", "topic2"]).owning(a1["consumer2"].clone(), 1),
            ),
        ]);
        let a2 = run(kind, &c, &subs);
        verify_validity_and_balance(&subs, &a2);
        assert_eq!(sizes(&a2), vec![3, 3]);
        for m in ["consumer1", "consumer2"] {
            assert!(as_set(&a2[m]).is_superset(&as_set(&a1[m])));
        }

        c.remove("topic");
        let subs = group(vec![
            (
                "consumer1",
                sub(&["topic2"]).owning(a2["consumer1"].clone(), 1),
            ),
            (
                "consumer2",
                sub(&["topic2"]).owning(a2["consumer2"].clone(), 1),
            ),
        ]);
        let a3 = run(kind, &c, &subs);
        verify_validity_and_balance(&subs, &a3);
        assert!(is_fully_balanced(&a3));
        for m in ["consumer1", "consumer2"] {
            assert!(as_set(&a2[m]).is_superset(&as_set(&a3[m])));
        }
    }
}

fn padded(prefix: &str, i: usize, max: usize) -> String {
    format!("{prefix}{i:0width$}", width = max.to_string().len())
}

/// testReassignmentAfterOneConsumerLeaves
#[test]
fn sticky_reassignment_after_one_consumer_leaves() {
    let c: BTreeMap<String, u32> = (1..20).map(|i| (padded("t", i, 20), i as u32)).collect();
    let subs: BTreeMap<String, Subscription> = (1..20)
        .map(|i| {
            let topics: Vec<String> = (1..=i).map(|j| padded("t", j, 20)).collect();
            (padded("c", i, 20), Subscription::new(topics))
        })
        .collect();
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        verify_validity_and_balance(&subs, &a);
        let mut next = resubscribe(&subs, &a, 1);
        next.remove("c10");
        let a2 = run(kind, &c, &next);
        if kind == AssignorKind::CooperativeSticky {
            verify_cooperative(&c, next, a2, 1);
        } else {
            verify_validity_and_balance(&next, &a2);
        }
    }
}

/// testReassignmentAfterOneConsumerAdded
#[test]
fn sticky_reassignment_after_one_consumer_added() {
    let c = cluster(&[("topic", 20)]);
    let mut subs: BTreeMap<String, Subscription> = (1..10)
        .map(|i| (padded("c", i, 10), sub(&["topic"])))
        .collect();
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        verify_validity_and_balance(&subs, &a);
        subs.insert(padded("c", 10, 10), sub(&["topic"]));
        let a = run(kind, &c, &subs);
        verify_validity_and_balance(&subs, &a);
        subs.remove(&padded("c", 10, 10));
    }
}

/// testSameSubscriptions
#[test]
fn sticky_same_subscriptions() {
    let c: BTreeMap<String, u32> = (1..15).map(|i| (padded("t", i, 15), i as u32)).collect();
    let topics: Vec<String> = c.keys().cloned().collect();
    let subs: BTreeMap<String, Subscription> = (1..9)
        .map(|i| (padded("c", i, 9), Subscription::new(topics.clone())))
        .collect();
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        verify_validity_and_balance(&subs, &a);
        let mut next = resubscribe(&subs, &a, 1);
        next.remove(&padded("c", 5, 9));
        let d = sticky::assign_with_details(&c, &next).unwrap();
        assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
        let a2 = run(kind, &c, &next);
        verify_validity_and_balance(&next, &a2);
        assert_eq!(a2, d.assignment);
    }
}

/// testSubscriptionNotEqualAndAssignSamePartitionWith3Generation
#[test]
fn sticky_subscription_not_equal_and_assign_same_partition_with_3_generations() {
    let c = cluster(&[("topic", 6), ("topic1", 1)]);
    for g in [
        [1, 2, 3],
        [1, 3, 2],
        [2, 1, 3],
        [2, 3, 1],
        [3, 1, 2],
        [3, 2, 1],
    ] {
        let subs = group(vec![
            (
                "consumer1",
                owning(&["topic"], &[("topic", 0), ("topic", 2)], g[0]),
            ),
            (
                "consumer2",
                owning(
                    &["topic"],
                    &[("topic", 1), ("topic", 2), ("topic", 3)],
                    g[1],
                ),
            ),
            (
                "consumer3",
                owning(
                    &["topic"],
                    &[("topic", 2), ("topic", 4), ("topic", 5)],
                    g[2],
                ),
            ),
            ("consumer4", owning(&["topic1"], &[("topic1", 0)], 2)),
        ]);
        for kind in STICKIES {
            let a = run(kind, &c, &subs);
            let all: Vec<&TopicPartition> = a.values().flatten().collect();
            let distinct: BTreeSet<&TopicPartition> = all.iter().copied().collect();
            assert_eq!(all.len(), distinct.len());
            if kind == AssignorKind::Sticky {
                assert!(
                    sizes(&a).iter().all(|&n| (1..=2).contains(&n)),
                    "{g:?} {a:?}"
                );
            }
        }
    }
}

/// testNewSubscription: consumer i subscribes to topics i..=3i-2 (c0 to none), then c0 also
/// subscribes to t1.
#[test]
fn sticky_new_subscription() {
    let c: BTreeMap<String, u32> = (1..5).map(|i| (format!("t{i}"), 1)).collect();
    let mut subs = group(vec![
        ("c0", sub(&[])),
        ("c1", sub(&["t1"])),
        ("c2", sub(&["t2", "t3", "t4"])),
    ]);
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        verify_validity_and_balance(&subs, &a);
    }
    subs.get_mut("c0").unwrap().topics.push("t1".to_string());
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        verify_validity_and_balance(&subs, &a);
    }
}

/// testMoveExistingAssignments
#[test]
fn sticky_move_existing_assignments() {
    let c: BTreeMap<String, u32> = (1..=6).map(|i| (format!("topic{i}"), 1)).collect();
    let subs = group(vec![
        (
            "consumer1",
            owning(&["topic1", "topic2"], &[("topic1", 0)], 1),
        ),
        (
            "consumer2",
            owning(
                &["topic1", "topic2", "topic3", "topic4"],
                &[("topic2", 0), ("topic3", 0)],
                1,
            ),
        ),
        (
            "consumer3",
            owning(
                &["topic2", "topic3", "topic4", "topic5", "topic6"],
                &[("topic4", 0), ("topic5", 0), ("topic6", 0)],
                1,
            ),
        ),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(d.partitions_transferring_ownership, None);
    verify_validity_and_balance(&subs, &d.assignment);
    let a = run(AssignorKind::CooperativeSticky, &c, &subs);
    verify_cooperative(&c, subs, a, 1);
}

/// testStickiness: removing one of four members of a 3-partition topic moves no partition.
#[test]
fn sticky_stickiness() {
    let c = cluster(&[("topic1", 3)]);
    let subs: BTreeMap<String, Subscription> = (1..=4)
        .map(|i| (format!("consumer{i}"), sub(&["topic1"])))
        .collect();
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        assert!(sizes(&a).iter().all(|&n| n <= 1));
        let mut next = resubscribe(&subs, &a, 1);
        next.remove("consumer1");
        let a2 = run(kind, &c, &next);
        verify_validity_and_balance(&next, &a2);
        for (m, partitions) in &a2 {
            assert_eq!(partitions.len(), 1, "{kind}: {a2:?}");
            assert!(a[m].is_empty() || a2[m] == a[m], "stickiness for {m}");
        }
    }
}

/// testAssignmentUpdatedForDeletedTopic and testNoExceptionThrownWhenOnlySubscribedTopicDeleted
#[test]
fn sticky_deleted_topics() {
    for kind in STICKIES {
        let c = cluster(&[("topic1", 1), ("topic3", 100)]);
        let subs = group(vec![("consumer", sub(&["topic1", "topic2", "topic3"]))]);
        let a = run(kind, &c, &subs);
        assert_eq!(a["consumer"].len(), 101);

        let c = cluster(&[("topic", 3)]);
        let subs = group(vec![("consumer", sub(&["topic"]))]);
        let a = run(kind, &c, &subs);
        let subs = resubscribe(&subs, &a, 1);
        let a = run(kind, &cluster(&[]), &subs);
        assert_eq!(a.len(), 1);
        assert!(a["consumer"].is_empty());
    }
}

/// testAllConsumersReachExpectedQuotaAndAreConsideredFilled
#[test]
fn sticky_all_consumers_reach_expected_quota_and_are_considered_filled() {
    let c = cluster(&[("topic", 4)]);
    let subs = group(vec![
        (
            "consumer1",
            owning(&["topic"], &[("topic", 0), ("topic", 1)], 1),
        ),
        ("consumer2", owning(&["topic"], &[("topic", 2)], 1)),
        ("consumer3", owning(&["topic"], &[], 1)),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        assert_eq!(a["consumer1"], tps(&[("topic", 0), ("topic", 1)]));
        assert_eq!(a["consumer2"], tps(&[("topic", 2)]));
        assert_eq!(a["consumer3"], tps(&[("topic", 3)]));
    }
}

/// testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration / ...WithNoGeneration
#[test]
fn sticky_owned_partitions_invalidated_for_stale_or_no_generation() {
    let c = cluster(&[("topic", 3), ("topic2", 3)]);
    let both = ["topic", "topic2"];
    let owned = [("topic", 0), ("topic", 2), ("topic2", 1)];
    for stale in [9, -1] {
        let subs = group(vec![
            ("consumer1", owning(&both, &owned, 10)),
            ("consumer2", owning(&both, &owned, stale)),
        ]);
        let d = sticky::assign_with_details(&c, &subs).unwrap();
        assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
        assert_eq!(d.max_generation, 10);
        for kind in STICKIES {
            let a = run(kind, &c, &subs);
            assert_eq!(as_set(&a["consumer1"]), as_set(&tps(&owned)));
            assert_eq!(
                as_set(&a["consumer2"]),
                as_set(&tps(&[("topic", 1), ("topic2", 0), ("topic2", 2)]))
            );
        }
    }
}

/// testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration,
/// and StickyAssignorTest/CooperativeStickyAssignorTest
/// testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGeneration*.
#[test]
fn sticky_partition_claimed_by_multiple_consumers_in_same_generation() {
    let subs = group(vec![
        (
            "consumer1",
            owning(&["topic"], &[("topic", 0), ("topic", 1)], 1),
        ),
        (
            "consumer2",
            owning(&["topic"], &[("topic", 0), ("topic", 2)], 1),
        ),
        ("consumer3", owning(&["topic"], &[], 1)),
    ]);

    // ...WithEqualPartitionsPerConsumer
    let c = cluster(&[("topic", 3)]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(
        d.partitions_transferring_ownership,
        transferring(&[(("topic", 0), "consumer3")])
    );
    assert_eq!(d.assignment["consumer1"], tps(&[("topic", 1)]));
    assert_eq!(d.assignment["consumer2"], tps(&[("topic", 2)]));
    assert_eq!(d.assignment["consumer3"], tps(&[("topic", 0)]));
    let a = run(AssignorKind::CooperativeSticky, &c, &subs);
    assert_eq!(a["consumer1"], tps(&[("topic", 1)]));
    assert_eq!(a["consumer2"], tps(&[("topic", 2)]));
    // topic-0 has to be considered "owned" and cannot be assigned until both have revoked it
    assert!(a["consumer3"].is_empty());
    verify_cooperative(&c, subs.clone(), a, 1);

    // ...WithUnequalPartitionsPerConsumer
    let c = cluster(&[("topic", 4)]);
    let a = run(AssignorKind::Sticky, &c, &subs);
    assert_eq!(a["consumer1"], tps(&[("topic", 1), ("topic", 3)]));
    assert_eq!(a["consumer2"], tps(&[("topic", 2)]));
    assert_eq!(a["consumer3"], tps(&[("topic", 0)]));
    let a = run(AssignorKind::CooperativeSticky, &c, &subs);
    assert_eq!(a["consumer1"], tps(&[("topic", 1), ("topic", 3)]));
    assert_eq!(a["consumer2"], tps(&[("topic", 2)]));
    assert!(a["consumer3"].is_empty());
    verify_cooperative(&c, subs, a, 1);
}

/// testEnsurePartitionsAssignedToHighestGeneration
#[test]
fn sticky_ensure_partitions_assigned_to_highest_generation() {
    let c = cluster(&[("topic", 3), ("topic2", 3), ("topic3", 3)]);
    let all = ["topic", "topic2", "topic3"];
    let subs = group(vec![
        (
            "consumer1",
            owning(&all, &[("topic", 0), ("topic2", 0), ("topic3", 0)], 10),
        ),
        (
            "consumer2",
            owning(&all, &[("topic", 1), ("topic2", 1), ("topic3", 1)], 9),
        ),
        (
            "consumer3",
            owning(&all, &[("topic2", 1), ("topic3", 0), ("topic3", 2)], 8),
        ),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        assert_eq!(
            as_set(&a["consumer1"]),
            as_set(&tps(&[("topic", 0), ("topic2", 0), ("topic3", 0)]))
        );
        assert_eq!(
            as_set(&a["consumer2"]),
            as_set(&tps(&[("topic", 1), ("topic2", 1), ("topic3", 1)]))
        );
        assert_eq!(
            as_set(&a["consumer3"]),
            as_set(&tps(&[("topic", 2), ("topic2", 2), ("topic3", 2)]))
        );
    }
}

/// testNoReassignmentOnCurrentMembers
#[test]
fn sticky_no_reassignment_on_current_members() {
    let c = cluster(&[("topic", 3), ("topic1", 3), ("topic2", 3), ("topic3", 3)]);
    let all = ["topic", "topic2", "topic3", "topic1"];
    let subs = group(vec![
        ("consumer1", owning(&all, &[], -1)),
        (
            "consumer2",
            owning(&all, &[("topic", 0), ("topic2", 0), ("topic1", 0)], 9),
        ),
        (
            "consumer3",
            owning(&all, &[("topic3", 2), ("topic2", 2), ("topic1", 1)], 8),
        ),
        (
            "consumer4",
            owning(&all, &[("topic3", 1), ("topic", 1), ("topic", 2)], 7),
        ),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        assert_eq!(
            as_set(&a["consumer1"]),
            as_set(&tps(&[("topic1", 2), ("topic2", 1), ("topic3", 0)]))
        );
        verify_validity_and_balance(&subs, &a);
        assert!(is_fully_balanced(&a));
    }
}

/// testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration
#[test]
fn sticky_owned_partitions_invalidated_for_consumer_with_multiple_generation() {
    let c = cluster(&[("topic", 3), ("topic2", 3)]);
    let both = ["topic", "topic2"];
    let subs = group(vec![
        (
            "consumer1",
            owning(&both, &[("topic", 0), ("topic2", 1), ("topic", 1)], 10),
        ),
        (
            "consumer2",
            owning(&both, &[("topic", 0), ("topic2", 1), ("topic2", 2)], 8),
        ),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert_eq!(d.partitions_transferring_ownership, transferring(&[]));
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        assert_eq!(
            as_set(&a["consumer1"]),
            as_set(&tps(&[("topic", 0), ("topic2", 1), ("topic", 1)]))
        );
        assert_eq!(
            as_set(&a["consumer2"]),
            as_set(&tps(&[("topic", 2), ("topic2", 2), ("topic2", 0)]))
        );
    }
}

/// The non-rack-aware expectations of testRackAwareAssignmentWithUniformSubscription and
/// testRackAwareAssignmentWithNonEqualSubscription (StickyAssignor), also with the expected
/// assignment already owned.
#[test]
fn sticky_non_rack_aware_expectations_of_rack_tests() {
    let check = |consumer_topics: [&[&str]; 3], expected: [&str; 3]| {
        let c = cluster(&[("t1", 6), ("t2", 7), ("t3", 2)]);
        let mut subs: BTreeMap<String, Subscription> = consumer_topics
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("consumer{i}"), sub(t)))
            .collect();
        for round in 0..2 {
            let a = run(AssignorKind::Sticky, &c, &subs);
            for (i, want) in expected.iter().enumerate() {
                let mut got: Vec<String> = a[&format!("consumer{i}")]
                    .iter()
                    .map(|p| format!("{}-{}", p.topic, p.partition))
                    .collect();
                got.sort();
                assert_eq!(got.join(", "), *want, "round {round} consumer{i}");
            }
            subs = resubscribe(&subs, &a, 1);
        }
    };
    let all: &[&str] = &["t1", "t2", "t3"];
    check(
        [all, all, all],
        [
            "t1-0, t1-3, t2-0, t2-3, t2-6",
            "t1-1, t1-4, t2-1, t2-4, t3-0",
            "t1-2, t1-5, t2-2, t2-5, t3-1",
        ],
    );
    check(
        [all, all, &["t1", "t3"]],
        [
            "t1-5, t2-0, t2-2, t2-4, t2-6",
            "t1-3, t2-1, t2-3, t2-5, t3-0",
            "t1-0, t1-1, t1-2, t1-4, t3-1",
        ],
    );
}

// ------------------------------------------------------------------------------------------------
// StickyAssignorTest / CooperativeStickyAssignorTest
// ------------------------------------------------------------------------------------------------

/// testAssignmentWithMultipleGenerations1
#[test]
fn sticky_assignment_with_multiple_generations_1() {
    for equal in [true, false] {
        let all = ["topic", "topic2"];
        let c2_topics: &[&str] = if equal { &all } else { &["topic"] };
        let c = cluster(&[("topic", 6), ("topic2", 6)]);
        let subs = group(vec![
            ("consumer1", sub(&all)),
            ("consumer2", sub(c2_topics)),
            ("consumer3", sub(&all)),
        ]);
        let r1 = run(AssignorKind::Sticky, &c, &subs);
        assert_eq!(sizes(&r1), vec![4, 4, 4]);
        verify_validity_and_balance(&subs, &r1);

        let subs2 = group(vec![
            ("consumer1", sub(&all).owning(r1["consumer1"].clone(), 1)),
            (
                "consumer2",
                sub(c2_topics).owning(r1["consumer2"].clone(), 1),
            ),
        ]);
        let r2 = run(AssignorKind::Sticky, &c, &subs2);
        assert_eq!(sizes(&r2), vec![6, 6]);
        if equal {
            assert!(as_set(&r2["consumer1"]).is_superset(&as_set(&r1["consumer1"])));
        }
        assert!(as_set(&r2["consumer2"]).is_superset(&as_set(&r1["consumer2"])));
        verify_validity_and_balance(&subs2, &r2);
        assert!(!as_set(&r2["consumer2"]).is_disjoint(&as_set(&r1["consumer3"])));

        let subs3 = group(vec![
            (
                "consumer2",
                sub(c2_topics).owning(r2["consumer2"].clone(), 2),
            ),
            ("consumer3", sub(&all).owning(r1["consumer3"].clone(), 1)),
        ]);
        let r3 = run(AssignorKind::Sticky, &c, &subs3);
        assert_eq!(sizes(&r3), vec![6, 6]);
        assert!(as_set(&r3["consumer2"]).is_disjoint(&as_set(&r3["consumer3"])));
        verify_validity_and_balance(&subs3, &r3);
    }
}

/// testAssignmentWithMultipleGenerations2
#[test]
fn sticky_assignment_with_multiple_generations_2() {
    for equal in [true, false] {
        let all = ["topic", "topic2", "topic3"];
        let c1_topics: &[&str] = if equal { &all } else { &["topic"] };
        let c3_topics: &[&str] = if equal { &all } else { &["topic", "topic2"] };
        let c = cluster(&[("topic", 4), ("topic2", 4), ("topic3", 4)]);
        let subs = group(vec![
            ("consumer1", sub(c1_topics)),
            ("consumer2", sub(&all)),
            ("consumer3", sub(c3_topics)),
        ]);
        let r1 = run(AssignorKind::Sticky, &c, &subs);
        assert_eq!(sizes(&r1), vec![4, 4, 4]);
        verify_validity_and_balance(&subs, &r1);

        let subs2 = group(vec![(
            "consumer2",
            sub(&all).owning(r1["consumer2"].clone(), 1),
        )]);
        let r2 = run(AssignorKind::Sticky, &c, &subs2);
        assert_eq!(r2["consumer2"].len(), 12);
        assert!(as_set(&r2["consumer2"]).is_superset(&as_set(&r1["consumer2"])));

        let subs3 = group(vec![
            (
                "consumer1",
                sub(c1_topics).owning(r1["consumer1"].clone(), 1),
            ),
            ("consumer2", sub(&all).owning(r2["consumer2"].clone(), 2)),
            (
                "consumer3",
                sub(c3_topics).owning(r1["consumer3"].clone(), 1),
            ),
        ]);
        let r3 = run(AssignorKind::Sticky, &c, &subs3);
        assert_eq!(sizes(&r3), vec![4, 4, 4]);
        verify_validity_and_balance(&subs3, &r3);
    }
}

/// testAssignmentWithConflictingPreviousGenerations
#[test]
fn sticky_assignment_with_conflicting_previous_generations() {
    for equal in [true, false] {
        let all = ["topic", "topic2", "topic3"];
        let c1_topics: &[&str] = if equal { &all } else { &["topic"] };
        let c2_topics: &[&str] = if equal { &all } else { &["topic", "topic2"] };
        let c = cluster(&[("topic", 4), ("topic2", 4), ("topic3", 4)]);
        let c1p0: &[(&str, u32)] = if equal {
            &[
                ("topic", 0),
                ("topic", 1),
                ("topic", 2),
                ("topic2", 2),
                ("topic2", 3),
                ("topic3", 0),
            ]
        } else {
            &[("topic", 0), ("topic", 1), ("topic", 2), ("topic", 3)]
        };
        let c2p0 = [
            ("topic", 0),
            ("topic", 1),
            ("topic2", 0),
            ("topic2", 1),
            ("topic2", 2),
            ("topic2", 3),
        ];
        let c3p0 = [
            ("topic", 2),
            ("topic", 3),
            ("topic3", 0),
            ("topic3", 1),
            ("topic3", 2),
            ("topic3", 3),
        ];
        let subs = group(vec![
            ("consumer1", owning(c1_topics, c1p0, 1)),
            ("consumer2", owning(c2_topics, &c2p0, 2)),
            ("consumer3", owning(&all, &c3p0, 2)),
        ]);
        let a = run(AssignorKind::Sticky, &c, &subs);
        assert_eq!(sizes(&a), vec![4, 4, 4]);
        assert!(as_set(&tps(&c2p0)).is_superset(&as_set(&a["consumer2"])));
        assert!(as_set(&tps(&c3p0)).is_superset(&as_set(&a["consumer3"])));
        verify_validity_and_balance(&subs, &a);
    }
}

/// testSchemaBackwardCompatibility: consumer2's user data has the V0 schema (no generation).
#[test]
fn sticky_schema_backward_compatibility() {
    let c = cluster(&[("topic", 3)]);
    let mut v0 = sub(&["topic"]);
    v0.owned_partitions = tps(&[("topic", 1)]);
    v0.generation = None;
    let subs = group(vec![
        (
            "consumer1",
            owning(&["topic"], &[("topic", 0), ("topic", 2)], 1),
        ),
        ("consumer2", v0),
        ("consumer3", sub(&["topic"])),
    ]);
    let a = run(AssignorKind::Sticky, &c, &subs);
    assert_eq!(sizes(&a), vec![1, 1, 1]);
    assert!(as_set(&tps(&[("topic", 0), ("topic", 2)])).is_superset(&as_set(&a["consumer1"])));
    assert_eq!(a["consumer2"], tps(&[("topic", 1)]));
    verify_validity_and_balance(&subs, &a);
}

/// testAssignorWithOldVersionSubscriptions (both assignors)
#[test]
fn sticky_assignor_with_old_version_subscriptions() {
    let c = cluster(&[("topic1", 3)]);
    let subs = group(vec![
        ("consumer1", owning(&["topic1"], &[("topic1", 0)], 1)),
        ("consumer2", owning(&["topic1"], &[("topic1", 1)], 1)),
        ("consumer3", owning(&["topic1"], &[], 1)),
    ]);
    for kind in STICKIES {
        let a = run(kind, &c, &subs);
        assert_eq!(a["consumer1"], tps(&[("topic1", 0)]));
        assert_eq!(a["consumer2"], tps(&[("topic1", 1)]));
        assert_eq!(a["consumer3"], tps(&[("topic1", 2)]));
    }
}

// ------------------------------------------------------------------------------------------------
// Java HashMap order and Kafka quirks
// ------------------------------------------------------------------------------------------------

/// The JoinGroup order only matters for member ids sharing a hash bucket: "Aa" and "BB" have the
/// same `String.hashCode()`. With 4 partitions and 3 members one member may keep two (maxQuota):
/// the first one Kafka iterates, i.e. the first of the two to join.
#[test]
fn sticky_join_order_decides_between_colliding_member_ids() {
    let c = cluster(&[("t", 4)]);
    let two_each = |first: &str| -> Vec<(String, Subscription)> {
        let second = if first == "Aa" { "BB" } else { "Aa" };
        let mine = |m: &str| {
            if m == "Aa" {
                [("t", 0), ("t", 1)]
            } else {
                [("t", 2), ("t", 3)]
            }
        };
        vec![
            (first.to_string(), owning(&["t"], &mine(first), 1)),
            (second.to_string(), owning(&["t"], &mine(second), 1)),
            ("c".to_string(), owning(&["t"], &[], 1)),
        ]
    };
    let a = assign_ordered(AssignorKind::Sticky, &c, &two_each("Aa")).unwrap();
    assert_eq!(a["Aa"], tps(&[("t", 0), ("t", 1)]));
    assert_eq!(a["BB"], tps(&[("t", 2)]));
    assert_eq!(a["c"], tps(&[("t", 3)]));
    let a = assign_ordered(AssignorKind::Sticky, &c, &two_each("BB")).unwrap();
    assert_eq!(a["BB"], tps(&[("t", 2), ("t", 3)]));
    assert_eq!(a["Aa"], tps(&[("t", 0)]));
    assert_eq!(a["c"], tps(&[("t", 1)]));
    // `assign` inserts in member-id order ("Aa" < "BB").
    let subs: BTreeMap<String, Subscription> = two_each("BB").into_iter().collect();
    assert_eq!(run(AssignorKind::Sticky, &c, &subs)["Aa"].len(), 2);
}

/// Kafka quirk, reproduced: `allSubscriptionsEqual` takes the first *non-empty* subscription it
/// meets as the reference, so a member with an empty subscription met earlier does not stop the
/// constrained path, which then gives it a share of the partitions.
#[test]
fn sticky_empty_subscription_quirk() {
    let c = cluster(&[("t", 4)]);
    // Java HashMap order: "a" (97 -> bucket 1) before "b" (98 -> bucket 2) before "c".
    let subs = group(vec![
        ("a", sub(&[])),
        ("b", sub(&["t"])),
        ("c", sub(&["t"])),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert!(
        d.partitions_transferring_ownership.is_some(),
        "constrained path"
    );
    assert!(!d.assignment["a"].is_empty());
    // Met after a non-empty one, the empty subscription makes them unequal: general path.
    let subs = group(vec![
        ("x", sub(&[])),
        ("b", sub(&["t"])),
        ("c", sub(&["t"])),
    ]);
    let d = sticky::assign_with_details(&c, &subs).unwrap();
    assert!(
        d.partitions_transferring_ownership.is_none(),
        "general path"
    );
    assert!(d.assignment["x"].is_empty());
}

/// Kafka quirk, reproduced: in the general path, `performReassignments` moves a partition back to
/// its owner from an older generation (`prevAssignment`) without checking that this member is
/// still subscribed to the partition's topic. Here g-2 (generation 1, now subscribed to t0 only)
/// still reports t1-0, and gets it back.
#[test]
fn sticky_kafka_quirk_previous_owner_no_longer_subscribed() {
    let c = cluster(&[
        ("a", 1),
        ("orders", 3),
        ("t0", 2),
        ("t1", 6),
        ("t2", 6),
        ("topic-10", 5),
    ]);
    let subs = group(vec![
        ("BB", owning(&["t0"], &[], 2)),
        ("c", owning(&["t0", "t1", "t2"], &[("t0", 0)], 1)),
        ("consumer-x", owning(&["t0"], &[], 1)),
        ("g-10", owning(&["t0", "t1", "t2"], &[], 1)),
        ("g-11", owning(&["t0"], &[], 1)),
        ("g-2", owning(&["t0"], &[("t1", 0)], 1)),
    ]);
    let a = run(AssignorKind::Sticky, &c, &subs);
    assert!(a["g-2"].contains(&tp("t1", 0)), "{a:?}");
}

/// Kafka quirk, reproduced as an error: the same `prevAssignment` step calls
/// `currentAssignment.get(previousOwner).size()` for a previous owner that sits out the balancing
/// (it can take no partition), which throws `NullPointerException` in Java.
#[test]
fn sticky_kafka_quirk_null_pointer_for_fixed_previous_owner() {
    let c = cluster(&[("a", 4), ("orders", 6)]);
    let subs = group(vec![
        ("Aa", sub(&["orders"])),
        ("BB", sub(&["orders", "a"])),
        ("consumer-x", sub(&["a"])),
        ("g-10", sub(&["a", "topic-10"])),
        ("g-11", owning(&["topic-10"], &[("a", 0)], 0)),
        ("g-3", sub(&["topic-10"])),
        ("m", owning(&["orders"], &[], 1)),
    ]);
    for kind in STICKIES {
        let err = assign(kind, &c, &subs).unwrap_err();
        assert!(format!("{err}").contains("NullPointerException"), "{err}");
    }
    // The eager assignors are unaffected.
    for kind in [AssignorKind::Range, AssignorKind::RoundRobin] {
        assert!(assign(kind, &c, &subs).is_ok());
    }
}

// ------------------------------------------------------------------------------------------------
// Property tests
// ------------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
#[allow(dead_code)] // `mixed_generations` is shown in the failing case printout only
struct Scenario {
    cluster: BTreeMap<String, u32>,
    subs: BTreeMap<String, Subscription>,
    /// All members subscribe to the same (non-empty) topic list.
    identical: bool,
    /// Members report different generations (otherwise every member owning partitions reports
    /// the same one, as after a completed rebalance).
    mixed_generations: bool,
}

const TOPIC_POOL: [&str; 6] = ["t0", "t1", "t2", "orders", "a", "topic-10"];
const MEMBER_POOL: [&str; 10] = [
    "g-1",
    "g-2",
    "g-10",
    "g-11",
    "g-3",
    "c",
    "Aa",
    "BB",
    "consumer-x",
    "m",
];

fn scenario(force_identical: bool, min_members: usize) -> impl Strategy<Value = Scenario> {
    (
        // partition counts of the pool's topics (0: the topic does not exist)
        prop::collection::vec(0u32..7, TOPIC_POOL.len()),
        prop::sample::subsequence(MEMBER_POOL.to_vec(), min_members..=MEMBER_POOL.len()),
        any::<bool>(),
        // per member: topic mask, owned-partition picks, generation, static?, no generation?
        prop::collection::vec(
            (
                1u8..64,
                prop::collection::vec((0usize..6, 0u32..7), 0..6),
                1i32..5,
                prop::bool::weighted(0.2),
                prop::bool::weighted(0.2),
            ),
            MEMBER_POOL.len(),
        ),
        any::<bool>(),
        any::<bool>(),
        1i32..5,
    )
        .prop_map(
            move |(
                counts,
                members,
                identical,
                per_member,
                unique_owners,
                mixed_generations,
                common_generation,
            )| {
                let identical = identical || force_identical;
                let cluster: BTreeMap<String, u32> = TOPIC_POOL
                    .iter()
                    .zip(&counts)
                    .map(|(t, n)| (t.to_string(), *n))
                    .collect();
                let topics_of = |mask: u8| -> Vec<String> {
                    TOPIC_POOL
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| mask & (1 << i) != 0)
                        .map(|(_, t)| t.to_string())
                        .collect()
                };
                let mut claimed = BTreeSet::new();
                let mut subs = BTreeMap::new();
                for (i, member) in members.iter().enumerate() {
                    let (mask, picks, generation, is_static, no_generation) = &per_member[i];
                    let mask = if identical { per_member[0].0 } else { *mask };
                    // owned partitions: existing partitions only (as Kafka guarantees), possibly
                    // claimed twice; with uniform generations possibly of topics the member no
                    // longer subscribes to (a subscription change). Mixed generations with such
                    // partitions trip Kafka's general path (see the `*_kafka_quirk_*` tests).
                    let mut owned = Vec::new();
                    for (t, p) in picks {
                        let topic = TOPIC_POOL[*t];
                        let count = cluster[topic];
                        if count == 0 || (mixed_generations && mask & (1 << *t) == 0) {
                            continue;
                        }
                        let partition = tp(topic, p % count);
                        if owned.contains(&partition)
                            || (unique_owners && claimed.contains(&partition))
                        {
                            continue;
                        }
                        claimed.insert(partition.clone());
                        owned.push(partition);
                    }
                    let generation = if mixed_generations {
                        (!no_generation).then_some(*generation)
                    } else if owned.is_empty() && *no_generation {
                        None
                    } else {
                        Some(common_generation)
                    };
                    let mut s = Subscription::new(topics_of(mask));
                    s.owned_partitions = owned;
                    s.generation = generation;
                    if *is_static {
                        s.group_instance_id = Some(format!("instance-{}", MEMBER_POOL.len() - i));
                    }
                    subs.insert(member.to_string(), s);
                }
                Scenario {
                    cluster,
                    subs,
                    identical,
                    mixed_generations,
                }
            },
        )
}

/// The partitions that must be assigned: those of subscribed topics that exist.
fn expected_partitions(s: &Scenario) -> BTreeSet<TopicPartition> {
    let subscribed: BTreeSet<&String> = s.subs.values().flat_map(|x| &x.topics).collect();
    subscribed
        .into_iter()
        .flat_map(|t| (0..s.cluster.get(t).copied().unwrap_or(0)).map(move |p| tp(t, p)))
        .collect()
}

/// Each partition at most once, only to a member subscribed to its topic, every member present.
fn check_valid(
    subs: &BTreeMap<String, Subscription>,
    cluster: &BTreeMap<String, u32>,
    a: &Assignment,
) -> Result<BTreeSet<TopicPartition>, TestCaseError> {
    prop_assert_eq!(
        subs.keys().collect::<Vec<_>>(),
        a.keys().collect::<Vec<_>>()
    );
    let mut seen = BTreeSet::new();
    for (m, partitions) in a {
        for p in partitions {
            prop_assert!(
                subs[m].topics.contains(&p.topic),
                "{} got {} unsubscribed",
                m,
                p
            );
            prop_assert!(p.partition < cluster.get(&p.topic).copied().unwrap_or(0));
            prop_assert!(seen.insert(p.clone()), "{} assigned twice", p);
        }
    }
    Ok(seen)
}

fn check_balanced(a: &Assignment) -> Result<(), TestCaseError> {
    let s = sizes(a);
    let (min, max) = (s.iter().min().unwrap(), s.iter().max().unwrap());
    prop_assert!(max - min <= 1, "unbalanced: {:?}", a);
    Ok(())
}

fn proptest_config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(proptest_config())]

    /// range, roundrobin and sticky: each subscribed partition assigned exactly once, only to a
    /// member subscribed to its topic; sticky with identical subscriptions balanced; the result is
    /// deterministic, and for range/roundrobin independent of the members' arrival order (up to
    /// the order of range lists, which follows topic hash buckets).
    #[test]
    fn eager_assignors_assign_every_partition_once(s in scenario(false, 1)) {
        let expected = expected_partitions(&s);
        for kind in [AssignorKind::Range, AssignorKind::RoundRobin, AssignorKind::Sticky] {
            let a = assign(kind, &s.cluster, &s.subs).unwrap();
            let seen = check_valid(&s.subs, &s.cluster, &a)?;
            prop_assert_eq!(&seen, &expected, "{}", kind);
            prop_assert_eq!(&a, &assign(kind, &s.cluster, &s.subs).unwrap());
            if kind == AssignorKind::Sticky && s.identical {
                check_balanced(&a)?;
            }
            if kind != AssignorKind::Sticky {
                let reversed: Vec<(String, Subscription)> =
                    s.subs.iter().rev().map(|(m, x)| (m.clone(), x.clone())).collect();
                let b = assign_ordered(kind, &s.cluster, &reversed).unwrap();
                for (m, partitions) in &a {
                    prop_assert_eq!(as_set(partitions), as_set(&b[m]));
                }
                if kind == AssignorKind::RoundRobin {
                    prop_assert_eq!(&a, &b);
                }
            }
        }
    }

    /// cooperative-sticky never hands a partition to a member that did not own it while another
    /// member owned it; it assigns what eager sticky assigns minus those partitions; after the
    /// follow-up rebalances it converges to a complete assignment, balanced with identical
    /// subscriptions.
    #[test]
    fn cooperative_sticky_withholds_then_converges(s in scenario(false, 1)) {
        let expected = expected_partitions(&s);
        let mut subs = s.subs.clone();
        let mut a = assign(AssignorKind::CooperativeSticky, &s.cluster, &subs).unwrap();
        let mut generation = subs.values().filter_map(|x| x.generation).max().unwrap_or(0);
        for round in 0.. {
            check_valid(&subs, &s.cluster, &a)?;
            let eager = assign(AssignorKind::Sticky, &s.cluster, &subs).unwrap();
            for (m, partitions) in &a {
                for p in partitions {
                    prop_assert!(eager[m].contains(p));
                    if !subs[m].owned_partitions.contains(p) {
                        for (other, x) in &subs {
                            prop_assert!(
                                other == m || !x.owned_partitions.contains(p),
                                "round {}: {} given to {} while {} owns it", round, p, m, other
                            );
                        }
                    }
                }
            }
            let revoking = subs
                .iter()
                .any(|(m, x)| x.owned_partitions.iter().any(|p| !a[m].contains(p)));
            if !revoking {
                break;
            }
            prop_assert!(round < 4, "no convergence");
            generation += 1;
            subs = resubscribe(&subs, &a, generation);
            a = assign(AssignorKind::CooperativeSticky, &s.cluster, &subs).unwrap();
        }
        let seen = check_valid(&subs, &s.cluster, &a)?;
        prop_assert_eq!(&seen, &expected);
        if s.identical {
            check_balanced(&a)?;
        }
    }

    /// With identical subscriptions, after a member leaves, both sticky assignors stay balanced
    /// and every survivor keeps its partitions up to the new quota.
    #[test]
    fn sticky_rebalance_after_member_leaves_is_balanced_and_sticky(s in scenario(true, 2)) {
        let first = assign(AssignorKind::Sticky, &s.cluster, &s.subs).unwrap();
        let mut next = resubscribe(&s.subs, &first, 100);
        let leaving = next.keys().next().unwrap().clone();
        next.remove(&leaving);
        let quota = expected_partitions(&s).len().div_ceil(next.len());
        for kind in STICKIES {
            let second = assign(kind, &s.cluster, &next).unwrap();
            // nothing is being revoked from a survivor below the quota, so cooperative == eager
            check_balanced(&second)?;
            for (m, partitions) in &second {
                let kept = first[m].iter().filter(|p| partitions.contains(p)).count();
                prop_assert_eq!(kept, first[m].len().min(quota), "{} lost partitions needlessly", m);
            }
        }
    }
}
