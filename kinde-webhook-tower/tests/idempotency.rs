//! De-duplication by `event_id` in a real axum server, with the in-memory
//! store, and with a Redis store whose server cannot be reached.

#![cfg(feature = "axum")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use common::{Outcome, ScriptedHandler, json_body, post_jwt, serve};
use kinde_webhook::idempotency::{MemoryStore, RedisStore};
use kinde_webhook::testing::{TestIssuer, TestKey, refused_issuer_url, samples};
use kinde_webhook_tower::KindeWebhookLayer;
use serde_json::json;
use tokio::task::JoinSet;

/// Serves `handler` behind a layer with a fresh in-memory store.
async fn serve_with_memory_store(issuer: &TestIssuer, handler: &Arc<ScriptedHandler>) -> String {
    let layer = KindeWebhookLayer::new(issuer.verifier()).idempotency(MemoryStore::new());
    let address = serve(ScriptedHandler::app(handler, layer)).await;
    format!("http://{address}/webhooks/kinde")
}

fn signed_event(issuer: &TestIssuer) -> (String, String) {
    let sample = samples::user_created();
    let event_id = sample.to_json()["event_id"].as_str().unwrap().to_owned();
    (event_id, issuer.sign(&sample.to_json()))
}

#[tokio::test]
async fn sequential_duplicates_call_handler_once() {
    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::open();
    let url = serve_with_memory_store(&issuer, &handler).await;
    let (event_id, token) = signed_event(&issuer);

    let first = post_jwt(&url, token.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.text().await.unwrap(), format!("handled {event_id}"));

    for delivery in 2..=5 {
        let response = post_jwt(&url, token.clone()).await;

        assert_eq!(response.status(), StatusCode::OK, "delivery {delivery}");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            json_body(response).await,
            json!({"status": "duplicate", "event_id": event_id}),
            "delivery {delivery}"
        );
    }
    assert_eq!(handler.calls(), 1);
}

#[tokio::test]
async fn concurrent_duplicates_call_handler_once() {
    const DELIVERIES: usize = 20;

    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::gated();
    let url = serve_with_memory_store(&issuer, &handler).await;
    let (event_id, token) = signed_event(&issuer);

    // The first delivery to claim the event waits at the handler's gate, so
    // every other delivery certainly overlaps it and gets 409.
    let mut deliveries = JoinSet::new();
    for _ in 0..DELIVERIES {
        let (url, token) = (url.clone(), token.clone());
        deliveries.spawn(async move { post_jwt(&url, token).await });
    }
    for _ in 1..DELIVERIES {
        let response = deliveries.join_next().await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(response.headers()["retry-after"], "5");
        assert_eq!(json_body(response).await["error"], "event_in_progress");
    }

    handler.let_through(1);
    let handled = deliveries.join_next().await.unwrap().unwrap();
    assert_eq!(handled.status(), StatusCode::OK);
    assert_eq!(handled.text().await.unwrap(), format!("handled {event_id}"));
    assert_eq!(handler.calls(), 1);

    let redelivery = post_jwt(&url, token).await;
    assert_eq!(redelivery.status(), StatusCode::OK);
    assert_eq!(json_body(redelivery).await["status"], "duplicate");
    assert_eq!(handler.calls(), 1);
}

#[tokio::test]
async fn failed_handler_runs_again_on_redelivery() {
    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::open();
    handler.then(Outcome::Status(StatusCode::INTERNAL_SERVER_ERROR));
    let url = serve_with_memory_store(&issuer, &handler).await;
    let (event_id, token) = signed_event(&issuer);

    let failed = post_jwt(&url, token.clone()).await;
    let retried = post_jwt(&url, token.clone()).await;
    let duplicate = post_jwt(&url, token).await;

    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(retried.text().await.unwrap(), format!("handled {event_id}"));
    assert_eq!(duplicate.status(), StatusCode::OK);
    assert_eq!(json_body(duplicate).await["status"], "duplicate");
    assert_eq!(handler.calls(), 2);
}

#[tokio::test]
async fn non_2xx_statuses_release_claim() {
    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::open();
    let statuses = [StatusCode::ACCEPTED, StatusCode::NO_CONTENT];
    let failures = [
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::BAD_REQUEST,
        StatusCode::FOUND,
    ];
    let url = serve_with_memory_store(&issuer, &handler).await;

    for status in failures {
        handler.then(Outcome::Status(status));
    }
    let (_, token) = signed_event(&issuer);
    for status in failures {
        let response = post_jwt(&url, token.clone()).await;
        assert_eq!(response.status(), status);
    }
    let handled = post_jwt(&url, token).await;
    assert_eq!(handled.status(), StatusCode::OK);
    assert_eq!(handler.calls(), failures.len() + 1);

    for status in statuses {
        handler.then(Outcome::Status(status));
        let (_, token) = signed_event(&issuer);
        let response = post_jwt(&url, token.clone()).await;
        let duplicate = post_jwt(&url, token).await;
        assert_eq!(response.status(), status);
        assert_eq!(
            json_body(duplicate).await["status"],
            "duplicate",
            "{status} completes the claim"
        );
    }
    assert_eq!(handler.calls(), failures.len() + 1 + statuses.len());
}

#[tokio::test]
async fn panicking_handler_releases_claim() {
    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::open();
    handler.then(Outcome::Panic);
    let url = serve_with_memory_store(&issuer, &handler).await;
    let (event_id, token) = signed_event(&issuer);

    let panicked = reqwest::Client::new()
        .post(&url)
        .body(token.clone())
        .send()
        .await;
    let redelivered = post_jwt(&url, token).await;

    assert!(
        panicked.is_err(),
        "the connection closes when the handler panics: {panicked:?}"
    );
    assert_eq!(redelivered.status(), StatusCode::OK);
    assert_eq!(
        redelivered.text().await.unwrap(),
        format!("handled {event_id}")
    );
    assert_eq!(handler.calls(), 2);
}

#[tokio::test]
async fn slow_handler_keeps_its_claim() {
    const LEASE: Duration = Duration::from_millis(200);

    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::gated();
    let store = MemoryStore::builder().lease(LEASE).build();
    let layer = KindeWebhookLayer::new(issuer.verifier()).idempotency(store);
    let address = serve(ScriptedHandler::app(&handler, layer)).await;
    let url = format!("http://{address}/webhooks/kinde");
    let (_, token) = signed_event(&issuer);

    // The first delivery waits at the gate for several leases; its claim is
    // renewed meanwhile, so the second delivery gets 409 instead of running.
    let first = tokio::spawn({
        let (url, token) = (url.clone(), token.clone());
        async move { post_jwt(&url, token).await.status() }
    });
    while handler.calls() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(LEASE * 3).await;
    let second = post_jwt(&url, token.clone()).await.status();
    handler.let_through(1);
    let first = first.await.unwrap();
    let third = post_jwt(&url, token).await.status();

    assert_eq!(second, StatusCode::CONFLICT);
    assert_eq!(first, StatusCode::OK);
    assert_eq!(third, StatusCode::OK);
    assert_eq!(handler.calls(), 1);
}

#[tokio::test]
async fn distinct_events_each_call_handler() {
    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::open();
    let url = serve_with_memory_store(&issuer, &handler).await;

    for _ in 0..3 {
        let (event_id, token) = signed_event(&issuer);
        let response = post_jwt(&url, token).await;
        assert_eq!(
            response.text().await.unwrap(),
            format!("handled {event_id}")
        );
    }
    assert_eq!(handler.calls(), 3);
}

#[tokio::test]
async fn forged_delivery_claims_nothing() {
    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::open();
    let url = serve_with_memory_store(&issuer, &handler).await;
    let sample = samples::user_created();
    let forged = TestKey::impostor().sign(&sample.to_json());

    let rejected = post_jwt(&url, forged).await;
    let genuine = post_jwt(&url, issuer.sign(&sample.to_json())).await;

    assert_eq!(rejected.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(genuine.status(), StatusCode::OK);
    assert!(genuine.text().await.unwrap().starts_with("handled "));
    assert_eq!(handler.calls(), 1);
}

/// Builds a Redis store for a loopback port where nothing listens.
async fn unreachable_redis_store() -> RedisStore {
    let address = refused_issuer_url().await.replace("http://", "");
    RedisStore::builder(format!("redis://{address}/0"))
        .build()
        .unwrap()
}

#[tokio::test]
async fn unreachable_store_gives_503() {
    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::open();
    let layer =
        KindeWebhookLayer::new(issuer.verifier()).idempotency(unreachable_redis_store().await);
    let address = serve(ScriptedHandler::app(&handler, layer)).await;
    let (_, token) = signed_event(&issuer);

    let response = post_jwt(&format!("http://{address}/webhooks/kinde"), token).await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "30");
    assert_eq!(json_body(response).await["error"], "store_unavailable");
    assert_eq!(handler.calls(), 0);
}

#[tokio::test]
async fn unreachable_store_goes_through_hook() {
    let issuer = TestIssuer::start().await;
    let handler = ScriptedHandler::open();
    let layer = KindeWebhookLayer::new(issuer.verifier())
        .idempotency(unreachable_redis_store().await)
        .on_rejection(|error| {
            let mut response = http::Response::new(format!("hook {}", error.kind().code()));
            *response.status_mut() = error.status();
            response
        });
    let address = serve(ScriptedHandler::app(&handler, layer)).await;
    let (_, token) = signed_event(&issuer);

    let response = post_jwt(&format!("http://{address}/webhooks/kinde"), token).await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.text().await.unwrap(), "hook store_unavailable");
    assert_eq!(handler.calls(), 0);
}
