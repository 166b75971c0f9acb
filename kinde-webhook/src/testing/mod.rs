//! A test kit for webhook receivers (feature `testing`): signing keys, a test
//! issuer that serves a JWKS on loopback, and sample payloads of every typed event.
//!
//! Use it to test your own handler end to end, with real signatures and a
//! real JWKS fetch, and nothing leaving `127.0.0.1`:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use kinde_webhook::testing::{TestIssuer, samples};
//!
//! let issuer = TestIssuer::start().await;
//! let verifier = issuer.verifier();
//! let token = issuer.sign(&samples::user_created().email(Some("ada@example.com")).to_json());
//!
//! let event = verifier.verify(token.as_bytes()).await.unwrap();
//! assert_eq!(event.user().and_then(|user| user.email()), Some("ada@example.com"));
//! # }
//! ```
//!
//! The fixed keys are published with the crate and are for tests only.

mod issuer;
mod keys;
pub mod samples;

pub use issuer::{JwksResponse, TestIssuer};
pub use keys::{TestKey, jwks, sign_hs256};

/// Returns an issuer URL on a loopback port where nothing listens, so that a
/// JWKS fetch from it is refused.
pub async fn refused_issuer_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding a loopback port succeeds");
    let address = listener
        .local_addr()
        .expect("a bound listener has an address");
    drop(listener);
    format!("http://{address}")
}
