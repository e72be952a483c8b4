//! Every refusal of the protocol or of the limits (API.md "Edge rules") comes with its code
//! and before any database work: a connection that counts its statements sees none.

use crate::fixture::ROWS;
use crate::helpers::{Engine, TestApp, codes};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use teliman_stats::app::{self, AppState};
use tower::ServiceExt;

/// What is sent (name, method, address, headers, body) and the status and code expected.
type Case = (
    &'static str,
    &'static str,
    String,
    Vec<(&'static str, String)>,
    String,
    StatusCode,
    &'static str,
);

#[tokio::test]
async fn refusals_come_with_their_code_before_any_statement() {
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    // a gateway whose database connection counts the statements it runs
    let statements = Arc::new(AtomicUsize::new(0));
    let mut db = app.db.clone();
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let router = app::router(AppState::new(db, app.state.config.clone()));
    let token = app.token(1, 1);
    let send =
        |method: &'static str, uri: String, headers: Vec<(&'static str, String)>, body: String| {
            let router = router.clone();
            async move {
                let mut req = Request::builder().method(method).uri(uri);
                for (name, value) in headers {
                    req = req.header(name, value);
                }
                let response = router
                    .oneshot(req.body(Body::from(body)).unwrap())
                    .await
                    .unwrap();
                let status = response.status();
                let bytes = response.into_body().collect().await.unwrap().to_bytes();
                (
                    status,
                    serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
                )
            }
        };
    let auth = ("authorization", format!("Bearer {token}"));
    let json = ("content-type", "application/json".to_string());
    let post = |query: String| serde_json::json!({ "query": query }).to_string();

    let mut deep = String::from("name");
    for _ in 0..17 {
        deep = format!("ofType {{ {deep} }}");
    }
    let deep = format!("{{ __schema {{ types {{ fields {{ type {{ {deep} }} }} }} }} }}");
    let wide: String = (0..2001).map(|i| format!("f{i}: __typename ")).collect();
    let aliases: String = (0..101).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let big = format!(
        r#"{{"query":"{{ me {{ id }} }}","variables":{{"x":"{}"}}}}"#,
        "x".repeat(1024 * 1024 + 1)
    );
    let cases: Vec<Case> = vec![
        (
            "no content type",
            "POST",
            "/graphql".into(),
            vec![auth.clone()],
            post("{ me { id } }".into()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
        ),
        (
            "not acceptable",
            "POST",
            "/graphql".into(),
            vec![auth.clone(), json.clone(), ("accept", "text/html".into())],
            post("{ me { id } }".into()),
            StatusCode::NOT_ACCEPTABLE,
            "BAD_USER_INPUT",
        ),
        (
            "not JSON",
            "POST",
            "/graphql".into(),
            vec![auth.clone(), json.clone()],
            "{".into(),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "batch",
            "POST",
            "/graphql".into(),
            vec![auth.clone(), json.clone()],
            format!(
                "[{},{}]",
                post("{ me { id } }".into()),
                post("{ me { id } }".into())
            ),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "query not a string",
            "POST",
            "/graphql".into(),
            vec![auth.clone(), json.clone()],
            r#"{"query":1}"#.into(),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "body too large",
            "POST",
            "/graphql".into(),
            vec![auth.clone(), json.clone()],
            big,
            StatusCode::PAYLOAD_TOO_LARGE,
            "BAD_USER_INPUT",
        ),
        (
            "mutation by GET",
            "GET",
            "/graphql?query=mutation%7BinvalidateStatisticsCache%7D".into(),
            vec![auth.clone()],
            String::new(),
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
        ),
        (
            "subscription by HTTP",
            "POST",
            "/graphql".into(),
            vec![auth.clone(), json.clone()],
            post("subscription { liveStats { openRequests } }".into()),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "too deep",
            "POST",
            "/graphql".into(),
            vec![auth.clone(), json.clone()],
            post(deep),
            StatusCode::OK,
            "TOO_COMPLEX",
        ),
        (
            "too complex",
            "POST",
            "/graphql".into(),
            vec![auth.clone(), json.clone()],
            post(format!("{{ {wide} }}")),
            StatusCode::OK,
            "TOO_COMPLEX",
        ),
        (
            "too many aliases",
            "POST",
            "/graphql".into(),
            vec![auth.clone(), json.clone()],
            post(format!("{{ {aliases} }}")),
            StatusCode::OK,
            "TOO_COMPLEX",
        ),
        (
            "does not parse",
            "POST",
            "/graphql".into(),
            vec![
                auth.clone(),
                json.clone(),
                ("accept", "application/graphql-response+json".into()),
            ],
            post("{".into()),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
        (
            "does not validate",
            "POST",
            "/graphql".into(),
            vec![
                auth.clone(),
                json.clone(),
                ("accept", "application/graphql-response+json".into()),
            ],
            post("{ nope }".into()),
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
        ),
    ];
    for (what, method, uri, headers, body, status, code) in cases {
        let before = statements.load(Ordering::SeqCst);
        let (got, answer) = send(method, uri, headers, body).await;
        assert_eq!(got, status, "{what}: {answer}");
        let got_codes = codes(&answer);
        assert!(
            !got_codes.is_empty() && got_codes.iter().all(|c| c == code),
            "{what}: {answer}"
        );
        assert_eq!(
            statements.load(Ordering::SeqCst),
            before,
            "{what}: statements ran"
        );
    }
    // the counter counts: a query that is let through reads the viewer and the figures
    let before = statements.load(Ordering::SeqCst);
    let (status, answer) = send(
        "POST",
        "/graphql".into(),
        vec![auth.clone(), json.clone()],
        post("{ overview { totalUsers } }".into()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        answer["data"]["overview"]["totalUsers"].is_i64(),
        "{answer}"
    );
    assert!(statements.load(Ordering::SeqCst) > before);
    app.cleanup().await;
}
