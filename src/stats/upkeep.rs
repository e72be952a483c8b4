//! The engine's background work, off the request path: folding the change log, purging and
//! bounding the shared cache, taking snapshots.

use super::{Engine, changes, snapshots};
use chrono_tz::Tz;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Time between two foldings of the change log (one process of the fleet folds).
pub const FOLD_EVERY: Duration = Duration::from_secs(1);

/// Time between two purges of the shared cache.
pub const PURGE_EVERY: Duration = Duration::from_secs(600);

/// Starts every background task of `engine`; they run until aborted.
pub fn spawn(engine: Arc<Engine>, tz: Tz) -> Vec<JoinHandle<()>> {
    vec![
        spawn_folding(engine.clone()),
        spawn_purge(engine.clone()),
        snapshots::spawn(engine, tz),
    ]
}

/// Folds the change log every second.
pub fn spawn_folding(engine: Arc<Engine>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(FOLD_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            match changes::fold(engine.db()).await {
                Ok(0) => {}
                Ok(n) => tracing::trace!(rows = n, "folded the change log"),
                Err(err) => tracing::debug!(error = %err, "could not fold the change log"),
            }
        }
    })
}

/// Purges long-expired shared entries and evicts down to the bound every ten minutes.
pub fn spawn_purge(engine: Arc<Engine>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(PURGE_EVERY);
        loop {
            ticker.tick().await;
            match engine.purge().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "purged shared cache entries"),
                Err(err) => tracing::warn!(error = %err, "cache purge failed"),
            }
        }
    })
}
