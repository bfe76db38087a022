//! Tests of the PagerDuty v3 webhook source: signatures (with go-pagerduty's
//! vector), the delivery id, and the normaliser on the real sample and the
//! samples written from PagerDuty's documentation.

use chrono::{DateTime, Utc};
use paved_domain::{Identity, Incident, Page, PageReason, Record, Source};
use paved_ingest::normalize::normalize;
use paved_ingest::pagerduty::{SIGNATURE_HEADER, delivery_id, verify};
use paved_ingest::signature::{SignatureError, hmac_sha256_hex};
use paved_ingest::{Normalized, derive};
use serde_json::{Value, json};

use crate::payloads::{
    catalog, derivation_view, documented_payload, input, real_payload, real_payload_files, settings, view,
};

const REAL_SAMPLE: &str = "pagerduty/incident.priority_updated/webhookv3_test.defaultBody.json";
/// The secret and signatures of go-pagerduty's webhookv3 test (SOURCES.md).
const SECRET: &[u8] = b"lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK";
const VALID: &str = "v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd";
const MISMATCH: &str = "v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5";

const DOCUMENTED: [&str; 7] = [
    "incident.triggered",
    "incident.escalated",
    "incident.acknowledged",
    "incident.reassigned",
    "incident.resolved",
    "incident.annotated",
    "service.updated",
];

fn normalized(body: &[u8]) -> Result<Normalized, String> {
    let context = json!({});
    // The server passes event.event_type; the normaliser reads the body's.
    normalize(&input(Source::PagerDuty, "incident.triggered", body, &context), &settings()).map_err(|error| error.0)
}

fn documented(event_type: &str) -> Vec<u8> {
    documented_payload(&format!("pagerduty/{event_type}.json"))
}

fn incident(normalized: &Normalized) -> Incident {
    let Normalized::Observations { observations, .. } = normalized else { panic!("ignored: {normalized:?}") };
    assert_eq!(observations.len(), 1);
    match &observations[0].record {
        Record::Incident(incident) => incident.clone(),
        other => panic!("not an incident: {other:?}"),
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn user(id: &str) -> Identity {
    Identity::pagerduty(id).unwrap()
}

fn edited(event_type: &str, mut edit: impl FnMut(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(&documented(event_type)).unwrap();
    edit(&mut value);
    serde_json::to_vec(&value).unwrap()
}

#[test]
fn go_pagerdutys_signature_vector_verifies() {
    let body = real_payload(REAL_SAMPLE);
    assert_eq!(SIGNATURE_HEADER, "X-PagerDuty-Signature");
    assert_eq!(format!("v1={}", hmac_sha256_hex(SECRET, &body)), VALID);
    assert_eq!(verify(SECRET, &body, Some(VALID)), Ok(()));
}

#[test]
fn any_signature_of_a_rotation_may_match() {
    let body = real_payload(REAL_SAMPLE);
    assert_eq!(verify(SECRET, &body, Some(&format!("{MISMATCH},{VALID}"))), Ok(()));
    assert_eq!(verify(SECRET, &body, Some(&format!("{VALID}, {MISMATCH}"))), Ok(()));
    let later_version = format!("v2=not-ours-to-check,{VALID}");
    assert_eq!(verify(SECRET, &body, Some(&later_version)), Ok(()), "unknown versions are skipped");
}

#[test]
fn signatures_that_do_not_match_are_refused() {
    let body = real_payload(REAL_SAMPLE);
    let mismatch = Err(SignatureError::Mismatch { header: SIGNATURE_HEADER });
    assert_eq!(verify(SECRET, &body, Some(MISMATCH)), mismatch);
    assert_eq!(verify(b"another secret", &body, Some(VALID)), mismatch);
    let mut tampered = body.clone();
    tampered[10] ^= 1;
    assert_eq!(verify(SECRET, &tampered, Some(VALID)), mismatch);
}

#[test]
fn missing_and_malformed_headers_are_refused_with_the_reason() {
    let body = real_payload(REAL_SAMPLE);
    assert_eq!(verify(SECRET, &body, None), Err(SignatureError::Missing { header: SIGNATURE_HEADER }));
    let malformed = |problem| Err(SignatureError::Malformed { header: SIGNATURE_HEADER, problem });
    let hex = VALID.trim_start_matches("v1=");
    assert_eq!(verify(SECRET, &body, Some(hex)), malformed("expected `v1=<hex>`, comma-separated"));
    assert_eq!(verify(SECRET, &body, Some(&format!("sha256={hex}"))), malformed("it holds no v1= signature"));
    assert_eq!(verify(SECRET, &body, Some("")), malformed("it holds no v1= signature"));
    assert_eq!(verify(SECRET, &body, Some("v1=zz")), malformed("a v1 signature is not 64 hexadecimal digits"));
    assert_eq!(
        verify(SECRET, &body, Some(&VALID[..40])),
        malformed("a v1 signature is not 64 hexadecimal digits"),
        "a truncated signature"
    );
    let message = verify(SECRET, &body, Some("v1=zz")).unwrap_err().to_string();
    assert_eq!(message, "the X-PagerDuty-Signature header is malformed: a v1 signature is not 64 hexadecimal digits");
}

#[test]
fn the_delivery_id_is_the_event_id() {
    assert_eq!(delivery_id(&real_payload(REAL_SAMPLE)).as_deref(), Some("01BWDWL3NYY7LUFPZCC28QUCMK"));
    assert_eq!(delivery_id(&documented("incident.triggered")).as_deref(), Some("01DEN4ZHJ1K0Y8EZWCYXB2M9QX"));
    assert_eq!(delivery_id(b"not json"), None);
    assert_eq!(delivery_id(br#"{"event": {"id": " "}}"#), None);
    assert_eq!(delivery_id(br#"{"event": {}}"#), None);
}

#[test]
fn every_real_sample_normalises() {
    let files = real_payload_files("pagerduty");
    assert_eq!(files, [REAL_SAMPLE]);
    for file in files {
        let normalized = normalized(&real_payload(&file)).unwrap();
        let name =
            format!("real__{}", file.trim_start_matches("pagerduty/").trim_end_matches(".json").replace('/', "__"));
        insta::assert_json_snapshot!(name, view(&normalized));
    }
}

#[test]
fn every_documented_sample_normalises() {
    for event_type in DOCUMENTED {
        let normalized = normalized(&documented(event_type)).unwrap();
        insta::assert_json_snapshot!(format!("documented__{event_type}"), view(&normalized));
    }
}

#[test]
fn a_priority_update_says_the_priority_and_nothing_of_the_lifecycle() {
    let incident = incident(&normalized(&real_payload(REAL_SAMPLE)).unwrap());
    assert_eq!(incident.key, "pagerduty:PGR0VU2");
    assert_eq!(incident.severity.as_deref(), Some("P1"), "the priority before the urgency");
    assert_eq!(incident.title.as_deref(), Some("A little bump in the road"));
    assert_eq!(incident.opened_at, None, "this sample has no created_at");
    assert_eq!((incident.acknowledged_at, incident.resolved_at), (None, None));
    assert!(incident.pages.is_empty());
}

#[test]
fn a_trigger_opens_the_incident_and_pages_its_assignees() {
    let normalized = normalized(&documented("incident.triggered")).unwrap();
    let incident = incident(&normalized);
    assert_eq!(incident.key, "pagerduty:PT4KHLK");
    assert_eq!(incident.opened_at, Some(at("2015-10-06T21:30:42Z")));
    assert_eq!(
        incident.pages,
        [Page { person: user("PXPGF42"), at: at("2015-10-06T21:30:42Z"), reason: PageReason::Triggered }]
    );
    let Normalized::Observations { observations, people } = &normalized else { panic!() };
    assert_eq!(observations[0].service.names, ["My Mail Service", "my-mail-service"]);
    assert_eq!(observations[0].service.pagerduty_service.as_deref(), Some("PIJ90N7"));
    assert_eq!(people.len(), 1, "the agent is the service, not a person");
}

#[test]
fn an_acknowledgement_names_who_acknowledged() {
    let normalized = normalized(&documented("incident.acknowledged")).unwrap();
    let incident = incident(&normalized);
    assert_eq!(incident.acknowledged_at, Some(at("2015-10-06T21:38:23Z")));
    assert_eq!(incident.acknowledged_by, Some(user("PXPGF42")));
    assert!(incident.pages.is_empty(), "acknowledging is no page");
    let Normalized::Observations { people, .. } = &normalized else { panic!() };
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].identity, user("PXPGF42"));
    assert_eq!(people[0].name.as_deref(), Some("Earline Greenholt"));
}

#[test]
fn a_resolution_by_an_integration_names_nobody() {
    let body = edited("incident.resolved", |value| {
        value["event"]["agent"] = json!({"id": "PIJ90N7", "type": "service_reference", "summary": "My Mail Service"});
    });
    let incident = incident(&normalized(&body).unwrap());
    assert_eq!(incident.resolved_at, Some(at("2015-10-06T22:10:42Z")));
    assert_eq!(incident.resolved_by, None);
}

#[test]
fn the_whole_story_merges_to_the_same_incident_in_any_order() {
    let events: Vec<Incident> =
        DOCUMENTED[..6].iter().map(|event_type| incident(&normalized(&documented(event_type)).unwrap())).collect();
    let fold = |order: &[usize]| {
        let mut records = order.iter().map(|index| Record::Incident(events[*index].clone()));
        let first = records.next().unwrap();
        match records.fold(first, Record::merge) {
            Record::Incident(incident) => incident,
            other => panic!("{other:?}"),
        }
    };
    let incident = fold(&[0, 1, 2, 3, 4, 5]);
    assert_eq!(fold(&[5, 4, 3, 2, 1, 0]), incident);
    assert_eq!(fold(&[2, 4, 0, 5, 1, 3, 0, 2]), incident, "redelivered events change nothing");
    assert_eq!(incident.opened_at, Some(at("2015-10-06T21:30:42Z")));
    assert_eq!(incident.acknowledged_by, Some(user("PXPGF42")));
    assert_eq!(incident.resolved_at, Some(at("2015-10-06T22:10:42Z")));
    assert_eq!(incident.resolved_by, Some(user("PVMGSML")));
    assert_eq!(incident.severity.as_deref(), Some("P2"));
    assert_eq!(incident.root_cause_sha.as_deref(), Some("9f2e1c7b"), "from the note");
    let pages: Vec<(&str, PageReason)> = incident.pages.iter().map(|page| (page.person.value(), page.reason)).collect();
    assert_eq!(
        pages,
        [("PTUXL6G", PageReason::Escalated), ("PVMGSML", PageReason::Reassigned), ("PXPGF42", PageReason::Triggered)]
    );
}

#[test]
fn a_pagerduty_incident_is_resolved_to_the_component_of_its_service() {
    let body = documented("incident.triggered");
    let context = json!({});
    let derivation = derive(&input(Source::PagerDuty, "incident.triggered", &body, &context), &catalog(), &settings());
    insta::assert_json_snapshot!("derived__incident.triggered", derivation_view(&derivation));
    let Record::Incident(incident) = &derivation.records[0] else { panic!("{derivation:?}") };
    assert_eq!(
        incident.service.as_ref().map(ToString::to_string).as_deref(),
        Some("component:default/my-mail-service")
    );
    assert_eq!(incident.service_name.as_deref(), Some("My Mail Service"), "the name as PagerDuty shows it");
    assert_eq!(derivation.identities[0].display_name.as_deref(), Some("Earline Greenholt"));
}

#[test]
fn events_of_other_resources_and_notes_without_a_root_cause_are_ignored() {
    assert_eq!(
        normalized(&documented("service.updated")).unwrap(),
        Normalized::Ignored("service.updated: pavedroad reads PagerDuty incident events only".to_owned())
    );
    let chatter = edited("incident.annotated", |value| value["event"]["data"]["content"] = json!("Looking into it"));
    assert_eq!(
        normalized(&chatter).unwrap(),
        Normalized::Ignored(
            "incident.annotated: the incident_note names no root cause, and pavedroad records nothing else of it"
                .to_owned()
        )
    );
}

#[test]
fn malformed_events_are_refused_with_the_reason() {
    let not_json = normalized(b"{\"event\": ").unwrap_err();
    assert!(not_json.starts_with("the body is not valid JSON"), "{not_json}");
    let wrong_shape = normalized(br#"{"event": {"event_type": 7}}"#).unwrap_err();
    assert!(wrong_shape.starts_with("the body is not a PagerDuty v3 webhook"), "{wrong_shape}");
    assert!(normalized(b"{}").unwrap_err().starts_with("event is missing"));
    let no_time = edited("incident.acknowledged", |value| value["event"]["occurred_at"] = Value::Null);
    assert_eq!(normalized(&no_time).unwrap_err(), "event.occurred_at is missing");
    let bad_time = edited("incident.acknowledged", |value| value["event"]["occurred_at"] = json!("today"));
    assert!(normalized(&bad_time).unwrap_err().starts_with("event.occurred_at `today` is not an ISO 8601 time"));
    let no_id = edited("incident.acknowledged", |value| {
        value["event"]["data"].as_object_mut().unwrap().remove("id");
    });
    assert_eq!(normalized(&no_id).unwrap_err(), "event.data.id is missing");
    let no_incident_id = edited("incident.annotated", |value| value["event"]["data"]["incident"]["id"] = json!(""));
    assert_eq!(normalized(&no_incident_id).unwrap_err(), "event.data.incident.id is missing");
}
