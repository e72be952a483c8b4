//! The binary as a user runs it: refusals at start, the SDL, migrations and a deterministic seed.

use crate::helpers::SECRET;
use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_teliman-stats"));
    c.env_remove("DATABASE_URL")
        .env_remove("STATS_TIMEZONE")
        .env_remove("JWT_SECRET");
    c
}

fn temp_db(name: &str) -> (std::path::PathBuf, String) {
    let path = std::env::temp_dir().join(format!("teliman_cli_{}_{name}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}?mode=rwc", path.display());
    (path, url)
}

#[test]
fn an_unknown_time_zone_refuses_to_start_with_a_clear_message() {
    let (path, url) = temp_db("tz");
    let out = bin()
        .args(["serve", "--database-url", &url, "--bind", "127.0.0.1:0"])
        .env("STATS_TIMEZONE", "Mars/Olympus_Mons")
        .env("JWT_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("STATS_TIMEZONE") && err.contains("Mars/Olympus_Mons"),
        "{err}"
    );
    // nothing was created
    assert!(!path.exists());
}

#[test]
fn serve_without_a_secret_refuses_to_start_and_never_prints_secrets() {
    let (path, url) = temp_db("secret");
    let out = bin()
        .args(["serve", "--database-url", &url, "--bind", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET"));
    assert!(!path.exists());
    // a short secret is refused too, and its value is not echoed
    let out = bin()
        .args(["serve", "--database-url", &url, "--bind", "127.0.0.1:0"])
        .env("JWT_SECRET", "tiny-s3cret")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("tiny-s3cret"), "{text}");
}

#[test]
fn the_demo_without_a_secret_refuses_a_public_address_and_makes_nothing() {
    let (path, url) = temp_db("public");
    let secret_file = std::path::PathBuf::from(format!("{}.secret", path.display()));
    for bind in ["0.0.0.0:0", "[::]:0"] {
        let out = bin()
            .args(["serve", "--demo", "--database-url", &url, "--bind", bind])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bind}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("JWT_SECRET") && err.contains("loopback"),
            "{err}"
        );
        assert!(!path.exists() && !secret_file.exists(), "{bind}");
    }
}

#[test]
fn tokens_are_signed_with_the_demo_s_kept_secret_and_never_with_a_constant() {
    let (path, url) = temp_db("kept");
    let secret_file = std::path::PathBuf::from(format!("{}.secret", path.display()));
    let _ = std::fs::remove_file(&secret_file);
    let run = |args: &[&str]| {
        bin()
            .args(args)
            .args(["--database-url", &url])
            .output()
            .unwrap()
    };
    assert!(run(&["migrate"]).status.success());
    assert!(
        run(&["seed", "--users", "3", "--requests", "3"])
            .status
            .success()
    );
    // no JWT_SECRET and no demo secret next to the database: no token
    let out = run(&["token", "--email", "admin@teliman.example"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET"));
    // a demo's kept secret (as `serve --demo` writes it on its first start) signs the token
    let kept = "0123456789abcdef0123456789abcdef-kept";
    std::fs::write(&secret_file, kept).unwrap();
    let out = run(&["token", "--email", "admin@teliman.example"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    let key = jsonwebtoken::DecodingKey::from_secret(kept.as_bytes());
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        token.trim(),
        &key,
        &jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256),
    )
    .unwrap()
    .claims;
    assert_eq!(claims["role"], "admin");
    // the constant earlier versions signed demo tokens with is no key any more
    let old =
        jsonwebtoken::DecodingKey::from_secret(b"teliman-stats-demo-secret-not-for-production");
    assert!(
        jsonwebtoken::decode::<serde_json::Value>(
            token.trim(),
            &old,
            &jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256)
        )
        .is_err()
    );
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&secret_file);
}

#[test]
fn schema_prints_the_committed_sdl() {
    let out = bin().arg("schema").output().unwrap();
    assert!(out.status.success());
    let committed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql"),
    )
    .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "`teliman-stats schema` differs from schema.graphql"
    );
}

fn dump(url: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sea_orm::ConnectionTrait;
        let db = teliman_stats::db::connect(url, std::time::Duration::from_secs(5), 1).await.unwrap();
        let mut out = String::new();
        for (table, cols) in [
            ("users", "id, email, role, city, created_at, last_login"),
            ("technicians", "id, user_id, specialty, city, is_verified, hourly_rate"),
            ("repair_requests", "id, client_id, technician_id, status, created_at, assigned_at, completed_at, cancelled_at"),
            ("payments", "id, request_id, amount, platform_fee, technician_payout, method, status, created_at"),
            ("reviews", "id, request_id, rating, would_recommend, created_at"),
            ("login_events", "id, user_id, ip_address, success, created_at"),
        ] {
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT {cols} FROM {table} ORDER BY id"),
                ))
                .await
                .unwrap();
            out.push_str(&format!("{table}: {}\n", rows.len()));
            for r in rows {
                out.push_str(&format!("{r:?}\n"));
            }
        }
        out
    })
}

#[test]
fn the_same_seed_gives_the_same_rows() {
    let mut dumps = Vec::new();
    for (name, seed) in [("a", "7"), ("b", "7"), ("c", "8")] {
        let (path, url) = temp_db(&format!("seed_{name}"));
        let out = bin()
            .args([
                "seed",
                "--database-url",
                &url,
                "--users",
                "60",
                "--requests",
                "300",
                "--days",
                "90",
            ])
            .args(["--seed", seed, "--until", "2026-06-15T12:00:00Z"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dumps.push(dump(&url));
        // a second seed of the same database is refused and changes nothing
        let again = bin()
            .args([
                "seed",
                "--database-url",
                &url,
                "--users",
                "60",
                "--requests",
                "300",
            ])
            .output()
            .unwrap();
        assert!(!again.status.success());
        assert_eq!(dump(&url), dumps.last().unwrap().as_str());
        let _ = std::fs::remove_file(&path);
    }
    assert!(
        dumps[0].contains("repair_requests: 300"),
        "{}",
        &dumps[0][..200]
    );
    assert_eq!(dumps[0], dumps[1]);
    assert_ne!(dumps[0], dumps[2]);
}

#[tokio::test]
async fn the_seed_leaves_its_pooled_connection_as_the_pool_made_it() {
    use sea_orm::FromQueryResult;
    let (path, url) = temp_db("seed_pragma");
    // one connection: the one the seed loads with is the one the server reuses
    let db = teliman_stats::db::connect(&url, std::time::Duration::from_secs(5), 1)
        .await
        .unwrap();
    {
        use migration::MigratorTrait;
        migration::Migrator::up(&db, None).await.unwrap();
    }
    #[derive(FromQueryResult)]
    struct CacheSize {
        cache_size: i64,
    }
    let cache_size = || async {
        CacheSize::find_by_statement(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "PRAGMA cache_size",
        ))
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .cache_size
    };
    let before = cache_size().await;
    assert_eq!(before, -i64::from(teliman_stats::db::SQLITE_CACHE_KIB));
    teliman_stats::seed::run(
        &db,
        &teliman_stats::seed::SeedOptions {
            users: 50,
            requests: 200,
            logins: None,
            days: 30,
            seed: 1,
            now: "2026-06-15T12:00:00Z".parse().unwrap(),
            vacuum: true,
        },
    )
    .await
    .unwrap();
    assert_eq!(cache_size().await, before);
    db.close().await.ok();
    let _ = std::fs::remove_file(&path);
}

/// A seeded database (3 users, 3 requests) and an admin's token for it.
fn seeded(name: &str) -> (std::path::PathBuf, String, String) {
    let (path, url) = temp_db(name);
    let run = |args: &[&str]| {
        bin()
            .args(args)
            .args(["--database-url", &url])
            .env("JWT_SECRET", SECRET)
            .output()
            .unwrap()
    };
    assert!(run(&["migrate"]).status.success());
    assert!(
        run(&["seed", "--users", "3", "--requests", "3"])
            .status
            .success()
    );
    let token = String::from_utf8(run(&["token", "--email", "admin@teliman.example"]).stdout)
        .unwrap()
        .trim()
        .to_string();
    (path, url, token)
}

/// Starts `serve` on `url` (loopback, any port) with `env`; returns the process and its
/// address, once it listens. What it prints afterwards is read and dropped.
fn serve(
    url: &str,
    env: &[(&str, &str)],
    stderr: std::process::Stdio,
) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut server = bin()
        .args(["serve", "--database-url", url, "--bind", "127.0.0.1:0"])
        .env("JWT_SECRET", SECRET)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let addr = stdout
        .by_ref()
        .map(Result::unwrap)
        .find_map(|l| {
            l.strip_prefix("GraphQL:  http://")
                .map(|a| a.trim_end_matches("/graphql").to_string())
        })
        .unwrap();
    // keep reading what it prints (a closed pipe would stop it)
    std::thread::spawn(move || stdout.for_each(drop));
    (server, addr)
}

/// Sends one raw HTTP/1.1 request and returns the response's text.
fn http(addr: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn json_logs_have_one_line_per_request_and_never_a_token() {
    let (path, url, token) = seeded("logs");
    let (mut server, addr) = serve(
        &url,
        &[("LOG_FORMAT", "json"), ("RUST_LOG", "info")],
        std::process::Stdio::piped(),
    );
    // a sign-in link's token, and a bearer token
    let link = http(
        &addr,
        "GET /?token=SECRET-OF-THE-LINK HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(link.starts_with("HTTP/1.1 200"), "{link}");
    // a window nothing else reads: computed by the first request, served to the others
    let body = r#"{"query":"query Named { globalStatistics(filter: { period: LAST_7D, asOf: \"2026-01-01T00:00:00Z\" }) { overview { totalUsers } } }"}"#;
    for _ in 0..3 {
        let answer = http(
            &addr,
            &format!(
                "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        );
        assert!(answer.contains("\"totalUsers\":"), "{answer}");
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    server.kill().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut log).unwrap();
    server.wait().unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let requests: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["target"] == "request").collect();
    assert_eq!(requests.len(), 4, "{log}");
    assert_eq!(requests[0]["path"], "/");
    assert_eq!(requests[0]["status"], 200);
    let graphql = requests[1];
    assert_eq!(
        (
            &graphql["method"],
            &graphql["path"],
            &graphql["operation"],
            &graphql["outcome"],
            &graphql["cache"],
            &graphql["status"]
        ),
        (
            &serde_json::json!("POST"),
            &serde_json::json!("/graphql"),
            &serde_json::json!("Named"),
            &serde_json::json!("ok"),
            &serde_json::json!("miss"),
            &serde_json::json!(200)
        )
    );
    assert!(graphql["ms"].as_f64().unwrap() > 0.0);
    // the second from the cache, the third from the answers kept as bytes
    for kept in &requests[2..] {
        assert_eq!(
            (&kept["operation"], &kept["cache"]),
            (&serde_json::json!("Named"), &serde_json::json!("hit"))
        );
    }
    assert!(!log.contains("SECRET-OF-THE-LINK") && !log.contains(&token) && !log.contains(SECRET));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_stopping_server_closes_its_websockets_with_going_away_and_exits() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let (path, url, token) = seeded("stop");
    let (mut server, addr) = serve(&url, &[], std::process::Stdio::null());
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = serde_json::json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .unwrap();
    let subscribe = serde_json::json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { liveStats(intervalSeconds: 5) { openRequests } }" } });
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await
        .unwrap();
    // the acknowledgement, then the first value: the subscriber is live
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match tokio::time::timeout(std::time::Duration::from_secs(20), socket.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => seen.push(t.to_string()),
            Ok(Some(Ok(_))) => {}
            other => panic!("before the stop: {other:?}"),
        }
    }
    assert!(
        seen[0].contains("connection_ack") && seen[1].contains("openRequests"),
        "{seen:?}"
    );
    // SIGTERM: a close frame that says the server goes away, then the process ends by itself
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let close = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(30), socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    let frame = close.expect("a close frame with a code");
    assert_eq!(u16::from(frame.code), 1001, "{frame:?}");
    let mut waited = 0;
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(
            waited < 300,
            "the server did not exit within 30 s of SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited += 1;
    };
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_file(&path);
}
