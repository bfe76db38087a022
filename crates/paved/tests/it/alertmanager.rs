//! A real Alertmanager (Debian's `prometheus-alertmanager`) configured with a
//! webhook receiver pointing at `paved serve`: a firing alert, then its
//! resolution, become one incident, opened then resolved.
//!
//! The test needs the `prometheus-alertmanager` binary. Without it, it says
//! SKIPPED, unless `PAVED_REQUIRE_ALERTMANAGER` is set (as `.ci/run` does,
//! after installing the package): then a missing binary fails the test.

use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::SubsecRound as _;
use serde_json::{Value, json};

use crate::support::{Server, acme, json as json_output, paved, run};

const BINARY: &str = "prometheus-alertmanager";

pub(crate) fn alertmanager_binary() -> Option<String> {
    let found = Command::new(BINARY).arg("--version").output().is_ok_and(|out| out.status.success());
    if found {
        return Some(BINARY.to_owned());
    }
    assert!(
        std::env::var_os("PAVED_REQUIRE_ALERTMANAGER").is_none(),
        "PAVED_REQUIRE_ALERTMANAGER is set but `{BINARY}` does not run; install Debian's prometheus-alertmanager"
    );
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED a_real_alertmanager_opens_then_resolves_one_incident: `{BINARY}` is not installed \
         (apt-get install prometheus-alertmanager; .ci/run does)"
    );
    None
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running Alertmanager, killed when dropped.
pub(crate) struct Alertmanager {
    child: Child,
    base: String,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Alertmanager {
    pub(crate) fn start(binary: &str, dir: &std::path::Path, receiver_url: &str, token: &str) -> Self {
        let config = dir.join("alertmanager.yml");
        std::fs::write(
            &config,
            format!(
                "route:\n  receiver: paved\n  group_by: ['alertname']\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n\
                 receivers:\n  - name: paved\n    webhook_configs:\n      - url: {receiver_url}\n        send_resolved: true\n        \
                 http_config:\n          authorization:\n            credentials: {token}\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Alertmanager starts");
        Self { child, base: format!("http://127.0.0.1:{port}") }
    }

    pub(crate) async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(response) = reqwest::get(format!("{}/-/ready", self.base)).await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Alertmanager is not ready within 30 s");
    }

    /// Posts alerts to Alertmanager's own API, as Prometheus does.
    pub(crate) async fn post_alerts(&self, alerts: Value) {
        let response =
            reqwest::Client::new().post(format!("{}/api/v2/alerts", self.base)).json(&alerts).send().await.unwrap();
        assert!(response.status().is_success(), "Alertmanager takes the alert: {}", response.status());
    }
}

/// Polls paved's incidents until `done` holds for them, or 30 s pass.
async fn incidents_until(server: &Server, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, page) = server.get("/api/v1/incidents?service=checkout-api").await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if done(&items) || Instant::now() > deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_real_alertmanager_opens_then_resolves_one_incident() {
    let Some(binary) = alertmanager_binary() else { return };
    let dir = tempfile::tempdir().unwrap();
    let acme = acme().display().to_string();
    let output = run(paved(dir.path()).args(["catalog", "import", &acme]));
    assert!(output.status.success());
    let created = json_output(&run(paved(dir.path()).args(["token", "create", "--admin", "--format", "json"])));
    let token = created["token"].as_str().unwrap().to_owned();
    let server = Server::start(dir.path(), &[]);
    let alertmanager = Alertmanager::start(&binary, dir.path(), &format!("{}/hooks/alertmanager", server.base), &token);
    alertmanager.wait_ready().await;

    let started = chrono::Utc::now() - chrono::Duration::minutes(1);
    let alert = |starts_at: chrono::DateTime<chrono::Utc>, ends_at: Option<chrono::DateTime<chrono::Utc>>| {
        let mut alert = json!({
            "labels": {"alertname": "CheckoutErrorRate", "service": "checkout-api", "severity": "critical"},
            "annotations": {"summary": "checkout-api answers 5% errors"},
            "startsAt": starts_at.to_rfc3339(),
        });
        if let Some(ends_at) = ends_at {
            alert["endsAt"] = json!(ends_at.to_rfc3339());
        }
        json!([alert])
    };
    alertmanager.post_alerts(alert(started, None)).await;
    let opened = incidents_until(&server, |items| !items.is_empty()).await;
    assert_eq!(opened.len(), 1, "one incident for the firing alert: {opened:?}");
    assert_eq!(opened[0]["title"], "checkout-api answers 5% errors");
    assert_eq!(opened[0]["severity"], "critical");
    assert!(opened[0]["resolved_at"].is_null(), "{:?}", opened[0]);

    // Alertmanager re-sends the same alert with an earlier start (as after
    // `amtool alert add --start` or a restart): still the same firing.
    let earlier = started - chrono::Duration::minutes(9);
    alertmanager.post_alerts(alert(earlier, None)).await;
    // Alertmanager merges it into the alert it has (the earlier start wins)
    // and sends no notification for it until the group changes: the
    // resolution below carries the earlier start.
    alertmanager.post_alerts(alert(earlier, Some(chrono::Utc::now()))).await;
    let resolved = incidents_until(&server, |items| items.iter().any(|i| i["resolved_at"].is_string())).await;
    assert_eq!(resolved.len(), 1, "the resolution closes that incident: {resolved:?}");
    assert!(resolved[0]["resolved_at"].is_string(), "resolved: {:?}", resolved[0]);
    assert_eq!(resolved[0]["key"], opened[0]["key"]);
    let opened_at: chrono::DateTime<chrono::Utc> = resolved[0]["opened_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(opened_at.trunc_subsecs(0), earlier.trunc_subsecs(0), "opened at the earliest start it was sent with");
    let (_, events) = server.get("/api/v1/events?source=alertmanager").await;
    assert!(events["items"].as_array().unwrap().len() >= 2, "every notification is kept as a raw event: {events}");

    // Firing again after the resolution is a new incident.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    alertmanager.post_alerts(alert(chrono::Utc::now(), None)).await;
    let again = incidents_until(&server, |items| items.len() == 2).await;
    assert_eq!(again.len(), 2, "a new firing, a new incident: {again:?}");
    let open: Vec<_> = again.iter().filter(|i| i["resolved_at"].is_null()).collect();
    assert_eq!(open.len(), 1, "the first stays resolved, the second is open: {again:?}");
    assert_ne!(open[0]["key"], opened[0]["key"]);
}
