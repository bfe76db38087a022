//! GitHub's custom deployment protection rule, answered: a
//! `deployment_protection_rule` delivery (action `requested`), once stored,
//! is evaluated by the deploy policy ([`paved_app::App::answer_protection_rule`])
//! and the verdict POSTed to its `deployment_callback_url` with the
//! configured token — in a task of its own, so that GitHub's delivery is
//! acknowledged as soon as it is durable.
//!
//! The token is sent only to the configured API (same origin, under its
//! path), only for signed deliveries, and never logged.

use std::time::Duration;

use paved_app::App;
use paved_app::deploy::ProtectionState;
use paved_ingest::github::{self, ProtectionRuleRequest};
use reqwest::Url;
use reqwest::header::{ACCEPT, USER_AGENT};
use serde_json::json;

use crate::AppState;
use crate::settings::{HookAuth, HookSource, Secret};

/// The REST API version the answer is written for.
const API_VERSION: &str = "2022-11-28";
/// How long one attempt at answering may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of GitHub's refusal that is logged.
const LOGGED_BODY: usize = 500;

/// Answers the protection rule `body` asks, when it asks one and pavedroad
/// may answer: a signed delivery, a configured token, a callback on the
/// configured API. Otherwise logs why not, once. Returns at once; the
/// answer is sent by a spawned task.
pub(super) fn answer_later(state: &AppState, body: &[u8], event_id: i64) {
    let request = match github::protection_rule_request(body) {
        Ok(Some(request)) => request,
        Ok(None) => {
            tracing::debug!(
                event_id,
                "a deployment_protection_rule delivery other than `requested`: nothing to answer"
            );
            return;
        }
        Err(error) => {
            tracing::warn!(event_id, problem = %error, "cannot answer this deployment protection rule delivery");
            return;
        }
    };
    if !matches!(state.settings.hook_auth(HookSource::GitHub), HookAuth::Secret(_)) {
        tracing::warn!(
            event_id,
            "deployment protection rules are answered only for signed deliveries; set {} to answer them",
            HookSource::GitHub.secret_variable()
        );
        return;
    }
    let api = &state.settings.github_api;
    let Some(token) = api.token() else {
        tracing::warn!(
            event_id,
            environment = %request.environment,
            repository = %request.repo,
            "a deployment protection rule waits for an answer, but no GitHub token is configured; set \
             PAVED_GITHUB_TOKEN (github_token) to a GitHub App installation token or a personal access token"
        );
        return;
    };
    let url = match api.callback_url(&request.callback_url) {
        Ok(url) => url,
        Err(problem) => {
            tracing::warn!(event_id, %problem, "not answering a deployment protection rule: its callback URL is not GitHub's");
            return;
        }
    };
    let answering = Answering {
        app: state.app.clone(),
        request,
        url,
        token: token.clone(),
        retry_delays: api.retry_delays.clone(),
        event_id,
    };
    tokio::spawn(answering.run());
}

/// One answer on its way to GitHub.
struct Answering {
    app: App,
    request: ProtectionRuleRequest,
    url: Url,
    token: Secret,
    retry_delays: Vec<Duration>,
    event_id: i64,
}

impl Answering {
    /// Decides, audits, and sends the answer.
    async fn run(self) {
        let event_id = self.event_id;
        let (state, comment) = match self.app.answer_protection_rule(&self.request).await {
            Ok(answer) => {
                if let Err(error) = self.app.audit(&answer.audit_entry(), Some(event_id)).await {
                    tracing::error!(event_id, %error, "could not audit the answer to a deployment protection rule");
                }
                tracing::info!(
                    event_id,
                    environment = %answer.environment,
                    service = answer.service.as_ref().map(ToString::to_string),
                    person = answer.person.as_ref().map(ToString::to_string),
                    state = answer.state.as_str(),
                    "decided a deployment protection rule"
                );
                (answer.state, answer.comment)
            }
            Err(error) => {
                tracing::error!(event_id, %error, "could not evaluate the deploy policy for a deployment protection rule");
                let comment = "❌ **Rejected by pavedroad**: the deploy policy could not be evaluated (an error on \
                               pavedroad's side, in its log). Re-run the job once pavedroad is healthy."
                    .to_owned();
                (ProtectionState::Rejected, comment)
            }
        };
        let body = json!({
            "environment_name": self.request.environment,
            "state": state.as_str(),
            "comment": comment,
        });
        self.send(&body, state).await;
    }

    /// POSTs `body` to the callback, retrying a 5xx or a failed connection
    /// after each of the retry delays.
    async fn send(&self, body: &serde_json::Value, state: ProtectionState) {
        let event_id = self.event_id;
        let client = match reqwest::Client::builder().timeout(ATTEMPT_TIMEOUT).build() {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(event_id, %error, "cannot build the HTTP client to answer GitHub");
                return;
            }
        };
        let attempts = self.retry_delays.len() + 1;
        for attempt in 1..=attempts {
            let sent = client
                .post(self.url.clone())
                .bearer_auth(self.token.expose_text())
                .header(ACCEPT, "application/vnd.github+json")
                .header("X-GitHub-Api-Version", API_VERSION)
                .header(USER_AGENT, concat!("pavedroad/", env!("CARGO_PKG_VERSION")))
                .json(body)
                .send()
                .await;
            let problem = match sent {
                Ok(response) if response.status().is_success() => {
                    tracing::info!(
                        event_id,
                        state = state.as_str(),
                        status = response.status().as_u16(),
                        attempt,
                        "answered GitHub's deployment protection rule"
                    );
                    return;
                }
                Ok(response) if response.status().is_server_error() => format!("GitHub answered {}", response.status()),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap_or_default();
                    let refusal: String = text.chars().take(LOGGED_BODY).collect();
                    tracing::warn!(
                        event_id,
                        status,
                        %refusal,
                        "GitHub refused the answer to a deployment protection rule (not retried); check that \
                         PAVED_GITHUB_TOKEN is a current installation token of the rule's GitHub App (they expire \
                         after an hour) and that the app may write deployments"
                    );
                    return;
                }
                Err(error) => format!("no answer from GitHub: {}", error.without_url()),
            };
            match self.retry_delays.get(attempt - 1) {
                Some(delay) => {
                    tracing::warn!(event_id, attempt, %problem, retry_in_ms = delay.as_millis(), "answering GitHub failed; retrying");
                    tokio::time::sleep(*delay).await;
                }
                None => tracing::error!(
                    event_id,
                    attempts,
                    %problem,
                    "could not answer GitHub's deployment protection rule; the deployment waits until someone \
                     redelivers the event from the GitHub App's advanced settings"
                ),
            }
        }
    }
}
