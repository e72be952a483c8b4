//! `AppState` and the axum `Router`: routes, layers and graceful shutdown.

use crate::auth::{self, Auth};
use crate::config::Config;
use crate::error::AppError;
use crate::graphql::{self, GatewaySchema, SchemaData};
use crate::graphql_http::{self, Media};
use crate::kept_answers::KeptAnswers;
use crate::stats::changes::Table;
use crate::stats::{Engine, Reads};
use crate::telemetry::TELEMETRY;
use async_graphql::parser::types::OperationType;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::sync::Arc;

/// Shared state of the gateway: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<App>);

/// What every request can reach.
pub struct App {
    /// The database pool.
    pub db: DatabaseConnection,
    /// The validated configuration.
    pub config: Config,
    /// In demo mode only: the admin token GraphiQL starts with.
    pub demo_token: Option<String>,
    /// The statistics engine.
    pub engine: Arc<Engine>,
    /// Viewers read from `users`, reused while `users` is unchanged (at most 60 s).
    pub viewers: auth::KnownViewers,
    /// Answers kept as bytes for repeated identical operations.
    pub answers: KeptAnswers,
    /// Requests per minute per signed-in user, when limited.
    pub limiter: Option<(u32, governor::DefaultKeyedRateLimiter<i64>)>,
    /// The live feed of real-time figures.
    pub live: Arc<crate::stats::live::LiveFeed>,
    /// The alert engine.
    pub alerts: Arc<crate::alerts::Alerts>,
    /// The export jobs.
    pub exports: Arc<crate::exports::Exports>,
    /// Documents registered by automatic persisted queries.
    pub persisted: crate::persisted::PersistedQueries,
    /// Turns true when the server stops: WebSockets close with 1001 (going away).
    pub shutting_down: tokio::sync::watch::Sender<bool>,
}

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

impl AppState {
    /// Wraps a pool and a configuration (the shared cache in the same pool).
    pub fn new(db: DatabaseConnection, config: Config) -> Self {
        Self::serving(db.clone(), db, config, None)
    }

    /// The state `serve` runs with: statistics read through `db`, the shared cache through
    /// `cache_db` (`db::cache_pool`); in demo mode, GraphiQL opens with `demo_token` in its
    /// headers.
    pub fn serving(
        db: DatabaseConnection,
        cache_db: DatabaseConnection,
        config: Config,
        demo_token: Option<String>,
    ) -> Self {
        let engine = Engine::with_cache_pool(db.clone(), cache_db, config.cache.clone());
        engine.enable_rollups(config.rollups);
        let answers = KeptAnswers::new(config.cache.l1_max_bytes);
        let limiter = config.rate_limit_per_minute.map(|n| {
            (
                n.get(),
                governor::RateLimiter::keyed(governor::Quota::per_minute(n)),
            )
        });
        let live = crate::stats::live::LiveFeed::new(engine.clone(), config.live.clone());
        let alerts =
            crate::alerts::Alerts::new(engine.clone(), config.alerts.clone(), config.timezone);
        let exports = crate::exports::Exports::new(
            engine.clone(),
            config.exports.clone(),
            config.timezone,
            config.currency.clone(),
        );
        AppState(Arc::new(App {
            exports,
            persisted: crate::persisted::PersistedQueries::new(db.clone()),
            shutting_down: tokio::sync::watch::Sender::new(false),
            db,
            config,
            demo_token,
            engine,
            viewers: auth::known_viewers(),
            answers,
            limiter,
            live,
            alerts,
        }))
    }
}

/// Who is asking, read only when something needs it: the token's signature (no database)
/// for the rate limit, then the user's row when the operation runs, after it parsed and
/// validated. A request the protocol or validation refuses does no database work.
pub(crate) struct LazyAuth {
    state: AppState,
    header: Option<String>,
    cell: tokio::sync::OnceCell<Auth>,
}

impl LazyAuth {
    fn new(state: &AppState, headers: &HeaderMap) -> Self {
        LazyAuth {
            state: state.clone(),
            header: headers
                .get(header::AUTHORIZATION)
                .map(|v| v.to_str().unwrap_or("invalid").to_string()),
            cell: tokio::sync::OnceCell::new(),
        }
    }

    /// The viewer, read now if it was not yet.
    pub(crate) async fn get(&self) -> &Auth {
        self.cell
            .get_or_init(|| authenticate_header(&self.state, self.header.as_deref()))
            .await
    }

    /// The viewer, when it was read.
    pub(crate) fn ready(&self) -> Option<&Auth> {
        self.cell.get()
    }

    /// The user a validly signed, unexpired token names (its row not read).
    fn claimed_user(&self) -> Option<i64> {
        let token = self.header.as_deref()?.strip_prefix("Bearer ")?.trim();
        auth::verify_claims(&self.state.config.jwt_secret, token)?
            .sub
            .parse()
            .ok()
    }
}

/// What every route handler gets.
#[derive(Clone)]
pub(crate) struct Routes {
    pub(crate) state: AppState,
    pub(crate) schema: GatewaySchema,
}

/// The router of every HTTP route.
pub fn router(state: AppState) -> Router {
    let schema = graphql::build_schema(Some(SchemaData {
        engine: state.engine.clone(),
        live: state.live.clone(),
        alerts: state.alerts.clone(),
        exports: state.exports.clone(),
        config: state.config.clone(),
    }));
    let limit = state.config.max_body_bytes;
    // the dashboard's files, gzipped for browsers that take it
    let page = Router::new()
        .route("/", get(crate::site::index))
        .route("/assets/{*path}", get(crate::site::asset))
        .route("/{file}", get(crate::site::root_file))
        .layer(tower_http::compression::CompressionLayer::new());
    let router = Router::new()
        .merge(page)
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(crate::ws::upgrade))
        .route("/exports/{id}/download", get(download))
        .route("/playground", get(playground))
        .route("/playground/assets/{name}", get(crate::playground::asset))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(limit));
    let router = if state.config.cors_allowed_origins.is_empty() {
        router
    } else {
        router.layer(crate::layers::cors(&state.config.cors_allowed_origins))
    };
    router
        .layer(axum::middleware::from_fn(crate::layers::around))
        .with_state(Routes { state, schema })
}

/// GraphQL over GET (query string): queries only; a mutation is a 405.
async fn graphql_get(
    State(routes): State<Routes>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(media) = graphql_http::negotiate(&headers) else {
        return not_acceptable();
    };
    let request = match graphql_http::read_get(query.as_deref()) {
        Ok(request) => request,
        Err(refusal) => return refused(media, refusal),
    };
    let auth = Arc::new(LazyAuth::new(&routes.state, &headers));
    if let Some(refused) = rate_limited(&routes.state, &auth, media) {
        return refused;
    }
    let mut request = request;
    let persisted = match persisted_query(&routes.state, &auth, &mut request, media).await {
        Ok(hash) => hash,
        Err(answer) => return answer,
    };
    // checked on the document itself, a persisted one's included (parsed once, kept)
    let mutation = request.parsed_query().is_ok_and(|doc| {
        doc.operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Mutation)
    });
    if mutation {
        let err = AppError::bad_input("mutations are sent with POST");
        TELEMETRY.request("(mutation over GET)", err.code(), 0.0);
        return graphql_http::error_response(media, StatusCode::METHOD_NOT_ALLOWED, &err);
    }
    // a persisted query's answer by GET may be kept by the browser, and revalidated
    let conditional = persisted.is_some().then_some(&headers);
    execute(&routes, media, auth, request, None, conditional).await
}

/// Applies a request's `persistedQuery` extension (Apollo's automatic persisted queries):
/// registers a document sent with its hash (for a signed-in user), or puts the document of
/// a hash sent alone in the request. Returns the hash; an unknown hash is answered
/// `PersistedQueryNotFound`.
async fn persisted_query(
    state: &AppState,
    auth: &LazyAuth,
    request: &mut async_graphql::Request,
    media: Media,
) -> Result<Option<String>, Response> {
    let Some(extension) = request.extensions.remove("persistedQuery") else {
        return Ok(None);
    };
    let extension = extension.into_json().unwrap_or_default();
    let fail = |err: AppError| {
        let status = match err {
            AppError::BadUserInput(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        TELEMETRY.request("(persisted query)", err.code(), 0.0);
        graphql_http::error_response(media, status, &err)
    };
    match crate::persisted::read(&extension, &request.query).map_err(fail)? {
        crate::persisted::Persisted::Register(hash) => {
            let parses = async_graphql::parser::parse_query(&request.query).is_ok();
            if parses && auth.claimed_user().is_some() {
                state
                    .persisted
                    .put(&hash, &request.query)
                    .await
                    .map_err(fail)?;
            }
            Ok(Some(hash))
        }
        crate::persisted::Persisted::Lookup(hash) => {
            match state.persisted.get(&hash).await.map_err(fail)? {
                Some(query) => {
                    request.query = query.to_string();
                    Ok(Some(hash))
                }
                None => {
                    TELEMETRY.request("(persisted query)", "PERSISTED_QUERY_NOT_FOUND", 0.0);
                    Err(graphql_http::persisted_query_not_found(media))
                }
            }
        }
    }
}

/// A request the protocol refuses, before any execution: counted and answered with its code.
fn refused(media: Media, refusal: graphql_http::Refusal) -> Response {
    TELEMETRY.request("(refused)", refusal.error.code(), 0.0);
    graphql_http::error_response(media, refusal.status, &refusal.error)
}

/// A 406: the client accepts none of the media types of an answer.
fn not_acceptable() -> Response {
    let err = AppError::bad_input(
        "Accept names no media type of a GraphQL answer: application/json or application/graphql-response+json",
    );
    TELEMETRY.request("(not acceptable)", err.code(), 0.0);
    graphql_http::error_response(Media::Json, StatusCode::NOT_ACCEPTABLE, &err)
}

/// GraphQL over POST: one JSON operation per request (a batch is a 400), a body over the
/// limit is a 413. An admin's body identical to an earlier one whose answer is still what
/// executing it would give gets that answer's bytes (see `kept_answers`).
async fn graphql_post(
    State(routes): State<Routes>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let started = std::time::Instant::now();
    let Some(media) = graphql_http::negotiate(&headers) else {
        return not_acceptable();
    };
    // a body over MAX_BODY_BYTES (or one that cannot be read) is refused as GraphQL
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let err = AppError::bad_input(if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "the body is larger than MAX_BODY_BYTES ({} bytes)",
                    routes.state.config.max_body_bytes
                )
            } else {
                "the body could not be read".to_string()
            });
            return refused(media, graphql_http::Refusal { status, error: err });
        }
    };
    if let Err(refusal) = graphql_http::check_content_type(&headers) {
        return refused(media, refusal);
    }
    let auth = Arc::new(LazyAuth::new(&routes.state, &headers));
    if let Some(refused) = rate_limited(&routes.state, &auth, media) {
        return refused;
    }
    if let Some(answer) = routes
        .state
        .answers
        .lookup(&body, &routes.state.engine)
        .await
        && matches!(auth.get().await, Auth::User(viewer) if viewer.is_admin())
    {
        routes.state.answers.served();
        TELEMETRY.request(&answer.operation, "ok", started.elapsed().as_secs_f64());
        let mut response = graphql_http::json_response(media, answer.body.clone());
        response.extensions_mut().insert(crate::layers::Logged {
            operation: answer.operation.to_string(),
            outcome: "ok".into(),
            cache: "hit",
        });
        return response;
    }
    let mut request = match graphql_http::read_post(&headers, &body) {
        Ok(request) => request,
        Err(refusal) => return refused(media, refusal),
    };
    if let Err(answer) = persisted_query(&routes.state, &auth, &mut request, media).await {
        return answer;
    }
    execute(&routes, media, auth, request, Some(body), None).await
}

/// Who is asking, from the `Authorization` header; roles are reused while `users` is
/// unchanged.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Auth {
    let header = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("invalid"));
    authenticate_header(state, header).await
}

/// Who is asking, from an `Authorization` value (a header's, or a WebSocket's
/// `connection_init` payload's).
pub(crate) async fn authenticate_header(state: &AppState, header: Option<&str>) -> Auth {
    auth::authenticate(
        &state.db,
        &state.config.jwt_secret,
        &state.viewers,
        state.engine.table_version(Table::Users),
        header,
    )
    .await
}

/// With `RATE_LIMIT_PER_MINUTE` set, a signed-in user's request beyond the quota: a 429
/// with `Retry-After` and a GraphQL error coded RATE_LIMITED. Nothing runs for it.
fn rate_limited(state: &AppState, auth: &LazyAuth, media: Media) -> Option<Response> {
    use governor::clock::{Clock, DefaultClock};
    let (per_minute, limiter) = state.limiter.as_ref()?;
    let id = auth.claimed_user()?;
    let not_until = limiter.check_key(&id).err()?;
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    let retry = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let err = AppError::RateLimited(*per_minute, retry);
    TELEMETRY.request("(rate limited)", err.code(), 0.0);
    let mut response = graphql_http::error_response(media, StatusCode::TOO_MANY_REQUESTS, &err);
    if let Ok(value) = HeaderValue::from_str(&retry.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Some(response)
}

/// Executes one operation; `body` (a POST's) is kept with its answer when the answer may be
/// reused.
async fn execute(
    routes: &Routes,
    media: Media,
    auth: Arc<LazyAuth>,
    request: async_graphql::Request,
    body: Option<Bytes>,
    conditional: Option<&HeaderMap>,
) -> Response {
    // the document is parsed once: here, and the library executes this parse
    let mut request = request;
    let named = request.operation_name.clone();
    let (operation, subscription, root_keys) = match request.parsed_query() {
        Ok(doc) => (
            named
                .clone()
                .or_else(|| graphql_http::only_operation_name(doc)),
            doc.operations
                .iter()
                .any(|(_, op)| op.node.ty == OperationType::Subscription),
            graphql_http::root_keys(doc, named.as_deref()),
        ),
        Err(_) => (named.clone(), false, Vec::new()),
    };
    let operation = operation.unwrap_or_else(|| "anonymous".to_string());
    let started = std::time::Instant::now();
    if subscription {
        let err = AppError::bad_input(
            "subscriptions are served over the WebSocket at /graphql/ws (graphql-transport-ws)",
        );
        TELEMETRY.request(&operation, err.code(), started.elapsed().as_secs_f64());
        return graphql_http::error_response(media, StatusCode::BAD_REQUEST, &err);
    }
    let reads = Arc::new(Reads::default());
    let invalidations = routes.state.engine.invalidations();
    let mut response = routes
        .schema
        .execute(request.data(auth).data(reads.clone()))
        .await;
    graphql_http::order_root(&mut response.data, &root_keys);
    let outcome = response
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|ext| ext.get("code"))
        .map_or_else(
            || {
                if response.errors.is_empty() {
                    "ok".to_string()
                } else {
                    "error".to_string()
                }
            },
            |c| c.to_string().trim_matches('"').to_string(),
        );
    TELEMETRY.request(&operation, &outcome, started.elapsed().as_secs_f64());
    let (status, json) = graphql_http::answer(media, &response);
    let logged = crate::layers::Logged {
        operation: operation.clone(),
        outcome: outcome.clone(),
        cache: reads.cache_outcome(),
    };
    let plain = response.errors.is_empty()
        && response.http_headers.is_empty()
        && response.cache_control.value().is_none();
    if plain && let (Some(body), Some(entries)) = (body, reads.fresh_entries()) {
        routes
            .state
            .answers
            .keep(body, json.clone(), &operation, entries, invalidations)
            .await;
    }
    let validity = reads
        .validity()
        .filter(|_| plain && status == StatusCode::OK);
    if let (Some(request_headers), Some((oldest, stale))) = (conditional, validity) {
        // what an entry has left to live is what the browser may keep the answer
        let ttl = routes.state.config.cache.ttl;
        let left = if stale {
            0
        } else {
            (ttl - (chrono::Utc::now() - oldest)).num_seconds().max(0)
        };
        let mut answer = graphql_http::cacheable(media, json, left, request_headers);
        answer.extensions_mut().insert(logged);
        return answer;
    }
    let mut answer = graphql_http::json_response(media, json);
    answer.extensions_mut().insert(logged);
    *answer.status_mut() = status;
    for (name, value) in &response.http_headers {
        answer.headers_mut().append(name, value.clone());
    }
    if let Some(cache) = response
        .cache_control
        .value()
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        answer.headers_mut().insert(header::CACHE_CONTROL, cache);
    }
    answer
}

/// `GET /exports/{id}/download`: a completed export's file, to an admin (bearer header),
/// recorded with who and when. A malformed id (a path, say) is a 400, an unknown one a 404.
async fn download(
    State(routes): State<Routes>,
    axum::extract::Path(id): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let status_of = |err: &AppError| match err {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::BadUserInput(_) => StatusCode::BAD_REQUEST,
        AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let viewer = match authenticate(&routes.state, &headers).await {
        Auth::User(viewer) if viewer.is_admin() => viewer,
        Auth::User(_) => {
            return graphql_http::error_response(
                Media::Json,
                StatusCode::FORBIDDEN,
                &AppError::Forbidden,
            );
        }
        Auth::Unavailable => {
            return graphql_http::error_response(
                Media::Json,
                StatusCode::SERVICE_UNAVAILABLE,
                &AppError::Unavailable,
            );
        }
        _ => {
            return graphql_http::error_response(
                Media::Json,
                StatusCode::UNAUTHORIZED,
                &AppError::Unauthenticated,
            );
        }
    };
    let by: i64 = viewer.id.parse().unwrap_or_default();
    match routes.state.exports.download(&id, by).await {
        Ok((row, bytes)) => {
            let format = crate::exports::ExportFormat::parse(&row.export_type)
                .unwrap_or(crate::exports::ExportFormat::Json);
            let name = row
                .file_name
                .unwrap_or_else(|| format!("export.{}", format.as_str()));
            let disposition = format!("attachment; filename=\"{name}\"");
            let mut response = Response::new(axum::body::Body::from(bytes));
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            );
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        Err(err) => graphql_http::error_response(Media::Json, status_of(&err), &err),
    }
}

async fn metrics() -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        TELEMETRY.render(),
    )
}

/// GraphiQL, its inline script and style allowed by a nonce of this response only.
async fn playground(State(routes): State<Routes>) -> Response {
    let nonce = crate::layers::nonce();
    let mut page =
        crate::playground::page(routes.state.demo_token.as_deref(), &nonce).into_response();
    if let Ok(csp) = HeaderValue::from_str(&crate::layers::playground_csp(&nonce)) {
        page.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    page
}

async fn health() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

async fn ready(State(routes): State<Routes>) -> impl IntoResponse {
    match routes.state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
