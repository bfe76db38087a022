//! Not written yet.

use crate::normalize::{IngestSettings, NormalizeError, Normalized, RawInput};

/// Normalises a raw event of this source.
///
/// # Errors
/// Never yet.
pub fn normalize(input: &RawInput<'_>, _settings: &IngestSettings) -> Result<Normalized, NormalizeError> {
    Ok(Normalized::Ignored(format!("{} events are not normalised yet", input.source)))
}
