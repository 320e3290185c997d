//! Same file + same seed = the same run, byte for byte: every bundled scenario is run twice and the
//! JSON of every event and of the final snapshot must hash the same. A different seed must change
//! the run of a scenario with producers.

use std::path::PathBuf;

use playground_tests::scenario_files;

use sha2::{Digest, Sha256};

/// The hashes of one run: of every event in order, and of the final snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RunHash {
    events: String,
    event_count: usize,
    snapshot: String,
}

fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn run_hash(name: &str, src: &str) -> RunHash {
    let script = engine::scenario::parse(name, src)
        .unwrap_or_else(|d| panic!("{name} does not parse: {d:?}"));
    let mut hasher = Sha256::new();
    let mut event_count = 0;
    let (_, cluster) = engine::runner::run(&script, |events| {
        for e in events {
            let json = serde_json::to_string(e).expect("events serialize");
            hasher.update(json.as_bytes());
            hasher.update(b"\n");
            event_count += 1;
        }
    });
    let snapshot = serde_json::to_string(&cluster.snapshot()).expect("snapshots serialize");
    RunHash {
        events: hex(hasher.finalize()),
        event_count,
        snapshot: hex(Sha256::digest(snapshot.as_bytes())),
    }
}

/// `src` with its `seed N` line replaced by `seed {seed}` (or one prepended).
fn with_seed(src: &str, seed: u64) -> String {
    let mut replaced = false;
    let lines: Vec<String> = src
        .lines()
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            if !replaced && words.len() == 2 && words[0] == "seed" {
                replaced = true;
                format!("seed {seed}")
            } else {
                line.to_string()
            }
        })
        .collect();
    let body = lines.join("\n");
    if replaced {
        body
    } else {
        format!("seed {seed}\n{body}")
    }
}

#[test]
fn every_scenario_runs_identically_twice() {
    let files = scenario_files();
    assert!(
        files.len() >= 10,
        "expected at least 10 bundled scenarios, found {}",
        files.len()
    );
    let mut differing = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .to_string();
        let src = std::fs::read_to_string(path).expect("readable");
        let first = run_hash(&name, &src);
        let second = run_hash(&name, &src);
        println!(
            "{name}: {} events, events sha256 {}, snapshot sha256 {}",
            first.event_count, first.events, first.snapshot
        );
        if first != second {
            println!("  second run differs: {second:?}");
            differing.push(name);
        }
    }
    assert!(
        differing.is_empty(),
        "non-deterministic scenarios: {differing:?}"
    );
}

#[test]
fn a_different_seed_changes_a_run_with_producers() {
    let files = scenario_files();
    let with_producers: Vec<&PathBuf> = files
        .iter()
        .filter(|p| {
            let src = std::fs::read_to_string(p).expect("readable");
            src.lines()
                .any(|l| l.trim_start().starts_with("producer add"))
        })
        .collect();
    assert!(
        !with_producers.is_empty(),
        "no bundled scenario has a producer"
    );
    for path in with_producers {
        let name = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .to_string();
        let src = std::fs::read_to_string(path).expect("readable");
        let a = run_hash(&name, &with_seed(&src, 1));
        let b = run_hash(&name, &with_seed(&src, 2));
        let a_again = run_hash(&name, &with_seed(&src, 1));
        println!("{name}: seed 1 -> {}, seed 2 -> {}", a.events, b.events);
        assert_eq!(a, a_again, "{name}: seed 1 run twice differs");
        assert_ne!(
            a.events, b.events,
            "{name}: seeds 1 and 2 give the same events"
        );
    }
}

#[test]
fn a_prepended_seed_changes_a_seedless_run() {
    // A scenario without a `seed` line runs with the default seed; prepending one must matter.
    let src = "brokers 3\ntopic create t partitions=3 replication=3\nproducer add p topic=t rate=200/s keys=none\nwait 3s\n";
    let default = run_hash("seedless", src);
    let seeded = run_hash("seedless", &with_seed(src, 99));
    assert_eq!(default, run_hash("seedless", src));
    println!(
        "default seed -> {}, seed 99 -> {}",
        default.events, seeded.events
    );
    assert_ne!(default.events, seeded.events);
}

#[test]
fn seed_substitution_replaces_or_prepends() {
    assert_eq!(with_seed("seed 7\nbrokers 3", 9), "seed 9\nbrokers 3");
    assert_eq!(with_seed("brokers 3", 9), "seed 9\nbrokers 3");
}
