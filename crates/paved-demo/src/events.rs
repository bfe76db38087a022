//! Turns the timeline into what the tools would have sent, and records it
//! through pavedroad's own paths: pull requests and some deployments as
//! GitHub webhooks, most incidents as PagerDuty v3 webhooks (derived and
//! stored exactly as `/hooks/*` does), and the rest — deployments,
//! incidents and their updates, on-call shifts — through the API's checks
//! (`record::prepare`, as `paved deploy record` and `paved incident` do on
//! the local database).

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use paved_app::Caller;
use paved_app::record::{self, RecordAction};
use paved_domain::{CatalogIndex, EventStatus, Source};
use paved_ingest::{IngestSettings, RawInput};
use paved_store::{DynStore, IngestEvent, NewRawEvent, RawEventInsert};
use serde_json::{Value, json};

use super::org::{GITHUB_OWNER, Org};
use super::random::{PAGERDUTY_ALPHABET, Random};
use super::timeline::{
    Author, Cause, DeploymentPlan, IncidentPlan, IncidentSource, PullRequestPlan, Recorder, Timeline, Trigger,
};

/// How many events are stored per transaction.
const BATCH: usize = 1000;

/// The GitHub App account GitHub Actions deploys as.
const ACTIONS_BOT: &str = "github-actions[bot]";

/// What was recorded.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Recorded {
    /// Raw events stored, per source (`github`, `pagerduty`, `api`).
    pub raw_events: std::collections::BTreeMap<String, usize>,
}

/// An event to store: a webhook delivery, or a request to the API.
pub(super) enum Delivery {
    Webhook { source: Source, event_type: &'static str, delivery_id: String, body: Vec<u8> },
    Api { action: RecordAction, body: Vec<u8> },
}

impl Delivery {
    /// A webhook delivery; bodies are kept as bytes, a fraction of a JSON
    /// tree's memory.
    fn webhook(source: Source, event_type: &'static str, delivery_id: String, body: &Value) -> Self {
        Self::Webhook { source, event_type, delivery_id, body: body.to_string().into_bytes() }
    }

    /// A request to the API.
    pub(super) fn api(action: RecordAction, body: &Value) -> Self {
        Self::Api { action, body: body.to_string().into_bytes() }
    }
}

pub(super) struct Pending {
    pub(super) at: DateTime<Utc>,
    pub(super) delivery: Delivery,
}

/// The ids the records are known by, decided once for every payload.
struct Names<'a> {
    org: &'a Org,
    timeline: &'a Timeline,
    /// Commit ids per repository.
    shas: &'a [Vec<gix::ObjectId>],
    /// Per incident, the id the API knows it by (`INC-12` or
    /// `pagerduty:Q...`), and PagerDuty's incident number.
    incident_ids: Vec<(String, u64)>,
}

impl Names<'_> {
    fn sha(&self, repo: usize, commit: usize) -> String {
        self.shas[repo][commit].to_string()
    }

    fn deployment_id(&self, deployment: &DeploymentPlan) -> String {
        format!("{}-{:04}", self.org.services[deployment.service].name, deployment.number)
    }

    fn login(&self, author: Author) -> &str {
        match author {
            Author::Person(person) => &self.org.people[person].login,
            Author::Outsider(outsider) => &self.org.outsiders[outsider].login,
        }
    }

    fn account(&self, author: Author) -> Value {
        let id = match author {
            Author::Person(person) => 10_000_000 + person as u64 * 7919,
            Author::Outsider(outsider) => 90_000_000 + outsider as u64,
        };
        let login = self.login(author);
        json!({"login": login, "id": id, "type": "User", "html_url": format!("https://github.com/{login}")})
    }

    fn repository(&self, repo: usize) -> Value {
        let repo = &self.org.repos[repo];
        json!({
            "id": 500_000_000 + repo.name.len() as u64 * 1009,
            "name": repo.name,
            "full_name": repo.slug(),
            "private": true,
            "html_url": repo.url(),
            "default_branch": "main",
            "owner": {"login": GITHUB_OWNER, "type": "Organization"},
        })
    }
}

pub(super) fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Records every event of `timeline` in `store`.
///
/// # Errors
/// When the store fails, or an event is refused or cannot be normalised
/// (a bug of the generator: the demo must only send what pavedroad reads).
pub async fn record_all(
    store: &DynStore,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    org: &Org,
    timeline: &Timeline,
    shas: &[Vec<gix::ObjectId>],
    seed: u64,
) -> anyhow::Result<Recorded> {
    let names = Names { org, timeline, shas, incident_ids: incident_ids(timeline) };
    let mut random = Random::new(seed, "deliveries");
    let mut first = Vec::new();
    let mut updates = Vec::new();
    for (repo, history) in timeline.repos.iter().enumerate() {
        for pull_request in &history.pull_requests {
            pull_request_events(&names, repo, pull_request, &mut random, &mut first);
        }
    }
    for deployment in &timeline.deployments {
        deployment_events(&names, deployment, &mut random, &mut first);
    }
    for (index, incident) in timeline.incidents.iter().enumerate() {
        incident_events(&names, index, incident, &mut random, &mut first, &mut updates);
    }
    for shift in &timeline.shifts {
        first.push(Pending {
            at: shift.start,
            delivery: Delivery::api(
                RecordAction::RecordShift,
                &json!({
                    "id": shift.id,
                    "schedule": shift.schedule,
                    "person": org.people[shift.person].login,
                    "start": time(shift.start),
                    "end": time(shift.end),
                }),
            ),
        });
    }
    // Acknowledging and resolving through the API needs the incident
    // stored, as on a real server: they go second.
    let mut recorded = Recorded::default();
    for mut phase in [first, updates] {
        phase.sort_by_key(|pending| pending.at);
        let mut phase = phase.into_iter().peekable();
        while phase.peek().is_some() {
            let chunk: Vec<Pending> = phase.by_ref().take(BATCH).collect();
            store_chunk(store, catalog, settings, chunk, &mut recorded).await?;
        }
    }
    Ok(recorded)
}

/// Per incident: the id the API knows it by and PagerDuty's number, both
/// counted in order of opening.
fn incident_ids(timeline: &Timeline) -> Vec<(String, u64)> {
    let mut order: Vec<usize> = (0..timeline.incidents.len()).collect();
    order.sort_by_key(|&index| (timeline.incidents[index].opened_at, index));
    let mut ids = vec![(String::new(), 0); timeline.incidents.len()];
    let (mut api, mut pagerduty) = (0, 1000);
    for index in order {
        ids[index] = match &timeline.incidents[index].source {
            IncidentSource::Api => {
                api += 1;
                (format!("INC-{api}"), 0)
            }
            IncidentSource::PagerDuty { incident_id } => {
                pagerduty += 1;
                (format!("pagerduty:{incident_id}"), pagerduty)
            }
        };
    }
    ids
}

pub(super) async fn store_chunk(
    store: &DynStore,
    catalog: &CatalogIndex,
    settings: &IngestSettings,
    chunk: Vec<Pending>,
    recorded: &mut Recorded,
) -> anyhow::Result<()> {
    let mut events = Vec::with_capacity(chunk.len());
    for pending in chunk {
        let received_at = pending.at;
        let event = match pending.delivery {
            Delivery::Webhook { source, event_type, delivery_id, body } => {
                let context = json!({});
                let input = RawInput { source, event_type, body: &body, context: &context, received_at };
                let derivation = paved_ingest::derive(&input, catalog, settings);
                if derivation.status == EventStatus::Failed {
                    anyhow::bail!(
                        "the demo generated a {source} `{event_type}` event pavedroad cannot read: {}",
                        derivation.reason.unwrap_or_default()
                    );
                }
                let event = NewRawEvent {
                    source: source.as_str().to_owned(),
                    event_type: event_type.to_owned(),
                    delivery_id,
                    received_at,
                    body,
                    context,
                };
                IngestEvent { event, derivation, audit: None }
            }
            Delivery::Api { action, body } => {
                let refused = format!("the demo's {action:?} was refused");
                record::prepare(store, catalog, settings, &Caller::Local, action, body, received_at)
                    .await
                    .map_err(|error| anyhow::anyhow!("{refused}: {}", error.message()))?
                    .event
            }
        };
        events.push(event);
    }
    let ingested = store.ingest(&events).await.context("storing the demo's events")?;
    for (event, result) in events.iter().zip(ingested) {
        if matches!(result.raw, RawEventInsert::Stored(_)) {
            *recorded.raw_events.entry(event.event.source.clone()).or_default() += 1;
        }
    }
    Ok(())
}

fn pull_request_json(names: &Names<'_>, repo: usize, plan: &PullRequestPlan, at: DateTime<Utc>, merged: bool) -> Value {
    let url = format!("{}/pull/{}", names.org.repos[repo].url(), plan.number);
    let (merged_at, merge_sha) = match (merged, plan.merged) {
        (true, Some((merged_at, merge))) => (Some(time(merged_at)), Some(names.sha(repo, merge))),
        _ => (None, None),
    };
    json!({
        "url": format!("https://api.github.com/repos/{}/pulls/{}", names.org.repos[repo].slug(), plan.number),
        "html_url": url,
        "number": plan.number,
        "state": if merged { "closed" } else { "open" },
        "title": plan.title,
        "user": names.account(plan.author),
        "created_at": time(plan.opened_at),
        "updated_at": time(at),
        "closed_at": merged_at,
        "merged_at": merged_at,
        "merge_commit_sha": merge_sha,
        "merged": merged,
        "merged_by": if merged { names.account(plan.author) } else { Value::Null },
        "draft": false,
        "head": {"label": format!("{GITHUB_OWNER}:{}", plan.branch), "ref": plan.branch, "sha": names.sha(repo, plan.head)},
        "base": {"label": format!("{GITHUB_OWNER}:main"), "ref": "main", "sha": names.sha(repo, plan.base)},
    })
}

fn pull_request_events(
    names: &Names<'_>,
    repo: usize,
    plan: &PullRequestPlan,
    random: &mut Random,
    out: &mut Vec<Pending>,
) {
    let mut webhook = |at: DateTime<Utc>, event_type: &'static str, body: Value, random: &mut Random| {
        out.push(Pending { at, delivery: Delivery::webhook(Source::GitHub, event_type, random.uuid(), &body) });
    };
    let opened = json!({
        "action": "opened",
        "number": plan.number,
        "pull_request": pull_request_json(names, repo, plan, plan.opened_at, false),
        "repository": names.repository(repo),
        "sender": names.account(plan.author),
    });
    webhook(plan.opened_at, "pull_request", opened, random);
    for (n, review) in plan.reviews.iter().enumerate() {
        let reviewer = Author::Person(review.reviewer);
        let body = json!({
            "action": "submitted",
            "review": {
                "id": 2_000_000_000 + plan.number * 10 + n as u64,
                "user": names.account(reviewer),
                "body": if review.state == "approved" { "LGTM" } else { "A question inline." },
                "state": review.state,
                "submitted_at": time(review.at),
                "html_url": format!("{}/pull/{}#pullrequestreview-{}", names.org.repos[repo].url(), plan.number, n + 1),
            },
            "pull_request": pull_request_json(names, repo, plan, review.at, false),
            "repository": names.repository(repo),
            "sender": names.account(reviewer),
        });
        webhook(review.at, "pull_request_review", body, random);
    }
    if let Some((merged_at, _)) = plan.merged {
        let closed = json!({
            "action": "closed",
            "number": plan.number,
            "pull_request": pull_request_json(names, repo, plan, merged_at, true),
            "repository": names.repository(repo),
            "sender": names.account(plan.author),
        });
        webhook(merged_at, "pull_request", closed, random);
    }
}

fn deployment_events(names: &Names<'_>, plan: &DeploymentPlan, random: &mut Random, out: &mut Vec<Pending>) {
    let service = &names.org.services[plan.service];
    let repo = &names.org.repos[plan.repo];
    let sha = names.sha(plan.repo, plan.commit);
    let actor = &names.org.people[plan.actor];
    match plan.recorder {
        Recorder::Api => {
            let fixes: Vec<&str> = plan.fixes.iter().map(|&incident| names.incident_ids[incident].0.as_str()).collect();
            let mut body = json!({
                "id": names.deployment_id(plan),
                "service": service.name,
                "environment": "production",
                "sha": sha,
                "status": if plan.succeeded { "success" } else { "failure" },
                "actor": actor.login,
                "started_at": time(plan.started_at),
                "finished_at": time(plan.finished_at),
                "url": format!("{}/actions/runs/{}", repo.url(), 9_000_000_000 + plan.started_at.timestamp() as u64 % 1_000_000_000),
                "repo": format!("github.com/{}", repo.slug()),
                "ref": "main",
                "trigger": match plan.trigger {
                    Trigger::Manual => "manual",
                    Trigger::Automatic => "automatic",
                    Trigger::Rollback => "rollback",
                },
            });
            if plan.hotfix {
                body["hotfix"] = json!(true);
            }
            if !fixes.is_empty() {
                body["fixes"] = json!(fixes);
            }
            out.push(Pending { at: plan.finished_at, delivery: Delivery::api(RecordAction::RecordDeployment, &body) });
        }
        Recorder::GitHubActions { deployment_id, run_id } => {
            let bot = json!({"login": ACTIONS_BOT, "id": 41_898_282, "type": "Bot"});
            let person = json!({"login": actor.login, "id": 10_000_000 + plan.actor as u64 * 7919, "type": "User"});
            let deployment = json!({
                "url": format!("https://api.github.com/repos/{}/deployments/{deployment_id}", repo.slug()),
                "id": deployment_id,
                "sha": sha,
                "ref": "main",
                "task": "deploy",
                "payload": {},
                "original_environment": "production",
                "environment": "production",
                "production_environment": true,
                "description": null,
                "creator": bot,
                "created_at": time(plan.started_at),
                "updated_at": time(plan.started_at),
                "statuses_url": format!("https://api.github.com/repos/{}/deployments/{deployment_id}/statuses", repo.slug()),
            });
            let run = |status: &str, conclusion: Value| {
                json!({
                    "id": run_id,
                    "name": "deploy",
                    "head_branch": "main",
                    "head_sha": sha,
                    "event": "push",
                    "status": status,
                    "conclusion": conclusion,
                    "actor": person,
                    "triggering_actor": person,
                    "run_started_at": time(plan.started_at),
                    "html_url": format!("{}/actions/runs/{run_id}", repo.url()),
                })
            };
            let created = json!({
                "action": "created",
                "deployment": deployment,
                "workflow_run": run("in_progress", Value::Null),
                "repository": names.repository(plan.repo),
                "sender": bot,
            });
            let status = |state: &str, at: DateTime<Utc>, run: Value| {
                json!({
                    "action": "created",
                    "deployment_status": {"state": state, "environment": "production", "created_at": time(at), "updated_at": time(at), "creator": bot},
                    "deployment": deployment,
                    "workflow_run": run,
                    "repository": names.repository(plan.repo),
                    "sender": bot,
                })
            };
            let in_progress_at = plan.started_at + chrono::Duration::seconds(20);
            for (at, event_type, body) in [
                (plan.started_at, "deployment", created),
                (
                    in_progress_at,
                    "deployment_status",
                    status("in_progress", in_progress_at, run("in_progress", Value::Null)),
                ),
                (
                    plan.finished_at,
                    "deployment_status",
                    status("success", plan.finished_at, run("completed", json!("success"))),
                ),
            ] {
                out.push(Pending { at, delivery: Delivery::webhook(Source::GitHub, event_type, random.uuid(), &body) });
            }
        }
    }
}

/// A PagerDuty v3 event id (a ULID's shape).
fn event_id(random: &mut Random) -> String {
    random.text(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", 26)
}

fn incident_events(
    names: &Names<'_>,
    index: usize,
    plan: &IncidentPlan,
    random: &mut Random,
    first: &mut Vec<Pending>,
    updates: &mut Vec<Pending>,
) {
    let service = &names.org.services[plan.service];
    let (id, number) = &names.incident_ids[index];
    let root_cause = match plan.cause {
        Cause::RootCommit(deployment, commit) => Some(names.sha(names.timeline.deployments[deployment].repo, commit)),
        _ => None,
    };
    match &plan.source {
        IncidentSource::Api => {
            let title = match &root_cause {
                Some(sha) => format!("{} (root cause: {})", plan.title, &sha[..12]),
                None => plan.title.clone(),
            };
            let mut body = json!({
                "id": id,
                "service": service.name,
                "opened_at": time(plan.opened_at),
                "severity": plan.severity,
                "title": title,
            });
            if let Cause::Explicit(deployment) = plan.cause {
                body["caused_by"] = json!(names.deployment_id(&names.timeline.deployments[deployment]));
            }
            first.push(Pending { at: plan.opened_at, delivery: Delivery::api(RecordAction::OpenIncident, &body) });
            if let Some((who, at)) = plan.acknowledged {
                let body = json!({"by": names.org.people[who].login, "at": time(at)});
                updates.push(Pending {
                    at,
                    delivery: Delivery::api(RecordAction::AcknowledgeIncident(id.clone()), &body),
                });
            }
            if let Some((Some(who), at)) = plan.resolved {
                let body = json!({"by": names.org.people[who].login, "at": time(at)});
                updates.push(Pending { at, delivery: Delivery::api(RecordAction::ResolveIncident(id.clone()), &body) });
            }
        }
        IncidentSource::PagerDuty { incident_id } => {
            let base = "https://acme.pagerduty.com";
            let service_reference = json!({
                "id": service.pagerduty_id,
                "type": "service_reference",
                "summary": service.name,
                "self": format!("https://api.pagerduty.com/services/{}", service.pagerduty_id),
                "html_url": format!("{base}/services/{}", service.pagerduty_id),
            });
            let user = |person: usize| {
                let person = &names.org.people[person];
                json!({
                    "id": person.pagerduty_id,
                    "type": "user_reference",
                    "summary": person.display_name,
                    "self": format!("https://api.pagerduty.com/users/{}", person.pagerduty_id),
                    "html_url": format!("{base}/users/{}", person.pagerduty_id),
                })
            };
            let incident = |status: &str, assignees: Vec<Value>| {
                json!({
                    "id": incident_id,
                    "type": "incident",
                    "self": format!("https://api.pagerduty.com/incidents/{incident_id}"),
                    "html_url": format!("{base}/incidents/{incident_id}"),
                    "number": number,
                    "status": status,
                    "incident_key": format!("{:032x}", u128::from(*number) * 0x9e37_79b9_7f4a_7c15),
                    "created_at": time(plan.opened_at),
                    "title": plan.title,
                    "service": service_reference,
                    "assignees": assignees,
                    "escalation_policy": {"id": format!("E{}", &service.pagerduty_id[1..]), "type": "escalation_policy_reference", "summary": format!("{} escalation", service.name)},
                    "teams": [],
                    "priority": {"id": format!("PRI{}", &plan.severity[1..]), "type": "priority_reference", "summary": plan.severity},
                    "urgency": if plan.severity == "P3" { "low" } else { "high" },
                    "conference_bridge": null,
                    "resolve_reason": null,
                })
            };
            let mut event =
                |at: DateTime<Utc>, event_type: &'static str, agent: Value, data: Value, random: &mut Random| {
                    let id = event_id(random);
                    let body = json!({"event": {
                        "id": id,
                        "event_type": event_type,
                        "resource_type": "incident",
                        "occurred_at": at.to_rfc3339_opts(SecondsFormat::Millis, true),
                        "agent": agent,
                        "client": null,
                        "data": data,
                    }});
                    first.push(Pending { at, delivery: Delivery::webhook(Source::PagerDuty, event_type, id, &body) });
                };
            let mut pages = plan.pages.iter();
            let triggered_to: Vec<Value> = pages.next().map(|page| user(page.person)).into_iter().collect();
            event(
                plan.opened_at,
                "incident.triggered",
                service_reference.clone(),
                incident("triggered", triggered_to),
                random,
            );
            for page in pages.filter(|page| page.escalated) {
                event(
                    page.at,
                    "incident.escalated",
                    Value::Null,
                    incident("triggered", vec![user(page.person)]),
                    random,
                );
            }
            if let Some((who, at)) = plan.acknowledged {
                event(at, "incident.acknowledged", user(who), incident("acknowledged", vec![user(who)]), random);
            }
            if let (Some(sha), Some(at)) = (&root_cause, plan.annotated_at) {
                let agent = plan.acknowledged.map_or(Value::Null, |(who, _)| user(who));
                let note = json!({
                    "id": format!("N{}", random.text(PAGERDUTY_ALPHABET, 13)),
                    "type": "incident_note",
                    "content": format!("Postmortem started.\nRoot cause: {sha}"),
                    "incident": {
                        "id": incident_id,
                        "type": "incident_reference",
                        "self": format!("https://api.pagerduty.com/incidents/{incident_id}"),
                        "html_url": format!("{base}/incidents/{incident_id}"),
                    },
                });
                event(at, "incident.annotated", agent, note, random);
            }
            if let Some((who, at)) = plan.resolved {
                // Resolved by nobody: the monitor that triggered it resolved it.
                let agent = who.map_or_else(|| service_reference.clone(), user);
                event(at, "incident.resolved", agent, incident("resolved", Vec::new()), random);
            }
        }
    }
}
