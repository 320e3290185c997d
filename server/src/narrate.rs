//! The event log in plain words: one frame's engine events become a few sentences a class can
//! read ("broker 1 fenced: orders/0 leader 1 → 2, ISR {1,2,3} → {2,3}").
//!
//! Record-level events (appends, fetches, acks, consumption) are not narrated: they are animated
//! as flights. Elections and ISR changes that the controller makes at one instant are folded into
//! one line, headed by the broker event that caused them.

use std::collections::BTreeMap;

use engine::event::{
    ElectionReason, ErrorCode, Event, IsrChangeReason, SegmentDeletionReason, TimedEvent,
};
use engine::group::GroupState;

use crate::wire::{Fold, LogEntry};

/// How many partitions one folded line names before "and N more".
const MAX_PARTITIONS_PER_LINE: usize = 4;

fn set(ids: &[u32]) -> String {
    let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
    format!("{{{}}}", ids.join(","))
}

fn broker_or_none(b: Option<u32>) -> String {
    b.map_or_else(|| "none".to_string(), |b| b.to_string())
}

fn error_name(e: ErrorCode) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{e:?}"))
}

fn partitions(list: &[engine::command::TopicPartition]) -> String {
    if list.is_empty() {
        return "nothing".to_string();
    }
    let names: Vec<String> = list.iter().map(ToString::to_string).collect();
    names.join(", ")
}

/// A partition's leader and ISR changes at one instant.
#[derive(Default)]
struct PartitionChange {
    leader: Option<(Option<u32>, Option<u32>, ElectionReason)>,
    isr: Option<(Vec<u32>, Vec<u32>, IsrChangeReason)>,
}

impl PartitionChange {
    fn describe(&self, tp: &str) -> String {
        let mut parts = Vec::new();
        if let Some((from, to, reason)) = &self.leader {
            let why = match reason {
                ElectionReason::Unclean => " (UNCLEAN: an out-of-sync replica leads)",
                ElectionReason::Preferred => " (back to the preferred replica)",
                ElectionReason::Offline => " (offline: no live in-sync replica)",
                _ => "",
            };
            parts.push(format!(
                "leader {} → {}{why}",
                broker_or_none(*from),
                broker_or_none(*to)
            ));
        }
        if let Some((before, after, _)) = &self.isr {
            parts.push(format!("ISR {} → {}", set(before), set(after)));
        }
        format!("{tp} {}", parts.join(", "))
    }

    fn alert(&self) -> bool {
        matches!(
            self.leader,
            Some((_, _, ElectionReason::Unclean | ElectionReason::Offline))
        )
    }

    fn shrink(&self) -> bool {
        self.isr.as_ref().is_some_and(|(b, a, _)| a.len() < b.len())
    }
}

/// What caused a batch of partition changes, when the frame says.
struct Head {
    level: &'static str,
    text: String,
}

/// Turns one frame's events into log entries, in order.
#[derive(Default)]
pub struct Narrator {
    entries: Vec<LogEntry>,
    /// Partition changes at `pending_at`, in partition order.
    pending: BTreeMap<String, PartitionChange>,
    pending_at: u64,
    head: Option<Head>,
    /// Produce retries and failures, summed per (producer, error) over the frame: (records,
    /// events).
    produce_trouble: BTreeMap<(String, bool, String), (u64, u32)>,
    trouble_at: u64,
}

impl Narrator {
    pub fn push(&mut self, e: &TimedEvent) {
        let at = e.at_us;
        if at != self.pending_at {
            self.flush_partitions();
            self.pending_at = at;
        }
        match &e.event {
            Event::LeaderElected {
                topic,
                partition,
                previous,
                leader,
                reason,
                ..
            } => {
                if *reason != ElectionReason::Initial {
                    let change = self
                        .pending
                        .entry(format!("{topic}/{partition}"))
                        .or_default();
                    change.leader = Some((*previous, *leader, *reason));
                }
            }
            Event::IsrChanged {
                topic,
                partition,
                before,
                after,
                reason,
            } => {
                let change = self
                    .pending
                    .entry(format!("{topic}/{partition}"))
                    .or_default();
                change.isr = Some((before.clone(), after.clone(), *reason));
            }
            Event::BrokerFenced { broker } => {
                self.flush_partitions();
                self.head = Some(Head {
                    level: "alert",
                    text: format!(
                        "broker {broker} fenced by the controller (no heartbeat within the session timeout)"
                    ),
                });
            }
            Event::BrokerDown { broker, controlled } => {
                self.flush_partitions();
                self.head = Some(if *controlled {
                    Head {
                        level: "warn",
                        text: format!(
                            "broker {broker} shut down cleanly: leadership moved away first"
                        ),
                    }
                } else {
                    Head {
                        level: "alert",
                        text: format!(
                            "broker {broker} died: its partitions keep it as leader until the controller fences it"
                        ),
                    }
                });
            }
            Event::ProduceRetried {
                producer,
                count,
                error,
                ..
            } => self.trouble(at, producer, false, *error, *count),
            Event::ProduceRejected {
                producer,
                count,
                error,
                ..
            } => self.trouble(at, producer, true, *error, *count),
            other => {
                self.flush_partitions();
                if let Some(line) = describe(other) {
                    match repeat_of(other) {
                        Some(fold) => self.repeating(at, line, fold),
                        None => self.entry(at, line.0, line.1, line.2),
                    }
                }
            }
        }
    }

    /// A line written by the room itself, kept in order with the events around it.
    pub fn note(&mut self, entry: LogEntry) {
        self.flush_partitions();
        self.entries.push(entry);
    }

    fn trouble(&mut self, at: u64, producer: &str, failed: bool, error: ErrorCode, count: u32) {
        if self.produce_trouble.is_empty() {
            self.trouble_at = at;
        }
        let sum = self
            .produce_trouble
            .entry((producer.to_string(), failed, error_name(error)))
            .or_default();
        sum.0 += u64::from(count);
        sum.1 += 1;
    }

    fn entry(&mut self, at_us: u64, level: &'static str, subject: &'static str, text: String) {
        self.entries
            .push(LogEntry::new(at_us, level, subject, text));
    }

    /// A line that repeats by nature: repeats of `key` fold into one (crate::fold).
    fn repeating(&mut self, at_us: u64, line: (&'static str, &'static str, String), fold: Repeat) {
        let (level, subject, text) = line;
        self.entries.push(LogEntry {
            fold: Some(Fold {
                key: fold.key,
                count: fold.events,
                last_us: at_us,
                what: fold.what,
                amount: fold.amount,
                unit: "records",
            }),
            ..LogEntry::new(at_us, level, subject, text)
        });
    }

    fn flush_partitions(&mut self) {
        let at = self.pending_at;
        let pending = std::mem::take(&mut self.pending);
        let head = self.head.take();
        if pending.is_empty() {
            if let Some(head) = head {
                self.entry(at, head.level, "broker", head.text);
            }
            return;
        }
        let alert = pending.values().any(PartitionChange::alert);
        let shrink = pending.values().any(PartitionChange::shrink);
        let mut lines: Vec<String> = pending
            .iter()
            .take(MAX_PARTITIONS_PER_LINE)
            .map(|(tp, c)| c.describe(tp))
            .collect();
        if pending.len() > MAX_PARTITIONS_PER_LINE {
            lines.push(format!(
                "and {} more partitions",
                pending.len() - MAX_PARTITIONS_PER_LINE
            ));
        }
        let body = lines.join("; ");
        let (level, subject, text) = match head {
            Some(head) => (head.level, "broker", format!("{}: {body}", head.text)),
            None => {
                let why = pending
                    .values()
                    .find_map(|c| c.isr.as_ref().map(|(_, _, r)| *r))
                    .map(|r| match r {
                        IsrChangeReason::Lagging => {
                            " (a follower fell behind for replica.lag.time.max.ms)"
                        }
                        IsrChangeReason::CaughtUp => " (a follower caught up)",
                        IsrChangeReason::UncleanElection => " (unclean election)",
                        IsrChangeReason::Fenced | IsrChangeReason::Shutdown => "",
                    })
                    .unwrap_or("");
                let level = if alert {
                    "alert"
                } else if shrink {
                    "warn"
                } else {
                    "info"
                };
                (level, "partition", format!("{body}{why}"))
            }
        };
        self.entry(at, if alert { "alert" } else { level }, subject, text);
    }

    /// The frame's entries, oldest first.
    pub fn finish(mut self) -> Vec<LogEntry> {
        self.flush_partitions();
        let at = self.trouble_at;
        for ((producer, failed, error), (count, events)) in
            std::mem::take(&mut self.produce_trouble)
        {
            let (level, verb) = if failed {
                ("alert", "failed")
            } else {
                ("warn", "retried")
            };
            let records = if count == 1 { "record" } else { "records" };
            let what = if failed {
                format!("producer {producer}: records failed ({error})")
            } else {
                format!("producer {producer}: retrying on {error}")
            };
            self.repeating(
                at,
                (
                    level,
                    "producer",
                    format!("producer {producer}: {count} {records} {verb} ({error})"),
                ),
                Repeat {
                    key: format!("produce:{producer}:{verb}:{error}"),
                    what,
                    amount: count,
                    events,
                },
            );
        }
        // The summed produce errors go where their first occurrence was (a stable sort keeps
        // everything else in the order it happened).
        self.entries.sort_by_key(|e| e.at_us);
        self.entries
    }
}

/// What a repeating line folds into: its key, its text without the count, the records summed,
/// and how many events the line stands for.
struct Repeat {
    key: String,
    what: String,
    amount: u64,
    events: u32,
}

/// Events that repeat by nature, and how their lines fold (crate::fold).
fn repeat_of(event: &Event) -> Option<Repeat> {
    match event {
        // An acks=0 producer writing to a dead leader loses one record after another.
        Event::RecordsLost {
            topic,
            partition,
            count,
        } if *count > 0 => Some(Repeat {
            key: format!("lost:{topic}/{partition}"),
            what: format!("{topic}/{partition}: acknowledged records LOST"),
            amount: count.unsigned_abs(),
            events: 1,
        }),
        // Every request through a cut times out, one after another, until the heal.
        Event::RequestTimedOut {
            sender,
            broker,
            what,
        } => Some(Repeat {
            key: format!("timeout:{sender}:{what:?}:{broker}"),
            what: format!("{sender}'s requests to broker {broker} time out (lost in the cut)"),
            amount: 0,
            events: 1,
        }),
        _ => None,
    }
}

/// One event on its own: (level, subject, text), or `None` when it is animated, not narrated.
fn describe(event: &Event) -> Option<(&'static str, &'static str, String)> {
    use Event::*;
    let info = "info";
    let warn = "warn";
    let alert = "alert";
    Some(match event {
        BrokerUp {
            broker,
            restarted: true,
        } => (
            info,
            "broker",
            format!("broker {broker} restarted with the log it had on disk"),
        ),
        BrokerUp {
            broker,
            restarted: false,
        } => (
            info,
            "broker",
            format!("broker {broker} started"),
        ),
        BrokerUnfenced { broker } => (
            info,
            "broker",
            format!("broker {broker} unfenced: it heartbeats again and can host leaders"),
        ),
        TopicCreated {
            topic,
            partitions,
            replication,
            ..
        } => (
            info,
            "topic",
            format!("topic {topic} created: {partitions} partitions, replication {replication}"),
        ),
        TopicDeleted { topic, partitions } => (
            info,
            "topic",
            format!(
                "topic {topic} deleted: its {partitions} partitions' replicas and logs are gone \
                 from every broker, and every group's committed offsets for it"
            ),
        ),
        ProducerAdded { producer, topic } => (
            info,
            "producer",
            format!("producer {producer} started, writing to {topic}"),
        ),
        ProducerStopped { producer } => (info, "producer", format!("producer {producer} stopped")),
        ProducerPaused { producer, paused } => (
            info,
            "producer",
            format!(
                "producer {producer} {}",
                if *paused { "paused" } else { "resumed" }
            ),
        ),
        ProducerRateChanged { producer, per_hour } => (
            info,
            "producer",
            format!(
                "producer {producer} now sends {}",
                engine::time::format_rate(*per_hour)
            ),
        ),
        Truncated {
            topic,
            partition,
            broker,
            from_offset,
            to_offset,
        } => (
            warn,
            "partition",
            format!(
                "broker {broker} truncated {topic}/{partition} from offset {from_offset} to {to_offset} to match its leader"
            ),
        ),
        RecordsLost {
            topic,
            partition,
            count,
        } => {
            if *count > 0 {
                let records = if *count == 1 { "record" } else { "records" };
                (
                    alert,
                    "partition",
                    format!("{topic}/{partition}: {count} acknowledged {records} LOST"),
                )
            } else {
                let back = if *count == -1 {
                    "lost record is"
                } else {
                    "lost records are"
                };
                (
                    info,
                    "partition",
                    format!(
                        "{topic}/{partition}: {} {back} back in the leader's log",
                        -count
                    ),
                )
            }
        }
        SegmentDeleted {
            topic,
            partition,
            broker,
            log_start_offset,
            reason: SegmentDeletionReason::Retention,
            ..
        } => (
            info,
            "partition",
            format!(
                "retention: broker {broker} deleted the oldest segment of {topic}/{partition}; log start offset → {log_start_offset}"
            ),
        ),
        SegmentDeleted {
            topic,
            partition,
            broker,
            log_start_offset,
            reason: SegmentDeletionReason::StorageLimit { bytes_per_replica },
            ..
        } => (
            info,
            "partition",
            format!(
                "{topic}/{partition}: the room's memory limit keeps {:.1} MB per replica; broker {broker} deleted the oldest segment as retention.bytes would; log start offset → {log_start_offset}",
                *bytes_per_replica as f64 / 1e6
            ),
        ),
        LogCompacted {
            topic,
            partition,
            broker,
            removed,
        } => (
            info,
            "partition",
            format!(
                "compaction: broker {broker} removed {removed} superseded records from {topic}/{partition}"
            ),
        ),
        NetworkPartitioned { side_a, side_b } => (
            alert,
            "network",
            format!(
                "network partition: brokers {} and {} cannot reach each other",
                set(side_a),
                set(side_b)
            ),
        ),
        NetworkHealed => (
            info,
            "network",
            "network healed: every link carries messages again (requests lost in the cut still wait for their timeout)".to_string(),
        ),
        BrokerIsolated { broker } => (
            alert,
            "network",
            format!(
                "broker {broker} isolated: no broker, client or controller reaches it; the controller fences it if no heartbeat arrives within the session timeout, and until then it still believes it leads"
            ),
        ),
        RequestTimedOut {
            sender,
            broker,
            what,
        } => (
            warn,
            "network",
            format!(
                "{sender}'s {} broker {broker} timed out: it was lost in the cut, the connection is dropped and the request retried",
                match what {
                    engine::lost::Waiting::ReplicaFetch => "fetch from",
                    engine::lost::Waiting::Produce => "produce request to",
                    engine::lost::Waiting::ConsumerFetch => "fetch from",
                    engine::lost::Waiting::GroupRequest => "group request to",
                }
            ),
        ),
        GroupCreated {
            group,
            topics,
            assignor,
            coordinator,
        } => (
            info,
            "group",
            format!(
                "group {group} created for {} ({assignor}); coordinator: broker {}",
                topics.join(", "),
                broker_or_none(*coordinator)
            ),
        ),
        GroupStateChanged {
            group,
            state,
            generation,
            reason,
        } => {
            let level = match state {
                GroupState::PreparingRebalance | GroupState::CompletingRebalance => warn,
                _ => info,
            };
            (
                level,
                "group",
                format!("group {group}: {state} (generation {generation}) — {reason}"),
            )
        }
        MemberJoined { group, member } => (info, "group", format!("{member} joined group {group}")),
        MemberRemoved {
            group,
            member,
            reason,
        } => (
            warn,
            "group",
            format!("group {group} removed {member}: {reason}"),
        ),
        GroupAssignment {
            group,
            generation,
            assignment,
        } => {
            let parts: Vec<String> = assignment
                .iter()
                .map(|(m, tps)| format!("{m} ← {}", partitions(tps)))
                .collect();
            (
                info,
                "group",
                format!(
                    "group {group} generation {generation} assignment: {}",
                    parts.join("; ")
                ),
            )
        }
        CoordinatorMoved {
            group,
            from,
            to,
            state,
            generation,
        } => (
            warn,
            "group",
            format!(
                "group {group}'s coordinator moved from broker {} to {} and loaded generation {generation} ({state})",
                broker_or_none(*from),
                broker_or_none(*to)
            ),
        ),
        ConsumerStarted { consumer, group } => (
            info,
            "consumer",
            format!("consumer {consumer} started in group {group}"),
        ),
        ConsumerStopped {
            consumer,
            group,
            crashed,
        } => {
            if *crashed {
                (
                    alert,
                    "consumer",
                    format!(
                        "consumer {consumer} crashed: group {group} notices only when its session times out"
                    ),
                )
            } else {
                (
                    info,
                    "consumer",
                    format!("consumer {consumer} closed: committed, then left group {group}"),
                )
            }
        }
        ConsumerStalled {
            consumer, stalled, ..
        } => {
            if *stalled {
                (
                    warn,
                    "consumer",
                    format!(
                        "consumer {consumer}'s application hangs; its heartbeats go on until max.poll.interval.ms"
                    ),
                )
            } else {
                (info, "consumer", format!("consumer {consumer} polls again"))
            }
        }
        PollTimeout { consumer, group } => (
            alert,
            "consumer",
            format!(
                "consumer {consumer} did not poll within max.poll.interval.ms: it leaves group {group}"
            ),
        ),
        ConsumerJoining { consumer, group } => (
            info,
            "consumer",
            format!("consumer {consumer} sends JoinGroup to {group}"),
        ),
        PartitionsRevoked {
            consumer,
            partitions: tps,
            reason,
            ..
        } => (
            warn,
            "consumer",
            format!("consumer {consumer} revoked {} ({reason})", partitions(tps)),
        ),
        PartitionsAssigned {
            consumer,
            generation,
            assigned,
            added,
            ..
        } => (
            info,
            "consumer",
            if added.is_empty() || added.len() == assigned.len() {
                format!(
                    "consumer {consumer} got {} in generation {generation}",
                    partitions(assigned)
                )
            } else {
                format!(
                    "consumer {consumer} got {} in generation {generation} (new: {})",
                    partitions(assigned),
                    partitions(added)
                )
            },
        ),
        OffsetReset {
            consumer,
            topic,
            partition,
            reset,
            ..
        } => (
            warn,
            "consumer",
            format!(
                "consumer {consumer}: no valid position on {topic}/{partition}, reset to the {}",
                match reset {
                    engine::command::OffsetReset::Earliest => "earliest offset",
                    engine::command::OffsetReset::Latest => "log end",
                }
            ),
        ),
        AssignorFailed {
            consumer,
            group,
            error,
        } => (
            alert,
            "group",
            format!("group {group}: the assignor on leader {consumer} failed: {error}"),
        ),
        EventsDropped { count } => (
            warn,
            "network",
            format!("{count} events were dropped (the room fell behind)"),
        ),
        StreamsAppDeclared { app } => (info, "streams", format!("streams app {app} declared")),
        StreamsInstanceStarted {
            app,
            instance,
            threads,
        } => (
            info,
            "streams",
            format!("{app}: instance {instance} started with {threads} stream thread(s)"),
        ),
        StreamsInstanceStopped {
            app,
            instance,
            crashed,
        } => (
            if *crashed { alert } else { info },
            "streams",
            if *crashed {
                format!("{app}: instance {instance} CRASHED (uncommitted work is lost)")
            } else {
                format!("{app}: instance {instance} closed (no LeaveGroup: its members time out)")
            },
        ),
        StreamsTaskAssigned {
            app,
            thread,
            task,
            restoring,
            ..
        } => (
            info,
            "streams",
            if *restoring {
                format!("{app}: task {task} → {thread}, restoring its stores from the changelog")
            } else {
                format!("{app}: task {task} → {thread}")
            },
        ),
        StreamsTaskRunning {
            app,
            thread,
            task,
            restored,
        } => (
            info,
            "streams",
            format!("{app}: task {task} on {thread} restored {restored} changelog records, now RUNNING"),
        ),
        StreamsTaskRevoked {
            app,
            thread,
            task,
            reason,
        } => (
            info,
            "streams",
            format!("{app}: task {task} left {thread} ({reason})"),
        ),
        StreamsRecordSkipped {
            app,
            task,
            node,
            reason,
        } => (
            warn,
            "streams",
            format!("{app}: task {task} skipped a record at {node}: {reason}"),
        ),
        StreamsCommitted {
            app,
            thread,
            partitions,
        } => (
            info,
            "streams",
            format!("{app}: {thread} committed the offsets of {partitions} partition(s)"),
        ),
        // Animated, not narrated.
        RecordsAppended { .. }
        | ReplicaFetched { .. }
        | HighWatermark { .. }
        | ProduceAcked { .. }
        | OffsetsCommitted { .. }
        | RecordsConsumed { .. }
        | StreamsProcessed { .. } => return None,
        // Folded by the narrator itself.
        LeaderElected { .. }
        | IsrChanged { .. }
        | BrokerFenced { .. }
        | BrokerDown { .. }
        | ProduceRetried { .. }
        | ProduceRejected { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at_us: u64, event: Event) -> TimedEvent {
        TimedEvent { at_us, event }
    }

    #[test]
    fn a_fencing_and_its_elections_read_as_one_line() {
        let mut n = Narrator::default();
        n.push(&at(9, Event::BrokerFenced { broker: 1 }));
        n.push(&at(
            9,
            Event::LeaderElected {
                topic: "orders".into(),
                partition: 0,
                previous: Some(1),
                leader: Some(2),
                leader_epoch: 1,
                reason: ElectionReason::Clean,
            },
        ));
        n.push(&at(
            9,
            Event::IsrChanged {
                topic: "orders".into(),
                partition: 0,
                before: vec![1, 2, 3],
                after: vec![2, 3],
                reason: IsrChangeReason::Fenced,
            },
        ));
        let log = n.finish();
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0].level, "alert");
        assert!(
            log[0]
                .text
                .ends_with(": orders/0 leader 1 → 2, ISR {1,2,3} → {2,3}"),
            "{}",
            log[0].text
        );
    }

    #[test]
    fn one_lost_record_reads_in_the_singular() {
        let lost = |count| {
            let mut n = Narrator::default();
            n.push(&at(
                5,
                Event::RecordsLost {
                    topic: "metrics".into(),
                    partition: 0,
                    count,
                },
            ));
            n.finish().remove(0).text
        };
        assert_eq!(lost(1), "metrics/0: 1 acknowledged record LOST");
        assert_eq!(lost(3), "metrics/0: 3 acknowledged records LOST");
        assert_eq!(
            lost(-1),
            "metrics/0: 1 lost record is back in the leader's log"
        );
        assert_eq!(
            lost(-2),
            "metrics/0: 2 lost records are back in the leader's log"
        );
    }

    #[test]
    fn produce_errors_are_summed_per_producer_and_error() {
        let mut n = Narrator::default();
        for _ in 0..3 {
            n.push(&at(
                5,
                Event::ProduceRejected {
                    producer: "p".into(),
                    topic: "t".into(),
                    partition: 0,
                    count: 2,
                    error: ErrorCode::NotEnoughReplicas,
                },
            ));
        }
        let log = n.finish();
        assert_eq!(log.len(), 1);
        assert_eq!(
            log[0].text,
            "producer p: 6 records failed (NOT_ENOUGH_REPLICAS)"
        );
    }
}
