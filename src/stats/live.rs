//! The live feed: one ticker per interval computes the real-time figures once per tick,
//! through the engine, and publishes them on a watch channel every `liveStats` subscriber of
//! that interval reads. A subscriber gets the latest tick's figures at once, then each new
//! one; one that reads slowly skips to the newest (a watch channel holds one value) and never
//! delays the others. A ticker stops at the first tick with no subscriber left.

use super::Engine;
use crate::error::{AppError, AppResult};
use crate::metrics::realtime::RealTimeStats;
use crate::telemetry::TELEMETRY;
use chrono::Utc;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// The latest figures of one interval (`None` before the first tick).
pub type Latest = watch::Receiver<Option<Arc<RealTimeStats>>>;

/// Limits of the live feed.
#[derive(Clone, Debug)]
pub struct LiveSettings {
    /// Shortest interval a subscriber may ask for, in seconds (API: 5).
    pub min_interval: u32,
    /// Longest interval, in seconds (API: 3600).
    pub max_interval: u32,
    /// Most subscriptions on one connection.
    pub max_per_connection: usize,
    /// Most subscriptions on this gateway.
    pub max_total: usize,
    /// Time between two keep-alive pings on a WebSocket.
    pub keepalive: Duration,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings {
            min_interval: 5,
            max_interval: 3600,
            max_per_connection: 20,
            max_total: 20_000,
            keepalive: Duration::from_secs(15),
        }
    }
}

/// The tickers of one gateway.
pub struct LiveFeed {
    engine: Arc<Engine>,
    settings: LiveSettings,
    tickers: Mutex<HashMap<u32, watch::Sender<Option<Arc<RealTimeStats>>>>>,
    open: Arc<AtomicUsize>,
    /// Computations the tickers ran.
    pub computations: AtomicU64,
}

/// One open subscription, counted until dropped.
#[derive(Debug)]
pub struct Slot {
    counters: Vec<Arc<AtomicUsize>>,
    counted: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        for c in &self.counters {
            c.fetch_sub(1, Ordering::AcqRel);
        }
        if self.counted {
            TELEMETRY.subscriptions.dec();
        }
    }
}

/// The subscriptions open on one WebSocket connection (connection data of the schema).
#[derive(Clone, Debug, Default)]
pub struct ConnectionSlots(pub Arc<AtomicUsize>);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Takes one place under `limit` in `counter`, or says the limit is reached.
fn take(counter: &Arc<AtomicUsize>, limit: usize) -> bool {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < limit).then_some(n + 1)
        })
        .is_ok()
}

impl LiveFeed {
    /// A feed over `engine`.
    pub fn new(engine: Arc<Engine>, settings: LiveSettings) -> Arc<Self> {
        Arc::new(LiveFeed {
            engine,
            settings,
            tickers: Mutex::new(HashMap::new()),
            open: Arc::new(AtomicUsize::new(0)),
            computations: AtomicU64::new(0),
        })
    }

    /// The settings.
    pub fn settings(&self) -> &LiveSettings {
        &self.settings
    }

    /// Subscriptions open on this gateway.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Acquire)
    }

    /// A place for one more subscription on a connection holding `connection` of them;
    /// RATE_LIMITED past either cap.
    pub fn admit(&self, connection: Option<&Arc<AtomicUsize>>) -> AppResult<Slot> {
        let mut counters = Vec::with_capacity(2);
        if let Some(connection) = connection {
            if !take(connection, self.settings.max_per_connection) {
                return Err(AppError::TooManySubscriptions(format!(
                    "at most {} subscriptions per connection: complete one before starting another",
                    self.settings.max_per_connection
                )));
            }
            counters.push(connection.clone());
        }
        if !take(&self.open, self.settings.max_total) {
            // give back the connection's place
            drop(Slot {
                counters,
                counted: false,
            });
            return Err(AppError::TooManySubscriptions(format!(
                "this gateway serves at most {} subscriptions; try again later",
                self.settings.max_total
            )));
        }
        counters.push(self.open.clone());
        TELEMETRY.subscriptions.inc();
        Ok(Slot {
            counters,
            counted: true,
        })
    }

    /// Checks an interval asked by a subscriber.
    pub fn check_interval(&self, seconds: i32) -> AppResult<u32> {
        let (min, max) = (self.settings.min_interval, self.settings.max_interval);
        match u32::try_from(seconds) {
            Ok(s) if (min..=max).contains(&s) => Ok(s),
            _ => Err(AppError::bad_input(format!(
                "`intervalSeconds` must be between {min} and {max}, got {seconds}"
            ))),
        }
    }

    /// The latest figures of `interval` seconds, starting its ticker if none runs.
    pub fn subscribe(self: &Arc<Self>, interval: u32) -> Latest {
        let mut tickers = lock(&self.tickers);
        if let Some(sender) = tickers.get(&interval) {
            return sender.subscribe();
        }
        let (sender, receiver) = watch::channel(None);
        tickers.insert(interval, sender.clone());
        tokio::spawn(self.clone().tick(interval, sender));
        receiver
    }

    async fn tick(
        self: Arc<Self>,
        interval: u32,
        sender: watch::Sender<Option<Arc<RealTimeStats>>>,
    ) {
        let mut clock = tokio::time::interval(Duration::from_secs(u64::from(interval)));
        clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let label = interval.to_string();
        loop {
            clock.tick().await;
            {
                // under the map's lock: nobody subscribes between the count and the removal
                let mut tickers = lock(&self.tickers);
                if sender.receiver_count() == 0 {
                    tickers.remove(&interval);
                    return;
                }
            }
            self.computations.fetch_add(1, Ordering::Relaxed);
            TELEMETRY.live_tick(&label);
            match self.engine.realtime(Utc::now()).await {
                Ok(stats) => {
                    sender.send_replace(Some(Arc::new(stats)));
                }
                Err(err) => {
                    tracing::warn!(interval, error = %err, "live figures not computed");
                    // the last figures again, marked stale: subscribers see their age
                    let previous = sender.borrow().clone();
                    if let Some(previous) = previous {
                        let mut stale = (*previous).clone();
                        stale.stale = true;
                        sender.send_replace(Some(Arc::new(stale)));
                    }
                }
            }
        }
    }
}
