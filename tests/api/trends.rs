//! Calendar trends in UTC, New York (daylight saving) and Kathmandu (UTC+05:45), with slices.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{TestApp, codes, engines};
use crate::metrics::assert_instant;
use serde_json::{Value, json};

const TRENDS: &str = "query($f: StatsFilter) { globalStatistics(filter: $f) { trends { \
    daily { bucketStart requests completed revenue newUsers } weekly { bucketStart requests completed revenue newUsers } \
    monthly { bucketStart requests completed revenue newUsers } } } }";

fn column(points: &Value, field: &str) -> Vec<Value> {
    points
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[field].clone())
        .collect()
}

fn ints(v: &[i64]) -> Vec<Value> {
    v.iter().map(|&i| json!(i)).collect()
}

fn money(v: &[&str]) -> Vec<Value> {
    v.iter().map(|&m| json!(m)).collect()
}

async fn trends(
    zone: chrono_tz::Tz,
    engine: &crate::helpers::Engine,
    filter: Value,
) -> (TestApp, Value) {
    let app = TestApp::with_zone(engine, zone).await;
    app.load(ROWS).await;
    let t = app.data(TRENDS, json!({ "f": filter })).await["globalStatistics"]["trends"].clone();
    (app, t)
}

#[tokio::test]
async fn utc_daily_weekly_monthly() {
    for engine in engines() {
        let (app, t) = trends(
            chrono_tz::UTC,
            &engine,
            json!({ "asOf": AS_OF, "period": "LAST_24H" }),
        )
        .await;
        // days 06-09..06-15: R3 (10th), R6 (12th), R7 (13th 20:00), R5 R8 (14th), R11 (15th);
        // the period does not apply to trends
        let d = &t["daily"];
        assert_instant(&d[0]["bucketStart"], "2026-06-09T00:00:00Z");
        assert_instant(&d[6]["bucketStart"], "2026-06-15T00:00:00Z");
        assert_eq!(column(d, "requests"), ints(&[0, 1, 0, 1, 1, 2, 1]));
        // R11 completed on the 15th (R3's completion is after AS_OF)
        assert_eq!(column(d, "completed"), ints(&[0, 0, 0, 0, 0, 0, 1]));
        // P9 on the 15th (P4 is pending at AS_OF, P7 is at AS_OF)
        assert_eq!(
            column(d, "revenue"),
            money(&["0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "12.34"])
        );
        assert_eq!(column(d, "newUsers"), ints(&[0; 7]));

        // AS_OF is a Monday: the last week is [06-15, AS_OF), the first starts 2026-03-30
        let w = &t["weekly"];
        assert_instant(&w[0]["bucketStart"], "2026-03-30T00:00:00Z");
        assert_instant(&w[11]["bucketStart"], "2026-06-15T00:00:00Z");
        // R10 (04-01) in week 0; R2 (05-20) in week 7 (05-18); R4 week 9 (06-01); R3 R5 R6 R7 R8
        // week 10; R11 week 11
        assert_eq!(
            column(w, "requests"),
            ints(&[1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 5, 1])
        );
        assert_eq!(
            column(w, "completed"),
            ints(&[1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1])
        );
        assert_eq!(w[0]["revenue"], "1000000000.30");
        assert_eq!(w[7]["revenue"], "0.20");
        assert_eq!(
            column(w, "newUsers"),
            ints(&[0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
        );

        // months 2025-07..2026-06
        let m = &t["monthly"];
        assert_instant(&m[0]["bucketStart"], "2025-07-01T00:00:00Z");
        assert_eq!(
            column(m, "requests"),
            ints(&[0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 7])
        );
        assert_eq!(
            column(m, "completed"),
            ints(&[0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
        );
        assert_eq!(
            column(m, "revenue"),
            money(&[
                "0.00",
                "0.00",
                "0.00",
                "0.00",
                "0.00",
                "0.00",
                "0.00",
                "0.00",
                "0.10",
                "1000000000.30",
                "0.20",
                "12.34"
            ])
        );
        // users 1, 5, 6 in January; 2 in February; 7 in March; 3 in May
        assert_eq!(
            column(m, "newUsers"),
            ints(&[0, 0, 0, 0, 0, 0, 3, 1, 1, 0, 1, 0])
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn new_york_buckets_follow_daylight_saving() {
    for engine in engines() {
        let (app, t) = trends(
            chrono_tz::America::New_York,
            &engine,
            json!({ "asOf": AS_OF }),
        )
        .await;
        // local days start at 04:00 UTC in June (EDT); R3 (06-10 00:00 UTC) is the 9th locally,
        // R5 (06-14 00:00 UTC) the 13th
        let d = &t["daily"];
        assert_instant(&d[0]["bucketStart"], "2026-06-09T04:00:00Z");
        assert_eq!(column(d, "requests"), ints(&[1, 0, 1, 0, 2, 1, 1]));
        // months: EDT starts before 2025-11-02 and after 2026-03-08
        let m = &t["monthly"];
        let starts = [
            "2025-07-01T04:00:00Z",
            "2025-08-01T04:00:00Z",
            "2025-09-01T04:00:00Z",
            "2025-10-01T04:00:00Z",
            "2025-11-01T04:00:00Z",
            "2025-12-01T05:00:00Z",
            "2026-01-01T05:00:00Z",
            "2026-02-01T05:00:00Z",
            "2026-03-01T05:00:00Z",
            "2026-04-01T04:00:00Z",
            "2026-05-01T04:00:00Z",
            "2026-06-01T04:00:00Z",
        ];
        for (i, s) in starts.iter().enumerate() {
            assert_instant(&m[i]["bucketStart"], s);
        }
        // R12 (02-01 02:00 UTC) is January; R10 (04-01 00:00 UTC) is March; R4 (06-01 00:00 UTC) is May
        assert_eq!(
            column(m, "requests"),
            ints(&[0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 2, 6])
        );
        // R10's completion (04-02 00:00 UTC) is April 1st locally
        assert_eq!(
            column(m, "completed"),
            ints(&[0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1])
        );
        assert_eq!(m[9]["revenue"], "1000000000.30");
        // user 1 (2026-01-01 00:00 UTC) joined on New Year's Eve locally; user 2 and 7 a month early
        assert_eq!(
            column(m, "newUsers"),
            ints(&[0, 0, 0, 0, 0, 1, 3, 1, 0, 0, 1, 0])
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn kathmandu_buckets_start_at_quarter_hours() {
    for engine in engines() {
        let (app, t) = trends(
            chrono_tz::Asia::Kathmandu,
            &engine,
            json!({ "asOf": AS_OF }),
        )
        .await;
        // UTC+05:45: local midnight is 18:15 UTC the day before; R7 (06-13 20:00 UTC) is the
        // 14th locally, with R5 and R8
        let d = &t["daily"];
        assert_instant(&d[0]["bucketStart"], "2026-06-08T18:15:00Z");
        assert_instant(&d[6]["bucketStart"], "2026-06-14T18:15:00Z");
        assert_eq!(column(d, "requests"), ints(&[0, 1, 0, 1, 0, 3, 1]));
        app.cleanup().await;
    }
}

#[tokio::test]
async fn trends_query_points_and_slices() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let q = "query($f: StatsFilter, $p: Int) { trends(filter: $f, granularity: DAILY, points: $p) { bucketStart requests revenue } }";
        let d = app
            .data(
                q,
                json!({ "f": { "asOf": AS_OF, "city": "Bamako" }, "p": 2 }),
            )
            .await;
        // Bamako: R5 R8 on the 14th, R11 (and P9) on the 15th
        assert_eq!(
            d["trends"],
            json!([
                { "bucketStart": "2026-06-14T00:00:00+00:00", "requests": 2, "revenue": "0.00" },
                { "bucketStart": "2026-06-15T00:00:00+00:00", "requests": 1, "revenue": "12.34" }
            ])
        );
        let token = app.token(1, 1);
        for bad in [0, 367, -1] {
            let (_, body) = app
                .post(Some(&token), q, json!({ "f": { "asOf": AS_OF }, "p": bad }))
                .await;
            assert_eq!(codes(&body), vec!["BAD_USER_INPUT"], "points {bad}: {body}");
        }
        let d = app
            .data(q, json!({ "f": { "asOf": AS_OF }, "p": 366 }))
            .await;
        assert_eq!(d["trends"].as_array().unwrap().len(), 366);
        app.cleanup().await;
    }
}
