//! Process metrics in the Prometheus text format, served at `GET /metrics`: GraphQL
//! requests by operation and outcome, their latency, cache events by level, computation
//! time per metric group, fingerprint checks and database errors.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::LazyLock;

/// Labels of a GraphQL request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The operation name (`anonymous` without one).
    pub operation: String,
    /// `ok` or the first error code.
    pub outcome: String,
}

/// Labels naming an operation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OperationLabels {
    /// The operation name.
    pub operation: String,
}

/// Labels of a cache event.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    /// `l1`, `l2` or `none`.
    pub level: String,
    /// `hit`, `miss` or `stale`.
    pub result: String,
}

/// Labels naming a metric group.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GroupLabels {
    /// The group (`requests`, `financial`, ...).
    pub group: String,
}

/// Labels naming a live feed interval.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IntervalLabels {
    /// Seconds between two ticks.
    pub interval: String,
}

/// Every metric of the process.
pub struct Telemetry {
    registry: Registry,
    /// GraphQL requests.
    pub requests: Family<RequestLabels, Counter>,
    /// GraphQL request latency.
    pub latency: Family<OperationLabels, Histogram>,
    /// Cache events.
    pub cache: Family<CacheLabels, Counter>,
    /// Computation time per group.
    pub computation: Family<GroupLabels, Histogram>,
    /// Reads of the watched tables' versions.
    pub fingerprint_checks: Counter,
    /// Shared cache entries evicted to keep the table under its bound.
    pub cache_evictions: Counter,
    /// Database errors (unreachable or failing queries).
    pub db_errors: Counter,
    /// Computations of the live feed, per interval.
    pub live_ticks: Family<IntervalLabels, Counter>,
    /// Open WebSocket connections.
    pub ws_connections: Gauge,
    /// Open subscriptions.
    pub subscriptions: Gauge,
    operations: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Most distinct operation names with series of their own.
const MAX_OPERATIONS: usize = 200;

fn seconds_histogram() -> Histogram {
    // 0.5 ms .. about 16 s
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The process's metrics.
pub static TELEMETRY: LazyLock<Telemetry> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("teliman_stats");
    let requests = Family::<RequestLabels, Counter>::default();
    let latency = Family::<OperationLabels, Histogram>::new_with_constructor(
        seconds_histogram as fn() -> Histogram,
    );
    let cache = Family::<CacheLabels, Counter>::default();
    let computation = Family::<GroupLabels, Histogram>::new_with_constructor(
        seconds_histogram as fn() -> Histogram,
    );
    let fingerprint_checks = Counter::default();
    let cache_evictions = Counter::default();
    let db_errors = Counter::default();
    let live_ticks = Family::<IntervalLabels, Counter>::default();
    let ws_connections = Gauge::default();
    let subscriptions = Gauge::default();
    registry.register(
        "live_ticks",
        "Computations of the real-time figures by the live feed, per interval (one per tick whatever the number of subscribers)",
        live_ticks.clone(),
    );
    registry.register(
        "websocket_connections",
        "Open GraphQL WebSocket connections",
        ws_connections.clone(),
    );
    registry.register(
        "subscriptions",
        "Open GraphQL subscriptions",
        subscriptions.clone(),
    );
    registry.register(
        "graphql_requests",
        "GraphQL requests by operation and outcome",
        requests.clone(),
    );
    registry.register(
        "graphql_request_duration_seconds",
        "GraphQL request latency",
        latency.clone(),
    );
    registry.register(
        "cache_events",
        "Statistics cache events by level and result",
        cache.clone(),
    );
    registry.register(
        "computation_duration_seconds",
        "Time to compute a metric group",
        computation.clone(),
    );
    registry.register(
        "fingerprint_checks",
        "Checks of the source tables for changes",
        fingerprint_checks.clone(),
    );
    registry.register(
        "cache_evictions",
        "Shared cache entries evicted to stay under CACHE_L2_MAX_BYTES",
        cache_evictions.clone(),
    );
    registry.register("database_errors", "Database errors", db_errors.clone());
    Telemetry {
        registry,
        requests,
        latency,
        cache,
        computation,
        fingerprint_checks,
        cache_evictions,
        db_errors,
        live_ticks,
        ws_connections,
        subscriptions,
        operations: Default::default(),
    }
});

impl Telemetry {
    /// Counts a cache event.
    pub fn cache_event(&self, level: &str, result: &str) {
        self.cache_events(level, result, 1);
    }

    /// Counts `n` cache events of one kind at once.
    pub fn cache_events(&self, level: &str, result: &str, n: u64) {
        self.cache
            .get_or_create(&CacheLabels {
                level: level.into(),
                result: result.into(),
            })
            .inc_by(n);
    }

    /// Counts one computation of the live feed.
    pub fn live_tick(&self, interval: &str) {
        self.live_ticks
            .get_or_create(&IntervalLabels {
                interval: interval.into(),
            })
            .inc();
    }

    /// Records the time a group took.
    pub fn group_time(&self, group: &str, seconds: f64) {
        self.computation
            .get_or_create(&GroupLabels {
                group: group.into(),
            })
            .observe(seconds);
    }

    /// Records one GraphQL request. Operation names are client-chosen: only the first
    /// `MAX_OPERATIONS` well-formed ones get series of their own, the rest count as `other`.
    pub fn request(&self, operation: &str, outcome: &str, seconds: f64) {
        let operation = self.operation_label(operation);
        self.requests
            .get_or_create(&RequestLabels {
                operation: operation.clone(),
                outcome: outcome.into(),
            })
            .inc();
        self.latency
            .get_or_create(&OperationLabels { operation })
            .observe(seconds);
    }

    fn operation_label(&self, name: &str) -> String {
        let well_formed = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !well_formed {
            return "other".into();
        }
        let mut seen = self
            .operations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.contains(name) || (seen.len() < MAX_OPERATIONS && seen.insert(name.to_string())) {
            name.to_string()
        } else {
            "other".into()
        }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
