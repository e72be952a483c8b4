//! GraphQL input and output types. The statistics objects are views over `Statistics`: each
//! field reads its group's entry through the engine (already read for the whole selection
//! when the object was made).

use super::gql;
use super::schema_data;
use crate::error::AppResult;
use crate::metrics::advanced;
use crate::metrics::security::SuspiciousIp;
use crate::metrics::technicians::TopTechnician;
use crate::metrics::{
    financial::FinancialStats, requests::RequestStats, satisfaction::SatisfactionStats,
    trends::Trends,
};
use crate::stats::Statistics;
use crate::stats::statistics::EntryMeta;
use crate::window::{Period, WeekStart, Window, WindowInput};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::sync::Arc;

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
    /// The reporting zone of calendar buckets (an IANA name, `America/New_York`); default
    /// the gateway's (`STATS_TIMEZONE`). An unknown zone is BAD_USER_INPUT.
    pub time_zone: Option<String>,
    /// The first day of a week in weekly trends; default MONDAY (ISO weeks).
    pub week_start: Option<WeekStart>,
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
            time_zone: self.time_zone,
            week_start: self.week_start,
        }
    }
}

/// Validates an optional filter into a window, against the server clock and the zone.
pub fn window(ctx: &Context<'_>, filter: Option<StatsFilter>) -> AppResult<Window> {
    let data = schema_data(ctx)?;
    Window::from_input(
        filter.unwrap_or_default().input(),
        Utc::now(),
        data.config.timezone,
    )
}

/// Every statistic at once, under one filter.
pub struct GlobalStatistics(pub(crate) Arc<Statistics>);

/// Every statistic at once, under one filter.
#[Object]
impl GlobalStatistics {
    /// Headline figures.
    async fn overview(&self) -> OverviewStats {
        OverviewStats(self.0.clone())
    }
    /// Requests in the period.
    async fn requests(&self) -> Result<RequestStats> {
        gql(self.0.requests().await)
    }
    /// Payments in the period.
    async fn financial(&self) -> Result<FinancialStats> {
        gql(self.0.financial().await)
    }
    /// Reviews in the period.
    async fn satisfaction(&self) -> Result<SatisfactionStats> {
        gql(self.0.satisfaction().await)
    }
    /// Conversion, retention, churn.
    async fn advanced(&self) -> AdvancedMetrics {
        AdvancedMetrics(self.0.clone())
    }
    /// Daily, weekly and monthly trends.
    async fn trends(&self) -> Result<Trends> {
        gql(self.0.trends().await)
    }
    /// How the figures were computed: the oldest entry served, stale if any was, a cache hit
    /// only if none was computed.
    async fn meta(&self) -> StatsMeta {
        StatsMeta::of(&self.0)
    }
    /// Technicians that exist at `asOf`.
    async fn technicians(&self) -> TechnicianStats {
        TechnicianStats(self.0.clone())
    }
    /// Login events in the period.
    async fn security(&self) -> SecurityStats {
        SecurityStats(self.0.clone())
    }
    /// The same figures for the window of the same length that ends where this one starts,
    /// read at `meta.asOf` moved back by that length (under ALL: all time as of 30 days
    /// before `meta.asOf`); read through the engine and cached like this one.
    async fn previous(&self, ctx: &Context<'_>) -> Result<GlobalStatistics> {
        let groups = super::selection::global(ctx.field());
        gql(self
            .0
            .previous(groups)
            .await
            .map(|s| GlobalStatistics(Arc::new(s))))
    }
}

/// The headline figures, each from its group's entry.
pub struct OverviewStats(pub(crate) Arc<Statistics>);

/// The headline figures.
#[Object]
impl OverviewStats {
    /// Users that exist at `asOf` (not period-bound).
    async fn total_users(&self) -> Result<i64> {
        gql(self.0.users().await.map(|u| u.total))
    }
    /// Users with a login in the 30 days before `asOf`.
    #[graphql(name = "activeUsers30d")]
    async fn active_users_30d(&self) -> Result<i64> {
        gql(self.0.users().await.map(|u| u.active_30d))
    }
    /// Users created in the 30 days before `asOf`.
    #[graphql(name = "newUsers30d")]
    async fn new_users_30d(&self) -> Result<i64> {
        gql(self.0.users().await.map(|u| u.new_30d))
    }
    /// Requests in the period.
    async fn total_requests(&self) -> Result<i64> {
        gql(self.0.requests().await.map(|r| r.total))
    }
    /// Sum of completed payments in the period.
    async fn total_revenue(&self) -> Result<Decimal> {
        gql(self.0.financial().await.map(|f| f.total_revenue))
    }
    /// Mean rating of reviews in the period.
    async fn avg_rating(&self) -> Result<f64> {
        gql(self.0.satisfaction().await.map(|s| s.avg_rating))
    }
}

/// Conversion, retention and churn, from the users and requests entries.
pub struct AdvancedMetrics(pub(crate) Arc<Statistics>);

/// Rates over users and requests.
#[Object]
impl AdvancedMetrics {
    /// Requests completed / requests in the period * 100.
    async fn conversion_rate(&self) -> Result<f64> {
        gql(self
            .0
            .requests()
            .await
            .map(|r| advanced::conversion_rate(&r)))
    }
    /// activeUsers30d / totalUsers * 100.
    async fn retention_rate(&self) -> Result<f64> {
        gql(self.0.users().await.map(advanced::retention_rate))
    }
    /// 100 - retentionRate (0 when there are no users).
    async fn churn_rate(&self) -> Result<f64> {
        gql(self.0.users().await.map(advanced::churn_rate))
    }
}

/// Technicians that exist at `asOf`.
pub struct TechnicianStats(pub(crate) Arc<Statistics>);

/// Technicians that exist at `asOf`, with their ratings in the period.
#[Object]
impl TechnicianStats {
    /// Technicians that exist at `asOf`.
    async fn total(&self) -> Result<i64> {
        gql(self.0.technicians().await.map(|t| t.counts.total))
    }
    /// Of those, verified.
    async fn verified(&self) -> Result<i64> {
        gql(self.0.technicians().await.map(|t| t.counts.verified))
    }
    /// Of those, available.
    async fn available(&self) -> Result<i64> {
        gql(self.0.technicians().await.map(|t| t.counts.available))
    }
    /// Mean, over technicians with a review in the period, of their mean rating.
    async fn avg_rating(&self) -> Result<f64> {
        gql(self.0.technicians().await.map(|t| t.counts.avg_rating))
    }
    /// Technicians with at least `minReviews` reviews in the period, by mean rating desc,
    /// then completed requests desc, then id.
    async fn top_technicians(
        &self,
        #[graphql(default = 5, validator(minimum = 1, maximum = 100))] limit: i32,
        #[graphql(default = 3, validator(minimum = 1, maximum = 1000000))] min_reviews: i32,
    ) -> Result<Vec<TopTechnician>> {
        gql(self
            .0
            .top_technicians(limit as u32, min_reviews as u32)
            .await)
    }
}

/// Login events in the period.
pub struct SecurityStats(pub(crate) Arc<Statistics>);

/// Login events in the period and the addresses behind many failures.
#[Object]
impl SecurityStats {
    /// Login events in the period.
    async fn total_logins(&self) -> Result<i64> {
        gql(self.0.security().await.map(|s| s.counts.total_logins))
    }
    /// Failed ones.
    async fn failed_logins(&self) -> Result<i64> {
        gql(self.0.security().await.map(|s| s.counts.failed_logins))
    }
    /// successful / total * 100.
    async fn login_success_rate(&self) -> Result<f64> {
        gql(self.0.security().await.map(|s| s.counts.login_success_rate))
    }
    /// Security alerts triggered in the period.
    async fn security_alerts(&self) -> Result<i64> {
        gql(self.0.security().await.map(|s| s.counts.security_alerts))
    }
    /// Addresses with at least 5 failures in the period, most failures first.
    async fn suspicious_ips(
        &self,
        #[graphql(default = 10, validator(minimum = 1, maximum = 100))] limit: i32,
    ) -> Result<Vec<SuspiciousIp>> {
        gql(self.0.suspicious_ips(limit as u32).await)
    }
}

/// When and how the figures were computed.
#[derive(Clone, Debug, SimpleObject)]
pub struct StatsMeta {
    /// The instant the data was read at (with no `asOf` in the filter: the instant of the
    /// oldest entry served).
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
    /// When the figures were computed: the oldest entry served.
    pub computed_at: DateTime<Utc>,
    /// Milliseconds the longest computation among the entries took.
    pub calculation_ms: i64,
    /// Whether this answer started no computation (served from a cache, or joined a running
    /// computation).
    pub cache_hit: bool,
    /// Whether some entry served is older than its time to live.
    pub stale: bool,
    /// Every engine entry the answer was made from.
    pub entries: Vec<EntryMeta>,
}

impl StatsMeta {
    /// The metadata of what `stats` served.
    pub fn of(stats: &Statistics) -> StatsMeta {
        let meta = stats.meta();
        let window = stats.window();
        StatsMeta {
            as_of: meta.as_of,
            from: meta.start,
            to: meta.end,
            timezone: window.tz.name().to_string(),
            city: window.city.clone(),
            specialty: window.specialty.clone(),
            computed_at: meta.computed_at,
            calculation_ms: meta.calculation_ms,
            cache_hit: meta.cache_hit,
            stale: meta.stale,
            entries: meta.entries,
        }
    }
}
