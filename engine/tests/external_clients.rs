//! Real Kafka clients in the engine (`client::external`): a Produce given to the broker the
//! client reached goes through the leader's own handler; a broker that does not lead answers
//! NOT_LEADER_OR_FOLLOWER; bytes and headers are kept, shown as text where UTF-8 and as a hex
//! preview where not; acked and lost are counted as for simulated producers.

use engine::Cluster;
use engine::client::external::{ExternalPartition, ExternalProduce, ExternalRecord};
use engine::command::{Acks, Command, TopicPartition};
use engine::event::ErrorCode;

fn cluster() -> Cluster {
    let script = engine::scenario::parse(
        "external",
        "brokers 3\ntopic create t partitions=2 replication=3\nwait 5s\n",
    )
    .expect("parses");
    engine::runner::run(&script, |_| {}).1
}

fn tp(partition: u32) -> TopicPartition {
    TopicPartition {
        topic: "t".into(),
        partition,
    }
}

fn record(key: &[u8], value: &[u8]) -> ExternalRecord {
    ExternalRecord {
        key: Some(key.to_vec()),
        value: Some(value.to_vec()),
        headers: vec![("origin".into(), Some(b"test".to_vec()))],
        timestamp_ms: 1_700_000_000_000,
    }
}

fn produce(broker: u32, token: u64, acks: Acks, partition: i32) -> Command {
    Command::ExternalProduce(ExternalProduce {
        client: 7,
        broker,
        token,
        acks,
        timeout_us: 30_000_000,
        partitions: vec![ExternalPartition {
            topic: "t".into(),
            partition,
            records: vec![record(b"ada", b"lovelace"), record(b"bin", &[0xff, 0x00])],
        }],
    })
}

/// Plays a second and returns what the real clients got.
fn answers(c: &mut Cluster) -> Vec<engine::client::external::ExternalResponse> {
    c.advance_to(c.now() + 1_000_000);
    c.drain_external()
}

#[test]
fn a_real_clients_produce_goes_through_the_leader_and_comes_back_answered() {
    let mut c = cluster();
    c.apply(Command::ExternalClientAdd {
        id: 7,
        name: "rdkafka".into(),
    })
    .unwrap();
    let leader = c.leader(&tp(0)).flatten().expect("a leader");
    c.apply(produce(leader, 1, Acks::All, 0)).unwrap();
    let got = answers(&mut c);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].client, got[0].token), (7, 1));
    assert_eq!(got[0].parts[0].result, Ok(Some(0)));
    assert_eq!(c.acked("t"), Some(2));
    assert_eq!(c.lost(Some("t")), Some(0));
    assert_eq!(c.latest_value(&tp(0), "ada"), Some(Some("lovelace".into())));
    assert_eq!(
        c.latest_value(&tp(0), "bin"),
        Some(Some("0xff00 (2 bytes)".into()))
    );

    // A broker that does not lead the partition refuses, as Kafka's does.
    let follower = (1..=3).find(|&b| b != leader).unwrap();
    c.apply(produce(follower, 2, Acks::One, 0)).unwrap();
    let got = answers(&mut c);
    assert_eq!(got[0].parts[0].result, Err(ErrorCode::NotLeaderOrFollower));
    assert_eq!(c.acked("t"), Some(2));

    // A partition the topic does not have: answered without a round trip.
    c.apply(produce(leader, 3, Acks::One, 9)).unwrap();
    let got = c.drain_external();
    assert_eq!(
        got[0].parts[0].result,
        Err(ErrorCode::UnknownTopicOrPartition)
    );

    // acks=0: no answer at all, the records counted as sent.
    let leader1 = c.leader(&tp(1)).flatten().expect("a leader");
    c.apply(produce(leader1, 4, Acks::Zero, 1)).unwrap();
    assert!(answers(&mut c).is_empty());
    assert_eq!(c.acked("t"), Some(4));

    // A client that closed gets nothing more.
    c.apply(produce(leader, 5, Acks::All, 0)).unwrap();
    c.apply(Command::ExternalClientRemove { id: 7 }).unwrap();
    assert!(answers(&mut c).is_empty());
    assert!(c.apply(produce(leader, 6, Acks::All, 0)).is_err());
}
