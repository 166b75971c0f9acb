//! One test suite for every idempotency store: the memory store always, and
//! the Redis store against the real `redis-server` named by `REDIS_URL`.

use std::sync::Arc;
use std::time::Duration;

use kinde_webhook::idempotency::{Begin, ClaimOutcome, Idempotency, IdempotencyStore, MemoryStore};
use kinde_webhook::testing::samples;

const SHORT_LEASE: Duration = Duration::from_millis(300);

/// Builds a store with a short lease; each call gets a fresh, empty namespace.
type StoreFactory = fn() -> Arc<dyn IdempotencyStore>;

fn memory_store() -> Arc<dyn IdempotencyStore> {
    Arc::new(MemoryStore::builder().lease(SHORT_LEASE).build())
}

async fn one_winner_among_concurrent_claims(store: Arc<dyn IdempotencyStore>) {
    let event_id = samples::fresh_event_id();

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let store = Arc::clone(&store);
        let event_id = event_id.clone();
        tasks.spawn(async move { store.claim(&event_id).await.unwrap() });
    }
    let mut claimed = 0;
    let mut in_progress = 0;
    while let Some(outcome) = tasks.join_next().await {
        match outcome.unwrap() {
            ClaimOutcome::Claimed { .. } => claimed += 1,
            ClaimOutcome::InProgress => in_progress += 1,
            ClaimOutcome::Completed => panic!("nothing was completed"),
        }
    }

    assert_eq!(claimed, 1);
    assert_eq!(in_progress, 49);
}

async fn completed_is_reported_as_duplicate(store: Arc<dyn IdempotencyStore>) {
    let event_id = samples::fresh_event_id();
    let ClaimOutcome::Claimed { owner } = store.claim(&event_id).await.unwrap() else {
        panic!("a fresh id must be claimable");
    };

    store.complete(&event_id, &owner).await.unwrap();

    assert_eq!(
        store.claim(&event_id).await.unwrap(),
        ClaimOutcome::Completed
    );
    tokio::time::sleep(SHORT_LEASE * 2).await;
    assert_eq!(
        store.claim(&event_id).await.unwrap(),
        ClaimOutcome::Completed,
        "retention outlasts the lease"
    );
}

async fn released_is_claimable_again(store: Arc<dyn IdempotencyStore>) {
    let event_id = samples::fresh_event_id();
    let ClaimOutcome::Claimed { owner } = store.claim(&event_id).await.unwrap() else {
        panic!("a fresh id must be claimable");
    };

    store.release(&event_id, &owner).await.unwrap();

    assert!(matches!(
        store.claim(&event_id).await.unwrap(),
        ClaimOutcome::Claimed { .. }
    ));
}

async fn release_by_another_owner_is_ignored(store: Arc<dyn IdempotencyStore>) {
    let event_id = samples::fresh_event_id();
    let ClaimOutcome::Claimed { .. } = store.claim(&event_id).await.unwrap() else {
        panic!("a fresh id must be claimable");
    };

    store.release(&event_id, "someone-else").await.unwrap();

    assert_eq!(
        store.claim(&event_id).await.unwrap(),
        ClaimOutcome::InProgress
    );
}

async fn expired_lease_is_claimable_again(store: Arc<dyn IdempotencyStore>) {
    let event_id = samples::fresh_event_id();
    assert!(matches!(
        store.claim(&event_id).await.unwrap(),
        ClaimOutcome::Claimed { .. }
    ));
    assert_eq!(
        store.claim(&event_id).await.unwrap(),
        ClaimOutcome::InProgress
    );

    tokio::time::sleep(SHORT_LEASE + Duration::from_millis(200)).await;

    assert!(matches!(
        store.claim(&event_id).await.unwrap(),
        ClaimOutcome::Claimed { .. }
    ));
}

async fn dropped_guard_releases_the_claim(store: Arc<dyn IdempotencyStore>) {
    let idempotency = Idempotency::from_shared(store);
    let event = samples::user_created().to_event();
    let Begin::Proceed(guard) = idempotency.begin(&event).await.unwrap() else {
        panic!("a fresh event must proceed");
    };

    drop(guard);
    let mut outcome = idempotency.begin(&event).await.unwrap();
    for _ in 0..100 {
        if matches!(outcome, Begin::Proceed(_)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        outcome = idempotency.begin(&event).await.unwrap();
    }

    assert!(
        matches!(outcome, Begin::Proceed(_)),
        "the spawned release never ran: {outcome:?}"
    );
}

async fn running_handler_keeps_its_claim(store: Arc<dyn IdempotencyStore>) {
    let idempotency = Idempotency::from_shared(store);
    let event = samples::user_created().to_event();
    let Begin::Proceed(guard) = idempotency.begin(&event).await.unwrap() else {
        panic!("a fresh event must proceed");
    };

    // Three leases pass while the handler would still run; the guard renews.
    tokio::time::sleep(SHORT_LEASE * 3).await;
    let during = idempotency.begin(&event).await.unwrap();
    guard.complete().await.unwrap();
    let after = idempotency.begin(&event).await.unwrap();

    assert!(
        matches!(during, Begin::InProgress),
        "the lease ran out under a live guard: {during:?}"
    );
    assert!(matches!(after, Begin::Completed), "{after:?}");
}

async fn run_suite(factory: StoreFactory) {
    one_winner_among_concurrent_claims(factory()).await;
    completed_is_reported_as_duplicate(factory()).await;
    released_is_claimable_again(factory()).await;
    release_by_another_owner_is_ignored(factory()).await;
    expired_lease_is_claimable_again(factory()).await;
    dropped_guard_releases_the_claim(factory()).await;
    running_handler_keeps_its_claim(factory()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_passes_the_suite() {
    run_suite(memory_store).await;
}

/// A memory store whose claim replies arrive late, like a slow Redis that has
/// already run the claim script when the caller gives up.
struct SlowStore(MemoryStore);

impl IdempotencyStore for SlowStore {
    fn claim<'a>(
        &'a self,
        event_id: &'a str,
    ) -> kinde_webhook::idempotency::StoreFuture<'a, ClaimOutcome> {
        Box::pin(async move {
            let outcome = self.0.claim(event_id).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            outcome
        })
    }

    fn complete<'a>(
        &'a self,
        event_id: &'a str,
        owner: &'a str,
    ) -> kinde_webhook::idempotency::StoreFuture<'a, ()> {
        self.0.complete(event_id, owner)
    }

    fn release<'a>(
        &'a self,
        event_id: &'a str,
        owner: &'a str,
    ) -> kinde_webhook::idempotency::StoreFuture<'a, ()> {
        self.0.release(event_id, owner)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_begin_leaves_no_claim() {
    // A long lease, so only a release can make the event claimable again.
    let idempotency = Idempotency::new(SlowStore(
        MemoryStore::builder()
            .lease(Duration::from_secs(600))
            .build(),
    ));
    let event = samples::user_created().to_event();

    let abandoned =
        tokio::time::timeout(Duration::from_millis(50), idempotency.begin(&event)).await;
    assert!(
        abandoned.is_err(),
        "the first begin must be cut off while it claims"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let next = idempotency.begin(&event).await.unwrap();

    assert!(
        matches!(next, Begin::Proceed(_)),
        "the abandoned claim was left behind: {next:?}"
    );
}

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use kinde_webhook::ErrorKind;
    use kinde_webhook::idempotency::RedisStore;

    /// Returns the Redis URL, or `None` after saying why the test is skipped.
    /// With `REQUIRE_REDIS=1` (as CI sets), a missing URL fails the test.
    fn redis_url() -> Option<String> {
        match std::env::var("REDIS_URL") {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var("REQUIRE_REDIS").is_ok_and(|value| value == "1") => {
                panic!("REQUIRE_REDIS=1 but REDIS_URL is not set")
            }
            _ => {
                println!("skipped: REDIS_URL is not set (start redis-server and export REDIS_URL)");
                None
            }
        }
    }

    fn redis_store() -> Arc<dyn IdempotencyStore> {
        let url = std::env::var("REDIS_URL").expect("checked by redis_url");
        let prefix = format!("test:{}:", samples::fresh_event_id());
        Arc::new(
            RedisStore::builder(url)
                .key_prefix(prefix)
                .lease(SHORT_LEASE)
                .build()
                .unwrap(),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis_store_passes_the_suite() {
        if redis_url().is_none() {
            return;
        }
        run_suite(redis_store).await;
    }

    #[tokio::test]
    async fn ping_succeeds_against_redis() {
        let Some(url) = redis_url() else {
            return;
        };

        let store = RedisStore::builder(url).build().unwrap();

        store.ping().await.unwrap();
    }

    #[tokio::test]
    async fn unreachable_redis_is_store_unavailable() {
        let url = format!(
            "{}/0",
            kinde_webhook::testing::refused_issuer_url()
                .await
                .replace("http://", "redis://")
        );
        let store = RedisStore::builder(url)
            .connect_timeout(Duration::from_millis(500))
            .build()
            .unwrap();

        let error = store.claim("event_0123").await.unwrap_err();
        let ping = store.ping().await.unwrap_err();

        assert_eq!(error.kind(), ErrorKind::StoreUnavailable);
        assert_eq!(ping.kind(), ErrorKind::StoreUnavailable);
        assert_eq!(error.status().as_u16(), 503);
        assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    }

    #[tokio::test]
    async fn invalid_redis_url_is_a_configuration_error() {
        let error = RedisStore::builder("not a url").build().unwrap_err();

        assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
    }
}
