//! Producer clients, as Kafka's KafkaProducer behaves with its defaults: records are partitioned
//! (murmur2 for keys; sticky batches or round-robin without), collected per partition into
//! batches (`batch.size`, `linger.ms`), sent to each partition's leader, retried on retriable
//! errors after `retry.backoff.ms` with a metadata refresh, and failed once `delivery.timeout.ms`
//! has passed or `retries` are used up. Idempotence is on (the Kafka 3.0+ default) with acks=all,
//! so a retried batch is never written twice; with it off (`enable-idempotence=false`, acks 0 or
//! 1, `retries=0`) a retried batch that had reached the log is appended again. One batch per
//! partition is in flight at a time, which keeps records in order.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use rand::Rng;

use crate::client::{ClientId, ClientMetadata, PartitionMetadata};
use crate::cluster::{Cluster, CommandError, Timer};
use crate::command::{Acks, KeySpec, PartitionerKind, ProducerSpec, Rate};
use crate::config::ProducerConfig;
use crate::event::{ErrorCode, Event};
use crate::limits;
use crate::net::{Message, Node, ProduceBatch};
use crate::record::{RECORD_OVERHEAD_BYTES, RecordData, RecordId, ValueRef};
use crate::streams::expr::Expr;
use crate::time::{Micros, ms};

/// Records waiting in the accumulator for one partition.
#[derive(Debug, Clone)]
pub struct Batch {
    pub partition: u32,
    pub records: Vec<RecordId>,
    pub bytes: u32,
    pub created_us: Micros,
    pub retry_at_us: Micros,
    /// The idempotent producer's sequence number for this partition.
    pub seq: u32,
    /// Sent with a bumped producer epoch: the broker accepts the gap before it (KIP-360).
    pub reset: bool,
    /// Times it was sent again after a retriable error (Kafka's `ProducerBatch.attempts`, held
    /// to `retries`).
    pub attempts: u32,
}

#[derive(Debug, Clone)]
pub struct InFlight {
    pub broker: u32,
    /// When the request left: its `request.timeout.ms` runs from here, and `request-latency-avg`
    /// measures from here.
    pub sent_us: Micros,
    pub batches: Vec<Batch>,
}

/// `max.in.flight.requests.per.connection` = 5.
pub const MAX_IN_FLIGHT_PER_BROKER: usize = 5;

/// Most records a producer may hold unsent (Kafka's buffer.memory, 32 MiB, counted in records).
pub const MAX_BUFFERED_RECORDS: usize = 1_000_000;

/// A producer's outcomes so far (see [`Producer::counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProducerCounts {
    pub acked: u64,
    pub failed: u64,
    pub retried: u64,
}

#[derive(Debug, Clone)]
pub struct Producer {
    pub name: String,
    /// What events show ("console" for one-off `produce` lines).
    pub display_name: String,
    pub topic: String,
    pub slots: Vec<u32>,
    pub acks: Acks,
    pub partitioner: PartitionerKind,
    pub keys: KeySpec,
    pub config: ProducerConfig,
    pub running: bool,
    /// `producer pause`: not sending until `producer resume` (`running` is false meanwhile).
    pub paused: bool,
    pub rate: Option<Rate>,
    /// `value="EXPR"`: the template of each record's value (see [`Cluster::generated_value`]).
    pub value: Option<Arc<Expr>>,
    rate_base_us: Micros,
    rate_base_count: u64,
    pub generated: u64,
    /// Records this producer created, for generated values and key rotation.
    pub seq: u32,
    sticky: Option<u32>,
    sticky_bytes: u32,
    round_robin: u32,
    pub queues: Vec<VecDeque<Batch>>,
    /// The next batch sequence number, per partition.
    next_batch_seq: Vec<u32>,
    /// The highest sequence acknowledged, per partition (Kafka's `lastAckedSequence`).
    last_acked_seq: Vec<Option<u32>>,
    /// Per partition: a batch with a sequence failed to the application, so the leader may be
    /// missing sequences before the next batch (Kafka's `partitionsWithUnresolvedSequences` and
    /// `requestEpochBumpForPartition`; see [`Producer::resolve_sequence`]).
    unresolved: Vec<bool>,
    pub in_flight: BTreeMap<u64, InFlight>,
    /// What the producer knows of the cluster: its topic's partitions and their leaders, as
    /// its last Metadata response gave them.
    pub metadata: ClientMetadata,
    tick_at: Option<Micros>,
    pub buffered: usize,
    /// What the application's callbacks saw, as Kafka's producer metrics count them:
    /// records acknowledged (`record-send-total` counts sends; the playground counts the
    /// acknowledgements a teacher asks about), failed (`record-error-total`: delivery timeout or a
    /// refusal that is not retried) and sent again (`record-retry-total`).
    pub counts: ProducerCounts,
    /// Interned keys of a `keys=A..B` range, by position (filled as they are first used).
    key_cache: Vec<Option<crate::record::Sym>>,
    /// A real Kafka client's entry for one topic (`client::external`): the client's id. It
    /// makes no records and never resends; its answers go back to the client.
    pub external: Option<u32>,
    /// The brokers whose connection broke and has not been opened again (`connection.rs`).
    pub connections: crate::connection::Connections,
}

impl Producer {
    /// The leader the metadata cache names for partition `part` of the producer's topic.
    /// A topic deleted and created again under the name is another topic (another topic id in
    /// Kafka): its partitions are not the ones this producer writes to (`topic_delete.rs`).
    fn leader(&self, part: usize) -> Option<u32> {
        self.leader_in(self.metadata.partitions(&self.topic), part)
    }

    /// The brokers whose connection broke that batches wait for (leaders of partitions with
    /// records in the accumulator), for the page's "waiting for broker N".
    pub fn waiting_for(&self) -> Vec<u32> {
        let mut brokers = Vec::new();
        if self.connections.all_up() {
            return brokers;
        }
        for (part, q) in self.queues.iter().enumerate() {
            if let Some(l) = self.leader(part).filter(|l| !self.connections.is_ready(*l))
                && !q.is_empty()
                && !brokers.contains(&l)
            {
                brokers.push(l);
            }
        }
        brokers.sort_unstable();
        brokers
    }

    /// [`Producer::leader`] with the topic's cached partitions already looked up.
    fn leader_in(&self, parts: Option<&[PartitionMetadata]>, part: usize) -> Option<u32> {
        parts
            .and_then(|p| p.get(part))
            .filter(|p| Some(&p.slot) == self.slots.get(part))
            .and_then(|p| p.leader)
    }

    /// Kafka's `TransactionManager.isNextSequence`: `seq` follows the last acknowledged one.
    fn is_next_sequence(&self, part: usize, seq: u32) -> bool {
        self.last_acked_seq[part].map_or(0, |l| l + 1) == seq
    }

    /// May the partition's front batch be sent now? Kafka's
    /// `RecordAccumulator.shouldStopDrainBatchesForPartition`: a retried batch goes only when no
    /// batch before it is in flight, and while a failed batch's sequence is unresolved nothing
    /// goes until the batches before it in flight are answered (Kafka waits for all of the
    /// partition's; a later one still in flight here comes back refused and goes again). Then
    /// `TransactionManager.maybeResolveSequences`: if the front batch is the next sequence after
    /// the last acknowledged one, nothing is missing; otherwise `requestEpochBumpForPartition` and
    /// `bumpIdempotentEpochAndResetIdIfNeeded` start the partition afresh under a new epoch, which
    /// the leader accepts after any gap (KIP-360): the batch carries `reset`. So the batches after
    /// one that expired are refused for the real reason (NOT_ENOUGH_REPLICAS while the ISR is too
    /// small) and appended once it is back, instead of OUT_OF_ORDER_SEQUENCE_NUMBER until they
    /// expire too. (Kafka restarts the sequence at 0 in the new epoch; the playground's leader
    /// keeps no epoch, so the numbers go on and `reset` stands for the new epoch.)
    fn resolve_sequence(&mut self, part: usize) -> bool {
        let Some(front) = self.queues[part].front() else {
            return true;
        };
        let (seq, retried) = (front.seq, front.retry_at_us > 0);
        let earlier_in_flight = self
            .in_flight
            .values()
            .flat_map(|f| &f.batches)
            .any(|x| x.partition == part as u32 && x.seq < seq);
        if earlier_in_flight && (retried || self.unresolved[part]) {
            return false;
        }
        if self.unresolved[part] {
            self.unresolved[part] = false;
            if !self.is_next_sequence(part, seq) {
                self.queues[part].front_mut().expect("front").reset = true;
            }
        }
        true
    }
}

impl Cluster {
    pub(crate) fn new_producer(
        &mut self,
        name: String,
        display_name: String,
        spec: &ProducerSpec,
    ) -> Result<u32, CommandError> {
        if !self.topics.contains_key(&spec.topic) {
            return Err(CommandError::UnknownTopic(spec.topic.clone()));
        }
        for (option, d) in [
            ("linger", spec.linger),
            ("delivery-timeout", spec.delivery_timeout),
            ("request-timeout", spec.request_timeout),
        ] {
            if let Some(d) = d {
                CommandError::limit(limits::check_setting(option, d))?;
            }
        }
        let acks = spec.acks.unwrap_or(Acks::All);
        let config = crate::config::producer_config(
            acks == Acks::All,
            spec.linger,
            spec.delivery_timeout,
            spec.request_timeout,
            spec.retries,
            spec.enable_idempotence,
        )
        .map_err(|e| CommandError::Invalid(e.kafka_message().to_string()))?;
        match &spec.keys {
            Some(KeySpec::Range {
                prefix,
                first,
                last,
            }) => {
                if first > last {
                    return Err(CommandError::Invalid("a key range must go upwards".into()));
                }
                limits::key_range_len(*first, *last).map_err(CommandError::Limit)?;
                CommandError::limit(limits::check_record_bytes(prefix.len() + 20, 0))?;
            }
            Some(KeySpec::Fixed(key)) => {
                CommandError::limit(limits::check_record_bytes(key.len(), 0))?;
            }
            Some(KeySpec::None) | None => {}
        }
        if let Some(rate) = spec.rate.filter(|_| self.producer_rate_limits) {
            CommandError::limit(limits::check_producer_rate(rate))?;
            let total = self.producer_rate_total() + u128::from(rate.per_hour);
            CommandError::limit(limits::check_total_producer_rate(total))?;
        }
        // The producer starts with its topic's metadata in hand: its first Metadata answer is
        // taken as instant (Kafka's first send() waits up to max.block.ms for it).
        let mut metadata = ClientMetadata::default();
        metadata.update(
            self.metadata_response(std::slice::from_ref(&spec.topic)),
            self.now,
        );
        let slots: Vec<u32> = metadata
            .partitions(&spec.topic)
            .expect("the topic exists")
            .iter()
            .map(|p| p.slot)
            .collect();
        let n = slots.len();
        let id = self.producers.len() as u32;
        self.producers.push(Producer {
            name,
            display_name,
            topic: spec.topic.clone(),
            slots,
            acks,
            partitioner: spec.partitioner.unwrap_or(PartitionerKind::Default),
            keys: spec.keys.clone().unwrap_or(KeySpec::None),
            config,
            running: true,
            paused: false,
            rate: spec.rate,
            rate_base_us: self.now,
            rate_base_count: 0,
            generated: 0,
            counts: ProducerCounts::default(),
            seq: 0,
            sticky: None,
            sticky_bytes: 0,
            round_robin: 0,
            queues: vec![VecDeque::new(); n],
            next_batch_seq: vec![0; n],
            last_acked_seq: vec![None; n],
            unresolved: vec![false; n],
            in_flight: BTreeMap::new(),
            metadata,
            tick_at: None,
            buffered: 0,
            key_cache: Vec::new(),
            value: spec.value.clone().map(Arc::new),
            external: None,
            connections: Default::default(),
        });
        self.arm_metadata_max_age(ClientId::Producer(id));
        Ok(id)
    }

    fn producer_index(&self, name: &str) -> Option<u32> {
        self.producers
            .iter()
            .position(|p| p.name == name)
            .map(|i| i as u32)
    }

    /// The sum of the steady producers' rates, in records per hour: producers that are sending
    /// or paused (they resume at their rate). Stopped producers and the console's one-off
    /// producers count for nothing.
    pub fn producer_rate_total(&self) -> u128 {
        self.producers
            .iter()
            .filter(|p| p.running || p.paused)
            .filter_map(|p| p.rate)
            .map(|r| u128::from(r.per_hour))
            .sum()
    }

    pub(crate) fn cmd_producer_add(&mut self, spec: ProducerSpec) -> Result<(), CommandError> {
        if self.producer_index(&spec.name).is_some() || spec.name == "console" {
            return Err(CommandError::ProducerExists(spec.name));
        }
        CommandError::limit(limits::check_name("producer", &spec.name))?;
        let id = self.new_producer(spec.name.clone(), spec.name.clone(), &spec)?;
        self.emit(Event::ProducerAdded {
            producer: spec.name,
            topic: spec.topic,
        });
        self.producer_tick(id);
        Ok(())
    }

    pub(crate) fn cmd_producer_stop(&mut self, name: &str) -> Result<(), CommandError> {
        let id = self
            .producer_index(name)
            .ok_or_else(|| CommandError::UnknownProducer(name.into()))?;
        self.catch_up_generation(id);
        let p = &mut self.producers[id as usize];
        p.running = false;
        p.paused = false;
        self.emit(Event::ProducerStopped {
            producer: name.into(),
        });
        Ok(())
    }

    /// `producer pause|resume NAME`: pausing stops the application's sends (what is buffered
    /// still drains); resuming restarts the steady rate from now, without a burst of the
    /// records it would have sent meanwhile.
    pub(crate) fn cmd_producer_pause(
        &mut self,
        name: &str,
        paused: bool,
    ) -> Result<(), CommandError> {
        let id = self
            .producer_index(name)
            .ok_or_else(|| CommandError::UnknownProducer(name.into()))?;
        let p = &self.producers[id as usize];
        if paused && !p.running {
            return Err(CommandError::Invalid(format!(
                "producer '{name}' is not sending (already paused or stopped)"
            )));
        }
        if !paused && !p.paused {
            return Err(CommandError::Invalid(format!(
                "producer '{name}' is not paused"
            )));
        }
        self.catch_up_generation(id);
        let now = self.now;
        let p = &mut self.producers[id as usize];
        p.running = !paused;
        p.paused = paused;
        p.rate_base_us = now;
        p.rate_base_count = p.generated;
        self.emit(Event::ProducerPaused {
            producer: name.into(),
            paused,
        });
        self.producer_tick(id);
        Ok(())
    }

    pub(crate) fn cmd_producer_rate(&mut self, name: &str, rate: Rate) -> Result<(), CommandError> {
        let id = self
            .producer_index(name)
            .ok_or_else(|| CommandError::UnknownProducer(name.into()))?;
        if self.producer_rate_limits {
            CommandError::limit(limits::check_producer_rate(rate))?;
            // The new rate replaces this producer's (a stopped producer starts again).
            let p = &self.producers[id as usize];
            let current = match (p.rate, p.running || p.paused) {
                (Some(r), true) => u128::from(r.per_hour),
                _ => 0,
            };
            let total = self.producer_rate_total() - current + u128::from(rate.per_hour);
            CommandError::limit(limits::check_total_producer_rate(total))?;
        }
        self.catch_up_generation(id);
        let now = self.now;
        let p = &mut self.producers[id as usize];
        p.rate = Some(rate);
        p.running = true;
        p.rate_base_us = now;
        p.rate_base_count = p.generated;
        self.emit(Event::ProducerRateChanged {
            producer: name.into(),
            per_hour: rate.per_hour,
        });
        self.producer_tick(id);
        Ok(())
    }

    /// `produce T key=K value=V`: one record from the console's producer for that topic.
    pub(crate) fn cmd_produce(
        &mut self,
        topic: &str,
        key: Option<String>,
        value: Option<String>,
        acks: Option<Acks>,
        timestamp: Option<Micros>,
    ) -> Result<(), CommandError> {
        if !self.topics.contains_key(topic) {
            return Err(CommandError::UnknownTopic(topic.into()));
        }
        CommandError::limit(limits::check_record_bytes(
            key.as_ref().map_or(0, String::len),
            value.as_ref().map_or(0, String::len),
        ))?;
        let acks = acks.unwrap_or(Acks::All);
        let internal = format!("console\u{0}{topic}\u{0}{acks:?}");
        let id = match self.producer_index(&internal) {
            Some(id) => id,
            None => {
                let spec = ProducerSpec {
                    name: internal.clone(),
                    topic: topic.into(),
                    rate: None,
                    keys: None,
                    acks: Some(acks),
                    ..ProducerSpec::default()
                };
                self.new_producer(internal, "console".into(), &spec)?
            }
        };
        let key = key.map(|k| self.store.intern(&k));
        let value = value.map_or(ValueRef::Null, |v| ValueRef::Text(self.store.intern(&v)));
        // An explicit timestamp is the record's CreateTime as given (the broker's default
        // `log.message.timestamp.type=CreateTime` keeps it, and its `…before/after.max.ms`
        // defaults accept any); the batch still leaves now.
        self.create_record(
            id,
            self.now,
            timestamp.unwrap_or(self.now),
            key,
            value,
            None,
        );
        self.producer_tick(id);
        Ok(())
    }

    /// Creates the records a steady producer owes up to now.
    fn catch_up_generation(&mut self, id: u32) {
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

    /// The producer's sender loop: create due records, expire old batches, send what is ready,
    /// and sleep until the next thing to do.
    pub(crate) fn producer_tick(&mut self, id: u32) {
        let now = self.now;
        if self.producers[id as usize]
            .tick_at
            .is_some_and(|t| t <= now)
        {
            self.producers[id as usize].tick_at = None;
        }
        self.catch_up_generation(id);
        self.expire_batches(id);
        self.maybe_refresh_metadata(id);
        self.drain(id);
        self.schedule_tick(id);
    }

    fn expire_batches(&mut self, id: u32) {
        let now = self.now;
        let timeout = self.producers[id as usize].config.delivery_timeout_us;
        for part in 0..self.producers[id as usize].queues.len() {
            loop {
                let q = &mut self.producers[id as usize].queues[part];
                match q.front() {
                    Some(b) if b.created_us + timeout <= now => {
                        let b = q.pop_front().expect("front");
                        self.reject(id, &b, ErrorCode::DeliveryTimeout);
                    }
                    _ => break,
                }
            }
        }
    }

    /// The producer's process died: records still in its accumulator are never sent (a Streams
    /// thread's crash). What is in flight was sent and is answered as usual.
    pub(crate) fn drop_unsent(&mut self, id: u32) {
        let p = &mut self.producers[id as usize];
        let unsent: usize = p
            .queues
            .iter_mut()
            .map(|q| q.drain(..).map(|b| b.records.len()).sum::<usize>())
            .sum();
        p.buffered -= unsent;
        p.running = false;
    }

    pub(crate) fn reject(&mut self, id: u32, batch: &Batch, error: ErrorCode) {
        let p = &mut self.producers[id as usize];
        p.buffered -= batch.records.len();
        let slot = p.slots[batch.partition as usize];
        p.counts.failed += batch.records.len() as u64;
        // Kafka's Sender.failBatch -> TransactionManager.handleFailedBatch (a fatal error, retries
        // used up, OUT_OF_ORDER_SEQUENCE_NUMBER: requestEpochBumpForPartition) and, for a batch that
        // expired in the accumulator after it was sent, Sender.sendProducerData ->
        // markSequenceUnresolved: the partition's later batches must not wait on this sequence.
        // Kafka numbers a batch when it is first sent (RecordAccumulator.drain), so a batch that
        // expires unsent leaves no gap there; the playground numbers it when it is made, and the
        // same resolution closes the gap it leaves.
        if p.config.idempotent {
            p.unresolved[batch.partition as usize] = true;
        }
        let name = p.display_name.clone();
        let topic = p.topic.clone();
        self.topic_of_mut(slot).rejected += batch.records.len() as u64;
        self.emit(Event::ProduceRejected {
            producer: name,
            topic,
            partition: batch.partition,
            count: batch.records.len() as u32,
            error,
        });
    }

    fn maybe_refresh_metadata(&mut self, id: u32) {
        if self.producers[id as usize].metadata.due() {
            self.refresh_producer_metadata(id, false);
        }
    }

    /// A Metadata request for the producer's topic to any live broker: one round trip.
    pub(crate) fn refresh_producer_metadata(&mut self, id: u32, periodic: bool) {
        let topics = vec![self.producers[id as usize].topic.clone()];
        let round_trip = self.config.latency_us;
        self.send_metadata_request(ClientId::Producer(id), topics, round_trip, periodic);
    }

    /// Sends every ready batch, one Produce request per leader broker.
    fn drain(&mut self, id: u32) {
        let now = self.now;
        let p = &mut self.producers[id as usize];
        // Kafka's RecordAccumulator.ready, then drain. A producer ticks for every record it
        // creates, so this runs often: the metadata is looked up once, and in-flight requests are
        // counted only for a partition whose batch is ready.
        let mut ready: Vec<(usize, u32)> = Vec::new();
        let mut leader_unknown = false;
        // Leaders with batches waiting whose connection broke (`connection.rs`).
        let mut unreachable: Vec<u32> = Vec::new();
        let parts = p.metadata.partitions(&p.topic);
        for part in 0..p.queues.len() {
            let Some(leader) = p.leader_in(parts, part) else {
                // A partition with no known leader asks for a metadata update.
                leader_unknown = true;
                continue;
            };
            let q = &p.queues[part];
            let Some(b) = q.front() else { continue };
            if !p.connections.all_up() && !p.connections.is_ready(leader) {
                // Kafka's Sender leaves the batches of a leader that is not `client.ready` in
                // the accumulator and tries to connect to it (`NetworkClient.ready`).
                if !unreachable.contains(&leader) {
                    unreachable.push(leader);
                }
                continue;
            }
            let full = q.len() > 1 || b.bytes >= p.config.batch_size_bytes;
            let lingered = now >= b.created_us + p.config.linger_us;
            if b.retry_at_us > now || !(full || lingered || b.retry_at_us > 0) {
                continue;
            }
            let in_flight = p.in_flight.values().filter(|f| f.broker == leader).count();
            if in_flight >= MAX_IN_FLIGHT_PER_BROKER {
                continue;
            }
            ready.push((part, leader));
        }
        if leader_unknown {
            p.metadata.update_requested = true;
        }
        for broker in unreachable {
            if self.producers[id as usize]
                .connections
                .start_attempt(broker, now)
                .is_some()
            {
                self.send(Message::Connect {
                    client: Node::Producer(id),
                    broker,
                });
            }
        }
        let p = &mut self.producers[id as usize];
        let mut by_broker: BTreeMap<u32, Vec<Batch>> = BTreeMap::new();
        for (part, leader) in ready {
            // Only this partition's sequence state is read or changed.
            if p.config.idempotent && !p.resolve_sequence(part) {
                continue;
            }
            let b = p.queues[part].pop_front().expect("front");
            by_broker.entry(leader).or_default().push(b);
        }
        let acks = p.acks;
        for (broker, batches) in by_broker {
            let request = self.request_id();
            let wire: Vec<ProduceBatch> = batches
                .iter()
                .map(|b| ProduceBatch {
                    slot: self.producers[id as usize].slots[b.partition as usize],
                    records: b.records.clone(),
                    seq: b.seq,
                    reset: b.reset,
                })
                .collect();
            self.send(Message::Produce {
                producer: id,
                broker,
                request,
                acks,
                batches: wire,
            });
            let records = batches.iter().map(|b| b.records.len() as u64).sum();
            let name = &self.producers[id as usize].display_name;
            self.metrics.count_send(name, records);
            if acks == Acks::Zero {
                // acks=0: the client counts the records as sent the moment they leave.
                for b in &batches {
                    self.acknowledge(id, b, None);
                }
            } else {
                self.producers[id as usize].in_flight.insert(
                    request,
                    InFlight {
                        broker,
                        batches,
                        sent_us: now,
                    },
                );
            }
        }
    }

    pub(crate) fn schedule_tick(&mut self, id: u32) {
        let now = self.now;
        let p = &self.producers[id as usize];
        let mut next: Option<Micros> = None;
        let mut consider = |t: Micros| next = Some(next.map_or(t, |n: Micros| n.min(t)));
        if let (Some(rate), true) = (p.rate, p.running)
            && rate.per_hour > 0
        {
            let n = p.generated - p.rate_base_count + 1;
            let due = p.rate_base_us
                + ((n as u128 * 3_600_000_000u128).div_ceil(rate.per_hour as u128)) as u64;
            // Above 1,000 records/s, create records a millisecond's worth at a time: each keeps
            // its own send time and CreateTime (`catch_up_generation`), only the tick that makes
            // them is shared. A tick per record made the producer's own bookkeeping (expiry,
            // drain, timers) cost more than the records it sent. At 1,000 records/s or less
            // every record has its own tick, at its due time.
            let interval_us = 3_600_000_000u64.div_ceil(rate.per_hour);
            if interval_us < ms(1) {
                consider(due.max(now + ms(1)));
            } else {
                consider(due);
            }
        }
        for q in &p.queues {
            if let Some(b) = q.front() {
                consider(b.created_us + p.config.delivery_timeout_us);
                if b.retry_at_us > now {
                    consider(b.retry_at_us);
                } else if b.retry_at_us == 0
                    && q.len() == 1
                    && b.created_us + p.config.linger_us > now
                {
                    // Lingering. A batch that is ready but waits for an in-flight slot needs no
                    // timer: the next response drains it.
                    consider(b.created_us + p.config.linger_us);
                }
            }
        }
        if p.metadata.due() {
            consider(now + p.config.retry_backoff_us);
        }
        if !p.connections.all_up() {
            // The end of a reconnect backoff, for a leader that batches wait for.
            for (part, q) in p.queues.iter().enumerate() {
                if q.is_empty() {
                    continue;
                }
                if let Some(t) = p
                    .leader(part)
                    .and_then(|l| p.connections.next_attempt_at(l))
                {
                    consider(t);
                }
            }
        }
        if let Some(at) = next {
            let at = at.max(now + 1);
            if p.tick_at.is_none_or(|t| at < t) {
                self.producers[id as usize].tick_at = Some(at);
                self.schedule(at, Timer::ProducerTick { producer: id });
            }
        }
    }

    pub(crate) fn acknowledge(&mut self, id: u32, batch: &Batch, base: Option<u64>) {
        let p = &mut self.producers[id as usize];
        p.buffered -= batch.records.len();
        p.counts.acked += batch.records.len() as u64;
        let last = &mut p.last_acked_seq[batch.partition as usize];
        *last = Some(last.map_or(batch.seq, |l| l.max(batch.seq)));
        let slot = p.slots[batch.partition as usize];
        let name = p.display_name.clone();
        let topic = p.topic.clone();
        let acks = p.acks;
        let view = self.partitions[slot as usize].view_broker;
        let mut lost = 0i64;
        // A batch is appended contiguously: if its first and last records are where the leader's log
        // says, all of them are.
        let intact = match (base, view) {
            (Some(base), Some(v)) => {
                let log = &self.broker(v).replicas[&slot].log;
                let n = batch.records.len() as u64;
                log.entry_at(base).is_some_and(|e| e.id == batch.records[0])
                    && log
                        .entry_at(base + n - 1)
                        .is_some_and(|e| Some(&e.id) == batch.records.last())
            }
            _ => true,
        };
        for (i, &rid) in batch.records.iter().enumerate() {
            self.store.set_acked(rid);
            if intact {
                continue;
            }
            // Acknowledged by a leader that has since been replaced, and not in the new leader's
            // log: lost the moment it is acknowledged.
            if let (Some(base), Some(v), false) = (base, view, acks == Acks::Zero) {
                let log = &self.broker(v).replicas[&slot].log;
                let offset = base + i as u64;
                // Below the new leader's log start the record was deleted (retention, or a
                // Streams repartition purge's DeleteRecords), and a hole below its log end was
                // compacted away: neither is a loss. Only a truncated tail or another record at
                // the offset is.
                let present = offset < log.log_start_offset()
                    || match log.entry_at(offset) {
                        Some(e) => e.id == rid,
                        None => offset < log.log_end_offset(),
                    };
                if !present {
                    self.store.set_lost(rid, true);
                    lost += 1;
                }
            }
        }
        let t = self.topic_of_mut(slot);
        t.acked += batch.records.len() as u64;
        t.lost += lost;
        self.emit(Event::ProduceAcked {
            producer: name.clone(),
            topic: topic.clone(),
            partition: batch.partition,
            base_offset: base,
            count: batch.records.len() as u32,
            acks,
        });
        if lost > 0 {
            self.emit(Event::RecordsLost {
                topic,
                partition: batch.partition,
                count: lost,
            });
        }
    }

    /// A Produce request lost in a cut timed out (`lost.rs`): every batch fails with `error`,
    /// and the disconnect asks for fresh metadata (Kafka's NetworkClient on a timeout disconnect
    /// calls `metadataUpdater.handleServerDisconnect`).
    pub(crate) fn produce_timed_out(
        &mut self,
        id: u32,
        broker: u32,
        request: u64,
        error: ErrorCode,
    ) {
        let Some(n) = self.producers[id as usize]
            .in_flight
            .get(&request)
            .map(|f| f.batches.len())
        else {
            return;
        };
        self.producers[id as usize].metadata.update_requested = true;
        self.handle_produce_response(id, broker, request, vec![Err(error); n]);
    }

    pub(crate) fn handle_produce_response(
        &mut self,
        id: u32,
        broker: u32,
        request: u64,
        results: Vec<Result<Option<u64>, ErrorCode>>,
    ) {
        let Some(flight) = self.producers[id as usize].in_flight.remove(&request) else {
            return;
        };
        if self.producers[id as usize].external.is_some() {
            return self.external_produce_response(id, request, flight, results);
        }
        let now = self.now;
        let broken = results.contains(&Err(ErrorCode::NetworkException));
        let connections = &mut self.producers[id as usize].connections;
        if broken && connections.is_ready(broker) {
            // The connection broke under the request (`NetworkClient.handleDisconnections`).
            connections.disconnected(broker, now);
        }
        // A broken connection is no response: Kafka's Sender records no latency for it.
        if results
            .iter()
            .any(|r| *r != Err(ErrorCode::NetworkException))
        {
            let name = &self.producers[id as usize].display_name;
            self.metrics.count_response(name, now - flight.sent_us);
        }
        for (batch, result) in flight.batches.into_iter().zip(results) {
            let config = &self.producers[id as usize].config;
            let in_time = now < batch.created_us + config.delivery_timeout_us;
            // Kafka's Sender.canRetry: a retriable error, retries left, and time left.
            let retries_left = batch.attempts < config.retries;
            match result {
                Ok(base) => self.acknowledge(id, &batch, base),
                Err(e) if e.retriable() && in_time && retries_left => {
                    let p = &mut self.producers[id as usize];
                    if matches!(
                        e,
                        ErrorCode::NotLeaderOrFollower
                            | ErrorCode::NetworkException
                            | ErrorCode::LeaderNotAvailable
                            | ErrorCode::UnknownTopicOrPartition
                    ) {
                        // Sender.completeBatch: "the metadata is stale", Metadata.requestUpdate
                        // (an `InvalidMetadataException`; UNKNOWN_TOPIC_OR_PARTITION is one).
                        p.metadata.update_requested = true;
                    }
                    let (name, topic, part, n) = (
                        p.display_name.clone(),
                        p.topic.clone(),
                        batch.partition,
                        batch.records.len() as u32,
                    );
                    p.counts.retried += u64::from(n);
                    let mut b = batch;
                    b.attempts += 1;
                    b.retry_at_us = now + p.config.retry_backoff_us;
                    // Kafka's TransactionManager.canRetry: the idempotent producer retries every
                    // OUT_OF_ORDER_SEQUENCE_NUMBER. When the batch is the next after the last one
                    // acknowledged (and no failed batch is being resolved), the leader really lacks
                    // a sequence that is not ours to resend (acknowledged, then lost in an unclean
                    // election): requestEpochBumpForPartition, the batch goes with a new epoch
                    // (KIP-360). Otherwise it waits behind the batches before it.
                    let unresolved = p.unresolved[part as usize];
                    if e == ErrorCode::OutOfOrderSequenceNumber
                        && !b.reset
                        && !unresolved
                        && p.is_next_sequence(part as usize, b.seq)
                    {
                        b.reset = true;
                    }
                    // Back into the queue in sequence order, so that records stay in order.
                    let q = &mut p.queues[part as usize];
                    let at = q.iter().position(|x| x.seq > b.seq).unwrap_or(q.len());
                    q.insert(at, b);
                    self.emit(Event::ProduceRetried {
                        producer: name,
                        topic,
                        partition: part,
                        count: n,
                        error: e,
                    });
                }
                Err(e) => {
                    // Out of time: the delivery timeout. Out of retries in time: the batch fails
                    // to the application with the error itself, as Kafka's callback sees it.
                    let e = if e.retriable() && !in_time {
                        ErrorCode::DeliveryTimeout
                    } else {
                        e
                    };
                    self.reject(id, &batch, e);
                }
            }
        }
        self.producer_tick(id);
    }
}
