//! `HighAvailabilityTaskAssignor`, Kafka Streams' default task assignor since 2.6 (KIP-441):
//! which instance runs which task as active, standby or warm-up. Ported from
//! `o.a.k.streams.processor.internals.assignment.HighAvailabilityTaskAssignor` (Kafka 4.0), with
//! the rack-aware optimisation steps omitted (they only run when racks are configured).
//!
//! The steps, in Kafka's order:
//! 1. stateful actives dealt round-robin over the clients (in process-id order), then balanced
//!    over thread counts (`balanceTasksOverThreads`) — without looking at where state is;
//! 2. standbys (`num.standby.replicas`) on the least loaded clients, balanced the same way;
//! 3. task movements: an active on a client that is not caught up goes back to a caught-up (or
//!    the most caught-up) client, preferring one with a standby to swap with; the balanced client
//!    gets a warm-up instead, at most `max.warmup.replicas` in the group; then the same for
//!    standbys;
//! 4. stateless tasks, one by one, to the client with the fewest active tasks per thread.
//!
//! A probing rebalance is needed whenever step 3 moved anything.

use std::collections::{BTreeMap, BTreeSet};

use super::config::AssignmentConfigs;
use super::movement::{self, CaughtUpClients, ClientsByLag};
use super::priority_set::ConstrainedPrioritySet;
use super::protocol::LATEST_OFFSET;
use super::{ClientState, ProcessId, TaskId, standby};

/// What the task assignor decided besides the clients' active and standby tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskAssignorOutcome {
    /// `assign`'s return value: the assignment is not final; a probing rebalance should follow
    /// after `probing.rebalance.interval.ms`.
    pub probing_rebalance_needed: bool,
    /// Per client, the standbys created as warm-ups for actives that should move there. Kafka
    /// tracks this only inside `assign`; to the clients a warm-up is a standby.
    pub warmups: BTreeMap<ProcessId, BTreeSet<TaskId>>,
    /// Stateful tasks that got fewer than `num.standby.replicas` standbys (Kafka logs "Unable to
    /// assign N of M standby tasks"), with the number missing.
    pub standbys_short: BTreeMap<TaskId, u32>,
}

type Clients = BTreeMap<ProcessId, ClientState>;

/// `HighAvailabilityTaskAssignor.assign(clients, allTaskIds, statefulTaskIds, …, configs)`.
/// Assigns into `clients` (which must have no assignment yet).
pub fn assign(
    clients: &mut Clients,
    all_tasks: &BTreeSet<TaskId>,
    stateful_tasks: &BTreeSet<TaskId>,
    configs: &AssignmentConfigs,
) -> TaskAssignorOutcome {
    let stateful: Vec<TaskId> = stateful_tasks.iter().copied().collect();
    assign_active_stateful_tasks(clients, &stateful);
    let standbys_short = assign_standby_replica_tasks(clients, &stateful, configs);

    let mut remaining_warmup_replicas = i64::from(configs.max_warmup_replicas);
    let caught_up = tasks_to_caught_up_clients(&stateful, clients, configs.acceptable_recovery_lag);
    let by_lag = tasks_to_client_by_lag(&stateful, clients);

    // Which standbys are warm-ups for actives, so that standby movements leave them alone.
    let mut warmups = BTreeMap::new();
    let active_movements = movement::assign_active_task_movements(
        &caught_up,
        &by_lag,
        clients,
        &mut warmups,
        &mut remaining_warmup_replicas,
    );
    let standby_movements = movement::assign_standby_task_movements(
        &caught_up,
        &by_lag,
        clients,
        &mut remaining_warmup_replicas,
        &warmups,
    );

    let stateless: Vec<TaskId> = all_tasks.difference(stateful_tasks).copied().collect();
    assign_stateless_active_tasks(clients, &stateless);

    TaskAssignorOutcome {
        probing_rebalance_needed: active_movements + standby_movements > 0,
        warmups,
        standbys_short,
    }
}

/// `assignActiveStatefulTasks`: round-robin in task order over the clients in process-id order,
/// then balanced by load per thread.
fn assign_active_stateful_tasks(clients: &mut Clients, stateful_tasks: &[TaskId]) {
    let ids: Vec<ProcessId> = clients.keys().cloned().collect();
    for (i, &task) in stateful_tasks.iter().enumerate() {
        let id = &ids[i % ids.len()];
        clients
            .get_mut(id)
            .expect("a known client")
            .assign_active(task);
    }
    balance_tasks_over_threads(
        clients,
        ClientState::active_tasks,
        ClientState::unassign_active,
        ClientState::assign_active,
    );
}

/// `assignStandbyReplicaTasks`: nothing when `num.standby.replicas` is 0.
fn assign_standby_replica_tasks(
    clients: &mut Clients,
    stateful_tasks: &[TaskId],
    configs: &AssignmentConfigs,
) -> BTreeMap<TaskId, u32> {
    if configs.num_standby_replicas == 0 {
        return BTreeMap::new();
    }
    let short = standby::assign(clients, stateful_tasks, configs.num_standby_replicas);
    // The default standby assignor allows every movement (`isAllowedTaskMovement` is true).
    balance_tasks_over_threads(
        clients,
        ClientState::standby_tasks,
        ClientState::unassign_standby,
        ClientState::assign_standby,
    );
    short
}

/// `balanceTasksOverThreads`: for every ordered pair of clients (source, destination), move the
/// source's tasks (in task order) to the destination while that lowers the skew of assigned
/// tasks per thread; repeat until a whole pass moves nothing.
fn balance_tasks_over_threads(
    clients: &mut Clients,
    current_assignment: fn(&ClientState) -> &BTreeSet<TaskId>,
    unassign: fn(&mut ClientState, TaskId),
    assign: fn(&mut ClientState, TaskId),
) {
    let ids: Vec<ProcessId> = clients.keys().cloned().collect();
    let mut keep_balancing = true;
    while keep_balancing {
        keep_balancing = false;
        for source in &ids {
            for destination in &ids {
                if source == destination {
                    continue;
                }
                let source_tasks: Vec<TaskId> = current_assignment(&clients[source])
                    .iter()
                    .copied()
                    .collect();
                let mut source_iterator = source_tasks.into_iter();
                while should_move_a_task(&clients[source], &clients[destination]) {
                    let Some(task) = source_iterator.next() else {
                        break;
                    };
                    if !clients[destination].has_assigned_task(task) {
                        unassign(clients.get_mut(source).expect("a known client"), task);
                        assign(clients.get_mut(destination).expect("a known client"), task);
                        keep_balancing = true;
                    }
                }
            }
        }
    }
}

/// `shouldMoveATask`: only if the source carries more per thread and the move shrinks the skew
/// without reversing it. Java `double` arithmetic, statement by statement.
fn should_move_a_task(source: &ClientState, destination: &ClientState) -> bool {
    let skew = source.assigned_task_load() - destination.assigned_task_load();
    if skew <= 0.0 {
        return false;
    }
    let proposed_at_destination =
        (destination.assigned_task_count() as f64 + 1.0) / f64::from(destination.capacity());
    let proposed_at_source =
        (source.assigned_task_count() as f64 - 1.0) / f64::from(source.capacity());
    let proposed_skew = proposed_at_source - proposed_at_destination;
    if proposed_skew < 0.0 {
        // The move would only create an imbalance in the other direction.
        return false;
    }
    proposed_skew < skew
}

/// `assignStatelessActiveTasks`: each stateless task, in task order, to the client with the
/// fewest active tasks per thread (ties by process id).
fn assign_stateless_active_tasks(clients: &mut Clients, stateless_tasks: &[TaskId]) {
    let mut by_active_load =
        ConstrainedPrioritySet::new(Box::new(|_, _, _| true), ClientState::active_task_load);
    let ids: Vec<ProcessId> = clients.keys().cloned().collect();
    by_active_load.offer_all(clients, &ids);
    for &task in stateless_tasks {
        let id = by_active_load
            .poll(clients, task)
            .expect("a group has at least one client");
        clients
            .get_mut(&id)
            .expect("a known client")
            .assign_active(task);
        by_active_load.offer(clients, &id);
    }
}

/// `tasksToCaughtUpClients`: a client is caught up on a task if it runs it (`LATEST_OFFSET`), if
/// `acceptable.recovery.lag` is unbounded, or if its lag is within it.
fn tasks_to_caught_up_clients(
    stateful_tasks: &[TaskId],
    clients: &Clients,
    acceptable_recovery_lag: i64,
) -> CaughtUpClients {
    let mut out = BTreeMap::new();
    for &task in stateful_tasks {
        let caught_up = clients
            .iter()
            .filter(|(_, state)| {
                let lag = state.lag_for(task);
                lag == LATEST_OFFSET
                    || acceptable_recovery_lag == i64::MAX
                    || (lag >= 0 && lag <= acceptable_recovery_lag)
            })
            .map(|(id, _)| id.clone())
            .collect();
        out.insert(task, caught_up);
    }
    out
}

/// `tasksToClientByLag`: every client, by lag on the task, then process id. A running active
/// (`LATEST_OFFSET` = -2) sorts before any real lag.
fn tasks_to_client_by_lag(stateful_tasks: &[TaskId], clients: &Clients) -> ClientsByLag {
    let mut out = BTreeMap::new();
    for &task in stateful_tasks {
        let mut ids: Vec<ProcessId> = clients.keys().cloned().collect();
        ids.sort_by(|a, b| {
            clients[a]
                .lag_for(task)
                .cmp(&clients[b].lag_for(task))
                .then_with(|| a.cmp(b))
        });
        out.insert(task, ids);
    }
    out
}
