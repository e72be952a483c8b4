//! Reading a fact over windows: rollup cells, plus the log entries not yet folded into
//! them, plus raw rows for the edges, in one statement (one snapshot: the applier folds
//! and deletes entries atomically, so cells plus log are exact at any instant).
//!
//! Each cell range is read by its own index range scan (a LATERAL subquery with
//! `OFFSET 0`), never by a join the planner could turn into a scan of the whole table.
//! The statement also returns the rollups' state as it saw it: the caller keeps the figures
//! only when the rollups are built for its zone and nothing in them happened at or after
//! `asOf` (their measures are each row's state at "infinity").

use super::cover::{Cells, Cover, Layout};
use super::facts::{Fact, Kind};
use crate::db::Sql;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

/// One grouping of the cells: which of city and specialty it keeps, and the slice.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Part {
    /// 0 everything, 1 per city, 2 per specialty, 3 per both.
    pub gset: i16,
    /// Only this city.
    pub city: Option<String>,
    /// Only this specialty.
    pub specialty: Option<String>,
}

impl Part {
    /// The grouping a slice reads, with `by` more columns kept (1 city, 2 specialty).
    pub fn slice(city: &Option<String>, specialty: &Option<String>, by: i16) -> Part {
        let mut gset = by;
        if city.is_some() {
            gset |= 1;
        }
        if specialty.is_some() {
            gset |= 2;
        }
        Part {
            gset,
            city: city.clone(),
            specialty: specialty.clone(),
        }
    }
}

/// What to read: windows (each with its key) or every local day of a day range, grouped
/// as `parts`.
#[derive(Clone, Debug, Default)]
pub struct Read {
    /// Groupings.
    pub parts: Vec<Part>,
    /// Windows as cells and raw ranges, each summed under its key.
    pub spans: Vec<(i64, Cover)>,
    /// Whole days, one row each, keyed by the bucket's epoch seconds.
    pub days: Option<Cells>,
}

/// One summed row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The part's position.
    pub part: usize,
    /// The window's key, or the day's bucket in epoch seconds.
    pub k: i64,
    /// City (`''` when not kept).
    pub city: String,
    /// Specialty (`''` when not kept).
    pub specialty: String,
    /// Counts and cents, by measure position (0 for float measures).
    pub ints: Vec<i64>,
    /// Seconds, by measure position (0 for integer measures).
    pub floats: Vec<f64>,
}

/// The state a statement saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    /// `ready` when built.
    pub status: String,
    /// Zone the rollups were built in.
    pub zone: String,
    /// First instant the fine levels are complete from.
    pub fine_from: Option<DateTime<Utc>>,
    /// Latest instant of a folded row.
    pub max_event_at: Option<DateTime<Utc>>,
    /// Latest instant of an entry not yet folded.
    pub log_max: Option<DateTime<Utc>>,
}

impl Seen {
    /// Whether figures read under `layout` at `as_of` are exact.
    pub fn allows(&self, layout: &Layout, as_of: DateTime<Utc>) -> bool {
        self.status == "ready"
            && self.zone == layout.zone.name()
            && self.fine_from.is_some_and(|f| f <= layout.fine_from)
            && self.max_event_at.is_none_or(|t| t < as_of)
            && self.log_max.is_none_or(|t| t < as_of)
    }
}

/// A zone name as a SQL literal (IANA names have no quote; doubled anyway).
pub fn zone_literal(zone: &str) -> String {
    format!("'{}'", zone.replace('\'', "''"))
}

/// The local date of `col` in `zone`, as that date at UTC midnight (the day level's bucket).
pub fn day_bucket_sql(col: &str, zone: &str) -> String {
    let z = zone_literal(zone);
    format!("(CAST(date_trunc('day', {col} AT TIME ZONE {z}) AS TIMESTAMP) AT TIME ZONE 'UTC')")
}

fn sum(kind: Kind, col: &str) -> String {
    match kind {
        Kind::Count => format!("CAST(COALESCE(SUM({col}), 0) AS BIGINT)"),
        Kind::Money => format!("CAST(COALESCE(SUM({col}), 0) * 100 AS BIGINT)"),
        Kind::Seconds => format!("CAST(COALESCE(SUM({col}), 0) AS DOUBLE PRECISION)"),
    }
}

fn slice_conditions(s: &mut Sql, part: &Part, city: &str, specialty: &str) -> String {
    let mut out = String::new();
    if let Some(c) = &part.city {
        let p = s.bind(c.clone());
        out.push_str(&format!(" AND {city} = {p}"));
    }
    if let Some(sp) = &part.specialty {
        let p = s.bind(sp.clone());
        out.push_str(&format!(" AND {specialty} = {p}"));
    }
    out
}

/// The statement of `read` over `fact` (PostgreSQL).
pub fn statement(fact: &Fact, read: &Read, zone: &str) -> Sql {
    let mut s = Sql::new(DatabaseBackend::Postgres);
    let ms = fact.measures;
    let t = fact.time;
    let mut ranges = Vec::new();
    let mut raws = Vec::new();
    for (k, cover) in &read.spans {
        for c in &cover.cells {
            let row = format!(
                "(CAST({} AS BIGINT), CAST({} AS SMALLINT), CAST({} AS TIMESTAMPTZ), CAST({} AS TIMESTAMPTZ), \
                 CAST({} AS TIMESTAMPTZ), CAST({} AS TIMESTAMPTZ))",
                s.bind(*k),
                s.bind(c.level),
                s.bind(c.from),
                s.bind(c.to),
                s.bind(c.a),
                s.bind(c.b)
            );
            ranges.push(row);
        }
        for (a, b) in &cover.raw {
            let row = format!(
                "(CAST({} AS BIGINT), CAST({} AS TIMESTAMPTZ), CAST({} AS TIMESTAMPTZ))",
                s.bind(*k),
                s.bind(*a),
                s.bind(*b)
            );
            raws.push(row);
        }
    }
    let mut branches = Vec::new();
    let day_range = read.days.map(|d| {
        (
            s.bind(d.level),
            s.bind(d.from),
            s.bind(d.to),
            s.bind(d.a),
            s.bind(d.b),
        )
    });
    for (i, part) in read.parts.iter().enumerate() {
        let g = part.gset;
        let cell_cols: Vec<String> = ms.iter().map(|m| format!("c.{}", m.name)).collect();
        let log_cols: Vec<String> = ms
            .iter()
            .map(|m| format!("x.sign * ({})", m.expr))
            .collect();
        let raw_cols: Vec<String> = ms.iter().map(|m| format!("({})", m.expr)).collect();
        let log_city = if g & 1 == 1 { "x.city" } else { "''" };
        let log_specialty = if g & 2 == 2 { "x.specialty" } else { "''" };
        let needs_slice = g != 0;
        let base = if needs_slice {
            fact.base_sliced
        } else {
            fact.base
        };
        let raw_city = if g & 1 == 1 { fact.base_city } else { "''" };
        let raw_specialty = if g & 2 == 2 {
            fact.base_specialty
        } else {
            "''"
        };
        if !ranges.is_empty() {
            let cell_slice = slice_conditions(&mut s, part, "c.city", "c.specialty");
            branches.push(format!(
                "SELECT {i} AS part, r.k AS k, c.city AS city, c.specialty AS specialty, {cols} \
                 FROM r CROSS JOIN LATERAL (SELECT * FROM {table} c WHERE c.level = r.lvl AND c.gset = {g} \
                 AND c.bucket_start >= r.bf AND c.bucket_start < r.bt{cell_slice} OFFSET 0) c",
                cols = cell_cols.join(", "),
                table = fact.table,
            ));
            let log_slice = slice_conditions(&mut s, part, "x.city", "x.specialty");
            branches.push(format!(
                "SELECT {i}, r.k, {log_city}, {log_specialty}, {cols} FROM r JOIN {log} x \
                 ON x.{t} >= r.ta AND x.{t} < r.tb WHERE {filter}{log_slice}",
                cols = log_cols.join(", "),
                log = fact.log,
                filter = fact.filter,
            ));
        }
        if !raws.is_empty() {
            let raw_slice = slice_conditions(&mut s, part, fact.base_city, fact.base_specialty);
            branches.push(format!(
                "SELECT {i}, w.k, x.city, x.specialty, {outer} FROM w CROSS JOIN LATERAL \
                 (SELECT {raw_city} AS city, {raw_specialty} AS specialty, {cols} FROM {base} \
                  WHERE x.{t} >= w.ta AND x.{t} < w.tb AND {filter}{raw_slice} OFFSET 0) x",
                outer = (0..ms.len())
                    .map(|j| format!("x.m{j}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                cols = raw_cols
                    .iter()
                    .enumerate()
                    .map(|(j, c)| format!("{c} AS m{j}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                filter = fact.filter,
            ));
        }
        if let Some((lvl, from, to, a, b)) = &day_range {
            let cell_slice = slice_conditions(&mut s, part, "c.city", "c.specialty");
            branches.push(format!(
                "SELECT {i}, CAST(EXTRACT(EPOCH FROM c.bucket_start) AS BIGINT), c.city, c.specialty, {cols} \
                 FROM {table} c WHERE c.level = {lvl} AND c.gset = {g} AND c.bucket_start >= {from} \
                 AND c.bucket_start < {to}{cell_slice}",
                cols = cell_cols.join(", "),
                table = fact.table,
            ));
            let log_slice = slice_conditions(&mut s, part, "x.city", "x.specialty");
            branches.push(format!(
                "SELECT {i}, CAST(EXTRACT(EPOCH FROM {day}) AS BIGINT), {log_city}, {log_specialty}, {cols} \
                 FROM {log} x WHERE x.{t} >= {a} AND x.{t} < {b} AND {filter}{log_slice}",
                day = day_bucket_sql(&format!("x.{t}"), zone),
                cols = log_cols.join(", "),
                log = fact.log,
                filter = fact.filter,
            ));
        }
    }
    let mut with = vec![
        "g AS (SELECT status, zone, fine_from, max_event_at FROM statistics_rollup_state WHERE id = 1)"
            .to_string(),
    ];
    with.push(format!(
        "lm AS (SELECT MAX(event_at) AS log_max FROM {})",
        fact.log
    ));
    if !ranges.is_empty() {
        with.push(format!(
            "r(k, lvl, bf, bt, ta, tb) AS (VALUES {})",
            ranges.join(", ")
        ));
    }
    if !raws.is_empty() {
        with.push(format!("w(k, ta, tb) AS (VALUES {})", raws.join(", ")));
    }
    let sums: Vec<String> = ms
        .iter()
        .enumerate()
        .map(|(j, m)| format!("{} AS m{j}", sum(m.kind, &format!("z.{}", m.name))))
        .collect();
    let names: Vec<&str> = ms.iter().map(|m| m.name).collect();
    let body = if branches.is_empty() {
        "SELECT NULL AS part, NULL AS k, NULL AS city, NULL AS specialty WHERE FALSE".to_string()
    } else {
        with.push(format!(
            "agg AS (SELECT z.part, z.k, z.city, z.specialty, {sums} FROM ({union}) \
             z(part, k, city, specialty, {names}) GROUP BY z.part, z.k, z.city, z.specialty)",
            sums = sums.join(", "),
            union = branches.join(" UNION ALL "),
            names = names.join(", "),
        ));
        "SELECT * FROM agg".to_string()
    };
    s.push(&format!(
        "WITH {} SELECT g.status AS g_status, g.zone AS g_zone, g.fine_from AS g_fine, \
         g.max_event_at AS g_max, lm.log_max AS g_log, a.* FROM g CROSS JOIN lm \
         LEFT JOIN ({body}) a ON TRUE",
        with.join(", ")
    ));
    s
}

/// Runs `read` over `fact`: the rows, and the state the statement saw.
pub async fn run(
    db: &impl ConnectionTrait,
    fact: &Fact,
    read: &Read,
    zone: &str,
) -> Result<(Vec<Row>, Seen), DbErr> {
    let sql = statement(fact, read, zone);
    let results = db.query_all_raw(sql.statement()).await?;
    let mut rows = Vec::new();
    let mut seen = None;
    for r in results {
        if seen.is_none() {
            seen = Some(Seen {
                status: r.try_get("", "g_status")?,
                zone: r.try_get("", "g_zone")?,
                fine_from: r.try_get("", "g_fine")?,
                max_event_at: r.try_get("", "g_max")?,
                log_max: r.try_get("", "g_log")?,
            });
        }
        let part: Option<i32> = r.try_get("", "part")?;
        let Some(part) = part else { continue };
        let mut ints = vec![0i64; fact.measures.len()];
        let mut floats = vec![0f64; fact.measures.len()];
        for (j, m) in fact.measures.iter().enumerate() {
            let col = format!("m{j}");
            match m.kind {
                Kind::Seconds => floats[j] = r.try_get("", &col)?,
                _ => ints[j] = r.try_get("", &col)?,
            }
        }
        rows.push(Row {
            part: part as usize,
            k: r.try_get("", "k")?,
            city: r.try_get("", "city")?,
            specialty: r.try_get("", "specialty")?,
            ints,
            floats,
        });
    }
    let seen = seen.ok_or_else(|| DbErr::RecordNotFound("statistics_rollup_state".into()))?;
    Ok((rows, seen))
}
