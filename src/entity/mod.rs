//! SeaORM entities, one file per table of the domain contract.

pub mod global_statistics;
pub mod login_events;
pub mod payments;
pub mod repair_requests;
pub mod reviews;
pub mod statistics_alert_rules;
pub mod statistics_alerts;
pub mod statistics_cache;
pub mod statistics_dashboards;
pub mod statistics_exports;
pub mod statistics_widgets;
pub mod technicians;
pub mod users;
