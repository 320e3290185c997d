//! Fetch (API key 1), versions 4–12: a real consumer reading the simulated logs.
//!
//! The request is decoded here and given to the room as one engine command
//! (`engine::client::external_fetch`), which reads each partition at the broker the connection
//! reached, as the simulated consumers' fetches are read: leader checks, the high watermark,
//! `max_bytes`/`partition_max_bytes`, and the long poll (`min_bytes`, `max_wait_ms`). The answer's
//! records are encoded here as record batch v2 by the crate's encoder.
//!
//! Versions: v4 (isolation level, last stable offset; record batch v2 only) to v12 (flexible).
//! v13+ name topics by id, which the simulated topics do not have, so they are not offered.
//!
//! Not implemented, and why it does not matter to a consumer:
//! - Fetch sessions (KIP-227): every request is answered as a full fetch with `session_id` 0.
//!   Kafka's broker may decline to create a session (`FetchManager.newContext` →
//!   `FetchSessionCache.maybeCreateSession` returns `INVALID_SESSION_ID` when it has no slot,
//!   as with `max.incremental.fetch.session.cache.slots=0`), and clients then keep sending full
//!   requests. An incremental request (epoch > 0) names a session this broker never created:
//!   FETCH_SESSION_ID_NOT_FOUND, as `newContext` answers for an unknown session id.
//! - Follower fetches (`replica_id` ≥ 0): the brokers' replication is simulated inside the
//!   engine; a broker id here is no replica the leader knows, so each partition gets
//!   NOT_LEADER_OR_FOLLOWER (Kafka's answer for a fetch from a replica it does not know).
//! - `last_fetched_epoch` (v12, followers only) and `preferred_read_replica` (v11, KIP-392;
//!   answered −1: read from the leader).
//!
//! Record timestamps: a real client's record keeps its CreateTime; a simulated record is
//! stamped with the wall-clock time its simulated age says (`TimeAnchor`, fixed when the answer
//! leaves the room). Headers with a repeated key are kept once (the crate's record type holds
//! headers in a map).

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{ApiKey, FetchRequest, FetchResponse, RequestHeader, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use engine::client::external_fetch::{
    ExternalFetchPartition, FetchError, FetchedPartition, FetchedRecord, TimeAnchor,
};

use super::request::encode_response;

pub const NONE: i16 = 0;
pub const OFFSET_OUT_OF_RANGE: i16 = 1;
pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
pub const NOT_LEADER_OR_FOLLOWER: i16 = 6;
pub const FETCH_SESSION_ID_NOT_FOUND: i16 = 70;
pub const FENCED_LEADER_EPOCH: i16 = 74;
pub const UNKNOWN_LEADER_EPOCH: i16 = 76;
pub const OFFSET_NOT_AVAILABLE: i16 = 78;

/// `FetchMetadata.INITIAL_EPOCH` and `FINAL_EPOCH`: the epochs of a full (sessionless) fetch.
const INITIAL_EPOCH: i32 = 0;
const FINAL_EPOCH: i32 = -1;

/// Kafka's code for an engine refusal.
pub fn error_code(e: FetchError) -> i16 {
    match e {
        FetchError::UnknownTopicOrPartition => UNKNOWN_TOPIC_OR_PARTITION,
        FetchError::NotLeaderOrFollower => NOT_LEADER_OR_FOLLOWER,
        FetchError::OffsetOutOfRange => OFFSET_OUT_OF_RANGE,
        FetchError::FencedLeaderEpoch => FENCED_LEADER_EPOCH,
        FetchError::UnknownLeaderEpoch => UNKNOWN_LEADER_EPOCH,
        FetchError::OffsetNotAvailable => OFFSET_NOT_AVAILABLE,
    }
}

/// One partition's outcome: topic, partition, the records or Kafka's error code.
pub type PartitionResult = (String, i32, Result<FetchedPartition, i16>);

/// A decoded Fetch request.
#[derive(Debug)]
pub struct Decoded {
    pub max_wait_ms: i32,
    pub min_bytes: i32,
    pub max_bytes: i32,
    pub read_committed: bool,
    /// Every partition of the request in order: `Ok` to the engine, `Err(code)` refused here.
    pub parts: Vec<(String, i32, Result<ExternalFetchPartition, i16>)>,
}

/// The request's partitions, or the top-level error that answers it whole.
pub fn decode(request: &FetchRequest, version: i16) -> Result<Decoded, i16> {
    let full = version < 7 || matches!(request.session_epoch, INITIAL_EPOCH | FINAL_EPOCH);
    if !full {
        return Err(FETCH_SESSION_ID_NOT_FOUND);
    }
    let follower = request.replica_id.0 >= 0;
    let mut parts = Vec::new();
    for topic in &request.topics {
        let name = topic.topic.0.to_string();
        for p in &topic.partitions {
            let part = if follower {
                Err(NOT_LEADER_OR_FOLLOWER)
            } else {
                Ok(ExternalFetchPartition {
                    topic: name.clone(),
                    partition: p.partition,
                    fetch_offset: p.fetch_offset,
                    current_leader_epoch: if version >= 9 {
                        p.current_leader_epoch
                    } else {
                        -1
                    },
                    partition_max_bytes: p.partition_max_bytes,
                })
            };
            parts.push((name.clone(), p.partition, part));
        }
    }
    Ok(Decoded {
        max_wait_ms: request.max_wait_ms,
        min_bytes: request.min_bytes,
        // Before v3 there was no response limit; from v4 it is always present.
        max_bytes: request.max_bytes,
        read_committed: request.isolation_level == 1,
        parts,
    })
}

/// The partitions that go to the engine.
pub fn to_engine(decoded: &Decoded) -> Vec<ExternalFetchPartition> {
    decoded
        .parts
        .iter()
        .filter_map(|(_, _, p)| p.as_ref().ok().cloned())
        .collect()
}

/// A partition's records as record batch v2: one batch per run of records appended in the
/// same leader epoch (the batch's partitionLeaderEpoch), uncompressed, CreateTime.
pub fn encode_records(records: &[FetchedRecord], anchor: TimeAnchor) -> Option<Bytes> {
    if records.is_empty() {
        return Some(Bytes::new());
    }
    let mut batch_base = records[0].offset;
    let mut epoch = records[0].leader_epoch;
    let encoded: Vec<Record> = records
        .iter()
        .map(|r| {
            if r.leader_epoch != epoch {
                epoch = r.leader_epoch;
                batch_base = r.offset;
            }
            let headers: IndexMap<StrBytes, Option<Bytes>> = r
                .headers
                .iter()
                .map(|(k, v)| (StrBytes::from_string(k.clone()), v.clone().map(Bytes::from)))
                .collect();
            Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: r.leader_epoch as i32,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: r.offset as i64,
                // The crate keeps records in one batch while offset − sequence stays the same;
                // the batch's base sequence is then −1, as for any batch without a producer
                // id. A new epoch starts a new batch.
                sequence: (r.offset - batch_base) as i32 - 1,
                timestamp: anchor.wall_ms(r.time),
                key: r.key.clone().map(Bytes::from),
                value: r.value.clone().map(Bytes::from),
                headers,
            }
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &encoded,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .ok()?;
    Some(buf.freeze())
}

/// The answer to a full fetch: each partition in the request's order, grouped by topic as the
/// request grouped them, `session_id` 0.
pub fn respond(
    header: &RequestHeader,
    read_committed: bool,
    results: &[PartitionResult],
    anchor: TimeAnchor,
) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    // The log start offset exists from v5 on (the crate refuses a value a version lacks).
    let log_start = |offset: i64| if version >= 5 { offset } else { -1 };
    let mut topics: Vec<FetchableTopicResponse> = Vec::new();
    for (topic, partition, result) in results {
        let part = match result {
            Ok(p) => PartitionData::default()
                .with_partition_index(*partition)
                .with_error_code(NONE)
                .with_high_watermark(p.high_watermark as i64)
                // No transactions: the last stable offset is the high watermark.
                .with_last_stable_offset(p.high_watermark as i64)
                .with_log_start_offset(log_start(p.log_start_offset as i64))
                .with_records(Some(encode_records(&p.records, anchor)?)),
            // Kafka's `FetchResponse.partitionResponse(tp, error)`: unknown offsets, no records.
            Err(code) => PartitionData::default()
                .with_partition_index(*partition)
                .with_error_code(*code)
                .with_high_watermark(-1)
                .with_last_stable_offset(-1)
                .with_log_start_offset(-1)
                .with_records(Some(Bytes::new())),
        }
        // Aborted transactions are listed (none) only for READ_COMMITTED, null otherwise, as
        // `LocalLog.read` collects them only then.
        .with_aborted_transactions(read_committed.then(Vec::new))
        .with_preferred_read_replica((-1).into());
        match topics.last_mut() {
            Some(t) if t.topic.0.as_str() == topic => t.partitions.push(part),
            _ => topics.push(
                FetchableTopicResponse::default()
                    .with_topic(TopicName(StrBytes::from_string(topic.clone())))
                    .with_partitions(vec![part]),
            ),
        }
    }
    let response = FetchResponse::default()
        .with_error_code(NONE)
        .with_session_id(0)
        .with_responses(topics);
    encode_response(
        header,
        ApiKey::Fetch.response_header_version(version),
        &response,
        version,
    )
}

/// The answer to a request refused whole (an unknown fetch session), or to one the room did not
/// answer in time (no partitions: the client fetches again).
pub fn respond_empty(header: &RequestHeader, error: i16) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    let response = FetchResponse::default()
        .with_error_code(error)
        .with_session_id(0);
    encode_response(
        header,
        ApiKey::Fetch.response_header_version(version),
        &response,
        version,
    )
}
