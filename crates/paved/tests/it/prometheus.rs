//! A real Prometheus (Debian's `prometheus`) scrapes `paved demo`: the
//! exposition is clean for `promtool check metrics`, every query of the
//! shipped Grafana dashboard (`contrib/grafana/pavedroad.json`) is valid
//! PromQL that Prometheus answers, and the dashboard's deployment counts
//! and four-line shares are the UI's for the same window (the report the
//! pages show). The shipped alert rules pass `promtool check rules`.
//!
//! Without the `prometheus` package the test says SKIPPED, unless
//! `PAVED_REQUIRE_PROMTOOL` is set (as `.ci/run` does).

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::alertmanager::free_port;
use crate::support::{paved, repo_root};

/// Kills its process when dropped.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn installed() -> bool {
    if Command::new("prometheus").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return true;
    }
    assert!(
        std::env::var_os("PAVED_REQUIRE_PROMTOOL").is_none(),
        "PAVED_REQUIRE_PROMTOOL is set but prometheus is missing (apt-get install prometheus)"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED: prometheus is not installed (apt-get install prometheus)");
    false
}

/// `paved demo` on a free port: its address once it has printed everything
/// (its scorecards scored).
pub(crate) fn start_demo(dir: &Path) -> (Killed, String) {
    start_demo_with(dir, &[], &[])
}

/// [`start_demo`] with more arguments (`--out DIR`, say) and environment.
pub(crate) fn start_demo_with(dir: &Path, more: &[&str], env: &[(&str, &str)]) -> (Killed, String) {
    let mut child = paved(dir)
        .args(["demo", "--listen", "127.0.0.1:0", "--seed", "7"])
        .args(more)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut address = None;
        for line in lines.map_while(Result::ok) {
            if address.is_none()
                && let Some(rest) = line.strip_prefix("Serving the demo on http://")
            {
                address = rest.split_whitespace().next().map(|a| a.trim_end_matches('/').to_owned());
            }
            if line.starts_with("Earned autonomy:") {
                tx.send(address.take()).ok();
            }
        }
    });
    let address = rx.recv_timeout(Duration::from_secs(180)).expect("paved demo starts").expect("its address");
    (Killed(child), address)
}

/// `GET url?query` as JSON.
async fn get_json<Q: serde::Serialize + ?Sized>(client: &reqwest::Client, url: &str, query: &Q) -> Value {
    client.get(url).query(query).send().await.unwrap().json().await.unwrap()
}

async fn query(client: &reqwest::Client, prometheus: &str, expr: &str) -> Value {
    let answer = get_json(client, &format!("{prometheus}/api/v1/query"), &[("query", expr)]).await;
    assert_eq!(answer["status"], "success", "{expr}: {answer}");
    answer["data"]["result"].clone()
}

fn value(sample: &Value) -> f64 {
    sample["value"][1].as_str().unwrap().parse().unwrap()
}

/// Every target expression of the dashboard, by panel title.
fn dashboard_queries() -> Vec<(String, String)> {
    let dashboard: Value =
        serde_json::from_slice(&std::fs::read(repo_root().join("contrib/grafana/pavedroad.json")).unwrap()).unwrap();
    assert_eq!(dashboard["__inputs"][0]["pluginId"], "prometheus");
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap().replace("$team", ".*").replace("$__rate_interval", "1m");
            queries.push((panel["title"].as_str().unwrap().to_owned(), expr));
        }
    }
    queries
}

#[test]
fn the_shipped_alert_rules_pass_promtool() {
    if !installed() {
        return;
    }
    let checked = Command::new("promtool")
        .arg("check")
        .arg("rules")
        .arg(repo_root().join("contrib/prometheus/paved-alerts.yaml"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&checked.stdout).into_owned();
    assert!(checked.status.success(), "{said}{}", String::from_utf8_lossy(&checked.stderr));
    assert!(said.contains("SUCCESS: 6 rules found"), "{said}");
}

#[tokio::test]
async fn prometheus_scrapes_the_demo_and_the_dashboard_agrees_with_the_ui() {
    if !installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_demo, address) = start_demo(dir.path());
    let client = reqwest::Client::new();

    // The exposition is clean for promtool.
    let text = client.get(format!("http://{address}/metrics")).send().await.unwrap().text().await.unwrap();
    let mut lint = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    lint.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let linted = lint.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&linted.stdout), String::from_utf8_lossy(&linted.stderr));
    assert!(linted.status.success() && said.trim().is_empty(), "promtool check metrics: {said}");
    assert!(text.contains("paved_deployments_total{service=\""), "short service labels: {text:.2000}");
    assert!(!text.contains("component:default/"), "labels are names, not references");

    // A real Prometheus scrapes it every second.
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global: {{ scrape_interval: 1s, scrape_timeout: 1s }}\nscrape_configs:\n  - job_name: paved\n    \
             static_configs: [ {{ targets: ['{address}'] }} ]\n"
        ),
    )
    .unwrap();
    let _prometheus = Killed(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let prometheus = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        let up = match client
            .get(format!("{prometheus}/api/v1/query"))
            .query(&[("query", "up{job=\"paved\"}")])
            .send()
            .await
        {
            Ok(response) => response.json::<Value>().await.ok(),
            Err(_) => None,
        };
        let scraped = up
            .as_ref()
            .and_then(|u| u["data"]["result"].as_array())
            .is_some_and(|r| r.first().is_some_and(|s| value(s) == 1.0));
        if scraped
            && !query(&client, &prometheus, "paved_organisation_deployments").await.as_array().unwrap().is_empty()
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "Prometheus never scraped the demo: {up:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Every query of the dashboard is valid and answered.
    let queries = dashboard_queries();
    assert!(queries.len() >= 15, "{queries:?}");
    let mut answered = std::collections::BTreeMap::new();
    for (title, expr) in &queries {
        answered.insert(expr.clone(), query(&client, &prometheus, expr).await);
        let _ = title;
    }
    let first = |answered: &std::collections::BTreeMap<String, Value>, title: &str| {
        let (_, expr) = queries.iter().find(|(t, _)| t == title).unwrap_or_else(|| panic!("no panel {title}"));
        answered[expr].clone()
    };

    // The same figures as the UI's report over the same window: the last
    // 90 days to the minute (a minute turning between the two reads is
    // tried again).
    let mut agreed = None;
    for _ in 0..3 {
        let until = chrono::Utc::now();
        let until = until - chrono::Duration::seconds(chrono::Timelike::second(&until).into());
        let until = chrono::SubsecRound::trunc_subsecs(until, 0);
        let since = until - chrono::Duration::days(90);
        let window = [("since", since.to_rfc3339()), ("until", until.to_rfc3339())];
        let report = get_json(&client, &format!("http://{address}/api/v1/report"), &window).await;
        let deployments = value(&first(&answered, "Production deployments")[0]);
        let by_owners = value(&first(&answered, "Deployments developers performed independently")[0]);
        let shares: Vec<(String, f64)> = first(&answered, "The four-line test")
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["metric"]["line"].as_str().unwrap().to_owned(), value(s)))
            .collect();
        let ui_deployments = report["dora"]["deployment_frequency"]["deployments"]
            .as_f64()
            .unwrap_or_else(|| panic!("the report: {report}"));
        let ui_by_owners = report["self_service"]["counts"]["deployments_by_owners"].as_f64().unwrap();
        let same_shares = shares.iter().all(|(line, share)| {
            let ui = report["test"][line]["value"].as_f64();
            ui.map_or(share.is_nan(), |ui| (ui - share).abs() < 1e-9)
        });
        if deployments == ui_deployments && by_owners == ui_by_owners && same_shares && shares.len() == 4 {
            assert!(deployments > 0.0, "the demo deploys: {report}");
            agreed = Some((since, until));
            break;
        }
        eprintln!("not yet the same: {deployments} / {ui_deployments}, {by_owners} / {ui_by_owners}, {shares:?}");
        tokio::time::sleep(Duration::from_secs(2)).await;
        for (_, expr) in &queries {
            answered.insert(expr.clone(), query(&client, &prometheus, expr).await);
        }
    }
    let (since, until) = agreed.expect("the dashboard's figures are the UI's");

    // Per team too: every team's deployments are its report's.
    let teams = first(&answered, "Deployments");
    assert!(teams.as_array().unwrap().len() >= 3, "{teams}");
    for sample in teams.as_array().unwrap() {
        let team = sample["metric"]["team"].as_str().unwrap();
        let window = [("team", team.to_owned()), ("since", since.to_rfc3339()), ("until", until.to_rfc3339())];
        let report = get_json(&client, &format!("http://{address}/api/v1/metrics/dora"), &window).await;
        let ui = report["deployment_frequency"]["deployments"].as_f64().unwrap_or_else(|| panic!("{report}"));
        assert_eq!(value(sample), ui, "{team}");
    }
    // pavedroad's own health: its scrapes are counted by route.
    let scrapes = query(&client, &prometheus, "paved_http_requests_total{route=\"/metrics\",status=\"200\"}").await;
    assert!(value(&scrapes[0]) >= 1.0, "{scrapes}");
}
