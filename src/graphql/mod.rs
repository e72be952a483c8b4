//! The GraphQL schema: queries per metric group, guards, limits and error codes. It knows
//! nothing of HTTP; `app` wires it to routes.

mod guards;
mod limits;
mod mutation;
mod query;
pub mod response_cache;
mod types;

pub use mutation::MutationRoot;
pub use query::QueryRoot;
pub use types::StatsFilter;

use crate::app::AppState;
use async_graphql::{EmptySubscription, Schema};

/// The gateway's schema type.
pub type GatewaySchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Builds the schema with the configured limits; used by `serve`, the tests and `schema`.
pub fn build_schema(state: Option<AppState>) -> GatewaySchema {
    let (depth, complexity, aliases) = match &state {
        Some(s) => (
            s.config.max_depth,
            s.config.max_complexity,
            s.config.max_aliases,
        ),
        None => (16, 2000, 100),
    };
    let mut builder = Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .limit_depth(depth)
        .limit_complexity(complexity)
        .extension(limits::Limits {
            max_aliases: aliases,
        })
        .extension(response_cache::TraceFields);
    if let Some(state) = state {
        builder = builder.data(state);
    }
    builder.finish()
}

/// The SDL of the schema, as committed in `schema.graphql`.
pub fn sdl() -> String {
    build_schema(None).sdl()
}
