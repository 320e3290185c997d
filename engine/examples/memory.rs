//! Memory of a demo-like room with time travel: 3 brokers, `orders` in 3 partitions with
//! replication 3, a keyed producer at 1,000 records/s and a group of 2 consumers, checkpointed
//! (cloned) every 5 simulated seconds the way the server's history does it (120 kept, every other
//! one dropped beyond). Prints, at each simulated minute, the process's resident memory, the live
//! cluster's `memory()` and the room's total (live cluster and checkpoints, shared chunks counted
//! once). An optional storage limit per replica (bytes) shows the room's ceiling at work.
//!
//! `cargo run --release -p engine --example memory [minutes] [storage-limit-bytes]`

use std::time::Instant;

use engine::Cluster;
use engine::memory::total_memory;
use engine::scenario::{self, Action};
use engine::time::secs;

const SETUP: &str = "brokers 3
topic create orders partitions=3 replication=3 min-insync=2
producer add checkout topic=orders rate=1000/s keys=customer-1..customer-12
group add billing topics=orders consumers=2 offset-reset=earliest
";

/// Resident set size from /proc (Linux), in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn main() {
    let minutes: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let script = scenario::parse("memory", SETUP).expect("the setup parses");
    let limit: Option<u64> = std::env::args().nth(2).and_then(|s| s.parse().ok());
    let mut cluster = Cluster::new(1);
    cluster.record_events = false;
    cluster.set_storage_limit(limit);
    for step in &script.steps {
        if let Action::Cluster(c) = &step.action {
            cluster.apply(c.clone()).expect("the setup applies");
        }
    }
    let mut checkpoints: Vec<Cluster> = vec![cluster.clone()];
    let mut clone_wall = 0.0;
    let started = Instant::now();
    let mut t = 0;
    println!("storage limit per replica: {limit:?}");
    println!("minute  rss        live       room       clones  clone-ms(avg)");
    while t < secs(60 * minutes) {
        t += secs(5);
        cluster.advance_to(t);
        let c0 = Instant::now();
        checkpoints.push(cluster.clone());
        clone_wall += c0.elapsed().as_secs_f64();
        while checkpoints.len() > 120 {
            let mut i = 0;
            checkpoints.retain(|_| {
                i += 1;
                i == 1 || i % 2 == 0
            });
        }
        if t % secs(60) == 0 {
            let n = t / secs(5);
            let room = total_memory(checkpoints.iter().chain([&cluster]));
            println!(
                "{:>6}  {:<9}  {:<9}  {:<9}  {:>6}  {:.2}",
                t / secs(60),
                mb(rss()),
                mb(cluster.memory() as u64),
                mb(room as u64),
                checkpoints.len(),
                clone_wall * 1000.0 / n as f64
            );
        }
    }
    println!(
        "records created {}, freed {}, acked {}, wall {:.1} s",
        cluster.records_created(),
        cluster.records_freed(),
        cluster.acked("orders").unwrap_or(0),
        started.elapsed().as_secs_f64()
    );
}
