//! Metadata (API key 3): the brokers and the topics' partitions, as Kafka's
//! `KafkaApis.handleTopicMetadataRequest` and `KRaftMetadataCache.getPartitionMetadata` build
//! them, from the room's cluster ([`super::view`]).
//!
//! - Brokers: the unfenced ones (`getAliveBrokerNodes`), each at its listener's address.
//! - Controller id: in KRaft a client cannot reach the controller, so the broker names a random
//!   unfenced broker (`getRandomAliveBrokerId`); -1 when there is none.
//! - A partition without a leader: LEADER_NOT_AVAILABLE, leader -1. Replicas on fenced brokers
//!   are `offline_replicas`. Only v0 leaves unavailable brokers out of replicas and ISR
//!   (`errorUnavailableEndpoints`), and then says REPLICA_NOT_AVAILABLE.
//! - A missing topic: auto-created when the request allows it (v4+; always before v4) and it is
//!   named, not "all topics"; the KRaft broker forwards CreateTopics to the controller and answers
//!   UNKNOWN_TOPIC_OR_PARTITION this time (`AutoTopicCreationManager.sendCreateTopicRequest`);
//!   an illegal name gets INVALID_TOPIC_EXCEPTION (`Topic.validate`).
//! - Authorized operations (v8+), when asked: with no authorizer Kafka grants every operation
//!   the resource supports (`AuthHelper.authorizedOperations`, `AclEntry.supportedOperations`).

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{
    BrokerId, MetadataRequest, MetadataResponse, RequestHeader, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::request::encode_response;
use super::view::{ClusterView, PartitionState, TopicState};

const NONE: i16 = 0;
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const LEADER_NOT_AVAILABLE: i16 = 5;
const REPLICA_NOT_AVAILABLE: i16 = 9;
const INVALID_TOPIC_EXCEPTION: i16 = 17;

/// Kafka's broker defaults for auto-created topics.
pub const AUTO_CREATE_TOPICS_ENABLE: bool = true;
pub const NUM_PARTITIONS: u32 = 1;
pub const DEFAULT_REPLICATION_FACTOR: u32 = 1;

/// `Integer.MIN_VALUE`: "not requested" in the authorized-operations fields.
const NOT_REQUESTED: i32 = i32::MIN;
/// READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (`AclOperation`
/// codes 3–8, 10, 11) as Kafka's 32-bit field.
const TOPIC_OPERATIONS: i32 =
    (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);
/// CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.
const CLUSTER_OPERATIONS: i32 =
    (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

/// Kafka's `Topic.validate`: 1 to 249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub fn valid_topic_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Kafka's `Topic.isInternal`.
fn is_internal(name: &str) -> bool {
    matches!(
        name,
        "__consumer_offsets" | "__transaction_state" | "__share_group_state"
    )
}

/// The request's topic names, duplicates dropped (Kafka reads them into a set), or `None` for
/// every topic: a null list, or an empty one at v0.
pub fn requested_topics(request: &MetadataRequest, version: i16) -> Option<Vec<String>> {
    let topics = request.topics.as_ref()?;
    if version == 0 && topics.is_empty() {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    for topic in topics {
        let name = topic
            .name
            .as_ref()
            .map(|n| n.to_string())
            .unwrap_or_default();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Some(names)
}

/// Whether missing topics named by this request are created.
pub fn auto_create(request: &MetadataRequest, version: i16) -> bool {
    // Before v4 the field did not exist and brokers always created.
    AUTO_CREATE_TOPICS_ENABLE && (version < 4 || request.allow_auto_topic_creation)
}

/// Where clients reach each broker: its host and port.
pub trait Endpoints {
    fn endpoint(&self, broker: u32) -> Option<(String, u16)>;
}

fn ids(brokers: &[u32]) -> Vec<BrokerId> {
    brokers.iter().map(|&b| BrokerId(b as i32)).collect()
}

fn partition(p: &PartitionState, view: &ClusterView, version: i16) -> MetadataResponsePartition {
    let unfenced = |b: &u32| view.brokers.iter().any(|l| l.id == *b && !l.fenced);
    let offline: Vec<u32> = p
        .replicas
        .iter()
        .copied()
        .filter(|b| !unfenced(b))
        .collect();
    // v0 drops unavailable brokers from replicas and ISR (`errorUnavailableEndpoints`).
    let (replicas, isr) = if version == 0 {
        (
            p.replicas
                .iter()
                .copied()
                .filter(unfenced)
                .collect::<Vec<_>>(),
            p.isr.iter().copied().filter(unfenced).collect::<Vec<_>>(),
        )
    } else {
        (p.replicas.clone(), p.isr.clone())
    };
    let (error, leader) = match p.leader {
        None => (LEADER_NOT_AVAILABLE, -1),
        Some(l) if replicas.len() < p.replicas.len() || isr.len() < p.isr.len() => {
            (REPLICA_NOT_AVAILABLE, l as i32)
        }
        Some(l) => (NONE, l as i32),
    };
    MetadataResponsePartition::default()
        .with_error_code(error)
        .with_partition_index(p.index as i32)
        .with_leader_id(BrokerId(leader))
        .with_leader_epoch(p.leader_epoch as i32)
        .with_replica_nodes(ids(&replicas))
        .with_isr_nodes(ids(&isr))
        .with_offline_replicas(ids(&offline))
}

/// The Metadata response for `request`, from the room's `view` and the listeners' addresses.
pub fn respond(
    header: &RequestHeader,
    request: &MetadataRequest,
    view: &ClusterView,
    endpoints: &impl Endpoints,
    controller_pick: u32,
) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    let brokers: Vec<MetadataResponseBroker> = view
        .brokers
        .iter()
        .filter(|b| !b.fenced)
        .filter_map(|b| {
            let (host, port) = endpoints.endpoint(b.id)?;
            Some(
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(b.id as i32))
                    .with_host(StrBytes::from_string(host))
                    .with_port(i32::from(port)),
            )
        })
        .collect();
    let controller = if brokers.is_empty() {
        -1
    } else {
        brokers[controller_pick as usize % brokers.len()].node_id.0
    };
    let topic_ops = if version >= 8 && request.include_topic_authorized_operations {
        TOPIC_OPERATIONS
    } else {
        NOT_REQUESTED
    };
    let topics = view
        .topics
        .iter()
        .map(|(name, state)| {
            let (error, partitions) = match state {
                TopicState::Partitions(ps) => (
                    NONE,
                    ps.iter().map(|p| partition(p, view, version)).collect(),
                ),
                TopicState::Missing if !valid_topic_name(name) => {
                    (INVALID_TOPIC_EXCEPTION, Vec::new())
                }
                TopicState::Missing => (UNKNOWN_TOPIC_OR_PARTITION, Vec::new()),
            };
            let ops = if matches!(state, TopicState::Partitions(_)) {
                topic_ops
            } else {
                NOT_REQUESTED
            };
            MetadataResponseTopic::default()
                .with_error_code(error)
                .with_name(Some(TopicName(StrBytes::from_string(name.clone()))))
                .with_is_internal(is_internal(name))
                .with_partitions(partitions)
                .with_topic_authorized_operations(ops)
        })
        .collect();
    let cluster_ops =
        if (8..=10).contains(&version) && request.include_cluster_authorized_operations {
            CLUSTER_OPERATIONS
        } else {
            NOT_REQUESTED
        };
    let response = MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(StrBytes::from_string(view.cluster_id.clone())))
        .with_controller_id(BrokerId(controller))
        .with_topics(topics)
        .with_cluster_authorized_operations(cluster_ops);
    let header_version =
        kafka_protocol::messages::ApiKey::Metadata.response_header_version(version);
    encode_response(header, header_version, &response, version)
}
