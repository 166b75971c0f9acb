//! Reading the request body under the verifier's token size limit.

use bytes::Bytes;
use http::HeaderMap;
use http::header::CONTENT_LENGTH;
use http_body::Body;
use http_body_util::BodyExt as _;
use http_body_util::{LengthLimitError, Limited};
use kinde_webhook::{Error, ErrorKind};

use crate::body::BoxError;

/// Reads the whole body, or stops as soon as it is known to exceed `limit`
/// bytes: before reading when `Content-Length` or the body's size hint shows
/// it, otherwise at the first byte past the limit.
///
/// A body over the limit is an [`ErrorKind::PayloadTooLarge`] error (413). A
/// body stream that fails, for example because the client disconnected, is
/// an [`ErrorKind::MalformedToken`] error (400), because no complete token
/// arrived.
pub(crate) async fn read_limited<B>(
    headers: &HeaderMap,
    body: B,
    limit: usize,
) -> Result<Bytes, Error>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    let declared = content_length(headers)
        .unwrap_or(0)
        .max(body.size_hint().lower());
    if declared > limit_u64 {
        let message =
            format!("the body is {declared} bytes, over the {limit}-byte token size limit");
        return Err(Error::new(ErrorKind::PayloadTooLarge, message));
    }

    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => {
            let message = format!("the body is over the {limit}-byte token size limit");
            Err(Error::new(ErrorKind::PayloadTooLarge, message))
        }
        Err(error) => {
            let message = format!("reading the request body failed: {error}");
            Err(Error::new(ErrorKind::MalformedToken, message))
        }
    }
}

/// Returns the `Content-Length` header's value, when it is a valid number.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}
