//! Security headers on every response, a Content-Security-Policy per kind of page (no
//! inline code but GraphiQL's own, by nonce), and CORS for the configured origins only.

use crate::helpers::{Engine, TestApp};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};

fn text(headers: &HeaderMap, name: HeaderName) -> String {
    headers
        .get(name)
        .map_or(String::new(), |v| v.to_str().unwrap().to_string())
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_its_policy() {
    let app = TestApp::new(&Engine::Sqlite).await;
    let json: (HeaderName, &str) = (header::CONTENT_TYPE, "application/json");
    let pages = [
        ("GET", "/health", None),
        ("GET", "/metrics", None),
        ("GET", "/graphql?query=%7B__typename%7D", None),
        ("POST", "/graphql", Some(r#"{"query":"{ __typename }"}"#)),
        ("GET", "/exports/nope/download", None),
        ("GET", "/", None),
        ("GET", "/playground", None),
        ("GET", "/nope", None),
    ];
    for (method, uri, body) in pages {
        let (_, headers, bytes) = app
            .send(
                method,
                uri,
                std::slice::from_ref(&json),
                body.unwrap_or("").to_string(),
            )
            .await;
        assert_eq!(
            text(&headers, header::X_CONTENT_TYPE_OPTIONS),
            "nosniff",
            "{uri}"
        );
        assert_eq!(
            text(&headers, header::REFERRER_POLICY),
            "no-referrer",
            "{uri}"
        );
        assert_eq!(text(&headers, header::X_FRAME_OPTIONS), "DENY", "{uri}");
        let csp = text(&headers, header::CONTENT_SECURITY_POLICY);
        assert!(csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{uri}: {csp}"
        );
        match uri {
            "/" => assert!(csp.contains("script-src 'self';"), "{csp}"),
            "/playground" => {
                // the inline script and style carry this response's nonce, and only they
                let nonce = csp
                    .split("'nonce-")
                    .nth(1)
                    .and_then(|r| r.split('\'').next())
                    .unwrap()
                    .to_string();
                assert_eq!(nonce.len(), 32);
                let page = String::from_utf8(bytes).unwrap();
                assert!(
                    page.contains(&format!("<script nonce=\"{nonce}\">")),
                    "{page}"
                );
                assert!(page.contains(&format!("<style nonce=\"{nonce}\">")));
                assert!(!page.contains("<script>") && !page.contains("<style>"));
                let (_, again, _) = app.get("/playground", &[]).await;
                assert_ne!(
                    text(&again, header::CONTENT_SECURITY_POLICY),
                    csp,
                    "a nonce per response"
                );
            }
            _ => assert_eq!(csp, teliman_stats::layers::API_CSP, "{uri}"),
        }
    }
    app.cleanup().await;
}

#[tokio::test]
async fn cors_answers_the_configured_origins_only() {
    // the tests' configuration allows https://bi.example.org
    let app = TestApp::new(&Engine::Sqlite).await;
    let preflight = |origin: &'static str| {
        [
            (header::ORIGIN, origin),
            (header::ACCESS_CONTROL_REQUEST_METHOD, "POST"),
            (
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization, content-type",
            ),
        ]
    };
    let (status, headers, _) = app
        .send(
            "OPTIONS",
            "/graphql",
            &preflight("https://bi.example.org"),
            String::new(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        text(&headers, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "https://bi.example.org"
    );
    let methods = text(&headers, header::ACCESS_CONTROL_ALLOW_METHODS);
    assert!(
        methods.contains("POST") && methods.contains("GET"),
        "{methods}"
    );
    assert!(text(&headers, header::ACCESS_CONTROL_ALLOW_HEADERS).contains("authorization"));
    // another origin gets no CORS header: the browser refuses the answer to its page
    let (_, headers, _) = app
        .send(
            "OPTIONS",
            "/graphql",
            &preflight("https://evil.example"),
            String::new(),
        )
        .await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    let (_, headers, _) = app
        .send(
            "GET",
            "/graphql?query=%7B__typename%7D",
            &[(header::ORIGIN, "https://evil.example")],
            String::new(),
        )
        .await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    // the ETag of a cacheable answer is readable by an allowed page
    let (_, headers, _) = app
        .send(
            "GET",
            "/graphql?query=%7B__typename%7D",
            &[(header::ORIGIN, "https://bi.example.org")],
            String::new(),
        )
        .await;
    assert_eq!(
        text(&headers, header::ACCESS_CONTROL_EXPOSE_HEADERS).to_lowercase(),
        "etag"
    );
    app.cleanup().await;
}
