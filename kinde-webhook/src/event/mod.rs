//! The typed Kinde event model.
//!
//! An [`Event`] has the envelope fields every Kinde webhook carries and a [`EventData`] enum
//! with the per-type `data`. Parse the payload of a verified JWT with [`Event::from_json`]:
//!
//! ```
//! use kinde_webhook::{Event, EventData};
//!
//! let payload = br#"{
//!     "type": "user.created",
//!     "event_id": "event_018f331a3178f7fef284b95fe6770384",
//!     "source": "admin",
//!     "timestamp": "2024-05-01T17:41:45.592145+10:00",
//!     "data": {"user": {"id": "kp_65b28d71bba14fa380d56d2d8d3503da", "email": ""}}
//! }"#;
//! let event = Event::from_json(payload)?;
//!
//! assert!(matches!(event.data, EventData::UserCreated(_)));
//! let user = event.user().expect("user.created carries a user");
//! assert_eq!(user.email(), None); // `""` counts as no email
//! # Ok::<(), kinde_webhook::EnvelopeError>(())
//! ```
//!
//! An authentic event is never rejected for its `data`: an undocumented `type`, or a `data`
//! object that does not match its type, arrives as [`EventData::Other`] with the raw JSON.

mod data;
mod envelope;
mod error;
mod event_type;
mod organization;
mod role;
mod serde_util;
mod source;
mod subscriber;
mod user;

pub use data::{EventData, RawData};
pub use envelope::Event;
pub use error::{EnvelopeError, TimestampError};
pub use event_type::{EVENT_TYPES, EventType, UnknownEventType};
pub use organization::{
    DeletedOrganization, Organization, OrganizationData, OrganizationDeletedData,
};
pub use role::{
    DeletedPermission, DeletedRole, Permission, PermissionData, PermissionDeletedData, Role,
    RoleData, RoleDeletedData,
};
pub use source::Source;
pub use subscriber::{AccessRequest, AccessRequestData, Subscriber, SubscriberData};
pub use user::{
    Authorization, OrganizationMembership, PermissionRef, RoleRef, User, UserAuthenticatedData,
    UserAuthenticationFailedData, UserData, UserDeletedData, UserRef,
};
