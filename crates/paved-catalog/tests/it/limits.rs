//! Descriptors that YAML allows but that could not be stored and read back:
//! each is an error at its place, so nothing is imported that fails later.

use paved_catalog::ProblemCode;
use tempfile::TempDir;

use crate::support::{GROUP, entity, load_paths, located, render, write_files};

/// A Group whose document nests `depth` collections: the root mapping,
/// `spec`, and `depth - 2` lists in `spec.deep` (line 8, first `[` at column 9).
fn nested_group(name: &str, depth: usize) -> String {
    let lists = depth - 2;
    GROUP.replace("checkout", name) + &format!("  deep: {}x{}\n", "[".repeat(lists), "]".repeat(lists))
}

#[test]
fn a_descriptor_nested_64_deep_loads_and_reads_back_and_65_deep_is_an_error_where_it_goes_over() {
    let dir = TempDir::new().unwrap();
    write_files(dir.path(), &[("ok.yaml", &nested_group("ok", 64)), ("deep.yaml", &nested_group("deep", 65))]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    // The 63rd `[` opens the 65th level.
    assert_eq!(located(&problems, dir.path()), ["yaml-syntax deep.yaml:8:71"], "{}", render(&load));
    assert!(problems[0].message.contains("nested deeper than 64 levels"), "{}", problems[0].message);
    assert!(problems[0].hint.contains("flatten"), "{}", problems[0].hint);

    // What is loaded can be stored as JSON and read back (serde_json stops
    // at 128 levels).
    let ok = entity(&load, "group:default/ok");
    let json = serde_json::to_string(ok).unwrap();
    let back: paved_domain::CatalogEntity = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, ok);
}

#[test]
fn aliases_that_nest_past_the_depth_limit_are_an_error_at_the_alias() {
    let dir = TempDir::new().unwrap();
    // `spec.a` is 40 deep; `spec.b` puts it 30 levels further down.
    let text = GROUP.to_owned()
        + &format!("  a: &a {}x{}\n", "[".repeat(40), "]".repeat(40))
        + &format!("  b: {}*a{}\n", "[".repeat(30), "]".repeat(30));
    write_files(dir.path(), &[("alias.yaml", &text)]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(located(&problems, dir.path()), ["yaml-syntax alias.yaml:9:36"], "{}", render(&load));
    assert!(problems[0].message.contains("nested deeper than 64 levels"), "{}", problems[0].message);
    assert!(load.entities.is_empty());
}

#[test]
fn nul_characters_in_strings_and_keys_are_errors_at_their_place() {
    let dir = TempDir::new().unwrap();
    let component = "\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: web
  description: \"a\\0b\"
  annotations:
    \"x\\0y\": z
spec:
  type: website
  lifecycle: production
  owner: checkout
";
    write_files(dir.path(), &[("catalog-info.yaml", &format!("{GROUP}---\n{component}"))]);
    let load = load_paths(&[dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(
        located(&problems, dir.path()),
        [
            "invalid-field catalog-info.yaml:13:16",
            "invalid-field catalog-info.yaml:15:5",
            // Not a valid annotation key either.
            "bad-annotation catalog-info.yaml:15:5",
        ],
        "{}",
        render(&load)
    );
    for problem in &problems[..2] {
        assert_eq!(problem.code, ProblemCode::InvalidField);
        assert!(
            problem.message.contains("contains a NUL character (\\0), which pavedroad cannot store"),
            "{}",
            problem.message
        );
        assert_eq!(problem.entity.as_deref(), Some("component:default/web"));
    }
    assert!(problems[0].message.starts_with("`metadata.description`"), "{}", problems[0].message);
    assert!(problems[1].message.contains("`x\\0y` in `metadata.annotations`"), "{}", problems[1].message);
    // Only the Group is loaded, so nothing with a NUL reaches the store.
    let refs: Vec<String> = load.entities.iter().map(|e| e.entity_ref.to_string()).collect();
    assert_eq!(refs, ["group:default/checkout"]);
}
