//! The GitLab normaliser against GitLab's real sample payloads (one snapshot
//! each, plus the facts that matter checked by hand), the documented Issue
//! Hook samples, token verification and delivery ids.

use chrono::{DateTime, Utc};
use paved_domain::{DeploymentStatus, EventStatus, IncidentStatus, PullRequestState, Record, Source};
use paved_ingest::gitlab::{self, EVENT_UUID_HEADER, IDEMPOTENCY_HEADER, TOKEN_HEADER};
use paved_ingest::normalize::normalize;
use paved_ingest::signature::SignatureError;
use paved_ingest::{NormalizeError, Normalized};
use serde_json::{Value, json};

use crate::payloads::{
    catalog, derivation_view, documented_payload, input, real_payload, real_payload_files, received_at, settings, view,
};

/// The `X-Gitlab-Event` value GitLab sends with the payloads of a fixture
/// directory (`SOURCES.md` of the real payloads).
fn event_header(path: &str) -> &'static str {
    let directory = path.split('/').nth(1).unwrap_or_default();
    match directory {
        "push" => "Push Hook",
        "tag_push" => "Tag Push Hook",
        "merge_request" => "Merge Request Hook",
        "note" => "Note Hook",
        "pipeline" => "Pipeline Hook",
        "job" => "Job Hook",
        "deployment" => "Deployment Hook",
        "release" => "Release Hook",
        "issue" => "Issue Hook",
        other => panic!("no X-Gitlab-Event known for {other}"),
    }
}

fn normalized_body(header: &str, body: &[u8]) -> Result<Normalized, NormalizeError> {
    let context = json!({});
    normalize(&input(Source::GitLab, header, body, &context), &settings())
}

fn real(path: &str) -> Normalized {
    let path = format!("gitlab/{path}");
    normalized_body(event_header(&path), &real_payload(&path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn documented(path: &str) -> Normalized {
    let path = format!("gitlab/{path}");
    normalized_body(event_header(&path), &documented_payload(&path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A real payload changed by `edit`, normalised with its fixture's header.
fn edited(path: &str, edit: impl FnOnce(&mut Value)) -> Result<Normalized, NormalizeError> {
    let path = format!("gitlab/{path}");
    let mut body: Value = serde_json::from_slice(&real_payload(&path)).unwrap();
    edit(&mut body);
    normalized_body(event_header(&path), &serde_json::to_vec(&body).unwrap())
}

fn the_record(normalized: &Normalized) -> &Record {
    match normalized {
        Normalized::Observations { observations, .. } if observations.len() == 1 => &observations[0].record,
        other => panic!("expected one record, got {other:?}"),
    }
}

fn ignored_reason(normalized: &Normalized) -> &str {
    match normalized {
        Normalized::Ignored(reason) => reason,
        other => panic!("expected an ignored event, got {other:?}"),
    }
}

fn at(text: &str) -> Option<DateTime<Utc>> {
    Some(text.parse().unwrap())
}

fn identity(normalized: &Option<paved_domain::Identity>) -> Option<String> {
    normalized.as_ref().map(ToString::to_string)
}

#[test]
fn every_real_payload_normalises_as_snapshotted() {
    let files = real_payload_files("gitlab");
    assert_eq!(files.len(), 11, "a new fixture needs a snapshot here and its facts checked below: {files:?}");
    for file in files {
        let body = real_payload(&file);
        let normalized = normalized_body(event_header(&file), &body).unwrap_or_else(|e| panic!("{file}: {e}"));
        let name = format!("real_{}", file.trim_start_matches("gitlab/").trim_end_matches(".json").replace('/', "__"));
        insta::assert_json_snapshot!(name, view(&normalized));
    }
}

#[test]
fn the_documented_issue_samples_normalise_as_snapshotted() {
    for sample in ["incident_opened", "incident_closed", "issue_opened"] {
        let normalized = documented(&format!("issue/{sample}.json"));
        insta::assert_json_snapshot!(format!("documented_issue__{sample}"), view(&normalized));
    }
}

#[test]
fn a_deployment_has_its_status_environment_commit_and_creator() {
    let normalized = real("deployment/deployment.json");
    let Record::Deployment(deployment) = the_record(&normalized) else { panic!("{normalized:?}") };
    assert_eq!(deployment.key, "gitlab:10.126.0.2/root/test-deployment-webhooks/15");
    assert_eq!(deployment.repo.as_ref().unwrap().as_str(), "10.126.0.2/root/test-deployment-webhooks");
    assert_eq!(deployment.status, DeploymentStatus::Success);
    assert_eq!(deployment.environment, "staging");
    assert_eq!(deployment.production_by_source, None, "this payload predates environment_tier");
    assert_eq!(
        deployment.sha.as_deref(),
        Some("279484c09fbe69ededfced8c1bb6e6d24616b468"),
        "the full sha of commit_url"
    );
    assert_eq!(deployment.git_ref.as_deref(), Some("1.0.0"));
    assert_eq!(deployment.status_at, at("2021-04-28T19:50:00Z"), "`21:50:00 +0200`");
    assert_eq!(deployment.finished_at, deployment.status_at);
    assert_eq!(deployment.started_at, None);
    assert_eq!(identity(&deployment.creator).as_deref(), Some("gitlab:user1"));
    assert_eq!(deployment.actor, None, "GitLab names who ran the job, not who caused the deployment");
    assert_eq!(deployment.url.as_deref(), Some("http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796"));
}

#[test]
fn the_environment_tier_says_whether_a_deployment_is_in_production() {
    let with = |tier: &str, status: &str| {
        let normalized = edited("deployment/deployment.json", |body| {
            body["environment_tier"] = json!(tier);
            body["status"] = json!(status);
        })
        .unwrap();
        let Record::Deployment(deployment) = the_record(&normalized).clone() else { panic!() };
        deployment
    };
    let production = with("production", "running");
    assert_eq!(production.production_by_source, Some(true));
    assert_eq!(production.status, DeploymentStatus::InProgress);
    assert_eq!((production.started_at, production.finished_at), (at("2021-04-28T19:50:00Z"), None));
    let staging = with("staging", "created");
    assert_eq!(staging.production_by_source, Some(false));
    assert_eq!(staging.status, DeploymentStatus::Pending);
    assert_eq!(staging.created_at, at("2021-04-28T19:50:00Z"));
    assert_eq!(with("development", "canceled").status, DeploymentStatus::Cancelled);
    assert_eq!(with("production", "failed").status, DeploymentStatus::Failure);

    let error = edited("deployment/deployment.json", |body| body["status"] = json!("exploded")).unwrap_err();
    assert!(error.0.contains("status `exploded` is not a GitLab deployment status"), "{error}");
    let error = edited("deployment/deployment.json", |body| body["deployment_id"] = Value::Null).unwrap_err();
    assert_eq!(error.0, "deployment_id is missing");
}

#[test]
fn the_deployment_fixture_derives_with_no_component_for_its_project() {
    // The test catalog's `gitlab-test` claims gitlab.com/mike/diaspora; this
    // payload's project is on a self-managed instance at 10.126.0.2.
    let body = real_payload("gitlab/deployment/deployment.json");
    let context = json!({});
    let derivation =
        paved_ingest::derive(&input(Source::GitLab, "Deployment Hook", &body, &context), &catalog(), &settings());
    assert_eq!(derivation.status, EventStatus::Normalized);
    let reason = derivation.reason.as_deref().unwrap_or_default();
    assert!(reason.contains("no component matches repository 10.126.0.2/root/test-deployment-webhooks"), "{reason}");
    let Record::Deployment(deployment) = &derivation.records[0] else { panic!("{derivation:?}") };
    assert_eq!(deployment.service, None);
    assert!(!deployment.production, "staging is not production by default");
    insta::assert_json_snapshot!("derived_deployment", derivation_view(&derivation));
}

#[test]
fn an_incident_on_a_catalogued_project_derives_its_service() {
    let body = documented_payload("gitlab/issue/incident_closed.json");
    let context = json!({});
    let derivation =
        paved_ingest::derive(&input(Source::GitLab, "Issue Hook", &body, &context), &catalog(), &settings());
    assert_eq!((derivation.status, derivation.reason.as_deref()), (EventStatus::Normalized, None));
    let Record::Incident(incident) = &derivation.records[0] else { panic!("{derivation:?}") };
    assert_eq!(incident.service.as_ref().map(ToString::to_string).as_deref(), Some("component:default/gitlab-test"));
    insta::assert_json_snapshot!("derived_incident_closed", derivation_view(&derivation));
}

#[test]
fn merge_requests_keep_their_state_and_only_the_people_the_action_names() {
    let opened = real("merge_request/merge_request.json");
    let Record::PullRequest(pr) = the_record(&opened) else { panic!("{opened:?}") };
    assert_eq!(pr.key, "gitlab:example.com/gitlabhq/gitlab-test#1");
    assert_eq!(pr.state(), PullRequestState::Open);
    assert_eq!(identity(&pr.author).as_deref(), Some("gitlab:user1"), "on `open`, the user is the author");
    assert_eq!(pr.head_sha.as_deref(), Some("da1560886d4f094c3e6c9ef40349f7d38b5d27d7"));
    assert_eq!(pr.base_ref.as_deref(), Some("master"));
    assert_eq!(pr.opened_at, at("2013-12-03T17:23:34Z"));

    // Keys with a trailing space ("iid ", "state ": "merged ") in GitLab's group sample.
    let merged = real("merge_request/group_merge_request.json");
    let Record::PullRequest(pr) = the_record(&merged) else { panic!("{merged:?}") };
    assert_eq!(pr.number, 1402);
    assert_eq!(pr.state(), PullRequestState::Merged);
    assert_eq!(pr.title.as_deref(), Some("source-branch-test"));
    assert_eq!(pr.merged_at, at("2016-12-01T13:21:20Z"), "the update that merged it");
    assert_eq!(pr.closed_at, pr.merged_at);
    assert_eq!(pr.merge_commit_sha.as_deref(), Some("ac3ca1559bc39abf963586372eff7f8fdded646e"));
    assert_eq!(identity(&pr.merged_by).as_deref(), Some("gitlab:user1"));
    assert_eq!(pr.author, None, "whoever merged it did not necessarily open it");

    let updated = real("merge_request/service_merge_request.json");
    let Record::PullRequest(pr) = the_record(&updated) else { panic!("{updated:?}") };
    assert_eq!((pr.state(), pr.number), (PullRequestState::Open, 2));
    assert_eq!(pr.author, None, "on `update`, the user is whoever pushed");
    assert!(matches!(&updated, Normalized::Observations { people, .. } if people.is_empty()));
}

#[test]
fn an_approval_is_a_review_by_the_user() {
    for action in ["approved", "approval"] {
        let normalized =
            edited("merge_request/merge_request.json", |body| body["object_attributes"]["action"] = json!(action))
                .unwrap();
        let Record::PullRequest(pr) = the_record(&normalized) else { panic!("{normalized:?}") };
        assert_eq!(pr.author, None);
        assert_eq!(pr.reviews.len(), 1, "{action}");
        assert_eq!(pr.reviews[0].reviewer.to_string(), "gitlab:user1");
        assert_eq!(pr.reviews[0].state, "approved");
        assert_eq!(Some(pr.reviews[0].at), at("2013-12-03T17:23:34Z"));
    }
}

#[test]
fn a_closed_merge_request_carries_its_close_time() {
    let normalized = edited("merge_request/merge_request.json", |body| {
        body["object_attributes"]["state"] = json!("closed");
        body["object_attributes"]["action"] = json!("close");
        body["object_attributes"]["updated_at"] = json!("2013-12-04 08:00:00 UTC");
    })
    .unwrap();
    let Record::PullRequest(pr) = the_record(&normalized) else { panic!("{normalized:?}") };
    assert_eq!(pr.state(), PullRequestState::Closed);
    assert_eq!(pr.closed_at, at("2013-12-04T08:00:00Z"));
}

#[test]
fn a_comment_on_a_merge_request_is_a_review_and_other_comments_are_ignored() {
    let normalized = real("note/note_merge_request.json");
    let Record::PullRequest(pr) = the_record(&normalized) else { panic!("{normalized:?}") };
    assert_eq!(pr.key, "gitlab:example.com/gitlab-org/gitlab-test#1");
    assert_eq!(pr.state(), PullRequestState::Open);
    assert_eq!(pr.author, None, "the commenter is not the author");
    assert_eq!(pr.url.as_deref(), Some("http://example.com/gitlab-org/gitlab-test/merge_requests/1"));
    assert_eq!(pr.reviews.len(), 1);
    assert_eq!(pr.reviews[0].reviewer.to_string(), "gitlab:root");
    assert_eq!(pr.reviews[0].state, "commented");
    assert_eq!(Some(pr.reviews[0].at), at("2015-05-17T18:21:36Z"));

    let system = edited("note/note_merge_request.json", |body| body["object_attributes"]["system"] = json!(true));
    let Record::PullRequest(pr) = the_record(&system.unwrap()).clone() else { panic!() };
    assert!(pr.reviews.is_empty(), "GitLab's own notes are not reviews");

    for noteable in ["Commit", "Issue", "Snippet"] {
        let normalized =
            edited("note/note_merge_request.json", |body| body["object_attributes"]["noteable_type"] = json!(noteable))
                .unwrap();
        let reason = ignored_reason(&normalized);
        assert!(reason.contains(&format!("note on a {noteable}")), "{reason}");
    }
}

#[test]
fn pushes_list_their_commits_and_pusher() {
    let normalized = real("push/push.json");
    let Record::Push(push) = the_record(&normalized) else { panic!("{normalized:?}") };
    assert_eq!(
        push.key,
        "gitlab:example.com/mike/diaspora:refs/heads/master:95790bf891e76fee5e1747ab589903a6a1f80f22..da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
    );
    assert_eq!(push.commits.len(), 2, "the commits listed (total_commits_count says 4; the git import has the rest)");
    assert_eq!(identity(&push.pusher).as_deref(), Some("gitlab:jsmith"));
    assert_eq!(push.commits[0].author.as_ref().unwrap().to_string(), "email:jordi@softcatala.org");
    assert_eq!(push.at, at("2012-01-03T21:36:29Z"), "the head commit's time");
    assert!(!push.deleted);
    let Normalized::Observations { people, .. } = &normalized else { unreachable!() };
    let pusher = people.iter().find(|p| p.identity.to_string() == "gitlab:jsmith").unwrap();
    assert_eq!((pusher.name.as_deref(), pusher.email.as_deref()), (Some("John Smith"), Some("john@example.com")));

    let normalized = real("tag_push/tag_push.json");
    let Record::Push(tag) = the_record(&normalized) else { panic!("{normalized:?}") };
    assert_eq!(tag.git_ref, "refs/tags/v1.0.0");
    assert_eq!(tag.before, None, "the all-zero sha: the tag was created");
    assert_eq!(tag.after.as_deref(), Some("82b3d5ae55f7080f1e6022629cdb57bfae7cccc7"));
    assert_eq!(tag.commits.len(), 1);
}

#[test]
fn a_deleted_branch_and_a_sparse_push_still_normalise() {
    let body = json!({
        "object_kind": "push",
        "ref": "refs/heads/old-feature",
        "before": "95790bf891e76fee5e1747ab589903a6a1f80f22",
        "after": "0000000000000000000000000000000000000000",
        "project": {"web_url": "https://gitlab.com/acme/platform/checkout"},
        "commits": []
    });
    let normalized = normalized_body("Push Hook", body.to_string().as_bytes()).unwrap();
    let Record::Push(push) = the_record(&normalized) else { panic!("{normalized:?}") };
    assert_eq!(push.repo.as_str(), "gitlab.com/acme/platform/checkout", "subgroups are kept");
    assert!(push.deleted);
    assert_eq!((push.after.as_ref(), push.pusher.as_ref()), (None, None));
    assert_eq!(push.at, Some(received_at()), "no head commit: when it was received");

    // A web_url that names no project: path_with_namespace on its host.
    let body = json!({
        "object_kind": "tag_push",
        "ref": "refs/tags/v2",
        "before": "0000000000000000000000000000000000000000",
        "after": "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7",
        "project": {"web_url": "https://git.acme.example:8443/", "path_with_namespace": "platform/deployer"}
    });
    let normalized = normalized_body("Tag Push Hook", body.to_string().as_bytes()).unwrap();
    assert_eq!(the_record(&normalized).index().repo.unwrap().as_str(), "git.acme.example/platform/deployer");
}

#[test]
fn pipelines_and_jobs_are_ci_runs() {
    let normalized = real("pipeline/pipeline.json");
    let Record::CiRun(run) = the_record(&normalized) else { panic!("{normalized:?}") };
    assert_eq!(run.key, "gitlab:pipeline:192.168.64.1/gitlab-org/gitlab-test/31");
    assert_eq!((run.status.as_str(), run.conclusion.as_deref()), ("success", Some("success")));
    assert_eq!(run.event.as_deref(), Some("merge_request_event"));
    assert_eq!(run.git_ref.as_deref(), Some("master"));
    assert_eq!(run.finished_at, at("2016-08-12T15:26:29Z"));
    assert_eq!(identity(&run.actor).as_deref(), Some("gitlab:user1"));
    assert_eq!(run.url.as_deref(), Some("http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31"));

    // A newer job event: no `project`, only `repository`.
    let normalized = real("job/job.json");
    let Record::CiRun(job) = the_record(&normalized) else { panic!("{normalized:?}") };
    assert_eq!(job.key, "gitlab:job:gitlab.com/jsmithy2/release-tools-fake/3580121225");
    assert_eq!(job.name.as_deref(), Some("auto_deploy:start"));
    assert_eq!(job.environment.as_deref(), Some("production"));
    assert_eq!((job.status.as_str(), job.conclusion.as_deref()), ("success", Some("success")));
    assert_eq!((job.started_at, job.finished_at), (at("2023-01-10T13:50:05Z"), at("2023-01-10T13:50:54Z")));
    assert_eq!(identity(&job.actor).as_deref(), Some("gitlab:jsmithy2"));

    // The older `build` event, still running nothing.
    let normalized = real("job/build.json");
    let Record::CiRun(build) = the_record(&normalized) else { panic!("{normalized:?}") };
    assert_eq!(build.run_kind, "job");
    assert_eq!((build.status.as_str(), build.conclusion.as_deref()), ("created", None));
    assert_eq!(build.status_at, at("2021-02-23T02:41:37.886Z"), "a created job's status dates from its creation");
    assert_eq!(build.environment, None);

    let failed = edited("job/job.json", |body| body["build_status"] = json!("failed")).unwrap();
    let Record::CiRun(failed) = the_record(&failed) else { panic!() };
    assert_eq!(failed.conclusion.as_deref(), Some("failure"));
}

#[test]
fn incidents_open_and_resolve_and_other_issues_are_ignored() {
    let opened = documented("issue/incident_opened.json");
    let Record::Incident(incident) = the_record(&opened) else { panic!("{opened:?}") };
    assert_eq!(incident.key, "gitlab:gitlab.com/mike/diaspora#41");
    assert_eq!(incident.status(), IncidentStatus::Open);
    assert_eq!(incident.opened_at, at("2026-11-03T09:58:12Z"));
    assert_eq!(incident.severity.as_deref(), Some("critical"));
    assert_eq!((incident.resolved_by.as_ref(), incident.root_cause_sha.as_ref()), (None, None));

    let closed = documented("issue/incident_closed.json");
    let Record::Incident(incident) = the_record(&closed) else { panic!("{closed:?}") };
    assert_eq!(incident.status(), IncidentStatus::Resolved);
    assert_eq!(incident.resolved_at, at("2026-11-03T10:41:05Z"));
    assert_eq!(identity(&incident.resolved_by).as_deref(), Some("gitlab:fmulder"));
    assert_eq!(incident.root_cause_sha.as_deref(), Some("9f86d081884c7d65"));
    let Normalized::Observations { people, .. } = &closed else { unreachable!() };
    assert_eq!(people[0].email, None, "GitLab's `[REDACTED]` is no e-mail");

    let reason = ignored_reason(&documented("issue/issue_opened.json")).to_owned();
    assert!(reason.contains("issue #42 is of type `Issue`"), "{reason}");
}

#[test]
fn an_incident_is_recognised_by_the_older_issue_type_too() {
    let mut body: Value = serde_json::from_slice(&documented_payload("gitlab/issue/incident_opened.json")).unwrap();
    let attributes = body["object_attributes"].as_object_mut().unwrap();
    attributes.remove("type");
    attributes.insert("issue_type".to_owned(), json!("incident"));
    body["object_kind"] = json!("issue");
    let normalized = normalized_body("Issue Hook", &serde_json::to_vec(&body).unwrap()).unwrap();
    assert!(matches!(the_record(&normalized), Record::Incident(_)), "{normalized:?}");

    body["object_attributes"].as_object_mut().unwrap().remove("issue_type");
    let reason =
        ignored_reason(&normalized_body("Issue Hook", &serde_json::to_vec(&body).unwrap()).unwrap()).to_owned();
    assert!(reason.contains("does not say its type"), "{reason}");
}

#[test]
fn a_closing_edit_by_someone_else_does_not_name_the_resolver() {
    let mut body: Value = serde_json::from_slice(&documented_payload("gitlab/issue/incident_closed.json")).unwrap();
    body["object_attributes"]["action"] = json!("update");
    let normalized = normalized_body("Issue Hook", &serde_json::to_vec(&body).unwrap()).unwrap();
    let Record::Incident(incident) = the_record(&normalized) else { panic!("{normalized:?}") };
    assert_eq!(incident.resolved_at, at("2026-11-03T10:41:05Z"));
    assert_eq!(incident.resolved_by, None);
}

#[test]
fn releases_are_ignored_with_the_reason() {
    let reason = ignored_reason(&real("release/release.json")).to_owned();
    assert!(reason.starts_with("release: "), "{reason}");
    let wiki = json!({"object_kind": "wiki_page", "object_attributes": {"title": "Awesome"}});
    let reason = ignored_reason(&normalized_body("Wiki Page Hook", wiki.to_string().as_bytes()).unwrap()).to_owned();
    assert!(reason.contains("wiki_page"), "{reason}");
}

#[test]
fn bodies_that_are_not_gitlab_events_fail_with_the_reason() {
    let error = normalized_body("Push Hook", b"{\"object_kind\": \"push\",").unwrap_err();
    assert!(error.0.starts_with("the body is not valid JSON: "), "{error}");
    assert!(error.0.contains("line 1"), "serde's message says where: {error}");

    let error = normalized_body("Push Hook", b"{\"ref\": \"refs/heads/main\"}").unwrap_err();
    assert!(error.0.contains("object_kind, event_type and event_name are missing"), "{error}");

    let error = normalized_body("Push Hook", &real_payload("gitlab/merge_request/merge_request.json")).unwrap_err();
    assert!(error.0.contains("X-Gitlab-Event is `Push Hook` but the body's object_kind is `merge_request`"), "{error}");

    let error =
        edited("pipeline/pipeline.json", |body| body["object_attributes"]["id"] = json!("thirty-one")).unwrap_err();
    assert!(error.0.starts_with("the `pipeline` event is not in GitLab's format: invalid type"), "{error}");

    let error = edited("push/push.json", |body| body["commits"][1]["timestamp"] = json!("yesterday")).unwrap_err();
    assert!(error.0.starts_with("commits[1].timestamp `yesterday` is not a time"), "{error}");

    let error = edited("push/push.json", |body| {
        body["project"] = json!({"name": "Diaspora"});
        body.as_object_mut().unwrap().remove("repository");
    })
    .unwrap_err();
    assert!(error.0.contains("names no repository"), "{error}");
}

#[test]
fn a_header_that_pins_no_kind_lets_the_body_decide() {
    let body = real_payload("gitlab/push/push.json");
    for header in ["System Hook", ""] {
        let normalized = normalized_body(header, &body).unwrap();
        assert!(matches!(the_record(&normalized), Record::Push(_)), "{header}");
    }
}

#[test]
fn the_token_is_checked_whole() {
    assert_eq!(gitlab::verify(b"s3cret-token", Some("s3cret-token")), Ok(()));
    assert_eq!(gitlab::verify(b"s3cret-token", None), Err(SignatureError::Missing { header: TOKEN_HEADER }));
    assert_eq!(gitlab::verify(b"s3cret-token", Some("")), Err(SignatureError::Missing { header: TOKEN_HEADER }));
    for wrong in ["s3cret-tokem", "s3cret-token ", "s3cret", "S3CRET-TOKEN"] {
        assert_eq!(
            gitlab::verify(b"s3cret-token", Some(wrong)),
            Err(SignatureError::Mismatch { header: TOKEN_HEADER })
        );
    }
    assert_eq!(
        gitlab::verify(b"", Some("")),
        Err(SignatureError::Missing { header: TOKEN_HEADER }),
        "an empty token never opens the door"
    );
    assert_eq!(TOKEN_HEADER, "X-Gitlab-Token");
    assert_eq!(gitlab::EVENT_HEADER, "X-Gitlab-Event");
}

#[test]
fn the_delivery_id_prefers_the_idempotency_key() {
    assert_eq!((IDEMPOTENCY_HEADER, EVENT_UUID_HEADER), ("Idempotency-Key", "X-Gitlab-Event-UUID"));
    let key = "6f1e0f4e-0d2c-4c1c-9e55-7d1f4a2b9c01";
    let uuid = "13792a34-cac6-4fda-95a8-c58e00a3954e";
    assert_eq!(gitlab::delivery_id(Some(key), Some(uuid)).as_deref(), Some(key));
    assert_eq!(gitlab::delivery_id(None, Some(uuid)).as_deref(), Some(uuid));
    assert_eq!(gitlab::delivery_id(Some("  "), Some(uuid)).as_deref(), Some(uuid));
    assert_eq!(gitlab::delivery_id(None, None), None);
}
