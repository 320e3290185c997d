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

use std::cell::{Cell, RefCell, RefMut};
use std::collections::HashSet;
use std::sync::Arc;

use crate::fxhash::FxBuild;

/// A stream thread's words (Kafka has no such thing: its records are bytes, deserialized anew).
/// Behind a `RefCell` because expressions are evaluated through shared references (`Env`).
#[derive(Debug, Clone, Default)]
pub struct Words {
    /// Looked up only, never iterated.
    kept: RefCell<HashSet<Arc<str>, FxBuild>>,
    /// The bytes of the kept words' texts (with their `Arc` headers), kept as words are added
    /// (see `heap_bytes`).
    text_bytes: Cell<usize>,
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
        Kept {
            set: self.kept.borrow_mut(),
            text_bytes: &self.text_bytes,
        }
    }
}

/// [`Words`] borrowed, from [`Words::kept`].
pub struct Kept<'a> {
    set: RefMut<'a, HashSet<Arc<str>, FxBuild>>,
    text_bytes: &'a Cell<usize>,
}

impl Kept<'_> {
    /// See [`Words::get`].
    pub fn get(&mut self, word: &str) -> Arc<str> {
        if let Some(text) = self.set.get(word) {
            return Arc::clone(text);
        }
        let text: Arc<str> = Arc::from(word);
        if self.set.len() < Words::MAX_WORDS {
            self.set.insert(Arc::clone(&text));
            let bytes = self.text_bytes.get() + 2 * size_of::<usize>() + text.len();
            self.text_bytes.set(bytes);
        }
        text
    }
}

impl Words {
    /// An estimate of the bytes the table holds (the room's measure, `memory.rs`): its hash
    /// table and at most `MAX_WORDS` short texts.
    pub fn heap_bytes(&self) -> usize {
        self.kept.borrow().capacity() * (size_of::<Arc<str>>() + 1) + self.text_bytes.get()
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

    /// The running text figure is what walking the kept words gives.
    #[test]
    fn the_text_figure_follows_the_kept_words() {
        let words = Words::default();
        for w in ["fox", "dog", "fox", "lazy"] {
            words.get(w);
        }
        let walked: usize = words
            .kept
            .borrow()
            .iter()
            .map(|w| 2 * size_of::<usize>() + w.len())
            .sum();
        assert_eq!(words.text_bytes.get(), walked);
    }
}
