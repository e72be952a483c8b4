//! `global_statistics`: a stored snapshot of the unfiltered global statistics.

use sea_orm::entity::prelude::*;

/// A row of `global_statistics`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "global_statistics")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// When computed.
    pub computed_at: DateTimeUtc,
    /// Instant read at.
    pub as_of: DateTimeUtc,
    /// Period start.
    pub period_from: Option<DateTimeUtc>,
    /// Period end.
    pub period_to: DateTimeUtc,
    /// Users.
    pub total_users: i64,
    /// Active users.
    pub active_users_30d: i64,
    /// New users.
    pub new_users_30d: i64,
    /// Requests.
    pub total_requests: i64,
    /// Completed requests.
    pub completed_requests: i64,
    /// Success rate.
    pub success_rate: f64,
    /// Mean response time.
    pub avg_response_time_hours: f64,
    /// Mean completion time.
    pub avg_completion_time_hours: f64,
    /// Revenue.
    pub total_revenue: Decimal,
    /// Fees.
    pub platform_fees: Decimal,
    /// Payouts.
    pub technician_payouts: Decimal,
    /// Mean rating.
    pub avg_rating: f64,
    /// Satisfaction rate.
    pub satisfaction_rate: f64,
    /// Conversion rate.
    pub conversion_rate: f64,
    /// Retention rate.
    pub retention_rate: f64,
    /// Churn rate.
    pub churn_rate: f64,
    /// Daily trend.
    pub daily_stats: Json,
    /// Weekly trend.
    pub weekly_stats: Json,
    /// Monthly trend.
    pub monthly_stats: Json,
    /// Computation time.
    pub calculation_ms: i64,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
