//! The alert engine on hand-built data: rules and their validation, each detector firing
//! where it must and quiet where it must not, dedup, cooldown, automatic and manual
//! resolution, paging, the webhook, `alertRaised`, and two gateways on one database.

use crate::helpers::{Engine, TestApp, codes, engines, postgres};
use crate::live::{Client, Frame};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use teliman_stats::alerts::AlertSettings;
use teliman_stats::db::sqlite_instant;

/// An instant as both engines read it in SQL.
fn at(t: DateTime<Utc>) -> String {
    format!("'{}'", sqlite_instant(t))
}

/// Users 1 (admin) and 2 (client), created a year before now.
fn people() -> String {
    let long_ago = at(Utc::now() - Duration::days(400));
    format!(
        "INSERT INTO users (id, email, full_name, role, city, is_active, created_at, updated_at, last_login) VALUES \
         (1, 'admin@example.org', 'Ada Admin', 'admin', 'Bamako', TRUE, {long_ago}, {long_ago}, NULL), \
         (2, 'client@example.org', 'Binta Client', 'client', 'Bamako', TRUE, {long_ago}, {long_ago}, NULL)"
    )
}

/// Failed logins from `ip` at each instant.
fn failures(ip: &str, instants: impl IntoIterator<Item = DateTime<Utc>>) -> String {
    let rows: Vec<String> = instants
        .into_iter()
        .map(|t| {
            let t = at(t);
            format!("(NULL, 'x@example.org', '{ip}', FALSE, 'bad password', {t}, {t})")
        })
        .collect();
    format!(
        "INSERT INTO login_events (user_id, email, ip_address, success, failure_reason, created_at, updated_at) VALUES {}",
        rows.join(", ")
    )
}

async fn app_on(engine: &Engine, tweak: impl FnOnce(&mut AlertSettings)) -> TestApp {
    let app = TestApp::with_config(engine, chrono_tz::UTC, |c| {
        // quiet defaults for the detectors a test is not about
        c.alerts.performance_budget = std::time::Duration::from_secs(3600);
        tweak(&mut c.alerts);
    })
    .await;
    app.load(&people()).await;
    // the default rules are the subject of their own test: off here
    app.load("UPDATE statistics_alert_rules SET enabled = FALSE")
        .await;
    app
}

/// Active alerts by key.
async fn active(app: &TestApp) -> HashMap<String, Value> {
    let data = app
        .data(
            "{ alerts(filter: {active: true}, first: 100) { edges { node { id alertType severity title message metricPath observedValue threshold dedupKey isActive triggeredAt resolvedAt ruleId } } } }",
            json!({}),
        )
        .await;
    data["alerts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["dedupKey"].as_str().unwrap().to_string(),
                e["node"].clone(),
            )
        })
        .collect()
}

async fn evaluate(app: &TestApp) -> teliman_stats::alerts::evaluate::Report {
    app.state.alerts.evaluate(Utc::now()).await.unwrap()
}

const CREATE: &str = "mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id name metricPath comparator threshold severity period city specialty cooldownMinutes enabled system } }";

#[tokio::test]
async fn rules_are_validated_and_system_rules_come_with_the_database() {
    for engine in engines() {
        let app = app_on(&engine, |_| {}).await;
        let rules = app
            .data(
                "{ alertRules { id metricPath comparator threshold period system } }",
                json!({}),
            )
            .await;
        assert_eq!(
            rules["alertRules"],
            json!([
                {"id": "1", "metricPath": "security.failedLogins", "comparator": "GT", "threshold": 100.0, "period": "LAST_24H", "system": true},
                {"id": "2", "metricPath": "requests.successRate", "comparator": "LT", "threshold": 25.0, "period": "LAST_7D", "system": true},
            ])
        );
        let input = json!({"name": "Beaucoup de demandes", "metricPath": "requests.total", "comparator": "GTE",
                           "threshold": 10, "severity": "CRITICAL", "city": "Ségou"});
        let created = app.data(CREATE, json!({"input": input})).await;
        assert_eq!(
            created["createAlertRule"],
            json!({"id": "3", "name": "Beaucoup de demandes", "metricPath": "requests.total", "comparator": "GTE",
                   "threshold": 10.0, "severity": "CRITICAL", "period": "LAST_24H", "city": "Ségou", "specialty": null,
                   "cooldownMinutes": 60, "enabled": true, "system": false}),
            "{engine:?}"
        );
        let token = app.token(1, 1);
        for (case, bad) in [
            ("unknown path", json!({"metricPath": "requests.nothing"})),
            (
                "a list is not a number",
                json!({"metricPath": "requests.byCity"}),
            ),
            (
                "a series is not a number",
                json!({"metricPath": "trends.daily"}),
            ),
            ("negative cooldown", json!({"cooldownMinutes": -1})),
            ("cooldown over a week", json!({"cooldownMinutes": 10081})),
            ("empty name", json!({"name": "  "})),
            (
                "control character in a slice",
                json!({"city": "Bam\u{7}ako"}),
            ),
        ] {
            let mut input = input.clone();
            input
                .as_object_mut()
                .unwrap()
                .extend(bad.as_object().unwrap().clone());
            let (_, body) = app
                .post(Some(&token), CREATE, json!({"input": input}))
                .await;
            assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{case}: {body}");
        }
        // nothing was written by the refused inputs
        let rules = app.data("{ alertRules { id } }", json!({})).await;
        assert_eq!(rules["alertRules"].as_array().unwrap().len(), 3);
        // update, then delete; unknown ids are NOT_FOUND, malformed ones BAD_USER_INPUT
        let update = "mutation($id: ID!, $input: AlertRuleInput!) { updateAlertRule(id: $id, input: $input) { id threshold enabled system } }";
        let mut changed = input.clone();
        changed["threshold"] = json!(12.5);
        changed["enabled"] = json!(false);
        let updated = app.data(update, json!({"id": "1", "input": changed})).await;
        assert_eq!(
            updated["updateAlertRule"],
            json!({"id": "1", "threshold": 12.5, "enabled": false, "system": true})
        );
        let (_, body) = app
            .post(Some(&token), update, json!({"id": "99", "input": input}))
            .await;
        assert_eq!(codes(&body), ["NOT_FOUND"]);
        let delete = "mutation($id: ID!) { deleteAlertRule(id: $id) }";
        assert_eq!(
            app.data(delete, json!({"id": "3"})).await["deleteAlertRule"],
            true
        );
        let (_, body) = app.post(Some(&token), delete, json!({"id": "3"})).await;
        assert_eq!(codes(&body), ["NOT_FOUND"]);
        let (_, body) = app.post(Some(&token), delete, json!({"id": "three"})).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
        // a client may not read or write rules
        let client = app.token(2, 1);
        let (_, body) = app
            .post(Some(&client), CREATE, json!({"input": input}))
            .await;
        assert_eq!(codes(&body), ["FORBIDDEN"]);
        let (_, body) = app
            .post(Some(&client), "{ alertRules { id } }", json!({}))
            .await;
        assert_eq!(codes(&body), ["FORBIDDEN"]);
        // the catalog is for any signed-in user
        let (_, body) = app
            .post(
                Some(&client),
                "{ metricCatalog { path type unit } }",
                json!({}),
            )
            .await;
        let catalog = body["data"]["metricCatalog"].as_array().unwrap();
        assert!(catalog.contains(
            &json!({"path": "financial.totalRevenue", "type": "SCALAR", "unit": "money"})
        ));
        assert!(
            catalog.contains(&json!({"path": "trends.daily", "type": "SERIES", "unit": "mixed"}))
        );
        let (_, body) = app
            .post(None, "{ metricCatalog { path } }", json!({}))
            .await;
        assert_eq!(codes(&body), ["UNAUTHENTICATED"]);
        app.cleanup().await;
    }
}

/// Requests created one minute ago, `n` of them.
fn requests(first_id: i64, n: i64) -> String {
    let t = at(Utc::now() - Duration::minutes(1));
    let rows: Vec<String> = (first_id..first_id + n)
        .map(|id| format!("({id}, 2, NULL, 'plumbing', 'Bamako', 'pending', FALSE, NULL, {t}, NULL, NULL, NULL, NULL, {t})"))
        .collect();
    format!(
        "INSERT INTO repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, estimated_price, created_at, assigned_at, started_at, completed_at, cancelled_at, updated_at) VALUES {}",
        rows.join(", ")
    )
}

#[tokio::test]
async fn a_threshold_rule_raises_once_updates_resolves_and_respects_its_cooldown() {
    for engine in engines() {
        let app = app_on(&engine, |_| {}).await;
        app.load(&requests(1, 3)).await;
        let input = json!({"name": "Plus de 2 demandes", "metricPath": "requests.total", "comparator": "GT",
                           "threshold": 2, "severity": "WARNING", "cooldownMinutes": 60});
        let rule = app.data(CREATE, json!({"input": input})).await["createAlertRule"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        // 3 requests in the last 24 h > 2: raised
        let report = evaluate(&app).await;
        assert_eq!(report.raised.len(), 1, "{report:?}");
        let alert = active(&app).await[&format!("rule:{rule}")].clone();
        assert_eq!(alert["alertType"], "THRESHOLD_EXCEEDED");
        assert_eq!(alert["severity"], "WARNING");
        assert_eq!(alert["observedValue"], 3.0);
        assert_eq!(alert["threshold"], 2.0);
        assert_eq!(alert["metricPath"], "requests.total");
        assert_eq!(alert["ruleId"], rule.as_str());
        // a fourth request: the same alert, its figure updated
        app.load(&requests(4, 1)).await;
        let report = evaluate(&app).await;
        assert_eq!((report.raised.len(), report.updated), (0, 1), "{report:?}");
        let again = active(&app).await[&format!("rule:{rule}")].clone();
        assert_eq!(again["id"], alert["id"]);
        assert_eq!(again["observedValue"], 4.0);
        // the condition clears (the bound moves above 4): resolved by itself
        let update = "mutation($id: ID!, $input: AlertRuleInput!) { updateAlertRule(id: $id, input: $input) { id } }";
        let mut higher = input.clone();
        higher["threshold"] = json!(10);
        app.data(update, json!({"id": rule, "input": higher})).await;
        let report = evaluate(&app).await;
        assert_eq!(report.resolved, 1, "{report:?}");
        assert!(active(&app).await.is_empty());
        // it holds again within the cooldown: nothing raised
        app.data(update, json!({"id": rule, "input": input})).await;
        let report = evaluate(&app).await;
        assert_eq!((report.raised.len(), report.cooled), (0, 1), "{report:?}");
        // with no cooldown, raised again (a new alert)
        let mut no_cooldown = input.clone();
        no_cooldown["cooldownMinutes"] = json!(0);
        app.data(update, json!({"id": rule, "input": no_cooldown}))
            .await;
        let report = evaluate(&app).await;
        assert_eq!(report.raised.len(), 1, "{report:?}");
        let third = active(&app).await[&format!("rule:{rule}")].clone();
        assert_ne!(third["id"], alert["id"]);
        // a rule that fired can be deleted: its alerts stay, without a rule
        app.data(
            "mutation($id: ID!) { deleteAlertRule(id: $id) }",
            json!({"id": rule}),
        )
        .await;
        let all = app
            .data(
                "{ alerts(first: 10) { edges { node { id ruleId } } } }",
                json!({}),
            )
            .await;
        let edges = all["alerts"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 2);
        assert!(edges.iter().all(|e| e["node"]["ruleId"].is_null()));
        // the rule is gone: its active alert is resolved at the next evaluation
        let report = evaluate(&app).await;
        assert_eq!(report.resolved, 1, "{report:?}");
        app.cleanup().await;
    }
}

#[tokio::test]
async fn brute_force_is_twenty_failures_within_fifteen_minutes_of_the_last_seven_days() {
    for engine in engines() {
        let app = app_on(&engine, |_| {}).await;
        let now = Utc::now();
        let two_days = now - Duration::days(2);
        // 20 failures within 14 min 59 s: a burst
        app.load(&failures(
            "198.51.100.1",
            (0..20).map(|i| two_days + Duration::milliseconds(i * 47_315)),
        ))
        .await;
        // 20 failures whose first and last are exactly 15 minutes apart: no span of
        // [t, t + 15 min) holds more than 19
        app.load(&failures(
            "198.51.100.2",
            (0..20).map(|i| two_days + Duration::milliseconds(i * 900_000 / 19)),
        ))
        .await;
        // 19 within a minute: below the bound
        app.load(&failures(
            "198.51.100.3",
            (0..19).map(|i| two_days + Duration::seconds(i)),
        ))
        .await;
        // 20 within a minute, starting 7 days minus 4 s ago: in view for 4 more seconds
        let leaving = now - Duration::days(7) + Duration::seconds(4);
        app.load(&failures(
            "198.51.100.4",
            (0..20).map(|i| leaving + Duration::milliseconds(i * 10)),
        ))
        .await;
        let report = evaluate(&app).await;
        assert!(report.failed.is_empty(), "{report:?}");
        let alerts = active(&app).await;
        let mut keys: Vec<&String> = alerts.keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "security:bruteforce:198.51.100.1",
                "security:bruteforce:198.51.100.4"
            ],
            "{engine:?}"
        );
        let burst = &alerts["security:bruteforce:198.51.100.1"];
        assert_eq!(burst["alertType"], "SECURITY_ALERT");
        assert_eq!(burst["severity"], "CRITICAL");
        assert_eq!(burst["observedValue"], 20.0);
        assert_eq!(burst["threshold"], 20.0);
        // the old burst leaves the seven days: resolved; the other stays
        let wait = (leaving + Duration::days(7) + Duration::milliseconds(300) - Utc::now())
            .to_std()
            .unwrap_or_default();
        tokio::time::sleep(wait).await;
        let report = evaluate(&app).await;
        assert_eq!((report.resolved, report.updated), (1, 1), "{report:?}");
        let alerts = active(&app).await;
        assert_eq!(alerts.len(), 1);
        assert!(alerts.contains_key("security:bruteforce:198.51.100.1"));
        // the security group counts the engine's own alerts
        let security = app
            .data(
                "{ security(filter: {period: LAST_24H}) { securityAlerts } }",
                json!({}),
            )
            .await;
        assert_eq!(security["security"]["securityAlerts"], 2);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_failed_login_spike_needs_three_times_the_median_hour_and_fifty() {
    for engine in engines() {
        let app = app_on(&engine, |_| {}).await;
        let now = Utc::now();
        // the previous 7 days: one failure in the middle of each hour (median 1 per hour),
        // each from its own address
        for k in 1..=168 {
            app.load(&failures(
                &format!("10.0.{}.{}", k / 200, k % 200),
                [now - Duration::hours(k) - Duration::minutes(30)],
            ))
            .await;
        }
        // the last hour: 49 failures from 49 addresses
        let hour: Vec<_> = (0..49)
            .map(|i| now - Duration::minutes(50) + Duration::seconds(i))
            .collect();
        for (i, t) in hour.iter().enumerate() {
            app.load(&failures(&format!("172.16.0.{i}"), [*t])).await;
        }
        let report = evaluate(&app).await;
        assert!(report.failed.is_empty(), "{report:?}");
        assert!(active(&app).await.is_empty(), "49 is below the floor of 50");
        app.load(&failures("172.16.1.1", [now - Duration::minutes(10)]))
            .await;
        evaluate(&app).await;
        let alerts = active(&app).await;
        let spike = &alerts["security:spike"];
        assert_eq!(spike["severity"], "CRITICAL");
        assert_eq!(spike["observedValue"], 50.0);
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        app.cleanup().await;
    }
}

/// Users created at noon (UTC) `k` days before today, `n` of them each.
fn new_users(days: &[(i64, i64)]) -> String {
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let mut rows = Vec::new();
    let mut id = 100;
    for (k, n) in days {
        for _ in 0..*n {
            let t = at(today - Duration::days(*k));
            rows.push(format!(
                "({id}, 'u{id}@example.org', 'User {id}', 'client', 'Bamako', TRUE, {t}, {t}, NULL)"
            ));
            id += 1;
        }
    }
    format!(
        "INSERT INTO users (id, email, full_name, role, city, is_active, created_at, updated_at, last_login) VALUES {}",
        rows.join(", ")
    )
}

#[tokio::test]
async fn anomalies_and_trend_changes_on_the_daily_series() {
    // 28 days of history (2, 3, 4 new users a day by day number), then yesterday
    let history: Vec<(i64, i64)> = (2..=29).map(|k| (k, [2, 3, 4][(k % 3) as usize])).collect();
    for engine in engines() {
        // yesterday 20: median 3, median deviation 1, z = 0.6745 * 17 = 11.47 > 3.5;
        // last 7 days: 3+2+4+3+2+4 (days 7..2) + 20 = 38; the 7 before (days 14..8):
        // 4+3+2+4+3+2+4 = 22; +72.7 % > 30 % on a base of 22 >= 20
        let app = app_on(&engine, |_| {}).await;
        let mut days = history.clone();
        days.push((1, 20));
        app.load(&new_users(&days)).await;
        let report = evaluate(&app).await;
        assert!(report.failed.is_empty(), "{report:?}");
        let alerts = active(&app).await;
        let mut keys: Vec<&String> = alerts.keys().collect();
        keys.sort();
        assert_eq!(keys, ["anomaly:newUsers", "trend:newUsers"], "{engine:?}");
        let anomaly = &alerts["anomaly:newUsers"];
        assert_eq!(anomaly["alertType"], "ANOMALY_DETECTED");
        assert_eq!(anomaly["severity"], "WARNING");
        assert_eq!(anomaly["observedValue"], 20.0);
        let trend = &alerts["trend:newUsers"];
        assert_eq!(trend["alertType"], "TREND_CHANGE");
        assert_eq!(trend["severity"], "INFO");
        let change = trend["observedValue"].as_f64().unwrap();
        assert!(
            (change - (38.0 - 22.0) / 22.0 * 100.0).abs() < 1e-9,
            "{change}"
        );
        app.cleanup().await;

        // yesterday 3: z = 0, last week 21 against 22 (-4.5 %): quiet
        let app = app_on(&engine, |_| {}).await;
        let mut days = history.clone();
        days.push((1, 3));
        app.load(&new_users(&days)).await;
        evaluate(&app).await;
        assert!(active(&app).await.is_empty());
        app.cleanup().await;
    }
}

#[tokio::test]
async fn a_computation_over_its_budget_is_a_performance_issue() {
    let app = app_on(&Engine::Sqlite, |s| {
        s.performance_budget = std::time::Duration::ZERO
    })
    .await;
    evaluate(&app).await;
    let alerts = active(&app).await;
    let slow: Vec<&String> = alerts
        .keys()
        .filter(|k| k.starts_with("performance:"))
        .collect();
    assert!(!slow.is_empty(), "{alerts:?}");
    let alert = &alerts[slow[0]];
    assert_eq!(alert["alertType"], "PERFORMANCE_ISSUE");
    assert_eq!(alert["threshold"], 0.0);
    app.cleanup().await;
    // within a generous budget: quiet
    let app = app_on(&Engine::Sqlite, |_| {}).await;
    evaluate(&app).await;
    assert!(
        active(&app)
            .await
            .keys()
            .all(|k| !k.starts_with("performance:"))
    );
    app.cleanup().await;
}

#[tokio::test]
async fn admins_acknowledge_and_resolve_and_alerts_page_newest_first() {
    for engine in engines() {
        let app = app_on(&engine, |_| {}).await;
        // three rules that always hold (at least 0 logins), of three severities
        for (i, severity) in ["INFO", "WARNING", "CRITICAL"].iter().enumerate() {
            let input = json!({"name": format!("Toujours {i}"), "metricPath": "security.totalLogins",
                               "comparator": "GTE", "threshold": 0, "severity": severity, "cooldownMinutes": 0});
            app.data(CREATE, json!({"input": input})).await;
        }
        evaluate(&app).await;
        let page = "query($first: Int, $after: String, $filter: AlertFilter) { alerts(first: $first, after: $after, filter: $filter) { edges { cursor node { id severity } } pageInfo { hasNextPage endCursor } } }";
        let first = app.data(page, json!({"first": 2})).await;
        let ids: Vec<&str> = first["alerts"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap())
            .collect();
        // raised in one evaluation (same instant): newest first by id
        assert_eq!(ids, ["3", "2"]);
        assert_eq!(first["alerts"]["pageInfo"]["hasNextPage"], true);
        let after = first["alerts"]["pageInfo"]["endCursor"].clone();
        let rest = app.data(page, json!({"first": 2, "after": after})).await;
        assert_eq!(rest["alerts"]["edges"][0]["node"]["id"], "1");
        assert_eq!(rest["alerts"]["pageInfo"]["hasNextPage"], false);
        let critical = app
            .data(page, json!({"filter": {"minSeverity": "WARNING"}}))
            .await;
        let severities: Vec<&str> = critical["alerts"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["severity"].as_str().unwrap())
            .collect();
        assert_eq!(severities, ["CRITICAL", "WARNING"]);
        let token = app.token(1, 1);
        for (first, after) in [
            (json!(0), json!(null)),
            (json!(101), json!(null)),
            (json!(5), json!("nope")),
        ] {
            let (_, body) = app
                .post(Some(&token), page, json!({"first": first, "after": after}))
                .await;
            assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{body}");
        }
        // acknowledge: who and when, still active
        let ack = "mutation($id: ID!) { acknowledgeAlert(id: $id) { id isActive acknowledgedAt acknowledgedBy { email } } }";
        let acked = app.data(ack, json!({"id": "2"})).await["acknowledgeAlert"].clone();
        assert_eq!(acked["isActive"], true);
        assert_eq!(acked["acknowledgedBy"]["email"], "admin@example.org");
        assert!(acked["acknowledgedAt"].is_string());
        // resolve by hand: inactive, with who and when; the condition still holds, the
        // cooldown is 0: raised again at the next evaluation
        let resolve = "mutation($id: ID!) { resolveAlert(id: $id) { id isActive resolvedAt resolvedBy { email } } }";
        let resolved = app.data(resolve, json!({"id": "2"})).await["resolveAlert"].clone();
        assert_eq!(resolved["isActive"], false);
        assert_eq!(resolved["resolvedBy"]["email"], "admin@example.org");
        let report = evaluate(&app).await;
        assert_eq!(report.raised.len(), 1, "{report:?}");
        // errors: unknown, malformed, not an admin
        let (_, body) = app.post(Some(&token), ack, json!({"id": "999"})).await;
        assert_eq!(codes(&body), ["NOT_FOUND"]);
        let (_, body) = app.post(Some(&token), resolve, json!({"id": "x"})).await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
        let (_, body) = app
            .post(Some(&app.token(2, 1)), resolve, json!({"id": "1"}))
            .await;
        assert_eq!(codes(&body), ["FORBIDDEN"]);
        let (_, body) = app
            .post(
                Some(&app.token(2, 1)),
                "{ alerts { edges { node { id } } } }",
                json!({}),
            )
            .await;
        assert_eq!(codes(&body), ["FORBIDDEN"]);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn new_alerts_reach_alert_raised_at_or_above_the_severity() {
    let app = app_on(&Engine::Sqlite, |_| {}).await;
    let addr = app.serve().await;
    app.state.alerts.spawn_feed();
    let mut client = Client::signed_in(addr, &app.token(1, 1)).await;
    client
        .subscribe(
            "a",
            "subscription { alertRaised(minSeverity: WARNING) { id severity dedupKey alertType } }",
        )
        .await;
    // let the feed read its starting point
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for severity in ["INFO", "CRITICAL"] {
        let input = json!({"name": severity, "metricPath": "security.totalLogins",
                           "comparator": "GTE", "threshold": 0, "severity": severity});
        app.data(CREATE, json!({"input": input})).await;
    }
    evaluate(&app).await;
    let payload = client.next_payload("a").await;
    assert_eq!(
        payload["data"]["alertRaised"]["severity"], "CRITICAL",
        "{payload}"
    );
    assert_eq!(
        payload["data"]["alertRaised"]["alertType"],
        "THRESHOLD_EXCEEDED"
    );
    // the INFO one is not sent
    let more = tokio::time::timeout(
        std::time::Duration::from_millis(2500),
        client.next_message(),
    )
    .await;
    assert!(
        more.is_err() || matches!(more, Ok(Frame::Json(ref v)) if v["type"] != "next"),
        "{more:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_webhook_receives_each_new_alert_signed() {
    use axum::routing::post;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Option<String>, bytes::Bytes)>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hook = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: bytes::Bytes| {
            let tx = tx.clone();
            async move {
                let signature = headers
                    .get("x-teliman-signature")
                    .map(|v| v.to_str().unwrap().to_string());
                tx.send((signature, body)).unwrap();
                "ok"
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, hook).await });
    let secret = "webhook-secret-for-tests";
    let app = TestApp::with_config(&Engine::Sqlite, chrono_tz::UTC, |c| {
        c.alerts.webhook_url = Some(format!("http://{addr}/hook"));
        c.alerts.webhook_secret = Some(teliman_stats::config::Secret::new(secret));
    })
    .await;
    app.load(&people()).await;
    app.load("UPDATE statistics_alert_rules SET enabled = FALSE")
        .await;
    for severity in ["INFO", "WARNING"] {
        let input = json!({"name": severity, "metricPath": "security.totalLogins",
                           "comparator": "GTE", "threshold": 0, "severity": severity});
        app.data(CREATE, json!({"input": input})).await;
    }
    evaluate(&app).await;
    let (signature, body) = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .expect("the webhook within 10 s")
        .unwrap();
    let expected = teliman_stats::alerts::webhook::signature(
        &teliman_stats::config::Secret::new(secret),
        &body,
    );
    assert_eq!(signature.as_deref(), Some(expected.as_str()));
    // checked independently: HMAC-SHA256 of the body under the secret
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&body);
    assert_eq!(
        expected,
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    );
    let sent: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        sent["alert"]["severity"], "WARNING",
        "the INFO alert is below the webhook's bound"
    );
    assert_eq!(sent["alert"]["alertType"], "THRESHOLD_EXCEEDED");
    let more = tokio::time::timeout(std::time::Duration::from_millis(1000), rx.recv()).await;
    assert!(more.is_err(), "only one alert at or above WARNING");
    app.cleanup().await;
}

#[tokio::test]
async fn two_gateways_on_one_postgresql_evaluate_once_and_both_serve_alert_raised() {
    let first = TestApp::with_config(&postgres(), chrono_tz::UTC, |c| {
        c.alerts.interval = std::time::Duration::from_millis(400);
    })
    .await;
    first.load(&people()).await;
    first
        .load("UPDATE statistics_alert_rules SET enabled = FALSE")
        .await;
    let input = json!({"name": "Toujours", "metricPath": "security.totalLogins",
                       "comparator": "GTE", "threshold": 0, "severity": "CRITICAL", "cooldownMinutes": 0});
    first.data(CREATE, json!({"input": input})).await;
    // a second gateway on the same database
    let db = teliman_stats::db::connect(&first.url(), std::time::Duration::from_secs(2), 5)
        .await
        .unwrap();
    let mut config = crate::helpers::test_config(&first.url(), chrono_tz::UTC);
    config.alerts.interval = std::time::Duration::from_millis(400);
    let second = teliman_stats::app::AppState::new(db.clone(), config);
    let mut raised = second.alerts.subscribe();
    let mut tasks = first.state.alerts.spawn();
    tasks.extend(second.alerts.spawn());
    let alert = tokio::time::timeout(std::time::Duration::from_secs(10), raised.recv())
        .await
        .expect("the second gateway hears of the alert")
        .unwrap();
    assert_eq!(alert.dedup_key, "rule:3");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    for task in tasks {
        task.abort();
    }
    use std::sync::atomic::Ordering::Relaxed;
    let (a, b) = (
        first.state.alerts.evaluations.load(Relaxed),
        second.alerts.evaluations.load(Relaxed),
    );
    assert!(
        (a > 0) != (b > 0),
        "one evaluator only: {a} and {b} evaluations"
    );
    let all = first
        .data(
            "{ alerts(first: 100) { edges { node { dedupKey isActive } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        all["alerts"]["edges"],
        json!([{"node": {"dedupKey": "rule:3", "isActive": true}}]),
        "one alert, raised once, kept active"
    );
    db.close().await.ok();
    first.cleanup().await;
}

#[tokio::test]
async fn the_demo_data_shows_its_brute_force_burst() {
    let app = TestApp::new(&Engine::Sqlite).await;
    teliman_stats::seed::run(
        &app.db,
        &teliman_stats::seed::SeedOptions {
            users: 50,
            requests: 200,
            logins: Some(2_000),
            days: 30,
            seed: 7,
            now: Utc::now(),
            vacuum: false,
        },
    )
    .await
    .unwrap();
    evaluate(&app).await;
    let alerts = active(&app).await;
    let key = format!("security:bruteforce:{}", teliman_stats::seed::ATTACKER_IP);
    assert!(
        alerts.contains_key(&key),
        "{:?}",
        alerts.keys().collect::<Vec<_>>()
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_rate_over_nothing_raises_nothing_and_a_real_zero_does() {
    for engine in engines() {
        let app = app_on(&engine, |_| {}).await;
        // the system rule on the success rate (below 25 % over 7 days), on again
        app.load("UPDATE statistics_alert_rules SET enabled = TRUE WHERE metric = 'requests.successRate'")
            .await;
        // no request in the 7 days: the rate is served as 0 but rests on nothing
        evaluate(&app).await;
        assert!(active(&app).await.is_empty());
        // three pending requests: 0 completed of 3, a real 0 % < 25 %
        app.load(&requests(1, 3)).await;
        evaluate(&app).await;
        let alerts = active(&app).await;
        assert_eq!(alerts["rule:2"]["observedValue"], 0.0, "{engine:?}");
        assert_eq!(alerts["rule:2"]["threshold"], 25.0);
        app.cleanup().await;
    }
}
