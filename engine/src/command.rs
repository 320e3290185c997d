//! Commands: everything that can change the cluster from outside. A console line, a click in the
//! browser and a scenario step all become one of these before they reach [`crate::Cluster::apply`].
//!
//! Commands are validated by [`crate::Cluster::apply`] before anything changes: an invalid command
//! returns an error and leaves the cluster exactly as it was.

use crate::time::Micros;

/// A partition named as `TOPIC/N`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.topic, self.partition)
    }
}

/// A rate of records per simulated second (`5/s`, `300/m`), stored as records per hour so that
/// per-minute rates stay exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_hour: u64,
}

impl Rate {
    /// `n/s`. Saturates at `u64::MAX` records per hour instead of wrapping: a saturated rate is
    /// far above every limit (`crate::limits`), so it is refused, never mistaken for a slow one.
    pub fn per_second(n: u64) -> Self {
        Rate {
            per_hour: n.saturating_mul(3600),
        }
    }
    /// `n/m`, saturating like [`Rate::per_second`].
    pub fn per_minute(n: u64) -> Self {
        Rate {
            per_hour: n.saturating_mul(60),
        }
    }
    /// `n/s`, or `None` when it does not fit in records per hour.
    pub fn checked_per_second(n: u64) -> Option<Self> {
        n.checked_mul(3600).map(|per_hour| Rate { per_hour })
    }
    /// `n/m`, or `None` when it does not fit in records per hour.
    pub fn checked_per_minute(n: u64) -> Option<Self> {
        n.checked_mul(60).map(|per_hour| Rate { per_hour })
    }
}

/// `acks`: how many replicas must have a record before the leader answers the producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Acks {
    /// `acks=0`: fire and forget; the client counts the send as done when it leaves.
    Zero,
    /// `acks=1`: the leader answers once the record is in its own log.
    One,
    /// `acks=all` (-1): the leader answers once the high watermark passes the record.
    All,
}

/// How a producer picks a partition for records without a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PartitionerKind {
    /// Kafka's built-in partitioner: murmur2 for keyed records, sticky batches for unkeyed ones.
    Default,
    /// `org.apache.kafka.clients.producer.RoundRobinPartitioner`: every record to the next partition.
    RoundRobin,
}

/// Which keys a steady producer writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySpec {
    /// `keys=none`: records without a key.
    None,
    /// `key=K`: every record has this key.
    Fixed(String),
    /// `keys=user-1..user-50`: `prefix` followed by `first..=last`, used in turn.
    Range {
        prefix: String,
        first: u64,
        last: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CleanupPolicy {
    Delete,
    Compact,
}

/// `topic create`: all of a topic's settings. `None` means the broker default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: u32,
    pub replication: u32,
    pub min_insync: Option<u32>,
    pub unclean_election: Option<bool>,
    /// `retention.ms`
    pub retention: Option<Micros>,
    /// `retention.bytes`
    pub retention_bytes: Option<u64>,
    /// `segment.ms`
    pub segment: Option<Micros>,
    /// `segment.bytes`
    pub segment_bytes: Option<u64>,
    pub cleanup: Option<CleanupPolicy>,
}

/// `producer add`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerSpec {
    pub name: String,
    pub topic: String,
    pub rate: Option<Rate>,
    pub keys: Option<KeySpec>,
    pub acks: Option<Acks>,
    pub partitioner: Option<PartitionerKind>,
    /// `linger.ms`
    pub linger: Option<Micros>,
    /// `delivery.timeout.ms`, when set explicitly (see `config::producer_config`).
    pub delivery_timeout: Option<Micros>,
    /// `request.timeout.ms`
    pub request_timeout: Option<Micros>,
    /// `retries`
    pub retries: Option<u32>,
    /// `enable.idempotence`, when set explicitly.
    pub enable_idempotence: Option<bool>,
    /// `value="EXPR"`: each record's value is this template evaluated with `seq` (the record's
    /// number from 0) and `key`, written as `Val::to_record`. `None`: `NAME-SEQ`.
    pub value: Option<crate::streams::expr::Expr>,
}

/// Cluster-wide settings given on the `brokers` line (all optional extensions of contract v1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterSpec {
    pub brokers: u32,
    /// One-way network latency between any two nodes.
    pub latency: Option<Micros>,
    /// `replica.lag.time.max.ms`
    pub replica_lag: Option<Micros>,
    /// `broker.session.timeout.ms`: how long the controller waits for a silent broker.
    pub broker_session_timeout: Option<Micros>,
    /// `log.retention.check.interval.ms`
    pub retention_check: Option<Micros>,
}

/// `auto.offset.reset`: where a group starts reading a partition it has no committed offset for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OffsetReset {
    /// The log start offset: everything still in the log.
    Earliest,
    /// The high watermark: only records written from now on (Kafka's default).
    Latest,
}

/// `group add`: a consumer group and its first consumers. `None` means the client default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    pub name: String,
    pub topics: Vec<String>,
    /// How many consumers to start, named `NAME-1` … `NAME-N` (default 1).
    pub consumers: Option<u32>,
    /// `partition.assignment.strategy` (default `range`, hence the eager protocol).
    pub assignor: Option<crate::group::assignor::AssignorKind>,
    /// `auto.offset.reset` (default `latest`).
    pub offset_reset: Option<OffsetReset>,
    /// `session.timeout.ms` (default 45 s).
    pub session_timeout: Option<Micros>,
    /// `heartbeat.interval.ms` (default 3 s).
    pub heartbeat_interval: Option<Micros>,
    /// `max.poll.interval.ms` (default 5 min).
    pub max_poll_interval: Option<Micros>,
    /// `auto.commit.interval.ms` (default 5 s).
    pub auto_commit_interval: Option<Micros>,
    /// How fast each consumer's application processes records (default: as fast as they come).
    pub rate: Option<Rate>,
}

/// `consumer add`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSpec {
    pub name: String,
    pub group: String,
    /// The subscription; `None` means the group's topics.
    pub topics: Option<Vec<String>>,
    /// Processing rate; `None` means the group's.
    pub rate: Option<Rate>,
}

/// Everything that can change the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `brokers N`: a fresh cluster of brokers 1..N (only before any topic exists).
    Brokers(ClusterSpec),
    /// A real Kafka client connected to a listener (`client::external`): `id` is the driver's
    /// opaque name for it, `name` its `client.id`. Not a console line.
    ExternalClientAdd {
        id: u32,
        name: String,
    },
    /// A real client's connection closed: its requests in progress are no longer answered.
    ExternalClientRemove {
        id: u32,
    },
    /// A real client's InitProducerId at `broker`: the next producer id of the cluster's
    /// `ProducerIdManager` is used up (the driver reads it with `Cluster::init_producer_id`;
    /// a replay of the journal applies this command to use up the same one).
    ExternalInitProducerId {
        broker: u32,
    },
    /// A real client's Produce request, decoded, given to the broker its connection reached.
    ExternalProduce(crate::client::external::ExternalProduce),
    /// A real client's Fetch request, decoded, given to the broker its connection reached.
    ExternalFetch(crate::client::external_fetch::ExternalFetch),
    /// A real client's group request (FindCoordinator, JoinGroup, …), decoded, given to the
    /// broker its connection reached (`client::external_group`).
    ExternalGroup(crate::client::external_group::ExternalGroupRequest),
    TopicCreate(TopicSpec),
    /// `topic delete NAME` (Kafka's `Admin.deleteTopics`): see `topic_delete.rs`.
    TopicDelete {
        name: String,
    },
    ProducerAdd(ProducerSpec),
    ProducerStop {
        name: String,
    },
    ProducerRate {
        name: String,
        rate: Rate,
    },
    /// Extension: `producer pause NAME` / `producer resume NAME`: the application stops sending
    /// for a while (records already buffered still go out), then sends at its rate again.
    ProducerPause {
        name: String,
        paused: bool,
    },
    /// `produce T [key=K] [value=V] [timestamp=D]`: one record, sent now by the built-in
    /// console producer.
    Produce {
        topic: String,
        key: Option<String>,
        value: Option<String>,
        acks: Option<Acks>,
        /// The record's `CreateTime` when set explicitly (`ProducerRecord`'s `timestamp`): the
        /// simulated instant it claims to have happened, e.g. long ago for a late record.
        /// `None`: now, as the producer stamps records it sends.
        timestamp: Option<Micros>,
    },
    /// A crash: the process dies; the controller notices after `broker.session.timeout.ms`.
    BrokerKill {
        broker: u32,
    },
    /// A controlled shutdown: leadership moves away first, then the broker stops.
    BrokerStop {
        broker: u32,
    },
    BrokerRestart {
        broker: u32,
    },
    NetworkPartition {
        side_a: Vec<u32>,
        side_b: Vec<u32>,
    },
    /// `network isolate N`: cut broker N off from every other node, controller and clients too.
    NetworkIsolate {
        broker: u32,
    },
    NetworkHeal,
    /// `elect-leaders [T/P]`: preferred leader election now, for one partition or all.
    ElectPreferred {
        partition: Option<TopicPartition>,
    },
    GroupAdd(GroupSpec),
    /// `group delete G`: DeleteGroups; only an Empty group (it becomes Dead, its offsets go).
    GroupDelete {
        name: String,
    },
    ConsumerAdd(ConsumerSpec),
    /// `consumer stop NAME`: `close()`: commit, revoke, LeaveGroup.
    ConsumerStop {
        name: String,
    },
    /// `consumer crash NAME`: the process vanishes; the coordinator notices after the session timeout.
    ConsumerCrash {
        name: String,
    },
    /// `consumer restart NAME`: a crashed or stopped consumer's application starts again, as a
    /// new process with a new member id.
    ConsumerRestart {
        name: String,
    },
    /// `consumer stall NAME`: the application hangs inside its poll loop; the heartbeat thread
    /// keeps the session alive until `max.poll.interval.ms` runs out and it leaves the group.
    ConsumerStall {
        name: String,
    },
    /// `consumer resume NAME`: a stalled application polls again (and rejoins if it had left).
    ConsumerResume {
        name: String,
    },
    /// `consumer rate NAME R`: how fast the application processes records from now on.
    ConsumerRate {
        name: String,
        rate: Rate,
    },
    /// `streams app NAME [options] … end`: declares a Kafka Streams application (its topology
    /// and `StreamsConfig`) and starts its `instances` instances, named `NAME-1` … `NAME-N`.
    StreamsApp(Box<crate::streams::dsl::App>),
    /// `streams add INSTANCE app=APP [threads=N]`: one more instance of a declared application
    /// (`num.stream.threads` defaults to the application's).
    StreamsAdd {
        instance: String,
        app: String,
        threads: Option<u32>,
    },
    /// `streams stop INSTANCE`: `KafkaStreams.close()`: commit, flush the stores, leave the group.
    StreamsStop {
        instance: String,
    },
    /// `streams crash INSTANCE`: the process vanishes; its group members time out.
    StreamsCrash {
        instance: String,
    },
    /// Kafka Connect: systems, workers, connectors (`connect/command.rs`).
    Connect(crate::connect::ConnectCommand),
}
