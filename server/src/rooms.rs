//! The rooms of one server, by name. `demo` exists from the start; `/r/NAME` opens another,
//! which starts from the same scenario. A class following one presenter shares a room.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::room::{RoomHandle, Scenario};

/// The room `/` shows.
pub const DEFAULT_ROOM: &str = "demo";
/// Rooms one server hosts at most: each is a simulated cluster ticking ten times a second.
pub const MAX_ROOMS: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RoomError {
    #[error("a room name is 1 to 32 letters, digits or '-'")]
    BadName,
    #[error("this server already hosts {MAX_ROOMS} rooms")]
    Full,
}

/// Shared by every request handler.
#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Mutex<BTreeMap<String, RoomHandle>>>,
    /// What a new room plays.
    scenario: Arc<Scenario>,
}

impl Rooms {
    /// Starts the default room playing `script`. Needs a Tokio runtime.
    pub fn new(scenario: Scenario) -> Rooms {
        let rooms = Rooms {
            inner: Arc::default(),
            scenario: Arc::new(scenario),
        };
        rooms
            .get(DEFAULT_ROOM)
            .expect("the default room name is valid");
        rooms
    }

    pub fn title(&self) -> Option<&str> {
        self.scenario.script.title.as_deref()
    }

    pub fn valid_name(name: &str) -> bool {
        (1..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }

    /// The room called `name`, started on first use.
    pub fn get(&self, name: &str) -> Result<RoomHandle, RoomError> {
        if !Self::valid_name(name) {
            return Err(RoomError::BadName);
        }
        let mut rooms = self.inner.lock().expect("rooms lock");
        if let Some(room) = rooms.get(name) {
            return Ok(room.clone());
        }
        if rooms.len() >= MAX_ROOMS {
            return Err(RoomError::Full);
        }
        let room = RoomHandle::spawn(name, (*self.scenario).clone());
        rooms.insert(name.to_string(), room.clone());
        Ok(room)
    }
}
