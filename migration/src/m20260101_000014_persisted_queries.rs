//! Automatic persisted queries (Apollo's protocol): the documents clients registered, by
//! the SHA-256 of their text, shared by every gateway on the database.

use sea_orm_migration::prelude::*;

const UP: &str = r#"
CREATE TABLE statistics_persisted_queries (
    sha256_hash VARCHAR(64) PRIMARY KEY,
    query TEXT NOT NULL,
    created_at TSTZ NOT NULL
)
"#;

const DOWN: &str = r#"
DROP TABLE statistics_persisted_queries
"#;

crate::ddl_migration!("m20260101_000014_persisted_queries");
