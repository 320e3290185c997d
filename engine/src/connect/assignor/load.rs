//! The collections the assignor computes with: `WorkerCoordinator.ConnectorsAndTasks` (a pair of
//! `LinkedHashSet`s) and `WorkerCoordinator.WorkerLoad` (one worker's connectors and tasks), the
//! set differences Kafka takes through `TreeSet`s, and the balancing steps that work on worker
//! loads: `assignConnectors`/`assignTasks` (round-robin onto the least loaded) and
//! `loadBalancingRevocations` (what to take from the over-loaded); and the assignor's helpers
//! over the members' map (`assignment`, `duplicatedAssignments`, `intersection`, `addAll`,
//! `removeAll`, the per-worker `diff`, `performLoadBalancingRevocations`).
//!
//! Sets are `Vec`s kept in Kafka's iteration order (insertion order for a `LinkedHashSet`, the
//! sorted order for a `TreeSet`, bucket order for a `HashSet`), since that order decides which
//! worker gets or gives up which connector.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::connect::protocol::ConnectorTaskId;
use crate::group::assignor::java::java_str_cmp;
use crate::streams::assignor::java::{hash_set_order, string_hash_code};

/// `ConnectorsAndTasks`: connectors and tasks, each a `LinkedHashSet` (insertion order, no
/// duplicates).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ConnectorsAndTasks {
    pub(crate) connectors: Vec<String>,
    pub(crate) tasks: Vec<ConnectorTaskId>,
}

impl ConnectorsAndTasks {
    /// `new Builder().with(connectors, tasks).build()`: copies into `LinkedHashSet`s.
    pub(crate) fn with(connectors: &[String], tasks: &[ConnectorTaskId]) -> Self {
        let mut built = ConnectorsAndTasks::default();
        add_all(&mut built.connectors, connectors);
        add_all(&mut built.tasks, tasks);
        built
    }

    /// `Builder.addAll(other)`.
    pub(crate) fn add_all(&mut self, other: &ConnectorsAndTasks) {
        add_all(&mut self.connectors, &other.connectors);
        add_all(&mut self.tasks, &other.tasks);
    }

    /// `connectors().removeAll(…)` and `tasks().removeAll(…)`.
    pub(crate) fn remove_all(&mut self, other: &ConnectorsAndTasks) {
        self.connectors.retain(|c| !other.connectors.contains(c));
        self.tasks.retain(|t| !other.tasks.contains(t));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.connectors.clear();
        self.tasks.clear();
    }
}

/// `LinkedHashSet.addAll`: appends what is not there yet.
pub(crate) fn add_all<T: Clone + PartialEq>(set: &mut Vec<T>, items: &[T]) {
    for item in items {
        if !set.contains(item) {
            set.push(item.clone());
        }
    }
}

/// `IncrementalCooperativeAssignor.diff(base, toSubtract…)`: `base` minus each of `subtract`,
/// in `TreeSet` order (connectors by `String.compareTo`, tasks by `ConnectorTaskId.compareTo`).
pub(crate) fn diff(
    base: &ConnectorsAndTasks,
    subtract: &[&ConnectorsAndTasks],
) -> ConnectorsAndTasks {
    let mut connectors: Vec<String> = base.connectors.clone();
    connectors.sort_by(|a, b| java_str_cmp(a, b));
    connectors.dedup();
    let mut tasks: Vec<ConnectorTaskId> = base.tasks.clone();
    tasks.sort();
    tasks.dedup();
    for sub in subtract {
        connectors.retain(|c| !sub.connectors.contains(c));
        tasks.retain(|t| !sub.tasks.contains(t));
    }
    ConnectorsAndTasks { connectors, tasks }
}

/// `WorkerLoad`: one worker's connectors and tasks as the assignor balances them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkerLoad {
    pub(crate) worker: String,
    pub(crate) connectors: Vec<String>,
    pub(crate) tasks: Vec<ConnectorTaskId>,
}

impl WorkerLoad {
    pub(crate) fn new(worker: &str, connectors: Vec<String>, tasks: Vec<ConnectorTaskId>) -> Self {
        WorkerLoad {
            worker: worker.to_string(),
            connectors,
            tasks,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    /// `assign(connector)`. The loads the assignor builds hold their worker's
    /// `LinkedHashSet`s, so adding is a set add.
    pub(crate) fn assign_connector(&mut self, connector: &str) {
        if !self.connectors.iter().any(|c| c == connector) {
            self.connectors.push(connector.to_string());
        }
    }

    /// `assign(task)`.
    pub(crate) fn assign_task(&mut self, task: &ConnectorTaskId) {
        if !self.tasks.contains(task) {
            self.tasks.push(task.clone());
        }
    }

    /// `removeAll` of a revocation from this worker's sets.
    pub(crate) fn remove_all(&mut self, revoked: &ConnectorsAndTasks) {
        self.connectors.retain(|c| !revoked.connectors.contains(c));
        self.tasks.retain(|t| !revoked.tasks.contains(t));
    }
}

/// `WorkerLoad.connectorComparator()`: fewest connectors first, then by worker id.
fn connector_comparator(left: &WorkerLoad, right: &WorkerLoad) -> Ordering {
    left.connectors
        .len()
        .cmp(&right.connectors.len())
        .then_with(|| java_str_cmp(&left.worker, &right.worker))
}

/// `WorkerLoad.taskComparator()`: fewest tasks first, then by worker id.
fn task_comparator(left: &WorkerLoad, right: &WorkerLoad) -> Ordering {
    left.tasks
        .len()
        .cmp(&right.tasks.len())
        .then_with(|| java_str_cmp(&left.worker, &right.worker))
}

/// `IncrementalCooperativeAssignor.assignConnectors`: sorts the workers by load (in place, as
/// Kafka's `List.sort`), then deals the connectors round-robin to the workers whose load equals
/// the least loaded one's *current* load, widening the round as that worker catches up.
pub(crate) fn assign_connectors(workers: &mut [WorkerLoad], connectors: &[String]) {
    workers.sort_by(connector_comparator);
    let mut load = connectors.iter().peekable();
    while load.peek().is_some() {
        let first_load = workers[0].connectors.len();
        let up_to = workers
            .iter()
            .position(|w| w.connectors.len() > first_load)
            .unwrap_or(workers.len());
        for worker in &mut workers[..up_to] {
            let connector = load.next().expect("checked before each assignment");
            worker.assign_connector(connector);
            if load.peek().is_none() {
                break;
            }
        }
    }
}

/// `IncrementalCooperativeAssignor.assignTasks`: as [`assign_connectors`], for tasks.
pub(crate) fn assign_tasks(workers: &mut [WorkerLoad], tasks: &[ConnectorTaskId]) {
    workers.sort_by(task_comparator);
    let mut load = tasks.iter().peekable();
    while load.peek().is_some() {
        let first_load = workers[0].tasks.len();
        let up_to = workers
            .iter()
            .position(|w| w.tasks.len() > first_load)
            .unwrap_or(workers.len());
        for worker in &mut workers[..up_to] {
            let task = load.next().expect("checked before each assignment");
            worker.assign_task(task);
            if load.peek().is_none() {
                break;
            }
        }
    }
}

/// `IncrementalCooperativeAssignor.loadBalancingRevocations`: for one resource (connectors or
/// tasks, picked by `allocation`), what to revoke from each worker so that none runs more than
/// a balanced share of `total_to_allocate`: the first over-loaded workers in list order keep
/// one extra while extras remain; each gives up the first of its resources in its own order.
/// Empty when the current allocation (plus what is still to be assigned) is already balanced.
pub(crate) fn load_balancing_revocations<T: Clone>(
    total_to_allocate: usize,
    workers: &[WorkerLoad],
    allocation: impl Fn(&WorkerLoad) -> &[T],
) -> Vec<(String, Vec<T>)> {
    let total_workers = workers.len();
    let min_allocated_per_worker = total_to_allocate / total_workers;
    let workers_to_allocate_extra = total_to_allocate % total_workers;
    let size = |w: &WorkerLoad| allocation(w).len();
    let workers_allocated_minimum = workers
        .iter()
        .filter(|w| size(w) == min_allocated_per_worker)
        .count();
    let workers_allocated_single_extra = workers
        .iter()
        .filter(|w| size(w) == min_allocated_per_worker + 1)
        .count();
    if workers_allocated_single_extra == workers_to_allocate_extra
        && workers_allocated_minimum + workers_allocated_single_extra == total_workers
    {
        return Vec::new();
    }
    let mut result = Vec::new();
    let mut allocated_extras = 0;
    for worker in workers {
        let current = size(worker);
        if current <= min_allocated_per_worker {
            continue;
        }
        let max_allocation_for_worker = if allocated_extras < workers_to_allocate_extra {
            allocated_extras += 1;
            if current == min_allocated_per_worker + 1 {
                continue;
            }
            min_allocated_per_worker + 1
        } else {
            min_allocated_per_worker
        };
        // Kafka logs a warning and stops if the worker runs out first; it cannot here, as
        // `current > max_allocation_for_worker`.
        let revoked: Vec<T> = allocation(worker)
            .iter()
            .take(current - max_allocation_for_worker)
            .cloned()
            .collect();
        result.push((worker.worker.clone(), revoked));
    }
    result
}

/// The iteration order of a `java.util.HashMap<String, _>` into which `entries` were put in
/// this order.
pub(crate) fn hash_map_order<T>(entries: Vec<(String, T)>) -> Vec<(String, T)> {
    let keys: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
    let order = hash_set_order(&keys, |k| string_hash_code(k));
    let mut entries: Vec<Option<(String, T)>> = entries.into_iter().map(Some).collect();
    order
        .iter()
        .map(|k| {
            let i = keys.iter().position(|x| x == k).expect("a key of entries");
            entries[i].take().expect("keys are distinct")
        })
        .collect()
}

/// `assignment(memberAssignments)`: everything the workers report running.
pub(crate) fn combined(members: &[(String, ConnectorsAndTasks)]) -> ConnectorsAndTasks {
    let mut all = ConnectorsAndTasks::default();
    for (_, a) in members {
        all.add_all(a);
    }
    all
}

/// `duplicatedAssignments`: connectors and tasks that more than one worker reports.
pub(crate) fn duplicated_assignments(
    members: &[(String, ConnectorsAndTasks)],
) -> ConnectorsAndTasks {
    let mut connector_counts: BTreeMap<&String, usize> = BTreeMap::new();
    let mut task_counts: BTreeMap<&ConnectorTaskId, usize> = BTreeMap::new();
    for (_, a) in members {
        for c in &a.connectors {
            *connector_counts.entry(c).or_default() += 1;
        }
        for t in &a.tasks {
            *task_counts.entry(t).or_default() += 1;
        }
    }
    ConnectorsAndTasks {
        connectors: connector_counts
            .into_iter()
            .filter(|&(_, n)| n > 1)
            .map(|(c, _)| c.clone())
            .collect(),
        tasks: task_counts
            .into_iter()
            .filter(|&(_, n)| n > 1)
            .map(|(t, _)| t.clone())
            .collect(),
    }
}

/// `intersection(connectorsAndTasks, assignments)`: per worker, what it runs of `of`, in the
/// order of `new HashSet<>(assignment.connectors())` after `retainAll`.
pub(crate) fn intersection(
    of: &ConnectorsAndTasks,
    members: &[(String, ConnectorsAndTasks)],
) -> Vec<(String, ConnectorsAndTasks)> {
    members
        .iter()
        .map(|(worker, a)| {
            let mut connectors = hash_set_order(&a.connectors, |c| string_hash_code(c));
            connectors.retain(|c| of.connectors.contains(c));
            let mut tasks = hash_set_order(&a.tasks, ConnectorTaskId::java_hash_code);
            tasks.retain(|t| of.tasks.contains(t));
            (worker.clone(), ConnectorsAndTasks { connectors, tasks })
        })
        .collect()
}

/// `addAll(base, toAdd)`: per worker, `computeIfAbsent(worker, …).addAll(assignment)`.
pub(crate) fn add_all_per_worker(
    base: &mut BTreeMap<String, ConnectorsAndTasks>,
    to_add: &[(String, ConnectorsAndTasks)],
) {
    for (worker, a) in to_add {
        base.entry(worker.clone()).or_default().add_all(a);
    }
}

/// `removeAll(workerLoads, toRemove)`.
pub(crate) fn remove_all_per_worker(
    loads: &mut [WorkerLoad],
    to_remove: &[(String, ConnectorsAndTasks)],
) {
    for load in loads {
        if let Some((_, r)) = to_remove.iter().find(|(w, _)| *w == load.worker) {
            load.remove_all(r);
        }
    }
}

/// `diff(Map base, Map toSubtract)`: per worker of `base`, its list minus the other's.
pub(crate) fn diff_per_worker<T: Clone + PartialEq>(
    base: &BTreeMap<String, Vec<T>>,
    subtract: &BTreeMap<String, Vec<T>>,
) -> BTreeMap<String, Vec<T>> {
    base.iter()
        .map(|(worker, values)| {
            let mut values = values.clone();
            if let Some(sub) = subtract.get(worker) {
                values.retain(|v| !sub.contains(v));
            }
            (worker.clone(), values)
        })
        .collect()
}

/// `performLoadBalancingRevocations`: what to revoke so that no worker runs more than a
/// balanced share of the configured connectors and tasks.
pub(crate) fn perform_load_balancing_revocations(
    configured: &ConnectorsAndTasks,
    workers: &[WorkerLoad],
) -> Vec<(String, ConnectorsAndTasks)> {
    // All workers new, or losing everything this round; or nothing configured.
    if workers.iter().all(WorkerLoad::is_empty) || configured.is_empty() {
        return Vec::new();
    }
    let connector_revocations =
        load_balancing_revocations(configured.connectors.len(), workers, |w| &w.connectors);
    let task_revocations =
        load_balancing_revocations(configured.tasks.len(), workers, |w| &w.tasks);
    let mut result: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
    for (worker, revoked) in connector_revocations {
        add_all(&mut result.entry(worker).or_default().connectors, &revoked);
    }
    for (worker, revoked) in task_revocations {
        add_all(&mut result.entry(worker).or_default().tasks, &revoked);
    }
    result.into_iter().collect()
}
