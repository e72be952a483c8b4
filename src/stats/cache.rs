//! The statistics cache: moka in the process (L1, bounded by bytes) in front of the
//! `statistics_cache` table (L2, shared by every replica on the database).
//!
//! - Concurrent misses of one key compute once (single flight); joiners report a hit.
//! - An entry is fresh until its time to live; after that it is extended when the source
//!   tables did not change (their fingerprint), else it is served at once with
//!   `stale = true` while one background refresh runs.
//! - A changed fingerprint (checked at most every few seconds) makes the next request
//!   recompute, so it sees fresh numbers.
//! - With the database unreachable, whatever is cached (up to the stale limit) is served
//!   as stale; with nothing cached the error is UNAVAILABLE.

use crate::db::Sql;
use crate::error::{AppError, AppResult};
use crate::stats::global::{self, GlobalData};
use crate::stats::snapshots;
use crate::stats::{Window, WindowInput};
use crate::telemetry::TELEMETRY;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use migration::m20260101_000005_count_table_changes::WATCHED_TABLES;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// How the cache behaves.
#[derive(Clone, Debug)]
pub struct CacheSettings {
    /// Time to live of an entry.
    pub ttl: Duration,
    /// Longest an expired entry may be served while the database is down.
    pub max_stale: Duration,
    /// L1 bound, in bytes of serialized payload.
    pub l1_max_bytes: u64,
    /// Least time between two fingerprint checks.
    pub fingerprint_interval: std::time::Duration,
    /// Least time between two stored snapshots of the unfiltered statistics.
    pub snapshot_interval: Duration,
}

/// A cached computation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// The figures.
    pub data: GlobalData,
    /// The window they were computed for (`as_of` is the computation's instant when the
    /// filter had no `asOf`).
    pub as_of: DateTime<Utc>,
    /// Period start.
    pub start: Option<DateTime<Utc>>,
    /// Period end.
    pub end: DateTime<Utc>,
    /// Fingerprint of the source tables when computed.
    pub fingerprint: String,
    /// End of freshness.
    pub expires_at: DateTime<Utc>,
}

impl Entry {
    /// The window to resolve nested fields with.
    pub fn window(&self, base: &Window) -> Window {
        Window {
            as_of: self.as_of,
            start: self.start,
            end: self.end,
            ..base.clone()
        }
    }
}

/// What a request gets.
#[derive(Clone, Debug)]
pub struct Served {
    /// The entry.
    pub entry: Arc<Entry>,
    /// The request did not start a computation.
    pub cache_hit: bool,
    /// The entry is past its time to live.
    pub stale: bool,
}

/// Counters, for `/metrics` and the tests.
#[derive(Debug, Default)]
pub struct CacheCounters {
    /// Computations started.
    pub computations: AtomicU64,
    /// L1 hits.
    pub l1_hits: AtomicU64,
    /// L2 hits.
    pub l2_hits: AtomicU64,
    /// Misses in both levels.
    pub misses: AtomicU64,
    /// Stale answers.
    pub stale: AtomicU64,
    /// Fingerprint queries run.
    pub fingerprint_checks: AtomicU64,
}

type Flight = Arc<OnceCell<Result<Arc<Entry>, AppError>>>;

/// The cache and the computations behind it.
pub struct StatsCache {
    db: DatabaseConnection,
    settings: CacheSettings,
    l1: moka::future::Cache<String, Arc<Entry>>,
    inflight: Mutex<HashMap<String, Flight>>,
    refreshing: Mutex<HashSet<String>>,
    fingerprint: Mutex<Option<(std::time::Instant, String)>>,
    /// Counters.
    pub counters: CacheCounters,
}

/// The L2 key of a global computation: the group, then the filter as the client gave it
/// (normalised: a custom range replaces the period; no `asOf` is "live").
pub fn key(input: &WindowInput, tz: Tz) -> String {
    let t = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
    let span = if input.from.is_some() || input.to.is_some() {
        format!("{}..{}", t(input.from), t(input.to))
    } else {
        format!("{:?}", input.period.unwrap_or_default())
    };
    let as_of = input
        .as_of
        .map_or_else(|| "live".to_string(), |a| a.to_rfc3339());
    let filter = format!(
        "{as_of}|{span}|{}|{}|{}",
        tz.name(),
        input.city.as_deref().unwrap_or(""),
        input.specialty.as_deref().unwrap_or("")
    );
    let key = format!("global:{filter}");
    if key.len() <= 200 {
        key
    } else {
        format!("global:h{:016x}", fnv1a(filter.as_bytes()))
    }
}

/// FNV-1a, 64 bits: a stable hash for keys that would be too long.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl StatsCache {
    /// A cache over `db`.
    pub fn new(db: DatabaseConnection, settings: CacheSettings) -> Arc<Self> {
        let l1 = moka::future::Cache::builder()
            .max_capacity(settings.l1_max_bytes)
            .weigher(|k: &String, v: &Arc<Entry>| {
                let bytes = k.len() + serde_json::to_vec(v.as_ref()).map_or(64 * 1024, |b| b.len());
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .build();
        Arc::new(StatsCache {
            db,
            settings,
            l1,
            inflight: Mutex::new(HashMap::new()),
            refreshing: Mutex::new(HashSet::new()),
            fingerprint: Mutex::new(None),
            counters: CacheCounters::default(),
        })
    }

    /// The global statistics for `window` (`live`: the filter had no `asOf`).
    pub async fn global(self: &Arc<Self>, key: &str, window: &Window) -> AppResult<Served> {
        let key = key.to_string();
        let cached = match self.l1.get(&key).await {
            Some(entry) => {
                self.counters.l1_hits.fetch_add(1, Ordering::Relaxed);
                TELEMETRY.cache_event("l1", "hit");
                Some(entry)
            }
            None => match self.read_l2(&key).await {
                Ok(Some(entry)) => {
                    self.counters.l2_hits.fetch_add(1, Ordering::Relaxed);
                    TELEMETRY.cache_event("l2", "hit");
                    let entry = Arc::new(entry);
                    self.l1.insert(key.clone(), entry.clone()).await;
                    Some(entry)
                }
                Ok(None) => None,
                Err(err) => return Err(err),
            },
        };
        let Some(entry) = cached else {
            self.counters.misses.fetch_add(1, Ordering::Relaxed);
            TELEMETRY.cache_event("none", "miss");
            return self.compute_once(&key, window).await;
        };
        let now = Utc::now();
        match self.current_fingerprint().await {
            Ok(fp) if fp == entry.fingerprint => {
                if now < entry.expires_at {
                    return Ok(Served {
                        entry,
                        cache_hit: true,
                        stale: false,
                    });
                }
                // nothing changed: extend instead of recomputing
                let mut extended = (*entry).clone();
                extended.expires_at = now + self.settings.ttl;
                let extended = Arc::new(extended);
                self.store(&key, extended.clone()).await;
                Ok(Served {
                    entry: extended,
                    cache_hit: true,
                    stale: false,
                })
            }
            Ok(_) if now < entry.expires_at => {
                // the data changed: this request gets fresh numbers
                self.compute_once(&key, window).await
            }
            Ok(_) => {
                self.counters.stale.fetch_add(1, Ordering::Relaxed);
                TELEMETRY.cache_event("l1", "stale");
                self.refresh_in_background(key, window.clone());
                Ok(Served {
                    entry,
                    cache_hit: true,
                    stale: true,
                })
            }
            Err(_) => {
                // the database is unreachable: serve what we have, marked stale once expired
                if now - entry.data.computed_at > self.settings.max_stale {
                    return Err(AppError::Unavailable);
                }
                let stale = now >= entry.expires_at;
                if stale {
                    self.counters.stale.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Served {
                    entry,
                    cache_hit: true,
                    stale,
                })
            }
        }
    }

    /// Recomputes and replaces the entry of `window`, bypassing the cache.
    pub async fn refresh(self: &Arc<Self>, key: &str, window: &Window) -> AppResult<Served> {
        let entry = self.compute(key, window).await?;
        Ok(Served {
            entry,
            cache_hit: false,
            stale: false,
        })
    }

    /// Drops the entries whose key starts with `prefix` (all of them for `None`) from both
    /// levels; returns how many distinct keys were dropped.
    pub async fn invalidate(&self, prefix: Option<&str>) -> AppResult<u64> {
        let prefix = prefix.unwrap_or("");
        let mut dropped: HashSet<String> = HashSet::new();
        for (k, _) in self.l1.iter() {
            if k.starts_with(prefix) {
                dropped.insert(k.as_ref().clone());
            }
        }
        for k in &dropped {
            self.l1.invalidate(k).await;
        }
        let backend = self.db.get_database_backend();
        let mut sql = Sql::new(backend);
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
        for row in sql.all(&self.db).await? {
            dropped.insert(row.try_get_by_index::<String>(0).map_err(AppError::from)?);
        }
        Ok(dropped.len() as u64)
    }

    /// Deletes L2 rows expired for longer than the stale limit; returns how many.
    pub async fn purge_expired(&self) -> AppResult<u64> {
        let mut sql = Sql::new(self.db.get_database_backend());
        let before = sql.instant(Utc::now() - self.settings.max_stale);
        sql.push(&format!(
            "DELETE FROM statistics_cache WHERE expires_at < {before}"
        ));
        Ok(self.db.execute_raw(sql.statement()).await?.rows_affected())
    }

    async fn compute_once(self: &Arc<Self>, key: &str, window: &Window) -> AppResult<Served> {
        let flight: Flight = {
            let mut inflight = self.inflight.lock().expect("inflight lock");
            inflight.entry(key.to_string()).or_default().clone()
        };
        let mut ran = false;
        let result = flight
            .get_or_init(|| {
                ran = true;
                async { self.compute(key, window).await }
            })
            .await
            .clone();
        if ran {
            self.inflight.lock().expect("inflight lock").remove(key);
        }
        result.map(|entry| Served {
            entry,
            cache_hit: !ran,
            stale: false,
        })
    }

    async fn compute(&self, key: &str, window: &Window) -> AppResult<Arc<Entry>> {
        self.counters.computations.fetch_add(1, Ordering::Relaxed);
        // the fingerprint this request's check just read (or one at most an interval old): if
        // rows change meanwhile, the next check sees a different one and recomputes
        let fingerprint = self.current_fingerprint().await?;
        let data = global::compute(&self.db, window).await?;
        let entry = Arc::new(Entry {
            data,
            as_of: window.as_of,
            start: window.start,
            end: window.end,
            fingerprint,
            expires_at: Utc::now() + self.settings.ttl,
        });
        self.store(key, entry.clone()).await;
        if key == self::key(&WindowInput::default(), window.tz) {
            match snapshots::maybe_store(&self.db, &entry, self.settings.snapshot_interval).await {
                Ok(stored) => tracing::debug!(stored, "snapshot"),
                Err(err) => tracing::warn!(error = %err, "could not store a snapshot"),
            }
        }
        Ok(entry)
    }

    fn refresh_in_background(self: &Arc<Self>, key: String, window: Window) {
        if !self
            .refreshing
            .lock()
            .expect("refreshing lock")
            .insert(key.clone())
        {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(err) = this.compute_once(&key, &window).await {
                tracing::warn!(%key, error = %err, "background refresh failed");
            }
            this.refreshing
                .lock()
                .expect("refreshing lock")
                .remove(&key);
        });
    }

    /// Writes both levels; an L2 failure is logged, the L1 entry still serves.
    async fn store(&self, key: &str, entry: Arc<Entry>) {
        self.l1.insert(key.to_string(), entry.clone()).await;
        if let Err(err) = self.write_l2(key, &entry).await {
            tracing::warn!(%key, error = %err, "could not write the shared cache");
        }
    }

    async fn write_l2(&self, key: &str, entry: &Entry) -> AppResult<()> {
        let backend = self.db.get_database_backend();
        let json = serde_json::to_string(entry).map_err(|_| AppError::Internal)?;
        let mut sql = Sql::new(backend);
        let k = sql.bind(key.to_string());
        let data = match backend {
            sea_orm::DatabaseBackend::Postgres => format!("CAST({} AS JSONB)", sql.bind(json)),
            _ => sql.bind(json),
        };
        let expires = sql.instant(entry.expires_at);
        let ms = sql.bind(entry.data.calculation_ms);
        let now = sql.instant(Utc::now());
        sql.push(&format!(
            "INSERT INTO statistics_cache (cache_key, cache_data, expires_at, calculation_ms, created_at, updated_at) \
             VALUES ({k}, {data}, {expires}, {ms}, {now}, {now}) \
             ON CONFLICT (cache_key) DO UPDATE SET cache_data = excluded.cache_data, expires_at = excluded.expires_at, \
             calculation_ms = excluded.calculation_ms, updated_at = excluded.updated_at"
        ));
        self.db.execute_raw(sql.statement()).await?;
        Ok(())
    }

    async fn read_l2(&self, key: &str) -> AppResult<Option<Entry>> {
        let mut sql = Sql::new(self.db.get_database_backend());
        let k = sql.bind(key.to_string());
        sql.push(&format!(
            "SELECT CAST(cache_data AS TEXT) FROM statistics_cache WHERE cache_key = {k}"
        ));
        let rows = sql.all(&self.db).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let text: String = row.try_get_by_index(0).map_err(AppError::from)?;
        // an entry written by another version that no longer parses is a miss
        Ok(serde_json::from_str(&text).ok())
    }

    /// The version of the `users` table: its part of the fingerprint (queried at most once
    /// per interval); an error when the database is unreachable.
    pub async fn users_version(&self) -> AppResult<String> {
        let fp = self.current_fingerprint().await?;
        // the parts follow WATCHED_TABLES, separated by '|'
        let users = WATCHED_TABLES
            .iter()
            .position(|t| *t == "users")
            .unwrap_or(0);
        Ok(fp.split('|').nth(users).unwrap_or_default().to_string())
    }

    /// Whether a request for `key` would now be served, as a fresh hit, the computation
    /// that finished at `computed_at`: it is still the entry in L1, within its time to
    /// live, and the source tables have not changed since (fingerprint checked at most once
    /// per interval). Counted as an L1 hit when it is.
    pub async fn is_fresh_hit(&self, key: &str, computed_at: DateTime<Utc>) -> bool {
        let Some(entry) = self.l1.get(key).await else {
            return false;
        };
        if entry.data.computed_at != computed_at || Utc::now() >= entry.expires_at {
            return false;
        }
        match self.current_fingerprint().await {
            Ok(fp) if fp == entry.fingerprint => {
                self.counters.l1_hits.fetch_add(1, Ordering::Relaxed);
                TELEMETRY.cache_event("l1", "hit");
                true
            }
            _ => false,
        }
    }

    /// The fingerprint, queried at most once per interval.
    async fn current_fingerprint(&self) -> AppResult<String> {
        if let Some((at, fp)) = self.fingerprint.lock().expect("fingerprint lock").as_ref()
            && at.elapsed() < self.settings.fingerprint_interval
        {
            return Ok(fp.clone());
        }
        self.fingerprint_now().await
    }

    /// Row count, write count and latest change of every source table, in one statement.
    pub async fn fingerprint_now(&self) -> AppResult<String> {
        self.counters
            .fingerprint_checks
            .fetch_add(1, Ordering::Relaxed);
        let backend = self.db.get_database_backend();
        // row count and write count kept by triggers (migration 000005), latest change
        // through the table's index: a handful of index probes, whatever the table sizes
        let parts: Vec<String> = WATCHED_TABLES
            .iter()
            .map(|t| {
                // alerts have no updated_at: their ids only grow
                let changed = if *t == "statistics_alerts" {
                    "id"
                } else {
                    "updated_at"
                };
                format!(
                    "COALESCE((SELECT row_count || ':' || changes FROM statistics_table_changes \
                     WHERE table_name = '{t}'), '?') || ':' || \
                     COALESCE((SELECT CAST(MAX({changed}) AS TEXT) FROM {t}), '-')"
                )
            })
            .collect();
        let sql = format!("SELECT {}", parts.join(" || '|' || "));
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(backend, sql))
            .await?
            .ok_or(AppError::Internal)?;
        let fp: String = row.try_get_by_index(0).map_err(AppError::from)?;
        *self.fingerprint.lock().expect("fingerprint lock") =
            Some((std::time::Instant::now(), fp.clone()));
        Ok(fp)
    }
}
