//! A deterministic generator of realistic platform data: the same `--seed` gives the same
//! rows. Growth over the months, weekly seasonality, Malian cities, XOF amounts with
//! cents, reviews skewed positive, logins with one brute-force burst, and statuses whose
//! timestamps agree with them.

mod writer;

use chrono::{DateTime, Duration, Timelike, Utc};
use rand::distr::weighted::WeightedIndex;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};
use writer::{Batch, lit_bool, lit_money, lit_opt_ts, lit_text, lit_ts};

/// How much to generate.
#[derive(Clone, Debug)]
pub struct SeedOptions {
    /// Users (clients, technicians and a few admins); at least 10.
    pub users: u32,
    /// Repair requests.
    pub requests: u32,
    /// Login events; `None` means twice the requests.
    pub logins: Option<u32>,
    /// Days of history before `now`.
    pub days: u32,
    /// Random seed.
    pub seed: u64,
    /// The end of the history.
    pub now: DateTime<Utc>,
    /// On PostgreSQL, end with `VACUUM (ANALYZE)` (the visibility map set, as after a
    /// quiet night) rather than `ANALYZE` alone (pages as a live platform leaves its recent
    /// rows, before autovacuum passed).
    pub vacuum: bool,
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct SeedReport {
    /// Rows per table.
    pub users: u64,
    /// Technicians written.
    pub technicians: u64,
    /// Requests written.
    pub requests: u64,
    /// Payments written.
    pub payments: u64,
    /// Reviews written.
    pub reviews: u64,
    /// Login events written.
    pub logins: u64,
}

/// E-mail address of the demo admin (user 1).
pub const ADMIN_EMAIL: &str = "admin@teliman.example";

const CITIES: [(&str, u32); 7] = [
    ("Bamako", 40),
    ("Sikasso", 14),
    ("Ségou", 12),
    ("Kayes", 10),
    ("Mopti", 9),
    ("Koutiala", 8),
    ("Gao", 7),
];
const SPECIALTIES: [(&str, u32, i64); 8] = [
    // name, weight, typical price in XOF
    ("plumbing", 20, 25_000),
    ("electrical", 18, 30_000),
    ("appliance", 15, 40_000),
    ("hvac", 10, 60_000),
    ("locksmith", 8, 15_000),
    ("mechanic", 12, 75_000),
    ("it", 9, 35_000),
    ("carpentry", 8, 45_000),
];
const METHODS: [(&str, u32); 6] = [
    ("orange_money", 38),
    ("moov_money", 16),
    ("wave", 20),
    ("card", 8),
    ("cash", 14),
    ("bank_transfer", 4),
];
const FIRST_NAMES: [&str; 12] = [
    "Amadou",
    "Fatoumata",
    "Moussa",
    "Aminata",
    "Oumar",
    "Mariam",
    "Ibrahim",
    "Awa",
    "Seydou",
    "Kadiatou",
    "Bakary",
    "Djeneba",
];
const LAST_NAMES: [&str; 10] = [
    "Traoré",
    "Coulibaly",
    "Diarra",
    "Keïta",
    "Koné",
    "Sissoko",
    "Touré",
    "Dembélé",
    "Sangaré",
    "Cissé",
];
/// The tables the generator fills.
pub const OPERATIONAL_TABLES: [&str; 6] = [
    "users",
    "technicians",
    "repair_requests",
    "payments",
    "reviews",
    "login_events",
];
/// The address of the brute-force burst.
pub const ATTACKER_IP: &str = "203.0.113.66";

/// On PostgreSQL, moves each operational table's id sequence past the ids written
/// explicitly (by the generator or a fixture), so the platform's next inserts do not collide.
pub async fn move_sequences_past_ids(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    for table in OPERATIONAL_TABLES {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
        ))
        .await?;
    }
    Ok(())
}

/// Whether the operational tables hold any row.
pub async fn has_data(db: &DatabaseConnection) -> Result<bool, DbErr> {
    #[derive(sea_orm::FromQueryResult)]
    struct Rows {
        n: i64,
    }
    let mut sql = crate::db::Sql::new(db.get_database_backend());
    sql.push("SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM repair_requests) AS n");
    Ok(sql.row::<Rows>(db).await?.n > 0)
}

/// Samples instants over the history: more recent days weigh more (growth) and weekends
/// less (seasonality); hours cluster in the working day.
struct Clock {
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    days: WeightedIndex<f64>,
    hours: WeightedIndex<u32>,
}

impl Clock {
    fn new(now: DateTime<Utc>, days: u32) -> Clock {
        let start = now - Duration::days(days.into());
        let weights: Vec<f64> = (0..days)
            .map(|d| {
                let day = start + Duration::days(d.into());
                let growth = 0.25 + 0.75 * f64::from(d) / f64::from(days.max(1));
                let weekday = match chrono::Datelike::weekday(&day) {
                    chrono::Weekday::Sat => 0.7,
                    chrono::Weekday::Sun => 0.45,
                    _ => 1.0,
                };
                growth * weekday
            })
            .collect();
        let hours = [
            1, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 9, 10, 11, 11, 10, 9, 8, 6, 4, 3, 2, 1,
        ];
        Clock {
            start,
            now,
            days: WeightedIndex::new(weights).expect("positive weights"),
            hours: WeightedIndex::new(hours).expect("positive weights"),
        }
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> DateTime<Utc> {
        let day = self.days.sample(rng) as i64;
        let hour = self.hours.sample(rng) as i64;
        let second = rng.random_range(0..3600);
        (self.start + Duration::days(day) + Duration::hours(hour) + Duration::seconds(second))
            .min(self.now - Duration::seconds(1))
    }
}

/// An exponential duration with the given mean, in seconds.
fn exp_secs(rng: &mut ChaCha8Rng, mean_hours: f64) -> Duration {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    Duration::seconds((-u.ln() * mean_hours * 3600.0) as i64 + 60)
}

struct User {
    created: DateTime<Utc>,
    role: &'static str,
    city: &'static str,
    last_login: Option<DateTime<Utc>>,
}

/// Fills an empty database. Everything is written in one transaction: all or nothing.
pub async fn run(db: &DatabaseConnection, opts: &SeedOptions) -> Result<SeedReport, DbErr> {
    if has_data(db).await? {
        return Err(DbErr::Custom(
            "the database already holds platform data; seed an empty one".into(),
        ));
    }
    let backend = db.get_database_backend();
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    // whole seconds: shorter stored timestamps, smaller indexes
    let now = opts.now.with_nanosecond(0).unwrap_or(opts.now);
    let clock = Clock::new(now, opts.days.max(1));
    let cities = WeightedIndex::new(CITIES.iter().map(|c| c.1)).expect("weights");
    let specialties = WeightedIndex::new(SPECIALTIES.iter().map(|s| s.1)).expect("weights");
    let methods = WeightedIndex::new(METHODS.iter().map(|m| m.1)).expect("weights");
    let n_users = opts.users.max(10) as usize;

    // users, oldest first so ids grow with time; user 1 is the admin
    let mut created: Vec<DateTime<Utc>> = (0..n_users).map(|_| clock.sample(&mut rng)).collect();
    created.sort();
    created[0] = clock.start;
    let mut users: Vec<User> = created
        .into_iter()
        .enumerate()
        .map(|(i, created)| User {
            created,
            role: if i == 0 || i % 997 == 0 {
                "admin"
            } else if rng.random_bool(0.15) {
                "technician"
            } else {
                "client"
            },
            city: CITIES[cities.sample(&mut rng)].0,
            last_login: None,
        })
        .collect();
    let clients: Vec<usize> = (0..n_users)
        .filter(|&i| users[i].role == "client")
        .collect();
    let techs: Vec<usize> = (0..n_users)
        .filter(|&i| users[i].role == "technician")
        .collect();

    // logins: a first pass finds each user's last successful login; the same stream is
    // replayed (same seed) when the rows are written
    let n_logins = opts.logins.unwrap_or(opts.requests.saturating_mul(2));
    let login_seed = rng.random::<u64>();
    let mut last_login: Vec<Option<DateTime<Utc>>> = vec![None; users.len()];
    for event in Logins::new(login_seed, &clock, &users, n_logins) {
        if event.success {
            let l = &mut last_login[event.user];
            *l = Some(l.map_or(event.at, |l| l.max(event.at)));
        }
    }
    for (u, l) in users.iter_mut().zip(last_login) {
        u.last_login = l;
    }

    let txn = db.begin().await?;
    if backend == sea_orm::DatabaseBackend::Sqlite {
        // keep the pages of a million-row load in memory (512 MiB for this connection; set
        // back to the pool's size before the connection returns to the pool)
        txn.execute_unprepared("PRAGMA cache_size = -524288")
            .await?;
    }
    // secondary indexes are rebuilt once, from sorted data, after the load: much faster
    // than updating them row by row in random order
    let indexes = writer::drop_secondary_indexes(&txn, &OPERATIONAL_TABLES).await?;
    let capture = writer::drop_change_capture(&txn, &OPERATIONAL_TABLES).await?;
    // statements are written by a task of their own while the next ones are generated
    let sink = writer::Sink::spawn(txn);
    let filled = async {
        let mut report = SeedReport::default();
        let mut batch = Batch::new("users (id, email, full_name, role, city, is_active, created_at, updated_at, last_login)",
        );
        for (i, u) in users.iter().enumerate() {
            let id = i + 1;
            let email = if id == 1 {
                ADMIN_EMAIL.to_string()
            } else {
                format!("user{id}@teliman.example")
            };
            let name = format!(
                "{} {}",
                FIRST_NAMES[id % FIRST_NAMES.len()],
                LAST_NAMES[(id / FIRST_NAMES.len()) % LAST_NAMES.len()]
            );
            let updated = u.last_login.unwrap_or(u.created).max(u.created);
            batch
                .row(
                    &sink,
                    &format!(
                        "({id}, {}, {}, '{}', {}, {}, {}, {}, {})",
                        lit_text(&email),
                        lit_text(&name),
                        u.role,
                        lit_text(u.city),
                        lit_bool(id % 53 != 0),
                        lit_ts(u.created),
                        lit_ts(updated),
                        lit_opt_ts(u.last_login)
                    ),
                )
                .await?;
        }
        report.users = batch.finish(&sink).await?;

        // technicians: one per technician user, created with the account
        let mut batch = Batch::new("technicians (id, user_id, specialty, city, is_verified, is_available, hourly_rate, created_at, updated_at)",
        );
        let mut tech_specialty = Vec::with_capacity(techs.len());
        for (t, &u) in techs.iter().enumerate() {
            let s = specialties.sample(&mut rng);
            tech_specialty.push(s);
            let rate = SPECIALTIES[s].2 / 10 * 100
                + rng.random_range(0..10_000) * 10
                + rng.random_range(0..100);
            batch
                .row(
                    &sink,
                    &format!(
                        "({}, {}, '{}', {}, {}, {}, {}, {}, {})",
                        t + 1,
                        u + 1,
                        SPECIALTIES[s].0,
                        lit_text(users[u].city),
                        lit_bool(rng.random_bool(0.75)),
                        lit_bool(rng.random_bool(0.6)),
                        lit_money(rate),
                        lit_ts(users[u].created),
                        lit_ts(users[u].created)
                    ),
                )
                .await?;
        }
        report.technicians = batch.finish(&sink).await?;

        // requests with their payments and reviews, oldest first
        let mut times: Vec<DateTime<Utc>> =
            (0..opts.requests).map(|_| clock.sample(&mut rng)).collect();
        times.sort();
        let mut requests = Batch::new("repair_requests (id, client_id, technician_id, specialty, city, status, is_urgent, estimated_price, created_at, assigned_at, started_at, completed_at, cancelled_at, updated_at)",
        );
        let mut payments = Batch::following("payments (id, request_id, payer_id, technician_id, amount, platform_fee, technician_payout, method, status, created_at, completed_at, updated_at)",
        );
        let mut reviews = Batch::following("reviews (id, request_id, client_id, technician_id, rating, would_recommend, comment, created_at, updated_at)",
        );
            let users_before =
            |t: DateTime<Utc>, pool: &[usize]| pool.partition_point(|&i| users[i].created <= t);
        for (r, &created) in times.iter().enumerate() {
            let id = r + 1;
            let client = if clients.is_empty() {
                0
            } else {
                clients[rng.random_range(0..users_before(created, &clients).clamp(1, clients.len()))]
            };
            let known_techs = users_before(created, &techs);
            let s = specialties.sample(&mut rng);
            let city = CITIES[cities.sample(&mut rng)].0;
            let urgent = rng.random_bool(0.18);
            let base = SPECIALTIES[s].2 as f64 * rng.random_range(0.4..2.5);
            let price_cents = (base * 100.0) as i64;
            let age_hours = (now - created).num_hours();
            // the path a request takes: cancelled early, still open, or done
            let roll: f64 = rng.random();
            let assigned = created + exp_secs(&mut rng, if urgent { 2.0 } else { 8.0 });
            let started = assigned + exp_secs(&mut rng, 3.0);
            let completed = started + exp_secs(&mut rng, 20.0);
            let tech = if known_techs > 0 {
                Some(rng.random_range(0..known_techs))
            } else {
                None
            };
            let (status, a, st, c, x) = if roll < 0.12 {
                let cancelled = (created + exp_secs(&mut rng, 12.0)).min(now - Duration::seconds(1));
                ("cancelled", None, None, None, Some(cancelled))
            } else if tech.is_none() || assigned >= now || (roll < 0.17 && age_hours < 72) {
                ("pending", None, None, None, None)
            } else if started >= now || (roll < 0.22 && age_hours < 24 * 14) {
                ("assigned", Some(assigned), None, None, None)
            } else if completed >= now || roll < 0.25 {
                ("in_progress", Some(assigned), Some(started), None, None)
            } else {
                (
                    "completed",
                    Some(assigned),
                    Some(started),
                    Some(completed),
                    None,
                )
            };
            let tech_id = if a.is_some() {
                tech.map(|t| t + 1)
            } else {
                None
            };
            let updated = [Some(created), a, st, c, x]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(created);
            requests
                .row(
                    &sink,
                    &format!(
                        "({id}, {}, {}, '{}', {}, '{status}', {}, {}, {}, {}, {}, {}, {}, {})",
                        client + 1,
                        tech_id.map_or("NULL".to_string(), |t| t.to_string()),
                        SPECIALTIES[s].0,
                        lit_text(city),
                        lit_bool(urgent),
                        lit_money(price_cents),
                        lit_ts(created),
                        lit_opt_ts(a),
                        lit_opt_ts(st),
                        lit_opt_ts(c),
                        lit_opt_ts(x),
                        lit_ts(updated)
                    ),
                )
                .await?;
            if requests.is_empty() {
                // the requests just written are the ones the waiting payments and reviews reference
                payments.flush(&sink).await?;
                reviews.flush(&sink).await?;
            }
            let Some(done) = c else { continue };
            // a payment for most completed requests
            if rng.random_bool(0.92) {
                let amount = (price_cents as f64 * rng.random_range(0.85..1.2)) as i64;
                let fee = (amount as f64 * 0.1).round() as i64;
                let paid_at = (done + exp_secs(&mut rng, 1.0)).min(now - Duration::seconds(1));
                let p: f64 = rng.random();
                let (pstatus, pdone) = if p < 0.86 {
                    (
                        "completed",
                        Some(
                            (paid_at + Duration::seconds(rng.random_range(5..600)))
                                .min(now - Duration::seconds(1)),
                        ),
                    )
                } else if p < 0.91 {
                    ("failed", None)
                } else if p < 0.95 {
                    ("refunded", Some(paid_at + Duration::seconds(30)))
                } else {
                    ("pending", None)
                };
                report.payments += 1;
                payments
                    .row(
                        &sink,
                        &format!(
                            "({}, {id}, {}, {}, {}, {}, {}, '{}', '{pstatus}', {}, {}, {})",
                            report.payments,
                            client + 1,
                            tech_id.map_or("NULL".to_string(), |t| t.to_string()),
                            lit_money(amount),
                            lit_money(fee),
                            lit_money(amount - fee),
                            METHODS[methods.sample(&mut rng)].0,
                            lit_ts(paid_at),
                            lit_opt_ts(pdone.map(|d| d.min(now - Duration::seconds(1)))),
                            lit_ts(pdone.unwrap_or(paid_at).min(now - Duration::seconds(1)))
                        ),
                    )
                    .await?;
            }
            // reviews, skewed positive, for most completed requests
            let review_at = done + exp_secs(&mut rng, 18.0);
            if review_at < now && rng.random_bool(0.62) {
                let rating = match rng.random_range(0..100) {
                    0..6 => 1,
                    6..12 => 2,
                    12..25 => 3,
                    25..55 => 4,
                    _ => 5,
                };
                let recommend = if rating >= 4 {
                    rng.random_bool(0.92)
                } else {
                    rng.random_bool(0.12)
                };
                let comment = match rating {
                    5 => "'Travail impeccable, très rapide.'",
                    4 => "'Bon travail.'",
                    3 => "NULL",
                    _ => "'Retard et travail à reprendre.'",
                };
                report.reviews += 1;
                reviews
                    .row(
                        &sink,
                        &format!(
                            "({}, {id}, {}, {}, {rating}, {}, {comment}, {}, {})",
                            report.reviews,
                            client + 1,
                            tech_id.unwrap_or(1),
                            lit_bool(recommend),
                            lit_ts(review_at),
                            lit_ts(review_at)
                        ),
                    )
                    .await?;
            }
        }
        report.requests = requests.finish(&sink).await?;
        payments.finish(&sink).await?;
        reviews.finish(&sink).await?;

        let mut batch = Batch::new("login_events (id, user_id, email, ip_address, success, failure_reason, created_at, updated_at)",
        );
        for (i, e) in Logins::new(login_seed, &clock, &users, n_logins).enumerate() {
            let user_id = if e.unknown_user {
                "NULL".to_string()
            } else {
                (e.user + 1).to_string()
            };
            let email = if e.unknown_user {
                format!("guess{}@example.com", i % 97)
            } else {
                format!("user{}@teliman.example", e.user + 1)
            };
            batch
                .row(
                    &sink,
                    &format!(
                        "({}, {user_id}, {}, {}, {}, {}, {}, {})",
                        i + 1,
                        lit_text(&email),
                        lit_text(&e.ip),
                        lit_bool(e.success),
                        if e.success {
                            "NULL"
                        } else if e.unknown_user {
                            "'unknown_user'"
                        } else {
                            "'bad_password'"
                        },
                        lit_ts(e.at),
                        lit_ts(e.at)
                    ),
                )
                .await?;
        }
        report.logins = batch.finish(&sink).await?;
        Ok::<_, DbErr>(report)
    }
    .await;
    let txn = sink.close().await?;
    if backend == sea_orm::DatabaseBackend::Sqlite {
        txn.execute_unprepared(&format!(
            "PRAGMA cache_size = -{}",
            crate::db::SQLITE_CACHE_KIB
        ))
        .await?;
    }
    let report = filled?;
    writer::recreate_indexes(&txn, &indexes).await?;
    writer::restore_change_capture(&txn, &OPERATIONAL_TABLES, &capture).await?;
    move_sequences_past_ids(&txn).await?;
    txn.commit().await?;
    // fresh planner statistics; on SQLite, fold the load's write-ahead log into the file so
    // readers do not look every page up in a log as large as the database
    match backend {
        sea_orm::DatabaseBackend::Sqlite => {
            db.execute_unprepared("ANALYZE").await?;
            db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
        _ if opts.vacuum => {
            // VACUUM also sets the visibility map, so index-only scans skip the heap
            db.execute_unprepared("VACUUM (ANALYZE)").await?;
        }
        _ => {
            db.execute_unprepared("ANALYZE").await?;
        }
    }
    Ok(report)
}

struct LoginEvent {
    user: usize,
    unknown_user: bool,
    ip: String,
    success: bool,
    at: DateTime<Utc>,
}

/// The login stream: ordinary logins (mostly successful) and, three days before `now`, a
/// brute-force burst of failures from one address.
struct Logins<'a> {
    rng: ChaCha8Rng,
    clock: &'a Clock,
    users: &'a [User],
    left: u32,
    burst: u32,
}

impl<'a> Logins<'a> {
    fn new(seed: u64, clock: &'a Clock, users: &'a [User], n: u32) -> Self {
        let burst = (n / 50).clamp(n.min(30), 400);
        Logins {
            rng: ChaCha8Rng::seed_from_u64(seed),
            clock,
            users,
            left: n,
            burst,
        }
    }
}

impl Iterator for Logins<'_> {
    type Item = LoginEvent;
    fn next(&mut self) -> Option<LoginEvent> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let rng = &mut self.rng;
        if self.left < self.burst {
            let at =
                self.clock.now - Duration::days(3) + Duration::seconds(i64::from(self.left) * 7);
            let user = rng.random_range(0..self.users.len());
            return Some(LoginEvent {
                user,
                unknown_user: rng.random_bool(0.3),
                ip: ATTACKER_IP.to_string(),
                success: false,
                at: at.min(self.clock.now - Duration::seconds(1)),
            });
        }
        let at = self.clock.sample(rng);
        let known = self.users.partition_point(|u| u.created <= at).max(1);
        let user = rng.random_range(0..known);
        let success = rng.random_bool(0.9);
        Some(LoginEvent {
            user,
            unknown_user: !success && rng.random_bool(0.2),
            ip: format!("41.73.{}.{}", user % 200, (user / 200) % 250 + 1),
            success,
            at,
        })
    }
}
