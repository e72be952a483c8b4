//! The Query root: one resolver per metric group, thin over `metrics` and `stats`.

use super::guards::{AdminGuard, viewer};
use super::response_cache::ResponseTrace;
use super::types::{GlobalStatistics, SecurityStatsObject, StatsFilter, TechnicianStatsObject};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::{AppError, gql};
use crate::metrics::trends::{Granularity, MAX_POINTS, TrendPoint};
use crate::metrics::{
    self, advanced::AdvancedMetrics, financial::FinancialStats, overview::OverviewStats,
};
use crate::metrics::{
    realtime::RealTimeStats, requests::RequestStats, satisfaction::SatisfactionStats,
};
use crate::stats::snapshots::{self, Snapshot};
use crate::stats::{Window, cache};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Read access to the platform's statistics.
#[derive(Default)]
pub struct QueryRoot;

pub(super) fn state<'c>(ctx: &Context<'c>) -> Result<&'c AppState> {
    ctx.data::<AppState>()
}

/// The cache key and the validated window of a filter.
pub(super) fn cached_window(
    state: &AppState,
    filter: Option<StatsFilter>,
) -> Result<(String, Window)> {
    let input = filter.unwrap_or_default().input();
    let key = cache::key(&input, state.config.timezone);
    let window =
        Window::from_input(input, Utc::now(), state.config.timezone).map_err(AppError::gql)?;
    Ok((key, window))
}

fn window<'c>(ctx: &Context<'c>, filter: Option<StatsFilter>) -> Result<(&'c AppState, Window)> {
    let state = state(ctx)?;
    let window = filter
        .unwrap_or_default()
        .window(state)
        .map_err(AppError::gql)?;
    Ok((state, window))
}

#[Object]
impl QueryRoot {
    /// Every statistic under one filter, with how it was computed; served from the cache.
    #[graphql(guard = "AdminGuard")]
    async fn global_statistics(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<GlobalStatistics> {
        let state = state(ctx)?;
        let (key, window) = cached_window(state, filter)?;
        let served = state
            .cache
            .global(&key, &window)
            .await
            .map_err(AppError::gql)?;
        if let Some(trace) = ctx.data_opt::<Arc<ResponseTrace>>() {
            trace.served(&key, &served);
        }
        Ok(GlobalStatistics::served(served, &window))
    }

    /// Headline figures.
    #[graphql(guard = "AdminGuard")]
    async fn overview(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<OverviewStats> {
        let (state, window) = window(ctx, filter)?;
        gql(metrics::overview::compute(&state.db, &window).await)
    }

    /// Requests in the period, by state, with breakdowns by specialty and city.
    #[graphql(guard = "AdminGuard")]
    async fn requests(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<RequestStats> {
        let (state, window) = window(ctx, filter)?;
        gql(metrics::requests::compute(&state.db, &window).await)
    }

    /// Payments in the period, exact to the cent.
    #[graphql(guard = "AdminGuard")]
    async fn financial(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<FinancialStats> {
        let (state, window) = window(ctx, filter)?;
        gql(metrics::financial::compute(&state.db, &window).await)
    }

    /// Reviews in the period.
    #[graphql(guard = "AdminGuard")]
    async fn satisfaction(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<SatisfactionStats> {
        let (state, window) = window(ctx, filter)?;
        gql(metrics::satisfaction::compute(&state.db, &window).await)
    }

    /// Technicians that exist at `asOf`.
    #[graphql(guard = "AdminGuard")]
    async fn technicians(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<TechnicianStatsObject> {
        let (state, window) = window(ctx, filter)?;
        let stats = metrics::technicians::compute(&state.db, &window)
            .await
            .map_err(|e| AppError::from(e).gql())?;
        Ok(TechnicianStatsObject { stats, window })
    }

    /// Login events in the period.
    #[graphql(guard = "AdminGuard")]
    async fn security(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<SecurityStatsObject> {
        let (state, window) = window(ctx, filter)?;
        let stats = metrics::security::compute(&state.db, &window)
            .await
            .map_err(|e| AppError::from(e).gql())?;
        Ok(SecurityStatsObject { stats, window })
    }

    /// Conversion, retention and churn.
    #[graphql(guard = "AdminGuard")]
    async fn advanced(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<AdvancedMetrics> {
        let (state, window) = window(ctx, filter)?;
        gql(metrics::advanced::compute(&state.db, &window).await)
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
        let (state, window) = window(ctx, filter)?;
        gql(metrics::trends::compute(&state.db, &window, granularity, points as u32).await)
    }

    /// Live figures for the 24 hours before `asOf` (default now); never cached.
    #[graphql(guard = "AdminGuard")]
    async fn real_time_stats(
        &self,
        ctx: &Context<'_>,
        as_of: Option<DateTime<Utc>>,
    ) -> Result<RealTimeStats> {
        let state = state(ctx)?;
        let now = Utc::now();
        let as_of = match as_of {
            Some(t) if t > now => {
                return Err(AppError::bad_input("asOf is later than the server clock").gql());
            }
            Some(t) => t,
            None => now,
        };
        gql(metrics::realtime::compute(&state.db, as_of).await)
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
        let state = state(ctx)?;
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
        let (rows, more) = gql(snapshots::page(&state.db, from, to, first as u64, after_id).await)?;
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
