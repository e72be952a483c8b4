//! Dashboards and widgets: ownership (another user's are NOT_FOUND and stay unchanged),
//! validation, default dashboards by role, and a whole dashboard rendered in one query with
//! the same numbers as `globalStatistics`.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{TestApp, codes, engines};
use serde_json::{Value, json};

const LIST: &str = "{ dashboards { id name isDefault widgets { id title widgetType dataSource x y w h config } } }";
const ADD: &str = "mutation($d: ID!, $input: WidgetInput!) { addWidget(dashboardId: $d, input: $input) { id title widgetType dataSource x y w h config } }";

fn widget(kind: &str, path: &str) -> Value {
    json!({"title": "Mon widget", "widgetType": kind, "dataSource": path, "x": 0, "y": 0, "w": 4, "h": 2})
}

#[tokio::test]
async fn admins_get_a_default_dashboard_and_others_none() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let first = app.data(LIST, json!({})).await;
        let dashboards = first["dashboards"].as_array().unwrap();
        assert_eq!(dashboards.len(), 1, "{engine:?}");
        assert_eq!(dashboards[0]["isDefault"], true);
        let widgets: Vec<(String, String)> = dashboards[0]["widgets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["widgetType"].as_str().unwrap().into(),
                    w["dataSource"].as_str().unwrap().into(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = [
            ("KPI", "overview.totalUsers"),
            ("KPI", "overview.totalRequests"),
            ("KPI", "overview.totalRevenue"),
            ("KPI", "overview.avgRating"),
            ("KPI", "requests.successRate"),
            ("LINE", "trends.daily"),
            ("PIE", "financial.paymentMethods"),
            ("TABLE", "technicians.topTechnicians"),
            ("TABLE", "security.suspiciousIps"),
            ("ALERTS", "alerts"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(widgets, expected);
        // a second visit finds it, does not make another
        assert_eq!(app.data(LIST, json!({})).await, first);
        // a client gets none by default, may keep their own, and reads no figure
        let client = app.token(2, 1);
        let (_, body) = app.post(Some(&client), LIST, json!({})).await;
        assert_eq!(body["data"]["dashboards"], json!([]));
        let (_, body) = app
            .post(
                Some(&client),
                "mutation { createDashboard(name: \"Le mien\") { id name isDefault } }",
                json!({}),
            )
            .await;
        let mine = body["data"]["createDashboard"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(body["data"]["createDashboard"]["isDefault"], false);
        let (_, body) = app
            .post(
                Some(&client),
                ADD,
                json!({"d": mine, "input": widget("KPI", "overview.totalUsers")}),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        let (_, body) = app
            .post(
                Some(&client),
                "{ dashboards { widgets { data } } }",
                json!({}),
            )
            .await;
        assert_eq!(codes(&body), ["FORBIDDEN"]);
        let (_, body) = app.post(None, LIST, json!({})).await;
        assert_eq!(codes(&body), ["UNAUTHENTICATED"]);
        app.cleanup().await;
    }
}

#[tokio::test]
async fn another_users_dashboards_and_widgets_are_not_found_and_unchanged() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let before = app.data(LIST, json!({})).await;
        let dashboard = before["dashboards"][0]["id"].as_str().unwrap().to_string();
        let widget_id = before["dashboards"][0]["widgets"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let client = app.token(2, 1);
        let input = widget("KPI", "overview.totalUsers");
        for (case, query, variables) in [
            (
                "widgets",
                "query($d: ID!) { dashboardWidgets(dashboardId: $d) { id } }",
                json!({"d": dashboard}),
            ),
            (
                "rename",
                "mutation($d: ID!) { updateDashboard(id: $d, name: \"x\") { id } }",
                json!({"d": dashboard}),
            ),
            (
                "delete",
                "mutation($d: ID!) { deleteDashboard(id: $d) }",
                json!({"d": dashboard}),
            ),
            ("add", ADD, json!({"d": dashboard, "input": input})),
            (
                "update widget",
                "mutation($w: ID!, $input: WidgetInput!) { updateWidget(id: $w, input: $input) { id } }",
                json!({"w": widget_id, "input": input}),
            ),
            (
                "remove widget",
                "mutation($w: ID!) { removeWidget(id: $w) }",
                json!({"w": widget_id}),
            ),
            (
                "unknown",
                "mutation { removeWidget(id: \"999999\") }",
                json!({}),
            ),
        ] {
            let (_, body) = app.post(Some(&client), query, variables).await;
            assert_eq!(codes(&body), ["NOT_FOUND"], "{case}: {body}");
        }
        assert_eq!(app.data(LIST, json!({})).await, before, "nothing changed");
        // the owner may
        let renamed = app
            .data(
                "mutation($d: ID!) { updateDashboard(id: $d, name: \"Direction\") { name } }",
                json!({"d": dashboard}),
            )
            .await;
        assert_eq!(renamed["updateDashboard"]["name"], "Direction");
        assert_eq!(
            app.data(
                "mutation($w: ID!) { removeWidget(id: $w) }",
                json!({"w": widget_id})
            )
            .await["removeWidget"],
            true
        );
        app.cleanup().await;
    }
}

#[tokio::test]
async fn widgets_are_validated_with_typed_errors() {
    let app = TestApp::new(&crate::helpers::Engine::Sqlite).await;
    app.load(ROWS).await;
    let dashboard = app.data(LIST, json!({})).await["dashboards"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = app.token(1, 1);
    let mut cases = vec![
        ("unknown path", widget("KPI", "financial.nothing")),
        ("a KPI of a series", widget("KPI", "trends.daily")),
        ("a PIE of a scalar", widget("PIE", "overview.totalUsers")),
        ("a LINE of a list", widget("LINE", "requests.byCity")),
        (
            "ALERTS of a scalar",
            widget("ALERTS", "overview.totalUsers"),
        ),
        ("a TABLE of alerts", widget("TABLE", "alerts")),
    ];
    for (case, change) in [
        ("past the 12 columns", json!({"x": 10, "w": 4})),
        ("negative column", json!({"x": -1})),
        ("no width", json!({"w": 0})),
        ("negative row", json!({"y": -3})),
        ("config not JSON", json!({"config": "{nope"})),
        ("empty title", json!({"title": " "})),
    ] {
        let mut w = widget("KPI", "overview.totalUsers");
        w.as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        cases.push((case, w));
    }
    for (case, input) in cases {
        let (_, body) = app
            .post(Some(&token), ADD, json!({"d": dashboard, "input": input}))
            .await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{case}: {body}");
        if case == "unknown path" {
            assert!(
                body["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("financial.nothing")
            );
        }
    }
    // a valid one, with its config kept as JSON text
    let mut ok = widget("BAR", "trends.weekly");
    ok["config"] = json!("{\"color\":\"#1f77b4\"}");
    let added = app.data(ADD, json!({"d": dashboard, "input": ok})).await;
    assert_eq!(added["addWidget"]["widgetType"], "BAR");
    assert_eq!(added["addWidget"]["config"], "{\"color\":\"#1f77b4\"}");
    app.cleanup().await;
}

#[tokio::test]
async fn a_dashboard_renders_in_one_query_with_the_numbers_of_global_statistics() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let dashboard = app.data(LIST, json!({})).await["dashboards"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.data(
            ADD,
            json!({"d": dashboard, "input": widget("KPI", "realtime.openRequests")}),
        )
        .await;
        let filter = json!({"asOf": AS_OF, "period": "LAST_30D"});
        let rendered = app
            .data(
                "query($f: StatsFilter) { dashboards { widgets { dataSource data(filter: $f) } } }",
                json!({"f": filter}),
            )
            .await;
        let api = app
            .data(
                "query($f: StatsFilter) { globalStatistics(filter: $f) {
                    overview { totalUsers totalRequests totalRevenue avgRating }
                    requests { successRate }
                    trends { daily { bucketStart requests completed revenue newUsers } }
                    financial { paymentMethods { method count total } }
                    technicians { topTechnicians { technicianId name specialty city avgRating reviews completedRequests revenue } }
                    security { suspiciousIps { ipAddress failed lastSeen } }
                    meta { asOf }
                } realTimeStats { openRequests }
                alerts(filter: {active: true}, first: 100) { edges { node { id dedupKey severity } } } }",
                json!({"f": filter}),
            )
            .await;
        let g = &api["globalStatistics"];
        let expected = |path: &str| -> Value {
            match path {
                "realtime.openRequests" => api["realTimeStats"]["openRequests"].clone(),
                "alerts" => api["alerts"]["edges"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["node"].clone())
                    .collect(),
                _ => {
                    let (group, field) = path.split_once('.').unwrap();
                    g[group][field].clone()
                }
            }
        };
        let widgets = rendered["dashboards"][0]["widgets"].as_array().unwrap();
        assert_eq!(widgets.len(), 11);
        for w in widgets {
            let path = w["dataSource"].as_str().unwrap();
            let data: Value = serde_json::from_str(w["data"].as_str().unwrap()).unwrap();
            let mut value = data["value"].clone();
            let want = expected(path);
            if path == "alerts" {
                // the fields the query asked
                value = value
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| json!({"id": a["id"], "dedupKey": a["dedupKey"], "severity": a["severity"]}))
                    .collect();
                assert_eq!(
                    value.as_array().unwrap().len(),
                    2,
                    "the fixture's two active alerts"
                );
            }
            let value = &value;
            // instants compare as instants (serde and GraphQL write fractions differently)
            assert_eq!(normalize(value), normalize(&want), "{engine:?} {path}");
            assert!(
                data["computedAt"].is_string() && data["stale"] == false,
                "{data}"
            );
            if !path.starts_with("realtime") && path != "alerts" {
                assert_eq!(
                    instant(&data["asOf"]),
                    instant(&g["meta"]["asOf"]),
                    "{path}"
                );
            }
        }
        // units come from the catalog
        let revenue = widgets
            .iter()
            .find(|w| w["dataSource"] == "overview.totalRevenue")
            .unwrap();
        let data: Value = serde_json::from_str(revenue["data"].as_str().unwrap()).unwrap();
        assert_eq!(data["unit"], "money");
        // a bad filter is BAD_USER_INPUT
        let (_, body) = app
            .post(
                Some(&app.token(1, 1)),
                "{ dashboards { widgets { data(filter: {city: \"a\\u0001b\"}) } } }",
                json!({}),
            )
            .await;
        assert!(
            codes(&body).iter().all(|c| c == "BAD_USER_INPUT") && !codes(&body).is_empty(),
            "{body}"
        );
        app.cleanup().await;
    }
}

fn instant(v: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Strings that are instants become one spelling of them; the rest is kept.
fn normalize(v: &Value) -> Value {
    match v {
        Value::String(s) => match instant(v) {
            Some(t) => Value::String(t.to_rfc3339()),
            None => Value::String(s.clone()),
        },
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        other => other.clone(),
    }
}
