//! Every metric group under one window, each table read once per group.

use crate::metrics::{
    self, advanced::AdvancedMetrics, financial::FinancialStats, overview::OverviewStats,
};
use crate::metrics::{
    requests::RequestStats, satisfaction::SatisfactionStats, security::SecurityStats,
};
use crate::metrics::{technicians::TechnicianStats, trends::Trends};
use crate::stats::Window;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};

/// All groups, computed together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlobalData {
    /// Headline figures.
    pub overview: OverviewStats,
    /// Requests group.
    pub requests: RequestStats,
    /// Financial group.
    pub financial: FinancialStats,
    /// Satisfaction group.
    pub satisfaction: SatisfactionStats,
    /// Technicians group.
    pub technicians: TechnicianStats,
    /// Security group.
    pub security: SecurityStats,
    /// Advanced metrics.
    pub advanced: AdvancedMetrics,
    /// Default trends.
    pub trends: Trends,
    /// When the computation finished.
    pub computed_at: DateTime<Utc>,
    /// How long it took.
    pub calculation_ms: i64,
}

/// Computes every group; the overview and advanced figures are assembled from the others.
///
/// The groups run concurrently, each statement on a connection of its own from the pool,
/// so the passes over different tables use every core the engine has.
pub async fn compute(db: &impl ConnectionTrait, window: &Window) -> Result<GlobalData, DbErr> {
    let started = std::time::Instant::now();
    let (users, requests, financial, satisfaction, technicians, security, trends) = tokio::try_join!(
        timed("users", metrics::overview::users(db, window)),
        timed("requests", metrics::requests::compute(db, window)),
        timed("financial", metrics::financial::compute(db, window)),
        timed("satisfaction", metrics::satisfaction::compute(db, window)),
        timed("technicians", metrics::technicians::compute(db, window)),
        timed("security", metrics::security::compute(db, window)),
        timed("trends", metrics::trends::compute_all(db, window)),
    )?;
    Ok(GlobalData {
        overview: metrics::overview::assemble(users, &requests, &financial, &satisfaction),
        advanced: metrics::advanced::assemble(users, &requests),
        requests,
        financial,
        satisfaction,
        technicians,
        security,
        trends,
        computed_at: Utc::now(),
        calculation_ms: started.elapsed().as_millis() as i64,
    })
}

/// Runs one group's computation and records how long it took.
async fn timed<T>(group: &str, work: impl std::future::Future<Output = T>) -> T {
    let started = std::time::Instant::now();
    let out = work.await;
    crate::telemetry::TELEMETRY.group_time(group, started.elapsed().as_secs_f64());
    out
}
