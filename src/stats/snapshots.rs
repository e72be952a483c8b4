//! Snapshots: once per interval, a task of every replica reads the unfiltered global
//! statistics through the engine and keeps them as a row of `global_statistics`, so KPIs can
//! be charted over time. The row names its interval (`slot`, unique): replicas that take the
//! same interval's snapshot insert one row, the others nothing.

use super::engine::Engine;
use super::statistics::Statistics;
use crate::db::{Sql, cents};
use crate::error::AppResult;
use crate::metrics::money;
use crate::window::Window;
use async_graphql::SimpleObject;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, FromQueryResult};
use std::sync::Arc;

/// One stored snapshot.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct Snapshot {
    /// Row id.
    pub id: async_graphql::ID,
    /// When the figures were computed (the oldest of their entries).
    pub computed_at: DateTime<Utc>,
    /// The instant they describe.
    pub as_of: DateTime<Utc>,
    /// Users at `asOf`.
    pub total_users: i64,
    /// Users with a login in the 30 days before `asOf`.
    #[graphql(name = "activeUsers30d")]
    pub active_users_30d: i64,
    /// Users created in the 30 days before `asOf`.
    #[graphql(name = "newUsers30d")]
    pub new_users_30d: i64,
    /// Requests.
    pub total_requests: i64,
    /// Completed requests.
    pub completed_requests: i64,
    /// completed / total * 100.
    pub success_rate: f64,
    /// Mean hours from creation to assignment.
    pub avg_response_time_hours: f64,
    /// Sum of completed payments.
    pub total_revenue: Decimal,
    /// Platform fees of completed payments.
    pub platform_fees: Decimal,
    /// Mean rating.
    pub avg_rating: f64,
    /// Conversion rate.
    pub conversion_rate: f64,
    /// Retention rate.
    pub retention_rate: f64,
    /// Churn rate.
    pub churn_rate: f64,
    /// Milliseconds the longest computation took.
    pub calculation_ms: i64,
}

fn json_param(sql: &mut Sql, value: &impl serde::Serialize) -> Result<String, DbErr> {
    let text = serde_json::to_string(value).map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(match sql.backend {
        DatabaseBackend::Postgres => format!("CAST({} AS JSONB)", sql.bind(text)),
        _ => sql.bind(text),
    })
}

/// The interval `at` falls in: its number since the epoch.
pub fn slot(at: DateTime<Utc>, interval: Duration) -> i64 {
    let ms = interval.num_milliseconds().max(1);
    at.timestamp_millis().div_euclid(ms)
}

/// Takes the snapshot of the interval holding `now`, unless one was taken; returns whether
/// this call stored it.
pub async fn take(engine: &Arc<Engine>, tz: Tz, now: DateTime<Utc>) -> AppResult<bool> {
    let interval = engine.settings().snapshot_interval;
    let stats = Statistics::global(engine.clone(), Window::live_all(now, tz)).await?;
    let (users, requests, financial, satisfaction) = tokio::try_join!(
        stats.users(),
        stats.requests(),
        stats.financial(),
        stats.satisfaction()
    )?;
    let (advanced, trends) = tokio::try_join!(stats.advanced(), stats.trends())?;
    let meta = stats.meta();
    let db = engine.db();
    let mut sql = Sql::new(db.get_database_backend());
    let mut v = vec![sql.bind(slot(now, interval))];
    v.push(sql.instant(meta.computed_at));
    v.push(sql.instant(meta.as_of));
    v.push(sql.instant(meta.end));
    for n in [
        users.total,
        users.active_30d,
        users.new_30d,
        requests.total,
        requests.completed,
    ] {
        v.push(sql.bind(n));
    }
    for f in [
        requests.success_rate,
        requests.avg_response_time_hours,
        requests.avg_completion_time_hours,
    ] {
        v.push(sql.bind(f));
    }
    for m in [
        financial.total_revenue,
        financial.platform_fees,
        financial.technician_payouts,
    ] {
        v.push(sql.bind(m));
    }
    for f in [
        satisfaction.avg_rating,
        satisfaction.satisfaction_rate,
        advanced.conversion_rate,
        advanced.retention_rate,
        advanced.churn_rate,
    ] {
        v.push(sql.bind(f));
    }
    v.push(json_param(&mut sql, &trends.daily)?);
    v.push(json_param(&mut sql, &trends.weekly)?);
    v.push(json_param(&mut sql, &trends.monthly)?);
    v.push(sql.bind(meta.calculation_ms));
    sql.push(&format!(
        "INSERT INTO global_statistics (slot, computed_at, as_of, period_to, total_users, active_users_30d, \
         new_users_30d, total_requests, completed_requests, success_rate, avg_response_time_hours, \
         avg_completion_time_hours, total_revenue, platform_fees, technician_payouts, avg_rating, \
         satisfaction_rate, conversion_rate, retention_rate, churn_rate, daily_stats, weekly_stats, \
         monthly_stats, calculation_ms) VALUES ({}) ON CONFLICT (slot) DO NOTHING",
        v.join(", ")
    ));
    Ok(db.execute_raw(sql.statement()).await?.rows_affected() == 1)
}

/// Takes a snapshot at every interval (the first at once), off the request path.
pub fn spawn(engine: Arc<Engine>, tz: Tz) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = engine
            .settings()
            .snapshot_interval
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(900))
            .max(std::time::Duration::from_secs(1));
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            ticker.tick().await;
            match take(&engine, tz, Utc::now()).await {
                Ok(stored) => tracing::debug!(stored, "snapshot"),
                Err(err) => tracing::warn!(error = %err, "could not take a snapshot"),
            }
        }
    })
}

#[derive(FromQueryResult)]
struct SnapshotRow {
    id: i64,
    computed_at: String,
    as_of: String,
    total_users: i64,
    active_users_30d: i64,
    new_users_30d: i64,
    total_requests: i64,
    completed_requests: i64,
    success_rate: f64,
    avg_response_time_hours: f64,
    revenue_cents: i64,
    fees_cents: i64,
    avg_rating: f64,
    conversion_rate: f64,
    retention_rate: f64,
    churn_rate: f64,
    calculation_ms: i64,
}

/// Snapshots computed in `[from, to)`, oldest first, after the row id `after`; at most
/// `first`, and whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    first: u64,
    after: Option<i64>,
) -> Result<(Vec<Snapshot>, bool), DbErr> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    let mut cond = vec!["1 = 1".to_string()];
    if let Some(from) = from {
        cond.push(format!("computed_at >= {}", sql.instant(from)));
    }
    if let Some(to) = to {
        cond.push(format!("computed_at < {}", sql.instant(to)));
    }
    if let Some(after) = after {
        cond.push(format!("id > {}", sql.bind(after)));
    }
    let limit = sql.bind((first + 1) as i64);
    sql.push(&format!(
        "SELECT id, {computed_at} AS computed_at, {as_of} AS as_of, total_users, active_users_30d, \
         new_users_30d, total_requests, completed_requests, success_rate, avg_response_time_hours, \
         {revenue} AS revenue_cents, {fees} AS fees_cents, avg_rating, conversion_rate, retention_rate, \
         churn_rate, calculation_ms FROM global_statistics WHERE {cond} ORDER BY id LIMIT {limit}",
        computed_at = crate::db::instant_text(backend, "computed_at"),
        as_of = crate::db::instant_text(backend, "as_of"),
        revenue = cents(backend, "total_revenue"),
        fees = cents(backend, "platform_fees"),
        cond = cond.join(" AND ")
    ));
    let rows = SnapshotRow::find_by_statement(sql.statement())
        .all(db)
        .await?;
    let more = rows.len() as u64 > first;
    let list = rows
        .into_iter()
        .take(first as usize)
        .map(|r| {
            Ok(Snapshot {
                id: r.id.into(),
                computed_at: crate::db::parse_instant(&r.computed_at)?,
                as_of: crate::db::parse_instant(&r.as_of)?,
                total_users: r.total_users,
                active_users_30d: r.active_users_30d,
                new_users_30d: r.new_users_30d,
                total_requests: r.total_requests,
                completed_requests: r.completed_requests,
                success_rate: r.success_rate,
                avg_response_time_hours: r.avg_response_time_hours,
                total_revenue: money(r.revenue_cents),
                platform_fees: money(r.fees_cents),
                avg_rating: r.avg_rating,
                conversion_rate: r.conversion_rate,
                retention_rate: r.retention_rate,
                churn_rate: r.churn_rate,
                calculation_ms: r.calculation_ms,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok((list, more))
}
