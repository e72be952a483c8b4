//! `users`: clients, technicians and admins of the platform.

use sea_orm::entity::prelude::*;

/// A row of `users`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique e-mail address.
    #[sea_orm(unique)]
    pub email: String,
    /// Full name.
    pub full_name: String,
    /// `client`, `technician` or `admin`.
    pub role: String,
    /// City, if known.
    pub city: Option<String>,
    /// Whether the account is active.
    pub is_active: bool,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Last successful login.
    pub last_login: Option<DateTimeUtc>,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
