//! Tests of a room's loop: its log's bound, recovery after a panic, focus through time travel.

use super::*;
use engine::scenario::{Action, expect};

#[test]
fn the_room_log_keeps_its_bound_on_every_path() {
    let (frames, _) = broadcast::channel(FRAME_BACKLOG);
    let mut room = Room::new("t", crate::serve::load_scenario(None).unwrap(), frames);
    let line = |i: u64| LogEntry::new(i, "info", "console", format!("line {i}"));
    room.keep_in_log((0..ROOM_LOG as u64 + 50).map(line));
    assert_eq!(room.log.len(), ROOM_LOG);
    assert_eq!(
        room.log.back().unwrap().text,
        format!("line {}", ROOM_LOG + 49)
    );
    // A snapshot broadcast (load, restart, seek) goes through the same bound.
    for i in 0..ROOM_LOG as u64 {
        room.note("info", "console", format!("note {i}"));
    }
    room.broadcast_snapshot();
    assert_eq!(room.log.len(), ROOM_LOG);
}

/// A bug that panics inside the room (here: on purpose) does not kill it: the room goes back
/// to its last checkpoint, paused, says so, and takes commands again.
#[test]
fn a_panic_restores_the_last_checkpoint_and_the_room_stays_usable() {
    let (frames, mut viewer) = broadcast::channel(FRAME_BACKLOG);
    let mut room = Room::new("t", crate::serve::load_scenario(None).unwrap(), frames);
    for second in 1..=12 {
        room.advance_to(second * 1_000_000);
    }
    let checkpoint_at = room.history.checkpoints.last().unwrap().at_us;
    assert_eq!(checkpoint_at, 10_000_000);
    room.console("broker kill 1").unwrap();
    room.guarded(|_| panic!("a bug"));
    assert_eq!(room.cluster.now(), checkpoint_at);
    assert!(!room.clock.playing);
    assert_eq!(
        expect::measure(&room.cluster, &probe(&room.ctx, "expect broker 1 == up"))
            .unwrap()
            .to_string(),
        "up"
    );
    // The typed line after the checkpoint is no longer in effect, nor in the journal.
    assert!(room.history.journal.is_empty());
    let said: Vec<String> = room.log.iter().map(|e| e.text.clone()).collect();
    assert!(
        said.iter()
            .any(|t| t.contains("internal error") && t.contains("a bug")),
        "{said:?}"
    );
    // Viewers got a snapshot of the restored room.
    let mut last = None;
    while let Ok(frame) = viewer.try_recv() {
        last = Some(frame);
    }
    assert!(
        last.unwrap()
            .bytes
            .starts_with(br#"{"v":1,"type":"snapshot""#)
    );
    // And the room works.
    room.console("broker kill 2").unwrap();
    room.advance_to(checkpoint_at + 1_000_000);
    assert_eq!(
        expect::measure(&room.cluster, &probe(&room.ctx, "expect broker 2 == up"))
            .unwrap()
            .to_string(),
        "down"
    );
}

/// The JSON of every frame or snapshot the viewer has not read yet.
fn received(viewer: &mut broadcast::Receiver<Frame>) -> Vec<serde_json::Value> {
    std::iter::from_fn(|| viewer.try_recv().ok())
        .map(|f| serde_json::from_slice(&f.bytes).unwrap())
        .collect()
}

/// `focus` is room state like the caption: in every snapshot, in a frame only when it
/// changed, brought back by time travel, and a typed `focus` line is journaled.
#[test]
fn focus_is_sent_when_it_changes_and_travels_in_time() {
    let source = "brokers 3\ntopic create orders partitions=2 replication=3\n\
        group add billing topics=orders\nfocus orders/0 billing\nwait 2s\n\
        focus replicas orders/1 broker 2 metrics\nwait 10s\nfocus all\n";
    let (frames, mut viewer) = broadcast::channel(FRAME_BACKLOG);
    let mut room = Room::new("t", Scenario::parse("f", source).unwrap(), frames);
    let snapshot = received(&mut viewer).pop().unwrap();
    assert_eq!(
        snapshot["focus"],
        serde_json::json!(["partition:orders/0", "group:billing"])
    );
    room.advance_to(1_000_000);
    room.flush();
    let quiet = received(&mut viewer).pop().unwrap();
    assert_eq!(quiet["type"], "frame");
    assert!(quiet.get("focus").is_none(), "{quiet}");
    room.advance_to(3_000_000);
    room.flush();
    let changed = received(&mut viewer).pop().unwrap();
    assert_eq!(
        changed["focus"],
        serde_json::json!(["replicas:orders/1", "broker:2", "metrics"])
    );
    room.advance_to(13_000_000);
    room.flush();
    assert_eq!(room.focus, Vec::<String>::new());
    // A typed line: journaled, and seen in the next frame.
    room.console("focus consumer billing-1").unwrap();
    assert_eq!(
        room.history.journal.last().unwrap().line,
        "focus consumer billing-1"
    );
    room.flush();
    let typed = received(&mut viewer).pop().unwrap();
    assert_eq!(typed["focus"], serde_json::json!(["consumer:billing-1"]));
    // Back to 5 s: the focus of that instant, in the snapshot of the seek.
    room.seek(5_000_000).unwrap();
    let rewound = received(&mut viewer).pop().unwrap();
    assert_eq!(rewound["type"], "snapshot");
    assert_eq!(
        rewound["focus"],
        serde_json::json!(["replicas:orders/1", "broker:2", "metrics"])
    );
    // A bad target changes nothing.
    let err = room.console("focus orders/7").unwrap_err();
    assert_eq!((err.line, err.col), (Some(1), Some(14)));
    assert_eq!(room.focus.len(), 3);
}

fn probe(ctx: &parser::Context, line: &str) -> engine::scenario::ast::Metric {
    let mut ctx = ctx.clone();
    match parser::parse_line(line, &mut ctx).unwrap().unwrap().action {
        Action::Expect(e) => e.metric,
        other => panic!("not an expectation: {other:?}"),
    }
}

/// A Streams count over ever-new keys grows its store without bound (no Kafka rule drops a
/// store's keys). Once the live cluster alone holds more than the room's budget, the room
/// pauses, says which app holds the memory, and still takes commands.
#[test]
fn a_store_that_outgrows_the_budget_pauses_the_room_and_says_which_app() {
    let source = "brokers 3
topic create orders partitions=3 replication=3 min-insync=2
topic create counts partitions=3 replication=3 min-insync=2
producer add checkout topic=orders rate=5000/s keys=none value=\"'order-' + text(seq)\"
streams app counter
  stream orders
  groupBy: value
  count store=per-order
  toStream
  to counts
end
";
    let (frames, _) = broadcast::channel(FRAME_BACKLOG);
    let mut room = Room::new("t", Scenario::parse("f", source).unwrap(), frames);
    room.memory_budget = 32 << 20;
    room.limit_storage();
    room.clock.playing = true;
    let mut second = 0;
    while room.clock.playing && second < 300 {
        second += 1;
        room.advance_to(second * 1_000_000);
        room.flush();
    }
    assert!(!room.clock.playing, "still playing after {second} s");
    assert!(room.history.live_bytes > room.memory_budget);
    let said: Vec<String> = room.log.iter().map(|e| e.text.clone()).collect();
    let alert = said
        .iter()
        .find(|t| t.starts_with("paused: the cluster holds"))
        .unwrap_or_else(|| panic!("no pause note in {said:?}"));
    assert!(alert.contains("Streams app 'counter' holds"), "{alert}");
    println!("after {second} simulated s: {alert}");
    // Still usable: a command applies.
    room.console("producer stop checkout").unwrap();
}
