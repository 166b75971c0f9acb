//! Sample payloads of Kinde events, for testing webhook handlers.
//!
//! Each function returns a [`SampleEvent`] whose JSON has the shape Kinde sends: ids such as
//! `kp_` + 32 hex digits and `org_` + 11 hex digits, and a timestamp with microseconds and a
//! `+10:00` offset. The names and addresses are fictional and use `example.com`. Every sample
//! gets a fresh `event_id`, so handlers that de-duplicate on it see distinct events.
//!
//! ```
//! use kinde_webhook::testing::samples;
//! use kinde_webhook::{EventData, EventType};
//! use serde_json::json;
//!
//! // A typed sample, adjusted with setters.
//! let sample = samples::user_created()
//!     .email(None)
//!     .first_name(Some("Grace"))
//!     .source("api");
//! let event = sample.to_event();
//! assert_eq!(event.user().unwrap().email(), None);
//! assert_eq!(event.user().unwrap().first_name.as_deref(), Some("Grace"));
//!
//! // Any part of `data`, or of the whole envelope, can be edited as JSON.
//! let event = samples::user_updated()
//!     .with_data(|data| data["user"]["phone"] = json!("+61400000000"))
//!     .with_envelope(|envelope| envelope["partner_id"] = json!("p_1"))
//!     .to_event();
//! assert_eq!(event.extra["partner_id"], "p_1");
//!
//! // Every documented type, including the passkey and billing events.
//! let event = samples::of_type(EventType::CustomerPaymentFailed).to_event();
//! assert!(matches!(event.data, EventData::CustomerPaymentFailed(_)));
//!
//! // Any type string with any data.
//! let event = samples::event("subscription.created", json!({"id": "sub_1"})).to_event();
//! assert!(matches!(event.data, EventData::Other(_)));
//!
//! // `to_json` gives the JWT payload to sign.
//! let payload = samples::user_deleted().event_id("event_0123456789abcdef0123456789abcdef").to_json();
//! assert_eq!(payload["event_id"], "event_0123456789abcdef0123456789abcdef");
//! ```

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};
use serde_json::{Value, json};

use crate::{Event, EventType};

/// The user id of the typed samples.
const USER_ID: &str = "kp_3f1c9a0d5e7b42c8a6d0b1e2f3a4c5d6";
/// The organization code of the typed samples.
const ORG_CODE: &str = "org_7c1e5ab93d2";
/// The timestamp of every sample, in the form of a real payload.
const TIMESTAMP: &str = "2024-05-01T17:41:45.592145+10:00";
/// The client address of the authentication samples, from the documentation range
/// 203.0.113.0/24.
const IP_ADDRESS: &str = "203.0.113.7";

/// A sample event payload: the JSON envelope, with setters for the fields tests change most.
///
/// Setters take and return the sample, so that they chain. The setters that write into
/// `data.user` (`user_id`, `email`, `first_name`, `last_name`) create `data.user` when it is
/// missing, and panic when the envelope, `data` or `data.user` has been replaced by a JSON value
/// that is not an object.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleEvent {
    envelope: Value,
}

impl SampleEvent {
    /// Sets `event_id`, replacing the fresh one.
    pub fn event_id(mut self, event_id: &str) -> Self {
        self.envelope["event_id"] = json!(event_id);
        self
    }

    /// Sets `source`, such as `"admin"`, `"api"` or `"user"`.
    pub fn source(mut self, source: &str) -> Self {
        self.envelope["source"] = json!(source);
        self
    }

    /// Sets `timestamp`.
    pub fn timestamp(mut self, timestamp: &str) -> Self {
        self.envelope["timestamp"] = json!(timestamp);
        self
    }

    /// Sets `event_timestamp`, or removes it with `None`.
    pub fn event_timestamp(self, event_timestamp: Option<&str>) -> Self {
        self.set_or_remove("event_timestamp", event_timestamp)
    }

    /// Sets the top-level `ip_address`, or removes it with `None`.
    pub fn ip_address(self, ip_address: Option<&str>) -> Self {
        self.set_or_remove("ip_address", ip_address)
    }

    /// Sets `data.user.id`.
    pub fn user_id(mut self, user_id: &str) -> Self {
        self.envelope["data"]["user"]["id"] = json!(user_id);
        self
    }

    /// Sets `data.user.email`. `None` writes `null`, as Kinde does for phone-only users.
    pub fn email(mut self, email: Option<&str>) -> Self {
        self.envelope["data"]["user"]["email"] = json!(email);
        self
    }

    /// Sets `data.user.first_name`. `None` writes `null`.
    pub fn first_name(mut self, first_name: Option<&str>) -> Self {
        self.envelope["data"]["user"]["first_name"] = json!(first_name);
        self
    }

    /// Sets `data.user.last_name`. `None` writes `null`.
    pub fn last_name(mut self, last_name: Option<&str>) -> Self {
        self.envelope["data"]["user"]["last_name"] = json!(last_name);
        self
    }

    /// Edits `data` as JSON, for any change the setters do not cover. The closure may replace
    /// `data` with a value that is not an object.
    pub fn with_data(mut self, edit: impl FnOnce(&mut Value)) -> Self {
        edit(&mut self.envelope["data"]);
        self
    }

    /// Edits the whole envelope as JSON, for example to add an unknown field or to remove
    /// `type`.
    pub fn with_envelope(mut self, edit: impl FnOnce(&mut Value)) -> Self {
        edit(&mut self.envelope);
        self
    }

    /// Returns the payload as JSON, ready to be signed as the JWT payload.
    pub fn to_json(&self) -> Value {
        self.envelope.clone()
    }

    /// Parses the payload into an [`Event`], as a verifier would after checking the signature.
    ///
    /// # Panics
    ///
    /// Panics when an edit made the envelope unusable. Use [`Event::from_value`] on
    /// [`SampleEvent::to_json`] to test that case.
    pub fn to_event(&self) -> Event {
        Event::from_value(self.to_json())
            .unwrap_or_else(|error| panic!("sample event has an unusable envelope: {error}"))
    }

    fn set_or_remove(mut self, field: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.envelope[field] = json!(value),
            None => {
                if let Some(envelope) = self.envelope.as_object_mut() {
                    envelope.remove(field);
                }
            }
        }
        self
    }
}

impl Serialize for SampleEvent {
    /// Serializes the payload, so that a sample can be signed directly.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.envelope.serialize(serializer)
    }
}

impl From<SampleEvent> for Value {
    fn from(sample: SampleEvent) -> Self {
        sample.envelope
    }
}

/// Returns a new event id, `event_` followed by 32 lowercase hex digits.
///
/// The first 16 digits are fixed per process, from the start time and the process id, and the
/// last 16 count up. So ids are unique within a process and, in practice, across processes.
pub fn fresh_event_id() -> String {
    static PROCESS_PART: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let process_part = *PROCESS_PART.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos() as u64);
        nanos ^ (u64::from(std::process::id()) << 32)
    });
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);

    format!("event_{process_part:016x}{count:016x}")
}

/// Returns a sample of any type string with the given `data`, source `admin` and a fresh
/// `event_id`.
pub fn event(event_type: &str, data: Value) -> SampleEvent {
    SampleEvent {
        envelope: json!({
            "type": event_type,
            "event_id": fresh_event_id(),
            "source": "admin",
            "timestamp": TIMESTAMP,
            "data": data,
        }),
    }
}

/// Returns a sample of a documented event type.
///
/// The 16 typed events get the data of their own functions below. The passkey and billing
/// events, whose shapes Kinde does not publish, get small made-up data.
pub fn of_type(event_type: EventType) -> SampleEvent {
    match event_type {
        EventType::UserCreated => user_created(),
        EventType::UserUpdated => user_updated(),
        EventType::UserDeleted => user_deleted(),
        EventType::UserAuthenticated => user_authenticated(),
        EventType::UserAuthenticationFailed => user_authentication_failed(),
        EventType::OrganizationCreated => organization_created(),
        EventType::OrganizationUpdated => organization_updated(),
        EventType::OrganizationDeleted => organization_deleted(),
        EventType::RoleCreated => role_created(),
        EventType::RoleUpdated => role_updated(),
        EventType::RoleDeleted => role_deleted(),
        EventType::PermissionCreated => permission_created(),
        EventType::PermissionUpdated => permission_updated(),
        EventType::PermissionDeleted => permission_deleted(),
        EventType::SubscriberCreated => subscriber_created(),
        EventType::AccessRequestCreated => access_request_created(),
        EventType::PasskeyAdded | EventType::PasskeyRemoved => {
            // NOTE: Kinde publishes no passkey payload, so this data is a guess.
            event(event_type.as_str(), json!({"user": {"id": USER_ID}}))
        }
        EventType::CustomerAgreementCreated
        | EventType::CustomerAgreementCancelled
        | EventType::CustomerInvoiceOverdue
        | EventType::CustomerMeterUsageUpdated
        | EventType::CustomerPaymentFailed
        | EventType::CustomerPaymentSucceeded
        | EventType::CustomerPlanCreated
        | EventType::CustomerPlanAssigned
        | EventType::CustomerPlanChanged => {
            // NOTE: Kinde publishes no billing payload, so this data is a guess.
            event(
                event_type.as_str(),
                json!({
                    "customer_id": "customer_0198651a9b96b5bb666f8441f2d73c0e",
                    "user_id": USER_ID,
                    "org_code": ORG_CODE,
                }),
            )
        }
    }
}

/// Returns a `user.created` sample: a user with an email address, names and one organization
/// whose roles and permissions are `null`, as in a real payload.
pub fn user_created() -> SampleEvent {
    event(
        "user.created",
        json!({"user": {
            "id": USER_ID,
            "email": "ada.lovelace@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "username": "ada",
            "phone": null,
            "is_suspended": false,
            "is_password_reset_requested": false,
            "organizations": [{"code": ORG_CODE, "roles": null, "permissions": null}],
        }}),
    )
}

/// Returns a `user.updated` sample: the `user.created` user, now with a role and a permission
/// in its organization.
pub fn user_updated() -> SampleEvent {
    user_created()
        .with_envelope(|envelope| envelope["type"] = json!("user.updated"))
        .with_data(|data| {
            data["user"]["organizations"][0]["roles"] = json!([
                {"id": "0190b5c2-8d4e-7a31-9f62-3c1d2e4f5a6b", "key": "admin"}
            ]);
            data["user"]["organizations"][0]["permissions"] = json!([
                {"id": "0190b5c2-8d4e-7a31-9f62-3c1d2e4f5a6c", "key": "read:reports"}
            ]);
        })
}

/// Returns a `user.deleted` sample.
pub fn user_deleted() -> SampleEvent {
    event("user.deleted", json!({"user": {"id": USER_ID}}))
}

/// Returns a `user.authenticated` sample with a top-level `ip_address`.
pub fn user_authenticated() -> SampleEvent {
    event("user.authenticated", json!({"user": {"id": USER_ID}}))
        .source("user")
        .ip_address(Some(IP_ADDRESS))
}

/// Returns a `user.authentication_failed` sample with a top-level `ip_address`.
pub fn user_authentication_failed() -> SampleEvent {
    event(
        "user.authentication_failed",
        json!({"user": {"id": USER_ID}}),
    )
    .source("user")
    .ip_address(Some(IP_ADDRESS))
}

/// Returns an `organization.created` sample.
pub fn organization_created() -> SampleEvent {
    event(
        "organization.created",
        json!({"organization": {
            "code": ORG_CODE,
            "name": "Example Pty Ltd",
            "handle": "example",
            "external_id": null,
        }}),
    )
}

/// Returns an `organization.updated` sample, which also carries `is_allow_registrations`.
pub fn organization_updated() -> SampleEvent {
    event(
        "organization.updated",
        json!({"organization": {
            "code": ORG_CODE,
            "name": "Example Pty Ltd",
            "handle": "example",
            "external_id": "crm-4821",
            "is_allow_registrations": true,
        }}),
    )
}

/// Returns an `organization.deleted` sample.
pub fn organization_deleted() -> SampleEvent {
    event(
        "organization.deleted",
        json!({"organization": {"code": ORG_CODE}}),
    )
}

/// Returns a `role.created` sample.
pub fn role_created() -> SampleEvent {
    event("role.created", role_data())
}

/// Returns a `role.updated` sample.
pub fn role_updated() -> SampleEvent {
    event("role.updated", role_data())
}

/// Returns a `role.deleted` sample.
pub fn role_deleted() -> SampleEvent {
    event(
        "role.deleted",
        json!({"role": {"id": "0190b5c2-8d4e-7a31-9f62-3c1d2e4f5a6b"}}),
    )
}

/// Returns a `permission.created` sample.
pub fn permission_created() -> SampleEvent {
    event("permission.created", permission_data())
}

/// Returns a `permission.updated` sample.
pub fn permission_updated() -> SampleEvent {
    event("permission.updated", permission_data())
}

/// Returns a `permission.deleted` sample.
pub fn permission_deleted() -> SampleEvent {
    event(
        "permission.deleted",
        json!({"permission": {"id": "0190b5c2-8d4e-7a31-9f62-3c1d2e4f5a6c"}}),
    )
}

/// Returns a `subscriber.created` sample.
pub fn subscriber_created() -> SampleEvent {
    event(
        "subscriber.created",
        json!({"subscriber": {
            "id": "kp_9d8c7b6a5f4e43d2a1b0c9d8e7f6a5b4",
            "email": "grace.hopper@example.com",
            "first_name": "Grace",
            "last_name": "Hopper",
            "user_id": "kp_9d8c7b6a5f4e43d2a1b0c9d8e7f6a5b4",
        }}),
    )
    .source("user")
}

/// Returns an `access_request.created` sample.
pub fn access_request_created() -> SampleEvent {
    event(
        "access_request.created",
        json!({"access_request": {
            "user_id": USER_ID,
            "email": "ada.lovelace@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
        }}),
    )
    .source("user")
}

fn role_data() -> Value {
    json!({"role": {
        "id": "0190b5c2-8d4e-7a31-9f62-3c1d2e4f5a6b",
        "key": "admin",
        "name": "Administrator",
        "description": null,
        "is_default_role": false,
    }})
}

fn permission_data() -> Value {
    json!({"permission": {
        "id": "0190b5c2-8d4e-7a31-9f62-3c1d2e4f5a6c",
        "key": "read:reports",
        "name": "Read reports",
        "description": "View the monthly reports.",
    }})
}
