//! Turning Mailgun's responses and reqwest's failures into [`Sent`] or
//! [`Error`].

use std::time::Duration;

use reqwest::{Response, StatusCode};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::error::{Error, ErrorKind, truncate};
use crate::retry_after::requested_wait;

/// Maximum number of response body bytes read. Mailgun's bodies are small,
/// but a wrong base URL can return a large page.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Maximum number of characters of Mailgun's message quoted in an error's
/// `Display`.
const QUOTED_MESSAGE_CHARS: usize = 200;

/// Mailgun's response to an accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    id: String,
    message: String,
}

impl Sent {
    /// Returns the message id, with angle brackets as Mailgun sends it, such
    /// as `<20111114174239.25659.5817@samples.mailgun.org>`. Events and
    /// webhooks show it without the brackets.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Returns Mailgun's text, usually `Queued. Thank you.`
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[derive(Deserialize)]
struct Body {
    id: Option<String>,
    message: Option<String>,
}

/// Facts about the client that make errors actionable.
pub(crate) struct Target<'a> {
    pub(crate) domain: &'a str,
    pub(crate) base_url: &'a str,
    pub(crate) timeout: Duration,
}

/// Reads a response and maps it to the sent message or to an error.
pub(crate) async fn read_response(
    mut response: Response,
    target: &Target<'_>,
) -> Result<Sent, Error> {
    let status = response.status();
    if status.is_success() {
        let body = read_body(&mut response, target).await?;
        return sent_or_wrong_url(status, &body, target);
    }

    let headers = response.headers().clone();
    let body = read_body(&mut response, target).await?;
    let wait = requested_wait(&headers, &body, OffsetDateTime::now_utc());
    let error = status_error(status, &body, target, wait);
    Err(error
        .with_status(status)
        .with_body(&body)
        .with_retry_after(wait))
}

async fn read_body(response: &mut Response, target: &Target<'_>) -> Result<String, Error> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| transport_error(error, target))?
    {
        let room = MAX_BODY_BYTES - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if bytes.len() == MAX_BODY_BYTES {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn sent_or_wrong_url(status: StatusCode, body: &str, target: &Target<'_>) -> Result<Sent, Error> {
    if let Ok(Body {
        id: Some(id),
        message,
    }) = serde_json::from_str::<Body>(body)
        && !id.is_empty()
    {
        return Ok(Sent {
            id,
            message: message.unwrap_or_default(),
        });
    }
    let message = format!(
        "the server at {} returned {status} without a message id (body: {:?}), so it is not \
         Mailgun's Messages API and nothing was sent: check the base URL and the domain `{}`",
        target.base_url,
        truncate(body.trim(), 80),
        target.domain,
    );
    Err(Error::new(ErrorKind::WrongBaseUrl, message)
        .with_status(status)
        .with_body(body))
}

fn status_error(
    status: StatusCode,
    body: &str,
    target: &Target<'_>,
    wait: Option<std::time::Duration>,
) -> Error {
    let detail = mailgun_message(body);
    let domain = target.domain;
    let base_url = target.base_url;
    let (kind, message) = match status.as_u16() {
        400 => (
            ErrorKind::BadRequest,
            format!("Mailgun rejected the message ({status}): {detail}"),
        ),
        401 => (
            ErrorKind::Unauthorized,
            format!(
                "Mailgun rejected the API key ({status}: {detail}): check that it is a domain \
                 sending key or the primary key (not the public `pubkey-` key) and that \
                 domain `{domain}` belongs to the region of {base_url}"
            ),
        ),
        403 => (
            ErrorKind::Forbidden,
            format!("Mailgun does not allow domain `{domain}` to send this ({status}): {detail}"),
        ),
        404 => (
            ErrorKind::DomainNotFound,
            format!(
                "Mailgun did not find domain `{domain}` at {base_url} ({status}: {detail}): check \
                 the domain name and the region; an EU domain is only known at \
                 https://api.eu.mailgun.net"
            ),
        ),
        413 => (
            ErrorKind::PayloadTooLarge,
            format!("Mailgun rejected the request as too large ({status}): {detail}"),
        ),
        420 | 429 => (
            ErrorKind::RateLimited,
            match wait {
                Some(wait) => format!(
                    "Mailgun rate limit reached ({status}): {detail}; Mailgun asks to wait {} s before retrying",
                    wait.as_secs()
                ),
                None => format!("Mailgun rate limit reached ({status}): {detail}"),
            },
        ),
        500..=599 => (
            ErrorKind::Server,
            format!("Mailgun server error ({status}): {detail}"),
        ),
        300..=399 => (
            ErrorKind::UnexpectedStatus,
            format!(
                "{base_url} redirected the request ({status}); Mailgun's API does not \
                 redirect, so check the base URL"
            ),
        ),
        _ => (
            ErrorKind::UnexpectedStatus,
            format!("Mailgun returned {status}: {detail}"),
        ),
    };
    Error::new(kind, message)
}

/// Returns the `message` of a JSON error body, or else the body text.
fn mailgun_message(body: &str) -> String {
    let text = match serde_json::from_str::<Body>(body) {
        Ok(Body {
            message: Some(message),
            ..
        }) => message,
        _ => body.trim().to_owned(),
    };
    if text.is_empty() {
        return "empty body".to_owned();
    }
    truncate(&text, QUOTED_MESSAGE_CHARS)
}

/// Maps a reqwest failure (no response, or a broken body) to an error.
pub(crate) fn transport_error(error: reqwest::Error, target: &Target<'_>) -> Error {
    let cause = source_chain(&error);
    let base_url = target.base_url;
    let (kind, message) = if error.is_connect() {
        (
            ErrorKind::Connect,
            format!("could not connect to {base_url}: {cause}"),
        )
    } else if error.is_timeout() {
        (
            ErrorKind::Timeout,
            format!(
                "request to {base_url} timed out after {:?}; Mailgun may have accepted the \
                 message",
                target.timeout
            ),
        )
    } else {
        (
            ErrorKind::Transport,
            format!("request to {base_url} failed: {cause}"),
        )
    };
    Error::new(kind, message).with_source(error)
}

/// Joins an error and its sources with ": ", skipping repeated text.
fn source_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(error) = current {
        let text = error.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = error.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailgun_message_reads_json() {
        let body = r#"{"message": "from parameter is missing"}"#;
        assert_eq!(mailgun_message(body), "from parameter is missing");
    }

    #[test]
    fn mailgun_message_keeps_text() {
        assert_eq!(mailgun_message("Forbidden\n"), "Forbidden");
    }
}
