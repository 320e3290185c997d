//! The Connect commands (`Command::Connect`), their dispatch, and the external systems' own
//! commands and rate timer.

use crate::cluster::{Cluster, CommandError, Timer};
use crate::command::Rate;
use crate::connect::MAX_SYSTEMS;
use crate::connect::system::{System, SystemKind};
use crate::limits;

/// Everything a scenario or the console can ask of Connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectCommand {
    /// `system table NAME [rate=R] [write-rate=R]` / `system file NAME …`.
    SystemCreate {
        name: String,
        kind: SystemKind,
        rate: Option<Rate>,
        write_rate: Option<Rate>,
    },
    /// `system insert NAME TEXT [count=N]`: an application writes rows or lines.
    SystemInsert {
        name: String,
        text: String,
        count: u32,
    },
    /// `system unavailable NAME` / `system available NAME`.
    SystemAvailable {
        name: String,
        available: bool,
    },
    /// `system rate NAME R`: rows or lines added per second from now (0/s stops).
    SystemRate {
        name: String,
        rate: Rate,
    },
    /// `worker add NAME`: a standalone worker.
    WorkerAdd {
        name: String,
    },
    /// `worker add NAME mode=distributed [group=G] [scheduled.rebalance.max.delay.ms=N]`.
    WorkerAddDistributed {
        name: String,
        group: Option<String>,
        max_delay_ms: Option<u32>,
    },
    /// `worker stop NAME`: a clean shutdown.
    WorkerStop {
        name: String,
    },
    /// `worker crash NAME`.
    WorkerCrash {
        name: String,
    },
    /// `worker restart NAME`.
    WorkerRestart {
        name: String,
    },
    /// `connector create NAME worker=W KEY=VALUE…`.
    ConnectorCreate {
        name: String,
        worker: String,
        config: Vec<(String, String)>,
    },
    ConnectorPause {
        name: String,
    },
    ConnectorResume {
        name: String,
    },
    ConnectorStop {
        name: String,
    },
    ConnectorRestart {
        name: String,
        include_tasks: bool,
        only_failed: bool,
    },
    ConnectorDelete {
        name: String,
    },
    /// `task restart NAME-ID`.
    TaskRestart {
        connector: String,
        task: u32,
    },
}

impl Cluster {
    pub(crate) fn cmd_connect(&mut self, command: ConnectCommand) -> Result<(), CommandError> {
        use ConnectCommand as C;
        match command {
            C::SystemCreate {
                name,
                kind,
                rate,
                write_rate,
            } => self.cmd_system_create(name, kind, rate, write_rate),
            C::SystemInsert { name, text, count } => self.cmd_system_insert(&name, &text, count),
            C::SystemAvailable { name, available } => {
                let s = self.system(&name)?;
                self.connect.systems[s as usize].unavailable = !available;
                Ok(())
            }
            C::SystemRate { name, rate } => {
                let s = self.system(&name)?;
                CommandError::limit(limits::check_consumer_rate(rate))?;
                let now = self.now;
                let rate = (rate.per_hour > 0).then_some(rate);
                self.connect.systems[s as usize].set_rate(rate, now);
                self.schedule_system_tick(s);
                Ok(())
            }
            C::WorkerAdd { name } => self.cmd_worker_add(name),
            C::WorkerAddDistributed {
                name,
                group,
                max_delay_ms,
            } => self.cmd_worker_add_distributed(name, group, max_delay_ms),
            C::WorkerStop { name } => self.cmd_worker_stop(&name),
            C::WorkerCrash { name } => self.cmd_worker_crash(&name),
            C::WorkerRestart { name } => self.cmd_worker_restart(&name),
            C::ConnectorCreate {
                name,
                worker,
                config,
            } => self.cmd_connector_create(name, &worker, config),
            C::ConnectorPause { name } => self.cmd_connector_pause(&name),
            C::ConnectorResume { name } => self.cmd_connector_resume(&name),
            C::ConnectorStop { name } => self.cmd_connector_stop(&name),
            C::ConnectorRestart {
                name,
                include_tasks,
                only_failed,
            } => self.cmd_connector_restart(&name, include_tasks, only_failed),
            C::ConnectorDelete { name } => self.cmd_connector_delete(&name),
            C::TaskRestart { connector, task } => self.cmd_task_restart(&connector, task),
        }
    }

    fn system(&self, name: &str) -> Result<u32, CommandError> {
        self.connect
            .system_index(name)
            .ok_or_else(|| CommandError::Invalid(format!("unknown system '{name}'")))
    }

    fn cmd_system_create(
        &mut self,
        name: String,
        kind: SystemKind,
        rate: Option<Rate>,
        write_rate: Option<Rate>,
    ) -> Result<(), CommandError> {
        CommandError::limit(limits::check_name("system", &name))?;
        if self.connect.system_index(&name).is_some() {
            return Err(CommandError::Invalid(format!(
                "system '{name}' already exists"
            )));
        }
        if self.connect.systems.len() >= MAX_SYSTEMS {
            return Err(CommandError::Limit(format!(
                "at most {MAX_SYSTEMS} systems in a cluster"
            )));
        }
        for r in [rate, write_rate].into_iter().flatten() {
            CommandError::limit(limits::check_consumer_rate(r))?;
        }
        let mut system = System::new(name, kind, self.now);
        system.set_rate(rate, self.now);
        system.write_rate = write_rate;
        self.connect.systems.push(system);
        self.schedule_system_tick((self.connect.systems.len() - 1) as u32);
        Ok(())
    }

    fn cmd_system_insert(
        &mut self,
        name: &str,
        text: &str,
        count: u32,
    ) -> Result<(), CommandError> {
        let s = self.system(name)?;
        let system = &mut self.connect.systems[s as usize];
        if system.len() + count as usize > crate::connect::system::MAX_SYSTEM_ENTRIES {
            return Err(CommandError::Limit(format!(
                "a system holds at most {} rows or lines",
                crate::connect::system::MAX_SYSTEM_ENTRIES
            )));
        }
        for _ in 0..count {
            system
                .insert(text)
                .map_err(|e| CommandError::Invalid(e.0))?;
        }
        Ok(())
    }

    fn schedule_system_tick(&mut self, s: u32) {
        let system = &mut self.connect.systems[s as usize];
        system.token += 1;
        let token = system.token;
        if let Some(at) = system.next_generated_us() {
            self.schedule(at.max(self.now), Timer::ConnectSystem { system: s, token });
        }
    }

    /// A system's rate adds its due rows or lines.
    pub(crate) fn connect_system_tick(&mut self, s: u32, token: u64) {
        let now = self.now;
        let system = &mut self.connect.systems[s as usize];
        if system.token != token {
            return;
        }
        system.generate_due(now);
        self.schedule_system_tick(s);
    }
}
