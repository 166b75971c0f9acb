//! Verification against a real JWKS served on loopback: accepted tokens and
//! every rejection class, with real RSA keys.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kinde_webhook::testing::{TestIssuer, TestKey, samples, sign_hs256};
use kinde_webhook::{Algorithm, ErrorKind, EventData, Source, Verifier};
use serde_json::{Value, json};

/// The real payload Kinde delivered in its own test fixture (decoded).
fn real_payload() -> Value {
    json!({
        "data": {"user": {
            "email": "daniel@kinde.com", "first_name": "Daniel",
            "id": "kp_65b28d71bba14fa380d56d2d8d3503da",
            "is_password_reset_requested": false, "is_suspended": false, "last_name": "Rivers",
            "organizations": [{"code": "org_590d7f1a86a", "permissions": null, "roles": null}],
            "phone": null, "username": "daniel"
        }},
        "event_id": "event_018f331a3178f7fef284b95fe6770384",
        "source": "admin",
        "timestamp": "2024-05-01T17:41:45.592145+10:00",
        "type": "user.updated"
    })
}

fn kinde_header(kid: &str) -> Value {
    json!({ "alg": "RS256", "typ": "JWT", "kid": kid })
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn real_payload_verifies_and_parses() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier();
    let token = issuer.sign(&real_payload());

    let event = verifier.verify(token.as_bytes()).await.unwrap();

    assert_eq!(event.event_id, "event_018f331a3178f7fef284b95fe6770384");
    assert_eq!(event.event_type, "user.updated");
    assert_eq!(event.source, Source::Admin);
    let timestamp = event.parse_timestamp().unwrap();
    assert_eq!(timestamp.offset().whole_hours(), 10);
    assert_eq!(timestamp.microsecond(), 592_145);
    let EventData::UserUpdated(data) = &event.data else {
        panic!("expected user.updated data, got {:?}", event.data);
    };
    assert_eq!(data.user.email(), Some("daniel@kinde.com"));
    assert!(data.user.organizations[0].roles.is_empty());
}

#[tokio::test]
async fn kid_is_colon_hex_and_opaque() {
    let issuer = TestIssuer::start().await;
    let token = issuer.sign(&real_payload());

    let payload = issuer
        .verifier()
        .verify_payload(token.as_bytes())
        .await
        .unwrap();

    assert_eq!(
        payload.kid(),
        "4c:fa:9e:7d:31:a2:0b:58:c6:e4:12:8f:93:d7:05:6a"
    );
    assert_eq!(payload.algorithm(), Algorithm::RS256);
}

#[tokio::test]
async fn surrounding_whitespace_is_trimmed() {
    let issuer = TestIssuer::start().await;
    let token = issuer.sign(&samples::user_created().to_json());
    let body = format!("\r\n  {token}\n\t ");

    let event = issuer.verifier().verify(body.as_bytes()).await.unwrap();

    assert_eq!(event.event_type, "user.created");
}

#[tokio::test]
async fn verified_payload_is_kept_and_parsed_later() {
    let issuer = TestIssuer::start().await;
    let sample = samples::user_created().email(Some("ada@example.com"));
    let token = issuer.sign(&sample.to_json());

    let payload = issuer
        .verifier()
        .verify_payload(token.as_bytes())
        .await
        .unwrap();
    let stored: Value = serde_json::from_slice(payload.as_bytes()).unwrap();
    let event = payload.parse().unwrap();

    assert_eq!(stored, sample.to_json());
    assert_eq!(event.user().unwrap().email(), Some("ada@example.com"));
}

#[tokio::test]
async fn unknown_type_and_odd_data_still_verify() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier();
    let unknown =
        issuer.sign(&samples::event("subscription.created", json!({"id": "sub_1"})).to_json());
    let odd = issuer.sign(
        &samples::user_created()
            .with_data(|data| data["user"] = json!("not an object"))
            .to_json(),
    );

    let unknown = verifier.verify(unknown.as_bytes()).await.unwrap();
    let odd = verifier.verify(odd.as_bytes()).await.unwrap();

    assert!(matches!(unknown.data, EventData::Other(_)));
    assert!(matches!(odd.data, EventData::Other(_)));
}

#[tokio::test]
async fn exp_and_nbf_are_accepted_when_valid() {
    let issuer = TestIssuer::start().await;
    let payload = samples::user_created()
        .with_envelope(|envelope| {
            envelope["exp"] = json!(now_secs() + 600);
            envelope["nbf"] = json!(now_secs() - 600);
        })
        .to_json();

    let result = issuer
        .verifier()
        .verify(issuer.sign(&payload).as_bytes())
        .await;

    assert!(result.is_ok(), "{result:?}");
}

/// One rejection case: a body and the error kind it must produce.
struct Rejection {
    name: &'static str,
    body: Vec<u8>,
    kind: ErrorKind,
}

fn rejection(name: &'static str, body: impl Into<Vec<u8>>, kind: ErrorKind) -> Rejection {
    Rejection {
        name,
        body: body.into(),
        kind,
    }
}

fn rejection_cases() -> Vec<Rejection> {
    let primary = TestKey::primary();
    let payload = samples::user_created().to_json();
    let payload_bytes = serde_json::to_vec(&payload).unwrap();
    let valid = primary.sign(&payload);
    let segments: Vec<&str> = valid.split('.').collect();
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap());

    let none_header = encode(&json!({ "alg": "none", "typ": "JWT", "kid": primary.kid() }));
    let hs256_header = json!({ "alg": "HS256", "typ": "JWT", "kid": primary.kid() });
    let with_claim = |name: &str, value: Value| {
        let mut payload = payload.clone();
        payload[name] = value;
        primary.sign(&payload)
    };
    let forged_payload = encode(
        &samples::user_created()
            .email(Some("mallory@example.com"))
            .to_json(),
    );

    vec![
        rejection("empty body", "", ErrorKind::MalformedToken),
        rejection("whitespace only", "  \n", ErrorKind::MalformedToken),
        rejection(
            "two segments",
            format!("{}.{}", segments[0], segments[1]),
            ErrorKind::MalformedToken,
        ),
        rejection(
            "four segments",
            format!("{valid}.x"),
            ErrorKind::MalformedToken,
        ),
        rejection(
            "truncated signature",
            &valid[..valid.len() - 10],
            ErrorKind::InvalidSignature,
        ),
        rejection(
            "signature cut to nothing",
            format!("{}.{}.", segments[0], segments[1]),
            ErrorKind::MalformedToken,
        ),
        rejection(
            "non-base64 payload",
            format!("{}.@@@.{}", segments[0], segments[2]),
            ErrorKind::MalformedToken,
        ),
        rejection(
            "non-base64 header",
            format!("%%.{}.{}", segments[1], segments[2]),
            ErrorKind::MalformedToken,
        ),
        rejection(
            "header not JSON",
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode("RS256"),
                segments[1],
                segments[2]
            ),
            ErrorKind::MalformedToken,
        ),
        rejection(
            "payload not JSON",
            primary.sign_raw(Algorithm::RS256, &kinde_header(primary.kid()), b"not json"),
            ErrorKind::MalformedToken,
        ),
        rejection(
            "payload not an object",
            primary.sign_raw(Algorithm::RS256, &kinde_header(primary.kid()), b"[1,2]"),
            ErrorKind::MalformedToken,
        ),
        rejection(
            "envelope without event_id",
            primary.sign(
                &json!({"type": "user.created", "timestamp": "2024-05-01T00:00:00Z", "data": {}}),
            ),
            ErrorKind::InvalidEvent,
        ),
        rejection(
            "alg none, empty signature",
            format!("{none_header}.{}.", segments[1]),
            ErrorKind::DisallowedAlgorithm,
        ),
        rejection(
            "alg none, original signature",
            format!("{none_header}.{}.{}", segments[1], segments[2]),
            ErrorKind::DisallowedAlgorithm,
        ),
        rejection(
            "HS256 keyed with the public key",
            sign_hs256(primary.public_key_der(), &hs256_header, &payload_bytes),
            ErrorKind::DisallowedAlgorithm,
        ),
        rejection(
            "RS512",
            primary.sign_raw(
                Algorithm::RS512,
                &json!({"alg": "RS512", "kid": primary.kid()}),
                &payload_bytes,
            ),
            ErrorKind::DisallowedAlgorithm,
        ),
        rejection(
            "PS256",
            primary.sign_raw(
                Algorithm::PS256,
                &json!({"alg": "PS256", "kid": primary.kid()}),
                &payload_bytes,
            ),
            ErrorKind::DisallowedAlgorithm,
        ),
        rejection(
            "no alg",
            primary.sign_raw(
                Algorithm::RS256,
                &json!({"kid": primary.kid()}),
                &payload_bytes,
            ),
            ErrorKind::DisallowedAlgorithm,
        ),
        rejection(
            "no kid",
            primary.sign_raw(Algorithm::RS256, &json!({"alg": "RS256"}), &payload_bytes),
            ErrorKind::MissingKid,
        ),
        rejection(
            "unknown kid",
            TestKey::rotated().sign(&payload),
            ErrorKind::UnknownKid,
        ),
        rejection(
            "another key with the same kid",
            TestKey::impostor().sign(&payload),
            ErrorKind::InvalidSignature,
        ),
        rejection(
            "payload swapped after signing",
            format!("{}.{forged_payload}.{}", segments[0], segments[2]),
            ErrorKind::InvalidSignature,
        ),
        rejection(
            "aud claim",
            with_claim("aud", json!("https://yourbiz.kinde.com")),
            ErrorKind::RejectedClaim,
        ),
        rejection(
            "expired exp",
            with_claim("exp", json!(now_secs() - 3600)),
            ErrorKind::RejectedClaim,
        ),
        rejection(
            "future nbf",
            with_claim("nbf", json!(now_secs() + 3600)),
            ErrorKind::RejectedClaim,
        ),
        rejection(
            "non-numeric exp",
            with_claim("exp", json!("never")),
            ErrorKind::RejectedClaim,
        ),
        rejection(
            "over the size limit",
            vec![b'a'; 256 * 1024 + 1],
            ErrorKind::PayloadTooLarge,
        ),
    ]
}

#[tokio::test]
async fn every_rejection_has_its_kind_and_status() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer
        .verifier_builder()
        .refetch_cooldown(std::time::Duration::from_secs(600))
        .build()
        .unwrap();

    for case in rejection_cases() {
        let error = verifier.verify(&case.body).await.expect_err(case.name);

        assert_eq!(error.kind(), case.kind, "{}: {error}", case.name);
        assert_eq!(error.status(), case.kind.status(), "{}", case.name);
    }
}

#[tokio::test]
async fn error_messages_never_echo_the_token() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier();

    for case in rejection_cases() {
        let error = verifier.verify(&case.body).await.expect_err(case.name);
        let text = format!("{error} {error:?} {}", error.to_json_body());
        let body = String::from_utf8_lossy(&case.body);

        for segment in body.split('.').filter(|segment| segment.len() > 16) {
            assert!(
                !text.contains(segment),
                "{}: the error contains a token segment: {text}",
                case.name
            );
        }
    }
}

#[tokio::test]
async fn max_event_age_rejects_old_events_when_set() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer
        .verifier_builder()
        .max_event_age(std::time::Duration::from_secs(48 * 3600))
        .build()
        .unwrap();
    let old = issuer.sign(
        &samples::user_created()
            .timestamp("2024-05-01T17:41:45.592145+10:00")
            .to_json(),
    );

    let error = verifier.verify(old.as_bytes()).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::RejectedClaim);
    assert!(
        issuer.verifier().verify(old.as_bytes()).await.is_ok(),
        "off by default"
    );
}

#[tokio::test]
async fn fixed_key_set_verifies_without_fetching() {
    let issuer = TestIssuer::start().await;
    let document = kinde_webhook::testing::jwks(&[TestKey::primary()]).to_string();
    let verifier = Verifier::builder_with_jwks(document).build().unwrap();
    let token = issuer.sign(&samples::user_created().to_json());

    let event = verifier.verify(token.as_bytes()).await.unwrap();
    let unknown = verifier
        .verify(
            TestKey::rotated()
                .sign(&samples::user_created().to_json())
                .as_bytes(),
        )
        .await;

    assert_eq!(event.event_type, "user.created");
    assert_eq!(unknown.unwrap_err().kind(), ErrorKind::UnknownKid);
    assert_eq!(issuer.fetch_count(), 0);
    assert_eq!(verifier.jwks_url(), None);
}

#[tokio::test]
async fn fixed_key_set_without_usable_keys_fails_to_build() {
    let document = kinde_webhook::testing::jwks(&[TestKey::weak_1024()]).to_string();

    let error = Verifier::builder_with_jwks(document).build().unwrap_err();

    assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
}

#[tokio::test]
async fn generated_key_signs_and_verifies() {
    let key = TestKey::generate();
    let issuer = TestIssuer::start_with_keys(vec![key.clone()]).await;

    let event = issuer
        .verifier()
        .verify(key.sign(&samples::user_created().to_json()).as_bytes())
        .await;

    assert!(event.is_ok(), "{event:?}");
    assert_ne!(key.kid(), TestKey::primary().kid());
}

#[test]
fn crypto_backend_matches_features() {
    let expected = if cfg!(feature = "aws-lc-rs") {
        "aws-lc-rs"
    } else {
        "rust-crypto"
    };

    assert_eq!(kinde_webhook::crypto_backend(), expected);
}
