//! The overview: users (not sliced, not period-bound) and the headline figures of the
//! requests, financial and satisfaction groups.

use super::Scope;
use crate::window::Window;
use chrono::Duration;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

/// Users at `asOf`: how many exist, logged in and joined in the last 30 days.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, FromQueryResult)]
pub struct UserCounts {
    /// Users that exist at `asOf`.
    pub total: i64,
    /// With `last_login` in `[asOf - 30 days, asOf)`.
    pub active_30d: i64,
    /// With `created_at` in `[asOf - 30 days, asOf)`.
    pub new_30d: i64,
}

/// The headline figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverviewStats {
    /// Users that exist at `asOf` (not period-bound).
    pub total_users: i64,
    /// Users with a login in the 30 days before `asOf`.
    pub active_users_30d: i64,
    /// Users created in the 30 days before `asOf`.
    pub new_users_30d: i64,
    /// Requests in the period.
    pub total_requests: i64,
    /// Sum of completed payments in the period.
    pub total_revenue: Decimal,
    /// Mean rating of reviews in the period.
    pub avg_rating: f64,
}

/// Counts users at `asOf` in one pass.
pub async fn users(db: &impl ConnectionTrait, window: &Window) -> Result<UserCounts, DbErr> {
    let mut s = Scope::new(db.get_database_backend(), window);
    let exists = s.exists("u.created_at");
    let since = window.as_of - Duration::days(30);
    let active = s.between("u.last_login", since, window.as_of);
    let new = s.between("u.created_at", since, window.as_of);
    s.sql.push(&format!(
        "SELECT COUNT(*) AS total, COUNT(CASE WHEN {active} THEN 1 END) AS active_30d, \
           COUNT(CASE WHEN {new} THEN 1 END) AS new_30d \
         FROM users u WHERE {exists}"
    ));
    s.sql.row(db).await
}

/// The overview from already computed groups: one definition, no second query.
pub fn assemble(
    users: UserCounts,
    requests: &super::requests::RequestStats,
    financial: &super::financial::FinancialStats,
    satisfaction: &super::satisfaction::SatisfactionStats,
) -> OverviewStats {
    OverviewStats {
        total_users: users.total,
        active_users_30d: users.active_30d,
        new_users_30d: users.new_30d,
        total_requests: requests.total,
        total_revenue: financial.total_revenue,
        avg_rating: satisfaction.avg_rating,
    }
}
