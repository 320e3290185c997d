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
                "speed must be between {MIN_SPEED}× and {MAX_SPEED}×, got {speed}"
            ));
        }
        self.speed = speed;
        Ok(())
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

    #[test]
    fn a_paused_clock_stands_still_and_long_ticks_are_capped() {
        let mut clock = Clock::default();
        assert_eq!(clock.elapsed(Duration::from_secs(60)), 500_000);
        clock.playing = false;
        assert_eq!(clock.elapsed(Duration::from_secs(1)), 0);
    }
}
