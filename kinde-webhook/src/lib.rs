//! Verify Kinde webhooks against the business's JWKS and parse them into typed events.
//!
//! Kinde POSTs each webhook as a compact JWT signed with RS256. A [`Verifier`]
//! checks the signature against the keys Kinde publishes at
//! `{issuer}/.well-known/jwks.json`, applies the claim rules that fit Kinde
//! (which sends no `iss`, `aud` or `exp`), and returns an [`Event`] whose
//! `data` is a typed [`EventData`].
//!
//! ```no_run
//! use kinde_webhook::{EventData, Verifier};
//!
//! # async fn handle(body: &[u8]) -> Result<(), kinde_webhook::Error> {
//! let verifier = Verifier::builder("https://yourbiz.kinde.com").build()?;
//!
//! let event = verifier.verify(body).await?;
//! if let EventData::UserCreated(data) = &event.data {
//!     println!("new user {} ({:?})", data.user.id, data.user.email());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Build one verifier per Kinde business and share clones of it: they share
//! one JWKS cache. Failures are [`Error`]s whose [`ErrorKind`] maps to the
//! HTTP status a receiver should respond with ([`Error::status`]).
//!
//! # Features
//!
//! - `aws-lc-rs` (default) or `rust-crypto`: the crypto backend. With both,
//!   aws-lc-rs is used. The backend is chosen by this crate, not through
//!   jsonwebtoken's process-wide default.
//! - `testing`: the `testing` module, a test issuer that signs events and serves a JWKS
//!   on loopback, for testing webhook handlers end to end.
//! - `redis`: an idempotency store on Redis.

mod algorithm;
mod claims;
mod error;
pub mod event;
pub mod idempotency;
mod jwks;
mod keys;
mod token;
mod verifier;

#[cfg(feature = "testing")]
pub mod testing;

pub use algorithm::{Algorithm, crypto_backend};
pub use error::{Error, ErrorKind, RETRY_AFTER_UNAVAILABLE};
pub use event::*;
pub use jwks::JwksState;
pub use keys::MIN_RSA_BITS;
pub use verifier::{
    DEFAULT_JWKS_PATH, DEFAULT_MAX_TOKEN_SIZE, VerifiedPayload, Verifier, VerifierBuilder,
};
