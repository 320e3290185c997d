//! `DefaultStandbyTaskAssignor` (with `StandbyTaskAssignmentUtils`): `num.standby.replicas`
//! standbys of every stateful task, each on the least loaded client that does not already hold
//! the task. Kafka uses `ClientTagAwareStandbyTaskAssignor` instead only when
//! `rack.aware.assignment.tags` is set or clients report racks, which the simulation never does.

use std::collections::BTreeMap;

use super::priority_set::ConstrainedPrioritySet;
use super::{ClientState, ProcessId, TaskId};

/// `DefaultStandbyTaskAssignor.assign`: `stateful_tasks` in `TaskId` order. Returns the tasks
/// for which Kafka would log "Unable to assign N of M standby tasks … not enough available
/// capacity", with the number missing.
pub(crate) fn assign(
    clients: &mut BTreeMap<ProcessId, ClientState>,
    stateful_tasks: &[TaskId],
    num_standby_replicas: u32,
) -> BTreeMap<TaskId, u32> {
    let mut short = BTreeMap::new();
    // createLeastLoadedPrioritySetConstrainedByAssignedTask
    let mut by_task_load = ConstrainedPrioritySet::new(
        Box::new(|_, client: &ClientState, task| !client.has_assigned_task(task)),
        ClientState::assigned_task_load,
    );
    let ids: Vec<ProcessId> = clients.keys().cloned().collect();
    by_task_load.offer_all(clients, &ids);

    for &task in stateful_tasks {
        // pollClientAndMaybeAssignAndUpdateRemainingStandbyTasks
        let mut remaining = num_standby_replicas;
        while remaining > 0 {
            let Some(client) = by_task_load.poll(clients, task) else {
                break;
            };
            clients
                .get_mut(&client)
                .expect("polled a known client")
                .assign_standby(task);
            remaining -= 1;
            by_task_load.offer(clients, &client);
        }
        if remaining > 0 {
            short.insert(task, remaining);
        }
    }
    short
}
