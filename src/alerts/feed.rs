//! The evaluation ticker and the feed of new alerts.
//!
//! Several gateways may share one PostgreSQL: only the holder of an advisory lock (held on a
//! connection of its own for as long as the gateway lives) evaluates; when it goes away its
//! connection closes, the lock is free, and another gateway takes it at its next tick. Every
//! gateway reads new alerts from the table (by id, when its own evaluation stored some and
//! at least every two seconds) and hands them to its own `alertRaised` subscribers.

use super::{Alerts, alert_of};
use crate::entity::statistics_alerts;
use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The advisory lock key of the evaluator (`teliman` in ASCII, as an integer).
pub const EVALUATOR_LOCK: i64 = 0x0074_656c_696d_616e;

/// Longest time between two reads of new alerts.
const FEED_POLL: Duration = Duration::from_secs(2);

impl Alerts {
    /// Starts the evaluation ticker (first evaluation at once) and the feed.
    pub fn spawn(self: &Arc<Self>) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(self.clone().evaluate_forever()),
            self.spawn_feed(),
        ]
    }

    /// Starts the feed alone: new alerts stored by anyone reach this gateway's subscribers.
    pub fn spawn_feed(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.clone().feed_forever())
    }

    async fn evaluate_forever(self: Arc<Self>) {
        let mut clock = tokio::time::interval(self.settings.interval);
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut leadership: Option<Leadership> = None;
        loop {
            clock.tick().await;
            if !self.lead(&mut leadership).await {
                continue;
            }
            match self.evaluate(Utc::now()).await {
                Ok(report) => tracing::info!(
                    raised = report.raised.len(),
                    updated = report.updated,
                    resolved = report.resolved,
                    failed = report.failed.len(),
                    ms = report.ms as u64,
                    "alerts evaluated"
                ),
                Err(err) => tracing::warn!(error = %err, "alert evaluation failed"),
            }
        }
    }

    /// Whether this gateway is the evaluator now (always on SQLite: one file, one writer).
    async fn lead(&self, leadership: &mut Option<Leadership>) -> bool {
        if self.db.get_database_backend() != DatabaseBackend::Postgres {
            return true;
        }
        if let Some(held) = leadership {
            if held.alive().await {
                return true;
            }
            tracing::warn!("lost the alert evaluator's lock (its connection closed)");
            *leadership = None;
        }
        match Leadership::try_take(&self.db).await {
            Ok(Some(held)) => {
                tracing::info!("this gateway evaluates the alerts");
                *leadership = Some(held);
                true
            }
            Ok(None) => false,
            Err(err) => {
                tracing::warn!(error = %err, "cannot reach the database for the evaluator's lock");
                false
            }
        }
    }

    async fn feed_forever(self: Arc<Self>) {
        let mut last = loop {
            let newest: Result<Option<i64>, _> = statistics_alerts::Entity::find()
                .select_only()
                .column(statistics_alerts::Column::Id)
                .order_by_desc(statistics_alerts::Column::Id)
                .limit(1)
                .into_tuple()
                .one(&self.db)
                .await;
            match newest {
                Ok(id) => break id.unwrap_or(0),
                Err(_) => tokio::time::sleep(FEED_POLL).await,
            }
        };
        loop {
            tokio::select! {
                _ = self.stored.notified() => {}
                _ = tokio::time::sleep(FEED_POLL) => {}
            }
            match self.read_new(last).await {
                Ok(newest) => last = newest,
                Err(err) => tracing::debug!(error = %err, "cannot read new alerts"),
            }
        }
    }

    /// Hands alerts stored after `last` to the subscribers; returns the newest id.
    pub async fn read_new(&self, mut last: i64) -> Result<i64, sea_orm::DbErr> {
        loop {
            let rows = statistics_alerts::Entity::find()
                .filter(statistics_alerts::Column::Id.gt(last))
                .order_by_asc(statistics_alerts::Column::Id)
                .limit(500)
                .all(&self.db)
                .await?;
            let n = rows.len();
            for row in rows {
                last = last.max(row.id);
                // nobody listening is fine
                let _ = self.raised.send(Arc::new(alert_of(row, &HashMap::new())));
            }
            if n < 500 {
                return Ok(last);
            }
        }
    }
}

/// The evaluator's advisory lock, held by a connection kept out of the pool.
struct Leadership {
    connection: sea_orm::sqlx::PgConnection,
}

impl Leadership {
    async fn try_take(
        db: &sea_orm::DatabaseConnection,
    ) -> Result<Option<Leadership>, sea_orm::sqlx::Error> {
        let pool = db.get_postgres_connection_pool();
        let mut connection = pool.acquire().await?;
        let taken: bool = sea_orm::sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(EVALUATOR_LOCK)
            .fetch_one(&mut *connection)
            .await?;
        if !taken {
            return Ok(None);
        }
        // a connection that holds a session lock never goes back to the pool: detached, it
        // closes (and frees the lock) only when dropped
        Ok(Some(Leadership {
            connection: connection.detach(),
        }))
    }

    async fn alive(&mut self) -> bool {
        sea_orm::sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(&mut self.connection)
            .await
            .is_ok()
    }
}
