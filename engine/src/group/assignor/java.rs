//! The few pieces of the JDK whose behaviour leaks into Kafka's assignments.
//!
//! Kafka's assignors are written against `java.util.HashMap`/`HashSet`, and in a handful of places
//! the *iteration order* of those collections decides which member keeps or receives a partition
//! (see the notes in `sticky.rs` and `range.rs`). Rather than replacing that order with an
//! arbitrary one, we reproduce it: [`JavaHashMap`] iterates exactly like a `java.util.HashMap`
//! built by the same sequence of `put`/`remove` calls, given the `hashCode()` of its keys, which
//! [`JavaHashCode`] reproduces for `String` and Kafka's `TopicPartition`.
//!
//! Java's HashMap (unchanged since JDK 8): a power-of-two table (16 buckets on the first `put`,
//! doubled whenever `size > 0.75 * capacity`, never shrunk), bucket index
//! `(h ^ (h >>> 16)) & (capacity - 1)`, each bucket a list in insertion order (a resize splits a
//! bucket into two while preserving relative order). Iteration walks the buckets in index order.
//! Hence the iteration order is "bucket index at the current capacity, then insertion order".
//!
//! Deliberately not emulated: tree bins. Java converts a bucket into a red-black tree once it holds
//! 8 entries *and* the table has at least 64 buckets, which changes that bucket's iteration order.
//! That needs 8 keys colliding in one bucket of a table of at least 64 (so a map of at least 49
//! entries); it is irrelevant at simulation scale and we ignore it.
//!
//! Also here: `String.compareTo` (UTF-16 code-unit order, which differs from Rust's UTF-8 byte
//! order only for characters above U+FFFF vs U+E000..U+FFFF) and the `TopicPartition` orders
//! Kafka sorts with.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::command::TopicPartition;

/// `a.compareTo(b)` for Java Strings: lexicographic over UTF-16 code units.
pub(crate) fn java_str_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Kafka's `Comparator.comparing(TopicPartition::topic).thenComparing(TopicPartition::partition)`
/// (also `Utils.TopicPartitionComparator`).
pub(crate) fn tp_cmp_topic_then_partition(a: &TopicPartition, b: &TopicPartition) -> Ordering {
    java_str_cmp(&a.topic, &b.topic).then(a.partition.cmp(&b.partition))
}

/// Kafka's `Comparator.comparing(TopicPartition::partition).thenComparing(TopicPartition::topic)`.
pub(crate) fn tp_cmp_partition_then_topic(a: &TopicPartition, b: &TopicPartition) -> Ordering {
    a.partition
        .cmp(&b.partition)
        .then_with(|| java_str_cmp(&a.topic, &b.topic))
}

/// A String that orders like a Java `String` (`compareTo`), for use as a sorted-collection key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JavaString(pub String);

impl Ord for JavaString {
    fn cmp(&self, other: &Self) -> Ordering {
        java_str_cmp(&self.0, &other.0)
    }
}

impl PartialOrd for JavaString {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `hashCode()` as the Java class computes it.
pub(crate) trait JavaHashCode {
    fn java_hash_code(&self) -> i32;
}

/// `String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping.
pub(crate) fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

impl JavaHashCode for String {
    fn java_hash_code(&self) -> i32 {
        java_string_hash(self)
    }
}

/// `org.apache.kafka.common.TopicPartition.hashCode()`:
/// `31 * (31 + partition) + topic.hashCode()`.
impl JavaHashCode for TopicPartition {
    fn java_hash_code(&self) -> i32 {
        // Kafka partitions are Java ints; ours are u32 and never exceed i32::MAX in practice.
        let partition = self.partition as i32;
        31i32
            .wrapping_add(partition)
            .wrapping_mul(31)
            .wrapping_add(java_string_hash(&self.topic))
    }
}

const DEFAULT_INITIAL_CAPACITY: usize = 16;

/// `HashMap.hash(key)` followed by the bucket index computation of `HashMap.getNode/putVal`.
fn bucket_index(hash: i32, table_len: usize) -> usize {
    let h = hash as u32;
    ((h ^ (h >> 16)) as usize) & (table_len - 1)
}

/// A map whose iteration order is that of a `java.util.HashMap` created with `new HashMap<>()`
/// and subjected to the same `put`/`remove` sequence. Lookups go through a `BTreeMap`, so no Rust
/// hash order can leak either.
#[derive(Debug, Clone)]
pub(crate) struct JavaHashMap<K, V> {
    /// key -> (insertion sequence number, value)
    entries: BTreeMap<K, (u64, V)>,
    next_seq: u64,
    /// Current table length; 0 until the first insertion (Java allocates lazily).
    table_len: usize,
}

impl<K: Ord + Clone + JavaHashCode, V> Default for JavaHashMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Ord + Clone + JavaHashCode, V> JavaHashMap<K, V> {
    /// `new HashMap<>()`.
    pub(crate) fn new() -> Self {
        JavaHashMap {
            entries: BTreeMap::new(),
            next_seq: 0,
            table_len: 0,
        }
    }

    /// `put`: replacing the value of an existing key keeps its position; a new key is appended to
    /// its bucket and may trigger a resize (doubling) once `size > 0.75 * capacity`.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(slot) = self.entries.get_mut(&key) {
            return Some(std::mem::replace(&mut slot.1, value));
        }
        if self.table_len == 0 {
            self.table_len = DEFAULT_INITIAL_CAPACITY;
        }
        self.entries.insert(key, (self.next_seq, value));
        self.next_seq += 1;
        if self.entries.len() > self.table_len / 4 * 3 {
            self.table_len *= 2;
        }
        None
    }

    /// `remove`: the table never shrinks; other entries keep their relative order.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        self.entries.remove(key).map(|(_, v)| v)
    }

    #[cfg(test)]
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|(_, v)| v)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in Java iteration order.
    pub(crate) fn iter_java_order(&self) -> Vec<(&K, &V)> {
        let mut all: Vec<(usize, u64, &K, &V)> = self
            .entries
            .iter()
            .map(|(k, (seq, v))| (bucket_index(k.java_hash_code(), self.table_len), *seq, k, v))
            .collect();
        all.sort_by_key(|&(bucket, seq, _, _)| (bucket, seq));
        all.into_iter().map(|(_, _, k, v)| (k, v)).collect()
    }

    /// Keys in Java iteration order.
    pub(crate) fn keys_java_order(&self) -> Vec<&K> {
        self.iter_java_order().into_iter().map(|(k, _)| k).collect()
    }

    /// `iterator().next()`: the first key in Java iteration order.
    pub(crate) fn first_java_order(&self) -> Option<&K> {
        self.entries
            .iter()
            .min_by_key(|(k, (seq, _))| (bucket_index(k.java_hash_code(), self.table_len), *seq))
            .map(|(k, _)| k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition {
            topic: topic.to_string(),
            partition,
        }
    }

    #[test]
    fn string_hash_codes_match_java() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("ab"), 3105);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        // Overflowing: "polygenelubricants".hashCode() == Integer.MIN_VALUE.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        // Non-BMP characters hash as two UTF-16 surrogates.
        assert_eq!(
            java_string_hash("\u{1F600}"),
            0xD83D * 31 + 0xDE00,
            "surrogate pair"
        );
    }

    #[test]
    fn topic_partition_hash_code_matches_java() {
        // 31 * (31 + 0) + "t".hashCode() = 961 + 116
        assert_eq!(tp("t", 0).java_hash_code(), 961 + 116);
        assert_eq!(tp("t", 2).java_hash_code(), 31 * 33 + 116);
    }

    #[test]
    fn java_string_order_is_utf16_order() {
        assert_eq!(java_str_cmp("g-10", "g-2"), Ordering::Less);
        assert_eq!(java_str_cmp("a", "ab"), Ordering::Less);
        // U+FF61 (one code unit 0xFF61) sorts after U+1F600 (surrogates 0xD83D 0xDE00) in Java,
        // although its UTF-8 encoding sorts first.
        assert_eq!(java_str_cmp("\u{FF61}", "\u{1F600}"), Ordering::Greater);
        assert_eq!("\u{FF61}".cmp("\u{1F600}"), Ordering::Less);
    }

    #[test]
    fn hash_map_iteration_follows_buckets_then_insertion() {
        // "Aa" and "BB" have the same hashCode (2112): same bucket, insertion order decides.
        let mut m = JavaHashMap::new();
        m.insert("BB".to_string(), 1);
        m.insert("Aa".to_string(), 2);
        m.insert("a".to_string(), 3); // 97 -> bucket 1 of 16
        let keys: Vec<&String> = m.keys_java_order();
        // 2112 & 15 == 0, so both collide in bucket 0 before "a".
        assert_eq!(keys, vec!["BB", "Aa", "a"]);
        // Remove and re-insert moves a key to the end of its bucket.
        m.remove(&"BB".to_string());
        m.insert("BB".to_string(), 4);
        assert_eq!(m.keys_java_order(), vec!["Aa", "BB", "a"]);
        // Replacing a value keeps the position.
        m.insert("Aa".to_string(), 5);
        assert_eq!(m.keys_java_order(), vec!["Aa", "BB", "a"]);
        assert_eq!(m.get(&"Aa".to_string()), Some(&5));
    }

    #[test]
    fn hash_map_resizes_like_java() {
        // Keys 0..13 as single chars "\u{0}".. hash to 0..12; with 13 entries (> 12) the table
        // doubles to 32, after which key 16 and key 0 no longer share a bucket.
        let mut m = JavaHashMap::new();
        let k = |c: u32| char::from_u32(c).unwrap().to_string();
        m.insert(k(16), ());
        m.insert(k(0), ());
        assert_eq!(m.keys_java_order(), vec![&k(16), &k(0)]);
        for c in 1..12 {
            m.insert(k(c), ());
        }
        assert_eq!(m.len(), 13);
        let keys = m.keys_java_order();
        assert_eq!(keys.first(), Some(&&k(0)));
        assert_eq!(keys.last(), Some(&&k(16)));
        assert_eq!(m.first_java_order(), Some(&k(0)));
    }
}
