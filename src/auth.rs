//! Bearer tokens: HS256 JWTs whose `sub` is `users.id`; the role that counts is read from
//! `users.role`, reused while `users` is unchanged and for at most 60 s, so a demoted admin
//! loses access within the interval between two checks of the table's version.

use crate::config::Secret;
use crate::entity::users;
use crate::stats::changes::TableVersion;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::{DatabaseConnection, EntityTrait};
use serde::{Deserialize, Serialize};

/// Leeway on expiry, in seconds.
const LEEWAY_SECONDS: u64 = 60;

/// The claims the gateway signs and reads.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// `users.id`, as a string.
    pub sub: String,
    /// The role when minted (a hint only).
    pub role: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

/// A signed-in user as GraphQL shows it.
#[derive(Clone, Debug, PartialEq, async_graphql::SimpleObject)]
pub struct Viewer {
    /// `users.id`.
    pub id: async_graphql::ID,
    /// E-mail address.
    pub email: String,
    /// Full name.
    pub full_name: String,
    /// `client`, `technician` or `admin`, as `users.role` says now.
    pub role: String,
}

impl Viewer {
    /// Whether the viewer may read statistics.
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

/// Who is asking, as the `Authorization` header says.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No header.
    Anonymous,
    /// A valid token of an existing user.
    User(Viewer),
    /// A header with a bad, expired, unsigned or unknown-user token.
    Invalid,
    /// The token could not be checked because the database is unreachable.
    Unavailable,
}

/// Signs a token for a user valid for `ttl_hours` (negative: already expired, for tests).
pub fn mint(
    secret: &Secret,
    user_id: i64,
    role: &str,
    ttl_hours: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let claims = Claims {
        sub: user_id.to_string(),
        role: role.to_string(),
        exp: (Utc::now() + chrono::Duration::hours(ttl_hours)).timestamp(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose()),
    )
}

/// Checks a token's signature (HS256 only) and expiry and returns its user id.
pub fn verify(secret: &Secret, token: &str) -> Option<i64> {
    verify_claims(secret, token)?.sub.parse().ok()
}

/// Checks a token's signature (HS256 only) and expiry (with the leeway) and returns its
/// claims.
pub fn verify_claims(secret: &Secret, token: &str) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECONDS;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.expose()),
        &validation,
    )
    .ok()?;
    Some(data.claims)
}

/// Longest a role read from `users` is trusted without reading it again (API.md: at most
/// 60 s).
pub const ROLE_CACHE_SECONDS: u64 = 60;

/// The viewers read from `users`, each with the version of `users` it was read at (the
/// users part of the statistics cache's fingerprint, checked at most every few seconds)
/// and when. A cached viewer is used while `users` has not changed since and for at most
/// [`ROLE_CACHE_SECONDS`]: any write to `users` (a demotion, a deletion) makes the next
/// request after the fingerprint check read the role again. While the database is
/// unreachable, when nobody can change a role anyway, the last viewer read is used so cached
/// statistics can still be served to the admins who asked for them before.
pub type KnownViewers = moka::future::Cache<i64, KnownViewer>;

/// A viewer as read from `users`.
#[derive(Clone, Debug)]
pub struct KnownViewer {
    viewer: Viewer,
    users_version: TableVersion,
    read_at: std::time::Instant,
}

/// A cache of last known viewers, bounded in entries.
pub fn known_viewers() -> KnownViewers {
    moka::future::Cache::new(10_000)
}

/// Resolves the `Authorization` header value (if any) to who is asking. `users_version` is
/// the current version of the `users` table, or an error when the database is unreachable.
pub async fn authenticate(
    db: &DatabaseConnection,
    secret: &Secret,
    known: &KnownViewers,
    users_version: impl std::future::Future<Output = Result<TableVersion, crate::error::AppError>>,
    header: Option<&str>,
) -> Auth {
    let Some(header) = header else {
        return Auth::Anonymous;
    };
    let Some(token) = header.strip_prefix("Bearer ").map(str::trim) else {
        return Auth::Invalid;
    };
    let Some(user_id) = verify(secret, token) else {
        return Auth::Invalid;
    };
    let version = users_version.await;
    let last = known.get(&user_id).await;
    if let (Ok(version), Some(last)) = (&version, &last)
        && *version == last.users_version
        && last.read_at.elapsed().as_secs() < ROLE_CACHE_SECONDS
    {
        return Auth::User(last.viewer.clone());
    }
    let Ok(version) = version else {
        // the database is unreachable
        return match last {
            Some(last) => Auth::User(last.viewer),
            None => Auth::Unavailable,
        };
    };
    match users::Entity::find_by_id(user_id).one(db).await {
        Ok(Some(user)) => {
            let viewer = Viewer {
                id: user.id.into(),
                email: user.email,
                full_name: user.full_name,
                role: user.role,
            };
            let entry = KnownViewer {
                viewer: viewer.clone(),
                users_version: version,
                read_at: std::time::Instant::now(),
            };
            known.insert(user_id, entry).await;
            Auth::User(viewer)
        }
        Ok(None) => {
            known.invalidate(&user_id).await;
            Auth::Invalid
        }
        Err(err) => match crate::error::AppError::from(err) {
            crate::error::AppError::Unavailable => match last {
                Some(last) => Auth::User(last.viewer),
                None => Auth::Unavailable,
            },
            _ => Auth::Invalid,
        },
    }
}
