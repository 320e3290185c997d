//! The small expression language of Streams topologies and producer value templates:
//! `value.device == "mobile"`, `value.price / value.quantity`, `split(lower(value), " ")`,
//! `{product: value.product, unit: value.price / value.quantity}`.
//!
//! Expressions are checked when the scenario is parsed (names, functions and their arity); types
//! are only known when a record arrives, so a type error at run time (multiplying text) is an
//! [`EvalError`] that the task reports and skips the record for, as Kafka Streams does with
//! `processing.exception.handler=LogAndContinueProcessingExceptionHandler` (KIP-1033).
//!
//! The parser lives in `scenario/parser/streams.rs`; this file is the tree and its evaluation.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::value::Val;
use super::words::Words;

/// A variable an expression can read. Which ones a line may use depends on the operation (the
/// parser checks it): `key` and `value` everywhere, `left`/`right` in a join's joiner, `agg` in
/// `reduce` and `aggregate`, `seq` in a producer's value template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    Key,
    Value,
    Left,
    Right,
    /// The aggregate so far (`reduce`, `aggregate`).
    Agg,
    /// A producer template's running record number, from 0.
    Seq,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

/// The built-in functions. Arity is checked by the parser (`Func::arity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `lower(text)`
    Lower,
    /// `upper(text)`
    Upper,
    /// `trim(text)`
    Trim,
    /// `split(text, sep)`: the non-empty pieces between separators; `split(text)` splits on
    /// every run of characters that are not letters or digits (Java's `\W+`, Kafka's WordCount).
    Split,
    /// `len(text|list|object)`
    Len,
    /// `contains(text, part)` / `contains(list, item)`
    Contains,
    /// `startsWith(text, prefix)`
    StartsWith,
    /// `text(x)`: x as text (JSON for lists and objects).
    Text,
    /// `number(x)`: text parsed as a number (null when it is not one).
    Number,
    /// `round(x)` / `round(x, digits)`
    Round,
    /// `if(cond, then, else)`
    If,
    /// `coalesce(a, b, …)`: the first that is not null.
    Coalesce,
    /// `pick(a, b, …)`: one of the arguments, chosen by a hash of `seq` (templates: looks random,
    /// is the same in every run).
    Pick,
    /// `cycle(a, b, …)`: the arguments in turn, by `seq`.
    Cycle,
}

impl Func {
    pub const ALL: &[(&str, Func)] = &[
        ("lower", Func::Lower),
        ("upper", Func::Upper),
        ("trim", Func::Trim),
        ("split", Func::Split),
        ("len", Func::Len),
        ("contains", Func::Contains),
        ("startsWith", Func::StartsWith),
        ("text", Func::Text),
        ("number", Func::Number),
        ("round", Func::Round),
        ("if", Func::If),
        ("coalesce", Func::Coalesce),
        ("pick", Func::Pick),
        ("cycle", Func::Cycle),
    ];

    pub fn by_name(name: &str) -> Option<Func> {
        Func::ALL.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }

    pub fn name(self) -> &'static str {
        Func::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("?", |(n, _)| n)
    }

    /// The smallest and largest number of arguments.
    pub fn arity(self) -> (usize, usize) {
        match self {
            Func::Lower | Func::Upper | Func::Trim | Func::Len | Func::Text | Func::Number => {
                (1, 1)
            }
            Func::Split | Func::Round => (1, 2),
            Func::Contains | Func::StartsWith => (2, 2),
            Func::If => (3, 3),
            Func::Coalesce | Func::Pick | Func::Cycle => (1, 64),
        }
    }
}

/// An expression tree. (`Eq`: literals compare as `Val`s do, `1 == 1.0`; commands that carry
/// expressions are `Eq`.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Lit(Val),
    Var(Var),
    /// `x.name`
    Field(Box<Expr>, Arc<str>),
    /// `x[i]` (a list index or an object field by a computed name)
    Index(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{name: a, other: b}`
    Object(Vec<(Arc<str>, Expr)>),
}

/// What the variables hold while one record is evaluated; unset ones are `Null`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Env<'a> {
    pub key: Option<&'a Val>,
    pub value: Option<&'a Val>,
    pub left: Option<&'a Val>,
    pub right: Option<&'a Val>,
    pub agg: Option<&'a Val>,
    pub seq: u64,
    /// Where `split` takes its words from when the caller keeps them (a stream thread's
    /// `Words`); without, every word is a new text.
    pub words: Option<&'a Words>,
}

impl Env<'_> {
    /// The variable's value (`Null` when unset).
    fn var(&self, var: Var) -> Val {
        match var {
            Var::Key => self.key.unwrap_or(&NULL).clone(),
            Var::Value => self.value.unwrap_or(&NULL).clone(),
            Var::Left => self.left.unwrap_or(&NULL).clone(),
            Var::Right => self.right.unwrap_or(&NULL).clone(),
            Var::Agg => self.agg.unwrap_or(&NULL).clone(),
            Var::Seq => Val::Int(i64::try_from(self.seq).unwrap_or(i64::MAX)),
        }
    }
}

/// A type error while evaluating: the task logs it and skips the record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

type Result<T> = std::result::Result<T, EvalError>;

static NULL: Val = Val::Null;

impl Expr {
    /// Inlined for its leaves: a literal or a variable (a groupBy's `value`, most keys) is read
    /// where it is asked for; everything else is evaluated out of line (`eval_node`).
    #[inline]
    pub fn eval(&self, env: &Env<'_>) -> Result<Val> {
        match self {
            Expr::Lit(v) => Ok(v.clone()),
            Expr::Var(var) => Ok(env.var(*var)),
            _ => self.eval_node(env),
        }
    }

    fn eval_node(&self, env: &Env<'_>) -> Result<Val> {
        Ok(match self {
            Expr::Lit(v) => v.clone(),
            Expr::Var(var) => env.var(*var),
            // A missing field, or a field of something that is not an object, is null: JSON
            // records in a class rarely all have every field.
            Expr::Field(base, name) => match base.eval(env)? {
                Val::Object(fields) => fields.get(name).cloned().unwrap_or(Val::Null),
                _ => Val::Null,
            },
            Expr::Index(base, index) => match (base.eval(env)?, index.eval(env)?) {
                (Val::List(items), Val::Int(i)) => usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get(i).cloned())
                    .unwrap_or(Val::Null),
                (Val::Object(fields), Val::Text(name)) => {
                    fields.get(&name).cloned().unwrap_or(Val::Null)
                }
                _ => Val::Null,
            },
            Expr::Unary(op, x) => {
                let x = x.eval(env)?;
                match (op, &x) {
                    (UnOp::Not, Val::Bool(b)) => Val::Bool(!b),
                    (UnOp::Neg, Val::Int(i)) => Val::Int(i.checked_neg().ok_or_else(overflow)?),
                    (UnOp::Neg, Val::Float(f)) => Val::Float(-f),
                    (UnOp::Not, _) => return Err(type_error("apply 'not' to", &x)),
                    (UnOp::Neg, _) => return Err(type_error("negate", &x)),
                }
            }
            Expr::Binary(op, a, b) => binary(*op, a, b, env)?,
            Expr::Call(func, args) => call(*func, args, env)?,
            Expr::List(items) => Val::List(
                items
                    .iter()
                    .map(|e| e.eval(env))
                    .collect::<Result<Vec<_>>>()?
                    .into(),
            ),
            Expr::Object(fields) => {
                let mut map = BTreeMap::new();
                for (name, e) in fields {
                    map.insert(name.clone(), e.eval(env)?);
                }
                Val::Object(Arc::new(map))
            }
        })
    }
}

fn overflow() -> EvalError {
    EvalError("number too large".to_string())
}

fn type_error(what: &str, x: &Val) -> EvalError {
    EvalError(format!("cannot {what} {} ({x})", x.type_name()))
}

fn binary(op: BinOp, a: &Expr, b: &Expr, env: &Env<'_>) -> Result<Val> {
    // `and`/`or` short-circuit, so `value.qty > 0 and value.price / value.qty > 2` is safe.
    if matches!(op, BinOp::And | BinOp::Or) {
        let left = a.eval(env)?;
        let Val::Bool(l) = left else {
            return Err(type_error("use as a condition", &left));
        };
        if (op == BinOp::And && !l) || (op == BinOp::Or && l) {
            return Ok(Val::Bool(l));
        }
        let right = b.eval(env)?;
        return match right {
            Val::Bool(r) => Ok(Val::Bool(r)),
            other => Err(type_error("use as a condition", &other)),
        };
    }
    let (x, y) = (a.eval(env)?, b.eval(env)?);
    Ok(match op {
        BinOp::Eq => Val::Bool(x == y),
        BinOp::Ne => Val::Bool(x != y),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            // Ordering across types (text < number) would be a silent surprise: refuse it.
            if x.type_name() != y.type_name() {
                return Err(EvalError(format!(
                    "cannot compare {} with {} ({x} and {y})",
                    x.type_name(),
                    y.type_name()
                )));
            }
            let ord = x.cmp(&y);
            Val::Bool(match op {
                BinOp::Lt => ord.is_lt(),
                BinOp::Le => ord.is_le(),
                BinOp::Gt => ord.is_gt(),
                _ => ord.is_ge(),
            })
        }
        BinOp::Add => match (&x, &y) {
            // `+` with text on either side joins texts: `"user-" + key`.
            (Val::Text(_), other) | (other, Val::Text(_)) if !other.is_null() => {
                Val::text(&format!("{x}{y}"))
            }
            _ => arithmetic(op, &x, &y)?,
        },
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => arithmetic(op, &x, &y)?,
        BinOp::And | BinOp::Or => unreachable!("handled above"),
    })
}

/// Integers stay integers (checked: an overflow is an error, never a wrap); `/` of two integers
/// that do not divide evenly gives a float, as a teacher computing a price per unit expects.
fn arithmetic(op: BinOp, x: &Val, y: &Val) -> Result<Val> {
    let verb = match op {
        BinOp::Add => "add",
        BinOp::Sub => "subtract",
        BinOp::Mul => "multiply",
        BinOp::Div => "divide",
        _ => "take the remainder of",
    };
    match (x, y) {
        (Val::Int(a), Val::Int(b)) => {
            let r = match op {
                BinOp::Add => a.checked_add(*b),
                BinOp::Sub => a.checked_sub(*b),
                BinOp::Mul => a.checked_mul(*b),
                BinOp::Div if *b == 0 => return Err(EvalError("division by zero".to_string())),
                BinOp::Div if a % b != 0 => return Ok(Val::Float(*a as f64 / *b as f64)),
                BinOp::Div => a.checked_div(*b),
                _ if *b == 0 => return Err(EvalError("division by zero".to_string())),
                _ => a.checked_rem(*b),
            };
            r.map(Val::Int).ok_or_else(overflow)
        }
        _ => match (x.as_f64(), y.as_f64()) {
            (Some(a), Some(b)) => {
                if matches!(op, BinOp::Div | BinOp::Rem) && b == 0.0 {
                    return Err(EvalError("division by zero".to_string()));
                }
                Ok(Val::Float(match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => a / b,
                    _ => a % b,
                }))
            }
            _ => Err(EvalError(format!(
                "cannot {verb} {} and {} ({x} and {y})",
                x.type_name(),
                y.type_name()
            ))),
        },
    }
}

fn call(func: Func, args: &[Expr], env: &Env<'_>) -> Result<Val> {
    // `if`, `pick` and `cycle` evaluate only the argument they choose.
    match func {
        Func::If => {
            let cond = args[0].eval(env)?;
            return match cond {
                Val::Bool(true) => args[1].eval(env),
                Val::Bool(false) => args[2].eval(env),
                other => Err(type_error("use as a condition", &other)),
            };
        }
        Func::Pick => {
            let i = splitmix64(env.seq) % args.len() as u64;
            return args[i as usize].eval(env);
        }
        Func::Cycle => {
            let i = env.seq % args.len() as u64;
            return args[i as usize].eval(env);
        }
        Func::Coalesce => {
            for a in args {
                let v = a.eval(env)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            return Ok(Val::Null);
        }
        // Word count's mapper.
        Func::Split => {
            if let [Expr::Call(Func::Lower, lowered)] = args
                && let [text] = lowered.as_slice()
            {
                return split_lowered(text, env);
            }
        }
        _ => {}
    }
    // The functions left take one or two arguments (`Func::arity`): evaluated into a pair on
    // the stack, not a list allocated for every record.
    let mut pair = [Val::Null, Val::Null];
    let more: Vec<Val>;
    let vals: &[Val] = if args.len() <= pair.len() {
        for (slot, a) in pair.iter_mut().zip(args) {
            *slot = a.eval(env)?;
        }
        &pair[..args.len()]
    } else {
        more = args.iter().map(|a| a.eval(env)).collect::<Result<_>>()?;
        &more
    };
    apply(func, vals, env)
}

/// `split(lower(text))`. On ASCII text the line is lowered into a scratch string (or read as it
/// is, with no upper case letter) and split from there: the lowered line never becomes a value
/// of its own, which only the split would have read. Any other text (or an error) takes
/// `lower` then `split` as written.
fn split_lowered(text: &Expr, env: &Env<'_>) -> Result<Val> {
    let line = text.eval(env)?;
    if let Val::Text(t) = &line
        && t.is_ascii()
    {
        let lowered = if t.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(t.to_ascii_lowercase())
        } else {
            Cow::Borrowed(&**t)
        };
        let mut kept = env.words.map(Words::kept);
        return Ok(Val::List(ascii_words(&lowered, |piece| match &mut kept {
            Some(kept) => Val::Text(kept.get(piece)),
            None => Val::text(piece),
        })));
    }
    let lowered = apply(Func::Lower, &[line], env)?;
    apply(Func::Split, &[lowered], env)
}

/// A function with its arguments evaluated (every one but `if`, `pick`, `cycle`, `coalesce`,
/// which evaluate only the arguments they choose).
fn apply(func: Func, vals: &[Val], env: &Env<'_>) -> Result<Val> {
    let text_arg = |i: usize| -> Result<&str> {
        match &vals[i] {
            Val::Text(s) => Ok(s),
            other => Err(EvalError(format!(
                "{}() needs text, got {} ({other})",
                func.name(),
                other.type_name()
            ))),
        }
    };
    Ok(match func {
        // Text already in lower case is shared, not copied (ASCII only: elsewhere lower case
        // is not a per-character test).
        Func::Lower => match &vals[0] {
            Val::Text(t) if t.is_ascii() && !t.bytes().any(|b| b.is_ascii_uppercase()) => {
                Val::Text(Arc::clone(t))
            }
            _ => Val::text(&text_arg(0)?.to_lowercase()),
        },
        Func::Upper => Val::text(&text_arg(0)?.to_uppercase()),
        Func::Trim => Val::text(text_arg(0)?.trim()),
        Func::Split => {
            let s = text_arg(0)?;
            // The thread's words borrowed once for the whole line.
            let mut kept = env.words.map(Words::kept);
            let mut word = |piece: &str| match &mut kept {
                Some(kept) => Val::Text(kept.get(piece)),
                None => Val::text(piece),
            };
            let pieces: Arc<[Val]> = if vals.len() == 2 {
                let sep = text_arg(1)?;
                if sep.is_empty() {
                    return Err(EvalError("split() needs a non-empty separator".to_string()));
                }
                s.split(sep).filter(|p| !p.is_empty()).map(word).collect()
            } else if s.is_ascii() {
                ascii_words(s, word)
            } else {
                s.split(|c: char| !c.is_alphanumeric())
                    .filter(|p| !p.is_empty())
                    .map(&mut word)
                    .collect()
            };
            Val::List(pieces)
        }
        Func::Len => match &vals[0] {
            Val::Text(s) => Val::Int(s.chars().count() as i64),
            Val::List(items) => Val::Int(items.len() as i64),
            Val::Object(fields) => Val::Int(fields.len() as i64),
            other => return Err(type_error("take the length of", other)),
        },
        Func::Contains => match &vals[0] {
            Val::Text(s) => Val::Bool(s.contains(text_arg(1)?)),
            Val::List(items) => Val::Bool(items.contains(&vals[1])),
            other => return Err(type_error("search in", other)),
        },
        Func::StartsWith => Val::Bool(text_arg(0)?.starts_with(text_arg(1)?)),
        Func::Text => Val::text(&vals[0].to_string()),
        Func::Number => match &vals[0] {
            Val::Int(_) | Val::Float(_) => vals[0].clone(),
            Val::Text(s) => s
                .trim()
                .parse::<i64>()
                .map(Val::Int)
                .or_else(|_| s.trim().parse::<f64>().map(Val::Float))
                .unwrap_or(Val::Null),
            _ => Val::Null,
        },
        Func::Round => {
            let digits = match vals.get(1) {
                None => 0,
                Some(Val::Int(d)) if (0..=9).contains(d) => *d as i32,
                Some(other) => return Err(type_error("round to", other)),
            };
            match &vals[0] {
                Val::Int(i) => Val::Int(*i),
                Val::Float(f) if digits == 0 => {
                    let r = f.round();
                    if r.abs() < 9.0e15 {
                        Val::Int(r as i64)
                    } else {
                        Val::Float(r)
                    }
                }
                Val::Float(f) => {
                    let scale = 10f64.powi(digits);
                    Val::Float((f * scale).round() / scale)
                }
                other => return Err(type_error("round", other)),
            }
        }
        Func::If | Func::Pick | Func::Cycle | Func::Coalesce => unreachable!("handled above"),
    })
}

/// `split(text)` of ASCII text: the pieces of the char split, found byte by byte (on ASCII
/// `char::is_alphanumeric` is `u8::is_ascii_alphanumeric`; word count's lines). The words'
/// places are found first, so that the list is built in place in its one allocation (a `Vec`
/// turned into an `Arc` would be copied): in one pass for a line of up to `WORDS` words (held
/// on the stack), else counted in a first pass. `word` makes each word's value.
fn ascii_words(s: &str, mut word: impl FnMut(&str) -> Val) -> Arc<[Val]> {
    const WORDS: usize = 16;
    let bytes = s.as_bytes();
    let mut found = [(0, 0); WORDS];
    let mut n = 0;
    let mut at = 0;
    while at < bytes.len() {
        if !WORD_BYTE[usize::from(bytes[at])] {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && WORD_BYTE[usize::from(bytes[at])] {
            at += 1;
        }
        let Some(place) = found.get_mut(n) else {
            return ascii_words_counted(s, word);
        };
        *place = (start, at);
        n += 1;
    }
    // A mapped slice has an exact length, which `collect` into an `Arc` slice relies on.
    found[..n]
        .iter()
        .map(|&(start, end)| word(&s[start..end]))
        .collect()
}

/// [`ascii_words`] of a line of many words: counted first, then found again.
fn ascii_words_counted(s: &str, mut word: impl FnMut(&str) -> Val) -> Arc<[Val]> {
    let bytes = s.as_bytes();
    let (mut words, mut in_word) = (0, false);
    for &b in bytes {
        let w = WORD_BYTE[usize::from(b)];
        words += usize::from(w && !in_word);
        in_word = w;
    }
    let mut at = 0;
    let mut next_word = || {
        while !WORD_BYTE[usize::from(bytes[at])] {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && WORD_BYTE[usize::from(bytes[at])] {
            at += 1;
        }
        word(&s[start..at])
    };
    // A mapped range has an exact length, as above.
    (0..words).map(|_| next_word()).collect()
}

/// `u8::is_ascii_alphanumeric` as a table: one load per byte of every line split.
static WORD_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    table
};

/// A well-mixed hash of a counter (SplitMix64's finaliser): `pick` looks random, runs the same.
fn splitmix64(seq: u64) -> u64 {
    let mut z = seq.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str) -> Expr {
        Expr::Field(Box::new(Expr::Var(Var::Value)), Arc::from(name))
    }

    #[test]
    fn price_per_quantity_and_device_filter() {
        let sale = Val::from_record(Some(r#"{"device":"mobile","price":30,"quantity":4}"#));
        let env = Env {
            value: Some(&sale),
            ..Env::default()
        };
        let per = Expr::Binary(
            BinOp::Div,
            Box::new(field("price")),
            Box::new(field("quantity")),
        );
        assert_eq!(per.eval(&env), Ok(Val::Float(7.5)));
        let mobile = Expr::Binary(
            BinOp::Eq,
            Box::new(field("device")),
            Box::new(Expr::Lit(Val::text("mobile"))),
        );
        assert_eq!(mobile.eval(&env), Ok(Val::Bool(true)));
        assert_eq!(field("missing").eval(&env), Ok(Val::Null));
    }

    #[test]
    fn split_on_non_word_characters_like_kafkas_word_count() {
        let line = Val::text("Hello, Kafka Streams! hello");
        let env = Env {
            value: Some(&line),
            ..Env::default()
        };
        let words = Expr::Call(
            Func::Split,
            vec![Expr::Call(Func::Lower, vec![Expr::Var(Var::Value)])],
        );
        let Ok(Val::List(items)) = words.eval(&env) else {
            panic!("a list")
        };
        let items: Vec<String> = items.iter().map(Val::to_string).collect();
        assert_eq!(items, ["hello", "kafka", "streams", "hello"]);
        // With a thread's words, the same words, each word one text.
        let kept = Words::default();
        let env = Env {
            words: Some(&kept),
            ..env
        };
        let Ok(Val::List(shared)) = words.eval(&env) else {
            panic!("a list")
        };
        assert_eq!(shared.iter().map(Val::to_string).collect::<Vec<_>>(), items);
        let (Val::Text(first), Val::Text(last)) = (&shared[0], &shared[3]) else {
            panic!("texts")
        };
        assert!(Arc::ptr_eq(first, last));
    }

    #[test]
    fn split_of_ascii_text_gives_the_pieces_of_the_char_split() {
        // ASCII lines take a byte-by-byte path; its pieces must be those of the char split
        // that every other text takes (and that non-ASCII text below still takes).
        let lines = [
            "",
            " ",
            "one",
            "  two  words  ",
            "a,b;;c--d_e 42x",
            "trailing!",
            "!leading",
            "tab\there\nnewline",
            "one two three four five six seven eight nine ten 11 12 13 14 15 16 17, 18 19 20",
            "caf\u{e9} na\u{ef}ve \u{fc}ber",
        ];
        for line in lines {
            let v = Val::text(line);
            let env = Env {
                value: Some(&v),
                ..Env::default()
            };
            let Ok(Val::List(items)) =
                Expr::Call(Func::Split, vec![Expr::Var(Var::Value)]).eval(&env)
            else {
                panic!("a list")
            };
            let got: Vec<String> = items.iter().map(Val::to_string).collect();
            let want: Vec<String> = line
                .split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            assert_eq!(got, want, "split of {line:?}");
        }
    }

    #[test]
    fn split_of_lower_gives_the_split_of_the_lowered_text() {
        // `split(lower(x))` lowers each word instead of the line: the same words, or the same
        // error, as lowering the line and splitting that.
        let lines = [
            Val::text(""),
            Val::text("Hello, Kafka Streams! HELLO hello"),
            Val::text("MiXeD-case_words 42X x42"),
            Val::text(&format!("short {} Long", "VeryLongWord".repeat(5))),
            Val::text(&"Many WORDS, ".repeat(12)),
            Val::text("Caf\u{c9} NA\u{cf}VE \u{dc}ber"),
            Val::Int(7),
        ];
        let words = Words::default();
        for line in lines {
            for kept in [None, Some(&words)] {
                let env = Env {
                    value: Some(&line),
                    words: kept,
                    ..Env::default()
                };
                let lower = Expr::Call(Func::Lower, vec![Expr::Var(Var::Value)]);
                let fused = Expr::Call(Func::Split, vec![lower.clone()]).eval(&env);
                let apart = lower
                    .eval(&env)
                    .and_then(|l| Expr::Call(Func::Split, vec![Expr::Lit(l)]).eval(&env));
                assert_eq!(fused, apart, "split(lower({line}))");
            }
        }
    }

    #[test]
    fn type_errors_are_errors_not_panics() {
        let env = Env::default();
        let bad = Expr::Binary(
            BinOp::Mul,
            Box::new(Expr::Lit(Val::text("a"))),
            Box::new(Expr::Lit(Val::Int(2))),
        );
        assert!(bad.eval(&env).is_err());
        let overflow = Expr::Binary(
            BinOp::Mul,
            Box::new(Expr::Lit(Val::Int(i64::MAX))),
            Box::new(Expr::Lit(Val::Int(2))),
        );
        assert!(overflow.eval(&env).is_err());
        let zero = Expr::Binary(
            BinOp::Rem,
            Box::new(Expr::Lit(Val::Int(1))),
            Box::new(Expr::Lit(Val::Int(0))),
        );
        assert!(zero.eval(&env).is_err());
    }
}
