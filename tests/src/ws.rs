//! A WebSocket client for the tests and benchmarks that speak the room protocol (see
//! `server/src/wire.rs`): read the next JSON message, send a request and wait for its reply,
//! ask for a fresh snapshot.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A server on a free port with a room `name` created besides the demo, and a viewer of that
/// room that has read its `hello` and connect snapshot.
pub async fn viewer_of_new_room(name: &str) -> Socket {
    let script = playground::serve::load_scenario(None).expect("the demo parses");
    let rooms = playground::Rooms::new(script);
    rooms.create(name).expect("a fresh room");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { playground::serve::serve_on(listener, rooms).await.unwrap() });
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/{name}"))
        .await
        .expect("connect");
    assert_eq!(next(&mut socket).await["type"], "hello");
    assert_eq!(next(&mut socket).await["type"], "snapshot");
    socket
}

/// The next text message as JSON (pings and pongs skipped); panics after `wait` without one.
pub async fn next_within(socket: &mut Socket, wait: Duration) -> Value {
    loop {
        let message = tokio::time::timeout(wait, socket.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a message");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("the server sends JSON");
        }
    }
}

/// The next message, within 10 s.
pub async fn next(socket: &mut Socket) -> Value {
    next_within(socket, Duration::from_secs(10)).await
}

/// Sends `message` with `"v":1` and `"id":id`, and returns the reply with that id (frames and
/// snapshots in between are skipped).
pub async fn request(socket: &mut Socket, mut message: Value, id: u64) -> Value {
    message["v"] = json!(1);
    message["id"] = json!(id);
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send");
    loop {
        let m = next(socket).await;
        if m["type"] == "reply" && m["id"] == id {
            return m;
        }
    }
}

/// A fresh snapshot of the room: the whole message.
pub async fn snapshot(socket: &mut Socket) -> Value {
    socket
        .send(Message::text(
            json!({"v": 1, "type": "snapshot"}).to_string(),
        ))
        .await
        .expect("send");
    loop {
        let m = next(socket).await;
        if m["type"] == "snapshot" {
            return m;
        }
    }
}
