//! Requests lost in a network cut, and the senders waiting on them.
//!
//! A request (or its answer) that a cut swallows is failed by nothing: packets simply vanish, so
//! the sender notices only when its own timer runs out, as Kafka's NetworkClient does
//! (`handleTimedOutRequests` disconnects the node and fails what was in flight on it):
//! - a follower's fetch after `replica.socket.timeout.ms` (the existing `FetchTimeout` timer);
//! - a producer's Produce after `request.timeout.ms`, failed with REQUEST_TIMED_OUT and retried
//!   with fresh metadata (Kafka's `Sender.handleProduceResponse`: `wasTimedOut()` →
//!   `Errors.REQUEST_TIMED_OUT`; the disconnect asks for a metadata update);
//! - a consumer's Fetch and group requests after `request.timeout.ms`, a JoinGroup after the
//!   rebalance timeout plus 5 s (`AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE`).
//!
//! Until then the sender waits, heal or no heal: a heal does not bring back what was lost. The
//! snapshot lists these waits so that the page can say why nothing moves ("broker 2's fetch from
//! broker 1 times out in 17 s").
//!
//! What the isolated broker itself loses is not waited on here: its AlterPartition requests are
//! retried until answered (Kafka's `AlterPartitionManager`: "We will not timeout AlterPartition
//! request, instead letting it retry indefinitely"), and the metadata it missed reaches it when it
//! reconnects (a KRaft broker replicates the metadata log from where it stopped): see
//! `Cluster::reconnect`.

use serde::Serialize;

use crate::cluster::{Cluster, Timer};
use crate::command::Acks;
use crate::event::{ErrorCode, Event};
use crate::net::{Message, Node};
use crate::time::Micros;

/// What a sender waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Waiting {
    /// A follower's Fetch to the leader broker.
    ReplicaFetch,
    Produce,
    /// A consumer's Fetch to a partition leader.
    ConsumerFetch,
    /// A consumer's request to its group coordinator (or a FindCoordinator).
    GroupRequest,
}

/// A request that a cut swallowed, or whose answer it swallowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LostRequest {
    pub sender: Node,
    /// The broker the request went to.
    pub broker: u32,
    pub what: Waiting,
    /// When the sender's timeout ends the wait.
    pub until: Micros,
}

impl Cluster {
    /// A message the network could not carry (see `Network::reaches`). `sent_us`: when it left.
    pub(crate) fn lose(&mut self, message: Message, sent_us: Micros) {
        // An answer's request left one link delay before the answer did, give or take the
        // jitter and a parked fetch's wait: the answer carries no send time of its request.
        let request_sent = self.now.saturating_sub(self.config.latency_us);
        match message {
            Message::Produce {
                producer,
                broker,
                request,
                acks,
                batches,
            } => {
                if acks == Acks::Zero {
                    // Nobody waits for an acks=0 request: its records are gone.
                    for b in &batches {
                        self.lose_unsent(&b.records, b.slot);
                    }
                } else {
                    let timeout = self.producers[producer as usize].config.request_timeout_us;
                    self.note_lost(
                        request,
                        Node::Producer(producer),
                        broker,
                        Waiting::Produce,
                        sent_us + timeout,
                    );
                }
            }
            Message::ProduceResponse {
                producer,
                broker,
                request,
                ..
            } => {
                let p = &self.producers[producer as usize];
                if let Some(f) = p.in_flight.get(&request) {
                    let until = f.sent_us + p.config.request_timeout_us;
                    self.note_lost(
                        request,
                        Node::Producer(producer),
                        broker,
                        Waiting::Produce,
                        until,
                    );
                }
            }
            Message::Fetch {
                follower,
                leader,
                request,
                ..
            }
            | Message::FetchResponse {
                follower,
                leader,
                request,
                ..
            }
            | Message::FetchFailed {
                follower,
                leader,
                request,
            } => {
                // The follower's own `replica.socket.timeout.ms` timer (FetchTimeout) ends the wait.
                if let Some(f) = self.broker(follower).fetchers.get(&leader)
                    && f.in_flight == Some(request)
                {
                    let until = f.timeout_at_us;
                    self.lost_requests.entry(request).or_insert(LostRequest {
                        sender: Node::Broker(follower),
                        broker: leader,
                        what: Waiting::ReplicaFetch,
                        until,
                    });
                }
            }
            Message::GroupRequest {
                consumer,
                broker,
                request,
                ..
            } => {
                if let Some(timeout) = self.group_request_timeout(consumer, request) {
                    self.note_lost(
                        request,
                        Node::Consumer(consumer),
                        broker,
                        Waiting::GroupRequest,
                        sent_us + timeout,
                    );
                }
            }
            Message::GroupResponse {
                consumer,
                broker,
                request,
                ..
            } => {
                if let Some(timeout) = self.group_request_timeout(consumer, request) {
                    self.note_lost(
                        request,
                        Node::Consumer(consumer),
                        broker,
                        Waiting::GroupRequest,
                        request_sent + timeout,
                    );
                }
            }
            Message::ConsumerFetch {
                consumer,
                broker,
                request,
                ..
            } => {
                let timeout = self.consumers[consumer as usize].config.request_timeout_us;
                self.note_lost(
                    request,
                    Node::Consumer(consumer),
                    broker,
                    Waiting::ConsumerFetch,
                    sent_us + timeout,
                );
            }
            Message::ConsumerFetchResponse {
                consumer,
                broker,
                request,
                ..
            } => {
                let timeout = self.consumers[consumer as usize].config.request_timeout_us;
                self.note_lost(
                    request,
                    Node::Consumer(consumer),
                    broker,
                    Waiting::ConsumerFetch,
                    request_sent + timeout,
                );
            }
            // Retried or resent when the broker reconnects (`reconnect`); and the controller's
            // answers to clients never cross a broker link.
            Message::AlterPartition { .. }
            | Message::AlterPartitionResponse { .. }
            | Message::Metadata { .. }
            | Message::MetadataRequest { .. } => {}
            // Nobody waits on a purge's answer (`delete_records.rs`): the next purge asks again.
            Message::DeleteRecords { .. } => {}
            // Nobody answers an attempt lost in a cut: it fails when its setup timeout ends.
            Message::Connect { client, broker }
            | Message::ConnectResponse { client, broker, .. } => {
                if let Some(attempt) = self
                    .connections(client)
                    .and_then(|c| c.current_attempt(broker))
                {
                    let at =
                        (sent_us + crate::connection::CONNECTION_SETUP_TIMEOUT_US).max(self.now);
                    self.schedule(
                        at,
                        Timer::ConnectTimeout {
                            client,
                            broker,
                            attempt,
                        },
                    );
                }
            }
        }
    }

    /// Remembers a client's lost request and wakes the client when its timeout passes. A request
    /// already lost once keeps its first deadline (the client's timer started when it sent).
    fn note_lost(&mut self, request: u64, sender: Node, broker: u32, what: Waiting, until: Micros) {
        if self.lost_requests.contains_key(&request) {
            return;
        }
        let until = until.max(self.now);
        self.lost_requests.insert(
            request,
            LostRequest {
                sender,
                broker,
                what,
                until,
            },
        );
        self.schedule(until, Timer::LostRequestTimeout { request });
    }

    /// A lost request's sender gives up on it: the same path as a broken connection.
    pub(crate) fn lost_request_timeout(&mut self, request: u64) {
        let Some(lost) = self.lost_requests.remove(&request) else {
            return;
        };
        if !self.still_waiting(request, &lost) {
            return;
        }
        self.emit(Event::RequestTimedOut {
            sender: self.node_name(lost.sender),
            broker: lost.broker,
            what: lost.what,
        });
        match lost.sender {
            Node::Producer(p) => {
                self.produce_timed_out(p, lost.broker, request, ErrorCode::RequestTimedOut)
            }
            Node::Consumer(c) if lost.what == Waiting::ConsumerFetch => {
                self.handle_consumer_fetch_response(c, lost.broker, request, None)
            }
            Node::Consumer(c) => self.group_request_timed_out(c, request),
            Node::Broker(_) | Node::Controller => {}
        }
    }

    /// A follower's fetch timer fired: its wait (if the fetch was lost) is over.
    pub(crate) fn replica_fetch_timed_out(&mut self, follower: u32, leader: u32, request: u64) {
        if let Some(lost) = self.lost_requests.remove(&request)
            && self.still_waiting(request, &lost)
        {
            self.emit(Event::RequestTimedOut {
                sender: self.node_name(lost.sender),
                broker: leader,
                what: lost.what,
            });
        }
        self.fetch_failed(follower, leader, request);
    }

    /// Whether the sender still waits for this request (it may have died, stopped or moved on).
    pub(crate) fn still_waiting(&self, request: u64, lost: &LostRequest) -> bool {
        match lost.sender {
            Node::Broker(f) => {
                let b = self.broker(f);
                b.alive
                    && b.fetchers
                        .get(&lost.broker)
                        .is_some_and(|x| x.in_flight == Some(request))
            }
            Node::Producer(p) => self.producers[p as usize].in_flight.contains_key(&request),
            Node::Consumer(c) => {
                !self.consumer_gone(c)
                    && match lost.what {
                        Waiting::ConsumerFetch => {
                            self.consumer_fetch_in_flight(c, lost.broker) == Some(request)
                        }
                        _ => self.group_request_timeout(c, request).is_some(),
                    }
            }
            Node::Controller => false,
        }
    }

    /// The senders waiting on a lost request now, by request id.
    pub fn lost_request_waits(&self) -> impl Iterator<Item = &LostRequest> + '_ {
        self.lost_requests
            .iter()
            .filter(|(r, l)| self.still_waiting(**r, l))
            .map(|(_, l)| l)
    }

    /// A node as the page names it: `broker 2`, or a client's name.
    pub fn node_name(&self, node: Node) -> String {
        match node {
            Node::Broker(b) => format!("broker {b}"),
            Node::Producer(p) => self.producers[p as usize].display_name.clone(),
            Node::Consumer(c) => self.consumers[c as usize].name.clone(),
            Node::Controller => "controller".into(),
        }
    }
}
