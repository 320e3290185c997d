//! Kafka Connect inside the cluster.
//!
//! - `protocol.rs`: the `connect` group protocol's bytes (worker metadata, assignments)
//! - `assignor/`: the group leader's `IncrementalCooperativeAssignor`

pub mod assignor;
pub mod protocol;
