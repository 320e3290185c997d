//! Defaults: Kafka's broker, topic and client defaults (3.x/4.x), gathered in one place so the
//! README can list them and nothing else hard-codes a timeout.

use crate::command::OffsetReset;
use crate::group::assignor::AssignorKind;
use crate::time::{Micros, ms, secs};

/// Broker- and cluster-wide settings.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// One-way network latency between any two nodes (not a Kafka setting: the simulated LAN).
    pub latency_us: Micros,
    /// Up to this much random extra delay per message (half the latency unless set).
    pub jitter_us: Micros,
    /// `replica.lag.time.max.ms` = 30000.
    pub replica_lag_time_max_us: Micros,
    /// `replica.fetch.wait.max.ms` = 500: how long a leader parks a follower fetch with no new data.
    pub replica_fetch_wait_max_us: Micros,
    /// `replica.fetch.backoff.ms` = 1000: a follower's pause after a failed fetch.
    pub replica_fetch_backoff_us: Micros,
    /// `replica.socket.timeout.ms` = 30000: a follower's fetch request timeout.
    pub replica_socket_timeout_us: Micros,
    /// `replica.fetch.max.bytes` = 1 MiB per partition per fetch.
    pub replica_fetch_max_bytes: u64,
    /// `broker.heartbeat.interval.ms` = 2000 (KRaft).
    pub broker_heartbeat_interval_us: Micros,
    /// `broker.session.timeout.ms` = 9000 (KRaft): a silent broker is fenced after this.
    pub broker_session_timeout_us: Micros,
    /// `leader.imbalance.check.interval.seconds` = 300 (with `auto.leader.rebalance.enable=true`).
    pub leader_imbalance_check_interval_us: Micros,
    /// `leader.imbalance.per.broker.percentage` = 10.
    pub leader_imbalance_per_broker_percentage: u32,
    /// `log.retention.check.interval.ms` = 300000.
    pub retention_check_interval_us: Micros,
    /// `log.cleaner.backoff.ms` = 15000: how often the cleaner looks for dirty logs.
    pub cleaner_backoff_us: Micros,
    /// `log.cleaner.min.cleanable.ratio` = 0.5.
    pub min_cleanable_dirty_ratio: f64,
    /// `group.initial.rebalance.delay.ms` = 3000: an empty group waits this long for more members
    /// before its first rebalance completes.
    pub group_initial_rebalance_delay_us: Micros,
    /// Limit on undrained events before the oldest are dropped (a driver that never drains must
    /// not grow memory without bound).
    pub max_pending_events: usize,
    /// The room's storage ceiling per replica, in bytes: **a playground setting, not a Kafka
    /// config** (`Cluster::set_storage_limit`). When set, every 10 simulated seconds each replica's
    /// oldest segments are deleted as `retention.bytes` of this size would delete them, and active
    /// segments roll at `min(segment.bytes, limit / 8)`. `None` (the default): no ceiling.
    pub storage_limit_bytes: Option<u64>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            latency_us: ms(1),
            jitter_us: 500,
            replica_lag_time_max_us: secs(30),
            replica_fetch_wait_max_us: ms(500),
            replica_fetch_backoff_us: secs(1),
            replica_socket_timeout_us: secs(30),
            replica_fetch_max_bytes: 1 << 20,
            broker_heartbeat_interval_us: secs(2),
            broker_session_timeout_us: secs(9),
            leader_imbalance_check_interval_us: secs(300),
            leader_imbalance_per_broker_percentage: 10,
            retention_check_interval_us: secs(300),
            cleaner_backoff_us: secs(15),
            min_cleanable_dirty_ratio: 0.5,
            group_initial_rebalance_delay_us: secs(3),
            max_pending_events: 1_000_000,
            storage_limit_bytes: None,
        }
    }
}

/// Topic-level settings with their Kafka defaults (plain data: copied, never shared).
#[derive(Debug, Clone, Copy)]
pub struct TopicConfig {
    pub partitions: u32,
    pub replication: u32,
    /// `min.insync.replicas` = 1.
    pub min_insync: u32,
    /// `unclean.leader.election.enable` = false.
    pub unclean_election: bool,
    /// `retention.ms` = 7 days; `None` = -1 (forever).
    pub retention_us: Option<Micros>,
    /// `retention.bytes` = -1.
    pub retention_bytes: Option<u64>,
    /// `segment.ms` = 7 days.
    pub segment_us: Micros,
    /// `segment.bytes` = 1 GiB.
    pub segment_bytes: u64,
    pub compact: bool,
    /// `delete.retention.ms` = 1 day: how long tombstones survive after the first cleaning.
    pub delete_retention_us: Micros,
}

pub const DAY_US: Micros = secs(86_400);

impl TopicConfig {
    pub fn new(partitions: u32, replication: u32) -> Self {
        TopicConfig {
            partitions,
            replication,
            min_insync: 1,
            unclean_election: false,
            retention_us: Some(7 * DAY_US),
            retention_bytes: None,
            segment_us: 7 * DAY_US,
            segment_bytes: 1 << 30,
            compact: false,
            delete_retention_us: DAY_US,
        }
    }
}

/// Producer client settings (Kafka 3.x defaults; linger.ms became 5 in 4.0, we keep 3.x's 0 unless
/// a scenario sets `linger=`).
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// `linger.ms` = 0.
    pub linger_us: Micros,
    /// `batch.size` = 16384.
    pub batch_size_bytes: u32,
    /// `delivery.timeout.ms` = 120000.
    pub delivery_timeout_us: Micros,
    /// `request.timeout.ms` = 30000.
    pub request_timeout_us: Micros,
    /// `retry.backoff.ms` = 100.
    pub retry_backoff_us: Micros,
    /// `retries` = 2147483647: how many times a batch that failed with a retriable error is
    /// sent again (the delivery timeout usually ends it first).
    pub retries: u32,
    /// `enable.idempotence` as Kafka resolves it ([`producer_config`]): the leader drops a
    /// retried batch it already has instead of appending it again.
    pub idempotent: bool,
    /// `metadata.max.age.ms` = 300000: the metadata cache is refreshed at least this often.
    pub metadata_max_age_us: Micros,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            linger_us: 0,
            batch_size_bytes: 16_384,
            delivery_timeout_us: secs(120),
            request_timeout_us: secs(30),
            retry_backoff_us: ms(100),
            retries: i32::MAX as u32,
            idempotent: true,
            metadata_max_age_us: secs(300),
        }
    }
}

/// A combination of producer settings that Kafka refuses with a `ConfigException`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProducerConfigError {
    /// `delivery.timeout.ms`, set explicitly, below `linger.ms + request.timeout.ms`
    /// (`KafkaProducer.configureDeliveryTimeout`).
    DeliveryTimeoutTooShort { floor_us: Micros },
    /// `enable.idempotence=true` set explicitly with `acks` other than `all`.
    IdempotenceNeedsAcksAll,
    /// `enable.idempotence=true` set explicitly with `retries=0`.
    IdempotenceNeedsRetries,
}

impl ProducerConfigError {
    /// Kafka's own message for it.
    pub fn kafka_message(self) -> &'static str {
        match self {
            ProducerConfigError::DeliveryTimeoutTooShort { .. } => {
                "delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms"
            }
            ProducerConfigError::IdempotenceNeedsAcksAll => {
                "Must set acks to all in order to use the idempotent producer. Otherwise we cannot guarantee idempotence."
            }
            ProducerConfigError::IdempotenceNeedsRetries => {
                "Must set retries to non-zero when using the idempotent producer."
            }
        }
    }
}

/// A producer's settings, checked and resolved as Kafka 3.x does when a `KafkaProducer` is
/// created; `None` means not set explicitly, which matters:
/// - `delivery.timeout.ms` must be at least `linger.ms + request.timeout.ms`. Set explicitly
///   below that, Kafka throws; left at its default, Kafka raises it to that sum
///   (`KafkaProducer.configureDeliveryTimeout`).
/// - `enable.idempotence` defaults to true, and is then silently turned off when `acks` is not
///   `all` or `retries` is 0; set explicitly to true, those are errors
///   (`ProducerConfig.postProcessAndValidateIdempotenceConfigs`). Its third rule,
///   `max.in.flight.requests.per.connection` <= 5, always holds here (the playground's is 5).
pub fn producer_config(
    acks_all: bool,
    linger: Option<Micros>,
    delivery_timeout: Option<Micros>,
    request_timeout: Option<Micros>,
    retries: Option<u32>,
    enable_idempotence: Option<bool>,
) -> Result<ProducerConfig, ProducerConfigError> {
    let mut config = ProducerConfig::default();
    config.linger_us = linger.unwrap_or(config.linger_us);
    config.request_timeout_us = request_timeout.unwrap_or(config.request_timeout_us);
    config.retries = retries.unwrap_or(config.retries);
    let floor_us = config.linger_us.saturating_add(config.request_timeout_us);
    config.delivery_timeout_us = match delivery_timeout {
        Some(d) if d < floor_us => {
            return Err(ProducerConfigError::DeliveryTimeoutTooShort { floor_us });
        }
        Some(d) => d,
        None => config.delivery_timeout_us.max(floor_us),
    };
    config.idempotent = match enable_idempotence {
        Some(true) if !acks_all => return Err(ProducerConfigError::IdempotenceNeedsAcksAll),
        Some(true) if config.retries == 0 => {
            return Err(ProducerConfigError::IdempotenceNeedsRetries);
        }
        Some(explicit) => explicit,
        None => acks_all && config.retries > 0,
    };
    Ok(config)
}

/// Consumer client settings (Kafka 3.x/4.x `ConsumerConfig` defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// `session.timeout.ms` = 45000 (since 3.0, KIP-735).
    pub session_timeout_us: Micros,
    /// `heartbeat.interval.ms` = 3000.
    pub heartbeat_interval_us: Micros,
    /// `max.poll.interval.ms` = 300000; also the rebalance timeout the consumer sends in JoinGroup.
    pub max_poll_interval_us: Micros,
    /// `auto.commit.interval.ms` = 5000 (`enable.auto.commit=true`).
    pub auto_commit_interval_us: Micros,
    /// `max.poll.records` = 500.
    pub max_poll_records: u32,
    /// `fetch.max.wait.ms` = 500: how long a leader holds a fetch with nothing to return.
    pub fetch_max_wait_us: Micros,
    /// `max.partition.fetch.bytes` = 1 MiB.
    pub max_partition_fetch_bytes: u64,
    /// `retry.backoff.ms` = 100.
    pub retry_backoff_us: Micros,
    /// `request.timeout.ms` = 30000: how long the consumer waits for an answer that never comes.
    pub request_timeout_us: Micros,
    /// `metadata.max.age.ms` = 300000: the metadata cache is refreshed at least this often.
    pub metadata_max_age_us: Micros,
    /// `partition.assignment.strategy`: the assignor this consumer offers in JoinGroup and runs
    /// when it leads the group (Kafka 3.x defaults to `[range, cooperative-sticky]`; `group add`
    /// sets one for all its consumers, `range` unless told).
    pub partition_assignment_strategy: AssignorKind,
    /// `auto.offset.reset` = latest: where to start a partition without a committed offset.
    pub auto_offset_reset: OffsetReset,
    /// `enable.auto.commit` = true (Kafka Streams sets false: its threads commit).
    pub enable_auto_commit: bool,
    /// `internal.leave.group.on.close` = true (Kafka Streams sets false: a closed instance's
    /// members stay until their sessions time out).
    pub leave_group_on_close: bool,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            session_timeout_us: secs(45),
            heartbeat_interval_us: secs(3),
            max_poll_interval_us: secs(300),
            auto_commit_interval_us: secs(5),
            max_poll_records: 500,
            fetch_max_wait_us: ms(500),
            max_partition_fetch_bytes: 1 << 20,
            retry_backoff_us: ms(100),
            request_timeout_us: secs(30),
            metadata_max_age_us: secs(300),
            partition_assignment_strategy: AssignorKind::Range,
            auto_offset_reset: OffsetReset::Latest,
            enable_auto_commit: true,
            leave_group_on_close: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producer_settings_resolve_as_kafka_3_does() {
        let config = |acks_all, linger, delivery, request, retries, idem| {
            producer_config(acks_all, linger, delivery, request, retries, idem)
        };
        let c = config(true, None, None, None, None, None).unwrap();
        assert!(c.idempotent);
        assert_eq!(c.delivery_timeout_us, secs(120));
        // Idempotence, not set explicitly, gives way to acks=1 or retries=0.
        assert!(
            !config(false, None, None, None, None, None)
                .unwrap()
                .idempotent
        );
        assert!(
            !config(true, None, None, None, Some(0), None)
                .unwrap()
                .idempotent
        );
        // Set explicitly, those are Kafka's ConfigExceptions.
        assert_eq!(
            config(false, None, None, None, None, Some(true)).unwrap_err(),
            ProducerConfigError::IdempotenceNeedsAcksAll
        );
        assert_eq!(
            config(true, None, None, None, Some(0), Some(true)).unwrap_err(),
            ProducerConfigError::IdempotenceNeedsRetries
        );
        assert!(
            !config(true, None, None, None, None, Some(false))
                .unwrap()
                .idempotent
        );
        // delivery.timeout.ms >= linger.ms + request.timeout.ms: an explicit value below is an
        // error; the default is raised to the sum.
        assert_eq!(
            config(true, Some(secs(1)), Some(secs(30)), None, None, None).unwrap_err(),
            ProducerConfigError::DeliveryTimeoutTooShort { floor_us: secs(31) }
        );
        let raised = config(true, Some(secs(1)), None, Some(secs(200)), None, None).unwrap();
        assert_eq!(raised.delivery_timeout_us, secs(201));
        assert_eq!(raised.request_timeout_us, secs(200));
    }
}
