//! One digest per bundled scenario, lesson and demo: a 64-bit FNV-1a hash of every event's JSON in
//! order and of the final snapshot's JSON (what tests/tests/determinism.rs hashes with SHA-256),
//! so that a performance change can be checked to leave every run identical:
//! `cargo run --profile ci -p engine --example digests > before.txt`, change, run again, `diff`.

use std::path::{Path, PathBuf};

/// FNV-1a, 64 bits: stable across builds and platforms (std's hasher is not promised to be).
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn update(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "scenario"))
        .collect();
    files.sort();
    files
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dirs = [
        "tests/scenarios",
        "tests/scenarios/streams",
        "tests/scenarios/connect",
        "tests/bench",
        "static/lessons",
        "static/scenarios",
    ];
    for dir in dirs {
        for path in files_in(&root.join(dir)) {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .to_string();
            let src = std::fs::read_to_string(&path).expect("readable");
            let script = match engine::scenario::parse(&name, &src) {
                Ok(s) => s,
                Err(d) => {
                    println!("{dir}/{name}: does not parse: {d:?}");
                    continue;
                }
            };
            let mut events = Fnv::new();
            let mut count = 0usize;
            let (_, cluster) = engine::runner::run(&script, |batch| {
                for e in batch {
                    let json = serde_json::to_string(e).expect("events serialize");
                    events.update(json.as_bytes());
                    events.update(b"\n");
                    count += 1;
                }
            });
            let mut snapshot = Fnv::new();
            snapshot.update(
                serde_json::to_string(&cluster.snapshot())
                    .expect("snapshots serialize")
                    .as_bytes(),
            );
            println!(
                "{dir}/{name}: {count} events {:016x} snapshot {:016x}",
                events.0, snapshot.0
            );
        }
    }
}
