//! Tests of the PagerDuty Events API v2 compatible receiver: the check the
//! server runs before storing, and the normaliser on samples written from
//! PagerDuty's documentation.

use chrono::{DateTime, Utc};
use paved_domain::{Incident, IncidentStatus, Record, Source};
use paved_ingest::events_v2::{EnqueueRequest, EventAction, InvalidEvent, check};
use paved_ingest::normalize::normalize;
use paved_ingest::{Normalized, derive};
use serde_json::{Value, json};

use crate::payloads::{catalog, derivation_view, documented_payload, input, received_at, settings, view};

fn documented(name: &str) -> Vec<u8> {
    documented_payload(&format!("events_v2/{name}.json"))
}

fn normalized_in(body: &[u8], context: &Value) -> Result<Normalized, String> {
    // The server passes the event_action as the event type.
    normalize(&input(Source::EventsV2, "trigger", body, context), &settings()).map_err(|error| error.0)
}

fn normalized(body: &[u8]) -> Normalized {
    normalized_in(body, &json!({})).unwrap()
}

fn incident(normalized: &Normalized) -> Incident {
    let Normalized::Observations { observations, .. } = normalized else { panic!("ignored: {normalized:?}") };
    assert_eq!(observations.len(), 1);
    match &observations[0].record {
        Record::Incident(incident) => incident.clone(),
        other => panic!("not an incident: {other:?}"),
    }
}

fn errors(body: Value) -> Vec<String> {
    check(&serde_json::to_vec(&body).unwrap()).unwrap_err().errors
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

#[test]
fn documented_events_pass_the_check() {
    let request = |routing_key: &str, action, dedup_key: Option<&str>| EnqueueRequest {
        routing_key: routing_key.to_owned(),
        action,
        dedup_key: dedup_key.map(str::to_owned),
    };
    let key = "e93facc04764012d7bfb002500d5d1a6";
    assert_eq!(check(&documented("trigger")), Ok(request(key, EventAction::Trigger, Some("srv01/mysql"))));
    assert_eq!(check(&documented("acknowledge")), Ok(request(key, EventAction::Acknowledge, Some("srv01/mysql"))));
    assert_eq!(check(&documented("resolve")), Ok(request(key, EventAction::Resolve, Some("srv01/mysql"))));
    assert_eq!(
        check(&documented("trigger-without-dedup-key")),
        Ok(request("samplekeyhere", EventAction::Trigger, None))
    );
    assert_eq!(EventAction::Acknowledge.as_str(), "acknowledge");
}

#[test]
fn every_problem_is_reported_at_once_in_pagerdutys_words() {
    assert_eq!(errors(json!({})), ["'routing_key' is missing or blank", "'event_action' is missing or blank"]);
    assert_eq!(
        errors(json!({"routing_key": "token", "event_action": "trigger", "payload": {"summary": " "}})),
        [
            "'payload.summary' is missing or blank",
            "'payload.source' is missing or blank",
            "'payload.severity' is missing or blank"
        ]
    );
    assert_eq!(errors(json!({"routing_key": "token", "event_action": "trigger"})), ["'payload' is missing or blank"]);
    assert_eq!(
        errors(json!({"routing_key": " ", "event_action": "trigger", "payload": {
            "summary": "Disk full", "source": "db-1", "severity": "fatal", "timestamp": "last night"
        }})),
        [
            "'routing_key' is missing or blank",
            "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
            "'payload.timestamp' is invalid (must be an ISO 8601 date-time)"
        ]
    );
    assert_eq!(errors(json!({"routing_key": "token", "event_action": "resolve"})), ["'dedup_key' is missing or blank"]);
    assert_eq!(
        errors(json!({"routing_key": "token", "event_action": "acknowledge", "dedup_key": "  "})),
        ["'dedup_key' is missing or blank"]
    );
    assert_eq!(
        errors(json!({"routing_key": "token", "event_action": "escalate", "dedup_key": 7})),
        [
            "'event_action' is invalid (must be one of: 'trigger', 'acknowledge' or 'resolve')",
            "'dedup_key' is invalid (must be a string)"
        ]
    );
    assert_eq!(
        errors(json!({"routing_key": "token", "event_action": "resolve", "dedup_key": "x".repeat(256)})),
        ["'dedup_key' is too long (must be at most 255 characters)"]
    );
    assert_eq!(
        errors(json!({"routing_key": 42, "event_action": "resolve", "dedup_key": "k"})),
        ["'routing_key' is invalid (must be a string)"]
    );
}

#[test]
fn the_refusal_is_pagerdutys_400_body() {
    let invalid = check(br#"{"routing_key": "token", "event_action": "resolve"}"#).unwrap_err();
    assert_eq!(
        invalid.response_body(),
        json!({"status": "invalid event", "message": "Event object is invalid", "errors": ["'dedup_key' is missing or blank"]})
    );
    assert_eq!(invalid.to_string(), "Event object is invalid: 'dedup_key' is missing or blank");
}

#[test]
fn bodies_that_are_not_json_objects_are_unrecognized() {
    let InvalidEvent { status, message, errors } = check(b"{\"routing_key\": ").unwrap_err();
    assert_eq!((status, message), ("Unrecognized object", "Event object format is unrecognized"));
    assert!(errors[0].starts_with("JSON parse error: EOF while parsing"), "{errors:?}");
    let array = check(b"[]").unwrap_err();
    assert_eq!(
        (array.status, array.errors),
        ("Unrecognized object", vec!["the event is not a JSON object".to_owned()])
    );
}

#[test]
fn every_documented_sample_normalises() {
    let generated = json!({"dedup_key": "5b7a3f2e-6c1d-4f0e-9a8b-2d4c6e8f0a1b"});
    for name in ["trigger", "acknowledge", "resolve", "trigger-without-dedup-key", "trigger-with-service"] {
        let normalized = normalized_in(&documented(name), &generated).unwrap();
        insta::assert_json_snapshot!(format!("documented__{name}"), view(&normalized));
    }
}

#[test]
fn a_trigger_opens_at_its_timestamp_and_names_its_service() {
    let normalized = normalized(&documented("trigger"));
    let incident = incident(&normalized);
    assert_eq!(incident.key, "events:srv01/mysql");
    assert_eq!(incident.opened_at, Some(at("2015-07-17T08:42:58.315Z")), "the offset +0000 is read");
    assert_eq!(incident.title.as_deref(), Some("DISK at 99% on machine prod-datapipe03.example.com"));
    assert_eq!(incident.severity.as_deref(), Some("critical"));
    assert_eq!(incident.url.as_deref(), Some("https://monitoring.service.com"));
    let Normalized::Observations { observations, .. } = &normalized else { panic!() };
    assert_eq!(observations[0].service.names, ["mysql", "prod-datapipe03.example.com", "prod-datapipe"]);
}

#[test]
fn a_trigger_without_a_timestamp_opens_when_it_was_received() {
    let body = br#"{"routing_key": "token", "event_action": "trigger", "dedup_key": "k",
        "payload": {"summary": "Disk full", "source": "db-1", "severity": "warning"}}"#;
    assert_eq!(incident(&normalized(body)).opened_at, Some(received_at()));
}

#[test]
fn a_trigger_without_a_dedup_key_uses_the_one_the_server_generated() {
    let body = documented("trigger-without-dedup-key");
    let context = json!({"dedup_key": "5b7a3f2e-6c1d-4f0e-9a8b-2d4c6e8f0a1b"});
    assert_eq!(incident(&normalized_in(&body, &context).unwrap()).key, "events:5b7a3f2e-6c1d-4f0e-9a8b-2d4c6e8f0a1b");
    assert_eq!(
        normalized_in(&body, &json!({})).unwrap_err(),
        "the trigger has no dedup_key and the server passed none in context.dedup_key"
    );
}

#[test]
fn trigger_acknowledge_and_resolve_make_one_incident() {
    let trigger = incident(&normalized(&documented("trigger")));
    let acknowledge = incident(&normalized(&documented("acknowledge")));
    let resolve = incident(&normalized(&documented("resolve")));
    assert_eq!(acknowledge.acknowledged_at, Some(received_at()));
    assert_eq!(acknowledge.acknowledged_by, None, "the Events API names no person");
    assert_eq!(resolve.resolved_at, Some(received_at()));
    let mut records =
        [&trigger, &acknowledge, &trigger, &resolve].into_iter().map(|incident| Record::Incident(incident.clone()));
    let first = records.next().unwrap();
    let Record::Incident(merged) = records.fold(first, Record::merge) else { panic!() };
    assert_eq!(merged.status(), IncidentStatus::Resolved);
    assert_eq!(merged.opened_at, trigger.opened_at, "a repeated trigger changes nothing");
    assert_eq!(merged.title, trigger.title);
}

#[test]
fn a_trigger_is_routed_by_its_service_and_names_its_root_cause() {
    let body = documented("trigger-with-service");
    let context = json!({});
    let derivation = derive(&input(Source::EventsV2, "trigger", &body, &context), &catalog(), &settings());
    insta::assert_json_snapshot!("derived__trigger-with-service", derivation_view(&derivation));
    let Record::Incident(incident) = &derivation.records[0] else { panic!("{derivation:?}") };
    assert_eq!(
        incident.service.as_ref().map(ToString::to_string).as_deref(),
        Some("component:default/my-mail-service")
    );
    assert_eq!(incident.root_cause_sha.as_deref(), Some("9f2e1c7b"), "from custom_details");
    assert_eq!(incident.url.as_deref(), Some("https://runbooks.example.com/mail/queue"), "the first link");
}

#[test]
fn events_the_check_refuses_do_not_normalise() {
    let error = normalized_in(br#"{"routing_key": "token", "event_action": "resolve"}"#, &json!({})).unwrap_err();
    assert_eq!(error, "Event object is invalid: 'dedup_key' is missing or blank");
    let not_json = normalized_in(b"nope", &json!({})).unwrap_err();
    assert!(not_json.starts_with("Event object format is unrecognized: JSON parse error"), "{not_json}");
}
