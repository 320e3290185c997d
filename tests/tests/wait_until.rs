//! `wait until EXPECTATION [timeout=D]`: it ends at the very instant the condition first holds
//! (checked against the engine's own event stream), a timeout fails the run with the
//! expectation's message and exit 1 (through the real binary), and a live room plays it exactly
//! as the headless runner does, across a seek back and in an exported session.

use std::process::Command;

use engine::event::{Event, TimedEvent};
use engine::runner::{self, RunReport};
use engine::time::format_duration;
use playground_tests::ws::{Socket, next, request, snapshot, viewer_of_new_room};
use playground_tests::{Scratch, playground};
use serde_json::{Value, json};

/// Runs `src` headless, keeping every event.
fn run(src: &str) -> (RunReport, engine::Cluster, Vec<TimedEvent>) {
    let script = engine::scenario::parse("wait.scenario", src).expect("parses");
    let mut events = Vec::new();
    let (report, cluster) = runner::run(&script, |batch| events.extend_from_slice(batch));
    (report, cluster, events)
}

const SETUP: &str = "seed 7\nbrokers 3\ntopic create orders partitions=1 replication=3\nproducer add shop topic=orders rate=40/s\n";

#[test]
fn it_ends_at_the_instant_the_isr_shrinks() {
    let src =
        format!("{SETUP}wait 5s\nbroker kill 1\nwait until isr orders/0 == 2,3\nsay \"fenced\"\n");
    let (report, _, events) = run(&src);
    assert!(report.passed(), "{:?}", report.lines);
    // The event that makes `isr orders/0 == 2,3` true: the controller fencing broker 1.
    let shrunk = events
        .iter()
        .find(|e| {
            matches!(&e.event, Event::IsrChanged { topic, partition: 0, after, .. }
                if topic == "orders" && after == &[2, 3])
        })
        .expect("the ISR shrinks to 2,3");
    assert!(shrunk.at_us > 5_000_000);
    assert_eq!(report.end_us, shrunk.at_us);
    assert_eq!(
        report.lines.last().unwrap(),
        &format!("[{}] fenced", format_duration(shrunk.at_us))
    );
}

#[test]
fn it_ends_at_the_instant_the_high_watermark_gets_there_not_on_a_second() {
    let src = format!("{SETUP}wait until hw orders/0 >= 25\n");
    let (report, cluster, events) = run(&src);
    assert!(report.passed(), "{:?}", report.lines);
    let leader = cluster
        .leader(&engine::command::TopicPartition {
            topic: "orders".into(),
            partition: 0,
        })
        .flatten()
        .expect("a leader");
    let reached = events
        .iter()
        .find(|e| {
            matches!(&e.event, Event::HighWatermark { topic, partition: 0, broker, high_watermark }
                if topic == "orders" && *broker == leader && *high_watermark >= 25)
        })
        .expect("the high watermark reaches 25");
    assert_eq!(report.end_us, reached.at_us);
    // Acks ride on fetches with jittered latency: this instant is not a whole second, which
    // stepping in one-second slices would have rounded up to.
    assert_ne!(reached.at_us % 1_000_000, 0);
}

#[test]
fn a_condition_that_already_holds_takes_no_time() {
    let src = format!("{SETUP}wait 2s\nwait until broker 1 == up\nsay \"now\"\n");
    let (report, _, _) = run(&src);
    assert!(report.passed(), "{:?}", report.lines);
    assert_eq!(report.end_us, 2_000_000);
    assert_eq!(report.expectations, 1);
}

#[test]
fn a_timeout_fails_with_the_expectations_message_and_exit_1() {
    let dir = Scratch::new("wait-until-timeout");
    let src = format!(
        "{SETUP}broker kill 1\nwait until isr orders/0 == 2,3 timeout=4s\nsay \"never said\"\n"
    );
    std::fs::write(dir.join("late.scenario"), &src).unwrap();
    let out = Command::new(playground())
        .args(["run", "late.scenario"])
        .current_dir(&*dir)
        .output()
        .expect("playground runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    // The expectation's own message, as `expect` prints it, at the line of the `wait until`.
    let script = engine::scenario::parse("late.scenario", &src).unwrap();
    let (report, _) = runner::run(&script, |_| {});
    let expect =
        format!("{SETUP}broker kill 1\nwait 4s\nexpect isr orders/0 == 2,3\nsay \"never said\"\n");
    let (expected, _) = runner::run(
        &engine::scenario::parse("late.scenario", &expect).unwrap(),
        |_| {},
    );
    // `wait 4s` + `expect` put the expectation one line later (7) than the `wait until` (6).
    let message = expected.lines[0]
        .strip_prefix("late.scenario:7: ")
        .expect("a failed expect")
        .to_string();
    assert!(
        message.starts_with("expected isr orders/0 == 2,3, got "),
        "{message}"
    );
    let message = format!("late.scenario:6: {message}");
    assert_eq!(report.lines[0], message);
    assert_eq!(report.end_us, 4_000_000);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines.contains(&message.as_str()), "{stdout}");
    assert!(lines.contains(&"wait until gave up after 4s"), "{stdout}");
    assert!(!stdout.contains("never said"), "{stdout}");
    assert!(
        stdout.contains("late.scenario: 1 expectations, 1 failed"),
        "{stdout}"
    );
}

/// A scenario whose story is gated twice on the cluster and ends at a `pause`, where the room's
/// clock stops exactly, so a live room and a headless run can be compared.
const GATED: &str = "title \"gated\"\nseed 5\nbrokers 3\ntopic create orders partitions=2 replication=3\nproducer add shop topic=orders rate=40/s\nwait 3s\nbroker kill 1\nwait until isr orders/0 == 2,3\nsay \"fenced\"\nbroker restart 1\nwait until isr orders/0 == 1,2,3\nwait 1.5s\npause\n";

/// Reads messages until the room stops at a `pause`.
async fn until_pause(socket: &mut Socket) {
    loop {
        if next(socket).await["lesson"]["at_pause"] == true {
            return;
        }
    }
}

/// The headless run of `src`: its final state in wire form, and its end.
fn headless(src: &str) -> (Value, u64) {
    let (report, cluster, _) = run(src);
    assert!(report.passed(), "{:?}", report.lines);
    let state = serde_json::to_value(playground::state::from_snapshot(&cluster.snapshot()));
    (state.unwrap(), report.end_us)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_waits_as_the_runner_does_across_a_seek_and_in_an_export() {
    let mut socket = viewer_of_new_room("gated").await;
    let load = json!({"type": "load", "name": "gated.scenario", "source": GATED});
    assert_eq!(request(&mut socket, load, 1).await["ok"], true);
    request(&mut socket, json!({"type": "speed", "speed": 20}), 2).await;
    until_pause(&mut socket).await;
    let live = snapshot(&mut socket).await;
    let (state, end_us) = headless(GATED);
    assert_eq!(live["clock"]["now_us"], end_us);
    assert_eq!(live["state"], state, "the room stops where the runner ends");

    // Back into the first `wait until` (broker 1 killed at 3 s, not fenced yet), and play on:
    // the checkpoint's copy of the player holds the file until the ISR shrinks, as before.
    let seek = json!({"type": "seek", "to_us": 6_000_000});
    assert_eq!(request(&mut socket, seek, 3).await["ok"], true);
    let early = snapshot(&mut socket).await;
    assert_eq!(early["clock"]["now_us"], 6_000_000);
    assert_eq!(early["lesson"]["at_pause"], false);
    request(&mut socket, json!({"type": "play"}), 4).await;
    until_pause(&mut socket).await;
    let again = snapshot(&mut socket).await;
    assert_eq!(again["clock"]["now_us"], end_us);
    assert_eq!(again["state"], state, "played again from the seek");

    // The exported session (no `wait until` in it: the lines after each at the instant it
    // held) replays headless to the same state.
    let reply = request(&mut socket, json!({"type": "export"}), 5).await;
    let text = reply["output"].as_str().expect("the export").to_string();
    assert!(!text.contains("wait until"), "{text}");
    let (exported, exported_end) = headless(&text);
    assert_eq!(exported_end, end_us, "{text}");
    assert_eq!(exported, state, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_in_the_console_it_plays_until_it_holds_then_pauses() {
    let mut socket = viewer_of_new_room("console-until").await;
    let src = format!("{SETUP}wait 2s\n");
    let load = json!({"type": "load", "name": "c.scenario", "source": src});
    assert_eq!(request(&mut socket, load, 1).await["ok"], true);
    request(&mut socket, json!({"type": "pause"}), 2).await;
    let kill = json!({"type": "command", "line": "broker kill 1"});
    assert_eq!(request(&mut socket, kill, 3).await["ok"], true);
    let before = snapshot(&mut socket).await["clock"]["now_us"]
        .as_u64()
        .unwrap();
    request(&mut socket, json!({"type": "speed", "speed": 20}), 4).await;
    let line = json!({"type": "command", "line": "wait until isr orders/0 == 2,3"});
    let reply = request(&mut socket, line, 5).await;
    assert_eq!(
        reply["output"], "playing until isr orders/0 == 2,3",
        "{reply}"
    );
    let held = loop {
        let m = next(&mut socket).await;
        let log = m["log"].as_array().cloned().unwrap_or_default();
        if let Some(e) = log.iter().find(|e| {
            e["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("✓ wait until isr orders/0 == 2,3"))
        }) {
            break e["at_us"].as_u64().unwrap();
        }
    };
    let paused = snapshot(&mut socket).await;
    assert_eq!(paused["clock"]["playing"], false);
    assert_eq!(
        paused["clock"]["now_us"], held,
        "paused at the instant it held"
    );
    // Broker 1's session (9 s from its last heartbeat) expired between the kill and then.
    assert!(
        held > before && held <= before + 9_000_000,
        "{before} {held}"
    );
    let check = json!({"type": "command", "line": "expect isr orders/0 == 2,3"});
    let reply = request(&mut socket, check, 6).await;
    assert!(
        reply["output"].as_str().unwrap().starts_with('✓'),
        "{reply}"
    );
    // Already true: nothing moves.
    let again = json!({"type": "command", "line": "wait until isr orders/0 == 2,3"});
    let reply = request(&mut socket, again, 7).await;
    assert_eq!(reply["output"], "isr orders/0 == 2,3 already holds");
    let still = snapshot(&mut socket).await;
    assert_eq!(still["clock"]["now_us"], held);
    assert_eq!(still["clock"]["playing"], false);
}
