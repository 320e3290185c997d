//! The WebSocket protocol, version 1: every message between the browser and a room, in one place.
//!
//! Engine types are not the wire format: these DTOs are built from the engine's snapshot and events
//! at the edge, so the engine can change without breaking the page.
//!
//! # Transport
//! `GET /ws/{room}` upgrades to a WebSocket (`/ws/demo` is the default room). Every message is one
//! JSON text frame with `"v": 1` and a `"type"`. Client messages larger than
//! [`MAX_CLIENT_MESSAGE_BYTES`] get an error reply and are not applied.
//!
//! # Client → server
//! ```json
//! {"v":1,"id":7,"type":"command","line":"broker kill 1"}   // any scenario line (console or click)
//! {"v":1,"id":8,"type":"play"}
//! {"v":1,"id":9,"type":"pause"}
//! {"v":1,"id":10,"type":"step"}                            // advance STEP_US of simulated time, paused
//! {"v":1,"id":11,"type":"speed","speed":2.0}               // 0.1 ..= 20
//! {"v":1,"id":12,"type":"inspect","topic":"orders","partition":0}
//! {"v":1,"id":13,"type":"snapshot"}                        // ask for a fresh snapshot
//! {"v":1,"id":14,"type":"lessons"}                         // reply.lessons: the bundled lessons
//! {"v":1,"id":15,"type":"load","lesson":"05-rebalancing"}  // restart the room from a lesson…
//! {"v":1,"id":16,"type":"load","name":"my.scenario","source":"brokers 3\n…"} // …or from a text
//! {"v":1,"id":17,"type":"check","name":"my.scenario","source":"…"} // reply.diagnostics; runs nothing
//! {"v":1,"id":18,"type":"next"}                            // presenter: go on past a `pause`
//! {"v":1,"id":19,"type":"restart"}                         // the current scenario from the start
//! {"v":1,"id":20,"type":"seek","to_us":12000000}           // time travel (paused afterwards)
//! {"v":1,"id":21,"type":"export"}                          // reply.output: this session as a file
//! {"v":1,"id":22,"type":"fork"}                            // reply.output: a new sandbox room's name
//! {"v":1,"id":23,"type":"replicas","topic":"orders","partition":0} // reply.replicas: every replica's log
//! {"v":1,"id":24,"type":"previous"}                        // presenter: back to the previous pause
//! ```
//! `next` goes on past the `pause` the lesson waits at (`lesson.at_pause`): the clock plays on.
//! With no pause pending it is an error reply and nothing changes (Play starts the clock).
//! `previous` is time travel to a pause: the room goes back to exactly the state it had when
//! it reached that pause (caption, pauses done, cluster), paused there, and broadcasts a
//! snapshot. Waiting at pause N (`lesson.at_pause`) it goes to pause N−1; anywhere after pause N
//! (playing on, or at the end) to pause N. Before the second pause (or the first, when not at
//! it) there is nothing to go back to: an error reply, nothing changes. The room remembers the
//! instant each pause was reached on this timeline and plays from the checkpoint before it
//! until that pause is the last step run, so it lands exactly there (determinism).
//! With `--share`, a connection is the presenter only when its URL carries the presenter's
//! token (`/ws/demo?token=…`); other viewers of the presenter's room may only look (`snapshot`,
//! `inspect`, `replicas`, `lessons`, `check`, `export`) and `fork`. Everything else gets an error reply.
//! `id` is optional and echoed in the reply. A `command` line is parsed by the engine's scenario
//! parser (docs/scenario-language.md): a click in the page sends the same text a teacher would type
//! (`broker kill 1`, `consumer crash billing-1`, `produce orders key="k" value="v"`).
//!
//! # Server → client
//! - `hello`: first, to this connection only: `{"v":1,"type":"hello","room":"demo",
//!   "role":"presenter"|"viewer","control":true,"shared":false}`.
//! - `snapshot`: the whole state. Sent on connect, on request, and to a viewer that fell behind.
//!   `{"v":1,"type":"snapshot","seq":41,"room":"demo","title":"…","clock":{…},"caption":"…"|null,
//!     "focus":["partition:orders/0",…],"state":{…State…},"log":[…LogEntry…],"audience":{"viewers":13,"following":12,"sandboxes":3,"kafka_clients":2,"kafka_connections":6,"kafka_client_ids":["ada","bob-reader"]},
//!     "owner":"presenter"|"open","forked_from":"demo"|null}`
//! - `frame`: what changed since the frame `seq - 1`, ten a second while playing. When more than
//!   [`BUSY_PARTITIONS`] partitions changed offsets, those whose only news is their offsets take
//!   turns (each is updated one frame in three), so a viewer of a big, busy cluster stays under
//!   64 KB/s.
//!   `{"v":1,"type":"frame","seq":42,"clock":{…},"caption":"…"|null (only when it changed),
//!     "focus":[…] (only when it changed),"state":{…patches…},"appended":{"orders/0":3},"flights":[…Flight…],"log":[…LogEntry…]}`
//!   `state` holds, for each entity that changed, its key fields (brokers: `id`; topics: `name`;
//!   partitions: `topic`+`partition`; producers, groups, consumers: `name`; Connect's lists as
//!   documented on [`State`]) plus only the fields
//!   that changed; a new entity comes whole. Lists without changes are absent; `network` and
//!   `cuts` (the links cut, isolated brokers, senders waiting on lost requests: see [`Cuts`]) are
//!   always present. Merge each patch into its entity (`Object.assign`). A partition's `recent`
//!   in a frame lists only records newer than those already shown: add them to what you have.
//!   Entities never disappear. A viewer whose `seq` jumps asks for a `snapshot`.
//!   A frame carries `audience` only when it changed.
//!   Snapshots and frames also carry `"timeline":{"horizon_us":…}` (how far this timeline has been
//!   played: `seek` goes anywhere in 0..=horizon) and `"lesson":{…Lesson…}|null` (a snapshot
//!   always; a frame only when it changed).
//!   A `load`, `restart`, `seek` or `previous` broadcasts a new `snapshot` to every viewer
//!   (state may go backwards, which patches cannot say).
//!   Snapshots carry `"markers":[…Marker…]`, every timeline marker the room keeps (at most
//!   [`MAX_MARKERS`], oldest dropped first); a frame carries `markers` only when some were added
//!   or grew (each whole, to replace the one with the same `at_us` and `kind`). A marker is a
//!   moment worth seeking to: `{"at_us":21000000,"kind":"election","title":"orders/0 leader
//!   1 → 2"}`, kinds `broker-down`, `broker-up` (a restart), `election` (not the
//!   initial ones), `isr`, `rebalance` (a group enters PreparingRebalance), `cut` (a network
//!   partition or isolation) and `heal`. Events of one kind at one instant make one marker (its
//!   `title` one line per event, at most 6, then "and N more"). Markers belong to the timeline,
//!   like the journal: after a rewind, those between now and the horizon are the recorded future
//!   (at now too, when events of that instant came after a pause there; playing replays the
//!   same events, so they are not added twice); when acting after a rewind
//!   forks the future, the horizon comes back to now and **every marker after the horizon is
//!   gone** (the page drops them when a frame's horizon is below them, as the room does). A room
//!   restored from disk knows the markers up to the instant it was restored at.
//! - `reply`: the answer to a client message with the same `id`.
//!   `{"v":1,"type":"reply","id":7,"ok":true,"output":"…"|null,"inspect":{…}|null}`
//!   `{"v":1,"type":"reply","id":7,"ok":false,"error":{"message":"…","line":1,"col":8,"hint":"…"|null}}`
//! - `metrics`: Kafka's metrics of the room (docs/scenario-language.md, "Kafka's metrics"), one
//!   sample per simulated second. A snapshot carries the last two minutes (at most
//!   `engine::metrics::HISTORY_SECONDS` samples, so charts are rebuilt after a `seek`); a frame
//!   carries only the samples taken since the previous frame, and is without `metrics` when
//!   there is none. `null` before the first second.
//!   `"metrics":{"series":[[at_us,MessagesInPerSec,records-consumed-rate,records-lag-max|null],…],
//!     "latest":{"UnderReplicatedPartitions":6,"UnderReplicatedPartitions broker=2":3,
//!     "record-send-rate producer=shop":100,…}}`
//!   `series` is oldest first, all cluster-wide (the charts); `latest` holds the newest sample's
//!   values keyed as an `expect metric` line names them (cluster, `broker=`, `producer=`,
//!   `consumer=`, `group=`; per-topic values only through `expect`), averages rounded to 0.01 ms.
//!   A metric without a value (a second without responses, a consumer without positions) is
//!   absent. About 1 KB a second for a 6-broker cluster with a few clients.
//!
//! # Focus
//! A scenario's `focus` line (docs/scenario-language.md) says what the screen must show from
//! then on. The room keeps it like the caption (checkpointed, so time travel brings back the
//! focus of that instant) and sends it as `"focus":[…]`: in every snapshot, in a frame only
//! when it changed. Each target is named as the page names drawn entities (the `data-entity`
//! names of static/js/entities.js): `"broker:1"`, `"topic:orders"`, `"partition:orders/0"`,
//! `"producer:shop"`, `"group:billing"`, `"consumer:billing-1"`, plus `"replicas:orders/0"`
//! (that partition's replicas view), `"records:orders"` (the topic's newest records, key and
//! value, under its log) and `"metrics"` (the metrics panel), and for Kafka Streams
//! `"app:word-count"`, `"store:word-count/counts"`, `"task:word-count/0_1"` (the Streams
//! panel's app card, store and task chip). `[]` is `focus all`: the whole cluster. At most
//! `engine::limits::MAX_FOCUS_TARGETS` targets.
//! `{"v":1,"type":"frame",…,"focus":["partition:orders/0","group:billing"],…}`
//!
//! # Log shapes
//! A partition's log is drawn as it is, in the window of its last [`LOG_WINDOW`] offsets
//! (`max(log_start_offset, log_end_offset - LOG_WINDOW) .. log_end_offset`, the same window
//! `recent` covers, since a window of 16 offsets holds at most 16 records): `gaps` lists the
//! offsets in the window that the leader's log no longer holds (the log cleaner removed them;
//! Kafka never reuses offsets), `tombstones` those whose record has a null value, and
//! `segments` the base offsets of the leader's segments that start in the window.
//! `log_start_offset` is always there, wherever the window is. The three lists are empty for a
//! plain busy log, so they cost nothing in frames; they change only when compaction, a tombstone
//! or a segment roll is in the window.
//!
//! Each replica's own log is too much to send to every viewer ten times a second (6 brokers ×
//! 24 partitions). A viewer that opens a partition's replicas view asks for it with `replicas`
//! (at most a few times a second, only while the view is open); the reply's `replicas` is
//! [`ReplicaLogs`]: every replica's runs of offsets with their leader epoch, tombstones,
//! segment bases, divergent records (not on the leader, truncated at its next fetch; `acked`
//! ones are lost then), log start and end offsets, high watermark and ISR membership, in the
//! last [`REPLICA_WINDOW`] offsets before the largest log end offset. About 1 KB per reply.
//!
//! # Folding repeats
//! Lines that repeat by nature (a producer's retries or failures per error, acknowledged
//! records lost on one partition, requests timing out on one link) carry
//! `"fold":{"key":"…","count":N,"last_us":T}`. Consecutive repeats fold into one line: the
//! lines after the last line without a `fold` (narration, a broker dying, an expectation) are a
//! run, and a line whose `key` is already in the run replaces that line **in place** (same
//! position, the first occurrence's `at_us`), with `count` events (retried batches, losses,
//! timeouts) in all, the newest at `last_us`, and a text that says so ("producer bank: retrying
//! on NOT_ENOUGH_REPLICAS ×23 over 45.0 s (312 records)"). A line without `fold` ends the run:
//! the next repeat starts a new line. The room folds its own log so, and a page its own with the
//! same rule (a line whose key is not in the run at the end of its log is appended), so a
//! snapshot's lines are already folded and a frame's fold into what the page shows. An `expect` line's verdict carries `"kind":
//! "expect-passed"` or `"expect-failed"` (presenter mode hides the passing ones).
//!
//! Frames stay bounded at any rate: `appended` counts records per partition, `flights` is a sample
//! of at most [`MAX_FLIGHTS`] (at most [`MAX_PRODUCE_FLIGHTS`] individual records) plus at most
//! [`MAX_STREAMS_FLIGHTS`] Streams samples, and `log` at most
//! [`MAX_LOG_PER_FRAME`] entries (then one "… and N more" entry).

use serde::{Deserialize, Serialize};

/// The protocol version every message carries.
pub const VERSION: u32 = 1;
/// Client messages above this many bytes are refused with an error reply (`load` and `check`
/// carry whole scenario files).
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 128 * 1024;
/// A Connect connector's or task's `trace` is cut to this many characters.
pub const MAX_TRACE_CHARS: usize = 240;
/// A `command` line above this many bytes is refused.
pub const MAX_COMMAND_BYTES: usize = 8 * 1024;
/// At most this many flights per frame. The page launches at most two new dots a frame (a class
/// follows few, slow dots: static/js/views/flights.js), so eight candidates, taking turns across
/// frames, are plenty; more only cost bandwidth (24 were a third of a 6×24 viewer's).
pub const MAX_FLIGHTS: usize = 8;
/// Streams flights per frame (`streams-processed`): the first ones of the frame.
pub const MAX_STREAMS_FLIGHTS: usize = 8;
/// At most this many individual produced records per frame (the rest are only counted).
pub const MAX_PRODUCE_FLIGHTS: usize = 3;
/// At most this many log entries per frame.
pub const MAX_LOG_PER_FRAME: usize = 24;
/// Timeline markers a room keeps (the oldest go first): a few per fault, so hours of chaos.
pub const MAX_MARKERS: usize = 256;
/// Keys and values in frames are cut to this many characters (`inspect` sends them whole).
pub const MAX_TEXT_CHARS: usize = 64;
/// How many recent (offset, key) pairs a partition carries in a snapshot, for colouring the
/// log's cells.
pub const RECENT_KEYS: usize = 16;
/// How many new (offset, key) pairs a partition's patch carries at most (the newest).
pub const RECENT_KEYS_PER_FRAME: usize = 4;
/// A partition's log window: the last this many offsets (see "Log shapes" above).
pub const LOG_WINDOW: u64 = 16;
/// The replicas view's window: the last this many offsets before the largest log end offset.
pub const REPLICA_WINDOW: u64 = 32;
/// Above this many partitions with new offsets in one frame, offset-only updates take turns.
pub const BUSY_PARTITIONS: usize = 8;

// ---------------------------------------------------------------------------------------------
// Client → server
// ---------------------------------------------------------------------------------------------

/// A message from a viewer.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientMessage {
    pub v: u32,
    pub id: Option<u64>,
    pub body: ClientBody,
}

impl ClientMessage {
    /// Parses one message. On error, the message's `id` (when it could be read) comes back
    /// with the explanation, so the reply still reaches the right request.
    pub fn parse(raw: &str) -> Result<ClientMessage, (Option<u64>, String)> {
        let mut value: serde_json::Value =
            serde_json::from_str(raw).map_err(|e| (None, format!("malformed message: {e}")))?;
        let object = value.as_object_mut().ok_or((
            None,
            "malformed message: expected a JSON object".to_string(),
        ))?;
        let id = match object.remove("id") {
            None | Some(serde_json::Value::Null) => None,
            Some(id) => Some(
                id.as_u64()
                    .ok_or((None, "'id' must be a non-negative integer".to_string()))?,
            ),
        };
        let v = object
            .remove("v")
            .and_then(|v| v.as_u64())
            .ok_or((id, "missing protocol version: add \"v\":1".to_string()))?;
        if v != u64::from(VERSION) {
            return Err((
                id,
                format!("protocol version {v} is not supported (this server speaks {VERSION})"),
            ));
        }
        let body =
            serde_json::from_value(value).map_err(|e| (id, format!("malformed message: {e}")))?;
        Ok(ClientMessage {
            v: VERSION,
            id,
            body,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ClientBody {
    /// A scenario line, typed in the console or built by a click.
    Command {
        line: String,
    },
    Play,
    Pause,
    Step,
    Speed {
        speed: f64,
    },
    /// A partition's records and each replica's offsets, for the details panel.
    Inspect {
        topic: String,
        partition: u32,
    },
    /// Every replica's log of a partition in a window, for the replicas view.
    Replicas {
        topic: String,
        partition: u32,
    },
    Snapshot,
    Lessons,
    /// Restart the room from a bundled lesson or from a scenario text.
    Load {
        #[serde(default)]
        lesson: Option<String>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        source: Option<String>,
    },
    Check {
        #[serde(default)]
        name: Option<String>,
        source: String,
    },
    Next,
    Restart,
    Seek {
        to_us: u64,
    },
    Export,
    /// A sandbox of one's own, starting exactly where this room is now. `reply.output` is the
    /// new room's name (open `/r/NAME`).
    Fork,
    /// Back to the previous pause (time travel; see the module doc).
    Previous,
}

// ---------------------------------------------------------------------------------------------
// Server → client
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Clock {
    /// Simulated time since the room started.
    pub now_us: u64,
    pub playing: bool,
    /// Simulated seconds per real second.
    pub speed: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SnapshotMessage<'a> {
    pub v: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The last frame this snapshot includes.
    pub seq: u64,
    pub room: &'a str,
    pub title: Option<&'a str>,
    pub clock: Clock,
    pub caption: Option<&'a str>,
    /// What the scenario's `focus` put on screen (see "Focus" in the module doc); `[]`: all.
    pub focus: &'a [String],
    pub state: &'a State,
    pub log: Vec<&'a LogEntry>,
    pub timeline: Timeline,
    pub lesson: Option<&'a Lesson>,
    pub audience: Audience,
    /// Where Kafka clients connect to this room's brokers (`host:port`), if it has listeners:
    /// the presenter panel shows it with the connected programs and connections (`audience`).
    pub kafka_bootstrap: Option<&'a str>,
    /// `presenter`: only the presenter changes this room; `open`: a sandbox anyone in it plays with.
    pub owner: crate::access::Owner,
    /// A sandbox's parent room, to go back to following it.
    pub forked_from: Option<&'a str>,
    /// Kafka's metrics, the last two minutes (see the module doc).
    pub metrics: Option<Metrics>,
    /// Every timeline marker the room keeps, oldest first.
    pub markers: Vec<Marker>,
}

/// A moment on the timeline worth seeking to (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Marker {
    pub at_us: u64,
    /// `broker-down`, `broker-up`, `election`, `isr`, `rebalance`, `cut`, `heal`.
    pub kind: &'static str,
    /// What happened, one line per event.
    pub title: String,
}

/// A chart point: `[at_us, MessagesInPerSec, records-consumed-rate, records-lag-max|null]`.
pub type MetricsPoint = (u64, f64, f64, Option<f64>);

/// Kafka's metrics: chart points and the newest values (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub series: Vec<MetricsPoint>,
    pub latest: std::collections::BTreeMap<String, f64>,
}

/// Who is watching: viewers of this room and sandboxes forked on this server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Audience {
    /// Every connection watching this room (the presenter's own included).
    pub viewers: usize,
    /// Connections that follow without control (students, with `--share`).
    pub following: usize,
    pub sandboxes: usize,
    /// Kafka client programs connected to the room's brokers: distinct `client.id`s, plus one
    /// for each connection that sent none (null, empty, or no request yet). One program opens
    /// several connections (bootstrap, each broker it talks to, its group coordinator).
    pub kafka_clients: usize,
    /// Kafka client connections open to the room's brokers: while any is, the room stays at
    /// 1× and refuses time travel (the page says why on the speed buttons).
    pub kafka_connections: usize,
    /// The first [`AUDIENCE_CLIENT_IDS`] of those programs' `client.id`s, alphabetically (each
    /// cut to 64 characters; chosen by the clients: the page shows them as text only).
    pub kafka_client_ids: Vec<String>,
}

/// How many connected clients the presenter panel names; it says "+N more" for the rest.
pub const AUDIENCE_CLIENT_IDS: usize = 4;

/// Sent to one viewer on connect, before the snapshot: what this connection may do.
#[derive(Debug, Clone, Serialize)]
pub struct Hello<'a> {
    pub v: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub room: &'a str,
    /// `presenter` or `viewer`.
    pub role: crate::access::Role,
    /// Whether this connection may change the room (clock, console, lessons, time travel).
    pub control: bool,
    /// The server is shared with a classroom (`--share`): viewers follow the presenter.
    pub shared: bool,
}

/// The room's history: `seek` reaches any instant in `0..=horizon_us`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Timeline {
    pub horizon_us: u64,
}

/// The scenario a room plays, for the presenter's progress display.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Lesson {
    /// The bundled lesson's id (`05-rebalancing`), or the file name of a loaded text.
    pub id: String,
    pub title: Option<String>,
    /// `pause` lines in the file, and how many the room has gone past.
    pub pauses_total: usize,
    pub pauses_done: usize,
    /// Stopped at a `pause`: Next goes on.
    pub at_pause: bool,
    /// Every step of the file has run, or a `wait until` that timed out stopped the file.
    pub finished: bool,
}

/// One bundled lesson, for the picker.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LessonInfo {
    pub id: String,
    pub title: Option<String>,
    pub pauses: usize,
    /// How long it plays: the simulated time of a headless run (at 1× that many seconds, plus
    /// however long the teacher waits at its pauses). `null` when the file does not run.
    pub duration_us: Option<u64>,
    /// The file's text, for the editor.
    pub source: String,
}

/// A problem in a scenario text (`check` or `load`), at its 1-based line and column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrameMessage<'a> {
    pub v: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub seq: u64,
    pub clock: Clock,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<&'a str>,
    /// Present when it changed (see "Focus" in the module doc).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<&'a [String]>,
    /// Patches: see [`crate::state::patch`].
    pub state: serde_json::Map<String, serde_json::Value>,
    /// Records appended per partition (`"orders/0"`) during this frame, all of them counted.
    pub appended: std::collections::BTreeMap<String, u64>,
    pub flights: Vec<Flight>,
    pub log: Vec<LogEntry>,
    pub timeline: Timeline,
    /// Present when it changed (a pause reached, a step run): absent means as before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lesson: Option<&'a Lesson>,
    /// Present when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
    /// The metrics samples taken since the last frame, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    /// Timeline markers added or grown since the last frame.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub markers: Vec<Marker>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reply {
    pub v: u32,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Option<u64>,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<WireError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspect: Option<Inspect>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<ReplicaLogs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lessons: Option<Vec<LessonInfo>>,
    /// For `check` and a refused `load`: every problem (empty when the text is fine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Vec<Diagnostic>>,
}

impl Reply {
    pub fn ok(id: Option<u64>, output: Option<String>) -> Self {
        Reply {
            v: VERSION,
            kind: "reply",
            id,
            ok: true,
            output,
            error: None,
            inspect: None,
            replicas: None,
            lessons: None,
            diagnostics: None,
        }
    }

    /// The reply as one WebSocket text message.
    pub fn to_bytes(&self) -> bytes::Bytes {
        bytes::Bytes::from(serde_json::to_vec(self).expect("replies serialise"))
    }

    pub fn error(id: Option<u64>, error: WireError) -> Self {
        Reply {
            v: VERSION,
            kind: "reply",
            id,
            ok: false,
            output: None,
            error: Some(error),
            inspect: None,
            replicas: None,
            lessons: None,
            diagnostics: None,
        }
    }
}

/// Why a client message was refused. `line`/`col` point into a console line (1-based).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WireError {
    pub message: String,
    pub line: Option<u32>,
    pub col: Option<u32>,
    pub hint: Option<String>,
    /// A refused `load`: every problem of the text (sent as the reply's `diagnostics`).
    #[serde(skip)]
    pub diagnostics: Option<Vec<Diagnostic>>,
}

impl WireError {
    pub fn plain(message: impl Into<String>) -> Self {
        WireError {
            message: message.into(),
            line: None,
            col: None,
            hint: None,
            diagnostics: None,
        }
    }

    pub fn with_diagnostics(mut self, found: Vec<Diagnostic>) -> Self {
        self.diagnostics = Some(found);
        self
    }
}

/// The observable cluster. In a snapshot every entity is present; in a frame only those that
/// changed since the previous frame.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct State {
    pub brokers: Vec<Broker>,
    pub topics: Vec<Topic>,
    pub partitions: Vec<Partition>,
    pub producers: Vec<Producer>,
    pub groups: Vec<Group>,
    pub consumers: Vec<Consumer>,
    /// `network partition A / B` in force: the two sides. Always present in frames too.
    pub network: Option<(Vec<u32>, Vec<u32>)>,
    /// What the network cannot carry now and who waits because of it. Always present in frames.
    pub cuts: Cuts,
    /// Kafka Streams applications, as `engine::snapshot::StreamsAppView` serialises them: `name`,
    /// `group`, `commit_interval_us`, `description` (`Topology.describe()`), `subtopologies`
    /// (`id`, `nodes`, `source_topics`, `sink_topics`, `stores`), `nodes` (`name`,
    /// `kind`: source|processor|sink, `topics`, `stores`, `successors`, `subtopology`),
    /// `stores` (`name`, `kind`, `changelog`, `size`, `newest`: at most 32 entries
    /// `{task, key, value, timestamp_us, closed, cached}`, newest first, as an interactive
    /// query reads the store (the record cache first), `closed` true/false for a windowed
    /// aggregation's windows and null elsewhere, `cached` true for a value still in the record
    /// cache (flushed at the next commit); `stream_time_us`: for a windowed
    /// aggregation's store, task id → its processor's observed stream time or null),
    /// `internal_topics` (`name`, `kind`:
    /// repartition|changelog, `created`), `instances` (`name`, `state`: REBALANCING|RUNNING|
    /// PENDING_SHUTDOWN|NOT_RUNNING, `crashed`: NOT_RUNNING by a crash, `threads`: `{name, consumer, active, cache_bytes,
    /// cache_max_bytes}`), `tasks` (`id` `0_1`, `instance`, `thread`, `state`:
    /// RESTORING|RUNNING, `restored`, `to_restore`, `processed`, `stream_time_us`), `counters`
    /// (`processed`, `reprocessed`, `counted_twice` (what the re-processing counted twice:
    /// store updates applied to a restored value that already included them, and records
    /// repeated in a repartition topic), `dropped`, `dropped_late` (of `dropped`, records whose window
    /// had closed), `restored` per store, `standby_updated` per store (changelog records standby
    /// tasks read), `commits`). Patched per app
    /// by `name`, like groups. Processed records reach the page as `streams-processed` flights
    /// (`Flight::StreamsProcessed`, from engine `Event::StreamsProcessed`: app, thread, task, topic, partition, from_offset,
    /// count, sample `{offset, key, value, outputs: [{node, topic, key, value}]}`).
    pub streams: Vec<engine::snapshot::StreamsAppView>,
    /// What each Streams processor runs, as the scenario wrote it (`describe()` leaves it out):
    /// `{"app":"word-count","nodes":{"KSTREAM-FLATMAPVALUES-0000000001":
    /// ["split(lower(value))"],"KSTREAM-AGGREGATE-0000000003":["count"]}}`, only the nodes that
    /// run an expression (`key: …`, `adder: …` when one runs several). Patched per app by `app`:
    /// sent when the app appears (a topology never changes).
    pub streams_exprs: Vec<StreamsExpressions>,
    /// Kafka Connect's external systems (`engine::connect::view::SystemView`): `name`, `kind`
    /// (table|file), `size` (rows or lines held), `newest` (at most
    /// `engine::connect::view::SYSTEM_NEWEST` entries, newest first, each cut to
    /// [`MAX_TEXT_CHARS`]), `per_hour` (its own rate, or null), `unavailable`. Patched by `name`.
    pub connect_systems: Vec<engine::connect::view::SystemView>,
    /// Connect workers: `name`, `alive`, `crashed` (down by a crash, not a clean stop), `incarnation`, `mode` (`standalone` or `distributed`),
    /// `group` (a distributed worker's `group.id`, else null). Patched by `name`.
    /// A worker does not list its tasks: each task names its worker.
    pub connect_workers: Vec<engine::connect::view::WorkerView>,
    /// Connectors, one per name (the live one, else the last deleted: `deleted: true`): `name`,
    /// `class` (the full `connector.class`), `source`, `state` and `target` (UNASSIGNED|RUNNING|
    /// PAUSED|STOPPED|FAILED|RESTARTING; STARTED|PAUSED|STOPPED), `worker` (the one it was
    /// created on), `systems`, `topics` (written by a source, read by a sink), `tasks` (how many
    /// it has now: task entries with a higher `id` are gone), `trace` (cut to
    /// [`MAX_TRACE_CHARS`]), `deleted`. Patched by `name`.
    pub connectors: Vec<engine::connect::view::ConnectorView>,
    /// Connect tasks (`NAME-ID`): `connector`, `id`, `state`, `worker` (the worker it is assigned
    /// to, running it or holding it FAILED, or null: the only statement of placement, so tasks
    /// that move between workers need nothing else), `systems`, `trace`, `records` (records it
    /// handed to its producer, a source, or wrote to its system, a sink, over its restarts),
    /// `duplicates` (records a source produced twice, over its restarts), `offsets` (a source's,
    /// one per system: `system`, `kind`, `read` — the running task's offset, or null —,
    /// `flushed` — the offsets store's, or null —, `resent` — `[first, last]` offset this run
    /// produced twice, or null), `retries` and `max_retries` (a JDBC sink's retries in a row),
    /// `status_by` (for a task no worker runs, the worker that wrote its status record, or
    /// null). Patched by `connector`+`id`. A source
    /// task's records reach the page as `produce` flights from its producer,
    /// `connector-producer-NAME-ID` (Kafka's client id for it).
    pub connect_tasks: Vec<engine::connect::view::TaskView>,
}

/// A Streams application's processor expressions (`State.streams_exprs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StreamsExpressions {
    pub app: String,
    pub nodes: std::collections::BTreeMap<String, Vec<String>>,
}

/// The cuts in force. `network partition A / B` cuts the broker links between the sides only
/// (clients and the controller still reach every broker); `network isolate N` cuts every link
/// of broker N, to the controller and the clients too.
/// `{"links":[[1,2],[1,3]],"isolated":[{"broker":1,"since_ms":12000,"fenced_at_ms":20000}],
///   "waits":[{"sender":"broker 2","sender_broker":2,"what":"replica-fetch","broker":1,
///   "until_ms":41500}]}`
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cuts {
    /// Broker↔broker links that carry nothing, `[lower id, higher id]`, in order.
    pub links: Vec<(u32, u32)>,
    /// Brokers that no one reaches.
    pub isolated: Vec<Isolated>,
    /// Senders waiting for the timeout of a request (or answer) a cut swallowed. A heal does not
    /// end these: the sender finds out only when its timeout passes.
    pub waits: Vec<Wait>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Isolated {
    pub broker: u32,
    /// Simulated ms when it was cut off.
    pub since_ms: u64,
    /// Simulated ms when the controller fences it (its session expires); `null` once fenced.
    pub fenced_at_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Wait {
    /// `"broker 2"`, or the producer's or consumer's name.
    pub sender: String,
    /// The sender when it is a broker (a follower's fetch).
    pub sender_broker: Option<u32>,
    /// `"replica-fetch"`, `"produce"`, `"consumer-fetch"` or `"group-request"`.
    pub what: String,
    /// The broker the lost request went to.
    pub broker: u32,
    /// Simulated ms when the sender's timeout (`replica.socket.timeout.ms`,
    /// `request.timeout.ms`) ends the wait.
    pub until_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Broker {
    pub id: u32,
    /// The process runs.
    pub alive: bool,
    /// The controller fenced it (no heartbeat within the broker session timeout).
    pub fenced: bool,
    /// It coordinates these groups.
    pub coordinator_of: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topic {
    pub name: String,
    pub partitions: u32,
    pub replication: u32,
    pub min_insync: u32,
    pub unclean_election: bool,
    pub compact: bool,
    pub retention_ms: Option<u64>,
    pub acked: u64,
    pub rejected: u64,
    pub lost: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Partition {
    pub topic: String,
    pub partition: u32,
    /// Assignment order; the first is the preferred leader.
    pub replicas: Vec<u32>,
    pub isr: Vec<u32>,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    /// Of the leader (of the last leader when there is none).
    pub high_watermark: u64,
    pub log_end_offset: u64,
    pub log_start_offset: u64,
    /// Each replica's log end offset, in `replicas` order.
    pub replica_leo: Vec<u64>,
    /// The leader's latest records as `[offset, key]` (key cut to MAX_TEXT_CHARS), oldest first.
    pub recent: Vec<(u64, Option<String>)>,
    /// Offsets in the log window that the leader's log does not hold (compacted away).
    pub gaps: Vec<u64>,
    /// Offsets in the log window whose record is a tombstone (null value).
    pub tombstones: Vec<u64>,
    /// Base offsets of the leader's segments that start in the log window.
    pub segments: Vec<u64>,
    /// Brokers that still believe they lead it while the controller cannot hear them (isolated,
    /// not yet fenced) or has elected another leader they have not heard of: zombie leaders.
    pub zombie_leaders: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Producer {
    pub name: String,
    pub topic: String,
    /// `"0"`, `"1"` or `"all"`.
    pub acks: String,
    /// Sending (not stopped or paused).
    pub running: bool,
    /// Stopped for good (`producer stop`, or its Streams thread crashed): not `running`, and
    /// unlike a paused producer nothing starts it again (no `resume`, no `rate`). Always false
    /// for a real client (`running` says whether it is connected). Added to version 1: a page
    /// that does not know it reads a stopped producer as paused.
    pub stopped: bool,
    /// Records per simulated second, if it sends at a steady rate.
    pub rate_per_s: Option<f64>,
    pub buffered: usize,
    pub in_flight: usize,
    /// Records acknowledged to the application (with `acks=0`: sent).
    pub acked: u64,
    /// Records that failed to the application (delivery timeout, or an error not retried).
    pub failed: u64,
    /// Records sent again after a retriable error (idempotence keeps them written once).
    pub retried: u64,
    /// A real Kafka client connected to the listeners: its `client.id` (the page's name for
    /// it, marked "real client"); `running` while its connection is open.
    pub real_client: Option<String>,
    /// Brokers whose connection broke that its batches wait for, retried on the reconnect
    /// backoff (empty when it can reach every leader it sends to). Added to version 1.
    pub waiting_for: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub name: String,
    pub topics: Vec<String>,
    /// The consumer group's assignor (`range`, …, `stream`); a Connect cluster's group: the
    /// Connect protocol its generation runs (`sessioned`, `compatible`, `default`).
    pub assignor: String,
    /// `"eager"` or `"cooperative"` (a Connect group's `sessioned`/`compatible`: incremental
    /// cooperative).
    pub protocol: String,
    /// The members' protocol type: `"consumer"` (consumers, Streams threads, sink tasks) or
    /// `"connect"` (a distributed Connect cluster's workers).
    pub protocol_type: String,
    pub coordinator: Option<u32>,
    /// `Empty`, `PreparingRebalance`, `CompletingRebalance`, `Stable`, `Dead`.
    pub state: String,
    pub generation: i32,
    pub leader: Option<String>,
    pub members: Vec<Member>,
    pub offsets: Vec<GroupOffset>,
    pub lag: u64,
    pub consumed: u64,
    /// Records some member processed a second time (after a rebalance or a crash the new
    /// owner starts from the last committed offset).
    pub duplicates: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub member: String,
    /// `"orders/0"`, … in the current generation's assignment.
    pub assignment: Vec<String>,
    /// A real Kafka client's member: its `client.id` (empty once its connection closed, while
    /// the coordinator waits for its session to time out). The page draws it as a member row
    /// marked "real client"; a simulated consumer's member has none.
    pub real_client: Option<String>,
    /// A real client's member: `["orders/0", 20]` for each partition of its assignment it has
    /// fetched, the offset of its latest Fetch (its position as the brokers see it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fetching: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupOffset {
    pub topic: String,
    pub partition: u32,
    pub committed: u64,
    pub lag: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consumer {
    pub name: String,
    /// The member id it joins with: its name, or `NAME~N` after `consumer restart` (a new
    /// process is a new member; group `members` and `leader` use member ids).
    pub member_id: String,
    pub group: String,
    /// `running`, `closing`, `stopped`, `crashed`.
    pub state: String,
    /// `unjoined`, `committing`, `joining`, `syncing`, `stable`.
    pub phase: String,
    pub stalled: bool,
    pub generation: i32,
    pub rate_per_s: Option<f64>,
    /// What it holds now: `"orders/0"` → next offset to process (null until known).
    pub owned: Vec<(String, Option<u64>)>,
    pub consumed: u64,
    /// Brokers whose connection broke that its partitions wait to fetch from (empty when it
    /// can reach every leader it fetches from). Added to version 1.
    pub waiting_for: Vec<u32>,
}

/// Something to animate during this frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Flight {
    /// A producer's batch reached the leader (`key` is its first record's; values are in
    /// `inspect`).
    Produce {
        at_us: u64,
        producer: String,
        topic: String,
        partition: u32,
        broker: u32,
        offset: u64,
        count: u32,
        key: Option<String>,
    },
    /// A follower fetched `count` records from its leader (summed over the frame).
    Replicate {
        at_us: u64,
        topic: String,
        partition: u32,
        from: u32,
        to: u32,
        count: u64,
    },
    /// A consumer's application processed `count` records (summed over the frame).
    Consume {
        at_us: u64,
        consumer: String,
        group: String,
        topic: String,
        partition: u32,
        from_offset: u64,
        count: u64,
    },
    /// A Kafka Streams task processed `count` records of one input partition (`sample`: the
    /// first of them and what its sinks wrote, `engine::event::StreamsSample`); the page moves
    /// it through the topology's nodes. At most `MAX_STREAMS_FLIGHTS` per frame, beyond
    /// `MAX_FLIGHTS`.
    StreamsProcessed {
        at_us: u64,
        app: String,
        task: String,
        topic: String,
        partition: u32,
        from_offset: u64,
        count: u32,
        sample: Option<engine::event::StreamsSample>,
    },
}

/// One line of the event log, in plain words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    pub at_us: u64,
    /// `info`, `warn` (a rebalance, an ISR shrink, a retry) or `alert` (a death, a loss, a refusal).
    pub level: &'static str,
    /// What the entry is about, for styling and filtering: `broker`, `partition`, `producer`,
    /// `group`, `consumer`, `topic`, `network`, `narration`, `console`.
    pub subject: &'static str,
    pub text: String,
    /// `expect-passed` or `expect-failed` for an expectation's verdict; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// A line that repeats by nature, folded with its repeats (see "Folding repeats").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fold: Option<Fold>,
}

impl LogEntry {
    /// A plain line: no kind, nothing to fold.
    pub fn new(at_us: u64, level: &'static str, subject: &'static str, text: String) -> Self {
        LogEntry {
            at_us,
            level,
            subject,
            text,
            kind: None,
            fold: None,
        }
    }
}

/// How a repeating line folds (see "Folding repeats" in the module doc).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fold {
    /// Lines with the same key are repeats of one another.
    pub key: String,
    /// Occurrences folded into this line.
    pub count: u32,
    /// The newest occurrence.
    pub last_us: u64,
    /// The text of the folded line, before its count ("producer bank: retrying on
    /// NOT_ENOUGH_REPLICAS").
    #[serde(skip)]
    pub what: String,
    /// A quantity summed over the repeats (records), named by `unit`; 0: none.
    #[serde(skip)]
    pub amount: u64,
    #[serde(skip)]
    pub unit: &'static str,
}

/// The answer to `inspect`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspect {
    pub topic: String,
    pub partition: u32,
    pub leader: Option<u32>,
    pub high_watermark: u64,
    pub log_end_offset: u64,
    pub log_start_offset: u64,
    pub replicas: Vec<ReplicaOffsets>,
    /// The leader's latest records (at most `INSPECT_RECORDS`), oldest first.
    pub records: Vec<Record>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicaOffsets {
    pub broker: u32,
    pub in_isr: bool,
    pub log_end_offset: u64,
    pub high_watermark: u64,
    pub log_start_offset: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub offset: u64,
    pub key: Option<String>,
    pub value: Option<String>,
    pub timestamp_ms: u64,
    pub leader_epoch: u32,
}

/// The answer to `replicas`: every replica's log of one partition, leader first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicaLogs {
    pub topic: String,
    pub partition: u32,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    /// The window drawn: `window_start..window_end`, ending at the largest log end offset.
    pub window_start: u64,
    pub window_end: u64,
    pub replicas: Vec<ReplicaLog>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplicaLog {
    pub broker: u32,
    pub alive: bool,
    pub in_isr: bool,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub high_watermark: u64,
    /// `[first, end, epoch]`: offsets `first..end` are present, written in leader epoch `epoch`.
    pub runs: Vec<(u64, u64, u32)>,
    pub tombstones: Vec<u64>,
    /// `[offset, acked]`: records the leader does not hold at that offset.
    pub divergent: Vec<(u64, bool)>,
    pub segments: Vec<u64>,
}
