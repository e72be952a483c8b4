//! The engine's entries: what each group computes, which tables it reads, and its key.

use super::changes::{Table, TableSet};
use crate::metrics;
use crate::metrics::financial::FinancialStats;
use crate::metrics::logins::{self, FailureBurst};
use crate::metrics::overview::UserCounts;
use crate::metrics::requests::RequestStats;
use crate::metrics::satisfaction::SatisfactionStats;
use crate::metrics::security::{self, SecurityStats, SuspiciousIp};
use crate::metrics::technicians::{self, TechnicianStats, TopTechnician};
use crate::metrics::trends::{Granularity, TrendPoint, Trends};
use crate::window::Window;
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};

/// One cached computation of the engine: a metric group (one pass over its tables) or a
/// figure of a group under non-default arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Group {
    /// Users at `asOf` (overview and advanced figures).
    Users,
    /// Requests in the period.
    Requests,
    /// Payments in the period.
    Financial,
    /// Reviews in the period.
    Satisfaction,
    /// Technicians at `asOf` with the default top list.
    Technicians,
    /// Login events in the period with the default suspicious list.
    Security,
    /// The three default trends.
    Trends,
    /// A top list other than the default one.
    TopTechnicians {
        /// Rows.
        limit: u32,
        /// Least reviews in the period.
        min_reviews: u32,
    },
    /// A suspicious list other than the default one.
    SuspiciousIps {
        /// Rows.
        limit: u32,
    },
    /// One trend with a number of points of its own.
    Trend {
        /// Calendar unit.
        granularity: Granularity,
        /// Buckets.
        points: u32,
    },
    /// Failed logins per hour before `asOf` (`metrics::logins::failures_by_hour`).
    FailuresByHour {
        /// Hours, the last one first.
        hours: u32,
    },
    /// Addresses with bursts of failed logins (`metrics::logins::failure_bursts`).
    FailureBursts {
        /// Span of a burst.
        minutes: u32,
        /// Least failures within one span.
        min_failures: u32,
        /// Days read before `asOf`.
        days: u32,
    },
}

/// What an entry holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Figures {
    /// `Group::Users`.
    Users(UserCounts),
    /// `Group::Requests`.
    Requests(RequestStats),
    /// `Group::Financial`.
    Financial(FinancialStats),
    /// `Group::Satisfaction`.
    Satisfaction(SatisfactionStats),
    /// `Group::Technicians`.
    Technicians(TechnicianStats),
    /// `Group::Security`.
    Security(SecurityStats),
    /// `Group::Trends`.
    Trends(Trends),
    /// `Group::TopTechnicians`.
    TopTechnicians(Vec<TopTechnician>),
    /// `Group::SuspiciousIps`.
    SuspiciousIps(Vec<SuspiciousIp>),
    /// `Group::Trend`.
    Trend(Vec<TrendPoint>),
    /// `Group::FailuresByHour`.
    FailuresByHour(Vec<i64>),
    /// `Group::FailureBursts`.
    FailureBursts(Vec<FailureBurst>),
}

impl Group {
    /// The groups of a full `globalStatistics`.
    pub const GLOBAL: [Group; 7] = [
        Group::Users,
        Group::Requests,
        Group::Financial,
        Group::Satisfaction,
        Group::Technicians,
        Group::Security,
        Group::Trends,
    ];

    /// The group name: the start of the entry's cache key and its `/metrics` label.
    pub fn name(self) -> &'static str {
        match self {
            Group::Users => "users",
            Group::Requests => "requests",
            Group::Financial => "financial",
            Group::Satisfaction => "satisfaction",
            Group::Technicians | Group::TopTechnicians { .. } => "technicians",
            Group::Security
            | Group::SuspiciousIps { .. }
            | Group::FailuresByHour { .. }
            | Group::FailureBursts { .. } => "security",
            Group::Trends | Group::Trend { .. } => "trends",
        }
    }

    /// The group name and its arguments: `technicians.top(10,3)`, `trends.daily(30)`.
    pub fn label(self) -> String {
        match self {
            Group::TopTechnicians { limit, min_reviews } => {
                format!("technicians.top({limit},{min_reviews})")
            }
            Group::SuspiciousIps { limit } => format!("security.suspicious({limit})"),
            Group::FailuresByHour { hours } => format!("security.hourly({hours})"),
            Group::FailureBursts {
                minutes,
                min_failures,
                days,
            } => format!("security.bursts({minutes},{min_failures},{days})"),
            Group::Trend {
                granularity,
                points,
            } => format!(
                "trends.{}({points})",
                format!("{granularity:?}").to_lowercase()
            ),
            other => other.name().to_string(),
        }
    }

    /// The group that serves a top list: the group itself for the default arguments.
    pub fn top_technicians(limit: u32, min_reviews: u32) -> Group {
        if limit as usize == technicians::TOP_LIMIT
            && i64::from(min_reviews) == technicians::TOP_MIN_REVIEWS
        {
            Group::Technicians
        } else {
            Group::TopTechnicians { limit, min_reviews }
        }
    }

    /// The group that serves a suspicious list: the group itself for the default limit.
    pub fn suspicious_ips(limit: u32) -> Group {
        if limit as usize == security::SUSPICIOUS_LIMIT {
            Group::Security
        } else {
            Group::SuspiciousIps { limit }
        }
    }

    /// The tables the computation reads under `window`: its freshness depends on these only.
    pub fn tables(self, window: &Window) -> TableSet {
        // a slice reaches payments and reviews through their request
        let sliced = if window.is_sliced() {
            TableSet::of(&[Table::Requests])
        } else {
            TableSet::default()
        };
        match self {
            Group::Users => TableSet::of(&[Table::Users]),
            Group::Requests => TableSet::of(&[Table::Requests]),
            Group::Financial => TableSet::of(&[Table::Payments]).union(sliced),
            Group::Satisfaction => TableSet::of(&[Table::Reviews]).union(sliced),
            // counts, mean ratings, and the top list's completed requests, revenue and names
            Group::Technicians | Group::TopTechnicians { .. } => TableSet::of(&[
                Table::Technicians,
                Table::Reviews,
                Table::Requests,
                Table::Payments,
                Table::Users,
            ]),
            Group::Security => TableSet::of(&[Table::Logins, Table::Alerts]),
            Group::SuspiciousIps { .. }
            | Group::FailuresByHour { .. }
            | Group::FailureBursts { .. } => TableSet::of(&[Table::Logins]),
            Group::Trends | Group::Trend { .. } => {
                TableSet::of(&[Table::Requests, Table::Payments, Table::Users])
            }
        }
    }

    /// Computes the group's figures from the database.
    pub async fn compute(
        self,
        db: &impl ConnectionTrait,
        window: &Window,
    ) -> Result<Figures, DbErr> {
        Ok(match self {
            Group::Users => Figures::Users(metrics::overview::users(db, window).await?),
            Group::Requests => Figures::Requests(metrics::requests::compute(db, window).await?),
            Group::Financial => Figures::Financial(metrics::financial::compute(db, window).await?),
            Group::Satisfaction => {
                Figures::Satisfaction(metrics::satisfaction::compute(db, window).await?)
            }
            Group::Technicians => {
                Figures::Technicians(metrics::technicians::compute(db, window).await?)
            }
            Group::Security => Figures::Security(metrics::security::compute(db, window).await?),
            Group::Trends => Figures::Trends(metrics::trends::compute_all(db, window).await?),
            Group::TopTechnicians { limit, min_reviews } => Figures::TopTechnicians(
                technicians::top(db, window, limit as usize, min_reviews.into()).await?,
            ),
            Group::SuspiciousIps { limit } => {
                Figures::SuspiciousIps(security::suspicious(db, window, limit as usize).await?)
            }
            Group::Trend {
                granularity,
                points,
            } => Figures::Trend(metrics::trends::compute(db, window, granularity, points).await?),
            Group::FailuresByHour { hours } => {
                Figures::FailuresByHour(logins::failures_by_hour(db, window, hours).await?)
            }
            Group::FailureBursts {
                minutes,
                min_failures,
                days,
            } => Figures::FailureBursts(
                logins::failure_bursts(db, window, minutes, min_failures, days).await?,
            ),
        })
    }
}

/// A typed view of an entry's figures.
pub trait GroupFigures: Clone {
    /// These figures, if `figures` holds them.
    fn from_figures(figures: &Figures) -> Option<&Self>;
}

macro_rules! group_figures {
    ($($variant:ident => $ty:ty),* $(,)?) => {
        $(impl GroupFigures for $ty {
            fn from_figures(figures: &Figures) -> Option<&Self> {
                match figures {
                    Figures::$variant(f) => Some(f),
                    _ => None,
                }
            }
        })*
    };
}

group_figures!(
    Users => UserCounts,
    Requests => RequestStats,
    Financial => FinancialStats,
    Satisfaction => SatisfactionStats,
    Technicians => TechnicianStats,
    Security => SecurityStats,
    Trends => Trends,
    TopTechnicians => Vec<TopTechnician>,
    SuspiciousIps => Vec<SuspiciousIp>,
    Trend => Vec<TrendPoint>,
    FailuresByHour => Vec<i64>,
    FailureBursts => Vec<FailureBurst>,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_arguments_are_served_by_the_group_itself() {
        assert_eq!(Group::top_technicians(5, 3), Group::Technicians);
        assert_eq!(
            Group::top_technicians(5, 1),
            Group::TopTechnicians {
                limit: 5,
                min_reviews: 1
            }
        );
        assert_eq!(Group::suspicious_ips(10), Group::Security);
        assert_eq!(Group::suspicious_ips(3).label(), "security.suspicious(3)");
    }

    #[test]
    fn a_new_review_touches_only_the_groups_that_read_reviews() {
        let window = Window::all(chrono::Utc::now(), chrono_tz::UTC);
        let readers: Vec<&str> = Group::GLOBAL
            .iter()
            .filter(|g| g.tables(&window).contains(Table::Reviews))
            .map(|g| g.name())
            .collect();
        assert_eq!(readers, ["satisfaction", "technicians"]);
    }
}
