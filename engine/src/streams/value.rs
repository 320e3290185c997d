//! Keys and values as a Streams application sees them.
//!
//! Kafka Streams works on bytes through Serdes; the playground's records carry text, so a Streams
//! application reads each key and value with one "serde": text that parses as JSON (an object, a
//! list, a number, `true`/`false`/`null` or a quoted string) is that JSON value, anything else is
//! plain text. Writing goes back the same way: text as is, everything else as compact JSON. So a
//! count of `3` written to a topic reads back as the number 3, and `{"device":"mobile"}` as an
//! object whose `device` field an expression can read.
//!
//! `Val` is cheap to clone (text, lists and objects are behind `Arc`s): a word-count task copies
//! keys into its store and its cache on every record.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A key or value inside a Streams application.
#[derive(Debug, Clone, Default)]
pub enum Val {
    /// No value: a tombstone, a missing field, the right side of a left join that found nothing.
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(Arc<str>),
    List(Arc<[Val]>),
    /// A JSON object; fields in name order (what `to_text` writes, so output is deterministic).
    Object(Arc<BTreeMap<Arc<str>, Val>>),
}

/// Whether a record's text may be JSON: only try to parse where JSON can start (most
/// word-count lines are plain text).
fn may_be_json(text: &str) -> bool {
    // Every record a Streams application reads goes through here: text that starts with a
    // printable ASCII character has nothing to trim, and every character JSON can start with
    // is ASCII, so one byte decides.
    let trimmed = match text.as_bytes().first() {
        Some(&b) if b.is_ascii() && !char::from(b).is_whitespace() => text,
        _ => text.trim_start(),
    };
    trimmed
        .as_bytes()
        .first()
        .is_some_and(|b| matches!(b, b'{' | b'[' | b'"' | b'-' | b'0'..=b'9'))
        || matches!(trimmed, "true" | "false" | "null")
}

impl Val {
    pub fn text(s: &str) -> Val {
        Val::Text(Arc::from(s))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Val::Null)
    }

    /// The name of the value's type, for error messages ("cannot multiply text by number").
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "boolean",
            Val::Int(_) | Val::Float(_) => "number",
            Val::Text(_) => "text",
            Val::List(_) => "list",
            Val::Object(_) => "object",
        }
    }

    /// Reads a record's key or value: JSON if the whole text is JSON, else the text itself.
    /// `None` (no key, a tombstone) is `Null`.
    pub fn from_record(text: Option<&str>) -> Val {
        let Some(text) = text else {
            return Val::Null;
        };
        if may_be_json(text)
            && let Ok(json) = serde_json::from_str::<serde_json::Value>(text)
        {
            return Val::from_json(&json);
        }
        Val::text(text)
    }

    /// [`Val::from_record`] of text already held in an `Arc` (the record store's interned
    /// strings, a template's literal): plain text is shared instead of copied.
    pub fn from_shared(text: &Arc<str>) -> Val {
        if may_be_json(text) {
            Val::from_record(Some(text))
        } else {
            Val::Text(Arc::clone(text))
        }
    }

    /// Writes a key or value to a record: text as is, `Null` as no value, anything else as JSON.
    pub fn to_record(&self) -> Option<String> {
        self.record_text().map(std::borrow::Cow::into_owned)
    }

    /// [`Val::to_record`] without copying text.
    pub fn record_text(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            Val::Null => None,
            Val::Text(s) => Some(std::borrow::Cow::Borrowed(s)),
            other => Some(std::borrow::Cow::Owned(other.to_string())),
        }
    }

    pub fn from_json(json: &serde_json::Value) -> Val {
        match json {
            serde_json::Value::Null => Val::Null,
            serde_json::Value::Bool(b) => Val::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => Val::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Val::text(s),
            serde_json::Value::Array(items) => {
                Val::List(items.iter().map(Val::from_json).collect())
            }
            serde_json::Value::Object(fields) => Val::Object(Arc::new(
                fields
                    .iter()
                    .map(|(k, v)| (Arc::from(k.as_str()), Val::from_json(v)))
                    .collect(),
            )),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Val::Null => serde_json::Value::Null,
            Val::Bool(b) => serde_json::Value::Bool(*b),
            Val::Int(i) => serde_json::Value::from(*i),
            Val::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Val::Text(s) => serde_json::Value::String(s.to_string()),
            Val::List(items) => serde_json::Value::Array(items.iter().map(Val::to_json).collect()),
            Val::Object(fields) => serde_json::Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The number inside, if it is one (integers widen to floats).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(*i as f64),
            Val::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Truthiness for `filter`: only `true` passes. A predicate that yields anything else (null
    /// from a missing field, a number) does not: Kafka's `Predicate.test` returns a boolean, and
    /// a missing field is the common mistake, so it filters the record out rather than failing.
    pub fn is_true(&self) -> bool {
        matches!(self, Val::Bool(true))
    }

    fn rank(&self) -> u8 {
        match self {
            Val::Null => 0,
            Val::Bool(_) => 1,
            Val::Int(_) | Val::Float(_) => 2,
            Val::Text(_) => 3,
            Val::List(_) => 4,
            Val::Object(_) => 5,
        }
    }
}

/// Equality as the stores see keys: `1` and `1.0` are the same number.
impl PartialEq for Val {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            // The record cache's lookups: text against text, most often the very same string.
            (Val::Text(a), Val::Text(b)) => Arc::ptr_eq(a, b) || a == b,
            _ => self.cmp(other) == Ordering::Equal,
        }
    }
}

impl Eq for Val {}

/// Consistent with `Eq`: numbers hash by their `f64` bits (so `1` and `1.0` hash alike), which
/// lets a task's record cache find keys with a hash map.
impl std::hash::Hash for Val {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            Val::Null => {}
            Val::Bool(b) => b.hash(state),
            Val::Int(_) | Val::Float(_) => self.as_f64().unwrap_or(0.0).to_bits().hash(state),
            Val::Text(s) => s.hash(state),
            Val::List(items) => items.hash(state),
            Val::Object(fields) => {
                for (k, v) in fields.iter() {
                    k.hash(state);
                    v.hash(state);
                }
            }
        }
    }
}

impl PartialOrd for Val {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A total order, so that values can key a `BTreeMap` (a state store): null < booleans <
/// numbers < text < lists < objects; numbers by value (`total_cmp` for floats).
impl Ord for Val {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Val::Null, Val::Null) => Ordering::Equal,
            (Val::Bool(a), Val::Bool(b)) => a.cmp(b),
            (Val::Int(a), Val::Int(b)) => a.cmp(b),
            (a @ (Val::Int(_) | Val::Float(_)), b @ (Val::Int(_) | Val::Float(_))) => {
                let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
                x.total_cmp(&y)
            }
            (Val::Text(a), Val::Text(b)) => a.cmp(b),
            (Val::List(a), Val::List(b)) => a.iter().cmp(b.iter()),
            (Val::Object(a), Val::Object(b)) => a.iter().cmp(b.iter()),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

/// Text as is; everything else as compact JSON (what `to_record` writes).
impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Null => f.write_str("null"),
            Val::Bool(b) => write!(f, "{b}"),
            Val::Int(i) => write!(f, "{i}"),
            Val::Text(s) => f.write_str(s),
            other => f.write_str(&other.to_json().to_string()),
        }
    }
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::text(s)
    }
}

impl From<i64> for Val {
    fn from(i: i64) -> Val {
        Val::Int(i)
    }
}

/// The header of an `Arc` allocation: its strong and weak counts.
const ARC_HEADER: usize = 2 * size_of::<usize>();

impl Val {
    /// An estimate of what the value holds on the heap, for the room's measure of its memory
    /// (`memory.rs`): the text, list or object behind its `Arc`, counted whole. Values share
    /// those with other holders (the record store's text, a checkpoint's copy of a store), so
    /// this leans high, which is the safe side for a budget.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Val::Null | Val::Bool(_) | Val::Int(_) | Val::Float(_) => 0,
            Val::Text(t) => ARC_HEADER + t.len(),
            Val::List(items) => {
                ARC_HEADER
                    + size_of_val::<[Val]>(items)
                    + items.iter().map(Val::heap_bytes).sum::<usize>()
            }
            Val::Object(fields) => {
                const FIELD: usize =
                    size_of::<(Arc<str>, Val)>() + crate::memory::MAP_ENTRY_OVERHEAD;
                ARC_HEADER
                    + size_of::<BTreeMap<Arc<str>, Val>>()
                    + fields
                        .iter()
                        .map(|(name, v)| FIELD + ARC_HEADER + name.len() + v.heap_bytes())
                        .sum::<usize>()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_as_json_where_they_are_json_and_as_text_elsewhere() {
        assert_eq!(Val::from_record(Some("3")), Val::Int(3));
        assert_eq!(
            Val::from_record(Some("hello world")),
            Val::text("hello world")
        );
        assert_eq!(Val::from_record(None), Val::Null);
        let order = Val::from_record(Some(r#"{"device":"mobile","price":9.5}"#));
        let Val::Object(fields) = &order else {
            panic!("an object: {order:?}")
        };
        assert_eq!(fields.get("device"), Some(&Val::text("mobile")));
        assert_eq!(
            order.to_record().as_deref(),
            Some(r#"{"device":"mobile","price":9.5}"#)
        );
        assert_eq!(Val::Int(1), Val::Float(1.0));
    }
}
