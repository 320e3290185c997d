//! Fuzzing a live room through its WebSocket: thousands of arbitrary messages (garbage, malformed
//! JSON, every client message type with extreme values, console lines of every command form with
//! extreme numbers, durations, rates and key ranges, whole scenario texts). Nothing panics, the
//! room keeps answering, and every refused message leaves the room's state and clock exactly as
//! they were.
//!
//! `FUZZ_CASES` (default 10,000) and `FUZZ_SEED` (default: from the clock; printed) reproduce a run.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use playground_tests::Rng;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "12",
    "13",
    "64",
    "1024",
    "1025",
    "65535",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999",
    "-1",
    "1.5",
    "",
    "x",
    "0x10",
    "١٢",
];
const DURATIONS: &[&str] = &[
    "0s",
    "1ms",
    "250ms",
    "1.5s",
    "5s",
    "45s",
    "3m",
    "1h",
    "99999999999h",
    "18446744073709551615s",
    "18446744073709551615ms",
    "1e9s",
    "-1s",
    "s",
    "5",
    "0.0000001s",
];
const RATES: &[&str] = &[
    "1/s",
    "5/s",
    "300/m",
    "1000/s",
    "10000/s",
    "1000000000/s",
    "18446744073709551615/s",
    "18446744073709551615/m",
    "0/s",
    "1/h",
    "x/s",
    "/s",
    "-5/s",
];
const KEYS: &[&str] = &[
    "none",
    "k-1..k-9",
    "k-0..k-18446744073709551615",
    "k-18446744073709551615..k-18446744073709551615",
    "k-5..k-1",
    "a..b",
    "..",
    "k-1..",
    "user-1..user-100000000",
    "日-1..日-3",
];
const NAMES: &[&str] = &[
    "orders",
    "billing",
    "checkout",
    "billing-1",
    "billing-2",
    "nope",
    "x",
    "",
    "\"quoted name\"",
    "<img src=x onerror=alert(1)>",
    "日本",
    "a/b",
    "orders/0",
    "orders/4294967295",
    "orders/-1",
];
const WORDS: &[&str] = &[
    "all",
    "1",
    "0",
    "range",
    "roundrobin",
    "sticky",
    "cooperative-sticky",
    "compact",
    "delete",
    "earliest",
    "latest",
    "true",
    "false",
    "round-robin",
    "up",
    "down",
    "Stable",
];
const TEMPLATES: &[&str] = &[
    "brokers N",
    "brokers N latency=D replica-lag=D session-timeout=D retention-check=D",
    "topic create T partitions=N replication=N",
    "topic create T partitions=N replication=N min-insync=N unclean-election=W retention=D cleanup=W retention-bytes=N segment=D segment-bytes=N",
    "producer add T topic=T rate=R keys=K acks=W partitioner=W linger=D",
    "producer add T topic=T rate=R key=T",
    "producer rate T R",
    "producer stop T",
    "producer pause T",
    "producer resume T",
    "produce T key=T value=T acks=W",
    "broker kill N",
    "broker restart N",
    "broker stop N",
    "network partition N,N / N,N",
    "network heal",
    "elect-leaders T",
    "group add T topics=T consumers=N assignor=W offset-reset=W session-timeout=D heartbeat=D max-poll-interval=D auto-commit=D rate=R",
    "group delete T",
    "consumer add T group=T topics=T rate=R",
    "consumer stop T",
    "consumer crash T",
    "consumer restart T",
    "consumer stall T",
    "consumer resume T",
    "consumer rate T R",
    "wait D",
    "at D broker kill N",
    "at D producer rate T R",
    "expect leader T == N",
    "expect lag T <= N",
    "expect isr T == N,N",
    "expect state T == W",
    "say \"T\"",
    "pause",
    "title \"T\"",
    "seed N",
];

/// One console line: a template of the language filled with extreme values, sometimes mangled.
fn line(rng: &mut Rng) -> String {
    let template = TEMPLATES[rng.below(TEMPLATES.len())];
    let mut out = String::new();
    for word in template.split(' ') {
        if !out.is_empty() {
            out.push(' ');
        }
        let filled: String = word
            .chars()
            .map(|c| match c {
                'N' => NUMBERS[rng.below(NUMBERS.len())].to_string(),
                'D' => DURATIONS[rng.below(DURATIONS.len())].to_string(),
                'R' => RATES[rng.below(RATES.len())].to_string(),
                'K' => KEYS[rng.below(KEYS.len())].to_string(),
                'T' => NAMES[rng.below(NAMES.len())].to_string(),
                'W' => WORDS[rng.below(WORDS.len())].to_string(),
                c => c.to_string(),
            })
            .collect();
        out.push_str(&filled);
    }
    // Sometimes mangled: cut short, or a stray quote, comment or control character inside.
    let mut chars: Vec<char> = out.chars().collect();
    match rng.below(10) {
        0 => chars.truncate(rng.below(chars.len() + 1)),
        1 => chars.insert(
            rng.below(chars.len() + 1),
            ['"', '#', '=', '\0', '\u{7f}'][rng.below(5)],
        ),
        _ => {}
    }
    chars.into_iter().collect()
}

fn text(rng: &mut Rng, max: usize) -> String {
    const ALPHABET: &[char] = &[
        'a', 'z', '0', '9', ' ', '"', '\\', '{', '}', '[', ']', ':', ',', '\n', '\0', 'é', '日',
        '🚗', '\u{feff}', '=', '/', '#',
    ];
    (0..rng.below(max + 1))
        .map(|_| ALPHABET[rng.below(ALPHABET.len())])
        .collect()
}

fn number(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => json!(0),
        1 => json!(u64::MAX),
        2 => json!(-1),
        3 => json!(1e308),
        4 => json!(-1e308),
        5 => json!(0.5),
        6 => json!("12"),
        _ => json!(rng.next_u64() % 100_000_000),
    }
}

/// One WebSocket message (text).
fn message(rng: &mut Rng, id: u64) -> String {
    match rng.below(20) {
        0 => text(rng, 200),
        1 => {
            let mut m = json!({"v": 1, "id": id, "type": text(rng, 10)});
            if rng.below(2) == 0 {
                m["extra"] = json!(text(rng, 5));
            }
            m.to_string()
        }
        2 => json!({"v": number(rng), "id": id, "type": "play"}).to_string(),
        3 => json!({"v": 1, "id": number(rng), "type": "command", "line": line(rng)}).to_string(),
        4 => json!({"v": 1, "id": id, "type": "speed", "speed": number(rng)}).to_string(),
        5 => json!({"v": 1, "id": id, "type": "seek", "to_us": number(rng)}).to_string(),
        6 => json!({"v": 1, "id": id, "type": "inspect", "topic": NAMES[rng.below(NAMES.len())], "partition": number(rng)}).to_string(),
        7 => {
            let lines: Vec<String> = (0..rng.below(8)).map(|_| line(rng)).collect();
            let kind = if rng.below(2) == 0 { "load" } else { "check" };
            json!({"v": 1, "id": id, "type": kind, "name": text(rng, 8), "source": lines.join("\n")}).to_string()
        }
        8 => {
            let lesson = ["05-rebalancing", "nope", "../x", ""][rng.below(4)];
            json!({"v": 1, "id": id, "type": "load", "lesson": lesson}).to_string()
        }
        9 => {
            let kind = ["step", "next", "restart", "export", "lessons", "pause", "fork", "snapshot"]
                [rng.below(8)];
            json!({"v": 1, "id": id, "type": kind}).to_string()
        }
        10 => json!([1, 2, 3]).to_string(),
        _ => json!({"v": 1, "id": id, "type": "command", "line": line(rng)}).to_string(),
    }
}

async fn next(socket: &mut Socket) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("the room answers within 20 s")
            .expect("the socket stays open")
            .expect("a message");
        if let Message::Text(text) = m {
            return serde_json::from_str(&text).expect("the server sends JSON");
        }
    }
}

/// Sends `raw`, then a snapshot request with id `probe`. Returns the reply to `raw` (if it got
/// one: a `fork` or `snapshot` answers differently) and the state after it.
async fn send_and_look(socket: &mut Socket, raw: String, probe: u64) -> (Option<Value>, Value) {
    socket.send(Message::text(raw)).await.unwrap();
    socket
        .send(Message::text(
            json!({"v": 1, "id": probe, "type": "snapshot"}).to_string(),
        ))
        .await
        .unwrap();
    let mut reply = None;
    let mut last_snapshot = Value::Null;
    loop {
        let m = next(socket).await;
        match m["type"].as_str() {
            Some("snapshot") => last_snapshot = json!([m["state"], m["clock"]["now_us"]]),
            Some("reply") if m["id"] == probe => return (reply, last_snapshot),
            Some("reply") if reply.is_none() => reply = Some(m),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_messages_never_break_a_live_room() {
    let cases: u64 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    println!(
        "room fuzz: {cases} cases, seed {seed} (FUZZ_SEED={seed} FUZZ_CASES={cases} to replay)"
    );
    // A room survives a panic (it restores a checkpoint), but any panic is a bug: count them.
    static PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        default_hook(info);
    }));
    let mut rng = Rng(seed);

    let script = playground::serve::load_scenario(None).unwrap();
    let rooms = playground::Rooms::new(script);
    rooms.create("fuzz").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { playground::serve::serve_on(listener, rooms).await });
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws/fuzz"))
        .await
        .unwrap();

    let pause = || json!({"v": 1, "id": 0, "type": "pause"}).to_string();
    let (_, mut before) = send_and_look(&mut socket, pause(), 1).await;
    let started = Instant::now();
    let (mut accepted, mut refused) = (0u64, 0u64);
    for case in 0..cases {
        let id = 10 + 2 * case;
        let raw = message(&mut rng, id);
        let (reply, after) = send_and_look(&mut socket, raw.clone(), id + 1).await;
        let ok = reply.as_ref().is_none_or(|r| r["ok"] == true);
        assert_eq!(
            PANICS.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "case {case} (seed {seed}) panicked the room: {raw}"
        );
        if ok {
            accepted += 1;
            // Accepted messages may have started the clock: stop it and take the new baseline.
            (_, before) = send_and_look(&mut socket, pause(), id + 1).await;
        } else {
            refused += 1;
            assert_eq!(
                after, before,
                "case {case} (seed {seed}): a refused message changed the room: {raw}\nreply: {reply:?}"
            );
        }
    }
    println!(
        "room fuzz: {cases} cases in {:.1} s: {accepted} accepted, {refused} refused, the room unchanged by every refusal",
        started.elapsed().as_secs_f64()
    );
    assert!(
        refused > cases / 4 && accepted > cases / 20,
        "the generator lost its variety"
    );
}
