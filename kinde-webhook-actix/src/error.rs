//! [`KindeWebhookError`]: why a webhook request was rejected, and its response.

use std::fmt;
use std::time::Duration;

use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use kinde_webhook::idempotency::IN_PROGRESS_RETRY_AFTER;
use kinde_webhook::{Error, ErrorKind};

/// The error code of a request whose body failed to arrive.
const UNREADABLE_BODY: &str = "unreadable_body";
/// The error code of a duplicate delivery whose first copy is still being handled.
const EVENT_IN_PROGRESS: &str = "event_in_progress";
/// The error code of a route that has no [`KindeWebhookConfig`](crate::KindeWebhookConfig).
const MISSING_CONFIGURATION: &str = "missing_configuration";

/// A rejected webhook request: the cause, and the response it gets unless a
/// [custom error handler](crate::KindeWebhookConfig::error_handler) replaces it.
///
/// The default response has the status of [`status`](Self::status), a
/// `Retry-After` header in seconds when [`retry_after`](Self::retry_after) is
/// set, and the short JSON body of [`to_json_body`](Self::to_json_body). No
/// part of it contains the token.
///
/// | [`code`](Self::code) | status | cause |
/// |---|---|---|
/// | the [`ErrorKind::code`] of a [`kinde_webhook::Error`] | [`kinde_webhook::Error::status`] | the body is over the verifier's size limit (`payload_too_large`, 413), the verifier rejected the token (400 or 401), the JWKS or the idempotency store is unavailable (503, `Retry-After: 30`) |
/// | `unreadable_body` | 400 | the body stream failed, for example because the client disconnected |
/// | `event_in_progress` | 409, `Retry-After: 5` | a duplicate arrived while the first delivery is still being handled |
/// | `missing_configuration` | 500 | no [`KindeWebhookConfig`](crate::KindeWebhookConfig) is registered for the route |
pub struct KindeWebhookError {
    repr: Repr,
}

enum Repr {
    Kinde(Error),
    Local {
        code: &'static str,
        status: StatusCode,
        message: String,
        retry_after: Option<Duration>,
    },
}

impl KindeWebhookError {
    /// Creates the error for a body stream that failed before its end.
    pub(crate) fn unreadable_body(error: &PayloadError) -> Self {
        Self::local(
            UNREADABLE_BODY,
            StatusCode::BAD_REQUEST,
            format!("reading the request body failed: {error}"),
            None,
        )
    }

    /// Creates the error for a duplicate of `event_id` whose first delivery is
    /// still being handled.
    pub(crate) fn in_progress(event_id: &str) -> Self {
        Self::local(
            EVENT_IN_PROGRESS,
            StatusCode::CONFLICT,
            format!(
                "event {event_id} is still being handled by another delivery, so retry after the Retry-After delay"
            ),
            Some(IN_PROGRESS_RETRY_AFTER),
        )
    }

    /// Creates the error for a route without a `KindeWebhookConfig`.
    pub(crate) fn missing_configuration() -> Self {
        Self::local(
            MISSING_CONFIGURATION,
            StatusCode::INTERNAL_SERVER_ERROR,
            "no KindeWebhookConfig is registered for this route: add \
             `.app_data(KindeWebhookConfig::new(verifier))` to the App, scope or resource"
                .to_owned(),
            None,
        )
    }

    fn local(
        code: &'static str,
        status: StatusCode,
        message: String,
        retry_after: Option<Duration>,
    ) -> Self {
        Self {
            repr: Repr::Local {
                code,
                status,
                message,
                retry_after,
            },
        }
    }

    /// Returns the HTTP status of the default response.
    pub fn status(&self) -> StatusCode {
        match &self.repr {
            Repr::Kinde(error) => convert_status(error.status().as_u16()),
            Repr::Local { status, .. } => *status,
        }
    }

    /// Returns a short, stable snake_case code for the cause, as in the table
    /// above, for error bodies and log fields.
    pub fn code(&self) -> &'static str {
        match &self.repr {
            Repr::Kinde(error) => error.kind().code(),
            Repr::Local { code, .. } => code,
        }
    }

    /// Returns the human-readable message, without the code. It never contains the token.
    pub fn message(&self) -> &str {
        match &self.repr {
            Repr::Kinde(error) => error.message(),
            Repr::Local { message, .. } => message,
        }
    }

    /// Returns how long Kinde should wait before redelivering: 30 s when the
    /// JWKS or the idempotency store is unavailable, 5 s for an event in
    /// progress, otherwise `None`.
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.repr {
            Repr::Kinde(error) => error.retry_after(),
            Repr::Local { retry_after, .. } => *retry_after,
        }
    }

    /// Returns the token header's `kid`, when the rejection happened after it was read.
    pub fn kid(&self) -> Option<&str> {
        match &self.repr {
            Repr::Kinde(error) => error.kid(),
            Repr::Local { .. } => None,
        }
    }

    /// Returns the [`kinde_webhook::Error`] behind this rejection, when the
    /// verifier, the size limit or the idempotency store caused it.
    pub fn kinde_error(&self) -> Option<&Error> {
        match &self.repr {
            Repr::Kinde(error) => Some(error),
            Repr::Local { .. } => None,
        }
    }

    /// Builds the JSON body of the default response:
    /// `{"error": "<code>", "reason": "<message>"}`.
    pub fn to_json_body(&self) -> String {
        serde_json::json!({ "error": self.code(), "reason": self.message() }).to_string()
    }
}

impl From<Error> for KindeWebhookError {
    fn from(error: Error) -> Self {
        Self {
            repr: Repr::Kinde(error),
        }
    }
}

/// Converts a status code of the `http` 1.x crate, which `kinde-webhook` uses,
/// to the `http` 0.2 type of actix-web 4.
fn convert_status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ResponseError for KindeWebhookError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        response.content_type("application/json");
        if let Some(retry_after) = self.retry_after() {
            response.insert_header((
                header::RETRY_AFTER,
                HeaderValue::from(retry_after.as_secs()),
            ));
        }
        response.body(self.to_json_body())
    }
}

impl fmt::Display for KindeWebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl fmt::Debug for KindeWebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindeWebhookError")
            .field("code", &self.code())
            .field("status", &self.status())
            .field("message", &self.message())
            .field("kid", &self.kid())
            .finish()
    }
}

impl std::error::Error for KindeWebhookError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.repr {
            Repr::Kinde(error) => Some(error),
            Repr::Local { .. } => None,
        }
    }
}

/// Creates the error for a body over the verifier's size limit. `declared` is
/// the `Content-Length` when it showed the excess before reading.
pub(crate) fn payload_too_large(limit: usize, declared: Option<u64>) -> KindeWebhookError {
    let message = match declared {
        Some(declared) => {
            format!("the body is {declared} bytes, over the {limit}-byte token size limit")
        }
        None => format!("the body is over the {limit}-byte token size limit"),
    };
    Error::new(ErrorKind::PayloadTooLarge, message).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinde_error_keeps_code_and_status() {
        let error = KindeWebhookError::from(Error::new(ErrorKind::JwksUnavailable, "JWKS down"));

        assert_eq!(error.code(), "jwks_unavailable");
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
        assert!(error.kinde_error().is_some());
    }

    #[test]
    fn in_progress_is_409_with_retry_after() {
        let error = KindeWebhookError::in_progress("event_1");
        let response = error.error_response();

        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "5");
        assert_eq!(error.code(), "event_in_progress");
    }

    #[test]
    fn payload_too_large_names_sizes() {
        let error = payload_too_large(1024, Some(2048));

        assert_eq!(error.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(error.code(), "payload_too_large");
        assert!(
            error.message().contains("2048 bytes"),
            "{}",
            error.message()
        );
        assert!(error.message().contains("1024-byte"), "{}", error.message());
    }

    #[test]
    fn json_body_has_code_and_reason() {
        let error = KindeWebhookError::missing_configuration();
        let body: serde_json::Value = serde_json::from_str(&error.to_json_body()).unwrap();

        assert_eq!(body["error"], "missing_configuration");
        assert!(
            body["reason"]
                .as_str()
                .unwrap()
                .contains("KindeWebhookConfig")
        );
    }
}
