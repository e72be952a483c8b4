//! One snapshot per interval across replicas: each snapshot row names its interval (`slot`,
//! the computation instant divided by the interval), and a unique index lets every replica
//! insert without checking first; all but one insert do nothing.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
ALTER TABLE global_statistics ADD COLUMN slot BIGINT;
CREATE UNIQUE INDEX idx_global_statistics_slot ON global_statistics (slot)
"#;

const DOWN: &str = r#"
DROP INDEX idx_global_statistics_slot;
ALTER TABLE global_statistics DROP COLUMN slot
"#;

crate::ddl_migration!("m20260101_000010_add_snapshot_slots");
