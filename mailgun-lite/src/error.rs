//! The crate's one error type and its kinds.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

/// Maximum number of characters of a response body kept in an [`Error`].
pub(crate) const BODY_SNIPPET_CHARS: usize = 512;

/// An error from building a client, validating a message or sending it.
///
/// The [`kind`](Error::kind) names the cause. Queries such as
/// [`is_retryable`](Error::is_retryable), [`status`](Error::status) and
/// [`retry_after`](Error::retry_after) give the details a caller acts on.
/// Neither `Display` nor `Debug` ever contains the API key.
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<StatusCode>,
    field: Option<String>,
    retry_after: Option<Duration>,
    body: Option<String>,
    source: Option<reqwest::Error>,
}

/// The cause of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The message failed validation before any request was made.
    /// [`Error::field`] names the offending field.
    InvalidMessage,
    /// The client configuration is invalid: a missing or invalid environment
    /// variable, an invalid domain or base URL, or a reqwest client that could
    /// not be built.
    InvalidConfig,
    /// Mailgun returned 401 (body `Forbidden`): the API key is wrong, is a
    /// public key, or belongs to the other region.
    Unauthorized,
    /// Mailgun returned 403: the account or domain may not send this message.
    Forbidden,
    /// Mailgun returned 404: the domain is unknown in this region.
    DomainNotFound,
    /// Mailgun returned 400: Mailgun rejected a parameter.
    BadRequest,
    /// Mailgun returned 413: the request is too large.
    PayloadTooLarge,
    /// Mailgun returned 429 or 420: a sending limit was reached.
    RateLimited,
    /// Mailgun returned a 5xx status.
    Server,
    /// Mailgun returned a status this crate does not map to a cause, such as
    /// 402 or a redirect.
    UnexpectedStatus,
    /// The server returned 200 without a message id, so it is not Mailgun's
    /// Messages API: the base URL or the domain is wrong and nothing was sent.
    WrongBaseUrl,
    /// The request timed out. Mailgun may have accepted the message.
    Timeout,
    /// No connection to Mailgun could be made, so the request was not sent.
    Connect,
    /// Another transport failure, such as a connection lost after the
    /// request was sent.
    Transport,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                field: None,
                retry_after: None,
                body: None,
                source: None,
            }),
        }
    }

    pub(crate) fn invalid_message(field: impl Into<String>, problem: impl fmt::Display) -> Self {
        let field = field.into();
        let message = format!("invalid message: `{field}` {problem}");
        let mut error = Self::new(ErrorKind::InvalidMessage, message);
        error.inner.field = Some(field);
        error
    }

    pub(crate) fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidConfig, message)
    }

    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_body(mut self, body: &str) -> Self {
        self.inner.body = Some(truncate(body, BODY_SNIPPET_CHARS));
        self
    }

    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        self.inner.retry_after = wait;
        self
    }

    pub(crate) fn with_source(mut self, source: reqwest::Error) -> Self {
        self.inner.source = Some(source);
        self
    }

    /// Returns the cause of this error.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Returns the HTTP status Mailgun returned, if a response arrived.
    pub fn status(&self) -> Option<StatusCode> {
        self.inner.status
    }

    /// Returns the message field that failed validation, such as `to` or
    /// `h:X-Campaign`, for [`ErrorKind::InvalidMessage`].
    pub fn field(&self) -> Option<&str> {
        self.inner.field.as_deref()
    }

    /// Returns how long Mailgun asked the caller to wait before sending again.
    ///
    /// Set for [`ErrorKind::RateLimited`] (and other responses carrying a
    /// `Retry-After` header) when the wait could be read from `Retry-After`,
    /// `X-RateLimit-Reset` or the "try again after …" text of the body.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Returns the start of the raw response body (at most 512 characters),
    /// for diagnostics.
    pub fn response_body(&self) -> Option<&str> {
        self.inner.body.as_deref()
    }

    /// Returns whether sending the same message again later may succeed.
    ///
    /// True for rate limits, 5xx statuses, timeouts and connection failures.
    /// After a 5xx or a timeout Mailgun may already have accepted the message,
    /// so a repeat can deliver it twice.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.inner.kind,
            ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Timeout | ErrorKind::Connect
        )
    }

    /// Returns whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Returns whether the message failed validation before any request.
    pub fn is_invalid_message(&self) -> bool {
        self.inner.kind == ErrorKind::InvalidMessage
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut debug = f.debug_struct("Error");
        debug.field("kind", &inner.kind);
        debug.field("message", &inner.message);
        if let Some(status) = inner.status {
            debug.field("status", &status);
        }
        if let Some(field) = &inner.field {
            debug.field("field", field);
        }
        if let Some(wait) = inner.retry_after {
            debug.field("retry_after", &wait);
        }
        if let Some(body) = &inner.body {
            debug.field("body", body);
        }
        if let Some(source) = &inner.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// Cuts `text` to at most `max_chars` characters, marking the cut with `…`.
pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_keeps_short_text() {
        assert_eq!(truncate("Forbidden", 512), "Forbidden");
    }

    #[test]
    fn truncate_cuts_on_char_boundary() {
        assert_eq!(truncate("ééé", 2), "éé…");
    }

    #[test]
    fn invalid_message_names_field() {
        let error = Error::invalid_message("to", "is missing");
        assert_eq!(error.kind(), ErrorKind::InvalidMessage);
        assert_eq!(error.field(), Some("to"));
        assert_eq!(error.to_string(), "invalid message: `to` is missing");
    }
}
