//! The event envelope: the fields every Kinde event carries, and the parse entry points.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::{Iso8601, Rfc3339};

use super::data::EventData;
use super::error::{EnvelopeError, TimestampError};
use super::serde_util::json_kind;
use super::source::Source;
use super::user::User;

/// A verified Kinde webhook event: the envelope fields and the typed `data`.
///
/// Build one with [`Event::from_json`] from the verified JWT payload. Parsing fails only when
/// the envelope is unusable (see [`EnvelopeError`]). Any event with a usable envelope parses,
/// whatever its `type` and whatever the shape of its `data`.
///
/// Serializing writes the JSON shape Kinde sends, and deserializing runs [`Event::from_value`],
/// so an event survives a round trip unchanged. The JSON can differ from the original payload
/// where the model normalizes it: `null` role and permission lists come back as `[]`, and
/// missing nullable fields come back as `null` (the field docs say which).
///
/// The struct is `#[non_exhaustive]` because Kinde adds envelope fields over time. Build test
/// events from JSON, for example with the `testing::samples` module.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Event {
    /// The event id, `event_` followed by 32 lowercase hex digits. It is signed and stays the
    /// same across retries, so it is the key for de-duplication. Another format is accepted
    /// and logged at `debug`.
    pub event_id: String,
    /// The event type, such as `user.created` (JSON key `type`), as received.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The origin of the event, such as `admin`. A missing `source` reads as
    /// `Source::Other("")`.
    pub source: Source,
    /// The time of the event, as received. Read it with [`Event::parse_timestamp`].
    pub timestamp: String,
    /// A second timestamp that newer payloads carry. Kinde does not document how it differs
    /// from `timestamp`. `None` when absent or not a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_timestamp: Option<String>,
    /// The client's IP address, sent with `user.authenticated` and `user.authentication_failed`.
    /// `None` when absent or not a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// The `data` object, parsed according to `type`.
    pub data: EventData,
    /// Top-level fields that this crate does not model, kept as received.
    ///
    /// An `event_timestamp` or `ip_address` that is not a string also stays here, so that
    /// serializing writes it back unchanged.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Event {
    /// Parses a verified JWT payload into an event.
    ///
    /// # Errors
    ///
    /// Returns an [`EnvelopeError`] when the payload is not JSON or its envelope is unusable.
    /// A `data` object that does not match its type is not an error: it is kept as
    /// [`EventData::Other`] and logged at `warn`.
    pub fn from_json(payload: &[u8]) -> Result<Event, EnvelopeError> {
        let value = serde_json::from_slice(payload).map_err(EnvelopeError::InvalidJson)?;
        Event::from_value(value)
    }

    /// Parses an already decoded JWT payload into an event.
    ///
    /// # Errors
    ///
    /// Returns an [`EnvelopeError`] when the envelope is unusable, as for [`Event::from_json`].
    pub fn from_value(value: Value) -> Result<Event, EnvelopeError> {
        let Value::Object(mut envelope) = value else {
            return Err(EnvelopeError::NotAnObject {
                found: json_kind(&value),
            });
        };

        let event_type = take_string(&mut envelope, "type")?;
        let event_id = take_string(&mut envelope, "event_id")?;
        let timestamp = take_string(&mut envelope, "timestamp")?;
        let data = take_data(&mut envelope)?;

        let source = take_source(&mut envelope, &event_id);
        let event_timestamp = take_optional_string(&mut envelope, "event_timestamp");
        let ip_address = take_optional_string(&mut envelope, "ip_address");

        if !is_documented_event_id(&event_id) {
            tracing::debug!(
                event_id,
                event_type,
                "Kinde event id does not match `event_` followed by 32 hex digits"
            );
        }

        let data = EventData::parse(&event_type, data);
        if let EventData::Other(raw) = &data
            && let Some(parse_error) = &raw.parse_error
        {
            tracing::warn!(
                event_id,
                event_type,
                error = %parse_error,
                "Kinde event data does not match its documented shape, so it is kept as raw JSON"
            );
        }

        Ok(Event {
            event_id,
            event_type,
            source,
            timestamp,
            event_timestamp,
            ip_address,
            data,
            extra: envelope,
        })
    }

    /// Parses `timestamp` as an RFC 3339 date-time, keeping its offset.
    ///
    /// Any number of fractional digits and any offset are accepted, such as
    /// `2024-05-01T17:41:45.592145+10:00` or `2026-02-03T12:00:00.000Z`. When RFC 3339 does not
    /// match, ISO 8601 date-times are accepted too, such as those with a `+1000` or `+10` offset.
    ///
    /// # Errors
    ///
    /// Returns a [`TimestampError`] naming the field and the value when neither format matches.
    pub fn parse_timestamp(&self) -> Result<OffsetDateTime, TimestampError> {
        parse_date_time("timestamp", &self.timestamp)
    }

    /// Parses `event_timestamp` like [`Event::parse_timestamp`], returning `Ok(None)` when it is
    /// absent.
    ///
    /// # Errors
    ///
    /// Returns a [`TimestampError`] when the field is present but not a date-time.
    pub fn parse_event_timestamp(&self) -> Result<Option<OffsetDateTime>, TimestampError> {
        self.event_timestamp
            .as_deref()
            .map(|value| parse_date_time("event_timestamp", value))
            .transpose()
    }

    /// Returns the user of a `user.created` or `user.updated` event whose `data` parsed, and
    /// `None` for every other event.
    pub fn user(&self) -> Option<&User> {
        match &self.data {
            EventData::UserCreated(data) | EventData::UserUpdated(data) => Some(&data.user),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Event {
    /// Deserializes through [`Event::from_value`], with its leniency and its errors.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Event::from_value(value).map_err(serde::de::Error::custom)
    }
}

/// Removes a required string field from the envelope.
fn take_string(
    envelope: &mut Map<String, Value>,
    field: &'static str,
) -> Result<String, EnvelopeError> {
    match envelope.remove(field) {
        Some(Value::String(value)) => Ok(value),
        Some(other) => Err(EnvelopeError::InvalidField {
            field,
            found: json_kind(&other),
            expected: "a string",
        }),
        None => Err(EnvelopeError::MissingField { field }),
    }
}

/// Removes the required `data` object from the envelope.
fn take_data(envelope: &mut Map<String, Value>) -> Result<Value, EnvelopeError> {
    match envelope.remove("data") {
        Some(data @ Value::Object(_)) => Ok(data),
        Some(other) => Err(EnvelopeError::InvalidField {
            field: "data",
            found: json_kind(&other),
            expected: "an object",
        }),
        None => Err(EnvelopeError::MissingField { field: "data" }),
    }
}

/// Removes `source` from the envelope, reading a missing or non-string value leniently.
fn take_source(envelope: &mut Map<String, Value>, event_id: &str) -> Source {
    match envelope.remove("source") {
        Some(Value::String(source)) => Source::from(source),
        Some(other) => {
            tracing::debug!(
                event_id,
                found = json_kind(&other),
                "Kinde event `source` is not a string"
            );
            Source::Other(other.to_string())
        }
        None => {
            tracing::debug!(event_id, "Kinde event has no `source`");
            Source::Other(String::new())
        }
    }
}

/// Removes an optional string field from the envelope. A value of another JSON type, `null`
/// included, stays in the envelope so that it ends up in [`Event::extra`].
fn take_optional_string(envelope: &mut Map<String, Value>, field: &str) -> Option<String> {
    if !envelope.get(field).is_some_and(Value::is_string) {
        return None;
    }
    match envelope.remove(field) {
        Some(Value::String(value)) => Some(value),
        _ => None,
    }
}

/// Returns whether an event id has the documented form, `event_` followed by 32 lowercase hex
/// digits.
fn is_documented_event_id(event_id: &str) -> bool {
    event_id.strip_prefix("event_").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    })
}

/// Parses an RFC 3339 date-time, falling back to ISO 8601 for offsets such as `+1000`.
fn parse_date_time(field: &'static str, value: &str) -> Result<OffsetDateTime, TimestampError> {
    OffsetDateTime::parse(value, &Rfc3339).or_else(|rfc3339_error| {
        OffsetDateTime::parse(value, &Iso8601::DEFAULT)
            .map_err(|_| TimestampError::new(field, value, rfc3339_error))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_event_id_is_recognized() {
        assert!(is_documented_event_id(
            "event_018f331a3178f7fef284b95fe6770384"
        ));
    }

    #[test]
    fn malformed_event_ids_are_recognized() {
        for event_id in [
            "event_018f331a3178f7fef284b95fe677038",
            "event_018F331A3178F7FEF284B95FE6770384",
            "evt_018f331a3178f7fef284b95fe6770384",
            "event_018f331a3178f7fef284b95fe677038g",
        ] {
            assert!(!is_documented_event_id(event_id), "{event_id}");
        }
    }

    #[test]
    fn offset_without_colon_parses() {
        let parsed = parse_date_time("timestamp", "2024-05-01T17:41:45+1000").unwrap();
        assert_eq!(parsed.offset().whole_hours(), 10);
    }

    #[test]
    fn offset_with_hours_only_parses() {
        let parsed = parse_date_time("timestamp", "2024-05-01T17:41:45+10").unwrap();
        assert_eq!(parsed.offset().whole_hours(), 10);
    }

    #[test]
    fn date_without_time_is_rejected() {
        let error = parse_date_time("event_timestamp", "2024-05-01").unwrap_err();
        assert_eq!(error.field(), "event_timestamp");
        assert_eq!(error.value(), "2024-05-01");
    }

    #[test]
    fn null_optional_field_stays_in_envelope() {
        let mut envelope = Map::new();
        envelope.insert("ip_address".to_owned(), Value::Null);
        assert_eq!(take_optional_string(&mut envelope, "ip_address"), None);
        assert_eq!(envelope.get("ip_address"), Some(&Value::Null));
    }
}
