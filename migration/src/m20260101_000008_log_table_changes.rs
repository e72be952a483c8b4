//! Change capture without a shared hot row. The counters of 000005 made every writer of a
//! watched table update one row of `statistics_table_changes` and hold its lock until commit:
//! concurrent writers of a table queued behind each other, and two transactions writing two
//! watched tables in opposite orders deadlocked on those rows.
//!
//! On PostgreSQL each statement on a watched table now appends one row to
//! `statistics_change_log` (a statement-level trigger: one insert per statement, whatever the
//! number of rows, and no row that another writer touches). A single gateway process, the
//! holder of an advisory lock, folds the log into `statistics_table_changes.changes` and
//! deletes what it folded, in one transaction; a table's version is that counter plus its
//! rows still in the log, so it moves with every committed write and never moves back. The
//! log is an ordinary table: it replicates to standbys with the data it describes.
//!
//! SQLite has one writer at a time (the database lock), so a counter row costs no waiting
//! there: its row-level triggers bump the counter directly and its log stays empty (the
//! version query is the same on both engines).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// The tables whose changes the statistics engine watches.
pub const WATCHED_TABLES: [&str; 7] = [
    "users",
    "technicians",
    "repair_requests",
    "payments",
    "reviews",
    "login_events",
    "statistics_alerts",
];

/// Name of the PostgreSQL trigger function that appends to the log.
pub const LOG_FUNCTION: &str = "statistics_log_change";

/// The statements that install the capture on `table`.
pub fn create_capture(backend: DatabaseBackend, table: &str) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => vec![format!(
            "CREATE TRIGGER stl_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION {LOG_FUNCTION}()"
        )],
        _ => ["insert", "update", "delete"]
            .iter()
            .map(|op| {
                format!(
                    "CREATE TRIGGER stl_{table}_{op} AFTER {op} ON {table} BEGIN \
                     UPDATE statistics_table_changes SET changes = changes + 1 \
                     WHERE table_name = '{table}'; END",
                    op = op.to_uppercase()
                )
            })
            .collect(),
    }
}

/// The statements that remove the capture from `table` (those that exist).
pub fn drop_capture(backend: DatabaseBackend, table: &str) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => vec![format!("DROP TRIGGER IF EXISTS stl_{table} ON {table}")],
        _ => ["insert", "update", "delete"]
            .iter()
            .map(|op| format!("DROP TRIGGER IF EXISTS stl_{table}_{op}"))
            .collect(),
    }
}

/// Records one change of `table` made while its capture was off (a bulk load).
pub fn count_change(table: &str) -> String {
    format!(
        "UPDATE statistics_table_changes SET changes = changes + 1 WHERE table_name = '{table}'"
    )
}

/// The migration of this file.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20260101_000008_log_table_changes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use crate::m20260101_000005_count_table_changes as counters;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let mut script: Vec<String> = WATCHED_TABLES
            .iter()
            .flat_map(|table| counters::drop_triggers(backend, table))
            .collect();
        if backend == DatabaseBackend::Postgres {
            script.extend(counters::drop_functions());
        }
        script.push("ALTER TABLE statistics_table_changes DROP COLUMN row_count".into());
        script.push(
            match backend {
                DatabaseBackend::Postgres => {
                    "CREATE TABLE statistics_change_log (id BIGSERIAL PRIMARY KEY, \
                 table_name VARCHAR(64) NOT NULL, operation VARCHAR(8) NOT NULL, \
                 logged_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                }
                _ => {
                    "CREATE TABLE statistics_change_log (id INTEGER PRIMARY KEY AUTOINCREMENT, \
                 table_name VARCHAR(64) NOT NULL, operation VARCHAR(8) NOT NULL, \
                 logged_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
                }
            }
            .into(),
        );
        if backend == DatabaseBackend::Postgres {
            // the log churns (rows in, folded out every second): vacuum it by row count, not
            // by a fraction of a table that is always small
            script.push(
                "ALTER TABLE statistics_change_log SET (autovacuum_vacuum_scale_factor = 0, \
                 autovacuum_vacuum_threshold = 10000)"
                    .into(),
            );
            // static SQL: the plan is prepared once per session, no read, no shared row
            script.push(format!(
                "CREATE FUNCTION {LOG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 INSERT INTO statistics_change_log (table_name, operation) VALUES (TG_TABLE_NAME, TG_OP); \
                 RETURN NULL; END $$"
            ));
        }
        for table in WATCHED_TABLES {
            script.extend(create_capture(backend, table));
        }
        for statement in script {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use crate::m20260101_000005_count_table_changes as counters;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let mut script: Vec<String> = WATCHED_TABLES
            .iter()
            .flat_map(|table| drop_capture(backend, table))
            .collect();
        if backend == DatabaseBackend::Postgres {
            script.push(format!("DROP FUNCTION {LOG_FUNCTION}()"));
            // what the log still holds is folded into the counters it came from
            script.push(
                "UPDATE statistics_table_changes c SET changes = c.changes + \
                 (SELECT COUNT(*) FROM statistics_change_log l WHERE l.table_name = c.table_name)"
                    .into(),
            );
        }
        script.push("DROP TABLE statistics_change_log".into());
        script.push(
            "ALTER TABLE statistics_table_changes ADD COLUMN row_count BIGINT NOT NULL DEFAULT 0"
                .into(),
        );
        for table in WATCHED_TABLES {
            script.push(format!(
                "UPDATE statistics_table_changes SET row_count = (SELECT COUNT(*) FROM {table}) \
                 WHERE table_name = '{table}'"
            ));
        }
        if backend == DatabaseBackend::Postgres {
            script.extend(counters::create_functions());
        }
        for table in WATCHED_TABLES {
            script.extend(counters::create_triggers(backend, table));
        }
        for statement in script {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}
