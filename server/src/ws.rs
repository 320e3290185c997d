//! One viewer's WebSocket: a snapshot on connect, then the room's frames; client messages go to
//! the room and their replies come back on the same socket.
//!
//! A viewer that falls behind the broadcast (a slow network, a tab in the background) gets a
//! fresh snapshot and continues from there; the room never waits for it.

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::access::Role;
use crate::room::{Frame, RoomHandle};
use crate::rooms::Rooms;
use crate::wire::{self, ClientMessage, Reply, WireError};

/// WebSocket frames and messages above this size close the connection (tungstenite checks a
/// frame's length in its header, before reading it); below it and above
/// [`wire::MAX_CLIENT_MESSAGE_BYTES`] they get an error reply.
pub const MAX_WS_MESSAGE_BYTES: usize = 256 * 1024;

fn text(bytes: Bytes) -> Message {
    // Every message is serde_json output: valid UTF-8.
    Message::Text(Utf8Bytes::try_from(bytes).expect("JSON is UTF-8"))
}

fn error_reply(id: Option<u64>, message: impl Into<String>) -> Message {
    text(Reply::error(id, WireError::plain(message)).to_bytes())
}

/// Checks a client message: size, JSON, version.
fn parse(raw: &str) -> Result<ClientMessage, (Option<u64>, String)> {
    if raw.len() > wire::MAX_CLIENT_MESSAGE_BYTES {
        return Err((
            None,
            format!(
                "message too large: {} bytes (the limit is {})",
                raw.len(),
                wire::MAX_CLIENT_MESSAGE_BYTES
            ),
        ));
    }
    ClientMessage::parse(raw)
}

/// The next message for a viewer that has seen everything up to frame `shown`: the next frame,
/// or a fresh snapshot when it fell more than the broadcast's backlog behind. `None` when the
/// room is gone.
pub async fn next_frame(
    frames: &mut broadcast::Receiver<Frame>,
    room: &RoomHandle,
    shown: u64,
) -> Option<Frame> {
    loop {
        match frames.recv().await {
            Ok(frame) if frame.seq <= shown => continue, // already in the snapshot
            Ok(frame) => return Some(frame),
            Err(RecvError::Lagged(_)) => {
                // Skip the stale backlog altogether: listen from now on, then take a snapshot
                // (frames it already contains are skipped by their seq).
                *frames = frames.resubscribe();
                return room.snapshot().await.ok();
            }
            Err(RecvError::Closed) => return None,
        }
    }
}

/// Counts a viewer without control among the room's followers while it is connected.
struct Following(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Following {
    fn new(room: &RoomHandle) -> Following {
        room.followers
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Following(room.followers.clone())
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A sandbox for this viewer, forked from `room` as it is now; the reply names it.
async fn fork(room: &RoomHandle, rooms: &Rooms, id: Option<u64>) -> Message {
    let seed = match room.fork().await {
        Ok(seed) => seed,
        Err(busy) => return error_reply(id, busy.to_string()),
    };
    match rooms.fork(seed) {
        Ok(sandbox) => text(Reply::ok(id, Some(sandbox.name)).to_bytes()),
        Err(e) => error_reply(id, format!("no sandbox: {e}")),
    }
}

pub async fn serve_viewer(socket: WebSocket, room: RoomHandle, role: Role, rooms: Rooms) {
    let (mut sink, mut stream) = socket.split();
    let hello = wire::Hello {
        v: wire::VERSION,
        kind: "hello",
        room: &room.name,
        role,
        control: room.owner.allows(role),
        shared: rooms.access().is_shared(),
    };
    let _following = (!hello.control).then(|| Following::new(&room));
    let hello = Bytes::from(serde_json::to_vec(&hello).expect("hello serialises"));
    if sink.send(text(hello)).await.is_err() {
        return;
    }
    // Subscribe before asking for the snapshot, so no frame falls between the two.
    let mut frames = room.subscribe();
    let Ok(snapshot) = room.snapshot().await else {
        return;
    };
    let mut shown = snapshot.seq;
    if sink.send(text(snapshot.bytes)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            frame = next_frame(&mut frames, &room, shown) => {
                let Some(frame) = frame else { return };
                shown = frame.seq;
                if sink.send(text(frame.bytes)).await.is_err() {
                    return;
                }
            }
            message = stream.next() => {
                let reply = match message {
                    Some(Ok(Message::Text(raw))) => match parse(raw.as_str()) {
                        Err((id, e)) => error_reply(id, e),
                        Ok(ClientMessage { id, body: wire::ClientBody::Snapshot, .. }) => {
                            match room.snapshot().await {
                                Ok(snapshot) => {
                                    shown = snapshot.seq;
                                    if sink.send(text(snapshot.bytes)).await.is_err() {
                                        return;
                                    }
                                    text(Reply::ok(id, None).to_bytes())
                                }
                                Err(busy) => error_reply(id, busy.to_string()),
                            }
                        }
                        Ok(ClientMessage { id, body: wire::ClientBody::Fork, .. }) => {
                            fork(&room, &rooms, id).await
                        }
                        Ok(ClientMessage { id, body, .. }) => match room.request(id, body, role).await {
                            Ok(bytes) => text(bytes),
                            Err(busy) => error_reply(id, busy.to_string()),
                        },
                    },
                    Some(Ok(Message::Binary(_))) => {
                        error_reply(None, "binary messages are not part of the protocol: send JSON text")
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                };
                if sink.send(reply).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A viewer that stops reading for longer than the backlog gets a snapshot, never a frame
    /// that assumes one it missed. (Tokio's paused clock makes 10 s pass at once.)
    #[tokio::test(start_paused = true)]
    async fn a_viewer_that_fell_behind_gets_a_snapshot() {
        let script = crate::serve::load_scenario(None).unwrap();
        let room = RoomHandle::spawn("t", script);
        let mut frames = room.subscribe();
        let first = next_frame(&mut frames, &room, 0).await.unwrap();
        assert!(first.bytes.starts_with(br#"{"v":1,"type":"frame""#));
        tokio::time::sleep(crate::room::FRAME_INTERVAL * (crate::room::FRAME_BACKLOG as u32 + 20))
            .await;
        let next = next_frame(&mut frames, &room, first.seq).await.unwrap();
        assert!(
            next.bytes.starts_with(br#"{"v":1,"type":"snapshot""#),
            "{}",
            String::from_utf8_lossy(&next.bytes[..60])
        );
        assert!(next.seq > first.seq + crate::room::FRAME_BACKLOG as u64);
        // And after it, frames continue in sequence.
        let after = next_frame(&mut frames, &room, next.seq).await.unwrap();
        assert!(after.bytes.starts_with(br#"{"v":1,"type":"frame""#));
        assert_eq!(after.seq, next.seq + 1);
    }

    #[test]
    fn bad_messages_are_explained() {
        assert!(parse("{").unwrap_err().1.starts_with("malformed message"));
        assert!(parse(r#"{"v":1,"type":"fly"}"#).is_err());
        let (id, e) = parse(r#"{"v":2,"id":4,"type":"play"}"#).unwrap_err();
        assert_eq!(id, Some(4));
        assert!(e.contains("version 2"));
        let big = format!(
            r#"{{"v":1,"type":"command","line":"{}"}}"#,
            "x".repeat(200_000)
        );
        assert!(parse(&big).unwrap_err().1.starts_with("message too large"));
        assert!(parse(r#"{"v":1,"id":1,"type":"command","line":"broker kill 1"}"#).is_ok());
    }
}
