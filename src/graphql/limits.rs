//! Query limits: too deep, too complex or too many aliases is TOO_COMPLEX, before any
//! database work.

use crate::error::AppError;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensions, Response, ServerError, ServerResult, ValidationResult, Variables,
};
use std::sync::Arc;

/// Factory of the limits extension.
pub struct Limits {
    /// Most field aliases in one document.
    pub max_aliases: usize,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            max_aliases: self.max_aliases,
        })
    }
}

struct LimitsExtension {
    max_aliases: usize,
}

fn too_complex(message: String) -> ServerError {
    let e = AppError::TooComplex(message).extend();
    let mut err = ServerError::new(e.message, None);
    err.extensions = e.extensions;
    err
}

fn count_aliases(set: &SelectionSet, depth: usize) -> usize {
    if depth > 64 {
        return 0;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some())
                    + count_aliases(&f.node.selection_set.node, depth + 1)
            }
            Selection::InlineFragment(f) => count_aliases(&f.node.selection_set.node, depth + 1),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Gives every error without a code one: input that does not parse or validate is
/// BAD_USER_INPUT; anything else from a resolver is INTERNAL, its message replaced.
fn ensure_code(mut err: ServerError) -> ServerError {
    let has_code = err
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if has_code {
        return err;
    }
    let input = err.path.is_empty()
        || err.message.contains("parse")
        || err.message.contains("Invalid value")
        || err.message.contains("must be");
    let code = if input { "BAD_USER_INPUT" } else { "INTERNAL" };
    if !input {
        tracing::error!(message = %err.message, "unclassified resolver error");
        err.message = AppError::Internal.to_string();
    }
    let mut ext = err.extensions.take().unwrap_or_default();
    ext.set("code", code);
    err.extensions = Some(ext);
    err
}

#[async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors = response.errors.into_iter().map(ensure_code).collect();
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let mut aliases: usize = doc
            .fragments
            .values()
            .map(|f| count_aliases(&f.node.selection_set.node, 0))
            .sum();
        for (_, op) in doc.operations.iter() {
            aliases += count_aliases(&op.node.selection_set.node, 0);
        }
        if aliases > self.max_aliases {
            return Err(too_complex(format!(
                "the query has {aliases} aliases; at most {} are allowed",
                self.max_aliases
            )));
        }
        Ok(doc)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    let m = e.message.to_lowercase();
                    if m.contains("too complex")
                        || m.contains("nested too deep")
                        || m.contains("too deep")
                    {
                        too_complex(e.message)
                    } else {
                        e
                    }
                })
                .collect()
        })
    }
}
