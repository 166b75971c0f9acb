//! The token size limit, enforced while reading the body, in a real axum server.
//!
//! The bodies that must be rejected before their end never end: the stream
//! sends its bytes and then stays pending. A layer that waited for the whole
//! body would never respond, so each request runs under a generous guard that
//! turns such a hang into a failure.

#![cfg(feature = "axum")]

mod common;

use std::convert::Infallible;
use std::time::Duration;

use axum::http::StatusCode;
use bytes::Bytes;
use common::{json_body, post_jwt, serve_webhook_app};
use futures_util::{Stream, StreamExt as _, stream};
use kinde_webhook::testing::{TestIssuer, samples};

const KIB: usize = 1024;

/// How long a request may take before the test calls it a hang.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// Builds a body stream of `total` bytes in 1 KiB chunks that then never ends.
fn endless_body(total: usize) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let chunks = total / KIB;
    stream::iter((0..chunks).map(|_| Ok(Bytes::from(vec![b'a'; KIB])))).chain(stream::pending())
}

async fn send_guarded(request: reqwest::RequestBuilder) -> reqwest::Response {
    tokio::time::timeout(HANG_GUARD, request.send())
        .await
        .expect("the layer responded before the end of the body")
        .expect("the test server responds")
}

#[tokio::test]
async fn declared_length_over_limit_gives_413_before_reading() {
    let issuer = TestIssuer::start().await;
    let (url, calls) = serve_webhook_app(issuer.verifier()).await;
    let request = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/jwt")
        .header("content-length", (300 * KIB).to_string())
        .body(reqwest::Body::wrap_stream(endless_body(KIB)));

    let response = send_guarded(request).await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = json_body(response).await;
    assert_eq!(body["error"], "payload_too_large");
    assert_eq!(
        body["reason"],
        "the body is 307200 bytes, over the 262144-byte token size limit"
    );
    assert_eq!(calls.count(), 0);
    assert_eq!(issuer.fetch_count(), 0);
}

#[tokio::test]
async fn full_300_kib_body_gives_413() {
    let issuer = TestIssuer::start().await;
    let (url, calls) = serve_webhook_app(issuer.verifier()).await;

    let response = post_jwt(&url, vec![b'a'; 300 * KIB]).await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json_body(response).await["error"], "payload_too_large");
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn chunked_body_over_limit_gives_413_while_reading() {
    let issuer = TestIssuer::start().await;
    let (url, calls) = serve_webhook_app(issuer.verifier()).await;
    let request = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/jwt")
        .body(reqwest::Body::wrap_stream(endless_body(300 * KIB)));

    let response = send_guarded(request).await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = json_body(response).await;
    assert_eq!(body["error"], "payload_too_large");
    assert_eq!(
        body["reason"],
        "the body is over the 262144-byte token size limit"
    );
    assert_eq!(calls.count(), 0);
    assert_eq!(issuer.fetch_count(), 0);
}

#[tokio::test]
async fn configured_limit_is_enforced_to_the_byte() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer
        .verifier_builder()
        .max_token_size(2 * KIB)
        .build()
        .unwrap();
    let (url, calls) = serve_webhook_app(verifier).await;

    let at_limit = post_jwt(&url, vec![b'a'; 2 * KIB]).await;
    let over_limit = post_jwt(&url, vec![b'a'; 2 * KIB + 1]).await;

    assert_eq!(
        at_limit.status(),
        StatusCode::BAD_REQUEST,
        "a body at the limit is read and verified"
    );
    assert_eq!(over_limit.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn chunked_body_at_configured_limit_is_verified() {
    let issuer = TestIssuer::start().await;
    let token = issuer.sign(&samples::user_created().to_json());
    let verifier = issuer
        .verifier_builder()
        .max_token_size(token.len())
        .build()
        .unwrap();
    let (url, calls) = serve_webhook_app(verifier).await;
    let chunks: Vec<Result<Bytes, Infallible>> = token
        .as_bytes()
        .chunks(100)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();

    let request = reqwest::Client::new()
        .post(&url)
        .body(reqwest::Body::wrap_stream(stream::iter(chunks)));
    let response = send_guarded(request).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn chunked_body_over_configured_limit_gives_413() {
    let issuer = TestIssuer::start().await;
    let token = issuer.sign(&samples::user_created().to_json());
    let verifier = issuer
        .verifier_builder()
        .max_token_size(token.len() - 1)
        .build()
        .unwrap();
    let (url, calls) = serve_webhook_app(verifier).await;
    let chunks: Vec<Result<Bytes, Infallible>> = token
        .as_bytes()
        .chunks(100)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();

    let request = reqwest::Client::new()
        .post(&url)
        .body(reqwest::Body::wrap_stream(stream::iter(chunks)));
    let response = send_guarded(request).await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(calls.count(), 0);
}
