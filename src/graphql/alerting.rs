//! Alerts, alert rules and the metric catalog: reads and changes for admins.

use super::guards::{AdminGuard, signed_in};
use super::schema_data;
use super::{gql, id_of};
use crate::alerts::rules::{AlertRule, AlertRuleInput};
use crate::alerts::{self, Alert, AlertFilter};
use crate::catalog::{CATALOG, MetricInfo};
use crate::error::{AppError, AppResult};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};

fn viewer_id(ctx: &Context<'_>) -> AppResult<i64> {
    signed_in(ctx)?
        .id
        .parse::<i64>()
        .map_err(|_| AppError::Internal)
}

/// Alert reads.
#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// Alerts, newest first by `triggeredAt`, `first` (1..=100, default 20) at a time after
    /// the cursor `after`.
    #[graphql(guard = "AdminGuard")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Alert>> {
        let data = gql(schema_data(ctx))?;
        let first = first.unwrap_or(20);
        if !(1..=100).contains(&first) {
            return gql(Err(AppError::bad_input(format!(
                "`first` must be between 1 and 100, got {first}"
            ))));
        }
        let filter = filter.unwrap_or_default();
        let (page, more) = gql(data
            .alerts
            .page(&filter, first as u64, after.as_deref())
            .await)?;
        let mut connection = Connection::new(after.is_some(), more);
        connection
            .edges
            .extend(page.into_iter().map(|a| Edge::new(alerts::cursor(&a), a)));
        Ok(connection)
    }

    /// Every alert rule, the gateway's own (`system`) included, oldest first.
    #[graphql(guard = "AdminGuard")]
    async fn alert_rules(&self, ctx: &Context<'_>) -> Result<Vec<AlertRule>> {
        let data = gql(schema_data(ctx))?;
        let rules = gql(data.alerts.rules().await)?;
        Ok(rules.iter().map(|r| r.shown()).collect())
    }

    /// Every metric path with its shape, unit and description (any signed-in user).
    async fn metric_catalog(&self, ctx: &Context<'_>) -> Result<Vec<MetricInfo>> {
        gql(signed_in(ctx))?;
        Ok(CATALOG.to_vec())
    }
}

/// Alert changes.
#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    /// Records that the viewer saw the alert; it stays active until resolved.
    #[graphql(guard = "AdminGuard")]
    async fn acknowledge_alert(&self, ctx: &Context<'_>, id: ID) -> Result<Alert> {
        let data = gql(schema_data(ctx))?;
        let id = gql(id_of(&id, "an alert"))?;
        gql(data.alerts.acknowledge(id, gql(viewer_id(ctx))?).await)
    }

    /// Resolves the alert by hand; if its condition still holds, it may be raised again
    /// after its cooldown.
    #[graphql(guard = "AdminGuard")]
    async fn resolve_alert(&self, ctx: &Context<'_>, id: ID) -> Result<Alert> {
        let data = gql(schema_data(ctx))?;
        let id = gql(id_of(&id, "an alert"))?;
        gql(data.alerts.resolve(id, gql(viewer_id(ctx))?).await)
    }

    /// Creates a threshold rule on a numeric metric path of `metricCatalog`.
    #[graphql(guard = "AdminGuard")]
    async fn create_alert_rule(
        &self,
        ctx: &Context<'_>,
        input: AlertRuleInput,
    ) -> Result<AlertRule> {
        let data = gql(schema_data(ctx))?;
        gql(data.alerts.create_rule(input, gql(viewer_id(ctx))?).await)
    }

    /// Replaces a rule's settings.
    #[graphql(guard = "AdminGuard")]
    async fn update_alert_rule(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: AlertRuleInput,
    ) -> Result<AlertRule> {
        let data = gql(schema_data(ctx))?;
        let id = gql(id_of(&id, "an alert rule"))?;
        gql(data.alerts.update_rule(id, input).await)
    }

    /// Deletes a rule; the alerts it raised stay, without their rule.
    #[graphql(guard = "AdminGuard")]
    async fn delete_alert_rule(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let data = gql(schema_data(ctx))?;
        let id = gql(id_of(&id, "an alert rule"))?;
        gql(data.alerts.delete_rule(id).await)
    }
}
