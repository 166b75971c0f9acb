//! The JWKS cache: lazy fetching, freshness from `Cache-Control`, a refetch
//! cooldown for unknown `kid`s, single-flight fetches and stale-if-error.
//!
//! moka's loaders coalesce misses but never serve an expired entry and never
//! remember a failure, so this cache keeps its own small state. The current
//! key set sits behind an [`ArcSwapOption`], so readers never lock. Beside it
//! are one shared fetch future and the times of the last unknown-`kid`
//! refetch and the last failure.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};

use crate::algorithm::Algorithm;
use crate::error::{Error, ErrorKind, quote};
use crate::keys::{KeySet, VerificationKey};

/// The settings of a [`JwksCache`], filled in by the verifier's builder.
#[derive(Clone)]
pub(crate) struct CacheOptions {
    pub(crate) url: String,
    pub(crate) client: reqwest::Client,
    pub(crate) fetch_timeout: Duration,
    pub(crate) max_response_size: usize,
    pub(crate) min_ttl: Duration,
    pub(crate) max_ttl: Duration,
    pub(crate) default_ttl: Duration,
    pub(crate) refetch_cooldown: Duration,
    pub(crate) max_stale_age: Duration,
    pub(crate) allowed_algorithms: Vec<Algorithm>,
}

/// The state of the JWKS cache, as reported by [`Verifier::jwks_state`](crate::Verifier::jwks_state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwksState {
    /// Keys are cached and within their freshness lifetime (or were given as
    /// a fixed key set).
    Fresh,
    /// Keys are cached past their freshness lifetime but within the maximum
    /// stale age, so they are still served while a refresh is attempted.
    Stale,
    /// No usable keys are cached: nothing was fetched yet, every fetch failed,
    /// or the cached keys are past the maximum stale age.
    Empty,
}

impl JwksState {
    /// Returns `"fresh"`, `"stale"` or `"empty"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Stale => "stale",
            Self::Empty => "empty",
        }
    }
}

/// One successfully fetched key set and when it stops being fresh.
struct Snapshot {
    keys: KeySet,
    fetched_at: Instant,
    fresh_until: Instant,
}

type FetchFuture = Shared<BoxFuture<'static, Result<Arc<Snapshot>, Arc<Error>>>>;

#[derive(Default)]
struct FetchTimes {
    last_unknown_kid_refetch: Option<Instant>,
    last_failure: Option<Instant>,
}

pub(crate) struct JwksCache {
    options: CacheOptions,
    current: ArcSwapOption<Snapshot>,
    in_flight: Mutex<Option<(u64, FetchFuture)>>,
    next_fetch_id: AtomicU64,
    times: Mutex<FetchTimes>,
}

impl JwksCache {
    pub(crate) fn new(options: CacheOptions) -> Arc<Self> {
        Arc::new(Self {
            options,
            current: ArcSwapOption::empty(),
            in_flight: Mutex::new(None),
            next_fetch_id: AtomicU64::new(0),
            times: Mutex::new(FetchTimes::default()),
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.options.url
    }

    pub(crate) fn state(&self) -> JwksState {
        match self.current.load().as_deref() {
            Some(snapshot) => self.classify(snapshot, Instant::now()),
            None => JwksState::Empty,
        }
    }

    /// Fetches the JWKS now, whatever the cache holds, and waits for the result.
    pub(crate) async fn prefetch(self: &Arc<Self>) -> Result<(), Error> {
        self.fetch_shared()
            .await
            .map(|_| ())
            .map_err(|error| clone_error(&error))
    }

    /// Finds the key for `kid`, fetching the JWKS when the cache has no usable key set.
    pub(crate) async fn key(self: &Arc<Self>, kid: &str) -> Result<Arc<VerificationKey>, Error> {
        let now = Instant::now();
        let snapshot = self.current.load_full();

        let usable = snapshot.filter(|snapshot| self.classify(snapshot, now) != JwksState::Empty);
        let Some(snapshot) = usable else {
            return self.key_from_cold_cache(kid, now).await;
        };

        if self.classify(&snapshot, now) == JwksState::Stale {
            self.refresh_in_background(now);
        }
        match snapshot.keys.get(kid) {
            Some(key) => Ok(Arc::clone(key)),
            None => self.refetch_for_unknown_kid(kid, now).await,
        }
    }

    fn classify(&self, snapshot: &Snapshot, now: Instant) -> JwksState {
        if now < snapshot.fresh_until {
            JwksState::Fresh
        } else if now < snapshot.fresh_until + self.options.max_stale_age {
            JwksState::Stale
        } else {
            JwksState::Empty
        }
    }

    /// Fetches when nothing usable is cached. After a failure, callers inside
    /// the cooldown get the error at once instead of a new fetch each.
    async fn key_from_cold_cache(
        self: &Arc<Self>,
        kid: &str,
        now: Instant,
    ) -> Result<Arc<VerificationKey>, Error> {
        if !self.is_fetching() && self.failed_within_cooldown(now) {
            return Err(Error::new(
                ErrorKind::JwksUnavailable,
                format!(
                    "no keys are cached and the last JWKS fetch from {} failed less than {} s ago; retry later",
                    self.options.url,
                    self.options.refetch_cooldown.as_secs()
                ),
            )
            .with_kid(kid));
        }

        let snapshot = self
            .fetch_shared()
            .await
            .map_err(|error| clone_error(&error).with_kid(kid))?;
        self.lookup(&snapshot, kid)
    }

    /// Refetches for a `kid` the cache does not hold, at most once per
    /// cooldown. Callers arriving while a fetch is in flight share it.
    async fn refetch_for_unknown_kid(
        self: &Arc<Self>,
        kid: &str,
        now: Instant,
    ) -> Result<Arc<VerificationKey>, Error> {
        let fetch = {
            let mut times = self.times.lock().unwrap_or_else(PoisonError::into_inner);
            match self.fetch_in_flight() {
                Some(fetch) => fetch,
                None => {
                    let cooldown = self.options.refetch_cooldown;
                    let recent = |time: Option<Instant>| {
                        time.is_some_and(|time| now.duration_since(time) < cooldown)
                    };
                    if recent(times.last_unknown_kid_refetch) || recent(times.last_failure) {
                        return Err(self.unknown_kid_error(kid));
                    }
                    times.last_unknown_kid_refetch = Some(now);
                    tracing::debug!(kid = %quote(kid), jwks = %self.options.url, "refetching the JWKS for an unknown kid");
                    self.fetch_shared()
                }
            }
        };

        let snapshot = fetch
            .await
            .map_err(|error| clone_error(&error).with_kid(kid))?;
        self.lookup(&snapshot, kid)
    }

    fn lookup(&self, snapshot: &Snapshot, kid: &str) -> Result<Arc<VerificationKey>, Error> {
        snapshot
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| self.unknown_kid_error(kid))
    }

    fn unknown_kid_error(&self, kid: &str) -> Error {
        Error::new(
            ErrorKind::UnknownKid,
            format!(
                "no key with kid {} is in the JWKS at {}; the token was signed by another issuer or with a key that is no longer published",
                quote(kid),
                self.options.url
            ),
        )
        .with_kid(kid)
    }

    /// Starts a refresh of stale keys unless one is running or the last
    /// attempt failed within the cooldown. Readers keep the stale keys meanwhile.
    fn refresh_in_background(self: &Arc<Self>, now: Instant) {
        if self.is_fetching() || self.failed_within_cooldown(now) {
            return;
        }
        // The shared future runs on its own task, so dropping it here does not cancel it.
        drop(self.fetch_shared());
    }

    fn is_fetching(&self) -> bool {
        self.fetch_in_flight().is_some()
    }

    fn fetch_in_flight(&self) -> Option<FetchFuture> {
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        in_flight.as_ref().map(|(_, fetch)| fetch.clone())
    }

    /// Forgets the fetch `id` once it has finished, unless a newer one replaced it.
    fn finish_fetch(&self, id: u64) {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if in_flight
            .as_ref()
            .is_some_and(|(current, _)| *current == id)
        {
            *in_flight = None;
        }
    }

    fn failed_within_cooldown(&self, now: Instant) -> bool {
        let times = self.times.lock().unwrap_or_else(PoisonError::into_inner);
        times
            .last_failure
            .is_some_and(|failed_at| now.duration_since(failed_at) < self.options.refetch_cooldown)
    }

    /// Returns the fetch in flight, or starts one. The fetch runs on a spawned
    /// task so that a caller that gives up does not cancel it for the others.
    fn fetch_shared(self: &Arc<Self>) -> FetchFuture {
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, fetch)) = in_flight.as_ref() {
            return fetch.clone();
        }

        let id = self.next_fetch_id.fetch_add(1, Ordering::Relaxed);
        let cache = Arc::clone(self);
        let task = tokio::spawn(async move {
            let result = cache.fetch_and_store().await;
            cache.finish_fetch(id);
            result
        });

        // The task is also forgotten here in case its runtime shut down before it finished.
        let cache = Arc::clone(self);
        let fetch = async move {
            let result = task.await.unwrap_or_else(|join_error| {
                Err(Arc::new(Error::new(
                    ErrorKind::JwksUnavailable,
                    format!("the JWKS fetch task ended early: {join_error}"),
                )))
            });
            cache.finish_fetch(id);
            result
        }
        .boxed()
        .shared();

        *in_flight = Some((id, fetch.clone()));
        fetch
    }

    async fn fetch_and_store(&self) -> Result<Arc<Snapshot>, Arc<Error>> {
        let started = Instant::now();
        match self.fetch().await {
            Ok((keys, ttl)) => {
                tracing::debug!(jwks = %self.options.url, keys = keys.len(), ttl_secs = ttl.as_secs(), "fetched the JWKS");
                let snapshot = Arc::new(Snapshot {
                    keys,
                    fetched_at: started,
                    fresh_until: started + ttl,
                });
                self.current.store(Some(Arc::clone(&snapshot)));
                // A success ends the failure cooldown, so an unknown kid may refetch again.
                self.times
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .last_failure = None;
                Ok(snapshot)
            }
            Err(error) => {
                self.times
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .last_failure = Some(Instant::now());
                let error = self.describe_failure(error);
                Err(Arc::new(error))
            }
        }
    }

    /// Adds what is still being served to a fetch error, and logs it once.
    fn describe_failure(&self, error: Error) -> Error {
        let current = self.current.load_full();
        let now = Instant::now();
        match current.as_deref() {
            Some(snapshot) if self.classify(snapshot, now) != JwksState::Empty => {
                let age = now.duration_since(snapshot.fetched_at);
                let message = format!(
                    "{}; serving keys cached {} ago",
                    error.message(),
                    format_age(age)
                );
                tracing::warn!(jwks = %self.options.url, "{message}");
                Error::new(ErrorKind::JwksUnavailable, message)
            }
            _ => {
                let message = format!("{}; no usable keys are cached", error.message());
                tracing::error!(jwks = %self.options.url, "{message}");
                Error::new(ErrorKind::JwksUnavailable, message)
            }
        }
    }

    async fn fetch(&self) -> Result<(KeySet, Duration), Error> {
        let timeout = self.options.fetch_timeout;
        let fetch = self.fetch_document();
        let (document, ttl) = match tokio::time::timeout(timeout, fetch).await {
            Ok(result) => result?,
            Err(_) => return Err(self.failure(format!("timed out after {}", format_age(timeout)))),
        };

        let keys = KeySet::parse(
            &document,
            &self.options.allowed_algorithms,
            &self.options.url,
        )
        .map_err(|error| self.failure(error.message().to_owned()))?;
        Ok((keys, ttl))
    }

    async fn fetch_document(&self) -> Result<(Vec<u8>, Duration), Error> {
        let mut response = self
            .options
            .client
            .get(&self.options.url)
            .header(http::header::ACCEPT, "application/json")
            .timeout(self.options.fetch_timeout)
            .send()
            .await
            .map_err(|error| self.failure(describe_reqwest_error(&error)))?;

        let status = response.status();
        if status != http::StatusCode::OK {
            return Err(self.failure(format!("the server answered {status}")));
        }

        let max_size = self.options.max_response_size;
        if response
            .content_length()
            .is_some_and(|length| length > max_size as u64)
        {
            return Err(self.failure(format!(
                "the response is larger than the {max_size}-byte limit"
            )));
        }

        let ttl = self.ttl_from(response.headers());
        let mut document = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.failure(describe_reqwest_error(&error)))?
        {
            if document.len() + chunk.len() > max_size {
                return Err(self.failure(format!(
                    "the response is larger than the {max_size}-byte limit"
                )));
            }
            document.extend_from_slice(&chunk);
        }
        Ok((document, ttl))
    }

    fn failure(&self, reason: String) -> Error {
        Error::new(
            ErrorKind::JwksUnavailable,
            format!("JWKS fetch from {} failed: {reason}", self.options.url),
        )
    }

    /// Reads `Cache-Control: max-age` and clamps it to the configured bounds.
    fn ttl_from(&self, headers: &http::HeaderMap) -> Duration {
        let options = &self.options;
        let max_age = headers
            .get_all(http::header::CACHE_CONTROL)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .find_map(parse_max_age);

        max_age
            .unwrap_or(options.default_ttl)
            .clamp(options.min_ttl, options.max_ttl.max(options.min_ttl))
    }
}

fn parse_max_age(directive: &str) -> Option<Duration> {
    let (name, value) = directive.trim().split_once('=')?;
    if !name.trim().eq_ignore_ascii_case("max-age") {
        return None;
    }
    let seconds = value.trim().trim_matches('"').parse::<u64>().ok()?;
    Some(Duration::from_secs(seconds))
}

fn describe_reqwest_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        format!("could not connect: {}", root_cause(error))
    } else {
        root_cause(error)
    }
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn clone_error(error: &Error) -> Error {
    Error::new(error.kind(), error.message())
}

/// Formats a duration the way the log and error messages use it: `850 ms`, `5 s`, `12 min`, `3 h`.
pub(crate) fn format_age(age: Duration) -> String {
    let seconds = age.as_secs();
    if seconds == 0 {
        format!("{} ms", age.as_millis())
    } else if seconds < 120 {
        format!("{seconds} s")
    } else if seconds < 2 * 3600 {
        format!("{} min", seconds / 60)
    } else {
        format!("{} h", seconds / 3600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_parses_common_forms() {
        assert_eq!(parse_max_age("max-age=600"), Some(Duration::from_secs(600)));
        assert_eq!(
            parse_max_age(" Max-Age = \"60\" "),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_max_age("public"), None);
        assert_eq!(parse_max_age("max-age=soon"), None);
        assert_eq!(parse_max_age("s-maxage=5"), None);
    }

    #[test]
    fn format_age_picks_a_readable_unit() {
        assert_eq!(format_age(Duration::from_millis(850)), "850 ms");
        assert_eq!(format_age(Duration::from_secs(5)), "5 s");
        assert_eq!(format_age(Duration::from_secs(12 * 60)), "12 min");
        assert_eq!(format_age(Duration::from_secs(3 * 3600)), "3 h");
    }
}
