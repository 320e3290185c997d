//! The scenario player: the steps of a scenario file still to run, and console lines scheduled
//! with `at`, each due at a simulated instant.
//!
//! It keeps the headless runner's timing exactly (`at T` waits until T; `wait D` moves the
//! script's own time by D; `wait until` holds the script's next steps until its condition holds,
//! and the script goes on from that instant), so a file played in a room does what
//! `playground run` checks.

use std::collections::BTreeMap;
use std::sync::Arc;

use engine::scenario::{Action, Expectation, Script, Step};
use engine::time::Micros;

/// A limit on scheduled console lines, so a loop of `at` lines cannot grow the room's memory.
pub const MAX_SCHEDULED: usize = 1024;

/// What comes due.
#[derive(Debug, Clone, PartialEq)]
pub enum Due {
    /// A step of the scenario file.
    Script(Step),
    /// A console line given with `at`, now due.
    Scheduled(Step),
    /// A console line of the journal, typed at this instant before a rewind: it runs again.
    /// `script_done` is how many steps of the file had run when it was typed, so that it runs
    /// again between the same two steps (a line typed at a `pause` comes before the steps that
    /// follow the pause at the same instant).
    Replay { line: String, script_done: usize },
    /// A replayed pause that was held while the clock played is released, at the instant Next
    /// released it live: the room no longer waits at it.
    PauseReleased,
}

/// On a tie: the script first, then `at` lines, then replayed console lines, which is the order
/// they had live (script steps and `at` lines run while the clock advances; a typed line
/// arrives between two advances).
const RANK_SCHEDULED: u8 = 0;
const RANK_REPLAY: u8 = 1;

/// A `wait until` in progress: the room checks `expectation` after every step of the engine
/// (`Room::settle_holds`) until it holds or `deadline` passes.
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    /// The `wait until` line (its position names it in a failure).
    pub step: Step,
    pub expectation: Expectation,
    pub timeout: Micros,
    pub deadline: Micros,
}

impl Hold {
    /// A hold for a `wait until` step starting at `now`; `None` for any other step.
    pub fn new(step: &Step, now: Micros) -> Option<Hold> {
        let Action::WaitUntil {
            expectation,
            timeout,
        } = &step.action
        else {
            return None;
        };
        Some(Hold {
            step: step.clone(),
            expectation: expectation.clone(),
            timeout: *timeout,
            deadline: now.saturating_add(*timeout),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Player {
    /// A scenario file's steps, shared by every checkpoint's copy of the player (a million-line
    /// file is not copied every 5 simulated seconds).
    script: Option<Arc<Script>>,
    /// How many of them have run.
    script_next: usize,
    /// The script's own time: where its `wait`s have brought it.
    script_time: Micros,
    /// Console lines with `at` and replayed lines, by (instant, rank, arrival).
    scheduled: BTreeMap<(Micros, u8, u64), Due>,
    arrivals: u64,
    /// The file's `wait until` in progress: its next steps are held until it holds.
    script_hold: Option<Hold>,
    /// A `wait until` typed in the console: the clock plays until it holds, then pauses.
    console_hold: Option<Hold>,
    /// A file's `wait until` timed out: as in the headless runner, its later steps never run.
    script_stopped: bool,
    /// (step index, instant) of every `wait until` of the file that held, and of every `pause`
    /// released after the clock played on at it: where the steps after it ran, for exporting
    /// the session.
    holds_ended: Vec<(usize, Micros)>,
    /// Whether the file waits at a `pause` while the clock plays (`PauseHold`).
    pause_hold: PauseHold,
    /// Pauses of this timeline that were held while the clock played, still ahead of a replay
    /// (after a rewind): step index → the instant Next released each, so the steps after it
    /// run again at that instant and not at the pause's (`expect_releases`).
    replay_releases: BTreeMap<usize, Micros>,
}

/// A `pause` that holds the file while the clock plays on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum PauseHold {
    #[default]
    None,
    /// Kafka clients are connected and their requests need simulated time to move: the file's
    /// next steps come due after Next.
    ForNext,
    /// A rewind replays a pause that was held live until Next at this instant: the next steps
    /// come due then again, whatever is pressed meanwhile (until the future forks).
    Until(Micros),
}

impl Player {
    pub fn load(&mut self, script: Arc<Script>) {
        self.script = Some(script);
        self.script_next = 0;
        self.script_time = 0;
        self.script_hold = None;
        self.script_stopped = false;
        self.holds_ended.clear();
        self.pause_hold = PauseHold::None;
        self.replay_releases.clear();
    }

    /// Holds the file at the `pause` that just ran while the clock plays on.
    pub fn hold_at_pause(&mut self) {
        if self.pause_hold == PauseHold::None {
            self.pause_hold = PauseHold::ForNext;
        }
    }

    /// The file is held at a `pause` while the clock plays, waiting for Next.
    pub fn held_at_pause(&self) -> bool {
        self.pause_hold == PauseHold::ForNext
    }

    /// Next (or Play) at a `pause` held while the clock played: the file's next steps go on
    /// from `now`, as after a `wait until` that held. A replayed pause (`PauseHold::Until`)
    /// goes on at the instant it did live instead: the clock plays there.
    pub fn release_pause(&mut self, now: Micros) {
        if self.pause_hold == PauseHold::ForNext {
            self.end_pause_hold(now);
        }
    }

    fn end_pause_hold(&mut self, at: Micros) {
        self.pause_hold = PauseHold::None;
        self.script_time = self.script_time.max(at);
        self.holds_ended
            .push((self.script_next.saturating_sub(1), at));
    }

    /// The instants at which Next released this timeline's held pauses, by step index: those
    /// already played and those a replay still has ahead.
    pub fn pause_releases(&self) -> BTreeMap<usize, Micros> {
        let steps = self.steps();
        let played = self
            .holds_ended
            .iter()
            .filter(|(i, _)| {
                steps
                    .get(*i)
                    .is_some_and(|s| matches!(s.action, Action::Pause))
            })
            .copied();
        let mut releases: BTreeMap<usize, Micros> = played.collect();
        if let PauseHold::Until(at) = self.pause_hold {
            releases.insert(self.script_next.saturating_sub(1), at);
        }
        releases.extend(&self.replay_releases);
        releases
    }

    /// After a rewind: the held pauses of the timeline being replayed, so that each goes on at
    /// the instant it did (a lesson's pause held while students' clients played on, released
    /// at Next). Those the restored player has already passed are ignored.
    pub fn expect_releases(&mut self, releases: BTreeMap<usize, Micros>) {
        let next = self.script_next;
        // A checkpoint taken while the file was held at a pause: it goes on when it did.
        if let Some(&at) = releases.get(&next.saturating_sub(1))
            && self.pause_hold == PauseHold::ForNext
        {
            self.pause_hold = PauseHold::Until(at);
        }
        self.replay_releases = releases.into_iter().filter(|(i, _)| *i >= next).collect();
    }

    /// The rewound room's pause waits for its replayed Next (`PauseHold::Until`).
    pub fn replaying_pause(&self) -> bool {
        matches!(self.pause_hold, PauseHold::Until(_))
    }

    /// The file's `wait until` in progress, if any.
    pub fn script_hold(&self) -> Option<&Hold> {
        self.script_hold.as_ref()
    }

    /// The console's `wait until` in progress, if any.
    pub fn console_hold(&self) -> Option<&Hold> {
        self.console_hold.as_ref()
    }

    /// A `wait until` is in progress: the room must step the engine instant by instant.
    pub fn holding(&self) -> bool {
        self.script_hold.is_some() || self.console_hold.is_some()
    }

    /// The file's `wait until` held at `now`: its next steps go on from `now`.
    pub fn release_script(&mut self, now: Micros) {
        if self.script_hold.take().is_some() {
            self.script_time = now;
            self.holds_ended.push((self.script_next - 1, now));
        }
    }

    /// The file's `wait until` timed out: the rest of the file is not played.
    pub fn stop_script(&mut self) {
        self.script_hold = None;
        self.script_stopped = true;
    }

    /// Starts (or replaces) the console's `wait until`; `None` ends it.
    pub fn hold_console(&mut self, hold: Option<Hold>) {
        self.console_hold = hold;
    }

    /// Where each `wait until` of the file that held ended, by step index.
    pub fn holds_ended(&self) -> &[(usize, Micros)] {
        &self.holds_ended
    }

    pub fn schedule(&mut self, at: Micros, step: Step) -> Result<(), String> {
        if self.scheduled.len() >= MAX_SCHEDULED {
            return Err(format!(
                "{MAX_SCHEDULED} lines are already scheduled with 'at'"
            ));
        }
        self.arrivals += 1;
        self.scheduled
            .insert((at, RANK_SCHEDULED, self.arrivals), Due::Scheduled(step));
        Ok(())
    }

    /// A journal line to type again at `at` (after a rewind). Not limited: the journal is.
    pub fn replay(&mut self, at: Micros, line: String, script_done: usize) {
        self.arrivals += 1;
        self.scheduled.insert(
            (at, RANK_REPLAY, self.arrivals),
            Due::Replay { line, script_done },
        );
    }

    /// Forgets the replayed future (someone acted after a rewind: the future forks).
    pub fn drop_replays(&mut self) {
        self.scheduled
            .retain(|_, due| !matches!(due, Due::Replay { .. }));
        self.replay_releases.clear();
        // A replayed held pause not yet released waits for a Next of this new future.
        if let PauseHold::Until(_) = self.pause_hold {
            self.pause_hold = PauseHold::ForNext;
        }
    }

    fn steps(&self) -> &[Step] {
        self.script.as_ref().map_or(&[], |s| &s.steps)
    }

    /// How many steps of the file have run (its `wait`s included).
    pub fn script_done(&self) -> usize {
        self.script_next
    }

    /// Every step of the file has run (or a `wait until` that timed out stopped it).
    pub fn script_finished(&self) -> bool {
        self.script_stopped || self.script_next >= self.steps().len()
    }

    fn script_due(&self) -> Option<Micros> {
        if self.script_hold.is_some() || self.script_stopped {
            return None;
        }
        let from = match self.pause_hold {
            PauseHold::None => self.script_time,
            PauseHold::ForNext => return None,
            // Due when the replayed pause ends: `pop_due` releases it then.
            PauseHold::Until(at) => self.script_time.max(at),
        };
        let step = self.steps().get(self.script_next)?;
        Some(step.at.map_or(from, |at| from.max(at)))
    }

    /// When the next step is due, or a `wait until` times out, if any.
    pub fn next_due(&self) -> Option<Micros> {
        let scheduled = self.scheduled.keys().next().map(|(at, _, _)| *at);
        let deadlines = [&self.script_hold, &self.console_hold]
            .into_iter()
            .flatten()
            .map(|h| h.deadline);
        [self.script_due(), scheduled]
            .into_iter()
            .flatten()
            .chain(deadlines)
            .min()
    }

    /// The next step due at or before `now` (script first on a tie). A `wait` is consumed here:
    /// it only moves the script's time. A `wait until` of the file is returned after it starts
    /// holding the file's next steps: the room checks it before anything else runs.
    pub fn pop_due(&mut self, now: Micros) -> Option<Due> {
        loop {
            if let PauseHold::Until(at) = self.pause_hold
                && at <= now
            {
                self.end_pause_hold(at);
                return Some(Due::PauseReleased);
            }
            let script = self.script_due().filter(|&t| t <= now);
            let scheduled = self
                .scheduled
                .keys()
                .next()
                .copied()
                .filter(|(t, _, _)| *t <= now);
            // A replayed line goes before a script step due at the same instant if it was typed
            // before that step ran.
            let replay_first = |key: &(Micros, u8, u64)| match self.scheduled.get(key) {
                Some(Due::Replay { script_done, .. }) => *script_done <= self.script_done(),
                _ => false,
            };
            match (script, scheduled) {
                (Some(s), Some(key)) if key.0 < s || (key.0 == s && replay_first(&key)) => {
                    return self.scheduled.remove(&key);
                }
                (Some(s), other) if other.is_none_or(|(t, _, _)| s <= t) => {
                    let step = self.steps()[self.script_next].clone();
                    self.script_next += 1;
                    self.script_time = s;
                    if let Action::Wait(d) = step.action {
                        self.script_time = self.script_time.saturating_add(d);
                        continue;
                    }
                    self.script_hold = Hold::new(&step, s);
                    if matches!(step.action, Action::Pause)
                        && let Some(at) = self.replay_releases.remove(&(self.script_next - 1))
                    {
                        self.pause_hold = PauseHold::Until(at);
                    }
                    return Some(Due::Script(step));
                }
                (_, Some(key)) => return self.scheduled.remove(&key),
                (None, None) => return None,
                (Some(_), None) => unreachable!("handled by the first arm"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::scenario::parser;

    #[test]
    fn waits_and_ats_follow_the_runners_timing() {
        let script = parser::parse(
            "t",
            "brokers 3\nwait 2s\nbroker kill 1\nat 5s broker restart 1\nsay \"done\"\n",
        )
        .unwrap();
        let mut p = Player::default();
        p.load(Arc::new(script));
        let line = |due: Option<Due>| match due {
            Some(Due::Script(step)) => step.pos.line,
            other => panic!("{other:?}"),
        };
        assert_eq!(line(p.pop_due(0)), 1); // brokers 3
        assert_eq!(p.pop_due(0), None); // the wait
        assert_eq!(p.next_due(), Some(2_000_000));
        assert_eq!(line(p.pop_due(2_000_000)), 3);
        assert_eq!(p.next_due(), Some(5_000_000));
        assert_eq!(p.pop_due(4_999_999), None);
        // A line typed after step 4 ran (4 steps done, the wait included) replays between
        // steps 4 and 5, which are due at the same instant.
        p.replay(5_000_000, "broker kill 2".into(), 4);
        assert_eq!(line(p.pop_due(5_000_000)), 4);
        assert_eq!(
            p.pop_due(5_000_000),
            Some(Due::Replay {
                line: "broker kill 2".into(),
                script_done: 4
            })
        );
        assert_eq!(line(p.pop_due(5_000_000)), 5);
        assert_eq!(p.next_due(), None);
        assert_eq!(p.script_done(), 5);
        assert!(p.script_finished());
    }
}
