//! [`RedisStore`]: an idempotency store shared by every instance through Redis.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands as _, Script};

use super::{
    ClaimOutcome, DEFAULT_LEASE, DEFAULT_RETENTION, IdempotencyStore, StoreFuture, new_owner,
};
use crate::error::{Error, ErrorKind};

/// The default prefix of the Redis keys this store writes.
pub const DEFAULT_KEY_PREFIX: &str = "kinde-webhook:event:";

const COMPLETED: &str = "completed";

/// Claims the key when it is absent, and otherwise reports whether the claim
/// is in progress or completed, in one atomic step.
const CLAIM_SCRIPT: &str = r"
local value = redis.call('GET', KEYS[1])
if not value then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if value == ARGV[3] then
  return 'completed'
end
return 'in_progress'
";

/// Restarts the key's expiry only while it still contains this owner's claim.
const RENEW_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
";

/// Deletes the key only while it still contains this owner's claim.
const RELEASE_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// An idempotency store on Redis, so that copies of one delivery landing on
/// different instances are handled once in total.
///
/// A claim is one atomic Lua script; completing is `SET key completed PX
/// retention`; releasing deletes the key only while the claim is still ours.
/// When Redis cannot be reached, every method fails with
/// [`ErrorKind::StoreUnavailable`], for which receivers respond 503 so that
/// Kinde redelivers later: never a silent double-send.
///
/// The connection is made lazily, so building the store never fails because
/// Redis is down.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    key_prefix: String,
    lease: Duration,
    retention: Duration,
    claim_script: Script,
    renew_script: Script,
    release_script: Script,
}

/// Builds a [`RedisStore`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RedisStoreBuilder {
    url: String,
    key_prefix: String,
    lease: Duration,
    retention: Duration,
    connect_timeout: Duration,
    response_timeout: Duration,
}

impl RedisStore {
    /// Starts a builder for the Redis server at `url`, such as
    /// `redis://127.0.0.1:6379/0` (the value of `REDIS_URL`).
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.into(),
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(2),
        }
    }

    fn key(&self, event_id: &str) -> String {
        format!("{}{event_id}", self.key_prefix)
    }

    /// Checks that Redis responds, for a start-up report. Fails with
    /// [`ErrorKind::StoreUnavailable`] when it does not.
    pub async fn ping(&self) -> Result<(), Error> {
        let mut connection = self.connection.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map(|_| ())
            .map_err(|error| {
                Error::new(
                    ErrorKind::StoreUnavailable,
                    format!("the Redis idempotency store does not answer PING: {error}"),
                )
            })
    }

    async fn claim_in_redis(&self, event_id: &str) -> Result<ClaimOutcome, Error> {
        let owner = new_owner();
        let mut connection = self.connection.clone();
        let reply: String = self
            .claim_script
            .key(self.key(event_id))
            .arg(&owner)
            .arg(millis(self.lease))
            .arg(COMPLETED)
            .invoke_async(&mut connection)
            .await
            .map_err(|error| {
                self.release_in_background(event_id, &owner);
                unavailable("claim", event_id, &error)
            })?;

        match reply.as_str() {
            "claimed" => Ok(ClaimOutcome::Claimed { owner }),
            "completed" => Ok(ClaimOutcome::Completed),
            _ => Ok(ClaimOutcome::InProgress),
        }
    }

    /// Releases a claim whose reply was lost (for example a response timeout
    /// after Redis ran the script), so it does not block redeliveries for the
    /// whole lease. Best effort: if Redis is down, the lease still expires.
    fn release_in_background(&self, event_id: &str, owner: &str) {
        let store = self.clone();
        let event_id = event_id.to_owned();
        let owner = owner.to_owned();
        tokio::spawn(async move {
            // A failure here is expected while Redis is down; the lease expires on its own.
            let _ = store.release_in_redis(&event_id, &owner).await;
        });
    }

    async fn renew_in_redis(&self, event_id: &str, owner: &str) -> Result<bool, Error> {
        let mut connection = self.connection.clone();
        let renewed: i64 = self
            .renew_script
            .key(self.key(event_id))
            .arg(owner)
            .arg(millis(self.lease))
            .invoke_async(&mut connection)
            .await
            .map_err(|error| unavailable("renew", event_id, &error))?;
        Ok(renewed == 1)
    }

    async fn complete_in_redis(&self, event_id: &str) -> Result<(), Error> {
        let mut connection = self.connection.clone();
        let options = redis::SetOptions::default()
            .with_expiration(redis::SetExpiry::PX(millis(self.retention)));
        connection
            .set_options::<_, _, ()>(self.key(event_id), COMPLETED, options)
            .await
            .map_err(|error| unavailable("complete", event_id, &error))
    }

    async fn release_in_redis(&self, event_id: &str, owner: &str) -> Result<(), Error> {
        let mut connection = self.connection.clone();
        self.release_script
            .key(self.key(event_id))
            .arg(owner)
            .invoke_async::<i64>(&mut connection)
            .await
            .map(|_| ())
            .map_err(|error| unavailable("release", event_id, &error))
    }
}

impl IdempotencyStore for RedisStore {
    fn claim<'a>(&'a self, event_id: &'a str) -> StoreFuture<'a, ClaimOutcome> {
        Box::pin(self.claim_in_redis(event_id))
    }

    fn complete<'a>(&'a self, event_id: &'a str, _owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.complete_in_redis(event_id))
    }

    fn release<'a>(&'a self, event_id: &'a str, owner: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(self.release_in_redis(event_id, owner))
    }

    fn renew<'a>(&'a self, event_id: &'a str, owner: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(self.renew_in_redis(event_id, owner))
    }

    fn lease(&self) -> Option<Duration> {
        Some(self.lease)
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("key_prefix", &self.key_prefix)
            .field("lease", &self.lease)
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// Sets the prefix of every key. Default: `kinde-webhook:event:`. Instances
    /// that de-duplicate together must use the same prefix.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
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

    /// Sets the time limit for connecting to Redis. Default: 2 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the time limit for one Redis command. Default: 2 s.
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Checks the URL and builds the store. Does not connect: the first
    /// command does, so Redis being down at start-up is not an error here.
    pub fn build(self) -> Result<RedisStore, Error> {
        let client = redis::Client::open(self.url.as_str()).map_err(|error| {
            Error::new(
                ErrorKind::InvalidConfiguration,
                format!("the Redis URL is invalid ({error}); use e.g. redis://127.0.0.1:6379/0"),
            )
        })?;

        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.response_timeout))
            .set_number_of_retries(1);
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(|error| {
                Error::new(
                    ErrorKind::InvalidConfiguration,
                    format!("the Redis connection could not be set up: {error}"),
                )
            })?;

        Ok(RedisStore {
            connection,
            key_prefix: self.key_prefix,
            lease: self.lease,
            retention: self.retention,
            claim_script: Script::new(CLAIM_SCRIPT),
            renew_script: Script::new(RENEW_SCRIPT),
            release_script: Script::new(RELEASE_SCRIPT),
        })
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

fn unavailable(operation: &str, event_id: &str, error: &redis::RedisError) -> Error {
    Error::new(
        ErrorKind::StoreUnavailable,
        format!("the Redis idempotency store could not {operation} event {event_id}: {error}"),
    )
}
