//! Exports: each format read back and compared with the API's numbers for the same filter,
//! the job's life (failure, resumption after a crash, expiry), downloads (admins only, by a
//! UUID, recorded), and `exportProgress` over the WebSocket.

use crate::fixture::{AS_OF, ROWS};
use crate::helpers::{Engine, TestApp, codes, engines};
use crate::live::{Client, Frame};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const REQUEST: &str = "mutation($input: ExportInput!) { requestExport(input: $input) { id format status fileName sizeBytes error requestedAt downloadUrl } }";
const READ: &str =
    "query($id: ID!) { export(id: $id) { id status fileName sizeBytes error downloadUrl } }";

fn filter() -> Value {
    json!({"asOf": AS_OF, "period": "LAST_30D"})
}

/// Requests an export and waits for its runner to end it.
async fn exported(app: &TestApp, format: &str, lang: &str) -> Value {
    let job = app
        .data(
            REQUEST,
            json!({"input": {"format": format, "filter": filter(), "lang": lang}}),
        )
        .await["requestExport"]
        .clone();
    assert_eq!(job["status"], "PENDING");
    assert!(job["downloadUrl"].is_null());
    finished(app, job["id"].as_str().unwrap()).await
}

async fn finished(app: &TestApp, id: &str) -> Value {
    for _ in 0..100 {
        let row = app.data(READ, json!({"id": id})).await["export"].clone();
        if row["status"] != "PENDING" && row["status"] != "PROCESSING" {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("export {id} never ended");
}

/// GETs a download: status, headers and bytes.
async fn download(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    match token {
        Some(t) => {
            let bearer = format!("Bearer {t}");
            app.get(path, &[(axum::http::header::AUTHORIZATION, &bearer)])
                .await
        }
        None => app.get(path, &[]).await,
    }
}

/// The text of a PDF, by pdftotext (poppler-utils; `.ci/run` installs it when missing).
fn pdf_text(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("pdf-{}-{}", std::process::id(), bytes.len()));
    std::fs::write(&dir, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&dir)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) reads the PDF back: install it");
    let _ = std::fs::remove_file(&dir);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// `"89445101.94"` as a French reader writes it: `89 445 101,94 FCFA` (narrow no-break
/// spaces between groups and before the currency).
fn french_money(amount: &str) -> String {
    let (int, cents) = amount.split_once('.').unwrap();
    let digits: Vec<char> = int.chars().collect();
    let mut grouped = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('\u{202f}');
        }
        grouped.push(*c);
    }
    format!("{grouped},{cents}\u{202f}FCFA")
}

async fn api(app: &TestApp) -> Value {
    app.data(
        "query($f: StatsFilter) { globalStatistics(filter: $f) {
            overview { totalUsers totalRequests totalRevenue avgRating }
            requests { total successRate byCity { key total completed successRate } }
            financial { totalRevenue platformFees paymentMethods { method count total } }
            satisfaction { totalReviews avgRating }
            trends { daily { bucketStart requests revenue } }
        } }",
        json!({"f": filter()}),
    )
    .await["globalStatistics"]
        .clone()
}

#[tokio::test]
async fn every_format_carries_the_numbers_of_the_api() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let runner = app.state.exports.spawn();
        let api = api(&app).await;
        let token = app.token(1, 1);

        // JSON: the payload and the header
        let job = exported(&app, "JSON", "fr").await;
        assert_eq!(job["status"], "COMPLETED", "{job}");
        assert_eq!(job["fileName"], "statistiques-2026-06-15-last_30d.json");
        let url = job["downloadUrl"].as_str().unwrap().to_string();
        let (status, headers, bytes) = download(&app, &url, Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"statistiques-2026-06-15-last_30d.json\""
        );
        assert_eq!(job["sizeBytes"], bytes.len());
        let file: Value = serde_json::from_slice(&bytes).unwrap();
        let g = &file["globalStatistics"];
        assert_eq!(
            g["overview"]["totalRevenue"], api["overview"]["totalRevenue"],
            "{engine:?}"
        );
        assert_eq!(g["overview"]["totalUsers"], api["overview"]["totalUsers"]);
        assert_eq!(g["requests"]["byCity"], api["requests"]["byCity"]);
        assert_eq!(
            g["financial"]["paymentMethods"],
            api["financial"]["paymentMethods"]
        );
        assert_eq!(
            g["satisfaction"]["avgRating"],
            api["satisfaction"]["avgRating"]
        );
        let header = &file["header"];
        assert_eq!(header["period"], "LAST_30D");
        assert_eq!(header["currency"], "XOF");
        assert_eq!(header["timezone"], "UTC");
        assert_eq!(header["platform"], "Teliman");
        assert!(
            header["asOf"]
                .as_str()
                .unwrap()
                .starts_with("2026-06-15T12:00:00")
        );

        // CSV: the long table, with a byte-order mark
        let job = exported(&app, "CSV", "fr").await;
        let (status, headers, bytes) =
            download(&app, job["downloadUrl"].as_str().unwrap(), Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
        assert_eq!(&bytes[..3], b"\xef\xbb\xbf");
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
        assert_eq!(rows[0], ["section", "metric", "key", "value"]);
        let find = |s: &str, m: &str, k: &str| -> String {
            rows.iter()
                .find(|r| r[0] == s && r[1] == m && r[2] == k)
                .unwrap_or_else(|| panic!("no row {s},{m},{k}"))[3]
                .to_string()
        };
        assert_eq!(
            find("financial", "totalRevenue", ""),
            api["financial"]["totalRevenue"].as_str().unwrap()
        );
        assert_eq!(
            find("requests", "total", ""),
            api["requests"]["total"].to_string()
        );
        let bamako = api["requests"]["byCity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["key"] == "Bamako")
            .unwrap();
        assert_eq!(
            find("requests", "byCity.total", "Bamako"),
            bamako["total"].to_string()
        );

        // XLSX: the sheets and the figures, read back with a spreadsheet reader
        let job = exported(&app, "XLSX", "fr").await;
        let (status, headers, bytes) =
            download(&app, job["downloadUrl"].as_str().unwrap(), Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            headers["content-type"],
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        use calamine::{DataType, Reader};
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(
            book.sheet_names(),
            [
                "Vue d'ensemble",
                "Demandes",
                "Financier",
                "Satisfaction",
                "Techniciens",
                "Sécurité",
                "Tendances"
            ]
        );
        let value_of = |book: &mut calamine::Xlsx<_>, sheet: &str, label: &str| -> f64 {
            let range = book.worksheet_range(sheet).unwrap();
            let row = range
                .rows()
                .find(|r| r.first().is_some_and(|c| c.get_string() == Some(label)))
                .unwrap_or_else(|| panic!("no row {label} in {sheet}"));
            match &row[1] {
                calamine::Data::Float(f) => *f,
                calamine::Data::Int(i) => *i as f64,
                other => panic!("{label}: {other:?}"),
            }
        };
        let revenue: f64 = api["financial"]["totalRevenue"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            value_of(&mut book, "Financier", "Chiffre d'affaires"),
            revenue
        );
        let rate = api["requests"]["successRate"].as_f64().unwrap();
        assert!((value_of(&mut book, "Demandes", "Taux de réussite") - rate / 100.0).abs() < 1e-12);
        assert_eq!(
            value_of(&mut book, "Vue d'ensemble", "Utilisateurs inscrits"),
            api["overview"]["totalUsers"].as_f64().unwrap()
        );
        // English labels on request
        let job = exported(&app, "XLSX", "en").await;
        assert_eq!(job["fileName"], "statistics-2026-06-15-last_30d.xlsx");
        let (_, _, bytes) =
            download(&app, job["downloadUrl"].as_str().unwrap(), Some(&token)).await;
        let book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names()[0], "Overview");

        // PDF: its text, extracted by pdftotext, carries the figures the French way
        let job = exported(&app, "PDF", "fr").await;
        assert_eq!(job["status"], "COMPLETED", "{job}");
        let (status, headers, bytes) =
            download(&app, job["downloadUrl"].as_str().unwrap(), Some(&token)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["content-type"], "application/pdf");
        assert!(bytes.starts_with(b"%PDF"));
        let text = pdf_text(&bytes);
        for expected in [
            "Rapport statistique",
            "Vue d'ensemble",
            "Sécurité",
            "Tendance quotidienne",
            "Page 1 / ",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} not in the PDF's text"
            );
        }
        // pdftotext writes the narrow no-break space as a plain one
        let revenue = french_money(api["financial"]["totalRevenue"].as_str().unwrap())
            .replace('\u{202f}', " ");
        assert!(
            text.replace('\u{202f}', " ").contains(&revenue),
            "{revenue:?} not in the PDF's text"
        );
        let job = exported(&app, "PDF", "en").await;
        let (_, _, bytes) =
            download(&app, job["downloadUrl"].as_str().unwrap(), Some(&token)).await;
        let text = pdf_text(&bytes);
        assert!(
            text.contains("Statistics report") && text.contains("Revenue"),
            "English labels"
        );

        // every download is recorded: who and when
        let (n,): (i64,) = {
            use sea_orm::{ConnectionTrait, Statement};
            let row = app
                .db
                .query_one_raw(Statement::from_string(
                    app.db.get_database_backend(),
                    "SELECT COUNT(*) AS n FROM statistics_export_downloads WHERE downloaded_by = 1",
                ))
                .await
                .unwrap()
                .unwrap();
            (row.try_get("", "n").unwrap(),)
        };
        assert_eq!(n, 6);
        runner.abort();
        app.cleanup().await;
    }
}

#[tokio::test]
async fn failing_stuck_and_expired_jobs_end_as_they_must() {
    for engine in engines() {
        let app = TestApp::new(&engine).await;
        app.load(ROWS).await;
        let long_ago = "2026-06-15T11:00:00+00:00";
        let config = json!({"period": "ALL", "from": null, "to": null, "asOf": "2026-06-15T12:00:00Z",
                            "city": null, "specialty": null, "sections": ["overview"], "lang": "fr"});
        // a job whose settings cannot be read, one left waiting and one left running by a
        // crash (started an hour ago: its lease is over)
        app.load(&format!(
            "INSERT INTO statistics_exports (id, export_type, status, requested_by, export_config, created_at, started_at) VALUES \
             ('00000000-0000-4000-8000-000000000001', 'json', 'pending', 1, '{{\"nope\": true}}', '{long_ago}', NULL), \
             ('00000000-0000-4000-8000-000000000002', 'csv', 'pending', 1, '{config}', '{long_ago}', NULL), \
             ('00000000-0000-4000-8000-000000000003', 'json', 'processing', 1, '{config}', '{long_ago}', '{long_ago}')"
        ))
        .await;
        let runner = app.state.exports.spawn();
        let broken = finished(&app, "00000000-0000-4000-8000-000000000001").await;
        assert_eq!(broken["status"], "FAILED", "{engine:?}");
        assert!(
            broken["error"]
                .as_str()
                .unwrap()
                .contains("settings cannot be read"),
            "{broken}"
        );
        assert!(broken["downloadUrl"].is_null());
        for id in [
            "00000000-0000-4000-8000-000000000002",
            "00000000-0000-4000-8000-000000000003",
        ] {
            assert_eq!(finished(&app, id).await["status"], "COMPLETED", "{id}");
        }
        // a file past its expiry is removed and its job marked EXPIRED
        app.load("UPDATE statistics_exports SET expires_at = '2026-06-15T13:00:00+00:00' WHERE id = '00000000-0000-4000-8000-000000000002'")
            .await;
        assert_eq!(app.state.exports.expire().await.unwrap(), 1);
        let expired = app
            .data(READ, json!({"id": "00000000-0000-4000-8000-000000000002"}))
            .await;
        assert_eq!(expired["export"]["status"], "EXPIRED");
        let (status, _, body) = download(
            &app,
            "/exports/00000000-0000-4000-8000-000000000002/download",
            Some(&app.token(1, 1)),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(String::from_utf8_lossy(&body).contains("expired"));
        runner.abort();
        app.cleanup().await;
    }
}

#[tokio::test]
async fn only_admins_export_and_ids_are_uuids() {
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    let runner = app.state.exports.spawn();
    let client = app.token(2, 1);
    let (_, body) = app
        .post(Some(&client), REQUEST, json!({"input": {"format": "JSON"}}))
        .await;
    assert_eq!(codes(&body), ["FORBIDDEN"]);
    let job = exported(&app, "JSON", "fr").await;
    let url = job["downloadUrl"].as_str().unwrap();
    let (status, _, _) = download(&app, url, Some(&client)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = download(&app, url, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let admin = app.token(1, 1);
    let (status, _, body) = download(
        &app,
        "/exports/6f1c2f7e-1d2b-4c3a-9e8f-0a1b2c3d4e5f/download",
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("NOT_FOUND"));
    for path in [
        "/exports/..%2F..%2Fetc%2Fpasswd/download",
        "/exports/..%2FCargo.toml/download",
        "/exports/abc/download",
    ] {
        let (status, _, body) = download(&app, path, Some(&admin)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(
            String::from_utf8_lossy(&body).contains("BAD_USER_INPUT"),
            "{path}"
        );
    }
    // bad input is refused before anything is stored
    let token = app.token(1, 1);
    for input in [
        json!({"format": "JSON", "lang": "de"}),
        json!({"format": "JSON", "sections": ["nothing"]}),
        json!({"format": "JSON", "sections": []}),
        json!({"format": "JSON", "filter": {"from": "2026-06-02T00:00:00Z", "to": "2026-06-01T00:00:00Z"}}),
        json!({"format": "JSON", "filter": {"asOf": "2999-01-01T00:00:00Z"}}),
    ] {
        let (_, body) = app
            .post(Some(&token), REQUEST, json!({"input": input}))
            .await;
        assert_eq!(codes(&body), ["BAD_USER_INPUT"], "{input}");
    }
    let all = app
        .data(
            "{ exports(first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(all["exports"]["edges"].as_array().unwrap().len(), 1);
    // a JSON export of some sections holds those only
    let job = app
        .data(REQUEST, json!({"input": {"format": "JSON", "sections": ["financial", "overview"], "filter": filter()}}))
        .await["requestExport"]
        .clone();
    let job = finished(&app, job["id"].as_str().unwrap()).await;
    let (_, _, bytes) = download(&app, job["downloadUrl"].as_str().unwrap(), Some(&token)).await;
    let file: Value = serde_json::from_slice(&bytes).unwrap();
    let mut keys: Vec<&String> = file["globalStatistics"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    keys.sort();
    assert_eq!(keys, ["financial", "meta", "overview"]);
    // pages newest first by cursor; a bad cursor is BAD_USER_INPUT
    let page = "query($after: String) { exports(first: 1, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";
    let first = app.data(page, json!({"after": null})).await;
    assert_eq!(
        first["exports"]["edges"][0]["node"]["id"], job["id"],
        "the newest first"
    );
    assert_eq!(first["exports"]["pageInfo"]["hasNextPage"], true);
    let second = app
        .data(
            page,
            json!({"after": first["exports"]["pageInfo"]["endCursor"]}),
        )
        .await;
    assert_ne!(second["exports"]["edges"][0]["node"]["id"], job["id"]);
    assert_eq!(second["exports"]["pageInfo"]["hasNextPage"], false);
    let (_, body) = app.post(Some(&token), page, json!({"after": "7"})).await;
    assert_eq!(codes(&body), ["BAD_USER_INPUT"]);
    runner.abort();
    app.cleanup().await;
}

#[tokio::test]
async fn export_progress_pushes_each_status_until_the_end() {
    let app = TestApp::new(&Engine::Sqlite).await;
    app.load(ROWS).await;
    let addr = app.serve().await;
    let job = app
        .data(
            REQUEST,
            json!({"input": {"format": "CSV", "filter": filter()}}),
        )
        .await["requestExport"]
        .clone();
    let id = job["id"].as_str().unwrap();
    let mut client = Client::signed_in(addr, &app.token(1, 1)).await;
    client
        .subscribe(
            "p",
            &format!("subscription {{ exportProgress(id: \"{id}\") {{ status fileName }} }}"),
        )
        .await;
    assert_eq!(
        client.next_payload("p").await["data"]["exportProgress"]["status"],
        "PENDING"
    );
    let runner = app.state.exports.spawn();
    let mut last = Value::Null;
    loop {
        match client.next_message().await {
            Frame::Json(v) if v["type"] == "next" => {
                last = v["payload"]["data"]["exportProgress"].clone()
            }
            Frame::Json(v) if v["type"] == "complete" => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(last["status"], "COMPLETED");
    assert_eq!(last["fileName"], "statistiques-2026-06-15-last_30d.csv");
    // an unknown id: NOT_FOUND
    client
        .subscribe("q", "subscription { exportProgress(id: \"6f1c2f7e-1d2b-4c3a-9e8f-0a1b2c3d4e5f\") { status } }")
        .await;
    match client.next_message().await {
        Frame::Json(v) => {
            let code = if v["type"] == "error" {
                &v["payload"][0]
            } else {
                &v["payload"]["errors"][0]
            };
            assert_eq!(code["extensions"]["code"], "NOT_FOUND", "{v}");
        }
        other => panic!("{other:?}"),
    }
    runner.abort();
    app.cleanup().await;
}
