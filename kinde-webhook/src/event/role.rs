//! Payloads of the `role.*` and `permission.*` events.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::serde_util::null_as_default;

/// The `data` of `role.created` and `role.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoleData {
    /// The role as it is after the change.
    pub role: Role,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `data` of `role.deleted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoleDeletedData {
    /// The deleted role.
    pub role: DeletedRole,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A role, as sent in `role.created` and `role.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Role {
    /// The role id, a UUID.
    pub id: String,
    /// The role key, such as `admin`.
    pub key: String,
    /// The display name.
    pub name: String,
    /// The description, serialized as `null` when `None`.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether new users get this role, `false` when missing or `null`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_default_role: bool,
    /// Fields of the role that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A role named only by id, as in `role.deleted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletedRole {
    /// The role id, a UUID.
    pub id: String,
    /// Fields of the role that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `data` of `permission.created` and `permission.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PermissionData {
    /// The permission as it is after the change.
    pub permission: Permission,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `data` of `permission.deleted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PermissionDeletedData {
    /// The deleted permission.
    pub permission: DeletedPermission,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A permission, as sent in `permission.created` and `permission.updated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Permission {
    /// The permission id, a UUID.
    pub id: String,
    /// The permission key, such as `read:reports`.
    pub key: String,
    /// The display name.
    pub name: String,
    /// The description, serialized as `null` when `None`.
    #[serde(default)]
    pub description: Option<String>,
    /// Fields of the permission that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A permission named only by id, as in `permission.deleted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeletedPermission {
    /// The permission id, a UUID.
    pub id: String,
    /// Fields of the permission that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
