//! What a Streams application holds, for the room's measure of its memory (`crate::memory`).
//!
//! Its tasks' stores grow with the keys they see, and a room's checkpoint (a clone of the
//! cluster) copies every store, cache and buffer: unlike the record store's chunks, none of it
//! is shared between clones, so each copy is counted as the clone's own.

use crate::memory::MAP_ENTRY_OVERHEAD;
use crate::streams::task::Effect;

use super::{Checkpointed, Instance, StreamThread, StreamsApp};

impl StreamsApp {
    /// An estimate of the bytes this application holds beyond its shared topology.
    pub(crate) fn heap_bytes(&self) -> usize {
        let instances: usize = self.instances.iter().map(instance_bytes).sum();
        size_of::<StreamsApp>()
            + self.description.capacity()
            + self.processed_upto.len()
                * (size_of::<(crate::command::TopicPartition, u64)>() + MAP_ENTRY_OVERHEAD)
            + self.provenance.heap_bytes()
            + instances
    }
}

fn instance_bytes(i: &Instance) -> usize {
    let threads: usize = i.threads.iter().map(thread_bytes).sum();
    let state_dir: usize = i.state_dir.values().map(checkpointed_bytes).sum();
    size_of::<Instance>() + threads + state_dir
}

/// A task's stores kept in the state directory after a clean close.
fn checkpointed_bytes(c: &Checkpointed) -> usize {
    let stores: usize = c.stores.values().map(|s| s.heap_bytes()).sum();
    MAP_ENTRY_OVERHEAD + size_of::<Checkpointed>() + stores + c.included.heap_bytes()
}

fn thread_bytes(t: &StreamThread) -> usize {
    let active: usize = t.tasks.values().map(|a| a.task.heap_bytes()).sum();
    let standby: usize = t.standbys.values().map(|s| s.task.heap_bytes()).sum();
    size_of::<StreamThread>()
        + t.cache.heap_bytes()
        + t.words.heap_bytes()
        + active
        + standby
        + t.effects.capacity() * size_of::<Effect>()
}
