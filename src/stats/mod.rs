//! The statistics engine: every statistic is read through `Engine::get(group, window)`,
//! cached per group and filter, recomputed when the tables it read change.

pub mod changes;
pub mod engine;
pub mod groups;
mod shared;
pub mod snapshots;
pub mod statistics;
pub mod upkeep;

pub use engine::{CacheSettings, Engine, Served};
pub use groups::{Figures, Group};
pub use statistics::{Meta, Reads, Statistics};
