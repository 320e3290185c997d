//! The cluster alone, at the record rate the word-count benchmark puts through it: what the
//! word count would cost if its Streams processing were free. `playground bench` plays 100,000
//! text lines per simulated second; each line and each of its words (about 8) is a record that
//! is produced (acks=all), replicated to two followers and consumed, so about 900,000 records per
//! simulated second cross the cluster. Here one producer writes that many short keyed records
//! (30 keys, like the words) into 8 partitions (the word count's two topics of 4) with
//! replication 3, and one consumer of a group reads them. Prints records acknowledged and
//! consumed per wall second.
//!
//! `cargo run --release -p engine --example cluster_bench [SECONDS] [RECORDS_PER_S]`

use std::time::Instant;

use engine::command::{Command, Rate};
use engine::scenario::{self, Script};

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let rate: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(900_000);
    let src = "brokers 3\n\
               topic create records partitions=8 replication=3 min-insync=2\n\
               producer add p topic=records keys=k-1..k-30 acks=all value=\"'word'\"\n\
               group add g topics=records consumers=1 offset-reset=earliest\n";
    let script: Script = scenario::parse("cluster_bench", src).expect("the setup parses");
    let mut cluster = engine::runner::bench_cluster(&script).expect("the setup applies");
    // As `playground bench` does for its word count: past the room's 10,000 records/s.
    cluster.producer_rate_limits = false;
    cluster
        .apply(Command::ProducerRate {
            name: "p".into(),
            rate: Rate::per_second(rate),
        })
        .expect("the rate applies");
    let started = Instant::now();
    let end = seconds * engine::time::MICROS_PER_SEC;
    let mut t = cluster.now();
    while t < end {
        t = (t + engine::time::secs(1)).min(end);
        cluster.advance_to(t);
    }
    let wall = started.elapsed().as_secs_f64();
    let acked = cluster.acked("records").unwrap_or(0);
    let consumed = cluster.group_consumed("g", None).unwrap_or(0);
    println!(
        "{seconds} simulated s at {rate} records/s: {acked} acknowledged, {consumed} consumed in {wall:.2} s wall: \
         {:.0} acknowledged and {:.0} consumed per wall s",
        acked as f64 / wall,
        consumed as f64 / wall
    );
}
