//! `StreamsPartitionAssignor.assign`, the group leader's side of a Streams rebalance, from the
//! decoded subscriptions to each thread's partitions and `AssignmentInfo`:
//!
//! 0. subscriptions grouped by process id into clients (`ClientMetadata`): threads, owned
//!    partitions, reported task offset sums;
//! 1. lags: the changelog end offsets the leader read, summed per task, minus each client's
//!    offset sums (`populateClientStatesMap`);
//! 2. tasks to clients by `HighAvailabilityTaskAssignor`; if it wants a probing rebalance, the
//!    leader's own client gets the deadline `now + probing.rebalance.interval.ms`;
//! 3. per client, tasks to threads (`assignTasksToThreads`: stateful actives, standbys, stateless
//!    actives);
//! 4. per thread, its partitions — minus tasks whose partitions another consumer still owns
//!    (cooperative rebalancing: withheld until revoked, with an immediate follow-up rebalance,
//!    and kept as a standby meanwhile if this client had the task's state as a standby).
//!
//! Not ported: repartition-topic creation and the copartitioning check (the topology's job), the
//! `FallbackPriorTaskAssignor` used when the end offsets cannot be read, version probing,
//! `partitionsByHost` for interactive queries, shutdown requests and error assignments.

use std::collections::{BTreeMap, BTreeSet};

use crate::command::TopicPartition;

use super::client_state::ClientState;
use super::config::AssignmentConfigs;
use super::high_availability;
use super::java::{hash_set_order, string_hash_code};
use super::protocol::{AssignmentInfo, NextRebalance, Subscription};
use super::threads::assign_tasks_to_threads;
use super::{ProcessId, TaskId};

/// One task of the application, as the topology defines it and the leader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSpec {
    pub id: TaskId,
    /// The task's input partitions (partition `id.partition` of each source topic of its
    /// subtopology): what its consumer is assigned.
    pub partitions: Vec<TopicPartition>,
    /// `None` for a stateless task (no changelogged store); for a stateful one the end offsets of
    /// its changelog partitions that the leader read (ListOffsets latest; for a source topic used
    /// as changelog, the committed offset).
    pub changelog_end_offsets: Option<Vec<i64>>,
}

/// The result of one assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAssignment {
    /// Per member (stream thread consumer): what SyncGroup hands it.
    pub members: BTreeMap<String, MemberAssignment>,
    /// Per client (Streams instance): the decision, for display.
    pub clients: BTreeMap<ProcessId, ClientAssignment>,
    /// The task assignor asked for a probing rebalance (some warm-up or standby must catch up).
    pub probing_rebalance_needed: bool,
    /// Stateful tasks short of `num.standby.replicas` standbys, with the number missing.
    pub standbys_short: BTreeMap<TaskId, u32>,
}

/// One stream thread's assignment (`ConsumerPartitionAssignor.Assignment`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberAssignment {
    pub process_id: ProcessId,
    /// `Assignment.partitions()`, sorted by topic then partition.
    pub partitions: Vec<TopicPartition>,
    /// `Assignment.userData()`, decoded.
    pub info: AssignmentInfo,
    /// Active tasks the assignor gave this thread but withheld because another consumer still
    /// owns one of their partitions; they come in the immediate follow-up rebalance.
    pub pending_revocation: BTreeSet<TaskId>,
}

/// One instance's share, after per-thread distribution (withheld tasks are not active here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAssignment {
    /// Member ids of its threads, sorted.
    pub consumers: Vec<String>,
    pub active: BTreeSet<TaskId>,
    /// Standbys, including warm-ups.
    pub standby: BTreeSet<TaskId>,
    /// The standbys that are warm-ups: placed where the balanced assignment wants the active
    /// task, which stays on a caught-up client until this one catches up.
    pub warmup: BTreeSet<TaskId>,
    /// The lag the leader computed for each stateful task on this client
    /// (`LATEST_OFFSET` = -2 for a task it ran as active).
    pub lags: BTreeMap<TaskId, i64>,
}

/// `StreamsPartitionAssignor.assign(metadata, groupSubscription)`.
///
/// `subscriptions` are by member id; `leader_process_id` is the process id of the leader's own
/// instance (`taskManager.processId()`), which alone schedules a probing rebalance; `now_ms` is
/// the simulated time of the assignment.
pub fn assign(
    subscriptions: &BTreeMap<String, Subscription>,
    tasks: &[TaskSpec],
    configs: &AssignmentConfigs,
    leader_process_id: &str,
    now_ms: u64,
) -> GroupAssignment {
    // Step zero: client metadata from the subscriptions, in the iteration order of Kafka's
    // `HashMap<String, Subscription>` (`ConsumerCoordinator.onLeaderElected`). It matters when two
    // threads of one instance report the same task (the later offset sum wins, `putAll`), which a
    // real instance avoids (a task directory is locked by one thread). Members whose ids share a
    // bucket keep member-id order here, JoinGroup order in Kafka.
    let member_ids: Vec<&String> = subscriptions.keys().collect();
    let member_order = hash_set_order(&member_ids, |m| string_hash_code(m));
    let mut clients: BTreeMap<ProcessId, ClientState> = BTreeMap::new();
    let mut consumers: BTreeMap<ProcessId, Vec<String>> = BTreeMap::new();
    let mut all_owned_partitions: BTreeSet<TopicPartition> = BTreeSet::new();
    for member_id in member_order {
        let subscription = &subscriptions[member_id];
        let process_id = &subscription.info.process_id;
        let state = clients.entry(process_id.clone()).or_default();
        state.add_consumer(member_id, &subscription.owned_partitions);
        // Kafka only logs a warning when a partition is owned twice.
        all_owned_partitions.extend(subscription.owned_partitions.iter().cloned());
        state.add_previous_tasks_and_offset_sums(member_id, &subscription.info.task_offset_sums);
        consumers
            .entry(process_id.clone())
            .or_default()
            .push(member_id.clone());
    }
    // `ClientMetadata.consumers` is a `TreeSet<String>`.
    for ids in consumers.values_mut() {
        ids.sort();
    }

    let partitions_for_task: BTreeMap<TaskId, &[TopicPartition]> = tasks
        .iter()
        .map(|t| (t.id, t.partitions.as_slice()))
        .collect();
    let task_for_partition: BTreeMap<TopicPartition, TaskId> = tasks
        .iter()
        .flat_map(|t| t.partitions.iter().map(move |tp| (tp.clone(), t.id)))
        .collect();
    let all_tasks: BTreeSet<TaskId> = partitions_for_task.keys().copied().collect();
    let end_offset_sums: BTreeMap<TaskId, i64> = tasks
        .iter()
        .filter_map(|t| {
            t.changelog_end_offsets
                .as_ref()
                .map(|ends| (t.id, end_offset_sum(ends)))
        })
        .collect();
    let stateful_tasks: BTreeSet<TaskId> = end_offset_sums.keys().copied().collect();

    for state in clients.values_mut() {
        state.initialize_prev_tasks(&task_for_partition);
        state.compute_task_lags(&end_offset_sums);
    }

    if clients.is_empty() {
        return GroupAssignment {
            members: BTreeMap::new(),
            clients: BTreeMap::new(),
            probing_rebalance_needed: false,
            standbys_short: BTreeMap::new(),
        };
    }

    let outcome = high_availability::assign(&mut clients, &all_tasks, &stateful_tasks, configs);
    // "Arbitrarily choose the leader's client to be responsible for triggering the probing
    // rebalance."
    let followup_deadline = |process_id: &str| {
        (outcome.probing_rebalance_needed && process_id == leader_process_id)
            .then(|| now_ms + configs.probing_rebalance_interval_ms)
    };

    let mut members = BTreeMap::new();
    let mut client_assignments = BTreeMap::new();
    for (process_id, state) in &mut clients {
        let consumers = &consumers[process_id];
        let mut thread_load = BTreeMap::new();
        let mut active = assign_tasks_to_threads(
            &state.stateful_active_tasks(),
            true,
            consumers,
            state,
            &mut thread_load,
        );
        let standby_tasks: Vec<TaskId> = state.standby_tasks().iter().copied().collect();
        let standby =
            assign_tasks_to_threads(&standby_tasks, true, consumers, state, &mut thread_load);
        let stateless = assign_tasks_to_threads(
            &state.stateless_active_tasks(),
            false,
            consumers,
            state,
            &mut thread_load,
        );
        for (consumer, tasks) in stateless {
            active
                .get_mut(&consumer)
                .expect("every consumer")
                .extend(tasks);
        }

        // addClientAssignments: the probing deadline is encoded for one thread only.
        let mut should_encode_probing_rebalance = followup_deadline(process_id);
        for consumer in consumers {
            let (partitions, active_tasks, removed) = populate_active_task_and_partitions_lists(
                consumer,
                state,
                &active[consumer],
                &partitions_for_task,
                &all_owned_partitions,
            );
            let standby_task_map = build_standby_task_map(
                state,
                &standby[consumer],
                &removed,
                &stateful_tasks,
                &partitions_for_task,
            );
            let next_rebalance = if !removed.is_empty() {
                // Kafka: "Requesting followup rebalance be scheduled immediately … due to tasks
                // changing ownership"; no probing rebalance is encoded then.
                should_encode_probing_rebalance = None;
                NextRebalance::Immediately
            } else if let Some(at_ms) = should_encode_probing_rebalance.take() {
                NextRebalance::ProbingAtMs(at_ms)
            } else {
                NextRebalance::None
            };
            members.insert(
                consumer.clone(),
                MemberAssignment {
                    process_id: process_id.clone(),
                    partitions,
                    info: AssignmentInfo {
                        active_tasks,
                        standby_tasks: standby_task_map,
                        next_rebalance,
                    },
                    pending_revocation: removed,
                },
            );
        }
        client_assignments.insert(
            process_id.clone(),
            ClientAssignment {
                consumers: consumers.clone(),
                active: state.active_tasks().clone(),
                standby: state.standby_tasks().clone(),
                warmup: outcome.warmups.get(process_id).cloned().unwrap_or_default(),
                lags: stateful_tasks
                    .iter()
                    .map(|t| (*t, state.lag_for(*t)))
                    .collect(),
            },
        );
    }

    GroupAssignment {
        members,
        clients: client_assignments,
        probing_rebalance_needed: outcome.probing_rebalance_needed,
        standbys_short: outcome.standbys_short,
    }
}

/// `computeEndOffsetSumsByTask` for one task: the sum of its changelogs' end offsets, or
/// `Long.MAX_VALUE` once the sum overflows.
fn end_offset_sum(end_offsets: &[i64]) -> i64 {
    let mut sum = 0i64;
    for end in end_offsets {
        let next = sum.wrapping_add(*end);
        if next < 0 {
            return i64::MAX;
        }
        sum = next;
    }
    sum
}

/// `populateActiveTaskAndPartitionsLists`: the thread's partitions and the parallel list of
/// their tasks, sorted by partition; a task with a partition that another consumer still owns is
/// withheld entirely (and unassigned from the client) until that consumer revokes it.
fn populate_active_task_and_partitions_lists(
    consumer: &str,
    state: &mut ClientState,
    active_tasks_for_consumer: &[TaskId],
    partitions_for_task: &BTreeMap<TaskId, &[TopicPartition]>,
    all_owned_partitions: &BTreeSet<TopicPartition>,
) -> (Vec<TopicPartition>, Vec<TaskId>, BTreeSet<TaskId>) {
    let mut assigned: Vec<(TopicPartition, TaskId)> = Vec::new();
    let mut removed = BTreeSet::new();
    for &task in active_tasks_for_consumer {
        let mut for_task = Vec::new();
        for tp in partitions_for_task[&task] {
            let new_partition_for_consumer =
                state.previous_owner_for_partition(tp) != Some(consumer);
            if new_partition_for_consumer && all_owned_partitions.contains(tp) {
                removed.insert(task);
                for_task.clear();
                state.unassign_active(task);
                break;
            }
            for_task.push((tp.clone(), task));
        }
        assigned.extend(for_task);
    }
    // `Collections.sort` (stable) by `PARTITION_COMPARATOR`: topic, then partition. Topic names
    // compare as Rust strings here, as Java strings in Kafka (they differ only beyond U+FFFF).
    assigned.sort_by(|a, b| a.0.cmp(&b.0));
    let (partitions, tasks) = assigned.into_iter().unzip();
    (partitions, tasks, removed)
}

/// `buildStandbyTaskMap`: the thread's standbys with their partitions, plus each withheld active
/// task this client had as a standby before, so its state store stays open until the active
/// task arrives.
fn build_standby_task_map(
    state: &mut ClientState,
    standby_tasks: &[TaskId],
    revoked_tasks: &BTreeSet<TaskId>,
    stateful_tasks: &BTreeSet<TaskId>,
    partitions_for_task: &BTreeMap<TaskId, &[TopicPartition]>,
) -> BTreeMap<TaskId, Vec<TopicPartition>> {
    let mut map: BTreeMap<TaskId, Vec<TopicPartition>> = standby_tasks
        .iter()
        .map(|t| (*t, partitions_for_task[t].to_vec()))
        .collect();
    for &task in revoked_tasks {
        if state.previously_owned_standby(task) && stateful_tasks.contains(&task) {
            state.assign_standby(task);
            map.insert(task, partitions_for_task[&task].to_vec());
        }
    }
    map
}
