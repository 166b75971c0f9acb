//! The layer and the extractor in a real axum server, against a test issuer
//! that serves a real JWKS on loopback.

#![cfg(feature = "axum")]

mod common;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Calls, json_body, post_jwt, serve, serve_webhook_app, webhook_app};
use http::Response;
use kinde_webhook::testing::{
    JwksResponse, TestIssuer, TestKey, refused_issuer_url, samples, sign_hs256,
};
use kinde_webhook::{Algorithm, EventData, Source, Verifier};
use kinde_webhook_tower::{KindeEvent, KindeWebhookLayer};
use serde_json::{Value, json};

#[tokio::test]
async fn valid_user_created_reaches_handler() {
    let issuer = TestIssuer::start().await;
    let (url, calls) = serve_webhook_app(issuer.verifier()).await;
    let sample = samples::user_created()
        .email(Some("ada@example.com"))
        .first_name(Some("Ada"))
        .source("api");
    let event_id = sample.to_json()["event_id"].as_str().unwrap().to_owned();

    let response = post_jwt(&url, issuer.sign(&sample.to_json())).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), format!("{event_id} api"));
    assert_eq!(calls.count(), 1);
    let event = calls.last_event().unwrap();
    assert_eq!(event.event_id, event_id);
    assert_eq!(event.source, Source::Api);
    let EventData::UserCreated(data) = &event.data else {
        panic!("expected user.created data, got {:?}", event.data);
    };
    assert_eq!(data.user.email(), Some("ada@example.com"));
    assert_eq!(data.user.first_name.as_deref(), Some("Ada"));
}

#[tokio::test]
async fn body_with_surrounding_whitespace_is_accepted() {
    let issuer = TestIssuer::start().await;
    let (url, calls) = serve_webhook_app(issuer.verifier()).await;
    let token = issuer.sign(&samples::user_created().to_json());

    let response = post_jwt(&url, format!("\r\n {token}\n")).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(calls.count(), 1);
}

#[tokio::test]
async fn every_content_type_is_accepted() {
    let issuer = TestIssuer::start().await;
    let (url, calls) = serve_webhook_app(issuer.verifier()).await;
    let client = reqwest::Client::new();

    for content_type in [
        Some("application/jwt"),
        Some("application/json"),
        Some("text/plain"),
        None,
    ] {
        let token = issuer.sign(&samples::user_created().to_json());
        let mut request = client.post(&url).body(token);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }

        let response = request.send().await.unwrap();

        assert_eq!(
            response.status(),
            StatusCode::OK,
            "content type {content_type:?}"
        );
    }
    assert_eq!(calls.count(), 4);
}

#[tokio::test]
async fn handler_receives_original_body_bytes() {
    let issuer = TestIssuer::start().await;
    let app = Router::new().route(
        "/webhooks/kinde",
        post(|KindeEvent(_): KindeEvent, body: String| async move { body })
            .layer(KindeWebhookLayer::new(issuer.verifier())),
    );
    let address = serve(app).await;
    let body = format!(" {} \n", issuer.sign(&samples::user_created().to_json()));

    let response = post_jwt(&format!("http://{address}/webhooks/kinde"), body.clone()).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), body);
}

/// A case of the rejection table: the body to send, the status and error code expected.
struct Rejection {
    name: &'static str,
    body: String,
    status: StatusCode,
    code: &'static str,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn payload_bytes(payload: &Value) -> Vec<u8> {
    serde_json::to_vec(payload).unwrap()
}

fn rejection_cases() -> Vec<Rejection> {
    let key = TestKey::primary();
    let kid = key.kid().to_owned();
    let payload = payload_bytes(&samples::user_created().to_json());

    let alg_none = format!(
        "{}.{}.",
        b64(&payload_bytes(&json!({"alg": "none", "kid": kid}))),
        b64(&payload)
    );
    let hs256 = sign_hs256(
        key.public_key_der(),
        &json!({"alg": "HS256", "typ": "JWT", "kid": kid}),
        &payload,
    );
    let rs512 = key.sign_raw(
        Algorithm::RS512,
        &json!({"alg": "RS512", "typ": "JWT", "kid": kid}),
        &payload,
    );
    let no_kid = key.sign_raw(
        Algorithm::RS256,
        &json!({"alg": "RS256", "typ": "JWT"}),
        &payload,
    );
    let unknown_kid = TestKey::rotated().sign(&samples::user_created().to_json());
    let impostor = TestKey::impostor().sign(&samples::user_created().to_json());
    let with_aud = key.sign(
        &samples::user_created()
            .with_envelope(|e| e["aud"] = json!("someone-else"))
            .to_json(),
    );
    let expired = key.sign(
        &samples::user_created()
            .with_envelope(|e| e["exp"] = json!(1_000_000_000))
            .to_json(),
    );
    let not_an_event = key.sign(&json!({"hello": "world"}));
    let header_not_json = format!(
        "{}.{}.{}",
        b64(b"not json"),
        b64(&payload),
        b64(b"signature")
    );

    let case = |name, body: String, status, code| Rejection {
        name,
        body,
        status,
        code,
    };
    vec![
        case(
            "alg none",
            alg_none,
            StatusCode::UNAUTHORIZED,
            "disallowed_algorithm",
        ),
        case(
            "HS256 keyed with the public key",
            hs256,
            StatusCode::UNAUTHORIZED,
            "disallowed_algorithm",
        ),
        case(
            "RS512",
            rs512,
            StatusCode::UNAUTHORIZED,
            "disallowed_algorithm",
        ),
        case(
            "missing kid",
            no_kid,
            StatusCode::UNAUTHORIZED,
            "missing_kid",
        ),
        case(
            "unknown kid",
            unknown_kid,
            StatusCode::UNAUTHORIZED,
            "unknown_kid",
        ),
        case(
            "impostor signature",
            impostor,
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
        ),
        case(
            "aud claim",
            with_aud,
            StatusCode::UNAUTHORIZED,
            "rejected_claim",
        ),
        case(
            "expired exp",
            expired,
            StatusCode::UNAUTHORIZED,
            "rejected_claim",
        ),
        case(
            "not an event",
            not_an_event,
            StatusCode::BAD_REQUEST,
            "invalid_event",
        ),
        case(
            "two segments",
            "abc.def".to_owned(),
            StatusCode::BAD_REQUEST,
            "malformed_token",
        ),
        case(
            "four segments",
            "a.b.c.d".to_owned(),
            StatusCode::BAD_REQUEST,
            "malformed_token",
        ),
        case(
            "header not JSON",
            header_not_json,
            StatusCode::BAD_REQUEST,
            "malformed_token",
        ),
        case(
            "plain JSON body",
            payload_bytes_string(&payload),
            StatusCode::BAD_REQUEST,
            "malformed_token",
        ),
        case(
            "empty body",
            String::new(),
            StatusCode::BAD_REQUEST,
            "malformed_token",
        ),
        case(
            "whitespace body",
            " \n\t".to_owned(),
            StatusCode::BAD_REQUEST,
            "malformed_token",
        ),
    ]
}

fn payload_bytes_string(payload: &[u8]) -> String {
    String::from_utf8(payload.to_vec()).unwrap()
}

#[tokio::test]
async fn rejections_never_call_handler() {
    let issuer = TestIssuer::start().await;
    let (url, calls) = serve_webhook_app(issuer.verifier()).await;

    for case in rejection_cases() {
        let response = post_jwt(&url, case.body).await;

        assert_eq!(response.status(), case.status, "{}", case.name);
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{}",
            case.name
        );
        assert!(
            response.headers().get("retry-after").is_none(),
            "{}",
            case.name
        );
        let body = json_body(response).await;
        assert_eq!(body["error"], case.code, "{}: {body}", case.name);
        assert!(
            body["reason"]
                .as_str()
                .is_some_and(|reason| !reason.is_empty()),
            "{}",
            case.name
        );
    }
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn rejection_body_never_echoes_token() {
    let issuer = TestIssuer::start().await;
    let (url, _calls) = serve_webhook_app(issuer.verifier()).await;
    let token = TestKey::impostor().sign(&samples::user_created().to_json());
    let signature = token.rsplit('.').next().unwrap().to_owned();

    let response = post_jwt(&url, token).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = response.text().await.unwrap();
    assert!(!text.contains(&signature), "{text}");
}

#[tokio::test]
async fn jwks_error_status_gives_503() {
    let issuer = TestIssuer::start().await;
    issuer.set_response(JwksResponse::Status(500));
    let (url, calls) = serve_webhook_app(issuer.verifier()).await;

    let response = post_jwt(&url, issuer.sign(&samples::user_created().to_json())).await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "30");
    assert_eq!(json_body(response).await["error"], "jwks_unavailable");
    assert_eq!(issuer.fetch_count(), 1);
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn jwks_refused_connection_gives_503() {
    let verifier = Verifier::builder(refused_issuer_url().await)
        .build()
        .unwrap();
    let (url, calls) = serve_webhook_app(verifier).await;
    let token = TestKey::primary().sign(&samples::user_created().to_json());

    let response = post_jwt(&url, token).await;

    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "30");
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn get_on_webhook_route_gives_405() {
    let issuer = TestIssuer::start().await;
    let (url, calls) = serve_webhook_app(issuer.verifier()).await;

    let response = reqwest::get(&url).await.unwrap();

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    assert_eq!(calls.count(), 0);
    assert_eq!(issuer.fetch_count(), 0);
}

#[tokio::test]
async fn other_routes_are_unaffected() {
    let issuer = TestIssuer::start().await;
    let calls = Calls::default();
    let address = serve(webhook_app(
        KindeWebhookLayer::new(issuer.verifier()),
        calls.clone(),
    ))
    .await;

    let response = reqwest::Client::new()
        .post(format!("http://{address}/echo"))
        .body("not a token")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "not a token");
    assert_eq!(issuer.fetch_count(), 0);
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn extractor_without_layer_gives_500() {
    let calls = Calls::default();
    let app = Router::new()
        .route("/webhooks/kinde", post(common::on_webhook))
        .with_state(calls.clone());
    let address = serve(app).await;
    let token = TestKey::primary().sign(&samples::user_created().to_json());

    let response = post_jwt(&format!("http://{address}/webhooks/kinde"), token).await;

    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let text = response.text().await.unwrap();
    assert!(text.contains("KindeWebhookLayer"), "{text}");
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn optional_extractor_is_none_on_passthrough() {
    let issuer = TestIssuer::start().await;
    let describe = |event: Option<KindeEvent>| async move {
        match event {
            Some(event) => format!("event {}", event.event_id),
            None => "no event".to_owned(),
        }
    };
    let app = Router::new().route(
        "/webhooks/kinde",
        post(describe)
            .put(describe)
            .layer(KindeWebhookLayer::new(issuer.verifier())),
    );
    let address = serve(app).await;
    let url = format!("http://{address}/webhooks/kinde");
    let sample = samples::user_created();
    let event_id = sample.to_json()["event_id"].as_str().unwrap().to_owned();
    let client = reqwest::Client::new();

    let put = client
        .put(&url)
        .body(issuer.sign(&sample.to_json()))
        .send()
        .await
        .unwrap();
    let post = client
        .post(&url)
        .body(issuer.sign(&sample.to_json()))
        .send()
        .await
        .unwrap();

    assert_eq!(put.status(), StatusCode::OK);
    assert_eq!(put.text().await.unwrap(), "no event");
    assert_eq!(post.status(), StatusCode::OK);
    assert_eq!(post.text().await.unwrap(), format!("event {event_id}"));
}

#[tokio::test]
async fn extractor_works_beside_other_extractors() {
    let issuer = TestIssuer::start().await;
    let handler = |headers: http::HeaderMap, event: KindeEvent, method: http::Method| async move {
        let delivery = headers
            .get("webhook-id")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        format!("{method} {delivery} {}", event.into_inner().event_type)
    };
    let app = Router::new().route(
        "/webhooks/kinde",
        post(handler).layer(KindeWebhookLayer::new(issuer.verifier())),
    );
    let address = serve(app).await;

    let response = reqwest::Client::new()
        .post(format!("http://{address}/webhooks/kinde"))
        .header("webhook-id", "msg_1")
        .body(issuer.sign(&samples::user_created().to_json()))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "POST msg_1 user.created");
}

#[tokio::test]
async fn custom_rejection_hook_replaces_response() {
    let issuer = TestIssuer::start().await;
    let layer = KindeWebhookLayer::new(issuer.verifier()).on_rejection(|error| {
        let body = format!("custom {} {}", error.status().as_u16(), error.kind().code());
        Response::builder()
            .status(StatusCode::IM_A_TEAPOT)
            .header("x-rejected-kid", error.kid().unwrap_or("none"))
            .body(body)
            .unwrap()
    });
    let calls = Calls::default();
    let address = serve(webhook_app(layer, calls.clone())).await;
    let token = TestKey::impostor().sign(&samples::user_created().to_json());

    let response = post_jwt(&format!("http://{address}/webhooks/kinde"), token).await;

    assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
    assert_eq!(
        response.headers()["x-rejected-kid"],
        TestKey::primary().kid()
    );
    assert_eq!(
        response.text().await.unwrap(),
        "custom 401 invalid_signature"
    );
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn custom_rejection_hook_accepts_axum_response() {
    use axum::response::IntoResponse as _;

    let issuer = TestIssuer::start().await;
    let layer = KindeWebhookLayer::new(issuer.verifier()).on_rejection(|error| {
        (
            error.status(),
            axum::Json(json!({"rejected": error.kind().code()})),
        )
            .into_response()
    });
    let calls = Calls::default();
    let address = serve(webhook_app(layer, calls.clone())).await;

    let response = post_jwt(&format!("http://{address}/webhooks/kinde"), "abc.def").await;

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        json_body(response).await,
        json!({"rejected": "malformed_token"})
    );
    assert_eq!(calls.count(), 0);
}

#[tokio::test]
async fn custom_rejection_hook_gets_oversized_body() {
    let issuer = TestIssuer::start().await;
    let layer = KindeWebhookLayer::new(issuer.verifier()).on_rejection(|error| {
        let mut response = Response::new(format!("hook {}", error.kind().code()));
        *response.status_mut() = error.status();
        response
    });
    let calls = Calls::default();
    let address = serve(webhook_app(layer, calls.clone())).await;

    let response = post_jwt(
        &format!("http://{address}/webhooks/kinde"),
        vec![b'a'; 300 * 1024],
    )
    .await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.text().await.unwrap(), "hook payload_too_large");
    assert_eq!(calls.count(), 0);
}
