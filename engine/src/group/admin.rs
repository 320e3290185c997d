//! `group add`: creating a consumer group and starting its first consumers.

use crate::cluster::{Cluster, CommandError};
use crate::command::{GroupSpec, OffsetReset};
use crate::config::ConsumerConfig;
use crate::event::Event;
use crate::group::assignor::AssignorKind;
use crate::group::coordinator::{Group, GroupState};
use crate::group::offsets_topic;
use crate::limits;
use crate::time::{Micros, secs};

/// `group.min.session.timeout.ms` = 6000.
pub const GROUP_MIN_SESSION_TIMEOUT_US: Micros = secs(6);
/// `group.max.session.timeout.ms` = 1800000.
pub const GROUP_MAX_SESSION_TIMEOUT_US: Micros = secs(1800);

impl Cluster {
    pub(crate) fn cmd_group_add(&mut self, spec: GroupSpec) -> Result<(), CommandError> {
        if self.brokers.is_empty() {
            return Err(CommandError::NoBrokers);
        }
        if spec.name.is_empty() {
            return Err(CommandError::Invalid("a group needs a name".into()));
        }
        CommandError::limit(limits::check_name("group", &spec.name))?;
        if self.group_index(&spec.name).is_some() {
            return Err(CommandError::Invalid(format!(
                "group '{}' already exists",
                spec.name
            )));
        }
        if spec.topics.is_empty() {
            return Err(CommandError::Invalid(
                "a group subscribes to at least one topic".into(),
            ));
        }
        for t in &spec.topics {
            if !self.topics.contains_key(t) {
                return Err(CommandError::UnknownTopic(t.clone()));
            }
        }
        for (option, value) in [
            ("heartbeat", spec.heartbeat_interval),
            ("max-poll-interval", spec.max_poll_interval),
            ("auto-commit", spec.auto_commit_interval),
        ] {
            if let Some(v) = value {
                CommandError::limit(limits::check_interval(option, v))?;
            }
        }
        if let Some(rate) = spec.rate {
            CommandError::limit(limits::check_consumer_rate(rate))?;
        }
        let mut client = ConsumerConfig::default();
        if let Some(v) = spec.session_timeout {
            client.session_timeout_us = v;
        }
        if let Some(v) = spec.heartbeat_interval {
            client.heartbeat_interval_us = v;
        }
        if let Some(v) = spec.max_poll_interval {
            client.max_poll_interval_us = v;
        }
        if let Some(v) = spec.auto_commit_interval {
            client.auto_commit_interval_us = v;
        }
        if !(GROUP_MIN_SESSION_TIMEOUT_US..=GROUP_MAX_SESSION_TIMEOUT_US)
            .contains(&client.session_timeout_us)
        {
            // The coordinator answers INVALID_SESSION_TIMEOUT outside the broker's bounds.
            return Err(CommandError::Invalid(
                "the session timeout must be between 6s and 30m (group.min/max.session.timeout.ms)"
                    .into(),
            ));
        }
        if client.heartbeat_interval_us == 0
            || client.heartbeat_interval_us >= client.session_timeout_us
        {
            return Err(CommandError::Invalid(
                "heartbeat.interval.ms must be lower than session.timeout.ms".into(),
            ));
        }
        let count = spec.consumers.unwrap_or(1);
        CommandError::limit(limits::check_consumers_per_add(count))?;
        let names: Vec<String> = (1..=count).map(|i| format!("{}-{i}", spec.name)).collect();
        if let Some(n) = names.iter().find(|n| self.consumer_index(n).is_some()) {
            return Err(CommandError::Invalid(format!(
                "consumer '{n}' already exists"
            )));
        }
        CommandError::limit(limits::check_consumers(self.consumers.len(), names.len()))?;
        let replicas = offsets_topic::replicas_for(&spec.name, self.brokers.len() as u32);
        // Consumer configs, the same for every consumer of the group.
        let assignor = spec.assignor.unwrap_or(AssignorKind::Range);
        client.partition_assignment_strategy = assignor;
        client.auto_offset_reset = spec.offset_reset.unwrap_or(OffsetReset::Latest);
        let group = Group::new(
            spec.name.clone(),
            spec.topics.clone(),
            client,
            spec.rate.filter(|r| r.per_hour > 0),
            replicas,
        );
        self.groups.push(group);
        let g = (self.groups.len() - 1) as u32;
        // The offsets partition's leader: the first live, unfenced replica.
        self.refresh_coordinators(false);
        self.emit(Event::GroupCreated {
            group: spec.name.clone(),
            topics: spec.topics.clone(),
            assignor: assignor.name().to_string(),
            coordinator: self.groups[g as usize].coordinator,
        });
        for name in names {
            self.start_consumer(name, g, spec.topics.clone(), None)?;
        }
        Ok(())
    }

    /// `group delete G` (Kafka's DeleteGroups): refused with GROUP_NOT_EMPTY unless the group is
    /// Empty; the group becomes Dead and its committed offsets are deleted. A consumer that joins
    /// later starts a new group of the same name, from generation 0.
    pub(crate) fn cmd_group_delete(&mut self, name: &str) -> Result<(), CommandError> {
        let g = self
            .group_index(name)
            .ok_or_else(|| CommandError::Invalid(format!("unknown group '{name}'")))?;
        let state = self.groups[g as usize].state;
        if state != GroupState::Empty {
            return Err(CommandError::Invalid(format!(
                "group '{name}' is {state}, not Empty: only an empty group can be deleted (GROUP_NOT_EMPTY)"
            )));
        }
        self.delete_group(g);
        Ok(())
    }
}
