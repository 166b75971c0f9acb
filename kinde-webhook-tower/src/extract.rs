//! [`KindeEvent`]: the axum extractor for the event that [`KindeWebhookLayer`](crate::KindeWebhookLayer) verified.

use std::convert::Infallible;
use std::fmt;
use std::ops::Deref;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use kinde_webhook::Event;

/// An axum extractor for the verified [`Event`] of a Kinde webhook.
///
/// It takes the event that [`KindeWebhookLayer`](crate::KindeWebhookLayer)
/// verified and put into the request extensions, so the route needs that
/// layer. It reads only the request parts, so it can sit beside other
/// extractors in any order. Without the layer it rejects the request with
/// [`MissingKindeWebhookLayer`] (500). `Option<KindeEvent>` is `None` instead,
/// for example on a method that the layer lets through unverified.
///
/// ```
/// use axum::http::StatusCode;
/// use kinde_webhook::EventData;
/// use kinde_webhook_tower::KindeEvent;
///
/// async fn on_webhook(KindeEvent(event): KindeEvent) -> StatusCode {
///     if let EventData::UserCreated(data) = &event.data {
///         println!("welcome {:?}", data.user.email());
///     }
///     StatusCode::OK
/// }
/// ```
#[derive(Debug, Clone)]
pub struct KindeEvent(pub Event);

impl KindeEvent {
    /// Returns the event.
    pub fn into_inner(self) -> Event {
        self.0
    }
}

impl Deref for KindeEvent {
    type Target = Event;

    fn deref(&self) -> &Event {
        &self.0
    }
}

impl<S> FromRequestParts<S> for KindeEvent
where
    S: Send + Sync,
{
    type Rejection = MissingKindeWebhookLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Event>() {
            Some(event) => Ok(Self(event.clone())),
            None => {
                tracing::warn!(
                    method = %parts.method,
                    path = parts.uri.path(),
                    "{MISSING_LAYER_MESSAGE}"
                );
                Err(MissingKindeWebhookLayer)
            }
        }
    }
}

impl<S> OptionalFromRequestParts<S> for KindeEvent
where
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Event>().cloned().map(Self))
    }
}

const MISSING_LAYER_MESSAGE: &str = "the KindeEvent extractor found no verified Kinde event in the request: \
add KindeWebhookLayer to this route, as in \
`post(handler).layer(KindeWebhookLayer::new(verifier))`";

/// The rejection of [`KindeEvent`] when the request carries no verified event
/// because [`KindeWebhookLayer`](crate::KindeWebhookLayer) is not on the route.
///
/// It is a server configuration error, so its response is
/// `500 Internal Server Error` with a plain-text message that names the
/// missing layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MissingKindeWebhookLayer;

impl MissingKindeWebhookLayer {
    /// Returns the message of the response body.
    pub fn message(&self) -> &'static str {
        MISSING_LAYER_MESSAGE
    }
}

impl fmt::Display for MissingKindeWebhookLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MISSING_LAYER_MESSAGE)
    }
}

impl std::error::Error for MissingKindeWebhookLayer {}

impl IntoResponse for MissingKindeWebhookLayer {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, MISSING_LAYER_MESSAGE).into_response()
    }
}
