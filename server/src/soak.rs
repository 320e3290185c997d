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
/// The summary judges the curve from this wall time on: the first minutes fill the room up to
/// its steady state (the live cluster to its storage limit, history to the budget).
const SETTLED_AFTER_S: f64 = 180.0;

/// One report.
struct Sample {
    /// Wall seconds since the start.
    at: f64,
    rss_mb: f64,
    /// Simulated seconds per wall second over the last period.
    speed: f64,
    /// The room's own estimate of what it holds (live cluster and rewind points).
    room_mb: f64,
}

/// `after 3 min (15 reports): RSS median … MB, min … max … (max/min 1.06, ±2.9%); speed median
/// …× min …× of 20×; the room's estimate at most … MB of its … MB budget`, or `None` with too few
/// reports after [`SETTLED_AFTER_S`].
fn summary(samples: &[Sample], speed: f64) -> Option<String> {
    let settled: Vec<&Sample> = samples.iter().filter(|s| s.at >= SETTLED_AFTER_S).collect();
    if settled.len() < 2 {
        return None;
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let rss: Vec<f64> = settled.iter().map(|s| s.rss_mb).collect();
    let (lo, hi) = rss
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let speeds: Vec<f64> = settled.iter().map(|s| s.speed).collect();
    let slowest = speeds.iter().copied().fold(f64::MAX, f64::min);
    let room_peak = samples.iter().map(|s| s.room_mb).fold(0f64, f64::max);
    Some(format!(
        "after {} min ({} reports): RSS median {:.1} MB, min {lo:.1} max {hi:.1} (max/min {:.3}, ±{:.1}%); speed median {:.2}× min {slowest:.2}× of {speed}×; the room's estimate at most {room_peak:.1} MB of its {:.1} MB budget",
        SETTLED_AFTER_S / 60.0,
        settled.len(),
        median(rss),
        hi / lo,
        (hi - lo) / (hi + lo) * 100.0,
        median(speeds),
        crate::room::ROOM_MEMORY_BUDGET as f64 / 1e6
    ))
}

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
    let first = room.memory().await.unwrap_or_default();
    let (mut last_wall, mut last_sim) = (started, first.now_us);
    let mut samples = Vec::new();
    while Instant::now() < end {
        tokio::time::sleep(REPORT_EVERY.min(end - Instant::now())).await;
        // The resident size first, then a request that allocates nothing sizeable: an earlier
        // version read the clock from a whole snapshot, parsed as JSON, and measured its own
        // garbage along with the room's.
        let mb = rss_bytes() as f64 / 1e6;
        let (wall, report) = (Instant::now(), room.memory().await.unwrap_or_default());
        let sim = report.now_us;
        let achieved = sim.saturating_sub(last_sim) as f64 / 1e6 / (wall - last_wall).as_secs_f64();
        let at = (wall - started).as_secs_f64();
        println!(
            "{at:>6.0} s  {mb:>7.1} MB  {:>9.0} s  {achieved:>5.1}×  {:>6.1} / {:>6.1} MB, {} points",
            sim as f64 / 1e6,
            report.live as f64 / 1e6,
            report.with_history as f64 / 1e6,
            report.points
        );
        samples.push(Sample {
            at,
            rss_mb: mb,
            speed: achieved,
            room_mb: report.with_history as f64 / 1e6,
        });
        (last_wall, last_sim) = (wall, sim);
    }
    viewer.abort();
    if let Some(line) = summary(&samples, speed) {
        println!("{line}");
    }
    Ok(())
}
