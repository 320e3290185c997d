//! Timeline markers: the moments of a room's timeline worth seeking to (a broker killed or
//! restarted, a leader elected, an ISR changed, a group rebalancing, the network cut or healed),
//! taken from the engine's events as they happen.
//!
//! Markers belong to the timeline, like the journal (wire.rs, "markers"): a rewind keeps them
//! (those after now are the recorded future), replaying the same instants adds nothing (the
//! engine is deterministic, so a replayed event is one already marked), and a fork drops those
//! after the new horizon. At most [`wire::MAX_MARKERS`] are kept, the oldest dropped first.

use std::collections::BTreeSet;

use engine::event::{ElectionReason, Event, TimedEvent};
use engine::group::GroupState;
use engine::time::Micros;

use crate::wire::{self, Marker};

/// Lines one marker's title names before "and N more".
const MAX_DETAILS: usize = 6;

/// The events of one kind at one instant.
#[derive(Debug, Clone)]
struct Entry {
    at_us: Micros,
    kind: &'static str,
    details: Vec<String>,
    /// Details beyond [`MAX_DETAILS`], counted.
    more: usize,
}

impl Entry {
    fn wire(&self) -> Marker {
        let mut title = self.details.join("\n");
        if self.more > 0 {
            title.push_str(&format!("\nand {} more", self.more));
        }
        Marker {
            at_us: self.at_us,
            kind: self.kind,
            title,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Markers {
    /// In (instant, kind) order.
    list: Vec<Entry>,
    /// Markers added or grown since the last frame.
    changed: BTreeSet<(Micros, &'static str)>,
}

impl Markers {
    /// Marks `e` if it is a moment worth seeking to.
    pub fn push(&mut self, e: &TimedEvent) {
        if let Some((kind, detail)) = describe(&e.event) {
            self.add(e.at_us, kind, detail);
        }
    }

    fn add(&mut self, at_us: Micros, kind: &'static str, detail: String) {
        let key = (at_us, kind);
        match self.list.binary_search_by(|m| (m.at_us, m.kind).cmp(&key)) {
            Ok(i) => {
                let m = &mut self.list[i];
                // A replay after a rewind brings the same events again: already marked.
                if m.details.contains(&detail) {
                    return;
                }
                if m.details.len() < MAX_DETAILS {
                    m.details.push(detail);
                } else {
                    m.more += 1;
                }
            }
            Err(i) => {
                self.list.insert(
                    i,
                    Entry {
                        at_us,
                        kind,
                        details: vec![detail],
                        more: 0,
                    },
                );
                if self.list.len() > wire::MAX_MARKERS {
                    let gone = self.list.remove(0);
                    self.changed.remove(&(gone.at_us, gone.kind));
                    if (gone.at_us, gone.kind) == key {
                        return;
                    }
                }
            }
        }
        self.changed.insert(key);
    }

    /// Someone acted at `now` after a rewind: the markers of the old future go with it.
    pub fn fork(&mut self, now: Micros) {
        self.list.retain(|m| m.at_us <= now);
        self.changed.retain(|(at, _)| *at <= now);
    }

    /// The markers added or grown since the last call, for a frame.
    pub fn take_changed(&mut self) -> Vec<Marker> {
        let changed = std::mem::take(&mut self.changed);
        self.list
            .iter()
            .filter(|m| changed.contains(&(m.at_us, m.kind)))
            .map(Entry::wire)
            .collect()
    }

    /// Every marker, for a snapshot.
    pub fn all(&self) -> Vec<Marker> {
        self.list.iter().map(Entry::wire).collect()
    }
}

fn set(ids: &[u32]) -> String {
    let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
    format!("{{{}}}", ids.join(","))
}

fn broker_or_none(b: Option<u32>) -> String {
    b.map_or_else(|| "none".to_string(), |b| b.to_string())
}

/// (kind, one line) for an event worth a marker.
fn describe(event: &Event) -> Option<(&'static str, String)> {
    Some(match event {
        Event::BrokerDown { broker, controlled } => (
            "broker-down",
            if *controlled {
                format!("broker {broker} shut down")
            } else {
                format!("broker {broker} killed")
            },
        ),
        // A broker's first start is the cluster's setup, not a moment to go back to.
        Event::BrokerUp {
            broker,
            restarted: true,
        } => ("broker-up", format!("broker {broker} restarted")),
        Event::LeaderElected {
            topic,
            partition,
            previous,
            leader,
            reason,
            ..
        } if *reason != ElectionReason::Initial => (
            "election",
            format!(
                "{topic}/{partition} leader {} → {}",
                broker_or_none(*previous),
                broker_or_none(*leader)
            ),
        ),
        Event::IsrChanged {
            topic,
            partition,
            before,
            after,
            ..
        } => (
            "isr",
            format!("{topic}/{partition} ISR {} → {}", set(before), set(after)),
        ),
        Event::GroupStateChanged {
            group,
            state: GroupState::PreparingRebalance,
            reason,
            ..
        } => ("rebalance", format!("group {group} rebalances: {reason}")),
        Event::NetworkPartitioned { side_a, side_b } => (
            "cut",
            format!("network partition {} / {}", set(side_a), set(side_b)),
        ),
        Event::BrokerIsolated { broker } => ("cut", format!("broker {broker} isolated")),
        Event::NetworkHealed => ("heal", "network healed".to_string()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at_us: Micros, event: Event) -> TimedEvent {
        TimedEvent { at_us, event }
    }

    fn kill(broker: u32) -> Event {
        Event::BrokerDown {
            broker,
            controlled: false,
        }
    }

    #[test]
    fn one_marker_per_kind_and_instant_and_a_replay_adds_nothing() {
        let mut m = Markers::default();
        m.push(&at(5, kill(1)));
        m.push(&at(5, kill(2)));
        m.push(&at(5, Event::NetworkHealed));
        let all = m.all();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].kind, "broker-down");
        assert_eq!(all[0].title, "broker 1 killed\nbroker 2 killed");
        assert_eq!(m.take_changed(), all);
        // The same events again (a replay after a rewind): nothing new, nothing to send.
        m.push(&at(5, kill(2)));
        m.push(&at(5, Event::NetworkHealed));
        assert!(m.take_changed().is_empty());
        assert_eq!(m.all(), all);
    }

    #[test]
    fn a_fork_drops_the_old_future_and_the_list_stays_bounded() {
        let mut m = Markers::default();
        for t in 0..(wire::MAX_MARKERS as u64 + 10) {
            m.push(&at(t, kill(1)));
        }
        let all = m.all();
        assert_eq!(all.len(), wire::MAX_MARKERS);
        assert_eq!(all[0].at_us, 10, "the oldest went first");
        m.fork(100);
        assert_eq!(m.all().last().unwrap().at_us, 100);
        assert!(m.take_changed().iter().all(|k| k.at_us <= 100));
    }
}
