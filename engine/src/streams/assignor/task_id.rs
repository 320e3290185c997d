//! Kafka Streams' `TaskId`: one partition of one subtopology, written `SUBTOPOLOGY_PARTITION`.

use std::fmt;

/// `org.apache.kafka.streams.processor.TaskId` without a named topology (`topologyName == null`,
/// the only case outside the experimental NamedTopology API).
///
/// The derived order (subtopology, then partition) is `TaskId.compareTo`, which every `TreeSet` and
/// `PriorityQueue` of tasks in the assignor sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId {
    /// The subtopology (Kafka's `topicGroupId` / `subtopology()`).
    pub subtopology: u32,
    /// The partition of the subtopology's source topics this task reads.
    pub partition: u32,
}

impl TaskId {
    /// Task `subtopology_partition`.
    pub fn new(subtopology: u32, partition: u32) -> Self {
        TaskId {
            subtopology,
            partition,
        }
    }

    /// `TaskId.hashCode()`: `Objects.hash(topicGroupId, partition, topologyName)` with a null
    /// topology name, i.e. `31 * (31 * (31 + subtopology) + partition)`, wrapping like Java `int`.
    /// It decides the iteration order of the `HashSet`s Kafka builds with `Collectors.toSet()`.
    pub(crate) fn java_hash_code(self) -> i32 {
        // Kafka's ids are Java `int`s; the simulation's are far below 2^31.
        let g = self.subtopology as i32;
        let p = self.partition as i32;
        31i32
            .wrapping_add(g)
            .wrapping_mul(31)
            .wrapping_add(p)
            .wrapping_mul(31)
    }
}

impl fmt::Display for TaskId {
    /// `TaskId.toString()`: `0_1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.subtopology, self.partition)
    }
}

impl std::str::FromStr for TaskId {
    type Err = String;

    /// `TaskId.parse("0_1")`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (g, p) = s
            .split_once('_')
            .ok_or_else(|| format!("task id {s:?} is not SUBTOPOLOGY_PARTITION"))?;
        let parse = |x: &str| {
            x.parse::<u32>()
                .map_err(|_| format!("task id {s:?} is not SUBTOPOLOGY_PARTITION"))
        };
        Ok(TaskId::new(parse(g)?, parse(p)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_code_is_objects_hash_of_group_partition_and_null() {
        // Objects.hash(0, 0, null) = 29791; Objects.hash(1, 2, null) = 29791 + 961 + 62.
        assert_eq!(TaskId::new(0, 0).java_hash_code(), 29_791);
        assert_eq!(TaskId::new(1, 2).java_hash_code(), 30_814);
    }

    #[test]
    fn displays_and_parses_as_subtopology_underscore_partition() {
        let t: TaskId = "3_14".parse().unwrap();
        assert_eq!(t, TaskId::new(3, 14));
        assert_eq!(t.to_string(), "3_14");
        assert!("3-14".parse::<TaskId>().is_err());
    }
}
