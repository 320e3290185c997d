//! What every simulated client shares: its id on the network and its metadata cache.
//!
//! A client (producer, consumer) knows only what its requests returned. Its [`ClientMetadata`]
//! is filled by Metadata responses the brokers build (`crate::metadata`), and refreshed when the
//! client asks (an error said its view is wrong) or every `metadata.max.age.ms`.

pub mod application;
pub mod external;
pub mod external_fetch;
pub mod external_group;
pub mod journal;
pub mod metadata;

use crate::cluster::{Cluster, Timer};
use crate::net::{Message, Node};
use crate::time::Micros;

pub use application::Application;
pub use metadata::{ClientMetadata, MetadataResponse, PartitionMetadata};

/// A client on the simulated network: its kind and its index among the cluster's clients of that
/// kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClientId {
    Producer(u32),
    Consumer(u32),
}

impl From<ClientId> for Node {
    fn from(client: ClientId) -> Node {
        match client {
            ClientId::Producer(p) => Node::Producer(p),
            ClientId::Consumer(c) => Node::Consumer(c),
        }
    }
}

impl Cluster {
    fn client_metadata_mut(&mut self, client: ClientId) -> &mut ClientMetadata {
        match client {
            ClientId::Producer(p) => &mut self.producers[p as usize].metadata,
            ClientId::Consumer(c) => &mut self.consumers[c as usize].metadata,
        }
    }

    /// `metadata.max.age.ms` of a client.
    fn metadata_max_age_us(&self, client: ClientId) -> Micros {
        match client {
            ClientId::Producer(p) => self.producers[p as usize].config.metadata_max_age_us,
            ClientId::Consumer(c) => self.consumers[c as usize].config.metadata_max_age_us,
        }
    }

    /// Sends a Metadata request for `topics`; its answer comes back after `round_trip_us`.
    ///
    /// The answering broker (Kafka's "least loaded node") is not modelled: the request reaches
    /// one and the answer, built there from the KRaft metadata at the end of the wait (see
    /// `crate::metadata`), reaches the client in the same instant. Network cuts do not stop it
    /// (clients reach every broker that is not isolated, and some broker always answers).
    pub(crate) fn send_metadata_request(
        &mut self,
        client: ClientId,
        topics: Vec<String>,
        round_trip_us: Micros,
        periodic: bool,
    ) {
        self.client_metadata_mut(client).sent(periodic);
        let at = self.now + round_trip_us;
        self.schedule(
            at,
            Timer::Deliver {
                message: Box::new(Message::MetadataRequest { client, topics }),
                sent_us: self.now,
            },
        );
    }

    /// The answer reaches the client: into its cache, and the client acts on it (a periodic
    /// refresh that changed nothing wakes nobody, as Kafka's sender has nothing new to send).
    pub(crate) fn handle_metadata_response(
        &mut self,
        client: ClientId,
        response: MetadataResponse,
    ) {
        let now = self.now;
        let m = self.client_metadata_mut(client);
        let periodic = m.periodic;
        let changed = m.update(response, now);
        let wanted = m.update_requested;
        self.arm_metadata_max_age(client);
        if periodic && !changed && !wanted {
            return;
        }
        match client {
            ClientId::Producer(p) => self.producer_tick(p),
            ClientId::Consumer(c) => self.consumer_metadata_updated(c),
        }
    }

    /// Arms the client's `metadata.max.age.ms` timer, unless one is pending.
    pub(crate) fn arm_metadata_max_age(&mut self, client: ClientId) {
        let max_age = self.metadata_max_age_us(client);
        let m = self.client_metadata_mut(client);
        if m.age_timer_at.is_some() {
            return;
        }
        let Some(updated) = m.updated_us else { return };
        let at = updated.saturating_add(max_age);
        m.age_timer_at = Some(at);
        self.schedule(at, Timer::MetadataMaxAge { client });
    }

    /// The `metadata.max.age.ms` timer: a cache not refreshed for that long is refreshed now
    /// (Kafka's `Metadata.timeToNextUpdate` reaching 0); otherwise the timer sleeps again.
    pub(crate) fn metadata_max_age(&mut self, client: ClientId) {
        let now = self.now;
        let max_age = self.metadata_max_age_us(client);
        let m = self.client_metadata_mut(client);
        m.age_timer_at = None;
        // A real client refreshes its own metadata: its entry's cache is never read.
        if let ClientId::Producer(p) = client
            && self.producers[p as usize].external.is_some()
        {
            return;
        }
        let m = self.client_metadata_mut(client);
        if m.in_flight {
            return; // the answer rearms the timer
        }
        if m.updated_us
            .is_some_and(|t| t.saturating_add(max_age) > now)
        {
            return self.arm_metadata_max_age(client);
        }
        match client {
            ClientId::Producer(p) => self.refresh_producer_metadata(p, true),
            ClientId::Consumer(c) => {
                if self.consumer_gone(c) {
                    return; // the process is gone: nobody refreshes anything
                }
                self.refresh_consumer_metadata(c, true)
            }
        }
    }
}
