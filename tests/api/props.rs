//! Property tests (proptest): any StatsFilter a client can write, and any variables for the
//! example operations of `playground/`, get an answer or a typed refusal: never a panic,
//! never INTERNAL, never a 5xx.

use crate::fixture::ROWS;
use crate::helpers::{Engine, TestApp, codes};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

/// A JSON value of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,10}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Instants a client may send: valid RFC 3339 across centuries, near the data, or text.
fn instant() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-2_000_000_000i64..40_000_000_000i64).prop_map(|s| {
            let t = chrono::DateTime::from_timestamp(s, 0).unwrap();
            Value::from(t.to_rfc3339())
        }),
        Just(json!("2026-06-15T12:00:00Z")),
        ".{0,30}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
    ]
}

/// A `StatsFilter` as a client may write it, right or wrong.
fn filter() -> impl Strategy<Value = Value> {
    let period = prop_oneof![
        Just(json!("ALL")),
        Just(json!("LAST_24H")),
        Just(json!("LAST_7D")),
        Just(json!("LAST_30D")),
        any_json(),
    ];
    let zone = prop_oneof![
        Just(json!("America/New_York")),
        Just(json!("Pacific/Chatham")),
        Just(json!("Asia/Kathmandu")),
        ".{0,70}".prop_map(Value::from),
        any_json(),
    ];
    let week = prop_oneof![
        Just(json!("MONDAY")),
        Just(json!("SUNDAY")),
        Just(json!("SATURDAY")),
        any_json(),
    ];
    let text = prop_oneof![
        Just(json!("Bamako")),
        "\\PC{0,120}".prop_map(Value::from),
        ".{0,5}".prop_map(Value::from),
        any_json(),
    ];
    (
        prop::option::of(period),
        prop::option::of(instant()),
        prop::option::of(instant()),
        prop::option::of(instant()),
        prop::option::of(text.clone()),
        prop::option::of(text),
        prop::option::of(zone),
        prop::option::of(week),
    )
        .prop_map(|(period, from, to, as_of, city, specialty, zone, week)| {
            let mut f = serde_json::Map::new();
            for (k, v) in [
                ("period", period),
                ("from", from),
                ("to", to),
                ("asOf", as_of),
                ("city", city),
                ("specialty", specialty),
                ("timeZone", zone),
                ("weekStart", week),
            ] {
                if let Some(v) = v {
                    f.insert(k.to_string(), v);
                }
            }
            Value::Object(f)
        })
}

/// An answer is data, or refusals each with a code that is not INTERNAL.
fn typed(status: axum::http::StatusCode, body: &Value) -> Result<(), TestCaseError> {
    prop_assert!(!status.is_server_error(), "{status}: {body}");
    let codes = codes(body);
    if body.get("errors").is_some() {
        prop_assert!(!codes.is_empty(), "an error without a code: {body}");
    }
    prop_assert!(!codes.iter().any(|c| c == "INTERNAL"), "{body}");
    Ok(())
}

#[test]
fn any_stats_filter_gets_figures_or_a_typed_refusal() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(async {
        let app = TestApp::new(&Engine::Sqlite).await;
        app.load(ROWS).await;
        app
    });
    let token = app.token(1, 1);
    let query = "query($f: StatsFilter) { globalStatistics(filter: $f) { overview { totalUsers totalRevenue } trends { weekly { bucketStart requests } } meta { timezone } } }";
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&filter(), |f| {
            let (status, body) = rt.block_on(app.post(Some(&token), query, json!({ "f": f })));
            typed(status, &body)?;
            if body.get("errors").is_none() {
                prop_assert!(body["data"]["globalStatistics"]["overview"]["totalUsers"].is_i64());
            }
            Ok(())
        })
        .unwrap();
    rt.block_on(app.cleanup());
}

#[test]
fn any_variables_for_the_example_operations_get_an_answer_or_a_typed_refusal() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(async {
        let app = TestApp::new(&Engine::Sqlite).await;
        app.load(ROWS).await;
        app
    });
    let token = app.token(1, 1);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("playground");
    let mut operations: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter(|q| !crate::playground::is_subscription(q))
        .collect();
    operations.sort();
    let variables = prop::collection::btree_map(
        prop_oneof![
            Just("filter".to_string()),
            Just("f".to_string()),
            Just("first".to_string()),
            Just("after".to_string()),
            Just("id".to_string()),
            "[a-z]{1,8}",
        ],
        prop_oneof![filter(), any_json()],
        0..4,
    );
    let mut runner = TestRunner::new(Config {
        cases: 150,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(0..operations.len(), variables), |(i, vars)| {
            let vars = Value::Object(vars.into_iter().collect());
            let (status, body) = rt.block_on(app.post(Some(&token), &operations[i], vars));
            typed(status, &body)
        })
        .unwrap();
    rt.block_on(app.cleanup());
}
