//! Exports: a job row per request (`statistics_exports`), run by a bounded job runner that
//! any gateway on the database may be (jobs are claimed atomically; a job left running by a
//! crash is claimed again once its lease ends), the file kept in the database so every
//! replica serves every download, each download recorded, expired files removed.
//!
//! The file is kept in the database (`statistics_export_files`): replicas need no shared
//! volume, a backup holds it with its row, and a report is a few hundred kilobytes.

pub mod labels;
pub mod pdf;
pub mod report;
pub mod xlsx;

use crate::entity::statistics_exports as exports;
use crate::error::{AppError, AppResult};
use crate::stats::Engine;
use crate::window::{Period, Window, WindowInput};
use async_graphql::{Enum, ID, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, FromQueryResult, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum, Serialize, Deserialize)]
pub enum ExportFormat {
    /// Excel workbook.
    Xlsx,
    /// PDF report.
    Pdf,
    /// JSON document.
    Json,
    /// CSV long table.
    Csv,
}

impl ExportFormat {
    /// The stored value and the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Pdf => "pdf",
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
        }
    }

    /// Parses a stored value.
    pub fn parse(text: &str) -> Option<ExportFormat> {
        [
            ExportFormat::Xlsx,
            ExportFormat::Pdf,
            ExportFormat::Json,
            ExportFormat::Csv,
        ]
        .into_iter()
        .find(|f| f.as_str() == text.to_ascii_lowercase())
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Pdf => "application/pdf",
            ExportFormat::Json => "application/json",
            ExportFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// Where a job stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum ExportStatus {
    /// Waiting for a runner.
    Pending,
    /// Being written.
    Processing,
    /// Ready to download.
    Completed,
    /// Could not be written (see `error`).
    Failed,
    /// Its file was removed.
    Expired,
}

impl ExportStatus {
    fn parse(text: &str) -> ExportStatus {
        match text {
            "processing" => ExportStatus::Processing,
            "completed" => ExportStatus::Completed,
            "failed" => ExportStatus::Failed,
            "expired" => ExportStatus::Expired,
            _ => ExportStatus::Pending,
        }
    }

    /// Whether the job will change no more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ExportStatus::Completed | ExportStatus::Failed | ExportStatus::Expired
        )
    }
}

/// An export job, as GraphQL shows it.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct StatisticsExport {
    /// Id (a UUID).
    pub id: ID,
    /// Format.
    pub format: ExportFormat,
    /// Where it stands.
    pub status: ExportStatus,
    /// File name once written.
    pub file_name: Option<String>,
    /// File size once written.
    pub size_bytes: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it was asked.
    pub requested_at: DateTime<Utc>,
    /// When it ended.
    pub completed_at: Option<DateTime<Utc>>,
    /// When its file goes.
    pub expires_at: Option<DateTime<Utc>>,
    /// `/exports/{id}/download` once completed (bearer header required).
    pub download_url: Option<String>,
}

/// What a job reads: the filter (with `asOf` fixed at the request), sections and language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportConfig {
    /// Named period.
    pub period: Option<Period>,
    /// Custom start.
    pub from: Option<DateTime<Utc>>,
    /// Custom end.
    pub to: Option<DateTime<Utc>>,
    /// The instant read at: the request's when none was given.
    pub as_of: DateTime<Utc>,
    /// City slice.
    pub city: Option<String>,
    /// Specialty slice.
    pub specialty: Option<String>,
    /// Sections, in report order.
    pub sections: Vec<String>,
    /// `fr` or `en`.
    pub lang: String,
    /// The request's reporting zone, when it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// The request's first day of a week, when it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub week_start: Option<crate::window::WeekStart>,
}

/// How exports run.
#[derive(Clone, Debug)]
pub struct ExportSettings {
    /// Jobs run at once by one gateway.
    pub concurrency: usize,
    /// How long a file is kept.
    pub ttl: Duration,
    /// After this, a job still `PROCESSING` is taken to have died with its runner.
    pub lease: Duration,
    /// The platform's name in the files' header.
    pub platform: String,
}

impl Default for ExportSettings {
    fn default() -> Self {
        ExportSettings {
            concurrency: 2,
            ttl: Duration::hours(24),
            lease: Duration::minutes(2),
            platform: "Teliman".into(),
        }
    }
}

/// The exports of one gateway.
pub struct Exports {
    db: DatabaseConnection,
    engine: Arc<Engine>,
    settings: ExportSettings,
    tz: chrono_tz::Tz,
    currency: String,
    wake: tokio::sync::Notify,
    slots: Arc<tokio::sync::Semaphore>,
}

/// The row as GraphQL shows it.
pub fn shown(row: &exports::Model) -> StatisticsExport {
    let status = ExportStatus::parse(&row.status);
    StatisticsExport {
        id: row.id.clone().into(),
        format: ExportFormat::parse(&row.export_type).unwrap_or(ExportFormat::Json),
        status,
        file_name: row.file_name.clone(),
        size_bytes: row.size_bytes,
        error: row.error.clone(),
        requested_at: row.created_at,
        completed_at: row.completed_at,
        expires_at: row.expires_at,
        download_url: (status == ExportStatus::Completed)
            .then(|| format!("/exports/{}/download", row.id)),
    }
}

/// The cursor of a job in the newest-first order.
pub fn cursor(row: &exports::Model) -> String {
    format!(
        "{}~{}",
        row.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        row.id
    )
}

/// Checks an export id: a UUID, nothing else (no path, no traversal).
pub fn check_id(id: &str) -> AppResult<String> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| AppError::bad_input("an export id is a UUID"))
}

#[derive(FromQueryResult)]
struct Content {
    content: Vec<u8>,
}

impl Exports {
    /// The exports over `engine`'s database.
    pub fn new(
        engine: Arc<Engine>,
        settings: ExportSettings,
        tz: chrono_tz::Tz,
        currency: String,
    ) -> Arc<Self> {
        Arc::new(Exports {
            db: engine.db().clone(),
            slots: Arc::new(tokio::sync::Semaphore::new(settings.concurrency.max(1))),
            engine,
            settings,
            tz,
            currency,
            wake: tokio::sync::Notify::new(),
        })
    }

    /// Stores a job (`PENDING`) for a filter, sections and language; `asOf` is fixed now when
    /// the filter has none, so the job gives the same numbers whenever it runs.
    pub async fn request(
        &self,
        format: ExportFormat,
        filter: WindowInput,
        sections: Option<Vec<String>>,
        lang: &str,
        by: Option<i64>,
    ) -> AppResult<StatisticsExport> {
        let now = Utc::now();
        if lang != "fr" && lang != "en" {
            return Err(AppError::bad_input("`lang` is \"fr\" or \"en\""));
        }
        let sections = match sections {
            None => report::SECTIONS.iter().map(|s| s.to_string()).collect(),
            Some(list) => {
                if list.is_empty() {
                    return Err(AppError::bad_input("`sections` names at least one section"));
                }
                for s in &list {
                    if !report::SECTIONS.contains(&s.as_str()) {
                        return Err(AppError::bad_input(format!(
                            "`sections`: {:?} is not one of {}",
                            s.chars().take(100).collect::<String>(),
                            report::SECTIONS.join(", ")
                        )));
                    }
                }
                report::SECTIONS
                    .iter()
                    .filter(|s| list.iter().any(|l| l == *s))
                    .map(|s| s.to_string())
                    .collect()
            }
        };
        let as_of = filter.as_of.unwrap_or(now);
        let config = ExportConfig {
            period: filter.period,
            from: filter.from,
            to: filter.to,
            as_of,
            city: filter.city.clone(),
            specialty: filter.specialty.clone(),
            sections,
            lang: lang.to_string(),
            time_zone: filter.time_zone.clone(),
            week_start: filter.week_start,
        };
        // validated as any filter is (an `asOf` later than the clock included), before
        // anything is stored
        Window::from_input(filter, now, self.tz)?;
        let row = exports::ActiveModel {
            id: sea_orm::Set(uuid::Uuid::new_v4().to_string()),
            export_type: sea_orm::Set(format.as_str().into()),
            status: sea_orm::Set("pending".into()),
            requested_by: sea_orm::Set(by),
            export_config: sea_orm::Set(
                serde_json::to_value(&config).map_err(|_| AppError::Internal)?,
            ),
            created_at: sea_orm::Set(now),
            ..Default::default()
        };
        let row = sea_orm::ActiveModelTrait::insert(row, &self.db).await?;
        self.wake.notify_one();
        Ok(shown(&row))
    }

    fn window(&self, config: &ExportConfig) -> AppResult<Window> {
        Window::from_input(
            WindowInput {
                period: config.period,
                from: config.from,
                to: config.to,
                as_of: Some(config.as_of),
                city: config.city.clone(),
                specialty: config.specialty.clone(),
                time_zone: config.time_zone.clone(),
                week_start: config.week_start,
            },
            Utc::now().max(config.as_of),
            self.tz,
        )
    }

    /// One job.
    pub async fn get(&self, id: &str) -> AppResult<exports::Model> {
        let id = check_id(id)?;
        exports::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(AppError::NotFound("export"))
    }

    /// Jobs newest first (by request time, then id), `first` after the cursor `after` (the
    /// cursor of a job, `requested_at~id`): a job requested meanwhile shifts no page.
    pub async fn page(
        &self,
        first: u64,
        after: Option<&str>,
    ) -> AppResult<(Vec<exports::Model>, bool)> {
        use sea_orm::{ColumnTrait, Condition, QueryFilter};
        let mut query = exports::Entity::find();
        if let Some(cursor) = after {
            let bad = || AppError::bad_input("`after` is not a cursor of this list");
            let (at, id) = cursor.split_once('~').ok_or_else(bad)?;
            let at = DateTime::parse_from_rfc3339(at)
                .map_err(|_| bad())?
                .with_timezone(&Utc);
            let id = check_id(id).map_err(|_| bad())?;
            query = query.filter(
                Condition::any().add(exports::Column::CreatedAt.lt(at)).add(
                    Condition::all()
                        .add(exports::Column::CreatedAt.eq(at))
                        .add(exports::Column::Id.lt(id)),
                ),
            );
        }
        let rows = query
            .order_by_desc(exports::Column::CreatedAt)
            .order_by_desc(exports::Column::Id)
            .limit(first + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > first;
        Ok((rows.into_iter().take(first as usize).collect(), more))
    }

    /// The file of a completed job, and its row; records the download.
    pub async fn download(&self, id: &str, by: i64) -> AppResult<(exports::Model, Vec<u8>)> {
        let (row, content) = self.file(id).await?;
        let backend = self.db.get_database_backend();
        let now = Utc::now();
        let record = match backend {
            DatabaseBackend::Postgres => {
                "INSERT INTO statistics_export_downloads (export_id, downloaded_by, downloaded_at) VALUES ($1, $2, $3)"
            }
            _ => {
                "INSERT INTO statistics_export_downloads (export_id, downloaded_by, downloaded_at) VALUES (?, ?, ?)"
            }
        };
        self.db
            .execute_raw(Statement::from_sql_and_values(
                backend,
                record,
                [row.id.clone().into(), by.into(), instant(backend, now)],
            ))
            .await?;
        Ok((row, content))
    }

    /// The file of a completed job, and its row.
    pub async fn file(&self, id: &str) -> AppResult<(exports::Model, Vec<u8>)> {
        let row = self.get(id).await?;
        match ExportStatus::parse(&row.status) {
            ExportStatus::Completed => {}
            ExportStatus::Expired => {
                return Err(AppError::bad_input("this export expired: request it again"));
            }
            _ => {
                return Err(AppError::bad_input(
                    "this export is not ready: watch exportProgress",
                ));
            }
        }
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DatabaseBackend::Postgres => {
                "SELECT content FROM statistics_export_files WHERE export_id = $1"
            }
            _ => "SELECT content FROM statistics_export_files WHERE export_id = ?",
        };
        let content = Content::find_by_statement(Statement::from_sql_and_values(
            backend,
            sql,
            [row.id.clone().into()],
        ))
        .one(&self.db)
        .await?
        .ok_or(AppError::NotFound("export file"))?;
        Ok((row, content.content))
    }

    /// Starts the runner: claims jobs (at once, when woken, and every 2 s), at most
    /// `concurrency` at a time, and removes expired files every minute.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut last_expiry = std::time::Instant::now() - std::time::Duration::from_secs(3600);
            loop {
                if last_expiry.elapsed() >= std::time::Duration::from_secs(60) {
                    if let Err(err) = this.expire().await {
                        tracing::warn!(error = %err, "could not remove expired exports");
                    }
                    last_expiry = std::time::Instant::now();
                }
                while let Ok(permit) = this.slots.clone().try_acquire_owned() {
                    match this.claim(None).await {
                        Ok(Some(job)) => {
                            let runner = this.clone();
                            tokio::spawn(async move {
                                runner.run(job).await;
                                drop(permit);
                                runner.wake.notify_one();
                            });
                        }
                        Ok(None) => break,
                        Err(err) => {
                            tracing::warn!(error = %err, "could not claim an export");
                            break;
                        }
                    }
                }
                tokio::select! {
                    _ = this.wake.notified() => {}
                    _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                }
            }
        })
    }

    /// Takes the oldest job waiting (or left running past its lease), atomically: two
    /// runners never take the same job (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has
    /// one writer). `only`: that job alone.
    pub async fn claim(&self, only: Option<&str>) -> AppResult<Option<exports::Model>> {
        let backend = self.db.get_database_backend();
        let now = Utc::now();
        let stale = now - self.settings.lease;
        let (sql, values) = match backend {
            DatabaseBackend::Postgres => (
                format!(
                    "UPDATE statistics_exports SET status = 'processing', started_at = $1 \
                     WHERE id = (SELECT id FROM statistics_exports \
                       WHERE (status = 'pending' OR (status = 'processing' AND started_at < $2)) {} \
                       ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING *",
                    if only.is_some() { "AND id = $3" } else { "" }
                ),
                vec![instant(backend, now), instant(backend, stale)],
            ),
            _ => (
                format!(
                    "UPDATE statistics_exports SET status = 'processing', started_at = ? \
                     WHERE id = (SELECT id FROM statistics_exports \
                       WHERE (status = 'pending' OR (status = 'processing' AND started_at < ?)) {} \
                       ORDER BY created_at, id LIMIT 1) RETURNING *",
                    if only.is_some() { "AND id = ?" } else { "" }
                ),
                vec![instant(backend, now), instant(backend, stale)],
            ),
        };
        let mut values = values;
        if let Some(id) = only {
            values.push(id.to_string().into());
        }
        Ok(
            exports::Model::find_by_statement(Statement::from_sql_and_values(
                backend, &sql, values,
            ))
            .one(&self.db)
            .await?,
        )
    }

    /// Writes a claimed job's file and ends it `COMPLETED`, or `FAILED` with the reason.
    pub async fn run(&self, job: exports::Model) {
        let outcome = self.write(&job).await;
        let backend = self.db.get_database_backend();
        let now = Utc::now();
        let result = match outcome {
            Ok((file_name, bytes)) => self.complete(&job, &file_name, bytes, now).await,
            Err(message) => {
                tracing::warn!(export = %job.id, %message, "export failed");
                let sql = match backend {
                    DatabaseBackend::Postgres => {
                        "UPDATE statistics_exports SET status = 'failed', error = $1, completed_at = $2 WHERE id = $3"
                    }
                    _ => {
                        "UPDATE statistics_exports SET status = 'failed', error = ?, completed_at = ? WHERE id = ?"
                    }
                };
                self.db
                    .execute_raw(Statement::from_sql_and_values(
                        backend,
                        sql,
                        [message.into(), instant(backend, now), job.id.clone().into()],
                    ))
                    .await
                    .map(|_| ())
                    .map_err(AppError::from)
            }
        };
        if let Err(err) = result {
            // left `processing`: claimed again when its lease ends
            tracing::warn!(export = %job.id, error = %err, "could not record the export's end");
        }
    }

    async fn complete(
        &self,
        job: &exports::Model,
        file_name: &str,
        bytes: Vec<u8>,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let backend = self.db.get_database_backend();
        let txn = self.db.begin().await?;
        let (delete, insert, update) = match backend {
            DatabaseBackend::Postgres => (
                "DELETE FROM statistics_export_files WHERE export_id = $1",
                "INSERT INTO statistics_export_files (export_id, content) VALUES ($1, $2)",
                "UPDATE statistics_exports SET status = 'completed', file_name = $1, size_bytes = $2, completed_at = $3, expires_at = $4, error = NULL WHERE id = $5",
            ),
            _ => (
                "DELETE FROM statistics_export_files WHERE export_id = ?",
                "INSERT INTO statistics_export_files (export_id, content) VALUES (?, ?)",
                "UPDATE statistics_exports SET status = 'completed', file_name = ?, size_bytes = ?, completed_at = ?, expires_at = ?, error = NULL WHERE id = ?",
            ),
        };
        let size = bytes.len() as i64;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            delete,
            [job.id.clone().into()],
        ))
        .await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            insert,
            [job.id.clone().into(), bytes.into()],
        ))
        .await?;
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            update,
            [
                file_name.to_string().into(),
                size.into(),
                instant(backend, now),
                instant(backend, now + self.settings.ttl),
                job.id.clone().into(),
            ],
        ))
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The file of a job: its name and bytes, or the reason it cannot be written.
    async fn write(&self, job: &exports::Model) -> Result<(String, Vec<u8>), String> {
        let format = ExportFormat::parse(&job.export_type)
            .ok_or_else(|| format!("unknown format {:?}", job.export_type))?;
        let config: ExportConfig = serde_json::from_value(job.export_config.clone())
            .map_err(|e| format!("the job's settings cannot be read: {e}"))?;
        let window = self.window(&config).map_err(|e| e.to_string())?;
        let sections: Vec<&'static str> = report::SECTIONS
            .iter()
            .copied()
            .filter(|s| config.sections.iter().any(|c| c == s))
            .collect();
        let header = report::Header {
            platform: self.settings.platform.clone(),
            period: report::period_name(&window),
            as_of: window.as_of,
            from: window.start,
            to: window.end,
            city: window.city.clone(),
            specialty: window.specialty.clone(),
            timezone: window.tz.name().to_string(),
            currency: self.currency.clone(),
            generated_at: Utc::now(),
            lang: config.lang.clone(),
        };
        let report = report::build(self.engine.clone(), window.clone(), &sections, header)
            .await
            .map_err(|e| format!("the statistics could not be read: {e}"))?;
        let bytes = match format {
            ExportFormat::Json => {
                serde_json::to_vec_pretty(&report.json()).map_err(|e| e.to_string())?
            }
            ExportFormat::Csv => report::csv(&report),
            ExportFormat::Xlsx => xlsx::write(&report)
                .map_err(|e| format!("the workbook could not be written: {e}"))?,
            ExportFormat::Pdf => {
                pdf::write(&report).map_err(|e| format!("the PDF could not be written: {e}"))?
            }
        };
        Ok((file_name(&config, &window, format), bytes))
    }

    /// Removes files past their expiry and marks their jobs `EXPIRED`; returns how many.
    pub async fn expire(&self) -> AppResult<u64> {
        let backend = self.db.get_database_backend();
        let now = instant(backend, Utc::now());
        let txn = self.db.begin().await?;
        let (files, rows) = match backend {
            DatabaseBackend::Postgres => (
                "DELETE FROM statistics_export_files WHERE export_id IN (SELECT id FROM statistics_exports WHERE status = 'completed' AND expires_at <= $1)",
                "UPDATE statistics_exports SET status = 'expired' WHERE status = 'completed' AND expires_at <= $1",
            ),
            _ => (
                "DELETE FROM statistics_export_files WHERE export_id IN (SELECT id FROM statistics_exports WHERE status = 'completed' AND expires_at <= ?)",
                "UPDATE statistics_exports SET status = 'expired' WHERE status = 'completed' AND expires_at <= ?",
            ),
        };
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            files,
            [now.clone()],
        ))
        .await?;
        let done = txn
            .execute_raw(Statement::from_sql_and_values(backend, rows, [now]))
            .await?;
        txn.commit().await?;
        Ok(done.rows_affected())
    }
}

/// An instant as the engine stores it.
fn instant(backend: DatabaseBackend, at: DateTime<Utc>) -> sea_orm::Value {
    match backend {
        DatabaseBackend::Postgres => at.into(),
        _ => crate::db::sqlite_instant(at).into(),
    }
}

/// `statistiques-2026-11-24-last_30d.xlsx` (`statistics-...` in English): the day of `asOf`
/// in the reporting zone, the period.
pub fn file_name(config: &ExportConfig, window: &Window, format: ExportFormat) -> String {
    let stem = if config.lang == "en" {
        "statistics"
    } else {
        "statistiques"
    };
    let day = window.as_of.with_timezone(&window.tz).format("%Y-%m-%d");
    let period = match window.span {
        crate::window::Span::Period(p) => crate::alerts::rules::period_name(p).to_ascii_lowercase(),
        crate::window::Span::Range(..) => "custom".into(),
    };
    format!("{stem}-{day}-{period}.{}", format.as_str())
}
