//! Keeping the rollups: folding the delta logs (every second), pruning the fine levels,
//! checking that nothing bypassed the capture, and rebuilding.
//!
//! Every step runs in a transaction holding one advisory transaction lock, taken without
//! waiting: one process of the fleet does each step, the others skip it. Folding a log is
//! one statement (delete the entries, add them to every level and grouping of their
//! facts, advance the state), so a reader sees the entries either in the log or in the
//! cells, never in both or neither. The rebuild reads the platform's rows in a REPEATABLE
//! READ snapshot and deletes exactly the log entries that snapshot saw: writes committed
//! meanwhile stay in the log and are folded next; readers keep the old cells (MVCC) until
//! it commits.

use super::RollupSettings;
use super::facts::{self, Fact};
use super::read::{day_bucket_sql, zone_literal};
use crate::db::Sql;
use chrono::{DateTime, Duration, DurationRound, Utc};
use migration::m20260101_000015_rollups::SOURCES;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, FromQueryResult,
    IsolationLevel, TransactionTrait,
};
use std::time::Duration as StdDuration;
use tokio::task::JoinHandle;

/// The advisory lock of the rollup keeper (`rollups` in ASCII).
pub const ROLLUP_LOCK: i64 = 0x0072_6f6c_6c75_7073;

/// Time between two folds.
pub const FOLD_EVERY: StdDuration = StdDuration::from_secs(1);

/// Time between two prunings of the fine levels (and of empty cells).
pub const PRUNE_EVERY: StdDuration = StdDuration::from_secs(600);

/// Time between two checks of the row counts against the rollups.
pub const CHECK_EVERY: StdDuration = StdDuration::from_secs(600);

/// What the keeper did in one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Step {
    /// Another process holds the lock.
    #[default]
    Skipped,
    /// The logs held this many entries, now folded.
    Folded(u64),
    /// The rollups were rebuilt.
    Rebuilt,
}

fn bucket(level: i16, col: &str, zone: &str) -> String {
    let z = zone_literal(zone);
    match level {
        0 => "TIMESTAMPTZ '1970-01-01 00:00:00+00'".to_string(),
        2 => day_bucket_sql(col, zone),
        3 => format!(
            "({col} - (({col} AT TIME ZONE {z}) - date_trunc('hour', {col} AT TIME ZONE {z})))"
        ),
        _ => format!("date_bin('15 minutes', {col}, TIMESTAMPTZ '1970-01-01 00:00:00+00')"),
    }
}

fn columns(fact: &Fact) -> String {
    fact.measures
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn gsets(fact: &Fact) -> &'static str {
    if fact.sliced {
        "(VALUES (0), (1), (2), (3))"
    } else {
        "(VALUES (0))"
    }
}

/// `INSERT ... ON CONFLICT` adding the signed entries of `rows` (alias `x`) to every level
/// and grouping of `fact`.
fn upsert(fact: &Fact, rows: &str, zone: &str) -> String {
    let t = format!("x.{}", fact.time);
    let level = format!(
        "CASE lv.l WHEN 0 THEN {} WHEN 2 THEN {} WHEN 3 THEN {} ELSE {} END",
        bucket(0, &t, zone),
        bucket(2, &t, zone),
        bucket(3, &t, zone),
        bucket(4, &t, zone)
    );
    let sums: Vec<String> = fact
        .measures
        .iter()
        .map(|m| format!("SUM(x.sign * ({}))", m.expr))
        .collect();
    let nonzero: Vec<String> = sums.iter().map(|s| format!("{s} <> 0")).collect();
    let updates: Vec<String> = fact
        .measures
        .iter()
        .map(|m| {
            format!(
                "{n} = {table}.{n} + EXCLUDED.{n}",
                n = m.name,
                table = fact.table
            )
        })
        .collect();
    format!(
        "INSERT INTO {table} (level, gset, bucket_start, city, specialty, {cols}) \
         SELECT lv.l, gs.g, {level}, CASE WHEN gs.g IN (1, 3) THEN x.city ELSE '' END, \
           CASE WHEN gs.g IN (2, 3) THEN x.specialty ELSE '' END, {sums} \
         FROM {rows} x CROSS JOIN (VALUES (0), (2), (3), (4)) lv(l) CROSS JOIN {gsets} gs(g) \
         WHERE {t} IS NOT NULL AND {filter} \
           AND (lv.l < 3 OR {t} >= (SELECT fine_from FROM statistics_rollup_state WHERE id = 1)) \
         GROUP BY 1, 2, 3, 4, 5 HAVING {nonzero} \
         ON CONFLICT (level, gset, bucket_start, city, specialty) DO UPDATE SET {updates}",
        table = fact.table,
        cols = columns(fact),
        sums = sums.join(", "),
        gsets = gsets(fact),
        filter = fact.filter,
        nonzero = nonzero.join(" OR "),
        updates = updates.join(", "),
    )
}

/// Adds the failed logins of `d` (alias `x`) to their addresses' cells: all time, and the
/// local day for days in the fine retention; the latest failure by `GREATEST`.
fn address_upsert(zone: &str) -> String {
    format!(
        "INSERT INTO statistics_rollup_addresses (level, bucket_start, ip_address, failed, last_failed) \
         SELECT lv.l, CASE lv.l WHEN 0 THEN {all} ELSE {day} END, x.ip_address, SUM(x.sign), \
           MAX(CASE WHEN x.sign > 0 THEN x.created_at END) \
         FROM d x CROSS JOIN (VALUES (0), (2)) lv(l) \
         WHERE x.success = FALSE AND x.ip_address IS NOT NULL AND x.created_at IS NOT NULL \
           AND (lv.l = 0 OR x.created_at >= (SELECT fine_from FROM statistics_rollup_state WHERE id = 1)) \
         GROUP BY 1, 2, 3 \
         ON CONFLICT (level, bucket_start, ip_address) DO UPDATE SET \
           failed = statistics_rollup_addresses.failed + EXCLUDED.failed, \
           last_failed = GREATEST(statistics_rollup_addresses.last_failed, EXCLUDED.last_failed)",
        all = bucket(0, "x.created_at", zone),
        day = bucket(2, "x.created_at", zone),
    )
}

/// What each source adds to the per-technician cells, by its row's creation:
/// `(table, filter, column, value)` over the alias `x` (a log row or a platform row).
pub const PER_TECHNICIAN: [(&str, &str, &str, &str); 4] = [
    ("reviews", "TRUE", "reviews", "1"),
    ("reviews", "TRUE", "rating_sum", "x.rating"),
    (
        "repair_requests",
        "x.status = 'completed'",
        "completed",
        "1",
    ),
    ("payments", "x.status = 'completed'", "revenue", "x.amount"),
];

/// The per-technician `(filter, column, value)` a source feeds.
fn technician_columns(table: &str) -> Vec<(&'static str, &'static str, &'static str)> {
    PER_TECHNICIAN
        .iter()
        .filter(|(t, ..)| *t == table)
        .map(|(_, filter, col, value)| (*filter, *col, *value))
        .collect()
}

/// Adds the entries of `d` (alias `x`) from `table`'s log to their technicians' cells
/// (every slice together): all time, and the local day (of the row's creation) for days in
/// the fine retention.
fn technician_upsert(table: &str, zone: &str) -> String {
    let cols = technician_columns(table);
    let filter = cols[0].0;
    let names: Vec<&str> = cols.iter().map(|c| c.1).collect();
    let sums: Vec<String> = cols
        .iter()
        .map(|(_, _, v)| format!("SUM(x.sign * ({v}))"))
        .collect();
    let nonzero: Vec<String> = sums.iter().map(|s| format!("{s} <> 0")).collect();
    let updates: Vec<String> = names
        .iter()
        .map(|n| format!("{n} = statistics_rollup_technicians.{n} + EXCLUDED.{n}"))
        .collect();
    format!(
        "INSERT INTO statistics_rollup_technicians \
           (level, gset, bucket_start, city, specialty, technician_id, {names}) \
         SELECT lv.l, 0, CASE lv.l WHEN 0 THEN {all} ELSE {day} END, '', '', x.technician_id, {sums} \
         FROM d x CROSS JOIN (VALUES (0), (2)) lv(l) \
         WHERE x.technician_id IS NOT NULL AND x.created_at IS NOT NULL AND {filter} \
           AND (lv.l = 0 OR x.created_at >= (SELECT fine_from FROM statistics_rollup_state WHERE id = 1)) \
         GROUP BY 1, 2, 3, 4, 5, 6 HAVING {nonzero} \
         ON CONFLICT (level, gset, bucket_start, city, specialty, technician_id) DO UPDATE SET {updates}",
        names = names.join(", "),
        all = bucket(0, "x.created_at", zone),
        day = bucket(2, "x.created_at", zone),
        sums = sums.join(", "),
        nonzero = nonzero.join(" OR "),
        updates = updates.join(", "),
    )
}

/// Fills the per-technician cells of `table`'s columns from its rows.
fn technician_rebuild(table: &str, zone: &str, fine_from: DateTime<Utc>) -> Vec<String> {
    let cols = technician_columns(table);
    let filter = cols[0].0;
    let names: Vec<&str> = cols.iter().map(|c| c.1).collect();
    let sums: Vec<String> = cols.iter().map(|(_, _, v)| format!("SUM({v})")).collect();
    let updates: Vec<String> = names
        .iter()
        .map(|n| format!("{n} = statistics_rollup_technicians.{n} + EXCLUDED.{n}"))
        .collect();
    let since = format!("TIMESTAMPTZ '{}'", fine_from.format("%Y-%m-%d %H:%M:%S+00"));
    [
        (0, bucket(0, "x.created_at", zone), "TRUE".to_string()),
        (2, bucket(2, "x.created_at", zone), format!("x.created_at >= {since}")),
    ]
    .into_iter()
    .map(|(level, b, when)| {
        format!(
            "INSERT INTO statistics_rollup_technicians \
               (level, gset, bucket_start, city, specialty, technician_id, {names}) \
             SELECT {level}, 0, {b}, '', '', x.technician_id, {sums} FROM {table} x \
             WHERE x.technician_id IS NOT NULL AND {filter} AND {when} GROUP BY 3, 6 \
             ON CONFLICT (level, gset, bucket_start, city, specialty, technician_id) DO UPDATE SET {updates}",
            names = names.join(", "),
            sums = sums.join(", "),
            updates = updates.join(", "),
        )
    })
    .collect()
}

/// A latest failure is a maximum, which a deletion cannot undo: the cells of addresses
/// that lost a failure take theirs from the rows again.
async fn recompute_last_failures(
    db: &impl ConnectionTrait,
    ips: &[&str],
    zone: &str,
) -> Result<(), DbErr> {
    for chunk in ips.chunks(500) {
        let mut sql = Sql::new(DatabaseBackend::Postgres);
        let list: Vec<String> = chunk.iter().map(|ip| sql.bind(ip.to_string())).collect();
        sql.push(&format!(
            "UPDATE statistics_rollup_addresses a SET last_failed = \
               (SELECT MAX(e.created_at) FROM login_events e WHERE e.ip_address = a.ip_address \
                AND e.success = FALSE AND (a.level = 0 OR {day} = a.bucket_start)) \
             WHERE a.ip_address IN ({})",
            list.join(", "),
            day = bucket(2, "e.created_at", zone),
        ));
        db.execute_raw(sql.statement()).await?;
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct StateRow {
    status: String,
    zone: String,
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

async fn try_lock(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    #[derive(FromQueryResult)]
    struct Got {
        got: bool,
    }
    let mut sql = Sql::new(DatabaseBackend::Postgres);
    let key = sql.bind(ROLLUP_LOCK);
    sql.push(&format!("SELECT pg_try_advisory_xact_lock({key}) AS got"));
    Ok(sql.row::<Got>(db).await?.got)
}

/// One step of the keeper: a rebuild when the rollups are stale or built for another
/// zone, else a fold of every log.
pub async fn step(db: &DatabaseConnection, settings: &RollupSettings) -> Result<Step, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(Step::Skipped);
    }
    let state = StateRow::find_by_statement(sea_orm::Statement::from_string(
        DatabaseBackend::Postgres,
        "SELECT status, zone FROM statistics_rollup_state WHERE id = 1",
    ))
    .one(db)
    .await?;
    let Some(state) = state else {
        return Ok(Step::Skipped);
    };
    if state.status != "ready" || state.zone != settings.zone.name() {
        return rebuild(db, settings).await;
    }
    fold(db, settings).await
}

/// Folds every log into the rollups.
pub async fn fold(db: &DatabaseConnection, settings: &RollupSettings) -> Result<Step, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(Step::Skipped);
    }
    let txn = db.begin().await?;
    if !try_lock(&txn).await? {
        return Ok(Step::Skipped);
    }
    let zone = settings.zone.name();
    let mut folded = 0u64;
    for (source, facts) in SOURCES.iter().zip(facts::BY_LOG) {
        let mut with = vec![format!("d AS (DELETE FROM {} RETURNING *)", source.log)];
        for (i, fact) in facts.iter().enumerate() {
            with.push(format!("u{i} AS ({})", upsert(fact, "d", zone)));
        }
        let addresses = source.table == "login_events";
        if addresses {
            with.push(format!("ua AS ({})", address_upsert(zone)));
        }
        if !technician_columns(source.table).is_empty() {
            with.push(format!("ut AS ({})", technician_upsert(source.table, zone)));
        }
        with.push(
            "s AS (UPDATE statistics_rollup_state SET applied_at = now(), \
             max_event_at = GREATEST(max_event_at, (SELECT MAX(event_at) FROM d)) \
             WHERE id = 1 AND EXISTS (SELECT 1 FROM d))"
                .into(),
        );
        let negatives = if addresses {
            "(SELECT string_agg(DISTINCT ip_address, chr(10)) FROM d WHERE success = FALSE AND sign < 0)"
        } else {
            "CAST(NULL AS TEXT)"
        };
        let sql = format!(
            "WITH {} SELECT COUNT(*) AS n, {negatives} AS negatives FROM d",
            with.join(", ")
        );
        #[derive(FromQueryResult)]
        struct Folded {
            n: i64,
            negatives: Option<String>,
        }
        let row = Folded::find_by_statement(sea_orm::Statement::from_string(
            DatabaseBackend::Postgres,
            sql,
        ))
        .one(&txn)
        .await?;
        if let Some(row) = row {
            folded += row.n as u64;
            if let Some(ips) = row.negatives {
                let ips: Vec<&str> = ips.split('\n').collect();
                recompute_last_failures(&txn, &ips, zone).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(Step::Folded(folded))
}

/// The first instant the fine levels keep from, at `now`: a UTC midnight, so it moves once
/// a day.
pub fn fine_from(now: DateTime<Utc>, retention: Duration) -> DateTime<Utc> {
    (now - retention)
        .duration_trunc(Duration::days(1))
        .unwrap_or(now - retention)
}

/// Drops the fine cells older than the retention and the empty cells.
pub async fn prune(db: &DatabaseConnection, settings: &RollupSettings) -> Result<u64, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(0);
    }
    let txn = db.begin().await?;
    if !try_lock(&txn).await? {
        return Ok(0);
    }
    let from = fine_from(Utc::now(), settings.fine_retention);
    let mut sql = Sql::new(DatabaseBackend::Postgres);
    let p = sql.bind(from);
    sql.push(&format!(
        "UPDATE statistics_rollup_state SET fine_from = GREATEST(fine_from, {p}) WHERE id = 1"
    ));
    txn.execute_raw(sql.statement()).await?;
    // (table, levels kept for the fine retention, their end, an empty cell); the
    // per-address and per-technician days (local dates) are dropped two days later
    let days_end = from - Duration::days(2);
    let cells = facts::all()
        .map(|f| (f.table, "level IN (3, 4)", from, "n = 0"))
        .chain([
            (
                "statistics_rollup_addresses",
                "level = 2",
                days_end,
                "failed = 0",
            ),
            (
                "statistics_rollup_technicians",
                "level = 2",
                days_end,
                "reviews = 0 AND rating_sum = 0 AND completed = 0 AND revenue = 0",
            ),
        ]);
    let mut removed = 0;
    for (table, fine, before, empty) in cells {
        let mut sql = Sql::new(DatabaseBackend::Postgres);
        let p = sql.bind(before);
        sql.push(&format!(
            "DELETE FROM {table} WHERE ({fine} AND bucket_start < {p}) OR ({empty})"
        ));
        removed += txn.execute_raw(sql.statement()).await?.rows_affected();
    }
    txn.commit().await?;
    Ok(removed)
}

/// Whether the rows of every fact's table count what the rollups say (level 0 plus the
/// log): a `TRUNCATE` is caught by its trigger, this catches what bypasses triggers
/// (`session_replication_role = replica`, a restore). Marks the rollups stale when not.
pub async fn check(db: &DatabaseConnection) -> Result<bool, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(true);
    }
    let txn = db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadWrite),
        )
        .await?;
    if !try_lock(&txn).await? {
        return Ok(true);
    }
    let mut ok = true;
    for fact in facts::all() {
        let sql = format!(
            "SELECT CAST((SELECT COUNT(*) FROM {base} WHERE x.{t} IS NOT NULL AND {filter}) \
               - COALESCE((SELECT SUM(n) FROM {table} WHERE level = 0 AND gset = 0), 0) \
               - COALESCE((SELECT SUM(x.sign) FROM {log} x WHERE x.{t} IS NOT NULL AND {filter}), 0) AS BIGINT) AS n",
            base = fact.base,
            t = fact.time,
            filter = fact.filter,
            table = fact.table,
            log = fact.log,
        );
        let diff = Count::find_by_statement(sea_orm::Statement::from_string(
            DatabaseBackend::Postgres,
            sql,
        ))
        .one(&txn)
        .await?
        .map_or(0, |c| c.n);
        if diff != 0 {
            tracing::warn!(
                table = fact.table,
                rows = diff,
                "rollups disagree with the rows: rebuilding"
            );
            ok = false;
        }
    }
    if !ok {
        txn.execute_unprepared(migration::m20260101_000015_rollups::MARK_STALE)
            .await?;
    }
    txn.commit().await?;
    Ok(ok)
}

/// Rebuilds every rollup from the platform's rows, online (see the module).
pub async fn rebuild(db: &DatabaseConnection, settings: &RollupSettings) -> Result<Step, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(Step::Skipped);
    }
    let txn = db
        .begin_with_config(
            Some(IsolationLevel::RepeatableRead),
            Some(AccessMode::ReadWrite),
        )
        .await?;
    if !try_lock(&txn).await? {
        return Ok(Step::Skipped);
    }
    let zone = settings.zone.name();
    let from = fine_from(Utc::now(), settings.fine_retention);
    let mut script = Vec::new();
    for fact in facts::all() {
        script.push(format!("DELETE FROM {}", fact.table));
    }
    for fact in facts::all() {
        script.extend(rebuild_fact(fact, zone, from));
    }
    script.push("DELETE FROM statistics_rollup_technicians".into());
    for table in ["reviews", "repair_requests", "payments"] {
        script.extend(technician_rebuild(table, zone, from));
    }
    script.push("DELETE FROM statistics_rollup_addresses".into());
    script.push(format!(
        "INSERT INTO statistics_rollup_addresses (level, bucket_start, ip_address, failed, last_failed) \
         SELECT 0, {all}, x.ip_address, COUNT(*), MAX(x.created_at) FROM login_events x \
         WHERE x.success = FALSE AND x.ip_address IS NOT NULL GROUP BY x.ip_address",
        all = bucket(0, "x.created_at", zone),
    ));
    script.push(format!(
        "INSERT INTO statistics_rollup_addresses (level, bucket_start, ip_address, failed, last_failed) \
         SELECT 2, {day}, x.ip_address, COUNT(*), MAX(x.created_at) FROM login_events x \
         WHERE x.success = FALSE AND x.ip_address IS NOT NULL AND x.created_at >= TIMESTAMPTZ '{from}' \
         GROUP BY 2, 3",
        day = bucket(2, "x.created_at", zone),
        from = from.format("%Y-%m-%d %H:%M:%S+00"),
    ));
    for source in &SOURCES {
        script.push(format!("DELETE FROM {}", source.log));
    }
    let latest: Vec<String> = SOURCES
        .iter()
        .map(|s| format!("(SELECT MAX({}) FROM {} x)", s.event_at, s.table))
        .collect();
    let mut sql = Sql::new(DatabaseBackend::Postgres);
    let z = sql.bind(zone.to_string());
    let f = sql.bind(from);
    sql.push(&format!(
        "UPDATE statistics_rollup_state SET status = 'ready', zone = {z}, fine_from = {f}, \
         max_event_at = GREATEST({}), built_at = now(), applied_at = now(), rebuilds = rebuilds + 1 \
         WHERE id = 1",
        latest.join(", ")
    ));
    for statement in script {
        txn.execute_unprepared(&statement).await?;
    }
    txn.execute_raw(sql.statement()).await?;
    txn.commit().await?;
    // the planner's statistics of the new cells (their estimates keep aggregations in memory)
    for table in facts::all().map(|f| f.table).chain([
        "statistics_rollup_addresses",
        "statistics_rollup_technicians",
    ]) {
        db.execute_unprepared(&format!("ANALYZE {table}")).await?;
    }
    Ok(Step::Rebuilt)
}

/// The statements that fill one fact's cells from the platform's rows: the finest grouping
/// (city and specialty) of local days and of the kept quarters from one scan each, hours
/// from quarters, everything from days, then the coarser groupings from the finest.
fn rebuild_fact(fact: &Fact, zone: &str, fine_from: DateTime<Utc>) -> Vec<String> {
    let t = format!("x.{}", fact.time);
    let cols = columns(fact);
    let finest = if fact.sliced { 3 } else { 0 };
    let sums_raw: Vec<String> = fact
        .measures
        .iter()
        .map(|m| format!("SUM({})", m.expr))
        .collect();
    let sums_cells: Vec<String> = fact
        .measures
        .iter()
        .map(|m| format!("SUM({})", m.name))
        .collect();
    let (city, specialty) = (fact.base_city, fact.base_specialty);
    let from = format!("TIMESTAMPTZ '{}'", fine_from.format("%Y-%m-%d %H:%M:%S+00"));
    let table = fact.table;
    let mut out = vec![
        format!(
            "INSERT INTO {table} (level, gset, bucket_start, city, specialty, {cols}) \
             SELECT 2, {finest}, {b}, {city}, {specialty}, {sums} FROM {base} \
             WHERE {t} IS NOT NULL AND {filter} GROUP BY 3, 4, 5",
            b = bucket(2, &t, zone),
            sums = sums_raw.join(", "),
            base = fact.base_sliced,
            filter = fact.filter,
        ),
        format!(
            "INSERT INTO {table} (level, gset, bucket_start, city, specialty, {cols}) \
             SELECT 4, {finest}, {b}, {city}, {specialty}, {sums} FROM {base} \
             WHERE {t} >= {from} AND {filter} GROUP BY 3, 4, 5",
            b = bucket(4, &t, zone),
            sums = sums_raw.join(", "),
            base = fact.base_sliced,
            filter = fact.filter,
        ),
        format!(
            "INSERT INTO {table} (level, gset, bucket_start, city, specialty, {cols}) \
             SELECT 3, {finest}, {b}, city, specialty, {sums} FROM {table} \
             WHERE level = 4 AND gset = {finest} GROUP BY 3, 4, 5",
            b = bucket(3, "bucket_start", zone),
            sums = sums_cells.join(", "),
        ),
        format!(
            "INSERT INTO {table} (level, gset, bucket_start, city, specialty, {cols}) \
             SELECT 0, {finest}, {b}, city, specialty, {sums} FROM {table} \
             WHERE level = 2 AND gset = {finest} GROUP BY 3, 4, 5",
            b = bucket(0, "bucket_start", zone),
            sums = sums_cells.join(", "),
        ),
    ];
    if fact.sliced {
        for g in 0..3 {
            let c = if g & 1 == 1 { "city" } else { "''" };
            let s = if g & 2 == 2 { "specialty" } else { "''" };
            out.push(format!(
                "INSERT INTO {table} (level, gset, bucket_start, city, specialty, {cols}) \
                 SELECT level, {g}, bucket_start, {c}, {s}, {sums} FROM {table} \
                 WHERE gset = 3 GROUP BY level, bucket_start, 4, 5",
                sums = sums_cells.join(", "),
            ));
        }
    }
    out
}

/// Runs the keeper every second: rebuilds when needed, folds, prunes and checks now and
/// then. One process of the fleet does each step.
pub fn spawn(db: DatabaseConnection, settings: RollupSettings) -> Option<JoinHandle<()>> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(FOLD_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_prune = std::time::Instant::now();
        let mut last_check = std::time::Instant::now();
        loop {
            ticker.tick().await;
            match step(&db, &settings).await {
                Ok(Step::Rebuilt) => tracing::info!("rebuilt the rollups"),
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "could not keep the rollups"),
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = std::time::Instant::now();
                if let Err(err) = prune(&db, &settings).await {
                    tracing::warn!(error = %err, "could not prune the rollups");
                }
            }
            if last_check.elapsed() >= CHECK_EVERY {
                last_check = std::time::Instant::now();
                if let Err(err) = check(&db).await {
                    tracing::warn!(error = %err, "could not check the rollups");
                }
            }
        }
    }))
}
