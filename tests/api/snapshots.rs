//! Snapshots of the unfiltered global statistics: one per interval across replicas, and
//! their pages.

use crate::fixture::ROWS;
use crate::helpers::{TestApp, codes, engines};
use serde_json::json;
use teliman_stats::stats::{Engine as StatsEngine, snapshots};

const PAGE: &str = "query($first: Int, $after: String) { statisticsSnapshots(first: $first, after: $after) { \
    edges { cursor node { totalRequests totalRevenue platformFees totalUsers } } pageInfo { hasNextPage endCursor } } }";

#[tokio::test]
async fn one_snapshot_per_interval_across_replicas_and_pages() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let interval = app.state.config.cache.snapshot_interval;
        // two replicas on the database, each with its own engine
        let replicas = [
            app.state.engine.clone(),
            StatsEngine::new(app.db.clone(), app.state.config.cache.clone()),
        ];
        let tz = chrono_tz::UTC;
        let t0: chrono::DateTime<chrono::Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        let mut stored = 0;
        for tick in [t0, t0 + chrono::Duration::seconds(10)] {
            for replica in &replicas {
                stored += usize::from(snapshots::take(replica, tz, tick).await.unwrap());
            }
        }
        // four takes in one interval: one row
        assert_eq!(stored, 1);
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
        // the next two intervals, taken concurrently by both replicas
        for n in [1, 2] {
            let tick = t0 + interval * n;
            let (a, b) = tokio::join!(
                snapshots::take(&replicas[0], tz, tick),
                snapshots::take(&replicas[1], tz, tick)
            );
            assert_eq!(usize::from(a.unwrap()) + usize::from(b.unwrap()), 1);
        }
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
