//! The engine's snapshot in wire form, and what changed between two of them.
//!
//! A frame carries only the entities that differ from the previous frame, so a quiet cluster
//! costs a few bytes and a busy one costs its partitions, never its records.

use engine::Snapshot;
use engine::snapshot::{ConsumerView, GroupView, PartitionView, ProducerView};

use crate::wire::{self, State};

/// Cuts user text to `max` characters (not bytes, so a multi-byte key is never split).
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

fn per_second(per_hour: Option<u64>) -> Option<f64> {
    per_hour.map(|h| h as f64 / 3600.0)
}

/// The whole observable state, in wire form.
pub fn from_snapshot(s: &Snapshot) -> State {
    let mut coordinators: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    for g in &s.groups {
        if let Some(b) = g.coordinator {
            coordinators.entry(b).or_default().push(g.name.clone());
        }
    }
    State {
        brokers: s
            .brokers
            .iter()
            .map(|b| wire::Broker {
                id: b.id,
                alive: b.alive,
                fenced: b.fenced,
                coordinator_of: coordinators.remove(&b.id).unwrap_or_default(),
            })
            .collect(),
        topics: s
            .topics
            .iter()
            .map(|t| wire::Topic {
                name: t.name.clone(),
                partitions: t.partitions.len() as u32,
                replication: t.replication,
                min_insync: t.min_insync,
                unclean_election: t.unclean_election,
                compact: t.compact,
                retention_ms: t.retention_us.map(|us| us / 1000),
                acked: t.acked,
                rejected: t.rejected,
                lost: t.lost,
            })
            .collect(),
        partitions: s
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter().map(|p| partition(&t.name, p)))
            .collect(),
        producers: s.producers.iter().map(producer).collect(),
        groups: s.groups.iter().map(group).collect(),
        consumers: s.consumers.iter().map(consumer).collect(),
        network: s.network_partition.clone(),
        cuts: cuts(&s.network),
        streams: s.streams.clone(),
        // Filled by the room from its `streams_graph::ExpressionCache` (the snapshot has no Op).
        streams_exprs: Vec::new(),
        connect_systems: s
            .connect
            .systems
            .iter()
            .map(|sys| engine::connect::view::SystemView {
                newest: sys
                    .newest
                    .iter()
                    .map(|e| clip(e, wire::MAX_TEXT_CHARS))
                    .collect(),
                ..sys.clone()
            })
            .collect(),
        connect_workers: s.connect.workers.clone(),
        connectors: s
            .connect
            .connectors
            .iter()
            .map(|c| engine::connect::view::ConnectorView {
                trace: c.trace.as_deref().map(|t| clip(t, wire::MAX_TRACE_CHARS)),
                ..c.clone()
            })
            .collect(),
        connect_tasks: s
            .connect
            .tasks
            .iter()
            .map(|t| engine::connect::view::TaskView {
                trace: t.trace.as_deref().map(|t| clip(t, wire::MAX_TRACE_CHARS)),
                ..t.clone()
            })
            .collect(),
    }
}

fn cuts(n: &engine::snapshot::NetworkView) -> wire::Cuts {
    wire::Cuts {
        links: n.cut_links.clone(),
        isolated: n
            .isolated
            .iter()
            .map(|i| wire::Isolated {
                broker: i.broker,
                since_ms: i.since_us / 1000,
                fenced_at_ms: i.session_expires_us.map(|us| us / 1000),
            })
            .collect(),
        waits: n
            .waits
            .iter()
            .map(|w| wire::Wait {
                sender: clip(&w.sender, wire::MAX_TEXT_CHARS),
                sender_broker: w.sender_broker,
                what: serde_json::to_value(w.what)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                broker: w.broker,
                until_ms: w.until_us / 1000,
            })
            .collect(),
    }
}

fn partition(topic: &str, p: &PartitionView) -> wire::Partition {
    let recent = &p.tail[p.tail.len().saturating_sub(wire::RECENT_KEYS)..];
    // The log window (wire.rs, "Log shapes"): 16 offsets hold at most 16 records, all in the tail.
    let window = p
        .log_start_offset
        .max(p.log_end_offset.saturating_sub(wire::LOG_WINDOW))..p.log_end_offset;
    let in_window: Vec<_> = p
        .tail
        .iter()
        .filter(|r| window.contains(&r.offset))
        .collect();
    let mut present = in_window.iter().map(|r| r.offset).peekable();
    let gaps = window
        .clone()
        .filter(|&o| {
            let here = present.peek() == Some(&o);
            if here {
                present.next();
            }
            !here
        })
        .collect();
    wire::Partition {
        topic: topic.to_string(),
        partition: p.partition,
        replicas: p.replicas.clone(),
        isr: p.isr.clone(),
        leader: p.leader,
        leader_epoch: p.leader_epoch,
        high_watermark: p.high_watermark,
        log_end_offset: p.log_end_offset,
        log_start_offset: p.log_start_offset,
        replica_leo: p.replica_states.iter().map(|r| r.log_end_offset).collect(),
        recent: recent
            .iter()
            .map(|r| {
                let key = r.key.as_deref().map(|k| clip(k, wire::MAX_TEXT_CHARS));
                (r.offset, key)
            })
            .collect(),
        gaps,
        tombstones: in_window
            .iter()
            .filter(|r| r.value.is_none())
            .map(|r| r.offset)
            .collect(),
        segments: p
            .segment_bases
            .iter()
            .copied()
            .filter(|b| window.contains(b))
            .collect(),
        zombie_leaders: p.zombie_leaders.clone(),
    }
}

/// Every replica's log of a partition, for the replicas view (`None`: unknown partition).
pub fn replica_logs(
    cluster: &engine::Cluster,
    tp: &engine::command::TopicPartition,
) -> Option<wire::ReplicaLogs> {
    let v = cluster.replica_logs(tp, wire::REPLICA_WINDOW)?;
    Some(wire::ReplicaLogs {
        topic: tp.topic.clone(),
        partition: tp.partition,
        leader: v.leader,
        leader_epoch: v.leader_epoch,
        window_start: v.window_start,
        window_end: v.window_end,
        replicas: v
            .replicas
            .into_iter()
            .map(|r| wire::ReplicaLog {
                broker: r.broker,
                alive: r.alive,
                in_isr: r.in_isr,
                log_start_offset: r.log_start_offset,
                log_end_offset: r.log_end_offset,
                high_watermark: r.high_watermark,
                runs: r.runs,
                tombstones: r.tombstones,
                divergent: r.divergent,
                segments: r.segment_bases,
            })
            .collect(),
    })
}

fn producer(p: &ProducerView) -> wire::Producer {
    wire::Producer {
        name: p.name.clone(),
        topic: p.topic.clone(),
        acks: match p.acks {
            engine::command::Acks::Zero => "0",
            engine::command::Acks::One => "1",
            engine::command::Acks::All => "all",
        }
        .to_string(),
        running: p.running,
        stopped: p.stopped,
        rate_per_s: per_second(p.per_hour),
        buffered: p.buffered,
        in_flight: p.in_flight,
        acked: p.counts.acked,
        failed: p.counts.failed,
        retried: p.counts.retried,
        real_client: p.real_client.clone(),
        waiting_for: p.waiting_for.clone(),
    }
}

fn group(g: &GroupView) -> wire::Group {
    wire::Group {
        name: g.name.clone(),
        topics: g.topics.clone(),
        assignor: g.assignor.clone(),
        protocol: g.protocol.clone(),
        protocol_type: g.protocol_type.clone(),
        coordinator: g.coordinator,
        state: g.state.name().to_string(),
        generation: g.generation,
        leader: g.leader.clone(),
        members: g
            .members
            .iter()
            .map(|m| wire::Member {
                member: m.member.clone(),
                assignment: m.assignment.iter().map(ToString::to_string).collect(),
                real_client: m.real.then(|| m.real_client.clone().unwrap_or_default()),
                fetching: m
                    .fetching
                    .iter()
                    .map(|(tp, offset)| (tp.to_string(), *offset))
                    .collect(),
            })
            .collect(),
        offsets: g
            .offsets
            .iter()
            .map(|o| wire::GroupOffset {
                topic: o.topic.clone(),
                partition: o.partition,
                committed: o.committed,
                lag: o.lag,
            })
            .collect(),
        lag: g.lag,
        consumed: g.consumed,
        duplicates: g.duplicates,
    }
}

fn consumer(c: &ConsumerView) -> wire::Consumer {
    use engine::group::consumer::{ClientState, JoinPhase};
    wire::Consumer {
        name: c.name.clone(),
        member_id: c.member_id.clone(),
        group: c.group.clone(),
        state: match c.state {
            ClientState::Running => "running",
            ClientState::Closing => "closing",
            ClientState::Stopped => "stopped",
            ClientState::Crashed => "crashed",
        }
        .to_string(),
        phase: match c.phase {
            JoinPhase::Unjoined => "unjoined",
            JoinPhase::Committing => "committing",
            JoinPhase::Joining => "joining",
            JoinPhase::Syncing => "syncing",
            JoinPhase::Stable => "stable",
        }
        .to_string(),
        stalled: c.stalled,
        generation: c.generation,
        rate_per_s: per_second(c.per_hour),
        owned: c
            .owned
            .iter()
            .map(|o| (format!("{}/{}", o.topic, o.partition), o.position))
            .collect(),
        consumed: c.consumed,
        waiting_for: c.waiting_for.clone(),
    }
}

/// A `focus` line's targets as the page names them: the `data-entity` names of
/// static/js/entities.js (`broker:1`, `topic:orders`, `partition:orders/0`, `producer:shop`,
/// `group:billing`, `consumer:billing-1`), plus `replicas:orders/0` (that partition's replicas
/// view), `records:orders` (the topic's newest records) and `metrics` (the metrics panel); Connect's `worker:w1`, `connector:jdbc`,
/// `connect-task:jdbc-0` and `system:orders`. Empty: the whole cluster.
pub fn focus(targets: &[engine::scenario::FocusTarget]) -> Vec<String> {
    use engine::scenario::FocusTarget as F;
    targets
        .iter()
        .map(|t| match t {
            F::Broker(id) => format!("broker:{id}"),
            F::Topic(name) => format!("topic:{name}"),
            F::Partition(tp) => format!("partition:{tp}"),
            F::Replicas(tp) => format!("replicas:{tp}"),
            F::Records(topic) => format!("records:{topic}"),
            F::Producer(name) => format!("producer:{name}"),
            F::Group(name) => format!("group:{name}"),
            F::Consumer(name) => format!("consumer:{name}"),
            F::Metrics => "metrics".to_string(),
            F::Clients => "clients".to_string(),
            F::App(name) => format!("app:{name}"),
            F::Store { app, store } => format!("store:{app}/{store}"),
            F::Task { app, task } => format!("task:{app}/{task}"),
            F::Worker(name) => format!("worker:{name}"),
            F::Connector(name) => format!("connector:{name}"),
            F::ConnectTask { connector, id } => format!("connect-task:{connector}-{id}"),
            F::System(name) => format!("system:{name}"),
        })
        .collect()
}

/// How many partitions' offsets changed between `shown` and `now`.
pub fn busy_partitions(shown: &State, now: &State) -> usize {
    now.partitions
        .iter()
        .zip(&shown.partitions)
        .filter(|(a, b)| {
            a.log_end_offset != b.log_end_offset || a.high_watermark != b.high_watermark
        })
        .count()
}

/// How many frames a deferred partition's offsets wait at most: with 3, each partition's offsets
/// go out in one frame of three.
pub const DEFER_ROUNDS: u64 = 3;

/// Keeps, in `now`, the previous state of the partitions not in this round (`round` =
/// index mod [`DEFER_ROUNDS`]) whose only change is their offsets, so they go out in a later frame.
pub fn defer_offsets(shown: &State, now: &mut State, round: u64) {
    for (i, p) in now.partitions.iter_mut().enumerate() {
        if i as u64 % DEFER_ROUNDS == round % DEFER_ROUNDS {
            continue;
        }
        let Some(old) = shown.partitions.get(i) else {
            continue;
        };
        let same_structure = old.topic == p.topic
            && old.partition == p.partition
            && old.leader == p.leader
            && old.leader_epoch == p.leader_epoch
            && old.isr == p.isr
            && old.replicas == p.replicas
            && old.log_start_offset == p.log_start_offset;
        if same_structure {
            p.clone_from(old);
        }
    }
}

/// What a frame says about the state: for every entity that changed since `before`, its key
/// fields plus only the fields that differ (a new entity comes whole). Lists without changes
/// are left out; `network` is always there. The browser merges each patch into its entity.
///
/// A partition's `recent` list is itself a delta: only the records newer than the ones the
/// previous frame showed, so a busy partition costs a few keys per frame, not sixteen.
pub fn patch(before: &State, now: &State) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::{Map, Value};

    fn entities<T: serde::Serialize + PartialEq>(
        before: &[T],
        now: &[T],
        keys: &[&str],
        same: impl Fn(&T, &T) -> bool,
        refine: impl Fn(&T, &T, &mut Map<String, Value>),
    ) -> Vec<Value> {
        let mut out = Vec::new();
        for (i, item) in now.iter().enumerate() {
            let old = match before.get(i) {
                Some(old) if same(old, item) => Some(old),
                _ => before.iter().find(|old| same(old, item)),
            };
            let Some(old) = old else {
                out.push(serde_json::to_value(item).expect("DTOs serialise"));
                continue;
            };
            if old == item {
                continue;
            }
            let (Value::Object(old_fields), Value::Object(new_fields)) = (
                serde_json::to_value(old).expect("DTOs serialise"),
                serde_json::to_value(item).expect("DTOs serialise"),
            ) else {
                unreachable!("entities are structs");
            };
            let mut fields = Map::new();
            for (name, value) in new_fields {
                if keys.contains(&name.as_str()) || old_fields.get(&name) != Some(&value) {
                    fields.insert(name, value);
                }
            }
            refine(old, item, &mut fields);
            out.push(Value::Object(fields));
        }
        out
    }

    fn nothing<T>(_: &T, _: &T, _: &mut Map<String, Value>) {}
    let mut state = Map::new();
    let mut put = |name: &str, list: Vec<Value>| {
        if !list.is_empty() {
            state.insert(name.to_string(), Value::Array(list));
        }
    };
    put(
        "brokers",
        entities(
            &before.brokers,
            &now.brokers,
            &["id"],
            |a, b| a.id == b.id,
            nothing,
        ),
    );
    put(
        "topics",
        entities(
            &before.topics,
            &now.topics,
            &["name"],
            |a, b| a.name == b.name,
            nothing,
        ),
    );
    // Frames only patch or add entities; a deleted topic (`topic delete`) must leave the page,
    // so its name is listed, and the browser drops the topic and its partitions.
    put(
        "removed_topics",
        before
            .topics
            .iter()
            .filter(|t| !now.topics.iter().any(|n| n.name == t.name))
            .map(|t| Value::String(t.name.clone()))
            .collect(),
    );
    put(
        "partitions",
        entities(
            &before.partitions,
            &now.partitions,
            &["topic", "partition"],
            |a, b| a.topic == b.topic && a.partition == b.partition,
            |old, new, fields| {
                if fields.contains_key("recent") {
                    let shown = old.recent.last().map(|(offset, _)| *offset);
                    let fresh: Vec<_> = new
                        .recent
                        .iter()
                        .filter(|(offset, _)| shown.is_none_or(|s| *offset > s))
                        .collect();
                    let fresh = &fresh[fresh.len().saturating_sub(wire::RECENT_KEYS_PER_FRAME)..];
                    fields.insert(
                        "recent".to_string(),
                        serde_json::to_value(fresh).expect("DTOs serialise"),
                    );
                }
            },
        ),
    );
    put(
        "producers",
        entities(
            &before.producers,
            &now.producers,
            &["name"],
            |a, b| a.name == b.name,
            nothing,
        ),
    );
    put(
        "groups",
        entities(
            &before.groups,
            &now.groups,
            &["name"],
            |a, b| a.name == b.name,
            nothing,
        ),
    );
    put(
        "streams",
        entities(
            &before.streams,
            &now.streams,
            &["name"],
            |a, b| a.name == b.name,
            nothing,
        ),
    );
    put(
        "streams_exprs",
        entities(
            &before.streams_exprs,
            &now.streams_exprs,
            &["app"],
            |a, b| a.app == b.app,
            nothing,
        ),
    );
    put(
        "connect_systems",
        entities(
            &before.connect_systems,
            &now.connect_systems,
            &["name"],
            |a, b| a.name == b.name,
            nothing,
        ),
    );
    put(
        "connect_workers",
        entities(
            &before.connect_workers,
            &now.connect_workers,
            &["name"],
            |a, b| a.name == b.name,
            nothing,
        ),
    );
    put(
        "connectors",
        entities(
            &before.connectors,
            &now.connectors,
            &["name"],
            |a, b| a.name == b.name,
            nothing,
        ),
    );
    put(
        "connect_tasks",
        entities(
            &before.connect_tasks,
            &now.connect_tasks,
            &["connector", "id"],
            |a, b| a.connector == b.connector && a.id == b.id,
            nothing,
        ),
    );
    put(
        "consumers",
        entities(
            &before.consumers,
            &now.consumers,
            &["name"],
            |a, b| a.name == b.name,
            nothing,
        ),
    );
    state.insert(
        "network".to_string(),
        serde_json::to_value(&now.network).expect("DTOs serialise"),
    );
    state.insert(
        "cuts".to_string(),
        serde_json::to_value(&now.cuts).expect("DTOs serialise"),
    );
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("héllo", 10), "héllo");
        assert_eq!(clip("ééééé", 2), "éé…");
    }

    #[test]
    fn a_patch_carries_keys_and_changed_fields_only() {
        let mut cluster = engine::Cluster::new(1);
        let setup = engine::scenario::parser::parse(
            "t",
            "brokers 3\ntopic create t partitions=2 replication=3\nproducer add p topic=t rate=10/s key=k\n",
        )
        .unwrap();
        for step in &setup.steps {
            if let engine::scenario::Action::Cluster(c) = &step.action {
                cluster.apply(c.clone()).unwrap();
            }
        }
        cluster.advance_to(1_000_000);
        let before = from_snapshot(&cluster.snapshot());
        assert_eq!(
            patch(&before, &before).len(),
            2,
            "only network and cuts: nothing changed"
        );
        cluster
            .apply(engine::Command::BrokerKill { broker: 2 })
            .unwrap();
        cluster.advance_to(1_500_000);
        let now = from_snapshot(&cluster.snapshot());
        let diff = patch(&before, &now);
        let brokers = diff["brokers"].as_array().unwrap();
        assert_eq!(brokers.len(), 1);
        assert_eq!(brokers[0], serde_json::json!({"id": 2, "alive": false}));
        // The keyed producer writes one partition: only it changed, and its patch names it.
        let partitions = diff["partitions"].as_array().unwrap();
        assert_eq!(partitions.len(), 1, "{partitions:?}");
        let p = partitions[0].as_object().unwrap();
        assert!(p.contains_key("topic") && p.contains_key("partition"));
        assert!(p.contains_key("log_end_offset"));
        assert!(
            !p.contains_key("replicas"),
            "unchanged fields stay out: {p:?}"
        );
        // `recent` carries only the records after those shown before.
        let shown = before
            .partitions
            .iter()
            .find(|q| q.partition == p["partition"])
            .unwrap();
        let last = shown.recent.last().unwrap().0;
        for entry in p["recent"].as_array().unwrap() {
            assert!(entry[0].as_u64().unwrap() > last);
        }
    }

    /// Lesson 9's table: after the cleaner ran, the wire's gaps are exactly the offsets the
    /// leader's log lost, and the tombstone is marked.
    #[test]
    fn a_compacted_log_goes_out_with_its_gaps_and_tombstones() {
        let mut cluster = engine::Cluster::new(9);
        let setup = engine::scenario::parser::parse(
            "t",
            "brokers 3\ntopic create vip partitions=1 replication=3 cleanup=compact segment=10s\n\
             produce vip key=Allison value=Bronze\nproduce vip key=Rick value=Silver\n\
             produce vip key=Rick value=Platinum\nproduce vip key=Hugh value=Gold\n\
             produce vip key=Hugh\nat 12s produce vip key=Zoe value=Bronze\n",
        )
        .unwrap();
        for step in &setup.steps {
            if let Some(at) = step.at {
                cluster.advance_to(at);
            }
            if let engine::scenario::Action::Cluster(c) = &step.action {
                cluster.apply(c.clone()).unwrap();
            }
        }
        cluster.advance_to(40_000_000);
        let tp = engine::command::TopicPartition {
            topic: "vip".into(),
            partition: 0,
        };
        let view = cluster.partition_snapshot(&tp).unwrap();
        let held: Vec<u64> = view.tail.iter().map(|r| r.offset).collect();
        assert!(
            held.len() < view.log_end_offset as usize,
            "the cleaner ran: {held:?}"
        );
        let wire = from_snapshot(&cluster.snapshot()).partitions.remove(0);
        let missing: Vec<u64> = (view.log_start_offset..view.log_end_offset)
            .filter(|o| !held.contains(o))
            .collect();
        assert_eq!(wire.gaps, missing);
        let nulls: Vec<u64> = view
            .tail
            .iter()
            .filter(|r| r.value.is_none())
            .map(|r| r.offset)
            .collect();
        assert_eq!(wire.tombstones, nulls);
        assert!(!nulls.is_empty());
        // Every replica is in sync: nothing diverges from the leader.
        let logs = replica_logs(&cluster, &tp).unwrap();
        assert_eq!(logs.replicas.len(), 3);
        assert!(logs.replicas.iter().all(|r| r.divergent.is_empty()));
        let present: u64 = logs.replicas[0].runs.iter().map(|(a, b, _)| b - a).sum();
        assert_eq!(present, held.len() as u64);
    }

    /// Connect on the wire: systems carry a bounded tail, a task names its worker (the only
    /// placement), a crashed standalone worker's tasks go out UNASSIGNED with no worker, and a
    /// task's patch is keyed by connector and id.
    #[test]
    fn connect_goes_out_bounded_with_placement_on_the_tasks() {
        let mut cluster = engine::Cluster::new(3);
        let setup = engine::scenario::parser::parse(
            "t",
            "brokers 3\ntopic create lines partitions=2 replication=3\n\
             system file in.txt rate=20/s\nsystem file out.txt\nworker add w1\n\
             connector create src worker=w1 connector.class=FileStreamSource file=in.txt topic=lines\n\
             connector create sink worker=w1 connector.class=FileStreamSink file=out.txt topics=lines tasks.max=2\n",
        )
        .unwrap();
        for step in &setup.steps {
            if let engine::scenario::Action::Cluster(c) = &step.action {
                cluster.apply(c.clone()).unwrap();
            }
        }
        cluster.advance_to(10_000_000);
        let before = from_snapshot(&cluster.snapshot());
        let input = &before.connect_systems[0];
        assert_eq!(input.name, "in.txt");
        assert_eq!(
            input.size,
            cluster.connect().system("in.txt").unwrap().len() as u64
        );
        assert!(input.size > engine::connect::view::SYSTEM_NEWEST as u64);
        assert_eq!(input.newest.len(), engine::connect::view::SYSTEM_NEWEST);
        assert_eq!(
            input.newest[0],
            cluster
                .connect()
                .system("in.txt")
                .unwrap()
                .lines()
                .last()
                .unwrap()
        );
        assert_eq!(before.connect_tasks.len(), 3);
        for t in &before.connect_tasks {
            assert_eq!(t.worker.as_deref(), Some("w1"), "{t:?}");
        }
        let sink_written: u64 = before
            .connect_tasks
            .iter()
            .filter(|t| t.connector == "sink")
            .map(|t| t.records)
            .sum();
        assert_eq!(
            sink_written,
            cluster.connect().counters("sink").unwrap().written
        );
        cluster
            .apply(engine::Command::Connect(
                engine::connect::ConnectCommand::WorkerCrash { name: "w1".into() },
            ))
            .unwrap();
        let now = from_snapshot(&cluster.snapshot());
        for t in &now.connect_tasks {
            assert_eq!(t.worker, None);
            assert_eq!(t.state, engine::connect::State::Unassigned);
        }
        let diff = patch(&before, &now);
        let tasks = diff["connect_tasks"].as_array().unwrap();
        assert_eq!(tasks.len(), 3);
        assert!(
            tasks
                .iter()
                .all(|t| t.get("connector").is_some() && t.get("id").is_some())
        );
        // The worker's patch carries what changed: down, and by a crash (the page draws a
        // crash differently from a clean stop).
        assert_eq!(
            diff["connect_workers"][0],
            serde_json::json!({"name": "w1", "alive": false, "crashed": true})
        );
    }

    #[test]
    fn deferred_partitions_keep_their_old_offsets_but_never_an_old_leader() {
        let part = |partition: u32, leo: u64, leader: u32| wire::Partition {
            topic: "t".into(),
            partition,
            replicas: vec![1, 2, 3],
            isr: vec![1, 2, 3],
            leader: Some(leader),
            leader_epoch: 0,
            high_watermark: leo,
            log_end_offset: leo,
            log_start_offset: 0,
            replica_leo: vec![leo; 3],
            recent: vec![],
            gaps: vec![],
            tombstones: vec![],
            segments: vec![],
            zombie_leaders: vec![],
        };
        let shown = State {
            partitions: vec![part(0, 10, 1), part(1, 10, 2), part(2, 10, 3)],
            ..State::default()
        };
        let mut now = State {
            partitions: vec![part(0, 20, 1), part(1, 20, 2), part(2, 20, 1)],
            ..State::default()
        };
        assert_eq!(busy_partitions(&shown, &now), 3);
        defer_offsets(&shown, &mut now, 0);
        // Round 0 sends partition 0; partition 1 waits; partition 2 changed leader: sent now.
        assert_eq!(now.partitions[0].log_end_offset, 20);
        assert_eq!(now.partitions[1].log_end_offset, 10);
        assert_eq!(now.partitions[2].log_end_offset, 20);
        assert_eq!(now.partitions[2].leader, Some(1));
    }
}
