//! The responses the layer sends instead of calling the inner service.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt as _;
use http_body_util::combinators::UnsyncBoxBody;
use kinde_webhook::Error;

use crate::body::{BoxError, ResponseBody};

/// A user-supplied function that turns a verification error into a response.
pub(crate) type RejectionHook =
    Arc<dyn Fn(&Error) -> Response<UnsyncBoxBody<Bytes, BoxError>> + Send + Sync>;

/// Wraps a rejection function whose response body is any `Bytes` body.
pub(crate) fn hook<F, B>(on_rejection: F) -> RejectionHook
where
    F: Fn(&Error) -> Response<B> + Send + Sync + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    Arc::new(move |error: &Error| {
        on_rejection(error).map(|body| body.map_err(Into::into).boxed_unsync())
    })
}

/// Builds the response for a verification error: the hook's response when one
/// is set, otherwise the error's status, `Retry-After` when the error has one,
/// and `{"error": code, "reason": message}`.
pub(crate) fn reject<B>(error: &Error, hook: Option<&RejectionHook>) -> Response<ResponseBody<B>> {
    if let Some(hook) = hook {
        return hook(error).map(ResponseBody::boxed);
    }

    let mut response = json(error.status(), error.to_json_body());
    if let Some(retry_after) = error.retry_after() {
        set_retry_after(&mut response, retry_after);
    }
    response
}

/// Builds a response with a JSON body.
pub(crate) fn json<B>(status: StatusCode, body: String) -> Response<ResponseBody<B>> {
    let mut response = Response::new(ResponseBody::full(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Sets `Retry-After` in whole seconds.
pub(crate) fn set_retry_after<B>(response: &mut Response<B>, retry_after: Duration) {
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(retry_after.as_secs()));
}
