//! Change counters for the cache's fingerprint: `statistics_table_changes` holds, for each
//! table the statistics read, its row count and a count of the writes to it, kept by
//! triggers. Reading them is one small-table read, where `COUNT(*)` over millions of rows
//! is not (PostgreSQL has no stored row count). Replaced by the change log of 000008 (every
//! writer updated one shared row here); kept as it ran, for the databases it ran on.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// The tables whose changes this migration counted.
const WATCHED_TABLES: [&str; 7] = [
    "users",
    "technicians",
    "repair_requests",
    "payments",
    "reviews",
    "login_events",
    "statistics_alerts",
];

/// The statements that create the triggers keeping `statistics_table_changes` for `table`.
pub fn create_triggers(backend: DatabaseBackend, table: &str) -> Vec<String> {
    let set = |change: &str| {
        format!("UPDATE statistics_table_changes SET {change} WHERE table_name = '{table}'")
    };
    match backend {
        DatabaseBackend::Postgres => vec![
            format!(
                "CREATE TRIGGER stc_{table}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows \
                 FOR EACH STATEMENT EXECUTE FUNCTION statistics_rows_inserted()"
            ),
            format!(
                "CREATE TRIGGER stc_{table}_delete AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows \
                 FOR EACH STATEMENT EXECUTE FUNCTION statistics_rows_deleted()"
            ),
            format!(
                "CREATE TRIGGER stc_{table}_update AFTER UPDATE ON {table} \
                 FOR EACH STATEMENT EXECUTE FUNCTION statistics_rows_updated()"
            ),
            format!(
                "CREATE TRIGGER stc_{table}_truncate AFTER TRUNCATE ON {table} \
                 FOR EACH STATEMENT EXECUTE FUNCTION statistics_rows_truncated()"
            ),
        ],
        _ => vec![
            format!(
                "CREATE TRIGGER stc_{table}_insert AFTER INSERT ON {table} BEGIN {}; END",
                set("row_count = row_count + 1, changes = changes + 1")
            ),
            format!(
                "CREATE TRIGGER stc_{table}_delete AFTER DELETE ON {table} BEGIN {}; END",
                set("row_count = row_count - 1, changes = changes + 1")
            ),
            format!(
                "CREATE TRIGGER stc_{table}_update AFTER UPDATE ON {table} BEGIN {}; END",
                set("changes = changes + 1")
            ),
        ],
    }
}

/// The statements that drop the triggers of `table` (those that exist).
pub fn drop_triggers(backend: DatabaseBackend, table: &str) -> Vec<String> {
    let ops: &[&str] = match backend {
        DatabaseBackend::Postgres => &["insert", "delete", "update", "truncate"],
        _ => &["insert", "delete", "update"],
    };
    ops.iter()
        .map(|op| match backend {
            DatabaseBackend::Postgres => {
                format!("DROP TRIGGER IF EXISTS stc_{table}_{op} ON {table}")
            }
            _ => format!("DROP TRIGGER IF EXISTS stc_{table}_{op}"),
        })
        .collect()
}

const PG_FUNCTIONS: [&str; 4] = [
    "CREATE FUNCTION statistics_rows_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       UPDATE statistics_table_changes SET row_count = row_count + (SELECT COUNT(*) FROM new_rows), \
       changes = changes + 1 WHERE table_name = TG_TABLE_NAME; RETURN NULL; END $$",
    "CREATE FUNCTION statistics_rows_deleted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       UPDATE statistics_table_changes SET row_count = row_count - (SELECT COUNT(*) FROM old_rows), \
       changes = changes + 1 WHERE table_name = TG_TABLE_NAME; RETURN NULL; END $$",
    "CREATE FUNCTION statistics_rows_updated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       UPDATE statistics_table_changes SET changes = changes + 1 WHERE table_name = TG_TABLE_NAME; \
       RETURN NULL; END $$",
    "CREATE FUNCTION statistics_rows_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       UPDATE statistics_table_changes SET row_count = 0, changes = changes + 1 \
       WHERE table_name = TG_TABLE_NAME; RETURN NULL; END $$",
];

/// The statements that create the PostgreSQL trigger functions.
pub fn create_functions() -> Vec<String> {
    PG_FUNCTIONS.iter().map(|f| String::from(*f)).collect()
}

/// The statements that drop the PostgreSQL trigger functions.
pub fn drop_functions() -> Vec<String> {
    ["inserted", "deleted", "updated", "truncated"]
        .iter()
        .map(|f| format!("DROP FUNCTION IF EXISTS statistics_rows_{f}()"))
        .collect()
}

/// The migration of this file.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20260101_000005_count_table_changes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let mut script = vec![
            "CREATE TABLE statistics_table_changes (table_name VARCHAR(64) PRIMARY KEY, \
             row_count BIGINT NOT NULL, changes BIGINT NOT NULL)"
                .to_string(),
        ];
        for table in WATCHED_TABLES {
            script.push(format!(
                "INSERT INTO statistics_table_changes (table_name, row_count, changes) \
                 SELECT '{table}', COUNT(*), 0 FROM {table}"
            ));
        }
        if backend == DatabaseBackend::Postgres {
            script.extend(create_functions());
        }
        for table in WATCHED_TABLES {
            script.extend(create_triggers(backend, table));
        }
        for statement in script {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let mut script: Vec<String> = WATCHED_TABLES
            .iter()
            .flat_map(|table| drop_triggers(backend, table))
            .collect();
        if backend == DatabaseBackend::Postgres {
            script.extend(drop_functions());
        }
        script.push("DROP TABLE statistics_table_changes".to_string());
        for statement in script {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}
