//! Entry point: logging, then the command line.

use clap::Parser;
use teliman_stats::cli::{self, Cli};

/// jemalloc rather than the system allocator: under a long mixed load (answers and cached
/// documents of many sizes made on one thread and dropped on another) glibc's per-thread
/// arenas held twice the memory in use and the server's resident memory kept climbing
/// (`benches/soak`, BENCHMARKS.md); jemalloc gives freed pages back after a few seconds.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    // LOG_FORMAT=json: one JSON object per line (a request's line has its method, path,
    // status, duration, operation, outcome and cache use; never a token)
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    match cli::run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
