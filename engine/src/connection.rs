//! A client's connections to the brokers, as Kafka's `ClusterConnectionStates` keeps them: which
//! broker it may send to now, and when it tries again to reach one whose connection broke.
//!
//! A client (a producer, or a consumer: a group member, a Streams thread's, a Connect task's)
//! starts connected to every broker (the first connections are not modelled). When a broker's
//! process dies its connections break at once (`broker kill`: the clients read a reset) and the
//! client:
//! - sends nothing more to that broker. A producer's batches for its partitions wait in the
//!   accumulator, where they neither count as retries nor travel (Kafka's
//!   `Sender.sendProducerData` drops a leader that is not `client.ready`); a consumer's partitions
//!   led there are not fetched (`Fetcher.prepareFetchRequests` skips a node that
//!   `client.isUnavailable`). Both wait until the metadata names another leader or a new
//!   connection is accepted;
//! - tries to connect again after `reconnect.backoff.ms` (50 ms), doubling after each refusal up
//!   to `reconnect.backoff.max.ms` (1 s) (`ClusterConnectionStates.updateReconnectBackoff`; Kafka
//!   adds ±20 % random jitter, which the playground leaves out), and only while it has something
//!   to send there;
//! - asks for a metadata update on every disconnect, which may come from stale metadata
//!   (`DefaultMetadataUpdater.handleServerDisconnect`).
//!
//! A request that times out closes its connection too (`NetworkClient.handleTimedOutRequests`).
//! A connection attempt lost in a network cut fails after `socket.connection.setup.timeout.ms`
//! (10 s by default).

use std::collections::BTreeMap;

use crate::cluster::Cluster;
use crate::net::{Message, Node};
use crate::time::{Micros, ms, secs};

/// `reconnect.backoff.ms`: the wait before the first attempt to reconnect.
pub const RECONNECT_BACKOFF_US: Micros = ms(50);
/// `reconnect.backoff.max.ms`: the longest wait between two attempts.
pub const RECONNECT_BACKOFF_MAX_US: Micros = secs(1);
/// `socket.connection.setup.timeout.ms`: how long an attempt waits for an answer.
pub const CONNECTION_SETUP_TIMEOUT_US: Micros = secs(10);

/// A broker the client is not connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Down {
    /// Failed attempts since the last connection (Kafka's `failedAttempts`).
    failed_attempts: u32,
    /// When the next attempt may start.
    next_attempt_us: Micros,
    /// An attempt waiting for its answer: its number, so that a late timeout of an earlier
    /// attempt is told apart.
    attempt: Option<u64>,
}

/// The brokers a client is not connected to; every other broker is connected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connections {
    down: BTreeMap<u32, Down>,
    attempts: u64,
}

impl Connections {
    /// No broken connection: the common case, checked first on hot paths.
    pub fn all_up(&self) -> bool {
        self.down.is_empty()
    }

    /// Whether requests may go to `broker` now (Kafka's `NetworkClient.isReady`, less the
    /// in-flight limit the producer checks itself).
    pub fn is_ready(&self, broker: u32) -> bool {
        !self.down.contains_key(&broker)
    }

    /// The connection to `broker` broke, or an attempt to open one failed: wait the backoff,
    /// doubled for every failure since the last connection (`ClusterConnectionStates.disconnected`).
    pub fn disconnected(&mut self, broker: u32, now: Micros) {
        let d = self.down.entry(broker).or_insert(Down {
            failed_attempts: 0,
            next_attempt_us: now,
            attempt: None,
        });
        let backoff = RECONNECT_BACKOFF_US
            .saturating_mul(1 << d.failed_attempts.min(16))
            .min(RECONNECT_BACKOFF_MAX_US);
        d.failed_attempts += 1;
        d.next_attempt_us = now + backoff;
        d.attempt = None;
    }

    /// Starts an attempt to reach `broker` if it is down, none is under way and its backoff is
    /// over: returns the attempt's number (`ClusterConnectionStates.canConnect`).
    pub fn start_attempt(&mut self, broker: u32, now: Micros) -> Option<u64> {
        let d = self.down.get_mut(&broker)?;
        if d.attempt.is_some() || d.next_attempt_us > now {
            return None;
        }
        self.attempts += 1;
        d.attempt = Some(self.attempts);
        Some(self.attempts)
    }

    /// How many connection attempts the client has started in all.
    pub fn attempts_started(&self) -> u64 {
        self.attempts
    }

    /// The attempt under way to `broker`, if any.
    pub fn current_attempt(&self, broker: u32) -> Option<u64> {
        self.down.get(&broker).and_then(|d| d.attempt)
    }

    /// The attempt numbered `attempt` is the one under way to `broker`.
    pub fn is_current_attempt(&self, broker: u32, attempt: u64) -> bool {
        self.down
            .get(&broker)
            .is_some_and(|d| d.attempt == Some(attempt))
    }

    /// The broker accepted the connection.
    pub fn connected(&mut self, broker: u32) {
        self.down.remove(&broker);
    }

    /// When the client should look again at `broker`: the end of its backoff, if it is down and
    /// no attempt is under way.
    pub fn next_attempt_at(&self, broker: u32) -> Option<Micros> {
        self.down
            .get(&broker)
            .filter(|d| d.attempt.is_none())
            .map(|d| d.next_attempt_us)
    }
}

/// The clients' side: Kafka's `NetworkClient`, as the producer's `Sender` and the consumer's
/// `Fetcher` use it.
impl Cluster {
    /// A client's connection states; `None` for a node that keeps none (a broker, the
    /// controller).
    pub(crate) fn connections(&self, client: Node) -> Option<&Connections> {
        match client {
            Node::Producer(p) => Some(&self.producers[p as usize].connections),
            Node::Consumer(c) => Some(&self.consumers[c as usize].connections),
            Node::Broker(_) | Node::Controller => None,
        }
    }

    fn connections_mut(&mut self, client: Node) -> Option<&mut Connections> {
        match client {
            Node::Producer(p) => Some(&mut self.producers[p as usize].connections),
            Node::Consumer(c) => Some(&mut self.consumers[c as usize].connections),
            Node::Broker(_) | Node::Controller => None,
        }
    }

    /// A broker's process died: every client's connection to it breaks at once, as the clients
    /// of a killed process read a reset. What was in flight on it fails (`fail_requests_to`,
    /// `fail_consumer_requests_to`); nothing more is sent there until a new connection is
    /// accepted, and each client asks for a metadata update, the disconnect perhaps coming from
    /// stale metadata. A real client's connection is its own TCP connection to the playground,
    /// which stays up.
    pub(crate) fn clients_lose_connections(&mut self, broker: u32) {
        let now = self.now;
        for id in 0..self.producers.len() {
            let p = &mut self.producers[id];
            if p.external.is_some() {
                continue;
            }
            if p.connections.is_ready(broker) {
                p.connections.disconnected(broker, now);
            }
            p.metadata.update_requested = true;
            self.schedule_tick(id as u32);
        }
        for id in 0..self.consumers.len() as u32 {
            if self.consumer_gone(id) || crate::client::external_group::external_of(id).is_some() {
                continue;
            }
            let c = &mut self.consumers[id as usize];
            if c.connections.is_ready(broker) {
                c.connections.disconnected(broker, now);
            }
            c.metadata.update_requested = true;
        }
    }

    /// Starts a connection attempt from `client` to `broker` if one may start now (the backoff
    /// is over and none is under way): Kafka's `NetworkClient.ready` → `initiateConnect`.
    pub(crate) fn maybe_connect(&mut self, client: Node, broker: u32) {
        let now = self.now;
        if self
            .connections_mut(client)
            .and_then(|c| c.start_attempt(broker, now))
            .is_some()
        {
            self.send(Message::Connect { client, broker });
        }
    }

    /// The answer to a connection attempt.
    pub(crate) fn handle_connect_response(&mut self, client: Node, broker: u32, accepted: bool) {
        let now = self.now;
        let Some(c) = self.connections_mut(client) else {
            return;
        };
        if c.current_attempt(broker).is_none() {
            return;
        }
        if accepted {
            c.connected(broker);
        } else {
            c.disconnected(broker, now);
        }
        match client {
            Node::Producer(id) => {
                if !accepted {
                    self.producers[id as usize].metadata.update_requested = true;
                }
                self.producer_tick(id);
            }
            Node::Consumer(id) => {
                if self.consumer_gone(id) {
                    return;
                }
                if !accepted {
                    self.consumers[id as usize].metadata.update_requested = true;
                }
                self.consumer_poll(id);
            }
            Node::Broker(_) | Node::Controller => {}
        }
    }

    /// A connection attempt had no answer in `socket.connection.setup.timeout.ms`: it failed
    /// as a refused one does, if it is still the attempt under way.
    pub(crate) fn connect_timed_out(&mut self, client: Node, broker: u32, attempt: u64) {
        if self
            .connections(client)
            .is_some_and(|c| c.is_current_attempt(broker, attempt))
        {
            self.handle_connect_response(client, broker, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_50ms_to_1s_and_resets_on_connect() {
        let mut c = Connections::default();
        assert!(c.is_ready(1));
        c.disconnected(1, 0);
        assert!(!c.is_ready(1));
        assert_eq!(c.next_attempt_at(1), Some(ms(50)));
        assert_eq!(c.start_attempt(1, ms(49)), None, "still backing off");
        let mut now = ms(50);
        let mut waits = Vec::new();
        for _ in 0..7 {
            let a = c.start_attempt(1, now).expect("backoff over");
            assert_eq!(c.start_attempt(1, now), None, "one attempt at a time");
            assert!(c.is_current_attempt(1, a));
            c.disconnected(1, now); // refused
            assert!(!c.is_current_attempt(1, a));
            let next = c.next_attempt_at(1).expect("down");
            waits.push((next - now) / 1000);
            now = next;
        }
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000, 1000]);
        c.connected(1);
        assert!(c.is_ready(1) && c.all_up());
        c.disconnected(1, now);
        assert_eq!(
            c.next_attempt_at(1),
            Some(now + ms(50)),
            "a fresh break starts at 50 ms"
        );
    }

    /// A consumer whose partition leader was killed fetches nothing more from it: it tries to
    /// reconnect on the backoff's schedule (50 ms doubling to 1 s) until the controller fences
    /// the broker and the metadata names a new leader, then fetches there. Before, its Fetch was
    /// refused and sent again at once, about every two link delays (159 times in 9 s here).
    #[test]
    fn a_consumer_waits_for_a_dead_leader_on_the_backoff() {
        let src = "seed 3\nbrokers 3 latency=20ms\n\
                   topic create orders partitions=1 replication=3\n\
                   producer add shop topic=orders rate=50/s acks=all\n\
                   group add g topics=orders consumers=1\n\
                   wait 5s\nbroker kill 1\n";
        let script = crate::scenario::parser::parse("t", src).expect("parses");
        let (report, mut cluster) = crate::runner::run(&script, |_| {});
        assert!(report.passed());
        let killed_at = cluster.now();
        let mut fetches_to_dead = std::collections::BTreeSet::new();
        let mut attempts_at = Vec::new();
        let mut seen = 0;
        while cluster.now() < killed_at + secs(8) {
            cluster.advance_to(cluster.next_instant());
            for m in cluster.messages_in_flight() {
                if let Message::ConsumerFetch {
                    broker: 1, request, ..
                } = m
                {
                    fetches_to_dead.insert(*request);
                }
            }
            let started = cluster.consumers[0].connections.attempts_started();
            if started > seen {
                seen = started;
                attempts_at.push((cluster.now() - killed_at) / 1000);
            }
        }
        assert!(
            fetches_to_dead.is_empty(),
            "fetched a dead broker: {fetches_to_dead:?}"
        );
        // The first attempt after 50 ms (plus the failed fetch's way back), then gaps that
        // double to 1 s: about a dozen in 8 s.
        let gaps: Vec<u64> = attempts_at.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            (8..=14).contains(&attempts_at.len()),
            "attempts at {attempts_at:?} ms"
        );
        assert!(gaps.iter().all(|g| *g >= 100), "gaps {gaps:?}");
        assert!(
            gaps.iter().rev().take(3).all(|g| (1000..1100).contains(g)),
            "gaps {gaps:?}"
        );
    }
}
