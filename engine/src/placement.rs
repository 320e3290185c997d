//! Replica placement for a new topic: Kafka's rack-unaware assignment.
//!
//! This reproduces `assignReplicasToBrokersRackUnaware` from Kafka's `AdminUtils`
//! (`core/src/main/scala/kafka/admin/AdminUtils.scala`, ported to Java in
//! `server-common/src/main/java/org/apache/kafka/admin/AdminUtils.java`, apache/kafka) with
//! `fixedStartIndex = 0` and `startPartitionId = -1`, i.e. `startIndex = 0`,
//! `nextReplicaShift = 0`, `currentPartitionId = 0`. Kafka picks `startIndex` and the initial
//! shift at random when `fixedStartIndex < 0`; the playground fixes both at 0 so placement is
//! predictable, as docs/scenario-language.md states.
//!
//! For each partition `p` (brokers `b[0..n]` in id order):
//! - `nextReplicaShift += 1` when `p > 0 && p % n == 0`;
//! - the first replica (the preferred leader) is `b[p % n]`;
//! - replica `j + 1` (for `j` in `0..rf-1`) is `b[replicaIndex(p % n, nextReplicaShift, j, n)]`
//!   where `replicaIndex(first, shift, j, n) = (first + 1 + (shift + j) % (n - 1)) % n`.

/// Assigns `replication` replicas to each of `partitions` partitions over `broker_ids`.
///
/// `broker_ids` must be sorted ascending (Kafka takes brokers in id order). Returns, for each
/// partition in order, its ordered replica list; the first entry is the preferred leader.
///
/// The caller validates user input (Kafka's `InvalidReplicationFactorException` /
/// `InvalidPartitionsException` cases) before calling; violations here are programmer errors.
///
/// # Panics
/// If `broker_ids` is empty, `replication` is 0 or exceeds the number of brokers, or
/// `broker_ids` is not strictly ascending.
#[must_use]
pub fn assign_replicas(broker_ids: &[u32], partitions: u32, replication: u32) -> Vec<Vec<u32>> {
    assert!(
        !broker_ids.is_empty(),
        "replica placement needs at least one broker"
    );
    assert!(replication > 0, "replication factor must be at least 1");
    let n = broker_ids.len();
    let rf = usize::try_from(replication).expect("replication fits in usize");
    assert!(rf <= n, "replication factor {rf} exceeds the {n} brokers");
    assert!(
        broker_ids.windows(2).all(|w| w[0] < w[1]),
        "broker ids must be sorted ascending and distinct"
    );

    let start_index = 0usize;
    let mut next_replica_shift = 0usize;
    (0..partitions)
        .map(|p| {
            let p = usize::try_from(p).expect("partition id fits in usize");
            if p > 0 && p % n == 0 {
                next_replica_shift += 1;
            }
            let first = (p + start_index) % n;
            let mut replicas = Vec::with_capacity(rf);
            replicas.push(broker_ids[first]);
            for j in 0..rf - 1 {
                replicas.push(broker_ids[replica_index(first, next_replica_shift, j, n)]);
            }
            replicas
        })
        .collect()
}

/// Kafka's `AdminUtils.replicaIndex`: the broker index of replica `j + 1` (0-based `j` among the
/// followers). Only called when `n_brokers >= 2` (with one broker, `rf` is 1 and no follower exists).
fn replica_index(
    first_replica_index: usize,
    second_replica_shift: usize,
    replica_index: usize,
    n_brokers: usize,
) -> usize {
    let shift = 1 + (second_replica_shift + replica_index) % (n_brokers - 1);
    (first_replica_index + shift) % n_brokers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_javadoc_example() {
        // The table in AdminUtils' doc comment: 5 brokers (0..4), 10 partitions, rf 3, start 0.
        let a = assign_replicas(&[0, 1, 2, 3, 4], 10, 3);
        assert_eq!(a[0], vec![0, 1, 2]);
        assert_eq!(a[4], vec![4, 0, 1]);
        assert_eq!(a[5], vec![0, 2, 3]);
        assert_eq!(a[9], vec![4, 1, 2]);
    }

    #[test]
    fn single_broker() {
        assert_eq!(assign_replicas(&[7], 3, 1), vec![vec![7], vec![7], vec![7]]);
    }

    #[test]
    fn replicas_are_distinct_and_leaders_round_robin() {
        for n in 1..=7u32 {
            let brokers: Vec<u32> = (1..=n).collect();
            for rf in 1..=n {
                let a = assign_replicas(&brokers, 3 * n + 1, rf);
                for (p, r) in a.iter().enumerate() {
                    assert_eq!(r.len(), rf as usize);
                    assert_eq!(r[0], brokers[p % n as usize]);
                    let mut s = r.clone();
                    s.sort_unstable();
                    s.dedup();
                    assert_eq!(s.len(), r.len(), "n={n} rf={rf} p={p}: {r:?}");
                }
            }
        }
    }

    #[test]
    fn broker_ids_need_not_be_contiguous() {
        assert_eq!(
            assign_replicas(&[2, 5, 9], 2, 2),
            vec![vec![2, 5], vec![5, 9]]
        );
    }

    #[test]
    #[should_panic(expected = "exceeds")]
    fn replication_above_brokers_is_a_programmer_error() {
        let _ = assign_replicas(&[1, 2], 1, 3);
    }

    #[test]
    #[should_panic(expected = "at least one broker")]
    fn no_brokers_is_a_programmer_error() {
        let _ = assign_replicas(&[], 1, 1);
    }
}
