//! GraphQL input and output types that wrap the metric results.

use crate::app::AppState;
use crate::error::{AppError, gql};
use crate::metrics::security::{self, SecurityStats, SuspiciousIp};
use crate::metrics::technicians::{self, TechnicianStats, TopTechnician};
use crate::metrics::{
    advanced::AdvancedMetrics, financial::FinancialStats, overview::OverviewStats,
};
use crate::metrics::{requests::RequestStats, satisfaction::SatisfactionStats, trends::Trends};
use crate::stats::cache::Served;
use crate::stats::{Period, Window, WindowInput};
use async_graphql::{ComplexObject, Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

/// Which rows a statistic reads: a period (or a custom `from`/`to`), an instant in the past
/// to read at, and optional city and specialty slices.
#[derive(Clone, Debug, Default, InputObject)]
pub struct StatsFilter {
    /// Named period; ignored when `from` or `to` is given. Null means ALL.
    #[graphql(default_with = "Some(Period::All)")]
    pub period: Option<Period>,
    /// Custom start, inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Custom end, exclusive (cut to `asOf`).
    pub to: Option<DateTime<Utc>>,
    /// Read the data as it was at this instant (default: now).
    pub as_of: Option<DateTime<Utc>>,
    /// Only this city's requests (with their payments and reviews) and technicians.
    pub city: Option<String>,
    /// Only this specialty's requests (with their payments and reviews) and technicians.
    pub specialty: Option<String>,
}

impl StatsFilter {
    /// The filter as the engine reads it.
    pub fn input(self) -> WindowInput {
        WindowInput {
            period: self.period,
            from: self.from,
            to: self.to,
            as_of: self.as_of,
            city: self.city,
            specialty: self.specialty,
        }
    }

    /// Validates the filter into a window, against the server clock and the configured zone.
    pub fn window(self, state: &AppState) -> Result<Window, AppError> {
        Window::from_input(self.input(), Utc::now(), state.config.timezone)
    }
}

/// Technicians that exist at `asOf`.
pub struct TechnicianStatsObject {
    pub(crate) stats: TechnicianStats,
    pub(crate) window: Window,
}

/// Technicians that exist at `asOf`, with their ratings in the period.
#[Object(name = "TechnicianStats")]
impl TechnicianStatsObject {
    /// Technicians that exist at `asOf`.
    async fn total(&self) -> i64 {
        self.stats.counts.total
    }
    /// Of those, verified.
    async fn verified(&self) -> i64 {
        self.stats.counts.verified
    }
    /// Of those, available.
    async fn available(&self) -> i64 {
        self.stats.counts.available
    }
    /// Mean, over technicians with a review in the period, of their mean rating.
    async fn avg_rating(&self) -> f64 {
        self.stats.counts.avg_rating
    }
    /// Technicians with at least `minReviews` reviews in the period, by mean rating desc,
    /// then completed requests desc, then id.
    async fn top_technicians(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5, validator(minimum = 1, maximum = 100))] limit: i32,
        #[graphql(default = 3, validator(minimum = 1, maximum = 1000000))] min_reviews: i32,
    ) -> Result<Vec<TopTechnician>> {
        if limit as usize == technicians::TOP_LIMIT
            && i64::from(min_reviews) == technicians::TOP_MIN_REVIEWS
        {
            return Ok(self.stats.top.clone());
        }
        taint(ctx);
        let state = ctx.data::<AppState>()?;
        gql(technicians::top(&state.db, &self.window, limit as usize, min_reviews.into()).await)
    }
}

/// Login events in the period.
pub struct SecurityStatsObject {
    pub(crate) stats: SecurityStats,
    pub(crate) window: Window,
}

/// Login events in the period and the addresses behind many failures.
#[Object(name = "SecurityStats")]
impl SecurityStatsObject {
    /// Login events in the period.
    async fn total_logins(&self) -> i64 {
        self.stats.counts.total_logins
    }
    /// Failed ones.
    async fn failed_logins(&self) -> i64 {
        self.stats.counts.failed_logins
    }
    /// successful / total * 100.
    async fn login_success_rate(&self) -> f64 {
        self.stats.counts.login_success_rate
    }
    /// Security alerts triggered in the period.
    async fn security_alerts(&self) -> i64 {
        self.stats.counts.security_alerts
    }
    /// Addresses with at least 5 failures in the period, most failures first.
    async fn suspicious_ips(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, validator(minimum = 1, maximum = 100))] limit: i32,
    ) -> Result<Vec<SuspiciousIp>> {
        if limit as usize == security::SUSPICIOUS_LIMIT {
            return Ok(self.stats.suspicious.clone());
        }
        taint(ctx);
        let state = ctx.data::<AppState>()?;
        gql(security::suspicious(&state.db, &self.window, limit as usize).await)
    }
}

/// Marks the answer as read outside the statistics cache (not to keep as bytes).
fn taint(ctx: &Context<'_>) {
    if let Some(trace) = ctx.data_opt::<std::sync::Arc<super::response_cache::ResponseTrace>>() {
        trace.taint();
    }
}

/// When and how the figures were computed.
#[derive(Clone, Debug, SimpleObject)]
pub struct StatsMeta {
    /// The instant the data was read at.
    pub as_of: DateTime<Utc>,
    /// Period start (null: no start).
    pub from: Option<DateTime<Utc>>,
    /// Period end (exclusive).
    pub to: DateTime<Utc>,
    /// Reporting time zone of the trends.
    pub timezone: String,
    /// City slice, if any.
    pub city: Option<String>,
    /// Specialty slice, if any.
    pub specialty: Option<String>,
    /// When the figures were computed.
    pub computed_at: DateTime<Utc>,
    /// Milliseconds the computation took.
    pub calculation_ms: i64,
    /// Whether this answer came from a cache or joined a running computation.
    pub cache_hit: bool,
    /// Whether this answer is older than its time to live.
    pub stale: bool,
}

/// Every statistic at once, under one filter.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct GlobalStatistics {
    /// Headline figures.
    pub overview: OverviewStats,
    /// Requests in the period.
    pub requests: RequestStats,
    /// Payments in the period.
    pub financial: FinancialStats,
    /// Reviews in the period.
    pub satisfaction: SatisfactionStats,
    #[graphql(skip)]
    pub(crate) technicians: TechnicianStats,
    #[graphql(skip)]
    pub(crate) security: SecurityStats,
    /// Conversion, retention, churn.
    pub advanced: AdvancedMetrics,
    /// Daily, weekly and monthly trends.
    pub trends: Trends,
    /// How the figures were computed.
    pub meta: StatsMeta,
    #[graphql(skip)]
    pub(crate) window: Window,
}

impl GlobalStatistics {
    /// The answer for a cache entry, with its metadata.
    pub fn served(served: Served, base: &Window) -> GlobalStatistics {
        let window = served.entry.window(base);
        let data = served.entry.data.clone();
        GlobalStatistics {
            overview: data.overview,
            requests: data.requests,
            financial: data.financial,
            satisfaction: data.satisfaction,
            technicians: data.technicians,
            security: data.security,
            advanced: data.advanced,
            trends: data.trends,
            meta: StatsMeta {
                as_of: window.as_of,
                from: window.start,
                to: window.end,
                timezone: window.tz.name().to_string(),
                city: window.city.clone(),
                specialty: window.specialty.clone(),
                computed_at: data.computed_at,
                calculation_ms: data.calculation_ms,
                cache_hit: served.cache_hit,
                stale: served.stale,
            },
            window,
        }
    }
}

#[ComplexObject]
impl GlobalStatistics {
    /// Technicians that exist at `asOf`.
    async fn technicians(&self) -> TechnicianStatsObject {
        TechnicianStatsObject {
            stats: self.technicians.clone(),
            window: self.window.clone(),
        }
    }
    /// Login events in the period.
    async fn security(&self) -> SecurityStatsObject {
        SecurityStatsObject {
            stats: self.security.clone(),
            window: self.window.clone(),
        }
    }
}
