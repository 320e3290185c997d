//! The external systems Kafka Connect moves data between, simulated: a database table and a
//! file. Each can be read by a source connector and written by a sink connector, fills at its
//! own rate or by command, and can be made unavailable.
//!
//! - A table, as the Confluent JDBC connectors see it. As a source in `mode=incrementing`
//!   (`JdbcSourceTask` with `incrementing.column.name=id`): every row has a strictly increasing
//!   `id`, a poll reads the rows `WHERE id > ?` (the last id read, its source offset
//!   `{"incrementing": N}`) in id order. As a sink with `insert.mode=upsert` and
//!   `pk.mode=record_key`: a record's key is the row's primary key, its value replaces the row,
//!   a tombstone (`delete.enabled=true`) deletes it.
//! - A file, as `FileStreamSourceTask`/`FileStreamSinkTask` see it: a source reads lines from
//!   its byte position (offset `{"position": N}`), a sink appends each record's value as a line.

use std::collections::BTreeMap;

use crate::command::Rate;
use crate::time::Micros;

/// Most rows or lines one system keeps (a bound on a room's memory; see `limits.rs`).
pub const MAX_SYSTEM_ENTRIES: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemKind {
    Table,
    File,
}

impl SystemKind {
    pub fn name(self) -> &'static str {
        match self {
            SystemKind::Table => "table",
            SystemKind::File => "file",
        }
    }
}

/// One row of a table: its primary key and its columns as a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Row {
    /// The incrementing column: assigned on insert, never reused.
    pub id: u64,
    /// The primary key (a source table's is its id; a sink table's is the record key).
    pub key: String,
    /// The row as JSON, `{"id":7,"name":"ann"}`.
    pub value: String,
}

/// A simulated external system.
#[derive(Debug, Clone)]
pub struct System {
    pub name: String,
    pub kind: SystemKind,
    /// Rows or lines added by themselves at this rate (`system NAME … rate=N/s`), for a source.
    pub rate: Option<Rate>,
    /// How many writes per second it accepts, for a sink (`None`: as fast as they come).
    pub write_rate: Option<Rate>,
    /// `system unavailable NAME`: reads return nothing, writes fail.
    pub unavailable: bool,
    /// Rows by id (a table).
    rows: BTreeMap<u64, Row>,
    /// Row id by primary key (a table).
    by_key: BTreeMap<String, u64>,
    next_id: u64,
    /// Lines (a file), and the byte position after each (`FileStreamSourceTask`'s offsets).
    lines: Vec<(String, u64)>,
    /// Entries the current rate added since `rate_from_us` (when its next one is due).
    generated: u64,
    /// Entries any rate ever added: the generated values' numbers. Not reset by a rate change,
    /// so `orders-306` is the 306th generated row, not the 36th since the last `system rate`.
    named: u64,
    /// When the rate started counting (creation or the last rate change).
    rate_from_us: Micros,
    /// Identifies the current rate timer.
    pub(crate) token: u64,
    /// The bytes of every row's key (kept twice: in the row and in `by_key`) and value, and of
    /// every line, kept as they change (see `heap_bytes`).
    text_bytes: usize,
}

/// A write that failed: the system is unavailable (the exception a sink task's `put` throws).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteError(pub String);

impl System {
    pub fn new(name: String, kind: SystemKind, now: Micros) -> Self {
        System {
            name,
            kind,
            rate: None,
            write_rate: None,
            unavailable: false,
            rows: BTreeMap::new(),
            by_key: BTreeMap::new(),
            next_id: 1,
            lines: Vec::new(),
            generated: 0,
            named: 0,
            rate_from_us: now,
            token: 0,
            text_bytes: 0,
        }
    }

    /// An estimate of the bytes the system holds (the room's measure, `crate::memory`): its
    /// rows or lines, at most [`MAX_SYSTEM_ENTRIES`]. A checkpoint copies them all.
    pub fn heap_bytes(&self) -> usize {
        const OVERHEAD: usize = crate::memory::MAP_ENTRY_OVERHEAD;
        size_of::<System>()
            + self.name.capacity()
            + self.rows.len() * (size_of::<(u64, Row)>() + OVERHEAD)
            + self.by_key.len() * (size_of::<(String, u64)>() + OVERHEAD)
            + self.lines.capacity() * size_of::<(String, u64)>()
            + self.text_bytes
    }

    /// Rows (a table, in id order) or lines (a file).
    pub fn len(&self) -> usize {
        match self.kind {
            SystemKind::Table => self.rows.len(),
            SystemKind::File => self.lines.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.values()
    }

    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|(l, _)| l.as_str())
    }

    /// The newest `n` entries, newest first: a table's rows by id (as JSON), a file's last lines.
    pub fn newest(&self, n: usize) -> Vec<String> {
        match self.kind {
            SystemKind::Table => self
                .rows
                .values()
                .rev()
                .take(n)
                .map(|r| r.value.clone())
                .collect(),
            SystemKind::File => self
                .lines
                .iter()
                .rev()
                .take(n)
                .map(|(l, _)| l.clone())
                .collect(),
        }
    }

    /// The row with this primary key.
    pub fn row(&self, key: &str) -> Option<&Row> {
        self.by_key.get(key).map(|id| &self.rows[id])
    }

    fn full(&self) -> Result<(), WriteError> {
        if self.len() >= MAX_SYSTEM_ENTRIES {
            return Err(WriteError(format!(
                "{} '{}' is full ({MAX_SYSTEM_ENTRIES} entries)",
                self.kind.name(),
                self.name
            )));
        }
        Ok(())
    }

    /// An application inserts a row (a table: `id` is the next one; the JSON object's fields
    /// follow it) or appends a line (a file). Not a connector: works while `unavailable` only
    /// in the sense that the application writes to its own database; the switch is about the
    /// connector's connection.
    pub fn insert(&mut self, text: &str) -> Result<(), WriteError> {
        self.full()?;
        match self.kind {
            SystemKind::Table => {
                let id = self.next_id;
                self.next_id += 1;
                let value = row_json(id, text);
                self.text_bytes += 2 * id.to_string().len() + value.len();
                self.by_key.insert(id.to_string(), id);
                self.rows.insert(
                    id,
                    Row {
                        id,
                        key: id.to_string(),
                        value,
                    },
                );
            }
            SystemKind::File => self.append(text),
        }
        Ok(())
    }

    fn append(&mut self, line: &str) {
        let end = self.lines.last().map_or(0, |(_, p)| *p) + line.len() as u64 + 1;
        self.text_bytes += line.len();
        self.lines.push((line.to_string(), end));
    }

    /// The entries its rate adds by `now` beyond those already added; each is inserted.
    pub fn generate_due(&mut self, now: Micros) -> u64 {
        let Some(rate) = self.rate else {
            return 0;
        };
        let elapsed = u128::from(now.saturating_sub(self.rate_from_us));
        let total = (elapsed * u128::from(rate.per_hour) / 3_600_000_000) as u64;
        let mut added = 0;
        while self.generated < total {
            self.generated += 1;
            self.named += 1;
            let n = self.named;
            let text = match self.kind {
                SystemKind::Table => format!("{{\"name\":\"{}-{n}\"}}", self.name),
                SystemKind::File => format!("{}-{n}", self.name),
            };
            if self.insert(&text).is_err() {
                break;
            }
            added += 1;
        }
        added
    }

    /// When the rate adds its next entry.
    pub fn next_generated_us(&self) -> Option<Micros> {
        let rate = self.rate?;
        if rate.per_hour == 0 {
            return None;
        }
        let n = u128::from(self.generated + 1);
        Some(self.rate_from_us + (n * 3_600_000_000).div_ceil(u128::from(rate.per_hour)) as u64)
    }

    /// A new rate, counted from `now`.
    pub fn set_rate(&mut self, rate: Option<Rate>, now: Micros) {
        self.rate = rate;
        self.rate_from_us = now;
        self.generated = 0;
    }

    /// A source task's read: up to `max` entries after `offset` (a table: rows with a greater id;
    /// a file: lines after that byte position), each with its new offset. Nothing while
    /// unavailable (`JdbcSourceTask` logs the SQLException and tries again at its next poll).
    pub fn read_after(&self, offset: u64, max: usize) -> Vec<(u64, Option<String>, String)> {
        if self.unavailable {
            return Vec::new();
        }
        match self.kind {
            SystemKind::Table => self
                .rows
                .range(offset + 1..)
                .take(max)
                .map(|(&id, r)| (id, Some(r.key.clone()), r.value.clone()))
                .collect(),
            SystemKind::File => {
                let first = self.lines.partition_point(|(_, end)| *end <= offset);
                self.lines[first..]
                    .iter()
                    .take(max)
                    .map(|(l, end)| (*end, None, l.clone()))
                    .collect()
            }
        }
    }

    /// A sink task's write of one record: upsert or delete by key (a table), append the value
    /// (a file). Fails while unavailable.
    pub fn write(&mut self, key: Option<&str>, value: Option<&str>) -> Result<(), WriteError> {
        if self.unavailable {
            return Err(WriteError(format!(
                "{} '{}' is unavailable",
                self.kind.name(),
                self.name
            )));
        }
        match self.kind {
            SystemKind::Table => {
                // JdbcSinkConfig pk.mode=record_key: a record without a key cannot be written.
                let Some(key) = key else {
                    return Err(WriteError(
                        "ConnectException: pk.mode record_key needs a record key, and this record has none"
                            .to_string(),
                    ));
                };
                match value {
                    // delete.enabled=true: a tombstone deletes the row.
                    None => {
                        if let Some(id) = self.by_key.remove(key)
                            && let Some(row) = self.rows.remove(&id)
                        {
                            self.text_bytes -= 2 * row.key.len() + row.value.len();
                        }
                    }
                    Some(v) => {
                        if let Some(&id) = self.by_key.get(key) {
                            let row = self.rows.get_mut(&id).expect("indexed");
                            self.text_bytes = self.text_bytes - row.value.len() + v.len();
                            row.value = v.to_string();
                        } else {
                            self.full()?;
                            self.text_bytes += 2 * key.len() + v.len();
                            let id = self.next_id;
                            self.next_id += 1;
                            self.by_key.insert(key.to_string(), id);
                            self.rows.insert(
                                id,
                                Row {
                                    id,
                                    key: key.to_string(),
                                    value: v.to_string(),
                                },
                            );
                        }
                    }
                }
            }
            SystemKind::File => {
                self.full()?;
                // FileStreamSinkTask prints `record.value()`: a null value is the line "null".
                self.append(value.unwrap_or("null"));
            }
        }
        Ok(())
    }
}

/// A row's JSON: `id` first, then the inserted object's fields (or the text as `value`).
fn row_json(id: u64, text: &str) -> String {
    let mut row = serde_json::Map::new();
    row.insert("id".to_string(), id.into());
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(fields)) => {
            for (k, v) in fields {
                if k != "id" {
                    row.insert(k, v);
                }
            }
        }
        _ => {
            row.insert("value".to_string(), text.into());
        }
    }
    serde_json::Value::Object(row).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::secs;

    #[test]
    fn a_source_table_reads_rows_after_the_last_id() {
        let mut t = System::new("users".into(), SystemKind::Table, 0);
        t.insert(r#"{"name":"ann"}"#).unwrap();
        t.insert(r#"{"name":"bob"}"#).unwrap();
        t.insert("carl").unwrap();
        let read = t.read_after(1, 10);
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].0, 2);
        assert_eq!(read[0].2, r#"{"id":2,"name":"bob"}"#);
        assert_eq!(read[1].2, r#"{"id":3,"value":"carl"}"#);
        assert_eq!(t.read_after(0, 1).len(), 1);
        t.unavailable = true;
        assert!(t.read_after(0, 10).is_empty());
    }

    #[test]
    fn a_sink_table_upserts_by_key_and_deletes_on_tombstones() {
        let mut t = System::new("out".into(), SystemKind::Table, 0);
        t.write(Some("a"), Some("1")).unwrap();
        t.write(Some("b"), Some("2")).unwrap();
        t.write(Some("a"), Some("3")).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.row("a").unwrap().value, "3");
        t.write(Some("b"), None).unwrap();
        assert_eq!(t.len(), 1);
        assert!(t.row("b").is_none());
        assert!(t.write(None, Some("x")).is_err());
        t.unavailable = true;
        assert!(t.write(Some("c"), Some("4")).is_err());
    }

    #[test]
    fn a_file_source_reads_from_its_byte_position() {
        let mut f = System::new("in.txt".into(), SystemKind::File, 0);
        f.insert("hello").unwrap();
        f.insert("kafka").unwrap();
        let all = f.read_after(0, 10);
        assert_eq!(all[0].0, 6);
        assert_eq!(all[1].0, 12);
        let rest = f.read_after(6, 10);
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].2, "kafka");
        f.write(None, None).unwrap();
        assert_eq!(f.lines().last(), Some("null"));
    }

    #[test]
    fn a_rate_adds_entries_over_time() {
        let mut t = System::new("t".into(), SystemKind::Table, 0);
        t.set_rate(Some(Rate::per_second(2)), 0);
        assert_eq!(t.next_generated_us(), Some(500_000));
        assert_eq!(t.generate_due(secs(3)), 6);
        assert_eq!(t.len(), 6);
        assert_eq!(t.generate_due(secs(3)), 0);
    }

    #[test]
    fn generated_names_go_on_counting_after_a_rate_change() {
        let mut t = System::new("orders".into(), SystemKind::Table, 0);
        t.set_rate(Some(Rate::per_second(2)), 0);
        assert_eq!(t.generate_due(secs(2)), 4);
        t.set_rate(Some(Rate::per_second(1)), secs(2));
        assert_eq!(t.generate_due(secs(3)), 1);
        // Row 5 is the fifth generated one: named orders-5, not orders-1 again.
        assert_eq!(
            t.newest(1),
            vec![r#"{"id":5,"name":"orders-5"}"#.to_string()]
        );
        let mut f = System::new("in.log".into(), SystemKind::File, 0);
        f.set_rate(Some(Rate::per_second(1)), 0);
        f.generate_due(secs(1));
        f.set_rate(Some(Rate::per_second(1)), secs(1));
        f.generate_due(secs(2));
        assert_eq!(f.lines().collect::<Vec<_>>(), ["in.log-1", "in.log-2"]);
    }
}
