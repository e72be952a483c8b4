//! The command line: serve, migrate, seed, token, schema.

use crate::app::{self, AppState};
use crate::config::{Config, SecretSource, Settings};
use crate::entity::users;
use crate::{auth, db, graphql, seed};
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

/// GraphQL analytics gateway for the repair-services marketplace.
#[derive(Debug, Parser)]
#[command(name = "teliman-stats", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database and serve GraphQL, GraphiQL, /health and /ready.
    Serve {
        /// Use a local SQLite demo database, seed it when empty, and print an admin token.
        #[arg(long)]
        demo: bool,
        /// Address to listen on.
        #[arg(long, env = "BIND_ADDR", default_value = crate::config::DEFAULT_BIND)]
        bind: String,
        #[command(flatten)]
        settings: Settings,
    },
    /// Apply every pending migration.
    Migrate {
        #[command(flatten)]
        settings: Settings,
    },
    /// Fill an empty database with deterministic demo data.
    Seed {
        /// Users to create.
        #[arg(long, default_value_t = 2_000)]
        users: u32,
        /// Repair requests to create.
        #[arg(long, default_value_t = 20_000)]
        requests: u32,
        /// Login events to create (default: twice the requests).
        #[arg(long)]
        logins: Option<u32>,
        /// Days of history.
        #[arg(long, default_value_t = 365)]
        days: u32,
        /// Random seed: the same seed (and `--until`) gives the same rows.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// End of the history, RFC 3339 (default: now).
        #[arg(long)]
        until: Option<chrono::DateTime<chrono::Utc>>,
        /// PostgreSQL: end with ANALYZE alone, not VACUUM (ANALYZE): recent pages stay as a
        /// live platform has them before autovacuum passes.
        #[arg(long)]
        no_vacuum: bool,
        #[command(flatten)]
        settings: Settings,
    },
    /// Print a JWT for the user with this e-mail address.
    Token {
        /// The user's e-mail address.
        #[arg(long)]
        email: String,
        /// Hours the token is valid.
        #[arg(long, default_value_t = 24)]
        ttl_hours: i64,
        #[command(flatten)]
        settings: Settings,
    },
    /// Print the GraphQL SDL.
    Schema,
    /// The incremental rollups (PostgreSQL): rebuild them, fold their logs, show their
    /// state, or audit every figure they serve against the raw rows.
    Rollups {
        #[command(subcommand)]
        action: RollupAction,
    },
    /// Time every metric group against the database (no cache) and print a Markdown table.
    Bench {
        /// Runs per measurement (the median is reported).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Only time reads of the tables' versions, this many milliseconds apart (while the
        /// change log is folded as a serving gateway does).
        #[arg(long)]
        fingerprint_every_ms: Option<u64>,
        /// Only time the refusals of the protocol and of the limits (no database work).
        #[arg(long)]
        refusals: bool,
        /// Only time the statistics read through the rollups (PostgreSQL; built first when
        /// stale, and the rebuild timed).
        #[arg(long)]
        through_rollups: bool,
        #[command(flatten)]
        settings: Settings,
    },
    /// Export the statistics to a file (the job is stored and run like one asked over GraphQL).
    Export {
        /// xlsx, pdf, json or csv.
        #[arg(long)]
        format: String,
        /// LAST_24H, LAST_7D, LAST_30D or ALL.
        #[arg(long, default_value = "ALL")]
        period: String,
        /// Only this city.
        #[arg(long)]
        city: Option<String>,
        /// Only this specialty.
        #[arg(long)]
        specialty: Option<String>,
        /// fr or en.
        #[arg(long, default_value = "fr")]
        lang: String,
        /// Where to write the file (default: its own name, here).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Load a running gateway's live feed: N WebSocket subscribers to `liveStats`, and the
    /// delivery lag after each tick (a process of its own, beside the server).
    BenchLive {
        /// The gateway's WebSocket URL.
        #[arg(long, default_value = "ws://127.0.0.1:8080/graphql/ws")]
        url: String,
        /// An admin's token.
        #[arg(long, env = "BENCH_TOKEN")]
        token: String,
        /// Subscribers (one connection each).
        #[arg(long, default_value_t = 10_000)]
        subscribers: usize,
        /// Seconds between two ticks.
        #[arg(long, default_value_t = 5)]
        interval: u32,
        /// Seconds measured once every subscriber has its first value.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Handshakes in flight at a time while connecting.
        #[arg(long, default_value_t = 200)]
        ramp: usize,
    },
}

/// What `rollups` does.
#[derive(Debug, Subcommand)]
enum RollupAction {
    /// Rebuild every rollup from the rows (online: statistics keep being served).
    Rebuild {
        #[command(flatten)]
        settings: Settings,
    },
    /// Fold the delta logs into the rollups now (a rebuild if they are stale).
    Fold {
        #[command(flatten)]
        settings: Settings,
    },
    /// Compare every figure the rollups serve with the raw rows, over presets, custom
    /// windows, slices and two zones; exits with 1 on any difference.
    Audit {
        /// Leave the logs unfolded (their entries are then read as corrections).
        #[arg(long)]
        keep_log: bool,
        /// The second zone of the windows (the first is STATS_TIMEZONE).
        #[arg(long, default_value = "Asia/Kathmandu")]
        other_zone: String,
        #[command(flatten)]
        settings: Settings,
    },
}

async fn rollups(action: RollupAction) -> anyhow::Result<()> {
    use crate::rollups::{apply, audit};
    let (settings, keep_log, other) = match action {
        RollupAction::Rebuild { settings } => {
            let config = settings.into_config(SecretSource::Unused)?;
            let db = open(&config).await?;
            if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
                bail!("rollups are kept on PostgreSQL only (SQLite reads its rows)");
            }
            let started = std::time::Instant::now();
            match apply::rebuild(&db, &config.rollups).await? {
                apply::Step::Rebuilt => println!(
                    "rebuilt in {:.1} s (zone {})",
                    started.elapsed().as_secs_f64(),
                    config.timezone
                ),
                _ => bail!("another process holds the rollups' lock; try again"),
            }
            return Ok(());
        }
        RollupAction::Fold { settings } => (settings, false, None),
        RollupAction::Audit {
            keep_log,
            other_zone,
            settings,
        } => (settings, keep_log, Some(other_zone)),
    };
    let config = settings.into_config(SecretSource::Unused)?;
    let db = open(&config).await?;
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        bail!("rollups are kept on PostgreSQL only (SQLite reads its rows)");
    }
    if !keep_log {
        let step = apply::step(&db, &config.rollups).await?;
        println!("{step:?}");
    }
    let Some(other) = other else { return Ok(()) };
    let other = crate::config::parse_timezone(&other)?;
    let (city, specialty) = audit::some_slice(&db).await?;
    let windows = audit::windows(
        chrono::Utc::now(),
        config.timezone,
        other,
        &city,
        &specialty,
    );
    let started = std::time::Instant::now();
    let report = audit::audit(&db, config.rollups, &windows).await?;
    println!(
        "audit: {} windows x {} groups: {} compared ({} figures), {} served raw, {} differences ({:.1} s)",
        windows.len(),
        audit::GROUPS.len(),
        report.compared,
        report.figures,
        report.declined,
        report.differences.len(),
        started.elapsed().as_secs_f64()
    );
    for d in report.differences.iter().take(50) {
        println!(
            "  {} [{}] {}: raw {} rollups {}",
            d.group, d.window, d.path, d.raw, d.rollups
        );
    }
    if !report.differences.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

async fn open(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect(
        &config.database_url,
        config.db_timeout,
        config.db_max_connections,
    )
    .await
    .context("cannot connect to the database")?;
    Migrator::up(&db, None)
        .await
        .context("migrating the database")?;
    Ok(db)
}

/// Runs the command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::BenchLive {
            url,
            token,
            subscribers,
            interval,
            seconds,
            ramp,
        } => {
            let load = crate::loadgen::run(
                &url,
                &token,
                subscribers,
                interval,
                std::time::Duration::from_secs(seconds),
                ramp,
            )
            .await?;
            print!("{}", crate::loadgen::report(&load, subscribers, interval));
            Ok(())
        }
        Command::Export {
            format,
            period,
            city,
            specialty,
            lang,
            out,
            settings,
        } => {
            let config = settings.into_config(SecretSource::Unused)?;
            let format = crate::exports::ExportFormat::parse(&format)
                .with_context(|| format!("--format {format:?}: xlsx, pdf, json or csv"))?;
            let period = match period.to_ascii_uppercase().as_str() {
                "LAST_24H" => crate::window::Period::Last24h,
                "LAST_7D" => crate::window::Period::Last7d,
                "LAST_30D" => crate::window::Period::Last30d,
                "ALL" => crate::window::Period::All,
                other => bail!("--period {other:?}: LAST_24H, LAST_7D, LAST_30D or ALL"),
            };
            let db = open(&config).await?;
            let state = AppState::new(db, config);
            let job = state
                .exports
                .request(
                    format,
                    crate::window::WindowInput {
                        period: Some(period),
                        city,
                        specialty,
                        ..Default::default()
                    },
                    None,
                    &lang,
                    None,
                )
                .await?;
            let id = job.id.to_string();
            match state.exports.claim(Some(&id)).await? {
                Some(claimed) => state.exports.run(claimed).await,
                // a gateway serving this database took it first: wait for its runner
                None => {
                    for _ in 0..600 {
                        let row = state.exports.get(&id).await?;
                        if !matches!(row.status.as_str(), "pending" | "processing") {
                            break;
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                }
            }
            let row = state.exports.get(&id).await?;
            if row.status != "completed" {
                bail!("export failed: {}", row.error.unwrap_or_default());
            }
            let (row, bytes) = state.exports.file(&id).await?;
            let name = row
                .file_name
                .unwrap_or_else(|| format!("export.{}", format.as_str()));
            let out = out.unwrap_or_else(|| std::path::PathBuf::from(&name));
            std::fs::write(&out, &bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("{} ({} bytes)", out.display(), bytes.len());
            Ok(())
        }
        Command::Rollups { action } => rollups(action).await,
        Command::Schema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate { settings } => {
            let config = settings.into_config(SecretSource::Unused)?;
            open(&config).await?;
            println!("migrated");
            Ok(())
        }
        Command::Seed {
            users,
            requests,
            logins,
            days,
            seed: s,
            until,
            no_vacuum,
            settings,
        } => {
            let config = settings.into_config(SecretSource::Unused)?;
            let db = open(&config).await?;
            let started = std::time::Instant::now();
            let report = seed::run(
                &db,
                &seed::SeedOptions {
                    users,
                    requests,
                    logins,
                    days,
                    seed: s,
                    now: until.unwrap_or_else(chrono::Utc::now),
                    vacuum: !no_vacuum,
                },
            )
            .await?;
            println!(
                "seeded in {:.1} s: {report:?}",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Token {
            email,
            ttl_hours,
            settings,
        } => {
            let config = settings.into_config(SecretSource::DemoIfKept)?;
            let db = open(&config).await?;
            let token = token_for(&db, &config, &email, ttl_hours).await?;
            println!("{token}");
            Ok(())
        }
        Command::Serve {
            demo,
            bind,
            settings,
        } => serve(demo, bind, settings).await,
        Command::Bench {
            runs,
            fingerprint_every_ms,
            refusals,
            through_rollups,
            settings,
        } => {
            let config = settings.into_config(SecretSource::Unused)?;
            let db = open(&config).await?;
            let timings = match fingerprint_every_ms {
                _ if through_rollups => crate::bench::rollups(&config, runs.clamp(1, 1000)).await?,
                _ if refusals => {
                    crate::bench::refusals(&db, config.clone(), runs.clamp(1, 100_000)).await?
                }
                Some(pause) => {
                    vec![crate::bench::fingerprint(&db, runs.clamp(1, 100_000), pause).await?]
                }
                None => crate::bench::run(&db, config.timezone, runs.clamp(1, 100)).await?,
            };
            print!("{}", crate::bench::table(&timings));
            Ok(())
        }
    }
}

async fn token_for(
    db: &DatabaseConnection,
    config: &Config,
    email: &str,
    ttl_hours: i64,
) -> anyhow::Result<String> {
    if !(1..=24 * 366).contains(&ttl_hours) {
        bail!("--ttl-hours must be between 1 and 8784");
    }
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email))
        .one(db)
        .await?
        .with_context(|| format!("no user with e-mail {email}"))?;
    Ok(auth::mint(
        &config.jwt_secret,
        user.id,
        &user.role,
        ttl_hours,
    )?)
}

async fn serve(demo: bool, bind: String, settings: Settings) -> anyhow::Result<()> {
    // checked before anything is made (the kept secret, the database)
    let env_secret = std::env::var("JWT_SECRET").is_ok_and(|s| !s.is_empty());
    if demo && !env_secret {
        let addrs: Vec<_> = tokio::net::lookup_host(&bind)
            .await
            .with_context(|| format!("cannot resolve {bind}"))?
            .collect();
        if addrs.iter().any(|a| !a.ip().is_loopback()) {
            bail!(
                "--demo without JWT_SECRET listens on a loopback address only (127.0.0.1 or \
                 [::1]), not on {bind}: its admin token is printed and shown in the playground, \
                 and its secret is kept in a file next to the demo database, so anyone who can \
                 reach the port could read every statistic. Set JWT_SECRET (at least 16 \
                 characters) to serve the demo on another address"
            );
        }
    }
    let config = settings.into_config(if demo {
        SecretSource::Demo
    } else {
        SecretSource::Required
    })?;
    let db = open(&config).await?;
    let demo_token = if demo {
        if !seed::has_data(&db).await? {
            println!("seeding the demo database (first start)...");
            let report = seed::run(
                &db,
                &seed::SeedOptions {
                    users: 2_000,
                    requests: 20_000,
                    logins: None,
                    days: 365,
                    seed: 42,
                    now: chrono::Utc::now(),
                    vacuum: true,
                },
            )
            .await?;
            println!("seeded: {report:?}");
        }
        let token = token_for(&db, &config, seed::ADMIN_EMAIL, 24 * 30).await?;
        println!(
            "admin token ({}, valid 30 days):\n{token}\n",
            seed::ADMIN_EMAIL
        );
        Some(token)
    } else {
        None
    };
    // every WebSocket subscriber holds a descriptor: take all the hard limit allows
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(open_files = n, "open-file limit"),
        Err(err) => tracing::warn!(error = %err, "cannot raise the open-file limit"),
    }
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    let page = if addr.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    if let Some(token) = &demo_token {
        println!("sign in:  http://{page}/?token={token}");
    }
    println!("dashboard: http://{page}/");
    println!("GraphQL:  http://{addr}/graphql");
    println!("GraphiQL: http://{addr}/playground");
    println!("live:     ws://{addr}/graphql/ws (graphql-transport-ws)");
    println!("health:   http://{addr}/health   ready: http://{addr}/ready");
    tracing::info!(%addr, timezone = %config.timezone, "serving");
    let cache_db = db::cache_pool(&db, &config.database_url, config.db_timeout).await?;
    // the playground carries the admin's token only for a page on this machine
    let playground_token = demo_token.filter(|_| addr.ip().is_loopback());
    let state = AppState::serving(db, cache_db, config, playground_token);
    let mut upkeep = crate::stats::upkeep::spawn(state.engine.clone(), state.config.timezone);
    upkeep.extend(state.alerts.spawn());
    upkeep.push(state.exports.spawn());
    upkeep.extend(crate::rollups::apply::spawn(
        state.db.clone(),
        state.config.rollups,
    ));
    let stopping = state.shutting_down.clone();
    axum::serve(listener, app::router(state))
        .with_graceful_shutdown(async move {
            app::shutdown_signal().await;
            // subscribers get a close frame; requests in flight finish
            stopping.send_replace(true);
        })
        .await?;
    for task in upkeep {
        task.abort();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_command_parses_and_no_two_options_share_a_name() {
        // clap's own check: a flag of a command that repeats a flattened setting's name
        // (as `bench --rollups` did beside `--rollups <bool>`) fails here
        Cli::command().debug_assert();
        for args in [
            vec!["teliman-stats", "bench", "--through-rollups", "--runs", "3"],
            vec![
                "teliman-stats",
                "rollups",
                "audit",
                "--keep-log",
                "--rollups",
                "false",
            ],
            vec!["teliman-stats", "rollups", "rebuild"],
        ] {
            assert!(Cli::try_parse_from(&args).is_ok(), "{args:?}");
        }
        assert!(Cli::try_parse_from(["teliman-stats", "rollups", "reset"]).is_err());
    }
}
