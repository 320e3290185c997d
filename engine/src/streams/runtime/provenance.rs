//! The runtime's side of the simulation's provenance (god's view, not a Kafka feature; see
//! `streams::provenance` for a task's stores): what the records stream threads write came
//! from, so that the app counts exactly the re-processing that counted twice.
//!
//! - **Changelog records** carry the position their value was logged at (`Effect::Changelog`'s
//!   `written_at`), kept here by the record's producer and sequence until a commit of the task's
//!   offsets passes it; a restore or a standby reads it back with the record.
//! - **Repartition records** carry the input record whose processing sent them: its partition,
//!   its offset and the record's index among what that processing sent. A re-processing sends
//!   the same records again. The copy that reaches a repartition partition's log second is a
//!   duplicate, which the downstream task counts as one more record. The log is read in order,
//!   so each record is checked once, when the app first processes its offset: it is a
//!   duplicate if an earlier offset of the same log already held the same input and index.
//!   That needs one "furthest" mark per (repartition partition, input partition), because what
//!   a log holds of one input partition is always everything up to a point:
//!   everything below the committed offset was appended before the owner that resumed there
//!   sent anything (a commit waits for the producer's acknowledgements), and each owner's records
//!   reach a partition as a prefix of what it sent (the idempotent producer appends a
//!   partition's batches in order). A batch the broker appended counts even if the crashed
//!   client never saw the acknowledgement; a batch it truncated away, or never received, does
//!   not, since only what the log holds below the high watermark is read.
//!
//! Records a commit's cache flush forwards to a repartition topic (a table's `groupBy`) come
//! from no single input record and are not checked. Over word count and windowed counts, the
//! app's `counted_twice` is then the counts' excess over counts computed once per input record,
//! exactly (`tests/tests/streams_properties.rs`).

use std::collections::{BTreeMap, VecDeque};

use crate::cluster::Cluster;
use crate::command::TopicPartition;
use crate::fxhash::FxBuild;
use crate::record::RecordId;
use crate::streams::provenance::Position;
use crate::streams::topology::{InternalTopicKind, NodeKind, TaskId, Topology};

use super::ThreadRef;

type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuild>;

/// A repartition record's input: the offset of the record processed and the record's index
/// among those its processing sent. Ordered as a log holds one input partition's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Sent {
    pub offset: u64,
    pub index: u32,
}

/// What one repartition producer's records came from, by the producer's record sequence
/// (`RecordData::producer_seq`) from `base`: the input partition (slot) and `Sent`; `None`
/// once the app read the record, or for a record no single input sent.
#[derive(Debug, Clone, Default)]
struct SendLog {
    base: u32,
    entries: VecDeque<Option<(u32, Sent)>>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct AppProvenance {
    /// Per node: a sink writing a repartition topic.
    repartition_sink: Vec<bool>,
    /// Per repartition producer (engine producer index).
    sends: FxHashMap<u32, SendLog>,
    /// Per (repartition partition slot, input partition slot): the furthest input read so far
    /// in the repartition log.
    furthest: FxHashMap<(u32, u32), Sent>,
    /// Per task: its changelog records (producer, producer sequence) not yet below a commit of
    /// the task's offsets, and the position each was logged at.
    changelog: BTreeMap<TaskId, FxHashMap<(u32, u32), Position>>,
}

impl AppProvenance {
    pub(crate) fn new(topology: &Topology) -> Self {
        let repartition_sink = topology
            .nodes
            .iter()
            .map(|n| match &n.kind {
                NodeKind::Sink { topic } => topology
                    .internal_topics
                    .iter()
                    .any(|t| t.kind == InternalTopicKind::Repartition && t.name == *topic),
                _ => false,
            })
            .collect();
        AppProvenance {
            repartition_sink,
            ..AppProvenance::default()
        }
    }

    /// Whether sink `node` writes a repartition topic.
    pub(crate) fn repartitions(&self, node: usize) -> bool {
        self.repartition_sink.get(node).copied().unwrap_or(false)
    }

    /// Producer `p` created its record `seq` for a repartition topic, from `input`.
    pub(crate) fn note_send(&mut self, p: u32, seq: u32, input: Option<(u32, Sent)>) {
        let log = self.sends.entry(p).or_default();
        if log.entries.is_empty() || log.base.wrapping_add(log.entries.len() as u32) != seq {
            // Every record of a repartition producer is noted, so its sequences follow on; a
            // fresh log starts at the first one not yet read.
            log.entries.clear();
            log.base = seq;
        }
        log.entries.push_back(input);
    }

    /// The changelog record `seq` of producer `p`, written by `task` at `written_at`.
    pub(crate) fn note_changelog(&mut self, task: TaskId, p: u32, seq: u32, written_at: Position) {
        self.changelog
            .entry(task)
            .or_default()
            .insert((p, seq), written_at);
    }

    /// `task` committed `committed` (per source, as its sources are ordered): its changelog
    /// records logged below it on every source include nothing a re-processing reaches.
    pub(crate) fn committed(&mut self, task: TaskId, committed: &[Option<u64>]) {
        let Some(written) = self.changelog.get_mut(&task) else {
            return;
        };
        written.retain(|_, at| {
            at.iter().zip(committed).any(|(h, c)| match (h, c) {
                (Some(h), Some(c)) => h >= c,
                (Some(_), None) => true,
                (None, _) => false,
            })
        });
    }
}

impl Cluster {
    /// The position a changelog record of `task` was logged at, if a re-processing can still
    /// reach it.
    pub(super) fn changelog_written_at(
        &self,
        app: u32,
        task: TaskId,
        rid: RecordId,
    ) -> Option<Position> {
        let written = self.streams[app as usize].provenance.changelog.get(&task)?;
        let data = self.store.get(rid);
        written.get(&(data.producer, data.producer_seq)).cloned()
    }

    /// The app processes records of `tp` for the first time (offsets increasing): those that
    /// repeat an input already read from the same repartition partition are duplicates.
    pub(super) fn check_repartition_duplicates(
        &mut self,
        app: u32,
        q_slot: u32,
        run: &[(u32, u64, RecordId)],
    ) {
        let store = &self.store;
        let a = &mut self.streams[app as usize];
        let prov = &mut a.provenance;
        if prov.sends.is_empty() {
            return;
        }
        let mut duplicates = 0;
        for &(_, _, rid) in run {
            let data = store.get(rid);
            let Some(log) = prov.sends.get_mut(&data.producer) else {
                continue;
            };
            let i = data.producer_seq.wrapping_sub(log.base) as usize;
            let Some(input) = log.entries.get_mut(i).and_then(Option::take) else {
                continue;
            };
            while log.entries.front().is_some_and(Option::is_none) {
                log.entries.pop_front();
                log.base = log.base.wrapping_add(1);
            }
            let (in_slot, sent) = input;
            match prov.furthest.get_mut(&(q_slot, in_slot)) {
                Some(f) if sent <= *f => duplicates += 1,
                Some(f) => *f = sent,
                None => {
                    prov.furthest.insert((q_slot, in_slot), sent);
                }
            }
        }
        a.counters.counted_twice += duplicates;
    }

    /// Thread `r` commits: its tasks' changelog records logged below the offsets the group
    /// holds as committed (what a next owner resumes from; not the offsets this commit sends,
    /// which may never arrive) are forgotten.
    pub(super) fn prune_committed_provenance(&mut self, r: ThreadRef) {
        let app = &self.streams[r.app as usize];
        let Some(group) = self.groups.get(app.group as usize) else {
            return;
        };
        let committed: Vec<(TaskId, Vec<Option<u64>>)> = self
            .streams_thread(r)
            .tasks
            .iter()
            .map(|(id, t)| {
                let at = t
                    .task
                    .source_topics()
                    .map(|topic| {
                        let tp = TopicPartition {
                            topic: topic.to_string(),
                            partition: id.partition,
                        };
                        group.committed.get(&tp).copied()
                    })
                    .collect();
                (*id, at)
            })
            .collect();
        let prov = &mut self.streams[r.app as usize].provenance;
        for (id, at) in committed {
            if at.iter().any(Option::is_some) {
                prov.committed(id, &at);
            }
        }
    }

    /// Whether `tp` is one of app `a`'s repartition topics.
    pub(super) fn is_repartition_topic(&self, a: u32, tp: &TopicPartition) -> bool {
        self.streams[a as usize]
            .topology
            .internal_topics
            .iter()
            .any(|t| t.kind == InternalTopicKind::Repartition && t.name == tp.topic)
    }
}

impl AppProvenance {
    /// An estimate of the bytes it holds (the room's measure, `memory.rs`): a send log entry
    /// per repartition record not yet read, a position per changelog record not yet committed.
    pub(crate) fn heap_bytes(&self) -> usize {
        const HASH_ENTRY: usize = 1; // a hash table's control byte per bucket
        let sends: usize = self
            .sends
            .values()
            .map(|log| log.entries.capacity() * size_of::<Option<(u32, Sent)>>())
            .sum();
        let changelog: usize = self
            .changelog
            .values()
            .map(|m| {
                crate::memory::MAP_ENTRY_OVERHEAD
                    + m.capacity() * (size_of::<((u32, u32), Position)>() + HASH_ENTRY)
            })
            .sum();
        self.repartition_sink.capacity()
            + self.sends.capacity() * (size_of::<(u32, SendLog)>() + HASH_ENTRY)
            + sends
            + self.furthest.capacity() * (size_of::<((u32, u32), Sent)>() + HASH_ENTRY)
            + changelog
    }
}
