//! Code listings under a `say`: lines that start with `|` right after a `say` line are the code
//! the narration talks about (a lesson's ten-line producer, say), shown as written in a
//! monospace panel. They belong to files only: a console input is one line.
//!
//! ```text
//! say "Save this as producer.py and run it."
//! | from kafka import KafkaProducer
//! | producer = KafkaProducer(bootstrap_servers="localhost:9092")
//! ```
//!
//! The listing travels inside the `say` text: its first line is the narration, every further
//! line one line of code (the caption's views split it there).

use super::super::diagnostic::LineError;

/// At most this many code lines under one `say`: a listing is read from the back of a room.
pub const MAX_LISTING_LINES: usize = 24;

/// At most this many characters in one code line.
pub const MAX_LISTING_CHARS: usize = 120;

/// `Some` when `text` is a code line (its first non-blank character is `|`): the code, which is
/// what follows the `|` and one space after it, kept exactly (indentation matters in Python);
/// an error for a control character or a line too long to read.
pub fn code_line(text: &str) -> Option<Result<String, LineError>> {
    let start = text.find(|c: char| c != ' ' && c != '\t')?;
    let rest = text[start..].strip_prefix('|')?;
    let code = rest.strip_prefix(' ').unwrap_or(rest);
    let col0 = text[..start].chars().count() + 1;
    for (i, c) in text.chars().enumerate() {
        if c.is_control() {
            return Some(Err(LineError::new(
                u32::try_from(i + 1).unwrap_or(u32::MAX),
                format!(
                    "control character U+{:04X} is not allowed in a code line (indent with spaces)",
                    u32::from(c)
                ),
            )));
        }
    }
    if code.chars().count() > MAX_LISTING_CHARS {
        return Some(Err(LineError::new(
            u32::try_from(col0).unwrap_or(u32::MAX),
            format!("a code line may have at most {MAX_LISTING_CHARS} characters"),
        )
        .hint("break the line as the language allows")));
    }
    Some(Ok(code.trim_end().to_string()))
}

/// Adds one code line to the `say` text `said` (its narration and the code lines before).
pub fn extend(said: &mut String, code: &str, col: u32) -> Result<(), LineError> {
    if said.lines().count() > MAX_LISTING_LINES {
        return Err(LineError::new(
            col,
            format!("a 'say' may carry at most {MAX_LISTING_LINES} code lines"),
        ));
    }
    said.push('\n');
    said.push_str(code);
    Ok(())
}

/// The error for a code line that does not follow a `say` (or its code lines).
pub fn orphan(col: u32) -> LineError {
    LineError::new(
        col,
        "a '|' code line belongs to the 'say' line just above it",
    )
    .hint("put the code right under its 'say', with no blank line between")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_line_keeps_its_indentation_after_one_space() {
        assert_eq!(
            code_line("|     print(x)").unwrap().unwrap(),
            "    print(x)"
        );
        assert_eq!(code_line("  | x = 1  ").unwrap().unwrap(), "x = 1");
        assert_eq!(code_line("|").unwrap().unwrap(), "");
        assert!(code_line("say \"|\"").is_none());
        assert!(code_line("").is_none());
    }

    #[test]
    fn control_characters_and_long_lines_are_refused() {
        let e = code_line("| a\tb").unwrap().unwrap_err();
        assert_eq!(e.col, 4);
        let long = format!("| {}", "x".repeat(MAX_LISTING_CHARS + 1));
        assert!(code_line(&long).unwrap().is_err());
    }
}
