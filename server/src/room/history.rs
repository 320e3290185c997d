//! Time travel and export, both from determinism: the room keeps checkpoints (the cluster is
//! `Clone`) every few simulated seconds and a journal of the console lines typed and of real
//! Kafka clients' engine inputs (`kafka-client` lines), with the instant each took effect. Rewinding restores the last checkpoint before the target and plays
//! the journal again up to it; acting after a rewind drops the journal's future (a fork).
//! Exporting writes the scenario file plus the journal as one file that replays the session.

use std::collections::BTreeMap;

use engine::Cluster;
use engine::memory::Ledger;
use engine::scenario::{Action, Script, parser};
use engine::time::Micros;

use super::player::Player;

/// A checkpoint every this much simulated time.
pub const CHECKPOINT_US: Micros = 5_000_000;
/// Checkpoints kept; beyond this the least missed is dropped (rewinding far back replays more).
pub const MAX_CHECKPOINTS: usize = 120;
/// At each checkpoint history leaves 1/16 of the room's budget free (16 MB of 256) for what the
/// live cluster adds before the next one: 5 simulated seconds at the room's highest total producer
/// rate (`engine::limits::MAX_TOTAL_PRODUCER_RATE_PER_S`, 10,000/s) is 50,000 records, about 12 MB
/// with every record in 12 replicas' logs. So the room stays under its budget between checkpoints.
pub const HEADROOM_PARTS: usize = 16;
/// Console lines remembered, for rewinding and exporting a session.
pub const MAX_JOURNAL: usize = 10_000;
/// Real clients' engine inputs remembered (`kafka-client` lines, `engine::client::journal`),
/// counted apart from the typed lines so that a busy client does not crowd them out: a
/// consumer's idle long poll alone is two fetches a second.
pub const MAX_CLIENT_LINES: usize = 200_000;
/// Their bytes: a saved room is one file read whole (`saved::MAX_FILE_BYTES`, 64 MiB), and these
/// lines are quoted again inside it.
pub const MAX_CLIENT_BYTES: usize = 24 << 20;

/// Everything that a rewind must put back as it was.
#[derive(Clone)]
pub struct Checkpoint {
    pub at_us: Micros,
    pub cluster: Cluster,
    pub player: Player,
    pub ctx: parser::Context,
    pub caption: Option<String>,
    /// What `focus` put on screen (wire form, see `state::focus`).
    pub focus: Vec<String>,
    pub pauses_done: usize,
    pub at_pause: bool,
    /// Journal lines already in this state; later ones are replayed after a restore.
    pub journal_len: usize,
}

/// A console line or click that changed the room, at the simulated instant it was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub at_us: Micros,
    pub line: String,
    /// How many steps of the scenario file had run when it was typed (its place among them).
    pub script_done: usize,
}

impl JournalEntry {
    /// A real client's engine input (`kafka-client …`), journaled by the room, not typed.
    pub fn is_client(&self) -> bool {
        is_client_line(&self.line)
    }
}

/// Whether a journal line is a real client's input (`engine::client::journal::WORD`).
pub fn is_client_line(line: &str) -> bool {
    line.split_whitespace().next() == Some(engine::client::journal::WORD)
}

#[derive(Clone, Default)]
pub struct History {
    pub checkpoints: Vec<Checkpoint>,
    pub journal: Vec<JournalEntry>,
    /// The journal's real clients' lines and their bytes (bounded apart from typed lines).
    client_lines: usize,
    client_bytes: usize,
    /// The first instant at which a real client's input was not journaled (its bound was
    /// reached): up to it a replay is exact; after it, it would miss requests.
    pub clients_dropped_at: Option<Micros>,
    /// How far this timeline has been played.
    pub horizon_us: Micros,
    /// What the live cluster held at the last checkpoint, by its own measure.
    pub live_bytes: usize,
    /// The instant this timeline reached each `pause` of the file (by its number, from 1), for
    /// Previous. One entry per pause line, so bounded by the file.
    pub pauses: BTreeMap<usize, Micros>,
}

impl History {
    /// Keeps `checkpoint`, then thins: first to [`MAX_CHECKPOINTS`], dropping the one whose loss
    /// widens the gap around it least relative to its age (recent seconds stay dense, the distant
    /// past sparse); then, while the room (`live` and every checkpoint, shared chunks counted
    /// once) holds more than `budget` less a headroom ([`HEADROOM_PARTS`]), the oldest after the
    /// first.
    ///
    /// Why the oldest under memory pressure: a checkpoint costs little while the live cluster
    /// still holds the same records (only its own copies: open chunks, timers, clients), and a
    /// whole retention window of records once it is older than that. So nearly all of history's
    /// bytes are the records that only the oldest checkpoints still hold, and dropping the oldest
    /// gives back exactly the records between it and the next one: a small, steady step. Dropping
    /// a middle one would give back almost nothing and make rewinds slower; dropping a distant one
    /// kept for age gives back a whole era at once, and memory would fall and refill in a
    /// sawtooth. The room thus remembers as far back as its budget holds, at a level total,
    /// while a producer floods it; rewinding before the oldest checkpoint after the first replays
    /// from the first. The first (time 0) and the newest are always kept. Returns whether it had
    /// to thin for memory.
    pub fn record(&mut self, checkpoint: Checkpoint, live: &Cluster, budget: usize) -> bool {
        self.checkpoints.push(checkpoint);
        while self.checkpoints.len() > MAX_CHECKPOINTS.max(2) {
            let drop = self.least_missed();
            self.checkpoints.remove(drop);
        }
        // Measured once; each drop then knows what it gives back.
        let mut ledger = Ledger::default();
        ledger.add(live);
        self.live_bytes = ledger.total();
        for c in &self.checkpoints {
            ledger.add(&c.cluster);
        }
        let target = budget - budget / HEADROOM_PARTS;
        let mut thinned = false;
        while ledger.total() > target && self.checkpoints.len() > 2 {
            let oldest = self.checkpoints.remove(1);
            ledger.remove(&oldest.cluster);
            thinned = true;
        }
        thinned
    }

    /// The checkpoint (never the first or the last) whose removal costs least: the gap it
    /// leaves, divided by its age (a rewind far back may replay more than a recent one).
    fn least_missed(&self) -> usize {
        let now = self.checkpoints.last().map_or(0, |c| c.at_us);
        (1..self.checkpoints.len() - 1)
            .min_by_key(|&i| {
                let gap = self.checkpoints[i + 1].at_us - self.checkpoints[i - 1].at_us;
                let age = now - self.checkpoints[i].at_us;
                // gap / age, compared exactly: gap_i * age_j < gap_j * age_i (ties: the older).
                (u128::from(gap) << 64) / u128::from(age.max(1))
            })
            .expect("at least three checkpoints")
    }

    /// The bytes the room holds: the live cluster and every checkpoint, each shared chunk once.
    pub fn memory(&self, live: &Cluster) -> usize {
        engine::memory::total_memory(
            std::iter::once(live).chain(self.checkpoints.iter().map(|c| &c.cluster)),
        )
    }

    /// Whether a checkpoint is due at `now`.
    pub fn checkpoint_due(&self, now: Micros) -> bool {
        self.checkpoints
            .last()
            .is_none_or(|c| now >= c.at_us + CHECKPOINT_US)
    }

    /// The last checkpoint at or before `t`.
    pub fn checkpoint_before(&self, t: Micros) -> Option<&Checkpoint> {
        self.checkpoints.iter().rev().find(|c| c.at_us <= t)
    }

    /// Where to start playing to reach a pause at `at` so that the pause runs on the way: the last
    /// checkpoint before `at` (the first, at time 0, for a pause at 0).
    pub fn checkpoint_for_pause(&self, at: Micros) -> Option<&Checkpoint> {
        self.checkpoints
            .iter()
            .rev()
            .find(|c| c.at_us < at)
            .or(self.checkpoints.first())
    }

    /// Someone acted at `now` after a rewind: the old future is gone.
    pub fn fork(&mut self, now: Micros) {
        self.journal.retain(|e| e.at_us <= now);
        self.checkpoints.retain(|c| c.at_us <= now);
        self.pauses.retain(|_, at| *at <= now);
        self.clients_dropped_at = self.clients_dropped_at.filter(|&at| at <= now);
        self.horizon_us = now;
        self.recount();
    }

    /// Counts the journal's real clients' lines again (after a fork, or a journal loaded whole).
    pub fn recount(&mut self) {
        let clients = self.journal.iter().filter(|e| e.is_client());
        self.client_lines = clients.clone().count();
        self.client_bytes = clients.map(|e| e.line.len()).sum();
    }

    pub fn remember(&mut self, at_us: Micros, line: &str, script_done: usize) {
        if self.journal.len() - self.client_lines < MAX_JOURNAL {
            self.journal.push(JournalEntry {
                at_us,
                line: line.trim().to_string(),
                script_done,
            });
        }
    }

    /// A real client's engine input (a `kafka-client` line), in the order the room applied it.
    /// Past [`MAX_CLIENT_LINES`] or [`MAX_CLIENT_BYTES`] it is not kept, and the instant of the
    /// first one left out is remembered: rewinds past it are refused and an export says so.
    pub fn remember_client(&mut self, at_us: Micros, line: String, script_done: usize) {
        if self.clients_dropped_at.is_some()
            || self.client_lines >= MAX_CLIENT_LINES
            || self.client_bytes + line.len() > MAX_CLIENT_BYTES
        {
            self.clients_dropped_at.get_or_insert(at_us);
            return;
        }
        self.client_lines += 1;
        self.client_bytes += line.len();
        self.journal.push(JournalEntry {
            at_us,
            line,
            script_done,
        });
    }

    pub fn rewound(&self, now: Micros) -> bool {
        now < self.horizon_us
    }
}

/// `12.5s`, `3s`, `0.000250s`: an exact instant in the scenario language.
pub fn instant(us: Micros) -> String {
    let (s, frac) = (us / 1_000_000, us % 1_000_000);
    if frac == 0 {
        format!("{s}s")
    } else {
        let digits = format!("{frac:06}");
        format!("{s}.{}s", digits.trim_end_matches('0'))
    }
}

/// The session as one scenario file: the steps of the room's file that have run, and every line
/// typed, each at the instant it took effect (`at T …`), then a `wait` up to `now`. Playing it
/// headless reaches the room's state at `now` (tested). A `wait until` of the file is not
/// written: the steps after it are, at the instant it held (`holds_ended`, by step index).
/// Real Kafka clients' inputs are journal lines too (`kafka-client …`, journaled by
/// `room/kafka.rs`), written at their instants like typed lines, so the replay applies the same
/// commands at the same instants in the same order (`tests/tests/kafka_journal.rs`).
pub fn export(
    script: &Script,
    source: &str,
    steps_done: usize,
    holds_ended: &[(usize, Micros)],
    journal: &[JournalEntry],
    clients_dropped_at: Option<Micros>,
    now: Micros,
) -> String {
    let lines: Vec<&str> = source.lines().collect();
    // (instant, place, kind, order, line): the file's steps at their static instants (pauses
    // take no simulated time, so they are the instants they ran at) and in file order; a typed
    // line goes at its instant, after the steps that had run when it was typed. Step `i` has
    // place `i + 1` and a line typed after `k` steps place `k`: on a tie (the step `k - 1` ran
    // at the same instant, before the line) the step's kind, 0, puts it first, as it ran.
    let mut timed: Vec<(Micros, usize, u8, usize, String)> = Vec::new();
    let mut t: Micros = 0;
    for (order, step) in script.steps.iter().take(steps_done).enumerate() {
        if let Some(at) = step.at {
            t = t.max(at);
        }
        match &step.action {
            Action::Wait(d) => t = t.saturating_add(*d),
            Action::WaitUntil { .. } => {
                if let Some(&(_, ended)) = holds_ended.iter().find(|(i, _)| *i == order) {
                    t = t.max(ended);
                }
            }
            // A pause the clock played on at (Kafka clients connected): the steps after it
            // ran when Next was pressed.
            Action::Pause => {
                timed.push((t, order + 1, 0, order, "pause".to_string()));
                if let Some(&(_, ended)) = holds_ended.iter().find(|(i, _)| *i == order) {
                    t = t.max(ended);
                }
            }
            Action::Expect(_) => {}
            _ => {
                let text = lines
                    .get(step.pos.line as usize - 1)
                    .map_or("", |l| l.trim());
                // The command itself, without a leading `at TIME` (it gets its own below).
                let mut text = strip_at(text).to_string();
                // A `say`'s code listing: its `|` lines follow it.
                if let Action::Say(said) = &step.action {
                    for code in said.lines().skip(1) {
                        text.push_str("\n| ");
                        text.push_str(code);
                    }
                }
                timed.push((t, order + 1, 0, order, text));
            }
        }
    }
    let offset = timed.len();
    for (i, e) in journal.iter().enumerate() {
        let first = e.line.split_whitespace().next().unwrap_or("");
        if matches!(first, "wait" | "pause" | "expect" | "") || first.starts_with('#') {
            continue;
        }
        // `at T cmd` typed at some instant runs at T.
        // `at T cmd` runs at T, after the file's steps due then (as the room's player does).
        let (at, place, text) = match parse_at(&e.line) {
            Some((at, rest)) => (at, usize::MAX, rest.to_string()),
            None => (e.at_us, e.script_done, e.line.clone()),
        };
        // A console `wait` (`at T wait 2s`, `at T wait until …`) only plays the room's clock;
        // in a file it would move the file's time.
        if text.split_whitespace().next() == Some("wait") {
            continue;
        }
        timed.push((at, place, 1, offset + i, text));
    }
    timed.sort_by_key(|(at, place, kind, order, _)| (*at, *place, *kind, *order));

    let mut out = String::new();
    let title = script.title.as_deref().unwrap_or(&script.file);
    out.push_str(&format!(
        "title \"{} (session)\"\n",
        title.replace('\\', "\\\\").replace('"', "\\\"")
    ));
    out.push_str(&format!("seed {}\n", script.seed.unwrap_or(0)));
    out.push_str(&format!(
        "# Exported at {}: `playground run` this file to replay the session exactly.\n",
        instant(now)
    ));
    if let Some(at) = clients_dropped_at {
        out.push_str(&format!(
            "# Real Kafka clients' requests from {} on were not kept (the room keeps at most \
             {MAX_CLIENT_LINES} of them, {} MiB): from there this replay differs from the session.\n",
            instant(at),
            MAX_CLIENT_BYTES >> 20
        ));
    }
    let mut last = 0;
    for (at, _, _, _, text) in timed {
        if at == 0 {
            out.push_str(&format!("{text}\n"));
        } else {
            out.push_str(&format!("at {} {text}\n", instant(at)));
        }
        last = at;
    }
    if now > last {
        out.push_str(&format!("wait {}\n", instant(now - last)));
    }
    out
}

fn strip_at(text: &str) -> &str {
    parse_at(text).map_or(text, |(_, rest)| rest)
}

/// `at TIME REST` → (TIME, REST), checked by the engine's parser.
fn parse_at(line: &str) -> Option<(Micros, &str)> {
    let rest = line.trim().strip_prefix("at ")?.trim_start();
    let (time, command) = rest.split_once(' ')?;
    let mut ctx = parser::Context::default();
    // Reuse the parser's duration rules: `at TIME say "x"` is always a valid line.
    let probe = format!("at {time} say \"\"");
    let step = parser::parse_line(&probe, &mut ctx).ok()??;
    Some((step.at?, command.trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A producer floods a room whose budget is small: once history fills the budget, the room
    /// holds a level total under it (the oldest checkpoints go a few records at a time, not an
    /// era at once), keeps its first and newest checkpoints and stays dense near now.
    #[test]
    fn under_a_flood_history_holds_the_room_level_under_its_budget() {
        let source = "brokers 3\n\
                      topic create o partitions=3 replication=3 min-insync=2\n\
                      producer add p topic=o rate=2000/s keys=k-1..k-100\n\
                      group add g topics=o consumers=2\n";
        let script = parser::parse("flood", source).unwrap();
        let mut cluster = Cluster::new(1);
        cluster.set_storage_limit(Some(200_000));
        for step in &script.steps {
            if let Action::Cluster(c) = &step.action {
                cluster.apply(c.clone()).unwrap();
            }
        }
        let budget = 24 << 20;
        let target = budget - budget / HEADROOM_PARTS;
        let mut history = History::default();
        let (mut totals, mut thinned_at) = (Vec::new(), None);
        for i in 0..=120u64 {
            cluster.advance_to(i * CHECKPOINT_US);
            cluster.drain_events();
            let checkpoint = Checkpoint {
                at_us: cluster.now(),
                cluster: cluster.clone(),
                player: Player::default(),
                ctx: parser::Context::default(),
                caption: None,
                focus: Vec::new(),
                pauses_done: 0,
                at_pause: false,
                journal_len: 0,
            };
            if history.record(checkpoint, &cluster, budget) && thinned_at.is_none() {
                thinned_at = Some(i);
            }
            let total = history.memory(&cluster);
            assert!(total <= target, "{total} bytes over the target {target}");
            totals.push(total);
        }
        let thinned_at = thinned_at.expect("the flood filled the budget") as usize;
        assert!(thinned_at < 80, "thinning began at checkpoint {thinned_at}");
        let settled = &totals[thinned_at + 5..];
        let (lo, hi) = (
            *settled.iter().min().unwrap(),
            *settled.iter().max().unwrap(),
        );
        // Level: held within 10% under the target it thins to. The total rises by one
        // checkpoint's cost (about 1.1 MB in this flood) and falls when the oldest goes, so
        // the floor is what is measured; the ceiling is the target, asserted above.
        assert!(
            lo as f64 >= 0.90 * target as f64 && hi <= target,
            "after thinning began the room held {lo}..{hi} bytes (target {target}): {settled:?}"
        );
        let at: Vec<Micros> = history.checkpoints.iter().map(|c| c.at_us).collect();
        assert_eq!(at[0], 0);
        assert_eq!(*at.last().unwrap(), cluster.now());
        // The last minute is kept at every checkpoint; what was dropped is the oldest.
        let recent = at
            .iter()
            .filter(|&&t| t + 60_000_000 > cluster.now())
            .count();
        assert_eq!(recent, 12, "{at:?}");
        assert!(at[1] > 0 && at.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn instants_are_exact() {
        assert_eq!(instant(0), "0s");
        assert_eq!(instant(12_000_000), "12s");
        assert_eq!(instant(12_345_678), "12.345678s");
        assert_eq!(instant(250_000), "0.25s");
    }

    #[test]
    fn an_export_interleaves_the_file_and_the_typed_lines_by_instant() {
        let source = "title \"t\"\nseed 4\nbrokers 3\ntopic create o partitions=1 replication=3\nwait 5s\nsay \"five\"\nexpect broker 1 == up\nat 20s broker kill 2\n";
        let script = parser::parse("f", source).unwrap();
        let entry = |at_us, line: &str, script_done| JournalEntry {
            at_us,
            line: line.into(),
            script_done,
        };
        let journal = vec![
            entry(2_500_000, "broker kill 1", 2),
            entry(3_000_000, "at 8s broker restart 1", 2),
            entry(4_000_000, "wait 2s", 2),
            // Typed at 5 s before the `say` due at 5 s ran (3 steps done: brokers, topic, wait).
            entry(5_000_000, "broker kill 3", 3),
        ];
        // The file ran up to its `say` (steps: brokers, topic, wait, say, expect).
        let text = export(&script, source, 5, &[], &journal, None, 9_000_000);
        assert_eq!(
            text,
            "title \"t (session)\"\nseed 4\n# Exported at 9s: `playground run` this file to replay the session exactly.\nbrokers 3\ntopic create o partitions=1 replication=3\nat 2.5s broker kill 1\nat 5s broker kill 3\nat 5s say \"five\"\nat 8s broker restart 1\nwait 1s\n"
        );
        assert!(parser::parse("export", &text).is_ok());
    }

    /// A real client's request that arrived at the very instant a step of the file ran, after
    /// it (the room runs the steps due at an instant before it handles a request), is written
    /// after that step, so that the replay applies them in the same order.
    #[test]
    fn a_line_at_the_instant_of_a_step_that_had_run_comes_after_it() {
        let source =
            "seed 1\nbrokers 3\ntopic create o partitions=1 replication=3\nat 2s broker kill 2\n";
        let script = parser::parse("f", source).unwrap();
        let journal = vec![JournalEntry {
            at_us: 2_000_000,
            line: "kafka-client 1 close".into(),
            script_done: 3,
        }];
        let text = export(&script, source, 3, &[], &journal, None, 2_000_000);
        let body: Vec<&str> = text.lines().skip(3).collect();
        assert_eq!(
            body,
            [
                "brokers 3",
                "topic create o partitions=1 replication=3",
                "at 2s broker kill 2",
                "at 2s kafka-client 1 close",
            ]
        );
    }
}
