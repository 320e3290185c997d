//! kafkajs (JavaScript) against `playground serve --kafka-port 0`: a producer with kafkajs's
//! default partitioner (Java's murmur2 since kafkajs 2.0), then a group of two kafkajs consumers
//! that splits the partitions through the engine's coordinator, reads every record and commits.
//! `tests/run` installs the pinned kafkajs under tests/kafkajs/node_modules.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use playground_tests::kafka::{Server, command, expect_eventually, run_client};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafkajs_produces_with_murmur2_and_a_group_of_two_reads_everything_and_commits() {
    let dir = format!("{}/kafkajs", env!("CARGO_MANIFEST_DIR"));
    assert!(
        std::path::Path::new(&format!("{dir}/node_modules/kafkajs")).is_dir(),
        "kafkajs is not installed: tests/run installs it (cd tests/kafkajs && npm ci)"
    );
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create js partitions=4 replication=3",
        id,
    )
    .await;
    let count = 60;
    let out = run_client(
        "kafkajs",
        "node".into(),
        vec![
            format!("{dir}/group.mjs"),
            server.kafka.to_string(),
            "js".into(),
            "js-readers".into(),
            count.to_string(),
        ],
        Vec::new(),
        // The script's own deadline is 90 s.
        Duration::from_secs(150),
    )
    .await;
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let (summary, records) = lines.split_last().expect("a summary line");
    assert_eq!(summary["produced"], count, "{summary}");
    assert_eq!(summary["read"], count, "every record read: {summary}");

    // Every record read from the partition murmur2 puts its key on (kafkajs's
    // DefaultPartitioner is the Java client's), at the offsets the sends were told.
    let mut per_partition: BTreeMap<u64, u64> = BTreeMap::new();
    for r in records.iter().filter(|r| r.get("read").is_some()) {
        let key = r["read"].as_str().unwrap();
        let partition = r["partition"].as_u64().unwrap();
        assert_eq!(
            partition,
            u64::from(engine::murmur2::partition_for_key(key.as_bytes(), 4)),
            "{key} on murmur2's partition"
        );
        let n: u64 = key.strip_prefix("key-").unwrap().parse().unwrap();
        assert_eq!(r["value"], format!("value-{n}"), "{r}");
        *per_partition.entry(partition).or_default() += 1;
    }
    assert_eq!(per_partition.values().sum::<u64>(), count as u64);
    // The assignor kafkajs's leader ran (its RoundRobinAssigner) split the four partitions
    // between the two members.
    let mut all = BTreeSet::new();
    for member in ["consumer-1", "consumer-2"] {
        let parts = summary["assignment"][member]
            .as_array()
            .unwrap_or_else(|| panic!("{member} joined: {summary}"));
        assert!(!parts.is_empty(), "{member} has partitions: {summary}");
        for p in parts {
            assert!(all.insert(p.as_u64().unwrap()), "{p} owned once: {summary}");
        }
    }
    assert_eq!(all, (0..4).collect(), "{summary}");
    // The commits: each partition's end, in OffsetFetch's answer and in the room's coordinator.
    for p in 0..4u64 {
        let n = per_partition.get(&p).copied().unwrap_or(0);
        assert_eq!(summary["committed"][p.to_string()], n, "{summary}");
        id += 1;
        expect_eventually(
            &mut socket,
            &format!("expect committed js-readers js/{p} == {n}"),
            &mut id,
        )
        .await;
    }
    expect_eventually(&mut socket, &format!("expect acked js == {count}"), &mut id).await;
}
