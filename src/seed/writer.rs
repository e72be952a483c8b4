//! Multi-row INSERT batches with literal values (generated data only), for fast bulk loads.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Rows per INSERT statement.
const ROWS_PER_STATEMENT: usize = 500;

/// Collects rows of one table and writes them in multi-row INSERTs.
pub struct Batch {
    head: String,
    rows: Vec<String>,
    written: u64,
    auto_flush: bool,
}

impl Batch {
    /// A batch for `table (columns)`.
    pub fn new(table_and_columns: &str) -> Self {
        Batch {
            head: format!("INSERT INTO {table_and_columns} VALUES "),
            rows: Vec::with_capacity(ROWS_PER_STATEMENT),
            written: 0,
            auto_flush: true,
        }
    }

    /// A batch whose rows reference another batch's rows: it is written only when told
    /// (`flush`), after the rows it references.
    pub fn following(table_and_columns: &str) -> Self {
        Batch {
            auto_flush: false,
            ..Batch::new(table_and_columns)
        }
    }

    /// Whether no row waits to be written.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds one `(...)` row, writing a statement when the batch is full.
    pub async fn row(&mut self, db: &Sink, row: &str) -> Result<(), DbErr> {
        self.rows.push(row.to_string());
        if self.auto_flush && self.rows.len() >= ROWS_PER_STATEMENT {
            self.flush(db).await?;
        }
        Ok(())
    }

    /// Writes the waiting rows.
    pub async fn flush(&mut self, db: &Sink) -> Result<(), DbErr> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let sql = format!("{}{}", self.head, self.rows.join(","));
        db.send(sql).await?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        Ok(())
    }

    /// Writes what is left and returns the number of rows written.
    pub async fn finish(mut self, db: &Sink) -> Result<u64, DbErr> {
        self.flush(db).await?;
        Ok(self.written)
    }
}

/// Executes statements, in the order sent, on a transaction owned by a task of its own.
pub struct Sink {
    tx: mpsc::Sender<String>,
    task: JoinHandle<Result<DatabaseTransaction, DbErr>>,
}

impl Sink {
    /// Starts the task that writes to `txn`.
    pub fn spawn(txn: DatabaseTransaction) -> Sink {
        let (tx, mut rx) = mpsc::channel::<String>(8);
        let task = tokio::spawn(async move {
            while let Some(sql) = rx.recv().await {
                txn.execute_unprepared(&sql).await?;
            }
            Ok(txn)
        });
        Sink { tx, task }
    }

    /// Queues a statement.
    pub async fn send(&self, sql: String) -> Result<(), DbErr> {
        self.tx
            .send(sql)
            .await
            .map_err(|_| DbErr::Custom("the writer stopped".into()))
    }

    /// Waits for every queued statement and returns the transaction, or the first error.
    pub async fn close(self) -> Result<DatabaseTransaction, DbErr> {
        drop(self.tx);
        self.task
            .await
            .map_err(|e| DbErr::Custom(format!("the writer failed: {e}")))?
    }
}

/// A quoted SQL text literal.
pub fn lit_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A boolean literal.
pub fn lit_bool(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

/// A money literal from cents.
pub fn lit_money(cents: i64) -> String {
    rust_decimal::Decimal::new(cents, 2).to_string()
}

/// A timestamp literal in the stored RFC 3339 form, valid on both engines.
pub fn lit_ts(t: DateTime<Utc>) -> String {
    format!("'{}'", crate::db::sqlite_instant(t))
}

/// A nullable timestamp literal.
pub fn lit_opt_ts(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "NULL".to_string(), lit_ts)
}

/// Drops the secondary indexes of `tables` (not primary keys nor unique constraints) and
/// returns the statements that create them again.
pub async fn drop_secondary_indexes(
    db: &impl ConnectionTrait,
    tables: &[&str],
) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let list = tables
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = match backend {
        DatabaseBackend::Postgres => format!(
            "SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename IN ({list}) AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ),
        _ => format!(
            "SELECT name, sql AS definition FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
             AND tbl_name IN ({list})"
        ),
    };
    #[derive(sea_orm::FromQueryResult)]
    struct Index {
        name: String,
        definition: String,
    }
    let mut query = crate::db::Sql::new(backend);
    query.push(&sql);
    let indexes: Vec<Index> = query.rows(db).await?;
    let mut create = Vec::with_capacity(indexes.len());
    for index in indexes {
        db.execute_unprepared(&format!("DROP INDEX \"{}\"", index.name))
            .await?;
        create.push(index.definition);
    }
    Ok(create)
}

/// Removes the change capture from `tables` (a bulk load counts as one change at the end
/// instead of one per statement or row) and returns the statements that install it again.
pub async fn drop_change_capture(
    db: &impl ConnectionTrait,
    tables: &[&str],
) -> Result<Vec<String>, DbErr> {
    use migration::m20260101_000008_log_table_changes::{create_capture, drop_capture};
    use migration::m20260101_000015_rollups::{
        MARK_STALE, SOURCES, create_rollup_capture, drop_rollup_capture,
    };
    let backend = db.get_database_backend();
    let mut create = Vec::new();
    for table in tables {
        create.extend(create_capture(backend, table));
        for statement in drop_capture(backend, table) {
            db.execute_unprepared(&statement).await?;
        }
        // the rollups' capture too: they are rebuilt from the rows after the load
        if backend == sea_orm::DatabaseBackend::Postgres
            && SOURCES.iter().any(|s| s.table == *table)
        {
            for statement in drop_rollup_capture(table) {
                db.execute_unprepared(&statement).await?;
            }
            create.extend(create_rollup_capture(table));
            create.push(MARK_STALE.to_string());
        }
    }
    Ok(create)
}

/// Installs the capture `drop_change_capture` removed and records one change of each of
/// `tables`.
pub async fn restore_change_capture(
    db: &impl ConnectionTrait,
    tables: &[&str],
    statements: &[String],
) -> Result<(), DbErr> {
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    for table in tables {
        db.execute_unprepared(&migration::m20260101_000008_log_table_changes::count_change(table))
            .await?;
    }
    Ok(())
}

/// Runs the statements `drop_secondary_indexes` returned.
pub async fn recreate_indexes(
    db: &impl ConnectionTrait,
    statements: &[String],
) -> Result<(), DbErr> {
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}
