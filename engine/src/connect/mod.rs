//! Kafka Connect inside the cluster.
//!
//! - `protocol.rs`: the `connect` group protocol's bytes (worker metadata, assignments)

pub mod protocol;
