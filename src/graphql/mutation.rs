//! The Mutation root: cache control for admins.

use super::guards::AdminGuard;
use super::query::{cached_window, state};
use super::types::{GlobalStatistics, StatsFilter};
use crate::error::AppError;
use async_graphql::{Context, Object, Result};

/// Changes an admin can make.
#[derive(Default)]
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Recomputes the global statistics of a filter now and replaces the cached entry.
    #[graphql(guard = "AdminGuard")]
    async fn refresh_statistics(
        &self,
        ctx: &Context<'_>,
        filter: Option<StatsFilter>,
    ) -> Result<GlobalStatistics> {
        let state = state(ctx)?;
        let (key, window) = cached_window(state, filter)?;
        let served = state
            .cache
            .refresh(&key, &window)
            .await
            .map_err(AppError::gql)?;
        Ok(GlobalStatistics::served(served, &window))
    }

    /// Drops cached entries whose key starts with `prefix` (every entry when null);
    /// returns how many were dropped. Keys start with the group name (`global`).
    #[graphql(guard = "AdminGuard")]
    async fn invalidate_statistics_cache(
        &self,
        ctx: &Context<'_>,
        prefix: Option<String>,
    ) -> Result<i64> {
        let state = state(ctx)?;
        if prefix
            .as_ref()
            .is_some_and(|p| p.len() > 200 || p.chars().any(char::is_control))
        {
            return Err(AppError::bad_input(
                "`prefix` must be at most 200 characters without control characters",
            )
            .gql());
        }
        let n = state
            .cache
            .invalidate(prefix.as_deref())
            .await
            .map_err(AppError::gql)?;
        // answers kept as bytes could only be served while their entries were current:
        // the memory goes with the entries
        state.responses.clear();
        Ok(n as i64)
    }
}
