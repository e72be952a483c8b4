//! Integration tests: the whole gateway over its router, on a fresh database per test.

mod access;
mod alerts;
mod cache;
mod capture;
mod cli;
mod dashboards;
mod entities;
mod exports;
mod fixture;
mod headers;
mod helpers;
mod inputs;
mod limits;
pub mod live;
mod metrics;
mod persisted;
pub mod playground;
mod props;
mod rollups;
mod schema;
mod site;
mod snapshots;
mod trends;
mod zones;
