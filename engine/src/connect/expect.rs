//! `expect` on Connect: each `ConnectMetric` measured in the engine's own state.

use crate::cluster::Cluster;
use crate::connect::internal_topics::status_key;
use crate::scenario::ast::ConnectMetric;
use crate::scenario::expect::Actual;

fn unknown_connector(name: &str) -> String {
    format!("unknown connector '{name}'")
}

pub fn measure(cluster: &Cluster, m: &ConnectMetric) -> Result<Actual, String> {
    let connect = cluster.connect();
    // The status topic's newest record for the key (`KafkaStatusBackingStore`'s keys).
    let record =
        |connector: &str, task: Option<u32>| cluster.status_record(&status_key(connector, task));
    let word = |w: Option<&str>| w.map_or(Actual::None, |w| Actual::Word(w.to_string()));
    let count = |n: Option<u64>, name: &str| {
        n.map(|n| Actual::Int(n as i64))
            .ok_or_else(|| unknown_connector(name))
    };
    Ok(match m {
        ConnectMetric::ConnectorState(c) => word(connect.connector_state(c)),
        ConnectMetric::TaskState { connector, task } => word(connect.task_state(connector, *task)),
        ConnectMetric::TaskWorker { connector, task } => {
            word(connect.task_worker(connector, *task))
        }
        ConnectMetric::TaskCount(c) => count(connect.task_count(c).map(|n| n as u64), c)?,
        ConnectMetric::Size(s) => Actual::Int(
            connect
                .system(s)
                .ok_or_else(|| format!("unknown system '{s}'"))?
                .len() as i64,
        ),
        ConnectMetric::Row { system, key } => word(
            connect
                .system(system)
                .ok_or_else(|| format!("unknown system '{system}'"))?
                .row(key)
                .map(|r| r.value.as_str()),
        ),
        ConnectMetric::OffsetFlushes(c) => count(connect.counters(c).map(|k| k.offset_flushes), c)?,
        ConnectMetric::FlushedOffset { connector, system } => connect
            .flushed_offset(connector, system)
            .map_or(Actual::None, |o| Actual::Int(o as i64)),
        ConnectMetric::Produced(c) => count(connect.counters(c).map(|k| k.produced), c)?,
        ConnectMetric::Duplicates(c) => count(connect.counters(c).map(|k| k.duplicates), c)?,
        ConnectMetric::Written(c) => count(connect.counters(c).map(|k| k.written), c)?,
        ConnectMetric::StatusState { connector, task } => {
            record(connector, *task).map_or(Actual::None, |(state, _)| Actual::Word(state))
        }
        ConnectMetric::StatusWorker { connector, task } => {
            record(connector, *task).map_or(Actual::None, |(_, worker)| Actual::Word(worker))
        }
        ConnectMetric::Filtered(c) => count(connect.counters(c).map(|k| k.filtered), c)?,
        ConnectMetric::Skipped(c) => count(connect.counters(c).map(|k| k.skipped), c)?,
        ConnectMetric::Retries(c) => count(connect.counters(c).map(|k| k.retries), c)?,
    })
}
