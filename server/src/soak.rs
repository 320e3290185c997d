//! `playground bench --soak demo|big`: a room left running as a class would leave it, with a
//! viewer attached, printing every 30 s the process's resident memory and the room's achieved
//! speed. A room that keeps its promises shows a flat memory curve and its set speed held.
//!
//! - `demo`: the bundled demo plus a producer at 1,000 records/s, at 20×.
//! - `big`: 6 brokers, one topic of 24 partitions at replication 3, 2,000 records/s, a group of
//!   4 consumers, at 20×.

use std::time::{Duration, Instant};

use crate::access::Role;
use crate::room::{RoomHandle, Scenario};
use crate::wire::ClientBody;

/// One line every this often.
const REPORT_EVERY: Duration = Duration::from_secs(30);

fn big_scenario() -> &'static str {
    "title \"soak: 6 brokers, 24 partitions, rf 3\"\n\
     brokers 6\n\
     topic create events partitions=24 replication=3 min-insync=2\n\
     producer add p topic=events rate=2000/s keys=user-1..user-500\n\
     group add readers topics=events consumers=4\n"
}

/// The resident set size of this process, in bytes (Linux; 0 elsewhere).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// Runs the soak for `minutes` wall minutes, printing as it goes. Needs a Tokio runtime.
pub async fn soak(which: &str, minutes: u64) -> Result<(), String> {
    let (scenario, extra) = match which {
        "demo" => (
            crate::serve::load_scenario(None)?,
            vec!["producer add soak topic=orders rate=1000/s keys=k-1..k-1000"],
        ),
        "big" => (
            Scenario::parse("soak-big", big_scenario()).map_err(|e| format!("{e:?}"))?,
            vec![],
        ),
        other => return Err(format!("unknown soak '{other}': demo or big")),
    };
    let speed = 20.0;
    let room = RoomHandle::spawn(which, scenario);
    let ask = |body: ClientBody| {
        let room = room.clone();
        async move { room.request(None, body, Role::Presenter).await }
    };
    for line in extra {
        let reply = ask(ClientBody::Command {
            line: line.to_string(),
        })
        .await
        .map_err(|e| e.to_string())?;
        if !String::from_utf8_lossy(&reply).contains(r#""ok":true"#) {
            return Err(format!(
                "'{line}' was refused: {}",
                String::from_utf8_lossy(&reply)
            ));
        }
    }
    ask(ClientBody::Speed { speed })
        .await
        .map_err(|e| e.to_string())?;
    ask(ClientBody::Play).await.map_err(|e| e.to_string())?;

    // A viewer that reads every frame, as a browser would.
    let mut frames = room.subscribe();
    let viewer = tokio::spawn(async move {
        let mut bytes = 0u64;
        loop {
            match frames.recv().await {
                Ok(frame) => bytes += frame.bytes.len() as u64,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return bytes,
            }
        }
    });

    println!(
        "soak '{which}' at {speed}× for {minutes} min: wall s, RSS MB, simulated s, achieved speed over the last 30 s, the room's own estimate (live cluster / with rewind points, points kept)"
    );
    let started = Instant::now();
    let end = started + Duration::from_secs(minutes * 60);
    let (mut last_wall, mut last_sim) = (started, now_us(&room).await);
    let mut speeds = Vec::new();
    let mut rss = Vec::new();
    while Instant::now() < end {
        tokio::time::sleep(REPORT_EVERY.min(end - Instant::now())).await;
        let (wall, sim) = (Instant::now(), now_us(&room).await);
        let achieved = (sim - last_sim) as f64 / 1e6 / (wall - last_wall).as_secs_f64();
        let mb = rss_bytes() as f64 / 1e6;
        let (live, room_bytes, points) = room.memory().await.unwrap_or_default();
        println!(
            "{:>6.0} s  {:>7.1} MB  {:>9.0} s  {:>5.1}×  {:>6.1} / {:>6.1} MB, {points} points",
            (wall - started).as_secs_f64(),
            mb,
            sim as f64 / 1e6,
            achieved,
            live as f64 / 1e6,
            room_bytes as f64 / 1e6
        );
        speeds.push(achieved);
        rss.push(mb);
        (last_wall, last_sim) = (wall, sim);
    }
    viewer.abort();
    if rss.len() >= 4 {
        // After the first minutes: the curve from the third report on.
        let settled = &rss[2..];
        let (lo, hi) = settled
            .iter()
            .fold((f64::MAX, 0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let mut sorted = speeds.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "settled RSS {lo:.1}–{hi:.1} MB (spread {:.1}% of the low), median speed {:.2}× of {speed}×",
            (hi - lo) / lo * 100.0,
            sorted[sorted.len() / 2]
        );
    }
    Ok(())
}

async fn now_us(room: &RoomHandle) -> u64 {
    let Ok(snapshot) = room.snapshot().await else {
        return 0;
    };
    let v: serde_json::Value = serde_json::from_slice(&snapshot.bytes).unwrap_or_default();
    v["clock"]["now_us"].as_u64().unwrap_or(0)
}
