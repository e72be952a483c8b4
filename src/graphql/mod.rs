//! The GraphQL schema: queries per metric group over the statistics engine, guards, limits
//! and error codes. It knows nothing of HTTP; `app` wires it to routes.

mod alerting;
mod dashboards;
mod exporting;
mod guards;
mod limits;
mod mutation;
mod query;
mod selection;
mod subscription;
mod trace;
mod types;

pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use subscription::SubscriptionRoot;
pub use types::StatsFilter;

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::stats::Engine;
use async_graphql::{Context, MergedObject, Schema};
use std::sync::Arc;

/// Every query: statistics, alerts and the catalog.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct Query(
    QueryRoot,
    alerting::AlertQuery,
    dashboards::DashboardQuery,
    exporting::ExportQuery,
);

/// Every mutation: cache control, alerts and rules.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct Mutation(
    MutationRoot,
    alerting::AlertMutation,
    dashboards::DashboardMutation,
    exporting::ExportMutation,
);

/// The gateway's schema type.
pub type GatewaySchema = Schema<Query, Mutation, SubscriptionRoot>;

/// What resolvers reach: the engine (and through it the database), the live feed, the
/// alerts and the configuration.
pub struct SchemaData {
    /// The statistics engine.
    pub engine: Arc<Engine>,
    /// The live feed.
    pub live: Arc<crate::stats::live::LiveFeed>,
    /// The alert engine.
    pub alerts: Arc<crate::alerts::Alerts>,
    /// The export jobs.
    pub exports: Arc<crate::exports::Exports>,
    /// The validated configuration.
    pub config: Config,
}

/// Builds the schema with the configured limits; used by `serve`, the tests and `schema`.
pub fn build_schema(data: Option<SchemaData>) -> GatewaySchema {
    let (depth, complexity, aliases) = match &data {
        Some(d) => (
            d.config.max_depth,
            d.config.max_complexity,
            d.config.max_aliases,
        ),
        None => (16, 2000, 100),
    };
    let mut builder = Schema::build(Query::default(), Mutation::default(), SubscriptionRoot)
        .limit_depth(depth)
        .limit_complexity(complexity)
        .extension(limits::Limits {
            max_aliases: aliases,
        })
        .extension(trace::TraceFields)
        .extension(guards::Authenticate);
    if let Some(data) = data {
        builder = builder.data(data);
    }
    builder.finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None).sdl()
}

/// A resolver's result with its error's code (see `AppError::gql`).
pub(crate) fn gql<T>(result: AppResult<T>) -> async_graphql::Result<T> {
    result.map_err(AppError::gql)
}

/// An id of ours from a GraphQL `ID`: BAD_USER_INPUT when it is not one.
pub(crate) fn id_of(id: &async_graphql::ID, what: &str) -> AppResult<i64> {
    id.parse::<i64>()
        .map_err(|_| AppError::bad_input(format!("`id` is not {what} id")))
}

/// The schema's data; INTERNAL if the schema was built without it.
pub(crate) fn schema_data<'c>(ctx: &Context<'c>) -> AppResult<&'c SchemaData> {
    ctx.data_opt::<SchemaData>().ok_or(AppError::Internal)
}
