//! The audit: every figure the rollups serve, computed both ways (rollups and raw rows)
//! for a set of windows, slices and zones, and every difference listed. Counts and money
//! must be equal; floats (rates, means) equal to 1e-9 relative (the raw path sums
//! seconds as floats, the rollups as exact decimals).

use super::{RollupSettings, Rollups, Source};
use crate::metrics::trends::Granularity;
use crate::stats::groups::Group;
use crate::window::{Period, Window, WindowInput};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde_json::Value;

/// One figure that differs.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// The group.
    pub group: String,
    /// The window's key.
    pub window: String,
    /// The path in the figures (`total`, `byCity[2].completed`).
    pub path: String,
    /// From the raw rows.
    pub raw: String,
    /// From the rollups.
    pub rollups: String,
}

/// What an audit compared.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// Group computations compared.
    pub compared: usize,
    /// Group computations the rollups declined (served raw).
    pub declined: usize,
    /// Figures compared.
    pub figures: usize,
    /// Every difference.
    pub differences: Vec<Difference>,
}

/// The groups the rollups serve.
pub const GROUPS: [Group; 10] = [
    Group::Users,
    Group::Requests,
    Group::Financial,
    Group::Satisfaction,
    Group::Security,
    Group::SuspiciousIps { limit: 40 },
    Group::Technicians,
    Group::TopTechnicians {
        limit: 25,
        min_reviews: 1,
    },
    Group::Trends,
    Group::Trend {
        granularity: Granularity::Weekly,
        points: 20,
    },
];

/// The audit's windows at `now`: every preset, custom windows (an open start, an old
/// start, a few hours, days ending before now), each unsliced, by a city, by a specialty
/// and by both, in `zone` and `other`.
pub fn windows(
    now: DateTime<Utc>,
    zone: Tz,
    other: Tz,
    city: &str,
    specialty: &str,
) -> Vec<Window> {
    let presets = [
        Period::Last24h,
        Period::Last7d,
        Period::Last30d,
        Period::All,
    ];
    let ranges = [
        (None, Some(now - Duration::days(3) - Duration::minutes(7))),
        (
            Some(now - Duration::days(90) - Duration::minutes(13)),
            Some(now - Duration::days(40) + Duration::minutes(29)),
        ),
        (Some(now - Duration::hours(5) - Duration::minutes(3)), None),
        (
            Some(now - Duration::days(12) - Duration::seconds(1)),
            Some(now - Duration::days(2) + Duration::minutes(44)),
        ),
    ];
    let slices = [
        (None, None),
        (Some(city.to_string()), None),
        (None, Some(specialty.to_string())),
        (Some(city.to_string()), Some(specialty.to_string())),
    ];
    let mut out = Vec::new();
    for tz in [zone, other] {
        for (c, s) in &slices {
            let base = WindowInput {
                city: c.clone(),
                specialty: s.clone(),
                time_zone: Some(tz.name().to_string()),
                ..Default::default()
            };
            for p in presets {
                let input = WindowInput {
                    period: Some(p),
                    ..base.clone()
                };
                out.extend(Window::from_input(input, now, zone).ok());
            }
            for (from, to) in ranges {
                let input = WindowInput {
                    from,
                    to,
                    ..base.clone()
                };
                out.extend(Window::from_input(input, now, zone).ok());
            }
        }
    }
    out
}

/// Compares `a` (raw) and `b` (rollups), recording each difference under `path`.
fn compare(path: &str, a: &Value, b: &Value, out: &mut Vec<(String, String, String)>) -> usize {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut n = 0;
            for (k, v) in x {
                n += compare(
                    &format!("{path}.{k}"),
                    v,
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
            n
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push((
                    format!("{path}.length"),
                    x.len().to_string(),
                    y.len().to_string(),
                ));
                return 1;
            }
            x.iter()
                .zip(y)
                .enumerate()
                .map(|(i, (v, w))| compare(&format!("{path}[{i}]"), v, w, out))
                .sum()
        }
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            if (x - y).abs() > 1e-9 * x.abs().max(y.abs()).max(1.0) {
                out.push((path.to_string(), x.to_string(), y.to_string()));
            }
            1
        }
        _ => {
            if a != b {
                out.push((path.to_string(), a.to_string(), b.to_string()));
            }
            1
        }
    }
}

/// A city and a specialty that exist (the first request's), for sliced windows.
pub async fn some_slice(db: &impl ConnectionTrait) -> Result<(String, String), DbErr> {
    #[derive(FromQueryResult)]
    struct Slice {
        city: String,
        specialty: String,
    }
    let row = Slice::find_by_statement(sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT city, specialty FROM repair_requests ORDER BY id LIMIT 1",
    ))
    .one(db)
    .await?;
    Ok(row.map_or(("Bamako".into(), "plumbing".into()), |r| {
        (r.city, r.specialty)
    }))
}

/// Compares every group of `GROUPS` under every window, raw against rollups.
pub async fn audit(
    db: &sea_orm::DatabaseConnection,
    settings: RollupSettings,
    windows: &[Window],
) -> Result<Report, DbErr> {
    let rollups = Rollups::new(RollupSettings {
        enabled: true,
        ..settings
    });
    let mut report = Report::default();
    for window in windows {
        for group in GROUPS {
            let Some((figures, source)) = rollups.compute(db, group, window).await? else {
                report.declined += 1;
                continue;
            };
            debug_assert_ne!(source, Source::Raw);
            let raw = group.compute(db, window).await?;
            let (a, b) = (
                serde_json::to_value(&raw).unwrap_or(Value::Null),
                serde_json::to_value(&figures).unwrap_or(Value::Null),
            );
            let mut found = Vec::new();
            report.figures += compare("", &a, &b, &mut found);
            report.compared += 1;
            report
                .differences
                .extend(found.into_iter().map(|(path, raw, rollups)| Difference {
                    group: group.label(),
                    window: window.key(),
                    path,
                    raw,
                    rollups,
                }));
        }
    }
    Ok(report)
}
