//! confluent-kafka (librdkafka) against `playground serve --kafka-port 0`: a producer with
//! librdkafka's default partitioner, then a group of two consumers that splits the partitions
//! through the engine's group coordinator (FindCoordinator, JoinGroup with the leader client
//! assigning, SyncGroup, Heartbeat, OffsetCommit), reads every record and commits. `tests/run`
//! installs confluent-kafka into the same venv as kafka-python.

use std::collections::{BTreeMap, BTreeSet};

use std::time::Duration;

use playground_tests::kafka::{Server, command, expect_eventually, python, run_client};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_of_two_confluent_consumers_splits_the_partitions_reads_everything_and_commits() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create ck partitions=4 replication=3",
        id,
    )
    .await;
    let count = 60;
    let script = format!("{}/python/confluent_group.py", env!("CARGO_MANIFEST_DIR"));
    let out = run_client(
        "confluent-kafka",
        python(),
        vec![
            script,
            server.kafka.to_string(),
            "ck".into(),
            "ck-readers".into(),
            count.to_string(),
        ],
        Vec::new(),
        // The script's own deadline for the group to form and read everything is 60 s.
        Duration::from_secs(120),
    )
    .await;
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let (summary, records) = lines.split_last().expect("a summary line");
    assert_eq!(summary["produced"], count, "{summary}");
    assert_eq!(summary["read"], count, "every record read: {summary}");

    // librdkafka's default partitioner (`consistent_random`): CRC-32 of the key, modulo the
    // partitions (`rd_kafka_msg_partitioner_consistent`).
    let mut per_partition: BTreeMap<u64, u64> = BTreeMap::new();
    let mut produced: BTreeMap<String, u64> = BTreeMap::new();
    for r in records.iter().filter(|r| r.get("produced").is_some()) {
        let key = r["produced"].as_str().unwrap();
        let partition = r["partition"].as_u64().unwrap();
        assert_eq!(
            partition,
            u64::from(crc32fast::hash(key.as_bytes()) % 4),
            "{key} on librdkafka's consistent partition"
        );
        *per_partition.entry(partition).or_default() += 1;
        produced.insert(key.to_string(), partition);
    }
    assert_eq!(produced.len(), count);
    // Each record read from the partition it was written to.
    for r in records.iter().filter(|r| r.get("read").is_some()) {
        let key = r["read"].as_str().unwrap();
        for (_, partition, _) in r["by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b[0].clone(), b[1].as_u64().unwrap(), b[2].clone()))
        {
            assert_eq!(Some(&partition), produced.get(key), "{r}");
        }
    }
    // The leader client's assignor split the four partitions between the two members.
    let assignment = &summary["assignment"];
    let mut all = BTreeSet::new();
    for member in ["consumer-1", "consumer-2"] {
        let parts = assignment[member].as_array().expect("an assignment");
        assert!(!parts.is_empty(), "{member} has partitions: {summary}");
        for p in parts {
            assert!(all.insert(p.as_u64().unwrap()), "{p} owned once: {summary}");
        }
    }
    assert_eq!(all, (0..4).collect(), "{summary}");
    // The commits: each partition's committed offset is its end, in the clients' answer and in
    // the room's coordinator.
    for p in 0..4u64 {
        let n = per_partition.get(&p).copied().unwrap_or(0);
        assert_eq!(summary["committed"][p.to_string()], n, "{summary}");
        id += 1;
        expect_eventually(
            &mut socket,
            &format!("expect committed ck-readers ck/{p} == {n}"),
            &mut id,
        )
        .await;
    }
    expect_eventually(&mut socket, &format!("expect acked ck == {count}"), &mut id).await;
}
