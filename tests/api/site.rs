//! The dashboard page at `/`: embedded in the binary, the page revalidated on every visit,
//! the hashed bundles kept a year, gzipped for browsers that take it.

use crate::helpers::{Engine, TestApp};
use axum::http::{HeaderMap, StatusCode, header};

async fn get(
    app: &TestApp,
    uri: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    app.get(uri, headers).await
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> &str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

#[tokio::test]
async fn the_page_and_its_bundles_are_served_with_their_cache_rules() {
    let app = TestApp::new(&Engine::Sqlite).await;
    // a sign-in link's address serves the same page (the token is read by the page)
    let (status, headers, body) = get(&app, "/?token=abc.def.ghi&period=ALL", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&headers, header::CONTENT_TYPE), "text/html");
    assert_eq!(text(&headers, header::CACHE_CONTROL), "no-cache");
    let page = String::from_utf8(body).unwrap();
    assert!(page.contains(r#"<div id="root">"#), "{page}");
    // the entry bundle, named by a hash of its content
    let script = page
        .split(r#"src="/assets/"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page names its bundle under /assets/");
    assert!(script.ends_with(".js"), "{script}");

    // the page again with its ETag: not modified
    let etag = text(&headers, header::ETAG).to_string();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let (status, again, body) = get(&app, "/", &[(header::IF_NONE_MATCH, etag.as_str())]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(text(&again, header::ETAG), etag);
    assert!(body.is_empty());

    // the bundle: kept a year, gzipped when accepted
    let uri = format!("/assets/{script}");
    let (status, headers, plain) = get(&app, &uri, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&headers, header::CONTENT_TYPE), "text/javascript");
    assert_eq!(
        text(&headers, header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    let (status, headers, zipped) = get(&app, &uri, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&headers, header::CONTENT_ENCODING), "gzip");
    assert!(
        zipped.len() * 2 < plain.len(),
        "{} gzipped of {}",
        zipped.len(),
        plain.len()
    );

    // other files of the build, and what is not there
    let (status, headers, _) = get(&app, "/favicon.svg", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&headers, header::CONTENT_TYPE), "image/svg+xml");
    assert_eq!(
        get(&app, "/assets/nope-123.js", &[]).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(&app, "/nope.txt", &[]).await.0, StatusCode::NOT_FOUND);
    // the API's routes are not shadowed by the page's
    assert_eq!(get(&app, "/health", &[]).await.0, StatusCode::OK);
    app.cleanup().await;
}
