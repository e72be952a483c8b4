//! `teliman-stats bench`: times every metric group, the whole global computation, the
//! real-time figures and the cache fingerprint straight against a database (no cache in
//! front), as the median of several runs, and prints a Markdown table.

use crate::metrics;
use crate::stats::cache::{CacheSettings, StatsCache};
use crate::stats::{Period, Window, WindowInput, global};
use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};
use std::future::Future;
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
    /// Slowest run.
    pub max_ms: f64,
}

async fn time<T, F, Fut>(name: &str, runs: usize, mut f: F) -> Result<Timing, DbErr>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DbErr>>,
{
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    Ok(Timing {
        name: name.to_string(),
        median_ms: ms[ms.len() / 2],
        min_ms: ms[0],
        max_ms: ms[ms.len() - 1],
    })
}

/// Times everything on `db`, `runs` times each.
pub async fn run(
    db: &DatabaseConnection,
    tz: chrono_tz::Tz,
    runs: usize,
) -> Result<Vec<Timing>, DbErr> {
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
    let all = window(Period::All);
    let last30 = window(Period::Last30d);
    let mut out = Vec::new();
    for (label, w) in [("ALL", &all), ("LAST_30D", &last30)] {
        out.push(
            time(&format!("users ({label})"), runs, || {
                metrics::overview::users(db, w)
            })
            .await?,
        );
        out.push(
            time(&format!("requests ({label})"), runs, || {
                metrics::requests::compute(db, w)
            })
            .await?,
        );
        out.push(
            time(&format!("financial ({label})"), runs, || {
                metrics::financial::compute(db, w)
            })
            .await?,
        );
        out.push(
            time(&format!("satisfaction ({label})"), runs, || {
                metrics::satisfaction::compute(db, w)
            })
            .await?,
        );
        out.push(
            time(&format!("technicians ({label})"), runs, || {
                metrics::technicians::compute(db, w)
            })
            .await?,
        );
        out.push(
            time(&format!("security ({label})"), runs, || {
                metrics::security::compute(db, w)
            })
            .await?,
        );
        out.push(
            time(&format!("trends ({label})"), runs, || {
                metrics::trends::compute_all(db, w)
            })
            .await?,
        );
        out.push(
            time(&format!("globalStatistics ({label})"), runs, || {
                global::compute(db, w)
            })
            .await?,
        );
    }
    out.push(
        time("realTimeStats", runs, || {
            metrics::realtime::compute(db, Utc::now())
        })
        .await?,
    );
    let cache = StatsCache::new(
        db.clone(),
        CacheSettings {
            ttl: chrono::Duration::hours(1),
            max_stale: chrono::Duration::hours(24),
            l1_max_bytes: 1 << 20,
            fingerprint_interval: std::time::Duration::ZERO,
            snapshot_interval: chrono::Duration::minutes(15),
        },
    );
    out.push(
        time("fingerprint check", runs, || async {
            cache
                .fingerprint_now()
                .await
                .map_err(|e| DbErr::Custom(e.to_string()))
        })
        .await?,
    );
    Ok(out)
}

/// The timings as a Markdown table.
pub fn table(timings: &[Timing]) -> String {
    let mut s =
        String::from("| what | median ms | min ms | max ms |\n| --- | ---: | ---: | ---: |\n");
    for t in timings {
        s.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.1} |\n",
            t.name, t.median_ms, t.min_ms, t.max_ms
        ));
    }
    s
}
