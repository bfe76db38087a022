//! pavedroad's own payloads: what `POST /api/v1/deployments` and the
//! incident endpoints (and the CLI, which sends the same JSON) record, and
//! the messages a client gets for a bad payload.

use paved_domain::{DeploymentStatus, Record, Source};
use paved_ingest::api::{self, record_key};
use paved_ingest::{NormalizeError, Normalized, normalize::normalize};
use serde_json::json;

use crate::payloads::{catalog, input, received_at, settings};

fn run(event_type: &str, body: serde_json::Value, context: serde_json::Value) -> Result<Normalized, NormalizeError> {
    let body = body.to_string().into_bytes();
    normalize(&input(Source::Api, event_type, &body, &context), &settings())
}

fn record(normalized: Normalized) -> Record {
    match normalized {
        Normalized::Observations { mut observations, .. } => observations.remove(0).record,
        Normalized::Ignored(reason) => panic!("ignored: {reason}"),
    }
}

fn error(result: Result<Normalized, NormalizeError>) -> String {
    result.expect_err("the payload is refused").to_string()
}

#[test]
fn a_deployment_is_recorded_with_defaults_filled_in() {
    let body = json!({"id": "run-42", "service": "hello-world", "environment": "production",
                      "sha": "ABCDEF1234567", "actor": "Codertocat", "started_at": "2026-11-20T11:50:00+01:00"});
    let Record::Deployment(d) = record(run(api::DEPLOYMENT, body, json!({})).unwrap()) else { panic!() };
    assert_eq!(d.key, "api:run-42");
    assert_eq!(d.status, DeploymentStatus::Success, "success by default");
    assert_eq!(d.sha.as_deref(), Some("abcdef1234567"), "lower-cased");
    assert_eq!(d.finished_at, Some(received_at()), "a final status finishes when received unless told");
    assert_eq!(d.started_at.unwrap().to_rfc3339(), "2026-11-20T10:50:00+00:00", "kept in UTC");
    assert_eq!(d.actor.unwrap().to_string(), "login:codertocat");
    assert_eq!(d.service_name.as_deref(), Some("hello-world"));
}

#[test]
fn a_deployment_without_an_id_takes_the_one_the_server_generated() {
    let body = json!({"service": "hello-world", "environment": "prod", "sha": "abcdef1"});
    let Record::Deployment(d) = record(run(api::DEPLOYMENT, body.clone(), json!({"id": "gen-1"})).unwrap()) else {
        panic!()
    };
    assert_eq!(d.key, "api:gen-1");
    assert!(error(run(api::DEPLOYMENT, body, json!({}))).contains("id is missing"));
}

#[test]
fn bad_deployments_say_which_field_is_wrong() {
    let base = json!({"id": "1", "service": "s", "environment": "production", "sha": "abcdef1"});
    let with = |field: &str, value: serde_json::Value| {
        let mut body = base.clone();
        body[field] = value;
        error(run(api::DEPLOYMENT, body, json!({})))
    };
    assert!(with("sha", json!("xyz")).contains("sha `xyz` is not a commit id"));
    assert!(with("status", json!("done")).contains("status `done` is not one of"));
    assert!(with("finished_at", json!("yesterday")).contains("finished_at `yesterday` is not an RFC 3339 time"));
    assert!(with("environment", json!(" ")).contains("environment is missing or blank"));
    assert!(with("trigger", json!("cron")).contains("trigger `cron`"));
    assert!(with("repo", json!("not a repo")).contains("repo:"));
    assert!(with("servce", json!("typo")).contains("unknown field `servce`"), "typos are not dropped");
    let mut backwards = base.clone();
    backwards["started_at"] = json!("2026-11-20T12:00:00Z");
    backwards["finished_at"] = json!("2026-11-20T11:00:00Z");
    assert!(error(run(api::DEPLOYMENT, backwards, json!({}))).contains("is before started_at"));
    let broken = normalize(&input(Source::Api, api::DEPLOYMENT, b"{\"id\": ", &json!({})), &settings());
    assert!(error(broken).contains("not valid JSON"));
}

#[test]
fn incidents_open_with_their_links_and_are_acknowledged_and_resolved_by_id() {
    let body = json!({"id": "INC-7", "service": "hello-world", "severity": "SEV-1",
                      "title": "500s on pay. root cause: 0123abcd", "caused_by": "run-42"});
    let Record::Incident(opened) = record(run(api::INCIDENT_OPEN, body, json!({})).unwrap()) else { panic!() };
    assert_eq!(opened.key, "api:INC-7");
    assert_eq!(opened.root_cause_sha.as_deref(), Some("0123abcd"));
    assert_eq!(opened.caused_by_deployment.as_deref(), Some("api:run-42"));
    assert_eq!(opened.opened_at, Some(received_at()));

    let ack = run(api::INCIDENT_ACKNOWLEDGE, json!({"by": "dana@acme.example"}), json!({"incident": "INC-7"}));
    let Record::Incident(ack) = record(ack.unwrap()) else { panic!() };
    assert_eq!(ack.key, "api:INC-7");
    assert_eq!(ack.acknowledged_by.unwrap().to_string(), "email:dana@acme.example");
    let resolve = run(
        api::INCIDENT_RESOLVE,
        json!({"by": "user:dana", "at": "2026-11-20T13:00:00Z"}),
        json!({"incident": "pagerduty:Q1"}),
    );
    let Record::Incident(resolved) = record(resolve.unwrap()) else { panic!() };
    assert_eq!(resolved.key, "pagerduty:Q1", "a PagerDuty incident can be resolved through the API");
    assert_eq!(resolved.resolved_by.unwrap().to_string(), "user:default/dana");
    assert!(error(run(api::INCIDENT_RESOLVE, json!({"by": "dana"}), json!({}))).contains("incident is missing"));
}

#[test]
fn ids_name_keys_of_known_sources_or_api_records() {
    assert_eq!(record_key("INC-7"), "api:INC-7");
    assert_eq!(record_key("github:github.com/acme/x/1"), "github:github.com/acme/x/1");
    assert_eq!(record_key("team:ops"), "api:team:ops");
}

#[test]
fn derivation_resolves_the_named_service_and_says_when_it_cannot() {
    let body = json!({"id": "1", "service": "nope", "environment": "production", "sha": "abcdef1"}).to_string();
    let context = json!({});
    let derived =
        paved_ingest::derive(&input(Source::Api, api::DEPLOYMENT, body.as_bytes(), &context), &catalog(), &settings());
    let Record::Deployment(d) = &derived.records[0] else { panic!() };
    assert_eq!(d.service, None);
    assert!(derived.reason.unwrap().contains("no component matches `nope`"));
    let body = json!({"id": "1", "service": "Hello-World", "environment": "production", "sha": "abcdef1"}).to_string();
    let derived =
        paved_ingest::derive(&input(Source::Api, api::DEPLOYMENT, body.as_bytes(), &context), &catalog(), &settings());
    let Record::Deployment(d) = &derived.records[0] else { panic!() };
    assert_eq!(d.service.as_ref().unwrap().to_string(), "component:default/hello-world");
    assert!(d.production, "production by the default names");
}
