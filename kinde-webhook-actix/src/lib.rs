//! Verified Kinde webhooks for actix-web: the [`KindeEvent`] extractor and
//! the [`KindeIdempotency`] middleware.
//!
//! An actix-web app adds Kinde webhooks with one route. The extractor reads
//! the body, verifies the signed JWT against the business's JWKS with the
//! [`Verifier`](kinde_webhook::Verifier) of the [`KindeWebhookConfig`] in the
//! app data, and hands the handler a typed [`Event`](kinde_webhook::Event):
//!
//! ```no_run
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use kinde_webhook::{EventData, Verifier};
//! use kinde_webhook_actix::{KindeEvent, KindeWebhookConfig};
//!
//! async fn on_webhook(KindeEvent(event): KindeEvent) -> HttpResponse {
//!     match &event.data {
//!         EventData::UserCreated(data) => println!("welcome {:?}", data.user.email()),
//!         _ => println!("ignoring {}", event.event_type),
//!     }
//!     HttpResponse::Ok().finish()
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     // One verifier for all workers, so they share one JWKS cache.
//!     let verifier = Verifier::builder("https://yourbiz.kinde.com")
//!         .build()
//!         .map_err(std::io::Error::other)?;
//!
//!     HttpServer::new(move || {
//!         App::new()
//!             .app_data(KindeWebhookConfig::new(verifier.clone()))
//!             .route("/webhooks/kinde", web::post().to(on_webhook))
//!     })
//!     .bind(("127.0.0.1", 3000))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! A rejected request gets the status that Kinde's retry logic expects: 400 for a
//! malformed token, 401 for one that fails verification, 413 for a body over
//! the verifier's size limit, and 503 with `Retry-After: 30` when the JWKS
//! cannot be fetched. [`KindeWebhookError`] lists every case, and
//! [`KindeWebhookConfig::error_handler`] replaces the response.
//!
//! Kinde delivers at least once. To run the handler once per event, wrap the
//! webhook resource in [`KindeIdempotency`] with a store shared by all
//! workers (and, through Redis, by all instances). This holds while the
//! handler finishes within the store's lease, 60 s by default.
//!
//! Accepted events are logged at `debug` with their id, type and source, and
//! rejections at `info` with the reason and the `kid`, through `tracing`.
//! Neither the token nor the body is ever logged.
//!
//! # Features
//!
//! - `aws-lc-rs` (default) or `rust-crypto`: the crypto backend of `kinde-webhook`.
//! - `redis`: the Redis idempotency store of `kinde-webhook`.

mod body;
mod config;
mod error;
mod extractor;
mod idempotency;
mod verify;

pub use config::KindeWebhookConfig;
pub use error::KindeWebhookError;
pub use extractor::KindeEvent;
pub use idempotency::{KindeIdempotency, KindeIdempotencyMiddleware};

/// The core crate, re-exported so that its version always matches this crate's.
pub use kinde_webhook;
