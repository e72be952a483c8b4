//! `statistics_exports`: an export job and its file.

use sea_orm::entity::prelude::*;

/// A row of `statistics_exports`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "statistics_exports")]
pub struct Model {
    /// UUID.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `xlsx` `pdf` `json` `csv`.
    pub export_type: String,
    /// `pending` `processing` `completed` `failed` `expired`.
    pub status: String,
    /// Requesting user; none for an export from the command line.
    pub requested_by: Option<i64>,
    /// Filters and sections.
    pub export_config: Json,
    /// File.
    pub file_name: Option<String>,
    /// Size.
    pub size_bytes: Option<i64>,
    /// Failure reason.
    pub error: Option<String>,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Start.
    pub started_at: Option<DateTimeUtc>,
    /// End.
    pub completed_at: Option<DateTimeUtc>,
    /// Expiry.
    pub expires_at: Option<DateTimeUtc>,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
