//! What a task holds, for the room's measure of its memory (`crate::memory`): its stores, its
//! window processors' and joins' stores, its suppression buffers and its provenance. A
//! checkpoint (a clone of the cluster) copies all of them, so every copy counts.

use super::StreamTask;

impl StreamTask {
    /// An estimate of the bytes this task holds beyond the topology it shares.
    pub fn heap_bytes(&self) -> usize {
        let stores: usize = self.stores.iter().map(|s| s.kv.heap_bytes()).sum();
        let windowed: usize = self.windowed.values().map(|w| w.heap_bytes()).sum();
        let suppressed: usize = self.suppressors.values().map(|s| s.heap_bytes()).sum();
        let joins: usize = self.stream_joins.values().map(|j| j.heap_bytes()).sum();
        size_of::<StreamTask>()
            + stores
            + windowed
            + suppressed
            + joins
            + self.flushed.capacity() * size_of::<crate::streams::cache::DirtyEntry>()
            + self.included.heap_bytes()
    }
}

impl StreamTask {
    /// The keys its store `name` holds (committed, not what the record cache holds yet);
    /// `None` if the task has no such store.
    pub fn store_len(&self, name: &str) -> Option<usize> {
        let &i = self.store_index.get(name)?;
        Some(self.stores[i].kv.len())
    }
}
