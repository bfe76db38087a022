//! Paging through real components: a real Alertmanager fires an alert for
//! checkout-api at `paved serve`, which e-mails the person on call
//! (through a real SMTP server, aiosmtpd), escalates to the next step when
//! nobody answers, stops when the on-call person acknowledges through the
//! link in the e-mail, and resolves the incident when Alertmanager says so.
//! An alert for a service the catalog does not know pages the default
//! policy and shows on the data-quality page.

use std::time::{Duration, Instant};

use paved_test_support::smtp::{SmtpServer, python_with_aiosmtpd};
use serde_json::{Value, json};

use crate::alertmanager::{Alertmanager, alertmanager_binary};
use crate::support::{Server, json as json_output, paved, run, stderr};

const CATALOG: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: checkout }
spec: { type: team, children: [], members: [ana, bo] }
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: platform }
spec: { type: team, children: [], members: [pat] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: ana }
spec: { profile: { email: ana@example.com }, memberOf: [checkout] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: bo }
spec: { profile: { email: bo@example.com }, memberOf: [checkout] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: pat }
spec: { profile: { email: pat@example.com }, memberOf: [platform] }
---
apiVersion: paved.dev/v1alpha1
kind: Schedule
metadata: { name: checkout-primary }
spec:
  owner: checkout
  timezone: UTC
  rotations:
    - { name: primary, participants: [ana], start: "2026-01-05T00:00", shift: 1w }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api
  annotations: { paved.dev/oncall: checkout-primary, paved.dev/escalation-policy: checkout }
spec: { type: service, lifecycle: production, owner: checkout }
---
apiVersion: paved.dev/v1alpha1
kind: EscalationPolicy
metadata: { name: checkout }
spec:
  owner: checkout
  steps:
    - { notify: [schedule:checkout-primary], after: 10s }
    - { notify: [user:bo], after: 10s }
    - { notify: [group:platform], after: 10s }
---
apiVersion: paved.dev/v1alpha1
kind: EscalationPolicy
metadata: { name: catch-all }
spec:
  owner: platform
  steps:
    - { notify: [user:pat], after: 10m }
"#;

/// Writes `catalog` in `dir` and imports it into `database`.
fn import(dir: &std::path::Path, catalog: &str, database: &str) {
    std::fs::write(dir.join("catalog.yaml"), catalog).unwrap();
    let imported = run(paved(dir).args(["catalog", "import", "catalog.yaml", "--database-url", database]));
    assert!(imported.status.success(), "{}", stderr(&imported));
}

/// A new token made in `database` with `args` (`--admin`, `--team T`).
fn token(dir: &std::path::Path, database: &str, args: &[&str]) -> String {
    let created = json_output(&run(paved(dir)
        .args(["token", "create", "--format", "json", "--database-url", database])
        .args(args)));
    created["token"].as_str().unwrap().to_owned()
}

/// Waits until `count` e-mails arrived, without blocking the runtime.
async fn mails(smtp: &SmtpServer, count: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let messages = smtp.messages();
        if messages.len() >= count {
            return messages;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{} of {count} e-mails arrived", messages.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn to(mail: &Value) -> &str {
    mail["To"].as_str().unwrap_or_default()
}

/// The incident of checkout-api, once `done` holds for it.
async fn incident(server: &Server, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let (_, page) = server.get("/api/v1/incidents?service=checkout-api").await;
        if let Some(found) = page["items"].as_array().and_then(|items| items.first()).filter(|i| done(i)) {
            return found.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the incident never got there: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn alert(service: &str, resolved: bool) -> Value {
    let mut alert = json!({
        "labels": { "alertname": "HighErrorRate", "service": service, "severity": "critical" },
        "annotations": { "summary": format!("{service} answers 5% errors") },
        "startsAt": (chrono::Utc::now() - chrono::Duration::seconds(5)).to_rfc3339(),
    });
    if resolved {
        alert["endsAt"] = json!(chrono::Utc::now().to_rfc3339());
    }
    json!([alert])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_pages_the_on_call_person_escalates_and_stops_when_acknowledged() {
    let Some(python) = python_with_aiosmtpd("an_alert_pages_the_on_call_person_escalates_and_stops_when_acknowledged")
    else {
        return;
    };
    let Some(binary) = alertmanager_binary() else { return };
    let smtp = SmtpServer::start(&python);
    let dir = tempfile::tempdir().unwrap();
    import(dir.path(), CATALOG, "paved.db");
    let token = token(dir.path(), "paved.db", &["--admin"]);
    let server = Server::start_with_env(
        dir.path(),
        &[],
        &[
            ("PAVED_SMTP_URL", &smtp.url()),
            ("PAVED_SMTP_FROM", "pavedroad <paved@example.com>"),
            ("PAVED_DEFAULT_ESCALATION_POLICY", "catch-all"),
        ],
    );
    let alertmanager = Alertmanager::start(&binary, dir.path(), &format!("{}/hooks/alertmanager", server.base), &token);
    alertmanager.wait_ready().await;

    // The alert e-mails ana, on call now, with links of her own.
    alertmanager.post_alerts(alert("checkout-api", false)).await;
    let first = mails(&smtp, 1).await;
    assert_eq!(to(&first[0]), "ana@example.com", "{first:?}");
    let subject = first[0]["Subject"].as_str().unwrap();
    assert!(subject.contains("checkout-api") && subject.contains("5% errors"), "{subject}");
    let text = first[0]["text"].as_str().unwrap();
    let ack = text
        .split_whitespace()
        .find(|word| word.contains("/act/"))
        .unwrap_or_else(|| panic!("an acknowledge link in {text}"))
        .to_owned();
    assert!(ack.starts_with(&server.base), "{ack}");

    // Nobody answers for the step's 10 s: bo is paged, told ana was too.
    let second = mails(&smtp, 2).await;
    assert_eq!(to(&second[1]), "bo@example.com", "{second:?}");
    assert!(second[1]["text"].as_str().unwrap().contains("ana"), "{}", second[1]["text"]);
    let open = incident(&server, |_| true).await;
    assert!(open["acknowledged_at"].is_null(), "{open}");

    // Following the link only asks; its form acknowledges as ana.
    let client = reqwest::Client::new();
    let confirm = client.get(&ack).send().await.unwrap();
    assert_eq!(confirm.status(), 200);
    let cookie = confirm
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("paved_csrf="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("the confirm page sets the form's cookie");
    let page = confirm.text().await.unwrap();
    assert!(page.contains("Acknowledge"), "{page}");
    assert!(incident(&server, |_| true).await["acknowledged_at"].is_null(), "reading the link changes nothing");
    let csrf = cookie.trim_start_matches("paved_csrf=").to_owned();
    let done = client
        .post(&ack)
        .header("cookie", &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}"))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200, "{}", done.text().await.unwrap());
    let acknowledged = incident(&server, |i| i["acknowledged_at"].is_string()).await;
    assert_eq!(acknowledged["acknowledged_by"], "user:default/ana", "{acknowledged}");

    // The third step (the platform team) never fires.
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(smtp.messages().len(), 2, "the acknowledgement stopped the escalation");
    let key = acknowledged["key"].as_str().unwrap().to_owned();
    let html = reqwest::get(format!("{}/incidents/{}", server.base, urlencoding(&key))).await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains("data-escalation=\"acknowledged\"") && html.contains("bo@example.com"), "{html}");

    // Alertmanager resolves it.
    alertmanager.post_alerts(alert("checkout-api", true)).await;
    incident(&server, |i| i["resolved_at"].is_string()).await;

    // An alert for a service nobody declared pages the default policy and
    // is listed on the data-quality page.
    alertmanager.post_alerts(alert("mystery-batch", false)).await;
    let third = mails(&smtp, 3).await;
    assert_eq!(to(&third[2]), "pat@example.com", "{third:?}");
    let quality = reqwest::get(format!("{}/data-quality", server.base)).await.unwrap().text().await.unwrap();
    assert!(quality.contains("mystery-batch") && quality.contains("escalationpolicy:default/catch-all"), "{quality}");
}

/// `text` percent-encoded as one path segment.
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Two `paved serve` replicas on one PostgreSQL database, one of them
/// killed with SIGKILL between the first page and the next step and started
/// again: every step of the escalation pages its person exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_and_a_restart_page_each_step_exactly_once() {
    let Some(database) = paved_test_support::paved_test_database().await else { return };
    let Some(python) = python_with_aiosmtpd("two_replicas_and_a_restart_page_each_step_exactly_once") else { return };
    let smtp = SmtpServer::start(&python);
    let dir = tempfile::tempdir().unwrap();
    let url = database.url();
    import(dir.path(), CATALOG, url);
    let token = token(dir.path(), url, &["--admin"]);
    let smtp_url = smtp.url();
    let replica = || {
        Server::start_with_env(
            dir.path(),
            &["--database-url", url],
            &[("PAVED_SMTP_URL", smtp_url.as_str()), ("PAVED_SMTP_FROM", "pavedroad <paved@example.com>")],
        )
    };
    let (first, second) = (replica(), replica());

    let body = json!({ "service": "checkout-api", "title": "Checkout is down", "severity": "SEV-1" });
    let (status, opened) = first
        .post(
            "/api/v1/incidents",
            &[("authorization", &format!("Bearer {token}")), ("content-type", "application/json")],
            body.to_string().into_bytes(),
        )
        .await;
    assert_eq!(status, 201, "{opened}");
    let paged = mails(&smtp, 1).await;
    assert_eq!(to(&paged[0]), "ana@example.com");

    // A replica dies before the next step is due, and comes back.
    first.kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _restarted = replica();

    let all = mails(&smtp, 3).await;
    // Time for a doubled page to show.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let all = if smtp.messages().len() > all.len() { smtp.messages() } else { all };
    let recipients: Vec<&str> = all.iter().map(to).collect();
    assert_eq!(recipients, ["ana@example.com", "bo@example.com", "pat@example.com"], "each step once, in order");
    drop(second);
}

/// A receiver of generic webhook pages: the people each page was for.
async fn page_receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen: std::sync::Arc<std::sync::Mutex<Vec<String>>> = std::sync::Arc::default();
    let kept = seen.clone();
    let routes = axum::Router::new().route(
        "/pages/{person}",
        axum::routing::post(move |axum::extract::Path(person): axum::extract::Path<String>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(person);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/pages", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, routes).await });
    (base, seen)
}

/// A time zone where it is about 2 in the morning now (`Etc/GMT±N`, whose
/// sign is the reverse of the offset's).
fn night_zone() -> String {
    use chrono::Timelike as _;
    let hour = i64::from(chrono::Utc::now().hour());
    let mut offset = (2 - hour).rem_euclid(24);
    if offset > 12 {
        offset -= 24;
    }
    match offset {
        0 => "Etc/GMT".to_owned(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    }
}

/// pavedroad's own pages count where imported pages do: a page in the
/// night of a platform engineer, for a product team's service, is an
/// after-hours page of theirs in the report's knowledge-hoarding figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_counts_pavedroads_own_night_pages() {
    let (receiver, seen) = page_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let catalog = format!(
        r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{ name: checkout }}
spec: {{ type: team, children: [], members: [ana] }}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{ name: platform, annotations: {{ paved.dev/role: platform }} }}
spec: {{ type: team, children: [], members: [pat] }}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {{ name: ana }}
spec: {{ profile: {{ email: ana@example.com }}, memberOf: [checkout] }}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: pat
  annotations: {{ paved.dev/timezone: "{zone}", paved.dev/contacts: "webhook:{receiver}/pat" }}
spec: {{ memberOf: [platform] }}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api
  annotations: {{ paved.dev/escalation-policy: platform-pager }}
spec: {{ type: service, lifecycle: production, owner: checkout }}
---
apiVersion: paved.dev/v1alpha1
kind: EscalationPolicy
metadata: {{ name: platform-pager }}
spec:
  owner: platform
  steps:
    - {{ notify: [user:pat], after: 10m }}
"#,
        zone = night_zone()
    );
    import(dir.path(), &catalog, "paved.db");
    let token = token(dir.path(), "paved.db", &["--admin"]);
    let server = Server::start_with_env(dir.path(), &[], &[("PAVED_WEBHOOK_SIGNING_SECRET", "test")]);

    let body = json!({ "service": "checkout-api", "title": "Checkout is down", "severity": "SEV-1" });
    let (status, opened) = server
        .post(
            "/api/v1/incidents",
            &[("authorization", &format!("Bearer {token}")), ("content-type", "application/json")],
            body.to_string().into_bytes(),
        )
        .await;
    assert_eq!(status, 201, "{opened}");
    let started = Instant::now();
    while seen.lock().unwrap().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "pat was never paged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(*seen.lock().unwrap(), ["pat"]);

    // The page is on the incident, and in the report.
    let night = loop {
        let (_, report) = server.get("/api/v1/report").await;
        let after_hours = report["bus_factors"]["after_hours"].as_array().cloned().unwrap_or_default();
        if let Some(pat) = after_hours.into_iter().find(|a| a["person"] == "user:default/pat") {
            break pat;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no after-hours pages of pat in {report}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!((night["after_hours_pages"].as_u64(), night["pages"].as_u64()), (Some(1), Some(1)), "{night}");
    assert_eq!(night["team"], "group:default/platform");
}

/// A Heartbeat that does not beat in time opens an incident for its
/// service, which pages like any alert; the next beat (with the owning
/// team's token) resolves it. Another team's token may not beat it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_heartbeat_pages_and_the_next_beat_resolves_it() {
    let (receiver, seen) = page_receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let catalog = format!(
        r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{ name: checkout }}
spec: {{ type: team, children: [], members: [ana] }}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{ name: search }}
spec: {{ type: team, children: [], members: [] }}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: ana
  annotations: {{ paved.dev/contacts: "webhook:{receiver}/ana" }}
spec: {{ memberOf: [checkout] }}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{ name: checkout-api }}
spec: {{ type: service, lifecycle: production, owner: checkout }}
---
apiVersion: paved.dev/v1alpha1
kind: Heartbeat
metadata: {{ name: nightly-export }}
spec: {{ component: checkout-api, interval: 10s, grace: 1s, severity: SEV-3 }}
"#
    );
    import(dir.path(), &catalog, "paved.db");
    let team = |name: &str| token(dir.path(), "paved.db", &["--team", name]);
    let (checkout, search) = (team("checkout"), team("search"));
    let server = Server::start_with_env(dir.path(), &[], &[("PAVED_WEBHOOK_SIGNING_SECRET", "test")]);
    let beat = |token: String| {
        let base = server.base.clone();
        async move {
            let response = reqwest::Client::new()
                .post(format!("{base}/api/v1/heartbeats/nightly-export"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let (status, refused) = beat(search).await;
    assert_eq!(status, 403, "another team's token: {refused}");

    // It never beats: after its interval and grace an incident pages ana.
    let started = Instant::now();
    while seen.lock().unwrap().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(40), "the missed heartbeat paged nobody");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let open = incident(&server, |i| i["title"].as_str().is_some_and(|t| t.contains("nightly-export"))).await;
    assert_eq!(open["severity"], "SEV-3", "{open}");
    assert!(open["resolved_at"].is_null(), "{open}");
    let (_, listed) = server.get("/api/v1/heartbeats").await;
    assert_eq!(listed["items"][0]["incident"], open["key"], "{listed}");

    // The next beat resolves it.
    let (status, beaten) = beat(checkout).await;
    assert_eq!(status, 200, "{beaten}");
    assert_eq!(beaten["resolved_incident"], open["key"]);
    incident(&server, |i| i["resolved_at"].is_string()).await;
    assert_eq!(seen.lock().unwrap().len(), 1, "one miss, one page");
}
