//! The room's side of the Kafka listeners: their questions answered from the room's cluster,
//! and topic auto-creation as the console line `topic create`, so that a topic a client
//! created shows on the page, in the log and in the journal like one typed there. Every
//! engine input of a real client is journaled as a `kafka-client` line ([`Room::apply_client`]):
//! an export replays the clients headless, and a rewind once they are gone replays them.

use std::collections::BTreeMap;

use engine::Command;
use engine::client::external::{ExternalPartResult, ExternalProduce};
use tokio::sync::oneshot;

use super::Room;
use crate::kafka::metadata::{DEFAULT_REPLICATION_FACTOR, NUM_PARTITIONS, valid_topic_name};
use crate::kafka::view::{self, ClusterView, FetchAnswer, KafkaAsk, ListOffsetsAnswer};
use engine::client::external_fetch::ExternalFetch;
use engine::list_offsets::{OffsetsQuery, OffsetsReader};

impl Room {
    pub(super) fn kafka(&mut self, ask: KafkaAsk) -> ClusterView {
        match ask {
            KafkaAsk::Brokers { bootstrap } => {
                if bootstrap.is_some() && bootstrap != self.kafka_bootstrap {
                    self.kafka_bootstrap = bootstrap;
                    // Snapshots carry it: the cached one is out of date.
                    self.snapshot_cache = None;
                }
                ClusterView {
                    cluster_id: self.cluster.cluster_id(),
                    brokers: view::brokers(&self.cluster),
                    topics: Vec::new(),
                    created: Vec::new(),
                }
            }
            KafkaAsk::Metadata {
                topics,
                auto_create,
                client_id,
            } => {
                let mut created = Vec::new();
                if auto_create {
                    for name in topics.iter().flatten() {
                        // Only legal names reach the line: nothing a client sends can add an
                        // option or a second command to it.
                        if self.cluster.has_topic(name) || !valid_topic_name(name) {
                            continue;
                        }
                        let line = format!(
                            "topic create {name} partitions={NUM_PARTITIONS} \
                             replication={DEFAULT_REPLICATION_FACTOR}"
                        );
                        let client = if client_id.is_empty() {
                            "a Kafka client".to_string()
                        } else {
                            let short: String = client_id.chars().take(64).collect();
                            format!("Kafka client {short:?}")
                        };
                        match self.console(&line) {
                            Ok(_) => {
                                self.note(
                                    "info",
                                    "console",
                                    format!("{client} auto-created: {line}"),
                                );
                                created.push(name.clone());
                            }
                            Err(e) => self.note(
                                "warn",
                                "console",
                                format!("{client} could not auto-create {name}: {}", e.message),
                            ),
                        }
                    }
                }
                // Kafka's KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION for a topic it has
                // just sent for creation; the client asks again.
                let mut answer = view::view(&self.cluster, topics.as_deref(), created);
                for (name, state) in &mut answer.topics {
                    if answer.created.contains(name) {
                        *state = view::TopicState::Missing;
                    }
                }
                answer
            }
        }
    }
}

/// Real clients' requests the engine has not answered yet, by (client, token).
pub type Waiting = BTreeMap<(u32, u64), oneshot::Sender<Vec<ExternalPartResult>>>;

/// Real clients' Fetch requests the engine has not answered yet, by (client, token).
pub type Fetching = BTreeMap<(u32, u64), oneshot::Sender<FetchAnswer>>;

impl Room {
    /// Applies a real client's command now and journals it as a `kafka-client` line
    /// (`engine::client::journal`), so that a rewind after the clients are gone and an export
    /// replay it: every engine input of a real client, in the order applied, at its instant —
    /// a fetch too, which writes nothing but parks, sets timers and sends messages. A command
    /// the engine refuses changed nothing and is not journaled. Acting after a rewind forks
    /// the timeline, as a typed line does. `false`: refused.
    pub(super) fn apply_client(&mut self, command: Command) -> bool {
        self.fork_if_rewound();
        // Written before `apply` takes the command; dropped if it is refused.
        let line = engine::client::journal::line(&command);
        if self.cluster.apply(command).is_err() {
            return false;
        }
        if let Some(line) = line {
            self.remember_client(line);
        }
        true
    }

    /// Journals a real client's input (not while the room replays its own journal).
    fn remember_client(&mut self, line: String) {
        if !self.replaying {
            self.dirty = true;
            let (now, done) = (self.cluster.now(), self.player.script_done());
            self.history.remember_client(now, line, done);
        }
    }

    /// Registers connection `client` in the cluster at its first request. A registration this
    /// room's listener did not make is a client of a replayed journal or a loaded file (the
    /// listener numbers connections from 1 again after a restart): that client is gone, so it
    /// is closed first (journaled too). `false`: the engine refused.
    pub(super) fn ensure_client(&mut self, client: u32, client_name: String) -> bool {
        if self.cluster.external_client(client) && !self.kafka_live.contains(&client) {
            self.apply_client(Command::ExternalClientRemove { id: client });
        }
        if !self.cluster.external_client(client) {
            let add = Command::ExternalClientAdd {
                id: client,
                name: client_name,
            };
            if !self.apply_client(add) {
                return false;
            }
        }
        self.kafka_live.insert(client);
        true
    }

    /// A real client's Produce: the client registered at its first request, the request
    /// applied to the cluster now and journaled. The answer waits for simulated time to pass
    /// (a paused room holds it; the connection's own bound, the request's timeout, ends the
    /// wait).
    pub(super) fn kafka_produce(
        &mut self,
        client_name: String,
        produce: ExternalProduce,
        reply: oneshot::Sender<Vec<ExternalPartResult>>,
    ) {
        let (client, token, acks) = (produce.client, produce.token, produce.acks);
        if !self.ensure_client(client, client_name)
            || !self.apply_client(Command::ExternalProduce(produce))
        {
            return; // the reply dropped: the connection closes
        }
        self.drain();
        if acks == engine::command::Acks::Zero {
            let _ = reply.send(Vec::new());
        } else {
            self.kafka_waiting.insert((client, token), reply);
        }
    }

    /// A real client's Fetch: the client registered at its first request, the request applied
    /// to the cluster now and journaled; the answer comes when the engine's does (at once, or
    /// when the long poll ends).
    pub(super) fn kafka_fetch(
        &mut self,
        client_name: String,
        fetch: ExternalFetch,
        reply: oneshot::Sender<FetchAnswer>,
    ) {
        let (client, token) = (fetch.client, fetch.token);
        if !self.ensure_client(client, client_name)
            || !self.apply_client(Command::ExternalFetch(fetch))
        {
            return; // the reply dropped: the connection closes
        }
        self.drain();
        self.kafka_fetching.insert((client, token), reply);
        self.answer_kafka();
    }

    /// An InitProducerId at `broker`: the cluster's next producer id, journaled (the next
    /// InitProducerId of a replay must get the one after it). `None`: the broker is down.
    pub(super) fn kafka_init_producer_id(&mut self, broker: u32) -> Option<i64> {
        self.fork_if_rewound();
        let id = self.cluster.init_producer_id(broker)?;
        let command = Command::ExternalInitProducerId { broker };
        if let Some(line) = engine::client::journal::line(&command) {
            self.remember_client(line);
        }
        Some(id)
    }

    /// ListOffsets from the cluster as it is now, at `broker`.
    pub(super) fn kafka_list_offsets(
        &self,
        broker: u32,
        reader: OffsetsReader,
        queries: &[OffsetsQuery],
    ) -> Option<ListOffsetsAnswer> {
        let anchor = view::anchor(self.cluster.now());
        self.cluster.list_offsets(broker, reader, queries, anchor)
    }

    /// A real client's connection closed: its waiting requests are dropped and, if it had
    /// registered, it leaves the cluster (journaled: its requests in progress are not answered
    /// in a replay either).
    pub(super) fn kafka_closed(&mut self, client: u32) {
        self.kafka_waiting.retain(|&(c, _), _| c != client);
        self.kafka_fetching.retain(|&(c, _), _| c != client);
        self.kafka_group_waiting.retain(|&(c, _), _| c != client);
        if self.kafka_live.remove(&client) && self.cluster.external_client(client) {
            self.apply_client(Command::ExternalClientRemove { id: client });
            self.drain();
        }
    }

    /// Sends every answer the engine has finished, of any kind (requests, fetches, group
    /// requests), to its waiting connection.
    pub(super) fn answer_clients(&mut self) {
        self.answer_kafka();
        self.answer_kafka_groups();
    }

    /// Sends every answer the engine has finished to its waiting connection.
    pub(super) fn answer_kafka(&mut self) {
        for response in self.cluster.drain_external() {
            if let Some(reply) = self
                .kafka_waiting
                .remove(&(response.client, response.token))
            {
                let _ = reply.send(response.parts);
            }
        }
        let fetched = self.cluster.drain_external_fetches();
        if fetched.is_empty() {
            return;
        }
        let anchor = view::anchor(self.cluster.now());
        for response in fetched {
            if let Some(reply) = self
                .kafka_fetching
                .remove(&(response.client, response.token))
            {
                let _ = reply.send(FetchAnswer {
                    parts: response.parts,
                    anchor,
                });
            }
        }
    }
}

/// What `{bootstrap}` says in a room whose brokers have no listeners (`--no-kafka`, a
/// sandbox, or any room but the default one).
pub const NO_LISTENER: &str = "(no Kafka listener in this room)";

impl Room {
    /// A `say` text as the room shows it: `{bootstrap}` becomes where this room's Kafka
    /// clients bootstrap, so that a lesson's code connects as written wherever it is served
    /// (`--kafka-port`, `--share`).
    pub(super) fn narrated(&self, text: &str) -> String {
        if !text.contains(BOOTSTRAP) {
            return text.to_string();
        }
        text.replace(
            BOOTSTRAP,
            self.kafka_bootstrap.as_deref().unwrap_or(NO_LISTENER),
        )
    }
}

/// The placeholder a `say` text uses for the bootstrap address.
pub const BOOTSTRAP: &str = "{bootstrap}";
