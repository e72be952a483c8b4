//! The statistics engine: the window every computation reads through.

pub mod cache;
pub mod global;
pub mod snapshots;
pub mod window;

pub use window::{Period, Window, WindowInput};
