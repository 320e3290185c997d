//! A room: one task owns one simulated cluster, its clock and its scenario player.
//!
//! Viewers never touch the cluster. They send [`Request`]s on a bounded channel and receive
//! frames on a `broadcast` channel of pre-serialised bytes, so a hundred viewers cost one
//! serialisation per frame. A viewer that falls behind the broadcast asks for a snapshot; it
//! never slows the room or the other viewers.
//!
//! This file holds the `Room` type (its state), its constructor and `load`. The rest of a
//! room, one concern a file:
//!
//! - `handle.rs`: [`RoomHandle`], how viewers and Kafka listeners reach a room, and the thread
//!   a room runs on;
//! - `requests.rs`: the room's loop and its answers to requests (who may ask what);
//! - `console.rs`: console lines, checked completely before anything changes, and the log;
//! - `advance.rs`: moving simulated time: the player's due steps, `wait until` holds;
//! - `frames.rs`: frames and snapshots for viewers;
//! - `travel.rs`: checkpoints, seeking, Previous (the room's side of `history.rs`);
//! - `lifecycle.rs`, `clock.rs`, `real_time.rs`, `player.rs`, `history.rs`, `markers.rs`,
//!   `lessons.rs`, `kafka*.rs`: starting and saving, the clock, real clients' time, the script
//!   player, time travel's store, timeline markers, bundled lessons, real Kafka clients.

mod advance;
mod clock;
mod console;
mod frames;
mod handle;
mod history;
mod kafka;
mod kafka_group;
// The listener's admin APIs (CreateTopics, DescribeConfigs, OffsetForLeaderEpoch).
mod kafka_admin;
pub mod lessons;
mod lifecycle;
mod markers;
mod player;
mod real_time;
mod requests;
#[cfg(test)]
mod tests;
mod travel;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use bytes::Bytes;
use engine::Cluster;
use engine::scenario::{Script, parser};
use engine::time::Micros;
use tokio::sync::{broadcast, oneshot};

pub use clock::{Clock, MAX_SPEED, MIN_SPEED, STEP_US};
pub use handle::{RoomBusy, RoomHandle};
use history::History;
pub use lifecycle::{Idle, ROOM_MEMORY_BUDGET, RoomEnv, Seed, Start};
use markers::Markers;
use player::Player;

use crate::access::{Owner, Role};
use crate::frame::FrameBuilder;
use crate::wire::{self, ClientBody, LogEntry};

/// Wall time between two frames while playing.
pub const FRAME_INTERVAL: Duration = Duration::from_millis(100);
/// Requests waiting for the room; beyond this a viewer is told the room is busy.
pub const REQUEST_QUEUE: usize = 256;
/// Frames kept for slow viewers; one that falls further behind gets a snapshot instead.
pub const FRAME_BACKLOG: usize = 64;
/// Log lines a new viewer receives with its snapshot.
pub const SNAPSHOT_LOG: usize = 100;
/// Log lines the room remembers.
const ROOM_LOG: usize = 400;

/// One serialised message on the broadcast channel.
#[derive(Debug, Clone)]
pub struct Frame {
    pub seq: u64,
    pub bytes: Bytes,
}

/// What a viewer asks of the room.
#[derive(Debug)]
pub enum Request {
    /// A client message from a viewer in `role`; the serialised reply goes back on `reply`.
    Client {
        id: Option<u64>,
        body: ClientBody,
        role: Role,
        reply: oneshot::Sender<Bytes>,
    },
    /// The whole state now, as a `snapshot` message.
    Snapshot { reply: oneshot::Sender<Frame> },
    /// Everything a sandbox needs to start exactly where this room is now.
    Fork { reply: oneshot::Sender<Box<Seed>> },
    /// What the room holds, and its clock (for the soak benchmark, which must not build a
    /// snapshot to read the clock: that would be the benchmark's own memory).
    Memory {
        reply: oneshot::Sender<MemoryReport>,
    },
    /// A Kafka listener's question (`crate::kafka`): the brokers, or a Metadata request's
    /// topics (created first when Kafka's auto-creation says so).
    Kafka {
        ask: crate::kafka::view::KafkaAsk,
        reply: oneshot::Sender<crate::kafka::view::ClusterView>,
    },
    /// A real client's Produce request (`crate::kafka::produce`), answered when the engine has
    /// answered it (at once for acks=0, with nothing).
    KafkaProduce {
        client_name: String,
        produce: engine::client::external::ExternalProduce,
        reply: oneshot::Sender<Vec<engine::client::external::ExternalPartResult>>,
    },
    /// A real client's Fetch request (`crate::kafka::fetch`), answered when the engine has
    /// answered it (records, or the long poll's deadline), with the time anchor of the answer.
    KafkaFetch {
        client_name: String,
        fetch: engine::client::external_fetch::ExternalFetch,
        reply: oneshot::Sender<crate::kafka::view::FetchAnswer>,
    },
    /// A ListOffsets request (`crate::kafka::list_offsets`), answered from the cluster now;
    /// `None` when the broker is down.
    KafkaListOffsets {
        broker: u32,
        reader: engine::list_offsets::OffsetsReader,
        queries: Vec<engine::list_offsets::OffsetsQuery>,
        reply: oneshot::Sender<Option<crate::kafka::view::ListOffsetsAnswer>>,
    },
    /// An InitProducerId request (`crate::kafka::init_producer_id`): a new producer id from the
    /// cluster's `broker`; `None` when the broker is down.
    KafkaInitProducerId {
        broker: u32,
        reply: oneshot::Sender<Option<i64>>,
    },
    /// A real client's connection closed.
    KafkaClosed { client: u32 },
    /// A real client's consumer-group request (`crate::kafka::group`).
    KafkaGroup {
        ask: crate::kafka::group::GroupAsk,
        reply: oneshot::Sender<crate::kafka::group::GroupReply>,
    },
    /// A real client's admin request (`crate::kafka::admin`), answered at once.
    KafkaAdmin {
        ask: crate::kafka::admin::AdminAsk,
        reply: oneshot::Sender<crate::kafka::admin::AdminReply>,
    },
}

/// The engine's estimate of what a room holds, shared record chunks counted once.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemoryReport {
    /// The room's simulated clock.
    pub now_us: u64,
    /// Bytes of the live cluster.
    pub live: usize,
    /// Bytes of the live cluster and every rewind point.
    pub with_history: usize,
    /// Rewind points kept.
    pub points: usize,
}

/// A scenario a room plays: a bundled lesson, the demo, or a text from the editor.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The lesson id or the file name.
    pub id: String,
    /// Shared, like the parsed script: rooms, checkpoints and forks never copy a file.
    pub source: Arc<str>,
    pub script: Arc<Script>,
}

impl Scenario {
    /// Parses a scenario text; errors are every problem, in line order.
    pub fn parse(id: &str, source: &str) -> Result<Scenario, Vec<engine::scenario::Diagnostic>> {
        Ok(Scenario {
            id: id.to_string(),
            source: Arc::from(source),
            script: Arc::new(parser::parse(id, source)?),
        })
    }
}

struct Room {
    name: String,
    scenario: Scenario,
    /// Presenter progress through the scenario's `pause` lines.
    pauses_total: usize,
    pauses_done: usize,
    at_pause: bool,
    cluster: Cluster,
    /// What the steps run so far declared: console lines are checked against it.
    ctx: parser::Context,
    clock: Clock,
    player: Player,
    frame: FrameBuilder,
    /// The state the last frame (or snapshot) showed; frames carry the difference.
    shown: wire::State,
    /// Each Streams processor's expressions, printed once per application.
    streams_exprs: crate::streams_graph::ExpressionCache,
    shown_clock: (Micros, bool, u64),
    /// The newest metrics sample the last frame (or snapshot) carried (0: none).
    shown_metrics_us: Micros,
    seq: u64,
    caption: Option<String>,
    caption_changed: bool,
    /// What the scenario's last `focus` line put on screen (wire form, empty: everything).
    focus: Vec<String>,
    focus_changed: bool,
    log: VecDeque<LogEntry>,
    history: History,
    /// Replaying the journal after a rewind: lines run again without being journaled again.
    replaying: bool,
    lesson: wire::Lesson,
    snapshot_cache: Option<Frame>,
    frames: broadcast::Sender<Frame>,
    /// Whose requests may change this room.
    owner: Owner,
    forked_from: Option<String>,
    env: RoomEnv,
    /// Something worth saving changed since the room was last saved.
    dirty: bool,
    /// The simulated instant of the last save.
    saved_now: Micros,
    /// The audience the last frame showed.
    shown_audience: wire::Audience,
    serial: u64,
    followers: Arc<AtomicUsize>,
    /// Kafka client connections open to the room's brokers and their `client.id`s.
    kafka_clients: Arc<crate::kafka::clients::KafkaClients>,
    /// Wall time the room has been paused with a Kafka client connected.
    paused_with_clients: Duration,
    /// The room has said once that it thinned its history for memory.
    history_thinned: bool,
    /// The bytes the room keeps to (`lifecycle::ROOM_MEMORY_BUDGET`; smaller in tests).
    memory_budget: usize,
    /// Real clients' Produce requests waiting for the engine's answer, by (client, token).
    kafka_waiting: kafka::Waiting,
    /// Where Kafka clients bootstrap, `host:port`, once the listeners said (`None` for a room
    /// without listeners): the `{bootstrap}` of a lesson's narration.
    kafka_bootstrap: Option<String>,
    /// Real clients' Fetch requests waiting for the engine's answer, by (client, token).
    kafka_fetching: kafka::Fetching,
    /// Real clients' group requests waiting for the engine's answer, by (client, token).
    kafka_group_waiting: kafka_group::GroupWaiting,
    /// The listener connections this room registered in its cluster and that are still open
    /// (any other registered real client is one of a replayed journal or a loaded file).
    kafka_live: std::collections::BTreeSet<u32>,
    /// Moments of this timeline worth seeking to.
    markers: Markers,
}

impl Room {
    #[cfg(test)]
    fn new(name: &str, scenario: Scenario, frames: broadcast::Sender<Frame>) -> Room {
        Room::from_start(
            name,
            Owner::Presenter,
            Start::Scenario(scenario),
            RoomEnv::default(),
            frames,
        )
    }

    /// A room with every field at a placeholder; [`Room::from_start`] fills it.
    fn blank(name: &str, scenario: Scenario, frames: broadcast::Sender<Frame>) -> Room {
        Room {
            name: name.to_string(),
            pauses_total: 0,
            pauses_done: 0,
            at_pause: false,
            scenario: scenario.clone(),
            cluster: Cluster::new(0),
            ctx: parser::Context::default(),
            clock: Clock::default(),
            player: Player::default(),
            frame: FrameBuilder::default(),
            shown: wire::State::default(),
            streams_exprs: Default::default(),
            shown_clock: (0, true, 0),
            shown_metrics_us: 0,
            seq: 0,
            caption: None,
            caption_changed: false,
            focus: Vec::new(),
            focus_changed: false,
            log: VecDeque::new(),
            history: History::default(),
            replaying: false,
            lesson: wire::Lesson::default(),
            snapshot_cache: None,
            frames,
            owner: Owner::Presenter,
            forked_from: None,
            env: RoomEnv::default(),
            dirty: false,
            saved_now: 0,
            shown_audience: wire::Audience::default(),
            serial: 0,
            followers: Arc::default(),
            kafka_clients: Arc::default(),
            paused_with_clients: Duration::ZERO,
            history_thinned: false,
            memory_budget: lifecycle::ROOM_MEMORY_BUDGET,
            kafka_waiting: kafka::Waiting::default(),
            kafka_bootstrap: None,
            kafka_fetching: kafka::Fetching::default(),
            kafka_group_waiting: kafka_group::GroupWaiting::default(),
            kafka_live: Default::default(),
            markers: Markers::default(),
        }
    }

    /// Starts over with `scenario`: a fresh cluster, its setup run at time 0, every viewer sent
    /// a snapshot.
    fn load(&mut self, scenario: Scenario) {
        self.cluster = Cluster::new(scenario.script.seed.unwrap_or(0));
        // A new cluster: connections register again at their next request.
        self.kafka_live.clear();
        self.ctx = parser::Context::default();
        self.player = Player::default();
        self.player.load(scenario.script.clone());
        self.pauses_total = lessons::pauses(&scenario.script.steps);
        self.pauses_done = 0;
        self.at_pause = false;
        self.caption = None;
        self.caption_changed = true;
        self.focus.clear();
        self.focus_changed = true;
        self.log.clear();
        self.frame = FrameBuilder::default();
        self.history = History::default();
        self.markers = Markers::default();
        self.history_thinned = false;
        self.clock.playing = true;
        self.scenario = scenario;
        self.dirty = true;
        // The setup at time 0 (brokers, topics, …) is there before anyone looks.
        self.advance_to(0);
        self.broadcast_snapshot();
    }
}
