//! Read-only questions about the cluster, as `expect` lines and the UI ask them. Partition-level
//! numbers (`hw`, `leo`, records) are the leader's view; while a partition has no leader, the view
//! of the last broker that led it.

use crate::cluster::Cluster;
use crate::command::TopicPartition;
use crate::log::PartitionLog;
use crate::record::ValueRef;

impl Cluster {
    pub fn broker_count(&self) -> u32 {
        self.brokers.len() as u32
    }

    pub fn broker_up(&self, broker: u32) -> Option<bool> {
        self.brokers
            .get((broker as usize).checked_sub(1)?)
            .map(|b| b.alive)
    }

    /// `Cluster::zombie_leaders` of a partition by name.
    pub fn zombie_leaders_of(&self, tp: &TopicPartition) -> Option<Vec<u32>> {
        self.slot_of(tp).map(|slot| self.zombie_leaders(slot))
    }

    /// Whether `network isolate` cut the broker off from everyone, clients included.
    pub fn broker_isolated(&self, broker: u32) -> bool {
        self.network.is_isolated(broker)
    }

    pub fn broker_fenced(&self, broker: u32) -> Option<bool> {
        self.brokers
            .get((broker as usize).checked_sub(1)?)
            .map(|b| b.fenced)
    }

    /// What the cluster costs per simulated second, for the limit on one step of time
    /// (`crate::limits::Load`).
    pub fn load(&self) -> crate::limits::Load {
        crate::limits::Load {
            producer_rate_per_hour: self.producer_rate_total(),
            follower_replicas: self
                .partitions
                .iter()
                .map(|p| p.replicas.len().saturating_sub(1) as u64)
                .sum(),
            consumers: (0..self.consumers.len() as u32)
                .filter(|&c| !self.consumer_gone(c))
                .count() as u64,
        }
    }

    pub fn has_topic(&self, topic: &str) -> bool {
        self.topics.contains_key(topic)
    }

    pub fn topic_partitions(&self, topic: &str) -> Option<u32> {
        self.topics.get(topic).map(|t| t.config.partitions)
    }

    /// A topic's settings (`None`: no such topic).
    pub fn topic_config(&self, topic: &str) -> Option<crate::config::TopicConfig> {
        self.topics.get(topic).map(|t| t.config)
    }

    pub fn topic_names(&self) -> Vec<String> {
        self.topics.keys().cloned().collect()
    }

    fn meta(&self, tp: &TopicPartition) -> Option<&crate::cluster::PartitionMeta> {
        self.slot_of(tp).map(|s| &self.partitions[s as usize])
    }

    pub fn leader(&self, tp: &TopicPartition) -> Option<Option<u32>> {
        self.meta(tp).map(|m| m.leader)
    }

    pub fn replicas(&self, tp: &TopicPartition) -> Option<Vec<u32>> {
        self.meta(tp).map(|m| m.replicas.clone())
    }

    pub fn isr(&self, tp: &TopicPartition) -> Option<Vec<u32>> {
        self.meta(tp).map(|m| m.isr.clone())
    }

    pub fn leader_epoch(&self, tp: &TopicPartition) -> Option<u32> {
        self.meta(tp).map(|m| m.leader_epoch)
    }

    /// The partition a record with this key goes to (Kafka's default partitioner).
    pub fn partition_for_key(&self, topic: &str, key: &str) -> Option<u32> {
        let n = self.topics.get(topic)?.config.partitions;
        Some(crate::murmur2::partition_for_key(key.as_bytes(), n))
    }

    fn leader_replica(&self, tp: &TopicPartition) -> Option<&crate::broker::Replica> {
        let slot = self.slot_of(tp)?;
        let b = self.partitions[slot as usize].view_broker?;
        self.broker(b).replicas.get(&slot)
    }

    pub fn leader_log(&self, tp: &TopicPartition) -> Option<&PartitionLog> {
        self.leader_replica(tp).map(|r| &r.log)
    }

    pub fn high_watermark(&self, tp: &TopicPartition) -> Option<u64> {
        self.leader_replica(tp).map(|r| r.high_watermark)
    }

    pub fn log_end_offset(&self, tp: &TopicPartition) -> Option<u64> {
        self.leader_log(tp).map(|l| l.log_end_offset())
    }

    pub fn log_start_offset(&self, tp: &TopicPartition) -> Option<u64> {
        self.leader_log(tp).map(|l| l.log_start_offset())
    }

    pub fn record_count(&self, tp: &TopicPartition) -> Option<u64> {
        self.leader_log(tp).map(|l| l.len() as u64)
    }

    /// One replica's (log end offset, high watermark) as that broker sees it.
    pub fn replica_offsets(&self, tp: &TopicPartition, broker: u32) -> Option<(u64, u64)> {
        let slot = self.slot_of(tp)?;
        let r = self
            .brokers
            .get((broker as usize).checked_sub(1)?)?
            .replicas
            .get(&slot)?;
        Some((r.log.log_end_offset(), r.high_watermark))
    }

    /// The latest value for `key` in the leader's log: `Some(None)` for a tombstone or no record.
    pub fn latest_value(&self, tp: &TopicPartition, key: &str) -> Option<Option<String>> {
        let log = self.leader_log(tp)?;
        let found = log
            .entries()
            .rev()
            .find(|e| self.store.key_text(e.id) == Some(key));
        Some(found.and_then(|e| self.value_text(e.id)))
    }

    /// A record's value as text (`None` for a null value).
    pub fn value_text(&self, id: crate::record::RecordId) -> Option<String> {
        let d = self.store.get(id);
        match d.value {
            ValueRef::Null => None,
            ValueRef::Text(s) => Some(self.store.text(s).to_owned()),
            ValueRef::Generated => self.generated_value(d.producer, d.producer_seq, d.key),
            ValueRef::Bytes(_) => self
                .store
                .payload(id)
                .and_then(|p| p.value.as_deref())
                .map(crate::record::bytes_text),
        }
    }

    /// The value a steady producer generates for its record number `seq`: its `value=` template
    /// evaluated with `seq` and the record's key, as `Val::to_record` writes it (`None` when it
    /// yields null), or `NAME-SEQ` without a template. Computed wherever it is read, so a
    /// million generated values cost no memory. The parser tried the template on the first
    /// records of the producer's keys; one that fails later (a division by zero at some `seq`)
    /// gives that record no value.
    pub(crate) fn generated_value(
        &self,
        producer: u32,
        seq: u32,
        key: Option<crate::record::Sym>,
    ) -> Option<String> {
        let p = &self.producers[producer as usize];
        if p.value.is_none() {
            return Some(format!("{}-{seq}", p.display_name));
        }
        self.generated_val(producer, seq, key)
            .and_then(|v| v.to_record())
    }

    /// A steady producer's `value=` template evaluated for its record number `seq`; `None` when
    /// it has no template or the template fails for this record.
    pub(crate) fn generated_val(
        &self,
        producer: u32,
        seq: u32,
        key: Option<crate::record::Sym>,
    ) -> Option<crate::streams::value::Val> {
        let template = self.producers[producer as usize].value.as_ref()?;
        let key = key.map_or(crate::streams::value::Val::Null, |k| {
            crate::streams::value::Val::from_shared(self.store.shared_text(k))
        });
        let env = crate::streams::expr::Env {
            key: Some(&key),
            seq: u64::from(seq),
            ..Default::default()
        };
        template.eval(&env).ok()
    }

    /// A record's key as a Streams application reads it (`Val::from_record` of its text), from
    /// its data (`RecordStore::get`), which the caller has in hand.
    pub(crate) fn key_val(&self, data: &crate::record::RecordData) -> crate::streams::value::Val {
        use crate::streams::value::Val;
        data.key
            .map_or(Val::Null, |k| Val::from_shared(self.store.shared_text(k)))
    }

    /// A record's value as a Streams application reads it: `Val::from_record` of
    /// [`Cluster::value_text`], without writing out and copying text that is read as text.
    pub(crate) fn value_val(&self, id: crate::record::RecordId) -> crate::streams::value::Val {
        use crate::streams::value::Val;
        let d = self.store.get(id);
        match d.value {
            ValueRef::Null => Val::Null,
            ValueRef::Text(s) => Val::from_shared(self.store.shared_text(s)),
            ValueRef::Bytes(_) => Val::from_record(self.value_text(id).as_deref()),
            ValueRef::Generated => {
                let p = &self.producers[d.producer as usize];
                if p.value.is_none() {
                    return Val::from_record(self.value_text(id).as_deref());
                }
                match self.generated_val(d.producer, d.producer_seq, d.key) {
                    // Text is written as it is, and read back as `from_record` reads it.
                    Some(Val::Text(text)) => Val::from_shared(&text),
                    Some(v) => Val::from_record(v.to_record().as_deref()),
                    None => Val::Null,
                }
            }
        }
    }

    pub fn key_text(&self, id: crate::record::RecordId) -> Option<&str> {
        self.store.key_text(id)
    }

    pub fn record_timestamp(&self, id: crate::record::RecordId) -> u64 {
        self.store.get(id).timestamp_us
    }

    pub fn acked(&self, topic: &str) -> Option<u64> {
        self.topics.get(topic).map(|t| t.acked)
    }

    pub fn rejected(&self, topic: &str) -> Option<u64> {
        self.topics.get(topic).map(|t| t.rejected)
    }

    /// Acknowledged records no longer in their partition's leader log, for one topic or all.
    pub fn lost(&self, topic: Option<&str>) -> Option<i64> {
        match topic {
            Some(t) => self.topics.get(t).map(|t| t.lost),
            None => Some(self.topics.values().map(|t| t.lost).sum()),
        }
    }

    /// Records created by producers so far.
    pub fn records_created(&self) -> usize {
        self.store.len()
    }

    /// Records freed so far because no log, message or client buffer referred to them any more.
    pub fn records_freed(&self) -> u64 {
        self.store.freed_records()
    }

    pub fn producer_names(&self) -> Vec<String> {
        self.producers
            .iter()
            .filter(|p| p.display_name != "console")
            .map(|p| p.name.clone())
            .collect()
    }
}
