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
//!
//! The client's parts, each in its file:
//! - `lifecycle.rs`: a consumer process started, restarted, stopped (`close()`), crashed,
//!   stalled, its rate changed;
//! - `poll.rs`: the application's poll loop: `poll()`, `max.poll.records`, processing at its
//!   rate, and when the client wakes next;
//! - `heartbeat.rs`: the heartbeat thread, the session and `max.poll.interval.ms` checks;
//! - `requests.rs`: group requests in flight (Kafka's `AbstractCoordinator`): FindCoordinator,
//!   the answers, a lost coordinator, timeouts, a broker's death;
//! - `rebalance.rs`: `ConsumerCoordinator`'s join: `onJoinPrepare`, JoinGroup, the leader's
//!   assignment, SyncGroup, `onJoinComplete`, revocation and lost membership;
//! - `offsets.rs`: commits (auto, before a join, on close, the application's) and OffsetFetch of
//!   the starting positions;
//! - `fetcher.rs`: Kafka's `Fetcher`: one Fetch per leader broker, the answers into per-partition
//!   buffers, resets, and the client's Metadata refreshes.

mod fetcher;
mod heartbeat;
mod lifecycle;
mod offsets;
mod poll;
mod rebalance;
mod requests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::client::{Application, ClientMetadata};
use crate::command::TopicPartition;
use crate::config::ConsumerConfig;
use crate::group::coordinator::JoinResponse;
use crate::group::fetch::FetchPosition;
use crate::record::RecordId;
use crate::time::Micros;

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
