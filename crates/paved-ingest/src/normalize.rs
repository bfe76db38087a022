//! The dispatch: one normaliser per [`Source`], chosen by a `match` with
//! no fallback arm, so a new source does not compile until it has one.

use paved_domain::Source;

use crate::contract::{IngestSettings, NormalizeError, Normalized, RawInput};
use crate::{alertmanager, api, events_v2, github, gitlab, pagerduty, paved};

/// Normalises a raw event of any source.
///
/// # Errors
/// [`NormalizeError`] when the event should yield records and cannot: the
/// body is not JSON, or a field the record needs is missing or malformed.
pub fn normalize(input: &RawInput<'_>, settings: &IngestSettings) -> Result<Normalized, NormalizeError> {
    match input.source {
        Source::GitHub => github::normalize(input, settings),
        Source::GitLab => gitlab::normalize(input, settings),
        Source::Alertmanager => alertmanager::normalize(input, settings),
        Source::PagerDuty => pagerduty::normalize(input, settings),
        Source::EventsV2 => events_v2::normalize(input, settings),
        Source::Api => api::normalize(input, settings),
        Source::Paved => paved::normalize(input),
    }
}
