//! The `http` step (calling another CD system) and the health check.

use std::time::Duration;

use paved_domain::{HealthCheck, Step};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{Client, Method, Response};
use serde::Serialize;
use tokio::time::{Instant, sleep_until, timeout};

use crate::{LogSender, StepContext, StepError, span, system};

/// How much of a failed answer's body the error quotes.
const BODY_EXCERPT_CHARS: usize = 200;

/// The shortest wait for one health poll's answer.
const MIN_POLL_TIMEOUT: Duration = Duration::from_secs(2);

/// What the http step calls.
pub(crate) struct Call<'a> {
    /// The URL.
    pub url: &'a str,
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The runner's environment variable holding a bearer token.
    pub secret_env: Option<&'a str>,
}

/// The body the http step sends.
#[derive(Serialize)]
struct Notification<'a> {
    service: &'a str,
    environment: &'a str,
    version: &'a str,
    sha: Option<&'a str>,
    deployment_id: &'a str,
}

/// Sends the deploy to another CD system; any status but 2xx fails.
pub(crate) async fn call(step: &Step, call: &Call<'_>, ctx: &StepContext, log: &LogSender) -> Result<(), StepError> {
    let invalid = |problem: String| StepError::Invalid { step: step.name.clone(), problem };
    let method = Method::from_bytes(call.method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| invalid(format!("`{}` is not an HTTP method; write e.g. `POST`", call.method)))?;
    let url = redact_url(call.url);
    let secret = match call.secret_env {
        None => None,
        Some(variable) => Some(
            std::env::var(variable)
                .map_err(|_| StepError::MissingSecret { step: step.name.clone(), variable: variable.to_owned() })?,
        ),
    };
    let client = Client::builder()
        .build()
        .map_err(|error| StepError::Start { step: step.name.clone(), reason: format!("no HTTP client: {error}") })?;
    let body = Notification {
        service: &ctx.service,
        environment: &ctx.environment,
        version: &ctx.version,
        sha: ctx.sha.as_deref(),
        deployment_id: &ctx.deployment_id,
    };
    let mut request = client.request(method.clone(), call.url).json(&body);
    if let Some(secret) = &secret {
        let mut value = HeaderValue::from_str(&format!("Bearer {secret}")).map_err(|_| {
            invalid(format!(
                "the value of `{}` cannot be sent in a header (it holds a line break or another control character)",
                call.secret_env.unwrap_or_default()
            ))
        })?;
        value.set_sensitive(true);
        request = request.header(AUTHORIZATION, value);
    }
    let no_answer = |reason: String| StepError::HttpRequest {
        step: step.name.clone(),
        method: method.to_string(),
        url: url.clone(),
        reason,
    };
    let answered = timeout(step.timeout, async {
        let response = request.send().await?;
        let status = response.status();
        let excerpt = if status.is_success() { String::new() } else { excerpt(response).await };
        Ok::<_, reqwest::Error>((status, excerpt))
    })
    .await;
    let (status, excerpt) = match answered {
        Err(_) => return Err(StepError::TimedOut { step: step.name.clone(), after: step.timeout }),
        Ok(Err(error)) => return Err(no_answer(reason(&error))),
        Ok(Ok(answer)) => answer,
    };
    if status.is_success() {
        system(log, format!("{method} {url} answered {}", status.as_u16()));
        return Ok(());
    }
    // An answer may echo the request's header back; the token stays out of
    // the error and so out of the log.
    let body = match secret.as_deref() {
        Some(secret) if !secret.is_empty() => excerpt.replace(secret, "***"),
        _ => excerpt,
    };
    Err(StepError::HttpStatus {
        step: step.name.clone(),
        method: method.to_string(),
        url,
        status: status.as_u16(),
        body,
    })
}

/// The first characters of an answer's body, read no further than needed.
async fn excerpt(mut response: Response) -> String {
    let mut bytes = Vec::new();
    // Four bytes per character at most: enough for the excerpt.
    while bytes.len() < BODY_EXCERPT_CHARS * 4 {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    text.trim().chars().take(BODY_EXCERPT_CHARS).collect()
}

/// Polls until `consecutive` answers in a row have the expected status, or
/// the check's timeout passes.
pub(crate) async fn check_health(health: &HealthCheck, log: &LogSender) -> Result<(), StepError> {
    let url = redact_url(&health.url);
    let deadline = crate::deadline_after(health.timeout);
    let needed = health.consecutive.max(1);
    let client = Client::builder().build().map_err(|error| StepError::Unhealthy {
        url: url.clone(),
        expect: health.expect,
        last: format!("no HTTP client ({error})"),
        healthy: 0,
        consecutive: needed,
        timeout: health.timeout,
    })?;
    system(
        log,
        format!(
            "health check: GET {url} until {} answers {needed} times in a row, every {}, for at most {}",
            health.expect,
            span(health.interval),
            span(health.timeout)
        ),
    );
    let mut in_a_row = 0;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let wait = health.interval.max(MIN_POLL_TIMEOUT).min(remaining);
        let last = match timeout(wait, client.get(&health.url).send()).await {
            Ok(Ok(response)) => {
                let status = response.status().as_u16();
                in_a_row = if status == health.expect { in_a_row + 1 } else { 0 };
                status.to_string()
            }
            Ok(Err(error)) => {
                in_a_row = 0;
                format!("no answer ({})", reason(&error))
            }
            Err(_) => {
                in_a_row = 0;
                format!("no answer within {}", span(wait))
            }
        };
        system(log, format!("health {last} ({in_a_row}/{needed})"));
        if in_a_row >= needed {
            system(log, format!("healthy: {needed} answers {} in a row", health.expect));
            return Ok(());
        }
        let next = Instant::now() + health.interval;
        if next >= deadline {
            return Err(StepError::Unhealthy {
                url,
                expect: health.expect,
                last,
                healthy: in_a_row,
                consecutive: needed,
                timeout: health.timeout,
            });
        }
        sleep_until(next).await;
    }
}

/// Why a request got no answer, in a few words ("Connection refused (os
/// error 111)"): the innermost cause, which names what happened.
fn reason(error: &reqwest::Error) -> String {
    if error.is_builder() {
        return format!("the URL cannot be requested ({})", innermost(error));
    }
    innermost(error)
}

fn innermost(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// `url` with the password of its user info (or a user alone, which may be a
/// token) replaced by `***`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..].find(['/', '?', '#']).map_or(url.len(), |end| authority_start + end);
    let authority = &url[authority_start..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    // `user:password@`, or a token alone as the user (`https://<token>@host`).
    let shown = match authority[..at].split_once(':') {
        Some((user, _)) => format!("{user}:***"),
        None => "***".to_owned(),
    };
    format!("{}{shown}{}", &url[..authority_start], &url[authority_start + at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            redact_url("https://bot:s3cret@git.example/org/repo.git"),
            "https://bot:***@git.example/org/repo.git"
        );
        assert_eq!(redact_url("https://ghp_token@git.example/repo"), "https://***@git.example/repo");
        assert_eq!(redact_url("https://git.example/a@b"), "https://git.example/a@b");
        assert_eq!(redact_url("git@github.com:org/repo.git"), "git@github.com:org/repo.git");
        assert_eq!(redact_url("/srv/git/deploy.git"), "/srv/git/deploy.git");
    }
}
