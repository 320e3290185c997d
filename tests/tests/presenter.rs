//! The presenter's controls over the WebSocket, against a real server on port 0: Previous goes
//! back to exactly the state a pause was reached in, timeline markers are the engine's moments
//! and survive time travel as documented, lessons say how long they play, and repeated log
//! lines fold into one that counts.

use futures_util::SinkExt;
use playground_tests::ws::{Socket, next, snapshot, viewer_of_new_room};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Sends a message; returns its reply and every message that came before it.
async fn request(socket: &mut Socket, id: u64, body: Value) -> (Value, Vec<Value>) {
    let mut message = body;
    message["v"] = json!(1);
    message["id"] = json!(id);
    socket
        .send(Message::text(message.to_string()))
        .await
        .unwrap();
    let mut before = Vec::new();
    loop {
        let m = next(socket).await;
        if m["type"] == "reply" && m["id"] == id {
            return (m, before);
        }
        before.push(m);
    }
}

/// Plays until the room waits at pause `n` (a frame says so), then returns a snapshot there.
async fn at_pause(socket: &mut Socket, n: u64) -> Value {
    loop {
        let m = next(socket).await;
        let lesson = &m["lesson"];
        if lesson["at_pause"] == true && lesson["pauses_done"] == n {
            return snapshot(socket).await;
        }
    }
}

/// Loads a bundled lesson and plays it at 20×.
async fn load_lesson(socket: &mut Socket, lesson: &str) {
    let (reply, _) = request(socket, 1, json!({"type": "load", "lesson": lesson})).await;
    assert_eq!(reply["ok"], true, "{reply}");
    request(socket, 2, json!({"type": "speed", "speed": 20})).await;
}

/// What must be the same when the room is back where it was: everything but the log (a rewind
/// starts the log afresh), the frame counter and the markers of the recorded future (from now
/// on: a pause's instant may hold events that come after the pause).
fn same_place(a: &Value, b: &Value) {
    for field in ["state", "clock", "caption", "lesson", "metrics"] {
        assert_eq!(a[field], b[field], "{field} differs");
    }
    let past = |m: &Value| -> Vec<Value> {
        let now = m["clock"]["now_us"].as_u64().unwrap();
        m["markers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["at_us"].as_u64().unwrap() < now)
            .cloned()
            .collect()
    };
    assert_eq!(
        past(a),
        past(b),
        "markers differ at {} / {}",
        a["clock"],
        b["clock"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_next_previous_is_the_first_next_exactly() {
    let mut socket = viewer_of_new_room("previous").await;
    load_lesson(&mut socket, "07-leader-failover").await;
    let first = at_pause(&mut socket, 1).await;
    // Nothing before the first pause: refused, nothing changes.
    let (reply, _) = request(&mut socket, 11, json!({"type": "previous"})).await;
    assert_eq!(reply["ok"], false, "{reply}");
    same_place(&snapshot(&mut socket).await, &first);

    request(&mut socket, 13, json!({"type": "next"})).await;
    let second = at_pause(&mut socket, 2).await;
    assert_eq!(second["clock"]["playing"], false);
    request(&mut socket, 15, json!({"type": "next"})).await;
    let third = at_pause(&mut socket, 3).await;
    assert!(third["clock"]["now_us"].as_u64() > second["clock"]["now_us"].as_u64());

    let (reply, mut before) = request(&mut socket, 17, json!({"type": "previous"})).await;
    assert_eq!(reply["ok"], true, "{reply}");
    // Previous broadcasts a snapshot (the reply may overtake it).
    while !before.iter().any(|m| m["type"] == "snapshot") {
        before.push(next(&mut socket).await);
    }
    let back = snapshot(&mut socket).await;
    same_place(&back, &second);
    assert_eq!(back["lesson"]["at_pause"], true);
    assert_eq!(back["lesson"]["pauses_done"], 2);
    // The horizon stays: pause 3 is the recorded future, Next replays it to the same place.
    assert_eq!(back["timeline"], third["timeline"]);
    request(&mut socket, 19, json!({"type": "next"})).await;
    let again = at_pause(&mut socket, 3).await;
    same_place(&again, &third);

    // Playing on past a pause, Previous comes back to that pause.
    request(&mut socket, 21, json!({"type": "play"})).await;
    loop {
        let m = next(&mut socket).await;
        if m["clock"]["now_us"].as_u64() > third["clock"]["now_us"].as_u64() {
            break;
        }
    }
    request(&mut socket, 22, json!({"type": "previous"})).await;
    same_place(&snapshot(&mut socket).await, &third);
}

/// The marker of `kind` in a message, if any.
fn marker<'a>(m: &'a Value, kind: &str) -> Option<&'a Value> {
    m["markers"]
        .as_array()?
        .iter()
        .find(|marker| marker["kind"] == kind)
}

/// Broker 1 dies at 2 s (pause 1); the controller fences it at 11 s (broker.session.timeout.ms):
/// orders/0 gets a new leader and every ISR shrinks at that instant; pause 2 at 14 s.
const FAILOVER: &str = "brokers 3\ntopic create orders partitions=3 replication=3\n\
    producer add checkout topic=orders rate=6/s keys=item-1..item-6\n\
    group add shipping topics=orders consumers=2\nwait 2s\nbroker kill 1\npause\nwait 12s\npause\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markers_are_the_engines_moments_and_follow_time_travel() {
    let mut socket = viewer_of_new_room("markers").await;
    let (reply, _) = request(
        &mut socket,
        1,
        json!({"type": "load", "name": "failover.scenario", "source": FAILOVER}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    request(&mut socket, 2, json!({"type": "speed", "speed": 20})).await;
    // Frames bring markers as they happen: the kill comes before the first pause.
    let mut seen = Vec::new();
    loop {
        let m = next(&mut socket).await;
        seen.extend(m["markers"].as_array().cloned().unwrap_or_default());
        if m["lesson"]["pauses_done"] == 2 && m["lesson"]["at_pause"] == true {
            break;
        }
        if m["lesson"]["at_pause"] == true {
            let (_, before) = request(&mut socket, 3, json!({"type": "next"})).await;
            for b in before {
                seen.extend(b["markers"].as_array().cloned().unwrap_or_default());
            }
        }
    }
    let at_two = snapshot(&mut socket).await;
    let all = at_two["markers"].as_array().unwrap();
    for m in all {
        assert!(seen.contains(m), "{m} came in a frame first");
    }
    let kill = marker(&at_two, "broker-down").expect("the kill is marked");
    assert_eq!(kill["title"], "broker 1 killed");
    let election = marker(&at_two, "election").expect("the fencing's election is marked");
    assert_eq!(election["title"], "orders/0 leader 1 → 2");
    let isr = marker(&at_two, "isr").expect("the ISR shrinks are marked");
    assert_eq!(isr["at_us"], election["at_us"]);
    assert_eq!(isr["title"].as_str().unwrap().lines().count(), 3);

    // A click on the kill's marker seeks there: the clock is the marker's, broker 1 is down.
    let kill_us = kill["at_us"].as_u64().unwrap();
    let (reply, _) = request(&mut socket, 5, json!({"type": "seek", "to_us": kill_us})).await;
    assert_eq!(reply["ok"], true, "{reply}");
    let there = snapshot(&mut socket).await;
    assert_eq!(there["clock"]["now_us"], kill_us);
    assert_eq!(there["state"]["brokers"][0]["alive"], false);
    // The election after it is the recorded future: still marked, once.
    assert_eq!(there["markers"], at_two["markers"]);
    // Playing the recorded future again adds nothing.
    let (_, _) = request(
        &mut socket,
        7,
        json!({"type": "seek", "to_us": at_two["timeline"]["horizon_us"]}),
    )
    .await;
    assert_eq!(snapshot(&mut socket).await["markers"], at_two["markers"]);

    // Back before the kill and acting forks the future: the markers after now are gone.
    request(
        &mut socket,
        9,
        json!({"type": "seek", "to_us": kill_us - 1_000_000}),
    )
    .await;
    let (reply, _) = request(
        &mut socket,
        10,
        json!({"type": "command", "line": "broker kill 3"}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    let forked = snapshot(&mut socket).await;
    let horizon = forked["timeline"]["horizon_us"].as_u64().unwrap();
    assert_eq!(horizon, kill_us - 1_000_000);
    let markers = forked["markers"].as_array().unwrap();
    assert!(
        markers
            .iter()
            .all(|m| m["at_us"].as_u64().unwrap() <= horizon)
    );
    assert_eq!(
        marker(&forked, "broker-down").unwrap()["title"],
        "broker 3 killed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lesson_says_how_long_its_headless_run_plays() {
    let mut socket = viewer_of_new_room("lessons").await;
    let (reply, _) = request(&mut socket, 1, json!({"type": "lessons"})).await;
    let lessons = reply["lessons"].as_array().unwrap();
    assert!(lessons.len() >= 10);
    for lesson in lessons {
        let source = lesson["source"].as_str().unwrap();
        let script = engine::scenario::parser::parse("lesson", source).unwrap();
        let (report, _) = engine::runner::run(&script, |_| {});
        assert_eq!(
            lesson["duration_us"].as_u64(),
            Some(report.end_us),
            "{}",
            lesson["id"]
        );
    }
}

/// The records a producer's retry lines count ("7 records retried (…)", or folded "… (25
/// records)").
fn records_in(text: &str) -> u64 {
    let number = |s: &str| s.split_whitespace().next().and_then(|n| n.parse().ok());
    if let Some((_, tail)) = text.rsplit_once(" (")
        && tail.ends_with(" records)")
        && text.contains(" ×")
    {
        return number(tail).unwrap();
    }
    let (_, tail) = text.split_once(": ").unwrap();
    number(tail).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_fold_into_one_line_that_counts_them_all() {
    let mut socket = viewer_of_new_room("fold").await;
    // Both followers die; once the controller fences them (broker.session.timeout.ms, 9 s) the
    // ISR is the leader alone, below min.insync.replicas=2. A producer that starts then is
    // refused every request with NOT_ENOUGH_REPLICAS, retried every retry.backoff.ms.
    let source = "brokers 3\ntopic create pay partitions=1 replication=3 min-insync=2\n\
                  broker kill 2\nbroker kill 3\nwait 12s\n\
                  producer add bank topic=pay rate=20/s acks=all\nsay \"refused\"\n\
                  wait 8s\nsay \"done\"\npause\n";
    let (reply, _) = request(
        &mut socket,
        1,
        json!({"type": "load", "name": "fold.scenario", "source": source}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    request(&mut socket, 2, json!({"type": "speed", "speed": 20})).await;
    // Every log line of every frame, as the page receives them.
    let mut received: Vec<Value> = Vec::new();
    loop {
        let m = next(&mut socket).await;
        received.extend(m["log"].as_array().cloned().unwrap_or_default());
        if m["lesson"]["at_pause"] == true {
            break;
        }
    }
    let end = snapshot(&mut socket).await;
    let log = end["log"].as_array().unwrap();
    let retry_lines: Vec<&Value> = log
        .iter()
        .filter(|l| {
            l["fold"]["key"]
                .as_str()
                .is_some_and(|k| k.starts_with("produce:bank:retried"))
        })
        .collect();
    assert!(!retry_lines.is_empty(), "{log:#?}");
    // Between two plain lines, one line per kind of repeat.
    let mut run: Vec<&str> = Vec::new();
    for line in log {
        match line["fold"]["key"].as_str() {
            None => run.clear(),
            Some(key) => {
                assert!(!run.contains(&key), "{key} twice in one run: {log:#?}");
                run.push(key);
            }
        }
    }
    let folded = retry_lines
        .iter()
        .find(|l| {
            l["fold"]["key"] == "produce:bank:retried:NOT_ENOUGH_REPLICAS"
                && l["fold"]["count"].as_u64() > Some(1)
        })
        .expect("eight seconds of retries fold");
    let text = folded["text"].as_str().unwrap();
    assert!(
        text.starts_with("producer bank: retrying on NOT_ENOUGH_REPLICAS ×"),
        "{text}"
    );
    assert!(text.contains(" over "), "{text}");
    // The folded lines count every record the producer retried (the engine's own counter).
    let producer = &end["state"]["producers"][0];
    let counted: u64 = retry_lines
        .iter()
        .map(|l| records_in(l["text"].as_str().unwrap()))
        .sum();
    assert_eq!(Some(counted), producer["retried"].as_u64());
    // The page gets the same folded line in frames (a repeat names its count).
    let last = received
        .iter()
        .rfind(|l| l["fold"]["key"] == folded["fold"]["key"])
        .unwrap();
    assert_eq!(last, *folded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expectations_say_whether_they_passed() {
    let mut socket = viewer_of_new_room("expect").await;
    let (ok, _) = request(
        &mut socket,
        1,
        json!({"type": "command", "line": "expect broker 1 == up"}),
    )
    .await;
    let (bad, before) = request(
        &mut socket,
        2,
        json!({"type": "command", "line": "expect broker 1 == down"}),
    )
    .await;
    assert!(ok["output"].as_str().unwrap().starts_with('✓'));
    assert!(bad["output"].as_str().unwrap().starts_with('✗'));
    let mut lines = before;
    lines.push(snapshot(&mut socket).await);
    let kinds: Vec<&str> = lines
        .iter()
        .flat_map(|m| m["log"].as_array().into_iter().flatten())
        .filter_map(|l| l["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"expect-passed"), "{kinds:?}");
    assert!(kinds.contains(&"expect-failed"), "{kinds:?}");
}
