//! Kafka Connect's `IncrementalCooperativeAssignor` (KIP-415): what the leader of a distributed
//! workers' group (`connect-cluster`) runs on its members' metadata under the `compatible` and
//! `sessioned` protocols. A pure, deterministic port of Kafka 4.0's class, statement by statement
//! where the outcome depends on it, with the JDK collection orders it depends on.
//!
//! Each round the leader compares what is configured (the config topic), what the workers say
//! they run, and what it assigned last round (its memory, lost when leadership moves):
//! - deleted connectors and tasks, and ones running twice, are revoked;
//! - lost ones (assigned last round, reported by nobody: their worker left) wait up to
//!   `scheduled.rebalance.max.delay.ms` (default 5 minutes) unassigned, every worker told to
//!   rejoin when the delay ends. A worker that comes back empty-handed in the meantime is a
//!   candidate: when the delay ends, the lost work goes round-robin to the candidates still
//!   present (the returning worker gets its work back), else it is assigned like new work;
//! - new ones go round-robin to the least loaded workers;
//! - if the load is uneven (a worker joined), the over-loaded workers give some up in this
//!   round and the follow-up rebalance hands it out (two rounds: cooperative). A second revoking
//!   round in a row waits an exponential backoff first (40 ms, 1.6 s, 64 s, the max delay).
//!
//! | file         | Kafka                                                              |
//! |--------------|--------------------------------------------------------------------|
//! | `mod.rs`     | `IncrementalCooperativeAssignor`: state, `performAssignment`, `performTaskAssignment`, `handleLostAssignments` |
//! | `load.rs`    | `ConnectorsAndTasks`, `WorkerLoad`, `diff`, `assignConnectors`/`assignTasks`, `loadBalancingRevocations`, the per-worker set helpers |
//! | `backoff.rs` | `ExponentialBackoff` (consecutive revoking rebalances)              |
//!
//! **Java orders.** The members arrive as a `HashMap<String, ExtendedWorkerState>` keyed by member
//! id; its iteration order (by `String.hashCode`, then JoinGroup order within a bucket) decides
//! which over-loaded worker keeps an extra connector or task and the order candidates are found
//! in. Configured and lost connectors and tasks are sorted (`TreeSet`), revocations of deleted or
//! duplicated work follow `HashSet` order, and each worker gives up load in the order it reported
//! its assignment. All reproduced; JDK 21 `HashSet(Collection)` sizing (Kafka's Docker image
//! runs Java 21).
//!
//! **Not ported.** The `EagerAssignor` (protocol `default`, chosen only if some worker does not
//! offer `compatible`): the simulation's workers all offer `sessioned`. Logging.

mod backoff;
mod load;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::connect::protocol::{
    CONFIG_MISMATCH, CONNECT_PROTOCOL_V2, ConnectProtocolCompatibility, ConnectorTaskId,
    ExtendedAssignment, ExtendedWorkerState, NO_ERROR,
};
use crate::group::assignor::java::java_str_cmp;
use crate::streams::assignor::java::{hash_set_order, string_hash_code};

use backoff::ExponentialBackoff;
use load::{
    ConnectorsAndTasks, WorkerLoad, add_all, add_all_per_worker, assign_connectors, assign_tasks,
    combined, diff, diff_per_worker, duplicated_assignments, hash_map_order, intersection,
    perform_load_balancing_revocations, remove_all_per_worker,
};

/// `DistributedConfig.SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT`: 5 minutes.
pub const SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT: i32 = 300_000;

/// `ClusterConfigState`, as far as the assignor reads it: the config topic offset it reflects and
/// each connector with its number of tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSnapshot {
    /// `offset()`: the config topic offset this snapshot was read up to.
    pub offset: i64,
    /// `connectors()` with `tasks(connector).size()`: the task count of its latest task
    /// configs (0 while it has none, and for an inconsistent connector, whose `tasks()` Kafka
    /// returns empty).
    pub connectors: BTreeMap<String, u32>,
}

/// One round of assignment as the leader's `WorkerCoordinator` sees it.
#[derive(Debug, Clone, Copy)]
pub struct Rebalance<'a> {
    /// The leader's member id (this worker's).
    pub leader_id: &'a str,
    /// The protocol the coordinator selected (`compatible` or `sessioned`).
    pub protocol: ConnectProtocolCompatibility,
    /// Every member's decoded metadata, in JoinGroup response order.
    pub members: &'a [(String, ExtendedWorkerState)],
    /// `coordinator.generationId()`: the generation being assigned.
    pub generation_id: i32,
    /// `coordinator.lastCompletedGenerationId()`: the generation of the leader's last completed
    /// rebalance (-1 if none). If it is not the generation this assignor last assigned, the
    /// assignor forgets its previous assignment (its SyncGroup may not have gone through).
    pub last_completed_generation_id: i32,
    /// The simulated time in milliseconds (`time.milliseconds()`).
    pub now_ms: u64,
}

/// The result of `performAssignment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAssignment {
    /// `fillAssignments`: per member id, the assignment to send in SyncGroup (what to start,
    /// what to stop, the delay after which to rejoin).
    pub assignments: BTreeMap<String, ExtendedAssignment>,
    /// `WorkerCoordinator.LeaderState`: what every worker runs once this round is applied;
    /// `None` when the leader was behind the config topic (every member gets
    /// `CONFIG_MISMATCH`).
    pub leader_state: Option<LeaderState>,
}

/// `WorkerCoordinator.LeaderState`'s view of the cluster after a round (the leader answers
/// "which worker runs this connector" from it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaderState {
    /// `allAssignedConnectors`: per worker, the connectors it runs after this round.
    pub connectors: BTreeMap<String, Vec<String>>,
    /// `allAssignedTasks`: per worker, the tasks it runs after this round.
    pub tasks: BTreeMap<String, Vec<ConnectorTaskId>>,
}

impl GroupAssignment {
    /// `serializeAssignments`: each member's bytes for the leader's SyncGroup, with the v2 header
    /// under `sessioned`, v1 under `compatible`.
    pub fn serialize(&self) -> Vec<(String, Bytes)> {
        self.assignments
            .iter()
            .map(|(member, a)| {
                (
                    member.clone(),
                    a.serialize(a.version >= CONNECT_PROTOCOL_V2),
                )
            })
            .collect()
    }
}

/// `IncrementalCooperativeAssignor.ClusterAssignment`: per worker, what is newly assigned, newly
/// revoked, and everything it runs after the round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ClusterAssignment {
    pub(crate) newly_assigned_connectors: BTreeMap<String, Vec<String>>,
    pub(crate) newly_assigned_tasks: BTreeMap<String, Vec<ConnectorTaskId>>,
    pub(crate) newly_revoked_connectors: BTreeMap<String, Vec<String>>,
    pub(crate) newly_revoked_tasks: BTreeMap<String, Vec<ConnectorTaskId>>,
    pub(crate) all_assigned_connectors: BTreeMap<String, Vec<String>>,
    pub(crate) all_assigned_tasks: BTreeMap<String, Vec<ConnectorTaskId>>,
}

/// `IncrementalCooperativeAssignor`: the leader's assignor and its memory across rebalances.
/// A worker creates one with its coordinator and keeps it while it lives; a new leader starts
/// with a fresh one (so it knows no previous assignment and no running delay).
#[derive(Debug, Clone)]
pub struct IncrementalCooperativeAssignor {
    /// `maxDelay`: `scheduled.rebalance.max.delay.ms`.
    max_delay: i32,
    /// `previousAssignment`: everything assigned at the end of the last round (plus what was
    /// lost and is being waited for).
    previous_assignment: ConnectorsAndTasks,
    /// `previousRevocation`: what the last round revoked (to detect a revocation that did not
    /// take effect).
    previous_revocation: ConnectorsAndTasks,
    /// `revokedInPrevious`: the last round made load-balancing revocations.
    revoked_in_previous: bool,
    /// `candidateWorkersForReassignment` (a `LinkedHashSet`): workers that joined with nothing
    /// while lost work waits.
    candidate_workers_for_reassignment: Vec<String>,
    /// `scheduledRebalance`: when the running delay ends (ms), 0 if none.
    scheduled_rebalance: i64,
    /// `delay`: the delay sent to the workers this round (ms).
    delay: i32,
    /// `previousGenerationId`.
    previous_generation_id: i32,
    /// `previousMembers`.
    previous_members: Vec<String>,
    consecutive_revoking_rebalances_backoff: ExponentialBackoff,
    /// `numSuccessiveRevokingRebalances`.
    num_successive_revoking_rebalances: i64,
}

impl IncrementalCooperativeAssignor {
    /// `new IncrementalCooperativeAssignor(logContext, time, maxDelay)`.
    pub fn new(max_delay_ms: i32) -> Self {
        IncrementalCooperativeAssignor {
            max_delay: max_delay_ms,
            previous_assignment: ConnectorsAndTasks::default(),
            previous_revocation: ConnectorsAndTasks::default(),
            revoked_in_previous: false,
            candidate_workers_for_reassignment: Vec::new(),
            scheduled_rebalance: 0,
            delay: 0,
            previous_generation_id: -1,
            previous_members: Vec::new(),
            // "By default, initial interval is 1. The only corner case is when the user has set
            // maxDelay to 0 in which case, the exponential backoff delay should be 0."
            consecutive_revoking_rebalances_backoff: ExponentialBackoff::new(
                if max_delay_ms == 0 { 0 } else { 1 },
                40,
                i64::from(max_delay_ms),
            ),
            num_successive_revoking_rebalances: 0,
        }
    }

    /// The delay (ms) the last round told the workers to wait before rejoining; 0 if none.
    pub fn delay_ms(&self) -> i32 {
        self.delay
    }

    /// When the running delay ends (simulated ms), if one runs.
    pub fn scheduled_rebalance_ms(&self) -> Option<u64> {
        (self.scheduled_rebalance > 0).then_some(self.scheduled_rebalance as u64)
    }

    /// `performAssignment`: the leader's assignment for every member of `rebalance`.
    ///
    /// `config_snapshot` is the leader coordinator's `configSnapshot()` (taken when it sent its
    /// JoinGroup). If some member has read further in the config topic, the leader takes a
    /// fresh snapshot (`configFreshSnapshot()`, called at most once); if that one has caught
    /// up, it replaces `config_snapshot` and is used, else every member gets `CONFIG_MISMATCH`
    /// (they read to the end of the config topic and rejoin).
    ///
    /// Panics if the leader is not among the members (Kafka's NullPointerException).
    pub fn perform_assignment(
        &mut self,
        rebalance: &Rebalance<'_>,
        config_snapshot: &mut ConfigSnapshot,
        config_fresh_snapshot: impl FnOnce() -> ConfigSnapshot,
    ) -> GroupAssignment {
        let members = rebalance.members;
        // "The new config offset is the maximum seen by any member."
        let max_offset = members
            .iter()
            .map(|(_, state)| state.offset)
            .max()
            .expect("a group has at least its leader");
        let leader_url = members
            .iter()
            .find(|(id, _)| id == rebalance.leader_id)
            .map(|(_, state)| state.url.clone())
            .expect("the leader is a member of its group");
        let protocol_version = rebalance.protocol.protocol_version();
        // `ensureLeaderConfig`.
        let leader_offset = if config_snapshot.offset < max_offset {
            let updated = config_fresh_snapshot();
            if updated.offset < max_offset {
                None
            } else {
                *config_snapshot = updated;
                Some(config_snapshot.offset)
            }
        } else {
            Some(max_offset)
        };
        let member_ids = members.iter().map(|(id, _)| id.as_str());
        let Some(offset) = leader_offset else {
            let fill = Fill {
                error: CONFIG_MISMATCH,
                leader_id: rebalance.leader_id,
                leader_url: &leader_url,
                offset: max_offset,
                delay: 0,
                protocol_version,
            };
            return GroupAssignment {
                assignments: fill.assignments(member_ids, &ClusterAssignment::default()),
                leader_state: None,
            };
        };
        // `performTaskAssignment(leaderId, maxOffset, memberConfigs, coordinator, version)`.
        let member_assignments: Vec<(String, ConnectorsAndTasks)> = members
            .iter()
            .map(|(id, state)| {
                let assignment = match &state.assignment {
                    Some(a) => ConnectorsAndTasks::with(&a.connectors, &a.tasks),
                    None => ConnectorsAndTasks::default(),
                };
                (id.clone(), assignment)
            })
            .collect();
        let cluster = self.perform_task_assignment(
            config_snapshot,
            rebalance.last_completed_generation_id,
            rebalance.generation_id,
            member_assignments,
            rebalance.now_ms as i64,
        );
        let fill = Fill {
            error: NO_ERROR,
            leader_id: rebalance.leader_id,
            leader_url: &leader_url,
            offset,
            delay: self.delay,
            protocol_version,
        };
        GroupAssignment {
            assignments: fill.assignments(member_ids, &cluster),
            leader_state: Some(LeaderState {
                connectors: cluster.all_assigned_connectors,
                tasks: cluster.all_assigned_tasks,
            }),
        }
    }

    /// `performTaskAssignment(configSnapshot, lastCompletedGenerationId, currentGenerationId,
    /// memberAssignments)`. `member_assignments` are in the order they were put into Kafka's
    /// `HashMap` (JoinGroup order); they are iterated in that map's order.
    pub(crate) fn perform_task_assignment(
        &mut self,
        config_snapshot: &ConfigSnapshot,
        last_completed_generation_id: i32,
        current_generation_id: i32,
        member_assignments: Vec<(String, ConnectorsAndTasks)>,
        now: i64,
    ) -> ClusterAssignment {
        let members = hash_map_order(member_assignments);
        // The previous assignment may be outdated if the leader failed to sync it.
        if self.previous_generation_id != last_completed_generation_id {
            self.previous_assignment = ConnectorsAndTasks::default();
        }

        let mut configured_connectors: Vec<String> =
            config_snapshot.connectors.keys().cloned().collect();
        configured_connectors.sort_by(|a, b| java_str_cmp(a, b));
        let configured_tasks: Vec<ConnectorTaskId> = configured_connectors
            .iter()
            .flat_map(|c| {
                (0..config_snapshot.connectors[c]).map(move |t| ConnectorTaskId::new(c, t as i32))
            })
            .collect();
        let configured = ConnectorsAndTasks {
            connectors: configured_connectors,
            tasks: configured_tasks,
        };

        let active = combined(&members);

        // A previous revocation did not take effect: start again from what the workers run.
        if !self.previous_revocation.is_empty() {
            if self
                .previous_revocation
                .connectors
                .iter()
                .any(|c| active.connectors.contains(c))
                || self
                    .previous_revocation
                    .tasks
                    .iter()
                    .any(|t| active.tasks.contains(t))
            {
                self.previous_assignment = active.clone();
            }
            self.previous_revocation.clear();
        }

        let deleted = diff(&self.previous_assignment, &[&configured]);
        let duplicated = duplicated_assignments(&members);
        let lost_assignments = diff(&self.previous_assignment, &[&active, &deleted]);
        let created = diff(&configured, &[&self.previous_assignment, &active]);

        // What each worker runs now, minus what is deleted.
        let current_worker_assignment: Vec<WorkerLoad> = members
            .iter()
            .map(|(worker, a)| {
                let mut load = WorkerLoad::new(worker, a.connectors.clone(), a.tasks.clone());
                load.remove_all(&deleted);
                load
            })
            .collect();

        let mut to_revoke: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
        let deleted_to_revoke = intersection(&deleted, &members);
        add_all_per_worker(&mut to_revoke, &deleted_to_revoke);
        let duplicated_to_revoke = intersection(&duplicated, &members);
        add_all_per_worker(&mut to_revoke, &duplicated_to_revoke);

        // The assignment after this round: new and reassigned work is added to it below,
        // load-balancing revocations are taken from it.
        let mut next_worker_assignment: Vec<WorkerLoad> = members
            .iter()
            .map(|(worker, a)| WorkerLoad::new(worker, a.connectors.clone(), a.tasks.clone()))
            .collect();
        remove_all_per_worker(&mut next_worker_assignment, &deleted_to_revoke);
        remove_all_per_worker(&mut next_worker_assignment, &duplicated_to_revoke);

        let mut lost_assignments_to_reassign = ConnectorsAndTasks::default();
        self.handle_lost_assignments(
            &lost_assignments,
            &mut lost_assignments_to_reassign,
            &mut next_worker_assignment,
            now,
        );

        // No load-balancing revocations while a delayed rebalance is active.
        if self.delay == 0 {
            let revocations =
                perform_load_balancing_revocations(&configured, &next_worker_assignment);
            if self.revoked_in_previous && !revocations.is_empty() {
                // A second revoking round in a row: wait a backoff first (unless it is 0).
                self.num_successive_revoking_rebalances += 1;
                self.delay = self
                    .consecutive_revoking_rebalances_backoff
                    .backoff(self.num_successive_revoking_rebalances)
                    as i32;
                if self.delay != 0 {
                    self.scheduled_rebalance = now + i64::from(self.delay);
                } else {
                    add_all_per_worker(&mut to_revoke, &revocations);
                    remove_all_per_worker(&mut next_worker_assignment, &revocations);
                }
            } else if !revocations.is_empty() {
                add_all_per_worker(&mut to_revoke, &revocations);
                remove_all_per_worker(&mut next_worker_assignment, &revocations);
                self.revoked_in_previous = true;
            } else if self.revoked_in_previous {
                // The cluster has converged: reset the backoff.
                self.revoked_in_previous = false;
                self.num_successive_revoking_rebalances = 0;
            }
        } else {
            self.revoked_in_previous = false;
        }

        let mut to_assign = created;
        to_assign.add_all(&lost_assignments_to_reassign);
        assign_connectors(&mut next_worker_assignment, &to_assign.connectors);
        assign_tasks(&mut next_worker_assignment, &to_assign.tasks);

        let next_connectors: BTreeMap<String, Vec<String>> = next_worker_assignment
            .iter()
            .map(|w| (w.worker.clone(), w.connectors.clone()))
            .collect();
        let next_tasks: BTreeMap<String, Vec<ConnectorTaskId>> = next_worker_assignment
            .iter()
            .map(|w| (w.worker.clone(), w.tasks.clone()))
            .collect();
        let current_connectors: BTreeMap<String, Vec<String>> = current_worker_assignment
            .iter()
            .map(|w| (w.worker.clone(), w.connectors.clone()))
            .collect();
        let current_tasks: BTreeMap<String, Vec<ConnectorTaskId>> = current_worker_assignment
            .iter()
            .map(|w| (w.worker.clone(), w.tasks.clone()))
            .collect();

        self.previous_assignment = self.compute_previous_assignment(
            &to_revoke,
            &next_worker_assignment,
            &lost_assignments,
        );
        self.previous_generation_id = current_generation_id;
        self.previous_members = members.iter().map(|(w, _)| w.clone()).collect();

        let revoked_connectors: BTreeMap<String, Vec<String>> = to_revoke
            .iter()
            .map(|(w, r)| (w.clone(), r.connectors.clone()))
            .collect();
        let revoked_tasks: BTreeMap<String, Vec<ConnectorTaskId>> = to_revoke
            .iter()
            .map(|(w, r)| (w.clone(), r.tasks.clone()))
            .collect();
        ClusterAssignment {
            newly_assigned_connectors: diff_per_worker(&next_connectors, &current_connectors),
            newly_assigned_tasks: diff_per_worker(&next_tasks, &current_tasks),
            all_assigned_connectors: diff_per_worker(&next_connectors, &revoked_connectors),
            all_assigned_tasks: diff_per_worker(&next_tasks, &revoked_tasks),
            newly_revoked_connectors: revoked_connectors,
            newly_revoked_tasks: revoked_tasks,
        }
    }

    /// `computePreviousAssignment`: what the next round will compare against, everything
    /// assigned minus what this round revokes (remembered in `previousRevocation`), plus the
    /// lost work still waiting for its worker.
    fn compute_previous_assignment(
        &mut self,
        to_revoke: &BTreeMap<String, ConnectorsAndTasks>,
        next: &[WorkerLoad],
        lost_assignments: &ConnectorsAndTasks,
    ) -> ConnectorsAndTasks {
        let mut previous = ConnectorsAndTasks::default();
        for w in next {
            add_all(&mut previous.connectors, &w.connectors);
            add_all(&mut previous.tasks, &w.tasks);
        }
        for revoked in to_revoke.values() {
            previous.remove_all(revoked);
            self.previous_revocation.add_all(revoked);
        }
        previous.add_all(lost_assignments);
        previous
    }

    /// `handleLostAssignments`: decides what happens to work whose worker did not rejoin.
    /// Either it is reassigned now (added to `to_reassign`, or given directly to the candidate
    /// workers in `complete_worker_assignment`), or a delay starts or keeps running.
    pub(crate) fn handle_lost_assignments(
        &mut self,
        lost_assignments: &ConnectorsAndTasks,
        to_reassign: &mut ConnectorsAndTasks,
        complete_worker_assignment: &mut [WorkerLoad],
        now: i64,
    ) {
        // No lost assignments and no successive revoking rebalances.
        if lost_assignments.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return;
        }
        let all_previous_members_present = self
            .previous_members
            .iter()
            .all(|m| complete_worker_assignment.iter().any(|w| w.worker == *m));
        if self.scheduled_rebalance <= 0 && all_previous_members_present {
            // Nobody left: the workers probably missed the last assignment. Reassign as new.
            to_reassign.add_all(lost_assignments);
            return;
        } else if self.max_delay == 0 {
            // scheduled.rebalance.max.delay.ms = 0: reassign lost work immediately.
            to_reassign.add_all(lost_assignments);
            return;
        }

        if self.scheduled_rebalance > 0 && now >= self.scheduled_rebalance {
            // The delay has expired: reassign.
            let candidates: Vec<usize> = self
                .candidate_workers_for_reassignment
                .iter()
                .filter_map(|c| {
                    complete_worker_assignment
                        .iter()
                        .position(|w| w.worker == *c)
                })
                .collect();
            if !candidates.is_empty() {
                // Round-robin over the candidates, connectors then tasks each from the first.
                for (i, connector) in lost_assignments.connectors.iter().enumerate() {
                    complete_worker_assignment[candidates[i % candidates.len()]]
                        .assign_connector(connector);
                }
                for (i, task) in lost_assignments.tasks.iter().enumerate() {
                    complete_worker_assignment[candidates[i % candidates.len()]].assign_task(task);
                }
            } else {
                to_reassign.add_all(lost_assignments);
            }
            self.reset_delay();
            // Having waited the full delay, successive revoking rebalances are allowed again.
            self.revoked_in_previous = false;
        } else {
            // Workers that joined with nothing may be the departed ones coming back.
            let empty: Vec<String> = complete_worker_assignment
                .iter()
                .filter(|w| w.is_empty())
                .map(|w| w.worker.clone())
                .collect();
            let empty = hash_set_order(&empty, |w| string_hash_code(w));
            add_all(&mut self.candidate_workers_for_reassignment, &empty);
            if now < self.scheduled_rebalance {
                // A delay runs: tell the workers how much of it is left.
                self.delay = self.calculate_delay(now);
            } else {
                // No delay ran (scheduledRebalance == 0): start the full one.
                self.delay = self.max_delay;
            }
            self.scheduled_rebalance = now + i64::from(self.delay);
        }
    }

    /// `resetDelay`.
    fn reset_delay(&mut self) {
        self.candidate_workers_for_reassignment.clear();
        self.scheduled_rebalance = 0;
        self.delay = 0;
    }

    /// `calculateDelay(now)`: what is left of the running delay, at most `maxDelay`.
    fn calculate_delay(&self, now: i64) -> i32 {
        let diff = self.scheduled_rebalance - now;
        if diff > 0 {
            diff.min(i64::from(self.max_delay)) as i32
        } else {
            0
        }
    }
}

/// `fillAssignments`' constant arguments.
struct Fill<'a> {
    error: i16,
    leader_id: &'a str,
    leader_url: &'a str,
    offset: i64,
    delay: i32,
    protocol_version: i16,
}

impl Fill<'_> {
    /// `fillAssignments`: each member's `ExtendedAssignment` from the cluster assignment.
    fn assignments<'m>(
        &self,
        members: impl Iterator<Item = &'m str>,
        cluster: &ClusterAssignment,
    ) -> BTreeMap<String, ExtendedAssignment> {
        members
            .map(|member| {
                let assignment = ExtendedAssignment {
                    version: self.protocol_version,
                    error: self.error,
                    leader: self.leader_id.to_string(),
                    leader_url: self.leader_url.to_string(),
                    offset: self.offset,
                    connectors: get_or_empty(&cluster.newly_assigned_connectors, member),
                    tasks: get_or_empty(&cluster.newly_assigned_tasks, member),
                    revoked_connectors: get_or_empty(&cluster.newly_revoked_connectors, member),
                    revoked_tasks: get_or_empty(&cluster.newly_revoked_tasks, member),
                    delay: self.delay,
                };
                (member.to_string(), assignment)
            })
            .collect()
    }
}

fn get_or_empty<T: Clone>(map: &BTreeMap<String, Vec<T>>, member: &str) -> Vec<T> {
    map.get(member).cloned().unwrap_or_default()
}
