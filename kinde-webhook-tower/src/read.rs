//! Reading the request body under the verifier's token size limit.

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt as _;
use http_body_util::{LengthLimitError, Limited};

use crate::body::{BoxError, ResponseBody};
use crate::rejection::json_error;

/// A failure to read the body within the limit.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The body is over the limit. `declared` is the `Content-Length` or size
    /// hint that showed it before reading, if one did.
    TooLarge { limit: usize, declared: Option<u64> },
    /// The body stream failed, for example because the client disconnected.
    Unreadable(BoxError),
}

impl ReadError {
    /// Builds the response: 413 for a body over the limit, 400 for a body
    /// that failed to arrive.
    pub(crate) fn to_response<B>(&self) -> Response<ResponseBody<B>> {
        match self {
            Self::TooLarge { .. } => json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                &self.reason(),
            ),
            Self::Unreadable(_) => {
                json_error(StatusCode::BAD_REQUEST, "unreadable_body", &self.reason())
            }
        }
    }

    /// Returns the reason for the response body and the log.
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::TooLarge {
                limit,
                declared: Some(declared),
            } => {
                format!("the body is {declared} bytes, over the {limit}-byte token size limit")
            }
            Self::TooLarge {
                limit,
                declared: None,
            } => {
                format!("the body is over the {limit}-byte token size limit")
            }
            Self::Unreadable(error) => format!("reading the request body failed: {error}"),
        }
    }
}

/// Reads the whole body, or stops as soon as it is known to exceed `limit`
/// bytes: before reading when `Content-Length` or the body's size hint shows
/// it, otherwise at the first byte past the limit.
pub(crate) async fn read_limited<B>(
    headers: &HeaderMap,
    body: B,
    limit: usize,
) -> Result<Bytes, ReadError>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let limit_u64 = u64::try_from(limit).unwrap_or(u64::MAX);
    let declared = content_length(headers)
        .unwrap_or(0)
        .max(body.size_hint().lower());
    if declared > limit_u64 {
        return Err(ReadError::TooLarge {
            limit,
            declared: Some(declared),
        });
    }

    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<LengthLimitError>() => Err(ReadError::TooLarge {
            limit,
            declared: None,
        }),
        Err(error) => Err(ReadError::Unreadable(error)),
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
