//! JWKS cache behaviour against a real JWKS server on loopback, with exact
//! fetch counts. Durations are shortened through the builder, never mocked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kinde_webhook::testing::{JwksResponse, TestIssuer, TestKey, refused_issuer_url, samples};
use kinde_webhook::{ErrorKind, JwksState, Verifier};

fn user_created_token(key: &TestKey) -> String {
    key.sign(&samples::user_created().to_json())
}

/// Waits until the issuer has seen `count` fetches, for refreshes that run in
/// the background. Fails after a generous limit instead of hanging.
async fn wait_for_fetches(issuer: &TestIssuer, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while issuer.fetch_count() < count {
        assert!(
            Instant::now() < deadline,
            "expected {count} fetches, saw {}",
            issuer.fetch_count()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn cached_key_is_fetched_once() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier();

    for _ in 0..50 {
        verifier
            .verify(issuer.sign(&samples::user_created().to_json()).as_bytes())
            .await
            .unwrap();
    }

    assert_eq!(issuer.fetch_count(), 1);
    assert_eq!(verifier.jwks_state(), JwksState::Fresh);
}

#[tokio::test]
async fn clones_share_one_cache() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier();
    let clone = verifier.clone();
    let token = user_created_token(&TestKey::primary());

    verifier.verify(token.as_bytes()).await.unwrap();
    clone.verify(token.as_bytes()).await.unwrap();

    assert_eq!(issuer.fetch_count(), 1);
}

#[tokio::test]
async fn prefetch_warms_the_cache() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier();

    assert_eq!(verifier.jwks_state(), JwksState::Empty);
    verifier.prefetch().await.unwrap();
    assert_eq!(verifier.jwks_state(), JwksState::Fresh);
    verifier
        .verify(user_created_token(&TestKey::primary()).as_bytes())
        .await
        .unwrap();

    assert_eq!(issuer.fetch_count(), 1);
}

#[tokio::test]
async fn rotated_key_refetches_once() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier();
    verifier
        .verify(user_created_token(&TestKey::primary()).as_bytes())
        .await
        .unwrap();

    issuer.set_keys(vec![TestKey::rotated(), TestKey::primary()]);
    for _ in 0..5 {
        verifier
            .verify(user_created_token(&TestKey::rotated()).as_bytes())
            .await
            .unwrap();
    }

    assert_eq!(issuer.fetch_count(), 2);
}

#[tokio::test]
async fn concurrent_cold_verifications_share_one_fetch() {
    let issuer = TestIssuer::start().await;
    issuer.set_delay(Duration::from_millis(200));
    let verifier = issuer.verifier();
    let token = Arc::new(user_created_token(&TestKey::primary()));

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let verifier = verifier.clone();
        let token = Arc::clone(&token);
        tasks.spawn(async move { verifier.verify(token.as_bytes()).await });
    }
    let mut verified = 0;
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
        verified += 1;
    }

    assert_eq!(verified, 100);
    assert_eq!(issuer.fetch_count(), 1);
}

#[tokio::test]
async fn unknown_kid_burst_refetches_once_per_cooldown() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier();
    verifier
        .verify(user_created_token(&TestKey::primary()).as_bytes())
        .await
        .unwrap();

    for index in 0..20 {
        let forged = TestKey::primary().with_kid(format!("forged-{index}"));
        let error = verifier
            .verify(user_created_token(&forged).as_bytes())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::UnknownKid);
        assert_eq!(error.kid(), Some(format!("forged-{index}").as_str()));
    }

    assert_eq!(issuer.fetch_count(), 2);
}

#[tokio::test]
async fn concurrent_unknown_kids_share_one_refetch() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer.verifier();
    verifier
        .verify(user_created_token(&TestKey::primary()).as_bytes())
        .await
        .unwrap();
    issuer.set_keys(vec![TestKey::rotated()]);
    issuer.set_delay(Duration::from_millis(200));

    let token = Arc::new(user_created_token(&TestKey::rotated()));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let verifier = verifier.clone();
        let token = Arc::clone(&token);
        tasks.spawn(async move { verifier.verify(token.as_bytes()).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }

    assert_eq!(issuer.fetch_count(), 2);
}

#[tokio::test]
async fn stale_keys_serve_while_refresh_fails() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer
        .verifier_builder()
        .ttl_bounds(Duration::from_secs(1), Duration::from_secs(1))
        .build()
        .unwrap();
    let token = user_created_token(&TestKey::primary());
    verifier.verify(token.as_bytes()).await.unwrap();

    issuer.set_response(JwksResponse::Status(500));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(verifier.jwks_state(), JwksState::Stale);
    verifier.verify(token.as_bytes()).await.unwrap();
    wait_for_fetches(&issuer, 2).await;
    verifier.verify(token.as_bytes()).await.unwrap();

    assert_eq!(issuer.fetch_count(), 2);
    assert_eq!(verifier.jwks_state(), JwksState::Stale);
}

#[tokio::test]
async fn stale_keys_are_replaced_by_a_successful_refresh() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer
        .verifier_builder()
        .ttl_bounds(Duration::from_secs(1), Duration::from_secs(1))
        .build()
        .unwrap();
    let token = user_created_token(&TestKey::primary());
    verifier.verify(token.as_bytes()).await.unwrap();

    tokio::time::sleep(Duration::from_millis(1200)).await;
    verifier.verify(token.as_bytes()).await.unwrap();
    wait_for_fetches(&issuer, 2).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while verifier.jwks_state() != JwksState::Fresh {
        assert!(
            Instant::now() < deadline,
            "the refreshed keys never became fresh"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    assert_eq!(issuer.fetch_count(), 2);
}

#[tokio::test]
async fn keys_past_max_stale_age_are_not_served() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer
        .verifier_builder()
        .ttl_bounds(Duration::from_millis(300), Duration::from_millis(300))
        .max_stale_age(Duration::from_millis(300))
        .build()
        .unwrap();
    let token = user_created_token(&TestKey::primary());
    verifier.verify(token.as_bytes()).await.unwrap();

    issuer.set_response(JwksResponse::Status(503));
    tokio::time::sleep(Duration::from_millis(700)).await;
    let error = verifier.verify(token.as_bytes()).await.unwrap_err();

    assert_eq!(verifier.jwks_state(), JwksState::Empty);
    assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    assert_eq!(issuer.fetch_count(), 2);
}

#[tokio::test]
async fn cache_control_max_age_is_clamped() {
    let issuer = TestIssuer::start().await;
    issuer.set_cache_control(Some("public, max-age=1"));
    let short = issuer
        .verifier_builder()
        .ttl_bounds(Duration::from_millis(500), Duration::from_secs(60))
        .build()
        .unwrap();
    let clamped = issuer
        .verifier_builder()
        .ttl_bounds(Duration::from_secs(30), Duration::from_secs(60))
        .build()
        .unwrap();

    short.prefetch().await.unwrap();
    clamped.prefetch().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;

    assert_eq!(short.jwks_state(), JwksState::Stale);
    assert_eq!(clamped.jwks_state(), JwksState::Fresh);
}

/// Builds a verifier whose fetches give up quickly, for failure tests.
fn impatient(issuer_url: String) -> Verifier {
    Verifier::builder(issuer_url)
        .fetch_timeout(Duration::from_millis(500))
        .build()
        .unwrap()
}

#[tokio::test]
async fn cold_cache_with_jwks_failing_is_unavailable() {
    let hanging = TestIssuer::start().await;
    hanging.set_response(JwksResponse::Hang);
    let failing = TestIssuer::start().await;
    failing.set_response(JwksResponse::Status(500));
    let garbage = TestIssuer::start().await;
    garbage.set_response(JwksResponse::Body("<html>maintenance</html>".to_owned()));
    let token = user_created_token(&TestKey::primary());

    for (name, url) in [
        ("refused", refused_issuer_url().await),
        ("hanging", hanging.issuer_url()),
        ("status 500", failing.issuer_url()),
        ("not a JWKS", garbage.issuer_url()),
    ] {
        let verifier = impatient(url);
        let started = Instant::now();
        let error = verifier.verify(token.as_bytes()).await.unwrap_err();

        assert_eq!(error.kind(), ErrorKind::JwksUnavailable, "{name}: {error}");
        assert_eq!(error.status().as_u16(), 503, "{name}");
        assert_eq!(error.retry_after(), Some(Duration::from_secs(30)), "{name}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{name}: took {:?}",
            started.elapsed()
        );
        assert!(
            error.message().contains("JWKS fetch from"),
            "{name}: {error}"
        );
    }
}

#[tokio::test]
async fn cold_failure_is_not_refetched_within_cooldown() {
    let issuer = TestIssuer::start().await;
    issuer.set_response(JwksResponse::Status(502));
    let verifier = issuer.verifier();
    let token = user_created_token(&TestKey::primary());

    for _ in 0..10 {
        let error = verifier.verify(token.as_bytes()).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    }

    assert_eq!(issuer.fetch_count(), 1);
}

#[tokio::test]
async fn oversized_jwks_is_rejected() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer
        .verifier_builder()
        .max_jwks_size(100)
        .build()
        .unwrap();

    let error = verifier
        .verify(user_created_token(&TestKey::primary()).as_bytes())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::JwksUnavailable);
    assert!(error.message().contains("100-byte limit"), "{error}");
}

#[tokio::test]
async fn jwks_path_is_configurable() {
    let issuer = TestIssuer::start().await;
    let verifier = issuer
        .verifier_builder()
        .jwks_path("/.well-known/jwks")
        .build()
        .unwrap();

    verifier
        .verify(user_created_token(&TestKey::primary()).as_bytes())
        .await
        .unwrap();

    assert_eq!(
        verifier.jwks_url(),
        Some(format!("{}/.well-known/jwks", issuer.issuer_url()).as_str())
    );
    assert_eq!(issuer.fetch_count(), 1);
}

#[tokio::test]
async fn unsuitable_keys_are_skipped() {
    let issuer = TestIssuer::start_with_keys(vec![TestKey::weak_1024(), TestKey::primary()]).await;
    let verifier = issuer.verifier();

    // aws-lc-rs refuses to sign with a 1024-bit key, so the primary key signs under the weak key's kid.
    let under_weak_kid = TestKey::primary().with_kid(TestKey::weak_1024().kid());
    let weak = verifier
        .verify(user_created_token(&under_weak_kid).as_bytes())
        .await
        .unwrap_err();
    let strong = verifier
        .verify(user_created_token(&TestKey::primary()).as_bytes())
        .await;

    assert_eq!(weak.kind(), ErrorKind::UnknownKid);
    assert!(strong.is_ok(), "{strong:?}");
}

#[tokio::test]
async fn success_after_failure_allows_unknown_kid_refetch() {
    let issuer = TestIssuer::start().await;
    issuer.set_response(JwksResponse::Status(500));
    let verifier = issuer.verifier();
    let token = user_created_token(&TestKey::primary());
    assert!(verifier.verify(token.as_bytes()).await.is_err());

    // Within the 30 s cooldown of that failure, a prefetch succeeds.
    issuer.set_response(JwksResponse::Keys);
    verifier.prefetch().await.unwrap();
    issuer.set_keys(vec![TestKey::rotated()]);
    let rotated = verifier
        .verify(user_created_token(&TestKey::rotated()).as_bytes())
        .await;

    assert!(rotated.is_ok(), "{rotated:?}");
    assert_eq!(issuer.fetch_count(), 3);
}
