//! Snapshots of the unfiltered global statistics and their pages.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{TestApp, codes, engines};
use serde_json::json;
use teliman_stats::stats::cache::{self, CacheSettings, StatsCache};
use teliman_stats::stats::{Window, WindowInput};

const PAGE: &str = "query($first: Int, $after: String) { statisticsSnapshots(first: $first, after: $after) { \
    edges { cursor node { totalRequests totalRevenue platformFees totalUsers } } pageInfo { hasNextPage endCursor } } }";

#[tokio::test]
async fn unfiltered_computations_are_kept_and_paged() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        // a filtered answer is not a snapshot; the unfiltered one is, once per interval
        app.data(
            "query($f: StatsFilter) { globalStatistics(filter: $f) { meta { asOf } } }",
            json!({ "f": { "asOf": AS_OF } }),
        )
        .await;
        app.data("{ globalStatistics { meta { asOf } } }", json!({}))
            .await;
        app.data(
            "mutation { refreshStatistics { meta { asOf } } }",
            json!({}),
        )
        .await;
        let d = app.data(PAGE, json!({ "first": 10 })).await;
        // today every fixture row exists: 12 requests; revenue adds P4 (0.70) and P7
        // (999999999.99) to the 1000000012.94 of AS_OF
        assert_eq!(
            d["statisticsSnapshots"]["edges"][0]["node"],
            json!({ "totalRequests": 12, "totalRevenue": "2000000013.63", "platformFees": "200000001.35", "totalUsers": 8 })
        );
        assert_eq!(
            d["statisticsSnapshots"]["edges"].as_array().unwrap().len(),
            1
        );

        // with no interval every fresh computation is kept
        let mut settings: CacheSettings = app_settings();
        settings.snapshot_interval = chrono::Duration::zero();
        let cache = StatsCache::new(app.db.clone(), settings);
        let key = cache::key(&WindowInput::default(), chrono_tz::UTC);
        let window =
            Window::from_input(WindowInput::default(), chrono::Utc::now(), chrono_tz::UTC).unwrap();
        cache.refresh(&key, &window).await.unwrap();
        cache.refresh(&key, &window).await.unwrap();
        let p1 = app.data(PAGE, json!({ "first": 2 })).await["statisticsSnapshots"].clone();
        assert_eq!(p1["edges"].as_array().unwrap().len(), 2);
        assert_eq!(p1["pageInfo"]["hasNextPage"], true);
        let p2 = app
            .data(
                PAGE,
                json!({ "first": 2, "after": p1["pageInfo"]["endCursor"] }),
            )
            .await["statisticsSnapshots"]
            .clone();
        assert_eq!(p2["edges"].as_array().unwrap().len(), 1);
        assert_eq!(p2["pageInfo"]["hasNextPage"], false);

        let token = app.token(1, 1);
        for (what, vars) in [
            ("first 0", json!({ "first": 0 })),
            ("first 101", json!({ "first": 101 })),
            ("bad cursor", json!({ "after": "x" })),
        ] {
            let (_, body) = app.post(Some(&token), PAGE, vars).await;
            assert_eq!(codes(&body), vec!["BAD_USER_INPUT"], "{what}");
        }
        app.cleanup().await;
    }
}

fn app_settings() -> CacheSettings {
    crate::helpers::test_config("sqlite::memory:", chrono_tz::UTC).cache
}
