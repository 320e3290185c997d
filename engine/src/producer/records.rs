//! `KafkaProducer.send`: the records a producer's program makes (at its rate, or one
//! `produce` line), their keys, and the partitioner that picks each one's partition before it is
//! appended to the accumulator.

use rand::Rng;

use crate::cluster::Cluster;
use crate::command::{KeySpec, PartitionerKind};
use crate::limits;
use crate::record::{RECORD_OVERHEAD_BYTES, RecordData, ValueRef};
use crate::time::Micros;

use super::*;

impl Cluster {
    /// Creates the records a steady producer owes up to now.
    pub(super) fn catch_up_generation(&mut self, id: u32) {
        let now = self.now;
        let p = &self.producers[id as usize];
        let (Some(rate), true) = (p.rate, p.running) else {
            return;
        };
        if rate.per_hour == 0 {
            return;
        }
        let due = p.rate_base_count
            + ((now - p.rate_base_us) as u128 * rate.per_hour as u128 / 3_600_000_000u128) as u64;
        while self.producers[id as usize].generated < due {
            if self.producers[id as usize].buffered >= MAX_BUFFERED_RECORDS {
                // buffer.memory is full: Kafka blocks send() (max.block.ms); the app produces less.
                self.producers[id as usize].generated = due;
                break;
            }
            let p = &self.producers[id as usize];
            let n = p.generated - p.rate_base_count + 1;
            let at = p.rate_base_us
                + ((n as u128 * 3_600_000_000u128).div_ceil(rate.per_hour as u128)) as u64;
            let key = self.next_key(id);
            self.create_record(id, at.min(now), at.min(now), key, ValueRef::Generated, None);
            self.producers[id as usize].generated += 1;
        }
    }

    fn next_key(&mut self, id: u32) -> Option<crate::record::Sym> {
        let p = &self.producers[id as usize];
        match &p.keys {
            KeySpec::None => None,
            KeySpec::Fixed(k) => {
                let k = k.clone();
                Some(self.store.intern(&k))
            }
            KeySpec::Range {
                prefix,
                first,
                last,
            } => {
                // Checked when the producer was added; a range that slipped through (it would
                // have 2^64 keys and `last - first + 1` would wrap to 0) uses its first key only.
                let n = limits::key_range_len(*first, *last).unwrap_or(1);
                let i = p.generated % n;
                if let Some(Some(sym)) = p.key_cache.get(i as usize) {
                    return Some(*sym);
                }
                let sym = self.store.intern(&format!("{prefix}{}", first + i));
                let p = &mut self.producers[id as usize];
                if n <= limits::MAX_KEY_RANGE {
                    p.key_cache.resize(n as usize, None);
                    p.key_cache[i as usize] = Some(sym);
                }
                Some(sym)
            }
        }
    }

    /// Partitions one record and puts it in the accumulator; `at` is when the application sent
    /// it, `timestamp_us` its CreateTime. `partition`: the record's partition when the
    /// application chose it (a Streams task's changelog writes go to the task's partition);
    /// `None`: the partitioner's choice.
    pub(crate) fn create_record(
        &mut self,
        id: u32,
        at: Micros,
        timestamp_us: Micros,
        key: Option<crate::record::Sym>,
        mut value: ValueRef,
        partition: Option<u32>,
    ) {
        let n = self.producers[id as usize].slots.len() as u32;
        let key_bytes = key.map_or(0, |k| self.store.text(k).len() as u32);
        let p = &self.producers[id as usize];
        let value_bytes = match value {
            ValueRef::Null => 0,
            ValueRef::Text(s) => self.store.text(s).len() as u32,
            ValueRef::Generated if p.value.is_some() => {
                // A template's value is computed again wherever it is read; here only its size
                // counts, and a template that yields null makes a tombstone.
                match self
                    .generated_val(id, p.seq, key)
                    .and_then(|v| v.record_text().map(|text| text.len() as u32))
                {
                    Some(len) => len,
                    None => {
                        value = ValueRef::Null;
                        0
                    }
                }
            }
            ValueRef::Generated => p.display_name.len() as u32 + 8,
            // Real clients' records are made by `client::external`, not here.
            ValueRef::Bytes(_) => unreachable!("a real client's record through the accumulator"),
        };
        let size = RECORD_OVERHEAD_BYTES + key_bytes + value_bytes;
        let partition = match (partition, key) {
            (Some(p), _) if p < n => p,
            (_, Some(k)) => crate::murmur2::partition_for_key(self.store.text(k).as_bytes(), n),
            (_, None) => self.partition_unkeyed(id, size),
        };
        let batch_size = self.producers[id as usize].config.batch_size_bytes;
        let p = &mut self.producers[id as usize];
        let producer_seq = p.seq;
        p.seq = p.seq.wrapping_add(1);
        p.buffered += 1;
        let q = &mut p.queues[partition as usize];
        let open = q
            .back()
            .is_some_and(|b| b.bytes + size <= batch_size && b.retry_at_us == 0);
        if !open {
            let seq = p.next_batch_seq[partition as usize];
            p.next_batch_seq[partition as usize] += 1;
            q.push_back(Batch {
                partition,
                records: Vec::new(),
                bytes: 0,
                created_us: at,
                retry_at_us: 0,
                seq,
                reset: false,
                attempts: 0,
            });
        }
        let b = q.back_mut().expect("an open batch");
        let batch_seq = b.seq;
        let rid = self.store.push(RecordData {
            timestamp_us,
            key,
            value,
            producer: id,
            producer_seq,
            batch_seq,
            size_bytes: size,
        });
        b.records.push(rid);
        b.bytes += size;
    }

    /// Records without a key: Kafka's built-in sticky partitioner (KIP-480/KIP-794) keeps one
    /// partition until `batch.size` bytes went to it, then picks another at random among partitions
    /// with a leader; `partitioner=round-robin` is RoundRobinPartitioner (each record to the next
    /// available partition).
    fn partition_unkeyed(&mut self, id: u32, size: u32) -> u32 {
        let p = &self.producers[id as usize];
        let available = || -> Vec<u32> {
            (0..p.slots.len() as u32)
                .filter(|&i| p.leader(i as usize).is_some())
                .collect()
        };
        let n = p.slots.len() as u32;
        match p.partitioner {
            PartitionerKind::RoundRobin => {
                let available = available();
                let p = &mut self.producers[id as usize];
                let c = p.round_robin;
                p.round_robin = p.round_robin.wrapping_add(1);
                let c = c & 0x7fff_ffff;
                if available.is_empty() {
                    c % n
                } else {
                    available[(c as usize) % available.len()]
                }
            }
            PartitionerKind::Default => {
                // KAFKA-14156 (3.3.2+): switch once batch.size bytes went to the sticky partition and
                // its last batch is full (or it has none), and unconditionally at twice that.
                let batch_size = p.config.batch_size_bytes;
                let last_full = |s: u32| {
                    p.queues[s as usize]
                        .back()
                        .is_none_or(|b| b.bytes + size > batch_size)
                };
                let current = p.sticky.filter(|&s| {
                    p.sticky_bytes < batch_size
                        || (p.sticky_bytes < 2 * batch_size && !last_full(s))
                });
                let partition = match current {
                    Some(s) => s,
                    None => {
                        let available = available();
                        let r: u32 = self.rng.random::<u32>() & 0x7fff_ffff;
                        let pick = if available.is_empty() {
                            r % n
                        } else {
                            available[(r as usize) % available.len()]
                        };
                        let p = &mut self.producers[id as usize];
                        p.sticky = Some(pick);
                        p.sticky_bytes = 0;
                        pick
                    }
                };
                self.producers[id as usize].sticky_bytes += size;
                partition
            }
        }
    }
}
