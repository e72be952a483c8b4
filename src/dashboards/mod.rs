//! Personal dashboards of widgets: each user keeps their own (another user's dashboard or
//! widget is NOT_FOUND, never FORBIDDEN, so ids do not leak); each admin gets a default
//! dashboard covering the seed's tabs when they have none. A widget names a metric path of
//! the catalog and a type that suits it, on a 12-column grid.

pub mod figures;

use crate::catalog::{self, MetricType};
use crate::entity::{statistics_dashboards as dashboards, statistics_widgets as widgets};
use crate::error::{AppError, AppResult};
use async_graphql::Enum;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

/// Columns of the grid.
pub const GRID_COLUMNS: i32 = 12;
/// Lowest row a widget may start on, and its tallest height.
const MAX_ROW: i32 = 1000;
const MAX_HEIGHT: i32 = 100;
/// Largest widget `config`, in bytes of JSON text.
const MAX_CONFIG_BYTES: usize = 16 * 1024;

/// How a widget shows its metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum WidgetType {
    /// One figure (a scalar).
    Kpi,
    /// A line over a series.
    Line,
    /// Bars over a series.
    Bar,
    /// A pie over a list.
    Pie,
    /// A table of a list.
    Table,
    /// The active alerts.
    Alerts,
}

impl WidgetType {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            WidgetType::Kpi => "kpi",
            WidgetType::Line => "line_chart",
            WidgetType::Bar => "bar_chart",
            WidgetType::Pie => "pie_chart",
            WidgetType::Table => "table",
            WidgetType::Alerts => "alert_list",
        }
    }

    /// Parses a stored value.
    pub fn parse(text: &str) -> Option<WidgetType> {
        [
            WidgetType::Kpi,
            WidgetType::Line,
            WidgetType::Bar,
            WidgetType::Pie,
            WidgetType::Table,
            WidgetType::Alerts,
        ]
        .into_iter()
        .find(|t| t.as_str() == text)
    }

    /// Whether it can show a metric of this path and shape.
    fn suits(self, path: &str, shape: MetricType) -> bool {
        match (self, shape) {
            (WidgetType::Alerts, _) => path == "alerts",
            (_, _) if path == "alerts" => false,
            (WidgetType::Kpi, MetricType::Scalar) => true,
            (WidgetType::Line | WidgetType::Bar, MetricType::Series) => true,
            (WidgetType::Pie | WidgetType::Table, MetricType::List) => true,
            _ => false,
        }
    }
}

/// A widget as a user writes it.
#[derive(Clone, Debug, async_graphql::InputObject)]
pub struct WidgetInput {
    /// Title (1 to 200 characters).
    pub title: String,
    /// How it shows its metric (KPI: a scalar; LINE, BAR: a series; PIE, TABLE: a list;
    /// ALERTS: `alerts`).
    pub widget_type: WidgetType,
    /// A path of `metricCatalog`.
    pub data_source: String,
    /// Column, 0 to 11.
    pub x: i32,
    /// Row, 0 or more.
    pub y: i32,
    /// Width in columns (`x + w <= 12`).
    pub w: i32,
    /// Height in rows, at least 1.
    pub h: i32,
    /// Settings of the client's own, as JSON text.
    pub config: Option<String>,
}

fn check_name(field: &str, name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AppError::bad_input(format!(
            "`{field}` must be 1 to 200 characters without control characters"
        )));
    }
    Ok(name.to_string())
}

/// Checks a widget: the path, the type against the metric's shape, the grid, the config.
fn validate(input: &WidgetInput) -> AppResult<(String, serde_json::Value)> {
    let title = check_name("title", &input.title)?;
    let Some(metric) = catalog::find(&input.data_source) else {
        return Err(AppError::bad_input(format!(
            "`dataSource` {:?} is not a path of metricCatalog",
            input.data_source.chars().take(200).collect::<String>()
        )));
    };
    if !input.widget_type.suits(metric.path, metric.metric_type) {
        return Err(AppError::bad_input(format!(
            "a {:?} widget cannot show `{}` ({:?}): KPI shows a scalar, LINE and BAR a series, PIE and TABLE a list, ALERTS `alerts`",
            input.widget_type, metric.path, metric.metric_type
        )));
    }
    let (x, y, w, h) = (input.x, input.y, input.w, input.h);
    if x < 0 || y < 0 || w < 1 || h < 1 || x + w > GRID_COLUMNS || y > MAX_ROW || h > MAX_HEIGHT {
        return Err(AppError::bad_input(format!(
            "the widget must fit the {GRID_COLUMNS}-column grid: x, y >= 0, w, h >= 1, x + w <= {GRID_COLUMNS}, y <= {MAX_ROW}, h <= {MAX_HEIGHT} (got x {x}, y {y}, w {w}, h {h})"
        )));
    }
    let config = match &input.config {
        None => serde_json::Value::Null,
        Some(text) if text.len() > MAX_CONFIG_BYTES => {
            return Err(AppError::bad_input(format!(
                "`config` must be at most {MAX_CONFIG_BYTES} bytes"
            )));
        }
        Some(text) => serde_json::from_str(text)
            .map_err(|e| AppError::bad_input(format!("`config` is not JSON: {e}")))?,
    };
    Ok((title, config))
}

/// The default dashboard of an admin: the seed's tabs as widgets `(title, type, path, x, y, w, h)`.
pub const DEFAULT_WIDGETS: [(&str, WidgetType, &str, i32, i32, i32, i32); 10] = [
    (
        "Utilisateurs",
        WidgetType::Kpi,
        "overview.totalUsers",
        0,
        0,
        2,
        2,
    ),
    (
        "Demandes",
        WidgetType::Kpi,
        "overview.totalRequests",
        2,
        0,
        2,
        2,
    ),
    (
        "Chiffre d'affaires",
        WidgetType::Kpi,
        "overview.totalRevenue",
        4,
        0,
        3,
        2,
    ),
    (
        "Note moyenne",
        WidgetType::Kpi,
        "overview.avgRating",
        7,
        0,
        2,
        2,
    ),
    (
        "Taux de réussite",
        WidgetType::Kpi,
        "requests.successRate",
        9,
        0,
        3,
        2,
    ),
    (
        "Tendance quotidienne",
        WidgetType::Line,
        "trends.daily",
        0,
        2,
        8,
        4,
    ),
    (
        "Moyens de paiement",
        WidgetType::Pie,
        "financial.paymentMethods",
        8,
        2,
        4,
        4,
    ),
    (
        "Meilleurs techniciens",
        WidgetType::Table,
        "technicians.topTechnicians",
        0,
        6,
        6,
        4,
    ),
    (
        "Adresses suspectes",
        WidgetType::Table,
        "security.suspiciousIps",
        6,
        6,
        6,
        4,
    ),
    (
        "Alertes actives",
        WidgetType::Alerts,
        "alerts",
        0,
        10,
        12,
        3,
    ),
];

/// The dashboards of one user.
pub struct Dashboards<'a> {
    db: &'a DatabaseConnection,
    owner: i64,
}

impl<'a> Dashboards<'a> {
    /// The dashboards of `owner`.
    pub fn of(db: &'a DatabaseConnection, owner: i64) -> Self {
        Dashboards { db, owner }
    }

    /// Every dashboard of the owner, the default first; an admin without any gets the
    /// default one first.
    pub async fn list(&self, admin: bool) -> AppResult<Vec<dashboards::Model>> {
        let mut rows = self.rows().await?;
        if rows.is_empty() && admin {
            self.create_default().await?;
            rows = self.rows().await?;
        }
        Ok(rows)
    }

    async fn rows(&self) -> AppResult<Vec<dashboards::Model>> {
        Ok(dashboards::Entity::find()
            .filter(dashboards::Column::OwnerId.eq(self.owner))
            .order_by_desc(dashboards::Column::IsDefault)
            .order_by_asc(dashboards::Column::Id)
            .all(self.db)
            .await?)
    }

    /// Creates the default dashboard and its widgets in one transaction; a concurrent first
    /// access that created it already (the unique default per owner) wins.
    async fn create_default(&self) -> AppResult<()> {
        let txn = self.db.begin().await?;
        let now = Utc::now();
        let dashboard = dashboards::ActiveModel {
            owner_id: Set(self.owner),
            name: Set("Tableau de bord".into()),
            dashboard_type: Set("admin".into()),
            layout_config: Set(serde_json::json!({ "columns": GRID_COLUMNS })),
            is_default: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        let dashboard = match dashboard {
            Ok(d) => d,
            Err(err)
                if matches!(
                    err.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                return Ok(());
            }
            Err(err) => return Err(err.into()),
        };
        for (title, kind, path, x, y, w, h) in DEFAULT_WIDGETS {
            widget_row(
                dashboard.id,
                title,
                kind,
                path,
                (x, y, w, h),
                serde_json::Value::Null,
            )
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// One dashboard of the owner (NOT_FOUND for anyone else's).
    pub async fn get(&self, id: i64) -> AppResult<dashboards::Model> {
        dashboards::Entity::find_by_id(id)
            .filter(dashboards::Column::OwnerId.eq(self.owner))
            .one(self.db)
            .await?
            .ok_or(AppError::NotFound("dashboard"))
    }

    /// Creates a dashboard.
    pub async fn create(&self, name: &str) -> AppResult<dashboards::Model> {
        let name = check_name("name", name)?;
        let now = Utc::now();
        Ok(dashboards::ActiveModel {
            owner_id: Set(self.owner),
            name: Set(name),
            dashboard_type: Set("custom".into()),
            layout_config: Set(serde_json::json!({ "columns": GRID_COLUMNS })),
            is_default: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db)
        .await?)
    }

    /// Renames a dashboard.
    pub async fn rename(&self, id: i64, name: &str) -> AppResult<dashboards::Model> {
        let name = check_name("name", name)?;
        let mut row: dashboards::ActiveModel = self.get(id).await?.into();
        row.name = Set(name);
        row.updated_at = Set(Utc::now());
        Ok(row.update(self.db).await?)
    }

    /// Deletes a dashboard and its widgets.
    pub async fn delete(&self, id: i64) -> AppResult<bool> {
        self.get(id).await?;
        widgets::Entity::delete_many()
            .filter(widgets::Column::DashboardId.eq(id))
            .exec(self.db)
            .await?;
        dashboards::Entity::delete_by_id(id).exec(self.db).await?;
        Ok(true)
    }

    /// The widgets of one of the owner's dashboards, top to bottom, left to right.
    pub async fn widgets(&self, dashboard: i64) -> AppResult<Vec<widgets::Model>> {
        self.get(dashboard).await?;
        Ok(widgets::Entity::find()
            .filter(widgets::Column::DashboardId.eq(dashboard))
            .order_by_asc(widgets::Column::PositionY)
            .order_by_asc(widgets::Column::PositionX)
            .order_by_asc(widgets::Column::Id)
            .all(self.db)
            .await?)
    }

    /// One widget of the owner's (NOT_FOUND for anyone else's).
    pub async fn widget(&self, id: i64) -> AppResult<widgets::Model> {
        let widget = widgets::Entity::find_by_id(id)
            .one(self.db)
            .await?
            .ok_or(AppError::NotFound("widget"))?;
        self.get(widget.dashboard_id)
            .await
            .map_err(|_| AppError::NotFound("widget"))?;
        Ok(widget)
    }

    /// Adds a widget to one of the owner's dashboards.
    pub async fn add_widget(
        &self,
        dashboard: i64,
        input: &WidgetInput,
    ) -> AppResult<widgets::Model> {
        let (title, config) = validate(input)?;
        self.get(dashboard).await?;
        Ok(widget_row(
            dashboard,
            &title,
            input.widget_type,
            &input.data_source,
            (input.x, input.y, input.w, input.h),
            config,
        )
        .insert(self.db)
        .await?)
    }

    /// Replaces a widget's settings.
    pub async fn update_widget(&self, id: i64, input: &WidgetInput) -> AppResult<widgets::Model> {
        let (title, config) = validate(input)?;
        let mut row: widgets::ActiveModel = self.widget(id).await?.into();
        row.name = Set(title);
        row.widget_type = Set(input.widget_type.as_str().into());
        row.data_source = Set(input.data_source.clone());
        row.config = Set(config);
        row.position_x = Set(input.x);
        row.position_y = Set(input.y);
        row.width = Set(input.w);
        row.height = Set(input.h);
        row.updated_at = Set(Utc::now());
        Ok(row.update(self.db).await?)
    }

    /// Removes a widget.
    pub async fn remove_widget(&self, id: i64) -> AppResult<bool> {
        self.widget(id).await?;
        widgets::Entity::delete_by_id(id).exec(self.db).await?;
        Ok(true)
    }
}

fn widget_row(
    dashboard: i64,
    title: &str,
    kind: WidgetType,
    path: &str,
    (x, y, w, h): (i32, i32, i32, i32),
    config: serde_json::Value,
) -> widgets::ActiveModel {
    let now = Utc::now();
    widgets::ActiveModel {
        dashboard_id: Set(dashboard),
        name: Set(title.to_string()),
        widget_type: Set(kind.as_str().into()),
        data_source: Set(path.to_string()),
        config: Set(config),
        position_x: Set(x),
        position_y: Set(y),
        width: Set(w),
        height: Set(h),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_widgets_are_valid_and_fit_the_grid() {
        for (title, kind, path, x, y, w, h) in DEFAULT_WIDGETS {
            let input = WidgetInput {
                title: title.into(),
                widget_type: kind,
                data_source: path.into(),
                x,
                y,
                w,
                h,
                config: None,
            };
            assert!(validate(&input).is_ok(), "{title}");
        }
    }
}
