//! The path shared by the extractor and the middleware: read the body, verify
//! it, and log the outcome.

use actix_web::HttpRequest;
use actix_web::dev::Payload;
use bytes::Bytes;
use kinde_webhook::{Event, Verifier};

use crate::body::read_limited;
use crate::error::KindeWebhookError;

/// A verified event that the middleware stores in the request extensions for
/// the extractor. Private, so no other code can insert an unverified event.
#[derive(Clone)]
pub(crate) struct VerifiedEvent(pub(crate) Event);

/// Reads the body under the verifier's token size limit and verifies it.
/// Returns the event and the body as received.
pub(crate) async fn verify_request(
    request: &HttpRequest,
    payload: Payload,
    verifier: &Verifier,
) -> Result<(Event, Bytes), KindeWebhookError> {
    let body = read_limited(request.headers(), payload, verifier.max_token_size())
        .await
        .inspect_err(log_rejection)?;

    let event = verifier
        .verify(&body)
        .await
        .map_err(KindeWebhookError::from)
        .inspect_err(log_rejection)?;

    tracing::debug!(
        event_id = %event.event_id,
        event_type = %event.event_type,
        source = event.source.as_str(),
        "accepted a verified Kinde webhook"
    );
    Ok((event, body))
}

/// Logs a rejection with its code, reason and `kid`, never the token or the body.
pub(crate) fn log_rejection(rejection: &KindeWebhookError) {
    tracing::info!(
        error = rejection.code(),
        reason = rejection.message(),
        kid = rejection.kid(),
        "rejected a Kinde webhook"
    );
}

/// Logs a request that reached the extractor or the middleware on a route
/// without configuration.
pub(crate) fn log_missing_configuration(request: &HttpRequest, rejection: &KindeWebhookError) {
    tracing::warn!(
        path = request.path(),
        reason = rejection.message(),
        "cannot verify a Kinde webhook"
    );
}
