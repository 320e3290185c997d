//! What the page draws of Connect (`Snapshot::connect`) is the engine's state: a source task's
//! read and flushed offsets and the ids it produced twice after a crash, a JDBC sink task's
//! retries, and a FAILED task on the worker it failed on.

use engine::connect::State;
use engine::connect::view::{ConnectView, TaskView};

/// Runs a scenario to its end and returns the Connect view of its snapshot.
fn view_after(src: &str) -> ConnectView {
    let script = engine::scenario::parse("connect_view", src).expect("parses");
    let (report, cluster) = engine::runner::run(&script, |_| {});
    assert!(report.passed(), "{:?}", report.lines);
    cluster.snapshot().connect
}

fn task<'a>(v: &'a ConnectView, connector: &str, id: u32) -> &'a TaskView {
    v.tasks
        .iter()
        .find(|t| t.connector == connector && t.id == id)
        .expect("the task is in the view")
}

#[test]
fn a_restarted_source_task_shows_its_flushed_offset_and_the_ids_it_sent_twice() {
    // Lesson 19's run: the first flush at 60.5 s saves id 55; the crash at 81.5 s loses ids
    // 56-80, which the restarted task reads again from the file.
    let v = view_after(
        "seed 1\nbrokers 3\ntopic create db-users partitions=1 replication=3\n\
         system table users rate=1/s\nworker add w1\nwait 500ms\n\
         connector create jdbc worker=w1 connector.class=JdbcSource table.whitelist=users topic.prefix=db-\n\
         wait 67s\nexpect flushed-offset jdbc users == 55\n\
         wait 14s\nexpect produced jdbc == 80\n\
         worker crash w1\nwait 10s\nworker restart w1\nwait 1s\n\
         expect connector-duplicates jdbc == 25\n",
    );
    let t = task(&v, "jdbc", 0);
    assert_eq!(t.worker.as_deref(), Some("w1"));
    assert_eq!(t.duplicates, 25);
    assert_eq!(t.offsets.len(), 1);
    let o = &t.offsets[0];
    assert_eq!(o.system, "users");
    assert_eq!(o.flushed, Some(55));
    assert_eq!(o.resent, Some((56, 80)));
    // The restarted task's first poll read past the lost ids, up to the table's newest row.
    assert!(o.read.is_some_and(|r| r > 80), "{o:?}");
}

#[test]
fn a_crashed_source_task_keeps_only_its_flushed_offset() {
    let v = view_after(
        "seed 1\nbrokers 3\ntopic create db-users partitions=1 replication=3\n\
         system table users rate=1/s\nworker add w1\n\
         connector create jdbc worker=w1 connector.class=JdbcSource table.whitelist=users topic.prefix=db-\n\
         wait 70s\nworker crash w1\n",
    );
    let t = task(&v, "jdbc", 0);
    assert_eq!(t.worker, None);
    let o = &t.offsets[0];
    // Nothing runs: no offset in memory, the file's offset stays.
    assert_eq!(o.read, None);
    assert!(o.flushed.is_some());
    assert_eq!(o.resent, None);
}

#[test]
fn a_failed_jdbc_sink_task_stays_on_its_worker_with_its_retries() {
    let v = view_after(
        "seed 3\nbrokers 3\ntopic create users partitions=1 replication=3\n\
         system table copy\nworker add w1\n\
         connector create export worker=w1 connector.class=JdbcSink topics=users table.name.format=copy max.retries=3 retry.backoff.ms=1000\n\
         wait 5s\nsystem unavailable copy\nproduce users key=ann value=1\n\
         wait until task-state export-0 == FAILED timeout=30s\n",
    );
    let t = task(&v, "export", 0);
    assert_eq!(t.state, State::Failed);
    assert_eq!(t.worker.as_deref(), Some("w1"));
    assert_eq!((t.retries, t.max_retries), (3, 3));
    assert!(t.offsets.is_empty());
}

#[test]
fn tasks_say_when_their_worker_next_flushes_or_commits_and_a_sink_system_its_capacity() {
    // Lesson 18's pipeline: the source task started at 0 s flushes its offsets every
    // offset.flush.interval.ms (60 s) from its start, the sink task commits on the same clock.
    let v = view_after(
        "seed 3\nbrokers 3\ntopic create db-orders partitions=1 replication=3\n\
         system table orders rate=2/s\nsystem table orders-copy write-rate=5/s\nworker add w1\n\
         connector create jdbc worker=w1 connector.class=JdbcSource table.whitelist=orders topic.prefix=db- poll.interval.ms=1000\n\
         connector create copy worker=w1 connector.class=JdbcSink topics=db-orders table.name.format=orders-copy\n\
         wait 70s\n",
    );
    let w1 = v.workers.iter().find(|w| w.name == "w1").expect("w1");
    assert_eq!(w1.offset_flush_interval_ms, 60_000);
    assert!(!w1.leader, "a standalone worker leads no group");
    for (connector, what) in [("jdbc", "flush"), ("copy", "commit")] {
        let next = task(&v, connector, 0)
            .next_flush_us
            .expect("a running task");
        // One interval done at 60 s, the next due at 120 s.
        assert!(
            (120_000_000..121_000_000).contains(&next),
            "{connector}'s next {what} at {next} µs"
        );
    }
    let copy = v
        .systems
        .iter()
        .find(|s| s.name == "orders-copy")
        .expect("orders-copy");
    assert_eq!(copy.write_per_hour, Some(5 * 3600));
    let orders = v
        .systems
        .iter()
        .find(|s| s.name == "orders")
        .expect("orders");
    assert_eq!(orders.write_per_hour, None);
}

#[test]
fn the_worker_leading_a_distributed_connect_cluster_says_so() {
    let v = view_after(
        "seed 1\nbrokers 3\nworker add w1 mode=distributed\nworker add w2 mode=distributed\nwait 10s\n",
    );
    let leaders: Vec<&str> = v
        .workers
        .iter()
        .filter(|w| w.leader)
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(leaders.len(), 1, "one leader: {leaders:?}");
    let v = view_after(&format!(
        "seed 1\nbrokers 3\nworker add w1 mode=distributed\nworker add w2 mode=distributed\nwait 10s\nworker crash {}\nwait 15s\n",
        leaders[0]
    ));
    let now: Vec<&str> = v
        .workers
        .iter()
        .filter(|w| w.leader)
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(now.len(), 1, "the worker left leads: {now:?}");
    assert_ne!(now[0], leaders[0]);
}
