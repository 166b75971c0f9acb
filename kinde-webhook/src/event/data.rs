//! The per-type `data` of an event, and how it is parsed.

use serde::de::DeserializeOwned;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::event_type::EventType;
use super::organization::{OrganizationData, OrganizationDeletedData};
use super::role::{PermissionData, PermissionDeletedData, RoleData, RoleDeletedData};
use super::serde_util::json_kind;
use super::subscriber::{AccessRequestData, SubscriberData};
use super::user::{UserAuthenticatedData, UserAuthenticationFailedData, UserData, UserDeletedData};

/// The `data` object of an event, parsed according to the event's `type`.
///
/// The 16 event types with a published shape get typed structs. The passkey and billing events,
/// whose shapes Kinde does not publish, keep their `data` as raw JSON. Every other case lands in
/// [`EventData::Other`]: a `type` that is not documented, or a documented type whose `data` did
/// not match the expected shape. Serializing writes only the `data` object itself.
///
/// The enum is `#[non_exhaustive]`: when Kinde documents a new type, it gets its own variant,
/// and events of that type stop arriving as `Other`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum EventData {
    /// `user.created`
    UserCreated(UserData),
    /// `user.updated`
    UserUpdated(UserData),
    /// `user.deleted`
    UserDeleted(UserDeletedData),
    /// `user.authenticated`
    UserAuthenticated(UserAuthenticatedData),
    /// `user.authentication_failed`
    UserAuthenticationFailed(UserAuthenticationFailedData),
    /// `organization.created`
    OrganizationCreated(OrganizationData),
    /// `organization.updated`
    OrganizationUpdated(OrganizationData),
    /// `organization.deleted`
    OrganizationDeleted(OrganizationDeletedData),
    /// `role.created`
    RoleCreated(RoleData),
    /// `role.updated`
    RoleUpdated(RoleData),
    /// `role.deleted`
    RoleDeleted(RoleDeletedData),
    /// `permission.created`
    PermissionCreated(PermissionData),
    /// `permission.updated`
    PermissionUpdated(PermissionData),
    /// `permission.deleted`
    PermissionDeleted(PermissionDeletedData),
    /// `subscriber.created`
    SubscriberCreated(SubscriberData),
    /// `access_request.created`
    AccessRequestCreated(AccessRequestData),
    /// `passkey.added`, as raw JSON.
    PasskeyAdded(Value),
    /// `passkey.removed`, as raw JSON.
    PasskeyRemoved(Value),
    /// `customer.agreement_created`, as raw JSON.
    CustomerAgreementCreated(Value),
    /// `customer.agreement_cancelled`, as raw JSON.
    CustomerAgreementCancelled(Value),
    /// `customer.invoice_overdue`, as raw JSON.
    CustomerInvoiceOverdue(Value),
    /// `customer.meter_usage_updated`, as raw JSON.
    CustomerMeterUsageUpdated(Value),
    /// `customer.payment_failed`, as raw JSON.
    CustomerPaymentFailed(Value),
    /// `customer.payment_succeeded`, as raw JSON.
    CustomerPaymentSucceeded(Value),
    /// `customer.plan_created`, as raw JSON.
    CustomerPlanCreated(Value),
    /// `customer.plan_assigned`, as raw JSON.
    CustomerPlanAssigned(Value),
    /// `customer.plan_changed`, as raw JSON.
    CustomerPlanChanged(Value),
    /// An undocumented `type`, or a documented one whose `data` did not parse.
    Other(RawData),
}

/// The `data` of an event that has no typed variant, kept as received.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RawData {
    /// The `data` object as received.
    pub data: Value,
    /// The reason the typed parse failed, such as
    /// ``data.user.organizations[0].roles[0]: found a string, expected struct RoleRef``.
    /// `None` when the `type` is not documented, so no typed parse was tried.
    ///
    /// The message names the failing field and the JSON type found there, never a value.
    pub parse_error: Option<String>,
}

impl EventData {
    /// Returns the documented event type of a typed or raw variant, or `None` for
    /// [`EventData::Other`].
    ///
    /// `Other` can hold a documented type whose `data` did not parse, so use
    /// [`crate::Event::event_type`] to learn the type of any event.
    pub fn event_type(&self) -> Option<EventType> {
        let event_type = match self {
            EventData::UserCreated(_) => EventType::UserCreated,
            EventData::UserUpdated(_) => EventType::UserUpdated,
            EventData::UserDeleted(_) => EventType::UserDeleted,
            EventData::UserAuthenticated(_) => EventType::UserAuthenticated,
            EventData::UserAuthenticationFailed(_) => EventType::UserAuthenticationFailed,
            EventData::OrganizationCreated(_) => EventType::OrganizationCreated,
            EventData::OrganizationUpdated(_) => EventType::OrganizationUpdated,
            EventData::OrganizationDeleted(_) => EventType::OrganizationDeleted,
            EventData::RoleCreated(_) => EventType::RoleCreated,
            EventData::RoleUpdated(_) => EventType::RoleUpdated,
            EventData::RoleDeleted(_) => EventType::RoleDeleted,
            EventData::PermissionCreated(_) => EventType::PermissionCreated,
            EventData::PermissionUpdated(_) => EventType::PermissionUpdated,
            EventData::PermissionDeleted(_) => EventType::PermissionDeleted,
            EventData::SubscriberCreated(_) => EventType::SubscriberCreated,
            EventData::AccessRequestCreated(_) => EventType::AccessRequestCreated,
            EventData::PasskeyAdded(_) => EventType::PasskeyAdded,
            EventData::PasskeyRemoved(_) => EventType::PasskeyRemoved,
            EventData::CustomerAgreementCreated(_) => EventType::CustomerAgreementCreated,
            EventData::CustomerAgreementCancelled(_) => EventType::CustomerAgreementCancelled,
            EventData::CustomerInvoiceOverdue(_) => EventType::CustomerInvoiceOverdue,
            EventData::CustomerMeterUsageUpdated(_) => EventType::CustomerMeterUsageUpdated,
            EventData::CustomerPaymentFailed(_) => EventType::CustomerPaymentFailed,
            EventData::CustomerPaymentSucceeded(_) => EventType::CustomerPaymentSucceeded,
            EventData::CustomerPlanCreated(_) => EventType::CustomerPlanCreated,
            EventData::CustomerPlanAssigned(_) => EventType::CustomerPlanAssigned,
            EventData::CustomerPlanChanged(_) => EventType::CustomerPlanChanged,
            EventData::Other(_) => return None,
        };
        Some(event_type)
    }

    /// Parses `data` according to the `type` string and never fails.
    ///
    /// An undocumented type yields `Other` without a parse error. A documented type whose
    /// `data` does not match yields `Other` with the parse error.
    pub(crate) fn parse(event_type: &str, data: Value) -> EventData {
        let Ok(event_type) = event_type.parse::<EventType>() else {
            return EventData::Other(RawData {
                data,
                parse_error: None,
            });
        };

        match parse_documented(event_type, &data) {
            Ok(parsed) => parsed,
            Err(parse_error) => EventData::Other(RawData {
                data,
                parse_error: Some(parse_error),
            }),
        }
    }
}

/// Parses the `data` of a documented type into its variant, or describes why it failed.
fn parse_documented(event_type: EventType, data: &Value) -> Result<EventData, String> {
    let parsed = match event_type {
        EventType::UserCreated => EventData::UserCreated(typed(data)?),
        EventType::UserUpdated => EventData::UserUpdated(typed(data)?),
        EventType::UserDeleted => EventData::UserDeleted(typed(data)?),
        EventType::UserAuthenticated => EventData::UserAuthenticated(typed(data)?),
        EventType::UserAuthenticationFailed => EventData::UserAuthenticationFailed(typed(data)?),
        EventType::OrganizationCreated => EventData::OrganizationCreated(typed(data)?),
        EventType::OrganizationUpdated => EventData::OrganizationUpdated(typed(data)?),
        EventType::OrganizationDeleted => EventData::OrganizationDeleted(typed(data)?),
        EventType::RoleCreated => EventData::RoleCreated(typed(data)?),
        EventType::RoleUpdated => EventData::RoleUpdated(typed(data)?),
        EventType::RoleDeleted => EventData::RoleDeleted(typed(data)?),
        EventType::PermissionCreated => EventData::PermissionCreated(typed(data)?),
        EventType::PermissionUpdated => EventData::PermissionUpdated(typed(data)?),
        EventType::PermissionDeleted => EventData::PermissionDeleted(typed(data)?),
        EventType::SubscriberCreated => EventData::SubscriberCreated(typed(data)?),
        EventType::AccessRequestCreated => EventData::AccessRequestCreated(typed(data)?),
        EventType::PasskeyAdded => EventData::PasskeyAdded(data.clone()),
        EventType::PasskeyRemoved => EventData::PasskeyRemoved(data.clone()),
        EventType::CustomerAgreementCreated => EventData::CustomerAgreementCreated(data.clone()),
        EventType::CustomerAgreementCancelled => {
            EventData::CustomerAgreementCancelled(data.clone())
        }
        EventType::CustomerInvoiceOverdue => EventData::CustomerInvoiceOverdue(data.clone()),
        EventType::CustomerMeterUsageUpdated => EventData::CustomerMeterUsageUpdated(data.clone()),
        EventType::CustomerPaymentFailed => EventData::CustomerPaymentFailed(data.clone()),
        EventType::CustomerPaymentSucceeded => EventData::CustomerPaymentSucceeded(data.clone()),
        EventType::CustomerPlanCreated => EventData::CustomerPlanCreated(data.clone()),
        EventType::CustomerPlanAssigned => EventData::CustomerPlanAssigned(data.clone()),
        EventType::CustomerPlanChanged => EventData::CustomerPlanChanged(data.clone()),
    };
    Ok(parsed)
}

/// Deserializes `data` into `T`, describing a failure by its path and the JSON type found.
fn typed<T: DeserializeOwned>(data: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(data).map_err(|error| describe_parse_error(&error, data))
}

/// Describes a typed-parse failure without quoting any value from the payload.
///
/// serde's "invalid type" messages quote the offending value, which may be personal data
/// such as a name, so the value is replaced by its JSON type, looked up at the error's path.
fn describe_parse_error(
    error: &serde_path_to_error::Error<serde_json::Error>,
    data: &Value,
) -> String {
    let location = match error.path().to_string().as_str() {
        "." => "data".to_owned(),
        path => format!("data.{path}"),
    };

    let message = error.inner().to_string();
    let detail = match message.split_once(", expected ") {
        Some((found, expected)) if found.starts_with("invalid type: ") => {
            let kind = value_at(data, error.path()).map_or("a value of another type", json_kind);
            format!("found {kind}, expected {expected}")
        }
        _ => message,
    };

    format!("{location}: {detail}")
}

/// Follows a serde path through a JSON value.
fn value_at<'a>(data: &'a Value, path: &serde_path_to_error::Path) -> Option<&'a Value> {
    use serde_path_to_error::Segment;

    path.iter().try_fold(data, |value, segment| match segment {
        Segment::Seq { index } => value.get(*index),
        Segment::Map { key } => value.get(key.as_str()),
        Segment::Enum { .. } | Segment::Unknown => None,
    })
}

impl Serialize for EventData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            EventData::UserCreated(data) | EventData::UserUpdated(data) => {
                data.serialize(serializer)
            }
            EventData::UserDeleted(data) => data.serialize(serializer),
            EventData::UserAuthenticated(data) => data.serialize(serializer),
            EventData::UserAuthenticationFailed(data) => data.serialize(serializer),
            EventData::OrganizationCreated(data) | EventData::OrganizationUpdated(data) => {
                data.serialize(serializer)
            }
            EventData::OrganizationDeleted(data) => data.serialize(serializer),
            EventData::RoleCreated(data) | EventData::RoleUpdated(data) => {
                data.serialize(serializer)
            }
            EventData::RoleDeleted(data) => data.serialize(serializer),
            EventData::PermissionCreated(data) | EventData::PermissionUpdated(data) => {
                data.serialize(serializer)
            }
            EventData::PermissionDeleted(data) => data.serialize(serializer),
            EventData::SubscriberCreated(data) => data.serialize(serializer),
            EventData::AccessRequestCreated(data) => data.serialize(serializer),
            EventData::PasskeyAdded(data)
            | EventData::PasskeyRemoved(data)
            | EventData::CustomerAgreementCreated(data)
            | EventData::CustomerAgreementCancelled(data)
            | EventData::CustomerInvoiceOverdue(data)
            | EventData::CustomerMeterUsageUpdated(data)
            | EventData::CustomerPaymentFailed(data)
            | EventData::CustomerPaymentSucceeded(data)
            | EventData::CustomerPlanCreated(data)
            | EventData::CustomerPlanAssigned(data)
            | EventData::CustomerPlanChanged(data) => data.serialize(serializer),
            EventData::Other(raw) => raw.data.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse_error_of(event_type: &str, data: Value) -> String {
        match EventData::parse(event_type, data) {
            EventData::Other(raw) => raw.parse_error.expect("a documented type sets parse_error"),
            parsed => panic!("expected Other, got {parsed:?}"),
        }
    }

    #[test]
    fn parse_error_names_nested_path() {
        let data = json!({"user": {"id": "kp_1", "organizations": [
            {"code": "org_1", "roles": ["secret-role-key"]}
        ]}});
        let message = parse_error_of("user.created", data);
        assert_eq!(
            message,
            "data.user.organizations[0].roles[0]: found a string, expected struct RoleRef"
        );
    }

    #[test]
    fn parse_error_quotes_no_value() {
        let message = parse_error_of("user.created", json!({"user": "ada@example.com"}));
        assert!(!message.contains("ada@example.com"), "message: {message}");
    }

    #[test]
    fn parse_error_names_missing_field() {
        let message = parse_error_of("role.deleted", json!({"role": {}}));
        assert_eq!(message, "data.role: missing field `id`");
    }

    #[test]
    fn undocumented_type_has_no_parse_error() {
        let parsed = EventData::parse("subscription.created", json!({"id": 1}));
        let EventData::Other(raw) = parsed else {
            panic!("expected Other, got {parsed:?}");
        };
        assert_eq!(raw.parse_error, None);
        assert_eq!(raw.data, json!({"id": 1}));
    }

    #[test]
    fn raw_variant_keeps_data() {
        let data = json!({"customer_id": "customer_1"});
        assert_eq!(
            EventData::parse("customer.payment_failed", data.clone()),
            EventData::CustomerPaymentFailed(data)
        );
    }

    #[test]
    fn other_serializes_as_its_data() {
        let parsed = EventData::parse("subscription.created", json!({"id": 1}));
        assert_eq!(serde_json::to_value(parsed).unwrap(), json!({"id": 1}));
    }
}
