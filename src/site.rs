//! The dashboard page at `/`, built by Vite into `dashboard/dist/` and embedded in the
//! binary (one file to deploy, and the page always matches the schema it was type-checked
//! against). Bundles under `/assets/` carry a content hash in their names: browsers keep
//! them a year (`immutable`); `index.html` and the other files are revalidated on each
//! visit (`no-cache`, with an `ETag`), so a new release is seen at once.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "$DASHBOARD_DIST"]
struct Dist;

/// Cache policy of files whose names carry a hash of their content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache policy of the page and unhashed files: revalidate every time.
const REVALIDATE: &str = "no-cache";

/// `GET /`: the page (the client reads its filters and token from the query string).
pub async fn index(headers: HeaderMap) -> Response {
    serve("index.html", REVALIDATE, &headers)
}

/// `GET /assets/{*path}`: a hashed bundle, chunk, style sheet or font.
pub async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&format!("assets/{path}"), IMMUTABLE, &headers)
}

/// `GET /{file}`: another file of the build's root (`favicon.svg`, ...).
pub async fn root_file(Path(file): Path<String>, headers: HeaderMap) -> Response {
    if file == "index.html" {
        return serve("index.html", REVALIDATE, &headers);
    }
    serve(&file, REVALIDATE, &headers)
}

fn serve(path: &str, cache: &'static str, headers: &HeaderMap) -> Response {
    let Some(file) = Dist::get(path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..16]));
    let cache = HeaderValue::from_static(cache);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let etag = HeaderValue::from_str(&etag).expect("hex is a valid header value");
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    let mime = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(crate::layers::PAGE_CSP),
            ),
        ],
        file.data,
    )
        .into_response()
}

/// Whether a real build is embedded (not the page saying how to build one).
pub fn is_built() -> bool {
    Dist::iter().any(|p| p.starts_with("assets/"))
}
