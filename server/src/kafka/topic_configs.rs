//! The configs the simulation applies, in Kafka's names: a CreateTopics request's topic configs
//! turned into the options of the room's `topic create` line, and the entries DescribeConfigs
//! (and CreateTopics v5+) answer for a topic or a broker.
//!
//! Only what the engine really applies is accepted and described: the topic configs
//! `cleanup.policy`, `min.insync.replicas`, `unclean.leader.election.enable`, `retention.ms`,
//! `retention.bytes`, `segment.ms`, `segment.bytes` (settable) and `delete.retention.ms`
//! (described, always its default); the broker configs of `engine::config::ClusterConfig` and
//! the listener's own defaults. Any other Kafka topic config in a CreateTopics request gets
//! INVALID_CONFIG saying the playground does not model it; a name Kafka does not know gets
//! Kafka's own "Unknown topic config name".
//!
//! Sources and synonyms follow `ConfigHelper.createTopicConfigEntry` /
//! `createBrokerConfigEntry`: a topic's override is TOPIC_CONFIG (Kafka's
//! DYNAMIC_TOPIC_CONFIG) followed by its broker synonym's default; a value left alone is
//! DEFAULT_CONFIG with the broker default as synonym, except where Kafka's synonym has no
//! default of its own (`log.retention.ms`, `log.roll.ms`: their `.hours` forms hold the default,
//! and `configSynonyms` drops them, so `retention.ms` and `segment.ms` show no synonym). A
//! broker config the scenario's `brokers` line set is STATIC_BROKER_CONFIG (server.properties).
//! An override is recognised by its value differing from Kafka's default: a config set to its
//! default value is described as a default.

use engine::config::{ClusterConfig, TopicConfig};
use engine::time::Micros;

/// Kafka's `DescribeConfigsResponse.ConfigSource` ids.
pub const TOPIC_CONFIG: i8 = 1;
pub const STATIC_BROKER_CONFIG: i8 = 4;
pub const DEFAULT_CONFIG: i8 = 5;

/// Kafka's `DescribeConfigsResponse.ConfigType` ids.
const BOOLEAN: i8 = 1;
const INT: i8 = 3;
const LONG: i8 = 5;
const DOUBLE: i8 = 6;
const LIST: i8 = 7;

pub const INVALID_CONFIG: i16 = 40;

/// Kafka's `retention.ms` default (7 days), the value of a topic the engine keeps by time.
const DEFAULT_RETENTION_MS: i64 = 604_800_000;
/// `LegacyRecord.RECORD_OVERHEAD_V0`: `segment.bytes`'s lower bound in Kafka's `LogConfig`.
const MIN_SEGMENT_BYTES: i64 = 14;

/// One described config.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEntry {
    pub name: &'static str,
    pub value: String,
    pub source: i8,
    pub read_only: bool,
    /// (name, value, source), most specific first (`configSynonyms`).
    pub synonyms: Vec<(&'static str, String, i8)>,
    pub config_type: i8,
    pub documentation: &'static str,
}

fn ms(us: Micros) -> i64 {
    (us / 1000) as i64
}

/// The topic configs of a topic whose settings are `config`.
pub fn topic_entries(config: &TopicConfig) -> Vec<ConfigEntry> {
    let defaults = TopicConfig::new(config.partitions, config.replication);
    // What the engine does: compaction only, deletion only, or both (a compacted topic with a
    // retention set also deletes by it, which is Kafka's `compact,delete`).
    let deletes =
        !config.compact || config.retention_us.is_some() || config.retention_bytes.is_some();
    let policy = match (config.compact, deletes) {
        (true, true) => "compact,delete",
        (true, false) => "compact",
        _ => "delete",
    };
    let retention_ms = match config.retention_us {
        Some(us) => ms(us),
        // A compact-only topic: `retention.ms` keeps Kafka's default, which compaction ignores.
        None => DEFAULT_RETENTION_MS,
    };
    let retention_bytes = config.retention_bytes.map_or(-1, |b| b as i64);
    let topic = |name: &'static str,
                 value: String,
                 default: String,
                 broker: Option<(&'static str, String)>,
                 config_type: i8,
                 documentation: &'static str| {
        let overridden = value != default;
        let mut synonyms = Vec::new();
        if overridden {
            synonyms.push((name, value.clone(), TOPIC_CONFIG));
        }
        if let Some((broker_name, broker_value)) = broker {
            synonyms.push((broker_name, broker_value, DEFAULT_CONFIG));
        }
        ConfigEntry {
            name,
            value,
            source: if overridden {
                TOPIC_CONFIG
            } else {
                DEFAULT_CONFIG
            },
            read_only: false,
            synonyms,
            config_type,
            documentation,
        }
    };
    vec![
        topic(
            "cleanup.policy",
            policy.into(),
            "delete".into(),
            Some(("log.cleanup.policy", "delete".into())),
            LIST,
            "The retention policy to use on log segments: delete discards old segments by time or \
             size, compact keeps the latest value of each key.",
        ),
        topic(
            "delete.retention.ms",
            ms(config.delete_retention_us).to_string(),
            ms(defaults.delete_retention_us).to_string(),
            Some((
                "log.cleaner.delete.retention.ms",
                ms(defaults.delete_retention_us).to_string(),
            )),
            LONG,
            "How long delete tombstones are kept for log compacted topics.",
        ),
        topic(
            "min.insync.replicas",
            config.min_insync.to_string(),
            defaults.min_insync.to_string(),
            Some(("min.insync.replicas", defaults.min_insync.to_string())),
            INT,
            "With acks=all, the minimum number of in-sync replicas that must acknowledge a write \
             (else NOT_ENOUGH_REPLICAS).",
        ),
        topic(
            "retention.bytes",
            retention_bytes.to_string(),
            "-1".into(),
            Some(("log.retention.bytes", "-1".into())),
            LONG,
            "The maximum size a partition can grow to before old segments are discarded with the \
             delete policy; -1: no limit.",
        ),
        topic(
            "retention.ms",
            retention_ms.to_string(),
            DEFAULT_RETENTION_MS.to_string(),
            None,
            LONG,
            "The maximum time a log segment is kept before it is discarded with the delete policy.",
        ),
        topic(
            "segment.bytes",
            config.segment_bytes.to_string(),
            defaults.segment_bytes.to_string(),
            Some(("log.segment.bytes", defaults.segment_bytes.to_string())),
            INT,
            "The segment file size for the log: retention and cleaning work a segment at a time.",
        ),
        topic(
            "segment.ms",
            ms(config.segment_us).to_string(),
            ms(defaults.segment_us).to_string(),
            None,
            LONG,
            "The period after which the log rolls a new segment even if the active one is not full.",
        ),
        topic(
            "unclean.leader.election.enable",
            config.unclean_election.to_string(),
            defaults.unclean_election.to_string(),
            Some((
                "unclean.leader.election.enable",
                defaults.unclean_election.to_string(),
            )),
            BOOLEAN,
            "Whether replicas outside the ISR may be elected leader as a last resort, at the cost \
             of losing data.",
        ),
    ]
}

/// The broker configs of broker `id` in a cluster configured with `config`.
pub fn broker_entries(id: u32, config: &ClusterConfig) -> Vec<ConfigEntry> {
    let defaults = ClusterConfig::default();
    let topic = TopicConfig::new(1, 1);
    // (name, value, Kafka's default, dynamic (not read-only), type, documentation)
    let rows: Vec<(&'static str, String, String, bool, i8, &'static str)> = vec![
        (
            "auto.create.topics.enable",
            super::metadata::AUTO_CREATE_TOPICS_ENABLE.to_string(),
            "true".into(),
            false,
            BOOLEAN,
            "Enable auto creation of topics on the server (a Metadata request naming a missing topic).",
        ),
        (
            "broker.heartbeat.interval.ms",
            ms(config.broker_heartbeat_interval_us).to_string(),
            ms(defaults.broker_heartbeat_interval_us).to_string(),
            false,
            INT,
            "The length of time in milliseconds between broker heartbeats (KRaft).",
        ),
        (
            "broker.session.timeout.ms",
            ms(config.broker_session_timeout_us).to_string(),
            ms(defaults.broker_session_timeout_us).to_string(),
            false,
            INT,
            "The length of time a broker lease lasts if no heartbeats are made (KRaft): then it is fenced.",
        ),
        (
            "default.replication.factor",
            super::metadata::DEFAULT_REPLICATION_FACTOR.to_string(),
            "1".into(),
            false,
            INT,
            "The replication factor for automatically created topics and for CreateTopics with -1.",
        ),
        (
            "group.initial.rebalance.delay.ms",
            ms(config.group_initial_rebalance_delay_us).to_string(),
            ms(defaults.group_initial_rebalance_delay_us).to_string(),
            false,
            INT,
            "How long the coordinator waits for more consumers to join a new group before the first rebalance.",
        ),
        (
            "leader.imbalance.check.interval.seconds",
            (config.leader_imbalance_check_interval_us / 1_000_000).to_string(),
            (defaults.leader_imbalance_check_interval_us / 1_000_000).to_string(),
            false,
            LONG,
            "The frequency with which the partition rebalance check is triggered by the controller.",
        ),
        (
            "leader.imbalance.per.broker.percentage",
            config.leader_imbalance_per_broker_percentage.to_string(),
            defaults.leader_imbalance_per_broker_percentage.to_string(),
            false,
            INT,
            "The ratio of leader imbalance allowed per broker, in percent.",
        ),
        (
            "log.cleaner.backoff.ms",
            ms(config.cleaner_backoff_us).to_string(),
            ms(defaults.cleaner_backoff_us).to_string(),
            true,
            LONG,
            "The amount of time to sleep when there are no logs to clean.",
        ),
        (
            "log.cleaner.delete.retention.ms",
            ms(topic.delete_retention_us).to_string(),
            ms(topic.delete_retention_us).to_string(),
            true,
            LONG,
            "The default delete.retention.ms of topics.",
        ),
        (
            "log.cleaner.min.cleanable.ratio",
            config.min_cleanable_dirty_ratio.to_string(),
            defaults.min_cleanable_dirty_ratio.to_string(),
            true,
            DOUBLE,
            "The minimum ratio of dirty log to total log for a log to be eligible for cleaning.",
        ),
        (
            "log.cleanup.policy",
            "delete".into(),
            "delete".into(),
            true,
            LIST,
            "The default cleanup policy for segments beyond the retention window.",
        ),
        (
            "log.retention.bytes",
            "-1".into(),
            "-1".into(),
            true,
            LONG,
            "The maximum size of the log before deleting it.",
        ),
        (
            "log.retention.check.interval.ms",
            ms(config.retention_check_interval_us).to_string(),
            ms(defaults.retention_check_interval_us).to_string(),
            false,
            LONG,
            "The frequency in milliseconds that the log cleaner checks whether any log is eligible for deletion.",
        ),
        (
            "log.retention.hours",
            topic
                .retention_us
                .map_or(-1, |us| (us / 3_600_000_000) as i64)
                .to_string(),
            "168".into(),
            false,
            INT,
            "The number of hours to keep a log file before deleting it.",
        ),
        (
            "log.roll.hours",
            (topic.segment_us / 3_600_000_000).to_string(),
            "168".into(),
            false,
            INT,
            "The maximum time before a new log segment is rolled out.",
        ),
        (
            "log.segment.bytes",
            topic.segment_bytes.to_string(),
            topic.segment_bytes.to_string(),
            true,
            INT,
            "The maximum size of a single log file.",
        ),
        (
            "min.insync.replicas",
            topic.min_insync.to_string(),
            topic.min_insync.to_string(),
            true,
            INT,
            "The default min.insync.replicas of topics.",
        ),
        (
            "node.id",
            id.to_string(),
            "-1".into(),
            false,
            INT,
            "The node ID associated with the roles this process is playing.",
        ),
        (
            "num.partitions",
            super::metadata::NUM_PARTITIONS.to_string(),
            "1".into(),
            false,
            INT,
            "The default number of log partitions per topic.",
        ),
        (
            "replica.fetch.backoff.ms",
            ms(config.replica_fetch_backoff_us).to_string(),
            ms(defaults.replica_fetch_backoff_us).to_string(),
            false,
            INT,
            "The amount of time to sleep when a fetch partition error occurs.",
        ),
        (
            "replica.fetch.max.bytes",
            config.replica_fetch_max_bytes.to_string(),
            defaults.replica_fetch_max_bytes.to_string(),
            false,
            INT,
            "The number of bytes of messages to attempt to fetch for each partition.",
        ),
        (
            "replica.fetch.wait.max.ms",
            ms(config.replica_fetch_wait_max_us).to_string(),
            ms(defaults.replica_fetch_wait_max_us).to_string(),
            false,
            INT,
            "The maximum wait time for each fetcher request issued by follower replicas.",
        ),
        (
            "replica.lag.time.max.ms",
            ms(config.replica_lag_time_max_us).to_string(),
            ms(defaults.replica_lag_time_max_us).to_string(),
            false,
            LONG,
            "A follower that has not caught up to the leader's log end for at least this long is removed from the ISR.",
        ),
        (
            "replica.socket.timeout.ms",
            ms(config.replica_socket_timeout_us).to_string(),
            ms(defaults.replica_socket_timeout_us).to_string(),
            false,
            INT,
            "The socket timeout for network requests of the followers.",
        ),
        (
            "unclean.leader.election.enable",
            topic.unclean_election.to_string(),
            topic.unclean_election.to_string(),
            true,
            BOOLEAN,
            "The default unclean.leader.election.enable of topics.",
        ),
    ];
    rows.into_iter()
        .map(
            |(name, value, default, dynamic, config_type, documentation)| {
                // `node.id` is always in server.properties; the others when the scenario set them.
                let source = if name == "node.id" || value != default {
                    STATIC_BROKER_CONFIG
                } else {
                    DEFAULT_CONFIG
                };
                let mut synonyms = vec![(name, value.clone(), source)];
                if source == STATIC_BROKER_CONFIG && name != "node.id" {
                    synonyms.push((name, default, DEFAULT_CONFIG));
                }
                ConfigEntry {
                    name,
                    value,
                    source,
                    read_only: !dynamic,
                    synonyms,
                    config_type,
                    documentation,
                }
            },
        )
        .collect()
}

/// Kafka's topic configs that the playground does not model (`TopicConfig`), so that a
/// request naming one is told so rather than that the name is unknown.
const UNMODELLED: &[&str] = &[
    "compression.type",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.zstd.level",
    "file.delete.delay.ms",
    "flush.messages",
    "flush.ms",
    "follower.replication.throttled.replicas",
    "index.interval.bytes",
    "leader.replication.throttled.replicas",
    "local.retention.bytes",
    "local.retention.ms",
    "max.compaction.lag.ms",
    "max.message.bytes",
    "message.downconversion.enable",
    "message.format.version",
    "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.difference.max.ms",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms",
    "preallocate",
    "remote.storage.enable",
    "remote.log.copy.disable",
    "remote.log.delete.on.disable",
    "segment.index.bytes",
    "segment.jitter.ms",
];

fn invalid(message: String) -> (i16, String) {
    (INVALID_CONFIG, message)
}

/// `ConfigDef.parseType` for LONG and INT: the trimmed text as a number.
fn number(name: &str, value: &str, int: bool) -> Result<i64, (i16, String)> {
    let parsed = value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|v| !int || i32::try_from(*v).is_ok());
    parsed.ok_or_else(|| {
        invalid(format!(
            "Invalid value {value} for configuration {name}: Not a number of type {}",
            if int { "INT" } else { "LONG" }
        ))
    })
}

fn at_least(name: &str, value: i64, min: i64) -> Result<i64, (i16, String)> {
    if value < min {
        return Err(invalid(format!(
            "Invalid value {value} for configuration {name}: Value must be at least {min}"
        )));
    }
    Ok(value)
}

/// A CreateTopics request's configs as options of the `topic create` line, each a fixed word
/// and a number or a fixed word: nothing a client sends reaches the line as text. `Err`: Kafka's
/// error code and message.
pub fn console_options(configs: &[(String, Option<String>)]) -> Result<Vec<String>, (i16, String)> {
    // `ReplicationControlManager.computeConfigChanges`: null values first, all named at once.
    let nulls: Vec<&str> = configs
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| n.as_str())
        .collect();
    if !nulls.is_empty() {
        return Err(invalid(format!(
            "Null value not supported for topic configs: {}",
            nulls.join(",")
        )));
    }
    let mut options = Vec::new();
    let mut policy: Option<(bool, bool)> = None; // (compact, delete)
    let mut retention_set = false;
    for (name, value) in configs {
        let value = value.as_deref().unwrap_or_default();
        match name.as_str() {
            "retention.ms" => {
                let v = at_least(name, number(name, value, false)?, -1)?;
                if v == -1 {
                    return Err(invalid(
                        "retention.ms=-1 (keep forever) is not modelled by the playground: a topic \
                         that deletes by time has a finite retention (cleanup.policy=compact keeps \
                         records without one)"
                            .into(),
                    ));
                }
                retention_set = true;
                options.push(format!("retention={v}ms"));
            }
            "retention.bytes" => {
                let v = number(name, value, false)?;
                // Kafka treats any negative size as "no limit", the engine's default.
                if v >= 0 {
                    retention_set = true;
                    options.push(format!("retention-bytes={v}"));
                }
            }
            "segment.ms" => {
                let v = at_least(name, number(name, value, false)?, 1)?;
                options.push(format!("segment={v}ms"));
            }
            "segment.bytes" => {
                let v = at_least(name, number(name, value, true)?, MIN_SEGMENT_BYTES)?;
                options.push(format!("segment-bytes={v}"));
            }
            "min.insync.replicas" => {
                let v = at_least(name, number(name, value, true)?, 1)?;
                options.push(format!("min-insync={v}"));
            }
            "unclean.leader.election.enable" => {
                let v = match value.trim().to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(invalid(format!(
                            "Invalid value {value} for configuration {name}: Expected value to be \
                             either true or false"
                        )));
                    }
                };
                options.push(format!("unclean-election={v}"));
            }
            "cleanup.policy" => {
                let words: Vec<&str> = value.split(',').map(str::trim).collect();
                if words.iter().any(|w| !matches!(*w, "compact" | "delete"))
                    || value.trim().is_empty()
                {
                    return Err(invalid(format!(
                        "Invalid value {value} for configuration {name}: String must be one of: \
                         compact, delete"
                    )));
                }
                policy = Some((words.contains(&"compact"), words.contains(&"delete")));
            }
            other if UNMODELLED.contains(&other) => {
                return Err(invalid(format!(
                    "{other} is a Kafka topic config the playground does not model: leave it at \
                     its default (the simulated topics apply cleanup.policy, min.insync.replicas, \
                     unclean.leader.election.enable, retention.ms, retention.bytes, segment.ms \
                     and segment.bytes)"
                )));
            }
            other => {
                // `LogConfig.validateNames`.
                return Err(invalid(format!("Unknown topic config name: {other}")));
            }
        }
    }
    match policy {
        Some((true, false)) if retention_set => {
            return Err(invalid(
                "with cleanup.policy=compact the playground's topics would also delete by \
                 retention.ms/retention.bytes, which Kafka does only with \
                 cleanup.policy=compact,delete: ask for that, or leave the retention out"
                    .into(),
            ));
        }
        Some((true, false)) => options.push("cleanup=compact".into()),
        Some((true, true)) => {
            options.push("cleanup=compact".into());
            if !retention_set {
                // `compact,delete` deletes by Kafka's default retention as well.
                options.push(format!("retention={DEFAULT_RETENTION_MS}ms"));
            }
        }
        _ => {}
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configs(pairs: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
        pairs
            .iter()
            .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
            .collect()
    }

    #[test]
    fn modelled_configs_become_fixed_options() {
        let got = console_options(&configs(&[
            ("retention.ms", Some("3600000")),
            ("min.insync.replicas", Some(" 2")),
            ("unclean.leader.election.enable", Some("TRUE")),
            ("segment.bytes", Some("1048576")),
        ]));
        assert_eq!(
            got,
            Ok(vec![
                "retention=3600000ms".to_string(),
                "min-insync=2".into(),
                "unclean-election=true".into(),
                "segment-bytes=1048576".into(),
            ])
        );
        assert_eq!(
            console_options(&configs(&[("cleanup.policy", Some("compact,delete"))])),
            Ok(vec![
                "cleanup=compact".into(),
                "retention=604800000ms".into()
            ])
        );
    }

    #[test]
    fn values_that_could_inject_text_are_refused() {
        for bad in ["1 partitions=9", "1;topic create x", "1e3", "abc", ""] {
            let got = console_options(&configs(&[("retention.ms", Some(bad))]));
            assert_eq!(got.map_err(|e| e.0), Err(INVALID_CONFIG), "{bad}");
        }
        let got = console_options(&configs(&[(
            "cleanup.policy",
            Some("compact retention=1s"),
        )]));
        assert_eq!(got.map_err(|e| e.0), Err(INVALID_CONFIG));
    }

    #[test]
    fn kafkas_messages_for_nulls_unknown_and_unmodelled_names() {
        let got = console_options(&configs(&[
            ("a", None),
            ("retention.ms", Some("5")),
            ("b", None),
        ]));
        assert_eq!(
            got,
            Err((
                INVALID_CONFIG,
                "Null value not supported for topic configs: a,b".into()
            ))
        );
        let got = console_options(&configs(&[("no.such", Some("1"))]));
        assert_eq!(
            got,
            Err((INVALID_CONFIG, "Unknown topic config name: no.such".into()))
        );
        let (code, message) =
            console_options(&configs(&[("compression.type", Some("zstd"))])).unwrap_err();
        assert_eq!(code, INVALID_CONFIG);
        assert!(message.contains("does not model"), "{message}");
    }

    #[test]
    fn defaults_and_overrides_are_described_as_kafka_does() {
        let mut config = TopicConfig::new(3, 2);
        config.min_insync = 2;
        let entries = topic_entries(&config);
        let get = |name: &str| entries.iter().find(|e| e.name == name).unwrap().clone();
        let min = get("min.insync.replicas");
        assert_eq!((min.value.as_str(), min.source), ("2", TOPIC_CONFIG));
        assert_eq!(
            min.synonyms,
            vec![
                ("min.insync.replicas", "2".to_string(), TOPIC_CONFIG),
                ("min.insync.replicas", "1".to_string(), DEFAULT_CONFIG),
            ]
        );
        let retention = get("retention.ms");
        assert_eq!(
            (retention.value.as_str(), retention.source),
            ("604800000", DEFAULT_CONFIG)
        );
        assert!(retention.synonyms.is_empty());
        assert_eq!(get("cleanup.policy").value, "delete");
        let brokers = broker_entries(2, &ClusterConfig::default());
        let node = brokers.iter().find(|e| e.name == "node.id").unwrap();
        assert_eq!(
            (node.value.as_str(), node.source),
            ("2", STATIC_BROKER_CONFIG)
        );
        let lag = brokers
            .iter()
            .find(|e| e.name == "replica.lag.time.max.ms")
            .unwrap();
        assert_eq!((lag.value.as_str(), lag.source), ("30000", DEFAULT_CONFIG));
        assert!(lag.read_only);
    }
}
