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

impl Cluster {
    /// The cluster id every broker reports in Metadata: a Kafka `Uuid` (16 random bytes) in the
    /// URL-safe base64 without padding that `Uuid.toString` and `kafka-storage.sh random-uuid`
    /// print (22 characters). Kafka draws it once when the storage is formatted; here it is drawn
    /// from the scenario's seed by its own generator, so the same room always has the same id and
    /// the cluster's random choices are untouched.
    pub fn cluster_id(&self) -> String {
        use rand::RngCore;
        use rand::SeedableRng;
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut bytes = [0u8; 16];
        rand_chacha::ChaCha8Rng::seed_from_u64(self.seed).fill_bytes(&mut bytes);
        let mut id = String::with_capacity(22);
        let mut bits = 0u32;
        let mut held = 0;
        for b in bytes {
            bits = (bits << 8) | u32::from(b);
            held += 8;
            while held >= 6 {
                held -= 6;
                id.push(ALPHABET[((bits >> held) & 63) as usize] as char);
            }
        }
        if held > 0 {
            id.push(ALPHABET[((bits << (6 - held)) & 63) as usize] as char);
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use crate::cluster::Cluster;

    #[test]
    fn the_cluster_id_is_a_kafka_uuid_drawn_from_the_seed() {
        let id = Cluster::new(1).cluster_id();
        assert_eq!(id.len(), 22);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(id, Cluster::new(1).cluster_id());
        assert_ne!(id, Cluster::new(2).cluster_id());
    }
}
