//! Payments in the period: revenue, payouts, fees, methods, success and refunds, exact to
//! the cent, from one grouped pass over `payments`.

use super::{Scope, get, money, money_mean, percent, sort_desc_then_key};
use crate::db::cents_sum;
use crate::stats::Window;
use async_graphql::SimpleObject;
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DbErr};
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
        "SELECT p.method, COUNT(*), COUNT(CASE WHEN {done} THEN 1 END), {amount}, {payout}, {fee}, {refunded} \
         FROM payments p{join} WHERE {exists} AND {period}{slice} GROUP BY p.method",
        amount = sum("amount", &done),
        payout = sum("technician_payout", &done),
        fee = sum("platform_fee", &done),
        refunded = sum("amount", "p.status = 'refunded'"),
    ));
    let rows = s.sql.all(db).await?;
    let (mut all, mut completed) = (0i64, 0i64);
    let (mut revenue, mut payouts, mut fees, mut refunded) = (0i64, 0i64, 0i64, 0i64);
    let mut methods = Vec::new();
    for row in &rows {
        let method: String = get(row, 0)?;
        let count: i64 = get(row, 2)?;
        let amount: i64 = get(row, 3)?;
        all += get::<i64>(row, 1)?;
        completed += count;
        revenue += amount;
        payouts += get::<i64>(row, 4)?;
        fees += get::<i64>(row, 5)?;
        refunded += get::<i64>(row, 6)?;
        if count > 0 {
            methods.push((method, count, amount));
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
