//! The steps of a `POST`: read the body, verify it, then call the inner service.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use kinde_webhook::{Error, Event};
use tower::Service;

use crate::body::{BoxError, ResponseBody};
use crate::layer::Config;
use crate::read::{ReadError, read_limited};
use crate::rejection::reject;

/// Reads and verifies the webhook, then calls `inner` with the event in the
/// request extensions and the original bytes as the body. Rejections get
/// their response here and never reach `inner`.
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

    let limit = config.verifier.max_token_size();
    let bytes = match read_limited(&parts.headers, body, limit).await {
        Ok(bytes) => bytes,
        Err(error) => {
            log_read_error(&error);
            return Ok(error.to_response());
        }
    };

    let event = match config.verifier.verify(&bytes).await {
        Ok(event) => event,
        Err(error) => {
            log_rejection(&error);
            return Ok(reject(&error, config.on_rejection.as_ref()));
        }
    };
    log_accepted(&event);

    parts.extensions.insert(event);
    let request = Request::from_parts(parts, ReqBody::from(bytes));
    let response = inner.call(request).await?;
    Ok(response.map(ResponseBody::inner))
}

fn log_accepted(event: &Event) {
    tracing::debug!(
        event_id = %event.event_id,
        event_type = %event.event_type,
        source = %event.source.as_str(),
        "accepted a verified Kinde webhook"
    );
}

/// Logs a verification failure: at `warn` when the receiver cannot verify
/// anything right now (503, such as the JWKS being unreachable), at `info`
/// when the webhook itself was rejected.
fn log_rejection(error: &Error) {
    let code = error.kind().code();
    if error.status() == StatusCode::SERVICE_UNAVAILABLE {
        tracing::warn!(error = code, kid = error.kid(), reason = %error, "could not verify a Kinde webhook");
    } else {
        tracing::info!(error = code, kid = error.kid(), reason = %error, "rejected a Kinde webhook");
    }
}

fn log_read_error(error: &ReadError) {
    tracing::info!(reason = %error.reason(), "rejected a Kinde webhook body");
}
