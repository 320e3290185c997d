//! The room's side of the Kafka listeners: their questions answered from the room's cluster,
//! and topic auto-creation as the console line `topic create`, so that a topic a client
//! created shows on the page, in the log and in the journal like one typed there.

use super::Room;
use crate::kafka::metadata::{DEFAULT_REPLICATION_FACTOR, NUM_PARTITIONS, valid_topic_name};
use crate::kafka::view::{self, ClusterView, KafkaAsk};

impl Room {
    pub(super) fn kafka(&mut self, ask: KafkaAsk) -> ClusterView {
        match ask {
            KafkaAsk::Brokers => ClusterView {
                cluster_id: self.cluster.cluster_id(),
                brokers: view::brokers(&self.cluster),
                topics: Vec::new(),
                created: Vec::new(),
            },
            KafkaAsk::Metadata {
                topics,
                auto_create,
                client_id,
            } => {
                let mut created = Vec::new();
                if auto_create {
                    for name in topics.iter().flatten() {
                        // Only legal names reach the line: nothing a client sends can add an
                        // option or a second command to it.
                        if self.cluster.has_topic(name) || !valid_topic_name(name) {
                            continue;
                        }
                        let line = format!(
                            "topic create {name} partitions={NUM_PARTITIONS} \
                             replication={DEFAULT_REPLICATION_FACTOR}"
                        );
                        let client = if client_id.is_empty() {
                            "a Kafka client".to_string()
                        } else {
                            let short: String = client_id.chars().take(64).collect();
                            format!("Kafka client {short:?}")
                        };
                        match self.console(&line) {
                            Ok(_) => {
                                self.note(
                                    "info",
                                    "console",
                                    format!("{client} auto-created: {line}"),
                                );
                                created.push(name.clone());
                            }
                            Err(e) => self.note(
                                "warn",
                                "console",
                                format!("{client} could not auto-create {name}: {}", e.message),
                            ),
                        }
                    }
                }
                // Kafka's KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION for a topic it has
                // just sent for creation; the client asks again.
                let mut answer = view::view(&self.cluster, topics.as_deref(), created);
                for (name, state) in &mut answer.topics {
                    if answer.created.contains(name) {
                        *state = view::TopicState::Missing;
                    }
                }
                answer
            }
        }
    }
}
