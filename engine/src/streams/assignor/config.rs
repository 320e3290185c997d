//! `AssignmentConfigs`: the four Streams configs the task assignor reads, with Kafka's defaults
//! (`StreamsConfig`, read by `AssignorConfiguration.assignmentConfigs()`).
//!
//! The rack-aware settings (`rack.aware.assignment.tags`, `rack.aware.assignment.strategy`,
//! traffic and non-overlap costs) are absent: the simulation has no racks, and with the default
//! strategy `none` Kafka skips every rack-aware step.

/// The configs `HighAvailabilityTaskAssignor` and `StreamsPartitionAssignor` are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignmentConfigs {
    /// `acceptable.recovery.lag` (default 10,000): the largest total changelog lag at which a
    /// client counts as caught up on a task and may take it over as active at once.
    /// `i64::MAX` (Java's `Long.MAX_VALUE`) means "every client is caught up" (no warm-ups).
    pub acceptable_recovery_lag: i64,
    /// `max.warmup.replicas` (default 2): how many warm-up replicas the whole group may have at a
    /// time (counted per assignment, across all clients).
    pub max_warmup_replicas: u32,
    /// `num.standby.replicas` (default 0): hot standbys per stateful task.
    pub num_standby_replicas: u32,
    /// `probing.rebalance.interval.ms` (default 600,000 = 10 min): how long after an assignment
    /// with warm-ups the leader's client triggers the next (probing) rebalance.
    pub probing_rebalance_interval_ms: u64,
}

impl Default for AssignmentConfigs {
    fn default() -> Self {
        AssignmentConfigs {
            acceptable_recovery_lag: 10_000,
            max_warmup_replicas: 2,
            num_standby_replicas: 0,
            probing_rebalance_interval_ms: 600_000,
        }
    }
}
