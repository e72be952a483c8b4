//! The repair platform's operational tables (DOMAIN.md) and the indexes the metrics read through.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
CREATE TABLE users (
    id PK,
    email VARCHAR(255) NOT NULL UNIQUE,
    full_name VARCHAR(255) NOT NULL,
    role VARCHAR(20) NOT NULL,
    city VARCHAR(100),
    is_active BOOL NOT NULL DEFAULT TRUE,
    created_at TSTZ NOT NULL,
    updated_at TSTZ NOT NULL,
    last_login TSTZ
);
CREATE INDEX idx_users_created_at ON users (created_at);
CREATE INDEX idx_users_last_login ON users (last_login);

CREATE TABLE technicians (
    id PK,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users (id),
    specialty VARCHAR(100) NOT NULL,
    city VARCHAR(100) NOT NULL,
    is_verified BOOL NOT NULL DEFAULT FALSE,
    is_available BOOL NOT NULL DEFAULT TRUE,
    hourly_rate MONEY,
    created_at TSTZ NOT NULL,
    updated_at TSTZ NOT NULL
);
CREATE INDEX idx_technicians_created_at ON technicians (created_at);

CREATE TABLE repair_requests (
    id PK,
    client_id BIGINT NOT NULL REFERENCES users (id),
    technician_id BIGINT REFERENCES technicians (id),
    specialty VARCHAR(100) NOT NULL,
    city VARCHAR(100) NOT NULL,
    status VARCHAR(20) NOT NULL,
    is_urgent BOOL NOT NULL DEFAULT FALSE,
    estimated_price MONEY,
    created_at TSTZ NOT NULL,
    assigned_at TSTZ,
    started_at TSTZ,
    completed_at TSTZ,
    cancelled_at TSTZ,
    updated_at TSTZ NOT NULL
);
CREATE INDEX idx_repair_requests_client_id ON repair_requests (client_id);
CREATE INDEX idx_repair_requests_technician_id ON repair_requests (technician_id);
CREATE INDEX idx_repair_requests_created_at ON repair_requests (created_at);
CREATE INDEX idx_repair_requests_status_created_at ON repair_requests (status, created_at);
CREATE INDEX idx_repair_requests_completed_at ON repair_requests (completed_at);
CREATE INDEX idx_repair_requests_city_created_at ON repair_requests (city, created_at);
CREATE INDEX idx_repair_requests_specialty_created_at ON repair_requests (specialty, created_at);

CREATE TABLE payments (
    id PK,
    request_id BIGINT NOT NULL REFERENCES repair_requests (id),
    payer_id BIGINT NOT NULL REFERENCES users (id),
    technician_id BIGINT REFERENCES technicians (id),
    amount MONEY NOT NULL,
    platform_fee MONEY NOT NULL,
    technician_payout MONEY NOT NULL,
    method VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL,
    created_at TSTZ NOT NULL,
    completed_at TSTZ,
    updated_at TSTZ NOT NULL
);
CREATE INDEX idx_payments_request_id ON payments (request_id);
CREATE INDEX idx_payments_payer_id ON payments (payer_id);
CREATE INDEX idx_payments_technician_id ON payments (technician_id);
CREATE INDEX idx_payments_created_at ON payments (created_at);
CREATE INDEX idx_payments_status_created_at ON payments (status, created_at);

CREATE TABLE reviews (
    id PK,
    request_id BIGINT NOT NULL UNIQUE REFERENCES repair_requests (id),
    client_id BIGINT NOT NULL REFERENCES users (id),
    technician_id BIGINT NOT NULL REFERENCES technicians (id),
    rating SMALLINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    would_recommend BOOL NOT NULL DEFAULT FALSE,
    comment TEXT,
    created_at TSTZ NOT NULL,
    updated_at TSTZ NOT NULL
);
CREATE INDEX idx_reviews_client_id ON reviews (client_id);
CREATE INDEX idx_reviews_technician_id ON reviews (technician_id);
CREATE INDEX idx_reviews_created_at ON reviews (created_at);

CREATE TABLE login_events (
    id PK,
    user_id BIGINT REFERENCES users (id),
    email VARCHAR(255) NOT NULL,
    ip_address VARCHAR(64) NOT NULL,
    success BOOL NOT NULL,
    failure_reason VARCHAR(100),
    created_at TSTZ NOT NULL,
    updated_at TSTZ NOT NULL
);
CREATE INDEX idx_login_events_user_id ON login_events (user_id);
CREATE INDEX idx_login_events_created_at ON login_events (created_at);
CREATE INDEX idx_login_events_success_created_at ON login_events (success, created_at);
CREATE INDEX idx_login_events_ip_address_created_at ON login_events (ip_address, created_at)
"#;

const DOWN: &str = r#"
DROP TABLE login_events;
DROP TABLE reviews;
DROP TABLE payments;
DROP TABLE repair_requests;
DROP TABLE technicians;
DROP TABLE users
"#;

crate::ddl_migration!("m20260101_000001_create_operational_tables");
