//! Freeing records that nothing needs any more.
//!
//! Kafka frees a record when retention deletes the last segment holding it; here one payload in the
//! store serves every replica, so a record can go only when no replica log, no message on the
//! network, no producer buffer and no consumer buffer refers to its id. References flow only from
//! holder to holder (a follower copies ids from a fetch response, a consumer from a leader's log), so
//! a record nothing holds can never be referred to again.
//!
//! Bookkeeping is per chunk of the store (`RECORDS_PER_CHUNK` ids): every log counts its entries per
//! chunk (`ChunkRefs`, kept exact on append, truncation, retention and compaction); the holders in
//! flight are few and short-lived, so the sweep simply looks at them. The sweep runs after something
//! removed entries from a log (retention, compaction, truncation, a follower following the leader's
//! log start) and every `RECLAIM_EVERY_RECORDS` new records (records that failed and were never
//! appended). A clone (a checkpoint) that shares a freed chunk keeps it until the clone is dropped.

use crate::cluster::Cluster;
use crate::record::{RECORDS_PER_CHUNK, RecordId};

/// New records between two sweeps when nothing asked for one.
pub const RECLAIM_EVERY_RECORDS: u32 = 64 * RECORDS_PER_CHUNK;

/// How many of a log's entries point into each chunk of the record store: `(chunk, count)` sorted
/// by chunk, counts never zero. Appends mostly hit the last chunk, so that is looked at first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkRefs(Vec<(u32, u32)>);

impl ChunkRefs {
    #[inline]
    pub fn add(&mut self, id: RecordId) {
        let chunk = id.chunk();
        match self.0.last_mut() {
            Some((c, n)) if *c == chunk => *n += 1,
            Some((c, _)) if *c > chunk => match self.0.binary_search_by_key(&chunk, |(c, _)| *c) {
                Ok(i) => self.0[i].1 += 1,
                Err(i) => self.0.insert(i, (chunk, 1)),
            },
            _ => self.0.push((chunk, 1)),
        }
    }

    pub fn remove(&mut self, id: RecordId) {
        let chunk = id.chunk();
        let i = self
            .0
            .binary_search_by_key(&chunk, |(c, _)| *c)
            .unwrap_or_else(|_| panic!("record {} is not counted in this log", id.0));
        self.0[i].1 -= 1;
        if self.0[i].1 == 0 {
            self.0.remove(i);
        }
    }

    /// The chunks referred to, in order.
    pub fn chunks(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().map(|(c, _)| *c)
    }

    pub fn heap_bytes(&self) -> usize {
        self.0.capacity() * size_of::<(u32, u32)>()
    }
}

/// Which of the store's chunks `base..base + held.len()` something refers to.
struct Held {
    base: u32,
    held: Vec<bool>,
}

impl Held {
    fn chunk(&mut self, chunk: u32) {
        if let Some(h) = chunk
            .checked_sub(self.base)
            .and_then(|i| self.held.get_mut(i as usize))
        {
            *h = true;
        }
    }

    fn record(&mut self, id: RecordId) {
        self.chunk(id.chunk());
    }
}

impl Cluster {
    /// Asks for a sweep before the next timer fires (something removed entries from a log).
    pub(crate) fn request_reclaim(&mut self) {
        self.reclaim_requested = true;
    }

    /// Runs the sweep if one was asked for or enough records were created since the last one.
    pub(crate) fn maybe_reclaim(&mut self) {
        if self.reclaim_requested || self.store.len() as u64 >= self.next_reclaim_at {
            self.reclaim_records();
        }
    }

    /// Frees every chunk of the store (but the open one) that nothing refers to, with the groups'
    /// consumed bits for those records.
    pub(crate) fn reclaim_records(&mut self) {
        self.reclaim_requested = false;
        self.next_reclaim_at = self.store.len() as u64 + u64::from(RECLAIM_EVERY_RECORDS);
        let open = self.store.open_chunk();
        let Some(base) = self.store.live_chunks().next().filter(|&c| c < open) else {
            return;
        };
        let mut held = Held {
            base,
            held: vec![false; (open - base) as usize],
        };
        for b in &self.brokers {
            for r in b.replicas.values() {
                r.log.store_chunks().for_each(|c| held.chunk(c));
            }
        }
        for m in self.messages_in_flight() {
            m.for_each_record(&mut |id| held.record(id));
        }
        for p in &self.producers {
            let queued = p.queues.iter().flatten();
            let in_flight = p.in_flight.values().flat_map(|f| &f.batches);
            for batch in queued.chain(in_flight) {
                batch.records.iter().for_each(|&id| held.record(id));
            }
        }
        for c in &self.consumers {
            c.for_each_held_record(&mut |id| held.record(id));
        }
        let free: Vec<u32> = self
            .store
            .live_chunks()
            .take_while(|&c| c < open)
            .filter(|&c| !held.held[(c - base) as usize])
            .collect();
        for chunk in free {
            self.store.free_chunk(chunk);
            for g in &mut self.groups {
                g.forget_records(chunk);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_adds_and_removes_in_any_order() {
        let mut refs = ChunkRefs::default();
        let far = RecordId(5 * RECORDS_PER_CHUNK);
        refs.add(far);
        refs.add(RecordId(1));
        refs.add(RecordId(2));
        refs.add(RecordId(RECORDS_PER_CHUNK));
        assert_eq!(refs.chunks().collect::<Vec<_>>(), vec![0, 1, 5]);
        refs.remove(RecordId(1));
        refs.remove(far);
        assert_eq!(refs.chunks().collect::<Vec<_>>(), vec![0, 1]);
        refs.remove(RecordId(2));
        assert_eq!(refs.chunks().collect::<Vec<_>>(), vec![1]);
    }
}
