//! Background work every broker does on its logs: retention (Kafka's `log.retention.check.interval.ms`
//! task deleting whole segments by time or size) and compaction (the log cleaner, every
//! `log.cleaner.backoff.ms`, for `cleanup.policy=compact`).

use crate::cluster::{Cluster, Timer};
use crate::event::Event;

impl Cluster {
    pub(crate) fn retention_check(&mut self) {
        let now = self.now;
        for bi in 0..self.brokers.len() {
            if !self.brokers[bi].alive {
                continue;
            }
            let slots: Vec<u32> = self.brokers[bi].replicas.keys().copied().collect();
            for slot in slots {
                let topic = self.topic_of(slot).config;
                if topic.compact && topic.retention_us.is_none() && topic.retention_bytes.is_none()
                {
                    continue;
                }
                let r = self.brokers[bi].replicas.get_mut(&slot).expect("replica");
                let hw = r.high_watermark;
                let deleted =
                    r.log
                        .apply_retention(now, topic.retention_us, topic.retention_bytes, hw);
                r.high_watermark = r.high_watermark.max(r.log.log_start_offset());
                let start = r.log.log_start_offset();
                if !deleted.is_empty() {
                    self.request_reclaim();
                }
                let tp = self.tp(slot).clone();
                for base in deleted {
                    self.emit(Event::SegmentDeleted {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                        broker: bi as u32 + 1,
                        base_offset: base,
                        log_start_offset: start,
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
