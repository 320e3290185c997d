//! Console lines: a line checked completely before anything changes, then run and journaled;
//! a step's effect; the room's log notes.

use engine::scenario::{Action, Step, expect, parser};

use super::Room;
use super::player::Hold;
use crate::state;
use crate::wire::{self, LogEntry, WireError};

impl Room {
    /// A console line (typed, or built by a click). Checked completely before anything
    /// changes: a bad line leaves the room exactly as it was.
    pub(super) fn console(&mut self, line: &str) -> Result<Option<String>, WireError> {
        // A line the room journaled itself (a real client's produce) may be longer than what a
        // person may type; the journal bounds those (`history::MAX_CLIENT_BYTES`).
        if !self.replaying && line.len() > wire::MAX_COMMAND_BYTES {
            return Err(WireError::plain(format!(
                "the line is too long: {} bytes (the limit is {})",
                line.len(),
                wire::MAX_COMMAND_BYTES
            )));
        }
        let mut ctx = self.ctx.clone();
        ctx.time = self.cluster.now();
        // The room's own journal may replay real clients' inputs; a person may not type them.
        let parsed = if self.replaying {
            parser::parse_journal_line(line, &mut ctx)
        } else {
            parser::parse_line(line, &mut ctx)
        };
        let step = match parsed {
            Ok(None) => return Ok(None),
            Ok(Some(step)) => step,
            Err(d) => {
                return Err(WireError {
                    message: d.message,
                    line: Some(d.pos.line),
                    col: Some(d.pos.col),
                    hint: d.hint,
                    diagnostics: None,
                });
            }
        };
        // Lines that change what happens are journaled (for rewinding and export); acting after
        // a rewind forks the future.
        let changes = step.at.is_some()
            || matches!(
                step.action,
                Action::Cluster(_) | Action::Say(_) | Action::Focus(_)
            );
        if changes {
            self.fork_if_rewound();
        }
        if let Some(at) = step.at.filter(|&at| at > self.cluster.now()) {
            self.player.schedule(at, step).map_err(WireError::plain)?;
            self.ctx = ctx;
            self.remember(line);
            return Ok(Some(format!(
                "scheduled at {}",
                engine::time::format_duration(at)
            )));
        }
        let output = match &step.action {
            Action::Wait(d) => {
                // In a live room `wait` plays the clock for that long, then pauses.
                let until = self.cluster.now().saturating_add(*d);
                let pause = Step {
                    action: Action::Pause,
                    at: Some(until),
                    ..step.clone()
                };
                self.player
                    .schedule(until, pause)
                    .map_err(WireError::plain)?;
                self.clock.playing = true;
                Some(format!("playing for {}", engine::time::format_duration(*d)))
            }
            // In a live room `wait until` plays the clock until the condition holds, then
            // pauses; if it already holds, nothing moves.
            Action::WaitUntil { expectation, .. } => {
                if expect::check(&self.cluster, expectation).is_ok() {
                    Some(format!("{} already holds", expectation.text))
                } else {
                    self.player
                        .hold_console(Hold::new(&step, self.cluster.now()));
                    self.clock.playing = true;
                    Some(format!("playing until {}", expectation.text))
                }
            }
            _ => self.run_step(&step, Some(line)).map_err(WireError::plain)?,
        };
        self.ctx.clone_from(&ctx);
        if changes {
            self.remember(line);
        }
        Ok(output)
    }

    /// Acting after a rewind (a typed line, a real client's request) drops the timeline's
    /// future: its journal, checkpoints and pending replays. Real clients registered in the
    /// restored cluster that are not connected now are gone: they are closed here (journaled).
    pub(super) fn fork_if_rewound(&mut self) {
        let now = self.cluster.now();
        if self.replaying || !self.history.rewound(now) {
            return;
        }
        self.history.fork(now);
        self.markers.fork(now);
        self.player.drop_replays();
        for client in self.cluster.external_clients() {
            if !self.kafka_live.contains(&client) {
                self.apply_client(engine::Command::ExternalClientRemove { id: client });
            }
        }
        self.drain();
    }

    fn remember(&mut self, line: &str) {
        if !self.replaying {
            self.dirty = true;
            self.history
                .remember(self.cluster.now(), line, self.player.script_done());
        }
    }

    /// Runs one step now. `Err` means the cluster refused the command and nothing changed.
    /// A `typed` line (console or click) is logged before what it causes.
    pub(super) fn run_step(
        &mut self,
        step: &Step,
        typed: Option<&str>,
    ) -> Result<Option<String>, String> {
        let echo = |room: &mut Room| {
            if let Some(line) = typed {
                room.note("info", "console", format!("› {}", line.trim()));
            }
        };
        match &step.action {
            Action::Cluster(command) => {
                self.cluster
                    .apply(command.clone())
                    .map_err(|e| e.to_string())?;
                self.limit_storage();
                // A replayed real client's request is not a line anyone typed (and may be long).
                if !engine::client::journal::is_client_command(command) {
                    echo(self);
                }
                self.ctx.apply(step);
                self.drain();
                Ok(None)
            }
            // The player holds the file's next steps (`Player::pop_due`); the room checks the
            // condition before anything else runs (`settle_holds`).
            Action::Wait(_) | Action::WaitUntil { .. } => Ok(None),
            Action::Pause => {
                echo(self);
                self.clock.playing = false;
                Ok(Some("paused".to_string()))
            }
            Action::Say(text) => {
                let text = self.narrated(text);
                self.caption = Some(text.clone());
                self.caption_changed = true;
                // The log keeps the narration; a code listing under it is the caption's alone.
                let narration = text.lines().next().unwrap_or("").to_string();
                self.note("info", "narration", narration);
                Ok(None)
            }
            Action::Focus(targets) => {
                echo(self);
                self.focus = state::focus(targets);
                self.focus_changed = true;
                Ok(None)
            }
            Action::Expect(e) => {
                let (level, text) = match expect::check(&self.cluster, e) {
                    Ok(()) => {
                        let actual = expect::measure(&self.cluster, &e.metric)
                            .map(|a| format!(" (it is {a})"))
                            .unwrap_or_default();
                        ("info", format!("✓ {}{actual}", e.text))
                    }
                    Err(msg) => ("alert", format!("✗ {msg}")),
                };
                let kind = if level == "alert" {
                    "expect-failed"
                } else {
                    "expect-passed"
                };
                self.note_kind(level, kind, text.clone());
                Ok(Some(text))
            }
        }
    }

    pub(super) fn note(&mut self, level: &'static str, subject: &'static str, text: String) {
        self.frame
            .note(LogEntry::new(self.cluster.now(), level, subject, text));
    }

    /// A console line that reports a check (`expect`, a `wait until` that held or gave up), with
    /// its kind, so that presenter mode can hide the ones that passed.
    pub(super) fn note_kind(&mut self, level: &'static str, kind: &'static str, text: String) {
        self.frame.note(LogEntry {
            kind: Some(kind),
            ..LogEntry::new(self.cluster.now(), level, "console", text)
        });
    }
}
