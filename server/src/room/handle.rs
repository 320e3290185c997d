//! [`RoomHandle`]: how viewers and Kafka listeners reach a room (requests on a bounded queue,
//! frames on a broadcast channel), and the thread a room runs on.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use bytes::Bytes;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::lifecycle::{RoomEnv, Seed, Start};
use super::{FRAME_BACKLOG, Frame, MemoryReport, REQUEST_QUEUE, Request, Room, Scenario};
use crate::access::{Owner, Role};
use crate::wire::ClientBody;

/// Runs a room's loop. In the server (a multi-thread runtime) each room simulates on a thread
/// of its own, with a single-threaded runtime for its timers: a room at 20× keeps a core busy
/// in bursts, which on the shared workers would delay every socket, and a room that stays on
/// one thread frees its checkpoints on the thread that allocated them, so the allocator gives
/// pages back at once instead of when another thread next allocates. In a single-threaded
/// runtime (tests with Tokio's paused clock) the room is a task of that runtime, so it follows
/// that clock.
pub(super) fn run_on_own_thread(room: Room, inbox: mpsc::Receiver<Request>) {
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
    /// Kafka client connections open to the room's brokers (`crate::kafka`) and the programs
    /// (`client.id`s) behind them: while any connection is open, the room keeps to the wall
    /// clock (`real_time.rs`).
    pub kafka_clients: Arc<crate::kafka::clients::KafkaClients>,
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
