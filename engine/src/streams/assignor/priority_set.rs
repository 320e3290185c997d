//! `ConstrainedPrioritySet`: clients in a priority queue by a load that changes as tasks are
//! assigned (least loaded first, ties by process id), polled for the first one that satisfies a
//! constraint. Ported from `o.a.k.streams.processor.internals.assignment.ConstrainedPrioritySet`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::java::{PriorityQueue, hash_set_order, string_hash_code};
use super::{ClientState, ProcessId, TaskId};

/// The constraint a client must meet for a task (fixed when the set is built).
pub(crate) type Constraint<'a> = Box<dyn Fn(&ProcessId, &ClientState, TaskId) -> bool + 'a>;

pub(crate) struct ConstrainedPrioritySet<'a> {
    clients_by_task_load: PriorityQueue<ProcessId>,
    constraint: Constraint<'a>,
    /// The client's weight: `ClientState::assigned_task_load` or `active_task_load`.
    weight: fn(&ClientState) -> f64,
    /// `uniqueClients`: which clients are queued.
    unique_clients: BTreeSet<ProcessId>,
}

type Clients = BTreeMap<ProcessId, ClientState>;

impl<'a> ConstrainedPrioritySet<'a> {
    pub(crate) fn new(constraint: Constraint<'a>, weight: fn(&ClientState) -> f64) -> Self {
        ConstrainedPrioritySet {
            clients_by_task_load: PriorityQueue::new(),
            constraint,
            weight,
            unique_clients: BTreeSet::new(),
        }
    }

    /// `Comparator.comparing(weight).thenComparing(clientId -> clientId)`, evaluated against the
    /// clients' state at the moment of the comparison, as in Kafka.
    fn comparator<'c>(
        &self,
        clients: &'c Clients,
    ) -> impl Fn(&ProcessId, &ProcessId) -> Ordering + 'c {
        let weight = self.weight;
        move |a, b| {
            weight(&clients[a])
                .total_cmp(&weight(&clients[b]))
                .then_with(|| a.cmp(b))
        }
    }

    /// `poll(task, extraConstraint)`: the least loaded client meeting both constraints, or
    /// `None`. Clients polled on the way are offered back.
    pub(crate) fn poll_with(
        &mut self,
        clients: &Clients,
        task: TaskId,
        extra_constraint: impl Fn(&ProcessId) -> bool,
    ) -> Option<ProcessId> {
        // Kafka keeps the rejected clients in a `HashSet<ProcessId>` and offers them back in its
        // iteration order, which shapes the heap array. That is invisible while every queued
        // client's load is current, but `TaskMovement` changes the loads of queued clients before
        // re-offering them, and then the heap's shape can decide a later poll. We iterate as a
        // `HashSet` of process ids whose `hashCode` is `String.hashCode` of the name; Kafka hashes
        // UUIDs, so with real UUIDs such ties fall differently.
        let mut invalid_polled_clients: Vec<ProcessId> = Vec::new();
        while !self.clients_by_task_load.is_empty() {
            let candidate = self.poll_next_client(clients);
            if (self.constraint)(&candidate, &clients[&candidate], task)
                && extra_constraint(&candidate)
            {
                self.offer_back(clients, &invalid_polled_clients);
                return Some(candidate);
            }
            invalid_polled_clients.push(candidate);
        }
        self.offer_back(clients, &invalid_polled_clients);
        None
    }

    fn offer_back(&mut self, clients: &Clients, polled: &[ProcessId]) {
        let in_hash_set_order = hash_set_order(polled, |id| string_hash_code(id));
        self.offer_all(clients, &in_hash_set_order);
    }

    /// `poll(task)`.
    pub(crate) fn poll(&mut self, clients: &Clients, task: TaskId) -> Option<ProcessId> {
        self.poll_with(clients, task, |_| true)
    }

    pub(crate) fn offer_all<'p>(
        &mut self,
        clients: &Clients,
        ids: impl IntoIterator<Item = &'p ProcessId>,
    ) {
        for id in ids {
            self.offer(clients, id);
        }
    }

    /// `offer(client)`: a queued client is removed first, so it is re-placed by its current load.
    pub(crate) fn offer(&mut self, clients: &Clients, client: &ProcessId) {
        let cmp = self.comparator(clients);
        if self.unique_clients.contains(client) {
            self.clients_by_task_load.remove(client, &cmp);
        } else {
            self.unique_clients.insert(client.clone());
        }
        self.clients_by_task_load.offer(client.clone(), &cmp);
    }

    fn poll_next_client(&mut self, clients: &Clients) -> ProcessId {
        let cmp = self.comparator(clients);
        let client = self
            .clients_by_task_load
            .poll(&cmp)
            .expect("polled a non-empty queue");
        self.unique_clients.remove(&client);
        client
    }
}
