//! Connecting to the database, statements with bound values read into row structs, and the
//! few places where SQLite and PostgreSQL SQL differ.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr,
    FromQueryResult, Statement, Value,
};
use std::time::Duration;

/// Page cache of each pooled SQLite connection, in KiB.
pub const SQLITE_CACHE_KIB: u32 = 8192;

/// Page cache of each connection of the shared cache's SQLite pool, in KiB: its reads are
/// lookups of one entry by key, its writes one entry or one chunk of evictions at a time,
/// so a larger cache would only hold churned pages (and grow the server's memory while the
/// table fills up to its bound).
pub const SQLITE_CACHE_POOL_KIB: u32 = 1024;

/// Opens a pool with the configured timeouts; SQLite files get WAL and a busy timeout.
pub async fn connect(
    url: &str,
    timeout: Duration,
    max_connections: u32,
) -> Result<DatabaseConnection, DbErr> {
    open(url, timeout, max_connections, true, SQLITE_CACHE_KIB).await
}

/// The connections the engine reads and writes its shared cache through. On SQLite, a
/// small pool of its own with no memory map: the cache table churns (entries written,
/// evicted, written again in the freed pages), and every connection that reads a page
/// through its map keeps it resident in the server's memory, so the cache's pages would
/// pile up in every pooled connection that ever touched them; read through the page cache
/// instead, they cost at most its bounded size. Elsewhere, `main` itself.
pub async fn cache_pool(
    main: &DatabaseConnection,
    url: &str,
    timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    if url.starts_with("sqlite:") && !url.contains(":memory:") {
        open(url, timeout, 4, false, SQLITE_CACHE_POOL_KIB).await
    } else {
        Ok(main.clone())
    }
}

async fn open(
    url: &str,
    timeout: Duration,
    max_connections: u32,
    mmap: bool,
    cache_kib: u32,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .connect_timeout(timeout)
        .acquire_timeout(timeout)
        .max_connections(max_connections)
        .min_connections(0)
        .sqlx_logging(false);
    if url.starts_with("postgres") {
        // the statistics are short aggregates: JIT compilation costs more than it saves;
        // pages are in memory or on SSD, where a random read costs about a sequential one,
        // so the planner should prefer the covering indexes over heap scans; the metric
        // groups already run as concurrent statements (one per group), so parallel
        // workers inside each would only oversubscribe the cores (and made timings
        // bimodal on 2 cores: 0.9 s or 1.2 s for the same ALL computation)
        options.map_sqlx_postgres_opts(|o| {
            o.options([
                ("jit", "off"),
                ("random_page_cost", "1.1"),
                ("max_parallel_workers_per_gather", "0"),
            ])
        });
    }
    if url.starts_with("sqlite:") {
        options.map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                // the first 256 MiB of the file read through the OS page cache without
                // copies, 8 MiB of hot pages per connection: groups run on several
                // connections at once, and every connection maps and caches on its own, so
                // larger values multiply the server's resident memory (BENCHMARKS.md)
                .pragma("mmap_size", if mmap { "268435456" } else { "0" })
                .pragma("cache_size", format!("-{cache_kib}"))
                .pragma("temp_store", "memory")
        });
    }
    Database::connect(options).await
}

/// A SQL text with `$n` placeholders and the values bound to them, for one engine.
#[derive(Debug)]
pub struct Sql {
    /// The engine the text is written for.
    pub backend: DatabaseBackend,
    /// The statement text.
    pub text: String,
    values: Vec<Value>,
}

impl Sql {
    /// An empty statement for `backend`.
    pub fn new(backend: DatabaseBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Binds a value and returns its placeholder.
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Binds an instant in the form the engine compares correctly with stored timestamps.
    ///
    /// PostgreSQL compares `TIMESTAMPTZ` values; SQLite compares RFC 3339 UTC text byte by
    /// byte, so the bound text uses the stored form (`T`, `+00:00`) and no trailing zeros
    /// in the fraction: then equal instants never sort before the stored text.
    pub fn instant(&mut self, at: DateTime<Utc>) -> String {
        match self.backend {
            DatabaseBackend::Postgres => self.bind(at),
            _ => self.bind(sqlite_instant(at)),
        }
    }

    /// Appends text.
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// The statement, ready to run.
    pub fn statement(&self) -> Statement {
        Statement::from_sql_and_values(self.backend, &self.text, self.values.clone())
    }

    /// Runs it and reads every row into `R`, by column name.
    pub async fn rows<R: FromQueryResult>(
        &self,
        db: &impl ConnectionTrait,
    ) -> Result<Vec<R>, DbErr> {
        R::find_by_statement(self.statement()).all(db).await
    }

    /// Runs it (an aggregate) and reads its one row into `R`, by column name.
    pub async fn row<R: FromQueryResult>(&self, db: &impl ConnectionTrait) -> Result<R, DbErr> {
        R::find_by_statement(self.statement())
            .one(db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("aggregate returned no row".into()))
    }
}

/// The stored SQLite form of an instant: `2026-03-01T09:30:00.5+00:00`.
pub fn sqlite_instant(at: DateTime<Utc>) -> String {
    let text = at.to_rfc3339_opts(SecondsFormat::AutoSi, false);
    match text.split_once('.') {
        Some((head, rest)) => {
            let (fraction, zone) = rest.split_at(rest.find('+').unwrap_or(rest.len()));
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                format!("{head}{zone}")
            } else {
                format!("{head}.{fraction}{zone}")
            }
        }
        None => text,
    }
}

/// A timestamp column as RFC 3339 UTC text on both engines, to read with [`parse_instant`]
/// (SQLite stores that text already; PostgreSQL would otherwise format it in the
/// session's zone).
pub fn instant_text(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
        }
        _ => column.to_string(),
    }
}

/// Parses a stored instant read through [`instant_text`].
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, DbErr> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| DbErr::Type(format!("stored timestamp {text:?} is not RFC 3339: {e}")))
}

/// Seconds from `earlier` to `later` as a float, for two timestamp columns.
pub fn seconds_between(backend: DatabaseBackend, later: &str, earlier: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            format!("CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION)")
        }
        // epoch seconds keep microseconds exact (a julian day number, about 2.5e6 days,
        // only keeps about 40 microseconds)
        _ => format!("(unixepoch({later}, 'subsec') - unixepoch({earlier}, 'subsec'))"),
    }
}

/// Sum of a money expression in whole cents, exact on both engines (NULL-free).
///
/// SQLite keeps `NUMERIC(15,2)` values as doubles, exact to 15 significant digits, so each
/// value is rounded to integer cents before the integer sum.
pub fn cents_sum(backend: DatabaseBackend, expr: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(COALESCE(SUM({expr}), 0) * 100 AS BIGINT)"),
        _ => format!("COALESCE(SUM(CAST(ROUND(({expr}) * 100) AS INTEGER)), 0)"),
    }
}

/// A column in a condition that the planner must not answer from an index leading with it
/// (SQLite's unary `+`), so that it picks the covering index of the other conditions; the
/// column as is on PostgreSQL, whose planner weighs covering indexes itself.
pub fn unindexed(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => column.to_string(),
        _ => format!("+{column}"),
    }
}

/// A money column in whole cents (a 64-bit integer on both engines).
pub fn cents(backend: DatabaseBackend, expr: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST({expr} * 100 AS BIGINT)"),
        _ => format!("CAST(ROUND({expr} * 100) AS INTEGER)"),
    }
}

/// An integer sum that is 0 over no rows and a 64-bit integer on both engines.
pub fn int_sum(backend: DatabaseBackend, expr: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)"),
        _ => format!("COALESCE(SUM({expr}), 0)"),
    }
}

/// A text expression ordered by code point (UTF-8 bytes) on both engines.
pub fn bytewise(backend: DatabaseBackend, expr: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("{expr} COLLATE \"C\""),
        _ => expr.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sqlite_instants_have_no_trailing_zeros() {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap();
        assert_eq!(sqlite_instant(t), "2026-03-01T09:30:00+00:00");
        let t = t + chrono::Duration::milliseconds(500);
        assert_eq!(sqlite_instant(t), "2026-03-01T09:30:00.5+00:00");
    }
}
