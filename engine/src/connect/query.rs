//! What `expect` and the page ask about Connect: states as the status API reports them
//! (`GET /connectors/NAME/status`), where tasks run, what systems hold, offsets and counters.

use crate::cluster::Cluster;
use crate::connect::connector::{Connector, Counters};
use crate::connect::storage::{offset_key, source_partition};
use crate::connect::{Connect, System};

impl Cluster {
    pub fn connect(&self) -> &Connect {
        &self.connect
    }
}

impl Connect {
    pub fn connector(&self, name: &str) -> Option<&Connector> {
        self.connector_index(name)
            .map(|c| &self.connectors[c as usize])
    }

    pub fn system(&self, name: &str) -> Option<&System> {
        self.system_index(name).map(|s| &self.systems[s as usize])
    }

    /// The connector's state (`none` once deleted or never created).
    pub fn connector_state(&self, name: &str) -> Option<&'static str> {
        self.connector(name).map(|c| c.state.name())
    }

    /// A task's state (`NAME-ID`), if the connector has that task.
    pub fn task_state(&self, name: &str, id: u32) -> Option<&'static str> {
        self.connector(name)?
            .tasks
            .get(id as usize)
            .map(|t| t.state.name())
    }

    /// The worker running a task, if any.
    pub fn task_worker(&self, name: &str, id: u32) -> Option<&str> {
        let w = self.connector(name)?.tasks.get(id as usize)?.worker?;
        Some(&self.workers[w as usize].name)
    }

    /// The connector's tasks (`tasks.max` is a ceiling: this may be fewer).
    pub fn task_count(&self, name: &str) -> Option<usize> {
        self.connector(name).map(|c| c.tasks.len())
    }

    pub fn counters(&self, name: &str) -> Option<&Counters> {
        self.connector(name).map(|c| &c.counters)
    }

    /// The source offset flushed for a connector and one of its systems (the offsets store's
    /// value under `["NAME",{partition}]`), if any was written.
    pub fn flushed_offset(&self, name: &str, system: &str) -> Option<u64> {
        let c = self.connector(name)?;
        let sys = self.system(system)?;
        let key = offset_key(&c.name, &source_partition(sys.kind, &sys.name));
        let store = match c.cluster {
            Some(cl) => &self.clusters[cl as usize].offsets,
            None => &self.workers[c.worker as usize].offsets,
        };
        store.offset(&key)
    }

    /// Whether a worker process is up.
    pub fn worker_alive(&self, name: &str) -> Option<bool> {
        self.worker_index(name)
            .map(|w| self.workers[w as usize].alive)
    }
}
