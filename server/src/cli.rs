//! The headless commands: `run`, `check`, `serve` and the soak (`bench` is in `bench.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use engine::scenario::{self, Script};

/// Reads and parses every file, printing every diagnostic. `None` if any file failed.
fn load(files: &[PathBuf]) -> Option<Vec<Script>> {
    let mut scripts = Vec::new();
    let mut ok = true;
    for path in files {
        let name = path.display().to_string();
        match std::fs::read_to_string(path) {
            Err(e) => {
                eprintln!("{name}: cannot read: {e}");
                ok = false;
            }
            Ok(src) => match scenario::parse(&name, &src) {
                Ok(s) => scripts.push(s),
                Err(diags) => {
                    for d in diags {
                        eprintln!("{d}");
                    }
                    ok = false;
                }
            },
        }
    }
    ok.then_some(scripts)
}

pub fn check(files: &[PathBuf]) -> ExitCode {
    match load(files) {
        Some(scripts) => {
            for s in scripts {
                println!("{}: ok ({} steps)", s.file, s.steps.len());
            }
            ExitCode::SUCCESS
        }
        None => ExitCode::from(2),
    }
}

/// Prints one line of `run` output. When the reader has gone (`playground run … | head`), stop
/// quietly with the status a SIGPIPE would give, instead of panicking.
fn out(line: std::fmt::Arguments) {
    use std::io::Write;
    if writeln!(std::io::stdout().lock(), "{line}").is_err() {
        std::process::exit(141);
    }
}

pub fn run(files: &[PathBuf], print_events: bool, print_state: bool, print_logs: bool) -> ExitCode {
    let Some(scripts) = load(files) else {
        return ExitCode::from(2);
    };
    let mut failed = 0;
    for script in &scripts {
        match &script.title {
            Some(t) => out(format_args!("== {} ({})", t, script.file)),
            None => out(format_args!("== {}", script.file)),
        }
        let (report, cluster) = engine::runner::run(script, |events| {
            if print_events {
                for e in events {
                    let json = serde_json::to_string(e).expect("events serialize");
                    out(format_args!("{json}"));
                }
            }
        });
        for line in &report.lines {
            out(format_args!("{line}"));
        }
        out(format_args!(
            "{}: {} expectations, {} failed",
            script.file, report.expectations, report.failures
        ));
        if print_state {
            let state = playground::state::from_snapshot(&cluster.snapshot());
            let json = serde_json::to_string(&state).expect("state serializes");
            out(format_args!("{json}"));
        }
        if print_logs {
            for line in logs(&cluster) {
                out(format_args!("{line}"));
            }
        }
        failed += report.failures;
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `run --logs`: one JSON line per partition (its leader's records) and per committed offset,
/// in name order.
fn logs(cluster: &engine::Cluster) -> Vec<String> {
    use engine::command::TopicPartition;
    let mut partitions = Vec::new();
    for topic in cluster.topic_names() {
        for partition in 0..cluster.topic_partitions(&topic).unwrap_or(0) {
            partitions.push(TopicPartition {
                topic: topic.clone(),
                partition,
            });
        }
    }
    let mut lines = Vec::new();
    for tp in &partitions {
        let records = cluster.leader_records(tp);
        lines.push(
            serde_json::json!({
                "topic": tp.topic,
                "partition": tp.partition,
                "records": records,
            })
            .to_string(),
        );
    }
    for group in cluster.group_names() {
        for tp in &partitions {
            if let Some(Some(offset)) = cluster.group_committed(&group, tp) {
                lines.push(
                    serde_json::json!({
                        "group": group,
                        "topic": tp.topic,
                        "partition": tp.partition,
                        "committed": offset,
                    })
                    .to_string(),
                );
            }
        }
    }
    lines
}

/// `playground serve`: the live playground until Ctrl-C. A bad `--scenario` file exits 2 with
/// its errors, before anything listens.
pub fn serve(options: playground::serve::ServeOptions, scenario: Option<&Path>) -> ExitCode {
    let script = match playground::serve::load_scenario(scenario) {
        Ok(script) => script,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::from(2);
        }
    };
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let port = options.port;
    match runtime.block_on(playground::serve::serve(options, script)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("playground: cannot serve on port {port}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `playground bench --soak demo|big`: see [`playground::soak`].
pub fn soak(which: &str, minutes: u64) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    match runtime.block_on(playground::soak::soak(which, minutes)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("playground: {e}");
            ExitCode::from(2)
        }
    }
}

/// The async runtime for `serve` and the soak; `None` (said on stderr) if it cannot start.
fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| eprintln!("playground: cannot start the async runtime: {e}"))
        .ok()
}
