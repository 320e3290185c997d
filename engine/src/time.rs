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

/// Formats a duration the way the scenario language writes it (`250ms`, `2s`, `1.5s`, `3m`).
pub fn format_duration(us: Micros) -> String {
    if us.is_multiple_of(MICROS_PER_SEC) {
        let s = us / MICROS_PER_SEC;
        if s >= 60 && s.is_multiple_of(60) {
            format!("{}m", s / 60)
        } else {
            format!("{s}s")
        }
    } else if us.is_multiple_of(MICROS_PER_MS) {
        format!("{}ms", us / MICROS_PER_MS)
    } else {
        format!("{}us", us)
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
