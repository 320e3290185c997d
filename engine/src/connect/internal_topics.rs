//! A distributed Connect cluster's backing stores: the three compacted internal topics
//! (`KafkaConfigBackingStore`, `KafkaOffsetBackingStore`, `KafkaStatusBackingStore`), created
//! when the group's first worker starts (`TopicAdmin` with `DistributedConfig`'s defaults:
//! `connect-configs` 1 partition, `connect-offsets` 25, `connect-status` 5, replication
//! min(3, brokers), `cleanup.policy=compact`), and written through engine producers with Kafka's
//! record keys and the JSON the internal `JsonConverter` (schemas off) writes.
//!
//! What the engine reads back: the workers of a cluster share one view of each store, updated
//! as a record is handed to the producer. Kafka's workers each tail the topics
//! (`KafkaBasedLog`) and see a write once it is read back; the simulation keeps connector
//! configs authoritative in the engine (`Connect::connectors`) and the offsets in
//! [`ConnectCluster::offsets`], while the records in the topics are the ones Kafka writes, so
//! what the topics hold can be read and checked (`expect connect-status …`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::command::{CleanupPolicy, ProducerSpec, TopicPartition, TopicSpec};
use crate::connect::connector::State;
use crate::connect::storage::OffsetsFile;
use crate::connect::{ConnectCluster, TaskRef};
use crate::record::ValueRef;

/// `config.storage.topic`'s usual name and its partition count (always 1).
pub const CONFIG_TOPIC: &str = "connect-configs";
/// `offset.storage.topic` and `offset.storage.partitions` (25).
pub const OFFSET_TOPIC: &str = "connect-offsets";
pub const OFFSET_PARTITIONS: u32 = 25;
/// `status.storage.topic` and `status.storage.partitions` (5).
pub const STATUS_TOPIC: &str = "connect-status";
pub const STATUS_PARTITIONS: u32 = 5;
/// `*.storage.replication.factor` is 3; the playground's smaller clusters get what they have.
const REPLICATION: u32 = 3;

/// A status record's key (`KafkaStatusBackingStore`): `status-connector-NAME`,
/// `status-task-NAME-ID`.
pub fn status_key(connector: &str, task: Option<u32>) -> String {
    match task {
        None => format!("status-connector-{connector}"),
        Some(t) => format!("status-task-{connector}-{t}"),
    }
}

/// A status record's value: `{"state":…,"trace":…,"worker_id":…,"generation":…}`.
pub fn status_value(state: State, trace: Option<&str>, worker_id: &str, generation: i32) -> String {
    json!({
        "state": state.name(),
        "trace": trace,
        "worker_id": worker_id,
        "generation": generation,
    })
    .to_string()
}

impl Cluster {
    /// The cluster's internal topics, created if they do not exist yet (the first worker of a
    /// group creates them, `TopicAdmin.createTopicsWithRetry`), and its producers.
    pub(crate) fn create_internal_topics(&mut self) -> Result<BTreeMap<String, u32>, String> {
        let replication = REPLICATION.min(self.brokers.len() as u32);
        let mut producers = BTreeMap::new();
        for (name, partitions) in [
            (CONFIG_TOPIC, 1),
            (OFFSET_TOPIC, OFFSET_PARTITIONS),
            (STATUS_TOPIC, STATUS_PARTITIONS),
        ] {
            if !self.topics.contains_key(name) {
                self.cmd_topic_create(TopicSpec {
                    name: name.to_string(),
                    partitions,
                    replication,
                    min_insync: None,
                    unclean_election: None,
                    retention: None,
                    retention_bytes: None,
                    segment: None,
                    segment_bytes: None,
                    cleanup: Some(CleanupPolicy::Compact),
                })
                .map_err(|e| e.to_string())?;
            }
            let spec = ProducerSpec {
                name: format!("connect-cluster-{name}\u{0}{}", self.connect.clusters.len()),
                topic: name.to_string(),
                ..ProducerSpec::default()
            };
            let p = self
                .new_producer(spec.name.clone(), format!("producer-{name}"), &spec)
                .map_err(|e| e.to_string())?;
            producers.insert(name.to_string(), p);
        }
        Ok(producers)
    }

    /// One record to an internal topic, partitioned by its key (the `KafkaBasedLog`'s producer
    /// uses the default partitioner).
    fn put_internal(&mut self, cluster: u32, topic: &str, key: &str, value: Option<&str>) {
        let p = self.connect.clusters[cluster as usize].producers[topic];
        let now = self.now;
        let key = Some(self.store.intern(key));
        let value = match value {
            Some(v) => ValueRef::Text(self.store.intern(v)),
            None => ValueRef::Null,
        };
        self.create_record(p, now, now, key, value, None);
        self.producer_tick(p);
    }

    /// `KafkaConfigBackingStore.putConnectorConfig` (target state, then the config), then
    /// `putTaskConfigs` (each task's config, then the `commit-NAME` record with the count).
    /// Each record moves the config topic's offset the workers report in their metadata.
    pub(crate) fn put_connector_configs(&mut self, c: u32) {
        let conn = &self.connect.connectors[c as usize];
        let Some(cluster) = conn.cluster else { return };
        let name = conn.name.clone();
        let props: serde_json::Map<String, Value> = conn
            .config
            .raw
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let tasks: Vec<Vec<String>> = conn.config.task_systems();
        let system_key = conn.config.class.system_config();
        self.put_target_state(c);
        self.put_config(
            cluster,
            &format!("connector-{name}"),
            Some(json!({ "properties": props }).to_string()),
        );
        for (id, systems) in tasks.iter().enumerate() {
            let mut task_props = props.clone();
            task_props.insert(system_key.to_string(), Value::String(systems.join(",")));
            self.put_config(
                cluster,
                &format!("task-{name}-{id}"),
                Some(json!({ "properties": task_props }).to_string()),
            );
        }
        self.put_config(
            cluster,
            &format!("commit-{name}"),
            Some(json!({ "tasks": tasks.len() }).to_string()),
        );
    }

    /// `putTargetState`: `{"state":…,"state.v2":…}` (STOPPED is written as PAUSED in `state`
    /// for older workers, KIP-875).
    pub(crate) fn put_target_state(&mut self, c: u32) {
        let conn = &self.connect.connectors[c as usize];
        let Some(cluster) = conn.cluster else { return };
        let v2 = format!("{:?}", conn.target).to_uppercase();
        let v1 = if v2 == "STOPPED" { "PAUSED" } else { &v2 };
        let value = json!({ "state": v1, "state.v2": v2 }).to_string();
        let key = format!("target-state-{}", conn.name);
        self.put_config(cluster, &key, Some(value));
    }

    /// `removeConnectorConfig`: tombstones for the config and the target state.
    pub(crate) fn remove_connector_config(&mut self, c: u32) {
        let conn = &self.connect.connectors[c as usize];
        let Some(cluster) = conn.cluster else { return };
        let name = conn.name.clone();
        self.put_config(cluster, &format!("connector-{name}"), None);
        self.put_config(cluster, &format!("target-state-{name}"), None);
    }

    fn put_config(&mut self, cluster: u32, key: &str, value: Option<String>) {
        self.put_internal(cluster, CONFIG_TOPIC, key, value.as_deref());
        self.connect.clusters[cluster as usize].config_offset += 1;
    }

    /// `KafkaOffsetBackingStore.set`: a flush's offsets, each a record keyed
    /// `["NAME",{partition}]`, and the store the workers read when a task starts.
    pub(crate) fn put_offsets(&mut self, cluster: u32, entries: Vec<(String, String)>) {
        for (k, v) in &entries {
            self.put_internal(cluster, OFFSET_TOPIC, k, Some(v));
        }
        self.connect.clusters[cluster as usize]
            .offsets
            .write(entries);
    }

    /// Writes the status of a connector (`task: None`) or task of a distributed cluster, as the
    /// worker running it does (`AbstractHerder.onStartup`, `onPause`, `onFailure`,
    /// `onShutdown` → `statusBackingStore.put`), when it differs from the last one written.
    /// Nobody writes for a crashed worker: its last records stay (Kafka's status API reports
    /// them until another worker starts the work).
    pub(crate) fn put_status(&mut self, c: u32, task: Option<u32>, worker: u32) {
        let conn = &self.connect.connectors[c as usize];
        let Some(cluster) = conn.cluster else { return };
        let (state, trace) = match task {
            None => (conn.state, conn.trace.clone()),
            Some(t) => {
                let t = &conn.tasks[t as usize];
                (t.state, t.trace.clone())
            }
        };
        let w = &self.connect.workers[worker as usize];
        let generation = w.distributed.as_ref().map_or(-1, |m| m.generation);
        let key = status_key(&conn.name, task);
        let value = status_value(state, trace.as_deref(), &w.name, generation);
        let cl = &mut self.connect.clusters[cluster as usize];
        if cl.statuses.get(&key) == Some(&value) {
            return;
        }
        cl.statuses.insert(key.clone(), value.clone());
        self.put_internal(cluster, STATUS_TOPIC, &key, Some(&value));
    }

    /// Brings the status topic up to date with every running connector and task of the live
    /// workers of distributed clusters (called after each Connect step: a task that failed, a
    /// connector paused, a task started or stopped by an assignment).
    pub(crate) fn sync_connect_statuses(&mut self) {
        if self.connect.clusters.is_empty() {
            return;
        }
        for c in 0..self.connect.connectors.len() as u32 {
            let conn = &self.connect.connectors[c as usize];
            if conn.cluster.is_none() || conn.deleted {
                continue;
            }
            let tasks = conn.tasks.len() as u32;
            if let Some(w) = conn.runner
                && self.connect.workers[w as usize].alive
            {
                self.put_status(c, None, w);
            }
            for t in 0..tasks {
                let task = &self.connect.connectors[c as usize].tasks[t as usize];
                if let Some(w) = task.worker
                    && self.connect.workers[w as usize].alive
                {
                    self.put_status(c, Some(t), w);
                }
            }
        }
    }

    /// The newest record of a status key in `connect-status` (the leader's log), decoded:
    /// `(state, worker_id)`; `None` if no record (or a tombstone).
    pub fn status_record(&self, key: &str) -> Option<(String, String)> {
        let partition = self.partition_for_key(STATUS_TOPIC, key)?;
        let tp = TopicPartition {
            topic: STATUS_TOPIC.to_string(),
            partition,
        };
        let value = self.latest_value(&tp, key)??;
        let v: Value = serde_json::from_str(&value).ok()?;
        Some((
            v.get("state")?.as_str()?.to_string(),
            v.get("worker_id")?.as_str()?.to_string(),
        ))
    }

    /// The offsets store a source task reads and writes: its cluster's (`connect-offsets`) or
    /// its standalone worker's file.
    pub(crate) fn offsets_store(&self, r: TaskRef) -> &OffsetsFile {
        let conn = &self.connect.connectors[r.connector as usize];
        match conn.cluster {
            Some(cl) => &self.connect.clusters[cl as usize].offsets,
            None => &self.connect.workers[conn.worker as usize].offsets,
        }
    }
}

impl ConnectCluster {
    /// The assignor's view of the configs (`ClusterConfigState`): each connector of the
    /// cluster with its task count, and the config topic offset.
    pub(crate) fn snapshot(
        &self,
        index: u32,
        connectors: &[crate::connect::connector::Connector],
    ) -> crate::connect::assignor::ConfigSnapshot {
        crate::connect::assignor::ConfigSnapshot {
            offset: self.config_offset,
            connectors: connectors
                .iter()
                .filter(|c| c.cluster == Some(index) && !c.deleted)
                .map(|c| (c.name.clone(), c.tasks.len() as u32))
                .collect(),
        }
    }
}
