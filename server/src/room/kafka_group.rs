//! The room's side of the listeners' consumer-group APIs (`crate::kafka::group`): a real
//! client's group request applied to the room's cluster as `Command::ExternalGroup`, its answer
//! sent back when the engine has one (a JoinGroup waits for the rebalance, in simulated time);
//! ListGroups and DescribeGroups read the coordinator's state here. Like Produce, every group
//! request is journaled (`Room::apply_client`); ListGroups and DescribeGroups change nothing.

use std::collections::BTreeMap;

use engine::Command;
use tokio::sync::oneshot;

use super::Room;
use crate::kafka::group::{GroupAsk, GroupReply};

/// Group requests the engine has not answered yet, by (client, token).
pub type GroupWaiting = BTreeMap<(u32, u64), oneshot::Sender<GroupReply>>;

impl Room {
    pub(super) fn kafka_group(&mut self, ask: GroupAsk, reply: oneshot::Sender<GroupReply>) {
        let (client_name, request) = match ask {
            GroupAsk::Summaries { groups } => {
                let names = groups.unwrap_or_else(|| self.cluster.group_names());
                let summaries = names
                    .into_iter()
                    .map(|name| {
                        let summary = self.cluster.group_summary(&name);
                        (name, summary)
                    })
                    .collect();
                let _ = reply.send(GroupReply::Summaries(summaries));
                return;
            }
            GroupAsk::Engine {
                client_name,
                request,
            } => (client_name, request),
        };
        let (client, token, group) = (request.client, request.token, request.group.clone());
        if !self.ensure_client(client, client_name)
            || !self.apply_client(Command::ExternalGroup(request))
        {
            return; // the reply dropped: the connection closes
        }
        self.drain();
        // A group a real client brought is one the console's lines may name (`expect state G`,
        // `group delete G`), as if `group add` had declared it; it has no subscription of its
        // own (its members' is in their metadata).
        if self.cluster.has_group(&group) && !self.ctx.groups.contains_key(&group) {
            self.ctx.groups.insert(
                group.clone(),
                engine::scenario::parser::GroupInfo { topics: Vec::new() },
            );
        }
        // Its members likewise: `expect members G == …` names real members by their member
        // ids. A console command addressed to one (`consumer stop`) is refused by the engine,
        // which has no simulated consumer of that name.
        for member in self.cluster.group_members(&group).unwrap_or_default() {
            self.ctx.consumers.entry(member).or_insert_with(|| {
                engine::scenario::parser::ConsumerInfo {
                    group: group.clone(),
                    stopped: false,
                    stalled: false,
                }
            });
        }
        self.kafka_group_waiting.insert((client, token), reply);
        // An answer the broker gave at once (an empty group id) goes back now.
        self.answer_kafka_groups();
    }

    /// Sends every group answer the engine has finished to its waiting connection.
    pub(super) fn answer_kafka_groups(&mut self) {
        for response in self.cluster.drain_external_groups() {
            if let Some(reply) = self
                .kafka_group_waiting
                .remove(&(response.client, response.token))
            {
                let _ = reply.send(GroupReply::Engine(response.answer));
            }
        }
    }
}
