//! Keyed partitioning and replica placement against independently computed Kafka values.
//!
//! murmur2 values: computed with kafka-python 3.0.12's port (`kafka.partitioner.default.murmur2`,
//! itself a port of Kafka's Java client) and, separately, with a Java program that copies Kafka's
//! `org.apache.kafka.common.utils.Utils.murmur2(byte[])` verbatim and applies
//! `Utils.toPositive(h) % numPartitions`; the two agreed on every key below. Keys are hashed as
//! UTF-8 bytes (Kafka's `StringSerializer`).
//!
//! Placement values: computed with a small Python script that ports Kafka's Scala
//! `AdminUtils.assignReplicasToBrokersRackUnaware` line by line (fixedStartIndex = 0,
//! startPartitionId = -1, brokers 1..n in id order).

use engine::murmur2::{murmur2, partition_for_key, to_positive};
use engine::placement::assign_replicas;

/// (key, Utils.murmur2 as Java int, partition with 3, 6, 12 partitions)
const KEYS: &[(&str, i32, [u32; 3])] = &[
    ("user-1", 1_404_122_828, [2, 2, 8]),
    ("user-42", 1_459_644_460, [1, 4, 4]),
    ("orders", -1_029_842_276, [0, 0, 0]),
    ("", 275_646_681, [0, 3, 9]),
    ("a", -1_563_381_124, [1, 4, 4]),
    ("ab", 316_155_434, [2, 2, 2]),
    ("abc", 479_470_107, [0, 3, 3]),
    ("abcd", -1_323_649_548, [2, 2, 8]),
    ("car-7", -24_773_762, [0, 0, 6]),
    ("héllo", 614_509_002, [0, 0, 6]),
    ("wörld", 2_016_028_232, [2, 2, 8]),
    ("日本語", 1_431_860_170, [1, 4, 10]),
    ("Ключ", -1_483_653_165, [2, 5, 11]),
    ("🚗", 1_342_569_996, [0, 0, 0]),
    ("🔥key", -2_045_556_983, [0, 3, 9]),
    // woman + ZWJ + laptop: a multi-code-point emoji sequence
    ("👩\u{200d}💻", -1_466_034_701, [0, 3, 3]),
];

#[test]
fn murmur2_matches_kafka() {
    for &(key, hash, _) in KEYS {
        assert_eq!(murmur2(key.as_bytes()), hash, "murmur2({key:?})");
    }
}

#[test]
fn partition_for_key_matches_kafka() {
    for &(key, hash, parts) in KEYS {
        for (n, want) in [3, 6, 12].into_iter().zip(parts) {
            assert_eq!(
                partition_for_key(key.as_bytes(), n),
                want,
                "{key:?} over {n} partitions"
            );
            assert_eq!(to_positive(hash).unsigned_abs() % n, want);
        }
    }
}

fn brokers(n: u32) -> Vec<u32> {
    (1..=n).collect()
}

#[test]
fn placement_3_brokers_6_partitions_rf3() {
    assert_eq!(
        assign_replicas(&brokers(3), 6, 3),
        vec![
            vec![1, 2, 3],
            vec![2, 3, 1],
            vec![3, 1, 2],
            vec![1, 3, 2],
            vec![2, 1, 3],
            vec![3, 2, 1],
        ]
    );
}

#[test]
fn placement_4_brokers_8_partitions_rf2() {
    assert_eq!(
        assign_replicas(&brokers(4), 8, 2),
        vec![
            vec![1, 2],
            vec![2, 3],
            vec![3, 4],
            vec![4, 1],
            vec![1, 3],
            vec![2, 4],
            vec![3, 1],
            vec![4, 2],
        ]
    );
}

#[test]
fn placement_4_brokers_8_partitions_rf3() {
    assert_eq!(
        assign_replicas(&brokers(4), 8, 3),
        vec![
            vec![1, 2, 3],
            vec![2, 3, 4],
            vec![3, 4, 1],
            vec![4, 1, 2],
            vec![1, 3, 4],
            vec![2, 4, 1],
            vec![3, 1, 2],
            vec![4, 2, 3],
        ]
    );
}

#[test]
fn placement_5_brokers_10_partitions_rf3() {
    assert_eq!(
        assign_replicas(&brokers(5), 10, 3),
        vec![
            vec![1, 2, 3],
            vec![2, 3, 4],
            vec![3, 4, 5],
            vec![4, 5, 1],
            vec![5, 1, 2],
            vec![1, 3, 4],
            vec![2, 4, 5],
            vec![3, 5, 1],
            vec![4, 1, 2],
            vec![5, 2, 3],
        ]
    );
}

#[test]
fn placement_small_clusters() {
    assert_eq!(
        assign_replicas(&brokers(1), 3, 1),
        vec![vec![1], vec![1], vec![1]]
    );
    assert_eq!(
        assign_replicas(&brokers(2), 4, 2),
        vec![vec![1, 2], vec![2, 1], vec![1, 2], vec![2, 1]]
    );
}
