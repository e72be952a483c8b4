//! Payments in the period: revenue, payouts, fees, methods, success and refunds, exact to
//! the cent, from one grouped pass over `payments`.

use super::{Scope, money, money_mean, percent, sort_desc_then_key};
use crate::db::cents_sum;
use crate::window::Window;
use async_graphql::SimpleObject;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::{Deserialize, Serialize};

/// Completed payments of one method.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct PaymentMethodStats {
    /// The method (`orange_money`, `wave`, `card`, ...).
    pub method: String,
    /// Completed payments with it.
    pub count: i64,
    /// Their total amount.
    pub total: Decimal,
}

/// Payments created in the period, by their state at `asOf`.
#[derive(Clone, Debug, PartialEq, SimpleObject, Serialize, Deserialize)]
pub struct FinancialStats {
    /// Sum of `amount` of completed payments.
    pub total_revenue: Decimal,
    /// Sum of `technician_payout` of completed payments.
    pub technician_payouts: Decimal,
    /// Sum of `platform_fee` of completed payments.
    pub platform_fees: Decimal,
    /// Mean `amount` of completed payments, to the cent.
    pub avg_request_value: Decimal,
    /// Completed payments per method, by total desc, then method.
    pub payment_methods: Vec<PaymentMethodStats>,
    /// completed / all payments * 100.
    pub payment_success_rate: f64,
    /// Sum of `amount` of refunded payments.
    pub refunded_amount: Decimal,
}

/// Payments of one method in the period, money in cents.
#[derive(FromQueryResult)]
struct MethodRow {
    method: String,
    payments: i64,
    completed: i64,
    revenue: i64,
    payouts: i64,
    fees: i64,
    refunded: i64,
}

/// Computes the financial group.
pub async fn compute(db: &impl ConnectionTrait, window: &Window) -> Result<FinancialStats, DbErr> {
    let mut s = Scope::new(db.get_database_backend(), window);
    let backend = s.backend();
    let done = s.payment_completed("p");
    let exists = s.exists("p.created_at");
    let period = s.in_period("p.created_at");
    let (join, slice) = s.request_slice("p");
    let sum =
        |col: &str, cond: &str| cents_sum(backend, &format!("CASE WHEN {cond} THEN p.{col} END"));
    s.sql.push(&format!(
        "SELECT p.method AS method, COUNT(*) AS payments, COUNT(CASE WHEN {done} THEN 1 END) AS completed, \
           {amount} AS revenue, {payout} AS payouts, {fee} AS fees, {refunded} AS refunded \
         FROM payments p{join} WHERE {exists} AND {period}{slice} GROUP BY p.method",
        amount = sum("amount", &done),
        payout = sum("technician_payout", &done),
        fee = sum("platform_fee", &done),
        refunded = sum("amount", "p.status = 'refunded'"),
    ));
    let rows: Vec<MethodRow> = s.sql.rows(db).await?;
    let (mut all, mut completed) = (0i64, 0i64);
    let (mut revenue, mut payouts, mut fees, mut refunded) = (0i64, 0i64, 0i64, 0i64);
    let mut methods = Vec::new();
    for row in rows {
        all += row.payments;
        completed += row.completed;
        revenue += row.revenue;
        payouts += row.payouts;
        fees += row.fees;
        refunded += row.refunded;
        if row.completed > 0 {
            methods.push((row.method, row.completed, row.revenue));
        }
    }
    sort_desc_then_key(&mut methods, |m| m.2, |m| &m.0);
    Ok(FinancialStats {
        total_revenue: money(revenue),
        technician_payouts: money(payouts),
        platform_fees: money(fees),
        avg_request_value: money_mean(revenue, completed),
        payment_methods: methods
            .into_iter()
            .map(|(method, count, cents)| PaymentMethodStats {
                method,
                count,
                total: money(cents),
            })
            .collect(),
        payment_success_rate: percent(completed, all),
        refunded_amount: money(refunded),
    })
}
