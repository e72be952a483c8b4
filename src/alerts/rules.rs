//! Threshold rules: a numeric metric path of the catalog, a comparator, a bound, a severity,
//! a filter (period, city, specialty; a rule always reads the present) and a cooldown.
//! Admins create, change and delete them; the gateway's own rules (`system`) have no author.

use super::{Alerts, Severity};
use crate::catalog;
use crate::entity::statistics_alert_rules as rules;
use crate::error::{AppError, AppResult};
use crate::window::{Period, WeekStart, Window, WindowInput};
use async_graphql::{Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};

/// How a rule compares the figure with its bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum, Serialize, Deserialize)]
pub enum Comparator {
    /// Above.
    Gt,
    /// At or above.
    Gte,
    /// Below.
    Lt,
    /// At or below.
    Lte,
}

impl Comparator {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Gt => "gt",
            Comparator::Gte => "gte",
            Comparator::Lt => "lt",
            Comparator::Lte => "lte",
        }
    }

    /// Parses a stored value.
    pub fn parse(text: &str) -> Option<Comparator> {
        [
            Comparator::Gt,
            Comparator::Gte,
            Comparator::Lt,
            Comparator::Lte,
        ]
        .into_iter()
        .find(|c| c.as_str() == text)
    }

    /// Whether `value` compared with `bound` holds.
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Comparator::Gt => value > bound,
            Comparator::Gte => value >= bound,
            Comparator::Lt => value < bound,
            Comparator::Lte => value <= bound,
        }
    }

    /// The sign, for messages.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Gt => ">",
            Comparator::Gte => ">=",
            Comparator::Lt => "<",
            Comparator::Lte => "<=",
        }
    }
}

/// A rule, as GraphQL shows it.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct AlertRule {
    /// Id.
    pub id: ID,
    /// Name.
    pub name: String,
    /// A numeric path of `metricCatalog`.
    pub metric_path: String,
    /// How the figure is compared with the bound.
    pub comparator: Comparator,
    /// The bound.
    pub threshold: f64,
    /// Severity of its alerts.
    pub severity: Severity,
    /// The window the figure is read over, ending now.
    pub period: Period,
    /// City slice.
    pub city: Option<String>,
    /// Specialty slice.
    pub specialty: Option<String>,
    /// The reporting zone it reads in (null: the gateway's).
    pub time_zone: Option<String>,
    /// The first day of its weeks.
    pub week_start: WeekStart,
    /// Least minutes between two alerts of the rule.
    pub cooldown_minutes: i32,
    /// Evaluated.
    pub enabled: bool,
    /// Created by the gateway (no author).
    pub system: bool,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A rule as an admin writes it.
#[derive(Clone, Debug, InputObject)]
pub struct AlertRuleInput {
    /// Name (1 to 200 characters).
    pub name: String,
    /// A numeric path of `metricCatalog` (`financial.totalRevenue`, `realtime.openRequests`).
    pub metric_path: String,
    /// How the figure is compared with the bound.
    pub comparator: Comparator,
    /// The bound (a finite number).
    pub threshold: f64,
    /// Severity of its alerts.
    pub severity: Severity,
    /// The window the figure is read over, ending now (ignored by `realtime.*` paths).
    #[graphql(default_with = "Period::Last24h")]
    pub period: Period,
    /// City slice.
    pub city: Option<String>,
    /// Specialty slice.
    pub specialty: Option<String>,
    /// The reporting zone (an IANA name); default the gateway's.
    pub time_zone: Option<String>,
    /// The first day of a week; default MONDAY.
    pub week_start: Option<WeekStart>,
    /// Least minutes between two alerts of the rule (0 to 10080).
    #[graphql(default = 60)]
    pub cooldown_minutes: i32,
    /// Evaluated.
    #[graphql(default = true)]
    pub enabled: bool,
}

/// A rule's filter as stored in `filter`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleFilter {
    /// `LAST_24H`, `LAST_7D`, `LAST_30D` or `ALL`.
    #[serde(default)]
    pub period: Option<String>,
    /// City slice.
    #[serde(default)]
    pub city: Option<String>,
    /// Specialty slice.
    #[serde(default)]
    pub specialty: Option<String>,
    /// Reporting zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// First day of a week.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_start: Option<WeekStart>,
}

/// The GraphQL name of a period.
pub fn period_name(p: Period) -> &'static str {
    match p {
        Period::Last24h => "LAST_24H",
        Period::Last7d => "LAST_7D",
        Period::Last30d => "LAST_30D",
        Period::All => "ALL",
    }
}

fn parse_period(text: Option<&str>) -> Period {
    match text {
        Some("LAST_24H") => Period::Last24h,
        Some("LAST_7D") => Period::Last7d,
        Some("LAST_30D") => Period::Last30d,
        _ => Period::All,
    }
}

/// A stored rule, read for evaluation.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The row.
    pub row: rules::Model,
    /// Its comparator.
    pub comparator: Comparator,
    /// Its severity.
    pub severity: Severity,
    /// Its filter.
    pub filter: RuleFilter,
}

impl Rule {
    /// Reads a row; `None` when it holds values no version of the gateway writes.
    pub fn of(row: rules::Model) -> Option<Rule> {
        let comparator = Comparator::parse(&row.comparator)?;
        let severity = Severity::parse(&row.severity)?;
        let filter = serde_json::from_value(row.filter.clone()).ok()?;
        Some(Rule {
            row,
            comparator,
            severity,
            filter,
        })
    }

    /// The window the rule reads at `now`: its period ending now, its slices.
    pub fn window(&self, now: DateTime<Utc>, tz: chrono_tz::Tz) -> AppResult<Window> {
        Window::from_input(
            WindowInput {
                period: Some(parse_period(self.filter.period.as_deref())),
                city: self.filter.city.clone(),
                specialty: self.filter.specialty.clone(),
                time_zone: self.filter.time_zone.clone(),
                week_start: self.filter.week_start,
                ..WindowInput::default()
            },
            now,
            tz,
        )
    }

    /// As GraphQL shows it.
    pub fn shown(&self) -> AlertRule {
        AlertRule {
            id: self.row.id.into(),
            name: self.row.name.clone(),
            metric_path: self.row.metric.clone(),
            comparator: self.comparator,
            threshold: self.row.threshold,
            severity: self.severity,
            period: parse_period(self.filter.period.as_deref()),
            city: self.filter.city.clone(),
            specialty: self.filter.specialty.clone(),
            time_zone: self.filter.time_zone.clone(),
            week_start: self.filter.week_start.unwrap_or_default(),
            cooldown_minutes: self.row.cooldown_minutes,
            enabled: self.row.enabled,
            system: self.row.created_by.is_none(),
            created_at: self.row.created_at,
            updated_at: self.row.updated_at,
        }
    }
}

/// Checks an input: BAD_USER_INPUT naming the field at fault.
fn validate(input: &AlertRuleInput, tz: chrono_tz::Tz) -> AppResult<RuleFilter> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AppError::bad_input(
            "`name` must be 1 to 200 characters without control characters",
        ));
    }
    if !catalog::is_scalar(&input.metric_path) {
        return Err(AppError::bad_input(format!(
            "`metricPath` {:?} is not a numeric metric path of metricCatalog",
            input.metric_path.chars().take(200).collect::<String>()
        )));
    }
    if !input.threshold.is_finite() {
        return Err(AppError::bad_input("`threshold` must be a finite number"));
    }
    if !(0..=10_080).contains(&input.cooldown_minutes) {
        return Err(AppError::bad_input(format!(
            "`cooldownMinutes` must be between 0 and 10080 (a week), got {}",
            input.cooldown_minutes
        )));
    }
    // the slices are checked as a filter's are
    Window::from_input(
        WindowInput {
            period: Some(input.period),
            city: input.city.clone(),
            specialty: input.specialty.clone(),
            time_zone: input.time_zone.clone(),
            week_start: input.week_start,
            ..WindowInput::default()
        },
        Utc::now(),
        tz,
    )?;
    Ok(RuleFilter {
        period: Some(period_name(input.period).to_string()),
        city: input.city.clone(),
        specialty: input.specialty.clone(),
        time_zone: input.time_zone.clone(),
        week_start: input.week_start,
    })
}

impl Alerts {
    /// Every rule, oldest first.
    pub async fn rules(&self) -> AppResult<Vec<Rule>> {
        Ok(rules::Entity::find()
            .order_by_asc(rules::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(Rule::of)
            .collect())
    }

    /// Creates a rule written by `by`.
    pub async fn create_rule(&self, input: AlertRuleInput, by: i64) -> AppResult<AlertRule> {
        let filter = validate(&input, self.tz)?;
        let now = Utc::now();
        let row = rules::ActiveModel {
            name: Set(input.name.trim().to_string()),
            metric: Set(input.metric_path),
            comparator: Set(input.comparator.as_str().into()),
            threshold: Set(input.threshold),
            severity: Set(input.severity.as_str().into()),
            filter: Set(serde_json::to_value(&filter).map_err(|_| AppError::Internal)?),
            enabled: Set(input.enabled),
            cooldown_minutes: Set(input.cooldown_minutes),
            created_by: Set(Some(by)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Rule::of(row).map(|r| r.shown()).ok_or(AppError::Internal)
    }

    /// Replaces a rule's settings (a system rule stays one).
    pub async fn update_rule(&self, id: i64, input: AlertRuleInput) -> AppResult<AlertRule> {
        let filter = validate(&input, self.tz)?;
        let existing = rules::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(AppError::NotFound("alert rule"))?;
        let mut row: rules::ActiveModel = existing.into();
        row.name = Set(input.name.trim().to_string());
        row.metric = Set(input.metric_path);
        row.comparator = Set(input.comparator.as_str().into());
        row.threshold = Set(input.threshold);
        row.severity = Set(input.severity.as_str().into());
        row.filter = Set(serde_json::to_value(&filter).map_err(|_| AppError::Internal)?);
        row.enabled = Set(input.enabled);
        row.cooldown_minutes = Set(input.cooldown_minutes);
        row.updated_at = Set(Utc::now());
        let row = row.update(&self.db).await?;
        Rule::of(row).map(|r| r.shown()).ok_or(AppError::Internal)
    }

    /// Deletes a rule; its past alerts stay, without their rule.
    pub async fn delete_rule(&self, id: i64) -> AppResult<bool> {
        let done = rules::Entity::delete_by_id(id).exec(&self.db).await?;
        if done.rows_affected == 0 {
            return Err(AppError::NotFound("alert rule"));
        }
        Ok(true)
    }
}
