//! Consumer groups: Kafka's classic group protocol.

pub mod assignor;
