//! The error returned when a webhook cannot be verified or the verifier cannot be built.

use std::fmt;
use std::time::Duration;

use http::StatusCode;

/// How long a receiver should ask Kinde to wait before redelivering after a
/// `503 Service Unavailable`.
pub const RETRY_AFTER_UNAVAILABLE: Duration = Duration::from_secs(30);

/// An error from verifying a Kinde webhook or from building a [`Verifier`](crate::Verifier).
///
/// The message names the value that failed and what to do about it. It never
/// contains the token, so it is safe to log and to return to the caller.
/// [`Error::kind`] distinguishes the causes and [`Error::status`] maps each one
/// to the HTTP status a webhook receiver should respond with.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    kid: Option<String>,
}

/// The cause of an [`Error`].
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The token is larger than the verifier's size limit. Maps to 413.
    PayloadTooLarge,
    /// The body is empty, is not three base64url segments, or its header or
    /// payload is not a JSON object. Maps to 400.
    MalformedToken,
    /// The signature is authentic but the payload is not a usable Kinde event
    /// envelope (for example `event_id` is missing). Maps to 400.
    InvalidEvent,
    /// The header's `alg` is not in the allow-list. `none` and the HMAC
    /// algorithms are never allowed. Maps to 401.
    DisallowedAlgorithm,
    /// The header has no `kid`. Maps to 401.
    MissingKid,
    /// No key in the JWKS has the header's `kid`, even after a refetch. Maps to 401.
    UnknownKid,
    /// The signature does not match the key. Maps to 401.
    InvalidSignature,
    /// A claim rule failed: an `aud` claim is present, `exp` or `nbf` fails, or
    /// the event is older than the configured maximum age. Maps to 401.
    RejectedClaim,
    /// No key could be had because the JWKS could not be fetched and nothing
    /// usable is cached. Maps to 503 with `Retry-After: 30`.
    JwksUnavailable,
    /// The idempotency store (for example Redis) could not be reached, so it is
    /// unknown whether the event was already handled. Maps to 503 with
    /// `Retry-After: 30`, so Kinde redelivers instead of risking a double run.
    StoreUnavailable,
    /// The verifier's configuration is invalid. Returned by the builder, never
    /// by verification. Maps to 500.
    InvalidConfiguration,
}

impl ErrorKind {
    /// Returns a short, stable snake_case code for this kind, suitable for
    /// machine-readable error bodies and log fields.
    pub fn code(self) -> &'static str {
        match self {
            Self::PayloadTooLarge => "payload_too_large",
            Self::MalformedToken => "malformed_token",
            Self::InvalidEvent => "invalid_event",
            Self::DisallowedAlgorithm => "disallowed_algorithm",
            Self::MissingKid => "missing_kid",
            Self::UnknownKid => "unknown_kid",
            Self::InvalidSignature => "invalid_signature",
            Self::RejectedClaim => "rejected_claim",
            Self::JwksUnavailable => "jwks_unavailable",
            Self::StoreUnavailable => "store_unavailable",
            Self::InvalidConfiguration => "invalid_configuration",
        }
    }

    /// Returns the HTTP status a webhook receiver responds with for this kind.
    pub fn status(self) -> StatusCode {
        match self {
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::MalformedToken | Self::InvalidEvent => StatusCode::BAD_REQUEST,
            Self::DisallowedAlgorithm
            | Self::MissingKid
            | Self::UnknownKid
            | Self::InvalidSignature
            | Self::RejectedClaim => StatusCode::UNAUTHORIZED,
            Self::JwksUnavailable | Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::InvalidConfiguration => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Returns true for the kinds that mean the token is not authentic or not
    /// acceptable (the 401 group).
    pub fn is_authentication_failure(self) -> bool {
        self.status() == StatusCode::UNAUTHORIZED
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Error {
    /// Creates an error of `kind` with a message that names the failing value
    /// and what to do. For integrations that detect a failure themselves, such
    /// as a body over the size limit seen while reading it.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                kid: None,
            }),
        }
    }

    /// Attaches the token header's `kid`, cut to 64 characters because it is
    /// attacker-controlled and ends up in log lines.
    pub(crate) fn with_kid(mut self, kid: &str) -> Self {
        self.inner.kid = Some(truncate(kid));
        self
    }

    /// Returns the cause of this error.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Returns the HTTP status a webhook receiver responds with.
    pub fn status(&self) -> StatusCode {
        self.inner.kind.status()
    }

    /// Returns how long Kinde should wait before redelivering, for errors that
    /// are worth a `Retry-After` header: [`ErrorKind::JwksUnavailable`] and
    /// [`ErrorKind::StoreUnavailable`].
    pub fn retry_after(&self) -> Option<Duration> {
        match self.inner.kind {
            ErrorKind::JwksUnavailable | ErrorKind::StoreUnavailable => {
                Some(RETRY_AFTER_UNAVAILABLE)
            }
            _ => None,
        }
    }

    /// Returns the token header's `kid`, when the error happened after it was
    /// read, cut to 64 characters (with `…`) when longer.
    pub fn kid(&self) -> Option<&str> {
        self.inner.kid.as_deref()
    }

    /// Returns the human-readable message without the kind's code.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Builds the short JSON error body that receivers send:
    /// `{"error": "<code>", "reason": "<message>"}`. It never contains the token.
    pub fn to_json_body(&self) -> String {
        serde_json::json!({
            "error": self.inner.kind.code(),
            "reason": self.inner.message,
        })
        .to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("message", &self.inner.message)
            .field("kid", &self.inner.kid)
            .finish()
    }
}

impl std::error::Error for Error {}

/// The maximum length, in characters, of an attacker-controlled value kept in
/// messages and log fields.
const MAX_ECHOED_CHARS: usize = 64;

/// Shortens an attacker-controlled value (an `alg` or a `kid`) before it goes
/// into a message or a log line, and escapes anything unprintable.
pub(crate) fn quote(value: &str) -> String {
    format!("{:?}", truncate(value))
}

fn truncate(value: &str) -> String {
    let mut truncated: String = value.chars().take(MAX_ECHOED_CHARS).collect();
    if value.chars().count() > MAX_ECHOED_CHARS {
        truncated.push('…');
    }
    truncated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping_matches_contract() {
        let cases = [
            (ErrorKind::PayloadTooLarge, 413),
            (ErrorKind::MalformedToken, 400),
            (ErrorKind::InvalidEvent, 400),
            (ErrorKind::DisallowedAlgorithm, 401),
            (ErrorKind::MissingKid, 401),
            (ErrorKind::UnknownKid, 401),
            (ErrorKind::InvalidSignature, 401),
            (ErrorKind::RejectedClaim, 401),
            (ErrorKind::JwksUnavailable, 503),
            (ErrorKind::StoreUnavailable, 503),
            (ErrorKind::InvalidConfiguration, 500),
        ];
        for (kind, status) in cases {
            assert_eq!(kind.status().as_u16(), status, "{kind}");
        }
    }

    #[test]
    fn retry_after_only_when_unavailable() {
        let unavailable = Error::new(ErrorKind::JwksUnavailable, "down");
        let unknown = Error::new(ErrorKind::UnknownKid, "unknown");

        assert_eq!(unavailable.retry_after(), Some(Duration::from_secs(30)));
        assert_eq!(unknown.retry_after(), None);
    }

    #[test]
    fn json_body_has_code_and_reason() {
        let error = Error::new(ErrorKind::MissingKid, "the token header has no kid");
        let body: serde_json::Value = serde_json::from_str(&error.to_json_body()).unwrap();

        assert_eq!(body["error"], "missing_kid");
        assert_eq!(body["reason"], "the token header has no kid");
    }

    #[test]
    fn quote_truncates_and_escapes() {
        assert_eq!(quote("RS256"), "\"RS256\"");
        assert_eq!(quote("a\nb"), "\"a\\nb\"");
        assert_eq!(quote(&"x".repeat(100)).chars().count(), 64 + 3);
    }

    #[test]
    fn long_kid_is_truncated() {
        let error = Error::new(ErrorKind::UnknownKid, "unknown").with_kid(&"A".repeat(150_000));

        assert_eq!(error.kid().unwrap().chars().count(), 65);
        assert!(error.kid().unwrap().ends_with('…'));
    }
}
