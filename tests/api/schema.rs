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
