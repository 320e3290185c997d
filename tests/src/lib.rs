//! Helpers shared by the end-to-end tests in `tests/tests/`.

pub mod kafka;
pub mod ws;

use std::any::Any;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use engine::Cluster;
use proptest::test_runner::{Config, TestCaseError, TestError};
use proptest::{prop_assert, prop_assert_eq};

/// The bundled scenario files (`tests/scenarios/*.scenario`), sorted by name.
pub fn scenario_files() -> Vec<PathBuf> {
    scenarios_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
}

/// The Kafka Streams scenarios (`scenarios/streams/*.scenario`), sorted by name: checked by
/// `playground check` (tests/cli.rs) and run with their expectations (tests/scenarios.rs).
pub fn streams_scenario_files() -> Vec<PathBuf> {
    scenarios_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/streams"))
}

/// The Kafka Connect scenarios (`tests/scenarios/connect/`), each pinning one rule of Connect.
pub fn connect_scenario_files() -> Vec<PathBuf> {
    scenarios_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/connect"))
}

/// The bundled lessons (`static/lessons/*.scenario`), sorted by name.
pub fn lesson_files() -> Vec<PathBuf> {
    scenarios_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../static/lessons"))
}

fn scenarios_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "scenario"))
        .collect();
    files.sort();
    files
}

/// The property tests' configuration: `PROPTEST_CASES` cases (default 1000), no persisted
/// failures, two minutes to shrink. `Config::default()` also reads the other `PROPTEST_*`
/// variables (such as `PROPTEST_RNG_SEED`).
pub fn proptest_config() -> Config {
    proptest_config_with_cases(1000)
}

/// [`proptest_config`] for a property whose cases are cheap enough to run `default` of them.
pub fn proptest_config_with_cases(default: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        failure_persistence: None,
        max_shrink_time: 120_000,
        ..Config::default()
    }
}

/// Runs one property case, turning a failure or a panic in the engine into a test failure that
/// carries the seed and the run so far as a scenario file (`script`, filled in by `run`).
pub fn catch_failure<T>(
    seed: u64,
    run: impl FnOnce(&mut Vec<String>) -> Result<T, TestCaseError>,
) -> Result<T, TestCaseError> {
    let mut script = Vec::new();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&mut script)));
    let failure = match result {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(e)) => e.to_string(),
        Err(panic) => format!("the engine panicked: {}", panic_message(panic.as_ref())),
    };
    Err(TestCaseError::fail(format!(
        "{failure}\nseed {seed}\nthe run up to the failure, as a scenario file:\n{}\n",
        script.join("\n")
    )))
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".into())
}

/// Panics with the minimal failing case when a property failed.
pub fn assert_property<C: Debug>(name: &str, result: Result<(), TestError<C>>) {
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, case)) => {
            panic!("{name} failed (minimal case below)\n{reason}\nminimal case: {case:#?}")
        }
        Err(TestError::Abort(reason)) => panic!("{name} aborted: {reason}"),
    }
}

/// The scenario file a driver wrote (`script`) replays its run: parsed and run by the headless
/// runner, every expectation holds and the cluster ends in the driver's state.
pub fn check_replay(script: &[String], cluster: &Cluster) -> Result<(), TestCaseError> {
    let text = script.join("\n");
    let parsed = engine::scenario::parse("replay.scenario", &text)
        .map_err(|d| TestCaseError::fail(format!("{d:?}\n{text}")))?;
    let (report, replayed) = engine::runner::run(&parsed, |_| {});
    prop_assert!(report.passed(), "{:?}\n{}", report.lines, text);
    prop_assert_eq!(replayed.snapshot(), cluster.snapshot(), "{}", text);
    Ok(())
}

/// The freshly built `playground` binary next to this test's `deps/` directory.
pub fn playground() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        // target/<profile>/deps/cli-HASH -> target/<profile>/
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("tests run from target/<profile>/deps/")
            .to_path_buf();
        // target/debug is the `dev` profile; every other directory is named after its profile
        // (`release`, or `ci` as the test command builds).
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev".to_owned(),
            Some(name) => name.to_owned(),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build.args([
            "build",
            "--quiet",
            "-p",
            "playground",
            "--profile",
            &profile,
        ]);
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root");
        let status = build.current_dir(workspace).status().expect("cargo runs");
        assert!(status.success(), "cargo build -p playground failed");
        let bin = profile_dir.join(format!("playground{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.is_file(), "{} missing after cargo build", bin.display());
        bin
    })
}

/// A scratch directory unique to one test, removed when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("playground-test-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Scratch(dir)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A small deterministic generator (xorshift64*), so that failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// CPU seconds (user + system) process `pid` has used, from `/proc/PID/stat` (Linux), for the
/// benchmarks that measure the server from outside.
pub fn cpu_seconds(pid: u32) -> f64 {
    // /proc/PID/stat fields 14 and 15: utime and stime in clock ticks (100 per second on Linux).
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}
