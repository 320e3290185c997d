//! Produce (API key 0): a real client's record batches into the simulated cluster.
//!
//! The request is decoded here (record batch v2 with its CRC, every compression codec the
//! `kafka-protocol` crate has), checked as Kafka's `ProduceRequest.validateRecords` and
//! `LogValidator` check it, and what passes goes to the room as one engine command
//! (`engine::client::external`): the broker whose listener received it is the broker that
//! handles it, so a client that writes to a broker that does not lead gets
//! NOT_LEADER_OR_FOLLOWER from the engine's own `produce.rs`, as from Kafka.
//!
//! Per partition, before the engine sees it:
//! - a batch whose CRC fails or that does not parse: CORRUPT_MESSAGE (`Errors.CORRUPT_MESSAGE`,
//!   as `DefaultRecordBatch.ensureValid` throws);
//! - not exactly one batch, or a batch before magic v2: INVALID_RECORD (`validateRecords`: "Produce
//!   requests with version 3 are only allowed to contain exactly one record batch");
//! - a batch with a producer id (an idempotent producer's, from InitProducerId,
//!   `init_producer_id.rs`) goes to the engine with its producer id, epoch and base sequence,
//!   where the leader checks them as Kafka's `ProducerStateManager` does
//!   (`engine::producer_state`): duplicates answered with their original offsets,
//!   OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH. A producer id with a negative epoch or
//!   base sequence is INVALID_RECORD (this playground's check: Kafka's client never sends one);
//! - a transactional batch: INVALID_TXN_STATE. There is no transaction coordinator, so no
//!   transaction can be ongoing; Kafka's leader, verifying a transactional batch with the
//!   coordinator (KIP-890), answers INVALID_TXN_STATE for a transaction it does not know;
//! - a batch above `max.message.bytes` (Kafka's default 1048588): MESSAGE_TOO_LARGE;
//! - a compressed batch whose records would inflate past the playground's ceiling
//!   (`decompress::MAX_DECOMPRESSED`): CORRUPT_MESSAGE, with nothing inflated past it.
//!
//! Produce versions 3–9 are enabled: record batch v2 only (v3+), no topic ids (v13), and
//! without KIP-951's leader hints (v10+), which would need the partition's current leader in
//! the answer.

use bytes::{Buf, Bytes};
use indexmap::IndexMap;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ApiKey, ProduceRequest, ProduceResponse, RequestHeader, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{Compression, RecordBatchDecoder};

use engine::client::external::{ExternalPartition, ExternalRecord, ProducerBatch};
use engine::command::Acks;
use engine::event::ErrorCode;

use super::decompress::{MAX_DECOMPRESSED, decompress};
use super::request::encode_response;

pub const NONE: i16 = 0;
pub const CORRUPT_MESSAGE: i16 = 2;
pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
pub const MESSAGE_TOO_LARGE: i16 = 10;
pub const NOT_LEADER_OR_FOLLOWER: i16 = 6;
pub const REQUEST_TIMED_OUT: i16 = 7;
pub const NETWORK_EXCEPTION: i16 = 13;
pub const NOT_ENOUGH_REPLICAS: i16 = 19;
pub const NOT_ENOUGH_REPLICAS_AFTER_APPEND: i16 = 20;
pub const INVALID_REQUIRED_ACKS: i16 = 21;
pub const LEADER_NOT_AVAILABLE: i16 = 5;
pub const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = 45;
pub const INVALID_PRODUCER_EPOCH: i16 = 47;
pub const INVALID_TXN_STATE: i16 = 48;
pub const INVALID_RECORD: i16 = 87;

/// One partition's outcome: topic, partition, and the base offset (unknown for a duplicate)
/// with the log start offset (v5+), or Kafka's error code.
pub type PartitionResult = (String, i32, Result<(Option<u64>, Option<u64>), i16>);

/// Kafka's `max.message.bytes` default: the largest record batch a topic accepts.
pub const MAX_MESSAGE_BYTES: usize = 1_048_588;
/// The smallest record v2 can write: length, attributes, timestamp delta, offset delta, key
/// length, value length and header count, one byte each.
const MIN_RECORD_BYTES: usize = 7;

/// Kafka's code for an engine error.
pub fn error_code(e: ErrorCode) -> i16 {
    match e {
        ErrorCode::NotLeaderOrFollower => NOT_LEADER_OR_FOLLOWER,
        ErrorCode::NotEnoughReplicas => NOT_ENOUGH_REPLICAS,
        ErrorCode::NotEnoughReplicasAfterAppend => NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        ErrorCode::RequestTimedOut | ErrorCode::DeliveryTimeout => REQUEST_TIMED_OUT,
        ErrorCode::NetworkException => NETWORK_EXCEPTION,
        ErrorCode::InvalidRecord => INVALID_RECORD,
        ErrorCode::LeaderNotAvailable => LEADER_NOT_AVAILABLE,
        ErrorCode::OutOfOrderSequenceNumber => OUT_OF_ORDER_SEQUENCE_NUMBER,
        ErrorCode::UnknownTopicOrPartition => UNKNOWN_TOPIC_OR_PARTITION,
        ErrorCode::InvalidProducerEpoch => INVALID_PRODUCER_EPOCH,
    }
}

/// A decoded Produce request: what goes to the engine, and the partitions refused here.
#[derive(Debug)]
pub struct Decoded {
    pub acks: Acks,
    pub timeout_ms: i32,
    /// Every partition of the request in order: `Ok` to the engine, `Err(code)` refused here.
    pub parts: Vec<(String, i32, Result<PartitionBatch, i16>)>,
}

/// The request's acks: 0, 1 or -1 (all); anything else is INVALID_REQUIRED_ACKS for every
/// partition (`KafkaApis.handleProduceRequest` → `ReplicaManager.isValidRequiredAcks`).
pub fn acks(acks: i16) -> Option<Acks> {
    match acks {
        0 => Some(Acks::Zero),
        1 => Some(Acks::One),
        -1 => Some(Acks::All),
        _ => None,
    }
}

/// One partition's batch as the engine takes it: its producer fields and records.
#[derive(Debug, Default)]
pub struct PartitionBatch {
    pub producer: Option<ProducerBatch>,
    pub records: Vec<ExternalRecord>,
}

/// Decodes the request's record batches.
pub fn decode(request: &ProduceRequest) -> Result<Decoded, i16> {
    let acks = acks(request.acks).ok_or(INVALID_REQUIRED_ACKS)?;
    let mut parts = Vec::new();
    for topic in &request.topic_data {
        for p in &topic.partition_data {
            let records = match &p.records {
                Some(bytes) => decode_records(bytes.clone()),
                None => Err(INVALID_RECORD),
            };
            parts.push((topic.name.0.to_string(), p.index, records));
        }
    }
    Ok(Decoded {
        acks,
        timeout_ms: request.timeout_ms,
        parts,
    })
}

/// Checks the records of one decompressed (or uncompressed) batch before the crate reads them:
/// the crate reserves a record's announced header count before reading the headers, so a forged
/// count is refused here, as Kafka's `DefaultRecord.readFrom` refuses one beyond the record's
/// bytes.
fn check_records(mut buf: Bytes, count: i32) -> anyhow::Result<()> {
    fn varint(buf: &mut Bytes) -> anyhow::Result<i64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            anyhow::ensure!(buf.has_remaining(), "a varint runs past the record");
            let b = buf.get_u8();
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                // Zigzag.
                return Ok((value >> 1) as i64 ^ -((value & 1) as i64));
            }
        }
        anyhow::bail!("a varint longer than 10 bytes")
    }
    fn skip(buf: &mut Bytes, len: i64) -> anyhow::Result<()> {
        if len < 0 {
            return Ok(()); // null
        }
        anyhow::ensure!(
            len as u64 <= buf.remaining() as u64,
            "a length past the record"
        );
        buf.advance(len as usize);
        Ok(())
    }
    for _ in 0..count {
        let len = varint(&mut buf)?;
        anyhow::ensure!(
            len >= 0 && len as u64 <= buf.remaining() as u64,
            "a record length past the batch"
        );
        let mut record = buf.split_to(len as usize);
        anyhow::ensure!(record.has_remaining(), "an empty record");
        record.advance(1); // attributes
        varint(&mut record)?; // timestamp delta
        varint(&mut record)?; // offset delta
        let key = varint(&mut record)?;
        skip(&mut record, key)?;
        let value = varint(&mut record)?;
        skip(&mut record, value)?;
        let headers = varint(&mut record)?;
        // Each header takes at least two bytes (its key length and value length).
        anyhow::ensure!(
            headers >= 0 && headers as u64 * 2 <= record.remaining() as u64,
            "a header count past the record"
        );
    }
    Ok(())
}

/// One partition's `records`: exactly one v2 batch, valid CRC, not transactional.
fn decode_records(bytes: Bytes) -> Result<PartitionBatch, i16> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(MESSAGE_TOO_LARGE);
    }
    // The batch headers first (no records read): the count of batches, magic, producer id.
    // Bytes before magic v2 are not read as v2 (`decode_batch_info` stops there).
    let infos =
        RecordBatchDecoder::decode_batch_info(&mut bytes.clone()).map_err(|_| CORRUPT_MESSAGE)?;
    let [info] = infos.as_slice() else {
        return Err(INVALID_RECORD);
    };
    if info.version != 2 {
        return Err(INVALID_RECORD);
    }
    if info.control {
        return Err(INVALID_RECORD);
    }
    if info.transactional {
        return Err(INVALID_TXN_STATE);
    }
    // Kafka's `RecordBatch.hasProducerId`: an id of 0 or more.
    let producer = if info.producer_id >= 0 {
        if info.producer_epoch < 0 || info.base_sequence < 0 {
            return Err(INVALID_RECORD);
        }
        Some(ProducerBatch {
            producer_id: info.producer_id,
            epoch: info.producer_epoch,
            base_sequence: info.base_sequence,
        })
    } else {
        None
    };
    // The crate reserves the announced record count: at most what the batch's bytes could
    // hold uncompressed, or what the decompression ceiling could hold.
    let room = if info.compression == Compression::None {
        bytes.len()
    } else {
        MAX_DECOMPRESSED
    };
    if info.record_count as usize > room / MIN_RECORD_BYTES {
        return Err(CORRUPT_MESSAGE);
    }
    let count = info.record_count;
    let checked = |buf: &mut Bytes, compression: Compression| -> anyhow::Result<Bytes> {
        let records = decompress(buf, compression)?;
        check_records(records.clone(), count)?;
        Ok(records)
    };
    let set = RecordBatchDecoder::decode_with_custom_compression(&mut bytes.clone(), Some(checked))
        .map_err(|_| CORRUPT_MESSAGE)?;
    let records = set
        .records
        .into_iter()
        .map(|r| ExternalRecord {
            key: r.key.map(|k| k.to_vec()),
            value: r.value.map(|v| v.to_vec()),
            headers: headers(r.headers),
            timestamp_ms: r.timestamp,
        })
        .collect();
    Ok(PartitionBatch { producer, records })
}

fn headers(map: IndexMap<StrBytes, Option<Bytes>>) -> Vec<(String, Option<Vec<u8>>)> {
    map.into_iter()
        .map(|(k, v)| (k.to_string(), v.map(|v| v.to_vec())))
        .collect()
}

/// The answer: each partition's error code and base offset, in the request's order, grouped
/// by topic as the request grouped them.
pub fn respond(header: &RequestHeader, results: &[PartitionResult]) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    let mut topics: Vec<TopicProduceResponse> = Vec::new();
    for (topic, partition, result) in results {
        let (error, base, start) = match result {
            Ok((base, start)) => (
                NONE,
                base.map_or(-1, |b| b as i64),
                start.map_or(-1, |s| s as i64),
            ),
            Err(code) => (*code, -1, -1),
        };
        // Kafka answers -1 for the log start offset on an error (`PartitionResponse`'s default).
        let part = PartitionProduceResponse::default()
            .with_index(*partition)
            .with_error_code(error)
            .with_base_offset(base)
            .with_log_append_time_ms(-1)
            // The field exists from v5 on (the crate refuses a value a version lacks).
            .with_log_start_offset(if version >= 5 { start } else { -1 });
        match topics.last_mut() {
            Some(t) if t.name.0.as_str() == topic => t.partition_responses.push(part),
            _ => topics.push(
                TopicProduceResponse::default()
                    .with_name(TopicName(StrBytes::from_string(topic.clone())))
                    .with_partition_responses(vec![part]),
            ),
        }
    }
    let response = ProduceResponse::default().with_responses(topics);
    encode_response(
        header,
        ApiKey::Produce.response_header_version(version),
        &response,
        version,
    )
}

/// The partitions that go to the engine.
pub fn to_engine(decoded: &mut Decoded) -> Vec<ExternalPartition> {
    decoded
        .parts
        .iter_mut()
        .filter_map(|(topic, partition, batch)| match batch {
            Ok(batch) => Some(ExternalPartition {
                topic: topic.clone(),
                partition: *partition,
                producer: batch.producer,
                records: std::mem::take(&mut batch.records),
            }),
            Err(_) => None,
        })
        .collect()
}
