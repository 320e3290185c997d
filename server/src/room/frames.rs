//! What viewers receive: frames carrying what changed since the last one, snapshots for a new
//! or lagging viewer, and the clock, lesson and timeline parts of both.

use bytes::Bytes;
use engine::time::Micros;

use super::{Frame, ROOM_LOG, Room, SNAPSHOT_LOG};
use crate::state;
use crate::wire::{self, LogEntry};

impl Room {
    fn clock_dto(&self) -> wire::Clock {
        wire::Clock {
            now_us: self.cluster.now(),
            playing: self.clock.playing,
            speed: self.clock.speed,
        }
    }

    /// The lesson waits at a `pause` for Next: the clock stopped there, or plays on while the
    /// file is held (Kafka clients connected, `real_time.rs`).
    pub(super) fn waiting_at_pause(&self) -> bool {
        self.at_pause && (!self.clock.playing || self.player.held_at_pause())
    }

    fn lesson_dto(&self) -> wire::Lesson {
        wire::Lesson {
            id: self.scenario.id.clone(),
            title: self.scenario.script.title.clone(),
            pauses_total: self.pauses_total,
            pauses_done: self.pauses_done,
            at_pause: self.waiting_at_pause(),
            finished: self.player.script_finished(),
        }
    }

    fn timeline(&self) -> wire::Timeline {
        wire::Timeline {
            horizon_us: self.history.horizon_us.max(self.cluster.now()),
        }
    }

    /// What the clock shows, to tell whether a frame must say it.
    fn clock_key(&self) -> (Micros, bool, u64) {
        (
            self.cluster.now(),
            self.clock.playing,
            self.clock.speed.to_bits(),
        )
    }

    /// Adds a frame's lines to the room's log (repeats folded in place), keeping its last
    /// [`ROOM_LOG`].
    pub(super) fn keep_in_log(&mut self, entries: impl IntoIterator<Item = LogEntry>) {
        crate::fold::fold_into(&mut self.log, entries);
        let excess = self.log.len().saturating_sub(ROOM_LOG);
        self.log.drain(..excess);
    }

    /// Sends a fresh snapshot to every viewer (after a load or a rewind: patches cannot say
    /// that things went backwards).
    pub(super) fn broadcast_snapshot(&mut self) {
        self.shown = state::from_snapshot(&self.cluster.snapshot());
        self.shown.streams_exprs = self.streams_exprs.of(&self.cluster);
        self.lesson = self.lesson_dto();
        self.shown_clock = self.clock_key();
        self.shown_metrics_us = self.latest_metrics_us();
        let (_, _, log) = self.frame.finish();
        self.keep_in_log(log);
        // The snapshot carries every marker.
        self.markers.take_changed();
        self.caption_changed = false;
        self.focus_changed = false;
        self.seq += 1;
        self.snapshot_cache = None;
        let frame = self.snapshot();
        let _ = self.frames.send(frame);
    }

    /// The instant of the newest metrics sample (0 before the first).
    fn latest_metrics_us(&self) -> Micros {
        self.cluster.metrics().latest().map_or(0, |s| s.at_us)
    }

    /// Sends what changed since the last frame, if anything did.
    pub(super) fn flush(&mut self) {
        self.answer_clients();
        let mut now = state::from_snapshot(&self.cluster.snapshot());
        now.streams_exprs = self.streams_exprs.of(&self.cluster);
        if state::busy_partitions(&self.shown, &now) > wire::BUSY_PARTITIONS {
            // A big cluster at a high rate: partitions whose only news is their offsets take
            // turns (one frame in DEFER_ROUNDS each), cutting what offsets cost. Leaders,
            // ISRs and log starts always go out at once.
            state::defer_offsets(&self.shown, &mut now, self.seq);
        }
        let changes = state::patch(&self.shown, &now);
        let clock = self.clock_key();
        // Only `network` in the patch: no entity changed.
        let lesson = self.lesson_dto();
        let audience = self.audience();
        let latest_metrics = self.latest_metrics_us();
        let markers = self.markers.take_changed();
        let quiet = changes.len() == 1
            && markers.is_empty()
            && latest_metrics == self.shown_metrics_us
            && audience == self.shown_audience
            && lesson == self.lesson
            && self.frame.is_empty()
            && clock == self.shown_clock
            && !self.caption_changed
            && !self.focus_changed
            && now.network == self.shown.network;
        if quiet {
            return;
        }
        let (appended, flights, log) = self.frame.finish();
        self.seq += 1;
        let message = wire::FrameMessage {
            v: wire::VERSION,
            kind: "frame",
            seq: self.seq,
            clock: self.clock_dto(),
            caption: if self.caption_changed {
                Some(self.caption.as_deref().unwrap_or(""))
            } else {
                None
            },
            focus: self.focus_changed.then_some(self.focus.as_slice()),
            state: changes,
            appended,
            flights,
            log,
            timeline: self.timeline(),
            lesson: (lesson != self.lesson).then_some(&lesson),
            audience: (audience != self.shown_audience).then(|| audience.clone()),
            metrics: crate::metrics::since(
                self.cluster.metrics(),
                self.shown_metrics_us,
                latest_metrics,
            ),
            markers,
        };
        let bytes = Bytes::from(serde_json::to_vec(&message).expect("frames serialise"));
        self.shown_audience = audience;
        self.keep_in_log(message.log);
        self.shown = now;
        self.lesson = lesson;
        self.shown_clock = clock;
        self.shown_metrics_us = latest_metrics;
        self.caption_changed = false;
        self.focus_changed = false;
        self.snapshot_cache = None;
        // No receivers is fine: nobody is watching yet.
        let _ = self.frames.send(Frame {
            seq: self.seq,
            bytes,
        });
    }

    /// The whole state as of the last frame, serialised once however many viewers ask.
    pub(super) fn snapshot(&mut self) -> Frame {
        if let Some(frame) = &self.snapshot_cache {
            return frame.clone();
        }
        let message = wire::SnapshotMessage {
            v: wire::VERSION,
            kind: "snapshot",
            seq: self.seq,
            room: &self.name,
            title: self.scenario.script.title.as_deref(),
            clock: wire::Clock {
                now_us: self.shown_clock.0,
                playing: self.clock.playing,
                speed: self.clock.speed,
            },
            caption: self.caption.as_deref(),
            focus: &self.focus,
            state: &self.shown,
            log: self
                .log
                .iter()
                .skip(self.log.len().saturating_sub(SNAPSHOT_LOG))
                .collect(),
            timeline: self.timeline(),
            lesson: Some(&self.lesson),
            audience: self.shown_audience.clone(),
            kafka_bootstrap: self.kafka_bootstrap.as_deref(),
            owner: self.owner,
            forked_from: self.forked_from.as_deref(),
            metrics: crate::metrics::since(self.cluster.metrics(), 0, self.shown_metrics_us),
            markers: self.markers.all(),
        };
        let frame = Frame {
            seq: self.seq,
            bytes: Bytes::from(serde_json::to_vec(&message).expect("snapshots serialise")),
        };
        self.snapshot_cache = Some(frame.clone());
        frame
    }
}
