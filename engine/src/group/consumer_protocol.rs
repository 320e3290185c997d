//! The consumer protocol's bytes, as Kafka's `ConsumerProtocol` writes them: the metadata a
//! consumer puts in JoinGroup (`ConsumerProtocolSubscription`) and the assignment its leader puts
//! in SyncGroup (`ConsumerProtocolAssignment`), each a version (`i16`) then the message, encoded
//! with the `kafka-protocol` crate. The group coordinator carries these bytes without reading
//! them; consumers decode them, and so do the read-only questions (`expect assigned`, the UI), as
//! Kafka's `kafka-consumer-groups.sh --describe` decodes DescribeGroups' member assignments.
//!
//! The eager `sticky` assignor's user data (`StickyAssignor.serializeTopicPartitionAssignment`,
//! schema `STICKY_ASSIGNOR_USER_DATA_V1`: the previous assignment, then the generation) is written
//! here too, in the same old-style layout: an `int32` count of topics, each a `string` topic and an
//! `int32` array of partitions, then an `int32` generation.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::TopicName;
use kafka_protocol::messages::consumer_protocol_assignment::{
    ConsumerProtocolAssignment, TopicPartition as AssignedPartitions,
};
use kafka_protocol::messages::consumer_protocol_subscription::{
    ConsumerProtocolSubscription, TopicPartition as OwnedPartitions,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use crate::command::TopicPartition;
use crate::group::assignor::{AssignorKind, Subscription};

/// JoinGroup's `protocol_type` for consumers.
pub const PROTOCOL_TYPE: &str = "consumer";

/// The versions Kafka 3.x/4.x consumers write (`ConsumerProtocolSubscription` v3 has the rack,
/// `ConsumerProtocolAssignment` v3 is the newest).
const SUBSCRIPTION_VERSION: i16 = 3;
const ASSIGNMENT_VERSION: i16 = 3;

/// A member's subscription as the bytes say it (Kafka's `ConsumerPartitionAssignor.Subscription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireSubscription {
    pub topics: Vec<String>,
    pub user_data: Option<Bytes>,
    pub owned_partitions: Vec<TopicPartition>,
    /// -1: no generation.
    pub generation: i32,
}

/// Partitions in runs of one topic, in their order: Kafka groups them by topic through a
/// `HashMap` (`CollectionUtils.groupPartitionsByTopic`), so its consumers see the topics in hash
/// order; one entry per run keeps the order the assignor gave, which the playground shows.
fn runs(partitions: &[TopicPartition]) -> Vec<(String, Vec<i32>)> {
    let mut runs: Vec<(String, Vec<i32>)> = Vec::new();
    for tp in partitions {
        match runs.last_mut() {
            Some((t, ps)) if *t == tp.topic => ps.push(tp.partition as i32),
            _ => runs.push((tp.topic.clone(), vec![tp.partition as i32])),
        }
    }
    runs
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

fn flatten(topic: &str, partitions: &[i32], out: &mut Vec<TopicPartition>) {
    out.extend(partitions.iter().map(|&p| TopicPartition {
        topic: topic.to_string(),
        partition: p.max(0) as u32,
    }));
}

/// `ConsumerProtocol.serializeSubscription`.
pub fn encode_subscription(s: &WireSubscription) -> Bytes {
    let message = ConsumerProtocolSubscription::default()
        .with_topics(
            s.topics
                .iter()
                .map(|t| StrBytes::from_string(t.clone()))
                .collect(),
        )
        .with_user_data(s.user_data.clone())
        .with_owned_partitions(
            runs(&s.owned_partitions)
                .into_iter()
                .map(|(t, ps)| {
                    OwnedPartitions::default()
                        .with_topic(topic_name(&t))
                        .with_partitions(ps)
                })
                .collect(),
        )
        .with_generation_id(s.generation);
    let mut buf = BytesMut::new();
    buf.put_i16(SUBSCRIPTION_VERSION);
    message
        .encode(&mut buf, SUBSCRIPTION_VERSION)
        .expect("a subscription encodes");
    buf.freeze()
}

/// `ConsumerProtocol.deserializeSubscription`; `None` for bytes that are not one.
pub fn decode_subscription(bytes: &Bytes) -> Option<WireSubscription> {
    let mut buf = bytes.clone();
    if buf.remaining() < 2 {
        return None;
    }
    let version = buf.get_i16().min(SUBSCRIPTION_VERSION);
    let m = ConsumerProtocolSubscription::decode(&mut buf, version).ok()?;
    let mut owned = Vec::new();
    for tp in &m.owned_partitions {
        flatten(tp.topic.0.as_str(), &tp.partitions, &mut owned);
    }
    Some(WireSubscription {
        topics: m.topics.iter().map(|t| t.as_str().to_string()).collect(),
        user_data: m.user_data,
        owned_partitions: owned,
        generation: if version >= 2 { m.generation_id } else { -1 },
    })
}

/// `ConsumerProtocol.serializeAssignment` (no user data: none of the built-in assignors sends
/// any).
pub fn encode_assignment(partitions: &[TopicPartition]) -> Bytes {
    encode_assignment_with_user_data(partitions, None)
}

/// `ConsumerProtocol.serializeAssignment` with the assignor's user data (Kafka Streams'
/// `AssignmentInfo`).
pub fn encode_assignment_with_user_data(
    partitions: &[TopicPartition],
    user_data: Option<Bytes>,
) -> Bytes {
    let message = ConsumerProtocolAssignment::default()
        .with_user_data(user_data)
        .with_assigned_partitions(
            runs(partitions)
                .into_iter()
                .map(|(t, ps)| {
                    AssignedPartitions::default()
                        .with_topic(topic_name(&t))
                        .with_partitions(ps)
                })
                .collect(),
        );
    let mut buf = BytesMut::new();
    buf.put_i16(ASSIGNMENT_VERSION);
    message
        .encode(&mut buf, ASSIGNMENT_VERSION)
        .expect("an assignment encodes");
    buf.freeze()
}

/// `ConsumerProtocol.deserializeAssignment`: the assigned partitions, in order. Empty bytes (a
/// member the leader gave nothing, or no assignment yet) are an empty assignment, as Kafka's
/// consumer reads an empty SyncGroup answer.
pub fn decode_assignment(bytes: &Bytes) -> Vec<TopicPartition> {
    let mut buf = bytes.clone();
    if buf.remaining() < 2 {
        return Vec::new();
    }
    let version = buf.get_i16().min(ASSIGNMENT_VERSION);
    let Ok(m) = ConsumerProtocolAssignment::decode(&mut buf, version) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for tp in &m.assigned_partitions {
        flatten(tp.topic.0.as_str(), &tp.partitions, &mut out);
    }
    out
}

/// The assignment's `userData()`, if the leader's assignor wrote any.
pub fn decode_assignment_user_data(bytes: &Bytes) -> Option<Bytes> {
    let mut buf = bytes.clone();
    if buf.remaining() < 2 {
        return None;
    }
    let version = buf.get_i16().min(ASSIGNMENT_VERSION);
    ConsumerProtocolAssignment::decode(&mut buf, version)
        .ok()?
        .user_data
}

/// `StickyAssignor.subscriptionUserData`: the member's last assignment and its generation.
pub fn encode_sticky_user_data(previous: &[TopicPartition], generation: i32) -> Bytes {
    let mut buf = BytesMut::new();
    let runs = runs(previous);
    buf.put_i32(runs.len() as i32);
    for (topic, partitions) in runs {
        buf.put_i16(topic.len() as i16);
        buf.put_slice(topic.as_bytes());
        buf.put_i32(partitions.len() as i32);
        partitions.iter().for_each(|&p| buf.put_i32(p));
    }
    buf.put_i32(generation);
    buf.freeze()
}

/// `StickyAssignor.deserializeTopicPartitionAssignment`: (previous assignment, generation);
/// `None` for bytes that are not one.
fn decode_sticky_user_data(bytes: &Bytes) -> Option<(Vec<TopicPartition>, i32)> {
    let mut buf = bytes.clone();
    let mut out = Vec::new();
    let topics = read_i32(&mut buf)?;
    for _ in 0..topics {
        let len = usize::try_from(read_i16(&mut buf)?).ok()?;
        if buf.remaining() < len {
            return None;
        }
        let topic = String::from_utf8(buf.copy_to_bytes(len).to_vec()).ok()?;
        let n = read_i32(&mut buf)?;
        let mut partitions = Vec::new();
        for _ in 0..n {
            partitions.push(read_i32(&mut buf)?);
        }
        flatten(&topic, &partitions, &mut out);
    }
    let generation = read_i32(&mut buf)?;
    Some((out, generation))
}

fn read_i32(buf: &mut Bytes) -> Option<i32> {
    (buf.remaining() >= 4).then(|| buf.get_i32())
}

fn read_i16(buf: &mut Bytes) -> Option<i16> {
    (buf.remaining() >= 2).then(|| buf.get_i16())
}

/// What an assignor reads of a member's subscription (`AbstractStickyAssignor.memberData`): the
/// eager `sticky` assignor its user data (previous assignment and generation), the others the
/// subscription's own `ownedPartitions` and `generationId`. A negative generation is none.
pub fn assignor_input(assignor: AssignorKind, wire: &WireSubscription) -> Subscription {
    let (owned, generation) = match assignor {
        AssignorKind::Sticky => wire
            .user_data
            .as_ref()
            .and_then(decode_sticky_user_data)
            .unwrap_or((Vec::new(), -1)),
        AssignorKind::CooperativeSticky | AssignorKind::Range | AssignorKind::RoundRobin => {
            (wire.owned_partitions.clone(), wire.generation)
        }
    };
    Subscription::new(wire.topics.clone()).owning(owned, generation)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }

    #[test]
    fn a_subscription_survives_its_bytes() {
        let s = WireSubscription {
            topics: vec!["orders".into(), "payments".into()],
            user_data: Some(encode_sticky_user_data(
                &[tp("orders", 2), tp("payments", 0)],
                4,
            )),
            owned_partitions: vec![tp("orders", 0), tp("orders", 1), tp("payments", 3)],
            generation: 4,
        };
        let bytes = encode_subscription(&s);
        // Version 3 first, as ConsumerProtocol writes it.
        assert_eq!(&bytes[..2], &[0, 3]);
        assert_eq!(decode_subscription(&bytes), Some(s.clone()));
        let sticky = assignor_input(AssignorKind::Sticky, &s);
        assert_eq!(
            sticky.owned_partitions,
            vec![tp("orders", 2), tp("payments", 0)]
        );
        assert_eq!(sticky.generation, Some(4));
        let cooperative = assignor_input(AssignorKind::CooperativeSticky, &s);
        assert_eq!(cooperative.owned_partitions, s.owned_partitions);
    }

    #[test]
    fn an_assignment_keeps_the_assignors_order() {
        let a = vec![tp("t1", 0), tp("t1", 1), tp("t0", 0), tp("t1", 2)];
        assert_eq!(decode_assignment(&encode_assignment(&a)), a);
        assert!(decode_assignment(&Bytes::new()).is_empty());
    }
}
