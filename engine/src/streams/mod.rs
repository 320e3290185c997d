//! Kafka Streams inside the simulation: applications written in the scenario language, run by
//! the engine's own consumer and producer clients, as Kafka Streams is a client library.
//!
//! - `value`: keys and values as an application sees them (text or JSON)
//! - `expr`: the expression language of topologies and producer value templates
//! - `dsl`: an application and its topology as the scenario declares it (the DSL calls)
//! - `topology`: the built processor topology (nodes, stores, internal topics, sub-topologies)
//! - `builder`: DSL calls → topology, with Kafka's node names and internal topics
//! - `describe`: `Topology.describe()`'s text
//! - `task`: one stream task running a sub-topology for one partition (pure)
//! - `provenance`: how far into its inputs a task's state includes every record (the
//!   simulation's view), for counting the re-processing that counted twice
//! - `store`, `cache`: its key-value stores and the thread's record cache
//! - `runtime`: applications running in the cluster (instances, stream threads, tasks, commits, restores)
//! - `assignor`: Kafka Streams' task assignment (`StreamsPartitionAssignor`, `HighAvailabilityTaskAssignor`)
//! - `window`: windowed aggregations (tumbling, hopping, sliding, session), grace, retention and
//!   `suppress(untilWindowCloses)`
//! - `windowed`: `Windowed<K>` as a record key (`[key@start/end]`) and a window store's key
//! - `join`: stream–table, table–table and windowed stream–stream joins
//! - `words`: a stream thread's words, which `split` makes once each

pub mod assignor;
pub mod builder;
pub mod cache;
pub mod describe;
pub mod dsl;
pub mod expr;
pub mod join;
pub mod provenance;
pub mod runtime;
pub mod store;
pub mod task;
pub mod topology;
pub mod value;
pub mod window;
pub mod windowed;
pub mod words;
