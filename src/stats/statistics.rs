//! `Statistics`: the groups one question needs, read through the engine under one window,
//! with the metadata of what was served. GraphQL, exports, alerts and widgets all read
//! statistics this way.

use super::engine::{Engine, Served};
use super::groups::{Group, GroupFigures};
use crate::error::{AppError, AppResult};
use crate::metrics::advanced::{self, AdvancedMetrics};
use crate::metrics::financial::FinancialStats;
use crate::metrics::overview::{self, OverviewStats, UserCounts};
use crate::metrics::requests::RequestStats;
use crate::metrics::satisfaction::SatisfactionStats;
use crate::metrics::security::{SecurityStats, SuspiciousIp};
use crate::metrics::technicians::{TechnicianStats, TopTechnician};
use crate::metrics::trends::{Granularity, TrendPoint, Trends};
use crate::window::Window;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The entries one request read, to tell whether its answer may be kept as bytes.
#[derive(Debug, Default)]
pub struct Reads {
    state: Mutex<ReadsState>,
}

#[derive(Debug, Default)]
struct ReadsState {
    tainted: bool,
    entries: Vec<(Arc<str>, DateTime<Utc>)>,
    /// Something outside the engine was read.
    outside: bool,
    /// The oldest `computed_at` of every entry served, and whether any was stale.
    oldest: Option<DateTime<Utc>>,
    stale: bool,
    /// Entries served from the cache, and computed.
    hits: u32,
    misses: u32,
}

impl Reads {
    fn state(&self) -> MutexGuard<'_, ReadsState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records an entry served; anything but a fresh hit makes the answer one not to keep.
    pub fn served(&self, served: &Served) {
        let mut state = self.state();
        let computed = served.entry.computed_at;
        state.oldest = Some(state.oldest.map_or(computed, |o| o.min(computed)));
        state.stale |= served.stale;
        if served.cache_hit {
            state.hits += 1;
        } else {
            state.misses += 1;
        }
        if !served.cache_hit || served.stale {
            state.tainted = true;
        } else {
            state
                .entries
                .push((served.key.clone(), served.entry.computed_at));
        }
    }

    /// Marks the answer as one not to keep (it read something outside the engine).
    pub fn taint(&self) {
        let mut state = self.state();
        state.tainted = true;
        state.outside = true;
    }

    /// For the request log: `hit` when every entry served came from the cache, `miss` when
    /// one was computed, `none` when no statistics were read.
    pub fn cache_outcome(&self) -> &'static str {
        let state = self.state();
        match (state.hits, state.misses) {
            (0, 0) => "none",
            (_, 0) => "hit",
            _ => "miss",
        }
    }

    /// When the answer was made of engine entries only: the oldest entry's `computed_at`
    /// and whether any entry was stale (for HTTP caching); `None` when it read anything
    /// else, or nothing from the engine.
    pub fn validity(&self) -> Option<(DateTime<Utc>, bool)> {
        let state = self.state();
        if state.outside {
            return None;
        }
        state.oldest.map(|oldest| (oldest, state.stale))
    }

    /// The entries read, `(key, computed_at)`, when all were fresh hits and nothing else
    /// was read.
    pub fn fresh_entries(&self) -> Option<Vec<(Arc<str>, DateTime<Utc>)>> {
        let state = self.state();
        (!state.tainted && !state.entries.is_empty()).then(|| state.entries.clone())
    }
}

/// How the figures of an answer were obtained (API.md: the oldest entry served, stale if
/// any was, a hit only if nothing was computed, the longest computation).
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    /// The instant the data was read at (the oldest entry's, for a live filter).
    pub as_of: DateTime<Utc>,
    /// Period start at that instant.
    pub start: Option<DateTime<Utc>>,
    /// Period end at that instant.
    pub end: DateTime<Utc>,
    /// When the oldest entry served was computed.
    pub computed_at: DateTime<Utc>,
    /// The longest computation among the entries.
    pub calculation_ms: i64,
    /// No entry was computed for this answer.
    pub cache_hit: bool,
    /// Some entry was past its time to live.
    pub stale: bool,
    /// Every entry served, by key.
    pub entries: Vec<EntryMeta>,
}

/// One engine entry an answer was made from.
#[derive(Clone, Debug, PartialEq, async_graphql::SimpleObject)]
#[graphql(name = "StatsEntry")]
pub struct EntryMeta {
    /// Its cache key (it starts with the group name).
    pub key: String,
    /// The group and its arguments (`requests`, `technicians.top(10,3)`).
    pub group: String,
    /// The instant its figures describe.
    pub as_of: DateTime<Utc>,
    /// When it was computed.
    pub computed_at: DateTime<Utc>,
    /// Milliseconds its computation took.
    pub calculation_ms: i64,
    /// This request did not compute it.
    pub cache_hit: bool,
    /// It is past its time to live.
    pub stale: bool,
    /// Which path computed it: rollups, raw rows, or both (counts from rollups, ranked
    /// lists from rows).
    pub source: crate::rollups::Source,
}

/// Statistics under one window.
pub struct Statistics {
    engine: Arc<Engine>,
    window: Window,
    served: Mutex<BTreeMap<Group, Served>>,
    reads: Option<Arc<Reads>>,
}

impl Statistics {
    fn new(engine: Arc<Engine>, window: Window, reads: Option<Arc<Reads>>) -> Self {
        Statistics {
            engine,
            window,
            served: Mutex::new(BTreeMap::new()),
            reads,
        }
    }

    /// Reads `groups` under `window` through `engine`, concurrently; `reads` records them.
    pub async fn fetch(
        engine: Arc<Engine>,
        window: Window,
        groups: impl IntoIterator<Item = Group>,
        reads: Option<Arc<Reads>>,
    ) -> AppResult<Statistics> {
        let stats = Self::new(engine, window, reads);
        stats.read_all(groups, false).await?;
        Ok(stats)
    }

    /// Recomputes `groups` under `window`, bypassing the cache, and replaces their entries.
    pub async fn refreshed(
        engine: Arc<Engine>,
        window: Window,
        groups: impl IntoIterator<Item = Group>,
        reads: Option<Arc<Reads>>,
    ) -> AppResult<Statistics> {
        let stats = Self::new(engine, window, reads);
        stats.read_all(groups, true).await?;
        Ok(stats)
    }

    async fn read_all(
        &self,
        groups: impl IntoIterator<Item = Group>,
        refresh: bool,
    ) -> AppResult<()> {
        let groups: Vec<Group> = groups.into_iter().collect();
        futures_util::future::try_join_all(groups.into_iter().map(|g| self.read(g, refresh)))
            .await?;
        Ok(())
    }

    /// The entry of `group`: the one already read for this question, or read now (computed
    /// again with `refresh`).
    async fn read(&self, group: Group, refresh: bool) -> AppResult<Served> {
        if !refresh && let Some(served) = self.served_map().get(&group) {
            return Ok(served.clone());
        }
        let served = if refresh {
            self.engine.refresh(group, &self.window).await?
        } else {
            self.engine.get(group, &self.window).await?
        };
        if let Some(reads) = &self.reads {
            reads.served(&served);
        }
        let mut map = self.served_map();
        if refresh {
            map.insert(group, served.clone());
            return Ok(served);
        }
        Ok(map.entry(group).or_insert(served).clone())
    }

    /// Every group of a full `globalStatistics`.
    pub async fn global(engine: Arc<Engine>, window: Window) -> AppResult<Statistics> {
        Self::fetch(engine, window, Group::GLOBAL, None).await
    }

    /// `groups` for the window of the same length just before this one, anchored on the
    /// instant these figures were read at (`Window::previous`), read through the engine like
    /// any other window (so repeats of a cached answer hit the cache for both).
    pub async fn previous(&self, groups: impl IntoIterator<Item = Group>) -> AppResult<Statistics> {
        let window = self.window.previous(self.meta().as_of);
        Self::fetch(self.engine.clone(), window, groups, self.reads.clone()).await
    }

    /// The window asked.
    pub fn window(&self) -> &Window {
        &self.window
    }

    fn served_map(&self) -> MutexGuard<'_, BTreeMap<Group, Served>> {
        self.served
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The entry of `group`: the one already read for this question, or read now.
    pub async fn get(&self, group: Group) -> AppResult<Served> {
        self.read(group, false).await
    }

    /// The figures of `group`, typed.
    pub async fn figures<T: GroupFigures>(&self, group: Group) -> AppResult<T> {
        let served = self.get(group).await?;
        T::from_figures(&served.entry.figures)
            .cloned()
            .ok_or(AppError::Internal)
    }

    /// Users at `asOf`.
    pub async fn users(&self) -> AppResult<UserCounts> {
        self.figures(Group::Users).await
    }

    /// Requests in the period.
    pub async fn requests(&self) -> AppResult<RequestStats> {
        self.figures(Group::Requests).await
    }

    /// Payments in the period.
    pub async fn financial(&self) -> AppResult<FinancialStats> {
        self.figures(Group::Financial).await
    }

    /// Reviews in the period.
    pub async fn satisfaction(&self) -> AppResult<SatisfactionStats> {
        self.figures(Group::Satisfaction).await
    }

    /// Technicians at `asOf` with the default top list.
    pub async fn technicians(&self) -> AppResult<TechnicianStats> {
        self.figures(Group::Technicians).await
    }

    /// A top list.
    pub async fn top_technicians(
        &self,
        limit: u32,
        min_reviews: u32,
    ) -> AppResult<Vec<TopTechnician>> {
        match Group::top_technicians(limit, min_reviews) {
            Group::Technicians => Ok(self.technicians().await?.top),
            group => self.figures(group).await,
        }
    }

    /// Login events in the period with the default suspicious list.
    pub async fn security(&self) -> AppResult<SecurityStats> {
        self.figures(Group::Security).await
    }

    /// A suspicious list.
    pub async fn suspicious_ips(&self, limit: u32) -> AppResult<Vec<SuspiciousIp>> {
        match Group::suspicious_ips(limit) {
            Group::Security => Ok(self.security().await?.suspicious),
            group => self.figures(group).await,
        }
    }

    /// The three default trends.
    pub async fn trends(&self) -> AppResult<Trends> {
        self.figures(Group::Trends).await
    }

    /// One trend; the default ones come from the trends group.
    pub async fn trend(&self, granularity: Granularity, points: u32) -> AppResult<Vec<TrendPoint>> {
        if points as i32 == granularity.default_points() {
            let trends = self.trends().await?;
            return Ok(match granularity {
                Granularity::Daily => trends.daily,
                Granularity::Weekly => trends.weekly,
                Granularity::Monthly => trends.monthly,
            });
        }
        self.figures(Group::Trend {
            granularity,
            points,
        })
        .await
    }

    /// The headline figures, from the users, requests, financial and satisfaction entries.
    pub async fn overview(&self) -> AppResult<OverviewStats> {
        let (users, requests, financial, satisfaction) = tokio::try_join!(
            self.users(),
            self.requests(),
            self.financial(),
            self.satisfaction()
        )?;
        Ok(overview::assemble(
            users,
            &requests,
            &financial,
            &satisfaction,
        ))
    }

    /// Conversion, retention and churn, from the users and requests entries.
    pub async fn advanced(&self) -> AppResult<AdvancedMetrics> {
        let (users, requests) = tokio::try_join!(self.users(), self.requests())?;
        Ok(advanced::assemble(users, &requests))
    }

    /// How what was read so far was obtained.
    pub fn meta(&self) -> Meta {
        let served = self.served_map();
        let oldest = served
            .values()
            .min_by_key(|s| (s.entry.as_of, s.entry.computed_at));
        let (as_of, start, end) = match oldest {
            Some(s) => (s.entry.as_of, s.entry.start, s.entry.end),
            None => (self.window.as_of, self.window.start, self.window.end),
        };
        Meta {
            as_of,
            start,
            end,
            computed_at: served
                .values()
                .map(|s| s.entry.computed_at)
                .min()
                .unwrap_or(self.window.as_of),
            calculation_ms: served
                .values()
                .map(|s| s.entry.calculation_ms)
                .max()
                .unwrap_or(0),
            cache_hit: served.values().all(|s| s.cache_hit),
            stale: served.values().any(|s| s.stale),
            entries: served
                .values()
                .map(|s| EntryMeta {
                    key: s.key.to_string(),
                    group: s.entry.group.label(),
                    as_of: s.entry.as_of,
                    computed_at: s.entry.computed_at,
                    calculation_ms: s.entry.calculation_ms,
                    cache_hit: s.cache_hit,
                    stale: s.stale,
                    source: s.entry.source,
                })
                .collect(),
        }
    }
}
