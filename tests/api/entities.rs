//! The SeaORM entities read the migrated tables on both engines, column for column.

use crate::fixture::ROWS;
use crate::helpers::{TestApp, engines};
use rust_decimal::Decimal;
use sea_orm::EntityTrait;
use teliman_stats::entity::*;

#[tokio::test]
async fn entities_read_the_fixture_rows() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let db = &app.db;
        let u = users::Entity::find_by_id(5).one(db).await.unwrap().unwrap();
        assert_eq!(
            (u.full_name.as_str(), u.role.as_str()),
            ("Awa Traoré", "technician")
        );
        let t = technicians::Entity::find_by_id(3)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t.hourly_rate, Some(Decimal::new(400050, 2)));
        let r = repair_requests::Entity::find_by_id(7)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((r.status.as_str(), r.assigned_at), ("in_progress", None));
        let p = payments::Entity::find_by_id(9)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (p.amount, p.platform_fee + p.technician_payout),
            (Decimal::new(1234, 2), Decimal::new(1234, 2))
        );
        let v = reviews::Entity::find_by_id(6)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((v.rating, v.would_recommend), (5, true));
        let e = login_events::Entity::find_by_id(4)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((e.user_id, e.success), (None, false));
        let a = statistics_alerts::Entity::find_by_id(1)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.alert_type, "security_alert");
        for empty in [
            global_statistics::Entity::find()
                .all(db)
                .await
                .unwrap()
                .len(),
            statistics_cache::Entity::find()
                .all(db)
                .await
                .unwrap()
                .len(),
            statistics_dashboards::Entity::find()
                .all(db)
                .await
                .unwrap()
                .len(),
            statistics_widgets::Entity::find()
                .all(db)
                .await
                .unwrap()
                .len(),
            statistics_exports::Entity::find()
                .all(db)
                .await
                .unwrap()
                .len(),
        ] {
            assert_eq!(empty, 0);
        }
        // the two default rules, created by the migration without an author
        let rules = statistics_alert_rules::Entity::find()
            .all(db)
            .await
            .unwrap();
        let defaults: Vec<(&str, Option<i64>)> = rules
            .iter()
            .map(|r| (r.metric.as_str(), r.created_by))
            .collect();
        assert_eq!(
            defaults,
            [
                ("security.failedLogins", None),
                ("requests.successRate", None)
            ]
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn every_migration_goes_down_and_up_again() {
    use migration::{Migrator, MigratorTrait};
    use sea_orm::ConnectionTrait;
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        Migrator::down(&app.db, None).await.unwrap();
        // no table is left behind
        let gone = app
            .db
            .execute_unprepared("SELECT COUNT(*) FROM repair_requests")
            .await;
        assert!(gone.is_err());
        Migrator::up(&app.db, None).await.unwrap();
        app.load(ROWS).await;
        assert_eq!(users::Entity::find().all(&app.db).await.unwrap().len(), 8);
        app.cleanup().await;
    }
}
