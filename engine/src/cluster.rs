//! The cluster: brokers, the KRaft controller's metadata, producers, the network and the one timer
//! queue that orders everything. The protocol logic lives in sibling modules, each an
//! `impl Cluster` block with one job: `replication` (fetch, ISR, high watermark), `controller`
//! (fencing, elections), `producer` (accumulator, partitioner, retries), `produce` (the leader's
//! side of a Produce request), `maintenance` (retention and compaction).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::broker::Broker;
use crate::command::{Command, TopicPartition};
use crate::config::{ClusterConfig, TopicConfig};
use crate::event::{Event, TimedEvent};
use crate::limits::{self, MAX_BROKERS};
use crate::net::{Message, Network, Node};
use crate::producer::Producer;
use crate::record::RecordStore;
use crate::time::Micros;

/// Why a command was refused. The cluster is unchanged when `apply` returns one of these.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("the cluster already has brokers; `brokers` must come before any topic")]
    BrokersAlreadySet,
    #[error("a cluster needs between 1 and {max} brokers")]
    BrokerCount { max: u32 },
    #[error("there are no brokers yet: start with `brokers N`")]
    NoBrokers,
    #[error("unknown broker {0}")]
    UnknownBroker(u32),
    #[error("broker {0} is already down")]
    BrokerAlreadyDown(u32),
    #[error("broker {0} is already up")]
    BrokerAlreadyUp(u32),
    #[error("broker {0} is already isolated (network heal reconnects it)")]
    BrokerAlreadyIsolated(u32),
    #[error("topic '{0}' already exists")]
    TopicExists(String),
    #[error("unknown topic '{0}'")]
    UnknownTopic(String),
    #[error("unknown partition {0}")]
    UnknownPartition(TopicPartition),
    #[error(
        "replication {replication} needs at least {replication} brokers, the cluster has {brokers}"
    )]
    ReplicationTooHigh { replication: u32, brokers: u32 },
    #[error("{0}")]
    Invalid(String),
    #[error("producer '{0}' already exists")]
    ProducerExists(String),
    #[error("unknown producer '{0}'")]
    UnknownProducer(String),
    /// Over one of the room's limits (`crate::limits`); the message names the limit.
    #[error("{0}")]
    Limit(String),
}

impl CommandError {
    /// A limit check's result as a command error.
    pub(crate) fn limit(check: Result<(), String>) -> Result<(), CommandError> {
        check.map_err(CommandError::Limit)
    }
}

/// A partition as the controller (the KRaft quorum) records it.
#[derive(Debug, Clone)]
pub struct PartitionMeta {
    pub tp: TopicPartition,
    pub replicas: Vec<u32>,
    pub isr: Vec<u32>,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub partition_epoch: u32,
    /// The broker whose log counts as "the leader's log" for `lost`: the leader, or the last one.
    pub view_broker: Option<u32>,
    /// `topic delete`: the partition's topic is gone and this slot is retired for good (its
    /// index stays, so nothing that names slots is renumbered): no replicas, no log, no leader.
    /// The index into `Cluster::deleted_topics` of the topic it belonged to (`topic_delete.rs`).
    pub retired: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Topic {
    pub name: String,
    pub config: TopicConfig,
    /// Indexes into `Cluster::partitions`, by partition number.
    pub slots: Vec<u32>,
    pub acked: u64,
    pub rejected: u64,
    pub lost: i64,
}

#[derive(Debug, Clone)]
pub(crate) enum Timer {
    /// A message arriving; `sent_us`: when it left (a lost request's timeout runs from there).
    Deliver {
        message: Box<Message>,
        sent_us: Micros,
    },
    /// A client's request lost in a cut: its `request.timeout.ms` passed (`lost.rs`).
    LostRequestTimeout {
        request: u64,
    },
    ProducerTick {
        producer: u32,
    },
    /// A client's connection attempt had no answer within `socket.connection.setup.timeout.ms`
    /// (it or its answer was lost in a network cut).
    ConnectTimeout {
        client: Node,
        broker: u32,
        attempt: u64,
    },
    FetchTimeout {
        follower: u32,
        leader: u32,
        request: u64,
    },
    FetchBackoffOver {
        follower: u32,
        leader: u32,
    },
    ParkedFetchExpired {
        leader: u32,
        request: u64,
    },
    DelayedProduceExpired {
        broker: u32,
        request: u64,
        incarnation: u32,
    },
    IsrExpiration {
        broker: u32,
        incarnation: u32,
    },
    SessionExpiry {
        broker: u32,
        incarnation: u32,
    },
    Unfence {
        broker: u32,
        incarnation: u32,
    },
    LeaderImbalanceCheck,
    RetentionCheck,
    StorageLimitCheck,
    CleanerCheck,
    ConsumerTick {
        consumer: u32,
    },
    /// A client's `metadata.max.age.ms` check.
    MetadataMaxAge {
        client: crate::client::ClientId,
    },
    ConsumerFetchExpired {
        broker: u32,
        request: u64,
    },
    /// A real client's parked Fetch reached its `max_wait_ms` (`client::external_fetch`).
    ExternalFetchExpired {
        client: u32,
        token: u64,
    },
    /// The end of a group's initial rebalance delay, or its rebalance timeout.
    GroupJoinDeadline {
        group: u32,
        token: u64,
    },
    /// A member's session-expiry check.
    MemberExpiry {
        group: u32,
        nonce: u64,
    },
    /// A Streams thread's own loop: restore steps, the commit interval (`streams/runtime`).
    StreamsTick {
        app: u32,
        instance: u32,
        thread: u32,
    },
    /// A Connect task's own loop: polls, offset flushes and commits (`connect/`).
    ConnectTask {
        connector: u32,
        task: u32,
        incarnation: u32,
    },
    /// A distributed Connect worker's loop: heartbeats, rejoins, the scheduled rebalance
    /// (`connect/distributed.rs`).
    ConnectWorker {
        worker: u32,
        token: u64,
    },
    /// A simulated external system's rate adding rows or lines (`connect/command.rs`).
    ConnectSystem {
        system: u32,
        token: u64,
    },
}

#[derive(Debug, Clone)]
struct Scheduled {
    at: Micros,
    seq: u64,
    timer: Timer,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// Most pending timers: a bound that a correct simulation never reaches.
pub const MAX_TIMERS: usize = 10_000_000;
/// Stale timers are purged once the queue holds this many (or twice as many as after the last
/// purge): see `Cluster::purge_stale_timers`.
const PURGE_TIMERS_AT: usize = 1024;

/// The whole simulated cluster. `Clone` is a time-travel checkpoint: it shares every sealed chunk
/// of records and log entries with the original (`shared.rs`), so it costs what changed recently.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub(crate) now: Micros,
    seq: u64,
    timers: BinaryHeap<Reverse<Scheduled>>,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) config: ClusterConfig,
    pub(crate) brokers: Vec<Broker>,
    pub(crate) topics: BTreeMap<String, Topic>,
    pub(crate) partitions: Vec<PartitionMeta>,
    /// Topics removed by `topic delete`, their counts as they were (`topic_delete.rs`): the
    /// retired slots' topic, so a late message or batch about one never reaches a topic
    /// re-created under the same name.
    pub(crate) deleted_topics: Vec<Topic>,
    pub(crate) store: RecordStore,
    pub(crate) producers: Vec<Producer>,
    /// Real Kafka clients and their requests in progress (`client::external`).
    pub(crate) external: crate::client::external::External,
    pub(crate) external_groups: crate::client::external_group::ExternalGroups,
    pub(crate) groups: Vec<crate::group::Group>,
    pub(crate) consumers: Vec<crate::group::Consumer>,
    /// Kafka Streams applications (`streams/runtime`).
    pub(crate) streams: Vec<crate::streams::runtime::StreamsApp>,
    /// Kafka Connect: systems, workers, connectors (`connect/`).
    pub(crate) connect: crate::connect::Connect,
    pub(crate) network: Network,
    /// Requests a cut swallowed whose senders wait for their timeout (`lost.rs`), by request id.
    pub(crate) lost_requests: BTreeMap<u64, crate::lost::LostRequest>,
    pub(crate) next_request: u64,
    events: Vec<TimedEvent>,
    events_dropped: u64,
    /// Timers fired so far: a cost measure (a busy loop in a client shows up here first).
    timers_fired: u64,
    /// Whether to record events at all (benchmarks may turn them off).
    pub record_events: bool,
    /// Whether the room's producer rate limits (`limits::MAX_PRODUCER_RATE_PER_S` and
    /// `MAX_TOTAL_PRODUCER_RATE_PER_S`) apply. They keep a live room ahead of its viewers; a
    /// headless benchmark measuring how fast the engine runs may turn them off.
    pub producer_rate_limits: bool,
    /// Something removed entries from a log: sweep the record store before the next timer.
    pub(crate) reclaim_requested: bool,
    /// Sweep the record store anyway once this many records exist (see `reclaim.rs`).
    pub(crate) next_reclaim_at: u64,
    /// A `StorageLimitCheck` timer is queued (see `maintenance.rs`).
    pub(crate) storage_check_pending: bool,
    /// Purge stale timers once the queue is this long.
    purge_timers_at: usize,
    /// Kafka's metrics, sampled every simulated second (`metrics.rs`).
    pub(crate) metrics: crate::metrics::Metrics,
    /// The seed the cluster was made with: its cluster id is drawn from it (`metadata.rs`).
    pub(crate) seed: u64,
}

impl Cluster {
    pub fn new(seed: u64) -> Self {
        Cluster {
            now: 0,
            seq: 0,
            timers: BinaryHeap::new(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            config: ClusterConfig::default(),
            brokers: Vec::new(),
            topics: BTreeMap::new(),
            partitions: Vec::new(),
            deleted_topics: Vec::new(),
            store: RecordStore::default(),
            producers: Vec::new(),
            groups: Vec::new(),
            consumers: Vec::new(),
            streams: Vec::new(),
            connect: crate::connect::Connect::default(),
            network: Network::default(),
            lost_requests: BTreeMap::new(),
            next_request: 0,
            external: Default::default(),
            external_groups: Default::default(),
            events: Vec::new(),
            events_dropped: 0,
            timers_fired: 0,
            record_events: true,
            producer_rate_limits: true,
            reclaim_requested: false,
            next_reclaim_at: u64::from(crate::reclaim::RECLAIM_EVERY_RECORDS),
            storage_check_pending: false,
            purge_timers_at: PURGE_TIMERS_AT,
            metrics: crate::metrics::Metrics::default(),
            seed,
        }
    }

    pub fn now(&self) -> Micros {
        self.now
    }

    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// Events waiting for `drain_events`.
    pub(crate) fn pending_events(&self) -> usize {
        self.events.capacity()
    }

    /// Takes the events that happened since the last call.
    pub fn drain_events(&mut self) -> Vec<TimedEvent> {
        if self.events_dropped > 0 {
            let count = std::mem::take(&mut self.events_dropped);
            self.events.push(TimedEvent {
                at_us: self.now,
                event: Event::EventsDropped { count },
            });
        }
        std::mem::take(&mut self.events)
    }

    pub(crate) fn emit(&mut self, event: Event) {
        // Metrics count every event, even when a benchmark records none.
        let isr_leader = match &event {
            Event::IsrChanged {
                topic, partition, ..
            } => self
                .topics
                .get(topic)
                .and_then(|t| t.slots.get(*partition as usize))
                .and_then(|&slot| self.partitions[slot as usize].leader),
            _ => None,
        };
        self.metrics.count_event(self.now, &event, isr_leader);
        if !self.record_events {
            return;
        }
        if self.events.len() >= self.config.max_pending_events {
            self.events_dropped += 1;
            return;
        }
        self.events.push(TimedEvent {
            at_us: self.now,
            event,
        });
    }

    pub(crate) fn schedule(&mut self, at: Micros, timer: Timer) {
        debug_assert!(at >= self.now, "timers are never in the past");
        assert!(
            self.timers.len() < MAX_TIMERS,
            "timer queue overflow: a simulation bug"
        );
        self.seq += 1;
        self.timers.push(Reverse(Scheduled {
            at: at.max(self.now),
            seq: self.seq,
            timer,
        }));
    }

    /// Puts a message on the wire. It arrives after the link latency plus a seeded random jitter
    /// (up to `jitter_us`), in order with the other messages of its connection.
    pub(crate) fn send(&mut self, message: Message) {
        let jitter = if self.config.jitter_us > 0 {
            self.rng.random_range(0..=self.config.jitter_us)
        } else {
            0
        };
        let at = self
            .network
            .arrival(message.link(), self.now + self.config.latency_us + jitter);
        let sent_us = self.now;
        self.schedule(
            at,
            Timer::Deliver {
                message: Box::new(message),
                sent_us,
            },
        );
    }

    pub(crate) fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    pub(crate) fn broker(&self, id: u32) -> &Broker {
        &self.brokers[(id - 1) as usize]
    }

    pub(crate) fn broker_mut(&mut self, id: u32) -> &mut Broker {
        &mut self.brokers[(id - 1) as usize]
    }

    pub(crate) fn tp(&self, slot: u32) -> &TopicPartition {
        &self.partitions[slot as usize].tp
    }

    pub(crate) fn topic_of(&self, slot: u32) -> &Topic {
        let meta = &self.partitions[slot as usize];
        match meta.retired {
            Some(t) => &self.deleted_topics[t as usize],
            None => &self.topics[&meta.tp.topic],
        }
    }

    pub(crate) fn topic_of_mut(&mut self, slot: u32) -> &mut Topic {
        let meta = &self.partitions[slot as usize];
        if let Some(t) = meta.retired {
            return &mut self.deleted_topics[t as usize];
        }
        let name = meta.tp.topic.clone();
        self.topics.get_mut(&name).expect("slot's topic exists")
    }

    /// Whether `slot`'s topic was deleted (`topic_delete.rs`).
    pub(crate) fn is_retired(&self, slot: u32) -> bool {
        self.partitions
            .get(slot as usize)
            .is_none_or(|m| m.retired.is_some())
    }

    pub(crate) fn slot_of(&self, tp: &TopicPartition) -> Option<u32> {
        self.topics
            .get(&tp.topic)?
            .slots
            .get(tp.partition as usize)
            .copied()
    }

    /// Runs every timer due at or before `until`, then sets the clock to `until`.
    pub fn advance_to(&mut self, until: Micros) {
        while let Some(Reverse(next)) = self.timers.peek() {
            if next.at > until {
                break;
            }
            // The metrics of every whole second before this timer see the state as it was then.
            self.sample_metrics(next.at, false);
            let Reverse(Scheduled { at, timer, .. }) = self.timers.pop().expect("peeked");
            self.now = at;
            self.timers_fired += 1;
            self.fire(timer);
            // Between timers nothing but the cluster's state holds a record id: a safe moment.
            self.maybe_reclaim();
            if self.timers.len() >= self.purge_timers_at {
                self.purge_stale_timers();
            }
        }
        self.now = self.now.max(until);
        self.sample_metrics(until, true);
    }

    /// The next instant at which something can change: the earliest pending timer or the next
    /// per-second metrics sample, whichever comes first. `advance_to` it and check: that is how
    /// `wait until` stops at the very instant its condition first holds.
    pub fn next_instant(&self) -> Micros {
        let sample = self.metrics_next_sample_us();
        let timer = self.timers.peek().map_or(sample, |Reverse(s)| s.at);
        timer.min(sample).max(self.now)
    }

    /// How many timers have fired since the start (messages delivered included).
    pub fn timers_fired(&self) -> u64 {
        self.timers_fired
    }

    /// Drops the timers that can only fire as no-ops: a follower's fetch timeout for a request that
    /// was answered, an acks=all produce's expiry after it completed. Each fetch and each acks=all
    /// request leaves one behind for `replica.socket.timeout.ms` / `request.timeout.ms` (30 s), so
    /// a busy cluster would carry tens of thousands of them, and every checkpoint would copy them.
    /// Staleness is permanent (request ids are never reused, incarnations only grow) and the
    /// remaining timers keep their (instant, sequence) order, so nothing observable changes.
    fn purge_stale_timers(&mut self) {
        // A lost request whose sender moved on (died, was answered otherwise) is waited on by
        // no one; its timer, if any, then fires as a no-op.
        let mut lost = std::mem::take(&mut self.lost_requests);
        lost.retain(|r, l| self.still_waiting(*r, l));
        self.lost_requests = lost;
        let mut timers = std::mem::take(&mut self.timers);
        timers.retain(|Reverse(s)| !self.is_stale(&s.timer));
        let live = timers.len();
        if timers.capacity() > 4 * live.max(PURGE_TIMERS_AT) {
            timers.shrink_to(2 * live.max(PURGE_TIMERS_AT));
        }
        self.timers = timers;
        self.purge_timers_at = (2 * live).max(PURGE_TIMERS_AT);
    }

    /// Whether a timer's handler would do nothing whenever it fires (see `purge_stale_timers`);
    /// these are exactly the early returns of `fetch_failed` and `delayed_produce_expired`.
    fn is_stale(&self, timer: &Timer) -> bool {
        match timer {
            Timer::FetchTimeout {
                follower,
                leader,
                request,
            } => {
                let f = self.broker(*follower).fetchers.get(leader);
                f.map(|f| f.in_flight) != Some(Some(*request))
            }
            Timer::DelayedProduceExpired {
                broker,
                request,
                incarnation,
            } => {
                let b = self.broker(*broker);
                !(b.alive
                    && b.incarnation == *incarnation
                    && b.purgatory.iter().any(|d| d.request == *request))
            }
            _ => false,
        }
    }

    /// The messages on the network (scheduled deliveries), in no particular order.
    pub(crate) fn messages_in_flight(&self) -> impl Iterator<Item = &Message> {
        self.timers.iter().filter_map(|Reverse(s)| match &s.timer {
            Timer::Deliver { message, .. } => Some(&**message),
            _ => None,
        })
    }

    /// Every pending timer's size on the heap (the memory measure).
    pub(crate) fn timer_bytes(&self) -> usize {
        self.timers.capacity() * size_of::<Reverse<Scheduled>>()
            + self
                .messages_in_flight()
                .map(|m| size_of::<Message>() + m.payload_bytes())
                .sum::<usize>()
    }

    /// The instant of the next pending timer, if any (lets a driver skip idle time).
    pub fn next_timer_at(&self) -> Option<Micros> {
        self.timers.peek().map(|Reverse(s)| s.at)
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::Deliver { message, sent_us } => self.deliver(*message, sent_us),
            Timer::LostRequestTimeout { request } => self.lost_request_timeout(request),
            Timer::ProducerTick { producer } => self.producer_tick(producer),
            Timer::ConnectTimeout {
                client,
                broker,
                attempt,
            } => self.connect_timed_out(client, broker, attempt),
            Timer::FetchTimeout {
                follower,
                leader,
                request,
            } => self.replica_fetch_timed_out(follower, leader, request),
            Timer::FetchBackoffOver { follower, leader } => {
                self.fetch_backoff_over(follower, leader)
            }
            Timer::ParkedFetchExpired { leader, request } => {
                self.parked_fetch_expired(leader, request)
            }
            Timer::DelayedProduceExpired {
                broker,
                request,
                incarnation,
            } => self.delayed_produce_expired(broker, request, incarnation),
            Timer::IsrExpiration {
                broker,
                incarnation,
            } => self.isr_expiration(broker, incarnation),
            Timer::SessionExpiry {
                broker,
                incarnation,
            } => self.session_expiry(broker, incarnation),
            Timer::Unfence {
                broker,
                incarnation,
            } => self.unfence(broker, incarnation),
            Timer::LeaderImbalanceCheck => self.leader_imbalance_check(),
            Timer::RetentionCheck => self.retention_check(),
            Timer::StorageLimitCheck => self.storage_limit_check(),
            Timer::CleanerCheck => self.cleaner_check(),
            Timer::ConsumerTick { consumer } => self.consumer_tick(consumer),
            Timer::MetadataMaxAge { client } => self.metadata_max_age(client),
            Timer::ConsumerFetchExpired { broker, request } => {
                self.consumer_fetch_expired(broker, request)
            }
            Timer::ExternalFetchExpired { client, token } => {
                self.external_fetch_expired(client, token)
            }
            Timer::GroupJoinDeadline { group, token } => self.group_join_deadline(group, token),
            Timer::MemberExpiry { group, nonce } => self.member_expiry(group, nonce),
            Timer::StreamsTick {
                app,
                instance,
                thread,
            } => self.streams_tick(crate::streams::runtime::ThreadRef {
                app,
                instance,
                thread,
            }),
            Timer::ConnectTask {
                connector,
                task,
                incarnation,
            } => {
                self.connect_task_tick(crate::connect::TaskRef { connector, task }, incarnation);
                self.sync_connect_statuses();
            }
            Timer::ConnectWorker { worker, token } => {
                self.worker_tick(worker, token);
                self.sync_connect_statuses();
            }
            Timer::ConnectSystem { system, token } => self.connect_system_tick(system, token),
        }
    }

    /// Hands a message to its destination, or handles its loss.
    fn deliver(&mut self, message: Message, sent_us: Micros) {
        if !self.network.reaches(message.link()) {
            return self.lose(message, sent_us);
        }
        match message {
            Message::Produce {
                producer,
                broker,
                request,
                acks,
                batches,
            } => {
                if self.broker(broker).alive {
                    self.handle_produce(producer, broker, request, acks, batches);
                } else if acks == crate::command::Acks::Zero {
                    // Nobody hears an acks=0 request to a dead broker fail: its records are lost.
                    for b in &batches {
                        self.lose_unsent(&b.records, b.slot);
                    }
                } else {
                    // The connection is refused: every batch fails with a network error.
                    let results =
                        vec![Err(crate::event::ErrorCode::NetworkException); batches.len()];
                    self.send(Message::ProduceResponse {
                        producer,
                        broker,
                        request,
                        results,
                    });
                }
            }
            Message::ProduceResponse {
                producer,
                broker,
                request,
                results,
            } => self.handle_produce_response(producer, broker, request, results),
            Message::Connect { client, broker } => {
                // A live broker accepts; a dead one's port answers with a reset.
                let accepted = self.broker(broker).alive;
                self.send(Message::ConnectResponse {
                    client,
                    broker,
                    accepted,
                });
            }
            Message::ConnectResponse {
                client,
                broker,
                accepted,
            } => self.handle_connect_response(client, broker, accepted),
            Message::Fetch {
                follower,
                leader,
                request,
                parts,
            } => {
                if self.broker(leader).alive {
                    self.handle_fetch(follower, leader, request, parts, true);
                } else if self.broker(follower).alive {
                    self.send(Message::FetchFailed {
                        follower,
                        leader,
                        request,
                    });
                }
            }
            Message::FetchResponse {
                follower,
                leader,
                request,
                parts,
            } => {
                if self.broker(follower).alive {
                    self.handle_fetch_response(follower, leader, request, parts);
                }
            }
            Message::FetchFailed {
                follower,
                leader,
                request,
            } => {
                if self.broker(follower).alive {
                    self.fetch_failed(follower, leader, request);
                }
            }
            Message::AlterPartition {
                leader,
                slot,
                leader_epoch,
                partition_epoch,
                isr,
            } => self.handle_alter_partition(leader, slot, leader_epoch, partition_epoch, isr),
            Message::AlterPartitionResponse {
                leader,
                slot,
                proposed,
            } => {
                if self.broker(leader).alive {
                    self.handle_alter_partition_response(leader, slot, proposed);
                }
            }
            Message::Metadata { broker, slot } => {
                if self.broker(broker).alive {
                    self.apply_metadata(broker, slot);
                }
            }
            Message::MetadataRequest { client, topics } => {
                let response = self.metadata_response(&topics);
                self.handle_metadata_response(client, response);
            }
            Message::GroupRequest {
                consumer,
                broker,
                request,
                group,
                body,
            } => {
                if self.broker(broker).alive
                    && crate::client::external_group::external_of(consumer).is_some()
                {
                    self.external_group_arrives(consumer, broker, request, group, body);
                } else if self.broker(broker).alive {
                    self.handle_group_request(consumer, broker, request, group, body);
                } else if !self.group_client_gone(consumer) {
                    // Connection refused.
                    let body = body.failed(crate::group::coordinator::GroupError::NetworkException);
                    self.send(Message::GroupResponse {
                        consumer,
                        broker,
                        request,
                        body,
                    });
                }
            }
            Message::GroupResponse {
                consumer,
                request,
                body,
                ..
            } => {
                if let Some(w) = crate::connect::distributed::worker_of(consumer) {
                    self.worker_group_response(w, request, body);
                    self.sync_connect_statuses();
                } else if crate::client::external_group::external_of(consumer).is_some() {
                    self.external_group_response(request, body);
                } else if !self.consumer_gone(consumer) {
                    self.handle_group_response(consumer, request, body);
                }
            }
            Message::ConsumerFetch {
                consumer,
                broker,
                request,
                parts,
                limits,
            } => {
                if self.broker(broker).alive {
                    self.handle_consumer_fetch(consumer, broker, request, parts, limits, true);
                } else if !self.consumer_gone(consumer) {
                    self.send(Message::ConsumerFetchResponse {
                        consumer,
                        broker,
                        request,
                        parts: None,
                    });
                }
            }
            Message::ConsumerFetchResponse {
                consumer,
                broker,
                request,
                parts,
            } => {
                if !self.consumer_gone(consumer) {
                    self.handle_consumer_fetch_response(consumer, broker, request, parts);
                }
            }
            Message::DeleteRecords { broker, parts, .. } => {
                // To a dead broker the connection is refused: nothing is deleted.
                if self.broker(broker).alive {
                    self.handle_delete_records(broker, &parts);
                }
            }
        }
    }

    /// Applies a command now. On error nothing has changed.
    pub fn apply(&mut self, command: Command) -> Result<(), CommandError> {
        match command {
            Command::Brokers(spec) => self.cmd_brokers(spec),
            Command::ExternalClientAdd { id, name } => self.cmd_external_client_add(id, name),
            Command::ExternalClientRemove { id } => self.cmd_external_client_remove(id),
            Command::ExternalProduce(request) => self.cmd_external_produce(request),
            Command::ExternalFetch(request) => self.cmd_external_fetch(request),
            Command::ExternalGroup(request) => self.cmd_external_group(request),
            Command::ExternalInitProducerId { broker } => {
                self.cmd_external_init_producer_id(broker)
            }
            Command::TopicCreate(spec) => self.cmd_topic_create(spec),
            Command::TopicDelete { name } => self.cmd_topic_delete(&name),
            Command::ProducerAdd(spec) => self.cmd_producer_add(spec),
            Command::ProducerStop { name } => self.cmd_producer_stop(&name),
            Command::ProducerRate { name, rate } => self.cmd_producer_rate(&name, rate),
            Command::ProducerPause { name, paused } => self.cmd_producer_pause(&name, paused),
            Command::Produce {
                topic,
                key,
                value,
                acks,
                timestamp,
            } => self.cmd_produce(&topic, key, value, acks, timestamp),
            Command::BrokerKill { broker } => self.cmd_broker_down(broker, false),
            Command::BrokerStop { broker } => self.cmd_broker_down(broker, true),
            Command::BrokerRestart { broker } => self.cmd_broker_restart(broker),
            Command::NetworkPartition { side_a, side_b } => {
                self.cmd_network_partition(side_a, side_b)
            }
            Command::NetworkIsolate { broker } => self.cmd_network_isolate(broker),
            Command::NetworkHeal => {
                let isolated: Vec<u32> = self.network.isolated().map(|(b, _)| b).collect();
                self.network.heal();
                self.emit(Event::NetworkHealed);
                for broker in isolated {
                    self.reconnect(broker);
                }
                Ok(())
            }
            Command::ElectPreferred { partition } => self.cmd_elect_preferred(partition),
            Command::GroupAdd(spec) => self.cmd_group_add(spec),
            Command::GroupDelete { name } => self.cmd_group_delete(&name),
            Command::ConsumerAdd(spec) => self.cmd_consumer_add(spec),
            Command::ConsumerStop { name } => self.cmd_consumer_stop(&name),
            Command::ConsumerCrash { name } => self.cmd_consumer_crash(&name),
            Command::ConsumerRestart { name } => self.cmd_consumer_restart(&name),
            Command::ConsumerStall { name } => self.cmd_consumer_stall(&name, true),
            Command::ConsumerResume { name } => self.cmd_consumer_stall(&name, false),
            Command::ConsumerRate { name, rate } => self.cmd_consumer_rate(&name, rate),
            Command::StreamsApp(app) => self.cmd_streams_app(*app),
            Command::StreamsAdd {
                instance,
                app,
                threads,
            } => self.cmd_streams_add(instance, &app, threads),
            Command::StreamsStop { instance } => self.cmd_streams_stop(&instance),
            Command::StreamsCrash { instance } => self.cmd_streams_crash(&instance),
            Command::Connect(c) => {
                let result = self.cmd_connect(c);
                self.sync_connect_statuses();
                result
            }
        }
    }

    fn cmd_brokers(&mut self, spec: crate::command::ClusterSpec) -> Result<(), CommandError> {
        if !self.brokers.is_empty() || !self.topics.is_empty() {
            return Err(CommandError::BrokersAlreadySet);
        }
        if spec.brokers == 0 {
            return Err(CommandError::BrokerCount { max: MAX_BROKERS });
        }
        // Everything is checked before anything changes.
        CommandError::limit(limits::check_brokers(spec.brokers))?;
        if let Some(l) = spec.latency {
            CommandError::limit(limits::check_latency(l))?;
        }
        for (option, value) in [
            ("replica-lag", spec.replica_lag),
            ("session-timeout", spec.broker_session_timeout),
            ("retention-check", spec.retention_check),
        ] {
            if let Some(v) = value {
                CommandError::limit(limits::check_interval(option, v))?;
            }
        }
        if let Some(l) = spec.latency {
            self.config.latency_us = l;
            self.config.jitter_us = l / 2;
        }
        if let Some(v) = spec.replica_lag {
            self.config.replica_lag_time_max_us = v;
        }
        if let Some(v) = spec.broker_session_timeout {
            self.config.broker_session_timeout_us = v;
        }
        if let Some(v) = spec.retention_check {
            self.config.retention_check_interval_us = v;
        }
        for id in 1..=spec.brokers {
            self.brokers.push(Broker::new(id, self.now));
            self.emit(Event::BrokerUp {
                broker: id,
                restarted: false,
            });
            self.schedule(
                self.now + self.config.replica_lag_time_max_us / 2,
                Timer::IsrExpiration {
                    broker: id,
                    incarnation: 0,
                },
            );
        }
        let now = self.now;
        self.schedule(
            now + self.config.leader_imbalance_check_interval_us,
            Timer::LeaderImbalanceCheck,
        );
        self.schedule(
            now + self.config.retention_check_interval_us,
            Timer::RetentionCheck,
        );
        self.schedule(now + self.config.cleaner_backoff_us, Timer::CleanerCheck);
        Ok(())
    }

    pub(crate) fn cmd_topic_create(
        &mut self,
        spec: crate::command::TopicSpec,
    ) -> Result<(), CommandError> {
        let brokers = self.brokers.len() as u32;
        if brokers == 0 {
            return Err(CommandError::NoBrokers);
        }
        if self.topics.contains_key(&spec.name) {
            return Err(CommandError::TopicExists(spec.name));
        }
        if spec.name.is_empty() || spec.name.chars().count() > limits::MAX_NAME_CHARS {
            return Err(CommandError::Invalid(format!(
                "a topic name has 1 to {} characters",
                limits::MAX_NAME_CHARS
            )));
        }
        if spec.partitions == 0 || spec.replication == 0 {
            return Err(CommandError::Invalid(
                "partitions and replication must be at least 1".into(),
            ));
        }
        if spec.replication > brokers {
            return Err(CommandError::ReplicationTooHigh {
                replication: spec.replication,
                brokers,
            });
        }
        // Retired slots (deleted topics) hold nothing and do not count against the room's size.
        let replicas: usize = self.partitions.iter().map(|p| p.replicas.len()).sum();
        let live = self
            .partitions
            .iter()
            .filter(|p| p.retired.is_none())
            .count();
        CommandError::limit(limits::check_topic_size(
            live as u64,
            replicas as u64,
            spec.partitions,
            spec.replication,
        ))?;
        if self.partitions.len() as u64 + u64::from(spec.partitions)
            > u64::from(limits::MAX_PARTITION_SLOTS)
        {
            return Err(CommandError::Limit(format!(
                "the cluster has made {} partitions (deleted topics' included), and makes at most {}",
                self.partitions.len(),
                limits::MAX_PARTITION_SLOTS
            )));
        }
        for (option, value) in [("retention", spec.retention), ("segment", spec.segment)] {
            if let Some(v) = value {
                CommandError::limit(limits::check_setting(option, v))?;
            }
        }
        let mut config = TopicConfig::new(spec.partitions, spec.replication);
        if let Some(m) = spec.min_insync {
            if m == 0 || m > spec.replication {
                return Err(CommandError::Invalid(format!(
                    "min-insync must be between 1 and the replication ({})",
                    spec.replication
                )));
            }
            config.min_insync = m;
        }
        config.unclean_election = spec.unclean_election.unwrap_or(false);
        if let Some(r) = spec.retention {
            config.retention_us = Some(r);
        }
        config.retention_bytes = spec.retention_bytes;
        if let Some(s) = spec.segment {
            config.segment_us = s.max(1);
        }
        if let Some(s) = spec.segment_bytes {
            config.segment_bytes = s.max(1);
        }
        config.compact = spec.cleanup == Some(crate::command::CleanupPolicy::Compact);
        if config.compact && spec.retention.is_none() {
            // cleanup.policy=compact alone does not delete by time.
            config.retention_us = None;
        }
        let ids: Vec<u32> = (1..=brokers).collect();
        let assignments =
            crate::placement::assign_replicas(&ids, spec.partitions, spec.replication);
        let mut slots = Vec::new();
        for (p, replicas) in assignments.iter().enumerate() {
            let slot = self.partitions.len() as u32;
            slots.push(slot);
            let tp = TopicPartition {
                topic: spec.name.clone(),
                partition: p as u32,
            };
            self.partitions.push(PartitionMeta {
                tp,
                replicas: replicas.clone(),
                isr: replicas.clone(),
                leader: None,
                leader_epoch: 0,
                partition_epoch: 0,
                view_broker: None,
                retired: None,
            });
            for &b in replicas {
                self.broker_mut(b)
                    .replicas
                    .insert(slot, crate::broker::Replica::default());
            }
        }
        self.topics.insert(
            spec.name.clone(),
            Topic {
                name: spec.name.clone(),
                config,
                slots: slots.clone(),
                acked: 0,
                rejected: 0,
                lost: 0,
            },
        );
        self.emit(Event::TopicCreated {
            topic: spec.name,
            partitions: spec.partitions,
            replication: spec.replication,
            assignments,
        });
        for slot in slots {
            self.initial_election(slot);
        }
        Ok(())
    }

    fn cmd_network_partition(
        &mut self,
        side_a: Vec<u32>,
        side_b: Vec<u32>,
    ) -> Result<(), CommandError> {
        for &b in side_a.iter().chain(&side_b) {
            if b == 0 || b as usize > self.brokers.len() {
                return Err(CommandError::UnknownBroker(b));
            }
        }
        if side_a.iter().any(|b| side_b.contains(b)) {
            return Err(CommandError::Invalid(
                "a broker cannot be on both sides of a partition".into(),
            ));
        }
        if side_a.is_empty() || side_b.is_empty() {
            return Err(CommandError::Invalid(
                "both sides of a network partition need a broker".into(),
            ));
        }
        self.network.partition(&side_a, &side_b);
        self.emit(Event::NetworkPartitioned { side_a, side_b });
        Ok(())
    }

    pub(crate) fn check_broker(&self, broker: u32) -> Result<(), CommandError> {
        if broker == 0 || broker as usize > self.brokers.len() {
            Err(CommandError::UnknownBroker(broker))
        } else {
            Ok(())
        }
    }

    /// Checks every invariant ARCHITECTURE.md names; panics on a broken one (a simulation bug).
    pub fn check_invariants(&self) {
        for (slot, meta) in self.partitions.iter().enumerate() {
            if meta.retired.is_some() {
                assert!(
                    meta.replicas.is_empty() && meta.leader.is_none(),
                    "a deleted topic's partition {} has no replicas",
                    meta.tp
                );
                assert!(
                    self.brokers
                        .iter()
                        .all(|b| !b.replicas.contains_key(&(slot as u32))),
                    "no broker hosts the deleted partition {}",
                    meta.tp
                );
                continue;
            }
            assert!(
                meta.isr.iter().all(|b| meta.replicas.contains(b)),
                "ISR ⊆ replicas for {}",
                meta.tp
            );
            assert!(
                !meta.isr.is_empty(),
                "the controller never empties an ISR ({})",
                meta.tp
            );
            if let Some(l) = meta.leader {
                assert!(
                    meta.isr.contains(&l),
                    "the leader is in the ISR for {}",
                    meta.tp
                );
            }
            let compacted = self.topics[&meta.tp.topic].config.compact;
            for &b in &meta.replicas {
                let r = &self.broker(b).replicas[&(slot as u32)];
                r.log.check_invariants(compacted);
                assert!(
                    r.high_watermark <= r.log.log_end_offset(),
                    "hw <= leo on broker {b} for {}",
                    meta.tp
                );
            }
        }
        self.check_group_invariants();
    }
}
