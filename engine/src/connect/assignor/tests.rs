//! Kafka's `IncrementalCooperativeAssignorTest`, ported case by case with its harness
//! (`performStandardRebalance`, `applyAssignments`, the allocation assertions), asserting what
//! Kafka's test asserts; then the same rules through the bytes a worker and the leader exchange.

use std::collections::{BTreeMap, BTreeSet};

use super::load::{ConnectorsAndTasks, WorkerLoad, assign_connectors, assign_tasks};
use super::*;
use crate::connect::protocol::CONNECT_PROTOCOL_V1;

/// `MockTime` starts at the wall clock; any positive instant will do.
const START_MS: i64 = 1_700_000_000_000;
/// `CONFIG_OFFSET`: "arbitrary constant".
const CONFIG_OFFSET: i64 = 618;

/// The test class's fields and helpers.
struct Harness {
    connectors: BTreeMap<String, u32>,
    now: i64,
    rebalance_delay: i32,
    assignor: IncrementalCooperativeAssignor,
    generation_id: i32,
    returned: ClusterAssignment,
    /// `memberAssignments`, a `HashMap` in insertion order (the assignor applies the hash order).
    member_assignments: Vec<(String, ConnectorsAndTasks)>,
}

impl Harness {
    /// `setup()` with `rebalanceDelay` (the default unless a test customises it).
    fn new(rebalance_delay: i32) -> Self {
        let mut h = Harness {
            connectors: BTreeMap::new(),
            now: START_MS,
            rebalance_delay,
            assignor: IncrementalCooperativeAssignor::new(rebalance_delay),
            generation_id: 1000,
            returned: ClusterAssignment::default(),
            member_assignments: Vec::new(),
        };
        h.add_new_connector("connector1", 4);
        h.add_new_connector("connector2", 4);
        h.add_new_empty_workers(&["worker1"]);
        h.init_assignor();
        h
    }

    fn init_assignor(&mut self) {
        self.assignor = IncrementalCooperativeAssignor::new(self.rebalance_delay);
        self.assignor.previous_generation_id = self.generation_id;
    }

    fn sleep(&mut self, ms: i32) {
        self.now += i64::from(ms);
    }

    fn perform_standard_rebalance(&mut self) {
        self.perform_rebalance(false, false);
    }

    fn perform_failed_rebalance(&mut self) {
        self.perform_rebalance(true, false);
    }

    fn perform_rebalance_with_mismatched_generation(&mut self) {
        self.perform_rebalance(false, true);
    }

    fn perform_rebalance(&mut self, assignment_failure: bool, generation_mismatch: bool) {
        self.generation_id += 1;
        let last_completed = if generation_mismatch {
            self.generation_id - 2
        } else {
            self.generation_id - 1
        };
        let copy = self
            .member_assignments
            .iter()
            .map(|(w, a)| (w.clone(), ConnectorsAndTasks::with(&a.connectors, &a.tasks)))
            .collect();
        let config = self.config_state();
        self.returned = self.assignor.perform_task_assignment(
            &config,
            last_completed,
            self.generation_id,
            copy,
            self.now,
        );
        self.assert_no_redundant_assignments();
        if !assignment_failure {
            self.apply_assignments();
        }
    }

    fn add_new_empty_workers(&mut self, workers: &[&str]) {
        for w in workers {
            self.add_new_worker(w, Vec::new(), Vec::new());
        }
    }

    fn add_new_worker(
        &mut self,
        worker: &str,
        connectors: Vec<String>,
        tasks: Vec<ConnectorTaskId>,
    ) {
        assert!(
            !self.member_assignments.iter().any(|(w, _)| w == worker),
            "Worker {worker} already exists"
        );
        self.member_assignments.push((
            worker.to_string(),
            ConnectorsAndTasks::with(&connectors, &tasks),
        ));
    }

    fn remove_workers(&mut self, workers: &[&str]) {
        for worker in workers {
            let before = self.member_assignments.len();
            self.member_assignments.retain(|(w, _)| w != worker);
            assert_eq!(
                before - 1,
                self.member_assignments.len(),
                "Worker {worker} does not exist"
            );
        }
    }

    fn add_new_connector(&mut self, connector: &str, task_count: u32) {
        assert!(
            self.connectors
                .insert(connector.to_string(), task_count)
                .is_none()
        );
    }

    fn remove_connector(&mut self, connector: &str) {
        assert!(self.connectors.remove(connector).is_some());
    }

    fn config_state(&self) -> ConfigSnapshot {
        ConfigSnapshot {
            offset: CONFIG_OFFSET,
            connectors: self.connectors.clone(),
        }
    }

    fn all_workers(&self) -> BTreeSet<String> {
        let r = &self.returned;
        r.newly_assigned_connectors
            .keys()
            .chain(r.newly_assigned_tasks.keys())
            .chain(r.newly_revoked_connectors.keys())
            .chain(r.newly_revoked_tasks.keys())
            .chain(r.all_assigned_connectors.keys())
            .chain(r.all_assigned_tasks.keys())
            .cloned()
            .collect()
    }

    fn apply_assignments(&mut self) {
        for worker in self.all_workers() {
            if !self.member_assignments.iter().any(|(w, _)| *w == worker) {
                self.member_assignments
                    .push((worker.clone(), ConnectorsAndTasks::default()));
            }
            let r = &self.returned;
            let (_, a) = self
                .member_assignments
                .iter_mut()
                .find(|(w, _)| *w == worker)
                .expect("just ensured");
            let revoked = ConnectorsAndTasks {
                connectors: get_or_empty(&r.newly_revoked_connectors, &worker),
                tasks: get_or_empty(&r.newly_revoked_tasks, &worker),
            };
            a.remove_all(&revoked);
            a.add_all(&ConnectorsAndTasks {
                connectors: get_or_empty(&r.newly_assigned_connectors, &worker),
                tasks: get_or_empty(&r.newly_assigned_tasks, &worker),
            });
            assert_eq!(
                set(&a.connectors),
                set(&r.all_assigned_connectors[&worker]),
                "Complete connector assignment for worker {worker}"
            );
            assert_eq!(
                set(&a.tasks),
                set(&r.all_assigned_tasks[&worker]),
                "Complete task assignment for worker {worker}"
            );
        }
    }

    fn assert_empty_assignment(&self) {
        let r = &self.returned;
        assert!(r.newly_assigned_connectors.values().all(Vec::is_empty));
        assert!(r.newly_assigned_tasks.values().all(Vec::is_empty));
        assert!(r.newly_revoked_connectors.values().all(Vec::is_empty));
        assert!(r.newly_revoked_tasks.values().all(Vec::is_empty));
    }

    fn assert_workers(&self, workers: &[&str]) {
        let expected: BTreeSet<String> = workers.iter().map(|w| w.to_string()).collect();
        assert_eq!(expected, self.all_workers(), "Wrong set of workers");
    }

    fn allocations(&self, of: impl Fn(&ConnectorsAndTasks) -> usize) -> Vec<usize> {
        let mut counts: Vec<usize> = self.member_assignments.iter().map(|(_, a)| of(a)).collect();
        counts.sort();
        counts
    }

    fn assert_connector_allocations(&self, counts: &[usize]) {
        let mut expected = counts.to_vec();
        expected.sort();
        assert_eq!(
            expected,
            self.allocations(|a| a.connectors.len()),
            "connector allocations"
        );
    }

    fn assert_task_allocations(&self, counts: &[usize]) {
        let mut expected = counts.to_vec();
        expected.sort();
        assert_eq!(
            expected,
            self.allocations(|a| a.tasks.len()),
            "task allocations"
        );
    }

    fn assert_no_revocations(&self) {
        assert!(
            self.returned
                .newly_revoked_connectors
                .values()
                .all(Vec::is_empty)
        );
        assert!(
            self.returned
                .newly_revoked_tasks
                .values()
                .all(Vec::is_empty)
        );
    }

    fn assert_delay(&self, expected: i32) {
        assert_eq!(expected, self.assignor.delay, "Wrong rebalance delay");
    }

    /// No connector or task assigned last round is newly assigned again, and each newly
    /// assigned one goes to one worker.
    fn assert_no_redundant_assignments(&self) {
        let new_connectors: Vec<&String> = self
            .returned
            .newly_assigned_connectors
            .values()
            .flatten()
            .collect();
        let new_tasks: Vec<&ConnectorTaskId> = self
            .returned
            .newly_assigned_tasks
            .values()
            .flatten()
            .collect();
        assert_eq!(
            set(&new_connectors).len(),
            new_connectors.len(),
            "duplicate connectors"
        );
        assert_eq!(set(&new_tasks).len(), new_tasks.len(), "duplicate tasks");
        for (_, a) in &self.member_assignments {
            assert!(a.connectors.iter().all(|c| !new_connectors.contains(&c)));
            assert!(a.tasks.iter().all(|t| !new_tasks.contains(&t)));
        }
    }

    fn assert_balanced_and_complete_allocation(&self) {
        let connectors = self.allocations(|a| a.connectors.len());
        let tasks = self.allocations(|a| a.tasks.len());
        assert!(
            connectors[connectors.len() - 1] - connectors[0] <= 1,
            "{connectors:?}"
        );
        assert!(tasks[tasks.len() - 1] - tasks[0] <= 1, "{tasks:?}");
        let all_connectors: BTreeSet<&String> = self
            .member_assignments
            .iter()
            .flat_map(|(_, a)| &a.connectors)
            .collect();
        assert_eq!(all_connectors, self.connectors.keys().collect());
        let all_tasks: BTreeSet<&ConnectorTaskId> = self
            .member_assignments
            .iter()
            .flat_map(|(_, a)| &a.tasks)
            .collect();
        let expected: BTreeSet<ConnectorTaskId> = self
            .connectors
            .iter()
            .flat_map(|(c, n)| (0..*n).map(move |t| ConnectorTaskId::new(c, t as i32)))
            .collect();
        assert_eq!(all_tasks, expected.iter().collect());
    }
}

fn set<T: Ord + Clone>(items: &[T]) -> BTreeSet<T> {
    items.iter().cloned().collect()
}

fn new_connectors(start: usize, end: usize) -> Vec<String> {
    (start..end).map(|i| format!("connector{i}")).collect()
}

fn new_tasks(connector: &str, start: usize, end: usize) -> Vec<ConnectorTaskId> {
    (start..end)
        .map(|i| ConnectorTaskId::new(connector, i as i32))
        .collect()
}

fn worker_load(
    worker: &str,
    c_start: usize,
    c_num: usize,
    t_start: usize,
    t_num: usize,
) -> WorkerLoad {
    WorkerLoad::new(
        worker,
        new_connectors(c_start, c_start + c_num),
        new_tasks("task", t_start, t_start + t_num),
    )
}

fn load_of<'a>(loads: &'a [WorkerLoad], worker: &str) -> &'a WorkerLoad {
    loads
        .iter()
        .find(|w| w.worker == worker)
        .expect("a worker of the test")
}

#[test]
fn task_assignment_when_worker_joins() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    // First assignment with 1 worker and 2 connectors configured but not yet assigned
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1"]);
    h.assert_connector_allocations(&[2]);
    h.assert_task_allocations(&[8]);
    h.assert_balanced_and_complete_allocation();

    // Second assignment with a second worker joining and all connectors running on previous worker
    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_connector_allocations(&[0, 1]);
    h.assert_task_allocations(&[0, 4]);

    // Third assignment after revocations
    h.perform_standard_rebalance();
    h.assert_no_revocations();
    h.assert_delay(0);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();

    // A fourth rebalance after delay should not change assignments
    h.sleep(h.assignor.delay);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_empty_assignment();
}

#[test]
fn assignments_when_workers_join_after_revocations() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.add_new_connector("connector3", 4);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1"]);
    h.assert_connector_allocations(&[3]);
    h.assert_task_allocations(&[12]);
    h.assert_balanced_and_complete_allocation();

    // A second worker joins: revoke.
    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_connector_allocations(&[0, 2]);
    h.assert_task_allocations(&[0, 6]);

    // A third joins right after: a successive revoking rebalance, so no revocations this round.
    h.add_new_empty_workers(&["worker3"]);
    h.perform_standard_rebalance();
    assert!(h.assignor.delay > 0);
    h.assert_workers(&["worker1", "worker2", "worker3"]);
    h.assert_connector_allocations(&[0, 1, 2]);
    h.assert_task_allocations(&[3, 3, 6]);

    // A fourth joins after the backoff expired: revoke.
    h.sleep(h.assignor.delay);
    h.add_new_empty_workers(&["worker4"]);
    h.perform_standard_rebalance();
    h.assert_workers(&["worker1", "worker2", "worker3", "worker4"]);
    h.assert_connector_allocations(&[0, 0, 1, 1]);
    h.assert_task_allocations(&[0, 3, 3, 3]);

    // A fifth joins right after a revoking rebalance: no revocations, a delay past 40 ms.
    h.add_new_empty_workers(&["worker5"]);
    h.perform_standard_rebalance();
    assert!(h.assignor.delay > 40);
    h.assert_workers(&["worker1", "worker2", "worker3", "worker4", "worker5"]);
    h.assert_connector_allocations(&[0, 0, 1, 1, 1]);
    h.assert_task_allocations(&[1, 2, 3, 3, 3]);

    // A sixth joins after the expiry: revoke.
    h.sleep(h.assignor.delay);
    h.add_new_empty_workers(&["worker6"]);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&[
        "worker1", "worker2", "worker3", "worker4", "worker5", "worker6",
    ]);
    h.assert_connector_allocations(&[0, 0, 0, 1, 1, 1]);
    h.assert_task_allocations(&[0, 1, 2, 2, 2, 2]);

    // Follow-up rebalance since there were revocations.
    h.perform_standard_rebalance();
    h.assert_workers(&[
        "worker1", "worker2", "worker3", "worker4", "worker5", "worker6",
    ]);
    h.assert_connector_allocations(&[0, 0, 0, 1, 1, 1]);
    h.assert_task_allocations(&[2, 2, 2, 2, 2, 2]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn immediate_revocations_when_max_delay_is_0() {
    let mut h = Harness::new(0);
    h.add_new_connector("connector3", 4);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_connector_allocations(&[3]);
    h.assert_task_allocations(&[12]);

    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[0, 2]);
    h.assert_task_allocations(&[0, 6]);

    // A successive revoking rebalance, but with a max delay of 0 it revokes anyway.
    h.add_new_empty_workers(&["worker3"]);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1", "worker2", "worker3"]);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[3, 3, 4]);

    h.perform_standard_rebalance();
    h.assert_no_revocations();
    h.assert_connector_allocations(&[1, 1, 1]);
    h.assert_task_allocations(&[4, 4, 4]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn successive_revocations_when_max_delay_is_equal_to_exp_backoff_initial_interval() {
    let mut h = Harness::new(1);
    h.add_new_connector("connector3", 4);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_connector_allocations(&[3]);
    h.assert_task_allocations(&[12]);

    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[0, 2]);
    h.assert_task_allocations(&[0, 6]);

    // No revocations: the max delay is 1 ms.
    h.add_new_empty_workers(&["worker3"]);
    h.perform_standard_rebalance();
    h.assert_delay(1);
    h.assert_connector_allocations(&[0, 1, 2]);
    h.assert_task_allocations(&[3, 3, 6]);
}

#[test]
fn worker_joining_during_delayed_rebalance() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.add_new_connector("connector3", 4);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_connector_allocations(&[3]);
    h.assert_task_allocations(&[12]);

    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[0, 2]);
    h.assert_task_allocations(&[0, 6]);

    // A successive revoking rebalance: no revocations, but the revoked work is allocated.
    h.add_new_empty_workers(&["worker3"]);
    h.perform_standard_rebalance();
    assert!(h.assignor.delay > 0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[0, 1, 2]);
    h.assert_task_allocations(&[3, 3, 6]);

    // A fourth worker joins while the delayed rebalance is active: no revocations.
    h.sleep(h.assignor.delay / 2);
    h.add_new_empty_workers(&["worker4"]);
    h.perform_standard_rebalance();
    assert!(h.assignor.delay > 0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[0, 0, 1, 2]);
    h.assert_task_allocations(&[0, 3, 3, 6]);

    // A fifth after the delay expired: load-balancing revocations.
    h.sleep(h.assignor.delay);
    h.add_new_empty_workers(&["worker5"]);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_connector_allocations(&[0, 0, 0, 1, 1]);
    h.assert_task_allocations(&[0, 0, 2, 3, 3]);

    // The follow-up allocates the revoked work evenly.
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[0, 0, 1, 1, 1]);
    h.assert_task_allocations(&[2, 2, 2, 3, 3]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn task_assignment_when_worker_leaves_permanently() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();

    // A follower leaves: nothing is reassigned, the count-down starts.
    h.remove_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_delay(h.rebalance_delay);
    h.assert_workers(&["worker1"]);
    h.assert_empty_assignment();

    h.sleep(h.rebalance_delay / 2);
    // An incidental rebalance before the delay expires.
    h.perform_standard_rebalance();
    h.assert_delay(h.rebalance_delay / 2);
    h.assert_empty_assignment();

    h.sleep(h.rebalance_delay / 2 + 1);
    // After the delay: the lost work is reassigned.
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_connector_allocations(&[2]);
    h.assert_task_allocations(&[8]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn task_assignment_when_worker_bounces() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);

    h.remove_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_delay(h.rebalance_delay);
    h.assert_workers(&["worker1"]);
    h.assert_empty_assignment();

    h.sleep(h.rebalance_delay / 2);
    h.perform_standard_rebalance();
    h.assert_delay(h.rebalance_delay / 2);
    h.assert_empty_assignment();

    h.sleep(h.rebalance_delay / 4);
    // The worker returns before the delay expires: nothing is reassigned yet.
    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_delay(h.rebalance_delay / 4);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_empty_assignment();

    h.sleep(h.rebalance_delay / 4);
    // The delay expired: the returning worker gets its work back, nothing is revoked.
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn task_assignment_when_leader_leaves_permanently() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.add_new_empty_workers(&["worker2", "worker3"]);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1", "worker2", "worker3"]);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[2, 3, 3]);
    h.assert_balanced_and_complete_allocation();

    // The leader leaves; the new leader starts from a clean slate: no delay, all reassigned.
    h.remove_workers(&["worker1"]);
    h.init_assignor();
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker2", "worker3"]);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();

    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_empty_assignment();
}

#[test]
fn task_assignment_when_leader_bounces() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.add_new_empty_workers(&["worker2", "worker3"]);
    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[2, 3, 3]);

    h.remove_workers(&["worker1"]);
    h.init_assignor();
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker2", "worker3"]);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();

    // The old leader returns as a follower: a new worker, so revocation at once.
    h.add_new_empty_workers(&["worker1"]);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1", "worker2", "worker3"]);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 3, 3]);

    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[2, 3, 3]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn task_assignment_when_first_assignment_attempt_fails() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.add_new_empty_workers(&["worker2"]);
    h.perform_failed_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_connector_allocations(&[0, 0]);
    h.assert_task_allocations(&[0, 0]);

    // Same members, same (empty) assignments: the lost work is treated as new, no delay.
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn task_assignment_when_subsequent_assignment_attempt_fails() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);

    // A third worker joins; the revoking assignment is not delivered.
    h.add_new_empty_workers(&["worker3"]);
    h.perform_failed_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1", "worker2", "worker3"]);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 4, 4]);

    // A consecutive revoking rebalance: a delay, no revocations.
    h.perform_standard_rebalance();
    assert!(h.assignor.delay > 0);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 4, 4]);

    h.sleep(h.assignor.delay);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 3, 3]);

    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[2, 3, 3]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn task_assignment_when_subsequent_assignment_attempt_fails_outside_the_assignor() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);

    h.add_new_empty_workers(&["worker3"]);
    h.perform_failed_rebalance();
    h.assert_delay(0);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 4, 4]);

    // The leader's SyncGroup failed: its last completed generation is older.
    h.perform_rebalance_with_mismatched_generation();
    assert!(h.assignor.delay > 0);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 4, 4]);

    h.sleep(h.assignor.delay);
    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 3, 3]);

    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[2, 3, 3]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn task_assignment_when_connectors_are_deleted() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.add_new_connector("connector3", 4);
    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_connector_allocations(&[1, 2]);
    h.assert_task_allocations(&[6, 6]);
    h.assert_balanced_and_complete_allocation();

    // The config topic no longer has connector3.
    h.remove_connector("connector3");
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn assign_connectors_and_tasks_when_balanced() {
    let existing = || -> Vec<WorkerLoad> {
        (0..3)
            .map(|i| worker_load(&format!("worker{i}"), i * 2, 2, i * 2, 2))
            .collect()
    };
    let mut expected = existing();
    expected[0]
        .connectors
        .extend(["connector6".into(), "connector9".into()]);
    expected[1]
        .connectors
        .extend(["connector7".into(), "connector10".into()]);
    expected[2].connectors.push("connector8".into());

    let mut loads = existing();
    assign_connectors(&mut loads, &new_connectors(6, 11));
    assert_eq!(expected, loads);

    expected[0].tasks.extend(new_tasks("task", 6, 7));
    expected[0].tasks.extend(new_tasks("task", 9, 10));
    expected[1].tasks.extend(new_tasks("task", 7, 8));
    expected[1].tasks.extend(new_tasks("task", 10, 11));
    expected[2].tasks.extend(new_tasks("task", 8, 9));
    assign_tasks(&mut loads, &new_tasks("task", 6, 11));
    assert_eq!(expected, loads);
}

#[test]
fn assign_connectors_when_imbalanced() {
    let mut loads = vec![
        worker_load("worker0", 0, 2, 0, 2),
        worker_load("worker1", 2, 3, 2, 3),
        worker_load("worker2", 5, 4, 5, 4),
        WorkerLoad::new("worker3", Vec::new(), Vec::new()),
    ];
    assign_connectors(&mut loads, &new_connectors(9, 24));
    assign_tasks(&mut loads, &new_tasks("task", 9, 24));
    for worker in &loads {
        assert_eq!(6, worker.connectors.len());
        assert_eq!(6, worker.tasks.len());
    }
}

/// The three workers of the lost-assignment tests, in `HashMap<String, WorkerLoad>` order.
fn configured_assignment() -> Vec<WorkerLoad> {
    vec![
        worker_load("worker0", 0, 2, 0, 4),
        worker_load("worker1", 2, 2, 4, 4),
        worker_load("worker2", 4, 2, 8, 4),
    ]
}

fn names(loads: &[WorkerLoad]) -> Vec<String> {
    loads.iter().map(|w| w.worker.clone()).collect()
}

#[test]
fn lost_assignment_handling_when_worker_bounces() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    let delay = h.rebalance_delay;
    let a = &mut h.assignor;
    let mut loads = configured_assignment();

    // No lost assignments
    a.handle_lost_assignments(
        &ConnectorsAndTasks::default(),
        &mut ConnectorsAndTasks::default(),
        &mut loads,
        h.now,
    );
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));

    a.previous_members = names(&loads);
    let lost_load = loads.remove(1);
    let flaky = lost_load.worker.clone();
    let lost = ConnectorsAndTasks::with(&lost_load.connectors, &lost_load.tasks);

    // Lost assignments detected, no candidate worker yet.
    a.handle_lost_assignments(&lost, &mut ConnectorsAndTasks::default(), &mut loads, h.now);
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!(a.scheduled_rebalance, h.now + i64::from(delay));
    assert_eq!(a.delay, delay);

    a.previous_members = names(&loads);
    h.now += i64::from(delay / 2);
    let delay = delay / 2;

    // A new (probably the returning) worker joins.
    loads.push(WorkerLoad::new(&flaky, Vec::new(), Vec::new()));
    a.handle_lost_assignments(&lost, &mut ConnectorsAndTasks::default(), &mut loads, h.now);
    assert_eq!(a.candidate_workers_for_reassignment, vec![flaky.clone()]);
    assert_eq!(a.scheduled_rebalance, h.now + i64::from(delay));
    assert_eq!(a.delay, delay);

    a.previous_members = names(&loads);
    h.now += i64::from(delay);

    // The delay expired; the returning worker still has nothing: it gets the lost work.
    a.handle_lost_assignments(&lost, &mut ConnectorsAndTasks::default(), &mut loads, h.now);
    let returned = load_of(&loads, &flaky);
    assert!(
        lost.connectors
            .iter()
            .all(|c| returned.connectors.contains(c))
    );
    assert!(lost.tasks.iter().all(|t| returned.tasks.contains(t)));
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
}

#[test]
fn lost_assignment_handling_when_worker_leaves_permanently() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    let delay = h.rebalance_delay;
    let a = &mut h.assignor;
    let mut loads = configured_assignment();
    a.handle_lost_assignments(
        &ConnectorsAndTasks::default(),
        &mut ConnectorsAndTasks::default(),
        &mut loads,
        h.now,
    );
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));

    a.previous_members = names(&loads);
    let lost_load = loads.remove(1);
    let lost = ConnectorsAndTasks::with(&lost_load.connectors, &lost_load.tasks);
    a.handle_lost_assignments(&lost, &mut ConnectorsAndTasks::default(), &mut loads, h.now);
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!(a.scheduled_rebalance, h.now + i64::from(delay));
    assert_eq!(a.delay, delay);

    // As Kafka's test: `previousMembers = memberAssignments.keySet()` (just worker1).
    a.previous_members = vec!["worker1".to_string()];
    h.now += i64::from(delay / 2);
    let delay = delay / 2;

    // No new worker has joined.
    a.handle_lost_assignments(&lost, &mut ConnectorsAndTasks::default(), &mut loads, h.now);
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!(a.scheduled_rebalance, h.now + i64::from(delay));
    assert_eq!(a.delay, delay);

    h.now += i64::from(delay);
    // The delay expired, no candidate: the lost work is reassigned as new work.
    let mut to_reassign = ConnectorsAndTasks::default();
    a.handle_lost_assignments(&lost, &mut to_reassign, &mut loads, h.now);
    assert_eq!(to_reassign, lost);
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
}

#[test]
fn lost_assignment_handling_with_more_than_one_candidates() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    let delay = h.rebalance_delay;
    let a = &mut h.assignor;
    let mut loads = configured_assignment();
    a.handle_lost_assignments(
        &ConnectorsAndTasks::default(),
        &mut ConnectorsAndTasks::default(),
        &mut loads,
        h.now,
    );

    a.previous_members = names(&loads);
    let lost_load = loads.remove(1);
    let flaky = lost_load.worker.clone();
    let lost = ConnectorsAndTasks::with(&lost_load.connectors, &lost_load.tasks);
    let new_worker = "worker3".to_string();
    loads.push(WorkerLoad::new(&new_worker, Vec::new(), Vec::new()));

    // Lost assignments, and a new worker that is not the returning one.
    a.handle_lost_assignments(&lost, &mut ConnectorsAndTasks::default(), &mut loads, h.now);
    assert_eq!(
        a.candidate_workers_for_reassignment,
        vec![new_worker.clone()]
    );
    assert_eq!(a.scheduled_rebalance, h.now + i64::from(delay));
    assert_eq!(a.delay, delay);

    a.previous_members = names(&loads);
    h.now += i64::from(delay / 2);
    let delay = delay / 2;

    // Now two new workers.
    loads.push(WorkerLoad::new(&flaky, Vec::new(), Vec::new()));
    a.handle_lost_assignments(&lost, &mut ConnectorsAndTasks::default(), &mut loads, h.now);
    assert_eq!(
        set(&a.candidate_workers_for_reassignment),
        set(&[new_worker.clone(), flaky.clone()])
    );
    assert_eq!(a.scheduled_rebalance, h.now + i64::from(delay));
    assert_eq!(a.delay, delay);

    a.previous_members = names(&loads);
    h.now += i64::from(delay);

    // Both candidates got other work meanwhile; they still share the lost work.
    for (name, c_start, t_start) in [(&flaky, 6, 8), (&new_worker, 8, 12)] {
        let i = loads.iter().position(|w| w.worker == *name).unwrap();
        loads[i] = worker_load(name, c_start, 2, t_start, 4);
    }
    a.handle_lost_assignments(&lost, &mut ConnectorsAndTasks::default(), &mut loads, h.now);
    let both: Vec<&WorkerLoad> = vec![load_of(&loads, &new_worker), load_of(&loads, &flaky)];
    assert!(
        lost.connectors
            .iter()
            .all(|c| both.iter().any(|w| w.connectors.contains(c)))
    );
    assert!(
        lost.tasks
            .iter()
            .all(|t| both.iter().any(|w| w.tasks.contains(t)))
    );
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
}

#[test]
fn lost_assignment_handling_when_worker_bounces_back_but_finally_leaves() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    let delay = h.rebalance_delay;
    let a = &mut h.assignor;
    let mut loads = configured_assignment();
    a.handle_lost_assignments(
        &ConnectorsAndTasks::default(),
        &mut ConnectorsAndTasks::default(),
        &mut loads,
        h.now,
    );

    a.previous_members = names(&loads);
    let lost_load = loads.remove(1);
    let flaky = lost_load.worker.clone();
    let lost = ConnectorsAndTasks::with(&lost_load.connectors, &lost_load.tasks);
    a.handle_lost_assignments(&lost, &mut ConnectorsAndTasks::default(), &mut loads, h.now);
    assert_eq!(a.delay, delay);

    a.previous_members = names(&loads);
    h.now += i64::from(delay / 2);
    let delay = delay / 2;
    loads.push(WorkerLoad::new(&flaky, Vec::new(), Vec::new()));
    a.handle_lost_assignments(&lost, &mut ConnectorsAndTasks::default(), &mut loads, h.now);
    assert_eq!(a.candidate_workers_for_reassignment, vec![flaky.clone()]);
    assert_eq!(a.scheduled_rebalance, h.now + i64::from(delay));

    a.previous_members = names(&loads);
    h.now += i64::from(delay);
    // The returning worker leaves for good before the delay ends.
    loads.retain(|w| w.worker != flaky);
    let mut to_reassign = ConnectorsAndTasks::default();
    a.handle_lost_assignments(&lost, &mut to_reassign, &mut loads, h.now);
    assert_eq!(to_reassign, lost);
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
}

#[test]
fn lost_assignment_handling_when_scheduled_delay_is_disabled() {
    let mut h = Harness::new(0);
    let a = &mut h.assignor;
    let mut loads = configured_assignment();
    a.handle_lost_assignments(
        &ConnectorsAndTasks::default(),
        &mut ConnectorsAndTasks::default(),
        &mut loads,
        h.now,
    );
    a.previous_members = names(&loads);
    let lost_load = loads.remove(1);
    let lost = ConnectorsAndTasks::with(&lost_load.connectors, &lost_load.tasks);
    // Reassigned immediately.
    let mut to_reassign = ConnectorsAndTasks::default();
    a.handle_lost_assignments(&lost, &mut to_reassign, &mut loads, h.now);
    assert!(a.candidate_workers_for_reassignment.is_empty());
    assert_eq!((a.scheduled_rebalance, a.delay), (0, 0));
    assert_eq!(to_reassign, lost);
}

#[test]
fn scheduled_delay_is_disabled() {
    let mut h = Harness::new(0);
    h.add_new_empty_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);

    // A follower leaves: its work is reassigned at once.
    h.remove_workers(&["worker2"]);
    h.perform_standard_rebalance();
    h.assert_delay(h.rebalance_delay);
    h.assert_workers(&["worker1"]);
    h.assert_connector_allocations(&[2]);
    h.assert_task_allocations(&[8]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn task_assignment_when_tasks_duplicated_in_worker_assignment() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[2]);
    h.assert_task_allocations(&[8]);

    // A second worker joins claiming connector1 and its tasks, which worker1 runs too.
    h.add_new_worker(
        "worker2",
        new_connectors(1, 2),
        new_tasks("connector1", 0, 4),
    );
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_connector_allocations(&[0, 1]);
    h.assert_task_allocations(&[0, 4]);

    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();

    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_empty_assignment();
}

#[test]
fn duplicated_assignment_handle_when_the_duplicated_assignments_deleted() {
    let mut h = Harness::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    h.perform_standard_rebalance();
    h.assert_connector_allocations(&[2]);
    h.assert_task_allocations(&[8]);

    // connector1 is deleted while a worker joins claiming it.
    h.remove_connector("connector1");
    h.add_new_worker(
        "worker2",
        new_connectors(1, 2),
        new_tasks("connector1", 0, 4),
    );
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_connector_allocations(&[0, 1]);
    h.assert_task_allocations(&[0, 2]);

    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[0, 1]);
    h.assert_task_allocations(&[2, 2]);
    h.assert_balanced_and_complete_allocation();

    h.sleep(h.assignor.delay);
    h.perform_standard_rebalance();
    h.assert_delay(0);
    h.assert_empty_assignment();
}

// ---- Through the bytes: what `WorkerCoordinator` does around the assignor. ----

/// A distributed worker as far as the protocol goes: its assignment snapshot.
struct Worker {
    id: String,
    snapshot: Option<ExtendedAssignment>,
}

/// One rebalance through the bytes: every worker's JoinGroup metadata is encoded and decoded,
/// the leader assigns, each worker decodes its SyncGroup bytes and merges them into its
/// snapshot (`onJoinComplete`).
fn rebalance(
    assignor: &mut IncrementalCooperativeAssignor,
    workers: &mut [Worker],
    config: &mut ConfigSnapshot,
    generation: i32,
    now_ms: u64,
) -> GroupAssignment {
    let members: Vec<(String, ExtendedWorkerState)> = workers
        .iter()
        .map(|w| {
            let state = ExtendedWorkerState {
                url: format!("http://{}:8083/", w.id),
                offset: config.offset,
                assignment: w.snapshot.clone(),
            };
            let bytes = state.serialize(true);
            (
                w.id.clone(),
                ExtendedWorkerState::deserialize(&bytes).unwrap(),
            )
        })
        .collect();
    let rebalance = Rebalance {
        leader_id: &workers[0].id,
        protocol: ConnectProtocolCompatibility::Sessioned,
        members: &members,
        generation_id: generation,
        last_completed_generation_id: generation - 1,
        now_ms,
    };
    let fresh = config.clone();
    let result = assignor.perform_assignment(&rebalance, config, || fresh);
    let bytes: BTreeMap<String, Bytes> = result.serialize().into_iter().collect();
    for w in workers.iter_mut() {
        let assignment = ExtendedAssignment::deserialize(&bytes[&w.id]).unwrap();
        w.snapshot = Some(assignment.augment(w.snapshot.as_ref()));
    }
    result
}

fn runs(worker: &Worker) -> (BTreeSet<String>, BTreeSet<ConnectorTaskId>) {
    let s = worker.snapshot.as_ref().unwrap();
    (set(&s.connectors), set(&s.tasks))
}

#[test]
fn a_worker_that_returns_within_the_delay_gets_its_work_back_through_the_protocol() {
    let mut assignor =
        IncrementalCooperativeAssignor::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    let mut config = ConfigSnapshot {
        offset: 5,
        connectors: [("jdbc".to_string(), 2), ("file".to_string(), 2)].into(),
    };
    let worker = |id: &str| Worker {
        id: id.to_string(),
        snapshot: None,
    };
    let mut workers = vec![worker("w1"), worker("w2")];
    let mut now = 10_000u64;
    rebalance(&mut assignor, &mut workers, &mut config, 1, now);
    let before = runs(&workers[1]);
    assert_eq!(before.0.len() + runs(&workers[0]).0.len(), 2);
    assert_eq!(before.1.len(), 2);

    // w2 dies: w1 is told to wait the full delay; nothing of w2's is reassigned.
    let w2 = workers.pop().unwrap();
    now += 1_000;
    let result = rebalance(&mut assignor, &mut workers, &mut config, 2, now);
    let to_w1 = &result.assignments["w1"];
    assert_eq!(to_w1.delay, SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    assert!(to_w1.connectors.is_empty() && to_w1.tasks.is_empty());
    assert_eq!(assignor.scheduled_rebalance_ms(), Some(now + 300_000));

    // w2 comes back (a new member with nothing) a minute later: still waiting, 4 minutes left.
    workers.push(Worker {
        id: w2.id.clone(),
        snapshot: None,
    });
    now += 60_000;
    let result = rebalance(&mut assignor, &mut workers, &mut config, 3, now);
    assert_eq!(result.assignments["w2"].delay, 240_000);
    assert!(result.assignments["w2"].tasks.is_empty());

    // The delay expires: the returning worker gets exactly its old work back.
    now += 240_000;
    let result = rebalance(&mut assignor, &mut workers, &mut config, 4, now);
    assert_eq!(result.assignments["w2"].delay, 0);
    assert!(result.assignments["w1"].revoked_tasks.is_empty());
    assert_eq!(runs(&workers[1]), before);
    assert_eq!(
        result.leader_state.unwrap().tasks["w2"]
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>(),
        before.1
    );
}

#[test]
fn a_worker_that_does_not_return_has_its_work_reassigned_right_after_the_delay() {
    let mut assignor =
        IncrementalCooperativeAssignor::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    let mut config = ConfigSnapshot {
        offset: 5,
        connectors: [("jdbc".to_string(), 3)].into(),
    };
    let mut workers: Vec<Worker> = ["w1", "w2", "w3"]
        .iter()
        .map(|id| Worker {
            id: id.to_string(),
            snapshot: None,
        })
        .collect();
    let mut now = 0u64;
    rebalance(&mut assignor, &mut workers, &mut config, 1, now);
    let lost = runs(&workers[2]);
    workers.pop();
    now += 3_000;
    let result = rebalance(&mut assignor, &mut workers, &mut config, 2, now);
    assert_eq!(result.assignments["w1"].delay, 300_000);
    // The workers rejoin when told; the delay has run out: the lost work is assigned as new.
    now += 300_000;
    let result = rebalance(&mut assignor, &mut workers, &mut config, 3, now);
    let newly: BTreeSet<ConnectorTaskId> = result
        .assignments
        .values()
        .flat_map(|a| a.tasks.iter().cloned())
        .collect();
    assert_eq!(newly, lost.1);
    let all: Vec<ConnectorTaskId> = workers
        .iter()
        .flat_map(|w| w.snapshot.as_ref().unwrap().tasks.clone())
        .collect();
    assert_eq!(set(&all).len(), 3);
    assert_eq!(all.len(), 3);
    assert_eq!(assignor.scheduled_rebalance_ms(), None);
}

#[test]
fn a_leader_behind_the_config_topic_answers_config_mismatch() {
    let mut assignor =
        IncrementalCooperativeAssignor::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
    let mut leader_config = ConfigSnapshot {
        offset: 3,
        connectors: BTreeMap::new(),
    };
    let state = |offset| ExtendedWorkerState {
        url: "http://w:8083/".into(),
        offset,
        assignment: None,
    };
    let members = vec![("w1".to_string(), state(3)), ("w2".to_string(), state(7))];
    let rebalance = Rebalance {
        leader_id: "w1",
        protocol: ConnectProtocolCompatibility::Compatible,
        members: &members,
        generation_id: 1,
        last_completed_generation_id: -1,
        now_ms: 0,
    };
    // The fresh snapshot has not caught up either: everyone gets CONFIG_MISMATCH at offset 7.
    let stale = leader_config.clone();
    let result = assignor.perform_assignment(&rebalance, &mut leader_config, || stale);
    assert_eq!(result.leader_state, None);
    for a in result.assignments.values() {
        assert!(a.failed());
        assert_eq!((a.offset, a.version), (7, CONNECT_PROTOCOL_V1));
    }
    // A fresh snapshot that has caught up is used, and becomes the leader's snapshot.
    let caught_up = ConfigSnapshot {
        offset: 8,
        connectors: [("c".to_string(), 1)].into(),
    };
    let fresh = caught_up.clone();
    let result = assignor.perform_assignment(&rebalance, &mut leader_config, || fresh);
    assert_eq!(leader_config, caught_up);
    let assigned: usize = result.assignments.values().map(|a| a.tasks.len()).sum();
    assert_eq!(assigned, 1);
    assert!(
        result
            .assignments
            .values()
            .all(|a| !a.failed() && a.offset == 8)
    );
}

#[test]
fn assignments_carry_the_selected_protocols_version() {
    // testProtocolV1 / testProtocolV2.
    for (protocol, version) in [
        (ConnectProtocolCompatibility::Compatible, 1),
        (ConnectProtocolCompatibility::Sessioned, 2),
    ] {
        let mut assignor =
            IncrementalCooperativeAssignor::new(SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT);
        let members = vec![(
            "followMe".to_string(),
            ExtendedWorkerState {
                url: "followMe:618".into(),
                offset: CONFIG_OFFSET,
                assignment: None,
            },
        )];
        let rebalance = Rebalance {
            leader_id: "followMe",
            protocol,
            members: &members,
            generation_id: 1,
            last_completed_generation_id: -1,
            now_ms: 0,
        };
        let mut config = ConfigSnapshot {
            offset: CONFIG_OFFSET,
            connectors: BTreeMap::new(),
        };
        let fresh = config.clone();
        let result = assignor.perform_assignment(&rebalance, &mut config, || fresh);
        assert!(result.leader_state.is_some());
        for (_, bytes) in result.serialize() {
            assert_eq!(
                ExtendedAssignment::deserialize(&bytes).unwrap().version,
                version
            );
        }
    }
}

#[test]
fn members_are_visited_in_java_hash_map_order() {
    // "Aa" and "BB" share a bucket (JoinGroup order decides), "a" is in the next one.
    let entries = vec![
        ("a".to_string(), 1),
        ("BB".to_string(), 2),
        ("Aa".to_string(), 3),
    ];
    let order: Vec<String> = hash_map_order(entries)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(order, vec!["BB", "Aa", "a"]);
}
