//! `repair_requests`: a client's repair request and its lifecycle timestamps.

use sea_orm::entity::prelude::*;

/// A row of `repair_requests`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "repair_requests")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The client.
    pub client_id: i64,
    /// The technician, once assigned.
    pub technician_id: Option<i64>,
    /// Specialty needed.
    pub specialty: String,
    /// City.
    pub city: String,
    /// `pending` `assigned` `in_progress` `completed` `cancelled`.
    pub status: String,
    /// Urgent.
    pub is_urgent: bool,
    /// Estimate.
    pub estimated_price: Option<Decimal>,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Assignment.
    pub assigned_at: Option<DateTimeUtc>,
    /// Start of work.
    pub started_at: Option<DateTimeUtc>,
    /// Completion.
    pub completed_at: Option<DateTimeUtc>,
    /// Cancellation.
    pub cancelled_at: Option<DateTimeUtc>,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
