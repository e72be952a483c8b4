//! The GraphiQL page at `/playground`, served with its assets from the binary (it works
//! without internet access), with the example operations of `playground/` as tabs.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// The example operations, one GraphiQL tab each.
pub const OPERATIONS: [(&str, &str); 12] = [
    (
        "01-overview.graphql",
        include_str!("../playground/01-overview.graphql"),
    ),
    (
        "02-requests.graphql",
        include_str!("../playground/02-requests.graphql"),
    ),
    (
        "03-financial.graphql",
        include_str!("../playground/03-financial.graphql"),
    ),
    (
        "04-satisfaction-technicians.graphql",
        include_str!("../playground/04-satisfaction-technicians.graphql"),
    ),
    (
        "05-security-advanced.graphql",
        include_str!("../playground/05-security-advanced.graphql"),
    ),
    (
        "06-trends.graphql",
        include_str!("../playground/06-trends.graphql"),
    ),
    (
        "07-global-statistics.graphql",
        include_str!("../playground/07-global-statistics.graphql"),
    ),
    (
        "08-real-time.graphql",
        include_str!("../playground/08-real-time.graphql"),
    ),
    (
        "09-live-stats.graphql",
        include_str!("../playground/09-live-stats.graphql"),
    ),
    (
        "10-alerts.graphql",
        include_str!("../playground/10-alerts.graphql"),
    ),
    (
        "11-alert-raised.graphql",
        include_str!("../playground/11-alert-raised.graphql"),
    ),
    (
        "12-dashboards.graphql",
        include_str!("../playground/12-dashboards.graphql"),
    ),
];

const PAGE: &str = include_str!("../playground/index.html");

/// The page; `token` (demo mode only) is put in the headers editor; `nonce` marks its
/// inline script and style (the only ones its Content-Security-Policy lets run).
pub fn page(token: Option<&str>, nonce: &str) -> Html<String> {
    let tabs: Vec<_> = OPERATIONS
        .iter()
        .map(|(_, query)| json!({ "query": query, "variables": "{ \"filter\": { \"period\": \"LAST_30D\" } }" }))
        .collect();
    let headers = match token {
        Some(t) => format!("{{ \"Authorization\": \"Bearer {t}\" }}"),
        None => "{ \"Authorization\": \"Bearer <paste a token from `teliman-stats token --email ...`>\" }".to_string(),
    };
    let settings = json!({ "tabs": tabs, "headers": headers });
    // `</` cannot end the script element from inside the JSON
    let settings = settings.to_string().replace("</", "<\\/");
    Html(
        PAGE.replace("/*SETTINGS*/{}/*END*/", &settings)
            .replace("<script>", &format!("<script nonce=\"{nonce}\">"))
            .replace("<style>", &format!("<style nonce=\"{nonce}\">")),
    )
}

/// A static asset of the page.
pub async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind): (&'static [u8], &str) = match name.as_str() {
        "graphiql.min.js" => (
            include_bytes!("../playground/assets/graphiql.min.js"),
            "text/javascript",
        ),
        "graphiql.min.css" => (
            include_bytes!("../playground/assets/graphiql.min.css"),
            "text/css",
        ),
        "react.production.min.js" => (
            include_bytes!("../playground/assets/react.production.min.js"),
            "text/javascript",
        ),
        "react-dom.production.min.js" => (
            include_bytes!("../playground/assets/react-dom.production.min.js"),
            "text/javascript",
        ),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}
