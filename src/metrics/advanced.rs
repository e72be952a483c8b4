//! Conversion, retention and churn, derived from the users and requests figures.

use super::overview::UserCounts;
use super::percent;
use super::requests::RequestStats;
use serde::{Deserialize, Serialize};

/// Rates over users and requests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdvancedMetrics {
    /// Requests completed / requests in the period * 100.
    pub conversion_rate: f64,
    /// activeUsers30d / totalUsers * 100.
    pub retention_rate: f64,
    /// 100 - retentionRate (0 when there are no users).
    pub churn_rate: f64,
}

/// Requests completed / requests in the period * 100.
pub fn conversion_rate(requests: &RequestStats) -> f64 {
    percent(requests.completed, requests.total)
}

/// activeUsers30d / totalUsers * 100.
pub fn retention_rate(users: UserCounts) -> f64 {
    percent(users.active_30d, users.total)
}

/// 100 - retentionRate, 0 when there are no users.
pub fn churn_rate(users: UserCounts) -> f64 {
    if users.total == 0 {
        0.0
    } else {
        100.0 - retention_rate(users)
    }
}

/// The advanced metrics from already computed figures.
pub fn assemble(users: UserCounts, requests: &RequestStats) -> AdvancedMetrics {
    AdvancedMetrics {
        conversion_rate: conversion_rate(requests),
        retention_rate: retention_rate(users),
        churn_rate: churn_rate(users),
    }
}
