//! The bundled lessons: scenario files in `static/lessons/`, embedded in the binary.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use engine::scenario::{Action, parser};
use engine::time::Micros;

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
                duration_us: durations().get(&id).copied(),
                id,
                source,
            })
        })
        .collect()
}

/// How long each bundled lesson plays, by id: the simulated time at which a headless run of it
/// ends (`engine::runner::run`). At 1× that is its wall time, plus whatever the teacher spends at
/// its pauses (a pause takes no simulated time). The lessons are compiled in, so this is
/// computed once, at the first ask (all sixteen take about half a second).
fn durations() -> &'static BTreeMap<String, Micros> {
    static DURATIONS: OnceLock<BTreeMap<String, Micros>> = OnceLock::new();
    DURATIONS.get_or_init(|| {
        Static::iter()
            .filter(|p| p.starts_with(FOLDER) && p.ends_with(".scenario"))
            .filter_map(|path| {
                let source = crate::assets::text(&path)?;
                let script = parser::parse(&path, &source).ok()?;
                let (report, _) = engine::runner::run(&script, |_| {});
                let id = path
                    .trim_start_matches(FOLDER)
                    .trim_end_matches(".scenario");
                Some((id.to_string(), report.end_us))
            })
            .collect()
    })
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
