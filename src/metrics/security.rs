//! Login events in the period: totals, success rate, security alerts and suspicious addresses.

use super::{Scope, percent};
use crate::db::{bytewise, instant_text, parse_instant};
use crate::window::Window;
use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

/// Default number of suspicious addresses listed.
pub const SUSPICIOUS_LIMIT: usize = 10;
/// Failures in the period from which an address is suspicious.
pub const SUSPICIOUS_MIN_FAILURES: i64 = 5;

/// An address with many failed logins.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct SuspiciousIp {
    /// The address, as stored.
    pub ip_address: String,
    /// Failed logins from it in the period.
    pub failed: i64,
    /// Its latest failure.
    pub last_seen: DateTime<Utc>,
}

/// Counts of login events (the list field is resolved in `graphql`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecurityCounts {
    /// Login events in the period.
    pub total_logins: i64,
    /// Failed ones.
    pub failed_logins: i64,
    /// successful / total * 100.
    pub login_success_rate: f64,
    /// Security alerts triggered in the period.
    pub security_alerts: i64,
}

/// The security group: counts and the default suspicious list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecurityStats {
    /// The counts.
    pub counts: SecurityCounts,
    /// `suspicious(SUSPICIOUS_LIMIT)`.
    pub suspicious: Vec<SuspiciousIp>,
}

#[derive(FromQueryResult)]
struct CountsRow {
    total: i64,
    failed: i64,
    alerts: i64,
}

#[derive(FromQueryResult)]
struct AddressRow {
    ip_address: String,
    failed: i64,
    last_seen: String,
}

/// Computes the security group with the default suspicious list.
pub async fn compute(db: &impl ConnectionTrait, window: &Window) -> Result<SecurityStats, DbErr> {
    let mut s = Scope::new(db.get_database_backend(), window);
    let exists = s.exists("e.created_at");
    let period = s.in_period("e.created_at");
    let a_exists = s.exists("a.triggered_at");
    let a_period = s.in_period("a.triggered_at");
    s.sql.push(&format!(
        "SELECT COUNT(*) AS total, COUNT(CASE WHEN NOT e.success THEN 1 END) AS failed, \
           (SELECT COUNT(*) FROM statistics_alerts a WHERE a.alert_type = 'security_alert' AND {a_exists} AND {a_period}) AS alerts \
         FROM login_events e WHERE {exists} AND {period}"
    ));
    let row: CountsRow = s.sql.row(db).await?;
    let counts = SecurityCounts {
        total_logins: row.total,
        failed_logins: row.failed,
        login_success_rate: percent(row.total - row.failed, row.total),
        security_alerts: row.alerts,
    };
    let suspicious = suspicious(db, window, SUSPICIOUS_LIMIT).await?;
    Ok(SecurityStats { counts, suspicious })
}

/// Security alerts triggered in the period (`security_alerts`).
pub async fn alert_count(db: &impl ConnectionTrait, window: &Window) -> Result<i64, DbErr> {
    #[derive(FromQueryResult)]
    struct Count {
        alerts: i64,
    }
    let mut s = Scope::new(db.get_database_backend(), window);
    let a_exists = s.exists("a.triggered_at");
    let a_period = s.in_period("a.triggered_at");
    s.sql.push(&format!(
        "SELECT COUNT(*) AS alerts FROM statistics_alerts a \
         WHERE a.alert_type = 'security_alert' AND {a_exists} AND {a_period}"
    ));
    Ok(s.sql.row::<Count>(db).await?.alerts)
}

/// Addresses with at least 5 failures in the period, most failures first, then address.
pub async fn suspicious(
    db: &impl ConnectionTrait,
    window: &Window,
    limit: usize,
) -> Result<Vec<SuspiciousIp>, DbErr> {
    let mut s = Scope::new(db.get_database_backend(), window);
    let backend = s.backend();
    let exists = s.exists("e.created_at");
    let period = s.in_period("e.created_at");
    let min = s.sql.bind(SUSPICIOUS_MIN_FAILURES);
    let lim = s.sql.bind(limit as i64);
    let ip = bytewise(backend, "e.ip_address");
    let last_seen = instant_text(backend, "MAX(e.created_at)");
    s.sql.push(&format!(
        "SELECT e.ip_address AS ip_address, COUNT(*) AS failed, {last_seen} AS last_seen FROM login_events e \
         WHERE e.success = FALSE AND {exists} AND {period} \
         GROUP BY e.ip_address HAVING COUNT(*) >= {min} \
         ORDER BY COUNT(*) DESC, {ip} ASC LIMIT {lim}"
    ));
    let rows: Vec<AddressRow> = s.sql.rows(db).await?;
    rows.into_iter()
        .map(|row| {
            Ok(SuspiciousIp {
                ip_address: row.ip_address,
                failed: row.failed,
                last_seen: parse_instant(&row.last_seen)?,
            })
        })
        .collect()
}
