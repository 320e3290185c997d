//! Real Kafka clients producing to and consuming from the simulated cluster through
//! `playground serve --kafka-port 0`: kcat (librdkafka, which produces record batch v2 only when
//! the broker offers Fetch v4+) and kafka-python 3 (`tests/run` installs it into a venv under
//! `target/`). What they read back must be what they wrote, and the room's own `expect` lines
//! must agree with what the clients were told.

use std::collections::BTreeMap;

use playground_tests::kafka::{STEP, Server, command, expect_eventually, python, run_client};
use serde_json::Value;

/// A real client's run, bounded by the shared step.
async fn run(what: &str, program: String, args: Vec<String>, input: Vec<u8>) -> String {
    run_client(what, program, args, input, STEP).await
}

fn kcat(port: u16, rest: &[&str]) -> Vec<String> {
    let mut args = vec!["-b".to_string(), format!("127.0.0.1:{port}")];
    args.extend(rest.iter().map(|s| s.to_string()));
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_produces_keyed_records_and_consumes_them_back() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create kc partitions=3 replication=3",
        id,
    )
    .await;
    let sent: BTreeMap<String, String> = (0..12)
        .map(|i| (format!("k{i}"), format!("value {i}")))
        .collect();
    let input: String = sent.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    // librdkafka retries what a broker refuses (a leader it has not heard of yet) within
    // `message.timeout.ms`; kcat exits non-zero if any record was not delivered.
    run(
        "kcat -P",
        "kcat".into(),
        kcat(
            server.kafka,
            &["-P", "-t", "kc", "-K:", "-X", "message.timeout.ms=15000"],
        ),
        input.into_bytes(),
    )
    .await;
    expect_eventually(&mut socket, "expect acked kc == 12", &mut id).await;
    expect_eventually(&mut socket, "expect lost kc == 0", &mut id).await;

    // -e: exit once every partition is read to its end (the high watermark a Fetch reports).
    let out = run(
        "kcat -C",
        "kcat".into(),
        kcat(
            server.kafka,
            &[
                "-C",
                "-t",
                "kc",
                "-o",
                "beginning",
                "-e",
                "-q",
                "-f",
                "%p|%o|%k|%s\\n",
            ],
        ),
        Vec::new(),
    )
    .await;
    let mut read: BTreeMap<String, String> = BTreeMap::new();
    let mut placed: Vec<(u32, String, String)> = Vec::new();
    for line in out.lines() {
        let mut f = line.splitn(4, '|');
        let (p, _offset, k, v) = (
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
            f.next().unwrap(),
        );
        assert!(
            read.insert(k.to_string(), v.to_string()).is_none(),
            "{k} read once"
        );
        placed.push((p.parse().unwrap(), k.to_string(), v.to_string()));
    }
    assert_eq!(read, sent, "kcat read back every key with its value");
    // The room holds each record where kcat found it.
    for (p, k, v) in placed {
        expect_eventually(
            &mut socket,
            &format!("expect value kc/{p} key={k} == \"{v}\""),
            &mut id,
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_python_produces_keyed_records_to_murmur2_partitions_and_reads_them_back() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create kpy partitions=4 replication=3",
        id,
    )
    .await;
    let count = 40;
    let script = format!(
        "{}/python/kafka_python_roundtrip.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = run(
        "kafka-python",
        python(),
        vec![
            script,
            server.kafka.to_string(),
            "kpy".into(),
            count.to_string(),
        ],
        Vec::new(),
    )
    .await;
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let (summary, records) = lines.split_last().expect("a summary line");
    assert_eq!(summary["sent"], count, "{summary}");
    assert_eq!(summary["read"], count, "{summary}");
    let mut keys = std::collections::BTreeSet::new();
    let mut per_partition: BTreeMap<u64, u64> = BTreeMap::new();
    for r in records {
        let key = r["key"].as_str().unwrap();
        let n: usize = key.strip_prefix("key-").unwrap().parse().unwrap();
        assert_eq!(r["value"], format!("value-{n}"), "{r}");
        let partition = r["partition"].as_u64().unwrap();
        // kafka-python's default partitioner is Kafka's: murmur2 of the key.
        assert_eq!(
            partition,
            u64::from(engine::murmur2::partition_for_key(key.as_bytes(), 4)),
            "{key} on murmur2's partition"
        );
        // Read where the producer was told it was written.
        assert_eq!(r["produced"]["partition"], r["partition"], "{r}");
        assert_eq!(r["produced"]["offset"], r["offset"], "{r}");
        assert!(keys.insert(key.to_string()), "{key} read once");
        *per_partition.entry(partition).or_default() += 1;
    }
    assert_eq!(keys.len(), count);
    // ListOffsets: the beginning is 0 and the end is what was read, per partition.
    for p in 0..4u64 {
        let n = per_partition.get(&p).copied().unwrap_or(0);
        assert_eq!(summary["end_offsets"][p.to_string()], n, "{summary}");
        assert_eq!(summary["beginning_offsets"][p.to_string()], 0, "{summary}");
        expect_eventually(
            &mut socket,
            &format!("expect records kpy/{p} == {n}"),
            &mut id,
        )
        .await;
    }
    expect_eventually(
        &mut socket,
        &format!("expect acked kpy == {count}"),
        &mut id,
    )
    .await;
}
