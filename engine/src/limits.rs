//! Limits: everything a scenario file or a console line may ask of a room, stated in one place.
//!
//! A room is one task in a shared server, and a scenario runs headless on someone's laptop. A
//! line asking for a billion records per second, a key range of 2^64 keys, a week of simulated
//! time in one step or twelve brokers holding twelve thousand replicas must be refused with a
//! message that names the limit, instead of freezing the room, panicking on an overflow or
//! growing memory without bound.
//!
//! Each limit is enforced twice, with the same message (the `check_*` functions below):
//! - by the parser, so that `playground check`, the editor and the console point at the word
//!   (`FILE:LINE:COL`) before anything runs;
//! - by [`crate::Cluster::apply`], because commands can come from elsewhere (a test, a replayed
//!   journal): a refused command returns [`crate::CommandError::Limit`] and changes nothing.
//!
//! The headless runner checks the time limits of `wait` and `at` again when it plays a step.
//!
//! Numbers were measured with `playground bench` and `playground run` on a 2-core machine shared
//! with other builds: 10,000 records/s into 12 partitions at replication 3, with a group of 4
//! consumers reading everything, simulates 60 s in 1.5 to 3.5 s of wall time (17x to 39x real
//! time, depending on the load) and holds about 100 bytes per record in memory.

use crate::command::Rate;
use crate::time::{MICROS_PER_SEC, Micros, format_duration, ms, secs};

const HOUR: Micros = secs(3600);

/// Most brokers in a cluster. The page draws every broker with its replicas; twelve still fit a
/// projector, and every broker fetches from every other (followers × leaders grows as N²).
pub const MAX_BROKERS: u32 = 12;

/// Most partitions over all topics. Each partition is drawn with its offsets and travels in
/// every frame; 1,024 is far above what a lesson shows and still sends in one snapshot.
pub const MAX_PARTITIONS: u32 = 1024;

/// Most partition slots a cluster ever makes, deleted topics' included: a deleted topic's
/// partitions keep their index (`topic_delete.rs`) and the controller still walks them, so a
/// loop of `topic create` and `topic delete` must end somewhere. Eight times the live limit.
pub const MAX_PARTITION_SLOTS: u32 = 8 * MAX_PARTITIONS;

/// Most partition replicas in a cluster: the sum over topics of partitions × replication. Each
/// replica is a log, a follower fetcher and a copy in every time-travel checkpoint: 12 brokers
/// with one 1,024-partition topic at replication 12 (12,288 replicas) settled near 1 GB per
/// room. 1,536 leaves room for the benchmark cluster (6 brokers, 24 partitions at replication 3:
/// 72) twenty times over, and for 512 partitions at replication 3.
pub const MAX_PARTITION_REPLICAS: u32 = 1536;

/// Most records per second from one steady producer (`rate=`, `producer rate`).
pub const MAX_PRODUCER_RATE_PER_S: u64 = 5_000;

/// Most records per second from all steady producers together (stopped ones excluded, paused
/// ones included: they resume at their rate). At 10,000/s the benchmark cluster simulates a
/// little under 20x real time on a busy 2-core machine, so a room at the top speed (20x) still
/// keeps up; a room that falls behind stops answering its viewers.
pub const MAX_TOTAL_PRODUCER_RATE_PER_S: u64 = 10_000;

/// Most records per second one consumer's application processes (`rate=` of a group or a
/// consumer, `consumer rate`). A consumer with a rate wakes up once per record; a rate above what
/// all producers together can send (see [`MAX_TOTAL_PRODUCER_RATE_PER_S`]) would only matter to
/// a backlog, and a consumer without a rate processes as fast as records come anyway.
pub const MAX_CONSUMER_RATE_PER_S: u64 = 10_000;

/// Most consumers in a cluster, stopped and crashed ones included (their names are never reused,
/// and each keeps its history for `expect`).
pub const MAX_CONSUMERS: usize = 256;

/// Most consumers one `group add … consumers=N` starts: one line should not fill the cluster.
pub const MAX_CONSUMERS_PER_ADD: u32 = 64;

/// Most keys in a key range `keys=K-A..K-B` (B - A + 1). The producer caches the interned form
/// of every key in its range (8 bytes each); ranges beyond this are not a lesson about keys.
/// The bundled scenarios use at most 5,000.
pub const MAX_KEY_RANGE: u64 = 100_000;

/// Most targets in one `focus` line: a screen at 1280×720 shows only so many things legibly;
/// a whole topic or group is one target.
pub const MAX_FOCUS_TARGETS: usize = 16;

/// Instances of one Streams application (`instances=`): each is a client with one consumer and
/// one producer per stream thread; a class sees rebalancing with a handful.
pub const MAX_STREAMS_INSTANCES: u32 = 16;

/// `num.stream.threads` of one instance (`threads=`).
pub const MAX_STREAMS_THREADS: u32 = 8;

/// `num.standby.replicas` (`standbys=`): more than the instances could never be placed.
pub const MAX_STREAMS_STANDBYS: u32 = MAX_STREAMS_INSTANCES - 1;

/// `statestore.cache.max.bytes` (`cache=`): records in the cache are held for real.
pub const MAX_STREAMS_CACHE_BYTES: u64 = 64 << 20;

/// Lines of one `streams app` block: a topology a class can read.
pub const MAX_STREAMS_LINES: usize = 100;

/// Most characters in the name of a topic, producer, group or consumer: Kafka's limit on a
/// topic name, applied to every name so that names stay printable on the page.
pub const MAX_NAME_CHARS: usize = 249;

/// Most bytes in a record's key and value together (`produce`, `key=`, a key range's prefix):
/// Kafka's `max.request.size` default (1 MiB). It also keeps a record's size estimate far from
/// overflowing the 32-bit byte counts of batches.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Most one-way network latency (`brokers … latency=`): with more, every request times out.
pub const MAX_LATENCY: Micros = secs(10);

/// Shortest interval for settings that re-arm a timer every interval (`replica-lag`, the broker
/// `session-timeout`, `retention-check`, a group's `heartbeat`, `auto-commit` and
/// `max-poll-interval`). At `replica-lag=1us` the ISR check re-armed itself at the same instant
/// forever; at 1 ms a room spends its time on these timers instead of the records.
pub const MIN_INTERVAL: Micros = ms(100);

/// Longest duration a setting may have (retention, segment, linger, the intervals above): a year,
/// longer than any Kafka default (7 days), and far enough from the end of simulated time
/// (`u64::MAX` µs, 584,000 years) that "now + setting" never overflows.
pub const MAX_SETTING: Micros = 365 * 24 * HOUR;

/// Longest simulated time one step may cover: one `wait`, or the jump an `at` makes past the time
/// already reached. A day lets a retention or compaction lesson reach `delete.retention.ms`.
pub const MAX_STEP: Micros = 24 * HOUR;

/// Most simulated work one step may ask for (see [`Load`]): the headless runner plays a step as
/// fast as it can, and a room's console `wait` should mean the same as in a file. Two million
/// units took 5 to 7 s of wall time: two million records at 10,000/s with 4 consumers (and
/// 230 MB), twelve brokers replicating 144 partition replicas for four hours, or 1,408 follower
/// replicas and 256 consumers for twenty minutes.
pub const MAX_WORK_PER_STEP: u64 = 2_000_000;

/// What makes a step of simulated time cost wall time, measured with `playground run` (about
/// 3 µs each): every record a steady producer creates (produced, replicated, consumed); every
/// second of every follower replica, which fetches from its leader at least twice a second even
/// when idle; every second of every running consumer (heartbeats, fetches; about a fifth of a
/// unit, counted as one to keep the rule simple).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Load {
    /// The sum of the steady producers' rates, in records per hour.
    pub producer_rate_per_hour: u128,
    /// Partition replicas that are not the preferred leader: partitions × (replication - 1).
    pub follower_replicas: u64,
    /// Consumers not stopped or crashed.
    pub consumers: u64,
}

impl Load {
    /// Units of work for `d` of simulated time.
    pub fn work(&self, d: Micros) -> u128 {
        let records = self.producer_rate_per_hour.saturating_mul(u128::from(d)) / u128::from(HOUR);
        let per_second = u128::from(self.follower_replicas) + u128::from(self.consumers);
        records
            .saturating_add(per_second.saturating_mul(u128::from(d)) / u128::from(MICROS_PER_SEC))
    }

    /// The longest step within [`MAX_WORK_PER_STEP`] (and [`MAX_STEP`]), in whole seconds when
    /// it is at least one, for a hint that reads well.
    pub fn longest_step(&self) -> Micros {
        // Work per hour, then the hours (in µs) the budget allows.
        let per_hour = self.work(HOUR);
        if per_hour == 0 {
            return MAX_STEP;
        }
        let d = u128::from(MAX_WORK_PER_STEP) * u128::from(HOUR) / per_hour;
        let d = Micros::try_from(d).unwrap_or(MAX_STEP).min(MAX_STEP);
        if d >= MICROS_PER_SEC {
            d - d % MICROS_PER_SEC
        } else {
            d
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Checks: each returns the message that names the limit
// ---------------------------------------------------------------------------------------------

/// `brokers N`: 1 to [`MAX_BROKERS`].
pub fn check_brokers(n: u32) -> Result<(), String> {
    if n > MAX_BROKERS {
        return Err(format!(
            "{n} brokers is above the room's limit of {MAX_BROKERS} brokers"
        ));
    }
    Ok(())
}

/// A new topic of `partitions` × `replication` in a cluster that already holds `existing`
/// partitions and `existing_replicas` partition replicas.
pub fn check_topic_size(
    existing: u64,
    existing_replicas: u64,
    partitions: u32,
    replication: u32,
) -> Result<(), String> {
    let total = existing.saturating_add(u64::from(partitions));
    if total > u64::from(MAX_PARTITIONS) {
        return Err(format!(
            "the cluster would have {} partitions, above the limit of {}",
            thousands(u128::from(total)),
            thousands(u128::from(MAX_PARTITIONS))
        ));
    }
    let replicas = existing_replicas.saturating_add(u64::from(partitions) * u64::from(replication));
    if replicas > u64::from(MAX_PARTITION_REPLICAS) {
        return Err(format!(
            "the cluster would have {} partition replicas (partitions × replication over all topics), above the limit of {}",
            thousands(u128::from(replicas)),
            thousands(u128::from(MAX_PARTITION_REPLICAS))
        ));
    }
    Ok(())
}

/// One producer's rate: at most [`MAX_PRODUCER_RATE_PER_S`].
pub fn check_producer_rate(rate: Rate) -> Result<(), String> {
    if u128::from(rate.per_hour) > per_hour(MAX_PRODUCER_RATE_PER_S) {
        return Err(format!(
            "the rate {} is above the room's limit of {} records/s for one producer",
            rate_text(u128::from(rate.per_hour)),
            thousands(u128::from(MAX_PRODUCER_RATE_PER_S))
        ));
    }
    Ok(())
}

/// The sum of the producers' rates (records per hour) once a line has run: at most
/// [`MAX_TOTAL_PRODUCER_RATE_PER_S`].
pub fn check_total_producer_rate(total_per_hour: u128) -> Result<(), String> {
    if total_per_hour > per_hour(MAX_TOTAL_PRODUCER_RATE_PER_S) {
        return Err(format!(
            "the sum of producer rates would be {}, above the limit of {}/s",
            rate_text(total_per_hour),
            thousands(u128::from(MAX_TOTAL_PRODUCER_RATE_PER_S))
        ));
    }
    Ok(())
}

/// A consumer's processing rate: at most [`MAX_CONSUMER_RATE_PER_S`].
pub fn check_consumer_rate(rate: Rate) -> Result<(), String> {
    if u128::from(rate.per_hour) > per_hour(MAX_CONSUMER_RATE_PER_S) {
        return Err(format!(
            "the processing rate {} is above the room's limit of {} records/s for one consumer",
            rate_text(u128::from(rate.per_hour)),
            thousands(u128::from(MAX_CONSUMER_RATE_PER_S))
        ));
    }
    Ok(())
}

/// `group add … consumers=N`: at most [`MAX_CONSUMERS_PER_ADD`].
pub fn check_consumers_per_add(n: u32) -> Result<(), String> {
    if n > MAX_CONSUMERS_PER_ADD {
        return Err(format!(
            "{n} consumers is above the limit of {MAX_CONSUMERS_PER_ADD} for one group add"
        ));
    }
    Ok(())
}

/// `more` consumers started in a cluster that has `have` (stopped and crashed ones included):
/// at most [`MAX_CONSUMERS`] in all.
pub fn check_consumers(have: usize, more: usize) -> Result<(), String> {
    if have.saturating_add(more) > MAX_CONSUMERS {
        return Err(format!(
            "at most {MAX_CONSUMERS} consumers in a cluster ({have} already started, stopped and crashed ones included)"
        ));
    }
    Ok(())
}

/// `streams app … instances=N` or `threads=N`: 1 to the limit.
pub fn check_streams_instances(what: &str, n: u32, max: u32) -> Result<(), String> {
    if n == 0 || n > max {
        return Err(format!("{what} must be between 1 and {max}"));
    }
    Ok(())
}

/// `streams app … cache=SIZE`: at most [`MAX_STREAMS_CACHE_BYTES`].
pub fn check_streams_cache(bytes: u64) -> Result<(), String> {
    if bytes > MAX_STREAMS_CACHE_BYTES {
        return Err(format!(
            "a cache of {} bytes is above the room's limit of {} MiB",
            thousands(u128::from(bytes)),
            MAX_STREAMS_CACHE_BYTES >> 20
        ));
    }
    Ok(())
}

/// The number of keys in `first..=last`, if the range goes upwards and has at most
/// [`MAX_KEY_RANGE`] keys. Computed without overflow: `0..=u64::MAX` has 2^64 keys.
pub fn key_range_len(first: u64, last: u64) -> Result<u64, String> {
    let Some(span) = last.checked_sub(first) else {
        return Err(format!("the key range {first}..{last} is empty"));
    };
    let len = u128::from(span) + 1;
    if len > u128::from(MAX_KEY_RANGE) {
        return Err(format!(
            "the key range has {} keys, above the limit of {}",
            thousands(len),
            thousands(u128::from(MAX_KEY_RANGE))
        ));
    }
    Ok(span + 1)
}

/// A name (`what` is "topic", "producer", "group" or "consumer"): at most [`MAX_NAME_CHARS`].
pub fn check_name(what: &str, name: &str) -> Result<(), String> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "a {what} name has at most {MAX_NAME_CHARS} characters"
        ));
    }
    Ok(())
}

/// A record's key and value: at most [`MAX_RECORD_BYTES`] together.
pub fn check_record_bytes(key: usize, value: usize) -> Result<(), String> {
    if key.saturating_add(value) > MAX_RECORD_BYTES {
        return Err(format!(
            "a record's key and value have {} bytes, above the limit of {} (Kafka's max.request.size)",
            thousands(key.saturating_add(value) as u128),
            thousands(MAX_RECORD_BYTES as u128)
        ));
    }
    Ok(())
}

/// `latency=`: at most [`MAX_LATENCY`].
pub fn check_latency(d: Micros) -> Result<(), String> {
    if d > MAX_LATENCY {
        return Err(format!(
            "latency {} is above the limit of {}",
            duration_text(d),
            duration_text(MAX_LATENCY)
        ));
    }
    Ok(())
}

/// A setting's duration (`option` as written in the scenario language): at most [`MAX_SETTING`].
pub fn check_setting(option: &str, d: Micros) -> Result<(), String> {
    if d > MAX_SETTING {
        return Err(format!(
            "{option} {} is above the limit of {} (a year)",
            duration_text(d),
            duration_text(MAX_SETTING)
        ));
    }
    Ok(())
}

/// A setting that re-arms a timer every interval: [`MIN_INTERVAL`] to [`MAX_SETTING`].
pub fn check_interval(option: &str, d: Micros) -> Result<(), String> {
    if d < MIN_INTERVAL {
        return Err(format!(
            "{option} {} is below the limit of {}",
            duration_text(d),
            duration_text(MIN_INTERVAL)
        ));
    }
    check_setting(option, d)
}

/// One step of simulated time of duration `d` (`what` names it: `wait 25h`, `the jump to 30h
/// (30h from 0s)`): at most [`MAX_STEP`], and at most [`MAX_WORK_PER_STEP`] for a cluster under
/// `load`.
pub fn check_step(what: &str, d: Micros, load: &Load) -> Result<(), String> {
    if d > MAX_STEP {
        return Err(format!(
            "{what} is above the limit of {} of simulated time in one step",
            duration_text(MAX_STEP)
        ));
    }
    let work = load.work(d);
    if work > u128::from(MAX_WORK_PER_STEP) {
        let mut parts = Vec::new();
        let records = load.producer_rate_per_hour.saturating_mul(u128::from(d)) / u128::from(HOUR);
        if records > 0 {
            parts.push(format!(
                "{} records at the producers' {}",
                thousands(records),
                rate_text(load.producer_rate_per_hour)
            ));
        }
        if load.follower_replicas > 0 {
            parts.push(format!(
                "{} follower replicas",
                thousands(u128::from(load.follower_replicas))
            ));
        }
        if load.consumers > 0 {
            parts.push(format!(
                "{} consumers",
                thousands(u128::from(load.consumers))
            ));
        }
        return Err(format!(
            "{what} is too much simulated work for one step: about {} units ({}), above the limit of {}",
            thousands(work),
            parts.join(", "),
            thousands(u128::from(MAX_WORK_PER_STEP))
        ));
    }
    Ok(())
}

/// How [`check_step`] names a `wait`.
pub fn wait_step(d: Micros) -> String {
    format!("wait {}", duration_text(d))
}

/// How [`check_step`] names the timeout of a `wait until`: the most it may play.
pub fn wait_until_step(timeout: Micros) -> String {
    format!("the timeout of wait until ({})", duration_text(timeout))
}

/// How [`check_step`] names the jump of an `at T` from the time already reached.
pub fn at_step(at: Micros, reached: Micros) -> String {
    format!(
        "the jump to {} ({} from {})",
        duration_text(at),
        duration_text(at.saturating_sub(reached)),
        duration_text(reached)
    )
}

// ---------------------------------------------------------------------------------------------
// Numbers as the messages write them
// ---------------------------------------------------------------------------------------------

fn per_hour(per_second: u64) -> u128 {
    u128::from(per_second) * 3600
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate in records per hour, written per second: `12,000/s`, `0.5/s`.
pub fn rate_text(per_hour: u128) -> String {
    let whole = per_hour / 3600;
    let rest = per_hour % 3600;
    if rest == 0 {
        format!("{}/s", thousands(whole))
    } else {
        // Two decimals, rounded up so that a rate just over a limit never reads as the limit.
        let hundredths = (rest * 100).div_ceil(3600);
        let (whole, hundredths) = if hundredths == 100 {
            (whole + 1, 0)
        } else {
            (whole, hundredths)
        };
        let text = format!("{}.{hundredths:02}", thousands(whole));
        format!("{}/s", text.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// A duration as the scenario language writes it, in hours when whole (`24h`, `8760h`).
pub fn duration_text(d: Micros) -> String {
    if d >= HOUR && d.is_multiple_of(HOUR) {
        format!("{}h", d / HOUR)
    } else if d.is_multiple_of(MICROS_PER_SEC) && d >= MICROS_PER_SEC {
        format!("{}s", d / MICROS_PER_SEC)
    } else {
        format_duration(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(
            thousands(18_446_744_073_709_551_616),
            "18,446,744,073,709,551,616"
        );
        assert_eq!(rate_text(12_000 * 3600), "12,000/s");
        assert_eq!(rate_text(1800), "0.5/s");
        assert_eq!(rate_text(10_000 * 3600 + 60), "10,000.02/s");
        assert_eq!(duration_text(MAX_STEP), "24h");
        assert_eq!(duration_text(MIN_INTERVAL), "100ms");
        assert_eq!(duration_text(secs(90)), "90s");
    }

    #[test]
    fn limits_name_themselves() {
        assert_eq!(
            check_total_producer_rate(per_hour(12_000)).unwrap_err(),
            "the sum of producer rates would be 12,000/s, above the limit of 10,000/s"
        );
        assert_eq!(
            check_producer_rate(Rate::per_second(1_000_000_000)).unwrap_err(),
            "the rate 1,000,000,000/s is above the room's limit of 5,000 records/s for one producer"
        );
        assert!(check_producer_rate(Rate::per_second(MAX_PRODUCER_RATE_PER_S)).is_ok());
        assert_eq!(
            key_range_len(0, u64::MAX).unwrap_err(),
            "the key range has 18,446,744,073,709,551,616 keys, above the limit of 100,000"
        );
        assert_eq!(key_range_len(1, 50), Ok(50));
        assert!(key_range_len(5, 4).is_err());
        let idle = Load::default();
        assert!(check_step("wait", MAX_STEP, &idle).is_ok());
        assert!(check_step("wait", MAX_STEP + 1, &idle).is_err());
        let flood = Load {
            producer_rate_per_hour: per_hour(10_000),
            ..Load::default()
        };
        assert!(check_step("wait", secs(200), &flood).is_ok());
        assert_eq!(
            check_step("wait 201s", secs(201), &flood).unwrap_err(),
            "wait 201s is too much simulated work for one step: about 2,010,000 units (2,010,000 records at the producers' 10,000/s), above the limit of 2,000,000"
        );
        assert_eq!(flood.longest_step(), secs(200));
        let huge = Load {
            producer_rate_per_hour: u128::MAX,
            follower_replicas: u64::MAX,
            consumers: u64::MAX,
        };
        assert!(check_step("wait", MAX_STEP, &huge).is_err());
        assert_eq!(huge.longest_step(), 0);
        let replicas = Load {
            follower_replicas: 1408,
            consumers: 256,
            ..Load::default()
        };
        assert_eq!(replicas.longest_step(), secs(1201));
        assert!(check_topic_size(0, 0, 128, 12).is_ok());
        assert!(check_topic_size(0, 0, 1024, 12).is_err());
        assert!(check_topic_size(1000, 1000, 25, 1).is_err());
        assert!(check_topic_size(0, 0, u32::MAX, u32::MAX).is_err());
    }
}
