//! Every example operation in `playground/` runs without errors on the hand-built data set.

use crate::fixture::ROWS;
use crate::helpers::{Engine, TestApp};
use serde_json::json;

#[tokio::test]
async fn playground_operations_run_cleanly() {
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("playground");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "graphql"));
    files.sort();
    assert!(files.len() >= 8);
    for file in files {
        let query = std::fs::read_to_string(&file).unwrap();
        if is_subscription(&query) {
            // over the WebSocket: `live::playground_subscriptions_run_cleanly`
            continue;
        }
        let data = app
            .data(&query, json!({ "filter": { "period": "LAST_30D" } }))
            .await;
        assert!(
            data.is_object() && !data.as_object().unwrap().is_empty(),
            "{}",
            file.display()
        );
    }
    app.cleanup().await;
}

/// Whether an example operation is a subscription (its first word after the comments).
pub fn is_subscription(document: &str) -> bool {
    document
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with("subscription"))
}

#[test]
fn graphiql_offers_every_playground_file_as_a_tab() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("playground");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".graphql"))
        .collect();
    files.sort();
    let tabs: Vec<String> = teliman_stats::playground::OPERATIONS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(files, tabs);
}

#[tokio::test]
async fn graphiql_and_its_assets_are_served_from_the_binary() {
    let app = TestApp::new(&Engine::Sqlite).await;
    let (status, page) = app.raw("GET", "/playground", None, String::new()).await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let page = page.as_str().unwrap().to_string();
    assert!(page.contains("/playground/assets/graphiql.min.js") && !page.contains("unpkg.com"));
    assert!(page.contains("globalStatistics"));
    for asset in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
    ] {
        let (status, _) = app
            .raw(
                "GET",
                &format!("/playground/assets/{asset}"),
                None,
                String::new(),
            )
            .await;
        assert_eq!(status, axum::http::StatusCode::OK, "{asset}");
    }
    let (status, _) = app
        .raw(
            "GET",
            "/playground/assets/../Cargo.toml",
            None,
            String::new(),
        )
        .await;
    assert_ne!(status, axum::http::StatusCode::OK);
    app.cleanup().await;
}
