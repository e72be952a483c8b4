//! Automatic persisted queries (Apollo's protocol), shared through the database, and the
//! HTTP caching of statistics fetched by GET with a hash: `ETag`, `Cache-Control`, 304.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{Engine, TestApp, codes, engines};
use axum::http::{HeaderName, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use teliman_stats::persisted::PersistedQueries;

const STATS: &str = "query Revenue($f: StatsFilter) { globalStatistics(filter: $f) { financial { totalRevenue } satisfaction { totalReviews } } }";

fn hash(query: &str) -> String {
    hex::encode(Sha256::digest(query.as_bytes()))
}

fn extensions(query: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash(query) } })
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The GET of a persisted query (the hash alone) as Apollo Client and urql send it.
fn get_uri(query: &str, variables: &Value) -> String {
    format!(
        "/graphql?operationName=Revenue&variables={}&extensions={}",
        encode(&variables.to_string()),
        encode(&extensions(query).to_string())
    )
}

async fn post(app: &TestApp, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    app.raw("POST", "/graphql", token, body.to_string()).await
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[tokio::test]
async fn a_hash_is_registered_once_then_serves_by_post_and_get_with_an_etag() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let token = app.token(1, 1);
        let bearer = format!("Bearer {token}");
        let auth: (HeaderName, &str) = (header::AUTHORIZATION, &bearer);
        let vars = json!({ "f": { "asOf": AS_OF } });

        // unknown hash: the client is told to send the document
        let (status, body) = post(
            &app,
            Some(&token),
            json!({ "variables": vars, "extensions": extensions(STATS) }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
        assert_eq!(codes(&body), vec!["PERSISTED_QUERY_NOT_FOUND"]);
        // a document that is not its hash's is refused
        let (status, body) = post(
            &app,
            Some(&token),
            json!({ "query": "{ __typename }", "extensions": extensions(STATS) }),
        )
        .await;
        assert_eq!(
            (status, codes(&body)),
            (StatusCode::BAD_REQUEST, vec!["BAD_USER_INPUT".to_string()])
        );
        // the document with its hash: registered and answered
        let (status, body) = post(
            &app,
            Some(&token),
            json!({ "query": STATS, "variables": vars, "extensions": extensions(STATS) }),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let figures = body["data"].clone();
        assert!(
            figures["globalStatistics"]["financial"]["totalRevenue"].is_string(),
            "{body}"
        );
        // the hash alone now serves, by POST
        let (_, body) = post(
            &app,
            Some(&token),
            json!({ "variables": vars, "extensions": extensions(STATS) }),
        )
        .await;
        assert_eq!(body["data"], figures);
        // another gateway on the same database knows it (a store with nothing in memory)
        let replica = PersistedQueries::new(app.db.clone());
        assert_eq!(
            replica.get(&hash(STATS)).await.unwrap().as_deref(),
            Some(STATS)
        );

        // by GET: the answer carries an ETag and may be kept for what its entries have left
        let uri = get_uri(STATS, &vars);
        let (status, headers, bytes) = app.get(&uri, std::slice::from_ref(&auth)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(json_of(&bytes)["data"], figures);
        let etag = headers[header::ETAG].to_str().unwrap().to_string();
        let cache = headers[header::CACHE_CONTROL].to_str().unwrap().to_string();
        let max_age: i64 = cache
            .strip_prefix("private, max-age=")
            .unwrap()
            .parse()
            .unwrap();
        assert!((3000..=3600).contains(&max_age), "{cache}");
        assert_eq!(headers[header::VARY], "Accept, Authorization");
        // the same tag again: 304, no body, and the validators again
        let (status, headers, bytes) = app
            .get(&uri, &[auth.clone(), (header::IF_NONE_MATCH, &etag)])
            .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(bytes.is_empty());
        assert_eq!(headers[header::ETAG].to_str().unwrap(), etag);
        // another media type is another representation
        let (_, headers, _) = app
            .get(
                &uri,
                &[
                    auth.clone(),
                    (header::ACCEPT, "application/graphql-response+json"),
                ],
            )
            .await;
        assert_ne!(headers[header::ETAG].to_str().unwrap(), etag);

        // new data: the old tag no longer matches, the new figures come with a new tag
        app.load("INSERT INTO reviews (id, request_id, client_id, technician_id, rating, would_recommend, comment, created_at, updated_at) VALUES (100, 5, 2, 3, 1, FALSE, NULL, '2026-06-14T12:00:00+00:00', '2026-06-14T12:00:00+00:00')").await;
        let (status, headers, bytes) = app
            .get(&uri, &[auth.clone(), (header::IF_NONE_MATCH, &etag)])
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(headers[header::ETAG].to_str().unwrap(), etag);
        assert_ne!(json_of(&bytes)["data"], figures);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn only_statistics_answers_are_cacheable_and_anonymous_documents_are_not_kept() {
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    let token = app.token(1, 1);
    let bearer = format!("Bearer {token}");
    // `me` is read outside the statistics engine: no ETag, no max-age
    let me = "query Revenue { me { id } }";
    let (_, body) = post(
        &app,
        Some(&token),
        json!({ "query": me, "extensions": extensions(me) }),
    )
    .await;
    assert_eq!(body["data"]["me"]["id"], "1");
    let (status, headers, _) = app
        .get(
            &get_uri(me, &json!({})),
            &[(header::AUTHORIZATION, &bearer)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::ETAG).is_none() && headers.get(header::CACHE_CONTROL).is_none());
    // a document sent anonymously runs but is not registered
    let other = "query Revenue { __typename }";
    let (_, body) = post(
        &app,
        None,
        json!({ "query": other, "extensions": extensions(other) }),
    )
    .await;
    assert_eq!(body["data"]["__typename"], "Query");
    let (_, body) = post(&app, None, json!({ "extensions": extensions(other) })).await;
    assert_eq!(codes(&body), vec!["PERSISTED_QUERY_NOT_FOUND"]);
    // a persisted mutation is still refused over GET
    let mutation = "mutation Revenue { invalidateStatisticsCache }";
    post(
        &app,
        Some(&token),
        json!({ "query": mutation, "extensions": extensions(mutation) }),
    )
    .await;
    let (status, _, bytes) = app
        .get(
            &get_uri(mutation, &json!({})),
            &[(header::AUTHORIZATION, &bearer)],
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(codes(&json_of(&bytes)), vec!["BAD_USER_INPUT"]);
    app.cleanup().await;
}
