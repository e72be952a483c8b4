//! `statistics_alert_rules`: a threshold rule on a metric.

use sea_orm::entity::prelude::*;

/// A row of `statistics_alert_rules`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "statistics_alert_rules")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Name.
    pub name: String,
    /// Metric path.
    pub metric: String,
    /// `gt` `gte` `lt` `lte`.
    pub comparator: String,
    /// Threshold.
    pub threshold: f64,
    /// `info` `warning` `critical`.
    pub severity: String,
    /// Period, city, specialty.
    pub filter: Json,
    /// Evaluated.
    pub enabled: bool,
    /// Quiet time after an alert.
    pub cooldown_minutes: i32,
    /// Author; none for the gateway's own (system) rules.
    pub created_by: Option<i64>,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
