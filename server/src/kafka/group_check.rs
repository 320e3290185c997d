//! The group APIs' request bodies walked as the crate will read them, before it does: Kafka's
//! generated readers refuse a collection longer than the bytes left, while the crate reserves
//! the announced length first (see `skim.rs`). Each API's layout
//! per version is written out from Kafka's JSON message definitions
//! (`clients/src/main/resources/common/message/*Request.json`); only the versions the listener
//! enables are described.

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;

use super::skim::Skim;

/// One field of a request's layout.
#[derive(Debug, Clone)]
enum F {
    /// A fixed-size field (int8 … int64, boolean, uuid) of this many bytes.
    Fixed(usize),
    /// A string or nullable string: int16 length (or compact).
    Str,
    /// Bytes: int32 length (or compact).
    Bytes,
    /// An array (nullable or not) of structs with these fields.
    Structs(Vec<F>),
    /// An array of fixed-size values.
    FixedArray(usize),
    /// An array of strings.
    Strs,
}

/// Walks one struct (and its tagged fields when flexible).
fn walk(s: &mut Skim, fields: &[F]) -> Option<()> {
    for f in fields {
        match f {
            F::Fixed(n) => s.fixed(*n)?,
            F::Str => s.string()?,
            F::Bytes => s.bytes()?,
            F::Structs(inner) => {
                for _ in 0..s.count()? {
                    walk(s, inner)?;
                }
            }
            F::FixedArray(n) => {
                let c = s.count()?;
                s.fixed(c.checked_mul(*n)?)?
            }
            F::Strs => {
                for _ in 0..s.count()? {
                    s.string()?;
                }
            }
        }
    }
    s.tagged()
}

/// The request layout of `api` at `version`, and whether that version is flexible; `None` for
/// an API this module does not describe.
fn layout(api: ApiKey, v: i16) -> Option<(Vec<F>, bool)> {
    use F::*;
    Some(match api {
        ApiKey::FindCoordinator => {
            let mut f = vec![Str];
            if v >= 1 {
                f.push(Fixed(1)); // key type
            }
            (f, v >= 3)
        }
        ApiKey::JoinGroup => {
            let mut f = vec![Str, Fixed(4)]; // group, session timeout
            if v >= 1 {
                f.push(Fixed(4)); // rebalance timeout
            }
            f.push(Str); // member id
            if v >= 5 {
                f.push(Str); // group instance id
            }
            f.push(Str); // protocol type
            f.push(Structs(vec![Str, Bytes])); // protocols
            if v >= 8 {
                f.push(Str); // reason
            }
            (f, v >= 6)
        }
        ApiKey::SyncGroup => {
            let mut f = vec![Str, Fixed(4), Str]; // group, generation, member
            if v >= 3 {
                f.push(Str); // group instance id
            }
            if v >= 5 {
                f.push(Str); // protocol type
                f.push(Str); // protocol name
            }
            f.push(Structs(vec![Str, Bytes])); // assignments
            (f, v >= 4)
        }
        ApiKey::Heartbeat => {
            let mut f = vec![Str, Fixed(4), Str];
            if v >= 3 {
                f.push(Str);
            }
            (f, v >= 4)
        }
        ApiKey::LeaveGroup => {
            let f = if v >= 3 {
                let mut member = vec![Str, Str]; // member id, group instance id
                if v >= 5 {
                    member.push(Str); // reason
                }
                vec![Str, Structs(member)]
            } else {
                vec![Str, Str]
            };
            (f, v >= 4)
        }
        ApiKey::OffsetCommit => {
            let mut f = vec![Str, Fixed(4), Str]; // group, generation, member
            if v >= 7 {
                f.push(Str); // group instance id
            }
            if (2..=4).contains(&v) {
                f.push(Fixed(8)); // retention time
            }
            let mut partition = vec![Fixed(4), Fixed(8)]; // index, offset
            if v >= 6 {
                partition.push(Fixed(4)); // leader epoch
            }
            if v == 1 {
                partition.push(Fixed(8)); // commit timestamp
            }
            partition.push(Str); // metadata
            f.push(Structs(vec![Str, Structs(partition)]));
            (f, v >= 8)
        }
        ApiKey::OffsetFetch => {
            let mut f = vec![Str, Structs(vec![Str, FixedArray(4)])];
            if v >= 7 {
                f.push(Fixed(1)); // require stable
            }
            (f, v >= 6)
        }
        ApiKey::ListGroups => {
            let mut f = Vec::new();
            if v >= 4 {
                f.push(Strs); // states filter
            }
            if v >= 5 {
                f.push(Strs); // types filter
            }
            (f, v >= 3)
        }
        ApiKey::DescribeGroups => {
            let mut f = vec![Strs];
            if v >= 3 {
                f.push(Fixed(1)); // include authorized operations
            }
            (f, v >= 5)
        }
        _ => return None,
    })
}

/// Whether the body of a group API request is within its bytes, collection by collection
/// (`None`: refuse it before the crate reads it).
pub fn check(api: ApiKey, version: i16, body: &Bytes) -> Option<()> {
    let (fields, flexible) = layout(api, version)?;
    walk(&mut Skim::new(body, flexible), &fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::messages::{
        GroupId, JoinGroupRequest, OffsetCommitRequest, OffsetFetchRequest, TopicName,
    };
    use kafka_protocol::protocol::{Encodable, StrBytes};

    fn encoded<R: Encodable>(r: &R, v: i16) -> Bytes {
        let mut out = bytes::BytesMut::new();
        r.encode(&mut out, v).unwrap();
        out.freeze()
    }

    #[test]
    fn well_formed_requests_pass_at_every_enabled_version() {
        let join = JoinGroupRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_session_timeout_ms(10_000)
            .with_protocol_type(StrBytes::from_static_str("consumer"))
            .with_protocols(vec![Default::default()]);
        for v in 0..=4 {
            assert!(
                check(ApiKey::JoinGroup, v, &encoded(&join, v)).is_some(),
                "v{v}"
            );
        }
        let commit = OffsetCommitRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_topics(vec![
                OffsetCommitRequestTopic::default()
                    .with_name(TopicName(StrBytes::from_static_str("t")))
                    .with_partitions(vec![
                        OffsetCommitRequestPartition::default()
                            .with_committed_metadata(Some(StrBytes::from_static_str("m"))),
                    ]),
            ]);
        for v in 2..=8 {
            assert!(
                check(ApiKey::OffsetCommit, v, &encoded(&commit, v)).is_some(),
                "v{v}"
            );
        }
        let fetch = OffsetFetchRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_topics(Some(vec![Default::default()]));
        for v in 1..=7 {
            assert!(
                check(ApiKey::OffsetFetch, v, &encoded(&fetch, v)).is_some(),
                "v{v}"
            );
        }
    }

    #[test]
    fn a_forged_count_is_refused() {
        // JoinGroup v0: group "g", session timeout, member "", protocol type "", then 2^31 - 1
        // protocols in no bytes.
        let mut b = vec![0, 1, b'g', 0, 0, 0x27, 0x10, 0, 0, 0, 0];
        b.extend_from_slice(&i32::MAX.to_be_bytes());
        assert!(check(ApiKey::JoinGroup, 0, &Bytes::from(b)).is_none());
        // DescribeGroups v5 (flexible): a compact array of 2^20 names in one byte.
        let b = Bytes::from(vec![0x80, 0x80, 0x40, 0]);
        assert!(check(ApiKey::DescribeGroups, 5, &b).is_none());
    }
}

/// The decoding path (`request::decode`) over the group APIs and InitProducerId: well-formed requests at every
/// enabled version, then each cut short and with bytes overwritten by a seeded generator. Any
/// outcome but a panic (or an allocation a forged count asked for) is allowed: decoded, or
/// refused with a reason.
#[cfg(test)]
mod fuzz {
    use bytes::{BufMut, BytesMut};
    use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
    use kafka_protocol::messages::leave_group_request::MemberIdentity;
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
    use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
    use kafka_protocol::messages::{
        ApiKey, DescribeGroupsRequest, FindCoordinatorRequest, GroupId, HeartbeatRequest,
        InitProducerIdRequest, JoinGroupRequest, LeaveGroupRequest, ListGroupsRequest,
        OffsetCommitRequest, OffsetFetchRequest, RequestHeader, SyncGroupRequest, TopicName,
        TransactionalId,
    };
    use kafka_protocol::protocol::{Encodable, StrBytes};
    // The admin APIs' requests.
    use kafka_protocol::messages::create_topics_request::{
        CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
    };
    use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
    use kafka_protocol::messages::offset_for_leader_epoch_request::{
        OffsetForLeaderPartition, OffsetForLeaderTopic,
    };
    use kafka_protocol::messages::{
        BrokerId, CreateTopicsRequest, DescribeConfigsRequest, OffsetForLeaderEpochRequest,
    };

    use super::super::api_versions::SUPPORTED;
    use super::super::request::decode;

    fn s(t: &str) -> StrBytes {
        StrBytes::from_string(t.to_string())
    }

    /// A request of `api` with a little of everything, as a client would send it.
    fn body(api: ApiKey, v: i16) -> Option<BytesMut> {
        let g = GroupId(s("group"));
        let mut out = BytesMut::new();
        let ok = match api {
            ApiKey::FindCoordinator => FindCoordinatorRequest::default()
                .with_key(s("group"))
                .encode(&mut out, v),
            ApiKey::JoinGroup => JoinGroupRequest::default()
                .with_group_id(g)
                .with_session_timeout_ms(10_000)
                .with_member_id(s("m"))
                .with_protocol_type(s("consumer"))
                .with_protocols(vec![
                    JoinGroupRequestProtocol::default()
                        .with_name(s("range"))
                        .with_metadata(bytes::Bytes::from_static(&[0, 1, 0, 0])),
                ])
                .encode(&mut out, v),
            ApiKey::SyncGroup => SyncGroupRequest::default()
                .with_group_id(g)
                .with_member_id(s("m"))
                .with_assignments(vec![
                    SyncGroupRequestAssignment::default().with_member_id(s("m")),
                ])
                .encode(&mut out, v),
            ApiKey::Heartbeat => HeartbeatRequest::default()
                .with_group_id(g)
                .with_member_id(s("m"))
                .encode(&mut out, v),
            ApiKey::LeaveGroup => {
                let r = LeaveGroupRequest::default().with_group_id(g);
                if v >= 3 {
                    r.with_members(vec![MemberIdentity::default().with_member_id(s("m"))])
                } else {
                    r.with_member_id(s("m"))
                }
                .encode(&mut out, v)
            }
            ApiKey::OffsetCommit => OffsetCommitRequest::default()
                .with_group_id(g)
                .with_topics(vec![
                    OffsetCommitRequestTopic::default()
                        .with_name(TopicName(s("t")))
                        .with_partitions(vec![
                            OffsetCommitRequestPartition::default()
                                .with_committed_metadata(Some(s("meta"))),
                        ]),
                ])
                .encode(&mut out, v),
            ApiKey::OffsetFetch => OffsetFetchRequest::default()
                .with_group_id(g)
                .with_topics(Some(vec![
                    OffsetFetchRequestTopic::default()
                        .with_name(TopicName(s("t")))
                        .with_partition_indexes(vec![0, 1]),
                ]))
                .encode(&mut out, v),
            ApiKey::ListGroups => ListGroupsRequest::default().encode(&mut out, v),
            ApiKey::DescribeGroups => DescribeGroupsRequest::default()
                .with_groups(vec![GroupId(s("group"))])
                .encode(&mut out, v),
            // Not a group API, but decoded by the same path (`request::decode`, `skim`).
            ApiKey::InitProducerId => InitProducerIdRequest::default()
                .with_transactional_id(Some(TransactionalId(s("tx"))))
                .with_transaction_timeout_ms(60_000)
                .encode(&mut out, v),
            // The admin APIs (`admin.rs`), decoded by the same path.
            ApiKey::CreateTopics => CreateTopicsRequest::default()
                .with_topics(vec![
                    CreatableTopic::default()
                        .with_name(TopicName(s("t")))
                        .with_num_partitions(3)
                        .with_replication_factor(2)
                        .with_assignments(vec![
                            CreatableReplicaAssignment::default()
                                .with_broker_ids(vec![BrokerId(1), BrokerId(2)]),
                        ])
                        .with_configs(vec![
                            CreatableTopicConfig::default()
                                .with_name(s("retention.ms"))
                                .with_value(Some(s("1000"))),
                        ]),
                ])
                .encode(&mut out, v),
            ApiKey::DescribeConfigs => DescribeConfigsRequest::default()
                .with_resources(vec![
                    DescribeConfigsResource::default()
                        .with_resource_type(2)
                        .with_resource_name(s("t"))
                        .with_configuration_keys(Some(vec![s("retention.ms")])),
                ])
                .encode(&mut out, v),
            ApiKey::OffsetForLeaderEpoch => OffsetForLeaderEpochRequest::default()
                .with_topics(vec![
                    OffsetForLeaderTopic::default()
                        .with_topic(TopicName(s("t")))
                        .with_partitions(vec![
                            OffsetForLeaderPartition::default().with_leader_epoch(3),
                        ]),
                ])
                .encode(&mut out, v),
            _ => return None,
        };
        ok.ok().map(|()| out)
    }

    fn frame(api: ApiKey, v: i16, body: &[u8]) -> bytes::Bytes {
        let mut out = BytesMut::new();
        RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(v)
            .with_correlation_id(1)
            .with_client_id(Some(s("fuzz")))
            .encode(&mut out, api.request_header_version(v))
            .unwrap();
        out.put_slice(body);
        out.freeze()
    }

    #[test]
    fn every_group_request_decodes_and_mangled_ones_never_panic() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            // xorshift64*: reproducible without a seed from the clock.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        let mut checked = 0;
        for &(api, min, max) in SUPPORTED {
            for v in min..=max {
                let Some(good) = body(api, v) else { continue };
                if !matches!(
                    api,
                    ApiKey::ApiVersions | ApiKey::Metadata | ApiKey::Produce
                ) {
                    assert!(decode(frame(api, v, &good)).is_ok(), "{api:?} v{v}");
                    checked += 1;
                }
                for _ in 0..300 {
                    let mut bad = good.to_vec();
                    match next() % 3 {
                        0 => bad.truncate((next() as usize) % (bad.len() + 1)),
                        1 => {
                            for _ in 0..1 + next() % 4 {
                                if !bad.is_empty() {
                                    let i = (next() as usize) % bad.len();
                                    bad[i] = next() as u8;
                                }
                            }
                        }
                        _ => {
                            // A forged length or count: 0x7fffffff or a long varint.
                            if !bad.is_empty() {
                                let i = (next() as usize) % bad.len();
                                let forged: &[u8] = if next() % 2 == 0 {
                                    &[0x7f, 0xff, 0xff, 0xff]
                                } else {
                                    &[0xff, 0xff, 0xff, 0x7f]
                                };
                                bad.splice(i..(i + 4).min(bad.len()), forged.iter().copied());
                            }
                        }
                    }
                    let _ = decode(frame(api, v, &bad));
                }
            }
        }
        assert!(
            checked >= 60,
            "the group APIs' versions were exercised: {checked}"
        );
    }
}
