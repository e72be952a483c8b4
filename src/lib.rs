//! teliman-stats: a GraphQL analytics gateway for a repair-services marketplace.

pub mod alerts;
pub mod app;
pub mod auth;
pub mod bench;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod dashboards;
pub mod db;
pub mod entity;
pub mod error;
pub mod exports;
pub mod graphql;
pub mod graphql_http;
pub mod kept_answers;
pub mod layers;
pub mod loadgen;
pub mod metrics;
pub mod persisted;
pub mod playground;
pub mod seed;
pub mod site;
pub mod stats;
pub mod telemetry;
pub mod window;
pub mod ws;
