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
    match ctx.data_opt::<Auth>() {
        None | Some(Auth::Anonymous) => Ok(None),
        Some(Auth::User(v)) => Ok(Some(v)),
        Some(Auth::Invalid) => Err(AppError::Unauthenticated),
        Some(Auth::Unavailable) => Err(AppError::Unavailable),
    }
}
