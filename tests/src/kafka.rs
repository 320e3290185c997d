//! What the Kafka listener tests share: a server with its Kafka ports, bounded waits, console
//! lines over the WebSocket.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::playground;
use crate::ws::{self, Socket};

/// `playground serve --port 0 --no-save --kafka-port 0`, with both ports read from its output.
pub struct Server {
    pub child: Child,
    pub http: u16,
    pub kafka: u16,
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// `start` with more arguments to `playground serve` (a scenario, `--kafka-ack-only`).
    pub fn start_with(extra: &[&str]) -> Server {
        let mut child = Command::new(playground())
            .args(["serve", "--port", "0", "--no-save", "--kafka-port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("playground starts");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        // The lines are read on a thread of their own, which then keeps reading so that the
        // server never blocks on a full pipe; the test waits for the two ports a bounded time.
        let (ports, printed) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (mut http, mut kafka) = (None, None);
            let mut lines = stdout.lines();
            while http.is_none() || kafka.is_none() {
                let Some(Ok(line)) = lines.next() else { return };
                if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
                    http = rest.split('/').next().and_then(|p| p.parse::<u16>().ok());
                }
                if let Some(rest) = line.strip_prefix("Kafka bootstrap: 127.0.0.1:") {
                    kafka = rest.trim().parse::<u16>().ok();
                }
            }
            let _ = ports.send((http.unwrap(), kafka.unwrap()));
            for _ in lines {}
        });
        let (http, kafka) = printed
            .recv_timeout(STEP)
            .expect("the server prints its page's URL and its Kafka bootstrap");
        Server { child, http, kafka }
    }

    pub async fn viewer(&self) -> Socket {
        let url = format!("ws://127.0.0.1:{}/ws/demo", self.http);
        let (mut socket, _) = within("the viewer connects", tokio_tungstenite::connect_async(url))
            .await
            .expect("connect");
        assert_eq!(ws::next(&mut socket).await["type"], "hello");
        assert_eq!(ws::next(&mut socket).await["type"], "snapshot");
        socket
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How long one step of a test may take: a hang fails here with what it was waiting for.
pub const STEP: Duration = Duration::from_secs(20);

/// Awaits `step` for at most [`STEP`], failing the test with `what` when it takes longer.
pub async fn within<T>(what: &str, step: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, step)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {STEP:?}"))
}

pub async fn command(socket: &mut Socket, line: &str, id: u64) {
    let reply = within(
        line,
        ws::request(socket, json!({"type": "command", "line": line}), id),
    )
    .await;
    assert_eq!(reply["ok"], true, "{line}: {reply}");
}

/// The room's answer to an `expect` line: whether it held, and what it said.
pub async fn holds(socket: &mut Socket, line: &str, id: u64) -> (bool, String) {
    let reply = within(
        line,
        ws::request(socket, json!({"type": "command", "line": line}), id),
    )
    .await;
    let output = reply["output"].as_str().unwrap_or_default().to_string();
    (output.starts_with('✓'), output)
}

/// Polls an `expect` line until it holds (records travel in simulated time), for at most
/// [`STEP`], failing with the room's last answer.
pub async fn expect_eventually(socket: &mut Socket, line: &str, id: &mut u64) {
    let mut last = String::new();
    let start = std::time::Instant::now();
    while start.elapsed() < STEP {
        *id += 1;
        let (ok, output) = holds(socket, line, *id).await;
        if ok {
            return;
        }
        last = output;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{line}: never held within {STEP:?}; the room said {last}");
}

/// `kcat -L -J` against `port`: librdkafka's view of the cluster's metadata.
pub async fn kcat_metadata(port: u16, topic: Option<&str>) -> Value {
    let mut cmd = Command::new("kcat");
    cmd.args(["-L", "-J", "-m", "10", "-b", &format!("127.0.0.1:{port}")]);
    if let Some(t) = topic {
        cmd.args(["-t", t]);
    }
    let out = within("kcat -L", tokio::task::spawn_blocking(move || cmd.output()))
        .await
        .unwrap()
        .expect("kcat runs (tests/run installs it)");
    assert!(
        out.status.success(),
        "kcat failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("kcat prints JSON")
}

/// Each broker's listener port, from the brokers kcat listed.
pub fn broker_ports(meta: &Value) -> BTreeMap<u64, u16> {
    meta["brokers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let name = b["name"].as_str().unwrap();
            let port = name.strip_prefix("127.0.0.1:").expect("host 127.0.0.1");
            (b["id"].as_u64().unwrap(), port.parse().unwrap())
        })
        .collect()
}

/// Where `tests/run` installs the Python Kafka clients (kafka-python and confluent-kafka, one
/// venv): `KAFKA_PYTHON`, else the workspace's `target/kafka-python` venv.
pub fn python() -> String {
    std::env::var("KAFKA_PYTHON").unwrap_or_else(|_| {
        format!(
            "{}/../target/kafka-python/bin/python",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

/// Runs a real client, `program args`, with `input` on its stdin on a blocking thread, for at
/// most `limit`; its stdout, or the test fails with its stderr.
pub async fn run_client(
    what: &str,
    program: String,
    args: Vec<String>,
    input: Vec<u8>,
    limit: Duration,
) -> String {
    let task = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(&program)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} runs (tests/run installs it): {e}"));
        child.stdin.take().unwrap().write_all(&input).unwrap();
        child.wait_with_output().unwrap()
    });
    let out = tokio::time::timeout(limit, task)
        .await
        .unwrap_or_else(|_| panic!("{what} took more than {limit:?}"))
        .unwrap();
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Writes one raw Kafka request on `stream`: its size, its header (`correlation`, `client_id`)
/// and `body`, at `version` of `api`.
pub async fn send_request(
    stream: &mut TcpStream,
    api: ApiKey,
    version: i16,
    correlation: i32,
    client_id: &'static str,
    body: impl Encodable,
) {
    let mut out = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(api as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation)
        .with_client_id(Some(StrBytes::from_static_str(client_id)))
        .encode(&mut out, api.request_header_version(version))
        .unwrap();
    body.encode(&mut out, version).unwrap();
    stream
        .write_all(&(out.len() as u32).to_be_bytes())
        .await
        .unwrap();
    stream.write_all(&out).await.unwrap();
}

/// Reads one raw response (within [`STEP`]): its header must answer `correlation`; the body's
/// bytes are returned, for `api`'s response type at `version` to decode.
pub async fn read_response(
    stream: &mut TcpStream,
    api: ApiKey,
    version: i16,
    correlation: i32,
) -> Bytes {
    let mut size = [0u8; 4];
    within("the answer", stream.read_exact(&mut size))
        .await
        .unwrap();
    let mut answer = vec![0u8; u32::from_be_bytes(size) as usize];
    stream.read_exact(&mut answer).await.unwrap();
    let mut answer = Bytes::from(answer);
    let head = ResponseHeader::decode(&mut answer, api.response_header_version(version)).unwrap();
    assert_eq!(head.correlation_id, correlation);
    answer
}

/// One raw request on `stream` and its response body's bytes.
pub async fn round_trip(
    stream: &mut TcpStream,
    api: ApiKey,
    version: i16,
    correlation: i32,
    client_id: &'static str,
    body: impl Encodable,
) -> Bytes {
    send_request(stream, api, version, correlation, client_id, body).await;
    read_response(stream, api, version, correlation).await
}
