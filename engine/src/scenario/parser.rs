//! The parser of the scenario language (docs/scenario-language.md, contract v1).
//!
//! [`parse`] checks a whole file and reports every error, in line order; [`parse_line`] parses one
//! console line against a [`Context`] that the console keeps between lines. Both share one
//! validator, so a line means the same thing in a file and in the console:
//!
//! ```text
//! brokers 3
//! topic create orders partitions=3 replication=2
//! producer add p1 topic=orders rate=5/s keys=user-1..user-50
//! group add billing topics=orders consumers=2 assignor=cooperative-sticky
//! at 5s broker kill 1
//! expect leader orders/0 != 1
//! expect members billing == billing-1,billing-2
//! ```
//!
//! Validation is static: it knows what earlier lines declared (brokers, topics and their shape,
//! producers and their rates, consumer groups and their consumers) and how far `wait` and `at`
//! have moved simulated time, never the cluster's state. It enforces the room's limits
//! (`crate::limits`) with the same messages as `Cluster::apply`, pointing at the word.
//!
//! This file holds the entry points and the reading of one line (`at`, `seed`, the dispatch of a
//! command word); each command has one function, with its wire form in its doc comment, in the
//! file of its concern:
//!
//! - `context.rs`: [`Context`], what the lines so far declared, and its lookups;
//! - `cursor.rs`: the tokens of a line as values (`Val`), a cursor over them, `name=value` options;
//! - `values.rs`: numbers, durations, rates, key ranges, choices, names;
//! - `cluster_commands.rs`: `brokers`, `topic`, `broker`, `network`, `elect-leaders`;
//! - `client_commands.rs`: `producer`, `produce`, `group`, `consumer`;
//! - `wait.rs`: `wait DURATION`, `wait until …`;
//! - `expectation.rs`: the grammar of `expect` (evaluating one is `scenario::expect`'s job);
//! - `focus.rs`, `connect.rs`, `kafka_client.rs`: `focus`, Kafka Connect's commands, `kafka-client`;
//! - `streams*.rs`: `streams app … end` blocks and the `streams` commands; `expr*.rs` their
//!   expressions; `listing.rs`: the `|` code lines of `say`;
//! - `tests.rs`, `tests/`: tests of whole lines.

use super::ast::{Action, Pos, Script, Step};
use super::diagnostic::{Diagnostic, LineError, did_you_mean};
use super::lexer::{TokenKind, tokenize};
use crate::command::Command;
use crate::limits;
use crate::time::{Micros, format_duration};

mod client_commands;
mod cluster_commands;
mod connect;
mod context;
mod cursor;
mod expectation;
pub mod expr;
mod expr_lex;
mod expr_text;
mod focus;
mod kafka_client;
pub mod listing;
mod streams;
mod streams_commands;
mod streams_line;
mod streams_ops;
mod streams_types;
#[cfg(test)]
mod tests;
mod values;
mod wait;

use client_commands::{consumer, group, produce, producer};
use cluster_commands::{broker, brokers, elect_leaders, network, topic};
pub use connect::ConnectInfo;
pub use context::{ConsumerInfo, Context, GroupInfo, ProducerInfo, TopicInfo};
use cursor::{Cursor, Val};
use expectation::expect;
pub use streams_commands::{AppInfo, InstanceInfo, STREAMS_STATES};
use values::{duration, uint};
use wait::{check_step, wait};

type Result<T, E = LineError> = std::result::Result<T, E>;

/// The file name used in diagnostics of [`parse_line`].
pub const CONSOLE: &str = "console";

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/// Parses and validates a whole scenario file. Every error is reported, in line order; a line
/// with an error is skipped but what it declared (a topic name, a producer) is still known, so
/// one mistake does not cascade into errors on every later line.
pub fn parse(file: &str, src: &str) -> Result<Script, Vec<Diagnostic>> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut ctx = Context::default();
    let mut script = Script {
        file: file.to_string(),
        title: None,
        seed: None,
        steps: Vec::new(),
    };
    let mut errors = Vec::new();
    let lines: Vec<(u32, &str)> = src
        .lines()
        .enumerate()
        .map(|(i, text)| {
            (
                u32::try_from(i).map_or(u32::MAX, |i| i.saturating_add(1)),
                text,
            )
        })
        .collect();
    let mut rest = lines.as_slice();
    // The `say` step a `|` code line would extend: the step of the line just above, when that
    // was a `say` or one of its code lines. `Err(())` after a line with an error, so that a
    // failed `say`'s code lines add no errors of their own.
    let mut listing: Result<Option<usize>, ()> = Ok(None);
    while let Some((&(line, text), after)) = rest.split_first() {
        rest = after;
        if let Some(code) = listing::code_line(text) {
            let col = u32::try_from(text.len() - text.trim_start().len() + 1).unwrap_or(1);
            let said = match listing {
                Ok(Some(i)) => match &mut script.steps[i].action {
                    Action::Say(said) => Some(said),
                    _ => None,
                },
                Ok(None) => None,
                Err(()) => continue,
            };
            let added = match (code, said) {
                (Err(e), _) => Err(e),
                (Ok(_), None) => Err(listing::orphan(col)),
                (Ok(code), Some(said)) => listing::extend(said, &code, col),
            };
            if let Err(e) = added {
                errors.push(e.at(file, line));
                listing = Err(());
            }
            continue;
        }
        listing = Ok(None);
        if streams::opens_block(text) {
            // `streams app … end`: the lines up to `end` are the block's.
            let end = after.iter().position(|(_, t)| streams::closes_block(t));
            let body = &after[..end.unwrap_or(after.len())];
            rest = &after[end.map_or(after.len(), |e| e + 1)..];
            if let Err((at, e)) =
                streams_block((line, text), body, end.is_some(), &mut ctx, &mut script)
            {
                errors.push(e.at(file, at));
                ctx.recover_app(text);
            }
            continue;
        }
        let before = script.steps.len();
        if let Err(e) = file_line(text, line, &mut ctx, &mut script) {
            errors.push(e.at(file, line));
            ctx.recover(text);
            listing = Err(());
        } else if script.steps.len() > before
            && matches!(script.steps[before].action, Action::Say(_))
        {
            listing = Ok(Some(before));
        }
    }
    if errors.is_empty() {
        Ok(script)
    } else {
        Err(errors)
    }
}

/// Parses one console line (file name `console`, line 1). `Ok(None)` for a blank line or a
/// comment. On success what the line declares is recorded in `ctx`; on error `ctx` is untouched.
/// `title` and `seed` belong to files and are refused here.
pub fn parse_line(src: &str, ctx: &mut Context) -> Result<Option<Step>, Diagnostic> {
    console_line(src, ctx, false)
}

/// [`parse_line`] for a line the room itself journaled and now replays (after a rewind, or a
/// saved room coming back): `kafka-client` lines, which a person may not type, are accepted.
pub fn parse_journal_line(src: &str, ctx: &mut Context) -> Result<Option<Step>, Diagnostic> {
    console_line(src, ctx, true)
}

fn console_line(
    src: &str,
    ctx: &mut Context,
    real_clients: bool,
) -> Result<Option<Step>, Diagnostic> {
    // A `streams app` block pasted whole; any other input is one line (a line break in it is
    // refused like every control character).
    let first = src
        .lines()
        .find(|l| tokenize(l).is_ok_and(|t| !t.is_empty()));
    if src.lines().nth(1).is_some() && first.is_some_and(streams::opens_block) {
        return console_block(src, ctx);
    }
    match parse_one(src, ctx).map_err(|e| e.at(CONSOLE, 1))? {
        Parsed::Blank => Ok(None),
        Parsed::Title { col, .. } => Err(file_only(col, "title")),
        Parsed::Seed { col, .. } => Err(file_only(col, "seed")),
        Parsed::Step { col, at, action } => {
            if !real_clients
                && let Action::Cluster(command) = &action
                && crate::client::journal::is_client_command(command)
            {
                return Err(LineError::new(
                    col,
                    "'kafka-client' lines replay real Kafka clients' requests from an exported \
                     session; they cannot be typed in the console",
                )
                .hint("connect a Kafka client to the room's brokers (docs/kafka-clients.md)")
                .at(CONSOLE, 1));
            }
            let step = Step {
                pos: Pos { line: 1, col },
                at,
                action,
            };
            ctx.apply(&step);
            Ok(Some(step))
        }
    }
}

/// A `streams app` block of a file: a step that declares the application.
fn streams_block(
    header: (u32, &str),
    body: &[(u32, &str)],
    closed: bool,
    ctx: &mut Context,
    script: &mut Script,
) -> std::result::Result<(), (u32, LineError)> {
    let col = tokenize(header.1)
        .ok()
        .and_then(|t| t.first().map(|t| t.col))
        .unwrap_or(1);
    if !closed {
        return Err((header.0, streams_commands::unclosed(col)));
    }
    let app = streams::app(header, body, ctx)?;
    let step = Step {
        pos: app.pos,
        at: None,
        action: Action::Cluster(Command::StreamsApp(Box::new(app))),
    };
    ctx.apply(&step);
    script.steps.push(step);
    Ok(())
}

/// A `streams app` block sent as one console input of several lines (line numbers count
/// within it). Anything after its `end` is refused: a console input is one command.
fn console_block(src: &str, ctx: &mut Context) -> Result<Option<Step>, Diagnostic> {
    let lines: Vec<(u32, &str)> = src
        .lines()
        .enumerate()
        .map(|(i, text)| {
            (
                u32::try_from(i).map_or(u32::MAX, |i| i.saturating_add(1)),
                text,
            )
        })
        .skip_while(|(_, t)| tokenize(t).is_ok_and(|t| t.is_empty()))
        .collect();
    let Some((&header, after)) = lines.split_first() else {
        return Ok(None);
    };
    let end = after.iter().position(|(_, t)| streams::closes_block(t));
    let body = &after[..end.unwrap_or(after.len())];
    if let Some(&(n, text)) = end.and_then(|e| {
        after[e + 1..]
            .iter()
            .find(|(_, t)| !tokenize(t).is_ok_and(|t| t.is_empty()))
    }) {
        let _ = text;
        return Err(LineError::new(
            1,
            "nothing may follow the block's 'end' in one console input",
        )
        .at(CONSOLE, n));
    }
    let mut script = Script {
        file: CONSOLE.to_string(),
        title: None,
        seed: None,
        steps: Vec::new(),
    };
    let mut scratch = ctx.clone();
    streams_block(header, body, end.is_some(), &mut scratch, &mut script)
        .map_err(|(line, e)| e.at(CONSOLE, line))?;
    *ctx = scratch;
    Ok(script.steps.pop())
}

fn file_only(col: u32, word: &str) -> Diagnostic {
    LineError::new(col, format!("'{word}' can only be set in a scenario file")).at(CONSOLE, 1)
}

/// One line of a file: steps go to the script, `title` and `seed` to its header.
fn file_line(text: &str, line: u32, ctx: &mut Context, script: &mut Script) -> Result<()> {
    match parse_one(text, ctx)? {
        Parsed::Blank => {}
        Parsed::Title { col, text } => {
            if script.title.is_some() {
                return Err(
                    LineError::new(col, "the title is already set").hint("'title' may appear once")
                );
            }
            script.title = Some(text);
        }
        Parsed::Seed { col, seed } => {
            if script.seed.is_some() {
                return Err(
                    LineError::new(col, "the seed is already set").hint("'seed' may appear once")
                );
            }
            script.seed = Some(seed);
        }
        Parsed::Step { col, at, action } => {
            let step = Step {
                pos: Pos { line, col },
                at,
                action,
            };
            ctx.apply(&step);
            script.steps.push(step);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// One line
// ---------------------------------------------------------------------------------------------

/// What one line turned out to be.
enum Parsed {
    Blank,
    Title {
        col: u32,
        text: String,
    },
    Seed {
        col: u32,
        seed: u64,
    },
    Step {
        col: u32,
        at: Option<Micros>,
        action: Action,
    },
}

/// Every command word, for `did you mean`.
const COMMANDS: &[&str] = &[
    "title",
    "seed",
    "brokers",
    "topic",
    "producer",
    "produce",
    "group",
    "consumer",
    "broker",
    "network",
    "elect-leaders",
    "wait",
    "at",
    "pause",
    "say",
    "focus",
    "expect",
    "streams",
    "system",
    "worker",
    "connector",
    "task",
    "kafka-client",
];

fn parse_one(line: &str, ctx: &Context) -> Result<Parsed> {
    // A `kafka-client` line's JSON is not the lexer's (`kafka_client::lexed_part`).
    let tokens = tokenize(kafka_client::lexed_part(line))?;
    let mut cur = Cursor {
        line,
        tokens: &tokens,
        next: 0,
    };
    if cur.peek().is_none() {
        return Ok(Parsed::Blank);
    }
    let head = cur.word("a command")?;
    match head.text {
        "title" => Ok(Parsed::Title {
            col: head.col,
            text: cur.text("the title", "title")?.text.to_string(),
        }),
        "seed" => seed(&mut cur, head),
        "at" => at(&mut cur, ctx, head),
        _ => Ok(Parsed::Step {
            col: head.col,
            at: None,
            action: action(&mut cur, ctx, head, ctx.time)?,
        }),
    }
}

/// `seed N`
fn seed(cur: &mut Cursor, head: Val) -> Result<Parsed> {
    let seed = uint(cur.word("the seed, a number")?, "a number")?;
    cur.finish()?;
    Ok(Parsed::Seed {
        col: head.col,
        seed,
    })
}

/// `at TIME COMMAND`: TIME counts from the start and may not be earlier than the time already
/// reached by the lines before.
fn at(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Parsed> {
    let time_val = cur.word("a time, e.g. 5s")?;
    let time = duration(time_val)?;
    if time < ctx.time {
        return Err(time_val
            .err(format!("time {} is in the past", format_duration(time)))
            .hint(format!(
                "the scenario is already at {} here",
                format_duration(ctx.time)
            )));
    }
    check_step(
        ctx,
        time_val,
        time - ctx.time,
        &limits::at_step(time, ctx.time),
    )?;
    let command = cur.word("a command after the time")?;
    if matches!(command.text, "at" | "title" | "seed") {
        return Err(command.err(format!("'{}' cannot be scheduled with 'at'", command.text)));
    }
    let action = action(cur, ctx, command, time)?;
    Ok(Parsed::Step {
        col: head.col,
        at: Some(time),
        action,
    })
}

/// A command that becomes a step. `now` is the static time at which it runs.
fn action(cur: &mut Cursor, ctx: &Context, head: Val, now: Micros) -> Result<Action> {
    let cluster = Action::Cluster;
    match head.text {
        "brokers" => brokers(cur, ctx, head).map(cluster),
        "topic" => topic(cur, ctx, head).map(cluster),
        "producer" => producer(cur, ctx, head).map(cluster),
        "produce" => produce(cur, ctx).map(cluster),
        "group" => group(cur, ctx, head).map(cluster),
        "consumer" => consumer(cur, ctx, head).map(cluster),
        "broker" => broker(cur, ctx, head).map(cluster),
        "network" => network(cur, ctx, head).map(cluster),
        "elect-leaders" => elect_leaders(cur, ctx).map(cluster),
        "wait" => wait(cur, ctx, now),
        "pause" => cur.finish().map(|()| Action::Pause),
        "say" => Ok(Action::Say(
            cur.text("the text to say", "say")?.text.to_string(),
        )),
        "focus" => focus::focus(cur, ctx),
        "expect" => expect(cur, ctx, head).map(Action::Expect),
        "streams" => streams_commands::streams(cur, ctx, head).map(cluster),
        "system" => connect::system(cur, ctx, head).map(cluster),
        "worker" => connect::worker(cur, ctx, head).map(cluster),
        "connector" => connect::connector(cur, ctx, head).map(cluster),
        "task" => connect::task(cur, ctx, head).map(cluster),
        "kafka-client" => kafka_client::kafka_client(cur, ctx, head).map(cluster),
        "end" => Err(head
            .err("'end' closes a 'streams app' block, but no block is open here")
            .hint("a block starts with 'streams app NAME'")),
        word => Err(head
            .err(format!("unknown command '{word}'"))
            .maybe_hint(did_you_mean(word, COMMANDS.iter().copied()))),
    }
}

/// The second word of a two-word command (`topic create`, `broker kill`, …).
fn subcommand(cur: &mut Cursor, head: Val, subs: &[&'static str]) -> Result<&'static str> {
    let expected = format!("'{}' is followed by {}", head.text, subs.join(", "));
    let Some(token) = cur.bump() else {
        return Err(cur
            .missing(&format!("what to do after '{}'", head.text))
            .hint(expected));
    };
    let bare = token.kind == TokenKind::Word;
    if let Some(&sub) = subs.iter().find(|s| bare && **s == token.raw) {
        return Ok(sub);
    }
    let err = LineError::new(
        token.col,
        format!("unknown command '{} {}'", head.text, token.raw),
    );
    Err(err.hint(did_you_mean(&token.raw, subs.iter().copied()).unwrap_or(expected)))
}
