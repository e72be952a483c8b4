//! `TestApp`: a fresh database per test (a SQLite file, or a new PostgreSQL database when
//! `TEST_DATABASE_URL` is set), migrated, with the router in front of it.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, Request, StatusCode};
use http_body_util::BodyExt;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use teliman_stats::app::{self, AppState};
use teliman_stats::config::{Config, Secret};
use tower::ServiceExt;

/// Secret the test servers sign with.
pub const SECRET: &str = "test-secret-0123456789abcdef";

/// The engines every metric test runs on: SQLite always, PostgreSQL when configured.
pub fn engines() -> Vec<Engine> {
    let mut out = vec![Engine::Sqlite];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL")
        && !url.is_empty()
    {
        out.push(Engine::Postgres(url));
    }
    out
}

/// The PostgreSQL server of the tests that are about PostgreSQL itself (its locks, a dropped
/// database): `TEST_DATABASE_URL`, or the server every machine of the project runs. These
/// tests fail, never pass silently, when neither answers.
pub fn postgres() -> Engine {
    Engine::Postgres(
        std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_string()),
    )
}

/// A database engine to test on.
#[derive(Clone, Debug)]
pub enum Engine {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh database on this PostgreSQL server (URL of any database on it).
    Postgres(String),
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A migrated, empty database of its own, and the app in front of it.
pub struct TestApp {
    pub db: DatabaseConnection,
    pub engine: Engine,
    pub router: axum::Router,
    pub state: AppState,
    name: String,
    file: Option<std::path::PathBuf>,
}

/// The configuration tests run with.
pub fn test_config(url: &str, timezone: chrono_tz::Tz) -> Config {
    Config {
        database_url: url.to_string(),
        jwt_secret: Secret::new(SECRET),
        secret_from_env: true,
        cors_allowed_origins: vec!["https://bi.example.org".into()],
        timezone,
        db_timeout: Duration::from_secs(2),
        db_max_connections: 5,
        max_depth: 16,
        max_complexity: 2000,
        max_aliases: 100,
        max_body_bytes: 1024 * 1024,
        currency: "XOF".into(),
        cache: teliman_stats::stats::CacheSettings {
            ttl: chrono::Duration::hours(1),
            max_stale: chrono::Duration::hours(24),
            l1_max_bytes: 10 * 1024 * 1024,
            l2_max_bytes: 256 * 1024 * 1024,
            // every request checks the source tables, so tests that change rows see it
            fingerprint_interval: Duration::ZERO,
            snapshot_interval: chrono::Duration::minutes(15),
        },
        rate_limit_per_minute: None,
        live: Default::default(),
        alerts: Default::default(),
        exports: Default::default(),
        rollups: teliman_stats::rollups::RollupSettings {
            enabled: true,
            zone: timezone,
            fine_retention: chrono::Duration::days(35),
        },
    }
}

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "teliman_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        nanos
    )
}

fn with_path(url: &str, db: &str) -> String {
    let (head, _) = url.rsplit_once('/').expect("a database URL has a path");
    format!("{head}/{db}")
}

impl TestApp {
    /// A fresh, migrated database on `engine`, reporting in UTC.
    pub async fn new(engine: &Engine) -> TestApp {
        Self::with_zone(engine, chrono_tz::UTC).await
    }

    /// A fresh, migrated database on `engine`, reporting in `timezone`.
    pub async fn with_zone(engine: &Engine, timezone: chrono_tz::Tz) -> TestApp {
        Self::with_config(engine, timezone, |_| {}).await
    }

    /// A fresh, migrated database on `engine`, with the test configuration changed by `tweak`.
    pub async fn with_config(
        engine: &Engine,
        timezone: chrono_tz::Tz,
        tweak: impl FnOnce(&mut Config),
    ) -> TestApp {
        let name = unique_name();
        let (url, file) = match engine {
            Engine::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                (format!("sqlite://{}?mode=rwc", path.display()), Some(path))
            }
            Engine::Postgres(server) => {
                let admin = teliman_stats::db::connect(server, Duration::from_secs(5), 1)
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                (with_path(server, &name), None)
            }
        };
        let mut config = test_config(&url, timezone);
        tweak(&mut config);
        let db = teliman_stats::db::connect(&url, config.db_timeout, config.db_max_connections)
            .await
            .expect("connect to the test database");
        Migrator::up(&db, None).await.expect("migrate");
        // PostgreSQL: the rollups are built (empty) before any row, so every statistic the
        // tests read goes through them and the log entries their writes leave
        teliman_stats::rollups::apply::rebuild(&db, &config.rollups)
            .await
            .expect("build the rollups");
        let state = AppState::new(db.clone(), config);
        let router = app::router(state.clone());
        TestApp {
            db,
            engine: engine.clone(),
            router,
            state,
            name,
            file,
        }
    }

    /// Serves the router on a loopback port (for WebSocket clients); returns its address.
    pub async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = self.router.clone();
        tokio::spawn(async move { axum::serve(listener, router).await });
        addr
    }

    /// A token for user `id` that expires `seconds` from now (no leeway past that).
    pub fn token_for_seconds(&self, id: i64, seconds: i64) -> String {
        let claims = teliman_stats::auth::Claims {
            sub: id.to_string(),
            role: "admin".into(),
            exp: chrono::Utc::now().timestamp() + seconds,
        };
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    /// The database's name (PostgreSQL).
    pub fn db_name(&self) -> &str {
        &self.name
    }

    /// The database's URL.
    pub fn url(&self) -> String {
        match &self.engine {
            Engine::Postgres(server) => with_path(server, &self.name),
            Engine::Sqlite => format!(
                "sqlite://{}?mode=rwc",
                self.file.as_ref().unwrap().display()
            ),
        }
    }

    /// Runs a SQL script (statements separated by `;` at line ends).
    pub async fn load(&self, script: &str) {
        self.load_with(&self.db, script).await;
    }

    /// Runs a SQL script on another connection.
    pub async fn load_with(&self, db: &DatabaseConnection, script: &str) {
        for statement in script.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
            db.execute_unprepared(statement)
                .await
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        teliman_stats::seed::move_sequences_past_ids(db)
            .await
            .unwrap();
    }

    /// A token for user `id` valid for `hours` (negative: expired).
    pub fn token(&self, id: i64, hours: i64) -> String {
        teliman_stats::auth::mint(&Secret::new(SECRET), id, "admin", hours).unwrap()
    }

    /// POSTs a GraphQL operation with an optional bearer token; returns status and JSON body.
    pub async fn post(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let body = json!({ "query": query, "variables": variables }).to_string();
        self.raw("POST", "/graphql", token, body).await
    }

    /// GETs `uri` with `headers`: status, headers and body bytes.
    pub async fn get(
        &self,
        uri: &str,
        headers: &[(HeaderName, &str)],
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        self.send("GET", uri, headers, String::new()).await
    }

    /// Sends `method` to `uri` with `headers` and `body`: status, headers and body bytes.
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(HeaderName, &str)],
        body: String,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            req = req.header(name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes().to_vec();
        (parts.status, parts.headers, bytes)
    }

    /// Sends any request; returns status and the body as JSON (or as a JSON string).
    pub async fn raw(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: String,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let response = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, value)
    }

    /// Asks a query as user 1 (an admin in every data set) and returns `data`, failing on errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let token = self.token(1, 1);
        let (status, body) = self.post(Some(&token), query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body.get("errors").is_none(),
            "unexpected errors on {:?}: {body}",
            self.engine
        );
        body["data"].clone()
    }

    /// Drops the database.
    pub async fn cleanup(self) {
        self.db.close().await.ok();
        if let Some(file) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
        if let Engine::Postgres(server) = &self.engine {
            let admin = teliman_stats::db::connect(server, Duration::from_secs(5), 1)
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ))
                .await
                .unwrap();
            admin.close().await.ok();
        }
    }
}

/// The error codes of a GraphQL response, in order.
pub fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("<none>")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts two floats agree to 1e-9 relative.
#[track_caller]
pub fn approx(got: &Value, expected: f64) {
    let g = got
        .as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {got}"));
    assert!(
        (g - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "expected {expected}, got {g}"
    );
}
