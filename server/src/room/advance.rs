//! Moving simulated time: the player's steps at their instants, the `wait until`s in progress
//! (held or given up), and what follows every advance.

use engine::scenario::{Action, expect};
use engine::time::Micros;

use super::Room;
use super::player::{Due, Hold};

impl Room {
    /// Moves simulated time to `until`, running the player's steps at their instants. Stops
    /// early at a `pause`, or when a `wait until` typed in the console holds or times out, or a
    /// file's `wait until` times out. While a `wait until` is in progress the engine moves one
    /// instant at a time (`Cluster::next_instant`), its condition checked after each, so it ends
    /// at the instant it first holds, as in the headless runner.
    pub(super) fn advance_to(&mut self, until: Micros) {
        loop {
            if self.settle_holds() {
                self.after_advance();
                return;
            }
            if let Some(due) = self.player.pop_due(self.cluster.now()) {
                if self.run_due(due) {
                    self.after_advance();
                    return;
                }
                continue;
            }
            if self.cluster.now() >= until {
                self.after_advance();
                return;
            }
            let mut next = self.player.next_due().map_or(until, |due| due.min(until));
            if self.player.holding() {
                next = next.min(self.cluster.next_instant());
            }
            self.cluster.advance_to(next);
            self.drain();
            // Answers go to their connections as soon as the engine has them; answers to
            // replayed requests (a rewind's) have no connection and are dropped here, so a
            // long replay does not pile them up.
            self.answer_clients();
        }
    }

    /// Runs one due step; `true` if it paused the room.
    fn run_due(&mut self, due: Due) -> bool {
        match due {
            Due::Script(step) => {
                let pause = matches!(step.action, Action::Pause);
                if pause {
                    self.pauses_done += 1;
                    self.at_pause = true;
                    // Where Previous comes back to (the same instant on a replay).
                    self.history
                        .pauses
                        .insert(self.pauses_done, self.cluster.now());
                }
                if let Err(e) = self.run_step(&step, None) {
                    let line = step.pos.line;
                    self.note("alert", "console", format!("line {line} failed: {e}"));
                }
                pause
            }
            Due::Scheduled(step) => {
                if matches!(step.action, Action::WaitUntil { .. }) {
                    // `at T wait until …` typed in the console: from T, as if typed then.
                    self.player
                        .hold_console(Hold::new(&step, self.cluster.now()));
                    return false;
                }
                if let Err(e) = self.run_step(&step, None) {
                    self.note("alert", "console", format!("a scheduled line failed: {e}"));
                }
                matches!(step.action, Action::Pause)
            }
            Due::PauseReleased => {
                self.at_pause = false;
                self.dirty = true;
                false
            }
            Due::Replay { line, .. } => {
                self.replaying = true;
                let result = self.console(&line);
                self.replaying = false;
                if let Err(e) = result {
                    self.note(
                        "alert",
                        "console",
                        format!("replaying '{line}' failed: {}", e.message),
                    );
                }
                false
            }
        }
    }

    /// Checks the `wait until`s in progress at this instant. The file's, once it holds, lets the
    /// file go on from now; once it times out, the room does what `playground run` does: the
    /// failure is logged with the line's FILE:LINE and the expectation's message, the rest of the
    /// file is not played, and the clock pauses on the failure. The console's pauses the clock
    /// when it holds or times out. `true` if the clock paused.
    fn settle_holds(&mut self) -> bool {
        let now = self.cluster.now();
        let mut paused = false;
        if let Some(hold) = self.player.script_hold() {
            let file = self.scenario.script.file.clone();
            let hold = hold.clone();
            match expect::check(&self.cluster, &hold.expectation) {
                Ok(()) => {
                    self.player.release_script(now);
                    self.note_kind("info", "expect-passed", held(&hold, now));
                }
                Err(message) if now >= hold.deadline => {
                    self.player.stop_script();
                    let line = hold.step.pos.line;
                    self.note_kind(
                        "alert",
                        "expect-failed",
                        format!("✗ {file}:{line}: {message}"),
                    );
                    self.note(
                        "alert",
                        "console",
                        gave_up(
                            &hold,
                            "the scenario stopped here, its later lines are not played",
                        ),
                    );
                    self.clock.playing = false;
                    paused = true;
                }
                Err(_) => {}
            }
        }
        if let Some(hold) = self.player.console_hold().cloned() {
            match expect::check(&self.cluster, &hold.expectation) {
                Ok(()) => {
                    self.player.hold_console(None);
                    self.note_kind("info", "expect-passed", held(&hold, now));
                    self.clock.playing = false;
                    paused = true;
                }
                Err(message) if now >= hold.deadline => {
                    self.player.hold_console(None);
                    self.note("alert", "console", format!("✗ {message}"));
                    self.note("alert", "console", gave_up(&hold, "the clock paused"));
                    self.clock.playing = false;
                    paused = true;
                }
                Err(_) => {}
            }
        }
        paused
    }

    /// Checkpoints and the horizon after time moved.
    fn after_advance(&mut self) {
        let now = self.cluster.now();
        if self.history.checkpoint_due(now) && now >= self.history.horizon_us {
            let checkpoint = self.checkpoint();
            let budget = self.memory_budget;
            if self.history.record(checkpoint, &self.cluster, budget) && !self.history_thinned {
                self.history_thinned = true;
                self.note(
                    "info",
                    "console",
                    format!(
                        "this room keeps its memory under {} MB: older rewind points were thinned out (rewinding far back replays more)",
                        budget >> 20
                    ),
                );
            }
            if self.history.live_bytes > budget {
                self.over_budget();
            }
        }
        self.history.horizon_us = self.history.horizon_us.max(now);
    }

    pub(super) fn drain(&mut self) {
        for event in self.cluster.drain_events() {
            self.markers.push(&event);
            self.frame.push(&event);
        }
    }
}

/// `✓ wait until isr orders/0 == 2,3 (held at 21.000s, after 9.000s)`
pub(super) fn held(hold: &Hold, now: Micros) -> String {
    let started = hold.deadline - hold.timeout;
    format!(
        "✓ wait until {} (held at {}, after {})",
        hold.expectation.text,
        engine::time::format_duration(now),
        engine::time::format_duration(now - started)
    )
}

/// What a timed-out `wait until` stopped: `consequence` says it.
pub(super) fn gave_up(hold: &Hold, consequence: &str) -> String {
    format!(
        "wait until gave up after {}: {consequence}",
        engine::time::format_duration(hold.timeout)
    )
}

impl Room {
    /// The live cluster alone holds more than the room's budget. Its logs cannot be the cause
    /// (the storage limit keeps them to half of it, `limit_storage`), so state without a
    /// retention is: a Streams store counting ever-new keys, an external system's rows. No
    /// Kafka rule drops a store's keys, so the room does not either: it pauses and says what
    /// holds the memory, and stays usable (rewind, or stop what feeds it). Played again, it
    /// pauses again at the next checkpoint.
    fn over_budget(&mut self) {
        let mut holders: Vec<(String, usize)> = self
            .cluster
            .streams_memory()
            .into_iter()
            .map(|(app, bytes)| (format!("Streams app '{app}'"), bytes))
            .chain(
                self.cluster
                    .connect_system_memory()
                    .into_iter()
                    .map(|(system, bytes)| (format!("system '{system}'"), bytes)),
            )
            .collect();
        holders.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mb = |bytes: usize| bytes.div_ceil(1 << 20);
        let most = match holders.first() {
            Some((who, bytes)) if *bytes > self.memory_budget / 4 => {
                format!("; {who} holds {} MB of it", mb(*bytes))
            }
            _ => String::new(),
        };
        self.clock.playing = false;
        self.note(
            "alert",
            "console",
            format!(
                "paused: the cluster holds {} MB, more than the {} MB this room keeps to{most}. Rewind to before it grew, or stop what feeds it",
                mb(self.history.live_bytes),
                self.memory_budget >> 20
            ),
        );
    }
}
