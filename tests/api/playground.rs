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
