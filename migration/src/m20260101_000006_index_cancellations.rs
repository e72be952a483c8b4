//! Requests cancelled after an instant (open at that instant): a partial index over the
//! cancelled ones only, so counting the open requests at `asOf` never reads the others.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
CREATE INDEX idx_repair_requests_cancelled ON repair_requests (cancelled_at, status, created_at) WHERE cancelled_at IS NOT NULL
"#;

const DOWN: &str = r#"
DROP INDEX idx_repair_requests_cancelled
"#;

crate::ddl_migration!("m20260101_000006_index_cancellations");
