//! The `KindeEvent` extractor on a real `HttpServer`, against a test issuer
//! that serves a real JWKS on loopback.

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::error::InternalError;
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use futures_util::StreamExt as _;
use kinde_webhook::testing::{JwksResponse, TestIssuer, TestKey, samples, sign_hs256};
use kinde_webhook::{Algorithm, DEFAULT_MAX_TOKEN_SIZE};
use kinde_webhook_actix::KindeWebhookConfig;
use serde_json::{Value, json};

use support::{
    Calls, TestServer, WEBHOOK_PATH, calls, client, count, count_and_echo, endless_body, json_body,
    retry_after, send_guarded,
};

/// Starts a one-worker server whose webhook route uses `config`.
fn start_with(config: KindeWebhookConfig, calls: &Calls) -> TestServer {
    start_workers(1, config, calls)
}

fn start_workers(workers: usize, config: KindeWebhookConfig, calls: &Calls) -> TestServer {
    let calls = calls.clone();
    TestServer::start(workers, move |app| {
        app.app_data(config.clone())
            .app_data(calls.clone())
            .route(WEBHOOK_PATH, web::post().to(count_and_echo));
    })
}

fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_user_created_reaches_handler() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let server = start_with(KindeWebhookConfig::new(issuer.verifier()), &calls);
    let sample = samples::user_created()
        .email(Some("ada@example.com"))
        .source("api");
    let event_id = sample.to_json()["event_id"].clone();

    let response = client()
        .post(server.webhook_url())
        .header("content-type", "application/jwt")
        .body(issuer.sign(&sample))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let echo = json_body(response).await;
    assert_eq!(echo["type"], "user.created");
    assert_eq!(echo["email"], "ada@example.com");
    assert_eq!(echo["source"], "api");
    assert_eq!(echo["event_id"], event_id);
    assert_eq!(count(&calls), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_return_status_without_handler() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let server = start_with(KindeWebhookConfig::new(issuer.verifier()), &calls);

    let primary = TestKey::primary();
    let kid = primary.kid().to_owned();
    let payload = samples::user_created().to_json();
    let payload_bytes = serde_json::to_vec(&payload).unwrap();
    let with_claim = |name: &str, value: Value| {
        let mut payload = samples::user_created().to_json();
        payload[name] = value;
        payload
    };
    let mut without_event_id = samples::user_created().to_json();
    without_event_id.as_object_mut().unwrap().remove("event_id");

    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                base64url(
                    json!({"alg": "none", "typ": "JWT", "kid": kid})
                        .to_string()
                        .as_bytes()
                ),
                base64url(&payload_bytes)
            ),
            401,
            "disallowed_algorithm",
        ),
        (
            "HS256 keyed with the public key",
            sign_hs256(
                primary.public_key_der(),
                &json!({"alg": "HS256", "typ": "JWT", "kid": kid}),
                &payload_bytes,
            ),
            401,
            "disallowed_algorithm",
        ),
        (
            "RS512",
            primary.sign_raw(
                Algorithm::RS512,
                &json!({"alg": "RS512", "typ": "JWT", "kid": kid}),
                &payload_bytes,
            ),
            401,
            "disallowed_algorithm",
        ),
        (
            "missing kid",
            primary.sign_raw(
                Algorithm::RS256,
                &json!({"alg": "RS256", "typ": "JWT"}),
                &payload_bytes,
            ),
            401,
            "missing_kid",
        ),
        (
            "unknown kid",
            TestKey::rotated().sign(&payload),
            401,
            "unknown_kid",
        ),
        (
            "impostor signature",
            TestKey::impostor().sign(&payload),
            401,
            "invalid_signature",
        ),
        (
            "aud claim",
            primary.sign(&with_claim("aud", json!("my-app"))),
            401,
            "rejected_claim",
        ),
        (
            "expired exp",
            primary.sign(&with_claim("exp", json!(unix_now() - 3600))),
            401,
            "rejected_claim",
        ),
        (
            "one segment",
            "not-a-jwt".to_owned(),
            400,
            "malformed_token",
        ),
        (
            "two segments",
            format!("{}.{}", base64url(b"{}"), base64url(&payload_bytes)),
            400,
            "malformed_token",
        ),
        (
            "header not JSON",
            format!(
                "{}.{}.{}",
                base64url(b"not json"),
                base64url(&payload_bytes),
                base64url(b"sig")
            ),
            400,
            "malformed_token",
        ),
        ("empty body", String::new(), 400, "malformed_token"),
        (
            "whitespace body",
            " \r\n\t".to_owned(),
            400,
            "malformed_token",
        ),
        (
            "signed payload without event_id",
            primary.sign(&without_event_id),
            400,
            "invalid_event",
        ),
    ];

    let client = client();
    for (case, token, status, code) in &cases {
        let response = client
            .post(server.webhook_url())
            .body(token.clone())
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), *status, "{case}: status");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .map(|value| value.to_str().unwrap()),
            Some("application/json"),
            "{case}: content type"
        );
        let body = response.text().await.unwrap();
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"], *code, "{case}: error code in {body}");
        if let Some(signature) = token
            .rsplit('.')
            .next()
            .filter(|signature| signature.len() > 16)
        {
            assert!(
                !body.contains(signature),
                "{case}: the body echoes the token: {body}"
            );
        }
    }

    assert_eq!(count(&calls), 0, "the handler ran for a rejected token");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_down_on_cold_cache_is_503() {
    let issuer = TestIssuer::start().await;
    issuer.set_response(JwksResponse::Status(500));
    let calls = calls();
    let server = start_with(KindeWebhookConfig::new(issuer.verifier()), &calls);

    let token = issuer.sign(&samples::user_created());
    let response = client()
        .post(server.webhook_url())
        .body(token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 503);
    assert_eq!(retry_after(&response).as_deref(), Some("30"));
    assert_eq!(json_body(response).await["error"], "jwks_unavailable");
    assert_eq!(issuer.fetch_count(), 1);
    assert_eq!(count(&calls), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_body_with_content_length_is_413() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let server = start_with(KindeWebhookConfig::new(issuer.verifier()), &calls);
    let client = client();

    let oversized = "a".repeat(DEFAULT_MAX_TOKEN_SIZE + 1);
    let response = client
        .post(server.webhook_url())
        .body(oversized)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let error = json_body(response).await;
    assert_eq!(error["error"], "payload_too_large");
    assert!(
        error["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("{} bytes", DEFAULT_MAX_TOKEN_SIZE + 1)),
        "the reason names the declared length: {error}"
    );

    // A body of exactly the limit is read and reaches verification.
    let at_limit = "a".repeat(DEFAULT_MAX_TOKEN_SIZE);
    let response = client
        .post(server.webhook_url())
        .body(at_limit)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    assert_eq!(count(&calls), 0);
    server.stop().await;
}

/// Builds a chunked request body of `length` bytes of `a`, sent without `Content-Length`.
fn chunked_body(length: usize) -> reqwest::Body {
    const CHUNK: usize = 16 * 1024;
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..length)
        .step_by(CHUNK)
        .map(|start| Ok(Bytes::from("a".repeat(CHUNK.min(length - start)))))
        .collect();
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_chunked_body_is_413() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let server = start_with(KindeWebhookConfig::new(issuer.verifier()), &calls);
    let client = client();

    let request = client
        .post(server.webhook_url())
        .body(chunked_body(DEFAULT_MAX_TOKEN_SIZE + 1));
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(json_body(response).await["error"], "payload_too_large");

    let request = client
        .post(server.webhook_url())
        .body(chunked_body(DEFAULT_MAX_TOKEN_SIZE));
    let response = request.send().await.unwrap();
    assert_eq!(
        response.status(),
        400,
        "a chunked body of exactly the limit reaches verification"
    );

    assert_eq!(count(&calls), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_chunked_300_kib_body_is_413() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let server = start_with(KindeWebhookConfig::new(issuer.verifier()), &calls);

    let request = client()
        .post(server.webhook_url())
        .header("content-type", "application/jwt")
        .body(reqwest::Body::wrap_stream(endless_body(300 * 1024)));
    let response = send_guarded(request).await;

    assert_eq!(response.status(), 413);
    let error = json_body(response).await;
    assert_eq!(error["error"], "payload_too_large");
    assert_eq!(
        error["reason"],
        "the body is over the 262144-byte token size limit"
    );
    assert_eq!(count(&calls), 0);
    assert_eq!(issuer.fetch_count(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_limit_comes_from_verifier() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let verifier = issuer
        .verifier_builder()
        .max_token_size(512)
        .build()
        .unwrap();
    let server = start_with(KindeWebhookConfig::new(verifier), &calls);

    let token = issuer.sign(&samples::user_created());
    assert!(
        token.len() > 512,
        "the sample token is {} bytes",
        token.len()
    );
    let response = client()
        .post(server.webhook_url())
        .body(token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 413);
    assert_eq!(count(&calls), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_content_type_is_accepted() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let server = start_with(KindeWebhookConfig::new(issuer.verifier()), &calls);
    let client = client();

    let content_types = [
        Some("application/jwt"),
        Some("application/json"),
        Some("text/plain"),
        None,
    ];
    for content_type in content_types {
        // A trailing newline must not matter, because the verifier trims whitespace.
        let token = format!("{}\n", issuer.sign(&samples::user_created()));
        let mut request = client.post(server.webhook_url()).body(token);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.unwrap();

        assert_eq!(response.status(), 200, "content type {content_type:?}");
    }

    assert_eq!(count(&calls), content_types.len());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_share_one_jwks_fetch() {
    const REQUESTS: usize = 200;

    let issuer = TestIssuer::start().await;
    // The delay keeps the first fetch in flight while every request arrives.
    issuer.set_delay(Duration::from_millis(200));
    let calls = calls();
    let server = start_workers(4, KindeWebhookConfig::new(issuer.verifier()), &calls);
    let client = client();
    let url = server.webhook_url();

    let tokens: Vec<String> = (0..REQUESTS)
        .map(|_| issuer.sign(&samples::user_created()))
        .collect();
    let statuses: Vec<u16> = futures_util::stream::iter(tokens)
        .map(|token| {
            let request = client.post(&url).body(token);
            async move { request.send().await.unwrap().status().as_u16() }
        })
        .buffer_unordered(REQUESTS)
        .collect()
        .await;

    let accepted = statuses.iter().filter(|status| **status == 200).count();
    assert_eq!(accepted, REQUESTS, "statuses: {statuses:?}");
    assert_eq!(count(&calls), REQUESTS);
    assert_eq!(issuer.fetch_count(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_config_is_500_naming_it() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let handler_calls = calls.clone();
    let server = TestServer::start(1, move |app| {
        app.app_data(handler_calls.clone())
            .route(WEBHOOK_PATH, web::post().to(count_and_echo));
    });

    let token = issuer.sign(&samples::user_created());
    let response = client()
        .post(server.webhook_url())
        .body(token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 500);
    let error = json_body(response).await;
    assert_eq!(error["error"], "missing_configuration");
    assert!(
        error["reason"]
            .as_str()
            .unwrap()
            .contains("KindeWebhookConfig"),
        "{error}"
    );
    assert_eq!(issuer.fetch_count(), 0);
    assert_eq!(count(&calls), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_in_web_data_is_found() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let config = web::Data::new(KindeWebhookConfig::new(issuer.verifier()));
    let handler_calls = calls.clone();
    let server = TestServer::start(1, move |app| {
        app.app_data(config.clone())
            .app_data(handler_calls.clone())
            .route(WEBHOOK_PATH, web::post().to(count_and_echo));
    });

    let token = issuer.sign(&samples::user_created());
    let response = client()
        .post(server.webhook_url())
        .body(token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(count(&calls), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_error_handler_replaces_response() {
    let issuer = TestIssuer::start().await;
    let calls = calls();
    let config = KindeWebhookConfig::new(issuer.verifier()).error_handler(|rejection, request| {
        let response = HttpResponse::ImATeapot().json(json!({
            "kinde_error": rejection.code(),
            "status": rejection.status().as_u16(),
            "path": request.path(),
        }));
        InternalError::from_response(rejection, response).into()
    });
    let server = start_with(config, &calls);

    let token = TestKey::impostor().sign(&samples::user_created());
    let response = client()
        .post(server.webhook_url())
        .body(token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 418);
    let body = json_body(response).await;
    assert_eq!(body["kinde_error"], "invalid_signature");
    assert_eq!(body["status"], 401);
    assert_eq!(body["path"], WEBHOOK_PATH);
    assert_eq!(count(&calls), 0);
    server.stop().await;
}
