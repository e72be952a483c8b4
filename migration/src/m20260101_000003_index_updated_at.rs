//! Indexes on `updated_at` of the source tables, so the cache's change fingerprint
//! (`MAX(updated_at)` per table) is an index lookup.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
CREATE INDEX idx_users_updated_at ON users (updated_at);
CREATE INDEX idx_technicians_updated_at ON technicians (updated_at);
CREATE INDEX idx_repair_requests_updated_at ON repair_requests (updated_at);
CREATE INDEX idx_payments_updated_at ON payments (updated_at);
CREATE INDEX idx_reviews_updated_at ON reviews (updated_at);
CREATE INDEX idx_login_events_updated_at ON login_events (updated_at)
"#;

const DOWN: &str = r#"
DROP INDEX idx_users_updated_at;
DROP INDEX idx_technicians_updated_at;
DROP INDEX idx_repair_requests_updated_at;
DROP INDEX idx_payments_updated_at;
DROP INDEX idx_reviews_updated_at;
DROP INDEX idx_login_events_updated_at
"#;

crate::ddl_migration!("m20260101_000003_index_updated_at");
