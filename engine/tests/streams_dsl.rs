//! `streams app … end` blocks, the Streams commands and metrics, producer value templates and
//! record timestamps, as docs/scenario-language.md describes them: every form parses to the DSL
//! calls it means, every error names FILE:LINE:COL with a hint.

use engine::command::{Command, TopicPartition};
use engine::scenario::parser::Context;
use engine::scenario::{Action, FocusTarget, Metric, Value, parse, parse_line};
use engine::streams::dsl::{App, AppConfig, JoinKind, JoinWindow, Operation, Start, WindowSpec};
use engine::time::{ms, secs};

/// Lines 1–6.
const SETUP: &str = "brokers 3
topic create orders partitions=3 replication=1
topic create customers partitions=3 replication=1
topic create payments partitions=2 replication=1
topic create out partitions=3 replication=1
group add billing topics=orders
";

/// The first line of a block's body in `app()` and `error()`.
const BODY_LINE: u32 = 8;

fn parse_ok(src: &str) -> engine::scenario::Script {
    parse("t.scenario", src).unwrap_or_else(|errors| {
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!("{src}\nfailed:\n{}", text.join("\n"))
    })
}

fn apps(src: &str) -> Vec<App> {
    parse_ok(src)
        .steps
        .into_iter()
        .filter_map(|s| match s.action {
            Action::Cluster(Command::StreamsApp(app)) => Some(*app),
            _ => None,
        })
        .collect()
}

/// The app of `streams app a` with `body` (its first line is line 8).
fn app(body: &str) -> App {
    let mut all = apps(&format!("{SETUP}streams app a\n{body}end\n"));
    assert_eq!(all.len(), 1);
    all.remove(0)
}

/// The operations of the app's chains, without positions.
fn ops(body: &str) -> Vec<Vec<Operation>> {
    app(body)
        .chains
        .into_iter()
        .map(|c| c.ops.into_iter().map(|(_, op)| op).collect())
        .collect()
}

fn errors_of(src: &str) -> Vec<String> {
    match parse("t.scenario", src) {
        Ok(_) => panic!("{src}\nparsed but should not"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

/// The one error of a block with `body`.
fn error(body: &str) -> String {
    let mut all = errors_of(&format!("{SETUP}streams app a\n{body}end\n"));
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn at(line: u32, col: u32, rest: &str) -> String {
    format!("t.scenario:{line}:{col}: {rest}")
}

fn expr(text: &str, vars: &'static [engine::streams::expr::Var]) -> engine::streams::expr::Expr {
    let scope = engine::scenario::parser::expr::Scope { vars, what: "test" };
    engine::scenario::parser::expr::parse(text, 1, scope).expect("an expression")
}

use engine::streams::expr::Var::{Agg, Key, Left, Right, Value as V};

#[test]
fn word_count_is_kafkas_word_count_demo() {
    let app = app("  stream orders
  flatMapValues: split(lower(value))
  groupBy: value
  count store=counts
  toStream
  to out
");
    assert_eq!(app.name, "a");
    assert_eq!(app.config, AppConfig::default());
    assert_eq!(app.pos.line, 7);
    let chain = &app.chains[0];
    assert_eq!(chain.start, Start::Stream(vec!["orders".into()]));
    assert_eq!(chain.pos.line, BODY_LINE);
    assert_eq!(chain.pos.col, 3);
    let ops: Vec<&Operation> = chain.ops.iter().map(|(_, op)| op).collect();
    assert_eq!(
        ops,
        [
            &Operation::FlatMapValues(expr("split(lower(value))", &[V])),
            &Operation::GroupBy {
                key: expr("value", &[V]),
                value: None
            },
            &Operation::Count {
                store: Some("counts".into())
            },
            &Operation::ToStream,
            &Operation::To("out".into()),
        ]
    );
    assert_eq!(chain.ops[2].0.line, BODY_LINE + 3);
}

#[test]
fn the_options_of_an_app_with_their_defaults() {
    let defaults = AppConfig::default();
    assert_eq!(defaults.instances, 1);
    assert_eq!(defaults.threads, 1);
    assert_eq!(defaults.commit_interval, secs(30));
    assert_eq!(defaults.cache_bytes, 10 * 1024 * 1024);
    assert_eq!(defaults.standbys, 0);
    assert_eq!(defaults.repartition_purge_interval, secs(30));
    let all = apps(&format!(
        "{SETUP}streams app a instances=3 threads=2 commit-interval=100ms cache=0 standbys=1 repartition-purge-interval=0s\nstream orders\nend\n\
         streams app b cache=2MiB\nstream orders\nend\nstreams app c cache=5KB\nstream orders\nend\n"
    ));
    assert_eq!(
        all[0].config,
        AppConfig {
            instances: 3,
            threads: 2,
            commit_interval: ms(100),
            cache_bytes: 0,
            standbys: 1,
            repartition_purge_interval: 0,
        }
    );
    assert_eq!(all[1].config.cache_bytes, 2 << 20);
    assert_eq!(all[2].config.cache_bytes, 5_000);
}

#[test]
fn stateless_operations() {
    let all = ops("stream orders
filter: value.total > 10
filterNot: key == 'test'
map: value.customer, value.total
mapValues: value * 2
selectKey: value.id
peek
peek: value.id
to out
");
    assert_eq!(
        all[0],
        vec![
            Operation::Filter(expr("value.total > 10", &[V])),
            Operation::FilterNot(expr("key == 'test'", &[Key])),
            Operation::Map {
                key: expr("value.customer", &[V]),
                value: expr("value.total", &[V])
            },
            Operation::MapValues(expr("value * 2", &[V])),
            Operation::SelectKey(expr("value.id", &[V])),
            Operation::Peek(None),
            Operation::Peek(Some(expr("value.id", &[V]))),
            Operation::To("out".into()),
        ]
    );
}

#[test]
fn split_names_its_branches_and_from_continues_from_them() {
    let app = app("stream orders
split
branch big: value.total > 100
branch small: value.total <= 10
defaultBranch rest
from big
merge small
to out
from rest
as others
");
    assert_eq!(
        app.chains[0].ops[0].1,
        Operation::Split {
            branches: vec![
                ("big".into(), expr("value.total > 100", &[V])),
                ("small".into(), expr("value.total <= 10", &[V])),
            ],
            default: Some("rest".into()),
        }
    );
    assert_eq!(app.chains[1].start, Start::From("big".into()));
    assert_eq!(app.chains[1].ops[0].1, Operation::Merge("small".into()));
    assert_eq!(app.chains[2].ops[0].1, Operation::As("others".into()));
}

#[test]
fn every_window_and_aggregation_form() {
    let chain = |window: &str, agg: &str| -> Vec<Operation> {
        let body = format!("stream orders\ngroupByKey\n{window}\n{agg}\ntoStream\nto out\n");
        ops(&body).remove(0)
    };
    let tumbling = chain("windowedBy tumbling 1m grace=10s", "count store=w");
    assert_eq!(
        tumbling[1],
        Operation::WindowedBy(WindowSpec::Tumbling {
            size: secs(60),
            grace: secs(10)
        })
    );
    assert_eq!(
        tumbling[2],
        Operation::Count {
            store: Some("w".into())
        }
    );
    assert_eq!(
        chain("windowedBy hopping 5m advance=1m", "count")[1],
        Operation::WindowedBy(WindowSpec::Hopping {
            size: secs(300),
            advance: secs(60),
            grace: 0
        })
    );
    assert_eq!(
        chain("windowedBy sliding 30s", "reduce: agg + value")[1],
        Operation::WindowedBy(WindowSpec::Sliding {
            difference: secs(30),
            grace: 0
        })
    );
    assert_eq!(
        chain("windowedBy session 2m grace=1s", "count")[1],
        Operation::WindowedBy(WindowSpec::Session {
            gap: secs(120),
            grace: secs(1)
        })
    );
    let reduce = chain("windowedBy tumbling 1m", "reduce: agg + value store=totals");
    assert_eq!(
        reduce[2],
        Operation::Reduce {
            adder: expr("agg + value", &[Agg, V]),
            subtractor: None,
            store: Some("totals".into())
        }
    );
    let aggregate = chain(
        "windowedBy tumbling 1m",
        "aggregate store=sums: 0, agg + value.total",
    );
    assert_eq!(
        aggregate[2],
        Operation::Aggregate {
            init: expr("0", &[]),
            adder: expr("agg + value.total", &[Agg, V]),
            subtractor: None,
            store: Some("sums".into())
        }
    );
}

#[test]
fn a_table_groups_by_a_new_key_and_value_and_its_aggregations_subtract() {
    let all = ops("table customers store=rows
groupBy: value.region, value.total
reduce: agg + value, agg - value
toStream
to out
table payments
groupBy: value.region
aggregate: 0, agg + value.total, agg - value.total store=sums
");
    assert_eq!(
        all[0][0],
        Operation::GroupBy {
            key: expr("value.region", &[V]),
            value: Some(expr("value.total", &[V])),
        }
    );
    assert_eq!(
        all[0][1],
        Operation::Reduce {
            adder: expr("agg + value", &[Agg, V]),
            subtractor: Some(expr("agg - value", &[Agg, V])),
            store: None
        }
    );
    assert!(matches!(
        &all[1][1],
        Operation::Aggregate { subtractor: Some(_), store: Some(s), .. } if s == "sums"
    ));
}

#[test]
fn joins_of_every_kind() {
    let app = app("table customers
as customer-table
globalTable payments store=pay
as payment-table
stream orders
as order-stream
from order-stream
join customer-table: {order: left, customer: right}
leftJoin payment-table: value.payment, [left, right]
to out
stream out
outerJoin order-stream window=5m grace=30s: coalesce(left, right)
toTable store=joined
join customer-table: left
");
    let join = |chain: usize, op: usize| app.chains[chain].ops[op].1.clone();
    assert_eq!(
        join(3, 0),
        Operation::Join {
            other: "customer-table".into(),
            kind: JoinKind::Inner,
            window: None,
            key: None,
            joiner: expr("{order: left, customer: right}", &[Left, Right]),
        }
    );
    assert_eq!(
        join(3, 1),
        Operation::Join {
            other: "payment-table".into(),
            kind: JoinKind::Left,
            window: None,
            key: Some(expr("value.payment", &[V])),
            joiner: expr("[left, right]", &[Left, Right]),
        }
    );
    assert_eq!(
        join(4, 0),
        Operation::Join {
            other: "order-stream".into(),
            kind: JoinKind::Outer,
            window: Some(JoinWindow {
                difference: secs(300),
                grace: secs(30)
            }),
            key: None,
            joiner: expr("coalesce(left, right)", &[Left, Right]),
        }
    );
    assert!(matches!(
        &join(4, 2),
        Operation::Join {
            kind: JoinKind::Inner,
            ..
        }
    ));
}

#[test]
fn co_partitioning_is_kafkas() {
    // Two source topics with 3 and 2 partitions: Kafka's CopartitionedTopicsEnforcer refuses.
    assert_eq!(
        error(
            "table payments
as pay
stream orders
join pay: left
"
        ),
        at(
            BODY_LINE + 3,
            1,
            "these sides cannot be joined: Kafka refuses it with \"Topics not co-partitioned: [{orders=3, payments=2}]\" \
             (a join reads partition N of both sides in one task: give the topics the same number of partitions, \
             or change the key (selectKey) on one side so that Kafka repartitions it)"
        )
    );
    // After a key change the stream is repartitioned: the repartition topic takes the table's
    // count, so the join is valid.
    app("table payments
as pay
stream orders
selectKey: value.payment
join pay: left
to out
");
    // Two KTables from topics of different sizes.
    assert!(
        error("table payments\nas pay\ntable orders\njoin pay: left\n")
            .contains("Topics not co-partitioned: [{orders=3, payments=2}]")
    );
    // A global table is read whole by every instance: no co-partitioning.
    app("globalTable payments\nas pay\nstream orders\njoin pay: key, left\nto out\n");
    // Stream-stream joins too; a merge reads both topics.
    assert!(
        error("stream payments\nas p\nstream orders\njoin p window=1m: left\n")
            .contains("[{orders=3, payments=2}]")
    );
}

#[test]
fn the_dsl_types_are_checked() {
    assert_eq!(
        error("stream orders\ncount\n"),
        at(
            BODY_LINE + 1,
            1,
            "'count' applies to a grouped stream or table (KGroupedStream, KGroupedTable) or a windowed stream, \
             but the chain has a KStream here (group it first: 'groupByKey' or 'groupBy: KEY')"
        )
    );
    assert_eq!(
        error("table orders\ncount\n"),
        at(
            BODY_LINE + 1,
            1,
            "'count' applies to a grouped stream or table (KGroupedStream, KGroupedTable) or a windowed stream, \
             but the chain has a KTable here (group it first: 'groupBy: KEY, VALUE')"
        )
    );
    assert_eq!(
        error("stream orders\ngroupByKey\ncount\nsuppress untilWindowCloses\n"),
        at(
            BODY_LINE + 3,
            1,
            "'suppress' applies to a windowed KTable, but the chain has a KTable here \
             (only a windowed count or aggregation has windows that close: add 'windowedBy' before it)"
        )
    );
    assert_eq!(
        error("stream orders\nwindowedBy tumbling 1m\n"),
        at(
            BODY_LINE + 1,
            1,
            "'windowedBy' applies to a KGroupedStream, but the chain has a KStream here \
             (group it first: 'groupByKey' or 'groupBy: KEY')"
        )
    );
    assert_eq!(
        error("table orders\nto out\n"),
        at(
            BODY_LINE + 1,
            1,
            "'to' applies to a KStream, but the chain has a KTable here \
             (a table's updates go to a topic as a stream: write 'toStream' first)"
        )
    );
    assert_eq!(
        error("stream orders\ngroupByKey\nto out\n"),
        at(
            BODY_LINE + 2,
            1,
            "'to' applies to a KStream, but the chain has a KGroupedStream here \
             (a grouped stream or table only aggregates: count, reduce or aggregate)"
        )
    );
    assert_eq!(
        error("stream orders\nbranch a: true\n"),
        at(
            BODY_LINE + 1,
            1,
            "'branch' must follow 'split' (write 'split', then one 'branch NAME: PREDICATE' line per branch)"
        )
    );
    assert_eq!(
        error("stream orders\nsplit\nto out\n"),
        at(
            BODY_LINE + 1,
            1,
            "'split' has no branch (write one 'branch NAME: PREDICATE' line per branch after 'split')"
        )
    );
    assert_eq!(
        error("stream orders\nto out\nfilter: true\n"),
        at(
            BODY_LINE + 2,
            1,
            "nothing can follow here: 'to' ends a chain (start a new chain with 'stream TOPIC', 'table TOPIC' or 'from NAME')"
        )
    );
    assert_eq!(
        error("filter: true\n"),
        at(
            BODY_LINE,
            1,
            "'filter' needs a stream or a table first (start a chain with 'stream TOPIC', 'table TOPIC' or 'from NAME')"
        )
    );
    assert_eq!(
        error("globalTable customers\nfilter: true\n"),
        at(
            BODY_LINE + 1,
            1,
            "'filter' cannot follow a globalTable (a GlobalKTable is only joined: name it with 'as NAME' and write 'join NAME: KEY, JOINER' in a stream's chain)"
        )
    );
    assert_eq!(
        error("table customers\nreduce: agg\n"),
        at(
            BODY_LINE + 1,
            1,
            "'reduce' applies to a grouped stream or table (KGroupedStream, KGroupedTable) or a windowed stream, \
             but the chain has a KTable here (group it first: 'groupBy: KEY, VALUE')"
        )
    );
    assert_eq!(
        error("table customers\ngroupBy: value.region\nreduce: agg + value\n"),
        at(
            BODY_LINE + 2,
            21,
            "'reduce' needs another expression (e.g. reduce: agg + value, agg - value)"
        )
    );
    assert_eq!(
        error("stream orders\ngroupByKey\nwindowedBy hopping 1m advance=2m\n"),
        at(
            BODY_LINE + 2,
            31,
            "advance must be above 0 and at most the window's size (with advance equal to the size, the window is tumbling)"
        )
    );
    assert_eq!(
        error("stream orders\ngroupByKey\nwindowedBy sesion 1m\n"),
        at(
            BODY_LINE + 2,
            12,
            "unknown window 'sesion' (did you mean 'session'?)"
        )
    );
    assert_eq!(
        error("stream orders\nas o\nstream customers\njoin o: left\n"),
        at(
            BODY_LINE + 3,
            8,
            "a join of two KStreams needs window=D (records join when their timestamps are at most D apart (JoinWindows): e.g. window=5m)"
        )
    );
    assert_eq!(
        error("table customers\nas c\nstream orders\nouterJoin c: left\n"),
        at(
            BODY_LINE + 3,
            1,
            "a KStream has no outerJoin with a KTable (use join or leftJoin)"
        )
    );
    assert_eq!(
        error("globalTable payments\nas p\nstream orders\njoin p: value.payment\n"),
        at(
            BODY_LINE + 3,
            23,
            "'join' needs another expression (e.g. join customers: value.customer, {order: left, customer: right})"
        )
    );
    // With a GlobalKTable the first expression picks the table's key from the stream's record.
    assert_eq!(
        error("globalTable payments\nas p\nstream orders\njoin p: left, right\n"),
        at(
            BODY_LINE + 3,
            9,
            "'left' is not available in the global table's key selector (the global table's key selector can read key, value)"
        )
    );
}

#[test]
fn names_stores_and_topics_are_checked() {
    assert_eq!(
        error("from ordrs\n"),
        at(
            BODY_LINE,
            6,
            "nothing is named 'ordrs' yet (name a stream or table first: end its chain with 'as NAME')"
        )
    );
    assert_eq!(
        error("stream orders\nas big\nfrom bgi\n"),
        at(
            BODY_LINE + 2,
            6,
            "nothing is named 'bgi' yet (did you mean 'big'?)"
        )
    );
    assert_eq!(
        error("stream orders\nas x\nstream customers\nas x\n"),
        at(BODY_LINE + 3, 4, "'x' is already a name in this app")
    );
    assert_eq!(
        error("table orders store=s\ntable customers store=s\n"),
        at(
            BODY_LINE + 1,
            23,
            "store 's' is already defined in this app"
        )
    );
    assert_eq!(
        error("stream ordres\n"),
        at(
            BODY_LINE,
            8,
            "unknown topic 'ordres' (did you mean 'orders'?)"
        )
    );
    assert_eq!(
        error("stream orders\nto ot\n"),
        at(BODY_LINE + 1, 4, "unknown topic 'ot' (did you mean 'out'?)")
    );
    assert_eq!(
        error("stream orders\nas o\ntable orders\n"),
        at(
            BODY_LINE + 2,
            7,
            "topic 'orders' is already read on line 8 (Kafka refuses a second source (\"Topic orders has already been registered by another source.\"): name the first with 'as NAME' and continue with 'from NAME')"
        )
    );
    assert_eq!(
        error("stream orders\nfiltr: true\n"),
        at(
            BODY_LINE + 1,
            1,
            "unknown operation 'filtr' (did you mean 'filter'?)"
        )
    );
}

#[test]
fn expression_errors_point_into_the_line() {
    assert_eq!(
        error("stream orders\n  filter: vlaue.total > 3\n"),
        at(
            BODY_LINE + 1,
            11,
            "unknown name 'vlaue' (did you mean 'value'?)"
        )
    );
    assert_eq!(
        error("stream orders\nfilter: agg > 3\n"),
        at(
            BODY_LINE + 1,
            9,
            "'agg' is not available in a filter (a filter can read key, value)"
        )
    );
    assert_eq!(
        error("stream orders\nfilter\n"),
        at(
            BODY_LINE + 1,
            7,
            "'filter' needs an expression after ':' (e.g. filter: value.price > 10)"
        )
    );
    assert_eq!(
        error("stream orders\nmapValues: value, key\n"),
        at(
            BODY_LINE + 1,
            17,
            "'mapValues' takes one expression here (e.g. mapValues: upper(value))"
        )
    );
    assert_eq!(
        error("table orders\ntoStream: value\n"),
        at(BODY_LINE + 1, 9, "'toStream' takes no expression")
    );
    assert_eq!(
        error("stream orders\ngroupByKey\naggregate: value, agg\n"),
        at(
            BODY_LINE + 2,
            12,
            "'value' is not available in aggregate's initializer (aggregate's initializer reads no variables)"
        )
    );
    // A ':' inside quotes or after a comment does not split the line.
    app("stream orders\nfilter: value.note == 'a: b' # note: here\nto out\n");
}

#[test]
fn the_block_itself() {
    let errors = errors_of(&format!("{SETUP}streams app a\nstream orders\n"));
    assert_eq!(
        errors,
        [at(
            7,
            1,
            "this 'streams app' block has no 'end' (close the block with a line 'end' after its last operation)"
        )]
    );
    assert_eq!(
        errors_of(&format!("{SETUP}end\n")),
        [at(
            7,
            1,
            "'end' closes a 'streams app' block, but no block is open here (a block starts with 'streams app NAME')"
        )]
    );
    assert_eq!(
        errors_of(&format!("{SETUP}streams app a\nend\n")),
        [at(
            7,
            1,
            "the application has no topology: Kafka refuses it (\"Topology has no stream threads and no global threads, must subscribe to at least one source topic or global table.\") \
             (add lines such as 'stream orders' and 'to big-orders' before 'end')"
        )]
    );
    assert_eq!(
        errors_of(&format!("{SETUP}streams app billing\nstream orders\nend\n")),
        [at(
            7,
            13,
            "group 'billing' already exists (an application's id is its consumer group's id: choose another name)"
        )]
    );
    assert_eq!(
        errors_of(&format!("{SETUP}at 5s streams app a\nstream orders\nend\n")),
        [at(
            7,
            1,
            "a 'streams app' block cannot be scheduled with 'at' (put the block after a 'wait': it starts where it stands)"
        )]
    );
    for (options, col, message) in [
        ("instances=0", 25, "instances must be between 1 and 16"),
        ("threads=9", 23, "threads must be between 1 and 8"),
        ("commit-interval=10ms", 31, "commit-interval"),
        ("cache=1GB", 22, "unknown size unit 'GB'"),
        ("cache=1000MiB", 21, "above the room's limit of 64 MiB"),
        ("replicas=2", 15, "unknown option 'replicas'"),
    ] {
        let errors = errors_of(&format!(
            "{SETUP}streams app a {options}\nstream orders\nend\n"
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with(&format!("t.scenario:7:{col}: ")) && errors[0].contains(message),
            "{options}: {errors:?}"
        );
    }
    // A forgotten `end`: the next block, or a scenario command, says so.
    assert_eq!(
        errors_of(&format!(
            "{SETUP}streams app a\nstream orders\nstreams app b\nstream customers\nend\n"
        )),
        [at(
            9,
            1,
            "a 'streams app' block cannot contain another (close the block above with a line 'end' first)"
        )]
    );
    assert_eq!(
        errors_of(&format!(
            "{SETUP}streams app a\nstream orders\nwait 5s\nend\n"
        )),
        [at(
            9,
            1,
            "unknown operation 'wait' ('wait' is a scenario command: close the block with a line 'end' before it)"
        )]
    );
    // A failed block declares its app: the lines after it do not fail again because of it.
    let errors = errors_of(&format!(
        "{SETUP}streams app a\ncount\nend\nstreams stop a-1\nexpect processed a > 0\n"
    ));
    assert_eq!(errors.len(), 1, "{errors:?}");
    // Two apps with the same name.
    let errors = errors_of(&format!(
        "{SETUP}streams app a\nstream orders\nend\nstreams app a\nstream orders\nend\n"
    ));
    assert_eq!(errors, [at(10, 13, "application 'a' already exists")]);
}

#[test]
fn streams_commands() {
    let src = format!(
        "{SETUP}streams app wc instances=2 threads=2\nstream orders\nend\n\
         streams add wc-3 app=wc\nstreams add extra app=wc threads=1\nat 5s streams stop wc-1\nstreams crash wc-2\n"
    );
    let commands: Vec<Command> = parse_ok(&src)
        .steps
        .into_iter()
        .filter_map(|s| match s.action {
            Action::Cluster(
                c @ (Command::StreamsAdd { .. }
                | Command::StreamsStop { .. }
                | Command::StreamsCrash { .. }),
            ) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(
        commands,
        [
            Command::StreamsAdd {
                instance: "wc-3".into(),
                app: "wc".into(),
                threads: None
            },
            Command::StreamsAdd {
                instance: "extra".into(),
                app: "wc".into(),
                threads: Some(1)
            },
            Command::StreamsStop {
                instance: "wc-1".into()
            },
            Command::StreamsCrash {
                instance: "wc-2".into()
            },
        ]
    );
    let base = format!("{SETUP}streams app wc\nstream orders\nend\n");
    let one = |line: &str| -> String {
        let mut e = errors_of(&format!("{base}{line}\n"));
        assert_eq!(e.len(), 1, "{e:?}");
        e.remove(0)
    };
    assert_eq!(
        one("streams add wc-1 app=wc"),
        at(
            10,
            13,
            "instance 'wc-1' already exists (instance names are never reused, even after stop or crash)"
        )
    );
    assert_eq!(
        one("streams add x app=cw"),
        at(10, 19, "unknown streams app 'cw' (did you mean 'wc'?)")
    );
    assert_eq!(
        one("streams add x"),
        at(
            10,
            15,
            "missing option app= (e.g. streams add word-count-3 app=word-count)"
        )
    );
    assert_eq!(
        one("streams stop wc-9"),
        at(
            10,
            14,
            "unknown streams instance 'wc-9' (did you mean 'wc-1'?)"
        )
    );
    assert!(
        errors_of(&format!("{base}streams crash wc-1\nstreams stop wc-1\n"))[0]
            .starts_with("t.scenario:11:14: instance 'wc-1' has already stopped or crashed")
    );
    assert_eq!(
        one("streams strat wc-1"),
        at(
            10,
            9,
            "unknown command 'streams strat' ('streams' is followed by add, stop, crash, app)"
        )
    );
}

#[test]
fn streams_metrics_and_focus() {
    let base = format!(
        "{SETUP}streams app wc instances=2\nstream orders\ngroupByKey\ncount store=counts\nend\n"
    );
    let expectation = |line: &str| -> (Metric, Value) {
        let script = parse_ok(&format!("{base}{line}\n"));
        match script.steps.last().map(|s| s.action.clone()) {
            Some(Action::Expect(e)) => (e.metric, e.value),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(
        expectation("expect store wc/counts key=kafka == 3"),
        (
            Metric::StreamsStore {
                app: "wc".into(),
                store: "counts".into(),
                key: "kafka".into()
            },
            Value::Word("3".into())
        )
    );
    assert_eq!(
        expectation("expect store wc/counts key=x == none").1,
        Value::None
    );
    assert_eq!(
        expectation("expect tasks wc wc-1 == 0_0,0_2"),
        (
            Metric::StreamsTasks {
                app: "wc".into(),
                instance: "wc-1".into()
            },
            Value::Names(vec!["0_0".into(), "0_2".into()])
        )
    );
    assert_eq!(
        expectation("expect task-owner wc 0_1 == wc-2"),
        (
            Metric::TaskOwner {
                app: "wc".into(),
                task: "0_1".into()
            },
            Value::Word("wc-2".into())
        )
    );
    assert_eq!(
        expectation("expect processed wc > 10").0,
        Metric::Processed("wc".into())
    );
    assert_eq!(
        expectation("expect reprocessed wc == 0").0,
        Metric::Reprocessed("wc".into())
    );
    assert_eq!(
        expectation("expect dropped-late wc == 1").0,
        Metric::DroppedLate("wc".into())
    );
    assert_eq!(
        expectation("expect restored wc/counts >= 0").0,
        Metric::Restored {
            app: "wc".into(),
            store: "counts".into()
        }
    );
    assert_eq!(
        expectation("expect streams-state wc wc-1 == RUNNING"),
        (
            Metric::StreamsState {
                app: "wc".into(),
                instance: "wc-1".into()
            },
            Value::Word("RUNNING".into())
        )
    );
    let one = |line: &str| -> String {
        let mut e = errors_of(&format!("{base}{line}\n"));
        assert_eq!(e.len(), 1, "{e:?}");
        e.remove(0)
    };
    assert_eq!(
        one("expect store wc/cuonts key=a == 1"),
        at(
            12,
            17,
            "app 'wc' has no store named 'cuonts' (did you mean 'counts'?)"
        )
    );
    assert_eq!(
        one("expect tasks wc wc-3 == 0_0"),
        at(
            12,
            17,
            "unknown instance 'wc-3' of app 'wc' (did you mean 'wc-1'?)"
        )
    );
    assert_eq!(
        one("expect task-owner wc 01 == wc-1"),
        at(
            12,
            22,
            "expected a task id such as 0_1, found '01' (a task is SUBTOPOLOGY_PARTITION: task 1_2 runs sub-topology 1 on partition 2)"
        )
    );
    assert_eq!(
        one("expect streams-state wc wc-1 == RUNING"),
        at(
            12,
            33,
            "unknown streams state 'RUNING' (did you mean 'RUNNING'?)"
        )
    );
    assert_eq!(
        one("expect processed wc < RUNNING"),
        at(12, 23, "expected a number for 'processed', found 'RUNNING'")
    );
    let script = parse_ok(&format!("{base}focus app wc store wc/counts task wc/0_1\n"));
    assert_eq!(
        script.steps.last().map(|s| s.action.clone()),
        Some(Action::Focus(vec![
            FocusTarget::App("wc".into()),
            FocusTarget::Store {
                app: "wc".into(),
                store: "counts".into()
            },
            FocusTarget::Task {
                app: "wc".into(),
                task: "0_1".into()
            },
        ]))
    );
}

#[test]
fn the_console_takes_a_block_as_one_input_of_several_lines() {
    let mut ctx = Context::default();
    for line in SETUP.lines() {
        parse_line(line, &mut ctx).expect("setup");
    }
    let step = parse_line("streams app wc\n  stream orders\n  to out\nend\n", &mut ctx)
        .expect("a block")
        .expect("a step");
    assert!(matches!(
        step.action,
        Action::Cluster(Command::StreamsApp(_))
    ));
    assert!(ctx.apps.contains_key("wc") && ctx.instances.contains_key("wc-1"));
    let e = parse_line("streams app x\n  stream orders\n  count\nend", &mut ctx).unwrap_err();
    assert_eq!(
        e.to_string(),
        "console:3:3: 'count' applies to a grouped stream or table (KGroupedStream, KGroupedTable) or a windowed stream, but the chain has a KStream here (group it first: 'groupByKey' or 'groupBy: KEY')"
    );
    assert!(!ctx.apps.contains_key("x"), "an error changes nothing");
    let e = parse_line("streams app x", &mut ctx).unwrap_err();
    assert_eq!(e.pos.col, 1);
    assert!(e.message.contains("spans several lines"), "{e}");
    // Any other input of several lines is refused as before: a line break is a control character.
    let e = parse_line("wait 1s\nwait 2s", &mut ctx).unwrap_err();
    assert_eq!(
        e.to_string(),
        "console:1:8: control character U+000A is not allowed"
    );
}

#[test]
fn producer_value_templates() {
    let script = parse_ok(&format!(
        "{SETUP}producer add p topic=orders rate=5/s keys=user-1..user-9 value=\"{{device: pick('mobile','desktop'), price: 5 + seq % 40, user: key}}\"\n"
    ));
    let Some(Action::Cluster(Command::ProducerAdd(spec))) =
        script.steps.last().map(|s| s.action.clone())
    else {
        panic!("a producer")
    };
    assert_eq!(
        spec.value,
        Some(expr(
            "{device: pick('mobile','desktop'), price: 5 + seq % 40, user: key}",
            &[engine::streams::expr::Var::Seq, Key]
        ))
    );
    let one = |line: &str| -> String {
        let mut e = errors_of(&format!("{SETUP}{line}\n"));
        assert_eq!(e.len(), 1, "{e:?}");
        e.remove(0)
    };
    assert_eq!(
        one("producer add p topic=orders value=\"{price: valeu}\""),
        at(
            7,
            44,
            "unknown name 'valeu' (a value template can read seq, key; write text in quotes: 'valeu')"
        )
    );
    assert_eq!(
        one("producer add p topic=orders value=\"agg\""),
        at(
            7,
            36,
            "'agg' is not available in a value template (a value template can read seq, key)"
        )
    );
    assert_eq!(
        one("producer add p topic=orders value=\"10 / (seq - 3)\""),
        at(
            7,
            35,
            "the value template fails for seq=3 (no key): division by zero (a template is evaluated for every record: seq counts from 0, key is the record's key)"
        )
    );
    assert_eq!(
        one("producer add p topic=orders value=hello"),
        at(
            7,
            35,
            "unknown name 'hello' (a value template can read seq, key; write text in quotes: 'hello')"
        )
    );
}

#[test]
fn produce_with_an_explicit_timestamp() {
    let script = parse_ok(&format!(
        "{SETUP}produce orders key=a value=late timestamp=5s\n"
    ));
    assert_eq!(
        script.steps.last().map(|s| s.action.clone()),
        Some(Action::Cluster(Command::Produce {
            topic: "orders".into(),
            key: Some("a".into()),
            value: Some("late".into()),
            acks: None,
            timestamp: Some(secs(5)),
        }))
    );
    assert!(
        errors_of(&format!("{SETUP}produce orders timestamp=5\n"))[0]
            .starts_with("t.scenario:7:26: the duration 5 needs a unit")
    );
}

/// The engine computes a template's value where it is read, from the producer and the record's
/// number: the latest value for a key is the template at the last number the producer reached.
#[test]
fn the_cluster_writes_template_values_and_explicit_timestamps() {
    let script = parse_ok(
        "brokers 1
topic create t partitions=1 replication=1
producer add p topic=t rate=10/s key=k value=\"{n: seq, tag: cycle('a', 'b')}\"
wait 2s
produce t key=late value=x timestamp=1500ms
wait 1s
",
    );
    let (report, cluster) = engine::runner::run(&script, |_| {});
    assert!(report.passed());
    let tp = TopicPartition {
        topic: "t".into(),
        partition: 0,
    };
    let log = cluster.leader_log(&tp).expect("a leader");
    let from_p: Vec<_> = log
        .entries()
        .filter(|e| cluster.key_text(e.id) == Some("k"))
        .collect();
    assert!(from_p.len() >= 10, "{}", from_p.len());
    for (seq, e) in from_p.iter().enumerate() {
        let tag = if seq % 2 == 0 { "a" } else { "b" };
        assert_eq!(
            cluster.value_text(e.id).as_deref(),
            Some(format!("{{\"n\":{seq},\"tag\":\"{tag}\"}}").as_str())
        );
    }
    let late = log
        .entries()
        .find(|e| cluster.key_text(e.id) == Some("late"))
        .expect("the late record");
    assert_eq!(cluster.record_timestamp(late.id), ms(1500));
    assert!(cluster.record_timestamp(from_p[from_p.len() - 1].id) > ms(1500));
}

/// The parsed block runs in the cluster; declaring the same application again is refused with a
/// message and changes nothing.
#[test]
fn the_cluster_runs_a_declared_app_and_refuses_it_twice() {
    let script = parse_ok(&format!("{SETUP}streams app a\nstream orders\nend\n"));
    let mut cluster = engine::cluster::Cluster::new(1);
    let mut declared = None;
    for step in &script.steps {
        if let Action::Cluster(c) = &step.action {
            cluster.apply(c.clone()).expect("every line applies");
            if matches!(c, Command::StreamsApp(_)) {
                declared = Some(c.clone());
            }
        }
    }
    let before = format!("{:?}", cluster.snapshot());
    let err = cluster
        .apply(declared.expect("the block declared an app"))
        .expect_err("a second app named a");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(format!("{:?}", cluster.snapshot()), before);
}

/// Every `scenario` example of the reference's Streams and expression sections is accepted.
#[test]
fn the_reference_examples_parse() {
    let doc = include_str!("../../docs/scenario-language.md");
    let start = doc
        .find("### 4.7 Kafka Streams applications")
        .expect("the Streams section");
    let end = doc[start..]
        .find("## 5. Checking with `expect`")
        .map_or(doc.len(), |e| start + e);
    let mut examples = 0;
    for block in doc[start..end].split("```scenario\n").skip(1) {
        let src = block.split("```").next().expect("a closed block");
        parse_ok(src);
        examples += 1;
    }
    assert!(examples >= 6, "{examples} examples");
}
