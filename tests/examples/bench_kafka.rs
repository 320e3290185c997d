//! Benchmark: a real Kafka client (librdkafka, through kcat) producing into the simulated
//! cluster, side by side with the same client against a listener that acknowledges without
//! simulating (`playground serve --kafka-ack-only`): what the protocol layer alone costs.
//!
//! Both servers run at once; rounds alternate between them, and the medians and their ratio
//! are printed. Each round produces `RECORDS` values of 100 bytes with `acks=all` (librdkafka's
//! other settings are its defaults); a round counts only if kcat exits cleanly and, for the
//! simulated cluster, the partitions' high watermarks grew by exactly `RECORDS`.
//!
//! `cargo run --release -p playground-tests --example bench_kafka [RECORDS] [ROUNDS]`
//! (`tests/bench-kafka` builds first and checks kcat is installed.)

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use playground_tests::kafka::Server;

const TOPIC: &str = "bench";
const PARTITIONS: u32 = 6;
const VALUE_BYTES: usize = 100;

/// The sum of the topic's high watermarks, as `kcat -Q` reads them (offset −1: the end).
fn high_watermarks(port: u16) -> u64 {
    let mut args = vec!["-Q".to_string(), "-b".into(), format!("127.0.0.1:{port}")];
    for p in 0..PARTITIONS {
        args.push("-t".into());
        args.push(format!("{TOPIC}:{p}:-1"));
    }
    let out = Command::new("kcat")
        .args(&args)
        .output()
        .expect("kcat runs");
    assert!(
        out.status.success(),
        "kcat -Q: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "bench [3] offset 1234"
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Produces the file's lines with kcat; returns the wall seconds it took.
fn produce(port: u16, input: &std::path::Path) -> f64 {
    let file = std::fs::File::open(input).expect("the records file");
    let start = Instant::now();
    let out = Command::new("kcat")
        .args(["-P", "-b", &format!("127.0.0.1:{port}"), "-t", TOPIC])
        .args(["-X", "acks=all"])
        .stdin(Stdio::from(file))
        .output()
        .expect("kcat runs");
    let seconds = start.elapsed().as_secs_f64();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "kcat -P failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    seconds
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let records: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(500_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    if Command::new("kcat").arg("-V").output().is_err() {
        eprintln!("bench_kafka needs kcat (apt-get install kcat)");
        std::process::exit(2);
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let scenario = root.join("tests/bench/kafka.scenario");
    let scenario = scenario.to_str().expect("a UTF-8 path");
    let input = std::env::temp_dir().join(format!("bench-kafka-{}.txt", std::process::id()));
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        for i in 0..records {
            // 100 bytes: the record's number, then filler.
            writeln!(f, "{i:0>width$}", width = VALUE_BYTES).unwrap();
        }
    }
    let simulated = Server::start_with(&["--scenario", scenario]);
    let ack_only = Server::start_with(&["--scenario", scenario, "--kafka-ack-only"]);
    println!(
        "kcat (librdkafka) -P, acks=all, {records} records of {VALUE_BYTES} bytes per round, {rounds} rounds, topic of {PARTITIONS} partitions rf 3"
    );
    let (mut sim_rates, mut ack_rates) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        let before = high_watermarks(simulated.kafka);
        let sim = produce(simulated.kafka, &input);
        let grew = high_watermarks(simulated.kafka) - before;
        assert_eq!(
            grew, records,
            "every record acknowledged once into the simulated cluster"
        );
        let ack = produce(ack_only.kafka, &input);
        let (s, a) = (records as f64 / sim, records as f64 / ack);
        println!(
            "round {round}: simulated cluster {s:>9.0} records/s ({sim:.2} s)   protocol layer alone {a:>9.0} records/s ({ack:.2} s)"
        );
        sim_rates.push(s);
        ack_rates.push(a);
    }
    let (s, a) = (median(sim_rates), median(ack_rates));
    println!("median: simulated cluster {s:.0} records/s, protocol layer alone {a:.0} records/s");
    println!(
        "the simulation costs {:.2}x the protocol layer alone",
        a / s
    );
    let _ = std::fs::remove_file(&input);
}
