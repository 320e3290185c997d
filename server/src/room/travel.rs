//! The room's side of time travel: checkpoints taken and restored, seeking to an instant
//! (replaying the journal after a rewind), and Previous (back to the last pause).

use engine::time::Micros;

use super::history::Checkpoint;
use super::{Room, history};
use crate::frame::FrameBuilder;
use crate::wire::WireError;

impl Room {
    pub(super) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            at_us: self.cluster.now(),
            cluster: self.cluster.clone(),
            player: self.player.clone(),
            ctx: self.ctx.clone(),
            caption: self.caption.clone(),
            focus: self.focus.clone(),
            pauses_done: self.pauses_done,
            at_pause: self.at_pause,
            journal_len: self.history.journal.len(),
        }
    }

    /// The room as it was at checkpoint `c`, paused, with no replayed lines pending.
    pub(super) fn restore_checkpoint(&mut self, c: Checkpoint) {
        self.cluster = c.cluster;
        self.player = c.player;
        self.player.drop_replays();
        self.ctx = c.ctx;
        self.caption = c.caption;
        self.caption_changed = true;
        self.focus = c.focus;
        self.focus_changed = true;
        self.pauses_done = c.pauses_done;
        self.at_pause = c.at_pause;
        self.clock.playing = false;
        self.log.clear();
    }

    /// Restores checkpoint `c` with the journal's lines after it due again at their instants,
    /// and the pauses released on this timeline still released (`Player::pause_releases`), so
    /// playing on reaches what the room reached before (determinism).
    fn replay_from(&mut self, c: Checkpoint) {
        let journal_len = c.journal_len;
        let releases = self.player.pause_releases();
        self.restore_checkpoint(c);
        self.player.expect_releases(releases);
        for e in &self.history.journal[journal_len..] {
            self.player.replay(e.at_us, e.line.clone(), e.script_done);
        }
    }

    /// Time travel: back (or forward, up to the horizon) to `t`, paused there. The last
    /// checkpoint before `t` is restored and the journal's lines after it are typed again at
    /// their instants, so the state at `t` is exactly what it was (determinism).
    pub(super) fn seek(&mut self, t: Micros) -> Result<(), WireError> {
        self.travel(t)?;
        self.note(
            "info",
            "console",
            format!("rewound to {}", history::instant(t)),
        );
        self.broadcast_snapshot();
        Ok(())
    }

    /// Puts the room at instant `t` of its timeline (restoring a checkpoint, replaying the
    /// journal), paused there. Nothing is broadcast.
    pub(super) fn travel(&mut self, t: Micros) -> Result<(), WireError> {
        let horizon = self.history.horizon_us.max(self.cluster.now());
        if t > horizon {
            return Err(WireError::plain(format!(
                "cannot seek to {}: this timeline has only reached {}",
                engine::time::format_duration(t),
                engine::time::format_duration(horizon)
            )));
        }
        self.replayable(t)?;
        self.history.horizon_us = horizon;
        let Some(c) = self.history.checkpoint_before(t).cloned() else {
            return Err(WireError::plain("no checkpoint to rewind to"));
        };
        self.replay_from(c);
        // A `pause` on the way stops `advance_to`; going past it to `t` means it was passed.
        self.advance_to(t);
        while self.cluster.now() < t {
            self.at_pause = false;
            self.advance_to(t);
        }
        // `t` falls while a pause held the file and the clock played on (students' clients were
        // connected): the room waits at that pause, and its steps go on when they did.
        if self.player.replaying_pause() {
            self.at_pause = true;
        }
        // What the replay narrated is the past now: start the log afresh.
        self.frame = FrameBuilder::default();
        self.dirty = true;
        Ok(())
    }

    /// Whether the journal can replay the timeline up to `t`: not past the first real client's
    /// request it had no room to keep (`History::remember_client`).
    fn replayable(&self, t: Micros) -> Result<(), WireError> {
        match self.history.clients_dropped_at {
            Some(at) if t > at => Err(WireError::plain(format!(
                "cannot go to {}: the real Kafka clients' requests from {} on were not kept \
                 (the room keeps at most {} of them), so a replay would not be this timeline; \
                 rewind to {} or earlier",
                history::instant(t),
                history::instant(at),
                history::MAX_CLIENT_LINES,
                history::instant(at)
            ))),
            _ => Ok(()),
        }
    }

    /// Previous: back to the pause before this one (waiting at pause N: N−1; after it: N),
    /// exactly as the room was when it reached it, paused there.
    pub(super) fn previous(&mut self) -> Result<(), WireError> {
        let target = if self.waiting_at_pause() {
            self.pauses_done.saturating_sub(1)
        } else {
            self.pauses_done
        };
        if target == 0 {
            return Err(WireError::plain(
                "there is no earlier pause to go back to (Restart starts the lesson again)",
            ));
        }
        let Some(&at) = self.history.pauses.get(&target) else {
            return Err(WireError::plain(format!(
                "pause {target} is not on this timeline"
            )));
        };
        self.travel_to_pause(target, at)?;
        self.note(
            "info",
            "console",
            format!(
                "back to pause {target} of {} at {}",
                self.pauses_total,
                history::instant(at)
            ),
        );
        self.broadcast_snapshot();
        Ok(())
    }

    /// Puts the room where it stood when it reached pause `k` at `at`: from the checkpoint
    /// before `at`, the journal replayed, played until pause `k` is the last step run (pauses
    /// passed on the way are gone on from, as `travel` does).
    fn travel_to_pause(&mut self, k: usize, at: Micros) -> Result<(), WireError> {
        self.replayable(at)?;
        let Some(c) = self.history.checkpoint_for_pause(at).cloned() else {
            return Err(WireError::plain("no checkpoint to rewind to"));
        };
        self.history.horizon_us = self.history.horizon_us.max(self.cluster.now());
        self.replay_from(c);
        self.frame = FrameBuilder::default();
        self.dirty = true;
        while !(self.at_pause && self.pauses_done == k) {
            let (done, now) = (self.pauses_done, self.cluster.now());
            if done >= k || now > at {
                return Err(WireError::plain(format!(
                    "pause {k} was not reached again at {}",
                    history::instant(at)
                )));
            }
            self.at_pause = false;
            self.advance_to(at);
            if self.pauses_done == done && self.cluster.now() >= at {
                return Err(WireError::plain(format!(
                    "pause {k} was not reached again at {}",
                    history::instant(at)
                )));
            }
        }
        // What the replay narrated is the past now: start the log afresh.
        self.frame = FrameBuilder::default();
        Ok(())
    }
}
