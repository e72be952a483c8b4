//! A request's own reporting zone (`StatsFilter.timeZone`) and first day of the week
//! (`weekStart`): trends cut in that zone (New York across both daylight-saving changes,
//! Kathmandu at +05:45, Chatham at +12:45 and +13:45), Sunday and Saturday weeks, each a
//! cache entry of its own; unknown zones refused; alert rules keep theirs.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{TestApp, codes, engines};
use crate::metrics::assert_instant;
use serde_json::{Value, json};

const DAILY: &str = "query($f: StatsFilter, $p: Int) { trends(filter: $f, granularity: DAILY, points: $p) { bucketStart requests } }";

fn requests(points: &Value) -> Vec<i64> {
    points
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["requests"].as_i64().unwrap())
        .collect()
}

/// Two requests late on the evening of a New York daylight-saving day (UTC times below).
const DST_ROWS: &str = "INSERT INTO repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, estimated_price, created_at, assigned_at, started_at, completed_at, cancelled_at, updated_at) VALUES \
     (101, 2, NULL, 'it', 'Gao', 'pending', FALSE, NULL, '2026-03-09T03:30:00+00:00', NULL, NULL, NULL, NULL, '2026-03-09T03:30:00+00:00'), \
     (102, 2, NULL, 'it', 'Gao', 'pending', FALSE, NULL, '2026-11-02T04:30:00+00:00', NULL, NULL, NULL, NULL, '2026-11-02T04:30:00+00:00')";

#[tokio::test]
async fn a_request_s_zone_cuts_its_days_across_both_daylight_saving_changes() {
    for engine in engines() {
        // the gateway reports in UTC; the request asks for New York
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        app.load(DST_ROWS).await;
        let ny =
            |as_of: &str| json!({ "f": { "asOf": as_of, "timeZone": "America/New_York" }, "p": 3 });
        // spring: 8 March is 23 hours long (EST -5 until 02:00, then EDT -4); request 101,
        // 03:30 UTC on the 9th, is 23:30 on the 8th there
        let d = app.data(DAILY, ny("2026-03-10T12:00:00Z")).await["trends"].clone();
        assert_instant(&d[0]["bucketStart"], "2026-03-08T05:00:00Z");
        assert_instant(&d[1]["bucketStart"], "2026-03-09T04:00:00Z");
        assert_instant(&d[2]["bucketStart"], "2026-03-10T04:00:00Z");
        assert_eq!(requests(&d), vec![1, 0, 0]);
        // autumn: 1 November is 25 hours long; request 102, 04:30 UTC on the 2nd, is 23:30
        // on the 1st there
        let d = app.data(DAILY, ny("2026-11-03T12:00:00Z")).await["trends"].clone();
        assert_instant(&d[0]["bucketStart"], "2026-11-01T04:00:00Z");
        assert_instant(&d[1]["bucketStart"], "2026-11-02T05:00:00Z");
        assert_eq!(requests(&d), vec![1, 0, 0]);
        // the same instants in the gateway's zone (UTC): both on the next day
        let utc = app
            .data(
                DAILY,
                json!({ "f": { "asOf": "2026-03-10T12:00:00Z" }, "p": 3 }),
            )
            .await["trends"]
            .clone();
        assert_instant(&utc[0]["bucketStart"], "2026-03-08T00:00:00Z");
        assert_eq!(requests(&utc), vec![0, 1, 0]);
        // meta says which zone answered
        let meta = app
            .data(
                "query($f: StatsFilter) { globalStatistics(filter: $f) { meta { timezone } } }",
                json!({ "f": { "asOf": AS_OF, "timeZone": "America/New_York" } }),
            )
            .await;
        assert_eq!(
            meta["globalStatistics"]["meta"]["timezone"],
            "America/New_York"
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn quarter_hour_zones_and_chatham_s_summer() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        // Kathmandu (+05:45): as the gateway configured there gives (trends.rs)
        let d = app
            .data(
                DAILY,
                json!({ "f": { "asOf": AS_OF, "timeZone": "Asia/Kathmandu" }, "p": 7 }),
            )
            .await["trends"]
            .clone();
        assert_instant(&d[0]["bucketStart"], "2026-06-08T18:15:00Z");
        assert_eq!(requests(&d), vec![0, 1, 0, 1, 0, 3, 1]);
        // Chatham in June (+12:45): AS_OF is 00:45 on the 16th there, local days start at
        // 11:15 UTC; R3 (10th 00:00 UTC) is the 10th, R6 the 12th, R7 (13th 20:00), R5 and
        // R8 the 14th, R11 (15th 09:00) the 15th, nothing yet on the 16th
        let d = app
            .data(
                DAILY,
                json!({ "f": { "asOf": AS_OF, "timeZone": "Pacific/Chatham" }, "p": 7 }),
            )
            .await["trends"]
            .clone();
        assert_instant(&d[0]["bucketStart"], "2026-06-09T11:15:00Z");
        assert_instant(&d[6]["bucketStart"], "2026-06-15T11:15:00Z");
        assert_eq!(requests(&d), vec![1, 0, 1, 0, 3, 1, 0]);
        // its months: +13:45 from late September to early April, +12:45 otherwise
        let m = app
            .data(
                "query($f: StatsFilter) { trends(filter: $f, granularity: MONTHLY, points: 12) { bucketStart } }",
                json!({ "f": { "asOf": AS_OF, "timeZone": "Pacific/Chatham" } }),
            )
            .await["trends"]
            .clone();
        assert_instant(&m[0]["bucketStart"], "2025-06-30T11:15:00Z"); // July 2025
        assert_instant(&m[3]["bucketStart"], "2025-09-30T10:15:00Z"); // October
        assert_instant(&m[6]["bucketStart"], "2025-12-31T10:15:00Z"); // January 2026
        assert_instant(&m[9]["bucketStart"], "2026-03-31T10:15:00Z"); // April (until the 5th)
        assert_instant(&m[10]["bucketStart"], "2026-04-30T11:15:00Z"); // May
        app.cleanup().await;
    }
}

#[tokio::test]
async fn sunday_and_saturday_weeks_are_entries_of_their_own() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let q = "query($f: StatsFilter) { globalStatistics(filter: $f) { trends { weekly { bucketStart requests } } meta { entries { key } } } }";
        let weeks = |start: &'static str| json!({ "f": { "asOf": AS_OF, "weekStart": start } });
        // AS_OF is Monday 15 June. Monday weeks (default): the last is [15th, AS_OF): R11
        let monday = app.data(q, weeks("MONDAY")).await["globalStatistics"].clone();
        let w = &monday["trends"]["weekly"];
        assert_instant(&w[11]["bucketStart"], "2026-06-15T00:00:00Z");
        assert_eq!(requests(w)[10..], [5, 1]);
        // Sunday weeks: [7th, 14th) holds R3, R6, R7; [14th, AS_OF) R5, R8, R11
        let sunday = app.data(q, weeks("SUNDAY")).await["globalStatistics"].clone();
        let w = &sunday["trends"]["weekly"];
        assert_instant(&w[11]["bucketStart"], "2026-06-14T00:00:00Z");
        assert_instant(&w[0]["bucketStart"], "2026-03-29T00:00:00Z");
        assert_eq!(requests(w)[10..], [3, 3]);
        // Saturday weeks: [6th, 13th) holds R3, R6; [13th, AS_OF) R7, R5, R8, R11
        let saturday = app.data(q, weeks("SATURDAY")).await["globalStatistics"].clone();
        let w = &saturday["trends"]["weekly"];
        assert_instant(&w[11]["bucketStart"], "2026-06-13T00:00:00Z");
        assert_eq!(requests(w)[10..], [2, 4]);
        // three entries, three keys
        let key = |v: &Value| v["meta"]["entries"][0]["key"].as_str().unwrap().to_string();
        assert_ne!(key(&monday), key(&sunday));
        assert_ne!(key(&sunday), key(&saturday));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn unknown_zones_are_bad_user_input_and_rules_keep_theirs() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let token = app.token(1, 1);
        for zone in ["Mars/Olympus_Mons", "", "UTC+3", &"A".repeat(65)] {
            let (_, body) = app
                .post(
                    Some(&token),
                    "query($f: StatsFilter) { overview(filter: $f) { totalUsers } }",
                    json!({ "f": { "timeZone": zone } }),
                )
                .await;
            assert_eq!(codes(&body), vec!["BAD_USER_INPUT"], "{zone:?}: {body}");
        }
        let rule =
            "mutation($i: AlertRuleInput!) { createAlertRule(input: $i) { timeZone weekStart } }";
        let input = |zone: &str| json!({ "i": { "name": "r", "metricPath": "overview.totalRequests", "comparator": "GT", "threshold": 1, "severity": "INFO", "timeZone": zone, "weekStart": "SUNDAY" } });
        let (_, body) = app.post(Some(&token), rule, input("Mars/Base")).await;
        assert_eq!(codes(&body), vec!["BAD_USER_INPUT"]);
        let created = app.data(rule, input("Asia/Kathmandu")).await;
        assert_eq!(
            created["createAlertRule"],
            json!({ "timeZone": "Asia/Kathmandu", "weekStart": "SUNDAY" })
        );
        app.cleanup().await;
    }
}
