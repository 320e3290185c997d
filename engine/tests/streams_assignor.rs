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

// ------------------------------------------------------------------------------------------------
// StreamsPartitionAssignor: whole rebalances, from subscriptions to each thread's partitions
// ------------------------------------------------------------------------------------------------

/// The partitions of task `g_p`: partition `p` of the subtopology's source topic.
fn tp(topic: &str, partition: u32) -> TopicPartition {
    TopicPartition {
        topic: topic.to_string(),
        partition,
    }
}

/// A topology of one-source subtopologies: `(source topic, partitions, changelog end offset)`,
/// stateful when it has an end offset. Subtopology `g` is the `g`-th entry.
fn topology(subtopologies: &[(&str, u32, Option<i64>)]) -> Vec<TaskSpec> {
    let mut out = Vec::new();
    for (g, (topic, partitions, end)) in subtopologies.iter().enumerate() {
        for p in 0..*partitions {
            out.push(TaskSpec {
                id: t(g as u32, p),
                partitions: vec![tp(topic, p)],
                changelog_end_offsets: end.map(|e| vec![e]),
            });
        }
    }
    out
}

/// One stream thread's subscription: its instance, the offset sums it reports and the tasks whose
/// partitions it owns.
fn thread(
    process: &str,
    sums: &[(TaskId, i64)],
    owned: &[TaskId],
    tasks: &[TaskSpec],
) -> Subscription {
    Subscription {
        owned_partitions: owned
            .iter()
            .flat_map(|id| {
                tasks
                    .iter()
                    .find(|s| s.id == *id)
                    .unwrap()
                    .partitions
                    .clone()
            })
            .collect(),
        info: SubscriptionInfo {
            process_id: process.to_string(),
            task_offset_sums: sums.iter().copied().collect(),
        },
    }
}

fn group(threads: Vec<(&str, Subscription)>) -> BTreeMap<String, Subscription> {
    threads
        .into_iter()
        .map(|(m, s)| (m.to_string(), s))
        .collect()
}

fn member_active(a: &GroupAssignment, member: &str) -> BTreeSet<TaskId> {
    a.members[member]
        .info
        .active_tasks
        .iter()
        .copied()
        .collect()
}

const PROBING_MS: u64 = 600_000;

#[test]
fn the_first_assignment_with_no_state_anywhere_is_balanced_and_needs_no_warmups() {
    // Changelogs far beyond acceptable.recovery.lag, but nobody has any state: every client lags
    // equally, so no client is "more caught up" and the balanced assignment stands.
    let tasks = topology(&[("orders", 3, Some(50_000)), ("clicks", 3, None)]);
    let mut threads = Vec::new();
    for process in ["a", "b", "c"] {
        for n in 1..=2 {
            threads.push((format!("{process}-{n}"), thread(process, &[], &[], &tasks)));
        }
    }
    let subs = threads.into_iter().collect();
    let a = assign(&subs, &tasks, &AssignmentConfigs::default(), "a", 1_000);
    assert!(!a.probing_rebalance_needed);
    for (id, c) in &a.clients {
        assert!(c.warmup.is_empty() && c.standby.is_empty(), "{id}");
        assert_eq!(
            c.active.iter().filter(|t| t.subtopology == 0).count(),
            1,
            "{id}: one stateful task"
        );
        assert_eq!(
            c.active.iter().filter(|t| t.subtopology == 1).count(),
            1,
            "{id}: one stateless task"
        );
        assert_eq!(c.lags.values().collect::<Vec<_>>(), vec![&50_000; 3]);
    }
    let mut partitions = BTreeSet::new();
    for (member, m) in &a.members {
        assert_eq!(m.partitions.len(), 1, "{member}: one task per thread");
        assert!(partitions.insert(m.partitions[0].clone()));
        assert_eq!(m.info.next_rebalance, NextRebalance::None);
    }
    assert_eq!(partitions.len(), 6);
}

/// Instance `c` crashed; it ran `0_2`. The survivors' lags on `0_2` decide: a caught-up one takes
/// the task at once; otherwise the least lagging one does; the balanced target gets a warm-up
/// and the leader's first thread a probing rebalance 10 minutes later. Without any state on
/// either, the balanced assignment stands.
#[test]
fn a_crashed_instances_task_goes_to_the_least_lagging_survivor() {
    let end = 100_000;
    let tasks = topology(&[("orders", 3, Some(end))]);
    // (offset sum of 0_2 on a, on b) → the expected owner of 0_2, and whether a warms it up.
    let cases = [
        (Some(50_000), Some(95_000), "b", true), // b caught up (lag 5,000 ≤ 10,000)
        (Some(50_000), Some(80_000), "b", true), // nobody caught up: b lags least
        (Some(95_000), Some(50_000), "a", false), // a caught up and the balanced target
        (None, None, "a", false),                // no state anywhere: round-robin target
    ];
    for (on_a, on_b, owner, warmup_on_a) in cases {
        let mut a_sums = vec![(t(0, 0), LATEST_OFFSET)];
        a_sums.extend(on_a.map(|s| (t(0, 2), s)));
        let mut b_sums = vec![(t(0, 1), LATEST_OFFSET)];
        b_sums.extend(on_b.map(|s| (t(0, 2), s)));
        let subs = group(vec![
            ("a-1", thread("a", &a_sums, &[t(0, 0)], &tasks)),
            ("b-1", thread("b", &b_sums, &[t(0, 1)], &tasks)),
        ]);
        let got = assign(&subs, &tasks, &AssignmentConfigs::default(), "a", 7_000);
        let case = format!("{on_a:?}/{on_b:?}");
        assert!(got.clients[owner].active.contains(&t(0, 2)), "{case}");
        assert_eq!(
            got.clients["a"].warmup.contains(&t(0, 2)),
            warmup_on_a,
            "{case}"
        );
        assert_eq!(got.probing_rebalance_needed, warmup_on_a, "{case}");
        let followup = if warmup_on_a {
            NextRebalance::ProbingAtMs(7_000 + PROBING_MS)
        } else {
            NextRebalance::None
        };
        assert_eq!(got.members["a-1"].info.next_rebalance, followup, "{case}");
        assert_eq!(
            got.members["b-1"].info.next_rebalance,
            NextRebalance::None,
            "{case}"
        );
        // The survivors keep the tasks they ran.
        assert!(member_active(&got, "a-1").contains(&t(0, 0)), "{case}");
        assert!(member_active(&got, "b-1").contains(&t(0, 1)), "{case}");
    }
}

#[test]
fn with_standbys_a_crash_hands_the_task_to_a_caught_up_standby_without_probing() {
    let end = 100_000;
    let tasks = topology(&[("orders", 3, Some(end))]);
    // c (gone) ran 0_2 with its standby on a; b holds 0_0's standby, c held 0_1's.
    let subs = group(vec![
        (
            "a-1",
            thread(
                "a",
                &[(t(0, 0), LATEST_OFFSET), (t(0, 2), end - 10)],
                &[t(0, 0)],
                &tasks,
            ),
        ),
        (
            "b-1",
            thread(
                "b",
                &[(t(0, 1), LATEST_OFFSET), (t(0, 0), end - 10)],
                &[t(0, 1)],
                &tasks,
            ),
        ),
    ]);
    let configs = AssignmentConfigs {
        num_standby_replicas: 1,
        ..AssignmentConfigs::default()
    };
    let got = assign(&subs, &tasks, &configs, "a", 0);
    assert!(!got.probing_rebalance_needed);
    assert_eq!(got.clients["a"].active, tasks_of(&[(0, 0), (0, 2)]));
    assert_eq!(got.clients["a"].standby, tasks_of(&[(0, 1)]));
    assert_eq!(got.clients["b"].active, tasks_of(&[(0, 1)]));
    assert_eq!(got.clients["b"].standby, tasks_of(&[(0, 0), (0, 2)]));
    // Every active task is on a client that is caught up on it.
    for c in got.clients.values() {
        for task in &c.active {
            assert!(c.lags[task] <= 10_000, "{task}");
        }
    }
}

fn tasks_of(list: &[(u32, u32)]) -> BTreeSet<TaskId> {
    tasks(list)
}

/// A new instance `c` joins `a` and `b`, which run two stateful tasks each. The balanced target
/// would move tasks at once; instead the caught-up owners keep them and the targets get warm-ups
/// (at most `max.warmup.replicas` = 2), with a probing rebalance every 10 minutes until they have
/// caught up. Then the task moves, in two steps as Streams rebalances cooperatively: the new
/// owner's partitions are withheld (kept as a standby) until the old owner revoked them, and an
/// immediate follow-up rebalance hands them over.
#[test]
fn scale_out_warms_up_first_then_moves_tasks_in_a_cooperative_hand_over() {
    let end = 100_000;
    let tasks = topology(&[("orders", 4, Some(end))]);
    let configs = AssignmentConfigs::default();
    let l = LATEST_OFFSET;

    // Round 1: c joins with nothing.
    let subs = group(vec![
        (
            "a-1",
            thread(
                "a",
                &[(t(0, 0), l), (t(0, 1), l)],
                &[t(0, 0), t(0, 1)],
                &tasks,
            ),
        ),
        (
            "b-1",
            thread(
                "b",
                &[(t(0, 2), l), (t(0, 3), l)],
                &[t(0, 2), t(0, 3)],
                &tasks,
            ),
        ),
        ("c-1", thread("c", &[], &[], &tasks)),
    ]);
    let r1 = assign(&subs, &tasks, &configs, "a", 0);
    assert!(r1.probing_rebalance_needed);
    assert_eq!(r1.clients["a"].active, tasks_of(&[(0, 0), (0, 1)]));
    assert_eq!(r1.clients["b"].active, tasks_of(&[(0, 2), (0, 3)]));
    assert_eq!(r1.clients["b"].warmup, tasks_of(&[(0, 1)]));
    assert_eq!(r1.clients["c"].active, tasks_of(&[]));
    assert_eq!(r1.clients["c"].warmup, tasks_of(&[(0, 2)]));
    assert_eq!(
        r1.members["a-1"].info.next_rebalance,
        NextRebalance::ProbingAtMs(PROBING_MS)
    );
    assert!(r1.members.values().all(|m| m.pending_revocation.is_empty()));

    // Round 2, the probing rebalance: the warm-ups have caught up (b fully, c within 5,000).
    let subs = group(vec![
        (
            "a-1",
            thread(
                "a",
                &[(t(0, 0), l), (t(0, 1), l)],
                &[t(0, 0), t(0, 1)],
                &tasks,
            ),
        ),
        (
            "b-1",
            thread(
                "b",
                &[(t(0, 2), l), (t(0, 3), l), (t(0, 1), end)],
                &[t(0, 2), t(0, 3)],
                &tasks,
            ),
        ),
        ("c-1", thread("c", &[(t(0, 2), end - 5_000)], &[], &tasks)),
    ]);
    let r2 = assign(&subs, &tasks, &configs, "a", PROBING_MS);
    // The balanced target: a {0_0, 0_3}, b {0_1}, c {0_2}; 0_3 is not warm on a yet.
    assert_eq!(r2.clients["a"].active, tasks_of(&[(0, 0)]));
    assert_eq!(r2.clients["a"].warmup, tasks_of(&[(0, 3)]));
    // b and c get 0_1 and 0_2, but a-1 and b-1 still own their partitions: withheld, kept as
    // standbys, and an immediate rebalance follows.
    assert_eq!(r2.members["b-1"].pending_revocation, tasks_of(&[(0, 1)]));
    assert_eq!(member_active(&r2, "b-1"), tasks_of(&[(0, 3)]));
    assert!(r2.members["b-1"].info.standby_tasks.contains_key(&t(0, 1)));
    assert_eq!(
        r2.members["b-1"].info.next_rebalance,
        NextRebalance::Immediately
    );
    assert_eq!(r2.members["c-1"].pending_revocation, tasks_of(&[(0, 2)]));
    assert!(r2.members["c-1"].partitions.is_empty());
    assert!(r2.members["c-1"].info.standby_tasks.contains_key(&t(0, 2)));
    assert_eq!(
        r2.members["c-1"].info.next_rebalance,
        NextRebalance::Immediately
    );
    assert_eq!(
        r2.members["a-1"].info.next_rebalance,
        NextRebalance::ProbingAtMs(2 * PROBING_MS)
    );

    // Round 3, at once: a-1 and b-1 revoked orders/1 and orders/2; the hand-over completes.
    let subs = group(vec![
        (
            "a-1",
            thread("a", &[(t(0, 0), l), (t(0, 3), 1_000)], &[t(0, 0)], &tasks),
        ),
        (
            "b-1",
            thread(
                "b",
                &[(t(0, 3), l), (t(0, 1), end), (t(0, 2), end)],
                &[t(0, 3)],
                &tasks,
            ),
        ),
        ("c-1", thread("c", &[(t(0, 2), end - 1_000)], &[], &tasks)),
    ]);
    let r3 = assign(&subs, &tasks, &configs, "a", PROBING_MS + 50);
    assert!(r3.members.values().all(|m| m.pending_revocation.is_empty()));
    assert_eq!(member_active(&r3, "b-1"), tasks_of(&[(0, 1), (0, 3)]));
    assert_eq!(
        r3.members["b-1"].partitions,
        vec![tp("orders", 1), tp("orders", 3)]
    );
    assert_eq!(member_active(&r3, "c-1"), tasks_of(&[(0, 2)]));
    assert_eq!(r3.clients["a"].warmup, tasks_of(&[(0, 3)]));
    assert_eq!(
        r3.members["a-1"].info.next_rebalance,
        NextRebalance::ProbingAtMs(PROBING_MS + 50 + PROBING_MS)
    );
}

// ------------------------------------------------------------------------------------------------
// properties over random groups
// ------------------------------------------------------------------------------------------------

/// A random group: per client its thread count; per subtopology its partitions and, if stateful,
/// its changelog end offset; the previous state derived from `seed`.
#[derive(Debug, Clone)]
struct Case {
    threads: Vec<u32>,
    subtopologies: Vec<(u32, Option<i64>)>,
    seed: u64,
    configs: AssignmentConfigs,
}

/// splitmix64, enough to spread a seed over the previous state.
struct Mix(u64);

impl Mix {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound
    }
}

fn configs_strategy() -> impl Strategy<Value = AssignmentConfigs> {
    (
        prop_oneof![Just(0i64), Just(1_000), Just(10_000), Just(i64::MAX)],
        0u32..=3,
        0u32..=2,
    )
        .prop_map(
            |(acceptable_recovery_lag, max_warmup_replicas, num_standby_replicas)| {
                AssignmentConfigs {
                    acceptable_recovery_lag,
                    max_warmup_replicas,
                    num_standby_replicas,
                    probing_rebalance_interval_ms: PROBING_MS,
                }
            },
        )
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(1u32..=3, 1..=4),
        prop::collection::vec((1u32..=5, prop::option::of(0i64..30_000)), 1..=3),
        any::<u64>(),
        configs_strategy(),
    )
        .prop_map(|(threads, subtopologies, seed, configs)| Case {
            threads,
            subtopologies,
            seed,
            configs,
        })
}

const TOPICS: [&str; 3] = ["t0", "t1", "t2"];

fn case_tasks(case: &Case) -> Vec<TaskSpec> {
    let spec: Vec<(&str, u32, Option<i64>)> = case
        .subtopologies
        .iter()
        .zip(TOPICS)
        .map(|((n, end), topic)| (topic, *n, *end))
        .collect();
    topology(&spec)
}

/// The subscriptions of `case`: with `history`, each task was run by a random thread (or by an
/// instance that is gone), which reports it as running and owns its partitions, and other
/// threads hold random amounts of its state (sometimes more than the changelog's end).
fn case_subscriptions(
    case: &Case,
    tasks: &[TaskSpec],
    history: bool,
) -> BTreeMap<String, Subscription> {
    let mut rng = Mix(case.seed);
    let members: Vec<(String, String)> = case
        .threads
        .iter()
        .enumerate()
        .flat_map(|(c, n)| (1..=*n).map(move |i| (format!("p{c}"), format!("p{c}-{i}"))))
        .collect();
    let mut sums: BTreeMap<&str, Vec<(TaskId, i64)>> = BTreeMap::new();
    let mut owned: BTreeMap<&str, Vec<TaskId>> = BTreeMap::new();
    if history {
        for task in tasks {
            let runner = rng.next(members.len() as u64 + 1) as usize;
            if let Some((_, member)) = members.get(runner) {
                owned.entry(member).or_default().push(task.id);
                if task.changelog_end_offsets.is_some() {
                    sums.entry(member)
                        .or_default()
                        .push((task.id, LATEST_OFFSET));
                }
            }
            if let Some(ends) = &task.changelog_end_offsets {
                for (i, (_, member)) in members.iter().enumerate() {
                    if i != runner && rng.next(3) == 0 {
                        let sum = rng.next(ends[0] as u64 + 100) as i64;
                        sums.entry(member).or_default().push((task.id, sum));
                    }
                }
            }
        }
    }
    members
        .iter()
        .map(|(process, member)| {
            let s = sums.get(member.as_str()).cloned().unwrap_or_default();
            let o = owned.get(member.as_str()).cloned().unwrap_or_default();
            (member.clone(), thread(process, &s, &o, tasks))
        })
        .collect()
}

/// What must hold for any group.
fn check_assignment(
    case: &Case,
    tasks: &[TaskSpec],
    subs: &BTreeMap<String, Subscription>,
    got: &GroupAssignment,
) {
    // Every task is active exactly once: on a thread, or withheld from it until revoked.
    let mut active_count: BTreeMap<TaskId, usize> = BTreeMap::new();
    let mut partition_owner: BTreeMap<TopicPartition, &String> = BTreeMap::new();
    for (member, m) in &got.members {
        let active: BTreeSet<TaskId> = m.info.active_tasks.iter().copied().collect();
        assert!(active.is_disjoint(&m.pending_revocation), "{member}");
        for task in active.iter().chain(&m.pending_revocation) {
            *active_count.entry(*task).or_default() += 1;
        }
        // The partitions are the active tasks' partitions, sorted, in parallel with the tasks.
        assert_eq!(m.partitions.len(), m.info.active_tasks.len());
        for (tp, task) in m.partitions.iter().zip(&m.info.active_tasks) {
            let spec = tasks.iter().find(|s| s.id == *task).unwrap();
            assert!(spec.partitions.contains(tp));
            assert!(
                partition_owner.insert(tp.clone(), member).is_none(),
                "{tp} twice"
            );
        }
        assert!(m.partitions.windows(2).all(|w| w[0] < w[1]));
        // No thread has a task both active and standby.
        assert!(
            m.info.standby_tasks.keys().all(|t| !active.contains(t)),
            "{member}"
        );
        // A withheld partition is owned by another consumer.
        for task in &m.pending_revocation {
            let spec = tasks.iter().find(|s| s.id == *task).unwrap();
            assert!(spec.partitions.iter().any(|tp| {
                subs.iter()
                    .any(|(other, s)| other != member && s.owned_partitions.contains(tp))
            }));
        }
    }
    for task in tasks {
        assert_eq!(active_count.get(&task.id), Some(&1), "task {}", task.id);
    }
    for (id, c) in &got.clients {
        assert!(c.active.is_disjoint(&c.standby), "{id}: active and standby");
        assert!(
            c.warmup.is_subset(&c.standby),
            "{id}: warm-ups are standbys"
        );
        for task in &c.standby {
            let spec = tasks.iter().find(|s| s.id == *task).unwrap();
            assert!(
                spec.changelog_end_offsets.is_some(),
                "{id}: standby of stateless {task}"
            );
        }
        // Standbys are distinct replicas: at most one per client, never on the active's client.
        let held: usize = c.active.len() + c.standby.len();
        assert_eq!(held, c.active.union(&c.standby).count());
    }
    // The probing rebalance is scheduled once, by the leader's (first) thread.
    let probing: Vec<&String> = got
        .members
        .iter()
        .filter(|(_, m)| matches!(m.info.next_rebalance, NextRebalance::ProbingAtMs(_)))
        .map(|(member, _)| member)
        .collect();
    assert!(probing.len() <= 1);
    if let Some(member) = probing.first() {
        assert!(got.probing_rebalance_needed);
        assert_eq!(got.members[*member].process_id, "p0");
    }
    // Warm-ups never exceed max.warmup.replicas.
    let warmups: usize = got.clients.values().map(|c| c.warmup.len()).sum();
    assert!(warmups <= case.configs.max_warmup_replicas as usize);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// Every task active exactly once, never active and standby on one client or thread, each
    /// partition to one thread, warm-ups within `max.warmup.replicas`, the same result twice.
    #[test]
    fn every_task_is_active_exactly_once_and_never_also_standby(case in case_strategy()) {
        let tasks = case_tasks(&case);
        let subs = case_subscriptions(&case, &tasks, true);
        let got = assign(&subs, &tasks, &case.configs, "p0", 0);
        check_assignment(&case, &tasks, &subs, &got);
        prop_assert_eq!(&got, &assign(&subs, &tasks, &case.configs, "p0", 0));
    }

    /// With equal clients (the same number of threads, no state, nothing owned) and no standbys,
    /// every thread of the group carries the same number of tasks, give or take one.
    #[test]
    fn thread_loads_differ_by_at_most_one_when_all_clients_are_equal(
        case in case_strategy(),
        clients in 1usize..=4,
        threads in 1u32..=3,
    ) {
        let configs = AssignmentConfigs { num_standby_replicas: 0, ..case.configs };
        let case = Case { threads: vec![threads; clients], configs, ..case };
        let tasks = case_tasks(&case);
        let subs = case_subscriptions(&case, &tasks, false);
        let got = assign(&subs, &tasks, &case.configs, "p0", 0);
        check_assignment(&case, &tasks, &subs, &got);
        prop_assert!(!got.probing_rebalance_needed);
        let loads: Vec<usize> = got.members.values().map(|m| m.partitions.len()).collect();
        let (min, max) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
        prop_assert!(max - min <= 1, "thread loads {:?}", loads);
    }

    /// With standbys and equal clients, Kafka balances active tasks per *client* (its
    /// `assertBalancedActiveAssignment`), and each client's threads carry active plus standby
    /// tasks within one of each other. Neither "active plus standby per thread across clients"
    /// nor "active per thread" is kept within one: see `stateless_tasks_ignore_standbys_when_balancing`
    /// and `threads_balance_standbys_and_actives_together`.
    #[test]
    fn with_standbys_active_loads_stay_even_when_all_clients_are_equal(
        case in case_strategy(),
        clients in 1usize..=4,
        threads in 1u32..=3,
    ) {
        let case = Case { threads: vec![threads; clients], ..case };
        let tasks = case_tasks(&case);
        let subs = case_subscriptions(&case, &tasks, false);
        let got = assign(&subs, &tasks, &case.configs, "p0", 0);
        check_assignment(&case, &tasks, &subs, &got);
        let actives: Vec<usize> = got.clients.values().map(|c| c.active.len()).collect();
        let (min, max) = (actives.iter().min().unwrap(), actives.iter().max().unwrap());
        prop_assert!(max - min <= 1, "active tasks per client {:?}", actives);
        for c in got.clients.values() {
            let loads: Vec<usize> = c
                .consumers
                .iter()
                .map(|m| got.members[m].info.active_tasks.len() + got.members[m].info.standby_tasks.len())
                .collect();
            let (min, max) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
            prop_assert!(max - min <= 1, "thread loads within a client {:?}", loads);
        }
    }
}

/// The counterexample proptest found to "active plus standby per thread within one" across
/// equal clients, and Kafka's reason: 4 one-thread instances, one stateful task with a standby,
/// five stateless tasks. The stateful task is active on p0 with its standby on p1; stateless
/// tasks then go to the lowest *active* load, so p1 takes two of them on top of its standby.
#[test]
fn stateless_tasks_ignore_standbys_when_balancing() {
    let tasks = topology(&[("t0", 1, Some(0)), ("t1", 5, None)]);
    let subs = (0..4)
        .map(|c| {
            (
                format!("p{c}-1"),
                thread(&format!("p{c}"), &[], &[], &tasks),
            )
        })
        .collect();
    let configs = AssignmentConfigs {
        num_standby_replicas: 1,
        ..AssignmentConfigs::default()
    };
    let got = assign(&subs, &tasks, &configs, "p0", 0);
    assert_eq!(got.clients["p0"].active, tasks_of(&[(0, 0), (1, 3)]));
    assert_eq!(got.clients["p1"].standby, tasks_of(&[(0, 0)]));
    assert_eq!(got.clients["p1"].active, tasks_of(&[(1, 0), (1, 4)]));
    assert_eq!(got.clients["p2"].active, tasks_of(&[(1, 1)]));
    assert_eq!(got.clients["p3"].active, tasks_of(&[(1, 2)]));
}

/// The counterexample to "active tasks per thread within one" with standbys: two 2-thread
/// instances, two stateful tasks with one standby each, two stateless tasks. Each instance gets
/// one stateful active, one standby and one stateless task; `assignTasksToThreads` counts the
/// standby in the thread load, so one thread runs both actives and the other only the standby.
#[test]
fn threads_balance_standbys_and_actives_together() {
    let tasks = topology(&[("t0", 2, Some(0)), ("t1", 2, None)]);
    let subs = ["p0-1", "p0-2", "p1-1", "p1-2"]
        .iter()
        .map(|m| (m.to_string(), thread(&m[..2], &[], &[], &tasks)))
        .collect();
    let configs = AssignmentConfigs {
        num_standby_replicas: 1,
        ..AssignmentConfigs::default()
    };
    let got = assign(&subs, &tasks, &configs, "p0", 0);
    assert_eq!(member_active(&got, "p0-1"), tasks_of(&[(0, 0), (1, 0)]));
    assert_eq!(member_active(&got, "p0-2"), tasks_of(&[]));
    assert_eq!(
        got.members["p0-2"]
            .info
            .standby_tasks
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![t(0, 1)]
    );
    assert_eq!(member_active(&got, "p1-1"), tasks_of(&[(0, 1), (1, 1)]));
    assert_eq!(
        got.members["p1-2"]
            .info
            .standby_tasks
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![t(0, 0)]
    );
}

/// Stateless tasks have no stickiness in Kafka's assignor: `assignStatelessActiveTasks` deals
/// them by active load (ties by process id) and `assignTasksToThreads` ignores previous owners
/// for them. Two instances that hold each other's "canonical" stateless task swap them, in two
/// cooperative steps: first both are withheld (each partition is still owned by the other), then
/// handed over.
#[test]
fn stateless_tasks_are_dealt_without_regard_to_previous_owners() {
    let tasks = topology(&[("clicks", 2, None)]);
    let subs = group(vec![
        ("a-1", thread("a", &[], &[t(0, 1)], &tasks)),
        ("b-1", thread("b", &[], &[t(0, 0)], &tasks)),
    ]);
    let configs = AssignmentConfigs::default();
    let first = assign(&subs, &tasks, &configs, "a", 0);
    assert_eq!(first.members["a-1"].pending_revocation, tasks_of(&[(0, 0)]));
    assert_eq!(first.members["b-1"].pending_revocation, tasks_of(&[(0, 1)]));
    for m in first.members.values() {
        assert!(m.partitions.is_empty());
        assert!(
            m.info.standby_tasks.is_empty(),
            "no stand-in standby for a stateless task"
        );
        assert_eq!(m.info.next_rebalance, NextRebalance::Immediately);
    }
    // Both revoked what they owned; the follow-up rebalance completes the swap.
    let subs = group(vec![
        ("a-1", thread("a", &[], &[], &tasks)),
        ("b-1", thread("b", &[], &[], &tasks)),
    ]);
    let second = assign(&subs, &tasks, &configs, "a", 10);
    assert_eq!(second.members["a-1"].partitions, vec![tp("clicks", 0)]);
    assert_eq!(second.members["b-1"].partitions, vec![tp("clicks", 1)]);
    assert!(
        second
            .members
            .values()
            .all(|m| m.info.next_rebalance == NextRebalance::None)
    );
}
