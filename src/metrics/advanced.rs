//! Conversion, retention and churn, derived from the users and requests figures.

use super::overview::UserCounts;
use super::percent;
use super::requests::RequestStats;
use async_graphql::SimpleObject;
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};

/// Rates over users and requests.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct AdvancedMetrics {
    /// Requests completed / requests in the period * 100.
    pub conversion_rate: f64,
    /// activeUsers30d / totalUsers * 100.
    pub retention_rate: f64,
    /// 100 - retentionRate (0 when there are no users).
    pub churn_rate: f64,
}

/// The advanced metrics from already computed figures.
pub fn assemble(users: UserCounts, requests: &RequestStats) -> AdvancedMetrics {
    let retention_rate = percent(users.active_30d, users.total);
    AdvancedMetrics {
        conversion_rate: percent(requests.completed, requests.total),
        retention_rate,
        churn_rate: if users.total == 0 {
            0.0
        } else {
            100.0 - retention_rate
        },
    }
}

/// Computes the advanced metrics.
pub async fn compute(
    db: &impl ConnectionTrait,
    window: &crate::stats::Window,
) -> Result<AdvancedMetrics, DbErr> {
    let users = super::overview::users(db, window).await?;
    let requests = super::requests::compute(db, window).await?;
    Ok(assemble(users, &requests))
}
