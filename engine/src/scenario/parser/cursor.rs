//! Reading one line's tokens: [`Val`] (a word or option value with its column), [`Cursor`]
//! (the tokens left to right) and [`Options`] (a command's `name=value` options).

use super::Result;
use crate::scenario::diagnostic::{LineError, did_you_mean};
use crate::scenario::lexer::{Token, TokenKind, col_len};

/// A word or option value with the column where it starts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Val<'a> {
    pub(super) text: &'a str,
    pub(super) col: u32,
    pub(super) quoted: bool,
}

impl<'a> Val<'a> {
    /// A value with no position (used only where errors are discarded).
    pub(super) fn plain(text: &'a str) -> Self {
        Val {
            text,
            col: 1,
            quoted: false,
        }
    }

    /// A token as free text: a quoted string's content, otherwise the token as written.
    pub(super) fn text_of(token: &'a Token) -> Self {
        match &token.kind {
            TokenKind::Quoted(text) => Val {
                text,
                col: token.col,
                quoted: true,
            },
            _ => Val {
                text: &token.raw,
                col: token.col,
                quoted: false,
            },
        }
    }

    pub(super) fn err(&self, message: impl Into<String>) -> LineError {
        LineError::new(self.col, message)
    }

    /// The part `text` of this value that starts `byte_offset` bytes in, with its own column.
    pub(super) fn slice(&self, byte_offset: usize, text: &'a str) -> Val<'a> {
        let before = self.text.get(..byte_offset).unwrap_or("");
        let col = self
            .col
            .saturating_add(u32::from(self.quoted))
            .saturating_add(col_len(before));
        Val {
            text,
            col,
            quoted: false,
        }
    }

    /// The comma-separated items of a list (`1,2,3`), each with its column.
    pub(super) fn items(self) -> impl Iterator<Item = Val<'a>> {
        let mut col = self.col.saturating_add(u32::from(self.quoted));
        self.text.split(',').map(move |text| {
            let item = Val {
                text,
                col,
                quoted: false,
            };
            col = col.saturating_add(col_len(text)).saturating_add(1);
            item
        })
    }
}

/// Reads the tokens of one line from left to right.
pub(super) struct Cursor<'a> {
    pub(super) line: &'a str,
    pub(super) tokens: &'a [Token],
    pub(super) next: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.next)
    }

    pub(super) fn bump(&mut self) -> Option<&'a Token> {
        let token = self.tokens.get(self.next)?;
        self.next += 1;
        Some(token)
    }

    /// Where something missing would be written: one space after the last token.
    pub(super) fn end_col(&self) -> u32 {
        self.tokens
            .last()
            .map_or(1, |t| t.end_col().saturating_add(1))
    }

    pub(super) fn missing(&self, what: &str) -> LineError {
        LineError::new(self.end_col(), format!("missing {what}"))
    }

    /// A bare word.
    pub(super) fn word(&mut self, what: &str) -> Result<Val<'a>> {
        let Some(token) = self.bump() else {
            return Err(self.missing(what));
        };
        match &token.kind {
            TokenKind::Word => Ok(Val {
                text: &token.raw,
                col: token.col,
                quoted: false,
            }),
            TokenKind::Quoted(_) => Err(LineError::new(
                token.col,
                format!("expected {what}, found a quoted string"),
            )),
            TokenKind::Opt { .. } => Err(LineError::new(
                token.col,
                format!("expected {what}, found '{}'", token.raw),
            )),
        }
    }

    /// Free text: a quoted string or a single bare word, and nothing after it.
    pub(super) fn text(&mut self, what: &str, command: &str) -> Result<Val<'a>> {
        let Some(token) = self.bump() else {
            return Err(self
                .missing(what)
                .hint(format!("e.g. {command} \"Leader election\"")));
        };
        let v = Val::text_of(token);
        if let Some(extra) = self.peek() {
            return Err(
                LineError::new(extra.col, format!("unexpected '{}'", extra.raw))
                    .hint(format!("put the whole text in quotes: {command} \"…\"")),
            );
        }
        Ok(v)
    }

    /// The line must end here.
    pub(super) fn finish(&self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(token) => Err(LineError::new(
                token.col,
                format!("unexpected '{}'", token.raw),
            )),
        }
    }

    /// The rest of the line: options `name=value`, each at most once, all from `allowed`.
    pub(super) fn options(&mut self, allowed: &[&'static str]) -> Result<Options<'a>> {
        let items = self.options_by(|name, col| {
            allowed
                .iter()
                .find(|a| **a == name)
                .copied()
                .ok_or_else(|| {
                    let fallback = format!("options here: {}", allowed.join(", "));
                    LineError::new(col, format!("unknown option '{name}'"))
                        .hint(did_you_mean(name, allowed.iter().copied()).unwrap_or(fallback))
                })
        })?;
        Ok(Options { items })
    }

    /// The rest of the line as options `name=value`, each at most once, in order; `known`
    /// gives an option's name as the caller keeps it, or the error for one it does not take.
    pub(super) fn options_by<N: AsRef<str>>(
        &mut self,
        known: impl Fn(&str, u32) -> Result<N>,
    ) -> Result<Vec<(N, Val<'a>)>> {
        let mut items: Vec<(N, Val<'a>)> = Vec::new();
        while let Some(token) = self.bump() {
            let TokenKind::Opt {
                name,
                value,
                value_col,
                quoted,
            } = &token.kind
            else {
                return Err(
                    LineError::new(token.col, format!("unexpected '{}'", token.raw))
                        .hint("options are written name=value"),
                );
            };
            let known = known(name, token.col)?;
            let name = known.as_ref();
            if items.iter().any(|(n, _)| n.as_ref() == name) {
                return Err(LineError::new(
                    token.col,
                    format!("option '{name}' given twice"),
                ));
            }
            if value.is_empty() && !quoted {
                return Err(
                    LineError::new(token.col, format!("option '{name}' has no value"))
                        .hint(format!("write {name}=VALUE")),
                );
            }
            items.push((
                known,
                Val {
                    text: value,
                    col: *value_col,
                    quoted: *quoted,
                },
            ));
        }
        Ok(items)
    }

    /// The source text from column `col` to the end of the last token read so far.
    pub(super) fn source_read(&self, col: u32) -> String {
        let end = self
            .next
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .map_or(col, Token::end_col);
        let skip = col.saturating_sub(1) as usize;
        let take = end.saturating_sub(col) as usize;
        self.line.chars().skip(skip).take(take).collect()
    }
}

/// The options of one command, in the order written.
#[derive(Debug, Default)]
pub(super) struct Options<'a> {
    pub(super) items: Vec<(&'static str, Val<'a>)>,
}

impl<'a> Options<'a> {
    pub(super) fn get(&self, name: &str) -> Option<Val<'a>> {
        self.items.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// Parses an optional option with `f`.
    pub(super) fn map<T>(
        &self,
        name: &str,
        f: impl FnOnce(Val<'a>) -> Result<T>,
    ) -> Result<Option<T>> {
        self.get(name).map(f).transpose()
    }

    /// A required option; its absence is reported where it could be written.
    pub(super) fn required(&self, name: &str, cur: &Cursor, example: &str) -> Result<Val<'a>> {
        self.get(name).ok_or_else(|| {
            LineError::new(cur.end_col(), format!("missing option {name}="))
                .hint(format!("e.g. {example}"))
        })
    }

    pub(super) fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(|v| v.text.to_string())
    }
}
