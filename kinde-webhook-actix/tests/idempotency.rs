//! The `KindeIdempotency` middleware on a real `HttpServer`, with the memory
//! store, a Redis store on a refused port, and (when `REDIS_URL` is set) a
//! real Redis shared by two app instances.

mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::error::{ErrorServiceUnavailable, InternalError};
use actix_web::{HttpResponse, web};
use futures_util::StreamExt as _;
use kinde_webhook::idempotency::{Idempotency, MemoryStore, RedisStore};
use kinde_webhook::testing::{TestIssuer, TestKey, refused_issuer_url, samples};
use kinde_webhook_actix::{KindeEvent, KindeIdempotency, KindeWebhookConfig};
use serde_json::json;
use tokio::sync::Notify;

use support::{
    Calls, TestServer, WEBHOOK_PATH, calls, client, count, count_and_echo, endless_body, json_body,
    retry_after, send_guarded,
};

/// How long `slow_handler` takes, so that concurrent deliveries overlap it.
const HANDLER_DELAY: Duration = Duration::from_millis(300);

/// Starts a server whose webhook resource is wrapped in the middleware, with
/// `route` as its POST handler and `count_and_echo` as its GET handler.
fn start_deduplicated(
    workers: usize,
    config: KindeWebhookConfig,
    idempotency: Idempotency,
    calls: &Calls,
    route: fn() -> actix_web::Route,
) -> TestServer {
    let calls = calls.clone();
    TestServer::start(workers, move |app| {
        app.app_data(config.clone())
            .app_data(calls.clone())
            .service(
                web::resource(WEBHOOK_PATH)
                    .wrap(KindeIdempotency::new(idempotency.clone()))
                    .route(route())
                    .route(web::get().to(|| async { HttpResponse::Ok().body("not a webhook") })),
            );
    })
}

fn memory_idempotency() -> Idempotency {
    Idempotency::new(MemoryStore::new())
}

fn echo_route() -> actix_web::Route {
    web::post().to(count_and_echo)
}

async fn slow_handler(calls: Calls, _event: KindeEvent) -> HttpResponse {
    calls.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(HANDLER_DELAY).await;
    HttpResponse::Ok().finish()
}

fn slow_route() -> actix_web::Route {
    web::post().to(slow_handler)
}

/// Returns 500 on the first call, fails with an error on the second and
/// succeeds from the third on.
async fn failing_handler(
    calls: Calls,
    _event: KindeEvent,
) -> Result<HttpResponse, actix_web::Error> {
    match calls.fetch_add(1, Ordering::SeqCst) {
        0 => Ok(HttpResponse::InternalServerError().finish()),
        1 => Err(ErrorServiceUnavailable("the mail queue is full")),
        _ => Ok(HttpResponse::Ok().finish()),
    }
}

fn failing_route() -> actix_web::Route {
    web::post().to(failing_handler)
}

/// Two signals between a test and `gated_handler`: the handler has started,
/// and the handler may finish.
#[derive(Default)]
struct Gate {
    entered: Notify,
    release: Notify,
}

async fn gated_handler(calls: Calls, gate: web::Data<Gate>, _event: KindeEvent) -> HttpResponse {
    calls.fetch_add(1, Ordering::SeqCst);
    gate.entered.notify_one();
    gate.release.notified().await;
    HttpResponse::Ok().finish()
}

async fn post(url: &str, token: &str) -> reqwest::Response {
    client()
        .post(url)
        .body(token.to_owned())
        .send()
        .await
        .unwrap()
}

/// Sends `token` to every URL in `urls`, `copies` times each, all at once,
/// and returns the statuses with their `Retry-After` headers.
async fn post_concurrently(
    urls: &[String],
    token: &str,
    copies: usize,
) -> Vec<(u16, Option<String>)> {
    let client = client();
    let requests: Vec<_> = (0..copies)
        .flat_map(|_| urls.iter())
        .map(|url| client.post(url).body(token.to_owned()))
        .collect();
    let total = requests.len();

    futures_util::stream::iter(requests)
        .map(|request| async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), retry_after(&response))
        })
        .buffer_unordered(total)
        .collect()
        .await
}

/// Checks that every concurrent copy got 200 or 409, that at least one got
/// 200, and that every 409 carries `Retry-After: 5`.
fn assert_deduplicated(responses: &[(u16, Option<String>)]) {
    for (status, retry_after) in responses {
        assert!(
            *status == 200 || *status == 409,
            "unexpected status in {responses:?}"
        );
        if *status == 409 {
            assert_eq!(
                retry_after.as_deref(),
                Some("5"),
                "409 without Retry-After: 5 in {responses:?}"
            );
        }
    }
    assert!(
        responses.iter().any(|(status, _)| *status == 200),
        "no copy succeeded: {responses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_duplicates_call_handler_once() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let config = KindeWebhookConfig::new(issuer.verifier());
    let server = start_deduplicated(1, config, memory_idempotency(), &calls, echo_route);
    let token = issuer.sign(&samples::user_created().email(Some("ada@example.com")));

    let first = post(&server.webhook_url(), &token).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        json_body(first).await["email"],
        "ada@example.com",
        "the extractor got the event"
    );
    for delivery in 2..=5 {
        let response = post(&server.webhook_url(), &token).await;
        assert_eq!(response.status(), 200, "delivery {delivery}");
    }

    assert_eq!(count(&calls), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicates_call_handler_once() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let config = KindeWebhookConfig::new(issuer.verifier());
    let server = start_deduplicated(2, config, memory_idempotency(), &calls, slow_route);
    let token = issuer.sign(&samples::user_created());

    let responses = post_concurrently(&[server.webhook_url()], &token, 20).await;

    assert_eq!(responses.len(), 20);
    assert_deduplicated(&responses);
    assert_eq!(count(&calls), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_progress_duplicate_is_409() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let gate = web::Data::new(Gate::default());
    let config = KindeWebhookConfig::new(issuer.verifier());
    let idempotency = memory_idempotency();
    let (handler_calls, handler_gate) = (calls.clone(), gate.clone());
    let server = TestServer::start(1, move |app| {
        app.app_data(config.clone())
            .app_data(handler_calls.clone())
            .app_data(handler_gate.clone())
            .service(
                web::resource(WEBHOOK_PATH)
                    .wrap(KindeIdempotency::new(idempotency.clone()))
                    .route(web::post().to(gated_handler)),
            );
    });
    let url = server.webhook_url();
    let token = issuer.sign(&samples::user_created());

    let first = tokio::spawn({
        let (url, token) = (url.clone(), token.clone());
        async move { post(&url, &token).await.status() }
    });
    gate.entered.notified().await;

    let duplicate = post(&url, &token).await;
    assert_eq!(duplicate.status(), 409);
    assert_eq!(retry_after(&duplicate).as_deref(), Some("5"));
    assert_eq!(json_body(duplicate).await["error"], "event_in_progress");

    gate.release.notify_one();
    assert_eq!(first.await.unwrap(), 200);
    assert_eq!(
        post(&url, &token).await.status(),
        200,
        "a delivery after completion"
    );
    assert_eq!(count(&calls), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_handler_runs_again_on_redelivery() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let config = KindeWebhookConfig::new(issuer.verifier());
    let server = start_deduplicated(1, config, memory_idempotency(), &calls, failing_route);
    let token = issuer.sign(&samples::user_created());

    assert_eq!(
        post(&server.webhook_url(), &token).await.status(),
        500,
        "first delivery"
    );
    assert_eq!(count(&calls), 1);
    assert_eq!(
        post(&server.webhook_url(), &token).await.status(),
        503,
        "second delivery"
    );
    assert_eq!(count(&calls), 2);
    assert_eq!(
        post(&server.webhook_url(), &token).await.status(),
        200,
        "third delivery"
    );
    assert_eq!(count(&calls), 3);
    assert_eq!(
        post(&server.webhook_url(), &token).await.status(),
        200,
        "fourth delivery"
    );
    assert_eq!(count(&calls), 3, "the handler ran after a success");
    server.stop().await;
}

/// Panics on the first call and succeeds from the second on.
async fn panicking_handler(calls: Calls, _event: KindeEvent) -> HttpResponse {
    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
        panic!("the test handler panics on purpose");
    }
    HttpResponse::Ok().finish()
}

fn panicking_route() -> actix_web::Route {
    web::post().to(panicking_handler)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panicking_handler_releases_claim() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let config = KindeWebhookConfig::new(issuer.verifier());
    let server = start_deduplicated(1, config, memory_idempotency(), &calls, panicking_route);
    let token = issuer.sign(&samples::user_created());

    let panicked = client()
        .post(server.webhook_url())
        .body(token.clone())
        .send()
        .await;
    assert!(
        panicked.is_err(),
        "the connection closes when the handler panics: {panicked:?}"
    );
    assert_eq!(count(&calls), 1);

    // The claim is released on a spawned task, so a redelivery may still
    // find it in progress for a moment. Only 409s are acceptable before it
    // is handled.
    let mut redelivery = post(&server.webhook_url(), &token).await;
    for _ in 0..20 {
        if redelivery.status() != 409 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        redelivery = post(&server.webhook_url(), &token).await;
    }
    assert_eq!(redelivery.status(), 200);
    assert_eq!(count(&calls), 2, "the redelivery ran the handler again");

    let duplicate = post(&server.webhook_url(), &token).await;
    assert_eq!(json_body(duplicate).await["status"], "duplicate");
    assert_eq!(count(&calls), 2);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn middleware_stops_reading_at_limit() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let config = KindeWebhookConfig::new(issuer.verifier());
    let server = start_deduplicated(1, config, memory_idempotency(), &calls, echo_route);

    let request = client()
        .post(server.webhook_url())
        .body(reqwest::Body::wrap_stream(endless_body(300 * 1024)));
    let response = send_guarded(request).await;

    assert_eq!(response.status(), 413);
    assert_eq!(json_body(response).await["error"], "payload_too_large");
    assert_eq!(count(&calls), 0);
    assert_eq!(issuer.fetch_count(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_store_is_503() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let redis_url = refused_issuer_url()
        .await
        .replacen("http://", "redis://", 1);
    let store = RedisStore::builder(redis_url)
        .connect_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let config = KindeWebhookConfig::new(issuer.verifier());
    let server = start_deduplicated(1, config, Idempotency::new(store), &calls, echo_route);

    let response = post(
        &server.webhook_url(),
        &issuer.sign(&samples::user_created()),
    )
    .await;

    assert_eq!(response.status(), 503);
    assert_eq!(retry_after(&response).as_deref(), Some("30"));
    assert_eq!(json_body(response).await["error"], "store_unavailable");
    assert_eq!(count(&calls), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_token_skips_store_and_handler() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let config = KindeWebhookConfig::new(issuer.verifier());
    let server = start_deduplicated(1, config, memory_idempotency(), &calls, echo_route);
    let payload = samples::user_created().to_json();

    let forged = post(&server.webhook_url(), &TestKey::impostor().sign(&payload)).await;
    assert_eq!(forged.status(), 401);
    assert_eq!(json_body(forged).await["error"], "invalid_signature");

    // The forged copy claimed nothing, so the genuine event is handled.
    let genuine = post(&server.webhook_url(), &issuer.sign(&payload)).await;
    assert_eq!(genuine.status(), 200);
    assert_eq!(count(&calls), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_pass_through() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let config = KindeWebhookConfig::new(issuer.verifier());
    let server = start_deduplicated(1, config, memory_idempotency(), &calls, echo_route);

    let response = client().get(server.webhook_url()).send().await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "not a webhook");
    assert_eq!(issuer.fetch_count(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_stays_readable_after_middleware() {
    let issuer = TestIssuer::start().await;
    let config = KindeWebhookConfig::new(issuer.verifier());
    let idempotency = memory_idempotency();
    let server = TestServer::start(1, move |app| {
        app.app_data(config.clone()).service(
            web::resource(WEBHOOK_PATH)
                .wrap(KindeIdempotency::new(idempotency.clone()))
                .route(
                    web::post().to(|event: KindeEvent, body: web::Bytes| async move {
                        HttpResponse::Ok()
                            .json(json!({ "event_id": event.event_id, "body_length": body.len() }))
                    }),
                ),
        );
    });
    let sample = samples::user_created();
    let token = issuer.sign(&sample);

    let echo = json_body(post(&server.webhook_url(), &token).await).await;

    assert_eq!(echo["event_id"], sample.to_json()["event_id"]);
    assert_eq!(echo["body_length"], token.len());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_config_with_middleware_is_500() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let idempotency = memory_idempotency();
    let handler_calls = calls.clone();
    let server = TestServer::start(1, move |app| {
        app.app_data(handler_calls.clone()).service(
            web::resource(WEBHOOK_PATH)
                .wrap(KindeIdempotency::new(idempotency.clone()))
                .route(echo_route()),
        );
    });

    let response = post(
        &server.webhook_url(),
        &issuer.sign(&samples::user_created()),
    )
    .await;

    assert_eq!(response.status(), 500);
    let error = json_body(response).await;
    assert!(
        error["reason"]
            .as_str()
            .unwrap()
            .contains("KindeWebhookConfig"),
        "{error}"
    );
    assert_eq!(count(&calls), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_error_handler_applies_to_middleware() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let config = KindeWebhookConfig::new(issuer.verifier()).error_handler(|rejection, _request| {
        let response = HttpResponse::ImATeapot().json(json!({ "kinde_error": rejection.code() }));
        InternalError::from_response(rejection, response).into()
    });
    let server = start_deduplicated(1, config, memory_idempotency(), &calls, echo_route);

    let response = post(
        &server.webhook_url(),
        &TestKey::impostor().sign(&samples::user_created()),
    )
    .await;

    assert_eq!(response.status(), 418);
    assert_eq!(
        json_body(response).await["kinde_error"],
        "invalid_signature"
    );
    assert_eq!(count(&calls), 0);
    server.stop().await;
}

/// Returns `REDIS_URL`, or prints why the test is skipped. With
/// `REQUIRE_REDIS=1` (as CI sets), a missing URL fails the test instead.
fn redis_url() -> Option<String> {
    let url = std::env::var("REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty());
    if url.is_none() {
        let required = std::env::var("REQUIRE_REDIS").is_ok_and(|value| value == "1");
        assert!(!required, "REQUIRE_REDIS=1 but REDIS_URL is not set");
        println!("skipped: REDIS_URL is not set (start redis-server and export REDIS_URL)");
    }
    url
}

/// Returns a key prefix no other test run uses, so runs never see each other's keys.
fn unique_key_prefix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("kinde-webhook-actix-test:{}:{nanos}:", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_instances_call_handler_once_in_total() {
    let Some(redis_url) = redis_url() else {
        return;
    };
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let key_prefix = unique_key_prefix();
    let start_instance = || {
        let store = RedisStore::builder(redis_url.as_str())
            .key_prefix(key_prefix.as_str())
            .build()
            .unwrap();
        let config = KindeWebhookConfig::new(issuer.verifier());
        start_deduplicated(1, config, Idempotency::new(store), &calls, slow_route)
    };
    let first = start_instance();
    let second = start_instance();
    let urls = [first.webhook_url(), second.webhook_url()];
    let token = issuer.sign(&samples::user_created());

    let responses = post_concurrently(&urls, &token, 5).await;
    assert_eq!(responses.len(), 10);
    assert_deduplicated(&responses);
    assert_eq!(count(&calls), 1);

    for url in &urls {
        assert_eq!(
            post(url, &token).await.status(),
            200,
            "a delivery after completion to {url}"
        );
    }
    assert_eq!(count(&calls), 1);
    first.stop().await;
    second.stop().await;
}
