//! A bound for the shared cache: each row's size and last use, so the engine can evict
//! expired entries first, then the least recently used, and keep `statistics_cache` under
//! `CACHE_L2_MAX_BYTES` whatever the number of distinct filters clients ask. The index by
//! last use carries the sizes and keys: eviction walks it a chunk at a time, and the table's
//! total is summed from it, without reading any cached document.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
ALTER TABLE statistics_cache ADD COLUMN size_bytes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE statistics_cache ADD COLUMN last_used_at TSTZ;
UPDATE statistics_cache SET size_bytes = LENGTH(CAST(cache_data AS TEXT)) + LENGTH(cache_key), last_used_at = updated_at;
CREATE INDEX idx_statistics_cache_last_used ON statistics_cache (last_used_at, size_bytes, cache_key)
"#;

const DOWN: &str = r#"
DROP INDEX idx_statistics_cache_last_used;
ALTER TABLE statistics_cache DROP COLUMN last_used_at;
ALTER TABLE statistics_cache DROP COLUMN size_bytes
"#;

crate::ddl_migration!("m20260101_000009_bound_statistics_cache");
