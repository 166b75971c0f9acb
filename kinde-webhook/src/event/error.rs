//! Errors from reading an event's envelope and timestamps.

/// The error from [`crate::Event::from_json`] and [`crate::Event::from_value`]: the envelope is
/// unusable.
///
/// Only the envelope can make parsing fail: the payload is not a JSON object, `type`,
/// `event_id` or `timestamp` is missing or not a string, or `data` is missing or not an object.
/// The message names the field and the JSON type found, and never quotes the payload.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The payload is not valid JSON.
    #[error("Kinde event payload is not valid JSON: {0}")]
    InvalidJson(#[source] serde_json::Error),
    /// The payload is valid JSON but not an object.
    #[error("Kinde event payload is {found}, expected a JSON object")]
    NotAnObject {
        /// The JSON type of the payload, such as `"an array"`.
        found: &'static str,
    },
    /// A required envelope field is absent.
    #[error("Kinde event envelope has no `{field}` field")]
    MissingField {
        /// The envelope field, such as `"type"`.
        field: &'static str,
    },
    /// A required envelope field has the wrong JSON type.
    #[error("Kinde event envelope field `{field}` is {found}, expected {expected}")]
    InvalidField {
        /// The envelope field, such as `"data"`.
        field: &'static str,
        /// The JSON type found, such as `"a string"`.
        found: &'static str,
        /// The JSON type required, such as `"an object"`.
        expected: &'static str,
    },
}

impl EnvelopeError {
    /// Returns the envelope field at fault, or `None` when the payload as a whole is unusable.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            EnvelopeError::MissingField { field } | EnvelopeError::InvalidField { field, .. } => {
                Some(field)
            }
            EnvelopeError::InvalidJson(_) | EnvelopeError::NotAnObject { .. } => None,
        }
    }
}

/// The error from [`crate::Event::parse_timestamp`] and
/// [`crate::Event::parse_event_timestamp`]: the string is not an RFC 3339 or ISO 8601
/// date-time with an offset.
#[derive(Debug, thiserror::Error)]
#[error("Kinde event `{field}` value {value:?} is not an RFC 3339 date-time: {source}")]
pub struct TimestampError {
    field: &'static str,
    value: String,
    #[source]
    source: time::error::Parse,
}

impl TimestampError {
    pub(crate) fn new(field: &'static str, value: &str, source: time::error::Parse) -> Self {
        TimestampError {
            field,
            value: value.to_owned(),
            source,
        }
    }

    /// Returns the envelope field that did not parse: `"timestamp"` or `"event_timestamp"`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// Returns the string that did not parse.
    pub fn value(&self) -> &str {
        &self.value
    }
}
