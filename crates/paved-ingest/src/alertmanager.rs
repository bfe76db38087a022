//! Prometheus Alertmanager webhooks (`/hooks/alertmanager`), format
//! version 4: each alert of a notification is one incident.
//!
//! Alertmanager sends the state of a whole group again and again (every
//! `group_interval` when it changes, every `repeat_interval` while it
//! fires), so a notification is a snapshot, not news: each alert becomes a
//! partial [`Incident`] keyed by the alert's firing ([`incident_key`],
//! chosen by the server from what is stored and kept with the raw event). A
//! repeat of the same firing, even with an earlier `startsAt`, yields the
//! same incident and changes nothing but its opening time; a resolution
//! closes it; a new firing after a resolution is a new incident.
//!
//! Alertmanager signs nothing: the server authenticates these deliveries by
//! other means (a bearer token), and the body is read as it comes.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use paved_domain::{Incident, Record, Source, root_cause_in};
use serde::Deserialize;

use crate::contract::{IngestSettings, NormalizeError, Normalized, Observation, RawInput, ServiceHint};

/// The webhook format version this module reads, the one Alertmanager
/// sends.
pub const SUPPORTED_VERSION: &str = "4";

/// The labels that may name the service, tried after
/// [`IngestSettings::alert_service_label`], best first: Kubernetes'
/// recommended `app.kubernetes.io/name` (as Prometheus relabels it), the
/// older `app`, a `component`, then the scrape `job` and the `namespace`,
/// which often name the service but as often an exporter or a team, so they
/// come last.
pub const FALLBACK_SERVICE_LABELS: [&str; 5] = ["app_kubernetes_io_name", "app", "component", "job", "namespace"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    version: Option<serde_json::Value>,
    status: Option<String>,
    common_labels: Option<BTreeMap<String, String>>,
    common_annotations: Option<BTreeMap<String, String>>,
    alerts: Option<Vec<Alert>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Alert {
    status: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    annotations: Option<BTreeMap<String, String>>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    #[serde(rename = "generatorURL")]
    generator_url: Option<String>,
}

/// The type of a notification (`status`: `firing` or `resolved`), kept as
/// the raw event's type; `alert` when the body has none.
pub fn event_type(body: &serde_json::Value) -> &str {
    body.get("status").and_then(serde_json::Value::as_str).unwrap_or("alert")
}

/// Normalises an Alertmanager notification into one partial [`Incident`]
/// per alert (`input.event_type` is not used: Alertmanager sends none).
///
/// - key: the one in the raw event's context (`incidents[i]`, chosen with
///   [`incident_key`]); for a delivery stored without one,
///   `alertmanager:<fingerprint>@<startsAt>`. The fingerprint is
///   computed from the alert's labels by Alertmanager's own algorithm
///   (prometheus/common's `LabelSet.Fingerprint`: FNV-1a 64 over the labels
///   in name order, name and value each followed by the byte 0xff, written
///   as 16 hex digits) rather than read from the payload: for Alertmanager
///   it is the same value, and senders that imitate the format but reuse
///   one `fingerprint` for different alerts (vmalert) or send none
///   (older Alertmanager versions) still get one incident per alert. `startsAt`
///   is written in UTC with as many fractional digits as it has;
/// - `opened_at`: `startsAt`, in UTC;
/// - `resolved_at`: for an alert whose `status` (else the notification's)
///   is `resolved`, its `endsAt`, else the time it was received; a firing
///   alert's `endsAt` is never a resolution (Alertmanager writes the zero
///   time `0001-01-01T00:00:00Z` there, or a time it expects the alert to
///   end by);
/// - `title`: the `summary` annotation, else the `alertname` label;
/// - `severity`: the `severity` label;
/// - `root_cause_sha`: `root cause: <sha>` in any annotation;
/// - `url`: the alert's `generatorURL`;
/// - service hint: the values of the label named by
///   [`IngestSettings::alert_service_label`] (default `service`), then of
///   [`FALLBACK_SERVICE_LABELS`], each read from the alert's labels, else
///   the notification's `commonLabels`.
///
/// Labels and annotations are read from the alert first, then from the
/// notification's common ones (older senders put some only there).
///
/// # Errors
/// [`NormalizeError`] when the body is not JSON or not an Alertmanager
/// notification, when its `version` is not [`SUPPORTED_VERSION`], or when
/// an alert's `startsAt` (or a resolved alert's `endsAt`) is missing or not
/// an RFC 3339 time. A notification without alerts is
/// [`Normalized::Ignored`].
pub fn normalize(input: &RawInput<'_>, settings: &IngestSettings) -> Result<Normalized, NormalizeError> {
    let notification: Notification = read_body(input.body)?;
    match &notification.version {
        Some(serde_json::Value::String(version)) if version == SUPPORTED_VERSION => {}
        Some(other) => {
            return Err(NormalizeError::new(format!(
                "version is {other}; pavedroad reads Alertmanager webhook version \"{SUPPORTED_VERSION}\""
            )));
        }
        None => {
            return Err(NormalizeError::new(format!(
                "version is missing; pavedroad reads Alertmanager webhook version \"{SUPPORTED_VERSION}\""
            )));
        }
    }
    let alerts = notification.alerts.as_deref().unwrap_or_default();
    if alerts.is_empty() {
        return Ok(Normalized::Ignored("the Alertmanager notification has no alerts".to_owned()));
    }
    let empty = BTreeMap::new();
    let common = Common {
        labels: notification.common_labels.as_ref().unwrap_or(&empty),
        annotations: notification.common_annotations.as_ref().unwrap_or(&empty),
        status: notification.status.as_deref(),
    };
    let observations = alerts
        .iter()
        .enumerate()
        .map(|(index, alert)| observe(index, alert, &common, input, settings))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Normalized::Observations { observations, people: Vec::new() })
}

/// What the notification says for all its alerts.
struct Common<'a> {
    labels: &'a BTreeMap<String, String>,
    annotations: &'a BTreeMap<String, String>,
    status: Option<&'a str>,
}

fn observe(
    index: usize,
    alert: &Alert,
    common: &Common<'_>,
    input: &RawInput<'_>,
    settings: &IngestSettings,
) -> Result<Observation, NormalizeError> {
    let empty = BTreeMap::new();
    let labels = alert.labels.as_ref().unwrap_or(&empty);
    let annotations = alert.annotations.as_ref().unwrap_or(&empty);
    let label = |name: &str| non_blank(labels.get(name)).or_else(|| non_blank(common.labels.get(name)));
    let annotation = |name: &str| non_blank(annotations.get(name)).or_else(|| non_blank(common.annotations.get(name)));

    let starts_at = match alert.starts_at.as_deref() {
        Some(text) => parse_time(text, &format!("alerts[{index}].startsAt"))?,
        None => None,
    };
    let starts_at = starts_at
        .ok_or_else(|| NormalizeError::new(format!("alerts[{index}].startsAt is missing or the zero time")))?;
    // The key the server chose for this firing (see [`incident_key`]);
    // deliveries stored before it chose keys are keyed by their start.
    let key = match input.context.get("incidents").and_then(|keys| keys.get(index)).and_then(|k| k.as_str()) {
        Some(key) => key.to_owned(),
        None => legacy_incident_key(label_fingerprint(labels), starts_at),
    };
    let mut incident = Incident::new(key, Source::Alertmanager.as_str());
    incident.opened_at = Some(starts_at);
    if alert.status.as_deref().or(common.status) == Some("resolved") {
        let ends_at = match alert.ends_at.as_deref() {
            Some(text) => parse_time(text, &format!("alerts[{index}].endsAt"))?,
            None => None,
        };
        // A resolved alert without an end (a sender that leaves the zero
        // time) ended at the latest when we heard of it.
        incident.resolved_at = Some(ends_at.unwrap_or(input.received_at));
    }
    incident.title = annotation("summary").or_else(|| label("alertname"));
    incident.severity = label("severity");
    let text: Vec<&str> = annotations.values().chain(common.annotations.values()).map(String::as_str).collect();
    incident.root_cause_sha = root_cause_in(&text.join("\n"));
    incident.url = non_blank(alert.generator_url.as_ref());

    let mut names: Vec<String> = Vec::new();
    let label_names = std::iter::once(settings.alert_service_label.as_str()).chain(FALLBACK_SERVICE_LABELS);
    for name in label_names.filter_map(label) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(Observation { record: Record::Incident(incident), service: ServiceHint { names, ..ServiceHint::default() } })
}

/// What decides which incident an alert of a notification belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertFiring {
    /// The alert's fingerprint (its labels), as Alertmanager computes it.
    pub fingerprint: u64,
    /// Whether the alert (else the notification) says `resolved`.
    pub resolved: bool,
    /// When it started firing, as this notification says (Alertmanager
    /// may re-send an alert with an earlier start).
    pub starts_at: Option<DateTime<Utc>>,
}

/// The alerts of a notification, in order, for choosing their incidents.
///
/// # Errors
/// [`NormalizeError`] when the body is not an Alertmanager notification.
pub fn firings(body: &[u8]) -> Result<Vec<AlertFiring>, NormalizeError> {
    let notification: Notification = read_body(body)?;
    let empty = BTreeMap::new();
    Ok(notification
        .alerts
        .unwrap_or_default()
        .iter()
        .map(|alert| AlertFiring {
            fingerprint: label_fingerprint(alert.labels.as_ref().unwrap_or(&empty)),
            resolved: alert.status.as_deref().or(notification.status.as_deref()) == Some("resolved"),
            starts_at: alert.starts_at.as_deref().and_then(|text| parse_time(text, "startsAt").ok().flatten()),
        })
        .collect())
}

/// The key of the `occurrence`-th firing (1, 2, ...) of the alert with
/// `fingerprint`: `alertmanager:<fingerprint>`, then `...#2`, `...#3`.
///
/// One firing of one alert is one incident whatever start Alertmanager
/// re-sends it with: the server keys an alert with the latest firing of its
/// fingerprint while that is open (and for a resolution), and with the next
/// one when it fires after the latest was resolved. The key it chose is kept
/// in the raw event's context (`incidents`, one per alert), so that a
/// rebuild derives the same incidents.
pub fn incident_key(fingerprint: u64, occurrence: u32) -> String {
    let base = format!("{}:{fingerprint:016x}", Source::Alertmanager.as_str());
    if occurrence <= 1 { base } else { format!("{base}#{occurrence}") }
}

/// The key deliveries stored before the server chose keys were given: the
/// fingerprint and the start (`alertmanager:<fingerprint>@<startsAt>`). The
/// server keeps using it for a firing that was open under it, so an
/// upgrade neither splits one incident in two nor leaves it open.
pub fn legacy_incident_key(fingerprint: u64, starts_at: DateTime<Utc>) -> String {
    format!(
        "{}:{fingerprint:016x}@{}",
        Source::Alertmanager.as_str(),
        starts_at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    )
}

/// The fingerprint Alertmanager gives an alert (prometheus/common's
/// `LabelSet.Fingerprint`): FNV-1a 64 over each label in name order, name
/// and value each followed by the byte 0xff. Shown as 16 lower-case hex
/// digits, as Alertmanager shows it.
fn label_fingerprint(labels: &BTreeMap<String, String>) -> u64 {
    const OFFSET_BASIS: u64 = 14_695_981_039_346_656_037;
    const PRIME: u64 = 1_099_511_628_211;
    const SEPARATOR: u8 = 0xff;
    let mut hash = OFFSET_BASIS;
    let mut add = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for (name, value) in labels {
        add(name.as_bytes());
        add(&[SEPARATOR]);
        add(value.as_bytes());
        add(&[SEPARATOR]);
    }
    hash
}

/// An RFC 3339 time in UTC; `None` for Go's zero time (year 1), which
/// Alertmanager writes for "no time".
fn parse_time(text: &str, field: &str) -> Result<Option<DateTime<Utc>>, NormalizeError> {
    let at = DateTime::parse_from_rfc3339(text.trim())
        .map_err(|error| NormalizeError::new(format!("{field} `{text}` is not an RFC 3339 time: {error}")))?;
    Ok((at.year() > 1).then(|| at.with_timezone(&Utc)))
}

fn non_blank(value: Option<&String>) -> Option<String> {
    value.map(|value| value.trim()).filter(|value| !value.is_empty()).map(str::to_owned)
}

/// Parses the body, telling broken JSON from JSON of another shape.
fn read_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, NormalizeError> {
    serde_json::from_slice(body).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => {
            NormalizeError::new(format!("the body is not an Alertmanager notification: {error}"))
        }
        _ => NormalizeError::new(format!("the body is not valid JSON: {error}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
    }

    #[test]
    fn fingerprints_match_prometheus_test_vectors() {
        // prometheus/common model/signature_test.go (TestMetricToFingerprint
        // and BenchmarkMetricToFingerprintSingle).
        assert_eq!(label_fingerprint(&labels(&[])), 14_695_981_039_346_656_037);
        assert_eq!(
            label_fingerprint(&labels(&[("name", "garland, briggs"), ("fear", "love is not enough")])),
            5_799_056_148_416_392_346
        );
        assert_eq!(label_fingerprint(&labels(&[("first-label", "first-label-value")])), 5_146_282_821_936_882_169);
    }

    #[test]
    fn the_zero_time_is_no_time() {
        assert_eq!(parse_time("0001-01-01T00:00:00Z", "endsAt").unwrap(), None);
        let at = parse_time("2021-03-30T20:17:50.814674209+08:00", "startsAt").unwrap().unwrap();
        assert_eq!(at.to_rfc3339_opts(SecondsFormat::AutoSi, true), "2021-03-30T12:17:50.814674209Z");
        assert!(parse_time("yesterday", "startsAt").is_err());
    }
}
