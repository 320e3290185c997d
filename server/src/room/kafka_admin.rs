//! The room's side of the listener's admin APIs (`crate::kafka::admin`): CreateTopics as the
//! room's own console line `topic create` (so a client's topic shows on the page, in the log and
//! in the journal like a typed one), DeleteTopics as `topic delete`, the topics' and brokers' configs for DescribeConfigs, and
//! OffsetForLeaderEpoch from the engine's leader-epoch caches.

use engine::scenario::{Action, parser};

use super::Room;
use crate::kafka::admin::{AdminAsk, AdminReply};
use crate::kafka::create_topics::{
    self, INVALID_REPLICATION_FACTOR, INVALID_TOPIC_EXCEPTION, NewTopic, Outcome, POLICY_VIOLATION,
    TOPIC_ALREADY_EXISTS,
};
use crate::kafka::delete_topics::{self, UNKNOWN_TOPIC_OR_PARTITION};
use crate::kafka::metadata::{DEFAULT_REPLICATION_FACTOR, NUM_PARTITIONS};
use crate::kafka::topic_configs::{self, INVALID_CONFIG};

/// Kafka's `Topic.unifyCollisionChars`: `.` and `_` may collide in metric names, so Kafka
/// refuses a topic that differs from an existing one only by them.
fn unified(name: &str) -> String {
    name.replace('.', "_")
}

impl Room {
    pub(super) fn kafka_admin(&mut self, ask: AdminAsk) -> AdminReply {
        match ask {
            AdminAsk::CreateTopics {
                client_id,
                topics,
                validate_only,
            } => AdminReply::Created(
                topics
                    .iter()
                    .map(|t| self.kafka_create_topic(&client_id, t, validate_only))
                    .collect(),
            ),
            AdminAsk::DeleteTopics { client_id, topics } => AdminReply::Deleted(
                topics
                    .iter()
                    .map(|t| self.kafka_delete_topic(&client_id, t))
                    .collect(),
            ),
            AdminAsk::Configs { topics } => AdminReply::Configs {
                topics: topics
                    .into_iter()
                    .map(|t| {
                        let config = self.cluster.topic_config(&t);
                        (t, config)
                    })
                    .collect(),
                cluster: self.cluster.config().clone(),
            },
            AdminAsk::OffsetForLeaderEpoch { broker, queries } => {
                AdminReply::Epochs(self.cluster.offset_for_leader_epoch(broker, &queries))
            }
        }
    }

    /// One topic of a CreateTopics request, checked in the order of Kafka's
    /// `ReplicationControlManager.createTopics` (the listener already answered duplicates and
    /// illegal names), then created by the console line.
    fn kafka_create_topic(
        &mut self,
        client_id: &str,
        topic: &NewTopic,
        validate_only: bool,
    ) -> Outcome {
        let name = &topic.name;
        // The group coordinator's `__consumer_offsets` is modelled inside the engine, not as a
        // topic of the cluster; in Kafka it exists as soon as groups do, so it cannot be created.
        if self.cluster.has_topic(name) || name == "__consumer_offsets" {
            return Err((
                TOPIC_ALREADY_EXISTS,
                format!("Topic '{name}' already exists."),
            ));
        }
        if name.contains(['.', '_']) {
            let mine = unified(name);
            if let Some(other) = self
                .cluster
                .topic_names()
                .into_iter()
                .find(|t| unified(t) == mine)
            {
                return Err((
                    INVALID_TOPIC_EXCEPTION,
                    format!("Topic '{name}' collides with existing topic: {other}"),
                ));
            }
        }
        let options = topic.options.clone()?;
        let (partitions, replication) =
            create_topics::check_numbers(topic, NUM_PARTITIONS, DEFAULT_REPLICATION_FACTOR)?;
        // `StripedReplicaPlacer.place`: every registered broker counts, fenced or not; but not
        // every one may be fenced.
        let brokers = self.cluster.broker_count();
        let unable = |why: String| {
            Err((
                INVALID_REPLICATION_FACTOR,
                format!("Unable to replicate the partition {replication} time(s): {why}"),
            ))
        };
        if replication > brokers {
            return unable(format!(
                "The target replication factor of {replication} cannot be reached because only \
                 {brokers} broker(s) are registered."
            ));
        }
        if (1..=brokers).all(|b| self.cluster.broker_fenced(b) != Some(false)) {
            return unable("All brokers are currently fenced.".into());
        }
        // The engine refuses what Kafka would accept and then fail writes with.
        if let Some(min) = options
            .iter()
            .find_map(|o| o.strip_prefix("min-insync="))
            .and_then(|m| m.parse::<u32>().ok())
            .filter(|&m| m > replication)
        {
            return Err((
                INVALID_CONFIG,
                format!(
                    "min.insync.replicas={min} is above the replication factor {replication}: \
                     Kafka would create the topic and refuse every acks=all write; the \
                     playground refuses the topic"
                ),
            ));
        }
        // Every part of the line is a checked name, a number or a fixed word.
        let mut line =
            format!("topic create {name} partitions={partitions} replication={replication}");
        for option in &options {
            line.push(' ');
            line.push_str(option);
        }
        let config = if validate_only {
            self.kafka_try_line(&line)
        } else {
            match self.console(&line) {
                Ok(_) => {
                    let who = kafka_client_label(client_id);
                    self.note("info", "console", format!("{who} created: {line}"));
                    self.cluster
                        .topic_config(name)
                        .ok_or_else(|| "the topic was not created".to_string())
                }
                Err(e) => Err(e.message),
            }
        };
        // What the room's limits refuse is the playground's policy (`create.topic.policy`).
        let config = config.map_err(|why| (POLICY_VIOLATION, why))?;
        Ok((
            partitions,
            replication,
            topic_configs::topic_entries(&config),
        ))
    }

    /// One topic of a DeleteTopics request (the listener already answered duplicates and names
    /// no topic can have), deleted by the console line `topic delete`.
    fn kafka_delete_topic(&mut self, client_id: &str, name: &str) -> delete_topics::Outcome {
        // `ReplicationControlManager.findTopicIds`: no such topic.
        if !self.cluster.has_topic(name) && !engine::topic_delete::INTERNAL_TOPICS.contains(&name) {
            return Err((
                UNKNOWN_TOPIC_OR_PARTITION,
                "This server does not host this topic-partition.".into(),
            ));
        }
        // What the playground refuses to delete is its policy (a KRaft controller deletes any
        // topic): internal topics, and topics Streams or Connect use.
        if let Some(refused) = self.cluster.topic_delete_refusal(name) {
            return Err((POLICY_VIOLATION, refused.to_string()));
        }
        // The name is a legal topic name (checked by the listener): one word.
        let line = format!("topic delete {name}");
        match self.console(&line) {
            Ok(_) => {
                let who = kafka_client_label(client_id);
                self.note("info", "console", format!("{who} deleted: {line}"));
                Ok(())
            }
            Err(e) => Err((POLICY_VIOLATION, e.message)),
        }
    }

    /// `validate_only`: the line parsed and applied to a copy of the cluster, which is then
    /// dropped; the room is unchanged.
    fn kafka_try_line(&self, line: &str) -> Result<engine::config::TopicConfig, String> {
        let mut ctx = self.ctx.clone();
        ctx.time = self.cluster.now();
        let step = parser::parse_line(line, &mut ctx)
            .map_err(|d| d.message)?
            .ok_or_else(|| "the line is empty".to_string())?;
        let Action::Cluster(command) = step.action else {
            return Err("not a cluster command".into());
        };
        let mut copy = self.cluster.clone();
        copy.apply(command).map_err(|e| e.to_string())?;
        let name = line.split_whitespace().nth(2).unwrap_or_default();
        copy.topic_config(name)
            .ok_or_else(|| "the topic was not created".to_string())
    }
}

/// How the room's log names a Kafka client that changed the cluster: by its `client.id`, cut to
/// 64 characters and quoted (a client chooses it), or "a Kafka client" when it sent none.
fn kafka_client_label(client_id: &str) -> String {
    if client_id.is_empty() {
        "a Kafka client".to_string()
    } else {
        let short: String = client_id.chars().take(64).collect();
        format!("Kafka client {short:?}")
    }
}
