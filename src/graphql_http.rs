//! GraphQL over HTTP, as the GraphQL Foundation's specification says it: the media type of
//! the answer from `Accept`, the request read from a JSON body (POST) or the query string
//! (GET), and the status codes. Every refusal is a GraphQL response (`{"errors": [...]}`,
//! each error with a code), never plain text.

use crate::error::AppError;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// The media type of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// `application/json`: the default; GraphQL errors of a well-formed request are 200s.
    Json,
    /// `application/graphql-response+json`: request errors (a document that does not parse
    /// or validate, variables that do not coerce) are 400s without `data`.
    GraphqlResponse,
}

impl Media {
    fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::Json => "application/json; charset=utf-8",
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        })
    }
}

/// The answer's media type from `Accept`: `application/graphql-response+json` when the
/// client names it at least as high as `application/json`; `application/json` when it
/// accepts that (or `*/*`, `application/*`, or sends no `Accept`); none of them: `None`,
/// a 406.
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let mut accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .peekable();
    if accept.peek().is_none() {
        return Some(Media::Json);
    }
    let (mut graphql, mut json) = (0.0_f32, 0.0_f32);
    for range in accept.flat_map(|v| v.split(',')) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            "application/graphql-response+json" => graphql = graphql.max(q),
            "application/json" | "application/*" | "*/*" => json = json.max(q),
            _ => {}
        }
    }
    if graphql > 0.0 && graphql >= json {
        Some(Media::GraphqlResponse)
    } else if json > 0.0 {
        Some(Media::Json)
    } else {
        None
    }
}

/// A refusal before any execution: its status and its error (with its code).
#[derive(Debug)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// What the client is told.
    pub error: AppError,
}

impl Refusal {
    fn bad(message: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            error: AppError::bad_input(message),
        }
    }
}

/// A GraphQL response holding `error`, with its code, under `status`.
pub fn error_response(media: Media, status: StatusCode, error: &AppError) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": error.to_string(), "extensions": { "code": error.code() } }]
    });
    let mut response = json_response(media, Bytes::from(body.to_string()));
    *response.status_mut() = status;
    if status == StatusCode::METHOD_NOT_ALLOWED {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

/// An answer's JSON bytes as a 200 of `media`.
pub fn json_response(media: Media, body: Bytes) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

/// `PersistedQueryNotFound` (code `PERSISTED_QUERY_NOT_FOUND`), as Apollo's protocol has
/// it: a 200 whose error tells the client to send the document with its hash.
pub fn persisted_query_not_found(media: Media) -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": "PersistedQueryNotFound",
            "extensions": { "code": "PERSISTED_QUERY_NOT_FOUND" }
        }]
    });
    json_response(media, Bytes::from(body.to_string()))
}

/// A statistics answer a browser or proxy may keep: an `ETag` (of the media type and the
/// bytes), `Cache-Control: private, max-age=<seconds left>`, and a 304 without a body when
/// the request's `If-None-Match` names that tag.
pub fn cacheable(media: Media, body: Bytes, max_age: i64, request: &HeaderMap) -> Response {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(media.content_type().as_bytes());
    hasher.update(&body);
    let tag = format!("\"{}\"", hex::encode(&hasher.finalize()[..16]));
    let matches = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            let t = t.trim();
            t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        json_response(media, body)
    };
    let headers = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, tag);
    }
    if let Ok(cache) = HeaderValue::from_str(&format!("private, max-age={max_age}")) {
        headers.insert(header::CACHE_CONTROL, cache);
    }
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization"),
    );
    response
}

/// The status and JSON body of an executed operation. A request error (the document did not
/// parse or validate, a variable did not coerce: errors without a path and no data) has no
/// `data` entry, and is a 400 under `application/graphql-response+json`.
pub fn answer(media: Media, response: &async_graphql::Response) -> (StatusCode, Bytes) {
    let request_error = !response.errors.is_empty()
        && response.data == async_graphql::Value::Null
        && response.errors.iter().all(|e| e.path.is_empty());
    let body = if request_error {
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(response)
    };
    let status = if request_error && media == Media::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    (status, Bytes::from(body.unwrap_or_default()))
}

/// The name of a document's one operation, when it has one named operation.
pub fn only_operation_name(doc: &ExecutableDocument) -> Option<String> {
    match &doc.operations {
        DocumentOperations::Multiple(ops) if ops.len() == 1 => {
            ops.keys().next().map(|n| n.to_string())
        }
        _ => None,
    }
}

/// The response keys of the operation's top-level selection, in order (fragments spread).
pub fn root_keys(doc: &ExecutableDocument, operation: Option<&str>) -> Vec<String> {
    let op = match (&doc.operations, operation) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return Vec::new(),
        },
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().expect("one operation")
        }
        _ => return Vec::new(),
    };
    fn keys(set: &SelectionSet, doc: &ExecutableDocument, out: &mut Vec<String>, depth: usize) {
        if depth > 32 {
            return;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let key = f.node.response_key().node.as_str();
                    if !out.iter().any(|k| k == key) {
                        out.push(key.to_string());
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                        keys(&fragment.node.selection_set.node, doc, out, depth + 1);
                    }
                }
                Selection::InlineFragment(inline) => {
                    keys(&inline.node.selection_set.node, doc, out, depth + 1);
                }
            }
        }
    }
    let mut out = Vec::new();
    keys(&op.node.selection_set.node, doc, &mut out, 0);
    out
}

/// Puts the top-level fields of `data` in the order of `keys` (`root_keys`). The gateway
/// resolves root fields concurrently and its GraphQL library returns them in the order they
/// finished; the GraphQL specification orders a response as its selection set (nested
/// selections already are).
pub fn order_root(data: &mut async_graphql::Value, keys: &[String]) {
    let async_graphql::Value::Object(fields) = data else {
        return;
    };
    if fields.len() < 2 {
        return;
    }
    let mut sorted = async_graphql::indexmap::IndexMap::with_capacity(fields.len());
    for key in keys {
        if let Some((name, value)) = fields.shift_remove_entry(key.as_str()) {
            sorted.insert(name, value);
        }
    }
    sorted.extend(std::mem::take(fields));
    *fields = sorted;
}

/// A POST's `Content-Type` must be `application/json` (any parameters): else a 415.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), Refusal> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match content_type.as_deref() {
        Some("application/json") => Ok(()),
        Some(other) => Err(Refusal {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            error: AppError::bad_input(format!(
                "a POST's body must be `application/json`, not `{other}`"
            )),
        }),
        None => Err(Refusal {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            error: AppError::bad_input(
                "a POST needs `Content-Type: application/json` and a JSON body",
            ),
        }),
    }
}

/// The request of a POST: `Content-Type: application/json` (else 415), one JSON object
/// (a batch, or anything else, is a 400) with a string `query` (absent only for a
/// persisted query's hash), and `operationName`, `variables`, `extensions` of their types.
pub fn read_post(headers: &HeaderMap, body: &[u8]) -> Result<async_graphql::Request, Refusal> {
    check_content_type(headers)?;
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Refusal::bad(format!("the body is not JSON: {e}")))?;
    let Value::Object(fields) = value else {
        return Err(Refusal::bad(
            "the body must be one GraphQL request as a JSON object (batches are not accepted)",
        ));
    };
    let text = |name: &str| -> Result<Option<String>, Refusal> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Refusal::bad(format!("`{name}` must be a string"))),
        }
    };
    let object = |name: &str| -> Result<Option<Map<String, Value>>, Refusal> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map.clone())),
            Some(_) => Err(Refusal::bad(format!("`{name}` must be a JSON object"))),
        }
    };
    build(
        text("query")?,
        text("operationName")?,
        object("variables")?,
        object("extensions")?,
    )
}

/// The request of a GET: `query`, `operationName`, and `variables` and `extensions` as
/// JSON text, in the query string.
pub fn read_get(query_string: Option<&str>) -> Result<async_graphql::Request, Refusal> {
    let (mut query, mut name, mut variables, mut extensions) = (None, None, None, None);
    for (key, value) in form_urlencoded::parse(query_string.unwrap_or("").as_bytes()) {
        let slot = match key.as_ref() {
            "query" => &mut query,
            "operationName" => &mut name,
            "variables" => &mut variables,
            "extensions" => &mut extensions,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(Refusal::bad(format!("`{key}` is given twice")));
        }
    }
    let json = |name: &str, text: Option<String>| -> Result<Option<Map<String, Value>>, Refusal> {
        match text.as_deref().map(serde_json::from_str::<Value>) {
            None => Ok(None),
            Some(Ok(Value::Object(map))) => Ok(Some(map)),
            Some(Ok(Value::Null)) => Ok(None),
            Some(_) => Err(Refusal::bad(format!("`{name}` must be a JSON object"))),
        }
    };
    let variables = json("variables", variables)?;
    let extensions = json("extensions", extensions)?;
    build(query.filter(|q| !q.is_empty()), name, variables, extensions)
}

fn build(
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
    extensions: Option<Map<String, Value>>,
) -> Result<async_graphql::Request, Refusal> {
    let persisted = extensions
        .as_ref()
        .is_some_and(|e| e.contains_key("persistedQuery"));
    let query = match query {
        Some(q) => q,
        None if persisted => String::new(),
        None => return Err(Refusal::bad("the request has no `query`")),
    };
    let mut request = async_graphql::Request::new(query);
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    if let Some(vars) = variables {
        request = request.variables(async_graphql::Variables::from_json(Value::Object(vars)));
    }
    for (key, value) in extensions.unwrap_or_default() {
        request.extensions.insert(
            key,
            async_graphql::Value::from_json(value).unwrap_or_default(),
        );
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&str]) -> Option<Media> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        negotiate(&headers)
    }

    #[test]
    fn accept_picks_the_media_type() {
        assert_eq!(accept(&[]), Some(Media::Json));
        assert_eq!(accept(&["application/json"]), Some(Media::Json));
        assert_eq!(accept(&["*/*"]), Some(Media::Json));
        assert_eq!(
            accept(&["application/graphql-response+json"]),
            Some(Media::GraphqlResponse)
        );
        // what urql and Apollo Client send
        assert_eq!(
            accept(&[
                "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed"
            ]),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept(&["application/graphql-response+json;q=0.5, application/json"]),
            Some(Media::Json)
        );
        assert_eq!(accept(&["text/html"]), None);
        assert_eq!(accept(&["application/json;q=0"]), None);
        assert_eq!(
            accept(&["text/html", "application/json"]),
            Some(Media::Json)
        );
    }

    #[test]
    fn posts_and_gets_are_read_or_refused_with_their_status() {
        let json = {
            let mut h = HeaderMap::new();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            h
        };
        let ok = read_post(
            &json,
            br#"{"query":"{ me { id } }","variables":{"a":1},"operationName":null}"#,
        )
        .unwrap();
        assert_eq!(ok.query, "{ me { id } }");
        let refused =
            |headers: &HeaderMap, body: &[u8]| read_post(headers, body).unwrap_err().status;
        assert_eq!(
            refused(&HeaderMap::new(), b"{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let mut text = HeaderMap::new();
        text.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(
            refused(&text, br#"{"query":"{ me { id } }"}"#),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        for body in [
            &b"not json"[..],
            br#"[{"query":"{ me { id } }"}]"#,
            br#"{"query":1}"#,
            br#"{}"#,
            br#"{"query":"{ me { id } }","variables":"{}"}"#,
            br#"{"query":"{ me { id } }","operationName":3}"#,
            br#"{"query":"{ me { id } }","extensions":[]}"#,
        ] {
            let r = read_post(&json, body).unwrap_err();
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(r.error.code(), "BAD_USER_INPUT");
        }
        // a persisted query's hash alone is a request
        let apq = read_post(
            &json,
            br#"{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}"#,
        )
        .unwrap();
        assert!(apq.extensions.contains_key("persistedQuery"));

        let get = read_get(Some(
            "query=%7B%20me%20%7B%20id%20%7D%20%7D&variables=%7B%22a%22%3A1%7D",
        ))
        .unwrap();
        assert_eq!(get.query, "{ me { id } }");
        for q in [
            None,
            Some("query="),
            Some("query=x&query=y"),
            Some("query=x&variables=3"),
            Some("query=x&variables=%7B"),
        ] {
            assert_eq!(
                read_get(q).unwrap_err().status,
                StatusCode::BAD_REQUEST,
                "{q:?}"
            );
        }
    }
}
