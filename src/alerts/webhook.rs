//! Notifications outside the page: each new alert POSTed as JSON to `ALERT_WEBHOOK_URL`,
//! signed with HMAC-SHA256 of the body under `ALERT_WEBHOOK_SECRET` (header
//! `X-Teliman-Signature: sha256=<hex>`), retried with exponential backoff (1 s doubling up
//! to 5 min) for up to an hour, by a task of its own: the evaluation only queues.

use super::Alert;
use crate::config::Secret;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Teliman-Signature";

/// `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &Secret, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The queue in front of the sender task.
pub struct Webhook {
    queue: tokio::sync::mpsc::Sender<Arc<Alert>>,
}

impl Webhook {
    /// Starts the sender task for `url`.
    pub fn spawn(url: String, secret: Option<Secret>, give_up_after: Duration) -> Webhook {
        let (queue, mut rx) = tokio::sync::mpsc::channel::<Arc<Alert>>(10_000);
        // TLS through rustls with ring (a no-op when the process installed one already)
        let _ = rustls::crypto::ring::default_provider().install_default();
        tokio::spawn(async move {
            let client = match reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
            {
                Ok(client) => client,
                Err(err) => {
                    tracing::error!(error = %err, "the alert webhook cannot start");
                    return;
                }
            };
            while let Some(alert) = rx.recv().await {
                // each delivery retries on its own: a dead endpoint delays no later alert
                // beyond the queue's order
                let (client, url, secret) = (client.clone(), url.clone(), secret.clone());
                tokio::spawn(async move {
                    deliver(&client, &url, secret.as_ref(), &alert, give_up_after).await
                });
            }
        });
        Webhook { queue }
    }

    /// Queues an alert; never waits (a full queue drops it with a warning).
    pub fn send(&self, alert: Arc<Alert>) {
        if self.queue.try_send(alert).is_err() {
            tracing::warn!("the alert webhook queue is full: an alert was not sent");
        }
    }
}

async fn deliver(
    client: &reqwest::Client,
    url: &str,
    secret: Option<&Secret>,
    alert: &Alert,
    give_up_after: Duration,
) {
    let Ok(body) = serde_json::to_vec(&serde_json::json!({ "alert": alert })) else {
        return;
    };
    let started = std::time::Instant::now();
    let mut wait = Duration::from_secs(1);
    loop {
        let mut request = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.clone());
        if let Some(secret) = secret {
            request = request.header(SIGNATURE_HEADER, signature(secret, &body));
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => return,
            Ok(response) => {
                tracing::warn!(status = %response.status(), alert = %alert.dedup_key, "alert webhook refused")
            }
            Err(err) => {
                // the URL may carry credentials: only the error's kind is logged
                tracing::warn!(timeout = err.is_timeout(), connect = err.is_connect(), alert = %alert.dedup_key, "alert webhook unreachable")
            }
        }
        if started.elapsed() + wait > give_up_after {
            tracing::error!(alert = %alert.dedup_key, "alert webhook: gave up after an hour");
            return;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(300));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_the_rfc_4231_hmac() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            signature(&Secret::new("Jefe"), b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
