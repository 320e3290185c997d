//! Kafka Streams' task assignment: the `StreamsPartitionAssignor` (assignor name `stream`) that
//! the group leader of a Streams application runs on its members' opaque subscriptions, with
//! the `HighAvailabilityTaskAssignor` (the default since Kafka 2.6, KIP-441). A pure,
//! deterministic port of Kafka 4.0's sources, statement by statement where the outcome depends
//! on it:
//!
//! | file                   | Kafka                                                          |
//! |------------------------|----------------------------------------------------------------|
//! | `task_id.rs`           | `TaskId` (`0_1`)                                                |
//! | `protocol.rs`          | `SubscriptionInfo`, `AssignmentInfo` (the user data), `Task.LATEST_OFFSET` |
//! | `config.rs`            | `AssignmentConfigs` / `AssignorConfiguration` and their defaults |
//! | `client_state.rs`      | `ClientState`: an instance's threads, previous tasks, lags, assignment |
//! | `high_availability.rs` | `HighAvailabilityTaskAssignor`: tasks to instances              |
//! | `standby.rs`           | `DefaultStandbyTaskAssignor`, `StandbyTaskAssignmentUtils`      |
//! | `movement.rs`          | `TaskMovement`: actives back to caught-up instances, warm-ups   |
//! | `priority_set.rs`      | `ConstrainedPrioritySet`                                        |
//! | `threads.rs`           | `StreamsPartitionAssignor.assignTasksToThreads`: tasks to threads |
//! | `partition_assignor.rs`| `StreamsPartitionAssignor.assign`: subscriptions in, assignments out |
//! | `java.rs`              | `java.util.PriorityQueue` and `HashSet` iteration order        |
//!
//! Entry points: [`assign`] for the whole rebalance (what the leader's client calls), and
//! [`high_availability::assign`] for the task assignor alone on prepared [`ClientState`]s.
//!
//! **Process ids.** Kafka identifies an instance by a random UUID (`processId`) and orders
//! instances by it (`TreeMap<ProcessId, ClientState>`, `UUID.compareTo`) in several places:
//! the round-robin deal of stateful tasks, ties in every least-loaded choice, ties between
//! equally lagging clients. Here the process id is the instance's name and the order is the
//! name's, so an assignment equals Kafka's for instances whose UUIDs sort like their names; with
//! real random UUIDs, Kafka's choice among equals is effectively random per instance start. One
//! `HashSet<ProcessId>` iteration (in `ConstrainedPrioritySet.poll`) can also matter; it follows
//! `String.hashCode` of the names. Member ids (thread consumers) are sorted as strings, and the
//! leader's `HashMap` of member ids iterates by `String.hashCode`, both as in Kafka.
//!
//! **Omitted.** Rack awareness (`rack.aware.assignment.*`, client tags): off by default in Kafka
//! and meaningless without racks. See `partition_assignor.rs` for what else is not ported.

mod client_state;
mod config;
pub mod high_availability;
pub(crate) mod java;
mod movement;
mod partition_assignor;
mod priority_set;
mod protocol;
mod standby;
mod task_id;
mod threads;

pub use client_state::ClientState;
pub use config::AssignmentConfigs;
pub use partition_assignor::{
    ClientAssignment, GroupAssignment, MemberAssignment, TaskSpec, assign,
};
pub use protocol::{
    AssignmentInfo, LATEST_OFFSET, NextRebalance, OFFSET_UNKNOWN, Subscription, SubscriptionInfo,
    UNKNOWN_OFFSET_SUM, sum_of_changelog_offsets,
};
pub use task_id::TaskId;

/// A Streams instance's `process.id` (a UUID in Kafka; the instance's name here).
pub type ProcessId = String;
