//! `playground bench`: how fast the engine simulates, as figures printed side by side in one run
//! (never a timed assertion in a test). Two workloads on the same machine, one after the other:
//!
//! - the engine without Streams: 3 brokers, one topic of 12 partitions with replication 3,
//!   acks=all, two producers and a consumer group reading everything;
//! - Kafka's word count as a Streams application in the cluster: a producer of text lines, one
//!   instance with one stream thread (flatMapValues, groupBy, count, toStream, to) with the
//!   default `commit.interval.ms` and record cache.
//!
//! Each prints wall and CPU seconds; the CPU figure is less sensitive to other work on a shared
//! machine.

use std::process::ExitCode;
use std::time::Instant;

use engine::command::{Command, Rate, TopicPartition};
use engine::scenario::{self, Script};

/// The Streams benchmark's input topic and application.
const LINES: &str = "text-lines";
const APP: &str = "word-count";
const OUTPUT: &str = "word-counts";

/// What one workload took.
struct Timing {
    wall: f64,
    /// CPU seconds of this thread, when the platform says (Linux).
    cpu: Option<f64>,
}

/// Runs `cluster` for `seconds` simulated seconds, one simulated second per step (as a room
/// advances), and says how long that took.
fn time_run(cluster: &mut engine::Cluster, seconds: u64) -> Timing {
    let cpu_before = thread_cpu_seconds();
    let started = Instant::now();
    let end = seconds.saturating_mul(engine::time::MICROS_PER_SEC);
    let mut t = cluster.now();
    while t < end {
        t = (t + engine::time::secs(1)).min(end);
        cluster.advance_to(t);
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    Timing { wall, cpu }
}

/// The CPU time this thread has run, user and system, from the kernel's scheduler statistics in
/// nanoseconds (what `getrusage(RUSAGE_THREAD)` reports; the crate forbids `unsafe`, so it is
/// read from /proc). The benchmarks run on the main thread and start no other.
fn thread_cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// `n` with thousands separators.
fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "12.3 s wall, 11.9 s CPU: 456,789 per wall s, 470,000 per CPU s".
fn rates(count: u64, timing: &Timing) -> String {
    let per_wall = thousands(count as f64 / timing.wall);
    match timing.cpu {
        Some(cpu) => format!(
            "{:.2} s wall, {cpu:.2} s CPU: {per_wall} per wall s, {} per CPU s",
            timing.wall,
            thousands(count as f64 / cpu)
        ),
        None => format!("{:.2} s wall: {per_wall} per wall s", timing.wall),
    }
}

/// A cluster set up by the cluster commands of `src`, held to the room's limits like any
/// scenario (engine/src/limits.rs), and recording no events.
fn setup(name: &str, src: &str) -> Result<engine::Cluster, ExitCode> {
    let script: Script = scenario::parse(name, src).map_err(|errors| {
        for d in errors {
            eprintln!("{d}");
        }
        ExitCode::from(2)
    })?;
    Ok(engine::runner::bench_cluster(&script).expect("benchmark setup applies"))
}

/// The engine without Streams: producers at `rate` records per simulated second in all and a
/// group of `consumers` consumers reading everything. Returns the acknowledged records.
fn plain(seconds: u64, rate: u64, consumers: u32) -> Result<(u64, Timing), ExitCode> {
    let mut src = format!(
        "brokers 3\ntopic create bench partitions=12 replication=3 min-insync=2\nproducer add p1 topic=bench rate={r}/s keys=k-1..k-1000 acks=all\nproducer add p2 topic=bench rate={r}/s keys=none acks=all\n",
        r = rate / 2
    );
    if consumers > 0 {
        src.push_str(&format!(
            "group add readers topics=bench consumers={consumers} offset-reset=earliest\n"
        ));
    }
    let mut cluster = setup("bench", &src)?;
    let timing = time_run(&mut cluster, seconds);
    let acked = cluster.acked("bench").unwrap_or(0);
    let created = cluster.records_created();
    println!(
        "simulated {seconds} s: {created} records created, {acked} acknowledged (acks=all, 3 brokers, 12 partitions, rf 3)"
    );
    if consumers > 0 {
        let consumed = cluster.group_consumed("readers", None).unwrap_or(0);
        let lag = cluster.group_lag("readers").unwrap_or(0);
        println!(
            "group 'readers' ({consumers} consumers, range assignor): {consumed} records consumed, lag {lag} at the end"
        );
    }
    println!("wall time {:.3} s", timing.wall);
    println!(
        "simulated records per second (wall): {:.0}",
        acked as f64 / timing.wall
    );
    println!(
        "simulated-to-real time ratio: {:.1}x",
        seconds as f64 / timing.wall
    );
    Ok((acked, timing))
}

/// The text lines the Streams benchmark's producer writes: a class's sentences, chosen by a hash
/// of the record's number (`pick`), 4 to 9 words each.
const TEXT: &str = "pick('the quick brown fox jumps over the lazy dog', 'a stream is a table in motion', 'kafka streams counts every word', 'each record has a key and a value', 'the log is the truth and tables are views of it')";

/// Word count in the cluster: 3 brokers, `partitions` partitions of text lines and of counts
/// (replication 3, acks=all), a producer at `rate` lines per simulated second, one instance of
/// the application with one stream thread. Returns the input lines the application processed.
fn streams(seconds: u64, rate: u64, partitions: u32) -> Result<(u64, Timing), ExitCode> {
    let src = format!(
        "brokers 3\n\
         topic create {LINES} partitions={partitions} replication=3 min-insync=2\n\
         topic create {OUTPUT} partitions={partitions} replication=3 min-insync=2\n\
         producer add lines topic={LINES} keys=none acks=all value=\"{TEXT}\"\n\
         streams app {APP}\n\
         \x20 stream {LINES}\n\
         \x20 flatMapValues: split(lower(value))\n\
         \x20 groupBy: value\n\
         \x20 count store=counts\n\
         \x20 toStream\n\
         \x20 to {OUTPUT}\n\
         end\n"
    );
    let mut cluster = setup("bench --streams", &src)?;
    // A live room holds its producers to 10,000 records/s so that it keeps up with its viewers
    // (engine/src/limits.rs); the benchmark measures how far past that the engine goes.
    cluster.producer_rate_limits = false;
    cluster
        .apply(Command::ProducerRate {
            name: "lines".into(),
            rate: Rate::per_second(rate),
        })
        .expect("the benchmark's rate applies without the room's limits");
    let timing = time_run(&mut cluster, seconds);
    let topic_sum = |topic: &str, f: &dyn Fn(&TopicPartition) -> Option<u64>| -> u64 {
        (0..partitions)
            .filter_map(|p| {
                f(&TopicPartition {
                    topic: topic.into(),
                    partition: p,
                })
            })
            .sum()
    };
    let produced = cluster.acked(LINES).unwrap_or(0);
    let processed = topic_sum(LINES, &|tp| cluster.group_consumed(APP, Some(tp)));
    let counts = cluster.acked(OUTPUT).unwrap_or(0);
    let app = cluster.streams_app(APP).expect("the app runs");
    println!(
        "simulated {seconds} s: {produced} lines acknowledged in {LINES} ({partitions} partitions, rf 3, acks=all), \
         {processed} processed by {APP} (1 instance, 1 stream thread, commit every 30 s, 10 MB cache)"
    );
    println!(
        "{APP}: {} records processed (lines and repartitioned words), {} commits, {counts} count updates in {OUTPUT}",
        app.counters.processed, app.counters.commits
    );
    Ok((processed, timing))
}

/// `playground bench`: both workloads, then their figures side by side.
pub fn bench(seconds: u64, rate: u64, consumers: u32, streams_rate: u64) -> ExitCode {
    println!("== the engine without Streams");
    let (acked, plain_timing) = match plain(seconds, rate, consumers) {
        Ok(r) => r,
        Err(code) => return code,
    };
    println!("== word count in Kafka Streams, {streams_rate} lines/s");
    let (lines, streams_timing) = match self::streams(seconds, streams_rate, 4) {
        Ok(r) => r,
        Err(code) => return code,
    };
    println!("== side by side ({seconds} simulated s each)");
    println!(
        "engine without Streams: {acked} records acknowledged, {}",
        rates(acked, &plain_timing)
    );
    println!(
        "Streams word count:     {lines} input records (lines produced and processed), {}",
        rates(lines, &streams_timing)
    );
    ExitCode::SUCCESS
}
