//! The application's poll loop (`KafkaConsumer.poll`): each turn the heartbeat thread's
//! duties, then `poll()` hands out up to `max.poll.records` buffered records, which the
//! application processes at its rate (a Streams thread's tasks or a Connect sink task take
//! them); then fetches, metadata, and the next time the client must wake.

use crate::cluster::{Cluster, Timer};
use crate::command::TopicPartition;
use crate::event::Event;
use crate::record::RecordId;
use crate::time::Micros;

use super::{ClientState, CommitReason, JoinPhase, Pending};

/// Most `poll()` calls an idle application makes in one simulation step.
const MAX_POLLS_PER_TURN: usize = 64;

impl Cluster {
    /// One turn of the client: the heartbeat thread's duties, then the application's poll loop.
    pub(crate) fn consumer_poll(&mut self, id: u32) {
        if self.consumers[id as usize].state != ClientState::Running {
            return;
        }
        self.heartbeat_thread(id);
        if self.consumers[id as usize].state != ClientState::Running {
            return;
        }
        self.ensure_coordinator(id);
        self.process_records(id);
        // The application loops on poll() while it has nothing to process (bounded per turn;
        // a tick continues the loop).
        for _ in 0..MAX_POLLS_PER_TURN {
            if !self.consumers[id as usize].at_poll() {
                break;
            }
            self.poll_once(id);
            self.process_records(id);
            let c = &self.consumers[id as usize];
            if !c.in_process.is_empty()
                || c.owned
                    .iter()
                    .all(|(tp, p)| p.buffer.is_empty() || c.paused.contains(tp))
            {
                break;
            }
        }
        self.fetch_positions(id);
        self.send_fetches(id);
        self.maybe_refresh_consumer_metadata(id);
        self.schedule_consumer_tick(id);
    }

    /// Whether the consumer is a stream thread's, blocked in its commit (`streams_tick` wakes it
    /// when the commit is sent).
    fn streams_blocked(&self, id: u32) -> bool {
        self.consumers[id as usize]
            .streams
            .is_some_and(|r| self.streams_commit_pending(r))
    }

    pub(crate) fn consumer_tick(&mut self, id: u32) {
        let c = &mut self.consumers[id as usize];
        if c.tick_at == Some(self.now) {
            c.tick_at = None;
        }
        self.consumer_poll(id);
    }

    fn schedule_consumer_tick(&mut self, id: u32) {
        let now = self.now;
        let c = &self.consumers[id as usize];
        if c.state != ClientState::Running {
            return;
        }
        let mut next: Option<Micros> = None;
        let mut consider = |t: Micros| next = Some(next.map_or(t, |n: Micros| n.min(t)));
        if c.is_member() && c.coordinator.is_some() {
            // A heartbeat still in flight (lost in a network cut) is waited for: its answer or
            // its request timeout wakes the consumer, not the next heartbeat's due time.
            if !c.in_flight(Pending::Heartbeat) {
                consider(c.last_heartbeat_sent_us + c.config.heartbeat_interval_us);
            }
            consider(c.last_poll_us + c.config.max_poll_interval_us + 1);
            consider(c.last_heartbeat_ok_us + c.config.session_timeout_us + 1);
        }
        if c.coordinator.is_none() && !c.in_flight(Pending::FindCoordinator) {
            consider(c.retry_coordinator_at);
        }
        // A stream thread blocked in its commit neither polls nor processes: its own tick wakes
        // the consumer when the commit is sent (`streams_tick`).
        let blocked = self.streams_blocked(id);
        // Paused partitions (`pause_all`: a paused Connect sink task, or one waiting to deliver a
        // batch again) hand nothing over: their buffered records are no reason to wake.
        if c.at_poll()
            && !blocked
            && !c.pause_all
            && c.owned
                .iter()
                .any(|(tp, p)| !p.buffer.is_empty() && !c.paused.contains(tp))
        {
            consider(now + 1);
        }
        if c.config.enable_auto_commit
            && c.at_poll()
            && c.phase == JoinPhase::Stable
            && c.coordinator.is_some()
            && !c.commit_in_flight()
        {
            // (Without a coordinator the commit waits; the lookup's own timer wakes us.)
            consider(c.next_auto_commit_us);
        }
        // The end of a reconnect backoff, for a leader a partition waits to fetch from.
        for broker in c.waiting_for() {
            if let Some(t) = c.connections.next_attempt_at(broker) {
                consider(t);
            }
        }
        if !c.in_process.is_empty()
            && !c.stalled
            && !blocked
            && let Some(at) = c
                .application
                .next_record_done_us(c.process_started_us, c.processed_in_batch)
        {
            // When the application is done with its next record.
            consider(at);
        }
        if let Some(at) = next {
            let at = at.max(now + 1);
            if c.tick_at.is_none_or(|t| at < t || t <= now) {
                self.consumers[id as usize].tick_at = Some(at);
                self.schedule(at, Timer::ConsumerTick { consumer: id });
            }
        }
    }

    /// One `poll()`: auto-commit if due, (re)join if needed, then hand out fetched records.
    fn poll_once(&mut self, id: u32) {
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        c.last_poll_us = now;
        if c.config.enable_auto_commit
            && c.coordinator.is_some()
            && c.phase == JoinPhase::Stable
            && now >= c.next_auto_commit_us
            && !c.commit_in_flight()
        {
            c.next_auto_commit_us = now + c.config.auto_commit_interval_us;
            if !c.positions().is_empty() {
                self.send_commit(id, CommitReason::Auto);
            }
        }
        let c = &self.consumers[id as usize];
        let join_due =
            c.phase == JoinPhase::Unjoined || (c.phase == JoinPhase::Stable && c.rejoin_needed);
        // A Streams thread blocked in its commit (waiting for its producer) is not polling.
        let streams_committing = self.streams_blocked(id);
        if join_due && c.coordinator.is_some() && !c.commit_in_flight() && !streams_committing {
            self.join_prepare(id);
        }
        // `onJoinPrepare` commits synchronously inside poll(): while that commit is in flight
        // the application is blocked in poll() and gets no records (Kafka's
        // ConsumerCoordinator.onJoinPrepare → maybeAutoCommitOffsetsSync, then the revocation).
        // A stream thread blocked in its commit does not poll at all (`StreamThread.runOnce`:
        // `maybeCommit` flushes the producer and commits synchronously before the next poll).
        if self.consumers[id as usize].phase != JoinPhase::Committing && !streams_committing {
            self.take_records(id);
        }
    }

    /// Moves up to `max.poll.records` buffered records to the application.
    fn take_records(&mut self, id: u32) {
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        let max = c.config.max_poll_records as usize;
        let n = c.owned.len();
        if n == 0 {
            return;
        }
        let keys: Vec<TopicPartition> = c.owned.keys().cloned().collect();
        let start = c.poll_cursor % n;
        for i in 0..n {
            if c.in_process.len() >= max {
                break;
            }
            let tp = &keys[(start + i) % n];
            if c.pause_all || c.paused.contains(tp) {
                continue;
            }
            let p = c.owned.get_mut(tp).expect("owned");
            let slot = p.slot;
            while c.in_process.len() < max {
                let Some((offset, rid)) = p.buffer.pop_front() else {
                    break;
                };
                c.in_process.push_back((slot, offset, rid));
            }
        }
        c.poll_cursor = c.poll_cursor.wrapping_add(1);
        if !c.in_process.is_empty() {
            c.process_started_us = now;
            c.processed_in_batch = 0;
        }
    }

    /// The application works through the records of its last poll, at its rate.
    fn process_records(&mut self, id: u32) {
        let now = self.now;
        let c = &self.consumers[id as usize];
        if c.in_process.is_empty() || c.stalled || c.state != ClientState::Running {
            return;
        }
        // A stream thread processes nothing while it waits in its commit for the producer's
        // flush: Kafka's thread is blocked in `Producer.flush()` then `commitSync`, so records
        // handed out by its last poll wait (and the flush can end, as nothing new is sent).
        if self.streams_blocked(id) {
            return;
        }
        let due = c.application.records_due(
            c.process_started_us,
            c.processed_in_batch,
            c.in_process.len(),
            now,
        );
        if due == 0 {
            return;
        }
        let g = c.group;
        let c = &mut self.consumers[id as usize];
        let group = &mut self.groups[g as usize];
        // Runs of consecutive records of one partition: (slot, first offset, count, last offset).
        let mut runs: Vec<(u32, u64, u32, u64)> = Vec::new();
        let thread = c.streams;
        let sink = c.connect;
        let mut for_tasks = Vec::with_capacity(if thread.is_some() || sink.is_some() {
            due.min(c.in_process.len() as u64) as usize
        } else {
            0
        });
        for _ in 0..due {
            let Some((slot, offset, rid)) = c.in_process.pop_front() else {
                break;
            };
            // The application is done with this record (`Application::Process` only takes its
            // time; a Streams thread's tasks run it below), so its offset may be committed.
            if thread.is_some() || sink.is_some() {
                for_tasks.push((slot, offset, rid));
            }
            c.processed_in_batch += 1;
            c.consumed += 1;
            group.note_consumed(rid);
            match runs.last_mut() {
                Some((s, _, n, last)) if *s == slot => {
                    *n += 1;
                    *last = offset;
                }
                _ => runs.push((slot, offset, 1, offset)),
            }
        }
        // The committable position of each partition: past the last record of its runs.
        for &(slot, _, _, last) in &runs {
            if let Some(p) = c
                .metadata
                .topic_partition(slot)
                .and_then(|tp| c.owned.get_mut(tp))
            {
                p.position = Some(last + 1);
            }
        }
        let consumer = c.name.clone();
        let group_name = group.name.clone();
        for (slot, from_offset, count, _) in runs {
            let tp = self.consumers[id as usize]
                .metadata
                .topic_partition(slot)
                .expect("a record of a partition the metadata named")
                .clone();
            *self.groups[g as usize]
                .consumed
                .entry(tp.clone())
                .or_default() += u64::from(count);
            self.emit(Event::RecordsConsumed {
                consumer: consumer.clone(),
                group: group_name.clone(),
                topic: tp.topic,
                partition: tp.partition,
                from_offset,
                count,
            });
        }
        if let Some(thread) = thread {
            // The application is a Streams thread: the records go through its tasks.
            self.streams_process_records(thread, &for_tasks);
        }
        if let Some(task) = sink {
            // The application is a Connect sink task: the records go to its system.
            let metadata = &self.consumers[id as usize].metadata;
            let records: Vec<(TopicPartition, u64, RecordId)> = for_tasks
                .iter()
                .filter_map(|&(slot, offset, rid)| {
                    Some((metadata.topic_partition(slot)?.clone(), offset, rid))
                })
                .collect();
            self.connect_sink_records(task, &records);
        }
    }

    /// `KafkaConsumer.pause` / `resume`.
    pub(crate) fn pause_partitions(&mut self, id: u32, partitions: &[TopicPartition], pause: bool) {
        let c = &mut self.consumers[id as usize];
        for tp in partitions {
            if pause {
                c.paused.insert(tp.clone());
            } else {
                c.paused.remove(tp);
            }
        }
    }
}
