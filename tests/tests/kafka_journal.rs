//! Issue 15: the room's journal records what real clients did well enough that an export
//! replays the session headless with the same resulting logs.
//!
//! confluent-kafka (librdkafka) writes keyed records with headers through an idempotent
//! producer, then a consumer group reads everything and commits (tests/python/journal_session.py).
//! The room exports the session (the page's Export, over the WebSocket); `playground run --logs`
//! replays it headless and prints every partition's records and every committed offset, which
//! must be exactly what the clients read from the live room and what it committed for them:
//! offsets, keys, values, headers, CreateTimes. Once the clients are gone a rewind to the start
//! and back replays their requests from the journal to the same logs and offsets, and exports
//! the same file. A person may not type a `kafka-client` line; a bad one in a file is an error
//! at its FILE:LINE:COL.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use playground_tests::kafka::{
    STEP, Server, broker_ports, holds, kcat_metadata, python, run_client, within,
};
use playground_tests::ws::{self, Socket};
use playground_tests::{Scratch, playground};
use serde_json::{Value, json};

const TOPIC: &str = "journal";
const PARTITIONS: u64 = 3;
const GROUP: &str = "journal-readers";
const COUNT: u64 = 300;

/// A record as a client read it: offset, key, value, headers (base64), CreateTime.
type Read = (u64, Value, Value, Value, i64);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_replays_real_clients_to_the_same_logs_and_committed_offsets() {
    let scratch = Scratch::new("kafka-journal");
    let scenario = scratch.join("room.scenario");
    std::fs::write(
        &scenario,
        format!(
            "title \"journal\"\nseed 15\nbrokers 3\n\
             topic create {TOPIC} partitions={PARTITIONS} replication=3 min-insync=2\n"
        ),
    )
    .unwrap();
    let server = Server::start_with(&["--scenario", scenario.to_str().unwrap()]);
    let mut socket = server.viewer().await;
    let mut id = 1;

    // A person may not pose as a real client.
    let refused = within(
        "a typed kafka-client line",
        ws::request(
            &mut socket,
            json!({"type": "command", "line": "kafka-client 1 close"}),
            id,
        ),
    )
    .await;
    assert_eq!(refused["ok"], false, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be typed"),
        "{refused}"
    );

    let bootstrap = broker_ports(&kcat_metadata(server.kafka, None).await)
        .values()
        .map(|port| format!("127.0.0.1:{port}"))
        .collect::<Vec<_>>()
        .join(",");
    let script = format!("{}/python/journal_session.py", env!("CARGO_MANIFEST_DIR"));
    let out = run_client(
        "journal_session.py",
        python(),
        vec![
            script,
            bootstrap,
            TOPIC.into(),
            PARTITIONS.to_string(),
            GROUP.into(),
            COUNT.to_string(),
        ],
        Vec::new(),
        Duration::from_secs(120),
    )
    .await;
    let (read, committed) = session(&out);
    let total: usize = read.values().map(Vec::len).sum();
    assert_eq!(total as u64, COUNT, "every record read once: {out}");

    // The clients are gone once the room counts no connection (then the room may rewind).
    let start = std::time::Instant::now();
    loop {
        let snapshot = within("a snapshot", ws::snapshot(&mut socket)).await;
        if snapshot["audience"]["kafka_connections"] == 0 {
            break;
        }
        assert!(
            start.elapsed() < STEP,
            "the clients' connections never closed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    id += 1;
    request_ok(&mut socket, json!({"type": "pause"}), id).await;

    // The live room's own numbers agree with what the clients saw.
    let expectations = room_expectations(&read, &committed);
    for line in &expectations {
        id += 1;
        let (ok, said) = holds(&mut socket, line, id).await;
        assert!(ok, "live room: {line}: {said}");
    }

    id += 1;
    let export = export(&mut socket, id).await;
    assert!(
        export.contains("kafka-client init-producer-id {"),
        "{export}"
    );
    assert!(export.contains(" produce {"), "{export}");
    assert!(export.contains(" fetch {"), "{export}");
    assert!(export.contains(r#""join-group":"#), "{export}");
    assert!(export.contains(r#""offset-commit":"#), "{export}");
    let exported_at = exported_at(&export);

    // Headless: the same records and offsets, and the room's expectations hold there too.
    let file = scratch.join("session.scenario");
    std::fs::write(&file, format!("{export}{}\n", expectations.join("\n"))).unwrap();
    let (replayed, replayed_committed) = run_logs(&file);
    assert_eq!(
        replayed, read,
        "the replay's records are the ones the clients read"
    );
    assert_eq!(
        replayed_committed, committed,
        "the replay's committed offsets are the live room's"
    );

    // A rewind once the clients are gone replays their requests from the journal.
    id += 1;
    request_ok(&mut socket, json!({"type": "seek", "to_us": 0}), id).await;
    id += 1;
    let (ok, said) = holds(&mut socket, &format!("expect records {TOPIC}/0 == 0"), id).await;
    assert!(ok, "at 0 nothing is written yet: {said}");
    id += 1;
    request_ok(
        &mut socket,
        json!({"type": "seek", "to_us": exported_at}),
        id,
    )
    .await;
    for line in &expectations {
        id += 1;
        let (ok, said) = holds(&mut socket, line, id).await;
        assert!(ok, "after a rewind and a replay: {line}: {said}");
    }
    id += 1;
    assert_eq!(
        export_of(&mut socket, id).await,
        export,
        "the replayed timeline exports the same session"
    );
}

/// A `kafka-client` line's bad JSON is refused at its column, in a file as in `check`.
#[test]
fn a_bad_kafka_client_line_is_an_error_at_its_file_line_and_column() {
    let line = r#"at 1s kafka-client 3 produce {"broker":1,"token":}"#;
    let source = format!("brokers 3\n{line}\n");
    let errors = engine::scenario::parse("bad.scenario", &source).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    // serde_json stops at the `}` where a value should be.
    let col = line.find(":}").unwrap() as u32 + 2;
    assert_eq!((errors[0].pos.line, errors[0].pos.col), (2, col));
    assert!(errors[0].message.starts_with("bad JSON"), "{errors:?}");

    let scratch = Scratch::new("kafka-journal-check");
    let file = scratch.join("bad.scenario");
    std::fs::write(&file, &source).unwrap();
    let out = Command::new(playground())
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2:{col}: bad JSON", file.display())),
        "{stderr}"
    );

    // A broker the file does not have, and a client number out of range: at their words.
    for (bad, expected) in [
        (
            r#"kafka-client 3 fetch {"broker":4,"token":1,"max_wait_us":0,"min_bytes":1,"max_bytes":1,"partitions":[]}"#,
            "broker 4 does not exist",
        ),
        (
            r#"kafka-client 2000000000 connect {"name":"x"}"#,
            "out of range",
        ),
        ("kafka-client 3 close {}", "'close' takes no JSON"),
    ] {
        let errors =
            engine::scenario::parse("bad.scenario", &format!("brokers 3\n{bad}\n")).expect_err(bad);
        assert!(errors[0].message.contains(expected), "{bad}: {errors:?}");
    }
    // A `#` inside the JSON is not a comment.
    let ok = r##"kafka-client 3 connect {"name":"a#b"}"##;
    engine::scenario::parse("ok.scenario", &format!("brokers 3\n{ok}\n")).expect(ok);
}

async fn request_ok(socket: &mut Socket, message: Value, id: u64) {
    let reply = within("a request", ws::request(socket, message.clone(), id)).await;
    assert_eq!(reply["ok"], true, "{message}: {reply}");
}

async fn export(socket: &mut Socket, id: u64) -> String {
    export_of(socket, id).await
}

async fn export_of(socket: &mut Socket, id: u64) -> String {
    let reply = within("export", ws::request(socket, json!({"type": "export"}), id)).await;
    assert_eq!(reply["ok"], true, "{reply}");
    reply["output"].as_str().unwrap().to_string()
}

/// `# Exported at 12.345s: …` → 12345000.
fn exported_at(export: &str) -> u64 {
    let line = export
        .lines()
        .find_map(|l| l.strip_prefix("# Exported at "))
        .expect("the export says when");
    let secs = line.split_once("s:").unwrap().0;
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, ""));
    let micros = format!("{frac:0<6}");
    whole.parse::<u64>().unwrap() * 1_000_000 + micros.parse::<u64>().unwrap()
}

/// What the clients printed: records read per partition in offset order, committed offsets.
fn session(out: &str) -> (BTreeMap<u64, Vec<Read>>, BTreeMap<u64, u64>) {
    let (mut read, mut committed) = (BTreeMap::<u64, Vec<Read>>::new(), BTreeMap::new());
    let mut summary = None;
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).expect(line);
        if v["summary"] == true {
            summary = Some(v);
        } else if let Some(p) = v["committed"].as_u64() {
            committed.insert(p, v["offset"].as_u64().expect(line));
        } else {
            read.entry(v["partition"].as_u64().unwrap())
                .or_default()
                .push((
                    v["offset"].as_u64().unwrap(),
                    v["key"].clone(),
                    v["value"].clone(),
                    v["headers"].clone(),
                    v["timestamp_ms"].as_i64().unwrap(),
                ));
        }
    }
    let summary = summary.expect("a summary line");
    assert_eq!(summary["unflushed"], 0, "{out}");
    assert_eq!(summary["failed"], json!([]), "{out}");
    for records in read.values_mut() {
        records.sort_by_key(|r| r.0);
    }
    (read, committed)
}

/// The room's `expect` lines for what the clients saw: each partition's record count and end,
/// and the group's committed offsets.
fn room_expectations(
    read: &BTreeMap<u64, Vec<Read>>,
    committed: &BTreeMap<u64, u64>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for p in 0..PARTITIONS {
        let records = read.get(&p).map_or(0, Vec::len);
        lines.push(format!("expect records {TOPIC}/{p} == {records}"));
        lines.push(format!("expect hw {TOPIC}/{p} == {records}"));
    }
    for (p, offset) in committed {
        lines.push(format!("expect committed {GROUP} {TOPIC}/{p} == {offset}"));
    }
    lines
}

/// `playground run --logs FILE`: its records per partition and the group's committed offsets.
fn run_logs(file: &std::path::Path) -> (BTreeMap<u64, Vec<Read>>, BTreeMap<u64, u64>) {
    let out = Command::new(playground())
        .args(["run", "--logs"])
        .arg(file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the replay passes: {stdout}");
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    let (mut read, mut committed) = (BTreeMap::new(), BTreeMap::new());
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let v: Value = serde_json::from_str(line).expect(line);
        if v["topic"] != TOPIC {
            continue;
        }
        let p = v["partition"].as_u64().unwrap();
        if let Some(records) = v["records"].as_array() {
            let records: Vec<Read> = records
                .iter()
                .map(|r| {
                    (
                        r["offset"].as_u64().unwrap(),
                        r["key"].clone(),
                        r["value"].clone(),
                        r["headers"].clone(),
                        r["time"]["create_time_ms"]
                            .as_i64()
                            .expect("a client's CreateTime"),
                    )
                })
                .collect();
            if !records.is_empty() {
                read.insert(p, records);
            }
        } else if v["group"] == GROUP {
            committed.insert(p, v["committed"].as_u64().unwrap());
        }
    }
    (read, committed)
}
