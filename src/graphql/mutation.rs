//! The Mutation root: cache control for admins.

use super::guards::AdminGuard;
use super::schema_data;
use super::selection;
use super::types::{GlobalStatistics, StatsFilter, window};
use crate::error::AppError;
use crate::stats::Statistics;
use async_graphql::{Context, Object, Result};
use std::sync::Arc;

/// Changes an admin can make.
#[derive(Default)]
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Recomputes the selected groups of a filter now and replaces their cached entries.
    #[graphql(guard = "AdminGuard")]
    async fn refresh_statistics(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<GlobalStatistics> {
        let data = schema_data(ctx).map_err(AppError::gql)?;
        let window = window(ctx, filter).map_err(AppError::gql)?;
        let groups = selection::global(ctx.field());
        let stats = Statistics::refreshed(data.engine.clone(), window, groups, None)
            .await
            .map_err(AppError::gql)?;
        Ok(GlobalStatistics(Arc::new(stats)))
    }

    /// Drops cached entries whose key starts with `prefix` (every entry when null); returns
    /// how many were dropped. Keys start with the group name (`users`, `requests`,
    /// `financial`, `satisfaction`, `technicians`, `security`, `trends`).
    #[graphql(guard = "AdminGuard")]
    async fn invalidate_statistics_cache(
        &self,
        ctx: &Context<'_>,
        prefix: Option<String>,
    ) -> Result<i64> {
        let data = schema_data(ctx).map_err(AppError::gql)?;
        if prefix
            .as_ref()
            .is_some_and(|p| p.len() > 200 || p.chars().any(char::is_control))
        {
            return Err(AppError::bad_input(
                "`prefix` must be at most 200 characters without control characters",
            )
            .gql());
        }
        let n = data
            .engine
            .invalidate(prefix.as_deref())
            .await
            .map_err(AppError::gql)?;
        Ok(n as i64)
    }
}
