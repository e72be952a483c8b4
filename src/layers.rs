//! What every HTTP response gets: security headers (a Content-Security-Policy per kind of
//! page), CORS for the configured origins only, and one log line per request (method, path
//! without its query string, status, duration, and for GraphQL the operation, its outcome
//! and whether the cache answered; never a header, a token or a query string).

use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of API answers (JSON, files): nothing may run, nothing may frame them.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The dashboard page's policy: its own scripts and styles only (no inline code).
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// GraphiQL's policy: its own files and the inline script and style carrying `nonce`.
pub fn playground_csp(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// A fresh nonce for one page.
pub fn nonce() -> String {
    use rand::Rng;
    hex::encode(rand::rng().random::<[u8; 16]>())
}

/// What a GraphQL handler tells the request log about its answer.
#[derive(Clone, Debug)]
pub struct Logged {
    /// The operation's name (`anonymous` without one).
    pub operation: String,
    /// `ok` or the first error's code.
    pub outcome: String,
    /// `hit` (no entry computed), `miss`, or `none` (no statistics read).
    pub cache: &'static str,
}

/// Adds the security headers a response has not set itself, and logs the request.
pub async fn around(request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().clone();
    // the path only: a sign-in link's `?token=` never reaches a log line
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let defaults: [(header::HeaderName, &str); 5] = [
        (header::CONTENT_SECURITY_POLICY, API_CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    match response.extensions().get::<Logged>() {
        Some(l) => tracing::info!(
            target: "request",
            %method, path, status, ms, operation = %l.operation, outcome = %l.outcome, cache = l.cache,
            "request"
        ),
        None if method != Method::OPTIONS => {
            tracing::info!(target: "request", %method, path, status, ms, "request")
        }
        None => {}
    }
    response
}

/// CORS for the configured origins (none: no CORS headers, browsers on other origins are
/// refused).
pub fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(list))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([header::ETAG])
        .max_age(std::time::Duration::from_secs(600))
}
