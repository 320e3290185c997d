//! The bundled lessons: scenario files in `static/lessons/`, embedded in the binary.

use engine::scenario::{Action, parser};

use crate::assets::Static;
use crate::wire::LessonInfo;

const FOLDER: &str = "lessons/";

/// Every bundled lesson, in file order (`01-…`, `02-…`).
pub fn all() -> Vec<LessonInfo> {
    let mut files: Vec<String> = Static::iter()
        .filter(|p| p.starts_with(FOLDER) && p.ends_with(".scenario"))
        .map(|p| p.into_owned())
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|path| {
            let source = crate::assets::text(&path)?;
            let id = path
                .trim_start_matches(FOLDER)
                .trim_end_matches(".scenario")
                .to_string();
            let script = parser::parse(&path, &source).ok();
            Some(LessonInfo {
                title: script.as_ref().and_then(|s| s.title.clone()),
                pauses: script.as_ref().map_or(0, |s| pauses(&s.steps)),
                id,
                source,
            })
        })
        .collect()
}

/// One lesson's text by id (`05-rebalancing`).
pub fn source(id: &str) -> Option<String> {
    if !crate::rooms::Rooms::valid_name(id) {
        return None;
    }
    crate::assets::text(&format!("{FOLDER}{id}.scenario"))
}

pub fn pauses(steps: &[engine::scenario::Step]) -> usize {
    steps
        .iter()
        .filter(|s| matches!(s.action, Action::Pause))
        .count()
}
