//! What the listeners learn from the room: its brokers' lives and the KRaft metadata of the
//! topics a Metadata request names, read from the room's own `Cluster` in the room task.

use engine::Cluster;
use engine::command::TopicPartition;

/// A broker as the listeners need it: whether its process runs (a killed broker's port refuses
/// connections), whether the controller fenced it (it leaves Metadata's broker list), whether
/// `network isolate` cut it off (it stops answering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokerLife {
    pub id: u32,
    pub alive: bool,
    pub fenced: bool,
    pub isolated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub index: u32,
    pub leader: Option<u32>,
    pub leader_epoch: u32,
    pub replicas: Vec<u32>,
    pub isr: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicState {
    Missing,
    Partitions(Vec<PartitionState>),
}

/// The room's answer to a listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterView {
    pub cluster_id: String,
    pub brokers: Vec<BrokerLife>,
    /// The topics asked for (every topic when the request named none), in order.
    pub topics: Vec<(String, TopicState)>,
    /// Topics this request sent for auto-creation.
    pub created: Vec<String>,
}

/// What a listener asks the room.
#[derive(Debug, Clone)]
pub enum KafkaAsk {
    /// The brokers only (the listeners' supervisor, a few times a second), telling the room
    /// where clients bootstrap (`host:port` of its first broker's listener) once it is known:
    /// a lesson's narration says it (`{bootstrap}`), and the page shows it.
    Brokers { bootstrap: Option<String> },
    /// A Metadata request: `topics` `None` for every topic; missing ones are created when
    /// `auto_create` (the request allows it and `auto.create.topics.enable` is true).
    Metadata {
        topics: Option<Vec<String>>,
        auto_create: bool,
        client_id: String,
    },
}

pub fn brokers(cluster: &Cluster) -> Vec<BrokerLife> {
    (1..=cluster.broker_count())
        .map(|id| BrokerLife {
            id,
            alive: cluster.broker_up(id).unwrap_or(false),
            fenced: cluster.broker_fenced(id).unwrap_or(true),
            isolated: cluster.broker_isolated(id),
        })
        .collect()
}

fn topic(cluster: &Cluster, name: &str) -> TopicState {
    let Some(count) = cluster.topic_partitions(name) else {
        return TopicState::Missing;
    };
    TopicState::Partitions(
        (0..count)
            .filter_map(|index| {
                let tp = TopicPartition {
                    topic: name.to_string(),
                    partition: index,
                };
                Some(PartitionState {
                    index,
                    leader: cluster.leader(&tp)?,
                    leader_epoch: cluster.leader_epoch(&tp)?,
                    replicas: cluster.replicas(&tp)?,
                    isr: cluster.isr(&tp)?,
                })
            })
            .collect(),
    )
}

/// The view for `topics` (`None`: every topic) now.
pub fn view(cluster: &Cluster, topics: Option<&[String]>, created: Vec<String>) -> ClusterView {
    let names = match topics {
        Some(names) => names.to_vec(),
        None => cluster.topic_names(),
    };
    ClusterView {
        cluster_id: cluster.cluster_id(),
        brokers: brokers(cluster),
        topics: names
            .into_iter()
            .map(|name| {
                let state = topic(cluster, &name);
                (name, state)
            })
            .collect(),
        created,
    }
}

/// The room's answer to a Fetch: each partition's records or error, and the instant the answer
/// left the room on both clocks, which stamps the simulated records (`TimeAnchor`).
#[derive(Debug, Clone)]
pub struct FetchAnswer {
    pub parts: Vec<engine::client::external_fetch::ExternalFetchPartResult>,
    pub anchor: engine::client::external_fetch::TimeAnchor,
}

/// The room's answer to a ListOffsets request, each asked partition in order.
pub type ListOffsetsAnswer =
    Vec<Result<engine::list_offsets::ListedOffset, engine::client::external_fetch::FetchError>>;

/// The wall clock now, in ms since the epoch, with the simulation's instant `sim_us`.
pub fn anchor(sim_us: engine::time::Micros) -> engine::client::external_fetch::TimeAnchor {
    let wall_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    engine::client::external_fetch::TimeAnchor { sim_us, wall_ms }
}
