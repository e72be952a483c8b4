//! One evaluation: every detector reads its figures through the engine, says which
//! conditions hold, and the alerts table is brought in line: a new condition raises an alert
//! (unless its key is in cooldown), a lasting one updates the figure seen, a cleared one is
//! resolved. A detector that fails leaves its alerts as they are.

use super::detect;
use super::rules::Rule;
use super::{Alert, AlertType, Alerts, Severity, alert_of};
use crate::catalog;
use crate::entity::statistics_alerts;
use crate::error::{AppError, AppResult};
use crate::metrics::logins::FailureBurst;
use crate::metrics::trends::{Granularity, TrendPoint};
use crate::stats::{Group, Statistics};
use crate::window::Window;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::prelude::ToPrimitive;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A condition that holds now.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Its stable key.
    pub dedup_key: String,
    /// What kind.
    pub alert_type: AlertType,
    /// How serious.
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// The figures.
    pub message: String,
    /// The metric or series.
    pub metric: Option<String>,
    /// The figure seen.
    pub observed: Option<f64>,
    /// The bound crossed.
    pub threshold: Option<f64>,
    /// The rule, for threshold alerts.
    pub rule_id: Option<i64>,
    /// Quiet time after an alert of this key.
    pub cooldown: Duration,
}

/// What one evaluation did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Conditions that hold.
    pub findings: usize,
    /// Alerts raised.
    pub raised: Vec<i64>,
    /// Active alerts whose figure was updated.
    pub updated: usize,
    /// Alerts resolved because their condition cleared.
    pub resolved: usize,
    /// Conditions held back by their cooldown.
    pub cooled: usize,
    /// Detectors (or rules) that could not be evaluated.
    pub failed: Vec<String>,
    /// Milliseconds the evaluation took.
    pub ms: u128,
}

/// The findings of every detector, and the key prefixes each detector that ran answers for
/// (an active alert under a covered prefix and without a finding has cleared).
#[derive(Default)]
struct Findings {
    found: Vec<Finding>,
    covered: Vec<String>,
    failed: Vec<String>,
}

impl Findings {
    fn cover(&mut self, prefix: impl Into<String>) {
        self.covered.push(prefix.into());
    }
    fn covers(&self, key: &str) -> bool {
        self.covered.iter().any(|p| key.starts_with(p.as_str()))
    }
    fn fail(&mut self, what: impl Into<String>, err: &AppError) {
        let what = what.into();
        tracing::warn!(detector = %what, error = %err, "alert detector failed");
        self.failed.push(what);
    }
}

/// The daily series the anomaly and trend detectors watch.
const SERIES: [(&str, &str, &str); 4] = [
    ("requests", "demandes", "requests"),
    ("completed", "demandes terminées", "completed requests"),
    ("revenue", "chiffre d'affaires", "revenue"),
    ("newUsers", "nouveaux utilisateurs", "new users"),
];

fn series_value(p: &TrendPoint, name: &str) -> f64 {
    match name {
        "requests" => p.requests as f64,
        "completed" => p.completed as f64,
        "revenue" => p.revenue.to_f64().unwrap_or(0.0),
        _ => p.new_users as f64,
    }
}

fn fmt(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

impl Alerts {
    /// Runs every detector at `now` and brings the alerts table in line.
    pub async fn evaluate(&self, now: DateTime<Utc>) -> AppResult<Report> {
        let started = std::time::Instant::now();
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        let mut findings = Findings::default();
        self.rules_findings(now, &mut findings).await?;
        self.daily_findings(now, &mut findings).await;
        self.security_findings(now, &mut findings).await;
        self.performance_findings(&mut findings);
        let mut report = self.reconcile(now, &findings).await?;
        report.failed = findings.failed;
        report.ms = started.elapsed().as_millis();
        crate::telemetry::TELEMETRY.group_time("alerts", started.elapsed().as_secs_f64());
        Ok(report)
    }

    async fn rules_findings(&self, now: DateTime<Utc>, out: &mut Findings) -> AppResult<()> {
        let rules = self.rules().await?;
        out.cover("rule:");
        let live = if rules
            .iter()
            .any(|r| r.row.enabled && catalog::is_realtime(&r.row.metric))
        {
            match self.engine.realtime(now).await {
                Ok(live) => Some(live),
                Err(err) => {
                    out.fail("realtime rules", &err);
                    None
                }
            }
        } else {
            None
        };
        // rules over the same window share one recomputation of the groups they read
        let mut windows: HashMap<String, (Window, HashSet<Group>)> = HashMap::new();
        for rule in rules.iter().filter(|r| r.row.enabled) {
            if catalog::is_realtime(&rule.row.metric) {
                continue;
            }
            if let Ok(window) = rule.window(now, self.tz) {
                windows
                    .entry(window.key())
                    .or_insert_with(|| (window, HashSet::new()))
                    .1
                    .extend(catalog::groups_of(&rule.row.metric));
            }
        }
        let mut read: HashMap<String, Result<Statistics, AppError>> = HashMap::new();
        for (key, (window, groups)) in windows {
            // recomputed at each evaluation: a sliding window's figure moves with the clock
            // even when no table does (the entries replaced are fresher for every reader)
            let stats = Statistics::refreshed(self.engine.clone(), window, groups, None).await;
            read.insert(key, stats);
        }
        for rule in rules.iter().filter(|r| r.row.enabled) {
            let key = format!("rule:{}", rule.row.id);
            let value = if catalog::is_realtime(&rule.row.metric) {
                match &live {
                    Some(live) => catalog::realtime_value(live, &rule.row.metric).map(Some),
                    None => {
                        out.failed.push(key.clone());
                        continue;
                    }
                }
            } else {
                match rule.window(now, self.tz) {
                    Ok(window) => match read.get(&window.key()) {
                        Some(Ok(stats)) => catalog::scalar_value(stats, &rule.row.metric).await,
                        Some(Err(err)) => Err(err.clone()),
                        None => Err(AppError::Internal),
                    },
                    Err(err) => Err(err),
                }
            };
            match value {
                Ok(Some(value)) if rule.comparator.holds(value, rule.row.threshold) => {
                    out.found.push(rule_finding(rule, value, key))
                }
                // a ratio over nothing has no value: the condition does not hold
                Ok(_) => {}
                Err(err) => out.fail(key, &err),
            }
        }
        Ok(())
    }

    /// Anomalies and trend changes on the complete days before today (reporting zone).
    async fn daily_findings(&self, now: DateTime<Utc>, out: &mut Findings) {
        let s = &self.settings;
        let days = s.anomaly_days.max(14);
        match self.daily_series(now, days + 1).await {
            Ok(points) => {
                out.cover("anomaly:");
                out.cover("trend:");
                for (name, fr, en) in SERIES {
                    let values: Vec<f64> = points.iter().map(|p| series_value(p, name)).collect();
                    let Some((&last, history)) = values.split_last() else {
                        continue;
                    };
                    let day = points.last().map(|p| p.bucket_start).unwrap_or(now);
                    let history = &history[history.len().saturating_sub(days as usize)..];
                    if let Some(a) = detect::anomaly(history, last, s.anomaly_z, 14) {
                        let direction = if a.z > 0.0 { "hausse" } else { "baisse" };
                        out.found.push(Finding {
                            dedup_key: format!("anomaly:{name}"),
                            alert_type: AlertType::AnomalyDetected,
                            severity: Severity::Warning,
                            title: format!("Anomalie : {fr} en {direction} inhabituelle"),
                            message: format!(
                                "{fr} ({en}) le {} : {} contre une médiane de {} sur les {} jours précédents (score z modifié {:.2}, seuil {})",
                                day.format("%Y-%m-%d"),
                                fmt(a.value),
                                fmt(a.median),
                                history.len(),
                                a.z,
                                s.anomaly_z
                            ),
                            metric: Some(format!("trends.daily.{name}")),
                            observed: Some(a.value),
                            threshold: Some(s.anomaly_z),
                            rule_id: None,
                            cooldown: s.cooldown,
                        });
                    }
                    if let Some(t) =
                        detect::trend_change(&values, s.trend_percent, s.trend_min_base)
                    {
                        let direction = if t.change_percent > 0.0 {
                            "hausse"
                        } else {
                            "baisse"
                        };
                        out.found.push(Finding {
                            dedup_key: format!("trend:{name}"),
                            alert_type: AlertType::TrendChange,
                            severity: Severity::Info,
                            title: format!(
                                "Tendance : {fr} en {direction} de {:.1} % sur une semaine",
                                t.change_percent.abs()
                            ),
                            message: format!(
                                "{fr} ({en}) : {} sur les 7 jours jusqu'au {} contre {} la semaine d'avant ({:+.1} %, seuil {} %)",
                                fmt(t.this_week),
                                day.format("%Y-%m-%d"),
                                fmt(t.last_week),
                                t.change_percent,
                                s.trend_percent
                            ),
                            metric: Some(format!("trends.daily.{name}")),
                            observed: Some(t.change_percent),
                            threshold: Some(s.trend_percent),
                            rule_id: None,
                            cooldown: s.cooldown,
                        });
                    }
                }
            }
            Err(err) => out.fail("daily series", &err),
        }
    }

    /// The last `points` complete local days before today, oldest first, read through the
    /// engine at today's local midnight (one entry a day, kept while the tables do not move).
    async fn daily_series(&self, now: DateTime<Utc>, points: u32) -> AppResult<Vec<TrendPoint>> {
        let today = now.with_timezone(&self.tz).date_naive();
        let midnight = today
            .and_hms_opt(0, 0, 0)
            .and_then(|t| self.tz.from_local_datetime(&t).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now)
            .min(now);
        let stats = Statistics::fetch(
            self.engine.clone(),
            Window::all(midnight, self.tz),
            [],
            None,
        )
        .await?;
        // the day of `asOf` (today, empty at its midnight) closes the trend: left out
        let mut trend = stats.trend(Granularity::Daily, points + 1).await?;
        trend.pop();
        Ok(trend)
    }

    async fn security_findings(&self, now: DateTime<Utc>, out: &mut Findings) {
        let s = &self.settings;
        let mut window = Window::all(now, self.tz);
        window.live = true;
        let group = Group::FailureBursts {
            minutes: s.burst_minutes,
            min_failures: s.burst_min_failures,
            days: s.burst_days,
        };
        let hourly = Group::FailuresByHour { hours: 7 * 24 + 1 };
        // recomputed at each evaluation: a burst leaves the days read, an hour slides, with
        // no write to the table
        let stats =
            match Statistics::refreshed(self.engine.clone(), window, [group, hourly], None).await {
                Ok(stats) => stats,
                Err(err) => return out.fail("security", &err),
            };
        match stats.figures::<Vec<FailureBurst>>(group).await {
            Ok(bursts) => {
                out.cover("security:bruteforce:");
                for b in bursts {
                    out.found.push(Finding {
                        dedup_key: format!("security:bruteforce:{}", b.ip_address),
                        alert_type: AlertType::SecurityAlert,
                        severity: Severity::Critical,
                        title: format!("Force brute depuis {}", b.ip_address),
                        message: format!(
                            "{} échecs de connexion depuis {} en {} minutes à partir de {} (dernier échec {}) ; seuil : {} en {} minutes sur les {} derniers jours",
                            b.failures,
                            b.ip_address,
                            s.burst_minutes,
                            b.burst_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                            b.last_failure.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                            s.burst_min_failures,
                            s.burst_minutes,
                            s.burst_days
                        ),
                        metric: Some("security.failedLogins".into()),
                        observed: Some(b.failures as f64),
                        threshold: Some(f64::from(s.burst_min_failures)),
                        rule_id: None,
                        cooldown: s.cooldown,
                    });
                }
            }
            Err(err) => out.fail("brute force", &err),
        }
        match stats.figures::<Vec<i64>>(hourly).await {
            Ok(hours) => {
                out.cover("security:spike");
                if let Some(spike) =
                    detect::spike(&hours, s.spike_factor, i64::from(s.spike_min_failures))
                {
                    out.found.push(Finding {
                        dedup_key: "security:spike".into(),
                        alert_type: AlertType::SecurityAlert,
                        severity: Severity::Critical,
                        title: "Pic de connexions échouées".into(),
                        message: format!(
                            "{} échecs de connexion dans la dernière heure contre une médiane de {} par heure sur les 7 jours précédents (seuil : plus de {} fois cette médiane et au moins {})",
                            spike.last_hour,
                            fmt(spike.median_hour),
                            s.spike_factor,
                            s.spike_min_failures
                        ),
                        metric: Some("realtime.last24h.failedLogins".into()),
                        observed: Some(spike.last_hour as f64),
                        threshold: Some((s.spike_factor * spike.median_hour).max(f64::from(s.spike_min_failures))),
                        rule_id: None,
                        cooldown: s.cooldown,
                    });
                }
            }
            Err(err) => out.fail("failed-login spike", &err),
        }
    }

    /// Groups whose computation took longer than the budget since the last evaluation.
    fn performance_findings(&self, out: &mut Findings) {
        let budget = self.settings.performance_budget.as_secs_f64();
        out.cover("performance:");
        for (group, seconds) in self.engine.take_slowest() {
            if seconds > budget {
                out.found.push(Finding {
                    dedup_key: format!("performance:{group}"),
                    alert_type: AlertType::PerformanceIssue,
                    severity: Severity::Warning,
                    title: format!("Calcul lent : {group}"),
                    message: format!(
                        "le calcul des statistiques `{group}` a pris {seconds:.2} s (budget {budget} s)"
                    ),
                    metric: None,
                    observed: Some(seconds),
                    threshold: Some(budget),
                    rule_id: None,
                    cooldown: self.settings.cooldown,
                });
            }
        }
    }

    /// Brings the table in line with the findings.
    async fn reconcile(&self, now: DateTime<Utc>, findings: &Findings) -> AppResult<Report> {
        use statistics_alerts::Column;
        let mut report = Report {
            findings: findings.found.len(),
            ..Report::default()
        };
        let active: HashMap<String, statistics_alerts::Model> = statistics_alerts::Entity::find()
            .filter(Column::IsActive.eq(true))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| (a.dedup_key.clone(), a))
            .collect();
        let failed: HashSet<&str> = findings.failed.iter().map(String::as_str).collect();
        let found: HashSet<&str> = findings
            .found
            .iter()
            .map(|f| f.dedup_key.as_str())
            .collect();
        let mut raised = Vec::new();
        for f in &findings.found {
            if let Some(current) = active.get(&f.dedup_key) {
                let mut row: statistics_alerts::ActiveModel = current.clone().into();
                row.observed_value = Set(f.observed);
                row.message = Set(f.message.clone());
                row.updated_at = Set(Some(now));
                row.update(&self.db).await?;
                report.updated += 1;
                continue;
            }
            let last: Option<DateTime<Utc>> = statistics_alerts::Entity::find()
                .select_only()
                .column(Column::TriggeredAt)
                .filter(Column::DedupKey.eq(f.dedup_key.clone()))
                .order_by_desc(Column::TriggeredAt)
                .limit(1)
                .into_tuple()
                .one(&self.db)
                .await?;
            if last.is_some_and(|t| now < t + f.cooldown) {
                report.cooled += 1;
                continue;
            }
            let row = statistics_alerts::ActiveModel {
                alert_type: Set(f.alert_type.as_str().into()),
                title: Set(f.title.chars().take(200).collect()),
                message: Set(f.message.clone()),
                severity: Set(f.severity.as_str().into()),
                metric: Set(f.metric.clone()),
                observed_value: Set(f.observed),
                threshold: Set(f.threshold),
                dedup_key: Set(f.dedup_key.chars().take(200).collect()),
                rule_id: Set(f.rule_id),
                is_active: Set(true),
                triggered_at: Set(now),
                created_at: Set(now),
                ..Default::default()
            };
            // another evaluator raising the same key first wins (the unique index)
            match row.insert(&self.db).await {
                Ok(row) => {
                    report.raised.push(row.id);
                    raised.push(Arc::new(alert_of(row, &HashMap::new())));
                }
                Err(err) if is_unique_violation(&err) => {}
                Err(err) => return Err(err.into()),
            }
        }
        for (key, alert) in &active {
            if found.contains(key.as_str())
                || !findings.covers(key)
                || failed.contains(key.as_str())
            {
                continue;
            }
            let done = statistics_alerts::Entity::update_many()
                .col_expr(Column::IsActive, sea_orm::sea_query::Expr::value(false))
                .col_expr(Column::ResolvedAt, sea_orm::sea_query::Expr::value(now))
                .filter(Column::Id.eq(alert.id))
                .filter(Column::IsActive.eq(true))
                .exec(&self.db)
                .await?;
            report.resolved += done.rows_affected as usize;
        }
        if !raised.is_empty() {
            self.stored.notify_one();
            for alert in raised {
                self.notify_outside(alert);
            }
        }
        Ok(report)
    }

    fn notify_outside(&self, alert: Arc<Alert>) {
        if let Some(webhook) = &self.webhook
            && alert.severity >= self.settings.webhook_min_severity
        {
            webhook.send(alert);
        }
    }
}

fn rule_finding(rule: &Rule, value: f64, key: String) -> Finding {
    let row = &rule.row;
    let mut scope = rule
        .filter
        .period
        .clone()
        .unwrap_or_else(|| "ALL".to_string());
    if let Some(city) = &rule.filter.city {
        scope.push_str(&format!(", ville {city}"));
    }
    if let Some(specialty) = &rule.filter.specialty {
        scope.push_str(&format!(", spécialité {specialty}"));
    }
    Finding {
        dedup_key: key,
        alert_type: AlertType::ThresholdExceeded,
        severity: rule.severity,
        title: format!("Seuil franchi : {}", row.name),
        message: format!(
            "{} = {} ({scope}) ; règle : {} {} {}",
            row.metric,
            fmt(value),
            row.metric,
            rule.comparator.symbol(),
            fmt(row.threshold)
        ),
        metric: Some(row.metric.clone()),
        observed: Some(value),
        threshold: Some(row.threshold),
        rule_id: Some(row.id),
        cooldown: Duration::minutes(i64::from(row.cooldown_minutes)),
    }
}

/// Whether an insert failed on a unique index.
fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
