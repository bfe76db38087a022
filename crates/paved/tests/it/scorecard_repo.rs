//! Scorecard rules that read a service's repository and rules that apply
//! to some services only, through the real binary: `alert_runbooks` reads
//! the Prometheus rule files at the commit `paved import git` last reached
//! (a fix committed but not imported changes nothing; imported, it
//! passes), and a rule filtered to `lifecycle: production` is "not
//! applicable" to an experimental service, which it then does not hold
//! back.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{json, paved, run, stderr};

const CATALOG: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: checkout }
spec: { type: team, children: [], members: [lena.fischer] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: lena.fischer }
spec: { profile: { email: lena.fischer@acme.example }, memberOf: [checkout] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-api
  annotations: { github.com/project-slug: acme/checkout-api }
spec: { type: service, lifecycle: production, owner: checkout }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: cart-experiment
spec: { type: service, lifecycle: experimental, owner: checkout }
---
apiVersion: paved.dev/v1alpha1
kind: Scorecard
metadata: { name: alerting }
spec:
  owner: checkout
  levels: [bronze, silver]
  filter: { type: service }
  rules:
    - name: owned
      level: bronze
      check: owner_has_members
      failure_message: Give the service an owning team with members.
    - name: alerts-link-runbooks
      level: silver
      check: alert_runbooks
      filter: { lifecycle: production }
      failure_message: Add annotations.runbook_url to every alerting rule in the repository.
"#;

const RULES_HALF: &str = "groups:\n  - name: checkout-api\n    rules:\n      - alert: CheckoutDown\n        \
                          expr: up{job=\"checkout-api\"} == 0\n        annotations:\n          \
                          runbook_url: https://wiki.acme.example/checkout-api#down\n      - alert: CheckoutSlow\n        \
                          expr: latency_seconds > 1\n        annotations: { summary: slow }\n      \
                          - record: job:requests:rate5m\n        expr: rate(requests_total[5m])\n";

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .args(["-c", "user.name=Lena Fischer", "-c", "user.email=lena.fischer@acme.example"])
        .args(["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
}

fn commit(repo: &Path, file: &str, text: &str, message: &str) {
    let path = repo.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
}

fn import(dir: &Path, repo: &Path) {
    let output =
        run(paved(dir).args(["import", "git", repo.to_str().unwrap(), "--repo", "github.com/acme/checkout-api"]));
    assert!(output.status.success(), "{}", stderr(&output));
}

/// `service`'s result on the `alerting` scorecard.
fn scored(dir: &Path, service: &str) -> Value {
    let output = run(paved(dir).args(["scorecard", "--service", service, "--format", "json"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let cards = json(&output);
    cards[0]["services"][0].clone()
}

fn rule<'a>(service: &'a Value, name: &str) -> &'a Value {
    service["rules"].as_array().unwrap().iter().find(|r| r["rule"] == name).unwrap()
}

#[test]
fn alert_rules_are_read_from_the_imported_commit_and_filtered_rules_do_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog.yaml");
    std::fs::write(&catalog, CATALOG).unwrap();
    let output = run(paved(dir.path()).args(["catalog", "import", catalog.to_str().unwrap()]));
    assert!(output.status.success(), "{}", stderr(&output));

    // Not imported yet: nothing to judge by, and it says how to fix that.
    let before = scored(dir.path(), "checkout-api");
    let alerts = rule(&before, "alerts-link-runbooks");
    assert_eq!(alerts["outcome"], "no_data", "{alerts}");
    assert!(alerts["shown"].as_str().unwrap().contains("paved import git"), "{alerts}");

    let repo = dir.path().join("checkout-api");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    commit(&repo, "README.md", "checkout-api\n", "Start");
    commit(&repo, "deploy/prometheus/alerts.yaml", RULES_HALF, "Alert on checkout-api");
    // A YAML file that is not a rule file counts nothing.
    commit(&repo, "deploy/k8s/service.yaml", "apiVersion: v1\nkind: Service\n", "Service");
    import(dir.path(), &repo);

    let half = scored(dir.path(), "checkout-api");
    let alerts = rule(&half, "alerts-link-runbooks");
    assert_eq!(alerts["outcome"], "fail", "{alerts}");
    assert_eq!(alerts["figure"], 0.5, "{alerts}");
    let shown = alerts["shown"].as_str().unwrap();
    assert!(shown.contains("1 of 2 alerting rules in deploy/prometheus/alerts.yaml"), "{shown}");
    assert!(shown.contains("without one: CheckoutSlow"), "{shown}");
    assert_eq!(alerts["fix"], "Add annotations.runbook_url to every alerting rule in the repository.");
    assert_eq!(half["level"], "bronze", "{half}");

    // The fix committed but not imported: pavedroad reads what it imported.
    let fixed = RULES_HALF.replace(
        "annotations: { summary: slow }",
        "annotations: { runbook_url: https://wiki.acme.example/checkout-api#slow }",
    );
    commit(&repo, "deploy/prometheus/alerts.yaml", &fixed, "Link the runbook of CheckoutSlow");
    assert_eq!(rule(&scored(dir.path(), "checkout-api"), "alerts-link-runbooks")["outcome"], "fail");
    import(dir.path(), &repo);
    let after = scored(dir.path(), "checkout-api");
    assert_eq!(rule(&after, "alerts-link-runbooks")["outcome"], "pass", "{after}");
    assert_eq!(after["level"], "silver", "{after}");

    // The experimental service: the production-only rule does not apply,
    // counts for nothing in its score, and does not hold its level back.
    let experiment = scored(dir.path(), "cart-experiment");
    let alerts = rule(&experiment, "alerts-link-runbooks");
    assert_eq!(alerts["outcome"], "not_applicable", "{alerts}");
    assert_eq!(alerts["shown"], "applies only to lifecycle production", "{alerts}");
    assert_eq!(experiment["level"], "silver", "{experiment}");
    assert_eq!(experiment["score"], 1.0, "{experiment}");
}

#[test]
fn a_rule_filter_with_an_unknown_field_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("catalog.yaml");
    std::fs::write(
        &catalog,
        CATALOG.replace("filter: { lifecycle: production }", "filter: { lifecycles: production }"),
    )
    .unwrap();
    let output = run(paved(dir.path()).args(["catalog", "import", catalog.to_str().unwrap()]));
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(said.contains("spec.rules[1]") && said.contains("lifecycles"), "{said}");
}
