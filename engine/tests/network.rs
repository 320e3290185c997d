//! `network isolate` and `network partition`: which links the snapshot says are cut, who waits on
//! a lost request and until when, the zombie leader, and the truncation after a heal.

use engine::event::Event;
use engine::lost::Waiting;
use engine::scenario::{self, Action};
use engine::time::{ms, secs};
use engine::{Cluster, Command};

/// 3 brokers, `orders` (3 partitions, RF 3, min.insync 2), a fast keyed producer on orders/0
/// (led by broker 1), played to 10 s.
fn cluster() -> Cluster {
    let src = "brokers 3
topic create orders partitions=3 replication=3 min-insync=2
producer add a topic=orders rate=1000/s key=alice acks=all
group add billing topics=orders consumers=2 offset-reset=earliest
";
    let script = scenario::parse("network", src).expect("the script parses");
    let mut cluster = Cluster::new(1);
    for step in &script.steps {
        if let Action::Cluster(c) = &step.action {
            cluster.apply(c.clone()).expect("the step applies");
        }
    }
    cluster.advance_to(secs(10) + ms(50));
    cluster.drain_events();
    cluster
}

#[test]
fn isolate_cuts_every_link_of_the_broker_and_its_followers_wait_for_their_socket_timeout() {
    let mut c = cluster();
    c.apply(Command::NetworkIsolate { broker: 1 }).unwrap();
    assert!(
        c.apply(Command::NetworkIsolate { broker: 1 }).is_err(),
        "isolating twice is refused"
    );
    c.advance_to(secs(12));
    let s = c.snapshot();
    assert_eq!(s.network.cut_links, vec![(1, 2), (1, 3)]);
    assert_eq!(s.network.isolated.len(), 1);
    let iso = &s.network.isolated[0];
    assert_eq!(iso.broker, 1);
    // Heartbeats every 2 s from 0: the last one before 10.05 s was at 10 s; + 9 s of session.
    assert_eq!(iso.session_expires_us, Some(secs(19)));
    // Broker 2 and 3 fetch orders/0 from broker 1: those fetches are lost, and each follower
    // waits replica.socket.timeout.ms (30 s) from when it sent its fetch.
    for follower in [2, 3] {
        let w = s
            .network
            .waits
            .iter()
            .find(|w| w.sender_broker == Some(follower) && w.what == Waiting::ReplicaFetch)
            .unwrap_or_else(|| panic!("broker {follower} waits on its fetch from broker 1"));
        assert_eq!(w.broker, 1);
        assert!(
            (secs(40)..=secs(40) + ms(60)).contains(&w.until_us),
            "sent at the cut, give or take a fetch: {}",
            w.until_us
        );
    }
    let produce = s
        .network
        .waits
        .iter()
        .find(|w| w.what == Waiting::Produce)
        .expect("the producer waits on broker 1");
    assert_eq!((produce.sender.as_str(), produce.broker), ("a", 1));

    // The zombie: broker 1 believes it leads orders/0 before and after the fencing.
    let p0 = &s.topics[0].partitions[0];
    assert_eq!((p0.leader, p0.zombie_leaders.clone()), (Some(1), vec![1]));
    c.advance_to(secs(19) + ms(10));
    let s = c.snapshot();
    let p0 = &s.topics[0].partitions[0];
    assert_eq!((p0.leader, p0.zombie_leaders.clone()), (Some(2), vec![1]));
    assert!(s.brokers[0].fenced);
    assert_eq!(s.network.isolated[0].session_expires_us, None);

    // The heal: waits lost in the cut go on until their timeouts; then broker 1 truncates what
    // broker 2 never had, and nobody waits any more.
    c.advance_to(secs(60));
    c.drain_events();
    c.apply(Command::NetworkHeal).unwrap();
    c.advance_to(secs(61));
    let s = c.snapshot();
    assert!(s.network.cut_links.is_empty() && s.network.isolated.is_empty());
    assert!(s.topics[0].partitions[0].zombie_leaders.is_empty());
    let waiting: Vec<_> = s
        .network
        .waits
        .iter()
        .filter(|w| w.sender_broker == Some(1))
        .collect();
    assert!(
        !waiting.is_empty(),
        "broker 1's fetches to 2 and 3 sent during the cut still wait"
    );
    let last = waiting.iter().map(|w| w.until_us).max().unwrap();
    c.advance_to(last + secs(3));
    let truncated = c.drain_events().into_iter().any(|e| {
        matches!(e.event, Event::Truncated { broker: 1, partition: 0, from_offset, to_offset, .. } if to_offset < from_offset)
    });
    assert!(truncated, "broker 1 truncates its unreplicated records");
    assert!(c.snapshot().network.waits.is_empty());
    let tp = engine::command::TopicPartition {
        topic: "orders".into(),
        partition: 0,
    };
    let mut isr = c.isr(&tp).unwrap();
    isr.sort();
    assert_eq!(isr, vec![1, 2, 3], "broker 1 is back in the ISR");
    c.check_invariants();
}

#[test]
fn clients_waiting_on_an_isolated_coordinator_do_not_spin() {
    // billing's coordinator (the leader of its __consumer_offsets partition) is on broker 1, so
    // its consumers' heartbeats and commits are lost there. They wait for their timeouts: the
    // simulation does about as much work as without the cut.
    let mut quiet = cluster();
    let mut cut = cluster();
    assert_eq!(cut.snapshot().groups[0].coordinator, Some(1));
    cut.apply(Command::NetworkIsolate { broker: 1 }).unwrap();
    let (q0, c0) = (quiet.timers_fired(), cut.timers_fired());
    quiet.advance_to(secs(100));
    cut.advance_to(secs(100));
    let (q, c) = (quiet.timers_fired() - q0, cut.timers_fired() - c0);
    assert!(c < 2 * q, "{c} timers with broker 1 isolated, {q} without");
    cut.check_invariants();
}

#[test]
fn partition_cuts_only_the_links_between_the_sides_and_fences_no_one() {
    let mut c = cluster();
    c.apply(Command::NetworkPartition {
        side_a: vec![1],
        side_b: vec![3],
    })
    .unwrap();
    c.advance_to(secs(30));
    let s = c.snapshot();
    assert_eq!(s.network.cut_links, vec![(1, 3)]);
    assert!(s.network.isolated.is_empty());
    assert!(s.brokers.iter().all(|b| !b.fenced));
    assert!(
        s.topics[0]
            .partitions
            .iter()
            .all(|p| p.zombie_leaders.is_empty())
    );
    // Broker 3's fetch from broker 1 is lost; broker 2 still replicates from broker 1.
    assert!(
        s.network
            .waits
            .iter()
            .any(|w| w.sender_broker == Some(3) && w.broker == 1)
    );
    assert!(!s.network.waits.iter().any(|w| w.sender_broker == Some(2)));
}
