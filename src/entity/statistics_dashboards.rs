//! `statistics_dashboards`: a user's dashboard.

use sea_orm::entity::prelude::*;

/// A row of `statistics_dashboards`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "statistics_dashboards")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Owner.
    pub owner_id: i64,
    /// Name.
    pub name: String,
    /// `admin` `technician` `client` `custom`.
    pub dashboard_type: String,
    /// Layout.
    pub layout_config: Json,
    /// The owner's default.
    pub is_default: bool,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
