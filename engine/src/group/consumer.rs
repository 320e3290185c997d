//! Consumer clients, as Kafka's classic `KafkaConsumer` behaves with its defaults.
//!
//! Two threads of the Java client are modelled:
//! - **the application's poll loop**: `poll()` hands out up to `max.poll.records` fetched
//!   records, which the application processes (instantly, or at its processing `rate`) before it
//!   polls again. Rejoining a group, auto-commit and `max.poll.interval.ms` all happen at poll
//!   time, so a slow application delays them, as in Kafka.
//! - **the heartbeat thread**: a Heartbeat every `heartbeat.interval.ms` once the member has
//!   joined; it learns of a rebalance from REBALANCE_IN_PROGRESS, and leaves the group when the
//!   application has not polled for `max.poll.interval.ms`.
//!
//! Rebalancing follows `ConsumerCoordinator`: before JoinGroup (`onJoinPrepare`) the consumer
//! commits its positions; under the **eager** protocol it then revokes every partition, under the
//! **cooperative** one (KIP-429) it keeps them. After SyncGroup (`onJoinComplete`) a cooperative
//! member revokes only what it lost and, if it lost anything, rejoins at once so the partitions can
//! be handed to their new owner in a second rebalance.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;

use crate::client::{Application, ClientId, ClientMetadata};
use crate::cluster::{Cluster, CommandError, Timer};
use crate::command::{ConsumerSpec, OffsetReset, Rate, TopicPartition};
use crate::config::ConsumerConfig;
use crate::event::Event;
use crate::group::assignor::{self, AssignError, AssignorKind, Subscription};
use crate::group::consumer_protocol::{self, WireSubscription};
use crate::group::coordinator::{GroupError, GroupRequest, GroupResponse, JoinResponse};
use crate::group::fetch::{ConsumerFetchPart, ConsumerFetchResult, FetchLimits, FetchPosition};
use crate::limits;
use crate::net::{Message, Node};
use crate::record::RecordId;
use crate::time::Micros;

/// Most `poll()` calls an idle application makes in one simulation step.
const MAX_POLLS_PER_TURN: usize = 64;

/// The client process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientState {
    Running,
    /// `close()` in progress: committing before LeaveGroup.
    Closing,
    Stopped,
    Crashed,
}

/// Where the member is in the group protocol (`MemberState` plus the join sub-steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JoinPhase {
    /// Needs to (re)join at its next poll.
    Unjoined,
    /// `onJoinPrepare`: waiting for the commit of its positions before JoinGroup.
    Committing,
    /// JoinGroup sent.
    Joining,
    /// SyncGroup sent.
    Syncing,
    Stable,
}

/// A partition the consumer owns.
#[derive(Debug, Clone)]
pub struct OwnedPartition {
    pub slot: u32,
    /// Next offset to fetch; `None` until the committed offset (or a reset) is known.
    pub fetch_position: Option<FetchPosition>,
    /// Whether the committed offset has been asked for already.
    offset_requested: bool,
    /// Next offset to hand to the application: what a commit sends. `None` until known.
    pub position: Option<u64>,
    /// Fetched records not yet returned by `poll()` (bounded by one fetch response).
    pub buffer: VecDeque<(u64, RecordId)>,
}

impl OwnedPartition {
    /// A partition just assigned: its position comes from the committed offset or a reset.
    fn new(slot: u32) -> Self {
        OwnedPartition {
            slot,
            fetch_position: None,
            offset_requested: false,
            position: None,
            buffer: VecDeque::new(),
        }
    }
}

/// What an outstanding group request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    FindCoordinator,
    Join,
    Sync,
    Heartbeat,
    /// An OffsetCommit: from auto-commit, before a join, or before closing.
    Commit(CommitReason),
    OffsetFetch,
    Leave,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CommitReason {
    Auto,
    JoinPrepare,
    Close,
    /// The application's own `commitSync` (a Streams thread's commit).
    Application,
}

#[derive(Debug, Clone)]
pub struct Consumer {
    pub name: String,
    /// The member id the coordinator knows this process by. The first process of a name uses
    /// the name itself; a process started again (`consumer restart`) is a new member, as in
    /// Kafka where a restarted client gets a fresh member id: `NAME~2`, `NAME~3`, …
    pub member_id: String,
    /// Which process of this name this is (1 for the first).
    pub incarnation: u32,
    pub group: u32,
    pub topics: Vec<String>,
    pub config: ConsumerConfig,
    /// What the application does with each record `poll()` returns.
    pub application: Application,
    pub state: ClientState,
    /// The application hangs inside its poll loop (`consumer stall`).
    pub stalled: bool,
    pub coordinator: Option<u32>,
    pub phase: JoinPhase,
    /// The heartbeat thread learned of a rebalance; rejoin at the next poll.
    rejoin_needed: bool,
    /// The generation of the owned partitions (-1: none).
    pub generation: i32,
    /// The generation a JoinGroup answer gave, until SyncGroup completes.
    joining_generation: i32,
    /// The last assignment received (the eager `sticky` assignor sends it as user data).
    last_assignment: Vec<TopicPartition>,
    pub owned: BTreeMap<TopicPartition, OwnedPartition>,
    requests: BTreeMap<u64, (u32, Pending)>,
    /// One fetch in flight per broker (Kafka's `nodesWithPendingFetchRequests`).
    fetches: BTreeMap<u32, u64>,
    retry_coordinator_at: Micros,
    last_heartbeat_sent_us: Micros,
    last_heartbeat_ok_us: Micros,
    next_auto_commit_us: Micros,
    /// Records returned by the last `poll()` and not processed yet.
    /// (slot, offset, record).
    in_process: VecDeque<(u32, u64, RecordId)>,
    process_started_us: Micros,
    processed_in_batch: u64,
    last_poll_us: Micros,
    /// Rotates the partition `poll()` starts from, for fairness.
    poll_cursor: usize,
    /// What the consumer knows of the cluster: its topics' partitions and leaders, as its last
    /// Metadata response gave them.
    pub metadata: ClientMetadata,
    /// Which brokers the consumer can send to, and when it tries again to reach the others
    /// (`connection.rs`).
    pub connections: crate::connection::Connections,
    /// As the group's leader: the topics the other members subscribe to, which its metadata
    /// covers too (Kafka's `SubscriptionState.groupSubscription`).
    group_subscription: Vec<String>,
    /// As the group's leader: the JoinGroup answer whose assignment waits for metadata about
    /// topics only other members subscribe to (Kafka's `ConsumerCoordinator.onLeaderElected` →
    /// `updateGroupSubscription` → `client.ensureFreshMetadata`).
    awaiting_metadata: Option<JoinResponse>,
    /// As the group's leader: the partition count of every subscribed topic when it assigned
    /// (`ConsumerCoordinator.assignmentSnapshot`, `None` for a topic the metadata lacked). A
    /// metadata answer that no longer matches it (a topic deleted, created, given partitions)
    /// makes the leader rejoin, so the group is assigned again.
    assignment_snapshot: Option<BTreeMap<String, Option<u32>>>,
    tick_at: Option<Micros>,
    /// Records this consumer's application processed.
    pub consumed: u64,
    /// The Streams thread this consumer is the main consumer of: its records go through the
    /// thread's tasks, its assignment creates and closes them (`streams/runtime`).
    pub streams: Option<crate::streams::runtime::ThreadRef>,
    /// The Connect sink task this consumer reads for: its records are written to the task's
    /// system (`connect/sink_task.rs`).
    pub connect: Option<crate::connect::TaskRef>,
    /// `KafkaConsumer.pause(assignment())`, kept for every partition assigned later: a paused
    /// Connect sink task (`WorkerSinkTask` pauses its whole assignment and stays in the group).
    pub pause_all: bool,
    /// `KafkaConsumer.pause`: partitions not handed to the application (a restoring task's).
    pub paused: BTreeSet<TopicPartition>,
    /// Assigned partitions whose topic the metadata did not know yet (a Streams application's
    /// repartition topic, created by the leader during the assignment): taken when a refreshed
    /// Metadata response names them, as Kafka's consumer fetches them once it knows a leader.
    unresolved: Vec<TopicPartition>,
}

impl Consumer {
    fn in_flight(&self, kind: Pending) -> bool {
        self.requests.values().any(|(_, k)| *k == kind)
    }

    fn commit_in_flight(&self) -> bool {
        self.requests
            .values()
            .any(|(_, k)| matches!(k, Pending::Commit(_)))
    }

    /// The brokers whose connection broke that partitions wait to fetch from (their leaders
    /// in the consumer's metadata), in partition order: the ones `send_fetches` tries to
    /// reconnect to, and the page's "waiting for broker N".
    pub fn waiting_for(&self) -> Vec<u32> {
        let mut brokers = Vec::new();
        if self.connections.all_up() || self.state != ClientState::Running {
            return brokers;
        }
        for (tp, p) in &self.owned {
            if p.fetch_position.is_none() || !p.buffer.is_empty() || self.paused.contains(tp) {
                continue;
            }
            if let Some(l) = self.metadata.leader(tp)
                && !self.connections.is_ready(l)
                && !brokers.contains(&l)
            {
                brokers.push(l);
            }
        }
        brokers
    }

    fn is_member(&self) -> bool {
        matches!(self.phase, JoinPhase::Syncing | JoinPhase::Stable)
    }

    /// The positions `commitSync`/auto-commit would send (`allConsumed`).
    fn positions(&self) -> Vec<(TopicPartition, u64)> {
        self.owned
            .iter()
            .filter_map(|(tp, p)| p.position.map(|o| (tp.clone(), o)))
            .collect()
    }

    /// Every record id the consumer holds: fetched and not yet polled, or polled and not yet
    /// processed (these keep their records alive, see `reclaim.rs`). A crashed or stopped
    /// consumer never polls again: what is left in its buffers is dead and holds nothing.
    pub(crate) fn for_each_held_record(&self, f: &mut impl FnMut(RecordId)) {
        if matches!(self.state, ClientState::Stopped | ClientState::Crashed) {
            return;
        }
        for p in self.owned.values() {
            p.buffer.iter().for_each(|&(_, id)| f(id));
        }
        self.in_process.iter().for_each(|&(_, _, id)| f(id));
    }

    /// An estimate of the heap bytes the consumer holds (its buffers dominate).
    pub(crate) fn heap_bytes(&self) -> usize {
        let buffers: usize = self
            .owned
            .values()
            .map(|p| {
                size_of::<OwnedPartition>()
                    + 64
                    + p.buffer.capacity() * size_of::<(u64, RecordId)>()
            })
            .sum();
        size_of::<Consumer>()
            + buffers
            + self.in_process.capacity() * size_of::<(u32, u64, RecordId)>()
            + self.requests.len() * 48
            + self.metadata.heap_bytes()
    }

    /// Whether the application is waiting inside `poll()` (nothing left to process).
    fn at_poll(&self) -> bool {
        self.in_process.is_empty() && !self.stalled && self.state == ClientState::Running
    }
}

impl Cluster {
    pub(crate) fn consumer_index(&self, name: &str) -> Option<u32> {
        self.consumers
            .iter()
            .position(|c| c.name == name)
            .map(|i| i as u32)
    }

    /// Starts a consumer in group `g` (it finds the coordinator and joins at its first poll).
    pub(crate) fn start_consumer(
        &mut self,
        name: String,
        g: u32,
        topics: Vec<String>,
        rate: Option<Rate>,
    ) -> Result<u32, CommandError> {
        if self.consumer_index(&name).is_some() {
            return Err(CommandError::Invalid(format!(
                "consumer '{name}' already exists (member ids are never reused)"
            )));
        }
        CommandError::limit(limits::check_consumers(self.consumers.len(), 1))?;
        for t in &topics {
            if !self.topics.contains_key(t) {
                return Err(CommandError::UnknownTopic(t.clone()));
            }
        }
        let id = self.consumers.len() as u32;
        let process = self.new_process(name.clone(), name.clone(), 1, g, topics, rate);
        self.consumers.push(process);
        let group = self.groups[g as usize].name.clone();
        self.emit(Event::ConsumerStarted {
            consumer: name,
            group,
        });
        self.consumer_poll(id);
        Ok(id)
    }

    /// Starts a Streams thread's main consumer in the app's group (subscribed to the
    /// topology's source topics, the internal ones before they exist, as Kafka's subscription
    /// covers them); the caller polls it once the thread knows its consumer.
    pub(crate) fn start_stream_consumer(
        &mut self,
        name: String,
        g: u32,
        topics: Vec<String>,
        thread: crate::streams::runtime::ThreadRef,
    ) -> u32 {
        let id = self.consumers.len() as u32;
        let mut process = self.new_process(name.clone(), name.clone(), 1, g, topics, None);
        process.streams = Some(thread);
        self.consumers.push(process);
        let group = self.groups[g as usize].name.clone();
        self.emit(Event::ConsumerStarted {
            consumer: name,
            group,
        });
        id
    }

    /// The application's `commitSync(offsets)`; false when it is not sent: no coordinator, or
    /// the member is rebalancing. Kafka's `ConsumerCoordinator.sendOffsetCommitRequest` commits
    /// only with `generationIfStable()`: between JoinGroup and the SyncGroup answer it fails the
    /// commit at once (`RebalanceInProgressException`) rather than send the old generation,
    /// which the coordinator would refuse with ILLEGAL_GENERATION and the member, answered once
    /// stable again, would take as its removal from the group.
    pub(crate) fn consumer_commit_offsets(
        &mut self,
        id: u32,
        offsets: Vec<(TopicPartition, u64)>,
    ) -> bool {
        let c = &self.consumers[id as usize];
        if c.coordinator.is_none() || c.generation < 0 || c.phase != JoinPhase::Stable {
            return false;
        }
        let body = GroupRequest::OffsetCommit {
            member: c.member_id.clone(),
            generation: c.generation,
            offsets,
        };
        self.send_group_request(id, Pending::Commit(CommitReason::Application), body);
        true
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

    /// A consumer process that has not polled yet: no coordinator, no partitions, nothing
    /// buffered. `rate: None` takes the group's processing rate.
    fn new_process(
        &self,
        name: String,
        member_id: String,
        incarnation: u32,
        g: u32,
        topics: Vec<String>,
        rate: Option<Rate>,
    ) -> Consumer {
        let now = self.now;
        let group = &self.groups[g as usize];
        Consumer {
            member_id,
            incarnation,
            name,
            group: g,
            topics,
            config: group.client,
            application: Application::Process {
                rate: rate.or(group.rate),
            },
            state: ClientState::Running,
            stalled: false,
            coordinator: None,
            phase: JoinPhase::Unjoined,
            rejoin_needed: false,
            generation: -1,
            joining_generation: -1,
            last_assignment: Vec::new(),
            owned: BTreeMap::new(),
            requests: BTreeMap::new(),
            fetches: BTreeMap::new(),
            retry_coordinator_at: now,
            last_heartbeat_sent_us: now,
            last_heartbeat_ok_us: now,
            next_auto_commit_us: now + group.client.auto_commit_interval_us,
            in_process: VecDeque::new(),
            process_started_us: now,
            processed_in_batch: 0,
            last_poll_us: now,
            poll_cursor: 0,
            metadata: ClientMetadata::empty(),
            connections: Default::default(),
            group_subscription: Vec::new(),
            awaiting_metadata: None,
            assignment_snapshot: None,
            tick_at: None,
            consumed: 0,
            streams: None,
            connect: None,
            pause_all: false,
            paused: BTreeSet::new(),
            unresolved: Vec::new(),
        }
    }

    /// `consumer restart`: a crashed or stopped consumer's application is started again. It is
    /// a new process: a new member id (Kafka gives a restarted client without
    /// `group.instance.id` a fresh one), nothing buffered, positions from the group's committed
    /// offsets. While the coordinator still lists the old, crashed member, the group's rebalance
    /// waits for it until its session times out (or the rebalance timeout passes), as in Kafka.
    pub(crate) fn cmd_consumer_restart(&mut self, name: &str) -> Result<(), CommandError> {
        let id = self
            .consumer_index(name)
            .ok_or_else(|| CommandError::Invalid(format!("unknown consumer '{name}'")))?;
        let old = &self.consumers[id as usize];
        if !matches!(old.state, ClientState::Crashed | ClientState::Stopped) {
            return Err(CommandError::Invalid(format!(
                "consumer '{name}' is running (only a crashed or stopped consumer can be restarted)"
            )));
        }
        self.replace_consumer_process(id);
        Ok(())
    }

    /// A new process of consumer `id` (same client id, the next member id `NAME~N`) takes the
    /// place of the old one, which sends nothing more.
    pub(crate) fn replace_consumer_process(&mut self, id: u32) {
        let old = &self.consumers[id as usize];
        let name = old.name.clone();
        let incarnation = old.incarnation.saturating_add(1);
        let (g, topics, rate) = (old.group, old.topics.clone(), old.application.rate());
        let member_id = format!("{name}~{incarnation}");
        let process = self.new_process(name.clone(), member_id, incarnation, g, topics, rate);
        self.consumers[id as usize] = process;
        let group = self.groups[g as usize].name.clone();
        self.emit(Event::ConsumerStarted {
            consumer: name,
            group,
        });
        self.consumer_poll(id);
    }

    pub(crate) fn cmd_consumer_add(&mut self, spec: ConsumerSpec) -> Result<(), CommandError> {
        let g = self
            .group_index(&spec.group)
            .ok_or_else(|| CommandError::Invalid(format!("unknown group '{}'", spec.group)))?;
        let topics = spec
            .topics
            .unwrap_or_else(|| self.groups[g as usize].topics.clone());
        if topics.is_empty() {
            return Err(CommandError::Invalid(
                "a consumer subscribes to at least one topic".into(),
            ));
        }
        CommandError::limit(limits::check_name("consumer", &spec.name))?;
        if let Some(rate) = spec.rate {
            CommandError::limit(limits::check_consumer_rate(rate))?;
        }
        self.start_consumer(spec.name, g, topics, spec.rate)
            .map(|_| ())
    }

    fn running_consumer(&self, name: &str) -> Result<u32, CommandError> {
        let id = self
            .consumer_index(name)
            .ok_or_else(|| CommandError::Invalid(format!("unknown consumer '{name}'")))?;
        match self.consumers[id as usize].state {
            ClientState::Running => Ok(id),
            ClientState::Closing | ClientState::Stopped => Err(CommandError::Invalid(format!(
                "consumer '{name}' is already stopped"
            ))),
            ClientState::Crashed => Err(CommandError::Invalid(format!(
                "consumer '{name}' has crashed"
            ))),
        }
    }

    /// `consumer stop`: `KafkaConsumer.close()`: commit the positions, revoke, LeaveGroup.
    pub(crate) fn cmd_consumer_stop(&mut self, name: &str) -> Result<(), CommandError> {
        let id = self.running_consumer(name)?;
        let c = &mut self.consumers[id as usize];
        c.state = ClientState::Closing;
        c.stalled = false;
        // The application leaves its loop: records it was handed but has not processed are not
        // committed (positions only move when a record is processed), so the next owner reads
        // them again.
        c.in_process.clear();
        let commit = c.generation >= 0
            && c.coordinator.is_some()
            && !c.positions().is_empty()
            && c.is_member();
        if commit {
            self.send_commit(id, CommitReason::Close);
        } else {
            self.finish_close(id);
        }
        Ok(())
    }

    fn finish_close(&mut self, id: u32) {
        let c = &self.consumers[id as usize];
        if c.state != ClientState::Closing {
            return;
        }
        let revoked: Vec<TopicPartition> = c.owned.keys().cloned().collect();
        self.revoke(id, revoked, "closing");
        let c = &self.consumers[id as usize];
        if (c.generation >= 0 || c.phase != JoinPhase::Unjoined) && c.config.leave_group_on_close {
            let member = c.member_id.clone();
            self.send_group_request(id, Pending::Leave, GroupRequest::LeaveGroup { member });
        }
        let c = &mut self.consumers[id as usize];
        c.state = ClientState::Stopped;
        c.phase = JoinPhase::Unjoined;
        c.generation = -1;
        c.requests.retain(|_, (_, k)| *k == Pending::Leave);
        c.fetches.clear();
        let (consumer, group) = self.client_names(id);
        self.emit(Event::ConsumerStopped {
            consumer,
            group,
            crashed: false,
        });
        // A Connect task restart may be waiting for this close (`Worker.stopAndAwaitTask`).
        self.connect_consumer_closed(id);
    }

    /// `consumer crash`: the process is gone; nothing more is sent and answers are dropped.
    pub(crate) fn cmd_consumer_crash(&mut self, name: &str) -> Result<(), CommandError> {
        let id = self.running_consumer(name)?;
        let c = &mut self.consumers[id as usize];
        c.state = ClientState::Crashed;
        c.requests.clear();
        c.fetches.clear();
        c.in_process.clear();
        let (consumer, group) = self.client_names(id);
        self.emit(Event::ConsumerStopped {
            consumer,
            group,
            crashed: true,
        });
        Ok(())
    }

    pub(crate) fn cmd_consumer_stall(
        &mut self,
        name: &str,
        stall: bool,
    ) -> Result<(), CommandError> {
        let id = self.running_consumer(name)?;
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        if c.stalled == stall {
            return Err(CommandError::Invalid(format!(
                "consumer '{name}' is already {}",
                if stall { "stalled" } else { "polling" }
            )));
        }
        c.stalled = stall;
        if !stall {
            c.last_poll_us = now;
            c.process_started_us = now;
            c.processed_in_batch = 0;
        }
        let (consumer, group) = self.client_names(id);
        self.emit(Event::ConsumerStalled {
            consumer,
            group,
            stalled: stall,
        });
        self.consumer_poll(id);
        Ok(())
    }

    pub(crate) fn cmd_consumer_rate(&mut self, name: &str, rate: Rate) -> Result<(), CommandError> {
        let id = self.running_consumer(name)?;
        CommandError::limit(limits::check_consumer_rate(rate))?;
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        c.application = Application::Process {
            rate: (rate.per_hour > 0).then_some(rate),
        };
        c.process_started_us = now;
        c.processed_in_batch = 0;
        self.consumer_poll(id);
        Ok(())
    }

    fn send_group_request(&mut self, id: u32, kind: Pending, body: GroupRequest) {
        let c = &self.consumers[id as usize];
        let broker = match kind {
            // FindCoordinator goes to any live broker (the "least loaded node").
            // A fenced broker is not in the metadata clients get (KIP-631), so not asked.
            Pending::FindCoordinator => match self
                .brokers
                .iter()
                .find(|b| b.alive && !b.fenced)
                .map(|b| b.id)
            {
                Some(b) => b,
                None => return,
            },
            _ => match c.coordinator {
                Some(b) => b,
                None => return,
            },
        };
        let group = c.group;
        let request = self.request_id();
        self.consumers[id as usize]
            .requests
            .insert(request, (broker, kind));
        self.send(Message::GroupRequest {
            consumer: id,
            broker,
            request,
            group,
            body,
        });
    }

    fn send_commit(&mut self, id: u32, reason: CommitReason) {
        let c = &self.consumers[id as usize];
        let body = GroupRequest::OffsetCommit {
            member: c.member_id.clone(),
            generation: c.generation,
            offsets: c.positions(),
        };
        self.send_group_request(id, Pending::Commit(reason), body);
    }

    /// Partitions leave the consumer: buffered and in-process records of them are dropped.
    fn revoke(&mut self, id: u32, partitions: Vec<TopicPartition>, reason: &str) {
        if partitions.is_empty() {
            return;
        }
        if let Some(thread) = self.consumers[id as usize].streams {
            self.streams_partitions_revoked(thread, &partitions);
        }
        let c = &mut self.consumers[id as usize];
        for tp in &partitions {
            c.paused.remove(tp);
            c.owned.remove(tp);
        }
        let metadata = &c.metadata;
        c.in_process.retain(|(slot, ..)| {
            metadata
                .topic_partition(*slot)
                .is_none_or(|tp| !partitions.contains(tp))
        });
        let (consumer, group) = self.client_names(id);
        self.emit(Event::PartitionsRevoked {
            consumer,
            group,
            partitions,
            reason: reason.to_string(),
        });
    }

    /// `resetGenerationOnResponseError`: the member was removed; its partitions are lost (not
    /// committed) and it joins again as a new member.
    fn lose_membership(&mut self, id: u32, why: &str) {
        let c = &mut self.consumers[id as usize];
        c.generation = -1;
        c.phase = JoinPhase::Unjoined;
        c.unresolved.clear();
        let lost: Vec<TopicPartition> = c.owned.keys().cloned().collect();
        if let Some(thread) = c.streams {
            // onPartitionsLost: the tasks close without a commit.
            self.streams_partitions_lost(thread);
        }
        self.revoke(id, lost, why);
    }

    /// A group request failed: look the coordinator up again if it is gone; if it no longer
    /// knows this member or its generation, the membership (and every partition) is lost.
    fn on_group_error(&mut self, id: u32, e: GroupError) {
        if e.coordinator_lost() {
            self.coordinator_unknown(id);
        } else if matches!(
            e,
            GroupError::UnknownMemberId | GroupError::IllegalGeneration
        ) {
            self.lose_membership(id, "removed from the group");
        }
    }

    /// The consumer's and its group's names, as events carry them.
    fn client_names(&self, id: u32) -> (String, String) {
        let c = &self.consumers[id as usize];
        (c.name.clone(), self.groups[c.group as usize].name.clone())
    }

    fn coordinator_unknown(&mut self, id: u32) {
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        if c.coordinator.take().is_some() {
            c.retry_coordinator_at = now + c.config.retry_backoff_us;
        }
        // Requests to the old coordinator will not be answered usefully. An auto-commit among
        // them failed retriably: retry it after retry.backoff.ms.
        if c.requests
            .values()
            .any(|(_, k)| *k == Pending::Commit(CommitReason::Auto))
        {
            c.next_auto_commit_us = c.next_auto_commit_us.min(now + c.config.retry_backoff_us);
        }
        let application_commit = c
            .requests
            .values()
            .any(|(_, k)| *k == Pending::Commit(CommitReason::Application));
        c.requests
            .retain(|_, (_, k)| matches!(k, Pending::FindCoordinator | Pending::Leave));
        if application_commit && let Some(thread) = c.streams {
            self.streams_commit_failed(thread);
        }
        let c = &mut self.consumers[id as usize];
        if matches!(
            c.phase,
            JoinPhase::Joining | JoinPhase::Syncing | JoinPhase::Committing
        ) {
            c.phase = JoinPhase::Unjoined;
        }
        for p in c.owned.values_mut() {
            if p.fetch_position.is_none() {
                p.offset_requested = false;
            }
        }
        if c.state == ClientState::Closing {
            // close() gives up on the commit and leaves without it.
            self.finish_close(id);
        }
    }

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

    fn ensure_coordinator(&mut self, id: u32) {
        let now = self.now;
        if let Some(b) = self.consumers[id as usize].coordinator
            && !self.broker(b).alive
        {
            // The connection to the coordinator is down (NetworkClient marks the node
            // unavailable): look it up again rather than wait for the next heartbeat to fail.
            self.coordinator_unknown(id);
        }
        let c = &self.consumers[id as usize];
        if c.coordinator.is_none()
            && !c.in_flight(Pending::FindCoordinator)
            && now >= c.retry_coordinator_at
        {
            let c = &mut self.consumers[id as usize];
            c.retry_coordinator_at = now + c.config.retry_backoff_us;
            self.send_group_request(id, Pending::FindCoordinator, GroupRequest::FindCoordinator);
        }
    }

    /// The heartbeat thread: heartbeats, the client-side session check, and the poll timeout.
    fn heartbeat_thread(&mut self, id: u32) {
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        if c.at_poll() {
            // An idle application is blocked inside poll(): that counts as polling.
            c.last_poll_us = now;
        }
        let c = &self.consumers[id as usize];
        if !c.is_member() || c.coordinator.is_none() {
            return;
        }
        if now.saturating_sub(c.last_poll_us) > c.config.max_poll_interval_us {
            // "consumer poll timeout has expired": leave so the others can take over.
            let member = c.member_id.clone();
            self.send_group_request(id, Pending::Leave, GroupRequest::LeaveGroup { member });
            let (consumer, group) = self.client_names(id);
            self.emit(Event::PollTimeout { consumer, group });
            self.lose_membership(id, "poll timeout");
            return;
        }
        if now.saturating_sub(c.last_heartbeat_ok_us) > c.config.session_timeout_us {
            // No answer for a whole session: the coordinator is presumed dead.
            return self.coordinator_unknown(id);
        }
        if now >= c.last_heartbeat_sent_us + c.config.heartbeat_interval_us
            && !c.in_flight(Pending::Heartbeat)
        {
            let body = GroupRequest::Heartbeat {
                member: c.member_id.clone(),
                generation: if c.phase == JoinPhase::Syncing {
                    c.joining_generation
                } else {
                    c.generation
                },
            };
            self.consumers[id as usize].last_heartbeat_sent_us = now;
            self.send_group_request(id, Pending::Heartbeat, body);
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
        let streams_committing = c.streams.is_some_and(|r| self.streams_commit_pending(r));
        if join_due && c.coordinator.is_some() && !c.commit_in_flight() && !streams_committing {
            self.join_prepare(id);
        }
        // `onJoinPrepare` commits synchronously inside poll(): while that commit is in flight
        // the application is blocked in poll() and gets no records (Kafka's
        // ConsumerCoordinator.onJoinPrepare → maybeAutoCommitOffsetsSync, then the revocation).
        if self.consumers[id as usize].phase != JoinPhase::Committing {
            self.take_records(id);
        }
    }

    /// `onJoinPrepare`: commit first (auto-commit on), then revoke (all of them if eager).
    fn join_prepare(&mut self, id: u32) {
        let c = &self.consumers[id as usize];
        // maybeAutoCommitOffsetsSync: only with enable.auto.commit.
        if c.config.enable_auto_commit
            && c.generation >= 0
            && !c.positions().is_empty()
            && c.phase == JoinPhase::Stable
        {
            self.consumers[id as usize].phase = JoinPhase::Committing;
            self.send_commit(id, CommitReason::JoinPrepare);
            return;
        }
        self.send_join(id);
    }

    fn send_join(&mut self, id: u32) {
        let c = &self.consumers[id as usize];
        let assignor = c.config.partition_assignment_strategy;
        let revoked: Vec<TopicPartition> = if assignor.supports_cooperative() {
            // Cooperative: only partitions of topics no longer subscribed.
            c.owned
                .keys()
                .filter(|tp| !c.topics.contains(&tp.topic))
                .cloned()
                .collect()
        } else {
            c.owned.keys().cloned().collect()
        };
        let reason = if assignor.supports_cooperative() {
            "unsubscribed"
        } else {
            "eager rebalance: revoke everything before joining"
        };
        self.revoke(id, revoked, reason);
        let c = &mut self.consumers[id as usize];
        c.phase = JoinPhase::Joining;
        c.rejoin_needed = false;
        // ConsumerCoordinator.metadata(): one protocol per configured assignor, each the
        // subscription with what the member owns now (nothing, after an eager revocation) and
        // the assignor's user data (the eager sticky assignor's last assignment; a Streams
        // thread's SubscriptionInfo: its process and the state it holds).
        let user_data = if let Some(thread) = c.streams {
            Some(self.streams_subscription_info(thread).encode())
        } else {
            (assignor == AssignorKind::Sticky).then(|| {
                consumer_protocol::encode_sticky_user_data(&c.last_assignment, c.generation)
            })
        };
        let c = &self.consumers[id as usize];
        let subscription = consumer_protocol::encode_subscription(&WireSubscription {
            topics: c.topics.clone(),
            user_data,
            owned_partitions: c.owned.keys().cloned().collect(),
            generation: c.generation,
        });
        let body = GroupRequest::JoinGroup {
            member: c.member_id.clone(),
            protocol_type: consumer_protocol::PROTOCOL_TYPE.to_string(),
            protocols: vec![(assignor.name().to_string(), subscription)],
            session_timeout_us: c.config.session_timeout_us,
            rebalance_timeout_us: c.config.max_poll_interval_us,
        };
        let (consumer, group) = self.client_names(id);
        self.emit(Event::ConsumerJoining { consumer, group });
        self.send_group_request(id, Pending::Join, body);
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

    /// The positions a commit would send now (`allConsumed`): a Connect sink task's
    /// `currentOffsets`.
    pub(crate) fn consumer_positions(&self, id: u32) -> Vec<(TopicPartition, u64)> {
        self.consumers[id as usize].positions()
    }

    /// Moves positions back (`KafkaConsumer.seek`): a Connect sink task whose `put` failed
    /// commits only what it wrote.
    pub(crate) fn consumer_rewind(&mut self, id: u32, offsets: &[(TopicPartition, u64)]) {
        let c = &mut self.consumers[id as usize];
        for (tp, offset) in offsets {
            if let Some(p) = c.owned.get_mut(tp) {
                p.position = Some(*offset);
            }
        }
    }

    /// OffsetFetch for partitions whose starting offset is unknown.
    fn fetch_positions(&mut self, id: u32) {
        let c = &self.consumers[id as usize];
        if c.phase != JoinPhase::Stable
            || c.coordinator.is_none()
            || c.in_flight(Pending::OffsetFetch)
        {
            return;
        }
        let partitions: Vec<TopicPartition> = c
            .owned
            .iter()
            .filter(|(_, p)| p.fetch_position.is_none() && !p.offset_requested)
            .map(|(tp, _)| tp.clone())
            .collect();
        if partitions.is_empty() {
            return;
        }
        let c = &mut self.consumers[id as usize];
        for tp in &partitions {
            c.owned.get_mut(tp).expect("owned").offset_requested = true;
        }
        self.send_group_request(
            id,
            Pending::OffsetFetch,
            GroupRequest::OffsetFetch { partitions },
        );
    }

    /// One Fetch per leader broker, for owned partitions with a position and an empty buffer.
    fn send_fetches(&mut self, id: u32) {
        let c = &mut self.consumers[id as usize];
        let mut by_broker: BTreeMap<u32, Vec<ConsumerFetchPart>> = BTreeMap::new();
        for (tp, p) in &c.owned {
            let Some(position) = p.fetch_position else {
                continue;
            };
            // Paused partitions are not fetched (Kafka's `fetchablePartitions`).
            if !p.buffer.is_empty() || c.paused.contains(tp) {
                continue;
            }
            match c.metadata.leader(tp) {
                Some(leader) if !c.connections.all_up() && !c.connections.is_ready(leader) => {
                    // Kafka's Fetcher sends nothing to a node it is not connected to; the
                    // network client tries to connect when its backoff is over (below).
                }
                Some(leader) if !c.fetches.contains_key(&leader) => {
                    by_broker
                        .entry(leader)
                        .or_default()
                        .push(ConsumerFetchPart {
                            slot: p.slot,
                            position,
                        });
                }
                Some(_) => {}
                // Kafka's Fetcher: no known leader, Metadata.requestUpdate.
                None => c.metadata.update_requested = true,
            }
        }
        for broker in self.consumers[id as usize].waiting_for() {
            self.maybe_connect(Node::Consumer(id), broker);
        }
        let config = &self.consumers[id as usize].config;
        let limits = FetchLimits {
            max_wait_us: config.fetch_max_wait_us,
            partition_max_bytes: config.max_partition_fetch_bytes,
        };
        for (broker, parts) in by_broker {
            let request = self.request_id();
            self.consumers[id as usize].fetches.insert(broker, request);
            self.send(Message::ConsumerFetch {
                consumer: id,
                broker,
                request,
                parts,
                limits,
            });
        }
    }

    fn maybe_refresh_consumer_metadata(&mut self, id: u32) {
        if self.consumers[id as usize].metadata.due() {
            self.refresh_consumer_metadata(id, false);
        }
    }

    /// A Metadata request for the subscribed topics (and, for the group's leader, the group's):
    /// a round trip; a refresh after an error first waits retry.backoff.ms.
    pub(crate) fn refresh_consumer_metadata(&mut self, id: u32, periodic: bool) {
        let c = &self.consumers[id as usize];
        let backoff = if c.metadata.updated_us.is_none() || periodic {
            0
        } else {
            c.config.retry_backoff_us
        };
        let mut topics = c.topics.clone();
        topics.extend(
            c.group_subscription
                .iter()
                .filter(|t| !c.topics.contains(t))
                .cloned(),
        );
        let round_trip = 2 * self.config.latency_us.max(1) + backoff;
        self.send_metadata_request(ClientId::Consumer(id), topics, round_trip, periodic);
    }

    /// A Metadata answer reached the consumer: a leader waiting for it assigns now, then the
    /// client goes on with what it routes by the new metadata.
    pub(crate) fn consumer_metadata_updated(&mut self, id: u32) {
        self.rejoin_if_metadata_changed(id);
        self.take_resolved_partitions(id);
        if let Some(join) = self.consumers[id as usize].awaiting_metadata.take() {
            let c = &self.consumers[id as usize];
            if c.phase == JoinPhase::Syncing
                && c.joining_generation == join.generation
                && c.state == ClientState::Running
            {
                self.send_sync(id, &join);
            }
        }
        self.consumer_poll(id);
    }

    /// Kafka's `ConsumerCoordinator.rejoinNeededOrPending`: the leader's metadata no longer
    /// matches the snapshot it assigned from ("cached metadata has changed"), so it rejoins at
    /// its next poll and the group is assigned again (a deleted topic's partitions leave it).
    fn rejoin_if_metadata_changed(&mut self, id: u32) {
        let c = &mut self.consumers[id as usize];
        let Some(snapshot) = &c.assignment_snapshot else {
            return;
        };
        if c.phase != JoinPhase::Stable || c.rejoin_needed {
            return;
        }
        let changed = snapshot
            .iter()
            .any(|(t, n)| c.metadata.partition_count(t) != *n);
        if changed {
            c.assignment_snapshot = None;
            c.rejoin_needed = true;
        }
    }

    /// Assigned partitions the last Metadata response names now join the owned ones; the rest
    /// wait for the next refresh.
    fn take_resolved_partitions(&mut self, id: u32) {
        let c = &mut self.consumers[id as usize];
        if c.unresolved.is_empty() || c.phase != JoinPhase::Stable {
            return;
        }
        let mut taken = false;
        for tp in std::mem::take(&mut c.unresolved) {
            match c.metadata.partition(&tp).map(|p| p.slot) {
                Some(slot) => {
                    c.owned.insert(tp, OwnedPartition::new(slot));
                    taken = true;
                }
                None => c.unresolved.push(tp),
            }
        }
        let retry = !c.unresolved.is_empty();
        if taken {
            self.assert_single_owner(id);
            if let Some(thread) = self.consumers[id as usize].streams {
                self.streams_partitions_assigned(thread);
            }
        }
        if retry {
            self.refresh_consumer_metadata(id, false);
        }
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
        // Paused partitions (`pause_all`: a paused Connect sink task, or one waiting to deliver a
        // batch again) hand nothing over: their buffered records are no reason to wake.
        if c.at_poll()
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

    pub(crate) fn consumer_tick(&mut self, id: u32) {
        let c = &mut self.consumers[id as usize];
        if c.tick_at == Some(self.now) {
            c.tick_at = None;
        }
        self.consumer_poll(id);
    }

    /// A group answer reaching the consumer.
    pub(crate) fn handle_group_response(&mut self, id: u32, request: u64, body: GroupResponse) {
        let c = &mut self.consumers[id as usize];
        let Some((_broker, kind)) = c.requests.remove(&request) else {
            return; // an answer to a request we gave up on
        };
        if matches!(c.state, ClientState::Stopped | ClientState::Crashed) {
            return;
        }
        match body {
            GroupResponse::FindCoordinator(found) => {
                let now = self.now;
                let c = &mut self.consumers[id as usize];
                match found {
                    Some(b) => {
                        c.coordinator = Some(b);
                        c.last_heartbeat_ok_us = now;
                    }
                    None => c.retry_coordinator_at = now + c.config.retry_backoff_us,
                }
            }
            GroupResponse::JoinGroup(result) => self.on_join_response(id, result),
            GroupResponse::SyncGroup(result) => self.on_sync_response(id, result),
            GroupResponse::Heartbeat(result) => {
                let now = self.now;
                match result {
                    Ok(()) => self.consumers[id as usize].last_heartbeat_ok_us = now,
                    Err(GroupError::RebalanceInProgress) => {
                        let c = &mut self.consumers[id as usize];
                        c.last_heartbeat_ok_us = now;
                        if c.phase == JoinPhase::Stable {
                            c.rejoin_needed = true;
                        }
                    }
                    // A late answer from before a rejoin says nothing about the new membership.
                    Err(e)
                        if e.coordinator_lost()
                            || self.consumers[id as usize].phase == JoinPhase::Stable =>
                    {
                        self.on_group_error(id, e)
                    }
                    Err(_) => {}
                }
            }
            GroupResponse::LeaveGroup(_) => {}
            GroupResponse::OffsetCommit(result) => {
                if kind == Pending::Commit(CommitReason::Application)
                    && let Some(thread) = self.consumers[id as usize].streams
                {
                    if result.is_err() {
                        self.streams_commit_failed(thread);
                    } else {
                        self.streams_commit_succeeded(thread);
                    }
                }
                if let Err(e) = result {
                    if kind == Pending::Commit(CommitReason::Auto) && e.coordinator_lost() {
                        // doAutoCommitOffsetsAsync: a retriable failure retries after
                        // retry.backoff.ms, not a whole auto.commit.interval.ms later.
                        let now = self.now;
                        let c = &mut self.consumers[id as usize];
                        c.next_auto_commit_us =
                            c.next_auto_commit_us.min(now + c.config.retry_backoff_us);
                    }
                    if e.coordinator_lost()
                        || self.consumers[id as usize].phase == JoinPhase::Stable
                    {
                        self.on_group_error(id, e);
                    }
                }
                match kind {
                    Pending::Commit(CommitReason::Close) => self.finish_close(id),
                    Pending::Commit(CommitReason::JoinPrepare) => {
                        let c = &self.consumers[id as usize];
                        if c.phase == JoinPhase::Committing && c.coordinator.is_some() {
                            self.send_join(id);
                        } else if c.phase == JoinPhase::Committing {
                            self.consumers[id as usize].phase = JoinPhase::Unjoined;
                        }
                    }
                    _ => {}
                }
            }
            GroupResponse::OffsetFetch(result) => self.on_offset_fetch(id, result),
        }
        self.consumer_poll(id);
    }

    fn on_join_response(&mut self, id: u32, result: Result<JoinResponse, GroupError>) {
        let join = match result {
            Ok(join) => join,
            Err(e) => {
                self.on_group_error(id, e);
                self.consumers[id as usize].phase = JoinPhase::Unjoined;
                return;
            }
        };
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        c.joining_generation = join.generation;
        c.phase = JoinPhase::Syncing;
        c.last_heartbeat_sent_us = now;
        c.last_heartbeat_ok_us = now;
        if join.leader != c.member_id {
            c.group_subscription.clear();
            c.assignment_snapshot = None;
            return self.send_sync(id, &join);
        }
        // The leader watches every topic of the group; topics its metadata does not cover yet
        // are fetched before it assigns (`updateGroupSubscription` → `ensureFreshMetadata`).
        let mut group_topics: Vec<String> = Vec::new();
        let subscriptions = join
            .members
            .iter()
            .filter_map(|(_, bytes)| consumer_protocol::decode_subscription(bytes));
        for s in subscriptions {
            for t in &s.topics {
                if !c.topics.contains(t) && !group_topics.contains(t) {
                    group_topics.push(t.clone());
                }
            }
        }
        let unknown = group_topics
            .iter()
            .any(|t| c.metadata.partition_count(t).is_none());
        c.group_subscription = group_topics;
        if unknown {
            c.metadata.update_requested = true;
            c.awaiting_metadata = Some(join);
            if !c.metadata.in_flight {
                self.refresh_consumer_metadata(id, false);
            }
            return;
        }
        self.send_sync(id, &join);
    }

    /// SyncGroup; the leader's carries the assignment it computed.
    fn send_sync(&mut self, id: u32, join: &JoinResponse) {
        let member = self.consumers[id as usize].member_id.clone();
        let assignments = (join.leader == member).then(|| {
            if let Some(thread) = self.consumers[id as usize].streams {
                // The `stream` protocol: StreamsPartitionAssignor, with its AssignmentInfo as
                // each member's user data.
                return self.streams_lead_assignment(thread, join);
            }
            self.lead_assignment(id, join)
                .iter()
                .map(|(m, parts)| (m.clone(), consumer_protocol::encode_assignment(parts)))
                .collect()
        });
        let body = GroupRequest::SyncGroup {
            member,
            generation: join.generation,
            assignments,
        };
        self.send_group_request(id, Pending::Sync, body);
    }

    /// The leader runs the assignor (`onLeaderElected` → `performAssignment`) on the partition
    /// counts its metadata knows; a topic it does not know is skipped, as
    /// `AbstractPartitionAssignor.assign` skips a topic without metadata.
    fn lead_assignment(&mut self, id: u32, join: &JoinResponse) -> assignor::Assignment {
        // `lookupAssignor(protocol)`: the coordinator picked one of the protocols we offered.
        let kind = join.protocol.parse::<AssignorKind>();
        let subscriptions: BTreeMap<String, Subscription> = join
            .members
            .iter()
            .map(|(m, bytes)| {
                let wire = consumer_protocol::decode_subscription(bytes).unwrap_or_else(|| {
                    panic!("{m}'s JoinGroup metadata is a consumer subscription")
                });
                let input = match kind {
                    Ok(kind) => consumer_protocol::assignor_input(kind, &wire),
                    Err(_) => Subscription::new(wire.topics),
                };
                (m.clone(), input)
            })
            .collect();
        let metadata = &self.consumers[id as usize].metadata;
        let mut partitions: BTreeMap<String, u32> = BTreeMap::new();
        let mut snapshot: BTreeMap<String, Option<u32>> = BTreeMap::new();
        for s in subscriptions.values() {
            for t in &s.topics {
                let count = metadata.partition_count(t);
                snapshot.insert(t.clone(), count);
                if let Some(n) = count {
                    partitions.insert(t.clone(), n);
                }
            }
        }
        self.consumers[id as usize].assignment_snapshot = Some(snapshot);
        let result: Result<assignor::Assignment, AssignError> =
            kind.and_then(|kind| assignor::assign(kind, &partitions, &subscriptions));
        match result {
            Ok(a) => {
                // The assignors' promise: no partition goes to two members.
                let mut owner: BTreeMap<&TopicPartition, &str> = BTreeMap::new();
                for (m, parts) in &a {
                    for tp in parts {
                        assert!(
                            owner.insert(tp, m).is_none(),
                            "the {} assignor gives {tp} to two members",
                            join.protocol
                        );
                    }
                }
                a
            }
            Err(e) => {
                let (consumer, group) = self.client_names(id);
                self.emit(Event::AssignorFailed {
                    consumer,
                    group,
                    error: e.to_string(),
                });
                subscriptions
                    .keys()
                    .map(|m| (m.clone(), Vec::new()))
                    .collect()
            }
        }
    }

    fn on_sync_response(&mut self, id: u32, result: Result<Bytes, GroupError>) {
        let (assignment, user_data) = match result {
            Ok(bytes) => (
                consumer_protocol::decode_assignment(&bytes),
                consumer_protocol::decode_assignment_user_data(&bytes),
            ),
            Err(e) => {
                self.on_group_error(id, e);
                self.consumers[id as usize].phase = JoinPhase::Unjoined;
                return;
            }
        };
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        if c.phase != JoinPhase::Syncing {
            return;
        }
        c.generation = c.joining_generation;
        c.phase = JoinPhase::Stable;
        c.last_assignment = assignment.clone();
        // onJoinComplete resets the auto-commit timer.
        c.next_auto_commit_us = now + c.config.auto_commit_interval_us;
        let revoked: Vec<TopicPartition> = c
            .owned
            .keys()
            .filter(|tp| !assignment.contains(tp))
            .cloned()
            .collect();
        let mut added = Vec::new();
        c.unresolved.clear();
        for tp in &assignment {
            if c.owned.contains_key(tp) {
                continue;
            }
            let Some(slot) = c.metadata.partition(tp).map(|p| p.slot) else {
                // Not in the metadata (yet): Kafka's consumer owns it and fetches it once its
                // metadata names a leader; the playground's fetches need its slot, so the
                // partition is taken when a refreshed Metadata response knows it.
                c.unresolved.push(tp.clone());
                continue;
            };
            added.push(tp.clone());
            c.owned.insert(tp.clone(), OwnedPartition::new(slot));
        }
        let refresh = !c.unresolved.is_empty();
        let generation = c.generation;
        let (consumer, group) = self.client_names(id);
        let cooperative_revocation = !revoked.is_empty();
        self.revoke(
            id,
            revoked,
            "cooperative rebalance: handed over to another member",
        );
        if cooperative_revocation {
            // Revoked something: rejoin so the partitions can be given to their new owner.
            self.consumers[id as usize].rejoin_needed = true;
        }
        self.assert_single_owner(id);
        if let Some(thread) = self.consumers[id as usize].streams {
            // `onAssignment`: the AssignmentInfo's standby tasks, then the active ones.
            self.streams_standbys_assigned(thread, user_data.as_ref());
            self.streams_partitions_assigned(thread);
        }
        if refresh {
            self.refresh_consumer_metadata(id, false);
        }
        self.emit(Event::PartitionsAssigned {
            consumer,
            group,
            generation,
            assigned: assignment,
            added,
        });
    }

    fn on_offset_fetch(
        &mut self,
        id: u32,
        result: Result<Vec<(TopicPartition, Option<u64>)>, GroupError>,
    ) {
        let c = &mut self.consumers[id as usize];
        let offsets = match result {
            Ok(o) => o,
            Err(e) => {
                for p in c.owned.values_mut() {
                    if p.fetch_position.is_none() {
                        p.offset_requested = false;
                    }
                }
                if e.coordinator_lost() {
                    self.coordinator_unknown(id);
                }
                return;
            }
        };
        let reset = c.config.auto_offset_reset;
        for (tp, committed) in offsets {
            let Some(p) = c.owned.get_mut(&tp) else {
                continue;
            };
            if p.fetch_position.is_some() {
                continue;
            }
            match committed {
                Some(o) => {
                    p.fetch_position = Some(FetchPosition::Offset(o));
                    p.position = Some(o);
                }
                None => p.fetch_position = Some(reset_position(reset)),
            }
        }
    }

    pub(crate) fn handle_consumer_fetch_response(
        &mut self,
        id: u32,
        broker: u32,
        request: u64,
        parts: Option<Vec<(u32, ConsumerFetchResult)>>,
    ) {
        let c = &mut self.consumers[id as usize];
        if c.fetches.get(&broker) != Some(&request) {
            return;
        }
        c.fetches.remove(&broker);
        if c.state != ClientState::Running {
            return;
        }
        let Some(parts) = parts else {
            // The connection broke under the fetch, or the fetch timed out, which closes the
            // connection too (`NetworkClient.handleDisconnections`, `handleTimedOutRequests`):
            // the broker is not fetched from again until a new connection is accepted
            // (`Fetcher.prepareFetchRequests` skips a node that `client.isUnavailable`), and
            // the metadata may name a new leader.
            if c.connections.is_ready(broker) {
                c.connections.disconnected(broker, self.now);
            }
            c.metadata.update_requested = true;
            return self.consumer_poll(id);
        };
        let g = c.group;
        let reset = c.config.auto_offset_reset;
        let mut resets = Vec::new();
        let c = &mut self.consumers[id as usize];
        for (slot, result) in parts {
            let Some(tp) = c.metadata.topic_partition(slot).cloned() else {
                continue;
            };
            let Some(p) = c.owned.get_mut(&tp) else {
                continue; // revoked meanwhile
            };
            match result {
                ConsumerFetchResult::Records {
                    fetch_offset,
                    records,
                    ..
                } => {
                    let expected = match p.fetch_position {
                        Some(FetchPosition::Offset(o)) => o == fetch_offset,
                        Some(_) => true,
                        None => false,
                    };
                    if !expected {
                        continue;
                    }
                    if p.position.is_none()
                        || !matches!(p.fetch_position, Some(FetchPosition::Offset(_)))
                    {
                        // A reset resolved by the leader: this is where the group starts.
                        p.position = Some(fetch_offset);
                    }
                    let next = records.last().map_or(fetch_offset, |(o, _)| o + 1);
                    p.fetch_position = Some(FetchPosition::Offset(next));
                    p.buffer.extend(records);
                }
                ConsumerFetchResult::NotLeader => c.metadata.update_requested = true,
                ConsumerFetchResult::OffsetOutOfRange => {
                    p.fetch_position = Some(reset_position(reset));
                    p.position = None;
                    resets.push(tp);
                }
            }
        }
        let consumer = c.name.clone();
        let group = self.groups[g as usize].name.clone();
        for tp in resets {
            self.emit(Event::OffsetReset {
                consumer: consumer.clone(),
                group: group.clone(),
                topic: tp.topic,
                partition: tp.partition,
                reset,
            });
        }
        self.consumer_poll(id);
    }

    /// A broker died: its open connections break, and every consumer waiting on it hears so.
    pub(crate) fn fail_consumer_requests_to(&mut self, broker: u32) {
        for id in 0..self.consumers.len() as u32 {
            let c = &self.consumers[id as usize];
            if c.state == ClientState::Crashed {
                continue;
            }
            let failed: Vec<u64> = c
                .requests
                .iter()
                .filter(|(_, (b, _))| *b == broker)
                .map(|(r, _)| *r)
                .collect();
            let fetch = c.fetches.get(&broker).copied();
            for request in failed {
                let kind = self.consumers[id as usize].requests[&request].1;
                let body = failed_response(kind);
                self.send(Message::GroupResponse {
                    consumer: id,
                    broker,
                    request,
                    body,
                });
            }
            if let Some(request) = fetch {
                self.send(Message::ConsumerFetchResponse {
                    consumer: id,
                    broker,
                    request,
                    parts: None,
                });
            }
        }
    }

    /// The protocol's promise, checked the moment a member takes its partitions: no other member
    /// of the group holds one of them in the same generation.
    fn assert_single_owner(&self, id: u32) {
        let me = &self.consumers[id as usize];
        for other in &self.consumers {
            if other.name == me.name || other.group != me.group || other.generation != me.generation
            {
                continue;
            }
            if let Some(tp) = me.owned.keys().find(|tp| other.owned.contains_key(*tp)) {
                panic!(
                    "{tp} owned by both {} and {} in generation {}",
                    me.name, other.name, me.generation
                );
            }
        }
    }

    /// How long the consumer waits for this group request, if it still waits for it:
    /// `request.timeout.ms`, or for a JoinGroup the rebalance timeout plus 5 s (Kafka's
    /// `AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE`), whichever is longer.
    pub(crate) fn group_request_timeout(&self, id: u32, request: u64) -> Option<Micros> {
        // A Connect worker's requests time out in the worker itself (`connect/distributed.rs`).
        if crate::connect::distributed::worker_of(id).is_some() {
            return None;
        }
        // A real client's too: it has its own `request.timeout.ms` and reconnects.
        if crate::client::external_group::external_of(id).is_some() {
            return None;
        }
        let c = &self.consumers[id as usize];
        let (_, kind) = c.requests.get(&request)?;
        Some(match kind {
            Pending::Join => c
                .config
                .request_timeout_us
                .max(c.config.max_poll_interval_us + crate::time::secs(5)),
            _ => c.config.request_timeout_us,
        })
    }

    /// A group request lost in a cut timed out (`lost.rs`): it fails as a broken connection does.
    pub(crate) fn group_request_timed_out(&mut self, id: u32, request: u64) {
        let Some(&(_, kind)) = self.consumers[id as usize].requests.get(&request) else {
            return;
        };
        self.handle_group_response(id, request, failed_response(kind));
    }

    /// The consumer's fetch in flight to `broker`, if any.
    pub(crate) fn consumer_fetch_in_flight(&self, id: u32, broker: u32) -> Option<u64> {
        self.consumers[id as usize].fetches.get(&broker).copied()
    }

    /// Whether a consumer has stopped or crashed (its answers are dropped).
    pub(crate) fn consumer_gone(&self, id: u32) -> bool {
        matches!(
            self.consumers[id as usize].state,
            ClientState::Stopped | ClientState::Crashed
        )
    }
}

fn reset_position(reset: OffsetReset) -> FetchPosition {
    match reset {
        OffsetReset::Earliest => FetchPosition::Earliest,
        OffsetReset::Latest => FetchPosition::Latest,
    }
}

/// The answer a broken connection gives to a request of this kind.
fn failed_response(kind: Pending) -> GroupResponse {
    let e = GroupError::NetworkException;
    match kind {
        Pending::FindCoordinator => GroupResponse::FindCoordinator(None),
        Pending::Join => GroupResponse::JoinGroup(Err(e)),
        Pending::Sync => GroupResponse::SyncGroup(Err(e)),
        Pending::Heartbeat => GroupResponse::Heartbeat(Err(e)),
        Pending::Commit(_) => GroupResponse::OffsetCommit(Err(e)),
        Pending::OffsetFetch => GroupResponse::OffsetFetch(Err(e)),
        Pending::Leave => GroupResponse::LeaveGroup(Err(e)),
    }
}
