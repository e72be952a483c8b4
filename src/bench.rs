//! `teliman-stats bench`: times every metric group straight against the database, the
//! engine's cold answers (every entry dropped before each run), the recomputation after one
//! new review, the real-time figures and the check of the tables' versions, as the median of
//! several runs, and prints a Markdown table.

use crate::error::{AppError, AppResult};
use crate::stats::changes::{self, Table};
use crate::stats::{CacheSettings, Engine, Group, Statistics, upkeep};
use crate::window::{Period, Window, WindowInput};
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

/// One timed operation.
#[derive(Debug, Clone)]
pub struct Timing {
    /// What was timed.
    pub name: String,
    /// Median milliseconds.
    pub median_ms: f64,
    /// Fastest run.
    pub min_ms: f64,
    /// 99th percentile (the slowest run below 100 runs).
    pub p99_ms: f64,
    /// Slowest run.
    pub max_ms: f64,
}

fn timing(name: &str, mut ms: Vec<f64>) -> Timing {
    ms.sort_by(|a, b| a.total_cmp(b));
    let p99 = ms[((ms.len() as f64 * 0.99).ceil() as usize).clamp(1, ms.len()) - 1];
    Timing {
        name: name.to_string(),
        median_ms: ms[ms.len() / 2],
        min_ms: ms[0],
        p99_ms: p99,
        max_ms: ms[ms.len() - 1],
    }
}

/// Runs `prepare` (untimed) then `f` (timed), `runs` times.
async fn time<T, P, PF, F, Fut>(
    name: &str,
    runs: usize,
    mut prepare: P,
    mut f: F,
) -> AppResult<Timing>
where
    P: FnMut() -> PF,
    PF: Future<Output = AppResult<()>>,
    F: FnMut() -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        prepare().await?;
        let started = Instant::now();
        f().await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(timing(name, ms))
}

async fn nothing() -> AppResult<()> {
    Ok(())
}

/// An engine with no time between two reads of the versions, as a bench wants.
fn engine(db: &DatabaseConnection) -> Arc<Engine> {
    Engine::new(
        db.clone(),
        CacheSettings {
            ttl: chrono::Duration::hours(1),
            max_stale: chrono::Duration::hours(24),
            l1_max_bytes: 64 << 20,
            l2_max_bytes: 256 << 20,
            fingerprint_interval: std::time::Duration::ZERO,
            snapshot_interval: chrono::Duration::minutes(15),
        },
    )
}

/// Times everything on `db`, `runs` times each.
pub async fn run(
    db: &DatabaseConnection,
    tz: chrono_tz::Tz,
    runs: usize,
) -> AppResult<Vec<Timing>> {
    let now = Utc::now();
    let window = |period| {
        Window::from_input(
            WindowInput {
                period: Some(period),
                ..Default::default()
            },
            now,
            tz,
        )
        .expect("a preset window is valid")
    };
    let engine = engine(db);
    let cold = || async { engine.invalidate(None).await.map(|_| ()) };
    let mut out = Vec::new();
    for (label, period) in [("ALL", Period::All), ("LAST_30D", Period::Last30d)] {
        let w = window(period);
        for group in Group::GLOBAL {
            let name = format!("{} ({label})", group.name());
            out.push(
                time(&name, runs, nothing, || async {
                    group.compute(db, &w).await.map_err(AppError::from)
                })
                .await?,
            );
        }
        out.push(
            time(
                &format!("globalStatistics, cold ({label})"),
                runs,
                cold,
                || Statistics::global(engine.clone(), w.clone()),
            )
            .await?,
        );
        out.push(
            time(
                &format!("globalStatistics {{ financial }}, cold ({label})"),
                runs,
                cold,
                || Statistics::fetch(engine.clone(), w.clone(), [Group::Financial], None),
            )
            .await?,
        );
        out.push(after_new_review(db, &engine, &w, label, runs).await?);
    }
    out.push(
        time("realTimeStats", runs, nothing, || {
            engine.realtime(Utc::now())
        })
        .await?,
    );
    out.push(fingerprint(db, runs, 0).await?);
    out.extend(alert_evaluation(&engine, tz, runs).await?);
    Ok(out)
}

/// The statistics read through the rollups at `asOf` = now: every group the engine
/// computes (technicians and the ranked lists read rows), a full cold `globalStatistics`
/// on a pooled connection and on a fresh one, the figures the rollups serve alone, and
/// `realTimeStats`; presets, a city and a specialty. The rollups are rebuilt first when
/// stale (timed once), then the logs folded.
pub async fn rollups(config: &crate::config::Config, runs: usize) -> AppResult<Vec<Timing>> {
    use crate::rollups::apply;
    let connect = || {
        crate::db::connect(
            &config.database_url,
            config.db_timeout,
            config.db_max_connections,
        )
    };
    let db = connect().await?;
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Err(AppError::bad_input("rollups are kept on PostgreSQL only"));
    }
    let settings = config.rollups;
    let mut out = Vec::new();
    let started = Instant::now();
    if apply::step(&db, &settings).await? == apply::Step::Rebuilt {
        out.push(timing(
            "rebuild (every rollup from the rows)",
            vec![started.elapsed().as_secs_f64() * 1000.0],
        ));
    }
    apply::fold(&db, &settings).await?;
    let engine = engine(&db);
    engine.enable_rollups(settings);
    let cold = || async { engine.invalidate(None).await.map(|_| ()) };
    let (city, specialty) = crate::rollups::audit::some_slice(&db).await?;
    let now = Utc::now();
    let filters = [
        ("ALL", Period::All, None, None),
        ("LAST_30D", Period::Last30d, None, None),
        ("LAST_7D", Period::Last7d, None, None),
        ("LAST_24H", Period::Last24h, None, None),
        (
            "LAST_30D, one city",
            Period::Last30d,
            Some(city.clone()),
            None,
        ),
        (
            "ALL, one specialty",
            Period::All,
            None,
            Some(specialty.clone()),
        ),
    ];
    for (label, period, city, specialty) in filters {
        let w = Window::from_input(
            WindowInput {
                period: Some(period),
                city,
                specialty,
                ..Default::default()
            },
            now,
            config.timezone,
        )?;
        if label == "ALL" || label == "LAST_30D" {
            for group in Group::GLOBAL {
                let mut source = crate::rollups::Source::Raw;
                let mut t = time(
                    &format!("{} ({label})", group.name()),
                    runs,
                    nothing,
                    || {
                        let w = w.at(Utc::now());
                        let engine = engine.clone();
                        async move { engine.compute_figures(group, &w).await }
                    },
                )
                .await?;
                if let Ok((_, s)) = engine.compute_figures(group, &w).await {
                    source = s;
                }
                t.name = format!("{}, {}", t.name, format!("{source:?}").to_lowercase());
                out.push(t);
            }
        }
        out.push(
            time(
                &format!("globalStatistics, cold ({label})"),
                runs,
                cold,
                || Statistics::global(engine.clone(), w.at(Utc::now())),
            )
            .await?,
        );
        out.push(
            time(
                &format!("globalStatistics, cold, rollup groups only ({label})"),
                runs,
                cold,
                || {
                    Statistics::fetch(
                        engine.clone(),
                        w.at(Utc::now()),
                        [
                            Group::Users,
                            Group::Requests,
                            Group::Financial,
                            Group::Satisfaction,
                            Group::Trends,
                        ],
                        None,
                    )
                },
            )
            .await?,
        );
        if label == "LAST_30D" {
            let mut ms = Vec::with_capacity(runs);
            for _ in 0..runs {
                let started = Instant::now();
                let fresh = connect().await?;
                let e = self::engine(&fresh);
                e.enable_rollups(settings);
                Statistics::fetch(
                    e,
                    w.at(Utc::now()),
                    [
                        Group::Users,
                        Group::Requests,
                        Group::Financial,
                        Group::Satisfaction,
                        Group::Trends,
                    ],
                    None,
                )
                .await?;
                ms.push(started.elapsed().as_secs_f64() * 1000.0);
                fresh.close().await.ok();
            }
            out.push(timing(
                "globalStatistics, rollup groups only, fresh connections (LAST_30D)",
                ms,
            ));
        }
    }
    out.push(
        time("realTimeStats", runs, nothing, || {
            engine.realtime(Utc::now())
        })
        .await?,
    );
    Ok(out)
}

/// One evaluation of every alert detector and rule: with the engine's entries dropped
/// first (cold), then as the ticker runs it (the daily series cached since the last one).
async fn alert_evaluation(
    engine: &Arc<Engine>,
    tz: chrono_tz::Tz,
    runs: usize,
) -> AppResult<Vec<Timing>> {
    let alerts = crate::alerts::Alerts::new(engine.clone(), Default::default(), tz);
    let cold = || async { engine.invalidate(None).await.map(|_| ()) };
    Ok(vec![
        time("alert evaluation, cold", runs, cold, || {
            alerts.evaluate(Utc::now())
        })
        .await?,
        time("alert evaluation, every tick after", runs, nothing, || {
            alerts.evaluate(Utc::now())
        })
        .await?,
    ])
}

/// A full `globalStatistics` after one new review: the engine recomputes the groups that
/// read reviews and serves the others from the cache. The review is deleted after each run
/// (untimed).
async fn after_new_review(
    db: &DatabaseConnection,
    engine: &Arc<Engine>,
    w: &Window,
    label: &str,
    runs: usize,
) -> AppResult<Timing> {
    let backend = db.get_database_backend();
    let stamp = crate::db::sqlite_instant(Utc::now());
    let ts = match backend {
        sea_orm::DatabaseBackend::Postgres => format!("CAST('{stamp}' AS TIMESTAMPTZ)"),
        _ => format!("'{stamp}'"),
    };
    let insert = format!(
        "INSERT INTO reviews (request_id, client_id, technician_id, rating, would_recommend, comment, created_at, updated_at) \
         SELECT r.id, r.client_id, r.technician_id, 5, TRUE, 'bench', {ts}, {ts} FROM repair_requests r \
         WHERE r.technician_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.request_id = r.id) \
         ORDER BY r.id LIMIT 1"
    );
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        Statistics::global(engine.clone(), w.clone()).await?;
        db.execute_unprepared(&insert).await?;
        let started = Instant::now();
        let stats = Statistics::global(engine.clone(), w.clone()).await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let computed: Vec<String> = stats
            .meta()
            .entries
            .iter()
            .filter(|e| !e.cache_hit)
            .map(|e| e.group.clone())
            .collect();
        tracing::info!(?computed, "recomputed after one new review");
        db.execute_unprepared("DELETE FROM reviews WHERE comment = 'bench'")
            .await?;
    }
    Ok(timing(
        &format!("globalStatistics after one new review ({label})"),
        ms,
    ))
}

/// Times `runs` reads of the tables' versions, `pause_ms` apart, while the change log is
/// folded every second as a serving gateway does.
pub async fn fingerprint(db: &DatabaseConnection, runs: usize, pause_ms: u64) -> AppResult<Timing> {
    let engine = engine(db);
    let folding = upkeep::spawn_folding(engine.clone());
    let mut ms = Vec::with_capacity(runs);
    let mut changes_seen = (i64::MAX, i64::MIN);
    for _ in 0..runs {
        let started = Instant::now();
        let fp = changes::read(db).await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let c = fp.version(Table::Logins).changes;
        changes_seen = (changes_seen.0.min(c), changes_seen.1.max(c));
        if pause_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
        }
    }
    folding.abort();
    tracing::info!(
        first = changes_seen.0,
        last = changes_seen.1,
        "login_events changes seen during the checks"
    );
    Ok(timing("fingerprint check", ms))
}

/// The timings as a Markdown table.
pub fn table(timings: &[Timing]) -> String {
    let mut s = String::from(
        "| what | median ms | min ms | p99 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |\n",
    );
    for t in timings {
        s.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} |\n",
            t.name, t.median_ms, t.min_ms, t.p99_ms, t.max_ms
        ));
    }
    s
}

/// Times what a refused request costs, from its bytes to its answer, through the gateway's
/// router in this process (no network): each refusal of the protocol and of the limits,
/// `runs` times, a signed-in admin's token on each (refusals read no database).
pub async fn refusals(
    db: &DatabaseConnection,
    config: crate::config::Config,
    runs: usize,
) -> AppResult<Vec<Timing>> {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let token =
        crate::auth::mint(&config.jwt_secret, 1, "admin", 1).map_err(|_| AppError::Internal)?;
    let router = crate::app::router(crate::app::AppState::new(db.clone(), config.clone()));
    let post = |query: &str| serde_json::json!({ "query": query }).to_string();
    let mut deep = String::from("name");
    for _ in 0..(config.max_depth + 1) {
        deep = format!("ofType {{ {deep} }}");
    }
    let deep = format!("{{ __schema {{ types {{ fields {{ type {{ {deep} }} }} }} }} }}");
    let wide: String = (0..=config.max_complexity)
        .map(|i| format!("f{i}: __typename "))
        .collect();
    let aliases: String = (0..=config.max_aliases)
        .map(|i| format!("a{i}: me {{ id }} "))
        .collect();
    let big = "x".repeat(config.max_body_bytes + 1);
    let cases: [(&str, &str, String, Option<&str>); 8] = [
        (
            "body over MAX_BODY_BYTES (413)",
            "POST",
            big,
            Some("application/json"),
        ),
        ("no Content-Type (415)", "POST", post("{ me { id } }"), None),
        (
            "body not JSON (400)",
            "POST",
            "{".into(),
            Some("application/json"),
        ),
        (
            "batch (400)",
            "POST",
            format!("[{0},{0}]", post("{ me { id } }")),
            Some("application/json"),
        ),
        (
            "document that does not parse",
            "POST",
            post("{"),
            Some("application/json"),
        ),
        (
            "too deep (TOO_COMPLEX)",
            "POST",
            post(&deep),
            Some("application/json"),
        ),
        (
            "too complex (TOO_COMPLEX)",
            "POST",
            post(&format!("{{ {wide} }}")),
            Some("application/json"),
        ),
        (
            "too many aliases (TOO_COMPLEX)",
            "POST",
            post(&format!("{{ {aliases} }}")),
            Some("application/json"),
        ),
    ];
    let mut timings = Vec::new();
    for (name, method, body, content_type) in cases {
        let mut ms = Vec::with_capacity(runs);
        for _ in 0..runs {
            let mut req = Request::builder()
                .method(method)
                .uri("/graphql")
                .header("authorization", format!("Bearer {token}"));
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            let req = req
                .body(Body::from(body.clone()))
                .map_err(|_| AppError::Internal)?;
            let started = Instant::now();
            let response = router
                .clone()
                .oneshot(req)
                .await
                .map_err(|_| AppError::Internal)?;
            let _ = axum::body::to_bytes(response.into_body(), usize::MAX).await;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        timings.push(timing(&format!("refusal: {name}"), ms));
    }
    Ok(timings)
}
