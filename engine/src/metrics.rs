//! Kafka's metrics of the simulated cluster, one sample per simulated second, under Kafka's own
//! names: the brokers' `ReplicaManager` and `BrokerTopicMetrics` MBeans, the controller's, and the
//! clients' `producer-metrics`, `consumer-fetch-manager-metrics` and
//! `consumer-coordinator-metrics`.
//!
//! **When values are taken.** A sample is taken at every whole simulated second B (1 s, 2 s, …),
//! after every timer due at or before B has run:
//! - a **gauge** (`UnderReplicatedPartitions`, `records-lag-max`, …) is read from the state at B;
//! - a **rate** (`…PerSec`, `…-rate`) is the number of events in the simulated second that ends at
//!   B, (B − 1 s, B], so "per second" is a plain count a teacher can reason about. Kafka's meters
//!   report an exponentially weighted one-minute rate (`OneMinuteRate`) and its client sensors a
//!   rate over a 30-second window; both settle to the same figure when the rate is steady.
//! - an **average** (`request-latency-avg`) is the mean of the values recorded in that second, and
//!   has no value in a second without any (Kafka reports NaN then).
//!
//! Events are counted where they happen (`count_*`, called from the code that emits them), so a
//! second costs one pass over the replicas and the consumers' partitions, not over any log. The
//! last [`HISTORY_SECONDS`] samples are kept for the charts; samples are shared (`Arc`) with
//! time-travel checkpoints, which cost a pointer per sample.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use crate::cluster::Cluster;
use crate::event::{ElectionReason, ErrorCode, Event, IsrChangeReason};
use crate::group::consumer::ClientState;
use crate::time::{Micros, secs};

/// Samples kept: two minutes, what the charts show. A sample of a 6-broker cluster with a few
/// clients is a few kilobytes, so a room's history stays under a megabyte.
pub const HISTORY_SECONDS: usize = 120;

/// One sample every simulated second.
pub const SAMPLE_EVERY_US: Micros = secs(1);

/// Where a metric lives: which MBean or client it is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScopeKind {
    /// The whole cluster: the controller's own metrics, or a broker metric summed over the
    /// brokers (a client metric summed, or its maximum taken, over the clients).
    Cluster,
    /// One broker's MBean (`broker=N`).
    Broker,
    /// `BrokerTopicMetrics` with Kafka's `topic=T` tag, summed over the brokers.
    Topic,
    /// One producer client (Kafka's `client-id` tag): `producer=NAME`.
    Producer,
    /// One consumer client (`client-id`): `consumer=NAME`.
    Consumer,
    /// The consumers of one group (`group=G`), summed or their maximum taken.
    Group,
}

impl ScopeKind {
    /// The tag as written in `expect metric NAME TAG=VALUE`.
    pub fn tag(self) -> &'static str {
        match self {
            ScopeKind::Cluster => "",
            ScopeKind::Broker => "broker",
            ScopeKind::Topic => "topic",
            ScopeKind::Producer => "producer",
            ScopeKind::Consumer => "consumer",
            ScopeKind::Group => "group",
        }
    }

    pub fn from_tag(tag: &str) -> Option<ScopeKind> {
        [
            ScopeKind::Broker,
            ScopeKind::Topic,
            ScopeKind::Producer,
            ScopeKind::Consumer,
            ScopeKind::Group,
        ]
        .into_iter()
        .find(|k| k.tag() == tag)
    }
}

/// A metric's scope with its value: the whole cluster, `broker=2`, `producer=p`, …
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Cluster,
    Broker(u32),
    Topic(String),
    Producer(String),
    Consumer(String),
    Group(String),
}

impl Scope {
    pub fn kind(&self) -> ScopeKind {
        match self {
            Scope::Cluster => ScopeKind::Cluster,
            Scope::Broker(_) => ScopeKind::Broker,
            Scope::Topic(_) => ScopeKind::Topic,
            Scope::Producer(_) => ScopeKind::Producer,
            Scope::Consumer(_) => ScopeKind::Consumer,
            Scope::Group(_) => ScopeKind::Group,
        }
    }
}

impl fmt::Display for Scope {
    /// `broker=2`, `producer=p`; the empty string for the cluster.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Cluster => Ok(()),
            Scope::Broker(b) => write!(f, "broker={b}"),
            Scope::Topic(t) => write!(f, "topic={t}"),
            Scope::Producer(p) => write!(f, "producer={p}"),
            Scope::Consumer(c) => write!(f, "consumer={c}"),
            Scope::Group(g) => write!(f, "group={g}"),
        }
    }
}

/// Every metric the playground computes, by Kafka's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Name {
    UnderReplicatedPartitions,
    UnderMinIsrPartitionCount,
    OfflinePartitionsCount,
    ActiveControllerCount,
    IsrShrinksPerSec,
    IsrExpandsPerSec,
    LeaderElectionRateAndTimeMs,
    UncleanLeaderElectionsPerSec,
    MessagesInPerSec,
    BytesInPerSec,
    FailedProduceRequestsPerSec,
    RecordSendRate,
    RecordErrorRate,
    RecordRetryRate,
    RequestLatencyAvg,
    RecordsConsumedRate,
    RecordsLagMax,
    RebalanceTotal,
    RebalanceLatencyAvg,
}

/// A metric's documentation: Kafka's name, where Kafka reports it, what the playground measures.
#[derive(Debug, Clone, Copy)]
pub struct Definition {
    pub name: Name,
    /// Kafka's name, exactly as JMX or the client's `metrics()` shows it.
    pub text: &'static str,
    /// Kafka's MBean (`kafka.server:type=ReplicaManager`) or client metric group.
    pub mbean: &'static str,
    /// The scopes it can be asked for; the first is the default when a line gives none.
    pub scopes: &'static [ScopeKind],
    pub definition: &'static str,
}

use ScopeKind::{Broker as B, Cluster as C, Consumer as Co, Group as G, Producer as P, Topic as T};

/// Every metric, in the order the panel lists them.
pub const DEFINITIONS: &[Definition] = &[
    Definition {
        name: Name::UnderReplicatedPartitions,
        text: "UnderReplicatedPartitions",
        mbean: "kafka.server:type=ReplicaManager",
        scopes: &[C, B],
        definition: "partitions this broker leads whose ISR is smaller than their replica list \
                     (the broker's own view; a partition without a leader is counted by nobody)",
    },
    Definition {
        name: Name::UnderMinIsrPartitionCount,
        text: "UnderMinIsrPartitionCount",
        mbean: "kafka.server:type=ReplicaManager",
        scopes: &[C, B],
        definition: "partitions this broker leads whose ISR is smaller than min.insync.replicas",
    },
    Definition {
        name: Name::OfflinePartitionsCount,
        text: "OfflinePartitionsCount",
        mbean: "kafka.controller:type=KafkaController",
        scopes: &[C],
        definition: "partitions without a leader, as the controller records them",
    },
    Definition {
        name: Name::ActiveControllerCount,
        text: "ActiveControllerCount",
        mbean: "kafka.controller:type=KafkaController",
        scopes: &[C],
        definition: "active controllers: 1 (the playground's KRaft quorum is always available)",
    },
    Definition {
        name: Name::IsrShrinksPerSec,
        text: "IsrShrinksPerSec",
        mbean: "kafka.server:type=ReplicaManager",
        scopes: &[C, B],
        definition: "ISR shrinks a leader made itself: AlterPartition removals committed by the \
                     controller (replica.lag.time.max.ms); a fenced broker removed by the \
                     controller does not count, as in Kafka",
    },
    Definition {
        name: Name::IsrExpandsPerSec,
        text: "IsrExpandsPerSec",
        mbean: "kafka.server:type=ReplicaManager",
        scopes: &[C, B],
        definition: "ISR expansions a leader made: a follower caught up and the controller \
                     committed the AlterPartition",
    },
    Definition {
        name: Name::LeaderElectionRateAndTimeMs,
        text: "LeaderElectionRateAndTimeMs",
        mbean: "kafka.controller:type=ControllerStats",
        scopes: &[C],
        definition: "leader elections that gave a partition a new leader (clean, unclean, \
                     preferred, controlled shutdown; not topic creation); the simulated \
                     controller elects in no time, so only the rate is shown",
    },
    Definition {
        name: Name::UncleanLeaderElectionsPerSec,
        text: "UncleanLeaderElectionsPerSec",
        mbean: "kafka.controller:type=ControllerStats",
        scopes: &[C],
        definition: "leader elections of a replica outside the ISR (unclean.leader.election.enable)",
    },
    Definition {
        name: Name::MessagesInPerSec,
        text: "MessagesInPerSec",
        mbean: "kafka.server:type=BrokerTopicMetrics",
        scopes: &[C, B, T],
        definition: "records a leader appended from producers (duplicates of retried batches \
                     are not appended, follower fetches not counted)",
    },
    Definition {
        name: Name::BytesInPerSec,
        text: "BytesInPerSec",
        mbean: "kafka.server:type=BrokerTopicMetrics",
        scopes: &[C, B, T],
        definition: "bytes of those records (a record's size is key + value + 10 bytes)",
    },
    Definition {
        name: Name::FailedProduceRequestsPerSec,
        text: "FailedProduceRequestsPerSec",
        mbean: "kafka.server:type=BrokerTopicMetrics",
        scopes: &[C, B, T],
        definition: "partition appends a leader refused for an unexpected reason: \
                     NOT_ENOUGH_REPLICAS, OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_RECORD; \
                     NOT_LEADER_OR_FOLLOWER is a known error and not counted, as in Kafka",
    },
    Definition {
        name: Name::RecordSendRate,
        text: "record-send-rate",
        mbean: "producer-metrics",
        scopes: &[P, C],
        definition: "records the producer sent in Produce requests, retries included",
    },
    Definition {
        name: Name::RecordErrorRate,
        text: "record-error-rate",
        mbean: "producer-metrics",
        scopes: &[P, C],
        definition: "records whose send failed for good (not retriable, or delivery.timeout.ms)",
    },
    Definition {
        name: Name::RecordRetryRate,
        text: "record-retry-rate",
        mbean: "producer-metrics",
        scopes: &[P, C],
        definition: "records put back in the accumulator to be sent again",
    },
    Definition {
        name: Name::RequestLatencyAvg,
        text: "request-latency-avg",
        mbean: "producer-metrics",
        scopes: &[P],
        definition: "mean time in ms from sending a Produce request to its response, over the \
                     responses of the second (none in a second without responses)",
    },
    Definition {
        name: Name::RecordsConsumedRate,
        text: "records-consumed-rate",
        mbean: "consumer-fetch-manager-metrics",
        scopes: &[Co, G, C],
        definition: "records poll() handed to the application",
    },
    Definition {
        name: Name::RecordsLagMax,
        text: "records-lag-max",
        mbean: "consumer-fetch-manager-metrics",
        scopes: &[Co, G, C],
        definition: "the largest lag among the consumer's partitions: the leader's high \
                     watermark minus the consumer's position (none without positions)",
    },
    Definition {
        name: Name::RebalanceTotal,
        text: "rebalance-total",
        mbean: "consumer-coordinator-metrics",
        scopes: &[Co],
        definition: "rebalances the consumer completed (JoinGroup then SyncGroup), since it started",
    },
    Definition {
        name: Name::RebalanceLatencyAvg,
        text: "rebalance-latency-avg",
        mbean: "consumer-coordinator-metrics",
        scopes: &[Co],
        definition: "mean time in ms from starting to rejoin to receiving the assignment, over \
                     all its rebalances (Kafka: over its 30-second sample windows)",
    },
];

impl Name {
    pub fn definition(self) -> &'static Definition {
        DEFINITIONS
            .iter()
            .find(|d| d.name == self)
            .expect("every name is defined")
    }

    pub fn text(self) -> &'static str {
        self.definition().text
    }

    pub fn from_text(text: &str) -> Option<Name> {
        DEFINITIONS.iter().find(|d| d.text == text).map(|d| d.name)
    }
}

/// One simulated second's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// The whole second B the sample was taken at.
    pub at_us: Micros,
    pub values: BTreeMap<(Name, Scope), f64>,
}

impl Sample {
    /// The value, or `None` when the metric has none in that scope (a stopped client, a second
    /// without responses).
    pub fn get(&self, name: Name, scope: &Scope) -> Option<f64> {
        self.values.get(&(name, scope.clone())).copied()
    }

    fn set(&mut self, name: Name, scope: Scope, value: f64) {
        self.values.insert((name, scope), value);
    }

    /// An estimate of its heap bytes (for the room's memory budget).
    pub fn heap_bytes(&self) -> usize {
        self.values.len() * (size_of::<(Name, Scope)>() + size_of::<f64>() + 24)
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct BrokerCounts {
    messages_in: u64,
    bytes_in: u64,
    failed_produce: u64,
    isr_shrinks: u64,
    isr_expands: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct ProducerCounts {
    sent: u64,
    errors: u64,
    retries: u64,
    latency_us: Micros,
    responses: u64,
}

/// What happened in the second in progress.
#[derive(Debug, Clone, Default)]
struct Counts {
    brokers: BTreeMap<u32, BrokerCounts>,
    /// (messages in, bytes in, failed produce) per topic.
    topics: BTreeMap<String, (u64, u64, u64)>,
    elections: u64,
    unclean_elections: u64,
    producers: BTreeMap<String, ProducerCounts>,
    consumed: BTreeMap<String, u64>,
}

/// A consumer's rebalances, since it started (Kafka's `lastRebalanceStartMs` and the
/// `successfulRebalanceSensor`).
#[derive(Debug, Clone, Copy, Default)]
struct Rebalances {
    started_us: Option<Micros>,
    total: u64,
    latency_us: Micros,
}

/// The samples and the counts of the second in progress; part of the cluster, so a time-travel
/// checkpoint carries its own history.
#[derive(Debug, Clone)]
pub struct Metrics {
    counts: Counts,
    rebalances: BTreeMap<String, Rebalances>,
    next_sample_us: Micros,
    history: VecDeque<Arc<Sample>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            counts: Counts::default(),
            rebalances: BTreeMap::new(),
            next_sample_us: SAMPLE_EVERY_US,
            history: VecDeque::with_capacity(HISTORY_SECONDS),
        }
    }
}

/// Adds to a count kept by name, allocating the name only the first time.
fn bump<V: Default>(map: &mut BTreeMap<String, V>, key: &str, f: impl FnOnce(&mut V)) {
    match map.get_mut(key) {
        Some(v) => f(v),
        None => f(map.entry(key.to_string()).or_default()),
    }
}

impl Metrics {
    /// The newest sample: what `expect metric` reads and the panel shows.
    pub fn latest(&self) -> Option<&Sample> {
        self.history.back().map(|s| &**s)
    }

    /// The last [`HISTORY_SECONDS`] samples, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &Sample> {
        self.history.iter().map(|s| &**s)
    }

    /// Each kept sample's identity and bytes (shared with checkpoints: count each once).
    pub(crate) fn for_each_sample(&self, f: &mut dyn FnMut(usize, usize)) {
        for s in &self.history {
            f(Arc::as_ptr(s) as usize, s.heap_bytes());
        }
    }

    /// A leader appended `count` records of `bytes` from a producer (`ReplicaManager
    /// .appendToLocalLog` marks `messagesInRate` and `bytesInRate`).
    pub(crate) fn count_append(&mut self, broker: u32, topic: &str, count: u64, bytes: u64) {
        let b = self.counts.brokers.entry(broker).or_default();
        b.messages_in += count;
        b.bytes_in += bytes;
        bump(&mut self.counts.topics, topic, |t| {
            t.0 += count;
            t.1 += bytes;
        });
    }

    /// A leader refused a partition's batch. Kafka marks `failedProduceRequestRate` except for the
    /// errors it calls known (`NotLeaderOrFollowerException`, unknown partition, too large).
    pub(crate) fn count_failed_append(&mut self, broker: u32, topic: &str, error: ErrorCode) {
        if error == ErrorCode::NotLeaderOrFollower {
            return;
        }
        self.counts
            .brokers
            .entry(broker)
            .or_default()
            .failed_produce += 1;
        bump(&mut self.counts.topics, topic, |t| t.2 += 1);
    }

    /// A producer sent a Produce request holding `records` (Kafka's `recordsPerRequestSensor`).
    pub(crate) fn count_send(&mut self, producer: &str, records: u64) {
        bump(&mut self.counts.producers, producer, |p| p.sent += records);
    }

    /// A Produce response arrived `latency` after its request left (`request-latency`).
    pub(crate) fn count_response(&mut self, producer: &str, latency: Micros) {
        bump(&mut self.counts.producers, producer, |p| {
            p.latency_us += latency;
            p.responses += 1;
        });
    }

    /// Counts what an event says, for the metrics whose events carry everything needed. The
    /// leader whose AlterPartition changed an ISR is passed in (the event names the partition).
    pub(crate) fn count_event(&mut self, now: Micros, event: &Event, isr_leader: Option<u32>) {
        match event {
            Event::IsrChanged { reason, .. } => {
                // Only the leader's own AlterPartition marks Kafka's meters
                // (`Partition.handleAlterPartitionUpdate` → `markIsrShrink`/`markIsrExpand`);
                // the controller's removal of a fenced or shut-down broker does not.
                if let Some(leader) = isr_leader {
                    let b = self.counts.brokers.entry(leader).or_default();
                    match reason {
                        IsrChangeReason::Lagging => b.isr_shrinks += 1,
                        IsrChangeReason::CaughtUp => b.isr_expands += 1,
                        _ => {}
                    }
                }
            }
            Event::LeaderElected { leader, reason, .. }
                if leader.is_some() && *reason != ElectionReason::Initial =>
            {
                self.counts.elections += 1;
                if *reason == ElectionReason::Unclean {
                    self.counts.unclean_elections += 1;
                }
            }
            Event::ProduceRetried {
                producer, count, ..
            } => bump(&mut self.counts.producers, producer, |p| {
                p.retries += u64::from(*count)
            }),
            Event::ProduceRejected {
                producer, count, ..
            } => bump(&mut self.counts.producers, producer, |p| {
                p.errors += u64::from(*count)
            }),
            Event::RecordsConsumed {
                consumer, count, ..
            } => bump(&mut self.counts.consumed, consumer, |c| {
                *c += u64::from(*count)
            }),
            // `AbstractCoordinator`: the rebalance starts at the first JoinGroup of a round…
            Event::ConsumerJoining { consumer, .. } => bump(&mut self.rebalances, consumer, |r| {
                r.started_us.get_or_insert(now);
            }),
            // …and succeeds when SyncGroup hands out the assignment.
            Event::PartitionsAssigned { consumer, .. } => {
                bump(&mut self.rebalances, consumer, |r| {
                    if let Some(start) = r.started_us.take() {
                        r.total += 1;
                        r.latency_us += now - start;
                    }
                })
            }
            _ => {}
        }
    }
}

/// Microseconds as Kafka's milliseconds.
fn as_ms(us: Micros) -> f64 {
    us as f64 / 1000.0
}

impl Cluster {
    /// Kafka's metrics: the newest sample and the recent history.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// When the next per-second sample is taken.
    pub(crate) fn metrics_next_sample_us(&self) -> Micros {
        self.metrics.next_sample_us
    }

    /// Takes the samples of every whole second before `before` (called before a timer at
    /// `before` runs) or up to and including it (`inclusive`, at the end of `advance_to`).
    pub(crate) fn sample_metrics(&mut self, before: Micros, inclusive: bool) {
        while self.metrics.next_sample_us < before
            || inclusive && self.metrics.next_sample_us == before
        {
            let at = self.metrics.next_sample_us;
            let sample = self.take_sample(at);
            let m = &mut self.metrics;
            if m.history.len() == HISTORY_SECONDS {
                m.history.pop_front();
            }
            m.history.push_back(Arc::new(sample));
            m.next_sample_us = at + SAMPLE_EVERY_US;
        }
    }

    /// Reads the gauges from the state now and turns the second's counts into rates.
    fn take_sample(&mut self, at: Micros) -> Sample {
        let counts = std::mem::take(&mut self.metrics.counts);
        let mut s = Sample {
            at_us: at,
            values: BTreeMap::new(),
        };
        self.sample_brokers(&mut s, &counts);
        self.sample_producers(&mut s, &counts);
        self.sample_consumers(&mut s, &counts);
        s
    }

    fn sample_brokers(&self, s: &mut Sample, counts: &Counts) {
        let mut total = [0.0f64; 7];
        for b in &self.brokers {
            // A dead broker's JMX is gone: it reports nothing, and its counts were zero.
            let (mut urp, mut under_min) = (0u32, 0u32);
            if b.alive {
                for (&slot, r) in &b.replicas {
                    if !r.is_leader(b.id) {
                        continue;
                    }
                    let meta = &self.partitions[slot as usize];
                    let isr = r.isr.len();
                    // `Partition.isUnderReplicated` / `isUnderMinIsr`, on this broker's own view.
                    if isr < meta.replicas.len() {
                        urp += 1;
                    }
                    if (isr as u32) < self.topic_of(slot).config.min_insync {
                        under_min += 1;
                    }
                }
            }
            let c = counts.brokers.get(&b.id).copied().unwrap_or_default();
            let values = [
                (Name::UnderReplicatedPartitions, f64::from(urp)),
                (Name::UnderMinIsrPartitionCount, f64::from(under_min)),
                (Name::IsrShrinksPerSec, c.isr_shrinks as f64),
                (Name::IsrExpandsPerSec, c.isr_expands as f64),
                (Name::MessagesInPerSec, c.messages_in as f64),
                (Name::BytesInPerSec, c.bytes_in as f64),
                (Name::FailedProduceRequestsPerSec, c.failed_produce as f64),
            ];
            for (i, (name, v)) in values.into_iter().enumerate() {
                s.set(name, Scope::Broker(b.id), v);
                total[i] += v;
            }
        }
        let cluster = [
            Name::UnderReplicatedPartitions,
            Name::UnderMinIsrPartitionCount,
            Name::IsrShrinksPerSec,
            Name::IsrExpandsPerSec,
            Name::MessagesInPerSec,
            Name::BytesInPerSec,
            Name::FailedProduceRequestsPerSec,
        ];
        for (name, v) in cluster.into_iter().zip(total) {
            s.set(name, Scope::Cluster, v);
        }
        let offline = self
            .partitions
            .iter()
            .filter(|p| p.leader.is_none())
            .count();
        s.set(Name::OfflinePartitionsCount, Scope::Cluster, offline as f64);
        s.set(Name::ActiveControllerCount, Scope::Cluster, 1.0);
        let elections = counts.elections as f64;
        s.set(Name::LeaderElectionRateAndTimeMs, Scope::Cluster, elections);
        let unclean = counts.unclean_elections as f64;
        s.set(Name::UncleanLeaderElectionsPerSec, Scope::Cluster, unclean);
        for name in self.topics.keys() {
            let (m, by, f) = counts.topics.get(name).copied().unwrap_or_default();
            let scope = Scope::Topic(name.clone());
            s.set(Name::MessagesInPerSec, scope.clone(), m as f64);
            s.set(Name::BytesInPerSec, scope.clone(), by as f64);
            s.set(Name::FailedProduceRequestsPerSec, scope, f as f64);
        }
    }

    fn sample_producers(&self, s: &mut Sample, counts: &Counts) {
        // A producer reports while it exists (running or paused); one-off `produce` lines share
        // the client `console`, which reports in the seconds it did something.
        let mut names: Vec<&str> = self
            .producers
            .iter()
            .filter(|p| p.running || p.paused)
            .map(|p| p.display_name.as_str())
            .chain(counts.producers.keys().map(String::as_str))
            .collect();
        names.sort_unstable();
        names.dedup();
        let mut total = [0.0f64; 3];
        for name in names {
            let c = counts.producers.get(name).copied().unwrap_or_default();
            let scope = Scope::Producer(name.to_string());
            let rates = [
                (Name::RecordSendRate, c.sent as f64),
                (Name::RecordErrorRate, c.errors as f64),
                (Name::RecordRetryRate, c.retries as f64),
            ];
            for (i, (n, v)) in rates.into_iter().enumerate() {
                s.set(n, scope.clone(), v);
                total[i] += v;
            }
            if c.responses > 0 {
                let avg = as_ms(c.latency_us) / c.responses as f64;
                s.set(Name::RequestLatencyAvg, scope, avg);
            }
        }
        s.set(Name::RecordSendRate, Scope::Cluster, total[0]);
        s.set(Name::RecordErrorRate, Scope::Cluster, total[1]);
        s.set(Name::RecordRetryRate, Scope::Cluster, total[2]);
    }

    fn sample_consumers(&self, s: &mut Sample, counts: &Counts) {
        let mut groups: BTreeMap<&str, (f64, Option<f64>)> = BTreeMap::new();
        for g in &self.groups {
            groups.insert(g.name.as_str(), (0.0, None));
        }
        let (mut consumed_total, mut lag_total): (f64, Option<f64>) = (0.0, None);
        let max = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(x), Some(y)) => Some(x.max(y)),
            (x, y) => x.or(y),
        };
        for c in &self.consumers {
            if !matches!(c.state, ClientState::Running | ClientState::Closing) {
                continue;
            }
            let scope = Scope::Consumer(c.name.clone());
            let consumed = counts.consumed.get(&c.name).copied().unwrap_or(0) as f64;
            s.set(Name::RecordsConsumedRate, scope.clone(), consumed);
            // Lag per partition as the fetcher records it: high watermark minus position.
            let lag = c
                .owned
                .values()
                .filter_map(|o| {
                    let position = o.position?;
                    let meta = &self.partitions[o.slot as usize];
                    let leader = meta.view_broker?;
                    let hw = self.broker(leader).replicas.get(&o.slot)?.high_watermark;
                    Some(hw.saturating_sub(position) as f64)
                })
                .reduce(f64::max);
            if let Some(lag) = lag {
                s.set(Name::RecordsLagMax, scope.clone(), lag);
            }
            let r = self.metrics.rebalances.get(&c.name).copied();
            let r = r.unwrap_or_default();
            s.set(Name::RebalanceTotal, scope.clone(), r.total as f64);
            if r.total > 0 {
                let avg = as_ms(r.latency_us) / r.total as f64;
                s.set(Name::RebalanceLatencyAvg, scope, avg);
            }
            if let Some(g) = self.groups.get(c.group as usize) {
                let entry = groups.entry(g.name.as_str()).or_insert((0.0, None));
                entry.0 += consumed;
                entry.1 = max(entry.1, lag);
            }
            consumed_total += consumed;
            lag_total = max(lag_total, lag);
        }
        for (name, (consumed, lag)) in groups {
            let scope = Scope::Group(name.to_string());
            s.set(Name::RecordsConsumedRate, scope.clone(), consumed);
            if let Some(lag) = lag {
                s.set(Name::RecordsLagMax, scope, lag);
            }
        }
        s.set(Name::RecordsConsumedRate, Scope::Cluster, consumed_total);
        if let Some(lag) = lag_total {
            s.set(Name::RecordsLagMax, Scope::Cluster, lag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_one_definition_and_a_default_scope() {
        for d in DEFINITIONS {
            assert_eq!(Name::from_text(d.text), Some(d.name));
            assert!(!d.scopes.is_empty(), "{} has no scope", d.text);
        }
        let mut texts: Vec<&str> = DEFINITIONS.iter().map(|d| d.text).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), DEFINITIONS.len());
    }

    #[test]
    fn rates_count_the_second_that_ended_and_history_is_bounded() {
        let mut c = Cluster::new(1);
        c.apply(crate::Command::Brokers(crate::command::ClusterSpec {
            brokers: 3,
            ..Default::default()
        }))
        .unwrap();
        c.metrics.count_append(1, "t", 5, 50);
        c.advance_to(secs(1));
        let first = c.metrics().latest().expect("a sample at 1 s");
        assert_eq!(first.at_us, secs(1));
        assert_eq!(
            first.get(Name::MessagesInPerSec, &Scope::Broker(1)),
            Some(5.0)
        );
        assert_eq!(
            first.get(Name::MessagesInPerSec, &Scope::Cluster),
            Some(5.0)
        );
        c.advance_to(secs(2));
        let second = c.metrics().latest().unwrap();
        assert_eq!(
            second.get(Name::MessagesInPerSec, &Scope::Cluster),
            Some(0.0)
        );
        c.advance_to(secs(HISTORY_SECONDS as u64 + 30));
        assert_eq!(c.metrics().history().count(), HISTORY_SECONDS);
        assert_eq!(
            c.metrics().latest().unwrap().at_us,
            secs(HISTORY_SECONDS as u64 + 30)
        );
    }
}
