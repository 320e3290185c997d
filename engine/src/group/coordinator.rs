//! The group coordinator: Kafka's classic consumer-group protocol on the broker side
//! (`GroupCoordinator` in 3.x, `ClassicGroup` + `GroupMetadataManager` in 4.x; same semantics).
//!
//! ```text
//!            first JoinGroup                 all members rejoined          leader's SyncGroup
//!   Empty ───────────────────▶ Preparing ─────────────────────────▶ Completing ─────────────▶ Stable
//!     ▲   (waits group.initial  Rebalance   (or rebalance timeout;    Rebalance                 │
//!     │    .rebalance.delay)        ▲        generation + 1)                                    │
//!     │                             └──── a member joins, leaves or its session expires ◀───────┘
//!     └── the last member leaves (the join completes with nobody: generation + 1, Empty)
//! ```
//!
//! The coordinator is generic in the protocol type (`consumer`, and later `streams`, `connect`),
//! as Kafka's is: members' metadata and assignments are opaque bytes. It picks the protocol every
//! member supports (`selectProtocol`), gives the leader every member's metadata for it, and hands
//! each member the bytes the leader's SyncGroup assigned it. It never reads them: the consumer
//! protocol (`consumer_protocol.rs`) is for the clients, whose leader runs the assignor.
//! Committed offsets live here too (Kafka stores them in `__consumer_offsets`).

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::cluster::{Cluster, Timer};
use crate::command::TopicPartition;
use crate::config::ConsumerConfig;
use crate::event::Event;
use crate::net::Message;
use crate::time::Micros;

/// Kafka's group states (`GroupState` / `ClassicGroupState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum GroupState {
    /// No members; committed offsets may remain.
    Empty,
    /// Waiting for every member to (re)send JoinGroup.
    PreparingRebalance,
    /// The join is done; waiting for the leader's SyncGroup with the assignment.
    CompletingRebalance,
    /// Every member has its assignment; heartbeats keep it so.
    Stable,
    /// The group is gone (deleted).
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

impl std::fmt::Display for GroupState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Kafka error codes of the group APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupError {
    /// This broker does not coordinate the group (it moved).
    NotCoordinator,
    /// The group's `__consumer_offsets` partition has no leader.
    CoordinatorNotAvailable,
    /// A rebalance is in progress: rejoin.
    RebalanceInProgress,
    /// The coordinator does not know this member (it was removed): rejoin as a new member.
    UnknownMemberId,
    /// The member's generation is not the group's.
    IllegalGeneration,
    /// The member's protocol type or protocols have nothing in common with the group's.
    InconsistentGroupProtocol,
    /// The connection to the broker broke before an answer came.
    NetworkException,
}

impl GroupError {
    /// Errors after which the client looks for the coordinator again.
    pub fn coordinator_lost(self) -> bool {
        matches!(
            self,
            GroupError::NotCoordinator
                | GroupError::CoordinatorNotAvailable
                | GroupError::NetworkException
        )
    }
}

/// The group requests a consumer sends (all to the coordinator except FindCoordinator).
#[derive(Debug, Clone)]
pub enum GroupRequest {
    FindCoordinator,
    JoinGroup {
        member: String,
        /// `consumer` for consumers: members of one group share it.
        protocol_type: String,
        /// The protocols the member supports, in its order of preference, each with its
        /// metadata (a consumer's: one per assignor, its subscription).
        protocols: Vec<(String, Bytes)>,
        session_timeout_us: Micros,
        rebalance_timeout_us: Micros,
    },
    SyncGroup {
        member: String,
        generation: i32,
        /// Only the leader sends the assignment: each member's bytes.
        assignments: Option<Vec<(String, Bytes)>>,
    },
    Heartbeat {
        member: String,
        generation: i32,
    },
    LeaveGroup {
        member: String,
    },
    OffsetCommit {
        member: String,
        generation: i32,
        offsets: Vec<(TopicPartition, u64)>,
    },
    OffsetFetch {
        partitions: Vec<TopicPartition>,
    },
}

impl GroupRequest {
    /// The answer a client gets when the request fails with `error` (e.g. a broken connection).
    pub fn failed(&self, error: GroupError) -> GroupResponse {
        match self {
            GroupRequest::FindCoordinator => GroupResponse::FindCoordinator(None),
            GroupRequest::JoinGroup { .. } => GroupResponse::JoinGroup(Err(error)),
            GroupRequest::SyncGroup { .. } => GroupResponse::SyncGroup(Err(error)),
            GroupRequest::Heartbeat { .. } => GroupResponse::Heartbeat(Err(error)),
            GroupRequest::LeaveGroup { .. } => GroupResponse::LeaveGroup(Err(error)),
            GroupRequest::OffsetCommit { .. } => GroupResponse::OffsetCommit(Err(error)),
            GroupRequest::OffsetFetch { .. } => GroupResponse::OffsetFetch(Err(error)),
        }
    }
}

/// A successful JoinGroup answer.
#[derive(Debug, Clone)]
pub struct JoinResponse {
    pub generation: i32,
    /// The protocol the coordinator selected (a consumer's: the assignor's name).
    pub protocol: String,
    pub leader: String,
    /// Every member's metadata for the selected protocol, for the leader only (empty for the
    /// others).
    pub members: Vec<(String, Bytes)>,
}

#[derive(Debug, Clone)]
pub enum GroupResponse {
    /// The coordinator's broker id, or `None` when it is not available.
    FindCoordinator(Option<u32>),
    JoinGroup(Result<JoinResponse, GroupError>),
    /// The member's assignment bytes (empty: nothing assigned).
    SyncGroup(Result<Bytes, GroupError>),
    Heartbeat(Result<(), GroupError>),
    LeaveGroup(Result<(), GroupError>),
    OffsetCommit(Result<(), GroupError>),
    OffsetFetch(Result<Vec<(TopicPartition, Option<u64>)>, GroupError>),
}

/// One member as the coordinator knows it (`MemberMetadata`).
#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    /// The client (index into `Cluster::consumers`) that uses this member id: the connection
    /// answers go back on.
    pub consumer: u32,
    /// The protocols it supports with their metadata, in its order of preference.
    pub protocols: Vec<(String, Bytes)>,
    pub session_timeout_us: Micros,
    pub rebalance_timeout_us: Micros,
    pub last_heartbeat_us: Micros,
    /// A JoinGroup waiting for the join phase to complete (its request id).
    pub awaiting_join: Option<u64>,
    /// A SyncGroup waiting for the leader's assignment (its request id).
    pub awaiting_sync: Option<u64>,
    /// Its assignment in the current generation, as the leader's SyncGroup gave it.
    pub assignment: Bytes,
    /// Identifies this member's session-expiry timer.
    pub nonce: u64,
}

/// What the coordinator has written to `__consumer_offsets` about the group: its last stable
/// (or empty) generation. A new coordinator loads this after a move.
#[derive(Debug, Clone, Default)]
struct Persisted {
    generation: i32,
    protocol_type: Option<String>,
    protocol: Option<String>,
    leader: Option<String>,
    members: Vec<Member>,
}

/// A consumer group: the coordinator's state, and what `group add` set for the consumers it
/// starts and `consumer add` starts later (the console's memory, not the coordinator's: the
/// coordinator reads none of `topics`, `client` and `rate`).
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    /// `group add … topics=`: the subscription of its consumers unless `consumer add` names one.
    pub topics: Vec<String>,
    /// The consumer configs `group add` gave its consumers (assignor, offset reset, timeouts).
    pub client: ConsumerConfig,
    pub rate: Option<crate::command::Rate>,
    /// Replicas of the group's `__consumer_offsets` partition.
    pub offsets_replicas: Vec<u32>,
    /// The broker that coordinates the group (leader of its offsets partition).
    pub coordinator: Option<u32>,
    pub state: GroupState,
    pub generation: i32,
    /// The members' protocol type (`consumer`), while the group has members.
    pub protocol_type: Option<String>,
    /// The protocol selected for the current generation.
    pub protocol: Option<String>,
    pub leader: Option<String>,
    pub members: BTreeMap<String, Member>,
    /// Member ids in the order they were added (a new leader is the first of them).
    join_order: Vec<String>,
    /// Committed offsets: the next offset the group will read.
    pub committed: BTreeMap<TopicPartition, u64>,
    persisted: Persisted,
    /// `Some(remaining)` while the initial rebalance delay runs (`InitialDelayedJoin`).
    initial_join_remaining_us: Option<Micros>,
    /// Kafka's `newMemberAdded`: a member joined during the first generation's initial delay.
    new_member_added: bool,
    /// Identifies the current join-phase timer.
    join_token: u64,
    /// Records the group's applications processed (duplicates included), per partition.
    pub consumed: BTreeMap<TopicPartition, u64>,
    /// Records processed a second time (or more) by some member of this group: what
    /// at-least-once delivery costs after a rebalance or a crash, when the new owner starts
    /// from the last committed offset and the old owner had processed past it.
    pub duplicates: u64,
    /// One bit per record id: processed by some member of this group (in chunks that clones
    /// share, freed with the records).
    consumed_bits: crate::shared::ChunkedBits,
}

impl Group {
    pub fn new(
        name: String,
        topics: Vec<String>,
        client: ConsumerConfig,
        rate: Option<crate::command::Rate>,
        offsets_replicas: Vec<u32>,
    ) -> Self {
        Group {
            name,
            topics,
            client,
            rate,
            offsets_replicas,
            coordinator: None,
            state: GroupState::Empty,
            generation: 0,
            protocol_type: None,
            protocol: None,
            leader: None,
            members: BTreeMap::new(),
            join_order: Vec::new(),
            committed: BTreeMap::new(),
            persisted: Persisted::default(),
            initial_join_remaining_us: None,
            new_member_added: false,
            join_token: 0,
            consumed: BTreeMap::new(),
            duplicates: 0,
            consumed_bits: crate::shared::ChunkedBits::default(),
        }
    }

    /// Marks a record as processed by some member (the per-partition counts are kept by the
    /// caller) and counts it as a duplicate when some member had processed it already.
    pub(crate) fn note_consumed(&mut self, id: crate::record::RecordId) {
        if self.consumed_bits.test_and_set(id) {
            self.duplicates += 1;
        }
    }

    /// Whether some member of the group processed this record.
    pub fn has_consumed(&self, id: crate::record::RecordId) -> bool {
        self.consumed_bits.get(id)
    }

    /// The store freed a chunk of records: nobody asks about them any more.
    pub(crate) fn forget_records(&mut self, chunk: u32) {
        self.consumed_bits.free(chunk);
    }

    /// The consumed bits' chunks (shared with clones), for the memory measure.
    pub(crate) fn for_each_chunk(&self, f: &mut dyn FnMut(usize, usize)) {
        self.consumed_bits.for_each_chunk(f);
    }

    /// An estimate of the heap bytes the group holds outside shared chunks.
    pub(crate) fn unshared_bytes(&self) -> usize {
        let per_tp = size_of::<TopicPartition>() + size_of::<u64>() + 32;
        let per_member = size_of::<Member>() + 64;
        size_of::<Group>()
            + (self.committed.len() + self.consumed.len()) * per_tp
            + (self.members.len() + self.persisted.members.len()) * per_member
            + self.consumed_bits.table_bytes()
    }

    /// The checks at the head of SyncGroup, Heartbeat and OffsetCommit: the coordinator must know
    /// the member (UNKNOWN_MEMBER_ID; an Empty or Dead group knows none) and the request's
    /// generation must be the group's (ILLEGAL_GENERATION).
    fn check_member(&self, member: &str, generation: i32) -> Result<(), GroupError> {
        if matches!(self.state, GroupState::Empty | GroupState::Dead)
            || !self.members.contains_key(member)
        {
            Err(GroupError::UnknownMemberId)
        } else if generation != self.generation {
            Err(GroupError::IllegalGeneration)
        } else {
            Ok(())
        }
    }

    fn all_members_joined(&self) -> bool {
        self.members.values().all(|m| m.awaiting_join.is_some())
    }

    /// The longest rebalance timeout of the members (`ClassicGroup.rebalanceTimeoutMs`; 0 with
    /// none: the join then completes at once).
    fn max_rebalance_timeout_us(&self) -> Micros {
        self.members
            .values()
            .map(|m| m.rebalance_timeout_us)
            .max()
            .unwrap_or(0)
    }

    /// `ClassicGroup.supportsProtocols`: a first member brings any non-empty protocol type and
    /// protocols; a later one must have the group's type and a protocol every member supports.
    /// `except`: a member rejoining, whose old protocols do not count.
    fn supports_protocols(
        &self,
        protocol_type: &str,
        protocols: &[(String, Bytes)],
        except: Option<&str>,
    ) -> bool {
        let others: Vec<&Member> = self
            .members
            .values()
            .filter(|m| Some(m.id.as_str()) != except)
            .collect();
        if others.is_empty() {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols.iter().any(|(name, _)| {
                others
                    .iter()
                    .all(|m| m.protocols.iter().any(|(n, _)| n == name))
            })
    }

    /// `ClassicGroup.selectProtocol`: among the protocols every member supports, each member votes
    /// for the first of its own list; the most votes win (a tie goes to the first name in
    /// order, where Kafka's goes to the first in its `HashMap`).
    fn select_protocol(&self) -> Option<String> {
        let candidates: Vec<&String> = self
            .members
            .values()
            .next()?
            .protocols
            .iter()
            .map(|(n, _)| n)
            .filter(|n| {
                self.members
                    .values()
                    .all(|m| m.protocols.iter().any(|(x, _)| x == *n))
            })
            .collect();
        let mut votes: BTreeMap<&String, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some((n, _)) = m.protocols.iter().find(|(n, _)| candidates.contains(&n)) {
                *votes.entry(n).or_default() += 1;
            }
        }
        let most = votes.values().copied().max()?;
        votes
            .into_iter()
            .find(|&(_, v)| v == most)
            .map(|(n, _)| n.clone())
    }
}

impl Cluster {
    pub(crate) fn group_index(&self, name: &str) -> Option<u32> {
        self.groups
            .iter()
            .position(|g| g.name == name)
            .map(|i| i as u32)
    }

    fn set_group_state(&mut self, g: u32, state: GroupState, reason: &str) {
        let group = &mut self.groups[g as usize];
        if group.state == state {
            return;
        }
        group.state = state;
        let event = Event::GroupStateChanged {
            group: group.name.clone(),
            state,
            generation: group.generation,
            reason: reason.to_string(),
        };
        self.emit(event);
    }

    fn reply(&mut self, g: u32, consumer: u32, request: u64, body: GroupResponse) {
        let Some(broker) = self.groups[g as usize].coordinator else {
            return;
        };
        self.send(Message::GroupResponse {
            consumer,
            broker,
            request,
            body,
        });
    }

    /// A group request arriving at a live broker.
    pub(crate) fn handle_group_request(
        &mut self,
        consumer: u32,
        broker: u32,
        request: u64,
        g: u32,
        body: GroupRequest,
    ) {
        let group = &self.groups[g as usize];
        let answer = |this: &mut Cluster, body: GroupResponse| {
            this.send(Message::GroupResponse {
                consumer,
                broker,
                request,
                body,
            })
        };
        if let GroupRequest::FindCoordinator = body {
            let coordinator = group.coordinator;
            return answer(self, GroupResponse::FindCoordinator(coordinator));
        }
        if group.coordinator != Some(broker) {
            return answer(self, body.failed(GroupError::NotCoordinator));
        }
        match body {
            GroupRequest::FindCoordinator => unreachable!("answered above"),
            GroupRequest::JoinGroup {
                member,
                protocol_type,
                protocols,
                session_timeout_us,
                rebalance_timeout_us,
            } => {
                let group = &self.groups[g as usize];
                if !group.supports_protocols(&protocol_type, &protocols, Some(&member)) {
                    let body = GroupResponse::JoinGroup(Err(GroupError::InconsistentGroupProtocol));
                    return answer(self, body);
                }
                self.join_group(
                    g,
                    consumer,
                    request,
                    member,
                    protocol_type,
                    protocols,
                    session_timeout_us,
                    rebalance_timeout_us,
                )
            }
            GroupRequest::SyncGroup {
                member,
                generation,
                assignments,
            } => self.sync_group(g, consumer, request, &member, generation, assignments),
            GroupRequest::Heartbeat { member, generation } => {
                let result = self.heartbeat(g, &member, generation);
                answer(self, GroupResponse::Heartbeat(result));
            }
            GroupRequest::LeaveGroup { member } => {
                let result = if self.groups[g as usize].members.contains_key(&member) {
                    self.remove_member(g, &member, "left the group");
                    Ok(())
                } else {
                    Err(GroupError::UnknownMemberId)
                };
                answer(self, GroupResponse::LeaveGroup(result));
            }
            GroupRequest::OffsetCommit {
                member,
                generation,
                offsets,
            } => {
                let result = self.commit_offsets(g, &member, generation, offsets);
                answer(self, GroupResponse::OffsetCommit(result));
            }
            GroupRequest::OffsetFetch { partitions } => {
                let group = &self.groups[g as usize];
                let offsets = partitions
                    .into_iter()
                    .map(|tp| {
                        let c = group.committed.get(&tp).copied();
                        (tp, c)
                    })
                    .collect();
                answer(self, GroupResponse::OffsetFetch(Ok(offsets)));
            }
        }
    }

    /// JoinGroup (`GroupCoordinator.handleJoinGroup`, member id already known: the consumer's
    /// name, so Kafka's MEMBER_ID_REQUIRED round trip is skipped).
    #[allow(clippy::too_many_arguments)]
    fn join_group(
        &mut self,
        g: u32,
        consumer: u32,
        request: u64,
        member: String,
        protocol_type: String,
        protocols: Vec<(String, Bytes)>,
        session_timeout_us: Micros,
        rebalance_timeout_us: Micros,
    ) {
        let now = self.now;
        if self.groups[g as usize].state == GroupState::Dead {
            // A deleted group is gone from the coordinator's cache: this join starts a new one.
            self.set_group_state(g, GroupState::Empty, "a member joins a deleted group");
        }
        let group = &mut self.groups[g as usize];
        if group.members.is_empty() {
            group.protocol_type = Some(protocol_type);
        }
        match group.members.get_mut(&member) {
            None => {
                // A new member: add it and rebalance (addMemberAndRebalance).
                let nonce = self.next_request + 1;
                self.next_request += 1;
                let group = &mut self.groups[g as usize];
                group.members.insert(
                    member.clone(),
                    Member {
                        id: member.clone(),
                        consumer,
                        protocols,
                        session_timeout_us,
                        rebalance_timeout_us,
                        last_heartbeat_us: now,
                        awaiting_join: Some(request),
                        awaiting_sync: None,
                        assignment: Bytes::new(),
                        nonce,
                    },
                );
                group.join_order.push(member.clone());
                if group.leader.is_none() {
                    group.leader = Some(member.clone());
                }
                if group.state == GroupState::PreparingRebalance && group.generation == 0 {
                    group.new_member_added = true;
                }
                let name = group.name.clone();
                self.emit(Event::MemberJoined {
                    group: name,
                    member: member.clone(),
                });
                self.schedule_member_expiry(g, nonce, now + session_timeout_us);
                self.maybe_prepare_rebalance(g, &format!("{member} joined"));
            }
            Some(m) => {
                // `MemberMetadata.matches`: the protocols and their metadata bytes (a consumer's
                // topics, owned partitions and generation: a cooperative member that revoked
                // partitions rejoins with fewer, which triggers the follow-up rebalance).
                let changed = m.protocols != protocols;
                m.protocols = protocols;
                m.session_timeout_us = session_timeout_us;
                m.rebalance_timeout_us = rebalance_timeout_us;
                m.last_heartbeat_us = now;
                m.awaiting_join = Some(request);
                let is_leader = group.leader.as_deref() == Some(member.as_str());
                match group.state {
                    GroupState::PreparingRebalance => self.try_complete_join(g),
                    GroupState::Stable | GroupState::CompletingRebalance
                        if !is_leader && !changed =>
                    {
                        // Nothing changed for a follower: answer with the current generation;
                        // it syncs and gets its assignment again.
                        let group = &mut self.groups[g as usize];
                        group
                            .members
                            .get_mut(&member)
                            .expect("member")
                            .awaiting_join = None;
                        let body = GroupResponse::JoinGroup(Ok(JoinResponse {
                            generation: group.generation,
                            protocol: group.protocol.clone().unwrap_or_default(),
                            leader: group.leader.clone().unwrap_or_default(),
                            members: Vec::new(),
                        }));
                        self.reply(g, consumer, request, body);
                    }
                    GroupState::Stable | GroupState::CompletingRebalance => {
                        let reason = if changed {
                            format!("{member} rejoined with new metadata")
                        } else {
                            format!("the leader {member} rejoined")
                        };
                        self.prepare_rebalance(g, &reason);
                    }
                    GroupState::Empty | GroupState::Dead => {
                        let body = GroupResponse::JoinGroup(Err(GroupError::UnknownMemberId));
                        self.reply(g, consumer, request, body);
                    }
                }
            }
        }
    }

    fn maybe_prepare_rebalance(&mut self, g: u32, reason: &str) {
        match self.groups[g as usize].state {
            GroupState::Stable | GroupState::CompletingRebalance | GroupState::Empty => {
                self.prepare_rebalance(g, reason)
            }
            GroupState::PreparingRebalance => self.try_complete_join(g),
            GroupState::Dead => {}
        }
    }

    /// `prepareRebalance`: every member must send JoinGroup again. An empty group waits
    /// `group.initial.rebalance.delay.ms` first, so that members starting together join one
    /// generation instead of triggering one rebalance each.
    fn prepare_rebalance(&mut self, g: u32, reason: &str) {
        let now = self.now;
        let delay = self.config.group_initial_rebalance_delay_us;
        let group = &mut self.groups[g as usize];
        if group.state == GroupState::CompletingRebalance {
            // resetAndPropagateAssignmentError: waiting SyncGroups fail with REBALANCE_IN_PROGRESS.
            let waiting: Vec<(u32, u64)> = group
                .members
                .values_mut()
                .filter_map(|m| m.awaiting_sync.take().map(|r| (m.consumer, r)))
                .collect();
            for (consumer, request) in waiting {
                let body = GroupResponse::SyncGroup(Err(GroupError::RebalanceInProgress));
                self.reply(g, consumer, request, body);
            }
        }
        let group = &mut self.groups[g as usize];
        for m in group.members.values_mut() {
            m.assignment = Bytes::new();
        }
        let initial = group.state == GroupState::Empty;
        group.join_token += 1;
        let token = group.join_token;
        let at = if initial {
            let remaining = group.max_rebalance_timeout_us().saturating_sub(delay);
            group.initial_join_remaining_us = Some(remaining);
            group.new_member_added = false;
            now + delay
        } else {
            group.initial_join_remaining_us = None;
            now + group.max_rebalance_timeout_us()
        };
        self.set_group_state(g, GroupState::PreparingRebalance, reason);
        self.schedule(at, Timer::GroupJoinDeadline { group: g, token });
        self.try_complete_join(g);
    }

    /// The join phase's timer: the end of an initial delay, or the rebalance timeout.
    pub(crate) fn group_join_deadline(&mut self, g: u32, token: u64) {
        if !self.coordinator_up(g) {
            return;
        }
        let delay = self.config.group_initial_rebalance_delay_us;
        let now = self.now;
        let group = &mut self.groups[g as usize];
        if group.join_token != token || group.state != GroupState::PreparingRebalance {
            return;
        }
        match group.initial_join_remaining_us {
            // InitialDelayedJoin.onComplete: members are still arriving, wait a little more.
            Some(remaining) if group.new_member_added && remaining > 0 => {
                group.new_member_added = false;
                let next = delay.min(remaining);
                group.initial_join_remaining_us = Some(remaining.saturating_sub(delay));
                self.schedule(now + next, Timer::GroupJoinDeadline { group: g, token });
            }
            _ => {
                group.initial_join_remaining_us = None;
                self.complete_join(g);
            }
        }
    }

    /// `DelayedJoin.tryComplete`: done once every known member has rejoined (never during the
    /// initial delay).
    fn try_complete_join(&mut self, g: u32) {
        let group = &self.groups[g as usize];
        if group.state == GroupState::PreparingRebalance
            && group.initial_join_remaining_us.is_none()
            && group.all_members_joined()
        {
            self.complete_join(g);
        }
    }

    /// `onCompleteJoin`: members that did not rejoin are removed, the generation moves on, and
    /// every member gets its JoinGroup answer; the leader's lists all subscriptions.
    fn complete_join(&mut self, g: u32) {
        let now = self.now;
        let group = &mut self.groups[g as usize];
        let gone: Vec<String> = group
            .members
            .values()
            .filter(|m| m.awaiting_join.is_none())
            .map(|m| m.id.clone())
            .collect();
        for id in &gone {
            group.members.remove(id);
            group.join_order.retain(|x| x != id);
        }
        let name = group.name.clone();
        for id in gone {
            self.emit(Event::MemberRemoved {
                group: name.clone(),
                member: id,
                reason: "did not rejoin within the rebalance timeout".into(),
            });
        }
        let group = &mut self.groups[g as usize];
        if group
            .leader
            .as_ref()
            .is_none_or(|l| !group.members.contains_key(l))
        {
            group.leader = group.join_order.first().cloned();
        }
        group.generation += 1;
        group.join_token += 1;
        if group.members.is_empty() {
            group.protocol_type = None;
            group.protocol = None;
            group.leader = None;
            self.persist_group(g);
            self.set_group_state(g, GroupState::Empty, "no members left");
            return;
        }
        let group = &mut self.groups[g as usize];
        let protocol = group
            .select_protocol()
            .expect("the members share a protocol (supportsProtocols)");
        group.protocol = Some(protocol.clone());
        let leader = group
            .leader
            .clone()
            .expect("a group with members has a leader");
        let metadata: Vec<(String, Bytes)> = group
            .members
            .values()
            .map(|m| {
                let (_, bytes) = m
                    .protocols
                    .iter()
                    .find(|(n, _)| *n == protocol)
                    .expect("every member supports the selected protocol");
                (m.id.clone(), bytes.clone())
            })
            .collect();
        let generation = group.generation;
        let mut replies = Vec::new();
        for m in group.members.values_mut() {
            let request = m.awaiting_join.take().expect("all members joined");
            m.last_heartbeat_us = now;
            let members = if m.id == leader {
                metadata.clone()
            } else {
                Vec::new()
            };
            replies.push((
                m.consumer,
                request,
                JoinResponse {
                    generation,
                    protocol: protocol.clone(),
                    leader: leader.clone(),
                    members,
                },
            ));
        }
        self.set_group_state(
            g,
            GroupState::CompletingRebalance,
            &format!("generation {generation}: waiting for the leader {leader}'s assignment"),
        );
        for (consumer, request, join) in replies {
            self.reply(g, consumer, request, GroupResponse::JoinGroup(Ok(join)));
        }
    }

    /// SyncGroup: the leader's brings the assignment; everyone's gets its share.
    fn sync_group(
        &mut self,
        g: u32,
        consumer: u32,
        request: u64,
        member: &str,
        generation: i32,
        assignments: Option<Vec<(String, Bytes)>>,
    ) {
        let now = self.now;
        let group = &mut self.groups[g as usize];
        let error = match group.check_member(member, generation) {
            Err(e) => Some(e),
            Ok(()) if group.state == GroupState::PreparingRebalance => {
                Some(GroupError::RebalanceInProgress)
            }
            Ok(()) => None,
        };
        if let Some(e) = error {
            return self.reply(g, consumer, request, GroupResponse::SyncGroup(Err(e)));
        }
        let m = group.members.get_mut(member).expect("checked");
        m.last_heartbeat_us = now;
        if group.state == GroupState::Stable {
            let assignment = m.assignment.clone();
            return self.reply(
                g,
                consumer,
                request,
                GroupResponse::SyncGroup(Ok(assignment)),
            );
        }
        // CompletingRebalance.
        m.awaiting_sync = Some(request);
        let is_leader = group.leader.as_deref() == Some(member);
        let Some(assignments) = assignments.filter(|_| is_leader) else {
            return;
        };
        // setAndPropagateAssignment: a member the leader left out gets empty bytes.
        let mut assignments: BTreeMap<String, Bytes> = assignments.into_iter().collect();
        let mut replies = Vec::new();
        for m in group.members.values_mut() {
            m.assignment = assignments.remove(&m.id).unwrap_or_default();
            if let Some(r) = m.awaiting_sync.take() {
                replies.push((m.consumer, r, m.assignment.clone()));
            }
        }
        self.persist_group(g);
        let generation = self.groups[g as usize].generation;
        self.emit_group_assignment(g);
        self.set_group_state(
            g,
            GroupState::Stable,
            &format!("generation {generation} assigned"),
        );
        for (consumer, request, assignment) in replies {
            self.reply(
                g,
                consumer,
                request,
                GroupResponse::SyncGroup(Ok(assignment)),
            );
        }
    }

    fn heartbeat(&mut self, g: u32, member: &str, generation: i32) -> Result<(), GroupError> {
        let now = self.now;
        let group = &mut self.groups[g as usize];
        group.check_member(member, generation)?;
        let rebalancing = group.state == GroupState::PreparingRebalance;
        group
            .members
            .get_mut(member)
            .expect("checked")
            .last_heartbeat_us = now;
        if rebalancing {
            Err(GroupError::RebalanceInProgress)
        } else {
            Ok(())
        }
    }

    /// OffsetCommit: accepted from a current member in Stable or PreparingRebalance (so that an
    /// eager member can commit before it rejoins), refused while the assignment is being made.
    pub(crate) fn commit_offsets(
        &mut self,
        g: u32,
        member: &str,
        generation: i32,
        offsets: Vec<(TopicPartition, u64)>,
    ) -> Result<(), GroupError> {
        let now = self.now;
        // `KafkaApis.handleOffsetCommitRequest`: a partition of a topic the broker's metadata
        // does not have is answered UNKNOWN_TOPIC_OR_PARTITION and not stored (an eager
        // member's commit before it rejoins may still name a topic just deleted).
        let mut offsets = offsets;
        offsets.retain(|(tp, _)| {
            self.topics
                .get(&tp.topic)
                .is_some_and(|t| (tp.partition as usize) < t.slots.len())
        });
        let group = &mut self.groups[g as usize];
        group.check_member(member, generation)?;
        if group.state == GroupState::CompletingRebalance {
            return Err(GroupError::RebalanceInProgress);
        }
        group
            .members
            .get_mut(member)
            .expect("checked")
            .last_heartbeat_us = now;
        for (tp, offset) in &offsets {
            group.committed.insert(tp.clone(), *offset);
        }
        let event = Event::OffsetsCommitted {
            group: group.name.clone(),
            member: member.to_string(),
            offsets: offsets
                .into_iter()
                .map(|(tp, o)| (tp.topic, tp.partition, o))
                .collect(),
        };
        self.emit(event);
        Ok(())
    }

    /// Removes a member (left, session expired, or poll timeout) and rebalances the rest.
    pub(crate) fn remove_member(&mut self, g: u32, member: &str, reason: &str) {
        let group = &mut self.groups[g as usize];
        if group.members.remove(member).is_none() {
            return;
        }
        group.join_order.retain(|x| x != member);
        if group.leader.as_deref() == Some(member) {
            group.leader = group.join_order.first().cloned();
        }
        let name = group.name.clone();
        self.emit(Event::MemberRemoved {
            group: name,
            member: member.to_string(),
            reason: reason.to_string(),
        });
        match self.groups[g as usize].state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(g, &format!("{member} {reason}"))
            }
            GroupState::PreparingRebalance => self.try_complete_join(g),
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    fn schedule_member_expiry(&mut self, g: u32, nonce: u64, at: Micros) {
        self.schedule(at, Timer::MemberExpiry { group: g, nonce });
    }

    /// The session-expiry timer of one member. Heartbeats do not reschedule it: it checks the
    /// last heartbeat when it fires and sleeps again if the member is alive.
    pub(crate) fn member_expiry(&mut self, g: u32, nonce: u64) {
        if !self.coordinator_up(g) {
            return;
        }
        let now = self.now;
        let group = &self.groups[g as usize];
        let Some(m) = group.members.values().find(|m| m.nonce == nonce) else {
            return;
        };
        let deadline = m.last_heartbeat_us + m.session_timeout_us;
        // shouldKeepAlive: a member waiting in JoinGroup or SyncGroup is not expired.
        if deadline > now || m.awaiting_join.is_some() || m.awaiting_sync.is_some() {
            let at = deadline.max(now + m.session_timeout_us.min(crate::time::secs(1)));
            return self.schedule_member_expiry(g, nonce, at);
        }
        let id = m.id.clone();
        let timeout = crate::time::format_duration(m.session_timeout_us);
        self.remove_member(
            g,
            &id,
            &format!("missed heartbeats for the session timeout ({timeout})"),
        );
    }

    /// DeleteGroups on an Empty group: Dead, offsets and metadata gone (tombstones in
    /// `__consumer_offsets`).
    pub(crate) fn delete_group(&mut self, g: u32) {
        let group = &mut self.groups[g as usize];
        debug_assert_eq!(group.state, GroupState::Empty);
        group.committed.clear();
        group.generation = 0;
        group.persisted = Persisted::default();
        group.join_token += 1;
        self.set_group_state(g, GroupState::Dead, "deleted");
    }

    /// Writes the group's metadata to "its `__consumer_offsets` partition" (the last stable or
    /// empty generation), for a coordinator that takes over later.
    fn persist_group(&mut self, g: u32) {
        let group = &mut self.groups[g as usize];
        group.persisted = Persisted {
            generation: group.generation,
            protocol_type: group.protocol_type.clone(),
            protocol: group.protocol.clone(),
            leader: group.leader.clone(),
            members: group.members.values().cloned().collect(),
        };
    }

    /// Whether the group's coordinator broker is running (a dead one's timers do nothing).
    fn coordinator_up(&self, g: u32) -> bool {
        self.groups[g as usize]
            .coordinator
            .is_some_and(|b| self.broker(b).alive)
    }

    /// The leader of each group's offsets partition after a change in the brokers: keep a live
    /// leader; otherwise the first live, unfenced replica; with `preferred`, the first replica
    /// whenever it is eligible (the leader-imbalance check). A move loads the group on the new
    /// coordinator from its persisted metadata.
    pub(crate) fn refresh_coordinators(&mut self, preferred: bool) {
        for g in 0..self.groups.len() as u32 {
            let group = &self.groups[g as usize];
            let eligible = |b: u32| {
                let broker = self.broker(b);
                broker.alive && !broker.fenced
            };
            let current = group.coordinator.filter(|&b| !self.broker(b).fenced);
            let first = group
                .offsets_replicas
                .iter()
                .copied()
                .find(|&b| eligible(b));
            let next = match current {
                Some(c) if !preferred => Some(c),
                Some(c) => {
                    let pref = group.offsets_replicas[0];
                    Some(if eligible(pref) { pref } else { c })
                }
                None => first,
            };
            if next != group.coordinator {
                self.move_coordinator(g, next);
            }
        }
    }

    fn move_coordinator(&mut self, g: u32, to: Option<u32>) {
        let now = self.now;
        let from = self.groups[g as usize].coordinator;
        // Unload: requests waiting at the old coordinator are answered NOT_COORDINATOR (if it is
        // still alive to answer).
        let waiting: Vec<(u32, u64, bool)> = self.groups[g as usize]
            .members
            .values()
            .flat_map(|m| {
                let join = m.awaiting_join.map(|r| (m.consumer, r, true));
                let sync = m.awaiting_sync.map(|r| (m.consumer, r, false));
                join.into_iter().chain(sync)
            })
            .collect();
        if from.is_some_and(|b| self.broker(b).alive) {
            for (consumer, request, join) in waiting {
                let body = if join {
                    GroupResponse::JoinGroup(Err(GroupError::NotCoordinator))
                } else {
                    GroupResponse::SyncGroup(Err(GroupError::NotCoordinator))
                };
                self.reply(g, consumer, request, body);
            }
        }
        let mut nonces = Vec::new();
        let group = &mut self.groups[g as usize];
        group.coordinator = to;
        group.join_token += 1;
        group.initial_join_remaining_us = None;
        // Load: the last persisted generation, every member's session starting afresh.
        let p = group.persisted.clone();
        group.generation = p.generation;
        group.protocol_type = p.protocol_type;
        group.protocol = p.protocol;
        group.leader = p.leader;
        group.members.clear();
        group.join_order.clear();
        for mut m in p.members {
            m.awaiting_join = None;
            m.awaiting_sync = None;
            m.last_heartbeat_us = now;
            self.next_request += 1;
            m.nonce = self.next_request;
            nonces.push((m.nonce, m.session_timeout_us));
            group.join_order.push(m.id.clone());
            group.members.insert(m.id.clone(), m);
        }
        let state = if group.state == GroupState::Dead {
            GroupState::Dead
        } else if group.members.is_empty() {
            GroupState::Empty
        } else {
            GroupState::Stable
        };
        // Set directly: a load is not a transition of the group itself.
        group.state = state;
        let name = group.name.clone();
        let generation = group.generation;
        self.emit(Event::CoordinatorMoved {
            group: name,
            from,
            to,
            state,
            generation,
        });
        if to.is_some() {
            for (nonce, session) in nonces {
                self.schedule_member_expiry(g, nonce, now + session);
            }
        }
    }
}
