//! Background work every broker does on its logs: retention (Kafka's `log.retention.check.interval.ms`
//! task deleting whole segments by time or size) and compaction (the log cleaner, every
//! `log.cleaner.backoff.ms`, for `cleanup.policy=compact`).
//!
//! The room's storage limit (a playground setting, not a Kafka config) rides on the retention task:
//! after the topic's own retention, each replica keeps at most the limit, deleted as
//! `retention.bytes` of that size would (whole segments, oldest first, never the active one, only
//! below the high watermark; the log start offset moves). So that there are whole segments to
//! delete, active segments roll at `min(segment.bytes, limit / 8)` under a limit.

use crate::cluster::{Cluster, Timer};
use crate::config::TopicConfig;
use crate::event::{Event, SegmentDeletionReason};
use crate::log::RollPolicy;

/// Under a storage limit, segments roll at this fraction of it (at most).
const SEGMENTS_PER_STORAGE_LIMIT: u64 = 8;

impl Cluster {
    /// Sets (or lifts, with `None`) the room's storage ceiling per replica, in bytes. Not a Kafka
    /// config: a playground setting that keeps a long-running room's memory flat. It takes effect
    /// at the next retention check (`log.retention.check.interval.ms`), so a replica may exceed it
    /// by what is appended between two checks, plus at most one segment (limit / 8).
    pub fn set_storage_limit(&mut self, bytes_per_replica: Option<u64>) {
        self.config.storage_limit_bytes = bytes_per_replica.map(|b| b.max(1));
    }

    pub fn storage_limit(&self) -> Option<u64> {
        self.config.storage_limit_bytes
    }

    /// When a partition's active segment rolls: the topic's `segment.ms` and `segment.bytes`, and
    /// under a storage limit at most limit / 8 bytes.
    pub(crate) fn roll_policy(&self, topic: &TopicConfig) -> RollPolicy {
        let segment_bytes = match self.config.storage_limit_bytes {
            Some(limit) => topic
                .segment_bytes
                .min((limit / SEGMENTS_PER_STORAGE_LIMIT).max(1)),
            None => topic.segment_bytes,
        };
        RollPolicy {
            segment_ms: topic.segment_us,
            segment_bytes,
        }
    }

    pub(crate) fn retention_check(&mut self) {
        let now = self.now;
        let limit = self.config.storage_limit_bytes;
        for bi in 0..self.brokers.len() {
            if !self.brokers[bi].alive {
                continue;
            }
            let slots: Vec<u32> = self.brokers[bi].replicas.keys().copied().collect();
            for slot in slots {
                let topic = self.topic_of(slot).config;
                // cleanup.policy=compact alone deletes nothing by time or size.
                let kafka_retention = !(topic.compact
                    && topic.retention_us.is_none()
                    && topic.retention_bytes.is_none());
                if !kafka_retention && limit.is_none() {
                    continue;
                }
                let r = self.brokers[bi].replicas.get_mut(&slot).expect("replica");
                let hw = r.high_watermark;
                let mut deleted = Vec::new();
                if kafka_retention {
                    let bases =
                        r.log
                            .apply_retention(now, topic.retention_us, topic.retention_bytes, hw);
                    deleted.extend(
                        bases
                            .into_iter()
                            .map(|b| (b, SegmentDeletionReason::Retention)),
                    );
                }
                if let Some(limit) = limit {
                    let bases = r.log.apply_retention(now, None, Some(limit), hw);
                    let reason = SegmentDeletionReason::StorageLimit {
                        bytes_per_replica: limit,
                    };
                    deleted.extend(bases.into_iter().map(|b| (b, reason)));
                }
                r.high_watermark = r.high_watermark.max(r.log.log_start_offset());
                let start = r.log.log_start_offset();
                if !deleted.is_empty() {
                    self.request_reclaim();
                }
                let tp = self.tp(slot).clone();
                for (base, reason) in deleted {
                    self.emit(Event::SegmentDeleted {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                        broker: bi as u32 + 1,
                        base_offset: base,
                        log_start_offset: start,
                        reason,
                    });
                }
            }
        }
        let next = now + self.config.retention_check_interval_us;
        self.schedule(next, Timer::RetentionCheck);
    }

    pub(crate) fn cleaner_check(&mut self) {
        let now = self.now;
        let ratio = self.config.min_cleanable_dirty_ratio;
        for bi in 0..self.brokers.len() {
            if !self.brokers[bi].alive {
                continue;
            }
            let slots: Vec<u32> = self.brokers[bi].replicas.keys().copied().collect();
            for slot in slots {
                let topic = self.topic_of(slot).config;
                if !topic.compact {
                    continue;
                }
                let store = &self.store;
                let r = self.brokers[bi].replicas.get_mut(&slot).expect("replica");
                let hw = r.high_watermark;
                let removed = r
                    .log
                    .compact(store, now, hw, topic.delete_retention_us, ratio);
                if removed > 0 {
                    self.request_reclaim();
                    let tp = self.tp(slot).clone();
                    self.emit(Event::LogCompacted {
                        topic: tp.topic,
                        partition: tp.partition,
                        broker: bi as u32 + 1,
                        removed: removed as u32,
                    });
                }
            }
        }
        let next = now + self.config.cleaner_backoff_us;
        self.schedule(next, Timer::CleanerCheck);
    }
}
