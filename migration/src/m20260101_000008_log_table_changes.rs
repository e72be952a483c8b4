//! Change capture without a shared hot row. The counters of 000005 made every writer of a
//! watched table update one row of `statistics_table_changes` and hold its lock until commit:
//! concurrent writers of a table queued behind each other, and two transactions writing two
//! watched tables in opposite orders deadlocked on those rows.
//!
//! On PostgreSQL each statement on a watched table now appends one row (table, operation) to
//! the change log: a statement-level trigger, one insert per statement whatever the number
//! of rows, touching no row another writer touches; the log has no key, no sequence, no
//! index page every writer must lock; the trigger fires before the statement, so a failed
//! statement takes its row with it. The log is two tables, `statistics_change_log_0` and
//! `_1`, read together through the view `statistics_change_log`: a statement writes the side
//! of its transaction's start (`now()`), the sides taking turns every `LOG_SIDE_SECONDS`.
//! One gateway process, the holder of an advisory lock, folds the side not being written:
//! when no open transaction holds it (`LOCK ... NOWAIT`: it never queues in front of a
//! writer), it adds the side's rows to `statistics_table_changes.changes` and truncates it,
//! in one transaction. A table's version is its counter plus its rows still in the log: it
//! moves with every committed write and never moves back, and folding does no work per row
//! (no delete, nothing to vacuum). The log is made of ordinary tables: it replicates to
//! standbys with the data it describes.
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

/// Seconds during which statements write one side of the log before the other side.
pub const LOG_SIDE_SECONDS: i64 = 2;

/// The statements that install the capture on `table`.
pub fn create_capture(backend: DatabaseBackend, table: &str) -> Vec<String> {
    match backend {
        DatabaseBackend::Postgres => vec![format!(
            "CREATE TRIGGER stl_{table} BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} \
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
        for side in ["0", "1"] {
            script.push(format!(
                "CREATE TABLE statistics_change_log_{side} (table_name VARCHAR(64) NOT NULL, \
                 operation VARCHAR(8) NOT NULL)"
            ));
        }
        script.push(
            "CREATE VIEW statistics_change_log AS \
             SELECT table_name, operation FROM statistics_change_log_0 \
             UNION ALL SELECT table_name, operation FROM statistics_change_log_1"
                .into(),
        );
        if backend == DatabaseBackend::Postgres {
            // static SQL: the plans are prepared once per session; no read, no shared row
            script.push(format!(
                "CREATE FUNCTION {LOG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF (CAST(EXTRACT(EPOCH FROM now()) AS BIGINT) / {LOG_SIDE_SECONDS}) % 2 = 0 THEN \
                   INSERT INTO statistics_change_log_0 (table_name, operation) VALUES (TG_TABLE_NAME, TG_OP); \
                 ELSE \
                   INSERT INTO statistics_change_log_1 (table_name, operation) VALUES (TG_TABLE_NAME, TG_OP); \
                 END IF; \
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
        script.push("DROP VIEW statistics_change_log".into());
        script.push("DROP TABLE statistics_change_log_0".into());
        script.push("DROP TABLE statistics_change_log_1".into());
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
