//! Malformed input of every shape gets BAD_USER_INPUT, never INTERNAL, and changes nothing.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{Engine, TestApp, codes};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
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

/// Sends `method` to `uri` with `headers` and `body`: status, headers, JSON body.
async fn send(
    app: &TestApp,
    method: &str,
    uri: &str,
    headers: &[(&'static str, &str)],
    body: &str,
) -> (StatusCode, HeaderMap, Value) {
    let headers: Vec<(HeaderName, &str)> = headers
        .iter()
        .map(|(n, v)| (HeaderName::from_static(n), *v))
        .collect();
    let (status, headers, bytes) = app.send(method, uri, &headers, body.to_string()).await;
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not a JSON body: {}", String::from_utf8_lossy(&bytes)));
    (status, headers, value)
}

#[tokio::test]
async fn graphql_over_http_media_types_and_status_codes() {
    let app = TestApp::new(&Engine::Sqlite).await;
    let json = ("content-type", "application/json");
    let gql = ("accept", "application/graphql-response+json");
    let ctype = |h: &HeaderMap| h[header::CONTENT_TYPE].to_str().unwrap().to_string();
    let ok = r#"{"query":"{ __typename }"}"#;

    // the media type follows Accept: application/json by default and for */*
    for accept in [None, Some("application/json"), Some("*/*")] {
        let mut headers = vec![json];
        headers.extend(accept.map(|a| ("accept", a)));
        let (status, h, body) = send(&app, "POST", "/graphql", &headers, ok).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ctype(&h), "application/json; charset=utf-8", "{accept:?}");
        assert_eq!(body, json!({ "data": { "__typename": "Query" } }));
    }
    let (_, h, _) = send(&app, "POST", "/graphql", &[json, gql], ok).await;
    assert_eq!(
        ctype(&h),
        "application/graphql-response+json; charset=utf-8"
    );
    // nothing acceptable: 406
    let (status, _, body) = send(
        &app,
        "POST",
        "/graphql",
        &[json, ("accept", "text/html")],
        ok,
    )
    .await;
    assert_eq!(
        (status, codes(&body)),
        (
            StatusCode::NOT_ACCEPTABLE,
            vec!["BAD_USER_INPUT".to_string()]
        )
    );
    // no Content-Type, or another one: 415, as a GraphQL error
    for headers in [vec![], vec![("content-type", "text/plain")]] {
        let (status, h, body) = send(&app, "POST", "/graphql", &headers, ok).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(ctype(&h), "application/json; charset=utf-8");
        assert_eq!(codes(&body), vec!["BAD_USER_INPUT"]);
    }
    // a document that does not parse or validate, or a variable that does not coerce: no
    // data; 400 under application/graphql-response+json, 200 under application/json
    for bad in [
        r#"{"query":"{"}"#,
        r#"{"query":"{ nope }"}"#,
        r#"{"query":"query($f: StatsFilter) { overview(filter: $f) { totalUsers } }","variables":{"f":{"period":"FOREVER"}}}"#,
    ] {
        let (status, _, body) = send(&app, "POST", "/graphql", &[json, gql], bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            body.get("data").is_none() && !codes(&body).is_empty(),
            "{bad}: {body}"
        );
        let (status, _, body) = send(&app, "POST", "/graphql", &[json], bad).await;
        assert_eq!(status, StatusCode::OK, "{bad}");
        assert!(body.get("data").is_none(), "{bad}: {body}");
    }
    // an execution error keeps data (null) and its 200
    let (status, _, body) = send(
        &app,
        "POST",
        "/graphql",
        &[json, gql],
        r#"{"query":"{ overview { totalUsers } }"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (body["data"].clone(), codes(&body)),
        (Value::Null, vec!["UNAUTHENTICATED".to_string()])
    );
    // GET: a query; a mutation is a 405 that says POST; no query is a 400
    let (status, h, body) = send(&app, "GET", "/graphql?query=%7B__typename%7D", &[gql], "").await;
    assert_eq!(
        (status, ctype(&h)),
        (
            StatusCode::OK,
            "application/graphql-response+json; charset=utf-8".to_string()
        )
    );
    assert_eq!(body["data"]["__typename"], "Query");
    let (status, h, body) = send(
        &app,
        "GET",
        "/graphql?query=mutation%7BinvalidateStatisticsCache%7D",
        &[],
        "",
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(h[header::ALLOW], "POST");
    assert_eq!(codes(&body), vec!["BAD_USER_INPUT"]);
    for uri in [
        "/graphql",
        "/graphql?variables=%7B%7D",
        "/graphql?query=x&variables=3",
    ] {
        let (status, _, body) = send(&app, "GET", uri, &[], "").await;
        assert_eq!(
            (status, codes(&body)),
            (StatusCode::BAD_REQUEST, vec!["BAD_USER_INPUT".to_string()]),
            "{uri}"
        );
    }
    app.cleanup().await;
}

#[tokio::test]
async fn top_level_fields_come_in_the_order_they_were_selected() {
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    let token = app.token(1, 1);
    let bearer = format!("Bearer {token}");
    // the slowest field first (a computation), then fast ones, one through a fragment
    let query = format!(
        "query Ordered {{ z: globalStatistics(filter: {{ asOf: \\\"{AS_OF}\\\" }}) {{ trends {{ daily {{ requests }} }} overview {{ totalUsers }} }} me {{ id }} ...More b: __typename }} \
         fragment More on Query {{ a: metricCatalog {{ path }} }}"
    );
    let body = format!("{{\"query\":\"{query}\",\"operationName\":\"Ordered\"}}");
    for _ in 0..3 {
        app.state.engine.invalidate(None).await.unwrap();
        let (status, _, bytes) = app
            .send(
                "POST",
                "/graphql",
                &[
                    (header::CONTENT_TYPE, "application/json"),
                    (header::AUTHORIZATION, &bearer),
                ],
                body.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let text = String::from_utf8(bytes).unwrap();
        let at = |key: &str| {
            text.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{key}: {text}"))
        };
        assert!(
            at("z") < at("me") && at("me") < at("a") && at("a") < at("b"),
            "{text}"
        );
        // nested selections keep their order too
        assert!(at("trends") < at("overview"), "{text}");
    }
    app.cleanup().await;
}
