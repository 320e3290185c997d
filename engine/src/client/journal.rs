//! Real clients' engine inputs as lines of the scenario language, so that a room's journal can
//! hold them and an exported session replays them headless (`kafka-client`, see
//! docs/scenario-language.md and `scenario::parser::kafka_client`).
//!
//! A real client changes the cluster only through commands (`Command::ExternalClientAdd`,
//! `ExternalProduce`, `ExternalFetch`, `ExternalGroup`, `ExternalClientRemove`,
//! `ExternalInitProducerId`). A fetch changes no log, but it parks at a broker, sets timers and
//! puts messages on the simulated network, and a JoinGroup draws a member id from the seeded
//! RNG: so every one of them is journaled, in order, at its simulated instant. Applied again at
//! the same instants, in the same order, they give the same cluster (the engine is
//! deterministic). Their answers are values the driver drains; in a replay nobody waits for
//! them, and they are drained and dropped ([`Cluster::drop_external_answers`]).
//!
//! ```text
//! kafka-client 7 connect {"name":"rdkafka"}
//! kafka-client 7 produce {"broker":1,"token":1,"acks":"all",…,"partitions":[…]}
//! kafka-client 7 fetch {"broker":2,"token":2,…}
//! kafka-client 7 group {"broker":1,"token":3,"group":"g",…,"body":{"join-group":{…}}}
//! kafka-client 7 close
//! kafka-client init-producer-id {"broker":1}
//! ```
//!
//! The JSON is the engine's own request struct (serde), without its `client` field: the line's
//! number is the client. Bytes (keys, values, header values, group metadata and assignments)
//! are standard base64, so a line stays one line of printable text whatever a client sent.

use serde::{Deserialize, Serialize};

use crate::cluster::Cluster;
use crate::command::Command;

/// The command word.
pub const WORD: &str = "kafka-client";

/// `kafka-client N connect {…}`'s body: the client's `client.id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connect {
    pub name: String,
}

/// `kafka-client init-producer-id {…}`'s body: the broker asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitProducerId {
    pub broker: u32,
}

/// The journal line of a real client's command, or `None` for a command that is not one.
pub fn line(command: &Command) -> Option<String> {
    Some(match command {
        Command::ExternalClientAdd { id, name } => {
            format!(
                "{WORD} {id} connect {}",
                json(&Connect { name: name.clone() })
            )
        }
        Command::ExternalClientRemove { id } => format!("{WORD} {id} close"),
        Command::ExternalProduce(p) => format!("{WORD} {} produce {}", p.client, json(p)),
        Command::ExternalFetch(f) => format!("{WORD} {} fetch {}", f.client, json(f)),
        Command::ExternalGroup(g) => format!("{WORD} {} group {}", g.client, json(g)),
        Command::ExternalInitProducerId { broker } => format!(
            "{WORD} init-producer-id {}",
            json(&InitProducerId { broker: *broker })
        ),
        _ => return None,
    })
}

/// Whether `command` is a real client's (a `kafka-client` line).
pub fn is_client_command(command: &Command) -> bool {
    matches!(
        command,
        Command::ExternalClientAdd { .. }
            | Command::ExternalClientRemove { .. }
            | Command::ExternalProduce(_)
            | Command::ExternalFetch(_)
            | Command::ExternalGroup(_)
            | Command::ExternalInitProducerId { .. }
    )
}

impl Cluster {
    /// Drops every answer to real clients' requests the engine has finished: for a driver with
    /// nobody to answer (a headless replay of an exported session), so that the outboxes do not
    /// grow with every replayed request.
    pub fn drop_external_answers(&mut self) {
        self.drain_external();
        self.drain_external_fetches();
        self.drain_external_groups();
    }
}

/// One line of JSON. Serialising these plain structs (string keys only) cannot fail.
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("plain structs serialise")
}

/// serde of byte strings as standard base64 text.
fn encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode<E: serde::de::Error>(text: &str) -> Result<Vec<u8>, E> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| E::custom(format!("bytes must be base64: {e}")))
}

/// `Option<Vec<u8>>` as base64 or `null` (a record's key and value).
pub(crate) mod opt_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_some(&super::encode(b)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|t| super::decode(&t))
            .transpose()
    }
}

/// A record's headers: names and values (`None`: a null value).
type Headers = Vec<(String, Option<Vec<u8>>)>;

/// A record's headers, `[["name", base64 or null], …]`.
pub(crate) mod headers {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Headers;

    pub fn serialize<S: Serializer>(v: &Headers, s: S) -> Result<S::Ok, S::Error> {
        let texts: Vec<(&str, Option<String>)> = v
            .iter()
            .map(|(k, b)| (k.as_str(), b.as_deref().map(super::encode)))
            .collect();
        texts.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Headers, D::Error> {
        Vec::<(String, Option<String>)>::deserialize(d)?
            .into_iter()
            .map(|(k, t)| Ok((k, t.map(|t| super::decode(&t)).transpose()?)))
            .collect()
    }
}

/// Named byte strings, `[["name", base64], …]` (a JoinGroup's protocols, a SyncGroup's
/// assignments).
pub(crate) mod named_bytes {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[(String, Vec<u8>)], s: S) -> Result<S::Ok, S::Error> {
        let texts: Vec<(&str, String)> = v
            .iter()
            .map(|(k, b)| (k.as_str(), super::encode(b)))
            .collect();
        texts.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, Vec<u8>)>, D::Error> {
        Vec::<(String, String)>::deserialize(d)?
            .into_iter()
            .map(|(k, t)| Ok((k, super::decode(&t)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::external::{ExternalPartition, ExternalProduce, ExternalRecord};
    use crate::client::external_group::{ExternalGroupBody, ExternalGroupRequest};
    use crate::command::Acks;

    #[test]
    fn a_produce_line_round_trips_through_json_with_its_bytes() {
        let produce = ExternalProduce {
            client: 7,
            broker: 2,
            token: 3,
            acks: Acks::All,
            timeout_us: 30_000_000,
            partitions: vec![ExternalPartition {
                topic: "orders".into(),
                partition: 1,
                producer: None,
                records: vec![ExternalRecord {
                    key: Some(vec![0, 255, b'k']),
                    value: None,
                    headers: vec![("h".into(), Some(b"v".to_vec())), ("n".into(), None)],
                    timestamp_ms: 1_700_000_000_000,
                }],
            }],
        };
        let text = line(&Command::ExternalProduce(produce.clone())).unwrap();
        assert!(text.starts_with("kafka-client 7 produce {"), "{text}");
        assert!(!text.contains("\"client\""), "{text}");
        let json = &text[text.find('{').unwrap()..];
        let mut back: ExternalProduce = serde_json::from_str(json).unwrap();
        back.client = 7;
        assert_eq!(back, produce);
    }

    /// A replayed client's requests run headless as the same commands; their answers, with
    /// nobody to take them, are dropped as the run goes instead of piling up.
    #[test]
    fn a_headless_run_applies_client_lines_and_keeps_no_answers() {
        let produce = |token: u64| {
            let p = ExternalProduce {
                client: 4,
                broker: 1,
                token,
                acks: Acks::All,
                timeout_us: 30_000_000,
                partitions: vec![ExternalPartition {
                    topic: "t".into(),
                    partition: 0,
                    producer: None,
                    records: vec![ExternalRecord {
                        key: Some(b"k".to_vec()),
                        value: Some(b"v".to_vec()),
                        headers: Vec::new(),
                        timestamp_ms: 1,
                    }],
                }],
            };
            line(&Command::ExternalProduce(p)).unwrap()
        };
        let connect = line(&Command::ExternalClientAdd {
            id: 4,
            name: "app".into(),
        })
        .unwrap();
        let mut source =
            format!("brokers 3\ntopic create t partitions=1 replication=3\nat 1s {connect}\n");
        for token in 1..=50 {
            source.push_str(&format!("at {}s {}\n", 1 + token, produce(token)));
        }
        source.push_str("wait 2s\nexpect records t/0 == 50\n");
        let script = crate::scenario::parse("replay", &source).unwrap();
        let (report, mut cluster) = crate::runner::run(&script, |_| {});
        assert!(report.passed(), "{:?}", report.lines);
        // Without the runner's dropping, the 50 answers would still be here.
        assert!(cluster.drain_external().is_empty());
    }

    #[test]
    fn a_group_body_is_tagged_by_its_api() {
        let request = ExternalGroupRequest {
            client: 1,
            broker: 1,
            token: 9,
            client_id: "c".into(),
            client_host: "/127.0.0.1".into(),
            group: "g".into(),
            body: ExternalGroupBody::SyncGroup {
                member_id: "m".into(),
                generation: 1,
                protocol_type: Some("consumer".into()),
                protocol_name: None,
                assignments: vec![("m".into(), vec![1, 2, 3])],
            },
        };
        let text = line(&Command::ExternalGroup(request.clone())).unwrap();
        assert!(text.contains(r#""body":{"sync-group":{"#), "{text}");
        assert!(text.contains(r#"[["m","AQID"]]"#), "{text}");
        let mut back: ExternalGroupRequest =
            serde_json::from_str(&text[text.find('{').unwrap()..]).unwrap();
        back.client = 1;
        assert_eq!(back, request);
    }
}
