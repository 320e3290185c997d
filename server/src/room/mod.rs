//! A room: one task owns one simulated cluster, its clock and its scenario player.
//!
//! Viewers never touch the cluster. They send [`Request`]s on a bounded channel and receive
//! frames on a `broadcast` channel of pre-serialised bytes, so a hundred viewers cost one
//! serialisation per frame. A viewer that falls behind the broadcast asks for a snapshot; it
//! never slows the room or the other viewers.

mod clock;
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

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use bytes::Bytes;
use engine::Cluster;
use engine::command::TopicPartition;
use engine::scenario::{Action, Script, Step, expect, parser};
use engine::time::Micros;
use tokio::sync::{broadcast, mpsc, oneshot};

pub use clock::{Clock, MAX_SPEED, MIN_SPEED, STEP_US};
use history::{Checkpoint, History};
pub use lifecycle::{Idle, ROOM_MEMORY_BUDGET, RoomEnv, Seed, Start};
use markers::Markers;
use player::{Due, Hold, Player};

use crate::access::{Owner, Role};
use crate::frame::FrameBuilder;
use crate::state;
use crate::wire::{self, ClientBody, LogEntry, Reply, WireError};

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

/// Runs a room's loop. In the server (a multi-thread runtime) each room simulates on a thread
/// of its own, with a single-threaded runtime for its timers: a room at 20× keeps a core busy
/// in bursts, which on the shared workers would delay every socket, and a room that stays on
/// one thread frees its checkpoints on the thread that allocated them, so the allocator gives
/// pages back at once instead of when another thread next allocates. In a single-threaded
/// runtime (tests with Tokio's paused clock) the room is a task of that runtime, so it follows
/// that clock.
fn run_on_own_thread(room: Room, inbox: mpsc::Receiver<Request>) {
    use tokio::runtime::{Builder, Handle, RuntimeFlavor};
    let shared =
        Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::CurrentThread);
    if shared {
        tokio::spawn(room.run(inbox));
        return;
    }
    let name = format!("room-{}", room.serial);
    let spawned = std::thread::Builder::new().name(name).spawn(move || {
        match Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime.block_on(room.run(inbox)),
            Err(e) => eprintln!("playground: a room cannot start its runtime: {e}"),
        }
    });
    if let Err(e) = spawned {
        eprintln!("playground: a room cannot start its thread: {e}");
    }
}

/// The room is not taking requests (its queue is full or it stopped).
#[derive(Debug, thiserror::Error)]
#[error("the room is busy, try again")]
pub struct RoomBusy;

/// How viewers reach a room. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RoomHandle {
    pub name: String,
    pub owner: Owner,
    /// A sandbox's parent room.
    pub forked_from: Option<String>,
    /// Unique among every room this process started.
    pub serial: u64,
    /// Viewers connected without control (following the presenter).
    pub followers: Arc<AtomicUsize>,
    /// Kafka client connections open to the room's brokers (`crate::kafka`): while any is,
    /// the room keeps to the wall clock (`real_time.rs`).
    pub kafka_clients: Arc<AtomicUsize>,
    requests: mpsc::Sender<Request>,
    frames: broadcast::Sender<Frame>,
}

impl RoomHandle {
    /// Starts a room playing `scenario` (its steps run in simulated time as the clock plays),
    /// on its own: nothing saved, never dropped.
    pub fn spawn(name: &str, scenario: Scenario) -> RoomHandle {
        Self::start(
            name,
            Owner::Presenter,
            Start::Scenario(scenario),
            RoomEnv::default(),
        )
    }

    /// Starts a room from a scenario, a saved room or a fork's seed.
    pub fn start(name: &str, owner: Owner, start: Start, env: RoomEnv) -> RoomHandle {
        let (requests, inbox) = mpsc::channel(REQUEST_QUEUE);
        let (frames, _) = broadcast::channel(FRAME_BACKLOG);
        let forked_from = start.forked_from();
        let room = Room::from_start(name, owner, start, env, frames.clone());
        let handle = RoomHandle {
            name: name.to_string(),
            owner,
            forked_from,
            serial: room.serial,
            followers: room.followers.clone(),
            kafka_clients: room.kafka_clients.clone(),
            requests,
            frames,
        };
        run_on_own_thread(room, inbox);
        handle
    }

    /// Sends the request `make` builds around its reply channel, and waits for the answer;
    /// a full queue or a room gone is `RoomBusy`.
    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Request,
    ) -> Result<T, RoomBusy> {
        let (reply, answer) = oneshot::channel();
        self.requests.try_send(make(reply)).map_err(|_| RoomBusy)?;
        answer.await.map_err(|_| RoomBusy)
    }

    /// Viewers subscribed to this room's frames now.
    pub fn viewers(&self) -> usize {
        self.frames.receiver_count()
    }

    /// What the room holds now, and its clock.
    pub async fn memory(&self) -> Result<MemoryReport, RoomBusy> {
        self.ask(|reply| Request::Memory { reply }).await
    }

    pub async fn fork(&self) -> Result<Box<Seed>, RoomBusy> {
        self.ask(|reply| Request::Fork { reply }).await
    }

    /// Gives a real client's Produce to the room; the answer comes when the engine's does.
    pub async fn kafka_produce(
        &self,
        client_name: String,
        produce: engine::client::external::ExternalProduce,
    ) -> Result<Vec<engine::client::external::ExternalPartResult>, RoomBusy> {
        self.ask(|reply| Request::KafkaProduce {
            client_name,
            produce,
            reply,
        })
        .await
    }

    /// Gives a real client's Fetch to the room; the answer comes when the engine's does.
    pub async fn kafka_fetch(
        &self,
        client_name: String,
        fetch: engine::client::external_fetch::ExternalFetch,
    ) -> Result<crate::kafka::view::FetchAnswer, RoomBusy> {
        self.ask(|reply| Request::KafkaFetch {
            client_name,
            fetch,
            reply,
        })
        .await
    }

    /// A ListOffsets request answered from the room's cluster now (`None`: the broker is down).
    pub async fn kafka_list_offsets(
        &self,
        broker: u32,
        reader: engine::list_offsets::OffsetsReader,
        queries: Vec<engine::list_offsets::OffsetsQuery>,
    ) -> Result<Option<crate::kafka::view::ListOffsetsAnswer>, RoomBusy> {
        self.ask(|reply| Request::KafkaListOffsets {
            broker,
            reader,
            queries,
            reply,
        })
        .await
    }

    /// A new producer id from the room's cluster (`None`: the broker is down).
    pub async fn kafka_init_producer_id(&self, broker: u32) -> Result<Option<i64>, RoomBusy> {
        self.ask(|reply| Request::KafkaInitProducerId { broker, reply })
            .await
    }

    /// Gives a real client's group request to the room; the answer comes when the engine's
    /// does.
    pub async fn kafka_group(
        &self,
        ask: crate::kafka::group::GroupAsk,
    ) -> Result<crate::kafka::group::GroupReply, RoomBusy> {
        self.ask(|reply| Request::KafkaGroup { ask, reply }).await
    }

    /// A real client's admin request (`crate::kafka::admin`).
    pub async fn kafka_admin(
        &self,
        ask: crate::kafka::admin::AdminAsk,
    ) -> Result<crate::kafka::admin::AdminReply, RoomBusy> {
        self.ask(|reply| Request::KafkaAdmin { ask, reply }).await
    }

    /// A real client's connection closed. The close must reach the room even when its queue is
    /// full (else the client's producer entries would stay on the page), so it waits for room
    /// in the queue on a task of its own: at most one such task per closed connection, and the
    /// listener bounds the connections.
    pub fn kafka_closed(&self, client: u32) {
        let close = Request::KafkaClosed { client };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let requests = self.requests.clone();
                runtime.spawn(async move {
                    let _ = requests.send(close).await;
                });
            }
            // Outside a runtime (the server shutting down), nobody will see the room again.
            Err(_) => {
                let _ = self.requests.try_send(close);
            }
        }
    }

    pub async fn kafka(
        &self,
        ask: crate::kafka::view::KafkaAsk,
    ) -> Result<crate::kafka::view::ClusterView, RoomBusy> {
        self.ask(|reply| Request::Kafka { ask, reply }).await
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Frame> {
        self.frames.subscribe()
    }

    pub async fn snapshot(&self) -> Result<Frame, RoomBusy> {
        self.ask(|reply| Request::Snapshot { reply }).await
    }

    pub async fn request(
        &self,
        id: Option<u64>,
        body: ClientBody,
        role: Role,
    ) -> Result<Bytes, RoomBusy> {
        self.ask(|reply| Request::Client {
            id,
            body,
            role,
            reply,
        })
        .await
    }
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

fn diagnostics(errors: Vec<engine::scenario::Diagnostic>) -> Vec<wire::Diagnostic> {
    errors
        .into_iter()
        .map(|d| wire::Diagnostic {
            line: d.pos.line,
            col: d.pos.col,
            message: d.message,
            hint: d.hint,
        })
        .collect()
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
    kafka_clients: Arc<AtomicUsize>,
    /// Wall time the room has been paused with a Kafka client connected.
    paused_with_clients: Duration,
    /// The room has said once that it thinned its history for memory.
    history_thinned: bool,
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

    fn checkpoint(&self) -> Checkpoint {
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
    fn restore_checkpoint(&mut self, c: Checkpoint) {
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

    /// Time travel: back (or forward, up to the horizon) to `t`, paused there. The last
    /// checkpoint before `t` is restored and the journal's lines after it are typed again at
    /// their instants, so the state at `t` is exactly what it was (determinism).
    fn seek(&mut self, t: Micros) -> Result<(), WireError> {
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
    fn travel(&mut self, t: Micros) -> Result<(), WireError> {
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
        let journal_len = c.journal_len;
        let releases = self.player.pause_releases();
        self.restore_checkpoint(c);
        self.player.expect_releases(releases);
        for e in &self.history.journal[journal_len..] {
            self.player.replay(e.at_us, e.line.clone(), e.script_done);
        }
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
    fn previous(&mut self) -> Result<(), WireError> {
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
        let journal_len = c.journal_len;
        let releases = self.player.pause_releases();
        self.restore_checkpoint(c);
        self.player.expect_releases(releases);
        for e in &self.history.journal[journal_len..] {
            self.player.replay(e.at_us, e.line.clone(), e.script_done);
        }
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

    async fn run(mut self, mut inbox: mpsc::Receiver<Request>) {
        let mut ticks = tokio::time::interval(FRAME_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = tokio::time::Instant::now();
        let mut last_save = last;
        let mut idle_since: Option<tokio::time::Instant> = None;
        loop {
            let wake = self.early_wake(last, last + FRAME_INTERVAL);
            tokio::select! {
                // Real clients are waiting on the engine's next timer (`real_time.rs`): bring
                // simulated time up to now and answer them; the frame waits for its tick.
                _ = tokio::time::sleep_until(wake.unwrap_or(last)), if wake.is_some() => {
                    let now = tokio::time::Instant::now();
                    let wall = now - last;
                    last = now;
                    self.guarded(|room| {
                        let elapsed = room.clock.elapsed(wall);
                        if elapsed > 0 {
                            room.advance_to(room.cluster.now() + elapsed);
                        }
                        room.answer_clients();
                    });
                }
                _ = ticks.tick() => {
                    let now = tokio::time::Instant::now();
                    let wall = now - last;
                    last = now;
                    self.guarded(|room| {
                        room.keep_real_time(wall);
                        let elapsed = room.clock.elapsed(wall);
                        if elapsed > 0 {
                            room.advance_to(room.cluster.now() + elapsed);
                        }
                        room.flush();
                    });
                    // Nobody watching: pause, and later leave memory (saved, to come back).
                    // A connected Kafka client is someone using the room.
                    if self.frames.receiver_count() == 0 && self.kafka_clients() == 0 {
                        let since = *idle_since.get_or_insert(now);
                        if self.idle(now - since) {
                            break;
                        }
                    } else {
                        idle_since = None;
                    }
                    if now - last_save >= lifecycle::SAVE_INTERVAL {
                        last_save = now;
                        if self.saved_now != self.cluster.now() {
                            self.dirty = true;
                        }
                    }
                }
                request = inbox.recv() => {
                    let Some(request) = request else { break };
                    self.guarded(|room| {
                        room.handle(request);
                        room.flush();
                    });
                }
            }
            if self.dirty {
                self.save(false);
            }
        }
        self.retire();
        tracing::info!(room = %self.name, "room stopped");
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::Snapshot { reply } => {
                let _ = reply.send(self.snapshot());
            }
            Request::Fork { reply } => {
                let _ = reply.send(Box::new(self.seed()));
            }
            Request::Kafka { ask, reply } => {
                let _ = reply.send(self.kafka(ask));
            }
            Request::KafkaProduce {
                client_name,
                produce,
                reply,
            } => self.kafka_produce(client_name, produce, reply),
            Request::KafkaFetch {
                client_name,
                fetch,
                reply,
            } => self.kafka_fetch(client_name, fetch, reply),
            Request::KafkaListOffsets {
                broker,
                reader,
                queries,
                reply,
            } => {
                let _ = reply.send(self.kafka_list_offsets(broker, reader, &queries));
            }
            Request::KafkaInitProducerId { broker, reply } => {
                let _ = reply.send(self.kafka_init_producer_id(broker));
            }
            Request::KafkaClosed { client } => self.kafka_closed(client),
            Request::KafkaGroup { ask, reply } => self.kafka_group(ask, reply),
            Request::KafkaAdmin { ask, reply } => {
                let _ = reply.send(self.kafka_admin(ask));
            }
            Request::Memory { reply } => {
                let _ = reply.send(MemoryReport {
                    now_us: self.cluster.now(),
                    live: self.cluster.memory(),
                    with_history: self.history.memory(&self.cluster),
                    points: self.history.checkpoints.len(),
                });
            }
            Request::Client {
                id,
                body,
                role,
                reply,
            } => {
                let answer = match self
                    .authorize(&body, role)
                    .and_then(|()| self.allowed_with_clients(&body))
                    .and_then(|()| self.client(body))
                {
                    Ok(Answer::Output(output)) => Reply::ok(id, output),
                    Ok(Answer::Inspect(inspect)) => Reply {
                        inspect: Some(inspect),
                        ..Reply::ok(id, None)
                    },
                    Ok(Answer::Replicas(replicas)) => Reply {
                        replicas: Some(replicas),
                        ..Reply::ok(id, None)
                    },
                    Ok(Answer::Lessons(lessons)) => Reply {
                        lessons: Some(lessons),
                        ..Reply::ok(id, None)
                    },
                    Ok(Answer::Diagnostics(found)) => Reply {
                        diagnostics: Some(found),
                        ..Reply::ok(id, None)
                    },

                    Err(mut error) => Reply {
                        diagnostics: error.diagnostics.take(),
                        ..Reply::error(id, error)
                    },
                };
                let _ = reply.send(answer.to_bytes());
            }
        }
    }

    /// Viewers follow the presenter's room: they may look (snapshot, inspect, replicas, lessons, check,
    /// export) but not change it; a sandbox of their own is one `fork` away.
    fn authorize(&self, body: &ClientBody, role: Role) -> Result<(), WireError> {
        let looks = matches!(
            body,
            ClientBody::Snapshot
                | ClientBody::Inspect { .. }
                | ClientBody::Replicas { .. }
                | ClientBody::Lessons
                | ClientBody::Check { .. }
                | ClientBody::Export
                | ClientBody::Fork
        );
        if looks || self.owner.allows(role) {
            Ok(())
        } else {
            Err(WireError::plain(
                "you are following the presenter's room, which only the presenter can change: \
                 press Fork to get a sandbox of your own",
            ))
        }
    }

    fn client(&mut self, body: ClientBody) -> Result<Answer, WireError> {
        match body {
            ClientBody::Command { line } => self.console(&line).map(Answer::Output),
            ClientBody::Play => {
                // Playing on from a pause goes past it, as Next does.
                self.at_pause = false;
                self.player.release_pause(self.cluster.now());
                self.clock.playing = true;
                self.dirty = true;
                Ok(Answer::Output(None))
            }
            ClientBody::Pause => {
                // Saved at once: a server stopped now comes back at exactly this instant.
                self.clock.playing = false;
                self.dirty = true;
                Ok(Answer::Output(None))
            }
            ClientBody::Step => {
                self.at_pause = false;
                self.player.release_pause(self.cluster.now());
                self.clock.playing = false;
                self.advance_to(self.cluster.now() + STEP_US);
                Ok(Answer::Output(None))
            }
            ClientBody::Speed { speed } => {
                self.clock.set_speed(speed).map_err(WireError::plain)?;
                self.dirty = true;
                Ok(Answer::Output(None))
            }
            ClientBody::Inspect { topic, partition } => {
                self.inspect(TopicPartition { topic, partition })
            }
            ClientBody::Replicas { topic, partition } => {
                let tp = TopicPartition { topic, partition };
                crate::state::replica_logs(&self.cluster, &tp)
                    .map(Answer::Replicas)
                    .ok_or_else(|| WireError::plain(format!("unknown partition {tp}")))
            }
            // Answered by the viewer's connection (a snapshot; a new sandbox); nothing to do here.
            ClientBody::Snapshot | ClientBody::Fork => Ok(Answer::Output(None)),
            ClientBody::Lessons => Ok(Answer::Lessons(lessons::all())),
            ClientBody::Check { name, source } => {
                let name = name.unwrap_or_else(|| "scenario".to_string());
                let found = match parser::parse(&name, &source) {
                    Ok(_) => Vec::new(),
                    Err(errors) => diagnostics(errors),
                };
                Ok(Answer::Diagnostics(found))
            }
            ClientBody::Load {
                lesson,
                name,
                source,
            } => {
                let (id, source) = match (lesson, source) {
                    (Some(id), None) => {
                        let source = lessons::source(&id).ok_or_else(|| {
                            WireError::plain(format!("there is no bundled lesson '{id}'"))
                        })?;
                        (id, source)
                    }
                    (None, Some(source)) => {
                        (name.unwrap_or_else(|| "scenario".to_string()), source)
                    }
                    _ => {
                        return Err(WireError::plain(
                            "load needs either \"lesson\" or \"source\"",
                        ));
                    }
                };
                match Scenario::parse(&id, &source) {
                    Ok(scenario) => {
                        self.load(scenario);
                        Ok(Answer::Output(None))
                    }
                    Err(errors) => {
                        let found = diagnostics(errors);
                        Err(WireError::plain(format!(
                            "{} has {} error(s); nothing was run",
                            id,
                            found.len()
                        ))
                        .with_diagnostics(found))
                    }
                }
            }
            ClientBody::Next => {
                self.at_pause = false;
                self.player.release_pause(self.cluster.now());
                self.clock.playing = true;
                Ok(Answer::Output(None))
            }
            ClientBody::Restart => {
                self.load(self.scenario.clone());
                Ok(Answer::Output(None))
            }
            ClientBody::Seek { to_us } => {
                self.seek(to_us)?;
                Ok(Answer::Output(None))
            }
            ClientBody::Previous => {
                self.previous()?;
                Ok(Answer::Output(None))
            }
            ClientBody::Export => {
                // The journal is in time order; after a rewind its future is left out.
                let now = self.cluster.now();
                let journal = &self.history.journal;
                let played = journal.partition_point(|e| e.at_us <= now);
                Ok(Answer::Output(Some(history::export(
                    &self.scenario.script,
                    &self.scenario.source,
                    self.player.script_done(),
                    self.player.holds_ended(),
                    &journal[..played],
                    self.history.clients_dropped_at,
                    now,
                ))))
            }
        }
    }

    /// A console line (typed, or built by a click). Checked completely before anything
    /// changes: a bad line leaves the room exactly as it was.
    fn console(&mut self, line: &str) -> Result<Option<String>, WireError> {
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
    fn fork_if_rewound(&mut self) {
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
    fn run_step(&mut self, step: &Step, typed: Option<&str>) -> Result<Option<String>, String> {
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

    fn note(&mut self, level: &'static str, subject: &'static str, text: String) {
        self.frame
            .note(LogEntry::new(self.cluster.now(), level, subject, text));
    }

    /// A console line that reports a check (`expect`, a `wait until` that held or gave up), with
    /// its kind, so that presenter mode can hide the ones that passed.
    fn note_kind(&mut self, level: &'static str, kind: &'static str, text: String) {
        self.frame.note(LogEntry {
            kind: Some(kind),
            ..LogEntry::new(self.cluster.now(), level, "console", text)
        });
    }

    /// Moves simulated time to `until`, running the player's steps at their instants. Stops
    /// early at a `pause`, or when a `wait until` typed in the console holds or times out, or a
    /// file's `wait until` times out. While a `wait until` is in progress the engine moves one
    /// instant at a time (`Cluster::next_instant`), its condition checked after each, so it ends
    /// at the instant it first holds, as in the headless runner.
    fn advance_to(&mut self, until: Micros) {
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
            if self
                .history
                .record(checkpoint, &self.cluster, lifecycle::ROOM_MEMORY_BUDGET)
                && !self.history_thinned
            {
                self.history_thinned = true;
                self.note(
                    "info",
                    "console",
                    format!(
                        "this room keeps its memory under {} MB: older rewind points were thinned out (rewinding far back replays more)",
                        lifecycle::ROOM_MEMORY_BUDGET >> 20
                    ),
                );
            }
        }
        self.history.horizon_us = self.history.horizon_us.max(now);
    }

    fn drain(&mut self) {
        for event in self.cluster.drain_events() {
            self.markers.push(&event);
            self.frame.push(&event);
        }
    }

    fn clock_dto(&self) -> wire::Clock {
        wire::Clock {
            now_us: self.cluster.now(),
            playing: self.clock.playing,
            speed: self.clock.speed,
        }
    }

    /// The lesson waits at a `pause` for Next: the clock stopped there, or plays on while the
    /// file is held (Kafka clients connected, `real_time.rs`).
    fn waiting_at_pause(&self) -> bool {
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
    fn keep_in_log(&mut self, entries: impl IntoIterator<Item = LogEntry>) {
        crate::fold::fold_into(&mut self.log, entries);
        let excess = self.log.len().saturating_sub(ROOM_LOG);
        self.log.drain(..excess);
    }

    /// Sends a fresh snapshot to every viewer (after a load or a rewind: patches cannot say
    /// that things went backwards).
    fn broadcast_snapshot(&mut self) {
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
    fn flush(&mut self) {
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
            audience: (audience != self.shown_audience).then_some(audience),
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
    fn snapshot(&mut self) -> Frame {
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
            audience: self.shown_audience,
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

    fn inspect(&self, tp: TopicPartition) -> Result<Answer, WireError> {
        let Some(p) = self.cluster.partition_snapshot(&tp) else {
            return Err(WireError::plain(format!("unknown partition {tp}")));
        };
        Ok(Answer::Inspect(wire::Inspect {
            topic: tp.topic,
            partition: tp.partition,
            leader: p.leader,
            high_watermark: p.high_watermark,
            log_end_offset: p.log_end_offset,
            log_start_offset: p.log_start_offset,
            replicas: p
                .replica_states
                .iter()
                .map(|r| wire::ReplicaOffsets {
                    broker: r.broker,
                    in_isr: p.isr.contains(&r.broker),
                    log_end_offset: r.log_end_offset,
                    high_watermark: r.high_watermark,
                    log_start_offset: r.log_start_offset,
                })
                .collect(),
            records: p
                .tail
                .into_iter()
                .map(|r| wire::Record {
                    offset: r.offset,
                    key: r.key,
                    value: r.value,
                    timestamp_ms: r.timestamp_us / 1000,
                    leader_epoch: r.leader_epoch,
                })
                .collect(),
        }))
    }
}

enum Answer {
    Output(Option<String>),
    Inspect(wire::Inspect),
    Replicas(wire::ReplicaLogs),
    Lessons(Vec<wire::LessonInfo>),
    Diagnostics(Vec<wire::Diagnostic>),
}

/// `✓ wait until isr orders/0 == 2,3 (held at 21.000s, after 9.000s)`
fn held(hold: &Hold, now: Micros) -> String {
    let started = hold.deadline - hold.timeout;
    format!(
        "✓ wait until {} (held at {}, after {})",
        hold.expectation.text,
        engine::time::format_duration(now),
        engine::time::format_duration(now - started)
    )
}

/// What a timed-out `wait until` stopped: `consequence` says it.
fn gave_up(hold: &Hold, consequence: &str) -> String {
    format!(
        "wait until gave up after {}: {consequence}",
        engine::time::format_duration(hold.timeout)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_log_keeps_its_bound_on_every_path() {
        let (frames, _) = broadcast::channel(FRAME_BACKLOG);
        let mut room = Room::new("t", crate::serve::load_scenario(None).unwrap(), frames);
        let line = |i: u64| LogEntry::new(i, "info", "console", format!("line {i}"));
        room.keep_in_log((0..ROOM_LOG as u64 + 50).map(line));
        assert_eq!(room.log.len(), ROOM_LOG);
        assert_eq!(
            room.log.back().unwrap().text,
            format!("line {}", ROOM_LOG + 49)
        );
        // A snapshot broadcast (load, restart, seek) goes through the same bound.
        for i in 0..ROOM_LOG as u64 {
            room.note("info", "console", format!("note {i}"));
        }
        room.broadcast_snapshot();
        assert_eq!(room.log.len(), ROOM_LOG);
    }

    /// A bug that panics inside the room (here: on purpose) does not kill it: the room goes back
    /// to its last checkpoint, paused, says so, and takes commands again.
    #[test]
    fn a_panic_restores_the_last_checkpoint_and_the_room_stays_usable() {
        let (frames, mut viewer) = broadcast::channel(FRAME_BACKLOG);
        let mut room = Room::new("t", crate::serve::load_scenario(None).unwrap(), frames);
        for second in 1..=12 {
            room.advance_to(second * 1_000_000);
        }
        let checkpoint_at = room.history.checkpoints.last().unwrap().at_us;
        assert_eq!(checkpoint_at, 10_000_000);
        room.console("broker kill 1").unwrap();
        room.guarded(|_| panic!("a bug"));
        assert_eq!(room.cluster.now(), checkpoint_at);
        assert!(!room.clock.playing);
        assert_eq!(
            expect::measure(&room.cluster, &probe(&room.ctx, "expect broker 1 == up"))
                .unwrap()
                .to_string(),
            "up"
        );
        // The typed line after the checkpoint is no longer in effect, nor in the journal.
        assert!(room.history.journal.is_empty());
        let said: Vec<String> = room.log.iter().map(|e| e.text.clone()).collect();
        assert!(
            said.iter()
                .any(|t| t.contains("internal error") && t.contains("a bug")),
            "{said:?}"
        );
        // Viewers got a snapshot of the restored room.
        let mut last = None;
        while let Ok(frame) = viewer.try_recv() {
            last = Some(frame);
        }
        assert!(
            last.unwrap()
                .bytes
                .starts_with(br#"{"v":1,"type":"snapshot""#)
        );
        // And the room works.
        room.console("broker kill 2").unwrap();
        room.advance_to(checkpoint_at + 1_000_000);
        assert_eq!(
            expect::measure(&room.cluster, &probe(&room.ctx, "expect broker 2 == up"))
                .unwrap()
                .to_string(),
            "down"
        );
    }

    /// The JSON of every frame or snapshot the viewer has not read yet.
    fn received(viewer: &mut broadcast::Receiver<Frame>) -> Vec<serde_json::Value> {
        std::iter::from_fn(|| viewer.try_recv().ok())
            .map(|f| serde_json::from_slice(&f.bytes).unwrap())
            .collect()
    }

    /// `focus` is room state like the caption: in every snapshot, in a frame only when it
    /// changed, brought back by time travel, and a typed `focus` line is journaled.
    #[test]
    fn focus_is_sent_when_it_changes_and_travels_in_time() {
        let source = "brokers 3\ntopic create orders partitions=2 replication=3\n\
            group add billing topics=orders\nfocus orders/0 billing\nwait 2s\n\
            focus replicas orders/1 broker 2 metrics\nwait 10s\nfocus all\n";
        let (frames, mut viewer) = broadcast::channel(FRAME_BACKLOG);
        let mut room = Room::new("t", Scenario::parse("f", source).unwrap(), frames);
        let snapshot = received(&mut viewer).pop().unwrap();
        assert_eq!(
            snapshot["focus"],
            serde_json::json!(["partition:orders/0", "group:billing"])
        );
        room.advance_to(1_000_000);
        room.flush();
        let quiet = received(&mut viewer).pop().unwrap();
        assert_eq!(quiet["type"], "frame");
        assert!(quiet.get("focus").is_none(), "{quiet}");
        room.advance_to(3_000_000);
        room.flush();
        let changed = received(&mut viewer).pop().unwrap();
        assert_eq!(
            changed["focus"],
            serde_json::json!(["replicas:orders/1", "broker:2", "metrics"])
        );
        room.advance_to(13_000_000);
        room.flush();
        assert_eq!(room.focus, Vec::<String>::new());
        // A typed line: journaled, and seen in the next frame.
        room.console("focus consumer billing-1").unwrap();
        assert_eq!(
            room.history.journal.last().unwrap().line,
            "focus consumer billing-1"
        );
        room.flush();
        let typed = received(&mut viewer).pop().unwrap();
        assert_eq!(typed["focus"], serde_json::json!(["consumer:billing-1"]));
        // Back to 5 s: the focus of that instant, in the snapshot of the seek.
        room.seek(5_000_000).unwrap();
        let rewound = received(&mut viewer).pop().unwrap();
        assert_eq!(rewound["type"], "snapshot");
        assert_eq!(
            rewound["focus"],
            serde_json::json!(["replicas:orders/1", "broker:2", "metrics"])
        );
        // A bad target changes nothing.
        let err = room.console("focus orders/7").unwrap_err();
        assert_eq!((err.line, err.col), (Some(1), Some(14)));
        assert_eq!(room.focus.len(), 3);
    }

    fn probe(ctx: &parser::Context, line: &str) -> engine::scenario::ast::Metric {
        let mut ctx = ctx.clone();
        match parser::parse_line(line, &mut ctx).unwrap().unwrap().action {
            Action::Expect(e) => e.metric,
            other => panic!("not an expectation: {other:?}"),
        }
    }
}
