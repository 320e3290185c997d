//! The whole observable state at one instant, for a viewer that joins (or falls behind). Engine
//! types stay inside the engine: the server turns this into its own wire format.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::cluster::Cluster;
use crate::time::Micros;

/// How many of each partition's latest records a snapshot carries.
pub const SNAPSHOT_TAIL_RECORDS: usize = 64;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Snapshot {
    pub now_us: Micros,
    pub brokers: Vec<BrokerView>,
    pub topics: Vec<TopicView>,
    pub producers: Vec<ProducerView>,
    pub groups: Vec<GroupView>,
    pub consumers: Vec<ConsumerView>,
    pub network_partition: Option<(Vec<u32>, Vec<u32>)>,
    /// What the network cannot carry now, and who waits because of it.
    pub network: NetworkView,
    /// Kafka Streams applications.
    pub streams: Vec<StreamsAppView>,
    /// Kafka Connect: systems, workers, connectors, tasks (`connect/view.rs`).
    pub connect: crate::connect::view::ConnectView,
}

/// The cuts in force: `network partition` and `network isolate`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NetworkView {
    /// Broker↔broker links that carry nothing, as (lower id, higher id), in order.
    pub cut_links: Vec<(u32, u32)>,
    /// Brokers cut off from everyone, the controller and the clients included.
    pub isolated: Vec<IsolatedView>,
    /// Senders waiting for the timeout of a request a cut swallowed (`lost.rs`), by request id.
    pub waits: Vec<WaitView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IsolatedView {
    pub broker: u32,
    pub since_us: Micros,
    /// When the controller's session for it expires and it is fenced; `None` once fenced (or
    /// when it is down).
    pub session_expires_us: Option<Micros>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WaitView {
    /// `broker 2`, or the client's name.
    pub sender: String,
    /// The sender, when it is a broker (a follower fetching).
    pub sender_broker: Option<u32>,
    pub what: crate::lost::Waiting,
    /// The broker the lost request went to.
    pub broker: u32,
    /// When the sender's timeout ends the wait.
    pub until_us: Micros,
}

/// A consumer group as its coordinator describes it (`kafka-consumer-groups --describe`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupView {
    pub name: String,
    pub topics: Vec<String>,
    /// The consumers' assignor; a Connect cluster's group: the protocol of its generation
    /// (`sessioned`, …).
    pub assignor: String,
    /// `eager` or `cooperative`.
    pub protocol: String,
    /// `consumer` or `connect`.
    pub protocol_type: String,
    pub coordinator: Option<u32>,
    pub state: crate::group::GroupState,
    pub generation: i32,
    pub leader: Option<String>,
    pub members: Vec<MemberView>,
    pub offsets: Vec<GroupOffsetView>,
    pub lag: u64,
    pub consumed: u64,
    /// Records some member processed again (see `Group::duplicates`).
    pub duplicates: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MemberView {
    pub member: String,
    /// The partitions of the member's assignment in the current generation.
    pub assignment: Vec<crate::command::TopicPartition>,
    /// A real Kafka client's member (`client::external_group`): its `client.id` while its
    /// connection is open, else `None` with `real` still true.
    pub real_client: Option<String>,
    pub real: bool,
    /// A real client's member: for each partition of its assignment, the offset its client
    /// last asked to fetch (its position as the brokers see it), while it is connected.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fetching: Vec<(crate::command::TopicPartition, u64)>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupOffsetView {
    pub topic: String,
    pub partition: u32,
    pub committed: u64,
    pub lag: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConsumerView {
    pub name: String,
    /// The member id the coordinator knows this process by (`NAME~N` once restarted).
    pub member_id: String,
    pub group: String,
    pub state: crate::group::consumer::ClientState,
    pub phase: crate::group::consumer::JoinPhase,
    pub stalled: bool,
    pub generation: i32,
    pub per_hour: Option<u64>,
    /// What the consumer holds now, with its position (next offset to process).
    pub owned: Vec<OwnedView>,
    pub consumed: u64,
    /// Brokers it cannot reach that its partitions wait to fetch from (`connection.rs`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_for: Vec<u32>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OwnedView {
    pub topic: String,
    pub partition: u32,
    pub position: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BrokerView {
    pub id: u32,
    pub alive: bool,
    pub fenced: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TopicView {
    pub name: String,
    pub partitions: Vec<PartitionView>,
    pub replication: u32,
    pub min_insync: u32,
    pub unclean_election: bool,
    pub compact: bool,
    pub retention_us: Option<Micros>,
    pub acked: u64,
    pub rejected: u64,
    pub lost: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartitionView {
    pub partition: u32,
    pub replicas: Vec<u32>,
    pub isr: Vec<u32>,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub high_watermark: u64,
    pub log_end_offset: u64,
    pub log_start_offset: u64,
    pub replica_states: Vec<ReplicaView>,
    /// The leader's latest records.
    pub tail: Vec<RecordView>,
    /// Base offsets of the leader's segments that start within its last
    /// [`SNAPSHOT_TAIL_RECORDS`] offsets (older bases are not drawn), oldest first.
    pub segment_bases: Vec<u64>,
    /// Brokers that still believe they lead while the controller cannot hear them or has
    /// elected another leader (`Cluster::zombie_leaders`).
    pub zombie_leaders: Vec<u32>,
}

/// One replica's log within a window of offsets, as the replicas view draws it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplicaLogView {
    pub broker: u32,
    /// The broker's process runs (a dead broker keeps its log on disk).
    pub alive: bool,
    pub in_isr: bool,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub high_watermark: u64,
    /// The offsets this replica holds in the window, as runs `(first, end, epoch)`: offsets
    /// `first..end` are all present and were written in leader epoch `epoch`. Offsets between runs
    /// are absent (compacted away, or beyond this replica's log end).
    pub runs: Vec<(u64, u64, u32)>,
    /// Offsets in the window whose record has a null value (a tombstone).
    pub tombstones: Vec<u64>,
    /// Offsets in the window whose record the partition's leader does not hold at that offset in
    /// the same leader epoch (a divergent tail, which this replica truncates when it next
    /// fetches), each with whether it was acknowledged to its producer (then it is lost when
    /// truncated).
    pub divergent: Vec<(u64, bool)>,
    /// Base offsets of this replica's segments within the window.
    pub segment_bases: Vec<u64>,
}

/// Every replica's log of a partition in one window of offsets, leader first.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplicaLogsView {
    /// The window is `window_start..window_end`: it ends at the largest log end offset of the
    /// replicas, so a divergent tail longer than the leader's log is in it too.
    pub window_start: u64,
    pub window_end: u64,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub replicas: Vec<ReplicaLogView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplicaView {
    pub broker: u32,
    pub log_end_offset: u64,
    pub high_watermark: u64,
    pub log_start_offset: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordView {
    pub offset: u64,
    pub key: Option<String>,
    pub value: Option<String>,
    pub timestamp_us: Micros,
    pub leader_epoch: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProducerView {
    pub name: String,
    pub topic: String,
    pub acks: crate::command::Acks,
    /// Sending at its rate (or ready to: a producer without a rate writes nothing).
    pub running: bool,
    /// Stopped for good: `producer stop`, or its process died (a Streams thread's crash). Not
    /// sending like a paused producer, but nothing starts it again: the scenario language has
    /// no `producer start` and refuses `resume` and `rate` for it. False for a real client,
    /// whose program may connect again.
    pub stopped: bool,
    pub per_hour: Option<u64>,
    pub buffered: usize,
    pub in_flight: usize,
    /// Records acknowledged, failed and retried so far.
    pub counts: crate::producer::ProducerCounts,
    /// A real Kafka client's entry for one topic (`client::external`): its `client.id` (with a
    /// number after the second of one name); `running` while its connection is open.
    pub real_client: Option<String>,
    /// Brokers it cannot reach that its batches wait for: a leader whose connection broke,
    /// retried on the reconnect backoff (`connection.rs`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting_for: Vec<u32>,
}

impl Cluster {
    pub fn snapshot(&self) -> Snapshot {
        let brokers = self
            .brokers
            .iter()
            .map(|b| BrokerView {
                id: b.id,
                alive: b.alive,
                fenced: b.fenced,
            })
            .collect();
        let topics = self
            .topics
            .values()
            .map(|t| TopicView {
                name: t.name.clone(),
                replication: t.config.replication,
                min_insync: t.config.min_insync,
                unclean_election: t.config.unclean_election,
                compact: t.config.compact,
                retention_us: t.config.retention_us,
                acked: t.acked,
                rejected: t.rejected,
                lost: t.lost,
                partitions: t
                    .slots
                    .iter()
                    .map(|&slot| self.partition_view(slot))
                    .collect(),
            })
            .collect();
        let producers = self
            .producers
            .iter()
            .enumerate()
            .filter(|(_, p)| p.display_name != "console")
            .map(|(i, p)| ProducerView {
                name: p.name.clone(),
                topic: p.topic.clone(),
                acks: p.acks,
                // A real client's entry never generates records (`running` is false): it is
                // running while the client's connection is open.
                running: match p.external {
                    Some(_) => self.external_entry_connected(i as u32),
                    None => p.running,
                },
                stopped: p.external.is_none() && !p.running && !p.paused,
                per_hour: p.rate.map(|r| r.per_hour),
                buffered: p.buffered,
                in_flight: p.in_flight.len(),
                counts: p.counts,
                real_client: p.external.map(|_| p.display_name.clone()),
                waiting_for: sorted(p.waiting_for()),
            })
            .collect();
        let groups = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let offsets: Vec<GroupOffsetView> = g
                    .committed
                    .iter()
                    .map(|(tp, &c)| GroupOffsetView {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                        committed: c,
                        lag: self.high_watermark(tp).map_or(0, |hw| hw.saturating_sub(c)),
                    })
                    .collect();
                // A Connect cluster's workers speak the `connect` protocol.
                let connect = self.connect_group_protocol(i as u32);
                GroupView {
                    name: g.name.clone(),
                    topics: crate::group::query::described_topics(g),
                    // A Streams application's group speaks the `stream` protocol.
                    assignor: if let Some(mode) = connect {
                        mode.protocol().to_string()
                    } else if self
                        .streams
                        .iter()
                        .any(|a| self.groups[a.group as usize].name == g.name)
                    {
                        "stream".to_string()
                    } else {
                        // The protocol the coordinator selected for this generation, as
                        // DescribeGroups answers it: the assignor the members chose (a real
                        // client's: kafkajs's `RoundRobinAssigner`, librdkafka's `range`…);
                        // before any generation, the one `group add` gave its consumers.
                        g.protocol.clone().unwrap_or_else(|| {
                            g.client.partition_assignment_strategy.name().to_string()
                        })
                    },
                    protocol: if connect.map_or_else(
                        || {
                            g.client
                                .partition_assignment_strategy
                                .supports_cooperative()
                        },
                        |mode| mode.incremental_cooperative(),
                    ) {
                        "cooperative"
                    } else {
                        "eager"
                    }
                    .to_string(),
                    protocol_type: if connect.is_some() {
                        "connect"
                    } else {
                        crate::group::consumer_protocol::PROTOCOL_TYPE
                    }
                    .to_string(),
                    coordinator: g.coordinator,
                    state: g.state,
                    generation: g.generation,
                    leader: g.leader.clone(),
                    members: g
                        .members
                        .values()
                        .map(|m| {
                            let real = crate::client::external_group::external_of(m.consumer);
                            let assignment = crate::group::query::described_assignment(g, m);
                            let real_client = real.and_then(|c| self.external_client_name(c));
                            let fetching = real_client
                                .as_deref()
                                .map(|name| {
                                    assignment
                                        .iter()
                                        .filter_map(|tp| {
                                            self.external_fetch_offset(name, tp)
                                                .map(|o| (tp.clone(), o))
                                        })
                                        .collect()
                                })
                                .unwrap_or_default();
                            MemberView {
                                member: m.id.clone(),
                                assignment,
                                real_client,
                                real: real.is_some(),
                                fetching,
                            }
                        })
                        .collect(),
                    lag: offsets.iter().map(|o| o.lag).sum(),
                    offsets,
                    consumed: g.consumed.values().sum(),
                    duplicates: g.duplicates,
                }
            })
            .collect();
        let consumers = self
            .consumers
            .iter()
            .map(|c| ConsumerView {
                name: c.name.clone(),
                member_id: c.member_id.clone(),
                group: self.groups[c.group as usize].name.clone(),
                state: c.state,
                phase: c.phase,
                stalled: c.stalled,
                generation: c.generation,
                per_hour: c.application.rate().map(|r| r.per_hour),
                // A crashed consumer the group has removed holds nothing, even though its dead
                // process still lists its partitions: never two owners on screen.
                owned: c
                    .owned
                    .iter()
                    .filter(|_| self.still_holds(c))
                    .map(|(tp, p)| OwnedView {
                        topic: tp.topic.clone(),
                        partition: tp.partition,
                        position: p.position,
                    })
                    .collect(),
                consumed: c.consumed,
                waiting_for: sorted(c.waiting_for()),
            })
            .collect();
        Snapshot {
            now_us: self.now,
            brokers,
            topics,
            producers,
            groups,
            consumers,
            network_partition: self.network.sides.clone(),
            network: self.network_view(),
            streams: self.streams_views(),
            connect: self.connect_view(),
        }
    }

    fn network_view(&self) -> NetworkView {
        let isolated = self
            .network
            .isolated()
            .map(|(broker, since_us)| {
                let b = self.broker(broker);
                IsolatedView {
                    broker,
                    since_us,
                    session_expires_us: (b.alive && !b.fenced)
                        .then(|| self.session_deadline(broker, since_us)),
                }
            })
            .collect();
        let waits = self
            .lost_request_waits()
            .map(|l| WaitView {
                sender: self.node_name(l.sender),
                sender_broker: match l.sender {
                    crate::net::Node::Broker(b) => Some(b),
                    _ => None,
                },
                what: l.what,
                broker: l.broker,
                until_us: l.until,
            })
            .collect();
        NetworkView {
            cut_links: self.network.cut_links(self.brokers.len() as u32),
            isolated,
            waits,
        }
    }

    /// One partition as a snapshot shows it (with its tail of records), for a details panel.
    pub fn partition_snapshot(&self, tp: &crate::command::TopicPartition) -> Option<PartitionView> {
        self.slot_of(tp).map(|slot| self.partition_view(slot))
    }

    /// The record at `offset` in the partition's leader log (the last leader's when there is
    /// none), if that log still holds it.
    pub fn record_at(
        &self,
        tp: &crate::command::TopicPartition,
        offset: u64,
    ) -> Option<RecordView> {
        let slot = self.slot_of(tp)?;
        let broker = self.partitions[slot as usize].view_broker?;
        let e = self.broker(broker).replicas[&slot].log.entry_at(offset)?;
        Some(RecordView {
            offset: e.offset,
            key: self.key_text(e.id).map(str::to_owned),
            value: self.value_text(e.id),
            timestamp_us: self.record_timestamp(e.id),
            leader_epoch: e.epoch,
        })
    }

    fn partition_view(&self, slot: u32) -> PartitionView {
        let meta = &self.partitions[slot as usize];
        let view = meta.view_broker.map(|b| &self.broker(b).replicas[&slot]);
        let replica_states = meta
            .replicas
            .iter()
            .map(|&b| {
                let r = &self.broker(b).replicas[&slot];
                ReplicaView {
                    broker: b,
                    log_end_offset: r.log.log_end_offset(),
                    high_watermark: r.high_watermark,
                    log_start_offset: r.log.log_start_offset(),
                }
            })
            .collect();
        let tail = view
            .map(|r| {
                let mut tail: Vec<_> = r.log.entries().rev().take(SNAPSHOT_TAIL_RECORDS).collect();
                tail.reverse();
                tail.into_iter()
                    .map(|e| RecordView {
                        offset: e.offset,
                        key: self.key_text(e.id).map(str::to_owned),
                        value: self.value_text(e.id),
                        timestamp_us: self.record_timestamp(e.id),
                        leader_epoch: e.epoch,
                    })
                    .collect()
            })
            .unwrap_or_default();
        PartitionView {
            partition: meta.tp.partition,
            replicas: meta.replicas.clone(),
            isr: meta.isr.clone(),
            leader: meta.leader,
            leader_epoch: meta.leader_epoch,
            high_watermark: view.map_or(0, |r| r.high_watermark),
            log_end_offset: view.map_or(0, |r| r.log.log_end_offset()),
            log_start_offset: view.map_or(0, |r| r.log.log_start_offset()),
            replica_states,
            tail,
            segment_bases: view
                .map(|r| {
                    let leo = r.log.log_end_offset();
                    let from = leo.saturating_sub(SNAPSHOT_TAIL_RECORDS as u64);
                    r.log
                        .segments()
                        .iter()
                        .map(|s| s.base_offset)
                        .filter(|&b| b >= from)
                        .collect()
                })
                .unwrap_or_default(),
            zombie_leaders: self.zombie_leaders(slot),
        }
    }

    /// Every replica's log of a partition in the last `width` offsets (ending at the largest log
    /// end offset of its replicas), leader first, then in assignment order. `None` for an unknown
    /// partition.
    pub fn replica_logs(
        &self,
        tp: &crate::command::TopicPartition,
        width: u64,
    ) -> Option<ReplicaLogsView> {
        let slot = self.slot_of(tp)?;
        let meta = &self.partitions[slot as usize];
        let log_of = |b: u32| &self.broker(b).replicas[&slot];
        let window_end = meta
            .replicas
            .iter()
            .map(|&b| log_of(b).log.log_end_offset())
            .max()
            .unwrap_or(0);
        let window_start = window_end.saturating_sub(width);
        // The reference log: the leader's, or the last leader's while there is none.
        let reference = meta.view_broker.map(|b| &log_of(b).log);
        let mut order: Vec<u32> = meta.leader.into_iter().collect();
        order.extend(meta.replicas.iter().filter(|&&b| Some(b) != meta.leader));
        let replicas = order
            .into_iter()
            .map(|b| {
                let r = log_of(b);
                let mut runs: Vec<(u64, u64, u32)> = Vec::new();
                let mut tombstones = Vec::new();
                let mut divergent = Vec::new();
                for e in r.log.range(window_start, window_end) {
                    match runs.last_mut() {
                        Some(run) if run.1 == e.offset && run.2 == e.epoch => run.1 += 1,
                        _ => runs.push((e.offset, e.offset + 1, e.epoch)),
                    }
                    if self.store.is_null_value(e.id) {
                        tombstones.push(e.offset);
                    }
                    // Kafka truncates by leader epoch (KIP-101/279): a record the leader holds
                    // at this offset in another epoch goes too, even the same record retried.
                    let same = reference
                        .and_then(|l| l.entry_at(e.offset))
                        .is_some_and(|le| le.id == e.id && le.epoch == e.epoch);
                    if !same {
                        divergent.push((e.offset, self.store.is_acked(e.id)));
                    }
                }
                ReplicaLogView {
                    broker: b,
                    alive: self.broker(b).alive,
                    in_isr: meta.isr.contains(&b),
                    log_start_offset: r.log.log_start_offset(),
                    log_end_offset: r.log.log_end_offset(),
                    high_watermark: r.high_watermark,
                    runs,
                    tombstones,
                    divergent,
                    segment_bases: r
                        .log
                        .segments()
                        .iter()
                        .map(|s| s.base_offset)
                        .filter(|&o| o >= window_start && o < window_end.max(window_start + 1))
                        .collect(),
                }
            })
            .collect();
        Some(ReplicaLogsView {
            window_start,
            window_end,
            leader: meta.leader,
            leader_epoch: meta.leader_epoch,
            replicas,
        })
    }
}

/// Most store entries a snapshot carries per store (the newest by timestamp).
pub const SNAPSHOT_STORE_ENTRIES: usize = 32;

/// A Kafka Streams application: its topology as `Topology.describe()` gives it, its instances,
/// threads and tasks, its stores' newest entries and its counters (`streams/runtime`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StreamsAppView {
    pub name: String,
    /// The consumer group (`application.id`).
    pub group: String,
    pub commit_interval_us: Micros,
    /// `Topology.describe()`'s text.
    pub description: String,
    pub subtopologies: Vec<SubtopologyView>,
    /// Every node, in the order Kafka's builder wrote them.
    pub nodes: Vec<NodeView>,
    pub stores: Vec<StoreView>,
    pub internal_topics: Vec<InternalTopicView>,
    pub instances: Vec<StreamsInstanceView>,
    /// Active tasks, by task id.
    pub tasks: Vec<StreamsTaskView>,
    pub counters: crate::streams::runtime::AppCounters,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SubtopologyView {
    pub id: u32,
    /// Node names, in write order.
    pub nodes: Vec<String>,
    pub source_topics: Vec<String>,
    pub sink_topics: Vec<String>,
    pub stores: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NodeView {
    pub name: String,
    /// `source`, `processor` or `sink`.
    pub kind: &'static str,
    /// The topics a source reads or the topic a sink writes.
    pub topics: Vec<String>,
    pub stores: Vec<String>,
    /// Successor node names.
    pub successors: Vec<String>,
    /// The sub-topology it belongs to (`None` for a global store's nodes).
    pub subtopology: Option<u32>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoreView {
    pub name: String,
    /// `key-value` or `window`.
    pub kind: &'static str,
    pub changelog: Option<String>,
    /// Entries over all active tasks, as an interactive query reads them (the record cache
    /// first, then the store).
    pub size: u64,
    /// The newest entries (by timestamp, then key), at most [`SNAPSHOT_STORE_ENTRIES`].
    pub newest: Vec<StoreEntryView>,
    /// A windowed aggregation's store: per task id, the processor's observed stream time in
    /// microseconds (`None` before its first record), which decides what is closed. Empty for
    /// other stores.
    pub stream_time_us: BTreeMap<String, Option<Micros>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StoreEntryView {
    pub task: String,
    pub key: Option<String>,
    pub value: Option<String>,
    pub timestamp_us: Micros,
    /// A windowed aggregation's window that has closed (its end plus grace is behind the
    /// processor's stream time): it takes no more records, a late one is dropped. `None`
    /// outside window stores of an aggregation.
    pub closed: Option<bool>,
    /// The value is in the stream thread's record cache, not yet flushed: the store, its
    /// changelog and the processors downstream get it at the next commit (or an eviction).
    pub cached: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InternalTopicView {
    pub name: String,
    /// `repartition` or `changelog`.
    pub kind: &'static str,
    /// Created yet (the group leader creates them at its first assignment).
    pub created: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StreamsInstanceView {
    pub name: String,
    /// `KafkaStreams.State`: REBALANCING, RUNNING, PENDING_SHUTDOWN, NOT_RUNNING.
    pub state: &'static str,
    /// NOT_RUNNING because the process crashed, not because it was closed.
    pub crashed: bool,
    pub threads: Vec<StreamThreadView>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StreamThreadView {
    pub name: String,
    pub consumer: String,
    /// Active task ids.
    pub active: Vec<String>,
    pub cache_bytes: u64,
    pub cache_max_bytes: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StreamsTaskView {
    pub id: String,
    pub instance: String,
    pub thread: String,
    pub state: crate::streams::runtime::TaskState,
    /// Changelog records restored so far, and in all.
    pub restored: u64,
    pub to_restore: u64,
    /// Records this task read from its input partitions.
    pub processed: u64,
    pub stream_time_us: Option<Micros>,
}

/// Broker ids in ascending order, as the page lists them.
fn sorted(mut brokers: Vec<u32>) -> Vec<u32> {
    brokers.sort_unstable();
    brokers
}
