//! Property-based fuzzing of the suite parser (issue 14): our YAML and Great Expectations
//! JSON, from any text up to about 1 MB and from near-valid suites built of valid and broken
//! parts. Nothing panics, and an error never grows with the input.
//!
//! 2,000 cases per property by default (`PROPTEST_CASES` overrides it); a longer run:
//! `PROPTEST_CASES=200000 cargo test --release -p retention-quality --test fuzz`.

#![allow(clippy::unwrap_used)] // a failed setup is a failed test

use proptest::{collection::vec, prelude::*, test_runner::Config};
use retention_quality::{EXPECTATION_TYPES, Suite};

/// Cases per property: `PROPTEST_CASES`, else 2,000.
fn config() -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(2000),
        failure_persistence: None,
        ..Config::default()
    }
}

/// The longest error accepted: at most two clipped values and the words around them.
const MESSAGE_BOUND: usize = 1200;

/// Text of any kind: mostly short, sometimes a short pattern repeated up to about 1 MB.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => vec(any::<u8>(), 0..512).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        2 => "\\PC{0,64}",
        1 => ("[\\[\\]{}:,\\-\" a&*!|>#\n]{1,6}", 1usize..(1 << 20) / 6)
            .prop_map(|(chunk, n)| chunk.repeat(n)),
    ]
}

fn parse_both(text: &str) {
    for result in [
        Suite::from_yaml_str(text, "fuzz.yaml"),
        Suite::from_json_str(text, "fuzz.json"),
    ] {
        if let Err(e) = result {
            let shown = e.to_string();
            assert!(shown.len() < MESSAGE_BOUND, "{} bytes", shown.len());
        }
    }
}

/// A scalar or a small structure, valid or not for the place it lands in.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        Just(json!(0.5)),
        Just(json!("batch_date + 1 day")),
        Just(json!("batch_date - 99999999999 weeks")),
        Just(json!("(unclosed")),
        Just(json!("staging.events")),
        Just(json!("x")),
        "\\PC{0,12}".prop_map(Value::String),
        (1usize..300_000).prop_map(|n| Value::String("v".repeat(n))),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::Array),
            vec(("[a-z_]{1,12}", inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Every registered type, and two that are not.
fn types() -> Vec<&'static str> {
    let mut types: Vec<&str> = EXPECTATION_TYPES.iter().map(|t| t.name).collect();
    types.extend(["expect_column_values_to_be_purple", ""]);
    types
}

/// Every kwarg some registered type takes, and `mostly`.
fn kwargs() -> Vec<&'static str> {
    let mut kwargs: Vec<&str> = EXPECTATION_TYPES
        .iter()
        .flat_map(|t| t.kwargs)
        .copied()
        .collect();
    kwargs.push("mostly");
    kwargs.sort_unstable();
    kwargs.dedup();
    kwargs
}

/// An expectation of a known type with kwargs drawn from the known names.
fn expectation() -> impl Strategy<Value = serde_json::Value> {
    (
        prop::sample::select(types()),
        vec((prop::sample::select(kwargs()), json_value()), 0..5),
        prop::option::of(prop::sample::select(vec!["critical", "warning", "info", "fatal"])),
        prop::option::of(json_value()),
    )
        .prop_map(|(ty, kwargs, severity, extra)| {
            let mut e = serde_json::json!({
                "type": ty,
                "kwargs": kwargs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<serde_json::Map<_, _>>(),
            });
            if let Some(s) = severity {
                e["severity"] = s.into();
            }
            if let Some(x) = extra {
                e["meta"] = x;
            }
            e
        })
}

/// A suite close to valid, in our layout or GE's, with a stray or broken setting now and then.
fn near_valid_suite() -> impl Strategy<Value = serde_json::Value> {
    (
        any::<bool>(),
        prop::option::of(json_value()),
        prop::option::of(json_value()),
        vec(expectation(), 0..6),
        prop::option::of(json_value()),
    )
        .prop_map(|(ge, table, allow_empty, expectations, batch)| {
            let table = table.unwrap_or_else(|| "staging.events".into());
            let mut settings = serde_json::json!({"table": table});
            if let Some(a) = allow_empty {
                settings["allow_empty"] = a;
            }
            if let Some(b) = batch {
                settings["batch"] = b;
            }
            if ge {
                serde_json::json!({"name": "s", "expectations": expectations,
                                   "meta": {"retention": settings}})
            } else {
                let mut s = settings;
                s["name"] = "s".into();
                s["expectations"] = expectations.into();
                s
            }
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_parses_or_fails_without_panic_and_with_a_bounded_message(text in any_text()) {
        parse_both(&text);
    }

    #[test]
    fn near_valid_suites_parse_or_fail_without_panic_in_yaml_and_json(doc in near_valid_suite()) {
        let json = serde_json::to_string(&doc).unwrap();
        parse_both(&json);
        // JSON is YAML too; the pretty form exercises the block style.
        parse_both(&serde_json::to_string_pretty(&doc).unwrap());
        if let Ok(suite) = Suite::from_value(&doc, "doc") {
            prop_assert_eq!(suite.expectations.len(), doc["expectations"].as_array().map_or(0, Vec::len));
        }
    }
}

#[test]
fn deep_nesting_and_alias_bombs_are_refused_without_exhausting_stack_or_memory() {
    let deep = 100_000;
    for text in [
        format!("{}{}", "[".repeat(deep), "]".repeat(deep)),
        format!("{}1{}", "{\"a\":".repeat(deep), "}".repeat(deep)),
        "a: ".repeat(deep),
        "- ".repeat(deep),
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
         c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
         e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
         g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n\
         i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\nname: s\ntable: staging.t\nexpectations: []\n"
            .to_owned(),
    ] {
        parse_both(&text);
    }
}
