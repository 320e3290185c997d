//! The `connect` group protocol's bytes: what a distributed worker puts in its JoinGroup
//! metadata (`ConnectProtocol.WorkerState`, `ExtendedWorkerState`) and what the leader hands each
//! worker in SyncGroup (`ExtendedAssignment`), byte for byte as Kafka's `Schema`/`Struct` write
//! them (`ConnectProtocol`, `IncrementalCooperativeConnectProtocol`).
//!
//! Why a hand-written encoder: the `kafka-protocol` crate generates its types from the JSON
//! message specs under Kafka's `clients/src/main/resources/common/message`; Connect's schemas
//! are not among them (they are `Schema` objects built in Java code in `connect/runtime`), so
//! this module writes the few primitive types those schemas use itself, big-endian like
//! `ByteBuffer`: `INT16`/`INT32`/`INT64`, `STRING` (`i16` length + UTF-8), `NULLABLE_BYTES`
//! (`i32` length, `-1` for null) and `ArrayOf` (`i32` count, `-1` for a null nullable array).
//!
//! Layouts (each starts with the header `Version => Int16`):
//!
//! ```text
//! metadata v0 (`default`):            Version Url ConfigOffset
//! metadata v1/v2 (`compatible`/`sessioned`): Version Url ConfigOffset Allocation(NULLABLE_BYTES)
//!   Allocation = the worker's current assignment, serialised as below, or null
//! assignment v1/v2:   Version Error Leader LeaderUrl ConfigOffset
//!                     Assignment[Connector Tasks[Int32]] Revoked[Connector Tasks[Int32]] Delay(Int32)
//! ```
//!
//! In `Assignment`/`Revoked` a task id of `-1` (`CONNECTOR_TASK`) stands for the connector
//! itself. v2 (`sessioned`, KIP-507) is v1 with another version number.

use std::fmt;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::group::assignor::java::java_str_cmp;
use crate::streams::assignor::java::{hash_set_order, string_hash_code};

/// `ConnectProtocol.CONNECT_PROTOCOL_V0`: the eager protocol (`default`).
pub const CONNECT_PROTOCOL_V0: i16 = 0;
/// `IncrementalCooperativeConnectProtocol.CONNECT_PROTOCOL_V1` (`compatible`, KIP-415).
pub const CONNECT_PROTOCOL_V1: i16 = 1;
/// `IncrementalCooperativeConnectProtocol.CONNECT_PROTOCOL_V2` (`sessioned`, KIP-507).
pub const CONNECT_PROTOCOL_V2: i16 = 2;
/// `ConnectProtocol.CONNECTOR_TASK`: the task id that stands for the connector itself.
pub const CONNECTOR_TASK: i32 = -1;
/// `ConnectProtocol.Assignment.NO_ERROR`.
pub const NO_ERROR: i16 = 0;
/// `ConnectProtocol.Assignment.CONFIG_MISMATCH`: the leader was behind the config topic; the
/// worker reads to the end of it and rejoins.
pub const CONFIG_MISMATCH: i16 = 1;

/// `ConnectProtocolCompatibility`: the protocols a worker offers in JoinGroup (`connect.protocol`,
/// default `sessioned`), by name and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConnectProtocolCompatibility {
    /// `EAGER`, protocol `default`, version 0.
    Eager,
    /// `COMPATIBLE`, protocol `compatible`, version 1.
    Compatible,
    /// `SESSIONED`, protocol `sessioned`, version 2.
    Sessioned,
}

impl ConnectProtocolCompatibility {
    /// `protocol()`: the name in JoinGroup's protocol list.
    pub fn protocol(self) -> &'static str {
        match self {
            ConnectProtocolCompatibility::Eager => "default",
            ConnectProtocolCompatibility::Compatible => "compatible",
            ConnectProtocolCompatibility::Sessioned => "sessioned",
        }
    }

    /// Whether its rebalances are incremental cooperative (KIP-415): `COMPATIBLE` and
    /// `SESSIONED` speak `IncrementalCooperativeConnectProtocol`, `EAGER` the eager
    /// `ConnectProtocol` (every worker gives up everything on each rebalance).
    pub fn incremental_cooperative(self) -> bool {
        self != ConnectProtocolCompatibility::Eager
    }

    /// `protocolVersion()`.
    pub fn protocol_version(self) -> i16 {
        match self {
            ConnectProtocolCompatibility::Eager => CONNECT_PROTOCOL_V0,
            ConnectProtocolCompatibility::Compatible => CONNECT_PROTOCOL_V1,
            ConnectProtocolCompatibility::Sessioned => CONNECT_PROTOCOL_V2,
        }
    }

    /// `fromProtocol(name)`: case-insensitive, as Kafka's `equalsIgnoreCase`.
    pub fn from_protocol(name: &str) -> Option<Self> {
        [
            ConnectProtocolCompatibility::Eager,
            ConnectProtocolCompatibility::Compatible,
            ConnectProtocolCompatibility::Sessioned,
        ]
        .into_iter()
        .find(|mode| mode.protocol().eq_ignore_ascii_case(name))
    }
}

/// `ConnectorTaskId`: one task of a connector, `NAME-ID`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: i32,
}

impl ConnectorTaskId {
    pub fn new(connector: impl Into<String>, task: i32) -> Self {
        ConnectorTaskId {
            connector: connector.into(),
            task,
        }
    }

    /// `hashCode()`: `31 * connector.hashCode() + task`; decides `HashSet<ConnectorTaskId>`
    /// iteration order in the assignor.
    pub(crate) fn java_hash_code(&self) -> i32 {
        string_hash_code(&self.connector)
            .wrapping_mul(31)
            .wrapping_add(self.task)
    }
}

/// `compareTo`: by connector (`String.compareTo`), then task; the order of a
/// `TreeSet<ConnectorTaskId>`.
impl Ord for ConnectorTaskId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        java_str_cmp(&self.connector, &other.connector).then(self.task.cmp(&other.task))
    }
}

impl PartialOrd for ConnectorTaskId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// `toString()`: `connector-task`, as in Kafka's logs and REST answers.
impl fmt::Display for ConnectorTaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// Kafka's `SchemaException` on reading: the message says which field failed and why, in
/// Kafka's words (`Error reading field 'url': …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(pub String);

/// `ExtendedAssignment` (a `ConnectProtocol.Assignment` plus revocations and a delay): what the
/// leader gives one worker in SyncGroup, and what a worker reports as its current assignment in
/// its next JoinGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedAssignment {
    /// `version()`: the protocol version of the header it was read with (or is sent with).
    pub version: i16,
    /// `error()`: [`NO_ERROR`] or [`CONFIG_MISMATCH`].
    pub error: i16,
    /// `leader()`: the leader's member id.
    pub leader: String,
    /// `leaderUrl()`: the leader's REST URL.
    pub leader_url: String,
    /// `offset()`: the config topic offset the assignment was computed at.
    pub offset: i64,
    /// `connectors()`: connectors to run, in the order the bytes list them.
    pub connectors: Vec<String>,
    /// `tasks()`: tasks to run.
    pub tasks: Vec<ConnectorTaskId>,
    /// `revokedConnectors()`: connectors to stop.
    pub revoked_connectors: Vec<String>,
    /// `revokedTasks()`: tasks to stop.
    pub revoked_tasks: Vec<ConnectorTaskId>,
    /// `delay()`: milliseconds after which the worker rejoins (a scheduled rebalance), 0 for none.
    pub delay: i32,
}

impl ExtendedAssignment {
    /// `failed()`: the leader could not compute an assignment.
    pub fn failed(&self) -> bool {
        self.error != NO_ERROR
    }

    /// `IncrementalCooperativeConnectProtocol.serializeAssignment(assignment, sessioned)`: the
    /// header (version 2 if `sessioned`, else 1) then `ASSIGNMENT_V1`.
    pub fn serialize(&self, sessioned: bool) -> Bytes {
        let mut buf = BytesMut::new();
        buf.put_i16(header_version(sessioned));
        self.write_struct(&mut buf);
        buf.freeze()
    }

    /// `toStruct()` written by `ASSIGNMENT_V1.write`.
    fn write_struct(&self, buf: &mut BytesMut) {
        buf.put_i16(self.error);
        put_string(buf, &self.leader);
        put_string(buf, &self.leader_url);
        buf.put_i64(self.offset);
        put_connector_assignments(buf, &self.as_map());
        put_connector_assignments(buf, &self.revoked_as_map());
        buf.put_i32(self.delay);
    }

    /// `Assignment.asMap()`: one entry per connector, `[-1]` first for each assigned connector
    /// (in the iteration order of `new HashSet<>(connectorIds)`, so the bytes list connectors in
    /// `String.hashCode` bucket order, as Kafka's do), then each task appended to its
    /// connector's entry (new entries at the end, `LinkedHashMap`).
    fn as_map(&self) -> Vec<(String, Vec<i32>)> {
        let mut map: Vec<(String, Vec<i32>)> =
            hash_set_order(&self.connectors, |c| string_hash_code(c))
                .into_iter()
                .map(|c| (c, vec![CONNECTOR_TASK]))
                .collect();
        append_tasks(&mut map, &self.tasks);
        map
    }

    /// `ExtendedAssignment.revokedAsMap()`: like `asMap` but the connectors in list order
    /// (`stream().distinct()`).
    fn revoked_as_map(&self) -> Vec<(String, Vec<i32>)> {
        let mut map: Vec<(String, Vec<i32>)> = Vec::new();
        for connector in &self.revoked_connectors {
            if !map.iter().any(|(c, _)| c == connector) {
                map.push((connector.clone(), vec![CONNECTOR_TASK]));
            }
        }
        append_tasks(&mut map, &self.revoked_tasks);
        map
    }

    /// `IncrementalCooperativeConnectProtocol.deserializeAssignment`: the header (any version
    /// `>= 0`) then `ASSIGNMENT_V1`, which tolerates missing trailing fields with defaults (so an
    /// eager v0 assignment reads with nothing revoked and no delay).
    pub fn deserialize(bytes: &[u8]) -> Result<ExtendedAssignment, SchemaError> {
        let mut r = Reader(bytes);
        let version = read_header(&mut r)?;
        Self::read_struct(version, &mut r)
    }

    /// `ASSIGNMENT_V1.read` then `ExtendedAssignment.fromStruct`.
    fn read_struct(version: i16, r: &mut Reader<'_>) -> Result<ExtendedAssignment, SchemaError> {
        // The first four fields have no default: missing, they fail even in a tolerant schema.
        let error = r.field("error", Reader::i16)?;
        let leader = r.field("leader", Reader::string)?;
        let leader_url = r.field("leader-url", Reader::string)?;
        let offset = r.field("config-offset", Reader::i64)?;
        let assigned = r.tolerant_field("assignment", None, Reader::connector_assignments)?;
        let revoked = r.tolerant_field("revoked", None, Reader::connector_assignments)?;
        let delay = r.tolerant_field("delay", 0, Reader::i32)?;
        let (connectors, tasks) = split_connector_assignments(assigned);
        let (revoked_connectors, revoked_tasks) = split_connector_assignments(revoked);
        Ok(ExtendedAssignment {
            version,
            error,
            leader,
            leader_url,
            offset,
            connectors,
            tasks,
            revoked_connectors,
            revoked_tasks,
            delay,
        })
    }

    /// `WorkerCoordinator.onJoinComplete` (incremental protocols): the worker's new assignment
    /// snapshot is what the leader newly assigned plus what it already ran (`previous`, its
    /// snapshot before this rebalance, `None` when it had none) minus what the leader revoked.
    /// This snapshot is what the worker runs and reports in its next JoinGroup metadata.
    pub fn augment(mut self, previous: Option<&ExtendedAssignment>) -> ExtendedAssignment {
        if let Some(previous) = previous {
            self.connectors.extend(
                previous
                    .connectors
                    .iter()
                    .filter(|c| !self.revoked_connectors.contains(c))
                    .cloned(),
            );
            let kept: Vec<ConnectorTaskId> = previous
                .tasks
                .iter()
                .filter(|t| !self.revoked_tasks.contains(t))
                .cloned()
                .collect();
            self.tasks.extend(kept);
        }
        self
    }
}

/// `ExtendedWorkerState`: a worker's JoinGroup metadata under the incremental protocols (its
/// REST URL, the config topic offset it has read to, and its current assignment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedWorkerState {
    /// `url()`: the worker's REST URL (`rest.advertised.*`).
    pub url: String,
    /// `offset()`: the latest config topic offset this worker has read.
    pub offset: i64,
    /// `assignment()`: the worker's assignment snapshot; `None` is Kafka's
    /// `ExtendedAssignment.empty()` (no assignment yet, or revoked after losing the
    /// coordinator), which is written as a null allocation.
    pub assignment: Option<ExtendedAssignment>,
}

impl ExtendedWorkerState {
    /// `IncrementalCooperativeConnectProtocol.serializeMetadata(workerState, sessioned)`.
    pub fn serialize(&self, sessioned: bool) -> Bytes {
        let mut buf = BytesMut::new();
        buf.put_i16(header_version(sessioned));
        put_string(&mut buf, &self.url);
        buf.put_i64(self.offset);
        // ALLOCATION_V1: the assignment with its own header, as NULLABLE_BYTES.
        match &self.assignment {
            Some(assignment) => {
                let bytes = assignment.serialize(sessioned);
                buf.put_i32(i32::try_from(bytes.len()).expect("an assignment fits in an i32"));
                buf.put_slice(&bytes);
            }
            None => buf.put_i32(-1),
        }
        buf.freeze()
    }

    /// `IncrementalCooperativeConnectProtocol.metadataRequest(workerState, sessioned)`: the
    /// protocols JoinGroup offers, in order of preference, with their metadata: `sessioned` (if
    /// enabled), `compatible`, and `default` (the eager protocol's v0 metadata).
    pub fn metadata_request(&self, sessioned: bool) -> Vec<(String, Bytes)> {
        let mut protocols = Vec::with_capacity(3);
        if sessioned {
            protocols.push((
                ConnectProtocolCompatibility::Sessioned
                    .protocol()
                    .to_string(),
                self.serialize(true),
            ));
        }
        protocols.push((
            ConnectProtocolCompatibility::Compatible
                .protocol()
                .to_string(),
            self.serialize(false),
        ));
        protocols.push((
            ConnectProtocolCompatibility::Eager.protocol().to_string(),
            serialize_metadata_v0(&self.url, self.offset),
        ));
        protocols
    }

    /// `IncrementalCooperativeConnectProtocol.deserializeMetadata`: the header, `CONFIG_STATE_V1`,
    /// then `ALLOCATION_V1`, which tolerates a missing allocation (v0 metadata reads as a worker
    /// with no assignment).
    pub fn deserialize(bytes: &[u8]) -> Result<ExtendedWorkerState, SchemaError> {
        let mut r = Reader(bytes);
        read_header(&mut r)?;
        let url = r.field("url", Reader::string)?;
        let offset = r.field("config-offset", Reader::i64)?;
        let allocation = r.tolerant_field("allocation", None, Reader::nullable_bytes)?;
        let assignment = match allocation {
            Some(bytes) => Some(ExtendedAssignment::deserialize(bytes)?),
            None => None,
        };
        Ok(ExtendedWorkerState {
            url,
            offset,
            assignment,
        })
    }
}

/// `ConnectProtocol.serializeMetadata`: the eager protocol's metadata (`CONFIG_STATE_V0` after a
/// version-0 header), offered as the `default` protocol.
fn serialize_metadata_v0(url: &str, offset: i64) -> Bytes {
    let mut buf = BytesMut::new();
    buf.put_i16(CONNECT_PROTOCOL_V0);
    put_string(&mut buf, url);
    buf.put_i64(offset);
    buf.freeze()
}

fn header_version(sessioned: bool) -> i16 {
    if sessioned {
        CONNECT_PROTOCOL_V2
    } else {
        CONNECT_PROTOCOL_V1
    }
}

/// Appends each task to its connector's entry, opening entries in first-seen order.
fn append_tasks(map: &mut Vec<(String, Vec<i32>)>, tasks: &[ConnectorTaskId]) {
    for task in tasks {
        match map.iter_mut().find(|(c, _)| *c == task.connector) {
            Some((_, ids)) => ids.push(task.task),
            None => map.push((task.connector.clone(), vec![task.task])),
        }
    }
}

/// `Type.STRING.write`: `i16` length, UTF-8 bytes.
fn put_string(buf: &mut BytesMut, s: &str) {
    // Kafka throws a SchemaException past Short.MAX_VALUE bytes; the simulation's names are
    // bounded far below that by the parser.
    let len = i16::try_from(s.len()).expect("a protocol string is at most 32767 bytes");
    buf.put_i16(len);
    buf.put_slice(s.as_bytes());
}

/// `ArrayOf(CONNECTOR_ASSIGNMENT_V1).write`: entries of `Connector => String`,
/// `Tasks => [Int32]`.
fn put_connector_assignments(buf: &mut BytesMut, entries: &[(String, Vec<i32>)]) {
    buf.put_i32(entries.len() as i32);
    for (connector, tasks) in entries {
        put_string(buf, connector);
        buf.put_i32(tasks.len() as i32);
        for task in tasks {
            buf.put_i32(*task);
        }
    }
}

/// `extractConnectors` and `extractTasks`: entries' `-1`s are connectors, other ids tasks.
fn split_connector_assignments(
    entries: Option<Vec<(String, Vec<i32>)>>,
) -> (Vec<String>, Vec<ConnectorTaskId>) {
    let mut connectors = Vec::new();
    let mut tasks = Vec::new();
    for (connector, ids) in entries.unwrap_or_default() {
        for id in ids {
            if id == CONNECTOR_TASK {
                connectors.push(connector.clone());
            } else {
                tasks.push(ConnectorTaskId::new(connector.clone(), id));
            }
        }
    }
    (connectors, tasks)
}

/// `CONNECT_PROTOCOL_HEADER_SCHEMA.read` and `checkVersionCompatibility`: any version `>= 0`
/// is read (newer versions are assumed to extend the layout at its end).
fn read_header(r: &mut Reader<'_>) -> Result<i16, SchemaError> {
    let version = r.field("version", Reader::i16)?;
    if version < CONNECT_PROTOCOL_V0 {
        return Err(SchemaError(format!(
            "Unsupported subscription version: {version}"
        )));
    }
    Ok(version)
}

/// A `ByteBuffer` being read by `Schema.read`; each reader fails as Kafka's `Type.read` does.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// `Schema.read` of one field: a failure is wrapped with the field's name.
    fn field<T>(
        &mut self,
        name: &str,
        read: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, SchemaError> {
        read(self).map_err(|e| SchemaError(format!("Error reading field '{name}': {e}")))
    }

    /// A field of a schema built with `tolerateMissingFieldsWithDefaults`: if the buffer has
    /// nothing left, the field's default.
    fn tolerant_field<T>(
        &mut self,
        name: &str,
        default: T,
        read: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, SchemaError> {
        if self.0.has_remaining() {
            self.field(name, read)
        } else {
            Ok(default)
        }
    }

    fn need(&self, n: usize) -> Result<(), String> {
        if self.0.remaining() < n {
            Err("java.nio.BufferUnderflowException".to_string())
        } else {
            Ok(())
        }
    }

    fn i16(&mut self) -> Result<i16, String> {
        self.need(2)?;
        Ok(self.0.get_i16())
    }

    fn i32(&mut self) -> Result<i32, String> {
        self.need(4)?;
        Ok(self.0.get_i32())
    }

    fn i64(&mut self) -> Result<i64, String> {
        self.need(8)?;
        Ok(self.0.get_i64())
    }

    /// `Type.STRING.read`. Java decodes with `new String(bytes, UTF_8)`, which replaces malformed
    /// sequences rather than failing; so does this.
    fn string(&mut self) -> Result<String, String> {
        let length = self.i16()?;
        if length < 0 {
            return Err(format!("String length {length} cannot be negative"));
        }
        let length = length as usize;
        if length > self.0.remaining() {
            return Err(format!(
                "Error reading string of length {length}, only {} bytes available",
                self.0.remaining()
            ));
        }
        let s = String::from_utf8_lossy(&self.0[..length]).into_owned();
        self.0.advance(length);
        Ok(s)
    }

    /// `Type.NULLABLE_BYTES.read`: a negative size is null.
    fn nullable_bytes(&mut self) -> Result<Option<&'a [u8]>, String> {
        let size = self.i32()?;
        if size < 0 {
            return Ok(None);
        }
        let size = size as usize;
        if size > self.0.remaining() {
            return Err(format!(
                "Error reading bytes of size {size}, only {} bytes available",
                self.0.remaining()
            ));
        }
        let (bytes, rest) = self.0.split_at(size);
        self.0 = rest;
        Ok(Some(bytes))
    }

    /// `ArrayOf.read`'s size: a negative size is null when nullable, else an error; a size
    /// larger than the bytes left is an error before any element is read.
    fn array_size(&mut self, nullable: bool) -> Result<Option<usize>, String> {
        let size = self.i32()?;
        if size < 0 {
            return if nullable {
                Ok(None)
            } else {
                Err(format!("Array size {size} cannot be negative"))
            };
        }
        let size = size as usize;
        if size > self.0.remaining() {
            return Err(format!(
                "Error reading array of size {size}, only {} bytes available",
                self.0.remaining()
            ));
        }
        Ok(Some(size))
    }

    /// `ArrayOf.nullable(CONNECTOR_ASSIGNMENT_V1).read`.
    #[allow(clippy::type_complexity)]
    fn connector_assignments(&mut self) -> Result<Option<Vec<(String, Vec<i32>)>>, String> {
        let Some(size) = self.array_size(true)? else {
            return Ok(None);
        };
        let mut entries = Vec::with_capacity(size);
        for _ in 0..size {
            let connector = self
                .string()
                .map_err(|e| format!("Error reading field 'connector': {e}"))?;
            let tasks = self
                .int32_array()
                .map_err(|e| format!("Error reading field 'tasks': {e}"))?;
            entries.push((connector, tasks));
        }
        Ok(Some(entries))
    }

    /// `new ArrayOf(Type.INT32).read` (not nullable).
    fn int32_array(&mut self) -> Result<Vec<i32>, String> {
        let size = self.array_size(false)?.expect("not nullable");
        let mut ids = Vec::with_capacity(size);
        for _ in 0..size {
            ids.push(self.i32()?);
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(c: &str, t: i32) -> ConnectorTaskId {
        ConnectorTaskId::new(c, t)
    }

    fn assignment() -> ExtendedAssignment {
        ExtendedAssignment {
            version: CONNECT_PROTOCOL_V2,
            error: NO_ERROR,
            leader: "worker-1".into(),
            leader_url: "http://worker-1:8083/".into(),
            offset: 42,
            connectors: vec!["jdbc".into()],
            tasks: vec![task("jdbc", 0), task("file", 1), task("jdbc", 1)],
            revoked_connectors: vec!["file".into()],
            revoked_tasks: vec![task("file", 0)],
            delay: 300_000,
        }
    }

    /// Big-endian pieces, written out by hand from Kafka's schema definitions.
    fn i16b(v: i16) -> Vec<u8> {
        v.to_be_bytes().to_vec()
    }
    fn i32b(v: i32) -> Vec<u8> {
        v.to_be_bytes().to_vec()
    }
    fn i64b(v: i64) -> Vec<u8> {
        v.to_be_bytes().to_vec()
    }
    fn strb(s: &str) -> Vec<u8> {
        let mut v = i16b(s.len() as i16);
        v.extend_from_slice(s.as_bytes());
        v
    }

    #[test]
    fn assignment_bytes_match_kafkas_schema() {
        // ASSIGNMENT_V1 after a v2 header. Assignment: `jdbc` gets [-1, 0, 1] (the connector
        // first, then its tasks in list order), `file` [1] (an entry opened by a task). Revoked:
        // `file` [-1, 0].
        let expected: Vec<u8> = [
            i16b(2),
            i16b(0),
            strb("worker-1"),
            strb("http://worker-1:8083/"),
            i64b(42),
            i32b(2),
            strb("jdbc"),
            i32b(3),
            i32b(-1),
            i32b(0),
            i32b(1),
            strb("file"),
            i32b(1),
            i32b(1),
            i32b(1),
            strb("file"),
            i32b(2),
            i32b(-1),
            i32b(0),
            i32b(300_000),
        ]
        .concat();
        let a = assignment();
        assert_eq!(a.serialize(true).to_vec(), expected);
        // Reading groups tasks by connector entry, as Kafka's `extractTasks` does.
        let read = ExtendedAssignment::deserialize(&expected).unwrap();
        assert_eq!(
            read.tasks,
            vec![task("jdbc", 0), task("jdbc", 1), task("file", 1)]
        );
        assert_eq!(read.connectors, a.connectors);
        assert_eq!(read.revoked_connectors, a.revoked_connectors);
        assert_eq!(read.revoked_tasks, a.revoked_tasks);
        assert_eq!(read.delay, 300_000);
        assert_eq!(read.version, CONNECT_PROTOCOL_V2);
        // The v1 header is the only difference under `compatible`.
        let v1 = a.serialize(false);
        assert_eq!(&v1[..2], &i16b(1)[..]);
        assert_eq!(&v1[2..], &expected[2..]);
    }

    #[test]
    fn metadata_bytes_match_kafkas_schema() {
        let state = ExtendedWorkerState {
            url: "http://w:8083/".into(),
            offset: 7,
            assignment: None,
        };
        // Version, CONFIG_STATE_V1 (url, offset), ALLOCATION_V1 null (-1).
        let expected = [i16b(1), strb("http://w:8083/"), i64b(7), i32b(-1)].concat();
        assert_eq!(state.serialize(false).to_vec(), expected);
        let with = ExtendedWorkerState {
            assignment: Some(assignment()),
            ..state.clone()
        };
        let inner = assignment().serialize(true);
        let expected = [
            i16b(2),
            strb("http://w:8083/"),
            i64b(7),
            i32b(inner.len() as i32),
            inner.to_vec(),
        ]
        .concat();
        assert_eq!(with.serialize(true).to_vec(), expected);
    }

    #[test]
    fn worker_state_and_assignment_round_trip() {
        let mut a = assignment();
        // The bytes group tasks by connector; an assignment already in that order round-trips.
        a.tasks = vec![task("jdbc", 0), task("jdbc", 1), task("file", 1)];
        for sessioned in [false, true] {
            let mut expected = a.clone();
            expected.version = header_version(sessioned);
            assert_eq!(
                ExtendedAssignment::deserialize(&a.serialize(sessioned)),
                Ok(expected.clone())
            );
            let state = ExtendedWorkerState {
                url: "http://w:8083/".into(),
                offset: 618,
                assignment: Some(a.clone()),
            };
            let read = ExtendedWorkerState::deserialize(&state.serialize(sessioned)).unwrap();
            assert_eq!(read.assignment, Some(expected));
            assert_eq!((read.url.as_str(), read.offset), ("http://w:8083/", 618));
            let empty = ExtendedWorkerState {
                assignment: None,
                ..state
            };
            assert_eq!(
                ExtendedWorkerState::deserialize(&empty.serialize(sessioned)),
                Ok(empty)
            );
        }
    }

    #[test]
    fn connectors_are_written_in_hash_set_order() {
        // "Aa" and "BB" share String.hashCode 2112 (bucket 0, insertion order); "a" (97) is in
        // bucket 1; "c" (99) in bucket 3. Kafka's `new HashSet<>(connectorIds)` iterates so.
        let a = ExtendedAssignment {
            connectors: vec!["c".into(), "a".into(), "BB".into(), "Aa".into()],
            tasks: Vec::new(),
            revoked_connectors: Vec::new(),
            revoked_tasks: Vec::new(),
            ..assignment()
        };
        let read = ExtendedAssignment::deserialize(&a.serialize(true)).unwrap();
        assert_eq!(read.connectors, vec!["BB", "Aa", "a", "c"]);
    }

    #[test]
    fn metadata_request_offers_protocols_in_preference_order() {
        let state = ExtendedWorkerState {
            url: "http://w:8083/".into(),
            offset: 3,
            assignment: Some(assignment()),
        };
        let protocols = state.metadata_request(true);
        let names: Vec<&str> = protocols.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["sessioned", "compatible", "default"]);
        assert_eq!(protocols[0].1, state.serialize(true));
        assert_eq!(protocols[1].1, state.serialize(false));
        // The eager metadata is v0 with no allocation; the incremental reader tolerates it.
        assert_eq!(
            protocols[2].1.to_vec(),
            [i16b(0), strb("http://w:8083/"), i64b(3)].concat()
        );
        let read = ExtendedWorkerState::deserialize(&protocols[2].1).unwrap();
        assert_eq!(read.assignment, None);
        assert_eq!(read.offset, 3);
        assert_eq!(state.metadata_request(false).len(), 2);
        assert_eq!(
            ConnectProtocolCompatibility::from_protocol("SESSIONED"),
            Some(ConnectProtocolCompatibility::Sessioned)
        );
        assert_eq!(ConnectProtocolCompatibility::from_protocol("range"), None);
    }

    #[test]
    fn an_eager_assignment_reads_with_defaults() {
        // ConnectProtocol.serializeAssignment (v0): no revoked array, no delay.
        let v0 = [
            i16b(0),
            i16b(CONFIG_MISMATCH),
            strb("l"),
            strb("u"),
            i64b(9),
            i32b(1),
            strb("c"),
            i32b(2),
            i32b(-1),
            i32b(0),
        ]
        .concat();
        let read = ExtendedAssignment::deserialize(&v0).unwrap();
        assert!(read.failed());
        assert_eq!(read.connectors, vec!["c"]);
        assert_eq!(read.tasks, vec![task("c", 0)]);
        assert!(read.revoked_connectors.is_empty() && read.revoked_tasks.is_empty());
        assert_eq!((read.version, read.delay), (0, 0));
    }

    #[test]
    fn malformed_bytes_fail_like_kafka() {
        let bytes = assignment().serialize(true);
        assert_eq!(
            ExtendedAssignment::deserialize(&bytes[..3]),
            Err(SchemaError(
                "Error reading field 'error': java.nio.BufferUnderflowException".into()
            ))
        );
        assert_eq!(
            ExtendedAssignment::deserialize(&bytes[..8]),
            Err(SchemaError(
                "Error reading field 'leader': Error reading string of length 8, only 2 bytes available"
                    .into()
            ))
        );
        assert_eq!(
            ExtendedAssignment::deserialize(&i16b(-1)),
            Err(SchemaError("Unsupported subscription version: -1".into()))
        );
        let state = ExtendedWorkerState {
            url: "u".into(),
            offset: 0,
            assignment: Some(assignment()),
        }
        .serialize(true);
        assert!(ExtendedWorkerState::deserialize(&state[..state.len() - 1]).is_err());
    }

    #[test]
    fn join_complete_keeps_what_was_not_revoked() {
        let previous = ExtendedAssignment {
            connectors: vec!["a".into(), "b".into()],
            tasks: vec![task("a", 0), task("b", 0)],
            revoked_connectors: Vec::new(),
            revoked_tasks: Vec::new(),
            ..assignment()
        };
        let new = ExtendedAssignment {
            connectors: vec!["c".into()],
            tasks: vec![task("c", 0)],
            revoked_connectors: vec!["b".into()],
            revoked_tasks: vec![task("b", 0)],
            ..assignment()
        };
        let snapshot = new.clone().augment(Some(&previous));
        assert_eq!(snapshot.connectors, vec!["c", "a"]);
        assert_eq!(snapshot.tasks, vec![task("c", 0), task("a", 0)]);
        assert_eq!(new.clone().augment(None), new);
    }

    #[test]
    fn task_ids_order_and_hash_like_java() {
        assert!(task("a", 10) > task("a", 9));
        assert!(task("a", 0) < task("b", 0));
        assert_eq!(task("a", 2).to_string(), "a-2");
        // "a".hashCode() = 97; 31 * 97 + 2.
        assert_eq!(task("a", 2).java_hash_code(), 97 * 31 + 2);
    }
}
