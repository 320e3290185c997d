//! Kafka's wire protocol on every simulated broker of the default room, so that real Kafka
//! clients (kcat, librdkafka, the Java client, kafka-python) connect to the playground.
//!
//! `listener` opens one port per broker and follows the room's brokers (killed: refused;
//! isolated: silent; restarted: listening again); `connection` reads `frame`s one at a time;
//! `request` decodes the header and body with the `kafka-protocol` crate and refuses what this
//! broker does not enable (`skim` first checks the collections' lengths of the bodies it
//! reads); `api_versions` and `metadata` answer, `produce` and `fetch` hand their requests to
//! the engine and answer with its results, `list_offsets` asks the room's cluster. The answers come from the
//! room's own cluster (`view`, asked in the room task), never from a copy.

pub mod ack_only;
// The admin APIs (CreateTopics, DescribeConfigs, OffsetForLeaderEpoch).
pub mod admin;
pub mod create_topics;
pub mod describe_configs;
pub mod offset_for_leader_epoch;
pub mod topic_configs;

// DeleteTopics, an admin API too (through `admin.rs`).
pub mod delete_topics;

// Open connections and the programs (client.ids) behind them, for the presenter panel.
pub mod clients;

pub mod api_versions;
pub mod connection;
pub mod decompress;
pub mod fetch;
pub mod frame;
pub mod group;
pub mod group_check;
pub mod init_producer_id;
pub mod list_offsets;
pub mod listener;
pub mod metadata;
pub mod produce;
pub mod request;
pub mod skim;
pub mod view;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::rooms::{DEFAULT_ROOM, Rooms};
use clients::ClientConnection;
use frame::MemoryPool;
use view::{BrokerLife, ClusterView, KafkaAsk};

/// Kafka's default listener port: broker 1 listens here, broker N on this + N − 1.
pub const DEFAULT_KAFKA_PORT: u16 = 9092;
/// Kafka client connections open at once, over every broker; more are closed as they arrive.
/// Kafka's `max.connections` is unbounded by default; a laptop serving a class is not.
pub const MAX_CONNECTIONS: usize = 1000;

/// What the listeners share: the way to the room, the request memory pool, the connection
/// bound, and where each broker is reached.
pub struct Shared {
    rooms: Rooms,
    pub pool: MemoryPool,
    pub connections: Arc<Semaphore>,
    /// The host brokers advertise: 127.0.0.1, or this computer's address with `--share`.
    host: String,
    ports: Mutex<BTreeMap<u32, u16>>,
    /// The next connection's client id in the engine.
    next_client: std::sync::atomic::AtomicU32,
    /// `--kafka-ack-only` (benchmark): Produce is acknowledged here, never reaching the room.
    ack_only: Option<ack_only::AckOnly>,
}

impl Shared {
    pub fn new(rooms: Rooms, host: String) -> Shared {
        Shared {
            rooms,
            pool: MemoryPool::default(),
            connections: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            host,
            ports: Mutex::default(),
            next_client: std::sync::atomic::AtomicU32::new(1),
            ack_only: None,
        }
    }

    /// A new connection's opaque client id.
    pub fn new_client(&self) -> u32 {
        self.next_client
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// A Produce to the default room; `None` if it is busy or gone.
    pub async fn produce(
        &self,
        client_name: String,
        request: engine::client::external::ExternalProduce,
    ) -> Option<Vec<engine::client::external::ExternalPartResult>> {
        if let Some(ack_only) = &self.ack_only {
            return Some(ack_only.acknowledge(&request));
        }
        let room = self.rooms.get(DEFAULT_ROOM).ok()?;
        room.kafka_produce(client_name, request).await.ok()
    }

    /// A Fetch to the default room; `None` if it is busy or gone.
    pub async fn fetch(
        &self,
        client_name: String,
        request: engine::client::external_fetch::ExternalFetch,
    ) -> Option<view::FetchAnswer> {
        let room = self.rooms.get(DEFAULT_ROOM).ok()?;
        room.kafka_fetch(client_name, request).await.ok()
    }

    /// A ListOffsets request to the default room's `broker`; `None` if the room is busy or
    /// gone or the broker is down.
    pub async fn list_offsets(
        &self,
        broker: u32,
        reader: engine::list_offsets::OffsetsReader,
        queries: Vec<engine::list_offsets::OffsetsQuery>,
    ) -> Option<view::ListOffsetsAnswer> {
        let room = self.rooms.get(DEFAULT_ROOM).ok()?;
        room.kafka_list_offsets(broker, reader, queries)
            .await
            .ok()
            .flatten()
    }

    /// A new producer id from the default room's `broker`; `None` if the room is busy or gone
    /// or the broker is down.
    pub async fn init_producer_id(&self, broker: u32) -> Option<i64> {
        let room = self.rooms.get(DEFAULT_ROOM).ok()?;
        room.kafka_init_producer_id(broker).await.ok().flatten()
    }

    /// A client that produced or fetched has gone.
    pub fn closed(&self, client: u32) {
        if let Some(room) = self.rooms.running(DEFAULT_ROOM) {
            room.kafka_closed(client);
        }
    }

    /// Asks the default room (bringing it back if it left memory); `None` if it is busy.
    pub async fn ask(&self, ask: KafkaAsk) -> Option<ClusterView> {
        let room = self.rooms.get(DEFAULT_ROOM).ok()?;
        room.kafka(ask).await.ok()
    }

    /// Counts a client connection in the default room's `kafka_clients` while it is open, so
    /// the room keeps to the wall clock (`room/real_time.rs`) and the presenter panel counts
    /// it (under its `client.id` and `host` once it said it). `None` if there is no room.
    pub fn client_connected(&self, host: &str) -> Option<ClientConnection> {
        let room = self.rooms.get(DEFAULT_ROOM).ok()?;
        Some(room.kafka_clients.connected(host))
    }

    /// The default room's brokers if it is in memory: a room that left memory (nobody watched
    /// it) is not brought back just to be looked at; a client's request brings it back.
    async fn brokers_if_running(&self) -> Option<Vec<BrokerLife>> {
        let room = self.rooms.running(DEFAULT_ROOM)?;
        let bootstrap = self.bootstrap();
        room.kafka(KafkaAsk::Brokers { bootstrap })
            .await
            .ok()
            .map(|v| v.brokers)
    }

    /// `host:port` of the first broker's listener: where clients bootstrap.
    fn bootstrap(&self) -> Option<String> {
        let ports = self.ports.lock().expect("ports lock");
        let (_, port) = ports.first_key_value()?;
        Some(format!("{}:{port}", self.host))
    }

    fn set_ports(&self, ports: BTreeMap<u32, u16>) {
        *self.ports.lock().expect("ports lock") = ports;
    }
}

impl metadata::Endpoints for Shared {
    fn endpoint(&self, broker: u32) -> Option<(String, u16)> {
        let port = *self.ports.lock().expect("ports lock").get(&broker)?;
        Some((self.host.clone(), port))
    }
}

/// How `playground serve` listens for Kafka clients.
#[derive(Debug, Clone)]
pub struct KafkaOptions {
    /// Broker 1's port; 0: every broker on a free port.
    pub port: u16,
    /// Every interface, advertising this computer's address; else 127.0.0.1.
    pub share: bool,
    /// Benchmark only: acknowledge Produce without simulating (`ack_only.rs`).
    pub ack_only: bool,
}

/// The listeners are up: clients bootstrap from `host:port`.
pub struct Started {
    pub host: String,
    pub port: u16,
}

/// Opens a listener for every broker of the default room and keeps them in line with it.
/// Fails, with a message for the user, when a broker's port cannot be bound.
pub async fn start(rooms: Rooms, options: KafkaOptions) -> Result<Started, String> {
    let (ip, host) = if options.share {
        let host = local_ip_address::local_ip()
            .map(|ip| ip.to_string())
            .unwrap_or_else(|_| Ipv4Addr::LOCALHOST.to_string());
        (IpAddr::V4(Ipv4Addr::UNSPECIFIED), host)
    } else {
        (
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            Ipv4Addr::LOCALHOST.to_string(),
        )
    };
    let mut shared = Shared::new(rooms, host.clone());
    if options.ack_only {
        shared.ack_only = Some(ack_only::AckOnly::default());
    }
    let shared = Arc::new(shared);
    let lives = listener::first_brokers(&shared, Duration::from_secs(10))
        .await
        .ok_or("the default room did not answer")?;
    let mut listeners = listener::Listeners::new(shared, ip, options.port);
    let failures = listeners.apply(&lives, true);
    if let Some((id, port, why)) = failures.first() {
        return Err(format!(
            "broker {id} cannot listen for Kafka clients on port {port} ({why}): \
             another Kafka may be running; choose other ports with --kafka-port P (0: any \
             free ports) or turn the listeners off with --no-kafka"
        ));
    }
    // The dead brokers were bound only to learn their ports.
    listeners.apply(&lives, false);
    let port = lives
        .iter()
        .find_map(|l| listeners.port(l.id))
        .ok_or("the default room has no brokers")?;
    tokio::spawn(listeners.supervise());
    Ok(Started { host, port })
}
