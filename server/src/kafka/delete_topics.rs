//! DeleteTopics (API key 20), versions 0–6: topics deleted through the room's own console line
//! `topic delete NAME` (`room/kafka_admin.rs`), so that the deletion shows on the page, in the
//! log and in the journal like a typed line (`engine::topic_delete` says what a deletion does).
//!
//! Kafka's checks, in Kafka's order (`ControllerApis.deleteTopics`,
//! `ReplicationControlManager.findTopicIds`/`deleteTopic`):
//! - a name given twice in one request: INVALID_REQUEST "Duplicate topic name." once for it,
//!   and it is not deleted;
//! - v6 entries by topic id: a null name with the zero id is INVALID_REQUEST "Neither topic name
//!   nor id were specified.", a name with an id "You may not specify both topic name and topic
//!   id."; an id alone is UNKNOWN_TOPIC_ID: the simulated topics have no ids (Metadata stops at
//!   v9), so no id names one of them (`findTopicNames` for an id it does not know);
//! - a name the cluster does not have: UNKNOWN_TOPIC_OR_PARTITION;
//! - what the playground refuses (Kafka's internal topics, whose `__consumer_offsets` it keeps
//!   inside the group coordinator, and a topic a Streams application or a Connect connector
//!   uses): POLICY_VIOLATION with the room's message. A KRaft controller has no such check.
//!
//! `delete.topic.enable` is Kafka's default, true. The deletion happens in the room's one step:
//! the answer waits for it, and it is done long before any `timeout_ms` runs out (Kafka's
//! controller answers once the `RemoveTopicRecord` is committed, or REQUEST_TIMED_OUT at the
//! deadline). Kafka shuffles the answers (so their order says nothing about which topics
//! exist); here they follow the request, which clients match by name anyway. v5+ answers carry
//! error messages; throttle time is always 0 (no controller mutation quota).

use kafka_protocol::messages::TopicName;
use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{ApiKey, DeleteTopicsRequest, DeleteTopicsResponse, RequestHeader};
use kafka_protocol::protocol::StrBytes;

use super::create_topics::{INVALID_REQUEST, topic_name_error};
use super::request::encode_response;
use super::skim::Skim;

pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
pub const UNKNOWN_TOPIC_ID: i16 = 100;

/// What became of one topic: deleted, or Kafka's error and message.
pub type Outcome = Result<(), (i16, String)>;

/// One entry of the answer, in the request's order.
#[derive(Debug)]
pub enum Entry {
    /// Answered without the room: the name (if any) and Kafka's error and message.
    Refused(Option<String>, i16, String),
    /// The room's outcome for the topic at this index of [`Decoded::topics`].
    Topic(usize),
}

#[derive(Debug)]
pub struct Decoded {
    pub entries: Vec<Entry>,
    /// The names the room is asked to delete, each a legal topic name given once.
    pub topics: Vec<String>,
}

pub fn decode(request: &DeleteTopicsRequest, version: i16) -> Decoded {
    // (name or None, whether a topic id was given)
    let asked: Vec<(Option<String>, bool)> = if version >= 6 {
        request
            .topics
            .iter()
            .map(|t| {
                (
                    t.name.as_ref().map(|n| n.0.to_string()),
                    !t.topic_id.is_nil(),
                )
            })
            .collect()
    } else {
        request
            .topic_names
            .iter()
            .map(|n| (Some(n.0.to_string()), false))
            .collect()
    };
    let mut entries = Vec::new();
    let mut topics = Vec::new();
    let mut duplicates: Vec<String> = Vec::new();
    for (name, by_id) in &asked {
        let Some(name) = name else {
            entries.push(if *by_id {
                Entry::Refused(
                    None,
                    UNKNOWN_TOPIC_ID,
                    "This server does not host this topic ID.".into(),
                )
            } else {
                Entry::Refused(
                    None,
                    INVALID_REQUEST,
                    "Neither topic name nor id were specified.".into(),
                )
            });
            continue;
        };
        if *by_id {
            entries.push(Entry::Refused(
                Some(name.clone()),
                INVALID_REQUEST,
                "You may not specify both topic name and topic id.".into(),
            ));
            continue;
        }
        let count = asked
            .iter()
            .filter(|(n, id)| !id && n.as_ref() == Some(name))
            .count();
        if count > 1 {
            if !duplicates.contains(name) {
                duplicates.push(name.clone());
                entries.push(Entry::Refused(
                    Some(name.clone()),
                    INVALID_REQUEST,
                    "Duplicate topic name.".into(),
                ));
            }
            continue;
        }
        // A name no topic can have is a name the cluster does not have (the controller finds
        // no id for it); checking here keeps anything but a legal name out of the console line.
        if topic_name_error(name).is_some() {
            entries.push(Entry::Refused(
                Some(name.clone()),
                UNKNOWN_TOPIC_OR_PARTITION,
                "This server does not host this topic-partition.".into(),
            ));
            continue;
        }
        entries.push(Entry::Topic(topics.len()));
        topics.push(name.clone());
    }
    Decoded { entries, topics }
}

/// DeleteTopicsRequest v0–v6 (`DeleteTopicsRequest.json`), skimmed before the crate reads it.
pub fn skim(body: &bytes::Bytes, version: i16) -> Option<()> {
    let mut s = Skim::new(body, version >= 4);
    if version >= 6 {
        for _ in 0..s.count()? {
            s.string()?; // name
            s.fixed(16)?; // topic_id
            s.tagged()?;
        }
    } else {
        for _ in 0..s.count()? {
            s.string()?;
        }
    }
    s.fixed(4)?; // timeout_ms
    if version >= 4 {
        s.tagged()?;
    }
    Some(())
}

fn str_bytes(s: impl Into<String>) -> StrBytes {
    StrBytes::from_string(s.into())
}

/// The answer: each entry in the request's order.
pub fn respond(header: &RequestHeader, decoded: &Decoded, outcomes: &[Outcome]) -> Option<Vec<u8>> {
    let version = header.request_api_version;
    let result = |name: Option<&String>, error: Option<&(i16, String)>| {
        let r = DeletableTopicResult::default()
            .with_name(name.map(|n| TopicName(str_bytes(n.clone()))))
            .with_error_code(error.map_or(0, |e| e.0));
        if version >= 5 {
            r.with_error_message(error.map(|e| str_bytes(e.1.clone())))
        } else {
            r
        }
    };
    let responses = decoded
        .entries
        .iter()
        .map(|entry| {
            Some(match entry {
                Entry::Refused(name, code, message) => {
                    result(name.as_ref(), Some(&(*code, message.clone())))
                }
                Entry::Topic(i) => {
                    let name = decoded.topics.get(*i)?;
                    result(Some(name), outcomes.get(*i)?.as_ref().err())
                }
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let response = DeleteTopicsResponse::default()
        .with_throttle_time_ms(0)
        .with_responses(responses);
    encode_response(
        header,
        ApiKey::DeleteTopics.response_header_version(version),
        &response,
        version,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::delete_topics_request::DeleteTopicState;

    fn names(v: &[&str]) -> DeleteTopicsRequest {
        DeleteTopicsRequest::default()
            .with_topic_names(v.iter().map(|n| TopicName(str_bytes(*n))).collect())
    }

    #[test]
    fn duplicates_and_illegal_names_are_answered_without_the_room() {
        let decoded = decode(&names(&["a", "bad name", "a", "b", "a"]), 5);
        assert!(matches!(&decoded.entries[0],
            Entry::Refused(Some(n), INVALID_REQUEST, m) if n == "a" && m == "Duplicate topic name."));
        assert!(matches!(&decoded.entries[1],
            Entry::Refused(Some(n), UNKNOWN_TOPIC_OR_PARTITION, _) if n == "bad name"));
        assert!(matches!(decoded.entries[2], Entry::Topic(0)));
        assert_eq!(decoded.entries.len(), 3);
        assert_eq!(decoded.topics, vec!["b".to_string()]);
    }

    #[test]
    fn v6_ids_name_no_simulated_topic() {
        let id = |n: u128| {
            let mut state = DeleteTopicState::default();
            state.topic_id = uuid::Uuid::from_u128(n);
            state
        };
        let request = DeleteTopicsRequest::default().with_topics(vec![
            id(7),
            id(0),
            id(9).with_name(Some(TopicName(str_bytes("x")))),
            id(0).with_name(Some(TopicName(str_bytes("y")))),
        ]);
        let decoded = decode(&request, 6);
        let codes: Vec<i16> = decoded
            .entries
            .iter()
            .map(|e| match e {
                Entry::Refused(_, code, _) => *code,
                Entry::Topic(_) => 0,
            })
            .collect();
        assert_eq!(
            codes,
            vec![UNKNOWN_TOPIC_ID, INVALID_REQUEST, INVALID_REQUEST, 0]
        );
        assert_eq!(decoded.topics, vec!["y".to_string()]);
    }
}
