//! An expression written back as text (`Display for Expr`): what the page shows of a topology
//! and what an export writes. Parsing the text gives the same tree (`parse(print(e)) == e`,
//! property-tested in `engine/tests/streams_expr.rs`): parentheses appear exactly where the
//! precedence of `expr.rs` needs them, numbers keep their type (`1.0` stays a decimal) and strings
//! are escaped.

use std::fmt::{self, Write};

use super::expr::{is_ident, var_name};
use crate::streams::expr::{BinOp, Expr, UnOp};
use crate::streams::value::Val;

/// Binding strength, loosest first (the levels of the parser in `expr.rs`).
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const COMPARISON: u8 = 4;
const ADDITIVE: u8 = 5;
const MULTIPLICATIVE: u8 = 6;
const NEG: u8 = 7;
const POSTFIX: u8 = 8;

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f, self, 0)
    }
}

pub fn op_text(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Rem => "%",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::And => "and",
        BinOp::Or => "or",
    }
}

fn op_prec(op: BinOp) -> u8 {
    match op {
        BinOp::Or => OR,
        BinOp::And => AND,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => COMPARISON,
        BinOp::Add | BinOp::Sub => ADDITIVE,
        BinOp::Mul | BinOp::Div | BinOp::Rem => MULTIPLICATIVE,
    }
}

fn negative_number(v: &Val) -> bool {
    match v {
        Val::Int(i) => *i < 0,
        Val::Float(x) => x.is_sign_negative(),
        _ => false,
    }
}

fn prec(e: &Expr) -> u8 {
    match e {
        Expr::Binary(op, ..) => op_prec(*op),
        Expr::Unary(UnOp::Not, _) => NOT,
        Expr::Unary(UnOp::Neg, _) => NEG,
        // `-5` is written with its sign, which binds like a unary minus.
        Expr::Lit(v) if negative_number(v) => NEG,
        _ => POSTFIX,
    }
}

/// Writes `e`, in parentheses if it binds more loosely than `min`.
fn write(f: &mut impl Write, e: &Expr, min: u8) -> fmt::Result {
    let parens = prec(e) < min;
    if parens {
        f.write_char('(')?;
    }
    match e {
        Expr::Lit(v) => literal(f, v)?,
        Expr::Var(v) => f.write_str(var_name(*v))?,
        Expr::Field(base, name) => {
            write(f, base, POSTFIX)?;
            if is_ident(name) {
                write!(f, ".{name}")?;
            } else {
                f.write_char('[')?;
                string(f, name)?;
                f.write_char(']')?;
            }
        }
        Expr::Index(base, index) => {
            write(f, base, POSTFIX)?;
            f.write_char('[')?;
            write(f, index, 0)?;
            f.write_char(']')?;
        }
        Expr::Unary(UnOp::Not, x) => {
            f.write_str("not ")?;
            write(f, x, NOT)?;
        }
        Expr::Unary(UnOp::Neg, x) => {
            f.write_char('-')?;
            // A minus right before a number would make a negative literal: `-(5)` keeps the
            // negation of the literal 5.
            let number = matches!(&**x, Expr::Lit(Val::Int(_) | Val::Float(_)));
            write(f, x, if number { u8::MAX } else { NEG })?;
        }
        Expr::Binary(op, a, b) => {
            let p = op_prec(*op);
            // Left-associative: a left operand of the same level needs no parentheses, a right
            // one does; comparisons do not chain, so neither side may be a comparison.
            let left = if p == COMPARISON { p + 1 } else { p };
            write(f, a, left)?;
            write!(f, " {} ", op_text(*op))?;
            write(f, b, p + 1)?;
        }
        Expr::Call(func, args) => {
            f.write_str(func.name())?;
            f.write_char('(')?;
            list(f, args)?;
            f.write_char(')')?;
        }
        Expr::List(items) => {
            f.write_char('[')?;
            list(f, items)?;
            f.write_char(']')?;
        }
        Expr::Object(fields) => {
            f.write_char('{')?;
            for (i, (name, value)) in fields.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                if is_ident(name) {
                    f.write_str(name)?;
                } else {
                    string(f, name)?;
                }
                f.write_str(": ")?;
                write(f, value, 0)?;
            }
            f.write_char('}')?;
        }
    }
    if parens {
        f.write_char(')')?;
    }
    Ok(())
}

fn list(f: &mut impl Write, items: &[Expr]) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write(f, e, 0)?;
    }
    Ok(())
}

fn literal(f: &mut impl Write, v: &Val) -> fmt::Result {
    match v {
        Val::Null => f.write_str("null"),
        Val::Bool(b) => write!(f, "{b}"),
        Val::Int(i) => write!(f, "{i}"),
        // `{:?}` is the shortest text that reads back as the same f64, and keeps `1.0` a
        // decimal; the sign is written apart so that the parser's negative literal gives it back.
        Val::Float(x) if x.is_finite() => {
            if x.is_sign_negative() {
                f.write_char('-')?;
            }
            write!(f, "{:?}", x.abs())
        }
        // No expression makes an infinite number (evaluation refuses to): JSON writes it null.
        Val::Float(_) => f.write_str("null"),
        Val::Text(s) => string(f, s),
        // Lists and objects arrive as literals only from records; written as expressions.
        Val::List(items) => {
            f.write_char('[')?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                literal(f, item)?;
            }
            f.write_char(']')
        }
        Val::Object(fields) => {
            f.write_char('{')?;
            for (i, (name, item)) in fields.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                string(f, name)?;
                f.write_str(": ")?;
                literal(f, item)?;
            }
            f.write_char('}')
        }
    }
}

/// `"…"` with `\\`, `\"`, `\n` and `\t` escaped (the escapes `expr.rs` reads).
fn string(f: &mut impl Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '"' => f.write_str("\\\"")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}
