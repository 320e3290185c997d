//! Memory of a room running a Streams count over ever-new keys (a producer whose every value is
//! new, counted by value) with time travel's checkpoints: the process's resident memory next to
//! the room's own measure (`total_memory` of the live cluster and its checkpoints).
//!
//! `cargo run --release -p engine --example streams_memory [minutes]`

use engine::Cluster;
use engine::memory::total_memory;
use engine::scenario::{self, Action};
use engine::time::secs;

const SETUP: &str = "brokers 3
topic create orders partitions=3 replication=3 min-insync=2
topic create counts partitions=3 replication=3 min-insync=2
producer add checkout topic=orders rate=5000/s keys=none value=\"'order-' + text(seq)\"
streams app counter
  stream orders
  groupBy: value
  count store=per-order
  toStream
  to counts
end
";

fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn main() {
    let minutes: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let script = scenario::parse("streams_memory", SETUP).expect("the setup parses");
    let mut cluster = Cluster::new(1);
    cluster.record_events = false;
    for step in &script.steps {
        if let Action::Cluster(c) = &step.action {
            cluster.apply(c.clone()).expect("the setup applies");
        }
    }
    let mut checkpoints: Vec<Cluster> = Vec::new();
    let base = rss();
    println!("minute  rss-growth  live-measure  room-measure  clones");
    let mut t = 0;
    while t < secs(60 * minutes) {
        t += secs(5);
        cluster.advance_to(t);
        checkpoints.push(cluster.clone());
        if checkpoints.len() > 60 {
            checkpoints.remove(0);
        }
        if t % secs(60) == 0 {
            let room = total_memory(std::iter::once(&cluster).chain(checkpoints.iter()));
            println!(
                "{:>6}  {:>10}  {:>12}  {:>12}  {}",
                t / secs(60),
                mb(rss().saturating_sub(base)),
                mb(cluster.memory() as u64),
                mb(room as u64),
                checkpoints.len()
            );
        }
    }
}
