//! The benchmark's stand-in for the engine: a Produce handler that acknowledges every decoded
//! batch at once, numbering offsets per partition, and simulates nothing.
//!
//! `playground serve --kafka-ack-only` puts it behind the listeners so that `tests/bench-kafka`
//! can measure what the protocol layer alone costs (framing, decoding and decompressing batches,
//! turning them into the engine's records, encoding the answer) next to the same client
//! producing into the simulated cluster. Metadata still comes from the room, so clients find
//! the same brokers and leaders; records go nowhere.

use std::collections::HashMap;
use std::sync::Mutex;

use engine::client::external::{ExternalPartResult, ExternalProduce};

#[derive(Default)]
pub struct AckOnly {
    /// The next offset of each partition acknowledged so far.
    next: Mutex<HashMap<(String, i32), u64>>,
}

impl AckOnly {
    /// Every partition of `request` acknowledged, in the request's order, as the engine answers.
    pub fn acknowledge(&self, request: &ExternalProduce) -> Vec<ExternalPartResult> {
        let mut next = self.next.lock().expect("ack-only offsets lock");
        request
            .partitions
            .iter()
            .map(|p| {
                let offset = next.entry((p.topic.clone(), p.partition)).or_default();
                let base = *offset;
                *offset += p.records.len() as u64;
                ExternalPartResult {
                    topic: p.topic.clone(),
                    partition: p.partition,
                    result: Ok(Some(base)),
                    log_start_offset: Some(0),
                }
            })
            .collect()
    }
}
