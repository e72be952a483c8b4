//! Builds the dashboard (`dashboard/`, Vite) into `dashboard/dist/` when its sources change,
//! so the binary embeds the page it serves at `/`. Without Node.js and npm (or with
//! `DASHBOARD_SKIP_BUILD=1`), an existing `dashboard/dist/` is embedded as it is, or, when
//! there is none, a page saying how to build it: the gateway itself builds either way.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the page is made from: a change to any of these builds it again.
const SOURCES: [&str; 10] = [
    "dashboard/src",
    "dashboard/index.html",
    "dashboard/package.json",
    "dashboard/package-lock.json",
    "dashboard/vite.config.ts",
    "dashboard/codegen.ts",
    "dashboard/tsconfig.json",
    "dashboard/public",
    "schema.graphql",
    "playground",
];

fn main() {
    for source in SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
    println!("cargo:rerun-if-env-changed=DASHBOARD_SKIP_BUILD");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dashboard = root.join("dashboard");
    let dist = dashboard.join("dist");
    let skip = std::env::var_os("DASHBOARD_SKIP_BUILD").is_some_and(|v| !v.is_empty() && v != "0");
    if !skip && let Err(why) = build(&dashboard) {
        let fallback = if dist.join("index.html").exists() {
            "the previous build is embedded"
        } else {
            "/ will say how to build it"
        };
        println!("cargo:warning=the dashboard was not built ({why}); {fallback}");
    }
    let embedded = if dist.join("index.html").exists() {
        dist
    } else {
        let out =
            PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("no-dashboard");
        std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
        std::fs::write(out.join("index.html"), PLACEHOLDER).expect("OUT_DIR is writable");
        out
    };
    println!("cargo:rustc-env=DASHBOARD_DIST={}", embedded.display());
    // a new build of the page recompiles the crate that embeds it
    println!(
        "cargo:rustc-env=DASHBOARD_BUILD={}",
        stamp(&embedded.join("index.html"))
    );
}

/// `npm ci` when the installed packages are missing or older than the lock file, then
/// `npm run build` (code generation from the schema, type check, Vite).
fn build(dashboard: &Path) -> Result<(), String> {
    let installed = dashboard.join("node_modules/.package-lock.json");
    let lock = dashboard.join("package-lock.json");
    if modified(&installed) < modified(&lock) {
        npm(dashboard, &["ci", "--no-audit", "--no-fund"])?;
    }
    npm(dashboard, &["run", "build"])
}

fn npm(dir: &Path, args: &[&str]) -> Result<(), String> {
    // captured: cargo reads a build script's standard output as instructions
    let output = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = said.lines().rev().take(20).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!(
        "`npm {}` failed with {}: {}",
        args.join(" "),
        output.status,
        tail.join(" | ")
    ))
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn stamp(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    // FNV-1a: index.html names the hashed bundles, so it changes with every new build
    let hash = text.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>teliman-stats</title></head>
<body><main><h1>The dashboard was not built</h1>
<p>This binary was built without Node.js and npm. Install Node.js 20 and npm, then build
again (<code>cargo build</code> runs <code>npm ci</code> and <code>npm run build</code> in
<code>dashboard/</code>). GraphQL is at <a href="/graphql">/graphql</a> and GraphiQL at
<a href="/playground">/playground</a>.</p></main></body></html>
"#;
