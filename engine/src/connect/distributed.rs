//! Connect's distributed mode (`connect-distributed`, `DistributedHerder`): every worker is a
//! member of its Connect group (`group.id`, `connect-cluster` by default) through the group
//! coordinator, as `WorkerGroupMember`/`WorkerCoordinator` make it one: JoinGroup with protocol
//! type `connect` offering `sessioned`, `compatible` and `default` with the worker's
//! `ExtendedWorkerState` (`protocol.rs`), SyncGroup, a heartbeat every `heartbeat.interval.ms`
//! (3 s), `session.timeout.ms` 10 s, `rebalance.timeout.ms` 60 s.
//!
//! The leader runs the `IncrementalCooperativeAssignor` (`assignor/`) on the members' metadata
//! and the config snapshot. Each worker applies its assignment as `DistributedHerder` does:
//! the revoked connectors and tasks stop first (their status becomes UNASSIGNED) and, if any
//! were revoked, the worker rejoins at once (the cooperative second round); then the new ones
//! start. An assignment with a delay (`scheduled.rebalance.max.delay.ms`, lost work waiting
//! for its worker to return) makes every worker rejoin when it ends
//! (`DistributedHerder.scheduledRebalance`).
//!
//! A crashed worker says nothing: the coordinator notices at its session timeout, the rebalance
//! finds its work lost and the leader keeps it unassigned for the delay. Its status records
//! stay as it last wrote them (nobody else writes them until a worker starts the work again).
//!
//! Workers reach the coordinator through the engine's network as clients whose id carries
//! [`WORKER_CLIENT`], so cuts and latency apply to them as to consumers.

use std::collections::BTreeMap;

use crate::cluster::{Cluster, CommandError, Timer};
use crate::connect::assignor::{IncrementalCooperativeAssignor, Rebalance};
use crate::connect::connector::{State, Stop, TargetState};
use crate::connect::protocol::{
    CONNECTOR_TASK, ConnectProtocolCompatibility, ExtendedAssignment, ExtendedWorkerState,
};
use crate::connect::{ConnectCluster, TaskRef};
use crate::group::coordinator::{Group, GroupError, GroupRequest, GroupResponse, JoinResponse};
use crate::group::offsets_topic;
use crate::net::Message;
use crate::time::{Micros, ms, secs};

/// `heartbeat.interval.ms` (DistributedConfig: 3000).
pub const HEARTBEAT_INTERVAL_US: Micros = secs(3);
/// `session.timeout.ms` (DistributedConfig: 10000).
pub const SESSION_TIMEOUT_US: Micros = secs(10);
/// `rebalance.timeout.ms` (DistributedConfig: 60000).
pub const REBALANCE_TIMEOUT_US: Micros = secs(60);
/// `request.timeout.ms` (DistributedConfig: 40000): an unanswered request (lost in a network
/// cut) is given up, and the coordinator looked for again.
const REQUEST_TIMEOUT_US: Micros = secs(40);
/// `retry.backoff.ms` (100): before looking for the coordinator or joining again.
const RETRY_BACKOFF_US: Micros = ms(100);
/// `group.id`'s usual value in the distributed worker's properties.
pub const DEFAULT_GROUP_ID: &str = "connect-cluster";
/// Most `scheduled.rebalance.max.delay.ms` a worker may be given (an hour).
pub const MAX_DELAY_MS: u32 = 3_600_000;
/// Marks a group client id as a distributed worker's (index in `Connect::workers` below it)
/// rather than a consumer's.
pub(crate) const WORKER_CLIENT: u32 = 1 << 31;

/// The worker index a group client id stands for, if it is a worker's.
pub(crate) fn worker_of(client: u32) -> Option<u32> {
    (client & WORKER_CLIENT != 0).then_some(client & !WORKER_CLIENT)
}

/// Where the member is in the group protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberPhase {
    /// Not a member (yet, or again after losing its membership).
    Unjoined,
    Joining,
    Syncing,
    Stable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    FindCoordinator,
    Join,
    Sync,
    Heartbeat,
    Leave,
}

/// A distributed worker's membership and the herder state around it.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its cluster (`Connect::clusters`).
    pub cluster: u32,
    pub member_id: String,
    pub coordinator: Option<u32>,
    pub phase: MemberPhase,
    /// The generation of its last JoinGroup answer.
    pub generation: i32,
    /// The generation of its last completed rebalance (-1: none).
    last_completed_generation: i32,
    /// What it runs (`WorkerCoordinator.assignmentSnapshot`), reported when it joins.
    pub assignment: Option<ExtendedAssignment>,
    /// The assignor it runs when it leads; its memory is lost when leadership moves.
    assignor: IncrementalCooperativeAssignor,
    /// `scheduled.rebalance.max.delay.ms`.
    pub max_delay_ms: u32,
    /// Requests in flight: what each is, when it gives up, and the broker it went to.
    requests: BTreeMap<u64, (Pending, Micros, u32)>,
    rejoin_needed: bool,
    /// `DistributedHerder.scheduledRebalance`: when the assignment's delay ends.
    pub scheduled_rebalance_us: Option<Micros>,
    next_heartbeat_us: Micros,
    /// Identifies the current tick timer.
    token: u64,
}

impl Member {
    fn new(cluster: u32, member_id: String, max_delay_ms: u32) -> Self {
        Member {
            cluster,
            member_id,
            coordinator: None,
            phase: MemberPhase::Unjoined,
            generation: -1,
            last_completed_generation: -1,
            assignment: None,
            assignor: IncrementalCooperativeAssignor::new(max_delay_ms as i32),
            max_delay_ms,
            requests: BTreeMap::new(),
            rejoin_needed: false,
            scheduled_rebalance_us: None,
            next_heartbeat_us: 0,
            token: 0,
        }
    }

    fn in_flight(&self, kind: Pending) -> bool {
        self.requests.values().any(|(k, _, _)| *k == kind)
    }
}

impl Cluster {
    fn member(&self, w: u32) -> Option<&Member> {
        let worker = &self.connect.workers[w as usize];
        worker.distributed.as_deref().filter(|_| worker.alive)
    }

    fn member_mut(&mut self, w: u32) -> Option<&mut Member> {
        let worker = &mut self.connect.workers[w as usize];
        if !worker.alive {
            return None;
        }
        worker.distributed.as_deref_mut()
    }

    /// `worker add NAME mode=distributed [group=G] [scheduled.rebalance.max.delay.ms=N]`: a
    /// distributed worker starts and joins its group. The group's first worker creates the
    /// internal topics.
    pub fn cmd_worker_add_distributed(
        &mut self,
        name: String,
        group_id: Option<String>,
        max_delay_ms: Option<u32>,
    ) -> Result<(), CommandError> {
        let group_id = group_id.unwrap_or_else(|| DEFAULT_GROUP_ID.to_string());
        let max_delay_ms = max_delay_ms
            .unwrap_or(crate::connect::assignor::SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT as u32);
        if max_delay_ms > MAX_DELAY_MS {
            return Err(CommandError::Limit(format!(
                "scheduled.rebalance.max.delay.ms is at most {MAX_DELAY_MS}"
            )));
        }
        let cluster = match self.connect.cluster_index(&group_id) {
            Some(c) => c,
            None => {
                if self.group_index(&group_id).is_some() {
                    return Err(CommandError::Invalid(format!(
                        "group '{group_id}' is a consumer group: a Connect cluster needs its own group.id"
                    )));
                }
                if self.brokers.is_empty() {
                    return Err(CommandError::NoBrokers);
                }
                // Checked before anything is created: the name must be free.
                CommandError::limit(crate::limits::check_name("worker", &name))?;
                if self.connect.worker_index(&name).is_some() {
                    return Err(CommandError::Invalid(format!(
                        "worker '{name}' already exists"
                    )));
                }
                self.new_connect_cluster(group_id)?
            }
        };
        self.cmd_worker_add(name.clone())?;
        let w = (self.connect.workers.len() - 1) as u32;
        self.connect.workers[w as usize].distributed =
            Some(Box::new(Member::new(cluster, name, max_delay_ms)));
        self.worker_tick(w, 0);
        Ok(())
    }

    /// A new Connect cluster: its group in the coordinator and its internal topics.
    fn new_connect_cluster(&mut self, group_id: String) -> Result<u32, CommandError> {
        let producers = self
            .create_internal_topics()
            .map_err(CommandError::Invalid)?;
        self.groups.push(Group::new(
            group_id.clone(),
            Vec::new(),
            // The group's client settings as a describing tool would show them: the worker's.
            crate::config::ConsumerConfig {
                session_timeout_us: SESSION_TIMEOUT_US,
                heartbeat_interval_us: HEARTBEAT_INTERVAL_US,
                max_poll_interval_us: REBALANCE_TIMEOUT_US,
                ..crate::config::ConsumerConfig::default()
            },
            None,
            offsets_topic::replicas_for(&group_id, self.brokers.len() as u32),
        ));
        let group = (self.groups.len() - 1) as u32;
        self.refresh_coordinators(false);
        self.emit(crate::event::Event::GroupCreated {
            group: group_id.clone(),
            topics: Vec::new(),
            assignor: ConnectProtocolCompatibility::Sessioned
                .protocol()
                .to_string(),
            coordinator: self.groups[group as usize].coordinator,
        });
        self.connect.clusters.push(ConnectCluster {
            group_id,
            group,
            config_offset: 0,
            offsets: Default::default(),
            statuses: BTreeMap::new(),
            producers,
        });
        Ok((self.connect.clusters.len() - 1) as u32)
    }

    fn schedule_worker_tick(&mut self, w: u32, at: Micros) {
        let Some(m) = self.member_mut(w) else { return };
        m.token += 1;
        let token = m.token;
        self.schedule(at, Timer::ConnectWorker { worker: w, token });
    }

    /// The herder's loop (`DistributedHerder.tick` and the member's `poll`): find the
    /// coordinator, (re)join when needed, heartbeat, rejoin when the scheduled rebalance is due.
    /// `token` 0 is a direct call; a stale timer does nothing.
    pub(crate) fn worker_tick(&mut self, w: u32, token: u64) {
        let now = self.now;
        let Some(m) = self.member_mut(w) else { return };
        if token != 0 && token != m.token {
            return;
        }
        if m.scheduled_rebalance_us.is_some_and(|at| now >= at) {
            m.scheduled_rebalance_us = None;
            m.rejoin_needed = true;
        }
        let expired: Vec<(u64, Pending)> = m
            .requests
            .iter()
            .filter(|(_, (_, until, _))| now >= *until)
            .map(|(&r, &(k, _, _))| (r, k))
            .collect();
        for (r, kind) in expired {
            // The request was lost: as a broken connection, the coordinator is looked for again.
            m.requests.remove(&r);
            if kind != Pending::Leave {
                m.coordinator = None;
            }
            if matches!(kind, Pending::Join | Pending::Sync) {
                m.phase = MemberPhase::Unjoined;
            }
        }
        if m.coordinator.is_none() {
            if !m.in_flight(Pending::FindCoordinator) {
                self.worker_send(w, Pending::FindCoordinator, GroupRequest::FindCoordinator);
            }
            return self.schedule_worker_tick(w, now + RETRY_BACKOFF_US);
        }
        let m = self.member_mut(w).expect("a member");
        let joining = m.in_flight(Pending::Join) || m.in_flight(Pending::Sync);
        if (m.phase == MemberPhase::Unjoined || m.rejoin_needed) && !joining {
            self.send_worker_join(w);
        }
        let m = self.member_mut(w).expect("a member");
        if matches!(m.phase, MemberPhase::Stable | MemberPhase::Syncing)
            && now >= m.next_heartbeat_us
            && !m.in_flight(Pending::Heartbeat)
        {
            m.next_heartbeat_us = now + HEARTBEAT_INTERVAL_US;
            let body = GroupRequest::Heartbeat {
                member: m.member_id.clone(),
                generation: m.generation,
            };
            self.worker_send(w, Pending::Heartbeat, body);
        }
        let m = self.member(w).expect("a member");
        // The next instant something is due: a heartbeat, a request's timeout, the delay's end.
        let mut due: Vec<Micros> = m.requests.values().map(|&(_, until, _)| until).collect();
        if matches!(m.phase, MemberPhase::Stable | MemberPhase::Syncing) {
            due.push(m.next_heartbeat_us);
        }
        due.extend(m.scheduled_rebalance_us);
        if let Some(at) = due.into_iter().min() {
            self.schedule_worker_tick(w, at.max(now + ms(1)));
        }
    }

    /// JoinGroup with the worker's state (`WorkerCoordinator.metadata`): its URL, the config
    /// offset it has read (all of it: workers here read the config topic at once) and what it
    /// runs.
    fn send_worker_join(&mut self, w: u32) {
        let name = self.connect.workers[w as usize].name.clone();
        let m = self.member(w).expect("a member");
        let offset = self.connect.clusters[m.cluster as usize].config_offset;
        let state = ExtendedWorkerState {
            url: format!("http://{name}:8083/"),
            offset,
            assignment: m.assignment.clone(),
        };
        let body = GroupRequest::JoinGroup {
            member: m.member_id.clone(),
            protocol_type: "connect".to_string(),
            protocols: state.metadata_request(true),
            session_timeout_us: SESSION_TIMEOUT_US,
            rebalance_timeout_us: REBALANCE_TIMEOUT_US,
        };
        let m = self.member_mut(w).expect("a member");
        m.rejoin_needed = false;
        m.phase = MemberPhase::Joining;
        self.worker_send(w, Pending::Join, body);
    }

    fn worker_send(&mut self, w: u32, kind: Pending, body: GroupRequest) {
        let m = self.member(w).expect("a member");
        let broker = match kind {
            // FindCoordinator goes to any live broker the metadata lists.
            Pending::FindCoordinator => match self.brokers.iter().find(|b| b.alive && !b.fenced) {
                Some(b) => b.id,
                None => return,
            },
            _ => match m.coordinator {
                Some(b) => b,
                None => return,
            },
        };
        let group = self.connect.clusters[m.cluster as usize].group;
        let request = self.request_id();
        let timeout = match kind {
            // `AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE`: the rebalance timeout plus 5 s.
            Pending::Join => REBALANCE_TIMEOUT_US + secs(5),
            _ => REQUEST_TIMEOUT_US,
        };
        let until = self.now + timeout;
        self.member_mut(w)
            .expect("a member")
            .requests
            .insert(request, (kind, until, broker));
        self.send(Message::GroupRequest {
            consumer: WORKER_CLIENT | w,
            broker,
            request,
            group,
            body,
        });
    }

    /// `broker kill`: the process is gone and its sockets with it. Every request a live worker
    /// has in flight to it fails at once with a disconnect (`NetworkClient` fails what was in
    /// flight on a closed connection; `AbstractCoordinator` then marks the coordinator unknown
    /// and looks for it again), as the consumers' do (`fail_consumer_requests_to`). Without
    /// this a JoinGroup parked in the dead coordinator waited out its 65 s timeout while a new
    /// coordinator formed the group without the worker, which kept running tasks the new
    /// leader handed to others.
    pub(crate) fn fail_worker_requests_to(&mut self, broker: u32) {
        for w in 0..self.connect.workers.len() as u32 {
            let Some(m) = self.member(w) else { continue };
            let failed: Vec<(u64, Pending)> = m
                .requests
                .iter()
                .filter(|(_, (_, _, b))| *b == broker)
                .map(|(&r, &(k, _, _))| (r, k))
                .collect();
            for (request, kind) in failed {
                let e = GroupError::NetworkException;
                let body = match kind {
                    Pending::FindCoordinator => GroupResponse::FindCoordinator(None),
                    Pending::Join => GroupResponse::JoinGroup(Err(e)),
                    Pending::Sync => GroupResponse::SyncGroup(Err(e)),
                    Pending::Heartbeat => GroupResponse::Heartbeat(Err(e)),
                    Pending::Leave => GroupResponse::LeaveGroup(Err(e)),
                };
                self.send(Message::GroupResponse {
                    consumer: WORKER_CLIENT | w,
                    broker,
                    request,
                    body,
                });
            }
        }
    }

    /// Whether a group client (consumer or worker) is gone: answers to it are dropped.
    pub(crate) fn group_client_gone(&self, client: u32) -> bool {
        match worker_of(client) {
            Some(w) => self.member(w).is_none(),
            None if crate::client::external_group::external_of(client).is_some() => {
                !self.external_client(client & !crate::client::external_group::EXTERNAL_CLIENT)
            }
            None => self.consumer_gone(client),
        }
    }

    /// A group answer reaching a worker.
    pub(crate) fn worker_group_response(&mut self, w: u32, request: u64, body: GroupResponse) {
        let now = self.now;
        let Some(m) = self.member_mut(w) else { return };
        if m.requests.remove(&request).is_none() {
            return;
        }
        let lost = |this: &mut Cluster, e: GroupError| {
            let m = this.member_mut(w).expect("a member");
            if e.coordinator_lost() {
                m.coordinator = None;
            }
            if matches!(
                e,
                GroupError::UnknownMemberId | GroupError::IllegalGeneration
            ) {
                // `AbstractCoordinator.resetGenerationOnResponseError`: the membership is gone;
                // `WorkerCoordinator.onJoinPrepare` then revokes everything the worker ran.
                m.generation = -1;
                this.revoke_all(w);
            }
            let m = this.member_mut(w).expect("a member");
            m.phase = MemberPhase::Unjoined;
            this.schedule_worker_tick(w, now + RETRY_BACKOFF_US);
        };
        match body {
            GroupResponse::FindCoordinator(found) => {
                m.coordinator = found;
                let at = if found.is_some() {
                    now
                } else {
                    now + RETRY_BACKOFF_US
                };
                self.schedule_worker_tick(w, at);
            }
            GroupResponse::JoinGroup(Ok(join)) => {
                m.generation = join.generation;
                m.phase = MemberPhase::Syncing;
                m.next_heartbeat_us = now + HEARTBEAT_INTERVAL_US;
                let assignments = (join.leader == m.member_id).then(|| self.lead(w, &join));
                let m = self.member(w).expect("a member");
                let body = GroupRequest::SyncGroup {
                    member: m.member_id.clone(),
                    generation: m.generation,
                    assignments,
                };
                self.worker_send(w, Pending::Sync, body);
            }
            GroupResponse::SyncGroup(Ok(bytes)) => {
                m.phase = MemberPhase::Stable;
                m.last_completed_generation = m.generation;
                m.next_heartbeat_us = now + HEARTBEAT_INTERVAL_US;
                match ExtendedAssignment::deserialize(&bytes) {
                    Ok(a) => self.on_assigned(w, a),
                    Err(_) => self.member_mut(w).expect("a member").rejoin_needed = true,
                }
                self.worker_tick(w, 0);
            }
            GroupResponse::Heartbeat(Ok(())) | GroupResponse::LeaveGroup(_) => {}
            GroupResponse::Heartbeat(Err(GroupError::RebalanceInProgress)) => {
                m.rejoin_needed = true;
                self.worker_tick(w, 0);
            }
            GroupResponse::JoinGroup(Err(e))
            | GroupResponse::SyncGroup(Err(e))
            | GroupResponse::Heartbeat(Err(e)) => lost(self, e),
            GroupResponse::OffsetCommit(_) | GroupResponse::OffsetFetch(_) => {}
        }
    }

    /// The leader's `performAssignment`: every member's metadata decoded, the assignor run on
    /// the config snapshot; the bytes for its SyncGroup.
    fn lead(&mut self, w: u32, join: &JoinResponse) -> Vec<(String, bytes::Bytes)> {
        let m = self.member(w).expect("a member");
        let cluster = m.cluster;
        let members: Vec<(String, ExtendedWorkerState)> = join
            .members
            .iter()
            .filter_map(|(id, b)| Some((id.clone(), ExtendedWorkerState::deserialize(b).ok()?)))
            .collect();
        let protocol = ConnectProtocolCompatibility::from_protocol(&join.protocol)
            .unwrap_or(ConnectProtocolCompatibility::Sessioned);
        let mut snapshot =
            self.connect.clusters[cluster as usize].snapshot(cluster, &self.connect.connectors);
        let fresh = snapshot.clone();
        let rebalance = Rebalance {
            leader_id: &m.member_id,
            protocol,
            members: &members,
            generation_id: join.generation,
            last_completed_generation_id: m.last_completed_generation,
            now_ms: self.now / 1000,
        };
        let mut assignor = m.assignor.clone();
        let result = assignor.perform_assignment(&rebalance, &mut snapshot, || fresh);
        self.member_mut(w).expect("a member").assignor = assignor;
        result.serialize()
    }

    /// `DistributedHerder.handleRebalanceCompleted`: the delay scheduled, revoked work stopped,
    /// new work started; a revocation means another round at once.
    fn on_assigned(&mut self, w: u32, a: ExtendedAssignment) {
        let now = self.now;
        let m = self.member_mut(w).expect("a member");
        m.scheduled_rebalance_us = (a.delay > 0).then(|| now + a.delay as u64 * 1000);
        if a.failed() {
            m.rejoin_needed = true;
            return;
        }
        let revoked = !a.revoked_connectors.is_empty() || !a.revoked_tasks.is_empty();
        for c in &a.revoked_connectors {
            if let Some(c) = self.connect.connector_index(c) {
                self.stop_assigned_connector(c, w);
            }
        }
        for t in &a.revoked_tasks {
            if let Some(r) = self.task_ref(&t.connector, t.task) {
                self.stop_assigned_task(r, w, Stop::Clean);
            }
        }
        for c in &a.connectors {
            if let Some(c) = self.connect.connector_index(c) {
                self.start_assigned_connector(c, w);
            }
        }
        for t in &a.tasks {
            if let Some(r) = self.task_ref(&t.connector, t.task) {
                self.start_task(r, w);
                self.put_status(r.connector, Some(r.task), w);
            }
        }
        let m = self.member_mut(w).expect("a member");
        let previous = m.assignment.take();
        m.assignment = Some(a.augment(previous.as_ref()));
        if revoked {
            m.rejoin_needed = true;
        }
    }

    fn task_ref(&self, connector: &str, task: i32) -> Option<TaskRef> {
        if task == CONNECTOR_TASK {
            return None;
        }
        let c = self.connect.connector_index(connector)?;
        ((task as usize) < self.connect.connectors[c as usize].tasks.len()).then_some(TaskRef {
            connector: c,
            task: task as u32,
        })
    }

    /// `Worker.startConnector`: the connector instance runs on this worker, in its target state.
    fn start_assigned_connector(&mut self, c: u32, w: u32) {
        let conn = &mut self.connect.connectors[c as usize];
        conn.runner = Some(w);
        conn.trace = None;
        conn.state = match conn.target {
            TargetState::Started => State::Running,
            TargetState::Paused => State::Paused,
            TargetState::Stopped => State::Stopped,
        };
        self.put_status(c, None, w);
    }

    /// `Worker.stopAndAwaitConnector`, then `onShutdown`: UNASSIGNED written by this worker.
    fn stop_assigned_connector(&mut self, c: u32, w: u32) {
        let conn = &mut self.connect.connectors[c as usize];
        if conn.runner != Some(w) {
            return;
        }
        conn.runner = None;
        conn.state = State::Unassigned;
        self.put_status(c, None, w);
    }

    /// `Worker.stopAndAwaitTask`: the task stops and, cleanly, its status becomes UNASSIGNED.
    fn stop_assigned_task(&mut self, r: TaskRef, w: u32, how: Stop) {
        if self.connect_task(r).worker != Some(w) {
            return;
        }
        self.stop_task(r, how);
        if how != Stop::Crashed {
            self.connect_task_mut(r).state = State::Unassigned;
            self.put_status(r.connector, Some(r.task), w);
        }
    }

    /// Everything the worker runs stops (a lost membership, a clean shutdown).
    fn revoke_all(&mut self, w: u32) {
        self.stop_all_work(w, Stop::Clean);
        if let Some(m) = self.member_mut(w) {
            m.assignment = None;
        }
    }

    fn stop_all_work(&mut self, w: u32, how: Stop) {
        for c in 0..self.connect.connectors.len() as u32 {
            for t in 0..self.connect.connectors[c as usize].tasks.len() as u32 {
                let r = TaskRef {
                    connector: c,
                    task: t,
                };
                self.stop_assigned_task(r, w, how);
            }
            if how == Stop::Crashed {
                let conn = &mut self.connect.connectors[c as usize];
                if conn.runner == Some(w) {
                    conn.runner = None;
                }
            } else {
                self.stop_assigned_connector(c, w);
            }
        }
    }

    /// Every live worker of the cluster rejoins (`DistributedHerder`: a connector added,
    /// removed or given new task configs is a reason to rebalance).
    pub(crate) fn request_cluster_rejoin(&mut self, cluster: u32) {
        for w in 0..self.connect.workers.len() as u32 {
            if let Some(m) = self.member_mut(w)
                && m.cluster == cluster
            {
                m.rejoin_needed = true;
                self.worker_tick(w, 0);
            }
        }
    }

    /// `worker crash NAME` for a distributed worker: it stops talking; the coordinator removes
    /// it at its session timeout. Its tasks stop where they are (unflushed offsets lost), their
    /// statuses stay as written.
    pub(crate) fn distributed_worker_crash(&mut self, w: u32) {
        self.stop_all_work(w, Stop::Crashed);
        let worker = &mut self.connect.workers[w as usize];
        worker.alive = false;
    }

    /// `worker stop NAME` for a distributed worker: a clean shutdown (`DistributedHerder.halt`):
    /// its connectors and tasks stop (offsets flushed, statuses UNASSIGNED), then it leaves the
    /// group (`LeaveGroup`), which rebalances at once.
    pub(crate) fn distributed_worker_stop(&mut self, w: u32) {
        self.revoke_all(w);
        let m = self.member(w).expect("a member");
        let body = GroupRequest::LeaveGroup {
            member: m.member_id.clone(),
        };
        if m.coordinator.is_some() {
            self.worker_send(w, Pending::Leave, body);
        }
        self.connect.workers[w as usize].alive = false;
    }

    /// `worker restart NAME` for a distributed worker: a new process, a new member with no
    /// assignment, joining its group.
    pub(crate) fn distributed_worker_restart(&mut self, w: u32) {
        let worker = &mut self.connect.workers[w as usize];
        let old = worker.distributed.as_ref().expect("a distributed worker");
        let (cluster, max_delay) = (old.cluster, old.max_delay_ms);
        let member_id = format!("{}~{}", worker.name, worker.incarnation);
        worker.distributed = Some(Box::new(Member::new(cluster, member_id, max_delay)));
        self.worker_tick(w, 0);
    }
}
