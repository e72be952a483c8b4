//! The Subscription root: the live feed and new alerts, over the WebSocket transport.

use super::guards::AdminGuard;
use super::schema_data;
use crate::alerts::{Alert, Severity};
use crate::error::AppError;
use crate::metrics::realtime::RealTimeStats;
use crate::stats::live::ConnectionSlots;
use async_graphql::{Context, Result, Subscription};
use futures_util::{Stream, StreamExt, future};
use std::sync::Arc;

/// Figures pushed to subscribers.
#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// The real-time figures, the latest tick's at once, then one per `intervalSeconds`
    /// (5 to 3600), computed once per tick for every subscriber of that interval.
    #[graphql(guard = "AdminGuard")]
    async fn live_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 30)] interval_seconds: i32,
    ) -> Result<impl Stream<Item = Arc<RealTimeStats>> + use<>> {
        let data = schema_data(ctx).map_err(AppError::gql)?;
        let interval = data
            .live
            .check_interval(interval_seconds)
            .map_err(AppError::gql)?;
        let slot = data
            .live
            .admit(ctx.data_opt::<ConnectionSlots>().map(|c| &c.0))
            .map_err(AppError::gql)?;
        let latest = data.live.subscribe(interval);
        Ok(tokio_stream::wrappers::WatchStream::new(latest)
            .filter_map(future::ready)
            .map(move |stats| {
                let _open = &slot;
                stats
            }))
    }

    /// An export job's status at once, then each change, until it is completed, failed or
    /// expired.
    #[graphql(guard = "AdminGuard")]
    async fn export_progress(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> Result<impl Stream<Item = crate::exports::StatisticsExport> + use<>> {
        let data = schema_data(ctx).map_err(AppError::gql)?;
        let exports = data.exports.clone();
        // an unknown or malformed id is refused before the stream starts
        let first = exports.get(&id).await.map_err(AppError::gql)?;
        let slot = data
            .live
            .admit(ctx.data_opt::<ConnectionSlots>().map(|c| &c.0))
            .map_err(AppError::gql)?;
        let id = id.to_string();
        Ok(futures_util::stream::unfold(
            (
                Some(crate::exports::shown(&first)),
                None::<crate::exports::StatisticsExport>,
                false,
            ),
            move |(next, last, done)| {
                let (exports, id) = (exports.clone(), id.clone());
                let _open = &slot;
                async move {
                    if done {
                        return None;
                    }
                    if let Some(now) = next {
                        let finished = now.status.is_final();
                        return Some((now.clone(), (None, Some(now), finished)));
                    }
                    loop {
                        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                        let Ok(row) = exports.get(&id).await else {
                            continue;
                        };
                        let now = crate::exports::shown(&row);
                        if last.as_ref() != Some(&now) {
                            let finished = now.status.is_final();
                            return Some((now.clone(), (None, Some(now), finished)));
                        }
                    }
                }
            },
        ))
    }

    /// Every new alert at or above `minSeverity`, as it is stored.
    #[graphql(guard = "AdminGuard")]
    async fn alert_raised(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Severity::Info")] min_severity: Severity,
    ) -> Result<impl Stream<Item = Arc<Alert>> + use<>> {
        let data = schema_data(ctx).map_err(AppError::gql)?;
        let slot = data
            .live
            .admit(ctx.data_opt::<ConnectionSlots>().map(|c| &c.0))
            .map_err(AppError::gql)?;
        let raised = data.alerts.subscribe();
        Ok(
            tokio_stream::wrappers::BroadcastStream::new(raised).filter_map(move |alert| {
                let _open = &slot;
                future::ready(alert.ok().filter(|a| a.severity >= min_severity))
            }),
        )
    }
}
