//! The scenario player: the steps of a scenario file still to run, and console lines scheduled
//! with `at`, each due at a simulated instant.
//!
//! It keeps the headless runner's timing exactly (`at T` waits until T; `wait D` moves the
//! script's own time by D), so a file played in a room does what `playground run` checks.

use std::collections::{BTreeMap, VecDeque};

use engine::scenario::{Action, Step};
use engine::time::Micros;

/// A limit on scheduled console lines, so a loop of `at` lines cannot grow the room's memory.
pub const MAX_SCHEDULED: usize = 1024;

#[derive(Debug, Default)]
pub struct Player {
    /// A scenario file's remaining steps, in order.
    script: VecDeque<Step>,
    /// The script's own time: where its `wait`s have brought it.
    script_time: Micros,
    /// Console lines with `at`, by (instant, arrival).
    scheduled: BTreeMap<(Micros, u64), Step>,
    arrivals: u64,
}

impl Player {
    pub fn load(&mut self, steps: Vec<Step>) {
        self.script = steps.into();
        self.script_time = 0;
    }

    pub fn schedule(&mut self, at: Micros, step: Step) -> Result<(), String> {
        if self.scheduled.len() >= MAX_SCHEDULED {
            return Err(format!(
                "{MAX_SCHEDULED} lines are already scheduled with 'at'"
            ));
        }
        self.arrivals += 1;
        self.scheduled.insert((at, self.arrivals), step);
        Ok(())
    }

    fn script_due(&self) -> Option<Micros> {
        let step = self.script.front()?;
        Some(
            step.at
                .map_or(self.script_time, |at| self.script_time.max(at)),
        )
    }

    /// When the next step is due, if any.
    pub fn next_due(&self) -> Option<Micros> {
        let scheduled = self.scheduled.keys().next().map(|(at, _)| *at);
        match (self.script_due(), scheduled) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next step due at or before `now` (script first on a tie). A `wait` is consumed here:
    /// it only moves the script's time.
    pub fn pop_due(&mut self, now: Micros) -> Option<Step> {
        loop {
            let script = self.script_due().filter(|&t| t <= now);
            let scheduled = self
                .scheduled
                .keys()
                .next()
                .copied()
                .filter(|(t, _)| *t <= now);
            match (script, scheduled) {
                (Some(s), other) if other.is_none_or(|(t, _)| s <= t) => {
                    let step = self.script.pop_front().expect("due step");
                    self.script_time = s;
                    if let Action::Wait(d) = step.action {
                        self.script_time = self.script_time.saturating_add(d);
                        continue;
                    }
                    return Some(step);
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
        p.load(script.steps);
        assert!(p.pop_due(0).is_some()); // brokers 3
        assert_eq!(p.pop_due(0), None); // the wait
        assert_eq!(p.next_due(), Some(2_000_000));
        assert_eq!(p.pop_due(2_000_000).unwrap().pos.line, 3);
        assert_eq!(p.next_due(), Some(5_000_000));
        assert_eq!(p.pop_due(4_999_999), None);
        assert_eq!(p.pop_due(5_000_000).unwrap().pos.line, 4);
        assert_eq!(p.pop_due(5_000_000).unwrap().pos.line, 5);
        assert_eq!(p.next_due(), None);
    }
}
