//! De-duplication by the signed `event_id`: claim the event before the inner
//! service runs, then complete or release the claim by the outcome.

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt as _;
use http::{Request, Response, StatusCode};
use kinde_webhook::Event;
use kinde_webhook::idempotency::{Begin, ClaimGuard, IN_PROGRESS_RETRY_AFTER, Idempotency};
use tower::Service;

use crate::body::ResponseBody;
use crate::rejection::{RejectionHook, json, reject, set_retry_after};

/// Claims the event for this delivery.
///
/// Returns the guard to settle after the inner service ran, or the response
/// to send instead. An event already handled gets `200`. An event that an
/// earlier delivery is handling now gets `409` with `Retry-After: 5`. An
/// unreachable store gets the rejection of its error (503 with
/// `Retry-After: 30`).
pub(crate) async fn claim<B>(
    idempotency: &Idempotency,
    event: &Event,
    hook: Option<&RejectionHook>,
) -> Result<ClaimGuard, Response<ResponseBody<B>>> {
    match idempotency.begin(event).await {
        Ok(Begin::Proceed(guard)) => Ok(guard),
        Ok(Begin::Completed) => {
            tracing::debug!(event_id = %event.event_id, "skipped a Kinde webhook that was already handled");
            Err(duplicate_response(&event.event_id))
        }
        Ok(Begin::InProgress) => {
            tracing::info!(event_id = %event.event_id, "rejected a Kinde webhook whose earlier delivery is still being handled");
            Err(in_progress_response(&event.event_id))
        }
        Err(error) => {
            tracing::warn!(event_id = %event.event_id, error = error.kind().code(), reason = %error, "could not claim a Kinde webhook");
            Err(reject(&error, hook))
        }
    }
}

/// Calls the inner service and settles the claim by the outcome: a 2xx
/// response completes it, and any other status, an error or a panic releases
/// it so that Kinde's redelivery runs the inner service again.
///
/// A panic is caught only long enough to release the claim, then resumed.
/// A store failure while settling is logged and does not change the response,
/// because the inner service has already run. An unreleased claim expires
/// with its lease.
pub(crate) async fn call_and_settle<S, ReqBody, ResBody>(
    mut inner: S,
    request: Request<ReqBody>,
    guard: ClaimGuard,
) -> Result<Response<ResponseBody<ResBody>>, S::Error>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    let outcome = AssertUnwindSafe(inner.call(request)).catch_unwind().await;

    match outcome {
        Ok(Ok(response)) if response.status().is_success() => {
            complete(guard).await;
            Ok(response.map(ResponseBody::inner))
        }
        Ok(Ok(response)) => {
            let status = response.status();
            tracing::debug!(
                event_id = guard.event_id(),
                status = status.as_u16(),
                "released the claim after a non-2xx response"
            );
            release(guard).await;
            Ok(response.map(ResponseBody::inner))
        }
        Ok(Err(error)) => {
            tracing::debug!(
                event_id = guard.event_id(),
                "released the claim after the inner service failed"
            );
            release(guard).await;
            Err(error)
        }
        Err(panic) => {
            tracing::debug!(
                event_id = guard.event_id(),
                "released the claim after the inner service panicked"
            );
            release(guard).await;
            std::panic::resume_unwind(panic)
        }
    }
}

async fn complete(guard: ClaimGuard) {
    let event_id = guard.event_id().to_owned();
    if let Err(error) = guard.complete().await {
        tracing::warn!(
            event_id = %event_id,
            reason = %error,
            "could not mark a handled Kinde webhook as completed; a redelivery after the lease expires runs it again"
        );
    }
}

async fn release(guard: ClaimGuard) {
    let event_id = guard.event_id().to_owned();
    if let Err(error) = guard.release().await {
        tracing::warn!(
            event_id = %event_id,
            reason = %error,
            "could not release the claim of a Kinde webhook; redeliveries get 409 until its lease expires"
        );
    }
}

fn duplicate_response<B>(event_id: &str) -> Response<ResponseBody<B>> {
    let body = serde_json::json!({ "status": "duplicate", "event_id": event_id });
    json(StatusCode::OK, body.to_string())
}

fn in_progress_response<B>(event_id: &str) -> Response<ResponseBody<B>> {
    let retry_after = IN_PROGRESS_RETRY_AFTER.as_secs();
    let reason = format!(
        "event {event_id} is being handled by an earlier delivery; retry after {retry_after} s"
    );
    let body = serde_json::json!({ "error": "event_in_progress", "reason": reason });
    let mut response = json(StatusCode::CONFLICT, body.to_string());
    set_retry_after(&mut response, IN_PROGRESS_RETRY_AFTER);
    response
}
