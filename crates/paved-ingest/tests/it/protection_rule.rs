//! GitHub's `deployment_protection_rule` event: the payloads written for it
//! still validate against octokit's JSON Schema of the event (so they
//! cannot drift from what GitHub sends), and [`github::protection_rule_request`]
//! reads from them what the answer needs.

use std::path::PathBuf;

use paved_domain::{RepoId, Source};
use paved_ingest::github::{self, PROTECTION_RULE_EVENT, ProtectionRuleRequest};
use paved_ingest::{Normalized, normalize};
use serde_json::{Value, json};

use crate::payloads::{documented_payload, input, settings};

const PAYLOADS: [&str; 2] = [
    "github/deployment_protection_rule/requested.json",
    "github/deployment_protection_rule/requested.workflow_dispatch.json",
];

fn schema() -> Value {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/schemas/github/deployment_protection_rule.requested.schema.json");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    serde_json::from_str(&text).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft7::options().should_validate_formats(true).build(&schema()).expect("the vendored schema compiles")
}

/// Every way `value` breaks the schema, as `path: message` lines.
fn violations(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator.iter_errors(value).map(|error| format!("{}: {error}", error.instance_path())).collect()
}

fn payload(path: &str) -> Value {
    serde_json::from_slice(&documented_payload(path)).unwrap()
}

#[test]
fn the_written_payloads_validate_against_octokits_schema() {
    let validator = validator();
    for path in PAYLOADS {
        let body = payload(path);
        assert_eq!(violations(&validator, &body), Vec::<String>::new(), "{path}");
        assert!(body["deployment"]["creator"]["login"].is_string() && body["sender"]["login"].is_string(), "{path}");
    }
}

#[test]
fn the_schema_is_not_vacuous() {
    let validator = validator();
    let mut body = payload(PAYLOADS[0]);
    body["deployment"]["creator"].as_object_mut().unwrap().remove("site_admin");
    body["action"] = json!("approved");
    body["surprise"] = json!(true);
    let found = violations(&validator, &body).join("\n");
    assert!(found.contains("/deployment/creator") && found.contains("site_admin"), "{found}");
    assert!(found.contains("/action"), "{found}");
    assert!(found.contains("surprise"), "{found}");
}

#[test]
fn the_real_deployment_samples_fit_the_same_definitions() {
    // The payloads' `deployment` and `sender` were made from these; they
    // must be what the schema's definitions describe.
    let mut schema = schema();
    let definitions = schema["definitions"].take();
    for (sample, part, definition) in [
        ("deployment/with-installation.payload.json", "deployment", "deployment"),
        ("deployment/with-installation.payload.json", "sender", "user"),
        ("deployment/gh-pages.payload.json", "repository", "repository"),
    ] {
        let one = json!({"$ref": format!("#/definitions/{definition}"), "definitions": definitions});
        let validator = jsonschema::draft7::options().should_validate_formats(true).build(&one).unwrap();
        let body: Value = serde_json::from_slice(&crate::payloads::real_payload(&format!("github/{sample}"))).unwrap();
        assert_eq!(violations(&validator, &body[part]), Vec::<String>::new(), "{sample} {part}");
    }
}

#[test]
fn a_request_is_read_from_the_owners_payload() {
    let request = github::protection_rule_request(&documented_payload(PAYLOADS[0])).unwrap().expect("requested");
    assert_eq!(
        request,
        ProtectionRuleRequest {
            environment: "production".into(),
            callback_url:
                "https://api.github.com/repos/acme/checkout-api/actions/runs/11874566203/deployment_protection_rule"
                    .into(),
            repo: RepoId::from_github_slug("acme/checkout-api").unwrap(),
            sha: Some("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678".into()),
            git_ref: Some("main".into()),
            login: Some("lenafischer".into()),
            service_names: vec![],
            deployment_id: Some(2_318_845_102),
            event: Some("push".into()),
        }
    );
    let other = github::protection_rule_request(&documented_payload(PAYLOADS[1])).unwrap().unwrap();
    assert_eq!((other.login.as_deref(), other.event.as_deref()), (Some("priya-raman"), Some("workflow_dispatch")));
}

#[test]
fn the_creator_comes_before_the_sender_and_the_payload_may_name_the_service() {
    let mut body = payload(PAYLOADS[0]);
    body["sender"]["login"] = json!("someone-else");
    body["deployment"]["payload"] = json!({"service": "checkout-api"});
    body["deployment"]["sha"] = json!("A1B2C3D4E5F60718293A4B5C6D7E8F9012345678");
    let request = github::protection_rule_request(&serde_json::to_vec(&body).unwrap()).unwrap().unwrap();
    assert_eq!(request.login.as_deref(), Some("lenafischer"));
    assert_eq!(request.service_names, ["checkout-api"]);
    assert_eq!(request.sha.as_deref(), Some("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"), "lower case");
    body.as_object_mut().unwrap().remove("deployment");
    let request = github::protection_rule_request(&serde_json::to_vec(&body).unwrap()).unwrap().unwrap();
    assert_eq!(
        (request.login.as_deref(), request.sha),
        (Some("someone-else"), None),
        "without a deployment, the sender"
    );
}

#[test]
fn what_an_answer_needs_is_required_and_other_actions_ask_nothing() {
    for (field, named) in [("deployment_callback_url", "deployment_callback_url"), ("repository", "repository")] {
        let mut body = payload(PAYLOADS[0]);
        body.as_object_mut().unwrap().remove(field);
        let error = github::protection_rule_request(&serde_json::to_vec(&body).unwrap()).unwrap_err();
        assert!(error.0.contains(named), "{field}: {}", error.0);
    }
    let mut body = payload(PAYLOADS[0]);
    body.as_object_mut().unwrap().remove("environment");
    let request = github::protection_rule_request(&serde_json::to_vec(&body).unwrap()).unwrap().unwrap();
    assert_eq!(request.environment, "production", "the deployment's environment when the event has none");
    body["deployment"].as_object_mut().unwrap().remove("environment");
    let error = github::protection_rule_request(&serde_json::to_vec(&body).unwrap()).unwrap_err();
    assert!(error.0.contains("environment"), "{}", error.0);
    let mut body = payload(PAYLOADS[0]);
    body["action"] = json!("approved");
    assert_eq!(github::protection_rule_request(&serde_json::to_vec(&body).unwrap()).unwrap(), None);
    let error = github::protection_rule_request(b"[1, 2]").unwrap_err();
    assert!(error.0.contains("not a GitHub `deployment_protection_rule` event"), "{}", error.0);
}

#[test]
fn the_event_is_stored_as_a_question_not_a_record() {
    let body = documented_payload(PAYLOADS[0]);
    let context = json!({});
    match normalize(&input(Source::GitHub, PROTECTION_RULE_EVENT, &body, &context), &settings()).unwrap() {
        Normalized::Ignored(reason) => assert!(reason.contains("deploy policy"), "{reason}"),
        other => panic!("{other:?}"),
    }
}
