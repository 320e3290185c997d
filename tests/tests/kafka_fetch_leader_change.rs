//! A real client's long-poll Fetch parked at a leader is answered at once when that broker stops
//! leading the partition, as Kafka's `DelayedFetch.tryComplete` completes it (Case A, and the
//! fenced epoch it then meets), not at its `max_wait_ms`.

use std::time::{Duration, Instant};

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::{ApiKey, BrokerId, FetchRequest, FetchResponse, TopicName};
use kafka_protocol::protocol::{Decodable, StrBytes};
use playground_tests::kafka::{
    Server, broker_ports, command, expect_eventually, holds, kcat_metadata, read_response,
    send_request,
};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

const FENCED_LEADER_EPOCH: i16 = 74;
/// The fetch's own wait: far longer than the test allows for the answer.
const MAX_WAIT_MS: i32 = 25_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_fetch_is_answered_when_its_broker_loses_the_leadership() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create moved partitions=1 replication=3",
        id,
    )
    .await;
    for i in 0..3 {
        id += 1;
        command(&mut socket, &format!("produce moved value=m{i}"), id).await;
    }
    expect_eventually(&mut socket, "expect hw moved/0 == 3", &mut id).await;
    // Broker 1, the preferred leader, dies and comes back: broker 2 leads at epoch 1, and
    // `elect-leaders` will give the partition back to broker 1 while broker 2 stays up.
    id += 1;
    command(&mut socket, "broker kill 1", id).await;
    expect_eventually(&mut socket, "expect leader moved/0 == 2", &mut id).await;
    id += 1;
    command(&mut socket, "broker restart 1", id).await;
    expect_eventually(&mut socket, "expect isr moved/0 == 1,2,3", &mut id).await;
    id += 1;
    assert!(
        holds(&mut socket, "expect leader-epoch moved/0 == 1", id)
            .await
            .0
    );

    let ports = broker_ports(&kcat_metadata(server.kafka, None).await);
    let mut stream = TcpStream::connect(("127.0.0.1", ports[&2])).await.unwrap();
    // A Fetch v12 at the log end: nothing to return, so broker 2 parks it for 25 s.
    let request = FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(MAX_WAIT_MS)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_session_id(0)
        .with_session_epoch(-1)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_static_str("moved")))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_current_leader_epoch(1)
                        .with_fetch_offset(3)
                        .with_last_fetched_epoch(-1)
                        .with_log_start_offset(-1)
                        .with_partition_max_bytes(1 << 20),
                ]),
        ]);
    let version = 12;
    send_request(&mut stream, ApiKey::Fetch, version, 5, "parked", request).await;
    // The fetch is parked (nothing comes back for a while), then the leadership moves.
    let mut size = [0u8; 4];
    let early =
        tokio::time::timeout(Duration::from_millis(500), stream.read_exact(&mut size)).await;
    assert!(
        early.is_err(),
        "the fetch waits while there is nothing to read"
    );
    let moved = Instant::now();
    id += 1;
    command(&mut socket, "elect-leaders", id).await;
    let mut answer = tokio::time::timeout(
        Duration::from_secs(10),
        read_response(&mut stream, ApiKey::Fetch, version, 5),
    )
    .await
    .expect("answered when broker 2 stopped leading, not at max_wait_ms");
    assert!(moved.elapsed() < Duration::from_millis(MAX_WAIT_MS as u64 / 2));
    let response = FetchResponse::decode(&mut answer, version).unwrap();
    let p = &response.responses[0].partitions[0];
    // Broker 2 learnt the new leader at epoch 2: the fetch's epoch 1 is checked first and is
    // fenced, as `Partition.fetchRecords` checks the epoch before the leadership.
    assert_eq!(p.error_code, FENCED_LEADER_EPOCH, "{response:?}");
    id += 1;
    assert!(holds(&mut socket, "expect leader moved/0 == 1", id).await.0);
}
