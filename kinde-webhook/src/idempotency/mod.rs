//! De-duplication of Kinde deliveries by the signed `event_id`.
//!
//! Kinde delivers at least once: the same event can arrive twice, a retry can
//! overlap a slow first attempt, and behind a load balancer the copies can land
//! on different instances. An [`IdempotencyStore`] records each `event_id`
//! with a claim, complete and release protocol, and [`Idempotency`] wraps a
//! store for framework integrations:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), kinde_webhook::Error> {
//! use kinde_webhook::idempotency::{Begin, Idempotency, MemoryStore};
//! # let event = kinde_webhook::Event::from_json(br#"{"type":"user.created","event_id":"event_0","source":"api","timestamp":"2024-05-01T17:41:45Z","data":{}}"#).unwrap();
//!
//! let idempotency = Idempotency::new(MemoryStore::new());
//!
//! match idempotency.begin(&event).await? {
//!     Begin::Proceed(claim) => {
//!         // Handle the event; on success mark it done, on failure let a redelivery retry.
//!         claim.complete().await?;
//!     }
//!     Begin::Completed => { /* already handled: answer 200 */ }
//!     Begin::InProgress => { /* answer 409 with Retry-After: IN_PROGRESS_RETRY_AFTER */ }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The `webhook-id` request header is stable across retries but unsigned, so
//! it is never used as the key.
//!
//! A claim holds a lease (default 60 s) so that a crashed instance does not
//! block redeliveries forever. While the handler runs, its [`ClaimGuard`]
//! renews the lease every third of it, for stores that implement
//! [`IdempotencyStore::renew`] (both stores here do). So a slow handler keeps
//! its claim, and only an instance that stopped renewing (it crashed, or lost
//! the store for longer than the lease) lets a redelivery run the event again.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::error::{Error, ErrorKind};
use crate::event::Event;

mod memory;
#[cfg(feature = "redis")]
mod redis_store;

pub use memory::{DEFAULT_MAX_IDS, MemoryStore, MemoryStoreBuilder};
#[cfg(feature = "redis")]
pub use redis_store::{DEFAULT_KEY_PREFIX, RedisStore, RedisStoreBuilder};

/// The default lease of a claim: how long an event stays in progress before a
/// redelivery may claim it again.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// The default retention of a completed event: 72 h, longer than Kinde's
/// 36 h retry window.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(72 * 3600);

/// The `Retry-After` a receiver sends with `409 Conflict` when a duplicate
/// arrives while the first delivery is still being handled.
pub const IN_PROGRESS_RETRY_AFTER: Duration = Duration::from_secs(5);

/// A boxed future returned by [`IdempotencyStore`] methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// The result of claiming an `event_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The id was unseen (or its lease expired, or it was released): the
    /// caller owns it now. `owner` identifies this claim for complete and release.
    Claimed {
        /// A random token that identifies this claim.
        owner: String,
    },
    /// Another delivery has an unexpired claim on the id.
    InProgress,
    /// The id was handled successfully within the retention period.
    Completed,
}

/// Storage for idempotency keys, shared by every delivery of an app (and, for
/// a shared store such as Redis, by every instance).
///
/// Implementations must make [`claim`](Self::claim) atomic: of two
/// simultaneous claims of one id, exactly one gets
/// [`ClaimOutcome::Claimed`]. A store that cannot be reached fails with
/// [`ErrorKind::StoreUnavailable`].
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `event_id` for one delivery, marking it in progress for the lease.
    fn claim<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, ClaimOutcome>;

    /// Marks `event_id` as handled for the retention period.
    fn complete<'a>(&'a self, event_id: &'a str, owner: &'a str) -> StoreFuture<'a, ()>;

    /// Forgets the claim on `event_id` if `owner` still owns it, so the next
    /// delivery can try again.
    fn release<'a>(&'a self, event_id: &'a str, owner: &'a str) -> StoreFuture<'a, ()>;

    /// Restarts the lease of the claim on `event_id` if `owner` still holds
    /// it, and returns whether it did. The default keeps no lease fresh and
    /// returns `false`, so claims of such a store simply expire.
    fn renew<'a>(&'a self, event_id: &'a str, owner: &'a str) -> StoreFuture<'a, bool> {
        let _ = (event_id, owner);
        Box::pin(std::future::ready(Ok(false)))
    }

    /// Returns the lease of a claim, from which [`ClaimGuard`] times its
    /// renewals. `None` (the default) means the guard does not renew.
    fn lease(&self) -> Option<Duration> {
        None
    }
}

/// A cheaply cloneable handle on an [`IdempotencyStore`] that framework
/// integrations use per delivery.
#[derive(Clone)]
pub struct Idempotency {
    store: Arc<dyn IdempotencyStore>,
}

/// The decision for one delivery, returned by [`Idempotency::begin`].
#[derive(Debug)]
pub enum Begin {
    /// The event is new: handle it, then complete or release the claim.
    Proceed(ClaimGuard),
    /// The event was already handled, so respond `200 OK` without handling it.
    Completed,
    /// Another delivery is handling it now, so respond `409 Conflict` with
    /// `Retry-After` set to [`IN_PROGRESS_RETRY_AFTER`].
    InProgress,
}

impl Idempotency {
    /// Wraps a store.
    pub fn new(store: impl IdempotencyStore) -> Self {
        Self {
            store: Arc::new(store),
        }
    }

    /// Wraps a store that is already shared.
    pub fn from_shared(store: Arc<dyn IdempotencyStore>) -> Self {
        Self { store }
    }

    /// Claims the event's signed `event_id` and returns whether to handle it.
    ///
    /// The claim runs on a spawned task, so a caller that is dropped while
    /// waiting (the client hung up) does not leave the claim behind: the
    /// task's guard is dropped with its result and releases the claim.
    pub async fn begin(&self, event: &Event) -> Result<Begin, Error> {
        let store = Arc::clone(&self.store);
        let event_id = event.event_id.clone();

        let claim = tokio::spawn(async move {
            let begin = match store.claim(&event_id).await? {
                ClaimOutcome::Claimed { owner } => {
                    Begin::Proceed(ClaimGuard::new(store, event_id, owner))
                }
                ClaimOutcome::InProgress => Begin::InProgress,
                ClaimOutcome::Completed => Begin::Completed,
            };
            Ok(begin)
        });

        claim.await.unwrap_or_else(|join_error| {
            Err(Error::new(
                ErrorKind::StoreUnavailable,
                format!("the idempotency claim task ended early: {join_error}"),
            ))
        })
    }
}

impl std::fmt::Debug for Idempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idempotency").finish_non_exhaustive()
    }
}

/// A claim on one `event_id`, held while the event is handled.
///
/// Call [`complete`](Self::complete) after the handler succeeded or
/// [`release`](Self::release) after it failed. A guard dropped without either
/// (the handler panicked or the request was cancelled) releases the claim on
/// a spawned task, when a tokio runtime is running.
pub struct ClaimGuard {
    store: Arc<dyn IdempotencyStore>,
    event_id: String,
    owner: String,
    settled: bool,
    renewal: Option<JoinHandle<()>>,
}

impl ClaimGuard {
    fn new(store: Arc<dyn IdempotencyStore>, event_id: String, owner: String) -> Self {
        let renewal = store.lease().map(|lease| {
            tokio::spawn(renew_until_settled(
                Arc::clone(&store),
                event_id.clone(),
                owner.clone(),
                lease,
            ))
        });
        Self {
            store,
            event_id,
            owner,
            settled: false,
            renewal,
        }
    }

    fn stop_renewal(&mut self) {
        if let Some(renewal) = self.renewal.take() {
            renewal.abort();
        }
    }

    /// Returns the claimed `event_id`.
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    /// Marks the event as handled, so redeliveries get a response without
    /// handling it again.
    pub async fn complete(mut self) -> Result<(), Error> {
        self.settled = true;
        self.stop_renewal();
        self.store.complete(&self.event_id, &self.owner).await
    }

    /// Gives the claim up, so the next delivery handles the event again.
    pub async fn release(mut self) -> Result<(), Error> {
        self.settled = true;
        self.stop_renewal();
        self.store.release(&self.event_id, &self.owner).await
    }
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        self.stop_renewal();
        if self.settled {
            return;
        }

        let store = Arc::clone(&self.store);
        let event_id = std::mem::take(&mut self.event_id);
        let owner = std::mem::take(&mut self.owner);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(error) = store.release(&event_id, &owner).await {
                        tracing::warn!(event_id = %event_id, error = %error, "could not release the claim of an abandoned delivery; it expires with its lease");
                    }
                });
            }
            Err(_) => {
                tracing::warn!(event_id = %event_id, "a claim was dropped outside a tokio runtime; it expires with its lease");
            }
        }
    }
}

impl std::fmt::Debug for ClaimGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimGuard")
            .field("event_id", &self.event_id)
            .finish_non_exhaustive()
    }
}

/// Renews the lease every third of it until aborted by the guard. Stops when
/// the claim is no longer ours (its lease ran out while the store was
/// unreachable and another delivery took it).
async fn renew_until_settled(
    store: Arc<dyn IdempotencyStore>,
    event_id: String,
    owner: String,
    lease: Duration,
) {
    let period = (lease / 3).max(Duration::from_millis(10));
    loop {
        tokio::time::sleep(period).await;
        match store.renew(&event_id, &owner).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(event_id = %event_id, "the claim was lost before the handler finished; a redelivery may handle the event again");
                return;
            }
            Err(error) => {
                tracing::warn!(event_id = %event_id, error = %error, "could not renew the claim; retrying");
            }
        }
    }
}

/// Returns a random claim owner token, unique across processes.
pub(crate) fn new_owner() -> String {
    format!("{:032x}", rand::random::<u128>())
}
