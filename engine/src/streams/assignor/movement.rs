//! `TaskMovement`: after the balanced assignment, every task placed on a client that is not
//! caught up on it (while a more caught-up client exists) is moved back to a caught-up client,
//! and the balanced client gets a *warm-up* replica (a standby) instead, as long as
//! `max.warmup.replicas` allows. Once the warm-up has caught up, a probing rebalance lets the
//! balanced assignment stand. Ported from
//! `o.a.k.streams.processor.internals.assignment.TaskMovement`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::java::PriorityQueue;
use super::priority_set::ConstrainedPrioritySet;
use super::{ClientState, ProcessId, TaskId};

type Clients = BTreeMap<ProcessId, ClientState>;

/// Per stateful task, the clients whose lag is acceptable (`tasksToCaughtUpClients`).
pub(crate) type CaughtUpClients = BTreeMap<TaskId, BTreeSet<ProcessId>>;
/// Per stateful task, every client by lag, then process id (`tasksToClientByLag`).
pub(crate) type ClientsByLag = BTreeMap<TaskId, Vec<ProcessId>>;

/// One planned movement: `task` is on `destination`, which is not caught up.
#[derive(Debug, Clone, PartialEq)]
struct TaskMovement {
    task: TaskId,
    destination: ProcessId,
    num_caught_up_clients: usize,
}

/// `Comparator.comparing(TaskMovement::numCaughtUpClients).thenComparing(TaskMovement::task)`:
/// the tasks with the fewest caught-up clients move first.
fn by_caught_up_clients_then_task(a: &TaskMovement, b: &TaskMovement) -> Ordering {
    a.num_caught_up_clients
        .cmp(&b.num_caught_up_clients)
        .then(a.task.cmp(&b.task))
}

fn task_is_caught_up_on_client(
    task: TaskId,
    client: &ProcessId,
    caught_up: &CaughtUpClients,
) -> bool {
    caught_up[&task].contains(client)
}

fn task_is_not_caught_up_on_client_and_other_more_caught_up_clients_exist(
    task: TaskId,
    client: &ProcessId,
    clients: &Clients,
    caught_up: &CaughtUpClients,
    by_lag: &ClientsByLag,
) -> bool {
    if task_is_caught_up_on_client(task, client, caught_up) {
        return false;
    }
    let most_caught_up_lag = clients[&by_lag[&task][0]].lag_for(task);
    let client_lag = clients[client].lag_for(task);
    most_caught_up_lag < client_lag
}

fn caught_up_clients_by_task_load(caught_up: &CaughtUpClients) -> ConstrainedPrioritySet<'_> {
    ConstrainedPrioritySet::new(
        Box::new(move |client, _, task| task_is_caught_up_on_client(task, client, caught_up)),
        ClientState::assigned_task_load,
    )
}

fn client<'c>(clients: &'c mut Clients, id: &ProcessId) -> &'c mut ClientState {
    clients.get_mut(id).expect("a known client")
}

/// `AtomicInteger.getAndDecrement() > 0`: the counter keeps going below zero, as in Kafka.
fn take_warmup(remaining_warmup_replicas: &mut i64) -> bool {
    let had = *remaining_warmup_replicas;
    *remaining_warmup_replicas -= 1;
    had > 0
}

/// `assignActiveTaskMovements`: returns the number of movements needed (each one a reason for a
/// probing rebalance). `warmups` collects, per client, the standbys created as warm-ups.
pub(crate) fn assign_active_task_movements(
    caught_up: &CaughtUpClients,
    by_lag: &ClientsByLag,
    clients: &mut Clients,
    warmups: &mut BTreeMap<ProcessId, BTreeSet<TaskId>>,
    remaining_warmup_replicas: &mut i64,
) -> usize {
    let mut by_task_load = caught_up_clients_by_task_load(caught_up);
    let mut movements = PriorityQueue::new();

    let ids: Vec<ProcessId> = clients.keys().cloned().collect();
    for id in &ids {
        for &task in clients[id].active_tasks() {
            // The desired client is not caught up and another client is more caught up: move the
            // active task to a more caught-up client and try to warm the desired one up.
            if task_is_not_caught_up_on_client_and_other_more_caught_up_clients_exist(
                task, id, clients, caught_up, by_lag,
            ) {
                movements.offer(
                    TaskMovement {
                        task,
                        destination: id.clone(),
                        num_caught_up_clients: caught_up[&task].len(),
                    },
                    by_caught_up_clients_then_task,
                );
            }
        }
        by_task_load.offer(clients, id);
    }

    let movements_needed = movements.len();
    while let Some(movement) = movements.poll(by_caught_up_clients_then_task) {
        // A caught-up standby first, then any caught-up client, then the most caught-up client.
        let moved = try_to_swap_standby_and_active_on_caught_up_client(
            clients,
            &mut by_task_load,
            &movement,
        ) || try_to_move_active_to_caught_up_client_and_try_to_warm_up(
            clients,
            warmups,
            remaining_warmup_replicas,
            &mut by_task_load,
            &movement,
        ) || try_to_move_active_to_most_caught_up_client(
            by_lag,
            clients,
            warmups,
            remaining_warmup_replicas,
            &mut by_task_load,
            &movement,
        );
        assert!(
            moved,
            "Tried to move task to more caught-up client as scheduled before but none exist"
        );
    }
    movements_needed
}

/// `assignStandbyTaskMovements`: standbys (not warm-ups) on clients that are not caught up move
/// to a caught-up client without the task; the old one stays as a warm-up while warm-ups last.
pub(crate) fn assign_standby_task_movements(
    caught_up: &CaughtUpClients,
    by_lag: &ClientsByLag,
    clients: &mut Clients,
    remaining_warmup_replicas: &mut i64,
    warmups: &BTreeMap<ProcessId, BTreeSet<TaskId>>,
) -> usize {
    let mut by_task_load = caught_up_clients_by_task_load(caught_up);
    let mut movements = PriorityQueue::new();

    let ids: Vec<ProcessId> = clients.keys().cloned().collect();
    for destination in &ids {
        for &task in clients[destination].standby_tasks() {
            let is_warmup = warmups.get(destination).is_some_and(|w| w.contains(&task));
            if !is_warmup
                && task_is_not_caught_up_on_client_and_other_more_caught_up_clients_exist(
                    task,
                    destination,
                    clients,
                    caught_up,
                    by_lag,
                )
            {
                movements.offer(
                    TaskMovement {
                        task,
                        destination: destination.clone(),
                        num_caught_up_clients: caught_up[&task].len(),
                    },
                    by_caught_up_clients_then_task,
                );
            }
        }
        by_task_load.offer(clients, destination);
    }

    let mut movements_needed = 0;
    while let Some(movement) = movements.poll(by_caught_up_clients_then_task) {
        let task = movement.task;
        let eligible = |id: &ProcessId| !clients[id].has_assigned_task(task);
        let source = by_task_load.poll_with(clients, task, eligible).or_else(|| {
            most_caught_up_eligible_client(by_lag, eligible, task, &movement.destination)
        });
        // None: no caught-up client lacks a copy of the task, so there is nowhere to move it.
        if let Some(source) = source {
            client(clients, &source).assign_standby(task);
            if !take_warmup(remaining_warmup_replicas) {
                // No warm-ups left: the destination loses the standby until a later rebalance.
                client(clients, &movement.destination).unassign_standby(task);
            }
            by_task_load.offer_all(clients, [&source, &movement.destination]);
            movements_needed += 1;
        }
    }
    movements_needed
}

fn try_to_swap_standby_and_active_on_caught_up_client(
    clients: &mut Clients,
    by_task_load: &mut ConstrainedPrioritySet<'_>,
    movement: &TaskMovement,
) -> bool {
    let task = movement.task;
    let source = by_task_load.poll_with(clients, task, |id| clients[id].has_standby_task(task));
    match source {
        Some(source) => {
            swap_standby_and_active(clients, task, &source, &movement.destination);
            by_task_load.offer_all(clients, [&source, &movement.destination]);
            true
        }
        None => false,
    }
}

fn try_to_move_active_to_caught_up_client_and_try_to_warm_up(
    clients: &mut Clients,
    warmups: &mut BTreeMap<ProcessId, BTreeSet<TaskId>>,
    remaining_warmup_replicas: &mut i64,
    by_task_load: &mut ConstrainedPrioritySet<'_>,
    movement: &TaskMovement,
) -> bool {
    match by_task_load.poll(clients, movement.task) {
        Some(source) => {
            move_active_and_try_to_warm_up(
                clients,
                warmups,
                remaining_warmup_replicas,
                movement.task,
                &source,
                &movement.destination,
            );
            by_task_load.offer_all(clients, [&source, &movement.destination]);
            true
        }
        None => false,
    }
}

fn try_to_move_active_to_most_caught_up_client(
    by_lag: &ClientsByLag,
    clients: &mut Clients,
    warmups: &mut BTreeMap<ProcessId, BTreeSet<TaskId>>,
    remaining_warmup_replicas: &mut i64,
    by_task_load: &mut ConstrainedPrioritySet<'_>,
    movement: &TaskMovement,
) -> bool {
    let task = movement.task;
    match most_caught_up_eligible_client(by_lag, |_| true, task, &movement.destination) {
        Some(source) => {
            if clients[&source].has_standby_task(task) {
                swap_standby_and_active(clients, task, &source, &movement.destination);
            } else {
                move_active_and_try_to_warm_up(
                    clients,
                    warmups,
                    remaining_warmup_replicas,
                    task,
                    &source,
                    &movement.destination,
                );
            }
            by_task_load.offer_all(clients, [&source, &movement.destination]);
            true
        }
        None => false,
    }
}

/// `moveActiveAndTryToWarmUp`: the source becomes active; the destination keeps a warm-up
/// standby if one is left, else loses the task until a later rebalance.
fn move_active_and_try_to_warm_up(
    clients: &mut Clients,
    warmups: &mut BTreeMap<ProcessId, BTreeSet<TaskId>>,
    remaining_warmup_replicas: &mut i64,
    task: TaskId,
    source: &ProcessId,
    destination: &ProcessId,
) {
    // `warmups.computeIfAbsent(destination, …)` happens before the call in Kafka.
    let destination_warmups = warmups.entry(destination.clone()).or_default();
    client(clients, source).assign_active(task);
    let dest = client(clients, destination);
    dest.unassign_active(task);
    if take_warmup(remaining_warmup_replicas) {
        dest.assign_standby(task);
        destination_warmups.insert(task);
    }
}

fn swap_standby_and_active(
    clients: &mut Clients,
    task: TaskId,
    source: &ProcessId,
    destination: &ProcessId,
) {
    let src = client(clients, source);
    src.unassign_standby(task);
    src.assign_active(task);
    let dest = client(clients, destination);
    dest.unassign_active(task);
    dest.assign_standby(task);
}

/// `mostCaughtUpEligibleClient`: the first client by lag that meets `constraint`, looking only
/// at clients more caught up than (before) the destination.
fn most_caught_up_eligible_client(
    by_lag: &ClientsByLag,
    constraint: impl Fn(&ProcessId) -> bool,
    task: TaskId,
    destination: &ProcessId,
) -> Option<ProcessId> {
    for id in &by_lag[&task] {
        if id == destination {
            break;
        }
        if constraint(id) {
            return Some(id.clone());
        }
    }
    None
}
