//! Guards of the permission matrix: who may read what.

use crate::auth::{Auth, Viewer};
use crate::error::AppError;
use async_graphql::{Context, Guard, Result};

/// Statistics are for admins: anonymous or bad tokens are UNAUTHENTICATED, other roles FORBIDDEN.
pub struct AdminGuard;

impl Guard for AdminGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let viewer = signed_in(ctx).map_err(AppError::gql)?;
        if viewer.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden.gql())
        }
    }
}

/// The signed-in viewer, or the error that says why there is none.
pub fn signed_in<'c>(ctx: &'c Context<'_>) -> Result<&'c Viewer, AppError> {
    match viewer(ctx)? {
        Some(v) => Ok(v),
        None => Err(AppError::Unauthenticated),
    }
}

/// The viewer if signed in, `None` when anonymous, an error for a bad token.
pub fn viewer<'c>(ctx: &'c Context<'_>) -> Result<Option<&'c Viewer>, AppError> {
    // a WebSocket's viewer is read at its connection; an HTTP request's when its operation
    // starts (after it parsed and validated: `Authenticate`)
    let auth = ctx.data_opt::<Auth>().or_else(|| {
        ctx.data_opt::<std::sync::Arc<crate::app::LazyAuth>>()
            .and_then(|lazy| lazy.ready())
    });
    match auth {
        None | Some(Auth::Anonymous) => Ok(None),
        Some(Auth::User(v)) => Ok(Some(v)),
        Some(Auth::Invalid) => Err(AppError::Unauthenticated),
        Some(Auth::Unavailable) => Err(AppError::Unavailable),
    }
}

/// Reads an HTTP request's viewer once its operation has parsed and validated, before any
/// field runs: refused documents cost no database work.
pub struct Authenticate;

impl async_graphql::extensions::ExtensionFactory for Authenticate {
    fn create(&self) -> std::sync::Arc<dyn async_graphql::extensions::Extension> {
        std::sync::Arc::new(Authenticate)
    }
}

#[async_trait::async_trait]
impl async_graphql::extensions::Extension for Authenticate {
    async fn execute(
        &self,
        ctx: &async_graphql::extensions::ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: async_graphql::extensions::NextExecute<'_>,
    ) -> async_graphql::Response {
        if let Some(lazy) = ctx.data_opt::<std::sync::Arc<crate::app::LazyAuth>>() {
            lazy.get().await;
        }
        next.run(ctx, operation_name).await
    }
}
