//! OffsetForLeaderEpoch (API key 23), versions 2–4: the end offset of a leader epoch, from the
//! leader-epoch cache of the replica on the broker the connection reached
//! (`engine::offset_for_leader_epoch`, Kafka's `ReplicaManager.lastOffsetForLeaderEpoch`).
//! librdkafka and the Java consumer ask it after a leader change (KIP-320) to learn whether
//! the log they read was truncated.
//!
//! The `replica_id` (v3+) changes nothing, as in Kafka: every caller, consumer or follower, is
//! answered only by the leader (`fetchOnlyFromLeader = true`). v0–v1 (no current leader epoch)
//! are not offered: Kafka 4 dropped them (KIP-896), and so does the crate.

use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use kafka_protocol::messages::{
    ApiKey, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse, RequestHeader, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use engine::client::external_fetch::FetchError;
use engine::offset_for_leader_epoch::{EpochQuery, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET};

use super::fetch::error_code;
use super::request::encode_response;
use super::skim::Skim;

/// The partitions of the request, in order.
pub fn decode(request: &OffsetForLeaderEpochRequest) -> Vec<EpochQuery> {
    request
        .topics
        .iter()
        .flat_map(|t| {
            t.partitions.iter().map(|p| EpochQuery {
                topic: t.topic.0.to_string(),
                partition: p.partition,
                current_leader_epoch: p.current_leader_epoch,
                leader_epoch: p.leader_epoch,
            })
        })
        .collect()
}

/// OffsetForLeaderEpochRequest v2–v4 (`OffsetForLeaderEpochRequest.json`), skimmed before the
/// crate reads it.
pub fn skim(body: &bytes::Bytes, version: i16) -> Option<()> {
    let mut s = Skim::new(body, version >= 4);
    if version >= 3 {
        s.fixed(4)?; // replica_id
    }
    for _ in 0..s.count()? {
        s.string()?; // topic
        for _ in 0..s.count()? {
            s.fixed(4 + 4 + 4)?; // partition, current_leader_epoch, leader_epoch
            s.tagged()?;
        }
        s.tagged()?;
    }
    s.tagged()
}

/// The answer: each partition in the request's order, grouped by topic.
pub fn respond(
    header: &RequestHeader,
    queries: &[EpochQuery],
    results: &[Result<engine::offset_for_leader_epoch::EpochEndOffset, FetchError>],
) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    let mut topics: Vec<OffsetForLeaderTopicResult> = Vec::new();
    for (q, result) in queries.iter().zip(results) {
        let (error, epoch, offset) = match result {
            Ok(found) => (0, found.leader_epoch, found.end_offset),
            Err(e) => (error_code(*e), UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET),
        };
        let part = EpochEndOffset::default()
            .with_partition(q.partition)
            .with_error_code(error)
            .with_leader_epoch(epoch)
            .with_end_offset(offset);
        match topics.last_mut() {
            Some(t) if t.topic.0.as_str() == q.topic => t.partitions.push(part),
            _ => topics.push(
                OffsetForLeaderTopicResult::default()
                    .with_topic(TopicName(StrBytes::from_string(q.topic.clone())))
                    .with_partitions(vec![part]),
            ),
        }
    }
    let response = OffsetForLeaderEpochResponse::default().with_topics(topics);
    encode_response(
        header,
        ApiKey::OffsetForLeaderEpoch.response_header_version(version),
        &response,
        version,
    )
}
