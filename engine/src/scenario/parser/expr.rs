//! The expression language of Streams topologies and producer value templates, from text to
//! [`Expr`] (the tree and its evaluation are `streams/expr.rs`; the way back, text from a tree,
//! is `expr_text.rs`).
//!
//! ```text
//! value.device == "mobile" and value.price > 10
//! {product: value.product, unit: round(value.price / value.quantity, 2)}
//! split(lower(value))            pick('mobile', 'desktop')        value.items[0]
//! ```
//!
//! Precedence, loosest first (as in Python, whose `and`/`or`/`not` the words come from):
//! `or`, `and`, `not`, comparisons `== != < <= > >=` (not chained), `+ -`, `* / %`, unary `-`,
//! then `.field`, `[index]` and calls. Binary operators group to the left. A `-` written right
//! before a number is part of the number (`-5` is the literal −5), so every literal can be written.
//!
//! Which variables an expression may read depends on where it stands ([`Scope`]): an unknown
//! name is an error with a did-you-mean, a known one that is not available there says which are.
//! Errors carry the column of the offending character.

use std::sync::Arc;

use crate::scenario::diagnostic::{LineError, did_you_mean};
use crate::streams::expr::{BinOp, Expr, Func, UnOp, Var};
use crate::streams::value::Val;

use super::expr_lex::{Tok, Token, lex};

type Result<T> = std::result::Result<T, LineError>;

/// Where an expression stands: the variables it may read, and how to name the place in errors
/// ("a filter's predicate").
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub vars: &'static [Var],
    pub what: &'static str,
}

/// Every variable with its name.
pub const VARS: &[(&str, Var)] = &[
    ("key", Var::Key),
    ("value", Var::Value),
    ("left", Var::Left),
    ("right", Var::Right),
    ("agg", Var::Agg),
    ("seq", Var::Seq),
];

/// The words that are not names.
const KEYWORDS: &[&str] = &["and", "or", "not", "true", "false", "null"];

/// How deep brackets and operators may nest: a line is short, and the recursive descent must not
/// overflow the stack on `((((((…`.
const MAX_DEPTH: u32 = 64;

pub fn var_name(var: Var) -> &'static str {
    VARS.iter().find(|(_, v)| *v == var).map_or("?", |(n, _)| n)
}

/// Whether `name` can be written bare as a field or object name (`value.name`, `{name: 1}`).
pub fn is_ident(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Reads expressions from one piece of a line. A caller reads one expression ([`parse`]) or a
/// comma-separated list, each in its own scope ([`Parser::expr`], [`Parser::comma`]).
pub struct Parser {
    tokens: Vec<Token>,
    next: usize,
    /// The column just after the text, where something missing would go.
    end_col: u32,
    depth: u32,
}

/// Parses `text` (which starts at column `col`) as one whole expression.
pub fn parse(text: &str, col: u32, scope: Scope) -> Result<Expr> {
    let mut p = Parser::new(text, col)?;
    let e = p.expr(scope)?;
    p.finish()?;
    Ok(e)
}

impl Parser {
    pub fn new(text: &str, col: u32) -> Result<Parser> {
        let tokens = lex(text, col)?;
        // Like the scenario parser, one space after the last token (or where the text starts).
        let end_col = tokens.last().map_or(col, |t| {
            t.col
                .saturating_add(crate::scenario::lexer::col_len(&t.raw))
                .saturating_add(1)
        });
        Ok(Parser {
            tokens,
            next: 0,
            end_col,
            depth: 0,
        })
    }

    /// Nothing (but a comment) left.
    pub fn at_end(&self) -> bool {
        self.next >= self.tokens.len()
    }

    /// The column of the next token (or just past the end).
    pub fn col(&self) -> u32 {
        self.peek().map_or(self.end_col, |t| t.col)
    }

    /// A `,` between expressions: `true` if there was one.
    pub fn comma(&mut self) -> bool {
        self.eat(",")
    }

    /// The next tokens are a name and, right after it, a lone `=`: options written after the
    /// expressions (`reduce: agg + value store=totals`) start there. Returns its column.
    pub fn at_option(&self) -> Option<u32> {
        let t = self.peek()?;
        let Tok::Ident(name) = &t.tok else {
            return None;
        };
        let eq = self.tokens.get(self.next + 1)?;
        let adjacent = eq.col == t.col.saturating_add(crate::scenario::lexer::col_len(name));
        (eq.tok == Tok::Punct("=") && adjacent).then_some(t.col)
    }

    /// The input must end here.
    pub fn finish(&self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => {
                let err = LineError::new(t.col, format!("unexpected '{}'", t.raw));
                Err(match &t.tok {
                    Tok::Punct(",") => err.hint("one expression is expected here"),
                    Tok::Punct("=") => err.hint("compare with '=='"),
                    Tok::Ident(w) if matches!(w.as_str(), "AND" | "OR" | "NOT") => {
                        err.hint(format!("write '{}'", w.to_lowercase()))
                    }
                    _ => err.hint("an operator such as + or == is missing before it"),
                })
            }
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn peek_punct(&self) -> Option<&'static str> {
        match self.peek() {
            Some(Token {
                tok: Tok::Punct(p), ..
            }) => Some(p),
            _ => None,
        }
    }

    fn peek_word(&self) -> Option<&str> {
        match self.peek() {
            Some(Token {
                tok: Tok::Ident(w), ..
            }) => Some(w),
            _ => None,
        }
    }

    fn eat(&mut self, punct: &str) -> bool {
        if self.peek_punct() == Some(punct) {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.peek_word() == Some(word) {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn bump(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.next).cloned();
        self.next += 1;
        t
    }

    /// `what` was expected: an error at the next token, or just past the end.
    fn expected(&self, what: &str) -> LineError {
        match self.peek() {
            Some(t) => LineError::new(t.col, format!("expected {what}, found '{}'", t.raw)),
            None => LineError::new(self.end_col, format!("missing {what}")),
        }
    }

    fn close(&mut self, punct: &str, open_col: u32, what: &str) -> Result<()> {
        if self.eat(punct) {
            return Ok(());
        }
        Err(self
            .expected(&format!("'{punct}'"))
            .hint(format!("to close the {what} opened at column {open_col}")))
    }

    fn nest(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(
                LineError::new(self.col(), "the expression nests too deeply")
                    .hint(format!("at most {MAX_DEPTH} levels")),
            );
        }
        Ok(())
    }

    /// One expression in `scope`.
    pub fn expr(&mut self, scope: Scope) -> Result<Expr> {
        if self.at_end() {
            return Err(self.expected("an expression"));
        }
        self.nest()?;
        let e = self.or(scope);
        self.depth -= 1;
        e
    }

    fn or(&mut self, s: Scope) -> Result<Expr> {
        let mut e = self.and(s)?;
        while self.eat_word("or") {
            e = Expr::Binary(BinOp::Or, Box::new(e), Box::new(self.and(s)?));
        }
        Ok(e)
    }

    fn and(&mut self, s: Scope) -> Result<Expr> {
        let mut e = self.not(s)?;
        while self.eat_word("and") {
            e = Expr::Binary(BinOp::And, Box::new(e), Box::new(self.not(s)?));
        }
        Ok(e)
    }

    fn not(&mut self, s: Scope) -> Result<Expr> {
        if self.eat_word("not") {
            self.nest()?;
            let e = self.not(s)?;
            self.depth -= 1;
            return Ok(Expr::Unary(UnOp::Not, Box::new(e)));
        }
        self.comparison(s)
    }

    fn comparison(&mut self, s: Scope) -> Result<Expr> {
        let e = self.additive(s)?;
        let Some(op) = self.peek_punct().and_then(comparison_op) else {
            return Ok(e);
        };
        self.next += 1;
        let right = self.additive(s)?;
        if let Some(p) = self.peek_punct().filter(|p| comparison_op(p).is_some()) {
            return Err(LineError::new(
                self.col(),
                format!("comparisons cannot be chained ('{p}')"),
            )
            .hint("write a < b and b < c"));
        }
        Ok(Expr::Binary(op, Box::new(e), Box::new(right)))
    }

    fn additive(&mut self, s: Scope) -> Result<Expr> {
        let mut e = self.multiplicative(s)?;
        loop {
            let op = match self.peek_punct() {
                Some("+") => BinOp::Add,
                Some("-") => BinOp::Sub,
                _ => return Ok(e),
            };
            self.next += 1;
            e = Expr::Binary(op, Box::new(e), Box::new(self.multiplicative(s)?));
        }
    }

    fn multiplicative(&mut self, s: Scope) -> Result<Expr> {
        let mut e = self.unary(s)?;
        loop {
            let op = match self.peek_punct() {
                Some("*") => BinOp::Mul,
                Some("/") => BinOp::Div,
                Some("%") => BinOp::Rem,
                _ => return Ok(e),
            };
            self.next += 1;
            e = Expr::Binary(op, Box::new(e), Box::new(self.unary(s)?));
        }
    }

    fn unary(&mut self, s: Scope) -> Result<Expr> {
        if self.peek_punct() != Some("-") {
            return self.postfix(s);
        }
        let minus = self.bump().map_or(0, |t| t.col);
        // `-5` is a literal unless a postfix follows the number (`-5.x` negates `5.x`).
        let number = self.peek().map(|t| t.tok.clone());
        let postfix_next = matches!(
            self.tokens.get(self.next + 1).map(|t| &t.tok),
            Some(Tok::Punct("." | "["))
        );
        match number {
            Some(Tok::Int(n)) if !postfix_next => {
                self.next += 1;
                let v = 0i64
                    .checked_sub_unsigned(n)
                    .ok_or_else(|| LineError::new(minus, format!("number -{n} is too large")))?;
                return Ok(Expr::Lit(Val::Int(v)));
            }
            Some(Tok::Float(f)) if !postfix_next => {
                self.next += 1;
                return Ok(Expr::Lit(Val::Float(-f)));
            }
            _ => {}
        }
        self.nest()?;
        let e = self.unary(s);
        self.depth -= 1;
        Ok(Expr::Unary(UnOp::Neg, Box::new(e?)))
    }

    fn postfix(&mut self, s: Scope) -> Result<Expr> {
        let mut e = self.atom(s)?;
        loop {
            if self.peek_punct() == Some(".") {
                let dot = self.bump().map_or(0, |t| t.col);
                match self.bump() {
                    Some(Token {
                        tok: Tok::Ident(name),
                        ..
                    }) => e = Expr::Field(Box::new(e), Arc::from(name.as_str())),
                    _ => {
                        self.next -= 1;
                        return Err(self.expected("a field name after '.'").hint(format!(
                            "write a field as value.name, or value[\"a name\"] (the '.' is at column {dot})"
                        )));
                    }
                }
            } else if self.peek_punct() == Some("[") {
                let open = self.bump().map_or(0, |t| t.col);
                let index = self.expr(s)?;
                self.close("]", open, "index")?;
                e = Expr::Index(Box::new(e), Box::new(index));
            } else {
                return Ok(e);
            }
        }
    }

    fn atom(&mut self, s: Scope) -> Result<Expr> {
        let Some(t) = self.bump() else {
            return Err(LineError::new(self.end_col, "missing an expression"));
        };
        match t.tok {
            Tok::Int(n) => i64::try_from(n)
                .map(|i| Expr::Lit(Val::Int(i)))
                .map_err(|_| LineError::new(t.col, format!("number {n} is too large"))),
            Tok::Float(f) => Ok(Expr::Lit(Val::Float(f))),
            Tok::Str(text) => Ok(Expr::Lit(Val::text(&text))),
            Tok::Punct("(") => {
                let e = self.expr(s)?;
                self.close(")", t.col, "parenthesis")?;
                Ok(e)
            }
            Tok::Punct("[") => {
                let items = self.items("]", t.col, "list", s, |p, s| p.expr(s))?;
                Ok(Expr::List(items))
            }
            Tok::Punct("{") => self.object(t.col, s),
            Tok::Punct(p) => {
                self.next -= 1;
                let err = self.expected("a value");
                Err(match p {
                    ")" | "]" | "}" => err.hint("nothing was opened here"),
                    _ => err,
                })
            }
            Tok::Ident(word) => self.name(&word, t.col, s),
        }
    }

    /// A keyword, a variable or a call.
    fn name(&mut self, word: &str, col: u32, s: Scope) -> Result<Expr> {
        match word {
            "true" => return Ok(Expr::Lit(Val::Bool(true))),
            "false" => return Ok(Expr::Lit(Val::Bool(false))),
            "null" => return Ok(Expr::Lit(Val::Null)),
            "and" | "or" => {
                return Err(LineError::new(
                    col,
                    format!("'{word}' needs a value before it"),
                ));
            }
            _ => {}
        }
        if self.peek_punct() == Some("(") {
            let open = self.bump().map_or(0, |t| t.col);
            return self.call(word, col, open, s);
        }
        if let Some(&(_, var)) = VARS.iter().find(|(n, _)| *n == word) {
            if s.vars.contains(&var) {
                return Ok(Expr::Var(var));
            }
            return Err(
                LineError::new(col, format!("'{word}' is not available in {}", s.what))
                    .hint(available(s)),
            );
        }
        let err = LineError::new(col, format!("unknown name '{word}'"));
        let names = s
            .vars
            .iter()
            .map(|v| var_name(*v))
            .chain(KEYWORDS.iter().copied());
        if let Some(hint) = did_you_mean(word, names) {
            return Err(err.hint(hint));
        }
        Err(err.hint(format!("{}; write text in quotes: '{word}'", available(s))))
    }

    fn call(&mut self, name: &str, col: u32, open: u32, s: Scope) -> Result<Expr> {
        let Some(func) = Func::by_name(name) else {
            let names = Func::ALL.iter().map(|(n, _)| *n);
            let err = LineError::new(col, format!("unknown function '{name}'"));
            return Err(match did_you_mean(name, names) {
                Some(hint) => err.hint(hint),
                None => err.hint(format!(
                    "the functions are {}",
                    Func::ALL
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            });
        };
        let args = self.items(")", open, "call", s, |p, s| p.expr(s))?;
        let (min, max) = func.arity();
        if args.len() < min || args.len() > max {
            let wanted = match (min, max) {
                (a, b) if a == b => format!("{a}"),
                (a, 64) => format!("at least {a}"),
                (a, b) => format!("{a} or {b}"),
            };
            let s = if wanted == "1" { "" } else { "s" };
            return Err(LineError::new(
                col,
                format!("{name}() takes {wanted} argument{s}, not {}", args.len()),
            )
            .hint(format!("e.g. {}", signature(func))));
        }
        Ok(Expr::Call(func, args))
    }

    /// Comma-separated items up to `close`.
    fn items<T>(
        &mut self,
        close: &str,
        open: u32,
        what: &str,
        s: Scope,
        mut item: impl FnMut(&mut Parser, Scope) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.nest()?;
        let mut items = Vec::new();
        if !self.eat(close) {
            loop {
                items.push(item(self, s)?);
                if self.eat(close) {
                    break;
                }
                if !self.eat(",") {
                    return Err(self
                        .expected(&format!("',' or '{close}'"))
                        .hint(format!("to close the {what} opened at column {open}")));
                }
            }
        }
        self.depth -= 1;
        Ok(items)
    }

    /// `{name: expr, "a name": expr}`
    fn object(&mut self, open: u32, s: Scope) -> Result<Expr> {
        let mut seen: Vec<(Arc<str>, u32)> = Vec::new();
        let fields = self.items("}", open, "object", s, |p, s| {
            let t = p.bump();
            let (name, col) = match t {
                Some(Token {
                    tok: Tok::Ident(n) | Tok::Str(n),
                    col,
                    ..
                }) => (n, col),
                _ => {
                    p.next -= 1;
                    return Err(p
                        .expected("a field name")
                        .hint("write fields as {name: value, \"a name\": value}"));
                }
            };
            if !p.eat(":") {
                return Err(p
                    .expected(&format!("':' after '{name}'"))
                    .hint("write fields as {name: value}"));
            }
            let name: Arc<str> = Arc::from(name.as_str());
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                return Err(
                    LineError::new(col, format!("field '{name}' is given twice"))
                        .hint(format!("first at column {first}")),
                );
            }
            seen.push((name.clone(), col));
            Ok((name, p.expr(s)?))
        })?;
        Ok(Expr::Object(fields))
    }
}

fn comparison_op(p: &str) -> Option<BinOp> {
    Some(match p {
        "==" => BinOp::Eq,
        "!=" => BinOp::Ne,
        "<" => BinOp::Lt,
        "<=" => BinOp::Le,
        ">" => BinOp::Gt,
        ">=" => BinOp::Ge,
        _ => return None,
    })
}

fn available(s: Scope) -> String {
    match s.vars {
        [] => format!("{} reads no variables", s.what),
        [one] => format!("{} can read {}", s.what, var_name(*one)),
        vars => format!(
            "{} can read {}",
            s.what,
            vars.iter()
                .map(|v| var_name(*v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A call as the documentation writes it, for hints.
pub fn signature(func: Func) -> &'static str {
    match func {
        Func::Lower => "lower(value)",
        Func::Upper => "upper(value)",
        Func::Trim => "trim(value)",
        Func::Split => "split(value) or split(value, \",\")",
        Func::Len => "len(value)",
        Func::Contains => "contains(value, \"error\")",
        Func::StartsWith => "startsWith(value, \"user-\")",
        Func::Text => "text(value.id)",
        Func::Number => "number(value)",
        Func::Round => "round(value.price) or round(value.price, 2)",
        Func::If => "if(value.price > 100, \"big\", \"small\")",
        Func::Coalesce => "coalesce(value.name, \"unknown\")",
        Func::Pick => "pick('mobile', 'desktop')",
        Func::Cycle => "cycle('a', 'b', 'c')",
    }
}
