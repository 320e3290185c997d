//! Offsets: commits (auto-commit, before a join, on close, and the application's own
//! `commitSync`, a Streams thread's), and OffsetFetch of the committed offsets a newly
//! assigned partition starts from (or `auto.offset.reset`).

use crate::cluster::Cluster;
use crate::command::{OffsetReset, TopicPartition};
use crate::group::coordinator::{GroupError, GroupRequest};
use crate::group::fetch::FetchPosition;

use super::{ClientState, CommitReason, JoinPhase, Pending};

impl Cluster {
    /// The application's `commitSync(offsets)`; false when it is not sent: no coordinator, or
    /// the member is rebalancing. Kafka's `ConsumerCoordinator.sendOffsetCommitRequest` commits
    /// only with `generationIfStable()`: between JoinGroup and the SyncGroup answer it fails the
    /// commit at once (`RebalanceInProgressException`) rather than send the old generation,
    /// which the coordinator would refuse with ILLEGAL_GENERATION and the member, answered once
    /// stable again, would take as its removal from the group.
    pub(crate) fn consumer_commit_offsets(
        &mut self,
        id: u32,
        offsets: Vec<(TopicPartition, u64)>,
    ) -> bool {
        let c = &self.consumers[id as usize];
        if c.coordinator.is_none() || c.generation < 0 || c.phase != JoinPhase::Stable {
            return false;
        }
        let body = GroupRequest::OffsetCommit {
            member: c.member_id.clone(),
            generation: c.generation,
            offsets,
        };
        self.send_group_request(id, Pending::Commit(CommitReason::Application), body);
        true
    }

    /// A member of a stable generation that is looking for its coordinator: a `commitSync` now
    /// waits for the lookup (`ensureCoordinatorReady`) and is then sent with that generation.
    pub(crate) fn consumer_awaits_coordinator(&self, id: u32) -> bool {
        let c = &self.consumers[id as usize];
        c.state == ClientState::Running
            && c.coordinator.is_none()
            && c.generation >= 0
            && c.phase == JoinPhase::Stable
    }

    pub(super) fn send_commit(&mut self, id: u32, reason: CommitReason) {
        let c = &self.consumers[id as usize];
        let body = GroupRequest::OffsetCommit {
            member: c.member_id.clone(),
            generation: c.generation,
            offsets: c.positions(),
        };
        self.send_group_request(id, Pending::Commit(reason), body);
    }

    /// OffsetFetch for partitions whose starting offset is unknown.
    pub(super) fn fetch_positions(&mut self, id: u32) {
        let c = &self.consumers[id as usize];
        if c.phase != JoinPhase::Stable
            || c.coordinator.is_none()
            || c.in_flight(Pending::OffsetFetch)
        {
            return;
        }
        let partitions: Vec<TopicPartition> = c
            .owned
            .iter()
            .filter(|(_, p)| p.fetch_position.is_none() && !p.offset_requested)
            .map(|(tp, _)| tp.clone())
            .collect();
        if partitions.is_empty() {
            return;
        }
        let c = &mut self.consumers[id as usize];
        for tp in &partitions {
            c.owned.get_mut(tp).expect("owned").offset_requested = true;
        }
        self.send_group_request(
            id,
            Pending::OffsetFetch,
            GroupRequest::OffsetFetch { partitions },
        );
    }

    pub(super) fn on_offset_fetch(
        &mut self,
        id: u32,
        result: Result<Vec<(TopicPartition, Option<u64>)>, GroupError>,
    ) {
        let c = &mut self.consumers[id as usize];
        let offsets = match result {
            Ok(o) => o,
            Err(e) => {
                for p in c.owned.values_mut() {
                    if p.fetch_position.is_none() {
                        p.offset_requested = false;
                    }
                }
                if e.coordinator_lost() {
                    self.coordinator_unknown(id);
                }
                return;
            }
        };
        let reset = c.config.auto_offset_reset;
        for (tp, committed) in offsets {
            let Some(p) = c.owned.get_mut(&tp) else {
                continue;
            };
            if p.fetch_position.is_some() {
                continue;
            }
            match committed {
                Some(o) => {
                    p.fetch_position = Some(FetchPosition::Offset(o));
                    p.position = Some(o);
                }
                None => p.fetch_position = Some(reset_position(reset)),
            }
        }
    }

    /// The positions a commit would send now (`allConsumed`): a Connect sink task's
    /// `currentOffsets`.
    pub(crate) fn consumer_positions(&self, id: u32) -> Vec<(TopicPartition, u64)> {
        self.consumers[id as usize].positions()
    }

    /// Moves positions back (`KafkaConsumer.seek`): a Connect sink task whose `put` failed
    /// commits only what it wrote.
    pub(crate) fn consumer_rewind(&mut self, id: u32, offsets: &[(TopicPartition, u64)]) {
        let c = &mut self.consumers[id as usize];
        for (tp, offset) in offsets {
            if let Some(p) = c.owned.get_mut(tp) {
                p.position = Some(*offset);
            }
        }
    }
}

pub(super) fn reset_position(reset: OffsetReset) -> FetchPosition {
    match reset {
        OffsetReset::Earliest => FetchPosition::Earliest,
        OffsetReset::Latest => FetchPosition::Latest,
    }
}
