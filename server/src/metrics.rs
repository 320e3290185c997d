//! Kafka's metrics in wire form (`wire::Metrics`): the chart series and the newest sample's values,
//! built from the engine's per-second samples (`engine::metrics`). Only what the metrics panel
//! shows goes out: three numbers a second for the charts, and the newest values once a frame.

use std::collections::BTreeMap;

use engine::metrics::{Name, Sample, Scope};
use engine::time::Micros;

use crate::wire;

/// The chart point of one sample: `[at_us, MessagesInPerSec, records-consumed-rate,
/// records-lag-max or null]`, all cluster-wide.
fn point(s: &Sample) -> wire::MetricsPoint {
    let get = |name| s.get(name, &Scope::Cluster);
    (
        s.at_us,
        get(Name::MessagesInPerSec).unwrap_or(0.0),
        get(Name::RecordsConsumedRate).unwrap_or(0.0),
        get(Name::RecordsLagMax),
    )
}

/// A value as the panel prints it: averages to 0.01 ms, which also keeps frames short.
fn rounded(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The newest sample's values keyed as an `expect metric` line names them
/// (`UnderReplicatedPartitions`, `UnderReplicatedPartitions broker=2`). Per-topic values stay in
/// the engine (`expect metric … topic=T`): the panel lists the cluster, brokers and clients.
fn latest(s: &Sample) -> BTreeMap<String, f64> {
    s.values
        .iter()
        .filter(|((_, scope), _)| !matches!(scope, Scope::Topic(_)))
        .map(|((name, scope), v)| {
            let key = match scope {
                Scope::Cluster => name.text().to_string(),
                scope => format!("{} {scope}", name.text()),
            };
            (key, rounded(*v))
        })
        .collect()
}

/// The samples after `after_us` up to `until_us` (both whole seconds, or 0), or `None` when there
/// is none: a frame's metrics. With `after_us` 0 it is a snapshot's whole history.
pub fn since(
    metrics: &engine::metrics::Metrics,
    after_us: Micros,
    until_us: Micros,
) -> Option<wire::Metrics> {
    let new: Vec<&Sample> = metrics
        .history()
        .filter(|s| s.at_us > after_us && s.at_us <= until_us)
        .collect();
    let last = new.last()?;
    Some(wire::Metrics {
        series: new.iter().map(|s| point(s)).collect(),
        latest: latest(last),
    })
}
