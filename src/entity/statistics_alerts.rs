//! `statistics_alerts`: a raised alert.

use sea_orm::entity::prelude::*;

/// A row of `statistics_alerts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "statistics_alerts")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `threshold_exceeded` `anomaly_detected` `trend_change` `performance_issue` `security_alert`.
    pub alert_type: String,
    /// Title.
    pub title: String,
    /// Message.
    pub message: String,
    /// `info` `warning` `critical`.
    pub severity: String,
    /// Metric path.
    pub metric: Option<String>,
    /// Observed value.
    pub observed_value: Option<f64>,
    /// Threshold.
    pub threshold: Option<f64>,
    /// At most one active alert per key.
    pub dedup_key: String,
    /// Rule.
    pub rule_id: Option<i64>,
    /// Active.
    pub is_active: bool,
    /// Trigger instant.
    pub triggered_at: DateTimeUtc,
    /// Acknowledging admin.
    pub acknowledged_by: Option<i64>,
    /// Acknowledgement.
    pub acknowledged_at: Option<DateTimeUtc>,
    /// Resolution.
    pub resolved_at: Option<DateTimeUtc>,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// The admin who resolved it by hand (none when it resolved itself).
    pub resolved_by: Option<i64>,
    /// Last evaluation that saw its condition (none before the first repeat).
    pub updated_at: Option<DateTimeUtc>,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
