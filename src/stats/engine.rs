//! The engine every statistic is read through: `Engine::get(group, window)`.
//!
//! One entry per (group, filter), in moka in the process (L1, bounded by bytes) in front of
//! the `statistics_cache` table (L2, shared by every replica, bounded by bytes):
//!
//! - Concurrent misses of one key compute once (single flight); joiners report a hit. The
//!   computation runs in a task of its own: a client that goes away cancels nothing.
//! - An entry is fresh until its time to live; after that it is extended when the tables it
//!   was computed from did not change (their versions), else it is served at once with
//!   `stale = true` while one background refresh runs.
//! - A change to one of its tables (versions checked at most every few seconds) makes the
//!   next request recompute it, so it sees fresh numbers. A new review recomputes the groups
//!   that read reviews, nothing else.
//! - The versions are read before the computation: an entry computed on older data is never
//!   stored under newer versions (a write committing meanwhile is seen by the next check).
//! - With the database unreachable, whatever is cached (up to the stale limit) is served as
//!   stale; with nothing cached the error is UNAVAILABLE.

use super::changes::{self, Fingerprint, Table, TableVersion, Versions};
use super::groups::{Figures, Group};
use super::shared::SharedCache;
use crate::error::{AppError, AppResult};
use crate::metrics::realtime::{self, RealTimeStats};
use crate::telemetry::TELEMETRY;
use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::OnceCell;

/// How the engine caches.
#[derive(Clone, Debug)]
pub struct CacheSettings {
    /// Time to live of an entry.
    pub ttl: Duration,
    /// Longest an expired entry may be served while the database is down.
    pub max_stale: Duration,
    /// L1 bound, in bytes of serialized entries.
    pub l1_max_bytes: u64,
    /// L2 bound, in bytes of serialized entries.
    pub l2_max_bytes: u64,
    /// Least time between two reads of the tables' versions.
    pub fingerprint_interval: std::time::Duration,
    /// Time between two stored snapshots of the unfiltered statistics.
    pub snapshot_interval: Duration,
}

/// A cached computation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// What was computed.
    pub group: Group,
    /// The figures.
    pub figures: Figures,
    /// The instant they describe (the computation's for a live filter).
    pub as_of: DateTime<Utc>,
    /// Period start.
    pub start: Option<DateTime<Utc>>,
    /// Period end.
    pub end: DateTime<Utc>,
    /// The versions of the tables read, taken before reading them.
    pub versions: Versions,
    /// When the computation finished.
    pub computed_at: DateTime<Utc>,
    /// How long it took.
    pub calculation_ms: i64,
    /// End of freshness.
    pub expires_at: DateTime<Utc>,
    /// Which path computed the figures.
    #[serde(default)]
    pub source: crate::rollups::Source,
    /// Bytes of the serialized entry (its weight in both levels).
    #[serde(skip)]
    pub size: u64,
}

/// What a request gets.
#[derive(Clone, Debug)]
pub struct Served {
    /// The entry's key.
    pub key: Arc<str>,
    /// The entry.
    pub entry: Arc<Entry>,
    /// The request did not start a computation.
    pub cache_hit: bool,
    /// The entry is past its time to live.
    pub stale: bool,
}

/// Counters, for the tests and `/metrics`.
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
    /// Reads of the tables' versions.
    pub fingerprint_checks: AtomicU64,
}

type Flight = Arc<OnceCell<Result<Arc<Entry>, AppError>>>;

/// The engine.
pub struct Engine {
    db: DatabaseConnection,
    settings: CacheSettings,
    l1: moka::future::Cache<Arc<str>, Arc<Entry>>,
    l2: SharedCache,
    inflight: Mutex<HashMap<Arc<str>, Flight>>,
    refreshing: Mutex<HashSet<Arc<str>>>,
    fingerprint: Mutex<Option<(std::time::Instant, Arc<Fingerprint>)>>,
    fingerprint_read: tokio::sync::Mutex<()>,
    invalidations: AtomicU64,
    slowest: Mutex<HashMap<&'static str, f64>>,
    rollups: std::sync::OnceLock<crate::rollups::Rollups>,
    /// Counters.
    pub counters: CacheCounters,
}

/// Longest key the shared table takes.
const MAX_KEY: usize = 200;

/// A lock that a panic elsewhere does not poison for everyone after it: the data behind
/// these locks (maps of keys, a cached fingerprint) is valid between any two statements.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The key of `group` under `window`: the group's label, then the filter.
pub fn key(group: Group, window: &Window) -> Arc<str> {
    let label = group.label();
    let filter = window.key();
    let key = format!("{label}:{filter}");
    if key.len() <= MAX_KEY {
        key.into()
    } else {
        format!("{label}:h{:016x}", fnv1a(filter.as_bytes())).into()
    }
}

/// FNV-1a, 64 bits: a stable hash for filters that would make a key too long.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Engine {
    /// An engine over `db`, keeping its shared cache there too.
    pub fn new(db: DatabaseConnection, settings: CacheSettings) -> Arc<Self> {
        Self::with_cache_pool(db.clone(), db, settings)
    }

    /// An engine over `db` that reads and writes its shared cache through `cache_db` (the
    /// same database; see `db::cache_pool`).
    pub fn with_cache_pool(
        db: DatabaseConnection,
        cache_db: DatabaseConnection,
        settings: CacheSettings,
    ) -> Arc<Self> {
        let l1 = moka::future::Cache::builder()
            .max_capacity(settings.l1_max_bytes)
            .weigher(|k: &Arc<str>, v: &Arc<Entry>| {
                u32::try_from(k.len() as u64 + v.size + 256).unwrap_or(u32::MAX)
            })
            .build();
        Arc::new(Engine {
            l2: SharedCache::new(cache_db, settings.l2_max_bytes),
            db,
            settings,
            l1,
            inflight: Mutex::new(HashMap::new()),
            refreshing: Mutex::new(HashSet::new()),
            fingerprint: Mutex::new(None),
            fingerprint_read: tokio::sync::Mutex::new(()),
            invalidations: AtomicU64::new(0),
            slowest: Mutex::new(HashMap::new()),
            rollups: std::sync::OnceLock::new(),
            counters: CacheCounters::default(),
        })
    }

    /// The database the engine reads.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Reads through the rollups with `settings` from now on (PostgreSQL; once).
    pub fn enable_rollups(&self, settings: crate::rollups::RollupSettings) {
        let _ = self.rollups.set(crate::rollups::Rollups::new(settings));
    }

    /// The rollup reader, when enabled.
    pub fn rollups(&self) -> Option<&crate::rollups::Rollups> {
        self.rollups.get().filter(|r| r.settings().enabled)
    }

    /// The figures of `group` under `window` and the path that computed them: the
    /// rollups when they serve it exactly, else the raw rows.
    pub async fn compute_figures(
        &self,
        group: Group,
        window: &Window,
    ) -> AppResult<(Figures, crate::rollups::Source)> {
        if let Some(rollups) = self.rollups()
            && let Some(found) = rollups.compute(&self.db, group, window).await?
        {
            return Ok(found);
        }
        Ok((
            group.compute(&self.db, window).await?,
            crate::rollups::Source::Raw,
        ))
    }

    /// The engine's settings.
    pub fn settings(&self) -> &CacheSettings {
        &self.settings
    }

    /// The figures of `group` under `window`, from the cache when they are current.
    pub async fn get(self: &Arc<Self>, group: Group, window: &Window) -> AppResult<Served> {
        let key = key(group, window);
        let asked_at = Utc::now();
        let cached = match self.l1.get(&key).await {
            Some(entry) => {
                self.counters.l1_hits.fetch_add(1, Ordering::Relaxed);
                TELEMETRY.cache_event("l1", "hit");
                Some(entry)
            }
            // the shared level is a cache: when it cannot answer (its pool busy with an
            // eviction, say), the request computes rather than fails; an unreachable
            // database fails the computation instead
            None => match self.l2.read(&key).await {
                Ok(Some(entry)) => {
                    self.counters.l2_hits.fetch_add(1, Ordering::Relaxed);
                    TELEMETRY.cache_event("l2", "hit");
                    let entry = Arc::new(entry);
                    self.l1.insert(key.clone(), entry.clone()).await;
                    Some(entry)
                }
                Ok(None) => None,
                Err(err) => {
                    tracing::warn!(%key, error = %err, "could not read the shared cache");
                    None
                }
            },
        };
        let Some(entry) = cached else {
            self.counters.misses.fetch_add(1, Ordering::Relaxed);
            TELEMETRY.cache_event("none", "miss");
            return self.compute_once(key, group, window, asked_at).await;
        };
        let now = Utc::now();
        match self.current_fingerprint().await {
            Ok(fp) if entry.versions.current_in(&fp) => {
                if now < entry.expires_at {
                    return Ok(served(key, entry, true, false));
                }
                // nothing it read changed: extended instead of recomputed
                let mut extended = (*entry).clone();
                extended.expires_at = now + self.settings.ttl;
                let extended = Arc::new(extended);
                self.store(&key, extended.clone()).await;
                Ok(served(key, extended, true, false))
            }
            Ok(_) if now < entry.expires_at => {
                // what it read changed: this request gets fresh numbers
                self.compute_once(key, group, window, asked_at).await
            }
            Ok(_) => {
                self.counters.stale.fetch_add(1, Ordering::Relaxed);
                TELEMETRY.cache_event("l1", "stale");
                self.refresh_in_background(key.clone(), group, window.clone());
                Ok(served(key, entry, true, true))
            }
            Err(AppError::Unavailable) => {
                // the database is unreachable: serve what we have, marked stale once expired
                if now - entry.computed_at > self.settings.max_stale {
                    return Err(AppError::Unavailable);
                }
                let stale = now >= entry.expires_at;
                if stale {
                    self.counters.stale.fetch_add(1, Ordering::Relaxed);
                    TELEMETRY.cache_event("l1", "stale");
                }
                Ok(served(key, entry, true, stale))
            }
            Err(err) => Err(err),
        }
    }

    /// Recomputes the entry of `group` under `window` and replaces it, bypassing the cache.
    pub async fn refresh(self: &Arc<Self>, group: Group, window: &Window) -> AppResult<Served> {
        let key = key(group, window);
        let entry = self
            .clone()
            .compute(key.clone(), group, window.clone())
            .await?;
        Ok(served(key, entry, false, false))
    }

    /// The real-time figures at `as_of`: never cached, but computed here like every other
    /// statistic (and counted under the group `realtime`).
    pub async fn realtime(&self, as_of: DateTime<Utc>) -> AppResult<RealTimeStats> {
        let started = std::time::Instant::now();
        let rollup = match self.rollups() {
            Some(rollups) => rollups.realtime(&self.db, as_of).await?,
            None => None,
        };
        let stats = match rollup {
            Some(stats) => stats,
            None => realtime::compute(&self.db, as_of).await?,
        };
        self.record_time("realtime", started.elapsed().as_secs_f64());
        Ok(stats)
    }

    fn record_time(&self, group: &'static str, seconds: f64) {
        TELEMETRY.group_time(group, seconds);
        let mut slowest = lock(&self.slowest);
        let longest = slowest.entry(group).or_insert(0.0);
        *longest = longest.max(seconds);
    }

    /// The longest computation of each group since the last call (for the performance
    /// detector), in seconds.
    pub fn take_slowest(&self) -> HashMap<&'static str, f64> {
        std::mem::take(&mut *lock(&self.slowest))
    }

    /// Drops the entries whose key starts with `prefix` (all of them for `None`) from both
    /// levels; returns how many distinct keys were dropped.
    pub async fn invalidate(&self, prefix: Option<&str>) -> AppResult<u64> {
        let prefix = prefix.unwrap_or("");
        let mut dropped: HashSet<Arc<str>> = HashSet::new();
        for (k, _) in self.l1.iter() {
            if k.starts_with(prefix) {
                dropped.insert(k.as_ref().clone());
            }
        }
        for k in &dropped {
            self.l1.invalidate(k).await;
        }
        self.invalidations.fetch_add(1, Ordering::Relaxed);
        for k in self.l2.invalidate(prefix).await? {
            dropped.insert(k.into());
        }
        Ok(dropped.len() as u64)
    }

    /// How many times entries were dropped by hand: answers built before a change of this
    /// number are not served again.
    pub fn invalidations(&self) -> u64 {
        self.invalidations.load(Ordering::Relaxed)
    }

    /// Deletes shared entries expired for longer than the stale limit and evicts down to the
    /// bound; returns how many went.
    pub async fn purge(&self) -> AppResult<u64> {
        self.l2.purge(Utc::now() - self.settings.max_stale).await
    }

    /// Bytes of entries in the shared table.
    pub async fn shared_bytes(&self) -> AppResult<i64> {
        self.l2.total().await
    }

    /// Whether every entry (key, computation time) is still the one in the process level,
    /// within its time to live, its tables unchanged: an answer made of them would be made
    /// again the same. Counted as one hit per entry when they all are.
    pub async fn are_fresh_hits(&self, entries: &[(Arc<str>, DateTime<Utc>)]) -> bool {
        let now = Utc::now();
        let mut found = Vec::with_capacity(entries.len());
        for (key, computed_at) in entries {
            match self.l1.get(key).await {
                Some(entry) if entry.computed_at == *computed_at && now < entry.expires_at => {
                    found.push(entry)
                }
                _ => return false,
            }
        }
        let Ok(fp) = self.current_fingerprint().await else {
            return false;
        };
        if !found.iter().all(|entry| entry.versions.current_in(&fp)) {
            return false;
        }
        let hits = found.len() as u64;
        self.counters.l1_hits.fetch_add(hits, Ordering::Relaxed);
        TELEMETRY.cache_events("l1", "hit", hits);
        true
    }

    /// The version of one table (read at most once per interval); an error when the database
    /// is unreachable.
    pub async fn table_version(&self, table: Table) -> AppResult<TableVersion> {
        Ok(self.current_fingerprint().await?.version(table).clone())
    }

    /// The versions of every watched table, read at most once per interval (concurrent
    /// readers after the interval share one read).
    pub async fn current_fingerprint(&self) -> AppResult<Arc<Fingerprint>> {
        if let Some(fp) = self.recent_fingerprint() {
            return Ok(fp);
        }
        let _one_read = self.fingerprint_read.lock().await;
        if let Some(fp) = self.recent_fingerprint() {
            return Ok(fp);
        }
        self.fingerprint_now().await
    }

    fn recent_fingerprint(&self) -> Option<Arc<Fingerprint>> {
        let cached = lock(&self.fingerprint);
        let (at, fp) = cached.as_ref()?;
        (at.elapsed() < self.settings.fingerprint_interval).then(|| fp.clone())
    }

    /// Reads the versions of every watched table now.
    pub async fn fingerprint_now(&self) -> AppResult<Arc<Fingerprint>> {
        self.counters
            .fingerprint_checks
            .fetch_add(1, Ordering::Relaxed);
        let read_at = std::time::Instant::now();
        let fp = Arc::new(changes::read(&self.db).await?);
        *lock(&self.fingerprint) = Some((read_at, fp.clone()));
        Ok(fp)
    }

    /// Computes the entry once for every request that asks meanwhile. `asked_at`: when the
    /// asking request started; an entry computed since (by a flight that ended between this
    /// request's miss and now) is as fresh as a new one and is served instead.
    async fn compute_once(
        self: &Arc<Self>,
        key: Arc<str>,
        group: Group,
        window: &Window,
        asked_at: DateTime<Utc>,
    ) -> AppResult<Served> {
        let flight: Flight = lock(&self.inflight).entry(key.clone()).or_default().clone();
        let mut ran = false;
        let computed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let result = flight
            .get_or_init(|| {
                ran = true;
                let (this, key, window, computed) =
                    (self.clone(), key.clone(), window.clone(), computed.clone());
                async move {
                    if let Some(entry) = this.l1.get(&key).await
                        && entry.computed_at >= asked_at
                    {
                        return Ok(entry);
                    }
                    computed.store(true, Ordering::Relaxed);
                    // a task of its own: the computation completes and is stored even if
                    // the request that started it goes away
                    tokio::spawn(this.compute(key, group, window))
                        .await
                        .unwrap_or(Err(AppError::Internal))
                }
            })
            .await
            .clone();
        if ran {
            lock(&self.inflight).remove(&key);
        }
        let hit = !ran || !computed.load(Ordering::Relaxed);
        result.map(|entry| served(key, entry, hit, false))
    }

    async fn compute(
        self: Arc<Self>,
        key: Arc<str>,
        group: Group,
        window: Window,
    ) -> AppResult<Arc<Entry>> {
        self.counters.computations.fetch_add(1, Ordering::Relaxed);
        // the versions first (this request's check, or one at most an interval old): if a
        // table changes while the figures are read, the next check sees a newer version
        let fingerprint = self.current_fingerprint().await?;
        let window = if window.live {
            window.at(Utc::now())
        } else {
            window
        };
        let started = std::time::Instant::now();
        let (figures, source) = self.compute_figures(group, &window).await?;
        let elapsed = started.elapsed();
        self.record_time(group.name(), elapsed.as_secs_f64());
        let computed_at = Utc::now();
        let mut entry = Entry {
            group,
            figures,
            as_of: window.as_of,
            start: window.start,
            end: window.end,
            versions: fingerprint.project(group.tables(&window)),
            computed_at,
            calculation_ms: elapsed.as_millis() as i64,
            expires_at: computed_at + self.settings.ttl,
            source,
            size: 0,
        };
        let json = serde_json::to_string(&entry).map_err(|_| AppError::Internal)?;
        entry.size = json.len() as u64;
        let entry = Arc::new(entry);
        self.l1.insert(key.clone(), entry.clone()).await;
        if let Err(err) = self.l2.write(&key, &json, &entry).await {
            tracing::warn!(%key, error = %err, "could not write the shared cache");
        }
        Ok(entry)
    }

    fn refresh_in_background(self: &Arc<Self>, key: Arc<str>, group: Group, window: Window) {
        if !lock(&self.refreshing).insert(key.clone()) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(err) = this
                .compute_once(key.clone(), group, &window, Utc::now())
                .await
            {
                tracing::warn!(%key, error = %err, "background refresh failed");
            }
            lock(&this.refreshing).remove(&key);
        });
    }

    /// Writes both levels; an L2 failure is logged, the L1 entry still serves.
    async fn store(&self, key: &Arc<str>, entry: Arc<Entry>) {
        self.l1.insert(key.clone(), entry.clone()).await;
        let json = match serde_json::to_string(entry.as_ref()) {
            Ok(json) => json,
            Err(_) => return,
        };
        if let Err(err) = self.l2.write(key, &json, &entry).await {
            tracing::warn!(%key, error = %err, "could not write the shared cache");
        }
    }
}

fn served(key: Arc<str>, entry: Arc<Entry>, cache_hit: bool, stale: bool) -> Served {
    Served {
        key,
        entry,
        cache_hit,
        stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_holding_a_lock_does_not_lock_everyone_out() {
        let m = Arc::new(Mutex::new(1));
        let held = m.clone();
        let _ = std::thread::spawn(move || {
            let _guard = held.lock().unwrap();
            panic!("a panic while holding the lock");
        })
        .join();
        assert!(m.is_poisoned());
        *lock(&m) += 1;
        assert_eq!(*lock(&m), 2);
    }
}
