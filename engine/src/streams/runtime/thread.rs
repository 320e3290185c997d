//! A stream thread's work (Kafka's `StreamThread.runOnce` and `TaskManager`): tasks created
//! when the thread's consumer is assigned their partitions and closed when they are revoked;
//! each polled record through its task; the task's effects sent by the thread's producer; a
//! commit every `commit.interval.ms`.
//!
//! A commit, as `TaskManager.commit` under at-least-once: flush every task (its caches go
//! downstream and to the changelogs), flush the producer (wait until everything sent is
//! acknowledged), then commit the consumed offsets. Offsets are therefore committed only for
//! records whose results are durable; a crash loses what was processed since, and the next owner
//! processes it again.

use std::sync::Arc;

use crate::cluster::{Cluster, Timer};
use crate::command::{ProducerSpec, TopicPartition};
use crate::event::{Event, StreamsOutput, StreamsSample};
use crate::record::{RecordId, ValueRef};
use crate::streams::task::{Effect, Input};
use crate::streams::topology::{InternalTopicKind, TaskId};
use crate::streams::value::Val;
use crate::streams::window::Window;
use crate::streams::windowed;
use crate::time::Micros;

use super::{ActiveTask, Checkpointed, TaskState, ThreadRef};

/// How often a thread waiting for its producer to be flushed looks again.
const FLUSH_CHECK_US: Micros = crate::time::ms(5);

impl Cluster {
    /// The thread's consumer handed it records (`StreamThread.pollPhase` → `addRecordsToTasks`,
    /// then `processPhase`): each goes through the task of its partition, in order.
    pub(crate) fn streams_process_records(
        &mut self,
        r: ThreadRef,
        records: &[(u32, u64, RecordId)],
    ) {
        let topology = Arc::clone(&self.streams[r.app as usize].topology);
        let app_name = self.streams[r.app as usize].name.clone();
        let mut effects = std::mem::take(&mut self.streams_thread_mut(r).effects);
        let mut i = 0;
        while i < records.len() {
            // A run of consecutive records of one partition: one task, one event.
            let slot = records[i].0;
            let run_end = records[i..]
                .iter()
                .position(|(s, ..)| *s != slot)
                .map_or(records.len(), |n| i + n);
            let tp = self.partitions[slot as usize].tp.clone();
            let Some(sub) = topology.subtopology_of_topic(&tp.topic) else {
                i = run_end;
                continue;
            };
            let task_id = TaskId {
                subtopology: sub.id,
                partition: tp.partition,
            };
            let mut sample = None;
            let mut processed = 0u32;
            // The run's records as the task reads them, then the task looked up once for all.
            let inputs: Vec<Input<'_>> = records[i..run_end]
                .iter()
                .map(|&(_, offset, rid)| self.streams_input(&tp, offset, rid))
                .collect();
            let thread = self.streams_thread_mut(r);
            // Paused partitions are not polled; a record of a task not running here is a bug
            // upstream, and is not processed.
            if let Some(active) = thread
                .tasks
                .get_mut(&task_id)
                .filter(|a| a.state == TaskState::Running)
            {
                // The run's source found once, not by name per record.
                let source = active.task.source(&tp.topic);
                for input in inputs {
                    let offset = input.offset;
                    // The run's event shows its first record: only that one is written out as
                    // text.
                    let shown = sample
                        .is_none()
                        .then(|| (input.key.to_record(), input.value.to_record()));
                    let before = effects.len();
                    if let Some(source) = source {
                        active.task.process_from(
                            &mut thread.cache,
                            &thread.words,
                            source,
                            input,
                            &mut effects,
                        );
                    }
                    thread.commit_needed = true;
                    processed += 1;
                    if let Some((key, value)) = shown {
                        sample = Some(StreamsSample {
                            offset,
                            key,
                            value,
                            outputs: outputs(&topology, &effects[before..]),
                        });
                    }
                }
            }
            if processed > 0 {
                let run = &records[i..i + processed as usize];
                self.count_processed(r.app, &tp, run);
                if let Some(active) = self.streams_thread_mut(r).tasks.get_mut(&task_id) {
                    let reapplied = active.task.take_reapplied();
                    self.streams[r.app as usize].counters.counted_twice += reapplied;
                }
                let thread = self.streams_thread(r).name.clone();
                self.emit(Event::StreamsProcessed {
                    app: app_name.clone(),
                    thread,
                    task: task_id.to_string(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    from_offset: records[i].1,
                    count: processed,
                    sample,
                });
            }
            self.apply_effects(r, task_id, &mut effects, Some(slot));
            i = run_end;
        }
        self.streams_thread_mut(r).effects = effects;
        self.schedule_streams_tick(r);
    }

    /// A record as a task reads it: key and value through the app's serde, CreateTime.
    fn streams_input<'a>(&self, tp: &'a TopicPartition, offset: u64, rid: RecordId) -> Input<'a> {
        let data = self.store.get(rid);
        let key = self.key_val(data);
        let value = match (data.key, data.value) {
            // A repartitioned word is its own key (`groupBy: value`): read once.
            (Some(k), crate::record::ValueRef::Text(v)) if k == v => key.clone(),
            _ => self.value_val(rid),
        };
        Input {
            topic: &tp.topic,
            partition: tp.partition,
            offset,
            timestamp: data.timestamp_us,
            key,
            value,
            old_value: None,
            now: self.now,
        }
    }

    /// Counts a run of records of one partition (offsets increasing) as processed, and those
    /// below what the app had processed already as re-processed: one map lookup per run.
    fn count_processed(&mut self, a: u32, tp: &TopicPartition, run: &[(u32, u64, RecordId)]) {
        let Some(&(_, last, _)) = run.last() else {
            return;
        };
        let app = &mut self.streams[a as usize];
        app.counters.processed += run.len() as u64;
        let upto = match app.processed_upto.get_mut(tp) {
            Some(upto) => upto,
            None => app.processed_upto.entry(tp.clone()).or_default(),
        };
        let again = run
            .iter()
            .take_while(|(_, offset, _)| *offset < *upto)
            .count();
        app.counters.reprocessed += again as u64;
        *upto = (*upto).max(last + 1);
        if again < run.len() && self.is_repartition_topic(a, tp) {
            self.check_repartition_duplicates(a, run[0].0, &run[again..]);
        }
    }

    /// Carries out what a task's processing or flush caused: records to sinks and repartition
    /// topics (partitioned by key, as `RecordCollector.send` with the default partitioner),
    /// changelog writes (to the task's own partition), skipped records counted. `input` is the
    /// partition (slot) the processed records came from; `None` for a flush. Leaves `effects`
    /// empty, its capacity kept for the next batch.
    fn apply_effects(
        &mut self,
        r: ThreadRef,
        task: TaskId,
        effects: &mut Vec<Effect>,
        input: Option<u32>,
    ) {
        let mut touched = Vec::new();
        // The index of a repartition record among those its input record's processing sent.
        let mut sent_from: Option<(u64, u32)> = None;
        // The thread's producer for the last topic written: a task's sink and changelog topics
        // are the same `Arc`s record after record, so most records skip the lookup by name.
        let mut last_producer: Option<(Arc<str>, u32)> = None;
        // Read in place and dropped together at the end: an effect is too large to be moved
        // out of the vector cheaply, and sending needs only references to its parts.
        for effect in effects.iter() {
            match effect {
                Effect::Produce {
                    node,
                    topic,
                    key,
                    value,
                    timestamp,
                    window,
                    input: offset,
                    ..
                } => {
                    let Some(p) = self.thread_producer_cached(r, topic, &mut last_producer) else {
                        continue;
                    };
                    let seq =
                        self.send_streams_record(p, topic, None, key, *window, value, *timestamp);
                    let prov = &mut self.streams[r.app as usize].provenance;
                    if prov.repartitions(*node) {
                        let from = input.zip(*offset).map(|(slot, offset)| {
                            let index = match sent_from {
                                Some((o, i)) if o == offset => i + 1,
                                _ => 0,
                            };
                            sent_from = Some((offset, index));
                            (slot, super::provenance::Sent { offset, index })
                        });
                        prov.note_send(p, seq, from);
                    }
                    if !touched.contains(&p) {
                        touched.push(p);
                    }
                }
                Effect::Changelog {
                    topic,
                    partition,
                    key,
                    value,
                    timestamp,
                    window,
                    written_at,
                    ..
                } => {
                    let Some(p) = self.thread_producer_cached(r, topic, &mut last_producer) else {
                        continue;
                    };
                    let seq = self.send_streams_record(
                        p,
                        topic,
                        Some(*partition),
                        key,
                        *window,
                        value,
                        *timestamp,
                    );
                    self.streams[r.app as usize].provenance.note_changelog(
                        task,
                        p,
                        seq,
                        written_at.clone(),
                    );
                    if !touched.contains(&p) {
                        touched.push(p);
                    }
                }
                Effect::Skipped {
                    node, reason, late, ..
                } => {
                    let app = &mut self.streams[r.app as usize];
                    app.counters.dropped += 1;
                    app.counters.dropped_late += u64::from(*late);
                    let event = Event::StreamsRecordSkipped {
                        app: app.name.clone(),
                        task: task.to_string(),
                        node: app.topology.nodes[*node].name.clone(),
                        reason: reason.clone(),
                    };
                    self.emit(event);
                }
                Effect::Peek { .. } => {}
            }
        }
        effects.clear();
        for p in touched {
            self.producer_tick(p);
        }
    }

    /// [`Cluster::thread_producer`], remembering the last topic's producer in `last`.
    /// Inlined: called for every record a task sends, and found in `last` almost always.
    #[inline]
    fn thread_producer_cached(
        &mut self,
        r: ThreadRef,
        topic: &Arc<str>,
        last: &mut Option<(Arc<str>, u32)>,
    ) -> Option<u32> {
        if let Some((t, p)) = last
            && Arc::ptr_eq(t, topic)
        {
            return Some(*p);
        }
        let p = self.thread_producer(r, topic)?;
        *last = Some((Arc::clone(topic), p));
        Some(p)
    }

    /// Hands one record to producer `p` (the thread's producer for `topic`); returns the
    /// record's sequence among the producer's records (`RecordData::producer_seq`). A
    /// windowed key (`Windowed<K>`) is written with its window, `[key@start/end]`, and
    /// partitioned by the key alone (`WindowedStreamPartitioner`; see `streams::windowed`).
    #[allow(clippy::too_many_arguments)]
    fn send_streams_record(
        &mut self,
        p: u32,
        topic: &str,
        partition: Option<u32>,
        key: &Val,
        window: Option<Window>,
        value: &Val,
        timestamp: Micros,
    ) -> u32 {
        let (key_text, partition) = match (window, key.record_text()) {
            (Some(w), Some(base)) => {
                let partition = partition.or_else(|| self.partition_for_key(topic, &base));
                (Some(windowed::key_text(key, w).into()), partition)
            }
            (_, k) => (k, partition),
        };
        // Text written as it is may be the very string the record store keeps (a word of the
        // thread's `Words`, a text read from a topic): `intern_shared` finds it by address.
        let key_sym = match (window, key) {
            (None, Val::Text(text)) => Some(self.store.intern_shared(text)),
            _ => key_text.as_deref().map(|k| self.store.intern(k)),
        };
        let value = match value.record_text() {
            // A repartitioned word is its own key (groupBy: value): one lookup for both.
            Some(v) => ValueRef::Text(match (key_text.as_deref().zip(key_sym), value) {
                // The same string (the word itself) needs no byte comparison.
                (Some((k, sym)), _) if std::ptr::eq(k, v.as_ref()) || k == v.as_ref() => sym,
                (_, Val::Text(text)) => self.store.intern_shared(text),
                _ => self.store.intern(&v),
            }),
            None => ValueRef::Null,
        };
        let key = key_sym;
        // The record keeps its input's timestamp (Kafka's default: the processed record's).
        let seq = self.producers[p as usize].seq;
        self.create_record(p, self.now, timestamp, key, value, partition);
        seq
    }

    /// The thread's producer for a topic (one engine producer per topic, see ARCHITECTURE.md:
    /// Kafka's thread has one producer for all; per partition, order and idempotence are the
    /// same). acks=all and idempotence, the producer defaults since Kafka 3.0.
    fn thread_producer(&mut self, r: ThreadRef, topic: &str) -> Option<u32> {
        if let Some(&p) = self.streams_thread(r).producers.get(topic) {
            return Some(p);
        }
        let display = format!("{}-producer", self.streams_thread(r).name);
        let spec = ProducerSpec {
            name: format!("{display}\u{0}{topic}"),
            topic: topic.to_string(),
            ..ProducerSpec::default()
        };
        let p = self.new_producer(spec.name.clone(), display, &spec).ok()?;
        self.streams_thread_mut(r)
            .producers
            .insert(topic.to_string(), p);
        Some(p)
    }

    /// Flushes every running task's caches (downstream, stores, changelogs): `StreamTask.flush`.
    pub(crate) fn flush_thread_tasks(&mut self, r: ThreadRef) {
        let ids: Vec<TaskId> = self.streams_thread(r).tasks.keys().copied().collect();
        for id in ids {
            self.flush_task(r, id);
        }
    }

    fn flush_task(&mut self, r: ThreadRef, id: TaskId) {
        let mut effects = Vec::new();
        let thread = self.streams_thread_mut(r);
        let Some(active) = thread.tasks.get_mut(&id) else {
            return;
        };
        if active.state != TaskState::Running {
            return;
        }
        active.task.commit(&mut thread.cache, &mut effects);
        self.apply_effects(r, id, &mut effects, None);
    }

    /// The consumed offsets of the thread's running tasks' partitions.
    fn task_offsets(&self, r: ThreadRef, tasks: Option<&[TaskId]>) -> Vec<(TopicPartition, u64)> {
        let thread = self.streams_thread(r);
        let c = &self.consumers[thread.consumer as usize];
        thread
            .tasks
            .iter()
            .filter(|(id, t)| {
                t.state == TaskState::Running && tasks.is_none_or(|only| only.contains(id))
            })
            .flat_map(|(_, t)| t.partitions.iter())
            .filter_map(|tp| {
                c.owned
                    .get(tp)
                    .and_then(|p| p.position)
                    .map(|o| (tp.clone(), o))
            })
            .collect()
    }

    /// `TaskManager.commit`: flush the tasks, then wait for the producer before committing.
    fn begin_commit(&mut self, r: ThreadRef) {
        self.flush_thread_tasks(r);
        let offsets = self.task_offsets(r, None);
        let now = self.now;
        let interval = self.streams[r.app as usize]
            .config
            .repartition_purge_interval;
        let thread = self.streams_thread_mut(r);
        thread.last_commit_us = now;
        thread.commit_needed = false;
        // `(now - lastPurgeMs) > purgeTimeMs`: this commit purges once it succeeds.
        thread.purge_planned = thread.last_purge_us.is_none_or(|t| now - t > interval);
        if !offsets.is_empty() {
            thread.commit_waiting = Some(offsets);
        }
        self.try_finish_commit(r);
    }

    /// Whether every record the thread's producer was handed is acknowledged (or failed).
    fn producer_flushed(&self, r: ThreadRef) -> bool {
        self.streams_thread(r).producers.values().all(|&p| {
            let p = &self.producers[p as usize];
            p.buffered == 0 && p.in_flight.is_empty()
        })
    }

    /// The thread is blocked in a commit, waiting for its producer (`TaskManager.commit`): its
    /// consumer is not polled, so it does not (re)join the group until the commit is sent.
    pub(crate) fn streams_commit_pending(&self, r: ThreadRef) -> bool {
        let thread = self.streams_thread(r);
        thread.alive && thread.commit_waiting.is_some()
    }

    fn try_finish_commit(&mut self, r: ThreadRef) {
        if self.streams_thread(r).commit_waiting.is_none() || !self.producer_flushed(r) {
            return;
        }
        let consumer = self.streams_thread(r).consumer;
        if self.consumer_awaits_coordinator(consumer) {
            // `commitSync` first waits for a coordinator (`ensureCoordinatorReady`), the thread
            // blocked: the offsets keep waiting and go, with the same generation, to the
            // coordinator the consumer finds next. Dropped here, a revoked task's offsets
            // were lost with its task, and its next owner processed its records again.
            return;
        }
        let offsets = self
            .streams_thread_mut(r)
            .commit_waiting
            .take()
            .expect("checked");
        if self.consumer_commit_offsets(consumer, offsets.clone()) {
            self.prune_committed_provenance(r);
            self.plan_purge(r, &offsets);
            let partitions = offsets.len() as u32;
            self.streams_thread_mut(r).commit_sent = Some(offsets);
            let app = &mut self.streams[r.app as usize];
            app.counters.commits += 1;
            let event = Event::StreamsCommitted {
                app: app.name.clone(),
                thread: self.streams_thread(r).name.clone(),
                partitions,
            };
            self.emit(event);
        } else {
            // Not sent (the member is rebalancing): Streams takes
            // RebalanceInProgressException as non-fatal; the offsets go with the next commit.
            self.streams_thread_mut(r).commit_needed = true;
        }
    }

    /// The thread's OffsetCommit failed or went unanswered. If its coordinator moved or died
    /// (a retriable error), `commitSync` looks the coordinator up again and sends the same
    /// offsets: they wait again, with any taken since, and the thread stays blocked. Any other
    /// error (the member left the generation) drops them: the thread commits again at its
    /// next commit interval, or its processed records would stay uncommitted until it
    /// processes more.
    pub(crate) fn streams_commit_failed(&mut self, r: ThreadRef, retriable: bool) {
        let sent = self.streams_thread_mut(r).commit_sent.take();
        if !self.streams_thread(r).alive {
            return;
        }
        let thread = self.streams_thread_mut(r);
        match sent {
            Some(sent) if retriable => {
                let waiting = thread.commit_waiting.get_or_insert_with(Vec::new);
                for (tp, offset) in sent {
                    // A later commit's offset for the partition, if any, is the newer one.
                    if !waiting.iter().any(|(t, _)| *t == tp) {
                        waiting.push((tp, offset));
                    }
                }
            }
            _ => thread.commit_needed = true,
        }
        // No purge after a failed commit (Kafka's `commitSync` throws before
        // `maybePurgeCommittedRecords`): the next successful one purges.
        thread.purge_after_commit = None;
        self.schedule_streams_tick(r);
    }

    /// `StreamThread.maybeCommit`: after a commit, if more than `repartition.purge.interval.ms`
    /// passed since the last purge, `TaskManager.maybePurgeCommittedRecords` deletes from each
    /// repartition partition of the running tasks the records before the committed offset
    /// (`StreamTask.purgeableOffsets`: consumed offset + 1, what the commit just committed).
    /// Kafka's `commitSync` has returned by then; the engine's commit is asynchronous, so the
    /// purge waits for the OffsetCommit's success (`streams_commit_succeeded`): a record is
    /// never deleted before its offset is committed, so a task that moves never finds its
    /// committed position below the log start. Where Kafka purges the consumed offsets even
    /// when a rebalance kept the commit from being sent, the engine leaves it to the next
    /// commit. Only a commit of `commit.interval.ms` purges (not one on revocation), as only
    /// `maybeCommit` calls it.
    fn plan_purge(&mut self, r: ThreadRef, offsets: &[(TopicPartition, u64)]) {
        if !std::mem::take(&mut self.streams_thread_mut(r).purge_planned) {
            return;
        }
        let topology = &self.streams[r.app as usize].topology;
        let purgeable: Vec<(TopicPartition, u64)> = offsets
            .iter()
            .filter(|(tp, _)| {
                topology
                    .internal_topics
                    .iter()
                    .any(|t| t.name == tp.topic && t.kind == InternalTopicKind::Repartition)
            })
            .cloned()
            .collect();
        let now = self.now;
        self.streams_thread_mut(r).purge_after_commit = Some((now, purgeable));
    }

    /// The thread's OffsetCommit succeeded: the purge it planned is sent, one DeleteRecords
    /// per partition leader the thread's metadata names (`KafkaAdminClient.deleteRecords`).
    pub(crate) fn streams_commit_succeeded(&mut self, r: ThreadRef) {
        let thread = self.streams_thread_mut(r);
        thread.commit_sent = None;
        let Some((at, offsets)) = thread.purge_after_commit.take() else {
            return;
        };
        thread.last_purge_us = Some(at);
        let consumer = self.streams_thread(r).consumer;
        let mut per_leader: std::collections::BTreeMap<u32, Vec<(u32, u64)>> = Default::default();
        for (tp, offset) in offsets {
            let (Some(leader), Some(slot)) = (
                self.consumers[consumer as usize].metadata.leader(&tp),
                self.slot_of(&tp),
            ) else {
                continue;
            };
            per_leader.entry(leader).or_default().push((slot, offset));
        }
        for (broker, parts) in per_leader {
            self.send(crate::net::Message::DeleteRecords {
                consumer,
                broker,
                parts,
            });
        }
    }

    /// The thread's own timer: restore steps, the commit interval, a commit waiting for its
    /// producer.
    pub(crate) fn streams_tick(&mut self, r: ThreadRef) {
        let now = self.now;
        let thread = self.streams_thread_mut(r);
        if thread.tick_at == Some(now) {
            thread.tick_at = None;
        }
        if !thread.alive {
            return;
        }
        self.restore_step(r);
        self.standby_step(r);
        let thread = self.streams_thread(r);
        let interval = self.streams[r.app as usize].config.commit_interval;
        if thread.commit_waiting.is_some() {
            self.try_finish_commit(r);
            if self.streams_thread(r).commit_waiting.is_none() {
                // The consumer may have a rejoin waiting for this commit.
                let consumer = self.streams_thread(r).consumer;
                self.consumer_poll(consumer);
            }
        } else if thread.commit_needed && now >= thread.last_commit_us + interval {
            self.begin_commit(r);
        }
        self.schedule_streams_tick(r);
    }

    pub(crate) fn schedule_streams_tick(&mut self, r: ThreadRef) {
        let now = self.now;
        let thread = self.streams_thread(r);
        if !thread.alive {
            return;
        }
        let interval = self.streams[r.app as usize].config.commit_interval;
        let mut next: Option<Micros> = None;
        let mut consider = |t: Micros| next = Some(next.map_or(t, |n: Micros| n.min(t)));
        if thread.commit_waiting.is_some() {
            consider(now + FLUSH_CHECK_US);
        } else if thread.commit_needed {
            consider(thread.last_commit_us + interval);
        }
        if let Some(at) = self.next_restore_at(r) {
            consider(at);
        }
        if let Some(at) = self.next_standby_at(r) {
            consider(at);
        }
        let Some(at) = next else {
            return;
        };
        let at = at.max(now + 1);
        if thread.tick_at.is_none_or(|t| at < t || t <= now) {
            self.streams_thread_mut(r).tick_at = Some(at);
            self.schedule(
                at,
                Timer::StreamsTick {
                    app: r.app,
                    instance: r.instance,
                    thread: r.thread,
                },
            );
        }
    }

    /// The consumer's assignment changed (`onPartitionsAssigned` → `TaskManager.handleAssignment`):
    /// a task for each newly owned task id, its state from the state directory if the instance
    /// kept it, restoring first if it has changelogged stores.
    pub(crate) fn streams_partitions_assigned(&mut self, r: ThreadRef) {
        let consumer = self.streams_thread(r).consumer;
        let topology = Arc::clone(&self.streams[r.app as usize].topology);
        let mut wanted: std::collections::BTreeMap<TaskId, Vec<TopicPartition>> =
            Default::default();
        for tp in self.consumers[consumer as usize].owned.keys() {
            if let Some(sub) = topology.subtopology_of_topic(&tp.topic) {
                wanted
                    .entry(TaskId {
                        subtopology: sub.id,
                        partition: tp.partition,
                    })
                    .or_default()
                    .push(tp.clone());
            }
        }
        let app_name = self.streams[r.app as usize].name.clone();
        let instance = self.streams[r.app as usize].instances[r.instance as usize]
            .name
            .clone();
        for (id, partitions) in wanted {
            if self.streams_thread(r).tasks.contains_key(&id) {
                continue;
            }
            // A standby of the task on this instance becomes the active task, from where it
            // had read its changelogs to (`TaskManager` recycling a StandbyTask); else the state
            // directory's stores, if the instance kept them.
            let kept = match self.take_standby(r, id) {
                Some(k) => Some(k),
                None => self.streams[r.app as usize].instances[r.instance as usize]
                    .state_dir
                    .remove(&id),
            };
            // The state directory's stores are opened as they were left.
            let Some((task, checkpoint)) = self.open_task(r, &topology, id, kept) else {
                continue; // checked when the app was declared
            };
            let task = Box::new(task);
            let restores = self.restores_for(&topology, id, &checkpoint);
            let restoring = restores.iter().any(|rs| rs.position < rs.end);
            let state = if restoring {
                TaskState::Restoring
            } else {
                TaskState::Running
            };
            if restoring {
                self.pause_partitions(consumer, &partitions, true);
            }
            self.streams_thread_mut(r).tasks.insert(
                id,
                ActiveTask {
                    task,
                    state,
                    partitions,
                    restores,
                },
            );
            let thread = self.streams_thread(r).name.clone();
            self.emit(Event::StreamsTaskAssigned {
                app: app_name.clone(),
                instance: instance.clone(),
                thread,
                task: id.to_string(),
                restoring,
            });
        }
        self.schedule_streams_tick(r);
    }

    /// Partitions leave the thread in a rebalance (`onPartitionsRevoked` →
    /// `TaskManager.handleRevocation`): their tasks are committed (flush, then the offsets) and
    /// closed cleanly; their stores stay in the state directory.
    pub(crate) fn streams_partitions_revoked(
        &mut self,
        r: ThreadRef,
        partitions: &[TopicPartition],
    ) {
        let ids: Vec<TaskId> = self
            .streams_thread(r)
            .tasks
            .iter()
            .filter(|(_, t)| t.partitions.iter().any(|tp| partitions.contains(tp)))
            .map(|(id, _)| *id)
            .collect();
        if ids.is_empty() {
            return;
        }
        for &id in &ids {
            self.flush_task(r, id);
        }
        let consumer = self.streams_thread(r).consumer;
        let offsets = self.task_offsets(r, Some(&ids));
        if !offsets.is_empty()
            && self.consumers[consumer as usize].state
                == crate::group::consumer::ClientState::Running
        {
            // `StreamTask.prepareCommit` flushes the producer before the offsets are committed
            // (`RecordCollector.flush` blocks inside `onPartitionsRevoked`): the commit waits
            // with the thread's other offsets, and the consumer does not rejoin meanwhile
            // (`streams_commit_pending`), so the next owner restores a complete changelog. A
            // commit sent before the records were acknowledged let the next owner restore
            // without them and resume after them: their counts were lost.
            let thread = self.streams_thread_mut(r);
            let mut waiting = thread.commit_waiting.take().unwrap_or_default();
            waiting.retain(|(tp, _)| !offsets.iter().any(|(t, _)| t == tp));
            waiting.extend(offsets);
            thread.commit_waiting = Some(waiting);
            self.try_finish_commit(r);
        }
        for id in ids {
            self.close_task(r, id, false, "revoked");
        }
    }

    /// The member was removed from the group (`onPartitionsLost`): its tasks are closed dirty,
    /// without a commit; their uncommitted work will be done again by the next owner.
    pub(crate) fn streams_partitions_lost(&mut self, r: ThreadRef) {
        // A waiting commit was for tasks no longer this member's (Kafka: CommitFailedException).
        let thread = self.streams_thread_mut(r);
        thread.commit_waiting = None;
        thread.commit_sent = None;
        let ids: Vec<TaskId> = self.streams_thread(r).tasks.keys().copied().collect();
        for id in ids {
            self.close_task(r, id, true, "lost");
        }
    }

    fn close_task(&mut self, r: ThreadRef, id: TaskId, dirty: bool, reason: &str) {
        if !dirty {
            // closeClean: a last flush, so the stores kept are complete.
            self.flush_task(r, id);
        }
        let Some(active) = self.streams_thread_mut(r).tasks.remove(&id) else {
            return;
        };
        let consumer = self.streams_thread(r).consumer;
        self.pause_partitions(consumer, &active.partitions, false);
        // Only persistent stores stay in the state directory, with a checkpoint: a task opened
        // here again restores a suppression buffer from its changelog's start.
        let stores: std::collections::BTreeMap<_, _> = active
            .restores
            .iter()
            .filter(|rs| active.task.persistent(&rs.store))
            .filter_map(|rs| {
                active
                    .task
                    .store(&rs.store)
                    .map(|kv| (rs.store.clone(), kv.clone()))
            })
            .collect();
        if dirty {
            let thread = self.streams_thread_mut(r);
            active.task.close_dirty(&mut thread.cache);
        } else {
            let mut effects = Vec::new();
            let thread = self.streams_thread_mut(r);
            let included = active.task.included().clone();
            active.task.close(&mut thread.cache, &mut effects);
            self.apply_effects(r, id, &mut effects, None);
            // A clean close writes the checkpoint: the changelog offsets the store holds.
            let checkpoint = active
                .restores
                .iter()
                .filter(|rs| stores.contains_key(&rs.store))
                .map(|rs| {
                    let end = self.high_watermark(&rs.changelog).unwrap_or(0);
                    (rs.changelog.clone(), end.max(rs.position))
                })
                .collect();
            let checkpoint = if active.state == TaskState::Running {
                checkpoint
            } else {
                // Closed while restoring: the checkpoint is where restoring got to.
                active
                    .restores
                    .iter()
                    .filter(|rs| stores.contains_key(&rs.store))
                    .map(|rs| (rs.changelog.clone(), rs.position))
                    .collect()
            };
            self.streams[r.app as usize].instances[r.instance as usize]
                .state_dir
                .insert(
                    id,
                    Checkpointed {
                        stores,
                        checkpoint,
                        included,
                    },
                );
        }
        let app = self.streams[r.app as usize].name.clone();
        let thread = self.streams_thread(r).name.clone();
        self.emit(Event::StreamsTaskRevoked {
            app,
            thread,
            task: id.to_string(),
            reason: reason.to_string(),
        });
    }

    /// The thread ends (stop or crash). A crash loses its cache and the records its producer
    /// had not sent yet; a clean stop has flushed and committed already.
    pub(crate) fn close_thread(&mut self, r: ThreadRef, crashed: bool) {
        let ids: Vec<TaskId> = self.streams_thread(r).tasks.keys().copied().collect();
        for id in ids {
            self.close_task(r, id, crashed, if crashed { "crashed" } else { "closed" });
        }
        self.close_standbys(r, crashed);
        let thread = self.streams_thread_mut(r);
        thread.alive = false;
        thread.commit_waiting = None;
        let producers: Vec<u32> = thread.producers.values().copied().collect();
        for p in producers {
            if crashed {
                self.drop_unsent(p);
            }
            self.producers[p as usize].running = false;
        }
    }
}

/// The records a task's processing produced, for the page's sample.
fn outputs(
    topology: &crate::streams::topology::Topology,
    effects: &[Effect],
) -> Vec<StreamsOutput> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Produce {
                node,
                topic,
                key,
                value,
                window,
                ..
            } => Some(StreamsOutput {
                node: topology.nodes[*node].name.clone(),
                topic: topic.to_string(),
                key: match window {
                    Some(w) => Some(windowed::key_text(key, *w)),
                    None => key.to_record(),
                },
                value: value.to_record(),
            }),
            _ => None,
        })
        .take(8)
        .collect()
}
