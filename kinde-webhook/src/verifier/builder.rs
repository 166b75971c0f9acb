//! [`VerifierBuilder`]: the verifier's settings, each with a documented default.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

use super::{DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_SIZE, KeySource, Verifier};
use crate::algorithm::Algorithm;
use crate::claims::ClaimRules;
use crate::error::{Error, ErrorKind};
use crate::jwks::{CacheOptions, JwksCache};
use crate::keys::KeySet;

/// The default path of the JWKS under the issuer URL.
pub const DEFAULT_JWKS_PATH: &str = "/.well-known/jwks.json";

/// Builds a [`Verifier`]. Start with [`Verifier::builder`] or
/// [`Verifier::builder_with_jwks`].
///
/// Every setting has a default that suits Kinde in production; tests usually
/// shorten the durations.
#[must_use]
#[derive(Debug)]
pub struct VerifierBuilder {
    source: Source,
    jwks_path: String,
    client: Option<reqwest::Client>,
    fetch_timeout: Duration,
    max_jwks_size: usize,
    min_ttl: Duration,
    max_ttl: Duration,
    default_ttl: Duration,
    refetch_cooldown: Duration,
    max_stale_age: Duration,
    allowed_algorithms: Vec<Algorithm>,
    max_event_age: Option<Duration>,
    max_token_size: usize,
    leeway: Duration,
    allow_plain_http: bool,
}

#[derive(Debug)]
enum Source {
    Issuer(String),
    FixedJwks(Vec<u8>),
}

impl VerifierBuilder {
    pub(super) fn for_issuer(issuer_url: String) -> Self {
        Self::with_source(Source::Issuer(issuer_url))
    }

    pub(super) fn for_fixed_jwks(document: Vec<u8>) -> Self {
        Self::with_source(Source::FixedJwks(document))
    }

    fn with_source(source: Source) -> Self {
        Self {
            source,
            jwks_path: DEFAULT_JWKS_PATH.to_owned(),
            client: None,
            fetch_timeout: Duration::from_secs(5),
            max_jwks_size: 1024 * 1024,
            min_ttl: Duration::from_secs(5 * 60),
            max_ttl: Duration::from_secs(24 * 3600),
            default_ttl: Duration::from_secs(3600),
            refetch_cooldown: Duration::from_secs(30),
            max_stale_age: Duration::from_secs(24 * 3600),
            allowed_algorithms: vec![Algorithm::RS256],
            max_event_age: None,
            max_token_size: DEFAULT_MAX_TOKEN_SIZE,
            leeway: DEFAULT_LEEWAY,
            allow_plain_http: false,
        }
    }

    /// Sets the JWKS path under the issuer URL. Default: `/.well-known/jwks.json`
    /// (Kinde also serves `/.well-known/jwks`). Must start with `/`.
    pub fn jwks_path(mut self, path: impl Into<String>) -> Self {
        self.jwks_path = path.into();
        self
    }

    /// Sets the HTTP client used to fetch the JWKS, to share its connection
    /// pool and settings with the rest of the app. Default: a client of this
    /// crate's own. The fetch timeout below applies to each fetch either way.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Sets the time limit of one JWKS fetch, from connecting to the last byte.
    /// Default: 5 s.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Sets the largest JWKS response accepted, in bytes. Default: 1 MiB.
    pub fn max_jwks_size(mut self, bytes: usize) -> Self {
        self.max_jwks_size = bytes;
        self
    }

    /// Sets the bounds that the JWKS response's `Cache-Control: max-age` is
    /// clamped to. Default: 5 min to 24 h. Tests may use seconds.
    pub fn ttl_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_ttl = min;
        self.max_ttl = max;
        self
    }

    /// Sets how long fetched keys stay fresh when the response has no
    /// `max-age`. Default: 1 h. Clamped to [`ttl_bounds`](Self::ttl_bounds).
    pub fn default_ttl(mut self, ttl: Duration) -> Self {
        self.default_ttl = ttl;
        self
    }

    /// Sets the least time between two refetches caused by an unknown `kid`,
    /// and between a failed fetch and the next attempt, so forged tokens
    /// cannot make the verifier hammer Kinde. Default: 30 s.
    pub fn refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.refetch_cooldown = cooldown;
        self
    }

    /// Sets how long past their freshness lifetime cached keys are still
    /// served while refreshes fail (stale-if-error). Default: 24 h.
    pub fn max_stale_age(mut self, age: Duration) -> Self {
        self.max_stale_age = age;
        self
    }

    /// Sets the algorithms accepted in the token header and in JWKS keys.
    /// Default: RS256 only, which is what Kinde signs with. Only the RSA family
    /// can be expressed, so `none` and HMAC can never be enabled. Must not be empty.
    pub fn allowed_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.allowed_algorithms = algorithms.into_iter().collect();
        self
    }

    /// Rejects events whose payload `timestamp` is older than `age`.
    /// Default: off. Kinde retries a failing delivery for up to 36 h and it is
    /// not known whether a retry is re-signed with a new timestamp, so a short
    /// window rejects real retries. De-duplicate on `event_id` instead; if you
    /// set this, keep it well above 36 h.
    pub fn max_event_age(mut self, age: Duration) -> Self {
        self.max_event_age = Some(age);
        self
    }

    /// Sets the largest body accepted, in bytes. Default: 256 KiB. The tower
    /// layer and the actix-web extractor read it from the verifier and enforce
    /// it while reading the body.
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.max_token_size = bytes;
        self
    }

    /// Sets the clock skew allowed when checking `exp` and `nbf`, which Kinde
    /// does not send but are checked when present. Default: 60 s.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Allows fetching the JWKS over plain HTTP from a host that is not
    /// loopback. Off by default: keys fetched over plain HTTP can be replaced
    /// by anyone on the path, which defeats verification. Only for test rigs
    /// on a private network. Loopback hosts (`127.0.0.0/8`, `::1`, `localhost`)
    /// never need this.
    pub fn danger_allow_plain_http(mut self) -> Self {
        self.allow_plain_http = true;
        self
    }

    /// Checks the settings and builds the verifier. Nothing is fetched yet.
    pub fn build(self) -> Result<Verifier, Error> {
        self.check_settings()?;

        let claim_rules = ClaimRules {
            leeway: self.leeway,
            max_event_age: self.max_event_age,
        };
        let keys = match &self.source {
            Source::FixedJwks(document) => {
                let keys = KeySet::parse(
                    document,
                    &self.allowed_algorithms,
                    "the fixed JWKS document",
                )
                .map_err(|error| {
                    invalid(format!(
                        "the fixed key set cannot be used: {}",
                        error.message()
                    ))
                })?;
                KeySource::Fixed(keys)
            }
            Source::Issuer(issuer) => {
                let url = self.jwks_url(issuer)?;
                KeySource::Jwks(JwksCache::new(self.cache_options(url)?))
            }
        };

        Ok(Verifier::from_parts(
            keys,
            self.allowed_algorithms,
            claim_rules,
            self.max_token_size,
        ))
    }

    fn check_settings(&self) -> Result<(), Error> {
        if self.allowed_algorithms.is_empty() {
            return Err(invalid(
                "the allowed algorithms list is empty; use at least RS256, which Kinde signs with",
            ));
        }
        if self.max_token_size == 0 {
            return Err(invalid(
                "the token size limit is 0 bytes; use at least a few KiB (default 256 KiB)",
            ));
        }
        if self.min_ttl > self.max_ttl {
            return Err(invalid(format!(
                "the TTL bounds are reversed: minimum {:?} is above maximum {:?}",
                self.min_ttl, self.max_ttl
            )));
        }
        if self.fetch_timeout.is_zero() {
            return Err(invalid(
                "the JWKS fetch timeout is 0; use a few seconds (default 5 s)",
            ));
        }
        Ok(())
    }

    fn cache_options(&self, url: String) -> Result<CacheOptions, Error> {
        let client = match &self.client {
            Some(client) => client.clone(),
            None => reqwest::Client::builder()
                .timeout(self.fetch_timeout)
                .build()
                .map_err(|error| {
                    invalid(format!("the JWKS HTTP client could not be built: {error}"))
                })?,
        };

        Ok(CacheOptions {
            url,
            client,
            fetch_timeout: self.fetch_timeout,
            max_response_size: self.max_jwks_size,
            min_ttl: self.min_ttl,
            max_ttl: self.max_ttl,
            default_ttl: self.default_ttl,
            refetch_cooldown: self.refetch_cooldown,
            max_stale_age: self.max_stale_age,
            allowed_algorithms: self.allowed_algorithms.clone(),
        })
    }

    /// Checks the issuer URL and joins the JWKS path to it.
    fn jwks_url(&self, issuer: &str) -> Result<String, Error> {
        let issuer = issuer.trim();
        let url = Url::parse(issuer).map_err(|error| {
            invalid(format!(
                "the issuer URL {issuer:?} is not a valid URL ({error}); use your Kinde business domain, e.g. https://yourbiz.kinde.com"
            ))
        })?;

        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(format!(
                "the issuer URL {issuer:?} contains credentials; remove them"
            )));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(format!(
                "the issuer URL {issuer:?} has a path, query or fragment; use only the business domain, e.g. https://yourbiz.kinde.com"
            )));
        }
        self.check_scheme(&url, issuer)?;

        if !self.jwks_path.starts_with('/') {
            return Err(invalid(format!(
                "the JWKS path {:?} does not start with '/'; use e.g. {DEFAULT_JWKS_PATH}",
                self.jwks_path
            )));
        }
        let origin = url.as_str().trim_end_matches('/');
        Ok(format!("{origin}{}", self.jwks_path))
    }

    fn check_scheme(&self, url: &Url, issuer: &str) -> Result<(), Error> {
        match url.scheme() {
            "https" => Ok(()),
            "http" if is_loopback(url) || self.allow_plain_http => Ok(()),
            "http" => Err(invalid(format!(
                "the issuer URL {issuer:?} uses plain HTTP; use https:// (plain HTTP is allowed only for loopback hosts, or with danger_allow_plain_http)"
            ))),
            other => Err(invalid(format!(
                "the issuer URL {issuer:?} has scheme {other:?}; use https://"
            ))),
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(url::Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        None => false,
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidConfiguration, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_for(issuer: &str) -> Result<String, Error> {
        VerifierBuilder::for_issuer(issuer.to_owned()).jwks_url(issuer)
    }

    #[test]
    fn issuer_url_accepts_domain_and_trailing_slash() {
        let expected = "https://yourbiz.kinde.com/.well-known/jwks.json";

        assert_eq!(url_for("https://yourbiz.kinde.com").unwrap(), expected);
        assert_eq!(url_for("https://yourbiz.kinde.com/").unwrap(), expected);
    }

    #[test]
    fn issuer_url_rejects_path_query_and_plain_http() {
        for issuer in [
            "https://yourbiz.kinde.com/oauth2",
            "https://yourbiz.kinde.com/?x=1",
            "http://yourbiz.kinde.com",
            "ftp://yourbiz.kinde.com",
            "https://user:pass@yourbiz.kinde.com",
            "yourbiz.kinde.com",
        ] {
            let error = url_for(issuer).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidConfiguration, "{issuer}");
            assert!(error.message().contains("issuer URL"), "{issuer}: {error}");
        }
    }

    #[test]
    fn issuer_url_allows_plain_http_on_loopback() {
        for issuer in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:80",
            "http://localhost:3000",
        ] {
            assert!(url_for(issuer).is_ok(), "{issuer}");
        }
    }

    #[test]
    fn plain_http_needs_the_danger_switch_elsewhere() {
        let builder = VerifierBuilder::for_issuer(String::new()).danger_allow_plain_http();

        assert!(builder.jwks_url("http://10.0.0.5").is_ok());
    }

    #[test]
    fn build_rejects_empty_allow_list() {
        let error = Verifier::builder("https://yourbiz.kinde.com")
            .allowed_algorithms([])
            .build()
            .unwrap_err();

        assert_eq!(error.kind(), ErrorKind::InvalidConfiguration);
    }
}
