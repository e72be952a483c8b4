//! Exports served by any replica: the files live in the database (`statistics_export_files`,
//! one row per export, removed with it), every download is recorded
//! (`statistics_export_downloads`: who and when), jobs are claimed by status and age
//! (an index), and an export from the command line has no requester (`requested_by` may be
//! null; SQLite rebuilds the table for it, in one transaction).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

const POSTGRES_UP: &str = r#"
ALTER TABLE statistics_exports ALTER COLUMN requested_by DROP NOT NULL;
CREATE TABLE statistics_export_files (
    export_id VARCHAR(36) NOT NULL PRIMARY KEY REFERENCES statistics_exports (id) ON DELETE CASCADE,
    content BYTEA NOT NULL
)
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE statistics_exports_previous AS SELECT * FROM statistics_exports;
DROP TABLE statistics_exports;
CREATE TABLE statistics_exports (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    export_type VARCHAR(10) NOT NULL,
    status VARCHAR(20) NOT NULL,
    requested_by BIGINT REFERENCES users (id),
    export_config JSON NOT NULL,
    file_name VARCHAR(255),
    size_bytes BIGINT,
    error TEXT,
    created_at TSTZ NOT NULL,
    started_at TSTZ,
    completed_at TSTZ,
    expires_at TSTZ
);
INSERT INTO statistics_exports SELECT id, export_type, status, requested_by, export_config, file_name,
    size_bytes, error, created_at, started_at, completed_at, expires_at FROM statistics_exports_previous;
DROP TABLE statistics_exports_previous;
CREATE INDEX idx_statistics_exports_requested_by ON statistics_exports (requested_by);
CREATE INDEX idx_statistics_exports_created_at ON statistics_exports (created_at);
CREATE TABLE statistics_export_files (
    export_id VARCHAR(36) NOT NULL PRIMARY KEY REFERENCES statistics_exports (id) ON DELETE CASCADE,
    content BLOB NOT NULL
)
"#;

const COMMON_UP: &str = r#"
CREATE INDEX idx_statistics_exports_status_created ON statistics_exports (status, created_at);
CREATE TABLE statistics_export_downloads (
    id PK,
    export_id VARCHAR(36) NOT NULL REFERENCES statistics_exports (id) ON DELETE CASCADE,
    downloaded_by BIGINT NOT NULL REFERENCES users (id),
    downloaded_at TSTZ NOT NULL
);
CREATE INDEX idx_statistics_export_downloads_export ON statistics_export_downloads (export_id);
CREATE INDEX idx_statistics_export_downloads_by ON statistics_export_downloads (downloaded_by)
"#;

/// The migration of this file.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20260101_000013_keep_export_files"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_connection().get_database_backend();
        let script = match backend {
            DatabaseBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        let db = crate::dialect::begin_with(manager, &[script, COMMON_UP]).await?;
        db.commit().await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "DROP TABLE statistics_export_downloads",
            "DROP TABLE statistics_export_files",
            "DROP INDEX idx_statistics_exports_status_created",
        ] {
            db.execute_unprepared(statement).await?;
        }
        if db.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DELETE FROM statistics_exports WHERE requested_by IS NULL")
                .await?;
            db.execute_unprepared(
                "ALTER TABLE statistics_exports ALTER COLUMN requested_by SET NOT NULL",
            )
            .await?;
        }
        Ok(())
    }
}
