//! The admin APIs on the listener: CreateTopics (`create_topics`), DeleteTopics
//! (`delete_topics`), DescribeConfigs
//! (`describe_configs`) and OffsetForLeaderEpoch (`offset_for_leader_epoch`). Each is decoded
//! here after its body is skimmed, asked of the room (`room/kafka_admin.rs`) and answered.

use bytes::Bytes;
use kafka_protocol::messages::{
    ApiKey, CreateTopicsRequest, DeleteTopicsRequest, DescribeConfigsRequest,
    OffsetForLeaderEpochRequest, RequestHeader,
};
use kafka_protocol::protocol::Decodable;

use engine::client::external_fetch::FetchError;
use engine::config::{ClusterConfig, TopicConfig};
use engine::offset_for_leader_epoch::{EpochEndOffset, EpochQuery};

use super::connection::Peer;
use super::{Shared, create_topics, delete_topics, describe_configs, offset_for_leader_epoch};
use crate::rooms::DEFAULT_ROOM;

/// A decoded admin request.
#[derive(Debug)]
pub enum AdminApi {
    CreateTopics(CreateTopicsRequest),
    DeleteTopics(DeleteTopicsRequest),
    DescribeConfigs(DescribeConfigsRequest),
    OffsetForLeaderEpoch(OffsetForLeaderEpochRequest),
}

/// What the listener asks the room.
#[derive(Debug)]
pub enum AdminAsk {
    /// Create (or, `validate_only`, only check) these topics with the room's console line;
    /// `client_id` names the client in the room's log.
    CreateTopics {
        client_id: String,
        topics: Vec<create_topics::NewTopic>,
        validate_only: bool,
    },
    /// Delete these topics with the room's console line; `client_id` names the client.
    DeleteTopics {
        client_id: String,
        topics: Vec<String>,
    },
    /// The configs of these topics and of the cluster.
    Configs { topics: Vec<String> },
    /// OffsetForLeaderEpoch at `broker` now.
    OffsetForLeaderEpoch {
        broker: u32,
        queries: Vec<EpochQuery>,
    },
}

/// The room's answer.
#[derive(Debug)]
pub enum AdminReply {
    Created(Vec<create_topics::Outcome>),
    Deleted(Vec<delete_topics::Outcome>),
    Configs {
        topics: Vec<(String, Option<TopicConfig>)>,
        cluster: ClusterConfig,
    },
    /// `None`: the broker is down.
    Epochs(Option<Vec<Result<EpochEndOffset, FetchError>>>),
}

/// Decodes the body of an admin request after skimming it; `None` when the API is not an
/// admin API, `Some(Err(()))` when the body does not parse.
pub fn decode(api: ApiKey, version: i16, frame: &mut Bytes) -> Option<Result<AdminApi, ()>> {
    let skimmed = match api {
        ApiKey::CreateTopics => create_topics::skim(frame, version),
        ApiKey::DeleteTopics => delete_topics::skim(frame, version),
        ApiKey::DescribeConfigs => describe_configs::skim(frame, version),
        ApiKey::OffsetForLeaderEpoch => offset_for_leader_epoch::skim(frame, version),
        _ => return None,
    };
    if skimmed.is_none() {
        return Some(Err(()));
    }
    Some(match api {
        ApiKey::CreateTopics => CreateTopicsRequest::decode(frame, version)
            .map(AdminApi::CreateTopics)
            .map_err(|_| ()),
        ApiKey::DeleteTopics => DeleteTopicsRequest::decode(frame, version)
            .map(AdminApi::DeleteTopics)
            .map_err(|_| ()),
        ApiKey::DescribeConfigs => DescribeConfigsRequest::decode(frame, version)
            .map(AdminApi::DescribeConfigs)
            .map_err(|_| ()),
        _ => OffsetForLeaderEpochRequest::decode(frame, version)
            .map(AdminApi::OffsetForLeaderEpoch)
            .map_err(|_| ()),
    })
}

impl Shared {
    /// An admin request to the default room; `None` if it is busy or gone.
    async fn admin(&self, ask: AdminAsk) -> Option<AdminReply> {
        let room = self.rooms.get(DEFAULT_ROOM).ok()?;
        room.kafka_admin(ask).await.ok()
    }
}

/// The answer to an admin request; `None` closes the connection (the room is busy or gone, or
/// the broker is down).
pub async fn answer(
    header: &RequestHeader,
    request: AdminApi,
    shared: &Shared,
    peer: &Peer,
) -> Option<Vec<u8>> {
    match request {
        AdminApi::CreateTopics(r) => {
            let decoded = create_topics::decode(&r);
            let outcomes = if decoded.topics.is_empty() {
                Vec::new()
            } else {
                let ask = AdminAsk::CreateTopics {
                    client_id: client_id(header),
                    topics: decoded.topics.clone(),
                    validate_only: decoded.validate_only,
                };
                match shared.admin(ask).await? {
                    AdminReply::Created(outcomes) => outcomes,
                    _ => return None,
                }
            };
            create_topics::respond(header, &decoded, &outcomes)
        }
        AdminApi::DeleteTopics(r) => {
            let decoded = delete_topics::decode(&r, header.request_api_version);
            let outcomes = if decoded.topics.is_empty() {
                Vec::new()
            } else {
                let ask = AdminAsk::DeleteTopics {
                    client_id: client_id(header),
                    topics: decoded.topics.clone(),
                };
                match shared.admin(ask).await? {
                    AdminReply::Deleted(outcomes) => outcomes,
                    _ => return None,
                }
            };
            delete_topics::respond(header, &decoded, &outcomes)
        }
        AdminApi::DescribeConfigs(r) => {
            let ask = AdminAsk::Configs {
                topics: describe_configs::topics_asked(&r),
            };
            match shared.admin(ask).await? {
                AdminReply::Configs { topics, cluster } => {
                    describe_configs::respond(header, &r, peer.broker, &topics, &cluster)
                }
                _ => None,
            }
        }
        AdminApi::OffsetForLeaderEpoch(r) => {
            let queries = offset_for_leader_epoch::decode(&r);
            let results = if queries.is_empty() {
                Vec::new()
            } else {
                let ask = AdminAsk::OffsetForLeaderEpoch {
                    broker: peer.broker,
                    queries: queries.clone(),
                };
                match shared.admin(ask).await? {
                    AdminReply::Epochs(results) => results?,
                    _ => return None,
                }
            };
            offset_for_leader_epoch::respond(header, &queries, &results)
        }
    }
}

/// The request's `client.id`, for the room's log ("" when the client sent none).
fn client_id(header: &RequestHeader) -> String {
    header
        .client_id
        .as_ref()
        .map(|c| c.to_string())
        .unwrap_or_default()
}
