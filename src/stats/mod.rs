//! The statistics engine: every statistic is read through `Engine::get(group, window)`,
//! cached per group and filter, recomputed when the tables it read change.
//!
//! Readers (GraphQL, and the live feed, alerts, exports and widgets) ask a [`Statistics`]
//! for the groups they need and read typed figures from it; none calls `metrics` directly:
//!
//! ```no_run
//! # async fn example(engine: std::sync::Arc<teliman_stats::stats::Engine>) -> teliman_stats::error::AppResult<()> {
//! use teliman_stats::stats::{Group, Statistics};
//! use teliman_stats::window::Window;
//! let window = Window::live_all(chrono::Utc::now(), chrono_tz::UTC);
//! let stats = Statistics::fetch(engine.clone(), window, [Group::Financial, Group::Users], None).await?;
//! let revenue = stats.financial().await?.total_revenue;
//! let meta = stats.meta(); // asOf, computedAt, cacheHit, stale, the entries served
//! let live = engine.realtime(chrono::Utc::now()).await?; // never cached
//! # let _ = (revenue, meta, live); Ok(()) }
//! ```

pub mod changes;
pub mod engine;
pub mod groups;
pub mod live;
mod shared;
pub mod snapshots;
pub mod statistics;
pub mod upkeep;

pub use engine::{CacheSettings, Engine, Served};
pub use groups::{Figures, Group};
pub use statistics::{Meta, Reads, Statistics};
