//! The rooms of one server, by name. `demo` exists from the start. Another room is created only
//! by an explicit act (`POST /api/rooms`, or a viewer's `fork`): opening a page or a socket
//! never creates one, so an `<img src=/r/x>` on some other page cannot fill the server.
//!
//! Rooms are saved in the data directory as they change and come back when the server starts
//! again. A room nobody watches pauses, and later leaves memory (still saved): opening it again
//! brings it back.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::access::{Access, Owner};
use crate::room::{Idle, RoomEnv, RoomHandle, Scenario, Seed, Start};
use crate::saved::{DataDir, SavedRoom};

/// The room `/` shows.
pub const DEFAULT_ROOM: &str = "demo";
/// Rooms in memory at once: the presenter's, and a class of 30 sandboxes with room to spare.
pub const MAX_ROOMS: usize = 48;
/// With a data directory, a room nobody has watched for this long leaves memory (it is saved).
pub const IDLE_DROP: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoomError {
    #[error("a room name is 1 to 32 letters, digits or '-'")]
    BadName,
    #[error("this server already hosts {MAX_ROOMS} rooms")]
    Full,
    #[error("there is no room called '{0}'")]
    Missing(String),
    #[error("a room called '{0}' already exists")]
    Exists(String),
}

/// How a server's rooms behave (tests shorten the idle times).
#[derive(Clone)]
pub struct RoomsOptions {
    pub data: Option<DataDir>,
    pub access: Access,
    pub idle: Idle,
    /// The server's scenario was chosen for this start (`--scenario`): a saved default room
    /// that played another scenario starts afresh with this one.
    pub fresh_default: bool,
}

impl Default for RoomsOptions {
    fn default() -> Self {
        RoomsOptions {
            data: None,
            access: Access::local(),
            idle: Idle::default(),
            fresh_default: false,
        }
    }
}

struct Inner {
    rooms: Mutex<BTreeMap<String, RoomHandle>>,
    /// What a new room plays.
    scenario: Scenario,
    access: Access,
    env: RoomEnv,
}

/// Shared by every request handler.
#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Inner>,
}

impl Rooms {
    /// Rooms kept in memory only, everyone the presenter: the default room plays `scenario`.
    /// Needs a Tokio runtime.
    pub fn new(scenario: Scenario) -> Rooms {
        Rooms::with(scenario, RoomsOptions::default()).0
    }

    /// Rooms as `options` say; saved rooms come back. Returns the problems met reading the
    /// data directory (each a saved room that was skipped).
    pub fn with(scenario: Scenario, options: RoomsOptions) -> (Rooms, Vec<String>) {
        let rooms = Rooms {
            inner: Arc::new_cyclic(|me: &Weak<Inner>| {
                let me = me.clone();
                let idle = Idle {
                    drop_after: options
                        .idle
                        .drop_after
                        .or(options.data.as_ref().map(|_| IDLE_DROP)),
                    ..options.idle
                };
                Inner {
                    rooms: Mutex::default(),
                    scenario,
                    access: options.access.clone(),
                    env: RoomEnv {
                        data: options.data.clone(),
                        idle,
                        sandboxes: Arc::new(AtomicUsize::new(0)),
                        retire: Some(Arc::new(move |name: &str, serial: u64| {
                            if let Some(inner) = me.upgrade() {
                                let mut rooms = inner.rooms.lock().expect("rooms lock");
                                if rooms.get(name).is_some_and(|r| r.serial == serial) {
                                    rooms.remove(name);
                                }
                            }
                        })),
                    },
                }
            }),
        };
        let mut problems = Vec::new();
        if let Some(data) = &options.data {
            let (saved, unreadable) = data.load_all();
            problems.extend(unreadable);
            for room in saved {
                if room.dormant {
                    continue;
                }
                if room.name == DEFAULT_ROOM
                    && options.fresh_default
                    && *room.scenario_source != *rooms.inner.scenario.source
                {
                    continue;
                }
                if let Err(e) = rooms.revive(room) {
                    problems.push(e);
                }
            }
        }
        if rooms.running(DEFAULT_ROOM).is_none() {
            let _ = rooms.revive_or_start(DEFAULT_ROOM, options.fresh_default);
        }
        (rooms, problems)
    }

    pub fn title(&self) -> Option<&str> {
        self.inner.scenario.script.title.as_deref()
    }

    pub fn access(&self) -> &Access {
        &self.inner.access
    }

    pub fn valid_name(name: &str) -> bool {
        (1..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }

    /// Sandboxes alive now.
    pub fn sandboxes(&self) -> usize {
        self.inner.env.sandboxes.load(Ordering::Relaxed)
    }

    /// Rooms in memory now.
    pub fn len(&self) -> usize {
        self.inner.rooms.lock().expect("rooms lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The room called `name` if it is in memory now (never brings one back).
    pub fn running(&self, name: &str) -> Option<RoomHandle> {
        self.inner
            .rooms
            .lock()
            .expect("rooms lock")
            .get(name)
            .cloned()
    }

    /// The room called `name`: running, or brought back from the data directory. Never
    /// creates a room (except the default one, which always exists).
    pub fn get(&self, name: &str) -> Result<RoomHandle, RoomError> {
        if !Self::valid_name(name) {
            return Err(RoomError::BadName);
        }
        if let Some(room) = self.running(name) {
            return Ok(room);
        }
        if name == DEFAULT_ROOM {
            return self.revive_or_start(name, false);
        }
        let saved = self.inner.env.data.as_ref().filter(|d| d.exists(name));
        match saved.map(|d| d.load(name)) {
            Some(Ok(room)) => self
                .revive(room)
                .map_err(|_| RoomError::Missing(name.to_string())),
            Some(Err(e)) => {
                tracing::warn!("skipping a saved room: {e}");
                Err(RoomError::Missing(name.to_string()))
            }
            None => Err(RoomError::Missing(name.to_string())),
        }
    }

    /// Whether a room called `name` exists, running or saved.
    pub fn exists(&self, name: &str) -> bool {
        self.running(name).is_some()
            || self
                .inner
                .env
                .data
                .as_ref()
                .is_some_and(|d| Self::valid_name(name) && d.exists(name))
    }

    /// Creates the presenter's room `name`, playing the server's scenario from the start.
    pub fn create(&self, name: &str) -> Result<RoomHandle, RoomError> {
        if !Self::valid_name(name) {
            return Err(RoomError::BadName);
        }
        if self.exists(name) {
            return Err(RoomError::Exists(name.to_string()));
        }
        self.insert(name, Owner::Presenter, || {
            Start::Scenario(self.inner.scenario.clone())
        })
    }

    /// A sandbox starting exactly at `seed`, under a fresh name (`PARENT-sandbox-XXXX`).
    pub fn fork(&self, seed: Box<Seed>) -> Result<RoomHandle, RoomError> {
        let mut seed = Some(seed);
        for _ in 0..16 {
            let mut suffix = [0u8; 3];
            getrandom::fill(&mut suffix).expect("the operating system's random source works");
            let parent = &seed.as_ref().expect("seed").parent;
            let stem: String = parent.chars().take(16).collect();
            let name = format!(
                "{stem}-sandbox-{:02x}{:02x}{:02x}",
                suffix[0], suffix[1], suffix[2]
            );
            if self.exists(&name) {
                continue;
            }
            return self.insert(&name, Owner::Open, || {
                Start::Fork(seed.take().expect("one fork per seed"))
            });
        }
        Err(RoomError::Full)
    }

    fn insert(
        &self,
        name: &str,
        owner: Owner,
        start: impl FnOnce() -> Start,
    ) -> Result<RoomHandle, RoomError> {
        let mut rooms = self.inner.rooms.lock().expect("rooms lock");
        if let Some(room) = rooms.get(name) {
            return Ok(room.clone());
        }
        if rooms.len() >= MAX_ROOMS {
            return Err(RoomError::Full);
        }
        let room = RoomHandle::start(name, owner, start(), self.inner.env.clone());
        rooms.insert(name.to_string(), room.clone());
        Ok(room)
    }

    /// The default room: its saved session, or the server's scenario afresh.
    fn revive_or_start(&self, name: &str, fresh: bool) -> Result<RoomHandle, RoomError> {
        let saved = self
            .inner
            .env
            .data
            .as_ref()
            .filter(|d| d.exists(name))
            .and_then(|d| d.load(name).ok())
            .filter(|room| !fresh || *room.scenario_source == *self.inner.scenario.source);
        if let Some(room) = saved
            && let Ok(handle) = self.revive(room)
        {
            return Ok(handle);
        }
        self.insert(name, Owner::Presenter, || {
            Start::Scenario(self.inner.scenario.clone())
        })
    }

    /// Starts a saved room again. An error says why it was skipped.
    fn revive(&self, saved: SavedRoom) -> Result<RoomHandle, String> {
        let scenario =
            Scenario::parse(&saved.scenario_id, &saved.scenario_source).map_err(|errors| {
                format!(
                    "saved room '{}': its scenario no longer parses ({})",
                    saved.name,
                    errors.first().map(ToString::to_string).unwrap_or_default()
                )
            })?;
        let name = saved.name.clone();
        let owner = saved.owner;
        self.insert(&name, owner, || Start::Saved(scenario, saved))
            .map_err(|e| format!("saved room '{name}': {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot_field(frame: &crate::room::Frame, pointer: &str) -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_slice(&frame.bytes).unwrap();
        v.pointer(pointer).cloned().unwrap_or_default()
    }

    /// A room nobody watches pauses, then leaves memory saved as dormant; opening it brings it
    /// back where it was. (Tokio's paused clock lets minutes pass at once.)
    #[tokio::test(start_paused = true)]
    async fn idle_rooms_pause_then_leave_memory_and_come_back() {
        let dir = std::env::temp_dir().join(format!("rooms-idle-{}", std::process::id()));
        let data = DataDir::open(&dir).unwrap();
        let (rooms, problems) = Rooms::with(
            crate::serve::load_scenario(None).unwrap(),
            RoomsOptions {
                data: Some(data.clone()),
                idle: Idle {
                    pause_after: Some(Duration::from_secs(2)),
                    drop_after: Some(Duration::from_secs(6)),
                },
                ..Default::default()
            },
        );
        assert!(problems.is_empty());
        let x = rooms.create("x").unwrap();
        assert!(matches!(rooms.create("x"), Err(RoomError::Exists(_))));
        tokio::time::sleep(Duration::from_secs(4)).await;
        let paused = x.snapshot().await.unwrap();
        assert_eq!(snapshot_field(&paused, "/clock/playing"), false);
        let now = snapshot_field(&paused, "/clock/now_us");
        assert!(now.as_u64().unwrap() >= 1_900_000, "{now}");
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(rooms.len(), 0, "both idle rooms left memory");
        assert!(data.load("x").unwrap().dormant);
        // Coming back: the same instant, the same state.
        let back = rooms.get("x").unwrap();
        assert_ne!(back.serial, x.serial);
        let snapshot = back.snapshot().await.unwrap();
        assert_eq!(snapshot_field(&snapshot, "/clock/now_us"), now);
        assert_eq!(
            snapshot_field(&snapshot, "/state/brokers"),
            snapshot_field(&paused, "/state/brokers")
        );
        assert!(matches!(rooms.get("nope"), Err(RoomError::Missing(_))));
        let _ = std::fs::remove_dir_all(dir);
    }
}
