//! Technicians that exist at `asOf`: counts, the mean of their mean ratings, and the top
//! technicians by rating over the period.

use super::{Scope, get, mean};
use crate::db::{cents_sum, unindexed};
use crate::stats::Window;
use async_graphql::SimpleObject;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr};
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
        counts(db, window),
        top(db, window, TOP_LIMIT, TOP_MIN_REVIEWS)
    )?;
    Ok(TechnicianStats { counts, top })
}

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

async fn counts(db: &impl ConnectionTrait, window: &Window) -> Result<TechnicianCounts, DbErr> {
    let mut s = Scope::new(db.get_database_backend(), window);
    let exists = s.exists("t.created_at");
    let slice = s.slice("t");
    let per_tech = reviews_per_technician(&mut s);
    s.sql.push(&format!(
        "SELECT COUNT(*), COUNT(CASE WHEN t.is_verified THEN 1 END), COUNT(CASE WHEN t.is_available THEN 1 END), \
           COUNT(pt.n), SUM(CAST(pt.rating_sum AS DOUBLE PRECISION) / pt.n) \
         FROM technicians t LEFT JOIN ({per_tech}) pt ON pt.technician_id = t.id \
         WHERE {exists}{slice}"
    ));
    let row = s.sql.one(db).await?;
    let rated: i64 = get(&row, 3)?;
    let mean_sum: f64 = get::<Option<f64>>(&row, 4)?.unwrap_or(0.0);
    Ok(TechnicianCounts {
        total: get(&row, 0)?,
        verified: get(&row, 1)?,
        available: get(&row, 2)?,
        avg_rating: mean(mean_sum, rated),
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
         SELECT q.id, u.full_name, q.specialty, q.city, q.n, q.rating_sum, q.done, \
           (SELECT {revenue} FROM payments p{p_join} \
            WHERE p.technician_id = q.id AND {p_done} AND {p_exists} AND {p_period}{p_slice}) \
         FROM (SELECT pt.id, pt.user_id, pt.specialty, pt.city, pt.n, pt.rating_sum, pt.mean, \
                 (SELECT COUNT(*) FROM repair_requests r \
                  WHERE r.technician_id = pt.id AND {r_state} AND {r_exists} AND {r_period}{r_slice}) AS done \
               FROM pt WHERE pt.mean >= COALESCE((SELECT mean FROM cut), 0) \
               ORDER BY pt.mean DESC, done DESC, pt.id ASC \
               LIMIT {lim}) q \
         JOIN users u ON u.id = q.user_id \
         ORDER BY q.mean DESC, q.done DESC, q.id ASC"
    ));
    let rows = s.sql.all(db).await?;
    rows.iter()
        .map(|row| {
            let n: i64 = get(row, 4)?;
            let rating_sum: i64 = get(row, 5)?;
            Ok(TopTechnician {
                technician_id: get::<i64>(row, 0)?.into(),
                name: get(row, 1)?,
                specialty: get(row, 2)?,
                city: get(row, 3)?,
                avg_rating: mean(rating_sum as f64, n),
                reviews: n,
                completed_requests: get(row, 6)?,
                revenue: super::money(get(row, 7)?),
            })
        })
        .collect()
}
