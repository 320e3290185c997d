//! Background work every broker does on its logs: retention (Kafka's `log.retention.check.interval.ms`
//! task deleting whole segments by time or size) and compaction (the log cleaner, every
//! `log.cleaner.backoff.ms`, for `cleanup.policy=compact`).
//!
//! The room's storage limit (a playground setting, not a Kafka config) has its own check, every
//! [`STORAGE_LIMIT_CHECK_US`]: each replica keeps at most the limit, deleted as `retention.bytes`
//! of that size would (whole segments, oldest first, never the active one, only below the high
//! watermark; the log start offset moves). So that there are whole segments to delete, active
//! segments roll at `min(segment.bytes, limit / 8)` under a limit.

use crate::cluster::{Cluster, Timer};
use crate::config::TopicConfig;
use crate::event::{Event, SegmentDeletionReason};
use crate::log::RollPolicy;
use crate::time::{Micros, secs};

/// Under a storage limit, segments roll at this fraction of it (at most).
const SEGMENTS_PER_STORAGE_LIMIT: u64 = 8;

/// How often the storage limit is applied. Not Kafka's 5-minute retention check: a flooded
/// room's logs then lose one segment at a time as new ones fill, instead of five minutes of
/// records at once, so what the room holds (its rewind points keep the records its logs drop)
/// stays level rather than rising and falling in a sawtooth.
pub const STORAGE_LIMIT_CHECK_US: Micros = secs(10);

impl Cluster {
    /// Sets (or lifts, with `None`) the room's storage ceiling per replica, in bytes. Not a Kafka
    /// config: a playground setting that keeps a long-running room's memory flat. It takes effect
    /// at the next storage check ([`STORAGE_LIMIT_CHECK_US`]), so a replica may exceed it by what
    /// is appended between two checks, plus at most one segment (limit / 8).
    pub fn set_storage_limit(&mut self, bytes_per_replica: Option<u64>) {
        self.config.storage_limit_bytes = bytes_per_replica.map(|b| b.max(1));
        if self.config.storage_limit_bytes.is_some() && !self.storage_check_pending {
            self.storage_check_pending = true;
            let next = self.now + STORAGE_LIMIT_CHECK_US;
            self.schedule(next, Timer::StorageLimitCheck);
        }
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

    /// Kafka's retention task (`log.retention.check.interval.ms`): each replica deletes the
    /// segments its topic's `retention.ms` and `retention.bytes` allow.
    pub(crate) fn retention_check(&mut self) {
        let now = self.now;
        for bi in 0..self.brokers.len() {
            if !self.brokers[bi].alive {
                continue;
            }
            let slots: Vec<u32> = self.brokers[bi].replicas.keys().copied().collect();
            for slot in slots {
                let topic = self.topic_of(slot).config;
                // cleanup.policy=compact alone deletes nothing by time or size.
                if topic.compact && topic.retention_us.is_none() && topic.retention_bytes.is_none()
                {
                    continue;
                }
                self.delete_segments(bi, slot, SegmentDeletionReason::Retention, |log, hw| {
                    log.apply_retention(now, topic.retention_us, topic.retention_bytes, hw)
                });
            }
        }
        let next = now + self.config.retention_check_interval_us;
        self.schedule(next, Timer::RetentionCheck);
    }

    /// The room's storage limit, every [`STORAGE_LIMIT_CHECK_US`] while one is set: each replica
    /// keeps at most the limit, as `retention.bytes` of that size would.
    pub(crate) fn storage_limit_check(&mut self) {
        self.storage_check_pending = false;
        let Some(limit) = self.config.storage_limit_bytes else {
            return;
        };
        let now = self.now;
        let reason = SegmentDeletionReason::StorageLimit {
            bytes_per_replica: limit,
        };
        for bi in 0..self.brokers.len() {
            if !self.brokers[bi].alive {
                continue;
            }
            let slots: Vec<u32> = self.brokers[bi].replicas.keys().copied().collect();
            for slot in slots {
                self.delete_segments(bi, slot, reason, |log, hw| {
                    log.apply_retention(now, None, Some(limit), hw)
                });
            }
        }
        self.storage_check_pending = true;
        self.schedule(now + STORAGE_LIMIT_CHECK_US, Timer::StorageLimitCheck);
    }

    /// Deletes the segments `delete` picks from broker `bi`'s replica of `slot` (given its log and
    /// high watermark, returning the deleted segments' base offsets): the high watermark follows
    /// the log start, the record store is swept, and each deletion is an event.
    fn delete_segments(
        &mut self,
        bi: usize,
        slot: u32,
        reason: SegmentDeletionReason,
        delete: impl FnOnce(&mut crate::log::PartitionLog, u64) -> Vec<u64>,
    ) {
        let r = self.brokers[bi].replicas.get_mut(&slot).expect("replica");
        let hw = r.high_watermark;
        let deleted = delete(&mut r.log, hw);
        r.high_watermark = r.high_watermark.max(r.log.log_start_offset());
        let start = r.log.log_start_offset();
        if deleted.is_empty() {
            return;
        }
        self.request_reclaim();
        let tp = self.tp(slot).clone();
        for base in deleted {
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
