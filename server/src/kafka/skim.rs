//! Reading a request body's structure without keeping anything, before the `kafka-protocol`
//! crate decodes it: the crate reserves a collection's announced length before reading its
//! elements, so a forged count could make it reserve gigabytes. Kafka's generated readers
//! refuse such a collection ("Tried to allocate a collection of size N, but there are only M
//! bytes remaining"); a body that skims to its end here has only collections whose elements
//! are all present, so the crate reserves no more than the bytes hold.
//!
//! Used for Fetch, ListOffsets and InitProducerId (`request.rs`); each reads its own fields in
//! order.

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
        let len = if self.flexible {
            self.uvarint()? as i64 - 1
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
