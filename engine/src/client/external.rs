//! Real Kafka clients (connections to the server's Kafka listeners) as clients of the cluster.
//!
//! A real client is addressed by an opaque id the driver chooses (`Command::ExternalClientAdd`).
//! Its requests are given to the engine as commands, already decoded: a Produce names the broker
//! the client's connection reached, and travels from there exactly as a simulated producer's
//! `Message::Produce` does (latency, cuts, a dead broker), through the leader's side in
//! `produce.rs` (leadership, `min.insync.replicas`, the acks=all purgatory, the request's own
//! timeout). A broker that does not lead a partition answers NOT_LEADER_OR_FOLLOWER, as Kafka's
//! does, and the client refreshes its metadata itself.
//!
//! For each topic it writes, a real client has one producer entry in `Cluster::producers`
//! (flagged `external`), so that the acknowledgement path — `acked`/`lost` accounting, events,
//! metrics, the page's producers — is the simulated producers' own. What the engine does not do
//! for it is what the real client does itself: partitioning, batching, retries, metadata.
//!
//! The answers are values: [`Cluster::drain_external`] hands the driver every finished request.
//! The outbox is bounded by the requests the driver gave: a listener connection has at most one
//! request being answered (Kafka's muted channel), and a request is answered once.

use std::collections::BTreeMap;

use crate::CommandError;
use crate::cluster::Cluster;
use crate::command::{Acks, ProducerSpec};
use crate::event::{ErrorCode, Event};
use crate::net::{Message, ProduceBatch};
use crate::producer::{Batch, InFlight};
use crate::producer_state::{ProducerStamp, increment_sequence};
use crate::record::{Payload, RECORD_OVERHEAD_BYTES, RecordData, RecordId, ValueRef};
use crate::time::Micros;

/// One partition's records in a request: its index among the request's parts, the partition
/// and the records.
type TopicBatch = (usize, u32, Option<ProducerBatch>, Vec<ExternalRecord>);

/// The producer fields of an idempotent batch's header (Kafka's `RecordBatch.producerId`,
/// `producerEpoch`, `baseSequence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerBatch {
    pub producer_id: i64,
    pub epoch: i16,
    pub base_sequence: i32,
}

/// One record as a real client sent it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalRecord {
    #[serde(with = "crate::client::journal::opt_bytes")]
    pub key: Option<Vec<u8>>,
    #[serde(with = "crate::client::journal::opt_bytes")]
    pub value: Option<Vec<u8>>,
    #[serde(with = "crate::client::journal::headers")]
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// The record's CreateTime (wall-clock milliseconds since the epoch).
    pub timestamp_ms: i64,
}

/// A partition's records in a Produce request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalPartition {
    pub topic: String,
    /// As the client sent it: one the topic does not have is UNKNOWN_TOPIC_OR_PARTITION.
    pub partition: i32,
    /// The batch's producer id, epoch and base sequence (an idempotent producer's), or `None`.
    pub producer: Option<ProducerBatch>,
    pub records: Vec<ExternalRecord>,
}

/// A decoded Produce request of a real client. In a journal line (`client::journal`) the
/// client is the line's, not the JSON's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalProduce {
    #[serde(skip)]
    pub client: u32,
    /// The broker whose listener received the request.
    pub broker: u32,
    /// The driver's name for this request: its answer carries it back.
    pub token: u64,
    pub acks: Acks,
    /// The request's `timeout_ms`: how long the acks=all purgatory holds it.
    pub timeout_us: Micros,
    pub partitions: Vec<ExternalPartition>,
}

/// One partition's answer: its base offset, or Kafka's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalPartResult {
    pub topic: String,
    pub partition: i32,
    /// The base offset (`None`: a duplicate, which a client without a producer id never sends).
    pub result: Result<Option<u64>, ErrorCode>,
    /// The partition's log start offset on the leader that appended (Produce v5+), when
    /// appended.
    pub log_start_offset: Option<u64>,
}

/// A finished request of a real client, for the driver to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalResponse {
    pub client: u32,
    pub token: u64,
    /// In the order of the request's partitions.
    pub parts: Vec<ExternalPartResult>,
}

#[derive(Debug, Clone)]
pub(crate) struct ExternalClient {
    /// Its `client.id`, as the page shows it.
    name: String,
    /// The producer entry for each topic it has written.
    producers: BTreeMap<String, u32>,
    /// Per partition, the offset its latest Fetch asked for and when: what a broker knows of a
    /// consumer's position (Kafka's `FetchRequest.fetch_offset`, the next offset the client
    /// reads). Bounded by the cluster's partitions.
    pub(crate) fetching: BTreeMap<crate::command::TopicPartition, (u64, crate::time::Micros)>,
}

/// A request whose partitions are not all answered yet.
#[derive(Debug, Clone)]
struct Pending {
    parts: Vec<ExternalPartResult>,
    /// Engine requests (one per topic) still to answer.
    waiting: usize,
}

/// The real clients and their requests in progress.
#[derive(Debug, Clone, Default)]
pub struct External {
    pub(crate) clients: BTreeMap<u32, ExternalClient>,
    /// Engine request (producer entry, request id) → (client, token, the request's part index
    /// of each batch).
    requests: BTreeMap<(u32, u64), (u32, u64, Vec<usize>)>,
    pending: BTreeMap<(u32, u64), Pending>,
    outbox: Vec<ExternalResponse>,
    /// Fetches waiting at their broker for `min_bytes` (`client::external_fetch`).
    pub(crate) parked_fetches: Vec<crate::client::external_fetch::ExternalFetch>,
    /// Fetches answered, for the driver.
    pub(crate) fetched: Vec<crate::client::external_fetch::ExternalFetchResponse>,
    /// (`client.id`, topic) → the producer entry its connections share.
    entries: BTreeMap<(String, String), u32>,
    /// The producer ids InitProducerId hands out.
    producer_ids: crate::producer_state::ProducerIdManager,
}

/// The internal name of a real client's producer entry for one topic: it cannot clash with a
/// scenario's producer names (a NUL is not in any).
fn entry_name(client: u32, topic: &str) -> String {
    format!("kafka-client\u{0}{client}\u{0}{topic}")
}

/// The text a key is interned as, so that compaction, `expect` and the page see it: the key
/// itself when it is UTF-8, else `0x` and every byte in hex (distinct bytes stay distinct keys;
/// only a UTF-8 key spelled exactly like that hex would share its compaction key).
fn key_text(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(text) => text.to_owned(),
        Err(_) => {
            let mut out = String::with_capacity(2 + 2 * key.len());
            out.push_str("0x");
            for b in key {
                out.push_str(&format!("{b:02x}"));
            }
            out
        }
    }
}

impl Cluster {
    /// `Command::ExternalClientAdd`: a real client connected; `id` is the driver's.
    pub(crate) fn cmd_external_client_add(
        &mut self,
        id: u32,
        name: String,
    ) -> Result<(), CommandError> {
        if self.external.clients.contains_key(&id) {
            return Err(CommandError::Invalid(format!(
                "real client {id} is already connected"
            )));
        }
        self.external.clients.insert(
            id,
            ExternalClient {
                name,
                producers: BTreeMap::new(),
                fetching: BTreeMap::new(),
            },
        );
        Ok(())
    }

    /// `Command::ExternalClientRemove`: the connection closed. Its producers stop (the page
    /// keeps them, as it keeps stopped producers); answers still due to it are dropped.
    pub(crate) fn cmd_external_client_remove(&mut self, id: u32) -> Result<(), CommandError> {
        let client = self
            .external
            .clients
            .remove(&id)
            .ok_or_else(|| CommandError::Invalid(format!("no real client {id}")))?;
        // A consumer's connection to a broker that died closes, but the client (its other
        // connections, same client.id) goes on: the offsets it last asked for stay what the
        // brokers know of its position until it fetches those partitions again elsewhere.
        if let Some(heir) = self
            .external
            .clients
            .values_mut()
            .find(|c| c.name == client.name)
        {
            for (tp, (offset, at)) in &client.fetching {
                let kept = heir.fetching.entry(tp.clone()).or_insert((*offset, *at));
                if kept.1 < *at {
                    *kept = (*offset, *at);
                }
            }
        }
        for (_, p) in client.producers {
            // Stopped when the last connection of its client.id closes.
            if !self.external_entry_connected(p) {
                let display = self.producers[p as usize].display_name.clone();
                self.emit(Event::ProducerStopped { producer: display });
            }
        }
        self.external.pending.retain(|&(c, _), _| c != id);
        self.external.requests.retain(|_, (c, _, _)| *c != id);
        self.external.outbox.retain(|r| r.client != id);
        self.external.parked_fetches.retain(|f| f.client != id);
        self.external.fetched.retain(|r| r.client != id);
        // Its group requests are no longer answered either (its members stay until their
        // sessions expire, as in Kafka).
        self.forget_external_group_client(id);
        Ok(())
    }

    /// `Command::ExternalInitProducerId`: uses up the producer id [`Cluster::init_producer_id`]
    /// would hand out at `broker`. Refused (nothing used up) when the broker is down.
    pub(crate) fn cmd_external_init_producer_id(
        &mut self,
        broker: u32,
    ) -> Result<(), CommandError> {
        match self.init_producer_id(broker) {
            Some(_) => Ok(()),
            None if broker == 0 || broker > self.broker_count() => {
                Err(CommandError::UnknownBroker(broker))
            }
            None => Err(CommandError::Invalid(format!(
                "broker {broker} is down: it hands out no producer id"
            ))),
        }
    }

    /// The producer entry of `client` for `topic`, created at its first write.
    ///
    /// One Kafka producer opens a connection to each broker that leads a partition it writes
    /// (and one to bootstrap), and each connection is a client here; they share one entry per
    /// topic by `client.id`, the name Kafka's own metrics and quotas group a client's
    /// connections by. Two programs with one `client.id` (kcat's default is `rdkafka`) are one
    /// producer on the page, as in Kafka's metrics; docs/kafka-clients.md says to set it.
    fn external_producer(&mut self, client: u32, topic: &str) -> Result<u32, CommandError> {
        let c = &self.external.clients[&client];
        if let Some(&p) = c.producers.get(topic) {
            return Ok(p);
        }
        let key = (c.name.clone(), topic.to_string());
        if let Some(&p) = self.external.entries.get(&key) {
            self.external
                .clients
                .get_mut(&client)
                .expect("client")
                .producers
                .insert(topic.to_string(), p);
            return Ok(p);
        }
        // A scenario's producer may have the client's name: the entry takes a number after it.
        let base = key.0.clone();
        let mut display = base.clone();
        let mut n = 1;
        while self.producers.iter().any(|p| p.display_name == display) {
            n += 1;
            display = format!("{base}-{n}");
        }
        let spec = ProducerSpec {
            name: entry_name(client, topic),
            topic: topic.to_string(),
            // The real client retries by itself: the entry never resends.
            retries: Some(0),
            enable_idempotence: Some(false),
            ..ProducerSpec::default()
        };
        let id = self.new_producer(spec.name.clone(), display.clone(), &spec)?;
        let p = &mut self.producers[id as usize];
        p.running = false;
        p.external = Some(client);
        self.external
            .clients
            .get_mut(&client)
            .expect("client")
            .producers
            .insert(topic.to_string(), id);
        self.external.entries.insert(key, id);
        self.emit(Event::ProducerAdded {
            producer: display,
            topic: topic.to_string(),
        });
        Ok(id)
    }

    /// `Command::ExternalProduce`: the request leaves the client's connection for its broker.
    pub(crate) fn cmd_external_produce(
        &mut self,
        request: ExternalProduce,
    ) -> Result<(), CommandError> {
        if !self.external.clients.contains_key(&request.client) {
            return Err(CommandError::Invalid(format!(
                "no real client {}",
                request.client
            )));
        }
        if request.broker == 0 || request.broker > self.broker_count() {
            return Err(CommandError::UnknownBroker(request.broker));
        }
        let ExternalProduce {
            client,
            broker,
            token,
            acks,
            timeout_us,
            partitions,
        } = request;
        let mut parts: Vec<ExternalPartResult> = Vec::with_capacity(partitions.len());
        // Per topic (in order of first appearance): its batches and their part indexes.
        let mut by_topic: Vec<(String, Vec<TopicBatch>)> = Vec::new();
        for (i, part) in partitions.into_iter().enumerate() {
            let count = self.topic_partitions(&part.topic);
            let known = count.is_some_and(|n| part.partition >= 0 && (part.partition as u32) < n);
            parts.push(ExternalPartResult {
                topic: part.topic.clone(),
                partition: part.partition,
                result: Err(ErrorCode::UnknownTopicOrPartition),
                log_start_offset: None,
            });
            if !known || part.records.is_empty() {
                continue;
            }
            let entry = match by_topic.iter_mut().find(|(t, _)| *t == part.topic) {
                Some(entry) => entry,
                None => {
                    by_topic.push((part.topic.clone(), Vec::new()));
                    by_topic.last_mut().expect("pushed")
                }
            };
            entry
                .1
                .push((i, part.partition as u32, part.producer, part.records));
        }
        let mut waiting = 0;
        for (topic, batches) in by_topic {
            let producer = self.external_producer(client, &topic)?;
            let indexes: Vec<usize> = batches.iter().map(|b| b.0).collect();
            // acks=0 gives no engine request: nobody waits.
            if let Some(r) = self.send_external_batches(producer, broker, acks, timeout_us, batches)
            {
                self.external
                    .requests
                    .insert((producer, r), (client, token, indexes));
                waiting += 1;
            }
        }
        if acks == Acks::Zero {
            return Ok(()); // no response, as Kafka's broker sends none
        }
        let pending = Pending { parts, waiting };
        if waiting == 0 {
            self.external.outbox.push(ExternalResponse {
                client,
                token,
                parts: pending.parts,
            });
        } else {
            self.external.pending.insert((client, token), pending);
        }
        Ok(())
    }

    /// Makes the records and sends them in one Produce to `broker`; the engine's request id, or
    /// `None` for acks=0 (no answer comes).
    fn send_external_batches(
        &mut self,
        producer: u32,
        broker: u32,
        acks: Acks,
        timeout_us: Micros,
        batches: Vec<TopicBatch>,
    ) -> Option<u64> {
        let now = self.now;
        let p = &mut self.producers[producer as usize];
        // A real client sends the same acks and timeout on every request; the entry takes the
        // request's, which the leader reads when the request arrives (`handle_produce`).
        p.acks = acks;
        p.config.request_timeout_us = timeout_us;
        let mut sent = Vec::with_capacity(batches.len());
        for (_, partition, producer_batch, records) in batches {
            let mut ids = Vec::with_capacity(records.len());
            let mut bytes = 0u32;
            for (delta, r) in records.into_iter().enumerate() {
                let stamp = producer_batch.map(|b| ProducerStamp {
                    producer_id: b.producer_id,
                    epoch: b.epoch,
                    base_sequence: b.base_sequence,
                    sequence: increment_sequence(b.base_sequence, delta as i32),
                });
                let key = r.key.as_deref().map(|k| self.store.intern(&key_text(k)));
                let payload = Payload {
                    key: r.key.map(Vec::into_boxed_slice),
                    value: r.value.map(Vec::into_boxed_slice),
                    headers: r
                        .headers
                        .into_iter()
                        .map(|(k, v)| (k, v.map(Vec::into_boxed_slice)))
                        .collect(),
                    create_time_ms: r.timestamp_ms,
                    producer: stamp,
                };
                let size = RECORD_OVERHEAD_BYTES
                    .saturating_add(u32::try_from(payload.bytes()).unwrap_or(u32::MAX));
                bytes = bytes.saturating_add(size);
                let p = &mut self.producers[producer as usize];
                let seq = p.seq;
                p.seq = p.seq.wrapping_add(1);
                // Stamped with the simulation's clock: retention, windows and the page run on
                // it; the client's own CreateTime travels in the payload back to its readers.
                let data = RecordData {
                    timestamp_us: now,
                    key,
                    value: ValueRef::Null,
                    producer,
                    producer_seq: seq,
                    batch_seq: 0,
                    size_bytes: size,
                };
                ids.push(self.store.push_payload(data, payload));
            }
            self.producers[producer as usize].buffered += ids.len();
            sent.push(Batch {
                partition,
                records: ids,
                bytes,
                created_us: now,
                retry_at_us: 0,
                seq: 0,
                reset: false,
                attempts: 0,
            });
        }
        let request = self.request_id();
        let wire: Vec<ProduceBatch> = sent
            .iter()
            .map(|b| ProduceBatch {
                slot: self.producers[producer as usize].slots[b.partition as usize],
                records: b.records.clone(),
                seq: 0,
                reset: false,
            })
            .collect();
        self.send(Message::Produce {
            producer,
            broker,
            request,
            acks,
            batches: wire,
        });
        let records = sent.iter().map(|b| b.records.len() as u64).sum();
        let name = &self.producers[producer as usize].display_name;
        self.metrics.count_send(name, records);
        if acks == Acks::Zero {
            for b in &sent {
                self.acknowledge(producer, b, None);
            }
            return None;
        }
        self.producers[producer as usize].in_flight.insert(
            request,
            InFlight {
                broker,
                batches: sent,
                sent_us: now,
            },
        );
        Some(request)
    }

    /// A real client's producer entry got its answer (`handle_produce_response`): acknowledged
    /// batches counted as the simulated producers' are, failed ones counted as failed (the
    /// client decides whether to retry), and the results into the client's request.
    pub(crate) fn external_produce_response(
        &mut self,
        producer: u32,
        request: u64,
        flight: InFlight,
        results: Vec<Result<Option<u64>, ErrorCode>>,
    ) {
        let mut outcomes = Vec::with_capacity(results.len());
        for (batch, result) in flight.batches.iter().zip(results) {
            match result {
                Ok(base) => {
                    let original =
                        base.and_then(|b| self.duplicate_of(producer, flight.broker, batch, b));
                    match original {
                        // A retry the leader found already appended (an idempotent producer's
                        // duplicate): the records acknowledged are the ones in the log, sent by
                        // an earlier attempt; this attempt's copies were never appended.
                        // When its answer had reached the client before (which then sent it
                        // again all the same), they are acknowledged already: counted once.
                        Some(records) if records.iter().all(|&id| self.store.is_acked(id)) => {
                            self.producers[producer as usize].buffered -= batch.records.len();
                        }
                        Some(records) => {
                            let appended = Batch {
                                records,
                                ..batch.clone()
                            };
                            self.acknowledge(producer, &appended, base);
                        }
                        None => self.acknowledge(producer, batch, base),
                    }
                    // Read as the answer arrives (Kafka reads it right after the append); only
                    // retention or DeleteRecords could have moved it in between.
                    let slot = self.producers[producer as usize].slots[batch.partition as usize];
                    let start = self
                        .broker(flight.broker)
                        .replicas
                        .get(&slot)
                        .map(|r| r.log.log_start_offset());
                    outcomes.push((Ok(base), start));
                }
                // Kafka's clients retry what is retriable (`retries` is unbounded by default,
                // within `delivery.timeout.ms`): shown as a retry, as for a simulated producer.
                Err(e) if e.retriable() => {
                    self.external_retry(producer, batch, e);
                    outcomes.push((Err(e), None));
                }
                Err(e) => {
                    self.reject(producer, batch, e);
                    outcomes.push((Err(e), None));
                }
            }
        }
        let Some((client, token, indexes)) = self.external.requests.remove(&(producer, request))
        else {
            return; // the client went away
        };
        let Some(pending) = self.external.pending.get_mut(&(client, token)) else {
            return;
        };
        for (i, (outcome, start)) in indexes.into_iter().zip(outcomes) {
            pending.parts[i].result = outcome;
            pending.parts[i].log_start_offset = start;
        }
        pending.waiting -= 1;
        if pending.waiting == 0 {
            let done = self
                .external
                .pending
                .remove(&(client, token))
                .expect("pending");
            self.external.outbox.push(ExternalResponse {
                client,
                token,
                parts: done.parts,
            });
        }
    }

    /// When the leader answered `batch` with the offsets of a batch it had appended from an
    /// earlier attempt (Kafka's duplicate of an idempotent producer), the records at those
    /// offsets in the answering broker's log; `None` when the batch's own records are there.
    fn duplicate_of(
        &self,
        producer: u32,
        broker: u32,
        batch: &Batch,
        base: u64,
    ) -> Option<Vec<RecordId>> {
        let slot = self.producers[producer as usize].slots[batch.partition as usize];
        let log = &self.broker(broker).replicas.get(&slot)?.log;
        if log.entry_at(base)?.id == batch.records[0] {
            return None;
        }
        (0..batch.records.len() as u64)
            .map(|i| log.entry_at(base + i).map(|e| e.id))
            .collect()
    }

    /// A retriable refusal: the records leave this request (the client sends them again in
    /// another), counted as retried.
    fn external_retry(&mut self, producer: u32, batch: &Batch, error: ErrorCode) {
        let p = &mut self.producers[producer as usize];
        let n = batch.records.len();
        p.buffered -= n;
        p.counts.retried += n as u64;
        let (name, topic) = (p.display_name.clone(), p.topic.clone());
        self.emit(Event::ProduceRetried {
            producer: name,
            topic,
            partition: batch.partition,
            count: n as u32,
            error,
        });
    }

    /// InitProducerId without a transactional id, at `broker`: a new producer id with epoch 0
    /// (`TransactionCoordinator.handleInitProducerId`: "if the transactional id is null, then
    /// always blindly accept the request and return a new producerId from the producerId
    /// manager"). `None` when the broker is down.
    pub fn init_producer_id(&mut self, broker: u32) -> Option<i64> {
        if !self.broker_up(broker)? {
            return None;
        }
        Some(self.external.producer_ids.generate(broker))
    }

    /// The real clients' requests answered since the last call, in the order they finished.
    pub fn drain_external(&mut self) -> Vec<ExternalResponse> {
        std::mem::take(&mut self.external.outbox)
    }

    /// The connected real clients, by their driver's number.
    pub fn external_clients(&self) -> Vec<u32> {
        self.external.clients.keys().copied().collect()
    }

    /// Whether `client` is a connected real client.
    pub fn external_client(&self, client: u32) -> bool {
        self.external.clients.contains_key(&client)
    }

    /// The `client.id` of connected real client `client`.
    pub(crate) fn external_client_name(&self, client: u32) -> Option<String> {
        self.external.clients.get(&client).map(|c| c.name.clone())
    }

    /// The offset the real client named `name` last asked to fetch from `tp`, over all its
    /// connections (a consumer fetches each partition from its leader's broker, and its group
    /// requests go to the coordinator's: the connections share its `client.id`). The newest
    /// request wins.
    pub(crate) fn external_fetch_offset(
        &self,
        name: &str,
        tp: &crate::command::TopicPartition,
    ) -> Option<u64> {
        self.external
            .clients
            .values()
            .filter(|c| c.name == name)
            .filter_map(|c| c.fetching.get(tp))
            .max_by_key(|(_, at)| *at)
            .map(|(offset, _)| *offset)
    }

    /// Whether a connection of the real client whose producer entry is `producer` is open.
    pub(crate) fn external_entry_connected(&self, producer: u32) -> bool {
        self.external
            .clients
            .values()
            .any(|c| c.producers.values().any(|&p| p == producer))
    }
}

#[cfg(test)]
mod tests {
    use crate::Cluster;
    use crate::client::external_fetch::{ExternalFetch, ExternalFetchPartition};
    use crate::command::{Command, TopicPartition};

    fn fetch(client: u32, broker: u32, offset: i64) -> Command {
        Command::ExternalFetch(ExternalFetch {
            client,
            broker,
            token: 1,
            max_wait_us: 0,
            min_bytes: 1,
            max_bytes: 1 << 20,
            partitions: vec![ExternalFetchPartition {
                topic: "t".into(),
                partition: 0,
                fetch_offset: offset,
                current_leader_epoch: -1,
                partition_max_bytes: 1 << 20,
            }],
        })
    }

    /// A consumer fetches t/0 over one connection and talks to its coordinator over another.
    /// When the first closes (its broker died), the client is still there: the offset it last
    /// asked for stays its known position until the client goes altogether.
    #[test]
    fn a_fetch_position_outlives_the_connection_it_came_over_while_the_client_stays() {
        let script = crate::scenario::parse(
            "positions",
            "brokers 3\ntopic create t partitions=1 replication=3\nwait 5s\n",
        )
        .expect("parses");
        let mut c: Cluster = crate::runner::run(&script, |_| {}).1;
        let tp = TopicPartition {
            topic: "t".into(),
            partition: 0,
        };
        for id in [1, 2] {
            c.apply(Command::ExternalClientAdd {
                id,
                name: "ada-reader".into(),
            })
            .unwrap();
        }
        let leader = c.leader(&tp).flatten().expect("a leader");
        c.apply(fetch(1, leader, 0)).unwrap();
        assert_eq!(c.external_fetch_offset("ada-reader", &tp), Some(0));

        c.apply(Command::ExternalClientRemove { id: 1 }).unwrap();
        assert_eq!(c.external_fetch_offset("ada-reader", &tp), Some(0));

        c.apply(Command::ExternalClientRemove { id: 2 }).unwrap();
        assert_eq!(c.external_fetch_offset("ada-reader", &tp), None);
    }
}
