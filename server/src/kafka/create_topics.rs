//! CreateTopics (API key 19), versions 2–6: topics created through the room's own console line
//! `topic create NAME partitions=N replication=R [options]` (`room/kafka_admin.rs`), so that
//! they show on the page, in the log and in the journal like a typed line.
//!
//! Kafka's checks, in Kafka's order (`ControllerApis.createTopics`,
//! `ReplicationControlManager.createTopics`/`createTopic`, `StripedReplicaPlacer.place`):
//! - a name given twice in one request: INVALID_REQUEST "Duplicate topic name." once for it,
//!   and none of its entries is created;
//! - `Topic.validate`: INVALID_TOPIC_EXCEPTION with Kafka's message; a name that collides with
//!   an existing one when `.` and `_` are unified: INVALID_TOPIC_EXCEPTION;
//! - an existing topic: TOPIC_ALREADY_EXISTS "Topic 'T' already exists.";
//! - configs: INVALID_CONFIG (`topic_configs::console_options`: null values, unknown names,
//!   values out of range, and the configs the simulation does not model);
//! - manual replica assignments need partitions and replication -1 (else INVALID_REQUEST with
//!   Kafka's messages); the room's line places replicas by Kafka's rack-unaware assignment and
//!   cannot take others, so an assignment is refused with INVALID_REQUEST saying so;
//! - replication 0 or below -1: INVALID_REPLICATION_FACTOR; partitions 0 or below -1:
//!   INVALID_PARTITIONS; -1 takes the broker default (`num.partitions`,
//!   `default.replication.factor`);
//! - more replicas than registered brokers, or every broker fenced: INVALID_REPLICATION_FACTOR
//!   "Unable to replicate the partition R time(s): …";
//! - a playground limit (the room's size bounds) refuses the line: POLICY_VIOLATION with the
//!   room's message, as a broker's `create.topic.policy.class.name` would;
//! - `validate_only`: every check, the line tried on a copy of the cluster, nothing created.
//!
//! v5+ answers carry the partitions, replication factor and configs of each created topic
//! (KIP-525). v7 adds topic ids, which the simulated topics do not have.

use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{
    ApiKey, CreateTopicsRequest, CreateTopicsResponse, RequestHeader, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::metadata::valid_topic_name;
use super::request::encode_response;
use super::skim::Skim;
use super::topic_configs::{self, ConfigEntry};

pub const INVALID_PARTITIONS: i16 = 37;
pub const INVALID_REPLICATION_FACTOR: i16 = 38;
pub const TOPIC_ALREADY_EXISTS: i16 = 36;
pub const INVALID_TOPIC_EXCEPTION: i16 = 17;
pub const INVALID_REQUEST: i16 = 42;
pub const POLICY_VIOLATION: i16 = 44;

/// One topic of the request, as the room receives it: its name, the numbers as sent, and its
/// configs already turned into the line's options (or Kafka's error for them).
#[derive(Debug, Clone)]
pub struct NewTopic {
    pub name: String,
    pub partitions: i32,
    pub replication: i16,
    pub manual_assignment: bool,
    pub options: Result<Vec<String>, (i16, String)>,
}

/// What became of one topic: created (or would be, with `validate_only`) with these
/// partitions, replication and configs, or Kafka's error and message.
pub type Outcome = Result<(u32, u32, Vec<ConfigEntry>), (i16, String)>;

/// One entry of the answer, in the request's order.
#[derive(Debug)]
pub enum Entry {
    /// A name given more than once: answered once, never sent to the room.
    Duplicate(String),
    /// A name Kafka's `Topic.validate` refuses: answered here.
    Invalid(String, String),
    /// The room's outcome for the topic at this index of [`Decoded::topics`].
    Topic(usize),
}

#[derive(Debug)]
pub struct Decoded {
    pub entries: Vec<Entry>,
    pub topics: Vec<NewTopic>,
    pub validate_only: bool,
}

/// Kafka's `Topic.validate` messages.
pub fn topic_name_error(name: &str) -> Option<String> {
    if valid_topic_name(name) {
        return None;
    }
    Some(if name.is_empty() {
        "Topic name is illegal, it can't be empty".into()
    } else if name == "." || name == ".." {
        "Topic name cannot be \".\" or \"..\"".into()
    } else if name.len() > 249 {
        format!("Topic name is illegal, it can't be longer than 249 characters, topic name: {name}")
    } else {
        format!(
            "Topic name \"{name}\" is illegal, it contains a character other than ASCII \
             alphanumerics, '.', '_' and '-'"
        )
    })
}

pub fn decode(request: &CreateTopicsRequest) -> Decoded {
    let mut entries = Vec::new();
    let mut topics = Vec::new();
    let mut duplicates: Vec<String> = Vec::new();
    for topic in &request.topics {
        let name = topic.name.0.to_string();
        let count = request
            .topics
            .iter()
            .filter(|t| t.name == topic.name)
            .count();
        if count > 1 {
            if !duplicates.contains(&name) {
                duplicates.push(name.clone());
                entries.push(Entry::Duplicate(name));
            }
            continue;
        }
        if let Some(message) = topic_name_error(&name) {
            entries.push(Entry::Invalid(name, message));
            continue;
        }
        let configs: Vec<(String, Option<String>)> = topic
            .configs
            .iter()
            .map(|c| (c.name.to_string(), c.value.as_ref().map(|v| v.to_string())))
            .collect();
        entries.push(Entry::Topic(topics.len()));
        topics.push(NewTopic {
            name,
            partitions: topic.num_partitions,
            replication: topic.replication_factor,
            manual_assignment: !topic.assignments.is_empty(),
            options: topic_configs::console_options(&configs),
        });
    }
    Decoded {
        entries,
        topics,
        validate_only: request.validate_only,
    }
}

/// The checks of `ReplicationControlManager.createTopic` that need no cluster, after the
/// configs: the numbers as sent, resolved against the broker defaults.
pub fn check_numbers(
    topic: &NewTopic,
    default_partitions: u32,
    default_replication: u32,
) -> Result<(u32, u32), (i16, String)> {
    if topic.manual_assignment {
        if topic.replication != -1 {
            return Err((
                INVALID_REQUEST,
                "A manual partition assignment was specified, but replication factor was not set \
                 to -1."
                    .into(),
            ));
        }
        if topic.partitions != -1 {
            return Err((
                INVALID_REQUEST,
                "A manual partition assignment was specified, but numPartitions was not set to -1."
                    .into(),
            ));
        }
        return Err((
            INVALID_REQUEST,
            "manual partition assignments are not supported by the playground: its `topic create` \
             line places replicas by Kafka's rack-unaware assignment; give numPartitions and \
             replicationFactor instead"
                .into(),
        ));
    }
    if topic.replication < -1 || topic.replication == 0 {
        return Err((
            INVALID_REPLICATION_FACTOR,
            "Replication factor must be larger than 0, or -1 to use the default value.".into(),
        ));
    }
    if topic.partitions < -1 || topic.partitions == 0 {
        return Err((
            INVALID_PARTITIONS,
            "Number of partitions was set to an invalid non-positive value.".into(),
        ));
    }
    let partitions = u32::try_from(topic.partitions).unwrap_or(default_partitions);
    let replication = u32::try_from(topic.replication).unwrap_or(default_replication);
    Ok((partitions, replication))
}

/// CreateTopicsRequest v2–v6 (`CreateTopicsRequest.json`), skimmed before the crate reads it.
pub fn skim(body: &bytes::Bytes, version: i16) -> Option<()> {
    let mut s = Skim::new(body, version >= 5);
    for _ in 0..s.count()? {
        s.string()?; // name
        s.fixed(4 + 2)?; // num_partitions, replication_factor
        for _ in 0..s.count()? {
            s.fixed(4)?; // partition_index
            let n = s.count()?;
            s.fixed(n.checked_mul(4)?)?; // broker_ids
            s.tagged()?;
        }
        for _ in 0..s.count()? {
            s.string()?; // name
            s.string()?; // value
            s.tagged()?;
        }
        s.tagged()?;
    }
    s.fixed(4 + 1)?; // timeout_ms, validate_only
    s.tagged()
}

fn str_bytes(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

/// The answer: each entry in the request's order.
pub fn respond(header: &RequestHeader, decoded: &Decoded, outcomes: &[Outcome]) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    let error = |name: &str, code: i16, message: &str| {
        CreatableTopicResult::default()
            .with_name(TopicName(str_bytes(name)))
            .with_error_code(code)
            .with_error_message(Some(str_bytes(message)))
    };
    let topics = decoded
        .entries
        .iter()
        .filter_map(|entry| {
            Some(match entry {
                Entry::Duplicate(name) => error(name, INVALID_REQUEST, "Duplicate topic name."),
                Entry::Invalid(name, message) => error(name, INVALID_TOPIC_EXCEPTION, message),
                Entry::Topic(i) => {
                    let name = &decoded.topics.get(*i)?.name;
                    match outcomes.get(*i)? {
                        Err((code, message)) => error(name, *code, message),
                        Ok((partitions, replication, configs)) => {
                            let result = CreatableTopicResult::default()
                                .with_name(TopicName(str_bytes(name.clone())))
                                .with_error_message(None);
                            if version < 5 {
                                result
                            } else {
                                result
                                    .with_num_partitions(*partitions as i32)
                                    .with_replication_factor(*replication as i16)
                                    .with_configs(Some(
                                        configs
                                            .iter()
                                            .map(|c| {
                                                CreatableTopicConfigs::default()
                                                    .with_name(str_bytes(c.name))
                                                    .with_value(Some(str_bytes(c.value.clone())))
                                                    .with_read_only(c.read_only)
                                                    .with_config_source(c.source)
                                                    .with_is_sensitive(false)
                                            })
                                            .collect(),
                                    ))
                            }
                        }
                    }
                }
            })
        })
        .collect();
    let response = CreateTopicsResponse::default().with_topics(topics);
    encode_response(
        header,
        ApiKey::CreateTopics.response_header_version(version),
        &response,
        version,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::create_topics_request::{
        CreatableReplicaAssignment, CreatableTopic,
    };

    fn topic(name: &str, partitions: i32, replication: i16) -> CreatableTopic {
        CreatableTopic::default()
            .with_name(TopicName(str_bytes(name)))
            .with_num_partitions(partitions)
            .with_replication_factor(replication)
    }

    #[test]
    fn duplicates_and_illegal_names_are_answered_without_the_room() {
        let request = CreateTopicsRequest::default().with_topics(vec![
            topic("a", 1, 1),
            topic("bad name", 1, 1),
            topic("a", 2, 1),
            topic("b", -1, -1),
        ]);
        let decoded = decode(&request);
        assert!(matches!(&decoded.entries[0], Entry::Duplicate(n) if n == "a"));
        assert!(matches!(&decoded.entries[1], Entry::Invalid(n, m)
            if n == "bad name" && m.contains("ASCII alphanumerics")));
        assert!(matches!(decoded.entries[2], Entry::Topic(0)));
        assert_eq!(decoded.entries.len(), 3);
        assert_eq!(decoded.topics[0].name, "b");
        assert_eq!(check_numbers(&decoded.topics[0], 1, 1), Ok((1, 1)));
    }

    #[test]
    fn numbers_follow_kafkas_order_and_messages() {
        let decoded = decode(&CreateTopicsRequest::default().with_topics(vec![
            topic("z", 0, 0),
            topic("p", 0, 3),
            topic("r", -2, -2),
            topic("m", 3, -1).with_assignments(vec![
                CreatableReplicaAssignment::default().with_partition_index(0),
            ]),
            topic("n", -1, -1).with_assignments(vec![
                CreatableReplicaAssignment::default().with_partition_index(0),
            ]),
        ]));
        let codes: Vec<i16> = decoded
            .topics
            .iter()
            .map(|t| check_numbers(t, 1, 1).unwrap_err().0)
            .collect();
        assert_eq!(
            codes,
            vec![
                INVALID_REPLICATION_FACTOR,
                INVALID_PARTITIONS,
                INVALID_REPLICATION_FACTOR,
                INVALID_REQUEST,
                INVALID_REQUEST
            ]
        );
    }
}
