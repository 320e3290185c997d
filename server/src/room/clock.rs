//! A room's clock: how fast simulated time follows the wall clock, and whether it moves at all.

use std::time::Duration;

use engine::time::Micros;

/// The slowest and fastest speeds a presenter may choose (simulated seconds per real second).
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 20.0;
/// The `step` button: this much simulated time, then pause.
pub const STEP_US: Micros = 100_000;
/// A tick longer than this (a suspended laptop, a debugger) counts as this long, so the
/// cluster never leaps minutes ahead in one frame.
const MAX_TICK: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    pub playing: bool,
    pub speed: f64,
    /// Fractions of a microsecond carried between ticks, so 0.1× does not round to zero.
    carry_us: f64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            playing: true,
            speed: 1.0,
            carry_us: 0.0,
        }
    }
}

impl Clock {
    /// Simulated time that passes during `wall` of real time.
    pub fn elapsed(&mut self, wall: Duration) -> Micros {
        if !self.playing {
            return 0;
        }
        let sim = wall.min(MAX_TICK).as_micros() as f64 * self.speed + self.carry_us;
        let whole = sim.floor();
        self.carry_us = sim - whole;
        whole as Micros
    }

    /// Sets the speed, refusing values outside [MIN_SPEED, MAX_SPEED] (and NaN).
    pub fn set_speed(&mut self, speed: f64) -> Result<(), String> {
        if !(MIN_SPEED..=MAX_SPEED).contains(&speed) {
            return Err(format!(
                "speed must be between {MIN_SPEED}× and {MAX_SPEED}×, got {}",
                short_number(speed)
            ));
        }
        self.speed = speed;
        Ok(())
    }
}

/// A number from a client, short whatever it is: `f64`'s `Display` writes every digit, so
/// 1e308 would come back as 309 of them. Far from 1 it is written with an exponent.
fn short_number(x: f64) -> String {
    if x.is_nan() {
        "not a number".to_string()
    } else if x != 0.0 && !(1e-4..1e6).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        // The shortest text that reads back as `x`: never rounded, so a speed just under the
        // minimum is not shown as the minimum itself.
        x.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenth_of_real_time_accumulates() {
        let mut clock = Clock::default();
        clock.set_speed(0.1).unwrap();
        let total: Micros = (0..10)
            .map(|_| clock.elapsed(Duration::from_millis(100)))
            .sum();
        assert_eq!(total, 100_000);
    }

    #[test]
    fn speeds_outside_the_range_are_refused() {
        let mut clock = Clock::default();
        assert!(clock.set_speed(25.0).is_err());
        assert!(clock.set_speed(f64::NAN).is_err());
        assert!(clock.set_speed(0.05).is_err());
        assert_eq!(clock.speed, 1.0);
    }

    /// Any number outside the range gets a short message that says the range (QA: 1e308 came
    /// back as 309 digits).
    #[test]
    fn refusals_write_the_number_short() {
        let mut clock = Clock::default();
        for (speed, shown) in [
            (1e308, "1e308"),
            (f64::MAX, "1.7976931348623157e308"),
            (-1e308, "-1e308"),
            (1e-300, "1e-300"),
            (-0.5, "-0.5"),
            (0.0, "0"),
            (25.0, "25"),
            (20.000001, "20.000001"),
            (0.09999999999999999, "0.09999999999999999"),
            (f64::NAN, "not a number"),
        ] {
            let message = clock.set_speed(speed).unwrap_err();
            assert_eq!(
                message,
                format!("speed must be between 0.1× and 20×, got {shown}"),
                "{speed}"
            );
        }
        assert_eq!(clock.speed, 1.0);
    }

    #[test]
    fn a_paused_clock_stands_still_and_long_ticks_are_capped() {
        let mut clock = Clock::default();
        assert_eq!(clock.elapsed(Duration::from_secs(60)), 500_000);
        clock.playing = false;
        assert_eq!(clock.elapsed(Duration::from_secs(1)), 0);
    }
}
