//! Exact statistics from incremental rollups (PostgreSQL).
//!
//! The platform's writes append signed row images to delta logs (migration 000015); one
//! gateway folds them into rollup tables every second (`apply`); a read sums the cells that
//! tile its window, the log entries not yet folded and raw rows at its edges, in one
//! statement (`read`, `cover`). The figures are the same as the raw path's (METRICS.md),
//! exact to the cent and current to the last committed write; a window the rollups cannot
//! serve exactly (a past `asOf` with later state changes, a stale or rebuilding rollup, a
//! payment method outside the kept columns, another zone's calendar) goes to the raw path,
//! and `meta` says which path answered. `audit` compares both.

pub mod apply;
pub mod audit;
pub mod cover;
pub mod facts;
pub mod read;

use crate::db::Sql;
use crate::metrics::financial::{FinancialStats, PaymentMethodStats};
use crate::metrics::overview::UserCounts;
use crate::metrics::realtime::{Last24h, RealTimeStats};
use crate::metrics::requests::{self, RequestStats};
use crate::metrics::satisfaction::{RatingCount, SatisfactionStats};
use crate::metrics::security::{self, SecurityCounts, SecurityStats, SuspiciousIp};
use crate::metrics::technicians::{self, TechnicianStats};
use crate::metrics::trends::{self, Granularity, TrendPoint, Trends};
use crate::metrics::{mean, money, money_mean, percent, sort_desc_then_key};
use crate::stats::groups::{Figures, Group};
use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use cover::{Cells, Cover, DAY, Layout, cover, day_bucket, day_start};
use facts::Fact;
use read::{Part, Read, Row, Seen};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, FromQueryResult,
    IsolationLevel, TransactionSession, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// Which path computed an entry.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, async_graphql::Enum,
)]
#[graphql(name = "StatsSource")]
pub enum Source {
    /// The platform's rows.
    #[default]
    Raw,
    /// Rollup cells, the log not yet folded and raw edges.
    Rollups,
    /// Counts from rollups, ranked lists from the platform's rows.
    Mixed,
}

/// The rollups' settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RollupSettings {
    /// Whether reads use them (PostgreSQL only).
    pub enabled: bool,
    /// The zone of the day and hour levels (the reporting zone).
    pub zone: Tz,
    /// How long the hour and quarter levels are kept.
    pub fine_retention: Duration,
}

/// The rollup reader of one gateway.
pub struct Rollups {
    settings: RollupSettings,
    state: Mutex<Option<(std::time::Instant, Seen)>>,
}

/// How long a read of the state serves to plan reads (each read checks it again).
const STATE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(FromQueryResult)]
struct StateRow {
    status: String,
    zone: String,
    fine_from: Option<DateTime<Utc>>,
    max_event_at: Option<DateTime<Utc>>,
}

impl Rollups {
    /// A reader with `settings`.
    pub fn new(settings: RollupSettings) -> Self {
        Rollups {
            settings,
            state: Mutex::new(None),
        }
    }

    /// The settings.
    pub fn settings(&self) -> RollupSettings {
        self.settings
    }

    /// The layout to plan a read at `as_of` with, if the rollups may serve it.
    async fn layout(
        &self,
        db: &impl ConnectionTrait,
        as_of: DateTime<Utc>,
    ) -> Result<Option<Layout>, DbErr> {
        if !self.settings.enabled || db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(None);
        }
        let cached = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .filter(|(at, _)| at.elapsed() < STATE_TTL)
            .map(|(_, seen)| seen);
        let seen = match cached {
            Some(seen) => seen,
            None => {
                let row = StateRow::find_by_statement(sea_orm::Statement::from_string(
                    DatabaseBackend::Postgres,
                    "SELECT status, zone, fine_from, max_event_at FROM statistics_rollup_state WHERE id = 1",
                ))
                .one(db)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let seen = Seen {
                    status: row.status,
                    zone: row.zone,
                    fine_from: row.fine_from,
                    max_event_at: row.max_event_at,
                    log_max: None,
                };
                *self
                    .state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some((std::time::Instant::now(), seen.clone()));
                seen
            }
        };
        let Some(fine_from) = seen.fine_from else {
            return Ok(None);
        };
        let layout = Layout {
            zone: self.settings.zone,
            fine_from,
        };
        Ok(seen.allows(&layout, as_of).then_some(layout))
    }

    /// Forgets the state read last (after a rebuild or a fold, in tests).
    pub fn forget_state(&self) {
        *self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The figures of `group` under `window` from the rollups, or `None` when they cannot
    /// serve it exactly (the caller reads the raw path).
    pub async fn compute(
        &self,
        db: &DatabaseConnection,
        group: Group,
        window: &Window,
    ) -> Result<Option<(Figures, Source)>, DbErr> {
        let Some(layout) = self.layout(db, window.as_of).await? else {
            return Ok(None);
        };
        let r = Reader {
            db,
            layout,
            as_of: window.as_of,
        };
        let same_zone = window.tz == layout.zone;
        Ok(match group {
            Group::Users => r
                .users()
                .await?
                .map(|u| (Figures::Users(u), Source::Rollups)),
            Group::Requests => r
                .requests(window)
                .await?
                .map(|f| (Figures::Requests(f), Source::Rollups)),
            Group::Financial => r
                .financial(window)
                .await?
                .map(|f| (Figures::Financial(f), Source::Rollups)),
            Group::Satisfaction => r
                .satisfaction(window)
                .await?
                .map(|f| (Figures::Satisfaction(f), Source::Rollups)),
            Group::Security => match r.security_counts(window).await? {
                Some(counts) => {
                    let limit = security::SUSPICIOUS_LIMIT;
                    let (suspicious, source) = match r.suspicious(window, limit).await? {
                        Some(list) => (list, Source::Rollups),
                        None => (
                            security::suspicious(db, window, limit).await?,
                            Source::Mixed,
                        ),
                    };
                    Some((
                        Figures::Security(SecurityStats { counts, suspicious }),
                        source,
                    ))
                }
                None => None,
            },
            Group::Technicians => r
                .technicians(window, None)
                .await?
                .map(|t| (Figures::Technicians(t), Source::Rollups)),
            Group::TopTechnicians { limit, min_reviews } => r
                .technicians(window, Some((limit as usize, min_reviews.into())))
                .await?
                .map(|t| (Figures::TopTechnicians(t.top), Source::Rollups)),
            Group::SuspiciousIps { limit } => r
                .suspicious(window, limit as usize)
                .await?
                .map(|list| (Figures::SuspiciousIps(list), Source::Rollups)),
            Group::Trends if same_zone => r
                .trends(window)
                .await?
                .map(|t| (Figures::Trends(t), Source::Rollups)),
            Group::Trend {
                granularity,
                points,
            } if same_zone => r
                .trend(window, granularity, points)
                .await?
                .map(|t| (Figures::Trend(t), Source::Rollups)),
            _ => None,
        })
    }

    /// The real-time figures at `as_of` from the rollups (active technicians from their
    /// table), or `None`.
    pub async fn realtime(
        &self,
        db: &impl ConnectionTrait,
        as_of: DateTime<Utc>,
    ) -> Result<Option<RealTimeStats>, DbErr> {
        let Some(layout) = self.layout(db, as_of).await? else {
            return Ok(None);
        };
        let r = Reader { db, layout, as_of };
        r.realtime().await
    }
}

/// The top list from the per-technician figures `per_tech` writes: by mean rating, then
/// completed requests, then id (METRICS.md), with at least `min_reviews` reviews.
async fn top_technicians(
    db: &impl ConnectionTrait,
    window: &Window,
    per_tech: &technicians::PerTechnician,
    limit: usize,
    min_reviews: i64,
) -> Result<Vec<technicians::TopTechnician>, DbErr> {
    let mut s = crate::metrics::Scope::new(DatabaseBackend::Postgres, window);
    let pt = per_tech(&mut s);
    let exists = s.exists("t.created_at");
    let slice = s.slice("t");
    let min = s.sql.bind(min_reviews);
    let lim = s.sql.bind(limit as i64);
    s.sql.push(&format!(
        "WITH pt AS MATERIALIZED ({pt}) \
         SELECT t.id AS id, u.full_name AS name, t.specialty AS specialty, t.city AS city, \
           pt.n AS reviews, pt.rating_sum AS rating_sum, pt.done AS done, pt.revenue_cents AS revenue_cents \
         FROM pt JOIN technicians t ON t.id = pt.technician_id JOIN users u ON u.id = t.user_id \
         WHERE {exists}{slice} AND pt.n >= {min} \
         ORDER BY CAST(pt.rating_sum AS DOUBLE PRECISION) / pt.n DESC, pt.done DESC, t.id ASC LIMIT {lim}"
    ));
    let rows: Vec<technicians::TopRow> = s.sql.rows(db).await?;
    Ok(rows
        .into_iter()
        .map(technicians::TopTechnician::from)
        .collect())
}

/// One read at one instant.
struct Reader<'d, D> {
    db: &'d D,
    layout: Layout,
    as_of: DateTime<Utc>,
}

/// Sums of one part over every row (a total).
fn total(rows: &[Row], part: usize, fact: &Fact) -> (Vec<i64>, Vec<f64>) {
    let mut ints = vec![0i64; fact.measures.len()];
    let mut floats = vec![0f64; fact.measures.len()];
    for row in rows.iter().filter(|r| r.part == part) {
        for (s, v) in ints.iter_mut().zip(&row.ints) {
            *s += v;
        }
        for (s, v) in floats.iter_mut().zip(&row.floats) {
            *s += v;
        }
    }
    (ints, floats)
}

impl<D: ConnectionTrait> Reader<'_, D> {
    fn window_cover(&self, window: &Window) -> Cover {
        cover(
            &self.layout,
            window.start,
            window.end,
            window.end == self.as_of,
        )
    }

    async fn run(&self, fact: &Fact, read: &Read) -> Result<Option<Vec<Row>>, DbErr> {
        let (rows, seen) = read::run(self.db, fact, read, self.layout.zone.name()).await?;
        Ok(seen.allows(&self.layout, self.as_of).then_some(rows))
    }

    async fn users(&self) -> Result<Option<UserCounts>, DbErr> {
        let since = self.as_of - Duration::days(30);
        let all = cover(&self.layout, None, self.as_of, true);
        let recent = cover(&self.layout, Some(since), self.as_of, true);
        let created = Read {
            parts: vec![Part::default()],
            spans: vec![(0, all), (1, recent.clone())],
            days: None,
        };
        let logged = Read {
            parts: vec![Part::default()],
            spans: vec![(0, recent)],
            days: None,
        };
        let (created, logged) = tokio::try_join!(
            self.run(&facts::USERS, &created),
            self.run(&facts::USER_LOGINS, &logged)
        )?;
        let (Some(created), Some(logged)) = (created, logged) else {
            return Ok(None);
        };
        let by_k = |rows: &[Row], k: i64| -> i64 {
            rows.iter().filter(|r| r.k == k).map(|r| r.ints[0]).sum()
        };
        Ok(Some(UserCounts {
            total: by_k(&created, 0),
            active_30d: by_k(&logged, 0),
            new_30d: by_k(&created, 1),
        }))
    }

    async fn requests(&self, window: &Window) -> Result<Option<RequestStats>, DbErr> {
        let (c, s) = (&window.city, &window.specialty);
        let read = Read {
            parts: vec![
                Part::slice(c, s, 0),
                Part::slice(c, s, 1),
                Part::slice(c, s, 2),
            ],
            spans: vec![(0, self.window_cover(window))],
            days: None,
        };
        let fact = &facts::REQUESTS;
        let Some(rows) = self.run(fact, &read).await? else {
            return Ok(None);
        };
        let (t, f) = total(&rows, 0, fact);
        let at = |name: &str| t[fact.index(name)];
        let mut stats = RequestStats::empty();
        stats.total = at("n");
        stats.pending = at("pending");
        stats.in_progress = at("in_progress");
        stats.completed = at("completed");
        stats.cancelled = at("cancelled");
        stats.urgent = at("urgent");
        stats.success_rate = percent(stats.completed, stats.total);
        let timed = at("timed");
        stats.avg_response_time_hours = mean(f[fact.index("response_secs")] / 3600.0, timed);
        stats.avg_completion_time_hours = mean(f[fact.index("completion_secs")] / 3600.0, timed);
        let (n, done) = (fact.index("n"), fact.index("completed"));
        let mut by_city = Vec::new();
        let mut by_specialty = Vec::new();
        for row in &rows {
            if row.ints[n] == 0 {
                continue;
            }
            match row.part {
                1 => requests::add_to(&mut by_city, row.city.clone(), row.ints[n], row.ints[done]),
                2 => requests::add_to(
                    &mut by_specialty,
                    row.specialty.clone(),
                    row.ints[n],
                    row.ints[done],
                ),
                _ => {}
            }
        }
        stats.by_city = requests::finish(by_city);
        stats.by_specialty = requests::finish(by_specialty);
        Ok(Some(stats))
    }

    async fn financial(&self, window: &Window) -> Result<Option<FinancialStats>, DbErr> {
        let read = Read {
            parts: vec![Part::slice(&window.city, &window.specialty, 0)],
            spans: vec![(0, self.window_cover(window))],
            days: None,
        };
        let fact = &facts::PAYMENTS;
        let Some(rows) = self.run(fact, &read).await? else {
            return Ok(None);
        };
        let (t, _) = total(&rows, 0, fact);
        let at = |name: &str| t[fact.index(name)];
        if at("other_n") != 0 {
            // a method without columns of its own: the raw path names it
            return Ok(None);
        }
        let (revenue, completed) = (at("revenue"), at("completed"));
        let mut methods: Vec<(String, i64, i64)> = facts::METHODS
            .iter()
            .map(|m| {
                (
                    m.to_string(),
                    at(&format!("{m}_n")),
                    at(&format!("{m}_amount")),
                )
            })
            .filter(|(_, n, _)| *n > 0)
            .collect();
        sort_desc_then_key(&mut methods, |m| m.2, |m| &m.0);
        Ok(Some(FinancialStats {
            total_revenue: money(revenue),
            technician_payouts: money(at("payouts")),
            platform_fees: money(at("fees")),
            avg_request_value: money_mean(revenue, completed),
            payment_methods: methods
                .into_iter()
                .map(|(method, count, cents)| PaymentMethodStats {
                    method,
                    count,
                    total: money(cents),
                })
                .collect(),
            payment_success_rate: percent(completed, at("n")),
            refunded_amount: money(at("refunded")),
        }))
    }

    async fn satisfaction(&self, window: &Window) -> Result<Option<SatisfactionStats>, DbErr> {
        let read = Read {
            parts: vec![Part::slice(&window.city, &window.specialty, 0)],
            spans: vec![(0, self.window_cover(window))],
            days: None,
        };
        let fact = &facts::REVIEWS;
        let Some(rows) = self.run(fact, &read).await? else {
            return Ok(None);
        };
        let (t, _) = total(&rows, 0, fact);
        let at = |name: &str| t[fact.index(name)];
        let total = at("n");
        let counts: Vec<i64> = (1..=5).map(|r| at(&format!("r{r}"))).collect();
        Ok(Some(SatisfactionStats {
            total_reviews: total,
            avg_rating: mean(at("rating_sum") as f64, total),
            satisfaction_rate: percent(counts[3] + counts[4], total),
            recommendation_rate: percent(at("recommend"), total),
            rating_distribution: (1..=5)
                .map(|rating| RatingCount {
                    rating,
                    count: counts[(rating - 1) as usize],
                })
                .collect(),
        }))
    }

    async fn security_counts(&self, window: &Window) -> Result<Option<SecurityCounts>, DbErr> {
        let read = Read {
            parts: vec![Part::default()],
            spans: vec![(0, self.window_cover(window))],
            days: None,
        };
        let fact = &facts::LOGINS;
        let (rows, alerts) = tokio::try_join!(
            self.run(fact, &read),
            security::alert_count(self.db, window)
        )?;
        let Some(rows) = rows else { return Ok(None) };
        let (t, _) = total(&rows, 0, fact);
        let (n, failed) = (t[0], t[fact.index("failed")]);
        Ok(Some(SecurityCounts {
            total_logins: n,
            failed_logins: failed,
            login_success_rate: percent(n - failed, n),
            security_alerts: alerts,
        }))
    }

    /// The technicians group (or a top list alone, `top = (limit, min_reviews)`) with the
    /// reviews per technician from their cells: all time, or local days of the fine
    /// retention plus raw edges, plus the log; the technicians' own rows, and the completed
    /// requests and revenue of the few listed, are read as on the raw path. One
    /// REPEATABLE READ snapshot holds the check of the rollups' state and the reads.
    async fn technicians(
        &self,
        window: &Window,
        top: Option<(usize, i64)>,
    ) -> Result<Option<TechnicianStats>, DbErr>
    where
        D: TransactionTrait,
    {
        if window.is_sliced() {
            // the cells hold every slice together (by slice, they were as large as the
            // reviews themselves): a slice reads the rows
            return Ok(None);
        }
        // the cells (all time, or whole local days) and the raw edges
        let Some((cells, edges)) = cover::day_cover(
            &self.layout,
            window.start,
            window.end,
            window.end == self.as_of,
        ) else {
            return Ok(None);
        };
        // per technician: reviews, rating sum, completed requests, completed revenue (cents)
        let per_tech = move |s: &mut crate::metrics::Scope<'_>| -> String {
            let mut branches = Vec::new();
            // the logs' entries, and the platform's rows of the raw edges
            let logs = [
                (
                    facts::REVIEWS.log,
                    "TRUE",
                    "x.sign, x.sign * x.rating, 0, 0",
                ),
                (
                    facts::REQUESTS.log,
                    "x.status = 'completed'",
                    "0, 0, x.sign, 0",
                ),
                (
                    facts::PAYMENTS.log,
                    "x.status = 'completed'",
                    "0, 0, 0, x.sign * x.amount",
                ),
            ];
            let rows = [
                ("reviews x", "TRUE", "1, x.rating, 0, 0"),
                ("repair_requests x", "x.status = 'completed'", "0, 0, 1, 0"),
                ("payments x", "x.status = 'completed'", "0, 0, 0, x.amount"),
            ];
            if let Some(c) = cells {
                let all = c.level == cover::ALL;
                let range = if all {
                    String::new()
                } else {
                    let (from, to) = (s.sql.bind(c.from), s.sql.bind(c.to));
                    format!(" AND c.bucket_start >= {from} AND c.bucket_start < {to}")
                };
                let cell = format!(
                    "SELECT c.technician_id, c.reviews, c.rating_sum, c.completed, c.revenue \
                     FROM statistics_rollup_technicians c WHERE c.level = {level} AND c.gset = 0{range}",
                    level = c.level
                );
                let mut log_branches = Vec::new();
                for (log, filter, values) in logs {
                    let range = if all {
                        String::new()
                    } else {
                        let (a, b) = (s.sql.bind(c.a), s.sql.bind(c.b));
                        format!(" AND x.created_at >= {a} AND x.created_at < {b}")
                    };
                    log_branches.push(format!(
                        "SELECT x.technician_id, {values} FROM {log} x \
                         WHERE x.technician_id IS NOT NULL AND {filter}{range}"
                    ));
                }
                if all {
                    // one cell per technician: the log's few entries joined to them, with no
                    // aggregation of the cells
                    return format!(
                        "SELECT COALESCE(c.technician_id, l.technician_id) AS technician_id, \
                           CAST(COALESCE(c.reviews, 0) + COALESCE(l.n, 0) AS BIGINT) AS n, \
                           CAST(COALESCE(c.rating_sum, 0) + COALESCE(l.rating_sum, 0) AS BIGINT) AS rating_sum, \
                           CAST(COALESCE(c.completed, 0) + COALESCE(l.done, 0) AS BIGINT) AS done, \
                           CAST((COALESCE(c.revenue, 0) + COALESCE(l.revenue, 0)) * 100 AS BIGINT) AS revenue_cents \
                         FROM ({cell}) c FULL JOIN \
                           (SELECT u.technician_id, SUM(u.n) AS n, SUM(u.rating_sum) AS rating_sum, \
                              SUM(u.done) AS done, SUM(u.revenue) AS revenue \
                            FROM ({logs}) u(technician_id, n, rating_sum, done, revenue) GROUP BY u.technician_id) l \
                           ON l.technician_id = c.technician_id \
                         WHERE COALESCE(c.reviews, 0) + COALESCE(l.n, 0) > 0",
                        logs = log_branches.join(" UNION ALL ")
                    );
                }
                branches.push(cell);
                branches.extend(log_branches);
            }
            for (a, b) in &edges {
                for (table, filter, values) in rows {
                    let (a, b) = (s.sql.bind(*a), s.sql.bind(*b));
                    branches.push(format!(
                        "SELECT x.technician_id, {values} FROM {table} \
                         WHERE x.technician_id IS NOT NULL AND {filter} \
                           AND x.created_at >= {a} AND x.created_at < {b}"
                    ));
                }
            }
            format!(
                "SELECT c.technician_id, CAST(SUM(c.n) AS BIGINT) AS n, \
                   CAST(SUM(c.rating_sum) AS BIGINT) AS rating_sum, CAST(SUM(c.done) AS BIGINT) AS done, \
                   CAST(SUM(c.revenue) * 100 AS BIGINT) AS revenue_cents \
                 FROM ({}) c(technician_id, n, rating_sum, done, revenue) \
                 GROUP BY c.technician_id HAVING SUM(c.n) > 0",
                branches.join(" UNION ALL ")
            )
        };
        let txn = self
            .db
            .begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?;
        #[derive(FromQueryResult)]
        struct Guard {
            status: String,
            zone: String,
            fine_from: Option<DateTime<Utc>>,
            max_event_at: Option<DateTime<Utc>>,
            log_max: Option<DateTime<Utc>>,
        }
        let guard = Guard::find_by_statement(sea_orm::Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT status, zone, fine_from, max_event_at, GREATEST( \
               (SELECT MAX(event_at) FROM statistics_rollup_log_reviews), \
               (SELECT MAX(event_at) FROM statistics_rollup_log_requests), \
               (SELECT MAX(event_at) FROM statistics_rollup_log_payments)) AS log_max \
             FROM statistics_rollup_state WHERE id = 1",
        ))
        .one(&txn)
        .await?;
        let Some(guard) = guard else { return Ok(None) };
        // the per-technician sums are hashed in memory, not in batches on disk
        txn.execute_unprepared("SET LOCAL work_mem = '64MB'")
            .await?;
        let seen = Seen {
            status: guard.status,
            zone: guard.zone,
            fine_from: guard.fine_from,
            max_event_at: guard.max_event_at,
            log_max: guard.log_max,
        };
        if !seen.allows(&self.layout, self.as_of) {
            return Ok(None);
        }
        let (limit, min_reviews) =
            top.unwrap_or((technicians::TOP_LIMIT, technicians::TOP_MIN_REVIEWS));
        let counts = match top {
            None => technicians::counts(&txn, window, &per_tech).await?,
            Some(_) => technicians::TechnicianCounts::default(),
        };
        let top = top_technicians(&txn, window, &per_tech, limit, min_reviews).await?;
        let stats = TechnicianStats { counts, top };
        txn.commit().await?;
        Ok(Some(stats))
    }

    /// Addresses with at least 5 failed logins in the window, from the per-address cells:
    /// all time, or local days of the fine retention plus raw edges (at most a day each),
    /// plus the log; `None` (the rows answer) for a window reaching before the retention,
    /// or while a deleted or changed failure waits in the log (a latest failure cannot be
    /// undone by a sum).
    async fn suspicious(
        &self,
        window: &Window,
        limit: usize,
    ) -> Result<Option<Vec<SuspiciousIp>>, DbErr> {
        let mut sql = Sql::new(DatabaseBackend::Postgres);
        let min = sql.bind(security::SUSPICIOUS_MIN_FAILURES);
        let mut branches = Vec::new();
        let log = facts::LOGINS.log;
        let log_range = |sql: &mut Sql, a: DateTime<Utc>, b: DateTime<Utc>| {
            format!(
                "SELECT x.ip_address, x.sign, CASE WHEN x.sign > 0 THEN x.created_at END FROM {log} x \
                 WHERE x.success = FALSE AND x.created_at >= {} AND x.created_at < {}",
                sql.bind(a),
                sql.bind(b)
            )
        };
        let raw = |sql: &mut Sql, a: DateTime<Utc>, b: DateTime<Utc>| {
            format!(
                "SELECT x.ip_address, 1, x.created_at FROM login_events x \
                 WHERE x.success = FALSE AND x.created_at >= {} AND x.created_at < {}",
                sql.bind(a),
                sql.bind(b)
            )
        };
        let Some((cells, edges)) = cover::day_cover(
            &self.layout,
            window.start,
            window.end,
            window.end == self.as_of,
        ) else {
            return Ok(None);
        };
        match cells {
            Some(c) if c.level == cover::ALL => {
                // an address below `min - (failures waiting in the log)` cannot reach `min`
                branches.push(format!(
                    "SELECT a.ip_address, a.failed, a.last_failed FROM statistics_rollup_addresses a \
                     WHERE a.level = 0 AND a.failed >= {min} - \
                       (SELECT COUNT(*) FROM {log} x WHERE x.success = FALSE AND x.sign > 0)"
                ));
                branches.push(log_range(&mut sql, c.a, c.b));
            }
            Some(c) => {
                let (from, to) = (sql.bind(c.from), sql.bind(c.to));
                branches.push(format!(
                    "SELECT a.ip_address, a.failed, a.last_failed FROM statistics_rollup_addresses a \
                     WHERE a.level = 2 AND a.bucket_start >= {from} AND a.bucket_start < {to}"
                ));
                branches.push(log_range(&mut sql, c.a, c.b));
            }
            None => {}
        }
        for (a, b) in edges {
            branches.push(raw(&mut sql, a, b));
        }
        let lim = sql.bind(limit as i64);
        sql.push(&format!(
            "WITH g AS (SELECT status, zone, fine_from, max_event_at FROM statistics_rollup_state WHERE id = 1), \
             lm AS (SELECT MAX(event_at) AS log_max, \
                      COUNT(CASE WHEN success = FALSE AND sign < 0 THEN 1 END) AS undone FROM {log}), \
             top AS (SELECT c.ip, SUM(c.failed) AS failed, MAX(c.last) AS last \
                     FROM ({union}) c(ip, failed, last) GROUP BY c.ip HAVING SUM(c.failed) >= {min} \
                     ORDER BY SUM(c.failed) DESC, c.ip COLLATE \"C\" ASC LIMIT {lim}) \
             SELECT g.status AS g_status, g.zone AS g_zone, g.fine_from AS g_fine, g.max_event_at AS g_max, \
               lm.log_max AS g_log, lm.undone AS undone, top.ip AS ip, CAST(top.failed AS BIGINT) AS failed, \
               top.last AS last FROM g CROSS JOIN lm LEFT JOIN top ON TRUE \
             ORDER BY top.failed DESC, top.ip COLLATE \"C\" ASC",
            union = branches.join(" UNION ALL "),
        ));
        #[derive(FromQueryResult)]
        struct AddressRow {
            g_status: String,
            g_zone: String,
            g_fine: Option<DateTime<Utc>>,
            g_max: Option<DateTime<Utc>>,
            g_log: Option<DateTime<Utc>>,
            undone: i64,
            ip: Option<String>,
            failed: Option<i64>,
            last: Option<DateTime<Utc>>,
        }
        let rows = AddressRow::find_by_statement(sql.statement())
            .all(self.db)
            .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let seen = Seen {
            status: first.g_status.clone(),
            zone: first.g_zone.clone(),
            fine_from: first.g_fine,
            max_event_at: first.g_max,
            log_max: first.g_log,
        };
        if !seen.allows(&self.layout, self.as_of) || first.undone > 0 {
            return Ok(None);
        }
        Ok(Some(
            rows.into_iter()
                .filter_map(|r| {
                    Some(SuspiciousIp {
                        ip_address: r.ip?,
                        failed: r.failed?,
                        last_seen: r.last?,
                    })
                })
                .collect(),
        ))
    }

    /// Counts `[requests, completed, revenue cents, new users]` per key, over `read`'s
    /// spans or days (`slice` applies to all but users).
    async fn trend_counts(
        &self,
        window: &Window,
        spans: Vec<(i64, Cover)>,
        days: Option<Cells>,
    ) -> Result<Option<std::collections::HashMap<i64, [i64; 4]>>, DbErr> {
        let sliced = Read {
            parts: vec![Part::slice(&window.city, &window.specialty, 0)],
            spans: spans.clone(),
            days,
        };
        let plain = Read {
            parts: vec![Part::default()],
            spans,
            days,
        };
        let (requests, completed, payments, users) = tokio::try_join!(
            self.run(&facts::REQUESTS, &sliced),
            self.run(&facts::COMPLETIONS, &sliced),
            self.run(&facts::PAYMENTS, &sliced),
            self.run(&facts::USERS, &plain),
        )?;
        let (Some(requests), Some(completed), Some(payments), Some(users)) =
            (requests, completed, payments, users)
        else {
            return Ok(None);
        };
        let mut out: std::collections::HashMap<i64, [i64; 4]> = std::collections::HashMap::new();
        let revenue = facts::PAYMENTS.index("revenue");
        for (slot, rows, measure) in [
            (0, &requests, 0),
            (1, &completed, 0),
            (2, &payments, revenue),
            (3, &users, 0),
        ] {
            for row in rows {
                out.entry(row.k).or_default()[slot] += row.ints[measure];
            }
        }
        Ok(Some(out))
    }

    async fn trends(&self, window: &Window) -> Result<Option<Trends>, DbErr> {
        let plan = trends::day_plan(window);
        let zone = self.layout.zone;
        let today = self.as_of.with_timezone(&zone).date_naive();
        let first = plan.days[0].0.with_timezone(&zone).date_naive();
        let days = Cells {
            level: DAY,
            from: day_bucket(first),
            to: day_bucket(today),
            a: day_start(zone, first),
            b: day_start(zone, today),
        };
        let partial = cover(&self.layout, Some(days.b), self.as_of, true);
        let Some(counts) = self
            .trend_counts(window, vec![(-1, partial)], Some(days))
            .await?
        else {
            return Ok(None);
        };
        let day_counts: Vec<[i64; 4]> = plan
            .days
            .iter()
            .map(|(start, _)| {
                let date = start.with_timezone(&zone).date_naive();
                let k = if date == today {
                    -1
                } else {
                    day_bucket(date).timestamp()
                };
                counts.get(&k).copied().unwrap_or_default()
            })
            .collect();
        Ok(Some(trends::from_days(&plan, &day_counts)))
    }

    async fn trend(
        &self,
        window: &Window,
        granularity: Granularity,
        points: u32,
    ) -> Result<Option<Vec<TrendPoint>>, DbErr> {
        let bounds = trends::buckets(
            granularity,
            points,
            self.as_of,
            window.tz,
            window.week_start,
        );
        let spans = bounds
            .iter()
            .enumerate()
            .map(|(i, (a, b))| {
                (
                    i as i64,
                    cover(&self.layout, Some(*a), *b, *b == self.as_of),
                )
            })
            .collect();
        let Some(counts) = self.trend_counts(window, spans, None).await? else {
            return Ok(None);
        };
        let counts: Vec<[i64; 4]> = (0..bounds.len())
            .map(|i| counts.get(&(i as i64)).copied().unwrap_or_default())
            .collect();
        Ok(Some(trends::trend_points(&bounds, &counts)))
    }

    async fn realtime(&self) -> Result<Option<RealTimeStats>, DbErr> {
        let since = self.as_of - Duration::hours(24);
        let day = cover(&self.layout, Some(since), self.as_of, true);
        let all = cover(&self.layout, None, self.as_of, true);
        let one = |spans: Vec<(i64, Cover)>| Read {
            parts: vec![Part::default()],
            spans,
            days: None,
        };
        let requests = one(vec![(0, day.clone()), (1, all)]);
        let day_only = one(vec![(0, day)]);
        let (requests, completed, payments, logins, online, active) = tokio::try_join!(
            self.run(&facts::REQUESTS, &requests),
            self.run(&facts::COMPLETIONS, &day_only),
            self.run(&facts::PAYMENTS, &day_only),
            self.run(&facts::LOGINS, &day_only),
            self.run(&facts::USER_LOGINS, &day_only),
            crate::metrics::realtime::active_technicians(self.db, self.as_of),
        )?;
        let (Some(requests), Some(completed), Some(payments), Some(logins), Some(online)) =
            (requests, completed, payments, logins, online)
        else {
            return Ok(None);
        };
        let sum = |rows: &[Row], k: i64, m: usize| -> i64 {
            rows.iter().filter(|r| r.k == k).map(|r| r.ints[m]).sum()
        };
        let f = &facts::REQUESTS;
        let open =
            sum(&requests, 1, f.index("pending")) + sum(&requests, 1, f.index("in_progress"));
        Ok(Some(RealTimeStats {
            as_of: self.as_of,
            computed_at: Utc::now(),
            last_24h: Last24h {
                new_requests: sum(&requests, 0, 0),
                completed_requests: sum(&completed, 0, 0),
                revenue: money(sum(&payments, 0, facts::PAYMENTS.index("revenue"))),
                failed_logins: sum(&logins, 0, facts::LOGINS.index("failed")),
            },
            online_users: sum(&online, 0, 0),
            active_technicians: active,
            open_requests: open,
            stale: false,
        }))
    }
}
