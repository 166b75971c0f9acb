//! The event types Kinde documents, as an enum and as strings.

use std::fmt;
use std::str::FromStr;

/// The number of event types Kinde documents.
const DOCUMENTED_COUNT: usize = 27;

/// One of the event types Kinde documents, named after its `type` string.
///
/// An event whose `type` is not in this list is still delivered: [`crate::Event::event_type`]
/// keeps the string and [`crate::EventData::Other`] keeps the data. The enum is
/// `#[non_exhaustive]` because Kinde adds types over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// `user.created`
    UserCreated,
    /// `user.updated`
    UserUpdated,
    /// `user.deleted`
    UserDeleted,
    /// `user.authenticated`
    UserAuthenticated,
    /// `user.authentication_failed`
    UserAuthenticationFailed,
    /// `organization.created`
    OrganizationCreated,
    /// `organization.updated`
    OrganizationUpdated,
    /// `organization.deleted`
    OrganizationDeleted,
    /// `role.created`
    RoleCreated,
    /// `role.updated`
    RoleUpdated,
    /// `role.deleted`
    RoleDeleted,
    /// `permission.created`
    PermissionCreated,
    /// `permission.updated`
    PermissionUpdated,
    /// `permission.deleted`
    PermissionDeleted,
    /// `subscriber.created`
    SubscriberCreated,
    /// `access_request.created`
    AccessRequestCreated,
    /// `passkey.added`
    PasskeyAdded,
    /// `passkey.removed`
    PasskeyRemoved,
    /// `customer.agreement_created`
    CustomerAgreementCreated,
    /// `customer.agreement_cancelled`
    CustomerAgreementCancelled,
    /// `customer.invoice_overdue`
    CustomerInvoiceOverdue,
    /// `customer.meter_usage_updated`
    CustomerMeterUsageUpdated,
    /// `customer.payment_failed`
    CustomerPaymentFailed,
    /// `customer.payment_succeeded`
    CustomerPaymentSucceeded,
    /// `customer.plan_created`
    CustomerPlanCreated,
    /// `customer.plan_assigned`
    CustomerPlanAssigned,
    /// `customer.plan_changed`
    CustomerPlanChanged,
}

impl EventType {
    /// Every documented event type, in the order of the variants.
    pub const ALL: [EventType; DOCUMENTED_COUNT] = [
        EventType::UserCreated,
        EventType::UserUpdated,
        EventType::UserDeleted,
        EventType::UserAuthenticated,
        EventType::UserAuthenticationFailed,
        EventType::OrganizationCreated,
        EventType::OrganizationUpdated,
        EventType::OrganizationDeleted,
        EventType::RoleCreated,
        EventType::RoleUpdated,
        EventType::RoleDeleted,
        EventType::PermissionCreated,
        EventType::PermissionUpdated,
        EventType::PermissionDeleted,
        EventType::SubscriberCreated,
        EventType::AccessRequestCreated,
        EventType::PasskeyAdded,
        EventType::PasskeyRemoved,
        EventType::CustomerAgreementCreated,
        EventType::CustomerAgreementCancelled,
        EventType::CustomerInvoiceOverdue,
        EventType::CustomerMeterUsageUpdated,
        EventType::CustomerPaymentFailed,
        EventType::CustomerPaymentSucceeded,
        EventType::CustomerPlanCreated,
        EventType::CustomerPlanAssigned,
        EventType::CustomerPlanChanged,
    ];

    /// Returns the `type` string Kinde sends, such as `"user.created"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::UserCreated => "user.created",
            EventType::UserUpdated => "user.updated",
            EventType::UserDeleted => "user.deleted",
            EventType::UserAuthenticated => "user.authenticated",
            EventType::UserAuthenticationFailed => "user.authentication_failed",
            EventType::OrganizationCreated => "organization.created",
            EventType::OrganizationUpdated => "organization.updated",
            EventType::OrganizationDeleted => "organization.deleted",
            EventType::RoleCreated => "role.created",
            EventType::RoleUpdated => "role.updated",
            EventType::RoleDeleted => "role.deleted",
            EventType::PermissionCreated => "permission.created",
            EventType::PermissionUpdated => "permission.updated",
            EventType::PermissionDeleted => "permission.deleted",
            EventType::SubscriberCreated => "subscriber.created",
            EventType::AccessRequestCreated => "access_request.created",
            EventType::PasskeyAdded => "passkey.added",
            EventType::PasskeyRemoved => "passkey.removed",
            EventType::CustomerAgreementCreated => "customer.agreement_created",
            EventType::CustomerAgreementCancelled => "customer.agreement_cancelled",
            EventType::CustomerInvoiceOverdue => "customer.invoice_overdue",
            EventType::CustomerMeterUsageUpdated => "customer.meter_usage_updated",
            EventType::CustomerPaymentFailed => "customer.payment_failed",
            EventType::CustomerPaymentSucceeded => "customer.payment_succeeded",
            EventType::CustomerPlanCreated => "customer.plan_created",
            EventType::CustomerPlanAssigned => "customer.plan_assigned",
            EventType::CustomerPlanChanged => "customer.plan_changed",
        }
    }

    /// Returns whether Kinde publishes this type's `data` shape, so that it is parsed into
    /// typed structs. The passkey and billing events are kept as raw JSON.
    pub const fn has_typed_data(self) -> bool {
        !matches!(
            self,
            EventType::PasskeyAdded
                | EventType::PasskeyRemoved
                | EventType::CustomerAgreementCreated
                | EventType::CustomerAgreementCancelled
                | EventType::CustomerInvoiceOverdue
                | EventType::CustomerMeterUsageUpdated
                | EventType::CustomerPaymentFailed
                | EventType::CustomerPaymentSucceeded
                | EventType::CustomerPlanCreated
                | EventType::CustomerPlanAssigned
                | EventType::CustomerPlanChanged
        )
    }
}

/// The `type` strings of the 27 event types Kinde documents, in the order of [`EventType::ALL`].
pub const EVENT_TYPES: [&str; DOCUMENTED_COUNT] = {
    let mut strings = [""; DOCUMENTED_COUNT];
    let mut index = 0;
    while index < DOCUMENTED_COUNT {
        strings[index] = EventType::ALL[index].as_str();
        index += 1;
    }
    strings
};

impl fmt::Display for EventType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = UnknownEventType;

    /// Parses a documented `type` string. The match is exact and case-sensitive.
    fn from_str(event_type: &str) -> Result<Self, Self::Err> {
        EventType::ALL
            .into_iter()
            .find(|known| known.as_str() == event_type)
            .ok_or_else(|| UnknownEventType {
                event_type: event_type.to_owned(),
            })
    }
}

/// The error from parsing a string that is not one of the documented event types.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{event_type}` is not an event type Kinde documents")]
pub struct UnknownEventType {
    event_type: String,
}

impl UnknownEventType {
    /// Returns the string that did not match.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_parses_from_its_string() {
        for event_type in EventType::ALL {
            assert_eq!(event_type.as_str().parse(), Ok(event_type));
        }
    }

    #[test]
    fn type_strings_are_distinct() {
        let mut strings = EVENT_TYPES.to_vec();
        strings.sort_unstable();
        strings.dedup();
        assert_eq!(strings.len(), DOCUMENTED_COUNT);
    }

    #[test]
    fn string_list_follows_enum_order() {
        assert_eq!(EVENT_TYPES[0], "user.created");
        assert_eq!(EVENT_TYPES[26], "customer.plan_changed");
    }

    #[test]
    fn sixteen_types_have_typed_data() {
        let typed = EventType::ALL
            .into_iter()
            .filter(|event_type| event_type.has_typed_data())
            .count();
        assert_eq!(typed, 16);
    }

    #[test]
    fn undocumented_type_is_rejected() {
        let error = "subscription.created".parse::<EventType>().unwrap_err();
        assert_eq!(error.event_type(), "subscription.created");
        assert_eq!(
            error.to_string(),
            "`subscription.created` is not an event type Kinde documents"
        );
    }

    #[test]
    fn type_match_is_case_sensitive() {
        assert!("User.Created".parse::<EventType>().is_err());
    }
}
