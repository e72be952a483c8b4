//! At most one default dashboard per user: two first visits at once create one, the other
//! insert fails on this index and reads it.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
CREATE UNIQUE INDEX uq_statistics_dashboards_default ON statistics_dashboards (owner_id) WHERE is_default
"#;

const DOWN: &str = r#"
DROP INDEX uq_statistics_dashboards_default
"#;

crate::ddl_migration!("m20260101_000012_one_default_dashboard");
