//! One Kafka client connection: requests read one at a time and answered in order, as Kafka's
//! `SocketServer` does (it mutes a channel while its request is being handled, which also keeps
//! a pipelining client from queueing unbounded work). A response waits at most
//! [`WRITE_TIMEOUT`] for a peer that does not read, then the connection closes; a connection
//! silent for `connections.max.idle.ms` closes too. While the broker is isolated, requests are
//! held unanswered, as a broker cut off from the network would leave them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::Shared;
use super::api_versions;
use super::fetch;
use super::frame::{self, frame_response};
use super::init_producer_id;
use super::list_offsets;
use super::metadata;
use super::produce;
use super::request::{self, Request};
use super::view::{BrokerLife, KafkaAsk};

/// Kafka's `connections.max.idle.ms` default (10 minutes).
pub const CONNECTIONS_MAX_IDLE: Duration = Duration::from_secs(600);
/// How long a response may wait for a peer that does not read before the connection closes.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How much longer than its `max_wait_ms` a Fetch waits for the room before it is answered
/// with no partitions here (a paused room): the client fetches again.
pub const FETCH_GRACE: Duration = Duration::from_secs(1);
/// How much longer than its own `timeout_ms` a Produce waits for the room before it is
/// answered REQUEST_TIMED_OUT here: a paused room (or one that rewound past the request) holds
/// a request no longer than the client itself would wait.
pub const PRODUCE_GRACE: Duration = Duration::from_secs(1);

/// Who is on the other end, for the requests that enter the engine. Dropped (the connection
/// closed, or its broker was killed and the task aborted), it tells the room the client left.
pub struct Peer {
    /// The room to tell.
    shared: Arc<Shared>,
    /// The broker whose listener accepted the connection.
    pub broker: u32,
    /// The engine's opaque id for this connection's client (`engine::client::external`).
    pub client: u32,
    /// Whether the room has heard of this client (it must hear when it goes).
    pub known: bool,
    /// Each request's token for the engine.
    pub next_token: u64,
    /// The client's address as Kafka's `InetAddress.toString` prints it (`/127.0.0.1`).
    pub host: String,
    /// The connection as its room counts it (`None`: no room), named by the `client.id` of its
    /// first request.
    pub counted: Option<super::clients::ClientConnection>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        if self.known {
            self.shared.closed(self.client);
        }
    }
}

impl Peer {
    pub fn new(shared: Arc<Shared>, broker: u32, client: u32) -> Peer {
        Peer {
            shared,
            broker,
            client,
            known: false,
            next_token: 0,
            host: String::new(),
            counted: None,
        }
    }
}

/// Serves one connection until the peer closes it, it breaks a rule, or the task is aborted
/// (its broker was killed).
pub async fn serve(stream: TcpStream, shared: Arc<Shared>, mut life: watch::Receiver<BrokerLife>) {
    let ip = stream
        .peer_addr()
        .map_or_else(|_| String::new(), |a| a.ip().to_string());
    let (mut reader, mut writer) = stream.into_split();
    let mut peer = Peer::new(shared.clone(), life.borrow().id, shared.new_client());
    peer.host = format!("/{ip}");
    // While it is open the room keeps to the wall clock (1×, no rewind, short pauses).
    peer.counted = shared.client_connected(&ip);
    serve_requests(&mut reader, &mut writer, &shared, &mut life, &mut peer).await;
}

async fn serve_requests(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    shared: &Shared,
    life: &mut watch::Receiver<BrokerLife>,
    peer: &mut Peer,
) {
    loop {
        let frame = match tokio::time::timeout(
            CONNECTIONS_MAX_IDLE,
            frame::read_frame(reader, &shared.pool),
        )
        .await
        {
            Ok(Ok(Some(frame))) => frame,
            Ok(Ok(None)) => return,
            Ok(Err(e)) => {
                tracing::debug!("closing a Kafka connection: {e}");
                return;
            }
            Err(_) => return,
        };
        // An isolated broker hears nothing: the request waits for the isolation to end.
        if life.wait_for(|l| !l.isolated).await.is_err() {
            return;
        }
        let response = match answer(frame.bytes.clone(), shared, peer).await {
            Answer::Bytes(response) => response,
            Answer::Nothing => continue,
            Answer::Close => return,
        };
        drop(frame);
        match tokio::time::timeout(WRITE_TIMEOUT, writer.write_all(&response)).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}

/// What a request gets.
pub enum Answer {
    /// The response frame.
    Bytes(Bytes),
    /// No response (Produce with acks=0, as Kafka's broker sends none).
    Nothing,
    /// The connection closes.
    Close,
}

/// The answer to one request frame.
pub async fn answer(bytes: Bytes, shared: &Shared, peer: &mut Peer) -> Answer {
    let decoded = match request::decode(bytes) {
        Ok(decoded) => decoded,
        Err(refusal) => {
            tracing::debug!("closing a Kafka connection: {refusal}");
            return Answer::Close;
        }
    };
    // Every request header since v1 carries the client's `client.id`: the first one names the
    // connection in the presenter panel's count of programs.
    if let Some(counted) = &mut peer.counted {
        counted.identify(decoded.header.client_id.as_deref());
    }
    let decoded = match decoded {
        request::Decoded {
            header,
            request: Request::Group(r),
        } => {
            return match super::group::answer(&header, r, shared, peer).await {
                Some(body) => Answer::Bytes(frame_response(&body)),
                None => Answer::Close,
            };
        }
        request::Decoded {
            header,
            request: Request::Admin(r),
        } => {
            return match super::admin::answer(&header, r, shared, peer).await {
                Some(body) => Answer::Bytes(frame_response(&body)),
                None => Answer::Close,
            };
        }
        other => other,
    };
    if let Request::Produce(r) = &decoded.request {
        return match answer_produce(&decoded.header, r, shared, peer).await {
            Some(Some(body)) => Answer::Bytes(frame_response(&body)),
            Some(None) => Answer::Nothing,
            None => Answer::Close,
        };
    }
    let body = match &decoded.request {
        Request::Fetch(r) => Some(answer_fetch(&decoded.header, r, shared, peer).await),
        Request::ListOffsets(r) => {
            Some(answer_list_offsets(&decoded.header, r, shared, peer).await)
        }
        Request::InitProducerId(r) => {
            Some(answer_init_producer_id(&decoded.header, r, shared, peer).await)
        }
        _ => None,
    };
    if let Some(body) = body {
        return match body {
            Some(body) => Answer::Bytes(frame_response(&body)),
            None => Answer::Close,
        };
    }
    match answer_other(decoded, shared).await {
        Some(bytes) => Answer::Bytes(bytes),
        None => Answer::Close,
    }
}

/// A Produce: the records to the room, the engine's answer back. `Some(None)`: acks=0, no
/// response; `None`: close.
async fn answer_produce(
    header: &kafka_protocol::messages::RequestHeader,
    request: &kafka_protocol::messages::ProduceRequest,
    shared: &Shared,
    peer: &mut Peer,
) -> Option<Option<Vec<u8>>> {
    let mut decoded = match produce::decode(request) {
        Ok(decoded) => decoded,
        Err(code) => {
            // INVALID_REQUIRED_ACKS for every partition.
            let parts: Vec<_> = request
                .topic_data
                .iter()
                .flat_map(|t| {
                    t.partition_data
                        .iter()
                        .map(|p| (t.name.0.to_string(), p.index, Err(code)))
                })
                .collect();
            return Some(produce::respond(header, &parts));
        }
    };
    let timeout_ms = decoded.timeout_ms.max(0) as u64;
    let acks = decoded.acks;
    let partitions = produce::to_engine(&mut decoded);
    let mut from_engine = Vec::new();
    if !partitions.is_empty() {
        peer.next_token += 1;
        peer.known = true;
        let request = engine::client::external::ExternalProduce {
            client: peer.client,
            broker: peer.broker,
            token: peer.next_token,
            acks,
            timeout_us: timeout_ms * 1000,
            partitions,
        };
        let name = client_name(header);
        let wait = Duration::from_millis(timeout_ms) + PRODUCE_GRACE;
        match tokio::time::timeout(wait, shared.produce(name, request)).await {
            Ok(Some(parts)) => from_engine = parts,
            // The room is busy or gone: the connection closes, as a broker that fails would.
            Ok(None) => return None,
            // Not answered within the request's own timeout (a paused room): what Kafka's
            // purgatory answers when the timeout passes.
            Err(_) => {}
        }
    }
    if acks == engine::command::Acks::Zero {
        return Some(None);
    }
    // The engine's NETWORK_EXCEPTION says the client's connection to this broker broke (it
    // died with the request in flight). A Kafka broker never writes that code: the client sees
    // the connection close, and retries elsewhere (librdkafka takes the code in an answer as a
    // permanent error for the records, an idempotent producer's too).
    if from_engine
        .iter()
        .any(|r| r.result == Err(engine::event::ErrorCode::NetworkException))
    {
        return None;
    }
    let mut engine_results = from_engine.into_iter();
    let results: Vec<super::produce::PartitionResult> = decoded
        .parts
        .into_iter()
        .map(|(topic, partition, local)| {
            let result = match local {
                Err(code) => Err(code),
                Ok(_) => match engine_results.next() {
                    Some(r) => r
                        .result
                        .map(|base| (base, r.log_start_offset))
                        .map_err(produce::error_code),
                    None => Err(produce::REQUEST_TIMED_OUT),
                },
            };
            (topic, partition, result)
        })
        .collect();
    Some(produce::respond(header, &results))
}

/// The client's `client.id` as the page shows it (at most 64 characters).
fn client_name(header: &kafka_protocol::messages::RequestHeader) -> String {
    header
        .client_id
        .as_ref()
        .map(|c| c.chars().take(64).collect::<String>())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "kafka-client".to_string())
}

/// A Fetch: the partitions to the room, the engine's records back. `None`: close.
async fn answer_fetch(
    header: &kafka_protocol::messages::RequestHeader,
    request: &kafka_protocol::messages::FetchRequest,
    shared: &Shared,
    peer: &mut Peer,
) -> Option<Vec<u8>> {
    let decoded = match fetch::decode(request, header.request_api_version) {
        Ok(decoded) => decoded,
        Err(code) => return fetch::respond_empty(header, code),
    };
    let partitions = fetch::to_engine(&decoded);
    let max_wait_ms = u64::try_from(decoded.max_wait_ms).unwrap_or(0);
    let mut answer = None;
    if !partitions.is_empty() {
        peer.next_token += 1;
        peer.known = true;
        let request = engine::client::external_fetch::ExternalFetch {
            client: peer.client,
            broker: peer.broker,
            token: peer.next_token,
            max_wait_us: max_wait_ms * 1000,
            min_bytes: decoded.min_bytes,
            max_bytes: decoded.max_bytes,
            partitions,
        };
        let wait = Duration::from_millis(max_wait_ms) + FETCH_GRACE;
        match tokio::time::timeout(wait, shared.fetch(client_name(header), request)).await {
            Ok(Some(found)) => answer = Some(found),
            // The room is busy or gone, or the broker died: the connection closes.
            Ok(None) => return None,
            // A paused room: no partitions this time; the client fetches again.
            Err(_) => return fetch::respond_empty(header, fetch::NONE),
        }
    }
    let anchor = answer
        .as_ref()
        .map_or_else(|| super::view::anchor(0), |a| a.anchor);
    let mut from_engine = answer.map(|a| a.parts).unwrap_or_default().into_iter();
    let results: Vec<fetch::PartitionResult> = decoded
        .parts
        .into_iter()
        .map(|(topic, partition, local)| {
            let result = match local {
                Err(code) => Err(code),
                Ok(_) => match from_engine.next() {
                    Some(r) => r.result.map_err(fetch::error_code),
                    None => Err(fetch::UNKNOWN_TOPIC_OR_PARTITION),
                },
            };
            (topic, partition, result)
        })
        .collect();
    fetch::respond(header, decoded.read_committed, &results, anchor)
}

/// A ListOffsets: answered from the room's cluster as it is now, at this connection's broker.
async fn answer_list_offsets(
    header: &kafka_protocol::messages::RequestHeader,
    request: &kafka_protocol::messages::ListOffsetsRequest,
    shared: &Shared,
    peer: &Peer,
) -> Option<Vec<u8>> {
    let decoded = list_offsets::decode(request, header.request_api_version);
    let queries = list_offsets::to_engine(&decoded);
    let found = if queries.is_empty() {
        Vec::new()
    } else {
        // `None`: the room is busy or the broker is down; the connection closes.
        shared
            .list_offsets(peer.broker, decoded.reader, queries)
            .await?
    };
    let mut from_engine = found.into_iter();
    let results: Vec<list_offsets::PartitionResult> = decoded
        .parts
        .into_iter()
        .map(|(topic, partition, local)| {
            let result = match local {
                Err(code) => Err(code),
                Ok(_) => match from_engine.next() {
                    Some(r) => r.map_err(fetch::error_code),
                    None => Err(fetch::UNKNOWN_TOPIC_OR_PARTITION),
                },
            };
            (topic, partition, result)
        })
        .collect();
    list_offsets::respond(header, &results)
}

/// An InitProducerId: a new producer id from the room, at this connection's broker. `None`:
/// the room is busy or the broker is down; the connection closes.
async fn answer_init_producer_id(
    header: &kafka_protocol::messages::RequestHeader,
    request: &kafka_protocol::messages::InitProducerIdRequest,
    shared: &Shared,
    peer: &Peer,
) -> Option<Vec<u8>> {
    let result = match init_producer_id::check(request) {
        Ok(()) => Ok(shared.init_producer_id(peer.broker).await?),
        Err(code) => Err(code),
    };
    init_producer_id::respond(header, result)
}

/// Every other request: answered from the room's view.
async fn answer_other(decoded: request::Decoded, shared: &Shared) -> Option<Bytes> {
    let header = &decoded.header;
    let body = match &decoded.request {
        Request::ApiVersions(r) => api_versions::respond(header, r),
        Request::UnsupportedApiVersions => api_versions::respond_unsupported(header),
        Request::Metadata(r) => {
            let version = header.request_api_version;
            let topics = metadata::requested_topics(r, version);
            let ask = KafkaAsk::Metadata {
                auto_create: metadata::auto_create(r, version) && topics.is_some(),
                topics,
                client_id: header
                    .client_id
                    .as_ref()
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
            };
            let view = shared.ask(ask).await?;
            metadata::respond(header, r, &view, shared, getrandom::u32().unwrap_or(0))
        }
        Request::Produce(_)
        | Request::Fetch(_)
        | Request::ListOffsets(_)
        | Request::InitProducerId(_) => {
            unreachable!(
                "answered by answer_produce, answer_fetch, answer_list_offsets, answer_init_producer_id"
            )
        }
        Request::Group(_) => unreachable!("group APIs are answered by group::answer"),
        Request::Admin(_) => unreachable!("admin APIs are answered by admin::answer"),
    }?;
    Some(frame_response(&body))
}
