//! The leader's side of a Produce request (Kafka's ReplicaManager.appendRecords and the produce
//! purgatory): check leadership and min.insync.replicas, drop duplicates of retried batches
//! (idempotent producer only), append with the current leader epoch, answer at once for acks=1, and hold
//! acks=all until the high watermark passes the batch or `request.timeout.ms` expires.

use crate::broker::DelayedProduce;
use crate::cluster::{Cluster, Timer};
use crate::command::Acks;
use crate::event::{ErrorCode, Event};
use crate::net::{Message, ProduceBatch};
use crate::record::RecordId;

impl Cluster {
    pub(crate) fn handle_produce(
        &mut self,
        producer: u32,
        broker: u32,
        request: u64,
        acks: Acks,
        batches: Vec<ProduceBatch>,
    ) {
        let mut results = Vec::with_capacity(batches.len());
        let mut waiting = Vec::new();
        for (i, batch) in batches.iter().enumerate() {
            match self.append_batch(producer, broker, acks, batch) {
                Ok((base, last, appended)) => {
                    if appended {
                        self.wake_parked_fetches(broker, batch.slot);
                        self.maybe_advance_high_watermark(broker, batch.slot);
                    }
                    let hw = self.broker(broker).replicas[&batch.slot].high_watermark;
                    if acks == Acks::All && hw <= last {
                        waiting.push((i, batch.slot, last));
                    }
                    results.push(Ok(base));
                }
                Err(e) => {
                    let topic = &self.partitions[batch.slot as usize].tp.topic;
                    self.metrics.count_failed_append(broker, topic, e);
                    if acks == Acks::Zero {
                        self.lose_unsent(&batch.records, batch.slot);
                    }
                    results.push(Err(e));
                }
            }
        }
        if acks == Acks::Zero {
            return; // no response
        }
        if waiting.is_empty() {
            self.send(Message::ProduceResponse {
                producer,
                broker,
                request,
                results,
            });
        } else {
            let timeout = self.now + self.producers[producer as usize].config.request_timeout_us;
            let incarnation = self.broker(broker).incarnation;
            self.broker_mut(broker).purgatory.push(DelayedProduce {
                producer,
                request,
                results,
                waiting,
            });
            self.schedule(
                timeout,
                Timer::DelayedProduceExpired {
                    broker,
                    request,
                    incarnation,
                },
            );
        }
    }

    /// Appends one batch. Returns (base offset if known, last offset, whether anything was appended).
    fn append_batch(
        &mut self,
        producer: u32,
        broker: u32,
        acks: Acks,
        batch: &ProduceBatch,
    ) -> Result<(Option<u64>, u64, bool), ErrorCode> {
        let slot = batch.slot;
        let topic = self.topic_of(slot).config;
        let Some(r) = self.broker(broker).replicas.get(&slot) else {
            // `ReplicaManager.getPartitionOrError`: no partition here, and a deleted topic is
            // not in the metadata either.
            if self.is_retired(slot) {
                return Err(ErrorCode::UnknownTopicOrPartition);
            }
            return Err(ErrorCode::NotLeaderOrFollower);
        };
        if !r.is_leader(broker) {
            return Err(ErrorCode::NotLeaderOrFollower);
        }
        if topic.compact
            && batch
                .records
                .iter()
                .any(|id| self.store.get(*id).key.is_none())
        {
            return Err(ErrorCode::InvalidRecord);
        }
        let first = *batch.records.first().expect("batches are never empty");
        // Kafka's Partition.appendRecordsToLeader refuses an acks=all write to a partition whose ISR
        // is below min.insync.replicas before the log looks at the batch's producer sequence
        // (UnifiedLog.appendAsLeader -> analyzeAndValidateProducerState): the refusal gives the
        // real reason, whatever the sequence.
        if acks == Acks::All && (r.isr.len() as u32) < topic.min_insync {
            return Err(ErrorCode::NotEnoughReplicas);
        }
        // A real client's idempotent batch carries Kafka's producer id, epoch and base sequence
        // (`producer_state`): a retry of one of the producer's last 5 batches is answered with
        // the original offsets, a gap or an old epoch refused (`UnifiedLog.
        // analyzeAndValidateProducerState`, after the min.insync check as above).
        if let Some(stamp) = self.store.payload(first).and_then(|p| p.producer) {
            let incoming = crate::producer_state::IncomingBatch {
                producer_id: stamp.producer_id,
                epoch: stamp.epoch,
                first_seq: stamp.base_sequence,
                last_seq: crate::producer_state::increment_sequence(
                    stamp.base_sequence,
                    batch.records.len() as i32 - 1,
                ),
            };
            if let crate::producer_state::SequenceCheck::Duplicate(d) =
                r.producer_states.check(&incoming)?
            {
                return Ok((Some(d.first_offset), d.last_offset, false));
            }
        }
        // The idempotent producer (`config::producer_config`: on by default with acks=all, off
        // for acks=0/1, retries=0 or enable-idempotence=false): a retried batch already in the
        // log is answered, not appended again, and a batch after a gap is refused so that records
        // stay in order. A producer without idempotence sends no producer id (Kafka's
        // RecordBatch.NO_PRODUCER_ID), so the leader appends whatever arrives: a retry of a
        // batch whose answer was lost is a duplicate.
        if self.producers[producer as usize].config.idempotent {
            match r.producers.get(&producer) {
                // Sequences in this log are contiguous from the producer's first batch, so a lower
                // one was appended already.
                Some(pe) if batch.seq <= pe.last_seq => {
                    let base = (pe.last_seq == batch.seq).then_some(pe.base_offset);
                    return Ok((base, pe.last_offset, false));
                }
                Some(pe) if !batch.reset && batch.seq != pe.last_seq + 1 => {
                    return Err(ErrorCode::OutOfOrderSequenceNumber);
                }
                // A producer this log has not seen must start at sequence 0 (or a new epoch).
                None if !batch.reset && batch.seq != 0 => {
                    return Err(ErrorCode::OutOfOrderSequenceNumber);
                }
                _ => {}
            }
        }
        let roll = self.roll_policy(&topic);
        let store = &self.store;
        let r = self.brokers[(broker - 1) as usize]
            .replicas
            .get_mut(&slot)
            .expect("replica");
        let epoch = r.leader_epoch;
        let base = r.log.log_end_offset();
        let mut notes = crate::replication::ProducerNotes::default();
        let crate::broker::Replica {
            log,
            producers,
            producer_states,
            ..
        } = r;
        let entries = (base..)
            .zip(&batch.records)
            .map(|(offset, &id)| crate::log::Entry { offset, id, epoch });
        log.append_entries(entries, store, roll, |e, d| {
            notes.note(producers, producer_states, store, e, d)
        });
        notes.finish(producers);
        let last = r.log.log_end_offset() - 1;
        let tp = self.tp(slot).clone();
        let first_key = self.store.key_text(first).map(str::to_owned);
        let name = self.producers[producer as usize].display_name.clone();
        let bytes: u64 = batch
            .records
            .iter()
            .map(|&id| u64::from(self.store.get(id).size_bytes))
            .sum();
        let count = batch.records.len() as u64;
        self.metrics.count_append(broker, &tp.topic, count, bytes);
        self.emit(Event::RecordsAppended {
            topic: tp.topic,
            partition: tp.partition,
            broker,
            base_offset: base,
            count: batch.records.len() as u32,
            leader_epoch: epoch,
            producer: name,
            first_key,
        });
        // Records appended by a leader the controller has already replaced are gone from the
        // leader's log the moment they land (a zombie leader): acks=0 counts them lost now.
        if acks == Acks::Zero && self.partitions[slot as usize].view_broker != Some(broker) {
            self.lose_unsent(&batch.records, slot);
        }
        Ok((Some(base), last, true))
    }

    /// acks=0 records that the client already counted as sent but that never reached the leader's log.
    pub(crate) fn lose_unsent(&mut self, records: &[RecordId], slot: u32) {
        let mut n = 0;
        for &id in records {
            if self.store.is_acked(id) && !self.store.is_lost(id) {
                self.store.set_lost(id, true);
                n += 1;
            }
        }
        if n > 0 {
            let tp = self.tp(slot).clone();
            self.topic_of_mut(slot).lost += n;
            self.emit(Event::RecordsLost {
                topic: tp.topic,
                partition: tp.partition,
                count: n,
            });
        }
    }

    /// The high watermark moved: answer the acks=all requests it now covers.
    pub(crate) fn complete_delayed_produces(&mut self, broker: u32, slot: u32) {
        let hw = self.broker(broker).replicas[&slot].high_watermark;
        self.release_delayed_produces(broker, |&(_, s, last), _| s == slot && hw > last);
    }

    /// This broker no longer serves `slot` (it stopped leading it: NOT_LEADER_OR_FOLLOWER; its topic
    /// was deleted: UNKNOWN_TOPIC_OR_PARTITION): each waiting acks=all request gets `error` for
    /// that partition, and is answered once nothing else holds it (Kafka's
    /// `completeDelayedOperationsWhenNotPartitionLeader`).
    pub(crate) fn fail_delayed_produces(&mut self, broker: u32, slot: u32, error: ErrorCode) {
        self.release_delayed_produces(broker, |&(i, s, _), results| {
            if s == slot {
                results[i] = Err(error);
            }
            s == slot
        });
    }

    /// Takes off every waiting request the partitions `release` lets go (it may set their
    /// results), and answers each request that then waits on nothing.
    fn release_delayed_produces(
        &mut self,
        broker: u32,
        mut release: impl FnMut(&(usize, u32, u64), &mut [Result<Option<u64>, ErrorCode>]) -> bool,
    ) {
        let b = self.broker_mut(broker);
        if b.purgatory.is_empty() {
            return;
        }
        let mut done = Vec::new();
        b.purgatory.retain_mut(|d| {
            let results = &mut d.results;
            d.waiting.retain(|w| !release(w, results));
            if d.waiting.is_empty() {
                done.push((d.producer, d.request, std::mem::take(&mut d.results)));
                false
            } else {
                true
            }
        });
        for (producer, request, results) in done {
            self.send(Message::ProduceResponse {
                producer,
                broker,
                request,
                results,
            });
        }
    }

    pub(crate) fn delayed_produce_expired(&mut self, broker: u32, request: u64, incarnation: u32) {
        let b = self.broker_mut(broker);
        if !b.alive || b.incarnation != incarnation {
            return;
        }
        let Some(i) = b.purgatory.iter().position(|d| d.request == request) else {
            return;
        };
        let mut d = b.purgatory.remove(i);
        for &(i, _, _) in &d.waiting {
            d.results[i] = Err(ErrorCode::RequestTimedOut);
        }
        self.send(Message::ProduceResponse {
            producer: d.producer,
            broker,
            request,
            results: d.results,
        });
    }

    /// A broker died: its clients' connections break, failing every request in flight to it.
    pub(crate) fn fail_requests_to(&mut self, broker: u32) {
        for p in 0..self.producers.len() {
            let reqs: Vec<(u64, usize)> = self.producers[p]
                .in_flight
                .iter()
                .filter(|(_, f)| f.broker == broker)
                .map(|(r, f)| (*r, f.batches.len()))
                .collect();
            for (request, n) in reqs {
                self.send(Message::ProduceResponse {
                    producer: p as u32,
                    broker,
                    request,
                    results: vec![Err(ErrorCode::NetworkException); n],
                });
            }
        }
    }
}
