//! `statistics_widgets`: a widget of a dashboard.

use sea_orm::entity::prelude::*;

/// A row of `statistics_widgets`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "statistics_widgets")]
pub struct Model {
    /// Id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Dashboard.
    pub dashboard_id: i64,
    /// Name.
    pub name: String,
    /// `kpi` `line_chart` `bar_chart` `pie_chart` `table` `alert_list`.
    pub widget_type: String,
    /// Metric path.
    pub data_source: String,
    /// Settings.
    pub config: Json,
    /// Column.
    pub position_x: i32,
    /// Row.
    pub position_y: i32,
    /// Width.
    pub width: i32,
    /// Height.
    pub height: i32,
    /// Creation instant.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations are followed in SQL, not through the ORM.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
