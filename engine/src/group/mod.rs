//! Consumer groups: Kafka's classic group protocol, both sides of it.
//!
//! - [`coordinator`]: the broker-side group coordinator (Kafka's `GroupCoordinator` /
//!   `ClassicGroup`): states, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit/Fetch,
//!   the initial rebalance delay, session and rebalance timeouts.
//! - [`consumer`]: the client (Kafka's `KafkaConsumer` + `ConsumerCoordinator`): FindCoordinator,
//!   the join/sync dance with eager or cooperative revocation, the heartbeat thread,
//!   auto-commit, `max.poll.interval.ms`, and the application's poll loop.
//! - [`consumer_protocol`]: the bytes of a consumer's JoinGroup metadata and SyncGroup
//!   assignment (`ConsumerProtocolSubscription` / `ConsumerProtocolAssignment`), which the
//!   coordinator carries without reading.
//! - [`fetch`]: consumers fetching records from partition leaders, up to the high watermark.
//! - [`offsets_topic`]: which broker coordinates a group (the leader of its `__consumer_offsets`
//!   partition).
//! - [`assignor`]: the four assignors, ported from the Java client.
//!
//! Wire form of the commands (docs/scenario-language.md):
//! ```text
//! group add G topics=T1[,T2] [consumers=N] [assignor=range|roundrobin|sticky|cooperative-sticky]
//!           [offset-reset=earliest|latest] [session-timeout=D] [heartbeat=D] [rate=R] …
//! consumer add NAME group=G [topics=T1,T2] [rate=R]
//! consumer stop NAME | consumer crash NAME | consumer stall NAME | consumer resume NAME
//! ```

mod admin;
pub mod assignor;
pub mod consumer;
pub mod consumer_protocol;
pub mod coordinator;
pub mod fetch;
pub mod offsets_topic;
pub(crate) mod query;

pub use consumer::Consumer;
pub use coordinator::{Group, GroupState};
