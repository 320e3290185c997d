//! The Streams assignor's user data on the consumer group protocol, as plain structs:
//! `SubscriptionInfo` (each stream thread's JoinGroup subscription user data) and
//! `AssignmentInfo` (each thread's SyncGroup assignment user data). Kafka encodes them as
//! versioned byte buffers (version 12 at 4.0); only the fields the simulation uses are here:
//! no version numbers (every instance runs the same code, so no version probing), no
//! `userEndPoint`/`partitionsByHost` (interactive queries, `application.server`), no client tags,
//! no `uniqueField`, and no error code other than success.

use std::collections::BTreeMap;

use crate::command::TopicPartition;

use super::{ProcessId, TaskId};

/// `Task.LATEST_OFFSET`: the offset sum a thread reports for a task it runs as active (its state
/// is current by definition).
pub const LATEST_OFFSET: i64 = -2;

/// `SubscriptionInfo.UNKNOWN_OFFSET_SUM`: an offset sum the leader could not know (old
/// subscription versions, or end offsets it failed to fetch).
pub const UNKNOWN_OFFSET_SUM: i64 = -3;

/// `OffsetCheckpoint.OFFSET_UNKNOWN`: a changelog partition whose position a checkpoint does not
/// know; left out of the offset sum.
pub const OFFSET_UNKNOWN: i64 = -4;

/// `TaskManager.sumOfChangelogOffsets`: the offset sum a thread reports for one task, from its
/// changelog positions. A running active task's positions are all `LATEST_OFFSET`
/// (`StreamTask.changelogOffsets()`), and so is the sum; otherwise each position is the next
/// offset to fetch (`ProcessorStateManager.changelogOffsets()`: last restored offset + 1, 0 if
/// none), summed, `Long.MAX_VALUE` on overflow. A task with no changelog reports nothing (Kafka
/// skips it), so this is only called with at least one position.
pub fn sum_of_changelog_offsets(positions: &[i64]) -> i64 {
    let mut offset_sum = 0i64;
    for &offset in positions {
        if offset == LATEST_OFFSET {
            return LATEST_OFFSET;
        }
        if offset != OFFSET_UNKNOWN {
            // Kafka throws a StreamsException: only a programming error produces another sentinel.
            assert!(
                offset >= 0,
                "Expected not to get a sentinel offset, but got: {offset}"
            );
            offset_sum = offset_sum.wrapping_add(offset);
            if offset_sum < 0 {
                return i64::MAX;
            }
        }
    }
    offset_sum
}

/// `SubscriptionInfo`: what one stream thread sends in its subscription's user data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionInfo {
    /// `processId`: the instance's UUID in Kafka (one per `KafkaStreams`, shared by its
    /// threads); the instance's name here.
    pub process_id: ProcessId,
    /// `taskOffsetSums`: per stateful task whose state this thread holds (it runs the task, or
    /// it locked the task's non-empty state directory), the sum of the changelog offsets its
    /// checkpoints reached; `LATEST_OFFSET` for tasks it runs as active. Kafka derives the
    /// subscription's `prevTasks`/`standbyTasks` from this map since version 7.
    pub task_offset_sums: BTreeMap<TaskId, i64>,
}

impl SubscriptionInfo {
    /// The bytes a stream thread puts in its subscription's `userData`: the process id and the
    /// task offset sums, the two fields Kafka's SubscriptionInfo (version 7 and later) derives
    /// everything else from. Kafka's buffer also carries a version, a latest supported version,
    /// an endpoint, client tags and an error code that the simulation has no use for, so the
    /// layout is the simulation's own: `i16` id length, UTF-8 id, `i32` count, then per task
    /// `i32` subtopology, `i32` partition, `i64` offset sum, big-endian like Kafka's buffers.
    pub fn encode(&self) -> bytes::Bytes {
        use bytes::BufMut;
        let mut buf = bytes::BytesMut::new();
        let id = self.process_id.as_bytes();
        buf.put_i16(i16::try_from(id.len()).expect("instance names are short"));
        buf.put_slice(id);
        buf.put_i32(self.task_offset_sums.len() as i32);
        for (task, sum) in &self.task_offset_sums {
            buf.put_i32(task.subtopology as i32);
            buf.put_i32(task.partition as i32);
            buf.put_i64(*sum);
        }
        buf.freeze()
    }

    /// The inverse of `encode`; `None` for bytes it did not write.
    pub fn decode(bytes: &[u8]) -> Option<SubscriptionInfo> {
        use bytes::Buf;
        let mut buf = bytes;
        if buf.remaining() < 2 {
            return None;
        }
        let len = usize::try_from(buf.get_i16()).ok()?;
        if buf.remaining() < len {
            return None;
        }
        let process_id = String::from_utf8(buf[..len].to_vec()).ok()?;
        buf.advance(len);
        if buf.remaining() < 4 {
            return None;
        }
        let count = usize::try_from(buf.get_i32()).ok()?;
        let mut task_offset_sums = BTreeMap::new();
        for _ in 0..count {
            if buf.remaining() < 16 {
                return None;
            }
            let subtopology = u32::try_from(buf.get_i32()).ok()?;
            let partition = u32::try_from(buf.get_i32()).ok()?;
            task_offset_sums.insert(TaskId::new(subtopology, partition), buf.get_i64());
        }
        buf.is_empty().then_some(SubscriptionInfo {
            process_id,
            task_offset_sums,
        })
    }
}

/// One stream thread's subscription as the group leader sees it: the consumer protocol's own
/// fields plus the Streams user data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscription {
    /// `Subscription.ownedPartitions()`: the partitions this consumer owns (Streams rebalances
    /// cooperatively, so owned partitions are sent).
    pub owned_partitions: Vec<TopicPartition>,
    /// `Subscription.userData()`, decoded.
    pub info: SubscriptionInfo,
}

/// When the thread should rejoin, from `AssignmentInfo.nextRebalanceMs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextRebalance {
    /// `Long.MAX_VALUE`: no follow-up rebalance.
    None,
    /// `0`: rejoin at once, because some of this thread's new tasks must first be revoked from
    /// their current owner (the second half of a cooperative rebalance).
    Immediately,
    /// A probing rebalance at this simulated instant (`now + probing.rebalance.interval.ms`), to
    /// check whether warm-ups have caught up.
    ProbingAtMs(u64),
}

/// `AssignmentInfo`: what one stream thread receives in its assignment's user data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentInfo {
    /// `activeTasks`: one entry per assigned partition, the task that partition belongs to, in
    /// the same order as [`MemberAssignment::partitions`](super::MemberAssignment) (so a task
    /// with two input partitions appears twice).
    pub active_tasks: Vec<TaskId>,
    /// `standbyTasks`: standby (and warm-up) tasks with their input partitions.
    pub standby_tasks: BTreeMap<TaskId, Vec<TopicPartition>>,
    /// `nextRebalanceMs`.
    pub next_rebalance: NextRebalance,
}

impl AssignmentInfo {
    /// The bytes the leader puts in a thread's assignment `userData` (`AssignmentInfo.encode`).
    /// The simulation's threads read one field of it, `standbyTasks` (their active tasks follow
    /// from the assigned partitions, as Kafka's `activeTasks` list them in partition order), so
    /// the layout is the simulation's own: `i32` count, then per standby task `i32`
    /// subtopology and `i32` partition, big-endian like Kafka's buffers. A standby's
    /// partitions follow from the topology.
    pub fn encode_standbys(&self) -> bytes::Bytes {
        use bytes::BufMut;
        let mut buf = bytes::BytesMut::new();
        buf.put_i32(self.standby_tasks.len() as i32);
        for task in self.standby_tasks.keys() {
            buf.put_i32(task.subtopology as i32);
            buf.put_i32(task.partition as i32);
        }
        buf.freeze()
    }

    /// The standby tasks of `encode_standbys`' bytes; `None` for bytes it did not write.
    pub fn decode_standbys(bytes: &[u8]) -> Option<Vec<TaskId>> {
        use bytes::Buf;
        let mut buf = bytes;
        if buf.remaining() < 4 {
            return None;
        }
        let count = usize::try_from(buf.get_i32()).ok()?;
        let mut tasks = Vec::with_capacity(count.min(1024));
        for _ in 0..count {
            if buf.remaining() < 8 {
                return None;
            }
            let subtopology = u32::try_from(buf.get_i32()).ok()?;
            let partition = u32::try_from(buf.get_i32()).ok()?;
            tasks.push(TaskId::new(subtopology, partition));
        }
        buf.is_empty().then_some(tasks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standby_tasks_round_trip_through_assignment_user_data() {
        let info = AssignmentInfo {
            active_tasks: vec![TaskId::new(0, 0)],
            standby_tasks: [
                (TaskId::new(0, 1), Vec::new()),
                (TaskId::new(1, 2), Vec::new()),
            ]
            .into_iter()
            .collect(),
            next_rebalance: NextRebalance::None,
        };
        let bytes = info.encode_standbys();
        assert_eq!(
            AssignmentInfo::decode_standbys(&bytes),
            Some(vec![TaskId::new(0, 1), TaskId::new(1, 2)])
        );
        assert_eq!(AssignmentInfo::decode_standbys(&bytes[..6]), None);
    }

    #[test]
    fn offset_sums_follow_task_manager() {
        assert_eq!(
            sum_of_changelog_offsets(&[LATEST_OFFSET, LATEST_OFFSET]),
            LATEST_OFFSET
        );
        assert_eq!(sum_of_changelog_offsets(&[10, OFFSET_UNKNOWN, 5]), 15);
        assert_eq!(sum_of_changelog_offsets(&[i64::MAX, 1]), i64::MAX);
    }

    #[test]
    fn subscription_info_round_trips_through_user_data() {
        let info = SubscriptionInfo {
            process_id: "word-count-2".to_string(),
            task_offset_sums: [(TaskId::new(1, 0), 42), (TaskId::new(1, 1), LATEST_OFFSET)]
                .into_iter()
                .collect(),
        };
        assert_eq!(SubscriptionInfo::decode(&info.encode()), Some(info.clone()));
        assert_eq!(SubscriptionInfo::decode(&info.encode()[..5]), None);
    }
}
