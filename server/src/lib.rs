//! The Kafka Playground server: rooms that each own a simulated cluster, a WebSocket hub that
//! streams them to browsers, and the page. See ARCHITECTURE.md for the map.

pub mod access;
pub mod app;
pub mod assets;
pub mod fold;
pub mod frame;
pub mod kafka;
pub mod metrics;
pub mod narrate;
pub mod room;
pub mod rooms;
pub mod saved;
pub mod serve;
pub mod soak;
pub mod state;
pub mod streams_graph;
pub mod wire;
pub mod ws;

pub use app::app;
pub use rooms::Rooms;
