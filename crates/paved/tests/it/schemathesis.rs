//! schemathesis (PyPI) reads the OpenAPI document of `paved demo`,
//! generates requests from it (valid ones, and ones that break it), sends
//! them to the running demo with an admin token, and checks every answer
//! against the document: no 5xx, no status the operation does not
//! document, bodies and content types as documented, and every request
//! that breaks the document refused.
//!
//! Without `st` the test says SKIPPED, unless `PAVED_REQUIRE_SCHEMATHESIS`
//! is set (as `.ci/run` does).

use std::io::Write as _;
use std::process::Command;

use crate::prometheus::start_demo_with;
use crate::support::{paved, run};

/// The checks run on every answer.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance,negative_data_rejection,\
                      missing_required_header,ignored_auth,unsupported_method";

fn installed() -> bool {
    if Command::new("st")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("st, version"))
    {
        return true;
    }
    assert!(
        std::env::var_os("PAVED_REQUIRE_SCHEMATHESIS").is_none(),
        "PAVED_REQUIRE_SCHEMATHESIS is set but schemathesis is missing (pip install schemathesis)"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED: schemathesis is not installed (pip install schemathesis)");
    false
}

#[test]
fn every_answer_of_the_demo_matches_the_openapi_document() {
    if !installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // No write limit: every generated request reaches its handler (the
    // limit's 429 is documented, and tested on its own).
    let (_demo, address) = start_demo_with(dir.path(), &["--out", "demo"], &[("PAVED_RATE_LIMIT_WRITES", "0")]);
    let created = run(paved(dir.path()).args([
        "token",
        "create",
        "--database-url",
        "demo/paved.db",
        "--admin",
        "--name",
        "schemathesis",
        "--format",
        "json",
    ]));
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token: serde_json::Value = serde_json::from_slice(&created.stdout).unwrap();
    let token = token["token"].as_str().unwrap();
    let output = Command::new("st")
        .current_dir(dir.path())
        .args(["run", &format!("http://{address}/api/v1/openapi.json")])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "25", "--seed", "20261205", "--workers", "1", "--no-shrink"])
        .args(["--request-timeout", "30"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found answers that do not match the document:\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = text.lines().rev().find(|line| line.contains("passed") || line.contains("failures")).unwrap_or("");
    let _ = writeln!(std::io::stderr(), "schemathesis: {summary}");
    assert!(text.contains("Tested: "), "it tested operations:\n{text}");
}
