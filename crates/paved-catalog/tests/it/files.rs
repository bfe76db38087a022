//! Files and directories that cannot be used: each is one clear problem,
//! never a panic, and never the end of the run.

use std::fs;
use std::path::PathBuf;

use paved_catalog::{LoadOptions, ProblemCode, Severity};
use tempfile::TempDir;

use crate::support::{GROUP, load_paths, located, render, write_files};

#[test]
fn a_file_over_the_limit_is_reported_from_its_size_alone() {
    let dir = TempDir::new().unwrap();
    let huge = dir.path().join("huge.yaml");
    // A sparse 50 MB file: no disk space used, and reading it would take a
    // while and 50 MB of memory. Only its metadata may be looked at.
    fs::File::create(&huge).unwrap().set_len(50 * 1024 * 1024).unwrap();
    write_files(dir.path(), &[("group.yaml", GROUP)]);

    let load = load_paths(&[huge.clone(), dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(located(&problems, dir.path()), ["file-too-large huge.yaml:0:0"], "{}", render(&load));
    assert!(problems[0].message.contains("52428800 bytes"), "{}", problems[0].message);
    // The rest of the directory is still read; the huge file only once.
    assert_eq!(load.entities.len(), 1);
    assert_eq!(load.files_read, [dir.path().join("group.yaml")]);

    let small_limit = paved_catalog::load(
        &[dir.path().join("group.yaml")],
        &LoadOptions { max_file_bytes: 10, ..LoadOptions::default() },
    );
    assert_eq!(small_limit.problems[0].code, ProblemCode::FileTooLarge);
}

#[cfg(unix)]
#[test]
fn a_file_without_read_permission_is_unreadable() {
    use std::os::unix::fs::PermissionsExt;

    let dir = TempDir::new().unwrap();
    write_files(dir.path(), &[("secret.yaml", GROUP)]);
    let path = dir.path().join("secret.yaml");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads the file whatever its mode, so there is nothing to observe
    // there: the test only asserts when permissions actually apply.
    if fs::read(&path).is_ok() {
        return;
    }
    let load = load_paths(&[path.clone(), dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(located(&problems, dir.path()), ["unreadable-file secret.yaml:0:0"], "{}", render(&load));
    assert!(problems[0].message.contains("ermission denied"), "{}", problems[0].message);
}

#[test]
fn a_directory_without_descriptors_is_an_error_naming_what_is_looked_for() {
    let dir = TempDir::new().unwrap();
    write_files(
        dir.path(),
        &[
            ("values.yaml", "replicaCount: 2\nimage:\n  repository: acme/checkout\n"),
            ("deploy/deployment.yml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\n"),
            (".github/workflows/ci.yaml", GROUP),
            ("node_modules/pkg/catalog-info.yaml", GROUP),
            ("README.md", "# not yaml\n"),
        ],
    );
    let load = load_paths(&[dir.path().to_path_buf()]);
    assert_eq!(load.problems.len(), 1, "{}", render(&load));
    let problem = &load.problems[0];
    assert_eq!((problem.code, problem.line), (ProblemCode::NoDescriptors, 0));
    assert_eq!(problem.file, dir.path().display().to_string());
    assert!(problem.hint.contains("catalog-info.yaml"), "{}", problem.hint);
    assert!(load.files_read.is_empty());

    let nothing = load_paths(&[]);
    assert_eq!(nothing.problems[0].code, ProblemCode::NoDescriptors);
}

#[test]
fn a_path_that_does_not_exist_is_not_found_and_the_others_still_load() {
    let dir = TempDir::new().unwrap();
    write_files(dir.path(), &[("catalog-info.yaml", GROUP)]);
    let missing = dir.path().join("nope.yaml");
    let load = load_paths(&[missing, dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(located(&problems, dir.path()), ["not-found nope.yaml:0:0"]);
    assert!(problems[0].to_string().contains("nope.yaml: error[not-found]"), "{}", problems[0]);
    assert_eq!(load.entities.len(), 1);
}

#[test]
fn a_file_that_is_not_utf8_is_reported_at_the_first_bad_byte() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("latin1.yaml");
    fs::write(&path, b"apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: j\xf6rg\n").unwrap();
    let load = load_paths(&[path, dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    // Reported once, though named and also found by walking.
    assert_eq!(located(&problems, dir.path()), ["not-utf8 latin1.yaml:4:10"], "{}", render(&load));
    assert!(problems[0].message.contains("0xF6"), "{}", problems[0].message);
}

#[test]
fn catalog_info_and_named_files_are_always_read_other_yaml_only_if_it_is_a_descriptor() {
    let dir = TempDir::new().unwrap();
    write_files(
        dir.path(),
        &[("catalog-info.yaml", "kind: Component\n"), ("helm/values.yaml", "replicaCount: 2\n"), ("team.yml", GROUP)],
    );
    let load = load_paths(&[dir.path().to_path_buf(), dir.path().join("helm/values.yaml")]);
    let errors: Vec<_> = load.errors().collect();
    assert_eq!(
        located(&errors, dir.path()),
        [
            "missing-field catalog-info.yaml:1:1",
            "missing-field catalog-info.yaml:1:1",
            "missing-field helm/values.yaml:1:1",
            "missing-field helm/values.yaml:1:1",
            "missing-field helm/values.yaml:1:1",
        ],
        "{}",
        render(&load)
    );
    let files: Vec<_> = load.files_read.iter().map(|f| f.strip_prefix(dir.path()).unwrap().to_path_buf()).collect();
    assert_eq!(files, [PathBuf::from("catalog-info.yaml"), "team.yml".into(), "helm/values.yaml".into()]);
    assert_eq!(load.entities.len(), 1);
}

#[test]
fn locations_are_followed_relative_to_their_file_once_each_and_safely_in_cycles() {
    let dir = TempDir::new().unwrap();
    let location = |name: &str, targets: &[&str]| {
        let list: String = targets.iter().map(|t| format!("    - {t}\n")).collect();
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n  targets:\n{list}"
        )
    };
    let root = location(
        "root",
        &[
            "./teams/catalog-info.yaml",
            "file:teams/catalog-info.yaml",
            "https://github.com/acme/x/blob/main/catalog-info.yaml",
            "./missing.yaml",
            "./services/*.yaml",
        ],
    );
    let back = location("teams", &["../root.yaml", "./team.yaml"]);
    write_files(
        dir.path(),
        &[
            ("root.yaml", &root),
            ("teams/catalog-info.yaml", &back),
            ("teams/team.yaml", GROUP),
            ("services/a.yaml", &GROUP.replace("checkout", "a")),
            ("services/b.yaml", &GROUP.replace("checkout", "b")),
        ],
    );
    let load = load_paths(&[dir.path().join("root.yaml")]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(
        located(&problems, dir.path()),
        ["location-target root.yaml:9:7", "location-target root.yaml:10:7"],
        "{}",
        render(&load)
    );
    assert_eq!(problems[0].severity, Severity::Warning);
    assert!(problems[0].message.contains("not fetched"), "{}", problems[0].message);
    assert_eq!(problems[1].severity, Severity::Error);
    assert_eq!(problems[1].entity.as_deref(), Some("location:default/root"));
    assert!(problems[1].message.contains("./missing.yaml"), "{}", problems[1].message);

    let files: Vec<String> =
        load.files_read.iter().map(|f| f.strip_prefix(dir.path()).unwrap().display().to_string()).collect();
    // Breadth first: the root's targets, then the targets of those.
    assert_eq!(
        files,
        ["root.yaml", "teams/catalog-info.yaml", "services/a.yaml", "services/b.yaml", "teams/team.yaml"]
    );
    let refs: Vec<String> = load.entities.iter().map(|e| e.entity_ref.to_string()).collect();
    // The root Location has an error (its missing target), so it is left out.
    assert_eq!(refs, ["location:default/teams", "group:default/a", "group:default/b", "group:default/checkout"]);
}

#[test]
fn a_large_walked_yaml_is_skipped_unless_it_starts_like_a_descriptor() {
    let dir = TempDir::new().unwrap();
    write_files(
        dir.path(),
        &[
            ("group.yaml", GROUP),
            ("api/openapi-generated.yaml", "openapi: 3.0.3\ninfo:\n  title: Checkout\n  version: 1.0.0\n"),
            ("big-catalog.yaml", GROUP),
        ],
    );
    // Sparse 11 MB files: a real YAML start, then zeros.
    for name in ["api/openapi-generated.yaml", "big-catalog.yaml"] {
        let file = fs::OpenOptions::new().write(true).open(dir.path().join(name)).unwrap();
        file.set_len(11 * 1024 * 1024).unwrap();
    }
    let load = load_paths(&[dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    // The generated OpenAPI file is not a descriptor: nothing to say about it.
    assert_eq!(located(&problems, dir.path()), ["file-too-large big-catalog.yaml:0:0"], "{}", render(&load));
    assert!(problems[0].hint.contains("split"), "{}", problems[0].hint);
    assert!(!problems[0].hint.contains("raise"), "{}", problems[0].hint);
    assert_eq!(load.files_read, [dir.path().join("group.yaml")]);
    assert_eq!(load.entities.len(), 1);

    // Named explicitly, any file over the limit is reported.
    let named = load_paths(&[dir.path().join("api/openapi-generated.yaml")]);
    assert_eq!(named.problems.len(), 1, "{}", render(&named));
    assert_eq!(named.problems[0].code, ProblemCode::FileTooLarge);
}

/// Loads `paths` on another thread, failing instead of hanging when the
/// load does not finish.
#[cfg(unix)]
fn load_within_a_minute(paths: Vec<PathBuf>) -> paved_catalog::CatalogLoad {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(load_paths(&paths)).ok());
    rx.recv_timeout(std::time::Duration::from_secs(60)).expect("the load finishes instead of waiting on a pipe")
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_a_problem_at_its_path_not_a_hang() {
    let dir = TempDir::new().unwrap();
    write_files(dir.path(), &[("group.yaml", GROUP)]);
    let pipe = dir.path().join("pipe.yaml");
    assert!(std::process::Command::new("mkfifo").arg(&pipe).status().unwrap().success());

    let load = load_within_a_minute(vec![dir.path().to_path_buf()]);
    let problems: Vec<_> = load.problems.iter().collect();
    assert_eq!(located(&problems, dir.path()), ["unreadable-file pipe.yaml:0:0"], "{}", render(&load));
    assert!(problems[0].message.contains("is not a regular file (a named pipe)"), "{}", problems[0].message);
    assert_eq!(load.entities.len(), 1, "the rest of the directory is read");

    // Named on the command line, and as a Location's target.
    let load = load_within_a_minute(vec![pipe.clone()]);
    assert_eq!(load.problems[0].code, ProblemCode::UnreadableFile, "{}", render(&load));
    let location = format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: odd\nspec:\n  targets:\n    - {}\n    - /dev/zero\n",
        pipe.display()
    );
    let other = TempDir::new().unwrap();
    write_files(other.path(), &[("catalog-info.yaml", &location)]);
    let load = load_within_a_minute(vec![other.path().to_path_buf()]);
    let messages: Vec<_> = load.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("pipe.yaml is not a regular file (a named pipe)")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("/dev/zero is not a regular file (a device)")), "{messages:?}");
}
