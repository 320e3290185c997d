//! Reading a request body's structure without keeping anything, before the `kafka-protocol`
//! crate decodes it: the crate reserves a collection's announced length before reading its
//! elements, so a forged count could make it reserve gigabytes. Kafka's generated readers
//! refuse such a collection ("Tried to allocate a collection of size N, but there are only M
//! bytes remaining"); a body that skims to its end here has only collections whose elements
//! are all present, so the crate reserves no more than the bytes hold.
//!
//! Used for Metadata, Produce, Fetch, ListOffsets and InitProducerId (`request.rs`), the admin
//! APIs (their own modules) and the group APIs (`group_check.rs`, from a layout per version);
//! each reads its own fields in order.

use bytes::{Buf, Bytes};

/// A cursor over a body; every method returns `None` when the bytes run out or a length lies.
pub struct Skim {
    buf: Bytes,
    /// Flexible versions (KIP-482): compact lengths and tagged fields.
    flexible: bool,
}

impl Skim {
    pub fn new(body: &Bytes, flexible: bool) -> Skim {
        Skim {
            buf: body.clone(),
            flexible,
        }
    }

    fn uvarint(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for shift in (0..35).step_by(7) {
            if !self.buf.has_remaining() {
                return None;
            }
            let byte = self.buf.get_u8();
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    /// Skips `n` fixed bytes (an int, a long).
    pub fn fixed(&mut self, n: usize) -> Option<()> {
        if n > self.buf.remaining() {
            return None;
        }
        self.buf.advance(n);
        Some(())
    }

    /// A string (i16 or compact length; null reads nothing).
    pub fn string(&mut self) -> Option<()> {
        self.sized(false)
    }

    /// Bytes, such as a partition's record batches (i32 or compact length; null reads nothing).
    pub fn bytes(&mut self) -> Option<()> {
        self.sized(true)
    }

    /// A length-prefixed field: `wide`, an i32 length (bytes), else i16 (strings); compact in
    /// flexible versions.
    fn sized(&mut self, wide: bool) -> Option<()> {
        let len = if self.flexible {
            self.uvarint()? as i64 - 1
        } else if wide {
            if self.buf.remaining() < 4 {
                return None;
            }
            i64::from(self.buf.get_i32())
        } else {
            if self.buf.remaining() < 2 {
                return None;
            }
            i64::from(self.buf.get_i16())
        };
        if len > 0 {
            self.fixed(usize::try_from(len).ok()?)?;
        }
        Some(())
    }

    /// An array's length (i32 or compact; null is 0), at most the bytes left.
    pub fn count(&mut self) -> Option<usize> {
        let n = if self.flexible {
            self.uvarint()? as i64 - 1
        } else {
            if self.buf.remaining() < 4 {
                return None;
            }
            i64::from(self.buf.get_i32())
        };
        if n > self.buf.remaining() as i64 {
            return None;
        }
        Some(n.max(0) as usize)
    }

    /// A structure's tagged fields (flexible versions only).
    pub fn tagged(&mut self) -> Option<()> {
        if !self.flexible {
            return Some(());
        }
        let n = self.uvarint()?;
        if n > self.buf.remaining() as u64 {
            return None;
        }
        for _ in 0..n {
            self.uvarint()?;
            let size = self.uvarint()?;
            self.fixed(usize::try_from(size).ok()?)?;
        }
        Some(())
    }
}

/// MetadataRequest v0–v12: its topics are its one collection, so only their count is checked
/// (`MetadataRequest.json`; null, -1, is every topic).
pub fn metadata(body: &Bytes, version: i16) -> Option<()> {
    Skim::new(body, version >= 9).count().map(|_| ())
}

/// ProduceRequest v3–v11 (`ProduceRequest.json`): topics, partitions and tagged fields. The
/// record batches are bytes here; `produce.rs` checks their insides.
pub fn produce(body: &Bytes, version: i16) -> Option<()> {
    let mut s = Skim::new(body, version >= 9);
    s.string()?; // transactional_id
    s.fixed(2 + 4)?; // acks, timeout_ms
    for _ in 0..s.count()? {
        s.string()?; // name
        for _ in 0..s.count()? {
            s.fixed(4)?; // index
            s.bytes()?; // records
            s.tagged()?;
        }
        s.tagged()?;
    }
    s.tagged()
}

/// FetchRequest v4–v12, field by field (`FetchRequest.json`).
pub fn fetch(body: &Bytes, version: i16) -> Option<()> {
    let mut s = Skim::new(body, version >= 12);
    // replica_id, max_wait_ms, min_bytes, max_bytes, isolation_level
    s.fixed(4 + 4 + 4 + 4 + 1)?;
    if version >= 7 {
        s.fixed(4 + 4)?; // session_id, session_epoch
    }
    for _ in 0..s.count()? {
        s.string()?; // topic
        for _ in 0..s.count()? {
            s.fixed(4)?; // partition
            if version >= 9 {
                s.fixed(4)?; // current_leader_epoch
            }
            s.fixed(8)?; // fetch_offset
            if version >= 12 {
                s.fixed(4)?; // last_fetched_epoch
            }
            if version >= 5 {
                s.fixed(8)?; // log_start_offset
            }
            s.fixed(4)?; // partition_max_bytes
            s.tagged()?;
        }
        s.tagged()?;
    }
    if version >= 7 {
        for _ in 0..s.count()? {
            s.string()?; // topic
            let n = s.count()?;
            s.fixed(n.checked_mul(4)?)?; // partitions
            s.tagged()?;
        }
    }
    if version >= 11 {
        s.string()?; // rack_id
    }
    s.tagged()
}

/// ListOffsetsRequest v1–v7 (`ListOffsetsRequest.json`).
pub fn list_offsets(body: &Bytes, version: i16) -> Option<()> {
    let mut s = Skim::new(body, version >= 6);
    s.fixed(4)?; // replica_id
    if version >= 2 {
        s.fixed(1)?; // isolation_level
    }
    for _ in 0..s.count()? {
        s.string()?; // name
        for _ in 0..s.count()? {
            s.fixed(4)?; // partition_index
            if version >= 4 {
                s.fixed(4)?; // current_leader_epoch
            }
            s.fixed(8)?; // timestamp
            s.tagged()?;
        }
        s.tagged()?;
    }
    s.tagged()
}

/// InitProducerIdRequest v0–v5 (`InitProducerIdRequest.json`): no collections, but a string
/// and tagged fields whose lengths must hold.
pub fn init_producer_id(body: &Bytes, version: i16) -> Option<()> {
    let mut s = Skim::new(body, version >= 2);
    s.string()?; // transactional_id
    s.fixed(4)?; // transaction_timeout_ms
    if version >= 3 {
        s.fixed(8 + 2)?; // producer_id, producer_epoch
    }
    s.tagged()
}

#[cfg(test)]
mod tests {
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafka_protocol::messages::{ProduceRequest, TopicName};
    use kafka_protocol::protocol::{Encodable, StrBytes};

    fn produce_body(version: i16) -> Bytes {
        let request = ProduceRequest::default()
            .with_acks(-1)
            .with_timeout_ms(30_000)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_static_str("orders")))
                    .with_partition_data(vec![
                        PartitionProduceData::default()
                            .with_index(0)
                            .with_records(Some(Bytes::from_static(b"not parsed here"))),
                        PartitionProduceData::default().with_index(1),
                    ]),
            ]);
        let mut out = BytesMut::new();
        request.encode(&mut out, version).expect("encodes");
        out.freeze()
    }

    /// Every Produce version the listener enables skims to its end, and no shorter prefix of
    /// it does: what the crate then decodes is all there.
    #[test]
    fn a_produce_body_skims_whole_and_every_cut_is_refused() {
        for version in 3..=11 {
            let body = produce_body(version);
            assert_eq!(super::produce(&body, version), Some(()), "v{version}");
            for cut in 0..body.len() {
                assert_eq!(
                    super::produce(&body.slice(..cut), version),
                    None,
                    "v{version} cut at {cut} of {}",
                    body.len()
                );
            }
        }
    }

    /// A partition count larger than the bytes left is refused before the crate would reserve
    /// room for it (Kafka: "Tried to allocate a collection of size N, but there are only M
    /// bytes remaining").
    #[test]
    fn a_forged_partition_count_is_refused() {
        // v3: transactional id null, acks, timeout, one topic "t", then 2^31 - 1 partitions.
        let mut b = vec![
            0xff, 0xff, 0xff, 0xff, 0, 0, 0x75, 0x30, 0, 0, 0, 1, 0, 1, b't',
        ];
        b.extend_from_slice(&i32::MAX.to_be_bytes());
        assert_eq!(super::produce(&Bytes::from(b), 3), None);
        // v9 (flexible): the same with a compact count of 2^20 partitions in three bytes.
        let b = vec![
            0, 0xff, 0xff, 0, 0, 0x75, 0x30, 2, 2, b't', 0x80, 0x80, 0x40,
        ];
        assert_eq!(super::produce(&Bytes::from(b), 9), None);
    }
}
