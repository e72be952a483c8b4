//! The alert engine's needs on its two tables: rules created by the gateway itself (no
//! author: `created_by` may be null), rules that can be deleted after they fired (an alert
//! keeps its text and loses its `rule_id`: `ON DELETE SET NULL`), who resolved an alert by
//! hand (`resolved_by`) and when a lasting condition was last seen (`updated_at`); indexes
//! for the cooldown (last alert of a key) and for paging newest first; the two default
//! rules, created once per database as system rules (editable, and gone for good when
//! deleted).
//!
//! PostgreSQL alters the tables in place. SQLite cannot change a column's nullability or a
//! foreign key: both tables are rebuilt (copied aside, dropped, created again and filled from
//! the copies; a rename would leave other tables' references to check), and the change capture
//! on `statistics_alerts` is installed again.

use crate::m20260101_000008_log_table_changes::create_capture;
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

const POSTGRES_UP: &str = r#"
ALTER TABLE statistics_alert_rules ALTER COLUMN created_by DROP NOT NULL;
ALTER TABLE statistics_alerts DROP CONSTRAINT statistics_alerts_rule_id_fkey;
ALTER TABLE statistics_alerts ADD CONSTRAINT statistics_alerts_rule_id_fkey
    FOREIGN KEY (rule_id) REFERENCES statistics_alert_rules (id) ON DELETE SET NULL;
ALTER TABLE statistics_alerts ADD COLUMN resolved_by BIGINT REFERENCES users (id);
ALTER TABLE statistics_alerts ADD COLUMN updated_at TSTZ
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE statistics_alert_rules_previous AS SELECT * FROM statistics_alert_rules;
CREATE TABLE statistics_alerts_previous AS SELECT * FROM statistics_alerts;
DROP TABLE statistics_alerts;
DROP TABLE statistics_alert_rules;
CREATE TABLE statistics_alert_rules (
    id PK,
    name VARCHAR(200) NOT NULL,
    metric VARCHAR(200) NOT NULL,
    comparator VARCHAR(4) NOT NULL,
    threshold FLOAT NOT NULL,
    severity VARCHAR(10) NOT NULL,
    filter JSON NOT NULL,
    enabled BOOL NOT NULL DEFAULT TRUE,
    cooldown_minutes INTEGER NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TSTZ NOT NULL,
    updated_at TSTZ NOT NULL
);
INSERT INTO statistics_alert_rules
    SELECT id, name, metric, comparator, threshold, severity, filter, enabled, cooldown_minutes,
           created_by, created_at, updated_at FROM statistics_alert_rules_previous;
DROP TABLE statistics_alert_rules_previous;
CREATE INDEX idx_statistics_alert_rules_created_by ON statistics_alert_rules (created_by);
CREATE INDEX idx_statistics_alert_rules_created_at ON statistics_alert_rules (created_at);
CREATE TABLE statistics_alerts (
    id PK,
    alert_type VARCHAR(30) NOT NULL,
    title VARCHAR(200) NOT NULL,
    message TEXT NOT NULL,
    severity VARCHAR(10) NOT NULL,
    metric VARCHAR(200),
    observed_value FLOAT,
    threshold FLOAT,
    dedup_key VARCHAR(200) NOT NULL,
    rule_id BIGINT REFERENCES statistics_alert_rules (id) ON DELETE SET NULL,
    is_active BOOL NOT NULL DEFAULT TRUE,
    triggered_at TSTZ NOT NULL,
    acknowledged_by BIGINT REFERENCES users (id),
    acknowledged_at TSTZ,
    resolved_at TSTZ,
    created_at TSTZ NOT NULL,
    resolved_by BIGINT REFERENCES users (id),
    updated_at TSTZ
);
INSERT INTO statistics_alerts (id, alert_type, title, message, severity, metric, observed_value,
    threshold, dedup_key, rule_id, is_active, triggered_at, acknowledged_by, acknowledged_at,
    resolved_at, created_at)
    SELECT id, alert_type, title, message, severity, metric, observed_value, threshold,
           dedup_key, rule_id, is_active, triggered_at, acknowledged_by, acknowledged_at,
           resolved_at, created_at FROM statistics_alerts_previous;
DROP TABLE statistics_alerts_previous;
CREATE INDEX idx_statistics_alerts_rule_id ON statistics_alerts (rule_id);
CREATE INDEX idx_statistics_alerts_acknowledged_by ON statistics_alerts (acknowledged_by);
CREATE INDEX idx_statistics_alerts_created_at ON statistics_alerts (created_at);
CREATE INDEX idx_statistics_alerts_type_triggered_at ON statistics_alerts (alert_type, triggered_at);
CREATE UNIQUE INDEX uq_statistics_alerts_active_dedup ON statistics_alerts (dedup_key) WHERE is_active
"#;

/// Both engines, after the table changes.
const COMMON_UP: &str = r#"
CREATE INDEX idx_statistics_alerts_resolved_by ON statistics_alerts (resolved_by);
CREATE INDEX idx_statistics_alerts_dedup_triggered ON statistics_alerts (dedup_key, triggered_at);
CREATE INDEX idx_statistics_alerts_triggered_id ON statistics_alerts (triggered_at, id)
"#;

/// The default rules: `(name, metric, comparator, threshold, severity, filter)`.
pub const DEFAULT_RULES: [(&str, &str, &str, f64, &str, &str); 2] = [
    (
        "Échecs de connexion sur 24 h",
        "security.failedLogins",
        "gt",
        100.0,
        "warning",
        r#"{"period":"LAST_24H","city":null,"specialty":null}"#,
    ),
    (
        "Taux de réussite des demandes sur 7 jours",
        "requests.successRate",
        "lt",
        25.0,
        "warning",
        r#"{"period":"LAST_7D","city":null,"specialty":null}"#,
    ),
];

/// The migration of this file.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20260101_000011_extend_alerts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_connection().get_database_backend();
        let (script, now) = match backend {
            DatabaseBackend::Postgres => (POSTGRES_UP, "now()"),
            _ => (SQLITE_UP, "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')"),
        };
        // one connection, one transaction (see `begin_with`)
        let db = crate::dialect::begin_with(manager, &[script, COMMON_UP]).await?;
        if backend != DatabaseBackend::Postgres {
            for statement in create_capture(backend, "statistics_alerts") {
                db.execute_unprepared(&statement).await?;
            }
        }
        for (name, metric, comparator, threshold, severity, filter) in DEFAULT_RULES {
            db.execute_unprepared(&format!(
                "INSERT INTO statistics_alert_rules (name, metric, comparator, threshold, severity, \
                 filter, enabled, cooldown_minutes, created_by, created_at, updated_at) \
                 VALUES ('{name}', '{metric}', '{comparator}', {threshold}, '{severity}', '{filter}', \
                 TRUE, 60, NULL, {now}, {now})"
            ))
            .await?;
        }
        db.commit().await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        db.execute_unprepared("DELETE FROM statistics_alert_rules WHERE created_by IS NULL")
            .await?;
        for index in [
            "idx_statistics_alerts_resolved_by",
            "idx_statistics_alerts_dedup_triggered",
            "idx_statistics_alerts_triggered_id",
        ] {
            db.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        match backend {
            DatabaseBackend::Postgres => {
                for statement in [
                    "ALTER TABLE statistics_alerts DROP COLUMN updated_at",
                    "ALTER TABLE statistics_alerts DROP COLUMN resolved_by",
                    "ALTER TABLE statistics_alerts DROP CONSTRAINT statistics_alerts_rule_id_fkey",
                    "ALTER TABLE statistics_alerts ADD CONSTRAINT statistics_alerts_rule_id_fkey \
                     FOREIGN KEY (rule_id) REFERENCES statistics_alert_rules (id)",
                    "ALTER TABLE statistics_alert_rules ALTER COLUMN created_by SET NOT NULL",
                ] {
                    db.execute_unprepared(statement).await?;
                }
            }
            _ => {
                // SQLite: the extra columns stay (dropping them would need another rebuild);
                // the nullable author and the looser foreign key accept every older row
                db.execute_unprepared("ALTER TABLE statistics_alerts DROP COLUMN updated_at")
                    .await?;
                db.execute_unprepared("DROP INDEX IF EXISTS idx_statistics_alerts_resolved_by")
                    .await?;
            }
        }
        Ok(())
    }
}
