//! The KRaft controller: the single source of partition metadata. It fences brokers whose
//! heartbeats stop (`broker.session.timeout.ms`), elects leaders (the first live in-sync replica in
//! assignment order; an out-of-sync one only with unclean election), applies ISR changes that
//! leaders ask for (AlterPartition), moves leadership back to preferred replicas, and pushes every
//! change to the brokers over the network.
//!
//! The controller quorum itself is modelled as always available. `network partition` splits
//! brokers from each other, not from the controller; `network isolate N` cuts broker N off from
//! the controller too: its heartbeats stop arriving, so the controller fences it once
//! `broker.session.timeout.ms` has passed since the last one (Kafka's `BrokerHeartbeatManager`),
//! and elects new leaders where it led. The broker itself is not told: Kafka's
//! `BrokerLifecycleManager` only retries its heartbeats, so until it reconnects it goes on
//! believing its old metadata, a zombie leader (see `Cluster::zombie_leaders`).
//!
//! It is also where `lost` is counted: when leadership moves, the acknowledged records in the old
//! leader's log that the new leader's log does not hold are lost (and records that come back, after
//! an unclean election returns to the old log, are un-lost).

use crate::cluster::{Cluster, CommandError, Timer};
use crate::command::TopicPartition;
use crate::event::{ElectionReason, Event, IsrChangeReason};
use crate::net::Message;

impl Cluster {
    /// Sends a partition's metadata to every live broker hosting it.
    pub(crate) fn publish(&mut self, slot: u32) {
        let replicas = self.partitions[slot as usize].replicas.clone();
        for b in replicas {
            if self.broker(b).alive {
                self.send(Message::Metadata { broker: b, slot });
            }
        }
    }

    pub(crate) fn initial_election(&mut self, slot: u32) {
        let leader = self.partitions[slot as usize].replicas[0];
        self.set_leader(slot, Some(leader), ElectionReason::Initial);
    }

    /// A broker can lead or join an ISR only while it is alive and unfenced.
    fn eligible(&self, b: u32) -> bool {
        let br = self.broker(b);
        br.alive && !br.fenced
    }

    /// Changes the leader, bumps the leader epoch, counts lost records, publishes. A new
    /// partition's first leader has epoch 0, as in KRaft's `PartitionRegistration`.
    fn set_leader(&mut self, slot: u32, leader: Option<u32>, reason: ElectionReason) {
        let meta = &mut self.partitions[slot as usize];
        let previous = meta.leader;
        meta.leader = leader;
        if reason != ElectionReason::Initial {
            meta.leader_epoch += 1;
            meta.partition_epoch += 1;
        }
        let epoch = meta.leader_epoch;
        let tp = meta.tp.clone();
        let old_view = meta.view_broker;
        if leader.is_some() {
            meta.view_broker = leader;
        }
        self.emit(Event::LeaderElected {
            topic: tp.topic.clone(),
            partition: tp.partition,
            previous,
            leader,
            leader_epoch: epoch,
            reason,
        });
        if let (Some(old), Some(new)) = (old_view, leader)
            && old != new
        {
            self.account_lost(slot, old, new);
        }
        self.publish(slot);
    }

    fn set_isr(&mut self, slot: u32, isr: Vec<u32>, reason: IsrChangeReason) {
        let meta = &mut self.partitions[slot as usize];
        if meta.isr == isr {
            return;
        }
        let before = std::mem::replace(&mut meta.isr, isr.clone());
        meta.partition_epoch += 1;
        let tp = meta.tp.clone();
        self.emit(Event::IsrChanged {
            topic: tp.topic,
            partition: tp.partition,
            before,
            after: isr,
            reason,
        });
    }

    /// Compares the old leader's log with the new leader's from where they diverge.
    fn account_lost(&mut self, slot: u32, old: u32, new: u32) {
        let old_log = &self.broker(old).replicas[&slot].log;
        let new_log = &self.broker(new).replicas[&slot].log;
        // The logs agree up to the last offset where both hold the same record.
        let mut o = old_log.log_end_offset().min(new_log.log_end_offset());
        let floor = old_log.log_start_offset().max(new_log.log_start_offset());
        while o > floor {
            match (old_log.entry_at(o - 1), new_log.entry_at(o - 1)) {
                (Some(a), Some(b)) if a.id == b.id => break,
                _ => o -= 1,
            }
        }
        let gone: Vec<_> = old_log
            .range(o, u64::MAX)
            .map(|e| e.id)
            .filter(|id| self.store.is_acked(*id) && !self.store.is_lost(*id))
            .collect();
        let back: Vec<_> = new_log
            .range(o, u64::MAX)
            .map(|e| e.id)
            .filter(|id| self.store.is_lost(*id))
            .collect();
        let delta = gone.len() as i64 - back.len() as i64;
        for id in gone {
            self.store.set_lost(id, true);
        }
        for id in back {
            self.store.set_lost(id, false);
        }
        if delta != 0 {
            let tp = self.tp(slot).clone();
            self.topic_of_mut(slot).lost += delta;
            self.emit(Event::RecordsLost {
                topic: tp.topic,
                partition: tp.partition,
                count: delta,
            });
        }
    }

    /// Elects a leader among the ISR (clean) or, if allowed and needed, any live replica (unclean).
    fn elect(&mut self, slot: u32, reason: ElectionReason, exclude: Option<u32>) {
        let meta = &self.partitions[slot as usize];
        let clean = meta
            .replicas
            .iter()
            .copied()
            .find(|&b| Some(b) != exclude && meta.isr.contains(&b) && self.eligible(b));
        if let Some(b) = clean {
            self.set_leader(slot, Some(b), reason);
            return;
        }
        let unclean_ok = self.topic_of(slot).config.unclean_election;
        let meta = &self.partitions[slot as usize];
        let unclean = meta
            .replicas
            .iter()
            .copied()
            .find(|&b| Some(b) != exclude && self.eligible(b));
        match unclean {
            Some(b) if unclean_ok => {
                // KRaft (3.9+): the new leader's ISR is just itself.
                self.set_isr(slot, vec![b], IsrChangeReason::UncleanElection);
                self.set_leader(slot, Some(b), ElectionReason::Unclean);
            }
            _ => {
                if self.partitions[slot as usize].leader.is_some() {
                    self.set_leader(slot, None, ElectionReason::Offline);
                }
            }
        }
    }

    /// Removes `broker` from every ISR (keeping a last member, as KRaft does) and re-elects where it
    /// led.
    fn move_away_from(
        &mut self,
        broker: u32,
        isr_reason: IsrChangeReason,
        election: ElectionReason,
    ) {
        for slot in 0..self.partitions.len() as u32 {
            let meta = &self.partitions[slot as usize];
            if !meta.replicas.contains(&broker) {
                continue;
            }
            let was_leader = meta.leader == Some(broker);
            if meta.isr.contains(&broker) && meta.isr.len() > 1 {
                let isr: Vec<u32> = meta.isr.iter().copied().filter(|&b| b != broker).collect();
                self.set_isr(slot, isr, isr_reason);
            }
            if was_leader {
                self.elect(slot, election, Some(broker));
            } else {
                self.publish(slot);
            }
        }
    }

    pub(crate) fn session_expiry(&mut self, broker: u32, incarnation: u32) {
        let b = self.broker(broker);
        if b.incarnation != incarnation || b.fenced {
            return;
        }
        if b.alive {
            // A live broker's session expires only if it is isolated and its last heartbeat
            // before the cut is a whole session timeout old (a heal and a new isolation since
            // this timer was set start a new count).
            match self.network.isolated_since(broker) {
                Some(since) if self.now >= self.session_deadline(broker, since) => {}
                _ => return,
            }
        }
        self.fence(broker);
    }

    /// When the controller's session for `broker` expires if its heartbeats stop at `silent_from`:
    /// `broker.session.timeout.ms` after the last heartbeat sent before then (heartbeats go out
    /// every `broker.heartbeat.interval.ms` from registration).
    pub(crate) fn session_deadline(
        &self,
        broker: u32,
        silent_from: crate::time::Micros,
    ) -> crate::time::Micros {
        let registered = self.broker(broker).registered_at_us;
        let hb = self.config.broker_heartbeat_interval_us;
        let last_heartbeat = registered + silent_from.saturating_sub(registered) / hb * hb;
        last_heartbeat + self.config.broker_session_timeout_us
    }

    /// `network isolate N`: from now on no message reaches broker N or leaves it.
    pub(crate) fn cmd_network_isolate(&mut self, broker: u32) -> Result<(), CommandError> {
        self.check_broker(broker)?;
        if self.network.is_isolated(broker) {
            return Err(CommandError::BrokerAlreadyIsolated(broker));
        }
        let now = self.now;
        self.network.isolate(broker, now);
        self.emit(Event::BrokerIsolated { broker });
        let b = self.broker(broker);
        if b.alive && !b.fenced {
            let at = self.session_deadline(broker, now).max(now);
            let incarnation = b.incarnation;
            self.schedule(
                at,
                Timer::SessionExpiry {
                    broker,
                    incarnation,
                },
            );
        }
        Ok(())
    }

    /// A healed broker reaches the controller again. It catches up with the metadata log (every
    /// partition it hosts, so a zombie leader learns the new leader epoch, becomes a follower and
    /// truncates what the new leader does not have: KIP-320), resends the AlterPartition requests
    /// it kept retrying, and, if it was fenced meanwhile, is unfenced at its next heartbeat, as
    /// after a restart.
    pub(crate) fn reconnect(&mut self, broker: u32) {
        if !self.broker(broker).alive {
            return;
        }
        let pending: Vec<(u32, Vec<u32>, u32, u32)> = self
            .broker(broker)
            .replicas
            .iter()
            .filter_map(|(&slot, r)| {
                let isr = r.pending_isr.clone()?;
                Some((slot, isr, r.leader_epoch, r.partition_epoch))
            })
            .collect();
        let slots: Vec<u32> = self.broker(broker).replicas.keys().copied().collect();
        for slot in slots {
            self.send(Message::Metadata { broker, slot });
        }
        for (slot, isr, leader_epoch, partition_epoch) in pending {
            self.send(Message::AlterPartition {
                leader: broker,
                slot,
                leader_epoch,
                partition_epoch,
                isr,
            });
        }
        if self.broker(broker).fenced {
            let incarnation = self.broker(broker).incarnation;
            let at = self.now + self.unfence_delay();
            self.schedule(
                at,
                Timer::Unfence {
                    broker,
                    incarnation,
                },
            );
        }
    }

    /// From a broker's (re)connection to its unfencing: a round trip to catch up with the
    /// metadata, then the next heartbeat (at most 500 ms away, as the initial ones are).
    fn unfence_delay(&self) -> crate::time::Micros {
        2 * self.config.latency_us
            + self
                .config
                .broker_heartbeat_interval_us
                .min(crate::time::ms(500))
    }

    /// The brokers that believe they lead `slot` while the controller disagrees or cannot hear
    /// them: isolated (stale leadership until the controller fences them) or behind the
    /// controller's leader epoch (a newer leader was elected and they have not heard yet).
    pub fn zombie_leaders(&self, slot: u32) -> Vec<u32> {
        let meta = &self.partitions[slot as usize];
        meta.replicas
            .iter()
            .copied()
            .filter(|&b| {
                let br = self.broker(b);
                let r = &br.replicas[&slot];
                br.alive
                    && r.is_leader(b)
                    && (self.network.is_isolated(b)
                        || meta.leader != Some(b)
                        || r.leader_epoch < meta.leader_epoch)
            })
            .collect()
    }

    fn fence(&mut self, broker: u32) {
        self.broker_mut(broker).fenced = true;
        self.emit(Event::BrokerFenced { broker });
        self.move_away_from(broker, IsrChangeReason::Fenced, ElectionReason::Clean);
        self.refresh_coordinators(false);
    }

    /// A restarted broker caught up with the metadata log and heartbeats: it is unfenced, learns
    /// every partition it hosts, and leads where no one else can.
    pub(crate) fn unfence(&mut self, broker: u32, incarnation: u32) {
        let b = self.broker(broker);
        // An isolated broker's heartbeats do not arrive: it stays fenced until it reconnects.
        if !b.alive || b.incarnation != incarnation || self.network.is_isolated(broker) {
            return;
        }
        self.broker_mut(broker).fenced = false;
        self.emit(Event::BrokerUnfenced { broker });
        let slots: Vec<u32> = self.broker(broker).replicas.keys().copied().collect();
        for slot in slots {
            if self.partitions[slot as usize].leader.is_none() {
                self.elect(slot, ElectionReason::Clean, None);
            }
            self.send(Message::Metadata { broker, slot });
        }
        self.refresh_coordinators(false);
    }

    /// KRaft AlterPartition: accepted if the sender still leads in the same epochs.
    pub(crate) fn handle_alter_partition(
        &mut self,
        leader: u32,
        slot: u32,
        leader_epoch: u32,
        partition_epoch: u32,
        isr: Vec<u32>,
    ) {
        if self.is_retired(slot) {
            return; // the topic was deleted: the partition is gone (UNKNOWN_TOPIC_OR_PARTITION)
        }
        let meta = &self.partitions[slot as usize];
        if meta.leader != Some(leader)
            || meta.leader_epoch != leader_epoch
            || meta.partition_epoch != partition_epoch
        {
            // Rejected (FENCED_LEADER_EPOCH / INVALID_UPDATE_VERSION): the leader learns the truth
            // from the metadata it is sent, then the answer clears its pending proposal.
            self.send(Message::Metadata {
                broker: leader,
                slot,
            });
            self.send(Message::AlterPartitionResponse {
                leader,
                slot,
                proposed: isr,
            });
            return;
        }
        let proposed = isr.clone();
        // A fenced broker cannot join the ISR (KIP-841).
        let isr: Vec<u32> = isr
            .into_iter()
            .filter(|&b| {
                b == leader || !meta.isr.contains(&b) && self.eligible(b) || meta.isr.contains(&b)
            })
            .collect();
        let reason = if isr.len() > meta.isr.len() {
            IsrChangeReason::CaughtUp
        } else {
            IsrChangeReason::Lagging
        };
        if isr != meta.isr {
            self.set_isr(slot, isr, reason);
        }
        self.publish(slot);
        self.send(Message::AlterPartitionResponse {
            leader,
            slot,
            proposed,
        });
    }

    /// KRaft's periodic preferred leader election (auto.leader.rebalance.enable): any partition led by
    /// someone other than its first replica moves back if that replica is in the ISR and unfenced.
    pub(crate) fn leader_imbalance_check(&mut self) {
        self.elect_preferred_all();
        let next = self.now + self.config.leader_imbalance_check_interval_us;
        self.schedule(next, Timer::LeaderImbalanceCheck);
    }

    fn elect_preferred(&mut self, slot: u32) {
        let meta = &self.partitions[slot as usize];
        let Some(&preferred) = meta.replicas.first() else {
            return; // a deleted topic's retired slot
        };
        if meta.leader != Some(preferred)
            && meta.isr.contains(&preferred)
            && self.eligible(preferred)
        {
            self.set_leader(slot, Some(preferred), ElectionReason::Preferred);
        }
    }

    fn elect_preferred_all(&mut self) {
        for slot in 0..self.partitions.len() as u32 {
            self.elect_preferred(slot);
        }
        // The internal __consumer_offsets partitions too: coordinators move back.
        self.refresh_coordinators(true);
    }

    pub(crate) fn cmd_elect_preferred(
        &mut self,
        partition: Option<TopicPartition>,
    ) -> Result<(), CommandError> {
        match partition {
            None => self.elect_preferred_all(),
            Some(tp) => {
                let slot = self
                    .slot_of(&tp)
                    .ok_or(CommandError::UnknownPartition(tp))?;
                self.elect_preferred(slot);
            }
        }
        Ok(())
    }

    /// `broker kill N` (a crash) or `broker stop N` (a controlled shutdown).
    pub(crate) fn cmd_broker_down(
        &mut self,
        broker: u32,
        controlled: bool,
    ) -> Result<(), CommandError> {
        self.check_broker(broker)?;
        if !self.broker(broker).alive {
            return Err(CommandError::BrokerAlreadyDown(broker));
        }
        if controlled {
            // Controlled shutdown: the controller moves leadership and ISR membership away first.
            self.broker_mut(broker).fenced = true;
            self.move_away_from(
                broker,
                IsrChangeReason::Shutdown,
                ElectionReason::ControlledShutdown,
            );
            self.refresh_coordinators(false);
        }
        let now = self.now;
        let b = self.broker_mut(broker);
        b.alive = false;
        b.fetchers.clear();
        // The process is gone and its sockets with it: a follower whose fetch waited in this
        // leader's purgatory sees its connection close and backs off `replica.fetch.backoff.ms`,
        // as Kafka's fetcher does on a disconnect, instead of waiting out its socket timeout
        // (which left a follower off a new leader for 30 s and held the high watermark back).
        let parked = std::mem::take(&mut b.parked_fetches);
        for p in parked {
            self.send(Message::FetchFailed {
                follower: p.follower,
                leader: broker,
                request: p.request,
            });
        }
        let b = self.broker_mut(broker);
        b.purgatory.clear();
        b.consumer_fetches.clear();
        self.emit(Event::BrokerDown { broker, controlled });
        self.fail_requests_to(broker);
        self.clients_lose_connections(broker);
        self.fail_consumer_requests_to(broker);
        self.fail_worker_requests_to(broker);
        if !controlled {
            // The controller notices only when the session times out after the last heartbeat.
            let at = self.session_deadline(broker, now).max(now);
            let incarnation = self.broker(broker).incarnation;
            self.schedule(
                at,
                Timer::SessionExpiry {
                    broker,
                    incarnation,
                },
            );
        }
        Ok(())
    }

    /// `broker restart N`: the broker comes back with its logs, registers, and is unfenced once it
    /// has caught up with the metadata (one heartbeat later).
    pub(crate) fn cmd_broker_restart(&mut self, broker: u32) -> Result<(), CommandError> {
        self.check_broker(broker)?;
        if self.broker(broker).alive {
            return Err(CommandError::BrokerAlreadyUp(broker));
        }
        // A new registration replaces the old one fenced (if the old session had not expired yet).
        if !self.broker(broker).fenced {
            self.fence(broker);
        }
        let now = self.now;
        let b = self.broker_mut(broker);
        b.alive = true;
        b.incarnation += 1;
        b.registered_at_us = now;
        for r in b.replicas.values_mut() {
            r.leader = None;
            r.pending_isr = None;
            r.followers.clear();
        }
        let incarnation = b.incarnation;
        self.emit(Event::BrokerUp {
            broker,
            restarted: true,
        });
        let at = now + self.unfence_delay();
        self.schedule(
            at,
            Timer::Unfence {
                broker,
                incarnation,
            },
        );
        let next = now + self.config.replica_lag_time_max_us / 2;
        self.schedule(
            next,
            Timer::IsrExpiration {
                broker,
                incarnation,
            },
        );
        Ok(())
    }
}
