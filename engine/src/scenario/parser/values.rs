//! Readers of option and argument values: numbers, durations, rates, key ranges, `acks`,
//! choices from a table, names, and the room's limits on durations.

use super::Result;
use super::cursor::Val;
use crate::command::{Acks, KeySpec, Rate};
use crate::limits;
use crate::scenario::diagnostic::did_you_mean;
use crate::time::Micros;

/// An unsigned decimal number (digits only).
pub(super) fn uint(v: Val, what: &str) -> Result<u64> {
    if v.text.is_empty() || !v.text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(v.err(format!("expected {what}, found '{}'", v.text)));
    }
    v.text
        .parse::<u64>()
        .map_err(|_| v.err(format!("number {} is too large", v.text)))
}

pub(super) fn u32_of(v: Val, what: &str) -> Result<u32> {
    let n = uint(v, what)?;
    u32::try_from(n).map_err(|_| v.err(format!("number {n} is too large (at most {})", u32::MAX)))
}

/// A signed decimal number: `None` if it is not one, `Some(Err)` if it overflows.
pub(super) fn int(v: Val) -> Option<Result<i64>> {
    let digits = v.text.strip_prefix('-').unwrap_or(v.text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        v.text
            .parse::<i64>()
            .map_err(|_| v.err(format!("number {} is too large", v.text))),
    )
}

/// Units of a duration, in microseconds.
const UNITS: &[(&str, u128)] = &[
    ("us", 1),
    ("ms", 1_000),
    ("s", 1_000_000),
    ("m", 60_000_000),
    ("h", 3_600_000_000),
];

/// A duration: `250ms`, `2s`, `1.5s`, `3m` (also `us` and `h`), exact to the microsecond.
pub(super) fn duration(v: Val) -> Result<Micros> {
    let text = v.text;
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let bad = || {
        v.err(format!(
            "expected a duration such as 250ms, 2s or 1.5s, found '{text}'"
        ))
    };
    let (int_part, frac) = number.split_once('.').unwrap_or((number, ""));
    if int_part.is_empty() || frac.contains('.') || number.ends_with('.') {
        return Err(bad());
    }
    if unit.is_empty() {
        return Err(v
            .err(format!("the duration {text} needs a unit"))
            .hint(format!("e.g. {text}s or {text}ms")));
    }
    let Some(&(_, scale)) = UNITS.iter().find(|(u, _)| *u == unit) else {
        let units = UNITS.iter().map(|(u, _)| *u);
        return Err(v
            .slice(split, unit)
            .err(format!("unknown unit '{unit}' in duration '{text}'"))
            .hint(
                did_you_mean(unit, units).unwrap_or_else(|| "units: us, ms, s, m, h".to_string()),
            ));
    };
    let too_long = || v.err(format!("the duration {text} is too long"));
    let frac = frac.trim_end_matches('0');
    if int_part.len() > 30 {
        return Err(too_long());
    }
    if frac.len() > 20 {
        return Err(v.err(format!("the duration {text} is finer than a microsecond")));
    }
    let whole: u128 = int_part.parse().map_err(|_| bad())?;
    let frac_value: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad())?
    };
    let denominator = 10u128.pow(u32::try_from(frac.len()).map_err(|_| bad())?);
    let frac_micros = frac_value * scale;
    let sub_micro = frac_micros % denominator;
    if sub_micro != 0 {
        return Err(v.err(format!("the duration {text} is finer than a microsecond")));
    }
    let total = whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(frac_micros / denominator));
    total
        .and_then(|t| Micros::try_from(t).ok())
        .ok_or_else(too_long)
}

/// A rate: `5/s`, `300/m` (also `/h`).
pub(super) fn rate(v: Val) -> Result<Rate> {
    let Some((count, unit)) = v.text.split_once('/') else {
        return Err(v.err(format!(
            "expected a rate such as 5/s or 300/m, found '{}'",
            v.text
        )));
    };
    let n = uint(v.slice(0, count), "a number of records")?;
    let too_fast = || v.err(format!("the rate {} is too large", v.text));
    match unit {
        "s" => Rate::checked_per_second(n).ok_or_else(too_fast),
        "m" => Rate::checked_per_minute(n).ok_or_else(too_fast),
        "h" => Ok(Rate { per_hour: n }),
        _ => Err(v
            .slice(count.len() + 1, unit)
            .err(format!("unknown rate unit '/{unit}'"))
            .hint("rates are per second (5/s), per minute (300/m) or per hour (10/h)")),
    }
}

/// `keys=user-1..user-50` or `keys=none`.
pub(super) fn key_spec(v: Val) -> Result<KeySpec> {
    if v.text == "none" {
        return Ok(KeySpec::None);
    }
    let Some((first, last)) = v.text.split_once("..") else {
        return Err(v
            .err(format!(
                "expected a key range such as user-1..user-50, or none, found '{}'",
                v.text
            ))
            .hint(format!("for a single key, write key={}", v.text)));
    };
    let last_val = v.slice(first.len() + 2, last);
    let (prefix, first_n) = numbered_key(v.slice(0, first))?;
    let (last_prefix, last_n) = numbered_key(last_val)?;
    if prefix != last_prefix {
        return Err(last_val.err(format!(
            "both ends of a key range need the same prefix ('{prefix}' and '{last_prefix}')"
        )));
    }
    if first_n > last_n {
        return Err(v
            .err(format!("the key range {} is empty", v.text))
            .hint("write the smaller end first"));
    }
    limits::key_range_len(first_n, last_n).map_err(|message| {
        v.err(message).hint(format!(
            "e.g. keys={prefix}1..{prefix}{}",
            limits::MAX_KEY_RANGE
        ))
    })?;
    limit(v, limits::check_record_bytes(prefix.len() + 20, 0))?;
    Ok(KeySpec::Range {
        prefix: prefix.to_string(),
        first: first_n,
        last: last_n,
    })
}

/// `user-17` → (`user-`, 17).
fn numbered_key<'a>(v: Val<'a>) -> Result<(&'a str, u64)> {
    let prefix = v.text.trim_end_matches(|c: char| c.is_ascii_digit());
    let digits = &v.text[prefix.len()..];
    let digits_val = v.slice(prefix.len(), digits);
    if digits.is_empty() {
        return Err(v.err(format!("the key '{}' does not end with a number", v.text)));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(digits_val.err(format!(
            "'{digits}': numbers in key ranges have no leading zeros"
        )));
    }
    let n = digits
        .parse::<u64>()
        .map_err(|_| digits_val.err(format!("number {digits} is too large")))?;
    Ok((prefix, n))
}

/// `acks=0|1|all` (`-1` is Kafka's spelling of all).
pub(super) fn acks(v: Val) -> Result<Acks> {
    choice(
        v,
        &[
            ("0", Acks::Zero),
            ("1", Acks::One),
            ("all", Acks::All),
            ("-1", Acks::All),
        ],
    )
}

/// One of a fixed set of words.
pub(super) fn choice<T: Copy>(v: Val, table: &[(&'static str, T)]) -> Result<T> {
    if let Some((_, t)) = table.iter().find(|(word, _)| *word == v.text) {
        return Ok(*t);
    }
    let words: Vec<&str> = table.iter().map(|(w, _)| *w).collect();
    let fallback = format!("expected one of: {}", words.join(", "));
    Err(v
        .err(format!("unexpected value '{}'", v.text))
        .hint(did_you_mean(v.text, words.iter().copied()).unwrap_or(fallback)))
}

/// Group and consumer names are member ids in comma-separated lists: no `,` in them; and like
/// every name, at most [`MAX_NAME_CHARS`](crate::limits::MAX_NAME_CHARS) characters.
pub(super) fn check_name(v: Val, what: &str) -> Result<()> {
    match v.text.find(',') {
        Some(i) => Err(v
            .slice(i, ",")
            .err(format!("',' is not allowed in a {what} name"))
            .hint("lists of members are comma-separated")),
        None => limit(v, limits::check_name(what, v.text)),
    }
}

/// A duration longer than zero for option `option`, an interval within the room's limits.
pub(super) fn positive(v: Val, option: &str) -> Result<Micros> {
    let d = duration(v)?;
    if d == 0 {
        return Err(v.err(format!("{option} must be longer than 0")));
    }
    limit(v, limits::check_interval(option, d)).map(|()| d)
}

/// A setting that re-arms a timer every interval (`replica-lag`, `retention-check`, …).
pub(super) fn interval(v: Val, option: &str) -> Result<Micros> {
    let d = duration(v)?;
    limit(v, limits::check_interval(option, d)).map(|()| d)
}

/// Any other duration setting (`retention`, `segment`, `linger`): at most a year.
pub(super) fn setting(v: Val, option: &str) -> Result<Micros> {
    let d = duration(v)?;
    limit(v, limits::check_setting(option, d)).map(|()| d)
}

/// A limit check's message as an error at `v`.
pub(super) fn limit(v: Val, check: std::result::Result<(), String>) -> Result<()> {
    check.map_err(|message| v.err(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Result<Micros> {
        duration(Val::plain(text))
    }

    #[test]
    fn durations() {
        assert_eq!(d("250ms"), Ok(250_000));
        assert_eq!(d("2s"), Ok(2_000_000));
        assert_eq!(d("1.5s"), Ok(1_500_000));
        assert_eq!(d("1.50s"), Ok(1_500_000));
        assert_eq!(d("3m"), Ok(180_000_000));
        assert_eq!(d("7us"), Ok(7));
        assert_eq!(d("1h"), Ok(3_600_000_000));
        assert_eq!(d("0.000001s"), Ok(1));
        for bad in [
            "",
            "s",
            "5",
            "1.5us",
            ".5s",
            "5.s",
            "1..5s",
            "5sec",
            "-1s",
            "99999999999999999999999h",
        ] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }

    /// What `format_duration` prints (hints, `scheduled at …`) can be typed back as it is.
    #[test]
    fn formatted_durations_read_back_exactly() {
        for us in [
            0,
            1,
            999,
            1_000,
            1_500,
            250_001,
            999_999,
            1_000_001,
            2_757_249,
            60_000_000,
            86_400_000_000,
            u64::MAX,
        ] {
            let text = crate::time::format_duration(us);
            assert_eq!(d(&text), Ok(us), "{text}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(rate(Val::plain("5/s")), Ok(Rate::per_second(5)));
        assert_eq!(rate(Val::plain("300/m")), Ok(Rate::per_minute(300)));
        assert!(rate(Val::plain("18446744073709551615/s")).is_err());
        assert!(rate(Val::plain("5/d")).is_err());
        assert!(rate(Val::plain("5")).is_err());
    }

    #[test]
    fn key_ranges() {
        let range = |s| key_spec(Val::plain(s));
        assert_eq!(
            range("user-1..user-50"),
            Ok(KeySpec::Range {
                prefix: "user-".into(),
                first: 1,
                last: 50
            })
        );
        assert_eq!(
            range("1..3"),
            Ok(KeySpec::Range {
                prefix: String::new(),
                first: 1,
                last: 3
            })
        );
        assert_eq!(range("none"), Ok(KeySpec::None));
        for bad in [
            "user-1..u-5",
            "user-5..user-1",
            "a..b",
            "user-1",
            "k-01..k-10",
            "k-1..k-99999999999999999999",
        ] {
            assert!(range(bad).is_err(), "{bad}");
        }
    }
}
