//! The `playground` binary, run as a user runs it: exit codes, `FILE:LINE` messages, hints, and
//! no panic on any input.
//!
//! The binary belongs to another package (`server/`), so `CARGO_BIN_EXE_playground` is not
//! available here: the first test to need it runs `cargo build -p playground` (a no-op when it is
//! up to date) in the profile this test was built with, then runs `target/<profile>/playground`.

use std::path::Path;
use std::process::{Command, Output};

use playground_tests::{Rng, Scratch, playground};

/// Runs the binary in `dir` with `args`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(playground())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("playground runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Panics with the full output unless the run exited with `code` and did not panic.
fn assert_exit(out: &Output, code: i32, what: &str) {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        !stderr.contains("panicked") && !stdout.contains("panicked"),
        "{what}: the binary panicked\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}: wrong exit status\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

/// Whether `line` reads `FILE:LINE:COL: message` with numeric LINE and COL.
fn is_diagnostic(line: &str, file: &str, want_line: u32) -> bool {
    let Some(rest) = line.strip_prefix(&format!("{file}:")) else {
        return false;
    };
    let mut parts = rest.splitn(3, ':');
    let (Some(l), Some(c), Some(msg)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    l.parse::<u32>() == Ok(want_line)
        && c.parse::<u32>().is_ok_and(|c| c >= 1)
        && msg.starts_with(' ')
        && msg.trim().len() > 3
}

const SETUP: &str = "brokers 3\ntopic create t partitions=1 replication=3\n";

#[test]
fn failing_expectation_exits_1_with_file_line_expected_got() {
    let dir = Scratch::new("fail");
    std::fs::write(
        dir.join("fail.scenario"),
        format!("{SETUP}expect leader t/0 == 2\n"),
    )
    .unwrap();
    let out = run_in(&dir, &["run", "fail.scenario"]);
    assert_exit(&out, 1, "failing expectation");
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("fail.scenario:3: expected "))
        .unwrap_or_else(|| panic!("no `fail.scenario:3: expected …` line in:\n{stdout}"));
    assert!(line.contains("leader t/0 == 2"), "{line}");
    assert!(line.ends_with(", got 1"), "{line}");
}

#[test]
fn failing_expectation_in_one_of_several_files_exits_1() {
    let dir = Scratch::new("fail-several");
    std::fs::write(
        dir.join("good.scenario"),
        format!("{SETUP}expect leader t/0 == 1\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("bad.scenario"),
        format!("{SETUP}wait 1s\nexpect broker 2 == down\n"),
    )
    .unwrap();
    let out = run_in(&dir, &["run", "good.scenario", "bad.scenario"]);
    assert_exit(&out, 1, "one failing file of two");
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("bad.scenario:4: expected ")),
        "{stdout}"
    );
    assert!(
        !stdout
            .lines()
            .any(|l| l.starts_with("good.scenario:") && l.contains("expected ")),
        "{stdout}"
    );
}

#[test]
fn parse_error_exits_2_with_file_line_col() {
    let dir = Scratch::new("parse");
    std::fs::write(
        dir.join("bad.scenario"),
        "brokers 3\nbroker explode 1\nwait 5x\n",
    )
    .unwrap();
    let out = run_in(&dir, &["run", "bad.scenario"]);
    assert_exit(&out, 2, "parse error");
    let stderr = text(&out.stderr);
    assert!(
        stderr.lines().any(|l| is_diagnostic(l, "bad.scenario", 2)),
        "{stderr}"
    );
    // Every error in the file is reported, not just the first.
    assert!(
        stderr.lines().any(|l| is_diagnostic(l, "bad.scenario", 3)),
        "{stderr}"
    );
}

#[test]
fn a_parse_error_anywhere_means_nothing_runs() {
    let dir = Scratch::new("nothing-runs");
    std::fs::write(
        dir.join("good.scenario"),
        format!("{SETUP}say \"hello from good\"\n"),
    )
    .unwrap();
    std::fs::write(dir.join("bad.scenario"), "brokers 3\nwait forever\n").unwrap();
    let out = run_in(&dir, &["run", "good.scenario", "bad.scenario"]);
    assert_exit(&out, 2, "one unparsable file of two");
    let stdout = text(&out.stdout);
    assert!(
        !stdout.contains("hello from good"),
        "a file ran despite a parse error:\n{stdout}"
    );
    assert!(
        text(&out.stderr)
            .lines()
            .any(|l| is_diagnostic(l, "bad.scenario", 2))
    );
}

#[test]
fn misspellings_get_did_you_mean_hints() {
    let dir = Scratch::new("hint");
    let cases = [
        (
            "option",
            "brokers 3\ntopic create t partitions=1 replicaton=3\n",
            2,
            "'replication'",
        ),
        ("command", "brokrs 3\n", 1, "'brokers'"),
        (
            "metric",
            "brokers 3\ntopic create t partitions=1 replication=3\nexpect leadr t/0 == 1\n",
            3,
            "'leader'",
        ),
    ];
    for (what, src, line, suggestion) in cases {
        let file = format!("{what}.scenario");
        std::fs::write(dir.join(&file), src).unwrap();
        for sub in ["run", "check"] {
            let out = run_in(&dir, &[sub, &file]);
            assert_exit(&out, 2, &format!("misspelled {what} ({sub})"));
            let stderr = text(&out.stderr);
            let diag = stderr
                .lines()
                .find(|l| is_diagnostic(l, &file, line))
                .unwrap_or_else(|| panic!("no {file}:{line}:COL diagnostic in:\n{stderr}"));
            assert!(
                diag.contains(&format!("did you mean {suggestion}")),
                "misspelled {what}: no hint {suggestion} in {diag:?}"
            );
        }
    }
}

#[test]
fn misspelled_option_points_at_its_column() {
    let dir = Scratch::new("column");
    std::fs::write(
        dir.join("col.scenario"),
        "brokers 3\ntopic create t partitions=1 replicaton=3\n",
    )
    .unwrap();
    let out = run_in(&dir, &["check", "col.scenario"]);
    assert_exit(&out, 2, "misspelled option");
    let stderr = text(&out.stderr);
    // `replicaton` starts at character 29 of line 2.
    assert!(stderr.contains("col.scenario:2:29: "), "{stderr}");
}

#[test]
fn lines_over_the_room_limits_exit_2_naming_the_limit() {
    // Each of these once passed `check`, then panicked (exit 101), froze or ate gigabytes.
    let dir = Scratch::new("limits");
    let cases = [
        (
            "key-range",
            "producer add p topic=t rate=1/s keys=k-0..k-18446744073709551615\n",
            3,
            38,
            "the key range has 18,446,744,073,709,551,616 keys, above the limit of 100,000",
        ),
        (
            "flood",
            "producer add flood topic=t rate=1000000000/s\n",
            3,
            33,
            "the rate 1,000,000,000/s is above the room's limit of 5,000 records/s",
        ),
        (
            "flood-rate",
            "producer add p topic=t rate=5/s\nproducer rate p 1000000000/s\n",
            4,
            17,
            "the rate 1,000,000,000/s is above the room's limit of 5,000 records/s",
        ),
        (
            "total-rate",
            "producer add a topic=t rate=5000/s\nproducer add b topic=t rate=5000/s\nproducer add c topic=t rate=2000/s\n",
            5,
            29,
            "the sum of producer rates would be 12,000/s, above the limit of 10,000/s",
        ),
        (
            "long-wait",
            "producer add p topic=t rate=5000/s\nwait 1h\n",
            4,
            6,
            "wait 1h is too much simulated work for one step",
        ),
    ];
    for (name, body, line, col, message) in cases {
        let file = format!("{name}.scenario");
        std::fs::write(dir.join(&file), format!("{SETUP}{body}")).unwrap();
        for sub in ["check", "run"] {
            let out = run_in(&dir, &[sub, &file]);
            assert_exit(&out, 2, &format!("{sub} {file}"));
            let stderr = text(&out.stderr);
            let want = format!("{file}:{line}:{col}: {message}");
            assert!(
                stderr.lines().any(|l| l.starts_with(&want)),
                "{sub} {file}: no `{want}` in:\n{stderr}"
            );
            assert!(text(&out.stdout).is_empty(), "{sub} {file} ran something");
        }
    }
    // The 70-byte scenario that settled near 1 GB per room.
    std::fs::write(
        dir.join("wide.scenario"),
        "brokers 12\ntopic create t partitions=1024 replication=12\n",
    )
    .unwrap();
    let out = run_in(&dir, &["check", "wide.scenario"]);
    assert_exit(&out, 2, "check wide.scenario");
    assert!(
        text(&out.stderr).contains(
            "wide.scenario:2:27: the cluster would have 12,288 partition replicas (partitions × replication over all topics), above the limit of 1,536"
        ),
        "{}",
        text(&out.stderr)
    );
}

fn bundled_scenarios() -> Vec<String> {
    playground_tests::scenario_files()
        .iter()
        .map(|p| p.display().to_string())
        .collect()
}

/// The Streams examples of docs/scenario-language.md: `playground check` accepts each (they
/// join `scenarios/` to be run once the cluster runs Streams applications).
#[test]
fn check_accepts_the_streams_scenarios() {
    let files: Vec<String> = playground_tests::streams_scenario_files()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert!(files.len() >= 6, "{files:?}");
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    let out = run_in(Path::new(env!("CARGO_MANIFEST_DIR")), &args);
    assert_exit(&out, 0, "check on the streams scenarios");
    let stdout = text(&out.stdout);
    for f in &files {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{f}: ok"))),
            "{f} not ok:\n{stdout}"
        );
    }
}

#[test]
fn check_accepts_every_bundled_scenario() {
    let files = bundled_scenarios();
    assert!(files.len() >= 10, "{files:?}");
    let mut args = vec!["check"];
    args.extend(files.iter().map(String::as_str));
    let out = run_in(Path::new(env!("CARGO_MANIFEST_DIR")), &args);
    assert_exit(&out, 0, "check on the bundled scenarios");
    let stdout = text(&out.stdout);
    for f in &files {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{f}: ok"))),
            "{f} not ok:\n{stdout}"
        );
    }
}

#[test]
fn run_on_a_passing_scenario_exits_0_and_narrates() {
    let dir = Scratch::new("pass");
    let src = format!(
        "title \"a tiny lesson\"\n{SETUP}producer add p topic=t rate=50/s keys=none\nsay \"Broker 1 leads, héllo 🚗\"\nwait 2s\nexpect leader t/0 == 1\nexpect acked t > 0\nsay \"done\"\n"
    );
    std::fs::write(dir.join("pass.scenario"), src).unwrap();
    let out = run_in(&dir, &["run", "pass.scenario"]);
    assert_exit(&out, 0, "passing scenario");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("a tiny lesson"), "no title:\n{stdout}");
    assert!(
        stdout.contains("Broker 1 leads, héllo 🚗"),
        "no narration:\n{stdout}"
    );
    assert!(stdout.contains("done"), "no narration:\n{stdout}");
    assert!(!stdout.contains(": expected "), "{stdout}");
}

#[test]
fn run_on_a_bundled_scenario_exits_0() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/controlled-shutdown.scenario");
    let out = run_in(Path::new("."), &["run", &file.display().to_string()]);
    assert_exit(&out, 0, "controlled-shutdown.scenario");
}

#[test]
fn missing_file_exits_2() {
    let dir = Scratch::new("missing");
    let out = run_in(&dir, &["run", "nope.scenario"]);
    assert_exit(&out, 2, "missing file");
    assert!(text(&out.stderr).contains("nope.scenario"));
}

/// Inputs that must be refused with exit 2 (never a panic).
fn garbage_inputs() -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    // Random bytes: almost surely invalid UTF-8.
    for i in 0..4 {
        let len = 1 + rng.below(4096);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        inputs.push((format!("random-bytes-{i}"), bytes));
    }
    // Random valid UTF-8 that is not a command: control characters, NULs, symbols, emoji.
    let alphabet: Vec<char> = "\0\u{1}\u{7f}\t\r=/,.\"\\#é日🚗\u{feff}\u{200d}abc123 "
        .chars()
        .collect();
    for i in 0..6 {
        let len = 1 + rng.below(2000);
        let mut s = String::from("\u{1}"); // the first line is never a valid command
        s.extend((0..len).map(|_| alphabet[rng.below(alphabet.len())]));
        inputs.push((format!("random-text-{i}"), s.into_bytes()));
    }
    let fixed: &[(&str, &[u8])] = &[
        ("nul-bytes", b"brokers\0 3\n\0\0\0\n"),
        ("utf16-le", b"\xff\xfeb\0r\0o\0k\0e\0r\0s\0 \x003\0"),
        ("lone-continuation", b"brokers 3\n\x80\x80\n"),
        ("truncated-utf8", b"brokers 3\nsay \"\xe6\x97"),
        ("truncated-string", b"brokers 3\ntopic create t partitions=1 replication=3\nsay \"unterminated"),
        ("truncated-option", b"brokers 3\ntopic create t partitions="),
        ("truncated-command", b"brokers 3\ntopic cre"),
        ("truncated-duration", b"brokers 3\nwait 1."),
        ("truncated-at", b"brokers 3\nat 5s"),
        ("truncated-expect", b"brokers 3\ntopic create t partitions=1 replication=3\nexpect leader t/0 =="),
        ("huge-numbers", b"brokers 99999999999999999999999999\nwait 99999999999999999999h\n"),
        ("huge-rate", b"brokers 3\ntopic create t partitions=1 replication=3\nproducer add p topic=t rate=18446744073709551615/s\n"),
        ("negative", b"brokers -3\n"),
        ("only-escapes", b"\"\\\\\\\"\\"),
        ("bad-escape", b"say \"\\n\"\n"),
        ("partition-self", b"brokers 3\nnetwork partition 1 / 1\n"),
        ("at-in-the-past", b"brokers 3\nwait 5s\nat 1s broker kill 1\n"),
        ("unknown-broker", b"brokers 3\nbroker kill 4\n"),
        ("huge-key-range", b"brokers 3\ntopic create t partitions=1 replication=3\nproducer add p topic=t rate=1/s keys=k-0..k-18446744073709551615\n"),
        ("flood", b"brokers 3\ntopic create t partitions=1 replication=3\nproducer add p topic=t\nproducer rate p 4294967295/s\n"),
        ("spinning-timer", b"brokers 3 replica-lag=1us\n"),
        ("too-many-replicas", b"brokers 12\ntopic create t partitions=1024 replication=12\n"),
        ("long-wait", b"brokers 3\nwait 99999h\n"),
    ];
    for (name, bytes) in fixed {
        inputs.push((name.to_string(), bytes.to_vec()));
    }
    let long_line = format!("brokers 3\n{}\n", "x".repeat(1 << 20));
    inputs.push(("one-megabyte-line".into(), long_line.into_bytes()));
    inputs
}

#[test]
fn garbage_input_exits_2_without_panicking() {
    let dir = Scratch::new("garbage");
    for (name, bytes) in garbage_inputs() {
        let file = format!("{name}.scenario");
        std::fs::write(dir.join(&file), &bytes).unwrap();
        for sub in ["check", "run"] {
            let out = run_in(&dir, &[sub, &file]);
            assert_exit(&out, 2, &format!("{sub} {file}"));
            assert!(
                text(&out.stderr).contains(&file),
                "{sub} {file}: stderr does not name the file:\n{}",
                text(&out.stderr)
            );
        }
    }
}

#[test]
fn every_truncation_of_a_bundled_scenario_is_handled() {
    // Cut a bundled scenario at every character: each prefix either checks (0) or is refused (2).
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/unclean-election-loses-records.scenario");
    let src = std::fs::read_to_string(path).expect("readable");
    let dir = Scratch::new("truncations");
    let mut files = Vec::new();
    for (i, (at, _)) in src.char_indices().enumerate().step_by(3) {
        let file = format!("cut-{i:05}.scenario");
        std::fs::write(dir.join(&file), &src[..at]).unwrap();
        files.push(file);
    }
    // Each file on its own, so that one refused file does not hide another's panic.
    let mut refused = 0;
    for file in &files {
        let out = run_in(&dir, &["check", file]);
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{file}: {stderr}");
        match out.status.code() {
            Some(0) => {}
            Some(2) => {
                refused += 1;
                assert!(
                    stderr.lines().any(|l| l.starts_with(file.as_str())),
                    "{file}: {stderr}"
                );
            }
            other => panic!("{file}: exit {other:?}\n{stderr}"),
        }
    }
    println!("{} truncations, {refused} refused", files.len());
    assert!(refused > 0);
}

#[test]
fn a_command_refused_at_run_time_exits_1_with_file_line() {
    let dir = Scratch::new("refused");
    std::fs::write(
        dir.join("twice.scenario"),
        "brokers 3\nbroker kill 1\nwait 1s\nbroker kill 1\n",
    )
    .unwrap();
    let out = run_in(&dir, &["run", "twice.scenario"]);
    assert_exit(&out, 1, "killing a dead broker");
    let stdout = text(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("twice.scenario:4: ")),
        "{stdout}"
    );
}

#[test]
fn run_events_prints_one_json_object_per_line() {
    let dir = Scratch::new("events");
    let src =
        format!("{SETUP}producer add p topic=t rate=20/s\nwait 1s\nbroker kill 1\nwait 10s\n");
    std::fs::write(dir.join("events.scenario"), src).unwrap();
    let out = run_in(&dir, &["run", "--events", "events.scenario"]);
    assert_exit(&out, 0, "run --events");
    let stdout = text(&out.stdout);
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert!(!events.is_empty(), "{stdout}");
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    for wanted in [
        "broker-up",
        "topic-created",
        "leader-elected",
        "broker-down",
    ] {
        assert!(types.contains(&wanted), "no {wanted} event in {types:?}");
    }
    let times: Vec<u64> = events
        .iter()
        .map(|e| e["at_us"].as_u64().expect("at_us"))
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "events out of time order"
    );
}
