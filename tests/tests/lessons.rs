//! The bundled lessons as a class gets them: every `expect` holds, the story stops at its pauses,
//! and it never goes quiet. A teacher projecting a lesson at 1× needs something new said or
//! shown (a caption or a focus) at least every 15 s between pauses; longer, and the room watches
//! a screen that does not tell it what to look at.

use engine::runner::Beat;
use engine::time::{Micros, secs};
use playground_tests::lesson_files;

/// The longest a lesson may go without a new caption or focus between two pauses.
const MAX_QUIET: Micros = secs(15);

#[test]
fn every_lesson_passes_and_never_goes_quiet() {
    let files = lesson_files();
    assert_eq!(files.len(), 20, "twenty bundled lessons");
    let mut problems = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        let src = std::fs::read_to_string(path).expect("readable lesson");
        let script = engine::scenario::parse(&name, &src)
            .unwrap_or_else(|d| panic!("{name} does not parse: {d:?}"));
        let (report, cluster) = engine::runner::run(&script, |_| {});
        cluster.check_invariants();
        let (quiet, ends) = report.longest_quiet();
        let pauses = report
            .beats
            .iter()
            .filter(|(_, b)| *b == Beat::Pause)
            .count();
        println!(
            "{name}: plays {} at 1x, {pauses} pauses, longest stretch with nothing new {} (to {})",
            seconds(report.end_us),
            seconds(quiet),
            seconds(ends)
        );
        if !report.passed() {
            problems.push(format!("{name}: {}", report.lines.join("\n")));
        }
        if pauses == 0 {
            problems.push(format!("{name}: no pause"));
        }
        let first_focus = report.beats.iter().position(|(_, b)| *b == Beat::Focus);
        let first_pause = report.beats.iter().position(|(_, b)| *b == Beat::Pause);
        if first_focus.is_none_or(|f| first_pause.is_some_and(|p| p < f)) {
            problems.push(format!("{name}: its first pause comes before any focus"));
        }
        if quiet > MAX_QUIET {
            problems.push(format!(
                "{name}: {} with nothing new said or shown, up to {}",
                seconds(quiet),
                seconds(ends)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `12.5 s`: easier to read in a report than the exact durations scenario files use.
fn seconds(us: Micros) -> String {
    format!("{:.1} s", us as f64 / 1e6)
}
