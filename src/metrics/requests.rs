//! Requests in the period: counts by state, success rate, response and completion times,
//! and breakdowns by specialty and city, from one grouped pass over `repair_requests`.

use super::{Scope, percent, sort_desc_then_key};
use crate::db::seconds_between;
use crate::window::Window;
use async_graphql::SimpleObject;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

/// One value of a breakdown (a specialty or a city).
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct Breakdown {
    /// The specialty or city.
    pub key: String,
    /// Requests in the period with this value.
    pub total: i64,
    /// Of those, completed at `asOf`.
    pub completed: i64,
    /// completed / total * 100.
    pub success_rate: f64,
}

/// Requests created in the period, by their state at `asOf`.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct RequestStats {
    /// Requests in the period.
    pub total: i64,
    /// State `pending`.
    pub pending: i64,
    /// State `assigned` or `in_progress`.
    pub in_progress: i64,
    /// State `completed`.
    pub completed: i64,
    /// State `cancelled`.
    pub cancelled: i64,
    /// Marked urgent.
    pub urgent: i64,
    /// completed / total * 100.
    pub success_rate: f64,
    /// Mean hours from creation to assignment, over completed requests with both times.
    pub avg_response_time_hours: f64,
    /// Mean hours from assignment to completion, over the same requests.
    pub avg_completion_time_hours: f64,
    /// Per specialty, by total desc, then key.
    pub by_specialty: Vec<Breakdown>,
    /// Per city, by total desc, then key.
    pub by_city: Vec<Breakdown>,
}

/// Requests of one (specialty, city) in the period.
#[derive(FromQueryResult)]
struct CellRow {
    specialty: String,
    city: String,
    total: i64,
    pending: i64,
    in_progress: i64,
    completed: i64,
    cancelled: i64,
    urgent: i64,
    timed: i64,
    response_secs: Option<f64>,
    completion_secs: Option<f64>,
}

/// Computes the requests group.
pub async fn compute(db: &impl ConnectionTrait, window: &Window) -> Result<RequestStats, DbErr> {
    let mut s = Scope::new(db.get_database_backend(), window);
    let backend = s.backend();
    let state = s.request_state("r");
    let exists = s.exists("r.created_at");
    let period = s.in_period("r.created_at");
    let slice = s.slice("r");
    let a = s.sql.instant(window.as_of);
    let timed = format!("q.st = 'c' AND q.assigned_at < {a} AND q.completed_at IS NOT NULL");
    let response = seconds_between(backend, "q.assigned_at", "q.created_at");
    let completion = seconds_between(backend, "q.completed_at", "q.assigned_at");
    s.sql.push(&format!(
        "SELECT q.specialty AS specialty, q.city AS city, COUNT(*) AS total, \
           COUNT(CASE WHEN q.st = 'n' THEN 1 END) AS pending, COUNT(CASE WHEN q.st = 'p' THEN 1 END) AS in_progress, \
           COUNT(CASE WHEN q.st = 'c' THEN 1 END) AS completed, COUNT(CASE WHEN q.st = 'x' THEN 1 END) AS cancelled, \
           COUNT(CASE WHEN q.is_urgent THEN 1 END) AS urgent, COUNT(CASE WHEN {timed} THEN 1 END) AS timed, \
           SUM(CASE WHEN {timed} THEN {response} END) AS response_secs, \
           SUM(CASE WHEN {timed} THEN {completion} END) AS completion_secs \
         FROM (SELECT r.specialty, r.city, r.is_urgent, r.created_at, r.assigned_at, r.completed_at, {state} AS st \
               FROM repair_requests r WHERE {exists} AND {period}{slice}) q \
         GROUP BY q.specialty, q.city"
    ));
    let rows: Vec<CellRow> = s.sql.rows(db).await?;

    let mut stats = RequestStats::empty();
    let (mut timed_count, mut response_secs, mut completion_secs) = (0i64, 0f64, 0f64);
    let mut by_specialty: Vec<Breakdown> = Vec::new();
    let mut by_city: Vec<Breakdown> = Vec::new();
    for row in rows {
        stats.total += row.total;
        stats.pending += row.pending;
        stats.in_progress += row.in_progress;
        stats.completed += row.completed;
        stats.cancelled += row.cancelled;
        stats.urgent += row.urgent;
        timed_count += row.timed;
        response_secs += row.response_secs.unwrap_or(0.0);
        completion_secs += row.completion_secs.unwrap_or(0.0);
        add_to(&mut by_specialty, row.specialty, row.total, row.completed);
        add_to(&mut by_city, row.city, row.total, row.completed);
    }
    stats.success_rate = percent(stats.completed, stats.total);
    stats.avg_response_time_hours = super::mean(response_secs / 3600.0, timed_count);
    stats.avg_completion_time_hours = super::mean(completion_secs / 3600.0, timed_count);
    stats.by_specialty = finish(by_specialty);
    stats.by_city = finish(by_city);
    Ok(stats)
}

impl RequestStats {
    /// All zeros.
    pub fn empty() -> Self {
        RequestStats {
            total: 0,
            pending: 0,
            in_progress: 0,
            completed: 0,
            cancelled: 0,
            urgent: 0,
            success_rate: 0.0,
            avg_response_time_hours: 0.0,
            avg_completion_time_hours: 0.0,
            by_specialty: Vec::new(),
            by_city: Vec::new(),
        }
    }
}

/// Adds one cell's counts to the breakdown entry of `key`.
pub fn add_to(list: &mut Vec<Breakdown>, key: String, total: i64, completed: i64) {
    match list.iter_mut().find(|b| b.key == key) {
        Some(b) => {
            b.total += total;
            b.completed += completed;
        }
        None => list.push(Breakdown {
            key,
            total,
            completed,
            success_rate: 0.0,
        }),
    }
}

/// Success rates, and the order of METRICS.md (total desc, then key).
pub fn finish(mut list: Vec<Breakdown>) -> Vec<Breakdown> {
    for b in &mut list {
        b.success_rate = percent(b.completed, b.total);
    }
    sort_desc_then_key(&mut list, |b| b.total, |b| &b.key);
    list
}
