//! Replication, as a Kafka leader and its followers do it: followers fetch from the leader
//! (one fetcher per source broker), the leader tracks each follower's log end offset, moves the
//! high watermark to the minimum over the ISR, shrinks the ISR when a follower falls more than
//! `replica.lag.time.max.ms` behind, and expands it when the follower catches up. A follower whose
//! log diverged from the leader's (a restarted ex-leader) truncates to the leader's epoch end
//! offset first (KIP-320's divergingEpoch).

use std::collections::BTreeMap;

use crate::broker::{FollowerState, ParkedFetch};
use crate::cluster::{Cluster, Timer};
use crate::event::Event;
use crate::net::{FetchPart, FetchPartResult, Message};
use crate::time::Micros;

impl Cluster {
    /// Sends the follower's next fetch to `leader`, for every partition it follows there.
    pub(crate) fn fetcher_kick(&mut self, follower: u32, leader: u32) {
        let b = self.broker(follower);
        if !b.alive {
            return;
        }
        let f = b.fetchers.get(&leader).copied().unwrap_or_default();
        if f.in_flight.is_some() || f.backing_off {
            return;
        }
        let parts: Vec<FetchPart> = b
            .replicas
            .iter()
            .filter(|(_, r)| r.leader == Some(leader))
            .map(|(&slot, r)| FetchPart {
                slot,
                fetch_offset: r.log.log_end_offset(),
                last_fetched_epoch: r.log.latest_epoch(),
            })
            .collect();
        if parts.is_empty() {
            self.broker_mut(follower).fetchers.remove(&leader);
            return;
        }
        let request = self.request_id();
        let timeout = self.now + self.config.replica_socket_timeout_us;
        self.broker_mut(follower).fetchers.insert(
            leader,
            crate::broker::Fetcher {
                in_flight: Some(request),
                timeout_at_us: timeout,
                backing_off: false,
            },
        );
        self.schedule(
            timeout,
            Timer::FetchTimeout {
                follower,
                leader,
                request,
            },
        );
        self.send(Message::Fetch {
            follower,
            leader,
            request,
            parts,
        });
    }

    /// The fetch failed (connection refused, or `replica.socket.timeout.ms` passed): back off
    /// `replica.fetch.backoff.ms`.
    pub(crate) fn fetch_failed(&mut self, follower: u32, leader: u32, request: u64) {
        let backoff = self.now + self.config.replica_fetch_backoff_us;
        let b = self.broker_mut(follower);
        let Some(f) = b.fetchers.get_mut(&leader) else {
            return;
        };
        if f.in_flight != Some(request) {
            return;
        }
        f.in_flight = None;
        f.backing_off = true;
        self.schedule(backoff, Timer::FetchBackoffOver { follower, leader });
    }

    pub(crate) fn fetch_backoff_over(&mut self, follower: u32, leader: u32) {
        if let Some(f) = self.broker_mut(follower).fetchers.get_mut(&leader) {
            f.backing_off = false;
        }
        self.fetcher_kick(follower, leader);
    }

    /// The leader's side of a follower fetch. With nothing to return, the fetch is parked for up to
    /// `replica.fetch.wait.max.ms`, as Kafka's fetch purgatory does.
    pub(crate) fn handle_fetch(
        &mut self,
        follower: u32,
        leader: u32,
        request: u64,
        parts: Vec<FetchPart>,
        may_park: bool,
    ) {
        let mut answers = Vec::with_capacity(parts.len());
        let mut anything = false;
        for part in &parts {
            let answer = self.fetch_one(follower, leader, *part);
            match &answer {
                FetchPartResult::Records { entries, .. } if entries.is_empty() => {}
                _ => anything = true,
            }
            answers.push((part.slot, answer));
        }
        if !anything && may_park {
            self.broker_mut(leader).parked_fetches.push(ParkedFetch {
                follower,
                request,
                parts,
            });
            let at = self.now + self.config.replica_fetch_wait_max_us;
            self.schedule(at, Timer::ParkedFetchExpired { leader, request });
            return;
        }
        self.send(Message::FetchResponse {
            follower,
            leader,
            request,
            parts: answers,
        });
    }

    fn fetch_one(&mut self, follower: u32, leader: u32, part: FetchPart) -> FetchPartResult {
        let now = self.now;
        let max_bytes = self.config.replica_fetch_max_bytes;
        let slot = part.slot;
        let Some(r) = self.broker(leader).replicas.get(&slot) else {
            return FetchPartResult::NotLeader;
        };
        if !r.is_leader(leader) {
            return FetchPartResult::NotLeader;
        }
        if let Some(epoch) = part.last_fetched_epoch {
            match r.log.end_offset_for_epoch(epoch) {
                Some((found, end)) if found == epoch && end >= part.fetch_offset => {}
                Some((found, end)) => {
                    return FetchPartResult::Diverging {
                        epoch: found,
                        end_offset: end,
                    };
                }
                None => {
                    return FetchPartResult::Diverging {
                        epoch: 0,
                        end_offset: r.log.log_start_offset(),
                    };
                }
            }
        }
        if part.fetch_offset < r.log.log_start_offset()
            || part.fetch_offset > r.log.log_end_offset()
        {
            return FetchPartResult::OffsetOutOfRange {
                log_start_offset: r.log.log_start_offset(),
            };
        }
        // Kafka's Replica.updateFetchStateOrThrow: the follower is caught up if it asked for the
        // leader's log end; or, failing that, it was caught up at its previous fetch if it now asks
        // for at least what the leader's log end was then.
        let leo = r.log.log_end_offset();
        let r = self
            .broker_mut(leader)
            .replicas
            .get_mut(&slot)
            .expect("checked above");
        let st = r.followers.entry(follower).or_insert(FollowerState {
            last_caught_up_us: now,
            ..Default::default()
        });
        if part.fetch_offset >= leo {
            st.last_caught_up_us = st.last_caught_up_us.max(now);
        } else if part.fetch_offset >= st.last_fetch_leader_leo {
            st.last_caught_up_us = st.last_caught_up_us.max(st.last_fetch_us);
        }
        st.last_fetch_leader_leo = leo;
        st.last_fetch_us = now;
        st.log_end_offset = Some(part.fetch_offset);
        self.maybe_expand_isr(leader, slot, follower);
        self.maybe_advance_high_watermark(leader, slot);
        let r = &self.broker(leader).replicas[&slot];
        // One allocation of exactly the entries taken.
        let entries = r
            .log
            .fetch_slices(part.fetch_offset, leo, max_bytes, true, &self.store)
            .concat();
        FetchPartResult::Records {
            entries,
            high_watermark: r.high_watermark,
            log_start_offset: r.log.log_start_offset(),
        }
    }

    pub(crate) fn parked_fetch_expired(&mut self, leader: u32, request: u64) {
        let b = self.broker_mut(leader);
        let Some(i) = b.parked_fetches.iter().position(|p| p.request == request) else {
            return;
        };
        let parked = b.parked_fetches.remove(i);
        self.handle_fetch(parked.follower, leader, parked.request, parked.parts, false);
    }

    /// New data on a leader completes the parked fetches that include the partition.
    pub(crate) fn wake_parked_fetches(&mut self, leader: u32, slot: u32) {
        let b = self.broker_mut(leader);
        if b.parked_fetches.is_empty() {
            return;
        }
        let (woken, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut b.parked_fetches)
            .into_iter()
            .partition(|p| p.parts.iter().any(|x| x.slot == slot));
        b.parked_fetches = kept;
        for p in woken {
            self.handle_fetch(p.follower, leader, p.request, p.parts, false);
        }
    }

    pub(crate) fn handle_fetch_response(
        &mut self,
        follower: u32,
        leader: u32,
        request: u64,
        parts: Vec<(u32, FetchPartResult)>,
    ) {
        match self.broker(follower).fetchers.get(&leader) {
            Some(f) if f.in_flight == Some(request) => {}
            _ => return, // a stale response (the fetcher was reset)
        }
        for (slot, answer) in parts {
            let Some(r) = self.broker(follower).replicas.get(&slot) else {
                continue;
            };
            if r.leader != Some(leader) {
                continue;
            }
            let tp = self.tp(slot).clone();
            let topic = self.topic_of(slot).config;
            let roll = self.roll_policy(&topic);
            match answer {
                FetchPartResult::NotLeader => {}
                FetchPartResult::Diverging { epoch, end_offset } => {
                    let r = self.brokers[(follower - 1) as usize]
                        .replicas
                        .get_mut(&slot)
                        .expect("replica");
                    // Truncate to the smaller of the leader's end offset for the epoch and our own.
                    let own_end = r
                        .log
                        .end_offset_for_epoch(epoch)
                        .map_or(r.log.log_start_offset(), |(_, end)| end);
                    let target = end_offset.min(own_end).min(r.log.log_end_offset());
                    self.truncate_replica(follower, slot, target);
                }
                FetchPartResult::OffsetOutOfRange { log_start_offset } => {
                    let r = self.brokers[(follower - 1) as usize]
                        .replicas
                        .get_mut(&slot)
                        .expect("replica");
                    let from = r.log.log_end_offset();
                    r.log.reset_to(log_start_offset);
                    r.high_watermark = log_start_offset;
                    r.producers.clear();
                    r.producer_states.clear();
                    self.request_reclaim();
                    self.emit(Event::Truncated {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                        broker: follower,
                        from_offset: from,
                        to_offset: log_start_offset,
                    });
                }
                FetchPartResult::Records {
                    entries,
                    high_watermark,
                    log_start_offset,
                } => {
                    let store = &self.store;
                    let r = self.brokers[(follower - 1) as usize]
                        .replicas
                        .get_mut(&slot)
                        .expect("replica");
                    let base = entries.first().map(|e| e.offset);
                    let mut appended = 0u32;
                    let sealed_before = r.log.sealed_chunks();
                    // Offsets increase: what this replica already has is a prefix.
                    let end = r.log.log_end_offset();
                    let fresh = entries.iter().copied().skip_while(|e| e.offset < end);
                    let mut notes = ProducerNotes::default();
                    let crate::broker::Replica {
                        log,
                        producers,
                        producer_states,
                        ..
                    } = r;
                    log.append_entries(fresh, store, roll, |e, d| {
                        notes.note(producers, producer_states, store, e, d);
                        appended += 1;
                    });
                    notes.finish(producers);
                    debug_assert!(
                        entries
                            .last()
                            .is_none_or(|e| e.offset < r.log.log_end_offset()),
                        "appended every fetched record"
                    );
                    let old_start = r.log.log_start_offset();
                    r.log.advance_log_start(log_start_offset);
                    let moved = r.log.log_start_offset() > old_start;
                    let old_hw = r.high_watermark;
                    r.high_watermark = high_watermark
                        .min(r.log.log_end_offset())
                        .max(r.log.log_start_offset())
                        .max(old_hw.min(r.log.log_end_offset()));
                    let leo = r.log.log_end_offset();
                    let sealed_now = r.log.sealed_chunks() > sealed_before;
                    if moved {
                        // The follower dropped what the leader's retention deleted.
                        self.request_reclaim();
                    }
                    if sealed_now {
                        self.share_leader_chunks(leader, follower, slot, sealed_before);
                    }
                    if let (Some(base), true) = (base, appended > 0) {
                        self.emit(Event::ReplicaFetched {
                            topic: tp.topic.clone(),
                            partition: tp.partition,
                            follower,
                            leader,
                            base_offset: base,
                            count: appended,
                            log_end_offset: leo,
                        });
                    }
                }
            }
        }
        if let Some(f) = self.broker_mut(follower).fetchers.get_mut(&leader) {
            f.in_flight = None;
        }
        self.fetcher_kick(follower, leader);
    }

    /// A follower's newly sealed chunks of entries become the leader's identical ones
    /// (`PartitionLog::share_sealed_from`): memory only, nothing either replica reads changes.
    fn share_leader_chunks(&mut self, leader: u32, follower: u32, slot: u32, from: usize) {
        let (l, f) = ((leader - 1) as usize, (follower - 1) as usize);
        assert_ne!(l, f, "a follower fetches from another broker");
        let (leader_broker, follower_broker) = if l < f {
            let (low, high) = self.brokers.split_at_mut(f);
            (&low[l], &mut high[0])
        } else {
            let (low, high) = self.brokers.split_at_mut(l);
            (&high[0], &mut low[f])
        };
        if let (Some(lr), Some(fr)) = (
            leader_broker.replicas.get(&slot),
            follower_broker.replicas.get_mut(&slot),
        ) {
            fr.log.share_sealed_from(from, &lr.log);
        }
    }

    /// Cuts a replica's log back to `offset` and reports it.
    pub(crate) fn truncate_replica(&mut self, broker: u32, slot: u32, offset: u64) {
        let tp = self.tp(slot).clone();
        let store = &self.store;
        let r = self.brokers[(broker - 1) as usize]
            .replicas
            .get_mut(&slot)
            .expect("replica");
        let from = r.log.log_end_offset();
        if offset >= from {
            return;
        }
        r.log.truncate_to(offset, store);
        r.high_watermark = r.high_watermark.min(r.log.log_end_offset());
        r.rebuild_producers(store);
        let to = r.log.log_end_offset();
        self.request_reclaim();
        self.emit(Event::Truncated {
            topic: tp.topic,
            partition: tp.partition,
            broker,
            from_offset: from,
            to_offset: to,
        });
    }

    /// Kafka's Partition.maybeExpandIsr: a follower past the high watermark and past the start of the
    /// current leader epoch rejoins the ISR (through AlterPartition; a fenced broker cannot).
    fn maybe_expand_isr(&mut self, leader: u32, slot: u32, follower: u32) {
        let fenced = self.broker(follower).fenced || !self.broker(follower).alive;
        let r = &self.broker(leader).replicas[&slot];
        if fenced || r.pending_isr.is_some() || r.isr.contains(&follower) {
            return;
        }
        let Some(leo) = r.followers.get(&follower).and_then(|f| f.log_end_offset) else {
            return;
        };
        if leo >= r.high_watermark && leo >= r.epoch_start_offset {
            let mut isr = r.isr.clone();
            isr.push(follower);
            self.propose_isr(leader, slot, isr);
        }
    }

    /// Sends an AlterPartition to the controller and remembers it as pending.
    pub(crate) fn propose_isr(&mut self, leader: u32, slot: u32, isr: Vec<u32>) {
        let r = self
            .broker_mut(leader)
            .replicas
            .get_mut(&slot)
            .expect("replica");
        r.pending_isr = Some(isr.clone());
        let (leader_epoch, partition_epoch) = (r.leader_epoch, r.partition_epoch);
        self.send(Message::AlterPartition {
            leader,
            slot,
            leader_epoch,
            partition_epoch,
            isr,
        });
        // A pending expansion already counts for the high watermark (maximal ISR).
        self.maybe_advance_high_watermark(leader, slot);
    }

    /// The high watermark: the smallest log end offset over the (maximal) ISR. Since Kafka 3.7
    /// (KAFKA-15583) it does not advance while the ISR is smaller than min.insync.replicas.
    pub(crate) fn maybe_advance_high_watermark(&mut self, leader: u32, slot: u32) {
        let topic = self.topic_of(slot);
        let min_isr = topic.config.min_insync.min(topic.config.replication) as usize;
        let r = &self.broker(leader).replicas[&slot];
        if !r.is_leader(leader) || r.isr.len() < min_isr {
            return;
        }
        let mut hw = r.log.log_end_offset();
        for b in r.maximal_isr() {
            if b == leader {
                continue;
            }
            let leo = r
                .followers
                .get(&b)
                .and_then(|f| f.log_end_offset)
                .unwrap_or(0);
            hw = hw.min(leo);
        }
        if hw <= r.high_watermark {
            return;
        }
        let tp = self.tp(slot).clone();
        self.broker_mut(leader)
            .replicas
            .get_mut(&slot)
            .expect("replica")
            .high_watermark = hw;
        self.emit(Event::HighWatermark {
            topic: tp.topic,
            partition: tp.partition,
            broker: leader,
            high_watermark: hw,
        });
        self.complete_delayed_produces(leader, slot);
        self.wake_consumer_fetches(leader, slot);
        self.wake_external_fetches(leader, slot);
    }

    /// Kafka's isr-expiration task (every replica.lag.time.max.ms / 2): drop followers that have not
    /// caught up within replica.lag.time.max.ms.
    pub(crate) fn isr_expiration(&mut self, broker: u32, incarnation: u32) {
        let b = self.broker(broker);
        if !b.alive || b.incarnation != incarnation {
            return;
        }
        let now = self.now;
        let lag = self.config.replica_lag_time_max_us;
        let mut shrinks = Vec::new();
        for (&slot, r) in &b.replicas {
            if !r.is_leader(broker) || r.pending_isr.is_some() {
                continue;
            }
            let leo = r.log.log_end_offset();
            let out: Vec<u32> = r
                .isr
                .iter()
                .copied()
                .filter(|&f| f != broker)
                .filter(|f| {
                    let st = r.followers.get(f).copied().unwrap_or_default();
                    st.log_end_offset != Some(leo) && now.saturating_sub(st.last_caught_up_us) > lag
                })
                .collect();
            if !out.is_empty() {
                shrinks.push((
                    slot,
                    r.isr
                        .iter()
                        .copied()
                        .filter(|b| !out.contains(b))
                        .collect::<Vec<_>>(),
                ));
            }
        }
        for (slot, isr) in shrinks {
            self.propose_isr(broker, slot, isr);
        }
        let next: Micros = now + lag / 2;
        self.schedule(
            next,
            Timer::IsrExpiration {
                broker,
                incarnation,
            },
        );
    }

    /// The controller answered an AlterPartition: if it is the proposal still pending, the leader
    /// may propose again (the metadata sent before this answer already carries the outcome).
    pub(crate) fn handle_alter_partition_response(
        &mut self,
        leader: u32,
        slot: u32,
        proposed: Vec<u32>,
    ) {
        let Some(r) = self.broker_mut(leader).replicas.get_mut(&slot) else {
            return;
        };
        if r.pending_isr.as_ref() == Some(&proposed) {
            r.pending_isr = None;
            self.maybe_advance_high_watermark(leader, slot);
        }
    }

    /// A broker learns the controller's latest state of one partition and becomes its leader or a
    /// follower, as Kafka's ReplicaManager.applyDelta does.
    pub(crate) fn apply_metadata(&mut self, broker: u32, slot: u32) {
        let meta = self.partitions[slot as usize].clone();
        let now = self.now;
        let Some(r) = self.broker(broker).replicas.get(&slot) else {
            return;
        };
        let was_leader = r.is_leader(broker);
        let old_leader = r.leader;
        let new_epoch =
            meta.leader_epoch != r.leader_epoch || old_leader.is_none() && meta.leader.is_some();
        let r = self
            .broker_mut(broker)
            .replicas
            .get_mut(&slot)
            .expect("replica");
        r.isr = meta.isr.clone();
        // A newer partition epoch replaces any pending ISR change (Kafka's updateAssignmentAndIsr);
        // otherwise the pending change waits for the controller's answer to that very proposal,
        // so that the high watermark keeps waiting for a follower whose addition is in flight.
        if meta.partition_epoch != r.partition_epoch {
            r.pending_isr = None;
        }
        r.partition_epoch = meta.partition_epoch;
        if !new_epoch && old_leader == meta.leader {
            // Only the ISR changed.
            if meta.leader == Some(broker) {
                self.maybe_advance_high_watermark(broker, slot);
            }
            return;
        }
        r.leader = meta.leader;
        r.leader_epoch = meta.leader_epoch;
        if meta.leader == Some(broker) {
            // Become leader: followers' positions are unknown until they fetch; ISR members count as
            // caught up now (Kafka's Partition.makeLeader).
            r.epoch_start_offset = r.log.log_end_offset();
            r.followers = meta
                .replicas
                .iter()
                .filter(|&&b| b != broker)
                .map(|&b| {
                    (
                        b,
                        FollowerState {
                            log_end_offset: None,
                            last_caught_up_us: now,
                            last_fetch_leader_leo: 0,
                            last_fetch_us: now,
                        },
                    )
                })
                .collect();
            r.pending_isr = None;
            self.maybe_advance_high_watermark(broker, slot);
        } else {
            r.followers.clear();
            if was_leader {
                self.fail_delayed_produces(
                    broker,
                    slot,
                    crate::event::ErrorCode::NotLeaderOrFollower,
                );
            }
            if let Some(leader) = meta.leader {
                self.fetcher_kick(broker, leader);
            }
        }
        if was_leader {
            // `DelayedFetch.tryComplete`: a fetch parked here completes at once when this broker
            // no longer leads one of its partitions (Case A) or the leader epoch it named is
            // now fenced; read again, the partition fails and the real client gets its error.
            self.wake_external_fetches(broker, slot);
        }
    }
}

/// Remembers each producer's latest batch in this log (leaders and followers keep producer state)
/// for records appended one after another: written to the replica's `producers` map once per
/// run of one producer's records instead of once per record, with the same final entries.
#[derive(Default)]
pub(crate) struct ProducerNotes {
    /// The producer of the run being noted and its entry so far.
    pending: Option<(u32, crate::broker::ProducerEntry)>,
}

impl ProducerNotes {
    /// Notes record `e` (`d` its data) appended to the replica whose producer maps these are.
    pub(crate) fn note(
        &mut self,
        producers: &mut BTreeMap<u32, crate::broker::ProducerEntry>,
        producer_states: &mut crate::producer_state::ProducerStates,
        store: &crate::record::RecordStore,
        e: &crate::log::Entry,
        d: &crate::record::RecordData,
    ) {
        if let crate::record::ValueRef::Bytes(_) = d.value
            && let Some(stamp) = store.payload(e.id).and_then(|p| p.producer.as_ref())
        {
            producer_states.note(e.offset, stamp);
        }
        let entry = match self.pending.take() {
            Some((producer, entry)) if producer == d.producer => Some(entry),
            other => {
                if let Some((producer, entry)) = other {
                    producers.insert(producer, entry);
                }
                producers.get(&d.producer).copied()
            }
        };
        let entry = match entry {
            Some(mut pe) => {
                if pe.last_seq != d.batch_seq {
                    pe.base_offset = e.offset;
                }
                pe.last_seq = d.batch_seq;
                pe.last_offset = e.offset;
                pe
            }
            None => crate::broker::ProducerEntry {
                last_seq: d.batch_seq,
                base_offset: e.offset,
                last_offset: e.offset,
            },
        };
        self.pending = Some((d.producer, entry));
    }

    /// Writes the last run's entry.
    pub(crate) fn finish(self, producers: &mut BTreeMap<u32, crate::broker::ProducerEntry>) {
        if let Some((producer, entry)) = self.pending {
            producers.insert(producer, entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cluster::Cluster;
    use crate::scenario::{self, Action};
    use crate::time::secs;

    /// Followers that keep up hold the leader's sealed chunks of entries, not copies of them
    /// (`share_leader_chunks`): three replicas of a partition cost one copy of its entries.
    #[test]
    fn in_sync_followers_share_the_leaders_sealed_entries() {
        let src = "brokers 3
topic create orders partitions=2 replication=3
producer add checkout topic=orders rate=2000/s
";
        let script = scenario::parse("share", src).expect("the script parses");
        let mut cluster = Cluster::new(1);
        for step in &script.steps {
            if let Action::Cluster(c) = &step.action {
                cluster.apply(c.clone()).expect("the step applies");
            }
        }
        cluster.advance_to(secs(10));
        cluster.check_invariants();
        let chunks = |broker: u32, slot: u32| {
            let mut ids = Vec::new();
            cluster.broker(broker).replicas[&slot]
                .log
                .for_each_chunk(&mut |id, _| ids.push(id));
            ids
        };
        let mut followers_sealed = 0;
        for (slot, meta) in cluster.partitions.iter().enumerate() {
            let slot = slot as u32;
            let leader = meta.leader.expect("no broker failed");
            let leaders = chunks(leader, slot);
            for &f in meta.replicas.iter().filter(|&&b| b != leader) {
                let own = chunks(f, slot);
                followers_sealed += own.len();
                assert!(
                    own.iter().all(|id| leaders.contains(id)),
                    "broker {f} holds a copy of a sealed chunk of partition slot {slot}"
                );
            }
        }
        // 10 s at 2,000 records/s over 2 partitions: about 9 sealed chunks per replica.
        assert!(
            followers_sealed >= 4 * 8,
            "{followers_sealed} sealed chunks"
        );
    }
}
