//! The simulated network: messages between brokers, clients and the controller, each delivered
//! after the link latency, unless the destination is down (the sender sees a broken connection) or
//! the link is cut by a network partition (the message vanishes and the sender times out).

use std::collections::BTreeSet;

use crate::command::Acks;
use crate::event::ErrorCode;
use crate::record::RecordId;

/// A batch of records for one partition inside a Produce request.
#[derive(Debug, Clone)]
pub struct ProduceBatch {
    pub slot: u32,
    pub records: Vec<RecordId>,
}

/// One partition in a follower's Fetch request.
#[derive(Debug, Clone, Copy)]
pub struct FetchPart {
    pub slot: u32,
    pub fetch_offset: u64,
    /// The epoch of the follower's last record (KIP-320's lastFetchedEpoch).
    pub last_fetched_epoch: Option<u32>,
}

/// The leader's answer for one partition.
#[derive(Debug, Clone)]
pub enum FetchPartResult {
    /// Records from the fetch offset (possibly none), with the leader's high watermark and log start.
    Records { entries: Vec<crate::log::Entry>, high_watermark: u64, log_start_offset: u64 },
    /// The follower's log diverges: truncate to the end of `epoch` (KIP-320 divergingEpoch).
    Diverging { epoch: u32, end_offset: u64 },
    /// The fetch offset is below the leader's log start.
    OffsetOutOfRange { log_start_offset: u64 },
    NotLeader,
}

#[derive(Debug, Clone)]
pub enum Message {
    Produce { producer: u32, broker: u32, request: u64, acks: Acks, batches: Vec<ProduceBatch> },
    /// One result per batch, in request order: the base offset (unknown for a duplicate) or an error.
    ProduceResponse { producer: u32, broker: u32, request: u64, results: Vec<Result<Option<u64>, ErrorCode>> },
    Fetch { follower: u32, leader: u32, request: u64, parts: Vec<FetchPart> },
    FetchResponse { follower: u32, leader: u32, request: u64, parts: Vec<(u32, FetchPartResult)> },
    /// A broker's connection to `to` broke: tells the sender its request failed.
    FetchFailed { follower: u32, leader: u32, request: u64 },
    /// KRaft AlterPartition: a leader asks the controller to change the ISR.
    AlterPartition { leader: u32, slot: u32, leader_epoch: u32, partition_epoch: u32, isr: Vec<u32> },
    /// The controller's metadata for one partition reaching a broker.
    Metadata { broker: u32, slot: u32 },
    /// A producer's metadata request completing.
    MetadataResponse { producer: u32 },
}

/// Which broker links are cut.
#[derive(Debug, Clone, Default)]
pub struct Network {
    cut: BTreeSet<(u32, u32)>,
    pub sides: Option<(Vec<u32>, Vec<u32>)>,
}

impl Network {
    pub fn partition(&mut self, a: &[u32], b: &[u32]) {
        for &x in a {
            for &y in b {
                self.cut.insert((x.min(y), x.max(y)));
            }
        }
        self.sides = Some((a.to_vec(), b.to_vec()));
    }

    pub fn heal(&mut self) {
        self.cut.clear();
        self.sides = None;
    }

    /// Whether two brokers can talk. Clients and the controller reach every broker.
    pub fn connected(&self, a: u32, b: u32) -> bool {
        !self.cut.contains(&(a.min(b), a.max(b)))
    }
}
