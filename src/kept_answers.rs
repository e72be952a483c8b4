//! Answers to repeated operations, kept as the bytes of an earlier answer.
//!
//! A dashboard or a BI script asks the same statistics document again and again. When an
//! answer was made only from fresh engine hits (nothing computed, nothing stale, no field
//! that read anything else), its JSON is kept under the request. The next request for the
//! same operation from an admin gets those bytes while every entry the answer came from is
//! still the one in the engine, within its time to live, its tables unchanged, and no entry
//! was dropped by hand since: exactly when executing the operation again would give the same
//! bytes. Anything else runs the operation.
//!
//! "The same operation" is the same bytes (looked up first, by a hash), or the same document
//! up to insignificant whitespace, commas and comments, with the same operation name and the
//! same variables in any key order.

use crate::stats::Engine;
use crate::telemetry::TELEMETRY;
use axum::body::Bytes;
use chrono::{DateTime, Utc};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A kept answer.
#[derive(Debug)]
pub struct KeptAnswer {
    canonical: String,
    /// The answer's JSON.
    pub body: Bytes,
    /// The operation's name, for the request metrics.
    pub operation: String,
    entries: Vec<(Arc<str>, DateTime<Utc>)>,
    invalidations: u64,
}

/// A request body known to be a kept answer's operation.
#[derive(Debug)]
struct Alias {
    request: Bytes,
    canonical: u64,
}

/// The kept answers, bounded by bytes.
pub struct KeptAnswers {
    answers: moka::future::Cache<u64, Arc<KeptAnswer>>,
    aliases: moka::future::Cache<u64, Arc<Alias>>,
    /// Requests answered with kept bytes.
    pub hits: AtomicU64,
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

impl KeptAnswers {
    /// Kept answers holding at most about `max_bytes` of requests and answers.
    pub fn new(max_bytes: u64) -> Self {
        let answers = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_: &u64, a: &Arc<KeptAnswer>| {
                u32::try_from(a.canonical.len() + a.body.len() + 256).unwrap_or(u32::MAX)
            })
            .build();
        let aliases = moka::future::Cache::builder()
            .max_capacity(max_bytes / 4)
            .weigher(|_: &u64, a: &Arc<Alias>| {
                u32::try_from(a.request.len() + 64).unwrap_or(u32::MAX)
            })
            .build();
        KeptAnswers {
            answers,
            aliases,
            hits: AtomicU64::new(0),
        }
    }

    /// The kept answer to this request body, if executing it now would give the same bytes.
    pub async fn lookup(&self, request: &Bytes, engine: &Engine) -> Option<Arc<KeptAnswer>> {
        let exact = hash(request);
        let answer = match self.aliases.get(&exact).await {
            Some(alias) if alias.request == *request => self.answers.get(&alias.canonical).await?,
            _ => {
                let canonical = canonical(request)?;
                let answer = self.answers.get(&hash(canonical.as_bytes())).await?;
                if answer.canonical != canonical {
                    return None;
                }
                self.alias(request, &answer).await;
                answer
            }
        };
        if answer.invalidations != engine.invalidations() {
            return None;
        }
        if !engine.are_fresh_hits(&answer.entries).await {
            return None;
        }
        Some(answer)
    }

    /// Counts a kept answer served (to an admin: `lookup` does not know who asks).
    pub fn served(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
        TELEMETRY.cache_event("response", "hit");
    }

    async fn alias(&self, request: &Bytes, answer: &KeptAnswer) {
        let alias = Alias {
            request: request.clone(),
            canonical: hash(answer.canonical.as_bytes()),
        };
        self.aliases.insert(hash(request), Arc::new(alias)).await;
    }

    /// Keeps `body` as the answer to `request`, made from fresh hits on `entries` (taken
    /// when the engine had been invalidated `invalidations` times).
    pub async fn keep(
        &self,
        request: Bytes,
        body: Bytes,
        operation: &str,
        entries: Vec<(Arc<str>, DateTime<Utc>)>,
        invalidations: u64,
    ) {
        let Some(canonical) = canonical(&request) else {
            return;
        };
        let answer = KeptAnswer {
            canonical,
            body,
            operation: operation.to_string(),
            entries,
            invalidations,
        };
        self.alias(&request, &answer).await;
        self.answers
            .insert(hash(answer.canonical.as_bytes()), Arc::new(answer))
            .await;
    }
}

/// The operation of a GraphQL-over-HTTP JSON body in a canonical form: its document with
/// insignificant characters dropped, its operation name, its variables with sorted keys.
fn canonical(request: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Body {
        query: String,
        #[serde(default)]
        operation_name: Option<String>,
        #[serde(default)]
        variables: Option<serde_json::Value>,
        #[serde(default)]
        extensions: Option<serde_json::Value>,
    }
    let body: Body = serde_json::from_slice(request).ok()?;
    let mut out = normalize_document(&body.query);
    out.push('\0');
    out.push_str(body.operation_name.as_deref().unwrap_or(""));
    for value in [&body.variables, &body.extensions] {
        out.push('\0');
        if let Some(v) = value {
            write_sorted(v, &mut out);
        }
    }
    Some(out)
}

/// JSON with object keys in sorted order.
fn write_sorted(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.clone()).to_string());
                out.push(':');
                write_sorted(&map[k], out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A GraphQL document without its insignificant characters (white space, line breaks,
/// commas, comments): one space is kept only between two names or numbers; strings and
/// block strings are copied as they are.
pub fn normalize_document(document: &str) -> String {
    let mut out = String::with_capacity(document.len());
    let mut gap = false;
    let mut rest = document;
    while let Some(c) = rest.chars().next() {
        if c == '#' {
            let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
            rest = &rest[end..];
            gap = true;
        } else if c.is_whitespace() || c == ',' || c == '\u{feff}' {
            rest = &rest[c.len_utf8()..];
            gap = true;
        } else if c == '"' {
            let len = string_len(rest);
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            gap = false;
        } else {
            if gap && out.chars().next_back().is_some_and(is_name_char) && is_name_char(c) {
                out.push(' ');
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
            gap = false;
        }
    }
    out
}

/// Length in bytes of the string or block string that `text` starts with (all of `text` if
/// it is not closed).
fn string_len(text: &str) -> usize {
    if let Some(body) = text.strip_prefix("\"\"\"") {
        let mut i = 0;
        while i < body.len() {
            if body[i..].starts_with("\\\"\"\"") {
                i += 4;
            } else if body[i..].starts_with("\"\"\"") {
                return 3 + i + 3;
            } else {
                i += body[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
        return text.len();
    }
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return i + 1,
            _ => {}
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insignificant_characters_do_not_matter() {
        let a =
            "query Q($f: StatsFilter) {\n  globalStatistics(filter: $f) { requests { total } }\n}";
        let b = "query Q($f:StatsFilter){globalStatistics(filter:$f){requests{total}}} # note";
        let c = "query   Q ( $f : StatsFilter ) , { globalStatistics ( filter : $f ) { requests { total , } } }";
        assert_eq!(normalize_document(a), normalize_document(b));
        assert_eq!(normalize_document(a), normalize_document(c));
        // names stay apart, strings stay as they are
        assert_ne!(normalize_document("{ a b }"), normalize_document("{ ab }"));
        assert_ne!(
            normalize_document(r#"{ f(city: "Bamako  ,") }"#),
            normalize_document(r#"{ f(city: "Bamako ,") }"#)
        );
        assert_eq!(
            normalize_document("{ f(s: \"\"\"a \\\"\"\" # b\"\"\") }"),
            "{f(s:\"\"\"a \\\"\"\" # b\"\"\")}"
        );
    }

    #[test]
    fn variables_in_any_key_order_are_one_operation() {
        let a = br#"{"query":"{ x }","variables":{"f":{"city":"Gao","period":"ALL"},"n":1}}"#;
        let b = br#"{"variables":{"n":1,"f":{"period":"ALL","city":"Gao"}},"query":"{x}"}"#;
        let c = br#"{"query":"{ x }","variables":{"f":{"city":"Kayes","period":"ALL"},"n":1}}"#;
        assert_eq!(canonical(a), canonical(b));
        assert_ne!(canonical(a), canonical(c));
        assert_eq!(canonical(b"[1]"), None);
    }
}
