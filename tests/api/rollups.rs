//! Incremental rollups (PostgreSQL): hand-worked figures served from rollup cells, from the
//! log entries not yet folded and from both; a request moved to another city moves its
//! payments; a past `asOf` with later changes, a TRUNCATE and rows written around the
//! capture go to the raw path (and the keeper rebuilds); the audit finds no difference
//! after random writes in three zones. SQLite always reads its rows.

use crate::helpers::{Engine, TestApp, approx, engines, postgres};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};
use teliman_stats::rollups::{apply, audit};

const STATS: &str = "query($f: StatsFilter) { globalStatistics(filter: $f) { \
  overview { totalUsers activeUsers30d newUsers30d totalRequests totalRevenue avgRating } \
  requests { total pending inProgress completed cancelled urgent successRate avgResponseTimeHours avgCompletionTimeHours \
    byCity { key total completed successRate } bySpecialty { key total completed } } \
  financial { totalRevenue technicianPayouts platformFees avgRequestValue paymentSuccessRate refundedAmount \
    paymentMethods { method count total } } \
  satisfaction { totalReviews avgRating satisfactionRate recommendationRate ratingDistribution { rating count } } \
  security { totalLogins failedLogins loginSuccessRate } \
  trends { daily { requests completed revenue newUsers } weekly { requests } monthly { requests } } \
  technicians { total verified available avgRating \
    topTechnicians(minReviews: 1) { technicianId name avgRating reviews completedRequests revenue } } \
  meta { entries { group source } } } }";

const LIVE: &str = "{ realTimeStats { last24h { newRequests completedRequests revenue failedLogins } \
  onlineUsers activeTechnicians openRequests } }";

fn at(t: DateTime<Utc>) -> String {
    format!("'{}'", t.to_rfc3339())
}

/// The hand-built rows, placed relative to `now` (whole seconds):
/// users U1 (created 100 d ago, login 1 h ago), U2 (5 d ago, never), U3 (60 d ago, login
/// 35 d ago); requests A (2 h ago, pending, Bamako plumbing), B (3 d ago, completed:
/// assigned 1 h and completed 3 h after creation, Bamako it), C (40 d ago, cancelled, Gao
/// plumbing), D (10 d ago, assigned, urgent, Gao it); payments of B (10000.50 completed by
/// wave, fee 1000.05), of D (2500.25 pending by card), of C (700.00 refunded in cash);
/// reviews of B (5, recommends, 2 d ago) and of C (2, does not, 39 d ago); logins 1 h ago
/// (two successes, one failure) and one failure 50 days ago.
fn rows(now: DateTime<Utc>) -> String {
    let ago = |d: Duration| at(now - d);
    let (h, d) = (Duration::hours, Duration::days);
    format!(
        "INSERT INTO users (id, email, full_name, role, city, is_active, created_at, updated_at, last_login) VALUES \
         (1, 'u1@example.org', 'U One', 'admin', 'Bamako', TRUE, {u1}, {u1}, {l1}), \
         (2, 'u2@example.org', 'U Two', 'client', 'Gao', TRUE, {u2}, {u2}, NULL), \
         (3, 'u3@example.org', 'U Three', 'technician', 'Gao', TRUE, {u3}, {u3}, {l3});\n\
         INSERT INTO technicians (id, user_id, specialty, city, is_verified, is_available, created_at, updated_at) VALUES \
         (1, 3, 'it', 'Gao', TRUE, TRUE, {u3}, {u3});\n\
         INSERT INTO repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, created_at, assigned_at, completed_at, cancelled_at, updated_at) VALUES \
         (1, 2, NULL, 'plumbing', 'Bamako', 'pending', FALSE, {a}, NULL, NULL, NULL, {a}), \
         (2, 2, 1, 'it', 'Bamako', 'completed', FALSE, {b}, {b1}, {b3}, NULL, {b3}), \
         (3, 2, NULL, 'plumbing', 'Gao', 'cancelled', FALSE, {c}, NULL, NULL, {c1}, {c1}), \
         (4, 2, 1, 'it', 'Gao', 'assigned', TRUE, {dd}, {d1}, NULL, NULL, {d1});\n\
         INSERT INTO payments (id, request_id, payer_id, technician_id, amount, platform_fee, technician_payout, method, status, created_at, completed_at, updated_at) VALUES \
         (1, 2, 2, 1, 10000.50, 1000.05, 9000.45, 'wave', 'completed', {b3}, {b3}, {b3}), \
         (2, 4, 2, 1, 2500.25, 250.00, 2250.25, 'card', 'pending', {d1}, NULL, {d1}), \
         (3, 3, 2, NULL, 700.00, 70.00, 630.00, 'cash', 'refunded', {c}, NULL, {c1});\n\
         INSERT INTO reviews (id, request_id, client_id, technician_id, rating, would_recommend, created_at, updated_at) VALUES \
         (1, 2, 2, 1, 5, TRUE, {r1}, {r1}), \
         (2, 3, 2, 1, 2, FALSE, {r2}, {r2});\n\
         INSERT INTO login_events (id, user_id, email, ip_address, success, created_at, updated_at) VALUES \
         (1, 1, 'u1@example.org', '10.0.0.1', TRUE, {e1}, {e1}), \
         (2, 1, 'u1@example.org', '10.0.0.1', TRUE, {e1}, {e1}), \
         (3, NULL, 'x@example.org', '10.0.0.9', FALSE, {e1}, {e1}), \
         (4, NULL, 'x@example.org', '10.0.0.9', FALSE, {e4}, {e4})",
        u1 = ago(d(100)),
        l1 = ago(h(1)),
        u2 = ago(d(5)),
        u3 = ago(d(60)),
        l3 = ago(d(35)),
        a = ago(h(2)),
        b = ago(d(3)),
        b1 = ago(d(3) - h(1)),
        b3 = ago(d(3) - h(3)),
        c = ago(d(40)),
        c1 = ago(d(40) - h(5)),
        dd = ago(d(10)),
        d1 = ago(d(10) - h(1)),
        r1 = ago(d(2)),
        r2 = ago(d(39)),
        e1 = ago(h(1)),
        e4 = ago(d(50)),
    )
}

fn sources(stats: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = stats["meta"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["group"].as_str().unwrap().to_string(),
                e["source"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn expected_sources(engine: &Engine) -> Vec<(String, String)> {
    let rollups = matches!(engine, Engine::Postgres(_));
    let of = |g: &str, s: &str| (g.to_string(), if rollups { s } else { "RAW" }.to_string());
    vec![
        of("financial", "ROLLUPS"),
        of("requests", "ROLLUPS"),
        of("satisfaction", "ROLLUPS"),
        of("security", "ROLLUPS"),
        of("technicians", "ROLLUPS"),
        of("technicians.top(5,1)", "ROLLUPS"),
        of("trends", "ROLLUPS"),
        of("users", "ROLLUPS"),
    ]
}

/// The figures of all time and of the last 30 days, worked out from `rows` by hand.
fn assert_hand_worked(all: &Value, last30: &Value) {
    // all time: 3 users, 1 logged in within 30 days (U1), 1 created within 30 days (U2)
    assert_eq!(all["overview"]["totalUsers"], 3);
    assert_eq!(all["overview"]["activeUsers30d"], 1);
    assert_eq!(all["overview"]["newUsers30d"], 1);
    let r = &all["requests"];
    assert_eq!(
        [
            &r["total"],
            &r["pending"],
            &r["inProgress"],
            &r["completed"],
            &r["cancelled"],
            &r["urgent"]
        ],
        [4, 1, 1, 1, 1, 1]
    );
    approx(&r["successRate"], 25.0);
    // B: assigned 1 h after creation, completed 2 h after that
    approx(&r["avgResponseTimeHours"], 1.0);
    approx(&r["avgCompletionTimeHours"], 2.0);
    assert_eq!(
        r["byCity"],
        json!([
            { "key": "Bamako", "total": 2, "completed": 1, "successRate": 50.0 },
            { "key": "Gao", "total": 2, "completed": 0, "successRate": 0.0 }
        ])
    );
    // `it` 2 (B, D), `plumbing` 2 (A, C): equal totals, then the key
    assert_eq!(
        r["bySpecialty"],
        json!([
            { "key": "it", "total": 2, "completed": 1 },
            { "key": "plumbing", "total": 2, "completed": 0 }
        ])
    );
    let f = &all["financial"];
    assert_eq!(f["totalRevenue"], "10000.50");
    assert_eq!(f["technicianPayouts"], "9000.45");
    assert_eq!(f["platformFees"], "1000.05");
    assert_eq!(f["avgRequestValue"], "10000.50");
    assert_eq!(f["refundedAmount"], "700.00");
    // 1 completed of 3 payments
    approx(&f["paymentSuccessRate"], 100.0 / 3.0);
    assert_eq!(
        f["paymentMethods"],
        json!([{ "method": "wave", "count": 1, "total": "10000.50" }])
    );
    let s = &all["satisfaction"];
    assert_eq!(s["totalReviews"], 2);
    approx(&s["avgRating"], 3.5);
    approx(&s["satisfactionRate"], 50.0);
    approx(&s["recommendationRate"], 50.0);
    let sec = &all["security"];
    assert_eq!([&sec["totalLogins"], &sec["failedLogins"]], [4, 2]);
    approx(&sec["loginSuccessRate"], 50.0);
    // last 30 days: requests A, B, D; payments of B and D (1 of 2 completed); review of B;
    // the three logins of the last hour
    let r = &last30["requests"];
    assert_eq!([&r["total"], &r["completed"], &r["cancelled"]], [3, 1, 0]);
    let f = &last30["financial"];
    assert_eq!(f["totalRevenue"], "10000.50");
    assert_eq!(f["refundedAmount"], "0.00");
    approx(&f["paymentSuccessRate"], 50.0);
    assert_eq!(last30["satisfaction"]["totalReviews"], 1);
    assert_eq!(last30["security"]["totalLogins"], 3);
    assert_eq!(last30["security"]["failedLogins"], 1);
    // the last 7 local days hold A and B, B's completion and payment, and U2; 12 weeks
    // and 12 months hold every request (D 10 days, C 40 days ago)
    let sum = |points: &Value, field: &str| -> i64 {
        points
            .as_array()
            .unwrap()
            .iter()
            .map(|p| match &p[field] {
                Value::String(s) => s.replace('.', "").parse::<i64>().unwrap(),
                v => v.as_i64().unwrap(),
            })
            .sum()
    };
    // technician 1 (U Three): reviews of B (5) and C (2); B completed and paid 10000.50
    let t = &all["technicians"];
    assert_eq!([&t["total"], &t["verified"], &t["available"]], [1, 1, 1]);
    approx(&t["avgRating"], 3.5);
    assert_eq!(
        t["topTechnicians"],
        json!([{ "technicianId": "1", "name": "U Three", "avgRating": 3.5, "reviews": 2,
                 "completedRequests": 1, "revenue": "10000.50" }])
    );
    // within 30 days only B's review
    let t = &last30["technicians"];
    approx(&t["avgRating"], 5.0);
    assert_eq!(t["topTechnicians"][0]["reviews"], 1);
    assert_eq!(t["topTechnicians"][0]["completedRequests"], 1);
    let daily = &all["trends"]["daily"];
    assert_eq!(daily.as_array().unwrap().len(), 7);
    assert_eq!(sum(daily, "requests"), 2);
    assert_eq!(sum(daily, "completed"), 1);
    assert_eq!(sum(daily, "revenue"), 1_000_050);
    assert_eq!(sum(daily, "newUsers"), 1);
    assert_eq!(sum(&all["trends"]["weekly"], "requests"), 4);
    assert_eq!(sum(&all["trends"]["monthly"], "requests"), 4);
}

/// The real-time figures of `rows`: A created within 24 hours, no completion or payment
/// within them, one failed login, U1 online, one verified and available technician, A and
/// D open.
fn assert_live(live: &Value) {
    let l = &live["realTimeStats"];
    assert_eq!(
        l["last24h"],
        json!({ "newRequests": 1, "completedRequests": 0, "revenue": "0.00", "failedLogins": 1 })
    );
    assert_eq!(l["onlineUsers"], 1);
    assert_eq!(l["activeTechnicians"], 1);
    assert_eq!(l["openRequests"], 2);
}

async fn stats(app: &TestApp, filter: Value) -> Value {
    app.data(STATS, json!({ "f": filter })).await["globalStatistics"].clone()
}

#[tokio::test]
async fn hand_worked_figures_come_from_the_log_then_from_folded_cells() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        let now = Utc::now().trunc_subsecs(0);
        app.load(&rows(now)).await;
        // nothing folded yet: cells are empty, every row is a log entry read as a correction
        let all = stats(&app, json!({})).await;
        let last30 = stats(&app, json!({ "period": "LAST_30D" })).await;
        assert_eq!(sources(&all), expected_sources(&engine));
        assert_hand_worked(&all, &last30);
        assert_live(&app.data(LIVE, json!({})).await);
        if let Engine::Postgres(_) = engine {
            let folded = apply::fold(&app.db, &app.state.config.rollups)
                .await
                .unwrap();
            assert_eq!(folded, apply::Step::Folded(4 + 3 + 2 + 4 + 3));
            // pruning keeps every cell the figures below need (nothing is past the
            // retention, and no folded cell is empty)
            apply::prune(&app.db, &app.state.config.rollups)
                .await
                .unwrap();
        }
        // folded: the same figures from cells (new filters, so the cache does not answer)
        let all = stats(
            &app,
            json!({ "city": null, "period": "ALL", "weekStart": "SUNDAY" }),
        )
        .await;
        let last30 = stats(&app, json!({ "period": "LAST_30D", "weekStart": "SUNDAY" })).await;
        assert_eq!(sources(&all), expected_sources(&engine));
        assert_hand_worked(&all, &last30);
        assert_live(&app.data(LIVE, json!({})).await);
        if let Engine::Postgres(_) = engine {
            // the live figures came from the rollups too
            let rollups = app.state.engine.rollups().unwrap();
            assert!(
                rollups
                    .realtime(&app.db, Utc::now())
                    .await
                    .unwrap()
                    .is_some()
            );
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_request_moved_to_another_city_takes_its_payments_and_reviews_along() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        let now = Utc::now().trunc_subsecs(0);
        app.load(&rows(now)).await;
        if let Engine::Postgres(_) = engine {
            apply::fold(&app.db, &app.state.config.rollups)
                .await
                .unwrap();
        }
        // B (completed, paid 10000.50 by wave, reviewed 5) moves from Bamako to Gao
        app.load("UPDATE repair_requests SET city = 'Gao' WHERE id = 2")
            .await;
        let gao = stats(&app, json!({ "city": "Gao" })).await;
        // Gao: B, C, D; payments of B (completed), C (refunded), D (pending); reviews B, C
        assert_eq!(gao["requests"]["total"], 3);
        assert_eq!(gao["requests"]["completed"], 1);
        assert_eq!(gao["financial"]["totalRevenue"], "10000.50");
        assert_eq!(gao["financial"]["refundedAmount"], "700.00");
        assert_eq!(gao["satisfaction"]["totalReviews"], 2);
        let bamako = stats(&app, json!({ "city": "Bamako" })).await;
        assert_eq!(bamako["requests"]["total"], 1);
        assert_eq!(bamako["financial"]["totalRevenue"], "0.00");
        assert_eq!(bamako["satisfaction"]["totalReviews"], 0);
        if let Engine::Postgres(_) = engine {
            // the same after folding the move
            apply::fold(&app.db, &app.state.config.rollups)
                .await
                .unwrap();
            let gao = stats(&app, json!({ "city": "Gao", "period": "LAST_30D" })).await;
            // last 30 days in Gao: B and D; payments of B and D; review of B
            assert_eq!(gao["requests"]["total"], 2);
            assert_eq!(gao["financial"]["totalRevenue"], "10000.50");
            approx(&gao["financial"]["paymentSuccessRate"], 50.0);
            assert_eq!(gao["satisfaction"]["totalReviews"], 1);
            assert!(
                sources(&gao)
                    .iter()
                    .any(|(g, s)| g == "financial" && s == "ROLLUPS")
            );
        }
        app.cleanup().await;
    }
}

const SUSPICIOUS: &str = "query($f: StatsFilter) { globalStatistics(filter: $f) { \
  security { suspiciousIps(limit: 3) { ipAddress failed lastSeen } } meta { entries { group source } } } }";

#[tokio::test]
async fn suspicious_addresses_come_from_their_cells_and_a_deleted_failure_is_taken_back() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        let now = Utc::now().trunc_subsecs(0);
        app.load(&rows(now)).await;
        // 10.0.0.7 fails 4 times in the last hour and twice 10 days ago; 10.0.0.9 (rows)
        // fails 1 hour and 50 days ago
        let times = [
            now - Duration::minutes(50),
            now - Duration::minutes(40),
            now - Duration::minutes(30),
            now - Duration::minutes(20),
            now - Duration::days(10),
            now - Duration::days(10) + Duration::minutes(1),
        ];
        let values: Vec<String> = times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                format!(
                    "({}, NULL, 'y@example.org', '10.0.0.7', FALSE, {}, {})",
                    20 + i,
                    at(*t),
                    at(*t)
                )
            })
            .collect();
        app.load(&format!(
            "INSERT INTO login_events (id, user_id, email, ip_address, success, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .await;
        let pg = matches!(engine, Engine::Postgres(_));
        if pg {
            apply::fold(&app.db, &app.state.config.rollups)
                .await
                .unwrap();
        }
        let list = |v: &Value| v["globalStatistics"]["security"]["suspiciousIps"].clone();
        let source = |v: &Value| {
            sources(&v["globalStatistics"])
                .into_iter()
                .find(|(g, _)| g.starts_with("security"))
                .unwrap()
                .1
        };
        let all = app.data(SUSPICIOUS, json!({ "f": {} })).await;
        assert_eq!(list(&all).as_array().unwrap().len(), 1);
        assert_eq!(list(&all)[0]["ipAddress"], "10.0.0.7");
        assert_eq!(list(&all)[0]["failed"], 6);
        crate::metrics::assert_instant(&list(&all)[0]["lastSeen"], &times[3].to_rfc3339());
        assert_eq!(source(&all), if pg { "ROLLUPS" } else { "RAW" });
        // within 30 days: the same 6; within 7 days: 4, below the 5 a listing needs
        let d30 = app
            .data(SUSPICIOUS, json!({ "f": { "period": "LAST_30D" } }))
            .await;
        assert_eq!(list(&d30)[0]["failed"], 6);
        assert_eq!(source(&d30), if pg { "ROLLUPS" } else { "RAW" });
        let d7 = app
            .data(SUSPICIOUS, json!({ "f": { "period": "LAST_7D" } }))
            .await;
        assert_eq!(list(&d7), json!([]));
        // the latest failure is deleted: 5 left, the latest now 30 minutes ago; while the
        // deletion waits in the log the rows answer, then the cells again
        app.load("DELETE FROM login_events WHERE id = 23").await;
        for round in 0..2 {
            if pg && round == 1 {
                apply::fold(&app.db, &app.state.config.rollups)
                    .await
                    .unwrap();
            }
            let f = json!({ "f": { "weekStart": if round == 0 { "SUNDAY" } else { "SATURDAY" } } });
            let all = app.data(SUSPICIOUS, f).await;
            assert_eq!(list(&all)[0]["failed"], 5);
            crate::metrics::assert_instant(&list(&all)[0]["lastSeen"], &times[2].to_rfc3339());
            // (the list alone is the entry `security.suspicious(3)`)
            let expected = if pg && round == 1 { "ROLLUPS" } else { "RAW" };
            assert_eq!(source(&all), expected);
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_past_as_of_with_later_changes_is_read_from_the_rows() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        let now = Utc::now().trunc_subsecs(0);
        app.load(&rows(now)).await;
        if let Engine::Postgres(_) = engine {
            apply::fold(&app.db, &app.state.config.rollups)
                .await
                .unwrap();
        }
        // 4 days ago: only C (cancelled 40 days ago) and D (assigned 10 days ago) exist; B
        // comes later. The rollups hold states at "now": the rows answer
        let past = (now - Duration::days(4)).to_rfc3339();
        let s = stats(&app, json!({ "asOf": past })).await;
        assert_eq!(s["requests"]["total"], 2);
        assert_eq!(s["requests"]["inProgress"], 1);
        assert_eq!(s["requests"]["cancelled"], 1);
        assert_eq!(s["financial"]["totalRevenue"], "0.00");
        assert!(sources(&s).iter().all(|(_, s)| s == "RAW"), "{s}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_truncate_or_rows_written_around_the_capture_send_reads_to_the_rows_until_rebuilt() {
    let app = TestApp::new(&postgres()).await;
    let now = Utc::now().trunc_subsecs(0);
    app.load(&rows(now)).await;
    let settings = app.state.config.rollups;
    apply::fold(&app.db, &settings).await.unwrap();
    assert!(apply::check(&app.db).await.unwrap());
    app.load("TRUNCATE login_events").await;
    app.state.engine.rollups().unwrap().forget_state();
    let s = stats(&app, json!({ "period": "LAST_7D" })).await;
    assert_eq!(s["security"]["totalLogins"], 0);
    assert!(sources(&s).iter().all(|(_, s)| s == "RAW"), "{s}");
    // the keeper's next step rebuilds
    assert_eq!(
        apply::step(&app.db, &settings).await.unwrap(),
        apply::Step::Rebuilt
    );
    app.state.engine.rollups().unwrap().forget_state();
    let s = stats(&app, json!({ "period": "LAST_7D", "weekStart": "SUNDAY" })).await;
    assert_eq!(s["security"]["totalLogins"], 0);
    assert_eq!(s["requests"]["total"], 2);
    assert!(sources(&s).iter().any(|(_, s)| s == "ROLLUPS"), "{s}");
    // a row written with triggers off (a replica's apply, a restore) is caught by the check
    let txn = app.db.begin().await.unwrap();
    for statement in [
        "SET LOCAL session_replication_role = replica",
        "INSERT INTO login_events (id, user_id, email, ip_address, success, created_at, updated_at) \
         VALUES (10, 1, 'u1@example.org', '10.0.0.1', TRUE, now() - interval '1 minute', now())",
    ] {
        txn.execute_unprepared(statement).await.unwrap();
    }
    txn.commit().await.unwrap();
    assert!(!apply::check(&app.db).await.unwrap());
    assert_eq!(
        apply::step(&app.db, &settings).await.unwrap(),
        apply::Step::Rebuilt
    );
    assert!(apply::check(&app.db).await.unwrap());
    app.cleanup().await;
}

/// Deterministic random writes of the kinds a platform makes.
async fn random_writes(db: &impl ConnectionTrait, seed: u64) {
    let pick = |k: u64| {
        (seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(k * 1442695040888963407))
            % 97
    };
    let statements = [
        // status changes and late completions
        format!("UPDATE repair_requests SET status = 'completed', assigned_at = COALESCE(assigned_at, created_at + interval '2 hours'), \
          completed_at = now() - interval '1 minute', updated_at = now() WHERE id % 97 = {} AND status IN ('pending', 'assigned', 'in_progress')", pick(1)),
        format!("UPDATE repair_requests SET status = 'cancelled', cancelled_at = now() - interval '30 seconds', updated_at = now() \
          WHERE id % 97 = {} AND status = 'pending'", pick(2)),
        format!("UPDATE repair_requests SET status = 'assigned', assigned_at = created_at + interval '7 minutes', updated_at = now() \
          WHERE id % 89 = {} AND status = 'pending'", pick(3) % 89),
        // moves to another city and specialty (with their payments and reviews)
        format!("UPDATE repair_requests SET city = 'Kidal', updated_at = now() WHERE id % 97 = {}", pick(4)),
        format!("UPDATE repair_requests SET specialty = 'roofing', updated_at = now() WHERE id % 97 = {}", pick(5)),
        // refunds, completed payments, deletions
        format!("UPDATE payments SET status = 'refunded', updated_at = now() WHERE id % 97 = {} AND status = 'completed'", pick(6)),
        format!("UPDATE payments SET status = 'completed', completed_at = now() - interval '5 seconds', updated_at = now() \
          WHERE id % 97 = {} AND status = 'pending'", pick(7)),
        format!("DELETE FROM reviews WHERE id % 97 = {}", pick(8)),
        format!("UPDATE reviews SET rating = 1, would_recommend = FALSE, updated_at = now() WHERE id % 97 = {}", pick(9)),
        format!("DELETE FROM login_events WHERE id % 97 = {}", pick(10)),
        format!("UPDATE users SET last_login = now() - interval '3 minutes', updated_at = now() WHERE id % 97 = {}", pick(11)),
        // new rows just now
        "INSERT INTO repair_requests (client_id, specialty, city, status, is_urgent, created_at, updated_at) \
          SELECT client_id, specialty, city, 'pending', TRUE, now() - interval '2 minutes', now() FROM repair_requests ORDER BY id LIMIT 7".to_string(),
        "INSERT INTO login_events (user_id, email, ip_address, success, created_at, updated_at) \
          SELECT user_id, email, '10.9.9.9', FALSE, now() - interval '1 minute', now() FROM login_events ORDER BY id LIMIT 9".to_string(),
    ];
    for statement in statements {
        db.execute_unprepared(&statement)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

#[tokio::test]
async fn the_audit_finds_no_difference_after_random_writes_in_three_zones() {
    for zone in [
        chrono_tz::UTC,
        chrono_tz::America::New_York,
        chrono_tz::Asia::Kathmandu,
    ] {
        let app = TestApp::with_zone(&postgres(), zone).await;
        let settings = app.state.config.rollups;
        let opts = teliman_stats::seed::SeedOptions {
            users: 300,
            requests: 3000,
            logins: None,
            days: 400,
            seed: 7,
            now: Utc::now() - Duration::seconds(5),
            vacuum: false,
        };
        teliman_stats::seed::run(&app.db, &opts).await.unwrap();
        assert_eq!(
            apply::step(&app.db, &settings).await.unwrap(),
            apply::Step::Rebuilt
        );
        let (city, specialty) = audit::some_slice(&app.db).await.unwrap();
        for round in 0..2u64 {
            random_writes(&app.db, round + 1).await;
            // first with every write still in the logs, then folded
            for fold in [false, true] {
                if fold {
                    apply::fold(&app.db, &settings).await.unwrap();
                }
                let windows = audit::windows(
                    Utc::now(),
                    zone,
                    chrono_tz::America::New_York,
                    &city,
                    &specialty,
                );
                let report = audit::audit(&app.db, settings, &windows).await.unwrap();
                assert!(
                    report.differences.is_empty(),
                    "{zone}, round {round}, folded {fold}: {:#?}",
                    &report.differences[..report.differences.len().min(10)]
                );
                assert!(report.compared >= windows.len() * 5, "{report:?}");
                assert!(report.figures > 1000, "{report:?}");
            }
        }
        assert!(apply::check(&app.db).await.unwrap());
        app.cleanup().await;
    }
}
