//! Dashboards and widgets: every signed-in user reads and changes their own; a widget's
//! `data` is statistics, for admins, read through the engine like `globalStatistics`.

use super::guards::signed_in;
use super::query::statistics;
use super::schema_data;
use super::types::StatsFilter;
use super::{gql, id_of};
use crate::auth::Viewer;
use crate::catalog;
use crate::dashboards::figures::{camel_json, figure, realtime_figure};
use crate::dashboards::{Dashboards, WidgetInput, WidgetType};
use crate::entity::{statistics_dashboards, statistics_widgets};
use crate::error::{AppError, AppResult};
use async_graphql::{Context, ID, Object, Result};
use chrono::Utc;
use std::collections::BTreeSet;

/// The signed-in viewer, their id and their dashboards.
fn owner<'c>(ctx: &'c Context<'_>) -> AppResult<(&'c Viewer, Dashboards<'c>)> {
    let viewer = signed_in(ctx)?;
    let id = viewer.id.parse::<i64>().map_err(|_| AppError::Internal)?;
    let data = schema_data(ctx)?;
    Ok((viewer, Dashboards::of(data.engine.db(), id)))
}

/// A dashboard of the viewer's.
pub struct Dashboard(statistics_dashboards::Model);

#[Object]
impl Dashboard {
    /// Id.
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The one the gateway made (each admin's first).
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    /// Its widgets, top to bottom, left to right.
    async fn widgets(&self, ctx: &Context<'_>) -> Result<Vec<Widget>> {
        let (_, mine) = gql(owner(ctx))?;
        Ok(gql(mine.widgets(self.0.id).await)?
            .into_iter()
            .map(Widget)
            .collect())
    }
}

/// A widget: a metric path shown one way, at a place of the 12-column grid.
pub struct Widget(statistics_widgets::Model);

#[Object]
impl Widget {
    /// Id.
    async fn id(&self) -> ID {
        self.0.id.into()
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.name
    }
    /// How it shows its metric.
    async fn widget_type(&self) -> Result<WidgetType> {
        WidgetType::parse(&self.0.widget_type).ok_or_else(|| AppError::Internal.gql())
    }
    /// A path of `metricCatalog`.
    async fn data_source(&self) -> &str {
        &self.0.data_source
    }
    /// Column.
    async fn x(&self) -> i32 {
        self.0.position_x
    }
    /// Row.
    async fn y(&self) -> i32 {
        self.0.position_y
    }
    /// Width in columns.
    async fn w(&self) -> i32 {
        self.0.width
    }
    /// Height in rows.
    async fn h(&self) -> i32 {
        self.0.height
    }
    /// The client's settings, as JSON text.
    async fn config(&self) -> Option<String> {
        (!self.0.config.is_null()).then(|| self.0.config.to_string())
    }
    /// Its figures under `filter` (admins), as JSON text: `{"value": <the figure, list or
    /// series>, "unit", "asOf", "computedAt", "stale"}`, read through the engine like
    /// `globalStatistics` (the same cached entries).
    async fn data(&self, ctx: &Context<'_>, filter: Option<StatsFilter>) -> Result<String> {
        let (viewer, _) = gql(owner(ctx))?;
        if !viewer.is_admin() {
            return Err(AppError::Forbidden.gql());
        }
        let path = self.0.data_source.as_str();
        let unit = catalog::find(path).map_or("mixed", |m| m.unit);
        let (value, as_of, computed_at, stale) = if path == "alerts" {
            let data = gql(schema_data(ctx))?;
            let active = crate::alerts::AlertFilter {
                active: Some(true),
                ..Default::default()
            };
            let (alerts, _) = gql(data.alerts.page(&active, 100, None).await)?;
            let now = Utc::now();
            (gql(camel_json(&alerts))?, now, now, false)
        } else if catalog::is_realtime(path) {
            let data = gql(schema_data(ctx))?;
            let live = gql(data.engine.realtime(Utc::now()).await)?;
            let value = gql(realtime_figure(&gql(camel_json(&live))?, path))?;
            (value, live.as_of, live.computed_at, false)
        } else {
            let groups: BTreeSet<_> = catalog::groups_of(path).into_iter().collect();
            let stats = gql(statistics(ctx, filter, groups).await)?;
            let value = gql(figure(&stats, path).await)?;
            let meta = stats.meta();
            (value, meta.as_of, meta.computed_at, meta.stale)
        };
        Ok(serde_json::json!({
            "value": value,
            "unit": unit,
            "asOf": as_of,
            "computedAt": computed_at,
            "stale": stale,
        })
        .to_string())
    }
}

/// Dashboard reads.
#[derive(Default)]
pub struct DashboardQuery;

#[Object]
impl DashboardQuery {
    /// The viewer's dashboards, the default first (an admin without any gets the default
    /// one: headline figures, the daily trend, payment methods, top technicians, suspicious
    /// addresses, active alerts).
    async fn dashboards(&self, ctx: &Context<'_>) -> Result<Vec<Dashboard>> {
        let (viewer, mine) = gql(owner(ctx))?;
        Ok(gql(mine.list(viewer.is_admin()).await)?
            .into_iter()
            .map(Dashboard)
            .collect())
    }

    /// The widgets of one of the viewer's dashboards (NOT_FOUND for anyone else's).
    async fn dashboard_widgets(&self, ctx: &Context<'_>, dashboard_id: ID) -> Result<Vec<Widget>> {
        let (_, mine) = gql(owner(ctx))?;
        let id = gql(id_of(&dashboard_id, "a dashboard"))?;
        Ok(gql(mine.widgets(id).await)?
            .into_iter()
            .map(Widget)
            .collect())
    }
}

/// Dashboard changes, each on the viewer's own.
#[derive(Default)]
pub struct DashboardMutation;

#[Object]
impl DashboardMutation {
    /// Creates a dashboard.
    async fn create_dashboard(&self, ctx: &Context<'_>, name: String) -> Result<Dashboard> {
        let (_, mine) = gql(owner(ctx))?;
        Ok(Dashboard(gql(mine.create(&name).await)?))
    }

    /// Renames a dashboard.
    async fn update_dashboard(&self, ctx: &Context<'_>, id: ID, name: String) -> Result<Dashboard> {
        let (_, mine) = gql(owner(ctx))?;
        let id = gql(id_of(&id, "a dashboard"))?;
        Ok(Dashboard(gql(mine.rename(id, &name).await)?))
    }

    /// Deletes a dashboard and its widgets.
    async fn delete_dashboard(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let (_, mine) = gql(owner(ctx))?;
        let id = gql(id_of(&id, "a dashboard"))?;
        gql(mine.delete(id).await)
    }

    /// Adds a widget to a dashboard.
    async fn add_widget(
        &self,
        ctx: &Context<'_>,
        dashboard_id: ID,
        input: WidgetInput,
    ) -> Result<Widget> {
        let (_, mine) = gql(owner(ctx))?;
        let id = gql(id_of(&dashboard_id, "a dashboard"))?;
        Ok(Widget(gql(mine.add_widget(id, &input).await)?))
    }

    /// Replaces a widget's settings.
    async fn update_widget(&self, ctx: &Context<'_>, id: ID, input: WidgetInput) -> Result<Widget> {
        let (_, mine) = gql(owner(ctx))?;
        let id = gql(id_of(&id, "a widget"))?;
        Ok(Widget(gql(mine.update_widget(id, &input).await)?))
    }

    /// Removes a widget.
    async fn remove_widget(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let (_, mine) = gql(owner(ctx))?;
        let id = gql(id_of(&id, "a widget"))?;
        gql(mine.remove_widget(id).await)
    }
}
