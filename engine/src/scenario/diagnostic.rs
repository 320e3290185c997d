//! Parse errors, reported the way compilers do:
//!
//! ```text
//! lesson.scenario:3:24: unknown option 'replicaton' (did you mean 'replication'?)
//! ```
//!
//! Lines and columns are 1-based; columns count characters, not bytes, so a line with `é` or an
//! emoji before the mistake still points at the right place.

use std::fmt;

use super::ast::Pos;

/// One error in a scenario file or console line: `FILE:LINE:COL: message (hint)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name as given to the parser (`"console"` for the browser console).
    pub file: String,
    /// Where the offending word starts.
    pub pos: Pos,
    pub message: String,
    /// A suggestion such as `did you mean 'replication'?`.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.pos.line, self.pos.col, self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// An error found on one line, before the file name and line number are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based column, in characters.
    pub col: u32,
    pub message: String,
    pub hint: Option<String>,
}

impl LineError {
    pub fn new(col: u32, message: impl Into<String>) -> Self {
        LineError {
            col: col.max(1),
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint (replacing any previous one).
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a hint when there is one, e.g. the result of [`did_you_mean`].
    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }

    /// Places the error in a file.
    pub fn at(self, file: &str, line: u32) -> Diagnostic {
        Diagnostic {
            file: file.to_string(),
            pos: Pos {
                line: line.max(1),
                col: self.col.max(1),
            },
            message: self.message,
            hint: self.hint,
        }
    }
}

/// Words longer than this are never compared: they are not typos of a short keyword, and the
/// distance is quadratic in the length.
const MAX_SUGGEST_LEN: usize = 64;

/// `did you mean 'X'?` for the candidate closest to `word`, if one is close enough to be a typo.
///
/// ```
/// use engine::scenario::diagnostic::did_you_mean;
/// let hint = did_you_mean("replicaton", ["partitions", "replication"]);
/// assert_eq!(hint.as_deref(), Some("did you mean 'replication'?"));
/// assert_eq!(did_you_mean("zzz", ["partitions"]), None);
/// ```
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean '{c}'?"))
}

/// The candidate closest to `word` (case-insensitive optimal string alignment distance), within a
/// distance that grows with the word's length: 1 for words up to 4 characters, 2 up to 7, then 3.
/// A candidate sharing nothing with the word (`2` and `0`) is not suggested. Ties go to the
/// earliest candidate.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word: Vec<char> = word.to_lowercase().chars().collect();
    if word.is_empty() || word.len() > MAX_SUGGEST_LEN {
        return None;
    }
    let limit = ((word.len() + 1) / 3).clamp(1, 3);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let lower: Vec<char> = candidate.to_lowercase().chars().collect();
        if lower.len() > MAX_SUGGEST_LEN || lower.len().abs_diff(word.len()) > limit {
            continue;
        }
        let d = distance(&word, &lower);
        // A word replaced entirely (`2` for `0`) is not a typo.
        if d <= limit && d < word.len().max(lower.len()) && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Damerau–Levenshtein distance (optimal string alignment: insertions, deletions, substitutions
/// and transpositions of adjacent characters).
fn distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = v;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(a: &str, b: &str) -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        distance(&a, &b)
    }

    #[test]
    fn distances() {
        assert_eq!(dist("", ""), 0);
        assert_eq!(dist("abc", ""), 3);
        assert_eq!(dist("kitten", "sitting"), 3);
        assert_eq!(dist("brokre", "broker"), 1);
        assert_eq!(dist("héllo", "hello"), 1);
    }

    #[test]
    fn suggestions() {
        assert_eq!(closest("brokr", ["broker", "brokers"]), Some("broker"));
        assert_eq!(closest("BROKERS", ["broker", "brokers"]), Some("brokers"));
        assert_eq!(closest("x", ["wait", "say"]), None);
        assert_eq!(closest("", ["a"]), None);
    }

    #[test]
    fn display() {
        let d = LineError::new(24, "unknown option 'replicaton'")
            .hint("did you mean 'replication'?")
            .at("lesson.scenario", 3);
        assert_eq!(
            d.to_string(),
            "lesson.scenario:3:24: unknown option 'replicaton' (did you mean 'replication'?)"
        );
        let d = LineError::new(0, "oops").at("f", 0);
        assert_eq!(d.to_string(), "f:1:1: oops");
    }
}
