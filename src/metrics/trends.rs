//! Calendar trends: requests, completions, revenue and new users per day, ISO week or
//! month of the reporting time zone, zero-filled, oldest first.
//!
//! Bucket boundaries are computed here with the zone's rules (daylight saving, offsets
//! that are not whole hours), then each table is read in one statement that joins its rows
//! to the list of buckets by range: the same SQL on both engines and exact in any zone.

use super::{Scope, money};
use crate::db::{Sql, cents_sum, unindexed};
use crate::window::{WeekStart, Window};
use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

/// Most points a trend may have.
pub const MAX_POINTS: i32 = 366;

/// Calendar unit of a trend.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Enum, Serialize, Deserialize,
)]
pub enum Granularity {
    /// Local days.
    Daily,
    /// Weeks, starting on the filter's `weekStart` (Monday by default: ISO weeks).
    Weekly,
    /// Calendar months.
    Monthly,
}

impl Granularity {
    /// Points when none are asked for: 7 days, 12 weeks, 12 months.
    pub fn default_points(self) -> i32 {
        match self {
            Granularity::Daily => 7,
            Granularity::Weekly | Granularity::Monthly => 12,
        }
    }
}

/// One bucket of a trend.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct TrendPoint {
    /// The bucket's first instant (local midnight), in UTC.
    pub bucket_start: DateTime<Utc>,
    /// Requests created in the bucket.
    pub requests: i64,
    /// Requests completed (status `completed`) in the bucket.
    pub completed: i64,
    /// Sum of completed payments created in the bucket.
    pub revenue: Decimal,
    /// Users created in the bucket.
    pub new_users: i64,
}

/// The three default trends.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct Trends {
    /// The last 7 local days.
    pub daily: Vec<TrendPoint>,
    /// The last 12 weeks (starting on the filter's `weekStart`, Monday by default).
    pub weekly: Vec<TrendPoint>,
    /// The last 12 months.
    pub monthly: Vec<TrendPoint>,
}

/// The first instant of a local date: midnight, or the first existing time after a gap.
pub fn day_start(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let mut naive = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    for _ in 0..=96 {
        if let Some(t) = tz.from_local_datetime(&naive).earliest() {
            return t.with_timezone(&Utc);
        }
        naive += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// The `[start, end)` bounds of the `points` buckets ending with the one holding `as_of`;
/// the last ends at `as_of`.
pub fn buckets(
    g: Granularity,
    points: u32,
    as_of: DateTime<Utc>,
    tz: Tz,
    week_start: WeekStart,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let today = as_of.with_timezone(&tz).date_naive();
    let first_of_last = match g {
        Granularity::Daily => today,
        Granularity::Weekly => {
            today - Days::new(today.weekday().days_since(week_start.weekday()).into())
        }
        Granularity::Monthly => today.with_day(1).expect("day 1 exists"),
    };
    let step = |d: NaiveDate, n: u32| -> NaiveDate {
        match g {
            Granularity::Daily => d - Days::new(n.into()),
            Granularity::Weekly => d - Days::new(7 * u64::from(n)),
            Granularity::Monthly => d - Months::new(n),
        }
    };
    let next = |d: NaiveDate| -> NaiveDate {
        match g {
            Granularity::Daily => d + Days::new(1),
            Granularity::Weekly => d + Days::new(7),
            Granularity::Monthly => d + Months::new(1),
        }
    };
    (0..points)
        .rev()
        .map(|back| {
            let first = step(first_of_last, back);
            let start = day_start(tz, first);
            let end = day_start(tz, next(first)).min(as_of);
            (start, end.max(start))
        })
        .collect()
}

/// Computes one trend of `points` buckets.
pub async fn compute(
    db: &impl ConnectionTrait,
    window: &Window,
    g: Granularity,
    points: u32,
) -> Result<Vec<TrendPoint>, DbErr> {
    let bounds = buckets(g, points, window.as_of, window.tz, window.week_start);
    let counts = counts(db, window, &bounds).await?;
    Ok(trend_points(&bounds, &counts))
}

/// The points of buckets from their counts `[requests, completed, revenue cents, new users]`.
pub fn trend_points(
    bounds: &[(DateTime<Utc>, DateTime<Utc>)],
    counts: &[[i64; 4]],
) -> Vec<TrendPoint> {
    bounds
        .iter()
        .zip(counts)
        .map(|((start, _), c)| point(*start, *c))
        .collect()
}

/// The buckets of the three default trends and the local days they are made of.
#[derive(Clone, Debug)]
pub struct DayPlan {
    /// The last 7 days.
    pub daily: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The last 12 weeks.
    pub weekly: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The last 12 months.
    pub monthly: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Every local day from the first bucket's to `as_of`'s (the last ends at `as_of`).
    pub days: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// The default trends' buckets under `window`.
pub fn day_plan(window: &Window) -> DayPlan {
    let (as_of, tz, week) = (window.as_of, window.tz, window.week_start);
    let daily = buckets(Granularity::Daily, 7, as_of, tz, week);
    let weekly = buckets(Granularity::Weekly, 12, as_of, tz, week);
    let monthly = buckets(Granularity::Monthly, 12, as_of, tz, week);
    let first = [&daily, &weekly, &monthly]
        .iter()
        .map(|b| b[0].0)
        .min()
        .expect("three trends");
    let today = as_of.with_timezone(&tz).date_naive();
    let n = (today - first.with_timezone(&tz).date_naive()).num_days() + 1;
    let days = buckets(Granularity::Daily, n as u32, as_of, tz, week);
    DayPlan {
        daily,
        weekly,
        monthly,
        days,
    }
}

/// The three default trends from the counts of the plan's days: weeks and months are whole
/// local days.
pub fn from_days(plan: &DayPlan, day_counts: &[[i64; 4]]) -> Trends {
    let roll_up = |bounds: &[(DateTime<Utc>, DateTime<Utc>)]| -> Vec<TrendPoint> {
        bounds
            .iter()
            .map(|(start, end)| {
                let mut sum = [0i64; 4];
                for ((day_start, _), c) in plan.days.iter().zip(day_counts) {
                    if day_start >= start && day_start < end {
                        for (s, v) in sum.iter_mut().zip(c) {
                            *s += v;
                        }
                    }
                }
                point(*start, sum)
            })
            .collect()
    };
    Trends {
        daily: roll_up(&plan.daily),
        weekly: roll_up(&plan.weekly),
        monthly: roll_up(&plan.monthly),
    }
}

/// Computes the three default trends from one set of local-day counts, so each table is
/// read once over the longest range (12 months) instead of once per trend.
pub async fn compute_all(db: &impl ConnectionTrait, window: &Window) -> Result<Trends, DbErr> {
    let plan = day_plan(window);
    let day_counts = counts(db, window, &plan.days).await?;
    Ok(from_days(&plan, &day_counts))
}

fn point(
    bucket_start: DateTime<Utc>,
    [requests, completed, revenue, new_users]: [i64; 4],
) -> TrendPoint {
    TrendPoint {
        bucket_start,
        requests,
        completed,
        revenue: money(revenue),
        new_users,
    }
}

/// `WITH b(idx, s, e) AS (VALUES ...)` for the bucket bounds.
fn bucket_cte(s: &mut Scope<'_>, bounds: &[(DateTime<Utc>, DateTime<Utc>)]) -> String {
    let rows: Vec<String> = bounds
        .iter()
        .enumerate()
        .map(|(i, (start, end))| {
            let a = s.sql.instant(*start);
            let b = s.sql.instant(*end);
            format!("({i}, {a}, {b})")
        })
        .collect();
    format!("WITH b(idx, s, e) AS (VALUES {})", rows.join(", "))
}

/// Per bucket: requests created, requests completed, completed revenue in cents, users
/// created. One statement per table, run concurrently; in each, every bucket is a range
/// count (or sum) over the table's covering index, so no engine sorts rows. Every bucket
/// ends at or before `as_of`, so "created in the bucket" already means "exists at `as_of`".
async fn counts(
    db: &impl ConnectionTrait,
    window: &Window,
    bounds: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Result<Vec<[i64; 4]>, DbErr> {
    let backend = db.get_database_backend();
    let per_bucket = |make: &dyn Fn(&mut Scope<'_>) -> String| {
        let mut s = Scope::new(backend, window);
        let cte = bucket_cte(&mut s, bounds);
        let value = make(&mut s);
        s.sql.push(&format!(
            "{cte} SELECT b.idx AS idx, ({value}) AS value FROM b ORDER BY b.idx"
        ));
        s.sql
    };
    let requests = per_bucket(&|s| {
        let slice = s.slice("r");
        format!(
            "SELECT COUNT(*) FROM repair_requests r WHERE r.created_at >= b.s AND r.created_at < b.e{slice}"
        )
    });
    let completed = per_bucket(&|s| {
        // completed_at < b.e <= as_of: completed at as_of when the status says so
        let exists = s.exists("r.created_at");
        let slice = s.slice("r");
        let status = unindexed(backend, "r.status");
        format!(
            "SELECT COUNT(*) FROM repair_requests r WHERE r.completed_at >= b.s AND r.completed_at < b.e \
             AND {status} = 'completed' AND {exists}{slice}"
        )
    });
    let revenue = per_bucket(&|s| {
        let a = s.sql.instant(window.as_of);
        let (join, slice) = s.request_slice("p");
        let status = unindexed(backend, "p.status");
        let cents = cents_sum(backend, "p.amount");
        format!(
            "SELECT {cents} FROM payments p{join} WHERE p.created_at >= b.s AND p.created_at < b.e \
             AND {status} = 'completed' AND (p.completed_at IS NULL OR p.completed_at < {a}){slice}"
        )
    });
    let users = per_bucket(&|_| {
        "SELECT COUNT(*) FROM users u WHERE u.created_at >= b.s AND u.created_at < b.e".to_string()
    });
    #[derive(FromQueryResult)]
    struct BucketRow {
        idx: i32,
        value: i64,
    }
    let read = |sql: Sql| async move {
        let mut out = vec![0i64; bounds.len()];
        for row in sql.rows::<BucketRow>(db).await? {
            if let Some(slot) = out.get_mut(row.idx as usize) {
                *slot = row.value;
            }
        }
        Ok::<_, DbErr>(out)
    };
    let (requests, completed, revenue, users) =
        tokio::try_join!(read(requests), read(completed), read(revenue), read(users))?;
    Ok((0..bounds.len())
        .map(|i| [requests[i], completed[i], revenue[i], users[i]])
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn new_york_days_follow_daylight_saving() {
        // 2026-03-08 is the spring-forward day in New York: 23 hours long.
        let as_of = utc("2026-03-09T12:00:00Z");
        let b = buckets(
            Granularity::Daily,
            3,
            as_of,
            chrono_tz::America::New_York,
            WeekStart::Monday,
        );
        assert_eq!(b[0].0, utc("2026-03-07T05:00:00Z")); // EST midnight
        assert_eq!(b[1].0, utc("2026-03-08T05:00:00Z"));
        assert_eq!(b[2].0, utc("2026-03-09T04:00:00Z")); // EDT midnight
        assert_eq!(b[1].1 - b[1].0, Duration::hours(23));
        assert_eq!(b[2].1, as_of);
    }

    #[test]
    fn kathmandu_days_start_at_quarter_hour_offsets() {
        // Nepal is UTC+05:45: local midnight is 18:15 UTC the day before.
        let as_of = utc("2026-06-15T12:00:00Z");
        let b = buckets(
            Granularity::Daily,
            2,
            as_of,
            chrono_tz::Asia::Kathmandu,
            WeekStart::Monday,
        );
        assert_eq!(b[0].0, utc("2026-06-13T18:15:00Z"));
        assert_eq!(b[1].0, utc("2026-06-14T18:15:00Z"));
    }

    #[test]
    fn weeks_start_on_the_day_asked() {
        // Wednesday 17 June 2026: its Sunday week began on the 14th, its Saturday week on
        // the 13th; a Sunday is the first day of its own Sunday week
        let wednesday = utc("2026-06-17T12:00:00Z");
        let sunday = buckets(
            Granularity::Weekly,
            2,
            wednesday,
            Tz::UTC,
            WeekStart::Sunday,
        );
        assert_eq!(sunday[0].0, utc("2026-06-07T00:00:00Z"));
        assert_eq!(sunday[1], (utc("2026-06-14T00:00:00Z"), wednesday));
        let saturday = buckets(
            Granularity::Weekly,
            1,
            wednesday,
            Tz::UTC,
            WeekStart::Saturday,
        );
        assert_eq!(saturday[0].0, utc("2026-06-13T00:00:00Z"));
        let on_sunday = buckets(
            Granularity::Weekly,
            1,
            utc("2026-06-14T05:00:00Z"),
            Tz::UTC,
            WeekStart::Sunday,
        );
        assert_eq!(on_sunday[0].0, utc("2026-06-14T00:00:00Z"));
        // in New York, 03:00 UTC on Sunday the 14th is still Saturday the 13th (EDT, -4):
        // its Sunday week began on the 7th at local midnight, 04:00 UTC
        let ny = buckets(
            Granularity::Weekly,
            1,
            utc("2026-06-14T03:00:00Z"),
            chrono_tz::America::New_York,
            WeekStart::Sunday,
        );
        assert_eq!(ny[0].0, utc("2026-06-07T04:00:00Z"));
    }

    #[test]
    fn weeks_start_monday_and_months_on_the_first() {
        let as_of = utc("2026-06-17T12:00:00Z"); // a Wednesday
        let w = buckets(Granularity::Weekly, 2, as_of, Tz::UTC, WeekStart::Monday);
        assert_eq!(w[0].0, utc("2026-06-08T00:00:00Z"));
        assert_eq!(w[1].0, utc("2026-06-15T00:00:00Z"));
        let m = buckets(Granularity::Monthly, 13, as_of, Tz::UTC, WeekStart::Monday);
        assert_eq!(m[0].0, utc("2025-06-01T00:00:00Z"));
        assert_eq!(m[12].0, utc("2026-06-01T00:00:00Z"));
        assert_eq!(m[11].1, utc("2026-06-01T00:00:00Z"));
    }
}
