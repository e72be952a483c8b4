//! The change capture the gateway installs on the platform's tables: every committed write
//! moves its table's version within the check interval, the version never runs ahead of the
//! data, and the platform's writers never wait for each other nor deadlock because of it.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{Engine, TestApp, engines, postgres};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use teliman_stats::stats::changes::{self, Table, TableVersion};
use teliman_stats::stats::{CacheSettings, Engine as StatsEngine, Group, upkeep};
use teliman_stats::window::{Window, WindowInput};

fn settings(interval: Duration) -> CacheSettings {
    CacheSettings {
        ttl: chrono::Duration::hours(1),
        max_stale: chrono::Duration::hours(24),
        l1_max_bytes: 10 * 1024 * 1024,
        l2_max_bytes: 256 * 1024 * 1024,
        fingerprint_interval: interval,
        snapshot_interval: chrono::Duration::minutes(15),
    }
}

/// Waits until the engine's version of `table` differs from `before`; returns how long it
/// took (fails after five seconds).
async fn until_changed(engine: &StatsEngine, table: Table, before: &TableVersion) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if engine.table_version(table).await.unwrap() != *before {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{table:?} kept its version {before:?} for 5 s");
}

#[tokio::test]
async fn every_committed_write_changes_its_tables_version_within_the_interval() {
    const INTERVAL: Duration = Duration::from_secs(1);
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let stats = StatsEngine::new(app.db.clone(), settings(INTERVAL));
        // the folding runs meanwhile, as in a serving gateway
        let folding = upkeep::spawn_folding(stats.clone());
        let mut writes = vec![
            (
                Table::Logins,
                "INSERT INTO login_events (user_id, email, ip_address, success, failure_reason, created_at, updated_at) \
              VALUES (2, 'client2@example.org', '10.9.9.9', FALSE, 'bad_password', '2026-06-15T10:00:00+00:00', '2026-06-15T10:00:00+00:00')",
            ),
            // an update that leaves updated_at alone
            (
                Table::Requests,
                "UPDATE repair_requests SET is_urgent = NOT is_urgent WHERE id = 5",
            ),
            (Table::Reviews, "DELETE FROM reviews WHERE id = 7"),
            (
                Table::Users,
                "UPDATE users SET full_name = 'Binta C.' WHERE id = 2",
            ),
            (Table::Alerts, "DELETE FROM statistics_alerts WHERE id = 4"),
            (
                Table::Technicians,
                "UPDATE technicians SET is_available = FALSE WHERE id = 3",
            ),
        ];
        if matches!(engine, Engine::Postgres(_)) {
            writes.push((Table::Payments, "TRUNCATE payments"));
        } else {
            writes.push((Table::Payments, "DELETE FROM payments WHERE id = 9"));
        }
        for (table, write) in writes {
            let before = stats.table_version(table).await.unwrap();
            let all_before = changes::read(&app.db).await.unwrap();
            app.db.execute_unprepared(write).await.unwrap();
            let took = until_changed(&stats, table, &before).await;
            assert!(
                took <= INTERVAL + Duration::from_secs(1),
                "{table:?} took {took:?} after `{write}`"
            );
            // the other tables kept their versions
            let now = changes::read(&app.db).await.unwrap();
            for t in Table::ALL {
                if t != table {
                    assert_eq!(
                        now.version(t),
                        all_before.version(t),
                        "{t:?} moved on `{write}`"
                    );
                }
            }
        }
        folding.abort();
        app.cleanup().await;
    }
}

#[tokio::test]
async fn folding_the_log_keeps_every_version_and_empties_it() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        for i in 0..20 {
            app.db
                .execute_unprepared(&format!(
                    "UPDATE login_events SET failure_reason = 'r{i}' WHERE id = 1"
                ))
                .await
                .unwrap();
        }
        let before = changes::read(&app.db).await.unwrap();
        let logged = || async {
            app.db
                .query_one_raw(sea_orm::Statement::from_string(
                    app.db.get_database_backend(),
                    "SELECT COUNT(*) AS n FROM statistics_change_log",
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap()
        };
        let in_log = logged().await;
        // the side being written is folded once statements have moved to the other one
        let started = Instant::now();
        let mut folded = 0;
        while logged().await > 0 && started.elapsed() < Duration::from_secs(8) {
            folded += changes::fold(&app.db).await.unwrap();
            assert_eq!(changes::read(&app.db).await.unwrap(), before);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(logged().await, 0);
        assert_eq!(folded, in_log as u64);
        assert_eq!(changes::read(&app.db).await.unwrap(), before);
        match engine {
            // one log row per statement: the fixture's and the 20 updates at least
            Engine::Postgres(_) => assert!(folded >= 20, "{folded}"),
            // SQLite counts in place and logs nothing
            Engine::Sqlite => assert_eq!(folded, 0),
        }
        app.cleanup().await;
    }
}

/// Folds the log every 200 ms for `seconds`, long enough for both sides to be folded once;
/// a folding that waits (for a lock an open transaction holds) fails the test.
async fn fold_for(db: &DatabaseConnection, seconds: u64) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        tokio::time::timeout(Duration::from_secs(5), changes::fold(db))
            .await
            .expect("the folding never waits")
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// PostgreSQL: a side held by an open transaction is not folded (nor waited for) until
/// that transaction ends; the writer is never held up by the folding.
#[tokio::test]
async fn folding_skips_a_side_an_open_transaction_holds() {
    let app = TestApp::new(&postgres()).await;
    app.load(ROWS).await;
    // settle: fold both sides
    fold_for(&app.db, 6).await;
    let writer = session(&app).await;
    let open = writer.begin().await.unwrap();
    open.execute_unprepared("UPDATE login_events SET failure_reason = 'held' WHERE id = 1")
        .await
        .unwrap();
    // for a while, whatever the side being folded, the open transaction's row stays
    fold_for(&app.db, 5).await;
    // the writer goes on, unhindered, and commits
    open.execute_unprepared("UPDATE login_events SET failure_reason = 'held 2' WHERE id = 2")
        .await
        .expect("no wait");
    let before_commit = changes::read(&app.db).await.unwrap();
    open.commit().await.unwrap();
    let committed = changes::read(&app.db).await.unwrap();
    assert_eq!(
        committed.version(Table::Logins).changes,
        before_commit.version(Table::Logins).changes + 2
    );
    fold_for(&app.db, 6).await;
    assert_eq!(changes::read(&app.db).await.unwrap(), committed);
    writer.close().await.ok();
    app.cleanup().await;
}

/// The requests entry at `AS_OF`: its total and the version of `repair_requests` it holds.
async fn served(stats: &Arc<StatsEngine>) -> (i64, i64) {
    let window = Window::from_input(
        WindowInput {
            as_of: Some(AS_OF.parse().unwrap()),
            ..Default::default()
        },
        chrono::Utc::now(),
        chrono_tz::UTC,
    )
    .unwrap();
    let served = stats.get(Group::Requests, &window).await.unwrap();
    let total = match &served.entry.figures {
        teliman_stats::stats::Figures::Requests(r) => r.total,
        other => panic!("not the requests group: {other:?}"),
    };
    let version = served.entry.versions.version(Table::Requests).unwrap();
    (total, version.changes)
}

#[tokio::test]
async fn an_entry_is_never_stored_under_versions_newer_than_its_data() {
    // A writer commits one request per statement while readers compute. Each insert moves
    // the version of `repair_requests` by one (one statement, one row), so an entry holding
    // version c0 + k must count at least the k requests written by then: were the versions
    // taken after reading the rows, a write committed in between would be covered by the
    // versions and missing from the figures (and then served as current).
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let stats = StatsEngine::new(app.db.clone(), settings(Duration::ZERO));
        let c0 = changes::read(&app.db)
            .await
            .unwrap()
            .version(Table::Requests)
            .changes;
        let writing = Arc::new(AtomicBool::new(true));
        let writer = {
            let (db, writing) = (app.db.clone(), writing.clone());
            tokio::spawn(async move {
                for id in 1000..1200 {
                    db.execute_unprepared(&format!(
                        "INSERT INTO repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, \
                         estimated_price, created_at, assigned_at, started_at, completed_at, cancelled_at, updated_at) VALUES \
                         ({id}, 2, NULL, 'it', 'Gao', 'pending', FALSE, NULL, '2026-06-01T00:00:00+00:00', NULL, NULL, NULL, NULL, \
                         '2026-06-01T00:00:00+00:00')"
                    ))
                    .await
                    .unwrap();
                }
                writing.store(false, Ordering::SeqCst);
            })
        };
        let mut samples = 0;
        while writing.load(Ordering::SeqCst) {
            let readers: Vec<_> = (0..3)
                .map(|_| {
                    let stats = stats.clone();
                    tokio::spawn(async move { served(&stats).await })
                })
                .collect();
            for r in readers {
                let (total, changes) = r.await.unwrap();
                // 11 fixture requests before AS_OF
                assert!(
                    total - 11 >= changes - c0,
                    "an entry counting {} new requests holds the version of {}",
                    total - 11,
                    changes - c0
                );
                samples += 1;
            }
        }
        writer.await.unwrap();
        assert!(samples > 20, "{samples} samples");
        assert_eq!(served(&stats).await, (211, c0 + 200));
        app.cleanup().await;
    }
}

/// A connection of its own (not from the app's pool), which gives up on any lock wait after
/// `lock_timeout`.
async fn session(app: &TestApp) -> DatabaseConnection {
    let db = teliman_stats::db::connect(&app.url(), Duration::from_secs(5), 1)
        .await
        .unwrap();
    db.execute_unprepared("SET lock_timeout = '1500ms'")
        .await
        .unwrap();
    db
}

/// PostgreSQL: SQLite has one writer at a time whatever the gateway installs.
#[tokio::test]
async fn writers_in_opposite_orders_never_deadlock_on_the_capture() {
    let app = TestApp::new(&postgres()).await;
    app.load(ROWS).await;
    let (a, b) = (session(&app).await, session(&app).await);
    // updates: login_events then users, against users then login_events
    let ta = a.begin().await.unwrap();
    let tb = b.begin().await.unwrap();
    ta.execute_unprepared("UPDATE login_events SET failure_reason = 'a' WHERE id = 1")
        .await
        .unwrap();
    tb.execute_unprepared("UPDATE users SET full_name = 'b' WHERE id = 2")
        .await
        .unwrap();
    ta.execute_unprepared("UPDATE users SET full_name = 'a' WHERE id = 3")
        .await
        .expect("no wait on a row another writer holds");
    tb.execute_unprepared("UPDATE login_events SET failure_reason = 'b' WHERE id = 2")
        .await
        .expect("no wait, no deadlock");
    ta.commit().await.unwrap();
    tb.commit().await.unwrap();
    // inserts: payments then repair_requests, against repair_requests then payments
    let ta = a.begin().await.unwrap();
    let tb = b.begin().await.unwrap();
    let payment = |id: i64| {
        format!(
            "INSERT INTO payments (id, request_id, payer_id, technician_id, amount, platform_fee, technician_payout, method, status, \
             created_at, completed_at, updated_at) VALUES ({id}, 1, 2, 1, 1.00, 0.10, 0.90, 'wave', 'completed', \
             '2026-06-01T00:00:00+00:00', NULL, '2026-06-01T00:00:00+00:00')"
        )
    };
    let request = |id: i64| {
        format!(
            "INSERT INTO repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, estimated_price, \
             created_at, assigned_at, started_at, completed_at, cancelled_at, updated_at) VALUES ({id}, 2, NULL, 'it', 'Gao', \
             'pending', FALSE, NULL, '2026-06-01T00:00:00+00:00', NULL, NULL, NULL, NULL, '2026-06-01T00:00:00+00:00')"
        )
    };
    ta.execute_unprepared(&payment(100)).await.unwrap();
    tb.execute_unprepared(&request(100)).await.unwrap();
    ta.execute_unprepared(&request(101))
        .await
        .expect("no wait on the other writer");
    tb.execute_unprepared(&payment(101))
        .await
        .expect("no wait, no deadlock");
    ta.commit().await.unwrap();
    tb.commit().await.unwrap();
    a.close().await.ok();
    b.close().await.ok();
    app.cleanup().await;
}

/// PostgreSQL: concurrent writers of one table.
#[tokio::test]
async fn writers_of_one_table_never_wait_for_each_other_because_of_the_capture() {
    let app = TestApp::new(&postgres()).await;
    app.load(ROWS).await;
    let (a, b) = (session(&app).await, session(&app).await);
    let insert = "INSERT INTO login_events (user_id, email, ip_address, success, failure_reason, created_at, updated_at) \
                  VALUES (2, 'client2@example.org', '10.1.1.1', TRUE, NULL, '2026-06-15T10:00:00+00:00', '2026-06-15T10:00:00+00:00')";
    let ta = a.begin().await.unwrap();
    ta.execute_unprepared(insert).await.unwrap();
    ta.execute_unprepared("UPDATE login_events SET failure_reason = 'x' WHERE id = 3")
        .await
        .unwrap();
    // while the first transaction is open, another writer inserts, updates and deletes
    // other rows of the same table, and commits
    let started = Instant::now();
    let tb = b.begin().await.unwrap();
    tb.execute_unprepared(insert).await.expect("no wait");
    tb.execute_unprepared("UPDATE login_events SET failure_reason = 'y' WHERE id = 4")
        .await
        .expect("no wait");
    tb.execute_unprepared("DELETE FROM login_events WHERE id = 5")
        .await
        .expect("no wait");
    tb.commit().await.expect("no wait");
    assert!(started.elapsed() < Duration::from_secs(1));
    ta.commit().await.unwrap();
    a.close().await.ok();
    b.close().await.ok();
    app.cleanup().await;
}
