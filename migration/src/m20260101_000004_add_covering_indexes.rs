//! Covering indexes for the statistics: each group's pass over a large table reads one
//! index in the order of its GROUP BY, with no table lookups and no sort.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
CREATE INDEX idx_repair_requests_stats ON repair_requests (specialty, city, created_at, status, is_urgent, assigned_at, completed_at, cancelled_at);
CREATE INDEX idx_repair_requests_technician_stats ON repair_requests (technician_id, created_at, status, completed_at, city, specialty);
CREATE INDEX idx_repair_requests_completion ON repair_requests (completed_at, status, created_at, city, specialty);
CREATE INDEX idx_payments_stats ON payments (method, created_at, status, completed_at, amount, platform_fee, technician_payout, request_id);
CREATE INDEX idx_payments_technician_stats ON payments (technician_id, created_at, status, completed_at, amount, request_id);
CREATE INDEX idx_payments_created_stats ON payments (created_at, status, completed_at, amount, request_id);
CREATE INDEX idx_reviews_technician_stats ON reviews (technician_id, created_at, rating, request_id);
CREATE INDEX idx_reviews_stats ON reviews (rating, created_at, would_recommend, request_id);
CREATE INDEX idx_login_events_created_success ON login_events (created_at, success);
CREATE INDEX idx_login_events_failures_by_ip ON login_events (success, ip_address, created_at)
"#;

const DOWN: &str = r#"
DROP INDEX idx_repair_requests_stats;
DROP INDEX idx_repair_requests_technician_stats;
DROP INDEX idx_repair_requests_completion;
DROP INDEX idx_payments_stats;
DROP INDEX idx_payments_technician_stats;
DROP INDEX idx_payments_created_stats;
DROP INDEX idx_reviews_technician_stats;
DROP INDEX idx_reviews_stats;
DROP INDEX idx_login_events_created_success;
DROP INDEX idx_login_events_failures_by_ip
"#;

crate::ddl_migration!("m20260101_000004_add_covering_indexes");
