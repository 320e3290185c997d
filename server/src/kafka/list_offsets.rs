//! ListOffsets (API key 2), versions 1–7: a consumer's earliest, latest, by-timestamp and
//! (v7, KIP-734) max-timestamp offsets, answered by the engine's `list_offsets` from the broker
//! the connection reached, at the instant the request arrives (`engine::list_offsets`).
//!
//! v0 (several offsets per partition, the old message format) is not offered; v8 adds
//! EARLIEST_LOCAL_TIMESTAMP (KIP-405, tiered storage), which this cluster does not have. A
//! partition named twice in one request gets INVALID_REQUEST, as `KafkaApis.handleListOffsetRequest`
//! answers duplicates.

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{
    ApiKey, ListOffsetsRequest, ListOffsetsResponse, RequestHeader, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use engine::list_offsets::{ListedOffset, OffsetsQuery, OffsetsReader};

use super::request::encode_response;

pub const INVALID_REQUEST: i16 = 42;

/// `ListOffsetsRequest.CONSUMER_REPLICA_ID` and `DEBUGGING_REPLICA_ID`.
const CONSUMER_REPLICA_ID: i32 = -1;
const DEBUGGING_REPLICA_ID: i32 = -2;

/// One partition's outcome: topic, partition, the offset or Kafka's error code.
pub type PartitionResult = (String, i32, Result<ListedOffset, i16>);

/// A decoded request: who reads, and each partition in order (`Err`: refused here).
#[derive(Debug)]
pub struct Decoded {
    pub reader: OffsetsReader,
    pub parts: Vec<(String, i32, Result<OffsetsQuery, i16>)>,
}

pub fn decode(request: &ListOffsetsRequest, version: i16) -> Decoded {
    let reader = match request.replica_id.0 {
        CONSUMER_REPLICA_ID => OffsetsReader::Consumer {
            // v0–v1 have no isolation level: READ_UNCOMMITTED.
            read_committed: version >= 2 && request.isolation_level == 1,
        },
        DEBUGGING_REPLICA_ID => OffsetsReader::Debugging,
        _ => OffsetsReader::Follower,
    };
    let mut parts = Vec::new();
    for topic in &request.topics {
        let name = topic.name.0.to_string();
        for p in &topic.partitions {
            let twice = request
                .topics
                .iter()
                .filter(|t| t.name == topic.name)
                .flat_map(|t| &t.partitions)
                .filter(|q| q.partition_index == p.partition_index)
                .count()
                > 1;
            let part = if twice {
                Err(INVALID_REQUEST)
            } else {
                Ok(OffsetsQuery {
                    topic: name.clone(),
                    partition: p.partition_index,
                    current_leader_epoch: if version >= 4 {
                        p.current_leader_epoch
                    } else {
                        -1
                    },
                    timestamp: p.timestamp,
                })
            };
            parts.push((name.clone(), p.partition_index, part));
        }
    }
    Decoded { reader, parts }
}

/// The partitions that go to the engine.
pub fn to_engine(decoded: &Decoded) -> Vec<OffsetsQuery> {
    decoded
        .parts
        .iter()
        .filter_map(|(_, _, q)| q.as_ref().ok().cloned())
        .collect()
}

/// The answer, each partition in the request's order grouped by topic.
pub fn respond(header: &RequestHeader, results: &[PartitionResult]) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    let mut topics: Vec<ListOffsetsTopicResponse> = Vec::new();
    for (topic, partition, result) in results {
        let (error, found) = match result {
            Ok(found) => (0, *found),
            Err(code) => (
                *code,
                ListedOffset {
                    timestamp: -1,
                    offset: -1,
                    leader_epoch: -1,
                },
            ),
        };
        let part = ListOffsetsPartitionResponse::default()
            .with_partition_index(*partition)
            .with_error_code(error)
            .with_timestamp(found.timestamp)
            .with_offset(found.offset)
            // The field exists from v4 on (the crate refuses a value a version lacks).
            .with_leader_epoch(if version >= 4 { found.leader_epoch } else { -1 });
        match topics.last_mut() {
            Some(t) if t.name.0.as_str() == topic => t.partitions.push(part),
            _ => topics.push(
                ListOffsetsTopicResponse::default()
                    .with_name(TopicName(StrBytes::from_string(topic.clone())))
                    .with_partitions(vec![part]),
            ),
        }
    }
    let response = ListOffsetsResponse::default().with_topics(topics);
    encode_response(
        header,
        ApiKey::ListOffsets.response_header_version(version),
        &response,
        version,
    )
}
