//! Payloads of `subscriber.created` and `access_request.created`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `data` of `subscriber.created`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubscriberData {
    /// The new subscriber.
    pub subscriber: Subscriber,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A subscriber, as sent in `subscriber.created`.
///
/// Kinde publishes no sample of this event, so every field but `id` is an `Option`, serialized
/// as `null` when `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Subscriber {
    /// The subscriber id.
    pub id: String,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The id of the matching Kinde user, `kp_` followed by 32 hex digits.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Fields of the subscriber that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `data` of `access_request.created`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessRequestData {
    /// The new access request.
    pub access_request: AccessRequest,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An access request, as sent in `access_request.created`.
///
/// Kinde publishes no sample of this event, so every field but `user_id` is an `Option`,
/// serialized as `null` when `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessRequest {
    /// The id of the requesting user, `kp_` followed by 32 hex digits.
    pub user_id: String,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Fields of the access request that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
