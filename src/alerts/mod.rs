//! Alerts: rules on metric paths, detectors (threshold, anomaly, trend change, performance,
//! security), evaluated on a ticker through the statistics engine; at most one active alert
//! per `dedup_key`, cooldowns, automatic resolution, a webhook, and a feed of new alerts for
//! the `alertRaised` subscription.

pub mod detect;
pub mod evaluate;
pub mod feed;
pub mod rules;
pub mod webhook;

use crate::auth::Viewer;
use crate::config::Secret;
use crate::entity::{statistics_alerts, users};
use crate::error::{AppError, AppResult};
use crate::stats::Engine;
use async_graphql::{Enum, ID, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How serious an alert is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Enum, Serialize, Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Worth a look today.
    Warning,
    /// Worth a look now.
    Critical,
}

impl Severity {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    /// Parses a stored or configured value (any case).
    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// What raised an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertType {
    /// A rule's condition holds.
    ThresholdExceeded,
    /// A daily figure far from its recent history.
    AnomalyDetected,
    /// A week far from the week before.
    TrendChange,
    /// A statistics computation slower than its budget.
    PerformanceIssue,
    /// Brute force or a spike of failed logins.
    SecurityAlert,
}

impl AlertType {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertType::ThresholdExceeded => "threshold_exceeded",
            AlertType::AnomalyDetected => "anomaly_detected",
            AlertType::TrendChange => "trend_change",
            AlertType::PerformanceIssue => "performance_issue",
            AlertType::SecurityAlert => "security_alert",
        }
    }

    /// Parses a stored value.
    pub fn parse(text: &str) -> Option<AlertType> {
        [
            AlertType::ThresholdExceeded,
            AlertType::AnomalyDetected,
            AlertType::TrendChange,
            AlertType::PerformanceIssue,
            AlertType::SecurityAlert,
        ]
        .into_iter()
        .find(|t| t.as_str() == text)
    }
}

/// A raised alert, as GraphQL shows it.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Id.
    pub id: ID,
    /// What raised it.
    pub alert_type: AlertType,
    /// How serious it is.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// What was seen, with its figures.
    pub message: String,
    /// The metric path or series it is about.
    pub metric_path: Option<String>,
    /// The figure seen (the latest, while the condition lasts).
    pub observed_value: Option<f64>,
    /// The bound it crossed.
    pub threshold: Option<f64>,
    /// At most one active alert per key.
    pub dedup_key: String,
    /// Until resolved, by hand or when its condition clears.
    pub is_active: bool,
    /// When the gateway raised it.
    pub triggered_at: DateTime<Utc>,
    /// When an admin acknowledged it.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Who acknowledged it.
    #[serde(skip)]
    pub acknowledged_by: Option<Viewer>,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it by hand (none when its condition cleared).
    #[serde(skip)]
    pub resolved_by: Option<Viewer>,
    /// The rule that raised it (threshold alerts whose rule still exists).
    pub rule_id: Option<ID>,
    /// The last evaluation that saw its condition.
    pub last_seen_at: DateTime<Utc>,
}

/// Filters of `alerts`.
#[derive(Clone, Debug, Default, async_graphql::InputObject)]
pub struct AlertFilter {
    /// Only this type.
    pub alert_type: Option<AlertType>,
    /// Only this severity and above.
    pub min_severity: Option<Severity>,
    /// Only active (true) or resolved (false) alerts.
    pub active: Option<bool>,
}

/// What the alert engine is configured with.
#[derive(Clone, Debug)]
pub struct AlertSettings {
    /// Time between two evaluations.
    pub interval: Duration,
    /// Where new alerts are POSTed, if anywhere.
    pub webhook_url: Option<String>,
    /// HMAC-SHA256 key of the webhook's signature.
    pub webhook_secret: Option<Secret>,
    /// Least severity POSTed.
    pub webhook_min_severity: Severity,
    /// Quiet time of the detectors after an alert of a key.
    pub cooldown: chrono::Duration,
    /// Days of history of the anomaly detector.
    pub anomaly_days: u32,
    /// Modified z-score beyond which a day is an anomaly.
    pub anomaly_z: f64,
    /// Week-over-week change (percent) beyond which a trend changed.
    pub trend_percent: f64,
    /// Least total of the previous week for a trend change.
    pub trend_min_base: f64,
    /// Longest a statistics computation may take.
    pub performance_budget: Duration,
    /// Span of a brute-force burst.
    pub burst_minutes: u32,
    /// Least failures from one address within one span.
    pub burst_min_failures: u32,
    /// Days a burst stays in view.
    pub burst_days: u32,
    /// Last hour's failures above this many times the median hour.
    pub spike_factor: f64,
    /// ... and at least this many.
    pub spike_min_failures: u32,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            interval: Duration::from_secs(60),
            webhook_url: None,
            webhook_secret: None,
            webhook_min_severity: Severity::Warning,
            cooldown: chrono::Duration::minutes(60),
            anomaly_days: 28,
            anomaly_z: 3.5,
            trend_percent: 30.0,
            trend_min_base: 20.0,
            performance_budget: Duration::from_secs(5),
            burst_minutes: 15,
            burst_min_failures: 20,
            burst_days: 7,
            spike_factor: 3.0,
            spike_min_failures: 50,
        }
    }
}

/// The alert engine of one gateway.
pub struct Alerts {
    db: DatabaseConnection,
    engine: Arc<Engine>,
    settings: AlertSettings,
    tz: chrono_tz::Tz,
    /// New alerts as stored, for `alertRaised`.
    raised: tokio::sync::broadcast::Sender<Arc<Alert>>,
    /// Wakes the feed after this gateway stored alerts.
    stored: tokio::sync::Notify,
    webhook: Option<webhook::Webhook>,
    /// Evaluations this gateway ran.
    pub evaluations: std::sync::atomic::AtomicU64,
}

impl Alerts {
    /// The alert engine over `engine`'s database.
    pub fn new(engine: Arc<Engine>, settings: AlertSettings, tz: chrono_tz::Tz) -> Arc<Self> {
        let (raised, _) = tokio::sync::broadcast::channel(1024);
        let webhook = settings.webhook_url.clone().map(|url| {
            webhook::Webhook::spawn(
                url,
                settings.webhook_secret.clone(),
                Duration::from_secs(3600),
            )
        });
        Arc::new(Alerts {
            db: engine.db().clone(),
            engine,
            settings,
            tz,
            raised,
            stored: tokio::sync::Notify::new(),
            webhook,
            evaluations: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &AlertSettings {
        &self.settings
    }

    /// New alerts from now on, as stored (by this gateway or another on the database).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<Alert>> {
        self.raised.subscribe()
    }

    /// A page of alerts, newest first by `triggeredAt` (then id), after the cursor.
    pub async fn page(
        &self,
        filter: &AlertFilter,
        first: u64,
        after: Option<&str>,
    ) -> AppResult<(Vec<Alert>, bool)> {
        use statistics_alerts::Column;
        let mut query = statistics_alerts::Entity::find();
        if let Some(t) = filter.alert_type {
            query = query.filter(Column::AlertType.eq(t.as_str()));
        }
        if let Some(min) = filter.min_severity {
            let at_least: Vec<&str> = [Severity::Info, Severity::Warning, Severity::Critical]
                .into_iter()
                .filter(|s| *s >= min)
                .map(Severity::as_str)
                .collect();
            query = query.filter(Column::Severity.is_in(at_least));
        }
        if let Some(active) = filter.active {
            query = query.filter(Column::IsActive.eq(active));
        }
        if let Some(cursor) = after {
            let (at, id) = parse_cursor(cursor)?;
            query = query.filter(
                Condition::any().add(Column::TriggeredAt.lt(at)).add(
                    Condition::all()
                        .add(Column::TriggeredAt.eq(at))
                        .add(Column::Id.lt(id)),
                ),
            );
        }
        let rows = query
            .order_by_desc(Column::TriggeredAt)
            .order_by_desc(Column::Id)
            .limit(first + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > first;
        let rows: Vec<_> = rows.into_iter().take(first as usize).collect();
        Ok((self.shown(rows).await?, more))
    }

    /// One alert.
    pub async fn get(&self, id: i64) -> AppResult<Alert> {
        let row = statistics_alerts::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(AppError::NotFound("alert"))?;
        Ok(self.shown(vec![row]).await?.remove(0))
    }

    /// Records that `by` saw the alert; it stays active.
    pub async fn acknowledge(&self, id: i64, by: i64) -> AppResult<Alert> {
        use sea_orm::sea_query::Expr;
        let found = statistics_alerts::Entity::update_many()
            .col_expr(statistics_alerts::Column::AcknowledgedBy, Expr::value(by))
            .col_expr(
                statistics_alerts::Column::AcknowledgedAt,
                Expr::value(Utc::now()),
            )
            .filter(statistics_alerts::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        if found.rows_affected == 0 {
            return Err(AppError::NotFound("alert"));
        }
        self.get(id).await
    }

    /// Resolves the alert by hand (nothing changes if it is resolved already).
    pub async fn resolve(&self, id: i64, by: i64) -> AppResult<Alert> {
        use sea_orm::sea_query::Expr;
        let current = self.get(id).await?;
        if current.is_active {
            statistics_alerts::Entity::update_many()
                .col_expr(statistics_alerts::Column::IsActive, Expr::value(false))
                .col_expr(
                    statistics_alerts::Column::ResolvedAt,
                    Expr::value(Utc::now()),
                )
                .col_expr(statistics_alerts::Column::ResolvedBy, Expr::value(by))
                .filter(statistics_alerts::Column::Id.eq(id))
                .filter(statistics_alerts::Column::IsActive.eq(true))
                .exec(&self.db)
                .await?;
        }
        self.get(id).await
    }

    /// Rows as GraphQL shows them, with the admins who acknowledged or resolved them.
    async fn shown(&self, rows: Vec<statistics_alerts::Model>) -> AppResult<Vec<Alert>> {
        let mut ids: Vec<i64> = rows
            .iter()
            .flat_map(|r| [r.acknowledged_by, r.resolved_by])
            .flatten()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let viewers: HashMap<i64, Viewer> = if ids.is_empty() {
            HashMap::new()
        } else {
            users::Entity::find()
                .filter(users::Column::Id.is_in(ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|u| {
                    (
                        u.id,
                        Viewer {
                            id: u.id.into(),
                            email: u.email,
                            full_name: u.full_name,
                            role: u.role,
                        },
                    )
                })
                .collect()
        };
        Ok(rows.into_iter().map(|r| alert_of(r, &viewers)).collect())
    }
}

/// A stored row as GraphQL shows it.
pub(crate) fn alert_of(r: statistics_alerts::Model, viewers: &HashMap<i64, Viewer>) -> Alert {
    Alert {
        id: r.id.into(),
        alert_type: AlertType::parse(&r.alert_type).unwrap_or(AlertType::ThresholdExceeded),
        severity: Severity::parse(&r.severity).unwrap_or(Severity::Info),
        title: r.title,
        message: r.message,
        metric_path: r.metric,
        observed_value: r.observed_value,
        threshold: r.threshold,
        dedup_key: r.dedup_key,
        is_active: r.is_active,
        triggered_at: r.triggered_at,
        acknowledged_at: r.acknowledged_at,
        acknowledged_by: r.acknowledged_by.and_then(|id| viewers.get(&id).cloned()),
        resolved_at: r.resolved_at,
        resolved_by: r.resolved_by.and_then(|id| viewers.get(&id).cloned()),
        rule_id: r.rule_id.map(Into::into),
        last_seen_at: r.updated_at.unwrap_or(r.triggered_at),
    }
}

/// The cursor of an alert in the newest-first order.
pub fn cursor(alert: &Alert) -> String {
    format!(
        "{}~{}",
        alert
            .triggered_at
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        alert.id.as_str()
    )
}

fn parse_cursor(cursor: &str) -> AppResult<(DateTime<Utc>, i64)> {
    let bad = || AppError::bad_input("`after` is not a cursor of this list");
    let (at, id) = cursor.split_once('~').ok_or_else(bad)?;
    let at = DateTime::parse_from_rfc3339(at).map_err(|_| bad())?;
    let id = id.parse().map_err(|_| bad())?;
    Ok((at.with_timezone(&Utc), id))
}
