//! The one error type of the gateway: every client-facing failure has a stable code.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// A failure a client can see, with the code of API.md in `extensions.code`.
#[derive(Clone, Debug, thiserror::Error)]
pub enum AppError {
    /// No valid credentials.
    #[error("authentication required: send a valid bearer token")]
    Unauthenticated,
    /// Signed in, but the role does not allow this.
    #[error("this operation needs the admin role")]
    Forbidden,
    /// The input is invalid; the message says which part and why.
    #[error("{0}")]
    BadUserInput(String),
    /// The object does not exist (or is not the viewer's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The query exceeds the depth, complexity or alias limits.
    #[error("{0}")]
    TooComplex(String),
    /// The viewer made more requests this minute than `RATE_LIMIT_PER_MINUTE` allows.
    #[error("too many requests: at most {0} per minute; retry in {1} s")]
    RateLimited(u32, u64),
    /// A subscription past the caps of the live feed.
    #[error("{0}")]
    TooManySubscriptions(String),
    /// The database cannot be reached and nothing is cached.
    #[error("the database is unavailable; try again shortly")]
    Unavailable,
    /// Anything else; details are logged, never sent.
    #[error("internal error")]
    Internal,
}

impl AppError {
    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden => "FORBIDDEN",
            AppError::BadUserInput(_) => "BAD_USER_INPUT",
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::TooComplex(_) => "TOO_COMPLEX",
            AppError::RateLimited(..) | AppError::TooManySubscriptions(_) => "RATE_LIMITED",
            AppError::Unavailable => "UNAVAILABLE",
            AppError::Internal => "INTERNAL",
        }
    }

    /// Shorthand for a bad-input error.
    pub fn bad_input(message: impl Into<String>) -> Self {
        AppError::BadUserInput(message.into())
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        crate::telemetry::TELEMETRY.db_errors.inc();
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            AppError::Unavailable
        } else {
            tracing::error!(error = %err, "database error");
            AppError::Internal
        }
    }
}

/// Whether a database error means "cannot reach the database" rather than a bad query.
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::sqlx::Error as SqlxError;
    let sqlx = match err {
        DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        _ => None,
    };
    match sqlx {
        Some(
            SqlxError::PoolTimedOut | SqlxError::PoolClosed | SqlxError::Io(_) | SqlxError::Tls(_),
        ) => true,
        Some(SqlxError::Database(db)) => {
            // PostgreSQL class 08 (connection exception), 57P01..57P03 (shutdown), 3D000 (no database);
            // SQLite CANTOPEN (14), NOTADB (26), IOERR (10).
            let code = db.code().map(|c| c.to_string()).unwrap_or_default();
            code.starts_with("08")
                || code.starts_with("57P")
                || code == "3D000"
                || ["14", "26", "10"].contains(&code.as_str())
        }
        _ => false,
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, e| e.set("code", self.code()))
    }
}

impl AppError {
    /// The GraphQL error, with `extensions.code` (the blanket `From<Display>` of
    /// async-graphql would drop the code, so resolvers convert through this).
    pub fn gql(self) -> async_graphql::Error {
        self.extend()
    }
}

/// Maps a database result to a GraphQL result with the right code.
pub fn gql<T>(result: Result<T, DbErr>) -> async_graphql::Result<T> {
    result.map_err(|e| AppError::from(e).gql())
}

/// Result of the gateway's fallible operations.
pub type AppResult<T> = Result<T, AppError>;
