//! When and how long to wait before sending again after a failed attempt.

use std::time::Duration;

use rand::Rng as _;

use crate::error::{Error, ErrorKind};

/// The retry policy of [`Client::send`](crate::Client::send).
///
/// Retried: rate limits (429 and 420), 5xx statuses and connection failures,
/// and timeouts only with [`retry_timeouts`](Self::retry_timeouts). Never
/// retried: every other status, including 400, 401, 402, 403, 404 and 413.
///
/// The wait before the next attempt is the one Mailgun asked for (see
/// [`Error::retry_after`]), or else exponential backoff with jitter. A
/// requested wait longer than [`max_delay`](Self::max_delay) ends the retries
/// at once, so a caller facing an hour-long limit gets the
/// [`ErrorKind::RateLimited`] error (with its `retry_after`) and can queue the
/// message instead of blocking.
///
/// Mailgun has no idempotency key, so a 5xx after which Mailgun did accept
/// the message makes a retry deliver it twice. This happens in rare cases.
/// Set [`Message::correlation_id`](crate::Message::correlation_id) to be able
/// to find such duplicates.
///
/// ```
/// use std::time::Duration;
/// use mailgun_lite::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(200));
/// assert_eq!(policy.attempts(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
    retry_timeouts: bool,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 500 ms, waits of at most 30 s, 60 s in all,
    /// timeouts not retried.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(60),
            retry_timeouts: false,
        }
    }
}

impl RetryPolicy {
    /// Creates a policy that makes a single attempt.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// Sets the number of attempts, the first included (default 3). Zero is
    /// taken as 1.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the backoff before the second attempt (default 500 ms). It
    /// doubles for each further attempt, up to [`max_delay`](Self::max_delay),
    /// and the actual wait is drawn at random between half of it and all of
    /// it. Used when Mailgun states no wait.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the longest single wait between attempts (default 30 s). Backoff
    /// is capped at this value. A longer wait requested by Mailgun ends the
    /// retries instead.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets the time budget for waiting, counted from the start of the first
    /// attempt (default 60 s). No retry starts whose wait would end after it.
    /// Each attempt is bounded by the client's request timeout, so a send can
    /// take up to this budget plus one request timeout.
    pub fn max_elapsed(mut self, budget: Duration) -> Self {
        self.max_elapsed = budget;
        self
    }

    /// Sets whether timeouts are retried (default false). Mailgun may have
    /// accepted a message whose request timed out, so a retry can deliver it
    /// twice.
    pub fn retry_timeouts(mut self, enabled: bool) -> Self {
        self.retry_timeouts = enabled;
        self
    }

    /// Returns the number of attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Returns the wait before the attempt after `failed_attempt` (1 for the
    /// first), or `None` when `error` is final.
    pub(crate) fn delay_before_retry(
        &self,
        failed_attempt: u32,
        error: &Error,
        elapsed: Duration,
    ) -> Option<Duration> {
        if failed_attempt >= self.max_attempts || !self.retries(error.kind()) {
            return None;
        }
        let wait = match error.retry_after() {
            Some(requested) if requested > self.max_delay => return None,
            Some(requested) => requested,
            None => self.backoff(failed_attempt),
        };
        // A wait near `Duration::MAX` (a huge `Retry-After` under a huge
        // `max_delay`) overflows the sum, and such a wait ends the retries.
        match elapsed.checked_add(wait) {
            Some(end) if end <= self.max_elapsed => Some(wait),
            _ => None,
        }
    }

    fn retries(&self, kind: ErrorKind) -> bool {
        match kind {
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Connect => true,
            ErrorKind::Timeout => self.retry_timeouts,
            _ => false,
        }
    }

    /// Exponential backoff with jitter: a random wait between half and all of
    /// `initial_backoff * 2^(failed_attempt - 1)`, capped at `max_delay`.
    fn backoff(&self, failed_attempt: u32) -> Duration {
        let doubling = 2u32.saturating_pow(failed_attempt.saturating_sub(1));
        let full = self
            .initial_backoff
            .saturating_mul(doubling)
            .min(self.max_delay);
        let full_nanos = u64::try_from(full.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(full_nanos / 2..=full_nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn server_error() -> Error {
        Error::new(ErrorKind::Server, "500").with_status(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn rate_limited(wait: Duration) -> Error {
        Error::new(ErrorKind::RateLimited, "429").with_retry_after(Some(wait))
    }

    #[test]
    fn backoff_doubles_within_jitter() {
        let policy = RetryPolicy::default().initial_backoff(Duration::from_millis(100));
        for (attempt, full_ms) in [(1, 100), (2, 200), (3, 400)] {
            let wait = policy.backoff(attempt);
            assert!(wait >= Duration::from_millis(full_ms / 2), "{wait:?}");
            assert!(wait <= Duration::from_millis(full_ms), "{wait:?}");
        }
    }

    #[test]
    fn backoff_is_capped() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_secs(1))
            .max_delay(Duration::from_secs(2));
        assert!(policy.backoff(30) <= Duration::from_secs(2));
    }

    #[test]
    fn last_attempt_is_final() {
        let policy = RetryPolicy::default().max_attempts(2);
        assert!(
            policy
                .delay_before_retry(1, &server_error(), Duration::ZERO)
                .is_some()
        );
        assert!(
            policy
                .delay_before_retry(2, &server_error(), Duration::ZERO)
                .is_none()
        );
    }

    #[test]
    fn requested_wait_is_used() {
        let wait = Duration::from_secs(2);
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay_before_retry(1, &rate_limited(wait), Duration::ZERO),
            Some(wait)
        );
    }

    #[test]
    fn requested_wait_over_max_delay_stops() {
        let policy = RetryPolicy::default().max_delay(Duration::from_secs(5));
        let error = rate_limited(Duration::from_secs(120));
        assert_eq!(policy.delay_before_retry(1, &error, Duration::ZERO), None);
    }

    #[test]
    fn elapsed_budget_stops() {
        let policy = RetryPolicy::default().max_elapsed(Duration::from_secs(10));
        let error = rate_limited(Duration::from_secs(2));
        assert_eq!(
            policy.delay_before_retry(1, &error, Duration::from_secs(9)),
            None
        );
    }

    #[test]
    fn huge_requested_wait_stops() {
        let policy = RetryPolicy::default()
            .max_delay(Duration::MAX)
            .max_elapsed(Duration::MAX);
        let error = rate_limited(Duration::from_secs(u64::MAX));
        assert_eq!(
            policy.delay_before_retry(1, &error, Duration::from_secs(2)),
            None
        );
    }

    #[test]
    fn timeout_retried_only_when_enabled() {
        let timeout = Error::new(ErrorKind::Timeout, "timed out");
        let default = RetryPolicy::default();
        assert!(
            default
                .delay_before_retry(1, &timeout, Duration::ZERO)
                .is_none()
        );
        let enabled = RetryPolicy::default().retry_timeouts(true);
        assert!(
            enabled
                .delay_before_retry(1, &timeout, Duration::ZERO)
                .is_some()
        );
    }

    #[test]
    fn client_errors_are_final() {
        let policy = RetryPolicy::default();
        for kind in [
            ErrorKind::BadRequest,
            ErrorKind::Unauthorized,
            ErrorKind::Forbidden,
            ErrorKind::DomainNotFound,
            ErrorKind::PayloadTooLarge,
            ErrorKind::UnexpectedStatus,
            ErrorKind::WrongBaseUrl,
        ] {
            let error = Error::new(kind, "final");
            assert!(
                policy
                    .delay_before_retry(1, &error, Duration::ZERO)
                    .is_none(),
                "{kind:?} was retried"
            );
        }
    }
}
