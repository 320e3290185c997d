//! Real Kafka clients against the real binary: `playground serve --kafka-port 0` opens one
//! port per broker of the default room. `kcat -L` (librdkafka) sees the room's brokers, topics,
//! leaders and replicas, as the room itself reports them over the WebSocket; a killed broker
//! refuses connections and drops its own, a restarted one listens again, an isolated one stays
//! silent; hostile bytes close only their own connection, and 500 connections at once leave the
//! room answering.
//!
//! Needs `kcat` (tests/run installs it).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use playground_tests::kafka::{STEP, Server, broker_ports, command, kcat_metadata, python, within};
use playground_tests::ws;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An ApiVersions v0 request (header v1, null client id) with `correlation`.
fn api_versions_v0(correlation: i32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&18i16.to_be_bytes());
    body.extend_from_slice(&0i16.to_be_bytes());
    body.extend_from_slice(&correlation.to_be_bytes());
    body.extend_from_slice(&(-1i16).to_be_bytes());
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend(body);
    frame
}

/// Reads one response frame: (correlation id, the bytes after it). `None`: closed or silent.
async fn read_response(stream: &mut TcpStream, wait: Duration) -> Option<(i32, Vec<u8>)> {
    tokio::time::timeout(wait, async {
        let size = stream.read_u32().await.ok()?;
        let mut body = vec![0; size as usize];
        stream.read_exact(&mut body).await.ok()?;
        let correlation = i32::from_be_bytes(body[..4].try_into().ok()?);
        Some((correlation, body[4..].to_vec()))
    })
    .await
    .ok()
    .flatten()
}

/// An ApiVersions round trip on a fresh connection: error code 0 and the right correlation.
async fn answers(port: u16) -> bool {
    let Ok(Ok(mut stream)) =
        tokio::time::timeout(STEP, TcpStream::connect(("127.0.0.1", port))).await
    else {
        return false;
    };
    if stream.write_all(&api_versions_v0(7)).await.is_err() {
        return false;
    }
    matches!(read_response(&mut stream, Duration::from_secs(5)).await,
             Some((7, body)) if body[..2] == [0, 0])
}

/// Whether the peer closed `stream` (EOF or reset) within `wait`.
async fn closed(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(wait, stream.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

/// Polls `check` every 50 ms until it holds or 5 s have passed (one check may still take
/// its own bounded time after that).
async fn eventually<F: AsyncFnMut() -> bool>(mut check: F) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ids(list: &Value) -> Vec<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_lists_the_rooms_brokers_topics_leaders_and_replicas() {
    let server = Server::start();
    let mut viewer = server.viewer().await;
    // Paused, so that the room and kcat look at the same instant.
    within(
        "pause",
        ws::request(&mut viewer, json!({"type": "pause"}), 1),
    )
    .await;
    let state = within("a snapshot", ws::snapshot(&mut viewer)).await["state"].clone();
    let meta = kcat_metadata(server.kafka, None).await;

    let unfenced: Vec<u64> = state["brokers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["fenced"] == false)
        .map(|b| b["id"].as_u64().unwrap())
        .collect();
    let ports = broker_ports(&meta);
    assert_eq!(ports.keys().copied().collect::<Vec<_>>(), unfenced);
    assert_eq!(
        ports.values().collect::<BTreeSet<_>>().len(),
        ports.len(),
        "each broker on its own port: {ports:?}"
    );
    assert_eq!(ports[&1], server.kafka, "broker 1 is the bootstrap");

    let topics: BTreeMap<&str, &Value> = meta["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["topic"].as_str().unwrap(), t))
        .collect();
    let room_topics: BTreeSet<&str> = state["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(topics.keys().copied().collect::<BTreeSet<_>>(), room_topics);
    let mut compared = 0;
    for p in state["partitions"].as_array().unwrap() {
        let topic = topics[p["topic"].as_str().unwrap()];
        let kp = topic["partitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["partition"] == p["partition"])
            .unwrap_or_else(|| panic!("kcat lacks {p}"));
        let leader = p["leader"].as_i64().unwrap_or(-1);
        assert_eq!(kp["leader"].as_i64().unwrap(), leader, "{p} vs {kp}");
        let replicas: Vec<u64> = serde_json::from_value(p["replicas"].clone()).unwrap();
        let isr: Vec<u64> = serde_json::from_value(p["isr"].clone()).unwrap();
        assert_eq!(ids(&kp["replicas"]), replicas, "{p} vs {kp}");
        assert_eq!(ids(&kp["isrs"]), isr, "{p} vs {kp}");
        compared += 1;
    }
    assert!(compared > 0, "the demo room has partitions");

    // A topic nobody created: Kafka's broker defaults create it (1 partition, replication 1)
    // through the room's own `topic create`, so the room lists it too.
    kcat_metadata(server.kafka, Some("from-kcat")).await;
    let state = within("a snapshot", ws::snapshot(&mut viewer)).await["state"].clone();
    let created = state["topics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "from-kcat")
        .expect("auto-created in the room");
    assert_eq!(created["partitions"], 1);
    assert_eq!(created["replication"], 1);
    let meta = kcat_metadata(server.kafka, Some("from-kcat")).await;
    let listed = &meta["topics"][0];
    assert_eq!(listed["topic"], "from-kcat");
    let p0 = state["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["topic"] == "from-kcat")
        .unwrap();
    assert_eq!(
        listed["partitions"][0]["leader"].as_i64().unwrap(),
        p0["leader"].as_i64().unwrap_or(-1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_broker_refuses_an_isolated_one_is_silent_a_restarted_one_listens() {
    let server = Server::start();
    let mut viewer = server.viewer().await;
    let ports = broker_ports(&kcat_metadata(server.kafka, None).await);
    let (one, two) = (ports[&1], ports[&2]);

    let mut open = within("connect", TcpStream::connect(("127.0.0.1", two)))
        .await
        .unwrap();
    within("write", open.write_all(&api_versions_v0(1)))
        .await
        .unwrap();
    assert_eq!(
        read_response(&mut open, Duration::from_secs(5))
            .await
            .map(|r| r.0),
        Some(1)
    );

    command(&mut viewer, "broker kill 2", 10).await;
    assert!(closed(&mut open, Duration::from_secs(5)).await, "dropped");
    assert!(
        eventually(async || TcpStream::connect(("127.0.0.1", two)).await.is_err()).await,
        "a killed broker refuses connections"
    );
    assert!(answers(one).await, "the others still answer");

    command(&mut viewer, "broker restart 2", 11).await;
    assert!(
        eventually(async || answers(two).await).await,
        "listening again"
    );

    command(&mut viewer, "network isolate 2", 12).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut cut = within("connect", TcpStream::connect(("127.0.0.1", two)))
        .await
        .unwrap();
    within("write", cut.write_all(&api_versions_v0(3)))
        .await
        .unwrap();
    assert!(
        read_response(&mut cut, Duration::from_secs(1))
            .await
            .is_none(),
        "an isolated broker does not answer"
    );
    command(&mut viewer, "network heal", 13).await;
    assert_eq!(
        read_response(&mut cut, Duration::from_secs(5))
            .await
            .map(|r| r.0),
        Some(3),
        "the held request is answered once the isolation ends"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bytes_close_their_connection_and_500_connections_leave_the_room_answering() {
    let server = Server::start();
    let mut viewer = server.viewer().await;
    let port = server.kafka;
    let rss_before = server.rss_kib();

    // A 2 GB size prefix: closed without reading on.
    let mut s = within("connect", TcpStream::connect(("127.0.0.1", port)))
        .await
        .unwrap();
    within("write", s.write_all(&0x7fff_ffffu32.to_be_bytes()))
        .await
        .unwrap();
    assert!(closed(&mut s, Duration::from_secs(5)).await);
    // An unknown API key: closed, as Kafka's broker does.
    let mut s = within("connect", TcpStream::connect(("127.0.0.1", port)))
        .await
        .unwrap();
    within(
        "write",
        s.write_all(&[0, 0, 0, 10, 0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff]),
    )
    .await
    .unwrap();
    assert!(closed(&mut s, Duration::from_secs(5)).await);
    // An ApiVersions version from the future, sent as a newer client would (ApiVersions v3 and
    // later have the flexible header v2: the client id, then tagged fields): UNSUPPORTED_VERSION
    // (35) at v0.
    let mut s = within("connect", TcpStream::connect(("127.0.0.1", port)))
        .await
        .unwrap();
    let mut future = api_versions_v0(9);
    future[7] = 99;
    future.push(0); // no tagged fields
    future[3] += 1; // the size prefix counts that byte
    within("write", s.write_all(&future)).await.unwrap();
    let (correlation, body) = read_response(&mut s, Duration::from_secs(5)).await.unwrap();
    assert_eq!((correlation, &body[..2]), (9, &35i16.to_be_bytes()[..]));
    // A truncated frame, then the peer goes: nothing to answer, nothing held.
    let mut s = within("connect", TcpStream::connect(("127.0.0.1", port)))
        .await
        .unwrap();
    within("write", s.write_all(&[0, 0, 1, 0, 0, 18]))
        .await
        .unwrap();
    drop(s);
    // A client that pipelines requests and never reads: its own connection stalls.
    let mut deaf = within("connect", TcpStream::connect(("127.0.0.1", port)))
        .await
        .unwrap();
    let burst: Vec<u8> = (0..20_000).flat_map(api_versions_v0).collect();
    let _ = tokio::time::timeout(Duration::from_secs(2), deaf.write_all(&burst)).await;

    // 500 connections at once, each asking for ApiVersions.
    let clients: Vec<_> = (0..500).map(|_| tokio::spawn(answers(port))).collect();
    let mut answered = 0;
    for c in clients {
        answered += usize::from(within("500 connections", c).await.unwrap());
    }
    assert_eq!(answered, 500);

    // The room is unaffected: it answers and its clock moves.
    let before = within("a snapshot", ws::snapshot(&mut viewer)).await["clock"]["now_us"].as_u64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = within("a snapshot", ws::snapshot(&mut viewer)).await["clock"]["now_us"].as_u64();
    assert!(after > before, "the room plays on: {before:?} → {after:?}");
    assert!(answers(port).await);
    let grown = server.rss_kib().saturating_sub(rss_before);
    assert!(grown < 64 * 1024, "the server grew by {grown} KiB");
    drop(deaf);
}

/// While a Kafka client is connected the room keeps to the wall clock: it is set to 1×, a speed
/// change and a rewind are refused with the reason, and the presenter sees the connection
/// counted; when the client leaves, the controls are back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_client_holds_the_room_at_real_time() {
    let server = Server::start();
    let mut viewer = server.viewer().await;
    let speed = |s: f64| json!({"type": "speed", "speed": s});
    let reply = within("speed 5", ws::request(&mut viewer, speed(5.0), 1)).await;
    assert_eq!(reply["ok"], true, "{reply}");

    let mut client = TcpStream::connect(("127.0.0.1", server.kafka))
        .await
        .expect("the listener accepts");
    client.write_all(&api_versions_v0(3)).await.unwrap();
    assert!(read_response(&mut client, STEP).await.is_some());
    // Its request's client.id is null: a program of its own, not named.
    assert!(
        eventually(async || {
            let s = within("snapshot", ws::snapshot(&mut viewer)).await;
            let a = &s["audience"];
            a["kafka_clients"] == 1
                && a["kafka_connections"] == 1
                && a["kafka_client_ids"] == json!([])
                && s["clock"]["speed"] == 1.0
        })
        .await,
        "the room counts the client and plays at 1×"
    );
    // A connection that has sent nothing yet counts by itself: "a client is connecting".
    let silent = TcpStream::connect(("127.0.0.1", server.kafka))
        .await
        .expect("the listener accepts");
    assert!(
        eventually(async || {
            let s = within("snapshot", ws::snapshot(&mut viewer)).await;
            s["audience"]["kafka_clients"] == 2 && s["audience"]["kafka_connections"] == 2
        })
        .await,
        "a silent connection is counted"
    );
    drop(silent);
    let refused = within("speed 5", ws::request(&mut viewer, speed(5.0), 2)).await;
    assert_eq!(refused["ok"], false);
    let why = refused["error"]["message"].as_str().unwrap();
    assert!(why.contains("Kafka client") && why.contains("1×"), "{why}");
    let refused = within(
        "seek",
        ws::request(&mut viewer, json!({"type": "seek", "to_us": 0}), 3),
    )
    .await;
    assert_eq!(refused["ok"], false);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("time travel"),
        "{refused}"
    );

    drop(client);
    assert!(
        eventually(async || {
            let s = within("snapshot", ws::snapshot(&mut viewer)).await;
            s["audience"]["kafka_clients"] == 0 && s["audience"]["kafka_connections"] == 0
        })
        .await,
        "the connection is no longer counted once closed"
    );
    let reply = within("speed 5", ws::request(&mut viewer, speed(5.0), 4)).await;
    assert_eq!(reply["ok"], true, "{reply}");
}

/// A real client program that holds its connections open (`tests/python/connected_program.py`)
/// until it is dropped.
struct HeldProgram {
    child: std::process::Child,
    /// What it printed when ready.
    ready: String,
}

impl HeldProgram {
    /// Starts kafka-python as `role` (`producer` or `consumer`) named `client_id` on `topic`,
    /// and waits until it says it is ready.
    fn start(kafka: u16, role: &str, client_id: &str, topic: &str, group: &str) -> HeldProgram {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let script = format!("{}/python/connected_program.py", env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new(python())
            .args([
                &script,
                &format!("127.0.0.1:{kafka}"),
                role,
                client_id,
                topic,
                group,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kafka-python runs (tests/run installs it)");
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (said, heard) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = said.send(line);
            }
        });
        let ready = heard
            .recv_timeout(STEP)
            .unwrap_or_else(|_| panic!("{client_id} says it is ready"));
        assert!(ready.starts_with("ready"), "{client_id}: {ready}");
        HeldProgram { child, ready }
    }
}

impl Drop for HeldProgram {
    fn drop(&mut self) {
        // Its stdin closed, it closes its client; killed if it takes too long.
        drop(self.child.stdin.take());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The presenter panel counts programs, not connections: one kafka-python producer opens a
/// connection to its bootstrap broker and one to each leader it writes to, all under its one
/// client.id, and is one program; a consumer with another client.id is a second one. The room
/// keeps to the wall clock while any of their connections is open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connected_programs_are_counted_by_client_id_not_by_connection() {
    let server = Server::start();
    let mut viewer = server.viewer().await;
    let audience = async |viewer: &mut ws::Socket| {
        within("snapshot", ws::snapshot(viewer)).await["audience"].clone()
    };

    // The demo's orders: 3 partitions led by brokers 1, 2 and 3.
    let ada = HeldProgram::start(server.kafka, "producer", "ada", "orders", "");
    assert_eq!(ada.ready, "ready [0, 1, 2]", "ada wrote to every partition");
    assert!(
        eventually(async || {
            let a = audience(&mut viewer).await;
            a["kafka_clients"] == 1
                && a["kafka_connections"].as_u64().unwrap() >= 2
                && a["kafka_client_ids"] == json!(["ada"])
        })
        .await,
        "one program, ada, over 2+ connections: {}",
        audience(&mut viewer).await
    );

    let bob = HeldProgram::start(server.kafka, "consumer", "bob-reader", "orders", "class");
    assert!(
        eventually(async || {
            let a = audience(&mut viewer).await;
            a["kafka_clients"] == 2
                && a["kafka_connections"].as_u64().unwrap() >= 3
                && a["kafka_client_ids"] == json!(["ada", "bob-reader"])
        })
        .await,
        "two programs: {}",
        audience(&mut viewer).await
    );
    let refused = within(
        "speed 5",
        ws::request(&mut viewer, json!({"type": "speed", "speed": 5.0}), 1),
    )
    .await;
    let why = refused["error"]["message"].as_str().unwrap();
    assert!(
        why.starts_with("2 Kafka clients are connected (") && why.contains("1×"),
        "{why}"
    );

    drop(ada);
    assert!(
        eventually(async || {
            let a = audience(&mut viewer).await;
            a["kafka_clients"] == 1 && a["kafka_client_ids"] == json!(["bob-reader"])
        })
        .await,
        "ada's connections closed: {}",
        audience(&mut viewer).await
    );
    drop(bob);
    assert!(
        eventually(async || {
            let a = audience(&mut viewer).await;
            a["kafka_clients"] == 0 && a["kafka_connections"] == 0
        })
        .await,
        "nobody connected: {}",
        audience(&mut viewer).await
    );
}
