//! What the layer logs: the levels and fields of accepted and rejected
//! webhooks, and never the token or the body.

#![cfg(feature = "axum")]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::{post_jwt, serve_webhook_app};
use kinde_webhook::Verifier;
use kinde_webhook::testing::{TestIssuer, TestKey, refused_issuer_url, samples};

/// Log output collected in memory.
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// Returns the lines that contain `message`.
    fn lines_with(&self, message: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|line| line.contains(message))
            .map(str::to_owned)
            .collect()
    }
}

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs a subscriber for this test's thread that records every event of
/// the two crates. Tokio's default test runtime runs the servers' tasks on
/// that thread too.
fn capture_logs() -> (CapturedLogs, tracing::subscriber::DefaultGuard) {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("kinde_webhook=trace,kinde_webhook_tower=trace")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

/// Asserts that no long part of `token` appears in the logs.
fn assert_token_absent(logs: &CapturedLogs, token: &str) {
    let text = logs.text();
    for segment in token.split('.').filter(|segment| segment.len() >= 16) {
        assert!(
            !text.contains(segment),
            "a token segment was logged:\n{text}"
        );
    }
}

#[tokio::test]
async fn accepted_event_logged_at_debug() {
    let (logs, _guard) = capture_logs();
    let issuer = TestIssuer::start().await;
    let (url, _calls) = serve_webhook_app(issuer.verifier()).await;
    let sample = samples::user_created().source("api");
    let event_id = sample.to_json()["event_id"].as_str().unwrap().to_owned();
    let token = issuer.sign(&sample.to_json());

    let response = post_jwt(&url, token.clone()).await;

    assert_eq!(response.status(), StatusCode::OK);
    let lines = logs.lines_with("accepted a verified Kinde webhook");
    assert_eq!(lines.len(), 1, "{}", logs.text());
    assert!(lines[0].contains("DEBUG"), "{}", lines[0]);
    assert!(
        lines[0].contains(&format!("event_id={event_id}")),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("event_type=user.created"), "{}", lines[0]);
    assert!(lines[0].contains("source=api"), "{}", lines[0]);
    assert_token_absent(&logs, &token);
}

#[tokio::test]
async fn rejection_logged_at_info_with_kid() {
    let (logs, _guard) = capture_logs();
    let issuer = TestIssuer::start().await;
    let (url, _calls) = serve_webhook_app(issuer.verifier()).await;
    let token = TestKey::impostor().sign(&samples::user_created().to_json());

    let response = post_jwt(&url, token.clone()).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let lines = logs.lines_with("rejected a Kinde webhook");
    assert_eq!(lines.len(), 1, "{}", logs.text());
    assert!(lines[0].contains(" INFO "), "{}", lines[0]);
    assert!(
        lines[0].contains("error=\"invalid_signature\""),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(&format!("kid=\"{}\"", TestKey::primary().kid())),
        "{}",
        lines[0]
    );
    assert_token_absent(&logs, &token);
}

#[tokio::test]
async fn jwks_outage_logged_at_warn() {
    let (logs, _guard) = capture_logs();
    let verifier = Verifier::builder(refused_issuer_url().await)
        .build()
        .unwrap();
    let (url, _calls) = serve_webhook_app(verifier).await;
    let token = TestKey::primary().sign(&samples::user_created().to_json());

    let response = post_jwt(&url, token.clone()).await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let lines = logs.lines_with("could not handle a Kinde webhook");
    assert_eq!(lines.len(), 1, "{}", logs.text());
    assert!(lines[0].contains(" WARN "), "{}", lines[0]);
    assert!(
        lines[0].contains("error=\"jwks_unavailable\""),
        "{}",
        lines[0]
    );
    assert_token_absent(&logs, &token);
}

#[tokio::test]
async fn oversized_body_never_logged() {
    let (logs, _guard) = capture_logs();
    let issuer = TestIssuer::start().await;
    let (url, _calls) = serve_webhook_app(issuer.verifier()).await;
    let body = "secret-body-marker-".repeat(20_000);

    let response = post_jwt(&url, body).await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        logs.lines_with("rejected a Kinde webhook").len(),
        1,
        "{}",
        logs.text()
    );
    assert!(
        !logs.text().contains("secret-body-marker"),
        "{}",
        logs.text()
    );
}
