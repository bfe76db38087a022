//! When to try a failed delivery again.

use std::time::Duration;

/// The first wait, after the first failed attempt.
const FIRST: Duration = Duration::from_secs(5);
/// No wait is longer than this: a page that waits longer is stale, and the
/// escalation's next step comes first anyway.
const CAP: Duration = Duration::from_secs(300);

/// How long to wait before the next attempt after `failed_attempts`
/// attempts that failed with a retryable error: 5 s, 15 s, 45 s, 135 s,
/// then 300 s (each three times the one before, capped at five minutes).
/// `0` failed attempts wait nothing.
///
/// The number of attempts is the caller's to decide; pages want few (the
/// escalation moves on by itself), e.g. four attempts in about a minute.
pub fn backoff(failed_attempts: u32) -> Duration {
    if failed_attempts == 0 {
        return Duration::ZERO;
    }
    let factor = 3u64.saturating_pow(failed_attempts - 1);
    FIRST.checked_mul(u32::try_from(factor).unwrap_or(u32::MAX)).map_or(CAP, |wait| wait.min(CAP))
}

/// [`backoff`] spread by ±25 %, so that deliveries that failed together (an
/// SMTP server that was down) do not all retry in the same second.
/// `unit` is a random number in `[0, 1)` the caller draws (clamped), which
/// keeps this function pure: `0.0` gives 75 % of the wait, `0.5` all of it.
pub fn backoff_with_jitter(failed_attempts: u32, unit: f64) -> Duration {
    let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.5 };
    backoff(failed_attempts).mul_f64(0.75 + unit / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_threefold_up_to_five_minutes() {
        let secs: Vec<u64> = (0..8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(secs, [0, 5, 15, 45, 135, 300, 300, 300]);
        assert_eq!(backoff(u32::MAX), CAP);
    }

    #[test]
    fn jitter_stays_within_a_quarter() {
        assert_eq!(backoff_with_jitter(2, 0.0), Duration::from_millis(11_250));
        assert_eq!(backoff_with_jitter(2, 0.5), Duration::from_secs(15));
        assert_eq!(backoff_with_jitter(2, 1.0), Duration::from_millis(18_750));
        assert_eq!(backoff_with_jitter(2, f64::NAN), Duration::from_secs(15));
        assert_eq!(backoff_with_jitter(2, 7.0), Duration::from_millis(18_750));
    }
}
