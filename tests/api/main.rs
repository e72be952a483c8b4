//! Integration tests: the whole gateway over its router, on a fresh database per test.

mod access;
mod fixture;
mod helpers;
mod metrics;
mod schema;
mod trends;
