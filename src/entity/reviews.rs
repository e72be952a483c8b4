//! `reviews`: a client's review of a completed request.

use sea_orm::entity::prelude::*;

/// A row of `reviews`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The request (unique).
    pub request_id: i64,
    /// The reviewing client.
    pub client_id: i64,
    /// The reviewed technician.
    pub technician_id: i64,
    /// 1..=5.
    pub rating: i16,
    /// Would recommend.
    pub would_recommend: bool,
    /// Free text.
    pub comment: Option<String>,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
