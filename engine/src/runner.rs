//! The headless runner: plays a parsed scenario in simulated time as fast as the machine allows,
//! checking `expect` lines as it goes. `playground run` and the test suite both use it.

use crate::cluster::Cluster;
use crate::event::TimedEvent;
use crate::limits;
use crate::scenario::{Action, Expectation, Script, expect};
use crate::time::Micros;

/// What a run printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Narration and failures, in order, ready to print.
    pub lines: Vec<String>,
    pub expectations: usize,
    pub failures: usize,
    pub end_us: Micros,
    /// When the story moved on, in order: what a lesson's pacing is measured by.
    pub beats: Vec<(Micros, Beat)>,
}

/// A moment the audience is given something: a new caption, a new focus, or a `pause` (the
/// presenter's turn to talk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    Say,
    Focus,
    Pause,
}

impl RunReport {
    pub fn passed(&self) -> bool {
        self.failures == 0
    }

    /// The longest stretch of simulated time (wall time at 1×) in which nothing new was said or
    /// shown: between two beats, before the first or after the last. Time spent at a pause is the
    /// presenter's and is not simulated, so a pause ends a stretch and starts the next.
    /// Returns the stretch's length and where it ends.
    pub fn longest_quiet(&self) -> (Micros, Micros) {
        let mut longest = (0, 0);
        let mut from = 0;
        let ends = self.beats.iter().map(|&(t, _)| t).chain([self.end_us]);
        for t in ends {
            if t.saturating_sub(from) > longest.0 {
                longest = (t - from, t);
            }
            from = t;
        }
        longest
    }
}

/// A cluster (seed 1) set up by the cluster commands of `script` alone, recording no events: what
/// the throughput benchmarks start from (`playground bench`, `engine/examples/cluster_bench.rs`).
pub fn bench_cluster(script: &Script) -> Result<Cluster, crate::cluster::CommandError> {
    let mut cluster = Cluster::new(1);
    cluster.record_events = false;
    for step in &script.steps {
        if let Action::Cluster(c) = &step.action {
            cluster.apply(c.clone())?;
        }
    }
    Ok(cluster)
}

/// Runs a script, handing every batch of events to `observe` (in order) as they happen.
pub fn run(script: &Script, mut observe: impl FnMut(&[TimedEvent])) -> (RunReport, Cluster) {
    let mut cluster = Cluster::new(script.seed.unwrap_or(0));
    let mut report = RunReport::default();
    let mut t: Micros = 0;
    let file = &script.file;
    for step in &script.steps {
        let line = step.pos.line;
        if let Some(at) = step.at {
            if at > t
                && let Err(e) = check_step(&cluster, &limits::at_step(at, t), at - t)
            {
                stop(&mut report, format!("{file}:{line}: {e}"), t);
                return (report, cluster);
            }
            t = t.max(at);
            advance(&mut cluster, t, &mut observe);
        }
        match &step.action {
            Action::Cluster(cmd) => {
                if let Err(e) = cluster.apply(cmd.clone()) {
                    report.failures += 1;
                    report
                        .lines
                        .push(format!("{file}:{line}: command failed: {e}"));
                }
                drain(&mut cluster, &mut observe);
            }
            Action::Wait(d) => {
                if let Err(e) = check_step(&cluster, &limits::wait_step(*d), *d) {
                    stop(&mut report, format!("{file}:{line}: {e}"), t);
                    return (report, cluster);
                }
                t = t.saturating_add(*d);
                advance(&mut cluster, t, &mut observe);
            }
            Action::WaitUntil {
                expectation,
                timeout,
            } => {
                let what = limits::wait_until_step(*timeout);
                if let Err(e) = check_step(&cluster, &what, *timeout) {
                    stop(&mut report, format!("{file}:{line}: {e}"), t);
                    return (report, cluster);
                }
                report.expectations += 1;
                let deadline = t.saturating_add(*timeout);
                if let Err(msg) = play_until(&mut cluster, expectation, deadline, &mut observe) {
                    report.lines.push(format!("{file}:{line}: {msg}"));
                    let waited = crate::time::format_duration(*timeout);
                    stop(
                        &mut report,
                        format!("wait until gave up after {waited}"),
                        cluster.now(),
                    );
                    return (report, cluster);
                }
                t = cluster.now();
            }
            Action::Pause => report.beats.push((t, Beat::Pause)),
            Action::Focus(_) => report.beats.push((t, Beat::Focus)),
            Action::Say(text) => {
                report.beats.push((t, Beat::Say));
                // The narration, then its code listing indented under it.
                // `{bootstrap}` is the live room's listener address; headless, the default one.
                let text = text.replace("{bootstrap}", "localhost:9092");
                let mut said = text.lines();
                let narration = said.next().unwrap_or("");
                report
                    .lines
                    .push(format!("[{}] {narration}", crate::time::format_duration(t)));
                report.lines.extend(said.map(|code| format!("    {code}")));
            }
            Action::Expect(e) => {
                report.expectations += 1;
                if let Err(msg) = expect::check(&cluster, e) {
                    report.failures += 1;
                    report.lines.push(format!("{file}:{line}: {msg}"));
                }
            }
        }
    }
    report.end_us = t;
    (report, cluster)
}

/// The parser refuses a step over the limits on simulated time (`crate::limits`); a script
/// built some other way is checked here, against the producers actually running.
fn check_step(cluster: &Cluster, what: &str, d: Micros) -> Result<(), String> {
    limits::check_step(what, d, &cluster.load())
}

/// Ends a run early on a step the runner will not play (the rest of the script would run at the
/// wrong time), or after a `wait until` that timed out (the story it waited for did not happen).
fn stop(report: &mut RunReport, message: String, t: Micros) {
    report.failures += 1;
    report.lines.push(message);
    report
        .lines
        .push("the run stopped here: the steps after it were not played".into());
    report.end_us = t;
}

/// `wait until`: plays `cluster` one instant at a time (every timer due at that instant, or a
/// metrics sample) and checks `e` after each, so it stops at the very instant `e` first holds
/// (at once if it already does). `Err` with the expectation's message if `deadline` comes first.
/// The live room steps the same way (`server/src/room`), so both stop at the same instant.
pub fn play_until(
    cluster: &mut Cluster,
    e: &Expectation,
    deadline: Micros,
    observe: &mut impl FnMut(&[TimedEvent]),
) -> Result<(), String> {
    loop {
        match expect::check(cluster, e) {
            Ok(()) => return Ok(()),
            Err(message) if cluster.now() >= deadline => return Err(message),
            Err(_) => {}
        }
        cluster.advance_to(cluster.next_instant().min(deadline));
        drain(cluster, observe);
    }
}

/// Advances in slices so that events are drained while memory stays bounded.
fn advance(cluster: &mut Cluster, until: Micros, observe: &mut impl FnMut(&[TimedEvent])) {
    const SLICE_US: Micros = crate::time::secs(1);
    while cluster.now() < until {
        let next = (cluster.now() + SLICE_US).min(until);
        cluster.advance_to(next);
        drain(cluster, observe);
    }
}

/// Hands the events to `observe`; answers to replayed real clients' requests (`kafka-client`
/// lines) go nowhere, as nobody is connected to wait for them, so they are dropped here rather
/// than kept for the whole run.
fn drain(cluster: &mut Cluster, observe: &mut impl FnMut(&[TimedEvent])) {
    observe(&cluster.drain_events());
    cluster.drop_external_answers();
}
