//! The stores as a task sees them.
//!
//! Stores are wrapped as Kafka wraps them (`MeteredKeyValueStore` → `CachingKeyValueStore` →
//! `ChangeLoggingKeyValueBytesStore` → the store): a processor's write goes to the thread's
//! record cache; only a flush (on commit, or when an eviction finds a dirty entry) writes the
//! store, appends to the changelog and forwards the update downstream, through
//! `TimestampedCacheFlushListener`. A cache of 0 bytes therefore forwards every update.
//!
//! `StoreState` is one store of the task; `get`, `put` and `apply_flushed` are
//! `CachingKeyValueStore`'s read, write and flush.

use std::sync::Arc;

use crate::streams::cache::{CacheId, DirtyEntry};
use crate::streams::store::KeyValueStore;
use crate::streams::topology::NodeId;
use crate::streams::value::Val;
use crate::streams::windowed::split_cache_key as split_windowed_cache_key;
use crate::time::Micros;

use super::{Effect, Pass, Rec, StreamTask};

/// One of the task's stores: its committed contents, its changelog topic and its named cache.
#[derive(Debug, Clone)]
pub(super) struct StoreState {
    pub(super) name: Arc<str>,
    pub(super) kv: KeyValueStore,
    pub(super) changelog: Option<Arc<str>>,
    pub(super) cache: CacheId,
    /// A window store: cache keys are `[key, start, end]`.
    pub(super) windowed: bool,
    /// The processor writing the store: a flushed entry is forwarded to its successors.
    pub(super) owner: NodeId,
    pub(super) send_old_values: bool,
}

impl StreamTask {
    /// A read through the cache (`CachingKeyValueStore.get`): a miss reads the store and
    /// caches the value clean (whose eviction may flush dirty entries).
    pub(super) fn get(
        &mut self,
        p: &mut Pass<'_>,
        store: usize,
        key: &Val,
    ) -> Option<(Val, Micros)> {
        let s = &self.stores[store];
        if let Some((v, t)) = p.cache.get(s.cache, key) {
            return (!v.is_null()).then_some((v, t));
        }
        let (v, t) = s.kv.get(key)?.clone();
        let cache = s.cache;
        p.cache.put(
            cache,
            key,
            v.clone(),
            t,
            false,
            p.ctx.topic.len(),
            &mut self.flushed,
        );
        self.apply_evicted(p, store);
        Some((v, t))
    }

    /// A processor's write: into the cache, whose evictions may flush.
    pub(super) fn put(
        &mut self,
        p: &mut Pass<'_>,
        store: usize,
        key: Val,
        value: Val,
        timestamp: Micros,
    ) {
        let cache = self.stores[store].cache;
        p.cache.put(
            cache,
            &key,
            value,
            timestamp,
            true,
            p.ctx.topic.len(),
            &mut self.flushed,
        );
        self.apply_evicted(p, store);
    }

    /// Applies what a cache write's evictions flushed into `self.flushed`: most writes evict
    /// nothing, and then there is nothing to take out of the task and put back.
    fn apply_evicted(&mut self, p: &mut Pass<'_>, store: usize) {
        if self.flushed.is_empty() {
            return;
        }
        let mut flushed = std::mem::take(&mut self.flushed);
        self.apply_flushed(p, store, &mut flushed);
        self.flushed = flushed;
    }

    /// `CachingKeyValueStore.putAndMaybeForward`: for each flushed entry, read the old value
    /// from the store, write the store (and the changelog), forward `Change{new, old}`.
    pub(super) fn apply_flushed(
        &mut self,
        p: &mut Pass<'_>,
        store: usize,
        flushed: &mut Vec<DirtyEntry>,
    ) {
        if flushed.is_empty() {
            return;
        }
        let entries: Vec<DirtyEntry> = std::mem::take(flushed);
        for e in entries {
            let s = &mut self.stores[store];
            let old = s.kv.get(&e.key).map(|(v, _)| v.clone());
            // Nothing in the store and a delete: nothing to write or forward.
            if e.value.is_null() && old.is_none() {
                continue;
            }
            let (key, window) = if s.windowed {
                split_windowed_cache_key(&e.key)
            } else {
                (e.key.clone(), None)
            };
            if let Some(topic) = &s.changelog {
                p.out.push(Effect::Changelog {
                    store: Arc::clone(&s.name),
                    topic: Arc::clone(topic),
                    partition: self.id.partition,
                    key: key.clone(),
                    value: e.value.clone(),
                    timestamp: e.timestamp,
                    window,
                    written_at: self.included.written_at(store, &e.key),
                });
            }
            s.kv.put(e.key.clone(), e.value.clone(), e.timestamp);
            let old = if s.send_old_values {
                old.unwrap_or(Val::Null)
            } else {
                Val::Null
            };
            let owner = s.owner;
            let rec = Rec {
                key,
                value: e.value,
                old: Some(old),
                timestamp: e.timestamp,
                window,
            };
            self.forward(p, owner, rec);
        }
    }
}
