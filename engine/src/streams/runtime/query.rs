//! Questions about Streams applications, for `expect` lines, the snapshot and tests.

use crate::cluster::Cluster;
use crate::group::consumer::JoinPhase;
use crate::streams::topology::StoreKind;
use crate::streams::value::Val;
use crate::streams::window::WindowedKey;
use crate::streams::windowed;

use super::{StreamsApp, TaskState};

/// `KafkaStreams.State`, as far as the simulation reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstanceState {
    /// Threads joining the group or tasks restoring.
    Rebalancing,
    Running,
    /// `close()` in progress.
    PendingShutdown,
    /// Closed, or the process crashed.
    NotRunning,
}

impl InstanceState {
    pub fn name(self) -> &'static str {
        match self {
            InstanceState::Rebalancing => "REBALANCING",
            InstanceState::Running => "RUNNING",
            InstanceState::PendingShutdown => "PENDING_SHUTDOWN",
            InstanceState::NotRunning => "NOT_RUNNING",
        }
    }
}

/// One active task, where it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskView {
    pub id: String,
    pub instance: String,
    pub thread: String,
    pub state: TaskState,
    /// Changelog records restored so far and to restore in all (0/0 for a stateless task).
    pub restored: u64,
    pub to_restore: u64,
}

impl Cluster {
    pub fn streams_app_names(&self) -> Vec<String> {
        self.streams.iter().map(|a| a.name.clone()).collect()
    }

    pub fn streams_app(&self, name: &str) -> Option<&StreamsApp> {
        self.streams.iter().find(|a| a.name == name)
    }

    /// The instance's state: RUNNING once every thread is a stable member with its tasks
    /// restored, REBALANCING before.
    pub fn streams_state(&self, app: &str, instance: &str) -> Option<InstanceState> {
        let app = self.streams_app(app)?;
        let inst = app.instances.iter().find(|i| i.name == instance)?;
        if inst.state != InstanceState::Running {
            return Some(inst.state);
        }
        let settled = inst.threads.iter().all(|t| {
            self.consumers[t.consumer as usize].phase == JoinPhase::Stable
                && t.tasks.values().all(|x| x.state == TaskState::Running)
        });
        Some(if settled {
            InstanceState::Running
        } else {
            InstanceState::Rebalancing
        })
    }

    /// Every active task of the app, sorted by task id.
    pub fn streams_tasks(&self, app: &str) -> Option<Vec<TaskView>> {
        let app = self.streams_app(app)?;
        let mut tasks = Vec::new();
        for inst in &app.instances {
            for t in &inst.threads {
                for (id, task) in &t.tasks {
                    tasks.push((
                        *id,
                        TaskView {
                            id: id.to_string(),
                            instance: inst.name.clone(),
                            thread: t.name.clone(),
                            state: task.state,
                            restored: task.restores.iter().map(|r| r.position - r.start).sum(),
                            to_restore: task.restores.iter().map(|r| r.end - r.start).sum(),
                        },
                    ));
                }
            }
        }
        tasks.sort_by_key(|(id, _)| *id);
        Some(tasks.into_iter().map(|(_, v)| v).collect())
    }

    /// The instance running task `task` (`0_1`) actively, if any.
    pub fn streams_task_owner(&self, app: &str, task: &str) -> Option<Option<String>> {
        let tasks = self.streams_tasks(app)?;
        Some(tasks.into_iter().find(|t| t.id == task).map(|t| t.instance))
    }

    /// The value an application's store holds for `key`, read as Kafka's interactive queries
    /// read it: from the running active task that hosts the key, through the caching layer
    /// (`CachingKeyValueStore.get`, `CachingWindowStore.fetch`: the thread's record cache
    /// first, then the store), so an update not yet flushed to the changelog is already
    /// visible. A window store is asked for one window of a key (`ReadOnlyWindowStore.fetch(key,
    /// time)`), written as `Windowed` prints it: `[key@start/end]`. `Ok(None)` if absent.
    pub fn streams_store_query(
        &self,
        app: &str,
        store: &str,
        key: &str,
    ) -> Result<Option<String>, String> {
        let a = self
            .streams_app(app)
            .ok_or_else(|| format!("unknown streams app '{app}'"))?;
        let spec = a
            .topology
            .store(store)
            .ok_or_else(|| format!("unknown store '{store}' of streams app '{app}'"))?;
        let key = match spec.kind {
            StoreKind::KeyValue => Val::from_record(Some(key)),
            StoreKind::Windowed { .. } => {
                let (k, window) = windowed::parse_key_text(key).ok_or_else(|| {
                    format!(
                        "'{store}' is a window store: a key is asked for with its window, as Kafka prints a Windowed key: key=[KEY@START/END] in epoch milliseconds (e.g. key=[{key}@0/60000])"
                    )
                })?;
                windowed::cache_key(&WindowedKey { key: k, window })
            }
        };
        for inst in &a.instances {
            for t in &inst.threads {
                // A restoring task's store is not queryable (Kafka: InvalidStateStoreException
                // unless stale stores are enabled).
                for task in t.tasks.values().filter(|x| x.state == TaskState::Running) {
                    if let Some((v, _)) = task.task.query(&t.cache, store, &key) {
                        return Ok(v.to_record());
                    }
                }
            }
        }
        Ok(None)
    }

    /// [`Self::streams_store_query`] for tests: `None` for an unknown app or store or a key a
    /// window store cannot be asked for.
    pub fn streams_store_get(&self, app: &str, store: &str, key: &str) -> Option<Option<String>> {
        self.streams_store_query(app, store, key).ok()
    }

    /// The keys an application's key-value store holds over its running active tasks (what
    /// is flushed from the record cache), or `None` for an unknown app or store.
    pub fn streams_store_len(&self, app: &str, store: &str) -> Option<usize> {
        let a = self.streams_app(app)?;
        a.topology.store(store)?;
        let tasks = a
            .instances
            .iter()
            .flat_map(|i| &i.threads)
            .flat_map(|t| t.tasks.values().filter(|x| x.state == TaskState::Running));
        Some(tasks.filter_map(|x| x.task.store_len(store)).sum())
    }

    /// Changelog records replayed into `store` by restores so far.
    pub fn streams_restored(&self, app: &str, store: &str) -> Option<u64> {
        let app = self.streams_app(app)?;
        app.topology.store(store)?;
        Some(app.counters.restored.get(store).copied().unwrap_or(0))
    }
}
