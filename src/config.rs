//! One typed configuration, read from flags and environment variables, validated at start.

use chrono_tz::Tz;
use std::time::Duration;

/// Where demo mode keeps its data unless a URL is given.
pub const DEMO_DATABASE_URL: &str = "sqlite://teliman-stats-demo.db?mode=rwc";
/// Default bind address of `serve`.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Everything the gateway needs to run, checked once at start.
#[derive(Clone, Debug)]
pub struct Config {
    /// Database URL: `sqlite://FILE?mode=rwc`, `sqlite::memory:` or `postgres://...`.
    pub database_url: String,
    /// HMAC secret that signs and checks the JWTs (never logged).
    pub jwt_secret: Secret,
    /// It came from `JWT_SECRET` (not from the demo's kept file or this process).
    pub secret_from_env: bool,
    /// Origins allowed by CORS (`scheme://host[:port]`).
    pub cors_allowed_origins: Vec<String>,
    /// The zone calendar buckets are cut in.
    pub timezone: Tz,
    /// How long connecting or waiting for a pooled connection may take.
    pub db_timeout: Duration,
    /// Most connections in the pool.
    pub db_max_connections: u32,
    /// Deepest query accepted.
    pub max_depth: usize,
    /// Most complex query accepted.
    pub max_complexity: usize,
    /// Most field aliases in one operation.
    pub max_aliases: usize,
    /// Largest request body in bytes.
    pub max_body_bytes: usize,
    /// Platform currency code, shown in exports and the dashboard.
    pub currency: String,
    /// The statistics cache.
    pub cache: crate::stats::CacheSettings,
    /// Requests a signed-in user may make per minute; `None`: no limit.
    pub rate_limit_per_minute: Option<std::num::NonZeroU32>,
    /// The live feed and its WebSocket connections.
    pub live: crate::stats::live::LiveSettings,
    /// The alert engine.
    pub alerts: crate::alerts::AlertSettings,
    /// The export jobs.
    pub exports: crate::exports::ExportSettings,
    /// The incremental rollups (PostgreSQL).
    pub rollups: crate::rollups::RollupSettings,
}

/// A string that never shows itself in `Debug` output or logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret's bytes, for signing.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A configuration value that cannot be used, with the variable it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `STATS_TIMEZONE` is not an IANA zone name.
    #[error(
        "STATS_TIMEZONE={0:?} is not a known IANA time zone (for example UTC, Africa/Bamako, America/New_York)"
    )]
    UnknownTimeZone(String),
    /// `JWT_SECRET` is missing outside demo mode.
    #[error("JWT_SECRET must be set (at least 16 characters) unless --demo is given")]
    MissingSecret,
    /// A CORS origin is not `http(s)://host[:port]`.
    #[error(
        "CORS_ALLOWED_ORIGINS: {0:?} is not an origin (http:// or https://, a host, an optional port, no path, no wildcard)"
    )]
    CorsOrigin(String),
    /// The demo's kept secret cannot be read or written.
    #[error("the demo's secret file: {0}")]
    DemoSecret(String),
    /// `JWT_SECRET` is too short to be safe.
    #[error("JWT_SECRET must be at least 16 characters long")]
    WeakSecret,
    /// A duration is negative, too large or not a number.
    #[error("{0} must be a number of at least 0 and at most a year")]
    NotANumber(&'static str),
    /// A number that must be positive is not.
    #[error("{0} must be a positive number")]
    NotAPositiveNumber(&'static str),
    /// A severity name is not one.
    #[error("ALERT_WEBHOOK_MIN_SEVERITY={0:?} is not a severity (info, warning, critical)")]
    UnknownSeverity(String),
    /// The webhook URL is not an HTTP one.
    #[error("ALERT_WEBHOOK_URL must start with http:// or https://")]
    WebhookUrl,
    /// A number is out of its range.
    #[error("{name} must be between {min} and {max}, got {value}")]
    OutOfRange {
        /// The variable's name.
        name: &'static str,
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
        /// The value given.
        value: u64,
    },
}

/// Where a command's JWT secret comes from when `JWT_SECRET` is not set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// `serve`: `JWT_SECRET` is required.
    Required,
    /// `serve --demo`: a random secret kept in a file next to the demo database, made on the
    /// first start and reused after (so printed tokens stay valid).
    Demo,
    /// `token`: the demo's kept secret when there is one, else `JWT_SECRET` is required.
    DemoIfKept,
    /// Commands that sign and check nothing: a random secret of this process only.
    Unused,
}

/// The file that keeps the demo's secret: next to a SQLite database, else in the working
/// directory.
pub fn demo_secret_path(database_url: &str) -> std::path::PathBuf {
    let file = database_url
        .strip_prefix("sqlite://")
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|path| !path.is_empty() && !path.starts_with(':'));
    match file {
        Some(path) => std::path::PathBuf::from(format!("{path}.secret")),
        None => std::path::PathBuf::from("teliman-stats-demo.secret"),
    }
}

fn random_secret() -> String {
    use rand::Rng;
    hex::encode(rand::rng().random::<[u8; 32]>())
}

/// The demo's kept secret, made (readable by its owner only) when `create` and missing.
fn kept_secret(path: &std::path::Path, create: bool) -> Result<Option<Secret>, ConfigError> {
    let failed = |e: std::io::Error| ConfigError::DemoSecret(format!("{}: {e}", path.display()));
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().len() >= 16 => return Ok(Some(Secret::new(text.trim()))),
        Ok(_) => {
            return Err(ConfigError::DemoSecret(format!(
                "{} holds no secret of at least 16 characters",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(failed(e)),
    }
    if !create {
        return Ok(None);
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            let secret = random_secret();
            std::io::Write::write_all(&mut file, secret.as_bytes()).map_err(failed)?;
            Ok(Some(Secret::new(secret)))
        }
        // another process made it first: read theirs
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => kept_secret(path, false),
        Err(e) => Err(failed(e)),
    }
}

/// The raw settings, as flags and environment variables give them.
#[derive(Clone, Debug, clap::Args)]
pub struct Settings {
    /// Database URL (SQLite file or PostgreSQL).
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Reporting time zone (IANA name).
    #[arg(long, env = "STATS_TIMEZONE", default_value = "UTC")]
    pub timezone: String,
    /// Seconds to wait for a database connection.
    #[arg(long, env = "DATABASE_TIMEOUT_SECONDS", default_value_t = 1)]
    pub db_timeout_seconds: u64,
    /// Most pooled database connections.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
    /// Deepest GraphQL query accepted.
    #[arg(long, env = "GRAPHQL_MAX_DEPTH", default_value_t = 16)]
    pub max_depth: usize,
    /// Most complex GraphQL query accepted.
    #[arg(long, env = "GRAPHQL_MAX_COMPLEXITY", default_value_t = 2000)]
    pub max_complexity: usize,
    /// Most field aliases in one GraphQL operation.
    #[arg(long, env = "GRAPHQL_MAX_ALIASES", default_value_t = 100)]
    pub max_aliases: usize,
    /// Largest request body, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Platform currency code.
    #[arg(long, env = "CURRENCY", default_value = "XOF")]
    pub currency: String,
    /// Hours a cached statistics entry is fresh.
    #[arg(long, env = "CACHE_STATISTICS_EXPIRATION_HOURS", default_value_t = 1.0)]
    pub cache_ttl_hours: f64,
    /// Hours an expired entry may be served while the database is down.
    #[arg(long, env = "CACHE_MAX_STALE_HOURS", default_value_t = 24.0)]
    pub cache_max_stale_hours: f64,
    /// Bytes the in-process cache may hold.
    #[arg(long, env = "CACHE_L1_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub cache_l1_max_bytes: u64,
    /// Bytes of entries the shared cache table may hold.
    #[arg(long, env = "CACHE_L2_MAX_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub cache_l2_max_bytes: u64,
    /// Least seconds between two checks of the source tables' fingerprint.
    #[arg(
        long,
        env = "CACHE_FINGERPRINT_INTERVAL_SECONDS",
        default_value_t = 5.0
    )]
    pub cache_fingerprint_interval_seconds: f64,
    /// Minutes between two stored snapshots of the unfiltered statistics.
    #[arg(long, env = "SNAPSHOT_INTERVAL_MINUTES", default_value_t = 15.0)]
    pub snapshot_interval_minutes: f64,
    /// PostgreSQL: serve statistics from the incremental rollups (`false`: raw rows only;
    /// the capture keeps the rollups current either way).
    #[arg(long, env = "ROLLUPS", default_value_t = true, action = clap::ArgAction::Set)]
    pub rollups: bool,
    /// Days the rollups keep their hour and quarter-hour cells.
    #[arg(long, env = "ROLLUP_FINE_RETENTION_DAYS", default_value_t = 35)]
    pub rollup_fine_retention_days: u32,
    /// Requests per minute per signed-in user (0: no limit).
    #[arg(long, env = "RATE_LIMIT_PER_MINUTE", default_value_t = 0)]
    pub rate_limit_per_minute: u32,
    /// Shortest `liveStats` interval accepted, in seconds.
    #[arg(long, env = "LIVE_MIN_INTERVAL_SECONDS", default_value_t = 5)]
    pub live_min_interval_seconds: u32,
    /// Most subscriptions on one WebSocket connection.
    #[arg(
        long,
        env = "LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION",
        default_value_t = 20
    )]
    pub live_max_subscriptions_per_connection: usize,
    /// Most subscriptions on the gateway.
    #[arg(long, env = "LIVE_MAX_SUBSCRIPTIONS", default_value_t = 20_000)]
    pub live_max_subscriptions: usize,
    /// Seconds between two keep-alive pings on a WebSocket.
    #[arg(long, env = "WS_KEEPALIVE_SECONDS", default_value_t = 15)]
    pub ws_keepalive_seconds: u64,
    /// Seconds between two alert evaluations.
    #[arg(long, env = "ALERT_INTERVAL_SECONDS", default_value_t = 60)]
    pub alert_interval_seconds: u64,
    /// Where new alerts are POSTed (none: no webhook).
    #[arg(long, env = "ALERT_WEBHOOK_URL", hide_env_values = true)]
    pub alert_webhook_url: Option<String>,
    /// Least severity POSTed to the webhook (info, warning, critical).
    #[arg(long, env = "ALERT_WEBHOOK_MIN_SEVERITY", default_value = "warning")]
    pub alert_webhook_min_severity: String,
    /// Quiet minutes after a detector's alert before the same key is raised again.
    #[arg(long, env = "ALERT_COOLDOWN_MINUTES", default_value_t = 60)]
    pub alert_cooldown_minutes: u32,
    /// Days of history the anomaly detector compares a day with.
    #[arg(long, env = "ALERT_ANOMALY_DAYS", default_value_t = 28)]
    pub alert_anomaly_days: u32,
    /// Modified z-score beyond which a day is an anomaly.
    #[arg(long, env = "ALERT_ANOMALY_Z", default_value_t = 3.5)]
    pub alert_anomaly_z: f64,
    /// Week-over-week change (percent) beyond which a trend changed.
    #[arg(long, env = "ALERT_TREND_PERCENT", default_value_t = 30.0)]
    pub alert_trend_percent: f64,
    /// Least total of the previous week for a trend change.
    #[arg(long, env = "ALERT_TREND_MIN_BASE", default_value_t = 20.0)]
    pub alert_trend_min_base: f64,
    /// Longest a statistics computation may take before a performance alert, in seconds.
    #[arg(long, env = "ALERT_PERFORMANCE_BUDGET_SECONDS", default_value_t = 5.0)]
    pub alert_performance_budget_seconds: f64,
    /// Span of a brute-force burst, in minutes.
    #[arg(long, env = "ALERT_BURST_MINUTES", default_value_t = 15)]
    pub alert_burst_minutes: u32,
    /// Least failed logins from one address within one span for a brute-force alert.
    #[arg(long, env = "ALERT_BURST_MIN_FAILURES", default_value_t = 20)]
    pub alert_burst_min_failures: u32,
    /// Days a burst keeps its alert active.
    #[arg(long, env = "ALERT_BURST_DAYS", default_value_t = 7)]
    pub alert_burst_days: u32,
    /// A failed-login spike: the last hour above this many times the median hour.
    #[arg(long, env = "ALERT_SPIKE_FACTOR", default_value_t = 3.0)]
    pub alert_spike_factor: f64,
    /// ... and at least this many failures.
    #[arg(long, env = "ALERT_SPIKE_MIN_FAILURES", default_value_t = 50)]
    pub alert_spike_min_failures: u32,
    /// Export jobs one gateway runs at once.
    #[arg(long, env = "EXPORT_CONCURRENCY", default_value_t = 2)]
    pub export_concurrency: usize,
    /// Hours an export's file is kept.
    #[arg(long, env = "EXPORT_TTL_HOURS", default_value_t = 24.0)]
    pub export_ttl_hours: f64,
    /// The platform's name in the exported files.
    #[arg(long, env = "PLATFORM_NAME", default_value = "Teliman")]
    pub platform_name: String,
    /// Origins whose pages may call the API from a browser, comma-separated
    /// (`https://bi.example.org`); none by default (`--demo`: Vite's dev server on 5173).
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Vec<String>,
}

impl Settings {
    /// Checks every value and builds the configuration; `source` says where the JWT secret
    /// comes from when `JWT_SECRET` is not set.
    pub fn into_config(self, source: SecretSource) -> Result<Config, ConfigError> {
        let demo = source == SecretSource::Demo;
        let timezone = parse_timezone(&self.timezone)?;
        let database_url = self.database_url.clone().unwrap_or_else(|| {
            if demo {
                DEMO_DATABASE_URL.to_string()
            } else {
                "sqlite://teliman-stats.db?mode=rwc".to_string()
            }
        });
        let from_env = std::env::var("JWT_SECRET").ok().filter(|s| !s.is_empty());
        let secret_from_env = from_env.is_some();
        let jwt_secret = match (from_env, source) {
            (Some(s), _) if s.len() < 16 => return Err(ConfigError::WeakSecret),
            (Some(s), _) => Secret::new(s),
            (None, SecretSource::Required) => return Err(ConfigError::MissingSecret),
            (None, SecretSource::Unused) => Secret::new(random_secret()),
            (None, SecretSource::Demo) => kept_secret(&demo_secret_path(&database_url), true)?
                .ok_or(ConfigError::MissingSecret)?,
            (None, SecretSource::DemoIfKept) => {
                kept_secret(&demo_secret_path(&database_url), false)?
                    .ok_or(ConfigError::MissingSecret)?
            }
        };
        range("DATABASE_TIMEOUT_SECONDS", self.db_timeout_seconds, 1, 300)?;
        range(
            "DATABASE_MAX_CONNECTIONS",
            self.db_max_connections.into(),
            1,
            1000,
        )?;
        range("GRAPHQL_MAX_DEPTH", self.max_depth as u64, 1, 1000)?;
        range(
            "GRAPHQL_MAX_COMPLEXITY",
            self.max_complexity as u64,
            1,
            1_000_000,
        )?;
        range("GRAPHQL_MAX_ALIASES", self.max_aliases as u64, 1, 100_000)?;
        range("MAX_BODY_BYTES", self.max_body_bytes as u64, 1024, 1 << 30)?;
        range("CACHE_L1_MAX_BYTES", self.cache_l1_max_bytes, 0, 1 << 34)?;
        range(
            "CACHE_L2_MAX_BYTES",
            self.cache_l2_max_bytes,
            1 << 16,
            1 << 40,
        )?;
        range(
            "RATE_LIMIT_PER_MINUTE",
            self.rate_limit_per_minute.into(),
            0,
            1_000_000,
        )?;
        // a duration given in `unit` seconds (3600 for hours), as seconds, at most a year
        let seconds = |name: &'static str, value: f64, unit: f64| -> Result<f64, ConfigError> {
            let secs = value * unit;
            if secs.is_finite() && (0.0..=366.0 * 86400.0).contains(&secs) {
                Ok(secs)
            } else {
                Err(ConfigError::NotANumber(name))
            }
        };
        let cache = crate::stats::CacheSettings {
            ttl: chrono::Duration::milliseconds(
                (seconds(
                    "CACHE_STATISTICS_EXPIRATION_HOURS",
                    self.cache_ttl_hours,
                    3600.0,
                )? * 1000.0) as i64,
            ),
            max_stale: chrono::Duration::milliseconds(
                (seconds("CACHE_MAX_STALE_HOURS", self.cache_max_stale_hours, 3600.0)? * 1000.0)
                    as i64,
            ),
            l1_max_bytes: self.cache_l1_max_bytes,
            l2_max_bytes: self.cache_l2_max_bytes,
            fingerprint_interval: Duration::from_secs_f64(seconds(
                "CACHE_FINGERPRINT_INTERVAL_SECONDS",
                self.cache_fingerprint_interval_seconds,
                1.0,
            )?),
            snapshot_interval: chrono::Duration::milliseconds(
                (seconds(
                    "SNAPSHOT_INTERVAL_MINUTES",
                    self.snapshot_interval_minutes,
                    60.0,
                )? * 1000.0) as i64,
            ),
        };
        range(
            "LIVE_MIN_INTERVAL_SECONDS",
            self.live_min_interval_seconds.into(),
            1,
            3600,
        )?;
        range(
            "LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION",
            self.live_max_subscriptions_per_connection as u64,
            1,
            10_000,
        )?;
        range(
            "LIVE_MAX_SUBSCRIPTIONS",
            self.live_max_subscriptions as u64,
            1,
            1_000_000,
        )?;
        range("WS_KEEPALIVE_SECONDS", self.ws_keepalive_seconds, 1, 3600)?;
        range(
            "ALERT_INTERVAL_SECONDS",
            self.alert_interval_seconds,
            1,
            86_400,
        )?;
        range(
            "ALERT_COOLDOWN_MINUTES",
            self.alert_cooldown_minutes.into(),
            0,
            10_080,
        )?;
        range(
            "ALERT_ANOMALY_DAYS",
            self.alert_anomaly_days.into(),
            14,
            365,
        )?;
        range(
            "ALERT_BURST_MINUTES",
            self.alert_burst_minutes.into(),
            1,
            1440,
        )?;
        range(
            "ALERT_BURST_MIN_FAILURES",
            self.alert_burst_min_failures.into(),
            1,
            1_000_000,
        )?;
        range("ALERT_BURST_DAYS", self.alert_burst_days.into(), 1, 90)?;
        range(
            "ALERT_SPIKE_MIN_FAILURES",
            self.alert_spike_min_failures.into(),
            1,
            1_000_000,
        )?;
        for (name, value) in [
            ("ALERT_ANOMALY_Z", self.alert_anomaly_z),
            ("ALERT_TREND_PERCENT", self.alert_trend_percent),
            ("ALERT_TREND_MIN_BASE", self.alert_trend_min_base),
            ("ALERT_SPIKE_FACTOR", self.alert_spike_factor),
        ] {
            if !(value.is_finite() && value > 0.0 && value <= 1e9) {
                return Err(ConfigError::NotAPositiveNumber(name));
            }
        }
        let webhook_min_severity = crate::alerts::Severity::parse(&self.alert_webhook_min_severity)
            .ok_or(ConfigError::UnknownSeverity(
                self.alert_webhook_min_severity.clone(),
            ))?;
        let webhook_url = self.alert_webhook_url.filter(|u| !u.is_empty());
        if let Some(url) = &webhook_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::WebhookUrl);
        }
        let alerts = crate::alerts::AlertSettings {
            interval: Duration::from_secs(self.alert_interval_seconds),
            webhook_url,
            webhook_secret: std::env::var("ALERT_WEBHOOK_SECRET")
                .ok()
                .filter(|s| !s.is_empty())
                .map(Secret::new),
            webhook_min_severity,
            cooldown: chrono::Duration::minutes(self.alert_cooldown_minutes.into()),
            anomaly_days: self.alert_anomaly_days,
            anomaly_z: self.alert_anomaly_z,
            trend_percent: self.alert_trend_percent,
            trend_min_base: self.alert_trend_min_base,
            performance_budget: Duration::from_secs_f64(seconds(
                "ALERT_PERFORMANCE_BUDGET_SECONDS",
                self.alert_performance_budget_seconds,
                1.0,
            )?),
            burst_minutes: self.alert_burst_minutes,
            burst_min_failures: self.alert_burst_min_failures,
            burst_days: self.alert_burst_days,
            spike_factor: self.alert_spike_factor,
            spike_min_failures: self.alert_spike_min_failures,
        };
        let live = crate::stats::live::LiveSettings {
            min_interval: self.live_min_interval_seconds,
            max_interval: 3600,
            max_per_connection: self.live_max_subscriptions_per_connection,
            max_total: self.live_max_subscriptions,
            keepalive: Duration::from_secs(self.ws_keepalive_seconds),
        };
        range("EXPORT_CONCURRENCY", self.export_concurrency as u64, 1, 64)?;
        let exports = crate::exports::ExportSettings {
            concurrency: self.export_concurrency,
            ttl: chrono::Duration::milliseconds(
                (seconds("EXPORT_TTL_HOURS", self.export_ttl_hours, 3600.0)? * 1000.0) as i64,
            ),
            lease: chrono::Duration::minutes(2),
            platform: self.platform_name.clone(),
        };
        let mut cors_allowed_origins = Vec::new();
        for origin in self
            .cors_allowed_origins
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
        {
            let rest = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains('/') || r.contains('*')) {
                return Err(ConfigError::CorsOrigin(origin.to_string()));
            }
            cors_allowed_origins.push(origin.to_string());
        }
        if demo && cors_allowed_origins.is_empty() {
            cors_allowed_origins = vec![
                "http://localhost:5173".to_string(),
                "http://127.0.0.1:5173".to_string(),
            ];
        }
        range(
            "ROLLUP_FINE_RETENTION_DAYS",
            self.rollup_fine_retention_days.into(),
            2,
            3660,
        )?;
        let rollups = crate::rollups::RollupSettings {
            enabled: self.rollups,
            zone: timezone,
            fine_retention: chrono::Duration::days(self.rollup_fine_retention_days.into()),
        };
        Ok(Config {
            database_url,
            jwt_secret,
            secret_from_env,
            cors_allowed_origins,
            timezone,
            db_timeout: Duration::from_secs(self.db_timeout_seconds),
            db_max_connections: self.db_max_connections,
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            max_aliases: self.max_aliases,
            max_body_bytes: self.max_body_bytes,
            currency: self.currency,
            cache,
            rate_limit_per_minute: std::num::NonZeroU32::new(self.rate_limit_per_minute),
            live,
            alerts,
            exports,
            rollups,
        })
    }
}

/// Parses an IANA zone name.
pub fn parse_timezone(name: &str) -> Result<Tz, ConfigError> {
    name.parse::<Tz>()
        .map_err(|_| ConfigError::UnknownTimeZone(name.to_string()))
}

fn range(name: &'static str, value: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            name,
            min,
            max,
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_time_zone_is_refused_with_its_name() {
        let err = parse_timezone("Mars/Olympus_Mons").unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus_Mons"));
        assert!(parse_timezone("Asia/Kathmandu").is_ok());
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    fn config(args: &[&str]) -> Result<Config, ConfigError> {
        use clap::Parser;
        let mut all = vec!["teliman-stats"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all)
            .unwrap()
            .settings
            .into_config(SecretSource::Unused)
    }

    #[test]
    fn the_demo_secret_is_made_once_for_its_owner_then_reused() {
        let dir = std::env::temp_dir().join(format!("teliman_secret_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/demo.db?mode=rwc", dir.display());
        let path = demo_secret_path(&url);
        assert_eq!(path, dir.join("demo.db.secret"));
        assert_eq!(
            demo_secret_path("postgres://u@h/db"),
            std::path::PathBuf::from("teliman-stats-demo.secret")
        );
        let _ = std::fs::remove_file(&path);
        // `token` finds none yet
        assert!(kept_secret(&path, false).unwrap().is_none());
        let first = kept_secret(&path, true).unwrap().unwrap();
        assert_eq!(first.expose().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // a second start reuses it, so the tokens it printed stay valid
        let again = kept_secret(&path, true).unwrap().unwrap();
        assert_eq!(again.expose(), first.expose());
        // a file that holds no usable secret is an error, not a weak key
        std::fs::write(&path, "short").unwrap();
        assert!(matches!(
            kept_secret(&path, true),
            Err(ConfigError::DemoSecret(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cors_origins_are_checked_and_none_by_default() {
        assert!(config(&[]).unwrap().cors_allowed_origins.is_empty());
        let ok = config(&[
            "--cors-allowed-origins",
            "https://bi.example.org, http://localhost:3000",
        ])
        .unwrap();
        assert_eq!(
            ok.cors_allowed_origins,
            vec!["https://bi.example.org", "http://localhost:3000"]
        );
        for bad in [
            "*",
            "bi.example.org",
            "https://bi.example.org/path",
            "https://*.example.org",
            "ftp://x",
        ] {
            let err = config(&["--cors-allowed-origins", bad]).unwrap_err();
            assert!(matches!(err, ConfigError::CorsOrigin(_)), "{bad}");
            assert!(err.to_string().contains("CORS_ALLOWED_ORIGINS"), "{bad}");
        }
    }

    #[test]
    fn rate_limit_is_off_by_default_and_bounded() {
        assert_eq!(config(&[]).unwrap().rate_limit_per_minute, None);
        let on = config(&["--rate-limit-per-minute", "60"]).unwrap();
        assert_eq!(on.rate_limit_per_minute.map(|n| n.get()), Some(60));
        let err = config(&["--rate-limit-per-minute", "2000000"]).unwrap_err();
        assert!(matches!(err, ConfigError::OutOfRange { .. }), "{err}");
        assert!(err.to_string().contains("RATE_LIMIT_PER_MINUTE"), "{err}");
    }

    #[test]
    fn live_alert_and_export_settings_are_checked_at_start() {
        let ok = config(&[]).unwrap();
        assert_eq!(ok.live.min_interval, 5);
        assert_eq!(ok.alerts.interval, Duration::from_secs(60));
        assert_eq!(ok.exports.concurrency, 2);
        let cases: [(&[&str], &str); 6] = [
            (
                &["--alert-webhook-min-severity", "loud"],
                "ALERT_WEBHOOK_MIN_SEVERITY",
            ),
            (
                &["--alert-webhook-url", "ftp://hooks.example"],
                "ALERT_WEBHOOK_URL",
            ),
            (&["--alert-spike-factor", "0"], "ALERT_SPIKE_FACTOR"),
            (
                &["--live-min-interval-seconds", "0"],
                "LIVE_MIN_INTERVAL_SECONDS",
            ),
            (&["--export-concurrency", "0"], "EXPORT_CONCURRENCY"),
            (&["--alert-anomaly-days", "3"], "ALERT_ANOMALY_DAYS"),
        ];
        for (args, variable) in cases {
            let err = config(args).unwrap_err();
            assert!(err.to_string().contains(variable), "{args:?}: {err}");
        }
    }

    #[test]
    fn secret_is_hidden_in_debug_output() {
        let s = Secret::new("super-secret-value-123");
        assert!(!format!("{s:?}").contains("super"));
    }
}
