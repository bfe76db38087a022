//! GitLab webhooks: the `X-Gitlab-Token` check (DESIGN §8), the delivery id,
//! and the normaliser that turns GitLab's events into records.
//!
//! GitLab names an event in the body's `object_kind` (bodies without one in
//! `event_type` or `event_name`); the `X-Gitlab-Event` header only cross-checks
//! it. What each event becomes:
//!
//! | `object_kind` | record |
//! |---|---|
//! | `push`, `tag_push` | a [`Push`] |
//! | `merge_request` | a [`PullRequest`] snapshot; an approval adds a [`Review`] |
//! | `note` on a merge request | the merge request's snapshot and a `commented` [`Review`] |
//! | `pipeline` | a [`CiRun`] of kind `pipeline` |
//! | `build` (GitLab's name for a job event), `job` | a [`CiRun`] of kind `job` |
//! | `deployment` | a [`Deployment`] |
//! | `issue`, `work_item` of type incident | an [`Incident`] |
//!
//! Everything else (releases, other notes and issues, wiki pages, ...) is
//! ignored with the reason.
//!
//! GitLab's `user` is whoever triggered the hook, not the author of what it
//! is about, so it is recorded only where it is the person the record means
//! (the opener of a merge request on `open`, the merger on `merge`, ...).
//! Each event yields a partial record under the same key; `Record::merge`
//! folds them together.

use chrono::{DateTime, NaiveDateTime, Utc};
use paved_domain::{
    CiRun, Deployment, DeploymentStatus, Identity, IdentityError, Incident, PullRequest, Push, PushedCommit, Record,
    RepoId, Review, Source, root_cause_in,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::contract::{
    IngestSettings, NormalizeError, Normalized, Observation, PersonHint, RawInput, ServiceHint, parse_json,
};
use crate::signature::{SignatureError, secrets_equal};

/// The header naming the event (`Push Hook`, `Merge Request Hook`, ...).
pub const EVENT_HEADER: &str = "X-Gitlab-Event";
/// The header carrying the webhook's secret token, as configured in GitLab.
pub const TOKEN_HEADER: &str = "X-Gitlab-Token";
/// The header newer GitLab versions send with an id that stays the same
/// when a delivery is retried.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// The header every GitLab version sends with the event's id.
pub const EVENT_UUID_HEADER: &str = "X-Gitlab-Event-UUID";

/// Checks the `X-Gitlab-Token` header against the configured token, in
/// constant time, before anything parses the body. GitLab sends the token as
/// configured (it does not sign the body).
///
/// # Errors
/// [`SignatureError::Missing`] when the header is absent or empty (an empty
/// token never matches, even an empty configured one),
/// [`SignatureError::Mismatch`] when it differs from `configured_token`.
pub fn verify(configured_token: &[u8], token_header: Option<&str>) -> Result<(), SignatureError> {
    let token =
        token_header.filter(|token| !token.is_empty()).ok_or(SignatureError::Missing { header: TOKEN_HEADER })?;
    if secrets_equal(configured_token, token.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch { header: TOKEN_HEADER })
    }
}

/// The delivery id to store a raw event under: the `Idempotency-Key`, which
/// stays the same when GitLab retries a delivery, else the
/// `X-Gitlab-Event-UUID` older versions send alone. `None` when neither is
/// present (or both are blank).
pub fn delivery_id(idempotency_key: Option<&str>, event_uuid: Option<&str>) -> Option<String> {
    [idempotency_key, event_uuid].into_iter().flatten().map(str::trim).find(|id| !id.is_empty()).map(str::to_owned)
}

/// Normalises a GitLab webhook body (see the module docs for what each
/// event becomes).
///
/// # Errors
/// [`NormalizeError`] when the body is not JSON, names no event, contradicts
/// the `X-Gitlab-Event` header, or lacks a field its record needs (the
/// repository, a merge request's `iid`, a deployment's `deployment_id`, ...),
/// or has a time in a format GitLab does not write.
pub fn normalize(input: &RawInput<'_>, _settings: &IngestSettings) -> Result<Normalized, NormalizeError> {
    let mut body = parse_json(input.body)?;
    trim_keys(&mut body);
    let kind = event_kind(&body)?;
    check_header(input.event_type, &kind)?;
    let received_at = input.received_at;
    match kind.as_str() {
        "push" | "tag_push" => push(parse(&kind, body)?, received_at),
        "merge_request" => merge_request(parse(&kind, body)?, received_at),
        "note" => note(parse(&kind, body)?, received_at),
        "pipeline" => pipeline(parse(&kind, body)?),
        "build" | "job" => job(parse(&kind, body)?),
        "deployment" => deployment(parse(&kind, body)?),
        "issue" | "work_item" => issue(parse(&kind, body)?, &kind),
        "release" => Ok(Normalized::Ignored(
            "release: a GitLab release names a tag, not a deployment; deployments come from Deployment Hook events"
                .to_owned(),
        )),
        other => Ok(Normalized::Ignored(format!("{other}: pavedroad records nothing from GitLab `{other}` events"))),
    }
}

/// The event's kind: `object_kind`, else (bodies that have none) `event_type`
/// or `event_name`; confidential notes and issues are notes and issues.
fn event_kind(body: &Value) -> Result<String, NormalizeError> {
    if !body.is_object() {
        return Err(NormalizeError::new("the body is not a JSON object, so it is not a GitLab webhook event"));
    }
    let kind = ["object_kind", "event_type", "event_name"]
        .into_iter()
        .find_map(|field| body.get(field).and_then(Value::as_str).map(str::trim).filter(|kind| !kind.is_empty()))
        .ok_or_else(|| {
            NormalizeError::new("the body names no event: object_kind, event_type and event_name are missing")
        })?;
    Ok(kind.strip_prefix("confidential_").unwrap_or(kind).to_ascii_lowercase())
}

/// Refuses a body whose kind is not one the `X-Gitlab-Event` header allows.
/// Headers that do not pin a kind (`System Hook`, a header pavedroad does not
/// know, none at all) allow any.
fn check_header(header: &str, kind: &str) -> Result<(), NormalizeError> {
    let header = header.trim();
    let allowed: &[&str] = match header {
        "Push Hook" => &["push"],
        "Tag Push Hook" => &["tag_push"],
        "Merge Request Hook" => &["merge_request"],
        "Note Hook" | "Confidential Note Hook" => &["note"],
        "Pipeline Hook" => &["pipeline"],
        "Job Hook" | "Build Hook" => &["build", "job"],
        "Deployment Hook" => &["deployment"],
        "Issue Hook" | "Confidential Issue Hook" | "Work Item Hook" => &["issue", "work_item"],
        "Release Hook" => &["release"],
        _ => return Ok(()),
    };
    if allowed.contains(&kind) {
        Ok(())
    } else {
        Err(NormalizeError::new(format!(
            "{EVENT_HEADER} is `{header}` but the body's object_kind is `{kind}`; GitLab never sends the two together"
        )))
    }
}

/// GitLab's own group merge request sample, which client libraries keep as
/// a real payload, has keys with a trailing space (`"iid "`); trimming every
/// key lets such bodies parse like the others.
fn trim_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.keys().any(|key| key.trim() != key) {
                let entries = std::mem::take(map);
                *map = entries.into_iter().map(|(key, value)| (key.trim().to_owned(), value)).collect();
            }
            map.values_mut().for_each(trim_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(trim_keys),
        _ => {}
    }
}

fn parse<T: DeserializeOwned>(kind: &str, body: Value) -> Result<T, NormalizeError> {
    serde_json::from_value(body)
        .map_err(|error| NormalizeError::new(format!("the `{kind}` event is not in GitLab's format: {error}")))
}

// ---------------------------------------------------------------------------
// What several events share.

#[derive(Debug, Deserialize)]
struct Project {
    web_url: Option<String>,
    git_http_url: Option<String>,
    path_with_namespace: Option<String>,
}

/// The older `repository` object: job events from before GitLab added
/// `project` to them have only this.
#[derive(Debug, Deserialize)]
struct Repository {
    homepage: Option<String>,
    git_http_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct User {
    username: Option<String>,
    name: Option<String>,
    email: Option<String>,
}

/// The repository an event is about, `host/group/.../name`: from the
/// project's `web_url` (or `git_http_url`, or the `repository` object's), else
/// the project's `path_with_namespace` on the host of one of those URLs.
fn repo_of(project: Option<&Project>, repository: Option<&Repository>) -> Result<RepoId, NormalizeError> {
    let urls: Vec<(&str, &str)> = [
        ("project.web_url", project.and_then(|p| text(&p.web_url))),
        ("project.git_http_url", project.and_then(|p| text(&p.git_http_url))),
        ("repository.homepage", repository.and_then(|r| text(&r.homepage))),
        ("repository.git_http_url", repository.and_then(|r| text(&r.git_http_url))),
    ]
    .into_iter()
    .filter_map(|(field, url)| Some((field, url?)))
    .collect();
    let mut first_error = None;
    for (field, url) in &urls {
        match RepoId::parse_url(url) {
            Ok(repo) => return Ok(repo),
            Err(error) => {
                first_error.get_or_insert_with(|| format!("{field} `{url}` does not name a repository: {error}"));
            }
        }
    }
    if let Some(path) = project.and_then(|p| text(&p.path_with_namespace))
        && let Some(host) = urls.iter().find_map(|(_, url)| host_of(url))
        && let Ok(repo) = RepoId::parse_url(&format!("{host}/{path}"))
    {
        return Ok(repo);
    }
    Err(NormalizeError::new(first_error.unwrap_or_else(|| {
        "the event names no repository: project.web_url and project.git_http_url are missing".to_owned()
    })))
}

/// The host of `scheme://user@host:port/...`.
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next()?;
    let host_and_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    host_and_port.split(':').next().filter(|host| !host.is_empty())
}

/// The text trimmed, `None` when absent or blank. GitLab's samples carry
/// stray spaces (`"state ": "merged "`).
fn text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

fn owned(value: &Option<String>) -> Option<String> {
    text(value).map(str::to_owned)
}

fn required<T>(field: &str, value: Option<T>) -> Result<T, NormalizeError> {
    value.ok_or_else(|| NormalizeError::new(format!("{field} is missing")))
}

/// A time as GitLab writes it: RFC 3339 (`2013-12-03T17:23:34Z`),
/// `2016-08-12 15:23:28 UTC` or `2021-04-28 21:50:00 +0200`. Absent or blank
/// is `None`; any other text is an error, so that a format pavedroad does not
/// know fails visibly (and `paved events rebuild` recovers it once known)
/// instead of silently losing the time.
fn time(field: &str, value: &Option<String>) -> Result<Option<DateTime<Utc>>, NormalizeError> {
    let Some(value) = text(value) else { return Ok(None) };
    parse_time(value).map(Some).ok_or_else(|| {
        NormalizeError::new(format!(
            "{field} `{value}` is not a time as GitLab writes them (`2016-08-12T15:23:28Z`, `2016-08-12 15:23:28 UTC` or `2016-08-12 17:23:28 +0200`)"
        ))
    })
}

fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Some(at.with_timezone(&Utc));
    }
    if let Some(utc) = value.strip_suffix(" UTC") {
        return NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M:%S%.f").ok().map(|at| at.and_utc());
    }
    DateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S%.f %z").ok().map(|at| at.with_timezone(&Utc))
}

/// A commit id lower-cased, or `None` for none: absent, blank, or GitLab's
/// all-zero id (the `before` of a created ref, the `after` of a deleted one).
fn commit_id(value: &Option<String>) -> Option<String> {
    text(value).filter(|id| id.bytes().any(|b| b != b'0')).map(str::to_ascii_lowercase)
}

fn identity(
    field: &str,
    value: Option<&str>,
    make: fn(&str) -> Result<Identity, IdentityError>,
) -> Result<Option<Identity>, NormalizeError> {
    let Some(value) = value else { return Ok(None) };
    make(value).map(Some).map_err(|error| NormalizeError::new(format!("{field}: {error}")))
}

/// The person a GitLab user object names, by username, with the name and
/// e-mail GitLab shows (GitLab writes `[REDACTED]` for an e-mail that is not
/// public; that is dropped). `None` when there is no user or it has no
/// username (job events of some versions).
fn person(username_field: &str, user: Option<&User>) -> Result<Option<PersonHint>, NormalizeError> {
    let Some(user) = user else { return Ok(None) };
    let Some(identity) = identity(username_field, text(&user.username), Identity::gitlab)? else { return Ok(None) };
    Ok(Some(PersonHint {
        identity,
        name: owned(&user.name),
        email: text(&user.email).filter(|email| email.contains('@')).map(str::to_owned),
        bot: false,
    }))
}

fn who(hint: &Option<PersonHint>) -> Option<Identity> {
    hint.as_ref().map(|hint| hint.identity.clone())
}

fn observation(record: Record, repo: &RepoId) -> Observation {
    Observation { record, service: ServiceHint { repo: Some(repo.clone()), ..ServiceHint::default() } }
}

/// The observations with the people they name: each hint once, and only for
/// identities the records name.
fn observed(observations: Vec<Observation>, hints: Vec<Option<PersonHint>>) -> Normalized {
    let named: Vec<&Identity> = observations.iter().flat_map(|o| o.record.identities()).collect();
    let mut people: Vec<PersonHint> = Vec::new();
    for hint in hints.into_iter().flatten() {
        if named.contains(&&hint.identity) && !people.iter().any(|known| known.identity == hint.identity) {
            people.push(hint);
        }
    }
    Normalized::Observations { observations, people }
}

// ---------------------------------------------------------------------------
// Push Hook, Tag Push Hook

#[derive(Debug, Deserialize)]
struct PushEvent {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    before: Option<String>,
    after: Option<String>,
    user_username: Option<String>,
    user_name: Option<String>,
    user_email: Option<String>,
    project: Option<Project>,
    repository: Option<Repository>,
    commits: Option<Vec<PushCommit>>,
}

#[derive(Debug, Deserialize)]
struct PushCommit {
    id: Option<String>,
    timestamp: Option<String>,
    author: Option<CommitAuthor>,
}

#[derive(Debug, Deserialize)]
struct CommitAuthor {
    name: Option<String>,
    email: Option<String>,
}

fn push(event: PushEvent, received_at: DateTime<Utc>) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.project.as_ref(), event.repository.as_ref())?;
    let git_ref = required("ref", text(&event.git_ref))?;
    let before = required("before", text(&event.before))?;
    let after = required("after", text(&event.after))?;
    let pusher_user = User { username: event.user_username, name: event.user_name, email: event.user_email };
    let pusher = person("user_username", Some(&pusher_user))?;
    let mut hints = vec![pusher.clone()];
    let mut commits = Vec::new();
    for (index, commit) in event.commits.unwrap_or_default().into_iter().enumerate() {
        let field = |name: &str| format!("commits[{index}].{name}");
        let sha = required(&field("id"), commit_id(&commit.id))?;
        let author = commit.author.unwrap_or(CommitAuthor { name: None, email: None });
        let author_email = owned(&author.email);
        let author_identity = identity(&field("author.email"), author_email.as_deref(), Identity::email)?;
        if let Some(identity) = &author_identity {
            hints.push(Some(PersonHint {
                identity: identity.clone(),
                name: owned(&author.name),
                email: author_email.clone(),
                bot: false,
            }));
        }
        let at = time(&field("timestamp"), &commit.timestamp)?;
        commits.push(PushedCommit { sha, author: author_identity, author_email, at });
    }
    let after_commit = commit_id(&event.after);
    let head_commit_at = commits.iter().find(|commit| Some(&commit.sha) == after_commit.as_ref()).and_then(|c| c.at);
    let record = Push {
        key: format!("gitlab:{repo}:{git_ref}:{before}..{after}"),
        source: Source::GitLab.as_str().to_owned(),
        repo: repo.clone(),
        git_ref: git_ref.to_owned(),
        before: commit_id(&event.before),
        deleted: after_commit.is_none(),
        after: after_commit,
        pusher: who(&pusher),
        commits,
        // GitLab's push hooks do not say whether a push was forced.
        forced: false,
        at: head_commit_at.or(Some(received_at)),
    };
    Ok(observed(vec![observation(Record::Push(record), &repo)], hints))
}

// ---------------------------------------------------------------------------
// Merge Request Hook, Note Hook

#[derive(Debug, Deserialize)]
struct MergeRequestEvent {
    user: Option<User>,
    project: Option<Project>,
    repository: Option<Repository>,
    object_attributes: Option<MergeRequestAttributes>,
}

/// A merge request as a merge request hook's `object_attributes` or a note
/// hook's `merge_request` describes it.
#[derive(Debug, Deserialize)]
struct MergeRequestAttributes {
    iid: Option<u64>,
    title: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    merged_at: Option<String>,
    closed_at: Option<String>,
    state: Option<String>,
    action: Option<String>,
    merge_commit_sha: Option<String>,
    target_branch: Option<String>,
    url: Option<String>,
    last_commit: Option<LastCommit>,
}

#[derive(Debug, Deserialize)]
struct LastCommit {
    id: Option<String>,
}

/// What the merge request itself says, with no person: its hooks name only
/// who triggered them, and its author only by numeric id.
fn pull_request(
    repo: RepoId,
    attributes: &MergeRequestAttributes,
    object: &str,
) -> Result<PullRequest, NormalizeError> {
    let at = |field: &str, value: &Option<String>| time(&format!("{object}.{field}"), value);
    let iid = required(&format!("{object}.iid"), attributes.iid)?;
    let mut pr = PullRequest::new(Source::GitLab.as_str(), repo, iid);
    pr.title = owned(&attributes.title);
    pr.opened_at = at("created_at", &attributes.created_at)?;
    pr.updated_at = at("updated_at", &attributes.updated_at)?;
    match text(&attributes.state) {
        Some("merged") => {
            // Most GitLab versions send no merge time. On the `merge` event
            // its update time is the merge's; on a later event it is an upper
            // bound, which merging corrects (the earliest merge time wins).
            pr.merged_at = at("merged_at", &attributes.merged_at)?.or(pr.updated_at);
            pr.closed_at = at("closed_at", &attributes.closed_at)?.or(pr.merged_at);
        }
        // A closed snapshot must carry a close time: the newer snapshot
        // decides whether a pull request is closed.
        Some("closed") => pr.closed_at = at("closed_at", &attributes.closed_at)?.or(pr.updated_at),
        _ => {}
    }
    pr.merge_commit_sha = commit_id(&attributes.merge_commit_sha);
    pr.head_sha = attributes.last_commit.as_ref().and_then(|commit| commit_id(&commit.id));
    pr.base_ref = owned(&attributes.target_branch);
    pr.url = owned(&attributes.url);
    Ok(pr)
}

fn merge_request(event: MergeRequestEvent, received_at: DateTime<Utc>) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.project.as_ref(), event.repository.as_ref())?;
    let attributes = required("object_attributes", event.object_attributes)?;
    let mut pr = pull_request(repo.clone(), &attributes, "object_attributes")?;
    let user = person("user.username", event.user.as_ref())?;
    match text(&attributes.action) {
        Some("open") => pr.author = who(&user),
        Some("merge") => pr.merged_by = who(&user),
        // `approval` is one person's approval, `approved` the one that
        // completed the required approvals; both are that user's review.
        Some("approved" | "approval") => {
            if let Some(reviewer) = who(&user) {
                let at = pr.updated_at.unwrap_or(received_at);
                pr.reviews.push(Review { reviewer, at, state: "approved".to_owned() });
            }
        }
        _ => {}
    }
    Ok(observed(vec![observation(Record::PullRequest(pr), &repo)], vec![user]))
}

#[derive(Debug, Deserialize)]
struct NoteEvent {
    user: Option<User>,
    project: Option<Project>,
    repository: Option<Repository>,
    object_attributes: Option<NoteAttributes>,
    merge_request: Option<MergeRequestAttributes>,
}

#[derive(Debug, Deserialize)]
struct NoteAttributes {
    noteable_type: Option<String>,
    created_at: Option<String>,
    system: Option<bool>,
    url: Option<String>,
}

fn note(event: NoteEvent, received_at: DateTime<Utc>) -> Result<Normalized, NormalizeError> {
    let attributes = required("object_attributes", event.object_attributes)?;
    match text(&attributes.noteable_type) {
        Some("MergeRequest") => {}
        Some(other) => {
            return Ok(Normalized::Ignored(format!(
                "note on a {other}: pavedroad records comments on merge requests only"
            )));
        }
        None => {
            return Ok(Normalized::Ignored(
                "note: object_attributes.noteable_type is missing, so the comment is on nothing pavedroad records"
                    .to_owned(),
            ));
        }
    }
    let repo = repo_of(event.project.as_ref(), event.repository.as_ref())?;
    let merge_request = required("merge_request", event.merge_request)?;
    let mut pr = pull_request(repo.clone(), &merge_request, "merge_request")?;
    // A note's `merge_request` has no `url`; the note's own is the merge
    // request's page with `#note_<id>` after it.
    if pr.url.is_none() {
        pr.url = text(&attributes.url).map(|url| url.split_once('#').map_or(url, |(page, _)| page).to_owned());
    }
    let commenter = person("user.username", event.user.as_ref())?;
    // GitLab's own notes ("added 2 commits") are not somebody reviewing.
    if attributes.system != Some(true)
        && let Some(reviewer) = who(&commenter)
    {
        let at = time("object_attributes.created_at", &attributes.created_at)?.unwrap_or(received_at);
        pr.reviews.push(Review { reviewer, at, state: "commented".to_owned() });
    }
    Ok(observed(vec![observation(Record::PullRequest(pr), &repo)], vec![commenter]))
}

// ---------------------------------------------------------------------------
// Pipeline Hook, Job Hook

#[derive(Debug, Deserialize)]
struct PipelineEvent {
    user: Option<User>,
    project: Option<Project>,
    object_attributes: Option<PipelineAttributes>,
}

#[derive(Debug, Deserialize)]
struct PipelineAttributes {
    id: Option<u64>,
    name: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    sha: Option<String>,
    status: Option<String>,
    source: Option<String>,
    created_at: Option<String>,
    started_at: Option<String>,
    finished_at: Option<String>,
    url: Option<String>,
}

/// A CI run's times as GitLab reports them.
struct CiTimes {
    created_at: Option<DateTime<Utc>>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

/// GitLab's final statuses in the conclusions the records use (GitHub's
/// words); `None` while the run is not finished.
fn ci_conclusion(status: &str) -> Option<&'static str> {
    Some(match status {
        "success" => "success",
        "failed" => "failure",
        "canceled" | "cancelled" => "cancelled",
        "skipped" => "skipped",
        _ => return None,
    })
}

/// A CI run with its identity, status and times; the caller adds the rest.
fn ci_run(run_kind: &str, repo: &RepoId, id: u64, status: &str, times: CiTimes) -> CiRun {
    let conclusion = ci_conclusion(status);
    // GitLab sends no time for a status change; the time of the stage the
    // status belongs to orders a late "running" behind the "success" that
    // followed it.
    let status_at = if conclusion.is_some() {
        times.finished_at.or(times.started_at).or(times.created_at)
    } else if status == "running" {
        times.started_at.or(times.created_at)
    } else {
        times.created_at
    };
    CiRun {
        key: format!("gitlab:{run_kind}:{repo}/{id}"),
        source: Source::GitLab.as_str().to_owned(),
        run_kind: run_kind.to_owned(),
        repo: repo.clone(),
        sha: None,
        git_ref: None,
        name: None,
        event: None,
        status: status.to_owned(),
        conclusion: conclusion.map(str::to_owned),
        actor: None,
        triggering_actor: None,
        environment: None,
        status_at,
        started_at: times.started_at,
        finished_at: times.finished_at,
        url: None,
    }
}

fn pipeline(event: PipelineEvent) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.project.as_ref(), None)?;
    let attributes = required("object_attributes", event.object_attributes)?;
    let id = required("object_attributes.id", attributes.id)?;
    let status = required("object_attributes.status", text(&attributes.status))?;
    let times = CiTimes {
        created_at: time("object_attributes.created_at", &attributes.created_at)?,
        started_at: time("object_attributes.started_at", &attributes.started_at)?,
        finished_at: time("object_attributes.finished_at", &attributes.finished_at)?,
    };
    let user = person("user.username", event.user.as_ref())?;
    let mut run = ci_run("pipeline", &repo, id, status, times);
    run.sha = commit_id(&attributes.sha);
    run.git_ref = owned(&attributes.git_ref);
    run.name = owned(&attributes.name);
    run.event = owned(&attributes.source);
    run.actor = who(&user);
    // Versions before the `url` field have the page at GitLab's fixed path.
    run.url = owned(&attributes.url).or_else(|| {
        let web_url = event.project.as_ref().and_then(|p| text(&p.web_url))?;
        Some(format!("{}/-/pipelines/{id}", web_url.trim_end_matches('/')))
    });
    Ok(observed(vec![observation(Record::CiRun(run), &repo)], vec![user]))
}

/// A job event; GitLab's `object_kind` for it is `build`.
#[derive(Debug, Deserialize)]
struct JobEvent {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    sha: Option<String>,
    build_id: Option<u64>,
    build_name: Option<String>,
    build_status: Option<String>,
    build_created_at: Option<String>,
    build_created_at_iso: Option<String>,
    build_started_at: Option<String>,
    build_started_at_iso: Option<String>,
    build_finished_at: Option<String>,
    build_finished_at_iso: Option<String>,
    user: Option<User>,
    project: Option<Project>,
    repository: Option<Repository>,
    environment: Option<JobEnvironment>,
}

#[derive(Debug, Deserialize)]
struct JobEnvironment {
    name: Option<String>,
}

/// A job time: the plain field, else its `_iso` twin (newer versions send
/// both).
fn job_time(
    field: &str,
    plain: &Option<String>,
    iso: &Option<String>,
) -> Result<Option<DateTime<Utc>>, NormalizeError> {
    match time(field, plain)? {
        Some(at) => Ok(Some(at)),
        None => time(&format!("{field}_iso"), iso),
    }
}

fn job(event: JobEvent) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.project.as_ref(), event.repository.as_ref())?;
    let id = required("build_id", event.build_id)?;
    let status = required("build_status", text(&event.build_status))?;
    let times = CiTimes {
        created_at: job_time("build_created_at", &event.build_created_at, &event.build_created_at_iso)?,
        started_at: job_time("build_started_at", &event.build_started_at, &event.build_started_at_iso)?,
        finished_at: job_time("build_finished_at", &event.build_finished_at, &event.build_finished_at_iso)?,
    };
    let user = person("user.username", event.user.as_ref())?;
    let mut run = ci_run("job", &repo, id, status, times);
    run.sha = commit_id(&event.sha);
    run.git_ref = owned(&event.git_ref);
    run.name = owned(&event.build_name);
    run.actor = who(&user);
    run.environment = event.environment.as_ref().and_then(|environment| owned(&environment.name));
    // Job events carry no link; the job's page is at GitLab's fixed path.
    let web_url = event
        .project
        .as_ref()
        .and_then(|p| text(&p.web_url))
        .or_else(|| event.repository.as_ref().and_then(|r| text(&r.homepage)));
    run.url = web_url.map(|web_url| format!("{}/-/jobs/{id}", web_url.trim_end_matches('/')));
    Ok(observed(vec![observation(Record::CiRun(run), &repo)], vec![user]))
}

// ---------------------------------------------------------------------------
// Deployment Hook

#[derive(Debug, Deserialize)]
struct DeploymentEvent {
    status: Option<String>,
    status_changed_at: Option<String>,
    deployment_id: Option<u64>,
    deployable_url: Option<String>,
    environment: Option<String>,
    environment_tier: Option<String>,
    project: Option<Project>,
    short_sha: Option<String>,
    commit_url: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    user: Option<User>,
}

/// The deployed commit: the last segment of `commit_url` (the full sha),
/// else `short_sha`.
fn deployed_sha(event: &DeploymentEvent) -> Option<String> {
    let from_url = text(&event.commit_url).and_then(|url| url.trim_end_matches('/').rsplit('/').next());
    [from_url, text(&event.short_sha)]
        .into_iter()
        .flatten()
        .find(|sha| (7..=64).contains(&sha.len()) && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase)
}

fn deployment(event: DeploymentEvent) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.project.as_ref(), None)?;
    let id = required("deployment_id", event.deployment_id)?;
    let environment = required("environment", text(&event.environment))?;
    let status_text = required("status", text(&event.status))?;
    let status = DeploymentStatus::parse(status_text).ok_or_else(|| {
        NormalizeError::new(format!(
            "status `{status_text}` is not a GitLab deployment status (created, running, success, failed, canceled)"
        ))
    })?;
    let status_at = time("status_changed_at", &event.status_changed_at)?;
    let creator = person("user.username", event.user.as_ref())?;
    let mut record = Deployment::new(format!("gitlab:{repo}/{id}"), Source::GitLab.as_str(), environment);
    record.repo = Some(repo.clone());
    record.production_by_source = text(&event.environment_tier).map(|tier| tier.eq_ignore_ascii_case("production"));
    record.sha = deployed_sha(&event);
    record.git_ref = owned(&event.git_ref);
    record.status = status;
    record.status_at = status_at;
    if status.is_final() {
        record.finished_at = status_at;
    } else if status == DeploymentStatus::InProgress {
        record.started_at = status_at;
    } else if status == DeploymentStatus::Pending {
        // GitLab's `created`: the status changed when it was created.
        record.created_at = status_at;
    }
    // GitLab's deployment `user` is whoever ran the deploying job: the
    // creator, not necessarily the person who caused the deployment.
    record.creator = who(&creator);
    record.url = owned(&event.deployable_url);
    Ok(observed(vec![observation(Record::Deployment(record), &repo)], vec![creator]))
}

// ---------------------------------------------------------------------------
// Issue Hook (issues and work items)

#[derive(Debug, Deserialize)]
struct IssueEvent {
    user: Option<User>,
    project: Option<Project>,
    repository: Option<Repository>,
    object_attributes: Option<IssueAttributes>,
}

#[derive(Debug, Deserialize)]
struct IssueAttributes {
    iid: Option<u64>,
    title: Option<String>,
    description: Option<String>,
    created_at: Option<String>,
    updated_at: Option<String>,
    closed_at: Option<String>,
    state: Option<String>,
    action: Option<String>,
    severity: Option<String>,
    /// The work item type (`Issue`, `Incident`, `Task`, ...), from GitLab
    /// 17.2.
    #[serde(rename = "type")]
    work_item_type: Option<String>,
    /// The older spelling of the type (`incident`).
    issue_type: Option<String>,
    url: Option<String>,
}

fn issue(event: IssueEvent, kind: &str) -> Result<Normalized, NormalizeError> {
    let attributes = required("object_attributes", event.object_attributes)?;
    let iid = required("object_attributes.iid", attributes.iid)?;
    let item_type = text(&attributes.work_item_type).or(text(&attributes.issue_type));
    match item_type {
        Some(item_type) if item_type.eq_ignore_ascii_case("incident") => {}
        Some(item_type) => {
            return Ok(Normalized::Ignored(format!(
                "{kind} #{iid} is of type `{item_type}`; pavedroad records GitLab incidents only"
            )));
        }
        None => {
            return Ok(Normalized::Ignored(format!(
                "{kind} #{iid} does not say its type (object_attributes.type, sent from GitLab 17.2, or issue_type); pavedroad records GitLab incidents only"
            )));
        }
    }
    let repo = repo_of(event.project.as_ref(), event.repository.as_ref())?;
    let mut incident = Incident::new(format!("gitlab:{repo}#{iid}"), Source::GitLab.as_str());
    incident.title = owned(&attributes.title);
    // GitLab writes `unknown` for an incident nobody gave a severity.
    incident.severity = text(&attributes.severity).filter(|severity| *severity != "unknown").map(str::to_owned);
    incident.opened_at = time("object_attributes.created_at", &attributes.created_at)?;
    let words = [text(&attributes.title), text(&attributes.description)];
    incident.root_cause_sha = root_cause_in(&words.into_iter().flatten().collect::<Vec<_>>().join("\n"));
    incident.url = owned(&attributes.url);
    let user = person("user.username", event.user.as_ref())?;
    incident.updated_at = time("object_attributes.updated_at", &attributes.updated_at)?;
    if text(&attributes.action) == Some("reopen") {
        incident.reopened_at = incident.updated_at;
    }
    if text(&attributes.state) == Some("closed") {
        let closed_at = time("object_attributes.closed_at", &attributes.closed_at)?;
        incident.resolved_at = match closed_at {
            Some(at) => Some(at),
            None => time("object_attributes.updated_at", &attributes.updated_at)?,
        };
        // The user closed it only if this event is the closing one; a later
        // edit of a closed incident is by whoever edited it.
        if matches!(text(&attributes.action), None | Some("close")) {
            incident.resolved_by = who(&user);
        }
    }
    Ok(observed(vec![observation(Record::Incident(incident), &repo)], vec![user]))
}
