//! Scripted replies of the double.

use std::time::Duration;

use http::{HeaderName, HeaderValue, StatusCode};

/// A scripted reply for [`MockMailgun::reply_next`](super::MockMailgun::reply_next).
///
/// ```
/// use std::time::Duration;
/// use mailgun_lite::testing::MockReply;
/// use mailgun_lite::StatusCode;
///
/// // A 429 with `Retry-After: 1` and Mailgun's default rate-limit body.
/// let limited = MockReply::status(StatusCode::TOO_MANY_REQUESTS).retry_after("1");
/// // A normal response that takes 5 s, to make a client time out.
/// let slow = MockReply::delayed(Duration::from_secs(5));
/// # let _ = (limited, slow);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MockReply {
    pub(crate) status: Option<StatusCode>,
    pub(crate) body: Option<String>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) delay: Option<Duration>,
}

impl MockReply {
    /// Creates a reply with `status` and the body Mailgun sends with it. That
    /// is plain `Forbidden` for 401, JSON `{"message": …}` for most others,
    /// and for 429 and 420 a message ending in "try again after 1 seconds".
    pub fn status(status: StatusCode) -> Self {
        Self {
            status: Some(status),
            ..Self::default()
        }
    }

    /// Creates the normal reply, sent after `delay`. A message the double
    /// accepts this way is recorded when the delay ends.
    pub fn delayed(delay: Duration) -> Self {
        Self {
            delay: Some(delay),
            ..Self::default()
        }
    }

    /// Replaces the body of a [`status`](Self::status) reply.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Adds a `Retry-After` header, such as `"1"` or an HTTP date.
    ///
    /// # Panics
    ///
    /// When `value` is not a valid header value.
    pub fn retry_after(self, value: &str) -> Self {
        self.header("retry-after", value)
    }

    /// Adds a response header, such as `X-RateLimit-Reset`.
    ///
    /// # Panics
    ///
    /// When `name` or `value` is not valid in an HTTP header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let header_name = HeaderName::try_from(name)
            .unwrap_or_else(|_| panic!("invalid header name {name:?} in a MockReply"));
        let header_value = HeaderValue::try_from(value)
            .unwrap_or_else(|_| panic!("invalid value {value:?} for header {name} in a MockReply"));
        self.headers.push((header_name, header_value));
        self
    }

    /// Waits `delay` before replying.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

/// Returns Mailgun's body and content type for a status.
pub(crate) fn default_body(status: StatusCode, domain: &str) -> (String, &'static str) {
    let json = |message: String| {
        (
            serde_json::json!({ "message": message }).to_string(),
            "application/json",
        )
    };
    match status.as_u16() {
        400 => json("'to' parameter is not a valid address. please check documentation".into()),
        401 => ("Forbidden".into(), "text/plain; charset=utf-8"),
        403 => json(format!(
            "Domain {domain} is not allowed to send large batches yet"
        )),
        404 => json(format!("Domain not found: {domain}")),
        413 => json("request size exceeds 52.4MiB limit".into()),
        420 | 429 => json(format!(
            "Domain {domain} is not allowed to send: account-requests-per-sec limit exceeded, \
             try again after 1 seconds"
        )),
        500 => ("Internal Server Error".into(), "text/plain; charset=utf-8"),
        _ => {
            let reason = status.canonical_reason().unwrap_or("Error");
            if status.is_server_error() {
                (reason.to_owned(), "text/plain; charset=utf-8")
            } else {
                json(reason.to_owned())
            }
        }
    }
}
