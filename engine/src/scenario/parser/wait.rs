//! `wait DURATION` and `wait until EXPECTATION`: the steps that move simulated time, held to
//! the room's limits on a step's length and work.

use super::Result;
use super::context::Context;
use super::cursor::{Cursor, Val};
use super::expectation::expectation;
use super::values::duration;
use crate::limits;
use crate::scenario::ast::{Action, WAIT_UNTIL_TIMEOUT};
use crate::time::Micros;

/// `wait DURATION` or `wait until EXPECTATION [timeout=D]`
pub(super) fn wait(cur: &mut Cursor, ctx: &Context, now: Micros) -> Result<Action> {
    let v = cur.word("a duration (e.g. 2s) or 'until'")?;
    if v.text == "until" {
        return wait_until(cur, ctx, now, v);
    }
    let d = duration(v)?;
    if now.checked_add(d).is_none() {
        return Err(v.err("this wait goes past the end of simulated time"));
    }
    check_step(ctx, v, d, &limits::wait_step(d))?;
    cur.finish()?;
    Ok(Action::Wait(d))
}

/// `wait until METRIC ARGS OP VALUE [timeout=D]`: any `expect` form without the word `expect`.
/// Its timeout is one step of simulated time, held to the same limits as `wait D`.
fn wait_until(cur: &mut Cursor, ctx: &Context, now: Micros, until: Val) -> Result<Action> {
    if cur.peek().is_none() {
        return Err(cur
            .missing("what to wait for")
            .hint("e.g. wait until isr orders/0 == 1,2,3"));
    }
    let start = cur.peek().map_or(until.col, |t| t.col);
    let expectation = expectation(cur, ctx, start)?;
    let options = cur.options(&["timeout"])?;
    let (timeout, at) = match options.get("timeout") {
        Some(v) => match duration(v)? {
            0 => return Err(v.err("timeout must be longer than 0")),
            d => (d, v),
        },
        None => (WAIT_UNTIL_TIMEOUT, until),
    };
    if now.checked_add(timeout).is_none() {
        return Err(at.err("this wait goes past the end of simulated time"));
    }
    let load = ctx.load();
    limits::check_step(&limits::wait_until_step(timeout), timeout, &load).map_err(|message| {
        at.err(message).hint(format!(
            "give it timeout={} or less here",
            limits::duration_text(load.longest_step())
        ))
    })?;
    Ok(Action::WaitUntil {
        expectation,
        timeout,
    })
}

/// One step of simulated time (a `wait`, or the jump of an `at`), within the room's limits on
/// its length and on the work it asks for (records, replication, consumers: `limits::Load`).
pub(super) fn check_step(ctx: &Context, v: Val, d: Micros, what: &str) -> Result<()> {
    let load = ctx.load();
    limits::check_step(what, d, &load).map_err(|message| {
        v.err(message).hint(format!(
            "split it into steps of at most {} here",
            limits::duration_text(load.longest_step())
        ))
    })
}
