//! The METRICS.md definitions, one module per group; each a plain async function of a
//! connection and a `Window`, aggregating in SQL.

pub mod advanced;
pub mod financial;
pub mod logins;
pub mod overview;
pub mod realtime;
pub mod requests;
pub mod satisfaction;
pub mod security;
pub mod technicians;
pub mod trends;

use crate::db::Sql;
use crate::window::Window;
use chrono::{DateTime, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use sea_orm::DatabaseBackend;

/// `part / whole * 100`, or 0.0 when `whole` is 0.
pub fn percent(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64 * 100.0
    }
}

/// `sum / count`, or 0.0 when `count` is 0.
pub fn mean(sum: f64, count: i64) -> f64 {
    if count == 0 { 0.0 } else { sum / count as f64 }
}

/// Money from whole cents.
pub fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// Mean of a money sum, to the cent, half away from zero; `0.00` over nothing.
pub fn money_mean(cents: i64, count: i64) -> Decimal {
    if count == 0 {
        return money(0);
    }
    (Decimal::from(cents) / Decimal::from(count) / Decimal::from(100))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Builds the WHERE conditions a window imposes, binding values into one statement.
pub struct Scope<'w> {
    /// The statement being written.
    pub sql: Sql,
    /// The window it reads.
    pub window: &'w Window,
}

impl<'w> Scope<'w> {
    /// A new statement for `backend` over `window`.
    pub fn new(backend: DatabaseBackend, window: &'w Window) -> Self {
        Self {
            sql: Sql::new(backend),
            window,
        }
    }

    /// The engine.
    pub fn backend(&self) -> DatabaseBackend {
        self.sql.backend
    }

    /// `col` is before `as_of` (the row, or the event, exists at `as_of`).
    pub fn exists(&mut self, col: &str) -> String {
        let p = self.sql.instant(self.window.as_of);
        format!("{col} < {p}")
    }

    /// `col` is in the period `[start, end)`.
    pub fn in_period(&mut self, col: &str) -> String {
        let end = self.sql.instant(self.window.end);
        match self.window.start {
            Some(start) => {
                let start = self.sql.instant(start);
                format!("{col} >= {start} AND {col} < {end}")
            }
            None => format!("{col} < {end}"),
        }
    }

    /// `col` is in `[from, to)`.
    pub fn between(&mut self, col: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
        let from = self.sql.instant(from);
        let to = self.sql.instant(to);
        format!("{col} >= {from} AND {col} < {to}")
    }

    /// The slice conditions on a table alias with `city` and `specialty` columns
    /// (each prefixed with ` AND `), or nothing.
    pub fn slice(&mut self, alias: &str) -> String {
        let mut out = String::new();
        if let Some(city) = self.window.city.clone() {
            let p = self.sql.bind(city);
            out.push_str(&format!(" AND {alias}.city = {p}"));
        }
        if let Some(specialty) = self.window.specialty.clone() {
            let p = self.sql.bind(specialty);
            out.push_str(&format!(" AND {alias}.specialty = {p}"));
        }
        out
    }

    /// For a table with `request_id`: a join to its request when a slice applies, and the
    /// slice conditions, as `(join, conditions)`.
    pub fn request_slice(&mut self, alias: &str) -> (String, String) {
        if !self.window.is_sliced() {
            return (String::new(), String::new());
        }
        let join = format!(" JOIN repair_requests sr ON sr.id = {alias}.request_id");
        (join, self.slice("sr"))
    }

    /// SQL expression naming a request's state at `as_of`: `'c'` completed, `'x'`
    /// cancelled, `'p'` in progress, `'n'` pending (METRICS.md "States at as_of").
    pub fn request_state(&mut self, alias: &str) -> String {
        let a = self.sql.instant(self.window.as_of);
        format!(
            "CASE WHEN {alias}.status = 'completed' AND ({alias}.completed_at IS NULL OR {alias}.completed_at < {a}) THEN 'c' \
             WHEN {alias}.status = 'cancelled' AND ({alias}.cancelled_at IS NULL OR {alias}.cancelled_at < {a}) THEN 'x' \
             WHEN {alias}.assigned_at < {a} OR ({alias}.status IN ('assigned', 'in_progress') AND {alias}.assigned_at IS NULL) THEN 'p' \
             ELSE 'n' END"
        )
    }

    /// SQL condition: a payment is `completed` at `as_of`.
    pub fn payment_completed(&mut self, alias: &str) -> String {
        let a = self.sql.instant(self.window.as_of);
        format!(
            "({alias}.status = 'completed' AND ({alias}.completed_at IS NULL OR {alias}.completed_at < {a}))"
        )
    }

    /// SQL condition: a request is `completed` at `as_of`.
    pub fn request_completed(&mut self, alias: &str) -> String {
        let a = self.sql.instant(self.window.as_of);
        format!(
            "({alias}.status = 'completed' AND ({alias}.completed_at IS NULL OR {alias}.completed_at < {a}))"
        )
    }
}

/// Sorts `(key, figure)` items by figure descending, then key by code point ascending.
pub fn sort_desc_then_key<T, F: PartialOrd>(
    items: &mut [T],
    figure: impl Fn(&T) -> F,
    key: impl Fn(&T) -> &str,
) {
    items.sort_by(|a, b| {
        figure(b)
            .partial_cmp(&figure(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| key(a).as_bytes().cmp(key(b).as_bytes()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_mean_rounds_half_away_from_zero() {
        // 0.05 / 2 = 0.025 -> 0.03; 10.00 / 3 = 3.333.. -> 3.33
        assert_eq!(money_mean(5, 2).to_string(), "0.03");
        assert_eq!(money_mean(1000, 3).to_string(), "3.33");
        assert_eq!(money_mean(0, 0).to_string(), "0.00");
    }

    #[test]
    fn ratios_of_nothing_are_zero() {
        assert_eq!(percent(0, 0), 0.0);
        assert_eq!(mean(0.0, 0), 0.0);
        assert_eq!(percent(1, 4), 25.0);
    }
}
