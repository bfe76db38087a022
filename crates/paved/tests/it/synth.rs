//! `paved synth`: the benchmark organisation has the sizes asked, is the
//! same for the same seed, is read by the product as ingestion would leave
//! it (every deployment's commit known, every person resolved), and never
//! overwrites a directory it did not write.

use std::path::Path;

use serde_json::Value;

use crate::support::{json, paved, run, stderr};

fn synth(dir: &Path, out: &str, seed: &str) -> Value {
    let output = run(paved(dir).args([
        "synth",
        "--out",
        out,
        "--seed",
        seed,
        "--services",
        "30",
        "--people",
        "90",
        "--commits",
        "3000",
        "--deployments",
        "400",
        "--incidents",
        "40",
        "--months",
        "3",
        "--end",
        "2026-11-01",
        "--format",
        "json",
    ]));
    assert!(output.status.success(), "paved synth failed: {}", stderr(&output));
    json(&output)
}

fn metrics(dir: &Path, out: &str) -> Value {
    let output = run(paved(dir)
        .args([
            "metrics",
            "--org",
            "--since",
            "2026-08-01",
            "--until",
            "2026-11-01",
            "--format",
            "json",
            "--database-url",
        ])
        .arg(dir.join(out).join("paved.db")));
    assert!(output.status.success(), "paved metrics failed: {}", stderr(&output));
    json(&output)
}

#[test]
fn the_organisation_has_the_sizes_asked_and_reads_as_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let summary = synth(dir.path(), "org", "7");
    assert_eq!(summary["services"], 30);
    assert_eq!(summary["people"], 90);
    assert_eq!(summary["commits"], 3000);
    assert_eq!(summary["deployments"], 400);
    assert_eq!(summary["incidents"], 40);
    assert_eq!(
        summary["raw_events"],
        400 + 3 * 40,
        "a deployment, and an incident's opening, acknowledgement and resolution"
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("org/synth.json")).unwrap()).unwrap();
    assert_eq!(written["commits"], 3000, "synth.json says what was generated");

    let metrics = metrics(dir.path(), "org");
    assert!(metrics["deployment_frequency"]["deployments"].as_u64().unwrap() > 100, "{metrics}");
    assert!(metrics["lead_time_for_changes"]["changes"].as_u64().unwrap() > 0);
    let notes = metrics["notes"].as_array().unwrap();
    for kind in ["unknown_commit", "unresolved_identity", "unknown_deployment_link"] {
        assert!(notes.iter().all(|note| note["kind"] != kind), "no {kind} note: {notes:?}");
    }
    assert!(
        metrics["change_failure_rate"]["failed"].as_u64().unwrap() > 0,
        "failures, rollbacks and incidents are planted"
    );
}

#[test]
fn the_same_seed_gives_the_same_figures_and_a_foreign_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), "a", "11");
    synth(dir.path(), "b", "11");
    assert_eq!(metrics(dir.path(), "a"), metrics(dir.path(), "b"));
    synth(dir.path(), "a", "12");
    assert_ne!(
        metrics(dir.path(), "a"),
        metrics(dir.path(), "b"),
        "another seed, another history; and an earlier synth directory is replaced"
    );

    std::fs::create_dir(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/notes.txt"), "keep me").unwrap();
    let output = run(paved(dir.path()).args(["synth", "--out", "mine", "--services", "15", "--commits", "10"]));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("was not written by `paved synth`"), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(dir.path().join("mine/notes.txt")).unwrap(), "keep me");
}

#[test]
fn fewer_commits_than_repositories_leave_some_repositories_empty() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(paved(dir.path()).args([
        "synth",
        "--out",
        "small",
        "--services",
        "15",
        "--people",
        "25",
        "--commits",
        "3",
        "--deployments",
        "0",
        "--incidents",
        "0",
        "--months",
        "1",
        "--end",
        "2026-11-01",
        "--format",
        "json",
    ]));
    // Repositories the three commits did not reach are stored without a tip,
    // as an empty repository imported would be, instead of failing the run.
    assert!(output.status.success(), "paved synth failed: {}", stderr(&output));
    assert_eq!(json(&output)["commits"], 3, "{}", String::from_utf8_lossy(&output.stdout));
}
