//! The simulated network: messages between brokers, clients and the controller, each delivered
//! after the link latency, unless the destination is down (the sender sees a broken connection) or
//! the link is cut by a network partition or an isolation (the message vanishes and the sender
//! waits for its request timeout: see `lost.rs`).

use std::collections::{BTreeMap, BTreeSet};

use crate::command::Acks;
use crate::event::ErrorCode;
use crate::record::RecordId;

/// A batch of records for one partition inside a Produce request.
#[derive(Debug, Clone)]
pub struct ProduceBatch {
    pub slot: u32,
    pub records: Vec<RecordId>,
    /// The idempotent producer's batch sequence number (acks=all only).
    pub seq: u32,
    /// The producer bumped its epoch (KIP-360) after its sequence was lost: accept a gap.
    pub reset: bool,
}

/// One partition in a follower's Fetch request.
#[derive(Debug, Clone, Copy)]
pub struct FetchPart {
    pub slot: u32,
    pub fetch_offset: u64,
    /// The epoch of the follower's last record (KIP-320's lastFetchedEpoch).
    pub last_fetched_epoch: Option<u32>,
}

/// The leader's answer for one partition.
#[derive(Debug, Clone)]
pub enum FetchPartResult {
    /// Records from the fetch offset (possibly none), with the leader's high watermark and log start.
    Records {
        entries: Vec<crate::log::Entry>,
        high_watermark: u64,
        log_start_offset: u64,
    },
    /// The follower's log diverges: truncate to the end of `epoch` (KIP-320 divergingEpoch).
    Diverging {
        epoch: u32,
        end_offset: u64,
    },
    /// The fetch offset is below the leader's log start.
    OffsetOutOfRange {
        log_start_offset: u64,
    },
    NotLeader,
}

#[derive(Debug, Clone)]
pub enum Message {
    Produce {
        producer: u32,
        broker: u32,
        request: u64,
        acks: Acks,
        batches: Vec<ProduceBatch>,
    },
    /// One result per batch, in request order: the base offset (unknown for a duplicate) or an error.
    ProduceResponse {
        producer: u32,
        broker: u32,
        request: u64,
        results: Vec<Result<Option<u64>, ErrorCode>>,
    },
    Fetch {
        follower: u32,
        leader: u32,
        request: u64,
        parts: Vec<FetchPart>,
    },
    FetchResponse {
        follower: u32,
        leader: u32,
        request: u64,
        parts: Vec<(u32, FetchPartResult)>,
    },
    /// A broker's connection to `to` broke: tells the sender its request failed.
    FetchFailed {
        follower: u32,
        leader: u32,
        request: u64,
    },
    /// KRaft AlterPartition: a leader asks the controller to change the ISR.
    AlterPartition {
        leader: u32,
        slot: u32,
        leader_epoch: u32,
        partition_epoch: u32,
        isr: Vec<u32>,
    },
    /// The controller's answer to one AlterPartition (accepted or not), naming the ISR proposed.
    AlterPartitionResponse {
        leader: u32,
        slot: u32,
        proposed: Vec<u32>,
    },
    /// The controller's metadata for one partition reaching a broker.
    Metadata { broker: u32, slot: u32 },
    /// A client's Metadata request for some topics. It is delivered at the end of its round
    /// trip, where a broker builds the answer and hands it back in the same instant
    /// (`Cluster::send_metadata_request`).
    MetadataRequest {
        client: crate::client::ClientId,
        topics: Vec<String>,
    },
    /// A consumer's request to a broker about its group (FindCoordinator, JoinGroup, …).
    GroupRequest {
        consumer: u32,
        broker: u32,
        request: u64,
        group: u32,
        body: crate::group::coordinator::GroupRequest,
    },
    GroupResponse {
        consumer: u32,
        broker: u32,
        request: u64,
        body: crate::group::coordinator::GroupResponse,
    },
    /// A consumer's Fetch to a partition leader.
    ConsumerFetch {
        consumer: u32,
        broker: u32,
        request: u64,
        parts: Vec<crate::group::fetch::ConsumerFetchPart>,
        limits: crate::group::fetch::FetchLimits,
    },
    /// `None` parts: the connection broke before an answer came.
    ConsumerFetchResponse {
        consumer: u32,
        broker: u32,
        request: u64,
        parts: Option<Vec<(u32, crate::group::fetch::ConsumerFetchResult)>>,
    },
    /// DeleteRecords to a partition leader: `(slot, offset)`, the records before `offset` to
    /// delete (`delete_records.rs`). Sent by a stream thread's admin client, from the
    /// thread's process (the consumer's node: the same instance, the same links).
    DeleteRecords {
        consumer: u32,
        broker: u32,
        parts: Vec<(u32, u64)>,
    },
    /// A client (a producer or a consumer) opening a connection to a broker again after its
    /// last one broke (`connection.rs`): Kafka's `NetworkClient.initiateConnect`. The first
    /// connections are not modelled: a client starts connected to every broker.
    Connect { client: Node, broker: u32 },
    /// The broker's side of a connection attempt: accepted, or refused because the broker is down
    /// (a dead process's port answers with a reset).
    ConnectResponse {
        client: Node,
        broker: u32,
        accepted: bool,
    },
}

/// A node on the simulated network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Node {
    Broker(u32),
    Producer(u32),
    Consumer(u32),
    Controller,
}

impl Message {
    /// Every record id the message carries (a message in flight keeps its records alive).
    pub fn for_each_record(&self, f: &mut impl FnMut(RecordId)) {
        match self {
            Message::Produce { batches, .. } => {
                for b in batches {
                    b.records.iter().for_each(|&id| f(id));
                }
            }
            Message::FetchResponse { parts, .. } => {
                for (_, part) in parts {
                    if let FetchPartResult::Records { entries, .. } = part {
                        entries.iter().for_each(|e| f(e.id));
                    }
                }
            }
            Message::ConsumerFetchResponse { parts, .. } => {
                for (_, part) in parts.iter().flatten() {
                    if let crate::group::fetch::ConsumerFetchResult::Records { records, .. } = part
                    {
                        records.iter().for_each(|&(_, id)| f(id));
                    }
                }
            }
            // Listed one by one so that a new message carrying records is not forgotten here.
            Message::ProduceResponse { .. }
            | Message::Fetch { .. }
            | Message::FetchFailed { .. }
            | Message::AlterPartition { .. }
            | Message::AlterPartitionResponse { .. }
            | Message::Metadata { .. }
            | Message::MetadataRequest { .. }
            | Message::GroupRequest { .. }
            | Message::GroupResponse { .. }
            | Message::ConsumerFetch { .. }
            | Message::DeleteRecords { .. }
            | Message::Connect { .. }
            | Message::ConnectResponse { .. } => {}
        }
    }

    /// Heap bytes the message owns beyond its own size (record lists), for the memory measure.
    pub fn payload_bytes(&self) -> usize {
        match self {
            Message::Produce { batches, .. } => batches
                .iter()
                .map(|b| size_of::<ProduceBatch>() + b.records.capacity() * size_of::<RecordId>())
                .sum(),
            Message::FetchResponse { parts, .. } => parts
                .iter()
                .map(|(_, p)| {
                    size_of::<(u32, FetchPartResult)>()
                        + match p {
                            FetchPartResult::Records { entries, .. } => {
                                entries.capacity() * size_of::<crate::log::Entry>()
                            }
                            _ => 0,
                        }
                })
                .sum(),
            Message::ConsumerFetchResponse {
                parts: Some(parts), ..
            } => parts
                .iter()
                .map(|(_, p)| {
                    size_of::<(u32, crate::group::fetch::ConsumerFetchResult)>()
                        + match p {
                            crate::group::fetch::ConsumerFetchResult::Records {
                                records, ..
                            } => records.capacity() * size_of::<(u64, RecordId)>(),
                            _ => 0,
                        }
                })
                .sum(),
            _ => 0,
        }
    }

    /// The connection a message travels on (sender, receiver). Messages on one connection arrive in
    /// the order they were sent, as over TCP.
    pub fn link(&self) -> (Node, Node) {
        match self {
            Message::Produce {
                producer, broker, ..
            } => (Node::Producer(*producer), Node::Broker(*broker)),
            Message::Connect { client, broker } => (*client, Node::Broker(*broker)),
            Message::ProduceResponse {
                producer, broker, ..
            } => (Node::Broker(*broker), Node::Producer(*producer)),
            Message::ConnectResponse { client, broker, .. } => (Node::Broker(*broker), *client),
            Message::Fetch {
                follower, leader, ..
            } => (Node::Broker(*follower), Node::Broker(*leader)),
            Message::FetchResponse {
                follower, leader, ..
            }
            | Message::FetchFailed {
                follower, leader, ..
            } => (Node::Broker(*leader), Node::Broker(*follower)),
            Message::AlterPartition { leader, .. } => (Node::Broker(*leader), Node::Controller),
            Message::Metadata { broker, .. } => (Node::Controller, Node::Broker(*broker)),
            Message::AlterPartitionResponse { leader, .. } => {
                (Node::Controller, Node::Broker(*leader))
            }
            // The answering broker is not modelled: the KRaft metadata answers.
            Message::MetadataRequest { client, .. } => (Node::from(*client), Node::Controller),
            Message::GroupRequest {
                consumer, broker, ..
            }
            | Message::ConsumerFetch {
                consumer, broker, ..
            }
            | Message::DeleteRecords {
                consumer, broker, ..
            } => (Node::Consumer(*consumer), Node::Broker(*broker)),
            Message::GroupResponse {
                consumer, broker, ..
            }
            | Message::ConsumerFetchResponse {
                consumer, broker, ..
            } => (Node::Broker(*broker), Node::Consumer(*consumer)),
        }
    }
}

/// What is cut: broker↔broker links (`network partition A / B`) and isolated brokers (`network
/// isolate N`: cut from every other node, the KRaft controller and the clients included).
#[derive(Debug, Clone, Default)]
pub struct Network {
    cut: BTreeSet<(u32, u32)>,
    pub sides: Option<(Vec<u32>, Vec<u32>)>,
    /// Isolated brokers, with the instant each was cut off.
    isolated: BTreeMap<u32, crate::time::Micros>,
    /// The latest delivery time scheduled on each connection (keeps connections FIFO under jitter).
    last_delivery: BTreeMap<(Node, Node), crate::time::Micros>,
}

impl Network {
    pub fn partition(&mut self, a: &[u32], b: &[u32]) {
        for &x in a {
            for &y in b {
                self.cut.insert((x.min(y), x.max(y)));
            }
        }
        self.sides = Some((a.to_vec(), b.to_vec()));
    }

    /// Cuts `broker` off from everyone from `now` on (a second isolate of the same broker keeps the
    /// first instant: its heartbeats stopped reaching the controller then).
    pub fn isolate(&mut self, broker: u32, now: crate::time::Micros) {
        self.isolated.entry(broker).or_insert(now);
    }

    pub fn heal(&mut self) {
        self.cut.clear();
        self.sides = None;
        self.isolated.clear();
    }

    /// When a message sent now on `link` arrives: latency plus jitter, never before an earlier
    /// message on the same connection.
    pub fn arrival(
        &mut self,
        link: (Node, Node),
        earliest: crate::time::Micros,
    ) -> crate::time::Micros {
        let last = self.last_delivery.entry(link).or_insert(0);
        let at = earliest.max(*last);
        *last = at;
        at
    }

    /// Whether two brokers can talk: neither is isolated and their link is not cut.
    pub fn connected(&self, a: u32, b: u32) -> bool {
        !self.cut.contains(&(a.min(b), a.max(b))) && !self.is_isolated(a) && !self.is_isolated(b)
    }

    /// Whether a message can travel between two nodes. `network partition` cuts only broker links:
    /// clients and the controller still reach every broker. An isolated broker reaches no one.
    pub fn reaches(&self, (from, to): (Node, Node)) -> bool {
        match (from, to) {
            (Node::Broker(a), Node::Broker(b)) => self.connected(a, b),
            (Node::Broker(b), _) | (_, Node::Broker(b)) => !self.is_isolated(b),
            _ => true,
        }
    }

    pub fn is_isolated(&self, broker: u32) -> bool {
        self.isolated.contains_key(&broker)
    }

    /// Since when `broker` has been isolated, if it is.
    pub fn isolated_since(&self, broker: u32) -> Option<crate::time::Micros> {
        self.isolated.get(&broker).copied()
    }

    /// The isolated brokers, in id order.
    pub fn isolated(&self) -> impl Iterator<Item = (u32, crate::time::Micros)> + '_ {
        self.isolated.iter().map(|(&b, &t)| (b, t))
    }

    /// Every broker↔broker link that cannot carry a message among brokers `1..=brokers`, as
    /// (lower id, higher id) pairs in order: the partition's cut links and every link of an
    /// isolated broker.
    pub fn cut_links(&self, brokers: u32) -> Vec<(u32, u32)> {
        let mut links = Vec::new();
        for a in 1..=brokers {
            for b in a + 1..=brokers {
                if !self.connected(a, b) {
                    links.push((a, b));
                }
            }
        }
        links
    }
}
