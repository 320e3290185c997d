//! Real Kafka clients in the engine (`client::external`): a Produce given to the broker the
//! client reached goes through the leader's own handler; a broker that does not lead answers
//! NOT_LEADER_OR_FOLLOWER; bytes and headers are kept, shown as text where UTF-8 and as a hex
//! preview where not; acked and lost are counted as for simulated producers.

use engine::Cluster;
use engine::client::external::{ExternalPartition, ExternalProduce, ExternalRecord, ProducerBatch};
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
            producer: None,
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

/// An idempotent batch of `n` records (`k<first>`…) with producer id `pid`, from `client`.
fn idempotent(
    client: u32,
    broker: u32,
    token: u64,
    pid: i64,
    epoch: i16,
    seq: i32,
    n: i32,
) -> Command {
    Command::ExternalProduce(ExternalProduce {
        client,
        broker,
        token,
        acks: Acks::All,
        timeout_us: 30_000_000,
        partitions: vec![ExternalPartition {
            topic: "t".into(),
            partition: 0,
            producer: Some(ProducerBatch {
                producer_id: pid,
                epoch,
                base_sequence: seq,
            }),
            records: (seq..seq + n)
                .map(|i| record(format!("k{i}").as_bytes(), b"v"))
                .collect(),
        }],
    })
}

#[test]
fn an_idempotent_producers_retries_are_deduplicated_by_the_leader_and_its_successor() {
    let mut c = cluster();
    for id in [7, 8] {
        c.apply(Command::ExternalClientAdd {
            id,
            name: "rdkafka".into(),
        })
        .unwrap();
    }
    let leader = c.leader(&tp(0)).flatten().expect("a leader");
    let pid = c.init_producer_id(leader).expect("broker up");
    assert_eq!(c.init_producer_id(leader), Some(pid + 1));

    // Sequences 0-2 then 3-4: appended at 0 and 3.
    c.apply(idempotent(7, leader, 1, pid, 0, 0, 3)).unwrap();
    c.apply(idempotent(7, leader, 2, pid, 0, 3, 2)).unwrap();
    let got = answers(&mut c);
    assert_eq!(got[0].parts[0].result, Ok(Some(0)));
    assert_eq!(got[1].parts[0].result, Ok(Some(3)));
    // A retry of the first batch: its original offset, nothing appended (Kafka's duplicate).
    c.apply(idempotent(7, leader, 3, pid, 0, 0, 3)).unwrap();
    assert_eq!(answers(&mut c)[0].parts[0].result, Ok(Some(0)));
    // A gap, an older epoch's batch after a new epoch, a new epoch not at 0.
    c.apply(idempotent(7, leader, 4, pid, 0, 9, 1)).unwrap();
    assert_eq!(
        answers(&mut c)[0].parts[0].result,
        Err(ErrorCode::OutOfOrderSequenceNumber)
    );
    c.apply(idempotent(7, leader, 5, pid, 1, 4, 1)).unwrap();
    assert_eq!(
        answers(&mut c)[0].parts[0].result,
        Err(ErrorCode::OutOfOrderSequenceNumber)
    );
    // An unknown producer id is accepted at any sequence (KIP-360).
    c.apply(idempotent(7, leader, 6, pid + 1, 0, 40, 1))
        .unwrap();
    assert_eq!(answers(&mut c)[0].parts[0].result, Ok(Some(5)));
    assert_eq!(c.high_watermark(&tp(0)), Some(6));

    // The leader dies: the new leader rebuilt the producer's state from the replicated records,
    // so the client's retry of the second batch (from another connection) is a duplicate there.
    c.apply(Command::BrokerKill { broker: leader }).unwrap();
    c.advance_to(c.now() + 10_000_000);
    let new = c.leader(&tp(0)).flatten().expect("a new leader");
    assert_ne!(new, leader);
    c.apply(idempotent(8, new, 1, pid, 0, 3, 2)).unwrap();
    assert_eq!(answers(&mut c)[0].parts[0].result, Ok(Some(3)));
    c.apply(idempotent(8, new, 2, pid, 0, 5, 2)).unwrap();
    assert_eq!(answers(&mut c)[0].parts[0].result, Ok(Some(6)));
    c.apply(idempotent(8, new, 3, pid, 0, 8, 1)).unwrap();
    assert_eq!(
        answers(&mut c)[0].parts[0].result,
        Err(ErrorCode::OutOfOrderSequenceNumber)
    );
    assert_eq!(c.log_end_offset(&tp(0)), Some(8));
    assert_eq!(c.lost(Some("t")), Some(0));
    // Each record counted acknowledged once: the duplicates' answers add nothing.
    assert_eq!(c.acked("t"), Some(8));
    assert_eq!(
        c.init_producer_id(leader),
        None,
        "a dead broker hands out nothing"
    );
}
