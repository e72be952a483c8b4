//! Incremental rollups (PostgreSQL): tables of exact counters and sums per bucket, fed by
//! an append-only delta log of the platform's rows.
//!
//! Capture: on each of `repair_requests`, `payments`, `reviews`, `login_events` and `users`,
//! three AFTER ... FOR EACH STATEMENT triggers with transition tables append, per row
//! written, the old values with sign -1 and the new ones with sign +1 (only the columns the
//! rollups read) to the table's log. Static SQL, no read of a row another writer holds
//! (payments and reviews read their request's slice by primary key, which never waits), no
//! shared row, no sequence: writers never wait on each other because of it. A request whose
//! city or specialty changes also moves its payments and reviews in the logs. A TRUNCATE
//! marks the rollups stale (the gateway rebuilds them).
//!
//! The gateway's applier (one per fleet, by advisory lock) folds each log into the rollup
//! tables and deletes what it folded, in one statement; queries add the entries not yet
//! folded. SQLite keeps the raw path: nothing is created there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

/// A platform table whose rows feed the rollups.
pub struct Source {
    /// The platform table.
    pub table: &'static str,
    /// Its delta log.
    pub log: &'static str,
    /// The log's columns after `sign`, `event_at`, `city`, `specialty`, with their types.
    pub columns: &'static [(&'static str, &'static str)],
    /// The row's latest instant, over the alias `x`.
    pub event_at: &'static str,
    /// How the row's slice is read: `None` from its own columns, or through its request.
    pub via_request: bool,
}

/// The sources, in the order the gateway folds them.
pub const SOURCES: [Source; 5] = [
    Source {
        table: "repair_requests",
        log: "statistics_rollup_log_requests",
        columns: &[
            ("technician_id", "BIGINT"),
            ("status", "VARCHAR(32)"),
            ("is_urgent", "BOOLEAN"),
            ("created_at", "TIMESTAMPTZ"),
            ("assigned_at", "TIMESTAMPTZ"),
            ("completed_at", "TIMESTAMPTZ"),
            ("cancelled_at", "TIMESTAMPTZ"),
        ],
        event_at: "GREATEST(x.created_at, x.assigned_at, x.completed_at, x.cancelled_at)",
        via_request: false,
    },
    Source {
        table: "payments",
        log: "statistics_rollup_log_payments",
        columns: &[
            ("technician_id", "BIGINT"),
            ("method", "VARCHAR(32)"),
            ("status", "VARCHAR(32)"),
            ("amount", "NUMERIC(15,2)"),
            ("platform_fee", "NUMERIC(15,2)"),
            ("technician_payout", "NUMERIC(15,2)"),
            ("created_at", "TIMESTAMPTZ"),
            ("completed_at", "TIMESTAMPTZ"),
        ],
        event_at: "GREATEST(x.created_at, x.completed_at)",
        via_request: true,
    },
    Source {
        table: "reviews",
        log: "statistics_rollup_log_reviews",
        columns: &[
            ("technician_id", "BIGINT"),
            ("rating", "SMALLINT"),
            ("would_recommend", "BOOLEAN"),
            ("created_at", "TIMESTAMPTZ"),
        ],
        event_at: "x.created_at",
        via_request: true,
    },
    Source {
        table: "login_events",
        log: "statistics_rollup_log_logins",
        columns: &[
            ("success", "BOOLEAN"),
            ("ip_address", "TEXT"),
            ("created_at", "TIMESTAMPTZ"),
        ],
        event_at: "x.created_at",
        via_request: false,
    },
    Source {
        table: "users",
        log: "statistics_rollup_log_users",
        columns: &[("created_at", "TIMESTAMPTZ"), ("last_login", "TIMESTAMPTZ")],
        // a login is not a state change of an older row: only creation bounds `asOf`
        event_at: "x.created_at",
        via_request: false,
    },
];

/// The rollup tables and their measures (all summable; `n` counts rows, so a cell with
/// `n = 0` holds nothing).
pub const ROLLUPS: [(&str, &[&str]); 7] = [
    (
        "statistics_rollup_requests",
        &[
            "n BIGINT",
            "pending BIGINT",
            "in_progress BIGINT",
            "completed BIGINT",
            "cancelled BIGINT",
            "urgent BIGINT",
            "timed BIGINT",
            "response_secs NUMERIC",
            "completion_secs NUMERIC",
        ],
    ),
    ("statistics_rollup_completions", &["n BIGINT"]),
    (
        "statistics_rollup_payments",
        &[
            "n BIGINT",
            "completed BIGINT",
            "revenue NUMERIC",
            "payouts NUMERIC",
            "fees NUMERIC",
            "refunded NUMERIC",
            "orange_money_n BIGINT",
            "orange_money_amount NUMERIC",
            "moov_money_n BIGINT",
            "moov_money_amount NUMERIC",
            "wave_n BIGINT",
            "wave_amount NUMERIC",
            "card_n BIGINT",
            "card_amount NUMERIC",
            "cash_n BIGINT",
            "cash_amount NUMERIC",
            "bank_transfer_n BIGINT",
            "bank_transfer_amount NUMERIC",
            "other_n BIGINT",
        ],
    ),
    (
        "statistics_rollup_reviews",
        &[
            "n BIGINT",
            "rating_sum BIGINT",
            "r1 BIGINT",
            "r2 BIGINT",
            "r3 BIGINT",
            "r4 BIGINT",
            "r5 BIGINT",
            "recommend BIGINT",
        ],
    ),
    ("statistics_rollup_logins", &["n BIGINT", "failed BIGINT"]),
    ("statistics_rollup_users", &["n BIGINT"]),
    ("statistics_rollup_user_logins", &["n BIGINT"]),
];

fn function(source: &Source) -> String {
    format!("statistics_rollup_log_{}", source.table)
}

/// The statements that install the rollup capture on a source table.
pub fn create_rollup_capture(table: &str) -> Vec<String> {
    let function = format!("statistics_rollup_log_{table}");
    vec![
        format!(
            "CREATE TRIGGER srl_{table}_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows \
             FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        ),
        format!(
            "CREATE TRIGGER srl_{table}_upd AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows \
             NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        ),
        format!(
            "CREATE TRIGGER srl_{table}_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows \
             FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        ),
        format!(
            "CREATE TRIGGER srl_{table}_trunc AFTER TRUNCATE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION statistics_rollup_truncated()"
        ),
    ]
}

/// The statements that remove the rollup capture from a source table.
pub fn drop_rollup_capture(table: &str) -> Vec<String> {
    ["ins", "upd", "del", "trunc"]
        .iter()
        .map(|t| format!("DROP TRIGGER IF EXISTS srl_{table}_{t} ON {table}"))
        .collect()
}

/// Marks the rollups stale: something reached the tables without their capture (a bulk
/// load); the gateway rebuilds them and serves the raw path meanwhile.
pub const MARK_STALE: &str = "UPDATE statistics_rollup_state SET status = 'stale'";

/// `INSERT INTO log SELECT sign, ... FROM rows` for one transition table.
fn append(source: &Source, sign: i32, rows: &str) -> String {
    let cols: Vec<&str> = source.columns.iter().map(|(c, _)| *c).collect();
    let picked: Vec<String> = cols.iter().map(|c| format!("x.{c}")).collect();
    let (slice, join) = if source.via_request {
        (
            "COALESCE(r.city, ''), COALESCE(r.specialty, '')",
            " LEFT JOIN repair_requests r ON r.id = x.request_id",
        )
    } else if source.table == "repair_requests" {
        ("x.city, x.specialty", "")
    } else {
        ("'', ''", "")
    };
    format!(
        "INSERT INTO {log} (sign, event_at, city, specialty, {cols}) \
         SELECT {sign}, {event}, {slice}, {picked} FROM {rows} x{join};",
        log = source.log,
        cols = cols.join(", "),
        event = source.event_at,
        picked = picked.join(", "),
    )
}

/// A request moved to another city or specialty moves its payments and reviews.
fn moves(source: &Source) -> String {
    let cols: Vec<&str> = source.columns.iter().map(|(c, _)| *c).collect();
    let picked: Vec<String> = cols.iter().map(|c| format!("x.{c}")).collect();
    format!(
        "INSERT INTO {log} (sign, event_at, city, specialty, {cols}) \
         SELECT s.sign, {event}, CASE WHEN s.sign < 0 THEN o.city ELSE n.city END, \
           CASE WHEN s.sign < 0 THEN o.specialty ELSE n.specialty END, {picked} \
         FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN {table} x ON x.request_id = n.id \
           CROSS JOIN (VALUES (-1), (1)) s(sign) \
         WHERE o.city IS DISTINCT FROM n.city OR o.specialty IS DISTINCT FROM n.specialty;",
        log = source.log,
        table = source.table,
        cols = cols.join(", "),
        event = source.event_at,
        picked = picked.join(", "),
    )
}

fn script_up() -> Vec<String> {
    let mut script = Vec::new();
    for source in &SOURCES {
        let cols: Vec<String> = source
            .columns
            .iter()
            .map(|(c, t)| format!("{c} {t}"))
            .collect();
        script.push(format!(
            "CREATE TABLE {} (sign SMALLINT NOT NULL, event_at TIMESTAMPTZ, \
             city TEXT NOT NULL, specialty TEXT NOT NULL, {})",
            source.log,
            cols.join(", ")
        ));
    }
    for (table, measures) in ROLLUPS {
        let measures: Vec<String> = measures
            .iter()
            .map(|m| format!("{m} NOT NULL DEFAULT 0"))
            .collect();
        script.push(format!(
            "CREATE TABLE {table} (level SMALLINT NOT NULL, gset SMALLINT NOT NULL, \
             bucket_start TIMESTAMPTZ NOT NULL, city TEXT NOT NULL, specialty TEXT NOT NULL, {}, \
             PRIMARY KEY (level, gset, bucket_start, city, specialty))",
            measures.join(", ")
        ));
    }
    // failed logins per address: all time (level 0) and per local day (level 2, for the
    // fine retention), with the latest failure (a maximum: recomputed from the rows when
    // a failure is deleted or changed)
    script.push(
        "CREATE TABLE statistics_rollup_addresses (level SMALLINT NOT NULL, \
         bucket_start TIMESTAMPTZ NOT NULL, ip_address TEXT NOT NULL, failed BIGINT NOT NULL, \
         last_failed TIMESTAMPTZ, PRIMARY KEY (level, bucket_start, ip_address))"
            .into(),
    );
    script.push(
        "CREATE INDEX idx_statistics_rollup_addresses_failed \
         ON statistics_rollup_addresses (level, failed)"
            .into(),
    );
    // per technician, every slice together (gset 0; per slice, the cells were as many as
    // the reviews): reviews and their rating sum (by the review's time), completed requests
    // (by the request's creation) and completed revenue (by the payment's creation); all
    // time (level 0) and per local day (level 2, for the fine retention)
    script.push(
        "CREATE TABLE statistics_rollup_technicians (level SMALLINT NOT NULL, \
         gset SMALLINT NOT NULL, bucket_start TIMESTAMPTZ NOT NULL, city TEXT NOT NULL, \
         specialty TEXT NOT NULL, technician_id BIGINT NOT NULL, \
         reviews BIGINT NOT NULL DEFAULT 0, rating_sum BIGINT NOT NULL DEFAULT 0, \
         completed BIGINT NOT NULL DEFAULT 0, revenue NUMERIC NOT NULL DEFAULT 0, \
         PRIMARY KEY (level, gset, bucket_start, city, specialty, technician_id))"
            .into(),
    );
    script.push(
        "CREATE TABLE statistics_rollup_state (id SMALLINT PRIMARY KEY, status VARCHAR(16) NOT NULL, \
         zone VARCHAR(64) NOT NULL, fine_from TIMESTAMPTZ, max_event_at TIMESTAMPTZ, \
         built_at TIMESTAMPTZ, applied_at TIMESTAMPTZ, rebuilds BIGINT NOT NULL DEFAULT 0)"
            .into(),
    );
    script.push(
        "INSERT INTO statistics_rollup_state (id, status, zone) VALUES (1, 'stale', '')".into(),
    );
    script.push(format!(
        "CREATE FUNCTION statistics_rollup_truncated() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         {MARK_STALE}; RETURN NULL; END $$"
    ));
    for source in &SOURCES {
        let mut body = format!(
            "IF TG_OP IN ('INSERT', 'UPDATE') THEN {} END IF; \
             IF TG_OP IN ('UPDATE', 'DELETE') THEN {} END IF;",
            append(source, 1, "new_rows"),
            append(source, -1, "old_rows")
        );
        if source.table == "repair_requests" {
            body.push_str(&format!(
                " IF TG_OP = 'UPDATE' THEN {} {} END IF;",
                moves(&SOURCES[1]),
                moves(&SOURCES[2])
            ));
        }
        script.push(format!(
            "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$",
            function(source)
        ));
        script.extend(create_rollup_capture(source.table));
    }
    script
}

fn script_down() -> Vec<String> {
    let mut script = Vec::new();
    for source in &SOURCES {
        script.extend(drop_rollup_capture(source.table));
        script.push(format!("DROP FUNCTION {}()", function(source)));
        script.push(format!("DROP TABLE {}", source.log));
    }
    script.push("DROP FUNCTION statistics_rollup_truncated()".into());
    for (table, _) in ROLLUPS {
        script.push(format!("DROP TABLE {table}"));
    }
    script.push("DROP TABLE statistics_rollup_addresses".into());
    script.push("DROP TABLE statistics_rollup_technicians".into());
    script.push("DROP TABLE statistics_rollup_state".into());
    script
}

/// The migration of this file.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20260101_000015_rollups"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        for statement in script_up() {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        for statement in script_down() {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}
