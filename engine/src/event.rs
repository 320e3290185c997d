//! Events: everything the UI animates, in the order it happened. Expected Kafka outcomes
//! (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS…) are values here, never Rust errors.

use serde::Serialize;

use crate::command::Acks;
use crate::time::Micros;

/// Kafka's protocol error codes that the simulation produces, by their Kafka names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    NotLeaderOrFollower,
    NotEnoughReplicas,
    NotEnoughReplicasAfterAppend,
    RequestTimedOut,
    /// The client's connection to the broker broke (the broker is down).
    NetworkException,
    /// `delivery.timeout.ms` passed before the record was acknowledged.
    DeliveryTimeout,
    /// A record without a key sent to a compacted topic (Kafka: INVALID_RECORD, not retriable).
    InvalidRecord,
    /// The partition has no leader.
    LeaderNotAvailable,
    /// An idempotent batch arrived with a gap in its sequence (an earlier batch is not in the log).
    OutOfOrderSequenceNumber,
}

impl ErrorCode {
    /// Whether Kafka's producer retries this error.
    pub fn retriable(self) -> bool {
        !matches!(self, ErrorCode::InvalidRecord | ErrorCode::DeliveryTimeout)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElectionReason {
    /// The topic was just created: the preferred replica leads.
    Initial,
    /// The leader was fenced or shut down; the first live in-sync replica in assignment order leads.
    Clean,
    /// No in-sync replica was alive and `unclean.leader.election.enable=true`.
    Unclean,
    /// Preferred leader election (auto.leader.rebalance or `elect-leaders`).
    Preferred,
    /// A controlled shutdown moved leadership away before the broker stopped.
    ControlledShutdown,
    /// No replica can lead: the partition is offline.
    Offline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IsrChangeReason {
    /// The follower did not catch up within replica.lag.time.max.ms.
    Lagging,
    /// The follower caught up to the high watermark.
    CaughtUp,
    /// The controller fenced the broker.
    Fenced,
    /// Controlled shutdown.
    Shutdown,
    /// A new leader after unclean election starts with only itself.
    UncleanElection,
}

/// One thing that happened, at a simulated instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimedEvent {
    pub at_us: Micros,
    #[serde(flatten)]
    pub event: Event,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Event {
    BrokerDown {
        broker: u32,
        controlled: bool,
    },
    BrokerUp {
        broker: u32,
    },
    BrokerFenced {
        broker: u32,
    },
    BrokerUnfenced {
        broker: u32,
    },
    TopicCreated {
        topic: String,
        partitions: u32,
        replication: u32,
        assignments: Vec<Vec<u32>>,
    },
    ProducerAdded {
        producer: String,
        topic: String,
    },
    ProducerStopped {
        producer: String,
    },
    ProducerRateChanged {
        producer: String,
        per_hour: u64,
    },
    /// A leader appended a batch from a producer.
    RecordsAppended {
        topic: String,
        partition: u32,
        broker: u32,
        base_offset: u64,
        count: u32,
        leader_epoch: u32,
        producer: String,
        first_key: Option<String>,
    },
    /// A follower appended records fetched from its leader.
    ReplicaFetched {
        topic: String,
        partition: u32,
        follower: u32,
        leader: u32,
        base_offset: u64,
        count: u32,
        log_end_offset: u64,
    },
    HighWatermark {
        topic: String,
        partition: u32,
        broker: u32,
        high_watermark: u64,
    },
    IsrChanged {
        topic: String,
        partition: u32,
        before: Vec<u32>,
        after: Vec<u32>,
        reason: IsrChangeReason,
    },
    LeaderElected {
        topic: String,
        partition: u32,
        previous: Option<u32>,
        leader: Option<u32>,
        leader_epoch: u32,
        reason: ElectionReason,
    },
    /// A replica cut the end of its log to match its leader (or its leader-epoch history).
    Truncated {
        topic: String,
        partition: u32,
        broker: u32,
        from_offset: u64,
        to_offset: u64,
    },
    ProduceAcked {
        producer: String,
        topic: String,
        partition: u32,
        base_offset: Option<u64>,
        count: u32,
        acks: Acks,
    },
    ProduceRetried {
        producer: String,
        topic: String,
        partition: u32,
        count: u32,
        error: ErrorCode,
    },
    ProduceRejected {
        producer: String,
        topic: String,
        partition: u32,
        count: u32,
        error: ErrorCode,
    },
    /// Acknowledged records that the leader's log no longer holds (negative when they came back).
    RecordsLost {
        topic: String,
        partition: u32,
        count: i64,
    },
    SegmentDeleted {
        topic: String,
        partition: u32,
        broker: u32,
        base_offset: u64,
        log_start_offset: u64,
    },
    LogCompacted {
        topic: String,
        partition: u32,
        broker: u32,
        removed: u32,
    },
    NetworkPartitioned {
        side_a: Vec<u32>,
        side_b: Vec<u32>,
    },
    NetworkHealed,
    /// Events were dropped because the driver did not drain them (see `max_pending_events`).
    EventsDropped {
        count: u64,
    },
}
