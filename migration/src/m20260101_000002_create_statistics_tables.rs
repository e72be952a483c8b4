//! The gateway's own tables: snapshots, cache, dashboards, widgets, exports, alerts and rules.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
CREATE TABLE global_statistics (
    id PK,
    computed_at TSTZ NOT NULL,
    as_of TSTZ NOT NULL,
    period_from TSTZ,
    period_to TSTZ NOT NULL,
    total_users BIGINT NOT NULL,
    active_users_30d BIGINT NOT NULL,
    new_users_30d BIGINT NOT NULL,
    total_requests BIGINT NOT NULL,
    completed_requests BIGINT NOT NULL,
    success_rate FLOAT NOT NULL,
    avg_response_time_hours FLOAT NOT NULL,
    avg_completion_time_hours FLOAT NOT NULL,
    total_revenue MONEY NOT NULL,
    platform_fees MONEY NOT NULL,
    technician_payouts MONEY NOT NULL,
    avg_rating FLOAT NOT NULL,
    satisfaction_rate FLOAT NOT NULL,
    conversion_rate FLOAT NOT NULL,
    retention_rate FLOAT NOT NULL,
    churn_rate FLOAT NOT NULL,
    daily_stats JSON NOT NULL,
    weekly_stats JSON NOT NULL,
    monthly_stats JSON NOT NULL,
    calculation_ms BIGINT NOT NULL
);
CREATE INDEX idx_global_statistics_computed_at ON global_statistics (computed_at);

CREATE TABLE statistics_cache (
    id PK,
    cache_key VARCHAR(200) NOT NULL UNIQUE,
    cache_data JSON NOT NULL,
    expires_at TSTZ NOT NULL,
    calculation_ms BIGINT NOT NULL,
    created_at TSTZ NOT NULL,
    updated_at TSTZ NOT NULL
);
CREATE INDEX idx_statistics_cache_expires_at ON statistics_cache (expires_at);
CREATE INDEX idx_statistics_cache_created_at ON statistics_cache (created_at);

CREATE TABLE statistics_dashboards (
    id PK,
    owner_id BIGINT NOT NULL REFERENCES users (id),
    name VARCHAR(200) NOT NULL,
    dashboard_type VARCHAR(20) NOT NULL,
    layout_config JSON NOT NULL,
    is_default BOOL NOT NULL DEFAULT FALSE,
    created_at TSTZ NOT NULL,
    updated_at TSTZ NOT NULL
);
CREATE INDEX idx_statistics_dashboards_owner_id ON statistics_dashboards (owner_id);
CREATE INDEX idx_statistics_dashboards_created_at ON statistics_dashboards (created_at);

CREATE TABLE statistics_widgets (
    id PK,
    dashboard_id BIGINT NOT NULL REFERENCES statistics_dashboards (id) ON DELETE CASCADE,
    name VARCHAR(200) NOT NULL,
    widget_type VARCHAR(20) NOT NULL,
    data_source VARCHAR(200) NOT NULL,
    config JSON NOT NULL,
    position_x INTEGER NOT NULL,
    position_y INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TSTZ NOT NULL,
    updated_at TSTZ NOT NULL
);
CREATE INDEX idx_statistics_widgets_dashboard_id ON statistics_widgets (dashboard_id);
CREATE INDEX idx_statistics_widgets_created_at ON statistics_widgets (created_at);

CREATE TABLE statistics_exports (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    export_type VARCHAR(10) NOT NULL,
    status VARCHAR(20) NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES users (id),
    export_config JSON NOT NULL,
    file_name VARCHAR(255),
    size_bytes BIGINT,
    error TEXT,
    created_at TSTZ NOT NULL,
    started_at TSTZ,
    completed_at TSTZ,
    expires_at TSTZ
);
CREATE INDEX idx_statistics_exports_requested_by ON statistics_exports (requested_by);
CREATE INDEX idx_statistics_exports_created_at ON statistics_exports (created_at);

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
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TSTZ NOT NULL,
    updated_at TSTZ NOT NULL
);
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
    rule_id BIGINT REFERENCES statistics_alert_rules (id),
    is_active BOOL NOT NULL DEFAULT TRUE,
    triggered_at TSTZ NOT NULL,
    acknowledged_by BIGINT REFERENCES users (id),
    acknowledged_at TSTZ,
    resolved_at TSTZ,
    created_at TSTZ NOT NULL
);
CREATE INDEX idx_statistics_alerts_rule_id ON statistics_alerts (rule_id);
CREATE INDEX idx_statistics_alerts_acknowledged_by ON statistics_alerts (acknowledged_by);
CREATE INDEX idx_statistics_alerts_created_at ON statistics_alerts (created_at);
CREATE INDEX idx_statistics_alerts_type_triggered_at ON statistics_alerts (alert_type, triggered_at);
CREATE UNIQUE INDEX uq_statistics_alerts_active_dedup ON statistics_alerts (dedup_key) WHERE is_active
"#;

const DOWN: &str = r#"
DROP TABLE statistics_alerts;
DROP TABLE statistics_alert_rules;
DROP TABLE statistics_exports;
DROP TABLE statistics_widgets;
DROP TABLE statistics_dashboards;
DROP TABLE statistics_cache;
DROP TABLE global_statistics
"#;

crate::ddl_migration!("m20260101_000002_create_statistics_tables");
