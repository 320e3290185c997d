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
    /// A Metadata request named a topic the cluster does not have.
    UnknownTopicOrPartition,
    /// A batch from an older epoch of its producer id than the partition has seen
    /// (`ProducerAppendInfo.checkProducerEpoch`; not retriable: the producer must get a new
    /// epoch).
    InvalidProducerEpoch,
}

impl ErrorCode {
    /// Whether Kafka's producer retries this error.
    pub fn retriable(self) -> bool {
        !matches!(
            self,
            ErrorCode::InvalidRecord | ErrorCode::DeliveryTimeout | ErrorCode::InvalidProducerEpoch
        )
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

/// Why the retention task deleted a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SegmentDeletionReason {
    /// The topic's `retention.ms` or `retention.bytes` (Kafka's `UnifiedLog.deleteOldSegments`).
    Retention,
    /// The room's storage limit per replica (a playground setting, not a Kafka config), applied
    /// exactly as `retention.bytes` of that size would be.
    StorageLimit { bytes_per_replica: u64 },
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
        /// False when the cluster is created (`brokers N`), true when a broker comes back.
        restarted: bool,
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
    /// `topic delete`: the topic left the cluster (`topic_delete.rs`).
    TopicDeleted {
        topic: String,
        partitions: u32,
    },
    ProducerAdded {
        producer: String,
        topic: String,
    },
    ProducerStopped {
        producer: String,
    },
    ProducerPaused {
        producer: String,
        paused: bool,
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
        reason: SegmentDeletionReason,
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
    /// `network isolate N`: nobody reaches the broker (controller, clients, other brokers).
    BrokerIsolated {
        broker: u32,
    },
    /// A sender gave up on a request that a network cut swallowed (its timeout passed).
    RequestTimedOut {
        /// `broker 2`, or the client's name.
        sender: String,
        broker: u32,
        what: crate::lost::Waiting,
    },
    GroupCreated {
        group: String,
        topics: Vec<String>,
        assignor: String,
        coordinator: Option<u32>,
    },
    /// The group coordinator changed state (Empty, PreparingRebalance, …), and why.
    GroupStateChanged {
        group: String,
        state: crate::group::GroupState,
        generation: i32,
        reason: String,
    },
    /// The coordinator added a member (its first JoinGroup).
    MemberJoined {
        group: String,
        member: String,
    },
    /// The coordinator removed a member: it left, its session expired, or it did not rejoin.
    MemberRemoved {
        group: String,
        member: String,
        reason: String,
    },
    /// The leader's assignment for a generation, as the coordinator stored it.
    GroupAssignment {
        group: String,
        generation: i32,
        assignment: Vec<(String, Vec<crate::command::TopicPartition>)>,
    },
    /// The group's coordinator moved to another broker (its offsets partition changed leader)
    /// and loaded the group's last stable state.
    CoordinatorMoved {
        group: String,
        from: Option<u32>,
        to: Option<u32>,
        state: crate::group::GroupState,
        generation: i32,
    },
    /// Offsets committed: (topic, partition, next offset to read).
    OffsetsCommitted {
        group: String,
        member: String,
        offsets: Vec<(String, u32, u64)>,
    },
    ConsumerStarted {
        consumer: String,
        group: String,
    },
    ConsumerStopped {
        consumer: String,
        group: String,
        crashed: bool,
    },
    ConsumerStalled {
        consumer: String,
        group: String,
        stalled: bool,
    },
    /// The application did not poll for `max.poll.interval.ms`: the consumer left the group.
    PollTimeout {
        consumer: String,
        group: String,
    },
    /// The consumer sends JoinGroup (after revoking what its protocol requires).
    ConsumerJoining {
        consumer: String,
        group: String,
    },
    PartitionsRevoked {
        consumer: String,
        group: String,
        partitions: Vec<crate::command::TopicPartition>,
        reason: String,
    },
    /// SyncGroup gave the consumer its partitions for a generation (`added` are new to it).
    PartitionsAssigned {
        consumer: String,
        group: String,
        generation: i32,
        assigned: Vec<crate::command::TopicPartition>,
        added: Vec<crate::command::TopicPartition>,
    },
    /// The application processed `count` records of one partition from `from_offset` on.
    RecordsConsumed {
        consumer: String,
        group: String,
        topic: String,
        partition: u32,
        from_offset: u64,
        count: u32,
    },
    /// The position was out of range; the consumer starts again per `auto.offset.reset`.
    OffsetReset {
        consumer: String,
        group: String,
        topic: String,
        partition: u32,
        reset: crate::command::OffsetReset,
    },
    /// The leader's assignor refused the subscriptions (Kafka would throw).
    AssignorFailed {
        consumer: String,
        group: String,
        error: String,
    },
    /// Events were dropped because the driver did not drain them (see `max_pending_events`).
    EventsDropped {
        count: u64,
    },
    /// `streams app`: an application was declared (its group and topology exist).
    StreamsAppDeclared {
        app: String,
    },
    /// `KafkaStreams.start()` of one instance with its stream threads.
    StreamsInstanceStarted {
        app: String,
        instance: String,
        threads: u32,
    },
    /// An instance closed (`streams stop`) or its process vanished (`streams crash`).
    StreamsInstanceStopped {
        app: String,
        instance: String,
        crashed: bool,
    },
    /// A thread got an active task; `restoring`: it first replays its stores' changelogs.
    StreamsTaskAssigned {
        app: String,
        instance: String,
        thread: String,
        task: String,
        restoring: bool,
    },
    /// A task finished restoring (`restored` changelog records) and runs.
    StreamsTaskRunning {
        app: String,
        thread: String,
        task: String,
        restored: u64,
    },
    /// A task left its thread: `revoked` (committed, state kept), `lost` (removed from the
    /// group: closed without a commit), `closed` or `crashed`.
    StreamsTaskRevoked {
        app: String,
        thread: String,
        task: String,
        reason: String,
    },
    /// A task processed `count` records of one input partition from `from_offset` on; `sample`
    /// is the first of them and what it produced.
    StreamsProcessed {
        app: String,
        thread: String,
        task: String,
        topic: String,
        partition: u32,
        from_offset: u64,
        count: u32,
        sample: Option<StreamsSample>,
    },
    /// A record skipped by the processing exception handler (LogAndContinue).
    StreamsRecordSkipped {
        app: String,
        task: String,
        node: String,
        reason: String,
    },
    /// A thread committed: caches flushed, producer flushed, the offsets of `partitions` sent.
    StreamsCommitted {
        app: String,
        thread: String,
        partitions: u32,
    },
}

/// One record a Streams task processed and what its sinks produced from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamsSample {
    pub offset: u64,
    pub key: Option<String>,
    pub value: Option<String>,
    /// At most 8 records written by sink nodes (changelog writes are not listed).
    pub outputs: Vec<StreamsOutput>,
}

/// A record a sink node produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamsOutput {
    pub node: String,
    pub topic: String,
    pub key: Option<String>,
    pub value: Option<String>,
}
