//! `kafka-client …`: one real Kafka client's engine input, as a room journals it and an
//! exported session replays it (`crate::client::journal`). A file may hold these lines; the
//! console refuses them ([`super::parse_line`]): a person typing one could pose as a connected
//! client (its number, its request tokens) and steal or drop that client's answers.
//!
//! ```text
//! kafka-client CLIENT connect|produce|fetch|group JSON
//! kafka-client CLIENT close
//! kafka-client init-producer-id JSON
//! ```
//!
//! The JSON runs to the end of the line (a `#` in it is not a comment), so the lexer reads only
//! what comes before its `{` ([`lexed_part`]). A JSON error points at its column in the line.

use serde::de::DeserializeOwned;

use super::Result;
use super::context::Context;
use super::cursor::{Cursor, Val};
use super::values::u32_of;
use crate::client::external::ExternalProduce;
use crate::client::external_fetch::ExternalFetch;
use crate::client::external_group::ExternalGroupRequest;
use crate::client::journal::{Connect, InitProducerId, WORD};
use crate::command::Command;
use crate::scenario::diagnostic::LineError;
use crate::scenario::lexer::{col_len, tokenize};

/// Real clients' numbers are below this (the engine tags a real client's group member with
/// the bit above, `client::external_group::EXTERNAL_CLIENT`).
const MAX_CLIENT: u32 = (1 << 30) - 1;

/// Kafka's `timeout_ms` and `max_wait_ms` are `int32` milliseconds.
const MAX_WAIT_US: u64 = i32::MAX as u64 * 1000;

const VERBS: &[&str] = &["connect", "produce", "fetch", "group", "close"];

/// The part of `line` the lexer reads: for a `kafka-client` line (after an optional `at TIME`),
/// what comes before its JSON; any other line whole.
pub(super) fn lexed_part(line: &str) -> &str {
    let Some(brace) = line.find('{') else {
        return line;
    };
    let prefix = &line[..brace];
    // A `{` inside a comment or a quoted string is not a JSON body.
    if prefix.contains(['#', '"']) {
        return line;
    }
    let Ok(tokens) = tokenize(prefix) else {
        return line;
    };
    let mut words = tokens.iter().map(|t| t.raw.as_str());
    let first = words.next();
    let head = if first == Some("at") {
        words.nth(1)
    } else {
        first
    };
    if head == Some(WORD) { prefix } else { line }
}

/// The JSON body of the line `cur` reads, with the column of its `{`.
fn json_body<'a>(cur: &Cursor<'a>) -> Option<(u32, &'a str)> {
    let lexed = lexed_part(cur.line);
    let body = &cur.line[lexed.len()..];
    (!body.is_empty()).then(|| (col_len(lexed).saturating_add(1), body))
}

/// `kafka-client …` (its word already read as `head`).
pub(super) fn kafka_client(cur: &mut Cursor, ctx: &Context, head: Val) -> Result<Command> {
    let who = cur.word("a real client's number, or 'init-producer-id'")?;
    if who.text == "init-producer-id" {
        cur.finish()?;
        let (col, body) = required(cur, head, "init-producer-id", r#"{"broker":1}"#)?;
        let InitProducerId { broker } = from_json(col, body)?;
        check_broker(ctx, col, broker)?;
        return Ok(Command::ExternalInitProducerId { broker });
    }
    let client = u32_of(who, "a real client's number, or 'init-producer-id'")?;
    if client > MAX_CLIENT {
        return Err(who.err(format!(
            "real client {client} is out of range (at most {MAX_CLIENT})"
        )));
    }
    let verb = cur.word("what the client did: connect, produce, fetch, group or close")?;
    let Some(&verb_text) = VERBS.iter().find(|v| **v == verb.text) else {
        return Err(verb
            .err(format!("unknown real-client input '{}'", verb.text))
            .hint(format!(
                "'{WORD} {client}' is followed by {}",
                VERBS.join(", ")
            )));
    };
    cur.finish()?;
    if verb_text == "close" {
        if let Some((col, _)) = json_body(cur) {
            return Err(LineError::new(col, "'close' takes no JSON"));
        }
        return Ok(Command::ExternalClientRemove { id: client });
    }
    let example = match verb_text {
        "connect" => r#"{"name":"my-app"}"#,
        "produce" => r#"{"broker":1,"token":1,"acks":"all","timeout_us":30000000,"partitions":[]}"#,
        "fetch" => {
            r#"{"broker":1,"token":1,"max_wait_us":500000,"min_bytes":1,"max_bytes":52428800,"partitions":[]}"#
        }
        _ => {
            r#"{"broker":1,"token":1,"client_id":"c","client_host":"/127.0.0.1","group":"g","body":"find-coordinator"}"#
        }
    };
    let (col, body) = required(cur, head, verb_text, example)?;
    Ok(match verb_text {
        "connect" => {
            let Connect { name } = from_json(col, body)?;
            Command::ExternalClientAdd { id: client, name }
        }
        "produce" => {
            let mut p: ExternalProduce = from_json(col, body)?;
            check_broker(ctx, col, p.broker)?;
            check_wait(col, "timeout_us", p.timeout_us)?;
            p.client = client;
            Command::ExternalProduce(p)
        }
        "fetch" => {
            let mut f: ExternalFetch = from_json(col, body)?;
            check_broker(ctx, col, f.broker)?;
            check_wait(col, "max_wait_us", f.max_wait_us)?;
            f.client = client;
            Command::ExternalFetch(f)
        }
        _ => {
            let mut g: ExternalGroupRequest = from_json(col, body)?;
            check_broker(ctx, col, g.broker)?;
            g.client = client;
            Command::ExternalGroup(g)
        }
    })
}

/// The line's JSON, or an error saying what it should be.
fn required<'a>(cur: &Cursor<'a>, head: Val, verb: &str, example: &str) -> Result<(u32, &'a str)> {
    json_body(cur).ok_or_else(|| {
        cur.missing(&format!("the {verb} as JSON"))
            .hint(format!("e.g. {} … {verb} {example}", head.text))
    })
}

/// The JSON at column `col`, decoded; an error points at the column where it went wrong.
fn from_json<T: DeserializeOwned>(col: u32, body: &str) -> Result<T> {
    serde_json::from_str(body).map_err(|e| {
        // serde_json counts the column in bytes from 1, on the JSON's only line.
        let byte = e.column().saturating_sub(1).min(body.len());
        let byte = (0..=byte)
            .rev()
            .find(|&b| body.is_char_boundary(b))
            .unwrap_or(0);
        let at = col.saturating_add(col_len(&body[..byte]));
        let message = e.to_string();
        // "… at line 1 column 17" repeats the position the diagnostic already has.
        let message = message
            .rsplit_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m);
        LineError::new(at, format!("bad JSON: {message}"))
    })
}

fn check_broker(ctx: &Context, col: u32, broker: u32) -> Result<()> {
    let Some(brokers) = ctx.brokers else {
        return Err(LineError::new(
            col,
            format!("broker {broker} does not exist: no brokers yet"),
        )
        .hint("declare them first, e.g. 'brokers 3'"));
    };
    if broker == 0 || broker > brokers {
        return Err(LineError::new(
            col,
            format!("broker {broker} does not exist (brokers are 1..{brokers})"),
        ));
    }
    Ok(())
}

fn check_wait(col: u32, field: &str, us: u64) -> Result<()> {
    if us > MAX_WAIT_US {
        return Err(LineError::new(
            col,
            format!("{field} {us} is over Kafka's int32 milliseconds ({MAX_WAIT_US} µs)"),
        ));
    }
    Ok(())
}
