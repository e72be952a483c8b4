//! `technicians`: a technician's profile (one per technician user).

use sea_orm::entity::prelude::*;

/// A row of `technicians`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "technicians")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The technician's user (unique).
    pub user_id: i64,
    /// Specialty.
    pub specialty: String,
    /// City.
    pub city: String,
    /// Verified by the platform.
    pub is_verified: bool,
    /// Taking work now.
    pub is_available: bool,
    /// Hourly rate.
    pub hourly_rate: Option<Decimal>,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
