//! Permissions, tokens, bad input and limits: each gets its typed error and changes nothing.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{SECRET, TestApp, codes, engines};
use axum::http::StatusCode;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

const OVERVIEW: &str = "{ overview { totalUsers } }";

fn sign(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn anonymous_is_unauthenticated_and_me_is_null() {
    let app = TestApp::new(&crate::helpers::Engine::Sqlite).await;
    app.load(ROWS).await;
    let (status, body) = app.post(None, OVERVIEW, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(codes(&body), vec!["UNAUTHENTICATED"]);
    let (_, body) = app.post(None, "{ me { id } }", json!({})).await;
    assert_eq!(body["data"]["me"], serde_json::Value::Null);
    assert!(body.get("errors").is_none());
    app.cleanup().await;
}

#[tokio::test]
async fn clients_and_technicians_are_forbidden_admins_see_themselves() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        for user in [2, 5] {
            let (_, body) = app
                .post(Some(&app.token(user, 1)), OVERVIEW, json!({}))
                .await;
            assert_eq!(codes(&body), vec!["FORBIDDEN"], "user {user}");
            assert_eq!(body["data"], serde_json::Value::Null);
        }
        let (_, body) = app
            .post(
                Some(&app.token(5, 1)),
                "{ me { id email fullName role } }",
                json!({}),
            )
            .await;
        assert_eq!(
            body["data"]["me"],
            json!({ "id": "5", "email": "tech5@example.org", "fullName": "Awa Traoré", "role": "technician" })
        );
        let (_, body) = app.post(Some(&app.token(1, 1)), OVERVIEW, json!({})).await;
        assert!(body.get("errors").is_none(), "{body}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn bad_expired_unsigned_and_unknown_tokens_are_unauthenticated_everywhere() {
    let app = TestApp::new(&crate::helpers::Engine::Sqlite).await;
    app.load(ROWS).await;
    let exp = chrono::Utc::now().timestamp() + 3600;
    let unsigned = {
        use base64_like::encode;
        format!(
            "{}.{}.",
            encode(br#"{"alg":"none","typ":"JWT"}"#),
            encode(format!(r#"{{"sub":"1","role":"admin","exp":{exp}}}"#).as_bytes())
        )
    };
    let tokens = [
        ("expired beyond the leeway", app.token(1, -1)),
        (
            "signed with another secret",
            sign(
                json!({ "sub": "1", "role": "admin", "exp": exp }),
                "another-secret-0123456789",
            ),
        ),
        ("unsigned", unsigned),
        ("garbage", "not-a-jwt".to_string()),
        (
            "unknown user",
            sign(json!({ "sub": "999", "role": "admin", "exp": exp }), SECRET),
        ),
        (
            "sub not a number",
            sign(
                json!({ "sub": "admin", "role": "admin", "exp": exp }),
                SECRET,
            ),
        ),
    ];
    for (what, token) in tokens {
        let (_, body) = app
            .post(
                Some(&token),
                "{ me { id } overview { totalUsers } }",
                json!({}),
            )
            .await;
        let c = codes(&body);
        assert!(
            !c.is_empty() && c.iter().all(|c| c == "UNAUTHENTICATED"),
            "{what}: {body}"
        );
        assert_eq!(body["data"], serde_json::Value::Null, "{what}");
    }
    // the role claim is only a hint: a client's token claiming admin is still a client
    let (_, body) = app
        .post(
            Some(&sign(
                json!({ "sub": "2", "role": "admin", "exp": exp }),
                SECRET,
            )),
            OVERVIEW,
            json!({}),
        )
        .await;
    assert_eq!(codes(&body), vec!["FORBIDDEN"]);
    app.cleanup().await;
}

/// Minimal base64url without padding, to build an `alg: none` token by hand.
mod base64_like {
    pub fn encode(bytes: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}

#[tokio::test]
async fn a_demoted_admin_loses_access_at_once() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let token = app.token(1, 1);
        let (_, body) = app.post(Some(&token), OVERVIEW, json!({})).await;
        assert!(body.get("errors").is_none());
        app.load("UPDATE users SET role = 'client' WHERE id = 1")
            .await;
        let (_, body) = app.post(Some(&token), OVERVIEW, json!({})).await;
        assert_eq!(codes(&body), vec!["FORBIDDEN"]);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn bad_filters_are_bad_user_input() {
    let app = TestApp::new(&crate::helpers::Engine::Sqlite).await;
    app.load(ROWS).await;
    let token = app.token(1, 1);
    let q = "query($f: StatsFilter) { overview(filter: $f) { totalUsers } }";
    let cases = [
        (
            "from after to",
            json!({ "from": "2026-06-02T00:00:00Z", "to": "2026-06-01T00:00:00Z" }),
        ),
        (
            "from equal to",
            json!({ "from": "2026-06-01T00:00:00Z", "to": "2026-06-01T00:00:00Z" }),
        ),
        (
            "asOf in the future",
            json!({ "asOf": "2999-01-01T00:00:00Z" }),
        ),
        ("not a date-time", json!({ "asOf": "yesterday" })),
        ("unknown period", json!({ "period": "LAST_YEAR" })),
        ("city too long", json!({ "city": "x".repeat(101) })),
        ("control character", json!({ "specialty": "it\u{0007}" })),
    ];
    for (what, filter) in cases {
        let (_, body) = app.post(Some(&token), q, json!({ "f": filter })).await;
        let c = codes(&body);
        assert_eq!(c, vec!["BAD_USER_INPUT"], "{what}: {body}");
        assert_eq!(body["data"], serde_json::Value::Null, "{what}");
    }
    // a valid filter still works: nothing changed
    let (_, body) = app
        .post(Some(&token), q, json!({ "f": { "asOf": AS_OF } }))
        .await;
    assert_eq!(body["data"]["overview"]["totalUsers"], 6);
    app.cleanup().await;
}

#[tokio::test]
async fn queries_over_the_limits_are_too_complex() {
    let app = TestApp::new(&crate::helpers::Engine::Sqlite).await;
    app.load(ROWS).await;
    let token = app.token(1, 1);
    // 17 levels of nesting through introspection types
    let mut deep = String::from("name");
    for _ in 0..17 {
        deep = format!("ofType {{ {deep} }}");
    }
    let deep = format!("{{ __schema {{ types {{ fields {{ type {{ {deep} }} }} }} }} }}");
    // 2001 fields is more than the complexity of 2000
    let wide: String = (0..2001).map(|i| format!("f{i}: __typename ")).collect();
    let aliases: String = (0..101).map(|i| format!("a{i}: me {{ id }} ")).collect();
    for (what, query) in [
        ("deep", deep),
        ("complex", format!("{{ {wide} }}")),
        ("aliases", format!("{{ {aliases} }}")),
    ] {
        let (_, body) = app.post(Some(&token), &query, json!({})).await;
        assert_eq!(codes(&body), vec!["TOO_COMPLEX"], "{what}: {body}");
    }
    // GraphiQL's introspection fits within the limits
    let (_, body) = app
        .post(Some(&token), "{ __schema { queryType { name } types { name fields { name args { name type { name ofType { name ofType { name } } } } } } } }", json!({}))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    app.cleanup().await;
}

#[tokio::test]
async fn batches_and_oversized_bodies_are_refused() {
    let app = TestApp::new(&crate::helpers::Engine::Sqlite).await;
    let token = app.token(1, 1);
    let (status, _) = app
        .raw(
            "POST",
            "/graphql",
            Some(&token),
            r#"[{"query":"{ me { id } }"},{"query":"{ me { id } }"}]"#.into(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let big = format!(
        r#"{{"query":"{{ me {{ id }} }}","variables":{{"x":"{}"}}}}"#,
        "x".repeat(1024 * 1024 + 1)
    );
    let (status, body) = app.raw("POST", "/graphql", Some(&token), big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // as a GraphQL error with its code, like every refusal
    assert_eq!(codes(&body), vec!["BAD_USER_INPUT"], "{body}");
    // a body that is not a GraphQL request
    let (status, _) = app
        .raw("POST", "/graphql", Some(&token), "not json".into())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.cleanup().await;
}

#[tokio::test]
async fn health_and_ready() {
    let app = TestApp::new(&crate::helpers::Engine::Sqlite).await;
    let (status, _) = app.raw("GET", "/health", None, String::new()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.raw("GET", "/ready", None, String::new()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, page) = app.raw("GET", "/playground", None, String::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("GraphiQL"));
    app.db.clone().close().await.unwrap();
    let (status, _) = app.raw("GET", "/ready", None, String::new()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    app.cleanup().await;
}

#[tokio::test]
async fn requests_beyond_the_per_user_rate_limit_are_rate_limited() {
    for engine in engines() {
        let app = TestApp::with_config(&engine, chrono_tz::UTC, |c| {
            c.rate_limit_per_minute = std::num::NonZeroU32::new(3);
        })
        .await;
        app.load(ROWS).await;
        let q = "query($f: StatsFilter) { globalStatistics(filter: $f) { requests { total } } }";
        let v = json!({ "f": { "asOf": AS_OF } });
        let admin = app.token(1, 1);
        // three in the minute are served (the third from the kept answer)...
        for _ in 0..3 {
            let (status, body) = app.post(Some(&admin), q, v.clone()).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["data"]["globalStatistics"]["requests"]["total"], 11);
        }
        // ...the fourth is refused before anything runs
        let (status, body) = app.post(Some(&admin), q, v.clone()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(codes(&body), vec!["RATE_LIMITED"]);
        assert!(body.get("data").is_none(), "{body}");
        // the quota is per user: a client still gets its own answer (FORBIDDEN here)
        let (status, body) = app.post(Some(&app.token(2, 1)), q, v.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(codes(&body), vec!["FORBIDDEN"]);
        app.cleanup().await;
    }
}
