//! Schema migrations: every table and index of the domain contract, on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod dialect;
mod m20260101_000001_create_operational_tables;
mod m20260101_000002_create_statistics_tables;
mod m20260101_000003_index_updated_at;
mod m20260101_000004_add_covering_indexes;
mod m20260101_000005_count_table_changes;
mod m20260101_000006_index_cancellations;
mod m20260101_000007_index_reviews_by_time;
pub mod m20260101_000008_log_table_changes;
mod m20260101_000009_bound_statistics_cache;
mod m20260101_000010_add_snapshot_slots;
pub mod m20260101_000011_extend_alerts;
mod m20260101_000012_one_default_dashboard;
mod m20260101_000013_keep_export_files;
mod m20260101_000014_persisted_queries;
pub mod m20260101_000015_rollups;

/// The ordered list of migrations the gateway applies at start.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_create_operational_tables::Migration),
            Box::new(m20260101_000002_create_statistics_tables::Migration),
            Box::new(m20260101_000003_index_updated_at::Migration),
            Box::new(m20260101_000004_add_covering_indexes::Migration),
            Box::new(m20260101_000005_count_table_changes::Migration),
            Box::new(m20260101_000006_index_cancellations::Migration),
            Box::new(m20260101_000007_index_reviews_by_time::Migration),
            Box::new(m20260101_000008_log_table_changes::Migration),
            Box::new(m20260101_000009_bound_statistics_cache::Migration),
            Box::new(m20260101_000010_add_snapshot_slots::Migration),
            Box::new(m20260101_000011_extend_alerts::Migration),
            Box::new(m20260101_000012_one_default_dashboard::Migration),
            Box::new(m20260101_000013_keep_export_files::Migration),
            Box::new(m20260101_000014_persisted_queries::Migration),
            Box::new(m20260101_000015_rollups::Migration),
        ]
    }
}
