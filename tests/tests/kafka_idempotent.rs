//! Issue 15's must-show: a leader killed by a room command while an idempotent acks=all
//! producer is writing loses nothing and duplicates nothing.
//!
//! confluent-kafka (librdkafka) with `enable.idempotence=True` gets its producer id from
//! InitProducerId and writes 2,000 numbered keyed records to a topic with replication factor 3;
//! a quarter in, `broker kill` (the room's own console line, over its WebSocket) kills the
//! leader of partition 0 while records are in flight. librdkafka retries the unanswered batches
//! with their sequence numbers at the new leader, whose producer state was rebuilt from the
//! replicated batches: what was already appended is answered as a duplicate, the rest appended.
//! Every number is then in the log exactly once, in order per partition: read back with a real
//! consumer, and counted by the room's `expect` lines.
//!
//! Then the same rules over raw requests (the `kafka-protocol` crate, as a client library
//! encodes them): InitProducerId's answers, a retried batch answered with its original offset,
//! a gap refused with OUT_OF_ORDER_SEQUENCE_NUMBER, an older epoch with INVALID_PRODUCER_EPOCH.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, InitProducerIdRequest, InitProducerIdResponse, ProduceRequest, ProduceResponse,
    ProducerId, TopicName, TransactionalId,
};
use kafka_protocol::protocol::{Decodable, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use playground_tests::kafka::{
    Server, broker_ports, command, expect_eventually, holds, kcat_metadata, python, round_trip,
};
use serde_json::Value;
use tokio::net::TcpStream;

const TOPIC: &str = "idem";
const PARTITIONS: u64 = 3;
const COUNT: u64 = 2000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_killed_mid_write_loses_and_duplicates_nothing_for_an_idempotent_producer() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        &format!("topic create {TOPIC} partitions={PARTITIONS} replication=3"),
        id,
    )
    .await;

    let script = format!(
        "{}/python/confluent_idempotent.py",
        env!("CARGO_MANIFEST_DIR")
    );
    // Every broker as bootstrap: the read-back starts after one of them is dead.
    let bootstrap = broker_ports(&kcat_metadata(server.kafka, None).await)
        .values()
        .map(|port| format!("127.0.0.1:{port}"))
        .collect::<Vec<_>>()
        .join(",");
    let mut child = Command::new(python())
        .args([
            script,
            bootstrap,
            TOPIC.into(),
            PARTITIONS.to_string(),
            COUNT.to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the venv's python runs (tests/run installs confluent-kafka)");
    // librdkafka logs every refused reconnection while the leader is dead: its stderr is read
    // as it comes, so that a full pipe never stops the client.
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut text);
        text
    });
    let mut stdin = child.stdin.take().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<Value>();
    std::thread::spawn(move || {
        for line in stdout.lines() {
            let Ok(line) = line else { return };
            let value = serde_json::from_str(&line).expect("JSON lines");
            if lines_tx.send(value).is_err() {
                return;
            }
        }
    });
    let next = async |lines: &mut tokio::sync::mpsc::UnboundedReceiver<Value>, limit: u64| {
        tokio::time::timeout(Duration::from_secs(limit), lines.recv())
            .await
            .expect("the client's next line in time")
            .expect("the client printed it before exiting")
    };

    // A quarter delivered: kill partition 0's leader, then tell the client.
    let ready = next(&mut lines, 60).await;
    assert!(ready.get("ready").is_some(), "{ready}");
    let mut leader = None;
    for b in 1..=3 {
        id += 1;
        if holds(&mut socket, &format!("expect leader {TOPIC}/0 == {b}"), id)
            .await
            .0
        {
            leader = Some(b);
        }
    }
    let leader = leader.expect("partition 0 has a leader");
    id += 1;
    command(&mut socket, &format!("broker kill {leader}"), id).await;
    writeln!(stdin, "killed").unwrap();
    stdin.flush().unwrap();

    // The rest of the writing (the new leader is elected after broker.session.timeout.ms), the
    // flush and the read-back.
    let read = next(&mut lines, 240).await;
    let summary = next(&mut lines, 30).await;
    let status = child.wait().unwrap();
    let logs = logs.join().unwrap();
    assert!(status.success(), "the client failed: {logs}");

    assert_eq!(summary["left"], 0, "everything delivered: {summary}");
    assert_eq!(summary["errors"], serde_json::json!([]), "{summary}");
    assert_eq!(summary["delivered"], COUNT, "{summary}");

    // The kill really landed mid-write: some records delivered and not all, and partition 0
    // had records produced but not yet delivered (queued or in flight to the leader).
    let at_kill = &summary["at_kill"];
    let produced_at_kill: Vec<u64> = serde_json::from_value(at_kill["produced"].clone())
        .unwrap_or_else(|_| panic!("the client noted the kill: {summary}"));
    let delivered_at_kill: Vec<u64> = serde_json::from_value(at_kill["delivered"].clone()).unwrap();
    let delivered: u64 = delivered_at_kill.iter().sum();
    assert!(
        delivered > 0 && delivered < COUNT,
        "killed mid-write: {at_kill}"
    );
    assert!(
        produced_at_kill.iter().sum::<u64>() < COUNT,
        "records were still being written after the kill: {at_kill}"
    );

    // Every number exactly once, on librdkafka's keyed partition, ascending in each partition
    // (the order it was written), at consecutive offsets.
    let read = read["read"].as_array().expect("the records read");
    let mut seen: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    let mut per_partition: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
    for r in read {
        let (p, offset, n) = (
            r[0].as_u64().unwrap(),
            r[1].as_u64().unwrap(),
            r[2].as_u64().unwrap(),
        );
        assert!(
            seen.insert(n, (p, offset)).is_none(),
            "{n} read twice: {:?} and {:?}",
            seen[&n],
            (p, offset)
        );
        assert_eq!(
            p,
            u64::from(crc32fast::hash(n.to_string().as_bytes())) % PARTITIONS,
            "{n} on its keyed partition"
        );
        per_partition.entry(p).or_default().push((offset, n));
    }
    assert_eq!(seen.len() as u64, COUNT, "every number read");
    // Partition 0 was written across its leader's death: records produced after the kill went
    // first to the dead leader (the client's metadata still named it), then to the new one.
    // (Whether one was in flight at the very instant of the kill is chance: with an answer in
    // a few milliseconds, often none is.)
    assert!(
        per_partition.get(&0).map_or(0, Vec::len) as u64 > produced_at_kill[0],
        "partition 0 was written after its leader died: {at_kill}"
    );
    for (p, records) in &per_partition {
        for w in records.windows(2) {
            assert!(
                w[0].1 < w[1].1 && w[1].0 == w[0].0 + 1,
                "partition {p}: {:?} then {:?}",
                w[0],
                w[1]
            );
        }
    }

    // The room agrees: each partition's log holds exactly its share, nothing acknowledged was
    // lost, and partition 0 has a new leader.
    for (p, records) in &per_partition {
        expect_eventually(
            &mut socket,
            &format!("expect records {TOPIC}/{p} == {}", records.len()),
            &mut id,
        )
        .await;
    }
    expect_eventually(&mut socket, &format!("expect lost {TOPIC} == 0"), &mut id).await;
    expect_eventually(
        &mut socket,
        &format!("expect acked {TOPIC} == {COUNT}"),
        &mut id,
    )
    .await;
    expect_eventually(
        &mut socket,
        &format!("expect leader {TOPIC}/0 != {leader}"),
        &mut id,
    )
    .await;
}

async fn init_producer_id(
    stream: &mut TcpStream,
    version: i16,
    transactional_id: Option<&str>,
) -> InitProducerIdResponse {
    let request = InitProducerIdRequest::default()
        .with_transactional_id(
            transactional_id.map(|t| TransactionalId(StrBytes::from_string(t.to_string()))),
        )
        .with_transaction_timeout_ms(60_000)
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1);
    let mut body = round_trip(
        stream,
        ApiKey::InitProducerId,
        version,
        1,
        "raw-idempotent",
        request,
    )
    .await;
    InitProducerIdResponse::decode(&mut body, version).unwrap()
}

/// A Produce v9 (acks=all) of one idempotent batch: `n` records numbered from `seq`, with
/// the producer id, epoch and base sequence in the batch header. Its error and base offset.
async fn produce(stream: &mut TcpStream, pid: i64, epoch: i16, seq: i32, n: i32) -> (i16, i64) {
    let records: Vec<Record> = (0..n)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: pid,
            producer_epoch: epoch,
            timestamp_type: TimestampType::Creation,
            offset: i64::from(i),
            // The crate's encoder keeps records in one batch while offset − sequence stays
            // the same: the batch's base sequence is the first record's.
            sequence: seq + i,
            timestamp: 1_700_000_000_000,
            key: Some(Bytes::from((seq + i).to_string())),
            value: Some(Bytes::from_static(b"v")),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_static_str("raw")))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(buf.freeze())),
                ]),
        ]);
    let mut body = round_trip(stream, ApiKey::Produce, 9, 2, "raw-idempotent", request).await;
    let response = ProduceResponse::decode(&mut body, 9).unwrap();
    let p = &response.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_requests_get_kafkas_answers_for_duplicates_gaps_and_old_epochs() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create raw partitions=1 replication=3",
        id,
    )
    .await;
    let mut leader = None;
    for b in 1..=3 {
        id += 1;
        if holds(&mut socket, &format!("expect leader raw/0 == {b}"), id)
            .await
            .0
        {
            leader = Some(b);
        }
    }
    let leader = leader.expect("the partition has a leader");
    let ports = broker_ports(&kcat_metadata(server.kafka, None).await);
    let mut stream = TcpStream::connect(("127.0.0.1", ports[&leader]))
        .await
        .unwrap();

    // InitProducerId: a new id with epoch 0 without a transactional id (v0 and v4 alike);
    // NOT_COORDINATOR (16) for a transactional id: no broker here coordinates transactions.
    let first = init_producer_id(&mut stream, 4, None).await;
    assert_eq!((first.error_code, first.producer_epoch), (0, 0));
    let second = init_producer_id(&mut stream, 0, None).await;
    assert_eq!(second.producer_id.0, first.producer_id.0 + 1);
    let txn = init_producer_id(&mut stream, 4, Some("tx")).await;
    assert_eq!(
        (txn.error_code, txn.producer_id.0, txn.producer_epoch),
        (16, -1, -1)
    );
    let pid = first.producer_id.0;

    // Until the broker hears it leads (KRaft metadata travels): NOT_LEADER_OR_FOLLOWER (6).
    let mut answer = produce(&mut stream, pid, 0, 0, 3).await;
    for _ in 0..50 {
        if answer.0 != 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = produce(&mut stream, pid, 0, 0, 3).await;
    }
    assert_eq!(answer, (0, 0), "sequences 0-2 at offset 0");
    assert_eq!(produce(&mut stream, pid, 0, 3, 2).await, (0, 3));
    // The retry of a batch already appended: no error, its original offset, nothing appended.
    assert_eq!(produce(&mut stream, pid, 0, 0, 3).await, (0, 0));
    assert_eq!(produce(&mut stream, pid, 0, 3, 2).await, (0, 3));
    // A gap: OUT_OF_ORDER_SEQUENCE_NUMBER (45).
    assert_eq!(produce(&mut stream, pid, 0, 7, 1).await, (45, -1));
    // A new epoch must start at 0; then the old epoch is fenced: INVALID_PRODUCER_EPOCH (47).
    assert_eq!(produce(&mut stream, pid, 1, 5, 1).await, (45, -1));
    assert_eq!(produce(&mut stream, pid, 1, 0, 1).await, (0, 5));
    assert_eq!(produce(&mut stream, pid, 0, 5, 1).await, (47, -1));
    // Another producer id the partition has no state for: any sequence (KIP-360).
    assert_eq!(
        produce(&mut stream, second.producer_id.0, 0, 9, 1).await,
        (0, 6)
    );

    // The room's log: 7 records, each appended once.
    expect_eventually(&mut socket, "expect records raw/0 == 7", &mut id).await;
    expect_eventually(&mut socket, "expect acked raw == 7", &mut id).await;
}
