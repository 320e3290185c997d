//! Connect workers in standalone mode (`connect-standalone`, `StandaloneHerder`): one process
//! runs its connectors and all their tasks, keeps source offsets in a local file and has no
//! fault tolerance: while it is down its connectors do nothing; when it comes back it starts
//! them again (from the connector properties it is started with) and its source tasks resume
//! from the offsets last flushed to its file.

use crate::cluster::{Cluster, CommandError};
use crate::connect::MAX_WORKERS;
use crate::connect::connector::{State, Stop, TargetState};
use crate::connect::storage::OffsetsFile;
use crate::limits;

/// One worker process.
#[derive(Debug, Clone)]
pub struct Worker {
    pub name: String,
    pub alive: bool,
    /// Down after `worker crash`, not a clean `worker stop`: a stopped worker shut its tasks
    /// down (offsets flushed, statuses written, its group left), a crashed one left them as
    /// they were. The page draws the two differently.
    pub crashed: bool,
    /// Times it was started (1 for the first process).
    pub incarnation: u32,
    /// Its `offset.storage.file.filename`: survives a crash (it is on disk).
    pub offsets: OffsetsFile,
    /// A distributed worker's membership in its Connect group (`None`: standalone).
    pub distributed: Option<Box<crate::connect::distributed::Member>>,
}

impl Cluster {
    pub(crate) fn worker(&self, name: &str) -> Result<u32, CommandError> {
        self.connect
            .worker_index(name)
            .ok_or_else(|| CommandError::Invalid(format!("unknown worker '{name}'")))
    }

    /// `worker add NAME`: a standalone worker starts (no connectors yet).
    pub fn cmd_worker_add(&mut self, name: String) -> Result<(), CommandError> {
        if self.brokers.is_empty() {
            return Err(CommandError::NoBrokers);
        }
        CommandError::limit(limits::check_name("worker", &name))?;
        if self.connect.worker_index(&name).is_some() {
            return Err(CommandError::Invalid(format!(
                "worker '{name}' already exists"
            )));
        }
        if self.connect.workers.len() >= MAX_WORKERS {
            return Err(CommandError::Limit(format!(
                "at most {MAX_WORKERS} workers in a cluster"
            )));
        }
        self.connect.workers.push(Worker {
            name,
            alive: true,
            crashed: false,
            incarnation: 1,
            offsets: OffsetsFile::default(),
            distributed: None,
        });
        Ok(())
    }

    /// The worker's connectors, in creation order.
    fn connectors_of(&self, w: u32) -> Vec<u32> {
        (0..self.connect.connectors.len() as u32)
            .filter(|&c| {
                let conn = &self.connect.connectors[c as usize];
                conn.worker == w && !conn.deleted && conn.cluster.is_none()
            })
            .collect()
    }

    /// `worker crash NAME`: the process dies. Its tasks stop where they are: records their
    /// producers had not sent are gone, offsets not yet flushed to the file are lost, its sink
    /// consumers vanish from their groups (noticed after the session timeout). Nothing runs the
    /// connectors until the worker is back: their status is UNASSIGNED.
    pub fn cmd_worker_crash(&mut self, name: &str) -> Result<(), CommandError> {
        let w = self.worker(name)?;
        if !self.connect.workers[w as usize].alive {
            return Err(CommandError::Invalid(format!("worker '{name}' is down")));
        }
        self.connect.workers[w as usize].crashed = true;
        if self.connect.workers[w as usize].distributed.is_some() {
            self.distributed_worker_crash(w);
            return Ok(());
        }
        self.connect.workers[w as usize].alive = false;
        for c in self.connectors_of(w) {
            self.stop_connector_tasks(c, Stop::Crashed, State::Unassigned);
            self.connect.connectors[c as usize].state = State::Unassigned;
        }
        Ok(())
    }

    /// `worker restart NAME`: the process starts again with the same connector properties:
    /// every connector and task starts anew (a task FAILED before the crash runs again: the
    /// new process knows nothing of it); sources resume from the offsets file.
    pub fn cmd_worker_restart(&mut self, name: &str) -> Result<(), CommandError> {
        let w = self.worker(name)?;
        let worker = &mut self.connect.workers[w as usize];
        if worker.alive {
            return Err(CommandError::Invalid(format!(
                "worker '{name}' is running (only a crashed worker can be restarted)"
            )));
        }
        worker.alive = true;
        worker.crashed = false;
        worker.incarnation += 1;
        if worker.distributed.is_some() {
            self.distributed_worker_restart(w);
            return Ok(());
        }
        for c in self.connectors_of(w) {
            // StandaloneHerder keeps target states in memory (`MemoryConfigBackingStore`): the
            // new process starts every connector from its properties file, paused or not before.
            self.connect.connectors[c as usize].target = TargetState::Started;
            self.start_connector(c);
        }
        Ok(())
    }

    /// `worker stop NAME`: a clean shutdown. Its tasks stop as Connect stops them (sources
    /// flush their offsets, sinks commit and leave their groups) and report UNASSIGNED; a
    /// distributed worker then leaves its group. `worker restart` starts it again.
    pub fn cmd_worker_stop(&mut self, name: &str) -> Result<(), CommandError> {
        let w = self.worker(name)?;
        if !self.connect.workers[w as usize].alive {
            return Err(CommandError::Invalid(format!("worker '{name}' is down")));
        }
        if self.connect.workers[w as usize].distributed.is_some() {
            self.distributed_worker_stop(w);
            return Ok(());
        }
        self.connect.workers[w as usize].alive = false;
        for c in self.connectors_of(w) {
            self.stop_connector_tasks(c, Stop::Clean, State::Unassigned);
            self.connect.connectors[c as usize].state = State::Unassigned;
        }
        Ok(())
    }
}
