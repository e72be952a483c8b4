//! Multi-row INSERT batches with literal values (generated data only), for fast bulk loads.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

/// Rows per INSERT statement.
const ROWS_PER_STATEMENT: usize = 500;

/// Collects rows of one table and writes them in multi-row INSERTs.
pub struct Batch {
    head: String,
    rows: Vec<String>,
    written: u64,
}

impl Batch {
    /// A batch for `table (columns)`.
    pub fn new(_backend: DatabaseBackend, table_and_columns: &str) -> Self {
        Batch {
            head: format!("INSERT INTO {table_and_columns} VALUES "),
            rows: Vec::with_capacity(ROWS_PER_STATEMENT),
            written: 0,
        }
    }

    /// Adds one `(...)` row, writing a statement when the batch is full.
    pub async fn row(&mut self, db: &impl ConnectionTrait, row: &str) -> Result<(), DbErr> {
        self.rows.push(row.to_string());
        if self.rows.len() >= ROWS_PER_STATEMENT {
            self.flush(db).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let sql = format!("{}{}", self.head, self.rows.join(","));
        db.execute_unprepared(&sql).await?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        Ok(())
    }

    /// Writes what is left and returns the number of rows written.
    pub async fn finish(mut self, db: &impl ConnectionTrait) -> Result<u64, DbErr> {
        self.flush(db).await?;
        Ok(self.written)
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
