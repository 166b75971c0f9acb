//! [`MemoryStore`]: an in-process idempotency store on moka.

use std::time::{Duration, Instant};

use moka::Expiry;
use moka::ops::compute::Op;
use moka::sync::Cache;

use super::{
    ClaimOutcome, DEFAULT_LEASE, DEFAULT_RETENTION, IdempotencyStore, StoreFuture, new_owner,
};

/// The default number of event ids a [`MemoryStore`] keeps.
pub const DEFAULT_MAX_IDS: u64 = 100_000;

/// An idempotency store in this process's memory, for a single instance.
///
/// Bounded: it keeps at most [`DEFAULT_MAX_IDS`] ids by default, evicting the
/// least useful when full. Each id costs about 560 bytes of resident memory
/// (measured by `cargo bench -p kinde-webhook --bench memory_store` on x86_64
/// Linux: the id, its state and moka's per-entry bookkeeping), so the default
/// bound is about 55 MB. An evicted completed id is handled again if Kinde
/// redelivers it. Behind a load balancer, use a
/// shared store such as `RedisStore` instead.
#[derive(Clone)]
pub struct MemoryStore {
    entries: Cache<String, Entry>,
    lease: Duration,
    retention: Duration,
}

/// Builds a [`MemoryStore`] with settings other than the defaults.
#[derive(Debug, Clone)]
#[must_use]
pub struct MemoryStoreBuilder {
    max_ids: u64,
    lease: Duration,
    retention: Duration,
}

/// One id's state. The deadline lives in the value, so a claim is judged by
/// its own lease even before moka gets round to evicting it.
#[derive(Clone, Debug)]
enum Entry {
    InProgress { owner: String, until: Instant },
    Completed { until: Instant },
}

impl Entry {
    fn until(&self) -> Instant {
        match self {
            Self::InProgress { until, .. } | Self::Completed { until } => *until,
        }
    }
}

struct ExpireAtDeadline;

impl Expiry<String, Entry> for ExpireAtDeadline {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Entry,
        created_at: Instant,
    ) -> Option<Duration> {
        Some(value.until().saturating_duration_since(created_at))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        value: &Entry,
        updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.until().saturating_duration_since(updated_at))
    }
}

impl MemoryStore {
    /// Creates a store with the defaults: 100 000 ids, a 60 s lease and 72 h retention.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts a builder with the defaults.
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder {
            max_ids: DEFAULT_MAX_IDS,
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
        }
    }

    fn claim_now(&self, event_id: &str) -> ClaimOutcome {
        let now = Instant::now();
        let mut outcome = ClaimOutcome::InProgress;

        self.entries
            .entry(event_id.to_owned())
            .and_compute_with(|existing| {
                let live = existing
                    .map(|entry| entry.into_value())
                    .filter(|entry| now < entry.until());
                match live {
                    Some(Entry::InProgress { .. }) => Op::Nop,
                    Some(Entry::Completed { .. }) => {
                        outcome = ClaimOutcome::Completed;
                        Op::Nop
                    }
                    None => {
                        let owner = new_owner();
                        outcome = ClaimOutcome::Claimed {
                            owner: owner.clone(),
                        };
                        Op::Put(Entry::InProgress {
                            owner,
                            until: now + self.lease,
                        })
                    }
                }
            });
        outcome
    }

    fn complete_now(&self, event_id: &str) {
        let until = Instant::now() + self.retention;
        self.entries
            .insert(event_id.to_owned(), Entry::Completed { until });
    }

    fn renew_now(&self, event_id: &str, owner: &str) -> bool {
        let now = Instant::now();
        let mut renewed = false;

        self.entries.entry(event_id.to_owned()).and_compute_with(|existing| {
            let ours = existing.map(|entry| entry.into_value()).filter(|entry| {
                matches!(entry, Entry::InProgress { owner: held, until } if held == owner && now < *until)
            });
            match ours {
                Some(_) => {
                    renewed = true;
                    Op::Put(Entry::InProgress { owner: owner.to_owned(), until: now + self.lease })
                }
                None => Op::Nop,
            }
        });
        renewed
    }

    fn release_now(&self, event_id: &str, owner: &str) {
        self.entries.entry(event_id.to_owned()).and_compute_with(|existing| match existing {
            Some(entry) if matches!(entry.value(), Entry::InProgress { owner: held, .. } if held == owner) => Op::Remove,
            _ => Op::Nop,
        });
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("ids", &self.entries.entry_count())
            .field("lease", &self.lease)
            .field("retention", &self.retention)
            .finish()
    }
}

impl IdempotencyStore for MemoryStore {
    fn claim<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, ClaimOutcome> {
        Box::pin(std::future::ready(Ok(self.claim_now(event_id))))
    }

    fn complete<'a>(&'a self, event_id: &'a str, _owner: &'a str) -> StoreFuture<'a, ()> {
        self.complete_now(event_id);
        Box::pin(std::future::ready(Ok(())))
    }

    fn release<'a>(&'a self, event_id: &'a str, owner: &'a str) -> StoreFuture<'a, ()> {
        self.release_now(event_id, owner);
        Box::pin(std::future::ready(Ok(())))
    }

    fn renew<'a>(&'a self, event_id: &'a str, owner: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(std::future::ready(Ok(self.renew_now(event_id, owner))))
    }

    fn lease(&self) -> Option<Duration> {
        Some(self.lease)
    }
}

impl MemoryStoreBuilder {
    /// Sets how many ids are kept at most. Default: 100 000.
    pub fn max_ids(mut self, max_ids: u64) -> Self {
        self.max_ids = max_ids;
        self
    }

    /// Sets how long a claim stays in progress without renewal before a
    /// redelivery may claim it again. Default: 60 s. A running handler's
    /// guard renews it every third of the lease.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets how long a completed id is remembered. Default: 72 h, longer than
    /// Kinde's 36 h retry window.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Builds the store.
    pub fn build(self) -> MemoryStore {
        let entries = Cache::builder()
            .max_capacity(self.max_ids)
            .expire_after(ExpireAtDeadline)
            .build();
        MemoryStore {
            entries,
            lease: self.lease,
            retention: self.retention,
        }
    }
}
