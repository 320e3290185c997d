//! The console against a hostile user: no line can panic the engine or exhaust a room.
//!
//! Each case sets up a small cluster from a scenario (brokers, a topic, a producer, a group),
//! then types a sequence of console lines the way a room does (`server/src/room/mod.rs`,
//! `console`): each is parsed by `parser::parse_line` against the context the lines so far built,
//! then applied with `Cluster::apply`, with simulated time moving a little between lines. The
//! lines are every command form of the language filled with arbitrary and extreme values (0,
//! u32::MAX, u64::MAX, negative numbers, `99999999999h`, empty names, unicode, key ranges with
//! extreme ends) and raw random strings.
//!
//! After every line: nothing panicked; a refused line (a parse error or a command the cluster
//! refuses) left the cluster exactly as it was (its snapshot serialised byte for byte, its clock,
//! no events) and the console's context untouched; the cluster's invariants hold; and simulated
//! time costs a bounded number of timers (a line that made a client spin would show here).
//!
//! `PROPTEST_CASES` sets the number of cases (default 10,000), `PROPTEST_RNG_SEED` fixes the
//! generator. A failure prints the case's seed and what was typed, line by line.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use engine::Cluster;
use engine::scenario::parser::{self, Context};
use engine::scenario::{Action, Step, expect};
use engine::time::{Micros, format_duration, ms};
use playground_tests::{assert_property, catch_failure, proptest_config_with_cases};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};

/// Most simulated time between two lines.
const MAX_GAP_MS: u64 = 500;
/// A `wait` plays the clock for its duration in a room; here for at most this long, to keep ten
/// thousand cases within a minute.
const MAX_WAIT_PLAYED: Micros = ms(2000);
/// Timers one simulated second may fire in these small clusters, plus a constant for the instants
/// a line schedules. The busiest cases fire about 20,000 per simulated second (two producers at
/// their limits, consumers processing at theirs); a client re-arming a timer every microsecond
/// would fire a million. (One re-arming at the very same instant never returns: the test hangs.)
const MAX_TIMERS_PER_SECOND: u64 = 200_000;
const TIMER_SLACK: u64 = 20_000;

// ---------------------------------------------------------------------------------------------
// Lines
// ---------------------------------------------------------------------------------------------

/// Numbers as a user might type them, valid and not.
const NUMBERS: &[&str] = &[
    "1",
    "2",
    "3",
    "0",
    "4",
    "12",
    "13",
    "64",
    "65",
    "256",
    "1024",
    "1025",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "-1",
    "",
    "1.5",
    "0x10",
    "٣",
];

const DURATIONS: &[&str] = &[
    "1s",
    "10s",
    "100ms",
    "0s",
    "1us",
    "5s",
    "99ms",
    "45s",
    "1m",
    "24h",
    "25h",
    "8760h",
    "8761h",
    "99999999999h",
    "18446744073709551615us",
    "18446744073709551616us",
    "1.5s",
    "0.0000001s",
    "-1s",
    "1",
    "s",
    "5x",
];

const RATES: &[&str] = &[
    "5/s",
    "1/s",
    "0/s",
    "300/m",
    "1/h",
    "5000/s",
    "5001/s",
    "10000/s",
    "10001/s",
    "1000000000/s",
    "300060/m",
    "4294967295/s",
    "5124095576030431/s",
    "5124095576030432/s",
    "18446744073709551615/s",
    "18446744073709551615/m",
    "18446744073709551615/h",
    "-1/s",
    "x/s",
    "1/d",
    "/s",
];

const TOPICS: &[&str] = &[
    "orders",
    "t2",
    "orders",
    "ordrs",
    "",
    "é",
    "..",
    "a/b",
    "orders,orders",
    "orders,t2",
];

const PRODUCERS: &[&str] = &["p1", "p2", "p3", "q", "", "console", "é🚀"];

const GROUPS: &[&str] = &["g", "h", "i", "x", "", "a,b", "é🚀"];

const CONSUMERS: &[&str] = &["g-1", "c1", "g-2", "h-1", "c2", "g-3", "none", "", "a,b"];

const KEY_RANGES: &[&str] = &[
    "k-1..k-50",
    "k-0..k-18446744073709551615",
    "k-1..k-100000",
    "k-0..k-100000",
    "k-18446744073709551615..k-18446744073709551615",
    "k-18446744073709551614..k-18446744073709551615",
    "k-5..k-1",
    "k-1..j-2",
    "k-01..k-2",
    "k-1..k-18446744073709551616",
    "..",
    "none",
    "1..4294967296",
];

const TEXTS: &[&str] = &[
    "k",
    "v",
    "",
    "\"héllo wörld\"",
    "\"\"",
    "🚀",
    "\"a \\\"b\\\"\"",
];

const PARTITIONS: &[&str] = &[
    "orders/0",
    "orders/2",
    "orders/3",
    "orders/4294967295",
    "orders/4294967296",
    "orders/-1",
    "/0",
    "orders/",
    "t2/0",
];

const BROKER_LISTS: &[&str] = &["1", "2", "1,2", "3", "1,1", "0", "4294967295", "", "1,,2"];

/// Builds a line from a stream of random choices.
struct Builder<'a> {
    choices: &'a [u64],
    next: usize,
    parts: Vec<String>,
}

impl Builder<'_> {
    fn choice(&mut self) -> u64 {
        let c = self.choices.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        c
    }

    /// A value of the pool: three times in four one of its first three (the pools start with
    /// values that are valid in the case's cluster), otherwise any.
    fn pick<'p>(&mut self, pool: &[&'p str]) -> &'p str {
        let c = self.choice();
        let n = if !c.is_multiple_of(4) {
            pool.len().min(3)
        } else {
            pool.len()
        };
        pool[((c / 4) % n as u64) as usize]
    }

    /// Mostly values from the pool, sometimes any number of this many bits.
    fn number(&mut self) -> String {
        match self.choice() % 8 {
            0 => (self.choice() % 64).to_string(),
            1 => (self.choice() as u32).to_string(),
            2 => self.choice().to_string(),
            _ => self.pick(NUMBERS).to_string(),
        }
    }

    fn coin(&mut self) -> bool {
        self.choice().is_multiple_of(2)
    }

    fn word(&mut self, word: &str) {
        self.parts.push(word.to_string());
    }

    /// `name=value`, half of the time.
    fn maybe(&mut self, name: &str, value: impl FnOnce(&mut Self) -> String) {
        if self.coin() {
            let v = value(self);
            self.parts.push(format!("{name}={v}"));
        }
    }

    /// A required `name=value`: left out one time in eight.
    fn required(&mut self, name: &str, value: impl FnOnce(&mut Self) -> String) {
        if !self.choice().is_multiple_of(8) {
            let v = value(self);
            self.parts.push(format!("{name}={v}"));
        }
    }
}

/// One structured line: command form `form`, values from `choices`.
fn structured(form: u8, choices: &[u64]) -> String {
    let mut b = Builder {
        choices,
        next: 0,
        parts: Vec::new(),
    };
    let duration = |b: &mut Builder| b.pick(DURATIONS).to_string();
    let rate = |b: &mut Builder| b.pick(RATES).to_string();
    let number = |b: &mut Builder| b.number();
    let text = |b: &mut Builder| b.pick(TEXTS).to_string();
    match form % 24 {
        0 => {
            b.word("brokers");
            let n = b.number();
            b.word(&n);
            b.maybe("latency", duration);
            b.maybe("replica-lag", duration);
            b.maybe("session-timeout", duration);
            b.maybe("retention-check", duration);
        }
        1 if b.coin() => {
            b.word("topic delete");
            let t = b.pick(&["t2", "orders", "__consumer_offsets", "", "é", "nope"]);
            b.word(t);
        }
        1 => {
            b.word("topic create");
            let t = b.pick(&["t2", "t3", "orders", "", "é", ".."]);
            b.word(t);
            b.required("partitions", number);
            b.required("replication", number);
            b.maybe("min-insync", number);
            b.maybe("unclean-election", |b| {
                b.pick(&["true", "false", "yes"]).into()
            });
            b.maybe("retention", duration);
            b.maybe("cleanup", |b| b.pick(&["delete", "compact", "both"]).into());
            b.maybe("retention-bytes", number);
            b.maybe("segment", duration);
            b.maybe("segment-bytes", number);
        }
        2 | 3 => {
            b.word("producer add");
            let n = b.pick(&PRODUCERS[1..]);
            b.word(n);
            b.required("topic", |b| b.pick(TOPICS).into());
            b.maybe("rate", rate);
            if b.coin() {
                b.maybe("keys", |b| b.pick(KEY_RANGES).into());
            } else {
                b.maybe("key", text);
            }
            b.maybe("acks", |b| b.pick(&["all", "1", "0", "-1", "2"]).into());
            b.maybe("partitioner", |b| {
                b.pick(&["default", "round-robin", "sticky"]).into()
            });
            b.maybe("linger", duration);
        }
        4 => {
            let sub = b.pick(&["stop", "pause", "resume"]);
            b.word("producer");
            b.word(sub);
            let n = b.pick(PRODUCERS);
            b.word(n);
        }
        5 | 6 => {
            b.word("producer rate");
            let n = b.pick(PRODUCERS);
            b.word(n);
            let r = b.pick(RATES);
            b.word(r);
        }
        7 => {
            b.word("produce");
            let t = b.pick(TOPICS);
            b.word(t);
            b.maybe("key", text);
            b.maybe("value", text);
            b.maybe("acks", |b| b.pick(&["all", "1", "0"]).into());
        }
        8 => {
            let sub = b.pick(&["kill", "stop", "restart"]);
            b.word("broker");
            b.word(sub);
            let n = b.pick(BROKER_LISTS);
            b.word(n);
        }
        9 => {
            if b.coin() {
                b.word("network heal");
            } else {
                b.word("network partition");
                let a = b.pick(BROKER_LISTS);
                b.word(a);
                b.word("/");
                let c = b.pick(BROKER_LISTS);
                b.word(c);
            }
        }
        10 => {
            b.word("elect-leaders");
            if b.coin() {
                let p = b.pick(PARTITIONS);
                b.word(p);
            }
        }
        11 | 12 => {
            b.word("group add");
            let n = b.pick(&GROUPS[1..]);
            b.word(n);
            b.required("topics", |b| b.pick(TOPICS).into());
            b.maybe("consumers", number);
            b.maybe("assignor", |b| {
                b.pick(&["range", "roundrobin", "sticky", "cooperative-sticky", "x"])
                    .into()
            });
            b.maybe("offset-reset", |b| b.pick(&["earliest", "latest"]).into());
            b.maybe("session-timeout", duration);
            b.maybe("heartbeat", duration);
            b.maybe("max-poll-interval", duration);
            b.maybe("auto-commit", duration);
            b.maybe("rate", rate);
        }
        13 => {
            b.word("group delete");
            let n = b.pick(GROUPS);
            b.word(n);
        }
        14 => {
            b.word("consumer add");
            let n = b.pick(&CONSUMERS[1..]);
            b.word(n);
            b.required("group", |b| b.pick(GROUPS).into());
            b.maybe("topics", |b| b.pick(TOPICS).into());
            b.maybe("rate", rate);
        }
        15 => {
            let sub = b.pick(&["stop", "crash", "stall", "resume", "restart"]);
            b.word("consumer");
            b.word(sub);
            let n = b.pick(CONSUMERS);
            b.word(n);
        }
        16 => {
            b.word("consumer rate");
            let n = b.pick(CONSUMERS);
            b.word(n);
            let r = b.pick(RATES);
            b.word(r);
        }
        17 | 18 => {
            b.word("wait");
            let d = b.pick(DURATIONS);
            b.word(d);
        }
        19 => {
            // `at TIME LINE`: any other form, later.
            b.word("at");
            let d = b.pick(DURATIONS);
            b.word(d);
            let inner = (b.choice() % 17) as u8;
            let rest: Vec<u64> = choices.iter().skip(b.next).copied().collect();
            return format!("{} {}", b.parts.join(" "), structured(inner, &rest));
        }
        20 => {
            let metric = b.pick(&[
                "leader orders/0 == 1",
                "hw orders/4294967295 >= 0",
                "lag g == 0",
                "lost == 0",
                "acked orders > -1",
                "value orders/0 key=k == none",
                "members g == g-1,g-2",
                "partition orders key=🚀 == 0",
                "committed g orders/0 == none",
                "broker 4294967295 == up",
                "isr orders/0 == 1,2,3",
                "hw orders/0 == 99999999999999999999",
            ]);
            b.word("expect");
            b.word(metric);
        }
        21 => {
            let w = b.pick(&["pause", "say \"héllo\"", "say x", "title \"t\"", "seed 1"]);
            b.word(w);
        }
        22 => {
            let cut = b.choice();
            let line = structured((cut % 19) as u8, &choices[1..]);
            // A valid-looking line cut short.
            let chars: Vec<char> = line.chars().collect();
            let at = (b.choice() as usize) % (chars.len() + 1);
            return chars[..at].iter().collect();
        }
        _ => {
            b.word("producer add");
            let n = b.pick(&["p2", "p3", "flood"]);
            b.word(n);
            b.word("topic=orders");
            let r = b.pick(&["rate=1000000000/s", "rate=5000/s", "rate=4999/s"]);
            b.word(r);
            let k = b.pick(KEY_RANGES);
            b.word(&format!("keys={k}"));
        }
    }
    b.parts.join(" ")
}

fn line() -> impl Strategy<Value = String> {
    let raw_chars = proptest::sample::select(vec![
        ' ', '"', '\\', '#', '=', '/', ',', '.', '-', '0', '9', 'a', 'k', 's', '\t', '\0', 'é',
        '🦀', '\u{202e}', '\u{7f}', '\u{feff}',
    ]);
    prop_oneof![
        8 => (any::<u8>(), prop::collection::vec(any::<u64>(), 32))
            .prop_map(|(form, choices)| structured(form, &choices)),
        1 => "[a-z=/,.\" 0-9#-]{0,40}",
        1 => prop::collection::vec(raw_chars, 0..30).prop_map(|cs| cs.into_iter().collect()),
        1 => any::<String>(),
    ]
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    brokers: u32,
    partitions: u32,
    replication: u32,
    rate_per_s: u64,
    consumers: u32,
    /// (milliseconds of simulated time before the line, the line)
    lines: Vec<(u64, String)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        1u32..=4,
        1u32..=4,
        1u32..=3,
        0u64..=50,
        0u32..=3,
        prop::collection::vec((0..=MAX_GAP_MS, line()), 1..=16),
    )
        .prop_map(
            |(seed, brokers, partitions, replication, rate_per_s, consumers, lines)| Case {
                seed,
                brokers,
                partitions,
                replication: replication.min(brokers),
                rate_per_s,
                consumers,
                lines,
            },
        )
}

/// Counts over all cases, printed at the end.
#[derive(Default)]
struct Stats {
    cases: AtomicUsize,
    lines: AtomicUsize,
    parse_refused: AtomicUsize,
    apply_refused: AtomicUsize,
    applied: AtomicUsize,
    /// The most timers one simulated stretch of 100 ms or more fired, per simulated second.
    max_timers_per_second: AtomicU64,
}

/// A room's console, without the room: a cluster, the context of the lines so far, and the
/// `at` lines waiting for their time.
struct Console<'a> {
    cluster: Cluster,
    ctx: Context,
    /// `at` lines by (instant, order typed).
    scheduled: BTreeMap<(Micros, u64), Step>,
    typed_lines: u64,
    typed: &'a mut Vec<String>,
    stats: &'a Stats,
}

impl Console<'_> {
    /// A line typed now, as `Room::console` takes it.
    fn type_line(&mut self, line: &str) -> Result<(), TestCaseError> {
        self.stats.lines.fetch_add(1, Relaxed);
        let now = self.cluster.now();
        self.typed
            .push(format!("# at {} console> {line:?}", format_duration(now)));
        self.cluster.drain_events();
        let before = serde_json::to_string(&self.cluster.snapshot()).expect("serialises");
        let mut ctx = self.ctx.clone();
        ctx.time = now;
        let ctx_before = ctx.clone();
        let step = match parser::parse_line(line, &mut ctx) {
            Ok(None) => return Ok(()),
            Ok(Some(step)) => step,
            Err(d) => {
                self.stats.parse_refused.fetch_add(1, Relaxed);
                self.typed.push(format!("#   refused: {d}"));
                prop_assert_eq!(&ctx, &ctx_before, "a refused line changed the context");
                prop_assert_eq!(d.file.as_str(), "console");
                prop_assert!(d.pos.col >= 1 && d.pos.line == 1, "{}", d);
                let after = serde_json::to_string(&self.cluster.snapshot()).expect("serialises");
                prop_assert!(after == before, "a refused line changed the cluster");
                prop_assert_eq!(self.cluster.now(), now);
                prop_assert!(self.cluster.drain_events().is_empty());
                return Ok(());
            }
        };
        if let Some(at) = step.at.filter(|&at| at > now) {
            self.typed_lines += 1;
            self.scheduled.insert((at, self.typed_lines), step);
            self.ctx = ctx;
            return Ok(());
        }
        match &step.action {
            Action::Wait(d) => {
                self.ctx = ctx;
                let until = now + (*d).min(MAX_WAIT_PLAYED);
                self.advance_to(until)?;
            }
            _ => {
                if self.run(&step)? {
                    self.ctx = ctx;
                }
            }
        }
        Ok(())
    }

    /// Runs a step now; `false` when the cluster refused it (which must change nothing).
    fn run(&mut self, step: &Step) -> Result<bool, TestCaseError> {
        match &step.action {
            Action::Cluster(command) => {
                self.cluster.drain_events();
                let before = serde_json::to_string(&self.cluster.snapshot()).expect("serialises");
                let now = self.cluster.now();
                match self.cluster.apply(command.clone()) {
                    Ok(()) => {
                        self.stats.applied.fetch_add(1, Relaxed);
                        self.typed.push("#   applied".into());
                        self.ctx.apply(step);
                    }
                    Err(e) => {
                        self.stats.apply_refused.fetch_add(1, Relaxed);
                        self.typed.push(format!("#   the cluster refused: {e}"));
                        let after =
                            serde_json::to_string(&self.cluster.snapshot()).expect("serialises");
                        prop_assert!(
                            after == before,
                            "{:?} was refused ({}) but changed the cluster",
                            command,
                            e
                        );
                        prop_assert_eq!(self.cluster.now(), now);
                        let events = self.cluster.drain_events();
                        prop_assert!(
                            events.is_empty(),
                            "{:?} was refused ({}) but emitted {:?}",
                            command,
                            e,
                            events
                        );
                        self.cluster.check_invariants();
                        return Ok(false);
                    }
                }
                self.cluster.drain_events();
                self.cluster.check_invariants();
            }
            Action::Expect(e) => {
                // Whatever it measures, measuring must not panic.
                let _ = expect::check(&self.cluster, e);
                let _ = expect::measure(&self.cluster, &e.metric);
            }
            Action::WaitUntil { expectation, .. } => {
                // Measuring must not panic; the fuzzer plays time with `wait D` only.
                let _ = expect::check(&self.cluster, expectation);
            }
            Action::Wait(_) | Action::Pause | Action::Say(_) | Action::Focus(_) => {}
        }
        Ok(true)
    }

    /// Simulated time passes, running `at` lines at their instants, checking as it goes.
    fn advance_to(&mut self, until: Micros) -> Result<(), TestCaseError> {
        loop {
            let due = self
                .scheduled
                .first_key_value()
                .map(|(&(at, n), _)| (at, n))
                .filter(|&(at, _)| at <= until);
            let next = due.map_or(until, |(at, _)| at);
            let fired = self.cluster.timers_fired();
            let from = self.cluster.now();
            self.cluster.advance_to(next);
            self.cluster.drain_events();
            let spent = self.cluster.timers_fired() - fired;
            let elapsed = next.saturating_sub(from);
            if elapsed >= ms(100) {
                let rate = spent * 1_000_000 / elapsed;
                self.stats.max_timers_per_second.fetch_max(rate, Relaxed);
            }
            let bound = MAX_TIMERS_PER_SECOND * elapsed / 1_000_000 + TIMER_SLACK;
            prop_assert!(
                spent <= bound,
                "{} timers fired in {} of simulated time (bound {})",
                spent,
                format_duration(elapsed),
                bound
            );
            self.cluster.check_invariants();
            let Some(key) = due else { return Ok(()) };
            let step = self.scheduled.remove(&key).expect("due");
            self.typed.push(format!(
                "# at {} the scheduled line runs",
                format_duration(key.0)
            ));
            if !matches!(step.action, Action::Wait(_)) {
                self.run(&step)?;
            }
        }
    }
}

fn run_case(case: &Case, typed: &mut Vec<String>, stats: &Stats) -> Result<(), TestCaseError> {
    let setup = format!(
        "seed {}\nbrokers {}\ntopic create orders partitions={} replication={}\nproducer add p1 topic=orders rate={}/s keys=k-1..k-20\ngroup add g topics=orders consumers={}\n",
        case.seed, case.brokers, case.partitions, case.replication, case.rate_per_s, case.consumers
    );
    typed.extend(setup.lines().map(str::to_string));
    let script = engine::scenario::parse("setup.scenario", &setup)
        .map_err(|e| TestCaseError::fail(format!("the setup does not parse: {e:?}")))?;
    let mut cluster = Cluster::new(case.seed);
    let mut ctx = Context::default();
    for step in &script.steps {
        if let Action::Cluster(command) = &step.action {
            cluster
                .apply(command.clone())
                .map_err(|e| TestCaseError::fail(format!("setup {command:?}: {e}")))?;
        }
        ctx.apply(step);
    }
    cluster.drain_events();
    let mut console = Console {
        cluster,
        ctx,
        scheduled: BTreeMap::new(),
        typed_lines: 0,
        typed,
        stats,
    };
    for (gap_ms, line) in &case.lines {
        let until = console.cluster.now() + ms(*gap_ms);
        console.advance_to(until)?;
        console.type_line(line)?;
    }
    stats.cases.fetch_add(1, Relaxed);
    Ok(())
}

/// Ten thousand hostile console sessions: no panic, refused lines change nothing, invariants hold.
#[test]
fn no_console_line_panics_or_half_applies() {
    let stats = Stats::default();
    let started = Instant::now();
    let mut runner = TestRunner::new(proptest_config_with_cases(10_000));
    let result = runner.run(&case(), |case| {
        catch_failure(case.seed, |typed| run_case(&case, typed, &stats))
    });
    println!(
        "no_console_line_panics_or_half_applies: {} cases in {:.1} s; {} lines: {} refused by the parser, {} refused by the cluster, {} applied; at most {} timers per simulated second",
        stats.cases.load(Relaxed),
        started.elapsed().as_secs_f64(),
        stats.lines.load(Relaxed),
        stats.parse_refused.load(Relaxed),
        stats.apply_refused.load(Relaxed),
        stats.applied.load(Relaxed),
        stats.max_timers_per_second.load(Relaxed),
    );
    assert_property("no_console_line_panics_or_half_applies", result);
}

/// The lines of the bug reports, typed into a console: refused at the word, nothing changes.
#[test]
fn the_reported_lines_are_refused() {
    let stats = Stats::default();
    let mut typed = Vec::new();
    let case = Case {
        seed: 1,
        brokers: 3,
        partitions: 3,
        replication: 3,
        rate_per_s: 5,
        consumers: 2,
        lines: [
            "producer add flood topic=orders rate=1000000000/s",
            "producer rate p1 1000000000/s",
            "producer add p topic=orders rate=1/s keys=k-0..k-18446744073709551615",
            "brokers 12",
            "topic create big partitions=1024 replication=3",
            "wait 99999999999h",
        ]
        .iter()
        .map(|l| (10, l.to_string()))
        .collect(),
    };
    run_case(&case, &mut typed, &stats).unwrap_or_else(|e| panic!("{e}\n{}", typed.join("\n")));
    assert_eq!(stats.parse_refused.load(Relaxed), 6, "{}", typed.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Commands that do not come from the parser
// ---------------------------------------------------------------------------------------------

/// Names: existing ones, new ones, and ones no parser would let through.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(vec!["p1", "g", "g-1", "c1", "orders", "t2", "p2", "h"])
            .prop_map(str::to_string),
        1 => proptest::sample::select(vec!["", "console", "a,b", "é🚀", "none"])
            .prop_map(str::to_string),
        1 => Just("x".repeat(300)),
    ]
}

fn any_u32() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0u32..=5, 1 => 0u32..=2000, 1 => any::<u32>(), 1 => Just(u32::MAX)]
}

fn any_u64() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 0u64..=100, 1 => any::<u64>(), 1 => Just(u64::MAX)]
}

fn micros() -> impl Strategy<Value = Micros> {
    prop_oneof![4 => 0u64..=ms(60_000), 1 => any::<u64>(), 1 => Just(u64::MAX)]
}

fn rate() -> impl Strategy<Value = engine::command::Rate> {
    use engine::command::Rate;
    prop_oneof![
        3 => (0u64..=12_000).prop_map(Rate::per_second),
        1 => any::<u64>().prop_map(|per_hour| Rate { per_hour }),
        1 => any::<u64>().prop_map(Rate::per_second),
        1 => any::<u64>().prop_map(Rate::per_minute),
    ]
}

fn keys() -> impl Strategy<Value = engine::command::KeySpec> {
    use engine::command::KeySpec;
    prop_oneof![
        Just(KeySpec::None),
        name().prop_map(KeySpec::Fixed),
        (any_u64(), any_u64()).prop_map(|(first, last)| KeySpec::Range {
            prefix: "k-".into(),
            first,
            last
        }),
        Just(KeySpec::Range {
            prefix: "k-".into(),
            first: 0,
            last: u64::MAX
        }),
    ]
}

fn command() -> impl Strategy<Value = engine::command::Command> {
    use engine::command::{
        Acks, CleanupPolicy, ClusterSpec, Command, ConsumerSpec, GroupSpec, OffsetReset,
        PartitionerKind, ProducerSpec, TopicPartition, TopicSpec,
    };
    use engine::group::assignor::AssignorKind;
    let o = |s: BoxedStrategy<u64>| proptest::option::of(s);
    let brokers = (
        any_u32(),
        o(micros().boxed()),
        o(micros().boxed()),
        o(micros().boxed()),
        o(micros().boxed()),
    )
        .prop_map(
            |(brokers, latency, replica_lag, broker_session_timeout, retention_check)| {
                Command::Brokers(ClusterSpec {
                    brokers,
                    latency,
                    replica_lag,
                    broker_session_timeout,
                    retention_check,
                })
            },
        );
    let topic = (
        name(),
        any_u32(),
        any_u32(),
        proptest::option::of(any_u32()),
        o(micros().boxed()),
        o(any_u64().boxed()),
        o(micros().boxed()),
        o(any_u64().boxed()),
        any::<bool>(),
    )
        .prop_map(
            |(
                name,
                partitions,
                replication,
                min_insync,
                retention,
                retention_bytes,
                segment,
                segment_bytes,
                compact,
            )| {
                Command::TopicCreate(TopicSpec {
                    name,
                    partitions,
                    replication,
                    min_insync,
                    unclean_election: Some(compact),
                    retention,
                    retention_bytes,
                    segment,
                    segment_bytes,
                    cleanup: Some(if compact {
                        CleanupPolicy::Compact
                    } else {
                        CleanupPolicy::Delete
                    }),
                })
            },
        );
    let producer = (
        name(),
        name(),
        proptest::option::of(rate()),
        proptest::option::of(keys()),
        any::<bool>(),
        o(micros().boxed()),
    )
        .prop_map(|(name, topic, rate, keys, round_robin, linger)| {
            Command::ProducerAdd(ProducerSpec {
                name,
                topic,
                rate,
                keys,
                acks: Some(if round_robin { Acks::One } else { Acks::All }),
                partitioner: Some(if round_robin {
                    PartitionerKind::RoundRobin
                } else {
                    PartitionerKind::Default
                }),
                linger,
                ..ProducerSpec::default()
            })
        });
    let group = (
        name(),
        prop::collection::vec(name(), 0..3),
        proptest::option::of(any_u32()),
        0usize..4,
        any::<bool>(),
        o(micros().boxed()),
        o(micros().boxed()),
        o(micros().boxed()),
        o(micros().boxed()),
        proptest::option::of(rate()),
    )
        .prop_map(
            |(
                name,
                topics,
                consumers,
                assignor,
                earliest,
                session,
                heartbeat,
                max_poll,
                commit,
                rate,
            )| {
                Command::GroupAdd(GroupSpec {
                    name,
                    topics,
                    consumers,
                    assignor: Some(AssignorKind::ALL[assignor]),
                    offset_reset: Some(if earliest {
                        OffsetReset::Earliest
                    } else {
                        OffsetReset::Latest
                    }),
                    session_timeout: session,
                    heartbeat_interval: heartbeat,
                    max_poll_interval: max_poll,
                    auto_commit_interval: commit,
                    rate,
                })
            },
        );
    let consumer = (
        name(),
        name(),
        proptest::option::of(prop::collection::vec(name(), 0..3)),
        proptest::option::of(rate()),
    )
        .prop_map(|(name, group, topics, rate)| {
            Command::ConsumerAdd(ConsumerSpec {
                name,
                group,
                topics,
                rate,
            })
        });
    let brokers_list = || prop::collection::vec(any_u32(), 0..4);
    prop_oneof![
        1 => brokers,
        1 => topic,
        2 => producer,
        1 => name().prop_map(|name| Command::ProducerStop { name }),
        2 => (name(), rate()).prop_map(|(name, rate)| Command::ProducerRate { name, rate }),
        1 => (name(), any::<bool>()).prop_map(|(name, paused)| Command::ProducerPause { name, paused }),
        1 => (name(), proptest::option::of(name()), proptest::option::of(name())).prop_map(
            |(topic, key, value)| Command::Produce { topic, key, value, acks: None, timestamp: None }
        ),
        1 => any_u32().prop_map(|broker| Command::BrokerKill { broker }),
        1 => any_u32().prop_map(|broker| Command::BrokerStop { broker }),
        1 => any_u32().prop_map(|broker| Command::BrokerRestart { broker }),
        1 => (brokers_list(), brokers_list())
            .prop_map(|(side_a, side_b)| Command::NetworkPartition { side_a, side_b }),
        1 => Just(Command::NetworkHeal),
        1 => proptest::option::of((name(), any_u32()))
            .prop_map(|p| Command::ElectPreferred {
                partition: p.map(|(topic, partition)| TopicPartition { topic, partition })
            }),
        2 => group,
        1 => name().prop_map(|name| Command::GroupDelete { name }),
        1 => name().prop_map(|name| Command::TopicDelete { name }),
        1 => consumer,
        1 => name().prop_map(|name| Command::ConsumerStop { name }),
        1 => name().prop_map(|name| Command::ConsumerCrash { name }),
        1 => name().prop_map(|name| Command::ConsumerStall { name }),
        1 => name().prop_map(|name| Command::ConsumerResume { name }),
        1 => (name(), rate()).prop_map(|(name, rate)| Command::ConsumerRate { name, rate }),
    ]
}

#[derive(Debug, Clone)]
struct CommandCase {
    seed: u64,
    /// Start from an empty cluster (the first commands may then be `Brokers`), or from the
    /// console cases' small cluster.
    empty: bool,
    commands: Vec<(u64, engine::command::Command)>,
}

/// Commands built by hand, with values no parser would pass, applied straight to the engine:
/// each is applied or refused with nothing changed, and nothing panics or spins.
#[test]
fn no_engine_command_panics_or_half_applies() {
    let stats = Stats::default();
    let started = Instant::now();
    let mut runner = TestRunner::new(proptest_config_with_cases(10_000));
    let strategy = (
        any::<u64>(),
        any::<bool>(),
        prop::collection::vec((0..=MAX_GAP_MS, command()), 1..=12),
    )
        .prop_map(|(seed, empty, commands)| CommandCase {
            seed,
            empty,
            commands,
        });
    let result = runner.run(&strategy, |case| {
        catch_failure(case.seed, |typed| {
            let mut console = Console {
                cluster: Cluster::new(case.seed),
                ctx: Context::default(),
                scheduled: BTreeMap::new(),
                typed_lines: 0,
                typed,
                stats: &stats,
            };
            if !case.empty {
                for line in [
                    "brokers 3",
                    "topic create orders partitions=3 replication=3",
                    "producer add p1 topic=orders rate=20/s keys=k-1..k-20",
                    "group add g topics=orders consumers=2",
                ] {
                    console.type_line(line)?;
                }
            }
            for (gap_ms, command) in &case.commands {
                let until = console.cluster.now() + ms(*gap_ms);
                console.advance_to(until)?;
                console.typed.push(format!("# {command:?}"));
                let step = Step {
                    pos: engine::scenario::Pos { line: 1, col: 1 },
                    at: None,
                    action: Action::Cluster(command.clone()),
                };
                console.run(&step)?;
            }
            stats.cases.fetch_add(1, Relaxed);
            Ok(())
        })
    });
    println!(
        "no_engine_command_panics_or_half_applies: {} cases in {:.1} s; {} refused by the cluster, {} applied; at most {} timers per simulated second",
        stats.cases.load(Relaxed),
        started.elapsed().as_secs_f64(),
        stats.apply_refused.load(Relaxed),
        stats.applied.load(Relaxed),
        stats.max_timers_per_second.load(Relaxed),
    );
    assert_property("no_engine_command_panics_or_half_applies", result);
}
