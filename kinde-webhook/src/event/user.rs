//! Payloads of the five `user.*` events.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::serde_util::null_as_default;

/// The `data` of `user.created` and `user.updated`: `{"user": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserData {
    /// The user as it is after the change.
    pub user: User,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `data` of `user.deleted`: `{"user": {"id": ...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserDeletedData {
    /// The deleted user.
    pub user: UserRef,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `data` of `user.authenticated`. The client's IP address is the envelope's
/// [`crate::Event::ip_address`], not part of `data`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserAuthenticatedData {
    /// The user who signed in.
    pub user: UserRef,
    /// The organization the user signed in to, when Kinde sends it.
    ///
    /// NOTE: Kinde's documentation and TypeScript types do not list this field, so it may never
    /// be sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `data` of `user.authentication_failed`. The client's IP address is the envelope's
/// [`crate::Event::ip_address`], not part of `data`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserAuthenticationFailedData {
    /// The user whose sign-in failed.
    pub user: UserRef,
    /// Fields of `data` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A Kinde user, as sent in `user.created` and `user.updated`.
///
/// Real payloads are looser than Kinde's TypeScript types, so every field except `id` may be
/// `null` or missing: strings become `None`, booleans `false` and `organizations` an empty list.
/// Serializing writes `null` for a `None` that Kinde always sends (`email`, the names,
/// `username`, `phone`) and leaves out `image_url` when it is `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The user id, `kp_` followed by 32 hex digits (Kinde's schema also allows `kp:`).
    pub id: String,
    /// The email address as received. Phone-only users have `null` or `""`, so read it through
    /// [`User::email`].
    #[serde(default)]
    pub email: Option<String>,
    /// The first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The last name, which the sample in Kinde's documentation gives as `""`.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The username.
    #[serde(default)]
    pub username: Option<String>,
    /// The phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Whether the user is suspended, `false` when missing or `null`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_suspended: bool,
    /// Whether the user must reset their password, `false` when missing or `null`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_password_reset_requested: bool,
    /// The organizations the user belongs to, empty when missing or `null`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub organizations: Vec<OrganizationMembership>,
    /// The URL of the user's picture.
    ///
    /// NOTE: Kinde's documentation and TypeScript types do not list this field, so it may never
    /// be sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Fields of the user that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl User {
    /// Returns the email address with surrounding whitespace trimmed, or `None` when it is
    /// missing, `null`, empty or only whitespace.
    pub fn email(&self) -> Option<&str> {
        let email = self.email.as_deref()?.trim();
        (!email.is_empty()).then_some(email)
    }
}

/// A user named only by id, as in `user.deleted` and the authentication events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserRef {
    /// The user id, `kp_` followed by 32 hex digits.
    pub id: String,
    /// Fields of the user that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A user's membership of one organization, with the roles and permissions it grants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrganizationMembership {
    /// The organization code, `org_` followed by 11 hex digits (Kinde's schema also allows
    /// `org:`).
    pub code: String,
    /// The user's roles in the organization, empty when missing or `null`.
    /// Serializing writes `[]` where Kinde sent `null`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub roles: Vec<RoleRef>,
    /// The user's permissions in the organization, empty when missing or `null`.
    /// Serializing writes `[]` where Kinde sent `null`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions: Vec<PermissionRef>,
    /// Fields of the membership that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A role held in an organization, `{"id": ..., "key": ...}`.
///
/// NOTE: Older versions of Kinde's TypeScript types described roles as plain strings. A payload
/// in that form does not parse, so its event falls back to [`crate::EventData::Other`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoleRef {
    /// The role id, a UUID.
    pub id: String,
    /// The role key, such as `admin`.
    pub key: String,
    /// Fields of the role that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A permission held in an organization, `{"id": ..., "key": ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PermissionRef {
    /// The permission id, a UUID.
    pub id: String,
    /// The permission key, such as `read:reports`.
    pub key: String,
    /// Fields of the permission that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The `authorization` object of `user.authenticated`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Authorization {
    /// The code of the organization the user signed in to.
    #[serde(default)]
    pub org_code: Option<String>,
    /// Fields of `authorization` that this crate does not model, kept as received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn user_from(value: Value) -> User {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn user_with_only_id_gets_defaults() {
        let user = user_from(json!({"id": "kp_1"}));
        assert_eq!(user.email, None);
        assert!(!user.is_suspended);
        assert!(!user.is_password_reset_requested);
        assert!(user.organizations.is_empty());
    }

    #[test]
    fn null_booleans_become_false() {
        let user = user_from(json!({
            "id": "kp_1", "is_suspended": null, "is_password_reset_requested": null
        }));
        assert!(!user.is_suspended);
        assert!(!user.is_password_reset_requested);
    }

    #[test]
    fn null_organizations_become_empty() {
        let user = user_from(json!({"id": "kp_1", "organizations": null}));
        assert!(user.organizations.is_empty());
    }

    #[test]
    fn blank_email_reads_as_none() {
        for email in [json!(null), json!(""), json!("  ")] {
            let user = user_from(json!({"id": "kp_1", "email": email}));
            assert_eq!(user.email(), None, "email {email}");
        }
    }

    #[test]
    fn email_is_trimmed() {
        let user = user_from(json!({"id": "kp_1", "email": " ada@example.com "}));
        assert_eq!(user.email(), Some("ada@example.com"));
    }

    #[test]
    fn user_serializes_null_for_missing_strings() {
        let value = serde_json::to_value(user_from(json!({"id": "kp_1"}))).unwrap();
        assert_eq!(value["phone"], Value::Null);
        assert!(value.get("image_url").is_none());
    }

    #[test]
    fn authorization_is_optional() {
        let data: UserAuthenticatedData =
            serde_json::from_value(json!({"user": {"id": "kp_1"}})).unwrap();
        assert_eq!(data.authorization, None);
        let value = serde_json::to_value(&data).unwrap();
        assert!(value.get("authorization").is_none());
    }
}
