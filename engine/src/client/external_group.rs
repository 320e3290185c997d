//! Real Kafka clients in consumer groups: their FindCoordinator, JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup, OffsetCommit and OffsetFetch, decoded by the listener, go through the
//! engine's own group coordinator (`group/coordinator.rs`), as the simulated consumers' and the
//! Connect workers' do.
//!
//! A request leaves the broker the client's connection reached as a `Message::GroupRequest`
//! whose client id carries [`EXTERNAL_CLIENT`] (as a Connect worker's carries `WORKER_CLIENT`),
//! so the simulated network's latency, cuts and dead brokers apply to it. On arrival
//! ([`Cluster::external_group_arrives`]) the broker checks what Kafka's `GroupCoordinator`
//! checks before the group state machine (not the coordinator: NOT_COORDINATOR; the session
//! timeout's bounds; the member id handshake of KIP-394), then hands the request to the
//! coordinator, where a JoinGroup or a SyncGroup is parked until the rebalance answers it,
//! exactly as a simulated member's is. The answer travels back to the client's broker as a
//! `Message::GroupResponse` and lands in the outbox the driver drains
//! ([`Cluster::drain_external_groups`]).
//!
//! What the engine's `GroupRequest`/`GroupResponse` do not carry (a commit's metadata string,
//! the member id Kafka generates, per-member LeaveGroup errors, a whole OffsetFetch) is kept
//! with the request in flight: a request the broker answers itself on arrival stores its answer
//! there, and the `GroupResponse` that travels back only carries it to the client.

use std::collections::BTreeMap;

use bytes::Bytes;
use rand::Rng;

use crate::CommandError;
use crate::cluster::Cluster;
use crate::command::TopicPartition;
use crate::config::ConsumerConfig;
use crate::event::Event;
use crate::group::coordinator::{Group, GroupError, GroupRequest, GroupResponse, GroupState};
use crate::group::offsets_topic;
use crate::net::Message;
use crate::time::{Micros, ms, secs};

/// `group.min.session.timeout.ms` = 6000 and `group.max.session.timeout.ms` = 1800000 (as
/// `group/admin.rs` checks `group add`'s).
const GROUP_MIN_SESSION_TIMEOUT_US: Micros = secs(6);
const GROUP_MAX_SESSION_TIMEOUT_US: Micros = secs(1800);

/// Marks a group client id as a real client's (its driver id below it); `WORKER_CLIENT` is
/// bit 31, simulated consumers are indexes far below both.
pub(crate) const EXTERNAL_CLIENT: u32 = 1 << 30;

/// The real client a group client id stands for, if it is one.
pub(crate) fn external_of(client: u32) -> Option<u32> {
    (client & EXTERNAL_CLIENT != 0 && client & crate::connect::distributed::WORKER_CLIENT == 0)
        .then_some(client & !EXTERNAL_CLIENT)
}

/// Kafka's error codes of the group APIs (`Errors.java`).
pub mod code {
    pub const NONE: i16 = 0;
    pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
    pub const OFFSET_METADATA_TOO_LARGE: i16 = 12;
    pub const NETWORK_EXCEPTION: i16 = 13;
    pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
    pub const NOT_COORDINATOR: i16 = 16;
    pub const ILLEGAL_GENERATION: i16 = 22;
    pub const INCONSISTENT_GROUP_PROTOCOL: i16 = 23;
    pub const INVALID_GROUP_ID: i16 = 24;
    pub const UNKNOWN_MEMBER_ID: i16 = 25;
    pub const INVALID_SESSION_TIMEOUT: i16 = 26;
    pub const REBALANCE_IN_PROGRESS: i16 = 27;
    pub const INVALID_COMMIT_OFFSET_SIZE: i16 = 28;
    pub const INVALID_REQUEST: i16 = 42;
    pub const MEMBER_ID_REQUIRED: i16 = 79;
}

/// Kafka's `offset.metadata.max.bytes` default: a longer commit metadata string is
/// OFFSET_METADATA_TOO_LARGE.
pub const OFFSET_METADATA_MAX_BYTES: usize = 4096;
/// Most groups real clients may bring into a room (a client could otherwise fill it with
/// names); past it FindCoordinator and a first commit answer COORDINATOR_NOT_AVAILABLE.
pub const MAX_EXTERNAL_GROUPS: usize = 64;

/// Kafka's code for an engine group error.
pub fn group_error_code(e: GroupError) -> i16 {
    match e {
        GroupError::NotCoordinator => code::NOT_COORDINATOR,
        GroupError::CoordinatorNotAvailable => code::COORDINATOR_NOT_AVAILABLE,
        GroupError::RebalanceInProgress => code::REBALANCE_IN_PROGRESS,
        GroupError::UnknownMemberId => code::UNKNOWN_MEMBER_ID,
        GroupError::IllegalGeneration => code::ILLEGAL_GENERATION,
        GroupError::InconsistentGroupProtocol => code::INCONSISTENT_GROUP_PROTOCOL,
        GroupError::NetworkException => code::NETWORK_EXCEPTION,
    }
}

/// A group request of a real client, decoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum ExternalGroupBody {
    FindCoordinator,
    JoinGroup {
        /// Empty for a new member.
        member_id: String,
        /// v4+: a new member must first learn its id (MEMBER_ID_REQUIRED, KIP-394).
        require_known_member_id: bool,
        protocol_type: String,
        #[serde(with = "crate::client::journal::named_bytes")]
        protocols: Vec<(String, Vec<u8>)>,
        session_timeout_ms: i32,
        /// v0 has none: the session timeout (`JoinGroupRequest` v0's rule).
        rebalance_timeout_ms: i32,
    },
    SyncGroup {
        member_id: String,
        generation: i32,
        /// v5+: checked against the group's when given.
        protocol_type: Option<String>,
        protocol_name: Option<String>,
        #[serde(with = "crate::client::journal::named_bytes")]
        assignments: Vec<(String, Vec<u8>)>,
    },
    Heartbeat {
        member_id: String,
        generation: i32,
    },
    /// v0–v2 one member, v3+ a batch (each with its own answer).
    LeaveGroup {
        /// (member id, group.instance.id)
        members: Vec<(String, Option<String>)>,
    },
    OffsetCommit {
        member_id: String,
        /// -1: a commit from outside the group (a simple consumer or an admin).
        generation: i32,
        /// (topic, partition, offset, metadata)
        offsets: Vec<(String, i32, i64, Option<String>)>,
    },
    /// `None`: every committed partition (v2+ null topics).
    OffsetFetch {
        partitions: Option<Vec<(String, i32)>>,
    },
}

/// A real client's group request, from the broker its connection reached. In a journal line
/// (`client::journal`) the client is the line's, not the JSON's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalGroupRequest {
    #[serde(skip)]
    pub client: u32,
    pub broker: u32,
    /// The driver's name for the request: the answer carries it back.
    pub token: u64,
    /// The client's `client.id`: the start of a member id the coordinator makes.
    pub client_id: String,
    /// Where the client connects from (DescribeGroups' `client_host`).
    pub client_host: String,
    pub group: String,
    pub body: ExternalGroupBody,
}

/// A JoinGroup's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinAnswer {
    pub generation: i32,
    pub protocol_type: String,
    pub protocol: String,
    pub leader: String,
    pub member_id: String,
    /// Every member's metadata for the leader; empty for the others.
    pub members: Vec<(String, Vec<u8>)>,
}

/// A SyncGroup answer: the group's protocol type and protocol name (v5+ echo them), and the
/// member's assignment bytes; or Kafka's error code.
pub type SyncAnswer = Result<(Option<String>, Option<String>, Vec<u8>), i16>;

/// The answer to a real client's group request: Kafka's error codes, values to encode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternalGroupAnswer {
    FindCoordinator(Result<u32, i16>),
    /// An error may carry the member id (MEMBER_ID_REQUIRED's).
    JoinGroup(Result<JoinAnswer, (i16, String)>),
    SyncGroup(SyncAnswer),
    Heartbeat(i16),
    /// The top-level error, then each member's.
    LeaveGroup(i16, Vec<(String, Option<String>, i16)>),
    /// Each partition's error, in the request's order.
    OffsetCommit(Vec<(String, i32, i16)>),
    /// The top-level error, then (topic, partition, offset or -1, metadata, error).
    OffsetFetch(i16, Vec<(String, i32, i64, String, i16)>),
}

/// A finished request for the driver to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalGroupResponse {
    pub client: u32,
    pub token: u64,
    pub answer: ExternalGroupAnswer,
}

/// A request on its way: whose it is, and what the engine's messages do not carry.
#[derive(Debug, Clone)]
struct InFlight {
    client: u32,
    token: u64,
    group: u32,
    /// The member id the request is for (a JoinGroup's, once the coordinator made it).
    member_id: String,
    /// The client's group request, kept whole.
    body: ExternalGroupBody,
    /// Its `client.id` and host, kept for DescribeGroups when it joins.
    who: MemberClient,
    /// Answered by the broker on arrival: the `GroupResponse` only carries it back.
    answered: Option<ExternalGroupAnswer>,
}

/// What Kafka's coordinator knows of a real client's member that the engine's `Member` does
/// not: its `client.id` and host, for DescribeGroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberClient {
    pub client_id: String,
    pub client_host: String,
}

/// The real clients' group requests in progress and what the coordinator keeps for them.
#[derive(Debug, Clone, Default)]
pub struct ExternalGroups {
    requests: BTreeMap<u64, InFlight>,
    outbox: Vec<ExternalGroupResponse>,
    /// KIP-394's pending members: (group, member id) → until when the id may be used to join
    /// (`session.timeout.ms` after MEMBER_ID_REQUIRED, Kafka's pending member expiration).
    pending: BTreeMap<(u32, String), Micros>,
    /// (group, member id) → its client.
    members: BTreeMap<(u32, String), MemberClient>,
    /// (group, partition) → the offset committed with a metadata string and that string:
    /// the string is the committed offset's while the offset is the same.
    metadata: BTreeMap<(u32, TopicPartition), (u64, String)>,
    /// Groups real clients created.
    created: usize,
}

impl ExternalGroups {
    /// `topic delete`: the metadata strings committed with the topic's offsets go with them.
    pub(crate) fn forget_topic(&mut self, topic: &str) {
        self.metadata.retain(|(_, tp), _| tp.topic != topic);
    }
}

/// A random UUID in Java's `UUID.randomUUID().toString()` form, from the seeded RNG.
fn uuid(rng: &mut impl Rng) -> String {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // IETF variant
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl Cluster {
    /// The group `name`, created Empty if the engine has not seen it (Kafka creates a classic
    /// group on its first JoinGroup or commit, `getOrMaybeCreateClassicGroup`); here already
    /// on FindCoordinator, which must name the group's coordinator. `None` past the room's
    /// bound on groups real clients bring.
    fn external_group_index(&mut self, name: &str) -> Option<u32> {
        if let Some(g) = self.group_index(name) {
            return Some(g);
        }
        if self.external_groups.created >= MAX_EXTERNAL_GROUPS {
            return None;
        }
        let replicas = offsets_topic::replicas_for(name, self.brokers.len() as u32);
        self.groups.push(Group::new(
            name.to_string(),
            Vec::new(),
            ConsumerConfig::default(),
            None,
            replicas,
        ));
        self.external_groups.created += 1;
        let g = (self.groups.len() - 1) as u32;
        self.refresh_coordinators(false);
        self.emit(Event::GroupCreated {
            group: name.to_string(),
            topics: Vec::new(),
            // The members' leader assigns, in the client.
            assignor: "client".to_string(),
            coordinator: self.groups[g as usize].coordinator,
        });
        Some(g)
    }

    /// `Command::ExternalGroup`: the request leaves the client's connection for its broker.
    pub(crate) fn cmd_external_group(
        &mut self,
        request: ExternalGroupRequest,
    ) -> Result<(), CommandError> {
        if !self.external_client(request.client) || request.client >= EXTERNAL_CLIENT {
            return Err(CommandError::Invalid(format!(
                "no real client {}",
                request.client
            )));
        }
        if request.broker == 0 || request.broker > self.broker_count() {
            return Err(CommandError::UnknownBroker(request.broker));
        }
        let ExternalGroupRequest {
            client,
            broker,
            token,
            client_id,
            client_host,
            group,
            body,
        } = request;
        let answer_now = |this: &mut Cluster, answer| {
            this.external_groups.outbox.push(ExternalGroupResponse {
                client,
                token,
                answer,
            })
        };
        // `KafkaApis`/`GroupCoordinator.validateGroupStatus`: a group id that is empty is
        // INVALID_GROUP_ID (FindCoordinator: answered with the error too); so is one longer
        // than the room's names may be (`limits::check_name`), where Kafka has no bound.
        if group.is_empty() || crate::limits::check_name("group", &group).is_err() {
            let answer = invalid_group(&body);
            answer_now(self, answer);
            return Ok(());
        }
        let Some(g) = self.external_group_index(&group) else {
            let e = code::COORDINATOR_NOT_AVAILABLE;
            let answer = error_answer(&body, e);
            answer_now(self, answer);
            return Ok(());
        };
        let member_id = match &body {
            ExternalGroupBody::JoinGroup { member_id, .. }
            | ExternalGroupBody::SyncGroup { member_id, .. }
            | ExternalGroupBody::Heartbeat { member_id, .. }
            | ExternalGroupBody::OffsetCommit { member_id, .. } => member_id.clone(),
            _ => String::new(),
        };
        // The engine's request: what the coordinator reads. The rest travels in `InFlight`.
        let engine_body = match &body {
            ExternalGroupBody::FindCoordinator => GroupRequest::FindCoordinator,
            ExternalGroupBody::JoinGroup {
                member_id,
                protocol_type,
                protocols,
                session_timeout_ms,
                rebalance_timeout_ms,
                ..
            } => GroupRequest::JoinGroup {
                member: member_id.clone(),
                protocol_type: protocol_type.clone(),
                protocols: protocols
                    .iter()
                    .map(|(n, m)| (n.clone(), Bytes::copy_from_slice(m)))
                    .collect(),
                session_timeout_us: ms(u64::try_from(*session_timeout_ms).unwrap_or(0)),
                rebalance_timeout_us: ms(u64::try_from(*rebalance_timeout_ms).unwrap_or(0)),
            },
            ExternalGroupBody::SyncGroup {
                member_id,
                generation,
                assignments,
                ..
            } => GroupRequest::SyncGroup {
                member: member_id.clone(),
                generation: *generation,
                assignments: Some(
                    assignments
                        .iter()
                        .map(|(m, a)| (m.clone(), Bytes::copy_from_slice(a)))
                        .collect(),
                ),
            },
            ExternalGroupBody::Heartbeat {
                member_id,
                generation,
            } => GroupRequest::Heartbeat {
                member: member_id.clone(),
                generation: *generation,
            },
            // Answered by the broker on arrival (`external_group_arrives`); the engine's
            // request only carries it there.
            ExternalGroupBody::LeaveGroup { .. } => GroupRequest::LeaveGroup {
                member: String::new(),
            },
            ExternalGroupBody::OffsetCommit { .. } => GroupRequest::OffsetFetch {
                partitions: Vec::new(),
            },
            ExternalGroupBody::OffsetFetch { .. } => GroupRequest::OffsetFetch {
                partitions: Vec::new(),
            },
        };
        let request = self.request_id();
        self.external_groups.requests.insert(
            request,
            InFlight {
                client,
                token,
                group: g,
                member_id,
                body,
                who: MemberClient {
                    client_id: client_id.clone(),
                    client_host,
                },
                answered: None,
            },
        );
        self.send(Message::GroupRequest {
            consumer: EXTERNAL_CLIENT | client,
            broker,
            request,
            group: g,
            body: engine_body,
        });
        Ok(())
    }

    /// A real client's group request arriving at a live broker: Kafka's checks before the
    /// group state machine, then the coordinator's own handler.
    pub(crate) fn external_group_arrives(
        &mut self,
        consumer: u32,
        broker: u32,
        request: u64,
        g: u32,
        mut body: GroupRequest,
    ) {
        let Some(flight) = self.external_groups.requests.get(&request).cloned() else {
            return; // the client went away
        };
        let coordinator = self.groups[g as usize].coordinator == Some(broker);
        if matches!(body, GroupRequest::FindCoordinator) || !coordinator {
            // FindCoordinator is any broker's to answer; elsewhere NOT_COORDINATOR.
            return self.handle_group_request(consumer, broker, request, g, body);
        }
        let now = self.now;
        let answer: Option<ExternalGroupAnswer> = match &flight.body {
            ExternalGroupBody::JoinGroup {
                member_id,
                require_known_member_id,
                session_timeout_ms,
                ..
            } => {
                let session = ms(u64::try_from(*session_timeout_ms).unwrap_or(0));
                let group = &self.groups[g as usize];
                self.external_groups.pending.retain(|_, until| *until > now);
                if !(GROUP_MIN_SESSION_TIMEOUT_US..=GROUP_MAX_SESSION_TIMEOUT_US).contains(&session)
                {
                    // `GroupCoordinator.handleJoinGroup`: outside group.min/max.session.timeout.ms.
                    Some(ExternalGroupAnswer::JoinGroup(Err((
                        code::INVALID_SESSION_TIMEOUT,
                        member_id.clone(),
                    ))))
                } else if member_id.is_empty() {
                    // `doNewMemberJoinGroup`: the coordinator names the member `clientId-UUID`.
                    let id = format!("{}-{}", flight.who.client_id, uuid(&mut self.rng));
                    if let Some(f) = self.external_groups.requests.get_mut(&request) {
                        f.member_id = id.clone();
                    }
                    if *require_known_member_id {
                        // KIP-394 (v4+): the member must come back with its id; until then it
                        // is pending, for one session timeout.
                        self.external_groups
                            .pending
                            .insert((g, id.clone()), now + session);
                        Some(ExternalGroupAnswer::JoinGroup(Err((
                            code::MEMBER_ID_REQUIRED,
                            id,
                        ))))
                    } else {
                        if let GroupRequest::JoinGroup { member, .. } = &mut body {
                            *member = id;
                        }
                        None
                    }
                } else if self
                    .external_groups
                    .pending
                    .remove(&(g, member_id.clone()))
                    .is_some()
                    || group.members.contains_key(member_id)
                {
                    // A pending member joins (the coordinator adds it); a known one rejoins,
                    // perhaps from a new connection, where its answers now go.
                    self.rebind_member(g, member_id, consumer);
                    None
                } else {
                    // `doCurrentMemberJoinGroup`: an id the coordinator does not know.
                    Some(ExternalGroupAnswer::JoinGroup(Err((
                        code::UNKNOWN_MEMBER_ID,
                        member_id.clone(),
                    ))))
                }
            }
            ExternalGroupBody::SyncGroup {
                member_id,
                protocol_type,
                protocol_name,
                ..
            } => {
                let group = &self.groups[g as usize];
                // `ClassicGroup.isValidProtocolType/isValidProtocolName` (SyncGroup v5+).
                let mismatch = protocol_type
                    .as_ref()
                    .is_some_and(|t| group.protocol_type.as_ref() != Some(t))
                    || protocol_name
                        .as_ref()
                        .is_some_and(|p| group.protocol.as_ref() != Some(p));
                if group.members.contains_key(member_id) && mismatch {
                    Some(ExternalGroupAnswer::SyncGroup(Err(
                        code::INCONSISTENT_GROUP_PROTOCOL,
                    )))
                } else {
                    self.rebind_member(g, member_id, consumer);
                    None
                }
            }
            ExternalGroupBody::Heartbeat { .. } => None,
            ExternalGroupBody::LeaveGroup { members } => {
                Some(self.external_leave(g, members.clone()))
            }
            ExternalGroupBody::OffsetCommit {
                member_id,
                generation,
                offsets,
            } => Some(self.external_commit(g, member_id, *generation, offsets.clone())),
            ExternalGroupBody::OffsetFetch { partitions } => {
                Some(self.external_offset_fetch(g, partitions.clone()))
            }
            ExternalGroupBody::FindCoordinator => unreachable!("answered above"),
        };
        match answer {
            None => {
                if let GroupRequest::JoinGroup { member, .. } = &body {
                    // Kept for DescribeGroups (Kafka's `MemberMetadata.clientId/clientHost`).
                    self.external_groups
                        .members
                        .insert((g, member.clone()), flight.who.clone());
                }
                self.handle_group_request(consumer, broker, request, g, body)
            }
            Some(answer) => {
                if let Some(f) = self.external_groups.requests.get_mut(&request) {
                    f.answered = Some(answer);
                }
                self.send(Message::GroupResponse {
                    consumer,
                    broker,
                    request,
                    body: body.failed(GroupError::NetworkException),
                });
            }
        }
    }

    /// The coordinator answers a member on the connection of its latest request.
    fn rebind_member(&mut self, g: u32, member: &str, consumer: u32) {
        if let Some(m) = self.groups[g as usize].members.get_mut(member)
            && external_of(m.consumer).is_some()
        {
            m.consumer = consumer;
        }
    }

    /// LeaveGroup (`GroupCoordinator.handleLeaveGroup`): each member removed, or
    /// UNKNOWN_MEMBER_ID; a pending member is forgotten. Static members do not exist here, so
    /// a `group.instance.id` names no member (UNKNOWN_MEMBER_ID unless the member id does).
    fn external_leave(
        &mut self,
        g: u32,
        members: Vec<(String, Option<String>)>,
    ) -> ExternalGroupAnswer {
        if self.groups[g as usize].state == GroupState::Dead {
            return ExternalGroupAnswer::LeaveGroup(code::COORDINATOR_NOT_AVAILABLE, Vec::new());
        }
        let mut out = Vec::with_capacity(members.len());
        for (member, instance) in members {
            let pending = self
                .external_groups
                .pending
                .remove(&(g, member.clone()))
                .is_some();
            let known = self.groups[g as usize].members.contains_key(&member);
            let error = if known {
                self.remove_member(g, &member, "left the group");
                code::NONE
            } else if pending {
                code::NONE
            } else {
                code::UNKNOWN_MEMBER_ID
            };
            if error == code::NONE {
                self.external_groups.members.remove(&(g, member.clone()));
            }
            out.push((member, instance, error));
        }
        ExternalGroupAnswer::LeaveGroup(code::NONE, out)
    }

    /// OffsetCommit (`GroupCoordinator.handleCommitOffsets`, `KafkaApis`): a partition the
    /// cluster lacks is UNKNOWN_TOPIC_OR_PARTITION and a metadata string above
    /// `offset.metadata.max.bytes` OFFSET_METADATA_TOO_LARGE; the rest commits if the group
    /// accepts the member: a generation below 0 on an Empty group is a commit from outside the
    /// group (`validateOffsetCommit`), else the coordinator's member and generation checks.
    fn external_commit(
        &mut self,
        g: u32,
        member: &str,
        generation: i32,
        offsets: Vec<(String, i32, i64, Option<String>)>,
    ) -> ExternalGroupAnswer {
        let mut errors: Vec<i16> = Vec::with_capacity(offsets.len());
        let mut valid = Vec::new();
        for (topic, partition, offset, metadata) in &offsets {
            let known = self
                .topic_partitions(topic)
                .is_some_and(|n| *partition >= 0 && (*partition as u32) < n);
            let error = if !known {
                code::UNKNOWN_TOPIC_OR_PARTITION
            } else if metadata
                .as_ref()
                .is_some_and(|m| m.len() > OFFSET_METADATA_MAX_BYTES)
            {
                code::OFFSET_METADATA_TOO_LARGE
            } else if *offset < 0 {
                // The engine keeps offsets as positions in a log; Kafka would store the
                // negative number, which no consumer can resume from.
                code::INVALID_COMMIT_OFFSET_SIZE
            } else {
                valid.push((
                    TopicPartition {
                        topic: topic.clone(),
                        partition: *partition as u32,
                    },
                    *offset as u64,
                    metadata.clone().unwrap_or_default(),
                ));
                code::NONE
            };
            errors.push(error);
        }
        let group = &self.groups[g as usize];
        let result = if group.state == GroupState::Dead {
            Err(code::COORDINATOR_NOT_AVAILABLE)
        } else if valid.is_empty() {
            Ok(())
        } else if generation < 0 && group.state == GroupState::Empty {
            let group = &mut self.groups[g as usize];
            for (tp, offset, _) in &valid {
                group.committed.insert(tp.clone(), *offset);
            }
            let event = Event::OffsetsCommitted {
                group: group.name.clone(),
                member: String::new(),
                offsets: valid
                    .iter()
                    .map(|(tp, o, _)| (tp.topic.clone(), tp.partition, *o))
                    .collect(),
            };
            self.emit(event);
            Ok(())
        } else {
            let plain = valid.iter().map(|(tp, o, _)| (tp.clone(), *o)).collect();
            self.commit_offsets(g, member, generation, plain)
                .map_err(group_error_code)
        };
        if result.is_ok() {
            for (tp, offset, metadata) in valid {
                self.external_groups
                    .metadata
                    .insert((g, tp), (offset, metadata));
            }
        }
        let answer = offsets
            .into_iter()
            .zip(errors)
            .map(|((topic, partition, _, _), e)| {
                let e = match result {
                    Err(top) if e == code::NONE => top,
                    _ => e,
                };
                (topic, partition, e)
            })
            .collect();
        ExternalGroupAnswer::OffsetCommit(answer)
    }

    /// The metadata string committed with the group's current offset of `tp` ("" when the
    /// offset was committed without one, e.g. by a simulated consumer).
    fn committed_metadata(&self, g: u32, tp: &TopicPartition, offset: u64) -> String {
        match self.external_groups.metadata.get(&(g, tp.clone())) {
            Some((o, m)) if *o == offset => m.clone(),
            _ => String::new(),
        }
    }

    /// OffsetFetch (`GroupCoordinator.handleFetchOffsets`): each partition's committed offset
    /// and metadata, -1 and "" where none is (an unknown partition too); every committed
    /// partition when the request names none.
    fn external_offset_fetch(
        &mut self,
        g: u32,
        partitions: Option<Vec<(String, i32)>>,
    ) -> ExternalGroupAnswer {
        let group = &self.groups[g as usize];
        if group.state == GroupState::Dead {
            return ExternalGroupAnswer::OffsetFetch(code::COORDINATOR_NOT_AVAILABLE, Vec::new());
        }
        let wanted: Vec<(String, i32)> = match partitions {
            Some(p) => p,
            None => group
                .committed
                .keys()
                .map(|tp| (tp.topic.clone(), tp.partition as i32))
                .collect(),
        };
        let out = wanted
            .into_iter()
            .map(|(topic, partition)| {
                let tp = TopicPartition {
                    topic: topic.clone(),
                    partition: partition.max(0) as u32,
                };
                let committed = (partition >= 0)
                    .then(|| group.committed.get(&tp).copied())
                    .flatten();
                match committed {
                    Some(o) => {
                        let metadata = self.committed_metadata(g, &tp, o);
                        (topic, partition, o as i64, metadata, code::NONE)
                    }
                    None => (topic, partition, -1, String::new(), code::NONE),
                }
            })
            .collect();
        ExternalGroupAnswer::OffsetFetch(code::NONE, out)
    }

    /// A group answer reaching a real client's broker: into the outbox.
    pub(crate) fn external_group_response(&mut self, request: u64, body: GroupResponse) {
        let Some(flight) = self.external_groups.requests.remove(&request) else {
            return;
        };
        if !self.external_client(flight.client) {
            return;
        }
        let answer = match flight.answered {
            Some(answer) => answer,
            None => self.translate(&flight, body),
        };
        self.external_groups.outbox.push(ExternalGroupResponse {
            client: flight.client,
            token: flight.token,
            answer,
        });
    }

    /// The coordinator's answer in Kafka's terms.
    fn translate(&self, flight: &InFlight, body: GroupResponse) -> ExternalGroupAnswer {
        let group = &self.groups[flight.group as usize];
        match body {
            GroupResponse::FindCoordinator(found) => {
                ExternalGroupAnswer::FindCoordinator(found.ok_or(code::COORDINATOR_NOT_AVAILABLE))
            }
            GroupResponse::JoinGroup(result) => ExternalGroupAnswer::JoinGroup(
                result
                    .map(|j| JoinAnswer {
                        generation: j.generation,
                        protocol_type: group.protocol_type.clone().unwrap_or_default(),
                        protocol: j.protocol,
                        leader: j.leader,
                        member_id: flight.member_id.clone(),
                        members: j
                            .members
                            .into_iter()
                            .map(|(m, b)| (m, b.to_vec()))
                            .collect(),
                    })
                    .map_err(|e| (group_error_code(e), flight.member_id.clone())),
            ),
            GroupResponse::SyncGroup(result) => ExternalGroupAnswer::SyncGroup(
                result
                    .map(|a| {
                        (
                            group.protocol_type.clone(),
                            group.protocol.clone(),
                            a.to_vec(),
                        )
                    })
                    .map_err(group_error_code),
            ),
            GroupResponse::Heartbeat(result) => {
                ExternalGroupAnswer::Heartbeat(result.err().map_or(code::NONE, group_error_code))
            }
            // Answered on arrival unless the broker was not the coordinator (or was dead).
            GroupResponse::LeaveGroup(result) | GroupResponse::OffsetCommit(result) => {
                error_answer(
                    &flight.body,
                    result.err().map_or(code::NONE, group_error_code),
                )
            }
            GroupResponse::OffsetFetch(result) => error_answer(
                &flight.body,
                result.err().map_or(code::NONE, group_error_code),
            ),
        }
    }

    /// The real clients' group requests answered since the last call.
    pub fn drain_external_groups(&mut self) -> Vec<ExternalGroupResponse> {
        std::mem::take(&mut self.external_groups.outbox)
    }

    /// A real client's connection closed: its requests are no longer answered (its members
    /// stay until their sessions expire, as in Kafka).
    pub fn forget_external_group_client(&mut self, client: u32) {
        self.external_groups
            .requests
            .retain(|_, f| f.client != client);
        self.external_groups.outbox.retain(|r| r.client != client);
    }

    /// A member's `client.id` and host, for DescribeGroups: a real client's as it sent them,
    /// a simulated consumer's its name on host `/simulated`.
    pub fn group_member_client(&self, group: &str, member: &str) -> Option<MemberClient> {
        let g = self.group_index(group)?;
        let m = self.groups[g as usize].members.get(member)?;
        if external_of(m.consumer).is_some() {
            return self
                .external_groups
                .members
                .get(&(g, member.to_string()))
                .cloned();
        }
        let name = if crate::connect::distributed::worker_of(m.consumer).is_some() {
            member.to_string()
        } else {
            self.consumers
                .get(m.consumer as usize)
                .map_or_else(|| member.to_string(), |c| c.name.clone())
        };
        Some(MemberClient {
            client_id: name,
            client_host: "/simulated".to_string(),
        })
    }

    /// Whether a group has a member that is a real client (whose assignment the engine did
    /// not make and does not vouch for).
    pub(crate) fn group_has_external_member(&self, g: usize) -> bool {
        self.groups[g]
            .members
            .values()
            .any(|m| external_of(m.consumer).is_some())
    }
}

/// INVALID_GROUP_ID in the shape of the request's answer.
fn invalid_group(body: &ExternalGroupBody) -> ExternalGroupAnswer {
    error_answer(body, code::INVALID_GROUP_ID)
}

/// The answer to `body` failing as a whole with `e`.
fn error_answer(body: &ExternalGroupBody, e: i16) -> ExternalGroupAnswer {
    match body {
        ExternalGroupBody::FindCoordinator => ExternalGroupAnswer::FindCoordinator(Err(e)),
        ExternalGroupBody::JoinGroup { member_id, .. } => {
            ExternalGroupAnswer::JoinGroup(Err((e, member_id.clone())))
        }
        ExternalGroupBody::SyncGroup { .. } => ExternalGroupAnswer::SyncGroup(Err(e)),
        ExternalGroupBody::Heartbeat { .. } => ExternalGroupAnswer::Heartbeat(e),
        ExternalGroupBody::LeaveGroup { .. } => ExternalGroupAnswer::LeaveGroup(e, Vec::new()),
        ExternalGroupBody::OffsetCommit { offsets, .. } => ExternalGroupAnswer::OffsetCommit(
            offsets
                .iter()
                .map(|(t, p, _, _)| (t.clone(), *p, e))
                .collect(),
        ),
        ExternalGroupBody::OffsetFetch { .. } => ExternalGroupAnswer::OffsetFetch(e, Vec::new()),
    }
}

/// A group as DescribeGroups and ListGroups describe it (`GroupMetadata.summary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    pub name: String,
    pub state: GroupState,
    pub protocol_type: String,
    /// The selected protocol while the group is Stable ("" otherwise, as Kafka's summary).
    pub protocol: String,
    pub coordinator: Option<u32>,
    pub members: Vec<MemberSummary>,
}

/// One member of a [`GroupSummary`]: its metadata and assignment only while the group is
/// Stable (`MemberMetadata.summaryNoMetadata` otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSummary {
    pub member_id: String,
    pub client: MemberClient,
    pub metadata: Vec<u8>,
    pub assignment: Vec<u8>,
}

impl Cluster {
    /// The group `name` as the coordinator would describe it.
    pub fn group_summary(&self, name: &str) -> Option<GroupSummary> {
        let g = self.group_index(name)?;
        let group = &self.groups[g as usize];
        let stable = group.state == GroupState::Stable;
        let protocol = group
            .protocol
            .clone()
            .filter(|_| stable)
            .unwrap_or_default();
        let members = group
            .members
            .values()
            .map(|m| {
                let client = self
                    .group_member_client(name, &m.id)
                    .unwrap_or(MemberClient {
                        client_id: m.id.clone(),
                        client_host: String::new(),
                    });
                let (metadata, assignment) = if stable {
                    let metadata = m
                        .protocols
                        .iter()
                        .find(|(n, _)| *n == protocol)
                        .map(|(_, b)| b.to_vec())
                        .unwrap_or_default();
                    (metadata, m.assignment.to_vec())
                } else {
                    (Vec::new(), Vec::new())
                };
                MemberSummary {
                    member_id: m.id.clone(),
                    client,
                    metadata,
                    assignment,
                }
            })
            .collect();
        Some(GroupSummary {
            name: group.name.clone(),
            state: group.state,
            protocol_type: group.protocol_type.clone().unwrap_or_default(),
            protocol,
            coordinator: group.coordinator,
            members,
        })
    }
}
