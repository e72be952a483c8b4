//! GraphQL over WebSocket at `GET /graphql/ws`: the `graphql-transport-ws` protocol (and
//! the legacy `graphql-ws` one), executed by async-graphql, with what the protocol leaves to
//! the server done here:
//!
//! - authentication by the `connection_init` payload (`{"Authorization": "Bearer <jwt>"}`):
//!   a missing or bad token, or a non-admin (every subscription is admin data), closes the
//!   socket with 4403; so does the token's expiry while connected, and a demotion (the role
//!   is read again every minute);
//! - the protocol's other closes: 4400 (a message that is not one), 4401 (a subscription
//!   before the handshake), 4408 (no `connection_init` within 10 s), 4409 (a subscription
//!   id already running), 4429 (a second `connection_init`);
//! - keep-alive: a `ping` (`ka` in the legacy protocol) every `WS_KEEPALIVE_SECONDS`;
//! - small buffers (4 KiB read buffer, frames written as they come): ten thousand idle
//!   subscribers fit in a few hundred megabytes.

use crate::app::{Routes, authenticate_header};
use crate::auth::{self, Auth};
use crate::stats::live::ConnectionSlots;
use crate::telemetry::TELEMETRY;
use async_graphql::Data;
use async_graphql::http::{ClientMessage, WebSocketProtocols, WsMessage};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderValue;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

/// Longest wait for `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time between two reads of the subscriber's role.
const ROLE_CHECK: Duration = Duration::from_secs(60);
/// Client messages waiting for the executor.
const INBOX: usize = 64;

/// A client message as the executor reads it.
type Inbound = serde_json::Result<ClientMessage>;

/// Upgrades to a WebSocket speaking the first GraphQL protocol the client offers
/// (`graphql-transport-ws` when it names none).
pub(crate) async fn upgrade(State(routes): State<Routes>, mut ws: WebSocketUpgrade) -> Response {
    let protocol = ws
        .requested_protocols()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok());
    if let Some(p) = protocol {
        ws.set_selected_protocol(HeaderValue::from_static(p.sec_websocket_protocol()));
    }
    let protocol = protocol.unwrap_or(WebSocketProtocols::GraphQLWS);
    let max = routes.state.config.max_body_bytes;
    ws.read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| serve(socket, protocol, routes))
}

/// Counts an open connection until dropped.
struct Open;

impl Open {
    fn new() -> Open {
        TELEMETRY.ws_connections.inc();
        Open
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        TELEMETRY.ws_connections.dec();
    }
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// What the handshake ended with.
enum Handshake {
    /// An admin's token, its header value, and when it expires.
    Admitted(Option<serde_json::Value>, String, tokio::time::Instant),
    /// The socket is to be closed with this frame.
    Refused(Message),
    /// The client went away.
    Gone,
}

async fn handshake(
    routes: &Routes,
    source: &mut futures_util::stream::SplitStream<WebSocket>,
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    protocol: WebSocketProtocols,
) -> Handshake {
    loop {
        let text = match source.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Binary(_))) => {
                return Handshake::Refused(close(4400, "Invalid message: expected text"));
            }
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Handshake::Gone,
        };
        match ClientMessage::from_bytes(text.as_str().as_bytes()) {
            Ok(ClientMessage::ConnectionInit { payload }) => {
                return admit(routes, payload).await;
            }
            Ok(ClientMessage::Ping { .. }) if protocol == WebSocketProtocols::GraphQLWS => {
                if sink
                    .send(Message::Text(r#"{"type":"pong"}"#.into()))
                    .await
                    .is_err()
                {
                    return Handshake::Gone;
                }
            }
            Ok(ClientMessage::Start { .. }) => {
                return Handshake::Refused(close(4401, "Unauthorized"));
            }
            Ok(_) => continue,
            Err(_) => return Handshake::Refused(close(4400, "Invalid message")),
        }
    }
}

/// Checks the token of a `connection_init` payload.
async fn admit(routes: &Routes, payload: Option<serde_json::Value>) -> Handshake {
    let header = payload.as_ref().and_then(|p| {
        ["Authorization", "authorization"]
            .iter()
            .find_map(|k| p.get(*k).and_then(|v| v.as_str()))
            .map(str::to_string)
    });
    let Some(header) = header else {
        return Handshake::Refused(close(
            4403,
            "Forbidden: send {\"Authorization\": \"Bearer <token>\"} in the connection_init payload",
        ));
    };
    let claims = header
        .strip_prefix("Bearer ")
        .and_then(|t| auth::verify_claims(&routes.state.config.jwt_secret, t.trim()));
    let Some(claims) = claims else {
        return Handshake::Refused(close(4403, "Forbidden: invalid or expired token"));
    };
    let left = claims.exp - chrono::Utc::now().timestamp();
    if left <= 0 {
        return Handshake::Refused(close(4403, "Forbidden: the token expired"));
    }
    match authenticate_header(&routes.state, Some(&header)).await {
        Auth::User(viewer) if viewer.is_admin() => {
            let expires = tokio::time::Instant::now() + Duration::from_secs(left as u64);
            Handshake::Admitted(payload, header, expires)
        }
        Auth::User(_) => Handshake::Refused(close(
            4403,
            "Forbidden: the statistics subscriptions are for admins",
        )),
        Auth::Unavailable => Handshake::Refused(close(
            1011,
            "the database is unavailable; try again shortly",
        )),
        Auth::Invalid | Auth::Anonymous => {
            Handshake::Refused(close(4403, "Forbidden: invalid or expired token"))
        }
    }
}

async fn serve(socket: WebSocket, protocol: WebSocketProtocols, routes: Routes) {
    let _open = Open::new();
    let (mut sink, mut source) = socket.split();
    let handshake = tokio::time::timeout(
        INIT_TIMEOUT,
        handshake(&routes, &mut source, &mut sink, protocol),
    )
    .await;
    let (payload, header, expires) = match handshake {
        Ok(Handshake::Admitted(payload, header, expires)) => (payload, header, expires),
        Ok(Handshake::Refused(frame)) => {
            let _ = sink.send(frame).await;
            return;
        }
        Ok(Handshake::Gone) => return,
        Err(_) => {
            let _ = sink
                .send(close(4408, "Connection initialisation timeout"))
                .await;
            return;
        }
    };
    let auth = authenticate_header(&routes.state, Some(&header)).await;
    let mut data = Data::default();
    data.insert(auth);
    data.insert(ConnectionSlots::default());
    // messages boxed: a channel allocates its slots in blocks of 32 at once, and an unboxed
    // client message (a whole GraphQL request) would make that block weigh kilobytes on
    // every idle connection
    let (inbox, inbox_rx) = tokio::sync::mpsc::channel::<Box<Inbound>>(INBOX);
    let mut executor = async_graphql::http::WebSocket::from_message_stream(
        routes.schema.clone(),
        tokio_stream::wrappers::ReceiverStream::new(inbox_rx).map(|m| *m),
        protocol,
    )
    .connection_data(data);
    // the executor acknowledges the handshake
    let _ = inbox.try_send(Box::new(Ok(ClientMessage::ConnectionInit { payload })));
    let keepalive = routes.state.config.live.keepalive;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive);
    let mut role = tokio::time::interval_at(tokio::time::Instant::now() + ROLE_CHECK, ROLE_CHECK);
    let expiry = tokio::time::sleep_until(expires);
    tokio::pin!(expiry);
    let ping_text = match protocol {
        WebSocketProtocols::GraphQLWS => r#"{"type":"ping"}"#,
        WebSocketProtocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
    };
    let mut running: HashSet<String> = HashSet::new();
    let mut stopping = routes.state.shutting_down.subscribe();
    loop {
        tokio::select! {
            Ok(()) = stopping.changed() => {
                let _ = sink.send(close(1001, "the server is shutting down")).await;
                break;
            }
            incoming = source.next() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Binary(_))) => {
                        let _ = sink.send(close(4400, "Invalid message: expected text")).await;
                        break;
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                };
                let message = ClientMessage::from_bytes(text.as_str().as_bytes());
                match &message {
                    Ok(ClientMessage::Start { id, .. }) if !running.insert(id.clone()) => {
                        let _ = sink.send(close(4409, &format!("Subscriber for {id} already exists"))).await;
                        break;
                    }
                    Ok(ClientMessage::Stop { id }) => {
                        running.remove(id);
                    }
                    Ok(ClientMessage::ConnectionInit { .. }) => {
                        let _ = sink.send(close(4429, "Too many initialisation requests")).await;
                        break;
                    }
                    Err(_) => {
                        let _ = sink.send(close(4400, "Invalid message")).await;
                        break;
                    }
                    Ok(_) => {}
                }
                if inbox.try_send(Box::new(message)).is_err() {
                    let _ = sink.send(close(1008, "too many messages waiting")).await;
                    break;
                }
            }
            outgoing = executor.next() => match outgoing {
                Some(WsMessage::Text(text)) => {
                    if (text.starts_with(r#"{"type":"complete""#) || text.starts_with(r#"{"type":"error""#))
                        && let Some(id) = serde_json::from_str::<serde_json::Value>(&text)
                            .ok()
                            .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string))
                    {
                        running.remove(&id);
                    }
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    let _ = sink.send(close(code, &reason)).await;
                    break;
                }
                None => break,
            },
            _ = ping.tick() => {
                if sink.send(Message::Text(ping_text.into())).await.is_err() {
                    break;
                }
            }
            _ = &mut expiry => {
                let _ = sink.send(close(4403, "Forbidden: the token expired")).await;
                break;
            }
            _ = role.tick() => {
                match authenticate_header(&routes.state, Some(&header)).await {
                    Auth::User(viewer) if viewer.is_admin() => {}
                    // the database is down: keep serving what the feed has
                    Auth::Unavailable => {}
                    _ => {
                        let _ = sink.send(close(4403, "Forbidden: no longer an admin")).await;
                        break;
                    }
                }
            }
        }
    }
}
