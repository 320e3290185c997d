//! What the page draws of a state store (`Snapshot::streams[..].stores`) is the store as Kafka's
//! interactive queries read it through the caching layer (`CachingKeyValueStore`,
//! `CachingWindowStore`): the record cache first, then the store. A count still in the cache is
//! drawn with its cached value and marked `cached`; the commit flushes it.

use engine::snapshot::{StoreEntryView, StoreView};

/// Runs a scenario to its end (its `expect` lines must pass) and returns the view of one store
/// together with the cluster, to ask the store itself.
fn store_after(src: &str, app: &str, store: &str) -> (StoreView, engine::cluster::Cluster) {
    let script = engine::scenario::parse("streams_view", src).expect("parses");
    let (report, cluster) = engine::runner::run(&script, |_| {});
    assert!(report.passed(), "{:?}", report.lines);
    let view = cluster
        .snapshot()
        .streams
        .into_iter()
        .find(|a| a.name == app)
        .expect("the app is in the view")
        .stores
        .into_iter()
        .find(|s| s.name == store)
        .expect("the store is in the view");
    (view, cluster)
}

fn entry<'a>(v: &'a StoreView, key: &str) -> &'a StoreEntryView {
    v.newest
        .iter()
        .find(|e| e.key.as_deref() == Some(key))
        .unwrap_or_else(|| panic!("{key} is in the view: {:?}", v.newest))
}

/// Lesson 15's clicks, two a second, counted in 10-second windows, committed every second.
const CLICKS: &str = "seed 15\nbrokers 3\n\
    topic create clicks partitions=1 replication=3\n\
    producer add site topic=clicks rate=2/s key=page-home value=\"'click'\"\n\
    streams app click-counter commit-interval=1s\n\
      stream clicks\n  groupByKey\n  windowedBy tumbling 10s grace=5s\n\
      count store=clicks-per-window\nend\n";

#[test]
fn a_window_count_is_drawn_as_an_interactive_query_reads_it_cache_first() {
    // At 34 s the window [30 s, 40 s) has counted 8 clicks (30.0 s to 33.5 s). The commit
    // before the click at 33.5 s flushed 7: the 8th waits in the cache, and the page drew 7
    // beside "processed" and "stream time 33.5 s" until the view read the cache too.
    let (v, cluster) = store_after(
        &format!(
            "{CLICKS}wait 34s\n\
             expect store click-counter/clicks-per-window key=\"[page-home@30000/40000]\" == 8\n"
        ),
        "click-counter",
        "clicks-per-window",
    );
    let open = entry(&v, "[page-home@30000/40000]");
    assert_eq!(open.value.as_deref(), Some("8"));
    assert!(open.cached, "the 8th click is not flushed yet: {open:?}");
    // A window the last commits did not touch is the store's own entry.
    let done = entry(&v, "[page-home@10000/20000]");
    assert_eq!(done.value.as_deref(), Some("20"));
    assert!(!done.cached, "{done:?}");
    // Every entry drawn is what the application answers for its key.
    for e in &v.newest {
        let key = e.key.as_deref().expect("a count has a key");
        assert_eq!(
            cluster.streams_store_get("click-counter", "clicks-per-window", key),
            Some(e.value.clone()),
            "{e:?}"
        );
    }
}

#[test]
fn a_word_count_before_its_first_commit_is_all_in_the_cache() {
    // Commit interval 30 s (Kafka's default): at 20 s nothing was flushed yet, so every count
    // the page draws is cached, and each is the application's answer for its word.
    let (v, cluster) = store_after(
        "seed 14\nbrokers 3\n\
         topic create text-lines partitions=2 replication=3\n\
         producer add writer topic=text-lines rate=1/s keys=doc-1..doc-4 value=\"'the cat sat on the mat'\"\n\
         streams app word-count\n  stream text-lines\n  flatMapValues: split(lower(value))\n\
           groupBy: value\n  count store=counts\nend\n\
         wait 20s\n",
        "word-count",
        "counts",
    );
    assert!(!v.newest.is_empty(), "the words are counted");
    assert_eq!(v.size, 5, "the, cat, sat, on, mat: {:?}", v.newest);
    for e in &v.newest {
        assert!(
            e.cached,
            "nothing is flushed before the first commit: {e:?}"
        );
        let key = e.key.as_deref().expect("a word");
        assert_eq!(
            cluster.streams_store_get("word-count", "counts", key),
            Some(e.value.clone()),
            "{e:?}"
        );
    }
    let the = entry(&v, "the").value.as_deref().expect("a count");
    let cat = entry(&v, "cat").value.as_deref().expect("a count");
    assert_eq!(
        the.parse::<u64>().unwrap(),
        2 * cat.parse::<u64>().unwrap(),
        "each line has the word \"the\" twice"
    );
}
