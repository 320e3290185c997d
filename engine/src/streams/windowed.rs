//! `Windowed<K>` as a record key. A windowed aggregation's table is keyed by `Windowed<K>`: the
//! record's key and its window. When Kafka writes it to a topic (`toStream().to(…)` with a
//! windowed serde) or to a window store's changelog, the key bytes carry the window with the
//! key (`TimeWindowedSerializer`: key then window start; `SessionWindowedSerializer` and the
//! changelogs' `WindowKeySchema`/`SessionKeySchema`: key then the bounds). The playground's
//! records are text, so the key is written as Kafka prints a `Windowed` (`Windowed.toString`):
//! `[key@start/end]`, the bounds in epoch milliseconds: `[U@32400000/36000000]` is `U` in the
//! window from 09:00 to 10:00 of the first day. The same text names a windowed entry in `expect
//! store` and is read back when a window store restores from its changelog.
//!
//! Such a record is partitioned by its key alone (`WindowedStreamPartitioner`: "the partition
//! number is determined by the original key of the windowed key"), so every window of a key
//! lands in the key's partition.
//!
//! In a window store and the record cache a windowed entry is keyed `[key, start, end]` (a
//! list), which sorts by key, then window.

use std::sync::Arc;

use super::value::Val;
use super::window::{Window, WindowedKey};

/// `Windowed.toString()`: `[key@start/end]`.
pub fn key_text(key: &Val, window: Window) -> String {
    let key = key.to_record().unwrap_or_else(|| "null".to_string());
    format!("[{key}@{}/{}]", window.start, window.end)
}

/// The key and window of a `[key@start/end]` text, if it is one (the key may itself contain
/// `@`: the bounds follow the last one).
pub fn parse_key_text(text: &str) -> Option<(Val, Window)> {
    let inner = text.strip_prefix('[')?.strip_suffix(']')?;
    let (key, bounds) = inner.rsplit_once('@')?;
    let (start, end) = bounds.split_once('/')?;
    let start: i64 = start.parse().ok()?;
    let end: i64 = end.parse().ok()?;
    (start <= end).then(|| (Val::from_record(Some(key)), Window::new(start, end)))
}

/// A window store's and its cache's key for a windowed entry: `[key, start, end]`.
pub fn cache_key(k: &WindowedKey) -> Val {
    Val::List(Arc::from(vec![
        k.key.clone(),
        Val::Int(k.window.start),
        Val::Int(k.window.end),
    ]))
}

/// The key and window of a window store's key; any other key is returned as is.
pub fn split_cache_key(k: &Val) -> (Val, Option<Window>) {
    match k {
        Val::List(items) => match &items[..] {
            [key, Val::Int(start), Val::Int(end)] => (key.clone(), Some(Window::new(*start, *end))),
            _ => (k.clone(), None),
        },
        _ => (k.clone(), None),
    }
}

/// A window store's key as the page and `expect` show it: `[key@start/end]`.
pub fn store_key_text(k: &Val) -> Option<String> {
    match split_cache_key(k) {
        (key, Some(w)) => Some(key_text(&key, w)),
        (key, None) => key.to_record(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windowed_keys_print_as_kafka_and_read_back() {
        let w = Window::new(32_400_000, 36_000_000);
        let text = key_text(&Val::text("U"), w);
        assert_eq!(text, "[U@32400000/36000000]");
        assert_eq!(parse_key_text(&text), Some((Val::text("U"), w)));
        // A key with an '@' of its own, and a JSON key.
        let at = key_text(&Val::text("ann@example"), w);
        assert_eq!(parse_key_text(&at), Some((Val::text("ann@example"), w)));
        let json = key_text(&Val::Int(7), w);
        assert_eq!(parse_key_text(&json), Some((Val::Int(7), w)));
        assert_eq!(parse_key_text("U"), None);
        assert_eq!(parse_key_text("[U@5/1]"), None);
        let k = WindowedKey {
            key: Val::text("U"),
            window: w,
        };
        assert_eq!(split_cache_key(&cache_key(&k)), (Val::text("U"), Some(w)));
        assert_eq!(
            store_key_text(&cache_key(&k)).as_deref(),
            Some(text.as_str())
        );
    }
}
