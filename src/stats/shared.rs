//! The shared level of the cache: the `statistics_cache` table, read by every replica on the
//! database, bounded in bytes. Over the bound, expired entries go first, then the least
//! recently used.

use super::engine::Entry;
use crate::db::Sql;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, FromQueryResult};
use std::sync::atomic::{AtomicI64, Ordering};

/// Eviction brings the table down to this share of its bound, so it runs once per tenth of
/// the bound written rather than on every write.
const EVICT_TO: f64 = 0.9;

/// The `statistics_cache` table.
pub struct SharedCache {
    db: DatabaseConnection,
    max_bytes: u64,
    /// Bytes written since the last count (an estimate between counts; each replica keeps
    /// its own and the periodic purge recounts).
    used: AtomicI64,
    evicting: tokio::sync::Mutex<()>,
}

#[derive(FromQueryResult)]
struct Data {
    data: String,
}

#[derive(FromQueryResult)]
struct Total {
    total: i64,
}

#[derive(FromQueryResult)]
struct Key {
    cache_key: String,
}

#[derive(FromQueryResult)]
struct Size {
    size_bytes: i64,
}

/// Entries deleted by one eviction statement.
const EVICT_CHUNK: i64 = 500;

impl SharedCache {
    /// The table behind `db`, bounded by `max_bytes` of cached data.
    pub fn new(db: DatabaseConnection, max_bytes: u64) -> Self {
        SharedCache {
            db,
            max_bytes,
            used: AtomicI64::new(-1),
            evicting: tokio::sync::Mutex::new(()),
        }
    }

    /// The entry under `key`, if any still parses (one written by another version that no
    /// longer does is a miss); marks it used.
    pub async fn read(&self, key: &str) -> AppResult<Option<Entry>> {
        let mut sql = Sql::new(self.db.get_database_backend());
        let k = sql.bind(key.to_string());
        sql.push(&format!(
            "SELECT CAST(cache_data AS TEXT) AS data FROM statistics_cache WHERE cache_key = {k}"
        ));
        let Some(row) = Data::find_by_statement(sql.statement())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let Ok(mut entry) = serde_json::from_str::<Entry>(&row.data) else {
            return Ok(None);
        };
        entry.size = row.data.len() as u64;
        self.touch(key).await;
        Ok(Some(entry))
    }

    async fn touch(&self, key: &str) {
        let mut sql = Sql::new(self.db.get_database_backend());
        let now = sql.instant(Utc::now());
        let k = sql.bind(key.to_string());
        sql.push(&format!(
            "UPDATE statistics_cache SET last_used_at = {now} WHERE cache_key = {k}"
        ));
        if let Err(err) = self.db.execute_raw(sql.statement()).await {
            tracing::debug!(error = %err, "could not mark a shared cache entry used");
        }
    }

    /// Writes `json` (the entry) under `key`, then evicts if the table is over its bound.
    pub async fn write(&self, key: &str, json: &str, entry: &Entry) -> AppResult<()> {
        let backend = self.db.get_database_backend();
        let mut sql = Sql::new(backend);
        let k = sql.bind(key.to_string());
        let data = match backend {
            DatabaseBackend::Postgres => format!("CAST({} AS JSONB)", sql.bind(json.to_string())),
            _ => sql.bind(json.to_string()),
        };
        let expires = sql.instant(entry.expires_at);
        let ms = sql.bind(entry.calculation_ms);
        let size = (json.len() + key.len()) as i64;
        let bytes = sql.bind(size);
        let now = sql.instant(Utc::now());
        sql.push(&format!(
            "INSERT INTO statistics_cache (cache_key, cache_data, expires_at, calculation_ms, size_bytes, \
               created_at, updated_at, last_used_at) \
             VALUES ({k}, {data}, {expires}, {ms}, {bytes}, {now}, {now}, {now}) \
             ON CONFLICT (cache_key) DO UPDATE SET cache_data = excluded.cache_data, \
               expires_at = excluded.expires_at, calculation_ms = excluded.calculation_ms, \
               size_bytes = excluded.size_bytes, updated_at = excluded.updated_at, \
               last_used_at = excluded.last_used_at"
        ));
        self.db.execute_raw(sql.statement()).await?;
        // unknown (negative) until the first count
        let before = self.used.fetch_add(size, Ordering::Relaxed);
        if before < 0 || (before + size) as u64 > self.max_bytes {
            self.evict().await?;
        }
        Ok(())
    }

    /// Brings the table under its bound (to 90 % of it when over): expired entries first,
    /// oldest expiry first, then the least recently used, a chunk at a time through their
    /// indexes (no sort of the table, no cached document read). Returns the entries dropped.
    pub async fn evict(&self) -> AppResult<u64> {
        let _one_at_a_time = self.evicting.lock().await;
        let total = self.total().await?;
        let mut excess = total - (self.max_bytes as f64 * EVICT_TO) as i64;
        if total as u64 <= self.max_bytes {
            self.used.store(total, Ordering::Relaxed);
            return Ok(0);
        }
        let mut dropped = 0u64;
        for expired in [true, false] {
            while excess > 0 {
                let freed = self.evict_chunk(expired).await?;
                if freed.is_empty() {
                    break;
                }
                dropped += freed.len() as u64;
                excess -= freed.iter().sum::<i64>();
            }
        }
        self.used.store(self.total().await?, Ordering::Relaxed);
        crate::telemetry::TELEMETRY.cache_evictions.inc_by(dropped);
        Ok(dropped)
    }

    /// Deletes up to `EVICT_CHUNK` entries, the expired ones by expiry or else the least
    /// recently used; returns their sizes.
    async fn evict_chunk(&self, expired: bool) -> AppResult<Vec<i64>> {
        let mut sql = Sql::new(self.db.get_database_backend());
        let chunk = sql.bind(EVICT_CHUNK);
        let chosen = if expired {
            let now = sql.instant(Utc::now());
            format!(
                "SELECT cache_key FROM statistics_cache WHERE expires_at < {now} \
                 ORDER BY expires_at LIMIT {chunk}"
            )
        } else {
            format!("SELECT cache_key FROM statistics_cache ORDER BY last_used_at LIMIT {chunk}")
        };
        sql.push(&format!(
            "DELETE FROM statistics_cache WHERE cache_key IN ({chosen}) RETURNING size_bytes"
        ));
        Ok(sql
            .rows::<Size>(&self.db)
            .await?
            .into_iter()
            .map(|s| s.size_bytes)
            .collect())
    }

    /// Bytes of cached data in the table.
    pub async fn total(&self) -> AppResult<i64> {
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push(
            "SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) AS total FROM statistics_cache",
        );
        Ok(Total::find_by_statement(sql.statement())
            .one(&self.db)
            .await?
            .map_or(0, |t| t.total))
    }

    /// Drops the entries whose key starts with `prefix`; returns their keys.
    pub async fn invalidate(&self, prefix: &str) -> AppResult<Vec<String>> {
        let mut sql = Sql::new(self.db.get_database_backend());
        let pattern = format!(
            "{}%",
            prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let p = sql.bind(pattern);
        sql.push(&format!(
            "DELETE FROM statistics_cache WHERE cache_key LIKE {p} ESCAPE '\\' RETURNING cache_key"
        ));
        let keys = Key::find_by_statement(sql.statement())
            .all(&self.db)
            .await?
            .into_iter()
            .map(|k| k.cache_key)
            .collect();
        self.used.store(-1, Ordering::Relaxed);
        Ok(keys)
    }

    /// Deletes entries expired before `before` (too old to serve even during an outage),
    /// then evicts if the table is over its bound; returns the entries dropped.
    pub async fn purge(&self, before: DateTime<Utc>) -> AppResult<u64> {
        let mut sql = Sql::new(self.db.get_database_backend());
        let b = sql.instant(before);
        sql.push(&format!(
            "DELETE FROM statistics_cache WHERE expires_at < {b}"
        ));
        let purged = self
            .db
            .execute_raw(sql.statement())
            .await
            .map_err(AppError::from)?
            .rows_affected();
        Ok(purged + self.evict().await?)
    }
}
