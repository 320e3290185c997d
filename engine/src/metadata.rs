//! The broker's side of a Metadata request (Kafka's `KafkaApis.handleTopicMetadataRequest`).
//!
//! A KRaft broker answers from its `MetadataCache`, the metadata log as far as it has replayed it.
//! The playground's brokers keep no such cache of their own (they learn only their own replicas'
//! state, `Message::Metadata`), so the answer is the controller's partitions at the instant it is
//! built: the KRaft metadata a broker has, without its propagation delay. A fenced broker is in no
//! partition's ISR and leads nothing, as in Kafka's answers (KIP-631).

use crate::client::metadata::{MetadataResponse, PartitionMetadata, TopicMetadata};
use crate::cluster::Cluster;
use crate::event::ErrorCode;

impl Cluster {
    /// The Metadata response for `topics`, as the answering broker builds it now.
    pub(crate) fn metadata_response(&self, topics: &[String]) -> MetadataResponse {
        MetadataResponse {
            topics: topics
                .iter()
                .map(|name| (name.clone(), self.topic_metadata(name)))
                .collect(),
        }
    }

    fn topic_metadata(&self, name: &str) -> TopicMetadata {
        let topic = self
            .topics
            .get(name)
            .ok_or(ErrorCode::UnknownTopicOrPartition)?;
        Ok(topic
            .slots
            .iter()
            .map(|&slot| {
                let p = &self.partitions[slot as usize];
                PartitionMetadata {
                    slot,
                    leader: p.leader,
                    leader_epoch: p.leader_epoch,
                }
            })
            .collect())
    }
}
