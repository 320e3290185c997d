//! The room's loop and its answers to requests: who may ask what (`authorize`), each client
//! message's effect and reply, a partition's inspection.

use engine::command::TopicPartition;
use engine::scenario::parser;
use tokio::sync::mpsc;

use super::clock::STEP_US;
use super::{FRAME_INTERVAL, MemoryReport, Request, Room, Scenario, history, lessons, lifecycle};
use crate::access::Role;
use crate::wire::{self, ClientBody, Reply, WireError};

impl Room {
    pub(super) async fn run(mut self, mut inbox: mpsc::Receiver<Request>) {
        let mut ticks = tokio::time::interval(FRAME_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last = tokio::time::Instant::now();
        let mut last_save = last;
        let mut idle_since: Option<tokio::time::Instant> = None;
        loop {
            let wake = self.early_wake(last, last + FRAME_INTERVAL);
            tokio::select! {
                // Real clients are waiting on the engine's next timer (`real_time.rs`): bring
                // simulated time up to now and answer them; the frame waits for its tick.
                _ = tokio::time::sleep_until(wake.unwrap_or(last)), if wake.is_some() => {
                    let now = tokio::time::Instant::now();
                    let wall = now - last;
                    last = now;
                    self.guarded(|room| {
                        let elapsed = room.clock.elapsed(wall);
                        if elapsed > 0 {
                            room.advance_to(room.cluster.now() + elapsed);
                        }
                        room.answer_clients();
                    });
                }
                _ = ticks.tick() => {
                    let now = tokio::time::Instant::now();
                    let wall = now - last;
                    last = now;
                    self.guarded(|room| {
                        room.keep_real_time(wall);
                        let elapsed = room.clock.elapsed(wall);
                        if elapsed > 0 {
                            room.advance_to(room.cluster.now() + elapsed);
                        }
                        room.flush();
                    });
                    // Nobody watching: pause, and later leave memory (saved, to come back).
                    // A connected Kafka client is someone using the room.
                    if self.frames.receiver_count() == 0 && self.kafka_connections() == 0 {
                        let since = *idle_since.get_or_insert(now);
                        if self.idle(now - since) {
                            break;
                        }
                    } else {
                        idle_since = None;
                    }
                    if now - last_save >= lifecycle::SAVE_INTERVAL {
                        last_save = now;
                        if self.saved_now != self.cluster.now() {
                            self.dirty = true;
                        }
                    }
                }
                request = inbox.recv() => {
                    let Some(request) = request else { break };
                    self.guarded(|room| {
                        room.handle(request);
                        room.flush();
                    });
                }
            }
            if self.dirty {
                self.save(false);
            }
        }
        self.retire();
        tracing::info!(room = %self.name, "room stopped");
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::Snapshot { reply } => {
                let _ = reply.send(self.snapshot());
            }
            Request::Fork { reply } => {
                let _ = reply.send(Box::new(self.seed()));
            }
            Request::Kafka { ask, reply } => {
                let _ = reply.send(self.kafka(ask));
            }
            Request::KafkaProduce {
                client_name,
                produce,
                reply,
            } => self.kafka_produce(client_name, produce, reply),
            Request::KafkaFetch {
                client_name,
                fetch,
                reply,
            } => self.kafka_fetch(client_name, fetch, reply),
            Request::KafkaListOffsets {
                broker,
                reader,
                queries,
                reply,
            } => {
                let _ = reply.send(self.kafka_list_offsets(broker, reader, &queries));
            }
            Request::KafkaInitProducerId { broker, reply } => {
                let _ = reply.send(self.kafka_init_producer_id(broker));
            }
            Request::KafkaClosed { client } => self.kafka_closed(client),
            Request::KafkaGroup { ask, reply } => self.kafka_group(ask, reply),
            Request::KafkaAdmin { ask, reply } => {
                let _ = reply.send(self.kafka_admin(ask));
            }
            Request::Memory { reply } => {
                let _ = reply.send(MemoryReport {
                    now_us: self.cluster.now(),
                    live: self.cluster.memory(),
                    with_history: self.history.memory(&self.cluster),
                    points: self.history.checkpoints.len(),
                });
            }
            Request::Client {
                id,
                body,
                role,
                reply,
            } => {
                let answer = match self
                    .authorize(&body, role)
                    .and_then(|()| self.allowed_with_clients(&body))
                    .and_then(|()| self.client(body))
                {
                    Ok(Answer::Output(output)) => Reply::ok(id, output),
                    Ok(Answer::Inspect(inspect)) => Reply {
                        inspect: Some(inspect),
                        ..Reply::ok(id, None)
                    },
                    Ok(Answer::Replicas(replicas)) => Reply {
                        replicas: Some(replicas),
                        ..Reply::ok(id, None)
                    },
                    Ok(Answer::Lessons(lessons)) => Reply {
                        lessons: Some(lessons),
                        ..Reply::ok(id, None)
                    },
                    Ok(Answer::Diagnostics(found)) => Reply {
                        diagnostics: Some(found),
                        ..Reply::ok(id, None)
                    },

                    Err(mut error) => Reply {
                        diagnostics: error.diagnostics.take(),
                        ..Reply::error(id, error)
                    },
                };
                let _ = reply.send(answer.to_bytes());
            }
        }
    }

    /// Viewers follow the presenter's room: they may look (snapshot, inspect, replicas, lessons, check,
    /// export) but not change it; a sandbox of their own is one `fork` away.
    fn authorize(&self, body: &ClientBody, role: Role) -> Result<(), WireError> {
        let looks = matches!(
            body,
            ClientBody::Snapshot
                | ClientBody::Inspect { .. }
                | ClientBody::Replicas { .. }
                | ClientBody::Lessons
                | ClientBody::Check { .. }
                | ClientBody::Export
                | ClientBody::Fork
        );
        if looks || self.owner.allows(role) {
            Ok(())
        } else {
            Err(WireError::plain(
                "you are following the presenter's room, which only the presenter can change: \
                 press Fork to get a sandbox of your own",
            ))
        }
    }

    fn client(&mut self, body: ClientBody) -> Result<Answer, WireError> {
        match body {
            ClientBody::Command { line } => self.console(&line).map(Answer::Output),
            ClientBody::Play => {
                // Playing on from a pause goes past it, as Next does.
                self.at_pause = false;
                self.player.release_pause(self.cluster.now());
                self.clock.playing = true;
                self.dirty = true;
                Ok(Answer::Output(None))
            }
            ClientBody::Pause => {
                // Saved at once: a server stopped now comes back at exactly this instant.
                self.clock.playing = false;
                self.dirty = true;
                Ok(Answer::Output(None))
            }
            ClientBody::Step => {
                self.at_pause = false;
                self.player.release_pause(self.cluster.now());
                self.clock.playing = false;
                self.advance_to(self.cluster.now() + STEP_US);
                Ok(Answer::Output(None))
            }
            ClientBody::Speed { speed } => {
                self.clock.set_speed(speed).map_err(WireError::plain)?;
                self.dirty = true;
                Ok(Answer::Output(None))
            }
            ClientBody::Inspect { topic, partition } => {
                self.inspect(TopicPartition { topic, partition })
            }
            ClientBody::Replicas { topic, partition } => {
                let tp = TopicPartition { topic, partition };
                crate::state::replica_logs(&self.cluster, &tp)
                    .map(Answer::Replicas)
                    .ok_or_else(|| WireError::plain(format!("unknown partition {tp}")))
            }
            // Answered by the viewer's connection (a snapshot; a new sandbox); nothing to do here.
            ClientBody::Snapshot | ClientBody::Fork => Ok(Answer::Output(None)),
            ClientBody::Lessons => Ok(Answer::Lessons(lessons::all())),
            ClientBody::Check { name, source } => {
                let name = name.unwrap_or_else(|| "scenario".to_string());
                let found = match parser::parse(&name, &source) {
                    Ok(_) => Vec::new(),
                    Err(errors) => diagnostics(errors),
                };
                Ok(Answer::Diagnostics(found))
            }
            ClientBody::Load {
                lesson,
                name,
                source,
            } => {
                let (id, source) = match (lesson, source) {
                    (Some(id), None) => {
                        let source = lessons::source(&id).ok_or_else(|| {
                            WireError::plain(format!("there is no bundled lesson '{id}'"))
                        })?;
                        (id, source)
                    }
                    (None, Some(source)) => {
                        (name.unwrap_or_else(|| "scenario".to_string()), source)
                    }
                    _ => {
                        return Err(WireError::plain(
                            "load needs either \"lesson\" or \"source\"",
                        ));
                    }
                };
                match Scenario::parse(&id, &source) {
                    Ok(scenario) => {
                        self.load(scenario);
                        Ok(Answer::Output(None))
                    }
                    Err(errors) => {
                        let found = diagnostics(errors);
                        Err(WireError::plain(format!(
                            "{} has {} error(s); nothing was run",
                            id,
                            found.len()
                        ))
                        .with_diagnostics(found))
                    }
                }
            }
            ClientBody::Next => {
                // Next goes on past the `pause` the lesson waits at (the page offers it only
                // then: `lesson.at_pause`). With none pending there is nothing to go on from,
                // and starting the clock would be Play under another name: refused, as
                // Previous is with nothing to go back to.
                if !self.waiting_at_pause() {
                    return Err(WireError::plain(
                        "the lesson is not waiting at a pause: there is nothing for Next to go on \
                         from (Play starts the clock)",
                    ));
                }
                self.at_pause = false;
                self.player.release_pause(self.cluster.now());
                self.clock.playing = true;
                Ok(Answer::Output(None))
            }
            ClientBody::Restart => {
                self.load(self.scenario.clone());
                Ok(Answer::Output(None))
            }
            ClientBody::Seek { to_us } => {
                self.seek(to_us)?;
                Ok(Answer::Output(None))
            }
            ClientBody::Previous => {
                self.previous()?;
                Ok(Answer::Output(None))
            }
            ClientBody::Export => {
                // The journal is in time order; after a rewind its future is left out.
                let now = self.cluster.now();
                let journal = &self.history.journal;
                let played = journal.partition_point(|e| e.at_us <= now);
                Ok(Answer::Output(Some(history::export(
                    &self.scenario.script,
                    &self.scenario.source,
                    self.player.script_done(),
                    self.player.holds_ended(),
                    &journal[..played],
                    self.history.clients_dropped_at,
                    now,
                ))))
            }
        }
    }

    fn inspect(&self, tp: TopicPartition) -> Result<Answer, WireError> {
        let Some(p) = self.cluster.partition_snapshot(&tp) else {
            return Err(WireError::plain(format!("unknown partition {tp}")));
        };
        Ok(Answer::Inspect(wire::Inspect {
            topic: tp.topic,
            partition: tp.partition,
            leader: p.leader,
            high_watermark: p.high_watermark,
            log_end_offset: p.log_end_offset,
            log_start_offset: p.log_start_offset,
            replicas: p
                .replica_states
                .iter()
                .map(|r| wire::ReplicaOffsets {
                    broker: r.broker,
                    in_isr: p.isr.contains(&r.broker),
                    log_end_offset: r.log_end_offset,
                    high_watermark: r.high_watermark,
                    log_start_offset: r.log_start_offset,
                })
                .collect(),
            records: p
                .tail
                .into_iter()
                .map(|r| wire::Record {
                    offset: r.offset,
                    key: r.key,
                    value: r.value,
                    timestamp_ms: r.timestamp_us / 1000,
                    leader_epoch: r.leader_epoch,
                })
                .collect(),
        }))
    }
}

pub(super) enum Answer {
    Output(Option<String>),
    Inspect(wire::Inspect),
    Replicas(wire::ReplicaLogs),
    Lessons(Vec<wire::LessonInfo>),
    Diagnostics(Vec<wire::Diagnostic>),
}

pub(super) fn diagnostics(errors: Vec<engine::scenario::Diagnostic>) -> Vec<wire::Diagnostic> {
    errors
        .into_iter()
        .map(|d| wire::Diagnostic {
            line: d.pos.line,
            col: d.pos.col,
            message: d.message,
            hint: d.hint,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use tokio::sync::broadcast;

    use super::super::FRAME_BACKLOG;
    use super::*;

    fn refusal(room: &mut Room, body: ClientBody) -> String {
        match room.client(body) {
            Err(e) => e.message,
            Ok(_) => panic!("accepted"),
        }
    }

    /// `next` goes on past a pending `pause`, and only then: with none pending it is refused
    /// and changes nothing (QA: it answered ok and started a paused clock).
    #[test]
    fn next_without_a_pending_pause_is_refused_and_changes_nothing() {
        let (frames, _viewer) = broadcast::channel(FRAME_BACKLOG);
        // The demo has no pause.
        let mut room = Room::new("t", crate::serve::load_scenario(None).unwrap(), frames);
        room.clock.playing = false;
        room.advance_to(2_000_000);
        let message = refusal(&mut room, ClientBody::Next);
        assert!(message.contains("not waiting at a pause"), "{message}");
        assert!(!room.clock.playing, "the clock stays paused");
        assert_eq!(room.cluster.now(), 2_000_000);

        // A lesson that waits at its pause: Next plays on, once.
        let source = "brokers 1\nsay \"before\"\npause\nsay \"after\"\nwait 5s\npause\n";
        let (frames, _viewer) = broadcast::channel(FRAME_BACKLOG);
        let mut room = Room::new("t", Scenario::parse("t.scenario", source).unwrap(), frames);
        room.advance_to(1_000);
        assert!(room.waiting_at_pause());
        assert!(!room.clock.playing);
        assert!(room.client(ClientBody::Next).is_ok());
        assert!(room.clock.playing);
        let message = refusal(&mut room, ClientBody::Next);
        assert!(message.contains("not waiting at a pause"), "{message}");
        assert_eq!(room.pauses_done, 1);
    }
}
