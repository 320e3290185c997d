//! DeleteTopics on the Kafka listener against `playground serve --kafka-port 0`: kafka-python's
//! KafkaAdminClient and confluent-kafka's AdminClient delete a topic (the room's `expect` and
//! `kcat -L` no longer see it), get UNKNOWN_TOPIC_OR_PARTITION for a missing one and
//! POLICY_VIOLATION for `__consumer_offsets`; a raw request with a name given twice gets
//! INVALID_REQUEST "Duplicate topic name." and deletes nothing of that name.

use std::time::Duration;

use kafka_protocol::messages::{ApiKey, DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use kafka_protocol::protocol::{Decodable, StrBytes};
use playground_tests::kafka::{
    Server, command, expect_eventually, holds, kcat_metadata, python, round_trip, run_client,
};
use serde_json::Value;
use tokio::net::TcpStream;

const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const INVALID_REQUEST: i16 = 42;

/// Whether kcat's full listing (`kcat -L`, no topic named: nothing is auto-created) names it.
async fn listed(port: u16, topic: &str) -> bool {
    let meta = kcat_metadata(port, None).await;
    meta["topics"]
        .as_array()
        .expect("a topic list")
        .iter()
        .any(|t| t["topic"] == topic)
}

async fn admin_client_deletes(library: &str, topic: &str) {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        &format!("topic create {topic} partitions=2 replication=2"),
        id,
    )
    .await;
    id += 1;
    command(
        &mut socket,
        &format!("group add readers topics={topic} offset-reset=earliest"),
        id,
    )
    .await;
    id += 1;
    command(
        &mut socket,
        &format!("producer add p topic={topic} rate=20/s"),
        id,
    )
    .await;
    expect_eventually(
        &mut socket,
        &format!("expect committed readers {topic}/0 != none"),
        &mut id,
    )
    .await;
    assert!(listed(server.kafka, topic).await);
    let script = format!("{}/python/delete_topics.py", env!("CARGO_MANIFEST_DIR"));
    let out = run_client(
        library,
        python(),
        vec![
            script,
            library.into(),
            format!("127.0.0.1:{}", server.kafka),
            topic.into(),
        ],
        Vec::new(),
        Duration::from_secs(90),
    )
    .await;
    let seen: Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(seen["deleted"], "ok", "{seen}");
    let unknown = match library {
        "kafka-python" => "UnknownTopicOrPartitionError",
        _ => "UNKNOWN_TOPIC_OR_PART",
    };
    assert_eq!(seen["again"], unknown, "{seen}");
    assert_eq!(seen["missing"], unknown, "{seen}");
    let policy = match library {
        "kafka-python" => "PolicyViolationError",
        _ => "POLICY_VIOLATION",
    };
    assert_eq!(seen["internal"], policy, "{seen}");
    // kafka-python shows the v5+ error message; librdkafka its own text for the code.
    if library == "kafka-python" {
        assert!(
            seen["internal_message"]
                .as_str()
                .is_some_and(|m| m.contains("internal topics")),
            "{seen}"
        );
    }
    // The room: the topic is gone, and the group's offsets with it.
    id += 1;
    let (ok, output) = holds(&mut socket, &format!("expect leader {topic}/0 == none"), id).await;
    assert!(ok, "{output}");
    id += 1;
    let (ok, output) = holds(
        &mut socket,
        &format!("expect committed readers {topic}/0 == none"),
        id,
    )
    .await;
    assert!(ok, "{output}");
    assert!(
        !listed(server.kafka, topic).await,
        "kcat -L still lists {topic}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_python_admin_deletes_a_topic() {
    admin_client_deletes("kafka-python", "kp-gone").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluent_admin_deletes_a_topic() {
    admin_client_deletes("confluent", "ck-gone").await;
}

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_delete_topics_with_a_name_twice_gets_invalid_request() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    for t in ["twice", "once"] {
        command(
            &mut socket,
            &format!("topic create {t} partitions=1 replication=1"),
            id,
        )
        .await;
        id += 1;
    }
    let mut stream = TcpStream::connect(("127.0.0.1", server.kafka))
        .await
        .unwrap();
    for version in [1i16, 5] {
        let request = DeleteTopicsRequest::default()
            .with_timeout_ms(10_000)
            .with_topic_names(vec![
                name("twice"),
                name("once"),
                name("twice"),
                name("bad name"),
            ]);
        let mut body = round_trip(
            &mut stream,
            ApiKey::DeleteTopics,
            version,
            7,
            "raw-delete",
            request,
        )
        .await;
        let response = DeleteTopicsResponse::decode(&mut body, version).unwrap();
        assert_eq!(response.throttle_time_ms, 0);
        let got: Vec<(String, i16, Option<String>)> = response
            .responses
            .iter()
            .map(|r| {
                (
                    r.name.as_ref().map(|n| n.0.to_string()).unwrap_or_default(),
                    r.error_code,
                    r.error_message.as_ref().map(|m| m.to_string()),
                )
            })
            .collect();
        let message = |m: &str| (version >= 5).then(|| m.to_string());
        let once = if version == 1 {
            (String::from("once"), 0, None)
        } else {
            (
                String::from("once"),
                UNKNOWN_TOPIC_OR_PARTITION,
                message("This server does not host this topic-partition."),
            )
        };
        assert_eq!(
            got,
            vec![
                (
                    "twice".into(),
                    INVALID_REQUEST,
                    message("Duplicate topic name.")
                ),
                once,
                (
                    "bad name".into(),
                    UNKNOWN_TOPIC_OR_PARTITION,
                    message("This server does not host this topic-partition.")
                ),
            ],
            "v{version}"
        );
    }
    id += 1;
    let (ok, output) = holds(&mut socket, "expect leader twice/0 == 1", id).await;
    assert!(ok, "a name given twice is not deleted: {output}");
    id += 1;
    let (ok, output) = holds(&mut socket, "expect leader once/0 == none", id).await;
    assert!(ok, "{output}");
}
