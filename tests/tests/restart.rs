//! Nothing a class prepared is lost across a restart: the real `playground serve` binary, stopped
//! with Ctrl-C (SIGINT) or killed outright (SIGKILL), comes back with its rooms exactly as they
//! were; a corrupt saved room is reported and skipped, never fatal.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use playground_tests::ws::{self, Socket};
use playground_tests::{Scratch, playground};
use serde_json::{Value, json};

/// `playground serve --port 0 --no-kafka --data-dir DIR`, with the port read from its first
/// line (`--no-kafka`: tests running side by side never contend for Kafka's port 9092).
struct Server {
    child: Child,
    port: u16,
    stderr: std::process::ChildStderr,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = Command::new(playground())
            .args(["serve", "--port", "0", "--no-kafka", "--data-dir"])
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("playground starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let port = first
            .split("http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no URL in {first:?}"));
        // Keep reading stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            let _ = stdout.read_to_string(&mut sink);
        });
        let stderr = child.stderr.take().unwrap();
        Server {
            child,
            port,
            stderr,
        }
    }

    fn signal(&mut self, signal: &str) -> String {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exited = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(50));
            self.child.try_wait().unwrap().is_some()
        });
        assert!(exited, "the server did not stop on {signal}");
        let mut errors = String::new();
        let _ = self.stderr.read_to_string(&mut errors);
        errors
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn connect(port: u16) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws/demo"))
        .await
        .expect("connect");
    socket
}

async fn send(socket: &mut Socket, id: u64, message: Value) {
    let reply = ws::request(socket, message.clone(), id).await;
    assert_eq!(reply["ok"], true, "{message}: {reply}");
}

/// The room's (state, clock) in a fresh snapshot.
async fn snapshot(socket: &mut Socket) -> (Value, Value) {
    let m = ws::snapshot(socket).await;
    (m["state"].clone(), m["clock"].clone())
}

/// Acts in the demo room, pauses it, stops the server with `signal`, starts it again: the room
/// comes back with the same state at the same instant.
async fn survives(signal: &str) {
    let data = Scratch::new(&format!("restart{signal}"));
    let mut server = Server::start(&data);
    let mut socket = connect(server.port).await;
    send(
        &mut socket,
        1,
        json!({"type": "command", "line": "topic create payments partitions=2 replication=3"}),
    )
    .await;
    send(&mut socket, 2, json!({"type": "speed", "speed": 10})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    send(
        &mut socket,
        3,
        json!({"type": "command", "line": "broker kill 1"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    send(&mut socket, 4, json!({"type": "pause"})).await;
    let before = snapshot(&mut socket).await;
    assert_eq!(before.0["brokers"][0]["alive"], false);
    // The viewer stays connected: a teacher's Ctrl-C must not wait for the class's browsers.
    server.signal(signal);
    drop(socket);

    let server = Server::start(&data);
    let mut socket = connect(server.port).await;
    let after = snapshot(&mut socket).await;
    assert_eq!(after.1["now_us"], before.1["now_us"], "the same instant");
    assert_eq!(after.1["playing"], false);
    assert_eq!(after.1["speed"], before.1["speed"]);
    assert_eq!(after.0, before.0, "the same cluster after {signal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_survives_ctrl_c() {
    survives("-INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_survives_sigkill() {
    survives("-KILL").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_saved_room_is_reported_and_skipped() {
    let data = Scratch::new("corrupt");
    std::fs::create_dir_all(data.join("rooms")).unwrap();
    std::fs::write(
        data.join("rooms/broken.json"),
        b"{\"format\": 1, \"name\": ",
    )
    .unwrap();
    std::fs::write(data.join("rooms/demo.json"), b"\xff\xfe not json").unwrap();
    let mut server = Server::start(&data);
    // The server works: the demo room is there, fresh.
    let mut socket = connect(server.port).await;
    let (state, _) = snapshot(&mut socket).await;
    assert_eq!(state["brokers"].as_array().unwrap().len(), 3);
    drop(socket);
    let errors = server.signal("-INT");
    assert!(
        errors.contains("skipping a saved room") && errors.contains("broken.json"),
        "{errors}"
    );
    assert!(errors.contains("demo.json"), "{errors}");
}
