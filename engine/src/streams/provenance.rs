//! The simulation's provenance of a task's state (god's view, not a Kafka feature): how far
//! into its inputs each store entry already includes every record, so that the engine counts
//! exactly the re-processing that counted twice under `at_least_once`.
//!
//! A task processes each source partition in offset order. At every moment the value of a
//! store entry for key `K` is the fold of *every* record of `K` up to some offset `h_K` of each
//! source (some of them folded more than once), and of none after it: a running task's entries
//! include everything it processed (`h_K` = its position: the offset of the last record
//! processed, whether the update still sits in the record cache or was flushed); a changelog
//! record carries the `h_K` of the value it logs (its writer's position, or more if the writer
//! had restored a value that included more); a restore takes `h_K` from the last changelog
//! record of `K` it replays, a state directory or standby store from the task that kept it.
//! A changelog record written before its task's last commit carries none: everything it
//! includes is below the committed offsets, which no re-processing reaches again.
//!
//! A new owner resumes at the committed offset. A record of `K` at offset `o <= h_K` is then
//! folded into a value that already includes it: its update is applied twice (one count of
//! `reapplied`). A record past `h_K` was lost with the old owner's cache or unsent producer
//! batch and is applied once, so it adds nothing above the direct count. That is exact: the
//! re-processing's excess in a store is the number of updates with `o <= h_K`, one per store
//! entry an update touches (a hopping window's record updates several).
//!
//! Nothing here is looked up while no restored entry includes records past the task's
//! position: `update` is one branch per store write in the common case.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::value::Val;

/// Per source of a task (its index in the task's sources): the offset up to which, inclusive, a
/// value includes every record of that source partition (`None`: none of it).
pub type Position = Arc<[Option<u64>]>;

/// Elementwise the later of two positions.
fn later(a: &[Option<u64>], b: &[Option<u64>]) -> Position {
    (0..a.len().max(b.len()))
        .map(|i| {
            let x = a.get(i).copied().flatten();
            let y = b.get(i).copied().flatten();
            x.max(y)
        })
        .collect()
}

/// One task's provenance: where it is in its inputs, and which restored entries include more.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Included {
    /// Per source: the offset of the last record processed.
    positions: Vec<Option<u64>>,
    /// `positions` as a shared value, made when a changelog record first needs it.
    snapshot: Option<Position>,
    /// Per store (the task's store index): restored entries whose value includes records past
    /// `positions` (as far as the position given).
    keys: Vec<BTreeMap<Val, Position>>,
    /// Per source: the furthest offset any entry of `keys` includes.
    furthest: Vec<Option<u64>>,
    /// Whether `keys` holds anything.
    live: bool,
    /// Store updates applied to a value that already included their record.
    reapplied: u64,
}

impl Included {
    pub fn new(sources: usize, stores: usize) -> Self {
        Included {
            positions: vec![None; sources],
            keys: vec![BTreeMap::new(); stores],
            furthest: vec![None; sources],
            ..Included::default()
        }
    }

    /// The task processes the record at `offset` of source `s`. Once past every restored
    /// entry's position on every source, no later record can be applied twice: `keys` is
    /// dropped.
    pub fn advance(&mut self, s: usize, offset: u64) {
        self.positions[s] = Some(offset);
        self.snapshot = None;
        if self.live
            && self
                .furthest
                .iter()
                .zip(&self.positions)
                .all(|(f, p)| f.is_none_or(|f| p.is_some_and(|p| p > f)))
        {
            self.keys.iter_mut().for_each(BTreeMap::clear);
            self.furthest.iter_mut().for_each(|f| *f = None);
            self.live = false;
        }
    }

    /// A store update of `key` by the record at `offset` of source `s`: counted when the value
    /// it folds into already included that record.
    ///
    /// Inlined: every store write asks, and only a task that restored entries past its
    /// position has anything to look up.
    #[inline]
    pub fn update(&mut self, store: usize, key: &Val, s: usize, offset: u64) {
        if self.live {
            self.update_restored(store, key, s, offset);
        }
    }

    #[cold]
    #[inline(never)]
    fn update_restored(&mut self, store: usize, key: &Val, s: usize, offset: u64) {
        if let Some(p) = self.keys[store].get(key)
            && p.get(s).copied().flatten().is_some_and(|h| offset <= h)
        {
            self.reapplied += 1;
        }
    }

    /// The position of the value of `key` as it is logged now.
    pub fn written_at(&mut self, store: usize, key: &Val) -> Position {
        let now = match &self.snapshot {
            Some(p) => Arc::clone(p),
            None => {
                let p: Position = self.positions.iter().copied().collect();
                self.snapshot = Some(Arc::clone(&p));
                p
            }
        };
        match self.live.then(|| self.keys[store].get(key)).flatten() {
            Some(restored) => later(&now, restored),
            None => now,
        }
    }

    /// A restored value of `key` (store form), logged at `written_at` (`None`: before its
    /// writer's last commit, so it includes nothing a re-processing reaches).
    pub fn restored(&mut self, store: usize, key: &Val, written_at: Option<Position>) {
        match written_at {
            Some(p) => {
                for (f, h) in self.furthest.iter_mut().zip(p.iter()) {
                    *f = (*f).max(*h);
                }
                self.keys[store].insert(key.clone(), p);
                self.live = true;
            }
            None if self.live => {
                self.keys[store].remove(key);
            }
            None => {}
        }
    }

    /// The position of a kept store's entry (a state directory's or a standby's): everything
    /// the task processed, or more for an entry it had restored.
    pub fn kept(&self, store: usize, key: &Val) -> Option<Position> {
        let restored = self.keys.get(store).and_then(|k| k.get(key));
        match restored {
            Some(r) => Some(later(&self.positions, r)),
            None if self.positions.iter().any(Option::is_some) => {
                Some(self.positions.iter().copied().collect())
            }
            None => None,
        }
    }

    /// The updates applied twice since the last call.
    pub fn take_reapplied(&mut self) -> u64 {
        std::mem::take(&mut self.reapplied)
    }
}

impl Included {
    /// An estimate of the bytes it holds (the room's measure, `memory.rs`): the restored keys
    /// it remembers share their text with the store's.
    pub fn heap_bytes(&self) -> usize {
        const ENTRY: usize = size_of::<(Val, Position)>() + crate::memory::MAP_ENTRY_OVERHEAD;
        let keys: usize = self.keys.iter().map(BTreeMap::len).sum();
        (self.positions.len() + self.furthest.len()) * size_of::<Option<u64>>()
            + self.keys.len() * size_of::<BTreeMap<Val, Position>>()
            + keys * ENTRY
    }
}
