//! `paved demo`: the generated organisation goes through the product's own
//! paths, lands in the database as planted, is the same for the same seed,
//! and is served.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::support::{json, paved, run, stderr, stdout};

const END: &str = "2026-11-01";

/// Runs `paved demo --no-serve` into `out` and returns its plan.
fn generate(dir: &Path, out: &Path, seed: &str) -> Value {
    let output = run(paved(dir)
        .args(["demo", "--no-serve", "--end", END, "--seed", seed, "--format", "json", "--out"])
        .arg(out));
    assert!(output.status.success(), "paved demo failed: {}", stderr(&output));
    json(&output)
}

/// Every file under `dir`, relative, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push((path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap()));
            }
        }
    }
    found.sort();
    found
}

/// The tip of every branch of every repository: equal tips mean equal
/// commit ids all the way down.
fn branch_tips(repos: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files(repos).into_iter().filter(|(path, _)| path.components().any(|c| c.as_os_str() == "refs")).collect()
}

#[test]
fn the_demo_records_what_it_planted_through_the_real_paths_and_the_same_seed_gives_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let plan = generate(dir.path(), &out, "7");
    let database = out.join("paved.db").display().to_string();

    let counts = &plan["counts"];
    assert_eq!(
        (counts["teams"].as_u64(), counts["people"].as_u64(), counts["services"].as_u64()),
        (Some(6), Some(25), Some(15))
    );
    assert!(counts["commits"].as_u64().unwrap() > 1000, "{counts}");
    assert!(counts["incidents_caused_by_deployments"].as_u64().unwrap() > 10, "{counts}");
    assert!(counts["rollbacks"].as_u64().unwrap() > 0 && counts["hotfixes"].as_u64().unwrap() > 0, "{counts}");
    assert_eq!(plan["start"], "2026-05-01T00:00:00Z");
    assert_eq!(plan["platform_members"].as_array().unwrap().len(), 2);
    assert_eq!(plan["after_hours_pages"][0]["person"], plan["after_hours_person"], "{}", plan["after_hours_pages"]);
    let months = plan["months"].as_array().unwrap();
    assert_eq!(months.len(), 6);
    let share = |month: &Value| month["handover_owner_share"].as_f64().unwrap();
    assert!(share(&months[0]) < 0.3 && share(&months[5]) > 0.7, "the handover is planted: {months:?}");

    // The catalog on disk is valid as written.
    let validate = run(paved(dir.path()).args(["catalog", "validate"]).arg(out.join("catalog")));
    assert_eq!(validate.status.code(), Some(0), "{}", stderr(&validate));

    // Every successful production deployment is counted by the DORA metrics.
    let metrics = run(paved(dir.path()).args([
        "metrics",
        "--org",
        "--since",
        plan["start"].as_str().unwrap(),
        "--until",
        plan["end"].as_str().unwrap(),
        "--format",
        "json",
        "--database-url",
        &database,
    ]));
    assert!(metrics.status.success(), "{}", stderr(&metrics));
    let metrics = json(&metrics);
    assert_eq!(metrics["deployment_frequency"]["deployments"], counts["successful_deployments"]);
    assert!(metrics["change_failure_rate"]["failed"].as_u64().unwrap() > 0, "{}", metrics["change_failure_rate"]);

    // The only people the catalog does not know are the planted contractor.
    let identities =
        run(paved(dir.path()).args(["identities", "--unresolved", "--format", "json", "--database-url", &database]));
    assert!(identities.status.success(), "{}", stderr(&identities));
    let mut unresolved: Vec<String> = json(&identities)
        .as_array()
        .unwrap()
        .iter()
        .map(|view| view["identity"].as_str().unwrap().to_owned())
        .collect();
    unresolved.sort();
    let mut planted: Vec<String> =
        plan["unresolved_identities"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_owned()).collect();
    planted.sort();
    assert_eq!(unresolved, planted);

    // The same seed and end: byte-identical catalog, the same commits.
    let again = dir.path().join("again");
    let second = generate(dir.path(), &again, "7");
    assert_eq!(second["counts"], plan["counts"]);
    assert_eq!(files(&out.join("catalog")), files(&again.join("catalog")));
    let tips = branch_tips(&out.join("repos"));
    assert!(tips.len() >= 14, "a main branch per repository");
    assert_eq!(tips, branch_tips(&again.join("repos")));

    // --out takes an earlier demo's directory again, and the seed matters.
    let other = generate(dir.path(), &again, "8");
    assert_ne!(other["platform_members"], plan["platform_members"]);
    assert_ne!(branch_tips(&again.join("repos")), tips);
}

#[test]
fn out_refuses_a_directory_that_is_not_a_demo() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let output = run(paved(dir.path()).args(["demo", "--no-serve", "--out", "."]));
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stderr(&output).contains(".paved-demo"), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");
    assert!(!dir.path().join("paved.db").exists(), "./paved.db is never touched");
}

#[tokio::test]
async fn the_demo_serves_on_the_address_it_prints_and_cleans_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = paved(dir.path())
        .args(["demo", "--listen", "127.0.0.1:0", "--end", END, "--seed", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut files, mut address, mut token_line, mut friday, mut road) = (None, None, None, Vec::new(), Vec::new());
        // Read to the end: the demo keeps its stdout open while it serves.
        for line in lines.map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Files: ") {
                files = rest.split(' ').next().map(PathBuf::from);
            }
            if address.is_none()
                && let Some(rest) = line.split("http://").nth(1)
            {
                address = Some(rest.split_whitespace().next().unwrap_or_default().trim_end_matches('/').to_owned());
            }
            if let Some(token) = line.trim().strip_prefix("paved_") {
                token_line = Some(format!("paved_{token}"));
            }
            // "then press Deploy on http://.../services/S ; F's health check fails ..."
            if let Some(rest) = line.strip_prefix("then press Deploy on ") {
                let service = rest.split(" ; ").next().unwrap_or_default().rsplit('/').next().unwrap_or_default();
                let failing = rest.split(" ; ").nth(1).and_then(|r| r.split("'s health").next()).unwrap_or_default();
                road = vec![service.to_owned(), failing.to_owned()];
            }
            // The last thing the demo prints: after its scorecards.
            if line.starts_with("Earned autonomy:") {
                friday.push(line.clone());
            } else if !friday.is_empty() && friday.len() < 3 {
                friday.push(line.trim().to_owned());
                if friday.len() == 3 {
                    let token = token_line.take().unwrap_or_default();
                    tx.send((address.take(), files.take(), token, friday.clone(), road.clone())).ok();
                }
            }
        }
    });
    let (address, files, token, friday, services) =
        rx.recv_timeout(Duration::from_secs(180)).expect("paved demo prints its URL, a token and its Friday checks");
    let address = address.expect("paved demo says where it serves");
    let files = files.expect("paved demo says where its files are");
    assert!(files.join("paved.db").exists());

    let ready = reqwest::get(format!("http://{address}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let components: Value = get_json(format!("http://{address}/api/v1/entities?kind=component&limit=100")).await;
    // The synthetic organisation's 15, and ledger, which the demo started
    // on the Python golden path as the road's person.
    assert_eq!(components["total"], 16, "{components}");
    // The shipped scorecard, scored at each month's end: the services'
    // levels differ, and a service's history is kept.
    let page = reqwest::get(format!("http://{address}/scorecards")).await.unwrap().text().await.unwrap();
    let levels: Vec<&str> = ["none", "bronze", "silver", "gold"]
        .into_iter()
        .filter(|level| {
            page.contains(&format!("data-level=\"{level}\" data-services=\""))
                && !page.contains(&format!("data-level=\"{level}\" data-services=\"0\""))
        })
        .collect();
    assert!(levels.len() >= 2, "the services stand at different levels: {levels:?}");
    let history = reqwest::Client::new()
        .get(format!("http://{address}/api/v1/scorecards/services/ledger/history?days=365"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(history["items"][0]["days"].as_array().is_some_and(|days| !days.is_empty()), "{history}");
    let ledger = components["items"].as_array().unwrap().iter().find(|c| c["name"] == "ledger").expect("ledger");
    assert_eq!((ledger["location"].as_str(), ledger["paved"]["oncall"].is_string()), (Some("paved:new/ledger"), true));

    // Earned autonomy: every demo target denies Friday afternoons except
    // to a service gold on readiness; the demo checked both kinds as of
    // the next Friday, and the API answers the same for that moment.
    let plan: Value = serde_json::from_slice(&std::fs::read(files.join("plan.json")).unwrap()).unwrap();
    assert!(
        friday[1].contains(": may deploy (") && friday[1].contains("earned autonomy"),
        "a gold service deploys on Friday afternoon: {friday:?}"
    );
    let bronze = friday[2].split(": refused (").next().unwrap().to_owned();
    assert!(
        friday[2].contains(": refused (") && friday[2].contains("at readiness/gold it would not apply"),
        "a lower one is refused, saying what level would lift it: {friday:?}"
    );
    let handed_over = plan["handover_teams"].as_array().unwrap().iter().flat_map(|t| t["services"].as_array().unwrap());
    assert!(handed_over.clone().any(|s| s == &Value::from(bronze.as_str())), "{bronze} is of a handover team");
    let at = friday[0].split("Checked as of ").nth(1).unwrap().trim_end_matches(':').to_owned();
    let at = chrono::NaiveDateTime::parse_from_str(&at, "%A %Y-%m-%d %H:%M UTC").unwrap().and_utc().to_rfc3339();
    let checked: Value = reqwest::Client::new()
        .post(format!("http://{address}/api/v1/services/{bronze}/deploys"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "version": "demo-3", "dry_run": true, "at": at }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((checked["dry_run"].as_bool(), checked["allowed"].as_bool()), (Some(true), Some(false)), "{checked}");
    let window = checked["checks"].as_array().unwrap().iter().find(|c| c["check"] == "deny_window").unwrap();
    assert_eq!(window["passed"], false, "{checked}");

    // The paved road: the printed token deploys the team's two targets on
    // this machine; one passes its health check, the other rolls back.
    let targets: Value = get_json(format!("http://{address}/api/v1/entities?kind=deploytarget&limit=10")).await;
    let names: Vec<&str> = targets["items"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    for service in services.iter().chain([&bronze, &"ledger".to_owned()]) {
        assert!(names.contains(&format!("{service}-production").as_str()), "{service}: {names:?}");
    }
    let client = reqwest::Client::new();
    let deploy = |service: &str, version: &str| {
        client
            .post(format!("http://{address}/api/v1/services/{service}/deploys"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "version": version }))
            .send()
    };
    let until_done = |id: i64| {
        let client = client.clone();
        let address = address.clone();
        async move {
            for _ in 0..300 {
                let body: Value = client
                    .get(format!("http://{address}/api/v1/deploys/{id}"))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if matches!(body["deploy"]["state"].as_str(), Some("succeeded" | "failed" | "interrupted")) {
                    return body;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("deploy {id} never finished");
        }
    };
    let log = |body: &Value| {
        body["log"].as_array().unwrap().iter().filter_map(|l| l["line"].as_str()).collect::<Vec<_>>().join("\n")
    };
    let mut outcomes = Vec::new();
    for service in &services {
        let response = deploy(service, "demo-2").await.unwrap();
        assert_eq!(response.status(), 202, "{service}: {}", response.text().await.unwrap());
        let queued: Value = response.json().await.unwrap();
        assert_eq!(queued["deploy"]["actor"].as_str().unwrap().rsplit('/').next(), plan["healthy_members"][0].as_str());
        let done = until_done(queued["deploy"]["id"].as_i64().unwrap()).await;
        assert!(log(&done).contains(&format!("{service} now runs demo-2")), "{}", log(&done));
        outcomes.push((service.clone(), done));
    }
    let (healthy, failed): (Vec<_>, Vec<_>) =
        outcomes.into_iter().partition(|(_, done)| done["deploy"]["state"] == "succeeded");
    assert_eq!((healthy.len(), failed.len()), (1, 1), "one target is healthy, one is not");
    let (failing, done) = &failed[0];
    let rollback = done["rolled_back_by"].as_i64().unwrap_or_else(|| panic!("{failing} rolls back: {done}"));
    let rolled = until_done(rollback).await;
    assert_eq!(rolled["deploy"]["state"], "succeeded", "{}", log(&rolled));
    assert_eq!(rolled["deploy"]["trigger"], "rollback");
    let good = rolled["deploy"]["version"].as_str().unwrap();
    let release = std::fs::read_to_string(files.join("deploy/releases").join(failing)).unwrap();
    assert_eq!(release.trim(), good, "the failing service runs its last good version again");

    // The demo's incident pages the team's on-call person through the
    // webhook contact the demo gave its people; the page lands as a file.
    let pages = files.join("pages");
    let mut landed = Vec::new();
    for _ in 0..300 {
        landed =
            std::fs::read_dir(&pages).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
        if !landed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page: Value = serde_json::from_slice(&std::fs::read(landed.first().expect("a page landed")).unwrap()).unwrap();
    assert_eq!(page["page"]["event"], "incident.page", "{page}");
    assert!(page["signature"].as_str().unwrap().starts_with("sha256="), "signed: {page}");
    let members: Vec<&str> = plan["healthy_members"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let paged = landed[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .split_once('-')
        .unwrap()
        .1
        .trim_end_matches(".json")
        .to_owned();
    assert!(members.contains(&paged.as_str()), "{paged} is of the team that runs what it builds: {members:?}");
    let incident =
        reqwest::get(format!("http://{address}/incidents/api:demo-latency")).await.unwrap().text().await.unwrap();
    assert!(incident.contains("data-state=\"sent\""), "the incident page shows the page sent: {incident}");

    // The same person is e-mailed too: the demo's e-mail sink writes each
    // e-mail to a file, which the incident page names.
    let mail = files.join("mail");
    let mut emails = Vec::new();
    for _ in 0..300 {
        emails = std::fs::read_dir(&mail)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if !emails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let email = std::fs::read_to_string(emails.first().expect("an e-mail was written")).unwrap();
    assert!(email.contains("Subject: ") && email.contains("Auto-Submitted: auto-generated"), "{email}");
    // Quoted-printable lines end in a soft break `=` when wrapped.
    let unfolded = email.replace("=\r\n", "");
    assert!(unfolded.contains(&format!("http://{address}/act/")), "the e-mail carries its acknowledge link: {email}");
    let incident =
        reqwest::get(format!("http://{address}/incidents/api:demo-latency")).await.unwrap().text().await.unwrap();
    let written = emails[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(incident.contains(&written), "the incident page names the e-mail's file {written}: {incident}");

    // Self-service provisioning: the Terraform Module into the demo's own
    // infrastructure repository, and the PostgreSQL one on the machine's
    // server when it answers. The demo asked for a bucket for the road's
    // service: its call is a pushed branch, the service lists it, the
    // report counts it.
    let modules: Value = get_json(format!("http://{address}/api/v1/entities?kind=module&limit=10")).await;
    let offered: Vec<&str> = modules["items"].as_array().unwrap().iter().filter_map(|m| m["name"].as_str()).collect();
    assert!(offered.contains(&"object-bucket"), "{modules}");
    if std::env::var_os("PAVED_REQUIRE_POSTGRES").is_some() {
        assert!(offered.contains(&"postgres-database"), "PostgreSQL answers here, so it is offered: {offered:?}");
    }
    let road_service = services.iter().find(|s| *s != failing).unwrap();
    let resources = get_json(format!("http://{address}/api/v1/services/{road_service}/resources")).await;
    let bucket = resources["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["module"] == "module:default/object-bucket")
        .unwrap_or_else(|| panic!("the demo's bucket: {resources}"));
    let branch = bucket["outputs"]["branch"].as_str().unwrap();
    let team = plan["healthy_team"].as_str().unwrap();
    let infra = files.join("infra").join(format!("{team}-infra.git"));
    let shown = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(&infra)
        .args(["show", &format!("{branch}:{}", bucket["outputs"]["file"].as_str().unwrap())])
        .output()
        .unwrap();
    let call = String::from_utf8_lossy(&shown.stdout);
    assert!(call.contains("module \"") && call.contains("object-bucket?ref=v1.2.0"), "{call}");
    let report: Value = get_json(format!("http://{address}/api/v1/report?service={road_service}")).await;
    assert_eq!(report["self_service"]["counts"]["resources_by_owners"], 1, "{}", report["self_service"]);

    // Golden paths: both shipped templates are offered, and the road's
    // person starts a service for their team; its repository is made beside
    // the demo's files and its entity is in the catalog.
    let templates = get_json(format!("http://{address}/api/v1/entities?kind=template&limit=10")).await;
    assert_eq!(templates["total"], 2, "{templates}");
    let started = client
        .post(format!("http://{address}/api/v1/templates/python-service/runs"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "parameters": { "name": "invoices", "owner": team } }))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201, "{}", started.text().await.unwrap());
    for made in ["ledger", "invoices"] {
        assert!(files.join(format!("new-repos/{made}.git")).is_dir(), "the new repository of {made}");
        let entity = get_json(format!("http://{address}/api/v1/entities/component/default/{made}")).await;
        assert!(entity.to_string().contains(&format!("group:default/{team}")), "{entity}");
    }

    let pid = child.id().to_string();
    std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(!files.exists(), "the temporary directory {} is removed on exit", files.display());
    assert!(!dir.path().join("paved.db").exists(), "./paved.db is never touched");
}

/// The JSON a GET of `url` answers with.
async fn get_json(url: String) -> Value {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}
