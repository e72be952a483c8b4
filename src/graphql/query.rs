//! The Query root: one resolver per metric group, each a read through the engine.

use super::gql;
use super::guards::{AdminGuard, viewer};
use super::schema_data;
use super::selection;
use super::types::{
    AdvancedMetrics, GlobalStatistics, OverviewStats, SecurityStats, StatsFilter, TechnicianStats,
    window,
};
use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::metrics::financial::FinancialStats;
use crate::metrics::realtime::RealTimeStats;
use crate::metrics::requests::RequestStats;
use crate::metrics::satisfaction::SatisfactionStats;
use crate::metrics::trends::{Granularity, MAX_POINTS, TrendPoint};
use crate::stats::snapshots::{self, Snapshot};
use crate::stats::{Group, Reads, Statistics};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Read access to the platform's statistics.
#[derive(Default)]
pub struct QueryRoot;

/// Reads `groups` under the filter's window through the engine, recording them for the
/// request.
pub(super) async fn statistics(
    ctx: &Context<'_>,
    filter: Option<StatsFilter>,
    groups: BTreeSet<Group>,
) -> AppResult<Arc<Statistics>> {
    let data = schema_data(ctx)?;
    let window = window(ctx, filter)?;
    let reads = ctx.data_opt::<Arc<Reads>>().cloned();
    Ok(Arc::new(
        Statistics::fetch(data.engine.clone(), window, groups, reads).await?,
    ))
}

/// The statistics a group field needs for its own selection.
async fn group(ctx: &Context<'_>, filter: Option<StatsFilter>) -> Result<Arc<Statistics>> {
    let mut groups = BTreeSet::new();
    let field = ctx.field();
    selection::group_fields(field.name(), field, &mut groups);
    statistics(ctx, filter, groups).await.map_err(AppError::gql)
}

#[Object]
impl QueryRoot {
    /// Every statistic under one filter, with how it was computed; each group selected is
    /// read through the engine (cached per group), concurrently.
    #[graphql(guard = "AdminGuard")]
    async fn global_statistics(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<GlobalStatistics> {
        let groups = selection::global(ctx.field());
        gql(statistics(ctx, filter, groups).await.map(GlobalStatistics))
    }

    /// Headline figures.
    #[graphql(guard = "AdminGuard")]
    async fn overview(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<OverviewStats> {
        Ok(OverviewStats(group(ctx, filter).await?))
    }

    /// Requests in the period, by state, with breakdowns by specialty and city.
    #[graphql(guard = "AdminGuard")]
    async fn requests(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<RequestStats> {
        gql(group(ctx, filter).await?.requests().await)
    }

    /// Payments in the period, exact to the cent.
    #[graphql(guard = "AdminGuard")]
    async fn financial(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<FinancialStats> {
        gql(group(ctx, filter).await?.financial().await)
    }

    /// Reviews in the period.
    #[graphql(guard = "AdminGuard")]
    async fn satisfaction(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<SatisfactionStats> {
        gql(group(ctx, filter).await?.satisfaction().await)
    }

    /// Technicians that exist at `asOf`.
    #[graphql(guard = "AdminGuard")]
    async fn technicians(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<TechnicianStats> {
        Ok(TechnicianStats(group(ctx, filter).await?))
    }

    /// Login events in the period.
    #[graphql(guard = "AdminGuard")]
    async fn security(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<SecurityStats> {
        Ok(SecurityStats(group(ctx, filter).await?))
    }

    /// Conversion, retention and churn.
    #[graphql(guard = "AdminGuard")]
    async fn advanced(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<AdvancedMetrics> {
        Ok(AdvancedMetrics(group(ctx, filter).await?))
    }

    /// One calendar trend ending with the bucket of `asOf` (the period is ignored).
    #[graphql(guard = "AdminGuard")]
    async fn trends(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
        granularity: Granularity,
        points: Option<i32>,
    ) -> Result<Vec<TrendPoint>> {
        let points = points.unwrap_or(granularity.default_points());
        if !(1..=MAX_POINTS).contains(&points) {
            return Err(AppError::bad_input(format!(
                "`points` must be between 1 and {MAX_POINTS}, got {points}"
            ))
            .gql());
        }
        let stats = statistics(ctx, filter, BTreeSet::new()).await;
        gql(gql(stats)?.trend(granularity, points as u32).await)
    }

    /// Live figures for the 24 hours before `asOf` (default now); never cached.
    #[graphql(guard = "AdminGuard")]
    async fn real_time_stats(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<RealTimeStats> {
        let data = gql(schema_data(ctx))?;
        let now = Utc::now();
        let as_of = match as_of {
            Some(t) if t > now => {
                return Err(AppError::bad_input("asOf is later than the server clock").gql());
            }
            Some(t) => t,
            None => now,
        };
        gql(data.engine.realtime(as_of).await)
    }

    /// Stored snapshots of the unfiltered global statistics computed in `[from, to)`,
    /// oldest first, `first` (1..=100, default 20) at a time after the cursor `after`.
    #[graphql(guard = "AdminGuard")]
    async fn statistics_snapshots(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Snapshot>> {
        let data = gql(schema_data(ctx))?;
        let first = first.unwrap_or(20);
        if !(1..=100).contains(&first) {
            return Err(AppError::bad_input(format!(
                "`first` must be between 1 and 100, got {first}"
            ))
            .gql());
        }
        if let (Some(f), Some(t)) = (from, to)
            && f >= t
        {
            return Err(AppError::bad_input("`from` must be earlier than `to`").gql());
        }
        let after_id =
            match &after {
                Some(cursor) => Some(cursor.parse::<i64>().map_err(|_| {
                    AppError::bad_input("`after` is not a cursor of this list").gql()
                })?),
                None => None,
            };
        let page = snapshots::page(data.engine.db(), from, to, first as u64, after_id).await;
        let (rows, more) = page.map_err(|e| AppError::from(e).gql())?;
        let mut connection = Connection::new(after.is_some(), more);
        connection
            .edges
            .extend(rows.into_iter().map(|s| Edge::new(s.id.to_string(), s)));
        Ok(connection)
    }

    /// The signed-in user; null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Viewer>> {
        Ok(viewer(ctx).map_err(AppError::gql)?.cloned())
    }
}
