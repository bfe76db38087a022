//! GitHub webhooks: checking a delivery's `X-Hub-Signature-256` on the raw
//! bytes ([`verify`]), then normalising the events pavedroad uses
//! ([`normalize`]): pushes, pull requests and their reviews, deployments and
//! their statuses, workflow runs, workflow jobs and check runs, and issues
//! labelled as incidents. A `deployment_protection_rule` delivery records
//! nothing: it is a question, read by [`protection_rule_request`] for the
//! server to answer with the deploy policy.
//!
//! Each event becomes a *partial* record keyed so that later events about
//! the same thing merge into it (a `deployment_status` into its
//! `deployment`, a `pull_request_review` into its pull request): a field is
//! set only when the event says it. GitHub's JSON stays in this module; its
//! serde types are private.

use chrono::{DateTime, Utc};
use paved_domain::{
    CiRun, Deployment, DeploymentStatus, DeploymentTrigger, Identity, Incident, PullRequest, Push, PushedCommit,
    Record, RepoId, Review, Source, root_cause_in,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::contract::{IngestSettings, NormalizeError, Normalized, Observation, PersonHint, RawInput, ServiceHint};
use crate::signature::{SignatureError, hmac_sha256_matches};

/// The header naming the event type (`push`, `deployment_status`, ...).
pub const EVENT_HEADER: &str = "X-GitHub-Event";
/// The header carrying the delivery's GUID, unique per delivery (a
/// redelivery from GitHub's UI keeps it).
pub const DELIVERY_HEADER: &str = "X-GitHub-Delivery";
/// The header carrying `sha256=` and the hex HMAC-SHA256 of the body.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";
/// The event GitHub sends the GitHub App of a custom deployment protection
/// rule when a deployment to an environment it guards waits for its answer.
pub const PROTECTION_RULE_EVENT: &str = "deployment_protection_rule";

/// Checks that `body` was signed with `secret`: `signature_header` is the
/// value of [`SIGNATURE_HEADER`], `sha256=` followed by the hex HMAC-SHA256
/// of the raw body. Compared in constant time; call it before parsing.
///
/// # Errors
/// [`SignatureError::Missing`] without the header,
/// [`SignatureError::Malformed`] when it is not `sha256=` and 64 hex digits,
/// [`SignatureError::Mismatch`] when it was made with another secret or
/// over other bytes.
pub fn verify(secret: &[u8], body: &[u8], signature_header: Option<&str>) -> Result<(), SignatureError> {
    let header = signature_header.ok_or(SignatureError::Missing { header: SIGNATURE_HEADER })?;
    let malformed =
        SignatureError::Malformed { header: SIGNATURE_HEADER, problem: "expected `sha256=` followed by 64 hex digits" };
    let Some(digest) = header.trim().strip_prefix("sha256=") else { return Err(malformed) };
    if digest.len() != 64 {
        return Err(malformed);
    }
    let Ok(signature) = hex::decode(digest) else { return Err(malformed) };
    if hmac_sha256_matches(secret, body, &signature) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch { header: SIGNATURE_HEADER })
    }
}

/// Normalises a GitHub delivery; `input.event_type` is the value of
/// [`EVENT_HEADER`].
///
/// - `push` → a [`Push`];
/// - `pull_request` (any action) → a [`PullRequest`] snapshot;
/// - `pull_request_review` → the snapshot plus one [`Review`];
/// - `deployment`, `deployment_status` → a [`Deployment`] (one key for both);
/// - `workflow_run`, `workflow_job`, `check_run` → a [`CiRun`];
/// - `issues` → an [`Incident`] when the issue carries
///   [`IngestSettings::incident_label`], else ignored;
/// - [`PROTECTION_RULE_EVENT`] → ignored: it asks a question
///   ([`protection_rule_request`]) and records nothing;
/// - `ping` and every other event → ignored, with the reason.
///
/// # Errors
/// [`NormalizeError`] when an event that yields records has a body that is
/// not JSON, not the event's shape, or lacks what the record's key needs
/// (the repository, the id or number, a push's ref).
pub fn normalize(input: &RawInput<'_>, settings: &IngestSettings) -> Result<Normalized, NormalizeError> {
    match input.event_type {
        "ping" => Ok(Normalized::Ignored("ping: GitHub's test delivery; nothing to record".to_owned())),
        "push" => push(parse(input)?, input.received_at),
        "pull_request" => pull_request(parse(input)?),
        "pull_request_review" => pull_request_review(parse(input)?),
        "deployment" => deployment(parse(input)?),
        "deployment_status" => deployment_status(parse(input)?),
        "workflow_run" => workflow_run(parse(input)?),
        "workflow_job" => workflow_job(parse(input)?),
        "check_run" => check_run(parse(input)?),
        "issues" => issue(parse(input)?, settings, input.received_at),
        PROTECTION_RULE_EVENT => Ok(Normalized::Ignored(
            "deployment_protection_rule: a question pavedroad answers with the deploy policy (see the audit log); \
             the deployment itself arrives as a `deployment` event"
                .to_owned(),
        )),
        other => Ok(Normalized::Ignored(format!("GitHub `{other}` events carry nothing pavedroad records"))),
    }
}

fn parse<T: DeserializeOwned>(input: &RawInput<'_>) -> Result<T, NormalizeError> {
    serde_json::from_slice(input.body).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => {
            NormalizeError::new(format!("the body is not a GitHub `{}` event: {error}", input.event_type))
        }
        _ => NormalizeError::new(format!("the body is not valid JSON: {error}")),
    })
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, NormalizeError> {
    value.ok_or_else(|| NormalizeError::new(format!("{field} is missing")))
}

/// The repository an event is about: from its `html_url`, which keeps the
/// host of a GitHub Enterprise Server, else `full_name` on github.com.
fn repo_of(repository: Option<&Repository>) -> Result<RepoId, NormalizeError> {
    let repository = required(repository, "repository")?;
    if let Some(repo) = repository.html_url.as_deref().and_then(|url| RepoId::parse_url(url).ok()) {
        return Ok(repo);
    }
    let slug = required(repository.full_name.as_deref(), "repository.full_name")?;
    RepoId::from_github_slug(slug)
        .map_err(|error| NormalizeError::new(format!("repository.full_name: {error}; {}", error.hint())))
}

/// A commit id as records keep it, or `None` for GitHub's all-zero id
/// (nothing before a created ref, nothing after a deleted one).
fn sha_unless_zero(sha: Option<&str>) -> Option<String> {
    sha.filter(|sha| !sha.is_empty() && !sha.bytes().all(|b| b == b'0')).map(str::to_ascii_lowercase)
}

/// Only `Some` when the text says something.
fn non_empty(text: Option<String>) -> Option<String> {
    text.filter(|text| !text.trim().is_empty())
}

fn observed(record: Record, service: ServiceHint, people: People) -> Result<Normalized, NormalizeError> {
    Ok(Normalized::Observations { observations: vec![Observation { record, service }], people: people.0 })
}

fn repo_hint(repo: &RepoId) -> ServiceHint {
    ServiceHint { repo: Some(repo.clone()), ..ServiceHint::default() }
}

/// The people an event names, one hint per identity.
#[derive(Default)]
struct People(Vec<PersonHint>);

impl People {
    /// The identity of a GitHub account, noting whether GitHub says it is
    /// a bot.
    fn account(&mut self, account: Option<&Account>) -> Option<Identity> {
        let account = account?;
        let identity = Identity::github(account.login.as_deref()?).ok()?;
        self.note(PersonHint { bot: account.is_bot(), ..PersonHint::new(identity.clone()) });
        Some(identity)
    }

    /// The account as the actor of a run, when it is a person: a check or a
    /// job may be sent by an app, which is nobody's work.
    fn human(&mut self, account: Option<&Account>) -> Option<Identity> {
        self.account(account.filter(|account| account.is_human()))
    }

    /// Adds `hint`, or completes the hint already there for its identity.
    fn note(&mut self, hint: PersonHint) {
        match self.0.iter_mut().find(|known| known.identity == hint.identity) {
            Some(known) => {
                known.name = known.name.take().or(hint.name);
                known.email = known.email.take().or(hint.email);
                known.bot |= hint.bot;
            }
            None => self.0.push(hint),
        }
    }
}

/// What a `deployment_protection_rule` delivery (action `requested`) asks:
/// may this deployment go to this environment? The answer goes to
/// [`callback_url`](Self::callback_url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionRuleRequest {
    /// The environment the rule guards (`environment`, else the
    /// deployment's).
    pub environment: String,
    /// Where GitHub takes the answer (`deployment_callback_url`).
    pub callback_url: String,
    /// The repository.
    pub repo: RepoId,
    /// The commit being deployed (`deployment.sha`), lower case.
    pub sha: Option<String>,
    /// The ref being deployed (`deployment.ref`).
    pub git_ref: Option<String>,
    /// Who asks: the deployment's creator (`deployment.creator.login`),
    /// else the delivery's sender (`sender.login`).
    pub login: Option<String>,
    /// The services the deployment's `payload` names (`service`, then
    /// `component`), as for `deployment` events.
    pub service_names: Vec<String>,
    /// The deployment's id.
    pub deployment_id: Option<u64>,
    /// What started the deployment (`event`: `push`, `workflow_dispatch`).
    pub event: Option<String>,
}

/// Reads a [`PROTECTION_RULE_EVENT`] delivery: `Ok(None)` for an action
/// other than `requested` (nothing to answer).
///
/// # Errors
/// [`NormalizeError`] when the body is not the event's JSON, or lacks what
/// an answer needs: `deployment_callback_url`, the environment
/// (`environment` or `deployment.environment`) and the repository.
pub fn protection_rule_request(body: &[u8]) -> Result<Option<ProtectionRuleRequest>, NormalizeError> {
    let event: ProtectionRuleEvent = serde_json::from_slice(body).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => {
            NormalizeError::new(format!("the body is not a GitHub `{PROTECTION_RULE_EVENT}` event: {error}"))
        }
        _ => NormalizeError::new(format!("the body is not valid JSON: {error}")),
    })?;
    if event.action.as_deref() != Some("requested") {
        return Ok(None);
    }
    let deployment = event.deployment.unwrap_or_default();
    let callback_url = required(non_empty(event.deployment_callback_url), "deployment_callback_url")?;
    let environment = required(non_empty(event.environment.or(deployment.environment)), "environment")?;
    let repo = repo_of(event.repository.as_ref())?;
    let login = |account: Option<Account>| account.and_then(|account| non_empty(account.login));
    Ok(Some(ProtectionRuleRequest {
        environment,
        callback_url,
        repo,
        sha: sha_unless_zero(deployment.sha.as_deref()),
        git_ref: non_empty(deployment.git_ref),
        login: login(deployment.creator).or_else(|| login(event.sender)),
        service_names: DeploymentMetadata::read(&deployment.payload).service_names,
        deployment_id: deployment.id,
        event: non_empty(event.event),
    }))
}

// ---------------------------------------------------------------------------
// GitHub's JSON: only what pavedroad reads; every field may be absent.

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Account {
    login: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl Account {
    fn is_bot(&self) -> bool {
        self.kind.as_deref().is_some_and(|kind| kind.eq_ignore_ascii_case("Bot"))
    }

    /// Neither a bot nor an organisation (an app's owner).
    fn is_human(&self) -> bool {
        !self.is_bot() && !self.kind.as_deref().is_some_and(|kind| kind.eq_ignore_ascii_case("Organization"))
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Repository {
    full_name: Option<String>,
    html_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PushEvent {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    before: Option<String>,
    after: Option<String>,
    forced: bool,
    deleted: bool,
    commits: Vec<PushCommit>,
    head_commit: Option<PushCommit>,
    pusher: Option<Pusher>,
    sender: Option<Account>,
    repository: Option<Repository>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PushCommit {
    id: Option<String>,
    timestamp: Option<DateTime<Utc>>,
    author: Option<CommitAuthor>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CommitAuthor {
    name: Option<String>,
    email: Option<String>,
    /// The GitHub login GitHub matched the e-mail to; absent when none.
    username: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Pusher {
    name: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PullRequestEvent {
    number: Option<u64>,
    pull_request: Option<PullRequestPayload>,
    repository: Option<Repository>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PullRequestPayload {
    number: Option<u64>,
    title: Option<String>,
    user: Option<Account>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    merged_at: Option<DateTime<Utc>>,
    merged_by: Option<Account>,
    merge_commit_sha: Option<String>,
    head: Option<Branch>,
    base: Option<Branch>,
    html_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Branch {
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    sha: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReviewEvent {
    action: Option<String>,
    review: Option<ReviewPayload>,
    pull_request: Option<PullRequestPayload>,
    repository: Option<Repository>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReviewPayload {
    user: Option<Account>,
    submitted_at: Option<DateTime<Utc>>,
    state: Option<String>,
}

/// A `deployment` or `deployment_status` event (the latter adds
/// `deployment_status`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeploymentEvent {
    deployment: Option<DeploymentPayload>,
    deployment_status: Option<DeploymentStatusPayload>,
    workflow_run: Option<WorkflowRun>,
    repository: Option<Repository>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProtectionRuleEvent {
    action: Option<String>,
    environment: Option<String>,
    event: Option<String>,
    deployment_callback_url: Option<String>,
    deployment: Option<DeploymentPayload>,
    repository: Option<Repository>,
    sender: Option<Account>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeploymentPayload {
    id: Option<u64>,
    sha: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    task: Option<String>,
    /// Whatever the creator attached: an object, or a JSON string.
    payload: Value,
    environment: Option<String>,
    production_environment: Option<bool>,
    description: Option<String>,
    creator: Option<Account>,
    created_at: Option<DateTime<Utc>>,
    url: Option<String>,
    statuses_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeploymentStatusPayload {
    state: Option<String>,
    environment: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WorkflowRunEvent {
    workflow_run: Option<WorkflowRun>,
    workflow: Option<Workflow>,
    repository: Option<Repository>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WorkflowRun {
    id: Option<u64>,
    name: Option<String>,
    head_sha: Option<String>,
    head_branch: Option<String>,
    event: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    actor: Option<Account>,
    triggering_actor: Option<Account>,
    run_started_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    html_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Workflow {
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WorkflowJobEvent {
    workflow_job: Option<WorkflowJob>,
    /// The deployment a job targeting an environment creates.
    deployment: Option<EnvironmentOnly>,
    repository: Option<Repository>,
    sender: Option<Account>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WorkflowJob {
    id: Option<u64>,
    name: Option<String>,
    head_sha: Option<String>,
    head_branch: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    created_at: Option<DateTime<Utc>>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    html_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnvironmentOnly {
    environment: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CheckRunEvent {
    check_run: Option<CheckRun>,
    repository: Option<Repository>,
    sender: Option<Account>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CheckRun {
    id: Option<u64>,
    name: Option<String>,
    head_sha: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    html_url: Option<String>,
    check_suite: Option<CheckSuite>,
    deployment: Option<EnvironmentOnly>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CheckSuite {
    head_branch: Option<String>,
    /// Where GitHub's own example puts a check run's deployment (its
    /// schema allows it on the check run too).
    deployment: Option<EnvironmentOnly>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IssuesEvent {
    action: Option<String>,
    issue: Option<Issue>,
    repository: Option<Repository>,
    sender: Option<Account>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Issue {
    number: Option<u64>,
    title: Option<String>,
    body: Option<String>,
    labels: Vec<Label>,
    state: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    html_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Label {
    name: Option<String>,
}

// ---------------------------------------------------------------------------
// Events to records.

fn push(event: PushEvent, received_at: DateTime<Utc>) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.repository.as_ref())?;
    let git_ref = required(event.git_ref, "ref")?;
    let before = required(event.before, "before")?;
    let after = required(event.after, "after")?;
    let mut people = People::default();
    // `sender` is the account that pushed; `pusher.name` is its login too,
    // but only as text, so it is the fallback.
    let pusher = people
        .account(event.sender.as_ref())
        .or_else(|| event.pusher.as_ref().and_then(|p| p.name.as_deref()).and_then(|name| Identity::github(name).ok()));
    if let (Some(pusher), Some(Pusher { name: Some(name), email: Some(email) })) = (&pusher, &event.pusher)
        && name.eq_ignore_ascii_case(pusher.value())
    {
        people.note(PersonHint { email: Some(email.clone()), ..PersonHint::new(pusher.clone()) });
    }
    let mut commits = Vec::with_capacity(event.commits.len());
    for (index, commit) in event.commits.into_iter().enumerate() {
        let sha = required(commit.id, &format!("commits[{index}].id"))?;
        let author = commit.author.unwrap_or_default();
        let login = author.username.as_deref().and_then(|login| Identity::github(login).ok());
        let identity = login.or_else(|| author.email.as_deref().and_then(|email| Identity::email(email).ok()));
        if let Some(identity) = &identity {
            // A commit pairs the author's login with their name and
            // e-mail: the link that resolves git authors to people.
            people.note(PersonHint {
                name: non_empty(author.name.clone()),
                email: non_empty(author.email.clone()),
                ..PersonHint::new(identity.clone())
            });
        }
        commits.push(PushedCommit {
            sha: sha.to_ascii_lowercase(),
            author: identity,
            author_email: non_empty(author.email),
            at: commit.timestamp,
        });
    }
    let record = Push {
        key: format!("{}:{repo}:{git_ref}:{before}..{after}", Source::GitHub.as_str()),
        source: Source::GitHub.as_str().to_owned(),
        repo: repo.clone(),
        git_ref,
        before: sha_unless_zero(Some(&before)),
        after: sha_unless_zero(Some(&after)),
        pusher,
        commits,
        forced: event.forced,
        deleted: event.deleted,
        at: event.head_commit.and_then(|commit| commit.timestamp).or(Some(received_at)),
    };
    observed(Record::Push(record), repo_hint(&repo), people)
}

/// The pull request as the event shows it; `number` is the event's own,
/// for when the object lacks one.
fn pull_request_snapshot(
    payload: PullRequestPayload,
    number: Option<u64>,
    repo: RepoId,
    people: &mut People,
) -> Result<PullRequest, NormalizeError> {
    let number = required(payload.number.or(number), "pull_request.number")?;
    let mut pr = PullRequest::new(Source::GitHub.as_str(), repo, number);
    pr.title = payload.title;
    pr.author = people.account(payload.user.as_ref());
    pr.opened_at = payload.created_at;
    pr.closed_at = payload.closed_at;
    pr.merged_at = payload.merged_at;
    pr.merged_by = people.account(payload.merged_by.as_ref());
    // Before a merge GitHub fills `merge_commit_sha` with a test merge that
    // never lands on the base branch; only a merge's own commit counts.
    if pr.merged_at.is_some() {
        pr.merge_commit_sha = sha_unless_zero(payload.merge_commit_sha.as_deref());
    }
    pr.head_sha = payload.head.as_ref().and_then(|head| sha_unless_zero(head.sha.as_deref()));
    pr.base_ref = payload.base.and_then(|base| base.git_ref);
    pr.url = payload.html_url;
    pr.updated_at = payload.updated_at;
    Ok(pr)
}

fn pull_request(event: PullRequestEvent) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.repository.as_ref())?;
    let payload = required(event.pull_request, "pull_request")?;
    let mut people = People::default();
    let pr = pull_request_snapshot(payload, event.number, repo.clone(), &mut people)?;
    observed(Record::PullRequest(pr), repo_hint(&repo), people)
}

fn pull_request_review(event: ReviewEvent) -> Result<Normalized, NormalizeError> {
    let action = event.action.as_deref().unwrap_or_default();
    if !matches!(action, "submitted" | "edited" | "dismissed") {
        return Ok(Normalized::Ignored(format!("pull_request_review `{action}` carries no review")));
    }
    let repo = repo_of(event.repository.as_ref())?;
    let payload = required(event.pull_request, "pull_request")?;
    let review = required(event.review, "review")?;
    let mut people = People::default();
    let mut pr = pull_request_snapshot(payload, None, repo.clone(), &mut people)?;
    let reviewer = people.account(review.user.as_ref());
    // A review whose author was deleted or that has no submission time
    // still refreshes the snapshot; the review itself cannot be placed.
    if let (Some(reviewer), Some(at)) = (reviewer, review.submitted_at) {
        let state = review.state.as_deref().unwrap_or("commented").to_ascii_lowercase();
        pr.reviews.push(Review { reviewer, at, state });
    }
    observed(Record::PullRequest(pr), repo_hint(&repo), people)
}

/// What pavedroad reads from a deployment's free-form `payload`.
#[derive(Debug, Default)]
struct DeploymentMetadata {
    /// `service`, then `component`.
    service_names: Vec<String>,
    hotfix: bool,
    rollback: bool,
}

impl DeploymentMetadata {
    /// Reads `payload`, an object or a string holding one (both are
    /// common: GitHub's API takes either); anything else says nothing.
    fn read(payload: &Value) -> Self {
        let parsed;
        let object = match payload {
            Value::Object(object) => object,
            Value::String(text) => {
                parsed = serde_json::from_str::<Value>(text).ok();
                match parsed.as_ref().and_then(Value::as_object) {
                    Some(object) => object,
                    None => return Self::default(),
                }
            }
            _ => return Self::default(),
        };
        let is_true = |key: &str| match object.get(key) {
            Some(Value::Bool(flag)) => *flag,
            Some(Value::String(text)) => text.eq_ignore_ascii_case("true"),
            _ => false,
        };
        let service_names = ["service", "component"]
            .into_iter()
            .filter_map(|key| object.get(key).and_then(Value::as_str))
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect();
        Self { service_names, hotfix: is_true("hotfix"), rollback: is_true("rollback") }
    }
}

/// The deployment as a `deployment` event (or the `deployment` inside a
/// `deployment_status`) describes it, with the status it starts in.
fn deployment_record(
    deployment: DeploymentPayload,
    workflow_run: Option<&WorkflowRun>,
    repo: &RepoId,
    environment: Option<String>,
    people: &mut People,
) -> Result<(Deployment, ServiceHint), NormalizeError> {
    let id = required(deployment.id, "deployment.id")?;
    let environment = required(non_empty(environment.or(deployment.environment)), "deployment.environment")?;
    let metadata = DeploymentMetadata::read(&deployment.payload);
    let task_is_rollback = deployment.task.as_deref().is_some_and(|task| task.eq_ignore_ascii_case("deploy:rollback"));
    let mut record =
        Deployment::new(format!("{}:{repo}/{id}", Source::GitHub.as_str()), Source::GitHub.as_str(), environment);
    record.repo = Some(repo.clone());
    record.production_by_source = deployment.production_environment;
    record.sha = sha_unless_zero(deployment.sha.as_deref());
    record.git_ref = deployment.git_ref;
    record.status = DeploymentStatus::Pending;
    record.status_at = deployment.created_at;
    record.created_at = deployment.created_at;
    record.creator = people.account(deployment.creator.as_ref());
    record.triggering_actor = people.account(workflow_run.and_then(|run| run.triggering_actor.as_ref()));
    record.trigger = if task_is_rollback || metadata.rollback {
        Some(DeploymentTrigger::Rollback)
    } else {
        // What started the workflow that deploys: `push` is automatic,
        // `workflow_dispatch` manual.
        workflow_run.and_then(|run| run.event.as_deref()).and_then(DeploymentTrigger::parse)
    };
    record.hotfix = metadata.hotfix;
    record.url = deployment.url.or(deployment.statuses_url);
    record.description = non_empty(deployment.description);
    let hint = ServiceHint { names: metadata.service_names, repo: Some(repo.clone()), pagerduty_service: None };
    Ok((record, hint))
}

fn deployment(event: DeploymentEvent) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.repository.as_ref())?;
    let payload = required(event.deployment, "deployment")?;
    let mut people = People::default();
    let (record, hint) = deployment_record(payload, event.workflow_run.as_ref(), &repo, None, &mut people)?;
    observed(Record::Deployment(record), hint, people)
}

fn deployment_status(event: DeploymentEvent) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.repository.as_ref())?;
    let payload = required(event.deployment, "deployment")?;
    let status = required(event.deployment_status, "deployment_status")?;
    let state = required(status.state.as_deref(), "deployment_status.state")?;
    let parsed = DeploymentStatus::parse(state).ok_or_else(|| {
        NormalizeError::new(format!("deployment_status.state `{state}` is not a deployment state pavedroad knows"))
    })?;
    let mut people = People::default();
    let (mut record, hint) =
        deployment_record(payload, event.workflow_run.as_ref(), &repo, non_empty(status.environment), &mut people)?;
    record.status = parsed;
    record.status_at = status.updated_at.or(status.created_at);
    if parsed.is_final() {
        record.finished_at = record.status_at;
    }
    if matches!(parsed, DeploymentStatus::InProgress | DeploymentStatus::Queued) {
        record.started_at = record.status_at;
    }
    observed(Record::Deployment(record), hint, people)
}

fn ci_run_key(run_kind: &str, repo: &RepoId, id: u64) -> String {
    format!("{}:{run_kind}:{repo}/{id}", Source::GitHub.as_str())
}

fn workflow_run(event: WorkflowRunEvent) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.repository.as_ref())?;
    let run = required(event.workflow_run, "workflow_run")?;
    let id = required(run.id, "workflow_run.id")?;
    let status = required(run.status, "workflow_run.status")?;
    let mut people = People::default();
    let completed = status == "completed";
    let record = CiRun {
        key: ci_run_key("workflow_run", &repo, id),
        source: Source::GitHub.as_str().to_owned(),
        run_kind: "workflow_run".to_owned(),
        repo: repo.clone(),
        sha: sha_unless_zero(run.head_sha.as_deref()),
        git_ref: run.head_branch,
        // A run's own name can be empty (a run of a workflow with no
        // `run-name`); the workflow's name is what people know it by.
        name: non_empty(run.name).or_else(|| event.workflow.and_then(|workflow| non_empty(workflow.name))),
        event: run.event,
        status,
        conclusion: run.conclusion,
        actor: people.account(run.actor.as_ref()),
        triggering_actor: people.account(run.triggering_actor.as_ref()),
        environment: None,
        status_at: run.updated_at,
        started_at: run.run_started_at,
        finished_at: if completed { run.updated_at } else { None },
        url: run.html_url,
    };
    observed(Record::CiRun(record), repo_hint(&repo), people)
}

fn workflow_job(event: WorkflowJobEvent) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.repository.as_ref())?;
    let job = required(event.workflow_job, "workflow_job")?;
    let id = required(job.id, "workflow_job.id")?;
    let status = required(job.status, "workflow_job.status")?;
    let mut people = People::default();
    let completed = status == "completed";
    let record = CiRun {
        key: ci_run_key("job", &repo, id),
        source: Source::GitHub.as_str().to_owned(),
        run_kind: "job".to_owned(),
        repo: repo.clone(),
        sha: sha_unless_zero(job.head_sha.as_deref()),
        git_ref: job.head_branch,
        name: non_empty(job.name),
        event: None,
        status,
        conclusion: job.conclusion,
        actor: people.human(event.sender.as_ref()),
        triggering_actor: None,
        environment: event.deployment.and_then(|deployment| non_empty(deployment.environment)),
        // A job has no update time; its latest milestone orders updates.
        status_at: job.completed_at.or(job.started_at).or(job.created_at),
        started_at: job.started_at,
        finished_at: if completed { job.completed_at } else { None },
        url: job.html_url,
    };
    observed(Record::CiRun(record), repo_hint(&repo), people)
}

fn check_run(event: CheckRunEvent) -> Result<Normalized, NormalizeError> {
    let repo = repo_of(event.repository.as_ref())?;
    let check = required(event.check_run, "check_run")?;
    let id = required(check.id, "check_run.id")?;
    let status = required(check.status, "check_run.status")?;
    let mut people = People::default();
    let (git_ref, suite_deployment) =
        check.check_suite.map_or((None, None), |suite| (suite.head_branch, suite.deployment));
    let environment = check.deployment.or(suite_deployment).and_then(|deployment| non_empty(deployment.environment));
    let record = CiRun {
        key: ci_run_key("check_run", &repo, id),
        source: Source::GitHub.as_str().to_owned(),
        run_kind: "check_run".to_owned(),
        repo: repo.clone(),
        sha: sha_unless_zero(check.head_sha.as_deref()),
        git_ref,
        name: non_empty(check.name),
        event: None,
        status,
        conclusion: check.conclusion,
        // The check's app is not a person; the sender is, when it is one
        // (who pushed, or who asked for a re-run).
        actor: people.human(event.sender.as_ref()),
        triggering_actor: None,
        environment,
        status_at: check.completed_at.or(check.started_at),
        started_at: check.started_at,
        finished_at: check.completed_at,
        url: check.html_url,
    };
    observed(Record::CiRun(record), repo_hint(&repo), people)
}

fn issue(
    event: IssuesEvent,
    settings: &IngestSettings,
    received_at: DateTime<Utc>,
) -> Result<Normalized, NormalizeError> {
    let issue = required(event.issue, "issue")?;
    let labels: Vec<&str> = issue.labels.iter().filter_map(|label| label.name.as_deref()).collect();
    let incident_label = settings.incident_label.as_str();
    if !labels.iter().any(|label| label.trim().eq_ignore_ascii_case(incident_label)) {
        let number = issue.number.map(|number| format!(" #{number}")).unwrap_or_default();
        return Ok(Normalized::Ignored(format!(
            "issue{number} has no `{incident_label}` label; only issues labelled `{incident_label}` are incidents"
        )));
    }
    let repo = repo_of(event.repository.as_ref())?;
    let number = required(issue.number, "issue.number")?;
    let mut people = People::default();
    let mut incident = Incident::new(format!("{}:{repo}#{number}", Source::GitHub.as_str()), Source::GitHub.as_str());
    incident.title = non_empty(issue.title.clone());
    incident.severity = labels.iter().find_map(|label| severity_in(label));
    incident.opened_at = issue.created_at;
    incident.updated_at = issue.updated_at;
    if event.action.as_deref() == Some("reopened") {
        incident.reopened_at = issue.updated_at.or(Some(received_at));
    }
    if event.action.as_deref() == Some("closed") {
        incident.resolved_at = issue.closed_at.or(Some(received_at));
        incident.resolved_by = people.account(event.sender.as_ref());
    } else if issue.state.as_deref() == Some("closed") {
        // Another change to a closed incident: when it closed is known,
        // who closed it is not.
        incident.resolved_at = issue.closed_at;
    }
    let text = format!("{}\n{}", issue.title.unwrap_or_default(), issue.body.unwrap_or_default());
    incident.root_cause_sha = root_cause_in(&text);
    incident.url = issue.html_url;
    let names = labels.iter().filter_map(|label| service_in(label)).collect();
    let hint = ServiceHint { names, repo: Some(repo), pagerduty_service: None };
    observed(Record::Incident(incident), hint, people)
}

/// The severity a label states: the value of `severity:<value>`, or the
/// label itself when it is a level such as `sev1`, `SEV-2`, `P1`.
fn severity_in(label: &str) -> Option<String> {
    let label = label.trim();
    let lower = label.to_ascii_lowercase();
    if let Some(value) = lower.strip_prefix("severity:") {
        // ASCII lower-casing keeps byte offsets, so the value can be taken
        // from the label as written.
        let value = label[label.len() - value.len()..].trim();
        return (!value.is_empty()).then(|| value.to_owned());
    }
    let level = lower
        .strip_prefix("sev")
        .map(|rest| rest.trim_start_matches(['-', '_', ' ']))
        .or_else(|| lower.strip_prefix('p'));
    let is_level = level.is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()));
    is_level.then(|| label.to_owned())
}

/// The service a `service:<name>` label names.
fn service_in(label: &str) -> Option<String> {
    let label = label.trim();
    let prefix = "service:";
    if !label.get(..prefix.len())?.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let name = label[prefix.len()..].trim();
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_labels() {
        assert_eq!(severity_in("sev1").as_deref(), Some("sev1"));
        assert_eq!(severity_in("SEV-2").as_deref(), Some("SEV-2"));
        assert_eq!(severity_in("P1").as_deref(), Some("P1"));
        assert_eq!(severity_in("Severity: High").as_deref(), Some("High"));
        assert_eq!(severity_in("severity:"), None);
        assert_eq!(severity_in("performance"), None);
        assert_eq!(severity_in("several"), None);
        assert_eq!(severity_in("p"), None);
    }

    #[test]
    fn service_labels() {
        assert_eq!(service_in("service:checkout").as_deref(), Some("checkout"));
        assert_eq!(service_in("Service: checkout ").as_deref(), Some("checkout"));
        assert_eq!(service_in("service:"), None);
        assert_eq!(service_in("services"), None);
        assert_eq!(service_in("é"), None, "a label shorter than the prefix, or not on a char boundary");
    }

    #[test]
    fn deployment_payloads_may_be_objects_or_strings() {
        let object = DeploymentMetadata::read(&serde_json::json!({"service": "checkout", "hotfix": true}));
        assert_eq!(object.service_names, ["checkout"]);
        assert!(object.hotfix && !object.rollback);
        let text = DeploymentMetadata::read(&Value::String(r#"{"component":"cart","rollback":"true"}"#.to_owned()));
        assert_eq!(text.service_names, ["cart"]);
        assert!(text.rollback && !text.hotfix);
        let nonsense = DeploymentMetadata::read(&Value::String("not json".to_owned()));
        assert!(nonsense.service_names.is_empty() && !nonsense.hotfix && !nonsense.rollback);
    }

    #[test]
    fn the_all_zero_sha_means_none() {
        assert_eq!(sha_unless_zero(Some("0000000000000000000000000000000000000000")), None);
        assert_eq!(sha_unless_zero(Some("ABC1234")).as_deref(), Some("abc1234"));
        assert_eq!(sha_unless_zero(None), None);
    }
}
