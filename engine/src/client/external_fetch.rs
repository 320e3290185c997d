//! A real Kafka client's Fetch (a consumer's, `replica_id` −1): the leader's side of Kafka's
//! `ReplicaManager.fetchMessages` for the broker the client's connection reached.
//!
//! Each partition is read as `group/fetch.rs` reads for the simulated consumers: from the
//! leader only, up to the high watermark (a consumer never sees what the ISR has not
//! committed; READ_COMMITTED stops at the last stable offset, which is the high watermark here
//! because there are no transactions). Per partition, as `Partition.readRecords` checks:
//! the client's `current_leader_epoch` (KIP-320: older → FENCED_LEADER_EPOCH, newer →
//! UNKNOWN_LEADER_EPOCH), then leadership (NOT_LEADER_OR_FOLLOWER; a topic or partition the
//! metadata lacks is UNKNOWN_TOPIC_OR_PARTITION), then the offset (`LocalLog.read`: below the
//! log start offset or past the log end offset is OFFSET_OUT_OF_RANGE).
//!
//! Sizes follow `ReplicaManager.readFromLocalLog` (KIP-74): the response's `max_bytes` is shared
//! by the partitions in request order, each also bounded by its `partition_max_bytes`, and only
//! the first partition that returns anything may exceed them by its first record (the engine
//! keeps records, not the producers' batches: a record is the unit here).
//!
//! Long poll (`DelayedFetch`): a fetch is answered at once when it has `min_bytes` to return,
//! a partition fails, or `max_wait_ms` is 0; otherwise it waits at the broker until the high
//! watermark of one of its partitions moves far enough, or `max_wait_ms` passes, and is then
//! read again. As Kafka's `DelayedFetch.tryComplete`, it also completes at once when the broker
//! stops leading one of its partitions or that partition's leader epoch changes
//! (`replication.rs`, `apply_metadata`): the partition then fails with its error.

use crate::CommandError;
use crate::cluster::{Cluster, Timer};
use crate::command::TopicPartition;
use crate::record::RecordId;
use crate::time::Micros;

/// One partition a real client fetches, as its request names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalFetchPartition {
    pub topic: String,
    pub partition: i32,
    pub fetch_offset: i64,
    /// −1: the client does not know (Fetch before v9, or no epoch in its metadata).
    pub current_leader_epoch: i32,
    pub partition_max_bytes: i32,
}

/// A decoded Fetch request of a real client. In a journal line (`client::journal`) the client
/// is the line's, not the JSON's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalFetch {
    #[serde(skip)]
    pub client: u32,
    /// The broker whose listener received the request.
    pub broker: u32,
    /// The driver's name for this request: its answer carries it back.
    pub token: u64,
    pub max_wait_us: Micros,
    pub min_bytes: i32,
    pub max_bytes: i32,
    pub partitions: Vec<ExternalFetchPartition>,
}

/// Why a partition returns no records (Kafka's error codes for them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    UnknownTopicOrPartition,
    NotLeaderOrFollower,
    OffsetOutOfRange,
    FencedLeaderEpoch,
    UnknownLeaderEpoch,
    /// ListOffsets only: the leader's high watermark has not reached its epoch's start yet.
    OffsetNotAvailable,
}

/// When a record was made: a real client's CreateTime, or the simulation's clock for the
/// simulated producers' records (the driver maps it to wall-clock time, `TimeAnchor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordTime {
    CreateTimeMs(i64),
    Simulated(Micros),
}

/// The driver's mapping between the simulation's clock and the wall clock: `sim_us` and
/// `wall_ms` are the same instant (normally now). A simulated record made `d` simulated µs
/// before `sim_us` is stamped `d / 1000` ms before `wall_ms`: while a real client is connected
/// the room plays at 1×, so the ages of records agree with the wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeAnchor {
    pub sim_us: Micros,
    pub wall_ms: i64,
}

impl TimeAnchor {
    pub fn wall_ms(&self, time: RecordTime) -> i64 {
        match time {
            RecordTime::CreateTimeMs(ms) => ms,
            RecordTime::Simulated(us) => {
                let age_ms = (i128::from(self.sim_us) - i128::from(us)) / 1000;
                (i128::from(self.wall_ms) - age_ms) as i64
            }
        }
    }
}

/// One record as a fetch returns it (serialised with its bytes in base64, as
/// `playground run --logs` prints it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FetchedRecord {
    pub offset: u64,
    /// The leader epoch it was appended in (the batch's partitionLeaderEpoch).
    pub leader_epoch: u32,
    #[serde(serialize_with = "crate::client::journal::opt_bytes::serialize")]
    pub key: Option<Vec<u8>>,
    #[serde(serialize_with = "crate::client::journal::opt_bytes::serialize")]
    pub value: Option<Vec<u8>>,
    #[serde(serialize_with = "crate::client::journal::headers::serialize")]
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    pub time: RecordTime,
}

/// A partition's records and offsets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchedPartition {
    pub high_watermark: u64,
    pub log_start_offset: u64,
    pub records: Vec<FetchedRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalFetchPartResult {
    pub topic: String,
    pub partition: i32,
    pub result: Result<FetchedPartition, FetchError>,
}

/// A finished Fetch, for the driver to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalFetchResponse {
    pub client: u32,
    pub token: u64,
    /// In the order of the request's partitions.
    pub parts: Vec<ExternalFetchPartResult>,
}

/// A record a read returns: offset, leader epoch, size in bytes, id.
#[derive(Debug, Clone, Copy)]
struct ReadRecord {
    offset: u64,
    epoch: u32,
    size: u32,
    id: RecordId,
}

#[derive(Debug, Clone, Copy)]
struct FetchedOffsets {
    high_watermark: u64,
    log_start_offset: u64,
}

/// One partition read: its offsets and records, or the error.
type Read = Result<(FetchedOffsets, Vec<ReadRecord>), FetchError>;

fn read_bytes(read: &Read) -> u64 {
    match read {
        Ok((_, records)) => records.iter().map(|r| u64::from(r.size)).sum(),
        Err(_) => 0,
    }
}

impl Cluster {
    /// `Command::ExternalFetch`: the request reached `broker`'s listener.
    pub(crate) fn cmd_external_fetch(
        &mut self,
        request: ExternalFetch,
    ) -> Result<(), CommandError> {
        if !self.external.clients.contains_key(&request.client) {
            return Err(CommandError::Invalid(format!(
                "no real client {}",
                request.client
            )));
        }
        if request.broker == 0 || request.broker > self.broker_count() {
            return Err(CommandError::UnknownBroker(request.broker));
        }
        // A dead broker answers nothing: its connection is about to be dropped by the driver.
        if !self.broker(request.broker).alive {
            return Err(CommandError::Invalid(format!(
                "broker {} is down",
                request.broker
            )));
        }
        self.note_fetch_offsets(&request);
        self.external_fetch(request, true);
        Ok(())
    }

    /// Remembers where the client asked to read each partition that exists: the page marks a
    /// real consumer's position from it, as it marks a simulated consumer's.
    fn note_fetch_offsets(&mut self, request: &ExternalFetch) {
        let now = self.now;
        let known: Vec<(TopicPartition, u64)> = request
            .partitions
            .iter()
            .filter_map(|p| {
                let tp = TopicPartition {
                    topic: p.topic.clone(),
                    partition: u32::try_from(p.partition).ok()?,
                };
                let offset = u64::try_from(p.fetch_offset).ok()?;
                self.slot_of(&tp).map(|_| (tp, offset))
            })
            .collect();
        if let Some(client) = self.external.clients.get_mut(&request.client) {
            for (tp, offset) in known {
                client.fetching.insert(tp, (offset, now));
            }
        }
    }

    /// Reads every partition; answers, or parks the request when it may wait and has less than
    /// `min_bytes` to return and no error (`ReplicaManager.fetchMessages`).
    fn external_fetch(&mut self, request: ExternalFetch, may_wait: bool) {
        let reads = self.external_reads(&request);
        let failed = reads.iter().any(Result::is_err);
        let bytes: u64 = reads.iter().map(read_bytes).sum();
        let enough = bytes >= u64::try_from(request.min_bytes).unwrap_or(0);
        if may_wait
            && request.max_wait_us > 0
            && !failed
            && !enough
            && !request.partitions.is_empty()
        {
            let at = self.now + request.max_wait_us;
            let (client, token) = (request.client, request.token);
            self.external.parked_fetches.push(request);
            self.schedule(at, Timer::ExternalFetchExpired { client, token });
            return;
        }
        let parts = request
            .partitions
            .iter()
            .zip(reads)
            .map(|(p, read)| ExternalFetchPartResult {
                topic: p.topic.clone(),
                partition: p.partition,
                result: read.map(|(offsets, records)| FetchedPartition {
                    high_watermark: offsets.high_watermark,
                    log_start_offset: offsets.log_start_offset,
                    records: records.iter().map(|r| self.fetched_record(r)).collect(),
                }),
            })
            .collect();
        self.external.fetched.push(ExternalFetchResponse {
            client: request.client,
            token: request.token,
            parts,
        });
    }

    /// Each partition read with the response's byte budget shared as `readFromLocalLog` does.
    fn external_reads(&self, request: &ExternalFetch) -> Vec<Read> {
        let mut limit = u64::try_from(request.max_bytes).unwrap_or(0);
        let mut min_one = true;
        request
            .partitions
            .iter()
            .map(|p| {
                let max = u64::try_from(p.partition_max_bytes).unwrap_or(0).min(limit);
                let read = self.external_read(request.broker, p, max, min_one);
                let bytes = read_bytes(&read);
                if bytes > 0 {
                    min_one = false;
                    limit = limit.saturating_sub(bytes);
                }
                read
            })
            .collect()
    }

    /// The leader's checks and the records from the fetch offset up to the high watermark,
    /// at most `max_bytes` of them (the first even when larger, if `min_one`).
    fn external_read(
        &self,
        broker: u32,
        part: &ExternalFetchPartition,
        max_bytes: u64,
        min_one: bool,
    ) -> Read {
        let (_, r) = self.client_leader_replica(
            broker,
            &part.topic,
            part.partition,
            part.current_leader_epoch,
        )?;
        let hw = r.high_watermark;
        let start = r.log.log_start_offset();
        let offsets = FetchedOffsets {
            high_watermark: hw,
            log_start_offset: start,
        };
        let offset = u64::try_from(part.fetch_offset).map_err(|_| FetchError::OffsetOutOfRange)?;
        if offset < start || offset > r.log.log_end_offset() {
            return Err(FetchError::OffsetOutOfRange);
        }
        let records = r
            .log
            .fetch_slices(offset, hw, max_bytes, min_one, &self.store)
            .into_iter()
            .flatten()
            .map(|e| ReadRecord {
                offset: e.offset,
                epoch: e.epoch,
                size: self.store.get(e.id).size_bytes,
                id: e.id,
            })
            .collect();
        Ok((offsets, records))
    }

    /// The replica of `topic`/`partition` on `broker` if it leads it there, after the client's
    /// epoch is checked (`Partition.getLocalLog`: the epoch first, then leadership).
    pub(crate) fn client_leader_replica(
        &self,
        broker: u32,
        topic: &str,
        partition: i32,
        current_leader_epoch: i32,
    ) -> Result<(u32, &crate::broker::Replica), FetchError> {
        let slot = u32::try_from(partition)
            .ok()
            .and_then(|partition| {
                self.slot_of(&TopicPartition {
                    topic: topic.to_string(),
                    partition,
                })
            })
            .ok_or(FetchError::UnknownTopicOrPartition)?;
        let Some(r) = self.broker(broker).replicas.get(&slot) else {
            return Err(FetchError::NotLeaderOrFollower);
        };
        if let Ok(requested) = u32::try_from(current_leader_epoch) {
            if requested < r.leader_epoch {
                return Err(FetchError::FencedLeaderEpoch);
            }
            if requested > r.leader_epoch {
                return Err(FetchError::UnknownLeaderEpoch);
            }
        }
        if !r.is_leader(broker) {
            return Err(FetchError::NotLeaderOrFollower);
        }
        Ok((slot, r))
    }

    /// A record as a client reads it: a real client's bytes as it sent them, with its
    /// CreateTime; a simulated record's key and value as their UTF-8 text, no headers, stamped
    /// with the simulation's clock.
    fn fetched_record(&self, r: &ReadRecord) -> FetchedRecord {
        let (key, value, headers, time) = match self.store.payload(r.id) {
            Some(p) => (
                p.key.as_deref().map(<[u8]>::to_vec),
                p.value.as_deref().map(<[u8]>::to_vec),
                p.headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_deref().map(<[u8]>::to_vec)))
                    .collect(),
                RecordTime::CreateTimeMs(p.create_time_ms),
            ),
            None => (
                self.store.key_text(r.id).map(|k| k.as_bytes().to_vec()),
                self.value_text(r.id).map(String::into_bytes),
                Vec::new(),
                RecordTime::Simulated(self.store.get(r.id).timestamp_us),
            ),
        };
        FetchedRecord {
            offset: r.offset,
            leader_epoch: r.epoch,
            key,
            value,
            headers,
            time,
        }
    }

    /// Every record of `tp`'s leader log, from its log start offset to its log end, as a
    /// client reads them (`playground run --logs`, to compare a replayed session with the live
    /// room). `None`: no such partition, or no leader.
    pub fn leader_records(&self, tp: &TopicPartition) -> Option<Vec<FetchedRecord>> {
        let log = self.leader_log(tp)?;
        let records = (log.log_start_offset()..log.log_end_offset())
            .filter_map(|offset| log.entry_at(offset))
            .map(|e| {
                let size = self.store.get(e.id).size_bytes;
                self.fetched_record(&ReadRecord {
                    offset: e.offset,
                    epoch: e.epoch,
                    size,
                    id: e.id,
                })
            })
            .collect();
        Some(records)
    }

    /// A parked fetch's `max_wait_ms` passed: read again and answer whatever there is.
    pub(crate) fn external_fetch_expired(&mut self, client: u32, token: u64) {
        let parked = &mut self.external.parked_fetches;
        let Some(i) = parked
            .iter()
            .position(|p| p.client == client && p.token == token)
        else {
            return; // answered earlier, or the client went away
        };
        let request = parked.remove(i);
        if self.broker(request.broker).alive {
            self.external_fetch(request, false);
        }
    }

    /// The high watermark of `slot` moved on `leader`, or `leader` stopped leading it or its
    /// epoch changed: the fetches parked there for it are read again, and answered when they
    /// now have `min_bytes` or a partition fails (`DelayedFetch.tryComplete`).
    pub(crate) fn wake_external_fetches(&mut self, leader: u32, slot: u32) {
        if self.external.parked_fetches.is_empty() {
            return;
        }
        let tp = self.tp(slot).clone();
        let (woken, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.external.parked_fetches)
            .into_iter()
            .partition(|f| {
                f.broker == leader
                    && f.partitions.iter().any(|p| {
                        p.topic == tp.topic && i64::from(p.partition) == i64::from(tp.partition)
                    })
            });
        self.external.parked_fetches = kept;
        for request in woken {
            // Still waiting (not enough yet): parked again without a second timer, so the
            // first deadline stands.
            let reads = self.external_reads(&request);
            let bytes: u64 = reads.iter().map(read_bytes).sum();
            let failed = reads.iter().any(Result::is_err);
            if failed || bytes >= u64::try_from(request.min_bytes).unwrap_or(0) {
                self.external_fetch(request, false);
            } else {
                self.external.parked_fetches.push(request);
            }
        }
    }

    /// The real clients' Fetch requests answered since the last call, in the order they
    /// finished.
    pub fn drain_external_fetches(&mut self) -> Vec<ExternalFetchResponse> {
        std::mem::take(&mut self.external.fetched)
    }
}
