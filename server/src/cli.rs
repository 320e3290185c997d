//! The headless commands: `run`, `check` and `bench`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

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

pub fn run(files: &[PathBuf], print_events: bool, print_state: bool) -> ExitCode {
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
        failed += report.failures;
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
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

/// The engine benchmark: 3 brokers, one topic of 12 partitions with replication 3, acks=all, producers
/// at `rate` records per simulated second, and a group of `consumers` consumers reading everything,
/// for `seconds` simulated seconds.
pub fn bench(seconds: u64, rate: u64, consumers: u32) -> ExitCode {
    let mut src = format!(
        "brokers 3\ntopic create bench partitions=12 replication=3 min-insync=2\nproducer add p1 topic=bench rate={r}/s keys=k-1..k-1000 acks=all\nproducer add p2 topic=bench rate={r}/s keys=none acks=all\n",
        r = rate / 2
    );
    if consumers > 0 {
        src.push_str(&format!(
            "group add readers topics=bench consumers={consumers} offset-reset=earliest\n"
        ));
    }
    // The benchmark is held to the room's limits (engine/src/limits.rs) like any scenario.
    let script = match scenario::parse("bench", &src) {
        Ok(script) => script,
        Err(errors) => {
            for d in errors {
                eprintln!("{d}");
            }
            return ExitCode::from(2);
        }
    };
    let mut cluster = engine::Cluster::new(1);
    cluster.record_events = false;
    for step in &script.steps {
        if let scenario::Action::Cluster(c) = &step.action {
            cluster.apply(c.clone()).expect("benchmark setup applies");
        }
    }
    let started = Instant::now();
    let end = seconds.saturating_mul(engine::time::MICROS_PER_SEC);
    let mut t = 0;
    while t < end {
        t = (t + engine::time::secs(1)).min(end);
        cluster.advance_to(t);
    }
    let wall = started.elapsed().as_secs_f64();
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
    println!("wall time {wall:.3} s");
    println!(
        "simulated records per second (wall): {:.0}",
        acked as f64 / wall
    );
    println!(
        "simulated-to-real time ratio: {:.1}x",
        seconds as f64 / wall
    );
    ExitCode::SUCCESS
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
