//! The GitHub normaliser against every real payload (snapshotted), the
//! samples written from GitHub's documentation, resolution against the
//! test catalog, and signature verification.

use chrono::{DateTime, Utc};
use paved_domain::{
    CiRun, Deployment, DeploymentStatus, DeploymentTrigger, EventStatus, Incident, PullRequest, PullRequestState, Push,
    Record, Source,
};
use paved_ingest::github::{self, SIGNATURE_HEADER};
use paved_ingest::signature::SignatureError;
use paved_ingest::{Normalized, normalize};
use serde_json::{Value, json};

use crate::payloads::{
    catalog, derivation_view, documented_payload, input, real_payload, real_payload_files, settings, view,
};

fn at(text: &str) -> Option<DateTime<Utc>> {
    Some(text.parse().unwrap())
}

fn normalized(event_type: &str, body: &[u8]) -> Normalized {
    let context = json!({});
    normalize::normalize(&input(Source::GitHub, event_type, body, &context), &settings())
        .unwrap_or_else(|e| panic!("{event_type}: {e}"))
}

/// The one record an event yields.
fn record(event_type: &str, body: &[u8]) -> Record {
    match normalized(event_type, body) {
        Normalized::Observations { mut observations, .. } if observations.len() == 1 => observations.remove(0).record,
        other => panic!("{event_type}: expected one record, got {other:?}"),
    }
}

fn deployment(event_type: &str, body: &[u8]) -> Deployment {
    match record(event_type, body) {
        Record::Deployment(deployment) => deployment,
        other => panic!("{other:?}"),
    }
}

fn pull_request(event_type: &str, body: &[u8]) -> PullRequest {
    match record(event_type, body) {
        Record::PullRequest(pr) => pr,
        other => panic!("{other:?}"),
    }
}

fn push(body: &[u8]) -> Push {
    match record("push", body) {
        Record::Push(push) => push,
        other => panic!("{other:?}"),
    }
}

fn ci_run(event_type: &str, body: &[u8]) -> CiRun {
    match record(event_type, body) {
        Record::CiRun(run) => run,
        other => panic!("{other:?}"),
    }
}

fn incident(body: &[u8]) -> Incident {
    match record("issues", body) {
        Record::Incident(incident) => incident,
        other => panic!("{other:?}"),
    }
}

/// `github/push/with-new-branch.payload.json` → `push__with-new-branch_payload`.
fn snapshot_name(path: &str) -> String {
    path.trim_start_matches("github/").trim_end_matches(".json").replace('/', "__").replace('.', "_")
}

#[test]
fn every_real_payload_normalises_and_matches_its_snapshot() {
    let files = real_payload_files("github");
    assert!(files.len() >= 24, "the GitHub fixtures are missing: {files:?}");
    for path in files {
        // The directory is the event type, as `X-GitHub-Event` names it.
        let event_type = path.split('/').nth(1).unwrap();
        let body = real_payload(&path);
        let normalized = normalized(event_type, &body);
        if event_type != "ping" {
            assert!(matches!(normalized, Normalized::Observations { .. }), "{path}: {normalized:?}");
        }
        insta::assert_json_snapshot!(snapshot_name(&path), view(&normalized));
    }
}

#[test]
fn documented_samples_match_their_snapshots() {
    for (event_type, path) in [
        ("pull_request_review", "github/pull_request_review/submitted.json"),
        ("issues", "github/issues/opened.json"),
        ("issues", "github/issues/closed.json"),
    ] {
        let normalized = normalized(event_type, &documented_payload(path));
        let name = format!("documented_{}", snapshot_name(path));
        insta::assert_json_snapshot!(name, view(&normalized));
    }
}

#[test]
fn a_ping_is_ignored_and_says_why() {
    let normalized = normalized("ping", &real_payload("github/ping/payload.json"));
    assert_eq!(normalized, Normalized::Ignored("ping: GitHub's test delivery; nothing to record".to_owned()));
}

#[test]
fn events_pavedroad_does_not_use_are_ignored_by_name() {
    let normalized = normalized("star", b"{\"action\": \"created\"}");
    assert_eq!(normalized, Normalized::Ignored("GitHub `star` events carry nothing pavedroad records".to_owned()));
}

#[test]
fn a_deployment_status_finishes_or_starts_its_deployment() {
    let success = deployment("deployment_status", &real_payload("github/deployment_status/payload.json"));
    assert_eq!(success.key, "github:github.com/codertocat/hello-world/145988746");
    assert_eq!(success.status, DeploymentStatus::Success);
    assert_eq!(success.status_at, at("2019-05-15T15:20:55Z"));
    assert_eq!(success.finished_at, at("2019-05-15T15:20:55Z"));
    assert_eq!(success.started_at, None);
    assert_eq!(success.created_at, at("2019-05-15T15:20:53Z"));
    assert_eq!(success.environment, "production");
    assert_eq!(success.sha.as_deref(), Some("f95f852bd8fca8fcc58a9a2d6c842781e32a215e"));
    assert_eq!(success.creator.as_ref().map(ToString::to_string).as_deref(), Some("github:codertocat"));

    let running = deployment("deployment_status", &real_payload("github/deployment_status/gh-pages.payload.json"));
    assert_eq!(running.status, DeploymentStatus::InProgress);
    assert_eq!(running.started_at, at("2022-01-03T01:28:40Z"));
    assert_eq!(running.finished_at, None);
    assert_eq!(running.environment, "github-pages");
    assert_eq!(running.production_by_source, Some(false));
    assert_eq!(running.triggering_actor.as_ref().map(ToString::to_string).as_deref(), Some("github:codertocat"));
}

#[test]
fn a_deployment_and_its_status_share_a_key_and_merge() {
    let created = deployment("deployment", &real_payload("github/deployment/payload.json"));
    assert_eq!(created.status, DeploymentStatus::Pending);
    let status = deployment("deployment_status", &real_payload("github/deployment_status/payload.json"));
    assert_eq!(created.key, status.key);
    // In either order the deployment ends up successful, created when
    // the `deployment` event says and finished when the status says.
    for merged in [
        Record::Deployment(created.clone()).merge(Record::Deployment(status.clone())),
        Record::Deployment(status).merge(Record::Deployment(created)),
    ] {
        let Record::Deployment(merged) = merged else { panic!("{merged:?}") };
        assert_eq!(merged.status, DeploymentStatus::Success);
        assert_eq!(merged.created_at, at("2019-05-15T15:20:53Z"));
        assert_eq!(merged.finished_at, at("2019-05-15T15:20:55Z"));
    }
}

#[test]
fn a_deployment_payload_names_the_service_and_marks_rollbacks_and_hotfixes() {
    let mut body: Value = serde_json::from_slice(&real_payload("github/deployment/payload.json")).unwrap();
    // GitHub's API takes the payload as an object or as a JSON string.
    body["deployment"]["payload"] = json!(r#"{"service": "hello-world", "hotfix": true}"#);
    body["deployment"]["task"] = json!("deploy:rollback");
    body["deployment"]["production_environment"] = json!(true);
    let body = serde_json::to_vec(&body).unwrap();
    let Normalized::Observations { observations, .. } = normalized("deployment", &body) else { panic!() };
    assert_eq!(observations[0].service.names, ["hello-world"]);
    let Record::Deployment(d) = &observations[0].record else { panic!() };
    assert_eq!(d.trigger, Some(DeploymentTrigger::Rollback));
    assert!(d.hotfix);
    assert_eq!(d.production_by_source, Some(true));

    let context = json!({});
    let derivation =
        paved_ingest::derive(&input(Source::GitHub, "deployment", &body, &context), &catalog(), &settings());
    insta::assert_json_snapshot!("derive_deployment_named_in_payload", derivation_view(&derivation));
}

#[test]
fn a_closed_pull_request_is_merged_or_not() {
    let closed = pull_request("pull_request", &real_payload("github/pull_request/closed.payload.json"));
    assert_eq!(closed.key, "github:github.com/codertocat/hello-world#2");
    assert_eq!(closed.state(), PullRequestState::Closed);
    assert_eq!(closed.closed_at, at("2019-05-15T15:21:18Z"));
    assert_eq!(closed.merged_at, None);
    assert_eq!(closed.merge_commit_sha, None, "an unmerged pull request's test merge is not its merge");

    let mut body: Value = serde_json::from_slice(&real_payload("github/pull_request/closed.payload.json")).unwrap();
    body["pull_request"]["merged"] = json!(true);
    body["pull_request"]["merged_at"] = json!("2019-05-15T15:21:18Z");
    body["pull_request"]["merged_by"] = json!({"login": "octocat", "type": "User"});
    let merged = pull_request("pull_request", &serde_json::to_vec(&body).unwrap());
    assert_eq!(merged.state(), PullRequestState::Merged);
    assert_eq!(merged.merged_at, at("2019-05-15T15:21:18Z"));
    assert_eq!(merged.merge_commit_sha.as_deref(), Some("c4295bd74fb0f4fda03689c3df3f2803b658fd85"));
    assert_eq!(merged.merged_by.as_ref().map(ToString::to_string).as_deref(), Some("github:octocat"));

    let opened = pull_request("pull_request", &real_payload("github/pull_request/opened.payload.json"));
    assert_eq!(opened.state(), PullRequestState::Open);
    assert_eq!(opened.opened_at, at("2019-05-15T15:20:33Z"));
    assert_eq!(opened.head_sha.as_deref(), Some("ec26c3e57ca3a959ca5aad62de7213c562f8c821"));
    assert_eq!(opened.base_ref.as_deref(), Some("master"));
}

#[test]
fn a_review_adds_to_its_pull_request() {
    let pr = pull_request("pull_request_review", &documented_payload("github/pull_request_review/submitted.json"));
    assert_eq!(pr.key, "github:github.com/codertocat/hello-world#2");
    assert_eq!(pr.reviews.len(), 1);
    assert_eq!(pr.reviews[0].reviewer.to_string(), "github:octocat");
    assert_eq!(pr.reviews[0].state, "approved");
    assert_eq!(Some(pr.reviews[0].at), at("2019-05-15T15:20:38Z"));
}

#[test]
fn a_push_lists_its_commits_and_knows_created_and_deleted_refs() {
    let created = push(&real_payload("github/push/with-new-branch.payload.json"));
    assert_eq!(created.commits.len(), 1);
    assert_eq!(created.before, None, "the all-zero sha means the branch did not exist");
    assert_eq!(created.after.as_deref(), Some("6113728f27ae82c7b1a177c8d03f9e96e0adf246"));
    assert_eq!(created.git_ref, "refs/heads/master");
    assert_eq!(created.commits[0].author.as_ref().map(ToString::to_string).as_deref(), Some("github:codertocat"));
    assert_eq!(created.at, at("2019-05-15T15:19:25Z"));
    assert_eq!(created.pusher.as_ref().map(ToString::to_string).as_deref(), Some("github:codertocat"));

    let deleted = push(&real_payload("github/push/payload.json"));
    assert!(deleted.deleted);
    assert_eq!(deleted.commits.len(), 0);
    assert_eq!(deleted.after, None);
    assert_eq!(deleted.at, Some(crate::payloads::received_at()), "no head commit: the time it was received");
    assert_eq!(
        deleted.key,
        "github:github.com/codertocat/hello-world:refs/tags/simple-tag:\
         6113728f27ae82c7b1a177c8d03f9e96e0adf246..0000000000000000000000000000000000000000"
    );
}

#[test]
fn a_commit_author_without_a_login_is_known_by_email() {
    let mut body: Value = serde_json::from_slice(&real_payload("github/push/with-new-branch.payload.json")).unwrap();
    body["commits"][0]["author"] = json!({"name": "Dana Scully", "email": "Dana@Example.com"});
    let Normalized::Observations { observations, people } = normalized("push", &serde_json::to_vec(&body).unwrap())
    else {
        panic!()
    };
    let Record::Push(push) = &observations[0].record else { panic!() };
    assert_eq!(push.commits[0].author.as_ref().map(ToString::to_string).as_deref(), Some("email:dana@example.com"));
    assert_eq!(push.commits[0].author_email.as_deref(), Some("Dana@Example.com"));
    let dana = people.iter().find(|p| p.identity.to_string() == "email:dana@example.com").unwrap();
    assert_eq!(dana.name.as_deref(), Some("Dana Scully"));
}

#[test]
fn ci_runs_finish_only_when_completed_and_apps_are_nobody() {
    let requested = ci_run("workflow_run", &real_payload("github/workflow_run/requested.payload.json"));
    let completed = ci_run("workflow_run", &real_payload("github/workflow_run/completed.payload.json"));
    assert_eq!(requested.key, completed.key);
    assert_eq!(requested.finished_at, None);
    assert_eq!(completed.finished_at, at("2020-10-05T16:33:49Z"));
    assert_eq!(completed.conclusion.as_deref(), Some("success"));
    assert_eq!(completed.name.as_deref(), Some("test"), "the workflow's name when the run has none");

    let failed =
        ci_run("workflow_job", &real_payload("github/workflow_job/completed.failure.with-organization.payload.json"));
    assert_eq!(failed.run_kind, "job");
    assert_eq!(failed.conclusion.as_deref(), Some("failure"));
    assert_eq!(failed.finished_at, at("2021-08-05T10:38:16Z"));

    let created = ci_run("check_run", &real_payload("github/check_run/created.payload.json"));
    assert_eq!(created.environment.as_deref(), Some("lab"), "from the check suite's deployment");
    assert_eq!(created.finished_at, None);

    let mut body: Value = serde_json::from_slice(&real_payload("github/check_run/completed.payload.json")).unwrap();
    let check = ci_run("check_run", &serde_json::to_vec(&body).unwrap());
    assert_eq!(check.actor.as_ref().map(ToString::to_string).as_deref(), Some("github:codertocat"));
    body["sender"] = json!({"login": "octocoders-linter[bot]", "type": "Bot"});
    let by_app = ci_run("check_run", &serde_json::to_vec(&body).unwrap());
    assert_eq!(by_app.actor, None, "an app's check run is nobody's work");
}

#[test]
fn an_incident_issue_opens_and_resolves() {
    let opened = incident(&documented_payload("github/issues/opened.json"));
    assert_eq!(opened.key, "github:github.com/codertocat/hello-world#7");
    assert_eq!(opened.severity.as_deref(), Some("SEV-2"));
    assert_eq!(opened.opened_at, at("2019-05-15T15:25:00Z"));
    assert_eq!(opened.resolved_at, None);
    assert_eq!(opened.root_cause_sha.as_deref(), Some("f95f852bd8fca8fcc58a9a2d6c842781e32a215e"));

    let closed = incident(&documented_payload("github/issues/closed.json"));
    assert_eq!(closed.key, opened.key);
    assert_eq!(closed.resolved_at, at("2019-05-15T16:10:00Z"));
    assert_eq!(closed.resolved_by.as_ref().map(ToString::to_string).as_deref(), Some("github:octocat"));
}

#[test]
fn an_issue_without_the_incident_label_is_ignored() {
    let mut body: Value = serde_json::from_slice(&documented_payload("github/issues/opened.json")).unwrap();
    body["issue"]["labels"] = json!([{"name": "bug"}]);
    let normalized = normalized("issues", &serde_json::to_vec(&body).unwrap());
    let Normalized::Ignored(reason) = normalized else { panic!("{normalized:?}") };
    assert!(reason.contains("`incident` label"), "{reason}");

    // The label is compared case-insensitively, and the setting decides it.
    body["issue"]["labels"] = json!([{"name": "Outage"}]);
    let body = serde_json::to_vec(&body).unwrap();
    let context = json!({});
    let mut outage = settings();
    outage.incident_label = "outage".to_owned();
    let normalized = normalize::normalize(&input(Source::GitHub, "issues", &body, &context), &outage).unwrap();
    assert!(matches!(normalized, Normalized::Observations { .. }), "{normalized:?}");
}

#[test]
fn malformed_bodies_fail_with_a_message() {
    let context = json!({});
    let err = normalize::normalize(&input(Source::GitHub, "push", b"{\"ref\": ", &context), &settings()).unwrap_err();
    assert!(err.0.starts_with("the body is not valid JSON: EOF while parsing"), "{err}");

    let err = normalize::normalize(&input(Source::GitHub, "deployment", b"[1, 2]", &context), &settings()).unwrap_err();
    assert!(err.0.starts_with("the body is not a GitHub `deployment` event: invalid type"), "{err}");

    let body = br#"{"deployment": {"id": 1, "environment": "production"}}"#;
    let err = normalize::normalize(&input(Source::GitHub, "deployment", body, &context), &settings()).unwrap_err();
    assert_eq!(err.0, "repository is missing");

    let body = br#"{"deployment_status": {"state": "exploded"}, "deployment": {"id": 1, "environment": "production"},
        "repository": {"full_name": "Codertocat/Hello-World"}}"#;
    let err =
        normalize::normalize(&input(Source::GitHub, "deployment_status", body, &context), &settings()).unwrap_err();
    assert!(err.0.contains("`exploded`"), "{err}");

    let derivation =
        paved_ingest::derive(&input(Source::GitHub, "push", b"not json", &context), &catalog(), &settings());
    assert_eq!(derivation.status, EventStatus::Failed);
    assert!(derivation.reason.unwrap().starts_with("the body is not valid JSON"));
}

#[test]
fn derivations_resolve_services_and_people() {
    let context = json!({});
    for (name, event_type, body) in [
        ("derive_deployment_status", "deployment_status", real_payload("github/deployment_status/payload.json")),
        ("derive_push", "push", real_payload("github/push/with-new-branch.payload.json")),
        ("derive_incident_closed", "issues", documented_payload("github/issues/closed.json")),
    ] {
        let derivation =
            paved_ingest::derive(&input(Source::GitHub, event_type, &body, &context), &catalog(), &settings());
        insta::assert_json_snapshot!(name, derivation_view(&derivation));
    }

    let body = real_payload("github/deployment_status/payload.json");
    let derivation =
        paved_ingest::derive(&input(Source::GitHub, "deployment_status", &body, &context), &catalog(), &settings());
    let Record::Deployment(d) = &derivation.records[0] else { panic!() };
    assert_eq!(d.service.as_ref().map(ToString::to_string).as_deref(), Some("component:default/hello-world"));
    assert!(d.production);
    let codertocat = derivation.identities.iter().find(|s| s.identity.to_string() == "github:codertocat").unwrap();
    assert_eq!(codertocat.person.as_ref().map(ToString::to_string).as_deref(), Some("user:default/codertocat"));
}

const SECRET: &[u8] = b"It's a Secret to Everybody";
const BODY: &[u8] = b"Hello, World!";
const SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

#[test]
fn githubs_published_signature_verifies() {
    assert_eq!(github::verify(SECRET, BODY, Some(SIGNATURE)), Ok(()));
}

#[test]
fn a_missing_signature_is_refused() {
    assert_eq!(github::verify(SECRET, BODY, None), Err(SignatureError::Missing { header: SIGNATURE_HEADER }));
}

#[test]
fn a_malformed_signature_is_refused() {
    let hex = SIGNATURE.trim_start_matches("sha256=");
    for header in [
        "",
        hex,
        &format!("sha1={hex}"),
        &format!("sha256={}", &hex[..63]),
        &format!("sha256={hex}00"),
        &format!("sha256={}zz", &hex[..62]),
    ] {
        let result = github::verify(SECRET, BODY, Some(header));
        assert!(
            matches!(result, Err(SignatureError::Malformed { header: SIGNATURE_HEADER, .. })),
            "{header}: {result:?}"
        );
    }
}

#[test]
fn a_wrong_signature_is_refused() {
    let mismatch = Err(SignatureError::Mismatch { header: SIGNATURE_HEADER });
    assert_eq!(github::verify(SECRET, b"Hello, World?", Some(SIGNATURE)), mismatch);
    assert_eq!(github::verify(b"another secret", BODY, Some(SIGNATURE)), mismatch);
    let other = format!("sha256={}", "0".repeat(64));
    assert_eq!(github::verify(SECRET, BODY, Some(&other)), mismatch);
}
