//! The heartbeat thread (`AbstractCoordinator.HeartbeatThread`): a Heartbeat every
//! `heartbeat.interval.ms` once joined, the client-side session check, and leaving the group
//! when the application has not polled for `max.poll.interval.ms`.

use crate::cluster::Cluster;
use crate::event::Event;
use crate::group::coordinator::GroupRequest;

use super::{JoinPhase, Pending};

impl Cluster {
    /// The heartbeat thread: heartbeats, the client-side session check, and the poll timeout.
    pub(super) fn heartbeat_thread(&mut self, id: u32) {
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        if c.at_poll() {
            // An idle application is blocked inside poll(): that counts as polling.
            c.last_poll_us = now;
        }
        let c = &self.consumers[id as usize];
        if !c.is_member() || c.coordinator.is_none() {
            return;
        }
        if now.saturating_sub(c.last_poll_us) > c.config.max_poll_interval_us {
            // "consumer poll timeout has expired": leave so the others can take over.
            let member = c.member_id.clone();
            self.send_group_request(id, Pending::Leave, GroupRequest::LeaveGroup { member });
            let (consumer, group) = self.client_names(id);
            self.emit(Event::PollTimeout { consumer, group });
            self.lose_membership(id, "poll timeout");
            return;
        }
        if now.saturating_sub(c.last_heartbeat_ok_us) > c.config.session_timeout_us {
            // No answer for a whole session: the coordinator is presumed dead.
            return self.coordinator_unknown(id);
        }
        if now >= c.last_heartbeat_sent_us + c.config.heartbeat_interval_us
            && !c.in_flight(Pending::Heartbeat)
        {
            let body = GroupRequest::Heartbeat {
                member: c.member_id.clone(),
                generation: if c.phase == JoinPhase::Syncing {
                    c.joining_generation
                } else {
                    c.generation
                },
            };
            self.consumers[id as usize].last_heartbeat_sent_us = now;
            self.send_group_request(id, Pending::Heartbeat, body);
        }
    }
}
