//! The application a client runs on the records it gets: the code between two `poll()` calls of
//! a Kafka consumer. Today a processing rate; a Streams thread will be a consumer whose
//! application is a topology, a sink connector one whose application writes elsewhere.

use crate::command::Rate;
use crate::time::Micros;

/// What a consumer's application does with each record `poll()` hands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Application {
    /// Processes each record and nothing else: as fast as they come (`rate: None`), or at
    /// `rate` records per simulated second (a slow database call per record, say).
    Process { rate: Option<Rate> },
}

impl Application {
    /// The processing rate, if the application has one.
    pub fn rate(&self) -> Option<Rate> {
        match self {
            Application::Process { rate } => *rate,
        }
    }

    /// How many records of the batch `poll()` handed out at `started_us` are done by `now`,
    /// beyond the `done` already counted; `waiting` are still to do.
    pub fn records_due(&self, started_us: Micros, done: u64, waiting: usize, now: Micros) -> u64 {
        match self {
            Application::Process { rate: None } => waiting as u64,
            Application::Process { rate: Some(rate) } => {
                let elapsed = u128::from(now.saturating_sub(started_us));
                let total = (elapsed * u128::from(rate.per_hour) / 3_600_000_000) as u64;
                total.saturating_sub(done)
            }
        }
    }

    /// When the next record of the batch started at `started_us` is done, after `done` of them
    /// (`None`: it is done at once, or never).
    pub fn next_record_done_us(&self, started_us: Micros, done: u64) -> Option<Micros> {
        match self {
            Application::Process { rate: None } => None,
            Application::Process { rate: Some(rate) } => {
                let n = u128::from(done + 1);
                Some(started_us + (n * 3_600_000_000).div_ceil(u128::from(rate.per_hour)) as u64)
            }
        }
    }
}
