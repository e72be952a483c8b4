//! The dashboard's own tests, run by `cargo test`: its component tests (Vitest, jsdom), then
//! its browser tests in Debian's Chromium against this build's gateway binary. Node.js 20
//! and npm are needed; Chromium and the sqlite3 shell (the browser tests insert a row with
//! it) are installed from Debian's packages when missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One npm run at a time: both write Vitest's cache under node_modules.
static NPM: Mutex<()> = Mutex::new(());

fn dashboard() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dashboard")
}

fn npm(args: &[&str]) -> Command {
    let mut cmd = Command::new("npm");
    cmd.args(args).current_dir(dashboard());
    cmd
}

fn run(mut cmd: Command, what: &str) {
    let status = cmd.status().unwrap_or_else(|e| {
        panic!("cannot run {what}: {e} (the dashboard needs Node.js 20 and npm)")
    });
    assert!(status.success(), "{what} failed: {status}");
}

/// `npm ci` when the packages are missing (the gateway's build normally did it).
fn installed() {
    if !dashboard().join("node_modules/.package-lock.json").exists() {
        run(npm(&["ci", "--no-audit", "--no-fund"]), "npm ci");
    }
}

/// Debian's package `package` gives `binary`; installed with apt-get when missing.
fn debian(binary: &str, package: &str) {
    if Path::new(binary).exists() {
        return;
    }
    let mut cmd = Command::new("apt-get");
    cmd.args(["install", "-y", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(cmd, &format!("apt-get install {package} (for {binary})"));
}

#[test]
fn component_tests() {
    let _one = NPM
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    installed();
    // the generated operation types come from ../schema.graphql
    run(npm(&["run", "codegen"]), "npm run codegen");
    run(npm(&["test"]), "npm test (Vitest)");
}

#[test]
fn browser_tests() {
    let _one = NPM
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    installed();
    let chromium = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    debian(&chromium, "chromium");
    debian("/usr/bin/sqlite3", "sqlite3");
    let mut e2e = npm(&["run", "e2e"]);
    e2e.env("TELIMAN_BIN", env!("CARGO_BIN_EXE_teliman-stats"))
        .env("CHROMIUM_PATH", &chromium);
    run(e2e, "npm run e2e (Chromium)");
}
