//! A slim async client for Mailgun's Messages API.
//!
//! ```no_run
//! use mailgun_lite::{Client, Message};
//!
//! # async fn run() -> Result<(), mailgun_lite::Error> {
//! // Reads MAILGUN_API_KEY, MAILGUN_DOMAIN, MAILGUN_REGION and MAILGUN_BASE_URL.
//! let client = Client::from_env()?;
//! let message = Message::new()
//!     .from("Acme <welcome@mg.example.com>")
//!     .to("Jane Doe <jane@example.com>")
//!     .subject("Welcome to Acme")
//!     .text("Hello Jane, your account is ready.")
//!     .correlation_id("event-0f1e2d");
//! let sent = client.send(&message).await?;
//! println!("queued as {}", sent.id());
//! # Ok(())
//! # }
//! ```
//!
//! What the crate takes care of:
//!
//! - **Validation before sending.** Some messages fail with
//!   [`ErrorKind::InvalidMessage`] before any request is made, and the error
//!   names the field. These are messages without a sender, recipient or body,
//!   with both `html` and `template`, or with more than 1000 recipients or
//!   10 tags. CR or LF in a header, name or address, and a file without a
//!   file name, are rejected too.
//! - **Display names.** [`Mailbox`] quotes names that need it and encodes
//!   non-ASCII names as RFC 2047 encoded-words.
//! - **Errors that say what to do.** A 401 or 404 points at the API key and
//!   the region. A 200 that is not from the Messages API (a wrong base URL
//!   returns the text `Mailgun Magnificent API`) is an
//!   [`ErrorKind::WrongBaseUrl`] error, not a success.
//! - **Retries.** Rate limits (429, 420) wait as long as Mailgun requests,
//!   up to the policy's longest wait (30 s by default). A longer requested
//!   wait ends the send at once with [`ErrorKind::RateLimited`] and
//!   [`Error::retry_after`], so the caller can queue the message. 5xx statuses and connection failures back off exponentially with jitter.
//!   See [`RetryPolicy`], including why a retried 5xx can in rare cases
//!   deliver an email twice.
//! - **Secrets.** The API key never appears in `Debug`, `Display`, errors or
//!   logs.
//!
//! With the `testing` feature, `MockMailgun` runs a Messages API double on a
//! loopback port for your own tests.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs, unreachable_pub)]
#![forbid(unsafe_code)]

mod api_key;
mod attachment;
mod builder;
mod client;
mod encode;
mod env;
mod error;
mod mailbox;
mod message;
mod region;
mod response;
mod retry;
mod retry_after;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use attachment::Attachment;
pub use builder::{ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
pub use client::Client;
pub use error::{Error, ErrorKind};
pub use mailbox::Mailbox;
pub use message::{CORRELATION_ID_VARIABLE, ClickTracking, Message};
pub use region::{ParseRegionError, Region};
pub use response::Sent;
pub use retry::RetryPolicy;

/// The HTTP status type of [`Error::status`], re-exported from reqwest.
pub use reqwest::StatusCode;

#[cfg(feature = "testing")]
pub use testing::MockMailgun;
