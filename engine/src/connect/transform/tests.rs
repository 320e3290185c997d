//! The transforms and their configs, against Kafka's messages and results.

use super::*;

fn chain(pairs: &[(&str, &str)]) -> Result<Chain, String> {
    let map: BTreeMap<&str, &str> = pairs.iter().copied().collect();
    parse(&map)
}

fn rec(topic: &str, value: Option<&str>) -> ConnectRecord {
    ConnectRecord {
        topic: topic.to_string(),
        partition: Some(0),
        offset: Some(7),
        timestamp_ms: Some(1000),
        key: Some("k".to_string()),
        value: value.map(str::to_string),
    }
}

fn value(o: Outcome) -> String {
    match o {
        Outcome::Record(r) => r.value.unwrap_or_default(),
        other => panic!("not a record: {other:?}"),
    }
}

#[test]
fn insert_replace_and_mask_in_order() {
    let c = chain(&[
        ("transforms", "add, drop ,hide"),
        (
            "transforms.add.type",
            "org.apache.kafka.connect.transforms.InsertField$Value",
        ),
        ("transforms.add.static.field", "src!"),
        ("transforms.add.static.value", "db"),
        ("transforms.add.topic.field", "t"),
        ("transforms.add.offset.field", "o"),
        ("transforms.add.timestamp.field", "ts"),
        ("transforms.drop.type", "ReplaceField$Value"),
        ("transforms.drop.exclude", "secret"),
        ("transforms.drop.renames", "name:who"),
        ("transforms.hide.type", "MaskField$Value"),
        ("transforms.hide.fields", "card,age,ok,list"),
    ])
    .unwrap();
    let v = value(c.apply(rec(
        "users",
        Some(r#"{"name":"ann","secret":"x","card":"1234","age":3,"ok":true,"list":[1]}"#),
    )));
    assert_eq!(
        v,
        r#"{"age":0,"card":"","list":[],"o":7,"ok":false,"src":"db","t":"users","ts":1000,"who":"ann"}"#
    );
    // A tombstone passes InsertField and ReplaceField, and MaskField fails on it.
    assert!(
        matches!(c.apply(rec("users", None)), Outcome::Failed(e) if e.contains("[mask fields], found: null"))
    );
}

#[test]
fn text_values_fail_as_kafka_does_without_a_schema() {
    let c = chain(&[
        ("transforms", "a"),
        ("transforms.a.type", "InsertField$Value"),
        ("transforms.a.static.field", "f"),
        ("transforms.a.static.value", "v"),
    ])
    .unwrap();
    let Outcome::Failed(e) = c.apply(rec("t", Some("hello"))) else {
        panic!("must fail")
    };
    assert!(e.contains("Tolerance exceeded in error handler"));
    assert!(e.contains(
        "Only Map objects supported in absence of schema for [field insertion], found: java.lang.String"
    ));
    let all = chain(&[
        ("transforms", "a"),
        ("transforms.a.type", "InsertField$Value"),
        ("transforms.a.static.field", "f"),
        ("transforms.a.static.value", "v"),
        ("errors.tolerance", "all"),
    ])
    .unwrap();
    assert_eq!(all.apply(rec("t", Some("42"))), Outcome::Skipped);
}

#[test]
fn filter_with_predicates_and_negate() {
    let c = chain(&[
        ("transforms", "keep"),
        ("transforms.keep.type", "Filter"),
        ("transforms.keep.predicate", "isUsers"),
        ("transforms.keep.negate", "true"),
        ("predicates", "isUsers"),
        ("predicates.isUsers.type", "TopicNameMatches"),
        ("predicates.isUsers.pattern", "db-user.*"),
    ])
    .unwrap();
    assert!(matches!(
        c.apply(rec("db-users", Some("x"))),
        Outcome::Record(_)
    ));
    assert_eq!(c.apply(rec("db-orders", Some("x"))), Outcome::Dropped);
    // matches(): the whole name.
    assert_eq!(c.apply(rec("x-db-users", Some("x"))), Outcome::Dropped);
    let t = chain(&[
        ("transforms", "f"),
        (
            "transforms.f.type",
            "org.apache.kafka.connect.transforms.Filter",
        ),
        ("transforms.f.predicate", "tomb"),
        ("predicates", "tomb"),
        ("predicates.tomb.type", "RecordIsTombstone"),
    ])
    .unwrap();
    assert_eq!(t.apply(rec("a", None)), Outcome::Dropped);
    assert!(matches!(t.apply(rec("a", Some("1"))), Outcome::Record(_)));
}

#[test]
fn bad_configs_name_the_config() {
    let err = |pairs: &[(&str, &str)]| chain(pairs).unwrap_err();
    assert!(err(&[("transforms", "a,a")]).contains("Duplicate alias"));
    assert!(err(&[("transforms", "a")]).contains("\"transforms.a.type\""));
    assert!(
        err(&[("transforms", "a"), ("transforms.a.type", "Nope")])
            .contains("Class Nope could not be found")
    );
    assert!(
        err(&[
            ("transforms", "a"),
            ("transforms.a.type", "InsertField$Value")
        ])
        .contains("No field insertion configured")
    );
    assert!(
        err(&[
            ("transforms", "a"),
            ("transforms.a.type", "Filter"),
            ("transforms.a.negate", "true")
        ])
        .contains("'transforms.a.predicate'")
    );
    assert!(
        err(&[
            ("transforms", "a"),
            ("transforms.a.type", "Filter"),
            ("transforms.a.predicate", "p")
        ])
        .contains("no predicate 'p'")
    );
    assert!(err(&[("transforms.b.type", "Filter")]).contains("does not list"));
    assert!(
        err(&[
            ("transforms", "a"),
            ("transforms.a.type", "MaskField$Value"),
            ("transforms.a.fields", "x"),
            ("transforms.a.colour", "x")
        ])
        .contains("does not take 'transforms.a.colour'")
    );
    assert!(
        err(&[
            ("predicates", "p"),
            ("predicates.p.type", "TopicNameMatches"),
            ("predicates.p.pattern", "(")
        ])
        .contains("Java-compatible regular expression")
    );
    assert!(
        err(&[("predicates", "p"), ("predicates.p.type", "HasHeaderKey")]).contains("no headers")
    );
    assert!(err(&[("errors.tolerance", "some")]).contains("errors.tolerance"));
}
