//! `statistics_cache`: a cached statistics payload shared by every replica.

use sea_orm::entity::prelude::*;

/// A row of `statistics_cache`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "statistics_cache")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Group and normalised filter (unique).
    pub cache_key: String,
    /// The payload.
    pub cache_data: Json,
    /// End of freshness.
    pub expires_at: DateTimeUtc,
    /// Computation time.
    pub calculation_ms: i64,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
