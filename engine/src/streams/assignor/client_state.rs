//! `ClientState`: what the leader knows about one Kafka Streams instance (a "client", one
//! `process.id`) while assigning: its capacity (threads), previous tasks, per-task lag, and the
//! active and standby tasks the assignor gives it. Ported from
//! `o.a.k.streams.processor.internals.assignment.ClientState`.

use std::collections::{BTreeMap, BTreeSet};

use crate::command::TopicPartition;

use super::TaskId;
use super::protocol::{LATEST_OFFSET, UNKNOWN_OFFSET_SUM};

/// One Streams instance as the assignor sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientState {
    /// Number of consumers (stream threads) of this instance in the group.
    capacity: u32,
    /// `taskOffsetSums`: the stateful tasks the instance reported state for, with their offset
    /// sums (`LATEST_OFFSET` for a task it runs as active).
    task_offset_sums: BTreeMap<TaskId, i64>,
    /// `taskLagTotals`: the lag of every stateful task of the application on this instance.
    task_lag_totals: BTreeMap<TaskId, i64>,
    /// `ownedPartitions`: partition → consumer (member id) that owned it.
    owned_partitions: BTreeMap<TopicPartition, String>,
    /// `consumerToPreviousStatefulTaskIds`: member id → the tasks in its `taskOffsetSums`.
    consumer_to_previous_stateful_task_ids: BTreeMap<String, BTreeSet<TaskId>>,
    assigned_active: BTreeSet<TaskId>,
    assigned_standby: BTreeSet<TaskId>,
    previous_active: BTreeSet<TaskId>,
    previous_standby: BTreeSet<TaskId>,
}

impl ClientState {
    /// Kafka's test constructor `ClientState(prevActive, prevStandby, taskLagTotals, tags,
    /// capacity)`: a client whose lags are already known. Handy for driving the task assignor
    /// directly, as Kafka's `HighAvailabilityTaskAssignorTest` does.
    pub fn with_lags(
        previous_active: BTreeSet<TaskId>,
        previous_standby: BTreeSet<TaskId>,
        task_lag_totals: BTreeMap<TaskId, i64>,
        capacity: u32,
    ) -> Self {
        ClientState {
            capacity,
            task_lag_totals,
            previous_active,
            previous_standby,
            ..ClientState::default()
        }
    }

    /// `ClientMetadata.addConsumer`: one more thread, and the partitions it owned.
    pub(crate) fn add_consumer(&mut self, member_id: &str, owned: &[TopicPartition]) {
        self.capacity += 1;
        for tp in owned {
            self.owned_partitions
                .insert(tp.clone(), member_id.to_string());
        }
    }

    /// `addPreviousTasksAndOffsetSums(consumerId, taskOffsetSums)`.
    pub(crate) fn add_previous_tasks_and_offset_sums(
        &mut self,
        member_id: &str,
        task_offset_sums: &BTreeMap<TaskId, i64>,
    ) {
        self.task_offset_sums.extend(task_offset_sums);
        self.consumer_to_previous_stateful_task_ids.insert(
            member_id.to_string(),
            task_offset_sums.keys().copied().collect(),
        );
    }

    /// `initializePrevTasks`: previous active tasks from the owned partitions, then the
    /// remaining tasks of the offset sums (active if `LATEST_OFFSET`, else standby).
    pub(crate) fn initialize_prev_tasks(
        &mut self,
        task_for_partition: &BTreeMap<TopicPartition, TaskId>,
    ) {
        assert!(
            self.previous_active.is_empty() && self.previous_standby.is_empty(),
            "Already added previous tasks to this client state."
        );
        for tp in self.owned_partitions.keys() {
            // Kafka logs "No task found for topic partition" and skips it.
            if let Some(task) = task_for_partition.get(tp) {
                self.previous_active.insert(*task);
            }
        }
        for (task, offset_sum) in &self.task_offset_sums {
            if !self.previous_active.contains(task) {
                if *offset_sum == LATEST_OFFSET {
                    self.previous_active.insert(*task);
                } else {
                    self.previous_standby.insert(*task);
                }
            }
        }
    }

    /// `computeTaskLags(uuid, allTaskEndOffsetSums)`: for every stateful task, end offset sum
    /// minus the offset sum this client reported (0 if none). A running active task keeps
    /// `LATEST_OFFSET`; an offset sum beyond the end (corrupted state) counts as having nothing.
    pub(crate) fn compute_task_lags(&mut self, all_task_end_offset_sums: &BTreeMap<TaskId, i64>) {
        assert!(
            self.task_lag_totals.is_empty(),
            "Already computed task lags for this client."
        );
        for (task, end_offset_sum) in all_task_end_offset_sums {
            let offset_sum = self.task_offset_sums.get(task).copied().unwrap_or(0);
            let lag = if offset_sum == LATEST_OFFSET {
                LATEST_OFFSET
            } else if offset_sum == UNKNOWN_OFFSET_SUM {
                UNKNOWN_OFFSET_SUM
            } else if *end_offset_sum < offset_sum {
                *end_offset_sum
            } else {
                end_offset_sum - offset_sum
            };
            self.task_lag_totals.insert(*task, lag);
        }
    }

    /// `lagFor(task)`. Panics for a stateless task, as Kafka throws `IllegalStateException`.
    pub fn lag_for(&self, task: TaskId) -> i64 {
        *self
            .task_lag_totals
            .get(&task)
            .unwrap_or_else(|| panic!("Tried to lookup lag for unknown task {task}"))
    }

    /// `prevTasksByLag(consumer)`: the consumer's previous stateful tasks that still exist, by
    /// lag, then task id.
    pub(crate) fn prev_tasks_by_lag(&self, member_id: &str) -> Vec<TaskId> {
        let mut tasks: Vec<TaskId> = self
            .consumer_to_previous_stateful_task_ids
            .get(member_id)
            .into_iter()
            .flatten()
            .filter(|t| self.task_lag_totals.contains_key(t))
            .copied()
            .collect();
        tasks.sort_by_key(|t| (self.lag_for(*t), *t));
        tasks
    }

    /// `previousOwnerForPartition(tp)`: the member that owned `tp`, if any.
    pub(crate) fn previous_owner_for_partition(&self, tp: &TopicPartition) -> Option<&str> {
        self.owned_partitions.get(tp).map(String::as_str)
    }

    pub fn capacity(&self) -> u32 {
        self.capacity
    }

    pub fn active_tasks(&self) -> &BTreeSet<TaskId> {
        &self.assigned_active
    }

    pub fn standby_tasks(&self) -> &BTreeSet<TaskId> {
        &self.assigned_standby
    }

    pub fn previous_active_tasks(&self) -> &BTreeSet<TaskId> {
        &self.previous_active
    }

    pub fn previous_standby_tasks(&self) -> &BTreeSet<TaskId> {
        &self.previous_standby
    }

    /// `previouslyOwnedStandby(task)`.
    pub(crate) fn previously_owned_standby(&self, task: TaskId) -> bool {
        self.previous_standby.contains(&task)
    }

    pub fn active_task_count(&self) -> usize {
        self.assigned_active.len()
    }

    pub fn standby_task_count(&self) -> usize {
        self.assigned_standby.len()
    }

    /// `assignedTaskCount()`: active plus standby (warm-ups are standbys).
    pub fn assigned_task_count(&self) -> usize {
        self.active_task_count() + self.standby_task_count()
    }

    /// `activeTaskLoad()`: active tasks per thread, as a Java `double`.
    pub(crate) fn active_task_load(&self) -> f64 {
        self.active_task_count() as f64 / f64::from(self.capacity)
    }

    /// `assignedTaskLoad()`: active and standby tasks per thread, as a Java `double`.
    pub(crate) fn assigned_task_load(&self) -> f64 {
        self.assigned_task_count() as f64 / f64::from(self.capacity)
    }

    pub(crate) fn has_assigned_task(&self, task: TaskId) -> bool {
        self.assigned_active.contains(&task) || self.assigned_standby.contains(&task)
    }

    pub(crate) fn has_standby_task(&self, task: TaskId) -> bool {
        self.assigned_standby.contains(&task)
    }

    /// `statefulActiveTasks()`: the active tasks that have a lag (a changelog), in the iteration
    /// order of the `HashSet` Kafka collects them into.
    pub(crate) fn stateful_active_tasks(&self) -> Vec<TaskId> {
        let tasks: Vec<TaskId> = self
            .assigned_active
            .iter()
            .filter(|t| self.task_lag_totals.contains_key(t))
            .copied()
            .collect();
        super::java::hash_set_order(&tasks, |t| t.java_hash_code())
    }

    /// `statelessActiveTasks()`, in `HashSet` order as above.
    pub(crate) fn stateless_active_tasks(&self) -> Vec<TaskId> {
        let tasks: Vec<TaskId> = self
            .assigned_active
            .iter()
            .filter(|t| !self.task_lag_totals.contains_key(t))
            .copied()
            .collect();
        super::java::hash_set_order(&tasks, |t| t.java_hash_code())
    }

    /// `assignActive(task)`; a task is never both active and standby on one client.
    pub(crate) fn assign_active(&mut self, task: TaskId) {
        self.assert_not_assigned(task);
        self.assigned_active.insert(task);
    }

    pub(crate) fn unassign_active(&mut self, task: TaskId) {
        assert!(
            self.assigned_active.remove(&task),
            "Tried to unassign active task {task}, but it is not currently assigned"
        );
    }

    pub(crate) fn assign_standby(&mut self, task: TaskId) {
        self.assert_not_assigned(task);
        self.assigned_standby.insert(task);
    }

    pub(crate) fn unassign_standby(&mut self, task: TaskId) {
        assert!(
            self.assigned_standby.remove(&task),
            "Tried to unassign standby task {task}, but it is not currently assigned"
        );
    }

    fn assert_not_assigned(&self, task: TaskId) {
        assert!(
            !self.has_assigned_task(task),
            "Tried to assign task {task}, but it is already assigned"
        );
    }
}
