//! Real Produce requests into the simulated cluster through `playground serve --kafka-port 0`:
//! a Produce v3 (record batch v2, gzip, encoded by the `kafka-protocol` crate as a client's
//! library does) with keyed records, a value that is not UTF-8 and headers; the room's own
//! `expect` lines (over the WebSocket) find them byte for byte (the hex preview where not
//! UTF-8), a broker that does not lead answers NOT_LEADER_OR_FOLLOWER and a partition the topic
//! lacks UNKNOWN_TOPIC_OR_PARTITION.
//!
//! kcat producing and consuming: `kafka_fetch.rs` (librdkafka writes record batch v2 only when
//! the broker also offers Fetch v4+). kcat is used here for `-L` (tests/run installs it).

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ProduceRequest, ProduceResponse, RequestHeader, ResponseHeader, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use playground_tests::kafka::{
    Server, broker_ports, command, expect_eventually as eventually, holds, kcat_metadata, within,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends one Produce v3 (acks=all) of `records` to `topic`/`partition` on `port`; returns the
/// partition's error code and base offset.
async fn produce_v3(
    port: u16,
    topic: &str,
    partition: i32,
    records: &[(&[u8], &[u8])],
) -> (i16, i64) {
    let batch: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(i, (k, v))| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            // The crate's encoder keeps records in one batch while offset − sequence stays
            // the same; the batch's base sequence is the first record's, -1 (no idempotence).
            // Produce v3+ must carry exactly one batch (Kafka's `validateRecords`).
            sequence: i as i32 - 1,
            timestamp: 1_700_000_000_000,
            key: Some(Bytes::copy_from_slice(k)),
            value: Some(Bytes::copy_from_slice(v)),
            headers: [(
                StrBytes::from_static_str("origin"),
                Some(Bytes::from_static(b"test")),
            )]
            .into_iter()
            .collect(),
        })
        .collect();
    let mut records_buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut records_buf,
        &batch,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::Gzip,
        },
    )
    .unwrap();
    let request = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(partition)
                        .with_records(Some(records_buf.freeze())),
                ]),
        ]);
    let mut body = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(ApiKey::Produce as i16)
        .with_request_api_version(3)
        .with_correlation_id(11)
        .with_client_id(Some(StrBytes::from_static_str("raw-test")))
        .encode(&mut body, ApiKey::Produce.request_header_version(3))
        .unwrap();
    request.encode(&mut body, 3).unwrap();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream
        .write_all(&(body.len() as u32).to_be_bytes())
        .await
        .unwrap();
    stream.write_all(&body).await.unwrap();
    let mut size = [0u8; 4];
    within("the Produce answer", stream.read_exact(&mut size))
        .await
        .unwrap();
    let mut answer = vec![0u8; u32::from_be_bytes(size) as usize];
    stream.read_exact(&mut answer).await.unwrap();
    let mut answer = Bytes::from(answer);
    let head = ResponseHeader::decode(&mut answer, 0).unwrap();
    assert_eq!(head.correlation_id, 11);
    let response = ProduceResponse::decode(&mut answer, 3).unwrap();
    let p = &response.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_produce_reaches_the_leader_byte_for_byte_and_a_follower_refuses() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create kp partitions=1 replication=3",
        id,
    )
    .await;
    let mut leader = None;
    for b in 1..=3 {
        id += 1;
        if holds(&mut socket, &format!("expect leader kp/0 == {b}"), id)
            .await
            .0
        {
            leader = Some(b);
        }
    }
    let leader = leader.expect("the partition has a leader");
    let ports = broker_ports(&kcat_metadata(server.kafka, None).await);
    let records: Vec<(&[u8], &[u8])> = vec![
        (b"ada", b"lovelace"),
        (b"grace", b"hopper"),
        (b"bin", &[0xff, 0xfe, 0x00, 0x01]),
    ];
    // The controller names the leader a moment before the broker hears it (KRaft metadata
    // travels): until then the broker answers NOT_LEADER_OR_FOLLOWER (6), and a client retries.
    let mut answer = produce_v3(ports[&leader], "kp", 0, &records).await;
    for _ in 0..50 {
        if answer.0 != 6 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        answer = produce_v3(ports[&leader], "kp", 0, &records).await;
    }
    let (error, base) = answer;
    assert_eq!((error, base), (0, 0), "appended at offset 0, no error");
    for (k, v) in &records {
        let key = std::str::from_utf8(k).unwrap();
        let shown = match std::str::from_utf8(v) {
            Ok(text) => text.to_string(),
            // The page's and `expect`'s hex preview of bytes that are not UTF-8.
            Err(_) => {
                let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
                format!("0x{hex} ({} bytes)", v.len())
            }
        };
        eventually(
            &mut socket,
            &format!("expect value kp/0 key={key} == \"{shown}\""),
            &mut id,
        )
        .await;
    }
    let n = records.len();
    eventually(&mut socket, &format!("expect acked kp == {n}"), &mut id).await;
    eventually(&mut socket, "expect lost kp == 0", &mut id).await;
    eventually(&mut socket, &format!("expect records kp/0 == {n}"), &mut id).await;

    // Kafka's NOT_LEADER_OR_FOLLOWER (6) from a broker that does not lead; UNKNOWN_TOPIC_OR_
    // PARTITION (3) for a partition the topic does not have. Neither appends anything.
    let follower = (1..=3).find(|&b| b != leader).unwrap();
    assert_eq!(produce_v3(ports[&follower], "kp", 0, &records).await.0, 6);
    assert_eq!(produce_v3(ports[&leader], "kp", 5, &records).await.0, 3);
    eventually(&mut socket, &format!("expect records kp/0 == {n}"), &mut id).await;
}
