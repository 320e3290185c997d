//! The expression language of Streams topologies and producer templates: every form parses to
//! the tree it means, every error points at its column with a hint, and printing a tree gives
//! text that parses back to the same tree (property-tested).

use std::sync::Arc;

use engine::scenario::parser::expr::{Scope, parse};
use engine::streams::expr::{BinOp, Env, Expr, Func, UnOp, Var};
use engine::streams::value::Val;
use proptest::prelude::*;

const ALL: Scope = Scope {
    vars: &[
        Var::Key,
        Var::Value,
        Var::Left,
        Var::Right,
        Var::Agg,
        Var::Seq,
    ],
    what: "a test",
};

const FILTER: Scope = Scope {
    vars: &[Var::Key, Var::Value],
    what: "a filter",
};

fn ok(text: &str) -> Expr {
    parse(text, 1, ALL).unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
}

/// The error as `COL: message (hint)`.
fn err(text: &str, scope: Scope) -> String {
    match parse(text, 1, scope) {
        Ok(e) => panic!("{text:?} parsed as {e:?}"),
        Err(e) => match e.hint {
            Some(h) => format!("{}: {} ({h})", e.col, e.message),
            None => format!("{}: {}", e.col, e.message),
        },
    }
}

fn b(e: Expr) -> Box<Expr> {
    Box::new(e)
}

fn var(v: Var) -> Expr {
    Expr::Var(v)
}

fn field(base: Expr, name: &str) -> Expr {
    Expr::Field(b(base), Arc::from(name))
}

fn int(i: i64) -> Expr {
    Expr::Lit(Val::Int(i))
}

fn text(s: &str) -> Expr {
    Expr::Lit(Val::text(s))
}

fn bin(op: BinOp, x: Expr, y: Expr) -> Expr {
    Expr::Binary(op, b(x), b(y))
}

#[test]
fn literals() {
    assert_eq!(ok("42"), int(42));
    assert_eq!(ok("-42"), int(-42));
    assert_eq!(
        format!("{:?}", ok("2.5")),
        format!("{:?}", Expr::Lit(Val::Float(2.5)))
    );
    assert_eq!(
        format!("{:?}", ok("1.0")),
        format!("{:?}", Expr::Lit(Val::Float(1.0)))
    );
    assert_eq!(
        format!("{:?}", ok("1e3")),
        format!("{:?}", Expr::Lit(Val::Float(1000.0)))
    );
    assert_eq!(ok("\"double\""), text("double"));
    assert_eq!(ok("'single'"), text("single"));
    assert_eq!(
        ok(r#"'it\'s "quoted" \\ \n'"#),
        text("it's \"quoted\" \\ \n")
    );
    assert_eq!(ok("true"), Expr::Lit(Val::Bool(true)));
    assert_eq!(ok("false"), Expr::Lit(Val::Bool(false)));
    assert_eq!(ok("null"), Expr::Lit(Val::Null));
    assert_eq!(ok("-9223372036854775808"), int(i64::MIN));
}

#[test]
fn variables_fields_and_indexes() {
    assert_eq!(ok("value.device"), field(var(Var::Value), "device"));
    assert_eq!(
        ok("value.items[0].sku"),
        field(
            Expr::Index(b(field(var(Var::Value), "items")), b(int(0))),
            "sku"
        )
    );
    assert_eq!(
        ok("value['unit price']"),
        Expr::Index(b(var(Var::Value)), b(text("unit price")))
    );
    for (name, v) in [
        ("key", Var::Key),
        ("left", Var::Left),
        ("right", Var::Right),
        ("agg", Var::Agg),
        ("seq", Var::Seq),
    ] {
        assert_eq!(ok(name), var(v));
    }
}

#[test]
fn precedence_and_associativity() {
    use BinOp::*;
    let (k, v) = (var(Var::Key), var(Var::Value));
    assert_eq!(ok("1 + 2 * 3"), bin(Add, int(1), bin(Mul, int(2), int(3))));
    assert_eq!(
        ok("(1 + 2) * 3"),
        bin(Mul, bin(Add, int(1), int(2)), int(3))
    );
    assert_eq!(
        ok("10 - 3 - 2"),
        bin(Sub, bin(Sub, int(10), int(3)), int(2))
    );
    assert_eq!(ok("7 % 4 / 2"), bin(Div, bin(Rem, int(7), int(4)), int(2)));
    assert_eq!(
        ok("key == 1 or value < 2 and not key"),
        bin(
            Or,
            bin(Eq, k.clone(), int(1)),
            bin(
                And,
                bin(Lt, v.clone(), int(2)),
                Expr::Unary(UnOp::Not, b(k.clone()))
            )
        )
    );
    assert_eq!(
        ok("not key == value"),
        Expr::Unary(UnOp::Not, b(bin(Eq, k.clone(), v.clone())))
    );
    assert_eq!(
        ok("-value.price * 2"),
        bin(
            Mul,
            Expr::Unary(UnOp::Neg, b(field(v.clone(), "price"))),
            int(2)
        )
    );
    assert_eq!(ok("1 - -2"), bin(Sub, int(1), int(-2)));
    for (text, op) in [("!=", Ne), ("<=", Le), (">", Gt), (">=", Ge)] {
        assert_eq!(ok(&format!("key {text} 1")), bin(op, k.clone(), int(1)));
    }
}

#[test]
fn lists_objects_and_calls() {
    assert_eq!(ok("[]"), Expr::List(vec![]));
    assert_eq!(ok("[1, 'a']"), Expr::List(vec![int(1), text("a")]));
    assert_eq!(ok("{}"), Expr::Object(vec![]));
    assert_eq!(
        ok("{product: value.product, \"unit price\": 2}"),
        Expr::Object(vec![
            (Arc::from("product"), field(var(Var::Value), "product")),
            (Arc::from("unit price"), int(2)),
        ])
    );
    assert_eq!(
        ok("split(lower(value))"),
        Expr::Call(
            Func::Split,
            vec![Expr::Call(Func::Lower, vec![var(Var::Value)])]
        )
    );
    assert_eq!(
        ok("pick('a', 'b', 'c')"),
        Expr::Call(Func::Pick, vec![text("a"), text("b"), text("c")])
    );
    // Every function by its name.
    for (name, func) in Func::ALL {
        let (min, _) = func.arity();
        let args = vec!["1"; min].join(", ");
        assert_eq!(
            ok(&format!("{name}({args})")),
            Expr::Call(*func, vec![int(1); min])
        );
    }
}

#[test]
fn a_comment_ends_the_expression() {
    assert_eq!(ok("value # the whole record"), var(Var::Value));
    assert_eq!(ok("'#1' # not this"), text("#1"));
}

#[test]
fn errors_point_at_the_offending_character() {
    assert_eq!(
        err("vlaue.price > 10", FILTER),
        "1: unknown name 'vlaue' (did you mean 'value'?)"
    );
    assert_eq!(
        err("agg + value", FILTER),
        "1: 'agg' is not available in a filter (a filter can read key, value)"
    );
    assert_eq!(
        err("value.device == mobile", FILTER),
        "17: unknown name 'mobile' (a filter can read key, value; write text in quotes: 'mobile')"
    );
    assert_eq!(
        err("lowr(value)", FILTER),
        "1: unknown function 'lowr' (did you mean 'lower'?)"
    );
    assert_eq!(
        err("lower(value, key)", FILTER),
        "1: lower() takes 1 argument, not 2 (e.g. lower(value))"
    );
    assert_eq!(
        err("if(value)", FILTER),
        "1: if() takes 3 arguments, not 1 (e.g. if(value.price > 100, \"big\", \"small\"))"
    );
    assert_eq!(
        err("pick()", FILTER),
        "1: pick() takes at least 1 arguments, not 0 (e.g. pick('mobile', 'desktop'))"
    );
    assert_eq!(
        err("value.price = 3", FILTER),
        "13: unexpected '=' (compare with '==')"
    );
    assert_eq!(
        err("value.price > 1 && key", FILTER),
        "17: unexpected '&' (write 'and')"
    );
    assert_eq!(
        err("(value + 1", FILTER),
        "12: missing ')' (to close the parenthesis opened at column 1)"
    );
    assert_eq!(
        err("[1, 2", FILTER),
        "7: missing ',' or ']' (to close the list opened at column 1)"
    );
    assert_eq!(
        err("'abc", FILTER),
        "1: unterminated string (close it with ')"
    );
    assert_eq!(
        err("1 < value < 3", FILTER),
        "11: comparisons cannot be chained ('<') (write a < b and b < c)"
    );
    assert_eq!(
        err("{a: 1, a: 2}", FILTER),
        "8: field 'a' is given twice (first at column 2)"
    );
    assert_eq!(
        err("value value", FILTER),
        "7: unexpected 'value' (an operator such as + or == is missing before it)"
    );
    assert_eq!(
        err("99999999999999999999", FILTER),
        "1: number 99999999999999999999 is too large"
    );
    assert_eq!(err("value.", FILTER).split(' ').next(), Some("8:"));
    assert_eq!(err("", FILTER), "1: missing an expression");
    assert_eq!(err("'\\q'", FILTER).split(':').next(), Some("2"));
    let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert!(err(&deep, FILTER).contains("nests too deeply"));
}

#[test]
fn columns_are_offset_by_where_the_expression_starts() {
    let e = parse("value.x == nope", 20, FILTER).unwrap_err();
    assert_eq!(e.col, 31);
}

#[test]
fn a_parsed_expression_evaluates() {
    let e = ok("{device: pick('mobile', 'desktop'), price: 5 + seq % 40}");
    let env = Env {
        seq: 41,
        ..Env::default()
    };
    let Ok(Val::Object(fields)) = e.eval(&env) else {
        panic!("an object")
    };
    assert_eq!(fields.get("price"), Some(&Val::Int(6)));
}

// ---------------------------------------------------------------------------------------------
// Round trip: parse(print(e)) == e
// ---------------------------------------------------------------------------------------------

fn literal() -> impl Strategy<Value = Val> {
    let text = proptest::collection::vec(
        prop_oneof![
            Just('a'),
            Just('Z'),
            Just(' '),
            Just('"'),
            Just('\''),
            Just('\\'),
            Just('#'),
            Just(':'),
            Just('é'),
            Just('😀'),
            Just('\n'),
            Just('\t'),
        ],
        0..6,
    )
    .prop_map(|cs| Val::text(&cs.into_iter().collect::<String>()));
    prop_oneof![
        any::<i64>().prop_map(Val::Int),
        prop_oneof![
            any::<f64>().prop_filter("finite", |f| f.is_finite()),
            Just(1.0),
            Just(-0.0),
            Just(0.1),
            Just(1e20),
        ]
        .prop_map(Val::Float),
        text,
        any::<bool>().prop_map(Val::Bool),
        Just(Val::Null),
    ]
}

/// A field after a dot: any identifier, keywords and variable names included.
fn field_name() -> impl Strategy<Value = Arc<str>> {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_]{0,6}",
        Just("not".to_string()),
        Just("key".to_string()),
    ]
    .prop_map(|s| Arc::from(s.as_str()))
}

/// An object's field: any text (quoted when it is not an identifier).
fn name() -> impl Strategy<Value = Arc<str>> {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_]{0,6}",
        Just("not".to_string()),
        Just("key".to_string()),
        Just("a b".to_string()),
        Just("\"".to_string()),
    ]
    .prop_map(|s| Arc::from(s.as_str()))
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        literal().prop_map(Expr::Lit),
        proptest::sample::select(vec![
            Var::Key,
            Var::Value,
            Var::Left,
            Var::Right,
            Var::Agg,
            Var::Seq
        ])
        .prop_map(Expr::Var),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        let ops = proptest::sample::select(vec![
            BinOp::Add,
            BinOp::Sub,
            BinOp::Mul,
            BinOp::Div,
            BinOp::Rem,
            BinOp::Eq,
            BinOp::Ne,
            BinOp::Lt,
            BinOp::Le,
            BinOp::Gt,
            BinOp::Ge,
            BinOp::And,
            BinOp::Or,
        ]);
        let funcs = proptest::sample::select(Func::ALL.iter().map(|(_, f)| *f).collect::<Vec<_>>());
        prop_oneof![
            (inner.clone(), field_name()).prop_map(|(e, n)| Expr::Field(Box::new(e), n)),
            (inner.clone(), inner.clone()).prop_map(|(e, i)| Expr::Index(Box::new(e), Box::new(i))),
            (
                proptest::sample::select(vec![UnOp::Not, UnOp::Neg]),
                inner.clone()
            )
                .prop_map(|(op, e)| Expr::Unary(op, Box::new(e))),
            (ops, inner.clone(), inner.clone()).prop_map(|(op, a, b)| Expr::Binary(
                op,
                Box::new(a),
                Box::new(b)
            )),
            (funcs, proptest::collection::vec(inner.clone(), 0..4)).prop_map(|(f, mut args)| {
                let (min, max) = f.arity();
                while args.len() < min {
                    args.push(Expr::Lit(Val::Int(0)));
                }
                args.truncate(max);
                Expr::Call(f, args)
            }),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Expr::List),
            proptest::collection::vec((name(), inner), 0..4).prop_map(|fields| {
                let mut seen: Vec<Arc<str>> = Vec::new();
                Expr::Object(
                    fields
                        .into_iter()
                        .filter(|(n, _)| {
                            let new = !seen.contains(n);
                            seen.push(n.clone());
                            new
                        })
                        .collect(),
                )
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Text from a tree parses back to the same tree, to the literal's type and the float's
    /// sign (compared by their debug form: `Val`'s `==` takes 1 and 1.0 as equal).
    #[test]
    fn printing_then_parsing_gives_the_same_tree(e in expr()) {
        let text = e.to_string();
        let back = parse(&text, 1, ALL).map_err(|err| {
            TestCaseError::fail(format!("{text:?} does not parse: {err:?}"))
        })?;
        prop_assert_eq!(format!("{back:?}"), format!("{e:?}"), "text: {}", text);
    }
}
