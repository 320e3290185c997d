//! Kafka Streams' task assignment (`engine::streams::assignor`): cases ported from Kafka's
//! `HighAvailabilityTaskAssignorTest` with their expected assignments (the `none` rack-aware
//! strategy), the behaviours a Streams rebalance shows in the simulation (first assignment, an
//! instance crash, scale-out with warm-ups and probing rebalances, cooperative hand-over), and
//! property tests over random groups.

use std::collections::{BTreeMap, BTreeSet};

use engine::command::TopicPartition;
use engine::streams::assignor::{
    AssignmentConfigs, ClientState, GroupAssignment, LATEST_OFFSET, NextRebalance, Subscription,
    SubscriptionInfo, TaskId, TaskSpec, assign, high_availability,
};
use proptest::prelude::*;

// ------------------------------------------------------------------------------------------------
// helpers for the task assignor (Kafka's AssignmentTestUtils)
// ------------------------------------------------------------------------------------------------

fn t(g: u32, p: u32) -> TaskId {
    TaskId::new(g, p)
}

fn tasks(list: &[(u32, u32)]) -> BTreeSet<TaskId> {
    list.iter().map(|(g, p)| t(*g, *p)).collect()
}

/// `TASK_0_0 … TASK_2_2`.
fn nine_tasks() -> BTreeSet<TaskId> {
    tasks(&[
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (1, 2),
        (2, 0),
        (2, 1),
        (2, 2),
    ])
}

/// `PID_n` (Kafka's `processIdForInt(n)`: UUIDs that sort like n, as these names do for n < 10).
fn pid(n: u32) -> String {
    format!("pid_{n}")
}

fn lags(tasks: &BTreeSet<TaskId>, lag: i64) -> BTreeMap<TaskId, i64> {
    tasks.iter().map(|t| (*t, lag)).collect()
}

fn client(
    active: &BTreeSet<TaskId>,
    standby: &BTreeSet<TaskId>,
    lags: BTreeMap<TaskId, i64>,
    capacity: u32,
) -> ClientState {
    ClientState::with_lags(active.clone(), standby.clone(), lags, capacity)
}

/// `getMockClientWithPreviousCaughtUpTasks`: lag 0 on its previous actives, `Long.MAX_VALUE`
/// on the other stateful tasks, one thread.
fn caught_up_on(active: &BTreeSet<TaskId>, stateful: &BTreeSet<TaskId>) -> ClientState {
    let lags = stateful
        .iter()
        .map(|t| (*t, if active.contains(t) { 0 } else { i64::MAX }))
        .collect();
    ClientState::with_lags(active.clone(), BTreeSet::new(), lags, 1)
}

/// `getClientStatesMap(states…)`: `PID_1`, `PID_2`, … in order.
fn clients(states: Vec<ClientState>) -> BTreeMap<String, ClientState> {
    states
        .into_iter()
        .zip(1..)
        .map(|(s, n)| (pid(n), s))
        .collect()
}

fn configs(
    acceptable_recovery_lag: i64,
    max_warmup_replicas: u32,
    num_standby_replicas: u32,
) -> AssignmentConfigs {
    AssignmentConfigs {
        acceptable_recovery_lag,
        max_warmup_replicas,
        num_standby_replicas,
        probing_rebalance_interval_ms: 60_000,
    }
}

/// `getConfigWithoutStandbys` / `getConfigWithStandbys`.
fn configs_with_standbys(n: u32) -> AssignmentConfigs {
    configs(100, 2, n)
}

/// `assertValidAssignment(numStandbyReplicas, maxWarmupReplicas, stateful, stateless, states)`:
/// every task once active, stateful ones with their standbys (as many as fit), allowing up to
/// `max_warmups` tasks one extra replica.
fn assert_valid_assignment(
    num_standby_replicas: usize,
    max_warmups: usize,
    stateful: &BTreeSet<TaskId>,
    stateless: &BTreeSet<TaskId>,
    states: &BTreeMap<String, ClientState>,
) {
    let mut holders: BTreeMap<TaskId, BTreeSet<&String>> = stateful
        .iter()
        .chain(stateless)
        .map(|t| (*t, BTreeSet::new()))
        .collect();
    for (id, state) in states {
        for task in state.active_tasks() {
            holders
                .get_mut(task)
                .expect("an extra active task")
                .insert(id);
        }
        for task in state.standby_tasks() {
            assert!(
                !stateless.contains(task),
                "a standby for stateless task {task}"
            );
            holders
                .get_mut(task)
                .expect("an extra standby task")
                .insert(id);
        }
    }
    let mut remaining_warmups = max_warmups;
    for (task, on) in &holders {
        let standbys = if stateless.contains(task) {
            0
        } else {
            num_standby_replicas
        };
        let expected = states.len().min(1 + standbys);
        if on.len() == expected {
            continue;
        }
        assert!(
            on.len() == expected + 1 && remaining_warmups > 0,
            "task {task} on {on:?}, expected {expected} replicas"
        );
        remaining_warmups -= 1;
    }
}

/// `assertBalancedActiveAssignment`: active tasks per thread differ by at most 1 across clients.
fn assert_balanced_active_assignment(states: &BTreeMap<String, ClientState>) {
    let loads: Vec<f64> = states
        .values()
        .map(|s| s.active_task_count() as f64 / f64::from(s.capacity()))
        .collect();
    let spread = loads.iter().cloned().fold(f64::MIN, f64::max)
        - loads.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread <= 1.0, "active loads {loads:?}");
}

/// `assertBalancedStatefulAssignment`: stateful tasks (active or standby) per thread differ by
/// at most 1.
fn assert_balanced_stateful_assignment(
    stateful: &BTreeSet<TaskId>,
    states: &BTreeMap<String, ClientState>,
) {
    let loads: Vec<f64> = states
        .values()
        .map(|s| {
            let n = s
                .active_tasks()
                .iter()
                .chain(s.standby_tasks())
                .filter(|t| stateful.contains(t))
                .count();
            n as f64 / f64::from(s.capacity())
        })
        .collect();
    let spread = loads.iter().cloned().fold(f64::MIN, f64::max)
        - loads.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread <= 1.0, "stateful loads {loads:?}");
}

/// `assertBalancedTasks(states, 1)`: per subtopology, active counts per client differ by ≤ 1.
fn assert_balanced_tasks(states: &BTreeMap<String, ClientState>) {
    let subtopologies: BTreeSet<u32> = states
        .values()
        .flat_map(|s| s.active_tasks())
        .map(|t| t.subtopology)
        .collect();
    for g in subtopologies {
        let counts: Vec<usize> = states
            .values()
            .map(|s| {
                s.active_tasks()
                    .iter()
                    .filter(|t| t.subtopology == g)
                    .count()
            })
            .collect();
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(max - min <= 1, "subtopology {g} skewed: {counts:?}");
    }
}

fn assign_ha(
    states: &mut BTreeMap<String, ClientState>,
    all: &BTreeSet<TaskId>,
    stateful: &BTreeSet<TaskId>,
    configs: &AssignmentConfigs,
) -> bool {
    high_availability::assign(states, all, stateful, configs).probing_rebalance_needed
}

// ------------------------------------------------------------------------------------------------
// HighAvailabilityTaskAssignorTest
// ------------------------------------------------------------------------------------------------

#[test]
fn should_be_sticky_for_active_and_standby_tasks_while_warming_up() {
    let all = nine_tasks();
    let none = BTreeSet::new();
    let mut states = clients(vec![
        client(&all, &none, lags(&all, 0), 1),
        client(&none, &all, lags(&all, 10), 1),
        client(&none, &none, lags(&all, i64::MAX), 1),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs(11, 2, 1));
    assert_eq!(states[&pid(1)].assigned_task_count(), 9);
    assert_eq!(states[&pid(2)].assigned_task_count(), 9);
    assert_eq!(states[&pid(3)].assigned_task_count(), 2);
    assert!(unstable);
}

#[test]
fn should_skip_warmups_when_acceptable_lag_is_max() {
    let all = nine_tasks();
    let none = BTreeSet::new();
    let mut states = clients(vec![
        client(&all, &none, lags(&all, 0), 1),
        client(&none, &none, lags(&all, i64::MAX), 1),
        client(&none, &none, lags(&all, i64::MAX), 1),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs(i64::MAX, 1, 1));
    for n in 1..=3 {
        assert_eq!(states[&pid(n)].assigned_task_count(), 6, "pid_{n}");
    }
    assert!(!unstable);
}

/// `shouldAssignActiveStatefulTasksEvenlyOver…`: equal lags everywhere (nobody more caught up
/// than anybody else), so the balanced assignment stands with no probing rebalance.
#[test]
fn should_assign_active_stateful_tasks_evenly_over_clients_and_threads() {
    let none = BTreeSet::new();
    // (tasks, capacities)
    let cases: Vec<(BTreeSet<TaskId>, Vec<u32>)> = vec![
        (nine_tasks(), vec![1, 1, 1]), // …WhereNumberOfClientsIntegralDivisorOfNumberOfTasks
        (nine_tasks(), vec![3, 3, 3]), // …WhereNumberOfThreadsIntegralDivisorOfNumberOfTasks
        (nine_tasks(), vec![1, 1]),    // …WhereNumberOfClientsNotIntegralDivisorOfNumberOfTasks
        (tasks(&[(0, 0), (0, 1)]), vec![1, 1, 1]), // …WithMoreClientsThanTasks
        (nine_tasks(), vec![9, 9, 9]), // …WithEqualStreamThreadsPerClientAsTasks
    ];
    for (all, capacities) in cases {
        let mut states = clients(
            capacities
                .iter()
                .map(|c| client(&none, &none, lags(&all, 10), *c))
                .collect(),
        );
        let unstable = assign_ha(&mut states, &all, &all, &configs(0, 1, 0));
        assert!(!unstable);
        assert_valid_assignment(0, 0, &all, &BTreeSet::new(), &states);
        assert_balanced_active_assignment(&states);
        assert_balanced_stateful_assignment(&all, &states);
        assert_balanced_tasks(&states);
    }
}

#[test]
fn should_assign_active_stateful_tasks_evenly_over_unevenly_distributed_stream_threads() {
    let all = tasks(&[(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![
        client(&none, &none, lags(&all, 10), 1),
        client(&none, &none, lags(&all, 10), 2),
        client(&none, &none, lags(&all, 10), 3),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs(0, 1, 0));
    assert!(!unstable);
    assert_valid_assignment(0, 0, &all, &BTreeSet::new(), &states);
    assert_balanced_active_assignment(&states);
    assert_eq!(states[&pid(1)].active_task_count(), 1);
    assert_eq!(states[&pid(2)].active_task_count(), 2);
    assert_eq!(states[&pid(3)].active_task_count(), 3);
}

#[test]
fn should_assign_warm_up_tasks_if_stateful_active_tasks_balanced_over_stream_threads_but_not_over_clients()
 {
    let all = tasks(&[(0, 0), (0, 1), (1, 0), (1, 1)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![
        client(&all, &none, lags(&all, 0), 5),
        client(&none, &none, lags(&all, i64::MAX), 5),
        client(&none, &none, lags(&all, i64::MAX), 5),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs(0, 2, 0));
    assert!(unstable);
    assert!(states[&pid(2)].standby_task_count() >= 1);
    assert!(states[&pid(3)].standby_task_count() >= 1);
    assert_valid_assignment(0, 2, &all, &BTreeSet::new(), &states);
}

#[test]
fn should_evenly_assign_active_stateful_tasks_if_clients_are_warmed_up_to_balance_task_over_clients()
 {
    let all = tasks(&[(0, 0), (0, 1), (1, 0), (1, 1)]);
    let none = BTreeSet::new();
    let mut warmed_up_1 = lags(&all, i64::MAX);
    warmed_up_1.insert(t(0, 1), 0);
    let mut warmed_up_2 = lags(&all, i64::MAX);
    warmed_up_2.insert(t(1, 0), 0);
    let mut states = clients(vec![
        client(&all, &none, lags(&all, 0), 5),
        client(&none, &tasks(&[(0, 1)]), warmed_up_1, 5),
        client(&none, &tasks(&[(1, 0)]), warmed_up_2, 5),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs(0, 2, 0));
    assert!(!unstable);
    assert_valid_assignment(0, 0, &all, &BTreeSet::new(), &states);
    assert_balanced_active_assignment(&states);
    assert_balanced_stateful_assignment(&all, &states);
    assert_balanced_tasks(&states);
}

#[test]
fn should_assign_active_stateful_tasks_evenly_over_stream_threads_but_best_effort_over_clients() {
    let all = nine_tasks();
    let none = BTreeSet::new();
    let mut states = clients(vec![
        client(&none, &none, lags(&all, 10), 6),
        client(&none, &none, lags(&all, 10), 3),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs(0, 1, 0));
    assert!(!unstable);
    assert_valid_assignment(0, 0, &all, &BTreeSet::new(), &states);
    assert_balanced_active_assignment(&states);
    assert_balanced_stateful_assignment(&all, &states);
    assert_eq!(states[&pid(1)].active_task_count(), 6);
    assert_eq!(states[&pid(2)].active_task_count(), 3);
}

#[test]
fn should_compute_new_assignment_if_there_are_unassigned_active_tasks() {
    let all = tasks(&[(0, 0), (0, 1)]);
    let stateful = tasks(&[(0, 0)]);
    let mut states = clients(vec![client(
        &stateful,
        &BTreeSet::new(),
        lags(&stateful, 0),
        1,
    )]);
    let unstable = assign_ha(&mut states, &all, &stateful, &configs_with_standbys(0));
    assert!(!unstable);
    assert_eq!(states[&pid(1)].active_task_count(), 2);
    assert_eq!(states[&pid(1)].standby_task_count(), 0);
}

#[test]
fn should_compute_new_assignment_if_there_are_unassigned_standby_tasks() {
    let all = tasks(&[(0, 0)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![
        client(&all, &none, lags(&all, 0), 1),
        client(&none, &none, lags(&all, 0), 1),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs_with_standbys(1));
    assert!(!states[&pid(2)].standby_tasks().is_empty());
    assert!(!unstable);
    assert_valid_assignment(1, 0, &all, &BTreeSet::new(), &states);
}

#[test]
fn should_compute_new_assignment_if_active_tasks_was_not_on_caught_up_client() {
    let all = tasks(&[(0, 0), (0, 1)]);
    let stateful = tasks(&[(0, 0)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![
        client(&tasks(&[(0, 0)]), &none, lags(&stateful, 500), 1),
        client(&tasks(&[(0, 1)]), &none, lags(&stateful, 0), 1),
    ]);
    let unstable = assign_ha(&mut states, &all, &stateful, &configs_with_standbys(0));
    assert_eq!(states[&pid(1)].active_tasks(), &tasks(&[(0, 1)]));
    assert_eq!(states[&pid(2)].active_tasks(), &tasks(&[(0, 0)]));
    // Kafka: "we'll warm up task 0_0 on client1 because it's first in sorted order".
    assert!(unstable);
    assert_valid_assignment(0, 1, &stateful, &tasks(&[(0, 1)]), &states);
}

#[test]
fn should_assign_to_most_caught_up_if_active_tasks_was_not_on_caught_up_client() {
    let all = tasks(&[(0, 0)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![
        client(&none, &none, lags(&all, i64::MAX), 1),
        client(&none, &none, lags(&all, 1000), 1),
        client(&none, &none, lags(&all, 500), 1),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs_with_standbys(1));
    assert_eq!(states[&pid(1)].active_tasks(), &none);
    assert_eq!(states[&pid(2)].active_tasks(), &none);
    assert_eq!(states[&pid(3)].active_tasks(), &all);
    assert_eq!(states[&pid(1)].standby_tasks(), &all, "warm-up");
    assert_eq!(states[&pid(2)].standby_tasks(), &all, "standby");
    assert_eq!(states[&pid(3)].standby_tasks(), &none);
    assert!(unstable);
    assert_valid_assignment(1, 1, &all, &BTreeSet::new(), &states);
}

#[test]
fn should_assign_standbys_for_stateful_tasks() {
    let all = tasks(&[(0, 0), (0, 1)]);
    let mut states = clients(vec![
        caught_up_on(&tasks(&[(0, 0)]), &all),
        caught_up_on(&tasks(&[(0, 1)]), &all),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs_with_standbys(1));
    assert_eq!(states[&pid(1)].active_tasks(), &tasks(&[(0, 0)]));
    assert_eq!(states[&pid(2)].active_tasks(), &tasks(&[(0, 1)]));
    assert_eq!(states[&pid(1)].standby_tasks(), &tasks(&[(0, 1)]));
    assert_eq!(states[&pid(2)].standby_tasks(), &tasks(&[(0, 0)]));
    assert!(!unstable);
}

#[test]
fn should_not_assign_standbys_for_stateless_tasks() {
    let all = tasks(&[(0, 0), (0, 1)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![caught_up_on(&none, &none), caught_up_on(&none, &none)]);
    let unstable = assign_ha(&mut states, &all, &none, &configs_with_standbys(1));
    assert_eq!(states[&pid(1)].active_task_count(), 1);
    assert_eq!(states[&pid(2)].active_task_count(), 1);
    assert_eq!(
        states[&pid(1)].standby_task_count() + states[&pid(2)].standby_task_count(),
        0
    );
    assert!(!unstable);
}

#[test]
fn should_assign_warmup_replicas_even_if_no_standby_replicas_configured() {
    let all = tasks(&[(0, 0), (0, 1)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![caught_up_on(&all, &all), caught_up_on(&none, &all)]);
    let unstable = assign_ha(&mut states, &all, &all, &configs_with_standbys(0));
    assert_eq!(states[&pid(1)].active_tasks(), &all);
    assert_eq!(states[&pid(2)].standby_task_count(), 1);
    assert_eq!(states[&pid(1)].standby_task_count(), 0);
    assert_eq!(states[&pid(2)].active_task_count(), 0);
    assert!(unstable);
}

#[test]
fn should_not_assign_more_than_max_warmup_replicas() {
    let all = tasks(&[(0, 0), (0, 1), (0, 2), (0, 3)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![caught_up_on(&all, &all), caught_up_on(&none, &all)]);
    let unstable = assign_ha(&mut states, &all, &all, &configs(100, 1, 0));
    assert_eq!(states[&pid(1)].active_tasks(), &all);
    assert_eq!(states[&pid(2)].standby_task_count(), 1);
    assert_eq!(states[&pid(1)].standby_task_count(), 0);
    assert_eq!(states[&pid(2)].active_task_count(), 0);
    assert!(unstable);
}

#[test]
fn should_not_assign_more_than_max_warmup_replicas_with_standbys() {
    let all = tasks(&[(0, 0), (0, 1), (0, 2), (0, 3)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![caught_up_on(&all, &all), caught_up_on(&none, &all)]);
    let unstable = assign_ha(&mut states, &all, &all, &configs(100, 1, 1));
    assert_eq!(states[&pid(1)].active_tasks(), &all);
    assert_eq!(states[&pid(2)].standby_tasks(), &all);
    assert_eq!(states[&pid(1)].standby_task_count(), 0);
    assert_eq!(states[&pid(2)].active_task_count(), 0);
    assert!(unstable);
}

#[test]
fn should_not_assign_any_standbys_with_insufficient_capacity() {
    let all = tasks(&[(0, 0), (0, 1)]);
    let mut states = clients(vec![caught_up_on(&all, &all)]);
    let unstable = assign_ha(&mut states, &all, &all, &configs_with_standbys(1));
    assert_eq!(states[&pid(1)].active_tasks(), &all);
    assert_eq!(states[&pid(1)].standby_task_count(), 0);
    assert!(!unstable);
}

#[test]
fn should_assign_active_tasks_to_not_caught_up_client_if_none_exist() {
    let all = tasks(&[(0, 0), (0, 1)]);
    let mut states = clients(vec![caught_up_on(&BTreeSet::new(), &all)]);
    let unstable = assign_ha(&mut states, &all, &all, &configs_with_standbys(1));
    assert_eq!(states[&pid(1)].active_tasks(), &all);
    assert_eq!(states[&pid(1)].standby_task_count(), 0);
    assert!(!unstable);
}

#[test]
fn should_not_assign_warmup_and_standby_to_the_same_client() {
    let all = tasks(&[(0, 0), (0, 1), (0, 2), (0, 3)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![
        caught_up_on(&all, &all),
        caught_up_on(&none, &all),
        caught_up_on(&none, &all),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs_with_standbys(1));
    assert_valid_assignment(1, 2, &all, &BTreeSet::new(), &states);
    assert!(unstable);
}

#[test]
fn should_distribute_stateless_tasks_to_balance_total_task_load() {
    let all = tasks(&[(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2)]);
    let stateful = tasks(&[(0, 0), (0, 1), (0, 2), (0, 3)]);
    let stateless = tasks(&[(1, 0), (1, 1), (1, 2)]);
    let none = BTreeSet::new();
    let mut states = clients(vec![
        caught_up_on(&stateful, &stateful),
        caught_up_on(&none, &stateful),
    ]);
    let unstable = assign_ha(&mut states, &all, &stateful, &configs_with_standbys(1));
    assert_valid_assignment(1, 2, &stateful, &stateless, &states);
    assert_balanced_active_assignment(&states);
    assert_balanced_stateful_assignment(&stateful, &states);
    // Only client 1 is caught up, so it keeps every stateful active and client 2 gets all the
    // stateless ones: subtopology 0 is skewed.
    assert_eq!(states[&pid(1)].active_tasks(), &stateful);
    assert_eq!(states[&pid(2)].active_tasks(), &stateless);
    assert!(unstable);
}

#[test]
fn should_distribute_stateful_active_tasks_to_all_clients() {
    let all = tasks(&[
        (0, 0),
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 0),
    ]);
    let none = BTreeSet::new();
    let mut states = clients(vec![
        client(&none, &none, lags(&all, 0), 100),
        client(&none, &none, lags(&all, 0), 50),
        client(&none, &none, lags(&all, 0), 1),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs_with_standbys(1));
    for n in 1..=3 {
        assert!(states[&pid(n)].active_task_count() > 0, "pid_{n}");
    }
    assert!(!unstable);
}

#[test]
fn should_return_false_if_previous_assignment_is_reused() {
    let all = tasks(&[(0, 0), (0, 1), (0, 2), (0, 3)]);
    let mut states = clients(vec![
        caught_up_on(&tasks(&[(0, 0), (0, 2)]), &all),
        caught_up_on(&tasks(&[(0, 1), (0, 3)]), &all),
    ]);
    let unstable = assign_ha(&mut states, &all, &all, &configs_with_standbys(0));
    assert!(!unstable);
    for n in 1..=2 {
        assert_eq!(
            states[&pid(n)].active_tasks(),
            states[&pid(n)].previous_active_tasks()
        );
    }
}

#[test]
fn should_distribute_stateless_tasks_evenly_with_no_stateful_tasks() {
    let all = tasks(&[(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (1, 2)]);
    let none = BTreeSet::new();
    // …WithEqualStreamThreadsPerClientAsTasks, …WithLessStreamThreadsPerClientAsTasks,
    // …WithUnevenlyDistributedStreamThreads, …WithPreviousAssignment.
    let cases: Vec<(Vec<u32>, bool)> = vec![
        (vec![7, 7, 7], false),
        (vec![2, 2, 2], false),
        (vec![1, 2, 3], false),
        (vec![3, 3, 3], true),
    ];
    for (capacities, previous) in cases {
        let states = capacities.iter().enumerate().map(|(i, c)| {
            let prev = if previous && i == 0 {
                all.clone()
            } else {
                none.clone()
            };
            client(&prev, &none, BTreeMap::new(), *c)
        });
        let mut states = clients(states.collect());
        let unstable = assign_ha(&mut states, &all, &none, &configs(0, 1, 0));
        assert_valid_assignment(0, 0, &none, &all, &states);
        assert_balanced_active_assignment(&states);
        assert!(!unstable);
    }
}
