//! A tower layer and an axum extractor for verified Kinde webhooks.
//!
//! An axum app adds Kinde webhooks with one route:
//!
// The example needs the `axum` feature, so it only runs when that is on.
#![cfg_attr(feature = "axum", doc = "```")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use axum::{Router, http::StatusCode, routing::post};
//! use kinde_webhook::{EventData, Verifier};
//! use kinde_webhook_tower::{KindeEvent, KindeWebhookLayer};
//!
//! async fn on_webhook(KindeEvent(event): KindeEvent) -> StatusCode {
//!     match &event.data {
//!         EventData::UserCreated(data) => println!("new user {:?}", data.user.email()),
//!         _ => println!("ignored {} {}", event.event_type, event.event_id),
//!     }
//!     StatusCode::OK
//! }
//!
//! # fn main() -> Result<(), kinde_webhook::Error> {
//! let verifier = Verifier::builder("https://yourbiz.kinde.com").build()?;
//! let app: Router = Router::new()
//!     .route("/webhooks/kinde", post(on_webhook).layer(KindeWebhookLayer::new(verifier)));
//! # Ok(())
//! # }
//! ```
//!
//! [`KindeWebhookLayer`] wraps a service in [`KindeWebhook`], which reads the
//! body of each `POST` under the verifier's token size limit and verifies it
//! with a [`kinde_webhook::Verifier`]. A rejected webhook gets 400, 401, 413,
//! or 503 with `Retry-After`, and a short JSON body. A verified one reaches
//! the inner service with its [`Event`](kinde_webhook::Event) in the request
//! extensions. Other methods pass through untouched. The
//! [`KindeEvent`] extractor takes the event out in an axum handler; a plain
//! tower service reads it with `request.extensions().get::<Event>()`.
//!
//! Kinde delivers at least once. [`KindeWebhookLayer::idempotency`] adds
//! de-duplication by the signed `event_id`, so that the handler runs once per
//! event even when deliveries repeat or overlap: a duplicate of a handled
//! event gets 200 without reaching the handler, and one that arrives while
//! the first is still being handled gets 409 with `Retry-After: 5`. The
//! claim is renewed while the handler runs, so only an instance that stopped
//! (crashed, or lost its store for longer than the 60 s lease) lets a
//! redelivery run the handler again.
//!
//! Accepted events are logged at `debug` with their id, type and source,
//! rejections at `info` with the reason and `kid`, and failures to verify
//! anything (the JWKS being unreachable) at `warn`. The token and the body
//! are never logged.
//!
//! # Features
//!
//! - `aws-lc-rs` (default) or `rust-crypto`: the crypto backend of
//!   `kinde-webhook`. One of them is needed; with both, aws-lc-rs is used.
//! - `axum` (default): the [`KindeEvent`] extractor. The layer itself works
//!   without it.
//! - `redis`: `kinde_webhook::idempotency::RedisStore`, an idempotency store
//!   shared by several instances, for [`KindeWebhookLayer::idempotency`].

#![forbid(unsafe_code)]

mod body;
#[cfg(feature = "axum")]
mod extract;
mod future;
mod idempotency;
mod layer;
mod read;
mod rejection;
mod service;
mod verify;

pub use body::{BoxError, ResponseBody};
#[cfg(feature = "axum")]
pub use extract::{KindeEvent, MissingKindeWebhookLayer};
pub use future::ResponseFuture;
pub use layer::KindeWebhookLayer;
pub use service::KindeWebhook;

/// The core crate, re-exported so that `Verifier`, `Event` and the stores
/// need no separate dependency.
pub use kinde_webhook;
