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
use super::frame::{self, frame_response};
use super::metadata;
use super::request::{self, Request};
use super::view::{BrokerLife, KafkaAsk};

/// Kafka's `connections.max.idle.ms` default (10 minutes).
pub const CONNECTIONS_MAX_IDLE: Duration = Duration::from_secs(600);
/// How long a response may wait for a peer that does not read before the connection closes.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves one connection until the peer closes it, it breaks a rule, or the task is aborted
/// (its broker was killed).
pub async fn serve(stream: TcpStream, shared: Arc<Shared>, mut life: watch::Receiver<BrokerLife>) {
    // While it is open the room keeps to the wall clock (1×, no rewind, short pauses).
    let _counted = shared.client_connected();
    let (mut reader, mut writer) = stream.into_split();
    loop {
        let frame = match tokio::time::timeout(
            CONNECTIONS_MAX_IDLE,
            frame::read_frame(&mut reader, &shared.pool),
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
        let Some(response) = answer(frame.bytes.clone(), &shared).await else {
            return;
        };
        drop(frame);
        match tokio::time::timeout(WRITE_TIMEOUT, writer.write_all(&response)).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}

/// The response frame to one request frame, or `None` to close the connection.
pub async fn answer(bytes: Bytes, shared: &Shared) -> Option<Bytes> {
    let decoded = match request::decode(bytes) {
        Ok(decoded) => decoded,
        Err(refusal) => {
            tracing::debug!("closing a Kafka connection: {refusal}");
            return None;
        }
    };
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
    }?;
    Some(frame_response(&body))
}
