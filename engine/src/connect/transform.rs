//! Single message transforms as Kafka Connect configures and applies them
//! (`ConnectorConfig.transformationStages`, `TransformationChain`): the aliases in `transforms`
//! run in order on each record, a source's after `poll()` and before its producer, a sink's after
//! the consumer and before `put`. A stage with a `predicate` runs only where the predicate (or,
//! with `negate=true`, its negation) holds (`TransformationStage.apply`). A transform that
//! returns no record drops it (`Filter`).
//!
//! Records carry no schema here (as with `JsonConverter` `schemas.enable=false`): a JSON object
//! value is a `Map`, anything else (text, a number, an array) is not, and the `Map`-only
//! transforms fail on it as Kafka's `Requirements.requireMap` does ("Only Map objects supported
//! in absence of schema for [PURPOSE], found: CLASS"). A failure goes through the connector's
//! `errors.tolerance` (`RetryWithToleranceOperator`): `none` (the default) fails the task with
//! "Tolerance exceeded in error handler"; `all` skips the record.
//!
//! The engine's records have no headers, so `HasHeaderKey` is refused. Field order: Kafka builds
//! the new value in a `java.util.HashMap`, whose order `JsonConverter` writes; here the fields
//! are written in name order (`serde_json::Map`).

use std::collections::BTreeMap;

use regex_automata::meta::Regex;
use serde_json::{Map, Value};

/// The transform classes the playground has, with the names Connect accepts (the full class
/// name or the name in its package, `InsertField$Value`).
const TRANSFORMS: &[&str] = &[
    "org.apache.kafka.connect.transforms.InsertField$Value",
    "org.apache.kafka.connect.transforms.ReplaceField$Value",
    "org.apache.kafka.connect.transforms.MaskField$Value",
    "org.apache.kafka.connect.transforms.Filter",
];

const PREDICATES: &[&str] = &[
    "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
    "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    "org.apache.kafka.connect.transforms.predicates.HasHeaderKey",
];

/// The record a transform sees (`SourceRecord` / `SinkRecord`): no schema, the value as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRecord {
    pub topic: String,
    /// `kafkaPartition()`: a sink record's; a JDBC or file source sets none.
    pub partition: Option<u32>,
    /// `SinkRecord.kafkaOffset()`; `None` for a source record.
    pub offset: Option<u64>,
    /// `timestamp()` in ms: a sink record's CreateTime; the playground's sources set none.
    pub timestamp_ms: Option<u64>,
    pub key: Option<String>,
    /// `None`: a tombstone.
    pub value: Option<String>,
}

/// `InsertField`'s fields (the `!`/`?` optionality suffix only matters with a schema and is
/// dropped from the name, as `InsertionSpec.parse` does).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Insert {
    pub topic: Option<String>,
    pub partition: Option<String>,
    pub offset: Option<String>,
    pub timestamp: Option<String>,
    pub static_field: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transform {
    InsertField(Insert),
    /// `ReplaceField$Value`: `exclude` wins over `include`; `renames` as `from:to` pairs.
    ReplaceField {
        exclude: Vec<String>,
        include: Vec<String>,
        renames: BTreeMap<String, String>,
    },
    /// `MaskField$Value`: `fields` set to their type's empty value, or to `replacement`.
    MaskField {
        fields: Vec<String>,
        replacement: Option<String>,
    },
    /// `Filter`: drops every record it is applied to (it is used with a predicate).
    Filter,
}

/// A predicate's test.
#[derive(Debug, Clone)]
pub enum Predicate {
    /// `TopicNameMatches`: the whole topic name matches `pattern` (`Matcher.matches`).
    TopicNameMatches { pattern: String, regex: Regex },
    /// `RecordIsTombstone`: the value is null.
    RecordIsTombstone,
}

impl PartialEq for Predicate {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Predicate::TopicNameMatches { pattern: a, .. },
                Predicate::TopicNameMatches { pattern: b, .. },
            ) => a == b,
            (Predicate::RecordIsTombstone, Predicate::RecordIsTombstone) => true,
            _ => false,
        }
    }
}

impl Eq for Predicate {}

/// One `TransformationStage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub alias: String,
    pub transform: Transform,
    /// The predicate and `negate`.
    pub predicate: Option<(Predicate, bool)>,
}

/// The connector's chain and its `errors.tolerance`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Chain {
    pub stages: Vec<Stage>,
    /// `errors.tolerance=all`: a record a transform fails on is skipped.
    pub tolerate_all: bool,
}

/// What the chain did with a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Record(ConnectRecord),
    /// A `Filter` dropped it.
    Dropped,
    /// A transform failed and `errors.tolerance=all` skipped it.
    Skipped,
    /// A transform failed with `errors.tolerance=none`: the task fails with this trace.
    Failed(String),
}

/// Whether a connector config name belongs to the transforms (for the connector's name check).
pub fn is_transform_config(name: &str) -> bool {
    matches!(name, "transforms" | "predicates" | "errors.tolerance")
        || name.starts_with("transforms.")
        || name.starts_with("predicates.")
}

/// Configs are comma-separated lists (`ConfigDef.Type.LIST`: items trimmed, empty string empty).
fn list(v: &str) -> Vec<String> {
    if v.trim().is_empty() {
        return Vec::new();
    }
    v.split(',').map(|s| s.trim().to_string()).collect()
}

/// The full class name a `type` config names, if the playground has it.
fn class<'a>(classes: &'a [&'a str], name: &str) -> Option<&'a str> {
    classes.iter().copied().find(|full| {
        let short = full.rsplit('.').next().expect("a class name");
        *full == name || short == name
    })
}

fn aliases(map: &BTreeMap<&str, &str>, key: &str) -> Result<Vec<String>, String> {
    let list = map.get(key).map(|v| list(v)).unwrap_or_default();
    let mut seen = std::collections::BTreeSet::new();
    if list
        .iter()
        .any(|a| a.is_empty() || !seen.insert(a.as_str()))
    {
        return Err(format!(
            "Invalid value {} for configuration {key}: Duplicate alias provided.",
            map[key]
        ));
    }
    Ok(list)
}

/// Parses the transform configs of a connector (`ConnectorConfig.transformationStages`); every
/// transform or predicate config must belong to a listed alias and be one its class takes.
pub fn parse(map: &BTreeMap<&str, &str>) -> Result<Chain, String> {
    let transforms = aliases(map, "transforms")?;
    let predicates = aliases(map, "predicates")?;
    let mut used: Vec<&str> = Vec::new();
    let tolerate_all = match map.get("errors.tolerance").copied() {
        None | Some("none") => false,
        Some("all") => true,
        Some(v) => {
            return Err(format!(
                "Invalid value {v} for configuration errors.tolerance: String must be one of: none, all"
            ));
        }
    };
    let mut preds: BTreeMap<&str, Predicate> = BTreeMap::new();
    for alias in &predicates {
        let prefix = format!("predicates.{alias}.");
        let (p, takes) = predicate(map, &prefix)?;
        preds.insert(alias, p);
        check_names(map, &prefix, &takes)?;
    }
    let mut stages = Vec::new();
    for alias in &transforms {
        let prefix = format!("transforms.{alias}.");
        let (transform, mut takes) = transform(map, &prefix)?;
        takes.extend(["type", "predicate", "negate"]);
        check_names(map, &prefix, &takes)?;
        let get = |k: &str| map.get(format!("{prefix}{k}").as_str()).copied();
        let negate = get("negate").map(|v| v.eq_ignore_ascii_case("true"));
        let predicate = match get("predicate") {
            None if negate.is_some() => {
                return Err(format!(
                    "Config '{prefix}negate' was provided but there is no config '{prefix}predicate' defining a predicate to be negated."
                ));
            }
            None => None,
            Some(p) => {
                let Some(found) = preds.get(p) else {
                    return Err(format!(
                        "Invalid value {p} for configuration {prefix}predicate: no predicate '{p}' in predicates"
                    ));
                };
                used.push(p);
                Some((found.clone(), negate.unwrap_or(false)))
            }
        };
        stages.push(Stage {
            alias: alias.clone(),
            transform,
            predicate,
        });
    }
    for k in map.keys() {
        for (kind, listed) in [("transforms", &transforms), ("predicates", &predicates)] {
            if let Some(rest) = k.strip_prefix(kind).and_then(|r| r.strip_prefix('.')) {
                let alias = rest.split('.').next().unwrap_or("");
                if !listed.iter().any(|a| a == alias) {
                    return Err(format!("'{k}' names '{alias}', which {kind} does not list"));
                }
            }
        }
    }
    Ok(Chain {
        stages,
        tolerate_all,
    })
}

/// Every `PREFIX*` config must be one the class takes (Kafka ignores unknown ones; the
/// playground names them, as it does for the connector's own configs).
fn check_names(map: &BTreeMap<&str, &str>, prefix: &str, takes: &[&str]) -> Result<(), String> {
    let ty = map
        .get(format!("{prefix}type").as_str())
        .copied()
        .unwrap_or("");
    for k in map.keys() {
        if let Some(rest) = k.strip_prefix(prefix)
            && !takes.contains(&rest)
        {
            return Err(format!(
                "{ty} does not take '{k}' (it takes {})",
                takes.join(", ")
            ));
        }
    }
    Ok(())
}

fn required<'a>(map: &BTreeMap<&str, &'a str>, key: &str) -> Result<&'a str, String> {
    map.get(key).copied().ok_or_else(|| {
        format!("Missing required configuration \"{key}\" which has no default value.")
    })
}

fn predicate(
    map: &BTreeMap<&str, &str>,
    prefix: &str,
) -> Result<(Predicate, Vec<&'static str>), String> {
    let key = format!("{prefix}type");
    let name = required(map, &key)?;
    let full = class(PREDICATES, name).ok_or_else(|| {
        format!("Invalid value {name} for configuration {key}: Class {name} could not be found.")
    })?;
    match full.rsplit('.').next().expect("a class") {
        "TopicNameMatches" => {
            let key = format!("{prefix}pattern");
            let pattern = required(map, &key)?;
            // `pattern`: NonEmptyString, and a Java regex; `matches()` tests the whole name.
            let regex = Regex::builder()
                .syntax(
                    regex_automata::util::syntax::Config::new()
                        .unicode(false)
                        .utf8(false),
                )
                .build(&format!(r"\A(?:{pattern})\z"))
                .ok()
                .filter(|_| !pattern.is_empty())
                .ok_or_else(|| {
                    format!(
                        "Invalid value {pattern} for configuration {key}: entry must be a Java-compatible regular expression"
                    )
                })?;
            Ok((
                Predicate::TopicNameMatches {
                    pattern: pattern.to_string(),
                    regex,
                },
                vec!["type", "pattern"],
            ))
        }
        "RecordIsTombstone" => Ok((Predicate::RecordIsTombstone, vec!["type"])),
        _ => Err(format!(
            "Invalid value {name} for configuration {key}: the playground's records have no headers, so HasHeaderKey has nothing to test"
        )),
    }
}

fn transform(
    map: &BTreeMap<&str, &str>,
    prefix: &str,
) -> Result<(Transform, Vec<&'static str>), String> {
    let key = format!("{prefix}type");
    let name = required(map, &key)?;
    let full = class(TRANSFORMS, name).ok_or_else(|| {
        let fallback = if name.ends_with("$Key") {
            " (the playground has the $Value forms)"
        } else {
            ""
        };
        format!(
            "Invalid value {name} for configuration {key}: Class {name} could not be found{fallback}."
        )
    })?;
    let get = |k: &str| map.get(format!("{prefix}{k}").as_str()).copied();
    let field = |k: &str| {
        // `InsertionSpec.parse`: a trailing `?` (optional) or `!` (required) is not in the name.
        get(k).map(|v| {
            v.strip_suffix(['?', '!'])
                .map_or(v.to_string(), str::to_string)
        })
    };
    match full.rsplit('.').next().expect("a class") {
        "InsertField$Value" => {
            let static_field = match (field("static.field"), get("static.value")) {
                (Some(f), Some(v)) => Some((f, v.to_string())),
                (Some(f), None) => {
                    return Err(format!(
                        "Invalid value null for configuration {prefix}static.value: No value specified for static field: {f}"
                    ));
                }
                (None, _) => None,
            };
            let insert = Insert {
                topic: field("topic.field"),
                partition: field("partition.field"),
                offset: field("offset.field"),
                timestamp: field("timestamp.field"),
                static_field,
            };
            if insert == Insert::default() {
                return Err(format!("{prefix}type: No field insertion configured"));
            }
            Ok((
                Transform::InsertField(insert),
                vec![
                    "topic.field",
                    "partition.field",
                    "offset.field",
                    "timestamp.field",
                    "static.field",
                    "static.value",
                ],
            ))
        }
        "ReplaceField$Value" => {
            let mut renames = BTreeMap::new();
            for pair in get("renames").map(list).unwrap_or_default() {
                let parts: Vec<&str> = pair.split(':').collect();
                let [from, to] = parts[..] else {
                    return Err(format!(
                        "Invalid value {} for configuration {prefix}renames: Invalid rename mapping: {pair}",
                        get("renames").unwrap_or("")
                    ));
                };
                renames.insert(from.to_string(), to.to_string());
            }
            Ok((
                Transform::ReplaceField {
                    exclude: get("exclude").map(list).unwrap_or_default(),
                    include: get("include").map(list).unwrap_or_default(),
                    renames,
                },
                vec!["exclude", "include", "renames"],
            ))
        }
        "MaskField$Value" => {
            let key = format!("{prefix}fields");
            let fields = list(required(map, &key)?);
            if fields.is_empty() {
                return Err(format!(
                    "Invalid value [] for configuration {key}: Empty list"
                ));
            }
            let replacement = match get("replacement") {
                Some("") => {
                    return Err(format!(
                        "Invalid value  for configuration {prefix}replacement: String must be non-empty"
                    ));
                }
                r => r.map(str::to_string),
            };
            Ok((
                Transform::MaskField {
                    fields,
                    replacement,
                },
                vec!["fields", "replacement"],
            ))
        }
        _ => Ok((Transform::Filter, vec![])),
    }
}

/// The Java class a schemaless value of this JSON would have (`JsonConverter` with
/// `schemas.enable=false`; text that is not JSON as `StringConverter` gives it).
fn class_name(v: &Option<Value>) -> &'static str {
    match v {
        None | Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "java.lang.Boolean",
        Some(Value::Number(n)) if n.is_f64() => "java.lang.Double",
        Some(Value::Number(_)) => "java.lang.Long",
        Some(Value::String(_)) => "java.lang.String",
        Some(Value::Array(_)) => "java.util.ArrayList",
        Some(Value::Object(_)) => "java.util.HashMap",
    }
}

/// The value as a converter reads it: `None` for a tombstone.
fn read_value(text: &Option<String>) -> Option<Value> {
    text.as_ref()
        .map(|t| serde_json::from_str::<Value>(t).unwrap_or_else(|_| Value::String(t.clone())))
}

/// `Requirements.requireMap`.
fn require_map(v: Option<Value>, purpose: &str) -> Result<Map<String, Value>, String> {
    match v {
        Some(Value::Object(m)) => Ok(m),
        other => Err(format!(
            "org.apache.kafka.connect.errors.DataException: Only Map objects supported in absence of schema for [{purpose}], found: {}",
            class_name(&other)
        )),
    }
}

/// `MaskField.maskWithNullValue` / `maskWithCustomReplacement` for one JSON value.
fn masked(v: &Value, replacement: Option<&str>) -> Result<Value, String> {
    let class = class_name(&Some(v.clone()));
    match (v, replacement) {
        (Value::Null, _) => Ok(Value::Null),
        (Value::Bool(_), None) => Ok(Value::Bool(false)),
        (Value::Number(n), None) if n.is_f64() => Ok(serde_json::json!(0.0)),
        (Value::Number(_), None) => Ok(Value::from(0)),
        (Value::String(_), None) => Ok(Value::String(String::new())),
        (Value::Array(_), None) => Ok(Value::Array(Vec::new())),
        (Value::Object(_), None) => Ok(Value::Object(Map::new())),
        (Value::String(_), Some(r)) => Ok(Value::String(r.to_string())),
        (Value::Number(n), Some(r)) => {
            let parsed = if n.is_f64() {
                r.parse::<f64>()
                    .ok()
                    .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
            } else {
                r.parse::<i64>().ok().map(Value::from)
            };
            parsed.ok_or_else(|| {
                format!(
                    "org.apache.kafka.connect.errors.DataException: Unable to convert {r} (class java.lang.String) to number"
                )
            })
        }
        _ => Err(format!(
            "org.apache.kafka.connect.errors.DataException: Cannot mask value of type class {class} with custom replacement."
        )),
    }
}

impl Transform {
    /// `Transformation.apply` on a schemaless record; `Ok(None)` drops it.
    fn apply(&self, mut r: ConnectRecord) -> Result<Option<ConnectRecord>, String> {
        match self {
            Transform::Filter => Ok(None),
            Transform::InsertField(ins) => {
                // A tombstone passes untouched (`InsertField.apply`: operatingValue == null).
                if r.value.is_none() {
                    return Ok(Some(r));
                }
                const PURPOSE: &str = "field insertion";
                let mut m = require_map(read_value(&r.value), PURPOSE)?;
                if let Some(f) = &ins.topic {
                    m.insert(f.clone(), Value::String(r.topic.clone()));
                }
                if let (Some(f), Some(p)) = (&ins.partition, r.partition) {
                    m.insert(f.clone(), Value::from(p));
                }
                if let Some(f) = &ins.offset {
                    // `requireSinkRecord`: a source record has no Kafka offset yet.
                    let Some(o) = r.offset else {
                        return Err(format!(
                            "org.apache.kafka.connect.errors.DataException: Only SinkRecord supported for [{PURPOSE}], found: org.apache.kafka.connect.source.SourceRecord"
                        ));
                    };
                    m.insert(f.clone(), Value::from(o));
                }
                if let (Some(f), Some(t)) = (&ins.timestamp, r.timestamp_ms) {
                    // Schemaless, a `java.util.Date`, which JsonConverter writes as its millis.
                    m.insert(f.clone(), Value::from(t));
                }
                if let Some((f, v)) = &ins.static_field {
                    m.insert(f.clone(), Value::String(v.clone()));
                }
                r.value = Some(Value::Object(m).to_string());
                Ok(Some(r))
            }
            Transform::ReplaceField {
                exclude,
                include,
                renames,
            } => {
                if r.value.is_none() {
                    return Ok(Some(r));
                }
                let m = require_map(read_value(&r.value), "field replacement")?;
                let out: Map<String, Value> = m
                    .into_iter()
                    .filter(|(k, _)| {
                        !exclude.contains(k) && (include.is_empty() || include.contains(k))
                    })
                    .map(|(k, v)| (renames.get(&k).cloned().unwrap_or(k), v))
                    .collect();
                r.value = Some(Value::Object(out).to_string());
                Ok(Some(r))
            }
            Transform::MaskField {
                fields,
                replacement,
            } => {
                // No tombstone check in MaskField: a null value fails `requireMap`.
                let mut m = require_map(read_value(&r.value), "mask fields")?;
                for f in fields {
                    let v = m.get(f).cloned().unwrap_or(Value::Null);
                    m.insert(f.clone(), masked(&v, replacement.as_deref())?);
                }
                r.value = Some(Value::Object(m).to_string());
                Ok(Some(r))
            }
        }
    }
}

impl Predicate {
    fn test(&self, r: &ConnectRecord) -> bool {
        match self {
            Predicate::TopicNameMatches { regex, .. } => regex.is_match(r.topic.as_str()),
            Predicate::RecordIsTombstone => r.value.is_none(),
        }
    }
}

impl Chain {
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// `TransformationChain.apply` through `RetryWithToleranceOperator.execute` (stage
    /// TRANSFORMATION: every exception is tolerable, none is retriable).
    pub fn apply(&self, mut r: ConnectRecord) -> Outcome {
        for s in &self.stages {
            let run = match &s.predicate {
                None => true,
                Some((p, negate)) => p.test(&r) != *negate,
            };
            if !run {
                continue;
            }
            match s.transform.apply(r) {
                Ok(Some(next)) => r = next,
                Ok(None) => return Outcome::Dropped,
                Err(_) if self.tolerate_all => return Outcome::Skipped,
                Err(e) => {
                    return Outcome::Failed(format!(
                        "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler\nCaused by: {e}"
                    ));
                }
            }
        }
        Outcome::Record(r)
    }
}

#[cfg(test)]
mod tests;
