//! Memory that a room can promise: checkpoints (clones) share what did not change, records nothing
//! refers to are freed, and the room's storage limit keeps a long-running producer's cluster flat.

use engine::Cluster;
use engine::command::TopicPartition;
use engine::event::{Event, SegmentDeletionReason};
use engine::memory::{Ledger, total_memory};
use engine::scenario::{self, Action};
use engine::time::{Micros, secs};

/// A demo-like room: 3 brokers, `orders` in 3 partitions with replication 3, a keyed producer at
/// 1,000 records/s and a group of 2 consumers.
const DEMO: &str = "brokers 3 retention-check=10s
topic create orders partitions=3 replication=3 min-insync=2
producer add checkout topic=orders rate=1000/s keys=customer-1..customer-12
group add billing topics=orders consumers=2 offset-reset=earliest
";

/// A cluster with `storage_limit`, after playing `src` (its `at TIME` lines at their instants,
/// checking the invariants every second on the way).
fn cluster(src: &str, storage_limit: Option<u64>) -> Cluster {
    let script = scenario::parse("memory", src).expect("the script parses");
    let mut cluster = Cluster::new(1);
    cluster.set_storage_limit(storage_limit);
    for step in &script.steps {
        if let Some(at) = step.at {
            while cluster.now() < at {
                let next = (cluster.now() + secs(1)).min(at);
                cluster.advance_to(next);
                cluster.drain_events();
                cluster.check_invariants();
            }
        }
        if let Action::Cluster(c) = &step.action {
            cluster.apply(c.clone()).expect("the step applies");
        }
    }
    cluster
}

/// Advances a second at a time, handing the events to `events`.
fn run(cluster: &mut Cluster, until: Micros, mut events: impl FnMut(&Event)) {
    while cluster.now() < until {
        let next = (cluster.now() + secs(1)).min(until);
        cluster.advance_to(next);
        for e in cluster.drain_events() {
            events(&e.event);
        }
    }
}

fn orders(partition: u32) -> TopicPartition {
    TopicPartition {
        topic: "orders".into(),
        partition,
    }
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

#[test]
fn a_checkpoint_then_10000_records_costs_about_10000_records() {
    let mut live = cluster(DEMO, None);
    run(&mut live, secs(200), |_| {});
    let checkpoint = live.clone();
    let created = live.records_created();
    // The checkpoint alone: every record, its three replicas' entries, the rest of the cluster.
    let whole = checkpoint.memory();
    let per_record = whole / created;
    run(&mut live, secs(210), |_| {});
    let added = live.records_created() - created;
    assert!((9_000..=11_000).contains(&added), "{added} records in 10 s");
    let together = total_memory([&live, &checkpoint]);
    let extra = together - whole;
    println!(
        "checkpoint {:.1} MB ({per_record} B/record over {created} records); \
         +{added} records and a second copy of the unshared state: +{:.2} MB",
        mb(whole),
        mb(extra)
    );
    // What the new records cost, the open chunks both copies hold, and the live cluster's
    // unshared state (timers, buffers, tables): nothing like a second copy of the store.
    let budget = 2 * added * per_record + live.unshared_bytes();
    assert!(
        extra <= budget,
        "a clone and {added} records cost {extra} bytes, more than {budget}"
    );
    assert!(
        extra * 5 < whole,
        "{extra} bytes is not small next to {whole}"
    );
}

#[test]
fn a_clone_alone_counts_what_it_holds_and_shares_everything_sealed() {
    let mut live = cluster(DEMO, None);
    run(&mut live, secs(60), |_| {});
    let clone = live.clone();
    let alone = live.memory();
    // A clone's vectors are exactly as long as their contents: it may hold a little less.
    assert!(clone.memory() <= alone, "a fresh clone holds no more bytes");
    assert!(clone.memory() * 10 > alone * 9, "nor much fewer");
    let shared_once = total_memory([&live, &clone]);
    assert_eq!(
        shared_once,
        alone + clone.unshared_bytes(),
        "two identical clusters share every chunk"
    );
}

/// A ledger of a live cluster and its checkpoints says exactly what `total_memory` says, before
/// and after checkpoints leave it, while retention and the reclaim sweep free records in between.
#[test]
fn a_ledger_counts_out_what_each_dropped_clone_alone_held() {
    let mut live = cluster(DEMO, Some(400_000));
    let mut checkpoints = Vec::new();
    for t in (5..=120).step_by(5) {
        run(&mut live, secs(t), |_| {});
        checkpoints.push(live.clone());
    }
    let mut ledger = Ledger::default();
    ledger.add(&live);
    checkpoints.iter().for_each(|c| ledger.add(c));
    assert_eq!(
        ledger.total(),
        total_memory(checkpoints.iter().chain([&live]))
    );
    // Drop the oldest, then one from the middle: each gives back what only it held.
    for drop in [0, 10] {
        let before = ledger.total();
        let gone = checkpoints.remove(drop);
        let freed = ledger.remove(&gone);
        let after = total_memory(checkpoints.iter().chain([&live]));
        assert_eq!(ledger.total(), after);
        assert_eq!(before - freed, after);
    }
}

/// Samples `memory()` every minute from `from` to `until` (right after a retention check: the
/// checks run every 10 s from time 0).
fn memory_curve(cluster: &mut Cluster, from: Micros, until: Micros) -> Vec<usize> {
    let mut curve = Vec::new();
    let mut t = cluster.now();
    while t < until {
        t += secs(60);
        run(cluster, t, |_| {});
        if t >= from {
            curve.push(cluster.memory());
        }
    }
    curve
}

#[test]
fn the_storage_limit_keeps_memory_flat_while_records_keep_coming() {
    const LIMIT: u64 = 1_000_000;
    let mut limited = cluster(DEMO, Some(LIMIT));
    let mut by_limit = 0;
    run(&mut limited, secs(120), |e| {
        if let Event::SegmentDeleted {
            reason: SegmentDeletionReason::StorageLimit { bytes_per_replica },
            ..
        } = e
        {
            assert_eq!(*bytes_per_replica, LIMIT);
            by_limit += 1;
        }
    });
    assert!(
        by_limit > 0,
        "the limit deleted segments within two minutes"
    );
    let leo = limited.log_end_offset(&orders(0)).expect("orders/0");
    let curve = memory_curve(&mut limited, secs(300), secs(1200));
    let mut sorted = curve.clone();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    println!(
        "with a {} MB limit per replica, minutes 5-20: {:?} MB",
        mb(LIMIT as usize),
        curve
            .iter()
            .map(|&b| (mb(b) * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    );
    for (minute, &bytes) in (5..).zip(&curve) {
        let off = (bytes as f64 - median as f64).abs() / median as f64;
        assert!(
            off <= 0.10,
            "minute {minute}: {bytes} bytes is {:.0}% off the median {median}",
            off * 100.0
        );
    }
    // Records kept coming, retention moved the log start, and the store freed what no log holds.
    let later = limited.log_end_offset(&orders(0)).expect("orders/0");
    assert!(later > leo + 200_000, "appends went on: {leo} → {later}");
    assert!(limited.log_start_offset(&orders(0)).expect("orders/0") > 0);
    assert!(limited.records_freed() > limited.records_created() as u64 / 2);
    limited.check_invariants();

    let mut unlimited = cluster(DEMO, None);
    let curve = memory_curve(&mut unlimited, secs(300), secs(1200));
    let (first, last) = (curve[0], *curve.last().expect("samples"));
    println!(
        "without a limit, minute 5: {:.1} MB, minute 20: {:.1} MB",
        mb(first),
        mb(last)
    );
    assert!(
        last > 3 * first,
        "without a limit memory grows with the records"
    );
    assert_eq!(
        unlimited.records_freed(),
        0,
        "nothing to free: the logs hold every record"
    );
}

#[test]
fn segments_roll_at_an_eighth_of_the_limit_and_only_whole_segments_go() {
    let mut c = cluster(DEMO, Some(400_000));
    let mut deleted = Vec::new();
    run(&mut c, secs(300), |e| {
        if let Event::SegmentDeleted {
            partition: 0,
            broker,
            base_offset,
            log_start_offset,
            reason,
            ..
        } = e
        {
            deleted.push((*broker, *base_offset, *log_start_offset, *reason));
        }
    });
    assert!(!deleted.is_empty());
    for (_, base, start, reason) in &deleted {
        assert!(
            base < start,
            "a deleted segment lies below the new log start"
        );
        assert!(matches!(reason, SegmentDeletionReason::StorageLimit { .. }));
    }
    let log = c.leader_log(&orders(0)).expect("orders/0");
    let segments = log.segments();
    assert_eq!(
        log.log_start_offset(),
        segments[0].base_offset,
        "whole segments only"
    );
    for s in &segments[..segments.len() - 1] {
        assert!(
            s.bytes <= 400_000 / 8,
            "segments roll at limit / 8: {}",
            s.bytes
        );
    }
    // Between two checks (10 s at ~12 KB/s) a replica exceeds the limit by at most one segment
    // plus what was appended since.
    assert!(log.size_bytes() <= 400_000 + 400_000 / 8 + 200_000);
}

/// Faults while records are freed: every holder of a record id (logs, messages in flight, producer
/// and consumer buffers) must keep it alive, or reading it panics.
#[test]
fn freeing_records_survives_failovers_truncations_and_rejoins() {
    let src = "brokers 3 retention-check=1s session-timeout=3s
topic create safe partitions=2 replication=3 min-insync=2
topic create fast partitions=2 replication=3 unclean-election=true
producer add a topic=safe rate=2000/s keys=k-1..k-50 acks=all
producer add b topic=fast rate=2000/s acks=1
group add readers topics=safe,fast consumers=2 offset-reset=earliest
at 20s broker kill 1
at 35s broker restart 1
at 50s network partition 1 / 2,3
at 70s network heal
at 90s broker kill 2
at 92s broker kill 3
at 110s broker restart 2
at 115s broker restart 3
at 130s broker stop 1
at 150s broker restart 1
";
    let mut c = cluster(src, Some(60_000));
    run(&mut c, secs(240), |_| {});
    c.check_invariants();
    assert!(c.records_freed() > 0, "records were freed along the way");
    assert!(c.group_consumed("readers", None).unwrap_or(0) > 100_000);
}

/// A Streams count over keys that are all new (each order counted by its value): its store
/// grows by an entry per order, and the measure counts that store once per copy, since a
/// checkpoint (a clone) copies every store whole. Without it a room's history kept dozens of
/// copies of a large store that its budget never saw.
#[test]
fn a_streams_store_is_measured_in_every_copy_of_the_cluster() {
    const COUNTER: &str = "brokers 3
topic create orders partitions=3 replication=3 min-insync=2
topic create counts partitions=3 replication=3 min-insync=2
producer add checkout topic=orders rate=1000/s keys=none value=\"'order-' + text(seq)\"
streams app counter commit-interval=1s
  stream orders
  groupBy: value
  count store=per-order
  toStream
  to counts
end
";
    let mut live = cluster(COUNTER, None);
    run(&mut live, secs(40), |_| {});
    let keys = live
        .streams_store_len("counter", "per-order")
        .expect("the app's store");
    assert!(keys >= 10_000, "{keys} orders counted in 40 s at 1,000/s");
    let checkpoint = live.clone();
    let copy = total_memory([&live, &checkpoint]) - live.memory();
    // Each key's entry in the map: a text key, a count, a timestamp (`KeyValueStore`).
    let per_key = std::mem::size_of::<(String, (u64, u64, u64))>();
    println!(
        "{keys} keys in the store; the live cluster {:.1} MB, a checkpoint's own copy +{:.1} MB ({} B per key)",
        mb(live.memory()),
        mb(copy),
        copy / keys
    );
    assert!(
        copy >= keys * per_key,
        "a checkpoint's copy of {keys} store entries counted {copy} bytes"
    );
}
