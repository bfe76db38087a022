//! The fuzz targets' bodies (`fuzz/src/lib.rs`, included here as they are)
//! replayed by the test suite on the stable toolchain, so that they cannot
//! rot between fuzzing runs: over every input a fuzzer ever made fail
//! (`fuzz/regressions/TARGET/`, each a bug fixed since) and over the seeds
//! they start from, the repository's own fixtures. `scripts/fuzz.sh` runs
//! the same functions under libFuzzer.

use std::path::{Path, PathBuf};

#[path = "../../../../fuzz/src/lib.rs"]
mod targets;

use super::support::repo_root;

fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if keep(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_input_a_fuzzer_made_fail_passes_now() {
    let mut replayed = 0;
    for (name, target) in targets::TARGETS {
        let dir = repo_root().join("fuzz/regressions").join(name);
        for input in files_under(&dir, &|path| !path.ends_with(".keep")) {
            target(&std::fs::read(&input).unwrap());
            replayed += 1;
        }
    }
    // The two bugs fuzzing found first: a Module and a Template of another
    // API group were used as pavedroad's without the catalog checking them.
    assert!(replayed >= 2, "the regressions are kept: {replayed}");
}

#[test]
fn every_fixture_goes_through_its_target() {
    let root = repo_root();
    let yaml = |path: &Path| path.extension().is_some_and(|e| e == "yaml");
    let mut descriptors = files_under(&root.join("examples"), &yaml);
    descriptors.extend(files_under(&root.join("tests/fixtures/backstage-examples"), &yaml));
    assert!(descriptors.len() > 50, "{} descriptors", descriptors.len());
    for path in &descriptors {
        let text = std::fs::read(path).unwrap();
        targets::catalog(&text);
        targets::parameters(&[text.as_slice(), b"\n#--set--\nname=orders\nowner=group:default/checkout\n"].concat());
        targets::template(&text);
    }
    let json = |path: &Path| path.extension().is_some_and(|e| e == "json");
    let mut payloads = files_under(&root.join("tests/fixtures/real-payloads"), &json);
    payloads.extend(files_under(&root.join("crates/paved-ingest/tests/payloads"), &json));
    assert!(payloads.len() > 50, "{} payloads", payloads.len());
    for path in &payloads {
        let body = std::fs::read(path).unwrap();
        // Each payload as every source and event type: what a sender could
        // claim it is.
        for kind in 0..targets::KINDS.len() {
            targets::webhook(&[&[u8::try_from(kind).unwrap()], body.as_slice()].concat());
        }
    }
}
