//! `paved deploy` on the paved road, through the real binary: a deploy's
//! `run` and `gitops` steps really run (a command with the documented
//! environment, a commit pushed to a bare repository), a refused deploy
//! changes nothing, and a failed one rolls back to the last good version,
//! recorded as two linked deployments of source `paved`.

use std::path::Path;
use std::process::Command;

use std::time::Duration;

use super::support::{Server, json, paved, run, stderr, stdout};

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A catalog whose shop-api is owned by the team of ana (not of bo), with
/// a DeployTarget that runs a script (failing for version `bad`) and bumps
/// `image.tag` in a bare repository. Every run of the step appends its
/// deployment id to `ledger`, so that a test can count runs.
fn organisation(dir: &Path) {
    organisation_in(dir, "paved.db");
}

/// [`organisation`] imported into `database`.
fn organisation_in(dir: &Path, database: &str) {
    let config = dir.join("config.git");
    git(dir, &["init", "-q", "--bare", "-b", "main", config.to_str().unwrap()]);
    let work = dir.join("work");
    git(dir, &["clone", "-q", config.to_str().unwrap(), work.to_str().unwrap()]);
    std::fs::write(work.join("values.yaml"), "# shop-api\nimage:\n  repo: shop # kept\n  tag: \"0.9\"\n").unwrap();
    git(&work, &["add", "."]);
    git(&work, &["commit", "-qm", "init"]);
    git(&work, &["push", "-q", "origin", "HEAD:main"]);
    let catalog = dir.join("catalog");
    std::fs::create_dir(&catalog).unwrap();
    let released = dir.join("released");
    std::fs::write(
        catalog.join("org.yaml"),
        format!(
            r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{ name: shop }}
spec: {{ type: team, children: [], members: [ana] }}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{ name: platform }}
spec: {{ type: team, children: [], members: [bo] }}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {{ name: ana }}
spec: {{ memberOf: [shop] }}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {{ name: bo }}
spec: {{ memberOf: [platform] }}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{ name: shop-api }}
spec: {{ type: service, lifecycle: production, owner: shop }}
---
apiVersion: paved.dev/v1alpha1
kind: DeployTarget
metadata: {{ name: shop-api-production }}
spec:
  component: shop-api
  environment: production
  steps:
    - name: release
      run: echo "$PAVED_DEPLOYMENT_ID" >> {ledger}; case "$PAVED_VERSION" in bad) exit 1;; slow) sleep 60;; esac; echo "$PAVED_SERVICE $PAVED_ENVIRONMENT $PAVED_VERSION $PAVED_DEPLOYMENT_ID" > {released}
      timeout: 1m
    - name: bump
      gitops: {{ repo: {config}, branch: main, file: values.yaml, key: image.tag }}
  rollback: automatic
"#,
            released = released.display(),
            ledger = dir.join("ledger").display(),
            config = config.display()
        ),
    )
    .unwrap();
    let imported = run(paved(dir).args(["catalog", "import", "catalog", "--database-url", database]));
    assert!(imported.status.success(), "{}", stderr(&imported));
}

#[test]
fn an_owner_deploys_refusals_change_nothing_and_a_failure_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    organisation(dir);
    let db = ["--database-url", "paved.db"];

    // The owner's deploy runs both steps.
    let deployed = run(paved(dir).args(["deploy", "shop-api", "--version", "1.0.0", "--actor", "ana"]).args(db));
    assert!(deployed.status.success(), "{}\n{}", stdout(&deployed), stderr(&deployed));
    assert!(stdout(&deployed).contains("succeeded"), "{}", stdout(&deployed));
    assert_eq!(std::fs::read_to_string(dir.join("released")).unwrap().trim(), "shop-api production 1.0.0 1");
    let pushed = git(dir, &["--git-dir", "config.git", "show", "main:values.yaml"]);
    assert_eq!(pushed, "# shop-api\nimage:\n  repo: shop # kept\n  tag: \"1.0.0\"\n", "only the value changed");
    let message = git(dir, &["--git-dir", "config.git", "log", "-1", "--format=%B", "main"]);
    assert!(message.starts_with("Deploy shop-api 1.0.0 to production") && message.contains("Paved-Deployment: 1"));

    // A dry run by a person of another team: refused naming the owners,
    // nothing runs.
    let check = run(paved(dir).args(["deploy", "check", "shop-api", "--version", "2.0.0", "--as", "bo"]).args(db));
    assert_eq!(check.status.code(), Some(2), "{}", stdout(&check));
    assert!(stdout(&check).contains("FAIL  may_act") && stdout(&check).contains("ana"), "{}", stdout(&check));
    let dry = run(paved(dir).args(["deploy", "shop-api", "--version", "2.0.0", "--dry-run"]).args(db));
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(stdout(&dry).contains("dry run"), "{}", stdout(&dry));
    assert!(std::fs::read_to_string(dir.join("released")).unwrap().contains("1.0.0"), "a dry run runs nothing");

    // A failing step fails the deploy and rolls back to 1.0.0.
    let failed = run(paved(dir).args(["deploy", "shop-api", "--version", "bad", "--actor", "ana"]).args(db));
    assert_eq!(failed.status.code(), Some(1), "{}\n{}", stdout(&failed), stderr(&failed));
    let out = stdout(&failed);
    assert!(out.contains("step `release` exited with status 1") && out.contains("rolling back: deploy 3"), "{out}");
    assert_eq!(std::fs::read_to_string(dir.join("released")).unwrap().trim(), "shop-api production 1.0.0 3");

    // Every state of the three deploys was stored as a raw event of source
    // `paved` (what DORA and the report derive deployments from).
    let events = run(paved(dir).args(["events", "list", "--source", "paved", "--format", "json"]).args(db));
    assert!(events.status.success(), "{}", stderr(&events));
    let events = json(&events);
    let delivered: Vec<&str> = events.as_array().unwrap().iter().filter_map(|e| e["delivery_id"].as_str()).collect();
    for state in ["deploy-1-succeeded", "deploy-2-failed", "deploy-3-succeeded", "deploy-3-queued"] {
        assert!(delivered.contains(&state), "{state} in {delivered:?}");
    }
}

fn token(dir: &Path, args: &[&str]) -> String {
    token_in(dir, "paved.db", args)
}

/// [`token`] made in `database`.
fn token_in(dir: &Path, database: &str, args: &[&str]) -> String {
    let created = run(paved(dir).args(["token", "create", "--database-url", database, "--format", "json"]).args(args));
    assert!(created.status.success(), "{}", stderr(&created));
    json(&created)["token"].as_str().unwrap().to_owned()
}

async fn deploy(server: &Server, token: &str, version: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({ "version": version }).to_string().into_bytes();
    let auth = format!("Bearer {token}");
    server
        .post(
            "/api/v1/services/shop-api/deploys",
            &[("authorization", &auth), ("content-type", "application/json")],
            body,
        )
        .await
}

/// Waits until deploy `id` is in `state` (a minute at most).
async fn until_state(server: &Server, id: i64, state: &str) -> serde_json::Value {
    for _ in 0..600 {
        let (status, body) = server.get(&format!("/api/v1/deploys/{id}")).await;
        assert_eq!(status, 200, "{body}");
        if body["deploy"]["state"] == state {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deploy {id} never became {state}");
}

fn runner(dir: &Path, base: &str, token: &str) -> std::process::Child {
    paved(dir)
        .args(["runner", "--server", base, "--token", token])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("paved runner starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_killed_mid_deploy_leaves_it_interrupted_and_the_target_free() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    organisation(dir);
    let admin = token(dir, &["--admin", "--name", "runner"]);
    let ana = token(dir, &["--user", "ana"]);
    let bo = token(dir, &["--user", "bo"]);
    let server = Server::start(dir, &["--database-url", "paved.db", "--no-embedded-runner", "--runner-lease", "2s"]);

    // Another team's person is refused, naming the check and the owners.
    let (status, refused) = deploy(&server, &bo, "2.0.0").await;
    assert_eq!(status, 403, "{refused}");
    let message = refused["refused"].as_str().unwrap();
    assert!(message.contains("may_act") && message.contains("ana"), "{message}");

    // The owner's deploy waits for a runner, which is killed mid-step.
    let (status, queued) = deploy(&server, &ana, "slow").await;
    assert_eq!(status, 202, "{queued}");
    let id = queued["deploy"]["id"].as_i64().unwrap();
    let (status, locked) = deploy(&server, &ana, "2.0.0").await;
    assert_eq!(status, 409, "one deploy at a time: {locked}");
    let mut first = runner(dir, &server.base, &admin);
    let running = until_state(&server, id, "running").await;
    assert_eq!(running["deploy"]["actor"], "user:default/ana");
    first.kill().unwrap();
    first.wait().unwrap();
    let interrupted = until_state(&server, id, "interrupted").await;
    assert!(interrupted["deploy"]["error"].as_str().unwrap().contains("stopped reporting"), "{interrupted}");

    // The lock is free: the next deploy runs on a new runner, as ana.
    let (status, next) = deploy(&server, &ana, "2.0.0").await;
    assert_eq!(status, 202, "the target is free again: {next}");
    let next_id = next["deploy"]["id"].as_i64().unwrap();
    let mut second = runner(dir, &server.base, &admin);
    let done = until_state(&server, next_id, "succeeded").await;
    let lines: Vec<&str> = done["log"].as_array().unwrap().iter().filter_map(|l| l["line"].as_str()).collect();
    assert!(lines.iter().any(|l| l.contains("pushed `2.0.0`")), "{lines:?}");
    second.kill().unwrap();
    second.wait().unwrap();
    let (status, deployments) = server.get("/api/v1/deployments?service=shop-api").await;
    assert_eq!(status, 200);
    let text = deployments.to_string();
    assert!(text.contains(&format!("paved:deploy-{next_id}")) && text.contains("user:default/ana"), "{text}");

    // The audit trail of shop-api has every one of these, with who and
    // the decision: the refusal with the rule that refused it, the
    // deploys queued, the interruption and the success.
    let audit = |token: &str| {
        run(paved(dir).args([
            "audit",
            "--service",
            "shop-api",
            "--format",
            "json",
            "--server",
            &server.base,
            "--token",
            token,
        ]))
    };
    let trail = audit(&ana);
    assert!(trail.status.success(), "an owner reads the service's trail: {}", stderr(&trail));
    let trail = json(&trail);
    let entries = trail.as_array().unwrap();
    let of = |action: &str| entries.iter().filter(|e| e["action"] == action).collect::<Vec<_>>();
    // Newest first: ana's second deploy while the first was queued, then
    // bo's, each with the rule that refused it.
    let refused = of("deploy.refuse");
    assert_eq!(refused.len(), 2, "{trail}");
    assert!(refused.iter().all(|e| e["decision"] == "refused"), "{trail}");
    assert!(refused[0]["actor"].as_str().unwrap().contains("ana"), "{trail}");
    assert!(refused[0]["detail"].as_str().unwrap().contains("one_at_a_time"), "{trail}");
    assert!(refused[1]["actor"].as_str().unwrap().contains("bo"), "{trail}");
    assert!(refused[1]["detail"].as_str().unwrap().contains("may_act"), "the rule that refused it: {trail}");
    assert_eq!(of("deploy.queue").len(), 2, "slow and 2.0.0: {trail}");
    assert!(
        of("deploy.queue").iter().all(|e| e["decision"] == "allowed" && e["service"] == "component:default/shop-api")
    );
    assert_eq!(of("deploy.interrupt").len(), 1, "{trail}");
    assert_eq!(of("deploy.succeed").len(), 1, "{trail}");
    // Another team's person may not read it, and is told who may.
    let other = audit(&bo);
    assert_eq!(other.status.code(), Some(2), "{}", stdout(&other));
    assert!(stderr(&other).contains("403") && stderr(&other).contains("ana"), "{}", stderr(&other));
    let (status, whole) = server.get_with("/api/v1/audit", &ana).await;
    assert_eq!(status, 403, "only admins read the whole trail: {whole}");
    let (status, whole) = server.get_with("/api/v1/audit?actor=bo", &admin).await;
    assert_eq!((status, whole["total"].as_u64()), (200, Some(1)), "an admin filters by actor: {whole}");
}

/// Two `paved serve` replicas on one PostgreSQL database, each with its
/// embedded runner: every queued deploy runs exactly once whichever replica
/// queued it, and a replica killed with SIGKILL mid-deploy leaves the
/// deploy interrupted and the target free, for the other replica and for
/// itself once restarted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgresql_run_each_deploy_once_and_survive_a_kill() {
    let Some(database) = paved_test_support::paved_test_database().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let url = database.url();
    organisation_in(dir, url);
    let ana = token_in(dir, url, &["--user", "ana"]);
    let replica = || Server::start(dir, &["--database-url", url, "--runner-lease", "2s"]);
    let mut replicas = vec![replica(), replica()];

    // Deploys queued on alternate replicas; both runners poll for each.
    let mut ids = Vec::new();
    for round in 0..6 {
        let (status, queued) = deploy(&replicas[round % 2], &ana, &format!("1.0.{round}")).await;
        assert_eq!(status, 202, "{queued}");
        let id = queued["deploy"]["id"].as_i64().unwrap();
        until_state(&replicas[(round + 1) % 2], id, "succeeded").await;
        ids.push(id.to_string());
    }
    let ledger = std::fs::read_to_string(dir.join("ledger")).unwrap();
    let ran: Vec<&str> = ledger.lines().collect();
    assert_eq!(ran, ids, "each deploy ran exactly once, in order");

    // The replica whose runner holds a slow deploy is killed.
    let (status, queued) = deploy(&replicas[0], &ana, "slow").await;
    assert_eq!(status, 202, "{queued}");
    let id = queued["deploy"]["id"].as_i64().unwrap();
    let running = until_state(&replicas[1], id, "running").await;
    let runner = running["deploy"]["runner"].as_str().unwrap().to_owned();
    // Mid-step: its command has started (it wrote its id to the ledger).
    for _ in 0..300 {
        let ledger = std::fs::read_to_string(dir.join("ledger")).unwrap();
        if ledger.lines().any(|line| line == id.to_string()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let holder = replicas
        .iter()
        .position(|server| runner.contains(&format!(":{}:", server.child.id())))
        .unwrap_or_else(|| panic!("runner {runner} is one of the replicas"));
    replicas.remove(holder).kill();
    let survivor = &replicas[0];
    let interrupted = until_state(survivor, id, "interrupted").await;
    assert!(interrupted["deploy"]["error"].as_str().unwrap().contains("stopped reporting"), "{interrupted}");

    // Restarted, the killed replica takes deploys again; the target is free.
    replicas.push(replica());
    let restarted = &replicas[1];
    let (status, next) = deploy(restarted, &ana, "2.0.0").await;
    assert_eq!(status, 202, "the target is free again: {next}");
    let next_id = next["deploy"]["id"].as_i64().unwrap();
    until_state(restarted, next_id, "succeeded").await;
    let ledger = std::fs::read_to_string(dir.join("ledger")).unwrap();
    let last: Vec<&str> = ledger.lines().rev().take(2).collect();
    assert_eq!(last, [next_id.to_string(), id.to_string()], "the interrupted deploy is not run again");
}
