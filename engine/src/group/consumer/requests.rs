//! Group requests in flight, as Kafka's `AbstractCoordinator` sends them: FindCoordinator to
//! any live broker, the rest to the coordinator; their answers; a coordinator that is gone;
//! request timeouts; and a broker's death failing what was sent to it.

use crate::cluster::Cluster;
use crate::group::coordinator::{GroupError, GroupRequest, GroupResponse};
use crate::net::Message;
use crate::time::Micros;

use super::{ClientState, CommitReason, JoinPhase, Pending};

impl Cluster {
    pub(super) fn send_group_request(&mut self, id: u32, kind: Pending, body: GroupRequest) {
        let c = &self.consumers[id as usize];
        let broker = match kind {
            // FindCoordinator goes to any live broker (the "least loaded node").
            // A fenced broker is not in the metadata clients get (KIP-631), so not asked.
            Pending::FindCoordinator => match self
                .brokers
                .iter()
                .find(|b| b.alive && !b.fenced)
                .map(|b| b.id)
            {
                Some(b) => b,
                None => return,
            },
            _ => match c.coordinator {
                Some(b) => b,
                None => return,
            },
        };
        let group = c.group;
        let request = self.request_id();
        self.consumers[id as usize]
            .requests
            .insert(request, (broker, kind));
        self.send(Message::GroupRequest {
            consumer: id,
            broker,
            request,
            group,
            body,
        });
    }

    /// A group answer reaching the consumer.
    pub(crate) fn handle_group_response(&mut self, id: u32, request: u64, body: GroupResponse) {
        let c = &mut self.consumers[id as usize];
        let Some((_broker, kind)) = c.requests.remove(&request) else {
            return; // an answer to a request we gave up on
        };
        if matches!(c.state, ClientState::Stopped | ClientState::Crashed) {
            return;
        }
        match body {
            GroupResponse::FindCoordinator(found) => {
                let now = self.now;
                let c = &mut self.consumers[id as usize];
                match found {
                    Some(b) => {
                        c.coordinator = Some(b);
                        c.last_heartbeat_ok_us = now;
                    }
                    None => c.retry_coordinator_at = now + c.config.retry_backoff_us,
                }
            }
            GroupResponse::JoinGroup(result) => self.on_join_response(id, result),
            GroupResponse::SyncGroup(result) => self.on_sync_response(id, result),
            GroupResponse::Heartbeat(result) => {
                let now = self.now;
                match result {
                    Ok(()) => self.consumers[id as usize].last_heartbeat_ok_us = now,
                    Err(GroupError::RebalanceInProgress) => {
                        let c = &mut self.consumers[id as usize];
                        c.last_heartbeat_ok_us = now;
                        if c.phase == JoinPhase::Stable {
                            c.rejoin_needed = true;
                        }
                    }
                    // A late answer from before a rejoin says nothing about the new membership.
                    Err(e)
                        if e.coordinator_lost()
                            || self.consumers[id as usize].phase == JoinPhase::Stable =>
                    {
                        self.on_group_error(id, e)
                    }
                    Err(_) => {}
                }
            }
            GroupResponse::LeaveGroup(_) => {}
            GroupResponse::OffsetCommit(result) => {
                if kind == Pending::Commit(CommitReason::Application)
                    && let Some(thread) = self.consumers[id as usize].streams
                {
                    if let Err(e) = result {
                        self.streams_commit_failed(thread, e.coordinator_lost());
                    } else {
                        self.streams_commit_succeeded(thread);
                    }
                }
                if let Err(e) = result {
                    if kind == Pending::Commit(CommitReason::Auto) && e.coordinator_lost() {
                        // doAutoCommitOffsetsAsync: a retriable failure retries after
                        // retry.backoff.ms, not a whole auto.commit.interval.ms later.
                        let now = self.now;
                        let c = &mut self.consumers[id as usize];
                        c.next_auto_commit_us =
                            c.next_auto_commit_us.min(now + c.config.retry_backoff_us);
                    }
                    if e.coordinator_lost()
                        || self.consumers[id as usize].phase == JoinPhase::Stable
                    {
                        self.on_group_error(id, e);
                    }
                }
                match kind {
                    Pending::Commit(CommitReason::Close) => self.finish_close(id),
                    Pending::Commit(CommitReason::JoinPrepare) => {
                        let c = &self.consumers[id as usize];
                        if c.phase == JoinPhase::Committing && c.coordinator.is_some() {
                            self.send_join(id);
                        } else if c.phase == JoinPhase::Committing {
                            self.consumers[id as usize].phase = JoinPhase::Unjoined;
                        }
                    }
                    _ => {}
                }
            }
            GroupResponse::OffsetFetch(result) => self.on_offset_fetch(id, result),
        }
        self.consumer_poll(id);
    }

    /// A group request failed: look the coordinator up again if it is gone; if it no longer
    /// knows this member or its generation, the membership (and every partition) is lost.
    pub(super) fn on_group_error(&mut self, id: u32, e: GroupError) {
        if e.coordinator_lost() {
            self.coordinator_unknown(id);
        } else if matches!(
            e,
            GroupError::UnknownMemberId | GroupError::IllegalGeneration
        ) {
            self.lose_membership(id, "removed from the group");
        }
    }

    pub(super) fn ensure_coordinator(&mut self, id: u32) {
        let now = self.now;
        if let Some(b) = self.consumers[id as usize].coordinator
            && !self.broker(b).alive
        {
            // The connection to the coordinator is down (NetworkClient marks the node
            // unavailable): look it up again rather than wait for the next heartbeat to fail.
            self.coordinator_unknown(id);
        }
        let c = &self.consumers[id as usize];
        if c.coordinator.is_none()
            && !c.in_flight(Pending::FindCoordinator)
            && now >= c.retry_coordinator_at
        {
            let c = &mut self.consumers[id as usize];
            c.retry_coordinator_at = now + c.config.retry_backoff_us;
            self.send_group_request(id, Pending::FindCoordinator, GroupRequest::FindCoordinator);
        }
    }

    pub(super) fn coordinator_unknown(&mut self, id: u32) {
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        if c.coordinator.take().is_some() {
            c.retry_coordinator_at = now + c.config.retry_backoff_us;
        }
        // Requests to the old coordinator will not be answered usefully. An auto-commit among
        // them failed retriably: retry it after retry.backoff.ms.
        if c.requests
            .values()
            .any(|(_, k)| *k == Pending::Commit(CommitReason::Auto))
        {
            c.next_auto_commit_us = c.next_auto_commit_us.min(now + c.config.retry_backoff_us);
        }
        let application_commit = c
            .requests
            .values()
            .any(|(_, k)| *k == Pending::Commit(CommitReason::Application));
        c.requests
            .retain(|_, (_, k)| matches!(k, Pending::FindCoordinator | Pending::Leave));
        if application_commit && let Some(thread) = c.streams {
            self.streams_commit_failed(thread, true);
        }
        let c = &mut self.consumers[id as usize];
        if matches!(
            c.phase,
            JoinPhase::Joining | JoinPhase::Syncing | JoinPhase::Committing
        ) {
            c.phase = JoinPhase::Unjoined;
        }
        for p in c.owned.values_mut() {
            if p.fetch_position.is_none() {
                p.offset_requested = false;
            }
        }
        if c.state == ClientState::Closing {
            // close() gives up on the commit and leaves without it.
            self.finish_close(id);
        }
    }

    /// How long the consumer waits for this group request, if it still waits for it:
    /// `request.timeout.ms`, or for a JoinGroup the rebalance timeout plus 5 s (Kafka's
    /// `AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE`), whichever is longer.
    pub(crate) fn group_request_timeout(&self, id: u32, request: u64) -> Option<Micros> {
        // A Connect worker's requests time out in the worker itself (`connect/distributed.rs`).
        if crate::connect::distributed::worker_of(id).is_some() {
            return None;
        }
        // A real client's too: it has its own `request.timeout.ms` and reconnects.
        if crate::client::external_group::external_of(id).is_some() {
            return None;
        }
        let c = &self.consumers[id as usize];
        let (_, kind) = c.requests.get(&request)?;
        Some(match kind {
            Pending::Join => c
                .config
                .request_timeout_us
                .max(c.config.max_poll_interval_us + crate::time::secs(5)),
            _ => c.config.request_timeout_us,
        })
    }

    /// A group request lost in a cut timed out (`lost.rs`): it fails as a broken connection does.
    pub(crate) fn group_request_timed_out(&mut self, id: u32, request: u64) {
        let Some(&(_, kind)) = self.consumers[id as usize].requests.get(&request) else {
            return;
        };
        self.handle_group_response(id, request, failed_response(kind));
    }

    /// A broker died: its open connections break, and every consumer waiting on it hears so.
    pub(crate) fn fail_consumer_requests_to(&mut self, broker: u32) {
        for id in 0..self.consumers.len() as u32 {
            let c = &self.consumers[id as usize];
            if c.state == ClientState::Crashed {
                continue;
            }
            let failed: Vec<u64> = c
                .requests
                .iter()
                .filter(|(_, (b, _))| *b == broker)
                .map(|(r, _)| *r)
                .collect();
            let fetch = c.fetches.get(&broker).copied();
            for request in failed {
                let kind = self.consumers[id as usize].requests[&request].1;
                let body = failed_response(kind);
                self.send(Message::GroupResponse {
                    consumer: id,
                    broker,
                    request,
                    body,
                });
            }
            if let Some(request) = fetch {
                self.send(Message::ConsumerFetchResponse {
                    consumer: id,
                    broker,
                    request,
                    parts: None,
                });
            }
        }
    }
}

/// The answer a broken connection gives to a request of this kind.
fn failed_response(kind: Pending) -> GroupResponse {
    let e = GroupError::NetworkException;
    match kind {
        Pending::FindCoordinator => GroupResponse::FindCoordinator(None),
        Pending::Join => GroupResponse::JoinGroup(Err(e)),
        Pending::Sync => GroupResponse::SyncGroup(Err(e)),
        Pending::Heartbeat => GroupResponse::Heartbeat(Err(e)),
        Pending::Commit(_) => GroupResponse::OffsetCommit(Err(e)),
        Pending::OffsetFetch => GroupResponse::OffsetFetch(Err(e)),
        Pending::Leave => GroupResponse::LeaveGroup(Err(e)),
    }
}
