//! `teliman-stats bench-live`: a load generator for the live feed, run as a process of its
//! own. It opens N WebSocket connections to a gateway, subscribes each to `liveStats`, and
//! measures, for every value after the first (the latest tick's, sent at once), the delivery
//! lag: the time it arrived minus its `computedAt` (both clocks are this machine's). It
//! prints the lag's percentiles, the values received and the distinct computations seen.

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// What the subscribers saw.
#[derive(Debug, Default)]
pub struct LiveLoad {
    /// Subscribers that received their first value.
    pub subscribed: usize,
    /// Delivery lags in milliseconds (values after the first).
    pub lags_ms: Vec<f64>,
    /// Distinct `computedAt` of those values: the computations they came from.
    pub computations: BTreeSet<String>,
    /// Connections that failed or closed early.
    pub failures: usize,
}

#[derive(Default)]
struct Shared {
    lags_ms: Vec<f64>,
    computations: BTreeSet<String>,
    subscribed: usize,
    failures: usize,
}

/// Opens `subscribers` connections to `ws_url` (at most `ramp` handshakes at a time),
/// subscribes each with `interval` seconds, and measures for `duration` once all are in.
pub async fn run(
    ws_url: &str,
    token: &str,
    subscribers: usize,
    interval: u32,
    duration: Duration,
    ramp: usize,
) -> anyhow::Result<LiveLoad> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) if (n as usize) < subscribers + 64 => {
            anyhow::bail!("only {n} open files allowed: fewer than the subscribers asked")
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(error = %err, "cannot raise the open-file limit"),
    }
    let shared = Arc::new(Mutex::new(Shared::default()));
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let gate = Arc::new(tokio::sync::Semaphore::new(ramp));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<bool>();
    let query =
        format!("subscription {{ liveStats(intervalSeconds: {interval}) {{ computedAt }} }}");
    let mut tasks = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        let (url, token, query) = (ws_url.to_string(), token.to_string(), query.clone());
        let (shared, measuring, gate, ready) = (
            shared.clone(),
            measuring.clone(),
            gate.clone(),
            ready_tx.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let result =
                subscriber(&url, &token, &query, i, &shared, &measuring, &gate, &ready).await;
            if result.is_err() {
                let _ = ready.send(false);
                lock(&shared).failures += 1;
            }
        }));
    }
    drop(ready_tx);
    let mut answered = 0;
    while answered < subscribers {
        match tokio::time::timeout(Duration::from_secs(120), ready_rx.recv()).await {
            Ok(Some(_)) => answered += 1,
            _ => break,
        }
    }
    measuring.store(true, std::sync::atomic::Ordering::Release);
    tokio::time::sleep(duration).await;
    measuring.store(false, std::sync::atomic::Ordering::Release);
    for task in &tasks {
        task.abort();
    }
    let shared = lock(&shared);
    Ok(LiveLoad {
        subscribed: shared.subscribed,
        lags_ms: shared.lags_ms.clone(),
        computations: shared.computations.clone(),
        failures: shared.failures,
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[allow(clippy::too_many_arguments)]
async fn subscriber(
    url: &str,
    token: &str,
    query: &str,
    i: usize,
    shared: &Mutex<Shared>,
    measuring: &std::sync::atomic::AtomicBool,
    gate: &tokio::sync::Semaphore,
    ready: &tokio::sync::mpsc::UnboundedSender<bool>,
) -> anyhow::Result<()> {
    let mut permit = Some(gate.acquire().await?);
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(request, Some(config), true)
        .await
        .context("connect")?;
    let init =
        json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
    socket.send(Message::Text(init.to_string().into())).await?;
    let subscribe =
        json!({"type": "subscribe", "id": format!("s{i}"), "payload": {"query": query}});
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await?;
    let mut first = true;
    while let Some(message) = socket.next().await {
        let text = match message? {
            Message::Text(text) => text,
            Message::Close(frame) => anyhow::bail!("closed: {frame:?}"),
            _ => continue,
        };
        let received = chrono::Utc::now();
        let v: Value = serde_json::from_str(text.as_str())?;
        match v["type"].as_str() {
            Some("next") => {}
            Some("ping") => {
                socket
                    .send(Message::Text(r#"{"type":"pong"}"#.into()))
                    .await?;
                continue;
            }
            Some("connection_ack") | Some("pong") => continue,
            _ => anyhow::bail!("unexpected message: {v}"),
        }
        let computed_at = v["payload"]["data"]["liveStats"]["computedAt"]
            .as_str()
            .context("no computedAt")?;
        if first {
            first = false;
            lock(shared).subscribed += 1;
            let _ = ready.send(true);
            permit.take();
            continue;
        }
        if !measuring.load(std::sync::atomic::Ordering::Acquire) {
            continue;
        }
        let at = chrono::DateTime::parse_from_rfc3339(computed_at)?;
        let lag = (received - at.with_timezone(&chrono::Utc))
            .num_microseconds()
            .unwrap_or(0);
        let mut shared = lock(shared);
        shared.lags_ms.push(lag as f64 / 1000.0);
        if !shared.computations.contains(computed_at) {
            shared.computations.insert(computed_at.to_string());
        }
    }
    anyhow::bail!("the server closed the connection")
}

/// The report as Markdown lines.
pub fn report(load: &LiveLoad, subscribers: usize, interval: u32) -> String {
    let mut lags = load.lags_ms.clone();
    lags.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        if lags.is_empty() {
            f64::NAN
        } else {
            lags[((lags.len() as f64 * q).ceil() as usize).clamp(1, lags.len()) - 1]
        }
    };
    format!(
        "| subscribers | interval | subscribed | failures | values measured | computations seen | lag p50 | lag p99 | lag max |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\
         | {subscribers} | {interval} s | {} | {} | {} | {} | {:.0} ms | {:.0} ms | {:.0} ms |\n",
        load.subscribed,
        load.failures,
        lags.len(),
        load.computations.len(),
        pick(0.5),
        pick(0.99),
        lags.last().copied().unwrap_or(f64::NAN),
    )
}
