//! The admin APIs of the Kafka listener against `playground serve --kafka-port 0`:
//! CreateTopics and DescribeConfigs with kafka-python's KafkaAdminClient and confluent-kafka's
//! AdminClient (the topic then exists in the room with the partitions and replication asked,
//! and kcat lists it), Kafka's errors for raw CreateTopics/DescribeConfigs requests, and
//! OffsetForLeaderEpoch before and after a leader is killed, raw and as librdkafka uses it
//! to validate a consumer's position (KIP-320).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use kafka_protocol::messages::{
    ApiKey, BrokerId, CreateTopicsRequest, CreateTopicsResponse, DescribeConfigsRequest,
    DescribeConfigsResponse, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse, TopicName,
};
use kafka_protocol::protocol::{Decodable, StrBytes};
use playground_tests::kafka::{
    Server, broker_ports, command, expect_eventually, holds, kcat_metadata, python, round_trip,
    run_client, within,
};
use playground_tests::ws;
use serde_json::{Value, json};
use tokio::net::TcpStream;

/// Kafka's error codes used here.
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const NOT_LEADER_OR_FOLLOWER: i16 = 6;
const INVALID_TOPIC_EXCEPTION: i16 = 17;
const TOPIC_ALREADY_EXISTS: i16 = 36;
const INVALID_PARTITIONS: i16 = 37;
const INVALID_REPLICATION_FACTOR: i16 = 38;
const INVALID_CONFIG: i16 = 40;
const INVALID_REQUEST: i16 = 42;
const FENCED_LEADER_EPOCH: i16 = 74;
const UNKNOWN_LEADER_EPOCH: i16 = 76;

/// Whether a console line is refused by the room (an `expect` naming a missing topic is).
async fn refused(socket: &mut ws::Socket, line: &str, id: u64) -> bool {
    let reply = within(
        line,
        ws::request(socket, json!({"type": "command", "line": line}), id),
    )
    .await;
    reply["ok"] == false
}

/// Runs `admin_clients.py` with `library` and checks what it saw against the room.
async fn admin_client_creates_describes_and_is_refused(library: &str, topic: &str) {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    let script = format!("{}/python/admin_clients.py", env!("CARGO_MANIFEST_DIR"));
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

    // Created with the partitions and replication asked: partition 2 has two replicas in the
    // room, and there is no partition 3.
    expect_eventually(
        &mut socket,
        &format!("expect replicas {topic}/2 == 3,1"),
        &mut id,
    )
    .await;
    id += 1;
    assert!(refused(&mut socket, &format!("expect leader {topic}/3 == 1"), id).await);
    let meta = kcat_metadata(server.kafka, Some(topic)).await;
    let listed = &meta["topics"][0];
    assert_eq!(listed["topic"], topic, "{meta}");
    assert_eq!(listed["partitions"].as_array().unwrap().len(), 3, "{meta}");
    // Again: TopicAlreadyExists. validate_only created nothing; the unmodelled config was
    // refused and created nothing either.
    assert_eq!(seen["created"], "ok", "{seen}");
    if let Some(numbers) = seen.get("created_numbers") {
        // kafka-python shows the v5+ answer's numbers.
        assert_eq!(numbers, &json!([3, 2]), "{seen}");
    }
    assert_eq!(seen["validated"], "ok", "{seen}");
    assert_eq!(seen["again"], "TOPIC_ALREADY_EXISTS", "{seen}");
    for suffix in ["-v", "-z"] {
        id += 1;
        assert!(
            refused(
                &mut socket,
                &format!("expect leader {topic}{suffix}/0 == 1"),
                id
            )
            .await,
            "{topic}{suffix} must not exist"
        );
    }
    assert_eq!(seen["unmodelled"], "INVALID_CONFIG", "{seen}");
    // The configs as the room applies them: the two overrides (TOPIC_CONFIG, 1), the rest
    // Kafka's defaults (DEFAULT_CONFIG, 5).
    let configs = &seen["configs"];
    assert_eq!(configs["retention.ms"]["value"], "3600000", "{seen}");
    assert_eq!(configs["retention.ms"]["source"], 1, "{seen}");
    assert_eq!(configs["min.insync.replicas"]["value"], "2", "{seen}");
    assert_eq!(configs["cleanup.policy"]["value"], "delete", "{seen}");
    assert_eq!(configs["cleanup.policy"]["source"], 5, "{seen}");
    assert_eq!(configs["segment.bytes"]["value"], "1073741824", "{seen}");
    assert_eq!(seen["broker"]["node.id"], "1", "{seen}");
    assert_eq!(seen["broker"]["replica.lag.time.max.ms"], "30000", "{seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_python_admin_creates_describes_and_gets_kafkas_errors() {
    admin_client_creates_describes_and_is_refused("kafka-python", "kp-admin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluent_admin_creates_describes_and_gets_kafkas_errors() {
    admin_client_creates_describes_and_is_refused("confluent", "ck-admin").await;
}

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

fn new_topic(topic: &str, partitions: i32, replication: i16) -> CreatableTopic {
    CreatableTopic::default()
        .with_name(name(topic))
        .with_num_partitions(partitions)
        .with_replication_factor(replication)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_create_topics_and_describe_configs_get_kafkas_errors() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create taken partitions=1 replication=1",
        id,
    )
    .await;
    id += 1;
    command(
        &mut socket,
        "topic create col_a partitions=1 replication=1",
        id,
    )
    .await;
    let mut stream = TcpStream::connect(("127.0.0.1", server.kafka))
        .await
        .unwrap();
    let request = CreateTopicsRequest::default()
        .with_timeout_ms(10_000)
        .with_topics(vec![
            new_topic("dup", 1, 1),
            new_topic("dup", 2, 1),
            new_topic("bad name", 1, 1),
            new_topic("taken", 1, 1),
            new_topic("zero", 0, 1),
            new_topic("nine", 1, 9),
            new_topic("manual", -1, -1).with_assignments(vec![
                CreatableReplicaAssignment::default()
                    .with_partition_index(0)
                    .with_broker_ids(vec![BrokerId(1)]),
            ]),
            new_topic("zstd", 1, 1).with_configs(vec![
                CreatableTopicConfig::default()
                    .with_name(StrBytes::from_static_str("compression.type"))
                    .with_value(Some(StrBytes::from_static_str("zstd"))),
            ]),
            new_topic("defaults", -1, -1),
            new_topic("col.a", 1, 1),
            new_topic("__consumer_offsets", 1, 1),
        ]);
    let mut body = round_trip(
        &mut stream,
        ApiKey::CreateTopics,
        6,
        9,
        "raw-admin",
        request,
    )
    .await;
    let response = CreateTopicsResponse::decode(&mut body, 6).unwrap();
    let got: Vec<(String, i16)> = response
        .topics
        .iter()
        .map(|t| (t.name.0.to_string(), t.error_code))
        .collect();
    let expected: Vec<(String, i16)> = [
        ("dup", INVALID_REQUEST),
        ("bad name", INVALID_TOPIC_EXCEPTION),
        ("taken", TOPIC_ALREADY_EXISTS),
        ("zero", INVALID_PARTITIONS),
        ("nine", INVALID_REPLICATION_FACTOR),
        ("manual", INVALID_REQUEST),
        ("zstd", INVALID_CONFIG),
        ("defaults", 0),
        ("col.a", INVALID_TOPIC_EXCEPTION),
        ("__consumer_offsets", TOPIC_ALREADY_EXISTS),
    ]
    .iter()
    .map(|(n, c)| (n.to_string(), *c))
    .collect();
    assert_eq!(got, expected, "{response:?}");
    let nine = &response.topics[4];
    assert_eq!(
        nine.error_message.as_deref(),
        Some(
            "Unable to replicate the partition 9 time(s): The target replication factor of 9 \
             cannot be reached because only 3 broker(s) are registered."
        )
    );
    // v5+: the created topic's numbers (the broker defaults for -1) and configs.
    let defaults = &response.topics[7];
    assert_eq!(
        (defaults.num_partitions, defaults.replication_factor),
        (1, 1)
    );
    let configs = defaults.configs.as_ref().expect("configs");
    assert!(configs.iter().any(|c| c.name.as_str() == "retention.ms"
        && c.value.as_deref() == Some("604800000")
        && c.config_source == 5));
    expect_eventually(&mut socket, "expect replicas defaults/0 == 1", &mut id).await;

    // validate_only: answered as a success, nothing created.
    let request = CreateTopicsRequest::default()
        .with_validate_only(true)
        .with_topics(vec![new_topic("only-checked", 2, 3)]);
    let mut body = round_trip(
        &mut stream,
        ApiKey::CreateTopics,
        6,
        9,
        "raw-admin",
        request,
    )
    .await;
    let response = CreateTopicsResponse::decode(&mut body, 6).unwrap();
    assert_eq!(response.topics[0].error_code, 0, "{response:?}");
    assert_eq!(response.topics[0].num_partitions, 2);
    id += 1;
    assert!(refused(&mut socket, "expect leader only-checked/0 == 1", id).await);

    // DescribeConfigs: a missing topic, another broker's id, this broker's configs.
    let resource = |t: i8, n: &str| {
        DescribeConfigsResource::default()
            .with_resource_type(t)
            .with_resource_name(StrBytes::from_string(n.to_string()))
            .with_configuration_keys(None)
    };
    let request = DescribeConfigsRequest::default()
        .with_include_synonyms(true)
        .with_include_documentation(true)
        .with_resources(vec![
            resource(2, "nowhere"),
            resource(4, "3"),
            resource(2, "taken"),
        ]);
    let mut body = round_trip(
        &mut stream,
        ApiKey::DescribeConfigs,
        4,
        9,
        "raw-admin",
        request,
    )
    .await;
    let response = DescribeConfigsResponse::decode(&mut body, 4).unwrap();
    let codes: Vec<i16> = response.results.iter().map(|r| r.error_code).collect();
    assert_eq!(codes, vec![UNKNOWN_TOPIC_OR_PARTITION, INVALID_REQUEST, 0]);
    let taken = &response.results[2].configs;
    let min = taken
        .iter()
        .find(|c| c.name.as_str() == "min.insync.replicas")
        .unwrap();
    assert_eq!(min.value.as_deref(), Some("1"));
    assert_eq!(min.synonyms[0].name.as_str(), "min.insync.replicas");
    assert!(min.documentation.is_some());
}

/// The leader of `topic`/0 now.
async fn leader_of(socket: &mut ws::Socket, topic: &str, id: &mut u64) -> u64 {
    for b in 1..=3 {
        *id += 1;
        if holds(socket, &format!("expect leader {topic}/0 == {b}"), *id)
            .await
            .0
        {
            return b;
        }
    }
    panic!("{topic}/0 has no leader");
}

/// OffsetForLeaderEpoch v4 for `topic`/0: (error, leader epoch, end offset).
async fn epoch_end(
    stream: &mut TcpStream,
    topic: &str,
    current_leader_epoch: i32,
    leader_epoch: i32,
) -> (i16, i32, i64) {
    let request = OffsetForLeaderEpochRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![
            OffsetForLeaderTopic::default()
                .with_topic(name(topic))
                .with_partitions(vec![
                    OffsetForLeaderPartition::default()
                        .with_partition(0)
                        .with_current_leader_epoch(current_leader_epoch)
                        .with_leader_epoch(leader_epoch),
                ]),
        ]);
    let mut body = round_trip(
        stream,
        ApiKey::OffsetForLeaderEpoch,
        4,
        9,
        "raw-admin",
        request,
    )
    .await;
    let response = OffsetForLeaderEpochResponse::decode(&mut body, 4).unwrap();
    let p = &response.topics[0].partitions[0];
    (p.error_code, p.leader_epoch, p.end_offset)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_for_leader_epoch_answers_from_the_leaders_epoch_cache_across_a_leader_kill() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create ep partitions=1 replication=3",
        id,
    )
    .await;
    for i in 0..10 {
        id += 1;
        command(&mut socket, &format!("produce ep value=a{i}"), id).await;
    }
    expect_eventually(&mut socket, "expect hw ep/0 == 10", &mut id).await;
    let ports = broker_ports(&kcat_metadata(server.kafka, None).await);
    let leader = leader_of(&mut socket, "ep", &mut id).await;
    let follower = (1..=3).find(|&b| b != leader).unwrap();
    let mut to_leader = TcpStream::connect(("127.0.0.1", ports[&leader]))
        .await
        .unwrap();
    // Epoch 0 is the current one: it ends at the log end offset.
    assert_eq!(epoch_end(&mut to_leader, "ep", 0, 0).await, (0, 0, 10));
    assert_eq!(epoch_end(&mut to_leader, "ep", -1, 0).await, (0, 0, 10));
    assert_eq!(
        epoch_end(&mut to_leader, "ep", 1, 0).await,
        (UNKNOWN_LEADER_EPOCH, -1, -1)
    );
    assert_eq!(
        epoch_end(&mut to_leader, "nowhere", -1, 0).await.0,
        UNKNOWN_TOPIC_OR_PARTITION
    );
    let mut to_follower = TcpStream::connect(("127.0.0.1", ports[&follower]))
        .await
        .unwrap();
    assert_eq!(
        epoch_end(&mut to_follower, "ep", 0, 0).await.0,
        NOT_LEADER_OR_FOLLOWER
    );

    // The leader dies; the controller elects another at epoch 1, which takes 5 more records.
    id += 1;
    command(&mut socket, &format!("broker kill {leader}"), id).await;
    expect_eventually(&mut socket, "expect leader-epoch ep/0 == 1", &mut id).await;
    let new_leader = leader_of(&mut socket, "ep", &mut id).await;
    for i in 0..5 {
        id += 1;
        command(&mut socket, &format!("produce ep value=b{i}"), id).await;
    }
    expect_eventually(&mut socket, "expect hw ep/0 == 15", &mut id).await;
    id += 1;
    assert!(holds(&mut socket, "expect leo ep/0 == 15", id).await.0);
    let mut to_new = TcpStream::connect(("127.0.0.1", ports[&new_leader]))
        .await
        .unwrap();
    // Epoch 0 ended where epoch 1 started (10, the room's high watermark before the kill);
    // epoch 1 is current and ends at the log end offset; epoch 2 is not known yet.
    assert_eq!(epoch_end(&mut to_new, "ep", 1, 0).await, (0, 0, 10));
    assert_eq!(epoch_end(&mut to_new, "ep", 1, 1).await, (0, 1, 15));
    assert_eq!(epoch_end(&mut to_new, "ep", 1, 2).await, (0, -1, -1));
    // A client still at epoch 0 is fenced.
    assert_eq!(
        epoch_end(&mut to_new, "ep", 0, 0).await,
        (FENCED_LEADER_EPOCH, -1, -1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confluent_consumer_reads_everything_across_a_leader_kill() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create across partitions=1 replication=3",
        id,
    )
    .await;
    let count = 40;
    for i in 0..count / 2 {
        id += 1;
        command(&mut socket, &format!("produce across value=v{i}"), id).await;
    }
    expect_eventually(
        &mut socket,
        &format!("expect hw across/0 == {}", count / 2),
        &mut id,
    )
    .await;
    let bootstrap = broker_ports(&kcat_metadata(server.kafka, None).await)
        .values()
        .map(|port| format!("127.0.0.1:{port}"))
        .collect::<Vec<_>>()
        .join(",");
    let script = format!("{}/python/confluent_reader.py", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new(python())
        .args([script, bootstrap, "across".into(), count.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the venv's python runs (tests/run installs confluent-kafka)");
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut text);
        text
    });
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
    let next = async |lines: &mut tokio::sync::mpsc::UnboundedReceiver<Value>| {
        tokio::time::timeout(Duration::from_secs(90), lines.recv())
            .await
            .expect("the client's next line in time")
            .expect("the client printed it before exiting")
    };
    let ready = next(&mut lines).await;
    assert!(ready.get("ready").is_some(), "{ready}");
    let leader = leader_of(&mut socket, "across", &mut id).await;
    id += 1;
    command(&mut socket, &format!("broker kill {leader}"), id).await;
    expect_eventually(&mut socket, "expect leader-epoch across/0 == 1", &mut id).await;
    for i in count / 2..count {
        id += 1;
        command(&mut socket, &format!("produce across value=v{i}"), id).await;
    }
    expect_eventually(
        &mut socket,
        &format!("expect hw across/0 == {count}"),
        &mut id,
    )
    .await;
    let read = next(&mut lines).await;
    let status = child.wait().unwrap();
    let logs = logs.join().unwrap();
    assert!(status.success(), "the client failed: {logs}");
    // Every offset once, in order, and the values the room wrote.
    let offsets: Vec<u64> = serde_json::from_value(read["offsets"].clone()).unwrap();
    assert_eq!(offsets, (0..count).collect::<Vec<u64>>(), "{read}\n{logs}");
    let values: Vec<String> = serde_json::from_value(read["values"].clone()).unwrap();
    let expected: Vec<String> = (0..count).map(|i| format!("v{i}")).collect();
    assert_eq!(values, expected);
    // librdkafka asked the new leader for the end of the epoch it had read (KIP-320) and took
    // the answer: the log it read was not truncated.
    assert!(
        logs.contains("offset and epoch validation succeeded"),
        "librdkafka validated its position with OffsetForLeaderEpoch:\n{logs}"
    );
}
