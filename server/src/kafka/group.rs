//! The consumer-group APIs (classic protocol) on the listener: FindCoordinator, JoinGroup,
//! SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups, DescribeGroups.
//!
//! A real client is a peer of the simulated consumers: its requests are decoded here and given
//! to the room as `engine::client::external_group` requests from the broker its connection
//! reached, so they cross the simulated network to the engine's own group coordinator (which
//! parks a JoinGroup until the rebalance completes, generates member ids, and moves with the
//! `__consumer_offsets` leader). The members' metadata and assignments are opaque bytes: the
//! client chosen as the group's leader runs the assignor, as with Kafka. ListGroups and
//! DescribeGroups read the coordinator's state in the room, each broker answering for the
//! groups it coordinates (`GroupCoordinator.handleListGroups`/`handleDescribeGroup`).
//!
//! Versions (`api_versions::SUPPORTED`): FindCoordinator v0–v3 (v4 batches keys);
//! JoinGroup v0–v4 (v5 adds `group.instance.id`: static membership is not implemented, and a
//! client that sets it refuses a broker without v5 itself); SyncGroup v0–v5; Heartbeat v0–v4;
//! LeaveGroup v0–v5; OffsetCommit v2–v8; OffsetFetch v1–v7; ListGroups v0–v4; DescribeGroups
//! v0–v5. A `group.instance.id` in the later versions of the other APIs names no member (there
//! are no static members), which is Kafka's own answer for an unknown instance.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponsePartition, OffsetFetchResponseTopic,
};
use kafka_protocol::messages::{
    ApiKey, BrokerId, DescribeGroupsRequest, DescribeGroupsResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, GroupId, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ListGroupsRequest,
    ListGroupsResponse, OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest,
    OffsetFetchResponse, RequestHeader, SyncGroupRequest, SyncGroupResponse, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use engine::client::external_group::{
    ExternalGroupAnswer, ExternalGroupBody, ExternalGroupRequest, GroupSummary, code,
};

use super::connection::Peer;
use super::metadata::Endpoints;
use super::request::encode_response;
use super::{Shared, group_check};
use crate::rooms::DEFAULT_ROOM;

/// Kafka's `request.timeout.ms` default: how long a group request other than JoinGroup waits
/// for the room before the connection closes (a paused room holds requests).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// `AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE`: a JoinGroup waits its rebalance timeout
/// and this much more.
const JOIN_GROUP_LAPSE: Duration = Duration::from_secs(5);
/// Kafka's key types in FindCoordinator (`FindCoordinatorRequest.CoordinatorType`).
const KEY_TYPE_GROUP: i8 = 0;
/// `Integer.MIN_VALUE`: authorized operations not requested.
const NOT_REQUESTED: i32 = i32::MIN;

/// A decoded group API request.
#[derive(Debug)]
pub enum GroupApi {
    FindCoordinator(FindCoordinatorRequest),
    JoinGroup(JoinGroupRequest),
    SyncGroup(SyncGroupRequest),
    Heartbeat(HeartbeatRequest),
    LeaveGroup(LeaveGroupRequest),
    OffsetCommit(OffsetCommitRequest),
    OffsetFetch(OffsetFetchRequest),
    ListGroups(ListGroupsRequest),
    DescribeGroups(DescribeGroupsRequest),
}

/// What the listener asks the room for a group request.
#[derive(Debug)]
pub enum GroupAsk {
    /// A request for the engine's coordinator; answered when the engine answers.
    Engine {
        client_name: String,
        request: ExternalGroupRequest,
    },
    /// The groups (all when `None`) as their coordinators describe them.
    Summaries { groups: Option<Vec<String>> },
}

/// The room's answer.
#[derive(Debug)]
pub enum GroupReply {
    Engine(ExternalGroupAnswer),
    /// Each group asked for (every group when none was named) with its summary, `None` for
    /// a group the engine has not seen.
    Summaries(Vec<(String, Option<GroupSummary>)>),
}

/// Decodes the body of a group API request, after checking its collections; `None` when the
/// API is not a group API, `Some(Err(()))` when the body does not parse.
pub fn decode(api: ApiKey, version: i16, frame: &mut Bytes) -> Option<Result<GroupApi, ()>> {
    fn parse<T: Decodable>(frame: &mut Bytes, version: i16) -> Result<T, ()> {
        T::decode(frame, version).map_err(|_| ())
    }
    let known = matches!(
        api,
        ApiKey::FindCoordinator
            | ApiKey::JoinGroup
            | ApiKey::SyncGroup
            | ApiKey::Heartbeat
            | ApiKey::LeaveGroup
            | ApiKey::OffsetCommit
            | ApiKey::OffsetFetch
            | ApiKey::ListGroups
            | ApiKey::DescribeGroups
    );
    if !known {
        return None;
    }
    if group_check::check(api, version, frame).is_none() {
        return Some(Err(()));
    }
    Some(match api {
        ApiKey::FindCoordinator => parse(frame, version).map(GroupApi::FindCoordinator),
        ApiKey::JoinGroup => parse(frame, version).map(GroupApi::JoinGroup),
        ApiKey::SyncGroup => parse(frame, version).map(GroupApi::SyncGroup),
        ApiKey::Heartbeat => parse(frame, version).map(GroupApi::Heartbeat),
        ApiKey::LeaveGroup => parse(frame, version).map(GroupApi::LeaveGroup),
        ApiKey::OffsetCommit => parse(frame, version).map(GroupApi::OffsetCommit),
        ApiKey::OffsetFetch => parse(frame, version).map(GroupApi::OffsetFetch),
        ApiKey::ListGroups => parse(frame, version).map(GroupApi::ListGroups),
        _ => parse(frame, version).map(GroupApi::DescribeGroups),
    })
}

fn text(s: &StrBytes) -> String {
    s.to_string()
}

fn str_bytes(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

impl Shared {
    /// A group request to the default room; `None` if it is busy or gone.
    async fn group(&self, ask: GroupAsk) -> Option<GroupReply> {
        let room = self.rooms.get(DEFAULT_ROOM).ok()?;
        room.kafka_group(ask).await.ok()
    }
}

/// The answer to a group request; `None` closes the connection (the room is busy or gone, or
/// did not answer in time).
pub async fn answer(
    header: &RequestHeader,
    request: GroupApi,
    shared: &Shared,
    peer: &mut Peer,
) -> Option<Vec<u8>> {
    let v = header.request_api_version;
    let (group, body, wait) = match &request {
        GroupApi::ListGroups(r) => {
            let reply = shared.group(GroupAsk::Summaries { groups: None }).await?;
            return list_groups(header, r, reply, peer.broker);
        }
        GroupApi::DescribeGroups(r) => {
            let groups = r.groups.iter().map(|g| text(&g.0)).collect();
            let ask = GroupAsk::Summaries {
                groups: Some(groups),
            };
            let reply = shared.group(ask).await?;
            return describe_groups(header, reply, peer.broker);
        }
        GroupApi::FindCoordinator(r) => {
            if v >= 1 && r.key_type != KEY_TYPE_GROUP {
                // `KafkaApis.handleFindCoordinatorRequest`: this cluster has no transaction
                // coordinator (and no other key type exists).
                return find_coordinator(header, Err(code::INVALID_REQUEST), shared);
            }
            (
                text(&r.key),
                ExternalGroupBody::FindCoordinator,
                REQUEST_TIMEOUT,
            )
        }
        GroupApi::JoinGroup(r) => {
            // JoinGroup v0 has no rebalance timeout: the session timeout serves as both.
            let rebalance = if v == 0 {
                r.session_timeout_ms
            } else {
                r.rebalance_timeout_ms
            };
            let body = ExternalGroupBody::JoinGroup {
                member_id: text(&r.member_id),
                require_known_member_id: v >= 4,
                protocol_type: text(&r.protocol_type),
                protocols: r
                    .protocols
                    .iter()
                    .map(|p| (text(&p.name), p.metadata.to_vec()))
                    .collect(),
                session_timeout_ms: r.session_timeout_ms,
                rebalance_timeout_ms: rebalance,
            };
            let wait = Duration::from_millis(rebalance.max(0) as u64) + JOIN_GROUP_LAPSE;
            (text(&r.group_id.0), body, wait)
        }
        GroupApi::SyncGroup(r) => {
            let body = ExternalGroupBody::SyncGroup {
                member_id: text(&r.member_id),
                generation: r.generation_id,
                protocol_type: r.protocol_type.as_ref().map(text),
                protocol_name: r.protocol_name.as_ref().map(text),
                assignments: r
                    .assignments
                    .iter()
                    .map(|a| (text(&a.member_id), a.assignment.to_vec()))
                    .collect(),
            };
            // A follower's SyncGroup waits for the leader's (at most a rebalance timeout).
            (text(&r.group_id.0), body, Duration::from_secs(300))
        }
        GroupApi::Heartbeat(r) => (
            text(&r.group_id.0),
            ExternalGroupBody::Heartbeat {
                member_id: text(&r.member_id),
                generation: r.generation_id,
            },
            REQUEST_TIMEOUT,
        ),
        GroupApi::LeaveGroup(r) => {
            let members = if v >= 3 {
                r.members
                    .iter()
                    .map(|m| (text(&m.member_id), m.group_instance_id.as_ref().map(text)))
                    .collect()
            } else {
                vec![(text(&r.member_id), None)]
            };
            (
                text(&r.group_id.0),
                ExternalGroupBody::LeaveGroup { members },
                REQUEST_TIMEOUT,
            )
        }
        GroupApi::OffsetCommit(r) => {
            let offsets = r
                .topics
                .iter()
                .flat_map(|t| {
                    t.partitions.iter().map(|p| {
                        (
                            text(&t.name.0),
                            p.partition_index,
                            p.committed_offset,
                            p.committed_metadata.as_ref().map(text),
                        )
                    })
                })
                .collect();
            let body = ExternalGroupBody::OffsetCommit {
                member_id: text(&r.member_id),
                generation: r.generation_id_or_member_epoch,
                offsets,
            };
            (text(&r.group_id.0), body, REQUEST_TIMEOUT)
        }
        GroupApi::OffsetFetch(r) => {
            let partitions = r.topics.as_ref().map(|topics| {
                topics
                    .iter()
                    .flat_map(|t| t.partition_indexes.iter().map(|&p| (text(&t.name.0), p)))
                    .collect()
            });
            // v1 cannot ask for every partition: a null array is a malformed v1 request.
            if v < 2 && partitions.is_none() {
                return None;
            }
            (
                text(&r.group_id.0),
                ExternalGroupBody::OffsetFetch { partitions },
                REQUEST_TIMEOUT,
            )
        }
    };
    peer.next_token += 1;
    peer.known = true;
    let client_id = header
        .client_id
        .as_ref()
        .map(|c| c.chars().take(64).collect::<String>())
        .unwrap_or_default();
    let client_name = if client_id.is_empty() {
        "kafka-client".to_string()
    } else {
        client_id.clone()
    };
    let ask = GroupAsk::Engine {
        client_name,
        request: ExternalGroupRequest {
            client: peer.client,
            broker: peer.broker,
            token: peer.next_token,
            client_id,
            client_host: peer.host.clone(),
            group,
            body,
        },
    };
    let Ok(Some(GroupReply::Engine(answer))) =
        tokio::time::timeout(wait + Duration::from_secs(1), shared.group(ask)).await
    else {
        return None;
    };
    match (request, answer) {
        (GroupApi::FindCoordinator(_), ExternalGroupAnswer::FindCoordinator(r)) => {
            find_coordinator(header, r, shared)
        }
        (GroupApi::JoinGroup(_), ExternalGroupAnswer::JoinGroup(r)) => join_group(header, r),
        (GroupApi::SyncGroup(_), ExternalGroupAnswer::SyncGroup(r)) => sync_group(header, r),
        (GroupApi::Heartbeat(_), ExternalGroupAnswer::Heartbeat(e)) => {
            let response = HeartbeatResponse::default().with_error_code(e);
            respond(header, ApiKey::Heartbeat, &response)
        }
        (GroupApi::LeaveGroup(_), ExternalGroupAnswer::LeaveGroup(top, members)) => {
            leave_group(header, top, members)
        }
        (GroupApi::OffsetCommit(_), ExternalGroupAnswer::OffsetCommit(parts)) => {
            offset_commit(header, parts)
        }
        (GroupApi::OffsetFetch(_), ExternalGroupAnswer::OffsetFetch(top, parts)) => {
            offset_fetch(header, top, parts)
        }
        _ => None,
    }
}

fn respond<R: Encodable>(header: &RequestHeader, api: ApiKey, body: &R) -> Option<Vec<u8>> {
    let v = header.request_api_version;
    encode_response(header, api.response_header_version(v), body, v)
}

/// FindCoordinator: the coordinator's node id and the address its listener advertises.
fn find_coordinator(
    header: &RequestHeader,
    result: Result<u32, i16>,
    shared: &Shared,
) -> Option<Vec<u8>> {
    let v = header.request_api_version;
    let found = result.and_then(|id| {
        shared
            .endpoint(id)
            .map(|(host, port)| (id, host, port))
            .ok_or(code::COORDINATOR_NOT_AVAILABLE)
    });
    // An error names `Node.noNode()`: id -1, host "", port -1.
    let (error, id, host, port) = match found {
        Ok((id, host, port)) => (code::NONE, id as i32, host, i32::from(port)),
        Err(e) => (e, -1, String::new(), -1),
    };
    let mut response = FindCoordinatorResponse::default()
        .with_error_code(error)
        .with_node_id(BrokerId(id))
        .with_host(str_bytes(host))
        .with_port(port);
    if v >= 1 && error != code::NONE {
        response = response.with_error_message(Some(str_bytes(match error {
            code::INVALID_REQUEST => "this playground has no transaction coordinator",
            code::INVALID_GROUP_ID => "the group id is empty",
            _ => "the coordinator is not available",
        })));
    }
    respond(header, ApiKey::FindCoordinator, &response)
}

fn join_group(
    header: &RequestHeader,
    result: Result<engine::client::external_group::JoinAnswer, (i16, String)>,
) -> Option<Vec<u8>> {
    let response = match result {
        Ok(j) => JoinGroupResponse::default()
            .with_generation_id(j.generation)
            .with_protocol_name(Some(str_bytes(j.protocol)))
            .with_leader(str_bytes(j.leader))
            .with_member_id(str_bytes(j.member_id))
            .with_members(
                j.members
                    .into_iter()
                    .map(|(id, metadata)| {
                        JoinGroupResponseMember::default()
                            .with_member_id(str_bytes(id))
                            .with_metadata(Bytes::from(metadata))
                    })
                    .collect(),
            ),
        // `JoinGroupResponse` for an error: generation -1, no protocol, leader "", and the
        // member id (the new one with MEMBER_ID_REQUIRED).
        Err((e, member)) => JoinGroupResponse::default()
            .with_error_code(e)
            .with_generation_id(-1)
            .with_protocol_name(Some(StrBytes::default()))
            .with_member_id(str_bytes(member)),
    };
    respond(header, ApiKey::JoinGroup, &response)
}

use engine::client::external_group::SyncAnswer as SyncResult;

fn sync_group(header: &RequestHeader, result: SyncResult) -> Option<Vec<u8>> {
    let v = header.request_api_version;
    let response = match result {
        Ok((protocol_type, protocol, assignment)) => {
            let r = SyncGroupResponse::default().with_assignment(Bytes::from(assignment));
            if v >= 5 {
                r.with_protocol_type(protocol_type.map(str_bytes))
                    .with_protocol_name(protocol.map(str_bytes))
            } else {
                r
            }
        }
        Err(e) => SyncGroupResponse::default().with_error_code(e),
    };
    respond(header, ApiKey::SyncGroup, &response)
}

fn leave_group(
    header: &RequestHeader,
    top: i16,
    members: Vec<(String, Option<String>, i16)>,
) -> Option<Vec<u8>> {
    let v = header.request_api_version;
    let response = if v >= 3 {
        LeaveGroupResponse::default()
            .with_error_code(top)
            .with_members(
                members
                    .into_iter()
                    .map(|(id, instance, e)| {
                        MemberResponse::default()
                            .with_member_id(str_bytes(id))
                            .with_group_instance_id(instance.map(str_bytes))
                            .with_error_code(e)
                    })
                    .collect(),
            )
    } else {
        // One member: its error is the request's.
        let e = members.first().map_or(top, |m| m.2);
        LeaveGroupResponse::default().with_error_code(if top != code::NONE { top } else { e })
    };
    respond(header, ApiKey::LeaveGroup, &response)
}

fn offset_commit(header: &RequestHeader, parts: Vec<(String, i32, i16)>) -> Option<Vec<u8>> {
    let mut topics: Vec<OffsetCommitResponseTopic> = Vec::new();
    for (topic, partition, e) in parts {
        let part = OffsetCommitResponsePartition::default()
            .with_partition_index(partition)
            .with_error_code(e);
        match topics.last_mut() {
            Some(t) if t.name.0.as_str() == topic => t.partitions.push(part),
            _ => topics.push(
                OffsetCommitResponseTopic::default()
                    .with_name(TopicName(str_bytes(topic)))
                    .with_partitions(vec![part]),
            ),
        }
    }
    let response = OffsetCommitResponse::default().with_topics(topics);
    respond(header, ApiKey::OffsetCommit, &response)
}

type FetchedPart = (String, i32, i64, String, i16);

fn offset_fetch(header: &RequestHeader, top: i16, parts: Vec<FetchedPart>) -> Option<Vec<u8>> {
    let v = header.request_api_version;
    let mut topics: Vec<OffsetFetchResponseTopic> = Vec::new();
    for (topic, partition, offset, metadata, e) in parts {
        let mut part = OffsetFetchResponsePartition::default()
            .with_partition_index(partition)
            .with_committed_offset(offset)
            .with_metadata(Some(str_bytes(metadata)))
            // v1 has no top-level error: it is every partition's.
            .with_error_code(if v < 2 && top != code::NONE { top } else { e });
        if v >= 5 {
            // The engine does not keep the leader epoch of a commit.
            part = part.with_committed_leader_epoch(-1);
        }
        match topics.last_mut() {
            Some(t) if t.name.0.as_str() == topic => t.partitions.push(part),
            _ => topics.push(
                OffsetFetchResponseTopic::default()
                    .with_name(TopicName(str_bytes(topic)))
                    .with_partitions(vec![part]),
            ),
        }
    }
    let mut response = OffsetFetchResponse::default().with_topics(topics);
    if v >= 2 {
        response = response.with_error_code(top);
    }
    respond(header, ApiKey::OffsetFetch, &response)
}

/// ListGroups: the groups this broker coordinates, not Dead (`GroupCoordinator
/// .handleListGroups`), filtered by state from v4 (case-insensitively, as Kafka's
/// `ClassicGroupState.parse`).
fn list_groups(
    header: &RequestHeader,
    request: &ListGroupsRequest,
    reply: GroupReply,
    broker: u32,
) -> Option<Vec<u8>> {
    let v = header.request_api_version;
    let GroupReply::Summaries(groups) = reply else {
        return None;
    };
    let states: Vec<String> = request
        .states_filter
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let listed = groups
        .into_iter()
        .filter_map(|(_, s)| s)
        .filter(|s| s.coordinator == Some(broker))
        .filter(|s| s.state != engine::group::GroupState::Dead)
        .filter(|s| states.is_empty() || states.contains(&s.state.name().to_ascii_lowercase()))
        .map(|s| {
            let g = ListedGroup::default()
                .with_group_id(GroupId(str_bytes(s.name)))
                .with_protocol_type(str_bytes(s.protocol_type));
            if v >= 4 {
                g.with_group_state(str_bytes(s.state.name()))
            } else {
                g
            }
        })
        .collect();
    let response = ListGroupsResponse::default().with_groups(listed);
    respond(header, ApiKey::ListGroups, &response)
}

/// DescribeGroups: each group from its coordinator; NOT_COORDINATOR from another broker; an
/// unknown group is Dead with no error, as Kafka's answer before v6 (`GroupCoordinator
/// .DeadGroup`).
fn describe_groups(header: &RequestHeader, reply: GroupReply, broker: u32) -> Option<Vec<u8>> {
    let v = header.request_api_version;
    let GroupReply::Summaries(groups) = reply else {
        return None;
    };
    let described = groups
        .into_iter()
        .map(|(name, summary)| {
            let mut g = DescribedGroup::default().with_group_id(GroupId(str_bytes(name)));
            if v >= 3 {
                // With no authorizer and the operations not asked for.
                g = g.with_authorized_operations(NOT_REQUESTED);
            }
            let Some(s) = summary else {
                return g.with_group_state(str_bytes("Dead"));
            };
            if s.coordinator != Some(broker) {
                return g.with_error_code(code::NOT_COORDINATOR);
            }
            g.with_group_state(str_bytes(s.state.name()))
                .with_protocol_type(str_bytes(s.protocol_type))
                .with_protocol_data(str_bytes(s.protocol))
                .with_members(
                    s.members
                        .into_iter()
                        .map(|m| {
                            DescribedGroupMember::default()
                                .with_member_id(str_bytes(m.member_id))
                                .with_client_id(str_bytes(m.client.client_id))
                                .with_client_host(str_bytes(m.client.client_host))
                                .with_member_metadata(Bytes::from(m.metadata))
                                .with_member_assignment(Bytes::from(m.assignment))
                        })
                        .collect(),
                )
        })
        .collect();
    let response = DescribeGroupsResponse::default().with_groups(described);
    respond(header, ApiKey::DescribeGroups, &response)
}
