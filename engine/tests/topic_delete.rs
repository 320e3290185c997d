//! `topic delete`: the topic's replicas and logs go from every broker, waiting acks=all produces
//! are answered UNKNOWN_TOPIC_OR_PARTITION, groups lose its committed offsets, the group's
//! leader rejoins so its partitions leave the assignment, its producers' batches fail after
//! `delivery.timeout.ms`, and a topic created again under the name starts from offset 0.

use engine::command::TopicPartition;
use engine::event::{ErrorCode, Event};
use engine::scenario::{self, Action};
use engine::time::{ms, secs};
use engine::{Cluster, Command, CommandError};

fn tp(topic: &str, partition: u32) -> TopicPartition {
    TopicPartition {
        topic: topic.into(),
        partition,
    }
}

fn play(src: &str) -> Cluster {
    let script = scenario::parse("topic-delete", src).expect("the script parses");
    let mut cluster = Cluster::new(7);
    for step in &script.steps {
        if let Action::Cluster(c) = &step.action {
            cluster.apply(c.clone()).expect("the step applies");
        }
    }
    cluster
}

/// Two topics, a producer on each, one group reading both; played to 10 s.
fn cluster() -> Cluster {
    let mut c = play(
        "brokers 3 latency=20ms
topic create orders partitions=3 replication=3 min-insync=2
topic create audit partitions=2 replication=2
producer add p topic=orders rate=500/s acks=all
producer add q topic=audit rate=100/s acks=all
group add billing topics=orders,audit consumers=2 offset-reset=earliest
",
    );
    c.advance_to(secs(20) + ms(7));
    c.check_invariants();
    c
}

fn delete(c: &mut Cluster, name: &str) -> Result<(), CommandError> {
    c.apply(Command::TopicDelete { name: name.into() })
}

fn assigned(c: &Cluster) -> Vec<TopicPartition> {
    let mut all: Vec<TopicPartition> = ["billing-1", "billing-2"]
        .iter()
        .flat_map(|m| c.group_assigned("billing", m).unwrap_or_default())
        .collect();
    all.sort();
    all
}

#[test]
fn the_topic_leaves_every_broker_and_its_waiting_produces_fail_unknown() {
    let mut c = cluster();
    assert!(c.log_end_offset(&tp("orders", 0)).unwrap() > 0);
    c.drain_events();
    delete(&mut c, "orders").unwrap();
    c.check_invariants();
    assert!(!c.has_topic("orders"));
    assert_eq!(c.topic_names(), vec!["audit".to_string()]);
    assert_eq!(c.leader(&tp("orders", 0)), None);
    assert_eq!(c.log_end_offset(&tp("orders", 0)), None);
    let events = c.drain_events();
    assert!(events.iter().any(|e| matches!(&e.event,
        Event::TopicDeleted { topic, partitions: 3 } if topic == "orders")));
    assert!(!c.snapshot().topics.iter().any(|t| t.name == "orders"));
    // acks=all requests waiting in purgatory at the delete come back retriable, and the
    // producer's later sends find no leader in its metadata.
    c.advance_to(secs(21));
    c.check_invariants();
    let events = c.drain_events();
    assert!(
        events.iter().any(|e| matches!(&e.event,
            Event::ProduceRetried { topic, error: ErrorCode::UnknownTopicOrPartition, .. }
            if topic == "orders")),
        "a produce in flight at the delete is answered UNKNOWN_TOPIC_OR_PARTITION"
    );
    assert!(
        !events.iter().any(|e| matches!(&e.event,
            Event::RecordsAppended { topic, .. } if topic == "orders")),
        "nothing is appended to a deleted topic"
    );
    // The logs' records are freed once no log holds their store chunks (the record store is
    // shared by all topics, so the other topic goes too).
    let freed = c.records_freed();
    delete(&mut c, "audit").unwrap();
    c.advance_to(secs(22));
    c.check_invariants();
    assert!(
        c.records_freed() > freed,
        "the deleted logs' records are reclaimed"
    );
}

#[test]
fn groups_lose_the_offsets_and_rebalance_onto_the_other_topic() {
    let mut c = cluster();
    assert!(
        c.group_committed("billing", &tp("orders", 1))
            .unwrap()
            .is_some()
    );
    let audit_committed = c.group_committed("billing", &tp("audit", 0)).unwrap();
    assert!(audit_committed.is_some());
    assert_eq!(assigned(&c).len(), 5);
    let generation = c.group_generation("billing").unwrap();
    delete(&mut c, "orders").unwrap();
    assert_eq!(c.group_committed("billing", &tp("orders", 1)), Some(None));
    assert!(c.group_committed("billing", &tp("audit", 0)).unwrap() >= audit_committed);
    c.advance_to(secs(30));
    c.check_invariants();
    assert!(c.group_generation("billing").unwrap() > generation);
    assert_eq!(assigned(&c), vec![tp("audit", 0), tp("audit", 1)]);
    // The other topic is still read and committed after the rebalance.
    let after = c.group_committed("billing", &tp("audit", 0)).unwrap();
    c.advance_to(secs(40));
    assert!(c.group_committed("billing", &tp("audit", 0)).unwrap() > after);
}

#[test]
fn producers_of_the_deleted_topic_fail_after_the_delivery_timeout() {
    let mut c = cluster();
    delete(&mut c, "orders").unwrap();
    // delivery.timeout.ms is 120 s: the batches made after the delete fail from then on.
    c.advance_to(secs(150));
    c.check_invariants();
    let s = c.snapshot();
    let p = s.producers.iter().find(|p| p.name == "p").unwrap();
    assert!(p.counts.failed > 0, "batches expire: {:?}", p.counts);
    let q = s.producers.iter().find(|p| p.name == "q").unwrap();
    assert_eq!(
        q.counts.failed, 0,
        "the other topic's producer is untouched"
    );
    assert!(c.acked("orders").is_none());
}

#[test]
fn a_topic_created_again_is_a_new_topic_from_offset_zero() {
    let mut c = cluster();
    let old_end = c.log_end_offset(&tp("orders", 0)).unwrap();
    assert!(old_end > 100);
    delete(&mut c, "orders").unwrap();
    c.advance_to(secs(25));
    let script = scenario::parse(
        "again",
        "brokers 3\ntopic create orders partitions=3 replication=3",
    )
    .expect("parses");
    let Action::Cluster(create) = &script.steps[1].action else {
        panic!("a cluster command")
    };
    c.apply(create.clone()).unwrap();
    c.advance_to(secs(26));
    c.check_invariants();
    assert_eq!(c.log_end_offset(&tp("orders", 0)), Some(0));
    // The old producer is bound to the deleted topic: it writes nothing to the new one.
    c.advance_to(secs(40));
    assert_eq!(c.log_end_offset(&tp("orders", 0)), Some(0));
    // The group's leader sees the topic back in its metadata (at the latest when
    // metadata.max.age.ms runs out) and the group reads it again from offset 0.
    c.advance_to(secs(340));
    c.check_invariants();
    assert_eq!(assigned(&c).len(), 5);
}

#[test]
fn internal_unknown_and_busy_topics_are_refused_and_nothing_changes() {
    let mut c = cluster();
    let before = c.topic_names();
    let err = delete(&mut c, "__consumer_offsets").unwrap_err();
    assert!(err.to_string().contains("internal topic"), "{err}");
    assert_eq!(
        delete(&mut c, "nope").unwrap_err(),
        CommandError::UnknownTopic("nope".into())
    );
    assert_eq!(c.topic_names(), before);
    assert!(c.log_end_offset(&tp("orders", 0)).unwrap() > 0);
    delete(&mut c, "orders").unwrap();
    assert_eq!(
        delete(&mut c, "orders").unwrap_err(),
        CommandError::UnknownTopic("orders".into())
    );
}

#[test]
fn a_topic_a_streams_app_reads_is_refused() {
    let mut c = play(
        "brokers 1
topic create lines partitions=1 replication=1
topic create counts partitions=1 replication=1
topic create spare partitions=1 replication=1
streams app wc
  stream lines
  flatMapValues: split(lower(value))
  to counts
end
",
    );
    c.advance_to(secs(2));
    let err = delete(&mut c, "lines").unwrap_err();
    assert!(
        err.to_string().contains("Kafka Streams application 'wc'"),
        "{err}"
    );
    assert!(delete(&mut c, "counts").is_err());
    assert!(c.has_topic("lines") && c.has_topic("counts"));
    delete(&mut c, "spare").unwrap();
}
