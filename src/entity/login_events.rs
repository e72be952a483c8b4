//! `login_events`: one login attempt.

use sea_orm::entity::prelude::*;

/// A row of `login_events`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "login_events")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The user, when the address is known.
    pub user_id: Option<i64>,
    /// The address tried.
    pub email: String,
    /// Client address.
    pub ip_address: String,
    /// Whether it succeeded.
    pub success: bool,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
