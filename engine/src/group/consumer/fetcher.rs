//! Kafka's consumer `Fetcher`: one Fetch per leader broker for the partitions with a position
//! and an empty buffer, the answers into per-partition buffers (or a reset, or a stale leader),
//! and the client's Metadata refreshes that say where partitions lead.

use std::collections::BTreeMap;

use crate::client::ClientId;
use crate::cluster::Cluster;
use crate::event::Event;
use crate::group::fetch::{ConsumerFetchPart, ConsumerFetchResult, FetchLimits, FetchPosition};
use crate::net::{Message, Node};

use super::offsets::reset_position;
use super::{ClientState, JoinPhase, OwnedPartition};

impl Cluster {
    /// One Fetch per leader broker, for owned partitions with a position and an empty buffer.
    pub(super) fn send_fetches(&mut self, id: u32) {
        let c = &mut self.consumers[id as usize];
        let mut by_broker: BTreeMap<u32, Vec<ConsumerFetchPart>> = BTreeMap::new();
        for (tp, p) in &c.owned {
            let Some(position) = p.fetch_position else {
                continue;
            };
            // Paused partitions are not fetched (Kafka's `fetchablePartitions`).
            if !p.buffer.is_empty() || c.paused.contains(tp) {
                continue;
            }
            match c.metadata.leader(tp) {
                Some(leader) if !c.connections.all_up() && !c.connections.is_ready(leader) => {
                    // Kafka's Fetcher sends nothing to a node it is not connected to; the
                    // network client tries to connect when its backoff is over (below).
                }
                Some(leader) if !c.fetches.contains_key(&leader) => {
                    by_broker
                        .entry(leader)
                        .or_default()
                        .push(ConsumerFetchPart {
                            slot: p.slot,
                            position,
                        });
                }
                Some(_) => {}
                // Kafka's Fetcher: no known leader, Metadata.requestUpdate.
                None => c.metadata.update_requested = true,
            }
        }
        for broker in self.consumers[id as usize].waiting_for() {
            self.maybe_connect(Node::Consumer(id), broker);
        }
        let config = &self.consumers[id as usize].config;
        let limits = FetchLimits {
            max_wait_us: config.fetch_max_wait_us,
            partition_max_bytes: config.max_partition_fetch_bytes,
        };
        for (broker, parts) in by_broker {
            let request = self.request_id();
            self.consumers[id as usize].fetches.insert(broker, request);
            self.send(Message::ConsumerFetch {
                consumer: id,
                broker,
                request,
                parts,
                limits,
            });
        }
    }

    pub(crate) fn handle_consumer_fetch_response(
        &mut self,
        id: u32,
        broker: u32,
        request: u64,
        parts: Option<Vec<(u32, ConsumerFetchResult)>>,
    ) {
        let c = &mut self.consumers[id as usize];
        if c.fetches.get(&broker) != Some(&request) {
            return;
        }
        c.fetches.remove(&broker);
        if c.state != ClientState::Running {
            return;
        }
        let Some(parts) = parts else {
            // The connection broke under the fetch, or the fetch timed out, which closes the
            // connection too (`NetworkClient.handleDisconnections`, `handleTimedOutRequests`):
            // the broker is not fetched from again until a new connection is accepted
            // (`Fetcher.prepareFetchRequests` skips a node that `client.isUnavailable`), and
            // the metadata may name a new leader.
            if c.connections.is_ready(broker) {
                c.connections.disconnected(broker, self.now);
            }
            c.metadata.update_requested = true;
            return self.consumer_poll(id);
        };
        let g = c.group;
        let reset = c.config.auto_offset_reset;
        let mut resets = Vec::new();
        let c = &mut self.consumers[id as usize];
        for (slot, result) in parts {
            let Some(tp) = c.metadata.topic_partition(slot).cloned() else {
                continue;
            };
            let Some(p) = c.owned.get_mut(&tp) else {
                continue; // revoked meanwhile
            };
            match result {
                ConsumerFetchResult::Records {
                    fetch_offset,
                    records,
                    ..
                } => {
                    let expected = match p.fetch_position {
                        Some(FetchPosition::Offset(o)) => o == fetch_offset,
                        Some(_) => true,
                        None => false,
                    };
                    if !expected {
                        continue;
                    }
                    if p.position.is_none()
                        || !matches!(p.fetch_position, Some(FetchPosition::Offset(_)))
                    {
                        // A reset resolved by the leader: this is where the group starts.
                        p.position = Some(fetch_offset);
                    }
                    let next = records.last().map_or(fetch_offset, |(o, _)| o + 1);
                    p.fetch_position = Some(FetchPosition::Offset(next));
                    p.buffer.extend(records);
                }
                ConsumerFetchResult::NotLeader => c.metadata.update_requested = true,
                ConsumerFetchResult::OffsetOutOfRange => {
                    p.fetch_position = Some(reset_position(reset));
                    p.position = None;
                    resets.push(tp);
                }
            }
        }
        let consumer = c.name.clone();
        let group = self.groups[g as usize].name.clone();
        for tp in resets {
            self.emit(Event::OffsetReset {
                consumer: consumer.clone(),
                group: group.clone(),
                topic: tp.topic,
                partition: tp.partition,
                reset,
            });
        }
        self.consumer_poll(id);
    }

    /// The consumer's fetch in flight to `broker`, if any.
    pub(crate) fn consumer_fetch_in_flight(&self, id: u32, broker: u32) -> Option<u64> {
        self.consumers[id as usize].fetches.get(&broker).copied()
    }

    pub(super) fn maybe_refresh_consumer_metadata(&mut self, id: u32) {
        if self.consumers[id as usize].metadata.due() {
            self.refresh_consumer_metadata(id, false);
        }
    }

    /// A Metadata request for the subscribed topics (and, for the group's leader, the group's):
    /// a round trip; a refresh after an error first waits retry.backoff.ms.
    pub(crate) fn refresh_consumer_metadata(&mut self, id: u32, periodic: bool) {
        let c = &self.consumers[id as usize];
        let backoff = if c.metadata.updated_us.is_none() || periodic {
            0
        } else {
            c.config.retry_backoff_us
        };
        let mut topics = c.topics.clone();
        topics.extend(
            c.group_subscription
                .iter()
                .filter(|t| !c.topics.contains(t))
                .cloned(),
        );
        let round_trip = 2 * self.config.latency_us.max(1) + backoff;
        self.send_metadata_request(ClientId::Consumer(id), topics, round_trip, periodic);
    }

    /// A Metadata answer reached the consumer: a leader waiting for it assigns now, then the
    /// client goes on with what it routes by the new metadata.
    pub(crate) fn consumer_metadata_updated(&mut self, id: u32) {
        self.rejoin_if_metadata_changed(id);
        self.take_resolved_partitions(id);
        if let Some(join) = self.consumers[id as usize].awaiting_metadata.take() {
            let c = &self.consumers[id as usize];
            if c.phase == JoinPhase::Syncing
                && c.joining_generation == join.generation
                && c.state == ClientState::Running
            {
                self.send_sync(id, &join);
            }
        }
        self.consumer_poll(id);
    }

    /// Assigned partitions the last Metadata response names now join the owned ones; the rest
    /// wait for the next refresh.
    fn take_resolved_partitions(&mut self, id: u32) {
        let c = &mut self.consumers[id as usize];
        if c.unresolved.is_empty() || c.phase != JoinPhase::Stable {
            return;
        }
        let mut taken = false;
        for tp in std::mem::take(&mut c.unresolved) {
            match c.metadata.partition(&tp).map(|p| p.slot) {
                Some(slot) => {
                    c.owned.insert(tp, OwnedPartition::new(slot));
                    taken = true;
                }
                None => c.unresolved.push(tp),
            }
        }
        let retry = !c.unresolved.is_empty();
        if taken {
            self.assert_single_owner(id);
            if let Some(thread) = self.consumers[id as usize].streams {
                self.streams_partitions_assigned(thread);
            }
        }
        if retry {
            self.refresh_consumer_metadata(id, false);
        }
    }
}
