//! The tokens of the expression language (`expr.rs` parses them): numbers, strings in single or
//! double quotes, names, and punctuation, each with the column it starts at.

use crate::scenario::diagnostic::LineError;

type Result<T> = std::result::Result<T, LineError>;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Int(u64),
    Float(f64),
    Str(String),
    Ident(String),
    /// `( ) [ ] { } , : . + - * / % == != < <= > >=`
    Punct(&'static str),
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) col: u32,
    pub(super) tok: Tok,
    /// The token's text as written, for messages.
    pub(super) raw: String,
}

/// Two-character operators first: `<=` is one token, not `<` and `=`.
const PUNCTS: &[&str] = &[
    "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ":", ".", "+", "-", "*", "/", "%",
    "<", ">", "=",
];

pub(super) fn lex(text: &str, col: u32) -> Result<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let col_of = |i: usize| col.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c == ' ' || c == '\t' {
            i += 1;
            continue;
        }
        if c == '#' {
            break; // a comment to the end of the line
        }
        if c.is_control() {
            return Err(LineError::new(
                col_of(i),
                format!("control character U+{:04X} is not allowed", u32::from(c)),
            ));
        }
        let tok = if c.is_ascii_digit() {
            i = number_end(&chars, i);
            let raw: String = chars[start..i].iter().collect();
            number(&raw, col_of(start))?
        } else if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            Tok::Ident(chars[start..i].iter().collect())
        } else if c == '"' || c == '\'' {
            let (s, end) = string(&chars, i, col_of)?;
            i = end;
            Tok::Str(s)
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let one = c.to_string();
            let found = PUNCTS.iter().find(|p| **p == two);
            let Some(p) = found.or_else(|| PUNCTS.iter().find(|p| **p == one)) else {
                let err = LineError::new(col_of(i), format!("unexpected '{c}'"));
                return Err(match c {
                    '!' => err.hint("write 'not' for negation, '!=' for not equal"),
                    '&' => err.hint("write 'and'"),
                    '|' => err.hint("write 'or'"),
                    _ => err,
                });
            };
            i += p.len();
            Tok::Punct(p)
        };
        tokens.push(Token {
            col: col_of(start),
            tok,
            raw: chars[start..i].iter().collect(),
        });
    }
    Ok(tokens)
}

/// The end of a number: digits, then `.digits` if a digit follows the dot (so `5.x` is `5` `.`
/// `x`), then an exponent `e[+-]digits`.
fn number_end(chars: &[char], mut i: usize) -> usize {
    let digits = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
    };
    digits(&mut i);
    if chars.get(i) == Some(&'.') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
        i += 1;
        digits(&mut i);
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        if matches!(chars.get(j), Some('+' | '-')) {
            j += 1;
        }
        if chars.get(j).is_some_and(char::is_ascii_digit) {
            i = j;
            digits(&mut i);
        }
    }
    i
}

fn number(raw: &str, col: u32) -> Result<Tok> {
    if raw.contains(['.', 'e', 'E']) {
        return match raw.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Tok::Float(f)),
            _ => Err(LineError::new(col, format!("number {raw} is too large"))),
        };
    }
    raw.parse::<u64>()
        .map(Tok::Int)
        .map_err(|_| LineError::new(col, format!("number {raw} is too large")))
}

/// `"…"` or `'…'` from the opening quote: the text and the index after the closing quote.
/// Escapes: `\\`, `\"`, `\'`, `\n`, `\t`.
fn string(chars: &[char], start: usize, col_of: impl Fn(usize) -> u32) -> Result<(String, usize)> {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(LineError::new(col_of(start), "unterminated string")
                .hint(format!("close it with {quote}")));
        };
        match c {
            _ if c == quote => return Ok((text, i + 1)),
            '\\' => {
                let escaped = match chars.get(i + 1) {
                    Some('\\') => '\\',
                    Some('"') => '"',
                    Some('\'') => '\'',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some(e) => {
                        return Err(LineError::new(
                            col_of(i),
                            format!("unknown escape '\\{}'", e.escape_debug()),
                        )
                        .hint("the escapes are \\\\, \\\", \\', \\n and \\t"));
                    }
                    None => {
                        return Err(LineError::new(col_of(start), "unterminated string")
                            .hint(format!("close it with {quote}")));
                    }
                };
                text.push(escaped);
                i += 2;
            }
            _ if c.is_control() && c != '\t' => {
                return Err(LineError::new(
                    col_of(i),
                    format!("control character U+{:04X} is not allowed", u32::from(c)),
                ));
            }
            _ => {
                text.push(c);
                i += 1;
            }
        }
    }
}
