//! The statistics engine: one entry per group and filter, single flight, staleness,
//! freshness per group, selections that compute only what they ask, refresh and
//! invalidation, kept answers, and what is served when the database is gone.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{Engine, TestApp, codes, engines};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use teliman_stats::stats::{CacheSettings, Engine as StatsEngine, Group, Statistics};
use teliman_stats::window::{Window, WindowInput};

fn settings(ttl: chrono::Duration) -> CacheSettings {
    CacheSettings {
        ttl,
        max_stale: chrono::Duration::hours(24),
        l1_max_bytes: 10 * 1024 * 1024,
        l2_max_bytes: 256 * 1024 * 1024,
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

fn window() -> Window {
    Window::from_input(input(), chrono::Utc::now(), chrono_tz::UTC).unwrap()
}

fn computations(engine: &StatsEngine) -> u64 {
    engine.counters.computations.load(Ordering::SeqCst)
}

/// The requests created before AS_OF, as `engine` serves them.
async fn requests_total(engine: &Arc<StatsEngine>) -> i64 {
    Statistics::fetch(engine.clone(), window(), [Group::Requests], None)
        .await
        .unwrap()
        .requests()
        .await
        .unwrap()
        .total
}

const NEW_REQUEST: &str = "INSERT INTO repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, estimated_price, created_at, assigned_at, started_at, completed_at, cancelled_at, updated_at) VALUES \
     (100, 2, NULL, 'it', 'Gao', 'pending', FALSE, NULL, '2026-06-01T00:00:00+00:00', NULL, NULL, NULL, NULL, '2026-06-01T00:00:00+00:00')";

/// A review of R5 (which has none) by its client, before AS_OF.
const NEW_REVIEW: &str = "INSERT INTO reviews (id, request_id, client_id, technician_id, rating, would_recommend, comment, created_at, updated_at) VALUES \
     (100, 5, 2, 3, 1, FALSE, NULL, '2026-06-14T12:00:00+00:00', '2026-06-14T12:00:00+00:00')";

const META: &str = "meta { cacheHit stale computedAt calculationMs entries { key group cacheHit stale computedAt calculationMs } }";

/// The groups of `meta.entries` that were computed for this answer.
fn computed(meta: &Value) -> Vec<String> {
    meta["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["cacheHit"] == false)
        .map(|e| e["group"].as_str().unwrap().to_string())
        .collect()
}

fn groups(meta: &Value) -> Vec<String> {
    meta["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["group"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn concurrent_cold_requests_compute_each_group_once() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let stats = StatsEngine::new(app.db.clone(), settings(chrono::Duration::hours(1)));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let stats = stats.clone();
                tokio::spawn(async move { Statistics::global(stats, window()).await.unwrap() })
            })
            .collect();
        let mut answers = Vec::new();
        for t in tasks {
            answers.push(t.await.unwrap().meta());
        }
        // seven groups, each computed by one request and joined by the others
        assert_eq!(computations(&stats), 7);
        let first_of_each: usize = answers
            .iter()
            .map(|m| m.entries.iter().filter(|e| !e.cache_hit).count())
            .sum();
        assert_eq!(first_of_each, 7);
        let computed_at = answers[0].computed_at;
        assert!(
            answers
                .iter()
                .all(|m| m.computed_at == computed_at && !m.stale)
        );
        assert_eq!(requests_total(&stats).await, 11);
        assert_eq!(computations(&stats), 7);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn changed_data_is_seen_by_the_next_request() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let stats = StatsEngine::new(app.db.clone(), settings(chrono::Duration::hours(1)));
        let first = stats.get(Group::Requests, &window()).await.unwrap();
        let again = stats.get(Group::Requests, &window()).await.unwrap();
        assert!(!first.cache_hit && again.cache_hit);
        assert_eq!(computations(&stats), 1);
        app.load(NEW_REQUEST).await;
        let fresh = stats.get(Group::Requests, &window()).await.unwrap();
        assert!(!fresh.cache_hit && !fresh.stale);
        assert_eq!(requests_total(&stats).await, 12);
        assert_eq!(computations(&stats), 2);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_shared_cache_that_cannot_be_read_is_a_miss_not_an_error() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let first = StatsEngine::new(app.db.clone(), settings(chrono::Duration::hours(1)));
        assert!(
            !first
                .get(Group::Requests, &window())
                .await
                .unwrap()
                .cache_hit
        );
        // the shared level stops answering (its table gone): another engine, its own
        // level empty, computes the figures instead of failing the request
        app.load("ALTER TABLE statistics_cache RENAME TO statistics_cache_away")
            .await;
        let other = StatsEngine::new(app.db.clone(), settings(chrono::Duration::hours(1)));
        let served = other.get(Group::Requests, &window()).await.unwrap();
        assert!(!served.cache_hit && !served.stale);
        assert_eq!(computations(&other), 1);
        // the eleven requests created before AS_OF (fixture)
        assert_eq!(requests_total(&other).await, 11);
        assert_eq!(computations(&other), 1);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn expired_entries_are_extended_or_served_stale_while_one_refresh_runs() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        // every entry is expired as soon as it is written
        let stats = StatsEngine::new(app.db.clone(), settings(chrono::Duration::zero()));
        let total = |served: &teliman_stats::stats::Served| match &served.entry.figures {
            teliman_stats::stats::Figures::Requests(r) => r.total,
            other => panic!("not the requests group: {other:?}"),
        };
        stats.get(Group::Requests, &window()).await.unwrap();
        // nothing changed: extended, not recomputed
        let extended = stats.get(Group::Requests, &window()).await.unwrap();
        assert!(extended.cache_hit && !extended.stale);
        assert_eq!(computations(&stats), 1);
        // something changed: the old figures at once, marked stale, and one refresh behind
        app.load(NEW_REQUEST).await;
        let stale = stats.get(Group::Requests, &window()).await.unwrap();
        assert!(stale.cache_hit && stale.stale);
        assert_eq!(total(&stale), 11);
        let mut refreshed = 0;
        for _ in 0..200 {
            let s = stats.get(Group::Requests, &window()).await.unwrap();
            refreshed = total(&s);
            if refreshed == 12 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(refreshed, 12);
        assert_eq!(computations(&stats), 2);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_new_review_recomputes_only_the_groups_that_read_reviews() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let q = format!(
            "query($f: StatsFilter) {{ globalStatistics(filter: $f) {{ \
               overview {{ totalUsers totalRequests totalRevenue avgRating }} satisfaction {{ totalReviews }} \
               technicians {{ total topTechnicians(minReviews: 1) {{ technicianId }} }} security {{ totalLogins }} \
               trends {{ daily {{ requests }} }} {META} }} }}"
        );
        let v = json!({ "f": { "asOf": AS_OF } });
        let first = app.data(&q, v.clone()).await["globalStatistics"].clone();
        assert_eq!(first["meta"]["cacheHit"], false);
        // the overview reads users, requests, financial and satisfaction; the non-default
        // top list is an entry of its own
        let mut all = computed(&first["meta"]);
        all.sort();
        assert_eq!(
            all,
            [
                "financial",
                "requests",
                "satisfaction",
                "security",
                "technicians",
                "technicians.top(5,1)",
                "trends",
                "users"
            ]
        );
        let engine_computations = computations(&app.state.engine);
        app.load(NEW_REVIEW).await;
        let after = app.data(&q, v.clone()).await["globalStatistics"].clone();
        let mut again = computed(&after["meta"]);
        again.sort();
        assert_eq!(
            again,
            ["satisfaction", "technicians", "technicians.top(5,1)"]
        );
        assert_eq!(computations(&app.state.engine), engine_computations + 3);
        assert_eq!(after["meta"]["cacheHit"], false);
        // 6 reviews at AS_OF, and the new one
        assert_eq!(after["satisfaction"]["totalReviews"], 7);
        assert_eq!(after["overview"]["totalRequests"], 11);
        // T3's mean falls from 4.5 to (5 + 4 + 1) / 3 = 3.33: T1 (4.0) leads
        assert_eq!(
            after["technicians"]["topTechnicians"][0]["technicianId"],
            "1"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_selection_computes_only_the_groups_it_asks_for() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let v = json!({ "f": { "asOf": AS_OF } });
        let ask = |selection: &str| {
            format!(
                "query($f: StatsFilter) {{ globalStatistics(filter: $f) {{ {selection} {META} }} }}"
            )
        };
        let d = app
            .data(&ask("financial { totalRevenue }"), v.clone())
            .await;
        assert_eq!(groups(&d["globalStatistics"]["meta"]), ["financial"]);
        assert_eq!(
            d["globalStatistics"]["financial"]["totalRevenue"],
            "1000000012.94"
        );
        assert_eq!(computations(&app.state.engine), 1);

        let d = app.data(&ask("overview { totalUsers }"), v.clone()).await;
        assert_eq!(groups(&d["globalStatistics"]["meta"]), ["users"]);
        assert_eq!(computations(&app.state.engine), 2);

        // overview, requests and advanced share one requests pass
        let d = app
            .data(
                &ask("overview { totalRequests avgRating } requests { total } advanced { conversionRate retentionRate }"),
                v.clone(),
            )
            .await;
        let g = &d["globalStatistics"];
        let mut computed_now = computed(&g["meta"]);
        computed_now.sort();
        assert_eq!(computed_now, ["requests", "satisfaction"]);
        assert_eq!(computations(&app.state.engine), 4);
        assert_eq!(g["overview"]["totalRequests"], 11);
        assert_eq!(g["requests"]["total"], 11);
        // completed at AS_OF: R1, R2, R10, R11 of 11; 3 active of 6 users
        crate::helpers::approx(&g["advanced"]["conversionRate"], 4.0 / 11.0 * 100.0);
        crate::helpers::approx(&g["advanced"]["retentionRate"], 50.0);

        // skipped fields compute nothing
        let d = app
            .data(
                &ask("security @skip(if: true) { totalLogins } trends @include(if: false) { daily { requests } }"),
                v.clone(),
            )
            .await;
        assert_eq!(groups(&d["globalStatistics"]["meta"]), Vec::<String>::new());
        assert_eq!(computations(&app.state.engine), 4);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn group_queries_read_the_same_entries_as_global_statistics() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let v = json!({ "f": { "asOf": AS_OF } });
        app.data(crate::metrics::GLOBAL, v.clone()).await;
        let after_global = computations(&app.state.engine);
        let d = app
            .data(
                "query($f: StatsFilter) { overview(filter: $f) { totalUsers totalRevenue avgRating } \
                 requests(filter: $f) { total } financial(filter: $f) { totalRevenue } \
                 satisfaction(filter: $f) { totalReviews } advanced(filter: $f) { churnRate } \
                 technicians(filter: $f) { total topTechnicians { technicianId } any: topTechnicians(minReviews: 1) { technicianId } } \
                 security(filter: $f) { failedLogins suspiciousIps { ipAddress } } \
                 trends(filter: $f, granularity: WEEKLY) { requests } }",
                v.clone(),
            )
            .await;
        // every figure came from an entry the global query made
        assert_eq!(computations(&app.state.engine), after_global);
        assert_eq!(d["overview"]["totalUsers"], 6);
        assert_eq!(d["requests"]["total"], 11);
        assert_eq!(d["trends"].as_array().unwrap().len(), 12);
        // non-default arguments are entries of their own, computed once
        let other = "query($f: StatsFilter) { technicians(filter: $f) { topTechnicians(limit: 1, minReviews: 1) { technicianId } } \
                     security(filter: $f) { suspiciousIps(limit: 1) { ipAddress } } \
                     trends(filter: $f, granularity: DAILY, points: 30) { requests } }";
        let first = app.data(other, v.clone()).await;
        assert_eq!(computations(&app.state.engine), after_global + 3);
        let second = app.data(other, v.clone()).await;
        assert_eq!(computations(&app.state.engine), after_global + 3);
        assert_eq!(first, second);
        assert_eq!(
            first["technicians"]["topTechnicians"],
            json!([{ "technicianId": "3" }])
        );
        assert_eq!(first["trends"].as_array().unwrap().len(), 30);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn meta_tells_the_oldest_entry_and_whether_anything_was_computed() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let v = json!({ "f": { "asOf": AS_OF } });
        let q = format!(
            "query($f: StatsFilter) {{ globalStatistics(filter: $f) {{ requests {{ total }} satisfaction {{ totalReviews }} {META} }} }}"
        );
        let first = app.data(&q, v.clone()).await["globalStatistics"]["meta"].clone();
        assert_eq!(first["cacheHit"], false);
        // a new review: satisfaction is computed again, requests is served
        app.load(NEW_REVIEW).await;
        let meta = app.data(&q, v.clone()).await["globalStatistics"]["meta"].clone();
        assert_eq!(meta["cacheHit"], false);
        assert_eq!(meta["stale"], false);
        let entry = |group: &str| {
            meta["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["group"] == group)
                .unwrap()
                .clone()
        };
        assert_eq!(entry("requests")["cacheHit"], true);
        assert_eq!(entry("satisfaction")["cacheHit"], false);
        // computedAt is the oldest entry's, calculationMs the longest computation's
        assert_eq!(meta["computedAt"], entry("requests")["computedAt"]);
        let first_requests = first["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["group"] == "requests")
            .unwrap();
        assert_eq!(meta["computedAt"], first_requests["computedAt"]);
        let longest = [entry("requests"), entry("satisfaction")]
            .iter()
            .map(|e| e["calculationMs"].as_i64().unwrap())
            .max()
            .unwrap();
        assert_eq!(meta["calculationMs"], longest);
        assert!(
            entry("requests")["key"]
                .as_str()
                .unwrap()
                .starts_with("requests:")
        );
        // nothing new: a hit
        let hit = app.data(&q, v).await["globalStatistics"]["meta"].clone();
        assert_eq!(hit["cacheHit"], true);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn refresh_and_invalidate_through_graphql() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let q = "query($f: StatsFilter) { globalStatistics(filter: $f) { requests { total } financial { totalRevenue } meta { cacheHit stale computedAt } } }";
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
                "mutation { invalidateStatisticsCache(prefix: \"financial\") }",
                json!({}),
            )
            .await;
        assert_eq!(one["invalidateStatisticsCache"], 1);
        let after = app.data(q, v.clone()).await;
        assert_eq!(after["globalStatistics"]["meta"]["cacheHit"], false);
        assert_eq!(computed(&json!({ "entries": [] })), Vec::<String>::new());
        let all = app
            .data("mutation { invalidateStatisticsCache }", json!({}))
            .await;
        assert_eq!(all["invalidateStatisticsCache"], 2);
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

#[test]
fn keys_start_with_the_group_and_stay_short() {
    let key = teliman_stats::stats::engine::key(Group::Requests, &window());
    assert!(key.starts_with("requests:"), "{key}");
    let top = teliman_stats::stats::engine::key(
        Group::TopTechnicians {
            limit: 10,
            min_reviews: 3,
        },
        &window(),
    );
    assert!(top.starts_with("technicians.top(10,3):"), "{top}");
    let long = WindowInput {
        city: Some("é".repeat(100)),
        specialty: Some("x".repeat(100)),
        ..input()
    };
    let w = |i: WindowInput| Window::from_input(i, chrono::Utc::now(), chrono_tz::UTC).unwrap();
    let k = teliman_stats::stats::engine::key(Group::Financial, &w(long.clone()));
    assert!(k.starts_with("financial:") && k.len() <= 200, "{k}");
    let shorter = WindowInput {
        city: Some("é".repeat(99)),
        ..long
    };
    assert_ne!(
        k,
        teliman_stats::stats::engine::key(Group::Financial, &w(shorter))
    );
    // a live filter has one key whatever the clock; an explicit asOf is part of the key
    let live = |now| Window::from_input(WindowInput::default(), now, chrono_tz::UTC).unwrap();
    let now = chrono::Utc::now();
    assert_eq!(
        teliman_stats::stats::engine::key(Group::Users, &live(now)),
        teliman_stats::stats::engine::key(Group::Users, &live(now + chrono::Duration::hours(1)))
    );
    assert_ne!(
        teliman_stats::stats::engine::key(Group::Users, &live(now)),
        teliman_stats::stats::engine::key(Group::Users, &window())
    );
}

/// The text of `/metrics`.
async fn metrics_text(app: &TestApp) -> String {
    let (status, body) = app.raw("GET", "/metrics", None, String::new()).await;
    assert_eq!(status, axum::http::StatusCode::OK);
    body.as_str().unwrap().to_string()
}

/// The value of one series in the Prometheus text (0 when absent).
fn series(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_computations_and_checks() {
    // the counters are the process's: other tests add to them, so each is checked to grow
    // by at least what this test did
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    let q = "query Dashboard($f: StatsFilter) { globalStatistics(filter: $f) { financial { totalRevenue } meta { cacheHit } } }";
    let before = metrics_text(&app).await;
    let ok = "teliman_stats_graphql_requests_total{operation=\"Dashboard\",outcome=\"ok\"}";
    let financial = "teliman_stats_computation_duration_seconds_count{group=\"financial\"}";
    let checks = "teliman_stats_fingerprint_checks_total";
    let misses = "teliman_stats_cache_events_total{level=\"none\",result=\"miss\"}";
    let hits = "teliman_stats_cache_events_total{level=\"l1\",result=\"hit\"}";
    app.data(q, json!({ "f": { "asOf": AS_OF } })).await;
    app.data(q, json!({ "f": { "asOf": AS_OF } })).await;
    let (_, refused) = app.post(None, q, json!({})).await;
    assert_eq!(codes(&refused), vec!["UNAUTHENTICATED"]);
    let after = metrics_text(&app).await;
    let grew = |name: &str| series(&after, name) - series(&before, name);
    assert!(grew(ok) >= 2.0, "{ok}: {}", grew(ok));
    assert!(grew(financial) >= 1.0, "{financial}: {}", grew(financial));
    assert!(grew(misses) >= 1.0);
    assert!(grew(hits) >= 1.0);
    // each request checked the tables' versions (the interval is 0 in tests)
    assert!(grew(checks) >= 2.0, "{checks}: {}", grew(checks));
    assert!(
        grew(
            "teliman_stats_graphql_requests_total{operation=\"Dashboard\",outcome=\"UNAUTHENTICATED\"}"
        ) >= 1.0
    );
    assert!(after.contains("teliman_stats_database_errors_total"));
    assert!(after.contains("teliman_stats_cache_evictions_total"));
    app.cleanup().await;
}

/// Every pooled connection held by the test: the gateway can reach no database.
async fn hold_every_connection(app: &TestApp) -> Vec<sea_orm::DatabaseTransaction> {
    use sea_orm::TransactionTrait;
    let mut held = Vec::new();
    for _ in 0..app.state.config.db_max_connections {
        held.push(app.db.begin().await.unwrap());
    }
    held
}

#[tokio::test]
async fn with_no_database_connection_the_cache_serves_and_service_resumes_by_itself() {
    for engine in engines() {
        let app = TestApp::with_config(&engine, chrono_tz::UTC, |c| {
            c.db_max_connections = 2;
            c.db_timeout = std::time::Duration::from_secs(1);
        })
        .await;
        app.load(ROWS).await;
        let q = "query($f: StatsFilter) { globalStatistics(filter: $f) { requests { total } meta { cacheHit stale } } }";
        let cached = json!({ "f": { "asOf": AS_OF } });
        let uncached = json!({ "f": { "asOf": AS_OF, "city": "Gao" } });
        let token = app.token(1, 1);
        app.data(q, cached.clone()).await;

        let held = hold_every_connection(&app).await;
        let (_, body) = app.post(Some(&token), q, cached.clone()).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["globalStatistics"]["requests"]["total"], 11);
        assert_eq!(body["data"]["globalStatistics"]["meta"]["cacheHit"], true);
        let (_, body) = app.post(Some(&token), q, uncached.clone()).await;
        assert_eq!(codes(&body), vec!["UNAVAILABLE"], "{body}");
        let (status, _) = app.raw("GET", "/ready", None, String::new()).await;
        assert_eq!(status, axum::http::StatusCode::SERVICE_UNAVAILABLE);

        for connection in held {
            connection.rollback().await.unwrap();
        }
        let (status, _) = app.raw("GET", "/ready", None, String::new()).await;
        assert_eq!(status, axum::http::StatusCode::OK);
        let (_, body) = app.post(Some(&token), q, uncached).await;
        assert!(body.get("errors").is_none(), "{body}");
        // no request in Gao
        assert_eq!(body["data"]["globalStatistics"]["requests"]["total"], 0);
        app.cleanup().await;
    }
}

/// PostgreSQL (SQLite has no server to lose): the database is dropped under the gateway,
/// then comes back.
#[tokio::test]
async fn a_dropped_postgres_database_serves_the_cache_and_service_resumes_by_itself() {
    let Engine::Postgres(server) = crate::helpers::postgres() else {
        unreachable!("postgres() is a PostgreSQL engine")
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
        let kept = || app.state.answers.hits.load(Ordering::SeqCst);
        // computed, then a fresh hit whose answer is kept, then that answer again
        let first = app.data(q, v.clone()).await;
        let second = app.data(q, v.clone()).await;
        assert_eq!(kept(), 0);
        let third = app.data(q, v.clone()).await;
        assert_eq!(kept(), 1);
        assert_eq!(first["globalStatistics"]["meta"]["cacheHit"], false);
        assert_eq!(second, third);
        assert_eq!(third["globalStatistics"]["requests"]["total"], 11);
        assert_eq!(computations(&app.state.engine), 1);

        // the same operation with other white space, commas and comments, and variables in
        // another key order, is the same operation
        let spaced = "query ( $f : StatsFilter ) , {\n  # the totals\n  globalStatistics ( filter : $f ) { requests { total } meta { cacheHit stale computedAt } }\n}";
        let body =
            json!({ "variables": { "f": { "period": "ALL", "asOf": AS_OF } }, "query": spaced })
                .to_string();
        let (_, same) = app
            .raw("POST", "/graphql", Some(&app.token(1, 1)), body)
            .await;
        assert_eq!(
            kept(),
            1,
            "variables differ (period given): another operation"
        );
        assert_eq!(same["data"], third);
        let body = json!({ "variables": { "f": { "asOf": AS_OF } }, "query": spaced }).to_string();
        let (_, same) = app
            .raw("POST", "/graphql", Some(&app.token(1, 1)), body)
            .await;
        assert_eq!(kept(), 2);
        assert_eq!(same["data"], third);

        // a client sending the same bytes is refused, not answered
        let body = json!({ "query": q, "variables": v }).to_string();
        let (_, refused) = app
            .raw("POST", "/graphql", Some(&app.token(2, 1)), body.clone())
            .await;
        assert_eq!(codes(&refused), vec!["FORBIDDEN"]);
        let (_, anonymous) = app.raw("POST", "/graphql", None, body).await;
        assert_eq!(codes(&anonymous), vec!["UNAUTHENTICATED"]);
        assert_eq!(kept(), 2);

        // one more request in the period: the kept answer is no longer current
        app.load(NEW_REQUEST).await;
        let fresh = app.data(q, v.clone()).await;
        assert_eq!(kept(), 2);
        assert_eq!(fresh["globalStatistics"]["requests"]["total"], 12);
        assert_eq!(fresh["globalStatistics"]["meta"]["cacheHit"], false);

        // dropped entries by hand: not served again
        app.data(q, v.clone()).await;
        app.data(q, v.clone()).await;
        assert_eq!(kept(), 3);
        app.data(
            "mutation { invalidateStatisticsCache(prefix: \"users\") }",
            json!({}),
        )
        .await;
        app.data(q, v.clone()).await;
        assert_eq!(kept(), 3);

        // an operation with a top-level field outside the engine is never kept
        let mixed = "query($f: StatsFilter) { globalStatistics(filter: $f) { requests { total } } realTimeStats { openRequests } }";
        for _ in 0..3 {
            app.data(mixed, v.clone()).await;
        }
        assert_eq!(kept(), 3);
        // a non-default top list is an entry: once cached, its answer is kept too
        let nested = "query($f: StatsFilter) { globalStatistics(filter: $f) { technicians { topTechnicians(limit: 2) { technicianId } } } }";
        for _ in 0..3 {
            app.data(nested, v.clone()).await;
        }
        assert_eq!(kept(), 4);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn the_shared_cache_stays_within_its_bound_over_ten_thousand_instants() {
    const BOUND: u64 = 256 * 1024;
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let mut s = settings(chrono::Duration::hours(1));
        s.l2_max_bytes = BOUND;
        // a small L1, so most answers come from the table or a computation
        s.l1_max_bytes = 64 * 1024;
        let stats = StatsEngine::new(app.db.clone(), s);
        // users exist from their created_at: 01-01, 01-10, 01-15, 02-01, 03-01, 05-20, 06-15
        // 12:00, 06-20 (users 1, 5, 6, 2, 7, 3, 4, 8)
        let created: [&str; 8] = [
            "2026-01-01T00:00:00Z",
            "2026-01-10T00:00:00Z",
            "2026-01-15T00:00:00Z",
            "2026-02-01T00:00:00Z",
            "2026-03-01T00:00:00Z",
            "2026-05-20T00:00:00Z",
            "2026-06-15T12:00:00Z",
            "2026-06-20T00:00:00Z",
        ];
        let created: Vec<chrono::DateTime<chrono::Utc>> =
            created.iter().map(|t| t.parse().unwrap()).collect();
        let start: chrono::DateTime<chrono::Utc> = "2025-12-25T00:00:00Z".parse().unwrap();
        let asked = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut tasks = Vec::new();
        for worker in 0..8u32 {
            let (stats, created, asked) = (stats.clone(), created.clone(), asked.clone());
            tasks.push(tokio::spawn(async move {
                for i in (worker..10_000).step_by(8) {
                    // 10,000 distinct instants, 17 minutes apart, across the data
                    let as_of = start + chrono::Duration::minutes(17 * i64::from(i));
                    let window = Window::from_input(
                        WindowInput {
                            as_of: Some(as_of),
                            ..Default::default()
                        },
                        chrono::Utc::now(),
                        chrono_tz::UTC,
                    )
                    .unwrap();
                    let users = Statistics::fetch(stats.clone(), window, [], None)
                        .await
                        .unwrap()
                        .users()
                        .await
                        .unwrap();
                    let expected = created.iter().filter(|c| **c < as_of).count() as i64;
                    assert_eq!(users.total, expected, "at {as_of}");
                    asked.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(asked.load(Ordering::Relaxed), 10_000);
        assert_eq!(computations(&stats), 10_000);
        let bytes = stats.shared_bytes().await.unwrap() as u64;
        assert!(
            bytes <= BOUND,
            "{bytes} bytes in the shared cache, bound {BOUND}"
        );
        // the table holds entries (it was used), and far fewer than were written
        use sea_orm::{ConnectionTrait, Statement};
        let rows = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM statistics_cache",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert!(rows > 100 && rows < 5_000, "{rows} rows");
        // the most recent instants are still served from the table, and right
        let last = start + chrono::Duration::minutes(17 * 9_999);
        let window = Window::from_input(
            WindowInput {
                as_of: Some(last),
                ..Default::default()
            },
            chrono::Utc::now(),
            chrono_tz::UTC,
        )
        .unwrap();
        let fresh = StatsEngine::new(app.db.clone(), settings(chrono::Duration::hours(1)));
        let served = fresh.get(Group::Users, &window).await.unwrap();
        assert!(served.cache_hit, "the latest entry was evicted first");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn previous_reads_the_window_before_through_the_engine_and_repeats_hit_the_cache() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        // [1 April, 1 June) is 61 days: the previous window is [30 January, 1 April), read as
        // of AS_OF shifted back by as much (15 April, 12:00). Created in [1 April, 1 June): R10 (exactly at its start) and R2, both
        // completed by AS_OF. Created in [30 January, 1 April): R12 (cancelled 2 February)
        // and R1 (completed 2 March); R10 starts exactly at its end and is outside.
        let q = "query($f: StatsFilter) { globalStatistics(filter: $f) { \
                 requests { total completed cancelled } meta { asOf from to cacheHit } \
                 previous { requests { total completed cancelled } meta { asOf from to cacheHit } } } }";
        let v = json!({ "f": { "asOf": AS_OF, "from": "2026-04-01T00:00:00Z", "to": "2026-06-01T00:00:00Z" } });
        let first = app.data(q, v.clone()).await["globalStatistics"].clone();
        assert_eq!(
            first["requests"],
            json!({ "total": 2, "completed": 2, "cancelled": 0 })
        );
        let previous = &first["previous"];
        assert_eq!(
            previous["requests"],
            json!({ "total": 2, "completed": 1, "cancelled": 1 })
        );
        assert_eq!(previous["meta"]["asOf"], "2026-04-15T12:00:00+00:00");
        assert_eq!(previous["meta"]["from"], "2026-01-30T00:00:00+00:00");
        assert_eq!(previous["meta"]["to"], "2026-04-01T00:00:00+00:00");
        assert_eq!(previous["meta"]["cacheHit"], false);
        // one request serves both; a repeat computes neither
        let computed = computations(&app.state.engine);
        let second = app.data(q, v).await["globalStatistics"].clone();
        assert_eq!(computations(&app.state.engine), computed);
        assert_eq!(second["meta"]["cacheHit"], true);
        assert_eq!(second["previous"]["meta"]["cacheHit"], true);
        assert_eq!(second["previous"]["requests"], previous["requests"]);

        // ALL: all time as of 30 days before, 16 May 12:00: users 1, 2, 5, 6, 7 existed (3
        // came on 20 May) and requests R12, R1 and R10 had been created
        let q = "query($f: StatsFilter) { globalStatistics(filter: $f) { overview { totalUsers totalRequests } \
                 previous { overview { totalUsers totalRequests } meta { asOf from } } } }";
        let all = app.data(q, json!({ "f": { "asOf": AS_OF } })).await["globalStatistics"].clone();
        assert_eq!(
            all["overview"],
            json!({ "totalUsers": 6, "totalRequests": 11 })
        );
        assert_eq!(
            all["previous"]["overview"],
            json!({ "totalUsers": 5, "totalRequests": 3 })
        );
        assert_eq!(all["previous"]["meta"]["asOf"], "2026-05-16T12:00:00+00:00");
        assert_eq!(all["previous"]["meta"]["from"], Value::Null);
        app.cleanup().await;
    }
}
