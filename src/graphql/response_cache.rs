//! Answers to repeated operations, kept as the bytes of an earlier answer.
//!
//! A dashboard or a BI script asks the same `globalStatistics` document again and again.
//! When an answer was made only from fresh cache hits (no computation, nothing stale, no
//! other top-level field, no nested field that read the database), its JSON is kept under
//! the request body. The next identical body from an admin gets those bytes while every
//! statistics entry the answer came from is still the one in the cache, within its time to
//! live, and the source tables' fingerprint is unchanged: exactly when executing the
//! operation again would give the same bytes. Anything else runs the operation.

use crate::stats::cache::{Served, StatsCache};
use crate::telemetry::TELEMETRY;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use axum::body::Bytes;
use chrono::{DateTime, Utc};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What one execution read, to tell whether its answer may be kept.
#[derive(Debug, Default)]
pub struct ResponseTrace {
    state: Mutex<TraceState>,
}

#[derive(Debug, Default)]
struct TraceState {
    tainted: bool,
    deps: Vec<Dep>,
}

/// A statistics entry an answer was made from.
#[derive(Clone, Debug)]
struct Dep {
    key: String,
    computed_at: DateTime<Utc>,
}

impl ResponseTrace {
    /// Records a cache entry served to this execution; anything but a fresh hit makes the
    /// answer one not to keep.
    pub fn served(&self, key: &str, served: &Served) {
        let mut state = self.state.lock().expect("trace lock");
        if !served.cache_hit || served.stale {
            state.tainted = true;
        } else {
            state.deps.push(Dep {
                key: key.to_string(),
                computed_at: served.entry.data.computed_at,
            });
        }
    }

    /// Marks the answer as one not to keep (it read something outside the cache).
    pub fn taint(&self) {
        self.state.lock().expect("trace lock").tainted = true;
    }

    fn deps(&self) -> Option<Vec<Dep>> {
        let state = self.state.lock().expect("trace lock");
        (!state.tainted && !state.deps.is_empty()).then(|| state.deps.clone())
    }
}

/// A kept answer.
#[derive(Debug)]
pub struct KeptAnswer {
    request: Bytes,
    /// The answer's JSON.
    pub body: Bytes,
    /// The operation's name, for the request metrics.
    pub operation: String,
    deps: Vec<Dep>,
}

/// The kept answers, bounded by bytes.
pub struct ResponseCache {
    answers: moka::future::Cache<u64, Arc<KeptAnswer>>,
    /// Requests answered with kept bytes.
    pub hits: AtomicU64,
}

fn hash(request: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    request.hash(&mut h);
    h.finish()
}

impl ResponseCache {
    /// A cache holding at most about `max_bytes` of requests and answers.
    pub fn new(max_bytes: u64) -> Self {
        let answers = moka::future::Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|_: &u64, a: &Arc<KeptAnswer>| {
                u32::try_from(a.request.len() + a.body.len() + 256).unwrap_or(u32::MAX)
            })
            .build();
        ResponseCache {
            answers,
            hits: AtomicU64::new(0),
        }
    }

    /// The kept answer to this exact request body, if executing it now would give the same
    /// bytes.
    pub async fn lookup(&self, request: &[u8], stats: &StatsCache) -> Option<Arc<KeptAnswer>> {
        let answer = self.answers.get(&hash(request)).await?;
        if answer.request != request {
            return None;
        }
        for dep in &answer.deps {
            if !stats.is_fresh_hit(&dep.key, dep.computed_at).await {
                return None;
            }
        }
        self.hits.fetch_add(1, Ordering::Relaxed);
        TELEMETRY.cache_event("response", "hit");
        Some(answer)
    }

    /// Keeps `body` as the answer to `request` if the execution traced only fresh hits.
    pub async fn keep(&self, request: Bytes, body: Bytes, operation: &str, trace: &ResponseTrace) {
        let Some(deps) = trace.deps() else {
            return;
        };
        let key = hash(&request);
        let answer = KeptAnswer {
            request,
            body,
            operation: operation.to_string(),
            deps,
        };
        self.answers.insert(key, Arc::new(answer)).await;
    }

    /// Drops every kept answer.
    pub fn clear(&self) {
        self.answers.invalidate_all();
    }
}

/// The extension that marks an answer not to keep when a top-level field other than
/// `globalStatistics` runs (other queries, mutations, introspection).
pub struct TraceFields;

impl ExtensionFactory for TraceFields {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TraceFields)
    }
}

#[async_trait::async_trait]
impl Extension for TraceFields {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_none()
            && info.name != "globalStatistics"
            && info.name != "__typename"
            && let Some(trace) = ctx.data_opt::<Arc<ResponseTrace>>()
        {
            trace.taint();
        }
        next.run(ctx, info).await
    }
}
