//! Folds the engine events of one frame (about 100 ms of wall time) into what the browser
//! animates: records counted per partition, a bounded sample of flights, and log lines.
//!
//! At 2,000 records/s a frame would otherwise carry thousands of events; here it carries at most
//! [`wire::MAX_FLIGHTS`] flights whatever the rate, so a viewer's bandwidth is bounded by the
//! size of the cluster, not by its throughput.

use std::collections::BTreeMap;

use engine::command::TopicPartition;
use engine::event::{Event, TimedEvent};

use crate::fold::Folder;
use crate::narrate::Narrator;
use crate::state::clip;
use crate::wire::{self, Flight, LogEntry};

/// At most this many aggregated replication flights per frame.
const MAX_REPLICATE_FLIGHTS: usize = 3;
/// At most this many aggregated consumption flights per frame.
const MAX_CONSUME_FLIGHTS: usize = 2;

/// A produced batch kept by the sample.
struct Sampled {
    at_us: u64,
    producer: String,
    tp: TopicPartition,
    broker: u32,
    offset: u64,
    count: u32,
    first_key: Option<String>,
}

/// Records one consumer processed from one partition during the frame.
struct Consumed {
    at_us: u64,
    group: String,
    from_offset: u64,
    count: u64,
}

/// Everything one frame accumulates between two flushes.
pub struct FrameBuilder {
    narrator: Narrator,
    appended: BTreeMap<String, u64>,
    /// Reservoir sample of produced batches (Algorithm R), so a busy frame shows records from
    /// its whole span, not only its first milliseconds.
    produced: Vec<Sampled>,
    produced_seen: u64,
    replicated: BTreeMap<(String, u32, u32, u32), (u64, u64)>,
    /// By (consumer, topic, partition).
    consumed: BTreeMap<(String, String, u32), Consumed>,
    /// Deterministic xorshift state for the reservoir.
    rng: u64,
    events: u64,
    /// Repeating lines fold across frames (the run goes on until a plain line).
    folder: Folder,
    /// Streams tasks' processed batches, the first `MAX_STREAMS_FLIGHTS` of the frame.
    streams: Vec<Flight>,
}

impl Default for FrameBuilder {
    fn default() -> Self {
        FrameBuilder {
            narrator: Narrator::default(),
            appended: BTreeMap::new(),
            produced: Vec::new(),
            produced_seen: 0,
            replicated: BTreeMap::new(),
            consumed: BTreeMap::new(),
            rng: 0x9E37_79B9_7F4A_7C15,
            events: 0,
            folder: Folder::default(),
            streams: Vec::new(),
        }
    }
}

impl FrameBuilder {
    /// True when no event arrived since the last flush.
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }

    fn random_below(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n
    }

    /// A log line of the room's own (a console line, narration, an expectation).
    pub fn note(&mut self, entry: LogEntry) {
        self.events += 1;
        self.narrator.note(entry);
    }

    pub fn push(&mut self, e: &TimedEvent) {
        self.events += 1;
        self.narrator.push(e);
        match &e.event {
            Event::RecordsAppended {
                topic,
                partition,
                broker,
                base_offset,
                count,
                producer,
                first_key,
                ..
            } => {
                *self
                    .appended
                    .entry(format!("{topic}/{partition}"))
                    .or_default() += u64::from(*count);
                self.produced_seen += 1;
                let slot = if self.produced.len() < wire::MAX_PRODUCE_FLIGHTS {
                    Some(self.produced.len())
                } else {
                    let j = self.random_below(self.produced_seen) as usize;
                    (j < wire::MAX_PRODUCE_FLIGHTS).then_some(j)
                };
                if let Some(slot) = slot {
                    let sampled = Sampled {
                        at_us: e.at_us,
                        producer: producer.clone(),
                        tp: TopicPartition {
                            topic: topic.clone(),
                            partition: *partition,
                        },
                        broker: *broker,
                        offset: *base_offset,
                        count: *count,
                        first_key: first_key.clone(),
                    };
                    if slot == self.produced.len() {
                        self.produced.push(sampled);
                    } else {
                        self.produced[slot] = sampled;
                    }
                }
            }
            Event::ReplicaFetched {
                topic,
                partition,
                follower,
                leader,
                count,
                ..
            } if *count > 0 => {
                let entry = self
                    .replicated
                    .entry((topic.clone(), *partition, *leader, *follower))
                    .or_insert((e.at_us, 0));
                entry.1 += u64::from(*count);
            }
            Event::RecordsConsumed {
                consumer,
                group,
                topic,
                partition,
                from_offset,
                count,
            } => {
                let entry = self
                    .consumed
                    .entry((consumer.clone(), topic.clone(), *partition))
                    .or_insert(Consumed {
                        at_us: e.at_us,
                        group: group.clone(),
                        from_offset: *from_offset,
                        count: 0,
                    });
                entry.count += u64::from(*count);
            }
            // Each batch carries one sample already (the engine's): the first of the frame go.
            Event::StreamsProcessed {
                app,
                task,
                topic,
                partition,
                from_offset,
                count,
                sample,
                ..
            } if self.streams.len() < wire::MAX_STREAMS_FLIGHTS => {
                self.streams.push(Flight::StreamsProcessed {
                    at_us: e.at_us,
                    app: app.clone(),
                    task: task.clone(),
                    topic: topic.clone(),
                    partition: *partition,
                    from_offset: *from_offset,
                    count: *count,
                    sample: sample.clone(),
                });
            }
            _ => {}
        }
    }

    /// The frame's counts, flights and log lines; the builder starts over.
    pub fn finish(&mut self) -> (BTreeMap<String, u64>, Vec<Flight>, Vec<LogEntry>) {
        let mut this = std::mem::take(self);
        // The sampling continues its random sequence from frame to frame, and a run of
        // repeating log lines goes on folding.
        self.rng = this.rng;
        self.folder = std::mem::take(&mut this.folder);
        let (replicate_start, consume_start) = (
            self.random_below(this.replicated.len().max(1) as u64) as usize,
            self.random_below(this.consumed.len().max(1) as u64) as usize,
        );
        let mut sampled = this.produced;
        sampled.sort_by_key(|s| s.at_us);
        let mut flights: Vec<Flight> = sampled
            .into_iter()
            .map(|s| {
                let key = s.first_key.map(|k| clip(&k, wire::MAX_TEXT_CHARS));
                Flight::Produce {
                    at_us: s.at_us,
                    producer: s.producer,
                    topic: s.tp.topic,
                    partition: s.tp.partition,
                    broker: s.broker,
                    offset: s.offset,
                    count: s.count,
                    key,
                }
            })
            .collect();
        flights.extend(
            rotated(this.replicated, replicate_start, MAX_REPLICATE_FLIGHTS).map(
                |((topic, partition, from, to), (at_us, count))| Flight::Replicate {
                    at_us,
                    topic,
                    partition,
                    from,
                    to,
                    count,
                },
            ),
        );
        flights.extend(
            rotated(this.consumed, consume_start, MAX_CONSUME_FLIGHTS).map(
                |((consumer, topic, partition), c)| Flight::Consume {
                    at_us: c.at_us,
                    consumer,
                    group: c.group,
                    topic,
                    partition,
                    from_offset: c.from_offset,
                    count: c.count,
                },
            ),
        );
        flights.truncate(wire::MAX_FLIGHTS);
        flights.append(&mut this.streams);

        // Repeats fold before the cap, so a flood of them costs one line each.
        let mut log = self.folder.fold(this.narrator.finish());
        if log.len() > wire::MAX_LOG_PER_FRAME {
            let more = log.len() - (wire::MAX_LOG_PER_FRAME - 1);
            log.truncate(wire::MAX_LOG_PER_FRAME - 1);
            let at_us = log.last().map_or(0, |l| l.at_us);
            log.push(LogEntry::new(
                at_us,
                "info",
                "network",
                format!("… and {more} more events"),
            ));
        }
        (this.appended, flights, log)
    }
}

/// At most `max` entries of `map`, starting at a rotating `start`, so that when there are more
/// streams than the cap every partition gets its turn over successive frames.
fn rotated<K, V>(map: BTreeMap<K, V>, start: usize, max: usize) -> impl Iterator<Item = (K, V)> {
    let mut entries: Vec<(K, V)> = map.into_iter().collect();
    let start = if entries.len() > max {
        start % entries.len()
    } else {
        0
    };
    entries.rotate_left(start);
    entries.into_iter().take(max)
}
