//! The Kafka listener's request path under generated hostile input: framing, header, body and
//! the answer, for at least 100,000 inputs per run (the seed is printed; `KAFKA_FUZZ_SEED=N`
//! replays a run). Garbage, truncated frames, huge and negative size prefixes, unknown API keys
//! and versions, well-formed requests cut short or with flipped bytes: none may panic, each ends
//! in an answer or a refusal (a clean close), and no input makes the path allocate more than
//! [`ALLOCATION_LIMIT`] at once (a counting allocator measures the peak). Produce requests carry
//! record batches, plain or compressed, some with a forged record count, header count or key
//! length under a recomputed CRC (what a hostile client would send), decoded as the listener
//! decodes them (`kafka::produce`). Fetch (v4–v12: full, incremental and final sessions, follower
//! replica ids) and ListOffsets (v1–v7, every special timestamp) requests are decoded as the
//! listener decodes them and answered with records and offsets as the engine could give them
//! (`kafka::fetch`, `kafka::list_offsets`). InitProducerId (v0–v5, with and without a
//! transactional id) is checked and answered as the listener does (`kafka::init_producer_id`).
//! The admin APIs (CreateTopics v2–v6 with configs and assignments, DescribeConfigs v1–v4 over
//! every resource type, OffsetForLeaderEpoch v2–v4) are decoded and answered as the listener
//! does (`kafka::admin`).
#![allow(unsafe_code)] // the counting allocator below: a test-only wrapper of the system allocator

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::{BufMut, Bytes, BytesMut};
use engine::client::external_fetch::{FetchedPartition, FetchedRecord, RecordTime, TimeAnchor};
use engine::list_offsets::ListedOffset;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, BrokerId, FetchRequest, InitProducerIdRequest, ListOffsetsRequest,
    MetadataRequest, ProduceRequest, RequestHeader, TopicName, TransactionalId,
};
use kafka_protocol::protocol::{Encodable, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use playground::kafka::frame::{self, MemoryPool};
use playground::kafka::metadata::{self, Endpoints};
use playground::kafka::request::{self, Request};
use playground::kafka::{api_versions, fetch, init_producer_id, list_offsets, produce, view};
// The admin APIs.
use engine::config::{ClusterConfig, TopicConfig};
use engine::offset_for_leader_epoch::EpochEndOffset;
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use kafka_protocol::messages::{
    CreateTopicsRequest, DescribeConfigsRequest, OffsetForLeaderEpochRequest,
};
use playground::kafka::admin::AdminApi;
use playground::kafka::{create_topics, describe_configs, offset_for_leader_epoch, topic_configs};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Inputs per run.
const INPUTS: usize = 100_000;
/// The most one input may make the path hold at once, above what was held before it. Inputs
/// are at most a few KiB; a response for the test cluster is smaller still.
const ALLOCATION_LIMIT: usize = 1 << 20;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Fewer than `max` random bytes.
    fn bytes_below(&mut self, max: u64) -> Vec<u8> {
        let n = self.below(max);
        (0..n).map(|_| self.next() as u8).collect()
    }
}

struct Ports;
impl Endpoints for Ports {
    fn endpoint(&self, broker: u32) -> Option<(String, u16)> {
        Some(("127.0.0.1".into(), 19091 + broker as u16))
    }
}

fn sized(body: &[u8]) -> Vec<u8> {
    let mut v = (body.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v
}

/// CRC-32C (Castagnoli), as record batch v2 carries it.
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// One record batch v2 of a few records, sometimes compressed, sometimes with a forged record
/// count, header count or key length, its CRC recomputed so that only the forgery is wrong.
fn record_batch(rng: &mut Rng) -> Bytes {
    // Now and then an idempotent producer's batch (producer id 7, epoch 0 or a negative one).
    let idempotent = rng.below(8) == 0;
    let epoch = if idempotent {
        rng.below(2) as i16 - 1
    } else {
        -1
    };
    let records: Vec<Record> = (0..=rng.below(4))
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: 0,
            producer_id: if idempotent { 7 } else { -1 },
            producer_epoch: epoch,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: if idempotent { i as i32 } else { -1 },
            timestamp: 1_700_000_000_000,
            key: (rng.below(3) != 0).then(|| Bytes::from(rng.bytes_below(20))),
            value: Some(Bytes::from(rng.bytes_below(60))),
            headers: (0..rng.below(3))
                .map(|h| {
                    (
                        StrBytes::from_string(format!("h{h}")),
                        Some(Bytes::from_static(b"v")),
                    )
                })
                .collect(),
        })
        .collect();
    let compression = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ][rng.below(5) as usize];
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
    )
    .unwrap();
    let mut batch = buf.to_vec();
    // Batch layout: base offset (8), length (4), leader epoch (4), magic (1), CRC (4) over
    // everything after it; the record count at 57, the first record at 61.
    match rng.below(4) {
        0 => batch[57..61].copy_from_slice(&i32::MAX.to_be_bytes()),
        1 if compression == Compression::None
            && batch[57..61] == 1i32.to_be_bytes()
            && batch[61] < 0x78
            && batch.last() == Some(&0) =>
        {
            // The only record has no headers: its last byte, the header count, is forged to
            // 2^31 − 1 (a zigzag varint) and its length (zigzag, one byte) grows by 4 to match.
            batch.pop();
            batch.extend_from_slice(&[0xfe, 0xff, 0xff, 0xff, 0x0f]);
            batch[61] += 8;
            let len = (batch.len() - 12) as i32;
            batch[8..12].copy_from_slice(&len.to_be_bytes());
        }
        2 if batch.len() > 66 => batch[64] = 0x7e,
        _ => {}
    }
    let crc = crc32c(&batch[21..]);
    batch[17..21].copy_from_slice(&crc.to_be_bytes());
    Bytes::from(batch)
}

/// A well-formed request of a random kind and version, header included.
fn valid_request(rng: &mut Rng) -> Vec<u8> {
    let mut buf = BytesMut::new();
    let kind = rng.below(9);
    let metadata = kind == 0;
    let (api, version) = match kind {
        6 => (ApiKey::CreateTopics, 2 + rng.below(5) as i16),
        7 => (ApiKey::DescribeConfigs, 1 + rng.below(4) as i16),
        8 => (ApiKey::OffsetForLeaderEpoch, 2 + rng.below(3) as i16),
        0 => (ApiKey::Metadata, rng.below(10) as i16),
        1 => (ApiKey::ApiVersions, rng.below(5) as i16),
        2 => (ApiKey::Produce, 3 + rng.below(7) as i16),
        3 => (ApiKey::Fetch, 4 + rng.below(9) as i16),
        4 => (ApiKey::InitProducerId, rng.below(6) as i16),
        _ => (ApiKey::ListOffsets, 1 + rng.below(7) as i16),
    };
    let header = RequestHeader::default()
        .with_request_api_key(api as i16)
        .with_request_api_version(version)
        .with_correlation_id(rng.next() as i32)
        .with_client_id(Some(StrBytes::from_static_str("fuzz")));
    header
        .encode(&mut buf, api.request_header_version(version))
        .unwrap();
    if let Some(admin) = admin_request(rng, api, version) {
        buf.put_slice(&admin);
    } else if api == ApiKey::InitProducerId {
        let transactional = ["tx", ""];
        InitProducerIdRequest::default()
            .with_transactional_id((rng.below(2) == 0).then(|| {
                TransactionalId(StrBytes::from_static_str(
                    transactional[rng.below(2) as usize],
                ))
            }))
            .with_transaction_timeout_ms(60_000)
            .encode(&mut buf, version)
            .unwrap();
    } else if api == ApiKey::Fetch {
        fetch_request(rng, version)
            .encode(&mut buf, version)
            .unwrap();
    } else if api == ApiKey::ListOffsets {
        list_offsets_request(rng, version)
            .encode(&mut buf, version)
            .unwrap();
    } else if api == ApiKey::Produce {
        let topics = (0..=rng.below(2))
            .map(|_| {
                TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_static_str("orders")))
                    .with_partition_data(
                        (0..=rng.below(2))
                            .map(|p| {
                                PartitionProduceData::default()
                                    .with_index(p as i32)
                                    .with_records(Some(record_batch(rng)))
                            })
                            .collect(),
                    )
            })
            .collect();
        ProduceRequest::default()
            .with_acks([0, 1, -1, 2][rng.below(4) as usize])
            .with_timeout_ms(30_000)
            .with_topic_data(topics)
            .encode(&mut buf, version)
            .unwrap();
    } else if metadata {
        let names = ["orders", "fresh", "", "a b", "..", "__consumer_offsets"];
        let topics = (0..rng.below(4))
            .map(|_| {
                MetadataRequestTopic::default().with_name(Some(TopicName(
                    StrBytes::from_static_str(names[rng.below(names.len() as u64) as usize]),
                )))
            })
            .collect();
        let all = rng.below(3) == 0 && version >= 1;
        MetadataRequest::default()
            .with_topics(if all { None } else { Some(topics) })
            // The field exists from v4 on (true before: brokers always created).
            .with_allow_auto_topic_creation(version < 4 || rng.below(2) == 0)
            .encode(&mut buf, version)
            .unwrap();
    } else {
        // The client software fields exist from v3 on.
        let request = if version >= 3 {
            ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_static_str("fuzz-client"))
                .with_client_software_version(StrBytes::from_static_str("1.0"))
        } else {
            ApiVersionsRequest::default()
        };
        request.encode(&mut buf, version).unwrap();
    }
    buf.to_vec()
}

/// An admin request's body: names legal and not, configs modelled and not, assignments,
/// every resource type; `None` for another API.
fn admin_request(rng: &mut Rng, api: ApiKey, version: i16) -> Option<BytesMut> {
    let names = ["orders", "fresh", "", "a b", "..", "x.y"];
    let name = |rng: &mut Rng| names[rng.below(names.len() as u64) as usize];
    let mut buf = BytesMut::new();
    match api {
        ApiKey::CreateTopics => {
            let configs = [
                ("retention.ms", Some("1000")),
                ("cleanup.policy", Some("compact,delete")),
                ("compression.type", Some("zstd")),
                ("min.insync.replicas", None),
                ("segment.bytes", Some("x y")),
            ];
            let topics = (0..=rng.below(3))
                .map(|_| {
                    let (c, v) = configs[rng.below(configs.len() as u64) as usize];
                    CreatableTopic::default()
                        .with_name(TopicName(StrBytes::from_static_str(name(rng))))
                        .with_num_partitions(rng.below(5) as i32 - 2)
                        .with_replication_factor(rng.below(5) as i16 - 2)
                        .with_assignments(if rng.below(4) == 0 {
                            vec![
                                CreatableReplicaAssignment::default()
                                    .with_broker_ids(vec![BrokerId(1), BrokerId(2)]),
                            ]
                        } else {
                            Vec::new()
                        })
                        .with_configs(vec![
                            CreatableTopicConfig::default()
                                .with_name(StrBytes::from_static_str(c))
                                .with_value(v.map(StrBytes::from_static_str)),
                        ])
                })
                .collect();
            CreateTopicsRequest::default()
                .with_topics(topics)
                .with_validate_only(rng.below(2) == 0)
                .encode(&mut buf, version)
                .unwrap();
        }
        ApiKey::DescribeConfigs => {
            let resources = (0..=rng.below(3))
                .map(|_| {
                    let kind = [2, 4, 8, 16, 32, 0][rng.below(6) as usize];
                    let target = if kind == 2 {
                        name(rng)
                    } else {
                        ["1", "2", "", "x"][rng.below(4) as usize]
                    };
                    DescribeConfigsResource::default()
                        .with_resource_type(kind)
                        .with_resource_name(StrBytes::from_static_str(target))
                        .with_configuration_keys(if rng.below(2) == 0 {
                            None
                        } else {
                            Some(vec![StrBytes::from_static_str("retention.ms")])
                        })
                })
                .collect();
            DescribeConfigsRequest::default()
                .with_resources(resources)
                .with_include_synonyms(rng.below(2) == 0)
                .with_include_documentation(version >= 3 && rng.below(2) == 0)
                .encode(&mut buf, version)
                .unwrap();
        }
        ApiKey::OffsetForLeaderEpoch => {
            let topics = (0..=rng.below(2))
                .map(|_| {
                    OffsetForLeaderTopic::default()
                        .with_topic(TopicName(StrBytes::from_static_str(name(rng))))
                        .with_partitions(vec![
                            OffsetForLeaderPartition::default()
                                .with_partition(rng.below(3) as i32)
                                .with_current_leader_epoch(rng.below(4) as i32 - 1)
                                .with_leader_epoch(rng.below(4) as i32 - 1),
                        ])
                })
                .collect();
            OffsetForLeaderEpochRequest::default()
                .with_topics(topics)
                .encode(&mut buf, version)
                .unwrap();
        }
        _ => return None,
    }
    Some(buf)
}

/// An admin request decoded as the listener does (`kafka::admin`), answered with what the
/// room could give: each topic created or refused by its configs and numbers, every topic
/// found, every epoch known.
fn admin_answer(header: &RequestHeader, api: &AdminApi) -> Option<Vec<u8>> {
    match api {
        AdminApi::CreateTopics(r) => {
            let decoded = create_topics::decode(r);
            let outcomes: Vec<create_topics::Outcome> = decoded
                .topics
                .iter()
                .map(|t| {
                    t.options.clone()?;
                    let (p, rf) = create_topics::check_numbers(t, 1, 1)?;
                    Ok((
                        p,
                        rf,
                        topic_configs::topic_entries(&TopicConfig::new(p, rf)),
                    ))
                })
                .collect();
            create_topics::respond(header, &decoded, &outcomes)
        }
        AdminApi::DeleteTopics(r) => {
            let decoded = playground::kafka::delete_topics::decode(r, header.request_api_version);
            // Every other name deleted, the rest unknown.
            let outcomes: Vec<playground::kafka::delete_topics::Outcome> =
                (0..decoded.topics.len())
                    .map(|i| {
                        if i % 2 == 0 {
                            Ok(())
                        } else {
                            Err((3, "This server does not host this topic-partition.".into()))
                        }
                    })
                    .collect();
            playground::kafka::delete_topics::respond(header, &decoded, &outcomes)
        }
        AdminApi::DescribeConfigs(r) => {
            let topics: Vec<_> = describe_configs::topics_asked(r)
                .into_iter()
                .map(|t| (t, Some(TopicConfig::new(3, 2))))
                .collect();
            describe_configs::respond(header, r, 1, &topics, &ClusterConfig::default())
        }
        AdminApi::OffsetForLeaderEpoch(r) => {
            let queries = offset_for_leader_epoch::decode(r);
            let results: Vec<_> = queries
                .iter()
                .map(|q| {
                    Ok(EpochEndOffset {
                        leader_epoch: q.leader_epoch,
                        end_offset: 7,
                    })
                })
                .collect();
            offset_for_leader_epoch::respond(header, &queries, &results)
        }
    }
}

/// A consumer's (or now and then a follower's) Fetch: full, incremental or final sessions,
/// a few partitions with any offset and limits.
fn fetch_request(rng: &mut Rng, version: i16) -> FetchRequest {
    let topics = (0..=rng.below(2))
        .map(|_| {
            FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_static_str(
                    ["orders", "fresh"][rng.below(2) as usize],
                )))
                .with_partitions(
                    (0..=rng.below(3))
                        .map(|p| {
                            let part = FetchPartition::default()
                                .with_partition(p as i32 - 1 + rng.below(2) as i32)
                                .with_fetch_offset(rng.below(20) as i64 - 2)
                                .with_partition_max_bytes(rng.below(1 << 20) as i32);
                            if version >= 9 {
                                part.with_current_leader_epoch(rng.below(4) as i32 - 1)
                            } else {
                                part
                            }
                        })
                        .collect(),
                )
        })
        .collect();
    let request = FetchRequest::default()
        .with_replica_id(BrokerId(if rng.below(8) == 0 { 2 } else { -1 }))
        .with_max_wait_ms(500)
        .with_min_bytes(1)
        .with_max_bytes(rng.below(1 << 24) as i32)
        .with_isolation_level(rng.below(2) as i8)
        .with_topics(topics);
    if version >= 7 {
        request
            .with_session_id(rng.below(3) as i32)
            .with_session_epoch([-1, 0, 0, 5][rng.below(4) as usize])
    } else {
        request
    }
}

/// A consumer's ListOffsets: earliest, latest, max timestamp or a time, a few partitions.
fn list_offsets_request(rng: &mut Rng, version: i16) -> ListOffsetsRequest {
    let partitions = (0..=rng.below(3))
        .map(|p| {
            let part = ListOffsetsPartition::default()
                .with_partition_index(p as i32)
                .with_timestamp([-1, -2, -3, 1_700_000_000_000][rng.below(4) as usize]);
            if version >= 4 {
                part.with_current_leader_epoch(rng.below(4) as i32 - 1)
            } else {
                part
            }
        })
        .collect();
    let request = ListOffsetsRequest::default()
        .with_replica_id(BrokerId([-1, -2, 3][rng.below(3) as usize]))
        .with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_static_str("orders")))
                .with_partitions(partitions),
        ]);
    if version >= 2 {
        request.with_isolation_level(rng.below(2) as i8)
    } else {
        request
    }
}

/// What the engine could give a fetch: a few records, one of a real client's with headers.
fn fetched() -> FetchedPartition {
    let record = |offset: u64, epoch: u32, time: RecordTime| FetchedRecord {
        offset,
        leader_epoch: epoch,
        key: Some(b"k".to_vec()),
        value: offset.is_multiple_of(2).then(|| b"value".to_vec()),
        headers: vec![("h".into(), Some(b"v".to_vec()))],
        time,
    };
    FetchedPartition {
        high_watermark: 9,
        log_start_offset: 2,
        records: vec![
            record(2, 0, RecordTime::Simulated(1_000_000)),
            record(3, 0, RecordTime::CreateTimeMs(1_700_000_000_000)),
            record(7, 1, RecordTime::Simulated(9_000_000)),
        ],
    }
}

/// One hostile input: the bytes a peer sends on one connection.
fn input(rng: &mut Rng) -> Vec<u8> {
    match rng.below(7) {
        // Garbage, sometimes shorter than a size prefix.
        0 => rng.bytes_below(600),
        // A size prefix beyond the limit or negative, and a few bytes.
        1 => {
            let size = frame::MAX_REQUEST_BYTES as u64 + 1 + rng.below(u64::from(u32::MAX));
            let mut v = (size as u32).to_be_bytes().to_vec();
            v.extend(rng.bytes_below(16));
            v
        }
        // A frame that announces more than it carries (truncated).
        2 => {
            let body = rng.bytes_below(200);
            let mut v = ((body.len() + 1 + rng.below(5000) as usize) as u32)
                .to_be_bytes()
                .to_vec();
            v.extend(body);
            v
        }
        // A header with any key and version, then garbage.
        3 => {
            let mut body = Vec::new();
            body.extend_from_slice(&(rng.below(100) as i16 - 2).to_be_bytes());
            body.extend_from_slice(&(rng.below(24) as i16 - 2).to_be_bytes());
            body.extend(rng.bytes_below(300));
            sized(&body)
        }
        // A valid request with a few bytes flipped.
        4 => {
            let mut body = valid_request(rng);
            for _ in 0..=rng.below(4) {
                let i = rng.below(body.len() as u64) as usize;
                body[i] = rng.next() as u8;
            }
            sized(&body)
        }
        // A valid request cut short (its size prefix telling the shorter length).
        5 => {
            let body = valid_request(rng);
            let cut = rng.below(body.len() as u64) as usize;
            sized(&body[..cut])
        }
        // Several valid requests back to back, the last maybe truncated.
        _ => {
            let mut v = Vec::new();
            for _ in 0..=rng.below(3) {
                v.extend(sized(&valid_request(rng)));
            }
            if rng.below(2) == 0 {
                let keep = v.len() - rng.below(v.len() as u64 / 2 + 1) as usize;
                v.truncate(keep);
            }
            v
        }
    }
}

/// What became of one input: answers given, and whether the connection ended in a refusal.
async fn run(bytes: &[u8], pool: &MemoryPool, cluster: &view::ClusterView) -> (usize, bool) {
    let mut reader = bytes;
    let mut answers = 0;
    loop {
        let frame = match frame::read_frame(&mut reader, pool).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return (answers, false),
            Err(_) => return (answers, true),
        };
        let Ok(decoded) = request::decode(Bytes::clone(&frame.bytes)) else {
            return (answers, true);
        };
        let header = &decoded.header;
        let response = match &decoded.request {
            // The group APIs are answered by the room's coordinator (`group::answer`); what
            // reaches here decoded is what the listener would hand it. Their answers are
            // fuzzed with the coordinator's outcomes in `kafka/group_check.rs`.
            Request::Group(_) => {
                answers += 1;
                continue;
            }
            Request::ApiVersions(r) => api_versions::respond(header, r),
            Request::Admin(api) => admin_answer(header, api),
            // Checked as the listener does; a new id answered as the engine would give one.
            Request::InitProducerId(r) => {
                init_producer_id::respond(header, init_producer_id::check(r).map(|()| 1000))
            }
            Request::UnsupportedApiVersions => api_versions::respond_unsupported(header),
            Request::Metadata(r) => {
                let mut view = cluster.clone();
                if let Some(names) = metadata::requested_topics(r, header.request_api_version) {
                    view.topics.retain(|(n, _)| names.contains(n));
                    for n in names {
                        if !view.topics.iter().any(|(t, _)| *t == n) {
                            view.topics.push((n, view::TopicState::Missing));
                        }
                    }
                }
                metadata::respond(header, r, &view, &Ports, 0)
            }
            // Decoded as the listener does; the engine's part answered as appended.
            Request::Produce(r) => match produce::decode(r) {
                Ok(decoded) => {
                    let results: Vec<_> = decoded
                        .parts
                        .into_iter()
                        .map(|(t, p, r)| (t, p, r.map(|_| (Some(0), Some(0)))))
                        .collect();
                    produce::respond(header, &results)
                }
                Err(code) => produce::respond(header, &[("orders".into(), 0, Err(code))]),
            },
            // Decoded as the listener does; the engine's part answered with records.
            Request::Fetch(r) => match fetch::decode(r, header.request_api_version) {
                Ok(decoded) => {
                    let results: Vec<_> = decoded
                        .parts
                        .into_iter()
                        .map(|(t, p, r)| (t, p, r.map(|_| fetched())))
                        .collect();
                    let anchor = TimeAnchor {
                        sim_us: 10_000_000,
                        wall_ms: 1_700_000_000_000,
                    };
                    fetch::respond(header, decoded.read_committed, &results, anchor)
                }
                Err(code) => fetch::respond_empty(header, code),
            },
            Request::ListOffsets(r) => {
                let decoded = list_offsets::decode(r, header.request_api_version);
                let results: Vec<_> = decoded
                    .parts
                    .into_iter()
                    .map(|(t, p, q)| {
                        let found = q.map(|q| ListedOffset {
                            timestamp: q.timestamp.max(-1),
                            offset: 4,
                            leader_epoch: 1,
                        });
                        (t, p, found)
                    })
                    .collect();
                list_offsets::respond(header, &results)
            }
        };
        let response = response.expect("every decoded request has an answer");
        let mut framed = BytesMut::new();
        framed.put_slice(&frame::frame_response(&response));
        answers += 1;
    }
}

#[test]
fn hostile_inputs_end_in_an_answer_or_a_clean_close_within_the_allocation_limit() {
    let seed = std::env::var("KAFKA_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!("kafka fuzz seed {seed} (KAFKA_FUZZ_SEED={seed} replays this run)");
    let script = engine::scenario::parse(
        "fuzz",
        "brokers 3\ntopic create orders partitions=3 replication=3\nbroker kill 2\nwait 30s\n",
    )
    .expect("the cluster parses");
    let (_, cluster) = engine::runner::run(&script, |_| {});
    let names = Some(vec!["orders".to_string()]);
    let cluster_view = view::view(&cluster, names.as_deref(), Vec::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let pool = MemoryPool::default();
    let mut rng = Rng(seed);
    let (mut answered, mut refused, mut worst) = (0usize, 0usize, 0usize);
    runtime.block_on(async {
        for i in 0..INPUTS {
            let bytes = input(&mut rng);
            let base = CURRENT.load(Ordering::Relaxed);
            PEAK.store(base, Ordering::Relaxed);
            let (answers, refusal) = run(&bytes, &pool, &cluster_view).await;
            let peak = PEAK.load(Ordering::Relaxed) - base;
            worst = worst.max(peak);
            assert!(
                peak <= ALLOCATION_LIMIT,
                "input {i} (seed {seed}) made the path hold {peak} bytes: {bytes:?}"
            );
            answered += answers;
            refused += usize::from(refusal);
        }
    });
    assert_eq!(
        pool.available(),
        frame::POOL_BYTES as usize,
        "every reservation released"
    );
    println!(
        "{INPUTS} inputs: {answered} answers, {refused} connections closed, peak {worst} bytes held by one input"
    );
    assert!(
        answered > INPUTS / 10 && refused > INPUTS / 10,
        "both outcomes were exercised"
    );
}
