//! What changed in the platform's tables: each watched table's version, read in one
//! statement, and the folding of the change log (migration 000008).
//!
//! A table's version is its counter in `statistics_table_changes` plus its rows still in the
//! change log (`statistics_change_log`: one row per committed statement on PostgreSQL), and
//! its latest `updated_at` (which also moves for writes made while triggers are off, a
//! restore, say). Folding adds a side of the log to the counters and empties it in one
//! transaction, so the sum never moves back and every committed write moves it: a reader
//! sees a table's version change as soon as the write is visible to it, never before.
//!
//! Why a log rather than PostgreSQL's cumulative statistics (`pg_stat_user_tables`): those
//! cost nothing per write, but reach the shared statistics up to seconds after a commit
//! (later still under contention), count per server (a standby does not see the primary's
//! counts) and carry no row values, which incremental rollups will need. The log is made of
//! tables: it replicates with the data, so a reader on a standby sees the versions of the
//! rows it reads there. Folding writes, so it runs on the primary.

use crate::db::Sql;
use crate::telemetry::TELEMETRY;
use migration::m20260101_000008_log_table_changes::{LOG_SIDE_SECONDS, WATCHED_TABLES};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, FromQueryResult, TransactionTrait,
};
use serde::{Deserialize, Serialize};

/// A watched table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Table {
    /// `users`.
    Users,
    /// `technicians`.
    Technicians,
    /// `repair_requests`.
    Requests,
    /// `payments`.
    Payments,
    /// `reviews`.
    Reviews,
    /// `login_events`.
    Logins,
    /// `statistics_alerts`.
    Alerts,
}

impl Table {
    /// Every watched table, in the order of `WATCHED_TABLES`.
    pub const ALL: [Table; 7] = [
        Table::Users,
        Table::Technicians,
        Table::Requests,
        Table::Payments,
        Table::Reviews,
        Table::Logins,
        Table::Alerts,
    ];

    /// The table's SQL name.
    pub fn name(self) -> &'static str {
        WATCHED_TABLES[self as usize]
    }

    /// The column whose maximum moves with every insert and update: `updated_at`, or the id
    /// for alerts (they have no `updated_at` and their ids only grow).
    fn latest_column(self) -> &'static str {
        match self {
            Table::Alerts => "id",
            _ => "updated_at",
        }
    }
}

/// A set of watched tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableSet(u8);

impl TableSet {
    /// The set of `tables`.
    pub const fn of(tables: &[Table]) -> TableSet {
        let mut bits = 0u8;
        let mut i = 0;
        while i < tables.len() {
            bits |= 1 << tables[i] as u8;
            i += 1;
        }
        TableSet(bits)
    }

    /// Both sets.
    pub const fn union(self, other: TableSet) -> TableSet {
        TableSet(self.0 | other.0)
    }

    /// Whether `table` is in the set.
    pub fn contains(self, table: Table) -> bool {
        self.0 & (1 << table as u8) != 0
    }

    /// The tables of the set, in `Table::ALL` order.
    pub fn iter(self) -> impl Iterator<Item = Table> {
        Table::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

/// One table's version: writes counted so far and its latest change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableVersion {
    /// Committed statements (PostgreSQL) or written rows (SQLite) counted by the capture.
    pub changes: i64,
    /// The largest `updated_at` (or id), as text; `None` for an empty table.
    pub latest: Option<String>,
}

/// The versions of every watched table, read in one statement (one snapshot).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    versions: [TableVersion; 7],
}

impl Fingerprint {
    /// The version of `table`.
    pub fn version(&self, table: Table) -> &TableVersion {
        &self.versions[table as usize]
    }

    /// The versions of the tables of `set`, what an entry computed from them depends on.
    pub fn project(&self, set: TableSet) -> Versions {
        Versions(set.iter().map(|t| (t, self.version(t).clone())).collect())
    }
}

/// The versions of the tables an entry was computed from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versions(Vec<(Table, TableVersion)>);

impl Versions {
    /// The version of `table`, if the entry read it.
    pub fn version(&self, table: Table) -> Option<&TableVersion> {
        self.0.iter().find(|(t, _)| *t == table).map(|(_, v)| v)
    }

    /// Whether none of these tables changed in `now`.
    pub fn current_in(&self, now: &Fingerprint) -> bool {
        self.0.iter().all(|(t, v)| now.version(*t) == v)
    }
}

#[derive(FromQueryResult)]
struct VersionRow {
    table_name: String,
    changes: i64,
    latest: Option<String>,
}

/// Reads the version of every watched table: a handful of index probes and the (small,
/// folded every second) log, whatever the size of the tables.
pub async fn read(db: &impl ConnectionTrait) -> Result<Fingerprint, DbErr> {
    TELEMETRY.fingerprint_checks.inc();
    let parts: Vec<String> = Table::ALL
        .iter()
        .map(|t| {
            format!(
                "SELECT '{name}' AS table_name, \
                   COALESCE((SELECT c.changes FROM statistics_table_changes c WHERE c.table_name = '{name}'), -1) \
                   + COALESCE((SELECT l.n FROM logged l WHERE l.table_name = '{name}'), 0) AS changes, \
                   (SELECT CAST(MAX({column}) AS TEXT) FROM {name}) AS latest",
                name = t.name(),
                column = t.latest_column()
            )
        })
        .collect();
    let sql = format!(
        "WITH logged AS (SELECT table_name, COUNT(*) AS n FROM statistics_change_log GROUP BY table_name) {}",
        parts.join(" UNION ALL ")
    );
    let backend = db.get_database_backend();
    let rows = VersionRow::find_by_statement(sea_orm::Statement::from_string(backend, sql))
        .all(db)
        .await?;
    let mut versions: [TableVersion; 7] = Default::default();
    for row in rows {
        let Some(table) = Table::ALL.iter().find(|t| t.name() == row.table_name) else {
            continue;
        };
        versions[*table as usize] = TableVersion {
            changes: row.changes,
            latest: row.latest,
        };
    }
    Ok(Fingerprint { versions })
}

/// Advisory lock key of the folding: one process in the fleet folds at a time.
const FOLD_LOCK: i64 = 0x7465_6c69_6d61_6e01;

/// Folds the side of the change log that statements are not writing now into the counters,
/// if no other process is folding and no open transaction holds that side; returns the rows
/// folded. Writers never wait for this: the side is taken with `NOWAIT` only when no writer
/// holds it, and held for a count and a `TRUNCATE`. Nothing to do on SQLite (its log stays
/// empty).
pub async fn fold(db: &DatabaseConnection) -> Result<u64, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(0);
    }
    #[derive(FromQueryResult)]
    struct Side {
        got: bool,
        side: i64,
    }
    #[derive(FromQueryResult)]
    struct Folded {
        n: i64,
    }
    let txn = db.begin().await?;
    let mut sql = Sql::new(DatabaseBackend::Postgres);
    let key = sql.bind(FOLD_LOCK);
    let seconds = sql.bind(LOG_SIDE_SECONDS);
    sql.push(&format!(
        "SELECT pg_try_advisory_xact_lock({key}) AS got, \
           1 - (CAST(EXTRACT(EPOCH FROM now()) AS BIGINT) / {seconds}) % 2 AS side"
    ));
    let Side { got, side } = sql.row::<Side>(&txn).await?;
    if !got {
        return Ok(0);
    }
    let table = format!("statistics_change_log_{side}");
    if let Err(err) = txn
        .execute_unprepared(&format!(
            "LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE NOWAIT"
        ))
        .await
    {
        // an open transaction still holds that side: it is folded next time
        return if is_lock_unavailable(&err) {
            Ok(0)
        } else {
            Err(err)
        };
    }
    let mut sql = Sql::new(DatabaseBackend::Postgres);
    sql.push(&format!(
        "WITH counted AS (SELECT table_name, COUNT(*) AS n FROM {table} GROUP BY table_name), \
         bumped AS (UPDATE statistics_table_changes c SET changes = c.changes + counted.n \
           FROM counted WHERE c.table_name = counted.table_name RETURNING counted.n) \
         SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM bumped"
    ));
    let folded = sql.row::<Folded>(&txn).await?.n;
    if folded > 0 {
        txn.execute_unprepared(&format!("TRUNCATE {table}")).await?;
    }
    txn.commit().await?;
    Ok(folded as u64)
}

/// Whether a statement failed because a lock taken with `NOWAIT` was held (SQLSTATE 55P03).
fn is_lock_unavailable(err: &DbErr) -> bool {
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
    | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "55P03")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_the_migration_list() {
        for (t, name) in Table::ALL.iter().zip(WATCHED_TABLES) {
            assert_eq!(t.name(), name);
        }
        let set = TableSet::of(&[Table::Reviews, Table::Users]);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Table::Users, Table::Reviews]
        );
        assert!(!set.contains(Table::Logins));
    }

    #[test]
    fn versions_compare_only_their_tables() {
        let mut a = Fingerprint {
            versions: Default::default(),
        };
        let reviews = a.project(TableSet::of(&[Table::Reviews]));
        a.versions[Table::Logins as usize].changes = 3;
        assert!(reviews.current_in(&a));
        a.versions[Table::Reviews as usize].changes = 1;
        assert!(!reviews.current_in(&a));
    }
}
