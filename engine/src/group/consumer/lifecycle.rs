//! A consumer process's life: started (`consumer add`, or a Streams thread's main consumer),
//! restarted as a new member, `close()`d, crashed, stalled inside its poll loop, its processing
//! rate changed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::client::{Application, ClientMetadata};
use crate::cluster::{Cluster, CommandError};
use crate::command::{ConsumerSpec, Rate, TopicPartition};
use crate::event::Event;
use crate::group::coordinator::GroupRequest;
use crate::limits;

use super::{ClientState, CommitReason, Consumer, JoinPhase, Pending};

impl Cluster {
    pub(crate) fn consumer_index(&self, name: &str) -> Option<u32> {
        self.consumers
            .iter()
            .position(|c| c.name == name)
            .map(|i| i as u32)
    }

    /// Starts a consumer in group `g` (it finds the coordinator and joins at its first poll).
    pub(crate) fn start_consumer(
        &mut self,
        name: String,
        g: u32,
        topics: Vec<String>,
        rate: Option<Rate>,
    ) -> Result<u32, CommandError> {
        if self.consumer_index(&name).is_some() {
            return Err(CommandError::Invalid(format!(
                "consumer '{name}' already exists (member ids are never reused)"
            )));
        }
        CommandError::limit(limits::check_consumers(self.consumers.len(), 1))?;
        for t in &topics {
            if !self.topics.contains_key(t) {
                return Err(CommandError::UnknownTopic(t.clone()));
            }
        }
        let id = self.consumers.len() as u32;
        let process = self.new_process(name.clone(), name.clone(), 1, g, topics, rate);
        self.consumers.push(process);
        let group = self.groups[g as usize].name.clone();
        self.emit(Event::ConsumerStarted {
            consumer: name,
            group,
        });
        self.consumer_poll(id);
        Ok(id)
    }

    /// Starts a Streams thread's main consumer in the app's group (subscribed to the
    /// topology's source topics, the internal ones before they exist, as Kafka's subscription
    /// covers them); the caller polls it once the thread knows its consumer.
    pub(crate) fn start_stream_consumer(
        &mut self,
        name: String,
        g: u32,
        topics: Vec<String>,
        thread: crate::streams::runtime::ThreadRef,
    ) -> u32 {
        let id = self.consumers.len() as u32;
        let mut process = self.new_process(name.clone(), name.clone(), 1, g, topics, None);
        process.streams = Some(thread);
        self.consumers.push(process);
        let group = self.groups[g as usize].name.clone();
        self.emit(Event::ConsumerStarted {
            consumer: name,
            group,
        });
        id
    }

    /// A consumer process that has not polled yet: no coordinator, no partitions, nothing
    /// buffered. `rate: None` takes the group's processing rate.
    fn new_process(
        &self,
        name: String,
        member_id: String,
        incarnation: u32,
        g: u32,
        topics: Vec<String>,
        rate: Option<Rate>,
    ) -> Consumer {
        let now = self.now;
        let group = &self.groups[g as usize];
        Consumer {
            member_id,
            incarnation,
            name,
            group: g,
            topics,
            config: group.client,
            application: Application::Process {
                rate: rate.or(group.rate),
            },
            state: ClientState::Running,
            stalled: false,
            coordinator: None,
            phase: JoinPhase::Unjoined,
            rejoin_needed: false,
            generation: -1,
            joining_generation: -1,
            last_assignment: Vec::new(),
            owned: BTreeMap::new(),
            requests: BTreeMap::new(),
            fetches: BTreeMap::new(),
            retry_coordinator_at: now,
            last_heartbeat_sent_us: now,
            last_heartbeat_ok_us: now,
            next_auto_commit_us: now + group.client.auto_commit_interval_us,
            in_process: VecDeque::new(),
            process_started_us: now,
            processed_in_batch: 0,
            last_poll_us: now,
            poll_cursor: 0,
            metadata: ClientMetadata::empty(),
            connections: Default::default(),
            group_subscription: Vec::new(),
            awaiting_metadata: None,
            assignment_snapshot: None,
            tick_at: None,
            consumed: 0,
            streams: None,
            connect: None,
            pause_all: false,
            paused: BTreeSet::new(),
            unresolved: Vec::new(),
        }
    }

    /// `consumer restart`: a crashed or stopped consumer's application is started again. It is
    /// a new process: a new member id (Kafka gives a restarted client without
    /// `group.instance.id` a fresh one), nothing buffered, positions from the group's committed
    /// offsets. While the coordinator still lists the old, crashed member, the group's rebalance
    /// waits for it until its session times out (or the rebalance timeout passes), as in Kafka.
    pub(crate) fn cmd_consumer_restart(&mut self, name: &str) -> Result<(), CommandError> {
        let id = self
            .consumer_index(name)
            .ok_or_else(|| CommandError::Invalid(format!("unknown consumer '{name}'")))?;
        let old = &self.consumers[id as usize];
        if !matches!(old.state, ClientState::Crashed | ClientState::Stopped) {
            return Err(CommandError::Invalid(format!(
                "consumer '{name}' is running (only a crashed or stopped consumer can be restarted)"
            )));
        }
        self.replace_consumer_process(id);
        Ok(())
    }

    /// A new process of consumer `id` (same client id, the next member id `NAME~N`) takes the
    /// place of the old one, which sends nothing more.
    pub(crate) fn replace_consumer_process(&mut self, id: u32) {
        let old = &self.consumers[id as usize];
        let name = old.name.clone();
        let incarnation = old.incarnation.saturating_add(1);
        let (g, topics, rate) = (old.group, old.topics.clone(), old.application.rate());
        let member_id = format!("{name}~{incarnation}");
        let process = self.new_process(name.clone(), member_id, incarnation, g, topics, rate);
        self.consumers[id as usize] = process;
        let group = self.groups[g as usize].name.clone();
        self.emit(Event::ConsumerStarted {
            consumer: name,
            group,
        });
        self.consumer_poll(id);
    }

    pub(crate) fn cmd_consumer_add(&mut self, spec: ConsumerSpec) -> Result<(), CommandError> {
        let g = self
            .group_index(&spec.group)
            .ok_or_else(|| CommandError::Invalid(format!("unknown group '{}'", spec.group)))?;
        let topics = spec
            .topics
            .unwrap_or_else(|| self.groups[g as usize].topics.clone());
        if topics.is_empty() {
            return Err(CommandError::Invalid(
                "a consumer subscribes to at least one topic".into(),
            ));
        }
        CommandError::limit(limits::check_name("consumer", &spec.name))?;
        if let Some(rate) = spec.rate {
            CommandError::limit(limits::check_consumer_rate(rate))?;
        }
        self.start_consumer(spec.name, g, topics, spec.rate)
            .map(|_| ())
    }

    fn running_consumer(&self, name: &str) -> Result<u32, CommandError> {
        let id = self
            .consumer_index(name)
            .ok_or_else(|| CommandError::Invalid(format!("unknown consumer '{name}'")))?;
        match self.consumers[id as usize].state {
            ClientState::Running => Ok(id),
            ClientState::Closing | ClientState::Stopped => Err(CommandError::Invalid(format!(
                "consumer '{name}' is already stopped"
            ))),
            ClientState::Crashed => Err(CommandError::Invalid(format!(
                "consumer '{name}' has crashed"
            ))),
        }
    }

    /// `consumer stop`: `KafkaConsumer.close()`: commit the positions, revoke, LeaveGroup.
    pub(crate) fn cmd_consumer_stop(&mut self, name: &str) -> Result<(), CommandError> {
        let id = self.running_consumer(name)?;
        let c = &mut self.consumers[id as usize];
        c.state = ClientState::Closing;
        c.stalled = false;
        // The application leaves its loop: records it was handed but has not processed are not
        // committed (positions only move when a record is processed), so the next owner reads
        // them again.
        c.in_process.clear();
        let commit = c.generation >= 0
            && c.coordinator.is_some()
            && !c.positions().is_empty()
            && c.is_member();
        if commit {
            self.send_commit(id, CommitReason::Close);
        } else {
            self.finish_close(id);
        }
        Ok(())
    }

    pub(super) fn finish_close(&mut self, id: u32) {
        let c = &self.consumers[id as usize];
        if c.state != ClientState::Closing {
            return;
        }
        let revoked: Vec<TopicPartition> = c.owned.keys().cloned().collect();
        self.revoke(id, revoked, "closing");
        let c = &self.consumers[id as usize];
        if (c.generation >= 0 || c.phase != JoinPhase::Unjoined) && c.config.leave_group_on_close {
            let member = c.member_id.clone();
            self.send_group_request(id, Pending::Leave, GroupRequest::LeaveGroup { member });
        }
        let c = &mut self.consumers[id as usize];
        c.state = ClientState::Stopped;
        c.phase = JoinPhase::Unjoined;
        c.generation = -1;
        c.requests.retain(|_, (_, k)| *k == Pending::Leave);
        c.fetches.clear();
        let (consumer, group) = self.client_names(id);
        self.emit(Event::ConsumerStopped {
            consumer,
            group,
            crashed: false,
        });
        // A Connect task restart may be waiting for this close (`Worker.stopAndAwaitTask`).
        self.connect_consumer_closed(id);
    }

    /// `consumer crash`: the process is gone; nothing more is sent and answers are dropped.
    pub(crate) fn cmd_consumer_crash(&mut self, name: &str) -> Result<(), CommandError> {
        let id = self.running_consumer(name)?;
        let c = &mut self.consumers[id as usize];
        c.state = ClientState::Crashed;
        c.requests.clear();
        c.fetches.clear();
        c.in_process.clear();
        let (consumer, group) = self.client_names(id);
        self.emit(Event::ConsumerStopped {
            consumer,
            group,
            crashed: true,
        });
        Ok(())
    }

    pub(crate) fn cmd_consumer_stall(
        &mut self,
        name: &str,
        stall: bool,
    ) -> Result<(), CommandError> {
        let id = self.running_consumer(name)?;
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        if c.stalled == stall {
            return Err(CommandError::Invalid(format!(
                "consumer '{name}' is already {}",
                if stall { "stalled" } else { "polling" }
            )));
        }
        c.stalled = stall;
        if !stall {
            c.last_poll_us = now;
            c.process_started_us = now;
            c.processed_in_batch = 0;
        }
        let (consumer, group) = self.client_names(id);
        self.emit(Event::ConsumerStalled {
            consumer,
            group,
            stalled: stall,
        });
        self.consumer_poll(id);
        Ok(())
    }

    pub(crate) fn cmd_consumer_rate(&mut self, name: &str, rate: Rate) -> Result<(), CommandError> {
        let id = self.running_consumer(name)?;
        CommandError::limit(limits::check_consumer_rate(rate))?;
        let now = self.now;
        let c = &mut self.consumers[id as usize];
        c.application = Application::Process {
            rate: (rate.per_hour > 0).then_some(rate),
        };
        c.process_started_us = now;
        c.processed_in_batch = 0;
        self.consumer_poll(id);
        Ok(())
    }

    /// The consumer's and its group's names, as events carry them.
    pub(super) fn client_names(&self, id: u32) -> (String, String) {
        let c = &self.consumers[id as usize];
        (c.name.clone(), self.groups[c.group as usize].name.clone())
    }

    /// Whether a consumer has stopped or crashed (its answers are dropped).
    pub(crate) fn consumer_gone(&self, id: u32) -> bool {
        matches!(
            self.consumers[id as usize].state,
            ClientState::Stopped | ClientState::Crashed
        )
    }
}
