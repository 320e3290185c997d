//! Kafka's key hash and keyed-record partition choice, bit-exact.
//!
//! [`murmur2`] reproduces `org.apache.kafka.common.utils.Utils.murmur2(byte[])` from
//! `clients/src/main/java/org/apache/kafka/common/utils/Utils.java` (apache/kafka): `MurmurHash2` with
//! seed `0x9747b28c`, `m = 0x5bd1e995`, `r = 24`, the body read as little-endian 4-byte words, and
//! the Java `switch (length % 4)` tail whose cases fall through (`case 3` → `case 2` → `case 1`,
//! with the multiply by `m` only in `case 1`). Java's `int` arithmetic wraps on overflow and `>>>`
//! is an unsigned shift, so the computation is done on `u32` with wrapping multiplication and
//! reinterpreted as `i32` at the end.
//!
//! [`to_positive`] is `Utils.toPositive(int)` from the same file, and [`partition_for_key`] is
//! `BuiltInPartitioner.partitionForKey(byte[] serializedKey, int numPartitions)` from
//! `clients/src/main/java/org/apache/kafka/clients/producer/internals/BuiltInPartitioner.java`:
//! `Utils.toPositive(Utils.murmur2(serializedKey)) % numPartitions`. The playground hashes the
//! UTF-8 bytes of a key, which is what Kafka's `StringSerializer` produces.

const SEED: u32 = 0x9747_b28c;
const M: u32 = 0x5bd1_e995;
const R: u32 = 24;

/// Kafka's `Utils.murmur2(byte[])`: the 32-bit `MurmurHash2` of `data`, as Java's signed `int`.
#[must_use]
pub fn murmur2(data: &[u8]) -> i32 {
    let length = data.len();
    // Java: `int h = seed ^ length;` (array lengths fit in an int).
    #[allow(clippy::cast_possible_truncation)]
    let mut h: u32 = SEED ^ (length as u32);

    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }

    // The Java `switch (length % 4)` with fall-through: case 3 → case 2 → case 1.
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }

    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;

    // Reinterpret the bits as Java's signed int.
    i32::from_ne_bytes(h.to_ne_bytes())
}

/// Kafka's `Utils.toPositive(int)`: `n & 0x7fffffff` (not `abs`: `i32::MIN` maps to 0).
#[must_use]
pub const fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition Kafka's default partitioner picks for a record with this serialized key:
/// `toPositive(murmur2(key)) % numPartitions` (`BuiltInPartitioner.partitionForKey`).
///
/// # Panics
/// If `num_partitions` is 0 — a topic always has at least one partition; the caller validates.
#[must_use]
pub fn partition_for_key(key: &[u8], num_partitions: u32) -> u32 {
    assert!(num_partitions > 0, "a topic has at least one partition");
    // `to_positive` yields a value in 0..=i32::MAX, so `unsigned_abs` is the same number.
    to_positive(murmur2(key)).unsigned_abs() % num_partitions
}

#[cfg(test)]
mod tests {
    use super::*;

    // Values computed with kafka-python's port (`kafka.partitioner.default.murmur2`) and a Java
    // copy of Kafka's `Utils.murmur2`; both agree.
    #[test]
    fn every_tail_length() {
        assert_eq!(murmur2(b""), 275_646_681);
        assert_eq!(murmur2(b"a"), -1_563_381_124);
        assert_eq!(murmur2(b"ab"), 316_155_434);
        assert_eq!(murmur2(b"abc"), 479_470_107);
        assert_eq!(murmur2(b"abcd"), -1_323_649_548);
        assert_eq!(murmur2(b"orders"), -1_029_842_276);
    }

    #[test]
    fn bytes_above_0x7f_are_unsigned() {
        // Java masks each byte with `& 0xff`; "héllo" has bytes ≥ 0x80 in the body and the tail.
        assert_eq!(murmur2("héllo".as_bytes()), 614_509_002);
        assert_eq!(murmur2("Ключ".as_bytes()), -1_483_653_165);
    }

    #[test]
    fn to_positive_masks_the_sign_bit() {
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(5), 5);
        assert_eq!(to_positive(-1_029_842_276), 1_117_641_372);
    }

    #[test]
    fn partition_for_key_matches_kafka() {
        assert_eq!(partition_for_key(b"user-1", 12), 8);
        assert_eq!(partition_for_key(b"car-7", 12), 6);
        assert_eq!(partition_for_key(b"", 6), 3);
        assert_eq!(partition_for_key(b"anything", 1), 0);
    }
}
