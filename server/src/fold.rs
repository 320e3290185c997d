//! Folding repeats in the event log (wire.rs, "Folding repeats"): a producer retrying every
//! 100 ms for two minutes, or an acks=0 producer losing one record after another, is one line
//! that counts ("producer bank: retrying on NOT_ENOUGH_REPLICAS ×23 over 45.0 s (312 records)"),
//! not hundreds that push everything else out of the log.
//!
//! The narrator marks which lines repeat by nature (`LogEntry::fold`, with a key); here repeats
//! are folded: while only such lines arrive, one whose key was seen since the last plain line
//! replaces that earlier line. A plain line (narration, a death, an expectation) ends the run.
//! The room folds its log with [`fold_into`], the page its own the same way.

use std::collections::{BTreeMap, VecDeque};

use crate::wire::LogEntry;

/// The run of repeating lines since the last plain line: per key, the folded line so far.
#[derive(Debug, Default)]
pub struct Folder {
    open: BTreeMap<String, LogEntry>,
}

impl Folder {
    /// Folds a frame's lines (in order): a repeat becomes its key's folded line (`count` > 1),
    /// and only the newest version of each folded line goes out.
    pub fn fold(&mut self, entries: Vec<LogEntry>) -> Vec<LogEntry> {
        let mut out: Vec<LogEntry> = Vec::with_capacity(entries.len());
        // Where this frame's part of the open run starts.
        let mut run_start = 0;
        for entry in entries {
            let Some(fold) = &entry.fold else {
                self.open.clear();
                out.push(entry);
                run_start = out.len();
                continue;
            };
            let key = fold.key.clone();
            let folded = match self.open.remove(&key) {
                None => entry,
                Some(first) => merge(first, &entry),
            };
            self.open.insert(key.clone(), folded.clone());
            // An earlier version in this frame is replaced where it was.
            match out[run_start..]
                .iter()
                .position(|e| e.fold.as_ref().is_some_and(|f| f.key == key))
            {
                Some(i) => out[run_start + i] = folded,
                None => out.push(folded),
            }
        }
        out
    }
}

/// `earlier` with one more occurrence, `next`.
fn merge(mut earlier: LogEntry, next: &LogEntry) -> LogEntry {
    let (Some(f), Some(n)) = (earlier.fold.as_mut(), next.fold.as_ref()) else {
        return earlier;
    };
    f.count += n.count;
    f.last_us = next.at_us;
    f.amount += n.amount;
    // The worst level of the run (a failure among retries is an alert).
    if rank(next.level) > rank(earlier.level) {
        earlier.level = next.level;
    }
    let over = (f.last_us - earlier.at_us) as f64 / 1e6;
    let amount = if f.amount > 0 {
        format!(" ({} {})", f.amount, f.unit)
    } else {
        String::new()
    };
    earlier.text = format!("{} ×{} over {over:.1} s{amount}", f.what, f.count);
    earlier
}

fn rank(level: &str) -> u8 {
    match level {
        "alert" => 2,
        "warn" => 1,
        _ => 0,
    }
}

/// Adds folded lines to a log: a line with a `fold` replaces the line with its key in the run at
/// the log's end (the lines after the last plain one), in place; otherwise it is appended.
pub fn fold_into(log: &mut VecDeque<LogEntry>, entries: impl IntoIterator<Item = LogEntry>) {
    for entry in entries {
        let earlier = entry.fold.as_ref().and_then(|fold| {
            let run = log
                .iter()
                .rposition(|e| e.fold.is_none())
                .map_or(0, |i| i + 1);
            log.range(run..)
                .position(|e| e.fold.as_ref().is_some_and(|f| f.key == fold.key))
                .map(|i| run + i)
        });
        match earlier {
            Some(i) => log[i] = entry,
            None => log.push_back(entry),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Fold;

    fn retry(at_us: u64, records: u64) -> LogEntry {
        LogEntry {
            fold: Some(Fold {
                key: "produce:bank:NOT_ENOUGH_REPLICAS".into(),
                count: 1,
                last_us: at_us,
                what: "producer bank: retrying on NOT_ENOUGH_REPLICAS".into(),
                amount: records,
                unit: "records",
            }),
            ..LogEntry::new(
                at_us,
                "warn",
                "producer",
                format!("producer bank: {records} records retried"),
            )
        }
    }

    fn lost(at_us: u64) -> LogEntry {
        LogEntry {
            fold: Some(Fold {
                key: "lost:metrics/0".into(),
                count: 1,
                last_us: at_us,
                what: "metrics/0: acknowledged records LOST".into(),
                amount: 1,
                unit: "records",
            }),
            ..LogEntry::new(at_us, "alert", "partition", "1 LOST".into())
        }
    }

    fn said(at_us: u64) -> LogEntry {
        LogEntry::new(at_us, "info", "narration", "something else".into())
    }

    #[test]
    fn interleaved_repeats_fold_per_key_until_a_plain_line() {
        let mut folder = Folder::default();
        let mut log = VecDeque::new();
        // Two frames: retries and losses interleaved.
        let first = folder.fold(vec![
            retry(1_000_000, 13),
            lost(1_050_000),
            retry(3_000_000, 7),
        ]);
        assert_eq!(first.len(), 2, "one line per key: {first:#?}");
        fold_into(&mut log, first);
        fold_into(
            &mut log,
            folder.fold(vec![lost(3_100_000), retry(4_200_000, 5)]),
        );
        assert_eq!(log.len(), 2, "{log:#?}");
        assert_eq!(
            log[0].text,
            "producer bank: retrying on NOT_ENOUGH_REPLICAS ×3 over 3.2 s (25 records)"
        );
        assert_eq!(log[0].at_us, 1_000_000, "a folded line keeps its place");
        assert_eq!(log[0].fold.as_ref().unwrap().last_us, 4_200_000);
        assert_eq!(
            log[1].text,
            "metrics/0: acknowledged records LOST ×2 over 2.0 s (2 records)"
        );
        // A plain line ends the run: the next retry is a line of its own.
        fold_into(
            &mut log,
            folder.fold(vec![said(5_000_000), retry(6_000_000, 2)]),
        );
        assert_eq!(log.len(), 4);
        assert_eq!(log[3].text, "producer bank: 2 records retried");
        assert_eq!(log[3].fold.as_ref().unwrap().count, 1);
        // A line the room already holds folds the same way as one from the same frame.
        fold_into(&mut log, folder.fold(vec![retry(6_500_000, 4)]));
        assert_eq!(log.len(), 4);
        assert_eq!(
            log[3].text,
            "producer bank: retrying on NOT_ENOUGH_REPLICAS ×2 over 0.5 s (6 records)"
        );
    }
}
