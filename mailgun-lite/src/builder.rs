//! Building a [`Client`]: settings, their defaults, and their validation.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use crate::api_key::ApiKey;
use crate::client::{Client, ClientInner};
use crate::error::Error;
use crate::region::Region;
use crate::retry::RetryPolicy;

/// Default total time for one request, from connecting to reading the body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default time for establishing a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A builder for [`Client`], created by [`Client::builder`] or
/// [`ClientBuilder::from_env`].
///
/// ```
/// use std::time::Duration;
/// use mailgun_lite::{Client, Region, RetryPolicy};
///
/// let client = Client::builder("key-example", "mg.example.com")
///     .region(Region::Eu)
///     .timeout(Duration::from_secs(10))
///     .retry_policy(RetryPolicy::default().max_attempts(4))
///     .build()?;
/// assert_eq!(
///     client.messages_url(),
///     "https://api.eu.mailgun.net/v3/mg.example.com/messages"
/// );
/// # Ok::<(), mailgun_lite::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    api_key: ApiKey,
    domain: String,
    region: Region,
    base_url: Option<String>,
    http: Option<reqwest::Client>,
    timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
}

impl ClientBuilder {
    pub(crate) fn new(api_key: impl Into<String>, domain: impl Into<String>) -> Self {
        Self {
            api_key: ApiKey::new(api_key),
            domain: domain.into(),
            region: Region::default(),
            base_url: None,
            http: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            retry: RetryPolicy::default(),
        }
    }

    /// Sets the region whose API base URL is used (default [`Region::Us`]).
    /// A [`base_url`](Self::base_url) takes precedence.
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Sets the API base URL, such as `http://127.0.0.1:8025` for a test
    /// double or the URL of a proxy. The client appends
    /// `/v3/{domain}/messages` to it.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Uses `client` for requests instead of building one, to share its
    /// connection pool or its TLS and proxy settings.
    ///
    /// The [`timeout`](Self::timeout) still applies to each request. The
    /// [`connect_timeout`](Self::connect_timeout) and the "no redirects" rule
    /// of the built client do not, because they are settings of `client`.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Sets the total time for one attempt, from connecting to reading the
    /// response (default 30 s). Retries are bounded by the
    /// [`RetryPolicy`] separately.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the time for establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) when the
    /// API key is empty, the domain contains characters that would change the
    /// request path (such as `/`), or the reqwest client cannot be built. A
    /// base URL that is not an http(s) URL, or that contains a user name or
    /// password, fails too.
    pub fn build(self) -> Result<Client, Error> {
        if let Some(problem) = self.api_key.problem() {
            return Err(Error::invalid_config(format!(
                "the Mailgun API key {problem}"
            )));
        }
        if let Some(problem) = domain_problem(&self.domain) {
            return Err(Error::invalid_config(format!(
                "the Mailgun domain {problem}"
            )));
        }
        let base_url = self
            .base_url
            .as_deref()
            .unwrap_or(self.region.base_url())
            .trim_end_matches('/')
            .to_owned();
        if let Some(problem) = base_url_problem(&base_url) {
            return Err(Error::invalid_config(format!(
                "the Mailgun base URL {problem}"
            )));
        }
        let messages_url = format!("{base_url}/v3/{}/messages", self.domain);
        let messages_url = Url::parse(&messages_url).map_err(|error| {
            Error::invalid_config(format!(
                "the messages URL {messages_url} is invalid: {error}"
            ))
        })?;
        let http = match self.http {
            Some(http) => http,
            None => build_http_client(self.connect_timeout)?,
        };

        Ok(Client {
            inner: Arc::new(ClientInner {
                http,
                api_key: self.api_key,
                domain: self.domain,
                base_url,
                messages_url,
                timeout: self.timeout,
                retry: self.retry,
            }),
        })
    }

    /// Reads the settings from the environment:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `MAILGUN_API_KEY` | API key (required) |
    /// | `MAILGUN_DOMAIN` | sending domain (required) |
    /// | `MAILGUN_REGION` | `us` (default) or `eu` |
    /// | `MAILGUN_BASE_URL` | base URL override |
    ///
    /// An empty optional variable counts as unset.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig), naming
    /// every variable that is missing or invalid.
    pub fn from_env() -> Result<Self, Error> {
        crate::env::from_lookup(|name| std::env::var_os(name))
    }
}

impl fmt::Debug for ClientBuilder {
    /// Writes the settings with the API key and any credentials in the base
    /// URL redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("domain", &self.domain)
            .field("region", &self.region)
            .field("base_url", &self.base_url.as_deref().map(redact_userinfo))
            .field("http", &self.http)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// Describes what is wrong with a sending domain, or `None` when it is a
/// plain domain name that can go into the URL path unescaped.
pub(crate) fn domain_problem(domain: &str) -> Option<String> {
    if domain.is_empty() {
        return Some("is empty".to_owned());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_';
    if let Some(bad) = domain.chars().find(|&c| !allowed(c)) {
        return Some(format!(
            "`{domain}` contains {bad:?}, which would change the request path; expected a \
             domain name such as mg.example.com"
        ));
    }
    if domain.split('.').any(str::is_empty) {
        return Some(format!(
            "`{domain}` has an empty label; expected a domain name such as mg.example.com"
        ));
    }
    None
}

/// Describes what is wrong with a base URL, or `None` for an http(s) URL
/// without credentials, query or fragment. The description quotes the URL
/// with any credentials redacted.
pub(crate) fn base_url_problem(base_url: &str) -> Option<String> {
    let quoted = redact_userinfo(base_url);
    let url = match Url::parse(base_url) {
        Ok(url) => url,
        Err(error) => return Some(format!("`{quoted}` is not a valid URL: {error}")),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!("`{quoted}` must start with http:// or https://"));
    }
    // The URL would carry the credentials into `Debug` output and error
    // messages, and the client sends the API key in its own header anyway.
    if !url.username().is_empty() || url.password().is_some() {
        return Some(format!(
            "`{quoted}` contains a user name or password; remove them, because the client \
             sends the API key itself"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Some(format!("`{quoted}` must not have a query or fragment"));
    }
    None
}

/// Replaces the user name and password of a URL, such as the
/// `api:key-…@` of `https://api:key-…@api.mailgun.net`, with `[redacted]@`.
/// Works on text that does not parse as a URL too.
fn redact_userinfo(url: &str) -> Cow<'_, str> {
    let authority_start = url.find("://").map_or(0, |index| index + 3);
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!(
            "{}[redacted]{}",
            &url[..authority_start],
            &rest[at..]
        )),
        None => Cow::Borrowed(url),
    }
}

fn build_http_client(connect_timeout: Duration) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("mailgun-lite/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| {
            Error::invalid_config(format!("the HTTP client could not be built: {error}"))
                .with_source(error)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_with_slash_is_rejected() {
        let problem = domain_problem("mg.example.com/evil").unwrap();
        assert!(problem.contains("'/'"), "{problem}");
    }

    #[test]
    fn domain_dot_dot_is_rejected() {
        assert!(domain_problem("..").is_some());
    }

    #[test]
    fn domain_with_encoded_slash_is_rejected() {
        assert!(domain_problem("mg.example.com%2F").is_some());
    }

    #[test]
    fn plain_domain_is_accepted() {
        assert_eq!(domain_problem("mg.example-1.com"), None);
    }

    #[test]
    fn base_url_with_credentials_is_rejected() {
        for url in [
            "https://api:key-secret@api.mailgun.net",
            "https://key-secret@api.mailgun.net",
            "http://api:key-secret@127.0.0.1:99999",
            "api:key-secret@127.0.0.1",
        ] {
            let problem = base_url_problem(url).expect(url);
            assert!(!problem.contains("key-secret"), "{problem}");
            assert!(problem.contains("[redacted]@"), "{problem}");
        }
    }

    #[test]
    fn redact_keeps_url_without_credentials() {
        assert_eq!(
            redact_userinfo("http://127.0.0.1:8025/a@b"),
            "http://127.0.0.1:8025/a@b"
        );
        assert_eq!(
            redact_userinfo("https://u:p@host/x"),
            "https://[redacted]@host/x"
        );
    }

    #[test]
    fn base_url_needs_http_scheme() {
        assert!(base_url_problem("ftp://example.com").is_some());
        assert!(base_url_problem("127.0.0.1:8080").is_some());
        assert_eq!(base_url_problem("http://127.0.0.1:8080"), None);
    }
}
