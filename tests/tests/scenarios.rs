//! Every bundled scenario file (`tests/scenarios/*.scenario`) parses and runs headless with all of
//! its `expect` lines holding. New files are picked up automatically.

use std::path::Path;

use engine::event::ErrorCode;
use playground_tests::scenario_files;

/// Parses and runs one file; `Err` holds the lines that explain why it failed.
fn run_file(path: &Path) -> Result<String, Vec<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let name = path
        .strip_prefix(&dir)
        .unwrap_or(path)
        .display()
        .to_string();
    let src =
        std::fs::read_to_string(path).map_err(|e| vec![format!("{name}: cannot read: {e}")])?;
    let script = engine::scenario::parse(&name, &src)
        .map_err(|diags| diags.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let (report, cluster) = engine::runner::run(&script, |_| {});
    cluster.check_invariants();
    let summary = format!(
        "{name}: {} expectations, {} failed, {} simulated",
        report.expectations,
        report.failures,
        engine::time::format_duration(report.end_us)
    );
    if report.passed() {
        Ok(summary)
    } else {
        let mut lines = report.lines;
        lines.push(summary);
        Err(lines)
    }
}

#[test]
fn every_bundled_scenario_passes() {
    let files = scenario_files();
    assert!(
        files.len() >= 10,
        "expected at least 10 bundled scenarios, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        match run_file(path) {
            Ok(summary) => println!("ok   {summary}"),
            Err(lines) => {
                println!("FAIL {}", path.display());
                for line in &lines {
                    println!("     {line}");
                }
                failures.push((path.display().to_string(), lines));
            }
        }
    }
    if !failures.is_empty() {
        let mut msg = format!(
            "{} of {} scenario files failed:\n",
            failures.len(),
            files.len()
        );
        for (file, lines) in &failures {
            msg.push_str(&format!("{file}\n"));
            for line in lines {
                msg.push_str(&format!("    {line}\n"));
            }
        }
        panic!("{msg}");
    }
}

/// The Kafka Streams scenarios (`tests/scenarios/streams/`, the examples of the reference and
/// the documented semantics they pin) run too, now that the cluster runs Streams applications.
#[test]
fn every_streams_scenario_passes() {
    all_pass(&playground_tests::streams_scenario_files(), 6);
}

/// The Kafka Connect scenarios (`tests/scenarios/connect/`): standalone workers, connectors and
/// tasks, each file naming the Kafka class or document it reproduces.
#[test]
fn every_connect_scenario_passes() {
    all_pass(&playground_tests::connect_scenario_files(), 4);
}

/// Runs every file (at least `at_least` of them, so a moved folder is noticed) and fails with
/// every failing expectation of every file.
fn all_pass(files: &[std::path::PathBuf], at_least: usize) {
    assert!(files.len() >= at_least, "{files:?}");
    let failures: Vec<String> = files
        .iter()
        .filter_map(|path| match run_file(path) {
            Ok(summary) => {
                println!("ok   {summary}");
                None
            }
            Err(lines) => Some(lines.join("\n")),
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_bundled_scenario_has_expectations() {
    for path in scenario_files() {
        let src = std::fs::read_to_string(&path).expect("readable");
        let script = engine::scenario::parse(&path.display().to_string(), &src)
            .unwrap_or_else(|d| panic!("{}: {:?}", path.display(), d));
        let expects = script
            .steps
            .iter()
            .filter(|s| matches!(s.action, engine::scenario::Action::Expect(_)))
            .count();
        assert!(expects > 0, "{} has no expect lines", path.display());
    }
}

/// Kafka's idempotent producer resolves the sequence of a batch that failed to the application
/// (TransactionManager.maybeResolveSequences, requestEpochBumpForPartition) instead of sending the
/// batches after it into an OUT_OF_ORDER_SEQUENCE_NUMBER gap: in this scenario every retry is for
/// the real reason the leader refuses (the engine retried thousands of records on
/// OUT_OF_ORDER_SEQUENCE_NUMBER before).
#[test]
fn idempotent_producer_after_expiry_never_retries_out_of_order() {
    let path = "tests/scenarios/idempotent-producer-after-expiry.scenario";
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/idempotent-producer-after-expiry.scenario"),
    )
    .expect("readable");
    let script = engine::scenario::parse(path, &src).expect("parses");
    let (mut not_enough_replicas, mut out_of_order) = (0u64, 0u64);
    let (report, _) = engine::runner::run(&script, |events| {
        for e in events {
            if let engine::event::Event::ProduceRetried { error, count, .. } = &e.event {
                match error {
                    ErrorCode::NotEnoughReplicas => not_enough_replicas += u64::from(*count),
                    ErrorCode::OutOfOrderSequenceNumber => out_of_order += u64::from(*count),
                    _ => {}
                }
            }
        }
    });
    assert!(report.passed(), "{:?}", report.lines);
    assert!(not_enough_replicas > 0, "no retry on NOT_ENOUGH_REPLICAS");
    assert_eq!(
        out_of_order, 0,
        "records retried on OUT_OF_ORDER_SEQUENCE_NUMBER"
    );
}
