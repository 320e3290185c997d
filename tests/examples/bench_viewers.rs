//! Benchmark: what viewers cost the server. Starts the release binary on a free port with a
//! 2,000 records/s scenario, then prints
//! - bytes per second one viewer receives, and
//! - the server process's CPU (cores, from /proc) with 100 viewers connected over loopback.
//!
//! `cargo run --release -p playground-tests --example bench_viewers [SECONDS]`
//! (`tests/bench-live` runs it with the browser frame-time benchmark.)

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use playground_tests::cpu_seconds;
use tokio_tungstenite::tungstenite::Message;

fn start_server(scenario: &str) -> (Child, u16) {
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
            "--no-save",
            "--no-kafka",
            "--max-connections-per-address",
            "400",
            "--scenario",
        ])
        .arg(root.join(scenario))
        .stdout(Stdio::piped())
        .spawn()
        .expect("start playground");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // "Kafka Playground: http://127.0.0.1:PORT/ (Ctrl-C to stop)"
    let port = line
        .split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no URL in {line:?}"));
    (child, port)
}

/// Connects `n` viewers that read everything; returns total bytes and messages after `window`.
async fn watch(port: u16, n: usize, window: Duration) -> (u64, u64) {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (socket, _) =
            tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws/demo"))
                .await
                .expect("connect");
        tasks.push(tokio::spawn(async move {
            let (_, mut stream) = socket.split();
            let (mut bytes, mut messages) = (0u64, 0u64);
            let deadline = tokio::time::Instant::now() + window;
            // The connect snapshot is not part of the steady rate.
            let _ = stream.next().await;
            while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, stream.next()).await
            {
                if let Message::Text(text) = message {
                    bytes += text.len() as u64;
                    messages += 1;
                }
            }
            (bytes, messages)
        }));
    }
    let mut total = (0, 0);
    for t in tasks {
        let (b, m) = t.await.unwrap();
        total.0 += b;
        total.1 += m;
    }
    total
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let window = Duration::from_secs(seconds);

    // The bigger cluster first: one viewer only.
    let (mut big, big_port) = start_server("tests/bench/frames.scenario");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (bytes, messages) = watch(big_port, 1, window).await;
    println!(
        "one viewer, 6 brokers / 24 partitions at 2,000 records/s: {:.1} KB/s ({:.0} bytes per frame)",
        bytes as f64 / window.as_secs_f64() / 1024.0,
        bytes as f64 / messages.max(1) as f64
    );
    big.kill().ok();
    big.wait().ok();

    let (mut server, port) = start_server("tests/bench/viewers.scenario");
    // Let the group form and the producer reach its rate.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (bytes, messages) = watch(port, 1, window).await;
    let per_second = bytes as f64 / window.as_secs_f64();
    println!(
        "one viewer, the demo cluster (3 brokers, 3 partitions) at 2,000 records/s: {:.1} KB/s ({messages} frames, {:.0} bytes per frame; target ≤ 64 KB/s)",
        per_second / 1024.0,
        bytes as f64 / messages.max(1) as f64
    );

    let idle_cpu_start = cpu_seconds(server.id());
    let idle_start = Instant::now();
    tokio::time::sleep(window).await;
    let idle = (cpu_seconds(server.id()) - idle_cpu_start) / idle_start.elapsed().as_secs_f64();

    let cpu_start = cpu_seconds(server.id());
    let start = Instant::now();
    let (bytes, _) = watch(port, 100, window).await;
    let cores = (cpu_seconds(server.id()) - cpu_start) / start.elapsed().as_secs_f64();
    println!(
        "server CPU: {:.2} cores with 100 viewers ({:.2} cores with none watching); {:.1} MB/s sent in all (target ≤ 1 core)",
        cores,
        idle,
        bytes as f64 / window.as_secs_f64() / 1e6
    );
    server.kill().ok();
    server.wait().ok();
}
