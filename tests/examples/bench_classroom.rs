//! Benchmark: a classroom on this machine. The release binary serves with `--share`; one
//! presenter plays the demo at 1×, 200 viewers follow it over loopback, and 30 of them fork
//! sandboxes that they play in (each with a broker killed). Prints whether the presenter's room
//! held its clock (simulated / wall time against the set speed), the server's CPU and RSS, what
//! a following viewer's room-changing requests got, and whether a fork matched the presenter's
//! state exactly.
//!
//! `cargo run --release -p playground-tests --example bench_classroom [SECONDS]`

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use playground_tests::cpu_seconds;
use playground_tests::ws::{self, Socket};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const VIEWERS: usize = 200;
const SANDBOXES: usize = 30;

fn rss_mb(pid: u32) -> f64 {
    let statm = std::fs::read_to_string(format!("/proc/{pid}/statm")).unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

/// The shared server: its process, port and presenter token.
fn start_server() -> (Child, u16, String) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let binary = root.join("target/release/playground");
    assert!(
        binary.exists(),
        "build it first: cargo build --release -p playground"
    );
    let mut child = Command::new(binary)
        .args([
            "serve",
            "--port",
            "0",
            "--share",
            "--no-save",
            "--no-kafka",
            "--max-connections-per-address",
            "400",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start playground");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut port, mut token) = (None, None);
    let mut line = String::new();
    while token.is_none() {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            panic!("the server stopped before printing its presenter URL");
        }
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            port = rest.split('/').next().and_then(|p| p.parse().ok());
        }
        if let Some(rest) = line.split("?token=").nth(1) {
            token = Some(rest.trim().to_string());
        }
    }
    std::thread::spawn(move || for _ in out.lines() {});
    (child, port.expect("a port"), token.unwrap())
}

async fn connect(port: u16, path: &str) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}{path}"))
        .await
        .expect("connect");
    socket
}

async fn request(socket: &mut Socket, message: Value, id: u64) -> Value {
    ws::request(socket, message, id).await
}

/// The room's state and instant.
async fn state(socket: &mut Socket) -> Value {
    let m = ws::snapshot(socket).await;
    json!([m["state"], m["clock"]["now_us"]])
}

/// A viewer that reads everything until `deadline`; returns the bytes it received.
fn follow(mut socket: Socket, deadline: tokio::time::Instant) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut bytes = 0u64;
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, socket.next()).await {
            if let Message::Text(text) = message {
                bytes += text.len() as u64;
            }
        }
        bytes
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let (mut server, port, token) = start_server();
    let pid = server.id();
    let mut presenter = connect(port, &format!("/ws/demo?token={token}")).await;

    // A follower's requests that would change the presenter's room.
    let mut student = connect(port, "/ws/demo").await;
    for (id, (what, message)) in [
        (
            "broker kill",
            json!({"type": "command", "line": "broker kill 1"}),
        ),
        ("restart", json!({"type": "restart"})),
        ("seek", json!({"type": "seek", "to_us": 0})),
        ("load", json!({"type": "load", "lesson": "05-rebalancing"})),
    ]
    .into_iter()
    .enumerate()
    {
        let reply = request(&mut student, message, id as u64 + 1).await;
        println!(
            "a viewer's {what} in the presenter's room: {}",
            if reply["ok"] == false {
                format!(
                    "refused ({})",
                    reply["error"]["message"].as_str().unwrap_or("")
                )
            } else {
                "ACCEPTED (wrong)".to_string()
            }
        );
    }
    // A fork of a paused presenter room is an exact copy.
    request(&mut presenter, json!({"type": "pause"}), 10).await;
    let theirs = state(&mut presenter).await;
    let fork = request(&mut student, json!({"type": "fork"}), 11).await;
    let name = fork["output"].as_str().expect("a sandbox name").to_string();
    let mut sandbox = connect(port, &format!("/ws/{name}")).await;
    let mine = state(&mut sandbox).await;
    println!(
        "a fork of the paused presenter room ({name}): {}",
        if mine == theirs {
            "the same state at the same instant"
        } else {
            "DIFFERENT (wrong)"
        }
    );
    drop(sandbox);
    request(&mut presenter, json!({"type": "play"}), 12).await;

    // The class arrives: 200 followers, 30 of whom fork and play in their sandboxes.
    let started = Instant::now();
    let mut viewers = Vec::new();
    for _ in 0..VIEWERS {
        viewers.push(connect(port, "/ws/demo").await);
    }
    let mut sandboxes = Vec::new();
    for (i, viewer) in viewers.iter_mut().take(SANDBOXES - 1).enumerate() {
        let reply = request(viewer, json!({"type": "fork"}), 100 + i as u64).await;
        let name = reply["output"].as_str().expect("a sandbox").to_string();
        let mut socket = connect(port, &format!("/ws/{name}")).await;
        request(
            &mut socket,
            json!({"type": "command", "line": "broker kill 2"}),
            1,
        )
        .await;
        request(&mut socket, json!({"type": "play"}), 2).await;
        sandboxes.push(socket);
    }
    println!(
        "{VIEWERS} viewers and {SANDBOXES} sandboxes (with the first fork) ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let window = Duration::from_secs(seconds);
    let sim_start = state(&mut presenter).await[1].as_u64().unwrap();
    let (cpu_start, wall_start) = (cpu_seconds(pid), Instant::now());
    let deadline = tokio::time::Instant::now() + window;
    let mut tasks: Vec<_> = viewers.into_iter().map(|v| follow(v, deadline)).collect();
    tasks.extend(sandboxes.into_iter().map(|s| follow(s, deadline)));
    let mut bytes = 0;
    for t in tasks {
        bytes += t.await.unwrap();
    }
    let wall = wall_start.elapsed().as_secs_f64();
    let cores = (cpu_seconds(pid) - cpu_start) / wall;
    let sim_end = state(&mut presenter).await[1].as_u64().unwrap();
    let ratio = (sim_end - sim_start) as f64 / 1e6 / wall;
    println!(
        "presenter's room over {wall:.0} s: simulated/wall {ratio:.3} at 1× ({}; target ≥ 0.95)",
        if ratio >= 0.95 { "held" } else { "SLIPPED" }
    );
    println!(
        "server: {cores:.2} cores, RSS {:.0} MB, {:.1} MB/s sent to {} sockets",
        rss_mb(pid),
        bytes as f64 / wall / 1e6,
        VIEWERS + SANDBOXES - 1
    );
    server.kill().ok();
    server.wait().ok();
}
