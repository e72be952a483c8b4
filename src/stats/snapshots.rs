//! Snapshots: each fresh computation of the unfiltered global statistics is kept as a row of
//! `global_statistics` (at most one per interval), so KPIs can be charted over time.

use crate::db::{Sql, cents};
use crate::metrics::{get, get_instant, money};
use crate::stats::cache::Entry;
use async_graphql::SimpleObject;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

/// One stored snapshot.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct Snapshot {
    /// Row id.
    pub id: async_graphql::ID,
    /// When the figures were computed.
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
    /// Milliseconds the computation took.
    pub calculation_ms: i64,
}

fn json_param(sql: &mut Sql, value: &impl serde::Serialize) -> Result<String, DbErr> {
    let text = serde_json::to_string(value).map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(match sql.backend {
        DatabaseBackend::Postgres => format!("CAST({} AS JSONB)", sql.bind(text)),
        _ => sql.bind(text),
    })
}

/// Stores `entry` unless a snapshot was taken less than `interval` ago; returns whether
/// it stored one.
pub async fn maybe_store(
    db: &impl ConnectionTrait,
    entry: &Entry,
    interval: Duration,
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let mut recent = Sql::new(backend);
    let since = recent.instant(entry.data.computed_at - interval);
    recent.push(&format!(
        "SELECT COUNT(*) FROM global_statistics WHERE computed_at > {since}"
    ));
    if get::<i64>(&recent.one(db).await?, 0)? > 0 {
        return Ok(false);
    }
    let d = &entry.data;
    let mut sql = Sql::new(backend);
    let mut v = Vec::new();
    v.push(sql.instant(d.computed_at));
    v.push(sql.instant(entry.as_of));
    v.push(sql.instant(entry.end));
    for n in [
        d.overview.total_users,
        d.overview.active_users_30d,
        d.overview.new_users_30d,
        d.requests.total,
        d.requests.completed,
    ] {
        v.push(sql.bind(n));
    }
    for f in [
        d.requests.success_rate,
        d.requests.avg_response_time_hours,
        d.requests.avg_completion_time_hours,
    ] {
        v.push(sql.bind(f));
    }
    for m in [
        d.financial.total_revenue,
        d.financial.platform_fees,
        d.financial.technician_payouts,
    ] {
        v.push(sql.bind(m));
    }
    for f in [
        d.satisfaction.avg_rating,
        d.satisfaction.satisfaction_rate,
        d.advanced.conversion_rate,
        d.advanced.retention_rate,
        d.advanced.churn_rate,
    ] {
        v.push(sql.bind(f));
    }
    v.push(json_param(&mut sql, &d.trends.daily)?);
    v.push(json_param(&mut sql, &d.trends.weekly)?);
    v.push(json_param(&mut sql, &d.trends.monthly)?);
    v.push(sql.bind(d.calculation_ms));
    sql.push(&format!(
        "INSERT INTO global_statistics (computed_at, as_of, period_to, total_users, active_users_30d, new_users_30d, \
         total_requests, completed_requests, success_rate, avg_response_time_hours, avg_completion_time_hours, \
         total_revenue, platform_fees, technician_payouts, avg_rating, satisfaction_rate, conversion_rate, \
         retention_rate, churn_rate, daily_stats, weekly_stats, monthly_stats, calculation_ms) VALUES ({})",
        v.join(", ")
    ));
    db.execute_raw(sql.statement()).await?;
    Ok(true)
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
        "SELECT id, computed_at, as_of, total_users, active_users_30d, new_users_30d, total_requests, completed_requests, \
         success_rate, avg_response_time_hours, {}, {}, avg_rating, conversion_rate, retention_rate, churn_rate, calculation_ms \
         FROM global_statistics WHERE {} ORDER BY id LIMIT {limit}",
        cents(backend, "total_revenue"),
        cents(backend, "platform_fees"),
        cond.join(" AND ")
    ));
    let rows = sql.all(db).await?;
    let more = rows.len() as u64 > first;
    let list = rows
        .iter()
        .take(first as usize)
        .map(|r| {
            Ok(Snapshot {
                id: get::<i64>(r, 0)?.into(),
                computed_at: get_instant(backend, r, 1)?,
                as_of: get_instant(backend, r, 2)?,
                total_users: get(r, 3)?,
                active_users_30d: get(r, 4)?,
                new_users_30d: get(r, 5)?,
                total_requests: get(r, 6)?,
                completed_requests: get(r, 7)?,
                success_rate: get(r, 8)?,
                avg_response_time_hours: get(r, 9)?,
                total_revenue: money(get(r, 10)?),
                platform_fees: money(get(r, 11)?),
                avg_rating: get(r, 12)?,
                conversion_rate: get(r, 13)?,
                retention_rate: get(r, 14)?,
                churn_rate: get(r, 15)?,
                calculation_ms: get(r, 16)?,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok((list, more))
}
