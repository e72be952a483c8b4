//! Export jobs: requested, listed and read by admins; their progress pushed by
//! `exportProgress` (in `subscription`).

use super::gql;
use super::guards::{AdminGuard, signed_in};
use super::schema_data;
use super::types::StatsFilter;
use crate::error::AppError;
use crate::exports::{ExportFormat, StatisticsExport, shown};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, InputObject, Object, Result};

/// What to export.
#[derive(Clone, Debug, InputObject)]
pub struct ExportInput {
    /// XLSX, PDF, JSON or CSV.
    pub format: ExportFormat,
    /// The filter (`asOf` defaults to the request's instant, so a re-run gives the same file).
    pub filter: Option<StatsFilter>,
    /// Group names of `globalStatistics` (overview, requests, financial, satisfaction,
    /// technicians, security, advanced, trends); all when null.
    pub sections: Option<Vec<String>>,
    /// `fr` or `en`.
    #[graphql(default_with = "\"fr\".to_string()")]
    pub lang: String,
}

/// Export reads.
#[derive(Default)]
pub struct ExportQuery;

#[Object]
impl ExportQuery {
    /// Export jobs, newest first, `first` (1..=100, default 20) at a time after the cursor
    /// `after`.
    #[graphql(guard = "AdminGuard")]
    async fn exports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, StatisticsExport>> {
        let data = gql(schema_data(ctx))?;
        let first = first.unwrap_or(20);
        if !(1..=100).contains(&first) {
            return gql(Err(AppError::bad_input(format!(
                "`first` must be between 1 and 100, got {first}"
            ))));
        }
        let (rows, more) = gql(data.exports.page(first as u64, after.as_deref()).await)?;
        let mut connection = Connection::new(after.is_some(), more);
        connection.edges.extend(
            rows.iter()
                .map(|row| Edge::new(crate::exports::cursor(row), shown(row))),
        );
        Ok(connection)
    }

    /// One export job; null when there is none with this id.
    #[graphql(guard = "AdminGuard")]
    async fn export(&self, ctx: &Context<'_>, id: ID) -> Result<Option<StatisticsExport>> {
        let data = gql(schema_data(ctx))?;
        match data.exports.get(&id).await {
            Ok(row) => Ok(Some(shown(&row))),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(err) => Err(err.gql()),
        }
    }
}

/// Export requests.
#[derive(Default)]
pub struct ExportMutation;

#[Object]
impl ExportMutation {
    /// Stores an export job and returns it at once (`PENDING`); a runner writes the file.
    #[graphql(guard = "AdminGuard")]
    async fn request_export(
        &self,
        ctx: &Context<'_>,
        input: ExportInput,
    ) -> Result<StatisticsExport> {
        let data = gql(schema_data(ctx))?;
        let by = gql(signed_in(ctx))?
            .id
            .parse::<i64>()
            .map_err(|_| AppError::Internal.gql())?;
        let filter = input.filter.unwrap_or_default().input();
        gql(data
            .exports
            .request(input.format, filter, input.sections, &input.lang, Some(by))
            .await)
    }
}
