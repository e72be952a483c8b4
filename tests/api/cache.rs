//! The statistics cache: single flight, staleness, fingerprints, refresh and invalidation,
//! and what is served when the database is gone.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{Engine, TestApp, codes, engines};
use serde_json::json;
use std::sync::atomic::Ordering;
use teliman_stats::stats::cache::{self, CacheSettings, StatsCache};
use teliman_stats::stats::{Window, WindowInput};

fn settings(ttl: chrono::Duration) -> CacheSettings {
    CacheSettings {
        ttl,
        max_stale: chrono::Duration::hours(24),
        l1_max_bytes: 10 * 1024 * 1024,
        fingerprint_interval: std::time::Duration::ZERO,
        snapshot_interval: chrono::Duration::minutes(15),
    }
}

fn input() -> WindowInput {
    WindowInput {
        as_of: Some(AS_OF.parse().unwrap()),
        ..Default::default()
    }
}

fn window() -> (String, Window) {
    let key = cache::key(&input(), chrono_tz::UTC);
    (
        key,
        Window::from_input(input(), chrono::Utc::now(), chrono_tz::UTC).unwrap(),
    )
}

const NEW_REQUEST: &str = "INSERT INTO repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, estimated_price, created_at, assigned_at, started_at, completed_at, cancelled_at, updated_at) VALUES \
     (100, 2, NULL, 'it', 'Gao', 'pending', FALSE, NULL, '2026-06-01T00:00:00+00:00', NULL, NULL, NULL, NULL, '2026-06-01T00:00:00+00:00')";

#[tokio::test]
async fn concurrent_cold_requests_compute_once() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let cache = StatsCache::new(app.db.clone(), settings(chrono::Duration::hours(1)));
        let (key, window) = window();
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let (cache, key, window) = (cache.clone(), key.clone(), window.clone());
                tokio::spawn(async move { cache.global(&key, &window).await.unwrap() })
            })
            .collect();
        let mut served = Vec::new();
        for t in tasks {
            served.push(t.await.unwrap());
        }
        assert_eq!(cache.counters.computations.load(Ordering::SeqCst), 1);
        assert_eq!(served.iter().filter(|s| !s.cache_hit).count(), 1);
        let computed = served[0].entry.data.computed_at;
        assert!(
            served
                .iter()
                .all(|s| s.entry.data.computed_at == computed && !s.stale)
        );
        assert_eq!(served[0].entry.data.requests.total, 11);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn changed_data_is_seen_by_the_next_request() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let cache = StatsCache::new(app.db.clone(), settings(chrono::Duration::hours(1)));
        let (key, window) = window();
        let first = cache.global(&key, &window).await.unwrap();
        let again = cache.global(&key, &window).await.unwrap();
        assert!(!first.cache_hit && again.cache_hit);
        assert_eq!(cache.counters.computations.load(Ordering::SeqCst), 1);
        app.load(NEW_REQUEST).await;
        let fresh = cache.global(&key, &window).await.unwrap();
        assert!(!fresh.cache_hit && !fresh.stale);
        assert_eq!(fresh.entry.data.requests.total, 12);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn expired_entries_are_extended_or_served_stale_while_one_refresh_runs() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        // every entry is expired as soon as it is written
        let cache = StatsCache::new(app.db.clone(), settings(chrono::Duration::zero()));
        let (key, window) = window();
        cache.global(&key, &window).await.unwrap();
        // nothing changed: extended, not recomputed
        let extended = cache.global(&key, &window).await.unwrap();
        assert!(extended.cache_hit && !extended.stale);
        assert_eq!(cache.counters.computations.load(Ordering::SeqCst), 1);
        // something changed: the old figures at once, marked stale, and one refresh behind
        app.load(NEW_REQUEST).await;
        let stale = cache.global(&key, &window).await.unwrap();
        assert!(stale.cache_hit && stale.stale);
        assert_eq!(stale.entry.data.requests.total, 11);
        for _ in 0..200 {
            if cache.counters.computations.load(Ordering::SeqCst) == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(cache.counters.computations.load(Ordering::SeqCst), 2);
        // wait until the refreshed entry is in place, then it serves the new figures
        let mut total = 0;
        for _ in 0..200 {
            let s = cache.global(&key, &window).await.unwrap();
            total = s.entry.data.requests.total;
            if total == 12 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(total, 12);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn refresh_and_invalidate_through_graphql() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let q = "query($f: StatsFilter) { globalStatistics(filter: $f) { requests { total } meta { cacheHit stale computedAt } } }";
        let v = json!({ "f": { "asOf": AS_OF } });
        let first = app.data(q, v.clone()).await;
        let second = app.data(q, v.clone()).await;
        assert_eq!(first["globalStatistics"]["meta"]["cacheHit"], false);
        assert_eq!(second["globalStatistics"]["meta"]["cacheHit"], true);
        assert_eq!(
            first["globalStatistics"]["meta"]["computedAt"],
            second["globalStatistics"]["meta"]["computedAt"]
        );
        let refreshed = app
            .data(
                "mutation($f: StatsFilter) { refreshStatistics(filter: $f) { requests { total } meta { cacheHit } } }",
                v.clone(),
            )
            .await;
        assert_eq!(refreshed["refreshStatistics"]["meta"]["cacheHit"], false);
        assert_eq!(refreshed["refreshStatistics"]["requests"]["total"], 11);
        let none = app
            .data(
                "mutation { invalidateStatisticsCache(prefix: \"overview\") }",
                json!({}),
            )
            .await;
        assert_eq!(none["invalidateStatisticsCache"], 0);
        let one = app
            .data(
                "mutation { invalidateStatisticsCache(prefix: \"global\") }",
                json!({}),
            )
            .await;
        assert_eq!(one["invalidateStatisticsCache"], 1);
        let after = app.data(q, v.clone()).await;
        assert_eq!(after["globalStatistics"]["meta"]["cacheHit"], false);
        // a client may do neither
        let token = app.token(2, 1);
        let (_, body) = app
            .post(
                Some(&token),
                "mutation { invalidateStatisticsCache }",
                json!({}),
            )
            .await;
        assert_eq!(codes(&body), vec!["FORBIDDEN"]);
        // a mutation over GET is refused
        let (status, _) = app
            .raw(
                "GET",
                "/graphql?query=mutation%20%7B%20invalidateStatisticsCache%20%7D",
                Some(&app.token(1, 1)),
                String::new(),
            )
            .await;
        assert_eq!(status, axum::http::StatusCode::METHOD_NOT_ALLOWED);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn with_the_database_gone_cached_answers_are_served_and_the_rest_is_unavailable() {
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    let cache = StatsCache::new(app.db.clone(), settings(chrono::Duration::zero()));
    let (key, window) = window();
    cache.global(&key, &window).await.unwrap();
    app.db.clone().close().await.unwrap();
    let served = cache.global(&key, &window).await.unwrap();
    assert!(served.cache_hit && served.stale);
    assert_eq!(served.entry.data.requests.total, 11);
    let other = WindowInput {
        city: Some("Gao".into()),
        ..input()
    };
    let other_key = cache::key(&other, chrono_tz::UTC);
    let other_window = Window::from_input(other, chrono::Utc::now(), chrono_tz::UTC).unwrap();
    let err = cache.global(&other_key, &other_window).await.unwrap_err();
    assert_eq!(err.code(), "UNAVAILABLE");
    app.cleanup().await;
}

#[test]
fn keys_start_with_the_group_and_stay_short() {
    let (key, _) = window();
    assert!(key.starts_with("global:"));
    let long = WindowInput {
        city: Some("é".repeat(100)),
        specialty: Some("x".repeat(100)),
        ..input()
    };
    let k = cache::key(&long, chrono_tz::UTC);
    assert!(k.starts_with("global:") && k.len() <= 200);
    assert_ne!(
        k,
        cache::key(
            &WindowInput {
                city: Some("é".repeat(99)),
                ..long.clone()
            },
            chrono_tz::UTC
        )
    );
}

#[tokio::test]
async fn metrics_are_exposed_in_prometheus_text() {
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    let q =
        "query Dashboard($f: StatsFilter) { globalStatistics(filter: $f) { meta { cacheHit } } }";
    app.data(q, json!({ "f": { "asOf": AS_OF } })).await;
    app.data(q, json!({ "f": { "asOf": AS_OF } })).await;
    let (status, body) = app.raw("GET", "/metrics", None, String::new()).await;
    assert_eq!(status, axum::http::StatusCode::OK);
    let text = body.as_str().unwrap();
    for needle in [
        "teliman_stats_graphql_requests_total{operation=\"Dashboard\",outcome=\"ok\"}",
        "teliman_stats_graphql_request_duration_seconds_bucket{le=",
        "teliman_stats_cache_events_total{level=\"l1\",result=\"hit\"}",
        "teliman_stats_cache_events_total{level=\"none\",result=\"miss\"}",
        "teliman_stats_computation_duration_seconds_count{group=\"requests\"}",
        "teliman_stats_fingerprint_checks_total",
        "teliman_stats_database_errors_total",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    app.cleanup().await;
}

/// PostgreSQL only: the database is dropped under the server, then comes back.
#[tokio::test]
async fn a_database_outage_serves_the_cache_and_service_resumes_by_itself() {
    let Some(Engine::Postgres(server)) = engines()
        .into_iter()
        .find(|e| matches!(e, Engine::Postgres(_)))
    else {
        return;
    };
    let app = TestApp::new(&Engine::Postgres(server.clone())).await;
    app.load(ROWS).await;
    let q = "query($f: StatsFilter) { globalStatistics(filter: $f) { requests { total } meta { cacheHit stale } } }";
    let cached = json!({ "f": { "asOf": AS_OF } });
    let uncached = json!({ "f": { "asOf": AS_OF, "city": "Gao" } });
    app.data(q, cached.clone()).await;

    let admin = teliman_stats::db::connect(&server, std::time::Duration::from_secs(5), 1)
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    admin
        .execute_unprepared(&format!("DROP DATABASE \"{}\" WITH (FORCE)", app.db_name()))
        .await
        .unwrap();

    let token = app.token(1, 1);
    let (_, body) = app.post(Some(&token), q, cached.clone()).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["globalStatistics"]["requests"]["total"], 11);
    assert_eq!(body["data"]["globalStatistics"]["meta"]["cacheHit"], true);
    let (_, body) = app.post(Some(&token), q, uncached.clone()).await;
    assert_eq!(codes(&body), vec!["UNAVAILABLE"], "{body}");
    let (status, _) = app.raw("GET", "/ready", None, String::new()).await;
    assert_eq!(status, axum::http::StatusCode::SERVICE_UNAVAILABLE);

    // the database comes back (empty, migrated): no restart needed
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{}\"", app.db_name()))
        .await
        .unwrap();
    let back = teliman_stats::db::connect(&app.url(), std::time::Duration::from_secs(5), 1)
        .await
        .unwrap();
    {
        use migration::MigratorTrait;
        migration::Migrator::up(&back, None).await.unwrap();
    }
    app.load_with(&back, ROWS).await;
    back.close().await.ok();
    admin.close().await.ok();
    let mut ready = axum::http::StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        ready = app.raw("GET", "/ready", None, String::new()).await.0;
        if ready == axum::http::StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(ready, axum::http::StatusCode::OK);
    let (_, body) = app.post(Some(&token), q, uncached).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["globalStatistics"]["requests"]["total"], 0);
    app.cleanup().await;
}

#[tokio::test]
async fn repeated_operations_get_kept_answers_only_while_they_are_current() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let q = "query($f: StatsFilter) { globalStatistics(filter: $f) { requests { total } meta { cacheHit stale computedAt } } }";
        let v = json!({ "f": { "asOf": AS_OF } });
        let kept = || app.state.responses.hits.load(Ordering::SeqCst);
        // computed, then a fresh hit whose answer is kept, then that answer again
        let first = app.data(q, v.clone()).await;
        let second = app.data(q, v.clone()).await;
        assert_eq!(kept(), 0);
        let third = app.data(q, v.clone()).await;
        assert_eq!(kept(), 1);
        assert_eq!(first["globalStatistics"]["meta"]["cacheHit"], false);
        assert_eq!(second, third);
        assert_eq!(third["globalStatistics"]["requests"]["total"], 11);
        assert_eq!(
            app.state.cache.counters.computations.load(Ordering::SeqCst),
            1
        );

        // a client sending the same bytes is refused, not answered
        let body = json!({ "query": q, "variables": v }).to_string();
        let (_, refused) = app
            .raw("POST", "/graphql", Some(&app.token(2, 1)), body.clone())
            .await;
        assert_eq!(codes(&refused), vec!["FORBIDDEN"]);
        let (_, anonymous) = app.raw("POST", "/graphql", None, body).await;
        assert_eq!(codes(&anonymous), vec!["UNAUTHENTICATED"]);
        assert_eq!(kept(), 1);

        // one more request in the period: the kept answer is no longer current
        app.load(NEW_REQUEST).await;
        let fresh = app.data(q, v.clone()).await;
        assert_eq!(kept(), 1);
        assert_eq!(fresh["globalStatistics"]["requests"]["total"], 12);
        assert_eq!(fresh["globalStatistics"]["meta"]["cacheHit"], false);

        // an operation with another top-level field is never kept
        let mixed = "query($f: StatsFilter) { globalStatistics(filter: $f) { requests { total } } realTimeStats { openRequests } }";
        for _ in 0..3 {
            app.data(mixed, v.clone()).await;
        }
        assert_eq!(kept(), 1);
        // nor one whose nested field read the database (a non-default top list)
        let nested = "query($f: StatsFilter) { globalStatistics(filter: $f) { technicians { topTechnicians(limit: 2) { technicianId } } } }";
        for _ in 0..3 {
            app.data(nested, v.clone()).await;
        }
        assert_eq!(kept(), 1);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_fingerprint_sees_deletes_and_updates_that_leave_the_latest_change_alone() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let cache = StatsCache::new(app.db.clone(), settings(chrono::Duration::hours(1)));
        let before = cache.fingerprint_now().await.unwrap();
        // the requests part: the 12 rows of the fixture (one created after AS_OF)
        let requests_part = |fp: &str| fp.split('|').nth(2).unwrap().to_string();
        assert!(requests_part(&before).starts_with("12:"), "{before}");
        app.load(NEW_REQUEST).await;
        let inserted = cache.fingerprint_now().await.unwrap();
        assert!(requests_part(&inserted).starts_with("13:"), "{inserted}");
        // an update that keeps updated_at, then the delete of a row that is not the latest
        app.load("UPDATE repair_requests SET is_urgent = NOT is_urgent WHERE id = 100")
            .await;
        let updated = cache.fingerprint_now().await.unwrap();
        assert_ne!(updated, inserted);
        app.load("DELETE FROM repair_requests WHERE id = 100").await;
        let deleted = cache.fingerprint_now().await.unwrap();
        assert!(requests_part(&deleted).starts_with("12:"), "{deleted}");
        assert_ne!(deleted, before);
        assert_ne!(deleted, updated);
        app.cleanup().await;
    }
}
