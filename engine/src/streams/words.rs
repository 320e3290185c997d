//! The words a stream thread's `split` makes, each kept once.
//!
//! A word count splits every line into words and sends each on to its repartition topic, where
//! the record store keeps one copy of every text (`RecordStore::intern`). Made anew for every
//! line, each word cost an allocation, a copy and a free, and a hash of its bytes when the
//! record store looked it up again. A thread's `Words` hands `split` the same `Arc<str>` for
//! the same word every time, and the record store recognises a text it already keeps by its
//! address (`RecordStore::intern_shared`).
//!
//! Only where a text lives changes, never what it says: values are compared and hashed by
//! content everywhere, so nothing the simulation does or shows depends on this table.

use std::cell::{RefCell, RefMut};
use std::collections::HashSet;
use std::sync::Arc;

use crate::fxhash::FxBuild;

/// A stream thread's words (Kafka has no such thing: its records are bytes, deserialized anew).
/// Behind a `RefCell` because expressions are evaluated through shared references (`Env`).
#[derive(Debug, Clone, Default)]
pub struct Words {
    /// Looked up only, never iterated.
    kept: RefCell<HashSet<Arc<str>, FxBuild>>,
}

impl Words {
    /// Distinct words kept at most: text whose words rarely repeat (ids, timestamps) gets its
    /// later words allocated each time, as without the table, instead of a table that only
    /// grows.
    const MAX_WORDS: usize = 10_000;

    /// `word` as a shared text: the kept copy, or a new one (kept while there is room).
    pub fn get(&self, word: &str) -> Arc<str> {
        self.kept().get(word)
    }

    /// The words borrowed for a run of lookups (a line's words), instead of once per word.
    pub fn kept(&self) -> Kept<'_> {
        Kept(self.kept.borrow_mut())
    }
}

/// [`Words`] borrowed, from [`Words::kept`].
pub struct Kept<'a>(RefMut<'a, HashSet<Arc<str>, FxBuild>>);

impl Kept<'_> {
    /// See [`Words::get`].
    pub fn get(&mut self, word: &str) -> Arc<str> {
        if let Some(text) = self.0.get(word) {
            return Arc::clone(text);
        }
        let text: Arc<str> = Arc::from(word);
        if self.0.len() < Words::MAX_WORDS {
            self.0.insert(Arc::clone(&text));
        }
        text
    }
}

impl Words {
    /// An estimate of the bytes the table holds (the room's measure, `memory.rs`): at most
    /// `MAX_WORDS` short texts, walked.
    pub fn heap_bytes(&self) -> usize {
        let kept = self.kept.borrow();
        kept.capacity() * (size_of::<Arc<str>>() + 1)
            + kept
                .iter()
                .map(|w| 2 * size_of::<usize>() + w.len())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_is_made_once() {
        let words = Words::default();
        let fox = words.get("fox");
        assert!(Arc::ptr_eq(&fox, &words.get("fox")));
        assert!(!Arc::ptr_eq(&fox, &words.get("dog")));
        assert_eq!(&*fox, "fox");
    }
}
