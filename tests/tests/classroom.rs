//! A classroom against a real server on port 0 (tokio-tungstenite as the browsers): only the
//! page's own Origin gets a socket, only the presenter changes the presenter's room, viewers fork
//! sandboxes that start exactly where the presenter is, and the socket's limits hold while
//! reading (a 16 MB frame is refused from its header; connections per address are capped).

use std::time::Duration;

use playground::access::Access;
use playground::rooms::{Rooms, RoomsOptions};
use playground_tests::ws::{self, Socket, next};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

/// A shared-classroom server (presenter token [`TOKEN`]) on a free port.
async fn classroom(per_address: usize) -> (std::net::SocketAddr, Rooms) {
    let script = playground::serve::load_scenario(None).expect("the demo parses");
    let (rooms, _) = Rooms::with(
        script,
        RoomsOptions {
            access: Access::with_token(TOKEN).with_connections_per_address(per_address),
            ..RoomsOptions::default()
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = rooms.clone();
    tokio::spawn(async move { playground::serve::serve_on(listener, served).await });
    (addr, rooms)
}

async fn open(addr: std::net::SocketAddr, path: &str) -> Result<Socket, tungstenite::Error> {
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}{path}")).await?;
    Ok(socket)
}

/// Sends a request and returns its reply (frames in between are skipped).
async fn request(socket: &mut Socket, message: Value) -> Value {
    let id = message["id"].as_u64().expect("an id");
    ws::request(socket, message, id).await
}

/// The room's state and instant, as a fresh snapshot shows them.
async fn state(socket: &mut Socket) -> (Value, Value) {
    let m = ws::snapshot(socket).await;
    (m["state"].clone(), m["clock"]["now_us"].clone())
}

/// Reads the `hello` and the snapshot that follow a connect.
async fn greet(socket: &mut Socket) -> (Value, Value) {
    let hello = next(socket).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    let snapshot = next(socket).await;
    assert_eq!(snapshot["type"], "snapshot");
    (hello, snapshot)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_pages_own_origin_gets_a_socket() {
    let (addr, _) = classroom(32).await;
    let mut foreign = format!("ws://{addr}/ws/demo")
        .into_client_request()
        .unwrap();
    foreign
        .headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    match tokio_tungstenite::connect_async(foreign).await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("a foreign origin got {other:?}"),
    }
    let mut own = format!("ws://{addr}/ws/demo")
        .into_client_request()
        .unwrap();
    own.headers_mut()
        .insert("Origin", format!("http://{addr}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(own).await.unwrap();
    greet(&mut socket).await;
    // Opening a socket never creates a room.
    match open(addr, "/ws/not-a-room").await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 404),
        other => panic!("an unknown room got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_follow_read_only_and_fork_an_exact_sandbox() {
    let (addr, rooms) = classroom(32).await;
    let mut presenter = open(addr, &format!("/ws/demo?token={TOKEN}"))
        .await
        .unwrap();
    let (hello, _) = greet(&mut presenter).await;
    assert_eq!(hello["role"], "presenter");
    assert_eq!(hello["control"], true);
    let mut viewer = open(addr, "/ws/demo?token=wrong").await.unwrap();
    let (hello, _) = greet(&mut viewer).await;
    assert_eq!(hello["role"], "viewer");
    assert_eq!(hello["control"], false);
    assert_eq!(hello["shared"], true);

    // The presenter types a line, then pauses: the state stands still from here.
    let reply = request(
        &mut presenter,
        json!({"v": 1, "id": 1, "type": "command", "line": "topic create payments partitions=2 replication=3"}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    let reply = request(&mut presenter, json!({"v": 1, "id": 2, "type": "pause"})).await;
    assert_eq!(reply["ok"], true);
    let before = state(&mut presenter).await;

    // Everything that would change the presenter's room is refused for a viewer.
    for (id, message) in [
        json!({"type": "command", "line": "broker kill 1"}),
        json!({"type": "restart"}),
        json!({"type": "seek", "to_us": 0}),
        json!({"type": "load", "lesson": "01-why-a-log"}),
        json!({"type": "play"}),
        json!({"type": "speed", "speed": 20}),
        json!({"type": "next"}),
        json!({"type": "step"}),
    ]
    .into_iter()
    .enumerate()
    {
        let mut message = message;
        message["v"] = json!(1);
        message["id"] = json!(100 + id);
        let reply = request(&mut viewer, message.clone()).await;
        assert_eq!(reply["ok"], false, "{message} was accepted: {reply}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .unwrap()
                .contains("only the presenter can change"),
            "{reply}"
        );
    }
    // Looking is allowed.
    let reply = request(
        &mut viewer,
        json!({"v": 1, "id": 3, "type": "inspect", "topic": "orders", "partition": 0}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    assert_eq!(state(&mut presenter).await, before, "the room is untouched");

    // A fork starts exactly where the presenter is.
    let reply = request(&mut viewer, json!({"v": 1, "id": 4, "type": "fork"})).await;
    assert_eq!(reply["ok"], true, "{reply}");
    let sandbox = reply["output"].as_str().unwrap().to_string();
    assert!(sandbox.starts_with("demo-sandbox-"), "{sandbox}");
    let mut mine = open(addr, &format!("/ws/{sandbox}")).await.unwrap();
    let (hello, snapshot) = greet(&mut mine).await;
    assert_eq!(hello["control"], true, "a viewer controls its sandbox");
    assert_eq!(snapshot["owner"], "open");
    assert_eq!(snapshot["forked_from"], "demo");
    assert_eq!(state(&mut mine).await, before, "the fork is an exact copy");

    // In the sandbox the viewer acts; the presenter's room does not change.
    let reply = request(
        &mut mine,
        json!({"v": 1, "id": 5, "type": "command", "line": "broker kill 1"}),
    )
    .await;
    assert_eq!(reply["ok"], true, "{reply}");
    let (sandbox_state, _) = state(&mut mine).await;
    assert_eq!(sandbox_state["brokers"][0]["alive"], false);
    assert_eq!(state(&mut presenter).await, before);

    // The presenter sees the audience.
    assert_eq!(rooms.sandboxes(), 1);
    let snapshot = ws::snapshot(&mut presenter).await;
    assert_eq!(
        snapshot["audience"]["sandboxes"], 1,
        "{}",
        snapshot["audience"]
    );
    assert!(snapshot["audience"]["viewers"].as_u64().unwrap() >= 2);
}

/// A frame header announcing 16 MB is refused before its payload is read: the connection is
/// closed although only the header was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_frame_is_refused_from_its_header() {
    let (addr, _) = classroom(32).await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let handshake = format!(
        "GET /ws/demo HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(handshake.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tcp.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 101"));
    // FIN + text, masked, 64-bit length 16 MiB, a mask, and 10 bytes of the promised payload.
    let mut frame = vec![0x81, 0x80 | 127];
    frame.extend_from_slice(&(16u64 << 20).to_be_bytes());
    frame.extend_from_slice(&[1, 2, 3, 4]);
    frame.extend_from_slice(&[0; 10]);
    tcp.write_all(&frame).await.unwrap();
    // The server closes the connection (after the hello and snapshot it already sent).
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the server waited for 16 MB instead of refusing the header"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_per_address_are_capped() {
    let (addr, _) = classroom(3).await;
    let mut open_sockets = Vec::new();
    for _ in 0..3 {
        let mut socket = open(addr, "/ws/demo").await.unwrap();
        greet(&mut socket).await;
        open_sockets.push(socket);
    }
    match open(addr, "/ws/demo").await {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 429),
        other => panic!("a fourth connection got {other:?}"),
    }
    // A closed connection frees its slot.
    let mut socket = open_sockets.pop().unwrap();
    socket.close(None).await.unwrap();
    drop(socket);
    let mut reopened = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if let Ok(s) = open(addr, "/ws/demo").await {
            reopened = Some(s);
            break;
        }
    }
    assert!(reopened.is_some(), "the slot was never freed");
}
