//! DeleteRecords (`Admin.deleteRecords`): a client asks partition leaders to move their log
//! start offset up, deleting the records before it. Kafka Streams sends it to purge what its
//! tasks have consumed and committed from repartition topics (`TaskManager.maybePurgeCommittedRecords`,
//! see `streams/runtime/thread.rs`).
//!
//! The leader's side reproduces `Partition.deleteRecordsOnLeader`: a partition this broker does
//! not lead is refused (NOT_LEADER_OR_FOLLOWER), a topic whose `cleanup.policy` is `compact`
//! alone is refused (POLICY_VIOLATION), an offset past the high watermark is refused
//! (`UnifiedLog.maybeIncrementLogStartOffset`: OFFSET_OUT_OF_RANGE), and otherwise the log start
//! offset moves up, never down. Followers follow it through the `log_start_offset` of their
//! fetch responses (`replication.rs`), as Kafka's do. The records below the new log start are
//! dropped at once (where Kafka deletes the segments wholly below it at its next retention
//! check): nothing can read them any more (a fetch below the log start is out of range).
//!
//! The response is not modelled: Streams never waits on it, it only skips a purge while the
//! previous one is unfinished, which at `repartition.purge.interval.ms` (30 s) is a round trip
//! long done. A refused or lost request deletes nothing, and the next purge asks again with
//! newer offsets, as Kafka's does.

use crate::cluster::Cluster;

impl Cluster {
    /// A DeleteRecords request reaching `broker`: `(slot, offset)` pairs, records before
    /// `offset` to delete.
    pub(crate) fn handle_delete_records(&mut self, broker: u32, parts: &[(u32, u64)]) {
        let mut moved = false;
        for &(slot, offset) in parts {
            let topic = self.topic_of(slot).config;
            // `LogConfig.delete`: the policy includes `delete` (retention_check's test).
            let delete_policy =
                !topic.compact || topic.retention_us.is_some() || topic.retention_bytes.is_some();
            if !delete_policy {
                continue;
            }
            let Some(r) = self.broker_mut(broker).replicas.get_mut(&slot) else {
                continue;
            };
            if !r.is_leader(broker) || offset > r.high_watermark {
                continue;
            }
            let before = r.log.log_start_offset();
            r.log.advance_log_start(offset);
            moved |= r.log.log_start_offset() > before;
        }
        if moved {
            self.request_reclaim();
        }
    }
}
