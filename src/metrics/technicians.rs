//! Technicians that exist at `asOf`: counts, the mean of their mean ratings, and the top
//! technicians by rating over the period.

use super::{Scope, mean};
use crate::db::{cents_sum, unindexed};
use crate::window::Window;
use async_graphql::SimpleObject;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

/// Default number of top technicians.
pub const TOP_LIMIT: usize = 5;
/// Default least number of reviews in the period to be ranked.
pub const TOP_MIN_REVIEWS: i64 = 3;

/// One ranked technician.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct TopTechnician {
    /// `technicians.id`.
    pub technician_id: async_graphql::ID,
    /// The technician's `users.full_name`.
    pub name: String,
    /// Specialty.
    pub specialty: String,
    /// City.
    pub city: String,
    /// Mean rating of their reviews in the period.
    pub avg_rating: f64,
    /// Their reviews in the period.
    pub reviews: i64,
    /// Their requests in the period completed at `asOf`.
    pub completed_requests: i64,
    /// Their completed payments in the period.
    pub revenue: Decimal,
}

/// Counts of technicians and their ratings (the list fields are resolved in `graphql`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TechnicianCounts {
    /// Technicians that exist at `asOf`.
    pub total: i64,
    /// Of those, verified.
    pub verified: i64,
    /// Of those, available.
    pub available: i64,
    /// Mean, over technicians with a review in the period, of their mean rating.
    pub avg_rating: f64,
}

/// The technicians group: counts and the default top list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TechnicianStats {
    /// The counts.
    pub counts: TechnicianCounts,
    /// `top(TOP_LIMIT, TOP_MIN_REVIEWS)`.
    pub top: Vec<TopTechnician>,
}

/// Computes the technicians group with the default top list.
pub async fn compute(db: &impl ConnectionTrait, window: &Window) -> Result<TechnicianStats, DbErr> {
    // two independent statements: run at once, on two pooled connections
    let (counts, top) = tokio::try_join!(
        counts(db, window, &reviews_per_technician),
        top(db, window, TOP_LIMIT, TOP_MIN_REVIEWS)
    )?;
    Ok(TechnicianStats { counts, top })
}

/// Writes a subquery of the reviews in the window's period and slice per technician,
/// with at least the columns `(technician_id, n, rating_sum)`, binding its values into the
/// scope: from the reviews (`reviews_per_technician`) or from the rollups.
pub type PerTechnician = dyn Fn(&mut Scope<'_>) -> String + Send + Sync;

/// Reviews in the period per technician that exists at `asOf` and is in the slice, as a
/// subquery `(technician_id, n, rating_sum)`.
fn reviews_per_technician(s: &mut Scope<'_>) -> String {
    let exists = s.exists("v.created_at");
    let period = s.in_period("v.created_at");
    let (join, slice) = s.request_slice("v");
    // over all time, one pass over `(technician_id, created_at, rating, ...)` in group
    // order; over a period, the period's range of `(created_at, technician_id, ...)`
    // and a small sort: SQLite would otherwise prefer the group order for any period
    let group = if s.window.start.is_some() {
        unindexed(s.backend(), "v.technician_id")
    } else {
        "v.technician_id".to_string()
    };
    format!(
        "SELECT v.technician_id, COUNT(*) AS n, SUM(v.rating) AS rating_sum \
         FROM reviews v{join} WHERE {exists} AND {period}{slice} GROUP BY {group}"
    )
}

#[derive(FromQueryResult)]
struct CountsRow {
    total: i64,
    verified: i64,
    available: i64,
    rated: i64,
    mean_sum: Option<f64>,
}

/// One row of a top list as read (also by the rollups).
#[derive(FromQueryResult)]
pub struct TopRow {
    /// Technician id.
    pub id: i64,
    /// The user's full name.
    pub name: String,
    /// Specialty.
    pub specialty: String,
    /// City.
    pub city: String,
    /// Reviews in the period.
    pub reviews: i64,
    /// Their rating sum.
    pub rating_sum: i64,
    /// Completed requests in the period.
    pub done: i64,
    /// Completed revenue in the period, in cents.
    pub revenue_cents: i64,
}

impl From<TopRow> for TopTechnician {
    fn from(row: TopRow) -> Self {
        TopTechnician {
            technician_id: row.id.into(),
            name: row.name,
            specialty: row.specialty,
            city: row.city,
            avg_rating: mean(row.rating_sum as f64, row.reviews),
            reviews: row.reviews,
            completed_requests: row.done,
            revenue: super::money(row.revenue_cents),
        }
    }
}

/// The counts and the mean rating with the reviews per technician written by `per_tech`.
pub async fn counts(
    db: &impl ConnectionTrait,
    window: &Window,
    per_tech: &PerTechnician,
) -> Result<TechnicianCounts, DbErr> {
    let mut s = Scope::new(db.get_database_backend(), window);
    let exists = s.exists("t.created_at");
    let slice = s.slice("t");
    let per_tech = per_tech(&mut s);
    s.sql.push(&format!(
        "SELECT COUNT(*) AS total, COUNT(CASE WHEN t.is_verified THEN 1 END) AS verified, \
           COUNT(CASE WHEN t.is_available THEN 1 END) AS available, \
           COUNT(pt.n) AS rated, SUM(CAST(pt.rating_sum AS DOUBLE PRECISION) / pt.n) AS mean_sum \
         FROM technicians t LEFT JOIN ({per_tech}) pt ON pt.technician_id = t.id \
         WHERE {exists}{slice}"
    ));
    let row: CountsRow = s.sql.row(db).await?;
    Ok(TechnicianCounts {
        total: row.total,
        verified: row.verified,
        available: row.available,
        avg_rating: mean(row.mean_sum.unwrap_or(0.0), row.rated),
    })
}

/// The top `limit` technicians with at least `min_reviews` reviews in the period: by mean
/// rating desc, completed requests desc, id asc.
pub async fn top(
    db: &impl ConnectionTrait,
    window: &Window,
    limit: usize,
    min_reviews: i64,
) -> Result<Vec<TopTechnician>, DbErr> {
    let mut s = Scope::new(db.get_database_backend(), window);
    let backend = s.backend();
    let t_exists = s.exists("t.created_at");
    let t_slice = s.slice("t");
    let per_tech = reviews_per_technician(&mut s);
    let min = s.sql.bind(min_reviews);
    // completed requests in the period, per technician
    let r_state = s.request_completed("r");
    let r_exists = s.exists("r.created_at");
    let r_period = s.in_period("r.created_at");
    let r_slice = s.slice("r");
    // completed payments in the period, per technician
    let p_done = s.payment_completed("p");
    let p_exists = s.exists("p.created_at");
    let p_period = s.in_period("p.created_at");
    let (p_join, p_slice) = s.request_slice("p");
    let revenue = cents_sum(backend, "p.amount");
    let lim = s.sql.bind(limit as i64);
    let cut = s.sql.bind(limit as i64 - 1);
    // Only candidates whose mean rating reaches the `limit`-th best mean can be in the top
    // (the mean is the first sort key): the completed-requests tie-break is counted for
    // those only (a seek per technician in its covering index), the revenue and the name
    // for the rows kept.
    s.sql.push(&format!(
        "WITH pt AS MATERIALIZED (SELECT t.id, t.user_id, t.specialty, t.city, x.n, x.rating_sum, \
                       CAST(x.rating_sum AS DOUBLE PRECISION) / x.n AS mean \
                     FROM ({per_tech}) x JOIN technicians t ON t.id = x.technician_id \
                     WHERE {t_exists}{t_slice} AND x.n >= {min}), \
              cut AS (SELECT mean FROM pt ORDER BY mean DESC LIMIT 1 OFFSET {cut}) \
         SELECT q.id AS id, u.full_name AS name, q.specialty AS specialty, q.city AS city, \
           q.n AS reviews, q.rating_sum AS rating_sum, q.done AS done, \
           (SELECT {revenue} FROM payments p{p_join} \
            WHERE p.technician_id = q.id AND {p_done} AND {p_exists} AND {p_period}{p_slice}) AS revenue_cents \
         FROM (SELECT pt.id, pt.user_id, pt.specialty, pt.city, pt.n, pt.rating_sum, pt.mean, \
                 (SELECT COUNT(*) FROM repair_requests r \
                  WHERE r.technician_id = pt.id AND {r_state} AND {r_exists} AND {r_period}{r_slice}) AS done \
               FROM pt WHERE pt.mean >= COALESCE((SELECT mean FROM cut), 0) \
               ORDER BY pt.mean DESC, done DESC, pt.id ASC \
               LIMIT {lim}) q \
         JOIN users u ON u.id = q.user_id \
         ORDER BY q.mean DESC, q.done DESC, q.id ASC"
    ));
    let rows: Vec<TopRow> = s.sql.rows(db).await?;
    Ok(rows.into_iter().map(TopTechnician::from).collect())
}
