//! Rooms saved on disk, so a server restart (or a crash) loses nothing a class prepared.
//!
//! A room is its scenario plus the journal of lines typed or clicked, each at its simulated
//! instant: the engine is deterministic, so replaying the journal up to the saved instant gives
//! the same cluster, byte for byte. One JSON file per room in the data directory, written
//! atomically (a temporary file renamed over the old one), so a crash mid-write leaves the
//! previous version. A file that cannot be read or parsed is reported and skipped.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::access::Owner;

/// The file format's version; a newer file is skipped with a message.
pub const FORMAT: u32 = 1;
/// A saved room file larger than this is not read (the journal is bounded far below it).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRoom {
    pub format: u32,
    pub name: String,
    pub owner: Owner,
    /// For a sandbox: the room it was forked from.
    #[serde(default)]
    pub forked_from: Option<String>,
    /// The scenario's id (lesson id or file name) and its text.
    pub scenario_id: String,
    pub scenario_source: String,
    pub journal: Vec<SavedLine>,
    /// The room's simulated instant and how far its timeline had been played.
    pub now_us: u64,
    pub horizon_us: u64,
    pub playing: bool,
    pub speed: f64,
    /// Dropped from memory for lack of viewers: comes back when someone opens it, not at start.
    #[serde(default)]
    pub dormant: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedLine {
    pub at_us: u64,
    pub line: String,
    pub script_done: usize,
}

/// Where rooms are saved.
#[derive(Debug, Clone)]
pub struct DataDir {
    dir: PathBuf,
}

impl DataDir {
    /// `--data-dir`, else `$XDG_DATA_HOME/kafka-playground`, else
    /// `~/.local/share/kafka-playground`, else `./kafka-playground-data`.
    pub fn default_path() -> PathBuf {
        if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir).join("kafka-playground");
        }
        if let Some(home) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
            return PathBuf::from(home).join(".local/share/kafka-playground");
        }
        PathBuf::from("kafka-playground-data")
    }

    pub fn open(dir: &Path) -> std::io::Result<DataDir> {
        let rooms = dir.join("rooms");
        std::fs::create_dir_all(&rooms)?;
        Ok(DataDir { dir: rooms })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn file(&self, name: &str) -> PathBuf {
        // Room names are letters, digits and '-' (checked by `Rooms::valid_name`).
        self.dir.join(format!("{name}.json"))
    }

    /// Writes the room atomically: a crash leaves either the old file or the new one.
    pub fn save(&self, room: &SavedRoom) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(room).map_err(std::io::Error::other)?;
        let tmp = self.dir.join(format!(".{}.json.tmp", room.name));
        std::fs::write(&tmp, json)?;
        std::fs::rename(&tmp, self.file(&room.name))
    }

    pub fn load(&self, name: &str) -> Result<SavedRoom, String> {
        read(&self.file(name))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.file(name).is_file()
    }

    pub fn remove(&self, name: &str) {
        let _ = std::fs::remove_file(self.file(name));
    }

    /// Every saved room that reads cleanly, by name; each problem is returned as a message
    /// (`rooms/x.json: …`) for the caller to report.
    pub fn load_all(&self) -> (Vec<SavedRoom>, Vec<String>) {
        let mut rooms = Vec::new();
        let mut problems = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return (rooms, problems);
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        paths.sort();
        for path in paths {
            match read(&path) {
                Ok(room) => rooms.push(room),
                Err(e) => problems.push(e),
            }
        }
        (rooms, problems)
    }
}

fn read(path: &Path) -> Result<SavedRoom, String> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{shown}: {e}"))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "{shown}: {size} bytes, larger than a saved room can be"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    let room: SavedRoom =
        serde_json::from_slice(&bytes).map_err(|e| format!("{shown}: not a saved room: {e}"))?;
    if room.format != FORMAT {
        return Err(format!(
            "{shown}: saved in format {} (this server reads {FORMAT})",
            room.format
        ));
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    if stem.as_deref() != Some(room.name.as_str()) || !crate::rooms::Rooms::valid_name(&room.name) {
        return Err(format!(
            "{shown}: the room inside is called '{}'",
            room.name
        ));
    }
    Ok(room)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(name: &str) -> SavedRoom {
        SavedRoom {
            format: FORMAT,
            name: name.into(),
            owner: Owner::Presenter,
            forked_from: None,
            scenario_id: "demo".into(),
            scenario_source: "brokers 3\n".into(),
            journal: vec![SavedLine {
                at_us: 5,
                line: "broker kill 1".into(),
                script_done: 1,
            }],
            now_us: 10,
            horizon_us: 10,
            playing: false,
            speed: 1.0,
            dormant: false,
        }
    }

    #[test]
    fn rooms_round_trip_and_bad_files_are_reported() {
        let dir = std::env::temp_dir().join(format!("saved-test-{}", std::process::id()));
        let data = DataDir::open(&dir).unwrap();
        data.save(&room("a")).unwrap();
        data.save(&room("b")).unwrap();
        std::fs::write(data.path().join("c.json"), b"{ not json").unwrap();
        std::fs::write(
            data.path().join("d.json"),
            serde_json::to_vec(&room("e")).unwrap(),
        )
        .unwrap();
        let (rooms, problems) = data.load_all();
        assert_eq!(
            rooms.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(rooms[0], room("a"));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("c.json: not a saved room"));
        assert!(problems[1].contains("called 'e'"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
