//! Tests of the Alertmanager normaliser: every real sample and every
//! documented one, snapshotted, and the facts that matter checked by hand.

use chrono::{DateTime, Utc};
use paved_domain::{Incident, Record, Source};
use paved_ingest::normalize::normalize;
use paved_ingest::{IngestSettings, Normalized, derive};
use serde_json::{Value, json};

use crate::payloads::{
    catalog, derivation_view, documented_payload, input, real_payload, real_payload_files, received_at, settings, view,
};

fn normalized_with(body: &[u8], settings: &IngestSettings) -> Result<Normalized, String> {
    let context = json!({});
    // Alertmanager sends no event type; the server passes `alert`.
    normalize(&input(Source::Alertmanager, "alert", body, &context), settings).map_err(|error| error.0)
}

fn normalized(body: &[u8]) -> Normalized {
    normalized_with(body, &settings()).unwrap()
}

fn incidents(normalized: &Normalized) -> Vec<Incident> {
    let Normalized::Observations { observations, .. } = normalized else { panic!("ignored: {normalized:?}") };
    observations
        .iter()
        .map(|observation| match &observation.record {
            Record::Incident(incident) => incident.clone(),
            other => panic!("not an incident: {other:?}"),
        })
        .collect()
}

fn keys(normalized: &Normalized) -> Vec<String> {
    incidents(normalized).into_iter().map(|incident| incident.key).collect()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

fn merged(incidents: impl IntoIterator<Item = Incident>) -> Incident {
    let mut records = incidents.into_iter().map(Record::Incident);
    let first = records.next().unwrap();
    match records.fold(first, Record::merge) {
        Record::Incident(incident) => incident,
        other => panic!("{other:?}"),
    }
}

fn with_body(mut edit: impl FnMut(&mut Value)) -> Vec<u8> {
    let mut value: Value = serde_json::from_slice(&documented_payload("alertmanager/firing.json")).unwrap();
    edit(&mut value);
    serde_json::to_vec(&value).unwrap()
}

#[test]
fn every_real_sample_normalises() {
    let files = real_payload_files("alertmanager");
    assert_eq!(files.len(), 6, "{files:?}");
    for file in files {
        let normalized = normalized(&real_payload(&file));
        let name =
            format!("real__{}", file.trim_start_matches("alertmanager/").trim_end_matches(".json").replace('/', "__"));
        insta::assert_json_snapshot!(name, view(&normalized));
    }
}

#[test]
fn every_documented_sample_normalises() {
    for file in ["firing", "resolved", "firing-again"] {
        let normalized = normalized(&documented_payload(&format!("alertmanager/{file}.json")));
        insta::assert_json_snapshot!(format!("documented__{file}"), view(&normalized));
    }
}

#[test]
fn each_of_the_twelve_alerts_is_an_incident() {
    let normalized = normalized(&real_payload("alertmanager/firing/prom_post_request_12_alerts.json"));
    let mut keys = keys(&normalized);
    assert_eq!(keys.len(), 12);
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 12, "each alert has its own key");
    for incident in incidents(&normalized) {
        assert_eq!(incident.opened_at, Some(at("2018-03-07T11:33:21.873077559Z")), "in UTC, nanoseconds kept");
        assert_eq!(incident.resolved_at, None, "endsAt 0001-01-01 is no end");
        assert_eq!(incident.title.as_deref(), Some("Server High Memory usage"));
        assert_eq!(incident.severity.as_deref(), Some("warning"), "from commonLabels when the alert has none");
    }
}

#[test]
fn resolved_alerts_end_at_their_ends_at() {
    let normalized = normalized(&real_payload("alertmanager/resolved/alert-resolved.json"));
    let incidents = incidents(&normalized);
    assert_eq!(incidents.len(), 2);
    for incident in &incidents {
        assert_eq!(incident.resolved_at, Some(at("2021-03-30T13:17:50.814674209Z")));
        assert_eq!(incident.opened_at, Some(at("2021-03-30T12:17:50.814674209Z")));
        assert_eq!(incident.title.as_deref(), Some("CPUHigh"), "no summary: the alertname");
    }
}

/// vmalert sends the fingerprint `83eb2c81e0da3faf` for every alert of these
/// samples, whatever its labels. The key's fingerprint is computed from the
/// labels, so different alerts stay different incidents, and one alert has
/// the same key in every notification that carries it.
#[test]
fn vmalert_samples_that_reuse_a_fingerprint_are_keyed_by_their_labels() {
    let firing = keys(&normalized(&real_payload("alertmanager/firing/alert-firing.json")));
    let mixed = keys(&normalized(&real_payload("alertmanager/firing/alert.json")));
    let resolved = keys(&normalized(&real_payload("alertmanager/resolved/alert-resolved.json")));
    let started = "@2021-03-30T12:17:50.814674209Z";
    assert_eq!(
        firing,
        [
            format!("alertmanager:72d99c17d805fc56{started}"),
            format!("alertmanager:08a9f5e706cb2da6{started}"),
            format!("alertmanager:bef551aceb6e332e{started}"),
        ]
    );
    assert!(firing.iter().chain(&mixed).chain(&resolved).all(|key| !key.contains("83eb2c81e0da3faf")));
    // alert.json carries the three firing alerts and the first resolved one
    // (host 10.30.1.161).
    assert_eq!(mixed, [firing[0].clone(), resolved[0].clone(), firing[1].clone(), firing[2].clone()]);
    assert_ne!(resolved[0], resolved[1], "two resolved alerts on two hosts");
}

#[test]
fn the_computed_fingerprint_is_the_one_alertmanager_sends() {
    let body = documented_payload("alertmanager/firing.json");
    let sent: Value = serde_json::from_slice(&body).unwrap();
    let fingerprint = sent["alerts"][0]["fingerprint"].as_str().unwrap();
    assert_eq!(keys(&normalized(&body)), [format!("alertmanager:{fingerprint}@2026-11-03T10:00:00.123456789Z")]);
}

#[test]
fn a_firing_then_its_resolution_is_one_incident_and_a_new_firing_another() {
    let firing = incidents(&normalized(&documented_payload("alertmanager/firing.json"))).remove(0);
    let resolved = incidents(&normalized(&documented_payload("alertmanager/resolved.json"))).remove(0);
    let again = incidents(&normalized(&documented_payload("alertmanager/firing-again.json"))).remove(0);
    assert_eq!(firing.key, resolved.key);
    assert_eq!(merged([firing.clone(), firing.clone()]), firing, "a repeated notification changes nothing");
    let incident = merged([resolved.clone(), firing.clone(), firing.clone()]);
    assert_eq!(incident.opened_at, Some(at("2026-11-03T10:00:00.123456789Z")));
    assert_eq!(incident.resolved_at, Some(at("2026-11-03T10:25:00.5Z")));
    assert_eq!(incident.root_cause_sha.as_deref(), Some("9f2e1c7b"));
    assert_ne!(again.key, firing.key);
    assert!(again.key.ends_with("@2026-11-03T13:30:00Z"), "{}", again.key);
    assert_eq!(again.resolved_at, None);
}

#[test]
fn an_alert_is_routed_to_the_component_its_service_label_names() {
    let body = documented_payload("alertmanager/firing.json");
    let context = json!({});
    let derivation = derive(&input(Source::Alertmanager, "alert", &body, &context), &catalog(), &settings());
    insta::assert_json_snapshot!("derived__firing", derivation_view(&derivation));
    let Record::Incident(incident) = &derivation.records[0] else { panic!("{derivation:?}") };
    assert_eq!(
        incident.service.as_ref().map(ToString::to_string).as_deref(),
        Some("component:default/my-mail-service")
    );
    assert_eq!(derivation.reason, None);
}

#[test]
fn service_labels_are_tried_in_the_documented_order() {
    let Normalized::Observations { observations, .. } = normalized(&documented_payload("alertmanager/firing.json"))
    else {
        panic!()
    };
    assert_eq!(observations[0].service.names, ["my-mail-service", "postfix-exporter", "mail"]);
    let team_label = IngestSettings { alert_service_label: "namespace".to_owned(), ..settings() };
    let Normalized::Observations { observations, .. } =
        normalized_with(&documented_payload("alertmanager/firing.json"), &team_label).unwrap()
    else {
        panic!()
    };
    assert_eq!(observations[0].service.names, ["mail", "postfix-exporter"], "the configured label replaces `service`");
    let sample = normalized(&real_payload("alertmanager/firing/sample.json"));
    let Normalized::Observations { observations, .. } = sample else { panic!() };
    assert_eq!(observations[0].service.names, ["prometheus24"], "the job when nothing better names the service");
}

#[test]
fn a_resolved_alert_without_an_end_ends_when_it_was_received() {
    let body = with_body(|value| {
        value["status"] = json!("resolved");
        value["alerts"][0]["status"] = json!("resolved");
    });
    assert_eq!(incidents(&normalized(&body))[0].resolved_at, Some(received_at()));
}

#[test]
fn only_version_4_is_read() {
    let three = with_body(|value| value["version"] = json!("3"));
    let error = normalized_with(&three, &settings()).unwrap_err();
    assert_eq!(error, r#"version is "3"; pavedroad reads Alertmanager webhook version "4""#);
    let none = with_body(|value| {
        value.as_object_mut().unwrap().remove("version");
    });
    assert!(normalized_with(&none, &settings()).unwrap_err().starts_with("version is missing"));
}

#[test]
fn a_notification_without_alerts_is_ignored() {
    let body = with_body(|value| value["alerts"] = json!([]));
    assert_eq!(normalized(&body), Normalized::Ignored("the Alertmanager notification has no alerts".to_owned()));
}

#[test]
fn malformed_notifications_are_refused_with_the_reason() {
    let not_json = normalized_with(b"{\"version\": \"4\", ", &settings()).unwrap_err();
    assert!(not_json.starts_with("the body is not valid JSON"), "{not_json}");
    let wrong_shape = normalized_with(br#"{"version": "4", "alerts": "none"}"#, &settings()).unwrap_err();
    assert!(wrong_shape.starts_with("the body is not an Alertmanager notification"), "{wrong_shape}");
    let no_start = with_body(|value| {
        value["alerts"][0].as_object_mut().unwrap().remove("startsAt");
    });
    assert_eq!(normalized_with(&no_start, &settings()).unwrap_err(), "alerts[0].startsAt is missing or the zero time");
    let bad_start = with_body(|value| value["alerts"][0]["startsAt"] = json!("yesterday"));
    let error = normalized_with(&bad_start, &settings()).unwrap_err();
    assert!(error.starts_with("alerts[0].startsAt `yesterday` is not an RFC 3339 time"), "{error}");
}
