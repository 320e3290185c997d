//! Kafka's `Sender`: the producer's loop that expires old batches, drains the ready ones into one
//! Produce request per leader (`RecordAccumulator.drain`), and handles the answers: records
//! acknowledged, retried after `retry.backoff.ms`, or failed.

use std::collections::BTreeMap;

use crate::client::ClientId;
use crate::cluster::{Cluster, Timer};
use crate::command::Acks;
use crate::event::{ErrorCode, Event};
use crate::net::{Message, Node, ProduceBatch};
use crate::time::{Micros, ms};

use super::*;

impl Cluster {
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
                // the accumulator and tries to connect to it (`NetworkClient.ready`, below).
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
        for broker in self.producers[id as usize].waiting_for() {
            self.maybe_connect(Node::Producer(id), broker);
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
        // The end of a reconnect backoff, for a leader that batches wait for.
        for broker in p.waiting_for() {
            if let Some(t) = p.connections.next_attempt_at(broker) {
                consider(t);
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
        self.store.set_acked_all(&batch.records);
        // Acknowledged by a leader that has since been replaced, and not in the new leader's
        // log: lost the moment it is acknowledged.
        if !intact
            && acks != Acks::Zero
            && let (Some(base), Some(v)) = (base, view)
        {
            for (i, &rid) in batch.records.iter().enumerate() {
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
