//! Where source offsets are kept. A standalone worker keeps them in its local file
//! (`offset.storage.file.filename`, `FileOffsetBackingStore`): a map written whole at each
//! flush, read back when the worker starts. Keys and values are Kafka's: the key is the JSON
//! array `["NAME",{source partition}]` and the value the source offset's JSON, as the
//! `JsonConverter` (schemas off) writes them for `connect-offsets` too.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// One worker's offsets file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffsetsFile {
    /// Key → value, both JSON text.
    entries: BTreeMap<String, String>,
    /// Flushes written to it.
    pub flushes: u64,
}

/// The source partition map of a system, as the connector names it: JDBC
/// `{"table":"NAME"}` (its `TableQuerier` partition; the real one also carries the protocol
/// version), FileStream `{"filename":"NAME"}`.
pub fn source_partition(kind: crate::connect::SystemKind, system: &str) -> Value {
    match kind {
        crate::connect::SystemKind::Table => json!({ "table": system }),
        crate::connect::SystemKind::File => json!({ "filename": system }),
    }
}

/// A source offset: JDBC incrementing mode `{"incrementing":ID}`, FileStream
/// `{"position":BYTES}`.
pub fn source_offset(kind: crate::connect::SystemKind, offset: u64) -> Value {
    match kind {
        crate::connect::SystemKind::Table => json!({ "incrementing": offset }),
        crate::connect::SystemKind::File => json!({ "position": offset }),
    }
}

/// The offsets key: `["NAME",{partition}]` (`OffsetUtils`, `connect-offsets`' key format).
pub fn offset_key(connector: &str, partition: &Value) -> String {
    Value::Array(vec![
        Value::String(connector.to_string()),
        partition.clone(),
    ])
    .to_string()
}

impl OffsetsFile {
    /// Writes one flush's offsets (`OffsetStorageWriter.doFlush`).
    pub fn write(&mut self, offsets: Vec<(String, String)>) {
        self.entries.extend(offsets);
        self.flushes += 1;
    }

    /// The offset stored under a key, as a number (the value's single field).
    pub fn offset(&self, key: &str) -> Option<u64> {
        let v: Value = serde_json::from_str(self.entries.get(key)?).ok()?;
        v.as_object()?.values().next()?.as_u64()
    }

    /// Every entry, key → value.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::SystemKind;

    #[test]
    fn keys_and_values_are_kafkas_json() {
        let p = source_partition(SystemKind::Table, "users");
        let key = offset_key("jdbc", &p);
        assert_eq!(key, r#"["jdbc",{"table":"users"}]"#);
        let mut f = OffsetsFile::default();
        f.write(vec![(
            key.clone(),
            source_offset(SystemKind::Table, 42).to_string(),
        )]);
        assert_eq!(f.offset(&key), Some(42));
        assert_eq!(f.entries().next().unwrap().1, r#"{"incrementing":42}"#);
    }
}
