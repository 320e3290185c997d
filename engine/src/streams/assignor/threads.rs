//! `StreamsPartitionAssignor.assignTasksToThreads`: one instance's tasks over its stream threads
//! (consumers). Stateful tasks go back to the thread that had them (by lag) up to an even share;
//! the rest are dealt in task order to the threads still short, which interleaves subtopologies.
//! Kafka calls it three times per instance with a shared `threadLoad`: stateful actives,
//! standbys, stateless actives, so the total per thread stays even.

use std::cmp::Ordering;
use std::collections::{BTreeMap, VecDeque};

use super::java::PriorityQueue;
use super::{ClientState, TaskId};

fn natural(a: &TaskId, b: &TaskId) -> Ordering {
    a.cmp(b)
}

/// `assignTasksToThreads(tasksToAssign, isStateful, consumers, state, threadLoad)`.
///
/// `tasks_to_assign` is in the iteration order of the Java collection Kafka passes (it matters:
/// Kafka heapifies it and, at the end, deals leftovers in heap-array order). `consumers` are the
/// instance's member ids, sorted. `thread_load` carries the tasks already given to each thread.
pub(crate) fn assign_tasks_to_threads(
    tasks_to_assign: &[TaskId],
    is_stateful: bool,
    consumers: &[String],
    state: &ClientState,
    thread_load: &mut BTreeMap<String, usize>,
) -> BTreeMap<String, Vec<TaskId>> {
    let mut assignment: BTreeMap<String, Vec<TaskId>> =
        consumers.iter().map(|c| (c.clone(), Vec::new())).collect();
    let load =
        |thread_load: &BTreeMap<String, usize>, c: &str| thread_load.get(c).copied().unwrap_or(0);

    let total_tasks = tasks_to_assign.len() + thread_load.values().sum::<usize>();
    let min_tasks_per_thread = total_tasks / consumers.len();
    let mut unassigned = PriorityQueue::from_collection(tasks_to_assign.to_vec(), natural);
    let mut consumers_to_fill: VecDeque<String> = VecDeque::new();
    // Tasks skipped in the first pass because their previous owner was full, by task.
    let mut unassigned_task_to_previous_owner: BTreeMap<TaskId, String> = BTreeMap::new();

    if !unassigned.is_empty() {
        // First, stateful tasks back to their previous owner, up to the minimum per thread.
        for consumer in consumers {
            let target = min_tasks_per_thread as i64 - load(thread_load, consumer) as i64;
            let thread_assignment = assignment.get_mut(consumer).expect("every consumer");
            if is_stateful {
                for task in state.prev_tasks_by_lag(consumer) {
                    if unassigned.contains(&task) {
                        if (thread_assignment.len() as i64) < target {
                            thread_assignment.push(task);
                            unassigned.remove(&task, natural);
                        } else {
                            unassigned_task_to_previous_owner.insert(task, consumer.clone());
                        }
                    }
                }
            }
            if (thread_assignment.len() as i64) < target {
                consumers_to_fill.push_back(consumer.clone());
            }
        }

        // Next, interleave the remaining tasks (lowest first) over the consumers still short.
        while let Some(consumer) = consumers_to_fill.pop_front() {
            let task = unassigned.poll(natural).expect(
                "Ran out of unassigned stateful tasks but some members were not at capacity",
            );
            let thread_assignment = assignment.get_mut(&consumer).expect("every consumer");
            thread_assignment.push(task);
            if thread_assignment.len() + load(thread_load, &consumer) < min_tasks_per_thread {
                consumers_to_fill.push_back(consumer);
            }
        }

        // Every consumer is at min or min + 1; the rest go one each to consumers at min,
        // previous owners first.
        if !unassigned.is_empty() {
            for consumer in consumers {
                if assignment[consumer].len() + load(thread_load, consumer) == min_tasks_per_thread
                {
                    consumers_to_fill.push_back(consumer.clone());
                }
            }
            for (task, consumer) in &unassigned_task_to_previous_owner {
                if consumers_to_fill.contains(consumer) && unassigned.contains(task) {
                    assignment
                        .get_mut(consumer)
                        .expect("every consumer")
                        .push(*task);
                    unassigned.remove(task, natural);
                    if let Some(i) = consumers_to_fill.iter().position(|c| c == consumer) {
                        consumers_to_fill.remove(i);
                    }
                }
            }
            // Kafka iterates the PriorityQueue itself here: heap-array order, not task order.
            for task in unassigned.iter() {
                let consumer = consumers_to_fill
                    .pop_front()
                    .expect("a consumer at the minimum for every remaining task");
                assignment
                    .get_mut(&consumer)
                    .expect("every consumer")
                    .push(*task);
            }
        }
    }

    for (consumer, tasks) in &assignment {
        *thread_load.entry(consumer.clone()).or_insert(0) += tasks.len();
    }
    assignment
}

/// Cases from Kafka's `StreamsPartitionAssignorTest` that call `assignTasksToThreads` directly.
#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::streams::assignor::LATEST_OFFSET;

    fn t(g: u32, p: u32) -> TaskId {
        TaskId::new(g, p)
    }

    fn all_tasks() -> Vec<TaskId> {
        vec![
            t(0, 0),
            t(0, 1),
            t(0, 2),
            t(0, 3),
            t(1, 0),
            t(1, 1),
            t(1, 2),
            t(1, 3),
        ]
    }

    /// `previousAssignment` of those tests: consumer1 {0_0, 1_1, 1_3}, consumer2 {0_3, 1_0},
    /// consumer3 {0_1, 0_2, 1_2}, each reported as running (`getTaskOffsetSums(active, ∅)`).
    fn previous() -> Vec<(&'static str, Vec<TaskId>)> {
        vec![
            ("consumer1", vec![t(0, 0), t(1, 1), t(1, 3)]),
            ("consumer2", vec![t(0, 3), t(1, 0)]),
            ("consumer3", vec![t(0, 1), t(0, 2), t(1, 2)]),
        ]
    }

    /// A client whose consumers reported `prev` and whose lags were computed against end offset
    /// sums of `Long.MAX_VALUE` (`getTaskEndOffsetSums`).
    fn state(prev: &[(&str, Vec<TaskId>)], stateful: &[TaskId]) -> ClientState {
        let mut state = ClientState::default();
        for (consumer, tasks) in prev {
            let sums = tasks.iter().map(|t| (*t, LATEST_OFFSET)).collect();
            state.add_previous_tasks_and_offset_sums(consumer, &sums);
        }
        state.initialize_prev_tasks(&BTreeMap::new());
        state.compute_task_lags(&stateful.iter().map(|t| (*t, i64::MAX)).collect());
        state
    }

    fn consumers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn as_sets(a: &BTreeMap<String, Vec<TaskId>>) -> BTreeMap<String, BTreeSet<TaskId>> {
        a.iter()
            .map(|(c, ts)| (c.clone(), ts.iter().copied().collect()))
            .collect()
    }

    #[test]
    fn should_produce_sticky_and_balanced_assignment_when_nothing_changes() {
        let tasks = all_tasks();
        let state = state(&previous(), &tasks);
        let cs = consumers(&["consumer1", "consumer2", "consumer3"]);
        let got = assign_tasks_to_threads(&tasks, true, &cs, &state, &mut BTreeMap::new());
        let want: BTreeMap<String, Vec<TaskId>> = previous()
            .into_iter()
            .map(|(c, ts)| (c.to_string(), ts))
            .collect();
        assert_eq!(as_sets(&got), as_sets(&want));
    }

    #[test]
    fn should_produce_sticky_and_balanced_assignment_when_new_tasks_are_added() {
        let mut tasks = all_tasks();
        let state = state(&previous(), &tasks);
        tasks.push(t(2, 0));
        let cs = consumers(&["consumer1", "consumer2", "consumer3"]);
        let got = assign_tasks_to_threads(&tasks, true, &cs, &state, &mut BTreeMap::new());
        let mut want: BTreeMap<String, Vec<TaskId>> = previous()
            .into_iter()
            .map(|(c, ts)| (c.to_string(), ts))
            .collect();
        want.get_mut("consumer2").unwrap().push(t(2, 0));
        assert_eq!(as_sets(&got), as_sets(&want));
    }

    #[test]
    fn should_produce_maximally_sticky_assignment_when_member_leaves() {
        let tasks = all_tasks();
        let state = state(&previous(), &tasks);
        let cs = consumers(&["consumer1", "consumer2"]);
        let got = as_sets(&assign_tasks_to_threads(
            &tasks,
            true,
            &cs,
            &state,
            &mut BTreeMap::new(),
        ));
        let prev: BTreeMap<&str, BTreeSet<TaskId>> = previous()
            .into_iter()
            .map(|(c, ts)| (c, ts.into_iter().collect()))
            .collect();
        assert!(got["consumer1"].is_superset(&prev["consumer1"]));
        assert!(got["consumer2"].is_superset(&prev["consumer2"]));
        assert_eq!(got["consumer1"].len(), 4);
        assert_eq!(got["consumer2"].len(), 4);
    }

    #[test]
    fn should_produce_sticky_enough_assignment_when_new_member_joins() {
        let tasks = all_tasks();
        let mut prev = previous();
        prev.push(("consumer4", vec![]));
        let state = state(&prev, &tasks);
        let cs = consumers(&["consumer1", "consumer2", "consumer3", "consumer4"]);
        let got = as_sets(&assign_tasks_to_threads(
            &tasks,
            true,
            &cs,
            &state,
            &mut BTreeMap::new(),
        ));
        let prev: BTreeMap<&str, BTreeSet<TaskId>> = prev
            .into_iter()
            .map(|(c, ts)| (c, ts.into_iter().collect()))
            .collect();
        // One task each moves from consumer1 and consumer3 to the new member, none from consumer2.
        assert!(prev["consumer1"].is_superset(&got["consumer1"]));
        assert!(prev["consumer3"].is_superset(&got["consumer3"]));
        assert!(got["consumer2"].is_superset(&prev["consumer2"]));
        for c in ["consumer1", "consumer2", "consumer3", "consumer4"] {
            assert_eq!(got[c].len(), 2, "{c}");
        }
    }

    #[test]
    fn should_interleave_tasks_by_group_id_during_new_assignment() {
        let mut tasks = vec![
            t(0, 0),
            t(0, 1),
            t(0, 2),
            t(0, 3),
            t(1, 0),
            t(1, 1),
            t(1, 2),
            t(2, 0),
            t(2, 1),
        ];
        // Kafka shuffles the input; the result must not depend on its order.
        tasks.reverse();
        let state = state(
            &[
                ("consumer1", vec![]),
                ("consumer2", vec![]),
                ("consumer3", vec![]),
            ],
            &[],
        );
        let cs = consumers(&["consumer1", "consumer2", "consumer3"]);
        let got = assign_tasks_to_threads(&tasks, true, &cs, &state, &mut BTreeMap::new());
        let want: BTreeMap<String, Vec<TaskId>> = [
            ("consumer1", vec![t(0, 0), t(0, 3), t(1, 2)]),
            ("consumer2", vec![t(0, 1), t(1, 0), t(2, 0)]),
            ("consumer3", vec![t(0, 2), t(1, 1), t(2, 1)]),
        ]
        .into_iter()
        .map(|(c, ts)| (c.to_string(), ts))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn leftover_tasks_are_dealt_in_heap_array_order() {
        // 4 tasks over 3 threads: min 1 each, the 4th to consumer1. With `HashSet` input order
        // [0_3, 0_2, 0_1, 0_0] Kafka polls 0_0, 0_1, 0_2 and deals the last one, 0_3.
        let tasks = vec![t(0, 3), t(0, 2), t(0, 1), t(0, 0)];
        let state = state(&[("a", vec![]), ("b", vec![]), ("c", vec![])], &[]);
        let cs = consumers(&["a", "b", "c"]);
        let mut load = BTreeMap::new();
        let got = assign_tasks_to_threads(&tasks, false, &cs, &state, &mut load);
        assert_eq!(got["a"], vec![t(0, 0), t(0, 3)]);
        assert_eq!(got["b"], vec![t(0, 1)]);
        assert_eq!(got["c"], vec![t(0, 2)]);
        assert_eq!(load.values().sum::<usize>(), 4);
    }
}
