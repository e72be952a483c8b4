//! Malformed input of every shape gets BAD_USER_INPUT, never INTERNAL, and changes nothing.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{Engine, TestApp, codes};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// A value of a random JSON shape, sometimes nested.
fn any_value(rng: &mut rand_chacha::ChaCha8Rng, depth: u32) -> Value {
    match rng.random_range(0..if depth > 2 { 8 } else { 11 }) {
        0 => Value::Null,
        1 => json!(rng.random_bool(0.5)),
        2 => json!(rng.random_range(-3i64..100_000)),
        3 => json!(rng.random::<f64>() * 1e12),
        4 => json!(
            ["ALL", "LAST_24H", "LAST_7D", "LAST_30D", "LAST_YEAR", "all"][rng.random_range(0..6)]
        ),
        5 => json!(
            [
                "2026-06-01T00:00:00Z",
                "2026-06-01",
                "yesterday",
                "",
                "2999-01-01T00:00:00Z",
                AS_OF
            ][rng.random_range(0..6)]
        ),
        6 => json!("x".repeat(rng.random_range(0..150))),
        7 => json!("Gao\u{0}"),
        8 => Value::Array(
            (0..rng.random_range(0..3))
                .map(|_| any_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let keys = ["period", "from", "to", "asOf", "city", "specialty", "bogus"];
            let mut map = serde_json::Map::new();
            for _ in 0..rng.random_range(0..4) {
                map.insert(
                    keys[rng.random_range(0..keys.len())].to_string(),
                    any_value(rng, depth + 1),
                );
            }
            Value::Object(map)
        }
    }
}

#[tokio::test]
async fn malformed_variables_are_bad_user_input_never_internal() {
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    let token = app.token(1, 1);
    let operations = [
        "query($f: StatsFilter) { globalStatistics(filter: $f) { requests { total } } }",
        "query($f: StatsFilter) { overview(filter: $f) { totalUsers } }",
        "query($f: StatsFilter, $n: Int) { technicians(filter: $f) { topTechnicians(limit: $n) { technicianId } } }",
        "query($f: StatsFilter, $n: Int) { security(filter: $f) { suspiciousIps(limit: $n) { ipAddress } } }",
        "query($f: StatsFilter, $n: Int) { trends(filter: $f, granularity: DAILY, points: $n) { requests } }",
        "query($a: DateTime) { realTimeStats(asOf: $a) { openRequests } }",
        "query($n: Int, $c: String) { statisticsSnapshots(first: $n, after: $c) { edges { cursor } } }",
        "mutation($f: StatsFilter) { refreshStatistics(filter: $f) { requests { total } } }",
        "mutation($p: String) { invalidateStatisticsCache(prefix: $p) }",
    ];
    // the shape the seed's users sent by mistake: a list for an input object
    let (_, body) = app
        .post(Some(&token), operations[0], json!({ "f": ["ALL"] }))
        .await;
    assert_eq!(codes(&body), vec!["BAD_USER_INPUT"], "{body}");

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
    let mut refused = 0;
    for i in 0..600 {
        let operation = operations[i % operations.len()];
        let variables = json!({
            "f": any_value(&mut rng, 0),
            "n": any_value(&mut rng, 1),
            "a": any_value(&mut rng, 1),
            "c": any_value(&mut rng, 1),
            "p": any_value(&mut rng, 1),
        });
        let (status, body) = app.post(Some(&token), operation, variables.clone()).await;
        assert!(
            status.is_success() || status.is_client_error(),
            "{status}: {body}"
        );
        let c = codes(&body);
        if !c.is_empty() {
            refused += 1;
        }
        assert!(
            c.iter().all(|c| c == "BAD_USER_INPUT"),
            "{operation} with {variables}: {body}"
        );
    }
    // most random shapes are wrong somewhere
    assert!(refused > 300, "{refused} refused");
    // nothing changed: the fixture still answers as before
    let d = app
        .data(
            "query($f: StatsFilter) { overview(filter: $f) { totalUsers } }",
            json!({ "f": { "asOf": AS_OF } }),
        )
        .await;
    assert_eq!(d["overview"]["totalUsers"], 6);
    app.cleanup().await;
}

#[tokio::test]
async fn bodies_that_are_not_one_graphql_request_are_bad_user_input() {
    let app = TestApp::new(&Engine::Sqlite).await;
    let token = app.token(1, 1);
    for body in [
        r#"{"query": 1}"#,
        "not json",
        r#"[{"query": "{ me { id } }"}]"#,
    ] {
        let (status, answer) = app
            .raw("POST", "/graphql", Some(&token), body.to_string())
            .await;
        assert_eq!(status, axum::http::StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(codes(&answer), vec!["BAD_USER_INPUT"], "{body}: {answer}");
    }
    // no document at all: an empty one, which does not parse
    let (_, answer) = app
        .raw(
            "POST",
            "/graphql",
            Some(&token),
            r#"{"variables": {}}"#.into(),
        )
        .await;
    assert_eq!(codes(&answer), vec!["BAD_USER_INPUT"], "{answer}");
    app.cleanup().await;
}
