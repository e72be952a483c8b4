//! Query limits and the codes of the errors the GraphQL layer makes. Too deep, too complex
//! or too many aliases is TOO_COMPLEX, before any database work. Each error gets its code
//! where it is made: a document that does not parse or validate, or a field argument that
//! does not coerce to its type, is BAD_USER_INPUT (every error the resolvers make carries its
//! own code already).

use crate::error::AppError;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextResolve,
    NextValidation, ResolveInfo,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{
    ErrorExtensions, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
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

fn has_code(err: &ServerError) -> bool {
    err.extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some())
}

/// Codes an error the client's input caused, unless it has a code already.
fn bad_input(mut err: ServerError) -> ServerError {
    if !has_code(&err) {
        let mut ext = err.extensions.take().unwrap_or_default();
        ext.set("code", AppError::bad_input("").code());
        err.extensions = Some(ext);
    }
    err
}

/// A safety net: an error that reached the response without a code was made by nothing
/// this layer knows; its message is replaced, as for any internal error.
fn internal_unless_coded(mut err: ServerError) -> ServerError {
    if !has_code(&err) {
        tracing::error!(message = %err.message, "uncoded GraphQL error");
        err.message = AppError::Internal.to_string();
        let mut ext = err.extensions.take().unwrap_or_default();
        ext.set("code", AppError::Internal.code());
        err.extensions = Some(ext);
    }
    err
}

#[async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors = response
            .errors
            .into_iter()
            .map(internal_unless_coded)
            .collect();
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await.map_err(bad_input)?;
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

    /// A field's resolver returns coded errors only; an error without a code comes from
    /// coercing the field's arguments (a variable of the wrong shape, a value out of a
    /// validator's range) before the resolver ran.
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        next.run(ctx, info).await.map_err(bad_input)
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
                        bad_input(e)
                    }
                })
                .collect()
        })
    }
}
