//! Producer clients, as Kafka's KafkaProducer behaves with its defaults: records are partitioned
//! (murmur2 for keys; sticky batches or round-robin without), collected per partition into
//! batches (`batch.size`, `linger.ms`), sent to each partition's leader, retried on retriable
//! errors after `retry.backoff.ms` with a metadata refresh, and failed once `delivery.timeout.ms`
//! has passed or `retries` are used up. Idempotence is on (the Kafka 3.0+ default) with acks=all,
//! so a retried batch is never written twice; with it off (`enable-idempotence=false`, acks 0 or
//! 1, `retries=0`) a retried batch that had reached the log is appended again. One batch per
//! partition is in flight at a time, which keeps records in order.
//!
//! - this file: the producer's state and the commands that add, stop, pause and pace it;
//! - `records.rs`: `KafkaProducer.send`, the records the program makes, their keys and the
//!   partitioner, appended to the accumulator;
//! - `sender.rs`: Kafka's `Sender`, which drains ready batches into Produce requests to each
//!   leader and handles their answers: acknowledgements, retries, expiry.

mod records;
mod sender;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use crate::client::{ClientId, ClientMetadata, PartitionMetadata};
use crate::cluster::{Cluster, CommandError};
use crate::command::{Acks, KeySpec, PartitionerKind, ProducerSpec, Rate};
use crate::config::ProducerConfig;
use crate::event::Event;
use crate::limits;
use crate::record::{RecordId, ValueRef};
use crate::streams::expr::Expr;
use crate::time::Micros;

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
    /// records in the accumulator), in partition order: the ones the sender tries to reconnect
    /// to, and the page's "waiting for broker N".
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
}
