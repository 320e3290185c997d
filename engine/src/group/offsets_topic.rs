//! Where a group's coordinator lives: on the leader of the group's partition of the internal
//! `__consumer_offsets` topic (Kafka's `GroupCoordinator.partitionFor`:
//! `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions`).
//!
//! The offsets topic is not simulated as a log. Its 50 partitions are placed like any topic
//! (replication `min(3, brokers)`, as `offsets.topic.replication.factor=3` would be configured
//! for a smaller cluster) and each one's leader follows the controller's rules for a clean
//! election: keep a live leader; otherwise the first live, unfenced replica in assignment order;
//! the preferred replica again at the periodic leader-imbalance check. Committed offsets and the
//! last stable group metadata are taken to be safely replicated (acks=all), so a coordinator move
//! loses nothing that was committed.

/// `offsets.topic.num.partitions` = 50.
pub const OFFSETS_TOPIC_PARTITIONS: u32 = 50;
/// `offsets.topic.replication.factor` = 3.
pub const OFFSETS_TOPIC_REPLICATION: u32 = 3;

/// Java's `String.hashCode()`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapping.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// Kafka's `Utils.abs`: `Math.abs`, except that `Integer.MIN_VALUE` maps to 0.
fn kafka_abs(n: i32) -> i32 {
    if n == i32::MIN { 0 } else { n.abs() }
}

/// The `__consumer_offsets` partition that stores a group (and whose leader coordinates it).
pub fn partition_for(group: &str) -> u32 {
    kafka_abs(java_string_hash(group)) as u32 % OFFSETS_TOPIC_PARTITIONS
}

/// The replicas of a group's offsets partition in a cluster of brokers `1..=brokers`.
pub fn replicas_for(group: &str, brokers: u32) -> Vec<u32> {
    let ids: Vec<u32> = (1..=brokers).collect();
    let rf = OFFSETS_TOPIC_REPLICATION.min(brokers);
    let all = crate::placement::assign_replicas(&ids, OFFSETS_TOPIC_PARTITIONS, rf);
    all[partition_for(group) as usize].clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_code_matches_the_jdk() {
        // Values from `"...".hashCode()` in a JDK.
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        assert_eq!(java_string_hash("my-group"), -1_906_497_762);
        // Overflow wraps like Java int arithmetic.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn partition_for_uses_kafka_abs() {
        // "polygenelubricants".hashCode() == Integer.MIN_VALUE, which Utils.abs maps to 0.
        assert_eq!(partition_for("polygenelubricants"), 0);
        assert_eq!(partition_for("a"), 97 % 50);
        assert!(partition_for("my-group") < OFFSETS_TOPIC_PARTITIONS);
    }

    #[test]
    fn replicas_follow_topic_placement() {
        let r = replicas_for("a", 3);
        assert_eq!(r.len(), 3);
        assert_eq!(replicas_for("a", 1), vec![1]);
    }
}
