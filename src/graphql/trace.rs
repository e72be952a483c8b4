//! Marks an answer as one not to keep as bytes when a top-level field reads something other
//! than engine entries (real-time figures, snapshots, the viewer, mutations, introspection):
//! the statistics fields record the entries they read themselves.

use crate::stats::Reads;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use std::sync::Arc;

/// Top-level fields answered from engine entries only.
const FROM_ENTRIES: [&str; 10] = [
    "globalStatistics",
    "overview",
    "requests",
    "financial",
    "satisfaction",
    "technicians",
    "security",
    "advanced",
    "trends",
    "__typename",
];

/// The extension's factory.
pub struct TraceFields;

impl ExtensionFactory for TraceFields {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TraceFields)
    }
}

#[async_trait::async_trait]
impl Extension for TraceFields {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_none()
            && !FROM_ENTRIES.contains(&info.name)
            && let Some(reads) = ctx.data_opt::<Arc<Reads>>()
        {
            reads.taint();
        }
        next.run(ctx, info).await
    }
}
