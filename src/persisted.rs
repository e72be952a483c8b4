//! Automatic persisted queries (Apollo's protocol). A client sends the SHA-256 of its
//! document in `extensions.persistedQuery.sha256Hash`; an unknown hash is answered with the
//! error `PersistedQueryNotFound` (code `PERSISTED_QUERY_NOT_FOUND`), the client sends the
//! document with its hash once, and the hash alone serves from then on, by GET too (where
//! answers carry an `ETag`). Documents are kept in `statistics_persisted_queries`, shared
//! by every gateway on the database, with the ones used recently in memory.

use crate::error::{AppError, AppResult};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Documents in memory, by hash.
const MEMORY_ENTRIES: u64 = 10_000;

/// The store of registered documents.
#[derive(Clone)]
pub struct PersistedQueries {
    db: DatabaseConnection,
    memory: moka::future::Cache<String, Arc<str>>,
}

/// What a request's `persistedQuery` extension asks.
#[derive(Debug, PartialEq)]
pub enum Persisted {
    /// The hash of a document sent with it: register it.
    Register(String),
    /// The hash alone: look it up.
    Lookup(String),
}

/// Reads a request's `persistedQuery` extension (`{"version": 1, "sha256Hash": "<64 hex>"}`),
/// checking a document sent with it against its hash.
pub fn read(extension: &Value, query: &str) -> AppResult<Persisted> {
    if extension.get("version").and_then(Value::as_i64) != Some(1) {
        return Err(AppError::bad_input(
            "persistedQuery: only version 1 of Apollo's protocol is supported",
        ));
    }
    let hash = extension
        .get("sha256Hash")
        .and_then(Value::as_str)
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| {
            AppError::bad_input("persistedQuery.sha256Hash must be 64 hexadecimal digits")
        })?
        .to_ascii_lowercase();
    if query.is_empty() {
        return Ok(Persisted::Lookup(hash));
    }
    if hex::encode(Sha256::digest(query.as_bytes())) != hash {
        return Err(AppError::bad_input(
            "persistedQuery.sha256Hash is not the SHA-256 of the query sent with it",
        ));
    }
    Ok(Persisted::Register(hash))
}

impl PersistedQueries {
    /// A store on `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        PersistedQueries {
            db,
            memory: moka::future::Cache::new(MEMORY_ENTRIES),
        }
    }

    /// The document registered under `hash`, if any.
    pub async fn get(&self, hash: &str) -> AppResult<Option<Arc<str>>> {
        if let Some(query) = self.memory.get(hash).await {
            return Ok(Some(query));
        }
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DatabaseBackend::Postgres => {
                "SELECT query FROM statistics_persisted_queries WHERE sha256_hash = $1"
            }
            _ => "SELECT query FROM statistics_persisted_queries WHERE sha256_hash = ?",
        };
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, [hash.into()]))
            .await?;
        let Some(row) = row else { return Ok(None) };
        let query: Arc<str> = row.try_get::<String>("", "query")?.into();
        self.memory.insert(hash.to_string(), query.clone()).await;
        Ok(Some(query))
    }

    /// Registers `query` under its `hash` (already checked); a second registration of the
    /// same document changes nothing.
    pub async fn put(&self, hash: &str, query: &str) -> AppResult<()> {
        if self.memory.contains_key(hash) {
            return Ok(());
        }
        let backend = self.db.get_database_backend();
        let (sql, now) = match backend {
            DatabaseBackend::Postgres => (
                "INSERT INTO statistics_persisted_queries (sha256_hash, query, created_at) VALUES ($1, $2, $3) ON CONFLICT (sha256_hash) DO NOTHING",
                Utc::now().into(),
            ),
            _ => (
                "INSERT INTO statistics_persisted_queries (sha256_hash, query, created_at) VALUES (?, ?, ?) ON CONFLICT (sha256_hash) DO NOTHING",
                crate::db::sqlite_instant(Utc::now()).into(),
            ),
        };
        self.db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [hash.into(), query.into(), now],
            ))
            .await?;
        self.memory.insert(hash.to_string(), query.into()).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_extension_is_read_and_a_document_checked_against_its_hash() {
        let query = "{ __typename }";
        let hash = hex::encode(Sha256::digest(query.as_bytes()));
        let ext = json!({ "version": 1, "sha256Hash": hash });
        assert_eq!(
            read(&ext, query).unwrap(),
            Persisted::Register(hash.clone())
        );
        assert_eq!(read(&ext, "").unwrap(), Persisted::Lookup(hash.clone()));
        let upper = json!({ "version": 1, "sha256Hash": hash.to_uppercase() });
        assert_eq!(read(&upper, "").unwrap(), Persisted::Lookup(hash.clone()));
        for bad in [
            json!({ "version": 2, "sha256Hash": hash }),
            json!({ "version": 1, "sha256Hash": "abc" }),
            json!({ "version": 1 }),
            json!("x"),
        ] {
            assert_eq!(
                read(&bad, "").unwrap_err().code(),
                "BAD_USER_INPUT",
                "{bad}"
            );
        }
        // a document that is not the hash's
        assert_eq!(
            read(&ext, "{ me { id } }").unwrap_err().code(),
            "BAD_USER_INPUT"
        );
    }
}
