//! Real producers into the simulated cluster: kcat (librdkafka) writes keyed records through
//! `playground serve --kafka-port 0`, and the room's own `expect` lines (over the WebSocket)
//! find them in the partitions librdkafka's default partitioner chose, byte for byte (a value
//! that is not UTF-8 shows as its hex preview); a leader killed while kcat writes with
//! acks=all loses nothing the client saw acknowledged.
//!
//! Needs `kcat` (tests/run installs it).

use std::io::Write;
use std::process::{Command, Stdio};

use playground_tests::kafka::{Server, command, within};
use playground_tests::ws::{self, Socket};
use serde_json::json;

/// zlib's CRC-32 (reflected, polynomial 0xEDB88320): librdkafka's `rd_crc32`.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// librdkafka's default partitioner, `consistent_random`: a keyed record goes to
/// `crc32(key) % partitions` (`rd_kafka_msg_partitioner_consistent_random`).
fn librdkafka_partition(key: &[u8], partitions: u32) -> u32 {
    crc32(key) % partitions
}

/// Runs `kcat -P` with `input` on its stdin; panics with kcat's stderr if it fails.
async fn kcat_produce(port: u16, topic: &str, extra: &[&str], input: Vec<u8>) {
    let mut args: Vec<String> = ["-P", "-b", &format!("127.0.0.1:{port}"), "-t", topic]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let run = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("kcat")
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kcat runs (tests/run installs it)");
        child.stdin.take().unwrap().write_all(&input).unwrap();
        child.wait_with_output().unwrap()
    });
    let out = within("kcat -P", run).await.unwrap();
    assert!(
        out.status.success(),
        "kcat -P failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The room's answer to an `expect` line: whether it held.
async fn holds(socket: &mut Socket, line: &str, id: u64) -> (bool, String) {
    let reply = within(
        line,
        ws::request(socket, json!({"type": "command", "line": line}), id),
    )
    .await;
    let output = reply["output"].as_str().unwrap_or_default().to_string();
    (output.starts_with('✓'), output)
}

/// Polls an `expect` line until it holds (records travel in simulated time), failing with the
/// room's last answer.
async fn eventually(socket: &mut Socket, line: &str, id: &mut u64) {
    let mut last = String::new();
    for _ in 0..100 {
        *id += 1;
        let (ok, output) = holds(socket, line, *id).await;
        if ok {
            return;
        }
        last = output;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{line}: never held; the room said {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_produces_keyed_records_into_librdkafkas_partitions_byte_for_byte() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create kp partitions=3 replication=3",
        id,
    )
    .await;
    let records: Vec<(&[u8], &[u8])> = vec![
        (b"ada", b"lovelace"),
        (b"grace", b"hopper"),
        (b"alan", b"turing"),
        (b"edsger", b"dijkstra"),
        (b"bin", &[0xff, 0xfe, 0x00, 0x01]),
    ];
    let mut input = Vec::new();
    for (k, v) in &records {
        input.extend_from_slice(k);
        input.push(b':');
        input.extend_from_slice(v);
        input.push(b'\n');
    }
    kcat_produce(
        server.kafka,
        "kp",
        &["-K", ":", "-H", "origin=kcat", "-X", "acks=all"],
        input,
    )
    .await;
    for (k, v) in &records {
        let p = librdkafka_partition(k, 3);
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
            &format!("expect value kp/{p} key={key} == \"{shown}\""),
            &mut id,
        )
        .await;
    }
    let n = records.len();
    eventually(&mut socket, &format!("expect acked kp == {n}"), &mut id).await;
    eventually(&mut socket, "expect lost kp == 0", &mut id).await;
    // Every partition holds exactly the records librdkafka sent it.
    for p in 0..3 {
        let count = records
            .iter()
            .filter(|(k, _)| librdkafka_partition(k, 3) == p)
            .count();
        eventually(
            &mut socket,
            &format!("expect records kp/{p} == {count}"),
            &mut id,
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_killed_while_kcat_writes_with_acks_all_loses_nothing_acknowledged() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create kl partitions=1 replication=3",
        id,
    )
    .await;
    id += 1;
    // The partition's leader, as the room reports it.
    let mut leader = None;
    for b in 1..=3 {
        id += 1;
        if holds(&mut socket, &format!("expect leader kl/0 == {b}"), id)
            .await
            .0
        {
            leader = Some(b);
        }
    }
    let leader = leader.expect("the partition has a leader");
    let port = server.kafka;
    // kcat writes one record every 20 ms for 4 s; the leader dies after one second.
    let writer = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("kcat")
            .args([
                "-P",
                "-b",
                &format!("127.0.0.1:{port}"),
                "-t",
                "kl",
                "-X",
                "acks=all",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kcat runs");
        let mut stdin = child.stdin.take().unwrap();
        for i in 0..200 {
            writeln!(stdin, "record-{i}").unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        drop(stdin);
        child.wait_with_output().unwrap()
    });
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    id += 1;
    command(&mut socket, &format!("broker kill {leader}"), id).await;
    let out = tokio::time::timeout(std::time::Duration::from_secs(90), writer)
        .await
        .expect("kcat finishes")
        .unwrap();
    assert!(
        out.status.success(),
        "kcat -P failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // librdkafka without idempotence may write a record twice (a request whose answer the
    // kill cut off, sent again): acknowledged at least once each, none lost.
    eventually(&mut socket, "expect acked kl >= 200", &mut id).await;
    eventually(&mut socket, "expect lost kl == 0", &mut id).await;
    eventually(&mut socket, "expect records kl/0 >= 200", &mut id).await;
}
