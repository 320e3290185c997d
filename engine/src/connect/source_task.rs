//! A source task as `WorkerSourceTask` runs it: the task polls its system (a JDBC table every
//! `poll.interval.ms`, a file when it has new lines), each record goes to the task's producer
//! (`connector-producer-NAME-ID`), and every `offset.flush.interval.ms` the worker flushes the
//! producer and then writes the offsets of everything it had sent (`SourceTaskOffsetCommitter`
//! → `commitOffsets`: `OffsetStorageWriter.beginFlush`, `producer.flush`, `doFlush`). A crash
//! loses what was read since the last flush: the next start reads it again and produces it again
//! (at-least-once), counted as duplicates. The connector's single message transforms run on each
//! polled record before it is sent (`AbstractWorkerSourceTask.sendRecords`); a record they drop
//! still moves the source offset (`recordDropped`).

use std::collections::BTreeMap;

use crate::cluster::{Cluster, Timer};
use crate::command::ProducerSpec;
use crate::connect::connector::{Stop, Work};
use crate::connect::storage::{offset_key, source_offset, source_partition};
use crate::connect::transform::{ConnectRecord, Outcome};
use crate::connect::{OFFSET_FLUSH_INTERVAL_US, OFFSET_FLUSH_TIMEOUT_US, TaskRef};
use crate::record::ValueRef;
use crate::time::{Micros, ms};

/// How often a flush waiting for its producer looks again.
const FLUSH_CHECK_US: Micros = ms(10);

#[derive(Debug, Clone)]
pub(crate) struct SourceTask {
    /// Per system (index into `Connect::systems`): the offset of the last record handed to the
    /// producer (where the next poll reads from).
    positions: BTreeMap<u32, u64>,
    /// What the last flush wrote.
    flushed: BTreeMap<u32, u64>,
    /// Per system, the first and last offset this run produced a second time (records at or
    /// below the connector's furthest produced offset: read again from the flushed offset).
    resent: BTreeMap<u32, (u64, u64)>,
    /// One engine producer per topic written (as the Streams runtime does).
    producers: BTreeMap<String, u32>,
    /// The producers' failed records when the task started.
    failed_at_start: u64,
    next_poll_us: Micros,
    next_flush_us: Micros,
    /// A flush waiting for the producers to be flushed: the offsets it will write, and when it
    /// gives up (`offset.flush.timeout.ms`).
    flushing: Option<(BTreeMap<u32, u64>, Micros)>,
    paused: bool,
}

impl Cluster {
    /// `Worker.startTask` for a source: offsets read from the worker's store, producers made,
    /// the first poll at once.
    pub(crate) fn start_source_task(&mut self, r: TaskRef) {
        let conn = &self.connect.connectors[r.connector as usize];
        let task = &conn.tasks[r.task as usize];
        let store = self.offsets_store(r);
        let mut positions = BTreeMap::new();
        let mut topics = Vec::new();
        for s in &task.systems {
            let i = self.connect.system_index(s).expect("validated at create");
            let kind = self.connect.systems[i as usize].kind;
            let key = offset_key(&conn.name, &source_partition(kind, s));
            positions.insert(i, store.offset(&key).unwrap_or(0));
            topics.push(conn.config.source_topic(s));
        }
        let display = format!("connector-producer-{}-{}", conn.name, task.id);
        let incarnation = task.incarnation;
        let paused = task.state == crate::connect::State::Paused;
        let mut producers = BTreeMap::new();
        for topic in topics {
            let spec = ProducerSpec {
                // One engine producer per process and topic: a restarted task has a new one.
                name: format!("{display}\u{0}{topic}\u{0}{incarnation}"),
                topic: topic.clone(),
                ..ProducerSpec::default()
            };
            if let Ok(p) = self.new_producer(spec.name.clone(), display.clone(), &spec) {
                producers.insert(topic, p);
            }
        }
        let failed_at_start = producers
            .values()
            .map(|&p| self.producers[p as usize].counts.failed)
            .sum();
        let now = self.now;
        self.connect_task_mut(r).work = Work::Source(Box::new(SourceTask {
            flushed: positions.clone(),
            positions,
            resent: BTreeMap::new(),
            producers,
            failed_at_start,
            next_poll_us: now,
            next_flush_us: now + OFFSET_FLUSH_INTERVAL_US,
            flushing: None,
            paused,
        }));
        self.schedule_connect_tick(r, now);
    }

    /// Where a running source task has read each of its systems to (by system index): the
    /// offset of the last record it handed to its producer, held in the worker's memory until a
    /// flush writes it. `None` while the task does not run.
    pub(crate) fn source_positions(&self, r: TaskRef) -> Option<&BTreeMap<u32, u64>> {
        self.source(r).map(|s| &s.positions)
    }

    /// The first and last offset of system `system` that the running task produced a second
    /// time in this run, if it did.
    pub(crate) fn source_resent(&self, r: TaskRef, system: u32) -> Option<(u64, u64)> {
        self.source(r)?.resent.get(&system).copied()
    }

    /// When the running task's next offset flush is due (`SourceTaskOffsetCommitter` schedules
    /// one every `offset.flush.interval.ms` from the task's start).
    pub(crate) fn source_next_flush_us(&self, r: TaskRef) -> Option<Micros> {
        self.source(r).map(|s| s.next_flush_us)
    }

    fn source(&self, r: TaskRef) -> Option<&SourceTask> {
        match &self.connect_task(r).work {
            Work::Source(s) => Some(s),
            _ => None,
        }
    }

    fn source_mut(&mut self, r: TaskRef) -> Option<&mut SourceTask> {
        match &mut self.connect_task_mut(r).work {
            Work::Source(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn schedule_connect_tick(&mut self, r: TaskRef, at: Micros) {
        let incarnation = self.connect_task(r).incarnation;
        self.schedule(
            at,
            Timer::ConnectTask {
                connector: r.connector,
                task: r.task,
                incarnation,
            },
        );
    }

    /// A task's own loop; stale timers (the task stopped or started again) do nothing.
    pub(crate) fn connect_task_tick(&mut self, r: TaskRef, incarnation: u32) {
        let Some(conn) = self.connect.connectors.get(r.connector as usize) else {
            return;
        };
        match conn.tasks.get(r.task as usize) {
            Some(t) if t.incarnation == incarnation => {}
            _ => return,
        }
        if matches!(
            conn.tasks[r.task as usize].work,
            crate::connect::connector::Work::AwaitingStop { .. }
        ) {
            // `task.shutdown.graceful.timeout.ms` passed with the previous run still stopping.
            return self.task_stopped(r);
        }
        if conn.config.class.is_source() {
            self.source_tick(r);
        } else {
            self.sink_tick(r);
        }
    }

    fn source_tick(&mut self, r: TaskRef) {
        let now = self.now;
        let Some(s) = self.source(r) else { return };
        let failed: u64 = s
            .producers
            .values()
            .map(|&p| self.producers[p as usize].counts.failed)
            .sum();
        if failed > s.failed_at_start {
            // WorkerSourceTask: a record the producer could not send fails the task
            // (errors.tolerance=none).
            return self.fail_task(
                r,
                "org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback"
                    .to_string(),
            );
        }
        if s.flushing.is_none() && now >= s.next_flush_us {
            let s = self.source_mut(r).expect("a source");
            s.next_flush_us = now + OFFSET_FLUSH_INTERVAL_US;
            // `OffsetStorageWriter.beginFlush`: nothing new since the last flush, nothing to do.
            if s.positions != s.flushed {
                s.flushing = Some((s.positions.clone(), now + OFFSET_FLUSH_TIMEOUT_US));
            }
        }
        self.try_finish_flush(r);
        let s = self.source(r).expect("a source");
        if !s.paused
            && now >= s.next_poll_us
            && let Some(trace) = self.source_poll(r)
        {
            // A transform failed with errors.tolerance=none: the exception leaves `execute`.
            return self.fail_task(r, trace);
        }
        let s = self.source(r).expect("a source");
        let mut next = s.next_flush_us;
        if !s.paused {
            next = next.min(s.next_poll_us);
        }
        if s.flushing.is_some() {
            next = next.min(now + FLUSH_CHECK_US);
        }
        self.schedule_connect_tick(r, next);
    }

    /// Whether every record the task's producers were handed is acknowledged (or failed).
    fn source_producers_flushed(&self, s: &SourceTask) -> bool {
        s.producers.values().all(|&p| {
            let p = &self.producers[p as usize];
            p.buffered == 0 && p.in_flight.is_empty()
        })
    }

    /// `producer.flush()` returned: the offsets are written to the store (the standalone
    /// worker's file). Past `offset.flush.timeout.ms` the flush is abandoned ("Timed out waiting
    /// for producer to flush outstanding messages"): nothing is written this round.
    fn try_finish_flush(&mut self, r: TaskRef) {
        let now = self.now;
        let Some(s) = self.source(r) else { return };
        let Some((offsets, deadline)) = s.flushing.clone() else {
            return;
        };
        if !self.source_producers_flushed(s) {
            if now >= deadline {
                self.source_mut(r).expect("a source").flushing = None;
            }
            return;
        }
        self.write_source_offsets(r, &offsets);
        let s = self.source_mut(r).expect("a source");
        s.flushing = None;
        s.flushed = offsets;
    }

    /// Writes a task's offsets to its worker's offsets store, with Kafka's keys and values.
    fn write_source_offsets(&mut self, r: TaskRef, offsets: &BTreeMap<u32, u64>) {
        let conn = &self.connect.connectors[r.connector as usize];
        let entries: Vec<(String, String)> = offsets
            .iter()
            .map(|(&i, &o)| {
                let sys = &self.connect.systems[i as usize];
                (
                    offset_key(&conn.name, &source_partition(sys.kind, &sys.name)),
                    source_offset(sys.kind, o).to_string(),
                )
            })
            .collect();
        match conn.cluster {
            Some(cluster) => self.put_offsets(cluster, entries),
            None => {
                let w = conn.worker;
                self.connect.workers[w as usize].offsets.write(entries);
            }
        }
        self.connect.connectors[r.connector as usize]
            .counters
            .offset_flushes += 1;
    }

    /// `SourceTask.poll()`: up to the batch size from each of the task's systems, in order; each
    /// record sent with the producer for its topic. The record key is the row's primary key (a
    /// table) or none (a file's line); the value is the row's JSON or the line. Each record goes
    /// through the transforms first; the trace of a transform's failure, if one failed (the
    /// records before it were sent).
    fn source_poll(&mut self, r: TaskRef) -> Option<String> {
        let now = self.now;
        let conn = &self.connect.connectors[r.connector as usize];
        let batch = conn.config.batch_max as usize;
        let poll_interval = conn.config.poll_interval_us;
        let chain = conn.config.transforms.clone();
        let mut failure = None;
        let positions: Vec<(u32, u64)> = self
            .source(r)
            .expect("a source")
            .positions
            .iter()
            .map(|(&i, &o)| (i, o))
            .collect();
        let mut touched = Vec::new();
        for (i, from) in positions {
            let sys = &self.connect.systems[i as usize];
            let (kind, name) = (sys.kind, sys.name.clone());
            let read = sys.read_after(from, batch);
            if read.is_empty() {
                continue;
            }
            let conn = &self.connect.connectors[r.connector as usize];
            let topic = conn.config.source_topic(&name);
            let partition_key = source_partition(kind, &name).to_string();
            let upto = conn.produced_upto.get(&partition_key).copied().unwrap_or(0);
            let Some(&p) = self.source(r).expect("a source").producers.get(&topic) else {
                continue;
            };
            let (mut sent, mut again, mut filtered, mut skipped) = (0u64, 0u64, 0u64, 0u64);
            let mut done = None;
            let mut resent: Option<(u64, u64)> = None;
            for (offset, key, value) in read.iter() {
                // JDBC and file sources set no partition and no timestamp on their records.
                let record = ConnectRecord {
                    topic: topic.clone(),
                    partition: None,
                    offset: None,
                    timestamp_ms: None,
                    key: key.clone(),
                    value: Some(value.clone()),
                };
                match chain.apply(record) {
                    Outcome::Record(record) => {
                        let key = record.key.as_deref().map(|k| self.store.intern(k));
                        let value = match record.value.as_deref() {
                            Some(v) => ValueRef::Text(self.store.intern(v)),
                            None => ValueRef::Null,
                        };
                        self.create_record(p, now, now, key, value, None);
                        sent += 1;
                        if *offset <= upto {
                            again += 1;
                            resent = Some(
                                resent.map_or((*offset, *offset), |(first, _)| (first, *offset)),
                            );
                        }
                    }
                    Outcome::Dropped => filtered += 1,
                    Outcome::Skipped => skipped += 1,
                    Outcome::Failed(trace) => {
                        failure = Some(trace);
                        break;
                    }
                }
                done = Some(*offset);
            }
            let conn = &mut self.connect.connectors[r.connector as usize];
            conn.counters.produced += sent;
            conn.counters.duplicates += again;
            conn.counters.filtered += filtered;
            conn.counters.skipped += skipped;
            let counts = self.connect.task_counts.entry(r).or_default();
            counts.records += sent;
            counts.duplicates += again;
            if let Some(done) = done {
                conn.produced_upto.insert(partition_key, upto.max(done));
                let s = self.source_mut(r).expect("a source");
                s.positions.insert(i, done);
                if let Some((first, last)) = resent {
                    let range = s.resent.entry(i).or_insert((first, last));
                    range.1 = last;
                }
            }
            if !touched.contains(&p) {
                touched.push(p);
            }
            if failure.is_some() {
                break;
            }
        }
        for p in touched {
            self.producer_tick(p);
        }
        self.source_mut(r).expect("a source").next_poll_us = now + poll_interval;
        failure
    }

    /// The task stops. Cleanly (`WorkerSourceTask.close` after a last `commitOffsets`): the
    /// producer is closed after sending what it holds, and the offsets read are written. After a
    /// failure nothing is written; after a crash unsent records are gone too.
    pub(crate) fn stop_source_task(&mut self, r: TaskRef, s: SourceTask, how: Stop) {
        match how {
            Stop::Crashed => {
                for &p in s.producers.values() {
                    self.drop_unsent(p);
                }
            }
            Stop::Failed => {}
            Stop::Clean => {
                if s.positions != s.flushed {
                    self.write_source_offsets(r, &s.positions);
                }
            }
        }
    }

    /// `WorkerTask.transitionTo(PAUSED/STARTED)` for a source task: it stops or resumes polling
    /// (offsets are still flushed while paused).
    pub(crate) fn source_paused(&mut self, r: TaskRef, paused: bool) {
        let now = self.now;
        if let Some(s) = self.source_mut(r) {
            s.paused = paused;
            if !paused {
                s.next_poll_us = now;
                self.schedule_connect_tick(r, now);
            }
        }
    }
}
