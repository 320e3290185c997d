//! Real Kafka clients live in wall-clock time: while any is connected to the room's brokers,
//! the room keeps to the wall clock.
//!
//! * **1× only.** A client's `request.timeout.ms`, `linger.ms`, `session.timeout.ms` and the
//!   timestamps it writes are wall-clock durations; at 20× a 30 s produce timeout would be 10
//!   simulated minutes, at 0.1× a heartbeat every 3 s would look like one every 0.3 s. So the
//!   room is set to 1× when the first client connects and a speed change is refused.
//! * **No rewind.** Going back in time would unwrite records a client was told are written and
//!   move offsets it committed; seeking and "previous" are refused. (Forward steps are fine.)
//! * **Pause, bounded.** A paused room answers no request: simulated time must move for a
//!   produce to be replicated or a fetch to wait. Kafka's clients give up on a request after
//!   `request.timeout.ms` (30 s by default in the Java client, kafka-python and kafkajs) and
//!   retry, so a pause holds their requests for at most [`MAX_PAUSE_WITH_CLIENTS`] of wall time,
//!   less than that timeout, then the room plays on by itself and says why.
//! * **A lesson's pause holds the story, not the clock.** At a scenario's `pause` the lesson
//!   waits for Next while the cluster plays on, so students' programs run while the teacher
//!   talks (the pause that asks them to run their code is exactly when they connect). When
//!   the last client disconnects, the clock stops there again, an ordinary paused lesson.
//! * **Watched.** A room with a connected client is in use even if no browser looks at it: it
//!   does not pause or leave memory for idleness.
//! * **On time.** Frames go to viewers every 100 ms, but a client's request must not wait for
//!   the next frame to see simulated time move: an acks=all produce completes when the
//!   followers' fetches (a millisecond or two of simulated network) reach the leader, as on a
//!   real cluster, not a frame later. So between frames the room also wakes at the wall instant
//!   of the engine's next timer ([`Room::early_wake`]), at most every [`MIN_WAKE`].

use std::time::Duration;

use super::Room;
use crate::wire::{ClientBody, WireError};

/// The longest a pause lasts while a Kafka client is connected (wall time): under the 30 s
/// default `request.timeout.ms` of Kafka's clients, so a request held by the pause is answered
/// before its client gives up on it.
pub const MAX_PAUSE_WITH_CLIENTS: Duration = Duration::from_secs(20);

/// The speed real clients need.
const REAL_TIME: f64 = 1.0;

/// The shortest wait between two early wakes: a busy cluster has a timer every few simulated
/// microseconds, and a millisecond is finer than any client's timing (its `linger.ms`).
pub const MIN_WAKE: Duration = Duration::from_millis(1);

impl Room {
    /// Kafka client connections open to this room's brokers now: any one of them keeps the
    /// room to the wall clock, whichever program it belongs to.
    pub(super) fn kafka_connections(&self) -> usize {
        self.kafka_clients.connections()
    }

    /// Called every tick with the wall time since the last one: 1× while clients are
    /// connected, and a pause that has held their requests long enough ends.
    pub(super) fn keep_real_time(&mut self, wall: Duration) {
        if self.kafka_connections() == 0 {
            self.paused_with_clients = Duration::ZERO;
            if self.player.held_at_pause() {
                // The last client gone: the lesson's pause stops the clock again. Its next
                // steps go on from here when Next is pressed.
                self.player.release_pause(self.cluster.now());
                self.clock.playing = false;
                self.dirty = true;
            }
            return;
        }
        if self.clock.speed != REAL_TIME {
            self.clock.speed = REAL_TIME;
            self.dirty = true;
            self.note(
                "info",
                "console",
                "a Kafka client connected: the room plays at 1× while real clients are \
                 connected (they live in wall-clock time)"
                    .to_string(),
            );
        }
        if self.clock.playing {
            self.paused_with_clients = Duration::ZERO;
            return;
        }
        if self.at_pause {
            self.player.hold_at_pause();
            self.clock.playing = true;
            self.dirty = true;
            self.note(
                "info",
                "console",
                "the lesson waits at its pause for Next; the cluster plays on for the \
                 connected Kafka clients (they live in wall-clock time)"
                    .to_string(),
            );
            return;
        }
        self.paused_with_clients += wall;
        if self.paused_with_clients >= MAX_PAUSE_WITH_CLIENTS {
            self.paused_with_clients = Duration::ZERO;
            self.clock.playing = true;
            self.at_pause = false;
            self.dirty = true;
            self.note(
                "info",
                "console",
                format!(
                    "playing again: a Kafka client is connected, and a pause may hold its \
                     requests for {} s at most (its request.timeout.ms is 30 s)",
                    MAX_PAUSE_WITH_CLIENTS.as_secs()
                ),
            );
        }
    }

    /// While Kafka clients are connected and the room plays: the wall instant at which the
    /// engine's next timer is due, if it comes before the next frame (`next_tick`) — at least
    /// [`MIN_WAKE`] after `last`, the wall instant simulated time was last brought up to.
    pub(super) fn early_wake(
        &self,
        last: tokio::time::Instant,
        next_tick: tokio::time::Instant,
    ) -> Option<tokio::time::Instant> {
        if self.kafka_connections() == 0 || !self.clock.playing || self.clock.speed != REAL_TIME {
            return None;
        }
        let due = self
            .cluster
            .next_instant()
            .saturating_sub(self.cluster.now());
        let wake = last + Duration::from_micros(due).max(MIN_WAKE);
        (wake < next_tick).then_some(wake)
    }

    /// Refuses what would break a connected client's wall-clock world, saying why.
    pub(super) fn allowed_with_clients(&self, body: &ClientBody) -> Result<(), WireError> {
        // Programs (distinct `client.id`s) as the presenter panel counts them, and their
        // connections: one kafka-python program opens several. Any connection holds the room.
        let clients = self.kafka_clients.programs(0);
        if clients.connections == 0 {
            return Ok(());
        }
        let connections = match clients.connections {
            1 => "1 connection".to_string(),
            n => format!("{n} connections"),
        };
        let who = if clients.programs == 1 {
            format!("a Kafka client is connected ({connections})")
        } else {
            format!(
                "{} Kafka clients are connected ({connections})",
                clients.programs
            )
        };
        match body {
            ClientBody::Speed { speed } if *speed != REAL_TIME => Err(WireError::plain(format!(
                "{who}: the room stays at 1× while real clients are connected, because their \
                 timeouts and timestamps are wall-clock time"
            ))),
            ClientBody::Seek { .. } | ClientBody::Previous => Err(WireError::plain(format!(
                "{who}: time travel is off while real clients are connected, because going \
                 back would unwrite records they were told are written"
            ))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::access::Role;
    use crate::room::RoomHandle;
    use crate::wire::ClientBody;

    async fn ask(room: &RoomHandle, body: ClientBody) -> serde_json::Value {
        let bytes = room
            .request(Some(1), body, Role::Presenter)
            .await
            .expect("room answers");
        serde_json::from_slice(&bytes).expect("a JSON reply")
    }

    async fn clock(room: &RoomHandle) -> (bool, f64, u64) {
        let frame = room.snapshot().await.expect("snapshot");
        let v: serde_json::Value = serde_json::from_slice(&frame.bytes).expect("JSON");
        let c = &v["clock"];
        (
            c["playing"].as_bool().unwrap(),
            c["speed"].as_f64().unwrap(),
            c["now_us"].as_u64().unwrap(),
        )
    }

    fn ok(reply: &serde_json::Value) -> bool {
        reply["ok"].as_bool().unwrap_or(false)
    }

    /// Tokio's paused clock makes the wall-clock waits pass at once.
    #[tokio::test(start_paused = true)]
    async fn a_connected_client_keeps_the_room_at_1x_without_rewinds_or_long_pauses() {
        let script = crate::serve::load_scenario(None).unwrap();
        let room = RoomHandle::spawn("t", script);
        assert!(ok(&ask(&room, ClientBody::Speed { speed: 5.0 }).await));
        tokio::time::sleep(Duration::from_secs(2)).await;

        let client = room.kafka_clients.connected("127.0.0.1");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            clock(&room).await.1,
            1.0,
            "set to 1× when a client connects"
        );
        let refused = ask(&room, ClientBody::Speed { speed: 5.0 }).await;
        assert!(!ok(&refused));
        assert!(
            refused["error"]["message"].as_str().unwrap().contains("1×"),
            "{refused}"
        );
        assert!(ok(&ask(&room, ClientBody::Speed { speed: 1.0 }).await));
        let refused = ask(&room, ClientBody::Seek { to_us: 0 }).await;
        assert!(!ok(&refused));
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("time travel")
        );

        // A pause holds for 20 s of wall time, then the room plays on.
        assert!(ok(&ask(&room, ClientBody::Pause).await));
        let (playing, _, paused_at) = clock(&room).await;
        assert!(!playing);
        tokio::time::sleep(Duration::from_secs(19)).await;
        assert_eq!(clock(&room).await, (false, 1.0, paused_at), "still paused");
        tokio::time::sleep(Duration::from_secs(2)).await;
        let (playing, _, now) = clock(&room).await;
        assert!(playing && now > paused_at, "playing again after 20 s");

        // The last client gone, the presenter's controls are back.
        drop(client);
        assert!(ok(&ask(&room, ClientBody::Speed { speed: 5.0 }).await));
        assert!(ok(&ask(&room, ClientBody::Seek { to_us: 0 }).await));
    }

    /// A lesson's `pause` with a Kafka client connected: the clock plays on (the client's
    /// requests are answered), the lesson's next step waits for Next, and when the last client
    /// goes the clock stops at the pause again.
    #[tokio::test(start_paused = true)]
    async fn a_lessons_pause_holds_the_story_and_lets_the_clock_play_for_clients() {
        let src = "brokers 1\nsay \"before\"\npause\nsay \"after\"\nwait 1s\npause\n";
        let scenario = crate::room::Scenario::parse("t.scenario", src).unwrap();
        // A room plays its scenario from the start; it reaches the first pause at once.
        let room = RoomHandle::spawn("t", scenario);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let lesson = |v: &serde_json::Value| v["lesson"]["at_pause"].as_bool().unwrap();
        let snapshot = |room: RoomHandle| async move {
            let frame = room.snapshot().await.expect("snapshot");
            serde_json::from_slice::<serde_json::Value>(&frame.bytes).expect("JSON")
        };
        let v = snapshot(room.clone()).await;
        assert!(lesson(&v) && v["caption"] == "before", "{}", v["lesson"]);
        let (playing, _, paused_at) = clock(&room).await;
        assert!(!playing, "no client: the pause stops the clock");

        let client = room.kafka_clients.connected("127.0.0.1");
        tokio::time::sleep(Duration::from_secs(30)).await;
        let v = snapshot(room.clone()).await;
        let (playing, _, now) = clock(&room).await;
        assert!(
            playing && now >= paused_at + 29_000_000,
            "the clock plays on"
        );
        assert!(lesson(&v), "the lesson still waits at its pause");
        assert_eq!(v["caption"], "before", "the next step has not run");

        let released_at = clock(&room).await.2;
        assert!(ok(&ask(&room, ClientBody::Next).await));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(snapshot(room.clone()).await["caption"], "after");
        // One second later (simulated, at 1×), the second pause: held too.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let v = snapshot(room.clone()).await;
        assert!(
            lesson(&v) && v["lesson"]["pauses_done"] == 2,
            "{}",
            v["lesson"]
        );

        // The client goes: the clock stops at the pause, the lesson still waits for Next.
        drop(client);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (playing, _, stopped_at) = clock(&room).await;
        assert!(!playing);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(clock(&room).await.2, stopped_at);
        assert!(lesson(&snapshot(room.clone()).await));

        // Time travel replays the held pause as it was: a second before Next was pressed the
        // lesson still waits at pause 1 with its caption, half a second after it has gone on.
        let seek = |to_us: u64| ClientBody::Seek { to_us };
        assert!(ok(&ask(&room, seek(released_at - 1_000_000)).await));
        let v = snapshot(room.clone()).await;
        assert_eq!(v["caption"], "before", "{}", v["lesson"]);
        assert!(
            lesson(&v) && v["lesson"]["pauses_done"] == 1,
            "{}",
            v["lesson"]
        );
        assert!(ok(&ask(&room, seek(released_at + 500_000)).await));
        let v = snapshot(room.clone()).await;
        assert_eq!(v["caption"], "after");
        assert!(
            !lesson(&v) && v["lesson"]["pauses_done"] == 1,
            "{}",
            v["lesson"]
        );

        // Rewound into the hold, Next plays the timeline again: the steps after the pause
        // come when they did, not at once.
        assert!(ok(&ask(&room, seek(released_at - 1_000_000)).await));
        assert!(ok(&ask(&room, ClientBody::Next).await));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(snapshot(room.clone()).await["caption"], "before");
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        assert_eq!(snapshot(room.clone()).await["caption"], "after");
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        let v = snapshot(room.clone()).await;
        assert!(
            lesson(&v) && v["lesson"]["pauses_done"] == 2,
            "{}",
            v["lesson"]
        );
    }
}
