//! Consumer groups of real clients through `playground serve --kafka-port 0`, with requests
//! encoded by the `kafka-protocol` crate as a client's library encodes them: FindCoordinator
//! names the coordinator's listener; two members join (KIP-394's MEMBER_ID_REQUIRED first),
//! the leader gets both subscriptions and assigns, the follower receives its share; heartbeats;
//! a commit with a metadata string that OffsetFetch gives back; DescribeGroups and ListGroups;
//! a batched LeaveGroup; a commit from outside any group (generation -1). The room's own
//! `expect` lines (over the WebSocket) see the group's state, generation, coordinator and
//! committed offsets, so the engine's coordinator is the one the clients spoke to.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    ApiKey, DescribeGroupsRequest, DescribeGroupsResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, GroupId, HeartbeatRequest, HeartbeatResponse, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ListGroupsRequest,
    ListGroupsResponse, MetadataRequest, MetadataResponse, OffsetCommitRequest,
    OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse, RequestHeader, ResponseHeader,
    SyncGroupRequest, SyncGroupResponse, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use playground_tests::kafka::{Server, command, within};
use playground_tests::ws::{self, Socket};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use engine::command::TopicPartition;
use engine::group::consumer_protocol::{WireSubscription, encode_assignment, encode_subscription};

/// One connection, as a client library keeps one per broker.
struct Conn {
    stream: TcpStream,
    correlation: i32,
    client_id: &'static str,
}

impl Conn {
    async fn open(port: u16, client_id: &'static str) -> Conn {
        let stream = within("connect", TcpStream::connect(("127.0.0.1", port)))
            .await
            .expect("the listener accepts");
        Conn {
            stream,
            correlation: 0,
            client_id,
        }
    }

    /// Sends `request` at `version` of `api` and reads its answer.
    async fn call<Q: Encodable, A: Decodable>(
        &mut self,
        api: ApiKey,
        version: i16,
        request: &Q,
        wait: Duration,
    ) -> A {
        self.correlation += 1;
        let mut body = BytesMut::new();
        RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(self.correlation)
            .with_client_id(Some(StrBytes::from_static_str(self.client_id)))
            .encode(&mut body, api.request_header_version(version))
            .unwrap();
        request.encode(&mut body, version).unwrap();
        self.stream
            .write_all(&(body.len() as u32).to_be_bytes())
            .await
            .unwrap();
        self.stream.write_all(&body).await.unwrap();
        let mut size = [0u8; 4];
        tokio::time::timeout(wait, self.stream.read_exact(&mut size))
            .await
            .unwrap_or_else(|_| panic!("{api:?} v{version}: no answer within {wait:?}"))
            .unwrap_or_else(|e| panic!("{api:?} v{version}: the connection closed ({e})"));
        let mut answer = vec![0u8; u32::from_be_bytes(size) as usize];
        self.stream.read_exact(&mut answer).await.unwrap();
        let mut answer = Bytes::from(answer);
        let head =
            ResponseHeader::decode(&mut answer, api.response_header_version(version)).unwrap();
        assert_eq!(head.correlation_id, self.correlation);
        A::decode(&mut answer, version).unwrap()
    }
}

const STEP: Duration = Duration::from_secs(20);
/// A JoinGroup is parked until the rebalance completes: the initial delay (3 s of simulated
/// time, a little more when a second member arrives during it) at the wall clock's pace.
const JOIN_WAIT: Duration = Duration::from_secs(40);

fn group_id(name: &str) -> GroupId {
    GroupId(StrBytes::from_string(name.to_string()))
}

fn s(text: &str) -> StrBytes {
    StrBytes::from_string(text.to_string())
}

/// The room's answer to an `expect` line: whether it held, and what it said.
async fn holds(socket: &mut Socket, line: &str, id: u64) -> (bool, String) {
    let reply = within(
        line,
        ws::request(socket, json!({"type": "command", "line": line}), id),
    )
    .await;
    let output = match reply["output"].as_str() {
        Some(text) => text.to_string(),
        None => reply.to_string(),
    };
    (output.starts_with('✓'), output)
}

/// Polls an `expect` line until it holds, failing with the room's last answer.
async fn eventually(socket: &mut Socket, line: &str, id: &mut u64) {
    let mut last = String::new();
    for _ in 0..100 {
        *id += 1;
        let (ok, output) = holds(socket, line, *id).await;
        if ok {
            return;
        }
        last = output;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{line}: never held; the room said {last}");
}

/// FindCoordinator v3 for `group`, retried while the coordinator is not available yet (the
/// `__consumer_offsets` leader is being elected), as a client retries.
async fn find_coordinator(port: u16, group: &str) -> FindCoordinatorResponse {
    let mut conn = Conn::open(port, "finder").await;
    let request = FindCoordinatorRequest::default().with_key(s(group));
    for _ in 0..50 {
        let found: FindCoordinatorResponse =
            conn.call(ApiKey::FindCoordinator, 3, &request, STEP).await;
        if found.error_code != 15 {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the coordinator of {group} never became available");
}

fn join_request(group: &str, member: &str, subscription: &Bytes) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(group_id(group))
        .with_session_timeout_ms(10_000)
        .with_rebalance_timeout_ms(30_000)
        .with_member_id(s(member))
        .with_protocol_type(s("consumer"))
        .with_protocols(vec![
            JoinGroupRequestProtocol::default()
                .with_name(s("range"))
                .with_metadata(subscription.clone()),
        ])
}

/// KIP-394: a first JoinGroup v4 gets MEMBER_ID_REQUIRED and the id to come back with.
async fn member_id(conn: &mut Conn, group: &str, subscription: &Bytes) -> String {
    let first: JoinGroupResponse = conn
        .call(
            ApiKey::JoinGroup,
            4,
            &join_request(group, "", subscription),
            STEP,
        )
        .await;
    assert_eq!(first.error_code, 79, "MEMBER_ID_REQUIRED");
    let id = first.member_id.to_string();
    let prefix = format!("{}-", conn.client_id);
    assert!(
        id.starts_with(&prefix) && id.len() == prefix.len() + 36,
        "client.id-UUID: {id}"
    );
    id
}

/// Every broker's listener port, from a Metadata v1 answer.
async fn broker_ports(port: u16) -> Vec<u16> {
    let mut conn = Conn::open(port, "meta").await;
    let request = MetadataRequest::default().with_topics(Some(Vec::new()));
    let meta: MetadataResponse = conn.call(ApiKey::Metadata, 1, &request, STEP).await;
    meta.brokers
        .iter()
        .map(|b| u16::try_from(b.port).unwrap())
        .collect()
}

fn tp(topic: &str, partition: u32) -> TopicPartition {
    TopicPartition {
        topic: topic.to_string(),
        partition,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_real_clients_form_a_group_the_leader_assigns_and_commits_round_trip() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create ledger partitions=2 replication=3",
        id,
    )
    .await;

    // FindCoordinator: the coordinator's listener, which the room names too.
    let found = find_coordinator(server.kafka, "invoicing").await;
    assert_eq!(found.error_code, 0, "{found:?}");
    assert_eq!(found.host.as_str(), "127.0.0.1");
    let coordinator = found.node_id.0;
    let port = u16::try_from(found.port).unwrap();
    eventually(
        &mut socket,
        &format!("expect coordinator invoicing == {coordinator}"),
        &mut id,
    )
    .await;
    eventually(&mut socket, "expect state invoicing == Empty", &mut id).await;

    // Two members: each learns its id, then joins; both JoinGroups are parked until the
    // rebalance completes, and only the leader's answer lists the members' subscriptions.
    let subscription = encode_subscription(&WireSubscription {
        topics: vec!["ledger".into()],
        user_data: None,
        owned_partitions: Vec::new(),
        generation: -1,
    });
    let (mut a, mut b) = (
        Conn::open(port, "alpha").await,
        Conn::open(port, "beta").await,
    );
    let a_id = member_id(&mut a, "invoicing", &subscription).await;
    let b_id = member_id(&mut b, "invoicing", &subscription).await;
    let (join_a, join_b) = (
        join_request("invoicing", &a_id, &subscription),
        join_request("invoicing", &b_id, &subscription),
    );
    let (ja, jb): (JoinGroupResponse, JoinGroupResponse) = tokio::join!(
        a.call(ApiKey::JoinGroup, 4, &join_a, JOIN_WAIT),
        b.call(ApiKey::JoinGroup, 4, &join_b, JOIN_WAIT),
    );
    assert_eq!((ja.error_code, jb.error_code), (0, 0), "{ja:?} {jb:?}");
    assert_eq!(ja.generation_id, 1);
    assert_eq!(jb.generation_id, 1);
    assert_eq!(ja.leader, jb.leader, "one leader for both");
    assert_eq!(ja.member_id.as_str(), a_id);
    assert_eq!(ja.protocol_name.as_ref().map(|p| p.as_str()), Some("range"));
    let (leader, follower, leader_id, follower_id) = if ja.leader.as_str() == a_id {
        (&mut a, &mut b, a_id.clone(), b_id.clone())
    } else {
        (&mut b, &mut a, b_id.clone(), a_id.clone())
    };
    let (leader_join, follower_join) = if ja.leader.as_str() == a_id {
        (&ja, &jb)
    } else {
        (&jb, &ja)
    };
    let mut listed: Vec<String> = leader_join
        .members
        .iter()
        .map(|m| m.member_id.to_string())
        .collect();
    listed.sort();
    let mut both = vec![a_id.clone(), b_id.clone()];
    both.sort();
    assert_eq!(listed, both, "the leader sees every member");
    assert!(
        leader_join
            .members
            .iter()
            .all(|m| m.metadata == subscription),
        "each member's subscription bytes as it sent them"
    );
    assert!(follower_join.members.is_empty(), "followers see no members");
    eventually(&mut socket, "expect generation invoicing == 1", &mut id).await;

    // The leader assigns partition 0 to itself and 1 to the follower (its own assignor).
    let leader_share = encode_assignment(&[tp("ledger", 0)]);
    let follower_share = encode_assignment(&[tp("ledger", 1)]);
    let sync = |member: &str, assignments: Vec<(String, Bytes)>| {
        SyncGroupRequest::default()
            .with_group_id(group_id("invoicing"))
            .with_generation_id(1)
            .with_member_id(s(member))
            .with_protocol_type(Some(s("consumer")))
            .with_protocol_name(Some(s("range")))
            .with_assignments(
                assignments
                    .into_iter()
                    .map(|(m, a)| {
                        SyncGroupRequestAssignment::default()
                            .with_member_id(s(&m))
                            .with_assignment(a)
                    })
                    .collect(),
            )
    };
    let leader_sync = sync(
        &leader_id,
        vec![
            (leader_id.clone(), leader_share.clone()),
            (follower_id.clone(), follower_share.clone()),
        ],
    );
    let follower_sync = sync(&follower_id, Vec::new());
    let (sl, sf): (SyncGroupResponse, SyncGroupResponse) = tokio::join!(
        leader.call(ApiKey::SyncGroup, 5, &leader_sync, JOIN_WAIT),
        follower.call(ApiKey::SyncGroup, 5, &follower_sync, JOIN_WAIT),
    );
    assert_eq!((sl.error_code, sf.error_code), (0, 0), "{sl:?} {sf:?}");
    assert_eq!(sl.assignment, leader_share);
    assert_eq!(sf.assignment, follower_share, "the leader's bytes for it");
    assert_eq!(sf.protocol_name.as_ref().map(|p| p.as_str()), Some("range"));
    eventually(&mut socket, "expect state invoicing == Stable", &mut id).await;
    // The room's view of the group: its members are the real clients' member ids. (`expect
    // assigned` names consumers the console declared; a real member is not one, its assignment
    // is checked in the bytes above.)
    let mut ids = [leader_id.clone(), follower_id.clone()];
    ids.sort();
    eventually(
        &mut socket,
        &format!("expect members invoicing == {}", ids.join(",")),
        &mut id,
    )
    .await;

    // Heartbeats keep the group Stable; a wrong generation is ILLEGAL_GENERATION.
    let heartbeat = |member: &str, generation: i32| {
        HeartbeatRequest::default()
            .with_group_id(group_id("invoicing"))
            .with_generation_id(generation)
            .with_member_id(s(member))
    };
    let answer: HeartbeatResponse = leader
        .call(ApiKey::Heartbeat, 4, &heartbeat(&leader_id, 1), STEP)
        .await;
    assert_eq!(answer.error_code, 0);
    let answer: HeartbeatResponse = follower
        .call(ApiKey::Heartbeat, 4, &heartbeat(&follower_id, 1), STEP)
        .await;
    assert_eq!(answer.error_code, 0);
    let answer: HeartbeatResponse = follower
        .call(ApiKey::Heartbeat, 4, &heartbeat(&follower_id, 7), STEP)
        .await;
    assert_eq!(answer.error_code, 22, "ILLEGAL_GENERATION");

    // A commit with metadata; OffsetFetch gives both back (v7 and v1), -1 where none is.
    let commit = OffsetCommitRequest::default()
        .with_group_id(group_id("invoicing"))
        .with_generation_id_or_member_epoch(1)
        .with_member_id(s(&follower_id))
        .with_topics(vec![
            OffsetCommitRequestTopic::default()
                .with_name(TopicName(s("ledger")))
                .with_partitions(vec![
                    OffsetCommitRequestPartition::default()
                        .with_partition_index(1)
                        .with_committed_offset(42)
                        .with_committed_metadata(Some(s("host-7 batch 3"))),
                    OffsetCommitRequestPartition::default()
                        .with_partition_index(9)
                        .with_committed_offset(1),
                ]),
        ]);
    let committed: OffsetCommitResponse =
        follower.call(ApiKey::OffsetCommit, 8, &commit, STEP).await;
    let codes: Vec<(i32, i16)> = committed.topics[0]
        .partitions
        .iter()
        .map(|p| (p.partition_index, p.error_code))
        .collect();
    assert_eq!(codes, vec![(1, 0), (9, 3)], "partition 9 does not exist");
    eventually(
        &mut socket,
        "expect committed invoicing ledger/1 == 42",
        &mut id,
    )
    .await;
    for version in [7, 1] {
        let fetch = OffsetFetchRequest::default()
            .with_group_id(group_id("invoicing"))
            .with_topics(Some(vec![
                OffsetFetchRequestTopic::default()
                    .with_name(TopicName(s("ledger")))
                    .with_partition_indexes(vec![0, 1]),
            ]));
        let fetched: OffsetFetchResponse = leader
            .call(ApiKey::OffsetFetch, version, &fetch, STEP)
            .await;
        assert_eq!(fetched.error_code, 0);
        let parts: Vec<(i32, i64, Option<String>, i16)> = fetched.topics[0]
            .partitions
            .iter()
            .map(|p| {
                (
                    p.partition_index,
                    p.committed_offset,
                    p.metadata.as_ref().map(|m| m.to_string()),
                    p.error_code,
                )
            })
            .collect();
        assert_eq!(
            parts,
            vec![
                (0, -1, Some(String::new()), 0),
                (1, 42, Some("host-7 batch 3".to_string()), 0)
            ],
            "OffsetFetch v{version}"
        );
    }

    // DescribeGroups from the coordinator: members with their client ids, hosts and bytes.
    let describe = DescribeGroupsRequest::default().with_groups(vec![group_id("invoicing")]);
    let described: DescribeGroupsResponse = leader
        .call(ApiKey::DescribeGroups, 5, &describe, STEP)
        .await;
    let g = &described.groups[0];
    assert_eq!((g.error_code, g.group_state.as_str()), (0, "Stable"));
    assert_eq!(g.protocol_type.as_str(), "consumer");
    assert_eq!(g.protocol_data.as_str(), "range");
    let mut members: Vec<(String, String, String, Bytes)> = g
        .members
        .iter()
        .map(|m| {
            (
                m.member_id.to_string(),
                m.client_id.to_string(),
                m.client_host.to_string(),
                m.member_assignment.clone(),
            )
        })
        .collect();
    members.sort();
    let expected_share = |member: &str| {
        if member == leader_id {
            leader_share.clone()
        } else {
            follower_share.clone()
        }
    };
    let mut expected: Vec<(String, String, String, Bytes)> = [(&a_id, "alpha"), (&b_id, "beta")]
        .into_iter()
        .map(|(m, c)| {
            (
                m.clone(),
                c.to_string(),
                "/127.0.0.1".to_string(),
                expected_share(m),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(members, expected);

    // ListGroups on the coordinator lists it, Stable (v4 filters by state).
    let list = ListGroupsRequest::default().with_states_filter(vec![s("stable")]);
    let listed: ListGroupsResponse = leader.call(ApiKey::ListGroups, 4, &list, STEP).await;
    let names: Vec<(String, String, String)> = listed
        .groups
        .iter()
        .map(|g| {
            (
                g.group_id.0.to_string(),
                g.protocol_type.to_string(),
                g.group_state.to_string(),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![("invoicing".into(), "consumer".into(), "Stable".into())]
    );

    // A batched LeaveGroup (v3+): both leave, an unknown id is UNKNOWN_MEMBER_ID.
    let leave = LeaveGroupRequest::default()
        .with_group_id(group_id("invoicing"))
        .with_members(
            [&leader_id, &follower_id, &"nobody".to_string()]
                .into_iter()
                .map(|m| MemberIdentity::default().with_member_id(s(m)))
                .collect(),
        );
    let left: LeaveGroupResponse = leader.call(ApiKey::LeaveGroup, 5, &leave, STEP).await;
    assert_eq!(left.error_code, 0);
    let errors: Vec<i16> = left.members.iter().map(|m| m.error_code).collect();
    assert_eq!(errors, vec![0, 0, 25]);
    eventually(&mut socket, "expect state invoicing == Empty", &mut id).await;
    eventually(
        &mut socket,
        "expect committed invoicing ledger/1 == 42",
        &mut id,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_from_outside_any_group_and_the_refusals() {
    let server = Server::start();
    let mut socket = server.viewer().await;
    let mut id = 1;
    command(
        &mut socket,
        "topic create audit partitions=1 replication=3",
        id,
    )
    .await;
    let found = find_coordinator(server.kafka, "tools").await;
    assert_eq!(found.error_code, 0, "{found:?}");
    let port = u16::try_from(found.port).unwrap();
    let mut conn = Conn::open(port, "admin").await;

    // Generation -1, no member: a commit from outside the group (a simple consumer, or
    // `kafka-consumer-groups --reset-offsets`), accepted while the group is Empty (OffsetCommit
    // v2: retention time on the wire).
    let commit = OffsetCommitRequest::default()
        .with_group_id(group_id("tools"))
        .with_generation_id_or_member_epoch(-1)
        .with_retention_time_ms(-1)
        .with_topics(vec![
            OffsetCommitRequestTopic::default()
                .with_name(TopicName(s("audit")))
                .with_partitions(vec![
                    OffsetCommitRequestPartition::default()
                        .with_committed_offset(5)
                        .with_committed_metadata(Some(s("reset by hand"))),
                ]),
        ]);
    let committed: OffsetCommitResponse = conn.call(ApiKey::OffsetCommit, 2, &commit, STEP).await;
    assert_eq!(committed.topics[0].partitions[0].error_code, 0);
    eventually(&mut socket, "expect committed tools audit/0 == 5", &mut id).await;
    // Every committed partition when the request names none (v2+ null topics).
    let fetch = OffsetFetchRequest::default()
        .with_group_id(group_id("tools"))
        .with_topics(None);
    let fetched: OffsetFetchResponse = conn.call(ApiKey::OffsetFetch, 5, &fetch, STEP).await;
    let p = &fetched.topics[0].partitions[0];
    assert_eq!(fetched.topics[0].name.0.as_str(), "audit");
    assert_eq!(
        (p.committed_offset, p.metadata.as_ref().map(|m| m.as_str())),
        (5, Some("reset by hand"))
    );

    // A member id the coordinator never gave: UNKNOWN_MEMBER_ID; a session timeout below
    // group.min.session.timeout.ms: INVALID_SESSION_TIMEOUT.
    let subscription = Bytes::from_static(b"opaque");
    let unknown: JoinGroupResponse = conn
        .call(
            ApiKey::JoinGroup,
            4,
            &join_request("tools", "made-up", &subscription),
            STEP,
        )
        .await;
    assert_eq!(unknown.error_code, 25);
    let short: JoinGroupResponse = conn
        .call(
            ApiKey::JoinGroup,
            4,
            &join_request("tools", "", &subscription).with_session_timeout_ms(100),
            STEP,
        )
        .await;
    assert_eq!(short.error_code, 26);
    // A broker that does not coordinate the group says NOT_COORDINATOR.
    let other = broker_ports(server.kafka)
        .await
        .into_iter()
        .find(|&p| p != port)
        .expect("another broker");
    let mut elsewhere = Conn::open(other, "admin").await;
    let hb = HeartbeatRequest::default()
        .with_group_id(group_id("tools"))
        .with_generation_id(0)
        .with_member_id(s("x"));
    let answer: HeartbeatResponse = elsewhere.call(ApiKey::Heartbeat, 0, &hb, STEP).await;
    assert_eq!(answer.error_code, 16);
    // FindCoordinator for a transactional id: there is no transaction coordinator.
    let txn = FindCoordinatorRequest::default()
        .with_key(s("tx-1"))
        .with_key_type(1);
    let refused: FindCoordinatorResponse = conn.call(ApiKey::FindCoordinator, 3, &txn, STEP).await;
    assert_eq!((refused.error_code, refused.node_id.0), (42, -1));
    eventually(&mut socket, "expect state tools == Empty", &mut id).await;
}
