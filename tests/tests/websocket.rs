//! The WebSocket protocol against a real server on port 0, with tokio-tungstenite as the client:
//! what a browser relies on (a snapshot on connect, commands that change the next frames, bad
//! messages refused without touching the room, slow viewers that cannot slow the others).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A server on a free port playing the bundled demo; returns its address.
async fn start_server() -> std::net::SocketAddr {
    start_server_with(&[]).await
}

/// A server on a free port with the rooms `extra` created besides `demo`.
async fn start_server_with(extra: &[&str]) -> std::net::SocketAddr {
    let script = playground::serve::load_scenario(None).expect("the demo parses");
    let rooms = playground::Rooms::new(script);
    for name in extra {
        rooms.create(name).expect("a fresh room");
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum_serve(listener, rooms).await });
    addr
}

async fn axum_serve(listener: tokio::net::TcpListener, rooms: playground::Rooms) {
    playground::serve::serve_on(listener, rooms).await.unwrap();
}

/// A fresh server and a viewer of `room` that has read its connect snapshot.
async fn viewer_of(room: &str) -> Socket {
    let addr = start_server_with(
        &[room]
            .into_iter()
            .filter(|r| *r != "demo")
            .collect::<Vec<_>>(),
    )
    .await;
    let mut socket = connect(addr, room).await;
    let first = next(&mut socket).await;
    assert_eq!(first["type"], "snapshot");
    socket
}

/// A viewer of `room` that has read its `hello` (the snapshot comes next).
async fn connect(addr: std::net::SocketAddr, room: &str) -> Socket {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/{room}"))
        .await
        .expect("connect");
    let hello = next(&mut socket).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(hello["room"], room);
    socket
}

thread_local! {
    /// Every log line the test's sockets received, in order (frames skipped by `request` too).
    static LOG: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn log_lines() -> Vec<String> {
    LOG.with(|l| l.borrow().clone())
}

/// What the received snapshots and frames say, merged as the browser merges them.
#[derive(Default)]
struct Model {
    alive: BTreeMap<u64, bool>,
    leaders: BTreeMap<(String, u64), Value>,
}

thread_local! {
    static MODEL: std::cell::RefCell<Model> = std::cell::RefCell::default();
}

fn merge(m: &Value) {
    MODEL.with(|model| {
        let model = &mut *model.borrow_mut();
        let (brokers, leaders) = (&mut model.alive, &mut model.leaders);
        for b in list(&m["state"], "brokers") {
            if let Some(alive) = b["alive"].as_bool() {
                brokers.insert(b["id"].as_u64().unwrap(), alive);
            }
        }
        for p in list(&m["state"], "partitions") {
            if let Some(leader) = p.get("leader") {
                let key = (
                    p["topic"].as_str().unwrap().to_string(),
                    p["partition"].as_u64().unwrap(),
                );
                leaders.insert(key, leader.clone());
            }
        }
    });
}

fn broker_alive(id: u64) -> Option<bool> {
    MODEL.with(|m| m.borrow().alive.get(&id).copied())
}

fn leader_of(topic: &str, partition: u64) -> Value {
    MODEL.with(|m| {
        m.borrow()
            .leaders
            .get(&(topic.to_string(), partition))
            .cloned()
            .unwrap_or(Value::Null)
    })
}

/// The next JSON text message (skipping nothing), within 5 s.
async fn next(socket: &mut Socket) -> Value {
    let m = next_message(socket).await;
    merge(&m);
    if let Some(entries) = m["log"].as_array() {
        LOG.with(|l| {
            l.borrow_mut().extend(
                entries
                    .iter()
                    .map(|e| e["text"].as_str().unwrap_or("").to_string()),
            )
        });
    }
    m
}

async fn next_message(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a message within 5 s")
            .expect("open")
            .expect("no error");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("JSON");
        }
    }
}

/// A list of a frame's state: absent when nothing in it changed.
fn list<'a>(state: &'a Value, name: &str) -> &'a [Value] {
    state[name].as_array().map_or(&[], Vec::as_slice)
}

/// Sends a message and returns its reply, skipping frames that arrive meanwhile.
async fn request(socket: &mut Socket, message: Value) -> Value {
    let id = message["id"].clone();
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
    loop {
        let m = next(socket).await;
        if m["type"] == "reply" && m["id"] == id {
            return m;
        }
    }
}

/// Asks for a snapshot and returns it (after its reply, so no reply is left unread).
async fn snapshot(socket: &mut Socket, id: u64) -> Value {
    socket
        .send(Message::text(
            json!({"v": 1, "id": id, "type": "snapshot"}).to_string(),
        ))
        .await
        .unwrap();
    let mut snapshot = None;
    loop {
        let m = next(socket).await;
        if m["type"] == "snapshot" {
            snapshot = Some(m);
        } else if m["type"] == "reply" && m["id"] == id {
            return snapshot.expect("the snapshot comes before its reply");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_gets_a_snapshot_of_the_demo_on_connect() {
    let addr = start_server().await;
    let mut socket = connect(addr, "demo").await;
    let first = next(&mut socket).await;
    assert_eq!(first["v"], 1);
    assert_eq!(first["type"], "snapshot");
    assert_eq!(first["room"], "demo");
    let state = &first["state"];
    assert_eq!(state["brokers"].as_array().unwrap().len(), 3);
    assert_eq!(state["partitions"].as_array().unwrap().len(), 3);
    for p in state["partitions"].as_array().unwrap() {
        assert_eq!(p["replicas"].as_array().unwrap().len(), 3, "{p}");
        assert_eq!(p["isr"].as_array().unwrap().len(), 3, "{p}");
    }
    assert_eq!(state["producers"][0]["name"], "checkout");
    assert_eq!(state["groups"][0]["name"], "billing");
    let consumers: Vec<&str> = state["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(consumers, ["billing-1", "billing-2"]);
    // Then frames follow, numbered from the snapshot on.
    let frame = next(&mut socket).await;
    assert_eq!(frame["type"], "frame");
    assert_eq!(frame["seq"], first["seq"].as_u64().unwrap() + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_broker_moves_its_leaders_in_the_next_frames() {
    let addr = start_server().await;
    let mut socket = connect(addr, "demo").await;
    let first = next(&mut socket).await;
    let led_by_1: Vec<u64> = first["state"]["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["leader"] == 1)
        .map(|p| p["partition"].as_u64().unwrap())
        .collect();
    assert!(!led_by_1.is_empty(), "broker 1 leads something in the demo");

    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 1, "type": "command", "line": "broker kill 1"}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 2, "type": "speed", "speed": 20}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");

    // Follow the frames: broker 1 goes down, then (after the 9 s broker session timeout, half a
    // second of wall time at 20×) every partition it led gets another leader.
    let deadline = Instant::now() + Duration::from_secs(10);
    let moved = || {
        led_by_1.iter().all(|p| {
            let l = leader_of("orders", *p);
            l != 1 && !l.is_null()
        })
    };
    while Instant::now() < deadline && !(broker_alive(1) == Some(false) && moved()) {
        next(&mut socket).await;
    }
    let broker_down = broker_alive(1) == Some(false);
    assert!(broker_down, "a frame showed broker 1 down");
    for p in &led_by_1 {
        let leader = &leader_of("orders", *p);
        assert!(leader == 2 || leader == 3, "orders/{p} leader is {leader}");
    }
    // The log says it in words, election and ISR change on one line.
    let log = log_lines();
    assert!(
        log.iter().any(|l| l.starts_with("broker 1 died")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("broker 1 fenced")
            && l.contains("leader 1 → ")
            && l.contains("ISR {")),
        "{log:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_get_an_error_reply_and_change_nothing() {
    let mut socket = viewer_of("demo").await;
    let reply = request(&mut socket, json!({"v": 1, "id": 1, "type": "pause"})).await;
    assert_eq!(reply["ok"], true);
    let before = snapshot(&mut socket, 2).await;

    let huge = json!({"v": 1, "id": 30, "type": "check", "source": "#".repeat(200_000)});
    let oversized = json!({"v": 1, "id": 3, "type": "command", "line": format!("produce orders value={}", "x".repeat(10_000))});
    let cases: Vec<(String, &str)> = vec![
        ("{\"v\":1,\"type\":".to_string(), "malformed message"),
        ("[1,2,3]".to_string(), "malformed message"),
        (json!({"v": 1, "type": "fly"}).to_string(), "malformed message"),
        (json!({"v": 9, "id": 4, "type": "play"}).to_string(), "protocol version 9"),
        (json!({"type": "play"}).to_string(), "missing protocol version"),
        (oversized.to_string(), "the line is too long"),
        (huge.to_string(), "message too large"),
        (json!({"v": 1, "id": 5, "type": "speed", "speed": 50}).to_string(), "speed must be between"),
        (json!({"v": 1, "id": 6, "type": "command", "line": "broker kil 1"}).to_string(), "unknown command"),
        (json!({"v": 1, "id": 7, "type": "command", "line": "broker kill 9"}).to_string(), "9"),
        (json!({"v": 1, "id": 8, "type": "command", "line": "topic create orders partitions=2 replication=1"}).to_string(), "already exists"),
        (json!({"v": 1, "id": 9, "type": "command", "line": "produce orders key=\"unterminated"}).to_string(), "unterminated"),
        (json!({"v": 1, "id": 10, "type": "inspect", "topic": "nope", "partition": 0}).to_string(), "unknown partition"),
    ];
    for (raw, expected) in &cases {
        socket.send(Message::text(raw.clone())).await.unwrap();
        let reply = loop {
            let m = next(&mut socket).await;
            if m["type"] == "reply" {
                break m;
            }
        };
        assert_eq!(reply["ok"], false, "{raw} → {reply}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{raw} → {message}");
    }
    // A console mistake points at its column, with a hint.
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 11, "type": "command", "line": "broker kil 1"}),
    )
    .await;
    assert_eq!(reply["error"]["col"], 8);
    assert_eq!(reply["error"]["hint"], "did you mean 'kill'?");
    // Binary frames are not the protocol either.
    socket.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    let reply = loop {
        let m = next(&mut socket).await;
        if m["type"] == "reply" {
            break m;
        }
    };
    assert_eq!(reply["ok"], false);

    let after = snapshot(&mut socket, 12).await;
    assert_eq!(before["state"], after["state"], "the room is unchanged");
    assert_eq!(before["clock"], after["clock"]);
    assert_eq!(before["log"], after["log"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_that_never_reads_does_not_slow_the_others() {
    let addr = start_server().await;
    // Busy frames: a fast producer at 20× speed.
    let mut driver = connect(addr, "demo").await;
    next(&mut driver).await;
    for (id, line) in [(1, "producer rate checkout 2000/s")] {
        let reply = request(
            &mut driver,
            json!({"v": 1, "id": id, "type": "command", "line": line}),
        )
        .await;
        assert_eq!(reply["ok"], true, "{reply}");
    }
    let reply = request(
        &mut driver,
        json!({"v": 1, "id": 2, "type": "speed", "speed": 20}),
    )
    .await;
    assert_eq!(reply["ok"], true);

    // Five viewers connect with a tiny receive buffer and never read again.
    let mut stalled = Vec::new();
    for _ in 0..5 {
        let tcp = tokio::net::TcpSocket::new_v4().unwrap();
        tcp.set_recv_buffer_size(4096).unwrap();
        let stream = tcp.connect(addr).await.unwrap();
        let (socket, _) = tokio_tungstenite::client_async(
            format!("ws://{addr}/ws/demo"),
            MaybeTlsStream::Plain(stream),
        )
        .await
        .unwrap();
        stalled.push(socket);
    }

    // Meanwhile a healthy viewer counts its frames and the longest gap between two.
    let mut healthy = connect(addr, "demo").await;
    next(&mut healthy).await;
    let window = Duration::from_secs(8);
    let start = Instant::now();
    let mut frames = 0u32;
    let mut bytes = 0usize;
    let mut last = Instant::now();
    let mut longest_gap = Duration::ZERO;
    let mut last_seq = None;
    let mut gaps_in_seq = 0;
    let mut snapshots = 0;
    let (mut first_us, mut last_us) = (None, 0);
    while start.elapsed() < window {
        let Ok(Some(Ok(Message::Text(text)))) =
            tokio::time::timeout(Duration::from_secs(2), healthy.next()).await
        else {
            panic!("the healthy viewer waited 2 s for a frame");
        };
        let m: Value = serde_json::from_str(text.as_str()).unwrap();
        if m["type"] == "snapshot" {
            snapshots += 1;
        }
        if m["type"] == "frame" {
            let now_us = m["clock"]["now_us"].as_u64().unwrap();
            first_us.get_or_insert(now_us);
            last_us = now_us;
            frames += 1;
            bytes += text.len();
            longest_gap = longest_gap.max(last.elapsed());
            last = Instant::now();
            let seq = m["seq"].as_u64().unwrap();
            if last_seq.is_some_and(|s: u64| seq != s + 1) {
                gaps_in_seq += 1;
            }
            last_seq = Some(seq);
        }
    }
    let per_second = f64::from(frames) / window.as_secs_f64();
    let simulated = (last_us - first_us.unwrap_or(last_us)) as f64 / 1e6;
    let wall = start.elapsed().as_secs_f64();
    println!(
        "healthy viewer beside 5 stalled ones: {frames} frames in {wall:.1} s ({per_second:.1}/s, {:.1} KB/s), longest gap {longest_gap:?}, {gaps_in_seq} seq gaps, {snapshots} resyncs; the room simulated {simulated:.1} s at 20× ({:.0}% of wall time × speed)",
        bytes as f64 / 1024.0 / wall,
        100.0 * simulated / (wall * 20.0)
    );
    // Not a timing test (machines are noisy): the healthy viewer got every frame the room sent,
    // in order, without ever falling behind, while the room's clock kept running.
    assert_eq!(gaps_in_seq, 0, "the healthy viewer received every frame");
    assert_eq!(snapshots, 0, "the healthy viewer never needed a resync");
    assert!(frames > 0);
    assert!(
        simulated > wall * 20.0 * 0.25,
        "the room kept playing: {simulated:.1} simulated s in {wall:.1} s at 20×"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_takes_every_scenario_form() {
    let mut socket = viewer_of("console").await;
    let mut id = 0;
    let mut line = async |socket: &mut Socket, text: &str| {
        id += 1;
        request(
            socket,
            json!({"v": 1, "id": id, "type": "command", "line": text}),
        )
        .await
    };
    assert_eq!(
        line(&mut socket, "").await["ok"],
        true,
        "a blank line is fine"
    );
    assert_eq!(line(&mut socket, "# a comment").await["ok"], true);
    for setup in [
        "topic create payments partitions=2 replication=2 min-insync=1",
        "producer add pay topic=payments rate=5/s keys=card-1..card-4 acks=1",
        "group add audit topics=payments consumers=1 offset-reset=earliest",
        "consumer add audit-extra group=audit",
        "produce payments key=card-1 value=\"10 €\"",
        "say \"payments are flowing\"",
    ] {
        let reply = line(&mut socket, setup).await;
        assert_eq!(reply["ok"], true, "{setup}: {reply}");
    }
    // `title` and `seed` belong to files.
    let reply = line(&mut socket, "seed 4").await;
    assert_eq!(reply["ok"], false);

    // `expect` answers with a check mark or a cross, and changes nothing.
    let reply = line(&mut socket, "expect partition payments key=card-1 == 1").await;
    let output = reply["output"].as_str().unwrap_or_default().to_string();
    let reply2 = line(&mut socket, "expect broker 1 == down").await;
    let output2 = reply2["output"].as_str().unwrap().to_string();
    assert!(
        output.starts_with('✓') || output.starts_with('✗'),
        "{output}"
    );
    assert!(
        output2.starts_with("✗ expected broker 1 == down, got up"),
        "{output2}"
    );

    // `wait` plays the clock for that long, then pauses.
    line(&mut socket, "pause").await;
    let before = snapshot(&mut socket, 900).await["clock"]["now_us"]
        .as_u64()
        .unwrap();
    let reply = line(&mut socket, "wait 2s").await;
    assert_eq!(reply["output"], "playing for 2s");
    // Frames and replies travel separately (a broadcast and a reply channel), so the paused
    // frame the `pause` flushed may still arrive after this reply: it is at `before`, skip it.
    let paused_at = loop {
        let m = next(&mut socket).await;
        let now = m["clock"]["now_us"].as_u64().unwrap_or(before);
        if m["type"] == "frame" && m["clock"]["playing"] == false && now != before {
            break now;
        }
    };
    assert_eq!(paused_at, before + 2_000_000, "paused exactly 2 s later");

    // `at` schedules a line at an instant of the room's clock; a past instant is refused.
    let reply = line(&mut socket, "at 1s broker kill 2").await;
    assert_eq!(reply["ok"], false, "{reply}");
    let at = paused_at / 1_000_000 + 1;
    let reply = line(&mut socket, &format!("at {at}s broker kill 2")).await;
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(reply["output"], format!("scheduled at {at}s"));
    line(&mut socket, "wait 2s").await;
    let down_at = loop {
        let m = next(&mut socket).await;
        if m["type"] != "frame" {
            continue;
        }
        if list(&m["state"], "brokers")
            .iter()
            .any(|b| b["id"] == 2 && b["alive"] == false)
        {
            break m["clock"]["now_us"].as_u64().unwrap();
        }
    };
    assert!(down_at >= at * 1_000_000, "{down_at}");
    // The log tells what was typed and what it did.
    let log = log_lines();
    assert!(log.iter().any(|l| l == "payments are flowing"), "{log:#?}");
    assert!(
        log.iter().any(|l| l.starts_with("› topic create payments")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("broker 2 died")),
        "{log:#?}"
    );
}

/// Plays until the room's clock passes `t_us` (at 20×), returns the first frame beyond it.
async fn play_until(socket: &mut Socket, t_us: u64) {
    loop {
        let m = next(socket).await;
        if m["clock"]["now_us"].as_u64().is_some_and(|now| now >= t_us) {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lessons_load_pause_and_go_on_with_next() {
    let mut socket = viewer_of("lesson").await;
    let reply = request(&mut socket, json!({"v": 1, "id": 1, "type": "lessons"})).await;
    let lessons = reply["lessons"].as_array().unwrap();
    assert!(lessons.len() >= 10, "{} lessons", lessons.len());
    assert!(
        lessons
            .iter()
            .all(|l| l["title"].is_string() && l["pauses"].as_u64().unwrap() > 0)
    );
    let id = lessons[3]["id"].as_str().unwrap().to_string();

    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 2, "type": "load", "lesson": id}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    request(
        &mut socket,
        json!({"v": 1, "id": 3, "type": "speed", "speed": 20}),
    )
    .await;
    // Play until the first pause stops the clock.
    let stopped = loop {
        let m = next(&mut socket).await;
        if m["lesson"]["at_pause"] == true {
            break m;
        }
    };
    assert_eq!(stopped["lesson"]["id"], id);
    assert_eq!(stopped["lesson"]["pauses_done"], 1);
    assert_eq!(stopped["clock"]["playing"], false);
    let reply = request(&mut socket, json!({"v": 1, "id": 4, "type": "next"})).await;
    assert_eq!(reply["ok"], true);
    let second = loop {
        let m = next(&mut socket).await;
        if m["lesson"]["at_pause"] == true {
            break m;
        }
    };
    assert_eq!(second["lesson"]["pauses_done"], 2);
    assert!(second["clock"]["now_us"].as_u64() > stopped["clock"]["now_us"].as_u64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewinding_shows_the_past_and_acting_forks_the_future() {
    let mut socket = viewer_of("travel").await;
    request(
        &mut socket,
        json!({"v": 1, "id": 1, "type": "speed", "speed": 20}),
    )
    .await;
    play_until(&mut socket, 12_000_000).await;
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 2, "type": "command", "line": "broker kill 1"}),
    )
    .await;
    assert_eq!(reply["ok"], true);
    play_until(&mut socket, 30_000_000).await;
    request(&mut socket, json!({"v": 1, "id": 3, "type": "pause"})).await;
    let late = snapshot(&mut socket, 4).await;
    let horizon = late["timeline"]["horizon_us"].as_u64().unwrap();
    assert!(horizon >= 30_000_000);
    let broker1 = |s: &Value| s["state"]["brokers"][0]["alive"].as_bool().unwrap();
    assert!(!broker1(&late));

    // Back to 8 s: broker 1 is alive again, the clock is paused there.
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 5, "type": "seek", "to_us": 8_000_000}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    let early = snapshot(&mut socket, 6).await;
    assert_eq!(early["clock"]["now_us"], 8_000_000);
    assert!(broker1(&early));
    assert_eq!(early["timeline"]["horizon_us"], horizon);

    // Forward again to the horizon: the journal replays the kill, the state is what it was.
    request(
        &mut socket,
        json!({"v": 1, "id": 7, "type": "seek", "to_us": horizon}),
    )
    .await;
    let again = snapshot(&mut socket, 8).await;
    assert_eq!(
        again["state"], late["state"],
        "replay reaches the same state"
    );

    // Rewind, then act: the old future is gone (the horizon is now), a new one starts.
    request(
        &mut socket,
        json!({"v": 1, "id": 9, "type": "seek", "to_us": 8_000_000}),
    )
    .await;
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 10, "type": "command", "line": "broker kill 2"}),
    )
    .await;
    assert_eq!(reply["ok"], true);
    let forked = snapshot(&mut socket, 11).await;
    assert_eq!(forked["timeline"]["horizon_us"], 8_000_000);
    assert!(broker1(&forked));
    assert_eq!(forked["state"]["brokers"][1]["alive"], false);
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 12, "type": "seek", "to_us": horizon}),
    )
    .await;
    assert_eq!(reply["ok"], false, "the old future is gone: {reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_session_replays_headless_to_the_same_state() {
    let mut socket = viewer_of("export").await;
    request(
        &mut socket,
        json!({"v": 1, "id": 1, "type": "speed", "speed": 20}),
    )
    .await;
    let mut id = 10;
    for (t, line) in [
        (
            4_000_000,
            "produce orders key=\"é <b>\" value=\"a \\\"quoted\\\" value\"",
        ),
        (7_000_000, "consumer crash billing-1"),
        (9_000_000, "broker kill 2"),
        (11_000_000, "at 20s broker restart 2"),
        (13_000_000, "producer rate checkout 10/s"),
        (
            16_000_000,
            "group add audit topics=orders consumers=2 assignor=cooperative-sticky offset-reset=earliest",
        ),
    ] {
        play_until(&mut socket, t).await;
        id += 1;
        let reply = request(
            &mut socket,
            json!({"v": 1, "id": id, "type": "command", "line": line}),
        )
        .await;
        assert_eq!(reply["ok"], true, "{line}: {reply}");
    }
    play_until(&mut socket, 30_000_000).await;
    request(&mut socket, json!({"v": 1, "id": 2, "type": "pause"})).await;
    let live = snapshot(&mut socket, 3).await;
    let reply = request(&mut socket, json!({"v": 1, "id": 4, "type": "export"})).await;
    let text = reply["output"].as_str().unwrap().to_string();
    println!("{text}");

    let script =
        engine::scenario::parser::parse("session.scenario", &text).expect("the export parses");
    let (report, cluster) = engine::runner::run(&script, |_| {});
    assert!(report.passed(), "{:?}", report.lines);
    let headless =
        serde_json::to_value(playground::state::from_snapshot(&cluster.snapshot())).unwrap();
    assert_eq!(report.end_us, live["clock"]["now_us"].as_u64().unwrap());
    assert_eq!(
        headless, live["state"],
        "the export replays to the same state"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_checks_and_a_bad_file_runs_nothing() {
    let mut socket = viewer_of("editor").await;
    request(&mut socket, json!({"v": 1, "id": 1, "type": "pause"})).await;
    let before = snapshot(&mut socket, 2).await;
    let source = "title \"mine\"\nbrokers 3\ntopic create t partitions=3 replicaton=3\nproducer add p topic=nope\n";
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 3, "type": "check", "name": "mine.scenario", "source": source}),
    )
    .await;
    assert_eq!(reply["ok"], true);
    let found = reply["diagnostics"].as_array().unwrap();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0]["line"], 3);
    assert_eq!(found[0]["col"], 29);
    assert_eq!(found[0]["hint"], "did you mean 'replication'?");
    assert_eq!(found[1]["line"], 4);
    // Run refuses it with the same diagnostics, and nothing changes.
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 4, "type": "load", "name": "mine.scenario", "source": source}),
    )
    .await;
    assert_eq!(reply["ok"], false);
    assert_eq!(reply["diagnostics"].as_array().unwrap().len(), 2);
    let after = snapshot(&mut socket, 5).await;
    assert_eq!(before["state"], after["state"]);
    assert_eq!(before["clock"], after["clock"]);
    // A good text runs.
    let good = "title \"mine\"\nbrokers 2\ntopic create t partitions=2 replication=2\n";
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 6, "type": "load", "name": "mine.scenario", "source": good}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    let loaded = snapshot(&mut socket, 7).await;
    assert_eq!(loaded["state"]["brokers"].as_array().unwrap().len(), 2);
    assert_eq!(loaded["lesson"]["id"], "mine.scenario");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_typed_at_a_pause_keeps_its_place_in_export_and_rewind() {
    let mut socket = viewer_of("pause-order").await;
    request(
        &mut socket,
        json!({"v": 1, "id": 1, "type": "load", "lesson": "05-rebalancing"}),
    )
    .await;
    request(
        &mut socket,
        json!({"v": 1, "id": 2, "type": "speed", "speed": 20}),
    )
    .await;
    loop {
        let m = next(&mut socket).await;
        if m["lesson"]["at_pause"] == true {
            break;
        }
    }
    // Typed at the pause: before the steps that follow the pause at the same instant.
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 3, "type": "command", "line": "consumer crash eager-1"}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    request(&mut socket, json!({"v": 1, "id": 4, "type": "next"})).await;
    play_until(&mut socket, 24_000_000).await;
    request(&mut socket, json!({"v": 1, "id": 5, "type": "pause"})).await;
    let live = snapshot(&mut socket, 6).await;

    let reply = request(&mut socket, json!({"v": 1, "id": 7, "type": "export"})).await;
    let text = reply["output"].as_str().unwrap();
    let script = engine::scenario::parser::parse("session.scenario", text).expect("parses");
    let (_, cluster) = engine::runner::run(&script, |_| {});
    let headless =
        serde_json::to_value(playground::state::from_snapshot(&cluster.snapshot())).unwrap();
    assert_eq!(headless, live["state"], "export:\n{text}");

    // Rewind to the start and forward again: the same state.
    let now = live["clock"]["now_us"].as_u64().unwrap();
    request(
        &mut socket,
        json!({"v": 1, "id": 8, "type": "seek", "to_us": 0}),
    )
    .await;
    request(
        &mut socket,
        json!({"v": 1, "id": 9, "type": "seek", "to_us": now}),
    )
    .await;
    let again = snapshot(&mut socket, 10).await;
    assert_eq!(again["state"], live["state"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeking_past_a_pause_lands_where_asked_and_a_load_names_its_lesson_at_once() {
    let mut socket = viewer_of("seek-pause").await;
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 1, "type": "load", "lesson": "02-topics-partitions-offsets"}),
    )
    .await;
    assert_eq!(reply["ok"], true);
    // The snapshot that follows a load already names the new lesson.
    let loaded = snapshot(&mut socket, 2).await;
    assert_eq!(loaded["lesson"]["id"], "02-topics-partitions-offsets");
    request(
        &mut socket,
        json!({"v": 1, "id": 3, "type": "speed", "speed": 20}),
    )
    .await;
    // Past the first pause (8 s) and the second one.
    loop {
        let m = next(&mut socket).await;
        if m["lesson"]["pauses_done"] == 2 && m["lesson"]["at_pause"] == true {
            break;
        }
        if m["lesson"]["at_pause"] == true {
            request(&mut socket, json!({"v": 1, "id": 4, "type": "next"})).await;
        }
    }
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 5, "type": "seek", "to_us": 8_367_209}),
    )
    .await;
    assert_eq!(reply["ok"], true);
    let there = snapshot(&mut socket, 6).await;
    assert_eq!(
        there["clock"]["now_us"], 8_367_209,
        "not stopped at the pause on the way"
    );
    assert_eq!(there["lesson"]["pauses_done"], 1);
    assert_eq!(there["lesson"]["at_pause"], false);
    // Seeking exactly to a pause's instant stops there, at the pause.
    request(
        &mut socket,
        json!({"v": 1, "id": 7, "type": "seek", "to_us": 8_000_000}),
    )
    .await;
    let at = snapshot(&mut socket, 8).await;
    assert_eq!(at["lesson"]["at_pause"], true);
}

/// Frames a viewer receives in `window`.
async fn frames_in(socket: &mut Socket, window: Duration) -> u32 {
    let deadline = Instant::now() + window;
    let mut frames = 0;
    while Instant::now() < deadline {
        if next_message(socket).await["type"] == "frame" {
            frames += 1;
        }
    }
    frames
}

/// Regression: a producer of a billion records a second froze a room (2 frames in 50 s, 10 GB),
/// and a key range of 2^64 keys passed the parser, then panicked the producer. Both are refused
/// at the console with a clear message, and the room goes on at its frame rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_and_an_impossible_key_range_are_refused_and_the_room_goes_on() {
    let mut socket = viewer_of("flood").await;
    let before = frames_in(&mut socket, Duration::from_secs(2)).await;
    for (id, line, says) in [
        (
            1,
            "producer add flood topic=orders rate=1000000000/s",
            "limit",
        ),
        (2, "producer rate checkout 1000000000/s", "limit"),
        (
            3,
            "producer add p topic=orders rate=1/s keys=k-0..k-18446744073709551615",
            "key",
        ),
    ] {
        let reply = request(
            &mut socket,
            json!({"v": 1, "id": id, "type": "command", "line": line}),
        )
        .await;
        assert_eq!(reply["ok"], false, "{line} was accepted");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{line}: {message}");
    }
    let after = frames_in(&mut socket, Duration::from_secs(2)).await;
    assert!(
        after * 10 >= before * 8,
        "frames per 2 s fell from {before} to {after}"
    );
    // Nothing was added.
    let reply = request(
        &mut socket,
        json!({"v": 1, "id": 9, "type": "command", "line": "expect acked orders >= 0"}),
    )
    .await;
    assert_eq!(reply["ok"], true);
}
