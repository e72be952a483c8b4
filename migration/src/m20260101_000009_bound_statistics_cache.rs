//! A bound for the shared cache: each row's size and last use, so the engine can evict
//! expired entries first, then the least recently used, and keep `statistics_cache` under
//! `CACHE_L2_MAX_BYTES` whatever the number of distinct filters clients ask.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
ALTER TABLE statistics_cache ADD COLUMN size_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE statistics_cache ADD COLUMN last_used_at TSTZ;
UPDATE statistics_cache SET size_bytes = LENGTH(CAST(cache_data AS TEXT)) + LENGTH(cache_key), last_used_at = updated_at
"#;

const DOWN: &str = r#"
ALTER TABLE statistics_cache DROP COLUMN last_used_at;
ALTER TABLE statistics_cache DROP COLUMN size_bytes
"#;

crate::ddl_migration!("m20260101_000009_bound_statistics_cache");
