//! Reading the request body under the verifier's token size limit.

use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_LENGTH, HeaderMap};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt as _;

use crate::error::{KindeWebhookError, payload_too_large};

/// Reads the whole body, or stops as soon as it is known to exceed `limit`
/// bytes: before reading when `Content-Length` exceeds it, otherwise at the
/// first chunk that goes past the limit.
pub(crate) async fn read_limited(
    headers: &HeaderMap,
    mut payload: Payload,
    limit: usize,
) -> Result<Bytes, KindeWebhookError> {
    let declared = content_length(headers);
    if let Some(declared) = declared
        && declared > u64::try_from(limit).unwrap_or(u64::MAX)
    {
        return Err(payload_too_large(limit, Some(declared)));
    }

    // The declared length is at most `limit` here, so reserving it is bounded.
    let capacity = declared
        .and_then(|length| usize::try_from(length).ok())
        .unwrap_or(0);
    let mut body = BytesMut::with_capacity(capacity);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| KindeWebhookError::unreadable_body(&error))?;
        if body.len() + chunk.len() > limit {
            return Err(payload_too_large(limit, None));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
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
