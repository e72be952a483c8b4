//! Series of failed logins the security detectors read (not sliced, not period-bound: each
//! is a function of `as_of` alone). Definitions, in the style of METRICS.md:
//!
//! | series | definition |
//! | --- | --- |
//! | `failures_by_hour(hours)` | for `k` in `0..hours`: failed logins (`success = false`) with `created_at` in `[as_of - (k+1) h, as_of - k h)`; `k = 0`, the last hour, first |
//! | `failure_bursts(minutes, min_failures, days)` | per address: the most failed logins from it within one span `[t, t + minutes)` where `t` is one of its failures, counting failures in `[as_of - days, as_of)` only; addresses whose most reaches `min_failures`, as `{ip_address, failures, burst_start (the earliest such t), last_failure}`, most failures first, then address (code-point order) |
//!
//! Instants are compared exactly on PostgreSQL (microseconds) and to the millisecond on
//! SQLite (its date functions' resolution).

use super::Scope;
use crate::db::{bytewise, instant_text, parse_instant};
use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

/// An address whose failures came in a burst.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailureBurst {
    /// The address, as stored.
    pub ip_address: String,
    /// Most failures within one span.
    pub failures: i64,
    /// Start (a failure) of the earliest span holding that many.
    pub burst_start: DateTime<Utc>,
    /// Its latest failure in the days read.
    pub last_failure: DateTime<Utc>,
}

/// Time since `origin` of `col`, as an integer in the engine's exact unit, and that unit per
/// second: microseconds on PostgreSQL, milliseconds on SQLite.
fn elapsed_units(s: &mut Scope<'_>, col: &str, origin: DateTime<Utc>) -> (String, i64) {
    match s.backend() {
        DatabaseBackend::Postgres => {
            let o = s.sql.instant(origin);
            (
                format!("CAST(EXTRACT(EPOCH FROM ({col} - {o})) * 1000000 AS BIGINT)"),
                1_000_000,
            )
        }
        _ => {
            let o = s.sql.bind(origin.timestamp_millis());
            (
                format!("(CAST(ROUND(unixepoch({col}, 'subsec') * 1000) AS INTEGER) - {o})"),
                1_000,
            )
        }
    }
}

#[derive(FromQueryResult)]
struct HourRow {
    bucket: i64,
    failures: i64,
}

/// `failures_by_hour(hours)` at the window's `as_of`: `hours` counts, the last hour first.
pub async fn failures_by_hour(
    db: &impl ConnectionTrait,
    window: &Window,
    hours: u32,
) -> Result<Vec<i64>, DbErr> {
    let as_of = window.as_of;
    let origin = as_of - Duration::hours(i64::from(hours));
    let mut s = Scope::new(db.get_database_backend(), window);
    let (elapsed, per_second) = elapsed_units(&mut s, "e.created_at", origin);
    let per_hour = s.sql.bind(per_second * 3600);
    let within = s.between("e.created_at", origin, as_of);
    // buckets counted from `origin`: floor((t - origin) / 1 h) is half-open like the hours
    s.sql.push(&format!(
        "SELECT CAST({elapsed} / {per_hour} AS BIGINT) AS bucket, COUNT(*) AS failures \
         FROM login_events e WHERE e.success = FALSE AND {within} GROUP BY 1"
    ));
    let rows: Vec<HourRow> = s.sql.rows(db).await?;
    let mut counts = vec![0; hours as usize];
    for row in rows {
        let from_origin = usize::try_from(row.bucket).unwrap_or(usize::MAX);
        if let Some(k) = (hours as usize).checked_sub(from_origin + 1) {
            counts[k] += row.failures;
        }
    }
    Ok(counts)
}

#[derive(FromQueryResult)]
struct BurstRow {
    ip_address: String,
    failures: i64,
    burst_start: String,
    last_failure: String,
}

/// `failure_bursts(minutes, min_failures, days)` at the window's `as_of`.
pub async fn failure_bursts(
    db: &impl ConnectionTrait,
    window: &Window,
    minutes: u32,
    min_failures: u32,
    days: u32,
) -> Result<Vec<FailureBurst>, DbErr> {
    let as_of = window.as_of;
    let since = as_of - Duration::days(i64::from(days));
    let mut s = Scope::new(db.get_database_backend(), window);
    let backend = s.backend();
    let (elapsed, per_second) = elapsed_units(&mut s, "e.created_at", since);
    // RANGE offsets are inclusive: the span [t, t + minutes) ends one unit before
    let reach = per_second * 60 * i64::from(minutes) - 1;
    let within = s.between("e.created_at", since, as_of);
    let min = s.sql.bind(i64::from(min_failures));
    let ip = bytewise(backend, "r.ip_address");
    let at = instant_text(backend, "e.created_at");
    s.sql.push(&format!(
        "SELECT r.ip_address AS ip_address, r.n AS failures, r.started AS burst_start, \
           r.last_failure AS last_failure FROM ( \
           SELECT w.ip_address, w.n, w.started, MAX(w.started) OVER (PARTITION BY w.ip_address) AS last_failure, \
             ROW_NUMBER() OVER (PARTITION BY w.ip_address ORDER BY w.n DESC, w.t ASC) AS rk FROM ( \
             SELECT u.ip_address, u.t, u.started, COUNT(*) OVER (PARTITION BY u.ip_address ORDER BY u.t \
               RANGE BETWEEN CURRENT ROW AND {reach} FOLLOWING) AS n FROM ( \
               SELECT e.ip_address AS ip_address, {elapsed} AS t, {at} AS started FROM login_events e \
               WHERE e.success = FALSE AND {within}) u) w) r \
         WHERE r.rk = 1 AND r.n >= {min} ORDER BY r.n DESC, {ip} ASC"
    ));
    let rows: Vec<BurstRow> = s.sql.rows(db).await?;
    rows.into_iter()
        .map(|row| {
            Ok(FailureBurst {
                ip_address: row.ip_address,
                failures: row.failures,
                burst_start: parse_instant(&row.burst_start)?,
                last_failure: parse_instant(&row.last_failure)?,
            })
        })
        .collect()
}
