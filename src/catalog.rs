//! The catalog of metric paths: every figure below `globalStatistics` (its GraphQL path),
//! the real-time figures as `realtime.<field>`, and `alerts`, each with its shape, unit and
//! a description in French and English. Alert rules name a numeric path of it; widgets and
//! exports name any.

use crate::error::{AppError, AppResult};
use crate::metrics::realtime::RealTimeStats;
use crate::stats::Statistics;
use rust_decimal::prelude::ToPrimitive;

/// The shape of a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum MetricType {
    /// One number.
    Scalar,
    /// A calendar series of trend points.
    Series,
    /// A list of objects.
    List,
}

/// One metric path.
#[derive(Clone, Debug, PartialEq, async_graphql::SimpleObject)]
pub struct MetricInfo {
    /// `financial.totalRevenue`, `trends.daily`, `realtime.openRequests`, ...
    pub path: &'static str,
    /// Scalar, series or list.
    #[graphql(name = "type")]
    pub metric_type: MetricType,
    /// `count`, `percent`, `hours`, `money`, `rating` or `mixed`.
    pub unit: &'static str,
    /// What it measures, in French.
    pub description: &'static str,
    /// What it measures, in English.
    pub description_en: &'static str,
}

const fn m(
    path: &'static str,
    metric_type: MetricType,
    unit: &'static str,
    description: &'static str,
    description_en: &'static str,
) -> MetricInfo {
    MetricInfo {
        path,
        metric_type,
        unit,
        description,
        description_en,
    }
}

use MetricType::{List, Scalar, Series};

/// Every metric path, in the order of the GraphQL schema.
pub const CATALOG: &[MetricInfo] = &[
    m(
        "overview.totalUsers",
        Scalar,
        "count",
        "Utilisateurs inscrits",
        "Registered users",
    ),
    m(
        "overview.activeUsers30d",
        Scalar,
        "count",
        "Utilisateurs actifs (30 jours)",
        "Active users (30 days)",
    ),
    m(
        "overview.newUsers30d",
        Scalar,
        "count",
        "Nouveaux utilisateurs (30 jours)",
        "New users (30 days)",
    ),
    m(
        "overview.totalRequests",
        Scalar,
        "count",
        "Demandes de la période",
        "Requests in the period",
    ),
    m(
        "overview.totalRevenue",
        Scalar,
        "money",
        "Chiffre d'affaires",
        "Revenue",
    ),
    m(
        "overview.avgRating",
        Scalar,
        "rating",
        "Note moyenne",
        "Average rating",
    ),
    m("requests.total", Scalar, "count", "Demandes", "Requests"),
    m(
        "requests.pending",
        Scalar,
        "count",
        "Demandes en attente",
        "Pending requests",
    ),
    m(
        "requests.inProgress",
        Scalar,
        "count",
        "Demandes en cours",
        "Requests in progress",
    ),
    m(
        "requests.completed",
        Scalar,
        "count",
        "Demandes terminées",
        "Completed requests",
    ),
    m(
        "requests.cancelled",
        Scalar,
        "count",
        "Demandes annulées",
        "Cancelled requests",
    ),
    m(
        "requests.urgent",
        Scalar,
        "count",
        "Demandes urgentes",
        "Urgent requests",
    ),
    m(
        "requests.successRate",
        Scalar,
        "percent",
        "Taux de réussite",
        "Success rate",
    ),
    m(
        "requests.avgResponseTimeHours",
        Scalar,
        "hours",
        "Délai moyen de prise en charge",
        "Average response time",
    ),
    m(
        "requests.avgCompletionTimeHours",
        Scalar,
        "hours",
        "Durée moyenne d'intervention",
        "Average completion time",
    ),
    m(
        "requests.bySpecialty",
        List,
        "mixed",
        "Demandes par spécialité",
        "Requests by specialty",
    ),
    m(
        "requests.byCity",
        List,
        "mixed",
        "Demandes par ville",
        "Requests by city",
    ),
    m(
        "financial.totalRevenue",
        Scalar,
        "money",
        "Chiffre d'affaires",
        "Revenue",
    ),
    m(
        "financial.technicianPayouts",
        Scalar,
        "money",
        "Reversements aux techniciens",
        "Technician payouts",
    ),
    m(
        "financial.platformFees",
        Scalar,
        "money",
        "Commissions de la plateforme",
        "Platform fees",
    ),
    m(
        "financial.avgRequestValue",
        Scalar,
        "money",
        "Panier moyen",
        "Average request value",
    ),
    m(
        "financial.paymentMethods",
        List,
        "mixed",
        "Moyens de paiement",
        "Payment methods",
    ),
    m(
        "financial.paymentSuccessRate",
        Scalar,
        "percent",
        "Taux de paiements aboutis",
        "Payment success rate",
    ),
    m(
        "financial.refundedAmount",
        Scalar,
        "money",
        "Montant remboursé",
        "Refunded amount",
    ),
    m(
        "satisfaction.totalReviews",
        Scalar,
        "count",
        "Avis",
        "Reviews",
    ),
    m(
        "satisfaction.avgRating",
        Scalar,
        "rating",
        "Note moyenne",
        "Average rating",
    ),
    m(
        "satisfaction.satisfactionRate",
        Scalar,
        "percent",
        "Taux de satisfaction",
        "Satisfaction rate",
    ),
    m(
        "satisfaction.recommendationRate",
        Scalar,
        "percent",
        "Taux de recommandation",
        "Recommendation rate",
    ),
    m(
        "satisfaction.ratingDistribution",
        List,
        "count",
        "Répartition des notes",
        "Rating distribution",
    ),
    m(
        "technicians.total",
        Scalar,
        "count",
        "Techniciens",
        "Technicians",
    ),
    m(
        "technicians.verified",
        Scalar,
        "count",
        "Techniciens vérifiés",
        "Verified technicians",
    ),
    m(
        "technicians.available",
        Scalar,
        "count",
        "Techniciens disponibles",
        "Available technicians",
    ),
    m(
        "technicians.avgRating",
        Scalar,
        "rating",
        "Note moyenne des techniciens",
        "Technicians' average rating",
    ),
    m(
        "technicians.topTechnicians",
        List,
        "mixed",
        "Meilleurs techniciens",
        "Top technicians",
    ),
    m(
        "security.totalLogins",
        Scalar,
        "count",
        "Connexions",
        "Logins",
    ),
    m(
        "security.failedLogins",
        Scalar,
        "count",
        "Connexions échouées",
        "Failed logins",
    ),
    m(
        "security.loginSuccessRate",
        Scalar,
        "percent",
        "Taux de connexions réussies",
        "Login success rate",
    ),
    m(
        "security.securityAlerts",
        Scalar,
        "count",
        "Alertes de sécurité",
        "Security alerts",
    ),
    m(
        "security.suspiciousIps",
        List,
        "mixed",
        "Adresses suspectes",
        "Suspicious addresses",
    ),
    m(
        "advanced.conversionRate",
        Scalar,
        "percent",
        "Taux de conversion",
        "Conversion rate",
    ),
    m(
        "advanced.retentionRate",
        Scalar,
        "percent",
        "Taux de rétention",
        "Retention rate",
    ),
    m(
        "advanced.churnRate",
        Scalar,
        "percent",
        "Taux d'attrition",
        "Churn rate",
    ),
    m(
        "trends.daily",
        Series,
        "mixed",
        "Tendance quotidienne",
        "Daily trend",
    ),
    m(
        "trends.weekly",
        Series,
        "mixed",
        "Tendance hebdomadaire",
        "Weekly trend",
    ),
    m(
        "trends.monthly",
        Series,
        "mixed",
        "Tendance mensuelle",
        "Monthly trend",
    ),
    m(
        "realtime.last24h.newRequests",
        Scalar,
        "count",
        "Nouvelles demandes (24 h)",
        "New requests (24 h)",
    ),
    m(
        "realtime.last24h.completedRequests",
        Scalar,
        "count",
        "Demandes terminées (24 h)",
        "Completed requests (24 h)",
    ),
    m(
        "realtime.last24h.revenue",
        Scalar,
        "money",
        "Chiffre d'affaires (24 h)",
        "Revenue (24 h)",
    ),
    m(
        "realtime.last24h.failedLogins",
        Scalar,
        "count",
        "Connexions échouées (24 h)",
        "Failed logins (24 h)",
    ),
    m(
        "realtime.onlineUsers",
        Scalar,
        "count",
        "Utilisateurs connectés (24 h)",
        "Users online (24 h)",
    ),
    m(
        "realtime.activeTechnicians",
        Scalar,
        "count",
        "Techniciens actifs",
        "Active technicians",
    ),
    m(
        "realtime.openRequests",
        Scalar,
        "count",
        "Demandes ouvertes",
        "Open requests",
    ),
    m("alerts", List, "mixed", "Alertes actives", "Active alerts"),
];

/// The catalog entry of `path`.
pub fn find(path: &str) -> Option<&'static MetricInfo> {
    CATALOG.iter().find(|m| m.path == path)
}

/// Whether `path` names one number (what an alert rule can compare).
pub fn is_scalar(path: &str) -> bool {
    find(path).is_some_and(|m| m.metric_type == MetricType::Scalar)
}

/// Whether a scalar path is read from the real-time figures (not from a window).
pub fn is_realtime(path: &str) -> bool {
    path.starts_with("realtime.")
}

/// The value of the real-time scalar `path`.
pub fn realtime_value(live: &RealTimeStats, path: &str) -> AppResult<f64> {
    Ok(match path {
        "realtime.last24h.newRequests" => live.last_24h.new_requests as f64,
        "realtime.last24h.completedRequests" => live.last_24h.completed_requests as f64,
        "realtime.last24h.revenue" => money(live.last_24h.revenue),
        "realtime.last24h.failedLogins" => live.last_24h.failed_logins as f64,
        "realtime.onlineUsers" => live.online_users as f64,
        "realtime.activeTechnicians" => live.active_technicians as f64,
        "realtime.openRequests" => live.open_requests as f64,
        _ => return Err(unknown(path)),
    })
}

fn money(d: rust_decimal::Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

fn unknown(path: &str) -> AppError {
    AppError::bad_input(format!(
        "`{path}` is not a numeric metric path (see metricCatalog)"
    ))
}

/// The value of the scalar `path` under the statistics' window, read through the engine
/// (only the groups it needs); `None` for a ratio or a mean over nothing (a success rate
/// with no request in the window, a mean rating with no review: METRICS.md serves 0 for
/// them, which is no observation an alert could rest on).
pub async fn scalar_value(stats: &Statistics, path: &str) -> AppResult<Option<f64>> {
    let (group, field) = path.split_once('.').ok_or_else(|| unknown(path))?;
    let over = |base: i64, v: f64| (base > 0).then_some(v);
    let value = match group {
        "overview" => {
            let o = stats.overview().await?;
            match field {
                "totalUsers" => Some(o.total_users as f64),
                "activeUsers30d" => Some(o.active_users_30d as f64),
                "newUsers30d" => Some(o.new_users_30d as f64),
                "totalRequests" => Some(o.total_requests as f64),
                "totalRevenue" => Some(money(o.total_revenue)),
                // ratings are 1 to 5: a mean of 0 is a mean over nothing
                "avgRating" => (o.avg_rating > 0.0).then_some(o.avg_rating),
                _ => return Err(unknown(path)),
            }
        }
        "requests" => {
            let r = stats.requests().await?;
            match field {
                "total" => Some(r.total as f64),
                "pending" => Some(r.pending as f64),
                "inProgress" => Some(r.in_progress as f64),
                "completed" => Some(r.completed as f64),
                "cancelled" => Some(r.cancelled as f64),
                "urgent" => Some(r.urgent as f64),
                "successRate" => over(r.total, r.success_rate),
                "avgResponseTimeHours" => over(r.completed, r.avg_response_time_hours),
                "avgCompletionTimeHours" => over(r.completed, r.avg_completion_time_hours),
                _ => return Err(unknown(path)),
            }
        }
        "financial" => {
            let f = stats.financial().await?;
            let completed: i64 = f.payment_methods.iter().map(|m| m.count).sum();
            match field {
                "totalRevenue" => Some(money(f.total_revenue)),
                "technicianPayouts" => Some(money(f.technician_payouts)),
                "platformFees" => Some(money(f.platform_fees)),
                "avgRequestValue" => over(completed, money(f.avg_request_value)),
                // 0 % of payments completed is a figure worth an alert: served as it is
                "paymentSuccessRate" => Some(f.payment_success_rate),
                "refundedAmount" => Some(money(f.refunded_amount)),
                _ => return Err(unknown(path)),
            }
        }
        "satisfaction" => {
            let s = stats.satisfaction().await?;
            match field {
                "totalReviews" => Some(s.total_reviews as f64),
                "avgRating" => over(s.total_reviews, s.avg_rating),
                "satisfactionRate" => over(s.total_reviews, s.satisfaction_rate),
                "recommendationRate" => over(s.total_reviews, s.recommendation_rate),
                _ => return Err(unknown(path)),
            }
        }
        "technicians" => {
            let t = stats.technicians().await?.counts;
            match field {
                "total" => Some(t.total as f64),
                "verified" => Some(t.verified as f64),
                "available" => Some(t.available as f64),
                "avgRating" => (t.avg_rating > 0.0).then_some(t.avg_rating),
                _ => return Err(unknown(path)),
            }
        }
        "security" => {
            let s = stats.security().await?.counts;
            match field {
                "totalLogins" => Some(s.total_logins as f64),
                "failedLogins" => Some(s.failed_logins as f64),
                "loginSuccessRate" => over(s.total_logins, s.login_success_rate),
                "securityAlerts" => Some(s.security_alerts as f64),
                _ => return Err(unknown(path)),
            }
        }
        "advanced" => {
            let (a, users, requests) =
                tokio::try_join!(stats.advanced(), stats.users(), stats.requests())?;
            match field {
                "conversionRate" => over(requests.total, a.conversion_rate),
                "retentionRate" => over(users.total, a.retention_rate),
                "churnRate" => over(users.total, a.churn_rate),
                _ => return Err(unknown(path)),
            }
        }
        _ => return Err(unknown(path)),
    };
    Ok(value)
}

/// The engine groups a scalar path reads (what `Statistics::fetch` should load for it).
pub fn groups_of(path: &str) -> Vec<crate::stats::Group> {
    use crate::stats::Group;
    match path.split_once('.').map(|(g, _)| g) {
        Some("overview") => vec![
            Group::Users,
            Group::Requests,
            Group::Financial,
            Group::Satisfaction,
        ],
        Some("requests") => vec![Group::Requests],
        Some("financial") => vec![Group::Financial],
        Some("satisfaction") => vec![Group::Satisfaction],
        Some("technicians") => vec![Group::Technicians],
        Some("security") => vec![Group::Security],
        Some("advanced") => vec![Group::Users, Group::Requests],
        Some("trends") => vec![Group::Trends],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique_and_units_known() {
        let mut seen = std::collections::HashSet::new();
        for m in CATALOG {
            assert!(seen.insert(m.path), "{} twice", m.path);
            assert!(
                ["count", "percent", "hours", "money", "rating", "mixed"].contains(&m.unit),
                "{}",
                m.path
            );
        }
    }

    #[test]
    fn lists_and_series_are_not_rule_paths() {
        assert!(is_scalar("financial.totalRevenue"));
        assert!(is_scalar("realtime.openRequests"));
        assert!(!is_scalar("trends.daily"));
        assert!(!is_scalar("requests.byCity"));
        assert!(!is_scalar("financial.nothing"));
    }
}
