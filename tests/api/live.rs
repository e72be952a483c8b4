//! The live feed over a real WebSocket: the graphql-transport-ws protocol (and the legacy
//! one), authentication and its close codes, one computation per tick whatever the number of
//! subscribers, slow subscribers, caps and bad input.

use crate::fixture::ROWS;
use crate::helpers::{Engine, TestApp};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the server sent.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// A JSON message.
    Json(Value),
    /// A close frame: code and reason.
    Closed(u16, String),
}

/// A WebSocket client speaking a GraphQL protocol for real.
pub struct Client {
    socket: Socket,
}

impl Client {
    /// Opens a socket offering `protocol`.
    pub async fn connect(addr: SocketAddr, protocol: &str) -> Client {
        let mut request = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
        let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(
            response.headers()["sec-websocket-protocol"]
                .to_str()
                .unwrap(),
            protocol
        );
        Client { socket }
    }

    /// Opens a socket and completes the handshake with `token` (graphql-transport-ws).
    pub async fn signed_in(addr: SocketAddr, token: &str) -> Client {
        let mut client = Client::connect(addr, "graphql-transport-ws").await;
        client
            .send(json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}}))
            .await;
        assert_eq!(
            client.next().await,
            Frame::Json(json!({"type": "connection_ack"}))
        );
        client
    }

    /// Sends a JSON message.
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    /// Starts a subscription.
    pub async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({"type": "subscribe", "id": id, "payload": {"query": query}}))
            .await;
    }

    /// The next frame (within 10 s), keep-alive pings included.
    pub async fn next(&mut self) -> Frame {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
                .await
                .expect("a frame within 10 s");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Frame::Json(serde_json::from_str(text.as_str()).unwrap());
                }
                Some(Ok(Message::Close(Some(frame)))) => {
                    return Frame::Closed(frame.code.into(), frame.reason.to_string());
                }
                Some(Ok(Message::Close(None))) | None | Some(Err(_)) => {
                    return Frame::Closed(0, String::new());
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    /// The next frame that is not a keep-alive ping.
    pub async fn next_message(&mut self) -> Frame {
        loop {
            match self.next().await {
                Frame::Json(v) if v["type"] == "ping" || v["type"] == "ka" => continue,
                other => return other,
            }
        }
    }

    /// The payload of the next `next` message of subscription `id`.
    pub async fn next_payload(&mut self, id: &str) -> Value {
        match self.next_message().await {
            Frame::Json(v) if v["type"] == "next" && v["id"] == id => v["payload"].clone(),
            other => panic!("expected a `next` of {id}, got {other:?}"),
        }
    }
}

const LIVE: &str = "subscription { liveStats(intervalSeconds: 1) { asOf computedAt stale openRequests last24h { newRequests revenue } } }";

fn live(interval: i32) -> String {
    format!(
        "subscription {{ liveStats(intervalSeconds: {interval}) {{ computedAt openRequests }} }}"
    )
}

async fn app_with(tweak: impl FnOnce(&mut teliman_stats::config::Config)) -> (TestApp, SocketAddr) {
    let app = TestApp::with_config(&Engine::Sqlite, chrono_tz::UTC, |c| {
        c.live.min_interval = 1;
        c.live.keepalive = Duration::from_secs(1);
        tweak(c);
    })
    .await;
    app.load(ROWS).await;
    let addr = app.serve().await;
    (app, addr)
}

#[tokio::test]
async fn subscriptions_speak_graphql_transport_ws() {
    let (app, addr) = app_with(|_| {}).await;
    let mut client = Client::signed_in(addr, &app.token(1, 1)).await;
    client.send(json!({"type": "ping"})).await;
    assert_eq!(
        client.next_message().await,
        Frame::Json(json!({"type": "pong"}))
    );
    client.subscribe("live", LIVE).await;
    let first = client.next_payload("live").await;
    // the feed serves the figures `realTimeStats` gives
    let query = app
        .data("{ realTimeStats { openRequests } }", json!({}))
        .await;
    assert_eq!(
        first["data"]["liveStats"]["openRequests"],
        query["realTimeStats"]["openRequests"]
    );
    assert_eq!(first["data"]["liveStats"]["stale"], false);
    let second = client.next_payload("live").await;
    assert!(
        second["data"]["liveStats"]["computedAt"].as_str()
            > first["data"]["liveStats"]["computedAt"].as_str(),
        "{first} then {second}"
    );
    // keep-alive pings arrive on their own (every second in this test)
    let mut saw_ping = false;
    for _ in 0..5 {
        if let Frame::Json(v) = client.next().await
            && v["type"] == "ping"
        {
            saw_ping = true;
            break;
        }
    }
    assert!(saw_ping, "no keep-alive ping");
    let completed_at = chrono::Utc::now();
    client.send(json!({"type": "complete", "id": "live"})).await;
    // after complete: no value computed later (one computed before the server read the
    // complete may still be on its way) for two ticks and more
    let late = tokio::time::timeout(Duration::from_millis(2500), async {
        loop {
            if let Frame::Json(v) = client.next().await
                && v["type"] == "next"
            {
                let computed: chrono::DateTime<chrono::Utc> =
                    v["payload"]["data"]["liveStats"]["computedAt"]
                        .as_str()
                        .unwrap()
                        .parse()
                        .unwrap();
                if computed > completed_at + chrono::Duration::milliseconds(200) {
                    return v;
                }
            }
        }
    })
    .await;
    assert!(late.is_err(), "a value computed after complete: {late:?}");
    app.cleanup().await;
}

#[tokio::test]
async fn the_legacy_graphql_ws_protocol_works_too() {
    let (app, addr) = app_with(|_| {}).await;
    let mut client = Client::connect(addr, "graphql-ws").await;
    client
        .send(json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {}", app.token(1, 1))}}))
        .await;
    assert_eq!(
        client.next_message().await,
        Frame::Json(json!({"type": "connection_ack"}))
    );
    client
        .send(json!({"type": "start", "id": "1", "payload": {"query": LIVE}}))
        .await;
    match client.next_message().await {
        Frame::Json(v) => {
            assert_eq!(v["type"], "data", "{v}");
            assert!(v["payload"]["data"]["liveStats"]["computedAt"].is_string());
        }
        other => panic!("{other:?}"),
    }
    app.cleanup().await;
}

#[tokio::test]
async fn missing_bad_expired_and_non_admin_tokens_close_with_4403() {
    let (app, addr) = app_with(|_| {}).await;
    let cases = [
        ("no payload", json!({"type": "connection_init"})),
        (
            "a bad token",
            json!({"type": "connection_init", "payload": {"Authorization": "Bearer not-a-jwt"}}),
        ),
        (
            "an expired token",
            json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {}", app.token_for_seconds(1, -5))}}),
        ),
        (
            "a client's token",
            json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {}", app.token(2, 1))}}),
        ),
    ];
    for (case, init) in cases {
        let mut client = Client::connect(addr, "graphql-transport-ws").await;
        client.send(init).await;
        match client.next().await {
            Frame::Closed(code, _) => assert_eq!(code, 4403, "{case}"),
            other => panic!("{case}: {other:?}"),
        }
    }
    // a token that expires while connected closes the socket then
    let mut client = Client::signed_in(addr, &app.token_for_seconds(1, 2)).await;
    client.subscribe("live", LIVE).await;
    let started = std::time::Instant::now();
    loop {
        match client.next().await {
            Frame::Closed(code, reason) => {
                assert_eq!(code, 4403, "{reason}");
                assert!(reason.contains("expired"), "{reason}");
                break;
            }
            Frame::Json(_) => assert!(started.elapsed() < Duration::from_secs(5)),
        }
    }
    app.cleanup().await;
}

#[tokio::test]
async fn protocol_errors_close_with_the_protocols_codes() {
    let (app, addr) = app_with(|_| {}).await;
    // a subscription before the handshake: 4401
    let mut client = Client::connect(addr, "graphql-transport-ws").await;
    client.subscribe("1", LIVE).await;
    assert!(matches!(client.next().await, Frame::Closed(4401, _)));
    // not a message: 4400
    let mut client = Client::connect(addr, "graphql-transport-ws").await;
    client
        .socket
        .send(Message::Text("{nope".into()))
        .await
        .unwrap();
    assert!(matches!(client.next().await, Frame::Closed(4400, _)));
    // a second connection_init: 4429
    let mut client = Client::signed_in(addr, &app.token(1, 1)).await;
    client
        .send(json!({"type": "connection_init", "payload": {}}))
        .await;
    assert!(matches!(
        client.next_message().await,
        Frame::Closed(4429, _)
    ));
    // an id already running: 4409
    let mut client = Client::signed_in(addr, &app.token(1, 1)).await;
    client.subscribe("same", LIVE).await;
    client.next_payload("same").await;
    client.subscribe("same", LIVE).await;
    loop {
        match client.next_message().await {
            Frame::Closed(code, reason) => {
                assert_eq!(code, 4409, "{reason}");
                break;
            }
            Frame::Json(v) => assert_eq!(v["id"], "same", "{v}"),
        }
    }
    app.cleanup().await;
}

#[tokio::test]
async fn an_interval_out_of_range_is_bad_user_input() {
    // the default configuration: 5..=3600
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    let addr = app.serve().await;
    let mut client = Client::signed_in(addr, &app.token(1, 1)).await;
    for (id, interval) in [("a", 1), ("b", 4), ("c", 3601), ("d", -5)] {
        client.subscribe(id, &live(interval)).await;
        let refused = first_error(&mut client).await;
        assert_eq!(refused["id"], id);
        assert_eq!(
            refused["error"]["extensions"]["code"], "BAD_USER_INPUT",
            "{refused}"
        );
    }
    app.cleanup().await;
}

#[tokio::test]
async fn two_hundred_subscribers_share_one_computation_per_tick() {
    let (app, addr) = app_with(|_| {}).await;
    let token = app.token(1, 1);
    let started = std::time::Instant::now();
    let mut clients = Vec::new();
    for i in 0..200 {
        let mut client = Client::signed_in(addr, &token).await;
        client.subscribe(&format!("s{i}"), &live(2)).await;
        clients.push((format!("s{i}"), client));
    }
    let metric_before = ticks_in_metrics(&app, "2").await;
    let mut tasks = Vec::new();
    for (id, mut client) in clients {
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..3 {
                let v = client.next_payload(&id).await;
                seen.push(
                    v["data"]["liveStats"]["computedAt"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                );
            }
            seen
        }));
    }
    let mut distinct = BTreeSet::new();
    for task in tasks {
        let seen = task.await.unwrap();
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
        distinct.extend(seen);
    }
    let computations = app
        .state
        .live
        .computations
        .load(std::sync::atomic::Ordering::Relaxed);
    // 600 values came from as many computations as ticks ran (one per tick: at most one per
    // 2 s since the first subscriber, plus the first at once), never more
    assert!(
        distinct.len() as u64 <= computations
            && computations <= started.elapsed().as_secs() / 2 + 2,
        "{} distinct values, {computations} computations",
        distinct.len()
    );
    assert!(distinct.len() >= 3);
    // the same count in /metrics (interval 2 is this test's own)
    let metric = ticks_in_metrics(&app, "2").await;
    assert!(
        metric - metric_before <= computations && metric >= distinct.len() as u64,
        "{metric}"
    );
    app.cleanup().await;
}

async fn ticks_in_metrics(app: &TestApp, interval: &str) -> u64 {
    let (_, body) = app.raw("GET", "/metrics", None, String::new()).await;
    let text = body.as_str().unwrap_or_default().to_string();
    text.lines()
        .find(|l| {
            l.starts_with(&format!(
                "teliman_stats_live_ticks_total{{interval=\"{interval}\"}}"
            ))
        })
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_slow_subscriber_skips_to_the_newest_and_delays_nobody() {
    let (app, addr) = app_with(|_| {}).await;
    let token = app.token(1, 1);
    // a subscriber that reads nothing for 4 s
    let mut slow = Client::signed_in(addr, &token).await;
    slow.subscribe("slow", &live(1)).await;
    let mut fast = Client::signed_in(addr, &token).await;
    fast.subscribe("fast", &live(1)).await;
    let mut at = Vec::new();
    for _ in 0..4 {
        fast.next_payload("fast").await;
        at.push(std::time::Instant::now());
    }
    assert!(
        at.windows(2)
            .all(|w| w[1] - w[0] < Duration::from_millis(1600)),
        "ticks reached the fast subscriber late: {:?}",
        at.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()
    );
    drop(slow);
    // in the feed itself: a reader that falls behind gets the newest value, not a backlog
    let mut latest = app.state.live.subscribe(1);
    latest.changed().await.unwrap();
    let first = latest.borrow_and_update().clone().unwrap();
    tokio::time::sleep(Duration::from_millis(3300)).await;
    assert!(latest.has_changed().unwrap());
    let newest = latest.borrow_and_update().clone().unwrap();
    assert!(newest.computed_at > first.computed_at + chrono::Duration::seconds(2));
    assert!(
        !latest.has_changed().unwrap(),
        "only the newest value waits"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn subscriptions_past_the_caps_are_rate_limited() {
    let (app, addr) = app_with(|c| {
        c.live.max_per_connection = 2;
        c.live.max_total = 3;
    })
    .await;
    let token = app.token(1, 1);
    let mut one = Client::signed_in(addr, &token).await;
    one.subscribe("a", &live(1)).await;
    one.next_payload("a").await;
    one.subscribe("b", "subscription { alertRaised { id } }")
        .await;
    one.subscribe("c", &live(1)).await;
    let refused = first_error(&mut one).await;
    assert_eq!(refused["id"], "c");
    assert_eq!(refused["error"]["extensions"]["code"], "RATE_LIMITED");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("per connection")
    );
    // a second connection: one more fits in the total of 3, the next does not
    let mut two = Client::signed_in(addr, &token).await;
    two.subscribe("d", &live(1)).await;
    two.next_payload("d").await;
    two.subscribe("e", &live(1)).await;
    let refused = first_error(&mut two).await;
    assert_eq!(refused["id"], "e");
    assert_eq!(refused["error"]["extensions"]["code"], "RATE_LIMITED");
    // completing one frees its place
    one.send(json!({"type": "complete", "id": "a"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    two.subscribe("f", &live(1)).await;
    for _ in 0..20 {
        match two.next_message().await {
            Frame::Json(v) if v["id"] == "f" => {
                assert_eq!(v["type"], "next", "{v}");
                app.cleanup().await;
                return;
            }
            Frame::Json(_) => continue,
            other => panic!("{other:?}"),
        }
    }
    panic!("no value for `f`");
}

/// The first refusal among the next few messages, as `{id, error}`: a protocol `error`
/// (the operation did not start) or a `next` whose payload carries errors (the field
/// refused, GraphQL's way), then `complete`.
async fn first_error(client: &mut Client) -> Value {
    let mut seen = Vec::new();
    for _ in 0..10 {
        match client.next_message().await {
            Frame::Json(v) if v["type"] == "error" => {
                return json!({"id": v["id"], "error": v["payload"][0]});
            }
            Frame::Json(v) if v["type"] == "next" && v["payload"]["errors"].is_array() => {
                return json!({"id": v["id"], "error": v["payload"]["errors"][0]});
            }
            Frame::Json(v) => seen.push(v),
            other => panic!("{other:?}"),
        }
    }
    panic!("no error among {seen:?}");
}

#[tokio::test]
async fn a_subscription_over_http_is_bad_user_input() {
    let app = TestApp::new(&Engine::Sqlite).await;
    let (status, body) = app.post(Some(&app.token(1, 1)), LIVE, json!({})).await;
    assert_eq!(status, axum::http::StatusCode::BAD_REQUEST);
    assert_eq!(crate::helpers::codes(&body), ["BAD_USER_INPUT"]);
    app.cleanup().await;
}

#[tokio::test]
async fn playground_subscriptions_run_cleanly() {
    let (app, addr) = app_with(|_| {}).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("playground");
    let mut subscriptions = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "graphql") {
            continue;
        }
        let query = std::fs::read_to_string(&path).unwrap();
        if !crate::playground::is_subscription(&query) {
            continue;
        }
        subscriptions += 1;
        let mut client = Client::signed_in(addr, &app.token(1, 1)).await;
        client.subscribe("p", &query).await;
        if query.contains("liveStats") {
            let v = client.next_payload("p").await;
            assert!(v.get("errors").is_none(), "{}: {v}", path.display());
        } else {
            // alertRaised: no error within a second (alerts come when raised)
            let answer = tokio::time::timeout(Duration::from_secs(1), client.next_message()).await;
            if let Ok(Frame::Json(v)) = &answer {
                assert_ne!(v["type"], "error", "{}: {v}", path.display());
            }
        }
    }
    assert!(subscriptions >= 2);
    app.cleanup().await;
}
