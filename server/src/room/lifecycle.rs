//! A room's life: how it starts (a scenario, a saved room, a fork), how it is saved, how it
//! survives a bug (a panic restores the last checkpoint), and how it leaves memory when nobody
//! has watched it for a while.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use engine::Cluster;
use engine::scenario::parser;
use tokio::sync::broadcast;

use super::history::{self, History, JournalEntry};
use super::player::Player;
use super::{Clock, Frame, Room, Scenario};
use crate::access::Owner;
use crate::frame::FrameBuilder;
use crate::saved::{DataDir, FORMAT, SavedLine, SavedRoom};
use crate::wire::{self, LogEntry};

/// What one room may hold in memory: its cluster and its rewind points together. Half goes to
/// the live cluster (see [`Room::limit_storage`]), the rest to history, which thins out to fit.
pub const ROOM_MEMORY_BUDGET: usize = 256 << 20;
/// Memory per byte of a record's size in one replica's log, measured with the soak benchmark
/// (`playground bench --soak`): about 4.6 with the shared record, one entry per replica and the
/// clients' buffers, plus what is appended between two storage checks (every 10 simulated
/// seconds: `STORAGE_LIMIT_CHECK_US` in the engine) and a segment (1/8 of the limit).
const MEMORY_PER_LOG_BYTE: u64 = 8;

/// While the simulated clock moves, a room is saved at most this often (a typed line is saved
/// at once).
pub const SAVE_INTERVAL: Duration = Duration::from_secs(5);

/// When a room nobody watches pauses, and when it leaves memory (saved, to come back when
/// someone opens it). `None`: never.
#[derive(Debug, Clone, Copy)]
pub struct Idle {
    pub pause_after: Option<Duration>,
    pub drop_after: Option<Duration>,
}

impl Default for Idle {
    fn default() -> Self {
        Idle {
            pause_after: Some(Duration::from_secs(120)),
            drop_after: None,
        }
    }
}

/// Called when a room leaves memory, with its name and its serial number (so the registry
/// removes this room and not a newer one of the same name).
pub type Retire = Arc<dyn Fn(&str, u64) + Send + Sync>;

/// What every room of one server shares.
#[derive(Clone, Default)]
pub struct RoomEnv {
    /// Where rooms are saved; `None`: nothing is saved.
    pub data: Option<DataDir>,
    pub idle: Idle,
    /// Sandboxes alive on this server (the presenter sees the number).
    pub sandboxes: Arc<AtomicUsize>,
    pub retire: Option<Retire>,
}

/// How a room starts.
pub enum Start {
    /// A scenario from its beginning.
    Scenario(Scenario),
    /// A room saved on disk: its scenario (already parsed) with the journal replayed.
    Saved(Scenario, SavedRoom),
    /// A sandbox forked from a running room.
    Fork(Box<Seed>),
}

impl Start {
    pub fn forked_from(&self) -> Option<String> {
        match self {
            Start::Scenario(_) => None,
            Start::Saved(_, saved) => saved.forked_from.clone(),
            Start::Fork(seed) => Some(seed.parent.clone()),
        }
    }
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Seed of room '{}'", self.parent)
    }
}

/// A running room's state, copied: a fork starts from it exactly (the cluster, the scenario's
/// progress, the timeline and its journal).
pub struct Seed {
    pub parent: String,
    scenario: Scenario,
    cluster: Cluster,
    ctx: parser::Context,
    clock: Clock,
    player: Player,
    caption: Option<String>,
    focus: Vec<String>,
    log: VecDeque<LogEntry>,
    history: History,
    markers: super::Markers,
    pauses: (usize, usize, bool),
}

impl Room {
    pub(super) fn from_start(
        name: &str,
        owner: Owner,
        start: Start,
        env: RoomEnv,
        frames: broadcast::Sender<Frame>,
    ) -> Room {
        static SERIAL: AtomicU64 = AtomicU64::new(1);
        let scenario = match &start {
            Start::Scenario(s) | Start::Saved(s, _) => s.clone(),
            Start::Fork(seed) => seed.scenario.clone(),
        };
        let mut room = Room::blank(name, scenario.clone(), frames);
        room.owner = owner;
        room.serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        room.forked_from = start.forked_from();
        if owner == Owner::Open {
            env.sandboxes.fetch_add(1, Ordering::Relaxed);
        }
        room.env = env;
        match start {
            Start::Scenario(scenario) => room.load(scenario),
            Start::Saved(scenario, saved) => room.restore(scenario, saved),
            Start::Fork(seed) => room.plant(*seed),
        }
        room
    }

    /// Back to a saved room: its scenario from the start, then its journal typed again at its
    /// instants up to the saved instant (the engine is deterministic: the same state).
    fn restore(&mut self, scenario: Scenario, saved: SavedRoom) {
        self.load(scenario);
        self.history.journal = saved
            .journal
            .into_iter()
            .map(|l| JournalEntry {
                at_us: l.at_us,
                line: l.line,
                script_done: l.script_done,
            })
            .collect();
        self.history.recount();
        self.history.horizon_us = saved.horizon_us.max(saved.now_us);
        let restored = catch_unwind(AssertUnwindSafe(|| self.travel(saved.now_us)));
        match restored {
            Ok(Ok(())) => {
                self.clock.playing = saved.playing;
                let _ = self.clock.set_speed(saved.speed);
                self.note(
                    "info",
                    "console",
                    format!(
                        "restored from disk at {}",
                        history::instant(self.cluster.now())
                    ),
                );
            }
            _ => {
                let scenario = self.scenario.clone();
                self.load(scenario);
                self.note(
                    "alert",
                    "console",
                    "the saved session could not be replayed; the scenario starts afresh"
                        .to_string(),
                );
            }
        }
        self.dirty = false;
        self.saved_now = self.cluster.now();
        self.broadcast_snapshot();
    }

    /// A fork: this room becomes an exact copy of the seed's.
    fn plant(&mut self, seed: Seed) {
        self.scenario = seed.scenario;
        self.cluster = seed.cluster;
        self.ctx = seed.ctx;
        self.clock = seed.clock;
        self.player = seed.player;
        self.caption = seed.caption;
        self.caption_changed = true;
        self.focus = seed.focus;
        self.focus_changed = true;
        self.log = seed.log;
        self.history = seed.history;
        self.markers = seed.markers;
        (self.pauses_total, self.pauses_done, self.at_pause) = seed.pauses;
        self.frame = FrameBuilder::default();
        self.note(
            "info",
            "console",
            format!(
                "your sandbox, forked from '{}' at {}: play with it freely",
                seed.parent,
                history::instant(self.cluster.now())
            ),
        );
        self.dirty = true;
        self.broadcast_snapshot();
    }

    pub(super) fn seed(&self) -> Seed {
        Seed {
            parent: self.name.clone(),
            scenario: self.scenario.clone(),
            cluster: self.cluster.clone(),
            ctx: self.ctx.clone(),
            clock: self.clock.clone(),
            player: self.player.clone(),
            caption: self.caption.clone(),
            focus: self.focus.clone(),
            log: self.log.clone(),
            history: self.history.clone(),
            markers: self.markers.clone(),
            pauses: (self.pauses_total, self.pauses_done, self.at_pause),
        }
    }

    fn saved(&self, dormant: bool) -> SavedRoom {
        SavedRoom {
            format: FORMAT,
            name: self.name.clone(),
            owner: self.owner,
            forked_from: self.forked_from.clone(),
            scenario_id: self.scenario.id.clone(),
            scenario_source: self.scenario.source.to_string(),
            journal: self
                .history
                .journal
                .iter()
                .map(|e| SavedLine {
                    at_us: e.at_us,
                    line: e.line.clone(),
                    script_done: e.script_done,
                })
                .collect(),
            now_us: self.cluster.now(),
            horizon_us: self.history.horizon_us.max(self.cluster.now()),
            playing: self.clock.playing,
            speed: self.clock.speed,
            dormant,
        }
    }

    /// Writes the room to the data directory (if there is one). A failed write is logged and
    /// tried again at the next change; the room goes on.
    pub(super) fn save(&mut self, dormant: bool) {
        self.dirty = false;
        let Some(data) = &self.env.data else { return };
        let saved = self.saved(dormant);
        match data.save(&saved) {
            Ok(()) => self.saved_now = saved.now_us,
            Err(e) => {
                tracing::warn!(room = %self.name, "cannot save the room in {}: {e}", data.path().display());
            }
        }
    }

    /// Nobody has watched for `idle`: pause (once), and past the drop limit save the room as
    /// dormant and say so (`true`: the room should stop).
    pub(super) fn idle(&mut self, idle: Duration) -> bool {
        let limits = self.env.idle;
        if limits.pause_after.is_some_and(|p| idle >= p) && self.clock.playing {
            self.clock.playing = false;
            self.note(
                "info",
                "console",
                "paused: nobody has watched this room for a while".to_string(),
            );
        }
        if limits.drop_after.is_some_and(|d| idle >= d) {
            self.save(true);
            return true;
        }
        false
    }

    /// The room leaves memory: the registry forgets it.
    pub(super) fn retire(&mut self) {
        if self.owner == Owner::Open {
            self.env.sandboxes.fetch_sub(1, Ordering::Relaxed);
        }
        if let Some(retire) = &self.env.retire {
            retire(&self.name, self.serial);
        }
    }

    /// Caps what each replica keeps so the live cluster fits half the room's budget: a
    /// playground limit applied by the retention task as `retention.bytes` of that size would
    /// be (whole oldest segments deleted, narrated as the room's limit). Lessons never reach it;
    /// a producer at thousands of records per second for hours does.
    pub(super) fn limit_storage(&mut self) {
        let partitions: u64 = self
            .cluster
            .topic_names()
            .iter()
            .filter_map(|t| self.cluster.topic_partitions(t))
            .map(u64::from)
            .sum();
        let limit = (partitions > 0)
            .then(|| (self.memory_budget as u64 / 2) / (partitions * MEMORY_PER_LOG_BYTE));
        if self.cluster.storage_limit() != limit {
            self.cluster.set_storage_limit(limit);
        }
    }

    pub(super) fn audience(&self) -> wire::Audience {
        let clients = self.kafka_clients.programs(wire::AUDIENCE_CLIENT_IDS);
        wire::Audience {
            viewers: self.frames.receiver_count(),
            following: self.followers.load(Ordering::Relaxed),
            sandboxes: self.env.sandboxes.load(Ordering::Relaxed),
            kafka_clients: clients.programs,
            kafka_connections: clients.connections,
            kafka_client_ids: clients.names,
        }
    }

    /// Runs `work`; if it panics (a bug), the room goes back to its last checkpoint, paused,
    /// tells its viewers, and stays usable.
    pub(super) fn guarded(&mut self, work: impl FnOnce(&mut Room)) {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| work(self))) {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown".to_string());
            tracing::error!(room = %self.name, "the simulation failed: {what}");
            self.recover(&what);
        }
    }

    fn recover(&mut self, what: &str) {
        let failed_at = self.cluster.now();
        let restored = self.history.checkpoints.last().cloned().and_then(|c| {
            let at = c.at_us;
            catch_unwind(AssertUnwindSafe(|| {
                self.restore_checkpoint(c);
                // What was typed after the checkpoint is no longer in effect.
                self.history.fork(at);
                self.markers.fork(at);
            }))
            .ok()
            .map(|()| at)
        });
        if restored.is_none() {
            let scenario = self.scenario.clone();
            if catch_unwind(AssertUnwindSafe(|| self.load(scenario))).is_err() {
                // Even the scenario's setup fails: an empty room is still a usable one.
                let empty = Scenario::parse(&self.scenario.id, "")
                    .expect("an empty scenario always parses");
                self.load(empty);
            }
        }
        self.clock.playing = false;
        self.frame = FrameBuilder::default();
        let back_to = restored.map_or("the start".to_string(), history::instant);
        self.note(
            "alert",
            "console",
            format!(
                "the simulation hit an internal error at {} ({what}); the room went back to {back_to} and paused. Please report this.",
                history::instant(failed_at)
            ),
        );
        self.dirty = true;
        self.snapshot_cache = None;
        self.broadcast_snapshot();
    }
}
