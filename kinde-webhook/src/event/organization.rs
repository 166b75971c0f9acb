//! Payloads of the three `organization.*` events.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The `data` of `organization.created` and `organization.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrganizationData {
    /// The organization as it is after the change.
    pub organization: Organization,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `data` of `organization.deleted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrganizationDeletedData {
    /// The deleted organization.
    pub organization: DeletedOrganization,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Kinde organization, as sent in `organization.created` and `organization.updated`.
///
/// Serializing writes `null` for `handle` and `external_id` when they are `None`, and leaves out
/// `is_allow_registrations`, which only `organization.updated` carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Organization {
    /// The organization code, `org_` followed by 11 hex digits.
    pub code: String,
    /// The display name.
    pub name: String,
    /// The handle, which Kinde's Management API allows to be `null`.
    #[serde(default)]
    pub handle: Option<String>,
    /// The id the organization has in the business's own systems.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Whether users may register into the organization, sent only with `organization.updated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_allow_registrations: Option<bool>,
    /// Fields of the organization that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An organization named only by code, as in `organization.deleted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletedOrganization {
    /// The organization code, `org_` followed by 11 hex digits.
    pub code: String,
    /// Fields of the organization that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
