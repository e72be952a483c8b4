//! Every metric of METRICS.md on the hand-built data set (fixture.rs), on each engine.
//! Expected values are worked out by hand in the comments from the rows' states at AS_OF.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{Engine, TestApp, approx, engines};
use serde_json::{Value, json};

pub const GLOBAL: &str = r#"query($f: StatsFilter) { globalStatistics(filter: $f) {
 overview { totalUsers activeUsers30d newUsers30d totalRequests totalRevenue avgRating }
 requests { total pending inProgress completed cancelled urgent successRate avgResponseTimeHours avgCompletionTimeHours
            bySpecialty { key total completed successRate } byCity { key total completed successRate } }
 financial { totalRevenue technicianPayouts platformFees avgRequestValue paymentMethods { method count total } paymentSuccessRate refundedAmount }
 satisfaction { totalReviews avgRating satisfactionRate recommendationRate ratingDistribution { rating count } }
 technicians { total verified available avgRating
               topTechnicians { technicianId name specialty city avgRating reviews completedRequests revenue }
               anyTop: topTechnicians(minReviews: 1) { technicianId avgRating reviews completedRequests revenue } }
 security { totalLogins failedLogins loginSuccessRate securityAlerts suspiciousIps { ipAddress failed lastSeen } }
 advanced { conversionRate retentionRate churnRate }
 trends { daily { bucketStart requests completed revenue newUsers } weekly { bucketStart requests completed revenue newUsers }
          monthly { bucketStart requests completed revenue newUsers } }
 meta { asOf from to cacheHit stale } } }"#;

async fn fixture(engine: &Engine) -> TestApp {
    let app = TestApp::new(engine).await;
    app.load(ROWS).await;
    app
}

async fn global(app: &TestApp, filter: Value) -> Value {
    app.data(GLOBAL, json!({ "f": filter })).await["globalStatistics"].clone()
}

fn breakdown(list: &Value) -> Vec<(String, i64, i64)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["key"].as_str().unwrap().to_string(),
                b["total"].as_i64().unwrap(),
                b["completed"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn s(v: &str) -> String {
    v.to_string()
}

#[tokio::test]
async fn all_time_at_as_of() {
    for engine in engines() {
        let app = fixture(&engine).await;
        let g = global(&app, json!({ "asOf": AS_OF, "period": "ALL" })).await;

        // users existing: 1,2,3,5,6,7 = 6; active: 1,2,3 = 3; new in the last 30 days: 3 = 1
        let o = &g["overview"];
        assert_eq!(o["totalUsers"], 6);
        assert_eq!(o["activeUsers30d"], 3);
        assert_eq!(o["newUsers30d"], 1);
        assert_eq!(o["totalRequests"], 11);
        assert_eq!(o["totalRevenue"], "1000000012.94");
        approx(&o["avgRating"], 23.0 / 6.0);

        // R1..R8, R10..R12 = 11; pending R5 R8; in progress R3 R6 R7; completed R1 R2 R10 R11;
        // cancelled R4 R12; urgent R1 R5
        let r = &g["requests"];
        assert_eq!(
            (
                r["total"].as_i64(),
                r["pending"].as_i64(),
                r["inProgress"].as_i64()
            ),
            (Some(11), Some(2), Some(3))
        );
        assert_eq!(
            (
                r["completed"].as_i64(),
                r["cancelled"].as_i64(),
                r["urgent"].as_i64()
            ),
            (Some(4), Some(2), Some(2))
        );
        approx(&r["successRate"], 4.0 / 11.0 * 100.0);
        // completed with both times: R1 (2 h, 24 h), R2 (4 h, 12 h), R11 (0.5 h, 2 h)
        approx(&r["avgResponseTimeHours"], 6.5 / 3.0);
        approx(&r["avgCompletionTimeHours"], 38.0 / 3.0);
        // plumbing R1 R2 R6 R7 R8 R11 (3 completed), electrical R3 R4 R10 (1),
        // then carpentry and it with 1 each, by key
        assert_eq!(
            breakdown(&r["bySpecialty"]),
            vec![
                (s("plumbing"), 6, 3),
                (s("electrical"), 3, 1),
                (s("carpentry"), 1, 0),
                (s("it"), 1, 0)
            ]
        );
        approx(&r["bySpecialty"][0]["successRate"], 50.0);
        approx(&r["bySpecialty"][1]["successRate"], 100.0 / 3.0);
        approx(&r["bySpecialty"][2]["successRate"], 0.0);
        // Bamako R1 R2 R5 R8 R11 (3 completed); Sikasso R6 R7 R12 and Ségou R3 R4 R10 tie at 3:
        // code-point order puts "Sikasso" (i = U+0069) before "Ségou" (é = U+00E9)
        assert_eq!(
            breakdown(&r["byCity"]),
            vec![
                (s("Bamako"), 5, 3),
                (s("Sikasso"), 3, 0),
                (s("Ségou"), 3, 1)
            ]
        );
        approx(&r["byCity"][0]["successRate"], 60.0);

        // completed payments P1 P2 P3 P8 P9 (P4 pending at AS_OF, P7 does not exist)
        // 0.10 + 0.20 + 1000000000.00 + 0.30 + 12.34 = 1000000012.94, exact
        let f = &g["financial"];
        assert_eq!(f["totalRevenue"], "1000000012.94");
        // fees 0.01 + 0.02 + 100000000.00 + 0.03 + 1.23
        assert_eq!(f["platformFees"], "100000001.29");
        // payouts 0.09 + 0.18 + 900000000.00 + 0.27 + 11.11
        assert_eq!(f["technicianPayouts"], "900000011.65");
        // 1000000012.94 / 5 = 200000002.588 -> 200000002.59
        assert_eq!(f["avgRequestValue"], "200000002.59");
        // 5 completed of P1..P6, P8, P9 = 8 payments
        approx(&f["paymentSuccessRate"], 62.5);
        assert_eq!(f["refundedAmount"], "5000.55");
        assert_eq!(
            f["paymentMethods"],
            json!([
                { "method": "wave", "count": 2, "total": "1000000000.30" },
                { "method": "moov_money", "count": 1, "total": "12.34" },
                { "method": "orange_money", "count": 2, "total": "0.30" }
            ])
        );

        // reviews V1 5, V2 4, V3 2, V4 3, V6 5, V7 4: sum 23 over 6; >= 4: 4; recommend V1 V2 V6
        let sa = &g["satisfaction"];
        assert_eq!(sa["totalReviews"], 6);
        approx(&sa["avgRating"], 23.0 / 6.0);
        approx(&sa["satisfactionRate"], 4.0 / 6.0 * 100.0);
        approx(&sa["recommendationRate"], 50.0);
        assert_eq!(
            sa["ratingDistribution"],
            json!([{"rating":1,"count":0},{"rating":2,"count":1},{"rating":3,"count":1},{"rating":4,"count":2},{"rating":5,"count":2}])
        );

        // T1..T3; verified T1 T2; available T1 T3; mean of means (4.0 + 2.0 + 4.5) / 3
        let t = &g["technicians"];
        assert_eq!(
            (
                t["total"].as_i64(),
                t["verified"].as_i64(),
                t["available"].as_i64()
            ),
            (Some(3), Some(2), Some(2))
        );
        approx(&t["avgRating"], 3.5);
        // only T1 has 3 reviews: completed R1 R2 R11; revenue P1 + P2 + P9 = 12.64
        assert_eq!(
            t["topTechnicians"],
            json!([{ "technicianId": "1", "name": "Awa Traoré", "specialty": "plumbing", "city": "Bamako",
                     "avgRating": 4.0, "reviews": 3, "completedRequests": 3, "revenue": "12.64" }])
        );
        // with one review: T3 4.5 (no completed request), T1 4.0, T2 2.0 (R10; P3 + P8)
        assert_eq!(
            t["anyTop"],
            json!([
                { "technicianId": "3", "avgRating": 4.5, "reviews": 2, "completedRequests": 0, "revenue": "0.00" },
                { "technicianId": "1", "avgRating": 4.0, "reviews": 3, "completedRequests": 3, "revenue": "12.64" },
                { "technicianId": "2", "avgRating": 2.0, "reviews": 1, "completedRequests": 1, "revenue": "1000000000.30" }
            ])
        );

        // events 1..16 and 18..25 = 24; failures 20; 4 successes; alerts 1 and 2
        let se = &g["security"];
        assert_eq!(
            (se["totalLogins"].as_i64(), se["failedLogins"].as_i64()),
            (Some(24), Some(20))
        );
        approx(&se["loginSuccessRate"], 4.0 / 24.0 * 100.0);
        assert_eq!(se["securityAlerts"], 2);
        // 10.0.0.7 has 6 failures; 10.0.0.5 and 9.9.9.9 have 5 (text order); 10.0.0.8 only 4
        let ips: Vec<(&str, i64)> = se["suspiciousIps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["ipAddress"].as_str().unwrap(),
                    i["failed"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(ips, vec![("10.0.0.7", 6), ("10.0.0.5", 5), ("9.9.9.9", 5)]);
        assert_instant(&se["suspiciousIps"][0]["lastSeen"], "2026-06-01T04:00:00Z");
        assert_instant(&se["suspiciousIps"][2]["lastSeen"], "2026-06-14T04:00:00Z");

        // conversion 4 / 11; retention 3 / 6; churn 100 - 50
        let a = &g["advanced"];
        approx(&a["conversionRate"], 4.0 / 11.0 * 100.0);
        approx(&a["retentionRate"], 50.0);
        approx(&a["churnRate"], 50.0);

        assert_instant(&g["meta"]["asOf"], AS_OF);
        assert_eq!(g["meta"]["from"], Value::Null);
        assert_instant(&g["meta"]["to"], AS_OF);
        app.cleanup().await;
    }
}

#[track_caller]
pub fn assert_instant(got: &Value, expected: &str) {
    let g = chrono::DateTime::parse_from_rfc3339(
        got.as_str()
            .unwrap_or_else(|| panic!("not a string: {got}")),
    )
    .unwrap();
    let e = chrono::DateTime::parse_from_rfc3339(expected).unwrap();
    assert_eq!(g, e, "expected {expected}, got {got}");
}

#[tokio::test]
async fn last_30_days() {
    for engine in engines() {
        let app = fixture(&engine).await;
        // the period is [2026-05-16T12:00, AS_OF)
        let g = global(&app, json!({ "asOf": AS_OF, "period": "LAST_30D" })).await;
        // R2 R3 R4 R5 R6 R7 R8 R11: pending R5 R8, in progress R3 R6 R7, completed R2 R11, cancelled R4
        let r = &g["requests"];
        assert_eq!(
            [
                &r["total"],
                &r["pending"],
                &r["inProgress"],
                &r["completed"],
                &r["cancelled"],
                &r["urgent"]
            ],
            [
                &json!(8),
                &json!(2),
                &json!(3),
                &json!(2),
                &json!(1),
                &json!(1)
            ]
        );
        approx(&r["successRate"], 25.0);
        // R2 (4 h, 12 h), R11 (0.5 h, 2 h)
        approx(&r["avgResponseTimeHours"], 2.25);
        approx(&r["avgCompletionTimeHours"], 7.0);
        // payments P2 (completed), P4 (pending), P6 (failed), P9 (completed)
        let f = &g["financial"];
        assert_eq!(f["totalRevenue"], "12.54");
        assert_eq!(f["avgRequestValue"], "6.27");
        approx(&f["paymentSuccessRate"], 50.0);
        assert_eq!(f["refundedAmount"], "0.00");
        // reviews V2 4, V4 3, V6 5, V7 4
        approx(&g["satisfaction"]["avgRating"], 4.0);
        approx(&g["satisfaction"]["satisfactionRate"], 75.0);
        // users are not period-bound
        assert_eq!(g["overview"]["totalUsers"], 6);
        // logins 1..5, 7..16, 18..24 = 22 (25 is one second early); failures 19; alert 1
        let se = &g["security"];
        assert_eq!(
            (se["totalLogins"].as_i64(), se["failedLogins"].as_i64()),
            (Some(22), Some(19))
        );
        approx(&se["loginSuccessRate"], 3.0 / 22.0 * 100.0);
        assert_eq!(se["securityAlerts"], 1);
        let ips: Vec<&str> = se["suspiciousIps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["ipAddress"].as_str().unwrap())
            .collect();
        assert_eq!(ips, vec!["10.0.0.5", "10.0.0.7", "9.9.9.9"]);
        // T1 has V2 V4 (mean 3.5), T3 has V6 V7 (4.5): (3.5 + 4.5) / 2; nobody has 3 reviews
        approx(&g["technicians"]["avgRating"], 4.0);
        assert_eq!(g["technicians"]["topTechnicians"], json!([]));
        assert_instant(&g["meta"]["from"], "2026-05-16T12:00:00Z");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn custom_range_replaces_the_period() {
    for engine in engines() {
        let app = fixture(&engine).await;
        // [05-01, 06-12): R2 (completed), R4 (cancelled), R3 (in progress); R6 at 06-12 is out
        let g = global(
            &app,
            json!({ "asOf": AS_OF, "period": "LAST_24H", "from": "2026-05-01T00:00:00Z", "to": "2026-06-12T00:00:00Z" }),
        )
        .await;
        let r = &g["requests"];
        assert_eq!(
            [
                &r["total"],
                &r["completed"],
                &r["inProgress"],
                &r["cancelled"]
            ],
            [&json!(3), &json!(1), &json!(1), &json!(1)]
        );
        approx(&r["successRate"], 100.0 / 3.0);
        // P2 completed, P6 failed
        assert_eq!(g["financial"]["totalRevenue"], "0.20");
        approx(&g["financial"]["paymentSuccessRate"], 50.0);
        assert_instant(&g["meta"]["from"], "2026-05-01T00:00:00Z");
        assert_instant(&g["meta"]["to"], "2026-06-12T00:00:00Z");
        // a `to` after asOf is cut to asOf
        let g = global(
            &app,
            json!({ "asOf": AS_OF, "from": "2026-06-15T00:00:00Z", "to": "2026-12-01T00:00:00Z" }),
        )
        .await;
        assert_instant(&g["meta"]["to"], AS_OF);
        // R11 only (R9 is at AS_OF)
        assert_eq!(g["requests"]["total"], 1);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn as_of_in_the_past() {
    for engine in engines() {
        let app = fixture(&engine).await;
        let g = global(&app, json!({ "asOf": "2026-06-01T12:00:00Z" })).await;
        // users created before: 1,2,3,5,6,7. Logins in [05-02T12:00, 06-01T12:00): 2 (06-01 00:00),
        // 3 (05-20), 5 (05-16); user 1's login (06-15) is after asOf: null
        let o = &g["overview"];
        assert_eq!(
            [&o["totalUsers"], &o["activeUsers30d"], &o["newUsers30d"]],
            [&json!(6), &json!(3), &json!(1)]
        );
        // R1 c, R2 c, R4 (cancelled only on 06-02: pending then), R10 c, R12 x
        let r = &g["requests"];
        assert_eq!(
            [
                &r["total"],
                &r["pending"],
                &r["inProgress"],
                &r["completed"],
                &r["cancelled"]
            ],
            [&json!(5), &json!(1), &json!(0), &json!(3), &json!(1)]
        );
        // P1 P2 P3 P8 completed, P5 refunded, P6 failed
        assert_eq!(g["financial"]["totalRevenue"], "1000000000.60");
        assert_eq!(g["financial"]["avgRequestValue"], "250000000.15");
        approx(&g["financial"]["paymentSuccessRate"], 4.0 / 6.0 * 100.0);
        // T1 T2 T3 exist; reviews V1 V2 V3
        assert_eq!(g["technicians"]["total"], 3);
        assert_eq!(g["satisfaction"]["totalReviews"], 3);
        approx(&g["advanced"]["retentionRate"], 50.0);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn city_slice() {
    for engine in engines() {
        let app = fixture(&engine).await;
        let g = global(&app, json!({ "asOf": AS_OF, "city": "Bamako" })).await;
        // R1 R2 R5 R8 R11: completed R1 R2 R11, pending R5 R8, urgent R1 R5
        let r = &g["requests"];
        assert_eq!(
            [&r["total"], &r["completed"], &r["pending"], &r["urgent"]],
            [&json!(5), &json!(3), &json!(2), &json!(2)]
        );
        assert_eq!(breakdown(&r["byCity"]), vec![(s("Bamako"), 5, 3)]);
        // payments of those requests: P1 P2 P9 completed, P4 pending, P5 refunded, P6 failed
        let f = &g["financial"];
        assert_eq!(f["totalRevenue"], "12.64");
        approx(&f["paymentSuccessRate"], 50.0);
        assert_eq!(f["refundedAmount"], "5000.55");
        // reviews V1 5, V2 4, V4 3
        assert_eq!(g["satisfaction"]["totalReviews"], 3);
        approx(&g["satisfaction"]["avgRating"], 4.0);
        // technicians in Bamako at AS_OF: T1 (T4 comes later)
        assert_eq!(g["technicians"]["total"], 1);
        approx(&g["technicians"]["avgRating"], 4.0);
        // users and logins are not sliced
        assert_eq!(g["overview"]["totalUsers"], 6);
        assert_eq!(g["security"]["totalLogins"], 24);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn specialty_slice() {
    for engine in engines() {
        let app = fixture(&engine).await;
        let g = global(&app, json!({ "asOf": AS_OF, "specialty": "electrical" })).await;
        // R3 (in progress), R4 (cancelled), R10 (completed)
        let r = &g["requests"];
        assert_eq!(
            [
                &r["total"],
                &r["completed"],
                &r["inProgress"],
                &r["cancelled"]
            ],
            [&json!(3), &json!(1), &json!(1), &json!(1)]
        );
        assert_eq!(breakdown(&r["bySpecialty"]), vec![(s("electrical"), 3, 1)]);
        // P3 + P8 (P7 does not exist)
        assert_eq!(g["financial"]["totalRevenue"], "1000000000.30");
        approx(&g["financial"]["paymentSuccessRate"], 100.0);
        // V3 only
        approx(&g["satisfaction"]["avgRating"], 2.0);
        // T2: verified, not available
        let t = &g["technicians"];
        assert_eq!(
            [&t["total"], &t["verified"], &t["available"]],
            [&json!(1), &json!(1), &json!(0)]
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn slices_with_quotes_and_accents_are_values_not_sql() {
    for engine in engines() {
        let app = fixture(&engine).await;
        let g = global(&app, json!({ "asOf": AS_OF, "city": "Ségou" })).await;
        assert_eq!(g["requests"]["total"], 3);
        let g = global(
            &app,
            json!({ "asOf": AS_OF, "city": "O'Brien'); DROP TABLE users; --" }),
        )
        .await;
        assert_eq!(g["requests"]["total"], 0);
        assert_eq!(g["financial"]["totalRevenue"], "0.00");
        // nothing was dropped
        let g = global(&app, json!({ "asOf": AS_OF })).await;
        assert_eq!(g["overview"]["totalUsers"], 6);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn empty_database_gives_zeros_and_empty_lists() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        // an admin is needed to ask; it is created after asOf so the data set is empty then
        app.load(
            "INSERT INTO users (id, email, full_name, role, city, is_active, created_at, updated_at, last_login) VALUES \
             (1, 'a@example.org', 'A', 'admin', NULL, TRUE, '2026-06-20T00:00:00+00:00', '2026-06-20T00:00:00+00:00', NULL)",
        )
        .await;
        let g = global(&app, json!({ "asOf": AS_OF })).await;
        assert_eq!(
            g["overview"],
            json!({ "totalUsers": 0, "activeUsers30d": 0, "newUsers30d": 0, "totalRequests": 0, "totalRevenue": "0.00", "avgRating": 0.0 })
        );
        let r = &g["requests"];
        assert_eq!(
            [&r["total"], &r["successRate"], &r["avgResponseTimeHours"]],
            [&json!(0), &json!(0.0), &json!(0.0)]
        );
        assert_eq!([&r["bySpecialty"], &r["byCity"]], [&json!([]), &json!([])]);
        assert_eq!(
            g["financial"],
            json!({ "totalRevenue": "0.00", "technicianPayouts": "0.00", "platformFees": "0.00", "avgRequestValue": "0.00",
                    "paymentMethods": [], "paymentSuccessRate": 0.0, "refundedAmount": "0.00" })
        );
        assert_eq!(
            g["satisfaction"]["ratingDistribution"],
            json!([{"rating":1,"count":0},{"rating":2,"count":0},{"rating":3,"count":0},{"rating":4,"count":0},{"rating":5,"count":0}])
        );
        assert_eq!(
            [
                &g["satisfaction"]["satisfactionRate"],
                &g["satisfaction"]["recommendationRate"]
            ],
            [&json!(0.0), &json!(0.0)]
        );
        assert_eq!(g["technicians"]["topTechnicians"], json!([]));
        assert_eq!(g["technicians"]["avgRating"], 0.0);
        assert_eq!(g["security"]["suspiciousIps"], json!([]));
        assert_eq!(g["security"]["loginSuccessRate"], 0.0);
        assert_eq!(
            g["advanced"],
            json!({ "conversionRate": 0.0, "retentionRate": 0.0, "churnRate": 0.0 })
        );
        let daily = g["trends"]["daily"].as_array().unwrap();
        assert_eq!(daily.len(), 7);
        assert!(
            daily
                .iter()
                .all(|p| p["requests"] == 0 && p["revenue"] == "0.00" && p["newUsers"] == 0)
        );
        assert_eq!(g["trends"]["weekly"].as_array().unwrap().len(), 12);
        assert_eq!(g["trends"]["monthly"].as_array().unwrap().len(), 12);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn money_sums_are_exact_to_the_cent() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        // ten payments of 0.10, one of 0.20, and three of 9999999999999.99 (the largest
        // DECIMAL(15,2)): floats give 0.30000000000000004-style errors on such sums
        let mut script = String::from(
            "INSERT INTO users (id, email, full_name, role, city, is_active, created_at, updated_at, last_login) VALUES \
             (1, 'a@example.org', 'A', 'admin', NULL, TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL);\n\
             INSERT INTO repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, estimated_price, created_at, assigned_at, started_at, completed_at, cancelled_at, updated_at) VALUES \
             (1, 1, NULL, 'it', 'Gao', 'completed', FALSE, NULL, '2026-01-02T00:00:00+00:00', NULL, NULL, NULL, NULL, '2026-01-02T00:00:00+00:00');\n",
        );
        let mut id = 0;
        let mut payment = |amount: &str, fee: &str, payout: &str, method: &str| {
            id += 1;
            format!(
                "INSERT INTO payments (id, request_id, payer_id, technician_id, amount, platform_fee, technician_payout, method, status, created_at, completed_at, updated_at) VALUES \
                 ({id}, 1, 1, NULL, {amount}, {fee}, {payout}, '{method}', 'completed', '2026-01-03T00:00:00+00:00', NULL, '2026-01-03T00:00:00+00:00');\n"
            )
        };
        for _ in 0..10 {
            script.push_str(&payment("0.10", "0.01", "0.09", "wave"));
        }
        script.push_str(&payment("0.20", "0.03", "0.17", "card"));
        for _ in 0..3 {
            script.push_str(&payment(
                "9999999999999.99",
                "999999999999.99",
                "9000000000000.00",
                "bank_transfer",
            ));
        }
        app.load(&script).await;
        let f = &global(&app, json!({ "asOf": AS_OF })).await["financial"];
        // 10 * 0.10 + 0.20 + 3 * 9999999999999.99 = 1.20 + 29999999999999.97
        assert_eq!(f["totalRevenue"], "30000000000001.17");
        // 10 * 0.01 + 0.03 + 3 * 999999999999.99 = 0.13 + 2999999999999.97
        assert_eq!(f["platformFees"], "3000000000000.10");
        assert_eq!(f["technicianPayouts"], "27000000000001.07");
        // 30000000000001.17 / 14 = 2142857142857.226428... -> 2142857142857.23
        assert_eq!(f["avgRequestValue"], "2142857142857.23");
        assert_eq!(
            f["paymentMethods"],
            json!([
                { "method": "bank_transfer", "count": 3, "total": "29999999999999.97" },
                { "method": "wave", "count": 10, "total": "1.00" },
                { "method": "card", "count": 1, "total": "0.20" }
            ])
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn group_queries_agree_with_global_statistics() {
    for engine in engines() {
        let app = fixture(&engine).await;
        // each group query asks the same fields as globalStatistics, under the same filter;
        // a custom range and a slice, so nothing is a default
        let fields = [
            (
                "overview",
                "{ totalUsers activeUsers30d newUsers30d totalRequests totalRevenue avgRating }",
            ),
            (
                "requests",
                "{ total pending inProgress completed cancelled urgent successRate avgResponseTimeHours avgCompletionTimeHours bySpecialty { key total completed successRate } byCity { key total } }",
            ),
            (
                "financial",
                "{ totalRevenue technicianPayouts platformFees avgRequestValue paymentMethods { method count total } paymentSuccessRate refundedAmount }",
            ),
            (
                "satisfaction",
                "{ totalReviews avgRating satisfactionRate recommendationRate ratingDistribution { rating count } }",
            ),
            (
                "technicians",
                "{ total verified available avgRating topTechnicians(limit: 2, minReviews: 1) { technicianId avgRating reviews completedRequests revenue } }",
            ),
            (
                "security",
                "{ totalLogins failedLogins loginSuccessRate securityAlerts suspiciousIps(limit: 1) { ipAddress failed lastSeen } }",
            ),
            ("advanced", "{ conversionRate retentionRate churnRate }"),
        ];
        for filter in [
            json!({ "asOf": AS_OF }),
            json!({ "asOf": AS_OF, "from": "2026-05-01T00:00:00Z", "specialty": "plumbing" }),
        ] {
            let inner: String = fields.iter().map(|(n, f)| format!("{n} {f} ")).collect();
            let global = app
                .data(
                    &format!(
                        "query($f: StatsFilter) {{ globalStatistics(filter: $f) {{ {inner} }} }}"
                    ),
                    json!({ "f": filter }),
                )
                .await;
            let outer: String = fields
                .iter()
                .map(|(n, f)| format!("{n}(filter: $f) {f} "))
                .collect();
            let groups = app
                .data(
                    &format!("query($f: StatsFilter) {{ {outer} }}"),
                    json!({ "f": filter }),
                )
                .await;
            for (name, _) in fields {
                assert_eq!(
                    groups[name], global["globalStatistics"][name],
                    "{name} under {filter}"
                );
            }
            // and they are the figures worked out by hand in the other tests
            if filter.get("from").is_none() {
                assert_eq!(groups["overview"]["totalUsers"], 6);
                assert_eq!(groups["overview"]["totalRevenue"], "1000000012.94");
                assert_eq!(groups["requests"]["total"], 11);
                assert_eq!(groups["satisfaction"]["totalReviews"], 6);
                assert_eq!(groups["security"]["failedLogins"], 20);
                assert_eq!(
                    groups["security"]["suspiciousIps"][0]["ipAddress"],
                    "10.0.0.7"
                );
                approx(&groups["advanced"]["retentionRate"], 50.0);
            } else {
                // plumbing requests created from 05-01: R2, R6, R7, R8, R11
                assert_eq!(groups["requests"]["total"], 5);
            }
        }
        app.cleanup().await;
    }
}

#[tokio::test]
async fn real_time_stats_at_an_instant() {
    for engine in engines() {
        let app = fixture(&engine).await;
        // window [06-14T12:00, AS_OF)
        let d = app
            .data(
                "query($a: DateTime) { realTimeStats(asOf: $a) { asOf onlineUsers activeTechnicians openRequests \
                 last24h { newRequests completedRequests revenue failedLogins } } }",
                json!({ "a": AS_OF }),
            )
            .await;
        let rt = &d["realTimeStats"];
        // created: R11; completed in the window: R11; completed payments created: P9 (P4 pending)
        // failures: events 18..21; logins: user 1; verified and available: T1;
        // open: R3 R5 R6 R7 R8
        assert_eq!(
            rt["last24h"],
            json!({ "newRequests": 1, "completedRequests": 1, "revenue": "12.34", "failedLogins": 4 })
        );
        assert_eq!(
            [
                &rt["onlineUsers"],
                &rt["activeTechnicians"],
                &rt["openRequests"]
            ],
            [&json!(1), &json!(1), &json!(5)]
        );
        assert_instant(&rt["asOf"], AS_OF);
        app.cleanup().await;
    }
}

/// Five technicians with one review each: T1, T2, T3 and T5 rated 5, T4 rated 4; completed
/// requests T1 1, T2 3, T3 2, T4 4, T5 2.
const TIES: &str = "INSERT INTO users (id, email, full_name, role, city, is_active, created_at, updated_at, last_login) VALUES
(1, 'admin@example.org', 'Ada Admin', 'admin', 'Bamako', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL),
(2, 'client@example.org', 'Cy Client', 'client', 'Bamako', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL),
(11, 't1@example.org', 'Tech One', 'technician', 'Bamako', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL),
(12, 't2@example.org', 'Tech Two', 'technician', 'Bamako', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL),
(13, 't3@example.org', 'Tech Three', 'technician', 'Bamako', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL),
(14, 't4@example.org', 'Tech Four', 'technician', 'Bamako', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL),
(15, 't5@example.org', 'Tech Five', 'technician', 'Bamako', TRUE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', NULL);
INSERT INTO technicians (id, user_id, specialty, city, is_verified, is_available, hourly_rate, created_at, updated_at) VALUES
(1, 11, 'plumbing', 'Bamako', TRUE, TRUE, NULL, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
(2, 12, 'plumbing', 'Bamako', TRUE, TRUE, NULL, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
(3, 13, 'plumbing', 'Bamako', TRUE, TRUE, NULL, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
(4, 14, 'plumbing', 'Bamako', TRUE, TRUE, NULL, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'),
(5, 15, 'plumbing', 'Bamako', TRUE, TRUE, NULL, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00');
INSERT INTO repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, estimated_price, created_at, assigned_at, started_at, completed_at, cancelled_at, updated_at) VALUES
(1, 2, 1, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(2, 2, 2, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(3, 2, 2, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(4, 2, 2, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(5, 2, 3, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(6, 2, 3, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(7, 2, 4, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(8, 2, 4, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(9, 2, 4, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(10, 2, 4, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(11, 2, 5, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00'),
(12, 2, 5, 'plumbing', 'Bamako', 'completed', FALSE, NULL, '2026-05-01T00:00:00+00:00', '2026-05-01T01:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00', NULL, '2026-05-02T00:00:00+00:00');
INSERT INTO reviews (id, request_id, client_id, technician_id, rating, would_recommend, comment, created_at, updated_at) VALUES
(1, 1, 2, 1, 5, TRUE, NULL, '2026-05-03T00:00:00+00:00', '2026-05-03T00:00:00+00:00'),
(2, 2, 2, 2, 5, TRUE, NULL, '2026-05-03T00:00:00+00:00', '2026-05-03T00:00:00+00:00'),
(3, 5, 2, 3, 5, TRUE, NULL, '2026-05-03T00:00:00+00:00', '2026-05-03T00:00:00+00:00'),
(4, 7, 2, 4, 4, TRUE, NULL, '2026-05-03T00:00:00+00:00', '2026-05-03T00:00:00+00:00'),
(5, 11, 2, 5, 5, TRUE, NULL, '2026-05-03T00:00:00+00:00', '2026-05-03T00:00:00+00:00')";

#[tokio::test]
async fn top_technicians_break_rating_ties_by_completed_requests_then_id() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(TIES).await;
        let q = "query($f: StatsFilter) { globalStatistics(filter: $f) { technicians {
            l1: topTechnicians(limit: 1, minReviews: 1) { technicianId completedRequests }
            l2: topTechnicians(limit: 2, minReviews: 1) { technicianId completedRequests }
            l3: topTechnicians(limit: 3, minReviews: 1) { technicianId completedRequests }
            l4: topTechnicians(limit: 4, minReviews: 1) { technicianId completedRequests }
            l10: topTechnicians(limit: 10, minReviews: 1) { technicianId avgRating completedRequests } } } }";
        // all time, and a range with a start (the period's reviews read by time)
        let filters = [
            json!({ "asOf": AS_OF }),
            json!({ "asOf": AS_OF, "from": "2026-04-01T00:00:00Z" }),
        ];
        for period in filters {
            let t = app.data(q, json!({ "f": period })).await["globalStatistics"]["technicians"]
                .clone();
            let ids = |list: &Value| -> Vec<(String, i64)> {
                list.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| {
                        let id = x["technicianId"].as_str().unwrap().to_string();
                        (id, x["completedRequests"].as_i64().unwrap())
                    })
                    .collect()
            };
            // mean 5: T2 (3 completed), T3 (2), T5 (2, after T3 by id), T1 (1); then T4 (mean 4)
            let order = [("2", 3), ("3", 2), ("5", 2), ("1", 1), ("4", 4)];
            let expected = |n: usize| -> Vec<(String, i64)> {
                order[..n]
                    .iter()
                    .map(|(i, c)| (i.to_string(), *c))
                    .collect()
            };
            assert_eq!(ids(&t["l1"]), expected(1), "{period}");
            assert_eq!(ids(&t["l2"]), expected(2), "{period}");
            assert_eq!(ids(&t["l3"]), expected(3), "{period}");
            assert_eq!(ids(&t["l4"]), expected(4), "{period}");
            assert_eq!(ids(&t["l10"]), expected(5), "{period}");
            assert_eq!(t["l10"][4]["avgRating"], 4.0);
        }
        app.cleanup().await;
    }
}
