//! The steps of a `POST`: read the body, verify it, claim the event when
//! idempotency is on, then call the inner service.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::Body;
use kinde_webhook::{Error, Event};
use tower::Service;

use crate::body::{BoxError, ResponseBody};
use crate::idempotency::{call_and_settle, claim};
use crate::layer::Config;
use crate::read::read_limited;
use crate::rejection::reject;

/// Reads and verifies the webhook, then calls `inner` with the event in the
/// request extensions and the original bytes as the body. Rejections and
/// duplicates get their response here and never reach `inner`.
pub(crate) async fn verify_then_call<S, ReqBody, ResBody>(
    config: Arc<Config>,
    mut inner: S,
    request: Request<ReqBody>,
) -> Result<Response<ResponseBody<ResBody>>, S::Error>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ReqBody: Body + From<Bytes>,
    ReqBody::Error: Into<BoxError>,
{
    let (mut parts, body) = request.into_parts();

    let (event, bytes) = match read_and_verify(&config, &parts.headers, body).await {
        Ok(verified) => verified,
        Err(error) => {
            log_rejection(&error);
            return Ok(reject(&error, config.on_rejection.as_ref()));
        }
    };
    log_accepted(&event);

    let guard = match &config.idempotency {
        Some(idempotency) => match claim(idempotency, &event, config.on_rejection.as_ref()).await {
            Ok(guard) => Some(guard),
            Err(response) => return Ok(response),
        },
        None => None,
    };

    parts.extensions.insert(event);
    let request = Request::from_parts(parts, ReqBody::from(bytes));
    match guard {
        Some(guard) => call_and_settle(inner, request, guard).await,
        None => {
            let response = inner.call(request).await?;
            Ok(response.map(ResponseBody::inner))
        }
    }
}

async fn read_and_verify<B>(
    config: &Config,
    headers: &HeaderMap,
    body: B,
) -> Result<(Event, Bytes), Error>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let bytes = read_limited(headers, body, config.verifier.max_token_size()).await?;
    let event = config.verifier.verify(&bytes).await?;
    Ok((event, bytes))
}

fn log_accepted(event: &Event) {
    tracing::debug!(
        event_id = %event.event_id,
        event_type = %event.event_type,
        source = %event.source.as_str(),
        "accepted a verified Kinde webhook"
    );
}

/// Logs a rejection: at `warn` when the receiver cannot handle anything right
/// now (503: the JWKS or the idempotency store is unreachable), at `info` when
/// the webhook itself was rejected.
pub(crate) fn log_rejection(error: &Error) {
    let code = error.kind().code();
    if error.status() == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!(error = code, kid = error.kid(), reason = %error, "could not handle a Kinde webhook");
    } else {
        tracing::info!(error = code, kid = error.kid(), reason = %error, "rejected a Kinde webhook");
    }
}
