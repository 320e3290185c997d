//! Splits one line of the scenario language into tokens.
//!
//! ```text
//! producer add p1 topic=orders value="héllo wörld"   # a comment
//! ^word    ^word ^word ^option   ^option (quoted value)
//! ```
//!
//! - Words are separated by spaces (a tab counts as a space). `#` outside quotes starts a comment.
//! - A bare word is a run of characters without spaces, `"` or `#`.
//! - A quoted string is `"…"` with `\"` and `\\` as the only escapes.
//! - `name=value` is an option: the name ends at the first `=`; the value is bare or quoted.
//! - Control characters other than tab are refused, inside quotes too.
//!
//! Every token keeps its 1-based column, counted in characters.

use super::diagnostic::LineError;

/// One token of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// 1-based column of the token's first character.
    pub col: u32,
    /// The token exactly as written (quotes and escapes included).
    pub raw: String,
    pub kind: TokenKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare word (`orders/0`, `5/s`, `==`); its text is [`Token::raw`].
    Word,
    /// `"héllo wörld"`: the unescaped content.
    Quoted(String),
    /// `name=value` or `name="value"`: a bare word whose first `=` is not its first character.
    Opt {
        name: String,
        /// The unescaped value (without quotes).
        value: String,
        /// Column of the value's first character (its opening quote when quoted).
        value_col: u32,
        quoted: bool,
    },
}

impl Token {
    /// The column just after the token's last character.
    pub fn end_col(&self) -> u32 {
        self.col.saturating_add(col_len(&self.raw))
    }
}

/// The number of characters of `s`, as a column offset.
pub fn col_len(s: &str) -> u32 {
    u32::try_from(s.chars().count()).unwrap_or(u32::MAX)
}

/// A 0-based character index as a 1-based column (saturating on absurdly long lines).
fn to_col(index: usize) -> u32 {
    u32::try_from(index).map_or(u32::MAX, |c| c.saturating_add(1))
}

/// Tokenizes one line (without its line terminator).
///
/// ```
/// use engine::scenario::lexer::{tokenize, TokenKind};
/// let toks = tokenize(r#"say "a \"b\"" # hi"#).unwrap();
/// assert_eq!(toks.len(), 2);
/// assert_eq!(toks[1].kind, TokenKind::Quoted("a \"b\"".into()));
/// assert_eq!(toks[1].col, 5);
/// ```
pub fn tokenize(line: &str) -> Result<Vec<Token>, LineError> {
    let chars: Vec<char> = line.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && is_space(chars[i]) {
            i += 1;
        }
        if i >= chars.len() || chars[i] == '#' {
            return Ok(tokens);
        }
        let (token, next) = if chars[i] == '"' {
            quoted_token(&chars, i)?
        } else {
            bare_token(&chars, i)?
        };
        tokens.push(token);
        i = next;
    }
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Refuses control characters (tab excepted: it is a space outside quotes, kept inside them).
fn check_char(c: char, i: usize) -> Result<(), LineError> {
    if c.is_control() && c != '\t' {
        return Err(LineError::new(
            to_col(i),
            format!("control character U+{:04X} is not allowed", u32::from(c)),
        ));
    }
    Ok(())
}

/// `"…"` standing alone as a token.
fn quoted_token(chars: &[char], start: usize) -> Result<(Token, usize), LineError> {
    let (text, end) = quoted(chars, start)?;
    check_boundary(chars, end)?;
    let raw = chars[start..end].iter().collect();
    Ok((
        Token {
            col: to_col(start),
            raw,
            kind: TokenKind::Quoted(text),
        },
        end,
    ))
}

/// A bare word, an option `name=value`, or an option with a quoted value `name="…"`.
fn bare_token(chars: &[char], start: usize) -> Result<(Token, usize), LineError> {
    let mut i = start;
    while i < chars.len() && !is_space(chars[i]) && chars[i] != '"' && chars[i] != '#' {
        check_char(chars[i], i)?;
        i += 1;
    }
    let word: String = chars[start..i].iter().collect();
    let eq = word.find('=').filter(|&e| e > 0);
    let at_quote = i < chars.len() && chars[i] == '"';
    if at_quote {
        // Only `name="…"` may contain a quote: the quote must follow the first `=` directly.
        let Some(eq) = eq.filter(|&e| e + 1 == word.len()) else {
            return Err(LineError::new(to_col(i), "unexpected '\"' inside a word")
                .hint("quote a whole value, e.g. value=\"héllo wörld\""));
        };
        let (value, end) = quoted(chars, i)?;
        check_boundary(chars, end)?;
        let name = word[..eq].to_string();
        let raw = chars[start..end].iter().collect();
        let kind = TokenKind::Opt {
            name,
            value,
            value_col: to_col(i),
            quoted: true,
        };
        return Ok((
            Token {
                col: to_col(start),
                raw,
                kind,
            },
            end,
        ));
    }
    let kind = match eq {
        Some(eq) => TokenKind::Opt {
            name: word[..eq].to_string(),
            value: word[eq + 1..].to_string(),
            value_col: to_col(start)
                .saturating_add(col_len(&word[..eq]))
                .saturating_add(1),
            quoted: false,
        },
        None => TokenKind::Word,
    };
    Ok((
        Token {
            col: to_col(start),
            raw: word,
            kind,
        },
        i,
    ))
}

/// After a closing quote: the end of the line, a space or a comment.
fn check_boundary(chars: &[char], end: usize) -> Result<(), LineError> {
    match chars.get(end) {
        None => Ok(()),
        Some(&c) if is_space(c) || c == '#' => Ok(()),
        Some(_) => Err(LineError::new(
            to_col(end),
            "expected a space after the closing quote",
        )),
    }
}

/// Reads `"…"` starting at the opening quote; returns the unescaped text and the index just
/// after the closing quote.
fn quoted(chars: &[char], start: usize) -> Result<(String, usize), LineError> {
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err(
                LineError::new(to_col(start), "unterminated string").hint("close it with '\"'")
            );
        };
        match c {
            '"' => return Ok((text, i + 1)),
            '\\' => {
                match chars.get(i + 1) {
                    Some(&e @ ('"' | '\\')) => text.push(e),
                    Some(&e) => {
                        return Err(LineError::new(
                            to_col(i),
                            format!("unknown escape '\\{}'", e.escape_debug()),
                        )
                        .hint("the only escapes are \\\" and \\\\"));
                    }
                    None => {
                        return Err(LineError::new(to_col(start), "unterminated string")
                            .hint("close it with '\"'"));
                    }
                }
                i += 2;
            }
            _ => {
                check_char(c, i)?;
                text.push(c);
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str) -> Vec<(u32, String)> {
        tokenize(line)
            .unwrap()
            .into_iter()
            .map(|t| (t.col, t.raw))
            .collect()
    }

    #[test]
    fn words_and_comments() {
        assert_eq!(
            kinds("  a  bc # d e"),
            vec![(3, "a".into()), (6, "bc".into())]
        );
        assert_eq!(kinds("a#b"), vec![(1, "a".into())]);
        assert!(kinds("# only").is_empty());
        assert!(kinds("").is_empty());
    }

    #[test]
    fn options() {
        let t = tokenize("x=1 é=\"a b\" == <=").unwrap();
        assert!(
            matches!(&t[0].kind, TokenKind::Opt { name, value, value_col: 3, quoted: false } if name == "x" && value == "1")
        );
        assert!(
            matches!(&t[1].kind, TokenKind::Opt { name, value, value_col: 7, quoted: true } if name == "é" && value == "a b")
        );
        assert_eq!(t[2].kind, TokenKind::Word);
        assert!(matches!(&t[3].kind, TokenKind::Opt { name, .. } if name == "<"));
        assert_eq!(t[3].raw, "<=");
    }

    #[test]
    fn columns_count_characters() {
        let t = tokenize("say \"😀é\" x").unwrap();
        assert_eq!(t[2].col, 10);
    }

    #[test]
    fn errors() {
        assert_eq!(tokenize("say \"abc").unwrap_err().col, 5);
        assert_eq!(tokenize("say \"a\\nb\"").unwrap_err().col, 7);
        assert_eq!(tokenize("say \"a\"b").unwrap_err().col, 8);
        assert_eq!(tokenize("ab\"c\"").unwrap_err().col, 3);
        assert_eq!(tokenize("a\u{7}").unwrap_err().col, 2);
        assert_eq!(tokenize("say \"\\").unwrap_err().col, 5);
    }
}
