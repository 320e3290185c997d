//! Simulated time. The engine never reads a wall clock: every instant is a count of
//! microseconds since the simulation started, advanced only by the driver.

/// Microseconds of simulated time since the start of the run.
pub type Micros = u64;

pub const MICROS_PER_MS: Micros = 1_000;
pub const MICROS_PER_SEC: Micros = 1_000_000;

pub const fn ms(n: u64) -> Micros {
    n * MICROS_PER_MS
}

pub const fn secs(n: u64) -> Micros {
    n * MICROS_PER_SEC
}

/// Formats a duration the way the scenario language writes it (`250ms`, `2s`, `1.5s`, `3m`),
/// exactly: the text read back as a duration is `us` again. A live room's clock is rarely a
/// round instant, so an instant such as 2,757,249 µs reads `2.757249s` (seconds with their
/// decimals, not a count of microseconds); under a second, milliseconds (`1.5ms`), and under a
/// millisecond, `us`.
pub fn format_duration(us: Micros) -> String {
    if us.is_multiple_of(MICROS_PER_SEC) {
        let s = us / MICROS_PER_SEC;
        if s >= 60 && s.is_multiple_of(60) {
            format!("{}m", s / 60)
        } else {
            format!("{s}s")
        }
    } else if us >= MICROS_PER_SEC {
        decimal(us, MICROS_PER_SEC, "s")
    } else if us >= MICROS_PER_MS {
        decimal(us, MICROS_PER_MS, "ms")
    } else {
        format!("{us}us")
    }
}

/// `us` in units of `scale` microseconds, with as many decimals as it needs (none trailing).
fn decimal(us: Micros, scale: Micros, unit: &str) -> String {
    let digits = scale.ilog10() as usize;
    let fraction = format!("{:0digits$}", us % scale);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{}{unit}", us / scale)
    } else {
        format!("{}.{fraction}{unit}", us / scale)
    }
}

/// Formats a rate the way the scenario language writes it (`5/s`, `300/m`, or `90/h` when
/// neither is whole).
pub fn format_rate(per_hour: u64) -> String {
    if per_hour.is_multiple_of(3600) {
        format!("{}/s", per_hour / 3600)
    } else if per_hour.is_multiple_of(60) {
        format!("{}/m", per_hour / 60)
    } else {
        format!("{per_hour}/h")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_the_scenario_language_writes_them() {
        for (us, text) in [
            (0, "0s"),
            (7, "7us"),
            (999, "999us"),
            (1_500, "1.5ms"),
            (250_000, "250ms"),
            (250_001, "250.001ms"),
            (1_500_000, "1.5s"),
            (2_000_000, "2s"),
            (2_757_000, "2.757s"),
            // A live room's clock (QA: the console's hint said "2757249us").
            (2_757_249, "2.757249s"),
            (60_000_001, "60.000001s"),
            (90_000_000, "90s"),
            (180_000_000, "3m"),
        ] {
            assert_eq!(format_duration(us), text, "{us}");
        }
    }
}
