//! A deterministic, sans-IO simulation of an Apache Kafka cluster.
//!
//! Drive it like quinn-proto or raft-rs: [`Cluster::apply`] a [`Command`], [`Cluster::advance_to`]
//! a simulated instant, then [`Cluster::drain_events`]. Same seed, same commands at the same
//! instants: the same events, byte for byte. No IO, no threads, no wall clock.

pub mod broker;
pub mod client;
pub mod cluster;
pub mod command;
pub mod config;
pub mod connect;
pub mod connection;
mod controller;
mod delete_records;
pub mod event;
mod fxhash;
pub mod group;
pub mod limits;
pub mod list_offsets;
pub mod log;
pub mod lost;
mod maintenance;
pub mod memory;
mod metadata;
pub mod metrics;
pub mod murmur2;
pub mod net;
pub mod offset_for_leader_epoch;
pub mod placement;
mod produce;
pub mod producer;
pub mod producer_state;
mod query;
mod reclaim;
pub mod record;
mod replication;
pub mod runner;
pub mod scenario;
pub mod shared;
pub mod snapshot;
pub mod streams;
pub mod time;
pub mod topic_delete;

pub use cluster::{Cluster, CommandError};
pub use command::Command;
pub use event::{Event, TimedEvent};
pub use snapshot::Snapshot;
