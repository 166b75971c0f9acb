//! [`KindeEvent`]: the extractor that hands a handler a verified event.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use futures_util::future::LocalBoxFuture;
use kinde_webhook::Event;

use crate::config::KindeWebhookConfig;
use crate::error::KindeWebhookError;
use crate::verify::{VerifiedEvent, log_missing_configuration, verify_request};

/// A verified Kinde webhook event, extracted from the request.
///
/// When the [`KindeIdempotency`](crate::KindeIdempotency) middleware already
/// verified the request, the extractor takes its event. Otherwise it reads the
/// body under the verifier's token size limit (a `Content-Length` over the
/// limit is rejected before reading) and verifies it with the
/// [`KindeWebhookConfig`] in the app data. Any content type, or none, is
/// accepted: Kinde sends the raw JWT as `application/jwt`, and older
/// deliveries used `application/json`.
///
/// A rejection responds with a [`KindeWebhookError`] (400, 401, 413, or 503
/// with `Retry-After`), or with what the configured error handler returns, and
/// the handler is not called. Without a `KindeWebhookConfig` the response is a
/// 500 whose message names it.
///
/// ```
/// use actix_web::HttpResponse;
/// use kinde_webhook::EventData;
/// use kinde_webhook_actix::KindeEvent;
///
/// async fn on_webhook(KindeEvent(event): KindeEvent) -> HttpResponse {
///     match &event.data {
///         EventData::UserCreated(data) => println!("user {} created", data.user.id),
///         _ => println!("ignoring {}", event.event_type),
///     }
///     HttpResponse::Ok().finish()
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KindeEvent(pub Event);

impl KindeEvent {
    /// Unwraps the event.
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

impl FromRequest for KindeEvent {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if let Some(VerifiedEvent(event)) = request.extensions().get::<VerifiedEvent>() {
            let event = event.clone();
            return Box::pin(async move { Ok(KindeEvent(event)) });
        }

        let Some(config) = KindeWebhookConfig::from_app_data(request).cloned() else {
            let rejection = KindeWebhookError::missing_configuration();
            log_missing_configuration(request, &rejection);
            return Box::pin(async move { Err(rejection.into()) });
        };

        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            match verify_request(&request, payload, config.verifier()).await {
                Ok((event, _body)) => Ok(KindeEvent(event)),
                Err(rejection) => Err(config.reject(rejection, &request)),
            }
        })
    }
}
