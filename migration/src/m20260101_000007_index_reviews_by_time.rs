//! Reviews of a period per technician: a covering index leading with `created_at`, so the
//! technicians group reads only the period's reviews and no table rows. The planner gets
//! fresh statistics for it (and for the cancellation index of 000006): without them
//! SQLite prefers the older one-column index and reads a table row per review.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
CREATE INDEX idx_reviews_created_stats ON reviews (created_at, technician_id, rating, would_recommend, request_id);
ANALYZE reviews;
ANALYZE repair_requests
"#;

const DOWN: &str = r#"
DROP INDEX idx_reviews_created_stats
"#;

crate::ddl_migration!("m20260101_000007_index_reviews_by_time");
