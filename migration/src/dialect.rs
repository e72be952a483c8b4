//! Column types spelled per engine, so each table is written once as DDL.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// Replaces the engine-neutral type words of a DDL statement with the engine's own.
///
/// `PK` is a 64-bit autoincrement primary key, `TSTZ` a UTC instant (`TIMESTAMPTZ` on
/// PostgreSQL, RFC 3339 text on SQLite), `MONEY` an exact `NUMERIC(15,2)`, `JSON` a JSON
/// document, `BOOL` a boolean.
pub fn ddl(backend: DatabaseBackend, sql: &str) -> String {
    let words: &[(&str, &str)] = match backend {
        DatabaseBackend::Postgres => &[
            ("PK", "BIGSERIAL PRIMARY KEY"),
            ("TSTZ", "TIMESTAMPTZ"),
            ("MONEY", "NUMERIC(15,2)"),
            ("JSON", "JSONB"),
            ("BOOL", "BOOLEAN"),
            ("FLOAT", "DOUBLE PRECISION"),
        ],
        _ => &[
            ("PK", "INTEGER PRIMARY KEY AUTOINCREMENT"),
            ("TSTZ", "TEXT"),
            ("MONEY", "NUMERIC(15,2)"),
            ("JSON", "TEXT"),
            ("BOOL", "BOOLEAN"),
            ("FLOAT", "REAL"),
        ],
    };
    let mut out = String::with_capacity(sql.len() + 64);
    for token in split_keep(sql) {
        match words.iter().find(|(w, _)| *w == token) {
            Some((_, replacement)) => out.push_str(replacement),
            None => out.push_str(token),
        }
    }
    out
}

/// Splits text into identifier-like words and the characters between them, keeping both.
fn split_keep(sql: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_word = false;
    for (i, c) in sql.char_indices() {
        let word_char = c.is_ascii_alphanumeric() || c == '_';
        if word_char != in_word {
            if i > start {
                parts.push(&sql[start..i]);
            }
            start = i;
            in_word = word_char;
        }
    }
    if start < sql.len() {
        parts.push(&sql[start..]);
    }
    parts
}

/// Runs each statement (separated by `;`) after translating its types for the engine.
pub async fn run(manager: &SchemaManager<'_>, script: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = db.get_database_backend();
    for statement in script.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        db.execute_unprepared(&ddl(backend, statement)).await?;
    }
    Ok(())
}

/// Begins a transaction on one connection and runs each script's statements in it (types
/// translated for the engine); the caller adds what it needs and commits. A table rebuild
/// needs this: on a pool, a connection still reading the old schema refuses the next
/// statement.
pub async fn begin_with(
    manager: &SchemaManager<'_>,
    scripts: &[&str],
) -> Result<sea_orm_migration::sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm_migration::sea_orm::TransactionTrait;
    let backend = manager.get_connection().get_database_backend();
    let db = manager.get_connection().begin().await?;
    for statement in scripts
        .iter()
        .flat_map(|s| s.split(';'))
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        db.execute_unprepared(&ddl(backend, statement)).await?;
    }
    Ok(db)
}

/// Declares a migration `Migration` named `$name` that runs the `UP` script forward and the
/// `DOWN` script back (both in the engine-neutral words of [`ddl`]).
#[macro_export]
macro_rules! ddl_migration {
    ($name:literal) => {
        /// The migration of this file.
        pub struct Migration;

        impl MigrationName for Migration {
            fn name(&self) -> &str {
                $name
            }
        }

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                $crate::dialect::run(manager, UP).await
            }

            async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
                $crate::dialect::run(manager, DOWN).await
            }
        }
    };
}
