//! `schema.graphql` is the SDL the server exports: this test rewrites it and fails when it
//! changed, so a schema change is always committed with the file.

#[test]
fn committed_sdl_matches_the_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let sdl = teliman_stats::graphql::sdl();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != sdl {
        std::fs::write(&path, &sdl).unwrap();
        panic!("schema.graphql was out of date and has been rewritten; review and commit it");
    }
}

/// The catalog names every figure of the schema, with the shape the schema gives it.
#[tokio::test]
async fn the_metric_catalog_covers_every_figure_of_the_schema() {
    use serde_json::{Value, json};
    let app = crate::helpers::TestApp::new(&crate::helpers::Engine::Sqlite).await;
    let fields = |name: &str| {
        let query = format!(
            "{{ __type(name: \"{name}\") {{ fields {{ name type {{ kind name ofType {{ kind name ofType {{ kind name ofType {{ kind name }} }} }} }} }} }} }}"
        );
        let app = &app;
        async move {
            let data = app.data(&query, json!({})).await;
            data["__type"]["fields"].as_array().unwrap().clone()
        }
    };
    // the innermost named type and whether a list wraps it
    fn unwrap(t: &Value) -> (String, bool) {
        let mut t = t;
        let mut list = false;
        while t["name"].is_null() {
            list |= t["kind"] == "LIST";
            t = &t["ofType"];
        }
        (t["name"].as_str().unwrap().to_string(), list)
    }
    let mut expected = Vec::new();
    for group in fields("GlobalStatistics").await {
        let group_name = group["name"].as_str().unwrap();
        if ["meta", "previous"].contains(&group_name) {
            continue;
        }
        let (ty, _) = unwrap(&group["type"]);
        for field in fields(&ty).await {
            let (leaf, list) = unwrap(&field["type"]);
            let shape = match (group_name, list, leaf.as_str()) {
                ("trends", _, _) => "SERIES",
                (_, true, _) => "LIST",
                (_, false, "Int" | "Float" | "Decimal") => "SCALAR",
                other => panic!("unexpected field {other:?}"),
            };
            expected.push((
                format!("{group_name}.{}", field["name"].as_str().unwrap()),
                shape.to_string(),
            ));
        }
    }
    for field in fields("RealTimeStats").await {
        let name = field["name"].as_str().unwrap();
        let (leaf, _) = unwrap(&field["type"]);
        match leaf.as_str() {
            "Int" | "Float" | "Decimal" => {
                expected.push((format!("realtime.{name}"), "SCALAR".into()))
            }
            "DateTime" | "Boolean" => {}
            object => {
                for inner in fields(object).await {
                    expected.push((
                        format!("realtime.{name}.{}", inner["name"].as_str().unwrap()),
                        "SCALAR".into(),
                    ));
                }
            }
        }
    }
    expected.push(("alerts".into(), "LIST".into()));
    expected.sort();
    let mut catalog: Vec<(String, String)> = teliman_stats::catalog::CATALOG
        .iter()
        .map(|m| {
            (
                m.path.to_string(),
                format!("{:?}", m.metric_type).to_uppercase(),
            )
        })
        .collect();
    catalog.sort();
    assert_eq!(catalog, expected);
    app.cleanup().await;
}
