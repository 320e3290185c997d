//! One line of a `streams app` block: `OP WORDS… [: EXPR[, EXPR…]] [OPTIONS]`, split at its first
//! `:` outside quotes; the expressions after it, each read in its scope (`expr.rs`); options
//! written after the expressions.

use super::Result;
use super::cursor::{Cursor, Options, Val};
use super::expr::{Parser as ExprParser, Scope};
use super::streams::OPERATIONS;
use crate::scenario::diagnostic::{LineError, did_you_mean};
use crate::scenario::lexer::{Token, TokenKind, col_len, tokenize};
use crate::streams::expr::{Expr, Var};

/// One body line, split at its first `:` outside quotes.
pub(super) struct Line<'a> {
    pub n: u32,
    pub text: &'a str,
    /// The column of the `:`, and the expressions' text after it.
    pub exprs: Option<(u32, &'a str)>,
}

impl Line<'_> {
    pub(super) fn split(n: u32, text: &str) -> Line<'_> {
        let mut quote: Option<char> = None;
        for (i, c) in text.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, ':') => {
                    let col = col_len(&text[..i]).saturating_add(1);
                    return Line {
                        n,
                        text: &text[..i],
                        exprs: Some((col, &text[i + 1..])),
                    };
                }
                _ => {}
            }
        }
        Line {
            n,
            text,
            exprs: None,
        }
    }
}

/// The expressions after the `:`, each in its scope: at least `required`, at most one per
/// scope. Returns them and the tokens of options written after them.
pub(super) fn exprs(
    line: &Line,
    op: Val,
    scopes: &[Scope],
    required: usize,
    example: &str,
) -> Result<(Vec<Expr>, Vec<Token>)> {
    let Some((colon, text)) = line.exprs else {
        if required == 0 {
            return Ok((Vec::new(), Vec::new()));
        }
        let col = col_len(line.text.trim_end()).saturating_add(1);
        return Err(
            LineError::new(col, format!("'{}' needs an expression after ':'", op.text))
                .hint(format!("e.g. {example}")),
        );
    };
    if scopes.is_empty() {
        return no_exprs(line, op).map(|()| (Vec::new(), Vec::new()));
    }
    let start = colon.saturating_add(1);
    let mut p = ExprParser::new(text, start)?;
    let mut exprs = Vec::new();
    {
        loop {
            exprs.push(p.expr(scopes[exprs.len()])?);
            let comma = p.col();
            if !p.comma() {
                break;
            }
            if exprs.len() == scopes.len() {
                let most = match scopes.len() {
                    1 => "one expression".to_string(),
                    n => format!("{n} expressions"),
                };
                return Err(
                    LineError::new(comma, format!("'{}' takes {most} here", op.text))
                        .hint(format!("e.g. {example}")),
                );
            }
        }
    }
    let tail = match p.at_option() {
        Some(col) => {
            let skip = col.saturating_sub(start) as usize;
            let rest: String = text.chars().skip(skip).collect();
            let mut tokens = tokenize(&rest).map_err(|e| shift(e, col))?;
            for t in &mut tokens {
                t.col = t.col.saturating_add(col - 1);
                if let TokenKind::Opt { value_col, .. } = &mut t.kind {
                    *value_col = value_col.saturating_add(col - 1);
                }
            }
            tokens
        }
        None => {
            p.finish()?;
            Vec::new()
        }
    };
    if exprs.len() < required {
        let what = if required - exprs.len() == 1 && required > 1 {
            "another expression".to_string()
        } else {
            format!("{required} expressions")
        };
        return Err(
            LineError::new(p.col(), format!("'{}' needs {what}", op.text))
                .hint(format!("e.g. {example}")),
        );
    }
    Ok((exprs, tail))
}

pub(super) fn scope(vars: &'static [Var], what: &'static str) -> Scope {
    Scope { vars, what }
}

pub(super) fn shift(mut e: LineError, col: u32) -> LineError {
    e.col = e.col.saturating_add(col - 1);
    e
}

/// An operation without expressions: a `:` is an error.
pub(super) fn no_exprs(line: &Line, op: Val) -> Result<()> {
    match line.exprs {
        None => Ok(()),
        Some((col, _)) => Err(LineError::new(
            col,
            format!("'{}' takes no expression", op.text),
        )),
    }
}

pub(super) fn unknown_operation(op: Val) -> LineError {
    let err = op.err(format!("unknown operation '{}'", op.text));
    if let Some(hint) = did_you_mean(op.text, OPERATIONS.iter().copied()) {
        return err.hint(hint);
    }
    // A scenario command inside a block: most likely its `end` is missing.
    if super::COMMANDS.contains(&op.text) {
        return err.hint(format!(
            "'{}' is a scenario command: close the block with a line 'end' before it",
            op.text
        ));
    }
    err.hint("see 'Streams applications' in docs/scenario-language.md")
}

/// The options written after the expressions.
pub(super) fn tail_options<'a>(
    tokens: &'a [Token],
    allowed: &[&'static str],
) -> Result<Options<'a>> {
    let mut cur = Cursor {
        line: "",
        tokens,
        next: 0,
    };
    cur.options(allowed)
}

/// Options before the `:` and after the expressions, each at most once.
pub(super) fn merge_options<'a>(head: Options<'a>, tail: Options<'a>) -> Result<Options<'a>> {
    let mut all = head;
    for (name, v) in tail.items {
        if all.get(name).is_some() {
            return Err(v.err(format!("option '{name}' given twice")));
        }
        all.items.push((name, v));
    }
    Ok(all)
}
